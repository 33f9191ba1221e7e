"""Sandbox API over real HTTP: auth, resources, validation, credits, executions, files, rate limits."""

from __future__ import annotations

import time
from typing import Any

import httpx
import loopback_http
import pytest
from sandbox_helpers import VOICE, wait_execution

from videogen_studio.sandbox import SandboxAccount, SandboxServer


def run_tts(client: httpx.Client, **fields: Any) -> dict[str, Any]:
    response = client.post(
        "/v1/tools/text-to-speech", json={"voiceId": VOICE, "ttsText": "Hello there.", **fields}
    )
    assert response.status_code == 202, response.text
    return wait_execution(client, response.json()["toolExecutionId"])


def assert_api_error(response: httpx.Response, status: int, code: str, *fragments: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["x-request-id"].startswith("req_")
    body = response.json()
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]
    for fragment in fragments:
        assert fragment in body["message"]
    return body


# -- auth -------------------------------------------------------------------------------------------


def test_missing_or_empty_key_is_401_missing_api_key(sandbox: SandboxServer) -> None:
    for headers in ({}, {"Authorization": ""}, {"Authorization": "Bearer"}, {"Authorization": "Basic abc"}):
        response = loopback_http.get(f"{sandbox.base_url}/v1/resources/tts-voices", headers=headers)
        assert_api_error(response, 401, "missing_api_key")


def test_unknown_key_is_401_invalid_api_key(sandbox: SandboxServer) -> None:
    response = loopback_http.get(
        f"{sandbox.base_url}/v1/resources/tts-voices", headers={"Authorization": "Bearer vg_key_nope"}
    )
    body = assert_api_error(response, 401, "invalid_api_key")
    assert body["message"] == "API key is invalid or has been revoked."


def test_revoked_key_is_401_invalid_api_key(sandbox: SandboxServer, client: httpx.Client) -> None:
    assert client.get("/v1/files").status_code == 200
    sandbox.revoke_key(sandbox.api_key)
    assert_api_error(client.get("/v1/files"), 401, "invalid_api_key")


def test_second_account_sees_only_its_own_files(sandbox: SandboxServer, client: httpx.Client) -> None:
    done = run_tts(client)
    file_id = done["results"][0]["fileId"]
    sandbox.add_account("vg_key_other", SandboxAccount())
    other = {"Authorization": "Bearer vg_key_other"}
    assert loopback_http.get(f"{sandbox.base_url}/v1/files", headers=other).json()["files"] == []
    response = loopback_http.get(f"{sandbox.base_url}/v1/files/{file_id}", headers=other)
    assert_api_error(response, 404, "not_found")
    response = loopback_http.get(
        f"{sandbox.base_url}/v1/tools/executions/{done['toolExecutionId']}", headers=other
    )
    assert_api_error(response, 404, "not_found")


# -- resources ----------------------------------------------------------------------------------------


def test_presenters_listing(sandbox: SandboxServer, client: httpx.Client) -> None:
    response = client.get("/v1/resources/avatar-presenters")
    assert response.status_code == 200
    presenters = response.json()["avatarPresenters"]
    assert len(presenters) >= sandbox.config.presenter_count
    ids = [p["avatarPresenterId"] for p in presenters]
    assert len(set(ids)) == len(ids)
    assert all(i.startswith("vg_pres_") for i in ids)
    assert {p["displayableGender"] for p in presenters} == {"MALE", "FEMALE", "NEUTRAL"}
    for presenter in presenters:
        for key in ("imageUrl", "thumbnailUrl", "previewVideoUrl"):
            assert presenter[key].startswith(sandbox.storage_url + "/presenters/")
            assert "signature=" not in presenter[key]  # public, non-expiring


def test_presenter_ids_are_stable_across_servers(
    sandbox: SandboxServer, client: httpx.Client, tmp_path
) -> None:
    first = [
        p["avatarPresenterId"]
        for p in client.get("/v1/resources/avatar-presenters").json()["avatarPresenters"]
    ]
    with SandboxServer(tmp_path / "other", assets_dir=tmp_path / "assets", config=sandbox.config) as other:
        response = loopback_http.get(
            f"{other.base_url}/v1/resources/avatar-presenters",
            headers={"Authorization": f"Bearer {other.api_key}"},
        )
    assert [p["avatarPresenterId"] for p in response.json()["avatarPresenters"]] == first


def test_voices_listing_hides_deprecated_unless_asked(client: httpx.Client) -> None:
    default = client.get("/v1/resources/tts-voices").json()["ttsVoices"]
    explicit_false = client.get("/v1/resources/tts-voices", params={"includeDeprecatedVoices": "false"})
    everything = client.get("/v1/resources/tts-voices", params={"includeDeprecatedVoices": "true"}).json()[
        "ttsVoices"
    ]
    assert explicit_false.json()["ttsVoices"] == default
    assert not any(v["isDeprecated"] for v in default)
    deprecated = [v for v in everything if v["isDeprecated"]]
    assert deprecated and len(everything) == len(default) + len(deprecated)
    assert len(everything) >= 12
    assert all(v["voiceId"].startswith("vg_voic_") for v in everything)
    assert {"en-US", "en-GB", "es-ES", "de-DE", "fr-FR"} <= {v["languageCode"] for v in everything}
    assert any(not v["supportsDirectToolExecution"] for v in everything)
    assert any(v["supportsAllLanguages"] for v in everything)
    assert all(v["accent"] and v["description"] and v["displayName"] for v in everything)
    assert {v["displayGender"] for v in everything} == {"MALE", "FEMALE", "NEUTRAL"}
    bad = client.get("/v1/resources/tts-voices", params={"includeDeprecatedVoices": "maybe"})
    assert_api_error(bad, 400, "invalid_parameters", "includeDeprecatedVoices")


# -- text-to-speech validation ------------------------------------------------------------------------


def _voice(client: httpx.Client, **match: Any) -> str:
    voices = client.get("/v1/resources/tts-voices", params={"includeDeprecatedVoices": "true"}).json()
    return next(v["voiceId"] for v in voices["ttsVoices"] if all(v[k] == val for k, val in match.items()))


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({}, "ttsText is required"),
        ({"voiceId": VOICE, "ttsText": None}, "ttsText is required"),
        ({"voiceId": VOICE, "ttsText": "   "}, "ttsText must not be blank"),
        ({"voiceId": VOICE, "ttsText": 5}, "ttsText must be a string"),
        ({"voiceId": VOICE, "ttsText": "x" * 5001}, "5000"),
        ({"ttsText": "Hi", "voiceId": "vg_voic_doesnotexist"}, "voiceId"),
        ({"ttsText": "Hi", "voiceId": 7}, "voiceId"),
        ({"voiceId": VOICE, "ttsText": "Hi", "speechLanguageCode": "english please"}, "speechLanguageCode"),
        (
            {"voiceId": VOICE, "ttsText": "Hi", "pronunciationReplacements": "VG=VideoGen"},
            "pronunciationReplacements",
        ),
        (
            {"voiceId": VOICE, "ttsText": "Hi", "pronunciationReplacements": [{"original": "VG"}]},
            "replacement is required",
        ),
        (
            {"voiceId": VOICE, "ttsText": "Hi", "pronunciationReplacements": [{"replacement": "x"}]},
            "original is required",
        ),
        (
            {
                "voiceId": VOICE,
                "ttsText": "Hi",
                "pronunciationReplacements": [{"original": "", "replacement": "x"}],
            },
            "original",
        ),
        (
            {"voiceId": VOICE, "ttsText": "Hi", "autoExpandPronunciationReplacements": "yes"},
            "autoExpandPronunciationReplacements",
        ),
        ({"voiceId": VOICE, "ttsText": "Hi", "voiceSpeed": 0.4}, "voiceSpeed must be between 0.5 and 2"),
        ({"voiceId": VOICE, "ttsText": "Hi", "voiceSpeed": 2.5}, "voiceSpeed must be between 0.5 and 2"),
        ({"voiceId": VOICE, "ttsText": "Hi", "voiceSpeed": "fast"}, "voiceSpeed must be a number"),
        ({"voiceId": VOICE, "ttsText": "Hi", "numResults": 0}, "numResults must be between 1 and 100"),
        ({"voiceId": VOICE, "ttsText": "Hi", "numResults": 101}, "numResults must be between 1 and 100"),
        ({"voiceId": VOICE, "ttsText": "Hi", "numResults": 1.5}, "numResults must be an integer"),
        ({"voiceId": VOICE, "ttsText": "Hi", "numResults": True}, "numResults must be an integer"),
        ({"voiceId": VOICE, "ttsText": "Hi", "isOutputTemporary": "no"}, "isOutputTemporary"),
    ],
)
def test_tts_validation_errors(
    sandbox: SandboxServer, client: httpx.Client, body: dict[str, Any], fragment: str
) -> None:
    credits = sandbox.state.accounts[sandbox.api_key].credits
    response = client.post("/v1/tools/text-to-speech", json=body)
    assert_api_error(response, 400, "invalid_parameters", fragment)
    assert sandbox.state.executions == {}
    assert sandbox.state.accounts[sandbox.api_key].credits == credits


def test_tts_text_limit_names_field_and_limit(sandbox: SandboxServer, client: httpx.Client) -> None:
    sandbox.config.max_tts_chars = 20
    response = client.post("/v1/tools/text-to-speech", json={"voiceId": VOICE, "ttsText": "a" * 21})
    assert_api_error(response, 400, "invalid_parameters", "ttsText", "20 characters")
    assert (
        client.post("/v1/tools/text-to-speech", json={"voiceId": VOICE, "ttsText": "a" * 20}).status_code
        == 202
    )


def test_tts_rejects_voice_without_direct_execution(client: httpx.Client) -> None:
    voice_id = _voice(client, supportsDirectToolExecution=False)
    response = client.post("/v1/tools/text-to-speech", json={"ttsText": "Hi", "voiceId": voice_id})
    assert_api_error(response, 400, "invalid_parameters", "supportsDirectToolExecution")


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b"", b"\xff\xfe"])
def test_malformed_json_is_400(client: httpx.Client, raw: bytes) -> None:
    response = client.post(
        "/v1/tools/text-to-speech", content=raw, headers={"Content-Type": "application/json"}
    )
    assert_api_error(response, 400, "invalid_parameters")


def test_tts_applies_replacements_and_expansion(client: httpx.Client) -> None:
    done = run_tts(
        client,
        ttsText="VG costs 5 & rises 10%",
        pronunciationReplacements=[{"original": "VG", "replacement": "VideoGen"}],
        autoExpandPronunciationReplacements=True,
        voiceId=_voice(client, displayName="Olivia"),
        voiceSpeed=1.5,
        speechLanguageCode="en",
    )
    assert done["status"] == "succeeded"
    assert done["results"][0]["file"]["transcript"] == "VideoGen costs five and rises ten percent"


def test_tts_num_results_and_temporary_scope(sandbox: SandboxServer, client: httpx.Client) -> None:
    done = run_tts(client, numResults=3, isOutputTemporary=True)
    results = done["results"]
    assert len(results) == 3
    assert len({r["fileId"] for r in results}) == 3
    assert all(r["type"] == "AUDIO" and r["file"]["scope"] == "TEMPORARY" for r in results)
    assert all(r["file"]["sourceToolExecutionId"] == done["toolExecutionId"] for r in results)
    paths = {sandbox.state.files[r["fileId"]].source("download").path for r in results}
    assert len(paths) == 3  # each result is its own file on disk


# -- generate-avatar validation ------------------------------------------------------------------------


@pytest.fixture
def audio_file_id(client: httpx.Client) -> str:
    return run_tts(client)["results"][0]["fileId"]


@pytest.fixture
def presenter_id(client: httpx.Client) -> str:
    return client.get("/v1/resources/avatar-presenters").json()["avatarPresenters"][0]["avatarPresenterId"]


def test_avatar_validation_errors(client: httpx.Client, audio_file_id: str, presenter_id: str) -> None:
    def post(**body: Any) -> httpx.Response:
        return client.post("/v1/tools/generate-avatar", json=body)

    ok = {"avatarPresenterId": presenter_id, "audioStorageFileId": audio_file_id}
    assert_api_error(post(audioStorageFileId=audio_file_id), 400, "invalid_parameters", "avatarPresenterId")
    assert_api_error(
        post(**{**ok, "avatarPresenterId": "vg_pres_nobody"}), 400, "invalid_parameters", "avatarPresenterId"
    )
    assert_api_error(post(avatarPresenterId=presenter_id), 400, "invalid_parameters", "audioStorageFileId")
    assert_api_error(post(**{**ok, "audioStorageFileId": "file_123"}), 400, "invalid_id")
    assert_api_error(post(**{**ok, "audioStorageFileId": "vg_file_0000000000000000"}), 404, "not_found")
    assert_api_error(post(**ok, watermarkMode="SOMETIMES"), 400, "invalid_parameters", "watermarkMode")
    assert_api_error(post(**ok, watermarkMode=""), 400, "invalid_parameters", "watermarkMode")
    assert_api_error(post(**ok, numResults=0), 400, "invalid_parameters", "numResults")
    assert_api_error(post(**ok, isOutputTemporary=1), 400, "invalid_parameters", "isOutputTemporary")
    # An upload whose bytes never arrived is not a usable AUDIO file yet.
    pending = client.post("/v1/files/upload", json={"displayName": "later.mp3", "type": "AUDIO"}).json()
    assert_api_error(post(**{**ok, "audioStorageFileId": pending["fileId"]}), 400, "invalid_parameters")
    assert post(**ok).status_code == 202


def test_watermark_none_requires_production_addon(
    sandbox: SandboxServer, client: httpx.Client, audio_file_id: str, presenter_id: str
) -> None:
    body = {"avatarPresenterId": presenter_id, "audioStorageFileId": audio_file_id, "watermarkMode": "NONE"}
    response = client.post("/v1/tools/generate-avatar", json=body)
    error = assert_api_error(response, 403, "add_on_required")
    assert error["message"] == "Removing the watermark requires the Production API add-on."
    assert error["requirement"] == {"type": "purchase_add_on", "details": {"addOn": "production_api"}}

    sandbox.state.accounts[sandbox.api_key].production_addon = True
    response = client.post("/v1/tools/generate-avatar", json=body)
    assert response.status_code == 202
    assert wait_execution(client, response.json()["toolExecutionId"])["status"] == "succeeded"


# -- credits -------------------------------------------------------------------------------------------


def test_credits_are_charged_at_submission(sandbox: SandboxServer, client: httpx.Client) -> None:
    account = sandbox.state.accounts[sandbox.api_key]
    account.credits = 10
    assert (
        client.post("/v1/tools/text-to-speech", json={"voiceId": VOICE, "ttsText": "a" * 1001}).status_code
        == 202
    )
    assert account.credits == 8  # two started blocks of 1000 characters
    assert (
        client.post(
            "/v1/tools/text-to-speech", json={"voiceId": VOICE, "ttsText": "Hi", "numResults": 3}
        ).status_code
        == 202
    )
    assert account.credits == 5


def test_insufficient_credits_is_402_with_upgrade_requirement(
    sandbox: SandboxServer, client: httpx.Client
) -> None:
    account = sandbox.state.accounts[sandbox.api_key]
    account.credits = 1
    response = client.post(
        "/v1/tools/text-to-speech", json={"voiceId": VOICE, "ttsText": "Hi", "numResults": 2}
    )
    error = assert_api_error(response, 402, "insufficient_credits", "Not enough credits")
    assert error["requirement"]["type"] == "upgrade_plan"
    assert error["requirement"]["details"] == {"requiredCredits": "2", "availableCredits": "1"}
    assert account.credits == 1
    assert sandbox.state.executions == {}


def test_avatar_costs_per_started_ten_seconds_of_audio(
    sandbox: SandboxServer, client: httpx.Client, audio_file_id: str, presenter_id: str
) -> None:
    account = sandbox.state.accounts[sandbox.api_key]
    before = account.credits
    body = {"avatarPresenterId": presenter_id, "audioStorageFileId": audio_file_id, "numResults": 2}
    assert client.post("/v1/tools/generate-avatar", json=body).status_code == 202
    assert account.credits == before - 2  # short audio: one block per result


# -- executions ----------------------------------------------------------------------------------------


def test_execution_shape_while_pending_and_after_success(
    sandbox: SandboxServer, client: httpx.Client
) -> None:
    sandbox.config.tts_pending_s = 30
    execution_id = client.post("/v1/tools/text-to-speech", json={"voiceId": VOICE, "ttsText": "Hi"}).json()[
        "toolExecutionId"
    ]
    assert execution_id.startswith("vg_tool_")  # generation B (the spec); A uses vg_exec_
    pending = client.get(f"/v1/tools/executions/{execution_id}").json()
    assert pending["status"] == "pending"
    assert pending["toolType"] == "TEXT_TO_SPEECH"
    assert pending["progressPercentage"] == 0
    assert pending["attemptIndex"] == 0
    assert isinstance(pending["createdAt"], float)
    assert "results" not in pending and "error" not in pending

    sandbox.config.tts_pending_s = 0.05
    done = run_tts(client)
    assert done["status"] == "succeeded" and done["progressPercentage"] == 100
    assert "error" not in done
    result = done["results"][0]
    assert result["type"] == "AUDIO" and result["file"]["fileId"] == result["fileId"]
    assert result["file"]["downloadSource"]["url"].startswith(sandbox.storage_url)


def test_cancel_pending_execution_refunds_credits(sandbox: SandboxServer, client: httpx.Client) -> None:
    sandbox.config.tts_pending_s = 30
    account = sandbox.state.accounts[sandbox.api_key]
    before = account.credits
    execution_id = client.post("/v1/tools/text-to-speech", json={"voiceId": VOICE, "ttsText": "Hi"}).json()[
        "toolExecutionId"
    ]
    assert account.credits == before - 1
    response = client.post(f"/v1/tools/executions/{execution_id}/cancel")
    assert response.status_code == 202
    assert response.json() == {"toolExecutionId": execution_id}
    cancelled = client.get(f"/v1/tools/executions/{execution_id}").json()
    assert cancelled["status"] == "cancelled"
    assert "results" not in cancelled
    assert account.credits == before
    again = client.post(f"/v1/tools/executions/{execution_id}/cancel")
    assert_api_error(again, 409, "execution_finished", "cancelled")


def test_cancel_running_execution_discards_output(sandbox: SandboxServer, client: httpx.Client) -> None:
    sandbox.config.tts_running_s = 30
    execution_id = client.post("/v1/tools/text-to-speech", json={"voiceId": VOICE, "ttsText": "Hi"}).json()[
        "toolExecutionId"
    ]
    deadline = time.monotonic() + 30
    while client.get(f"/v1/tools/executions/{execution_id}").json()["status"] != "running":
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert client.post(f"/v1/tools/executions/{execution_id}/cancel").status_code == 202
    assert wait_execution(client, execution_id)["status"] == "cancelled"
    assert client.get("/v1/files").json()["files"] == []


def test_cancel_succeeded_execution_is_409(client: httpx.Client) -> None:
    done = run_tts(client)
    response = client.post(f"/v1/tools/executions/{done['toolExecutionId']}/cancel")
    assert_api_error(response, 409, "execution_finished", "succeeded")
    assert client.get(f"/v1/tools/executions/{done['toolExecutionId']}").json()["status"] == "succeeded"


def test_execution_id_errors(client: httpx.Client) -> None:
    assert_api_error(client.get("/v1/tools/executions/exec_123"), 400, "invalid_id")
    assert_api_error(client.get("/v1/tools/executions/vg_file_123"), 400, "invalid_id")
    assert_api_error(client.get("/v1/tools/executions/vg_exec_ffffffffffffffff"), 404, "not_found")
    assert_api_error(client.post("/v1/tools/executions/nope/cancel"), 400, "invalid_id")
    assert_api_error(client.post("/v1/tools/executions/vg_exec_ffffffffffffffff/cancel"), 404, "not_found")


# -- files ---------------------------------------------------------------------------------------------


def test_files_get_hydrate_list_archive(sandbox: SandboxServer, client: httpx.Client) -> None:
    file_id = run_tts(client)["results"][0]["fileId"]
    plain = client.get(f"/v1/files/{file_id}").json()
    assert plain["type"] == "AUDIO" and plain["scope"] == "GLOBAL"
    assert plain["sourceToolType"] == "TEXT_TO_SPEECH"
    assert plain["durationSeconds"] > 0
    assert plain["isPublicPreviewEnabled"] is False
    assert plain["downloadSource"]["status"] == "ready"
    assert plain["downloadSource"]["url"] is None and plain["downloadSource"]["expiresAt"] is None
    assert plain["downloadSource"]["fileBytes"] > 0
    assert plain["thumbnailSource"]["status"] == "skipped"
    assert plain["hlsSource"]["status"] == "skipped"

    hydrated = client.post(f"/v1/files/{file_id}/hydrate").json()
    download = hydrated["downloadSource"]
    assert download["url"].startswith(f"{sandbox.storage_url}/f/{file_id}/download?")
    assert isinstance(download["expiresAt"], int) and download["expiresAt"] > time.time()
    assert hydrated["previewSource"]["url"]
    assert hydrated["thumbnailSource"]["url"] is None

    assert [f["fileId"] for f in client.get("/v1/files").json()["files"]] == [file_id]
    archived = client.post(f"/v1/files/{file_id}/archive")
    assert archived.status_code == 200 and archived.json()["archivedAt"] is not None
    assert client.get("/v1/files").json()["files"] == []
    assert client.get(f"/v1/files/{file_id}").status_code == 200  # archived, not deleted


def test_file_id_errors(client: httpx.Client) -> None:
    assert_api_error(client.get("/v1/files/abc"), 400, "invalid_id")
    assert_api_error(client.post("/v1/files/abc/hydrate"), 400, "invalid_id")
    assert_api_error(client.post("/v1/files/abc/archive"), 400, "invalid_id")
    assert_api_error(client.get("/v1/files/vg_file_0000000000000000"), 404, "not_found")
    assert_api_error(client.post("/v1/files/vg_file_0000000000000000/hydrate"), 404, "not_found")


def test_upload_request_validation(client: httpx.Client) -> None:
    assert_api_error(client.post("/v1/files/upload", json={}), 400, "invalid_parameters", "displayName")
    assert_api_error(
        client.post("/v1/files/upload", json={"displayName": "x", "type": "PDF"}),
        400,
        "invalid_parameters",
        "type",
    )
    assert_api_error(
        client.post("/v1/files/upload", json={"displayName": "x", "isTemporary": "yes"}),
        400,
        "invalid_parameters",
        "isTemporary",
    )


# -- routing, headers, rate limits ----------------------------------------------------------------------


def test_unknown_routes_and_methods(sandbox: SandboxServer, client: httpx.Client) -> None:
    assert_api_error(client.get("/v1/nothing-here"), 404, "not_found")
    assert_api_error(loopback_http.get(f"{sandbox.base_url}/"), 404, "not_found")
    assert_api_error(client.post("/v1/tools/generate-image", json={"prompt": "x"}), 404, "not_found")
    response = client.delete("/v1/files")
    assert_api_error(response, 405, "method_not_allowed")
    assert response.headers["allow"] == "GET"


def test_rate_limit_headers_and_429(sandbox: SandboxServer, client: httpx.Client) -> None:
    sandbox.config.rate_limits["resources"] = 2
    first = client.get("/v1/resources/tts-voices")
    second = client.get("/v1/resources/avatar-presenters")  # same group
    assert first.headers["x-ratelimit-limit"] == "2"
    assert (first.headers["x-ratelimit-remaining"], second.headers["x-ratelimit-remaining"]) == ("1", "0")
    reset = int(first.headers["x-ratelimit-reset"])
    assert reset > time.time()

    limited = client.get("/v1/resources/tts-voices")
    assert_api_error(limited, 429, "rate_limited", "Rate limit exceeded")
    retry_after = int(limited.headers["retry-after"])
    assert 0 < retry_after <= 3600
    assert limited.headers["x-ratelimit-remaining"] == "0"
    assert int(limited.headers["x-ratelimit-reset"]) == reset

    # Other groups and other keys have their own budgets.
    assert client.get("/v1/files").status_code == 200
    sandbox.add_account("vg_key_second", SandboxAccount())
    other = loopback_http.get(
        f"{sandbox.base_url}/v1/resources/tts-voices", headers={"Authorization": "Bearer vg_key_second"}
    )
    assert other.status_code == 200


def test_rate_limit_headers_on_errors_too(client: httpx.Client) -> None:
    response = client.get("/v1/tools/executions/vg_exec_ffffffffffffffff")
    assert response.status_code == 404
    assert {"x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"} <= set(response.headers)


def test_keep_alive_serves_many_requests_on_one_connection(client: httpx.Client) -> None:
    ids = {client.get("/v1/files").headers["x-request-id"] for _ in range(20)}
    assert len(ids) == 20  # every response has its own request id


def test_control_route_accounts(sandbox: SandboxServer) -> None:
    response = loopback_http.post(
        f"{sandbox.base_url}/_sandbox/accounts",
        json={"key": "vg_key_pro", "credits": 3, "productionAddon": True},
    )
    assert response.json() == {
        "key": "vg_key_pro",
        "credits": 3.0,
        "productionAddon": True,
        "revoked": False,
        "email": None,
        "displayName": None,
        "teamId": None,
        "keyNickname": None,
    }
    headers = {"Authorization": "Bearer vg_key_pro"}
    assert loopback_http.get(f"{sandbox.base_url}/v1/files", headers=headers).status_code == 200
    loopback_http.post(f"{sandbox.base_url}/_sandbox/accounts", json={"key": "vg_key_pro", "revoked": True})
    assert loopback_http.get(f"{sandbox.base_url}/v1/files", headers=headers).status_code == 401
    assert loopback_http.get(f"{sandbox.base_url}/_sandbox/accounts/vg_key_pro").json()["credits"] == 3.0
