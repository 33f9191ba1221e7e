"""SQLite job store: the queue's source of truth across restarts.

One row per job. A few columns are real (and indexed) so the store can sort and filter without parsing;
the whole job, spec included, is kept as JSON in `data`, so adding a field to RenderJob needs no migration:
old rows simply lack the key and `job_from_dict` fills in the default.

WAL with synchronous=NORMAL makes an ordinary save a single append to the WAL without an fsync (tens of
microseconds), which is what we want for progress and state updates. The few saves that guard money (the
state written before a paid POST and the ids learned right after) pass `durable=True` and fsync, so even a
power cut cannot roll them back and make the app submit the same render twice.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import sqlite3
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .jobs import JobState, RenderJob, RenderSpec

log = logging.getLogger(__name__)


# ------------------------------------------------------------------------------------------ serialisation
def job_to_dict(job: RenderJob) -> dict[str, Any]:
    """Plain JSON-able dict of a job (spec nested, state as its string value)."""
    data: dict[str, Any] = {}
    for f in dataclasses.fields(job):
        value = getattr(job, f.name)
        if f.name == "spec":
            value = _spec_to_dict(value)
        elif isinstance(value, JobState):
            value = value.value
        elif isinstance(value, tuple):
            value = list(value)
        data[f.name] = value
    return data


def _spec_to_dict(spec: RenderSpec) -> dict[str, Any]:
    data = {f.name: getattr(spec, f.name) for f in dataclasses.fields(spec)}
    # Enum members (WatermarkMode, AvatarQuality) are stored as their plain string values.
    data["watermark_mode"] = str(spec.watermark_mode)
    if spec.avatar_quality is not None:
        data["avatar_quality"] = str(spec.avatar_quality)
    data["replacements"] = [list(pair) for pair in spec.replacements]
    return data


def job_from_dict(data: Mapping[str, Any]) -> RenderJob:
    """Rebuild a job. Unknown keys are ignored; missing or mistyped optional keys get their defaults.

    Raises ValueError when the row cannot be a job at all (no id, no spec, no script, unknown state).
    """
    if not isinstance(data, Mapping):
        raise ValueError(f"job data is {type(data).__name__}, not an object")
    spec = _spec_from_dict(data.get("spec"))
    job_id = data.get("job_id")
    if not isinstance(job_id, str) or not job_id:
        raise ValueError("job has no job_id")
    raw_state = data.get("state", JobState.QUEUED.value)
    try:
        state = JobState(raw_state)
    except ValueError:
        # A state from a newer app version: we cannot drive it, so the caller skips the row.
        raise ValueError(f"unknown job state {raw_state!r}") from None
    kwargs: dict[str, Any] = {"spec": spec, "job_id": job_id, "state": state}
    for name, kinds in _JOB_FIELD_TYPES.items():
        if name in data:
            value = _coerce(data[name], kinds)
            if value is not _INVALID:
                kwargs[name] = value
    return RenderJob(**kwargs)


def _spec_from_dict(data: Any) -> RenderSpec:
    if not isinstance(data, Mapping):
        raise ValueError("job has no spec")
    presenter_id, script = data.get("presenter_id"), data.get("script")
    if not isinstance(presenter_id, str) or not presenter_id or not isinstance(script, str):
        raise ValueError("spec lacks presenter_id or script")
    kwargs: dict[str, Any] = {"presenter_id": presenter_id, "script": script}
    for name, kinds in _SPEC_FIELD_TYPES.items():
        if name in data:
            value = _coerce(data[name], kinds)
            if value is not _INVALID:
                kwargs[name] = value
    raw_pairs = data.get("replacements")
    if isinstance(raw_pairs, list):
        kwargs["replacements"] = tuple(
            (str(p[0]), str(p[1])) for p in raw_pairs if isinstance(p, (list, tuple)) and len(p) == 2
        )
    return RenderSpec(**kwargs)


_INVALID = object()
_NONE = type(None)

# Written out rather than read from annotations: `from __future__ import annotations` makes those strings,
# and an explicit table also documents what a stored row may contain.
_SPEC_FIELD_TYPES: dict[str, tuple[type, ...]] = {
    "voice_id": (str, _NONE),
    "presenter_name": (str,),
    "presenter_thumbnail_url": (str,),
    "language_code": (str, _NONE),
    "voice_speed": (float, _NONE),
    "auto_expand": (bool,),
    "watermark_mode": (str,),
    "temporary": (bool,),
    "output_dir": (str,),
    "avatar_form": (str,),
    "avatar_quality": (str, _NONE),
    "num_results": (int,),
    "audio_path": (str,),
    "title": (str,),
}
_JOB_FIELD_TYPES: dict[str, tuple[type, ...]] = {
    "created_at": (float,),
    "updated_at": (float,),
    "started_at": (float, _NONE),
    "finished_at": (float, _NONE),
    "tts_execution_id": (str, _NONE),
    "audio_file_id": (str, _NONE),
    "avatar_execution_id": (str, _NONE),
    "video_file_id": (str, _NONE),
    "output_path": (str, _NONE),
    "duration_seconds": (float, _NONE),
    "stage_progress": (float,),
    "error_message": (str, _NONE),
    "error_hint": (str, _NONE),
    "error_code": (str, _NONE),
    "uncertain": (bool,),
    "attempts": (int,),
    "video_file_ids": (tuple,),
    "output_paths": (tuple,),
    "error_kind": (str, _NONE),
    "notice": (str, _NONE),
    "awaiting_approval": (bool,),
}


def _coerce(value: Any, kinds: tuple[type, ...]) -> Any:
    if tuple in kinds:  # the only tuples in a job are tuples of strings, stored as JSON lists
        if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
            return tuple(value)
        return _INVALID
    if value is None:
        return None if _NONE in kinds else _INVALID
    if isinstance(value, bool):  # bool is an int subclass; only accept it where a bool is expected
        return value if bool in kinds else _INVALID
    if float in kinds and isinstance(value, int):
        return float(value)
    if isinstance(value, tuple(k for k in kinds if k is not _NONE)):
        return value
    return _INVALID


# -------------------------------------------------------------------------------------------- migrations
def _migrate_1(db: sqlite3.Connection) -> None:
    """The first layout: id, state, creation time and the job as JSON."""
    db.execute(
        """CREATE TABLE jobs (
               job_id     TEXT PRIMARY KEY,
               state      TEXT NOT NULL,
               created_at REAL NOT NULL,
               data       TEXT NOT NULL
           )"""
    )
    db.execute("CREATE INDEX jobs_created_at ON jobs (created_at)")


def _migrate_2(db: sqlite3.Connection) -> None:
    """updated_at as a column (backfilled from the JSON) and a state index for "what is unfinished"."""
    db.execute("ALTER TABLE jobs ADD COLUMN updated_at REAL NOT NULL DEFAULT 0")
    db.execute(
        "UPDATE jobs SET updated_at = COALESCE(CAST(json_extract(data, '$.updated_at') AS REAL), created_at)"
        " WHERE json_valid(data)"
    )
    db.execute("UPDATE jobs SET updated_at = created_at WHERE NOT json_valid(data)")
    db.execute("CREATE INDEX jobs_state ON jobs (state)")


#: MIGRATIONS[i] upgrades a database from user_version i to i + 1. Append only; never edit a shipped one.
MIGRATIONS: Sequence[Callable[[sqlite3.Connection], None]] = (_migrate_1, _migrate_2)
SCHEMA_VERSION = len(MIGRATIONS)


class JobStore:
    """Persistent jobs. Safe to call from any thread (one connection behind a lock); calls are short."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        # isolation_level=None: we issue BEGIN/COMMIT ourselves so a migration is one transaction.
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=10.0)
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._migrate()
        except BaseException:
            self._db.close()
            raise

    # ------------------------------------------------------------------------------------------ schema
    @property
    def schema_version(self) -> int:
        with self._lock:
            return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        current = int(self._db.execute("PRAGMA user_version").fetchone()[0])
        if current > SCHEMA_VERSION:
            # Written by a newer app. Newer versions only add columns and indexes, and every field lives in
            # the JSON, so reading and writing the core columns still works; we just never touch the version.
            log.warning(
                "Job database %s has schema version %d, newer than this app's %d; using it as is.",
                self.path,
                current,
                SCHEMA_VERSION,
            )
            return
        for version in range(current, SCHEMA_VERSION):
            self._db.execute("BEGIN IMMEDIATE")
            try:
                MIGRATIONS[version](self._db)
                self._db.execute(f"PRAGMA user_version = {version + 1}")
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            if version:
                log.info("Migrated job database %s to schema version %d", self.path, version + 1)

    @property
    def journal_mode(self) -> str:
        with self._lock:
            return str(self._db.execute("PRAGMA journal_mode").fetchone()[0])

    # ------------------------------------------------------------------------------------------- rows
    def save(self, job: RenderJob, *, durable: bool = False) -> None:
        """Insert or replace the job. `durable=True` also fsyncs the WAL (use before/after paid requests)."""
        data = json.dumps(job_to_dict(job), separators=(",", ":"), ensure_ascii=False)
        with self._lock:
            if durable:
                # PRAGMA synchronous cannot change inside a transaction; the upsert below is its own one.
                self._db.execute("PRAGMA synchronous=FULL")
            try:
                self._db.execute(
                    "INSERT INTO jobs (job_id, state, created_at, updated_at, data) VALUES (?, ?, ?, ?, ?)"
                    " ON CONFLICT(job_id) DO UPDATE SET state = excluded.state,"
                    " updated_at = excluded.updated_at, data = excluded.data",
                    (job.job_id, job.state.value, job.created_at, job.updated_at, data),
                )
            finally:
                if durable:
                    self._db.execute("PRAGMA synchronous=NORMAL")

    def get(self, job_id: str) -> RenderJob | None:
        with self._lock:
            row = self._db.execute("SELECT job_id, data FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
        return None if row is None else _parse_row(row[0], row[1])

    def load_all(self) -> list[RenderJob]:
        """Every readable job, newest first. Unreadable rows are logged and skipped, never fatal."""
        with self._lock:
            rows = self._db.execute(
                "SELECT job_id, data FROM jobs ORDER BY created_at DESC, job_id DESC"
            ).fetchall()
        jobs = []
        for job_id, data in rows:
            job = _parse_row(job_id, data)
            if job is not None:
                jobs.append(job)
        return jobs

    def delete(self, job_id: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM jobs WHERE job_id = ?", (job_id,))

    def close(self) -> None:
        with self._lock:
            try:
                # Fold the WAL back into the main file so a closed store is a single self-contained file.
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error as exc:
                log.debug("WAL checkpoint on close failed: %s", exc)
            self._db.close()

    def __enter__(self) -> JobStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _parse_row(job_id: Any, data: Any) -> RenderJob | None:
    try:
        job = job_from_dict(json.loads(data))
    except (ValueError, TypeError) as exc:  # JSONDecodeError is a ValueError
        log.warning("Skipping unreadable job %r in the job database: %s", job_id, exc)
        return None
    if job.job_id != job_id:
        log.warning("Skipping job row %r whose data names job %r", job_id, job.job_id)
        return None
    return job
