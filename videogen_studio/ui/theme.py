"""Light/dark appearance that follows the system, and the app icon."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QRect, QRectF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPainter, QPalette, QPen
from PySide6.QtWidgets import (
    QApplication,
    QProxyStyle,
    QStyle,
    QStyleOption,
    QStyleOptionProgressBar,
    QWidget,
)

from .widgets.colors import is_dark

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


def apply_theme(app: QApplication, theme: str = "system") -> None:
    """Fusion everywhere (looks the same on every OS); dark palette when asked or when the system is dark.

    With "system", the palette also follows later light/dark switches of the desktop while the app runs.
    """
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


class StudioStyle(QProxyStyle):
    """Fusion, with two fixes for readability (issue 9, defect 12):

    * unchecked check boxes and radio buttons get an outline in the text colour, so they are plainly visible
      on the dark palette (Fusion draws their frame a shade darker than the window: invisible there);
    * a progress bar's percentage is drawn in the colour that contrasts with what lies under it (the filled
      chunk or the empty groove), in both themes.
    """

    def __init__(self) -> None:
        super().__init__("Fusion")

    def drawPrimitive(
        self,
        element: QStyle.PrimitiveElement,
        option: QStyleOption,
        painter: QPainter,
        widget: QWidget | None = None,
    ) -> None:
        super().drawPrimitive(element, option, painter, widget)
        if element not in (
            QStyle.PrimitiveElement.PE_IndicatorCheckBox,
            QStyle.PrimitiveElement.PE_IndicatorRadioButton,
        ):
            return
        palette = option.palette
        color = QColor(palette.color(QPalette.ColorRole.Text))
        enabled = bool(option.state & QStyle.StateFlag.State_Enabled)
        color.setAlphaF((0.75 if is_dark(palette) else 0.55) * (1.0 if enabled else 0.45))
        rect = QRectF(option.rect).adjusted(0.5, 0.5, -0.5, -0.5)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(color, 1.2))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        if element == QStyle.PrimitiveElement.PE_IndicatorRadioButton:
            painter.drawEllipse(rect.adjusted(0.5, 0.5, -0.5, -0.5))
        else:
            painter.drawRoundedRect(rect, 2, 2)
        painter.restore()

    def drawControl(
        self,
        element: QStyle.ControlElement,
        option: QStyleOption,
        painter: QPainter,
        widget: QWidget | None = None,
    ) -> None:
        if isinstance(option, QStyleOptionProgressBar):
            if element == QStyle.ControlElement.CE_ProgressBar:
                # The whole bar here: PySide does not route the base style's nested
                # drawControl(CE_ProgressBarLabel) back to this override, so the label would be Fusion's.
                part = QStyleOptionProgressBar(option)
                for sub, area in (
                    (QStyle.ControlElement.CE_ProgressBarGroove, QStyle.SubElement.SE_ProgressBarGroove),
                    (QStyle.ControlElement.CE_ProgressBarContents, QStyle.SubElement.SE_ProgressBarContents),
                ):
                    part.rect = self.subElementRect(area, option, widget)  # type: ignore[arg-type]
                    super().drawControl(sub, part, painter, widget)
                label = QStyle.SubElement.SE_ProgressBarLabel
                part.rect = self.subElementRect(label, option, widget)  # type: ignore[arg-type]
                _progress_label(part, painter)
                return
            if element == QStyle.ControlElement.CE_ProgressBarLabel:
                _progress_label(option, painter)
                return
        super().drawControl(element, option, painter, widget)


def _progress_label(option: QStyleOptionProgressBar, painter: QPainter) -> None:
    """The bar's text in a colour readable on the chunk where the chunk is, and on the groove elsewhere."""
    if not option.textVisible or not option.text:
        return
    rect = option.rect
    span = max(1, option.maximum - option.minimum)
    fraction = 0.0 if option.maximum == option.minimum else (option.progress - option.minimum) / span
    filled = rect.adjusted(0, 0, -round(rect.width() * (1 - max(0.0, min(1.0, fraction)))), 0)
    palette = option.palette
    on_chunk = palette.color(QPalette.ColorRole.HighlightedText)
    on_groove = palette.color(QPalette.ColorRole.Text)
    rest = rect.width() - filled.width()
    painter.save()
    if filled.width() > 0:
        painter.setClipRect(filled)
        painter.setPen(on_chunk)
        painter.drawText(rect, int(Qt.AlignmentFlag.AlignCenter), option.text)
    if rest > 0:  # an empty clip rectangle would not clip at all: draw this part only when it exists
        painter.setClipRect(QRect(rect.left() + filled.width(), rect.top(), rest, rect.height()))
        painter.setPen(on_groove)
        painter.drawText(rect, int(Qt.AlignmentFlag.AlignCenter), option.text)
    painter.restore()
