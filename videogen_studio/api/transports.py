"""Connection pools built lazily: no TLS set-up for plain `http://`.

`SchemeRouter` keeps plain `http://` requests (the sandbox on loopback) away from TLS entirely: httpx's
default transport builds an SSL context and loads the CA bundle at construction (~70 ms per client, paid at
start-up even when every URL is `http://127.0.0.1`). The TLS pool is built on the first `https://` request.
Big downloads use `download_transport.LargeReadTransport` instead.
"""

from __future__ import annotations

import asyncio

import httpx


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


__all__ = ["SchemeRouter"]
