"""The client against hostile servers: endless and huge bodies, drips, silence, key echoes, garbage.

Each test runs a real asyncio TCP server on 127.0.0.1 whose `behave(reader, writer)` coroutine does the
hostile thing byte by byte. Deadlines are set to ~1 s so each case ends quickly; the only timing assertions
are generous upper bounds ("fails within 10 s"), never a performance expectation.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from videogen_studio.api import errors
from videogen_studio.api.client import VideoGenClient
from videogen_studio.api.models import TtsRequest
from videogen_studio.api.redact import RedactingFilter, redact
from videogen_studio.api.retry import RetryPolicy

KEY = "vg_key_hostile_0123456789"
Behaviour = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class HostileServer:
    def __init__(self, behave: Behaviour) -> None:
        self.behave = behave
        self.requests: list[bytes] = []  # request heads as received
        self.sent = 0  # body bytes this server managed to write
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def base_url(self) -> str:
        assert self._server is not None
        host, port = self._server.sockets[0].getsockname()[:2]
        return f"http://{host}:{port}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)  # type: ignore[arg-type]
        try:
            await self.behave(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            writer.close()
            self._tasks.discard(task)  # type: ignore[arg-type]

    async def read_request(self, reader: asyncio.StreamReader) -> bytes:
        head = await reader.readuntil(b"\r\n\r\n")
        self.requests.append(head)
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                await reader.readexactly(int(line.split(b":")[1]))
        return head


@pytest.fixture
async def hostile() -> AsyncIterator[Callable[[Behaviour], Awaitable[HostileServer]]]:
    servers: list[HostileServer] = []

    async def make(behave: Behaviour) -> HostileServer:
        server = HostileServer(behave)
        await server.start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        await server.stop()


def client_for(server: HostileServer, **kwargs: object) -> VideoGenClient:
    options: dict[str, object] = {
        "retry": RetryPolicy(max_attempts=2, base_delay_s=0.01, max_delay_s=0.02),
        "deadline": 1.0,
        "poll_deadline": 1.0,
    }
    options.update(kwargs)
    return VideoGenClient(server.base_url, KEY, **options)  # type: ignore[arg-type]


def answer(status: int, payload: object) -> bytes:
    body = json.dumps(payload).encode()
    head = f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    return head.encode() + body


# --------------------------------------------------------------------------------------------- size cap
async def test_endless_body_is_cut_at_the_cap(
    hostile: Callable[[Behaviour], Awaitable[HostileServer]],
) -> None:
    async def endless(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await server.read_request(reader)
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        block = b"[" * 65536
        while True:
            writer.write(b"%x\r\n%s\r\n" % (len(block), block))
            server.sent += len(block)
            await writer.drain()

    server = await hostile(endless)
    cap = 256 * 1024
    async with asyncio.timeout(10):  # a guard: the error below must come by itself
        async with client_for(server, max_response_bytes=cap) as client:
            with pytest.raises(errors.ResponseTooLarge) as info:
                await client.list_voices()
        assert info.value.kind == "too_large"
        # The client buffered at most one read beyond the cap, whatever the server kept sending.
        assert cap < info.value.received <= cap + 256 * 1024
        assert len(server.requests) == 2  # a free GET: retried once (max_attempts=2), then refused


async def test_announced_huge_body_is_refused_without_reading(
    hostile: Callable[[Behaviour], Awaitable[HostileServer]],
) -> None:
    async def huge(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await server.read_request(reader)
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5000000000\r\n\r\n"
        )
        writer.write(b'{"avatarPresenters": [')
        await writer.drain()
        await asyncio.sleep(30)

    server = await hostile(huge)
    async with client_for(server) as client:
        with pytest.raises(errors.ResponseTooLarge) as info:
            await client.list_presenters()
    assert info.value.received == 0


# --------------------------------------------------------------------------------------------- deadlines
async def test_drip_fails_within_the_deadline(
    hostile: Callable[[Behaviour], Awaitable[HostileServer]],
) -> None:
    async def drip(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await server.read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n")
        while True:  # one byte every 0.05 s: each read succeeds, the whole never arrives
            writer.write(b" ")
            await writer.drain()
            await asyncio.sleep(0.05)

    server = await hostile(drip)
    async with asyncio.timeout(10):  # a guard: the error below must come by itself
        # A 0.3 s deadline is 6 drips: only the whole-request deadline, not a read timeout, can end it.
        async with client_for(server, deadline=0.3, poll_deadline=0.3) as client:
            with pytest.raises(errors.RequestTimeout) as info:
                await client.get_execution("vg_tool_1")
        assert info.value.kind == "timeout" and info.value.transient
        assert len(server.requests) == 2  # a poll: failed fast, retried, failed again


async def test_silent_server_on_a_free_and_a_paid_request(
    hostile: Callable[[Behaviour], Awaitable[HostileServer]],
) -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await server.read_request(reader)
        await asyncio.sleep(3600)

    server = await hostile(silent)
    async with asyncio.timeout(15):  # a guard: the error below must come by itself
        async with client_for(server, deadline=0.4, poll_deadline=0.4) as client:
            with pytest.raises(errors.RequestTimeout):
                await client.get_file("vg_file_1")
            assert len(server.requests) == 2
            server.requests.clear()
            with pytest.raises(errors.SubmissionUncertain) as info:
                await client.text_to_speech(TtsRequest("Hello", voice_id="vg_voic_1"))
        assert info.value.kind == "submission_uncertain"
        assert len(server.requests) == 1  # received once, never repeated: it may have started


async def test_paid_post_to_a_closed_port_is_not_uncertain() -> None:
    probe = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = probe.sockets[0].getsockname()[1]
    probe.close()
    await probe.wait_closed()
    retry = RetryPolicy(max_attempts=2, base_delay_s=0.01, max_delay_s=0.02)
    async with VideoGenClient(f"http://127.0.0.1:{port}", KEY, retry=retry, deadline=1.0) as client:
        with pytest.raises(errors.NetworkError) as info:
            await client.text_to_speech(TtsRequest("Hello", voice_id="vg_voic_1"))
    assert not isinstance(info.value, errors.SubmissionUncertain) and info.value.kind == "network"


# --------------------------------------------------------------------------------------------- glitches
async def test_malformed_200_once_on_a_poll_is_retried_but_never_on_a_paid_post(
    hostile: Callable[[Behaviour], Awaitable[HostileServer]],
) -> None:
    async def garbage_first(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            await server.read_request(reader)
            if len(server.requests) == 1:
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 6\r\n\r\n<html>")
            else:
                writer.write(
                    answer(200, {"toolExecutionId": "vg_tool_1", "status": "running", "toolType": "X"})
                )
            await writer.drain()

    server = await hostile(garbage_first)
    async with client_for(server) as client:
        assert (await client.get_execution("vg_tool_1")).status == "running"
        assert len(server.requests) == 2
        server.requests.clear()
        with pytest.raises(errors.SubmissionUncertain):
            await client.text_to_speech(TtsRequest("Hello", voice_id="vg_voic_1"))
    assert len(server.requests) == 1


# --------------------------------------------------------------------------------------------- secrets
async def test_a_server_echoing_the_key_is_scrubbed(
    hostile: Callable[[Behaviour], Awaitable[HostileServer]], caplog: pytest.LogCaptureFixture
) -> None:
    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            head = (await server.read_request(reader)).decode()
            auth = next(line for line in head.split("\r\n") if line.lower().startswith("authorization"))
            message = f"Bad request; you sent {auth} and key {KEY}"
            writer.write(
                answer(
                    400,
                    {
                        "message": message,
                        "code": "invalid_parameters",
                        "requirement": {"type": "x", "details": {"key": KEY}},
                    },
                )
            )
            await writer.drain()

    server = await hostile(echo)
    async with client_for(server) as client:
        with pytest.raises(errors.ApiError) as info:
            await client.get_me()
    error = info.value
    for text in (
        str(error),
        error.message,
        error.hint,
        repr(error.args),
        str(error.requirement_details),
    ):
        assert KEY not in text
    assert "***" in error.message

    logger = logging.getLogger("videogen_studio.test_hostile")
    logger.addFilter(RedactingFilter())
    with caplog.at_level(logging.INFO, logger=logger.name):
        logger.info("raw %s / Authorization: Bearer %s", KEY, KEY)
    assert KEY not in caplog.text and "***" in caplog.text
    assert redact(f"x Bearer {KEY}") == "x Bearer ***"


@pytest.mark.parametrize("bad", [KEY[:8] + "\n" + KEY[8:], KEY[:8] + " " + KEY[8:], KEY + "\x00", KEY + "é"])
def test_a_key_with_illegal_characters_never_reaches_httpx(bad: str) -> None:
    with pytest.raises(errors.InvalidKeyFormat) as info:
        VideoGenClient("http://127.0.0.1:9", bad)
    assert info.value.kind == "invalid_key_format"
    for part in bad.split():
        assert part not in str(info.value)


# --------------------------------------------------------------------------------------------- downloads
async def test_download_drip_is_cut_by_the_stall_watchdog_and_keeps_the_partial(
    hostile: Callable[[Behaviour], Awaitable[HostileServer]], tmp_path: Path
) -> None:
    async def drip_after_a_start(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await server.read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 10000000\r\n\r\n" + b"v" * 100_000)
        await writer.drain()
        while True:  # one byte every 0.05 s: every read succeeds, 64 KiB never arrive in stall_s
            writer.write(b"v")
            await writer.drain()
            await asyncio.sleep(0.05)

    server = await hostile(drip_after_a_start)

    async def source() -> tuple[str, int | None]:
        return f"{server.base_url}/f/clip.mp4", 10_000_000

    async with asyncio.timeout(15):  # a guard: the error below must come by itself
        async with client_for(server, download_stall_s=0.4) as client:
            with pytest.raises(errors.RequestTimeout, match="stalled"):
                await client.transfer.download(source, tmp_path / "clip.mp4")
    assert (tmp_path / "clip.mp4.part").stat().st_size >= 100_000 and not (tmp_path / "clip.mp4").exists()
    ranged = [h for h in server.requests if b"range: bytes=" in h.lower()]
    assert ranged, "the second attempt resumed from the partial"
