"""The sandbox plays each API generation over real HTTP: A (May 2026), B (the spec, default), C (SDK 2.x)."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import loopback_http
import pytest
from PIL import Image
from sandbox_helpers import VOICE, api_client, wait_execution

from videogen_studio.sandbox import SandboxAccount, SandboxConfig, SandboxServer


@contextmanager
def serve(tmp_path: Path, assets: Path, generation: str, **changes: Any) -> Iterator[SandboxServer]:
    config = SandboxConfig.fast(generation)
    for name, value in changes.items():
        setattr(config, name, value)
    server = SandboxServer(tmp_path / f"sandbox-{generation}", assets_dir=assets, config=config)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def gen_b(tmp_path: Path, sandbox_assets: Path) -> Iterator[SandboxServer]:
    with serve(tmp_path, sandbox_assets, "B") as server:
        yield server


@pytest.fixture
def gen_a(tmp_path: Path, sandbox_assets: Path) -> Iterator[SandboxServer]:
    with serve(tmp_path, sandbox_assets, "A") as server:
        yield server


@pytest.fixture
def gen_c(tmp_path: Path, sandbox_assets: Path) -> Iterator[SandboxServer]:
    with serve(tmp_path, sandbox_assets, "C") as server:
        yield server


def walk(client: httpx.Client, path: str, field: str, **params: Any) -> list[dict[str, Any]]:
    """Every item of a paginated list, following nextCursor; asserts the page shape on the way."""
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(100):
        query = dict(params) | ({"cursor": cursor} if cursor else {})
        body = client.get(path, params=query).json()
        assert set(body) == {field, "hasMore", "nextCursor"}, body
        items += body[field]
        if not body["hasMore"]:
            assert body["nextCursor"] is None
            return items
        cursor = body["nextCursor"]
        assert isinstance(cursor, str) and cursor
    raise AssertionError("pagination never ended")


def speech(client: httpx.Client, text: str = "Hello from the sandbox.", **fields: Any) -> dict[str, Any]:
    response = client.post("/v1/tools/text-to-speech", json={"ttsText": text, "voiceId": VOICE, **fields})
    assert response.status_code == 202, response.text
    return wait_execution(client, response.json()["toolExecutionId"])


# -- generation B: the spec ---------------------------------------------------------------------------


def test_b_presenters_span_pages_at_a_small_limit(gen_b: SandboxServer) -> None:
    with api_client(gen_b) as client:
        first = client.get("/v1/resources/avatar-presenters", params={"limit": 5}).json()
        assert len(first["avatarPresenters"]) == 5 and first["hasMore"] is True
        walked = walk(client, "/v1/resources/avatar-presenters", "avatarPresenters", limit=5)
        whole = client.get("/v1/resources/avatar-presenters").json()  # default limit 50: one page of 24
    ids = [p["avatarPresenterId"] for p in walked]
    assert len(ids) == len(set(ids)) == gen_b.config.presenter_count
    assert ids == [p["avatarPresenterId"] for p in whole["avatarPresenters"]]
    assert whole["hasMore"] is False and whole["nextCursor"] is None


def test_b_voices_and_files_are_paginated_too(gen_b: SandboxServer) -> None:
    with api_client(gen_b) as client:
        voices = walk(
            client, "/v1/resources/tts-voices", "ttsVoices", limit=4, includeDeprecatedVoices="true"
        )
        assert len(voices) == gen_b.config.voice_count
        for n in range(3):
            speech(client, f"Clip number {n}.")
        files = walk(client, "/v1/files", "files", limit=2)
    assert len(files) == 3
    assert [f["transcript"] for f in files] == [f"Clip number {n}." for n in (2, 1, 0)]  # newest first


@pytest.mark.parametrize("limit", ["0", "201", "ten", "-1"])
def test_b_limit_out_of_range_is_refused(gen_b: SandboxServer, limit: str) -> None:
    with api_client(gen_b) as client:
        response = client.get("/v1/resources/tts-voices", params={"limit": limit})
    assert response.status_code == 400 and response.json()["code"] == "invalid_parameters"


def test_b_limit_200_is_the_maximum(tmp_path: Path, sandbox_assets: Path) -> None:
    with serve(tmp_path, sandbox_assets, "B", presenter_count=230) as server, api_client(server) as client:
        page = client.get("/v1/resources/avatar-presenters", params={"limit": 200}).json()
        default = client.get("/v1/resources/avatar-presenters").json()
    assert len(page["avatarPresenters"]) == 200 and page["hasMore"] is True
    assert len(default["avatarPresenters"]) == 50


def test_b_cursor_is_tied_to_its_endpoint(gen_b: SandboxServer) -> None:
    with api_client(gen_b) as client:
        cursor = client.get("/v1/resources/tts-voices", params={"limit": 2}).json()["nextCursor"]
        elsewhere = client.get("/v1/resources/avatar-presenters", params={"cursor": cursor})
        damaged = client.get("/v1/resources/tts-voices", params={"cursor": cursor[:-2] + "xx"})
        garbage = client.get("/v1/files", params={"cursor": "not-a-cursor"})
        fine = client.get("/v1/resources/tts-voices", params={"cursor": cursor, "limit": 2})
    for response in (elsewhere, damaged, garbage):
        assert response.status_code == 400 and response.json()["code"] == "invalid_parameters", response.text
    assert fine.status_code == 200 and len(fine.json()["ttsVoices"]) == 2


def test_b_presenters_sorted_by_best_match_for_a_voice(gen_b: SandboxServer) -> None:
    with api_client(gen_b) as client:
        voices = client.get("/v1/resources/tts-voices").json()["ttsVoices"]
        male = next(v for v in voices if v["displayGender"] == "MALE")
        sorted_for_male = walk(
            client, "/v1/resources/avatar-presenters", "avatarPresenters", voiceId=male["voiceId"]
        )
        unknown = client.get("/v1/resources/avatar-presenters", params={"voiceId": "vg_voic_nobody"})
    genders = [p["displayableGender"] for p in sorted_for_male]
    males = genders.count("MALE")
    assert males > 0 and genders[:males] == ["MALE"] * males
    assert unknown.status_code == 400


def test_b_me_names_the_account_never_the_key(gen_b: SandboxServer) -> None:
    gen_b.add_account(
        "vg_key_team",
        SandboxAccount(email="ada@example.com", display_name="Ada", team_id="vg_team_x", key_nickname="ci"),
    )
    with api_client(gen_b) as client:
        me = client.get("/v1/me").json()
        other = client.get("/v1/me", headers={"Authorization": "Bearer vg_key_team"}).json()
    assert set(me) == {"apiKeyId", "apiKeyNickname", "email", "displayName", "teamId"}
    assert gen_b.api_key not in str(me)
    assert other == {
        "apiKeyId": other["apiKeyId"],
        "apiKeyNickname": "ci",
        "email": "ada@example.com",
        "displayName": "Ada",
        "teamId": "vg_team_x",
    }


def test_b_tts_requires_a_voice_and_ids_are_vg_tool(gen_b: SandboxServer) -> None:
    with api_client(gen_b) as client:
        missing = client.post("/v1/tools/text-to-speech", json={"ttsText": "No voice."})
        done = speech(client)
    assert missing.status_code == 400 and missing.json()["code"] == "invalid_parameters"
    assert "voiceId" in missing.json()["message"]
    assert done["toolExecutionId"].startswith("vg_tool_")
    assert done["status"] == "succeeded" and done["progressPercentage"] == 100 and done["attemptIndex"] == 0


def test_b_executions_list_newest_first_and_self_only(gen_b: SandboxServer) -> None:
    gen_b.state.accounts[gen_b.api_key].team_id = "vg_team_shared"
    gen_b.add_account("vg_key_mate", SandboxAccount(team_id="vg_team_shared"))
    gen_b.add_account("vg_key_stranger", SandboxAccount())
    mate = {"Authorization": "Bearer vg_key_mate"}
    with api_client(gen_b) as client:
        mine = [speech(client, f"Mine {n}.")["toolExecutionId"] for n in range(3)]
        theirs = client.post(
            "/v1/tools/text-to-speech", json={"ttsText": "Theirs.", "voiceId": VOICE}, headers=mate
        ).json()["toolExecutionId"]
        client.post(
            "/v1/tools/text-to-speech",
            json={"ttsText": "A stranger's.", "voiceId": VOICE},
            headers={"Authorization": "Bearer vg_key_stranger"},
        )
        team = walk(client, "/v1/tools/executions", "toolExecutions", limit=2)
        own = walk(client, "/v1/tools/executions", "toolExecutions", selfOnly="true")
    assert [e["toolExecutionId"] for e in team] == [theirs, *reversed(mine)]
    assert [e["toolExecutionId"] for e in own] == list(reversed(mine))
    assert all({"progressPercentage", "attemptIndex", "toolType", "status"} <= set(e) for e in team)


def test_b_file_search_matches_name_and_transcript(gen_b: SandboxServer) -> None:
    with api_client(gen_b) as client:
        speech(client, "The quarterly sales review starts now.")
        speech(client, "Welcome to the onboarding tour.")
        speech(client, "A temporary greeting about sales.", isOutputTemporary=True)
        found = client.post("/v1/files/search", json={"query": "sales review"}).json()["results"]
        partial = client.post("/v1/files/search", json={"query": "onboard"}).json()["results"]
        nothing = client.post("/v1/files/search", json={"query": "zebra"}).json()["results"]
        empty = client.post("/v1/files/search", json={"query": ""})
    assert [r["file"]["transcript"] for r in found] == ["The quarterly sales review starts now."]
    assert found[0]["similarity"] == 1.0
    assert len(partial) == 1 and 0 < partial[0]["similarity"] < 1
    assert nothing == [] and empty.status_code == 400


def test_b_public_preview_gives_a_permanent_public_url_until_disabled(gen_b: SandboxServer) -> None:
    with api_client(gen_b) as client:
        file_id = speech(client)["results"][0]["fileId"]
        shared = client.post(f"/v1/files/{file_id}/enable-public-preview").json()
        url = shared["staticPublicPreviewSource"]["url"]
        public = loopback_http.get(url)  # no Authorization, no signature
        playlist = loopback_http.get(shared["publicHlsUrl"])
        again = client.get(f"/v1/files/{file_id}").json()
        hidden = client.post(f"/v1/files/{file_id}/disable-public-preview").json()
        gone = loopback_http.get(url)
    assert shared["isPublicPreviewEnabled"] is True and shared["publicPlaybackId"].startswith("vg_play_")
    assert shared["staticPublicPreviewSource"]["expiresAt"] is None
    assert public.status_code == 200 and public.content[:3] in (b"ID3", b"\xff\xfb", b"\xff\xf3")
    assert playlist.text.startswith("#EXTM3U")
    assert again["isPublicPreviewEnabled"] is True
    assert hidden["isPublicPreviewEnabled"] is False and hidden["staticPublicPreviewSource"] is None
    assert gone.status_code == 404


def test_b_has_entities_but_refuses_the_actor_form(gen_b: SandboxServer) -> None:
    with api_client(gen_b) as client:
        actor = client.get("/v1/entities", params={"entityType": "ACTOR", "limit": 1}).json()["entities"][0]
        audio = speech(client)["results"][0]["fileId"]
        response = client.post(
            "/v1/tools/generate-avatar", json={"actorEntityId": actor["entityId"], "audioFileId": audio}
        )
    assert response.status_code == 400 and response.json()["code"] == "invalid_parameters"


def test_b_money_errors_use_the_spec_codes(gen_b: SandboxServer) -> None:
    with api_client(gen_b) as client:
        audio = speech(client)["results"][0]["fileId"]
        presenter = client.get("/v1/resources/avatar-presenters").json()["avatarPresenters"][0]
        body = {"avatarPresenterId": presenter["avatarPresenterId"], "audioStorageFileId": audio}
        addon = client.post("/v1/tools/generate-avatar", json=body | {"watermarkMode": "NONE"})
        gen_b.state.accounts[gen_b.api_key].credits = 0
        broke = client.post("/v1/tools/generate-avatar", json=body)
    assert addon.status_code == 403 and addon.json()["requirement"]["type"] == "purchase_add_on"
    assert broke.status_code == 402 and broke.json()["code"] == "insufficient_credits"
    assert broke.json()["requirement"]["type"] == "upgrade_plan"


# -- generation A: the May shape ----------------------------------------------------------------------


def test_a_lists_are_one_page_without_pagination_fields(gen_a: SandboxServer) -> None:
    with api_client(gen_a) as client:
        presenters = client.get("/v1/resources/avatar-presenters", params={"limit": 2}).json()
        voices = client.get("/v1/resources/tts-voices").json()
        files = client.get("/v1/files").json()
    assert set(presenters) == {"avatarPresenters"} and len(presenters["avatarPresenters"]) == 24
    assert set(voices) == {"ttsVoices"} and set(files) == {"files"}


def test_a_has_no_me_no_history_no_entities(gen_a: SandboxServer) -> None:
    with api_client(gen_a) as client:
        for path in ("/v1/me", "/v1/tools/executions", "/v1/entities"):
            response = client.get(path)
            assert response.status_code == 404 and response.json()["code"] == "not_found", path


def test_a_tts_voice_is_optional_and_ids_are_vg_exec(gen_a: SandboxServer) -> None:
    with api_client(gen_a) as client:
        response = client.post("/v1/tools/text-to-speech", json={"ttsText": "No voice needed."})
        assert response.status_code == 202
        done = wait_execution(client, response.json()["toolExecutionId"])
    assert done["toolExecutionId"].startswith("vg_exec_") and done["status"] == "succeeded"


# -- generation C: the SDK 2.x shape ------------------------------------------------------------------


def test_c_has_no_presenter_list(gen_c: SandboxServer) -> None:
    with api_client(gen_c) as client:
        response = client.get("/v1/resources/avatar-presenters")
    assert response.status_code == 404


def test_c_actor_entities_with_a_hydratable_reference_image(gen_c: SandboxServer) -> None:
    with api_client(gen_c) as client:
        actors = walk(client, "/v1/entities", "entities", entityType="ACTOR", limit=7)
        actor = actors[0]
        reference = next(r for r in actor["references"] if r["isDefault"])
        plain = client.get(f"/v1/files/{reference['fileId']}").json()
        hydrated = client.post(f"/v1/files/{reference['fileId']}/hydrate").json()
        thumb = loopback_http.get(hydrated["thumbnailSource"]["url"])
        single = client.get(f"/v1/entities/{actor['entityId']}").json()
        visual = client.get("/v1/entities", params={"entityType": "VISUAL_STYLE"}).json()
    assert len(actors) == gen_c.config.presenter_count
    assert {a["entityType"] for a in actors} == {"ACTOR"}
    assert (
        actor["name"]
        and actor["description"]
        and set(actor["actorConfig"])
        == {
            "voiceDisplayName",
            "hasVoice",
            "hasAvatarPresenter",
        }
    )
    assert plain["type"] == "IMAGE" and plain["scope"] == "ENTITY" and plain["thumbnailSource"]["url"] is None
    assert thumb.status_code == 200 and Image.open(io.BytesIO(thumb.content)).size == (160, 160)
    assert single == actor and visual["entities"] == []


def _actor_audio(client: httpx.Client) -> tuple[dict[str, Any], str]:
    actors = client.get("/v1/entities", params={"entityType": "ACTOR"}).json()["entities"]
    actor = next(a for a in actors if a["actorConfig"]["hasAvatarPresenter"])
    return actor, speech(client)["results"][0]["fileId"]


def test_c_actor_form_avatar_renders_at_the_asked_quality(gen_c: SandboxServer) -> None:
    with api_client(gen_c) as client:
        actor, audio = _actor_audio(client)
        body = {"actorEntityId": actor["entityId"], "audioFileId": audio, "avatarQuality": "LOW"}
        response = client.post("/v1/tools/generate-avatar", json=body)
        assert response.status_code == 202, response.text
        done = wait_execution(client, response.json()["toolExecutionId"])
        bad_quality = client.post("/v1/tools/generate-avatar", json=body | {"avatarQuality": "ULTRA"})
    assert done["status"] == "succeeded" and done["toolType"] == "GENERATE_AVATAR"
    video = done["results"][0]["file"]
    assert video["type"] == "VIDEO" and video["downloadSource"]["width"] == gen_c.config.video_size // 2
    assert bad_quality.status_code == 400


def test_c_refuses_the_presenter_form_and_actors_without_avatar(gen_c: SandboxServer) -> None:
    with api_client(gen_c) as client:
        _, audio = _actor_audio(client)
        presenter_form = client.post(
            "/v1/tools/generate-avatar",
            json={"avatarPresenterId": gen_c.state.presenters[0].presenter_id, "audioStorageFileId": audio},
        )
        no_avatar = next(a for a in gen_c.state.actors if not a.has_avatar)
        refused = client.post(
            "/v1/tools/generate-avatar", json={"actorEntityId": no_avatar.entity_id, "audioFileId": audio}
        )
    assert presenter_form.status_code == 400 and "actorEntityId" in presenter_form.json()["message"]
    assert refused.status_code == 400 and "no avatar presenter" in refused.json()["message"]


def test_c_presenter_form_can_be_allowed(tmp_path: Path, sandbox_assets: Path) -> None:
    with (
        serve(tmp_path, sandbox_assets, "C", c_accepts_presenter_form=True) as server,
        api_client(server) as c,
    ):
        audio = speech(c)["results"][0]["fileId"]
        body = {"avatarPresenterId": server.state.presenters[0].presenter_id, "audioStorageFileId": audio}
        assert c.post("/v1/tools/generate-avatar", json=body).status_code == 202


def test_c_approval_gate_holds_results_until_approved(tmp_path: Path, sandbox_assets: Path) -> None:
    with serve(tmp_path, sandbox_assets, "C", approval_required=True) as server, api_client(server) as client:
        response = client.post("/v1/tools/text-to-speech", json={"ttsText": "Approve me.", "voiceId": VOICE})
        execution_id = response.json()["toolExecutionId"]
        held = _wait_status(client, execution_id, "awaiting_approval")
        listed = loopback_http.get(
            f"{server.base_url}/_sandbox/executions", params={"status": "awaiting_approval"}
        )
        approved = loopback_http.post(f"{server.base_url}/_sandbox/executions/{execution_id}/approve")
        after = client.get(f"/v1/tools/executions/{execution_id}").json()
        twice = loopback_http.post(f"{server.base_url}/_sandbox/executions/{execution_id}/approve")
    assert "results" not in held and held["progressPercentage"] == 100
    assert [row["toolExecutionId"] for row in listed.json()["executions"]] == [execution_id]
    assert approved.status_code == 200 and approved.json()["status"] == "succeeded"
    assert after["status"] == "succeeded" and after["results"][0]["type"] == "AUDIO"
    assert twice.status_code == 409


def test_c_approval_from_python_and_cancel_while_waiting(tmp_path: Path, sandbox_assets: Path) -> None:
    with serve(tmp_path, sandbox_assets, "C", approval_required=True) as server, api_client(server) as client:
        ids = [
            client.post("/v1/tools/text-to-speech", json={"ttsText": t, "voiceId": VOICE}).json()[
                "toolExecutionId"
            ]
            for t in ("One.", "Two.")
        ]
        for execution_id in ids:
            _wait_status(client, execution_id, "awaiting_approval")
        assert sorted(server.state.awaiting_approval()) == sorted(ids)
        server.state.approve(ids[0])
        before = server.state.accounts[server.api_key].credits
        cancel = client.post(f"/v1/tools/executions/{ids[1]}/cancel")
        statuses = [client.get(f"/v1/tools/executions/{i}").json()["status"] for i in ids]
    assert cancel.status_code == 202 and statuses == ["succeeded", "cancelled"]
    assert server.state.accounts[server.api_key].credits == before + 1  # the refused result is refunded


def test_approval_gate_is_a_generation_c_feature() -> None:
    with pytest.raises(ValueError, match="generation C"):
        SandboxConfig(api_generation="B", approval_required=True)
    with pytest.raises(ValueError, match="A, B or C"):
        SandboxConfig(api_generation="D")


def test_approval_gate_survives_a_restart(tmp_path: Path, sandbox_assets: Path) -> None:
    with serve(tmp_path, sandbox_assets, "C", approval_required=True) as server, api_client(server) as client:
        response = client.post("/v1/tools/text-to-speech", json={"ttsText": "Later.", "voiceId": VOICE})
        execution_id = response.json()["toolExecutionId"]
        _wait_status(client, execution_id, "awaiting_approval")
    with serve(tmp_path, sandbox_assets, "C", approval_required=True) as server, api_client(server) as client:
        assert client.get(f"/v1/tools/executions/{execution_id}").json()["status"] == "awaiting_approval"
        server.state.approve(execution_id)
        assert client.get(f"/v1/tools/executions/{execution_id}").json()["status"] == "succeeded"


def test_demo_catalogue_needs_pagination(tmp_path: Path, sandbox_assets: Path) -> None:
    config = SandboxConfig.demo()
    assert config.api_generation == "B"
    server = SandboxServer(tmp_path / "demo", assets_dir=sandbox_assets, config=config)
    server.start()
    try:
        with api_client(server) as client:
            presenters = walk(client, "/v1/resources/avatar-presenters", "avatarPresenters")
            voices = walk(client, "/v1/resources/tts-voices", "ttsVoices", includeDeprecatedVoices="true")
            info = loopback_http.get(f"{server.base_url}/_sandbox/info").json()
    finally:
        server.stop()
    assert len(presenters) >= 120 and len(voices) >= 60
    assert info["apiGeneration"] == "B" and info["presenters"] == len(presenters)


def _wait_status(client: httpx.Client, execution_id: str, status: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while True:
        body = client.get(f"/v1/tools/executions/{execution_id}").json()
        if body["status"] == status:
            return body
        assert body["status"] in ("pending", "running") and time.monotonic() < deadline, body
        time.sleep(0.02)


def test_generation_sandbox_fixture_plays_each_generation(generation_sandbox: SandboxServer) -> None:
    generation = generation_sandbox.config.api_generation
    with api_client(generation_sandbox) as client:
        me = client.get("/v1/me")
        presenters = client.get("/v1/resources/avatar-presenters")
    assert me.status_code == (404 if generation == "A" else 200)
    assert presenters.status_code == (404 if generation == "C" else 200)


def test_b_file_pages_survive_archiving_and_new_files(gen_b: SandboxServer) -> None:
    with api_client(gen_b) as client:
        for n in range(4):
            speech(client, f"Take {n}.")
        first = client.get("/v1/files", params={"limit": 2}).json()
        client.post(f"/v1/files/{first['files'][-1]['fileId']}/archive")  # the cursor's own item goes away
        speech(client, "A newer take arrives meanwhile.")
        rest = client.get("/v1/files", params={"limit": 2, "cursor": first["nextCursor"]}).json()
    seen = [f["transcript"] for f in first["files"] + rest["files"]]
    assert seen == ["Take 3.", "Take 2.", "Take 1.", "Take 0."]  # no repeats, nothing skipped
    assert rest["hasMore"] is False


def test_account_profile_survives_a_restart(tmp_path: Path, sandbox_assets: Path) -> None:
    profile = SandboxAccount(
        email="lin@example.com", display_name="Lin", team_id="vg_team_lin", key_nickname="laptop"
    )
    with serve(tmp_path, sandbox_assets, "B") as server:
        server.add_account("vg_key_lin", profile)
    with serve(tmp_path, sandbox_assets, "B") as server:
        me = loopback_http.get(
            f"{server.base_url}/v1/me", headers={"Authorization": "Bearer vg_key_lin"}
        ).json()
    assert (me["email"], me["displayName"], me["teamId"], me["apiKeyNickname"]) == (
        "lin@example.com",
        "Lin",
        "vg_team_lin",
        "laptop",
    )
