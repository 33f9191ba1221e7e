"""Qt + asyncio plumbing for widget tests.

Two ways to run asyncio code on the Qt event loop (qasync), as the app does:

* async tests (`async def test_…`) run on a fresh `qasync.QEventLoop` per test, installed through
  pytest-asyncio's `pytest_asyncio_loop_factories` hook below. Await things there; do not call
  `qtbot.waitUntil`/`waitSignal` (they would nest a second Qt loop inside the running one).
* sync tests take the `qloop` fixture: a qasync loop that counts as *running* for the whole test
  (qasync's `already_running` mode), so widgets can create tasks from slots and paint events while
  `qtbot.waitUntil`/`waitSignal` spin the Qt loop that drives them.
"""

from __future__ import annotations

import asyncio
import gc
import sys
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import httpx
import loopback_http
import pytest
import pytestqt.plugin
import qasync
from PySide6.QtWidgets import QApplication

from videogen_studio.api.models import AvatarPresenter, parse_presenters
from videogen_studio.api.transports import SchemeRouter
from videogen_studio.sandbox import SandboxServer


def _qt_app() -> QApplication:
    app = QApplication.instance()
    # pytest-qt's `qapp` reuses this instance; creating it here lets the loop exist before any widget.
    return app if isinstance(app, QApplication) else QApplication(sys.argv[:1])


#: The qasync loop of the async test running now (set by the factory below; None once it is closed).
_async_test_loop: list[qasync.QEventLoop] = []


class _TestEventLoop(qasync.QEventLoop):
    """qasync's loop, except that Qt's events after a `run_until_complete` see this loop as running.

    qasync 0.28 processes pending Qt events "one last time" after leaving `run_forever`, i.e. with no
    running asyncio loop, and pytest-asyncio calls `run_until_complete` once per fixture and test phase.
    """

    def run_until_complete(self, future: Any) -> Any:
        if self.is_running():
            raise RuntimeError("Event loop already running")
        task = asyncio.ensure_future(future, loop=self)

        def stop(_: object) -> None:
            self.stop()

        task.add_done_callback(stop)
        try:
            self.run_forever()
        finally:
            task.remove_done_callback(stop)
        process_events(_qt_app())
        if not task.done():
            raise RuntimeError("Event loop stopped before Future completed.")
        return task.result()


def _new_async_test_loop() -> qasync.QEventLoop:
    loop = _TestEventLoop(_qt_app())
    _async_test_loop[:] = [loop]
    return loop


def pytest_asyncio_loop_factories(config: pytest.Config, item: pytest.Item) -> Mapping[str, Callable]:
    """Async tests under tests/ui run on a qasync loop (one per test), like the app itself."""
    return {"qasync": _new_async_test_loop}


def process_events(app: QApplication) -> None:
    """`app.processEvents()`, with the async test's qasync loop current while its callbacks run.

    Between setup, call and teardown no asyncio loop runs, yet Qt events still fire qasync's timers, so the
    test's background tasks (thumbnail loads, the render queue) take steps there. Without a running loop
    every `asyncio.get_running_loop()` inside them fails (anyio in httpx: "Not currently running on any
    asynchronous event loop"), a render step fails "unexpectedly", and its job never ends.
    """
    loop = _async_test_loop[0] if _async_test_loop else None
    if loop is None or loop.is_closed() or loop.is_running() or asyncio._get_running_loop() is not None:
        app.processEvents()
        return
    asyncio._set_running_loop(loop)  # what qasync's own run_forever does around Qt's event loop
    try:
        app.processEvents()
    finally:
        asyncio._set_running_loop(None)


def _pytest_qt_process_events() -> None:
    app = QApplication.instance()
    if isinstance(app, QApplication):
        process_events(app)


# pytest-qt processes events after each phase through this module function; route it through the above.
# A private name: fail loudly if a pytest-qt release renames it, instead of silently losing the fix.
assert callable(getattr(pytestqt.plugin, "_process_events", None)), "pytest-qt changed: see this conftest"
pytestqt.plugin._process_events = _pytest_qt_process_events


@pytest.fixture(scope="session", autouse=True)
def freeze_what_was_there_before_the_tests(qapp: QApplication) -> Iterator[None]:
    """Move everything alive after imports and QApplication into gc's permanent generation, once.

    The per-test `gc.collect()` below then scans only what tests made (a full collection over PySide6,
    numpy, PyAV… cost ~0.1 s per test). Cycles among those frozen objects are never collected; there are
    none to speak of, and the process ends with the session.
    """
    gc.collect()
    gc.freeze()
    yield
    gc.unfreeze()


@pytest.fixture(autouse=True)
def collect_garbage_on_the_gui_thread(qapp: QApplication) -> Iterator[None]:
    """After each test, run pending deleteLater()s and collect reference cycles here, on the GUI thread.

    A closed qasync loop leaves QObjects (its timer and signaller) in reference cycles. Left alone, the cyclic
    GC may free them later from whichever thread allocates next (a thread-pool worker, a sandbox thread),
    and destroying Qt objects off the GUI thread can crash the process.

    What survives the collection is frozen too, so the next test's pass scans only what that test made: a
    full pass over everything earlier tests left alive cost ~13 ms per test (4.3 s of CPU over the UI
    tests; 0.13 s frozen). A cycle among frozen objects is never collected: it leaks, and never crashes.
    """
    yield
    process_events(qapp)
    gc.collect()
    gc.freeze()


def _drain(app: QApplication, loop: asyncio.AbstractEventLoop, rounds: int = 200) -> None:
    """Cancel the test's leftover tasks and let Qt deliver their cancellations."""
    pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in pending:
        task.cancel()
    for _ in range(rounds):
        if all(task.done() for task in pending):
            break
        app.processEvents()


@pytest.fixture
def qloop(qapp: QApplication) -> Iterator[qasync.QEventLoop]:
    """A qasync loop that is current and running for the whole sync test; closed afterwards."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        pytest.fail("qloop is for sync tests; async tests already run on a qasync loop")
    loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.set_event_loop(loop)
    try:
        yield loop
    finally:
        _drain(qapp, loop)
        qapp.aboutToQuit.disconnect(loop._after_run_forever)
        loop.stop()  # leaves qasync's "running" state; no Qt loop is running, so exit() is a no-op
        asyncio.events._set_running_loop(None)
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
        asyncio.set_event_loop(None)


# -- sandbox data over real HTTP ---------------------------------------------------------------------------


@pytest.fixture
def sandbox_presenters(sandbox: SandboxServer) -> list[AvatarPresenter]:
    """The sandbox's presenter list, fetched the way the API client does (Bearer auth, JSON)."""
    response = loopback_http.get(
        f"{sandbox.base_url}/v1/resources/avatar-presenters",
        headers={"Authorization": f"Bearer {sandbox.api_key}"},
        timeout=30,
    )
    response.raise_for_status()
    presenters = parse_presenters(response.json())
    assert presenters, "the sandbox should offer presenters"
    return presenters


class CountingFetch:
    """An unauthenticated public GET (what the app passes as `fetch`) that records every call it serves."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.active = 0
        self.max_active = 0

    async def __call__(self, url: str) -> bytes:
        self.calls.append(url)
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        try:
            # One client per call: nothing is left to close when the test's loop goes away. The app's lazy
            # transport, as in the API client: httpx's default one loads the CA bundle for every client
            # (~30 ms of CPU each, for loopback http:// URLs; hundreds of clients in the gallery tests).
            async with httpx.AsyncClient(timeout=20, transport=SchemeRouter(limits=httpx.Limits())) as client:
                response = await client.get(url)
                response.raise_for_status()
                return response.content
        finally:
            self.active -= 1


@pytest.fixture
def counting_fetch() -> CountingFetch:
    return CountingFetch()


@pytest.fixture
def make_fetch() -> type[CountingFetch]:
    """For tests that need more than one independent counter."""
    return CountingFetch
