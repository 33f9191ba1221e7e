"""A 200-job render queue through the app's own GUI path, against the sandbox's rate limit.

    .venv/bin/python benchmarks/bench_queue.py [--runs 5] [--jobs 200] [--concurrency 8]
        [--executions-per-min 300] [--before /tmp/before-bench] [--md FILE]

Per run, two child processes (and with `--before TREE` the same again with TREE's app, interleaved):

* the sandbox (always this checkout's, so before and after meet the same server), as a program of its own
  (like the real service, its work does not share the app's CPU time or GIL): SandboxConfig.fast() with
  timings ~10× shorter than the demo profile (speech 0.1 + 0.3 s pending + running, video 0.2 + 0.9 s), 16
  render workers, and the "executions" group (status polls) limited to N requests per window, the window
  shortened from one hour to one minute (the client reads it from the X-RateLimit-* headers, exactly as for
  an hourly one). The stand-in's media rendering is replaced by copies of one pre-rendered clip (the real
  service renders on its own machines); routes, validation, states, storage and downloads are unchanged.
* the app, started the way `python -m videogen_studio` starts it: `create_application`, the qasync loop,
  the GUI-thread garbage collector, `build_studio()` and the app's own `_main()` (window shown, session
  started, the heap collected and frozen once the catalog is ready), with settings pointing at that sandbox
  and concurrency 8 (the settings maximum). Once ready and idle, a `StallMeter` heartbeat (2 ms) runs on the
  qasync loop for a few idle seconds (the baseline), then for the whole run: the editor builds one render
  spec (its default voice), and 200 specs (one per presenter, in turn) are emitted through the editor's
  `renderRequested` signal in one synchronous burst — the GUI's own submit path (preflight, queue, queue
  panel and model) — and run to the end, downloads included.

Figures: the worst UI stall including the submit burst (goal < 50 ms), the p99 stall, the total time against
the rate-limit bound (jobs × 2 status polls — one per execution, at least — ÷ the polls-per-minute limit,
or the service's own time ÷ concurrency if that is longer; goal ≤ 1.05×), and the 429s received. The
sandbox's windows are fixed (anchored at the group's first request), so a run that straddles a reset may make
more than N polls in some 60 s span and finish a little under the sustained-rate bound. A 200-job run takes
about 1.5 minutes per app, so the default 5 runs take ~8 minutes (~16 with `--before`). `--why`
(diagnostic, not for figures) also samples the GUI thread's stack while the heartbeat is late
(`bench_stall_probe.py`) and prints where the stalled time went, each long stall split by the kernel's
account of the loop thread into on a CPU, waiting for a CPU (machine load) and asleep (locks, GIL, disk).
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

from _common import (
    Figure,
    StallMeter,
    median,
    parser,
    percentile,
    print_machine,
    report,
    series_figure,
)
from bench_trees import ba_row, tree_env, use_tree, write_section

STALL_GOAL_MS = 50.0
IDLE_S = 3.0
RATE_WINDOW_S = 60.0
SANDBOX_WORKERS = 16
BURST_WINDOW_S = 1.0  # the first second of the run: the submit burst and its immediate aftermath
TTS_S = (0.1, 0.3)  # pending, running
AVATAR_S = (0.2, 0.9)
POLLS_PER_JOB = 2  # at least one status poll per execution: speech, then avatar


class TimedStallMeter(StallMeter):
    """A StallMeter that also notes when each beat came (seconds since start), to place the worst stalls."""

    def __init__(self, interval: float = 0.002) -> None:
        super().__init__(interval)
        self.at: list[float] = []

    async def _beat(self) -> None:
        import asyncio

        loop = asyncio.get_running_loop()
        first = last = loop.time()
        while True:
            await asyncio.sleep(self.interval)
            now = loop.time()
            self.stalls.append(max(0.0, now - last - self.interval))
            self.at.append(now - first)
            last = now

    def start(self) -> None:
        self.at.clear()
        super().start()

    def worst(self, n: int) -> list[tuple[float, float]]:
        """The n largest stalls as (ms, seconds into the measurement)."""
        pairs = sorted(zip(self.stalls, self.at, strict=False), reverse=True)[:n]
        return [(round(s * 1000, 1), round(at, 2)) for s, at in pairs]


# ----------------------------------------------------------------------------------- sandbox child
def _serve_sandbox(data_dir: Path, executions_per_min: int) -> None:
    import shutil
    import threading

    from videogen_studio.sandbox import SandboxConfig, SandboxServer, media
    from videogen_studio.sandbox import ratelimit as sandbox_ratelimit
    from videogen_studio.sandbox import routes as sandbox_routes
    from videogen_studio.sandbox import state as sandbox_state

    sandbox_ratelimit.RATE_WINDOW_S = RATE_WINDOW_S  # read at call time by SandboxRateLimit.hit
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
    still = media.first_frame(clip)

    def fake_speech(text: str, out_path: Path, **_kw: object) -> float:
        shutil.copyfile(speech, out_path)
        return speech_s

    def fake_video(portrait_png: bytes, audio_path: Path, out_path: Path, **_kw: object) -> float:
        shutil.copyfile(clip, out_path)
        return clip_s

    # The media package resolves names lazily (sandbox/media/__init__.py); attributes set here win.
    media.synthesize_speech = fake_speech  # type: ignore[assignment]
    media.render_talking_head = fake_video  # type: ignore[assignment]
    media.first_frame = lambda _path: still  # type: ignore[assignment]

    # Every API answer, with its status and time: the request log has no status column.
    answers: list[tuple[float, str, str, int]] = []
    lock = threading.Lock()
    original = sandbox_routes.ApiRoutes.handle

    cpu_at_first_submit: list[float] = []

    def handle(self: sandbox_routes.ApiRoutes, request):  # type: ignore[no-untyped-def]
        if not cpu_at_first_submit and request.method == "POST":
            cpu_at_first_submit.append(time.process_time())  # the run starts: its CPU from here on
        response = original(self, request)
        with lock:
            answers.append((time.monotonic(), request.method, request.path, response.status))
        return response

    sandbox_routes.ApiRoutes.handle = handle  # type: ignore[method-assign]

    config = SandboxConfig.fast()
    config.tts_pending_s, config.tts_running_s = TTS_S
    config.avatar_pending_s, config.avatar_running_s = AVATAR_S
    config.presenter_count = 24
    config.persist = False
    config.rate_limits = dict(config.rate_limits, executions=executions_per_min)
    server = SandboxServer(data_dir / "sandbox", assets_dir=data_dir / "assets", config=config)
    server.start()
    print(json.dumps({"base_url": server.base_url, "api_key": server.api_key}), flush=True)
    sys.stdin.readline()  # the parent says when the app is done
    server.stop()
    with lock:
        rows = list(answers)
    cpu = time.process_time() - (cpu_at_first_submit or [0.0])[0]
    print(json.dumps({"answers": rows, "cpu_s": cpu}), flush=True)


# -------------------------------------------------------------------------------------- app child
def _run_app(
    tree: Path | None,
    base_url: str,
    api_key: str,
    jobs: int,
    concurrency: int,
    why: bool = False,
) -> dict[str, object]:
    where = use_tree(tree)
    import asyncio
    import dataclasses

    import qasync

    from videogen_studio import app as studio_app
    from videogen_studio.paths import app_paths
    from videogen_studio.settings import Settings, save_settings
    from videogen_studio.ui.gc_guard import GuiThreadGarbageCollector

    gc_pauses: list[tuple[int, float]] = []  # (generation, ms)
    gc_started = [0.0]

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            gc_started[0] = time.perf_counter()
        else:
            gc_pauses.append((info["generation"], (time.perf_counter() - gc_started[0]) * 1000))

    gc.callbacks.append(on_gc)

    # As run_gui() does, with settings of our own and the key from the environment (read first).
    paths = app_paths().ensure()
    save_settings(
        paths,
        Settings(base_url=base_url, output_dir=str(paths.downloads), concurrency=concurrency),
    )
    os.environ["VIDEOGEN_API_KEY"] = api_key
    studio_app.configure_logging(paths)
    app = studio_app.create_application([sys.argv[0]])
    app.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    collector = GuiThreadGarbageCollector(parent=app)
    studio = studio_app.build_studio(paths)
    window, controller = studio.window, studio.controller

    async def drive() -> dict[str, object]:
        ready = asyncio.Event()
        controller.ready.connect(ready.set)
        # The app's own start: show, start the session, collect + freeze the heap on `ready`.
        main = asyncio.ensure_future(studio_app._main(studio))
        await asyncio.wait_for(ready.wait(), 90)
        await asyncio.sleep(2.0)  # thumbnails land; the window is now what a user sees
        frozen = gc.get_freeze_count()

        meter = TimedStallMeter()
        meter.start()
        await asyncio.sleep(IDLE_S)
        meter.stop()
        idle = list(meter.stalls)
        gc_pauses.clear()

        # The editor builds the spec, as when the user presses Render (its default voice and options).
        editor = window.editor
        presenters = list(controller.presenters.items())
        pid, first = presenters[0]
        name = getattr(first, "name", "") or pid
        editor.set_presenter(pid, name, getattr(first, "thumbnail_url", ""))
        editor.script_edit.setPlainText("Benchmark clip. Thanks for watching!")
        template = editor.build_render_spec()
        if not template.voice_id:
            raise SystemExit("the editor chose no voice: the sandbox requires one")
        specs = []
        for i in range(jobs):
            pid, p = presenters[i % len(presenters)]
            specs.append(
                dataclasses.replace(
                    template,
                    presenter_id=pid,
                    presenter_name=getattr(p, "name", "") or pid,
                    presenter_thumbnail_url=getattr(p, "thumbnail_url", ""),
                    script=f"Benchmark clip number {i + 1}. Thanks for watching!",
                )
            )
        session = controller.session
        queue = session.queue
        known = {job.job_id for job in queue.jobs()}

        probe = None
        if why:  # diagnostic runs only: the sampling thread costs a little CPU
            from bench_stall_probe import StallProbe

            probe = StallProbe()
            probe.start()
        meter.start()
        # The heartbeat's clock starts at its first beat: let it beat before the burst, or the burst's own
        # stall would be invisible.
        await asyncio.sleep(0.05)
        cpu_start = time.process_time()
        start = time.perf_counter()
        for spec in specs:  # one burst, through the signal the Render button emits
            editor.renderRequested.emit(spec)
        submit_ms = (time.perf_counter() - start) * 1000
        deadline = start + 900
        while time.perf_counter() < deadline:
            mine = [job for job in queue.jobs() if job.job_id not in known]
            if len(mine) >= jobs and all(job.state.is_terminal for job in mine):
                break
            await asyncio.sleep(0.05)
        total_s = time.perf_counter() - start
        cpu_s = time.process_time() - cpu_start
        await asyncio.sleep(0.05)
        meter.stop()
        if probe is not None:
            probe.stop()
        busy = list(meter.stalls)
        steady = [s for s, at in zip(meter.stalls, meter.at, strict=False) if at > BURST_WINDOW_S]
        mine = [job for job in queue.jobs() if job.job_id not in known]
        states = Counter(job.state.value for job in mine)
        stats = {k: v for k, v in dict(queue.stats).items() if isinstance(v, int)}
        gcs = list(gc_pauses)
        window.close()  # the normal close path: closeEvent -> shutdown -> finished -> _main returns
        await asyncio.wait_for(main, 60)
        return {
            "tree": where,
            "total_s": total_s,
            "cpu_s": cpu_s,
            "submit_ms": submit_ms,
            "jobs_seen": len(mine),
            "states": dict(states),
            "done": states.get("done", 0),
            "stats": stats,
            "frozen_objects": frozen,
            "idle_stall_ms": max(idle, default=0.0) * 1000,
            "stall_ms": max(busy, default=0.0) * 1000,
            "stall_p99_ms": percentile(busy, 99) * 1000,
            "steady_stall_ms": max(steady, default=0.0) * 1000,
            "over_goal": sum(1 for s in busy if s * 1000 > STALL_GOAL_MS),
            "beats": len(busy),
            "top": meter.worst(5),
            "why": probe.top(12) if probe is not None else [],
            "why_episodes": probe.worst_episodes(6) if probe is not None else [],
            "why_split": probe.split() if probe is not None else {},
            "why_threads": probe.threads_cpu() if probe is not None else [],
            "gc_collections": len(gcs),
            "gc_max_ms": max((ms for _, ms in gcs), default=0.0),
            "gc_gen2_ms": [round(ms, 1) for gen, ms in gcs if gen == 2],
        }

    with loop:
        result = loop.run_until_complete(drive())
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


def _route(path: str) -> str:
    """A request path with its ids replaced, e.g. GET /v1/tools/executions/{id}."""
    parts = path.split("?", 1)[0].split("/")
    return "/".join("{id}" if part.startswith("vg_") else part for part in parts)


def _one_run(args: argparse.Namespace, tree: Path | None) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="vgs-bench-queue-") as tmp:
        command = [sys.executable, __file__, "--serve-sandbox", tmp]
        command += ["--executions-per-min", str(args.executions_per_min)]
        sandbox = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=tree_env(None),
        )
        assert sandbox.stdin is not None and sandbox.stdout is not None
        try:
            hello = json.loads(sandbox.stdout.readline())
            command = [
                sys.executable,
                __file__,
                "--app",
                hello["base_url"],
                hello["api_key"],
            ]
            command += [
                "--jobs",
                str(args.jobs),
                "--concurrency",
                str(args.concurrency),
            ]
            if tree is not None:
                command += ["--child-tree", str(tree)]
            if args.why:
                command.append("--why")
            app = subprocess.run(
                command,
                capture_output=True,
                text=True,
                env=tree_env(tree, Path(tmp) / "home"),
                timeout=1200,
            )
            sandbox.stdin.write("done\n")
            sandbox.stdin.flush()
            served = json.loads(sandbox.stdout.readline())
        finally:
            try:
                sandbox.wait(timeout=30)
            except subprocess.TimeoutExpired:
                sandbox.kill()
                sandbox.wait()
    if app.returncode != 0:
        raise SystemExit(f"app child failed:\n{app.stderr[-4000:]}")
    result = json.loads(app.stdout.strip().splitlines()[-1])
    answers = served["answers"]
    polls = sorted(t for t, m, path, _ in answers if m == "GET" and path.startswith("/v1/tools/executions/"))
    result["sandbox_cpu_s"] = served.get("cpu_s", 0.0)
    result["statuses"] = dict(Counter(str(status) for *_, status in answers))
    result["r429"] = sum(1 for *_, status in answers if status == 429)
    result["polls"] = len(polls)
    result["polls_busiest_min"] = _per_minute(polls)
    result["groups"] = dict(Counter(f"{m} {_route(path)}" for _, m, path, _ in answers))
    return result


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--jobs", type=int, default=200)
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--executions-per-min", type=int, default=300)
    p.add_argument(
        "--before",
        type=Path,
        help="another checkout to measure the same way (before figures)",
    )
    p.add_argument("--md", type=Path, help="write the before/after table to this Markdown file")
    p.add_argument("--serve-sandbox", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--app", nargs=2, metavar=("BASE_URL", "KEY"), help=argparse.SUPPRESS)
    p.add_argument("--child-tree", type=Path, help=argparse.SUPPRESS)
    p.add_argument(
        "--why",
        action="store_true",
        help="diagnostic: sample the GUI thread's stack during stalls",
    )
    args = p.parse_args()
    if args.serve_sandbox:
        _serve_sandbox(args.serve_sandbox, args.executions_per_min)
        return
    if args.app:
        result = _run_app(
            args.child_tree,
            args.app[0],
            args.app[1],
            args.jobs,
            args.concurrency,
            args.why,
        )
        print(json.dumps(result))
        return

    print_machine()
    limit = args.executions_per_min
    rate_bound = args.jobs * POLLS_PER_JOB / limit * RATE_WINDOW_S
    service_floor = args.jobs / args.concurrency * (sum(TTS_S) + sum(AVATAR_S))
    bound = max(rate_bound, service_floor)
    print(
        f"{args.jobs} jobs at concurrency {args.concurrency}; status polls limited to {limit}/min: bound "
        f"{bound:.1f} s (rate: {args.jobs} × {POLLS_PER_JOB} polls ÷ {limit}/min = {rate_bound:.1f} s; "
        f"service time ÷ concurrency = {service_floor:.1f} s)"
    )
    trees: dict[str, Path | None] = {"after": None}
    if args.before is not None:
        trees["before"] = args.before
    runs: dict[str, list[dict[str, object]]] = {t: [] for t in trees}
    names = list(trees)
    for run in range(args.runs):
        for who in names[run % len(names) :] + names[: run % len(names)]:
            r = _one_run(args, trees[who])
            runs[who].append(r)
            print(
                f"run {run + 1} {who:6}: {r['done']}/{args.jobs} done ({r['states']}) "
                f"in {r['total_s']:.1f} s = {r['total_s'] / bound:.2f}× bound; "
                f"burst {r['submit_ms']:.0f} ms; stall worst "
                f"{r['stall_ms']:.1f} ms, p99 {r['stall_p99_ms']:.1f}, after the first second "
                f"{r['steady_stall_ms']:.1f}, idle {r['idle_stall_ms']:.1f}; worst 5 (ms, s) {r['top']}; "
                f"polls {r['polls']} ({r['polls_busiest_min']:.0f} in the busiest minute), 429s {r['r429']}; "
                f"gc {r['gc_collections']} collections, gen-2 {r['gc_gen2_ms']} ms; "
                f"frozen {r['frozen_objects']}; CPU during the run: app {r['cpu_s']:.1f} s (all threads), "
                f"sandbox {r['sandbox_cpu_s']:.1f} s",
                flush=True,
            )
            print(f"    requests: {r['groups']}; statuses {r['statuses']}", flush=True)
            for ms, where in r["why"]:  # type: ignore[union-attr]
                print(f"    stalled ~{ms:5d} ms in {where}", flush=True)
            if r["why"]:
                split = r["why_split"]
                print(
                    "    stalls > 16 ms, by the kernel's account of the loop thread: "
                    + ", ".join(f"{k} {v:.0f} ms" for k, v in split.items()),  # type: ignore[union-attr]
                    flush=True,
                )
                for line in r["why_episodes"]:  # type: ignore[union-attr]
                    print(f"    episode {line}", flush=True)
                print(f"    app threads' CPU: {'; '.join(r['why_threads'])}", flush=True)  # type: ignore[arg-type]

    def vals(who: str, key: str) -> list[float]:
        return [float(r[key]) for r in runs[who]]  # type: ignore[arg-type]

    goal = [STALL_GOAL_MS]
    figures: list[Figure] = []
    for who in trees:
        bench = f"Queue ({args.jobs} jobs)" + ("" if who == "after" else " (before)")
        note = f"{args.runs} runs of {args.jobs} jobs (~1.5 min each)"
        figures += [
            series_figure(bench, "worst UI stall, submit burst included", vals(who, "stall_ms"), goal, "ms",
                          "the 50 ms goal", f"2 ms heartbeat on the qasync loop; {note}"),
            series_figure(bench, "p99 UI stall during the run", vals(who, "stall_p99_ms"), goal, "ms",
                          "the 50 ms goal",
                          f"idle window: worst {median(vals(who, 'idle_stall_ms')):.1f} ms"),
            series_figure(bench, "total time, all jobs done", vals(who, "total_s"), [bound], "s",
                          "rate-limit bound",
                          f"{args.jobs}×{POLLS_PER_JOB} polls at {limit}/min; goal ≤ 1.05×"),
            series_figure(bench, "429 answers received", vals(who, "r429"), [0.0], "", "none", digits=0),
        ]  # fmt: skip
    report(figures, args.json, {"runs": runs, "bound_s": bound})

    if "before" in trees:
        ratio = {w: [t / bound for t in vals(w, "total_s")] for w in trees}
        rows = [
            ba_row("worst UI stall, submit burst included", vals("after", "stall_ms"),
                   vals("before", "stall_ms"), "ms", "< 50 ms"),
            ba_row("worst UI stall after the first second", vals("after", "steady_stall_ms"),
                   vals("before", "steady_stall_ms"), "ms", "< 50 ms"),
            ba_row("p99 UI stall", vals("after", "stall_p99_ms"), vals("before", "stall_p99_ms"), "ms", ""),
            ba_row(f"submit burst ({args.jobs} × renderRequested, synchronous part)",
                   vals("after", "submit_ms"), vals("before", "submit_ms"), "ms", ""),
            ba_row("total time", vals("after", "total_s"), vals("before", "total_s"), "s",
                   f"bound {bound:.0f} s"),
            ba_row("total ÷ rate-limit bound", ratio["after"], ratio["before"], "×", "≤ 1.05×", digits=2),
            ba_row("status polls", vals("after", "polls"), vals("before", "polls"), "",
                   f"{args.jobs * POLLS_PER_JOB} needed at least", digits=0),
            ba_row("429 answers", vals("after", "r429"), vals("before", "r429"), "", "0", digits=0),
            ba_row("jobs done", vals("after", "done"), vals("before", "done"), "", str(args.jobs), digits=0),
        ]  # fmt: skip
        notes = [
            f"`benchmarks/bench_queue.py --runs {args.runs} --before {args.before}`: {args.runs} runs per "
            "tree (a 200-job run takes ~1.5 min), alternating; the app's own start-up "
            f"(`_main`: heap frozen once ready), {args.jobs} specs emitted through the editor's "
            "`renderRequested` in one burst; "
            f"sandbox (this checkout's for both) with status polls limited to {limit}/min; bound = "
            f"max({args.jobs}×{POLLS_PER_JOB} polls ÷ {limit}/min, service time ÷ concurrency) "
            f"= {bound:.0f} s "
            "(the sandbox's windows are fixed, so a run straddling a reset can finish slightly under it).",
        ]
        write_section(args.md, f"Queue ({args.jobs} jobs)", notes, rows, before=args.before)


if __name__ == "__main__":
    main()
