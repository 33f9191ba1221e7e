"""The presenter gallery with 1,000 presenters from the sandbox, against a plain QListWidget with 1,000 items.

    .venv/bin/python benchmarks/bench_gallery.py [--runs 5] [--presenters 1000] [--before /tmp/before-bench]
        [--md FILE]

The parent starts this checkout's sandbox with 1,000 presenters (their 160 px thumbnails rendered once into a
reused assets folder, so runs measure the app, not the sandbox's drawing) and then, per run, fresh child
processes in a rotating order, so each memory reading belongs to one widget only:

* gallery: the real `PresenterGallery` with the app's `ThumbnailCache` (fresh disk cache, so every thumbnail
  is fetched from the sandbox's storage origin over HTTP, decoded, cached and painted) on a qasync loop,
  fed the performers the app would show (`pipeline.catalog.Catalog.performers()`, every page of the
  sandbox's listing; a `--before` tree without the catalog: `AvatarPresenter` records, same ids and URLs);
* baseline: a QListWidget with 1,000 text items (pixel scrolling like the gallery's).

Both run Python's cyclic collector as the app does (`app.py`): on the GUI thread only
(`ui.gc_guard.GuiThreadGarbageCollector`), with what start-up made frozen out of it (`gc.freeze()` once the
window and the performers exist, as the app does at `ready`). Without that, full collections of the whole
start-up heap — which the app never makes — stalled the loop 70–130 ms a few times per run.

Figures per run:

* first paint: from `set_presenters` (or `addItems`) until the viewport's first Paint event has been handled;
* scrolling: top to bottom in 120 px steps (one wheel notch), one step per 16 ms frame, driven by a task on
  the event loop with `verticalScrollBar().setValue` — Qt paints when the loop gets to it, as for a user. A
  `StallMeter` heartbeat (2 ms) runs on the same loop from the first step until every thumbnail has landed:
  its worst lateness is the longest the window froze while scrolling (goal < 16 ms). A scroll step is the
  time from `setValue` until the viewport's next paint has been handled (p95 reported). The GUI thread's CPU
  time over the same span is printed too: on a busy machine it moves less than the stalls do;
* memory: RSS growth from just before `set_presenters` until after the scroll and the last thumbnail load
  (goal ≤ 30 MB: bounded by screens, not by the catalog).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from _common import (
    MB,
    Figure,
    StallMeter,
    median,
    parser,
    percentile,
    print_machine,
    report,
    rss_bytes,
    series_figure,
)
from bench_trees import ba_row, tree_env, use_tree, write_section

SCROLL_STEP_PX = 120
FRAME_S = 0.016
WINDOW_SIZE = (880, 640)  # the gallery pane at the app's default window size
ASSETS = Path(tempfile.gettempdir()) / "vgs-bench-gallery-assets"  # rendered thumbnails, reused across runs
STALL_GOAL_MS = 16.0
RSS_GOAL_MB = 30.0


# ------------------------------------------------------------------------------------------- child
async def _performers(base_url: str, key: str, listing: Path) -> list[object]:
    try:
        from videogen_studio.pipeline.catalog import Catalog
    except ImportError:  # an older `--before` tree: its presenter records, same ids and URLs
        from videogen_studio.api.models import AvatarPresenter

        return [AvatarPresenter(**row) for row in json.loads(listing.read_text())]
    # The app's own path: capabilities, then the catalog walks every page and names the performers.
    from videogen_studio.api.capabilities import probe_capabilities
    from videogen_studio.api.client import VideoGenClient

    async with VideoGenClient(base_url, key) as client:
        catalog = Catalog(client, await probe_capabilities(client))
        return list(await catalog.performers())


def _child(
    variant: str,
    tree: Path | None,
    base_url: str,
    key: str,
    listing: Path,
    cache_dir: Path,
    why: bool = False,
) -> dict:
    use_tree(tree)
    import qasync
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtWidgets import QApplication, QListWidget, QMainWindow

    from videogen_studio.api.client import VideoGenClient
    from videogen_studio.ui.gallery.model import MemoryFavoritesStore
    from videogen_studio.ui.gallery.thumbnails import ThumbnailCache
    from videogen_studio.ui.gallery.view import PresenterGallery
    from videogen_studio.ui.theme import apply_theme

    app = QApplication([sys.argv[0]])
    apply_theme(app, "light")  # the same style for both variants
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    from videogen_studio.ui.gc_guard import GuiThreadGarbageCollector

    collector = GuiThreadGarbageCollector(parent=app)  # as app.py: collections on the GUI thread only

    class PaintWatch(QObject):
        """Counts the viewport's Paint events (the filter sees each one just before Qt handles it)."""

        def __init__(self) -> None:
            super().__init__()
            self.paints = 0

        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint:
                self.paints += 1
            return False

    async def painted(watch: PaintWatch, before: int, limit_s: float = 2.0) -> None:
        """Until a Paint after `before` has been handled (the loop came back after it) or `limit_s`."""
        end = time.perf_counter() + limit_s
        while watch.paints <= before and time.perf_counter() < end:
            await asyncio.sleep(0)  # each turn lets qasync process pending Qt events, paint included

    async def run() -> dict[str, object]:
        presenters = await _performers(base_url, key, listing) if variant == "gallery" else []
        count = len(json.loads(listing.read_text()))
        client = VideoGenClient(base_url, "")  # the app's HTTP client: fetch_public, shared limits
        window = QMainWindow()
        window.resize(*WINDOW_SIZE)
        window.show()
        await asyncio.sleep(0.3)  # let the empty window settle before the "before" reading

        thumbnails = None
        if variant == "gallery":
            thumbnails = ThumbnailCache(client.fetch_public, cache_dir)
            widget = PresenterGallery(thumbnails, MemoryFavoritesStore())
            widget.splitter.setSizes([WINDOW_SIZE[0], 0])  # grid only: the detail pane is not measured
            view = widget.list_view
        else:
            widget = QListWidget()
            # Pixel scrolling like the gallery's, so both scroll the same distance per step.
            widget.setVerticalScrollMode(QListWidget.ScrollMode.ScrollPerPixel)
            view = widget
        window.setCentralWidget(widget)
        await asyncio.sleep(0.2)
        # As the app at `ready`: what start-up made lives until exit, out of the collector's way.
        gc.collect()
        gc.freeze()
        watch = PaintWatch()
        view.viewport().installEventFilter(watch)

        rss_before = rss_bytes()
        start = time.perf_counter()
        seen = watch.paints
        if isinstance(widget, PresenterGallery):
            widget.set_presenters(presenters)
        else:
            widget.addItems([f"Presenter {i:04d}" for i in range(count)])
        await painted(watch, seen, 10.0)
        first_paint_ms = (time.perf_counter() - start) * 1000
        await asyncio.sleep(0.05)

        bar = view.verticalScrollBar()
        # Batched layout keeps laying out after the first paint; scroll only once the range is final.
        settle = time.perf_counter() + 10
        last = -1
        while time.perf_counter() < settle:
            await asyncio.sleep(0.05)
            if bar.maximum() == last:
                break
            last = bar.maximum()

        meter = StallMeter()
        probe = None
        if why:  # diagnostic runs only: the sampling thread costs a little CPU
            from bench_stall_probe import StallProbe

            probe = StallProbe()
            probe.start()
        meter.start()
        cpu_start = time.thread_time()  # the GUI thread's CPU: less sensitive than stalls to a busy machine
        await asyncio.sleep(0.05)  # the heartbeat's clock starts at its first beat: let it beat first
        steps: list[float] = []
        value = 0
        scroll_start = time.perf_counter()
        while value < bar.maximum():
            due = time.perf_counter() + FRAME_S
            value = min(bar.maximum(), value + SCROLL_STEP_PX)
            seen = watch.paints
            t0 = time.perf_counter()
            bar.setValue(value)
            await painted(watch, seen)
            steps.append((time.perf_counter() - t0) * 1000)
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
        scroll_s = time.perf_counter() - scroll_start
        # Let the last loads land (still under the heartbeat), so the memory figure covers every thumbnail.
        if thumbnails is not None:
            deadline = time.perf_counter() + 30
            while time.perf_counter() < deadline:
                idle = getattr(thumbnails, "is_idle", None)
                busy = not idle() if idle else any(thumbnails.is_loading(p.thumbnail_url) for p in presenters)
                if not busy:
                    break
                await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)
        meter.stop()
        loop_cpu_s = time.thread_time() - cpu_start
        if probe is not None:
            probe.stop()
        rss_after = rss_bytes()
        loaded = 0
        if thumbnails is not None:
            loaded = sum(1 for p in presenters if thumbnails.cached(p.thumbnail_url) is not None)
        await client.aclose()
        window.close()
        return {
            "first_paint_ms": first_paint_ms,
            "rss_delta_mb": (rss_after - rss_before) / MB,
            "stall_ms": meter.worst_ms,
            "stall_p99_ms": meter.percentile_ms(99),
            "stalls_over_16": sum(1 for s in meter.stalls if s * 1000 > STALL_GOAL_MS),
            "beats": len(meter.stalls),
            "scroll_steps": len(steps),
            "scroll_s": scroll_s,
            "loop_cpu_s": loop_cpu_s,
            "step_ms_median": median(steps),
            "step_ms_p95": percentile(steps, 95),
            "step_ms_max": max(steps, default=0.0),
            "thumbnails_in_memory": loaded,
            "presenters": count,
            "scroll_range_px": bar.maximum(),
            "why": probe.top(12) if probe is not None else [],
            "why_episodes": probe.worst_episodes(8) if probe is not None else [],
            "why_split": probe.split() if probe is not None else {},
            "why_threads": probe.threads_cpu() if probe is not None else [],
        }

    with loop:
        result = loop.run_until_complete(run())
    collector.stop()
    return result


# ------------------------------------------------------------------------------------------ parent
def _warm_thumbnails(urls: list[str]) -> float:
    """Fetch every thumbnail once, so the sandbox has drawn and stored them before anything is measured."""
    start = time.perf_counter()

    def get(url: str) -> int:
        with urllib.request.urlopen(url, timeout=60) as answer:
            return len(answer.read())

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(get, urls))
    return time.perf_counter() - start


async def _listing(base_url: str, key: str) -> list[dict[str, str]]:
    from videogen_studio.api.client import VideoGenClient

    async with VideoGenClient(base_url, key) as client:
        presenters = await client.list_presenters()
    return [
        {
            "avatar_presenter_id": p.avatar_presenter_id,
            "displayable_gender": p.displayable_gender,
            "thumbnail_url": p.thumbnail_url,
            "image_url": p.image_url,
            "preview_video_url": p.preview_video_url,
        }
        for p in presenters
    ]


def _run_child(
    variant: str, tree: Path | None, base_url: str, key: str, listing: Path, why: bool = False
) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="vgs-bench-gallery-") as tmp:
        command = [sys.executable, __file__, "--child", variant, "--base-url", base_url, "--key", key]
        command += ["--listing", str(listing), "--cache-dir", tmp]
        if why:
            command.append("--why")
        if tree is not None:
            command += ["--child-tree", str(tree)]
        out = subprocess.run(
            command, capture_output=True, text=True, env=tree_env(tree, Path(tmp) / "home"), timeout=300
        )
    if out.returncode != 0:
        raise RuntimeError(f"{variant} child failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--presenters", type=int, default=1000)
    p.add_argument("--before", type=Path, help="another checkout to measure the same way (before figures)")
    p.add_argument("--md", type=Path, help="write the before/after table to this Markdown file")
    p.add_argument("--child", choices=["gallery", "baseline"], help=argparse.SUPPRESS)
    p.add_argument("--child-tree", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--base-url", help=argparse.SUPPRESS)
    p.add_argument("--key", help=argparse.SUPPRESS)
    p.add_argument("--listing", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--cache-dir", type=Path, help=argparse.SUPPRESS)
    p.add_argument(
        "--why", action="store_true", help="diagnostic: sample the GUI thread's stack during stalls"
    )
    args = p.parse_args()
    if args.child:
        result = _child(
            args.child, args.child_tree, args.base_url, args.key, args.listing, args.cache_dir, args.why
        )
        print(json.dumps(result))
        return

    from videogen_studio.sandbox import SandboxConfig, SandboxServer

    print_machine()
    variants: dict[str, Path | None] = {"after": None}
    if args.before is not None:
        variants["before"] = args.before
    variants["baseline"] = None
    runs: dict[str, list[dict[str, float]]] = {v: [] for v in variants}
    config = SandboxConfig.fast()
    config.presenter_count = args.presenters
    with tempfile.TemporaryDirectory(prefix="vgs-bench-gallery-") as tmp:
        ASSETS.mkdir(exist_ok=True)
        with SandboxServer(Path(tmp) / "sandbox", assets_dir=ASSETS, config=config) as server:
            rows = asyncio.run(_listing(server.base_url, server.api_key))
            listing = Path(tmp) / "listing.json"
            listing.write_text(json.dumps(rows))
            took = _warm_thumbnails([r["thumbnail_url"] for r in rows])
            print(f"sandbox at {server.base_url}: {len(rows)} presenters, thumbnails ready in {took:.1f} s")
            names = list(variants)
            for run in range(args.runs):
                for variant in names[run % len(names) :] + names[: run % len(names)]:
                    kind = "baseline" if variant == "baseline" else "gallery"
                    r = _run_child(
                        kind, variants[variant], server.base_url, server.api_key, listing, args.why
                    )
                    runs[variant].append(r)
                    print(
                        f"run {run + 1} {variant:8}: first paint {r['first_paint_ms']:6.1f} ms, "
                        f"RSS +{r['rss_delta_mb']:6.1f} MB, stall worst {r['stall_ms']:5.1f} ms "
                        f"(p99 {r['stall_p99_ms']:4.1f}, "
                        f"{r['stalls_over_16']} beats > 16 ms of {r['beats']}), "
                        f"{r['scroll_steps']} steps in {r['scroll_s']:.1f} s: "
                        f"median {r['step_ms_median']:.1f} ms, "
                        f"p95 {r['step_ms_p95']:.1f} ms, max {r['step_ms_max']:.1f} ms; "
                        f"{r['thumbnails_in_memory']} thumbnails in memory; "
                        f"GUI thread CPU {r.get('loop_cpu_s', float('nan')):.1f} s",
                        flush=True,
                    )
                    for ms, where in r["why"]:  # type: ignore[union-attr]
                        print(f"    stalled ~{ms:5d} ms in {where}", flush=True)
                    if r.get("why_split"):
                        split = ", ".join(f"{k} {v:.0f} ms" for k, v in r["why_split"].items())  # type: ignore[union-attr]
                        print(f"    stalls in all: {split}", flush=True)
                    for line in r.get("why_episodes", []):  # type: ignore[union-attr]
                        print(f"    worst: {line}", flush=True)
                    for line in r.get("why_threads", []):  # type: ignore[union-attr]
                        print(f"    CPU {line}", flush=True)

    def vals(variant: str, key: str) -> list[float]:
        return [float(r[key]) for r in runs[variant]]

    n = args.presenters
    base = "QListWidget (text)"
    figures: list[Figure] = []
    for variant in [v for v in variants if v != "baseline"]:
        bench = f"Gallery ({n:,})" + ("" if variant == "after" else " (before)")
        figures += [
            series_figure(bench, "time to first paint", vals(variant, "first_paint_ms"),
                          vals("baseline", "first_paint_ms"), "ms", base,
                          f"set {n} presenters → first frame"),
            series_figure(bench, "RSS growth after scrolling through all", vals(variant, "rss_delta_mb"),
                          vals("baseline", "rss_delta_mb"), "MB", base,
                          "every thumbnail fetched from the sandbox, decoded and painted; goal ≤ 30 MB"),
            series_figure(bench, "worst event-loop stall while scrolling", vals(variant, "stall_ms"),
                          vals("baseline", "stall_ms"), "ms", base,
                          "2 ms heartbeat on the qasync loop; goal < 16 ms"),
            series_figure(bench, "scroll step (setValue → painted), p95", vals(variant, "step_ms_p95"),
                          vals("baseline", "step_ms_p95"), "ms", base,
                          f"{SCROLL_STEP_PX} px per 16 ms frame, top to bottom", digits=2),
        ]  # fmt: skip
    report(figures, args.json, runs)

    if "before" in variants:
        rows_md = [
            ba_row("first paint (set 1,000 → painted)", vals("after", "first_paint_ms"),
                   vals("before", "first_paint_ms"), "ms",
                   f"QListWidget {median(vals('baseline', 'first_paint_ms')):.0f} ms"),
            ba_row("RSS growth after scrolling through all", vals("after", "rss_delta_mb"),
                   vals("before", "rss_delta_mb"), "MB", "≤ 30 MB"),
            ba_row("worst event-loop stall while scrolling", vals("after", "stall_ms"),
                   vals("before", "stall_ms"), "ms",
                   f"< 16 ms (QListWidget {median(vals('baseline', 'stall_ms')):.1f} ms)"),
            ba_row("stall p99 while scrolling", vals("after", "stall_p99_ms"),
                   vals("before", "stall_p99_ms"), "ms", ""),
            ba_row("scroll step p95 (setValue → painted)", vals("after", "step_ms_p95"),
                   vals("before", "step_ms_p95"), "ms",
                   f"QListWidget {median(vals('baseline', 'step_ms_p95')):.1f} ms", digits=2),
        ]  # fmt: skip
        notes = [
            f"`benchmarks/bench_gallery.py --runs {args.runs} --before {args.before}`: {n:,} presenters "
            "from the sandbox (thumbnails over HTTP from its storage origin), the real `PresenterGallery` + "
            "`ThumbnailCache` in a fresh child per run on a qasync loop; order rotated each run. Stall = "
            "worst lateness of a 2 ms heartbeat on that loop from the first scroll step until the last "
            "thumbnail landed.",
        ]
        write_section(args.md, f"Gallery ({n:,} presenters)", notes, rows_md, before=args.before)


if __name__ == "__main__":
    main()
