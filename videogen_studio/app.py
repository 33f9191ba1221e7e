"""Builds the QApplication, installs the qasync loop, composes the services and the main window.

Start-up order (issue 11), each step before what the user sees later:
1. the window's frame (`paint_skeleton`): Qt and the frame only — no asyncio, httpx, QtMultimedia, qasync;
2. the qasync loop and the presenter gallery alone, with last run's cached cards; their thumbnails load from
   the disk cache in worker threads while the GUI thread is free to paint them (`_pictures_shown`);
3. then the other parts (editor, queue, player, library), the controller and the session — the embedded
   sandbox imports numpy/PyAV in a thread, which would hold the GIL while steps 1–2 paint.
"""

from __future__ import annotations

import gc
import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractEventDispatcher, QEvent, QObject, QSettings, QTimer
from PySide6.QtWidgets import QApplication

from . import __version__, milestones
from .paths import AppPaths, app_paths
from .settings import Settings, load_settings, settings_file
from .ui.main_window import MainWindow
from .ui.theme import app_icon, apply_theme

if TYPE_CHECKING:
    import asyncio

    from .ui.control.cached_catalog import CachedCatalog
    from .ui.controller import StudioController
    from .ui.gallery.model import FavoritesStore
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
    import logging.handlers  # socket, pickle…: after the first paint in run_gui

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


class _EarlyRecords(logging.Handler):
    """Holds what is logged before the log file is set up (after the first paint), to be written there."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    @classmethod
    def install(cls) -> _EarlyRecords:
        early = cls()
        root = logging.getLogger()
        root.addHandler(early)
        root.setLevel(logging.INFO)
        return early

    def hand_over(self, paths: AppPaths) -> logging.Handler | None:
        """Set up the log file and write the held records into it (once: then returns its handler)."""
        root = logging.getLogger()
        if self not in root.handlers:
            return None
        root.removeHandler(self)
        handler = configure_logging(paths)
        for record in self.records:
            handler.handle(record)
        self.records.clear()
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


@dataclass
class _Parts:
    """What the window's parts need; made before the controller (start-up builds the gallery first)."""

    settings: Settings
    first_run: bool
    thumbnails: ThumbnailCache
    favorites: FavoritesStore
    #: The controller once it exists: the thumbnails' network is its session's client.
    controllers: list[StudioController]
    #: Set when the controller exists; `network_wanted` when a thumbnail asked for it before that.
    controller_made: asyncio.Event
    network_wanted: asyncio.Event

    def window_args(self) -> dict[str, Any]:
        return {
            "thumbnails": self.thumbnails,
            "favorites": self.favorites,
            "output_dir": self.settings.output_dir,
            "default_watermark": self.settings.default_watermark,
            "default_temporary": self.settings.temporary_outputs,
        }


def _prepare(paths: AppPaths, settings: Settings | None = None, first_run: bool | None = None) -> _Parts:
    """`settings`/`first_run`: as read before the first paint (the default: read them now)."""
    import asyncio

    from .ui.gallery.model import JsonFavoritesStore
    from .ui.gallery.thumbnails import ThumbnailCache

    if first_run is None:
        first_run = not settings_file(paths).exists()  # before load_settings, which moves a broken file aside
    controllers: list[StudioController] = []
    controller_made, network_wanted = asyncio.Event(), asyncio.Event()

    async def fetch(url: str) -> bytes:
        if not controllers:  # start-up: a picture not in the disk cache needs the session, still to come
            network_wanted.set()
            await controller_made.wait()
        return await controllers[0].fetch_public(url)

    return _Parts(
        settings=settings if settings is not None else load_settings(paths),
        first_run=first_run,
        thumbnails=ThumbnailCache(fetch, paths.thumbnails),
        favorites=JsonFavoritesStore(paths.config / "favorites.json"),
        controllers=controllers,
        controller_made=controller_made,
        network_wanted=network_wanted,
    )


def build_studio(
    paths: AppPaths | None = None,
    *,
    sandbox_config: object | None = None,
    window: MainWindow | None = None,
) -> Studio:
    """Compose settings, secrets, thumbnail cache, window and controller (no network yet).

    `window`: a skeleton window already on screen; its parts are built here. Tests, benchmarks and scripts
    leave it out and get a complete new window. (`run_gui` goes step by step instead: see the module.)
    """
    paths = (paths or app_paths()).ensure()
    parts = _prepare(paths)
    app = QApplication.instance()
    if window is None:
        if isinstance(app, QApplication):
            apply_theme(app, parts.settings.theme)
        window = MainWindow(qsettings=ui_settings(paths), **parts.window_args())
    return _compose(paths, parts, window, sandbox_config=sandbox_config)


def _compose(
    paths: AppPaths,
    parts: _Parts,
    window: MainWindow,
    *,
    sandbox_config: object | None = None,
    cached_on_screen: CachedCatalog | None = None,
) -> Studio:
    """Every part in the window, the controller, the first-run banner."""
    from .credentials import SecretStore
    from .ui.controller import StudioController

    window.set_part_args(**parts.window_args())
    window.build_parts()
    controller = StudioController(
        window,
        parts.settings,
        paths,
        SecretStore(paths.data / "api-key"),
        sandbox_config=sandbox_config,
        cached_on_screen=cached_on_screen,
    )
    parts.controllers.append(controller)
    parts.controller_made.set()
    if parts.first_run and parts.settings.uses_sandbox:
        window.banner.show_message(
            "You are using the offline sandbox: renders are free and stay on this computer. "
            "Connect your VideoGen account any time.",
            "info",
            "Connect account…",
            controller.open_account_dialog,
        )
    return Studio(window, controller, parts.thumbnails)


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


def paint_skeleton(app: QApplication, paths: AppPaths, settings: Settings | None = None) -> MainWindow:
    """Put the window's frame on screen before anything heavy is imported (issue 11: first paint)."""
    import time

    settings = settings if settings is not None else load_settings(paths)
    apply_theme(app, settings.theme, first_frame=True)
    window = MainWindow(qsettings=ui_settings(paths), skeleton=True)
    watcher = _FirstPaint(window)
    window.show()
    deadline = time.monotonic() + 2.0
    while not watcher.painted and time.monotonic() < deadline:
        app.processEvents()
    app.processEvents()  # deliver the milestone timer
    return window


class _PicturesShown(QObject):
    """Resolves `shown` after a gallery frame is painted while no thumbnail is loading any more."""

    def __init__(self, viewport: QObject, thumbnails: ThumbnailCache, shown: asyncio.Future[None]) -> None:
        super().__init__(viewport)
        self._thumbnails = thumbnails
        self._shown = shown
        self._dispatcher: QAbstractEventDispatcher | None = None
        viewport.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and not self._shown.done():
            # After the paint is handled: the frame asked for its thumbnails while it painted.
            QTimer.singleShot(0, self._check)
        return False

    def _check(self) -> None:
        if self._thumbnails.is_idle() and not self._shown.done() and self._dispatcher is None:
            # Resolve once the GUI thread has handled everything queued so far (this frame's own follow-ups).
            self._dispatcher = QAbstractEventDispatcher.instance()
            if self._dispatcher is None:
                self._shown.set_result(None)
                return
            self._dispatcher.aboutToBlock.connect(self._resolve)

    def _resolve(self) -> None:
        if self._dispatcher is not None:
            self._dispatcher.aboutToBlock.disconnect(self._resolve)
            self._dispatcher = None
        if not self._shown.done():
            self._shown.set_result(None)

    def stop(self) -> None:
        if self._dispatcher is not None:
            self._dispatcher.aboutToBlock.disconnect(self._resolve)
            self._dispatcher = None


async def _pictures_shown(window: MainWindow, parts: _Parts, limit_s: float = 1.0) -> None:
    """Until the gallery's cards are painted with the pictures the disk cache has (at most `limit_s`; not
    at all once a picture needs the network: that waits for the session, which comes next).

    What comes next (the other parts' imports, the session) holds the GUI thread for a few hundred ms:
    the pictures, read in worker threads, would wait for it to paint them.
    """
    import asyncio

    if window.current_page() != "create" or not window.isVisible():
        return  # nothing of the gallery on screen
    shown: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    viewport = window.gallery.list_view.viewport()
    watcher = _PicturesShown(viewport, parts.thumbnails, shown)
    network = asyncio.ensure_future(parts.network_wanted.wait())
    waiters: list[asyncio.Future[Any]] = [shown, network]
    try:
        await asyncio.wait(waiters, timeout=limit_s, return_when=asyncio.FIRST_COMPLETED)
    finally:
        network.cancel()
        viewport.removeEventFilter(watcher)
        watcher.stop()
        watcher.deleteLater()


async def _start(
    paths: AppPaths,
    window: MainWindow,
    settings: Settings,
    *,
    first_run: bool,
    first_instance: bool,
    play: Path | None = None,
    quit_after: float | None = None,
    sandbox_config: object | None = None,
    after_cards: Callable[[], object] | None = None,
) -> int:
    """`run_gui` once the frame is painted: cached cards and their pictures, then everything else.

    `after_cards`: what can wait until then (the single-instance server, the log file)."""
    import asyncio

    from .ui.control.cached_catalog import read_cached_catalog

    # What start-up imported so far lives until exit: keep it out of the collector's way (a full collection
    # of it took ~90 ms at `ready`, and younger generations grew slow with it before the cards).
    gc.freeze()
    closed = asyncio.Event()
    window.closeRequested.connect(closed.set)  # a close before the controller exists must not be lost
    parts = _prepare(paths, settings, first_run)
    window.set_part_args(**parts.window_args())
    # The app's own style: here, so the frame repaints with it in the same frame as the cards, not before.
    app = QApplication.instance()
    if isinstance(app, QApplication):
        apply_theme(app, settings.theme)
    window.build_gallery()
    cached = read_cached_catalog(settings, paths)
    if cached.performers:
        window.gallery.set_presenters(cached.performers)
        await _pictures_shown(window, parts)
    if after_cards is not None:
        after_cards()
    studio = _compose(paths, parts, window, sandbox_config=sandbox_config, cached_on_screen=cached)
    window.closeRequested.disconnect(closed.set)
    if not first_instance:
        window.banner.show_message(
            "A command-line render is using this data folder; its jobs appear here when it is done.", "info"
        )
    return await _main(studio, play=play, quit_after=quit_after, closed=closed.is_set())


def _mark_ready() -> None:
    milestones.mark("ready")


async def _main(
    studio: Studio, *, play: Path | None = None, quit_after: float | None = None, closed: bool = False
) -> int:
    """Show, connect, and run until the window is closed. `closed`: it was closed already (start-up)."""
    import asyncio

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
    if closed:
        studio.controller.request_shutdown()
        await done.wait()
        return 0
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
    early_log = _EarlyRecords.install()
    paths = app_paths().ensure()
    app = create_application(argv)
    # One GUI per data folder: a second start brings the first window forward and leaves.
    from .ui.single_instance import SingleInstance, bring_forward

    instance = SingleInstance(paths.data, parent=app)
    if not instance.claim(listen=False):
        early_log.hand_over(paths)
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
    first_run = not settings_file(paths).exists()
    settings = load_settings(paths)
    window = paint_skeleton(app, paths, settings)
    instance.activationRequested.connect(lambda: bring_forward(window))

    def after_cards() -> None:
        instance.listen()
        early_log.hand_over(paths)

    import asyncio

    import qasync

    from .ui.gc_guard import GuiThreadGarbageCollector

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    collector = GuiThreadGarbageCollector(parent=app)
    try:
        with loop:
            status = loop.run_until_complete(
                _start(
                    paths,
                    window,
                    settings,
                    first_run=first_run,
                    first_instance=instance.is_first,
                    play=play,
                    quit_after=quit_after,
                    after_cards=after_cards,
                )
            )
    finally:
        early_log.hand_over(paths)  # (done already unless start-up failed before the cards)
    collector.stop()
    instance.release()
    return status
