"""The command line's log file: the pipeline's warnings go there (redacted), never onto the terminal.

Without a handler, Python prints warnings to stderr (its "last resort"), which would add lines to the
CLI's one-line messages. The handler lives as long as the command.
"""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
from collections.abc import Iterator

from ..api.redact import RedactingFilter
from ..paths import app_paths


@contextlib.contextmanager
def command_log() -> Iterator[None]:
    root = logging.getLogger()
    try:
        folder = app_paths().logs
        folder.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.handlers.RotatingFileHandler(
            folder / "cli.log", maxBytes=1_000_000, backupCount=2, encoding="utf-8"
        )
    except OSError:  # no log folder: drop the records rather than print them
        handler = logging.NullHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    # httpx logs full URLs at INFO; signed URLs carry signatures, so keep them out of the log file.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)
        handler.close()
