"""Retry rules that depend on what the transport can tell: a transport without httpcore's trace events.

Everything else about retries is tested over real sockets (tests/integration/test_client*.py). This corner
cannot come from a server: a custom transport that reports no trace events, so the client cannot know
whether a failed paid POST was sent. It must then assume it was.
"""

from __future__ import annotations

import httpx
import pytest

from videogen_studio.api import errors
from videogen_studio.api.client import VideoGenClient
from videogen_studio.api.models import TtsRequest
from videogen_studio.api.retry import RetryPolicy

RETRY = RetryPolicy(max_attempts=3, base_delay_s=0.001, max_delay_s=0.002)


def client_with(handler: httpx.MockTransport) -> VideoGenClient:
    return VideoGenClient("https://api.invalid", "vg_key_rules_123456", retry=RETRY, transport=handler)


@pytest.mark.parametrize("failure", [httpx.ReadError, httpx.RemoteProtocolError, httpx.WriteError])
async def test_unknown_send_state_on_a_paid_post_is_uncertain(failure: type[httpx.TransportError]) -> None:
    calls: list[str] = []

    def fail(request: httpx.Request) -> httpx.Response:
        calls.append(request.method)
        raise failure("connection lost", request=request)

    async with client_with(httpx.MockTransport(fail)) as client:
        with pytest.raises(errors.SubmissionUncertain):
            await client.text_to_speech(TtsRequest("Hi", voice_id="v"))
        assert calls == ["POST"]
        with pytest.raises(errors.NetworkError) as info:
            await client.get_file("vg_file_1")  # a free GET: retried up to max_attempts
        assert not isinstance(info.value, errors.SubmissionUncertain)
    assert calls == ["POST", "GET", "GET", "GET"]


async def test_connect_errors_are_unsent_and_repeated_even_for_paid_posts() -> None:
    calls: list[str] = []

    def refuse_then_accept(request: httpx.Request) -> httpx.Response:
        calls.append(request.method)
        if len(calls) < 3:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(202, json={"toolExecutionId": "vg_tool_1"})

    async with client_with(httpx.MockTransport(refuse_then_accept)) as client:
        assert await client.text_to_speech(TtsRequest("Hi", voice_id="v")) == "vg_tool_1"
    assert calls == ["POST", "POST", "POST"]


async def test_a_5xx_or_a_4xx_on_a_paid_post_is_never_repeated() -> None:
    calls: list[int] = []

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(503, json={"message": "busy"})

    async with client_with(httpx.MockTransport(answer)) as client:
        with pytest.raises(errors.ServerError) as info:
            await client.text_to_speech(TtsRequest("Hi", voice_id="v"))
    assert len(calls) == 1 and info.value.kind == "server"
