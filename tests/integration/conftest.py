"""Integration fixtures. Modules that test the Python client override `client` with a VideoGenClient.

`generation_sandbox` runs a test once per API generation the sandbox plays (A, B, C; see
videogen_studio/sandbox/generations.py), e.g. for the CLI render journey (issue 7 item 5).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sandbox_helpers import api_client

from videogen_studio.sandbox import SandboxConfig, SandboxServer


@pytest.fixture
def client(sandbox: SandboxServer) -> Iterator[httpx.Client]:
    with api_client(sandbox) as c:
        yield c


@pytest.fixture(params=["A", "B", "C"], ids=lambda g: f"generation-{g}")
def generation_sandbox(
    request: pytest.FixtureRequest, tmp_path: Path, sandbox_assets: Path
) -> Iterator[SandboxServer]:
    """A fast sandbox playing generation A, B and C in turn (`server.config.api_generation` says which)."""
    server = SandboxServer(
        tmp_path / f"sandbox-{request.param}",
        assets_dir=sandbox_assets,
        config=SandboxConfig.fast(request.param),
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()
