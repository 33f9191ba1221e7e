"""Command line: the GUI (default), headless `render` and the job commands, listings, and `sandbox`.

Each subcommand family lives in its own module (render, jobs, listings, sandbox); this module parses the
arguments, runs the chosen command on an event loop and turns every failure into one line on stderr with
what to do (cli/wording.py) and an exit code: 0 done, 1 failed, 2 wrong input (nothing paid), 3 another
process is driving this data folder, 4 a decision is needed (a render that may already have been sent),
128 + N stopped by signal N (the render stays saved: `videogen-studio resume ID`).
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import sqlite3
import sys
from pathlib import Path

from ..api.errors import VideoGenError
from ..settings import SANDBOX
from . import jobs, listings, render, sandbox
from .connect import EXIT_FAILED, CliError
from .console import Console
from .logs import command_log
from .stop import StopController
from .wording import describe_error, error_line

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="videogen-studio", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command")

    gui = sub.add_parser("gui", help="start the desktop app (the default)")
    gui.add_argument("--play", type=Path, metavar="FILE", help="open this clip in the player at start")
    gui.add_argument(
        "--quit-after",
        type=float,
        metavar="SECONDS",
        help="close after SECONDS; with --play, exit 3 if the clip did not play (smoke tests)",
    )

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--base-url",
        help=f"API base URL, or '{SANDBOX}' for the embedded offline server (default: from settings)",
    )
    render.add_parser(sub, common)
    jobs.add_parsers(sub, common)
    listings.add_parsers(sub, common)
    sandbox.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    command = args.command or "gui"
    if command == "gui":
        from ..app import run_gui  # Qt is imported only for the GUI

        # Plain `videogen-studio` (no sub-command) has neither option.
        return run_gui(play=getattr(args, "play", None), quit_after=getattr(args, "quit_after", None))
    if command == "sandbox":
        return sandbox.run(args)
    console = Console()
    try:
        with command_log():
            return asyncio.run(_run(args, console))
    except KeyboardInterrupt:  # before the handlers were installed or after they were removed
        return 130
    except CliError as exc:
        console.err(exc.line)
        return exc.code


async def _run(args: argparse.Namespace, console: Console) -> int:
    stopper = StopController(console)
    stopper.install()
    try:
        return int(await args.handler(args, console, stopper))
    except CliError:
        raise
    except VideoGenError as exc:
        raise CliError(describe_error(exc), EXIT_FAILED) from None
    except sqlite3.DatabaseError as exc:  # a damaged job database the store could not set aside
        raise CliError(
            error_line(f"the job database cannot be read ({exc})", "move it aside and run the command again"),
            EXIT_FAILED,
        ) from None
    except OSError as exc:
        raise CliError(_os_error_line(exc), EXIT_FAILED) from None
    except Exception as exc:  # a bug: the details go to the log file, the terminal gets one line
        raise CliError(_bug_line(exc), EXIT_FAILED) from None
    finally:
        stopper.uninstall()


def _bug_line(exc: Exception) -> str:
    """Write the traceback (redacted) to the CLI's log file and name it in one line."""
    import traceback

    from ..api.redact import redact
    from ..fileio import atomic_write
    from ..paths import app_paths

    where = ""
    try:
        log = app_paths().logs / "cli-error.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(log, redact("".join(traceback.format_exception(exc))).encode("utf-8"))
        where = f" (details in {log})"
    except OSError:
        pass
    return error_line(f"unexpected {type(exc).__name__}: {exc}", f"this is a bug; please report it{where}")


def _os_error_line(exc: OSError) -> str:
    where = f" ({exc.filename})" if exc.filename else ""
    if exc.errno == errno.ENOSPC:
        return error_line(f"the disk is full{where}", "free some space, then rerun the same command")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return error_line(f"permission denied{where}", "check the folder's permissions or choose another one")
    return error_line(f"{exc.strerror or exc}{where}", "check the file or folder, then rerun the command")


if __name__ == "__main__":
    sys.exit(main())
