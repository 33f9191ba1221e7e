"""The download transport over real sockets: framing, the socket→file copy, cancellation, truncation.

A tiny asyncio server on 127.0.0.1 plays each answer byte by byte; the transport is exercised the way
Transfer uses it (`response.extensions["videogen.copy_to"]`) and as a plain httpx byte stream.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest

from videogen_studio.api import download_transport, errors
from videogen_studio.api.client import VideoGenClient
from videogen_studio.api.download_transport import COPY_EXTENSION, CopyStalled, LargeReadTransport

Answer = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
BODY = os.urandom(3 * 1024 * 1024 + 17)


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[Answer], Awaitable[str]]]:
    servers: list[asyncio.Server] = []

    async def start(answer: Answer) -> str:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                await reader.readuntil(b"\r\n\r\n")
                await answer(reader, writer)
            except (ConnectionError, asyncio.IncompleteReadError):
                pass
            finally:
                writer.close()

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        servers.append(server)
        host, port = server.sockets[0].getsockname()[:2]
        return f"http://{host}:{port}/f/file.bin"

    yield start
    for server in servers:
        server.close()
        await server.wait_closed()


async def content_length(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(BODY) + BODY)
    await writer.drain()


async def chunked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
    for start in range(0, len(BODY), 1_000_000):
        piece = BODY[start : start + 1_000_000]
        writer.write(b"%x\r\n%s\r\n" % (len(piece), piece))
    writer.write(b"0\r\n\r\n")
    await writer.drain()


@pytest.mark.parametrize("answer", [content_length, chunked])
async def test_body_as_a_stream_and_as_a_copy(
    serve: Callable[[Answer], Awaitable[str]], answer: Answer, tmp_path: Path
) -> None:
    url = await serve(answer)
    async with httpx.AsyncClient(transport=LargeReadTransport()) as http:
        assert (await http.get(url)).content == BODY
        seen: list[int] = []
        async with http.stream("GET", url) as response:
            copy_to = response.extensions[COPY_EXTENSION]
            with open(tmp_path / "out.bin", "wb", buffering=0) as fh:
                written = await copy_to(fh.fileno(), on_progress=seen.append)
    assert written == len(BODY) and (tmp_path / "out.bin").read_bytes() == BODY
    assert seen and seen == sorted(seen) and seen[-1] == len(BODY)


async def test_a_body_cut_short_is_a_protocol_error(
    serve: Callable[[Answer], Awaitable[str]], tmp_path: Path
) -> None:
    async def short(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(BODY) + BODY[:1000])
        await writer.drain()

    url = await serve(short)
    async with httpx.AsyncClient(transport=LargeReadTransport()) as http:
        with pytest.raises(httpx.RemoteProtocolError):
            await http.get(url)
        async with http.stream("GET", url) as response:
            with (
                open(tmp_path / "out.bin", "wb", buffering=0) as fh,
                pytest.raises(httpx.RemoteProtocolError),
            ):
                await response.extensions[COPY_EXTENSION](fh.fileno())
    assert (tmp_path / "out.bin").stat().st_size == 1000  # what arrived is kept for a resume


async def test_a_drip_stalls_the_copy_and_a_cancel_stops_its_thread(
    serve: Callable[[Answer], Awaitable[str]], tmp_path: Path
) -> None:
    async def drip(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n")
        while True:
            writer.write(b"x")
            await writer.drain()
            await asyncio.sleep(0.1)

    url = await serve(drip)
    async with httpx.AsyncClient(transport=LargeReadTransport()) as http:
        async with asyncio.timeout(10), http.stream("GET", url) as response:  # a guard, not a measure
            with open(tmp_path / "a.bin", "wb", buffering=0) as fh, pytest.raises(CopyStalled):
                await response.extensions[COPY_EXTENSION](fh.fileno(), stall_s=0.5)

        threads = threading.active_count()
        async with http.stream("GET", url) as response:
            with open(tmp_path / "b.bin", "wb", buffering=0) as fh:
                copying = asyncio.ensure_future(response.extensions[COPY_EXTENSION](fh.fileno(), stall_s=30))
                await asyncio.sleep(0.3)
                copying.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await copying
                # The worker thread has let go of the file before the cancel returned.
                size = os.fstat(fh.fileno()).st_size
                await asyncio.sleep(0.3)
                assert os.fstat(fh.fileno()).st_size == size
    assert threading.active_count() <= threads + 1  # executor threads are reused, none is left blocked


async def test_download_file_reports_progress_and_never_holds_more_than_one_buffer(
    serve: Callable[[Answer], Awaitable[str]], tmp_path: Path
) -> None:
    url = await serve(content_length)
    async with VideoGenClient("http://127.0.0.1:9", "vg_key_dl_0123456") as client:

        async def source() -> tuple[str, int | None]:
            return url, len(BODY)

        seen: list[tuple[int, int | None]] = []
        out = await client.transfer.download(
            source, tmp_path / "f.bin", progress=lambda d, t: seen.append((d, t))
        )
        assert out.read_bytes() == BODY and not (tmp_path / "f.bin.part").exists()
        assert seen[-1] == (len(BODY), len(BODY))

        async def wrong_size() -> tuple[str, int | None]:
            return url, len(BODY) + 1

        with pytest.raises(errors.MalformedResponse, match="announced"):
            await client.transfer.download(wrong_size, tmp_path / "g.bin")


@pytest.mark.skipif(sys.platform != "linux", reason="write-behind uses posix_fadvise, Linux only")
async def test_a_resumed_copy_writes_behind_only_what_it_wrote(
    serve: Callable[[Answer], Awaitable[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The copy asks the kernel to start writing each step it wrote: ranges of this copy only (a resume
    appends after the partial file), and the file stays byte for byte what the server sent."""
    kept = 1_000_000

    async def rest(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = b"HTTP/1.1 206 Partial Content\r\nContent-Length: %d\r\n" % (len(BODY) - kept)
        head += b"Content-Range: bytes %d-%d/%d\r\n\r\n" % (kept, len(BODY) - 1, len(BODY))
        writer.write(head + BODY[kept:])
        await writer.drain()

    advised: list[tuple[int, int, int]] = []
    real = os.posix_fadvise

    def spy(fd: int, offset: int, length: int, advice: int) -> None:
        advised.append((offset, length, advice))
        real(fd, offset, length, advice)

    monkeypatch.setattr(download_transport, "WRITE_BEHIND", 256 * 1024)
    monkeypatch.setattr(os, "posix_fadvise", spy)
    url = await serve(rest)
    dest = tmp_path / "f.bin"
    (tmp_path / "f.bin.part").write_bytes(BODY[:kept])
    async with VideoGenClient("http://127.0.0.1:9", "vg_key_dl_0123456") as client:

        async def source() -> tuple[str, int | None]:
            return url, len(BODY)

        await client.transfer.download(source, dest)
    assert dest.read_bytes() == BODY
    assert advised and all(advice == os.POSIX_FADV_DONTNEED for *_, advice in advised)
    assert advised[0][0] == kept  # the first step starts where the resumed copy started
    assert all(kept <= offset and offset + length <= len(BODY) for offset, length, _ in advised)
    assert advised[-1][0] + advised[-1][1] >= len(BODY) - 256 * 1024  # steps up to the last one


async def test_the_rename_that_finishes_a_download_runs_off_the_event_loop(
    serve: Callable[[Answer], Awaitable[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rename waits for the file system journal when the disk is busy: never on the loop (the GUI)."""
    renamed_on: list[int] = []
    real = os.replace

    def spy(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        renamed_on.append(threading.get_ident())
        real(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    url = await serve(content_length)
    async with VideoGenClient("http://127.0.0.1:9", "vg_key_dl_0123456") as client:

        async def source() -> tuple[str, int | None]:
            return url, len(BODY)

        out = await client.transfer.download(source, tmp_path / "f.bin")
    assert out.read_bytes() == BODY
    assert renamed_on and threading.get_ident() not in renamed_on
