""" "Your own voice": the user brings an audio file (WAV, MP3, M4A); the avatar speaks it, no text-to-speech.

`OwnVoicePicker(parent=None, *, recordings_dir=None, audio_inputs=None)`
Signals:
    audioChanged(str): the chosen file's path, "" when cleared.
Methods:
    audio_path() -> str, set_audio_path(path) (refuses unsupported or missing files, returns bool),
    choose_file() (opens a non-blocking file dialog), clear(), toggle_recording(), refresh_microphones().
Files can also be dropped onto the widget, or recorded from the microphone ("Record": a WAV in the cache
folder's `recordings/`, then used like a chosen file). Without a microphone "Record" is disabled and says so.
The job carries the path in `RenderSpec.audio_path`; the runner uploads it (with progress) and skips
text-to-speech.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QShowEvent
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QPushButton, QToolButton, QWidget

from .recorder import NO_MICROPHONE, MicRecorder, microphones

AUDIO_SUFFIXES = (".wav", ".mp3", ".m4a")
NAME_FILTER = "Audio (*.wav *.mp3 *.m4a);;All files (*)"


def is_supported_audio(path: str | Path) -> bool:
    return Path(path).suffix.lower() in AUDIO_SUFFIXES


class OwnVoicePicker(QWidget):
    """A file row: "Use an audio file…" button, the file's name, a clear button; accepts drops."""

    audioChanged = Signal(str)

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        recordings_dir: Path | None = None,
        audio_inputs: Callable[[], list[Any]] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setAccessibleName("Your own voice")
        self.setAcceptDrops(True)
        self._path = ""
        self._dialog: QFileDialog | None = None
        self._start_dir = str(Path.home())
        self._recordings_dir = recordings_dir
        self._audio_inputs = audio_inputs or microphones
        self._recorder: MicRecorder | None = None
        self._microphones_checked = False

        self.choose_button = QPushButton("Use an audio file…")
        self.choose_button.setAccessibleName("Use your own audio file")
        self.choose_button.setToolTip(
            "The presenter speaks your recording (WAV, MP3 or M4A) instead of a synthetic voice. "
            "You can also drop a file here."
        )
        self.file_label = QLabel("")
        self.file_label.setAccessibleName("Your audio file")
        self.file_label.setTextFormat(Qt.TextFormat.PlainText)
        self.file_label.setStyleSheet("color: palette(placeholder-text);")
        self.file_label.setWordWrap(True)  # a narrow editor wraps the hint instead of clipping it
        self.file_label.setMinimumWidth(60)
        self.clear_button = QToolButton()
        self.clear_button.setText("✕")
        self.clear_button.setAutoRaise(True)
        self.clear_button.setAccessibleName("Stop using your audio file")
        self.clear_button.setToolTip("Use text-to-speech again")
        self.record_button = QPushButton("Record")
        self.record_button.setAccessibleName("Record your voice from the microphone")
        self.record_button.setEnabled(False)  # until the microphones were looked up (see showEvent)
        self.record_button.setToolTip("Looking for a microphone…")

        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.choose_button)
        row.addWidget(self.record_button)
        row.addWidget(self.file_label, 1)
        row.addWidget(self.clear_button)

        self.choose_button.clicked.connect(self.choose_file)
        self.clear_button.clicked.connect(self.clear)
        self.record_button.clicked.connect(self.toggle_recording)
        self._refresh()

    # -- public ------------------------------------------------------------------------------------------

    def audio_path(self) -> str:
        return self._path

    def set_audio_path(self, path: str) -> bool:
        """Use `path` (an existing WAV/MP3/M4A file); "" clears. False (and nothing changes) otherwise."""
        if path and (not is_supported_audio(path) or not Path(path).is_file()):
            return False
        if path == self._path:
            return True
        self._path = path
        if path:
            self._start_dir = str(Path(path).parent)
        self._refresh()
        self.audioChanged.emit(path)
        return True

    def clear(self) -> None:
        self.set_audio_path("")

    def choose_file(self) -> None:
        """A non-blocking file dialog (`open()`, not `exec()`): the event loop and renders keep running."""
        if self._dialog is None:
            dialog = QFileDialog(self, "Choose your recording", self._start_dir, NAME_FILTER)
            dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
            dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptOpen)
            dialog.fileSelected.connect(self._on_file_selected)
            self._dialog = dialog
        self._dialog.setDirectory(self._start_dir)
        self._dialog.open()

    def refresh_microphones(self) -> bool:
        """Enable "Record" only where a microphone exists (checked when first shown, not at start-up: asking
        the audio backend costs time). Returns whether one was found."""
        self._microphones_checked = True
        found = bool(self._audio_inputs())
        recording = self._recorder is not None and self._recorder.is_recording()
        self.record_button.setEnabled(found or recording)
        self.record_button.setToolTip(
            "Record your voice from the microphone; the presenter speaks it." if found else NO_MICROPHONE
        )
        return found

    def toggle_recording(self) -> None:
        """Start recording from the microphone, or stop and use the recording."""
        recorder = self._recorder
        if recorder is not None and recorder.is_recording():
            recorder.stop()
            return
        if not self.refresh_microphones():
            self.file_label.setText(NO_MICROPHONE)
            return
        if recorder is None:
            recorder = MicRecorder(self._recordings_folder(), self)
            recorder.recordingChanged.connect(self._on_recording_changed)
            recorder.recorded.connect(self._on_recorded)
            recorder.failed.connect(self._on_record_failed)
            self._recorder = recorder
        recorder.start()

    def recorder(self) -> MicRecorder | None:
        """The recorder once "Record" was first used (tests drive it)."""
        return self._recorder

    def file_dialog(self) -> QFileDialog | None:
        """The dialog once `choose_file` has opened it (tests drive it)."""
        return self._dialog

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._microphones_checked:
            self._microphones_checked = True
            QTimer.singleShot(0, self, self.refresh_microphones)  # after this paint: the backend is slow

    # -- drag and drop -----------------------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._dropped_path(event) is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        path = self._dropped_path(event)
        if path is not None and self.set_audio_path(path):
            event.acceptProposedAction()
        else:
            event.ignore()

    @staticmethod
    def _dropped_path(event: QDragEnterEvent | QDropEvent) -> str | None:
        mime = event.mimeData()
        if not mime.hasUrls():
            return None
        for url in mime.urls():
            if url.isLocalFile() and is_supported_audio(url.toLocalFile()):
                return url.toLocalFile()
        return None

    # -- internals ---------------------------------------------------------------------------------------

    def _recordings_folder(self) -> Path:
        if self._recordings_dir is None:
            from videogen_studio.paths import app_paths

            self._recordings_dir = app_paths().cache / "recordings"
        return self._recordings_dir

    def _on_recording_changed(self, recording: bool) -> None:
        self.record_button.setText("Stop recording" if recording else "Record")
        self.choose_button.setEnabled(not recording)
        if recording:
            self.file_label.setText("Recording… press Stop recording when you are done")

    def _on_recorded(self, path: str) -> None:
        if not self.set_audio_path(path):
            self.file_label.setText("The recording could not be used.")

    def _on_record_failed(self, message: str) -> None:
        self._refresh()
        self.file_label.setText(message)

    def _on_file_selected(self, path: str) -> None:
        if path and not self.set_audio_path(path):
            self.file_label.setText(f"{Path(path).name}: not a WAV, MP3 or M4A file")

    def _refresh(self) -> None:
        if self._path:
            self.file_label.setText(Path(self._path).name)
            self.file_label.setToolTip(self._path)
            self.choose_button.setText("Change file…")
        else:
            self.file_label.setText("or drop a WAV, MP3 or M4A file here")
            self.file_label.setToolTip("")
            self.choose_button.setText("Use an audio file…")
        self.clear_button.setVisible(bool(self._path))
