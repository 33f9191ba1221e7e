"""Start-up as the user sees it: first frame, presenter cards, thumbnails — the app's own start-up path.

    .venv/bin/python benchmarks/bench_startup.py [--runs 5] [--before /tmp/before-tree] [--md FILE]

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

Bytecode: the app's modules (and these scripts) are compiled once before measuring, as an installed app's
are (pip and PyInstaller compile at install time); with PYTHONDONTWRITEBYTECODE set (the dev shell) every
start would otherwise compile ~150 modules from source. `--from-source` measures that way instead.

`--before TREE`: the same app runs from another checkout too (its own warm profile), interleaved with this
one's, and a before/after table is printed (and written with `--md`).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

from _common import ROOT, Figure, parser, print_machine, report, series_figure
from bench_trees import ba_row, tree_env, write_section

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
def _run(command: list[str], home: Path, exit_at: str | None, tree: Path | None = None) -> dict[str, float]:
    """Spawn `command` (the app from `tree`, default this checkout), wait until it exits; milestone →
    seconds since the spawn."""
    with tempfile.NamedTemporaryFile("r", suffix=".trace", delete=False) as fh:
        trace = Path(fh.name)
    env = tree_env(tree, home)
    env["VIDEOGEN_STUDIO_TRACE"] = str(trace)
    if exit_at:
        env["VIDEOGEN_STUDIO_TRACE_EXIT_AT"] = exit_at
    try:
        start = time.time()
        proc = subprocess.Popen(
            command,
            env=env,
            cwd=tree or ROOT,  # `-m` puts the working folder first on sys.path
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
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


def _app(home: Path, tree: Path | None = None) -> dict[str, float]:
    return _run(APP, home, "thumbnails-visible", tree)


def _bare(home: Path, floor: bool) -> float:
    return _run([sys.executable, __file__, "--child", "floor" if floor else "bare"], home, "first-paint")[
        "first-paint"
    ]


def _warm_up_profile(home: Path, tree: Path | None = None) -> None:
    """One full start that lets the app write its caches (catalog, thumbnails) before it is stopped."""
    env = tree_env(tree, home)
    proc = subprocess.Popen(
        APP, env=env, cwd=tree or ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    time.sleep(12.0)  # start, load every page of the catalog, fetch the visible thumbnails, write caches
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _compile(folder: Path) -> None:
    """Bytecode for every module under `folder`, written beside the sources (`__pycache__`, git-ignored)."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(folder)], check=True)


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--from-source", action="store_true", help="do not compile the modules first (see above)")
    p.add_argument("--before", type=Path, help="another checkout to measure the same way (before figures)")
    p.add_argument("--md", type=Path, help="write the before/after table to this Markdown file")
    p.add_argument("--child", choices=["bare", "floor"], help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        _child_bare(with_imports=args.child == "floor")
        return

    print_machine()
    trees: dict[str, Path | None] = {"after": None}
    if args.before is not None:
        trees["before"] = args.before.resolve()
    if not args.from_source:
        for tree in trees.values():
            _compile((tree or ROOT) / "videogen_studio")
        _compile(Path(__file__).resolve().parent)  # the bare window's child imports _common, bench_trees
    print("modules:", "compiled from source at each start" if args.from_source else "bytecode compiled first")
    fresh: dict[str, dict[str, list[float]]] = {v: {m: [] for m in MILESTONES} for v in trees}
    warm: dict[str, dict[str, list[float]]] = {v: {m: [] for m in MILESTONES} for v in trees}
    bare: list[float] = []
    floor: list[float] = []
    with tempfile.TemporaryDirectory(prefix="vgs-bench-start-") as tmp:
        root = Path(tmp)
        for variant, tree in trees.items():
            _app(root / f"warm-up-{variant}", tree)  # fills the page cache: Qt, FFmpeg, the app's modules
            _warm_up_profile(root / f"warm-{variant}", tree)
        _bare(root / "warm-up", floor=True)
        # Interleaved, so a slow moment on the machine hits every series alike, and in an order that rotates
        # each run: a start right after a fresh one (which starts the sandbox, writes its assets) is slower.
        steps = [(v, profile) for v in trees for profile in ("fresh", "warm")] + [("bare", ""), ("floor", "")]
        for run in range(args.runs):
            shift = run % len(steps)
            for variant, profile in steps[shift:] + steps[:shift]:
                if variant in ("bare", "floor"):
                    (bare if variant == "bare" else floor).append(
                        _bare(root / "bare", floor=variant == "floor") * 1000
                    )
                    continue
                home = root / (f"fresh-{variant}-{run}" if profile == "fresh" else f"warm-{variant}")
                marks = _app(home, trees[variant])
                for m in MILESTONES:
                    (fresh if profile == "fresh" else warm)[variant][m].append(marks[m] * 1000)
            print(
                f"run {run + 1}: "
                + "; ".join(
                    f"{variant} fresh "
                    + ", ".join(f"{m} {fresh[variant][m][-1]:.0f}" for m in MILESTONES)
                    + " ms, warm "
                    + ", ".join(f"{m} {warm[variant][m][-1]:.0f}" for m in MILESTONES)
                    + " ms"
                    for variant in trees
                )
                + f"; bare window {bare[-1]:.0f} ms; floor {floor[-1]:.0f} ms",
                flush=True,
            )
    f, w = fresh["after"], warm["after"]
    figures: list[Figure] = [
        series_figure(BENCH, "floor: bare window + QtMultimedia, httpx, qasync imported", floor, bare, "ms",
                      "bare PySide6 window", "what any app on these libraries pays", 0),
        series_figure(BENCH, "first window paint (fresh profile)", f["first-paint"], bare, "ms",
                      "bare PySide6 window", "goal ≤ 1.5×", 0),
        series_figure(BENCH, "first window paint (warm profile)", w["first-paint"], bare, "ms",
                      "bare PySide6 window", "goal ≤ 1.5×", 0),
        series_figure(BENCH, "presenter cards visible (fresh profile)", f["cards-visible"], bare, "ms",
                      "bare PySide6 window", "catalog fetched from the embedded sandbox", 0),
        series_figure(BENCH, "presenter cards visible (warm profile)", w["cards-visible"], bare, "ms",
                      "bare PySide6 window", "goal ≤ 3×; cached catalog, refreshed in the background", 0),
        series_figure(BENCH, "thumbnails visible (fresh profile)", f["thumbnails-visible"], bare, "ms",
                      "bare PySide6 window", "every card on screen shows its picture", 0),
        series_figure(BENCH, "thumbnails visible (warm profile)", w["thumbnails-visible"], bare, "ms",
                      "bare PySide6 window", "goal ≤ 4×", 0),
    ]  # fmt: skip
    if "before" in trees:
        fb, wb = fresh["before"], warm["before"]
        figures += [
            series_figure(f"{BENCH} (before)", name, values, bare, "ms", "bare PySide6 window", "", 0)
            for name, values in (
                ("first window paint (fresh profile)", fb["first-paint"]),
                ("first window paint (warm profile)", wb["first-paint"]),
                ("presenter cards visible (warm profile)", wb["cards-visible"]),
                ("thumbnails visible (warm profile)", wb["thumbnails-visible"]),
            )
        ]
    report(figures, args.json, {"fresh_ms": fresh, "warm_ms": warm, "bare_ms": bare, "floor_ms": floor})

    if "before" in trees:
        base = median(bare)

        def goal(factor: float | None) -> str:
            return f"≤ {factor:g}× bare = {factor * base:.0f} ms" if factor else ""

        rows = [
            ba_row(f"{label} ({profile} profile)", data["after"][m], data["before"][m], "ms", goal(factor), 0)
            for profile, data in (("fresh", fresh), ("warm", warm))
            for m, label, factor in (
                ("first-paint", "first window paint", 1.5),
                ("cards-visible", "presenter cards visible", 3.0 if profile == "warm" else None),
                ("thumbnails-visible", "thumbnails visible", 4.0 if profile == "warm" else None),
            )
        ]
        rows.append(ba_row("bare PySide6 window (baseline)", bare, None, "ms", "", 0))
        rows.append(ba_row("floor: bare + QtMultimedia, httpx, qasync", floor, None, "ms", "", 0))
        notes = [
            f"`benchmarks/bench_startup.py --runs {args.runs} --before {args.before}"
            + (" --from-source" if args.from_source else "")
            + "`: `python -m "
            "videogen_studio` from each checkout (its own warm profile), interleaved with the bare window "
            "and the floor in every run; milestones from VIDEOGEN_STUDIO_TRACE, clock from the spawn.",
        ]
        write_section(args.md, "Start-up", notes, rows, before=args.before)


if __name__ == "__main__":
    main()
