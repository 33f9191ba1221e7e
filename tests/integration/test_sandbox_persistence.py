"""The sandbox remembers: a new SandboxServer on the same data_dir knows everything the previous one knew.

Each "restart" stops one server and starts a fresh one (new ports, new threads) on the same folder, exactly as
the app's offline mode does across app restarts. Everything goes over real HTTP.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import loopback_http
import pytest
from sandbox_helpers import VOICE

from videogen_studio.sandbox import SandboxConfig, SandboxServer
from videogen_studio.sandbox.executions import Execution
from videogen_studio.sandbox.files import Source, StoredFile
from videogen_studio.sandbox.persist import SNAPSHOT_NAME

TERMINAL = {"succeeded", "failed", "cancelled"}
WAIT_S = 60.0  # hang guard only


@contextmanager
def running(data_dir: Path, assets: Path, config: SandboxConfig | None = None) -> Iterator[SandboxServer]:
    with SandboxServer(data_dir, assets_dir=assets, config=config or SandboxConfig.fast()) as server:
        yield server


@contextmanager
def api(server: SandboxServer) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {server.api_key}"}
    with loopback_http.Client(base_url=server.base_url, headers=headers, timeout=30) as client:
        yield client


def start(client: httpx.Client, tool: str, body: dict[str, Any]) -> str:
    response = client.post(f"/v1/tools/{tool}", json=body)
    assert response.status_code == 202, response.text
    return response.json()["toolExecutionId"]


def wait_status(client: httpx.Client, execution_id: str, wanted: set[str]) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT_S
    while True:
        response = client.get(f"/v1/tools/executions/{execution_id}")
        assert response.status_code == 200, response.text
        body = response.json()
        if body["status"] in wanted:
            return body
        assert time.monotonic() < deadline, f"execution never reached {wanted}: {body}"
        time.sleep(0.02)


def credits(server: SandboxServer) -> float:
    response = loopback_http.get(f"{server.base_url}/_sandbox/accounts/{server.api_key}")
    assert response.status_code == 200, response.text
    return response.json()["credits"]


def on(server: SandboxServer, url: str) -> str:
    """The same signed path and query, on this server's storage origin (ports change across restarts)."""
    parts = urlsplit(url)
    return f"{server.storage_url}{parts.path}?{parts.query}"


def fetch(url: str) -> bytes:
    response = loopback_http.get(url, timeout=30)  # signed URLs are fetched without the API key
    assert response.status_code == 200, response.text
    return response.content


def first_presenter(client: httpx.Client) -> str:
    return client.get("/v1/resources/avatar-presenters").json()["avatarPresenters"][0]["avatarPresenterId"]


# -- (1) finished work survives --------------------------------------------------------------------------


def test_finished_tts_file_and_avatar_execution_survive_a_restart(
    tmp_path: Path, sandbox_assets: Path
) -> None:
    data = tmp_path / "sandbox"
    with running(data, sandbox_assets) as first, api(first) as client:
        tts_id = start(client, "text-to-speech", {"voiceId": VOICE, "ttsText": "Welcome back to the studio."})
        tts = wait_status(client, tts_id, TERMINAL)
        assert tts["status"] == "succeeded", tts
        audio_id = tts["results"][0]["fileId"]
        body = {"avatarPresenterId": first_presenter(client), "audioStorageFileId": audio_id}
        avatar_id = start(client, "generate-avatar", body)
        avatar = wait_status(client, avatar_id, TERMINAL)
        assert avatar["status"] == "succeeded", avatar
        video_id = avatar["results"][0]["fileId"]
        hydrated = client.post(f"/v1/files/{video_id}/hydrate").json()
        old_url = hydrated["downloadSource"]["url"]
        video_bytes = fetch(old_url)
        audio_bytes = fetch(client.post(f"/v1/files/{audio_id}/hydrate").json()["downloadSource"]["url"])
        assert client.post(f"/v1/files/{audio_id}/archive").status_code == 200
        spent = credits(first)
        assert spent == 1000 - 1 - 1  # one TTS, one avatar

    with running(data, sandbox_assets) as second, api(second) as client:
        again = client.get(f"/v1/tools/executions/{avatar_id}")
        assert again.status_code == 200, again.text
        restored = again.json()
        assert restored["status"] == "succeeded"
        assert restored["toolType"] == "GENERATE_AVATAR"
        assert [r["fileId"] for r in restored["results"]] == [video_id]
        assert restored["createdAt"] == avatar["createdAt"]
        assert client.get(f"/v1/tools/executions/{tts_id}").json()["results"][0]["fileId"] == audio_id

        # The video hydrates on the new server and downloads the very same bytes.
        video = client.post(f"/v1/files/{video_id}/hydrate").json()
        assert video["downloadSource"]["status"] == "ready"
        assert video["downloadSource"]["url"].startswith(second.storage_url + "/f/")
        assert video["sourceToolExecutionId"] == avatar_id
        assert video["durationSeconds"] == hydrated["durationSeconds"]
        assert fetch(video["downloadSource"]["url"]) == video_bytes
        # A URL signed before the restart still verifies (same secret) once pointed at the new port.
        assert fetch(on(second, old_url)) == video_bytes

        # Archived stays archived (not listed) and still hydrates, per API semantics.
        listed = [f["fileId"] for f in client.get("/v1/files").json()["files"]]
        assert listed == [video_id]
        audio = client.post(f"/v1/files/{audio_id}/hydrate").json()
        assert audio["archivedAt"] is not None
        assert audio["transcript"] == tts["results"][0]["file"]["transcript"]
        assert fetch(audio["downloadSource"]["url"]) == audio_bytes

        # Credits spent before the restart stay spent; new work is charged from there.
        assert credits(second) == spent
        new_id = start(
            client, "text-to-speech", {"voiceId": VOICE, "ttsText": "And a new line after the restart."}
        )
        assert wait_status(client, new_id, TERMINAL)["status"] == "succeeded"
        assert credits(second) == spent - 1


# -- (2) unfinished work resumes ------------------------------------------------------------------------


def test_running_and_pending_executions_finish_after_restart_and_are_charged_once(
    tmp_path: Path, sandbox_assets: Path
) -> None:
    data = tmp_path / "sandbox"
    slow = SandboxConfig.fast()
    slow.avatar_running_s = 300.0  # the avatar is still "running" when the server stops
    with running(data, sandbox_assets, slow) as first, api(first) as client:
        before = credits(first)
        tts = wait_status(
            client, start(client, "text-to-speech", {"voiceId": VOICE, "ttsText": "Hold on."}), TERMINAL
        )
        audio_id = tts["results"][0]["fileId"]
        body = {"avatarPresenterId": first_presenter(client), "audioStorageFileId": audio_id}
        avatar_id = start(client, "generate-avatar", body)
        wait_status(client, avatar_id, {"running"})
        slow.tts_pending_s = 300.0  # and this one is still "pending"
        pending_id = start(
            client, "text-to-speech", {"voiceId": VOICE, "ttsText": "Queued before the restart."}
        )
        assert client.get(f"/v1/tools/executions/{pending_id}").json()["status"] == "pending"
        charged = credits(first)
        assert charged == before - 3  # finished TTS, running avatar, pending TTS: 1 credit each
    orphan = data / "files" / "vg_file_0rphan0f0crash"  # what a render killed mid-way leaves behind
    orphan.mkdir()
    (orphan / "avatar.mp4").write_bytes(b"half a video")

    with running(data, sandbox_assets) as second, api(second) as client:
        assert not orphan.exists()  # no snapshot record points at it: removed on start
        # Same ids, polled by the client as if nothing happened; they finish on the new server.
        assert client.get(f"/v1/tools/executions/{avatar_id}").json()["status"] in {"running", "succeeded"}
        done = wait_status(client, avatar_id, TERMINAL)
        assert done["status"] == "succeeded", done
        assert done["progressPercentage"] == 100
        assert done["attemptIndex"] == 1  # the run the stop interrupted was retried
        assert client.get(f"/v1/tools/executions/{pending_id}").json()["attemptIndex"] == 0
        video = client.post(f"/v1/files/{done['results'][0]['fileId']}/hydrate").json()
        assert video["type"] == "VIDEO"
        assert len(fetch(video["downloadSource"]["url"])) == video["downloadSource"]["fileBytes"]
        queued = wait_status(client, pending_id, TERMINAL)
        assert queued["status"] == "succeeded", queued
        speech = client.post(f"/v1/files/{queued['results'][0]['fileId']}/hydrate").json()
        assert speech["transcript"] == "Queued before the restart."
        assert fetch(speech["downloadSource"]["url"])

        # Charged once, at submission on the first server; resuming charged nothing.
        assert credits(second) == charged
        executions = second.state.executions
        assert executions[avatar_id].charged == executions[pending_id].charged == 1
        assert (data / "files" / audio_id).is_dir()  # media of known files is kept, of course


# -- (3) a corrupt snapshot never blocks start-up ------------------------------------------------------


def _truncated(snapshot: bytes) -> bytes:
    return snapshot[: len(snapshot) // 2]


def _wrong_record(snapshot: bytes) -> bytes:
    payload = json.loads(snapshot)
    payload["executions"][0]["status"] = 42
    return json.dumps(payload).encode()


@pytest.mark.parametrize(
    "damage",
    [lambda _: b"\x00\xffnot json at all", _truncated, _wrong_record, lambda _: b"[]"],
    ids=["garbage", "truncated", "bad-record", "not-an-object"],
)
def test_corrupt_snapshot_is_moved_aside_and_the_server_starts_empty(
    tmp_path: Path, sandbox_assets: Path, caplog: pytest.LogCaptureFixture, damage: Any
) -> None:
    data = tmp_path / "sandbox"
    with running(data, sandbox_assets) as first, api(first) as client:
        old_id = start(client, "text-to-speech", {"voiceId": VOICE, "ttsText": "Soon forgotten."})
        assert wait_status(client, old_id, TERMINAL)["status"] == "succeeded"
    snapshot = data / SNAPSHOT_NAME
    damaged = damage(snapshot.read_bytes())
    snapshot.write_bytes(damaged)

    with caplog.at_level(logging.WARNING), running(data, sandbox_assets) as second, api(second) as client:
        aside = list(data.glob(f"{SNAPSHOT_NAME}.corrupt-*"))
        assert len(aside) == 1 and aside[0].read_bytes() == damaged  # kept for inspection
        assert any("unusable" in record.getMessage() for record in caplog.records)
        assert client.get(f"/v1/tools/executions/{old_id}").status_code == 404
        assert client.get("/v1/files").json()["files"] == []
        assert credits(second) == 1000
        new_id = start(client, "text-to-speech", {"voiceId": VOICE, "ttsText": "A fresh start."})
        assert wait_status(client, new_id, TERMINAL)["status"] == "succeeded"
    assert new_id in {e["id"] for e in json.loads(snapshot.read_bytes())["executions"]}


# -- (4) one data_dir, one world -------------------------------------------------------------------------


def test_state_is_not_visible_to_a_server_with_another_data_dir(tmp_path: Path, sandbox_assets: Path) -> None:
    with running(tmp_path / "a", sandbox_assets) as first, api(first) as client:
        execution_id = start(client, "text-to-speech", {"voiceId": VOICE, "ttsText": "Only in folder a."})
        file_id = wait_status(client, execution_id, TERMINAL)["results"][0]["fileId"]
        spent = credits(first)
    with running(tmp_path / "b", sandbox_assets) as other, api(other) as client:
        assert client.get(f"/v1/tools/executions/{execution_id}").status_code == 404
        assert client.get(f"/v1/files/{file_id}").status_code == 404
        assert client.get("/v1/files").json()["files"] == []
        assert credits(other) == 1000
    with running(tmp_path / "a", sandbox_assets) as again, api(again) as client:
        assert client.get(f"/v1/files/{file_id}").status_code == 200
        assert credits(again) == spent


# -- more edges ------------------------------------------------------------------------------------------


def test_missing_media_becomes_failed_sources(tmp_path: Path, sandbox_assets: Path) -> None:
    data = tmp_path / "sandbox"
    with running(data, sandbox_assets) as first, api(first) as client:
        execution_id = start(client, "text-to-speech", {"voiceId": VOICE, "ttsText": "Gone tomorrow."})
        file_id = wait_status(client, execution_id, TERMINAL)["results"][0]["fileId"]
    for media_file in (data / "files" / file_id).iterdir():
        media_file.unlink()

    with running(data, sandbox_assets) as second, api(second) as client:
        assert client.get(f"/v1/tools/executions/{execution_id}").json()["status"] == "succeeded"
        stored = client.post(f"/v1/files/{file_id}/hydrate").json()
        assert stored["downloadSource"]["status"] == "failed"
        assert stored["downloadSource"]["url"] is None
        assert stored["previewSource"]["status"] == "failed"
        assert stored["thumbnailSource"]["status"] == "skipped"
        body = {"avatarPresenterId": first_presenter(client), "audioStorageFileId": file_id}
        refused = client.post("/v1/tools/generate-avatar", json=body)
        assert refused.status_code == 400 and refused.json()["code"] == "invalid_parameters"


def test_upload_slot_survives_a_restart(tmp_path: Path, sandbox_assets: Path) -> None:
    data = tmp_path / "sandbox"
    with running(data, sandbox_assets) as first, api(first) as client:
        slot = client.post("/v1/files/upload", json={"displayName": "narration.mp3", "type": "AUDIO"}).json()
        spoken = wait_status(
            client, start(client, "text-to-speech", {"voiceId": VOICE, "ttsText": "Upload me."}), TERMINAL
        )
        mp3 = fetch(
            client.post(f"/v1/files/{spoken['results'][0]['fileId']}/hydrate").json()["downloadSource"]["url"]
        )

    with running(data, sandbox_assets) as second, api(second) as client:
        pending = client.get(f"/v1/files/{slot['fileId']}").json()
        assert pending["downloadSource"]["status"] == "pending"
        put = loopback_http.put(on(second, slot["uploadUrl"]), content=mp3)
        assert put.status_code == 200, put.text
        ready = client.post(f"/v1/files/{slot['fileId']}/hydrate").json()
        assert ready["type"] == "AUDIO" and ready["displayName"] == "narration.mp3"
        assert fetch(ready["downloadSource"]["url"]) == mp3
    with running(data, sandbox_assets) as third, api(third) as client:
        assert client.get(f"/v1/files/{slot['fileId']}").json()["downloadSource"]["status"] == "ready"


def test_persist_off_keeps_everything_in_memory(tmp_path: Path, sandbox_assets: Path) -> None:
    data = tmp_path / "sandbox"
    config = SandboxConfig.fast()
    config.persist = False
    with running(data, sandbox_assets, config) as first, api(first) as client:
        execution_id = start(client, "text-to-speech", {"voiceId": VOICE, "ttsText": "Ephemeral."})
        assert wait_status(client, execution_id, TERMINAL)["status"] == "succeeded"
    assert not (data / SNAPSHOT_NAME).exists()
    config = SandboxConfig.fast()
    config.persist = False
    with running(data, sandbox_assets, config) as second, api(second) as client:
        assert client.get(f"/v1/tools/executions/{execution_id}").status_code == 404


def test_large_state_round_trips_and_write_cost_is_reported(tmp_path: Path, sandbox_assets: Path) -> None:
    """500 executions and 1000 files: everything comes back; the cost of one snapshot write is printed."""
    data = tmp_path / "sandbox"
    with running(data, sandbox_assets) as first, api(first) as client:
        execution_id = start(
            client, "text-to-speech", {"voiceId": VOICE, "ttsText": "One real file to point at."}
        )
        real = first.state.files[wait_status(client, execution_id, TERMINAL)["results"][0]["fileId"]]
        state = first.state
        with state.lock:
            template = state.executions[execution_id]
            for index in range(1000):
                file_id = f"vg_file_bulk{index:08d}"
                state.files[file_id] = StoredFile(
                    file_id=file_id,
                    owner=first.api_key,
                    type="AUDIO",
                    scope="GLOBAL",
                    display_name=f"Speech – bulk line {index}",
                    created_at=time.time(),
                    duration=2.5,
                    transcript="Some words that were spoken in this bulk line. " * 3,
                    sources={name: Source(**vars(real.source(name))) for name in real.sources},
                    source_tool_type="TEXT_TO_SPEECH",
                    source_tool_execution_id=f"vg_exec_bulk{index // 2:08d}",
                )
            for index in range(500):
                bulk_id = f"vg_exec_bulk{index:08d}"
                state.executions[bulk_id] = Execution(
                    bulk_id,
                    first.api_key,
                    "TEXT_TO_SPEECH",
                    time.time(),
                    0.05,
                    0.1,
                    1.0,
                    template.job,
                    status="succeeded",
                    progress=100,
                    results=[f"vg_file_bulk{2 * index:08d}", f"vg_file_bulk{2 * index + 1:08d}"],
                    params=dict(template.params, text="A line of a long script. " * 8, numResults=2),
                )
        timings = []
        for _ in range(5):
            began = time.perf_counter()
            state._save()
            timings.append(time.perf_counter() - began)
        size = (data / SNAPSHOT_NAME).stat().st_size
        # The first write encodes every record; later ones reuse the encoded records of finished work.
        print(
            f"\nsnapshot with 501 executions + 1001 files: {size / 1e6:.2f} MB; "
            f"first write {timings[0] * 1000:.1f} ms, then "
            f"{min(timings[1:]) * 1000:.1f}-{max(timings[1:]) * 1000:.1f} ms per write"
        )

    with running(data, sandbox_assets) as second, api(second) as client:
        assert (
            len(second.state.executions) == 501
            and sum(f.asset_of is None for f in second.state.files.values()) == 1001
        )
        bulk = client.get("/v1/tools/executions/vg_exec_bulk00000499").json()
        assert bulk["status"] == "succeeded"
        assert [r["fileId"] for r in bulk["results"]] == ["vg_file_bulk00000998", "vg_file_bulk00000999"]
        assert fetch(client.post("/v1/files/vg_file_bulk00000999/hydrate").json()["downloadSource"]["url"])


def test_the_embedded_sandbox_keeps_its_picture_urls_from_one_start_to_the_next(
    tmp_path: Path, sandbox_assets: Path
) -> None:
    # The app's thumbnail cache is keyed by URL: a new storage port each start would miss it every time.
    import socket

    def first_thumbnail(server: SandboxServer) -> str:
        with api(server) as client:
            listing = client.get("/v1/resources/avatar-presenters").json()
        return str(listing["avatarPresenters"][0]["thumbnailUrl"])

    def start() -> SandboxServer:
        server = SandboxServer(
            tmp_path / "sb", assets_dir=sandbox_assets, config=SandboxConfig.fast(), keep_storage_port=True
        )
        server.start()
        return server

    server = start()
    url = first_thumbnail(server)
    server.stop()
    server = start()
    try:
        assert first_thumbnail(server) == url
        with loopback_http.Client(timeout=30) as client:  # and the picture is really there
            assert client.get(url).content.startswith(b"\x89PNG")
    finally:
        server.stop()
    # The port was taken by another program meanwhile: any free port, and that one is remembered next.
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", urlsplit(url).port or 0))
    blocker.listen()
    try:
        server = start()
        try:
            moved = first_thumbnail(server)
            assert urlsplit(moved).port != urlsplit(url).port
            with loopback_http.Client(timeout=30) as client:
                assert client.get(moved).status_code == 200
        finally:
            server.stop()
    finally:
        blocker.close()
    server = start()
    try:
        assert first_thumbnail(server) == moved
    finally:
        server.stop()
