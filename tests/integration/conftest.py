"""Integration fixtures. Modules that test the Python client override `client` with a VideoGenClient."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sandbox_helpers import api_client

from videogen_studio.sandbox import SandboxServer


@pytest.fixture
def client(sandbox: SandboxServer) -> Iterator[httpx.Client]:
    with api_client(sandbox) as c:
        yield c
