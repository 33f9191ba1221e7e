"""ScriptEditor fixes from issue 9: a long script at 1024×640 (defect 11), the voice follows the presenter
(defect 15), "No watermark" only where the account can use it (defect 7), rules from pipeline.script_rules,
and the voice browser behind "Browse…"."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from videogen_studio.api.models import TtsVoice
from videogen_studio.pipeline import script_rules
from videogen_studio.pipeline.account_features import AccountFeatures
from videogen_studio.pipeline.catalog import Performer
from videogen_studio.ui.script_editor import VOICE_ID_ROLE, ScriptEditor

JACK = TtsVoice("vg_voic_jack", "en-US", "Jack", "MALE", True, False, False, "american")
MATILDA = TtsVoice("vg_voic_matilda", "en-US", "Matilda", "FEMALE", True, True, False, "american", "Warm")
OLIVER = TtsVoice("vg_voic_oliver", "en-GB", "Oliver", "MALE", True, False, False, "british")
LUCIA = TtsVoice("vg_voic_lucia", "es-ES", "Lucía", "FEMALE", True, False, False, None)
VOICES = [JACK, MATILDA, OLIVER, LUCIA]

MAYA = Performer("vg_pres_maya", "presenter", "Maya", gender="FEMALE", thumbnail_url="https://cdn/maya.png")
ROSA = Performer("vg_pres_rosa", "presenter", "Rosa", gender="FEMALE")
HUGO = Performer("vg_pres_hugo", "presenter", "Hugo", gender="MALE")
ACTOR = Performer("ent_ava", "actor", "Ava Stone", description="Newsreader")


class DictStore:
    def __init__(self) -> None:
        self.data: dict[str, object] = {}

    def load(self, key: str) -> object:
        return self.data.get(key)

    def save(self, key: str, value: object) -> None:
        self.data[key] = value


def _editor(qtbot: QtBot, store: DictStore | None = None) -> ScriptEditor:
    editor = ScriptEditor(load=store.load if store else None, save=store.save if store else None)
    qtbot.addWidget(editor)
    editor.set_voices(VOICES)
    return editor


def _rect_in(widget: QWidget, ancestor: QWidget) -> QRect:
    return QRect(widget.mapTo(ancestor, QPoint(0, 0)), widget.size())


# -- defect 11: long script, small window --------------------------------------------------------------


@pytest.mark.parametrize("size", [(430, 540), (560, 660)])
def test_long_script_keeps_options_apart_and_render_visible(qtbot: QtBot, size: tuple[int, int]) -> None:
    editor = _editor(qtbot)
    editor.set_performer(MAYA)
    editor.set_replacements([("GIF", "jiff"), ("SQL", "sequel"), ("Nginx", "engine x")])
    editor.set_script("A long script that goes on and on. " * 172)  # 6,019 characters once trimmed
    editor.resize(*size)
    editor.show()
    qtbot.waitExposed(editor)
    assert editor.minimumSizeHint().height() <= 540, "the editor must fit a 1024×640 window"

    options = editor.options_scroll.widget()
    table = _rect_in(editor.replacements_table, options)
    expand = _rect_in(editor.expand_check, options)
    assert not table.intersects(expand), "Expand numbers and symbols must not overlap the table"
    assert expand.top() >= table.bottom()
    # Render stays on screen whatever the script's length; the options scroll instead.
    render = _rect_in(editor.render_button, editor)
    assert editor.rect().contains(render)
    assert editor.render_button.isVisible()
    assert not editor.render_button.isEnabled()  # 6,019 > 5,000 characters
    assert "Remove 1,019 characters" in editor.counter_label.text()


def test_limit_and_estimates_come_from_the_shared_rules(qtbot: QtBot) -> None:
    editor = _editor(qtbot)
    text = "word " * 300
    editor.set_script(text)
    seconds = script_rules.estimate_seconds(text, 1.0)
    assert f"{script_rules.count_words(text)} words" in editor.counter_label.text()
    assert f"~{round(seconds) // 60} min" in editor.counter_label.text()
    editor.set_script("x" * (script_rules.MAX_SCRIPT_CHARS + 1))
    assert "Remove 1 character." in editor.counter_label.text()
    editor.set_script("Hello\x07there")  # a control character the speech engine refuses
    assert editor.validation_message() == script_rules.validate_script("Hello\x07there").message


# -- defect 15: the voice follows the presenter --------------------------------------------------------


def test_female_presenter_gets_a_fitting_voice_instead_of_jack(qtbot: QtBot) -> None:
    editor = _editor(qtbot)
    assert editor.select_voice(JACK.voice_id)  # what the app used to keep: "Jack — American, male"
    editor.set_performer(MAYA)
    chosen = editor.current_voice_id()
    assert chosen != JACK.voice_id
    assert {v.voice_id: v for v in VOICES}[chosen].display_gender == "FEMALE"
    editor.set_performer(HUGO)
    assert {v.voice_id: v for v in VOICES}[editor.current_voice_id()].display_gender == "MALE"


def test_a_voice_the_user_chose_is_kept_when_the_presenter_changes(qtbot: QtBot) -> None:
    editor = _editor(qtbot)
    editor.set_performer(MAYA)
    index = editor.voice_combo.findData(OLIVER.voice_id, VOICE_ID_ROLE)
    editor.voice_combo.setCurrentIndex(index)
    editor.voice_combo.activated.emit(index)  # what a user's pick emits (code changes do not)
    assert editor.voice_chosen_by_user()
    editor.set_performer(ROSA)
    assert editor.current_voice_id() == OLIVER.voice_id


def test_old_style_set_presenter_with_gender_also_picks_a_fitting_voice(qtbot: QtBot) -> None:
    editor = _editor(qtbot)
    editor.select_voice(JACK.voice_id)
    editor.set_presenter("vg_pres_x", "Maya", "", gender="FEMALE")
    assert editor.current_voice_id() in (MATILDA.voice_id, LUCIA.voice_id)


def test_the_users_choice_survives_a_restart(qtbot: QtBot) -> None:
    store = DictStore()
    first = _editor(qtbot, store)
    first.set_performer(MAYA)
    index = first.voice_combo.findData(OLIVER.voice_id, VOICE_ID_ROLE)
    first.voice_combo.setCurrentIndex(index)
    first.voice_combo.activated.emit(index)
    first.save_draft()
    second = _editor(qtbot, store)
    second.set_performer(MAYA)
    assert second.current_voice_id() == OLIVER.voice_id


def test_actor_form_reaches_the_render_spec(qtbot: QtBot) -> None:
    editor = _editor(qtbot)
    editor.set_performer(ACTOR)
    editor.set_script("Good evening.")
    assert editor.presenter_label.text() == "Actor: Ava Stone"
    spec = editor.build_render_spec()
    assert (spec.presenter_id, spec.avatar_form, spec.presenter_name) == ("ent_ava", "actor", "Ava Stone")


# -- defect 7: "No watermark" only for accounts that can use it -----------------------------------------


def _none_item(editor: ScriptEditor):
    return editor.watermark_combo.model().item(editor.watermark_combo.findData("NONE"))


def test_no_watermark_is_greyed_out_with_a_hint_in_the_users_words(qtbot: QtBot) -> None:
    editor = _editor(qtbot)
    editor._set_watermark("NONE")
    assert editor.watermark_mode() == "NONE"
    editor.set_watermark_none_allowed(False)
    assert not _none_item(editor).isEnabled()
    assert editor.watermark_mode() == "AUTO"
    hint = editor.watermark_hint.text()
    assert editor.watermark_hint.isVisibleTo(editor)
    assert "“No watermark”" in hint and "“Automatic”" in hint
    for constant in ("NONE", "AUTO", "VIDEO_GEN", "purchase_add_on"):
        assert constant not in hint
    tip = editor.watermark_combo.itemData(
        editor.watermark_combo.findData("NONE"), Qt.ItemDataRole.ToolTipRole
    )
    assert tip == hint
    editor.set_watermark_none_allowed(True)
    assert _none_item(editor).isEnabled() and not editor.watermark_hint.isVisibleTo(editor)


def test_editor_follows_what_the_account_learned(qtbot: QtBot, tmp_path: Path) -> None:
    features = AccountFeatures(tmp_path / "features.json")
    store = DictStore()
    editor = _editor(qtbot, store)
    editor.set_account_features(features)
    assert _none_item(editor).isEnabled()
    editor._set_watermark("NONE")
    features.note_watermark_refused()  # the service said purchase_add_on once
    assert not _none_item(editor).isEnabled()
    assert editor.build_render_spec().watermark_mode == "AUTO"
    # A new editor (next start) reading a draft with "No watermark" does not offer it either.
    store.data["script_editor/draft"] = '{"v": 1, "watermark": "NONE"}'
    again = _editor(qtbot, store)
    again.set_account_features(AccountFeatures(tmp_path / "features.json"))
    assert again.watermark_mode() == "AUTO"


# -- the voice browser behind "Browse…" ----------------------------------------------------------------


def test_browse_opens_the_voice_browser_and_use_selects_the_voice(qtbot: QtBot) -> None:
    editor = _editor(qtbot)
    editor.set_performer(MAYA)
    editor.browse_voices_button.click()
    browser = editor.voice_browser()
    assert browser.isVisible()
    assert sorted(browser.shown_voice_ids()) == sorted(v.voice_id for v in VOICES)
    # The voice that fits Maya is listed first and marked.
    assert browser.shown_voice_ids()[0] == editor.default_voice().voice_id
    browser.row(OLIVER.voice_id).use_button.click()
    assert editor.current_voice_id() == OLIVER.voice_id
    assert editor.voice_chosen_by_user()
    browser.close()
