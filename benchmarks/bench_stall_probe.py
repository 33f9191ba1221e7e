"""Where event-loop stalls go: samples the loop thread's Python stack while its heartbeat is late.

A diagnostic beside `StallMeter`, for `--why` runs (not for the measured runs: the sampling thread costs a
little CPU). A 1 ms heartbeat task on the running loop notes when it last ran; a daemon thread looks every
`period` s and, while the heartbeat is more than `threshold` s late, takes the loop thread's stack
(`sys._current_frames`). Each sample stands for `period` s of stall, charged to the innermost frames of our
own code (`videogen_studio`), so the report reads "~120 ms of stalls inside queue_panel.select_job".
When Qt is busy in C++ with no Python frame of ours on top (layout, painting of C++ widgets), the innermost
frames are the event loop's own; they are reported as such.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time
import traceback
from collections import Counter

OURS = ("videogen_studio",)


class StallProbe:
    def __init__(self, threshold: float = 0.016, period: float = 0.004, depth: int = 3) -> None:
        self.threshold = threshold
        self.period = period
        self.depth = depth
        self.samples: Counter[str] = Counter()
        self._last = time.perf_counter()
        self._task: asyncio.Task[None] | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._loop_thread = threading.get_ident()

    async def _beat(self) -> None:
        while True:
            self._last = time.perf_counter()
            await asyncio.sleep(0.001)

    def _where(self, frame: object) -> str:
        stack = traceback.extract_stack(frame)  # type: ignore[arg-type]
        ours = [f for f in stack if any(part in f.filename for part in OURS)]
        chosen = ours[-self.depth :] if ours else stack[-self.depth :]
        label = " > ".join(f"{_short(f.filename)}:{f.lineno} {f.name}" for f in chosen)
        return label if ours else f"(not our code) {label}"

    def _sample(self) -> None:
        while not self._stop.wait(self.period):
            if time.perf_counter() - self._last < self.threshold:
                continue
            frame = sys._current_frames().get(self._loop_thread)
            if frame is not None:
                self.samples[self._where(frame)] += 1

    def start(self) -> None:
        self._loop_thread = threading.get_ident()
        self._last = time.perf_counter()
        self._task = asyncio.get_running_loop().create_task(self._beat())
        self._stop.clear()
        self._thread = threading.Thread(target=self._sample, name="stall-probe", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            self._task.cancel()
        if self._thread is not None:
            self._thread.join(1)

    def top(self, n: int = 10) -> list[tuple[float, str]]:
        """The n places with the most stalled time, as (ms, place)."""
        return [(round(count * self.period * 1000), where) for where, count in self.samples.most_common(n)]


def _short(path: str) -> str:
    for marker in ("videogen_studio/", "site-packages/", "lib/python"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path.rsplit("/", 1)[-1]
