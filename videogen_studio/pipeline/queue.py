"""RenderQueue: the pipeline's public face for the UI and the command line.

It owns the in-memory mirror of the job store, runs at most `concurrency` jobs at once (one asyncio task
per running job, each driving a JobRunner), spaces every job's polling under one shared request budget, and
publishes plain `JobEvent`s. Everything happens on the event loop thread; there is no Qt here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..api.client import VideoGenClient
from ..api.transfer import part_path
from .jobs import JobState, RenderJob, RenderSpec
from .runner import JobRunner, PollPacer, recover
from .store import JobStore

log = logging.getLogger(__name__)

#: Jobs VideoGen is already working on for us (or we are downloading): resumed first on start.
_IN_FLIGHT = frozenset({JobState.SPEECH_RUNNING, JobState.AVATAR_RUNNING, JobState.DOWNLOADING})

UNCERTAIN_RETRY_REFUSED = (
    "This render may already have been sent to VideoGen, so retrying could charge it twice. "
    "Check your renders at app.videogen.io first, then retry with confirmation."
)


@dataclass(frozen=True)
class JobEvent:
    kind: Literal["added", "changed", "removed"]
    job: RenderJob


Listener = Callable[[JobEvent], None]


class RenderQueue:
    """Schedules render jobs. Create, `await start()`, `submit()`..., and `await aclose()` when done.

    Call everything from the event loop thread. The client and the store belong to the caller, who closes
    them after `aclose()`. `stats` counts: polls (GET execution calls), tts_submits, avatar_submits,
    downloads, cancel_requests, jobs_done / jobs_failed / jobs_cancelled, and per rate-limit group
    rate_limit_waits_<group> / rate_limit_wait_ms_<group>.
    """

    #: How long `aclose()` lets a paid POST in flight finish, so its execution id is saved, not lost.
    submit_grace_s: float = 15.0

    def __init__(
        self,
        client: VideoGenClient,
        store: JobStore,
        *,
        output_dir: Path,
        concurrency: int = 2,
        poll_interval: float = 1.5,
        max_poll_interval: float = 15.0,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.client = client
        self.store = store
        self.output_dir = Path(output_dir)
        self._concurrency = concurrency
        self.pacer = PollPacer(client, interval=poll_interval, max_interval=max_poll_interval)
        self.stats: Counter[str] = Counter()
        self._jobs: dict[str, RenderJob] = {}
        self._waiting: deque[str] = deque()  # QUEUED job ids, oldest first
        self._runners: dict[str, JobRunner] = {}
        self._tasks: dict[str, asyncio.Task[RenderJob]] = {}
        self._listeners: list[Listener] = []
        self._paused = False
        self._started = False
        self._closing = False
        client.limiter.add_wait_listener(self._on_rate_limit_wait)

    # --------------------------------------------------------------------------------- lifecycle
    async def start(self) -> None:
        """Load jobs from the store, apply the restart rules, and start running."""
        if self._started:
            return
        self._closing = False
        loaded = await asyncio.to_thread(self.store.load_all)  # newest first
        for job in reversed(loaded):  # oldest first, so the waiting line keeps submission order
            if job.job_id in self._jobs:
                continue  # submitted before start(): the in-memory copy is the newer one
            recovered = recover(job)
            if recovered is not job:
                self.store.save(recovered)
                log.info("Job %s after restart: %s -> %s", job.job_id, job.state, recovered.state)
            self._jobs[job.job_id] = recovered
            if recovered.state is JobState.QUEUED:
                self._waiting.append(job.job_id)
            self._emit("added", recovered)
        self._started = True
        # VideoGen is already working on in-flight jobs; polling them costs little and delaying them only
        # delays their results, so they resume at once even beyond the concurrency limit.
        for job in sorted(self._jobs.values(), key=lambda j: j.created_at):
            if job.state in _IN_FLIGHT and job.job_id not in self._tasks:
                self._launch(job)
        self._dispatch()

    async def aclose(self) -> None:
        """Stop all work. Unfinished jobs stay persisted where they are and resume on the next start()."""
        self._closing = True
        self._started = False
        self.client.limiter.remove_wait_listener(self._on_rate_limit_wait)
        tasks = list(self._tasks.values())
        for runner in list(self._runners.values()):
            runner.request_stop("shutdown")
        if tasks:
            _done, pending = await asyncio.wait(tasks, timeout=self.submit_grace_s)
            for task in pending:  # a POST that would not finish: its job becomes "uncertain" on restart
                task.cancel()
            if pending:
                await asyncio.wait(pending)
        self._runners.clear()
        self._tasks.clear()

    # -------------------------------------------------------------------------------------- jobs
    def submit(self, spec: RenderSpec) -> RenderJob:
        """Persist a new QUEUED job and schedule it."""
        job = RenderJob(spec=spec)
        self.store.save(job)
        self._jobs[job.job_id] = job
        self._waiting.append(job.job_id)
        self._emit("added", job)
        self._dispatch()
        return job

    async def cancel(self, job_id: str) -> RenderJob:
        """Cancel a job: a running execution is cancelled on the server; a waiting job just locally."""
        job = self._require(job_id)
        if job.state.is_terminal:
            return job
        runner, task = self._runners.get(job_id), self._tasks.get(job_id)
        if runner is not None and task is not None:
            runner.request_stop("cancel")
            await asyncio.wait({task})
            job = runner.job
            if not job.state.is_terminal:  # the task was cancelled before it ever ran
                job = await runner.finish_cancel()
            return self._jobs.get(job_id, job)
        # Not running: waiting, paused, or in flight before start(). The runner does the server side.
        runner = self._make_runner(job)
        job = await runner.finish_cancel()
        self._discard_waiting(job_id)
        return job

    def retry(self, job_id: str, *, confirm_uncertain: bool = False) -> RenderJob:
        """Queue a FAILED or CANCELLED job again; it resumes after the last paid step that succeeded."""
        job = self._require(job_id)
        if job.state not in (JobState.FAILED, JobState.CANCELLED):
            raise ValueError(
                f"Only failed or cancelled renders can be retried (this one is {job.state.label.lower()})."
            )
        if job.uncertain and not confirm_uncertain:
            raise ValueError(UNCERTAIN_RETRY_REFUSED)
        job = job.advance(
            JobState.QUEUED,
            uncertain=False,
            error_message=None,
            error_hint=None,
            error_code=None,
        )
        self.store.save(job)
        self._jobs[job_id] = job
        self._emit("changed", job)
        if job_id not in self._waiting:
            self._waiting.append(job_id)
        self._dispatch()
        return job

    def remove(self, job_id: str) -> None:
        """Forget a finished, failed or cancelled job. A downloaded video stays on disk."""
        job = self._require(job_id)
        if not job.state.is_terminal:  # a terminal job's task may still be unwinding; that is harmless
            raise ValueError("Only finished, failed or cancelled renders can be removed; cancel it first.")
        self.store.delete(job_id)
        del self._jobs[job_id]
        self._discard_waiting(job_id)
        if job.output_path and job.state is not JobState.DONE:
            # A half-downloaded file is of no use once its job is gone.
            try:
                part_path(Path(job.output_path)).unlink(missing_ok=True)
            except OSError as exc:
                log.info("Could not delete the partial download of %s: %s", job_id, exc)
        self._emit("removed", job)

    def jobs(self) -> list[RenderJob]:
        """All jobs, newest first."""
        return sorted(self._jobs.values(), key=lambda j: (j.created_at, j.job_id), reverse=True)

    def get(self, job_id: str) -> RenderJob | None:
        return self._jobs.get(job_id)

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener(event)` on every change (on the event loop thread). Returns an unsubscribe."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    # ------------------------------------------------------------------------------------ control
    @property
    def concurrency(self) -> int:
        return self._concurrency

    @concurrency.setter
    def concurrency(self, value: int) -> None:
        if value < 1:
            raise ValueError("concurrency must be at least 1")
        self._concurrency = value
        self._dispatch()  # more slots may be free now; fewer just means no new starts until some finish

    def pause(self) -> None:
        """Start no new jobs. Jobs already running continue: VideoGen is working on them anyway."""
        self._paused = True

    def resume(self) -> None:
        self._paused = False
        self._dispatch()

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def running(self) -> int:
        """Jobs with a live runner right now."""
        return len(self._tasks)

    # ----------------------------------------------------------------------------------- internals
    def _require(self, job_id: str) -> RenderJob:
        job = self._jobs.get(job_id)
        if job is None:
            raise KeyError(f"No render job {job_id!r}")
        return job

    def _discard_waiting(self, job_id: str) -> None:
        with contextlib.suppress(ValueError):  # not waiting: nothing to do
            self._waiting.remove(job_id)

    def _dispatch(self) -> None:
        """Start waiting jobs while there are free slots."""
        if not self._started or self._closing or self._paused:
            return
        busy: list[str] = []
        while self._waiting and len(self._tasks) < self._concurrency:
            job_id = self._waiting.popleft()
            job = self._jobs.get(job_id)
            if job is None or job.state is not JobState.QUEUED:
                continue  # removed or cancelled while waiting
            if job_id in self._tasks:
                # Retried the moment it ended: its old task is still unwinding. Its done callback
                # dispatches again, so the job only has to keep its place in the line.
                busy.append(job_id)
                continue
            self._launch(job)
        self._waiting.extendleft(reversed(busy))

    def _make_runner(self, job: RenderJob) -> JobRunner:
        return JobRunner(
            self.client,
            job,
            output_dir=self.output_dir,
            store=self.store,
            on_change=self._on_runner_change,
            pacer=self.pacer,
            stats=self.stats,
        )

    def _launch(self, job: RenderJob) -> None:
        runner = self._make_runner(job)
        task = asyncio.get_running_loop().create_task(runner.run(), name=f"render-{job.job_id[:8]}")
        self._runners[job.job_id] = runner
        self._tasks[job.job_id] = task
        task.add_done_callback(lambda t, job_id=job.job_id: self._on_task_done(job_id, t))

    def _on_task_done(self, job_id: str, task: asyncio.Task[RenderJob]) -> None:
        if self._tasks.get(job_id) is task:
            del self._tasks[job_id]
            self._runners.pop(job_id, None)
        if not task.cancelled() and (exc := task.exception()) is not None:
            # JobRunner.run catches everything; this is a last line of defence.
            log.error("Render task for %s crashed", job_id, exc_info=exc)
        self._dispatch()

    def _on_runner_change(self, job: RenderJob) -> None:
        previous = self._jobs.get(job.job_id)
        if previous is None:
            return  # removed meanwhile
        if job.state.is_terminal and job.state is not previous.state:
            self.stats[f"jobs_{job.state.value}"] += 1
        self._jobs[job.job_id] = job
        self._emit("changed", job)

    def _emit(self, kind: Literal["added", "changed", "removed"], job: RenderJob) -> None:
        event = JobEvent(kind, job)
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                log.exception("A render queue listener failed on %s %s", kind, job.job_id)

    def _on_rate_limit_wait(self, group: str, seconds: float) -> None:
        self.stats[f"rate_limit_waits_{group}"] += 1
        self.stats[f"rate_limit_wait_ms_{group}"] += round(seconds * 1000)
