"""Integration fixtures. Modules that test the Python client override `client` with a VideoGenClient.

`store` and `make_queue` (pipeline tests) need such a module-level `client` override.

`generation_sandbox` runs a test once per API generation the sandbox plays (A, B, C; see
videogen_studio/sandbox/generations.py), e.g. for the CLI render journey (issue 7 item 5).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sandbox_helpers import api_client

from videogen_studio.api.client import VideoGenClient
from videogen_studio.pipeline.queue import RenderQueue
from videogen_studio.pipeline.store import JobStore
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


@pytest.fixture
def store(tmp_path: Path) -> Iterator[JobStore]:
    s = JobStore(tmp_path / "jobs.sqlite3")
    yield s
    s.close()


@pytest.fixture
async def make_queue(
    client: VideoGenClient, store: JobStore, tmp_path: Path
) -> AsyncIterator[Callable[..., RenderQueue]]:
    """Build fast-polling queues on the shared store; any still open at the end are closed."""
    queues: list[RenderQueue] = []

    def make(*, use_client: VideoGenClient | None = None, **options: Any) -> RenderQueue:
        options = {"poll_interval": 0.02, "max_poll_interval": 0.1} | options
        q = RenderQueue(use_client or client, store, output_dir=tmp_path / "videos", **options)
        q.pacer.approval_interval = 0.05
        queues.append(q)
        return q

    yield make
    for q in queues:
        await q.aclose()
