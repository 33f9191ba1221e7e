"""Run every benchmark and print one Markdown table for the README (also written to benchmarks/results.md).

    make bench        (= QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/run_all.py)
    .venv/bin/python benchmarks/run_all.py [--only startup,queue] [--out benchmarks/results.md]
        [--before TREE [--before-out benchmarks/before-after.md]]

With `--before TREE` (a checkout of older code, e.g. `git worktree add /tmp/before <commit>`), the benchmarks
that can (start-up, gallery, queue, download) also measure TREE's app in the same run, interleaved with this
one, and their before/after tables are written together to `--before-out`.

Each benchmark is its own script (and runs its measurements in child processes); this runner only collects
their figures. The whole set takes about four minutes on a 2-core machine; most of it is the 200-job queue.
"""

from __future__ import annotations

import argparse
import datetime
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, child_env, load_note, machine

HERE = Path(__file__).resolve().parent
BENCHES = {
    "startup": HERE / "bench_startup.py",
    "idle": HERE / "bench_idle.py",
    "gallery": HERE / "bench_gallery.py",
    "queue": HERE / "bench_queue.py",
    "download": HERE / "bench_download.py",
}
#: Benchmarks that take `--before TREE --md FILE` (the others measure this checkout only).
WITH_BEFORE = {"startup", "gallery", "queue", "download"}


def _cell(value: float, unit: str, digits: int) -> str:
    return f"{value:,.{digits}f} {unit}".strip()


def table(results: dict[str, dict[str, object]], failures: dict[str, str], load_before: str) -> str:
    info = machine()
    lines = [
        f"Measured with `make bench` on {datetime.date.today().isoformat()}: {info['cpu']}; {info['os']}; "
        f"Python {info['python']}; PySide6 {info['pyside6']}; Qt platform `{info['qpa']}`; "
        f"load average {load_before} before the run, {info['load']} after.",
        "Every figure is compared with a baseline measured in the same run; "
        "ratio = VideoGen Studio ÷ baseline (medians). Ranges are min–max over the runs.",
        "",
        "| Area | Figure | VideoGen Studio | range | Baseline | range | Ratio | Notes |",
        "|---|---|---:|---|---|---|---:|---|",
    ]
    for name in BENCHES:
        if name in failures:
            lines.append(f"| {name} | *failed* | | | | | | {failures[name]} |")
            continue
        for f in results.get(name, {}).get("figures", []):  # type: ignore[union-attr]
            assert isinstance(f, dict)
            ratio = f"{f['ratio']:.2f}×" if f.get("ratio") is not None else "n/a"
            value = _cell(f["value"], f["unit"], f["digits"])
            base = f"{_cell(f['baseline'], f['unit'], f['digits'])} ({f['baseline_name']})"
            spread, base_spread = f.get("spread", ""), f.get("baseline_spread", "")
            cells = [f["bench"], f["name"], value, spread, base, base_spread, ratio, f["note"]]
            lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", help=f"comma-separated subset of: {', '.join(BENCHES)}")
    p.add_argument("--out", type=Path, default=HERE / "results.md")
    p.add_argument("--before", type=Path, help="an older checkout measured in the same run (before/after)")
    p.add_argument("--before-out", type=Path, default=HERE / "before-after.md")
    args = p.parse_args()
    chosen = [n.strip() for n in args.only.split(",")] if args.only else list(BENCHES)
    unknown = set(chosen) - set(BENCHES)
    if unknown:
        p.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")

    results: dict[str, dict[str, object]] = {}
    failures: dict[str, str] = {}
    sections: list[str] = []
    started = time.perf_counter()
    load_before = load_note()
    print(f"load average: {load_before}")
    with tempfile.TemporaryDirectory(prefix="vgs-bench-") as tmp:
        for name in chosen:
            print(f"\n=== {name} ({BENCHES[name].name}) ===", flush=True)
            out = Path(tmp) / f"{name}.json"
            command = [sys.executable, str(BENCHES[name]), "--json", str(out)]
            if args.before is not None and name in WITH_BEFORE:
                command += ["--before", str(args.before), "--md", str(Path(tmp) / f"{name}.md")]
            t = time.perf_counter()
            # Output streams straight through, so a long benchmark shows its progress.
            code = subprocess.call(command, cwd=ROOT, env=child_env())
            print(f"--- {name}: {time.perf_counter() - t:.0f} s", flush=True)
            if code != 0 or not out.exists():
                failures[name] = f"exit status {code}; see the output above"
                continue
            results[name] = json.loads(out.read_text(encoding="utf-8"))
            section = Path(tmp) / f"{name}.md"
            if args.before is not None and section.exists():
                sections.append(section.read_text(encoding="utf-8"))

    md = table({n: results[n] for n in chosen if n in results}, failures, load_before)
    if sections:
        head = f"Measured with `benchmarks/run_all.py --before {args.before}` on {datetime.date.today()}.\n\n"
        args.before_out.write_text(head + "\n".join(sections), encoding="utf-8")
        print(f"before/after tables written to {args.before_out}")
    print(f"\n{md}")
    print(f"all benchmarks: {time.perf_counter() - started:.0f} s")
    if not args.only:  # a partial run must not overwrite the full table the README quotes
        args.out.write_text(md, encoding="utf-8")
        print(f"written to {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
