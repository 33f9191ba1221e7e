"""Helpers for the benchmark scripts: machine facts, spreads, stall meters, memory and wake-up readings.

Every benchmark reports each figure next to a baseline measured in the same run, as a ratio, so numbers from
different machines can be compared by their ratios even when the absolute times differ. A figure that comes
from repeated runs carries every run's value: the table prints the median and the min–max range.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as `python benchmarks/x.py` from a checkout without installing
    sys.path.insert(0, str(ROOT))

# Benchmarks never need a screen; the QtMultimedia backend logs a lot on a headless machine.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_LOGGING_RULES", "qt.multimedia.*=false;qt.qpa.*=false")
# The API key must come from nowhere but the benchmark itself.
os.environ.pop("VIDEOGEN_API_KEY", None)

MB = 1024 * 1024


@dataclass
class Figure:
    """One row of the results table: the app's value, the baseline's, and value ÷ baseline."""

    bench: str
    name: str
    value: float
    baseline: float
    unit: str
    baseline_name: str
    note: str = ""
    digits: int = 1
    #: Every run's value (the figure is their median) and the baseline's, for the min–max columns.
    values: list[float] | None = None
    baseline_values: list[float] | None = None

    @property
    def ratio(self) -> float | None:
        return self.value / self.baseline if self.baseline else None

    def fmt(self, number: float) -> str:
        return f"{number:,.{self.digits}f} {self.unit}".strip()

    def spread(self, baseline: bool = False) -> str:
        """'min–max (n runs)' of the app's (or the baseline's) runs; empty for a single measurement."""
        runs = self.baseline_values if baseline else self.values
        if not runs or len(runs) < 2:
            return ""
        return f"{min(runs):,.{self.digits}f}–{max(runs):,.{self.digits}f}, {len(runs)} runs"

    def to_json(self) -> dict[str, object]:
        spreads = {"spread": self.spread(), "baseline_spread": self.spread(True)}
        return asdict(self) | {"ratio": self.ratio} | spreads


def series_figure(
    bench: str,
    name: str,
    values: list[float],
    baseline_values: list[float],
    unit: str,
    baseline_name: str,
    note: str = "",
    digits: int = 1,
) -> Figure:
    """A figure whose value and baseline are the medians of repeated runs (both spreads kept)."""
    return Figure(
        bench, name, median(values), median(baseline_values), unit, baseline_name, note, digits,
        values=list(values), baseline_values=list(baseline_values),
    )  # fmt: skip


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); enough for frame-time tails."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered)) - 1))
    return ordered[rank]


class StallMeter:
    """Event-loop stalls seen by a heartbeat: a timer due every `interval` s, and how late each tick was.

    A stall is the lateness of a tick (actual gap − interval). This is what a user feels as a frozen window,
    whatever call caused it — unlike a timer around one chosen call. Works on any asyncio loop, including
    qasync's (the Qt event loop), so it measures the GUI thread there.
    """

    def __init__(self, interval: float = 0.002) -> None:
        self.interval = interval
        self.stalls: list[float] = []
        self._task: object | None = None

    async def _beat(self) -> None:
        import asyncio

        loop = asyncio.get_running_loop()
        last = loop.time()
        while True:
            await asyncio.sleep(self.interval)
            now = loop.time()
            self.stalls.append(max(0.0, now - last - self.interval))
            last = now

    def start(self) -> None:
        import asyncio

        self.stalls.clear()
        self._task = asyncio.get_running_loop().create_task(self._beat())

    def stop(self) -> None:
        task = self._task
        if task is not None:
            task.cancel()  # type: ignore[attr-defined]
        self._task = None

    @property
    def worst_ms(self) -> float:
        return max(self.stalls, default=0.0) * 1000

    def percentile_ms(self, q: float) -> float:
        return percentile(self.stalls, q) * 1000 if self.stalls else 0.0


def context_switches(pid: int) -> int:
    """Voluntary + involuntary context switches of every thread of `pid` so far (Linux): wake-ups, roughly."""
    total = 0
    task_dir = Path(f"/proc/{pid}/task")
    for status in task_dir.glob("*/status"):
        try:
            for line in status.read_text().splitlines():
                if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                    total += int(line.split()[1])
        except (OSError, ValueError):
            continue  # a thread ended while we read
    return total


def process_rss(pid: int) -> int:
    """Resident set size of another process, in bytes (Linux)."""
    with open(f"/proc/{pid}/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def rss_bytes() -> int:
    """Current resident set size (Linux /proc; falls back to the peak elsewhere)."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return peak_rss_bytes()


def peak_rss_bytes(usage: resource.struct_rusage | None = None) -> int:
    usage = usage or resource.getrusage(resource.RUSAGE_SELF)
    # ru_maxrss is KiB on Linux, bytes on macOS.
    return usage.ru_maxrss if sys.platform == "darwin" else usage.ru_maxrss * 1024


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict[str, str]:
    import PySide6
    from PySide6.QtCore import qVersion

    return {
        "cpu": f"{os.cpu_count()} × {cpu_model()}",
        "os": f"{platform.system()} {platform.release()} ({platform.machine()})",
        "python": platform.python_version(),
        "pyside6": f"{PySide6.__version__} (Qt {qVersion()})",
        "qpa": os.environ.get("QT_QPA_PLATFORM", ""),
        "load": load_note(),
    }


def load_note() -> str:
    """The 1-minute load average, with a warning when other work competes for the CPUs."""
    try:
        load = os.getloadavg()[0]
    except OSError:
        return "n/a"
    cpus = os.cpu_count() or 1
    busy = " (busy: other work competed for the CPUs, expect noise)" if load > 0.5 * cpus else ""
    return f"{load:.2f} on {cpus} CPUs{busy}"


def print_machine() -> None:
    info = machine()
    print(f"machine: {info['cpu']}; {info['os']}; Python {info['python']}; PySide6 {info['pyside6']}")
    print(f"load average: {info['load']}")


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--json", type=Path, help="also write the figures as JSON to this file (run_all.py)")
    return p


def report(figures: list[Figure], json_path: Path | None, extra: dict[str, object] | None = None) -> None:
    """Print one line per figure and, for run_all.py, write them as JSON."""
    print()
    for f in figures:
        ratio = f"{f.ratio:.2f}×" if f.ratio is not None else "n/a"
        note = f"  ({f.note})" if f.note else ""
        spread = f" [{f.spread()}]" if f.spread() else ""
        base_spread = f" [{f.spread(True)}]" if f.spread(True) else ""
        print(
            f"{f.bench} | {f.name}: {f.fmt(f.value)}{spread} vs {f.baseline_name} {f.fmt(f.baseline)}"
            f"{base_spread} = {ratio}{note}"
        )
    if json_path is not None:
        payload = {"figures": [f.to_json() for f in figures], "machine": machine(), "extra": extra or {}}
        json_path.write_text(json.dumps(payload, indent=2), encoding="utf-8")


def child_env(home: Path | None = None) -> dict[str, str]:
    """Environment for a measured child process: offscreen, quiet, optionally a throwaway profile."""
    env = dict(os.environ)
    env["QT_QPA_PLATFORM"] = os.environ.get("QT_QPA_PLATFORM", "offscreen")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    env.pop("VIDEOGEN_API_KEY", None)
    if home is not None:
        env["VIDEOGEN_STUDIO_HOME"] = str(home)
    return env
