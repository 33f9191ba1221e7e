"""Where the app keeps its files: platformdirs' per-user folders.

`VIDEOGEN_STUDIO_HOME` moves all of them under one folder (tests, portable installs).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

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
        """The original single job database; since per-account databases, the first account's (see below)."""
        return self.data / "jobs.sqlite3"

    @property
    def job_db_owner_file(self) -> Path:
        """Names the account (`capability_cache.account_key`) that `job_db` belongs to."""
        return self.data / "jobs.sqlite3.account"

    def job_db_for(self, account: str) -> Path:
        """The job database of one account (service + key): jobs never cross to another account.

        A job's ids are only valid on the account that paid for it: another key polls them into 404s, and
        its queued jobs would be paid by the wrong account. The older single `jobs.sqlite3` (no account
        recorded) stays where it is and belongs to the first account that opens a job database after the
        upgrade (recorded in `job_db_owner_file`, created atomically so two processes agree); every other
        account gets `jobs-<account>.sqlite3`.
        """
        if not account or not all(c.isalnum() or c in "-_" for c in account):
            raise ValueError("account must be a plain file-name-safe key")
        owner = self._job_db_owner(account)
        return self.job_db if owner == account else self.data / f"jobs-{account}.sqlite3"

    def _job_db_owner(self, account: str) -> str | None:
        marker = self.job_db_owner_file
        try:
            fd = os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            try:
                return marker.read_text(encoding="ascii").strip() or None
            except (OSError, UnicodeDecodeError):
                return None  # unreadable marker: nobody may use the old database (never guess)
        except OSError:
            return None  # e.g. a read-only folder: the JobStore reports that clearly when it opens
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(account)
            out.flush()
            os.fsync(out.fileno())
        return account

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
    import platformdirs  # only here: VIDEOGEN_STUDIO_HOME (tests, portable installs) does without it

    dirs = platformdirs.PlatformDirs(APP_NAME, APP_AUTHOR)
    return AppPaths(
        config=Path(dirs.user_config_dir),
        data=Path(dirs.user_data_dir),
        cache=Path(dirs.user_cache_dir),
        logs=Path(dirs.user_log_dir),
        downloads=Path(platformdirs.user_videos_dir()) / "VideoGen Studio",
    )
