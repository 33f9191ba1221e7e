"""The client against the sandbox's hostile-server profiles (issue 8), over real loopback HTTP.

The same behaviours are also played byte by byte by test_client_hostile.py's own tiny server; here they
come from the project's sandbox, as a user running `videogen-studio sandbox` with a fault profile sees them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sandbox_helpers import posts

from videogen_studio.api import errors
from videogen_studio.api.client import VideoGenClient
from videogen_studio.api.models import TtsRequest
from videogen_studio.api.retry import RetryPolicy
from videogen_studio.sandbox import SandboxServer


def client_for(sandbox: SandboxServer, deadline: float = 1.0) -> VideoGenClient:
    retry = RetryPolicy(max_attempts=2, base_delay_s=0.01, max_delay_s=0.02)
    return VideoGenClient(
        sandbox.base_url,
        sandbox.api_key,
        retry=retry,
        deadline=deadline,
        poll_deadline=deadline,
        max_response_bytes=256 * 1024,
        download_stall_s=1.0,
    )


@pytest.fixture
async def client(sandbox: SandboxServer) -> AsyncIterator[VideoGenClient]:
    async with client_for(sandbox) as c:
        yield c


async def voice(client: VideoGenClient) -> str:
    return next(v.voice_id for v in await client.list_voices() if v.supports_direct_tool_execution)


async def test_endless_and_huge_bodies_stop_at_the_cap(
    sandbox: SandboxServer, client: VideoGenClient
) -> None:
    sandbox.faults.add_profile("endless_body", path="^/v1/me$")
    async with asyncio.timeout(15):  # a guard: the error below must come by itself
        with pytest.raises(errors.ResponseTooLarge) as info:
            await client.get_me()
        assert info.value.received <= 256 * 1024 + 256 * 1024
        sandbox.faults.clear()
        sandbox.faults.add_profile("huge_json", path="^/v1/resources/tts-voices$", size_bytes=4 * 1024 * 1024)
        with pytest.raises(errors.ResponseTooLarge):
            await client.list_voices()


async def test_drip_and_silence_fail_within_the_deadline(
    sandbox: SandboxServer, client: VideoGenClient
) -> None:
    voice_id = await voice(client)
    # A byte every 0.05 s: each read succeeds, only the 0.3 s whole-request deadline can end the answer.
    sandbox.faults.add_profile("drip", path="^/v1/files/", delay_s=0.05)
    async with asyncio.timeout(20):  # a guard: the error below must come by itself
        async with client_for(sandbox, deadline=0.3) as dripped:
            with pytest.raises(errors.RequestTimeout):
                await dripped.get_file("vg_file_000000000001")
        sandbox.faults.clear()
        sandbox.faults.add_profile("silent", path="^/v1/tools/text-to-speech$")
        async with client_for(sandbox, deadline=0.5) as unanswered:
            with pytest.raises(errors.SubmissionUncertain):
                await unanswered.text_to_speech(TtsRequest("Hello", voice_id=voice_id))
        assert posts(sandbox, "/v1/tools/text-to-speech") == 1  # may have started: never sent twice


async def test_key_echo_is_scrubbed(sandbox: SandboxServer, client: VideoGenClient) -> None:
    sandbox.faults.add_profile("echo_key", path="^/v1/me$")
    with pytest.raises(errors.ApiError) as info:
        await client.get_me()
    for text in (str(info.value), info.value.message, info.value.hint, repr(info.value.args)):
        assert sandbox.api_key not in text
    assert "***" in info.value.message  # the server did echo it; the client scrubbed it


async def test_malformed_200_once_and_storage_500_once_do_not_fail_a_render(
    sandbox: SandboxServer, client: VideoGenClient, tmp_path: Path
) -> None:
    execution_id = await client.text_to_speech(TtsRequest("Hello there.", voice_id=await voice(client)))
    sandbox.faults.add_profile("malformed_200_once", path="^/v1/tools/executions/")
    done = await client.wait_for_execution(execution_id, interval=0.05)
    assert done.status == "succeeded"
    sandbox.faults.add_profile("storage_500_once", path="^/f/")
    out = await client.download_file(done.results[0].file_id, tmp_path / "hello.mp3")
    assert out.stat().st_size > 0
    assert posts(sandbox, "/v1/tools/text-to-speech") == 1
