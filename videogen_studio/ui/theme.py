"""Light/dark appearance that follows the system, and the app icon."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPalette
from PySide6.QtWidgets import QApplication

THEMES = ("system", "light", "dark")


def resources_dir() -> Path:
    """`resources/` next to the package in a checkout, or inside a PyInstaller bundle."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


def app_icon() -> QIcon:
    icon = QIcon()
    icons = resources_dir() / "icons"
    for png in sorted(icons.glob("videogen-studio-*.png")):
        icon.addFile(str(png))
    if icon.isNull():
        icon = QIcon(str(icons / "videogen-studio.svg"))
    return icon


def system_prefers_dark() -> bool:
    hints = QGuiApplication.styleHints()
    return hints.colorScheme() == Qt.ColorScheme.Dark


def apply_theme(app: QApplication, theme: str = "system", *, first_frame: bool = False) -> None:
    """Fusion everywhere (looks the same on every OS); dark palette when asked or when the system is dark.

    With "system", the palette also follows later light/dark switches of the desktop while the app runs.
    `first_frame`: plain Fusion for the window's first paint (start-up); call again without it afterwards
    for the app's own `StudioStyle` (its changes are to check boxes and progress bars only).
    """
    if first_frame:
        if app.style().name().casefold() != "fusion":
            app.setStyle("Fusion")
    else:
        from .studio_style import StudioStyle

        if not isinstance(app.style(), StudioStyle):
            app.setStyle(StudioStyle())
    dark = theme == "dark" or (theme == "system" and system_prefers_dark())
    app.setPalette(dark_palette() if dark else light_palette())
    hints = QGuiApplication.styleHints()
    global _follower
    if _follower is not None:
        hints.colorSchemeChanged.disconnect(_follower)
        _follower = None
    if theme == "system":

        def follow(scheme: Qt.ColorScheme) -> None:
            app.setPalette(dark_palette() if scheme == Qt.ColorScheme.Dark else light_palette())

        _follower = follow
        hints.colorSchemeChanged.connect(follow)


_follower: Callable[[Qt.ColorScheme], None] | None = None


_R = QPalette.ColorRole
_LIGHT = {
    _R.Window: "#f4f5f8", _R.Base: "#ffffff", _R.AlternateBase: "#f0f1f5", _R.Button: "#ffffff",
    _R.WindowText: "#1d1f27", _R.Text: "#1d1f27", _R.ButtonText: "#1d1f27", _R.PlaceholderText: "#8a8f9c",
    _R.Highlight: "#5b4ee8", _R.HighlightedText: "#ffffff", _R.Link: "#5b4ee8",
    _R.ToolTipBase: "#1d1f27", _R.ToolTipText: "#ffffff", _R.Mid: "#d5d8e0",
}  # fmt: skip
_DARK = {
    _R.Window: "#1e2028", _R.Base: "#262933", _R.AlternateBase: "#2c2f3a", _R.Button: "#2c2f3a",
    _R.WindowText: "#e8e9ee", _R.Text: "#e8e9ee", _R.ButtonText: "#e8e9ee", _R.PlaceholderText: "#7d8190",
    _R.Highlight: "#8b80ff", _R.HighlightedText: "#14151a", _R.Link: "#8b80ff",
    _R.ToolTipBase: "#e8e9ee", _R.ToolTipText: "#1e2028", _R.Mid: "#3a3e4b",
}  # fmt: skip


def _palette(colors: dict[QPalette.ColorRole, str], disabled_text: str) -> QPalette:
    palette = QPalette()
    for role, color in colors.items():
        palette.setColor(role, QColor(color))
    for role in (_R.Text, _R.WindowText, _R.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor(disabled_text))
    return palette


def light_palette() -> QPalette:
    return _palette(_LIGHT, disabled_text="#a3a7b3")


def dark_palette() -> QPalette:
    return _palette(_DARK, disabled_text="#6b6f7c")
