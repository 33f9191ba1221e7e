"""The actions registry: every menu entry and shortcut declared once, shortcuts window-wide and visible in the
menus (issue 9, defect 6; issue 10, item 2)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import qasync
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMenu, QWidget
from pytestqt.qtbot import QtBot

from videogen_studio.api.models import TtsVoice
from videogen_studio.ui.actions import ACTIONS, MENUS, ActionRegistry
from videogen_studio.ui.gallery.model import MemoryFavoritesStore
from videogen_studio.ui.gallery.thumbnails import ThumbnailCache
from videogen_studio.ui.main_window import MainWindow

MATILDA = TtsVoice("vg_voic_matilda", "en-US", "Matilda", "FEMALE", True, True, False, "american", "Warm")


async def _no_fetch(url: str) -> bytes:
    raise ConnectionError("offline test")


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path, qloop: qasync.QEventLoop) -> Iterator[MainWindow]:
    qsettings = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    thumbnails = ThumbnailCache(_no_fetch, tmp_path / "thumbs")
    w = MainWindow(thumbnails, MemoryFavoritesStore(), qsettings, output_dir=str(tmp_path))
    qtbot.addWidget(w)
    w.resize(1280, 720)
    w.show()
    qtbot.waitExposed(w)
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow)
    yield w
    w._closing_allowed = True


def test_every_menu_entry_is_a_registered_action() -> None:
    keys = {spec.key for spec in ACTIONS}
    listed = {key for _title, entries in MENUS for key in entries if key != "-"}
    assert listed <= keys
    assert len(keys) == len(ACTIONS), "two actions with one key"
    shortcuts = [s for spec in ACTIONS for s in spec.shortcuts]
    assert len(shortcuts) == len(set(shortcuts)), "one shortcut bound twice"


def test_menus_show_their_shortcuts(window: MainWindow) -> None:
    menus = window.menuBar().findChildren(QMenu)
    shown = {a.objectName(): a for m in menus for a in m.actions() if a.objectName()}
    for spec in ACTIONS:
        action = shown[f"action_{spec.key}"]
        if spec.shortcuts:
            assert action.shortcut() == QKeySequence(spec.shortcuts[0])
            assert action.isShortcutVisibleInContextMenu()
            assert action.shortcutContext() == Qt.ShortcutContext.WindowShortcut


def test_settings_has_ctrl_comma_on_every_platform(window: MainWindow) -> None:
    # QKeySequence.StandardKey.Preferences is empty on Linux: the registry spells it out.
    assert window.registry["settings"].shortcut() == QKeySequence("Ctrl+,")
    triggered: list[bool] = []
    window.registry["settings"].triggered.connect(lambda: triggered.append(True))
    QTest.keyClick(window, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
    assert triggered


@pytest.mark.parametrize(
    ("key", "page"),
    [(Qt.Key.Key_1, "create"), (Qt.Key.Key_2, "result"), (Qt.Key.Key_3, "library")],
)
def test_ctrl_number_shows_a_page_and_focuses_something_visible(
    window: MainWindow, qtbot: QtBot, key: Qt.Key, page: str
) -> None:
    start = "library" if page == "create" else "create"
    window.show_page(start)
    QTest.keyClick(window.focusWidget() or window, key, Qt.KeyboardModifier.ControlModifier)
    assert window.current_page() == page
    focus = QApplication.focusWidget()
    if page != "library" or window.library is not None:
        assert focus is not None and focus.isVisible()
        assert window.pages.currentWidget().isAncestorOf(focus)


def test_ctrl_4_shows_and_focuses_the_queue(window: MainWindow) -> None:
    window.queue_dock.hide()
    QTest.keyClick(window, Qt.Key.Key_4, Qt.KeyboardModifier.ControlModifier)
    assert window.queue_dock.isVisible()
    focus = QApplication.focusWidget()
    assert focus is not None and focus.isVisible() and window.queue_dock.isAncestorOf(focus)


def _focus(widget: QWidget, qtbot: QtBot) -> None:
    widget.setFocus(Qt.FocusReason.OtherFocusReason)
    qtbot.waitUntil(widget.hasFocus)


@pytest.mark.parametrize("key", [Qt.Key.Key_Return, Qt.Key.Key_Enter])
def test_ctrl_enter_renders_wherever_the_focus_is(window: MainWindow, qtbot: QtBot, key: Qt.Key) -> None:
    editor = window.editor
    editor.set_voices([MATILDA])
    editor.set_presenter("presenter-1", "Maya")
    editor.set_script("A short script for a window-wide shortcut.")
    assert editor.validation_message() is None
    specs: list[object] = []
    editor.renderRequested.connect(specs.append)
    # Inside the script box (the editor's own shortcut used to make the key ambiguous there) …
    _focus(editor.script_edit, qtbot)
    QTest.keyClick(editor.script_edit, key, Qt.KeyboardModifier.ControlModifier)
    assert len(specs) == 1
    # … and with the focus in the gallery's search field, far from the editor.
    search = window.gallery.search_edit
    _focus(search, qtbot)
    QTest.keyClick(search, key, Qt.KeyboardModifier.ControlModifier)
    assert len(specs) == 2


def test_ctrl_enter_does_nothing_while_render_is_unavailable(window: MainWindow, qtbot: QtBot) -> None:
    editor = window.editor
    editor.set_voices([MATILDA])
    editor.set_presenter("presenter-1", "Maya")
    editor.set_script("   ")
    assert editor.validation_message() is not None
    specs: list[object] = []
    editor.renderRequested.connect(specs.append)
    _focus(editor.script_edit, qtbot)
    QTest.keyClick(editor.script_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert specs == []
    assert editor.script_edit.toPlainText() == "   "  # the shortcut typed no newline either


def test_shortcuts_help_lists_the_registry(window: MainWindow) -> None:
    text = window.registry.shortcuts_html()
    for spec in ACTIONS:
        for shortcut in spec.shortcuts:
            assert QKeySequence(shortcut).toString(QKeySequence.SequenceFormat.NativeText) in text


def test_registry_on_a_plain_widget(qtbot: QtBot) -> None:
    host = QWidget()
    qtbot.addWidget(host)
    registry = ActionRegistry(host)
    assert "render" in registry and registry["render"] in host.actions()
    assert registry.spec("render").shortcuts == ("Ctrl+Return", "Ctrl+Enter")
