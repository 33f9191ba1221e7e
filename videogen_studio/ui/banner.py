"""An inline message strip (error / warning / info) with an optional action button and a close button.

Used instead of modal message boxes: nothing blocks, and the message stays until the user dismisses it or
the problem goes away.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QToolButton, QWidget

_STYLES = {
    "error": ("#fde8e8", "#8a1c1c", "#f5b5b5"),
    "warning": ("#fff4dc", "#7a4b00", "#f3d28b"),
    "info": ("#e6efff", "#1f3f7a", "#b9cdf5"),
}


class Banner(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.setAccessibleName("Message banner")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 8, 8, 8)
        self._label = QLabel()
        self._label.setWordWrap(True)
        self._label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._action = QPushButton()
        self._action.hide()
        close = QToolButton()
        close.setText("✕")
        close.setAutoRaise(True)
        close.setAccessibleName("Dismiss message")
        close.clicked.connect(self.hide)
        layout.addWidget(self._label, 1)
        layout.addWidget(self._action)
        layout.addWidget(close)
        self._callback: Callable[[], None] | None = None
        self._action.clicked.connect(self._run_action)
        self.level = ""
        self.hide()

    def show_message(
        self,
        text: str,
        level: str = "error",
        action: str | None = None,
        callback: Callable[[], None] | None = None,
    ) -> None:
        bg, fg, border = _STYLES.get(level, _STYLES["info"])
        self.setStyleSheet(
            f"QFrame#banner {{ background: {bg}; border: 1px solid {border}; border-radius: 6px; }}"
            f"QFrame#banner QLabel {{ color: {fg}; }}"
        )
        self.level = level
        self._label.setText(text)
        self._callback = callback
        self._action.setVisible(bool(action and callback))
        if action:
            self._action.setText(action)
        self.show()

    def text(self) -> str:
        return self._label.text()

    def _run_action(self) -> None:
        callback = self._callback
        self.hide()
        if callback is not None:
            callback()
