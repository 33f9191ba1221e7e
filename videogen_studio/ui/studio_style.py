"""The app's proxy style: Fusion with two readability fixes (issue 9, defect 12).

Apart from `theme.py` because QProxyStyle alone costs ~10-20 ms to load: the window's first frame (which has
neither check boxes nor progress bars) paints with plain Fusion, and this style replaces it right after.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPalette, QPen
from PySide6.QtWidgets import QProxyStyle, QStyle, QStyleOption, QStyleOptionProgressBar, QWidget

from .widgets.colors import is_dark


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
