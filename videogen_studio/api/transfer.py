"""Streaming transfers to and from signed storage URLs.

Downloads stream to `<dest>.part`, resume with `Range` after a dropped connection, check the size against
`fileBytes`, fsync and then atomically rename, so a half-written file never looks finished. Every file
system call (writes, the final fsync, but also stat, unlink and the rename, which can wait for a journal
commit when the disk is busy) runs in a worker thread: the event loop never waits for the disk. A download
that stops making progress (`stall_s` without 64 KiB) is cut and resumed.

Storage requests are free: every glitch (reset, timeout, stall, 5xx, 429, an oversized answer) is retried.
Signed URLs are on another origin and carry their own signature: this client never has an Authorization
header.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import IO, Any

import httpx

from .download_transport import COPY_EXTENSION, CopyStalled, CopyTo
from .errors import (
    ApiError,
    LocalFileError,
    MalformedResponse,
    NetworkError,
    RequestTimeout,
    ResponseTooLarge,
    SignedUrlRejected,
    VideoGenError,
    error_from_response,
)
from .redact import redact
from .retry import RetryPolicy, delay_from_headers

#: progress(bytes_done, bytes_total_or_None)
ProgressCallback = Callable[[int, int | None], None]
#: Returns a fresh signed URL and the expected size (from the file's downloadSource).
SourceProvider = Callable[[], Awaitable[tuple[str, int | None]]]

CHUNK = 256 * 1024
#: Download bytes handed to the writer thread at once (see _ChunkWriter).
BATCH_BYTES = 4 * 1024 * 1024
#: Bytes that must arrive within `stall_s` for a download to count as moving (a 1-byte drip does not).
MIN_PROGRESS_BYTES = 64 * 1024
#: The slowest upload rate we wait for (bytes/s); with the file size it sets an upload attempt's deadline.
UPLOAD_FLOOR_BPS = 32 * 1024
_STREAM_ERRORS = (httpx.TransportError,)


def part_path(dest: Path) -> Path:
    return dest.with_name(dest.name + ".part")


async def read_capped(response: httpx.Response, cap: int) -> bytes:
    """The whole body, refusing (before reading further) anything past `cap` bytes."""
    length = response.headers.get("content-length", "")
    if length.isdigit() and int(length) > cap:
        raise ResponseTooLarge(
            f"The answer announces {int(length)} bytes, more than the {cap}-byte limit.", received=0
        )
    buffer = bytearray()
    async for chunk in response.aiter_bytes():
        buffer += chunk
        if len(buffer) > cap:
            raise ResponseTooLarge(f"The answer exceeds the {cap}-byte limit.", received=len(buffer))
    return bytes(buffer)


class Transfer:
    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        retry: RetryPolicy,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        deadline: float = 30.0,
        max_fetch_bytes: int = 16 * 1024 * 1024,
        stall_s: float = 30.0,
        download_http: httpx.AsyncClient | None = None,
    ) -> None:
        assert "authorization" not in http.headers, "signed URLs must never receive the API key"
        self._http = http
        #: Downloads may use a client of their own (large reads); it must not have the key either.
        self._download_http = download_http or http
        assert "authorization" not in self._download_http.headers
        self._retry = retry
        self._sleep = sleep
        self.deadline = deadline
        self.max_fetch_bytes = max_fetch_bytes
        self.stall_s = stall_s

    async def aclose(self) -> None:
        await self._http.aclose()
        if self._download_http is not self._http:
            await self._download_http.aclose()

    async def fetch(self, url: str, *, max_bytes: int | None = None) -> bytes:
        """Small GET into memory (thumbnails, portraits): capped, within the deadline, retried on glitches."""
        cap = self.max_fetch_bytes if max_bytes is None else max_bytes
        host = httpx.URL(url).host
        attempt = 0
        while True:
            try:
                async with asyncio.timeout(self.deadline):
                    async with self._http.stream("GET", url) as response:
                        if response.status_code == 200:
                            return await read_capped(response, cap)
                        body = await read_capped(response, 64 * 1024)
                        error: VideoGenError = error_from_response(
                            response.status_code,
                            body.decode("utf-8", "replace"),
                            retry_after=delay_from_headers(response.headers),
                        )
            except TimeoutError:
                error = RequestTimeout(f"{host} did not answer within {self.deadline:g} s.")
            except _STREAM_ERRORS as exc:
                error = NetworkError(f"Could not fetch from {host}: {_reason(exc)}")
            except ResponseTooLarge as exc:
                error = exc
            if not error.transient or attempt + 1 >= self._retry.max_attempts:
                raise error
            await self._sleep(_delay(error, self._retry, attempt))
            attempt += 1

    async def download(
        self, source: SourceProvider, dest: Path, *, progress: ProgressCallback | None = None
    ) -> Path:
        """Download to `dest`; resumes an existing `.part`. Raises LocalFileError on disk problems."""
        part = part_path(dest)
        making = asyncio.ensure_future(asyncio.to_thread(dest.parent.mkdir, parents=True, exist_ok=True))
        try:
            url, expected = await source()  # the folder is made meanwhile
        finally:
            await asyncio.wait([making])
            unmade = making.exception()
        if isinstance(unmade, OSError):
            raise _local_error(unmade, dest.parent) from unmade
        if unmade is not None:
            raise unmade
        failures = 0
        while True:
            offset = await asyncio.to_thread(_size, part)
            if expected is not None and offset == expected:
                break
            if expected is not None and offset > expected:
                await asyncio.to_thread(part.unlink)  # stale partial from a different rendition
                offset = 0
            headers = {"Range": f"bytes={offset}-"} if offset else {}
            try:
                done = await self._stream(url, headers, part, offset, expected, progress)
            except SignedUrlRejected:
                failures += 1
                if failures > self._retry.max_attempts:
                    raise
                url, expected = await source()  # the signed URL expired: hydrate again
                continue
            except (NetworkError, MalformedResponse, ApiError) as exc:
                if isinstance(exc, ApiError) and not exc.transient:
                    raise
                moved = await asyncio.to_thread(_size, part) > offset
                failures = 1 if moved else failures + 1  # a drop after progress starts a fresh count
                if failures >= self._retry.max_attempts:
                    raise
                await self._sleep(_delay(exc, self._retry, failures - 1))
                continue
            if done:
                break
        try:
            await asyncio.to_thread(_settle, part, dest, expected)
        except OSError as exc:
            raise _local_error(exc, dest) from exc
        return dest

    async def _stream(
        self,
        url: str,
        headers: dict[str, str],
        part: Path,
        offset: int,
        expected: int | None,
        progress: ProgressCallback | None,
    ) -> bool:
        """One GET attempt. Returns True when the body ended normally."""
        try:
            async with contextlib.AsyncExitStack() as stack:
                async with asyncio.timeout(self.deadline):  # connect + send + headers
                    response = await stack.enter_async_context(
                        self._download_http.stream("GET", url, headers=headers)
                    )
                    if response.status_code not in (200, 206):
                        body = await read_capped(response, 64 * 1024)
                if response.status_code == 416:
                    if offset:
                        # Our partial already covers the whole file (or the server disagrees): start over.
                        await asyncio.to_thread(part.unlink, missing_ok=True)
                        return False
                    # 416 to a GET without a range makes no sense: a failure, counted and backed off
                    # (returning False here would ask again at once, forever).
                    raise MalformedResponse(f"{httpx.URL(url).host} refused a plain download with HTTP 416.")
                if response.status_code in (401, 403):
                    raise SignedUrlRejected(
                        "The signed download link was refused (expired).", status=response.status_code
                    )
                if response.status_code not in (200, 206):
                    raise error_from_response(
                        response.status_code,
                        body.decode("utf-8", "replace"),
                        retry_after=delay_from_headers(response.headers),
                    )
                if response.status_code == 200 and offset:
                    offset = 0  # server ignored the Range header: rewrite from the start
                total = expected
                if total is None:
                    length = response.headers.get("content-length")
                    total = offset + int(length) if length and length.isdigit() else None
                writer = await _ChunkWriter.open(part, "ab" if offset else "wb")
                try:
                    copy_to: CopyTo | None = response.extensions.get(COPY_EXTENSION)
                    if copy_to is not None:
                        await self._copy(copy_to, writer, part, offset, total, progress)
                    else:
                        await self._pump(response, writer, offset, total, progress)
                    await writer.finish()  # flush + fsync, in the worker thread
                finally:
                    await writer.close()
                return True
        except TimeoutError as exc:
            raise RequestTimeout(f"{httpx.URL(url).host} did not answer within {self.deadline:g} s.") from exc
        except _STREAM_ERRORS as exc:
            raise NetworkError(f"Download interrupted: {_reason(exc)}") from exc

    async def _copy(
        self,
        copy_to: CopyTo,
        writer: _ChunkWriter,
        part: Path,
        offset: int,
        total: int | None,
        progress: ProgressCallback | None,
    ) -> None:
        """The transport copies socket → file in its worker thread (see download_transport.py)."""

        def moved(done: int) -> None:
            if progress is not None:
                progress(offset + done, total)

        try:
            await copy_to(
                writer.fileno(), on_progress=moved, stall_s=self.stall_s, min_progress=MIN_PROGRESS_BYTES
            )
        except CopyStalled as exc:
            stalled = f"under {MIN_PROGRESS_BYTES} bytes in {self.stall_s:g} s"
            raise RequestTimeout(f"The download stalled ({stalled}).") from exc
        except OSError as exc:
            raise _local_error(exc, part) from exc

    async def _pump(
        self,
        response: httpx.Response,
        writer: _ChunkWriter,
        offset: int,
        total: int | None,
        progress: ProgressCallback | None,
    ) -> None:
        """Any other transport: read chunks on the loop, write them in the worker thread."""
        loop = asyncio.get_running_loop()
        written = offset
        checkpoint, checkpoint_at = written, loop.time()
        chunks = response.aiter_raw().__aiter__()  # storage bytes as sent: no decoding
        while True:
            # Stall watchdog: MIN_PROGRESS_BYTES must arrive every stall_s, however dripped.
            remaining = checkpoint_at + self.stall_s - loop.time()
            try:
                async with asyncio.timeout(max(0.0, remaining)):
                    chunk = await anext(chunks, b"")
            except TimeoutError as exc:
                stalled = f"under {MIN_PROGRESS_BYTES} bytes in {self.stall_s:g} s"
                raise RequestTimeout(f"The download stalled ({stalled}).") from exc
            if not chunk:
                return
            await writer.write(chunk)
            written += len(chunk)
            if written - checkpoint >= MIN_PROGRESS_BYTES:
                checkpoint, checkpoint_at = written, loop.time()
            if progress is not None:
                progress(written, total)

    async def upload(self, url: str, path: Path, *, progress: ProgressCallback | None = None) -> None:
        """PUT a local file to a presigned upload URL, streamed from disk (`progress(sent, total)`)."""
        size = path.stat().st_size

        async def chunks() -> AsyncIterator[bytes]:
            sent = 0
            with open(path, "rb") as fh:
                while block := await asyncio.to_thread(fh.read, CHUNK):
                    sent += len(block)
                    yield block
                    if progress is not None:
                        progress(sent, size)

        host = httpx.URL(url).host
        # A whole attempt has a deadline (a storage host that takes the body and never answers must not
        # hang us), generous enough for a slow line: the usual deadline plus the file at UPLOAD_FLOOR_BPS.
        limit = self.deadline + size / UPLOAD_FLOOR_BPS
        for attempt in range(self._retry.max_attempts):
            last = attempt + 1 >= self._retry.max_attempts
            try:
                async with asyncio.timeout(limit):
                    async with self._http.stream(
                        "PUT", url, content=chunks(), headers={"Content-Length": str(size)}
                    ) as response:
                        status = response.status_code
                        # Only an error body is read, and only so much of it: storage owes us nothing more.
                        body = b"" if 200 <= status < 300 else await read_capped(response, 64 * 1024)
            except TimeoutError as exc:
                if last:
                    raise RequestTimeout(f"{host} did not take the upload within {limit:g} s.") from exc
                await self._sleep(self._retry.backoff(attempt))
                continue
            except _STREAM_ERRORS as exc:
                if last:
                    raise NetworkError(f"Upload interrupted: {_reason(exc)}") from exc
                await self._sleep(self._retry.backoff(attempt))
                continue
            if 200 <= status < 300:
                return
            if status >= 500 and not last:
                await self._sleep(self._retry.backoff(attempt))
                continue
            raise error_from_response(status, body.decode("utf-8", "replace"))


class _ChunkWriter:
    """Writes in a worker thread, one batch in flight while the next one arrives.

    Chunks are gathered into batches of `BATCH_BYTES` and written with one `writev` each: every hand-off to
    the thread costs a GIL round-trip (up to the 5 ms switch interval under load), so a few large hand-offs
    beat hundreds of small ones. Memory stays bounded at about two batches.
    """

    def __init__(self, fh: IO[bytes], where: Path) -> None:
        self._fh = fh
        self._where = where
        self._pending: asyncio.Future[Any] | None = None
        self._batch: list[bytes] = []
        self._batched = 0

    def fileno(self) -> int:
        return self._fh.fileno()

    @classmethod
    async def open(cls, path: Path, mode: str) -> _ChunkWriter:
        try:
            fh = await asyncio.to_thread(open, path, mode, buffering=0)
        except OSError as exc:
            raise _local_error(exc, path) from exc
        return cls(fh, path)

    async def _settle(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            try:
                await pending
            except OSError as exc:
                raise _local_error(exc, self._where) from exc

    async def _dispatch(self) -> None:
        await self._settle()
        if self._batch:
            batch, self._batch, self._batched = self._batch, [], 0
            self._pending = asyncio.ensure_future(asyncio.to_thread(_write_all, self._fh, batch))

    async def write(self, chunk: bytes) -> None:
        self._batch.append(chunk)
        self._batched += len(chunk)
        if self._batched >= BATCH_BYTES:
            await self._dispatch()

    async def finish(self) -> None:
        """Everything written, fsynced and the file closed, in one worker-thread hop."""
        await self._dispatch()
        await self._settle()
        try:
            await asyncio.to_thread(_sync_and_close, self._fh)
        except OSError as exc:
            raise _local_error(exc, self._where) from exc

    async def close(self) -> None:
        if self._fh.closed:
            return
        with contextlib.suppress(BaseException):
            await self._dispatch()  # what arrived is kept: a resume continues after it
            await self._settle()  # never close the file under a write still running in the thread
        with contextlib.suppress(OSError):
            await asyncio.to_thread(self._fh.close)


def _write_all(fh: IO[bytes], chunks: list[bytes]) -> None:
    views = [memoryview(c) for c in chunks]
    while views:
        done = os.writev(fh.fileno(), views)
        while views and done >= len(views[0]):
            done -= len(views[0])
            views.pop(0)
        if views and done:
            views[0] = views[0][done:]


def _settle(part: Path, dest: Path, expected: int | None) -> None:
    """The finished `.part` becomes `dest` (atomic rename), unless its size is not the announced one."""
    size = part.stat().st_size
    if expected is not None and size != expected:
        part.unlink(missing_ok=True)
        raise MalformedResponse(f"Downloaded {size} bytes but the server announced {expected}.")
    os.replace(part, dest)


def _size(path: Path) -> int:
    """Bytes in `path`; 0 when it does not exist."""
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _sync_and_close(fh: IO[bytes]) -> None:
    fh.flush()
    os.fsync(fh.fileno())
    fh.close()  # a network file system may report a lost write only here


def _delay(error: VideoGenError, retry: RetryPolicy, attempt: int) -> float:
    server = getattr(error, "retry_after", None)
    return server if isinstance(server, (int, float)) and server > 0 else retry.backoff(attempt)


def _reason(exc: BaseException) -> str:
    return redact(str(exc)) or type(exc).__name__


def _local_error(exc: OSError, where: Path) -> LocalFileError:
    if exc.errno == errno.ENOSPC:
        return LocalFileError(
            f"The disk is full while writing {where.name}; the partial download is kept.", kind="disk_full"
        )
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return LocalFileError(f"No permission to write to {where}.")
    return LocalFileError(f"Could not write {where.name}: {exc.strerror or exc}")


__all__ = [
    "CHUNK",
    "MIN_PROGRESS_BYTES",
    "UPLOAD_FLOOR_BPS",
    "ProgressCallback",
    "SourceProvider",
    "Transfer",
    "part_path",
    "read_capped",
]
