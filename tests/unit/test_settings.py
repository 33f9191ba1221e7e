"""Settings: defaults, round trip, the old key name, and tolerance of broken or hand-edited files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from videogen_studio.api.models import WatermarkMode
from videogen_studio.paths import AppPaths
from videogen_studio.settings import Settings, load_settings, save_settings, settings_file


@pytest.fixture
def paths(tmp_path: Path) -> AppPaths:
    root = tmp_path / "home"
    return AppPaths(root / "config", root / "data", root / "cache", root / "logs", root / "Videos").ensure()


def write(paths: AppPaths, data: object) -> None:
    settings_file(paths).write_text(json.dumps(data), encoding="utf-8")


def test_defaults(paths: AppPaths) -> None:
    settings = load_settings(paths)
    assert settings.output_dir == str(paths.downloads)
    assert settings.default_watermark is WatermarkMode.AUTO
    assert (settings.theme, settings.last_performer_id, settings.default_voice_id) == ("system", "", "")


def test_round_trip(paths: AppPaths) -> None:
    settings = Settings(
        base_url="https://api.example",
        output_dir="/clips",
        concurrency=3,
        default_watermark=WatermarkMode.NONE,
        temporary_outputs=True,
        theme="dark",
        last_performer_id="vg_ent_1",
        default_voice_id="v9",
    )
    save_settings(paths, settings)
    raw = json.loads(settings_file(paths).read_text(encoding="utf-8"))
    assert raw["default_watermark"] == "NONE"
    assert load_settings(paths) == settings
    assert load_settings(paths).default_watermark is WatermarkMode.NONE
    assert not [p for p in settings_file(paths).parent.iterdir() if p.name.endswith(".tmp")]


def test_old_download_dir_key_is_read(paths: AppPaths) -> None:
    write(paths, {"download_dir": "/old/place"})
    assert load_settings(paths).output_dir == "/old/place"


def test_hand_edited_values_fall_back(paths: AppPaths) -> None:
    write(
        paths,
        {
            "default_watermark": "sometimes",
            "theme": "purple",
            "concurrency": 99,
            "temporary_outputs": "yes",
            "last_performer_id": 5,
            "unknown_key": 1,
        },
    )
    settings = load_settings(paths)
    assert settings.default_watermark is WatermarkMode.AUTO
    assert settings.theme == "system"
    assert settings.concurrency == 8
    assert settings.temporary_outputs is False
    assert settings.last_performer_id == ""


def test_lower_case_watermark_is_understood(paths: AppPaths) -> None:
    write(paths, {"default_watermark": "video_gen"})
    assert load_settings(paths).default_watermark is WatermarkMode.VIDEO_GEN


def test_broken_file_is_kept_aside(paths: AppPaths) -> None:
    settings_file(paths).write_text("{not json", encoding="utf-8")
    assert load_settings(paths) == Settings(output_dir=str(paths.downloads))
    assert settings_file(paths).with_suffix(".broken.json").exists()
