"""Where event-loop stalls go: samples the loop thread's Python stack while its heartbeat is late.

A diagnostic beside `StallMeter`, for `--why` runs (not for the measured runs: the sampling thread costs a
little CPU). A 1 ms heartbeat task on the running loop notes when it last ran; a daemon thread looks every
`period` s and, while the heartbeat is more than `threshold` s late, takes the loop thread's stack
(`sys._current_frames`). Each sample stands for `period` s of stall, charged to the innermost frames of our
own code (`videogen_studio`), so the report reads "~120 ms of stalls inside queue_panel.select_job".
When Qt is busy in C++ with no Python frame of ours on top (layout, painting of C++ widgets), the innermost
frames are the event loop's own; they are reported as such.

On Linux each stall episode is also split by the kernel's own account of the loop thread
(/proc/self/task/TID/schedstat): time on a CPU (the loop's own work: Python or Qt), time runnable but
waiting for a CPU (other threads had the cores: other processes on a busy machine, the sandbox, or the app's
own workers and decoders), and the rest, asleep (a lock, the GIL held by another thread, a disk).
"""

from __future__ import annotations

import asyncio
import os
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
        self._schedstat = ""
        #: Stall episodes: (wall ms, on-CPU ms, waiting-for-a-CPU ms, asleep ms, where most samples were).
        self.episodes: list[tuple[float, float, float, float, str]] = []

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

    def _sched(self) -> tuple[float, float, float]:
        """(now, ns on a CPU, ns runnable waiting for one) of the loop thread; zeros where unavailable."""
        now = time.perf_counter()
        try:
            with open(self._schedstat) as f:
                run, wait = f.read().split()[:2]
            return now, float(run), float(wait)
        except (OSError, ValueError):
            return now, 0.0, 0.0

    def _sample(self) -> None:
        calm = self._sched()  # the last reading taken while the loop was on time
        episode: Counter[str] | None = None
        while not self._stop.wait(self.period):
            late = time.perf_counter() - self._last >= self.threshold
            if not late:
                if episode is not None:  # the stall is over: what did the loop thread do meanwhile?
                    end = self._sched()
                    wall = end[0] - calm[0]
                    ran, waited = (end[1] - calm[1]) / 1e6, (end[2] - calm[2]) / 1e6
                    where = episode.most_common(1)[0][0] if episode else "?"
                    self.episodes.append(
                        (wall * 1000, ran, waited, max(0.0, wall * 1000 - ran - waited), where)
                    )
                    episode = None
                calm = self._sched()
                continue
            if episode is None:
                episode = Counter()
            frame = sys._current_frames().get(self._loop_thread)
            if frame is not None:
                where = self._where(frame)
                self.samples[where] += 1
                episode[where] += 1

    def start(self) -> None:
        self._loop_thread = threading.get_ident()
        self._schedstat = f"/proc/self/task/{threading.get_native_id()}/schedstat"
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

    def threads_cpu(self, n: int = 8) -> list[str]:
        """CPU time of this process's busiest threads since they started (Linux), by thread name (threads
        Python starts share the process's name)."""
        rows: Counter[str] = Counter()
        try:
            tasks = os.listdir("/proc/self/task")
        except OSError:
            return []
        for tid in tasks:
            try:
                with open(f"/proc/self/task/{tid}/comm") as f:
                    name = "loop thread" if tid == str(os.getpid()) else f.read().strip()
                with open(f"/proc/self/task/{tid}/schedstat") as f:
                    rows[name] += round(float(f.read().split()[0]) / 1e6)
            except (OSError, ValueError):
                continue
        return [f"{name}: {ms} ms" for name, ms in rows.most_common(n)]

    def worst_episodes(self, n: int = 5) -> list[str]:
        """The n longest stalls, each split into on-CPU / waiting for a CPU / asleep, with its main place."""
        rows = sorted(self.episodes, reverse=True)[:n]
        return [
            f"{wall:.0f} ms: on a CPU {ran:.0f}, waiting for a CPU {waited:.0f}, asleep {slept:.0f} — {where}"
            for wall, ran, waited, slept, where in rows
        ]

    def split(self) -> dict[str, float]:
        """Stalled time in total (ms), split as in `worst_episodes`."""
        return {
            "stalled": sum(e[0] for e in self.episodes),
            "on_cpu": sum(e[1] for e in self.episodes),
            "waiting_for_cpu": sum(e[2] for e in self.episodes),
            "asleep": sum(e[3] for e in self.episodes),
        }


def _short(path: str) -> str:
    for marker in ("videogen_studio/", "site-packages/", "lib/python"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path.rsplit("/", 1)[-1]
