"""Connection pools built lazily: no TLS set-up for plain `http://`.

`SchemeRouter` keeps plain `http://` requests (the sandbox on loopback) away from TLS entirely: httpx's
default transport builds an SSL context and loads the CA bundle at construction (~70 ms per client, paid at
start-up even when every URL is `http://127.0.0.1`). The TLS pool is built on the first `https://` request.
Big downloads use `download_transport.LargeReadTransport` instead.

Both pools are built in a worker thread, never on the event loop (the GUI thread under qasync): the first
pool of the process imports httpcore, anyio and certifi, and anyio imports its asyncio backend on first use
— 40–100 ms together, a freeze the user would feel at the first API request.
"""

from __future__ import annotations

import asyncio
import functools

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

    async def _plain_pool(self) -> httpx.AsyncHTTPTransport:
        if self._plain is None:
            async with self._lock:
                if self._plain is None:
                    # verify=False only skips loading the CA bundle: this pool never sees an https URL.
                    self._plain = await asyncio.to_thread(
                        _new_pool, self._limits, verify=False, trust_env=False
                    )
        return self._plain

    async def _tls_pool(self) -> httpx.AsyncHTTPTransport:
        if self._tls is None:
            async with self._lock:
                if self._tls is None:
                    self._tls = await asyncio.to_thread(
                        _new_pool, self._limits, verify=self._verify, trust_env=True
                    )
        return self._tls

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.scheme == "https":
            return await (await self._tls_pool()).handle_async_request(request)
        if request.url.scheme != "http":
            raise httpx.UnsupportedProtocol(f"Unsupported URL scheme {request.url.scheme!r}.")
        return await (await self._plain_pool()).handle_async_request(request)

    async def aclose(self) -> None:
        for pool in (self._plain, self._tls):
            if pool is not None:
                await pool.aclose()
        self._plain = self._tls = None


def _new_pool(limits: httpx.Limits, *, verify: bool, trust_env: bool) -> httpx.AsyncHTTPTransport:
    """A connection pool, with everything its first request would import on the loop imported here.

    Runs in a worker thread. httpx imports httpcore (and with it anyio and certifi) when the transport is
    built; httpcore's first request then makes anyio import its asyncio backend, which
    `anyio.get_available_backends()` (public API) does here instead.
    """
    pool = httpx.AsyncHTTPTransport(verify=verify, limits=limits, trust_env=trust_env)
    _import_anyio_backends()
    return pool


@functools.cache
def _import_anyio_backends() -> None:
    """Once per process: each call re-tries importing the backends that are missing (trio), ~25-45 ms."""
    import anyio  # httpx's own dependency; imported here, not at start-up

    anyio.get_available_backends()


__all__ = ["SchemeRouter"]
