"""Recording "your own voice" from the microphone: Record is offered only where a microphone exists, and a
finished recording is used like a chosen file."""

from __future__ import annotations

import wave
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from videogen_studio.ui.editor.own_voice import OwnVoicePicker
from videogen_studio.ui.editor.recorder import NO_MICROPHONE, MicRecorder, microphones


def _wav(path: Path) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16_000)
        out.writeframes(b"\x00\x00" * 3_200)
    return path


def test_without_a_microphone_record_is_disabled_and_says_why(qtbot: QtBot, tmp_path: Path) -> None:
    picker = OwnVoicePicker(recordings_dir=tmp_path, audio_inputs=list)  # no audio inputs at all
    qtbot.addWidget(picker)
    picker.show()  # the microphones are looked up when the row is first shown, not at start-up
    qtbot.waitUntil(lambda: picker.record_button.toolTip() == NO_MICROPHONE)
    assert not picker.record_button.isEnabled()
    assert "microphone" in NO_MICROPHONE.lower()


@pytest.mark.skipif(bool(microphones()), reason="this machine has a microphone")
def test_this_machine_without_a_microphone_disables_record(qtbot: QtBot, tmp_path: Path) -> None:
    """The real device list (QMediaDevices.audioInputs() is empty here)."""
    picker = OwnVoicePicker(recordings_dir=tmp_path)
    qtbot.addWidget(picker)
    picker.show()
    qtbot.waitUntil(lambda: picker.record_button.toolTip() == NO_MICROPHONE)
    assert not picker.record_button.isEnabled()
    # Asking anyway (e.g. through the accessibility API) starts nothing and says why.
    recorder = MicRecorder(tmp_path / "recordings")
    failures: list[str] = []
    recorder.failed.connect(failures.append)
    assert not recorder.start()
    assert failures == [NO_MICROPHONE] and not recorder.is_recording()


def test_with_a_microphone_record_is_offered(qtbot: QtBot, tmp_path: Path) -> None:
    fake_microphone: list[Any] = [object()]
    picker = OwnVoicePicker(recordings_dir=tmp_path, audio_inputs=lambda: fake_microphone)
    qtbot.addWidget(picker)
    picker.show()
    qtbot.waitUntil(picker.record_button.isEnabled)
    assert picker.record_button.toolTip() != NO_MICROPHONE
    # The microphone is unplugged: the next check disables Record again.
    fake_microphone.clear()
    assert not picker.refresh_microphones()
    assert not picker.record_button.isEnabled()


def test_a_finished_recording_is_used_like_a_chosen_file(qtbot: QtBot, tmp_path: Path) -> None:
    picker = OwnVoicePicker(recordings_dir=tmp_path)
    qtbot.addWidget(picker)
    recorder = MicRecorder(tmp_path, picker)
    recorder.recorded.connect(picker._on_recorded)
    recording = _wav(tmp_path / "recording-1.wav")
    with qtbot.waitSignal(picker.audioChanged) as changed:
        recorder._finish(str(recording))  # what the recorder does once QMediaRecorder has stopped
    assert changed.args == [str(recording)]
    assert picker.audio_path() == str(recording)

    empty = tmp_path / "recording-2.wav"
    empty.write_bytes(b"")
    failures: list[str] = []
    recorder.failed.connect(failures.append)
    recorder._finish(str(empty))
    assert failures == ["Nothing was recorded."]
    assert picker.audio_path() == str(recording)  # the earlier recording stays in use
