"""Helpers shared by the integration tests: raw HTTP against the sandbox, and waiting on the render queue."""

from __future__ import annotations

import asyncio
import importlib.util
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import loopback_http

from videogen_studio.pipeline.jobs import RenderJob
from videogen_studio.pipeline.queue import JobEvent, RenderQueue
from videogen_studio.sandbox import SandboxServer
from videogen_studio.sandbox.catalog import VOICES

VOICE = VOICES[0].voice_id  # a direct-TTS voice: generations B and C require voiceId

TERMINAL = {"succeeded", "failed", "cancelled"}
WAIT_S = 60.0  # hang guard only, never a performance expectation


@contextmanager
def api_client(server: SandboxServer) -> Iterator[httpx.Client]:
    """A plain httpx client with the sandbox's key: the wire format exactly as a third party would see it."""
    headers = {"Authorization": f"Bearer {server.api_key}"}
    with loopback_http.Client(base_url=server.base_url, headers=headers, timeout=30) as client:
        yield client


def wait_execution(client: httpx.Client, execution_id: str) -> dict[str, Any]:
    """Poll GET /v1/tools/executions/{id} until it is terminal; returns the last body."""
    deadline = time.monotonic() + WAIT_S
    while True:
        body = client.get(f"/v1/tools/executions/{execution_id}").json()
        if body["status"] in TERMINAL:
            return body
        assert time.monotonic() < deadline, f"execution never finished: {body}"
        time.sleep(0.02)


def posts(sandbox: SandboxServer, path: str) -> int:
    """How many times a POST to `path` reached the API origin (accepted or not)."""
    return sum(1 for r in sandbox.request_log if r.method == "POST" and r.path == path and r.origin == "api")


async def wait_job(
    queue: RenderQueue, job_id: str, predicate: Callable[[RenderJob], bool] | None = None
) -> RenderJob:
    """The job as soon as `predicate` holds (default: terminal), from the queue's own events."""
    predicate = predicate or (lambda j: j.state.is_terminal)
    current = queue.get(job_id)
    if current is not None and predicate(current):
        return current
    found: asyncio.Future[RenderJob] = asyncio.get_running_loop().create_future()

    def on_event(event: JobEvent) -> None:
        if event.job.job_id == job_id and predicate(event.job) and not found.done():
            found.set_result(event.job)

    unsubscribe = queue.subscribe(on_event)
    try:
        return await asyncio.wait_for(found, WAIT_S)
    finally:
        unsubscribe()


REPO = Path(__file__).resolve().parents[2]


def load_soak() -> ModuleType:
    """scripts/soak.py as the module `soak` (loaded once; the crash and soak tests share its harness)."""
    if "soak" in sys.modules:
        return sys.modules["soak"]
    spec = importlib.util.spec_from_file_location("soak", REPO / "scripts" / "soak.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["soak"] = module
    spec.loader.exec_module(module)
    return module
