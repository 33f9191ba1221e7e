"""Builds the QApplication, installs the qasync loop, composes the services and the main window."""

from __future__ import annotations

import asyncio
import gc
import logging
import logging.handlers
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QSettings, QTimer
from PySide6.QtWidgets import QApplication

from . import __version__, milestones
from .paths import AppPaths, app_paths
from .settings import load_settings, settings_file
from .ui.main_window import MainWindow
from .ui.theme import app_icon, apply_theme

if TYPE_CHECKING:
    from .ui.controller import StudioController
    from .ui.gallery.thumbnails import ThumbnailCache

log = logging.getLogger(__name__)


@dataclass
class Studio:
    """The composed app; tests and benchmarks build one with `build_studio()` and drive it."""

    window: MainWindow
    controller: StudioController
    thumbnails: ThumbnailCache


def configure_logging(paths: AppPaths) -> logging.Handler:
    """Send log records to `videogen-studio.log`, redacted; returns the handler (tests remove it)."""
    from .api.redact import RedactingFilter

    paths.logs.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(
        paths.logs / "videogen-studio.log", maxBytes=2_000_000, backupCount=3, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    # The API key must never reach the file: messages and exception tracebacks are redacted on the handler.
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    # httpx logs full URLs at INFO; signed URLs carry signatures, so keep them out of the log file.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    return handler


def create_application(argv: list[str] | None = None) -> QApplication:
    # QtMultimedia reports every missing optional codec library (VA-API, PipeWire) at start; users can't act
    # on that, so keep it out of the terminal unless they ask for it with their own rules.
    os.environ.setdefault("QT_LOGGING_RULES", "qt.multimedia.*=false")
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv)
    assert isinstance(app, QApplication)
    app.setApplicationName("VideoGen Studio")
    app.setApplicationDisplayName("VideoGen Studio")
    app.setApplicationVersion(__version__)
    app.setOrganizationName("VideoGen")
    app.setDesktopFileName("io.videogen.Studio")
    app.setWindowIcon(app_icon())
    return app


def build_studio(
    paths: AppPaths | None = None,
    *,
    sandbox_config: object | None = None,
    window: MainWindow | None = None,
) -> Studio:
    """Compose settings, secrets, thumbnail cache, window and controller (no network yet).

    `window`: a skeleton window already on screen (`run_gui` paints one before the heavy imports); its
    parts are built here. Tests, benchmarks and scripts leave it out and get a complete new window.
    """
    from .credentials import SecretStore
    from .ui.controller import StudioController
    from .ui.gallery.model import JsonFavoritesStore
    from .ui.gallery.thumbnails import ThumbnailCache

    paths = (paths or app_paths()).ensure()
    first_run = not settings_file(paths).exists()
    settings = load_settings(paths)
    app = QApplication.instance()
    if isinstance(app, QApplication) and window is None:
        apply_theme(app, settings.theme)
    secrets = SecretStore(paths.data / "api-key")

    controller_ref: list[StudioController] = []

    async def fetch(url: str) -> bytes:
        return await controller_ref[0].fetch_public(url)

    thumbnails = ThumbnailCache(fetch, paths.thumbnails)
    favorites = JsonFavoritesStore(paths.config / "favorites.json")
    part_options = {
        "output_dir": settings.output_dir,
        "default_watermark": settings.default_watermark,
        "default_temporary": settings.temporary_outputs,
    }
    if window is None:
        window = MainWindow(thumbnails, favorites, ui_settings(paths), **part_options)  # type: ignore[arg-type]
    else:
        window.set_part_args(thumbnails=thumbnails, favorites=favorites, **part_options)
        window.build_parts()
    controller = StudioController(window, settings, paths, secrets, sandbox_config=sandbox_config)
    controller_ref.append(controller)
    if first_run and settings.uses_sandbox:
        window.banner.show_message(
            "You are using the offline sandbox: renders are free and stay on this computer. "
            "Connect your VideoGen account any time.",
            "info",
            "Connect account…",
            controller.open_account_dialog,
        )
    return Studio(window, controller, thumbnails)


def ui_settings(paths: AppPaths) -> QSettings:
    """Window layout and drafts (not user settings): an INI file beside settings.json."""
    return QSettings(str(paths.config / "ui.ini"), QSettings.Format.IniFormat)


class _FirstPaint(QObject):
    """Notices the window's first paint (the `first-paint` milestone of the start-up benchmark)."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.painted = False
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and not self.painted:
            self.painted = True
            QTimer.singleShot(0, lambda: milestones.mark("first-paint"))  # after the paint is handled
        return False


def paint_skeleton(app: QApplication, paths: AppPaths) -> MainWindow:
    """Put the window's frame on screen before anything heavy is imported (issue 11: first paint)."""
    import time

    settings = load_settings(paths)
    apply_theme(app, settings.theme)
    window = MainWindow(qsettings=ui_settings(paths), skeleton=True)
    watcher = _FirstPaint(window)
    window.show()
    deadline = time.monotonic() + 2.0
    while not watcher.painted and time.monotonic() < deadline:
        app.processEvents()
    app.processEvents()  # deliver the milestone timer
    return window


def _mark_ready() -> None:
    milestones.mark("ready")


async def _main(studio: Studio, *, play: Path | None = None, quit_after: float | None = None) -> int:
    done = asyncio.Event()
    studio.controller.finished.connect(done.set)

    def freeze_heap() -> None:
        # What is alive after start-up lives until exit: keep it out of full collections (a full
        # collection of the start-up heap stalled the UI ~50 ms in benchmarks/bench_queue.py).
        gc.collect()
        gc.freeze()
        studio.controller.ready.disconnect(freeze_heap)

    studio.controller.ready.connect(freeze_heap)
    studio.controller.ready.connect(_mark_ready)
    studio.window.show()
    studio.controller.spawn(studio.controller.start())
    player = studio.window.player
    reached = [0]  # furthest playback position seen, ms
    length = [0]  # clip duration, ms (the player is cleared on shutdown, so remember it here)
    errors: list[str] = []

    def on_position(ms: int) -> None:
        reached[0] = max(reached[0], ms)

    if play is not None:
        player.media_player.positionChanged.connect(on_position)
        player.errorOccurred.connect(errors.append)
        player.durationChanged.connect(lambda ms: length.__setitem__(0, max(length[0], ms)))
        player.load(play, autoplay=True)
    if quit_after is not None:
        # The normal close path: closeEvent -> controller.shutdown() -> finished.
        QTimer.singleShot(round(quit_after * 1000), studio.window.close)
    await done.wait()
    if play is None:
        return 0
    if errors or reached[0] <= 0:
        reason = errors[-1] if errors else "playback never started"
        print(f"error: could not play {play}: {reason}", file=sys.stderr)
        return 3
    print(f"played {play.name} up to {reached[0] / 1000:.1f} s of {length[0] / 1000:.1f} s")
    return 0


def run_gui(
    argv: list[str] | None = None, *, play: Path | None = None, quit_after: float | None = None
) -> int:
    """Start the desktop app. `play`/`quit_after` exist for smoke tests of packaged builds."""
    paths = app_paths().ensure()
    configure_logging(paths)
    app = create_application(argv)
    # One GUI per data folder: a second start brings the first window forward and leaves.
    from .ui.single_instance import SingleInstance, bring_forward

    instance = SingleInstance(paths.data, parent=app)
    if not instance.claim():
        holder = instance.holder()
        if instance.ask_first_to_come_forward():
            print("VideoGen Studio is already open; its window was brought forward.", file=sys.stderr)
            return 0
        if holder is None or holder.kind == "gui":
            print("VideoGen Studio is already running with this data folder.", file=sys.stderr)
            return 1
        # A command-line render holds the folder: start anyway (each job has its own lease) and say so.
    # The window's closeEvent shuts the session down first and then quits; the app must not quit earlier.
    app.setQuitOnLastWindowClosed(False)
    window = paint_skeleton(app, paths)
    instance.activationRequested.connect(lambda: bring_forward(window))

    import qasync

    from .ui.gc_guard import GuiThreadGarbageCollector

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    collector = GuiThreadGarbageCollector(parent=app)
    studio = build_studio(paths, window=window)
    if not instance.is_first:
        window.banner.show_message(
            "A command-line render is using this data folder; its jobs appear here when it is done.", "info"
        )
    with loop:
        status = loop.run_until_complete(_main(studio, play=play, quit_after=quit_after))
    collector.stop()
    instance.release()
    return status
