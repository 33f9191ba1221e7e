"""Preflight's local checks: everything refused before the first paid step, each with a stable kind."""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path

import pytest

from videogen_studio.api.models import WatermarkMode
from videogen_studio.pipeline.account_features import AccountFeatures
from videogen_studio.pipeline.jobs import RenderSpec
from videogen_studio.pipeline.preflight import audio_type, check_local, preflight

WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(32)
MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + bytes(32)
M4A = b"\x00\x00\x00\x20ftypM4A " + bytes(32)


def spec(tmp_path: Path, **changes: object) -> RenderSpec:
    base: dict[str, object] = {
        "presenter_id": "vg_pres_1",
        "script": "Hello there.",
        "voice_id": "v1",
        "output_dir": str(tmp_path / "out"),
    }
    base.update(changes)
    return RenderSpec(**base)  # type: ignore[arg-type]


def kinds(s: RenderSpec, **kwargs: object) -> list[str]:
    return [p.kind for p in check_local(s, **kwargs)]  # type: ignore[arg-type]


def test_a_good_spec_passes_and_its_missing_folder_is_created(tmp_path: Path) -> None:
    good = spec(tmp_path, output_dir=str(tmp_path / "new" / "deeper"))
    assert kinds(good) == []
    assert (tmp_path / "new" / "deeper").is_dir()
    assert list((tmp_path / "new" / "deeper").iterdir()) == []  # the write test leaves nothing behind


def test_output_folder_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "clip.mp4").write_bytes(b"x")
    assert kinds(spec(tmp_path, output_dir=str(tmp_path / "clip.mp4"))) == ["output_is_file"]
    assert kinds(spec(tmp_path, output_dir=str(tmp_path / "clip.mp4" / "sub"))) == ["output_is_file"]


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="root writes anywhere")
def test_read_only_output_folder(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        assert kinds(spec(tmp_path, output_dir=str(folder))) == ["output_not_writable"]
        assert kinds(spec(tmp_path, output_dir=str(folder / "sub"))) == ["output_not_writable"]
    finally:
        folder.chmod(0o700)


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs a folder nobody can write (procfs)")
def test_unwritable_output_folder_even_for_root(tmp_path: Path) -> None:
    problems = check_local(spec(tmp_path, output_dir="/proc/videogen-studio-test"))
    assert [p.kind for p in problems] == ["output_not_writable"]
    assert problems[0].field == "output_dir"


def test_default_output_folder_is_checked_when_the_spec_has_none(tmp_path: Path) -> None:
    (tmp_path / "file").write_bytes(b"")
    s = spec(tmp_path, output_dir="")
    assert kinds(s) == []
    assert kinds(s, default_output_dir=tmp_path / "file") == ["output_is_file"]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"script": "   "}, "script_empty"),
        ({"script": "x" * 5001}, "script_too_long"),
        ({"script": "nul\x00"}, "script_invalid_characters"),
        ({"voice_speed": math.nan}, "speed_not_a_number"),
        ({"voice_speed": math.inf}, "speed_not_a_number"),
        ({"voice_speed": 3.0}, "speed_out_of_range"),
        ({"voice_speed": 0.1}, "speed_out_of_range"),
        ({"watermark_mode": "SOMETIMES"}, "watermark_unknown"),
        ({"avatar_quality": "ULTRA"}, "quality_unknown"),
        ({"num_results": 0}, "results_out_of_range"),
        ({"num_results": 101}, "results_out_of_range"),
        ({"voice_id": None}, "voice_missing"),
        ({"presenter_id": ""}, "performer_missing"),
        ({"avatar_form": "puppet"}, "form_unknown"),
    ],
)
def test_each_problem_has_its_kind(tmp_path: Path, changes: dict[str, object], expected: str) -> None:
    problems = check_local(spec(tmp_path, **changes))
    assert [p.kind for p in problems] == [expected]
    assert problems[0].message and "Retry" not in problems[0].message and "Open " not in problems[0].message


def test_several_problems_are_all_reported(tmp_path: Path) -> None:
    assert kinds(spec(tmp_path, script="", voice_speed=9.0, voice_id=None)) == [
        "script_empty",
        "speed_out_of_range",
        "voice_missing",
    ]


def test_watermark_none_refused_once_is_refused_before_paying(tmp_path: Path) -> None:
    features = AccountFeatures(tmp_path / "features.json")
    none = spec(tmp_path, watermark_mode=WatermarkMode.NONE)
    assert kinds(none, features=features) == []
    features.note_watermark_refused()
    assert kinds(none, features=AccountFeatures(tmp_path / "features.json")) == ["watermark_not_allowed"]
    assert kinds(spec(tmp_path, watermark_mode="AUTO"), features=features) == []


def test_own_audio_replaces_the_speech_checks(tmp_path: Path) -> None:
    audio = tmp_path / "voice.wav"
    audio.write_bytes(WAV)
    assert kinds(spec(tmp_path, audio_path=str(audio), script="", voice_id=None, voice_speed=math.nan)) == []


@pytest.mark.parametrize(
    ("name", "data", "expected"), [("a.wav", WAV, []), ("a.mp3", MP3, []), ("a.m4a", M4A, [])]
)
def test_own_audio_types(tmp_path: Path, name: str, data: bytes, expected: list[str]) -> None:
    (tmp_path / name).write_bytes(data)
    assert kinds(spec(tmp_path, audio_path=str(tmp_path / name))) == expected


def test_own_audio_problems(tmp_path: Path) -> None:
    assert kinds(spec(tmp_path, audio_path=str(tmp_path / "gone.wav"))) == ["audio_missing"]
    assert kinds(spec(tmp_path, audio_path=str(tmp_path))) == ["audio_unreadable"]
    (tmp_path / "notes.mp3").write_text("not audio at all", encoding="utf-8")
    assert kinds(spec(tmp_path, audio_path=str(tmp_path / "notes.mp3"))) == ["audio_type"]


def test_audio_type_sniffs_content() -> None:
    assert audio_type(WAV) == "WAV"
    assert audio_type(MP3) == "MP3"
    assert audio_type(b"\xff\xfb\x90\x00") == "MP3"  # a bare MPEG frame
    assert audio_type(M4A) == "M4A"
    assert audio_type(b"OggS\x00") is None


async def test_without_a_catalog_only_local_checks_run(tmp_path: Path) -> None:
    assert await preflight(spec(tmp_path)) == []
    assert [p.kind for p in await preflight(spec(tmp_path, script=""))] == ["script_empty"]
