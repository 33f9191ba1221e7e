"""The main window's frame on small and large screens (issue 9, defects 1 and 8), and its saved layout."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import qasync
from PySide6.QtCore import QSettings, QSize
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from videogen_studio.api.models import TtsVoice
from videogen_studio.pipeline.jobs import JobState, RenderJob, RenderSpec
from videogen_studio.ui.gallery.model import MemoryFavoritesStore
from videogen_studio.ui.gallery.thumbnails import ThumbnailCache
from videogen_studio.ui.main_window import MIN_HEIGHT, MIN_WIDTH, MainWindow

MATILDA = TtsVoice("vg_voic_matilda", "en-US", "Matilda", "FEMALE", True, True, False, "american", "Warm")
LONG_SCRIPT = ("This sentence is part of a very long script. " * 140)[:6000]


async def _no_fetch(url: str) -> bytes:
    raise ConnectionError("offline test")


@pytest.fixture
def make_window(qtbot: QtBot, tmp_path: Path, qloop: qasync.QEventLoop) -> Iterator[object]:
    made: list[MainWindow] = []

    def make() -> MainWindow:
        qsettings = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
        thumbnails = ThumbnailCache(_no_fetch, tmp_path / "thumbs")
        w = MainWindow(thumbnails, MemoryFavoritesStore(), qsettings, output_dir=str(tmp_path))
        qtbot.addWidget(w)
        made.append(w)
        return w

    yield make
    for w in made:
        w._closing_allowed = True


def _render_is_in_sight(w: MainWindow) -> bool:
    button = w.editor.render_button
    if not button.isVisible() or button.visibleRegion().isEmpty():
        return False
    top_left = button.mapTo(w, button.rect().topLeft())
    bottom_right = button.mapTo(w, button.rect().bottomRight())
    return w.rect().contains(top_left) and w.rect().contains(bottom_right)


def test_the_window_can_shrink_to_1024_by_640(make_window) -> None:  # type: ignore[no-untyped-def]
    w = make_window()
    w.editor.set_script(LONG_SCRIPT)  # a long script must not make the editor demand more room
    hint = w.minimumSizeHint().expandedTo(w.minimumSize())
    assert hint.width() <= MIN_WIDTH and hint.height() <= MIN_HEIGHT, hint


@pytest.mark.parametrize("size", [QSize(1024, 640), QSize(1280, 720), QSize(1366, 768), QSize(1280, 680)])
def test_render_stays_in_sight_at_laptop_sizes(make_window, qtbot: QtBot, size: QSize) -> None:  # type: ignore[no-untyped-def]
    w = make_window()
    w.editor.set_script(LONG_SCRIPT)
    w.resize(size)
    w.show()
    qtbot.waitExposed(w)
    assert w.size() == size  # nothing forced the window to grow
    assert _render_is_in_sight(w)
    assert w.queue_dock.isVisible() and not w.queue_dock.visibleRegion().isEmpty()


def test_the_first_size_fits_the_screen(make_window) -> None:  # type: ignore[no-untyped-def]
    w = make_window()
    free = (w.screen() or QGuiApplication.primaryScreen()).availableGeometry()
    assert w.width() <= free.width() and w.height() <= free.height()


def test_a_size_saved_on_a_bigger_screen_is_fitted(make_window, qtbot: QtBot) -> None:  # type: ignore[no-untyped-def]
    first = make_window()
    first.setMinimumSize(0, 0)
    first.resize(4000, 3000)
    first.save_layout()
    second = make_window()
    free = (second.screen() or QGuiApplication.primaryScreen()).availableGeometry()
    assert second.width() <= free.width() and second.height() <= free.height()


def _failed_job() -> RenderJob:
    spec = RenderSpec(presenter_id="vg_pres_1", script="Hello there.", presenter_name="Maya")
    return RenderJob(
        spec,
        state=JobState.FAILED,
        error_message="Not enough credits",
        error_hint="Add credits, then press Retry.",
        error_code="insufficient_credits",
    )


def test_a_failed_render_does_not_grow_the_window_or_its_saved_size(  # type: ignore[no-untyped-def]
    make_window, qtbot: QtBot, tmp_path: Path
) -> None:
    w = make_window()
    w.show()
    qtbot.waitExposed(w)
    free = (w.screen() or QGuiApplication.primaryScreen()).availableGeometry()
    w.resize(min(1280, free.width() - 20), min(MIN_HEIGHT, free.height() - 40))
    QApplication.processEvents()
    before = w.size()
    job = _failed_job()
    w.queue_panel.set_jobs([job])
    w.queue_panel.select_job(job.job_id)
    QApplication.processEvents()
    assert w.size() == before
    w.save_layout()
    again = make_window()
    again.show()
    qtbot.waitExposed(again)
    assert again.size() == before


def test_pages_and_queue_panel_state_survive_a_restart(make_window, qtbot: QtBot) -> None:  # type: ignore[no-untyped-def]
    w = make_window()
    w.show()
    qtbot.waitExposed(w)
    w.show_page("library")
    w.registry["toggle_queue"].setChecked(False)
    assert not w.queue_dock.isVisible()
    w.save_layout()
    again = make_window()
    again.show()
    qtbot.waitExposed(again)
    assert again.current_page() == "library"
    assert not again.queue_dock.isVisible()
    again.registry["toggle_queue"].setChecked(True)
    assert again.queue_dock.isVisible()


def test_disconnected_window_offers_no_render(make_window, qtbot: QtBot) -> None:  # type: ignore[no-untyped-def]
    w = make_window()
    w.editor.set_voices([MATILDA])
    w.editor.set_presenter("vg_pres_1", "Maya")
    w.editor.set_script("Hello there.")
    w.set_connected(True)
    assert w.registry["render"].isEnabled()
    w.set_connected(False)
    assert not w.registry["render"].isEnabled() and not w.registry["preview"].isEnabled()
    specs: list[object] = []
    w.editor.renderRequested.connect(specs.append)
    w.registry["render"].trigger()
    assert specs == []


def test_no_style_sheet_stands_between_the_app_style_and_the_parts(make_window) -> None:  # type: ignore[no-untyped-def]
    # A sheet on the window made every child draw through Qt's style-sheet style, which painted the queue's
    # progress text in the plain text colour on the highlight (unreadable in dark mode, issue 9 defect 12).
    w = make_window()
    assert not w.styleSheet()
    assert w.queue_panel.table.style() is QApplication.style()
