"""Recording the user's voice from the microphone into a WAV file (for "Your own voice").

`MicRecorder(folder, parent=None)`: `start()` records from the default audio input into a new file in
`folder`; `stop()` finishes it. Signals: `recordingChanged(bool)`, `recorded(str path)` once the file is
complete, `failed(str message)`. `microphones()` lists the audio inputs (empty: no microphone, so the Record
button is disabled). QtMultimedia is imported on first use, never at start-up.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QUrl, Signal

NO_MICROPHONE = "No microphone was found. Connect one (or allow access to it), then try again."


def microphones() -> list[Any]:
    """The audio inputs Qt sees (QAudioDevice objects); empty where there is no microphone."""
    from PySide6.QtMultimedia import QMediaDevices

    return list(QMediaDevices.audioInputs())


class MicRecorder(QObject):
    """QMediaCaptureSession + QAudioInput + QMediaRecorder, writing WAV (uncompressed: the service takes it
    as is, and no encoder is needed)."""

    recordingChanged = Signal(bool)
    recorded = Signal(str)
    failed = Signal(str)

    def __init__(self, folder: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._folder = folder
        self._target: Path | None = None
        self._session: Any = None
        self._input: Any = None
        self._recorder: Any = None

    def is_recording(self) -> bool:
        return self._target is not None

    def start(self) -> bool:
        """Start recording; False (and `failed` emitted) when there is no microphone or no folder."""
        if self._target is not None:
            return True
        from PySide6.QtMultimedia import QAudioInput, QMediaCaptureSession, QMediaFormat, QMediaRecorder

        inputs = microphones()
        if not inputs:
            self.failed.emit(NO_MICROPHONE)
            return False
        try:
            self._folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self.failed.emit(f"Cannot create the recordings folder {self._folder}: {exc.strerror or exc}")
            return False
        if self._recorder is None:
            self._session = QMediaCaptureSession(self)
            self._input = QAudioInput(inputs[0], self)
            self._recorder = QMediaRecorder(self)
            self._session.setAudioInput(self._input)
            self._session.setRecorder(self._recorder)
            media_format = QMediaFormat(QMediaFormat.FileFormat.Wave)
            media_format.setAudioCodec(QMediaFormat.AudioCodec.Wave)
            self._recorder.setMediaFormat(media_format)
            self._recorder.setQuality(QMediaRecorder.Quality.HighQuality)
            self._recorder.recorderStateChanged.connect(self._on_state)
            self._recorder.errorOccurred.connect(self._on_error)
        else:
            self._input.setDevice(inputs[0])
        self._target = self._folder / time.strftime("recording-%Y%m%d-%H%M%S.wav")
        self._recorder.setOutputLocation(QUrl.fromLocalFile(str(self._target)))
        self._recorder.record()
        self.recordingChanged.emit(True)
        return True

    def stop(self) -> None:
        """Finish the file; `recorded` follows once the recorder has written it."""
        if self._recorder is not None and self._target is not None:
            self._recorder.stop()

    def _on_state(self, state: Any) -> None:
        from PySide6.QtMultimedia import QMediaRecorder

        if state != QMediaRecorder.RecorderState.StoppedState or self._target is None:
            return
        written = self._recorder.actualLocation().toLocalFile() or str(self._target)
        self._finish(written)

    def _finish(self, written: str) -> None:
        """The recorder stopped: hand over the file, or say why there is none."""
        self._target = None
        self.recordingChanged.emit(False)
        path = Path(written)
        if path.is_file() and path.stat().st_size > 0:
            self.recorded.emit(str(path))
        else:
            self.failed.emit("Nothing was recorded.")

    def _on_error(self, _error: Any, message: str) -> None:
        was_recording = self._target is not None
        self._target = None
        if was_recording:
            self.recordingChanged.emit(False)
        self.failed.emit(f"Recording failed: {message or 'the microphone could not be used'}")
