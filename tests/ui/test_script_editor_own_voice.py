""" "Your own voice": an audio file the user brings (picked in a non-blocking dialog or dropped) replaces
text-to-speech; the render spec carries it as `audio_path`."""

from __future__ import annotations

import asyncio
import json
import wave
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from videogen_studio.api.capabilities import probe_capabilities
from videogen_studio.api.client import VideoGenClient
from videogen_studio.api.models import TtsVoice
from videogen_studio.api.retry import RetryPolicy
from videogen_studio.pipeline.catalog import Catalog, Performer
from videogen_studio.pipeline.jobs import JobState, RenderSpec
from videogen_studio.pipeline.queue import RenderQueue
from videogen_studio.pipeline.store import JobStore
from videogen_studio.sandbox import SandboxServer
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


async def test_own_audio_renders_on_the_sandbox_without_text_to_speech(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    async with VideoGenClient(
        sandbox.base_url, sandbox.api_key, retry=RetryPolicy(base_delay_s=0.01)
    ) as client:
        catalog = Catalog(client, await probe_capabilities(client))
        performer = (await catalog.performers())[0]
        store = JobStore(tmp_path / "jobs.sqlite3")
        queue = RenderQueue(
            client, store, output_dir=tmp_path / "videos", poll_interval=0.02, max_poll_interval=0.1
        )
        await queue.start()
        try:
            editor = ScriptEditor(output_dir=str(tmp_path / "videos"))
            specs: list[RenderSpec] = []
            editor.renderRequested.connect(specs.append)
            editor.set_performer(performer)
            assert editor.set_audio_path(str(_wav(tmp_path / "my voice.wav", seconds=1.0)))
            editor.render_button.click()
            assert len(specs) == 1 and specs[0].audio_path.endswith("my voice.wav")
            assert not specs[0].voice_id  # no synthetic voice asked for
            job = queue.submit(specs[0])
            for _ in range(3000):  # a hang guard, not a timing assertion
                current = queue.get(job.job_id)
                if current is not None and current.state.is_terminal:
                    break
                await asyncio.sleep(0.01)
            done = queue.get(job.job_id)
            assert done is not None and done.state == JobState.DONE, done
            assert not done.tts_execution_id  # the recording was used, no speech was paid for
            assert Path(done.output_path).is_file()
            editor.deleteLater()
        finally:
            await queue.aclose()
            store.close()
