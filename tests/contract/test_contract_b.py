"""Every answer of a generation-B sandbox to the endpoints the app uses matches the spec's schemas.

Success and error bodies alike, over real HTTP. A last test asserts that every (endpoint, status) the
spec lists for these endpoints was exercised, so a new endpoint in `derive_schemas.ENDPOINTS` needs a case.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import loopback_http
import pytest
from conftest import Contract

from videogen_studio.sandbox import SandboxServer

TTS = "POST /v1/tools/text-to-speech"
AVATAR = "POST /v1/tools/generate-avatar"
EXECUTION = "GET /v1/tools/executions/{toolExecutionId}"
TERMINAL = {"succeeded", "failed", "cancelled"}


def voice_id(contract: Contract, api: httpx.Client) -> str:
    voices = contract.check(api.get("/v1/resources/tts-voices"), "GET /v1/resources/tts-voices")["ttsVoices"]
    return str(next(v["voiceId"] for v in voices if v["supportsDirectToolExecution"]))


def finish(contract: Contract, api: httpx.Client, execution_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while True:
        body = contract.check(api.get(f"/v1/tools/executions/{execution_id}"), EXECUTION)
        if body["status"] in TERMINAL:
            return dict(body)
        assert time.monotonic() < deadline, body
        time.sleep(0.02)


def speak(
    contract: Contract, api: httpx.Client, text: str = "Contract check.", **extra: Any
) -> dict[str, Any]:
    body = {"ttsText": text, "voiceId": voice_id(contract, api), **extra}
    started = contract.check(api.post("/v1/tools/text-to-speech", json=body), TTS)
    return finish(contract, api, started["toolExecutionId"])


def test_account_and_catalogue(contract: Contract, api: httpx.Client) -> None:
    contract.check(api.get("/v1/me"), "GET /v1/me")
    presenters = contract.check(
        api.get("/v1/resources/avatar-presenters", params={"limit": 5}), "GET /v1/resources/avatar-presenters"
    )
    contract.check(
        api.get("/v1/resources/avatar-presenters", params={"cursor": presenters["nextCursor"]}),
        "GET /v1/resources/avatar-presenters",
    )
    voice = voice_id(contract, api)
    contract.check(
        api.get("/v1/resources/avatar-presenters", params={"voiceId": voice}),
        "GET /v1/resources/avatar-presenters",
    )
    contract.check(
        api.get("/v1/resources/tts-voices", params={"includeDeprecatedVoices": "true", "limit": 3}),
        "GET /v1/resources/tts-voices",
    )
    entities = contract.check(
        api.get("/v1/entities", params={"entityType": "ACTOR", "limit": 4}), "GET /v1/entities"
    )
    entity = entities["entities"][0]
    contract.check(api.get(f"/v1/entities/{entity['entityId']}"), "GET /v1/entities/{entityId}")
    reference = entity["references"][0]["fileId"]
    contract.check(api.get(f"/v1/files/{reference}"), "GET /v1/files/{fileId}")
    contract.check(api.post(f"/v1/files/{reference}/hydrate"), "POST /v1/files/{fileId}/hydrate")


def test_catalogue_errors(contract: Contract, api: httpx.Client) -> None:
    for params in ({"limit": 0}, {"limit": 201}, {"cursor": "garbage"}):
        response = api.get("/v1/resources/avatar-presenters", params=params)
        assert response.status_code == 400
        contract.check(response, "GET /v1/resources/avatar-presenters")
    voices_cursor = api.get("/v1/resources/tts-voices", params={"limit": 1}).json()["nextCursor"]
    wrong_endpoint = api.get("/v1/entities", params={"cursor": voices_cursor})
    assert wrong_endpoint.status_code == 400
    contract.check(wrong_endpoint, "GET /v1/entities")
    contract.check(api.get("/v1/entities", params={"entityType": "ROBOT"}), "GET /v1/entities")
    contract.check(api.get("/v1/entities/vg_enti_nobody"), "GET /v1/entities/{entityId}")
    contract.check(
        api.get("/v1/resources/tts-voices", params={"includeDeprecatedVoices": "maybe"}),
        "GET /v1/resources/tts-voices",
    )
    anonymous = loopback_http.get(f"{api.base_url}/v1/me")
    assert anonymous.status_code == 401
    contract.check(anonymous, "GET /v1/me")
    bad_key = loopback_http.get(f"{api.base_url}/v1/me", headers={"Authorization": "Bearer vg_key_nobody"})
    contract.check(bad_key, "GET /v1/me")


def test_speech_avatar_and_their_executions(
    contract: Contract, api: httpx.Client, server: SandboxServer
) -> None:
    speech = speak(contract, api, numResults=2)
    assert speech["status"] == "succeeded" and len(speech["results"]) == 2
    audio = speech["results"][0]["fileId"]
    presenter = api.get("/v1/resources/avatar-presenters").json()["avatarPresenters"][0]["avatarPresenterId"]
    started = contract.check(
        api.post(
            "/v1/tools/generate-avatar",
            json={"avatarPresenterId": presenter, "audioStorageFileId": audio, "watermarkMode": "AUTO"},
        ),
        AVATAR,
    )
    video = finish(contract, api, started["toolExecutionId"])
    assert video["status"] == "succeeded"
    # pending, then cancelled
    server.config.tts_pending_s = 30
    pending = contract.check(
        api.post(
            "/v1/tools/text-to-speech", json={"ttsText": "Never spoken.", "voiceId": voice_id(contract, api)}
        ),
        TTS,
    )
    assert (
        contract.check(api.get(f"/v1/tools/executions/{pending['toolExecutionId']}"), EXECUTION)["status"]
        == "pending"
    )
    cancel = "POST /v1/tools/executions/{toolExecutionId}/cancel"
    contract.check(api.post(f"/v1/tools/executions/{pending['toolExecutionId']}/cancel"), cancel)
    contract.check(api.post(f"/v1/tools/executions/{pending['toolExecutionId']}/cancel"), cancel)  # 409
    contract.check(api.post("/v1/tools/executions/vg_tool_ffffffffffffffff/cancel"), cancel)  # 404
    contract.check(api.get("/v1/tools/executions/vg_tool_ffffffffffffffff"), EXECUTION)
    contract.check(api.get("/v1/tools/executions/not-an-id"), EXECUTION)
    listing = contract.check(api.get("/v1/tools/executions", params={"limit": 2}), "GET /v1/tools/executions")
    contract.check(
        api.get("/v1/tools/executions", params={"cursor": listing["nextCursor"], "selfOnly": "true"}),
        "GET /v1/tools/executions",
    )
    contract.check(api.get("/v1/tools/executions", params={"limit": "x"}), "GET /v1/tools/executions")


def test_failed_execution_carries_an_api_error(
    contract: Contract, api: httpx.Client, server: SandboxServer
) -> None:
    from videogen_studio.sandbox import FaultRule

    server.faults.add(FaultRule("fail_execution", path="text-to-speech"))
    failed = speak(contract, api, "This one fails.")
    assert failed["status"] == "failed" and failed["error"]["message"]


@pytest.mark.parametrize(
    "body",
    [
        {"ttsText": "No voice."},
        {"ttsText": "", "voiceId": "vg_voic_x"},
        {"ttsText": "Hi", "voiceId": "vg_voic_unknown"},
        {"ttsText": "Hi", "voiceSpeed": 9},
    ],
)
def test_tts_errors(contract: Contract, api: httpx.Client, body: dict[str, Any]) -> None:
    response = api.post("/v1/tools/text-to-speech", json=body)
    assert response.status_code == 400
    assert contract.check(response, TTS)["code"] == "invalid_parameters"


def test_avatar_and_money_errors(contract: Contract, api: httpx.Client, server: SandboxServer) -> None:
    audio = speak(contract, api)["results"][0]["fileId"]
    presenter = api.get("/v1/resources/avatar-presenters").json()["avatarPresenters"][0]["avatarPresenterId"]
    body = {"avatarPresenterId": presenter, "audioStorageFileId": audio}
    addon = contract.check(
        api.post("/v1/tools/generate-avatar", json=body | {"watermarkMode": "NONE"}), AVATAR
    )
    assert addon["requirement"]["type"] == "purchase_add_on"
    contract.check(
        api.post("/v1/tools/generate-avatar", json=body | {"avatarPresenterId": "vg_pres_x"}), AVATAR
    )
    contract.check(api.post("/v1/tools/generate-avatar", json={"avatarPresenterId": presenter}), AVATAR)
    server.state.accounts[server.api_key].credits = 0
    broke = contract.check(api.post("/v1/tools/generate-avatar", json=body), AVATAR)
    assert broke["code"] == "insufficient_credits" and broke["requirement"]["type"] == "upgrade_plan"
    server.config.rate_limits["tools"] = 0
    limited = api.post("/v1/tools/text-to-speech", json={"ttsText": "Hi", "voiceId": voice_id(contract, api)})
    assert limited.status_code == 429
    contract.check(limited, TTS)


def test_files(contract: Contract, api: httpx.Client) -> None:
    speak(contract, api, "Quarterly numbers for the board.")
    speak(contract, api, "Temporary words.", isOutputTemporary=True)
    files = contract.check(api.get("/v1/files", params={"limit": 1}), "GET /v1/files")
    contract.check(api.get("/v1/files", params={"cursor": files["nextCursor"]}), "GET /v1/files")
    contract.check(api.get("/v1/files", params={"limit": 999}), "GET /v1/files")
    found = contract.check(
        api.post("/v1/files/search", json={"query": "quarterly board"}), "POST /v1/files/search"
    )
    assert found["results"]
    contract.check(api.post("/v1/files/search", json={"query": ""}), "POST /v1/files/search")
    contract.check(
        api.post("/v1/files/search", json={"query": "x", "numResults": 0}), "POST /v1/files/search"
    )
    file_id = files["files"][0]["fileId"]
    for endpoint, path in (
        ("GET /v1/files/{fileId}", f"/v1/files/{file_id}"),
        ("POST /v1/files/{fileId}/hydrate", f"/v1/files/{file_id}/hydrate"),
        ("POST /v1/files/{fileId}/enable-public-preview", f"/v1/files/{file_id}/enable-public-preview"),
        ("POST /v1/files/{fileId}/disable-public-preview", f"/v1/files/{file_id}/disable-public-preview"),
        ("POST /v1/files/{fileId}/archive", f"/v1/files/{file_id}/archive"),
    ):
        method = endpoint.split(" ")[0]
        contract.check(api.request(method, path), endpoint)
        contract.check(
            api.request(method, "/v1/files/vg_file_ffffffffffffffff" + path[len(f"/v1/files/{file_id}") :]),
            endpoint,
        )
    upload = "POST /v1/files/upload"
    slot = contract.check(
        api.post("/v1/files/upload", json={"displayName": "take.mp3", "type": "AUDIO"}), upload
    )
    contract.check(api.get(f"/v1/files/{slot['fileId']}"), "GET /v1/files/{fileId}")  # pending sources
    contract.check(api.post("/v1/files/upload", json={"type": "AUDIO"}), upload)
    contract.check(api.post("/v1/files/upload", json={"displayName": "x", "type": "MIDI"}), upload)


_RAN: set[str] = set()


@pytest.fixture(autouse=True)
def _note_run(request: pytest.FixtureRequest) -> None:
    _RAN.add(request.node.originalname)


def test_every_listed_answer_was_checked(contract: Contract) -> None:
    """Runs last in this module: each endpoint was seen succeeding and failing (the `default` ApiError)."""
    cases = {name for name, value in globals().items() if name.startswith("test_") and callable(value)}
    if not cases <= _RAN:
        pytest.skip("only meaningful when the whole module ran in this process (not with -k or split runs)")
    for endpoint, entry in contract.endpoints.items():
        for key in entry["responses"]:
            assert (endpoint, key) in contract.checked, f"no contract case for {endpoint} -> {key}"
