"""httpx's top-level calls for tests that speak raw HTTP to the loopback sandbox, one SSL context per process.

httpx builds an SSL context and loads the CA bundle for every client it makes (~30 ms of CPU), even for a
client that only ever sees `http://127.0.0.1`; sharing one (with the gallery tests' fetch moved to the app's
lazy transport) cut the test workers' CPU from ~125 to ~110 s. Same signatures as `httpx.get`,
`httpx.Client`, …; TLS verification stays on.
"""

from __future__ import annotations

import functools
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx


@functools.cache
def _tls() -> ssl.SSLContext:
    return httpx.create_ssl_context()


def Client(**options: Any) -> httpx.Client:
    return httpx.Client(verify=_tls(), **options)


def request(method: str, url: str, *, timeout: Any = 5.0, **options: Any) -> httpx.Response:
    with Client(timeout=timeout) as client:
        return client.request(method, url, **options)


def get(url: str, **options: Any) -> httpx.Response:
    return request("GET", url, **options)


def head(url: str, **options: Any) -> httpx.Response:
    return request("HEAD", url, **options)


def post(url: str, **options: Any) -> httpx.Response:
    return request("POST", url, **options)


def put(url: str, **options: Any) -> httpx.Response:
    return request("PUT", url, **options)


def delete(url: str, **options: Any) -> httpx.Response:
    return request("DELETE", url, **options)


@contextmanager
def stream(method: str, url: str, *, timeout: Any = 5.0, **options: Any) -> Iterator[httpx.Response]:
    with Client(timeout=timeout) as client, client.stream(method, url, **options) as response:
        yield response
