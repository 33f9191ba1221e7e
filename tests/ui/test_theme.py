"""Theme: explicit light/dark palettes, and "system" follows the desktop's colour scheme."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QProgressBar,
    QRadioButton,
    QStyle,
    QStyleOptionButton,
    QStyleOptionProgressBar,
)
from pytestqt.qtbot import QtBot

from videogen_studio.ui.studio_style import StudioStyle
from videogen_studio.ui.theme import app_icon, apply_theme, dark_palette, light_palette


def window_color(app: QApplication) -> str:
    return app.palette().color(QPalette.ColorRole.Window).name()


def test_explicit_themes_set_their_palettes(qapp: QApplication) -> None:
    apply_theme(qapp, "dark")
    assert window_color(qapp) == dark_palette().color(QPalette.ColorRole.Window).name()
    apply_theme(qapp, "light")
    assert window_color(qapp) == light_palette().color(QPalette.ColorRole.Window).name()
    assert qapp.style().baseStyle().name().lower() == "fusion"  # type: ignore[attr-defined]


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


# -- readability in both themes (issue 9, defect 12) --------------------------------------------------------


def _distance(a: QColor, b: QColor) -> int:
    return abs(a.red() - b.red()) + abs(a.green() - b.green()) + abs(a.blue() - b.blue())


def _indicator_contrast(widget: QCheckBox | QRadioButton, element: QStyle.SubElement) -> int:
    """The strongest difference between the indicator's outline pixels and the window colour."""
    widget.resize(widget.sizeHint())
    image = widget.grab().toImage()
    option = QStyleOptionButton()
    widget.initStyleOption(option)
    rect = widget.style().subElementRect(element, option, widget)
    ratio = image.devicePixelRatio()
    window = widget.palette().color(QPalette.ColorRole.Window)
    best = 0
    for x in range(rect.left(), rect.right() + 1):
        for y in (rect.top(), rect.top() + 1, rect.bottom() - 1, rect.bottom()):
            best = max(best, _distance(image.pixelColor(int(x * ratio), int(y * ratio)), window))
    for y in range(rect.top(), rect.bottom() + 1):
        for x in (rect.left(), rect.left() + 1, rect.right() - 1, rect.right()):
            best = max(best, _distance(image.pixelColor(int(x * ratio), int(y * ratio)), window))
    return best


@pytest.mark.parametrize("theme", ["dark", "light"])
def test_unchecked_boxes_and_radio_buttons_are_clearly_visible(
    qapp: QApplication, qtbot: QtBot, theme: str
) -> None:
    apply_theme(qapp, theme)
    try:
        box, radio = QCheckBox("Show deprecated"), QRadioButton("Use the offline sandbox")
        for w in (box, radio):
            qtbot.addWidget(w)
        assert _indicator_contrast(box, QStyle.SubElement.SE_CheckBoxIndicator) >= 150
        assert _indicator_contrast(radio, QStyle.SubElement.SE_RadioButtonIndicator) >= 150
    finally:
        apply_theme(qapp, "light")


def _pixels_near(image: QImage, color: QColor, rect: tuple[int, int, int, int], tolerance: int = 90) -> int:
    x0, y0, x1, y1 = rect
    return sum(
        1
        for x in range(x0, x1)
        for y in range(y0, y1)
        if _distance(image.pixelColor(x, y), color) <= tolerance
    )


@pytest.mark.parametrize("theme", ["dark", "light"])
@pytest.mark.parametrize("value", [0, 100])
def test_progress_text_contrasts_with_what_is_under_it(
    qapp: QApplication, qtbot: QtBot, theme: str, value: int
) -> None:
    apply_theme(qapp, theme)
    try:
        bar = QProgressBar()
        qtbot.addWidget(bar)
        bar.setRange(0, 100)
        bar.setValue(value)
        bar.setFormat("%p %")
        bar.setTextVisible(True)
        bar.setAlignment(Qt.AlignmentFlag.AlignCenter)
        bar.resize(160, 24)
        image = bar.grab().toImage()
        palette = bar.palette()
        # Full bar: the text sits on the chunk (highlighted-text colour); empty bar: on the groove.
        role = QPalette.ColorRole.HighlightedText if value == 100 else QPalette.ColorRole.Text
        under = QPalette.ColorRole.Highlight if value == 100 else QPalette.ColorRole.Base
        assert _distance(palette.color(role), palette.color(under)) >= 250
        w, h = image.width(), image.height()
        centre = (w // 3, h // 4, 2 * w // 3, 3 * h // 4)
        assert _pixels_near(image, palette.color(role), centre, tolerance=60) >= 8
        wrong = QPalette.ColorRole.Text if value == 100 else QPalette.ColorRole.HighlightedText
        if _distance(palette.color(wrong), palette.color(under)) > 200:  # a distinct, wrong text colour
            assert _pixels_near(image, palette.color(wrong), centre, tolerance=60) == 0
    finally:
        apply_theme(qapp, "light")


def test_the_theme_keeps_one_proxy_style(qapp: QApplication) -> None:
    apply_theme(qapp, "dark")
    first = qapp.style()
    apply_theme(qapp, "light")
    assert qapp.style() is first and isinstance(first, StudioStyle)


@pytest.mark.parametrize("theme", ["dark", "light"])
def test_progress_text_in_a_table_cell_is_readable(qapp: QApplication, theme: str) -> None:
    """The queue's delegate paints a bar from a bare option (no widget): full bar, text on the chunk."""
    apply_theme(qapp, theme)
    try:
        image = QImage(160, 26, QImage.Format.Format_ARGB32)
        palette = qapp.palette()
        image.fill(palette.color(QPalette.ColorRole.Base))
        bar = QStyleOptionProgressBar()
        bar.rect = image.rect().adjusted(2, 2, -2, -2)
        bar.palette = palette
        bar.state = QStyle.StateFlag.State_Enabled | QStyle.StateFlag.State_Horizontal
        bar.minimum, bar.maximum, bar.progress = 0, 100, 100
        bar.text, bar.textVisible = "100 %", True
        bar.textAlignment = Qt.AlignmentFlag.AlignCenter
        painter = QPainter(image)
        qapp.style().drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter, None)
        painter.end()
        centre = (50, 6, 110, 20)
        on_chunk = palette.color(QPalette.ColorRole.HighlightedText)
        assert _pixels_near(image, on_chunk, centre, tolerance=60) >= 8
        assert _pixels_near(image, palette.color(QPalette.ColorRole.Text), centre, tolerance=40) == 0
    finally:
        apply_theme(qapp, "light")
