"""Start-up milestones for the benchmarks, written only when asked (no cost otherwise).

With `VIDEOGEN_STUDIO_TRACE=/some/file` the app appends one line per milestone, `<name> <unix time>`, the
first time it reaches it: `first-paint` (the window's first frame), `cards-visible` (the gallery's first
frame with presenter cards), `thumbnails-visible` (every card on screen shows its real picture), `ready`
(session connected, catalog loaded). `VIDEOGEN_STUDIO_TRACE_EXIT_AT=<name>` ends the process right after that
milestone, so a benchmark measures the app's own start-up path, not a copy of it.
"""

from __future__ import annotations

import os
import time

_PATH = os.environ.get("VIDEOGEN_STUDIO_TRACE")
_EXIT_AT = os.environ.get("VIDEOGEN_STUDIO_TRACE_EXIT_AT")
_seen: set[str] = set()


def enabled() -> bool:
    return _PATH is not None


def mark(name: str) -> None:
    """Record milestone `name` once (and exit if it is the one the benchmark waits for)."""
    if _PATH is None or name in _seen:
        return
    _seen.add(name)
    with open(_PATH, "a", encoding="utf-8") as fh:
        fh.write(f"{name} {time.time():.6f}\n")
    if name == _EXIT_AT:
        # A benchmark child: the figure is taken, nothing after it is measured or needed.
        os._exit(0)
