"""Streaming transfers to and from signed storage URLs.

Downloads stream to `<dest>.part`, resume with `Range` after a dropped connection, check the size against
`fileBytes`, fsync and then atomically rename, so a half-written file never looks finished. Signed URLs are on
another origin and carry their own signature: this client never has an Authorization header.
"""

from __future__ import annotations

import asyncio
import errno
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx

from .errors import LocalFileError, MalformedResponse, NetworkError, SignedUrlRejected, error_from_response
from .retry import RetryPolicy

#: progress(bytes_done, bytes_total_or_None)
ProgressCallback = Callable[[int, int | None], None]
#: Returns a fresh signed URL and the expected size (from the file's downloadSource).
SourceProvider = Callable[[], Awaitable[tuple[str, int | None]]]

CHUNK = 256 * 1024
_STREAM_ERRORS = (httpx.TransportError,)


def part_path(dest: Path) -> Path:
    return dest.with_name(dest.name + ".part")


class Transfer:
    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        retry: RetryPolicy,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        assert "authorization" not in http.headers, "signed URLs must never receive the API key"
        self._http = http
        self._retry = retry
        self._sleep = sleep

    async def aclose(self) -> None:
        await self._http.aclose()

    async def fetch(self, url: str, *, max_bytes: int) -> bytes:
        """Small GET into memory (thumbnails, portraits), with the same retry on transport errors."""
        for attempt in range(self._retry.max_attempts):
            try:
                response = await self._http.get(url)
            except _STREAM_ERRORS as exc:
                if attempt + 1 >= self._retry.max_attempts:
                    raise NetworkError(
                        f"Could not fetch {httpx.URL(url).host}: {exc or type(exc).__name__}"
                    ) from exc
                await self._sleep(self._retry.backoff(attempt))
                continue
            if response.status_code >= 500 and attempt + 1 < self._retry.max_attempts:
                await self._sleep(self._retry.backoff(attempt))
                continue
            if response.status_code != 200:
                raise error_from_response(response.status_code, response.text)
            if len(response.content) > max_bytes:
                raise MalformedResponse(f"{url} is larger than {max_bytes} bytes")
            return response.content
        raise NetworkError("unreachable")  # pragma: no cover - the loop always returns or raises

    async def download(
        self, source: SourceProvider, dest: Path, *, progress: ProgressCallback | None = None
    ) -> Path:
        """Download to `dest`; resumes an existing `.part`. Raises LocalFileError on disk problems."""
        part = part_path(dest)
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _local_error(exc, dest.parent) from exc
        url, expected = await source()
        failures = 0
        while True:
            offset = part.stat().st_size if part.exists() else 0
            if expected is not None and offset == expected:
                break
            if expected is not None and offset > expected:
                part.unlink()  # stale partial from a different rendition
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
            except (NetworkError, MalformedResponse):
                failures += 1
                if failures >= self._retry.max_attempts:
                    raise
                await self._sleep(self._retry.backoff(failures - 1))
                continue
            if done:
                break
        size = part.stat().st_size
        if expected is not None and size != expected:
            part.unlink(missing_ok=True)
            raise MalformedResponse(f"Downloaded {size} bytes but the server announced {expected}.")
        try:
            os.replace(part, dest)
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
            async with self._http.stream("GET", url, headers=headers) as response:
                if response.status_code == 416:
                    # Our partial already covers the whole file (or the server disagrees): start over.
                    part.unlink(missing_ok=True)
                    return False
                if response.status_code in (401, 403):
                    await response.aread()
                    raise SignedUrlRejected(
                        "The signed download link was refused (expired).", status=response.status_code
                    )
                if response.status_code not in (200, 206):
                    await response.aread()
                    raise error_from_response(response.status_code, response.text)
                if response.status_code == 200 and offset:
                    offset = 0  # server ignored the Range header: rewrite from the start
                total = expected
                if total is None:
                    length = response.headers.get("content-length")
                    total = offset + int(length) if length and length.isdigit() else None
                mode = "ab" if offset else "wb"
                written = offset
                try:
                    with open(part, mode) as fh:
                        # No chunk_size: httpx would buffer up to it, and a drop would lose what it held.
                        async for chunk in response.aiter_bytes():
                            fh.write(chunk)
                            written += len(chunk)
                            if progress is not None:
                                progress(written, total)
                        fh.flush()
                        os.fsync(fh.fileno())
                except OSError as exc:
                    raise _local_error(exc, part) from exc
                return True
        except _STREAM_ERRORS as exc:
            raise NetworkError(f"Download interrupted: {exc or type(exc).__name__}") from exc

    async def upload(self, url: str, path: Path) -> None:
        """PUT a local file to a presigned upload URL, streamed from disk."""
        size = path.stat().st_size

        async def chunks() -> AsyncIterator[bytes]:
            with open(path, "rb") as fh:
                while block := fh.read(CHUNK):
                    yield block

        for attempt in range(self._retry.max_attempts):
            try:
                response = await self._http.put(url, content=chunks(), headers={"Content-Length": str(size)})
            except _STREAM_ERRORS as exc:
                if attempt + 1 >= self._retry.max_attempts:
                    raise NetworkError(f"Upload interrupted: {exc or type(exc).__name__}") from exc
                await self._sleep(self._retry.backoff(attempt))
                continue
            if 200 <= response.status_code < 300:
                return
            if response.status_code >= 500 and attempt + 1 < self._retry.max_attempts:
                await self._sleep(self._retry.backoff(attempt))
                continue
            raise error_from_response(response.status_code, response.text)


def _local_error(exc: OSError, where: Path) -> LocalFileError:
    if exc.errno == errno.ENOSPC:
        return LocalFileError(f"The disk is full while writing {where.name}; the partial download is kept.")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return LocalFileError(f"No permission to write to {where}.")
    return LocalFileError(f"Could not write {where.name}: {exc.strerror or exc}")
