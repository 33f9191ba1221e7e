"""Who drives a job: lease owners and their liveness.

A lease is a row in the job store (`JobStore.claim/renew/release`): an owner id and an expiry time. A
process drives a job only while it holds the job's lease, so two processes on one data folder never drive
the same job, whatever happens to the folder lock. An owner id names its host and process, so a process on
the same host can tell at once that a holder has died (kill -9) instead of waiting for the lease to expire.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass

#: Seconds a lease lasts without renewal. The holder renews it every third of that.
DEFAULT_TTL_S = 30.0


def _machine() -> str:
    """This host, plus its process-id namespace where there is one (a Flatpak or container beside the
    host sees other pids, so a pid from another namespace must never be judged dead here)."""
    host = socket.gethostname().replace(":", "_").replace("~", "_") or "host"
    try:
        namespace = os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return host
    return f"{host}~{namespace}"


def new_owner_id() -> str:
    """'<host>:<pid>:<random>': unique per queue, and readable enough to show who holds a job."""
    return f"{_machine()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True, slots=True)
class Lease:
    job_id: str
    owner: str
    expires_at: float  # wall-clock seconds (time.time()), shared between processes

    def expired(self, now: float) -> bool:
        return self.expires_at <= now


def owner_pid(owner: str) -> tuple[str, int] | None:
    """(host, pid) of an owner id made by `new_owner_id`, or None for any other shape."""
    parts = owner.split(":")
    if len(parts) != 3 or not parts[1].isdigit():
        return None
    return parts[0], int(parts[1])


def owner_is_dead(owner: str) -> bool:
    """True only when the owner is certainly gone: a process of this host that no longer exists.

    An owner on another host, or one whose id we cannot read, is presumed alive until its lease expires.
    """
    parsed = owner_pid(owner)
    if parsed is None:
        return False
    host, pid = parsed
    if host != _machine():
        return False
    if pid == os.getpid():
        return False  # another queue of this process: alive by definition
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OSError):
        return False  # exists (owned by someone else) or cannot tell
    return _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    """A killed child not yet reaped still answers kill(0); on Linux its state says it is dead."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            stat = f.read()
    except OSError:
        return False
    # "pid (comm) S ...": the state follows the last ')' (comm may contain spaces and parentheses).
    tail = stat.rpartition(")")[2].split()
    return bool(tail) and tail[0] in ("Z", "X")
