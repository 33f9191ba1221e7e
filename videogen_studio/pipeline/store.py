"""SQLite job store: the queue's source of truth across restarts.

One row per job, plus one row per lease (which process drives which job; see lease.py). A few columns
are real (and indexed) so the store can sort and filter without parsing; the whole job, spec included, is
kept as JSON in `data`, so adding a field to RenderJob needs no migration: old rows simply lack the key and
`job_from_dict` fills in the default.

WAL with synchronous=NORMAL makes an ordinary save a single append to the WAL without an fsync (tens of
microseconds), which is what we want for progress and state updates. The few saves that guard money (the
state written before a paid POST and the ids learned right after) pass `durable=True` and fsync, so even a
power cut cannot roll them back and make the app submit the same render twice. In WAL mode that fsync is
of the log after the commit (what synchronous=FULL does), made outside the store's lock: a save may run in
a worker thread (the runner's do) while the event loop's own saves go on, however slow the disk.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..api.errors import LocalFileError
from ..api.redact import redact
from .failures import set_kind
from .jobs import JobState, RenderJob, RenderSpec
from .lease import DEFAULT_TTL_S, Lease, owner_is_dead

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


def _migrate_3(db: sqlite3.Connection) -> None:
    """Leases (who drives which job) and each job's spec fingerprint (to find the same job after a crash)."""
    db.execute(
        """CREATE TABLE leases (
               job_id     TEXT PRIMARY KEY,
               owner      TEXT NOT NULL,
               expires_at REAL NOT NULL
           )"""
    )
    db.execute("ALTER TABLE jobs ADD COLUMN fingerprint TEXT")
    db.execute("CREATE INDEX jobs_fingerprint ON jobs (fingerprint, created_at)")
    rows = db.execute("SELECT job_id, data FROM jobs").fetchall()
    for job_id, data in rows:
        job = _parse_row(job_id, data)
        if job is not None:
            db.execute("UPDATE jobs SET fingerprint = ? WHERE job_id = ?", (job.spec.fingerprint(), job_id))


#: MIGRATIONS[i] upgrades a database from user_version i to i + 1. Append only; never edit a shipped one.
MIGRATIONS: Sequence[Callable[[sqlite3.Connection], None]] = (_migrate_1, _migrate_2, _migrate_3)
SCHEMA_VERSION = len(MIGRATIONS)


class StoreReadOnly(LocalFileError):
    """The job database is open read-only (written by a newer version): nothing can be saved."""

    hint = "Update the app, or start it with another data folder."


class LeaseLost(RuntimeError):
    """Another process holds this job's lease: this process must stop driving it and save nothing."""

    def __init__(self, job_id: str, holder: str) -> None:
        super().__init__(f"job {job_id} is driven by {holder}")
        self.job_id = job_id
        self.holder = holder


#: SQLite result codes (primary) we turn into a clear local-file error instead of a traceback.
_SQLITE_READONLY, _SQLITE_CANTOPEN, _SQLITE_FULL, _SQLITE_IOERR = 8, 14, 13, 10
_SQLITE_CORRUPT, _SQLITE_NOTADB, _SQLITE_PERM, _SQLITE_BUSY = 11, 26, 3, 5


def _primary_code(exc: sqlite3.Error) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    return None if code is None else int(code) & 0xFF


def _is_corruption(exc: sqlite3.Error) -> bool:
    return isinstance(exc, sqlite3.DatabaseError) and _primary_code(exc) in (_SQLITE_CORRUPT, _SQLITE_NOTADB)


def _local_error(exc: sqlite3.Error, path: Path, action: str) -> LocalFileError:
    """A clear LocalFileError (kind disk_full or local_file) for an SQLite failure to read or write."""
    code = _primary_code(exc)
    if code == _SQLITE_FULL:
        error = LocalFileError(f"Could not {action}: the disk holding {path.parent} is full.")
        kind = "disk_full"
    elif code in (_SQLITE_READONLY, _SQLITE_PERM, _SQLITE_CANTOPEN):
        error = LocalFileError(
            f"Could not {action}: {path.parent} cannot be written (read-only folder or no permission)."
        )
        kind = "local_file"
    elif code == _SQLITE_BUSY:
        error = LocalFileError(f"Could not {action}: another program keeps the job database {path} busy.")
        kind = "local_file"
    else:
        error = LocalFileError(f"Could not {action} ({path}): {exc}")
        kind = "local_file"
    set_kind(error, kind)
    return error


#: Durable saves between two background checkpoints (five per render; each writes a few WAL pages).
CHECKPOINT_EVERY = 16


def _os_error(exc: OSError, path: Path, action: str) -> LocalFileError:
    error = LocalFileError(f"Could not {action} ({path}): {exc.strerror or exc}")
    set_kind(error, "disk_full" if exc.errno == errno.ENOSPC else "local_file")
    return error


def _error_texts_redacted(job: RenderJob) -> RenderJob:
    """The job with every text that may quote a server or an exception scrubbed of secrets."""
    changes: dict[str, str] = {}
    for name in ("error_message", "error_hint", "notice"):
        text = getattr(job, name)
        if text:
            clean = redact(text)
            if clean != text:
                changes[name] = clean
    return dataclasses.replace(job, **changes) if changes else job  # type: ignore[arg-type]


class JobStore:
    """Persistent jobs and their leases. Safe to call from any thread (one connection behind a lock).

    Opening never fails on a damaged file: a corrupt database is moved aside and an empty one starts
    (`recovery_notice` names the moved file); a database from a newer version of the app is opened
    read-only (`read_only`, `recovery_notice`) and never written. A save that cannot be written (full
    disk, read-only folder) raises `LocalFileError` with kind `disk_full` or `local_file`.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._wal: Path | None = None
        self._durable_saves = 0
        self._checkpoint_lock = threading.Lock()
        self._checkpointer: sqlite3.Connection | None = None  # opened by the first background checkpoint
        #: Set when the database could not be used as found; a sentence for the user, naming any moved file.
        self.recovery_notice: str | None = None
        #: True for a database written by a newer app version: readable, never written.
        self.read_only = False
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            error = LocalFileError(
                f"Could not create the data folder {self.path.parent}: {exc.strerror or exc}"
            )
            set_kind(error, "disk_full" if exc.errno == errno.ENOSPC else "local_file")
            raise error from exc
        self._db = self._open()

    # ------------------------------------------------------------------------------------------ schema
    def _open(self) -> sqlite3.Connection:
        try:
            return self._open_checked()
        except sqlite3.Error as exc:
            if not _is_corruption(exc):
                raise _local_error(exc, self.path, "open the job database") from exc
            aside = self._move_aside()
            log.warning("Job database %s is damaged (%s); moved it to %s", self.path, exc, aside)
            self.recovery_notice = (
                f"The job database was damaged and has been moved aside to {aside}; "
                "the render queue starts empty."
            )
            try:
                return self._open_checked()
            except sqlite3.Error as again:
                raise _local_error(again, self.path, "create a new job database") from again

    def _open_checked(self) -> sqlite3.Connection:
        # isolation_level=None: we issue BEGIN/COMMIT ourselves so a migration is one transaction.
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=10.0)
        try:
            version = int(db.execute("PRAGMA user_version").fetchone()[0])  # garbage fails here
            check = [str(row[0]) for row in db.execute("PRAGMA quick_check").fetchall()]
            if check != ["ok"]:  # a truncated file reads its header fine; its pages do not
                raise sqlite3.DatabaseError(f"quick_check: {'; '.join(check[:3])}")
            if version > SCHEMA_VERSION:
                db.close()
                return self._open_read_only(version)
            mode = str(db.execute("PRAGMA journal_mode=WAL").fetchone()[0]).lower()
            db.execute("PRAGMA synchronous=NORMAL")
            #: The log a durable save fsyncs after its commit; None when SQLite could not use WAL here.
            self._wal = self.path.with_name(self.path.name + "-wal") if mode == "wal" else None
            self._migrate(db)
        except sqlite3.DatabaseError as exc:
            db.close()
            if isinstance(exc, sqlite3.OperationalError) or _primary_code(exc) is not None:
                raise
            # Our own quick_check verdict carries no SQLite code: mark it as corruption.
            corrupt = sqlite3.DatabaseError(str(exc))
            corrupt.sqlite_errorcode = _SQLITE_CORRUPT
            raise corrupt from exc
        except BaseException:
            db.close()
            raise
        return db

    def _open_read_only(self, version: int) -> sqlite3.Connection:
        """A newer app's database: read it, never write it (not even a migration or a checkpoint)."""
        log.warning(
            "Job database %s has schema version %d, newer than this app's %d; opened read-only.",
            self.path,
            version,
            SCHEMA_VERSION,
        )
        self.read_only = True
        self.recovery_notice = (
            f"The job database {self.path} was written by a newer version of the app; it is shown read-only "
            "and nothing new can be saved until you update."
        )
        uri = f"{self.path.resolve().as_uri()}?mode=ro"
        db = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False, timeout=10.0)
        db.execute("PRAGMA query_only=ON")  # belt and braces: this connection refuses every write
        return db

    def _move_aside(self) -> Path:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        n = 2
        while aside.exists():
            aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}-{n}")
            n += 1
        try:
            self.path.replace(aside)
            for suffix in ("-wal", "-shm"):  # a WAL written against the damaged file must not replay
                extra = self.path.with_name(self.path.name + suffix)
                if extra.exists():
                    extra.replace(aside.with_name(aside.name + suffix))
        except OSError as exc:
            error = LocalFileError(
                f"The job database {self.path} is damaged and could not be moved aside: {exc.strerror or exc}"
            )
            set_kind(error, "local_file")
            raise error from exc
        return aside

    @property
    def schema_version(self) -> int:
        with self._lock:
            return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self, db: sqlite3.Connection) -> None:
        current = int(db.execute("PRAGMA user_version").fetchone()[0])
        for version in range(current, SCHEMA_VERSION):
            db.execute("BEGIN IMMEDIATE")
            try:
                MIGRATIONS[version](db)
                db.execute(f"PRAGMA user_version = {version + 1}")
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            if version:
                log.info("Migrated job database %s to schema version %d", self.path, version + 1)

    @property
    def journal_mode(self) -> str:
        with self._lock:
            return str(self._db.execute("PRAGMA journal_mode").fetchone()[0])

    # ------------------------------------------------------------------------------------------- rows
    def save(
        self,
        job: RenderJob,
        *,
        durable: bool = False,
        owner: str | None = None,
        lease_ttl_s: float = DEFAULT_TTL_S,
    ) -> None:
        """Insert or replace the job. `durable=True` also fsyncs the WAL (use before/after paid requests).

        With `owner`, the write happens only while the job's lease names `owner` (even expired: nobody took
        it) and renews that lease in the same transaction; a lease gone or taken by another owner raises
        `LeaseLost` and nothing is written (claim the job first). Error texts are redacted before they
        reach the disk.
        """
        self._write_jobs([job], durable=durable, owner=owner, lease_ttl_s=lease_ttl_s, check_lease=True)

    def save_many(
        self, jobs: Sequence[RenderJob], *, owner: str | None = None, lease_ttl_s: float = DEFAULT_TTL_S
    ) -> None:
        """Insert or replace many jobs in ONE transaction (a burst of submissions costs one commit).

        With `owner`, each job's lease is taken for `owner` too (meant for new jobs nobody else knows).
        """
        if jobs:
            self._write_jobs(
                list(jobs), durable=False, owner=owner, lease_ttl_s=lease_ttl_s, check_lease=False
            )

    def _write_jobs(
        self,
        jobs: list[RenderJob],
        *,
        durable: bool,
        owner: str | None,
        lease_ttl_s: float,
        check_lease: bool,
    ) -> None:
        if self.read_only:
            raise self._read_only_error()
        rows = []
        for job in jobs:
            job = _error_texts_redacted(job)
            data = json.dumps(job_to_dict(job), separators=(",", ":"), ensure_ascii=False)
            rows.append(
                (job.job_id, job.state.value, job.created_at, job.updated_at, data, job.spec.fingerprint())
            )
        # WAL: commit without a sync under the lock, then fsync the log outside it (see the docstring).
        wal = self._wal if durable else None
        with self._transaction("save the render queue", durable=durable and wal is None) as db:
            now = time.time()
            if owner is not None and check_lease:
                for row in rows:
                    # Our own lease may have expired (a suspended laptop): nobody took it, so go on. A lease
                    # gone or under another name means another process took the job meanwhile and may have
                    # moved it on (paid a step): our copy is stale and must not be written.
                    holder = self._holder(row[0])
                    if holder != owner:
                        raise LeaseLost(row[0], holder or "another process (it let go)")
            db.executemany(
                "INSERT INTO jobs (job_id, state, created_at, updated_at, data, fingerprint)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(job_id)"
                " DO UPDATE SET state = excluded.state,"
                " updated_at = excluded.updated_at, data = excluded.data,"
                " fingerprint = excluded.fingerprint",
                rows,
            )
            if owner is not None:
                db.executemany(
                    "INSERT INTO leases (job_id, owner, expires_at) VALUES (?, ?, ?)"
                    " ON CONFLICT(job_id) DO UPDATE SET owner = excluded.owner,"
                    " expires_at = excluded.expires_at",
                    [(row[0], owner, now + lease_ttl_s) for row in rows],
                )
        if wal is not None:
            self._sync_file(wal, "save the render queue")
            self._durable_saves += 1
            if self._durable_saves % CHECKPOINT_EVERY == 0:
                self._checkpoint_aside()

    def _checkpoint_aside(self) -> None:
        """Merge the WAL into the database from a connection of its own, beside the writers (PASSIVE).

        SQLite's automatic checkpoint runs inside whichever commit crosses 1,000 log pages, with two fsyncs;
        made here now and then (on a durable save, in its worker) the log rarely gets that far. Skipped when
        another thread is at it; a failure only leaves the automatic checkpoint to do the work.
        """
        if not self._checkpoint_lock.acquire(blocking=False):
            return
        try:
            if self._checkpointer is None:
                self._checkpointer = sqlite3.connect(
                    self.path, isolation_level=None, check_same_thread=False, timeout=0.0
                )
            self._checkpointer.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error as exc:
            log.debug("Background WAL checkpoint failed: %s", exc)
        finally:
            self._checkpoint_lock.release()

    def _sync_file(self, path: Path, action: str) -> None:
        """fsync `path` (the WAL): every commit made before this call survives a power cut."""
        try:
            fd = os.open(path, os.O_RDWR | getattr(os, "O_BINARY", 0))
        except FileNotFoundError:
            return  # the log was merged into the database and removed (a closing connection syncs that)
        except OSError as exc:
            raise _os_error(exc, path, action) from exc
        try:
            os.fsync(fd)
        except OSError as exc:
            raise _os_error(exc, path, action) from exc
        finally:
            os.close(fd)

    @contextlib.contextmanager
    def _transaction(self, action: str, *, durable: bool = False) -> Iterator[sqlite3.Connection]:
        """One write transaction under the lock: BEGIN IMMEDIATE … COMMIT, ROLLBACK on any error.

        An SQLite failure becomes a clear `LocalFileError` ("Could not <action>: …"); `durable=True` fsyncs
        the commit (synchronous=FULL for this transaction only).
        """
        with self._lock:
            try:
                if durable:
                    # PRAGMA synchronous cannot change inside a transaction, so set it around ours.
                    self._db.execute("PRAGMA synchronous=FULL")
                try:
                    self._db.execute("BEGIN IMMEDIATE")
                    try:
                        yield self._db
                        self._db.execute("COMMIT")
                    except BaseException:
                        if self._db.in_transaction:
                            self._db.execute("ROLLBACK")
                        raise
                finally:
                    if durable:
                        self._db.execute("PRAGMA synchronous=NORMAL")
            except sqlite3.Error as exc:
                raise _local_error(exc, self.path, action) from exc

    def update_title(self, job_id: str, title: str) -> RenderJob | None:
        """Set only the stored job's `spec.title` (read, change, write in one transaction) and return it.

        Whatever else another process saved meanwhile (state, ids) is kept. None for an unknown job.
        """
        if self.read_only:
            raise self._read_only_error()
        with self._transaction("save the title") as db:
            row = db.execute("SELECT job_id, data FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
            job = None if row is None else _parse_row(row[0], row[1])
            if job is None:
                return None
            job = dataclasses.replace(job, spec=dataclasses.replace(job.spec, title=title))
            data = json.dumps(job_to_dict(job), separators=(",", ":"), ensure_ascii=False)
            db.execute(
                "UPDATE jobs SET data = ?, fingerprint = ? WHERE job_id = ?",
                (data, job.spec.fingerprint(), job_id),
            )
        return job

    def _holder(self, job_id: str) -> str | None:
        """The owner named on `job_id`'s lease, expired or not (call with the lock held)."""
        row = self._db.execute("SELECT owner FROM leases WHERE job_id = ?", (job_id,)).fetchone()
        return None if row is None else str(row[0])

    def check_writable(self) -> None:
        """Raise StoreReadOnly when nothing can be saved (a newer app's database)."""
        if self.read_only:
            raise self._read_only_error()

    def _read_only_error(self) -> StoreReadOnly:
        error = StoreReadOnly(
            f"The job database {self.path} belongs to a newer version of the app; nothing can be saved."
        )
        set_kind(error, "local_file")
        return error

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

    def find_by_fingerprint(self, fingerprint: str) -> RenderJob | None:
        """The newest job (still in the store) whose spec has this fingerprint, or None."""
        with self._lock:
            rows = self._db.execute(
                "SELECT job_id, data FROM jobs WHERE fingerprint = ? ORDER BY created_at DESC, job_id DESC",
                (fingerprint,),
            ).fetchall()
        for job_id, data in rows:
            job = _parse_row(job_id, data)
            if job is not None and job.spec.fingerprint() == fingerprint:
                return job
        return None

    def delete(self, job_id: str) -> None:
        if self.read_only:
            raise self._read_only_error()
        with self._transaction("remove the render") as db:
            db.execute("DELETE FROM jobs WHERE job_id = ?", (job_id,))
            db.execute("DELETE FROM leases WHERE job_id = ?", (job_id,))

    # ----------------------------------------------------------------------------------------- leases
    def claim(self, job_id: str, owner: str, ttl_s: float = DEFAULT_TTL_S) -> bool:
        """Take the lease on `job_id` for `owner` for `ttl_s` seconds; False when another live owner has it.

        Atomic in SQL (one upsert whose update is conditional), so of two processes claiming at once exactly
        one wins. A lease that expired, or whose holder is a dead process on this host, may be taken over.
        """
        return job_id in self.claim_many([job_id], owner, ttl_s)

    def claim_many(self, job_ids: Sequence[str], owner: str, ttl_s: float = DEFAULT_TTL_S) -> set[str]:
        """`claim` for many jobs in one transaction (a queue starting with hundreds of jobs); the ids won."""
        if self.read_only or not job_ids:
            return set()  # nobody may drive a job whose every step could not be saved
        won: set[str] = set()
        with self._transaction("claim the renders") as db:
            now = time.time()
            for job_id in job_ids:
                row = db.execute("SELECT owner FROM leases WHERE job_id = ?", (job_id,)).fetchone()
                holder = None if row is None else str(row[0])
                dead = holder if holder is not None and holder != owner and owner_is_dead(holder) else None
                cursor = db.execute(
                    "INSERT INTO leases (job_id, owner, expires_at) VALUES (?, ?, ?)"
                    " ON CONFLICT(job_id) DO UPDATE SET owner = excluded.owner,"
                    " expires_at = excluded.expires_at"
                    " WHERE leases.owner = excluded.owner OR leases.expires_at <= ? OR leases.owner IS ?",
                    (job_id, owner, now + ttl_s, now, dead),
                )
                if cursor.rowcount == 1:
                    won.add(job_id)
        return won

    def renew(self, job_id: str, owner: str, ttl_s: float = DEFAULT_TTL_S) -> bool:
        """Extend `owner`'s lease; False when `owner` no longer holds it (then stop driving the job)."""
        if self.read_only:
            return False
        with self._lock:
            try:
                cursor = self._db.execute(
                    "UPDATE leases SET expires_at = ? WHERE job_id = ? AND owner = ?",
                    (time.time() + ttl_s, job_id, owner),
                )
            except sqlite3.Error as exc:
                raise _local_error(exc, self.path, "renew the render's lease") from exc
            return cursor.rowcount == 1

    def renew_many(self, job_ids: Sequence[str], owner: str, ttl_s: float = DEFAULT_TTL_S) -> set[str]:
        """Renew several leases in one transaction; returns the ids `owner` no longer holds."""
        if not job_ids or self.read_only:
            return set(job_ids)
        lost: set[str] = set()
        until = time.time() + ttl_s
        with self._transaction("renew the renders' leases") as db:
            for job_id in job_ids:
                cursor = db.execute(
                    "UPDATE leases SET expires_at = ? WHERE job_id = ? AND owner = ?",
                    (until, job_id, owner),
                )
                if cursor.rowcount != 1:
                    lost.add(job_id)
        return lost

    def release(self, job_id: str, owner: str) -> None:
        """Give up `owner`'s lease on `job_id` (a no-op when someone else holds it)."""
        if self.read_only:
            return
        with self._lock:
            try:
                self._db.execute("DELETE FROM leases WHERE job_id = ? AND owner = ?", (job_id, owner))
            except sqlite3.Error as exc:
                log.info("Could not release the lease on %s: %s", job_id, exc)

    def release_all(self, owner: str) -> None:
        """Give up every lease `owner` holds (a queue closing)."""
        if self.read_only:
            return
        with self._lock:
            try:
                self._db.execute("DELETE FROM leases WHERE owner = ?", (owner,))
            except sqlite3.Error as exc:
                log.info("Could not release the leases of %s: %s", owner, exc)

    def lease(self, job_id: str) -> Lease | None:
        """The lease on `job_id` as stored (possibly expired), or None."""
        with self._lock:
            row = self._db.execute(
                "SELECT owner, expires_at FROM leases WHERE job_id = ?", (job_id,)
            ).fetchone()
        return None if row is None else Lease(job_id, str(row[0]), float(row[1]))

    def leases(self) -> dict[str, Lease]:
        """Every stored lease by job id (possibly expired)."""
        with self._lock:
            rows = self._db.execute("SELECT job_id, owner, expires_at FROM leases").fetchall()
        return {str(r[0]): Lease(str(r[0]), str(r[1]), float(r[2])) for r in rows}

    def close(self) -> None:
        with self._checkpoint_lock:
            if self._checkpointer is not None:
                self._checkpointer.close()
                self._checkpointer = None
        with self._lock:
            if not self.read_only:
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
