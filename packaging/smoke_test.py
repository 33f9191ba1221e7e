"""Smoke test of a frozen build: does the bundle start, render through its embedded sandbox, and show its GUI?

    .venv/bin/python packaging/smoke_test.py [dist/videogen-studio/videogen-studio] [--gui-seconds 8]

Run it with the project venv's Python (it verifies the rendered MP4 with PyAV from there); the executable
under test uses only what is inside its bundle. Each step runs with a throwaway VIDEOGEN_STUDIO_HOME, so
nothing of the user's profile is read or written. Steps:

1. the bundle holds what PyInstaller tends to miss: resources/, the QtMultimedia FFmpeg plugin, PyAV;
2. `presenters --base-url sandbox` starts the embedded sandbox (HTTP on loopback) and lists presenters;
3. `render --base-url sandbox --presenter ID --script - --out DIR` renders a clip end to end (speech,
   talking-head video, signed-URL download) and the MP4 is then decoded completely with PyAV;
4. the GUI starts offscreen (QT_QPA_PLATFORM=offscreen), loads its presenters and their thumbnails from
   the embedded sandbox, brings up the QtMultimedia FFmpeg backend, and stays up without a traceback. When
   the app supports `gui --play FILE --quit-after SECONDS`, the rendered clip is also played in the frozen
   player and the app must quit by itself with status 0; otherwise it is stopped after --gui-seconds.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_EXE = (
    ROOT / "dist" / "videogen-studio" / ("videogen-studio.exe" if os.name == "nt" else "videogen-studio")
)
SCRIPT = "Hello from the frozen build. This clip was rendered by the embedded sandbox."
BAD_MARKERS = ("Traceback (most recent call last)", " CRITICAL ", "Fatal Python error", "Segmentation fault")


class Failed(Exception):
    pass


def env_for(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIDEOGEN_"))}
    env |= {"VIDEOGEN_STUDIO_HOME": str(home), "QT_QPA_PLATFORM": "offscreen"} | extra
    return env


def run(exe: Path, args: list[str], home: Path, *, stdin: str = "", timeout: float = 180) -> str:
    t = time.perf_counter()
    out = subprocess.run(
        [str(exe), *args], input=stdin, capture_output=True, text=True, env=env_for(home), timeout=timeout
    )
    took = time.perf_counter() - t
    if out.returncode != 0:
        raise Failed(
            f"`{' '.join(args)}` exited with {out.returncode} after {took:.1f} s:\n{out.stderr[-3000:]}"
        )
    for marker in BAD_MARKERS:
        if marker in out.stderr:
            raise Failed(f"`{' '.join(args)}` printed {marker!r}:\n{out.stderr[-3000:]}")
    print(f"  ok: `{exe.name} {' '.join(args)}` in {took:.1f} s")
    return out.stdout


def check_bundle(exe: Path) -> None:
    internal = exe.parent / "_internal"
    base = internal if internal.is_dir() else exe.parent  # PyInstaller < 6 put everything next to the exe
    plugin_dir = next(base.glob("PySide6/Qt/plugins/multimedia"), None) or next(
        base.glob("PySide6/plugins/multimedia"), None
    )
    wanted = {
        "resources/icons/videogen-studio.svg": (
            base / "resources" / "icons" / "videogen-studio.svg"
        ).is_file(),
        "resources/icons/*.png": any((base / "resources" / "icons").glob("videogen-studio-*.png")),
        "QtMultimedia FFmpeg plugin": plugin_dir is not None and any(plugin_dir.glob("*ffmpegmediaplugin*")),
        "PyAV (av/)": (base / "av").is_dir(),
    }
    missing = [name for name, ok in wanted.items() if not ok]
    if missing:
        raise Failed(f"the bundle lacks: {', '.join(missing)}")
    print(f"  ok: bundle has {', '.join(wanted)}")


def verify_mp4(path: Path) -> str:
    """Decode every frame with PyAV; return a one-line description."""
    import av
    import numpy as np

    with av.open(str(path)) as container:
        video = next((s for s in container.streams if s.type == "video"), None)
        audio = next((s for s in container.streams if s.type == "audio"), None)
        if video is None or audio is None:
            raise Failed(f"{path.name} lacks a {'video' if video is None else 'audio'} stream")
        frames = 0
        size = (0, 0)
        for frame in container.decode(video=0):
            frames += 1
            size = (frame.width, frame.height)
        container.seek(0)
        samples: list[np.ndarray] = [f.to_ndarray().ravel() for f in container.decode(audio=0)]
        duration = float(container.duration or 0) / 1_000_000
    pcm = np.concatenate(samples) if samples else np.zeros(1)
    rms = float(np.sqrt(np.mean(np.square(pcm.astype(np.float64)))))
    if frames < 10 or duration < 1.0:
        raise Failed(f"{path.name}: only {frames} frames / {duration:.2f} s")
    if rms < 1e-4:
        raise Failed(f"{path.name}: the audio track is silent")
    return (
        f"{video.codec_context.name} {size[0]}×{size[1]}, {frames} frames, "
        f"{audio.codec_context.name} {audio.codec_context.sample_rate} Hz (RMS {rms:.3f}), {duration:.2f} s"
    )


def gui_supports(exe: Path, home: Path, flag: str) -> bool:
    out = subprocess.run(
        [str(exe), "gui", "--help"], capture_output=True, text=True, env=env_for(home), timeout=60
    )
    return out.returncode == 0 and flag in out.stdout


def check_gui(exe: Path, home: Path, seconds: float, clip: Path | None) -> None:
    home.mkdir(parents=True, exist_ok=True)
    args: list[str] = []
    self_quitting = clip is not None and gui_supports(exe, home, "--quit-after")
    if self_quitting:
        args = ["gui", "--play", str(clip), "--quit-after", str(seconds)]
    # qt.multimedia.ffmpeg logs one line when the FFmpeg backend comes up: proof the plugin loaded.
    env = env_for(home, QT_LOGGING_RULES="qt.multimedia.ffmpeg=true")
    stderr_path = home / "gui-stderr.txt"
    stdout_path = home / "gui-stdout.txt"
    with stderr_path.open("w") as stderr, stdout_path.open("w") as stdout:
        proc = subprocess.Popen([str(exe), *args], stdout=stdout, stderr=stderr, env=env)
        try:
            code = proc.wait(timeout=seconds + 45 if self_quitting else seconds)
            if not self_quitting:
                raise Failed(f"the GUI exited by itself with status {code} within {seconds:.0f} s")
        except subprocess.TimeoutExpired:
            if self_quitting:
                proc.kill()
                proc.wait()
                raise Failed("the GUI did not quit by itself after --quit-after") from None
            proc.terminate()  # SIGTERM / TerminateProcess: it was still up, which is what we checked
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            code = 0
    errors = stderr_path.read_text(errors="replace")
    logs = "".join(p.read_text(errors="replace") for p in (home / "logs").glob("*.log"))
    if self_quitting and code != 0:
        raise Failed(f"the GUI exited with status {code}:\n{errors[-3000:]}\n{logs[-3000:]}")
    for marker in (*BAD_MARKERS, " ERROR "):
        if marker in errors or marker in logs:
            raise Failed(f"the GUI logged {marker.strip()!r}:\n{errors[-3000:]}\n{logs[-3000:]}")
    thumbs = list((home / "cache" / "thumbnails").glob("*"))
    if not thumbs:
        raise Failed("the GUI never fetched a presenter thumbnail from its embedded sandbox")
    if "Using Qt multimedia with FFmpeg" not in errors:
        raise Failed(f"the QtMultimedia FFmpeg backend did not come up:\n{errors[-3000:]}")
    played = stdout_path.read_text(errors="replace").strip()
    how = f"{played} and quit by itself" if self_quitting else f"stayed up {seconds:.0f} s"
    print(f"  ok: GUI offscreen {how}; {len(thumbs)} thumbnails fetched; FFmpeg multimedia backend loaded")
    if not self_quitting:
        print("  note: this build has no `gui --play/--quit-after`, so the player itself was not exercised")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("executable", nargs="?", type=Path, default=DEFAULT_EXE)
    p.add_argument("--gui-seconds", type=float, default=8.0)
    args = p.parse_args()
    exe: Path = args.executable.resolve()
    if not exe.is_file():
        print(f"no executable at {exe}; build it with packaging/build.sh", file=sys.stderr)
        return 2
    print(f"smoke test of {exe}")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="vgs-smoke-") as tmp:
        root = Path(tmp)
        try:
            print("1. bundle contents")
            check_bundle(exe)
            print("2. presenters from the embedded sandbox")
            home = root / "cli-home"
            listing = run(exe, ["presenters", "--base-url", "sandbox"], home)
            ids = [line.split("\t")[0] for line in listing.splitlines() if line.startswith("vg_pres_")]
            if not ids:
                raise Failed(f"no presenters listed:\n{listing}")
            print(f"  ok: {len(ids)} presenters, first {ids[0]}")
            print("3. render a clip and decode it")
            out_dir = root / "out"
            printed = run(
                exe,
                [
                    "render",
                    "--base-url",
                    "sandbox",
                    "--presenter",
                    ids[0],
                    "--script",
                    "-",
                    "--out",
                    str(out_dir),
                ],
                home,
                stdin=SCRIPT,
            )
            clip = Path(printed.strip().splitlines()[-1])
            if not clip.is_file() or clip.parent != out_dir:
                raise Failed(f"render printed {printed!r}, but no such MP4 in {out_dir}")
            print(f"  ok: {clip.name}: {verify_mp4(clip)}")
            print("4. GUI offscreen")
            check_gui(exe, root / "gui-home", args.gui_seconds, clip)
        except (Failed, subprocess.TimeoutExpired) as exc:
            print(f"FAILED: {exc}", file=sys.stderr)
            return 1
    print(f"PASSED in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
