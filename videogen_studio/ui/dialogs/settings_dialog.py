"""Settings dialog: which service to talk to, where videos go, and defaults for new renders.

Edits a copy of the Settings it is given; the caller reads `result_settings()` after `accepted` and saves it.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from pathlib import Path
from urllib.parse import urlsplit

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from videogen_studio.api.models import WatermarkMode
from videogen_studio.settings import SANDBOX, Settings
from videogen_studio.ui.widgets.colors import error_color
from videogen_studio.ui.widgets.watermark import TOOLTIPS as WATERMARK_TOOLTIPS
from videogen_studio.ui.widgets.watermark import watermark_combo

THEMES = (("system", "Same as the system"), ("light", "Light"), ("dark", "Dark"))

DEFAULT_API_URL = "https://api.videogen.io"
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


def base_url_problem(text: str) -> str | None:
    """Why `text` is not an acceptable API address, or None. https anywhere; plain http only on loopback."""
    text = text.strip()
    if not text:
        return "Enter the API address, for example https://api.videogen.io."
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return "That is not a valid web address."
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        return "The address must start with https://."
    if parts.username or parts.password:
        # The API key goes in a header; credentials in a URL would end up in logs and settings.json.
        return "Leave user names and passwords out of the address."
    if parts.query or parts.fragment:
        return "The address cannot contain ? or #."
    if parts.scheme == "http" and not _is_loopback(host):
        return "Use https:// (plain http:// is allowed only for localhost or 127.0.0.1)."
    return None


def normalize_base_url(text: str) -> str:
    return text.strip().rstrip("/")


def _is_loopback(host: str) -> bool:
    if host in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class SettingsDialog(QDialog):
    """Constructor: ``SettingsDialog(settings, parent=None)``. OK is disabled while any field is invalid."""

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._original = dataclasses.replace(settings)  # a copy: nothing changes until the caller saves
        self.setWindowTitle("Settings")
        self.setMinimumWidth(520)
        self._build_ui()
        self._load(self._original)
        self._connect()
        self._validate()

    # ------------------------------------------------------------------ UI
    def _build_ui(self) -> None:
        layout = QVBoxLayout(self)

        service = QGroupBox("Service")
        service_layout = QVBoxLayout(service)
        self.sandbox_radio = QRadioButton("Offline sandbox (no account needed)")
        self.sandbox_radio.setAccessibleName("Use the offline sandbox")
        self.sandbox_radio.setToolTip(
            "A built-in stand-in for VideoGen: free, offline, with sample presenters"
        )
        self.api_radio = QRadioButton("VideoGen API")
        self.api_radio.setAccessibleName("Use the VideoGen API")
        self.api_radio.setToolTip("Render with your VideoGen account (uses credits)")
        self._service_group = QButtonGroup(self)
        self._service_group.addButton(self.sandbox_radio)
        self._service_group.addButton(self.api_radio)
        service_layout.addWidget(self.sandbox_radio)
        service_layout.addWidget(self.api_radio)
        url_row = QFormLayout()
        url_row.setContentsMargins(24, 0, 0, 0)  # indent under its radio button
        self.url_edit = QLineEdit()
        self.url_edit.setAccessibleName("API address")
        self.url_edit.setPlaceholderText(DEFAULT_API_URL)
        self.url_edit.setClearButtonEnabled(True)
        url_label = QLabel("&Address:")
        url_label.setBuddy(self.url_edit)
        url_row.addRow(url_label, self.url_edit)
        service_layout.addLayout(url_row)
        self.url_error_label = QLabel()
        self.url_error_label.setAccessibleName("API address problem")
        self.url_error_label.setWordWrap(True)
        self.url_error_label.setContentsMargins(24, 0, 0, 0)
        self.url_error_label.hide()
        service_layout.addWidget(self.url_error_label)
        layout.addWidget(service)

        files = QGroupBox("Rendering")
        files_form = QFormLayout(files)
        self.download_edit = QLineEdit()
        self.download_edit.setAccessibleName("Download folder")
        self.browse_button = QPushButton("Browse…")
        self.browse_button.setAccessibleName("Choose download folder")
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.download_edit, 1)
        folder_row.addWidget(self.browse_button)
        folder_label = QLabel("&Output folder:")
        folder_label.setBuddy(self.download_edit)
        files_form.addRow(folder_label, folder_row)
        self.download_error_label = QLabel()
        self.download_error_label.setAccessibleName("Download folder problem")
        self.download_error_label.setWordWrap(True)
        self.download_error_label.hide()
        files_form.addRow("", self.download_error_label)
        self.concurrency_spin = QSpinBox()
        self.concurrency_spin.setAccessibleName("Renders at the same time")
        self.concurrency_spin.setRange(1, 8)
        self.concurrency_spin.setMinimumWidth(80)
        self.concurrency_spin.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.concurrency_spin.setToolTip(
            "How many videos render in parallel; more finishes sooner but uses credits faster"
        )
        concurrency_label = QLabel("&Renders at once:")
        concurrency_label.setBuddy(self.concurrency_spin)
        files_form.addRow(concurrency_label, self.concurrency_spin)
        layout.addWidget(files)

        defaults = QGroupBox("Defaults for new videos")
        defaults_form = QFormLayout(defaults)
        self.watermark_combo = watermark_combo("Default watermark")
        watermark_label = QLabel("&Watermark:")
        watermark_label.setBuddy(self.watermark_combo)
        defaults_form.addRow(watermark_label, self.watermark_combo)
        self.temporary_check = QCheckBox("Temporary output (kept 24 h)")
        self.temporary_check.setAccessibleName("Temporary outputs by default")
        self.temporary_check.setToolTip(
            "VideoGen keeps temporary files for at least 24 hours and may archive them after. "
            "Your downloaded copy is not affected."
        )
        defaults_form.addRow("", self.temporary_check)
        layout.addWidget(defaults)

        appearance = QGroupBox("Appearance")
        appearance_form = QFormLayout(appearance)
        self.theme_combo = QComboBox()
        self.theme_combo.setAccessibleName("Theme")
        for value, text in THEMES:
            self.theme_combo.addItem(text, value)
        theme_label = QLabel("&Theme:")
        theme_label.setBuddy(self.theme_combo)
        appearance_form.addRow(theme_label, self.theme_combo)
        layout.addWidget(appearance)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        layout.addWidget(self.buttons)

    def _connect(self) -> None:
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.sandbox_radio.toggled.connect(self._validate)
        self.url_edit.textChanged.connect(self._validate)
        self.download_edit.textChanged.connect(self._validate)
        self.browse_button.clicked.connect(self._browse)
        self.watermark_combo.currentIndexChanged.connect(self._update_watermark_tip)

    def _load(self, settings: Settings) -> None:
        uses_sandbox = settings.base_url == SANDBOX
        self.sandbox_radio.setChecked(uses_sandbox)
        self.api_radio.setChecked(not uses_sandbox)
        self.url_edit.setText(DEFAULT_API_URL if uses_sandbox else settings.base_url)
        self.download_edit.setText(settings.output_dir)
        self.concurrency_spin.setValue(max(1, min(8, settings.concurrency)))
        self.watermark_combo.setCurrentIndex(
            max(0, self.watermark_combo.findData(settings.default_watermark))
        )
        self.temporary_check.setChecked(settings.temporary_outputs)
        self.theme_combo.setCurrentIndex(max(0, self.theme_combo.findData(settings.theme)))
        self._update_watermark_tip()

    # ------------------------------------------------------------------ public API
    def result_settings(self) -> Settings:
        """A new Settings with the dialog's values; fields the dialog does not show are kept as they were."""
        return dataclasses.replace(
            self._original,
            base_url=SANDBOX if self.sandbox_radio.isChecked() else normalize_base_url(self.url_edit.text()),
            output_dir=self.download_edit.text().strip(),
            concurrency=self.concurrency_spin.value(),
            default_watermark=WatermarkMode(str(self.watermark_combo.currentData())),
            temporary_outputs=self.temporary_check.isChecked(),
            theme=str(self.theme_combo.currentData()),
        )

    def problems(self) -> list[str]:
        """Everything that keeps OK disabled."""
        found = []
        if self.api_radio.isChecked() and (url := base_url_problem(self.url_edit.text())):
            found.append(url)
        if folder := self._folder_problem():
            found.append(folder)
        return found

    # ------------------------------------------------------------------ internals
    def _folder_problem(self) -> str | None:
        text = self.download_edit.text().strip()
        if not text:
            return "Choose a folder for finished videos."
        if not Path(text).expanduser().is_absolute():
            return "Use a full folder path (for example from Browse…)."
        return None

    def _validate(self, *_: object) -> None:
        api = self.api_radio.isChecked()
        self.url_edit.setEnabled(api)
        red = f"color: {error_color(self)};"
        url_problem = base_url_problem(self.url_edit.text()) if api else None
        self.url_error_label.setText(url_problem or "")
        self.url_error_label.setStyleSheet(red)
        self.url_error_label.setVisible(url_problem is not None)
        folder_problem = self._folder_problem()
        self.download_error_label.setText(folder_problem or "")
        self.download_error_label.setStyleSheet(red)
        self.download_error_label.setVisible(folder_problem is not None)
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        problems = self.problems()
        ok.setEnabled(not problems)
        ok.setToolTip(problems[0] if problems else "")

    def _update_watermark_tip(self, *_: object) -> None:
        self.watermark_combo.setToolTip(WATERMARK_TOOLTIPS.get(str(self.watermark_combo.currentData()), ""))

    def _browse(self) -> None:
        start = self.download_edit.text().strip() or str(Path.home())
        dialog = QFileDialog(self, "Choose the output folder", start)
        dialog.setObjectName("downloadFolderDialog")
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        # A bound method, not a lambda over self: PySide 6.12 crashes deleting a WA_DeleteOnClose dialog
        # whose signal is connected to a closure that captures the dialog's parent.
        dialog.fileSelected.connect(self._folder_chosen)
        dialog.open()  # non-blocking

    def _folder_chosen(self, path: str) -> None:
        if path:
            self.download_edit.setText(path)
