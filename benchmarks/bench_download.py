"""Download: throughput, peak memory and event-loop stalls of `VideoGenClient.download_file`, against curl.

    .venv/bin/python benchmarks/bench_download.py [--runs 8] [--sizes 20,200] [--loop qasync|asyncio]
        [--before /tmp/before-bench] [--md FILE]

The parent starts this checkout's sandbox on loopback and uploads two MP4 files through the API (POST
/v1/files/upload, then PUT to the presigned URL): a real 128 px talking-head clip padded with an ISO-BMFF
`free` box of random bytes to 20 MB and 200 MB, so the sandbox accepts, probes and serves them as ordinary
videos. Then, per run and size, in an order that rotates every run, fresh child processes download the file
from the sandbox's storage origin (signed URL, Range-aware):

* app: a Python process that calls `download_file(file_id, dest)` (hydrate → stream to `.part` → fsync →
  atomic rename) on the loop the GUI uses (qasync, Qt's event loop; `--loop asyncio` for the CLI's). A
  `StallMeter` heartbeat (every 2 ms) runs on that loop for the whole call: its worst lateness is the longest
  the GUI would have frozen during the download (goal: under one 16 ms frame, so writes and fsync must be off
  the loop). The client makes one API request first (a hydrate), measured apart: a fresh client's first
  request pays one-off costs on the loop (imports on first use, the connection pool) that belong to
  start-up, not to the download. The time is taken inside the process around the call, heartbeat included;
* curl: `curl -o dest <signed URL>` with curl's own `time_total`, then an fsync of its file (the app
  fsyncs before its rename; plain curl is printed alongside).

Fair to both sides: curl and the app write to the same path on the same filesystem, and each download
starts from the same memory and disk state, set by the parent right before it:

* the app child starts, imports, builds its client and makes its first request, then says "ready" and
  waits; only then does the parent prepare the state and say "go". curl starts in milliseconds. So neither
  side's start-up time changes the state it meets (see the next point);
* the parent writes and deletes a scratch file of the download's size: the page cache then reuses pages
  just freed. On a VM with free page reporting (virtio-balloon), pages left free for half a second are
  handed back to the host, and the next writer pays a host page fault per page: 200 MB then take 0.4–1 s
  instead of 0.07 s to write, whoever writes them. Without this step, the app (a second of Python start-up
  before it writes) met handed-back pages far more often than curl (started at once after the previous
  download freed its pages), and its throughput spread over 4×;
* then `os.sync()`, so nobody inherits another's writeback or journal commit.

One warm-up round (not counted) reads the stored files into the page cache and warms the interpreters'
caches, so every counted download reads from memory and writes to disk the same way. The throughput
ratio is taken per round (each app download ÷ the curl + fsync download of the same round), which cancels
most of the load that other processes put on the machine; the median of those ratios is the figure.

Peak memory is each child's ru_maxrss from GNU time (`/usr/bin/time -f %M`), so the benchmark's own memory
does not leak into it; "flat" means the 200 MB peak equals the 20 MB peak. With `--before TREE` the same
app child also runs with TREE's `videogen_studio` (same sandbox, same files, interleaved) for a before/after
table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from _common import MB, Figure, StallMeter, median, parser, print_machine, report, series_figure
from bench_trees import ba_row, tree_env, use_tree, write_section

BENCH = "Download"
FRAME_MS = 16.0
TIMEOUT_S = 300


# ------------------------------------------------------------------------------------------- child
async def _child_download(base_url: str, key: str, file_id: str, dest: Path) -> dict[str, float]:
    from videogen_studio.api.client import VideoGenClient

    meter = StallMeter()
    async with VideoGenClient(base_url, key) as client:
        await asyncio.sleep(0.05)  # the loop is idle before the clock starts
        # A fresh client's first request pays one-off costs on the loop (first-use imports in httpcore,
        # the connection pool): a start-up cost, not the download's. Measured apart, then the download.
        meter.start()
        await asyncio.sleep(0.01)  # the heartbeat's clock starts at its first beat: let it beat first
        await client.hydrate_file(file_id)
        await asyncio.sleep(0.01)
        meter.stop()
        cold_ms = meter.worst_ms
        # Ready: the parent now sets the memory and disk state (see the docstring) and says go.
        print("ready", flush=True)
        sys.stdin.readline()
        meter.start()
        await asyncio.sleep(0.01)
        start = time.perf_counter()
        await client.download_file(file_id, dest)
        seconds = time.perf_counter() - start
        await asyncio.sleep(0.01)  # one more beat: a stall at the very end is seen too
        meter.stop()
    return {
        "seconds": seconds,
        "bytes": dest.stat().st_size,
        "vm_hwm": _vm_hwm(),
        "stall_ms": meter.worst_ms,
        "stall_p99_ms": meter.percentile_ms(99),
        "cold_request_stall_ms": cold_ms,
        "beats": len(meter.stalls),
    }


def _child(tree: Path | None, loop_kind: str, args: list[str]) -> dict[str, object]:
    where = use_tree(tree)
    base_url, key, file_id, dest = args
    coro = _child_download(base_url, key, file_id, Path(dest))
    if loop_kind == "asyncio":
        result: dict[str, object] = dict(asyncio.run(coro))
    else:
        import qasync
        from PySide6.QtWidgets import QApplication

        app = QApplication([sys.argv[0]])
        loop = qasync.QEventLoop(app)
        asyncio.set_event_loop(loop)
        with loop:
            result = dict(loop.run_until_complete(coro))
    result["tree"] = where
    return result


def _vm_hwm() -> int:
    """This process's own peak RSS since exec (Linux), in bytes; 0 elsewhere."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


# ------------------------------------------------------------------------------------------ parent
def _seed_clip(folder: Path) -> bytes:
    from videogen_studio.sandbox import media  # the media package (sandbox/media/…); lazy submodules

    speech = folder / "seed.mp3"
    media.synthesize_speech("Download benchmark.", speech)
    clip = folder / "seed.mp4"
    media.render_talking_head(
        media.render_portrait(1, "MALE", size=256), speech, clip, watermark=False, size=128
    )
    return clip.read_bytes()


def _padded_mp4(path: Path, size: int, clip: bytes) -> None:
    """`clip` followed by one top-level `free` box: valid MP4 that players and probes read as the clip."""
    pad = size - len(clip)
    block = os.urandom(MB)  # incompressible, so no layer can shortcut the transfer
    with path.open("wb") as fh:
        fh.write(clip)
        fh.write(struct.pack(">I4s", pad, b"free"))
        left = pad - 8
        while left > 0:
            n = min(left, len(block))
            fh.write(block[:n])
            left -= n


def _measured(
    command: list[str], env: dict[str, str], on_ready: Callable[[], None] | None = None
) -> tuple[str, int | None]:
    """Run `command`; its stdout and peak RSS in bytes (None when GNU time is not installed).

    With `on_ready`, the child prints "ready" and waits for a line on its stdin: `on_ready()` runs in
    between.

    The peak comes from GNU time's wait4: a child forked straight from this (large) Python process would
    report the parent's RSS as its own ru_maxrss, because Linux carries the high-water mark across exec.
    """
    gnu_time = "/usr/bin/time" if Path("/usr/bin/time").exists() else None
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        if gnu_time is not None:
            command = [gnu_time, "-f", "%M", "-o", rss.name, *command]
        with subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        ) as child:
            assert child.stdin is not None and child.stdout is not None
            head = ""
            if on_ready is not None:
                while (line := child.stdout.readline()) and line.strip() != "ready":
                    head += line
                on_ready()
            stdout, stderr = child.communicate("go\n", timeout=TIMEOUT_S)
        if child.returncode != 0:
            raise RuntimeError(f"{command!r} failed with {child.returncode}: {stderr[-2000:]}")
        peak = int(rss.read().split()[-1]) * 1024 if gnu_time is not None else None
    return head + stdout, peak


def _even_start(nbytes: int, folder: Path) -> None:
    """The same memory and disk state for every download (see the docstring): recently freed pages, no
    pending writeback."""
    scratch = folder / "scratch.bin"
    block = bytes(MB)
    fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    try:
        for _ in range(0, nbytes, MB):
            os.write(fd, block)
    finally:
        os.close(fd)
    scratch.unlink()  # dirty pages are freed without being written
    os.sync()


def _run_app(
    tree: Path | None, loop_kind: str, base_url: str, key: str, file_id: str, dest: Path, nbytes: int
) -> dict[str, float]:
    command = [sys.executable, __file__, "--loop", loop_kind, "--child", base_url, key, file_id, str(dest)]
    if tree is not None:
        command += ["--child-tree", str(tree)]
    out, peak = _measured(command, tree_env(tree), lambda: _even_start(nbytes, dest.parent))
    result = json.loads(out.strip().splitlines()[-1])
    result["peak"] = peak if peak is not None else result["vm_hwm"]
    return result


def _run_curl(curl: str, url: str, dest: Path, nbytes: int) -> tuple[float, float, int]:
    """curl's transfer time, the time an fsync of its file then takes (the app fsyncs), and its peak RSS."""
    _even_start(nbytes, dest.parent)
    out, peak = _measured(
        [curl, "-sS", "--fail", "-o", str(dest), "-w", "%{time_total}", url], tree_env(None)
    )
    start = time.perf_counter()
    fd = os.open(dest, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    return float(out.strip()), time.perf_counter() - start, peak or 0


async def _prepare(server: object, sizes_mb: list[int], folder: Path) -> dict[int, tuple[str, str, int]]:
    """Upload one file per size; returns size → (file id, signed download URL, bytes)."""
    from videogen_studio.api.client import VideoGenClient

    clip = _seed_clip(folder)
    files: dict[int, tuple[str, str, int]] = {}
    async with VideoGenClient(server.base_url, server.api_key) as client:  # type: ignore[attr-defined]
        for size_mb in sizes_mb:
            path = folder / f"upload-{size_mb}mb.mp4"
            _padded_mp4(path, size_mb * 1_000_000, clip)
            file_id = await client.upload_file(path, file_type="VIDEO")
            hydrated = await client.hydrate_file(file_id)
            source = hydrated.download_source
            if source is None or source.status != "ready" or not source.url:
                raise RuntimeError(f"the sandbox did not accept the {size_mb} MB upload: {source}")
            files[size_mb] = (file_id, source.url, path.stat().st_size)
            path.unlink()  # the sandbox keeps its own copy
    return files


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=8)
    p.add_argument("--sizes", default="20,200", help="file sizes in MB, comma-separated")
    p.add_argument("--loop", choices=["qasync", "asyncio"], default="qasync", help="the app child's loop")
    p.add_argument("--before", type=Path, help="another checkout to measure the same way (before figures)")
    p.add_argument("--md", type=Path, help="write the before/after table to this Markdown file")
    p.add_argument("--child", nargs=4, metavar=("BASE_URL", "KEY", "FILE_ID", "DEST"), help=argparse.SUPPRESS)
    p.add_argument("--child-tree", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        print(json.dumps(_child(args.child_tree, args.loop, args.child)))
        return

    from videogen_studio.sandbox import SandboxConfig, SandboxServer

    curl = shutil.which("curl")
    if curl is None:
        raise SystemExit("curl is needed for the baseline: apt-get install -y curl")
    print_machine()
    print(subprocess.run([curl, "--version"], capture_output=True, text=True).stdout.splitlines()[0])
    print(f"app child loop: {args.loop}; heartbeat every {StallMeter().interval * 1000:.0f} ms")
    sizes = [int(s) for s in args.sizes.split(",")]
    trees: dict[str, Path | None] = {"after": None}
    if args.before is not None:
        trees["before"] = args.before
    who_all = [*trees, "curl"]
    app: dict[str, dict[int, list[dict[str, float]]]] = {t: {s: [] for s in sizes} for t in trees}
    curl_s: dict[int, list[float]] = {s: [] for s in sizes}
    curl_sync_s: dict[int, list[float]] = {s: [] for s in sizes}  # curl + fsync, like the app
    curl_peak: dict[int, list[float]] = {s: [] for s in sizes}
    with tempfile.TemporaryDirectory(prefix="vgs-bench-dl-") as tmp:
        folder = Path(tmp)
        with SandboxServer(folder / "sandbox", config=SandboxConfig.fast()) as server:
            t = time.perf_counter()
            files = asyncio.run(_prepare(server, sizes, folder))
            took = time.perf_counter() - t
            print(f"uploaded {', '.join(f'{s} MB' for s in sizes)} to the sandbox in {took:.1f} s")
            for run in range(-1, args.runs):  # round -1: the warm-up, not counted
                for size in sizes:
                    file_id, url, nbytes = files[size]
                    dest = folder / "out" / f"{size}.mp4"
                    dest.parent.mkdir(exist_ok=True)
                    # Rotate who goes first, so nobody always meets the warmer cache.
                    order = who_all[run % len(who_all) :] + who_all[: run % len(who_all)]
                    line: list[str] = []
                    rate = nbytes / MB
                    for who in order:
                        if run < 0:
                            if who == "curl":
                                _run_curl(curl, url, dest, nbytes)
                            else:
                                _run_app(
                                    trees[who],
                                    args.loop,
                                    server.base_url,
                                    server.api_key,
                                    file_id,
                                    dest,
                                    nbytes,
                                )
                            dest.unlink()
                            continue
                        if who == "curl":
                            seconds, sync, peak = _run_curl(curl, url, dest, nbytes)
                            curl_s[size].append(seconds)
                            curl_sync_s[size].append(seconds + sync)
                            curl_peak[size].append(peak)
                            line.append(
                                f"curl {rate / seconds:6.0f} MB/s, {rate / (seconds + sync):6.0f} with fsync "
                                f"(peak {peak / MB:4.0f} MB)"
                            )
                        else:
                            r = _run_app(
                                trees[who], args.loop, server.base_url, server.api_key, file_id, dest, nbytes
                            )
                            app[who][size].append(r)
                            line.append(
                                f"{who} {rate / r['seconds']:6.0f} MB/s (peak {r['peak'] / MB:4.0f} MB, "
                                f"stall {r['stall_ms']:5.1f} ms; "
                                f"first request {r['cold_request_stall_ms']:4.0f} ms)"
                            )
                        if dest.stat().st_size != nbytes:
                            raise RuntimeError(f"{who} wrote {dest.stat().st_size} bytes, expected {nbytes}")
                        dest.unlink()
                    if run >= 0:
                        print(f"run {run + 1} {size:4d} MB: " + "; ".join(line), flush=True)

    def mbps(size: int, seconds: list[float]) -> list[float]:
        return [files[size][2] / MB / s for s in seconds]

    def series(who: str, size: int, key: str) -> list[float]:
        return [float(r[key]) for r in app[who][size]]

    def round_ratios(who: str, size: int) -> list[float]:
        """Each app download's throughput ÷ the curl + fsync download of the same round."""
        return [c / a for a, c in zip(series(who, size, "seconds"), curl_sync_s[size], strict=True)]

    figures: list[Figure] = []
    for who in trees:
        bench = BENCH if who == "after" else f"{BENCH} (before)"
        for size in sizes:
            plain = f"curl without fsync: {median(mbps(size, curl_s[size])):,.0f} MB/s; loopback; {args.loop}"
            figures.append(
                series_figure(bench, f"throughput, {size} MB file", mbps(size, series(who, size, "seconds")),
                              mbps(size, curl_sync_s[size]), "MB/s", "curl + fsync", plain)
            )  # fmt: skip
            figures.append(
                series_figure(bench, f"throughput ÷ curl + fsync of the same round, {size} MB",
                              round_ratios(who, size), [0.9], "×", "goal", "per-round ratios; "
                              "the figure least moved by other load on the machine", digits=2)
            )  # fmt: skip
            figures.append(
                series_figure(bench, f"worst event-loop stall during the {size} MB download",
                              series(who, size, "stall_ms"), [FRAME_MS], "ms", "one 60 Hz frame (goal)",
                              f"2 ms heartbeat on the {args.loop} loop; p99 "
                              f"{median(series(who, size, 'stall_p99_ms')):.1f} ms")
            )  # fmt: skip
            figures.append(
                series_figure(bench, "stall of a fresh client's first API request (start-up cost)",
                              series(who, size, "cold_request_stall_ms"), [FRAME_MS], "ms",
                              "one 60 Hz frame", "measured before each download, apart from it")
            )  # fmt: skip
            figures.append(
                series_figure(bench, f"peak RSS of the downloading process, {size} MB",
                              [v / MB for v in series(who, size, "peak")], [v / MB for v in curl_peak[size]],
                              "MB", "curl", "Python + httpx (+ Qt for qasync) vs a C program; GNU time")
            )  # fmt: skip
        small, large = min(sizes), max(sizes)
        if small != large:
            figures.append(
                series_figure(bench, f"app peak RSS, {large} MB vs {small} MB file",
                              [v / MB for v in series(who, large, "peak")],
                              [v / MB for v in series(who, small, "peak")], "MB", f"the {small} MB download",
                              "1.00× = memory does not grow with file size")
            )  # fmt: skip
    report(figures, args.json, {"app": app, "curl_s": curl_s, "curl_peak": curl_peak, "loop": args.loop})

    if "before" in trees:
        rows = []
        for size in sizes:
            base = mbps(size, curl_sync_s[size])

            rows.append(ba_row(f"{size} MB: throughput ÷ curl+fsync (same round)",
                               round_ratios("after", size), round_ratios("before", size), "×", "≥ 0.9×",
                               digits=2))  # fmt: skip
            rows.append(ba_row(f"{size} MB: throughput", mbps(size, series("after", size, "seconds")),
                               mbps(size, series("before", size, "seconds")), "MB/s",
                               f"curl+fsync {median(base):,.0f} MB/s"))  # fmt: skip
            rows.append(ba_row(f"{size} MB: worst event-loop stall", series("after", size, "stall_ms"),
                               series("before", size, "stall_ms"), "ms", "< 16 ms"))  # fmt: skip
            rows.append(ba_row(f"{size} MB: stall of the client's first request (before the download)",
                               series("after", size, "cold_request_stall_ms"),
                               series("before", size, "cold_request_stall_ms"), "ms",
                               "start-up cost, shown apart"))  # fmt: skip
            rows.append(ba_row(f"{size} MB: peak RSS (GNU time)",
                               [v / MB for v in series("after", size, "peak")],
                               [v / MB for v in series("before", size, "peak")], "MB",
                               f"flat; curl {median(curl_peak[size]) / MB:.0f} MB"))  # fmt: skip
        notes = [
            f"`benchmarks/bench_download.py --runs {args.runs} --loop {args.loop} --before {args.before}`: "
            f"fresh child per download, {args.runs} rounds, order rotated each round; same sandbox and files "
            "for before, after and curl. Stall = worst lateness of a 2 ms heartbeat on the child's loop "
            "during `download_file` (hydrate, stream, fsync, rename); the time includes the hydrate request "
            "(curl is handed the signed URL) and the heartbeat's own cost.",
        ]
        write_section(args.md, f"Download ({args.loop} loop)", notes, rows, before=args.before)


if __name__ == "__main__":
    main()
