"""A 200-job render queue against the sandbox, with the real main window open on a qasync loop.

    .venv/bin/python benchmarks/bench_queue.py [--jobs 200] [--concurrency 8] [--executions-per-min 300]

Two child processes:

* the sandbox, as a separate program (like the real service, its work does not share the app's CPU time or
  GIL): SandboxConfig.fast() with realistic-ish timings scaled ~10× down (speech 0.1 + 0.3 s pending +
  running, video 0.2 + 0.9 s), 16 render workers instead of the stand-in's 2 (the service renders in
  parallel), and the "executions" group (status polls) limited to N requests per minute. The limiter's
  window is shortened from one hour to one minute so a 90-second run meets it; the client reads the window
  from the X-RateLimit-* headers, exactly as it would for an hourly one. The stand-in's media rendering is
  replaced by copies of one pre-rendered clip, because the real service does that work on its own machines;
  routes, validation, states, storage and downloads are all unchanged.
* the app: `build_studio()` with settings pointing at that sandbox and concurrency 8 (the settings maximum),
  the main window shown, `ready` awaited. A 10 ms QTimer heartbeat then runs for a few idle seconds (the
  baseline) and afterwards throughout the queue run: all jobs are submitted at once through the
  controller (as if pasted in quickly) and run to the end, downloads included. A stall is the largest gap
  between heartbeats minus the 10 ms interval. The worst stall is reported twice: over the whole run, and
  for the steady state after the first second (which holds the 200 submissions themselves).
  Garbage-collector pauses are timed too, to explain stalls.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from _common import Figure, child_env, parser, percentile, print_machine, report

HEARTBEAT_MS = 10
STALL_BUDGET_MS = 50.0
IDLE_S = 5.0
RATE_WINDOW_S = 60.0
SANDBOX_WORKERS = 16
SUBMIT_WINDOW_S = 1.0  # the first second of the run: the burst of submissions
TTS_S = (0.1, 0.3)  # pending, running
AVATAR_S = (0.2, 0.9)


# ----------------------------------------------------------------------------------- sandbox child
def _serve_sandbox(data_dir: Path, executions_per_min: int) -> None:
    import shutil
    import threading

    from videogen_studio.sandbox import SandboxConfig, SandboxServer, media
    from videogen_studio.sandbox import app as sandbox_app
    from videogen_studio.sandbox import state as sandbox_state

    sandbox_app.RATE_WINDOW_S = RATE_WINDOW_S  # read at call time by the sandbox's RateLimiter
    # The service renders many clips at once; the stand-in's default of 2 workers would be the bottleneck.
    sandbox_state.RENDER_WORKERS = SANDBOX_WORKERS

    # One real speech clip and one real talking-head clip; every execution then copies them.
    assets = data_dir / "bench-media"
    assets.mkdir(parents=True, exist_ok=True)
    speech = assets / "speech.mp3"
    speech_s = media.synthesize_speech("Hello! This is a benchmark clip.", speech)
    clip = assets / "avatar.mp4"
    portrait = media.render_portrait(0, "FEMALE", size=256)
    clip_s = media.render_talking_head(portrait, speech, clip, watermark=False, size=128)

    def fake_speech(text: str, out_path: Path, **_kw: object) -> float:
        shutil.copyfile(speech, out_path)
        return speech_s

    def fake_video(portrait_png: bytes, audio_path: Path, out_path: Path, **_kw: object) -> float:
        shutil.copyfile(clip, out_path)
        return clip_s

    media.synthesize_speech = fake_speech  # type: ignore[assignment]
    media.render_talking_head = fake_video  # type: ignore[assignment]

    # Every API answer, with its status and time: the request log has no status column.
    answers: list[tuple[float, str, str, int]] = []
    lock = threading.Lock()
    original = sandbox_app.ApiApp.handle

    def handle(self: sandbox_app.ApiApp, request):  # type: ignore[no-untyped-def]
        response = original(self, request)
        with lock:
            answers.append((time.monotonic(), request.method, request.path, response.status))
        return response

    sandbox_app.ApiApp.handle = handle  # type: ignore[method-assign]

    config = SandboxConfig.fast()
    config.tts_pending_s, config.tts_running_s = TTS_S
    config.avatar_pending_s, config.avatar_running_s = AVATAR_S
    config.presenter_count = 24
    config.rate_limits = dict(config.rate_limits, executions=executions_per_min)
    server = SandboxServer(data_dir / "sandbox", assets_dir=data_dir / "assets", config=config)
    server.start()
    print(json.dumps({"base_url": server.base_url, "api_key": server.api_key}), flush=True)
    sys.stdin.readline()  # the parent says when the app is done
    log = server.request_log
    server.stop()
    with lock:
        rows = list(answers)
    print(
        json.dumps(
            {
                "request_log_api": sum(1 for entry in log if entry.origin == "api"),
                "request_log_storage": sum(1 for entry in log if entry.origin == "storage"),
                "answers": rows,
            }
        ),
        flush=True,
    )


# -------------------------------------------------------------------------------------- app child
def _run_app(base_url: str, api_key: str, jobs: int, concurrency: int) -> dict[str, object]:
    import asyncio

    import qasync
    from PySide6.QtCore import Qt, QTimer

    from videogen_studio.app import build_studio, configure_logging, create_application
    from videogen_studio.paths import app_paths
    from videogen_studio.pipeline.jobs import JobState, RenderSpec
    from videogen_studio.settings import Settings, save_settings
    from videogen_studio.ui.gc_guard import GuiThreadGarbageCollector

    class Heartbeat:
        def __init__(self) -> None:
            self.timer = QTimer()
            self.timer.setTimerType(Qt.TimerType.PreciseTimer)
            self.timer.setInterval(HEARTBEAT_MS)
            self.timer.timeout.connect(self._beat)
            self.gaps: list[float] = []
            self.at: list[float] = []  # when each gap ended, seconds since start()
            self._last = self._start = 0.0

        def _beat(self) -> None:
            now = time.perf_counter()
            self.gaps.append((now - self._last) * 1000)
            self.at.append(now - self._start)
            self._last = now

        def start(self) -> None:
            self.gaps.clear()
            self.at.clear()
            self._last = self._start = time.perf_counter()
            self.timer.start()

        def worst(self, n: int) -> list[tuple[float, float]]:
            """The n largest stalls as (stall ms, seconds into the run)."""
            pairs = sorted(zip(self.gaps, self.at, strict=True), reverse=True)[:n]
            return [(round(gap - HEARTBEAT_MS, 1), round(at, 2)) for gap, at in pairs]

        def stop(self) -> list[float]:
            self.timer.stop()
            return [max(0.0, gap - HEARTBEAT_MS) for gap in self.gaps]

    gc_pauses: list[tuple[int, float]] = []  # (generation, ms)
    gc_started = [0.0]

    # gc.callbacks also see the collections that the app's GuiThreadGarbageCollector starts by hand.
    def on_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            gc_started[0] = time.perf_counter()
        else:
            gc_pauses.append((info["generation"], (time.perf_counter() - gc_started[0]) * 1000))

    gc.callbacks.append(on_gc)

    paths = app_paths().ensure()
    save_settings(
        paths, Settings(base_url=base_url, output_dir=str(paths.downloads), concurrency=concurrency)
    )
    os.environ["VIDEOGEN_API_KEY"] = api_key  # SecretStore reads the environment first
    configure_logging(paths)
    app = create_application([sys.argv[0]])
    app.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    collector = GuiThreadGarbageCollector(parent=app)  # as in app.run_gui()
    studio = build_studio(paths)
    window, controller = studio.window, studio.controller

    async def run() -> dict[str, object]:
        ready, finished = asyncio.Event(), asyncio.Event()
        controller.ready.connect(ready.set)
        controller.finished.connect(finished.set)
        window.show()
        controller.spawn(controller.start())
        await asyncio.wait_for(ready.wait(), 60)
        await asyncio.sleep(2.0)  # thumbnails land; the window is now what a user sees
        beat = Heartbeat()
        beat.start()
        await asyncio.sleep(IDLE_S)
        idle = beat.stop()
        gc_pauses.clear()

        session = controller.session
        assert session is not None
        presenters = list(controller.presenters.values())
        beat.start()
        start = time.perf_counter()
        for i in range(jobs):
            p = presenters[i % len(presenters)]
            controller.submit_render(
                RenderSpec(
                    presenter_id=p.avatar_presenter_id,
                    script=f"Benchmark clip number {i + 1}. Thanks for watching!",
                    presenter_thumbnail_url=p.thumbnail_url,
                )
            )
        submitted_ms = (time.perf_counter() - start) * 1000
        while not all(job.state.is_terminal for job in session.queue.jobs()):
            await asyncio.sleep(0.1)
        total_s = time.perf_counter() - start
        busy = beat.stop()
        worst = beat.worst(5)
        steady = [gap for gap, at in zip(busy, beat.at, strict=True) if at > SUBMIT_WINDOW_S]
        gcs = list(gc_pauses)
        states = Counter(job.state.value for job in session.queue.jobs())
        stats = dict(session.queue.stats)
        window.close()
        await asyncio.wait_for(finished.wait(), 30)
        return {
            "total_s": total_s,
            "submit_all_ms": submitted_ms,
            "states": dict(states),
            "stats": stats,
            "done": states.get(JobState.DONE.value, 0),
            "idle_stall_ms": max(idle),
            "idle_p99_ms": percentile(idle, 99),
            "busy_stall_ms": max(busy),
            "busy_p99_ms": percentile(busy, 99),
            "steady_stall_ms": max(steady),
            "busy_over_budget": sum(1 for s in busy if s > STALL_BUDGET_MS),
            "busy_beats": len(busy),
            "busy_top": worst,
            "gc_collections": len(gcs),
            "gc_max_ms": max((ms for _, ms in gcs), default=0.0),
            "gc_gen2": [round(ms, 1) for gen, ms in gcs if gen == 2],
        }

    with loop:
        result = loop.run_until_complete(run())
    collector.stop()
    return result


# ------------------------------------------------------------------------------------------ parent
def _per_minute(times: list[float]) -> float:
    """The most requests in any 60-second window."""
    best, lo = 0, 0
    for hi, t in enumerate(times):
        while t - times[lo] > 60.0:
            lo += 1
        best = max(best, hi - lo + 1)
    return float(best)


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--jobs", type=int, default=200)
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--executions-per-min", type=int, default=300)
    p.add_argument("--serve-sandbox", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--app", nargs=2, metavar=("BASE_URL", "KEY"), help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.serve_sandbox:
        _serve_sandbox(args.serve_sandbox, args.executions_per_min)
        return
    if args.app:
        print(json.dumps(_run_app(args.app[0], args.app[1], args.jobs, args.concurrency)))
        return

    print_machine()
    with tempfile.TemporaryDirectory(prefix="vgs-bench-queue-") as tmp:
        command = [sys.executable, __file__, "--serve-sandbox", tmp]
        command += ["--executions-per-min", str(args.executions_per_min)]
        sandbox = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=child_env(),
        )
        assert sandbox.stdin is not None and sandbox.stdout is not None
        try:
            hello = json.loads(sandbox.stdout.readline())
            print(
                f"sandbox at {hello['base_url']}; executions limited to {args.executions_per_min}/min; "
                f"{args.jobs} jobs at concurrency {args.concurrency}"
            )
            command = [sys.executable, __file__, "--app", hello["base_url"], hello["api_key"]]
            command += ["--jobs", str(args.jobs), "--concurrency", str(args.concurrency)]
            app = subprocess.run(
                command,
                capture_output=True,
                text=True,
                env=child_env(Path(tmp) / "home"),
                timeout=900,
            )
            sandbox.stdin.write("done\n")
            sandbox.stdin.flush()
            served = json.loads(sandbox.stdout.readline())
        finally:
            if sandbox.poll() is None:
                try:
                    sandbox.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    sandbox.kill()
                    sandbox.wait()
    if app.returncode != 0:
        raise SystemExit(f"app child failed:\n{app.stderr[-4000:]}")
    result = json.loads(app.stdout.strip().splitlines()[-1])

    answers = served["answers"]
    times = sorted(t for t, *_ in answers)
    span_min = max(1e-9, (times[-1] - times[0]) / 60.0) if times else 1.0
    statuses = Counter(status for *_, status in answers)
    groups = Counter(
        "executions" if path.startswith("/v1/tools/executions") else path.split("/")[2]
        for _, _, path, _ in answers
    )
    poll_times = sorted(t for t, _, path, _ in answers if path.startswith("/v1/tools/executions"))
    stats = result["stats"]
    print(
        f"{result['done']}/{args.jobs} done in {result['total_s']:.1f} s ({result['states']}); "
        f"submitting all took {result['submit_all_ms']:.0f} ms on the UI thread"
    )
    print(
        f"sandbox saw {served['request_log_api']} API requests ({dict(groups)}) and "
        f"{served['request_log_storage']} storage requests; statuses {dict(statuses)}"
    )
    print(
        f"requests/min: {len(times) / span_min:.0f} average, {_per_minute(times):.0f} peak; "
        f"status polls {len(poll_times)} ({_per_minute(poll_times):.0f} in the busiest minute, "
        f"limit {args.executions_per_min}); polls per job {stats.get('polls', 0) / max(1, args.jobs):.2f}"
    )
    print(
        f"UI heartbeat: idle worst {result['idle_stall_ms']:.1f} ms; during the run worst "
        f"{result['busy_stall_ms']:.1f} ms, p99 {result['busy_p99_ms']:.1f} ms, "
        f"{result['busy_over_budget']} of {result['busy_beats']} beats over {STALL_BUDGET_MS:.0f} ms; "
        f"worst 5 (ms, s into run): {result['busy_top']}"
    )
    print(
        f"garbage collector during the run: {result['gc_collections']} collections, longest "
        f"{result['gc_max_ms']:.1f} ms; full (gen 2) collections: {result['gc_gen2']} ms"
    )
    # The floor: the service's own time per job, `concurrency` jobs at once, with no polling slack at all.
    floor = args.jobs / args.concurrency * (sum(TTS_S) + sum(AVATAR_S))
    bench = f"Queue ({args.jobs} jobs)"
    figures = [
        Figure(bench, "total time, all jobs done", result["total_s"], floor, "s", "server time ÷ concurrency",
               f"{result['done']}/{args.jobs} done, concurrency {args.concurrency}"),
        Figure(bench, "status polls in the busiest minute", _per_minute(poll_times),
               float(args.executions_per_min), "req/min", "the limit",
               f"{statuses.get(429, 0)} × 429 received; {len(times) / span_min:.0f} API req/min on average"),
        Figure(bench, "worst UI stall (10 ms heartbeat)", result["busy_stall_ms"], STALL_BUDGET_MS, "ms",
               "the 50 ms budget", f"idle window in the same run: {result['idle_stall_ms']:.1f} ms"),
        Figure(bench, "worst UI stall after the submit burst", result["steady_stall_ms"], STALL_BUDGET_MS,
               "ms", "the 50 ms budget", f"p99 during the run {result['busy_p99_ms']:.1f} ms"),
        Figure(bench, "worst UI stall vs idle window", result["busy_stall_ms"], result["idle_stall_ms"], "ms",
               "idle window", f"submitting {args.jobs} jobs took {result['submit_all_ms']:.0f} ms"),
    ]  # fmt: skip
    report(figures, args.json, {"app": result, "statuses": dict(statuses), "groups": dict(groups)})


if __name__ == "__main__":
    main()
