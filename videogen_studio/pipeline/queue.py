"""RenderQueue: the pipeline's public face for the UI and the command line.

It owns the in-memory mirror of the job store, runs at most `concurrency` jobs at once (one asyncio task
per running job, each driving a JobRunner), spaces every job's polling under one shared request budget, and
publishes plain `JobEvent`s. Everything happens on the event loop thread; there is no Qt here.

One owner per job: the queue has an `owner` id and drives a job only while it holds that job's lease in the
store (`JobStore.claim`). It claims every unfinished job it adopts (submitted here, or found unleased on
start), renews its leases while they matter and releases them when a job ends or the queue closes. A job
leased by another live process (a CLI run beside the GUI) is shown but never touched:
`holder_of(job_id)` names that owner, and the queue adopts the job once the other owner lets it go or dies.

Events (`subscribe(listener)` gets one `JobEvent` per change, on the event loop thread):
- "added": a job appeared (submitted, or loaded on start). A burst from `submit_many()` emits one "added"
  per job with no store write between them; `batch_remaining` counts the "added" events of the same burst
  still to come (0 on the last one), so a view can defer its layout work until the burst is complete.
- "changed": state, progress, ids, notice, `awaiting_approval`, or who holds the job changed.
- "removed": the job was removed.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import logging
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ..api.client import VideoGenClient
from ..api.transfer import part_path
from .failures import FailureKind
from .jobs import JobState, RenderJob, RenderSpec
from .lease import DEFAULT_TTL_S, new_owner_id, owner_is_dead
from .runner import JobRunner, PollPacer, recover
from .store import JobStore

log = logging.getLogger(__name__)

#: Jobs VideoGen is already working on for us (or we are downloading): resumed first on start.
_IN_FLIGHT = frozenset({JobState.SPEECH_RUNNING, JobState.AVATAR_RUNNING, JobState.DOWNLOADING})

UNCERTAIN_RETRY_REFUSED = (
    "This render may already have been sent to VideoGen, so retrying could charge it twice. "
    "Check your renders at app.videogen.io first, then retry with confirmation."
)


HELD_ELSEWHERE = (
    "Another window or command-line run on this data folder is working on this render; "
    "it can be changed here once that one finishes or closes."
)

EventKind = Literal["added", "changed", "removed"]


class JobHeldElsewhere(ValueError):
    """The job is leased by another live process; this queue must not act on it."""

    def __init__(self, job_id: str, holder: str) -> None:
        super().__init__(HELD_ELSEWHERE)
        self.job_id = job_id
        self.holder = holder


@dataclass(frozen=True)
class JobEvent:
    kind: EventKind
    job: RenderJob
    #: For "added" events of one `submit_many()` burst: how many more of the burst follow this one.
    batch_remaining: int = 0


Listener = Callable[[JobEvent], None]


class RenderQueue:
    """Schedules render jobs. Create, `await start()`, `submit()`..., and `await aclose()` when done.

    Call everything from the event loop thread. The client and the store belong to the caller, who closes
    them after `aclose()`. `stats` counts: polls (GET execution calls), tts_submits, avatar_submits,
    uploads, downloads, cancel_requests, jobs_done / jobs_failed / jobs_cancelled, glitches absorbed on
    free requests (poll_glitches, download_glitches, upload_glitches), and per rate-limit group
    rate_limit_waits_<group> / rate_limit_wait_ms_<group>.

    Errors: `submit`/`submit_many`/`retry` raise `LocalFileError` (kind `disk_full` / `local_file`) when the
    store cannot be written, `StoreReadOnly` on a newer app's database, `JobHeldElsewhere` (a ValueError)
    for a job another process drives; `retry` raises ValueError for a job that is not failed/cancelled,
    an uncertain job without `confirm_uncertain=True`, or unknown `changes` keys.
    """

    #: How long `aclose()` lets a paid POST in flight finish, so its execution id is saved, not lost. Never
    #: less than the client's own deadline for one exchange (plus a margin): cutting a POST the service is
    #: still answering makes the job "uncertain". 429 waits do not count: a stopped runner ends those at once.
    submit_grace_s: float = 15.0
    submit_grace_margin_s: float = 5.0

    def __init__(
        self,
        client: VideoGenClient,
        store: JobStore,
        *,
        output_dir: Path,
        concurrency: int = 2,
        poll_interval: float = 1.5,
        max_poll_interval: float = 15.0,
        owner: str | None = None,
        lease_ttl_s: float = DEFAULT_TTL_S,
        approval_poll_interval: float | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.client = client
        self.store = store
        #: This queue's lease owner id ("<host>:<pid>:<random>"): the name other processes see.
        self.owner = owner or new_owner_id()
        self.lease_ttl_s = lease_ttl_s
        self.output_dir = Path(output_dir)
        self._concurrency = concurrency
        self.pacer = PollPacer(
            client,
            interval=poll_interval,
            max_interval=max_poll_interval,
            approval_interval=approval_poll_interval,
        )
        self.stats: Counter[str] = Counter()
        self._jobs: dict[str, RenderJob] = {}
        self._waiting: deque[str] = deque()  # QUEUED job ids, oldest first
        self._runners: dict[str, JobRunner] = {}
        self._tasks: dict[str, asyncio.Task[RenderJob]] = {}
        self._listeners: list[Listener] = []
        #: Unfinished jobs whose lease this queue holds, and unfinished jobs another live owner holds.
        self._held: set[str] = set()
        self._foreign: dict[str, str] = {}
        self._keeper: asyncio.Task[None] | None = None
        #: `start(only=...)`: the waiting jobs this queue may start (None: all of them). See `start`.
        self._only: set[str] | None = None
        self._paused = False
        self._started = False
        self._closing = False
        client.limiter.add_wait_listener(self._on_rate_limit_wait)

    # --------------------------------------------------------------------------------- lifecycle
    async def start(self, *, only: Iterable[str] | None = None) -> None:
        """Load jobs from the store, apply the restart rules, and start running.

        `only` (a command-line run beside a GUI's data): drive just the waiting jobs named here and the jobs
        submitted or retried through this queue afterwards. Every other waiting (QUEUED) job is shown but
        neither claimed nor started — nothing is paid for it; it stays waiting for the GUI that queued it.
        Jobs past QUEUED (in flight: already paid, VideoGen works on them anyway) resume as without `only`.
        """
        if self._started:
            return
        self._closing = False
        if only is not None:
            self._only = set(only)
        loaded = await asyncio.to_thread(self.store.load_all)  # newest first
        # One transaction claims every unfinished job we may drive; the rest are held elsewhere.
        unfinished = [
            j.job_id
            for j in loaded
            if not j.state.is_terminal and j.job_id not in self._jobs and self._may_drive(j)
        ]
        won = self.store.claim_many(unfinished, self.owner, self.lease_ttl_s)
        self._held.update(won)
        for job in reversed(loaded):  # oldest first, so the waiting line keeps submission order
            if job.job_id in self._jobs:
                continue  # submitted before start(): the in-memory copy is the newer one
            adopted = self._adopt(job)
            self._jobs[job.job_id] = adopted
            self._emit("added", adopted)
        self._started = True
        self._ensure_keeper()
        # VideoGen is already working on in-flight jobs; polling them costs little and delaying them only
        # delays their results, so they resume at once even beyond the concurrency limit.
        for job in sorted(self._jobs.values(), key=lambda j: j.created_at):
            if job.state in _IN_FLIGHT and job.job_id not in self._tasks and job.job_id not in self._foreign:
                self._launch(job)
        self._dispatch()

    async def aclose(self) -> None:
        """Stop all work. Unfinished jobs stay persisted where they are and resume on the next start().

        Every lease is released, so another process may take the unfinished jobs over at once.
        """
        self._closing = True
        self._started = False
        self.client.limiter.remove_wait_listener(self._on_rate_limit_wait)
        if self._keeper is not None:
            self._keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._keeper
            self._keeper = None
        tasks = list(self._tasks.values())
        for runner in list(self._runners.values()):
            runner.request_stop("shutdown")
        if tasks:
            grace = max(self.submit_grace_s, self.client.deadline + self.submit_grace_margin_s)
            _done, pending = await asyncio.wait(tasks, timeout=grace)
            for task in pending:  # a POST that would not finish: its job becomes "uncertain" on restart
                task.cancel()
            if pending:
                await asyncio.wait(pending)
        self._runners.clear()
        self._tasks.clear()
        try:
            self.store.release_all(self.owner)
        except Exception:  # a broken store must not stop the shutdown; the leases then simply expire
            log.exception("Could not release the render queue's leases")
        self._held.clear()

    # -------------------------------------------------------------------------------------- jobs
    def submit(self, spec: RenderSpec) -> RenderJob:
        """Persist a new QUEUED job (leased to this queue) and schedule it."""
        return self.submit_many([spec])[0]

    def submit_many(self, specs: list[RenderSpec] | tuple[RenderSpec, ...]) -> list[RenderJob]:
        """Persist many new QUEUED jobs in ONE store transaction and schedule them, in order.

        One "added" event per job follows the single write (see `JobEvent.batch_remaining`).
        """
        base = time.time()
        # Distinct, increasing creation times keep the burst's order stable in every newest-first listing.
        jobs = [
            RenderJob(spec=spec, created_at=base + i * 1e-6, updated_at=base) for i, spec in enumerate(specs)
        ]
        self.store.save_many(jobs, owner=self.owner, lease_ttl_s=self.lease_ttl_s)
        if self._only is not None:  # submitted here: chosen to run here
            self._only.update(job.job_id for job in jobs)
        for job in jobs:
            self._jobs[job.job_id] = job
            self._held.add(job.job_id)
            self._waiting.append(job.job_id)
        for remaining, job in zip(range(len(jobs) - 1, -1, -1), jobs, strict=True):
            self._emit("added", job, batch_remaining=remaining)
        self._dispatch()
        self._ensure_keeper()
        return jobs

    async def cancel(self, job_id: str) -> RenderJob:
        """Cancel a job: a running execution is cancelled on the server; a waiting job just locally.

        A cancel that comes too late — the video was already rendered and charged — does not cancel: the
        job is downloaded and returned with `notice` saying so (not "Cancelled").
        """
        job = self._require(job_id)
        if job.state.is_terminal:
            return job
        self._refuse_if_foreign(job_id)
        runner, task = self._runners.get(job_id), self._tasks.get(job_id)
        if runner is not None and task is not None:
            runner.request_stop("cancel")
            await asyncio.wait({task})
            job = runner.job
            if not job.state.is_terminal:  # the task was cancelled before it ever ran
                job = await runner.finish_cancel()
                if not job.state.is_terminal:
                    return await self._collect_after_late_cancel(job)
            return self._jobs.get(job_id, job)
        # Not running: waiting, paused, or in flight before start(). The runner does the server side.
        if not self._may_drive(job):  # a waiting job `start(only=...)` left alone: cancelling chooses it
            self._claim_or_refuse(job_id)
            if self._only is not None:
                self._only.add(job_id)
        runner = self._make_runner(job)
        job = await runner.finish_cancel()
        if not job.state.is_terminal:
            return await self._collect_after_late_cancel(job)
        self._discard_waiting(job_id)
        self._release(job_id)
        return job

    async def _collect_after_late_cancel(self, job: RenderJob) -> RenderJob:
        """The render had already finished and been charged: download it instead of cancelling."""
        self._jobs[job.job_id] = job
        if not self._started or self._closing:
            return job  # collected on the next start
        if job.job_id not in self._tasks:
            self._launch(job)
        task = self._tasks.get(job.job_id)
        if task is not None:
            await asyncio.wait({task})
        return self._jobs.get(job.job_id, job)

    def retry(
        self, job_id: str, *, confirm_uncertain: bool = False, changes: Mapping[str, Any] | None = None
    ) -> RenderJob:
        """Queue a FAILED or CANCELLED job again; it resumes after the last paid step that succeeded.

        `changes` replaces RenderSpec fields first (e.g. another `watermark_mode` or `presenter_id` after
        the avatar step was refused), and only the steps they affect run again: an avatar-only change keeps
        the paid speech; a change to what is spoken redoes the speech too; a display or folder change
        redoes nothing paid. Unknown field names raise ValueError.
        """
        job = self._require(job_id)
        _check_retryable(job, confirm_uncertain)
        reset = _changed_spec(job, changes) if changes else {}
        self._claim_or_refuse(job_id)
        # Finished jobs are not watched: another process (the CLI) may have retried, finished or removed this
        # one meanwhile. Decide on the stored row, never on our old copy, or a DONE job would be paid again.
        stored = self.store.get(job_id)
        if stored != job:
            self._release(job_id)
            if stored is None:
                self._jobs.pop(job_id, None)
                self._emit("removed", job)
                raise ValueError("This render was removed meanwhile (by another window or the command line).")
            self._jobs[job_id] = stored
            self._emit("changed", stored)
            _check_retryable(stored, confirm_uncertain)  # e.g. "this one is done": nothing is paid again
            job = stored
            reset = _changed_spec(job, changes) if changes else {}
            self._claim_or_refuse(job_id)
        if confirm_uncertain and job.uncertain and job.error_kind == FailureKind.LOST_ID.value:
            # The user checked: the service no longer knows the step's id, so that step runs again.
            reset = {**_lost_step_reset(job), **reset}
        if "output_paths" in reset:  # those downloads will not be resumed: their partial files go
            self._drop_partials(job)
        job = job.advance(
            JobState.QUEUED,
            uncertain=False,
            error_message=None,
            error_hint=None,
            error_code=None,
            error_kind=None,
            notice=None,
            awaiting_approval=False,
            **reset,
        )
        self.store.save(job, owner=self.owner, lease_ttl_s=self.lease_ttl_s)
        self._held.add(job_id)
        if self._only is not None:  # retried here: chosen to run here
            self._only.add(job_id)
        self._ensure_keeper()
        self._jobs[job_id] = job
        self._emit("changed", job)
        if job_id not in self._waiting:
            self._waiting.append(job_id)
        self._dispatch()
        return job

    def _drop_partials(self, job: RenderJob) -> None:
        """Delete the .part files of downloads that a spec change makes obsolete."""
        for path in {*job.output_paths, *([job.output_path] if job.output_path else [])}:
            try:
                part_path(Path(path)).unlink(missing_ok=True)
            except OSError as exc:
                log.info("Could not delete the partial download %s: %s", path, exc)

    def remove(self, job_id: str) -> None:
        """Forget a finished, failed or cancelled job. A downloaded video stays on disk."""
        job = self._require(job_id)
        if not job.state.is_terminal:  # a terminal job's task may still be unwinding; that is harmless
            raise ValueError("Only finished, failed or cancelled renders can be removed; cancel it first.")
        self.store.delete(job_id)
        del self._jobs[job_id]
        self._held.discard(job_id)
        self._foreign.pop(job_id, None)
        self._discard_waiting(job_id)
        if job.output_path and job.state is not JobState.DONE:
            # A half-downloaded file is of no use once its job is gone.
            try:
                part_path(Path(job.output_path)).unlink(missing_ok=True)
            except OSError as exc:
                log.info("Could not delete the partial download of %s: %s", job_id, exc)
        self._emit("removed", job)

    def set_title(self, job_id: str, title: str) -> RenderJob:
        """Give a job the user's name for its clip (display only: nothing is sent or paid again).

        Saved at once and announced as a "changed" event, so every view of the queue shows it. A running job
        continues from the renamed job. Raises KeyError for an unknown job,
        `JobHeldElsewhere` while another process drives it, and `StoreReadOnly` on a read-only store.
        """
        job = self._require(job_id)
        title = title.strip()
        if title == job.spec.title:
            return job
        self._refuse_if_foreign(job_id)
        self.store.check_writable()
        runner = self._runners.get(job_id)
        if runner is not None:  # its next save starts from this job, title included
            runner.job = dataclasses.replace(
                runner.job, spec=dataclasses.replace(runner.job.spec, title=title)
            )
        # Only the title changes in the stored row: a newer state saved by another process is kept.
        stored = self.store.update_title(job_id, title)
        if runner is not None:
            job = runner.job
        elif stored is not None:
            job = stored
        else:
            job = dataclasses.replace(job, spec=dataclasses.replace(job.spec, title=title))
        self._jobs[job_id] = job
        self._emit("changed", job)
        return job

    def jobs(self) -> list[RenderJob]:
        """All jobs, newest first."""
        return sorted(self._jobs.values(), key=lambda j: (j.created_at, j.job_id), reverse=True)

    def get(self, job_id: str) -> RenderJob | None:
        return self._jobs.get(job_id)

    def holder_of(self, job_id: str) -> str | None:
        """The owner id of another live process driving this job, or None when it is not held elsewhere."""
        return self._foreign.get(job_id)

    def held_elsewhere(self) -> dict[str, str]:
        """Unfinished jobs another live process drives: job id -> that process's owner id."""
        return dict(self._foreign)

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
            if job is None or job.state is not JobState.QUEUED or not self._may_drive(job):
                continue  # removed or cancelled while waiting, or not chosen (`start(only=...)`)
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
            owner=self.owner,
            lease_ttl_s=self.lease_ttl_s,
        )

    def _launch(self, job: RenderJob) -> None:
        if not self._claim(job.job_id):
            return  # another process took it meanwhile: it is shown as held elsewhere, never driven here
        runner = self._make_runner(job)
        task = asyncio.get_running_loop().create_task(runner.run(), name=f"render-{job.job_id[:8]}")
        self._runners[job.job_id] = runner
        self._tasks[job.job_id] = task
        task.add_done_callback(functools.partial(self._on_task_done, job.job_id))

    def _on_task_done(self, job_id: str, task: asyncio.Task[RenderJob]) -> None:
        runner = None
        if self._tasks.get(job_id) is task:
            del self._tasks[job_id]
            runner = self._runners.pop(job_id, None)
        if not task.cancelled() and (exc := task.exception()) is not None:
            # JobRunner.run catches everything; this is a last line of defence.
            log.error("Render task for %s crashed", job_id, exc_info=exc)
        if runner is not None and runner.lease_lost is not None and not self._closing:
            self._became_foreign(job_id, runner.lease_lost)
        else:
            job = self._jobs.get(job_id)
            if job is not None and job.state.is_terminal and job_id not in self._tasks and not self._closing:
                self._release(job_id)
        self._dispatch()

    def _on_runner_change(self, job: RenderJob) -> None:
        previous = self._jobs.get(job.job_id)
        if previous is None:
            return  # removed meanwhile
        if job.state.is_terminal and job.state is not previous.state:
            self.stats[f"jobs_{job.state.value}"] += 1
        self._jobs[job.job_id] = job
        self._emit("changed", job)

    def _emit(self, kind: EventKind, job: RenderJob, *, batch_remaining: int = 0) -> None:
        event = JobEvent(kind, job, batch_remaining)
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                log.exception("A render queue listener failed on %s %s", kind, job.job_id)

    def _on_rate_limit_wait(self, group: str, seconds: float) -> None:
        self.stats[f"rate_limit_waits_{group}"] += 1
        self.stats[f"rate_limit_wait_ms_{group}"] += round(seconds * 1000)

    # -------------------------------------------------------------------------------------- leases
    def _may_drive(self, job: RenderJob) -> bool:
        """False for a waiting job `start(only=...)` did not choose: it is shown, never claimed or sent."""
        return self._only is None or job.state is not JobState.QUEUED or job.job_id in self._only

    def _adopt(self, job: RenderJob) -> RenderJob:
        """A job loaded from the store: claim it if unfinished, apply the restart rules only if ours."""
        if job.state.is_terminal or not self._may_drive(job):
            return job
        if not self._claim(job.job_id):
            return job  # held by another live owner: shown as it is, never recovered or driven here
        recovered = recover(job)
        if recovered is not job:
            self.store.save(recovered, owner=self.owner, lease_ttl_s=self.lease_ttl_s)
            log.info("Job %s after restart: %s -> %s", job.job_id, job.state, recovered.state)
        if recovered.state is JobState.QUEUED and job.job_id not in self._waiting:
            self._waiting.append(job.job_id)
        if recovered.state.is_terminal:  # e.g. found mid-submit: uncertain, nothing left to drive
            self._release(job.job_id)
        return recovered

    def _claim(self, job_id: str) -> bool:
        """Take (or keep) the lease on an unfinished job; on failure record who holds it."""
        if self.store.read_only:
            return False  # a newer app's database: shown, never driven (nothing could be saved)
        if job_id in self._held and job_id not in self._foreign:
            return True
        if self.store.claim(job_id, self.owner, self.lease_ttl_s):
            self._held.add(job_id)
            self._foreign.pop(job_id, None)
            return True
        lease = self.store.lease(job_id)
        self._foreign[job_id] = lease.owner if lease is not None else "unknown"
        self._held.discard(job_id)
        self._ensure_keeper()
        return False

    def _claim_or_refuse(self, job_id: str) -> None:
        self.store.check_writable()
        if not self._claim(job_id):
            raise JobHeldElsewhere(job_id, self._foreign.get(job_id, "unknown"))

    def _refuse_if_foreign(self, job_id: str) -> None:
        holder = self._foreign.get(job_id)
        if holder is not None:
            raise JobHeldElsewhere(job_id, holder)

    def _release(self, job_id: str) -> None:
        if job_id in self._held:
            self._held.discard(job_id)
            self.store.release(job_id, self.owner)

    def _became_foreign(self, job_id: str, holder: str) -> None:
        """Our lease was taken over (we were stalled past its expiry): show the job as held elsewhere."""
        log.warning("Render %s is now driven by %s; this queue stopped driving it", job_id, holder)
        self._held.discard(job_id)
        self._foreign[job_id] = holder
        self._discard_waiting(job_id)
        stored = self.store.get(job_id)
        if stored is not None:
            self._jobs[job_id] = stored
            self._emit("changed", stored)
        self._ensure_keeper()

    def _ensure_keeper(self) -> None:
        """Run the lease keeper while there is anything to renew or watch; none when idle (no wakeups)."""
        if self._keeper is not None and not self._keeper.done():
            return
        if not self._started or self._closing or not (self._held or self._foreign):
            return
        self._keeper = asyncio.get_running_loop().create_task(self._keep_leases(), name="render-leases")

    async def _keep_leases(self) -> None:
        """Renew our leases every third of their lifetime; watch jobs held elsewhere and adopt freed ones."""
        while not self._closing and (self._held or self._foreign):
            await asyncio.sleep(self.lease_ttl_s / 3)
            try:
                self._tick_leases()
            except Exception:  # a store that failed once: try again next tick, keep the queue alive
                log.exception("Lease upkeep failed")

    def _tick_leases(self) -> None:
        if self._closing:
            return
        held = sorted(self._held)
        for job_id in self.store.renew_many(held, self.owner, self.lease_ttl_s) if held else set():
            lease = self.store.lease(job_id)
            if lease is not None and lease.owner != self.owner and not lease.expired(time.time()):
                runner = self._runners.get(job_id)
                if runner is not None:
                    runner.request_stop("shutdown")  # its next save raises LeaseLost anyway
                self._became_foreign(job_id, lease.owner)
            else:
                self._lease_vanished(job_id)
        for job_id in list(self._foreign):
            self._watch_foreign(job_id)
        self._dispatch()

    def _lease_vanished(self, job_id: str) -> None:
        """Our lease is gone (we stalled past its expiry): another process may have driven the job meanwhile.

        Claim it afresh; if the stored job moved on from what our runner holds (the other process paid a
        step), stop the runner without saving and pick the stored job up like one freed by another owner.
        """
        self._held.discard(job_id)
        if not self._claim(job_id):
            self._became_foreign(job_id, self._foreign.get(job_id, "unknown"))
            return
        runner = self._runners.get(job_id)
        stored = self.store.get(job_id)
        if runner is None or stored is None or _same_steps(stored, runner.job):
            return
        log.warning("Render %s was moved on by another process while this one stalled", job_id)
        runner.lease_lost = "another process (it moved the job on)"  # the task's end shows it as such
        runner.request_stop("shutdown")
        self._release(job_id)  # so the stored job is adopted once the runner has unwound

    def _watch_foreign(self, job_id: str) -> None:
        """Refresh a job another process drives; adopt it once that owner let it go, expired or died."""
        stored = self.store.get(job_id)
        if stored is None:  # removed over there
            self._foreign.pop(job_id, None)
            job = self._jobs.pop(job_id, None)
            if job is not None:
                self._emit("removed", job)
            return
        if stored != self._jobs.get(job_id):
            self._jobs[job_id] = stored
            self._emit("changed", stored)
        if stored.state.is_terminal:
            self._foreign.pop(job_id, None)
            return
        lease = self.store.lease(job_id)
        free = lease is None or lease.expired(time.time()) or owner_is_dead(lease.owner)
        # Our own name on it: a runner stopped after a stall saved the id of its paid POST in flight.
        if free or (lease is not None and lease.owner == self.owner):
            if job_id in self._tasks:
                return  # our old runner for it is still unwinding; try next tick
            self._foreign.pop(job_id, None)
            adopted = self._adopt(stored)
            if job_id in self._foreign:
                return  # someone else was faster
            self._jobs[job_id] = adopted
            self._emit("changed", adopted)
            if adopted.state in _IN_FLIGHT:
                self._launch(adopted)
        elif lease is not None and lease.owner != self._foreign.get(job_id):
            self._foreign[job_id] = lease.owner
            self._emit("changed", stored)


#: RenderSpec fields by the paid step they feed; anything else is display or where the file goes.
_SPEECH_FIELDS = frozenset(
    {"script", "voice_id", "language_code", "voice_speed", "replacements", "auto_expand", "audio_path"}
)
_AVATAR_FIELDS = frozenset(
    {"presenter_id", "avatar_form", "avatar_quality", "watermark_mode", "num_results", "temporary"}
)
_OUTPUT_RESET: dict[str, Any] = {"output_path": None, "output_paths": ()}
_AVATAR_RESET: dict[str, Any] = {
    "avatar_execution_id": None,
    "video_file_id": None,
    "video_file_ids": (),
    "duration_seconds": None,
    **_OUTPUT_RESET,
}
_SPEECH_RESET: dict[str, Any] = {"tts_execution_id": None, "audio_file_id": None, **_AVATAR_RESET}


def _same_steps(a: RenderJob, b: RenderJob) -> bool:
    """True when two copies of a job agree on everything a restart depends on (progress aside)."""
    return (a.state, a.attempts, a.uncertain, a.tts_execution_id, a.audio_file_id, a.avatar_execution_id) == (
        b.state,
        b.attempts,
        b.uncertain,
        b.tts_execution_id,
        b.audio_file_id,
        b.avatar_execution_id,
    ) and (a.video_file_ids, a.output_paths) == (b.video_file_ids, b.output_paths)


def _check_retryable(job: RenderJob, confirm_uncertain: bool) -> None:
    if job.state not in (JobState.FAILED, JobState.CANCELLED):
        raise ValueError(
            f"Only failed or cancelled renders can be retried (this one is {job.state.label.lower()})."
        )
    if job.uncertain and not confirm_uncertain:
        raise ValueError(UNCERTAIN_RETRY_REFUSED)


def _lost_step_reset(job: RenderJob) -> dict[str, Any]:
    """The id the service no longer knows (404 while polling), cleared so that step is submitted again."""
    if job.avatar_execution_id and not job.video_file_id:
        return {"avatar_execution_id": None}
    if job.tts_execution_id and not job.audio_file_id:
        return {"tts_execution_id": None}
    return {}


def _changed_spec(job: RenderJob, changes: Mapping[str, Any]) -> dict[str, Any]:
    """The job changes a retry with these spec changes needs: the new spec and the ids it invalidates."""
    names = {f.name for f in dataclasses.fields(RenderSpec)}
    unknown = sorted(set(changes) - names)
    if unknown:
        raise ValueError(f"Unknown render settings: {', '.join(unknown)}")
    if "replacements" in changes:
        changes = {**changes, "replacements": tuple(tuple(pair) for pair in changes["replacements"])}
    spec = dataclasses.replace(job.spec, **changes)
    changed = {name for name in changes if getattr(spec, name) != getattr(job.spec, name)}
    reset: dict[str, Any] = {"spec": spec}
    if changed & _SPEECH_FIELDS:
        reset |= _SPEECH_RESET
    elif changed & _AVATAR_FIELDS:
        reset |= _AVATAR_RESET
    elif "output_dir" in changed:
        reset |= _OUTPUT_RESET
    return reset
