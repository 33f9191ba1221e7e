"""The watermark-mode picker: the labels the user sees for each mode (never the API constants)."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QWidget

try:  # H1 adds the enum; until then the plain constants are the same strings
    from videogen_studio.api.models import WatermarkMode

    MODES: tuple[str, ...] = tuple(
        str(m) for m in (WatermarkMode.AUTO, WatermarkMode.VIDEO_GEN, WatermarkMode.NONE)
    )
except ImportError:  # pragma: no cover - older api/
    from videogen_studio.api.models import WATERMARK_MODES as _MODES

    MODES = tuple(_MODES)

AUTO, VIDEO_GEN, NONE = MODES

LABELS: dict[str, str] = {
    AUTO: "Automatic",
    VIDEO_GEN: "VideoGen watermark",
    NONE: "No watermark",
}
TOOLTIPS: dict[str, str] = {
    AUTO: "Watermark the video unless your account has the Production API add-on.",
    VIDEO_GEN: "Always add the VideoGen watermark.",
    NONE: "No watermark. Needs the Production API add-on.",
}


def label(mode: str) -> str:
    """The user's word for a watermark mode ("No watermark"), whatever the API calls it."""
    return LABELS.get(str(mode), str(mode))


class WatermarkCombo(QComboBox):
    """Item data is the mode value; the tooltip follows the chosen mode."""

    def __init__(self, accessible_name: str, parent: QWidget | None = None, *, modes: Iterable[str] = MODES):
        super().__init__(parent)
        self.setAccessibleName(accessible_name)
        for mode in modes:
            self.addItem(label(mode), str(mode))
            self.setItemData(self.count() - 1, TOOLTIPS.get(str(mode), ""), Qt.ItemDataRole.ToolTipRole)
        # A bound method, not a lambda capturing the widget (PySide 6.12 crash on teardown).
        self.currentIndexChanged.connect(self._update_tip)
        self._update_tip()

    def mode(self) -> str:
        return str(self.currentData())

    def set_mode(self, mode: str) -> None:
        self.setCurrentIndex(max(0, self.findData(str(mode))))

    def _update_tip(self, *_: object) -> None:
        self.setToolTip(TOOLTIPS.get(self.mode(), ""))


def watermark_combo(accessible_name: str, parent: QWidget | None = None) -> WatermarkCombo:
    """The watermark-mode picker, shared by the script editor and the Settings dialog."""
    return WatermarkCombo(accessible_name, parent)


def set_mode_allowed(combo: QComboBox, mode: str, allowed: bool, why: str = "") -> None:
    """Grey out one mode (e.g. "No watermark" for an account without the add-on) with a reason as tooltip."""
    index = combo.findData(str(mode))
    if index < 0:
        return
    item = combo.model().item(index)  # type: ignore[attr-defined]
    if item is not None:
        item.setEnabled(allowed)
    combo.setItemData(index, TOOLTIPS.get(str(mode), "") if allowed else why, Qt.ItemDataRole.ToolTipRole)
    if not allowed and combo.currentIndex() == index:
        combo.setCurrentIndex(max(0, combo.findData(AUTO)))
