"""Persistence of the state: records for files, executions and accounts, and the save/restore logic.

`SnapshotStore` (persist.py) owns the file on disk; this module decides what goes into it and how a previous
server's world is taken over (restored executions resume without being charged again).
"""

from __future__ import annotations

import json
import logging
import os
import queue
import shutil
import threading
import time
from pathlib import Path
from typing import Any

from videogen_studio.sandbox.config import SandboxAccount
from videogen_studio.sandbox.core import StateCore
from videogen_studio.sandbox.executions import (
    SETTLED_STATUSES,
    TERMINAL_STATUSES,
    Execution,
)
from videogen_studio.sandbox.files import FILE_PREFIX, Source, StoredFile
from videogen_studio.sandbox.generations import EXECUTION_PREFIXES
from videogen_studio.sandbox.persist import SnapshotStore

log = logging.getLogger(__name__)


# -- snapshot records (written by SandboxState._save, stored by persist.SnapshotStore) ----------------


def _encode(record: dict[str, Any]) -> str:
    return json.dumps(record, separators=(",", ":"))


def _path_record(path: Path | None, root: Path) -> str | None:
    """Media paths relative to data_dir, so a moved data folder keeps working."""
    # string operations: pathlib's relative_to() would dominate the cost of encoding a snapshot
    if path is None:
        return None
    text, prefix = str(path), os.path.join(root, "")
    if text.startswith(prefix):
        return text[len(prefix) :].replace(os.sep, "/")
    return str(path.absolute())


def _path_from_record(raw: object, root: Path) -> Path | None:
    if raw is None:
        return None
    path = Path(_typed(raw, str))
    return path if path.is_absolute() else root / path


def _typed[T](value: object, kind: type[T], optional: bool = False) -> T:
    """A snapshot value of the expected JSON type (bool is not a number here); TypeError otherwise."""
    if value is None and optional:
        return value  # type: ignore[return-value]
    ok = isinstance(value, kind) and not (isinstance(value, bool) and kind is not bool)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)  # type: ignore[return-value]
    if not ok:
        raise TypeError(f"expected {kind.__name__}, got {type(value).__name__}")
    return value  # type: ignore[return-value]


def _account_record(account: SandboxAccount) -> dict[str, Any]:
    return {
        "credits": account.credits,
        "productionAddon": account.production_addon,
        "revoked": account.revoked,
        "email": account.email,
        "displayName": account.display_name,
        "teamId": account.team_id,
        "keyNickname": account.key_nickname,
    }


def _account_from_record(record: dict[str, Any]) -> SandboxAccount:
    return SandboxAccount(
        credits=_typed(record["credits"], float),
        production_addon=_typed(record["productionAddon"], bool),
        revoked=_typed(record["revoked"], bool),
        email=_typed(record.get("email"), str, optional=True),
        display_name=_typed(record.get("displayName"), str, optional=True),
        team_id=_typed(record.get("teamId"), str, optional=True),
        key_nickname=_typed(record.get("keyNickname"), str, optional=True),
    )


def _file_record(stored: StoredFile, root: Path) -> dict[str, Any]:
    return {
        "id": stored.file_id,
        "owner": stored.owner,
        "type": stored.type,
        "scope": stored.scope,
        "displayName": stored.display_name,
        "createdAt": stored.created_at,
        "duration": stored.duration,
        "transcript": stored.transcript,
        "sources": {
            name: {
                "status": source.status,
                "path": _path_record(source.path, root),
                "contentType": source.content_type,
                "width": source.width,
                "height": source.height,
            }
            for name, source in stored.sources.items()
        },
        "sourceToolType": stored.source_tool_type,
        "sourceToolExecutionId": stored.source_tool_execution_id,
        "archivedAt": stored.archived_at,
        "isUpload": stored.is_upload,
        "publicPlaybackId": stored.public_playback_id,
    }


def _file_from_record(record: dict[str, Any], root: Path) -> tuple[StoredFile, int]:
    """The file and how many of its ready renditions lost their media (those become `failed`)."""
    sources: dict[str, Source] = {}
    missing = 0
    for name, raw in _typed(record["sources"], dict).items():
        source = Source(
            status=_typed(raw["status"], str),
            path=_path_from_record(raw.get("path"), root),
            content_type=_typed(raw.get("contentType"), str, optional=True),
            width=_typed(raw.get("width"), int, optional=True),
            height=_typed(raw.get("height"), int, optional=True),
        )
        if source.status == "ready" and (source.path is None or not source.path.is_file()):
            source, missing = Source("failed"), missing + 1
        sources[name] = source
    file_id = _typed(record["id"], str)
    if not file_id.startswith(FILE_PREFIX):
        raise ValueError(f"{file_id!r} is not a file id")
    stored = StoredFile(
        file_id=file_id,
        owner=_typed(record["owner"], str),
        type=_typed(record.get("type"), str, optional=True),
        scope=_typed(record["scope"], str),
        display_name=_typed(record["displayName"], str),
        created_at=_typed(record["createdAt"], float),
        duration=_typed(record.get("duration"), float, optional=True),
        transcript=_typed(record.get("transcript"), str, optional=True),
        sources=sources,
        source_tool_type=_typed(record.get("sourceToolType"), str, optional=True),
        source_tool_execution_id=_typed(record.get("sourceToolExecutionId"), str, optional=True),
        archived_at=_typed(record.get("archivedAt"), float, optional=True),
        is_upload=_typed(record.get("isUpload", False), bool),
        public_playback_id=_typed(record.get("publicPlaybackId"), str, optional=True),
    )
    return stored, missing


def _execution_record(execution: Execution, progress: int) -> dict[str, Any]:
    return {
        "id": execution.execution_id,
        "owner": execution.owner,
        "toolType": execution.tool_type,
        "createdAt": execution.created_at,
        "pendingS": execution.pending_s,
        "runningS": execution.running_s,
        "charged": execution.charged,
        "params": execution.params,
        "forcedError": execution.forced_error,
        "status": execution.status,
        "startedAt": execution.started_at,
        "progress": progress,
        "attemptIndex": execution.attempt,
        "results": execution.results,
        "error": execution.error,
    }


class SnapshotMixin(StateCore):
    _store: SnapshotStore | None
    _snapshot_seq: int
    _closed: bool
    _resumable: list[str]
    _queue: queue.Queue[str | None]

    # -- persistence -------------------------------------------------------------------------------
    def _save(self, final: bool = False) -> None:
        """Write a snapshot of everything; called after each change that matters, never on reads.

        The record lists are gathered under the lock (cheap: records of finished files and executions are
        encoded once and cached), the document is joined and written outside it, so polls never wait for
        the disk. Generations keep an older capture from overwriting a newer one; after the final save of
        stop() nothing is captured any more, since a new server may own data_dir by then.
        """
        store = self._store
        if store is None:
            return
        with self.lock:
            if self._closed:
                return
            self._closed = final
            self._snapshot_seq += 1
            generation = self._snapshot_seq
            accounts = json.dumps({key: _account_record(a) for key, a in self.accounts.items()})
            files = []
            for stored in self.files.values():
                if stored.asset_of is not None:
                    continue  # actor reference images: rebuilt from the catalogue at every start
                record = self._records.get(stored.file_id)
                if record is None:
                    record = _encode(_file_record(stored, self.data_dir))
                    # archive_file and finish_upload drop the cached record when they change a file
                    if all(source.status != "pending" for source in stored.sources.values()):
                        self._records[stored.file_id] = record
                files.append(record)
            executions = []
            for execution in self.executions.values():
                record = self._records.get(execution.execution_id)
                if record is None:
                    record = _encode(_execution_record(execution, self._progress(execution)))
                    if execution.status in TERMINAL_STATUSES:  # never changes again
                        self._records[execution.execution_id] = record
                executions.append(record)
        store.write(generation, store.encode(accounts, files, executions))

    def _restore(self, payload: dict[str, Any]) -> None:
        """Take over a previous server's world; an unusable snapshot is moved aside and we start empty."""
        assert self._store is not None
        timings = {
            "TEXT_TO_SPEECH": (self.config.tts_pending_s, self.config.tts_running_s),
            "GENERATE_AVATAR": (self.config.avatar_pending_s, self.config.avatar_running_s),
        }
        try:
            accounts = {
                _typed(key, str): _account_from_record(record) for key, record in payload["accounts"].items()
            }
            files: dict[str, StoredFile] = {}
            missing = 0
            for record in payload["files"]:
                stored, lost = _file_from_record(record, self.data_dir)
                files[stored.file_id] = stored
                missing += lost
            executions: dict[str, Execution] = {}
            for record in payload["executions"]:
                execution = self._execution_from_record(record, files, timings)
                executions[execution.execution_id] = execution
        except Exception as exc:  # whatever is wrong with it, start-up must not fail
            self._store.quarantine(f"unexpected content: {type(exc).__name__}: {exc}")
            return
        self.accounts.update(accounts)  # accounts from config that the snapshot does not know are kept
        self.files = files
        self.executions = executions
        self._resumable = [e.execution_id for e in executions.values() if e.status not in SETTLED_STATUSES]
        if missing:
            log.warning("sandbox: %d renditions lost their media on disk and are now failed", missing)
        self._remove_orphans()
        log.info(
            "sandbox state restored from %s: %d files, %d executions (%d to resume)",
            self._store.path,
            len(files),
            len(executions),
            len(self._resumable),
        )

    def _execution_from_record(
        self,
        record: dict[str, Any],
        files: dict[str, StoredFile],
        timings: dict[str, tuple[float, float]],
    ) -> Execution:
        execution_id = _typed(record["id"], str)
        if not execution_id.startswith(EXECUTION_PREFIXES):
            raise ValueError(f"{execution_id!r} is not an execution id")
        tool_type = _typed(record["toolType"], str)
        status = _typed(record["status"], str)
        if status not in (*SETTLED_STATUSES, "pending", "running"):
            raise ValueError(f"unknown execution status {status!r}")
        params = _typed(record["params"], dict)
        pending_s, running_s = _typed(record["pendingS"], float), _typed(record["runningS"], float)
        started_at: float | None = _typed(record.get("startedAt"), float, optional=True)
        if status not in SETTLED_STATUSES:
            if tool_type in timings:
                pending_s, running_s = timings[tool_type]  # re-run work follows this server's timings
            started_at = None  # progress holds at its last value until the run restarts
        results = [_typed(file_id, str) for file_id in _typed(record["results"], list)]
        if any(file_id not in files for file_id in results):
            raise ValueError(f"execution {execution_id} lists a file the snapshot does not hold")
        return Execution(
            execution_id=execution_id,
            owner=_typed(record["owner"], str),
            tool_type=tool_type,
            created_at=_typed(record["createdAt"], float),
            pending_s=pending_s,
            running_s=running_s,
            charged=_typed(record["charged"], float),
            job=self._job(tool_type, params),
            forced_error=_typed(record.get("forcedError"), dict, optional=True),
            status=status,
            started_at=started_at,
            progress=_typed(record.get("progress", 0), int),
            attempt=_typed(record.get("attemptIndex", 0), int),
            results=results,
            error=_typed(record.get("error"), dict, optional=True),
            params=params,
        )

    def _remove_orphans(self) -> None:
        """Media folders no snapshot record points at: outputs of renders cut short by the last stop."""
        removed = 0
        try:
            entries = list(self.files_dir.iterdir())
        except OSError:
            return
        for entry in entries:
            if not entry.name.startswith(FILE_PREFIX) or not entry.is_dir():
                continue
            stored = self.files.get(entry.name)
            if stored is None:
                shutil.rmtree(entry, ignore_errors=True)
                removed += 1
            elif stored.is_upload:
                for part in entry.glob("upload.*.part"):  # a PUT interrupted by the stop
                    part.unlink(missing_ok=True)
        if removed:
            log.info("sandbox: removed %d unreferenced media folders", removed)

    def _resume(self) -> None:
        """Queue restored executions that had not finished; they were charged when first submitted."""
        with self.lock:
            for execution_id in self._resumable:
                execution = self.executions.get(execution_id)
                if execution is None or execution.status in SETTLED_STATUSES or self._stopped:
                    continue
                if execution.status == "running":
                    execution.attempt += 1  # the interrupted run starts over: a new attempt
                    self._queue.put(execution_id)  # straight back to a render slot
                    continue
                delay = max(0.0, execution.created_at + execution.pending_s - time.time())
                execution.timer = threading.Timer(delay, self._queue.put, (execution_id,))
                execution.timer.daemon = True
                execution.timer.start()
            self._resumable.clear()
