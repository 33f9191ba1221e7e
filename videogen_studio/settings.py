"""User settings: a small JSON file in the platformdirs config folder. Never holds the API key."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .paths import AppPaths

log = logging.getLogger(__name__)

SANDBOX = "sandbox"  # base_url value meaning "start the embedded offline server"


@dataclass
class Settings:
    base_url: str = SANDBOX
    output_dir: str = ""
    concurrency: int = 2
    default_watermark: str = "AUTO"
    temporary_outputs: bool = False
    theme: str = "system"  # system | light | dark

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
        if field is not None and isinstance(value, type(default)):
            values[key] = value
    settings = dataclasses.replace(defaults, **values)
    settings.concurrency = max(1, min(8, settings.concurrency))
    if not settings.output_dir:
        settings.output_dir = str(paths.downloads)
    return settings


def save_settings(paths: AppPaths, settings: Settings) -> None:
    path = settings_file(paths)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps(dataclasses.asdict(settings), indent=2, sort_keys=True)
    # Atomic: a crash while saving must not leave half a settings file behind.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".settings-", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(data)
    os.replace(tmp, path)
