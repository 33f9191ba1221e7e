"""Start-up as the user sees it: first frame, presenter cards, thumbnails — the app's own start-up path.

    .venv/bin/python benchmarks/bench_startup.py [--runs 5]

Each app run is `python -m videogen_studio` (exactly what the desktop entry starts) in a fresh process, with
`VIDEOGEN_STUDIO_TRACE` set so the app writes its milestones (see `videogen_studio/milestones.py`):
`first-paint`, `cards-visible`, `thumbnails-visible`. The clock starts in the parent just before the spawn
and stops at each milestone's wall-clock time, so Python start-up and every import are inside the figures.
The process exits by itself right after `thumbnails-visible` (`VIDEOGEN_STUDIO_TRACE_EXIT_AT`).

Two profiles: *fresh* (a new, empty VIDEOGEN_STUDIO_HOME each run: no catalog cache, no thumbnails) and
*warm* (one home reused: the second start of a user's day). Baselines from the same run, interleaved:
a bare PySide6 QMainWindow's first paint, and the *floor* — the same bare window with QtMultimedia, httpx
and qasync imported first (what any app built on these pays). One unmeasured warm-up of each fills the OS
file cache, so "fresh" means a fresh profile, not a cold disk.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import Figure, child_env, parser, print_machine, report, series_figure

BENCH = "Start-up"
TIMEOUT_S = 120.0
MILESTONES = ("first-paint", "cards-visible", "thumbnails-visible")
WINDOW = (1440, 920)  # the app's default size: the same number of pixels to paint


# ------------------------------------------------------------------------------------------- children
def _child_bare(with_imports: bool) -> None:
    if with_imports:
        import httpx  # noqa: F401
        import qasync  # noqa: F401
        from PySide6 import QtMultimedia, QtMultimediaWidgets  # noqa: F401
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication, QMainWindow

    trace = os.environ["VIDEOGEN_STUDIO_TRACE"]

    class FirstPaint(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint:
                # After the paint is handled, like the app's own milestone.
                QTimer.singleShot(0, done)
            return False

    def done() -> None:
        with open(trace, "a", encoding="utf-8") as fh:
            fh.write(f"first-paint {time.time():.6f}\n")
        os._exit(0)

    app = QApplication([sys.argv[0]])
    window = QMainWindow()
    window.setWindowTitle("bare")
    window.resize(*WINDOW)
    watcher = FirstPaint()
    window.installEventFilter(watcher)
    window.show()
    app.exec()


# --------------------------------------------------------------------------------------------- parent
def _run(command: list[str], home: Path, exit_at: str | None) -> dict[str, float]:
    """Spawn `command`, wait until it exits; milestone → seconds since the spawn."""
    with tempfile.NamedTemporaryFile("r", suffix=".trace", delete=False) as fh:
        trace = Path(fh.name)
    env = child_env(home)
    env["VIDEOGEN_STUDIO_TRACE"] = str(trace)
    if exit_at:
        env["VIDEOGEN_STUDIO_TRACE_EXIT_AT"] = exit_at
    try:
        start = time.time()
        proc = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        try:
            _, err = proc.communicate(timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired as exc:
            proc.kill()
            _, err = proc.communicate()
            raise RuntimeError(
                f"{command[-1]} did not reach {exit_at} in {TIMEOUT_S:.0f} s:\n{err[-3000:]}"
            ) from exc
        marks = {}
        for line in trace.read_text(encoding="utf-8").splitlines():
            name, stamp = line.split()
            marks[name] = float(stamp) - start
        if exit_at and exit_at not in marks:
            raise RuntimeError(f"no {exit_at} milestone (exit {proc.returncode}):\n{err[-3000:]}")
        return marks
    finally:
        trace.unlink(missing_ok=True)


APP = [sys.executable, "-m", "videogen_studio"]


def _app(home: Path) -> dict[str, float]:
    return _run(APP, home, "thumbnails-visible")


def _bare(home: Path, floor: bool) -> float:
    return _run([sys.executable, __file__, "--child", "floor" if floor else "bare"], home, "first-paint")[
        "first-paint"
    ]


def _warm_up_profile(home: Path) -> None:
    """One full start that lets the app write its caches (catalog, thumbnails) before it is stopped."""
    env = child_env(home)
    proc = subprocess.Popen(APP, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(12.0)  # start, load every page of the catalog, fetch the visible thumbnails, write caches
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--child", choices=["bare", "floor"], help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        _child_bare(with_imports=args.child == "floor")
        return

    print_machine()
    fresh: dict[str, list[float]] = {m: [] for m in MILESTONES}
    warm: dict[str, list[float]] = {m: [] for m in MILESTONES}
    bare: list[float] = []
    floor: list[float] = []
    with tempfile.TemporaryDirectory(prefix="vgs-bench-start-") as tmp:
        root = Path(tmp)
        warm_home = root / "warm"
        _app(root / "warm-up")  # fills the page cache with Qt, FFmpeg and the app's modules
        _bare(root / "warm-up", floor=True)
        _warm_up_profile(warm_home)
        for run in range(args.runs):
            # Interleaved, so a slow moment on the machine hits every series alike.
            marks = _app(root / f"fresh-{run}")
            for m in MILESTONES:
                fresh[m].append(marks[m] * 1000)
            marks = _app(warm_home)
            for m in MILESTONES:
                warm[m].append(marks[m] * 1000)
            bare.append(_bare(root / "bare", floor=False) * 1000)
            floor.append(_bare(root / "bare", floor=True) * 1000)
            print(
                f"run {run + 1}: fresh "
                + ", ".join(f"{m} {fresh[m][-1]:.0f}" for m in MILESTONES)
                + " ms; warm "
                + ", ".join(f"{m} {warm[m][-1]:.0f}" for m in MILESTONES)
                + f" ms; bare window {bare[-1]:.0f} ms; floor {floor[-1]:.0f} ms",
                flush=True,
            )
    figures: list[Figure] = [
        series_figure(BENCH, "floor: bare window + QtMultimedia, httpx, qasync imported", floor, bare, "ms",
                      "bare PySide6 window", "what any app on these libraries pays", 0),
        series_figure(BENCH, "first window paint (fresh profile)", fresh["first-paint"], bare, "ms",
                      "bare PySide6 window", "goal ≤ 1.5×", 0),
        series_figure(BENCH, "first window paint (warm profile)", warm["first-paint"], bare, "ms",
                      "bare PySide6 window", "goal ≤ 1.5×", 0),
        series_figure(BENCH, "presenter cards visible (fresh profile)", fresh["cards-visible"], bare, "ms",
                      "bare PySide6 window", "catalog fetched from the embedded sandbox", 0),
        series_figure(BENCH, "presenter cards visible (warm profile)", warm["cards-visible"], bare, "ms",
                      "bare PySide6 window", "goal ≤ 3×; cached catalog, refreshed in the background", 0),
        series_figure(BENCH, "thumbnails visible (fresh profile)", fresh["thumbnails-visible"], bare, "ms",
                      "bare PySide6 window", "every card on screen shows its picture", 0),
        series_figure(BENCH, "thumbnails visible (warm profile)", warm["thumbnails-visible"], bare, "ms",
                      "bare PySide6 window", "goal ≤ 4×", 0),
    ]  # fmt: skip
    report(figures, args.json, {"fresh_ms": fresh, "warm_ms": warm, "bare_ms": bare, "floor_ms": floor})


if __name__ == "__main__":
    main()
