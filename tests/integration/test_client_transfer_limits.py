"""Storage transfers against hostile loopback servers: an upload whose answer never comes ends at its
deadline, an endless error body is read only up to a cap, and a 416 to a plain GET is a counted failure
with back-off instead of a hot loop. Each guard (`asyncio.timeout`) only fails the test if we hang."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest

from videogen_studio.api import errors
from videogen_studio.api.retry import RetryPolicy
from videogen_studio.api.transfer import Transfer

Answer = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
GUARD_S = 30  # far beyond what the code under test may take; reaching it means it hung


@contextlib.asynccontextmanager
async def loopback(answer: Answer) -> AsyncIterator[tuple[str, list[bytes]]]:
    """A one-purpose HTTP server on 127.0.0.1; yields its URL and the request heads it received."""
    heads: list[bytes] = []
    handlers: set[asyncio.Task[object]] = set()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        handlers.add(task)
        try:
            heads.append(await reader.readuntil(b"\r\n\r\n"))
            await answer(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    host, port = server.sockets[0].getsockname()[:2]
    try:
        yield f"http://{host}:{port}/signed/file", heads
    finally:
        server.close()
        for task in handlers:  # a silent answer never ends by itself; wait_closed waits for every one
            task.cancel()
        await server.wait_closed()


def transfer(http: httpx.AsyncClient, sleeps: list[float], *, attempts: int = 2) -> Transfer:
    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    policy = RetryPolicy(max_attempts=attempts, base_delay_s=0.01)
    return Transfer(http, retry=policy, sleep=sleep, deadline=0.5)


async def read_body(reader: asyncio.StreamReader) -> None:
    # The test files are small and sent with Content-Length in one go.
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(2):
            await reader.read(64 * 1024)


async def test_an_upload_whose_answer_never_comes_ends_at_its_deadline(tmp_path: Path) -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_body(reader)
        await asyncio.Event().wait()  # takes the file, never answers

    audio = tmp_path / "voice.mp3"
    audio.write_bytes(b"\xff\xfb" * 500)
    sleeps: list[float] = []
    async with loopback(silent) as (url, heads), httpx.AsyncClient(timeout=None) as http:
        async with asyncio.timeout(GUARD_S):
            with pytest.raises(errors.RequestTimeout, match="did not take the upload"):
                await transfer(http, sleeps).upload(url, audio)
    assert len(heads) == 2 and len(sleeps) == 1  # retried once (storage is free), then given up


async def test_an_endless_error_body_to_an_upload_is_read_only_up_to_a_cap(tmp_path: Path) -> None:
    async def endless(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_body(reader)
        writer.write(b"HTTP/1.1 400 Bad Request\r\nTransfer-Encoding: chunked\r\n\r\n")
        piece = b"x" * 16384
        while True:
            writer.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            await writer.drain()

    audio = tmp_path / "voice.mp3"
    audio.write_bytes(b"\xff\xfb" * 500)
    async with loopback(endless) as (url, _heads), httpx.AsyncClient(timeout=None) as http:
        async with asyncio.timeout(GUARD_S):
            with pytest.raises(errors.ResponseTooLarge):
                await transfer(http, []).upload(url, audio)


async def test_a_416_to_a_plain_download_is_a_failure_with_back_off(tmp_path: Path) -> None:
    async def refuse(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 416 Range Not Satisfiable\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()

    async def source() -> tuple[str, int | None]:
        return url, None

    sleeps: list[float] = []
    async with loopback(refuse) as (url, heads), httpx.AsyncClient(timeout=None) as http:
        async with asyncio.timeout(GUARD_S):
            with pytest.raises(errors.MalformedResponse, match="416"):
                await transfer(http, sleeps, attempts=3).download(source, tmp_path / "clip.mp4")
    assert len(heads) == 3 and len(sleeps) == 2  # each refusal counted and waited for, then given up
    assert not any(b"range:" in head.lower() for head in heads)
    assert not (tmp_path / "clip.mp4").exists()
