"""Account dialog: offline sandbox, or the user's own VideoGen API key (checked without blocking the UI).

The dialog only collects the choice; the caller stores the key (credentials.SecretStore) after `accepted`.
The key is never logged, never put in a message, and never shown unless the user asks to see it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Literal

import keyring
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QShowEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSizePolicy,
    QStyle,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from videogen_studio.api.errors import VideoGenError
from videogen_studio.api.keys import check_api_key
from videogen_studio.credentials import ENV_VAR, SERVICE, USERNAME
from videogen_studio.ui.widgets.colors import error_color, success_color
from videogen_studio.ui.widgets.wrapping_label import WrappingLabel
from videogen_studio.ui.wording import describe_key_error

#: ``async validate(base_url, key)``: returns a sentence about the account (or None) when the key works,
#: raises (ideally a VideoGenError) when it does not.
Validator = Callable[[str, str], Awaitable[str | None]]
Mode = Literal["sandbox", "api"]

DEVELOPERS_URL = "https://app.videogen.io/developers"
NO_KEYRING_MESSAGE = (
    f"No system keyring found. Set the {ENV_VAR} environment variable, or tick "
    "'Store the key in a local file (less secure)'"
)
STORE_IN_FILE_TEXT = "Store the key in a local file (less secure)"


def probe_keyring() -> bool:
    """True when the OS keyring answers. Mirrors credentials.SecretStore.keyring_available."""
    try:
        keyring.get_password(SERVICE, USERNAME)
    except Exception:  # NoKeyringError, or assorted backend errors when the Secret Service is missing/locked
        return False
    return True


class AccountDialog(QDialog):
    """Constructor:
    validate: ``async validate(base_url, key)`` that returns when the key works — optionally a sentence
        about the account (email, key nickname, team) — and raises (ideally a VideoGenError) when it does
        not.
    parent: Qt parent.
    base_url: the API address the key is checked against.
    mode / api_key: the current choice, to pre-fill the dialog.
    key_source: where the current key comes from ("keyring" | "environment" | "file"), shown as a note.
    keyring_available: bool, or a callable probing it; default probes the OS keyring.
    """

    def __init__(
        self,
        validate: Validator,
        parent: QWidget | None = None,
        *,
        base_url: str = "https://api.videogen.io",
        mode: Mode = "sandbox",
        api_key: str = "",
        key_source: str | None = None,
        keyring_available: bool | Callable[[], bool] | None = None,
    ) -> None:
        super().__init__(parent)
        self._validate = validate
        self._base_url = base_url
        self._check_serial = 0  # bumps on every edit/close so a late answer about an old key is dropped
        self._check_task: asyncio.Task[None] | None = None
        self._checking = False
        self._closed = False
        if keyring_available is None:
            keyring_available = probe_keyring
        self._keyring_ok = keyring_available() if callable(keyring_available) else keyring_available
        self.setWindowTitle("VideoGen account")
        self.setMinimumWidth(540)
        self._build_ui(key_source)
        self.sandbox_radio.setChecked(mode != "api")
        self.api_radio.setChecked(mode == "api")
        self.key_edit.setText(api_key)
        self._connect()
        self._update()

    # ------------------------------------------------------------------ UI
    def _build_ui(self, key_source: str | None) -> None:
        layout = QVBoxLayout(self)
        layout.setSpacing(8)
        # The dialog never gets smaller than its wrapped labels need (the keyring notice was clipped).
        layout.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)

        intro = WrappingLabel(
            "Try everything offline with the built-in sandbox, or render real videos with your account."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)

        self.sandbox_radio = QRadioButton("Use the offline sandbox")
        self.sandbox_radio.setAccessibleName("Use the offline sandbox")
        self.sandbox_radio.setToolTip("Free and offline; renders are sample videos, not real ones")
        self.api_radio = QRadioButton("Use my VideoGen API key")
        self.api_radio.setAccessibleName("Use my VideoGen API key")
        group = QButtonGroup(self)
        group.addButton(self.sandbox_radio)
        group.addButton(self.api_radio)
        layout.addWidget(self.sandbox_radio)
        layout.addWidget(self.api_radio)

        self.api_box = QWidget()
        api_layout = QVBoxLayout(self.api_box)
        api_layout.setContentsMargins(24, 0, 0, 0)  # indent under its radio button
        api_layout.setSpacing(6)
        key_row = QHBoxLayout()
        self.key_edit = QLineEdit()
        self.key_edit.setAccessibleName("API key")
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_edit.setPlaceholderText("Paste your API key")
        self.key_edit.setInputMethodHints(
            Qt.InputMethodHint.ImhHiddenText
            | Qt.InputMethodHint.ImhNoPredictiveText
            | Qt.InputMethodHint.ImhSensitiveData
        )
        self.show_key_action = QAction("Show", self.key_edit)
        self.show_key_action.setCheckable(True)
        self.show_key_action.setToolTip("Show or hide the key")
        self.key_edit.addAction(self.show_key_action, QLineEdit.ActionPosition.TrailingPosition)
        key_row.addWidget(self.key_edit, 1)
        self.check_button = QPushButton("Check key")
        self.check_button.setAccessibleName("Check the API key")
        self.check_button.setToolTip("Ask VideoGen whether this key works (nothing is charged)")
        key_row.addWidget(self.check_button)
        api_layout.addLayout(key_row)

        self.check_result_label = WrappingLabel()
        self.check_result_label.setAccessibleName("Key check result")
        self.check_result_label.setWordWrap(True)
        self.check_result_label.setTextFormat(Qt.TextFormat.PlainText)
        self.check_result_label.hide()
        api_layout.addWidget(self.check_result_label)

        self.link_label = QLabel(f'Get a key at <a href="{DEVELOPERS_URL}">app.videogen.io/developers</a>')
        self.link_label.setAccessibleName("Where to get an API key")
        self.link_label.setTextFormat(Qt.TextFormat.RichText)
        self.link_label.setOpenExternalLinks(True)
        self.link_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        api_layout.addWidget(self.link_label)

        self.source_label = QLabel(_source_note(key_source))
        self.source_label.setAccessibleName("Where the current key comes from")
        self.source_label.setWordWrap(True)
        self.source_label.setVisible(bool(self.source_label.text()))
        api_layout.addWidget(self.source_label)

        # A framed notice with an icon, so the keyring problem is noticed before the user presses OK.
        self.no_keyring_frame = QFrame()
        self.no_keyring_frame.setFrameShape(QFrame.Shape.StyledPanel)
        notice = QGridLayout(self.no_keyring_frame)
        notice.setContentsMargins(10, 8, 10, 8)
        notice.setHorizontalSpacing(10)
        icon = QLabel()
        size = self.style().pixelMetric(QStyle.PixelMetric.PM_SmallIconSize)
        icon.setPixmap(
            self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning).pixmap(size, size)
        )
        icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        icon.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)
        notice.addWidget(icon, 0, 0)
        notice.setColumnStretch(1, 1)
        self.no_keyring_label = WrappingLabel(NO_KEYRING_MESSAGE)
        self.no_keyring_label.setAccessibleName("No system keyring")
        self.no_keyring_label.setWordWrap(True)
        self.no_keyring_label.setTextFormat(Qt.TextFormat.PlainText)
        notice.addWidget(self.no_keyring_label, 0, 1)
        self.store_in_file_check = QCheckBox(STORE_IN_FILE_TEXT)
        self.store_in_file_check.setAccessibleName(STORE_IN_FILE_TEXT)
        self.store_in_file_check.setToolTip(
            "The key is saved in a file only your user account can read. "
            "Without this, it is used until you quit."
        )
        notice.addWidget(self.store_in_file_check, 1, 1)
        api_layout.addSpacing(4)
        api_layout.addWidget(self.no_keyring_frame)
        self.no_keyring_frame.setVisible(not self._keyring_ok)
        layout.addWidget(self.api_box)
        layout.addStretch(1)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        layout.addWidget(self.buttons)

    def _connect(self) -> None:
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.api_radio.toggled.connect(self._update)
        self.key_edit.textChanged.connect(self._on_key_edited)
        self.show_key_action.toggled.connect(self._toggle_echo)
        self.check_button.clicked.connect(self.check_key)

    # ------------------------------------------------------------------ public API
    def chosen_mode(self) -> Mode:
        return "api" if self.api_radio.isChecked() else "sandbox"

    def api_key(self) -> str:
        return self.key_edit.text().strip()

    def store_insecurely(self) -> bool:
        """True only when there is no keyring and the user opted in to the local file."""
        return not self._keyring_ok and self.store_in_file_check.isChecked()

    def keyring_available(self) -> bool:
        return self._keyring_ok

    @asyncSlot()
    async def check_key(self) -> None:
        """Validate the typed key against the service and show the outcome inline; never blocks the UI."""
        key = self.api_key()
        if not key or self._checking:
            return
        self._check_serial += 1
        serial = self._check_serial
        self._check_task = asyncio.current_task()
        self._checking = True
        self.check_button.setText("Checking…")
        self._update()
        self._show_result("Checking the key with VideoGen…", ok=None)
        ok = False
        try:
            about = await self._validate(self._base_url, key)
        except asyncio.CancelledError:
            return  # the dialog closed; its widgets may be gone
        except VideoGenError as exc:
            message = describe_key_error(exc)
        except Exception as exc:  # a bug or an unexpected library error: say so without echoing details
            message = f"The key could not be checked ({type(exc).__name__}). Try again in a moment."
        else:
            ok = True
            message = about if isinstance(about, str) and about else "The key works."
        if self._closed:
            return
        self._check_task = None
        self._checking = False
        self.check_button.setText("Check key")
        self._update()
        if serial == self._check_serial:  # otherwise the key was edited meanwhile: the answer is stale
            self._show_result(message, ok=ok)

    # ------------------------------------------------------------------ events
    def done(self, result: int) -> None:
        self._closed = True
        if self._check_task is not None and not self._check_task.done():
            self._check_task.cancel()
        self._check_task = None
        self._checking = False
        self.check_button.setText("Check key")
        super().done(result)

    def showEvent(self, event: QShowEvent) -> None:
        self._closed = False  # the same dialog may be shown again after done()
        self._update()
        super().showEvent(event)

    # ------------------------------------------------------------------ internals
    def _on_key_edited(self, *_: object) -> None:
        self._check_serial += 1  # any answer still on its way is about a different key now
        self.check_result_label.hide()
        self._update()

    def _toggle_echo(self, shown: bool) -> None:
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password)
        self.show_key_action.setText("Hide" if shown else "Show")

    def key_problem(self) -> str | None:
        """Why the typed key cannot be a key (line break, space, control characters…), or None."""
        if not self.key_edit.text().strip():
            return None
        try:
            check_api_key(self.key_edit.text())
        except VideoGenError as exc:
            return describe_key_error(exc)
        return None

    def _update(self, *_: object) -> None:
        api = self.api_radio.isChecked()
        self.api_box.setEnabled(api)
        problem = self.key_problem() if api else None
        usable = bool(self.api_key()) and problem is None
        self.check_button.setEnabled(api and usable and not self._checking)
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(not api or usable)
        if problem is not None:
            ok.setToolTip(problem)
            self._show_result(problem, ok=False)
        else:
            ok.setToolTip("" if ok.isEnabled() else "Paste your API key, or choose the offline sandbox.")

    def _show_result(self, text: str, *, ok: bool | None) -> None:
        if ok is None:
            style = ""
        elif ok:
            style = f"color: {success_color(self)};"
        else:
            style = f"color: {error_color(self)};"
        self.check_result_label.setStyleSheet(style)
        self.check_result_label.setText(("✓ " if ok else "") + text)
        self.check_result_label.setProperty("ok", ok)
        self.check_result_label.show()


def _source_note(source: str | None) -> str:
    return {
        "keyring": "A key is saved in your system keyring.",
        "environment": f"Using the key from the {ENV_VAR} environment variable.",
        "file": "A key is saved in a local file.",
    }.get(source or "", "")
