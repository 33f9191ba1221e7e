"""Render the presenter gallery beside the script editor (the "Create" page) or above the clip player in a
real window against a local sandbox; save a PNG.

    xvfb-run -a .venv/bin/python scripts/screenshot_gallery.py --out /tmp/gallery.png [--theme dark]
        [--size 1024x640] [--layout create|player] [--long-script] [--voices]
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

from videogen_studio.api.capabilities import probe_capabilities
from videogen_studio.api.client import VideoGenClient
from videogen_studio.pipeline.catalog import Catalog
from videogen_studio.pipeline.voice_preview import VoicePreviewService
from videogen_studio.sandbox import SandboxConfig, SandboxServer
from videogen_studio.ui.gallery.model import MemoryFavoritesStore
from videogen_studio.ui.gallery.thumbnails import ThumbnailCache
from videogen_studio.ui.gallery.view import PresenterGallery
from videogen_studio.ui.player import ClipPlayer
from videogen_studio.ui.script_editor import ScriptEditor
from videogen_studio.ui.theme import apply_theme


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "videogen-gallery.png")
    parser.add_argument("--theme", choices=("light", "dark"), default="light")
    parser.add_argument("--size", default="1360x900", help="window size, WIDTHxHEIGHT")
    parser.add_argument("--state", choices=("grid", "empty", "error", "loading"), default="grid")
    parser.add_argument("--layout", choices=("create", "player"), default="create")
    parser.add_argument("--long-script", action="store_true", help="a 6,000-character script (defect 11)")
    parser.add_argument("--voices", action="store_true", help="also save the voice browser (<out>-voices)")
    parser.add_argument("--generation", choices=("A", "B", "C"), default="B", help="sandbox API generation")
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
    config = SandboxConfig.demo()
    if args.generation != "B" and hasattr(config, "api_generation"):
        import dataclasses

        config = dataclasses.replace(config, api_generation=args.generation)
    with SandboxServer(data_dir=work / "sandbox", config=config) as sandbox:
        client = VideoGenClient(sandbox.base_url, sandbox.api_key)
        try:
            cache = ThumbnailCache(client.fetch_public, work / "thumbs")
            favorites = MemoryFavoritesStore()
            gallery = PresenterGallery(cache, favorites)
            player = ClipPlayer()
            editor = ScriptEditor()
            capabilities = await probe_capabilities(client)
            catalog = Catalog(client, capabilities)
            previews = VoicePreviewService(client, work / "previews", poll_interval=0.05)
            editor.set_voice_sampler(previews.sample)
            editor.set_voice_finder(catalog.performers_for_voice)
            gallery.performerSelected.connect(editor.set_performer)

            if args.layout == "create":
                splitter = QSplitter(Qt.Orientation.Horizontal)
                splitter.addWidget(section("Presenters", gallery))
                splitter.addWidget(section("Script", editor))
                splitter.setStretchFactor(0, 3)
                splitter.setStretchFactor(1, 2)
                splitter.setSizes([width * 3 // 5, width * 2 // 5])
            else:
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
            await gallery.load_catalog(catalog)
            presenters = gallery.model.performers()
            editor.set_voices(await catalog.voices())
            for presenter in presenters[1:4:2]:  # a couple of favorites so stars and sorting show
                gallery.model.set_favorite(presenter.performer_id, True)
            chosen = gallery.proxy.index(6, 0).data(gallery.model.PresenterRole)
            gallery.select_presenter(chosen.performer_id)
            gallery.list_view.setFocus()
            editor.set_script(
                ("Welcome to VideoGen Studio. Type a script, pick a presenter and a voice, and render. " * 72)
                if args.long_script
                else "Welcome to VideoGen Studio. Type a script, pick a presenter and a voice, and render."
            )
            editor.set_replacements([("VideoGen", "video gen"), ("GIF", "jiff")])

            if args.state == "empty":
                gallery.search_edit.setText("Zelda")
            elif args.state == "error":
                gallery.show_error("Could not reach api.videogen.io (connection refused).")
            elif args.state == "loading":
                gallery.show_loading()

            if args.layout == "player" and chosen.preview_video_url:
                clip = work / "preview.mp4"
                clip.write_bytes(await client.fetch_public(chosen.preview_video_url))
                player.load(clip, autoplay=True)

            # Let thumbnails, the large portrait and a few video frames arrive.
            for _ in range(40):
                await settle(0.1)
                if all(cache.cached(p.thumbnail_url) for p in presenters[:12]) and _ > 20:
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
            if args.voices:
                editor.open_voice_browser()
                browser = editor.voice_browser()
                browser.resize(620, min(560, height))
                browser.set_current_voice(editor.current_voice_id())
                browser.find_fitting_performers()
                await settle(1.5)
                voices_out = args.out.with_name(args.out.stem + "-voices.png")
                if QGuiApplication.platformName() == "xcb":
                    browser.screen().grabWindow(browser.winId()).save(str(voices_out))
                else:
                    browser.grab().save(str(voices_out))
                browser.close()
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
