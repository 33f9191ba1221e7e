"""An invisible audio player for voice previews, so a preview never replaces the clip on the Result page.

QtMultimedia is imported when the first preview plays, not at start-up.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Q_ARG, QObject, QUrl, Signal

from .invoke import invoke_queued


class AudioPreview(QObject):
    durationChanged = Signal(int)  # ms
    errorOccurred = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._player: Any = None
        self._output: Any = None

    def _ensure(self) -> Any:
        if self._player is None:
            from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer

            self._player = QMediaPlayer(self)
            self._output = QAudioOutput(self)
            self._player.setAudioOutput(self._output)
            self._player.durationChanged.connect(self._on_duration)
            self._player.errorOccurred.connect(self._on_error)
        return self._player

    def play(self, path: Path | str) -> None:
        player = self._ensure()
        # Queued, never direct: see invoke_queued for the FFmpeg-teardown deadlock this avoids.
        invoke_queued(player, "setSource", Q_ARG(QUrl, QUrl.fromLocalFile(str(path))))
        invoke_queued(player, "play")

    def stop(self) -> None:
        if self._player is not None:
            invoke_queued(self._player, "stop")
            invoke_queued(self._player, "setSource", Q_ARG(QUrl, QUrl()))

    def source(self) -> QUrl:
        return self._player.source() if self._player is not None else QUrl()

    def _on_duration(self, ms: int) -> None:
        self.durationChanged.emit(int(ms))

    def _on_error(self, _error: object, text: str = "") -> None:
        self.errorOccurred.emit(text or "The preview could not be played.")
