"""SettingsDialog (URL validation, result) and AccountDialog (keyring notice, async key check)."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backend
import keyring.errors
import pytest
import qasync
from keyring.compat import properties
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QFileDialog, QLabel, QPushButton
from pytestqt.qtbot import QtBot

from videogen_studio.api.errors import AuthError
from videogen_studio.settings import Settings
from videogen_studio.ui.dialogs.account_dialog import NO_KEYRING_MESSAGE, AccountDialog
from videogen_studio.ui.dialogs.settings_dialog import SettingsDialog, base_url_problem

SECRET = "vg_sk_live_DO_NOT_SHOW_1234567890"


# -- settings ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://api.videogen.io",
        "https://api.videogen.io/",
        "https://eu.api.videogen.io:8443/base",
        "http://localhost:8080",
        "http://127.0.0.1:5000",
        "http://[::1]:9000",
        "  https://api.videogen.io  ",
    ],
)
def test_acceptable_api_addresses(url: str) -> None:
    assert base_url_problem(url) is None


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("", "Enter the API address"),
        ("api.videogen.io", "must start with https://"),
        ("ftp://api.videogen.io", "must start with https://"),
        ("https://", "must start with https://"),
        ("http://api.videogen.io", "plain http:// is allowed only for localhost"),
        ("http://192.168.1.10:8000", "plain http:// is allowed only for localhost"),
        ("http://localhost.evil.example", "plain http:// is allowed only for localhost"),
        ("https://user:pw@api.videogen.io", "Leave user names and passwords out"),
        ("https://api.videogen.io:99999", "not a valid web address"),
        ("https://api.videogen.io/?key=1", "cannot contain ? or #"),
    ],
)
def test_rejected_api_addresses(url: str, expected: str) -> None:
    problem = base_url_problem(url)
    assert problem is not None and expected in problem


def _ok(dialog: SettingsDialog | AccountDialog) -> QPushButton:
    return dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(output_dir=str(tmp_path / "Videos"), concurrency=3, theme="dark")


def test_settings_dialog_edits_a_copy(qtbot: QtBot, settings: Settings, tmp_path: Path) -> None:
    original = dataclasses.replace(settings)
    dialog = SettingsDialog(settings)
    qtbot.addWidget(dialog)
    assert dialog.sandbox_radio.isChecked()
    assert not dialog.url_edit.isEnabled()
    assert dialog.concurrency_spin.value() == 3
    assert _ok(dialog).isEnabled()

    dialog.api_radio.setChecked(True)
    dialog.url_edit.setText("https://eu.api.videogen.io/")
    dialog.download_edit.setText(str(tmp_path / "Elsewhere"))
    dialog.concurrency_spin.setValue(12)  # clamped to the 1–8 range
    dialog.watermark_combo.setCurrentIndex(dialog.watermark_combo.findData("VIDEO_GEN"))
    dialog.temporary_check.setChecked(True)

    result = dialog.result_settings()
    assert result == Settings(
        base_url="https://eu.api.videogen.io",
        output_dir=str(tmp_path / "Elsewhere"),
        concurrency=8,
        default_watermark="VIDEO_GEN",
        temporary_outputs=True,
        theme="dark",  # not shown in the dialog: kept as it was
    )
    assert settings == original  # the caller's object is untouched until it saves the result

    dialog.sandbox_radio.setChecked(True)
    assert dialog.result_settings().base_url == "sandbox"


def test_settings_dialog_blocks_ok_on_an_invalid_address(qtbot: QtBot, settings: Settings) -> None:
    dialog = SettingsDialog(dataclasses.replace(settings, base_url="https://api.videogen.io"))
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.api_radio.isChecked()
    assert dialog.url_edit.text() == "https://api.videogen.io"
    assert _ok(dialog).isEnabled()
    assert not dialog.url_error_label.isVisible()

    dialog.url_edit.setText("http://api.videogen.io")
    assert not _ok(dialog).isEnabled()
    assert dialog.url_error_label.isVisible()
    assert "https://" in dialog.url_error_label.text()
    assert _ok(dialog).toolTip() == dialog.url_error_label.text()

    dialog.url_edit.setText("http://localhost:8765")
    assert _ok(dialog).isEnabled()

    dialog.url_edit.setText("nonsense")
    dialog.sandbox_radio.setChecked(True)  # the address does not matter for the sandbox
    assert _ok(dialog).isEnabled()
    assert not dialog.url_error_label.isVisible()


def test_settings_dialog_needs_a_download_folder(qtbot: QtBot, settings: Settings) -> None:
    dialog = SettingsDialog(settings)
    qtbot.addWidget(dialog)
    dialog.download_edit.setText("")
    assert not _ok(dialog).isEnabled()
    assert dialog.problems() == ["Choose a folder for finished videos."]
    dialog.download_edit.setText("relative/folder")
    assert not _ok(dialog).isEnabled()


def test_browse_picks_a_folder_without_blocking(qtbot: QtBot, settings: Settings, tmp_path: Path) -> None:
    chosen = tmp_path / "picked"
    chosen.mkdir()
    dialog = SettingsDialog(settings)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.mouseClick(dialog.browse_button, Qt.MouseButton.LeftButton)
    picker = dialog.findChild(QFileDialog, "downloadFolderDialog")
    assert picker is not None and picker.isVisible()
    assert picker.fileMode() == QFileDialog.FileMode.Directory
    picker.fileSelected.emit(str(chosen))
    assert dialog.download_edit.text() == str(chosen)
    picker.reject()


# -- account: keyring ---------------------------------------------------------------------------------


class NoKeyring(keyring.backend.KeyringBackend):
    """What keyring falls back to on a desktop without a Secret Service: every call raises."""

    # A class property that raises makes keyring's own autodetection skip this backend (not "viable"),
    # so defining it here cannot leak into other tests.
    @properties.classproperty
    def priority(cls) -> float:  # type: ignore[override]
        raise keyring.errors.NoKeyringError("No recommended backend was available.")

    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.NoKeyringError("No recommended backend was available.")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.NoKeyringError("No recommended backend was available.")

    def delete_password(self, service: str, username: str) -> None:
        raise keyring.errors.NoKeyringError("No recommended backend was available.")


@pytest.fixture
def no_keyring() -> Iterator[None]:
    previous = keyring.get_keyring()
    keyring.set_keyring(NoKeyring())
    try:
        yield
    finally:
        keyring.set_keyring(previous)


async def _never_called(_base_url: str, _key: str) -> None:
    raise AssertionError("the validator should not run in this test")


def test_account_dialog_defaults_to_the_sandbox(qtbot: QtBot) -> None:
    dialog = AccountDialog(_never_called)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.chosen_mode() == "sandbox"
    assert dialog.sandbox_radio.isChecked()
    assert not dialog.api_box.isEnabled()
    assert _ok(dialog).isEnabled()
    # The conftest's in-memory keyring works, so there is no keyring notice.
    assert dialog.keyring_available()
    assert not dialog.no_keyring_label.isVisible()
    assert not dialog.store_insecurely()
    assert "app.videogen.io/developers" in dialog.link_label.text()
    assert dialog.link_label.openExternalLinks()


def test_api_mode_needs_a_key_and_hides_it(qtbot: QtBot) -> None:
    dialog = AccountDialog(_never_called)
    qtbot.addWidget(dialog)
    dialog.api_radio.setChecked(True)
    assert dialog.chosen_mode() == "api"
    assert not _ok(dialog).isEnabled()
    assert not dialog.check_button.isEnabled()

    dialog.key_edit.setText(f"  {SECRET}  ")
    assert dialog.api_key() == SECRET
    assert _ok(dialog).isEnabled()
    assert dialog.check_button.isEnabled()
    assert dialog.key_edit.echoMode() == dialog.key_edit.EchoMode.Password
    dialog.show_key_action.trigger()
    assert dialog.key_edit.echoMode() == dialog.key_edit.EchoMode.Normal
    dialog.show_key_action.trigger()
    assert dialog.key_edit.echoMode() == dialog.key_edit.EchoMode.Password


@pytest.mark.usefixtures("no_keyring")
def test_missing_keyring_explains_the_alternatives(qtbot: QtBot) -> None:
    dialog = AccountDialog(_never_called, mode="api", api_key=SECRET)
    qtbot.addWidget(dialog)
    dialog.show()

    assert not dialog.keyring_available()
    assert dialog.no_keyring_label.isVisible()
    assert dialog.no_keyring_label.text() == NO_KEYRING_MESSAGE
    assert NO_KEYRING_MESSAGE.startswith(
        "No system keyring found. Set the VIDEOGEN_API_KEY environment variable"
    )
    assert dialog.store_in_file_check.isVisible()
    assert dialog.store_in_file_check.text() == "Store the key in a local file (less secure)"
    assert not dialog.store_insecurely()  # opt-in only
    dialog.store_in_file_check.setChecked(True)
    assert dialog.store_insecurely()
    assert dialog.api_key() == SECRET  # usable for this session either way


def test_injected_keyring_probe_wins(qtbot: QtBot) -> None:
    dialog = AccountDialog(_never_called, keyring_available=lambda: False)
    qtbot.addWidget(dialog)
    assert not dialog.keyring_available()
    assert dialog.no_keyring_frame.isVisibleTo(dialog)


# -- account: the async key check ---------------------------------------------------------------------


class FakeValidator:
    """An async validator the test releases by hand, recording what it was asked."""

    def __init__(self, error: Exception | None = None) -> None:
        self.calls: list[tuple[str, str]] = []
        self.error = error
        self.release = asyncio.Event()

    async def __call__(self, base_url: str, key: str) -> None:
        self.calls.append((base_url, key))
        await self.release.wait()
        if self.error is not None:
            raise self.error


def _visible_texts(dialog: AccountDialog) -> list[str]:
    return [label.text() for label in dialog.findChildren(QLabel)] + [dialog.check_button.text()]


def test_check_key_success_is_shown_inline_without_blocking(qtbot: QtBot, qloop: qasync.QEventLoop) -> None:
    validate = FakeValidator()
    dialog = AccountDialog(validate, base_url="https://api.example.test", mode="api")
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.key_edit.setText(SECRET)

    qtbot.mouseClick(dialog.check_button, Qt.MouseButton.LeftButton)
    # The click returned while the check is still pending: the UI is live and says so.
    qtbot.waitUntil(lambda: validate.calls == [("https://api.example.test", SECRET)])
    assert dialog.check_button.text() == "Checking…"
    assert not dialog.check_button.isEnabled()
    assert dialog.check_result_label.text() == "Checking the key with VideoGen…"

    validate.release.set()
    qtbot.waitUntil(lambda: dialog.check_result_label.text() == "✓ The key works.")
    assert dialog.check_result_label.property("ok") is True
    assert dialog.check_button.text() == "Check key"
    assert dialog.check_button.isEnabled()
    assert all(SECRET not in text for text in _visible_texts(dialog))


def test_check_key_failure_shows_the_user_message(qtbot: QtBot, qloop: qasync.QEventLoop) -> None:
    error = AuthError("The API key is missing or invalid", status=401, code="invalid_api_key")
    validate = FakeValidator(error)
    validate.release.set()
    dialog = AccountDialog(validate, mode="api", api_key=SECRET)
    qtbot.addWidget(dialog)
    dialog.show()

    qtbot.mouseClick(dialog.check_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.check_result_label.property("ok") is False)
    text = dialog.check_result_label.text()
    assert text.startswith("The API key is missing or invalid.")
    assert "app.videogen.io/developers" in text  # the hint: what to do
    assert "Account" not in text  # the dialog is open: no "Open Account…" (issue 9, defect 10)
    assert dialog.check_button.isEnabled()
    assert all(SECRET not in text for text in _visible_texts(dialog))


def test_unexpected_validator_error_does_not_leak_details(qtbot: QtBot, qloop: qasync.QEventLoop) -> None:
    validate = FakeValidator(RuntimeError(f"boom with {SECRET}"))
    validate.release.set()
    dialog = AccountDialog(validate, mode="api", api_key=SECRET)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.mouseClick(dialog.check_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.check_result_label.property("ok") is False)
    assert (
        dialog.check_result_label.text()
        == "The key could not be checked (RuntimeError). Try again in a moment."
    )
    assert all(SECRET not in text for text in _visible_texts(dialog))


def test_answer_about_an_edited_key_is_dropped(qtbot: QtBot, qloop: qasync.QEventLoop) -> None:
    validate = FakeValidator()
    dialog = AccountDialog(validate, mode="api", api_key="old-key")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.mouseClick(dialog.check_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(validate.calls) == 1)

    dialog.key_edit.setText("new-key")  # the user keeps typing while the old key is checked
    validate.release.set()
    qtbot.waitUntil(lambda: dialog.check_button.text() == "Check key")
    assert not dialog.check_result_label.isVisible()  # "The key works." was about old-key: not shown
    assert dialog.check_button.isEnabled()


def test_closing_the_dialog_cancels_a_pending_check(qtbot: QtBot, qloop: qasync.QEventLoop) -> None:
    validate = FakeValidator()
    cancelled = asyncio.Event()

    async def slow(base_url: str, key: str) -> None:
        try:
            await validate(base_url, key)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    dialog = AccountDialog(slow, mode="api", api_key=SECRET)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.mouseClick(dialog.check_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(validate.calls) == 1)
    dialog.reject()
    qtbot.waitUntil(cancelled.is_set)
    assert dialog.result() == AccountDialog.DialogCode.Rejected


# -- issue 9 defect 10, issue 7 item 2, issue 8 item 3 ----------------------------------------------------


@pytest.mark.usefixtures("no_keyring")
@pytest.mark.parametrize("width", [None, 420])
def test_keyring_warning_is_never_clipped(qtbot: QtBot, width: int | None) -> None:
    dialog = AccountDialog(_never_called, mode="api", api_key=SECRET)
    qtbot.addWidget(dialog)
    dialog.show()
    if width is not None:
        dialog.resize(width, 100)  # smaller than it needs: the dialog keeps the wrapped text's height
    qtbot.waitExposed(dialog)
    label = dialog.no_keyring_label
    assert label.wordWrap()
    assert label.height() >= label.heightForWidth(label.width())
    assert label.visibleRegion().boundingRect().height() >= label.heightForWidth(label.width())
    assert "Open Account" not in " ".join(_visible_texts(dialog))


@pytest.mark.parametrize("bad", ["vg_key\nwith_newline", "vg key", "vg_kéy", "vg_key\x07"])
def test_an_impossible_key_is_refused_as_typed_without_a_request(qtbot: QtBot, bad: str) -> None:
    validate = FakeValidator()
    dialog = AccountDialog(validate, mode="api")
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.key_edit.setText(bad)
    assert dialog.key_problem() is not None
    assert not _ok(dialog).isEnabled() and not dialog.check_button.isEnabled()
    assert dialog.check_result_label.isVisible() and dialog.check_result_label.property("ok") is False
    assert bad.strip() not in dialog.check_result_label.text()
    dialog.key_edit.setText("vg_key_fine_123")
    assert dialog.key_problem() is None and _ok(dialog).isEnabled()
    assert validate.calls == []


def test_a_working_key_shows_who_it_belongs_to(qtbot: QtBot, qloop: qasync.QEventLoop) -> None:
    async def validate(base_url: str, key: str) -> str:
        return "The key works. Signed in as maya@example.com (Maya) · key “CI” · team team_7."

    dialog = AccountDialog(validate, mode="api", api_key=SECRET)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.mouseClick(dialog.check_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.check_result_label.property("ok") is True)
    text = dialog.check_result_label.text()
    assert "maya@example.com" in text and "team_7" in text and "“CI”" in text


def test_settings_offer_the_theme(qtbot: QtBot, settings: Settings) -> None:
    dialog = SettingsDialog(dataclasses.replace(settings, theme="dark"))
    qtbot.addWidget(dialog)
    assert dialog.theme_combo.currentData() == "dark"
    assert [dialog.theme_combo.itemData(i) for i in range(dialog.theme_combo.count())] == [
        "system",
        "light",
        "dark",
    ]
    dialog.theme_combo.setCurrentIndex(dialog.theme_combo.findData("light"))
    assert dialog.result_settings().theme == "light"
