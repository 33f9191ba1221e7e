"""ScriptEditor: counters and limits, voice filtering, emitted requests, shortcuts and the saved draft."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from videogen_studio.api.models import PronunciationReplacement, TtsRequest, TtsVoice
from videogen_studio.pipeline.jobs import RenderSpec
from videogen_studio.pipeline.script_rules import PREVIEW_CHARS
from videogen_studio.ui.script_editor import DRAFT_KEY, ScriptEditor

MATILDA = TtsVoice("vg_voic_matilda", "en-US", "Matilda", "FEMALE", True, True, False, "american", "Warm")
OLIVER = TtsVoice("vg_voic_oliver", "en-GB", "Oliver", "MALE", True, False, False, "british")
LUCIA = TtsVoice("vg_voic_lucia", "es-ES", "Lucía", "FEMALE", True, False, False, None)
JONAS = TtsVoice("vg_voic_jonas", "de-DE", "Jonas", "MALE", True, False, False, None)
OLD_SAM = TtsVoice("vg_voic_oldsam", "en-US", "Sam", "NEUTRAL", True, False, True, "american")
WORKFLOW_ONLY = TtsVoice("vg_voic_flow", "fr-FR", "Élodie", "FEMALE", False, False, False, None)
WORKFLOW_ALL = TtsVoice("vg_voic_flowall", "en-US", "Flow", "FEMALE", False, True, False, None)
VOICES = [MATILDA, OLIVER, LUCIA, JONAS, OLD_SAM, WORKFLOW_ONLY, WORKFLOW_ALL]


class DictStore:
    """A QSettings-like pair of callables over a dict."""

    def __init__(self) -> None:
        self.data: dict[str, object] = {}

    def load(self, key: str) -> object:
        return self.data.get(key)

    def save(self, key: str, value: object) -> None:
        self.data[key] = value


def make_editor(qtbot: QtBot, store: DictStore | None = None, **kwargs: object) -> ScriptEditor:
    editor = ScriptEditor(
        load=store.load if store else None,
        save=store.save if store else None,
        **kwargs,  # type: ignore[arg-type]
    )
    qtbot.addWidget(editor)
    return editor


@pytest.fixture
def editor(qtbot: QtBot) -> ScriptEditor:
    ed = make_editor(qtbot, output_dir="/videos")
    ed.set_voices(VOICES)
    ed.set_presenter("vg_pres_ada", "Ada", "https://cdn.example/ada.jpg")
    return ed


# -- counters and limits -------------------------------------------------------------------------------


def test_counter_shows_characters_words_and_duration(editor: ScriptEditor) -> None:
    editor.set_script("  " + "a" * 120 + " bb cc  ")  # 126 characters once trimmed, 3 words
    assert editor.counter_label.text() == "126 characters · 3 words · ~9 s"
    assert editor.counter_label.property("invalid") is False

    editor.speed_spin.setValue(2.0)  # twice as fast, half the time
    assert editor.counter_label.text() == "126 characters · 3 words · ~5 s"

    editor.set_script("Hi")
    editor.speed_spin.setValue(1.0)
    assert editor.counter_label.text() == "2 characters · 1 word · ~1 s"


def test_long_script_estimate_reads_in_minutes(editor: ScriptEditor) -> None:
    editor.set_script("x" * 1400)  # 100 s at 14 chars/s
    assert editor.counter_label.text().endswith("~1 min 40 s")


@pytest.mark.parametrize("text", ["", "   \n\t  "], ids=["empty", "whitespace"])
def test_blank_script_disables_render(editor: ScriptEditor, text: str) -> None:
    editor.set_script(text)

    message = editor.validation_message()
    assert message == "Type a script for the presenter to say."
    assert not editor.render_button.isEnabled()
    assert editor.render_button.toolTip() == message
    assert editor.counter_label.property("invalid") is True
    assert message in editor.counter_label.text()
    assert "color" in editor.counter_label.styleSheet()  # shown in red
    assert not editor.preview_button.isEnabled()


def test_over_long_script_disables_render_with_how_much_to_cut(qtbot: QtBot) -> None:
    editor = make_editor(qtbot, max_chars=50)
    editor.set_voices(VOICES)
    editor.set_presenter("vg_pres_ada", "Ada", "")

    editor.set_script("x" * 50)
    assert editor.validation_message() is None
    assert editor.render_button.isEnabled()
    assert editor.counter_label.property("invalid") is False

    editor.set_script("x" * 62)
    message = editor.validation_message()
    assert message == "The script is too long: 62 of 50 characters. Remove 12 characters."
    assert not editor.render_button.isEnabled()
    assert editor.render_button.toolTip() == message
    assert editor.counter_label.property("invalid") is True
    # Still previewable: a preview only uses the start of the script.
    assert editor.preview_button.isEnabled()


def test_default_limit_is_5000_characters(editor: ScriptEditor) -> None:
    editor.set_script("y" * 5000)
    assert editor.render_button.isEnabled()
    editor.set_script("y" * 5001)
    assert not editor.render_button.isEnabled()
    assert "5,001 of 5,000" in (editor.validation_message() or "")


def test_render_needs_a_presenter_and_a_voice(qtbot: QtBot) -> None:
    editor = make_editor(qtbot)
    editor.set_script("Hello there.")

    assert editor.validation_message() == "No voices available yet."
    editor.set_voices(VOICES)
    assert editor.validation_message() == "Choose a presenter in the gallery."
    assert editor.validation_label.text() == "Choose a presenter in the gallery."
    assert editor.presenter_label.text() == "No presenter chosen — pick one in the gallery"
    assert not editor.render_button.isEnabled()

    editor.set_presenter("vg_pres_ada", "Ada", "")
    assert editor.validation_message() is None
    assert editor.render_button.isEnabled()
    assert editor.presenter_label.text() == "Presenter: Ada"

    editor.set_presenter(None, "", "")
    assert not editor.render_button.isEnabled()

    editor.set_presenter("vg_pres_ada", "Ada", "")
    editor.set_voices([])  # e.g. the account has no usable voices
    assert editor.current_voice_id() is None
    assert not editor.render_button.isEnabled()
    assert editor.render_button.toolTip() == "No voices available yet."


# -- voices --------------------------------------------------------------------------------------------


def test_only_direct_voices_are_offered_and_deprecated_are_hidden(editor: ScriptEditor) -> None:
    offered = editor.offered_voice_ids()
    assert set(offered) == {MATILDA.voice_id, OLIVER.voice_id, LUCIA.voice_id, JONAS.voice_id}
    assert editor.language_combo.itemText(0) == "All languages"
    languages = [editor.language_combo.itemText(i) for i in range(1, editor.language_combo.count())]
    assert languages == ["English", "German", "Spanish"]  # French only has a workflow-only voice

    editor.show_deprecated_check.setChecked(True)
    assert OLD_SAM.voice_id in editor.offered_voice_ids()
    row = editor.voice_combo.findData(OLD_SAM.voice_id, Qt.ItemDataRole.UserRole + 1)
    assert editor.voice_combo.itemText(row) == "Sam — American, neutral (deprecated)"

    editor.show_deprecated_check.setChecked(False)
    assert OLD_SAM.voice_id not in editor.offered_voice_ids()

    for language in [None, "en", "es", "de"]:
        for show in (False, True):
            editor.show_deprecated_check.setChecked(show)
            editor.set_language_filter(language)
            ids = editor.offered_voice_ids()
            assert WORKFLOW_ONLY.voice_id not in ids
            assert WORKFLOW_ALL.voice_id not in ids
    assert editor.set_language_filter("fr") is False


def test_language_filter_and_all_language_voices(editor: ScriptEditor) -> None:
    assert editor.set_language_filter("es")
    assert editor.offered_voice_ids() == [LUCIA.voice_id, MATILDA.voice_id]  # native first, then multilingual

    assert editor.set_language_filter("de")
    assert editor.offered_voice_ids() == [JONAS.voice_id, MATILDA.voice_id]

    assert editor.set_language_filter("en")
    assert editor.offered_voice_ids() == [MATILDA.voice_id, OLIVER.voice_id]
    row = editor.voice_combo.findData(MATILDA.voice_id, Qt.ItemDataRole.UserRole + 1)
    assert editor.voice_combo.itemText(row) == "Matilda — American, female · any language"

    # "All languages" lists each voice once, under a non-selectable header per language.
    assert editor.set_language_filter(None)
    assert sorted(editor.offered_voice_ids()) == sorted(
        [MATILDA.voice_id, OLIVER.voice_id, LUCIA.voice_id, JONAS.voice_id]
    )
    headers = [
        editor.voice_combo.itemText(i)
        for i in range(editor.voice_combo.count())
        if editor.voice_combo.itemData(i, Qt.ItemDataRole.UserRole + 1) is None
    ]
    assert headers == ["English", "German", "Spanish"]
    assert editor.current_voice_id() is not None


def test_selected_voice_survives_filter_changes_and_reloads(editor: ScriptEditor) -> None:
    assert editor.select_voice(OLIVER.voice_id)
    editor.set_language_filter("en")
    assert editor.current_voice_id() == OLIVER.voice_id
    editor.set_voices(list(reversed(VOICES)))  # a refresh from the server
    assert editor.current_voice_id() == OLIVER.voice_id
    editor.set_language_filter("es")  # Oliver does not speak Spanish: the first Spanish voice is picked
    assert editor.current_voice_id() == LUCIA.voice_id


# -- emitted requests ----------------------------------------------------------------------------------


def test_render_requested_carries_every_field(qtbot: QtBot, editor: ScriptEditor) -> None:
    editor.set_script("  Our GIF and SQL tutorial starts now.  ")
    editor.select_voice(OLIVER.voice_id)
    editor.set_speech_language("es")
    editor.speed_spin.setValue(1.25)
    editor.set_replacements([("GIF", "jiff"), ("SQL", ""), ("", "nothing"), ("VG", "video gen")])
    editor.expand_check.setChecked(True)
    editor.watermark_combo.setCurrentIndex(editor.watermark_combo.findData("NONE"))
    editor.temporary_check.setChecked(True)

    with qtbot.waitSignal(editor.renderRequested, timeout=5000) as blocker:
        qtbot.mouseClick(editor.render_button, Qt.MouseButton.LeftButton)

    spec = blocker.args[0]
    assert isinstance(spec, RenderSpec)
    assert spec == RenderSpec(
        presenter_id="vg_pres_ada",
        script="Our GIF and SQL tutorial starts now.",
        voice_id=OLIVER.voice_id,
        presenter_name="Ada",
        presenter_thumbnail_url="https://cdn.example/ada.jpg",
        language_code="es",
        voice_speed=1.25,
        replacements=(("GIF", "jiff"), ("VG", "video gen")),
        auto_expand=True,
        watermark_mode="NONE",
        temporary=True,
        output_dir="/videos",
    )


def test_half_filled_replacement_rows_are_ignored_with_a_visible_hint(editor: ScriptEditor) -> None:
    editor.show()
    editor.set_replacements([("GIF", "jiff")])
    assert not editor.replacements_hint.isVisible()

    editor.set_replacements([("GIF", "jiff"), ("SQL", ""), ("", "")])
    assert editor.ignored_replacement_rows() == [1]
    assert editor.replacements_hint.isVisible()
    assert editor.replacements_hint.text() == (
        "Row 2 will be ignored: fill in both Original and Replacement."
    )
    assert editor.replacements() == (("GIF", "jiff"),)

    editor.replacements_table.item(1, 1).setText("sequel")  # typing the missing side
    assert not editor.replacements_hint.isVisible()
    assert editor.replacements() == (("GIF", "jiff"), ("SQL", "sequel"))


def test_add_and_remove_replacement_rows(qtbot: QtBot, editor: ScriptEditor) -> None:
    assert not editor.remove_replacement_button.isEnabled()
    qtbot.mouseClick(editor.add_replacement_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(editor.add_replacement_button, Qt.MouseButton.LeftButton)
    assert editor.replacements_table.rowCount() == 2
    assert editor.remove_replacement_button.isEnabled()
    editor.replacements_table.selectRow(0)
    qtbot.mouseClick(editor.remove_replacement_button, Qt.MouseButton.LeftButton)
    assert editor.replacements_table.rowCount() == 1


def test_preview_uses_the_start_of_the_script_and_current_voice(qtbot: QtBot, editor: ScriptEditor) -> None:
    sentence = "This sentence is exactly forty chars ok. "
    editor.set_script(sentence * 20)  # 820 characters
    editor.select_voice(LUCIA.voice_id)
    editor.set_replacements([("ok", "okay")])
    editor.speed_spin.setValue(0.8)

    with qtbot.waitSignal(editor.previewRequested, timeout=5000) as blocker:
        qtbot.mouseClick(editor.preview_button, Qt.MouseButton.LeftButton)

    request = blocker.args[0]
    assert isinstance(request, TtsRequest)
    assert 0 < len(request.tts_text) <= PREVIEW_CHARS
    assert request.tts_text.endswith("ok.")  # cut at a sentence boundary, not mid-word
    assert (sentence * 20).startswith(request.tts_text)
    assert request.voice_id == LUCIA.voice_id
    assert request.voice_speed == 0.8
    assert request.pronunciation_replacements == (PronunciationReplacement("ok", "okay"),)
    assert request.speech_language_code is None  # "Auto"


def test_busy_preview_shows_progress_and_blocks_a_second_preview(qtbot: QtBot, editor: ScriptEditor) -> None:
    editor.set_script("Hello.")
    editor.set_busy_preview(True)
    assert editor.preview_button.text() == "Previewing…"
    assert not editor.preview_button.isEnabled()
    emitted: list[object] = []
    editor.previewRequested.connect(emitted.append)
    editor.request_preview()
    assert emitted == []

    editor.set_busy_preview(False)
    assert editor.preview_button.text() == "Preview voice"
    assert editor.preview_button.isEnabled()


# -- draft persistence ---------------------------------------------------------------------------------


def _fill(editor: ScriptEditor) -> None:
    editor.set_script("Draft line one.\nDraft line two.")
    editor.set_language_filter("en")
    editor.select_voice(OLIVER.voice_id)
    editor.set_speech_language("de")
    editor.speed_spin.setValue(1.5)
    editor.set_replacements([("GIF", "jiff"), ("SQL", "")])
    editor.expand_check.setChecked(True)
    editor.watermark_combo.setCurrentIndex(editor.watermark_combo.findData("VIDEO_GEN"))
    editor.temporary_check.setChecked(True)


def _assert_restored(editor: ScriptEditor) -> None:
    assert editor.script_edit.toPlainText() == "Draft line one.\nDraft line two."
    assert editor.language_filter() == "en"
    assert editor.current_voice_id() == OLIVER.voice_id
    assert editor.speech_language() == "de"
    assert editor.speed_spin.value() == pytest.approx(1.5)
    # The half-typed row is kept in the draft (nothing typed is lost) but still left out of requests.
    assert editor.replacements_table.rowCount() == 2
    assert editor.replacements() == (("GIF", "jiff"),)
    assert editor.expand_check.isChecked()
    assert editor.watermark_mode() == "VIDEO_GEN"
    assert editor.temporary_check.isChecked()


def test_draft_round_trip_through_injected_store(qtbot: QtBot) -> None:
    store = DictStore()
    first = make_editor(qtbot, store)
    first.set_voices(VOICES)
    _fill(first)
    # Saved on its own shortly after typing stops: no explicit save call needed.
    qtbot.waitUntil(lambda: DRAFT_KEY in store.data, timeout=5000)
    first.save_draft()
    first.close()

    second = make_editor(qtbot, store)  # next app start: voices arrive later from the network
    assert second.script_edit.toPlainText() == "Draft line one.\nDraft line two."
    second.set_voices(VOICES)
    _assert_restored(second)


def test_draft_round_trip_through_qsettings(qtbot: QtBot, tmp_path: Path) -> None:
    path = str(tmp_path / "editor.ini")
    settings = QSettings(path, QSettings.Format.IniFormat)
    first = ScriptEditor(load=settings.value, save=settings.setValue)
    qtbot.addWidget(first)
    first.set_voices(VOICES)
    _fill(first)
    first.save_draft()
    settings.sync()
    del settings

    reopened = QSettings(path, QSettings.Format.IniFormat)
    second = ScriptEditor(load=reopened.value, save=reopened.setValue)
    qtbot.addWidget(second)
    second.set_voices(VOICES)
    _assert_restored(second)


def test_hiding_the_editor_flushes_a_pending_draft(qtbot: QtBot) -> None:
    store = DictStore()
    editor = make_editor(qtbot, store)
    editor.show()
    editor.set_script("typed just before closing")
    editor.hide()  # closing the window hides it before the debounce timer fires
    assert "typed just before closing" in str(store.data[DRAFT_KEY])


def test_corrupt_draft_is_ignored(qtbot: QtBot) -> None:
    store = DictStore()
    store.data[DRAFT_KEY] = "{not json"
    editor = make_editor(qtbot, store)
    assert editor.script_edit.toPlainText() == ""
    assert editor.watermark_mode() == "AUTO"


def test_defaults_apply_without_a_draft(qtbot: QtBot) -> None:
    editor = make_editor(qtbot, DictStore(), default_watermark="VIDEO_GEN", default_temporary=True)
    assert editor.watermark_mode() == "VIDEO_GEN"
    assert editor.temporary_check.isChecked()
    assert editor.speed_spin.value() == 1.0
    assert (editor.speed_spin.minimum(), editor.speed_spin.maximum()) == (0.5, 2.0)
    assert editor.speed_spin.singleStep() == pytest.approx(0.05)


def test_watermark_choices_explain_themselves(editor: ScriptEditor) -> None:
    modes = [editor.watermark_combo.itemData(i) for i in range(editor.watermark_combo.count())]
    assert modes == ["AUTO", "VIDEO_GEN", "NONE"]
    none_tip = editor.watermark_combo.itemData(2, Qt.ItemDataRole.ToolTipRole)
    assert "Production API add-on" in none_tip
    editor.watermark_combo.setCurrentIndex(2)
    assert editor.watermark_combo.toolTip() == none_tip


def test_every_control_has_an_accessible_name(editor: ScriptEditor) -> None:
    from PySide6.QtWidgets import QAbstractButton, QAbstractSpinBox, QComboBox, QPlainTextEdit, QTableWidget

    controls = [
        w
        for w in editor.findChildren(QWidget)
        if isinstance(w, QAbstractButton | QComboBox | QAbstractSpinBox | QPlainTextEdit | QTableWidget)
        and not editor.replacements_table.isAncestorOf(w)  # the table's own corner button
    ]
    assert len(controls) >= 12
    unnamed = [type(w).__name__ for w in controls if not w.accessibleName()]
    assert unnamed == []
    assert editor.counter_label.accessibleName()
    assert editor.validation_label.accessibleName()
