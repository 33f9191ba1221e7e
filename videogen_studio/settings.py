"""User settings: a small JSON file in the platformdirs config folder. Never holds the API key."""

from __future__ import annotations

import dataclasses
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .api.enums import WatermarkMode
from .fileio import atomic_write
from .paths import AppPaths

log = logging.getLogger(__name__)

SANDBOX = "sandbox"  # base_url value meaning "start the embedded offline server"
THEMES = ("system", "light", "dark")
MIN_CONCURRENCY, MAX_CONCURRENCY = 1, 8


@dataclass
class Settings:
    base_url: str = SANDBOX
    output_dir: str = ""
    concurrency: int = 2
    default_watermark: WatermarkMode = WatermarkMode.AUTO
    temporary_outputs: bool = False
    theme: str = "system"  # system | light | dark
    #: The performer (presenter or actor) picked last, selected again at the next start.
    last_performer_id: str = ""
    #: The voice used when none is picked (the CLI's `render` without `--voice`, a new script).
    default_voice_id: str = ""

    @property
    def uses_sandbox(self) -> bool:
        return self.base_url == SANDBOX

    def copy(self) -> Settings:
        return dataclasses.replace(self)


def settings_file(paths: AppPaths) -> Path:
    return paths.config / "settings.json"


def load_settings(paths: AppPaths) -> Settings:
    """Read settings; a missing or broken file gives defaults (and the broken one is kept aside)."""
    path = settings_file(paths)
    defaults = Settings(output_dir=str(paths.downloads))
    try:
        raw: Any = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return defaults
    except (OSError, ValueError) as exc:
        log.warning("settings file unreadable (%s); using defaults", exc)
        if path.exists():  # keep the broken file for the user instead of overwriting it later
            path.replace(path.with_suffix(".broken.json"))
        return defaults
    if not isinstance(raw, dict):
        return defaults
    known = {f.name: f for f in dataclasses.fields(Settings)}
    values: dict[str, Any] = {}
    if "download_dir" in raw and "output_dir" not in raw:  # the name before 0.2
        raw["output_dir"] = raw.pop("download_dir")
    for key, value in raw.items():
        field = known.get(key)
        default = getattr(defaults, key, None)
        if key == "default_watermark":
            values[key] = _watermark(value)
        elif field is not None and type(value) is type(default):  # type(): a bool is not an int here
            values[key] = value
    settings = dataclasses.replace(defaults, **values)
    settings.concurrency = max(MIN_CONCURRENCY, min(MAX_CONCURRENCY, settings.concurrency))
    if settings.theme not in THEMES:
        settings.theme = "system"
    if not settings.output_dir:
        settings.output_dir = str(paths.downloads)
    return settings


def save_settings(paths: AppPaths, settings: Settings) -> None:
    path = settings_file(paths)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = dataclasses.asdict(settings)
    data["default_watermark"] = str(settings.default_watermark)
    # Atomic: a crash while saving must not leave half a settings file behind.
    atomic_write(path, json.dumps(data, indent=2, sort_keys=True))


def _watermark(value: object) -> WatermarkMode:
    """A stored watermark mode; anything unknown (a hand edit, a newer version's mode) becomes AUTO."""
    try:
        return WatermarkMode(str(value).upper())
    except ValueError:
        return WatermarkMode.AUTO
