"""One process per data folder: an exclusive OS lock the GUI and the CLI both take before driving jobs.

The lock is a kernel lock on an open file (`fcntl.flock` on Linux/macOS, `msvcrt.locking` on Windows), so
it dies with the process that holds it: after a crash or `kill -9` there is no stale lock to clean up. The
lock file itself is never deleted (deleting it would let two processes lock two different files).

Beside it, the holder writes who it is (pid, "gui" or "cli", and the name of the GUI's local socket) so a
second GUI can bring the first one's window forward and a CLI can say that the GUI has this folder.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Literal

from ..fileio import atomic_write

LOCK_FILE = "studio.lock"
HOLDER_FILE = "studio.lock.json"

HolderKind = Literal["gui", "cli", "unknown"]


@dataclass(frozen=True, slots=True)
class LockHolder:
    pid: int  # 0 when the holder has not said who it is yet
    kind: HolderKind
    socket_name: str  # the GUI's QLocalServer name; "" for a CLI
    started_at: float = 0.0


def socket_name_for(folder: Path) -> str:
    """A local-socket name unique to this data folder (and short enough for every platform's limits)."""
    digest = hashlib.sha256(str(Path(folder).resolve()).encode("utf-8")).hexdigest()[:16]
    return f"videogen-studio-{digest}"


class DataFolderLock:
    """Exclusive lock on `folder`. `acquire()` never blocks; `holder()` says who has it.

    Usable as a context manager (acquire on enter, raising `FolderLocked` when another process has it).
    """

    def __init__(self, folder: Path, kind: HolderKind = "gui", *, socket_name: str | None = None) -> None:
        self.folder = Path(folder)
        self.kind: HolderKind = kind
        self.socket_name = socket_name if socket_name is not None else socket_name_for(self.folder)
        self._fd: int | None = None

    @property
    def lock_path(self) -> Path:
        return self.folder / LOCK_FILE

    @property
    def holder_path(self) -> Path:
        return self.folder / HOLDER_FILE

    @property
    def held(self) -> bool:
        """True while this object holds the lock."""
        return self._fd is not None

    def acquire(self) -> bool:
        """Take the lock if nobody has it; True when this process holds it now (also when it already did)."""
        if self._fd is not None:
            return True
        self.folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)  # non-inheritable by default (PEP 446)
        if not _try_lock(fd):
            os.close(fd)
            return False
        self._fd = fd
        me = LockHolder(os.getpid(), self.kind, self.socket_name if self.kind == "gui" else "", time.time())
        # Without the note the lock still holds; others then see an anonymous holder.
        with contextlib.suppress(OSError):
            atomic_write(self.holder_path, json.dumps(_as_json(me)))
        return True

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        # Remove our note first, while we still hold the lock, so nobody reads it as a live holder.
        with contextlib.suppress(OSError):
            current = _read_holder(self.holder_path)
            if current is not None and current.pid == os.getpid():
                self.holder_path.unlink()
        with contextlib.suppress(OSError):
            _unlock(fd)
        os.close(fd)

    def holder(self) -> LockHolder | None:
        """Who holds the lock now (this process included), or None when it is free."""
        if self._fd is not None:
            return _read_holder(self.holder_path) or LockHolder(os.getpid(), self.kind, self.socket_name)
        try:
            fd = os.open(self.lock_path, os.O_RDWR)
        except FileNotFoundError:
            return None
        try:
            if _try_lock(fd):  # free: nobody holds it (a note left by a killed holder is stale)
                _unlock(fd)
                return None
        finally:
            os.close(fd)
        # Held: the note may lag behind the lock by a moment; an anonymous holder is still a holder.
        return _read_holder(self.holder_path) or LockHolder(0, "unknown", "")

    def __enter__(self) -> DataFolderLock:
        if not self.acquire():
            raise FolderLocked(self.folder, self.holder())
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()

    def __del__(self) -> None:
        # The OS drops the lock when the fd closes; closing here keeps a forgotten lock from leaking the fd.
        fd = getattr(self, "_fd", None)
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)


class FolderLocked(RuntimeError):
    """Another process holds the data folder. The message names its kind and pid, neutrally."""

    def __init__(self, folder: Path, holder: LockHolder | None) -> None:
        self.folder = folder
        self.holder = holder
        who = "another process"
        if holder is not None and holder.pid:
            who = f"{'the app window' if holder.kind == 'gui' else 'a command'} (process {holder.pid})"
        super().__init__(f"The data folder {folder} is in use by {who}.")


def _as_json(holder: LockHolder) -> dict[str, object]:
    return {
        "pid": holder.pid,
        "kind": holder.kind,
        "socket_name": holder.socket_name,
        "started_at": holder.started_at,
    }


def _read_holder(path: Path) -> LockHolder | None:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(raw, dict):
        return None
    pid, kind = raw.get("pid"), raw.get("kind")
    socket, started = raw.get("socket_name"), raw.get("started_at")
    if not isinstance(pid, int) or isinstance(pid, bool):
        return None
    known: HolderKind = kind if kind in ("gui", "cli") else "unknown"
    return LockHolder(
        pid,
        known,
        socket if isinstance(socket, str) else "",
        float(started) if isinstance(started, int | float) and not isinstance(started, bool) else 0.0,
    )


# ------------------------------------------------------------------------------------ platform locks
if sys.platform == "win32":
    import msvcrt

    def _try_lock(fd: int) -> bool:
        os.lseek(fd, 0, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # byte 0; locking past the end of a file is allowed
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        # flock (not fcntl/lockf): owned by the open file, so a second open in this same process conflicts
        # too, and it is released when the last descriptor closes — including on kill -9.
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:  # EWOULDBLOCK: someone else has it
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
