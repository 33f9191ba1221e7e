"""Command line: the GUI (default), headless `render` and the job commands, listings, and `sandbox`.

Each subcommand family lives in its own module (render, jobs, listings, sandbox); this module parses the
arguments, runs the chosen command on an event loop and turns every failure into one line on stderr with
what to do (cli/wording.py) and an exit code: 0 done, 1 failed, 2 wrong input (nothing paid), 3 another
process is driving this data folder, 4 a decision is needed (a render that may already have been sent),
128 + N stopped by signal N (the render stays saved: `videogen-studio resume ID`).
"""

from __future__ import annotations

import argparse
import errno
import importlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .console import Console

# Plain `videogen-studio` starts the GUI: nothing below is imported on that path before `run_gui` (the
# subcommand modules pull in the session, httpx and the pipeline, ~0.4 s the window's first paint would wait
# for). A subcommand imports only its own module; `--help` or an unknown word builds the full parser.
_SUBCOMMANDS: dict[str, str] = {
    "render": "render",
    **dict.fromkeys(("jobs", "resume", "retry", "cancel"), "jobs"),
    **dict.fromkeys(("presenters", "voices", "actors", "history", "files"), "listings"),
    "sandbox": "sandbox",
}

__all__ = ["build_parser", "main"]


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The argument parser; `only` = one subcommand family's module name (the others are not imported)."""
    parser = argparse.ArgumentParser(prog="videogen-studio", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command")
    _add_gui_parser(sub)
    if only == "gui":
        return parser

    from ..settings import SANDBOX

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--base-url",
        help=f"API base URL, https:// (plain http:// is allowed only to 127.0.0.1, ::1 or localhost), "
        f"or '{SANDBOX}' for the embedded offline server (default: from settings)",
    )
    for name in ("render", "jobs", "listings", "sandbox"):
        if only in (None, name):
            module = importlib.import_module(f"{__name__}.{name}")
            if name == "sandbox":
                module.add_parser(sub)
            elif name == "render":
                module.add_parser(sub, common)
            else:
                module.add_parsers(sub, common)
    return parser


def _add_gui_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    gui = sub.add_parser("gui", help="start the desktop app (the default)")
    gui.add_argument("--play", type=Path, metavar="FILE", help="open this clip in the player at start")
    gui.add_argument(
        "--quit-after",
        type=float,
        metavar="SECONDS",
        help="close after SECONDS; with --play, exit 3 if the clip did not play (smoke tests)",
    )


def _family(argv: list[str]) -> str | None:
    """The module a command line needs: "gui", one subcommand family, or None (all: help, typos)."""
    if not argv or argv[0] == "gui":
        return "gui"
    return _SUBCOMMANDS.get(argv[0])


def main(argv: list[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else argv
    args = build_parser(_family(words)).parse_args(words)
    command = args.command or "gui"
    if command == "gui":
        from ..app import run_gui  # Qt is imported only for the GUI

        # Plain `videogen-studio` (no sub-command) has neither option.
        return run_gui(play=getattr(args, "play", None), quit_after=getattr(args, "quit_after", None))
    if command == "sandbox":
        from . import sandbox

        return sandbox.run(args)
    return _run_command(args)


def _run_command(args: argparse.Namespace) -> int:
    import asyncio

    from .connect import CliError
    from .console import Console
    from .logs import command_log

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
    import sqlite3

    from ..api.errors import VideoGenError
    from .connect import EXIT_FAILED, CliError
    from .stop import StopController
    from .wording import describe_error, error_line

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
    from .wording import error_line

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
    from .wording import error_line

    where = f" ({exc.filename})" if exc.filename else ""
    if exc.errno == errno.ENOSPC:
        return error_line(f"the disk is full{where}", "free some space, then rerun the same command")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return error_line(f"permission denied{where}", "check the folder's permissions or choose another one")
    return error_line(f"{exc.strerror or exc}{where}", "check the file or folder, then rerun the command")


if __name__ == "__main__":
    sys.exit(main())
