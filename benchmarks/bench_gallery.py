"""The presenter gallery with 1,000 presenters, against a plain QListWidget with 1,000 text items.

    .venv/bin/python benchmarks/bench_gallery.py [--runs 3] [--presenters 1000]

The parent serves 1,000 thumbnail URLs from a tiny local HTTP server (160 px portraits drawn by the sandbox's
own renderer; 100 distinct images cycled, every URL fetched and decoded separately), then starts one child
process per measurement, so each memory reading belongs to one widget only. In the child:

* first paint: from handing the 1,000 presenters to `PresenterGallery.set_presenters` (or `addItems` on the
  QListWidget) until the view's viewport has painted for the first time;
* memory: RSS growth from just before that call until after a full scroll to the bottom (by then every
  thumbnail has been fetched over HTTP, decoded, cached and painted: the gallery's worst case);
* scrolling: top to bottom in 120 px steps (one mouse-wheel notch of a typical 3-line scroll); each step is
  "move the scroll bar + repaint the viewport" timed synchronously, and the event loop then runs for one
  16 ms frame so thumbnail loads progress as they would while a user scrolls.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from _common import MB, Figure, child_env, median, parser, percentile, print_machine, report, rss_bytes

SCROLL_STEP_PX = 120
FRAME_S = 0.016
UNIQUE_IMAGES = 100
WINDOW_SIZE = (880, 640)  # the gallery pane at the app's default window size


# ---------------------------------------------------------------------------------- thumbnail server
def _thumbnails(count: int) -> list[bytes]:
    from videogen_studio.sandbox import media

    genders = ("FEMALE", "MALE", "FEMALE", "MALE", "NEUTRAL")
    return [media.render_thumbnail(media.render_portrait(i, genders[i % 5], size=160)) for i in range(count)]


def _serve(images: list[bytes]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, like a CDN

        def do_GET(self) -> None:
            try:
                index = int(self.path.rsplit("/", 1)[-1].removesuffix(".png"))
            except ValueError:
                self.send_error(404)
                return
            body = images[index % len(images)]
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "public, max-age=86400")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True, name="thumbs").start()
    return server


# ------------------------------------------------------------------------------------------- child
def _child(variant: str, base_url: str, count: int, cache_dir: Path) -> dict[str, object]:
    import qasync
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtWidgets import QApplication, QListWidget, QMainWindow

    from videogen_studio.api.client import VideoGenClient
    from videogen_studio.api.models import AvatarPresenter
    from videogen_studio.ui.gallery.model import MemoryFavoritesStore
    from videogen_studio.ui.gallery.thumbnails import ThumbnailCache
    from videogen_studio.ui.gallery.view import PresenterGallery
    from videogen_studio.ui.theme import apply_theme

    app = QApplication([sys.argv[0]])
    apply_theme(app, "light")  # the same style for both variants
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    genders = ("FEMALE", "MALE", "FEMALE", "MALE", "NEUTRAL")
    presenters = [
        AvatarPresenter(
            avatar_presenter_id=f"vg_pres_{i:012x}",
            displayable_gender=genders[i % 5],
            thumbnail_url=f"{base_url}/thumb/{i}.png",
            image_url=f"{base_url}/image/{i}.png",
            preview_video_url="",
        )
        for i in range(count)
    ]
    labels = [f"Presenter {i:04d} · {genders[i % 5].title()}" for i in range(count)]

    class FirstPaint(QObject):
        """Notes the viewport's first Paint event; the clock stops once that event has been handled."""

        def __init__(self) -> None:
            super().__init__()
            self.seen = False

        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint:
                self.seen = True
            return False

    async def run() -> dict[str, object]:
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
        watcher = FirstPaint()
        view.viewport().installEventFilter(watcher)

        rss_before = rss_bytes()
        start = time.perf_counter()
        if isinstance(widget, PresenterGallery):
            widget.set_presenters(presenters)
        else:
            widget.addItems(labels)
        while not watcher.seen:  # each sleep(0) lets qasync process the pending Qt events, paint included
            await asyncio.sleep(0)
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
        steps: list[float] = []
        value = 0
        while True:
            t0 = time.perf_counter()
            bar.setValue(value)
            view.viewport().repaint()
            steps.append((time.perf_counter() - t0) * 1000)
            await asyncio.sleep(FRAME_S)
            if value >= bar.maximum():
                break
            value = min(bar.maximum(), value + SCROLL_STEP_PX)
        # Let the last loads land, so the memory figure covers every thumbnail.
        if thumbnails is not None:
            deadline = time.perf_counter() + 20
            while any(thumbnails.is_loading(p.thumbnail_url) for p in presenters[-60:]):
                if time.perf_counter() > deadline:
                    break
                await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)
        rss_after = rss_bytes()
        loaded = 0
        if thumbnails is not None:
            loaded = sum(1 for p in presenters if thumbnails.cached(p.thumbnail_url) is not None)
        await client.aclose()
        window.close()
        return {
            "first_paint_ms": first_paint_ms,
            "rss_delta_mb": (rss_after - rss_before) / MB,
            "scroll_steps": len(steps),
            "scroll_ms_median": median(steps),
            "scroll_ms_p95": percentile(steps, 95),
            "scroll_ms_max": max(steps),
            "scroll_ms_mean": sum(steps) / len(steps),
            "thumbnails_in_memory": loaded,
            "scroll_range_px": bar.maximum(),
        }

    with loop:
        return loop.run_until_complete(run())


# ------------------------------------------------------------------------------------------ parent
def _run_child(variant: str, base_url: str, count: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="vgs-bench-gallery-") as tmp:
        command = [sys.executable, __file__, "--child", variant, "--base-url", base_url]
        command += ["--presenters", str(count), "--cache-dir", tmp]
        out = subprocess.run(
            command,
            capture_output=True,
            text=True,
            env=child_env(Path(tmp) / "home"),
            timeout=180,
        )
    if out.returncode != 0:
        raise RuntimeError(f"{variant} child failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--presenters", type=int, default=1000)
    p.add_argument("--child", choices=["gallery", "baseline"], help=argparse.SUPPRESS)
    p.add_argument("--base-url", help=argparse.SUPPRESS)
    p.add_argument("--cache-dir", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        print(json.dumps(_child(args.child, args.base_url, args.presenters, args.cache_dir)))
        return

    print_machine()
    t = time.perf_counter()
    server = _serve(_thumbnails(UNIQUE_IMAGES))
    base_url = f"http://127.0.0.1:{server.server_address[1]}"
    print(
        f"{UNIQUE_IMAGES} distinct thumbnails drawn in {time.perf_counter() - t:.1f} s, served at {base_url}"
    )
    runs: dict[str, list[dict[str, float]]] = {"gallery": [], "baseline": []}
    try:
        for run in range(args.runs):
            for variant in ("gallery", "baseline"):
                result = _run_child(variant, base_url, args.presenters)
                runs[variant].append(result)
                print(
                    f"run {run + 1} {variant:8}: first paint {result['first_paint_ms']:6.1f} ms, "
                    f"RSS +{result['rss_delta_mb']:6.1f} MB, {result['scroll_steps']} scroll steps, "
                    f"median {result['scroll_ms_median']:.2f} ms, p95 {result['scroll_ms_p95']:.2f} ms, "
                    f"max {result['scroll_ms_max']:.1f} ms"
                    + (
                        f", {result['thumbnails_in_memory']} thumbnails in memory"
                        if variant == "gallery"
                        else ""
                    )
                )
    finally:
        server.shutdown()

    def med(variant: str, key: str) -> float:
        return median([r[key] for r in runs[variant]])

    n = args.presenters
    bench = f"Gallery ({n:,})"
    base = "QListWidget (text)"
    figures = [
        Figure(bench, "time to first paint", med("gallery", "first_paint_ms"),
               med("baseline", "first_paint_ms"), "ms", base, f"set {n} presenters → first frame"),
        Figure(bench, "RSS growth after scrolling through all", med("gallery", "rss_delta_mb"),
               med("baseline", "rss_delta_mb"), "MB", base, "every thumbnail fetched, decoded and painted"),
        Figure(bench, "scroll step, median (scroll + repaint)", med("gallery", "scroll_ms_median"),
               med("baseline", "scroll_ms_median"), "ms", base, f"{SCROLL_STEP_PX} px steps, top to bottom",
               digits=2),
        Figure(bench, "scroll step, 95th percentile", med("gallery", "scroll_ms_p95"),
               med("baseline", "scroll_ms_p95"), "ms", base, "a 60 Hz frame is 16.7 ms", digits=2),
    ]  # fmt: skip
    report(figures, args.json, runs)


if __name__ == "__main__":
    main()
