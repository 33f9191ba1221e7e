"""An idle app: wake-ups per second and resident memory, against bare windows — the app's own start-up path.

    .venv/bin/python benchmarks/bench_idle.py [--runs 5] [--seconds 10]

The app is `python -m videogen_studio` on a warm profile (one unmeasured start first writes the caches),
left alone once its thumbnails are visible and it is `ready` (connected, catalog loaded), plus a settling
pause; then, for `--seconds`, every thread's context switches are counted from /proc (a wake-up of any
thread is a switch). Its RSS is read at the end.
Baselines from the same run: a bare PySide6 window (0 wake-ups/s is the goal for the app's own code) and the
*floor* for memory — a window with a running qasync loop and an httpx client, what any app on these
libraries pays.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import MB, child_env, context_switches, parser, print_machine, process_rss, report, series_figure

BENCH = "Idle"
SETTLE_S = 3.0


def _child(kind: str) -> None:
    from PySide6.QtWidgets import QApplication, QMainWindow

    app = QApplication([sys.argv[0]])
    window = QMainWindow()
    window.resize(1440, 920)
    window.show()
    if kind == "bare":
        app.exec()
        return
    import asyncio

    import httpx
    import qasync

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    client = httpx.AsyncClient()  # what the app holds too: a connection pool, an SSL context
    with loop:
        loop.run_forever()
    del client


def _wait_for_trace(trace: Path, name: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if trace.exists() and any(line.startswith(name) for line in trace.read_text().splitlines()):
            return
        time.sleep(0.1)  # the benchmark's parent polls, not the measured child
    raise RuntimeError(f"the app did not reach {name} within {timeout:.0f} s")


def _sample(pid: int, seconds: float) -> tuple[float, float]:
    """(wake-ups per second, RSS in MB) of `pid` over `seconds`."""
    before = context_switches(pid)
    time.sleep(seconds)
    after = context_switches(pid)
    return (after - before) / seconds, process_rss(pid) / MB


def _measure_app(home: Path, seconds: float) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        trace = Path(tmp) / "trace"
        env = child_env(home) | {"VIDEOGEN_STUDIO_TRACE": str(trace)}
        proc = subprocess.Popen(
            [sys.executable, "-m", "videogen_studio"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            # Started = connected with the catalog loaded (`ready`), which since issue 11 may come after the
            # cached cards' thumbnails are visible.
            _wait_for_trace(trace, "thumbnails-visible")
            _wait_for_trace(trace, "ready")
            time.sleep(SETTLE_S)
            return _sample(proc.pid, seconds)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _measure_child(kind: str, seconds: float) -> tuple[float, float]:
    proc = subprocess.Popen(
        [sys.executable, __file__, "--child", kind],
        env=child_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(SETTLE_S + 1.0)
        return _sample(proc.pid, seconds)
    finally:
        proc.kill()
        proc.wait()


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--child", choices=["bare", "floor"], help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        _child(args.child)
        return
    print_machine()
    app_wake: list[float] = []
    app_rss: list[float] = []
    bare_wake: list[float] = []
    floor_rss: list[float] = []
    with tempfile.TemporaryDirectory(prefix="vgs-bench-idle-") as tmp:
        home = Path(tmp) / "home"
        _measure_app(home, 1.0)  # warm-up: writes the catalog and thumbnail caches
        for run in range(args.runs):
            wake, rss = _measure_app(home, args.seconds)
            app_wake.append(wake)
            app_rss.append(rss)
            wake, _ = _measure_child("bare", args.seconds)
            bare_wake.append(wake)
            _, rss = _measure_child("floor", args.seconds)
            floor_rss.append(rss)
            print(
                f"run {run + 1}: app {app_wake[-1]:.1f} wake-ups/s, {app_rss[-1]:.0f} MB; "
                f"bare window {bare_wake[-1]:.1f} wake-ups/s; floor {floor_rss[-1]:.0f} MB",
                flush=True,
            )
    figures = [
        series_figure(BENCH, "wake-ups per second, idle (all threads)", app_wake, bare_wake, "/s",
                      "bare PySide6 window", f"warm profile; context switches over {args.seconds:.0f} s", 1),
        series_figure(BENCH, "RSS at idle (warm profile)", app_rss, floor_rss, "MB",
                      "window + qasync + httpx", "goal ≤ 2×", 0),
    ]  # fmt: skip
    report(figures, args.json, {"app_wakeups": app_wake, "app_rss": app_rss, "bare_wakeups": bare_wake})


if __name__ == "__main__":
    main()
