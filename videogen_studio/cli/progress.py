"""Progress of a render on stderr: one updating line on a terminal, one plain line per stage otherwise."""

from __future__ import annotations

import time

from ..pipeline.jobs import RenderJob
from .console import Console


def stage_label(job: RenderJob) -> str:
    if getattr(job, "awaiting_approval", False):
        return "Waiting for approval"
    return job.state.label


class Progress:
    def __init__(self, console: Console) -> None:
        self._console = console
        self._tty = console.err_is_tty
        self._last_label = ""
        self._last_line = ""
        self._start = time.monotonic()

    def show(self, job: RenderJob) -> None:
        label = stage_label(job)
        elapsed = time.monotonic() - self._start
        line = f"[{job.progress * 100:5.1f}%] {label:<22} {elapsed:6.1f}s"
        if self._tty:
            if line != self._last_line:
                self._console.err_raw("\r" + line.ljust(60))
        elif label != self._last_label:  # redirected: a log, not an animation
            self._console.err(line)
        self._last_label, self._last_line = label, line

    def end(self) -> None:
        if self._tty and self._last_line:
            self._console.err_raw("\n")
            self._last_line = ""
