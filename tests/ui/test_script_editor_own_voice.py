""" "Your own voice": an audio file the user brings (picked in a non-blocking dialog or dropped) replaces
text-to-speech; the render spec carries it as `audio_path`."""

from __future__ import annotations

import json
import wave
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from videogen_studio.api.models import TtsVoice
from videogen_studio.pipeline.catalog import Performer
from videogen_studio.ui.editor.own_voice import OwnVoicePicker
from videogen_studio.ui.script_editor import DRAFT_KEY, ScriptEditor

MAYA = Performer("vg_pres_maya", "presenter", "Maya", gender="FEMALE")
MATILDA = TtsVoice("vg_voic_matilda", "en-US", "Matilda", "FEMALE", True, True, False, "american")


def _wav(path: Path, seconds: float = 0.2) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16_000)
        out.writeframes(b"\x00\x00" * int(16_000 * seconds))
    return path


def _editor(qtbot: QtBot, store: dict[str, object] | None = None) -> ScriptEditor:
    editor = ScriptEditor(
        load=store.get if store is not None else None,
        save=store.__setitem__ if store is not None else None,
    )
    qtbot.addWidget(editor)
    return editor


def test_own_audio_replaces_speech_in_the_render_spec(qtbot: QtBot, tmp_path: Path) -> None:
    editor = _editor(qtbot)
    editor.set_performer(MAYA)
    assert not editor.render_button.isEnabled()  # no script, no voice yet
    recording = _wav(tmp_path / "take 1.wav")
    assert editor.set_audio_path(str(recording))
    # The recording is what will be said: no script or synthetic voice is needed.
    assert editor.validation_message() is None
    assert editor.render_button.isEnabled()
    assert not editor.voice_box.isEnabled() and not editor.preview_button.isEnabled()
    assert editor.own_voice.file_label.text() == "take 1.wav"
    with qtbot.waitSignal(editor.renderRequested) as rendered:
        editor.render_button.click()
    spec = rendered.args[0]
    assert spec.audio_path == str(recording)
    assert spec.presenter_id == MAYA.performer_id

    editor.own_voice.clear_button.click()
    assert editor.audio_path() == "" and editor.voice_box.isEnabled()
    assert not editor.render_button.isEnabled()


def test_only_existing_wav_mp3_m4a_files_are_taken(qtbot: QtBot, tmp_path: Path) -> None:
    picker = OwnVoicePicker()
    qtbot.addWidget(picker)
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    assert not picker.set_audio_path(str(text))
    assert not picker.set_audio_path(str(tmp_path / "missing.mp3"))
    m4a = tmp_path / "Voice Memo.M4A"
    m4a.write_bytes(b"\x00" * 64)  # the suffix decides what is offered; the service judges the content
    with qtbot.waitSignal(picker.audioChanged) as changed:
        assert picker.set_audio_path(str(m4a))
    assert changed.args == [str(m4a)]


def test_a_dropped_recording_is_used(qtbot: QtBot, tmp_path: Path) -> None:
    editor = _editor(qtbot)
    editor.set_performer(MAYA)
    recording = _wav(tmp_path / "dropped.wav")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(recording))])
    drop = QDropEvent(
        QPoint(5, 5).toPointF(),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    copy, left, plain = Qt.DropAction.CopyAction, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    with pytest.warns(DeprecationWarning):  # PySide marks the only QPoint constructor deprecated
        enter = QDragEnterEvent(QPoint(5, 5), copy, mime, left, plain)
    QApplication.sendEvent(editor.own_voice, enter)
    assert enter.isAccepted(), "a WAV file is welcome"
    QApplication.sendEvent(editor.own_voice, drop)
    assert editor.audio_path() == str(recording)
    assert drop.dropAction() == Qt.DropAction.CopyAction


def test_the_file_dialog_does_not_block_and_its_choice_is_used(qtbot: QtBot, tmp_path: Path) -> None:
    editor = _editor(qtbot)
    editor.show()
    editor.own_voice.choose_button.click()  # returns at once: the dialog is open, the event loop runs
    dialog = editor.own_voice.file_dialog()
    assert dialog is not None and dialog.isVisible()
    recording = _wav(tmp_path / "chosen.wav")
    dialog.fileSelected.emit(str(recording))
    dialog.close()
    assert editor.audio_path() == str(recording)


def test_the_chosen_recording_survives_a_restart(qtbot: QtBot, tmp_path: Path) -> None:
    store: dict[str, object] = {}
    first = _editor(qtbot, store)
    recording = _wav(tmp_path / "kept.wav")
    first.set_audio_path(str(recording))
    first.save_draft()
    assert json.loads(str(store[DRAFT_KEY]))["audio_path"] == str(recording)
    second = _editor(qtbot, store)
    assert second.audio_path() == str(recording)
    recording.unlink()  # gone by the next start: quietly back to text-to-speech
    third = _editor(qtbot, store)
    assert third.audio_path() == ""
    third.set_voices([MATILDA])
    assert third.voice_box.isEnabled()
