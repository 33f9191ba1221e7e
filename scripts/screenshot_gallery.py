"""Render the presenter gallery and the clip player in a real window against a local sandbox; save a PNG.

    xvfb-run -a .venv/bin/python scripts/screenshot_gallery.py --out /tmp/gallery.png [--theme dark]
    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshot_gallery.py

It goes the app's way: the API client lists presenters, thumbnails come through `fetch_public`, and everything
runs on the qasync loop. On X11 the window is captured from the screen, so video frames (drawn by QVideoWidget
outside the widget backing store) show up; elsewhere `QWidget.grab()` is used.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

import qasync
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QCursor, QGuiApplication, QPixmap
from PySide6.QtWidgets import QApplication, QLabel, QSplitter, QVBoxLayout, QWidget

from videogen_studio.api.client import VideoGenClient
from videogen_studio.sandbox import SandboxConfig, SandboxServer
from videogen_studio.ui.gallery.model import MemoryFavoritesStore
from videogen_studio.ui.gallery.thumbnails import ThumbnailCache
from videogen_studio.ui.gallery.view import PresenterGallery
from videogen_studio.ui.player import ClipPlayer
from videogen_studio.ui.theme import apply_theme


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "videogen-gallery.png")
    parser.add_argument("--theme", choices=("light", "dark"), default="light")
    parser.add_argument("--size", default="1360x900", help="window size, WIDTHxHEIGHT")
    parser.add_argument("--state", choices=("grid", "empty", "error", "loading"), default="grid")
    return parser.parse_args()


def section(title: str, body: QWidget) -> QWidget:
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(0)
    header = QLabel(title)
    header.setContentsMargins(12, 8, 12, 4)
    font = header.font()
    font.setWeight(font.Weight.DemiBold)
    header.setFont(font)
    layout.addWidget(header)
    layout.addWidget(body, 1)
    return box


async def settle(seconds: float) -> None:
    await asyncio.sleep(seconds)


async def run(args: argparse.Namespace, app: QApplication, work: Path) -> Path:
    width, height = (int(v) for v in args.size.lower().split("x"))
    with SandboxServer(data_dir=work / "sandbox", config=SandboxConfig.demo()) as sandbox:
        client = VideoGenClient(sandbox.base_url, sandbox.api_key)
        try:
            cache = ThumbnailCache(client.fetch_public, work / "thumbs")
            favorites = MemoryFavoritesStore()
            gallery = PresenterGallery(cache, favorites)
            player = ClipPlayer()

            splitter = QSplitter(Qt.Orientation.Vertical)
            splitter.addWidget(section("Presenters", gallery))
            splitter.addWidget(section("Player", player))
            splitter.setSizes([height - 300, 300])
            window = splitter
            window.setWindowTitle("VideoGen Studio — presenter gallery")
            window.resize(width, height)
            window.show()
            QCursor.setPos(window.mapToGlobal(QPoint(4, 4)))  # no accidental hover state in the shot

            gallery.show_loading()
            presenters = await client.list_presenters()
            gallery.set_presenters(presenters)
            for presenter in presenters[1:4:2]:  # a couple of favorites so stars and sorting show
                gallery.model.set_favorite(presenter.avatar_presenter_id, True)
            chosen = gallery.proxy.index(6, 0).data(gallery.model.PresenterRole)
            gallery.select_presenter(chosen.avatar_presenter_id)
            gallery.list_view.setFocus()

            if args.state == "empty":
                gallery.search_edit.setText("Zelda")
            elif args.state == "error":
                gallery.show_error("Could not reach api.videogen.io (connection refused).")
            elif args.state == "loading":
                gallery.show_loading()

            clip = work / "preview.mp4"
            clip.write_bytes(await client.fetch_public(chosen.preview_video_url))
            player.load(clip, autoplay=True)

            # Let thumbnails, the large portrait and a few video frames arrive.
            for _ in range(40):
                await settle(0.1)
                if all(cache.cached(p.thumbnail_url) for p in presenters[:12]):
                    break
            player.pause()
            player.seek(1_300)  # a frame mid-clip, paused, so the time read-out shows something
            await settle(1.0)

            if QGuiApplication.platformName() == "xcb":
                screen = window.screen()
                shot: QPixmap = screen.grabWindow(window.winId())
            else:
                shot = window.grab()
            args.out.parent.mkdir(parents=True, exist_ok=True)
            shot.save(str(args.out))
            gallery.detail.set_presenter(None)
            player.clear()
            cache.close()
            window.close()
            return args.out
        finally:
            await client.aclose()


def main() -> int:
    args = parse_args()
    app = QApplication(sys.argv[:1])
    app.setQuitOnLastWindowClosed(False)  # closing the window must not end the loop under run()
    apply_theme(app, args.theme)
    with tempfile.TemporaryDirectory(prefix="vg-shot-") as tmp:
        out = qasync.run(run(args, app, Path(tmp)))
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
