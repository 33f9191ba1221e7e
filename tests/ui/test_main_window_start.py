"""Issue 11: the GUI's own start-up path (`app.run_gui` after the first paint) against the sandbox:
last run's cards first, from the cache, before any part but the gallery exists; then the rest and the
session."""

from __future__ import annotations

import asyncio
import logging

from studio_helpers import until

from videogen_studio import app as studio_app
from videogen_studio.app import build_studio, ui_settings
from videogen_studio.paths import AppPaths, app_paths
from videogen_studio.sandbox import SandboxConfig
from videogen_studio.session import Session
from videogen_studio.settings import load_settings
from videogen_studio.ui.control.cached_catalog import read_cached_catalog
from videogen_studio.ui.controller import StudioController
from videogen_studio.ui.main_window import MainWindow


async def _first_run(paths: AppPaths, config: SandboxConfig) -> int:
    """Start once with the sandbox until the catalog is loaded (and cached), close; number of performers."""
    studio = build_studio(paths, sandbox_config=config)
    ready, finished = asyncio.Event(), asyncio.Event()
    studio.controller.ready.connect(ready.set)
    studio.controller.finished.connect(finished.set)
    studio.window.show()
    await studio.controller.start()
    await asyncio.wait_for(ready.wait(), 60)
    count = len(studio.controller.presenters)
    studio.window.close()
    await asyncio.wait_for(finished.wait(), 30)
    return count


def _skeleton(paths: AppPaths) -> MainWindow:
    window = MainWindow(qsettings=ui_settings(paths), skeleton=True)
    window.show()
    return window


async def test_the_cache_read_at_start_up_is_the_sessions_cache(qapp: object) -> None:
    paths = app_paths().ensure()
    count = await _first_run(paths, SandboxConfig.fast())
    settings = load_settings(paths)
    early = read_cached_catalog(settings, paths)
    _capabilities, catalog = Session.cached_catalog(settings, paths, None)
    assert catalog is not None and len(early.performers) == count > 0
    assert early.performers == catalog.cached() and early.voices == catalog.cached_voices()


async def test_a_warm_start_paints_cached_cards_before_the_other_parts_then_connects(qapp: object) -> None:
    paths = app_paths().ensure()
    config = SandboxConfig.fast()
    count = await _first_run(paths, config)
    window = _skeleton(paths)
    seen_before_editor: list[int] = []

    def on_parts() -> None:
        seen_before_editor.append(window.gallery.model.rowCount())

    window.partsReady.connect(on_parts)
    start = asyncio.ensure_future(
        studio_app._start(
            paths, window, load_settings(paths), first_run=False, first_instance=True, sandbox_config=config
        )
    )
    try:
        await until(lambda: window.findChild(StudioController) is not None, what="the controller")
        controller = window.findChild(StudioController)
        assert controller is not None
        assert seen_before_editor == [count]  # the cards were in the gallery before the editor existed
        ready = asyncio.Event()
        controller.ready.connect(ready.set)
        await until(lambda: controller.session is not None, what="the session")
        await asyncio.wait_for(ready.wait(), 60)
        assert len(controller.presenters) == count and window.gallery.is_loaded()
        assert window.registry["render"].isEnabled()
    finally:
        window.close()
        assert await asyncio.wait_for(start, 30) == 0


async def test_closing_the_window_while_the_cards_load_ends_the_start(qapp: object) -> None:
    paths = app_paths().ensure()
    config = SandboxConfig.fast()
    await _first_run(paths, config)
    window = _skeleton(paths)
    start = asyncio.ensure_future(
        studio_app._start(
            paths, window, load_settings(paths), first_run=False, first_instance=True, sandbox_config=config
        )
    )
    closed_early: list[bool] = []

    def close_now() -> None:  # runs right after the start's first step: cards up, waiting for pictures
        closed_early.append(window.gallery.is_loaded() and window.findChild(StudioController) is None)
        window.close()

    asyncio.get_running_loop().call_soon(close_now)
    assert await asyncio.wait_for(start, 30) == 0
    assert closed_early == [True]
    controller = window.findChild(StudioController)
    assert controller is not None and controller.session is None  # nothing was connected, nothing leaks


def test_what_is_logged_before_the_first_paint_reaches_the_log_file() -> None:
    paths = app_paths().ensure()
    early = studio_app._EarlyRecords.install()
    logging.getLogger("videogen_studio.test").warning("before the log file existed")
    handler = early.hand_over(paths)
    try:
        assert handler is not None and early.hand_over(paths) is None  # once
        logging.getLogger("videogen_studio.test").warning("after it")
        handler.flush()
        text = (paths.logs / "videogen-studio.log").read_text(encoding="utf-8")
        assert text.index("before the log file existed") < text.index("after it")
    finally:
        if handler is not None:
            logging.getLogger().removeHandler(handler)
            handler.close()


async def test_a_first_start_says_it_is_the_offline_sandbox(qapp: object) -> None:
    paths = app_paths().ensure()
    window = _skeleton(paths)
    start = asyncio.ensure_future(
        studio_app._start(
            paths,
            window,
            load_settings(paths),
            first_run=True,
            first_instance=True,
            sandbox_config=SandboxConfig.fast(),
        )
    )
    try:
        await until(lambda: window.findChild(StudioController) is not None, what="the controller")
        assert window.banner.level == "info" and "offline sandbox" in window.banner.text()
    finally:
        window.close()
        assert await asyncio.wait_for(start, 30) == 0
