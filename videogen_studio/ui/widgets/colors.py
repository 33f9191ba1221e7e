"""Colours that must stay readable on both the light and the dark palette."""

from __future__ import annotations

from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QWidget

ERROR = {"light": "#c62828", "dark": "#ff6b6b"}
SUCCESS = {"light": "#2e7d32", "dark": "#81c784"}
WARNING = {"light": "#8a5a00", "dark": "#ffcc66"}


def is_dark(source: QPalette | QWidget) -> bool:
    """True when the window background is dark (the one definition of "dark palette" in the app)."""
    palette = source if isinstance(source, QPalette) else source.palette()
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def _pick(table: dict[str, str], source: QPalette | QWidget) -> str:
    return table["dark" if is_dark(source) else "light"]


def error_color(source: QPalette | QWidget) -> str:
    """A red that stays readable on both light and dark palettes."""
    return _pick(ERROR, source)


def success_color(source: QPalette | QWidget) -> str:
    return _pick(SUCCESS, source)


def warning_color(source: QPalette | QWidget) -> str:
    return _pick(WARNING, source)
