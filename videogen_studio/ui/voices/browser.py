"""Browse voices: a sample button on every voice, filters, the voice that fits the performer, and the
performers that fit a voice.

`VoiceBrowser(parent=None)` — a widget (the script editor shows it as a window from "Browse…").
Signals:
    voiceChosen(str): "Use" on a row (voice id).
    sampleRequested(object): a sample button was pressed and no sampler is set (TtsVoice).
    presentersForVoiceRequested(str): "Presenters that fit this voice" with no finder set (voice id).
    performerChosen(object): a performer picked from the "fit this voice" list.
Methods / slots:
    set_voices(voices), set_performer(performer | None), set_current_voice(voice_id | None),
    set_sampler(async voice -> Path | None) — e.g. `VoicePreviewService.sample` (cached after the first play),
    set_finder(async voice_id -> list[Performer] | None) — e.g. `Catalog.performers_for_voice`,
    set_fitting_performers(voice_id, performers) — when the caller answers presentersForVoiceRequested,
    set_filters(language=None, gender=None, accent=None), shown_voice_ids() -> list[str].
Only voices that accept direct text-to-speech are listed; deprecated ones are marked.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import Q_ARG, Qt, QUrl, Signal
from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from videogen_studio.api.models import TtsVoice
from videogen_studio.pipeline.catalog import Catalog
from videogen_studio.ui.widgets.invoke import invoke_queued

log = logging.getLogger(__name__)

Sampler = Callable[[TtsVoice], Awaitable[Path]]
Finder = Callable[[str], Awaitable[list[Any]]]
VOICE_ROLE = Qt.ItemDataRole.UserRole + 1
GENDERS = (("All genders", ""), ("Female", "FEMALE"), ("Male", "MALE"), ("Neutral", "NEUTRAL"))


def _language_name(code: str) -> str:
    from videogen_studio.ui.script_editor import language_name  # one wording of language names

    return language_name(code)


def _accent(voice: TtsVoice) -> str:
    return (voice.accent or "").strip().capitalize()


class _VoiceRow(QWidget):
    """▶ sample · name, accent, gender, language · Use."""

    def __init__(self, voice: TtsVoice, suggested: bool) -> None:
        super().__init__()
        self.voice = voice
        self.sample_button = QToolButton()
        self.sample_button.setText("▶")
        self.sample_button.setAccessibleName(f"Play a sample of {voice.display_name}")
        self.sample_button.setToolTip("Play a sample (made once, then played from the cache)")
        parts = (_accent(voice), voice.display_gender.lower(), _language_name(voice.language))
        details = [d for d in parts if d]
        text = f"{voice.display_name} — {', '.join(details)}"
        if voice.supports_all_languages:
            text += " · any language"
        if voice.is_deprecated:
            text += " (deprecated)"
        self.label = QLabel(text)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setToolTip(voice.description or "")
        self.suggested_label = QLabel("★ Fits the presenter")
        self.suggested_label.setAccessibleName("Suggested voice")
        # Text colour, not the highlight colour: the row may itself be highlighted.
        self.suggested_label.setStyleSheet("font-weight: 600;")
        self.suggested_label.setVisible(suggested)
        self.use_button = QPushButton("Use")
        self.use_button.setAccessibleName(f"Use {voice.display_name}")
        row = QHBoxLayout(self)
        row.setContentsMargins(4, 2, 4, 2)
        row.addWidget(self.sample_button)
        row.addWidget(self.label, 1)
        row.addWidget(self.suggested_label)
        row.addWidget(self.use_button)

    def set_sample_state(self, state: str, tip: str = "") -> None:
        """ "idle", "loading", "playing" or "failed"."""
        self.sample_button.setText({"loading": "…", "playing": "■"}.get(state, "▶"))
        self.sample_button.setEnabled(state != "loading")
        self.sample_button.setToolTip(tip or "Play a sample (made once, then played from the cache)")


class VoiceBrowser(QWidget):
    voiceChosen = Signal(str)
    sampleRequested = Signal(object)
    presentersForVoiceRequested = Signal(str)
    performerChosen = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("VoiceBrowser")
        self.setWindowTitle("Voices")
        self.setAccessibleName("Voice browser")
        self.resize(560, 520)
        self._voices: list[TtsVoice] = []
        self._performer: Any = None
        self._current: str | None = None
        self._sampler: Sampler | None = None
        self._finder: Finder | None = None
        self._samples: dict[str, Path] = {}  # voice id → clip already made (played again without a request)
        self._rows: dict[str, _VoiceRow] = {}
        self._playing: str | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self.sample_calls = 0  # samplers actually awaited (tests and the lead's benches read it)

        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText("Search voices")
        self.search_edit.setAccessibleName("Search voices")
        self.search_edit.setClearButtonEnabled(True)
        self.language_combo = QComboBox()
        self.language_combo.setAccessibleName("Language filter")
        self.gender_combo = QComboBox()
        self.gender_combo.setAccessibleName("Gender filter")
        for label, value in GENDERS:
            self.gender_combo.addItem(label, value)
        self.accent_combo = QComboBox()
        self.accent_combo.setAccessibleName("Accent filter")
        filters = QHBoxLayout()
        filters.addWidget(self.search_edit, 2)
        filters.addWidget(self.language_combo, 1)
        filters.addWidget(self.gender_combo, 1)
        filters.addWidget(self.accent_combo, 1)

        self.list = QListWidget()
        self.list.setAccessibleName("Voices")
        self.list.setUniformItemSizes(True)
        self.count_label = QLabel()
        self.count_label.setAccessibleName("Voice count")
        self.count_label.setStyleSheet("color: palette(placeholder-text);")

        self.fit_button = QPushButton("Presenters that fit this voice")
        self.fit_button.setAccessibleName("Presenters that fit this voice")
        self.fit_button.setToolTip("Ask the service which presenters suit the selected voice best")
        self.fit_list = QListWidget()
        self.fit_list.setAccessibleName("Presenters that fit this voice")
        self.fit_list.setMaximumHeight(120)
        self.fit_list.hide()
        self.fit_status = QLabel()
        self.fit_status.setAccessibleName("Presenters that fit: status")
        self.fit_status.setStyleSheet("color: palette(placeholder-text);")

        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.count_label)
        fit_row = QHBoxLayout()
        fit_row.addWidget(self.fit_button)
        fit_row.addWidget(self.fit_status, 1)
        layout.addLayout(fit_row)
        layout.addWidget(self.fit_list)

        # Samples are heard: unlike the muted presenter clip, this player has an audio output.
        self.player = QMediaPlayer(self)
        self.audio = QAudioOutput(self)
        self.player.setAudioOutput(self.audio)
        self.player.playbackStateChanged.connect(self._on_playback_state)

        self.search_edit.textChanged.connect(self._refill)
        self.language_combo.currentIndexChanged.connect(self._refill)
        self.gender_combo.currentIndexChanged.connect(self._refill)
        self.accent_combo.currentIndexChanged.connect(self._refill)
        self.fit_button.clicked.connect(self.find_fitting_performers)
        self.fit_list.itemActivated.connect(self._on_fit_activated)
        self.list.currentItemChanged.connect(lambda *_: self._update_fit_button())

    # -- public ------------------------------------------------------------------------------------------

    def set_voices(self, voices: Sequence[TtsVoice]) -> None:
        self._voices = [v for v in voices if v.supports_direct_tool_execution]
        self._fill_filter(
            self.language_combo,
            "All languages",
            {v.language: _language_name(v.language) for v in self._voices},
        )
        self._fill_filter(
            self.accent_combo, "All accents", {_accent(v): _accent(v) for v in self._voices if _accent(v)}
        )
        self._refill()

    def set_performer(self, performer: Any) -> None:
        self._performer = performer
        self._refill()

    def set_current_voice(self, voice_id: str | None) -> None:
        self._current = voice_id
        for row in range(self.list.count()):
            item = self.list.item(row)
            if item.data(VOICE_ROLE) == voice_id:
                self.list.setCurrentItem(item)

    def set_sampler(self, sampler: Sampler | None) -> None:
        self._sampler = sampler

    def set_finder(self, finder: Finder | None) -> None:
        self._finder = finder

    def set_filters(
        self, language: str | None = None, gender: str | None = None, accent: str | None = None
    ) -> None:
        for combo, value in (
            (self.language_combo, language),
            (self.gender_combo, gender),
            (self.accent_combo, accent),
        ):
            combo.setCurrentIndex(max(0, combo.findData(value or "")))

    def shown_voice_ids(self) -> list[str]:
        return [str(self.list.item(r).data(VOICE_ROLE)) for r in range(self.list.count())]

    def suggested_voice(self) -> TtsVoice | None:
        if self._performer is None:
            return None
        return Catalog.default_voice_for(self._performer, self._voices)

    def row(self, voice_id: str) -> _VoiceRow | None:
        return self._rows.get(voice_id)

    def play_sample(self, voice_id: str) -> None:
        """Play (or stop) the sample of a voice: from memory, else made once through the sampler."""
        voice = next((v for v in self._voices if v.voice_id == voice_id), None)
        if voice is None:
            return
        if self._playing == voice_id:
            invoke_queued(self.player, "stop")
            return
        cached = self._samples.get(voice_id)
        if cached is not None and cached.is_file():
            self._play(voice_id, cached)
            return
        if self._sampler is None:
            self.sampleRequested.emit(voice)
            return
        self._set_state(voice_id, "loading")
        self._spawn(self._fetch_sample(voice))

    def play_file(self, voice_id: str, path: Path) -> None:
        """Answer to `sampleRequested` when the caller made the clip itself."""
        self._samples[voice_id] = Path(path)
        self._play(voice_id, Path(path))

    def find_fitting_performers(self) -> None:
        voice_id = self._selected_voice_id()
        if voice_id is None:
            return
        if self._finder is None:
            self.presentersForVoiceRequested.emit(voice_id)
            return
        self.fit_status.setText("Asking the service…")
        self._spawn(self._fetch_fitting(voice_id))

    def set_fitting_performers(self, voice_id: str, performers: Sequence[Any]) -> None:
        voice = next((v for v in self._voices if v.voice_id == voice_id), None)
        self.fit_list.clear()
        for performer in performers[:50]:
            name = str(getattr(performer, "label", "") or getattr(performer, "name", "") or "")
            item = QListWidgetItem(name or str(getattr(performer, "performer_id", "")))
            item.setData(VOICE_ROLE, performer)
            self.fit_list.addItem(item)
        who = voice.display_name if voice else voice_id
        self.fit_status.setText(f"Best fits for {who} first" if performers else f"No presenters for {who}")
        self.fit_list.setVisible(bool(performers))

    def fitting_performer_names(self) -> list[str]:
        return [self.fit_list.item(r).text() for r in range(self.fit_list.count())]

    # -- internals ---------------------------------------------------------------------------------------

    @staticmethod
    def _fill_filter(combo: QComboBox, everything: str, values: dict[str, str]) -> None:
        current = combo.currentData() or ""
        combo.blockSignals(True)
        combo.clear()
        combo.addItem(everything, "")
        for value, label in sorted(values.items(), key=lambda kv: kv[1].casefold()):
            combo.addItem(label, value)
        combo.setCurrentIndex(max(0, combo.findData(current)))
        combo.blockSignals(False)

    def _matches(self, voice: TtsVoice) -> bool:
        language = self.language_combo.currentData() or ""
        gender = self.gender_combo.currentData() or ""
        accent = self.accent_combo.currentData() or ""
        if language and voice.language != language and not voice.supports_all_languages:
            return False
        if gender and voice.display_gender.upper() != gender:
            return False
        if accent and _accent(voice) != accent:
            return False
        terms = self.search_edit.text().casefold().split()
        haystack = f"{voice.display_name} {voice.accent or ''} {voice.description or ''}".casefold()
        return all(t in haystack for t in terms)

    def _refill(self, *_: object) -> None:
        suggested = self.suggested_voice()
        shown = [v for v in self._voices if self._matches(v)]
        # The suggested voice first, then current voices before deprecated ones, by name.
        shown.sort(
            key=lambda v: (
                suggested is None or v.voice_id != suggested.voice_id,
                v.is_deprecated,
                v.display_name.casefold(),
                v.voice_id,
            )
        )
        self.list.clear()
        self._rows = {}
        for voice in shown:
            item = QListWidgetItem()
            item.setData(VOICE_ROLE, voice.voice_id)
            row = _VoiceRow(voice, suggested is not None and voice.voice_id == suggested.voice_id)
            row.sample_button.clicked.connect(lambda _=False, vid=voice.voice_id: self.play_sample(vid))
            row.use_button.clicked.connect(lambda _=False, vid=voice.voice_id: self.voiceChosen.emit(vid))
            item.setSizeHint(row.sizeHint())
            self.list.addItem(item)
            self.list.setItemWidget(item, row)
            self._rows[voice.voice_id] = row
            if voice.voice_id == self._current:
                self.list.setCurrentItem(item)
            if voice.voice_id == self._playing:
                row.set_sample_state("playing")
        self.count_label.setText(f"{len(shown)} of {len(self._voices)} voices")
        self._update_fit_button()

    def _selected_voice_id(self) -> str | None:
        item = self.list.currentItem()
        value = item.data(VOICE_ROLE) if item is not None else None
        return str(value) if value else None

    def _update_fit_button(self) -> None:
        self.fit_button.setEnabled(self._selected_voice_id() is not None)

    def _set_state(self, voice_id: str, state: str, tip: str = "") -> None:
        row = self._rows.get(voice_id)
        if row is not None:
            row.set_sample_state(state, tip)

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _fetch_sample(self, voice: TtsVoice) -> None:
        assert self._sampler is not None
        self.sample_calls += 1
        try:
            path = await self._sampler(voice)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # shown on the button; the caller's error wording is not ours to repeat
            log.warning("voice sample for %s failed: %s", voice.voice_id, exc)
            self._set_state(voice.voice_id, "failed", f"No sample: {getattr(exc, 'message', None) or exc}")
            return
        self._samples[voice.voice_id] = Path(path)
        self._play(voice.voice_id, Path(path))

    async def _fetch_fitting(self, voice_id: str) -> None:
        assert self._finder is not None
        try:
            performers = await self._finder(voice_id)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.fit_status.setText(f"Could not ask the service: {getattr(exc, 'message', None) or exc}")
            return
        self.set_fitting_performers(voice_id, performers)

    def _play(self, voice_id: str, path: Path) -> None:
        if self._playing and self._playing != voice_id:
            self._set_state(self._playing, "idle")
        self._playing = voice_id
        self._set_state(voice_id, "playing")
        # Queued, never direct: see invoke_queued (FFmpeg teardown deadlock).
        invoke_queued(self.player, "setSource", Q_ARG(QUrl, QUrl.fromLocalFile(str(path))))
        invoke_queued(self.player, "play")

    def _on_playback_state(self, state: QMediaPlayer.PlaybackState) -> None:
        if state == QMediaPlayer.PlaybackState.StoppedState and self._playing:
            self._set_state(self._playing, "idle")
            self._playing = None

    def _on_fit_activated(self, item: QListWidgetItem) -> None:
        performer = item.data(VOICE_ROLE)
        if performer is not None:
            self.performerChosen.emit(performer)

    def playing_voice(self) -> str | None:
        return self._playing

    def closeEvent(self, event: Any) -> None:
        invoke_queued(self.player, "stop")
        super().closeEvent(event)
