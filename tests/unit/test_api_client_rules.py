"""Retry rules that depend on what the transport can tell: a transport without httpcore's trace events.

Everything else about retries is tested over real sockets (tests/integration/test_client*.py; the refused
connect and the 503 on a paid POST in test_client_paid_rules.py). This corner cannot come from a server:
a custom transport that reports no trace events, so the client cannot know whether a failed paid POST was
sent. It must then assume it was.
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
