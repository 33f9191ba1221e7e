"""The money rules of a paid POST, over real sockets: a refused connection was never sent, so it is repeated
(even for text-to-speech); a 503 answer means the server got it, so it is never repeated."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator

import pytest

from videogen_studio.api import errors
from videogen_studio.api.client import VideoGenClient
from videogen_studio.api.models import TtsRequest
from videogen_studio.api.retry import RetryPolicy

KEY = "vg_key_paid_rules_123456"
GUARD_S = 30  # only reached if something hangs


async def read_request(reader: asyncio.StreamReader) -> str:
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
    fields = dict(line.split(":", 1) for line in head.split("\r\n")[1:] if ":" in line)
    length = int({name.strip().lower(): value for name, value in fields.items()}.get("content-length", 0))
    await reader.readexactly(length)
    return head.split(" ", 1)[0]


@contextlib.asynccontextmanager
async def answering(status: int, body: bytes, port: int = 0) -> AsyncIterator[tuple[int, list[str]]]:
    """An API stand-in on 127.0.0.1 answering every request with `status` + `body`; yields (port, methods)."""
    methods: list[str] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                methods.append(await read_request(reader))
                writer.write(
                    b"HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                    % (status, len(body), body)
                )
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", port)
    try:
        yield server.sockets[0].getsockname()[1], methods
    finally:
        server.close()
        await server.wait_closed()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_refused_connections_are_unsent_and_repeated_even_for_a_paid_post() -> None:
    port = free_port()  # nothing listens yet: connecting is refused
    waits: list[float] = []
    received: list[list[str]] = []

    async with contextlib.AsyncExitStack() as stack:

        async def sleep(seconds: float) -> None:
            waits.append(seconds)
            if len(waits) == 2:  # the service comes up after the second refusal
                accepted = answering(202, b'{"toolExecutionId": "vg_tool_1"}', port)
                received.append((await stack.enter_async_context(accepted))[1])

        retry = RetryPolicy(max_attempts=3, base_delay_s=0.001, max_delay_s=0.002)
        async with asyncio.timeout(GUARD_S):
            async with VideoGenClient(f"http://127.0.0.1:{port}", KEY, retry=retry, sleep=sleep) as client:
                assert await client.text_to_speech(TtsRequest("Hi", voice_id="v")) == "vg_tool_1"
        assert len(waits) == 2  # two refusals, each waited for
        assert received == [["POST"]]  # sent once: the only attempt that reached a server


async def test_a_503_on_a_paid_post_is_never_repeated() -> None:
    async with answering(503, b'{"message": "busy"}') as (port, methods):
        retry = RetryPolicy(max_attempts=3, base_delay_s=0.001, max_delay_s=0.002)
        async with asyncio.timeout(GUARD_S):
            async with VideoGenClient(f"http://127.0.0.1:{port}", KEY, retry=retry) as client:
                with pytest.raises(errors.ServerError) as info:
                    await client.text_to_speech(TtsRequest("Hi", voice_id="v"))
        assert methods == ["POST"] and info.value.kind == "server"
