"""How bytes move: connection pools built lazily, and a large-read transport for downloads.

`SchemeRouter` keeps plain `http://` requests (the sandbox on loopback) away from TLS entirely: httpx's
default transport builds an SSL context and loads the CA bundle at construction (~70 ms per client, paid at
start-up even when every URL is `http://127.0.0.1`). The TLS pool is built on the first `https://` request.

`LargeReadTransport` serves big downloads: httpcore reads 64 KiB per socket read, so a 200 MB file is
~3,000 trips through anyio and h11 per download, which caps throughput at ~0.65x curl. This transport is
a supported httpx extension point (`AsyncBaseTransport`) that speaks HTTP/1.1 through h11's public API over
an asyncio stream and hands out bodies in reads of up to `READ_SIZE`. One connection per request (downloads
are few and long), GET/HEAD only, TLS via httpx's own `create_ssl_context` (built lazily, off the loop).
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator

import h11
import httpx

#: Bytes asked of the socket per read for download bodies (httpcore: 64 KiB).
READ_SIZE = 1024 * 1024


class SchemeRouter(httpx.AsyncBaseTransport):
    """One pool for `http://`, one for `https://` built on first use; same limits for both."""

    def __init__(self, *, limits: httpx.Limits, verify: bool = True) -> None:
        self._limits = limits
        self._verify = verify
        self._plain: httpx.AsyncHTTPTransport | None = None
        self._tls: httpx.AsyncHTTPTransport | None = None
        self._lock = asyncio.Lock()

    @property
    def tls_loaded(self) -> bool:
        return self._tls is not None

    def _plain_pool(self) -> httpx.AsyncHTTPTransport:
        if self._plain is None:
            # verify=False only skips loading the CA bundle: this pool never sees an https URL (see below).
            self._plain = httpx.AsyncHTTPTransport(verify=False, limits=self._limits, trust_env=False)
        return self._plain

    async def _tls_pool(self) -> httpx.AsyncHTTPTransport:
        if self._tls is None:
            async with self._lock:
                if self._tls is None:
                    # Loading the CA bundle takes tens of milliseconds: off the event loop.
                    self._tls = await asyncio.to_thread(
                        httpx.AsyncHTTPTransport, verify=self._verify, limits=self._limits
                    )
        return self._tls

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.scheme == "https":
            return await (await self._tls_pool()).handle_async_request(request)
        if request.url.scheme != "http":
            raise httpx.UnsupportedProtocol(f"Unsupported URL scheme {request.url.scheme!r}.")
        return await self._plain_pool().handle_async_request(request)

    async def aclose(self) -> None:
        for pool in (self._plain, self._tls):
            if pool is not None:
                await pool.aclose()
        self._plain = self._tls = None


class LargeReadTransport(httpx.AsyncBaseTransport):
    """HTTP/1.1 GETs with large reads, one connection per request (see the module docstring)."""

    def __init__(self, *, read_size: int = READ_SIZE, verify: bool = True) -> None:
        self.read_size = read_size
        self._verify = verify
        self._ssl: ssl.SSLContext | None = None

    async def _ssl_context(self) -> ssl.SSLContext:
        if self._ssl is None:
            self._ssl = await asyncio.to_thread(httpx.create_ssl_context, verify=self._verify)
        return self._ssl

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method not in ("GET", "HEAD"):
            raise httpx.UnsupportedProtocol(f"{type(self).__name__} sends GET and HEAD only.")
        url = request.url
        if url.scheme not in ("http", "https"):
            raise httpx.UnsupportedProtocol(f"Unsupported URL scheme {url.scheme!r}.")
        timeouts = request.extensions.get("timeout", {})
        port = url.port or (443 if url.scheme == "https" else 80)
        tls = await self._ssl_context() if url.scheme == "https" else None
        try:
            async with asyncio.timeout(timeouts.get("connect")):
                reader, writer = await asyncio.open_connection(
                    url.host, port, ssl=tls, server_hostname=url.host if tls else None, limit=self.read_size
                )
        except TimeoutError as exc:
            raise httpx.ConnectTimeout(f"Connecting to {url.host} timed out.", request=request) from exc
        except OSError as exc:
            raise httpx.ConnectError(str(exc) or type(exc).__name__, request=request) from exc
        stream = _H11Stream(reader, writer, request, self.read_size, timeouts.get("read"))
        try:
            head = await stream.send_and_receive_head()
        except BaseException:
            await stream.aclose()
            raise
        return httpx.Response(
            head.status_code,
            headers=[(bytes(k), bytes(v)) for k, v in head.headers],
            stream=stream,
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": bytes(head.reason)},
            request=request,
        )


class _H11Stream(httpx.AsyncByteStream):
    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        request: httpx.Request,
        read_size: int,
        read_timeout: float | None,
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._request = request
        self._read_size = read_size
        self._read_timeout = read_timeout
        self._h11 = h11.Connection(h11.CLIENT)
        self._head: h11.Response | None = None

    async def _receive(self) -> None:
        try:
            async with asyncio.timeout(self._read_timeout):
                data = await self._reader.read(self._read_size)
        except TimeoutError as exc:
            raise httpx.ReadTimeout("The server sent nothing in time.", request=self._request) from exc
        except OSError as exc:
            raise httpx.ReadError(str(exc) or type(exc).__name__, request=self._request) from exc
        self._h11.receive_data(data)  # b"" = the server closed: h11 decides if that ends the body

    async def _next_event(self) -> object:
        while True:
            try:
                event = self._h11.next_event()
            except h11.RemoteProtocolError as exc:
                raise httpx.RemoteProtocolError(str(exc), request=self._request) from exc
            if event is not h11.NEED_DATA:
                return event
            await self._receive()

    async def send_and_receive_head(self) -> h11.Response:
        request = self._request
        target = request.url.raw_path
        headers = [(k, v) for k, v in request.headers.raw]
        try:
            self._writer.write(
                self._h11.send(h11.Request(method=request.method, target=target, headers=headers))
            )
            self._writer.write(self._h11.send(h11.EndOfMessage()) or b"")
            await self._writer.drain()
        except OSError as exc:
            raise httpx.WriteError(str(exc) or type(exc).__name__, request=request) from exc
        while True:
            event = await self._next_event()
            if isinstance(event, h11.Response):
                self._head = event
                return event
            if isinstance(event, h11.ConnectionClosed):
                raise httpx.RemoteProtocolError("Server closed without answering.", request=request)
            # h11.InformationalResponse (100 Continue and the like): keep reading.

    async def __aiter__(self) -> AsyncIterator[bytes]:
        length = self._plain_length()
        if length is not None:
            async for chunk in self._counted_body(length):
                yield chunk
            return
        while True:  # chunked or close-delimited: h11 parses the framing
            event = await self._next_event()
            if isinstance(event, h11.Data):
                yield bytes(event.data)
            elif isinstance(event, (h11.EndOfMessage, h11.ConnectionClosed)):
                return

    def _plain_length(self) -> int | None:
        """Content-Length of a body that is just bytes (no chunked framing), else None."""
        if self._head is None or self._request.method == "HEAD" or self._head.status_code in (204, 304):
            return None
        length: int | None = None
        for name, value in self._head.headers:
            if name == b"transfer-encoding":
                return None
            if name == b"content-length" and value.isdigit():
                length = int(value)
        return length

    async def _counted_body(self, length: int) -> AsyncIterator[bytes]:
        """A Content-Length body straight from the socket: h11 framed the head; the body needs no parsing,
        so it skips a copy through h11's buffer. The connection is not reused afterwards."""
        leftover, _closed = self._h11.trailing_data
        remaining = length
        if leftover:
            first = bytes(leftover[:remaining])
            remaining -= len(first)
            yield first
        while remaining > 0:
            try:
                async with asyncio.timeout(self._read_timeout):
                    data = await self._reader.read(min(self._read_size, remaining))
            except TimeoutError as exc:
                raise httpx.ReadTimeout("The server sent nothing in time.", request=self._request) from exc
            except OSError as exc:
                raise httpx.ReadError(str(exc) or type(exc).__name__, request=self._request) from exc
            if not data:
                raise httpx.RemoteProtocolError(
                    f"The server closed the connection {remaining} bytes before the end of the body.",
                    request=self._request,
                )
            remaining -= len(data)
            yield data

    async def aclose(self) -> None:
        self._writer.close()
        with contextlib.suppress(OSError):
            await self._writer.wait_closed()


__all__ = ["READ_SIZE", "LargeReadTransport", "SchemeRouter"]
