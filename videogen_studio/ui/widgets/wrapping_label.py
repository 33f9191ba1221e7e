"""A word-wrapped label that is never clipped.

Qt's layouts ask a wrapped QLabel for its minimum height without knowing its width, so a dialog or pane made
smaller than the text needs cuts lines off (the Account dialog's keyring warning was). This label reserves
the height its text needs at its current width.
"""

from __future__ import annotations

from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


class WrappingLabel(QLabel):
    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setWordWrap(True)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._reserve()

    def setText(self, text: str) -> None:
        super().setText(text)
        self._reserve()

    def _reserve(self) -> None:
        needed = self.heightForWidth(max(1, self.width()))
        if needed > 0 and needed != self.minimumHeight():
            self.setMinimumHeight(needed)
