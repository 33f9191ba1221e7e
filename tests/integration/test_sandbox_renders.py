"""End to end over real HTTP: script -> TTS -> avatar -> signed download, checked with PyAV."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import av
import httpx
import loopback_http
import numpy as np
import pytest
from PIL import Image
from sandbox_helpers import VOICE, wait_execution

from videogen_studio.sandbox import SandboxServer, media


def start(client: httpx.Client, tool: str, body: dict[str, Any]) -> str:
    response = client.post(f"/v1/tools/{tool}", json=body)
    assert response.status_code == 202, response.text
    return response.json()["toolExecutionId"]


def first_presenter(client: httpx.Client) -> str:
    return client.get("/v1/resources/avatar-presenters").json()["avatarPresenters"][0]["avatarPresenterId"]


def download(url: str, target: Path) -> Path:
    # Signed URLs are fetched without the API key, as the real client must.
    response = loopback_http.get(url, timeout=30)
    assert response.status_code == 200, response.text
    target.write_bytes(response.content)
    return target


def test_tts_then_avatar_end_to_end(sandbox: SandboxServer, client: httpx.Client, tmp_path: Path) -> None:
    tts = wait_execution(
        client, start(client, "text-to-speech", {"voiceId": VOICE, "ttsText": "Welcome to the studio."})
    )
    assert tts["status"] == "succeeded", tts
    assert tts["toolType"] == "TEXT_TO_SPEECH"
    audio = tts["results"][0]["file"]
    assert audio["type"] == "AUDIO"
    mp3 = download(audio["downloadSource"]["url"], tmp_path / "speech.mp3")
    assert media.probe_duration(mp3) == pytest.approx(audio["durationSeconds"], abs=0.1)
    assert mp3.stat().st_size == audio["downloadSource"]["fileBytes"]

    avatar_id = start(
        client,
        "generate-avatar",
        {"avatarPresenterId": first_presenter(client), "audioStorageFileId": audio["fileId"]},
    )
    done = wait_execution(client, avatar_id)
    assert done["status"] == "succeeded", done
    assert done["toolType"] == "GENERATE_AVATAR"
    video = done["results"][0]["file"]
    assert done["results"][0]["type"] == video["type"] == "VIDEO"
    assert video["sourceToolExecutionId"] == avatar_id
    source = video["downloadSource"]
    assert source["url"].startswith(sandbox.storage_url + "/f/")
    mp4 = download(source["url"], tmp_path / "avatar.mp4")

    with av.open(str(mp4)) as container:
        assert container.streams.video and container.streams.audio
        stream = container.streams.video[0]
        assert (stream.codec_context.name, stream.codec_context.width) == ("h264", sandbox.config.video_size)
        assert (source["width"], source["height"]) == (
            stream.codec_context.width,
            stream.codec_context.height,
        )
        assert container.streams.audio[0].codec_context.name == "aac"
        duration = container.duration / av.time_base
    assert duration == pytest.approx(audio["durationSeconds"], abs=0.15)
    assert video["durationSeconds"] == pytest.approx(audio["durationSeconds"], abs=0.15)

    thumb = loopback_http.get(video["thumbnailSource"]["url"])
    assert thumb.headers["content-type"] == "image/png"
    with Image.open(io.BytesIO(thumb.content)) as image:
        assert image.size == (video["thumbnailSource"]["width"], video["thumbnailSource"]["height"])

    posts = [e for e in sandbox.request_log if e.method == "POST" and e.path == "/v1/tools/generate-avatar"]
    assert len(posts) == 1
    storage_hits = [e for e in sandbox.request_log if e.origin == "storage"]
    assert storage_hits and not any("authorization" in e.headers for e in storage_hits)


def _first_frame(url: str) -> np.ndarray:
    data = loopback_http.get(url, timeout=30).content
    with av.open(io.BytesIO(data)) as container:
        frame = next(container.decode(video=0))
        return frame.to_ndarray(format="rgb24").astype(np.int16)


def test_watermark_modes_change_the_picture(sandbox: SandboxServer, client: httpx.Client) -> None:
    sandbox.state.accounts[sandbox.api_key].production_addon = True
    audio_id = wait_execution(client, start(client, "text-to-speech", {"voiceId": VOICE, "ttsText": "Hi."}))[
        "results"
    ][0]["fileId"]
    presenter = first_presenter(client)
    frames = {}
    for mode in ("NONE", "VIDEO_GEN", "AUTO"):
        body = {"avatarPresenterId": presenter, "audioStorageFileId": audio_id, "watermarkMode": mode}
        done = wait_execution(client, start(client, "generate-avatar", body))
        frames[mode] = _first_frame(done["results"][0]["file"]["downloadSource"]["url"])
    size = frames["NONE"].shape[0]
    corner = slice(size * 3 // 4, size)  # the watermark sits bottom-right
    top = slice(0, size // 4)

    def diff(a: str, b: str, rows: slice, cols: slice) -> float:
        return float(np.abs(frames[a][rows, cols] - frames[b][rows, cols]).mean())

    assert diff("NONE", "VIDEO_GEN", corner, corner) > 2.0
    assert diff("NONE", "VIDEO_GEN", top, top) < 1.0
    # AUTO with the Production add-on means no watermark.
    assert diff("NONE", "AUTO", corner, corner) < 1.0


def test_auto_watermark_without_addon_matches_video_gen(sandbox: SandboxServer, client: httpx.Client) -> None:
    audio_id = wait_execution(client, start(client, "text-to-speech", {"voiceId": VOICE, "ttsText": "Hi."}))[
        "results"
    ][0]["fileId"]
    presenter = first_presenter(client)
    frames = []
    for mode in ("AUTO", "VIDEO_GEN"):
        body = {"avatarPresenterId": presenter, "audioStorageFileId": audio_id, "watermarkMode": mode}
        done = wait_execution(client, start(client, "generate-avatar", body))
        frames.append(_first_frame(done["results"][0]["file"]["downloadSource"]["url"]))
    assert float(np.abs(frames[0] - frames[1]).mean()) < 1.0


def test_render_failure_fails_the_execution_and_refunds(
    sandbox: SandboxServer, client: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    audio_id = wait_execution(client, start(client, "text-to-speech", {"voiceId": VOICE, "ttsText": "Hi."}))[
        "results"
    ][0]["fileId"]

    def broken(*args: object, **kwargs: object) -> float:
        raise RuntimeError("encoder exploded")

    monkeypatch.setattr(media, "render_talking_head", broken)
    account = sandbox.state.accounts[sandbox.api_key]
    before = account.credits
    body = {"avatarPresenterId": first_presenter(client), "audioStorageFileId": audio_id}
    execution_id = start(client, "generate-avatar", body)
    assert account.credits < before
    done = wait_execution(client, execution_id)
    assert done["status"] == "failed"
    assert done["error"]["code"] == "render_failed"
    assert done["error"]["message"]
    assert "results" not in done
    assert account.credits == before
    assert [f["type"] for f in client.get("/v1/files").json()["files"]] == ["AUDIO"]


def test_two_renders_run_concurrently_and_all_finish(client: httpx.Client) -> None:
    ids = [
        start(client, "text-to-speech", {"voiceId": VOICE, "ttsText": f"Take number {n}."}) for n in range(4)
    ]
    results = [wait_execution(client, i) for i in ids]
    assert [r["status"] for r in results] == ["succeeded"] * 4
    transcripts = [r["results"][0]["file"]["transcript"] for r in results]
    assert transcripts == [f"Take number {n}." for n in range(4)]


def test_an_identical_order_is_a_copy_of_the_same_media(client: httpx.Client, tmp_path: Path) -> None:
    from videogen_studio.sandbox.render_memo import MEMO

    text = {"voiceId": VOICE, "ttsText": "Say it again, exactly the same."}
    clips: list[Path] = []
    for n in range(2):
        before = MEMO.hits
        tts = wait_execution(client, start(client, "text-to-speech", text))
        audio_id = tts["results"][0]["fileId"]
        body = {"avatarPresenterId": first_presenter(client), "audioStorageFileId": audio_id}
        avatar = wait_execution(client, start(client, "generate-avatar", body))
        assert avatar["status"] == "succeeded"
        if n == 1:
            assert MEMO.hits >= before + 2  # the speech and the clip were copies
        clips.append(download(avatar["results"][0]["file"]["downloadSource"]["url"], tmp_path / f"{n}.mp4"))
    assert clips[0].read_bytes() == clips[1].read_bytes()
    assert media.probe_duration(clips[1]) == pytest.approx(media.probe_duration(clips[0]))
    with av.open(str(clips[1])) as container:
        assert next(container.decode(video=0)).width > 0  # a playable clip, not a stub
