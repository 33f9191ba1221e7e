"""`SendState`: the client says where one paid POST stands, so a caller stopping it knows whether the
render could have started. Played against the loopback sandbox: 429s (nothing started), a server that takes
the request and never answers (it may have started), and a normal answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sandbox_helpers import posts

from videogen_studio.api.client import SendPhase, SendState, VideoGenClient
from videogen_studio.api.models import TtsRequest
from videogen_studio.api.retry import RetryPolicy
from videogen_studio.sandbox import FaultRule, SandboxServer

TTS = "/v1/tools/text-to-speech"


@pytest.fixture
async def client(sandbox: SandboxServer) -> AsyncIterator[VideoGenClient]:
    async with VideoGenClient(sandbox.base_url, sandbox.api_key, retry=RetryPolicy(base_delay_s=0.01)) as c:
        yield c


async def speech(client: VideoGenClient) -> TtsRequest:
    voice = next(v.voice_id for v in await client.list_voices() if v.supports_direct_tool_execution)
    return TtsRequest("Where does this request stand?", voice_id=voice)


async def until(predicate: object) -> None:
    assert callable(predicate)
    async with asyncio.timeout(30):  # hang guard only
        while not predicate():
            await asyncio.sleep(0.01)


async def test_a_paid_post_that_only_met_429s_is_waiting(
    sandbox: SandboxServer, client: VideoGenClient
) -> None:
    request = await speech(client)
    sandbox.faults.add(
        FaultRule(kind="status", status=429, retry_after=60, path=TTS, method="POST", times=None)
    )
    waits: list[float] = []
    client.limiter.add_wait_listener(lambda _group, seconds: waits.append(seconds))
    state = SendState()
    task = asyncio.create_task(client.text_to_speech(request, send_state=state))
    await until(lambda: waits)  # the 429 came back: the client now sits out its Retry-After
    assert state.phase is SendPhase.WAITING and state.waiting
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert state.waiting and posts(sandbox, TTS) == 1


async def test_a_paid_post_the_server_holds_is_sending(
    sandbox: SandboxServer, client: VideoGenClient
) -> None:
    request = await speech(client)
    sandbox.faults.add_profile("silent", path=f"^{TTS}$")
    state = SendState()
    task = asyncio.create_task(client.text_to_speech(request, send_state=state))
    assert await asyncio.to_thread(sandbox.wait_for_request, TTS)
    assert state.phase is SendPhase.SENDING and not state.waiting
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not state.waiting  # it reached the server: never "safe to drop"


async def test_an_answered_paid_post_is_answered(sandbox: SandboxServer, client: VideoGenClient) -> None:
    state = SendState()
    assert state.phase is SendPhase.WAITING  # nothing sent yet
    execution_id = await client.text_to_speech(await speech(client), send_state=state)
    assert execution_id and state.phase is SendPhase.ANSWERED and not state.waiting
