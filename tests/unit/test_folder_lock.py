"""The data-folder lock, with real processes: one holder at a time, and no stale lock after kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from videogen_studio.pipeline.folder_lock import DataFolderLock, FolderLocked, socket_name_for

HOLD = """
import sys, time
from pathlib import Path
from videogen_studio.pipeline.folder_lock import DataFolderLock
lock = DataFolderLock(Path(sys.argv[1]), sys.argv[2])
print("locked" if lock.acquire() else "refused", flush=True)
if sys.argv[3] == "hold":
    time.sleep(120)
"""


def run_holder(folder: Path, kind: str = "cli", mode: str = "hold") -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(folder), kind, mode],
        stdout=subprocess.PIPE,
        text=True,
    )
    return proc


@pytest.fixture
def holder_proc(tmp_path: Path):  # type: ignore[no-untyped-def]
    procs: list[subprocess.Popen[str]] = []

    def start(kind: str = "cli") -> subprocess.Popen[str]:
        proc = run_holder(tmp_path, kind)
        procs.append(proc)
        assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()


def test_second_process_is_refused_and_sees_the_holder(tmp_path: Path, holder_proc) -> None:  # type: ignore[no-untyped-def]
    proc = holder_proc("gui")
    mine = DataFolderLock(tmp_path, "cli")
    assert mine.acquire() is False
    assert not mine.held
    holder = mine.holder()
    assert holder is not None
    assert holder.pid == proc.pid
    assert holder.kind == "gui"
    assert holder.socket_name == socket_name_for(tmp_path)
    with pytest.raises(FolderLocked, match=str(proc.pid)), DataFolderLock(tmp_path, "cli"):
        pass

    # A third process is refused as well.
    other = run_holder(tmp_path, "cli", "once")
    out, _ = other.communicate(timeout=30)
    assert out.strip() == "refused"


def test_kill_9_leaves_no_stale_lock(tmp_path: Path, holder_proc) -> None:  # type: ignore[no-untyped-def]
    proc = holder_proc("cli")
    mine = DataFolderLock(tmp_path, "gui")
    assert mine.acquire() is False
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    # The holder's note is still on disk, but the lock died with the process.
    assert (tmp_path / "studio.lock.json").exists()
    assert mine.holder() is None
    assert mine.acquire() is True
    holder = mine.holder()
    assert holder is not None and holder.pid == os.getpid() and holder.kind == "gui"
    mine.release()


def test_release_lets_another_process_in(tmp_path: Path) -> None:
    lock = DataFolderLock(tmp_path, "cli")
    assert lock.acquire() and lock.acquire()  # idempotent for its holder
    blocked = run_holder(tmp_path, "gui", "once")
    assert blocked.communicate(timeout=30)[0].strip() == "refused"
    lock.release()
    lock.release()  # twice is harmless
    assert not (tmp_path / "studio.lock.json").exists()
    assert lock.holder() is None
    free = run_holder(tmp_path, "gui", "once")
    assert free.communicate(timeout=30)[0].strip() == "locked"


def test_a_second_lock_in_the_same_process_is_refused(tmp_path: Path) -> None:
    first, second = DataFolderLock(tmp_path, "gui"), DataFolderLock(tmp_path, "cli")
    with first:
        assert second.acquire() is False
        holder = second.holder()
        assert holder is not None and holder.kind == "gui"
    assert second.acquire() is True
    second.release()


def test_cli_holder_has_no_socket(tmp_path: Path) -> None:
    with DataFolderLock(tmp_path, "cli") as lock:
        holder = lock.holder()
        assert holder is not None and holder.socket_name == ""


def test_socket_name_is_per_folder(tmp_path: Path) -> None:
    assert socket_name_for(tmp_path / "a") != socket_name_for(tmp_path / "b")
    assert socket_name_for(tmp_path / "a") == socket_name_for(tmp_path / "x" / ".." / "a")
