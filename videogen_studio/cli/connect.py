"""Opening a session for one command: settings, the API key, the data-folder lock, then the session.

Commands that drive jobs (render, resume, retry, cancel) take the data folder's lock first: a GUI or
another command already driving jobs there is said in one line and the command exits (no double driving).
Listings only read and need no lock.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING

from ..api.errors import VideoGenError
from ..api.keys import check_api_key
from ..credentials import ENV_VAR, SecretStore
from ..paths import AppPaths, app_paths
from ..pipeline.folder_lock import DataFolderLock, LockHolder
from ..settings import Settings, load_settings
from .console import Console
from .wording import PROG, describe_error, error_line

if TYPE_CHECKING:
    from ..session import Session

#: Exit codes: 2 = the input is wrong, 3 = someone else drives this data folder, 4 = a decision is needed.
EXIT_FAILED, EXIT_USAGE, EXIT_BUSY, EXIT_DECIDE = 1, 2, 3, 4


class CliError(Exception):
    """A refusal worded for the terminal: one line, printed as is, and the exit code to use."""

    def __init__(self, line: str, code: int = EXIT_USAGE) -> None:
        super().__init__(line)
        self.line = line
        self.code = code


def cli_settings(args: argparse.Namespace, paths: AppPaths) -> Settings:
    settings = load_settings(paths)
    if getattr(args, "base_url", None):
        settings.base_url = args.base_url
    if not settings.uses_sandbox:
        from ..api.client import check_base_url

        try:  # refused before the key is even loaded: it must never go out over plain http
            check_base_url(settings.base_url)
        except VideoGenError as exc:
            raise CliError(describe_error(exc), EXIT_USAGE) from None
    return settings


def load_key(settings: Settings, paths: AppPaths) -> str | None:
    if settings.uses_sandbox:
        return None
    try:
        stored = SecretStore(paths.data / "api-key").load()
    except VideoGenError as exc:  # a malformed key from the environment or the key file
        raise CliError(describe_error(exc), EXIT_USAGE) from None
    if stored is None:
        raise CliError(
            error_line("no API key", f"set {ENV_VAR} or save one in the desktop app's Account dialog"),
            EXIT_USAGE,
        )
    try:
        return check_api_key(stored.key)  # the store checks too; a key file edited by hand is caught here
    except VideoGenError as exc:
        raise CliError(describe_error(exc), EXIT_USAGE) from None


@contextlib.contextmanager
def folder_lock(paths: AppPaths) -> Iterator[DataFolderLock]:
    """Hold the data folder for this command, or refuse in one line when a GUI or another run holds it."""
    paths.data.mkdir(parents=True, exist_ok=True)
    lock = DataFolderLock(paths.data, "cli")
    if not lock.acquire():
        raise CliError(busy_line(lock.holder()), EXIT_BUSY)
    try:
        yield lock
    finally:
        lock.release()


def busy_line(holder: LockHolder | None) -> str:
    gui = holder is not None and holder.kind == "gui"
    who = "the VideoGen Studio app" if gui else f"another {PROG} command"
    where = f" (process {holder.pid})" if holder is not None and holder.pid else ""
    return error_line(
        f"{who}{where} is already working with this data folder",
        "let it finish (or close it), then run this command again",
    )


@contextlib.asynccontextmanager
async def open_session(
    args: argparse.Namespace, console: Console, *, drive: bool, start_queue: bool = False
) -> AsyncIterator[Session]:
    """The session for one command; with `drive` the data folder is locked for as long as it is open."""
    from ..session import Session  # the session pulls in httpx and the store: only for commands that use it

    paths = app_paths()
    settings = cli_settings(args, paths)
    key = load_key(settings, paths)
    with folder_lock(paths) if drive else contextlib.nullcontext():
        try:
            session = await Session.open(settings, paths, key, start_queue=start_queue)
        except VideoGenError as exc:
            raise CliError(describe_error(exc), EXIT_FAILED) from None
        except OSError as exc:  # the data folder itself cannot be used
            raise CliError(_os_line(exc, paths), EXIT_FAILED) from None
        try:
            _report_store_notices(session, console, drive=drive)
            yield session
        finally:
            await session.close()


def _os_line(exc: OSError, paths: AppPaths) -> str:
    import errno

    if exc.errno == errno.ENOSPC:
        return error_line(f"the disk holding {paths.data} is full", "free some space, then run it again")
    reason = exc.strerror or type(exc).__name__
    return error_line(f"cannot use the data folder {paths.data} ({reason})", "check its permissions")


def _report_store_notices(session: Session, console: Console, *, drive: bool) -> None:
    """A damaged database moved aside, or one from a newer version opened read-only: say so once."""
    store = session.store
    notice = getattr(store, "recovery_notice", None)
    if getattr(store, "read_only", False):
        message = notice or "the job database was written by a newer version of VideoGen Studio"
        if drive:
            hint = "update VideoGen Studio; nothing was changed"
            raise CliError(error_line(str(message), hint), EXIT_FAILED)
        console.err(f"note: {' '.join(str(message).split())} (read-only: nothing is changed)")
    elif notice:
        console.err(f"note: {' '.join(str(notice).split())}")
