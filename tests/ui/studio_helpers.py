"""Helpers for async GUI tests that drive a whole `Studio` on the qasync loop (imported by test modules)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from videogen_studio.app import Studio


async def until(predicate: Callable[[], object], timeout: float = 60.0, what: str = "condition") -> None:
    """Await until `predicate()` is true; fail naming `what` after `timeout` seconds (a hang guard only)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


async def close(studio: Studio) -> None:
    """Close the window the way a user does and wait until the controller has shut the session down."""
    finished = asyncio.Event()
    studio.controller.finished.connect(finished.set)
    studio.window.close()
    await asyncio.wait_for(finished.wait(), 30)
