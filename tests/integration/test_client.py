"""The API client against the sandbox over real loopback HTTP: every endpoint and every error mapping."""

from __future__ import annotations

import errno
import os
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import av
import httpx
import pytest
from sandbox_helpers import posts

from videogen_studio.api import errors
from videogen_studio.api.client import SubmissionUncertain, VideoGenClient
from videogen_studio.api.models import AvatarRequest, PronunciationReplacement, TtsRequest
from videogen_studio.api.retry import RetryPolicy
from videogen_studio.sandbox import FaultRule, SandboxAccount, SandboxServer


def fast_retry() -> RetryPolicy:
    return RetryPolicy(base_delay_s=0.01, max_delay_s=0.05)


@pytest.fixture
async def client(sandbox: SandboxServer) -> AsyncIterator[VideoGenClient]:
    async with VideoGenClient(sandbox.base_url, sandbox.api_key, retry=fast_retry()) as c:
        yield c


async def direct_voice(client: VideoGenClient) -> str:
    """A voice text-to-speech accepts directly (generation B requires `voiceId`)."""
    return next(v.voice_id for v in await client.list_voices() if v.supports_direct_tool_execution)


def says(text: str, voice_id: str) -> TtsRequest:
    return TtsRequest(text, voice_id=voice_id)


async def speech_file(client: VideoGenClient, text: str = "Hello from the sandbox.") -> str:
    execution_id = await client.text_to_speech(says(text, await direct_voice(client)))
    done = await client.wait_for_execution(execution_id, interval=0.05)
    assert done.status == "succeeded", done.error
    return done.results[0].file_id


# ------------------------------------------------------------------------------------------------ resources
async def test_presenters_and_voices(client: VideoGenClient) -> None:
    presenters = await client.list_presenters()
    assert len(presenters) >= 24
    assert {p.displayable_gender for p in presenters} >= {"MALE", "FEMALE"}
    assert all(p.avatar_presenter_id.startswith("vg_pres_") for p in presenters)
    thumb = await client.fetch_public(presenters[0].thumbnail_url)
    assert thumb.startswith(b"\x89PNG")

    current = await client.list_voices()
    everything = await client.list_voices(include_deprecated=True)
    assert len(everything) >= 12
    assert not any(v.is_deprecated for v in current)
    assert any(v.is_deprecated for v in everything) and len(everything) > len(current)
    assert any(not v.supports_direct_tool_execution for v in everything)
    assert len({v.language_code for v in everything}) >= 3


# ------------------------------------------------------------------------------------------------ tools
async def test_tts_then_avatar_then_download(
    client: VideoGenClient, sandbox: SandboxServer, tmp_path: Path
) -> None:
    voice = next(v for v in await client.list_voices() if v.supports_direct_tool_execution)
    tts_id = await client.text_to_speech(
        TtsRequest(
            "Our numbers grew 15% in Q3.",
            voice_id=voice.voice_id,
            speech_language_code="en",
            pronunciation_replacements=(PronunciationReplacement("Q3", "the third quarter"),),
            auto_expand_pronunciation_replacements=True,
            voice_speed=1.1,
        )
    )
    assert tts_id  # an opaque id (vg_exec_… on generation A, vg_tool_… on B): never parsed
    seen: list[str] = []
    speech = await client.wait_for_execution(tts_id, interval=0.05, on_update=lambda e: seen.append(e.status))
    assert speech.status == "succeeded" and seen[-1] == "succeeded"
    audio = speech.results[0]
    assert audio.type == "AUDIO"

    presenter = (await client.list_presenters())[0]
    avatar_id = await client.generate_avatar(
        AvatarRequest(presenter.avatar_presenter_id, audio.file_id, watermark_mode="VIDEO_GEN")
    )
    video = await client.wait_for_execution(avatar_id, interval=0.05)
    assert video.status == "succeeded"
    assert video.results[0].type == "VIDEO"

    progress: list[tuple[int, int | None]] = []
    out = await client.download_file(
        video.results[0].file_id, tmp_path / "clip.mp4", progress=lambda d, t: progress.append((d, t))
    )
    assert out.exists() and not (tmp_path / "clip.mp4.part").exists()
    assert progress and progress[-1][0] == out.stat().st_size
    with av.open(str(out)) as container:
        assert container.streams.video and container.streams.audio
        assert container.duration and container.duration > 0
    # The API key never reached the storage origin.
    storage = [h for _m, _p, h, origin in sandbox.request_log if origin == "storage"]
    assert storage and not any("authorization" in {k.lower() for k in h} for h in storage)
    assert posts(sandbox, "/v1/tools/text-to-speech") == 1
    assert posts(sandbox, "/v1/tools/generate-avatar") == 1


async def test_cancel_execution(client: VideoGenClient, sandbox_config: object) -> None:
    execution_id = await client.text_to_speech(
        says("A sentence that will never be spoken. " * 5, await direct_voice(client))
    )
    await client.cancel_execution(execution_id)
    execution = await client.get_execution(execution_id)
    assert execution.status == "cancelled"
    with pytest.raises(errors.Conflict):  # cancelling a finished execution is a sandbox-choice 409
        await client.cancel_execution(execution_id)


async def test_files_get_hydrate_list_archive_and_upload(client: VideoGenClient, tmp_path: Path) -> None:
    file_id = await speech_file(client)
    plain = await client.get_file(file_id)
    assert plain.type == "AUDIO" and plain.needs_hydration()
    hydrated = await client.get_hydrated_file(file_id)
    assert hydrated.download_source is not None and hydrated.download_source.usable()
    assert file_id in {f.file_id for f in await client.list_files()}

    mp3 = await client.download_file(file_id, tmp_path / "speech.mp3")
    uploaded = await client.upload_file(mp3, file_type="AUDIO")
    assert uploaded.startswith("vg_file_") and uploaded != file_id
    presenter = (await client.list_presenters())[1]
    avatar = await client.wait_for_execution(
        await client.generate_avatar(AvatarRequest(presenter.avatar_presenter_id, uploaded)), interval=0.05
    )
    assert avatar.status == "succeeded"

    archived = await client.archive_file(file_id)
    assert archived.file_id == file_id
    assert file_id not in {f.file_id for f in await client.list_files()}


# ------------------------------------------------------------------------------------------------ errors
async def test_bad_and_revoked_keys(sandbox: SandboxServer) -> None:
    async with VideoGenClient(sandbox.base_url, "vg_key_made_up", retry=fast_retry()) as bad:
        with pytest.raises(errors.AuthError) as info:
            await bad.list_presenters()
    assert info.value.code == "invalid_api_key"
    assert "vg_key_made_up" not in str(info.value) and "vg_key_made_up" not in info.value.message

    sandbox.add_account("vg_key_soon_revoked", SandboxAccount())
    async with VideoGenClient(sandbox.base_url, "vg_key_soon_revoked", retry=fast_retry()) as c:
        assert await c.list_presenters()
        sandbox.revoke_key("vg_key_soon_revoked")
        with pytest.raises(errors.AuthError):
            await c.list_voices()
    async with VideoGenClient(sandbox.base_url, "", retry=fast_retry()) as empty:
        with pytest.raises(errors.AuthError) as missing:
            await empty.list_presenters()
    assert missing.value.code == "missing_api_key"


@pytest.mark.parametrize(
    ("text", "match"),
    [("", "ttsText"), ("   \n ", "ttsText"), ("x" * 5001, "5000")],
)
async def test_bad_scripts_are_rejected_with_a_clear_message(
    client: VideoGenClient, text: str, match: str
) -> None:
    with pytest.raises(errors.InvalidParameters, match=match) as info:
        await client.text_to_speech(says(text, await direct_voice(client)))
    assert info.value.status == 400


async def test_voice_that_cannot_run_directly_is_rejected(client: VideoGenClient) -> None:
    voice = next(v for v in await client.list_voices(True) if not v.supports_direct_tool_execution)
    with pytest.raises(errors.InvalidParameters):
        await client.text_to_speech(TtsRequest("Hello", voice_id=voice.voice_id))


async def test_avatar_input_errors(client: VideoGenClient) -> None:
    presenter = (await client.list_presenters())[0].avatar_presenter_id
    audio = await speech_file(client)
    with pytest.raises(errors.InvalidParameters):
        await client.generate_avatar(AvatarRequest("vg_pres_does_not_exist", audio))
    with pytest.raises(errors.InvalidId):
        await client.generate_avatar(AvatarRequest(presenter, "not_a_file_id"))
    with pytest.raises(errors.NotFound):
        await client.generate_avatar(AvatarRequest(presenter, "vg_file_000000000000"))
    video = await client.wait_for_execution(
        await client.generate_avatar(AvatarRequest(presenter, audio)), interval=0.05
    )
    with pytest.raises(errors.InvalidParameters, match="AUDIO"):
        await client.generate_avatar(AvatarRequest(presenter, video.results[0].file_id))
    with pytest.raises(errors.InvalidId):
        await client.get_execution("bogus")
    with pytest.raises(errors.NotFound):
        await client.get_execution("vg_exec_ffffffffffff")


async def test_watermark_none_needs_the_add_on(sandbox: SandboxServer, client: VideoGenClient) -> None:
    presenter = (await client.list_presenters())[0].avatar_presenter_id
    audio = await speech_file(client)
    with pytest.raises(errors.AddOnRequired) as info:
        await client.generate_avatar(AvatarRequest(presenter, audio, watermark_mode="NONE"))
    assert info.value.requirement_type == "purchase_add_on"
    assert "AUTO" in info.value.hint

    sandbox.add_account("vg_key_pro", SandboxAccount(production_addon=True))
    async with VideoGenClient(sandbox.base_url, "vg_key_pro", retry=fast_retry()) as pro:
        audio_pro = await speech_file(pro)
        execution = await pro.wait_for_execution(
            await pro.generate_avatar(AvatarRequest(presenter, audio_pro, watermark_mode="NONE")),
            interval=0.05,
        )
    assert execution.status == "succeeded"


async def test_no_credits(sandbox: SandboxServer) -> None:
    sandbox.add_account("vg_key_broke", SandboxAccount(credits=0))
    async with VideoGenClient(sandbox.base_url, "vg_key_broke", retry=fast_retry()) as broke:
        with pytest.raises(errors.InsufficientCredits) as info:
            await broke.text_to_speech(says("Hello", await direct_voice(broke)))
    assert info.value.status == 402 and info.value.code == "insufficient_credits"
    assert not any(m == "POST" and "/v1/tools/" in p for m, p, h, o in sandbox.request_log[:-1] if o == "api")


# ------------------------------------------------------------------------------------------------ retries
async def test_429_storm_on_polling_is_waited_out(sandbox: SandboxServer, client: VideoGenClient) -> None:
    execution_id = await client.text_to_speech(says("Hello", await direct_voice(client)))
    waits: list[tuple[str, float]] = []
    client.limiter.add_wait_listener(lambda group, seconds: waits.append((group, seconds)))
    sandbox.faults.add(
        FaultRule(kind="status", status=429, retry_after=1, path=r"^/v1/tools/executions/", times=3)
    )
    execution = await client.wait_for_execution(execution_id, interval=0.05)
    assert execution.status == "succeeded"
    assert [g for g, _ in waits] == ["executions"] * 3
    assert all(s == 1 for _, s in waits)


async def test_429_on_a_paid_post_is_repeated_once_accepted(
    sandbox: SandboxServer, client: VideoGenClient
) -> None:
    sandbox.faults.add(FaultRule(kind="status", status=429, retry_after=1, path="^/v1/tools/text-to-speech$"))
    execution_id = await client.text_to_speech(says("Hello", await direct_voice(client)))
    assert execution_id
    assert posts(sandbox, "/v1/tools/text-to-speech") == 2  # the rejected one + the accepted one
    assert len([e for e in sandbox.state.executions.values()]) == 1


async def test_server_error_on_a_paid_post_is_not_repeated(
    sandbox: SandboxServer, client: VideoGenClient
) -> None:
    sandbox.faults.add(FaultRule(kind="status", status=503, path="^/v1/tools/generate-avatar$"))
    presenter = (await client.list_presenters())[0].avatar_presenter_id
    audio = await speech_file(client)
    with pytest.raises(errors.ServerError):
        await client.generate_avatar(AvatarRequest(presenter, audio))
    assert posts(sandbox, "/v1/tools/generate-avatar") == 1


async def test_connection_reset_on_a_paid_post_is_uncertain(
    sandbox: SandboxServer, client: VideoGenClient
) -> None:
    sandbox.faults.add(FaultRule(kind="reset", path="^/v1/tools/text-to-speech$"))
    with pytest.raises(SubmissionUncertain) as info:
        await client.text_to_speech(says("Hello", await direct_voice(client)))
    assert info.value.kind == "submission_uncertain"
    assert posts(sandbox, "/v1/tools/text-to-speech") == 1


async def test_gets_survive_resets_5xx_and_garbage(sandbox: SandboxServer, client: VideoGenClient) -> None:
    sandbox.faults.add(FaultRule(kind="reset", path="^/v1/resources/avatar-presenters$"))
    sandbox.faults.add(FaultRule(kind="status", status=502, path="^/v1/resources/avatar-presenters$"))
    sandbox.faults.add(FaultRule(kind="garbage", path="^/v1/resources/avatar-presenters$"))
    assert len(await client.list_presenters()) >= 24


async def test_persistent_nonsense_is_a_clear_error(sandbox: SandboxServer, client: VideoGenClient) -> None:
    sandbox.faults.add(FaultRule(kind="garbage", path="^/v1/resources/tts-voices$", times=None))
    with pytest.raises(errors.MalformedResponse) as info:
        await client.list_voices()
    assert "instead of JSON" in info.value.message
    sandbox.faults.clear()
    sandbox.faults.add(FaultRule(kind="wrong_shape", path="^/v1/resources/tts-voices$", times=None))
    with pytest.raises(errors.MalformedResponse, match="ttsVoices"):
        await client.list_voices()


# ------------------------------------------------------------------------------------------------ downloads
async def test_download_resumes_after_a_dropped_connection(
    sandbox: SandboxServer, client: VideoGenClient, tmp_path: Path
) -> None:
    file_id = await speech_file(
        client, "This clip is long enough to be cut in the middle of the download. " * 3
    )
    size = (await client.hydrate_file(file_id)).download_source.file_bytes  # type: ignore[union-attr]
    assert size and size > 4000
    sandbox.faults.add(FaultRule(kind="truncate", origin="storage", after_bytes=size // 3, path="^/f/"))
    out = await client.download_file(file_id, tmp_path / "a.mp3")
    assert out.stat().st_size == size
    ranges = [
        h
        for m, p, h, o in sandbox.request_log
        if o == "storage" and {k.lower(): v for k, v in h.items()}.get("range")
    ]
    assert ranges, "the second attempt must ask for the missing range only"


async def test_expired_signed_url_is_refreshed(
    sandbox: SandboxServer, client: VideoGenClient, tmp_path: Path
) -> None:
    file_id = await speech_file(client)
    stale = (await client.hydrate_file(file_id)).download_source
    assert stale is not None and stale.url
    sandbox.faults.add(FaultRule(kind="status", status=403, origin="storage", path="^/f/"))  # as if expired
    calls = 0

    async def source() -> tuple[str, int | None]:
        nonlocal calls
        calls += 1
        fresh = (await client.hydrate_file(file_id)).download_source
        assert fresh is not None and fresh.url
        return fresh.url, fresh.file_bytes

    out = await client.transfer.download(source, tmp_path / "b.mp3")
    assert out.exists() and calls == 2


async def test_full_disk_keeps_the_partial_and_says_so(
    client: VideoGenClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A full disk is the one corner a server cannot produce: simulate ENOSPC at the OS boundary.
    file_id = await speech_file(client)

    def no_space(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", no_space)
    with pytest.raises(errors.LocalFileError, match="disk is full") as info:
        await client.download_file(file_id, tmp_path / "c.mp3")
    assert "Free disk space" in info.value.hint and info.value.kind == "disk_full"
    assert (tmp_path / "c.mp3.part").exists() and not (tmp_path / "c.mp3").exists()
    monkeypatch.undo()
    assert (await client.download_file(file_id, tmp_path / "c.mp3")).exists()


# -------------------------------------------------------------------------------------------- free requests
async def test_one_glitch_on_a_poll_hydrate_or_the_storage_origin_is_retried(
    sandbox: SandboxServer, client: VideoGenClient, tmp_path: Path
) -> None:
    execution_id = await client.text_to_speech(says("Hello", await direct_voice(client)))
    sandbox.faults.add(FaultRule(kind="garbage", path=r"^/v1/tools/executions/"))
    sandbox.faults.add(FaultRule(kind="status", status=500, path=r"^/v1/tools/executions/"))
    done = await client.wait_for_execution(execution_id, interval=0.05)
    assert done.status == "succeeded"
    file_id = done.results[0].file_id
    sandbox.faults.add(FaultRule(kind="garbage", path=r"/hydrate$"))
    sandbox.faults.add(FaultRule(kind="status", status=500, origin="storage", path="^/f/"))
    out = await client.download_file(file_id, tmp_path / "s.mp3")
    assert out.stat().st_size > 0
    assert posts(sandbox, "/v1/tools/text-to-speech") == 1


async def test_public_fetch_survives_a_storage_500_and_refuses_oversized_answers(
    sandbox: SandboxServer, client: VideoGenClient
) -> None:
    presenter = (await client.list_presenters())[0]
    sandbox.faults.add(FaultRule(kind="status", status=500, origin="storage"))
    assert (await client.fetch_public(presenter.thumbnail_url)).startswith(b"\x89PNG")
    with pytest.raises(errors.ResponseTooLarge):
        await client.fetch_public(presenter.thumbnail_url, max_bytes=100)


async def test_http_base_url_builds_no_tls_context(sandbox: SandboxServer) -> None:
    from videogen_studio.api.transports import SchemeRouter

    async with VideoGenClient(sandbox.base_url, sandbox.api_key, retry=fast_retry()) as c:
        assert await c.list_voices()
        routers = [c._http._transport, c.transfer._http._transport]  # the pools this client built
        assert all(isinstance(r, SchemeRouter) and not r.tls_loaded for r in routers)


async def test_the_first_request_builds_its_connection_pool_off_the_event_loop(
    sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Building a client's first pool imports httpcore and anyio (tens of ms): a freeze if done on the loop,
    which is the GUI thread under qasync."""
    built_on: list[int] = []
    real = httpx.AsyncHTTPTransport.__init__

    def spy(self: httpx.AsyncHTTPTransport, *args: object, **kwargs: object) -> None:
        built_on.append(threading.get_ident())
        real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(httpx.AsyncHTTPTransport, "__init__", spy)
    async with VideoGenClient(sandbox.base_url, sandbox.api_key, retry=fast_retry()) as c:
        assert await c.list_voices()
    assert built_on and threading.get_ident() not in built_on
