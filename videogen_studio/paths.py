"""Where the app keeps its files: platformdirs' per-user folders.

`VIDEOGEN_STUDIO_HOME` moves all of them under one folder (tests, portable installs).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "VideoGenStudio"
APP_AUTHOR = "VideoGen"


@dataclass(frozen=True, slots=True)
class AppPaths:
    config: Path  # settings.json
    data: Path  # jobs.sqlite3, the sandbox's generated files
    cache: Path  # thumbnails, presenter assets
    logs: Path
    downloads: Path  # default folder for finished clips

    def ensure(self) -> AppPaths:
        for folder in (self.config, self.data, self.cache, self.logs):
            folder.mkdir(parents=True, exist_ok=True)
        return self

    @property
    def job_db(self) -> Path:
        return self.data / "jobs.sqlite3"

    @property
    def thumbnails(self) -> Path:
        return self.cache / "thumbnails"

    @property
    def voice_previews(self) -> Path:
        """Voice samples and script previews (pipeline.voice_preview), kept to be played again for free."""
        return self.cache / "voice-previews"

    def catalog_cache(self, account: str) -> Path:
        """The last catalog of one account (`pipeline.capability_cache.account_key`), for a fast start."""
        return self.cache / f"catalog-{account}.json"


def app_paths() -> AppPaths:
    override = os.environ.get("VIDEOGEN_STUDIO_HOME")
    if override:
        root = Path(override)
        return AppPaths(
            config=root / "config",
            data=root / "data",
            cache=root / "cache",
            logs=root / "logs",
            downloads=root / "Videos",
        )
    dirs = platformdirs.PlatformDirs(APP_NAME, APP_AUTHOR)
    return AppPaths(
        config=Path(dirs.user_config_dir),
        data=Path(dirs.user_data_dir),
        cache=Path(dirs.user_cache_dir),
        logs=Path(dirs.user_log_dir),
        downloads=Path(platformdirs.user_videos_dir()) / "VideoGen Studio",
    )
