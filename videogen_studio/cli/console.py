"""Where the command line writes: stdout for results, stderr for progress and messages.

Every line goes through the one redaction step. When a reader leaves (`render … | head -1`), the write
fails with EPIPE or the pipe reports an error on poll(): the console then goes quiet for good, points both
streams at /dev/null (so nothing fails again at exit) and tells whoever listens (the stop controller).
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
import stat
import sys
from collections.abc import Callable
from typing import TextIO

from ..api.redact import redact


class Console:
    def __init__(self, out: TextIO | None = None, err: TextIO | None = None) -> None:
        self._out = out or sys.stdout
        self._err = err or sys.stderr
        self.closed = False
        self._on_closed: list[Callable[[], None]] = []
        self.err_is_tty = _isatty(self._err)

    def on_closed(self, callback: Callable[[], None]) -> None:
        self._on_closed.append(callback)

    # ----------------------------------------------------------------------------------- writing
    def out(self, line: str) -> None:
        self._write(self._out, redact(line) + "\n")

    def err(self, line: str) -> None:
        self._write(self._err, redact(line) + "\n")

    def err_raw(self, text: str) -> None:
        self._write(self._err, redact(text))

    def _write(self, stream: TextIO, text: str) -> None:
        if self.closed:
            return
        try:
            stream.write(text)
            stream.flush()
        except BrokenPipeError:
            self.mark_closed()
        except OSError as exc:
            if exc.errno not in (errno.EPIPE, errno.EBADF):
                raise
            self.mark_closed()

    # ---------------------------------------------------------------------------------- pipe gone
    def pipe_gone(self) -> bool:
        """True when the reader of stdout or stderr has left (checked without writing)."""
        if self.closed:
            return True
        for stream in (self._out, self._err):
            fd = _fileno(stream)
            if fd is None or not _is_pipe(fd):
                continue
            poller = select.poll()
            poller.register(fd, select.POLLOUT)
            for _fd, events in poller.poll(0):
                if events & (select.POLLERR | select.POLLHUP):
                    return True
        return False

    def mark_closed(self) -> None:
        if self.closed:
            return
        self.closed = True
        _silence_std_streams()
        for callback in list(self._on_closed):
            callback()


def _fileno(stream: TextIO) -> int | None:
    try:
        return stream.fileno()
    except (OSError, ValueError, AttributeError):  # pytest's capture, StringIO
        return None


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (OSError, ValueError, AttributeError):
        return False


def _is_pipe(fd: int) -> bool:
    try:
        return stat.S_ISFIFO(os.fstat(fd).st_mode)
    except OSError:
        return False


def _silence_std_streams() -> None:
    """Point fds 1 and 2 at /dev/null: the interpreter's final flush must not fail on a dead pipe."""
    with contextlib.suppress(OSError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        for stream in (sys.stdout, sys.stderr):
            fd = _fileno(stream)
            if fd is not None and _is_pipe(fd):
                os.dup2(devnull, fd)
        os.close(devnull)
