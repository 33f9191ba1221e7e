"""The API key travels in every request's Authorization header: the client refuses a plain-http service
address unless it is this machine (loopback), before any request and without naming the key."""

from __future__ import annotations

import pytest

from videogen_studio.api.client import VideoGenClient, check_base_url
from videogen_studio.api.errors import ErrorKind, InsecureBaseUrl

KEY = "vg_key_base_url_123456"


@pytest.mark.parametrize(
    "url",
    [
        "https://api.videogen.io/",
        "http://127.0.0.1:8123",
        "http://127.9.9.9",
        "http://[::1]:8123",
        "http://localhost:8123",
        "http://LOCALHOST",
    ],
)
def test_https_and_loopback_http_are_accepted(url: str) -> None:
    assert check_base_url(url) == url.rstrip("/")


@pytest.mark.parametrize(
    "url",
    [
        "http://api.videogen.io",
        "http://10.0.0.5:8080",
        "http://localhost.example.com",
        "http://[fe80::1]",
        "ftp://api.videogen.io",
        "api.videogen.io",
    ],
)
async def test_anything_else_is_refused_with_a_clear_kind_and_no_key(url: str) -> None:
    with pytest.raises(InsecureBaseUrl) as info:
        VideoGenClient(url, KEY)
    assert info.value.kind == ErrorKind.INSECURE_URL == "insecure_url"
    assert KEY not in str(info.value) and KEY not in info.value.message
    assert "https" in info.value.hint


def test_credentials_in_the_address_are_not_repeated() -> None:
    with pytest.raises(InsecureBaseUrl) as info:
        check_base_url(f"http://user:{KEY}@api.videogen.io")
    assert KEY not in info.value.message
