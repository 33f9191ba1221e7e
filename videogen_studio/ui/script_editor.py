"""The script editor: what the presenter says, with which voice, and how the clip is rendered.

A pure view: it never talks to the network. It renders the voices it is given (`set_voices`), the performer
the gallery chose (`set_performer`), and turns the user's input into a `TtsRequest` (voice preview) or a
`RenderSpec` (render) emitted as signals. The rules (validation, limits, estimates) and the request builder
live in `pipeline.script_rules` / `pipeline.requests`, shared with the CLI. The draft (script and options) is
saved through an injected load/save pair so nothing typed is lost when the app closes.

`ScriptEditor(parent=None, *, load=None, save=None, max_chars=MAX_SCRIPT_CHARS, output_dir="",
default_watermark=AUTO, default_temporary=False)`

Signals:
    previewRequested(TtsRequest): "Preview voice" (first sentences, temporary output).
    renderRequested(RenderSpec): Render / Ctrl+Enter; `audio_path` set when the user brings their own audio.
    voiceSampleRequested(TtsVoice): a sample button in the voice browser (when no sampler is injected).
    presentersForVoiceRequested(str): "Presenters that fit this voice" (when no finder is injected).
Slots / methods for the shell (H6):
    set_voices(voices)
    set_performer(performer | None, name=""): a catalog `Performer`; picks a fitting default voice unless
        the user chose one. Older: set_presenter(id, name, thumbnail_url, *, gender="", form="presenter").
    set_output_dir(path), set_busy_preview(bool), set_script(text), select_voice(id)
    set_watermark_none_allowed(bool, why=""), set_account_features(AccountFeatures | None)
    set_voice_sampler(async voice -> Path), e.g. session.voice_preview.sample
    set_voice_finder(async voice_id -> list[Performer]), e.g. catalog.performers_for_voice
    audio_path() / set_audio_path(path): "Your own voice" (see `ui.editor.own_voice`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Awaitable, Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QLocale, QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtGui import (
    QFont,
    QHideEvent,
    QStandardItem,
    QStandardItemModel,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from videogen_studio.api.models import TtsRequest, TtsVoice
from videogen_studio.pipeline import script_rules
from videogen_studio.pipeline.catalog import Catalog
from videogen_studio.pipeline.jobs import RenderSpec
from videogen_studio.pipeline.requests import build_tts_request
from videogen_studio.pipeline.script_rules import (
    MAX_SCRIPT_CHARS,
    MAX_SPEED,
    MIN_SPEED,
    ScriptProblemKind,
    count_words,
    estimate_seconds,
)
from videogen_studio.ui.editor.own_voice import OwnVoicePicker
from videogen_studio.ui.widgets import watermark as wm
from videogen_studio.ui.widgets.colors import error_color
from videogen_studio.ui.widgets.watermark import watermark_combo

__all__ = ["DRAFT_KEY", "ScriptEditor", "language_name", "voice_label"]

#: Key under which the draft is stored (one JSON string, so any QSettings backend round-trips it unchanged).
DRAFT_KEY = "script_editor/draft"
DRAFT_VERSION = 1

VOICE_ID_ROLE = Qt.ItemDataRole.UserRole + 1
LANGUAGE_ROLE = Qt.ItemDataRole.UserRole + 2

#: Why "No watermark" is greyed out, in the words the user sees in the list (issue 9, defect 7).
NO_WATERMARK_REFUSED = (
    f"“{wm.label(wm.NONE)}” needs the Production API add-on, which this account does not have. "
    f"“{wm.label(wm.AUTO)}” adds the watermark only where needed."
)

#: Languages offered as a pronunciation hint even before voices are loaded (ISO-639-1).
COMMON_SPEECH_LANGUAGES = (
    "ar", "cs", "da", "de", "el", "en", "es", "fi", "fr", "he", "hi", "hu", "id", "it", "ja", "ko",
    "ms", "nl", "no", "pl", "pt", "ro", "ru", "sv", "th", "tr", "uk", "vi", "zh",
)  # fmt: skip

DraftLoad = Callable[[str], object]
DraftSave = Callable[[str, object], None]


def language_name(code: str) -> str:
    """English name of an ISO-639-1 code ("es" -> "Spanish"); the code itself when Qt does not know it."""
    locale = QLocale(code)
    if locale.language() in (QLocale.Language.C, QLocale.Language.AnyLanguage) or not code:
        return code.upper() or "Other"
    return QLocale.languageToString(locale.language())


def voice_label(voice: TtsVoice) -> str:
    """ "Matilda — American, female" (plus markers for multilingual and deprecated voices)."""
    details = [voice.accent.strip().capitalize()] if voice.accent and voice.accent.strip() else []
    details.append(voice.display_gender.lower())
    text = f"{voice.display_name} — {', '.join(details)}"
    if voice.supports_all_languages:
        text += " · any language"
    if voice.is_deprecated:
        text += " (deprecated)"
    return text


def format_estimate(seconds: float) -> str:
    total = max(1, math.ceil(seconds)) if seconds > 0 else 0
    if total < 60:
        return f"~{total} s"
    minutes, secs = divmod(total, 60)
    return f"~{minutes} min {secs:02d} s"


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


class ScriptEditor(QWidget):
    """Script text, counters, voice picker, pronunciation and output options; emits preview/render requests.

    Constructor:
        parent: the usual Qt parent.
        load/save: draft storage, e.g. ``load=qsettings.value, save=qsettings.setValue``; ``load(key)``
            returns None when nothing is stored. Without them the draft is not persisted.
        max_chars: longest script accepted for a render.
        output_dir: copied into every RenderSpec (see also `set_output_dir`).
        default_watermark / default_temporary: initial output options when no draft exists.
    """

    previewRequested = Signal(object)  # TtsRequest
    renderRequested = Signal(object)  # RenderSpec
    voiceSampleRequested = Signal(object)  # TtsVoice (only when no sampler is injected)
    presentersForVoiceRequested = Signal(str)  # voice id (only when no finder is injected)

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        load: DraftLoad | None = None,
        save: DraftSave | None = None,
        max_chars: int = MAX_SCRIPT_CHARS,
        output_dir: str = "",
        default_watermark: str = wm.AUTO,
        default_temporary: bool = False,
    ) -> None:
        super().__init__(parent)
        self._load = load
        self._save = save
        self._max_chars = max_chars
        self._output_dir = output_dir
        self._voices: list[TtsVoice] = []
        self._voice_by_id: dict[str, TtsVoice] = {}
        #: Voice remembered from the draft; applied once `set_voices` delivers it.
        self._wanted_voice_id: str | None = None
        self._presenter_id: str | None = None
        self._presenter_name = ""
        self._presenter_thumbnail_url = ""
        self._performer: Any = None
        self._avatar_form = "presenter"
        #: True once the user picked a voice themselves: a new presenter then keeps it (defect 15).
        self._voice_chosen = False
        self._busy_preview = False
        self._restoring = False
        self._sampler: Callable[[TtsVoice], Awaitable[Path]] | None = None
        self._finder: Callable[[str], Awaitable[list[Any]]] | None = None
        self._voice_browser: Any = None
        self._features_unsubscribe: Callable[[], None] | None = None

        self._build_ui()
        self._set_watermark(default_watermark)
        self.temporary_check.setChecked(default_temporary)

        # Save shortly after the last change rather than on every keystroke.
        self._save_timer = QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.setInterval(400)
        self._save_timer.timeout.connect(self.save_draft)

        self._restore_draft()
        self._connect()
        self._refresh()

    # ------------------------------------------------------------------ UI construction
    def _build_ui(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(8, 8, 8, 8)
        outer.setSpacing(8)
        # Script on top, options below in a scroll area, Render fixed at the bottom: a long script's counter
        # or a short window can no longer push the options onto each other (issue 9, defect 11).
        top = QWidget()
        root = QVBoxLayout(top)
        root.setContentsMargins(0, 0, 0, 0)
        root.setSpacing(8)
        options = QWidget()
        options_layout = QVBoxLayout(options)
        options_layout.setContentsMargins(0, 0, 4, 0)
        options_layout.setSpacing(8)

        self.presenter_label = QLabel()
        self.presenter_label.setAccessibleName("Chosen presenter")
        self.presenter_label.setTextFormat(Qt.TextFormat.PlainText)
        font = self.presenter_label.font()
        font.setBold(True)
        self.presenter_label.setFont(font)
        root.addWidget(self.presenter_label)

        self.script_edit = QPlainTextEdit()
        self.script_edit.setAccessibleName("Script")
        self.script_edit.setAccessibleDescription("The text the presenter will speak")
        self.script_edit.setPlaceholderText(
            "Type what the presenter should say, as you would say it aloud.\n\n"
            "Punctuation sets the pauses: a comma is a short breath, a full stop a longer one. "
            "Spell out unusual names, or add them under Pronunciation below.\n\n"
            f"Up to {self._max_chars:,} characters per video."
        )
        self.script_edit.setTabChangesFocus(True)
        self.script_edit.setMinimumHeight(90)
        root.addWidget(self.script_edit, 1)

        self.counter_label = QLabel()
        self.counter_label.setAccessibleName("Script length")
        self.counter_label.setWordWrap(True)
        root.addWidget(self.counter_label)

        # -- your own voice
        self.own_voice = OwnVoicePicker()
        root.addWidget(self.own_voice)

        # -- voice
        voice_box = QGroupBox("Voice")
        voice_form = QFormLayout(voice_box)
        voice_form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)

        self.language_combo = QComboBox()
        self.language_combo.setAccessibleName("Voice language filter")
        self.language_combo.setToolTip("Show only voices that speak this language")
        self.language_combo.addItem("All languages", "")
        self.show_deprecated_check = QCheckBox("Show deprecated")
        self.show_deprecated_check.setAccessibleName("Show deprecated voices")
        self.show_deprecated_check.setToolTip("Deprecated voices still work but may be removed by VideoGen")
        # One control per row: the options must fit a narrow editor (1024×640) without clipping.
        self.language_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.language_combo.setMinimumContentsLength(10)
        voice_form.addRow("&Language:", self.language_combo)
        voice_form.addRow("", self.show_deprecated_check)
        _buddy(voice_form, self.language_combo)

        self.voice_combo = QComboBox()
        self.voice_combo.setAccessibleName("Voice")
        self.voice_combo.setModel(QStandardItemModel(self.voice_combo))
        self.voice_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.voice_combo.setMinimumContentsLength(10)
        self.browse_voices_button = QPushButton("Browse…")
        self.browse_voices_button.setAccessibleName("Browse voices")
        self.browse_voices_button.setToolTip("Listen to samples, filter by language, gender and accent")
        voice_row = QHBoxLayout()
        voice_row.addWidget(self.voice_combo, 1)
        voice_row.addWidget(self.browse_voices_button)
        voice_form.addRow("&Voice:", voice_row)
        _buddy(voice_form, self.voice_combo)

        self.speech_language_combo = QComboBox()
        self.speech_language_combo.setAccessibleName("Speech language hint")
        self.speech_language_combo.setToolTip(
            "Tells the speech engine which language the script is in. Auto detects it from the text."
        )
        self._fill_speech_languages(())
        self.speed_spin = QDoubleSpinBox()
        self.speed_spin.setAccessibleName("Voice speed")
        self.speed_spin.setRange(MIN_SPEED, MAX_SPEED)
        self.speed_spin.setSingleStep(0.05)
        self.speed_spin.setDecimals(2)
        self.speed_spin.setValue(1.0)
        self.speed_spin.setSuffix(" ×")
        self.speed_spin.setToolTip("Speaking rate: 1.00 × is the voice's natural pace")
        self.speech_language_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.speech_language_combo.setMinimumContentsLength(10)
        voice_form.addRow("Speech l&anguage:", self.speech_language_combo)
        _buddy(voice_form, self.speech_language_combo)
        speed_row = QHBoxLayout()
        speed_row.addWidget(self.speed_spin)
        speed_row.addStretch(1)
        voice_form.addRow("&Speed:", speed_row)
        _buddy(voice_form, self.speed_spin)
        self.voice_box = voice_box
        options_layout.addWidget(voice_box)

        # -- pronunciation
        pron_box = QGroupBox("Pronunciation")
        pron_layout = QVBoxLayout(pron_box)
        table_row = QHBoxLayout()
        self.replacements_table = QTableWidget(0, 2)
        self.replacements_table.setAccessibleName("Pronunciation replacements")
        self.replacements_table.setHorizontalHeaderLabels(["Original", "Replacement"])
        self.replacements_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.replacements_table.verticalHeader().setVisible(False)
        self.replacements_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.replacements_table.setToolTip(
            "Words to say differently, e.g. Original “GIF”, Replacement “jiff”. Both sides are needed."
        )
        self.replacements_table.setMinimumHeight(84)
        self.replacements_table.setMaximumHeight(120)
        table_row.addWidget(self.replacements_table, 1)
        buttons = QVBoxLayout()
        self.add_replacement_button = QPushButton("Add")
        self.add_replacement_button.setAccessibleName("Add pronunciation replacement")
        self.add_replacement_button.setToolTip("Add a row: the word as written and how to say it")
        self.remove_replacement_button = QPushButton("Remove")
        self.remove_replacement_button.setAccessibleName("Remove pronunciation replacement")
        self.remove_replacement_button.setToolTip("Remove the selected rows")
        buttons.addWidget(self.add_replacement_button)
        buttons.addWidget(self.remove_replacement_button)
        buttons.addStretch(1)
        table_row.addLayout(buttons)
        pron_layout.addLayout(table_row)
        self.replacements_hint = QLabel()
        self.replacements_hint.setAccessibleName("Pronunciation replacements problem")
        self.replacements_hint.setWordWrap(True)
        self.replacements_hint.hide()
        pron_layout.addWidget(self.replacements_hint)
        self.expand_check = QCheckBox("Expand numbers and symbols")
        self.expand_check.setAccessibleName("Expand numbers and symbols")
        self.expand_check.setToolTip(
            "Say numbers, symbols and acronyms as words (for example “$5” as “five dollars”)"
        )
        pron_layout.addWidget(self.expand_check)
        self.pronunciation_box = pron_box
        options_layout.addWidget(pron_box)

        # -- output
        out_box = QGroupBox("Output")
        out_form = QFormLayout(out_box)
        self.watermark_combo = watermark_combo("Watermark")
        self.temporary_check = QCheckBox("Temporary output (kept 24 h)")
        self.temporary_check.setAccessibleName("Temporary output")
        self.temporary_check.setToolTip(
            "VideoGen keeps temporary files for at least 24 hours and may archive them after; they are not "
            "searchable in your library. Your downloaded copy is not affected."
        )
        out_form.addRow("&Watermark:", self.watermark_combo)
        out_form.addRow("", self.temporary_check)
        _buddy(out_form, self.watermark_combo)
        self.watermark_hint = QLabel()
        self.watermark_hint.setAccessibleName("Why a watermark option is unavailable")
        self.watermark_hint.setWordWrap(True)
        self.watermark_hint.setStyleSheet("color: palette(placeholder-text);")
        self.watermark_hint.hide()
        out_form.addRow(self.watermark_hint)
        options_layout.addWidget(out_box)
        options_layout.addStretch(1)

        self.options_scroll = QScrollArea()
        self.options_scroll.setAccessibleName("Voice and output options")
        self.options_scroll.setWidget(options)
        self.options_scroll.setWidgetResizable(True)
        self.options_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.options_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.options_scroll.setMinimumHeight(80)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(top)
        self.splitter.addWidget(self.options_scroll)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 1)
        outer.addWidget(self.splitter, 1)

        # -- actions
        actions = QHBoxLayout()
        self.validation_label = QLabel()
        self.validation_label.setAccessibleName("Why Render is unavailable")
        self.validation_label.setWordWrap(True)
        self.validation_label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        actions.addWidget(self.validation_label, 1)
        self.preview_button = QPushButton("Preview voice")
        self.preview_button.setAccessibleName("Preview voice")
        self.render_button = QPushButton("Render")
        self.render_button.setAccessibleName("Render video")
        self.render_button.setDefault(True)
        render_font = QFont(self.render_button.font())
        render_font.setBold(True)
        self.render_button.setFont(render_font)
        actions.addWidget(self.preview_button)
        actions.addWidget(self.render_button)
        outer.addLayout(actions)

    def _connect(self) -> None:
        self.script_edit.textChanged.connect(self._on_changed)
        self.language_combo.currentIndexChanged.connect(self._on_language_filter_changed)
        self.show_deprecated_check.toggled.connect(self._on_show_deprecated)
        self.voice_combo.currentIndexChanged.connect(self._on_changed)
        self.voice_combo.activated.connect(self._on_voice_picked_by_user)  # user picks only, not code
        self.browse_voices_button.clicked.connect(self.open_voice_browser)
        self.own_voice.audioChanged.connect(self._on_changed)
        self.speech_language_combo.currentIndexChanged.connect(self._on_changed)
        self.speed_spin.valueChanged.connect(self._on_changed)
        self.replacements_table.itemChanged.connect(self._on_changed)
        self.add_replacement_button.clicked.connect(self.add_replacement_row)
        self.remove_replacement_button.clicked.connect(self._remove_selected_rows)
        self.replacements_table.itemSelectionChanged.connect(self._refresh)
        self.expand_check.toggled.connect(self._on_changed)
        self.watermark_combo.currentIndexChanged.connect(self._on_changed)
        self.temporary_check.toggled.connect(self._on_changed)
        self.preview_button.clicked.connect(self.request_preview)
        self.render_button.clicked.connect(self.request_render)

    # ------------------------------------------------------------------ public API
    def set_voices(self, voices: Sequence[TtsVoice]) -> None:
        """Replace the voice list. Voices that cannot be used for direct TTS are never offered."""
        current = self.current_voice_id() or self._wanted_voice_id
        self._voices = list(voices)
        self._voice_by_id = {v.voice_id: v for v in self._voices}
        self._fill_speech_languages(v.language for v in self._voices)
        self._rebuild_languages()
        self._rebuild_voices(prefer=current)
        if self._voices:
            self._wanted_voice_id = None  # the draft's voice was applied, or is gone for good
        if self._performer is not None and not self._voice_chosen:
            self._apply_default_voice()
        if self._voice_browser is not None:
            self._voice_browser.set_voices(self._voices)
        self._refresh()

    def set_performer(self, performer: Any, name: str = "") -> None:
        """The performer to render (a catalog `Performer`, or anything with id/name/gender), or None.

        Unless the user picked a voice themselves, the voice follows the performer: a fitting default
        (`Catalog.default_voice_for`), so a female presenter does not keep "Jack — American, male".
        """
        if performer is None:
            self.set_presenter(None)
            return
        pid = getattr(performer, "performer_id", None) or getattr(performer, "avatar_presenter_id", "")
        self.set_presenter(
            str(pid),
            name or str(getattr(performer, "name", "") or ""),
            str(getattr(performer, "thumbnail_url", "") or ""),
            gender=str(getattr(performer, "gender", None) or getattr(performer, "displayable_gender", "")),
            form=str(getattr(performer, "form", "") or "presenter"),
            performer=performer,
        )

    def set_presenter(
        self,
        presenter_id: str | None,
        name: str = "",
        thumbnail_url: str = "",
        *,
        gender: str = "",
        form: str = "presenter",
        performer: Any = None,
    ) -> None:
        """Older form of `set_performer`; `gender` lets the editor pick a fitting default voice."""
        self._presenter_id = presenter_id or None
        self._presenter_name = name if presenter_id else ""
        self._presenter_thumbnail_url = thumbnail_url if presenter_id else ""
        self._avatar_form = form if presenter_id else "presenter"
        if not presenter_id:
            self._performer = None
        elif performer is not None:
            self._performer = performer
        elif gender:
            self._performer = _PerformerHint(gender)
        else:
            self._performer = None
        if self._performer is not None and not self._voice_chosen:
            self._apply_default_voice()
        self._refresh()

    def default_voice(self) -> TtsVoice | None:
        """The voice that fits the chosen performer (None without voices)."""
        offered = [v for v in self._offerable()] or self._voices
        return Catalog.default_voice_for(self._performer, offered, language=self.language_filter())

    def voice_chosen_by_user(self) -> bool:
        return self._voice_chosen

    def _apply_default_voice(self) -> None:
        voice = self.default_voice()
        if voice is not None and voice.voice_id != self.current_voice_id():
            self.select_voice(voice.voice_id)

    def _on_voice_picked_by_user(self, *_: object) -> None:
        self._voice_chosen = True

    def set_watermark_none_allowed(self, allowed: bool, why: str = "") -> None:
        """Offer "No watermark" only to accounts that can use it (defect 7); otherwise grey it out and say why
        in the labels the user sees. A chosen "No watermark" falls back to "Automatic"."""
        reason = why or NO_WATERMARK_REFUSED
        wm.set_mode_allowed(self.watermark_combo, wm.NONE, allowed, reason)
        self.watermark_hint.setText("" if allowed else reason)
        self.watermark_hint.setVisible(not allowed)

    def watermark_none_allowed(self) -> bool:
        index = self.watermark_combo.findData(wm.NONE)
        item = self.watermark_combo.model().item(index) if index >= 0 else None  # type: ignore[attr-defined]
        return bool(item is not None and item.isEnabled())

    def set_account_features(self, features: Any) -> None:
        """Follow `pipeline.account_features.AccountFeatures` (None: offer everything)."""
        if self._features_unsubscribe is not None:
            self._features_unsubscribe()
            self._features_unsubscribe = None
        if features is None:
            self.set_watermark_none_allowed(True)
            return
        unsubscribe = features.subscribe(self._on_features)
        self._features_unsubscribe = unsubscribe
        self.destroyed.connect(unsubscribe)  # no calls into a deleted editor
        self._on_features(features)

    def _on_features(self, features: Any) -> None:
        self.set_watermark_none_allowed(bool(features.allows_watermark(wm.NONE)))

    def audio_path(self) -> str:
        """The user's own recording, or "" for text-to-speech."""
        return self.own_voice.audio_path()

    def set_audio_path(self, path: str) -> bool:
        return self.own_voice.set_audio_path(path)

    # -- voice browser (ui/voices) -----------------------------------------------------------------------

    def set_voice_sampler(self, sampler: Callable[[TtsVoice], Awaitable[Path]] | None) -> None:
        """E.g. `session.voice_preview.sample`: the browser's sample buttons play what it returns."""
        self._sampler = sampler
        if self._voice_browser is not None:
            self._voice_browser.set_sampler(sampler)

    def set_voice_finder(self, finder: Callable[[str], Awaitable[list[Any]]] | None) -> None:
        """E.g. `catalog.performers_for_voice`: feeds "Presenters that fit this voice"."""
        self._finder = finder
        if self._voice_browser is not None:
            self._voice_browser.set_finder(finder)

    def voice_browser(self) -> Any:
        """The voice browser window, created on first use."""
        if self._voice_browser is None:
            from videogen_studio.ui.voices.browser import VoiceBrowser  # first use only: keeps start-up lean

            browser = VoiceBrowser(self)
            browser.setWindowFlag(Qt.WindowType.Window, True)
            browser.set_voices(self._voices)
            browser.set_sampler(self._sampler)
            browser.set_finder(self._finder)
            browser.voiceChosen.connect(self._on_browser_voice_chosen)
            browser.sampleRequested.connect(self.voiceSampleRequested)
            browser.presentersForVoiceRequested.connect(self.presentersForVoiceRequested)
            self._voice_browser = browser
        return self._voice_browser

    def open_voice_browser(self) -> None:
        browser = self.voice_browser()
        browser.set_performer(self._performer)
        browser.set_current_voice(self.current_voice_id())
        browser.show()
        browser.raise_()
        browser.activateWindow()

    def _on_browser_voice_chosen(self, voice_id: str) -> None:
        if self.select_voice(voice_id):
            self._voice_chosen = True

    def set_output_dir(self, path: str) -> None:
        self._output_dir = path

    def set_busy_preview(self, busy: bool) -> None:
        self._busy_preview = busy
        self.preview_button.setText("Previewing…" if busy else "Preview voice")
        self._refresh()

    def script(self) -> str:
        """The script as it will be sent: surrounding whitespace removed."""
        return self.script_edit.toPlainText().strip()

    def set_script(self, text: str) -> None:
        self.script_edit.setPlainText(text)

    def current_voice_id(self) -> str | None:
        value = self.voice_combo.currentData(VOICE_ID_ROLE)
        return value if isinstance(value, str) else None

    def select_voice(self, voice_id: str) -> bool:
        """Select a voice by id (switching the language filter to All if needed); False if not offered."""
        index = self.voice_combo.findData(voice_id, VOICE_ID_ROLE)
        if index < 0 and voice_id in self.offered_voice_ids(all_languages=True):
            self.language_combo.setCurrentIndex(0)
            index = self.voice_combo.findData(voice_id, VOICE_ID_ROLE)
        if index < 0:
            return False
        self.voice_combo.setCurrentIndex(index)
        return True

    def offered_voice_ids(self, *, all_languages: bool = False) -> list[str]:
        """Voice ids currently in the voice combo (or, with all_languages, under any language filter)."""
        if all_languages:
            return [v.voice_id for v in self._offerable()]
        model = self.voice_combo.model()
        ids = (model.index(row, 0).data(VOICE_ID_ROLE) for row in range(model.rowCount()))
        return [i for i in ids if isinstance(i, str)]

    def language_filter(self) -> str | None:
        """ISO-639-1 code of the voice language filter, None for "All languages"."""
        value = self.language_combo.currentData()
        return value or None

    def set_language_filter(self, code: str | None) -> bool:
        index = self.language_combo.findData(code or "")
        if index < 0:
            return False
        self.language_combo.setCurrentIndex(index)
        return True

    def speech_language(self) -> str | None:
        return self.speech_language_combo.currentData() or None

    def set_speech_language(self, code: str | None) -> None:
        if code and self.speech_language_combo.findData(code) < 0:
            self.speech_language_combo.addItem(f"{language_name(code)} ({code})", code)
        self.speech_language_combo.setCurrentIndex(max(0, self.speech_language_combo.findData(code or "")))

    def replacements(self) -> tuple[tuple[str, str], ...]:
        """Complete rows only (both sides filled), trimmed."""
        return tuple((o, r) for o, r in self._replacement_rows() if o and r)

    def set_replacements(self, rows: Iterable[tuple[str, str]]) -> None:
        with QSignalBlocker(self.replacements_table):
            self.replacements_table.setRowCount(0)
            for original, replacement in rows:
                self._append_row(original, replacement)
        self._on_changed()

    def add_replacement_row(self) -> None:
        row = self._append_row("", "")
        self.replacements_table.setCurrentCell(row, 0)
        item = self.replacements_table.item(row, 0)
        if item is not None:
            self.replacements_table.editItem(item)
        self._on_changed()

    def ignored_replacement_rows(self) -> list[int]:
        """Rows with exactly one side filled in; they are left out of requests."""
        return [i for i, (o, r) in enumerate(self._replacement_rows()) if bool(o) != bool(r)]

    def watermark_mode(self) -> str:
        return str(self.watermark_combo.currentData())

    def validation_message(self) -> str | None:
        """Why Render is unavailable, or None when a render can be requested."""
        return self._script_problem() or self._other_problem()

    def build_tts_request(self) -> TtsRequest:
        """The voice preview request: the first ~300 characters with the current voice and options."""
        return build_tts_request(self.build_render_spec(), preview=True)

    def build_render_spec(self) -> RenderSpec:
        return RenderSpec(
            avatar_form=self._avatar_form,
            audio_path=self.own_voice.audio_path(),
            presenter_id=self._presenter_id or "",
            script=self.script(),
            voice_id=self.current_voice_id(),
            presenter_name=self._presenter_name,
            presenter_thumbnail_url=self._presenter_thumbnail_url,
            language_code=self.speech_language(),
            voice_speed=round(self.speed_spin.value(), 2),
            replacements=self.replacements(),
            auto_expand=self.expand_check.isChecked(),
            watermark_mode=self.watermark_mode(),
            temporary=self.temporary_check.isChecked(),
            output_dir=self._output_dir,
        )

    def apply_spec(self, spec: RenderSpec) -> None:
        """Library → Reuse script: script, voice and options of an earlier render back in the editor.

        The presenter is the gallery's to select (its selection calls `set_performer`); a voice named by the
        spec counts as the user's choice, so picking that presenter does not replace it with its default.
        """
        self.set_script(spec.script)
        self.set_speech_language(spec.language_code)
        if spec.voice_speed is not None:
            self.speed_spin.setValue(float(spec.voice_speed))
        self.set_replacements(spec.replacements)
        self.expand_check.setChecked(spec.auto_expand)
        self._set_watermark(str(spec.watermark_mode))
        self.temporary_check.setChecked(spec.temporary)
        if not self.own_voice.set_audio_path(spec.audio_path):  # the recording is gone: speech again
            self.own_voice.set_audio_path("")
        if spec.voice_id:
            if self.select_voice(spec.voice_id):
                self._voice_chosen = True
            else:  # voices not loaded yet (or not offered here): picked when they arrive
                self._wanted_voice_id = spec.voice_id
                self._voice_chosen = True
        self._on_changed()

    def request_preview(self) -> None:
        if self._preview_problem() is None:
            self.previewRequested.emit(self.build_tts_request())

    def request_render(self) -> None:
        if self.validation_message() is None:
            self.save_draft()
            self.renderRequested.emit(self.build_render_spec())

    def save_draft(self) -> None:
        """Write the draft now (normally it is written 0.4 s after the last change)."""
        self._save_timer.stop()
        if self._save is None:
            return
        draft = {
            "v": DRAFT_VERSION,
            "script": self.script_edit.toPlainText(),
            "voice_id": self.current_voice_id() or self._wanted_voice_id,
            "language_filter": self.language_filter(),
            "show_deprecated": self.show_deprecated_check.isChecked(),
            "speech_language": self.speech_language(),
            "speed": round(self.speed_spin.value(), 2),
            # Keep half-typed rows too: the draft preserves what was typed, requests ignore them.
            "replacements": [list(row) for row in self._replacement_rows() if any(row)],
            "auto_expand": self.expand_check.isChecked(),
            "watermark": self.watermark_mode(),
            "temporary": self.temporary_check.isChecked(),
            "voice_chosen": self._voice_chosen,
            "audio_path": self.own_voice.audio_path(),
        }
        self._save(DRAFT_KEY, json.dumps(draft, ensure_ascii=False))

    # ------------------------------------------------------------------ events
    def hideEvent(self, event: QHideEvent) -> None:
        # The window is closing or the dock is hidden: don't wait for the debounce timer.
        if self._save_timer.isActive():
            self.save_draft()
        super().hideEvent(event)

    # ------------------------------------------------------------------ internals
    def _on_changed(self, *_: object) -> None:
        if self._restoring:
            return
        self._refresh()
        if self._save is not None:
            self._save_timer.start()

    def _on_language_filter_changed(self, *_: object) -> None:
        self._rebuild_voices(prefer=self.current_voice_id() or self._wanted_voice_id)
        self._on_changed()

    def _on_show_deprecated(self, *_: object) -> None:
        current = self.current_voice_id() or self._wanted_voice_id
        self._rebuild_languages()
        self._rebuild_voices(prefer=current)
        self._on_changed()

    def _offerable(self) -> list[TtsVoice]:
        show_deprecated = self.show_deprecated_check.isChecked()
        return [
            v
            for v in self._voices
            if v.supports_direct_tool_execution and (show_deprecated or not v.is_deprecated)
        ]

    def _rebuild_languages(self) -> None:
        current = self.language_filter() or ""
        codes = sorted({v.language for v in self._offerable()}, key=language_name)
        with QSignalBlocker(self.language_combo):
            self.language_combo.clear()
            self.language_combo.addItem("All languages", "")
            for code in codes:
                self.language_combo.addItem(language_name(code), code)
            self.language_combo.setCurrentIndex(max(0, self.language_combo.findData(current)))

    def _rebuild_voices(self, prefer: str | None) -> None:
        language = self.language_filter()
        voices = self._offerable()
        model = self.voice_combo.model()
        assert isinstance(model, QStandardItemModel)
        with QSignalBlocker(self.voice_combo):
            model.clear()
            if language is None:
                # Grouped under a header per language; each voice appears once, under its own language.
                groups: dict[str, list[TtsVoice]] = {}
                for voice in voices:
                    groups.setdefault(voice.language, []).append(voice)
                for code in sorted(groups, key=language_name):
                    model.appendRow(_header_item(language_name(code)))
                    for voice in sorted(groups[code], key=lambda v: v.display_name.lower()):
                        model.appendRow(_voice_item(voice))
            else:
                matching = [v for v in voices if v.language == language or v.supports_all_languages]
                # Native speakers first, then voices that speak every language.
                matching.sort(key=lambda v: (v.language != language, v.display_name.lower()))
                for voice in matching:
                    model.appendRow(_voice_item(voice))
            index = self.voice_combo.findData(prefer, VOICE_ID_ROLE) if prefer else -1
            if index < 0:
                index = next(
                    (row for row in range(model.rowCount()) if model.item(row).data(VOICE_ID_ROLE)), -1
                )
            self.voice_combo.setCurrentIndex(index)
        if prefer and self.current_voice_id() == prefer:
            self._wanted_voice_id = None
        current = self._voice_by_id.get(self.current_voice_id() or "")
        self.voice_combo.setToolTip(current.description or "" if current else "")

    def _fill_speech_languages(self, extra: Iterable[str]) -> None:
        current = self.speech_language_combo.currentData() or ""
        codes = sorted(
            set(COMMON_SPEECH_LANGUAGES) | {c for c in extra if c and c != "und"}, key=language_name
        )
        with QSignalBlocker(self.speech_language_combo):
            self.speech_language_combo.clear()
            self.speech_language_combo.addItem("Auto", "")
            for code in codes:
                self.speech_language_combo.addItem(f"{language_name(code)} ({code})", code)
            self.speech_language_combo.setCurrentIndex(max(0, self.speech_language_combo.findData(current)))

    def _set_watermark(self, mode: str) -> None:
        index = self.watermark_combo.findData(str(mode))
        item = self.watermark_combo.model().item(index) if index >= 0 else None  # type: ignore[attr-defined]
        if item is not None and not item.isEnabled():  # e.g. a draft's "No watermark" this account lacks
            index = self.watermark_combo.findData(wm.AUTO)
        self.watermark_combo.setCurrentIndex(max(0, index))

    def _append_row(self, original: str, replacement: str) -> int:
        row = self.replacements_table.rowCount()
        self.replacements_table.insertRow(row)
        self.replacements_table.setItem(row, 0, QTableWidgetItem(original))
        self.replacements_table.setItem(row, 1, QTableWidgetItem(replacement))
        return row

    def _remove_selected_rows(self) -> None:
        rows = {index.row() for index in self.replacements_table.selectionModel().selectedRows()}
        if not rows and self.replacements_table.currentRow() >= 0:
            rows = {self.replacements_table.currentRow()}
        for row in sorted(rows, reverse=True):
            self.replacements_table.removeRow(row)
        self._on_changed()

    def _replacement_rows(self) -> list[tuple[str, str]]:
        rows = []
        for row in range(self.replacements_table.rowCount()):
            cells = [self.replacements_table.item(row, col) for col in (0, 1)]
            original, replacement = (c.text().strip() if c is not None else "" for c in cells)
            rows.append((original, replacement))
        return rows

    def _script_problem(self) -> str | None:
        if self.own_voice.audio_path():
            return None  # the recording is what will be said; the script is only a note
        problem = script_rules.validate_script(self.script_edit.toPlainText(), limit=self._max_chars)
        if problem is None:
            return None
        if problem.kind == ScriptProblemKind.EMPTY:
            return "Type a script for the presenter to say."
        if problem.kind == ScriptProblemKind.TOO_LONG:
            return (
                f"The script is too long: {problem.length:,} of {problem.limit:,} characters. "
                f"Remove {_plural(problem.excess, 'character')}."
            )
        return problem.message

    def _other_problem(self) -> str | None:
        if self.current_voice_id() is None and not self.own_voice.audio_path():
            return "Choose a voice." if self._voices else "No voices available yet."
        if not self._presenter_id:
            return "Choose a presenter in the gallery."
        return None

    def _preview_problem(self) -> str | None:
        if self.own_voice.audio_path():
            return "Your own recording is used: there is no synthetic voice to preview."
        if self._busy_preview:
            return "A preview is already being made."
        if not self.script():
            return "Type a script to preview."
        if self.current_voice_id() is None:
            return "Choose a voice to preview."
        return None

    def _refresh(self) -> None:
        text = self.script()
        speed = self.speed_spin.value()
        counts = (
            f"{_plural(len(text), 'character')} · {_plural(count_words(text), 'word')} · "
            f"{format_estimate(estimate_seconds(text, speed))}"
        )
        script_problem = self._script_problem()
        red = f"color: {error_color(self)};"
        self.counter_label.setText(f"{counts} — {script_problem}" if script_problem else counts)
        self.counter_label.setStyleSheet(red if script_problem else "")
        self.counter_label.setProperty("invalid", script_problem is not None)

        if self._presenter_id:
            who = "Actor" if self._avatar_form == "actor" else "Presenter"
            self.presenter_label.setText(f"{who}: {self._presenter_name or self._presenter_id}")
        else:
            self.presenter_label.setText("No presenter chosen — pick one in the gallery")

        ignored = self.ignored_replacement_rows()
        if ignored:
            rows = ", ".join(str(i + 1) for i in ignored)
            self.replacements_hint.setText(
                f"{'Row' if len(ignored) == 1 else 'Rows'} {rows} will be ignored: fill in both "
                "Original and Replacement."
            )
            self.replacements_hint.setStyleSheet(red)
        self.replacements_hint.setVisible(bool(ignored))
        self.remove_replacement_button.setEnabled(self.replacements_table.rowCount() > 0)

        problem = self.validation_message()
        self.render_button.setEnabled(problem is None)
        self.render_button.setToolTip(problem or "Render the video (Ctrl+Enter)")
        # The counter already shows script problems; next to the button go the others (presenter, voice).
        self.validation_label.setText(self._other_problem() or "")

        own_audio = bool(self.own_voice.audio_path())
        # With the user's own recording there is no synthetic voice to choose or preview.
        self.voice_box.setEnabled(not own_audio)
        self.pronunciation_box.setEnabled(not own_audio)
        self.voice_box.setToolTip("Your audio file is used instead of a synthetic voice" if own_audio else "")
        preview_problem = self._preview_problem()
        self.preview_button.setEnabled(preview_problem is None)
        self.preview_button.setToolTip(
            "Hear the first sentences with this voice" if preview_problem is None else preview_problem
        )

    def _restore_draft(self) -> None:
        if self._load is None:
            return
        try:
            raw = self._load(DRAFT_KEY)
            draft: Any = json.loads(raw) if isinstance(raw, str | bytes) else None
        except (ValueError, TypeError):
            draft = None  # a corrupt draft is not worth an error dialog; start clean
        if not isinstance(draft, dict):
            return
        self._restoring = True
        try:
            if isinstance(draft.get("script"), str):
                self.script_edit.setPlainText(draft["script"])
            self.show_deprecated_check.setChecked(bool(draft.get("show_deprecated", False)))
            if isinstance(draft.get("speech_language"), str):
                self.set_speech_language(draft["speech_language"])
            speed = draft.get("speed")
            if isinstance(speed, int | float) and not isinstance(speed, bool):
                self.speed_spin.setValue(float(speed))
            rows = draft.get("replacements")
            if isinstance(rows, list):
                for row in rows:
                    if isinstance(row, list) and len(row) == 2 and all(isinstance(c, str) for c in row):
                        self._append_row(row[0], row[1])
            self.expand_check.setChecked(bool(draft.get("auto_expand", False)))
            if isinstance(draft.get("watermark"), str):
                self._set_watermark(draft["watermark"])
            self.temporary_check.setChecked(bool(draft.get("temporary", self.temporary_check.isChecked())))
            if isinstance(draft.get("voice_id"), str):
                self._wanted_voice_id = draft["voice_id"]
            self._voice_chosen = bool(draft.get("voice_chosen", False))
            if isinstance(draft.get("audio_path"), str):
                self.own_voice.set_audio_path(draft["audio_path"])  # gone since: silently back to TTS
            if isinstance(draft.get("language_filter"), str):
                # Languages are known only after set_voices; remember the filter as a one-entry list.
                code = draft["language_filter"]
                self.language_combo.addItem(language_name(code), code)
                self.language_combo.setCurrentIndex(self.language_combo.count() - 1)
        finally:
            self._restoring = False


class _PerformerHint:
    """What `set_presenter(..., gender=...)` knows about a performer: enough to pick a fitting voice."""

    def __init__(self, gender: str) -> None:
        self.gender = gender
        self.voice_name = ""


def _buddy(form: QFormLayout, field: QWidget) -> None:
    """Make the form's label for `field` its buddy so the &-mnemonic focuses the field."""
    for row in range(form.rowCount()):
        label_item = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
        field_item = form.itemAt(row, QFormLayout.ItemRole.FieldRole)
        if label_item is None or field_item is None:
            continue
        label = label_item.widget()
        layout = field_item.layout()
        first = layout.itemAt(0) if layout is not None and layout.count() else None
        inner = field_item.widget() or (first.widget() if first is not None else None)
        if isinstance(label, QLabel) and inner is field:
            label.setBuddy(field)


def _header_item(text: str) -> QStandardItem:
    item = QStandardItem(text)
    item.setFlags(Qt.ItemFlag.NoItemFlags)  # a group title, not a choice
    font = item.font()
    font.setBold(True)
    item.setFont(font)
    item.setAccessibleText(f"{text} voices")
    return item


def _voice_item(voice: TtsVoice) -> QStandardItem:
    item = QStandardItem(voice_label(voice))
    item.setData(voice.voice_id, VOICE_ID_ROLE)
    item.setData(voice.language, LANGUAGE_ROLE)
    if voice.description:
        item.setToolTip(voice.description)
    item.setAccessibleText(voice_label(voice))
    return item
