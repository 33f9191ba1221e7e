"""The render command's own inputs, read and checked before any network traffic.

A missing or unreadable script file, a folder given as script, text that is not UTF-8, a speed that is
not a number or out of range, a script that is empty or too long: each is one line saying what to fix.
The rules themselves live in pipeline/script_rules.py, shared with the GUI.
"""

from __future__ import annotations

import argparse
import errno
import sys
from pathlib import Path

from ..pipeline.script_rules import MAX_SCRIPT_CHARS, validate_script, validate_speed
from .connect import CliError
from .wording import error_line


def read_script(source: str) -> str:
    if source == "-":
        try:
            return sys.stdin.read()
        except UnicodeDecodeError:
            raise CliError(error_line("the script on stdin is not UTF-8 text", "send it as UTF-8")) from None
    path = Path(source)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CliError(error_line(f"no script file {source}", "check the path given to --script")) from None
    except IsADirectoryError:
        raise CliError(
            error_line(f"{source} is a folder", "give --script a text file (or - to read stdin)")
        ) from None
    except PermissionError:
        problem = f"cannot read {source} (permission denied)"
        raise CliError(error_line(problem, "check its permissions")) from None
    except OSError as exc:
        if exc.errno == errno.EISDIR:
            raise CliError(error_line(f"{source} is a folder", "give --script a text file")) from None
        raise CliError(error_line(f"cannot read {source} ({exc.strerror})", "check the file")) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CliError(
            error_line(f"{source} is not UTF-8 text", "save the script as UTF-8 and run the command again")
        ) from None


def check_script(text: str) -> str:
    problem = validate_script(text)
    if problem is None:
        return text.strip()
    kind = str(problem.kind)
    if kind.endswith("empty"):
        raise CliError(error_line("the script is empty", "write something for the presenter to say"))
    if kind.endswith("too_long"):
        raise CliError(
            error_line(
                f"the script is {problem.length:,} characters long, the limit is {MAX_SCRIPT_CHARS:,}",
                f"shorten it by {problem.excess:,} characters or split it into several renders",
            )
        )
    raise CliError(error_line(problem.message, "remove control characters or broken text from the script"))


def check_speed(value: float | None) -> float | None:
    problem = validate_speed(value)
    if problem is None:
        return value
    return _refuse_speed(problem.message, getattr(problem, "low", 0.5), getattr(problem, "high", 2.0))


def _refuse_speed(message: str, low: float, high: float) -> float:
    raise CliError(error_line(message, f"give --speed a number from {low:g} to {high:g}, e.g. 1.1"))


def speed_arg(text: str) -> float:
    """argparse type for --speed: a plain float, refusing words like 'fast' in the project's wording."""
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number, e.g. 1.1") from None


def parse_replacements(items: list[str]) -> tuple[tuple[str, str], ...]:
    pairs = []
    for item in items:
        original, sep, spoken = item.partition("=")
        if not sep or not original:
            problem = f"--replace expects ORIGINAL=SPOKEN, got {item!r}"
            raise CliError(error_line(problem, "e.g. --replace CLI='command line'"))
        pairs.append((original, spoken))
    return tuple(pairs)


def check_out_folder(out: Path) -> Path:
    """Resolve --out; a path naming a file is refused here (the writable check is preflight's)."""
    try:
        resolved = out.expanduser().resolve()
    except (OSError, RuntimeError):
        raise CliError(error_line(f"cannot use {out} as output folder", "give --out a folder")) from None
    if resolved.exists() and not resolved.is_dir():
        raise CliError(error_line(f"--out {out} is a file, not a folder", "give --out a folder for the MP4"))
    return resolved
