"""The opt-in key file: readable only by the user (0600), for machines without a keyring."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

from ..fileio import atomic_write
from .base import FILE


class FileBackend:
    name = FILE
    read_only = False

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def available(self) -> bool:
        return True

    def load(self) -> str | None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        return text if text.strip() else None

    def save(self, key: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # atomic_write creates its temporary file 0600, so the key is never readable by others, even briefly.
        atomic_write(self.path, key, mode=0o600, durable=True)

    def delete(self) -> None:
        with contextlib.suppress(OSError):
            self.path.unlink(missing_ok=True)

    def is_private(self) -> bool:
        """True when only the owner can read the file (always True where POSIX modes do not apply)."""
        if sys.platform == "win32":
            return True
        try:
            return (os.stat(self.path).st_mode & 0o077) == 0
        except OSError:
            return True
