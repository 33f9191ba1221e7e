"""Flat vector icons painted in code at 1x and 2x, so they stay sharp on high-DPI screens and follow the
palette (the style's bitmaps vanish on dark themes)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QIcon, QPainter, QPixmap

Draw = Callable[[QPainter, float], None]


def painted_icon(draw: Draw, size: int = 16, scales: tuple[float, ...] = (1.0, 2.0)) -> QIcon:
    """An icon whose pixmaps `draw(painter, size)` paints, antialiased, in logical coordinates 0..size."""
    icon = QIcon()
    for scale in scales:
        pixmap = QPixmap(round(size * scale), round(size * scale))
        pixmap.setDevicePixelRatio(scale)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        try:
            draw(painter, float(size))
        finally:
            painter.end()
        icon.addPixmap(pixmap)
    return icon
