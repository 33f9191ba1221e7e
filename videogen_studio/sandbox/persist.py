"""The sandbox's memory across restarts: one JSON snapshot in `data_dir`, replaced atomically on every change.

`SandboxState` encodes the whole world (accounts, files, executions, upload slots) into one JSON document
after each change that matters and hands it to `SnapshotStore.write`, which writes a temp file, fsyncs it and
renames it over the previous snapshot, so a crash leaves either the old or the new snapshot, never half of
one. Reads (GETs, polls, hydration) never write. The URL-signing secret lives in the snapshot too, so signed
URLs handed out before a restart still verify afterwards.

Format (version 1):
  {"version": 1, "secret": "<hex>", "savedAt": <unix s>,
   "accounts": {"<key>": {...}}, "files": [{...}, ...], "executions": [{...}, ...]}
Records are encoded and decoded by state.py, next to the dataclasses they describe.

A snapshot that cannot be read or understood never prevents start-up: it is moved aside
(`sandbox-state.json.corrupt-<time>`) with a warning and the sandbox starts empty.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import threading
import time
from pathlib import Path
from typing import Any

from videogen_studio.fileio import atomic_write

log = logging.getLogger(__name__)

SNAPSHOT_NAME = "sandbox-state.json"
FORMAT_VERSION = 1
_TEMP_GLOB = f".{SNAPSHOT_NAME}.*.tmp"


class SnapshotStore:
    """Reads the snapshot once (at construction) and writes new ones; safe to call from many threads."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / SNAPSHOT_NAME
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for stale in self.path.parent.glob(_TEMP_GLOB):  # a write interrupted by a crash
            stale.unlink(missing_ok=True)
        self._write_lock = threading.Lock()
        self._written = 0  # generation of the snapshot on disk (0: none written by this store)
        self._failing = False
        self.loaded: dict[str, Any] | None = self._read()
        secret = self.loaded["secret"] if self.loaded is not None else None
        self.secret: bytes = bytes.fromhex(secret) if secret else secrets.token_bytes(32)

    # -- reading -----------------------------------------------------------------------------------
    def _read(self) -> dict[str, Any] | None:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            self.quarantine(f"unreadable: {exc}")
            return None
        try:
            payload = json.loads(raw)
            if not isinstance(payload, dict):
                raise ValueError("not a JSON object")
            if payload.get("version") != FORMAT_VERSION:
                raise ValueError(f"unknown format version {payload.get('version')!r}")
            secret = payload.get("secret")
            if not isinstance(secret, str) or len(bytes.fromhex(secret)) < 16:
                raise ValueError("missing or short signing secret")
            for name, kind in (("accounts", dict), ("files", list), ("executions", list)):
                if not isinstance(payload.get(name), kind):
                    raise ValueError(f"{name} is not a JSON {kind.__name__}")
        except (UnicodeDecodeError, ValueError) as exc:  # JSONDecodeError is a ValueError
            self.quarantine(str(exc))
            return None
        return payload

    def quarantine(self, reason: str) -> Path | None:
        """Move an unusable snapshot aside (kept for inspection, never read again) and forget what it said."""
        self.loaded = None
        stamp = time.strftime("%Y%m%d-%H%M%S")
        target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}-{secrets.token_hex(3)}")
        try:
            os.replace(self.path, target)
        except FileNotFoundError:
            return None
        except OSError:
            log.warning("sandbox snapshot %s is unusable (%s); could not move it aside", self.path, reason)
            return None
        log.warning(
            "sandbox snapshot %s is unusable (%s); moved it to %s and starting empty",
            self.path,
            reason,
            target.name,
        )
        return target

    # -- writing -----------------------------------------------------------------------------------
    def encode(self, accounts: str, files: list[str], executions: list[str]) -> str:
        """The snapshot document from already-encoded parts (records are cached by the caller)."""
        header = json.dumps(
            {"version": FORMAT_VERSION, "secret": self.secret.hex(), "savedAt": round(time.time(), 3)}
        )
        return (
            f'{header[:-1]}, "accounts": {accounts},\n"files": [\n'
            + ",\n".join(files)
            + '\n],\n"executions": [\n'
            + ",\n".join(executions)
            + "\n]}\n"
        )

    def write(self, generation: int, document: str) -> bool:
        """Atomically replace the snapshot unless a newer generation is already on disk; False on I/O error.

        An I/O error (disk full, permissions) is logged, not raised: the request that changed the state has
        already succeeded in memory, and the next change writes everything again.
        """
        with self._write_lock:
            if generation <= self._written:
                return True  # another thread already wrote a snapshot that includes this change
            try:
                atomic_write(self.path, document, durable=True)
            except OSError:
                if not self._failing:  # once per failure streak, not once per request
                    log.warning("could not write sandbox snapshot %s", self.path, exc_info=True)
                self._failing = True
                return False
            if self._failing:
                log.info("sandbox snapshot %s is being written again", self.path)
            self._failing = False
            self._written = generation
            return True
