"""Light/dark appearance that follows the system, and the app icon."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPalette
from PySide6.QtWidgets import QApplication


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


def apply_theme(app: QApplication, theme: str = "system") -> None:
    """Fusion everywhere (looks the same on every OS); dark palette when asked or when the system is dark.

    With "system", the palette also follows later light/dark switches of the desktop while the app runs.
    """
    app.setStyle("Fusion")
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


def light_palette() -> QPalette:
    p = QPalette()
    accent = QColor("#5b4ee8")
    p.setColor(QPalette.ColorRole.Window, QColor("#f4f5f8"))
    p.setColor(QPalette.ColorRole.Base, QColor("#ffffff"))
    p.setColor(QPalette.ColorRole.AlternateBase, QColor("#f0f1f5"))
    p.setColor(QPalette.ColorRole.Button, QColor("#ffffff"))
    p.setColor(QPalette.ColorRole.WindowText, QColor("#1d1f27"))
    p.setColor(QPalette.ColorRole.Text, QColor("#1d1f27"))
    p.setColor(QPalette.ColorRole.ButtonText, QColor("#1d1f27"))
    p.setColor(QPalette.ColorRole.PlaceholderText, QColor("#8a8f9c"))
    p.setColor(QPalette.ColorRole.Highlight, accent)
    p.setColor(QPalette.ColorRole.HighlightedText, QColor("#ffffff"))
    p.setColor(QPalette.ColorRole.Link, accent)
    p.setColor(QPalette.ColorRole.ToolTipBase, QColor("#1d1f27"))
    p.setColor(QPalette.ColorRole.ToolTipText, QColor("#ffffff"))
    p.setColor(QPalette.ColorRole.Mid, QColor("#d5d8e0"))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.WindowText, QPalette.ColorRole.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor("#a3a7b3"))
    return p


def dark_palette() -> QPalette:
    p = QPalette()
    accent = QColor("#8b80ff")
    p.setColor(QPalette.ColorRole.Window, QColor("#1e2028"))
    p.setColor(QPalette.ColorRole.Base, QColor("#262933"))
    p.setColor(QPalette.ColorRole.AlternateBase, QColor("#2c2f3a"))
    p.setColor(QPalette.ColorRole.Button, QColor("#2c2f3a"))
    p.setColor(QPalette.ColorRole.WindowText, QColor("#e8e9ee"))
    p.setColor(QPalette.ColorRole.Text, QColor("#e8e9ee"))
    p.setColor(QPalette.ColorRole.ButtonText, QColor("#e8e9ee"))
    p.setColor(QPalette.ColorRole.PlaceholderText, QColor("#7d8190"))
    p.setColor(QPalette.ColorRole.Highlight, accent)
    p.setColor(QPalette.ColorRole.HighlightedText, QColor("#14151a"))
    p.setColor(QPalette.ColorRole.Link, accent)
    p.setColor(QPalette.ColorRole.ToolTipBase, QColor("#e8e9ee"))
    p.setColor(QPalette.ColorRole.ToolTipText, QColor("#1e2028"))
    p.setColor(QPalette.ColorRole.Mid, QColor("#3a3e4b"))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.WindowText, QPalette.ColorRole.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor("#6b6f7c"))
    return p
