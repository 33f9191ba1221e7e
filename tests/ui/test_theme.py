"""Theme: explicit light/dark palettes, and "system" follows the desktop's colour scheme."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from videogen_studio.ui.theme import app_icon, apply_theme, dark_palette, light_palette


def window_color(app: QApplication) -> str:
    return app.palette().color(QPalette.ColorRole.Window).name()


def test_explicit_themes_set_their_palettes(qapp: QApplication) -> None:
    apply_theme(qapp, "dark")
    assert window_color(qapp) == dark_palette().color(QPalette.ColorRole.Window).name()
    apply_theme(qapp, "light")
    assert window_color(qapp) == light_palette().color(QPalette.ColorRole.Window).name()
    assert qapp.style().name().lower() == "fusion"


def test_system_theme_follows_scheme_changes(qapp: QApplication) -> None:
    # The offscreen platform has no desktop to switch, so send the signal the desktop would send.
    hints = QGuiApplication.styleHints()
    apply_theme(qapp, "system")
    try:
        hints.colorSchemeChanged.emit(Qt.ColorScheme.Dark)
        assert window_color(qapp) == dark_palette().color(QPalette.ColorRole.Window).name()
        hints.colorSchemeChanged.emit(Qt.ColorScheme.Light)
        assert window_color(qapp) == light_palette().color(QPalette.ColorRole.Window).name()
        apply_theme(qapp, "dark")  # an explicit choice stops following the desktop
        hints.colorSchemeChanged.emit(Qt.ColorScheme.Light)
        assert window_color(qapp) == dark_palette().color(QPalette.ColorRole.Window).name()
    finally:
        apply_theme(qapp, "light")


def test_app_icon_has_every_size() -> None:
    sizes = {s.width() for s in app_icon().availableSizes()}
    assert {16, 32, 48, 256} <= sizes
