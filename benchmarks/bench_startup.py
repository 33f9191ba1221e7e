"""Cold start to an interactive main window, against a bare PySide6 QMainWindow.

    .venv/bin/python benchmarks/bench_startup.py [--runs 5]

Each run is a fresh process with a fresh, empty VIDEOGEN_STUDIO_HOME (first run: no settings, no thumbnail
cache, no sandbox assets). The clock starts in the parent just before the child is spawned and stops when the
child reports that the controller emitted `ready` (embedded sandbox started, presenters and voices loaded)
and the presenter grid then finished its first paint. The baseline child does the same for a bare
QMainWindow: spawn → shown → first paint. Python start-up and imports are inside both measurements.
One unmeasured warm-up run of each fills the OS file cache, so "cold" means a cold app, not a cold disk.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from _common import Figure, child_env, median, parser, print_machine, report
from PySide6.QtCore import QEvent, QObject, QTimer

BENCH = "Start-up"
TIMEOUT_S = 90.0


# ------------------------------------------------------------------------------------------- children
def _child_app() -> None:
    import asyncio

    import qasync

    from videogen_studio.app import build_studio, configure_logging, create_application
    from videogen_studio.paths import app_paths
    from videogen_studio.ui.gc_guard import GuiThreadGarbageCollector

    # The same steps as app.run_gui(), plus the two hooks this measurement needs.
    paths = app_paths().ensure()
    configure_logging(paths)
    app = create_application([sys.argv[0]])
    app.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    collector = GuiThreadGarbageCollector(parent=app)
    studio = build_studio(paths)

    async def main() -> None:
        ready = asyncio.Event()
        painted = asyncio.Event()
        finished = asyncio.Event()
        studio.controller.ready.connect(ready.set)
        studio.controller.finished.connect(finished.set)
        # Only a paint of the presenter grid after `ready` counts: that is the first frame with cards.
        watcher = PaintWatcher(ready.is_set, painted.set)
        studio.window.gallery.list_view.viewport().installEventFilter(watcher)
        studio.window.show()
        studio.controller.spawn(studio.controller.start())
        await asyncio.wait_for(painted.wait(), TIMEOUT_S)
        print("READY", flush=True)
        studio.window.close()  # a clean shutdown stops the sandbox; not measured
        await asyncio.wait_for(finished.wait(), 30)

    with loop:
        loop.run_until_complete(main())
    collector.stop()


def _child_bare() -> None:
    from PySide6.QtWidgets import QApplication, QMainWindow

    app = QApplication([sys.argv[0]])
    window = QMainWindow()
    window.setWindowTitle("bare")
    window.resize(1440, 920)  # the app's default size: same number of pixels to paint

    def done() -> None:
        print("READY", flush=True)
        app.quit()

    watcher = PaintWatcher(lambda: True, done)
    window.installEventFilter(watcher)
    window.show()
    app.exec()


class PaintWatcher(QObject):
    """Event filter: calls `fire` once, right after the first Paint event seen while `armed()` is true.

    The zero-delay timer runs after the paint event has been handled, so painting is inside the measurement.
    """

    def __init__(self, armed: Callable[[], bool], fire: Callable[[], object]) -> None:
        super().__init__()
        self._armed = armed
        self._fire = fire
        self.fired = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if not self.fired and event.type() == QEvent.Type.Paint and self._armed():
            self.fired = True
            QTimer.singleShot(0, self._fire)
        return False


# --------------------------------------------------------------------------------------------- parent
def _measure(kind: str) -> float:
    with tempfile.TemporaryDirectory(prefix="vgs-bench-start-") as home:
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, __file__, "--child", kind],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=child_env(Path(home)),
        )
        assert proc.stdout is not None
        try:
            line = proc.stdout.readline()
            elapsed = time.perf_counter() - start
            if line.strip() != "READY":
                _, err = proc.communicate(timeout=10)
                raise RuntimeError(f"{kind} child did not report READY:\n{err[-3000:]}")
            proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return elapsed


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--child", choices=["app", "bare"], help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child == "app":
        _child_app()
        return
    if args.child == "bare":
        _child_bare()
        return

    print_machine()
    _measure("app")  # warm-ups: fill the page cache with Qt, FFmpeg and the app's modules
    _measure("bare")
    app_times: list[float] = []
    bare_times: list[float] = []
    for run in range(args.runs):
        # Interleaved, so a slow moment on the machine hits both series alike.
        app_times.append(_measure("app"))
        bare_times.append(_measure("bare"))
        app_ms, bare_ms = app_times[-1] * 1000, bare_times[-1] * 1000
        print(f"run {run + 1}: app {app_ms:.0f} ms, bare QMainWindow {bare_ms:.0f} ms")
    figures = [
        Figure(
            BENCH,
            "cold start → ready + first paint (median)",
            median(app_times) * 1000,
            median(bare_times) * 1000,
            "ms",
            "bare QMainWindow",
            f"{args.runs} runs, fresh profile each; includes starting the embedded sandbox",
            digits=0,
        )
    ]
    report(figures, args.json, {"app_ms": app_times, "bare_ms": bare_times})


if __name__ == "__main__":
    main()
