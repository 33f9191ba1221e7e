"""The API key: OS keyring first, then the VIDEOGEN_API_KEY environment variable, then an opt-in file.

The key never goes into settings.json, a log line or an exception message.
"""

from __future__ import annotations

import contextlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import keyring
import keyring.errors

log = logging.getLogger(__name__)

SERVICE = "VideoGen Studio"
USERNAME = "api-key"
ENV_VAR = "VIDEOGEN_API_KEY"
NO_KEYRING_HELP = (
    "No system keyring is available to store the API key safely. Set the VIDEOGEN_API_KEY "
    "environment variable before starting the app, or opt in to storing the key in a local file "
    "readable only by you."
)


class KeyringUnavailable(RuntimeError):
    """Raised when saving needs a keyring and none exists. The message says what to do instead."""

    def __init__(self) -> None:
        super().__init__(NO_KEYRING_HELP)


@dataclass(frozen=True, slots=True)
class StoredKey:
    key: str
    source: str  # "keyring" | "environment" | "file"


class SecretStore:
    def __init__(self, fallback_file: Path) -> None:
        self._fallback = fallback_file

    def keyring_available(self) -> bool:
        try:
            keyring.get_password(SERVICE, USERNAME)
        except keyring.errors.KeyringError:
            return False
        except Exception:  # backends raise assorted errors when the Secret Service is missing or locked
            return False
        return True

    def load(self) -> StoredKey | None:
        env = os.environ.get(ENV_VAR, "").strip()
        if env:
            return StoredKey(env, "environment")
        try:
            stored = keyring.get_password(SERVICE, USERNAME)
        except Exception as exc:  # any backend failure means "not available"
            log.info("keyring unavailable: %s", type(exc).__name__)
            stored = None
        if stored:
            return StoredKey(stored, "keyring")
        if self._fallback.exists():
            try:
                text = self._fallback.read_text(encoding="utf-8").strip()
            except OSError:
                return None
            return StoredKey(text, "file") if text else None
        return None

    def save(self, key: str, *, allow_file: bool = False) -> str:
        """Store the key; returns where it went. Raises KeyringUnavailable unless `allow_file`."""
        try:
            keyring.set_password(SERVICE, USERNAME, key)
            self._fallback.unlink(missing_ok=True)
            return "keyring"
        except Exception as exc:
            log.info("keyring refused the key: %s", type(exc).__name__)
            if not allow_file:
                raise KeyringUnavailable() from None
        self._fallback.parent.mkdir(parents=True, exist_ok=True)
        # Create with 0600 from the start so the key is never readable by others, even briefly.
        fd = os.open(self._fallback, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(key)
        return "file"

    def delete(self) -> None:
        # Nothing stored or no backend: either way the key is gone.
        with contextlib.suppress(Exception):
            keyring.delete_password(SERVICE, USERNAME)
        self._fallback.unlink(missing_ok=True)
