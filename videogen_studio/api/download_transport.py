"""A transport for big downloads: the body is copied socket → file by one worker thread, like curl does.

httpcore reads 64 KiB per socket read and hands every piece through anyio, h11 and the event loop: a 200 MB
file is ~3,000 trips, and each write to disk is then one more hand-off. That caps throughput near 0.65x
curl. This transport is a supported httpx extension point (`AsyncBaseTransport`): it opens a blocking
socket in a worker thread, speaks HTTP/1.1 through h11's public API, and offers the body two ways:

- as an ordinary httpx byte stream (each read a worker-thread call), for anything that reads a response;
- as a copy straight into a file descriptor, announced in `response.extensions["videogen.copy_to"]`:
  one worker-thread loop of `recv_into` a reused buffer and `os.write`, both releasing the GIL, so the
  event loop only sees throttled progress callbacks. A cancelled copy shuts the socket down to stop it.
  The copy also writes behind: every `WRITE_BEHIND` bytes it asks the kernel to start writing what it
  wrote to disk (see `_WriteBehind`), so the fsync that follows the copy finds little left to write.

One connection per request (downloads are few and long), GET/HEAD only, TLS via httpx's own
`create_ssl_context`, built lazily and off the loop, so a plain `http://` base URL never loads a CA bundle.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import socket
import ssl
import sys
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Protocol

import h11
import httpx

#: Receive buffer of the copy loop: large enough for few syscalls, small enough to stay in the CPU cache.
READ_SIZE = 1024 * 1024
#: The copy starts the disk write of every this many bytes while the download goes on (see _WriteBehind).
WRITE_BEHIND = 8 * 1024 * 1024
#: Progress is reported to the event loop at most this often (bytes or seconds, whichever comes first).
_PROGRESS_BYTES = 2 * 1024 * 1024
_PROGRESS_S = 0.05
COPY_EXTENSION = "videogen.copy_to"


class CopyTo(Protocol):
    """`await copy_to(fd, on_progress=..., stall_s=..., min_progress=...)` → bytes written to `fd`."""

    def __call__(
        self,
        fd: int,
        *,
        on_progress: Callable[[int], None] | None = None,
        stall_s: float = 30.0,
        min_progress: int = 64 * 1024,
    ) -> Awaitable[int]: ...


class CopyStalled(httpx.ReadTimeout):
    """Fewer than `min_progress` bytes arrived within `stall_s` (a drip)."""


class LargeReadTransport(httpx.AsyncBaseTransport):
    def __init__(self, *, read_size: int = READ_SIZE, verify: bool = True) -> None:
        self.read_size = read_size
        self._verify = verify
        self._ssl: ssl.SSLContext | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method not in ("GET", "HEAD"):
            raise httpx.UnsupportedProtocol(f"{type(self).__name__} sends GET and HEAD only.")
        if request.url.scheme not in ("http", "https"):
            raise httpx.UnsupportedProtocol(f"Unsupported URL scheme {request.url.scheme!r}.")
        if request.url.scheme == "https" and self._ssl is None:
            self._ssl = await asyncio.to_thread(httpx.create_ssl_context, verify=self._verify)
        tls = self._ssl if request.url.scheme == "https" else None
        loop = asyncio.get_running_loop()
        opening = loop.run_in_executor(None, _Connection.open, request, tls, self.read_size)
        try:
            connection = await asyncio.shield(opening)
        except asyncio.CancelledError:
            # The thread finishes connecting on its own: close what it opens.
            opening.add_done_callback(_close_when_done)
            raise
        return httpx.Response(
            connection.head.status_code,
            headers=[(bytes(k), bytes(v)) for k, v in connection.head.headers],
            stream=_ThreadedBody(connection),
            extensions={
                "http_version": b"HTTP/1.1",
                "reason_phrase": bytes(connection.head.reason),
                COPY_EXTENSION: connection.copy_to,
            },
            request=request,
        )


def _close_when_done(future: asyncio.Future[_Connection]) -> None:
    if not future.cancelled() and future.exception() is None:
        future.result().close()


class _Connection:
    """A blocking socket with an HTTP/1.1 exchange on it. Reads happen in worker threads only."""

    def __init__(self, sock: socket.socket, request: httpx.Request, read_size: int) -> None:
        self.sock = sock
        self.request = request
        self.h11 = h11.Connection(h11.CLIENT)
        self.buffer = bytearray(read_size)
        self.head: h11.Response
        self.remaining: int | None = None  # Content-Length bodies: bytes still to come
        self.leftover = b""  # body bytes that arrived together with the head
        self.done = False
        self.lock = threading.Lock()  # one reader at a time

    @classmethod
    def open(cls, request: httpx.Request, tls: ssl.SSLContext | None, read_size: int) -> _Connection:
        timeouts: dict[str, Any] = request.extensions.get("timeout", {})
        url = request.url
        port = url.port or (443 if url.scheme == "https" else 80)
        try:
            sock = socket.create_connection((url.host, port), timeout=timeouts.get("connect"))
            if tls is not None:
                sock = tls.wrap_socket(sock, server_hostname=url.host)
        except TimeoutError as exc:
            raise httpx.ConnectTimeout(f"Connecting to {url.host} timed out.", request=request) from exc
        except OSError as exc:
            raise httpx.ConnectError(str(exc) or type(exc).__name__, request=request) from exc
        sock.settimeout(timeouts.get("read"))
        connection = cls(sock, request, read_size)
        try:
            connection._exchange_head()
        except BaseException:
            connection.close()
            raise
        return connection

    def _exchange_head(self) -> None:
        request = self.request
        head = h11.Request(
            method=request.method, target=request.url.raw_path, headers=list(request.headers.raw)
        )
        try:
            self.sock.sendall((self.h11.send(head) or b"") + (self.h11.send(h11.EndOfMessage()) or b""))
        except OSError as exc:
            raise httpx.WriteError(str(exc) or type(exc).__name__, request=request) from exc
        while True:
            event = self._next_event()
            if isinstance(event, h11.Response):
                self.head = event
                break
            if isinstance(event, h11.ConnectionClosed):
                raise httpx.RemoteProtocolError("The server closed without answering.", request=request)
        self.remaining = self._plain_length()
        if self.remaining is not None:
            # The body needs no parsing: take it past h11, straight from the socket.
            self.leftover = bytes(self.h11.trailing_data[0][: self.remaining])
            self.remaining -= len(self.leftover)

    def _plain_length(self) -> int | None:
        if self.request.method == "HEAD" or self.head.status_code in (204, 304):
            return 0
        length: int | None = None
        for name, value in self.head.headers:
            if name == b"transfer-encoding":
                return None
            if name == b"content-length" and value.isdigit():
                length = int(value)
        return length

    def _recv(self, view: memoryview) -> int:
        try:
            return self.sock.recv_into(view)
        except TimeoutError as exc:
            raise httpx.ReadTimeout("The server sent nothing in time.", request=self.request) from exc
        except OSError as exc:
            raise httpx.ReadError(str(exc) or type(exc).__name__, request=self.request) from exc

    def _next_event(self) -> Any:
        while True:
            try:
                event = self.h11.next_event()
            except h11.RemoteProtocolError as exc:
                raise httpx.RemoteProtocolError(str(exc), request=self.request) from exc
            if event is not h11.NEED_DATA:
                return event
            n = self._recv(memoryview(self.buffer))
            self.h11.receive_data(bytes(self.buffer[:n]))  # b"" = closed: h11 decides if that is an error

    def read_some(self) -> bytes:
        """The next piece of the body; b"" at its end. Runs in a worker thread."""
        with self.lock:
            if self.done:
                return b""
            if self.leftover:
                data, self.leftover = self.leftover, b""
                return data
            if self.remaining is None:  # chunked or close-delimited: h11 does the framing
                event = self._next_event()
                if isinstance(event, h11.Data):
                    return bytes(event.data)
                self.done = True
                return b""
            if self.remaining == 0:
                self.done = True
                return b""
            view = memoryview(self.buffer)[: min(len(self.buffer), self.remaining)]
            n = self._recv(view)
            if n == 0:
                raise self._truncated()
            self.remaining -= n
            return bytes(view[:n])

    def _truncated(self) -> httpx.RemoteProtocolError:
        return httpx.RemoteProtocolError(
            f"The server closed the connection {self.remaining} bytes before the end of the body.",
            request=self.request,
        )

    def _copy_loop(
        self,
        fd: int,
        report: Callable[[int], None],
        stall_s: float,
        min_progress: int,
        abort: threading.Event,
    ) -> int:
        """socket → fd until the body ends. Runs in one worker thread; both syscalls release the GIL."""
        written = 0
        checkpoint, checkpoint_at = 0, time.monotonic()
        reported, reported_at = 0, checkpoint_at
        timeout = self.sock.gettimeout()
        self.sock.settimeout(stall_s if timeout is None else min(timeout, stall_s))
        view = memoryview(self.buffer)
        behind = _WriteBehind(fd)
        with self.lock:
            while not abort.is_set():
                if self.leftover:
                    piece: memoryview | bytes = self.leftover
                    self.leftover = b""
                elif self.remaining is None:
                    event = self._next_event()
                    if not isinstance(event, h11.Data):
                        break
                    piece = bytes(event.data)
                elif self.remaining == 0:
                    break
                else:
                    try:
                        n = self._recv(view[: min(len(view), self.remaining)])
                    except httpx.ReadTimeout as exc:
                        raise CopyStalled(f"Under {min_progress} bytes in {stall_s:g} s.") from exc
                    if n == 0:
                        raise self._truncated()
                    self.remaining -= n
                    piece = view[:n]
                _write_all(fd, piece)
                written += len(piece)
                behind.wrote(written)
                now = time.monotonic()
                if written - checkpoint >= min_progress:
                    checkpoint, checkpoint_at = written, now
                elif now - checkpoint_at > stall_s:
                    raise CopyStalled(f"Under {min_progress} bytes in {stall_s:g} s.")
                if written - reported >= _PROGRESS_BYTES or now - reported_at >= _PROGRESS_S:
                    reported, reported_at = written, now
                    report(written)
            else:
                raise httpx.ReadError("The copy was cancelled.", request=self.request)
            self.done = True
        return written

    async def copy_to(
        self,
        fd: int,
        *,
        on_progress: Callable[[int], None] | None = None,
        stall_s: float = 30.0,
        min_progress: int = 64 * 1024,
    ) -> int:
        loop = asyncio.get_running_loop()
        abort = threading.Event()

        def report(done: int) -> None:
            if on_progress is not None:
                loop.call_soon_threadsafe(on_progress, done)

        # A thread of its own, not the loop's default executor: a long download must not occupy one of the
        # few pool workers that every `asyncio.to_thread` call of the app shares.
        result: concurrent.futures.Future[int] = concurrent.futures.Future()

        def run() -> None:
            try:
                result.set_result(self._copy_loop(fd, report, stall_s, min_progress, abort))
            except BaseException as exc:  # handed to the awaiting coroutine
                result.set_exception(exc)

        threading.Thread(target=run, name="videogen-download", daemon=True).start()
        copying = asyncio.wrap_future(result)
        try:
            written = await asyncio.shield(copying)
        except asyncio.CancelledError:
            abort.set()
            with contextlib.suppress(OSError):
                self.sock.shutdown(socket.SHUT_RDWR)  # wakes a thread blocked in recv_into
            # The caller closes the file next: never under a write still running in the thread.
            await asyncio.wait([copying])
            if not copying.cancelled():
                copying.exception()  # the thread's "copy was cancelled" error is expected: not logged
            raise
        if on_progress is not None:
            on_progress(written)
        return written

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


class _ThreadedBody(httpx.AsyncByteStream):
    def __init__(self, connection: _Connection) -> None:
        self._connection = connection

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while data := await asyncio.to_thread(self._connection.read_some):
            yield data

    async def aclose(self) -> None:
        self._connection.close()


class _WriteBehind:
    """Starts the disk write of a download's data while the download goes on (Linux; a no-op elsewhere).

    A plain download leaves every byte dirty in the page cache and its final fsync then writes them all
    while the user waits: 200 MB take 60–130 ms on an SSD, a quarter of the whole download on loopback.
    `posix_fadvise(DONTNEED)` on a range makes Linux start writing its dirty pages without waiting for
    them and drop those already written (the same call PostgreSQL's `pg_flush_data` falls back on where
    `sync_file_range` is missing). Each call covers the last two steps: the older one has been written by
    then and leaves the page cache, the newer one starts going to disk. Durability is unchanged: the
    caller still fsyncs before the rename.
    """

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._start = os.fstat(fd).st_size if _FADVISE else 0  # a resumed download appends
        self._older = self._newer = 0  # ends of the last two steps, in bytes of this copy

    def wrote(self, written: int) -> None:
        if not _FADVISE or written - self._newer < WRITE_BEHIND:
            return
        try:
            os.posix_fadvise(self._fd, self._start + self._older, written - self._older, _FADVISE)
        except OSError:
            return  # advice only: the final fsync writes whatever was not started here
        self._older, self._newer = self._newer, written


#: posix_fadvise(DONTNEED) starts the writeback of dirty pages on Linux only.
_FADVISE: int = os.POSIX_FADV_DONTNEED if sys.platform == "linux" else 0


def _write_all(fd: int, data: memoryview | bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


__all__ = ["COPY_EXTENSION", "READ_SIZE", "CopyStalled", "CopyTo", "LargeReadTransport"]
