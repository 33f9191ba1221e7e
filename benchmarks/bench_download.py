"""Download throughput and peak memory of `VideoGenClient.download_file`, against curl on the same file.

    .venv/bin/python benchmarks/bench_download.py [--runs 5] [--sizes 20,200]

The parent starts a sandbox on loopback and uploads two MP4 files through the API (POST /v1/files/upload,
then PUT to the presigned URL): a real 128 px talking-head clip padded with an ISO-BMFF `free` box of random
bytes to 20 MB and 200 MB, so the sandbox accepts, probes and serves them as ordinary videos. Then, per run
and size, two child processes download the file from the sandbox's storage origin (signed URL, Range-aware):

* app: a Python process that only calls `download_file(file_id, dest)` (hydrate → stream to `.part` →
  fsync → atomic rename), timed inside the process around that call;
* curl: `curl -o dest <signed URL>` with curl's own `time_total`.

Peak memory is each child's ru_maxrss, taken by GNU time (`/usr/bin/time -f %M`) so the benchmark's own
memory does not leak into it. The app's peak includes the interpreter and httpx; what matters is that it
stays the same from 20 MB to 200 MB. The app fsyncs the file before its atomic rename, curl does not, so
the baseline is curl followed by an fsync of its file (plain curl is printed alongside).
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
from pathlib import Path

from _common import MB, Figure, child_env, median, parser, print_machine, report

BENCH = "Download"


# ------------------------------------------------------------------------------------------- child
async def _child_download(base_url: str, key: str, file_id: str, dest: Path) -> dict[str, float]:
    from videogen_studio.api.client import VideoGenClient

    async with VideoGenClient(base_url, key) as client:
        start = time.perf_counter()
        await client.download_file(file_id, dest)
        seconds = time.perf_counter() - start
    return {"seconds": seconds, "bytes": dest.stat().st_size, "vm_hwm": _vm_hwm()}


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
    from videogen_studio.sandbox import media

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


def _measured(command: list[str]) -> tuple[str, int | None]:
    """Run `command`; its stdout and peak RSS in bytes (None when GNU time is not installed).

    The peak comes from GNU time's wait4: a child forked straight from this (large) Python process would
    report the parent's RSS as its own ru_maxrss, because Linux carries the high-water mark across exec.
    """
    gnu_time = shutil.which("time") or ("/usr/bin/time" if Path("/usr/bin/time").exists() else None)
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        if gnu_time is not None:
            command = [gnu_time, "-f", "%M", "-o", rss.name, *command]
        out = subprocess.run(command, capture_output=True, text=True, env=child_env(), timeout=300)
        if out.returncode != 0:
            raise RuntimeError(f"{command!r} failed with {out.returncode}: {out.stderr[-2000:]}")
        peak = int(rss.read().split()[-1]) * 1024 if gnu_time is not None else None
    return out.stdout, peak


def _run_app(base_url: str, key: str, file_id: str, dest: Path) -> tuple[float, int]:
    out, peak = _measured([sys.executable, __file__, "--child", base_url, key, file_id, str(dest)])
    result = json.loads(out.strip().splitlines()[-1])
    return result["seconds"], peak if peak is not None else result["vm_hwm"]


def _run_curl(curl: str, url: str, dest: Path) -> tuple[float, float, int]:
    """curl's transfer time, the time an fsync of its file then takes (the app fsyncs), and its peak RSS."""
    out, peak = _measured([curl, "-sS", "--fail", "-o", str(dest), "-w", "%{time_total}", url])
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
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--sizes", default="20,200", help="file sizes in MB, comma-separated")
    p.add_argument("--child", nargs=4, metavar=("BASE_URL", "KEY", "FILE_ID", "DEST"), help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        base_url, key, file_id, dest = args.child
        print(json.dumps(asyncio.run(_child_download(base_url, key, file_id, Path(dest)))))
        return

    from videogen_studio.sandbox import SandboxConfig, SandboxServer

    curl = shutil.which("curl")
    if curl is None:
        raise SystemExit("curl is needed for the baseline: apt-get install -y curl")
    print_machine()
    print(subprocess.run([curl, "--version"], capture_output=True, text=True).stdout.splitlines()[0])
    sizes = [int(s) for s in args.sizes.split(",")]
    app_s: dict[int, list[float]] = {s: [] for s in sizes}
    curl_s: dict[int, list[float]] = {s: [] for s in sizes}
    curl_sync_s: dict[int, list[float]] = {s: [] for s in sizes}  # curl + fsync, like the app
    app_peak: dict[int, list[int]] = {s: [] for s in sizes}
    curl_peak: dict[int, list[int]] = {s: [] for s in sizes}
    with tempfile.TemporaryDirectory(prefix="vgs-bench-dl-") as tmp:
        folder = Path(tmp)
        with SandboxServer(folder / "sandbox", config=SandboxConfig.fast()) as server:
            t = time.perf_counter()
            files = asyncio.run(_prepare(server, sizes, folder))
            took = time.perf_counter() - t
            print(f"uploaded {', '.join(f'{s} MB' for s in sizes)} to the sandbox in {took:.1f} s")
            for run in range(args.runs):
                for size in sizes:
                    file_id, url, nbytes = files[size]
                    dest = folder / "out" / f"{size}.mp4"
                    dest.parent.mkdir(exist_ok=True)
                    # Alternate who goes first, so neither always meets the warmer cache.
                    order = ("app", "curl") if run % 2 == 0 else ("curl", "app")
                    for who in order:
                        if who == "app":
                            seconds, peak = _run_app(server.base_url, server.api_key, file_id, dest)
                            app_s[size].append(seconds)
                            app_peak[size].append(peak)
                        else:
                            seconds, sync, peak = _run_curl(curl, url, dest)
                            curl_s[size].append(seconds)
                            curl_sync_s[size].append(seconds + sync)
                            curl_peak[size].append(peak)
                        if dest.stat().st_size != nbytes:
                            raise RuntimeError(f"{who} wrote {dest.stat().st_size} bytes, expected {nbytes}")
                        dest.unlink()
                    rate = nbytes / MB
                    print(
                        f"run {run + 1} {size:4d} MB: app {rate / app_s[size][-1]:7.1f} MB/s "
                        f"(peak {app_peak[size][-1] / MB:5.1f} MB); "
                        f"curl {rate / curl_s[size][-1]:7.1f} MB/s, "
                        f"{rate / curl_sync_s[size][-1]:7.1f} MB/s with fsync "
                        f"(peak {curl_peak[size][-1] / MB:5.1f} MB)"
                    )

    def mbps(size: int, seconds: list[float]) -> float:
        return files[size][2] / MB / median(seconds)

    figures: list[Figure] = []
    for size in sizes:
        plain = f"curl without fsync: {mbps(size, curl_s[size]):,.0f} MB/s; loopback"
        figures.append(
            Figure(BENCH, f"throughput, {size} MB file", mbps(size, app_s[size]),
                   mbps(size, curl_sync_s[size]), "MB/s", "curl + fsync", plain)
        )  # fmt: skip
    for size in sizes:
        figures.append(
            Figure(BENCH, f"peak RSS of the downloading process, {size} MB", median(app_peak[size]) / MB,
                   median(curl_peak[size]) / MB, "MB", "curl", "Python + httpx vs a C program; GNU time")
        )  # fmt: skip
    small, large = min(sizes), max(sizes)
    if small != large:
        figures.append(
            Figure(BENCH, f"app peak RSS, {large} MB vs {small} MB file", median(app_peak[large]) / MB,
                   median(app_peak[small]) / MB, "MB", f"the {small} MB download",
                   "1.00× = memory does not grow with file size")
        )  # fmt: skip
    report(
        figures, args.json, {"app_s": app_s, "curl_s": curl_s, "app_peak": app_peak, "curl_peak": curl_peak}
    )


if __name__ == "__main__":
    main()
