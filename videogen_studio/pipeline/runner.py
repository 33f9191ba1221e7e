"""Drive one render job through VideoGen, step by step, so that any step can resume after a crash.

The order of writes is what makes a restart safe:

1. the job is saved in SUBMITTING_* (durably) *before* a paid POST leaves the machine;
2. the execution id is saved (durably) the moment the POST answers;
3. each later id (audio file, video files) is saved as soon as it is known.

So after a crash a job is either before step 1 (nothing was sent: run it), after step 2 (poll the known
execution: nothing is paid twice) or in between (SUBMITTING_* without an id: VideoGen may or may not have
started it, so the job fails as `uncertain` and only the user may send it again).

Only the paid POSTs are strict. Every free request (a status poll, hydrate, the storage download, the upload
of the user's own audio) is repeated after any glitch — a malformed answer, a 5xx, a reset, a timeout — so
one bad answer never fails a render. An execution `awaiting_approval` is polled slowly and shown as such.
Every save is made as the job's lease owner (see lease.py): if another process took the job over, the run
stops without writing anything more.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from ..api import models
from ..api.client import SendState, SubmissionUncertain, VideoGenClient
from ..api.errors import (
    ApiError,
    AuthError,
    InsufficientCredits,
    InvalidId,
    LocalFileError,
    MalformedResponse,
    NetworkError,
    NotFound,
    RateLimited,
    ServerError,
    SignedUrlRejected,
    VideoGenError,
)
from ..api.models import ToolExecution
from ..api.transfer import part_path
from .failures import FailureKind, kind_of
from .jobs import JobState, RenderJob
from .lease import DEFAULT_TTL_S
from .naming import output_file_name
from .requests import IncompleteSpec, build_avatar_request, build_tts_request
from .script_rules import estimate_seconds
from .store import JobStore, LeaseLost

log = logging.getLogger(__name__)

UNCERTAIN_TAIL = (
    "VideoGen may already be working on it. Retry only if you are sure it did not start — "
    "it could be charged twice."
)
#: Shown for a job found in SUBMITTING_* without an execution id when the queue starts.
UNCERTAIN_RESTART_MESSAGE = f"The render was interrupted while it was being sent; {UNCERTAIN_TAIL}"
UNCERTAIN_HINT = "Check the account's renders first; retry with confirmation only if it is not there."
EXECUTION_FAILED_HINT = "VideoGen could not finish this step; a retry runs it again."
#: `RenderJob.notice` when a cancel arrived after the video had been rendered (and charged).
CANCEL_TOO_LATE_NOTICE = "Already finished and charged when you cancelled — downloaded instead."

_SUBMITTING = (JobState.SUBMITTING_SPEECH, JobState.SUBMITTING_AVATAR)
#: Refusals of the avatar step that say nothing about the speech: it stays paid and usable.
_AVATAR_REFUSALS = (ApiError,)
_NOT_REFUSALS = (AuthError, RateLimited, ServerError, InsufficientCredits)
#: Free-request failures worth repeating: the next attempt may well succeed.
_GLITCHES = (NetworkError, MalformedResponse, ServerError, RateLimited, SignedUrlRejected)

StopReason = Literal["cancel", "shutdown"]


def is_glitch(exc: VideoGenError) -> bool:
    """A failure of a free request that a later attempt may not see (never a refusal or a local error)."""
    if isinstance(exc, (LocalFileError, SubmissionUncertain)):
        return False
    return isinstance(exc, _GLITCHES) or bool(getattr(exc, "transient", False))


# ------------------------------------------------------------------------------------- paid POST in flight
#: How often a stop requested during a paid POST checks whether that POST is only waiting.
SUBMIT_WATCH_INTERVAL_S = 0.05


# ------------------------------------------------------------------------------------------ restart rules
def recover(job: RenderJob) -> RenderJob:
    """Apply the restart rules to a job loaded from the store (returns it unchanged when none apply).

    SUBMITTING_* with the execution id already saved moves on to polling it; without the id the POST may or
    may not have reached VideoGen, so the job fails as uncertain and is never resubmitted automatically.
    Running and downloading jobs stay as they are: the runner resumes them.
    """
    if job.state is JobState.SUBMITTING_SPEECH:
        if job.tts_execution_id:
            return job.advance(JobState.SPEECH_RUNNING)
        return _uncertain(job, UNCERTAIN_RESTART_MESSAGE)
    if job.state is JobState.SUBMITTING_AVATAR:
        if job.avatar_execution_id:
            return job.advance(JobState.AVATAR_RUNNING)
        return _uncertain(job, UNCERTAIN_RESTART_MESSAGE)
    return job


def _uncertain(job: RenderJob, message: str, code: str | None = None) -> RenderJob:
    return job.advance(
        JobState.FAILED,
        uncertain=True,
        error_message=message,
        error_hint=UNCERTAIN_HINT,
        error_code=code,
        error_kind=FailureKind.UNCERTAIN.value,
        awaiting_approval=False,
    )


# ------------------------------------------------------------------------------------------- file names
def unique_path(folder: Path, name: str) -> Path:
    """`folder/name`, or `name (2)`, `(3)`... when that file (or its partial download) already exists."""
    candidate = folder / name
    stem, suffix = candidate.stem, candidate.suffix
    n = 2
    while candidate.exists() or part_path(candidate).exists():
        candidate = folder / f"{stem} ({n}){suffix}"
        n += 1
    return candidate


# -------------------------------------------------------------------------------------------- polling
class PollPacer:
    """Shared polling schedule: per-job back-off, bounded below by the shared rate-limit budget.

    Every poll of every job goes through one pacer, which knows how many jobs are polling right now, so it
    can ask the client's RateLimiter how far apart polls must be for all of them to fit the budget.

    It also learns how long each kind of step takes per second of speech, so the first poll of a step is
    timed from the expected duration (script length -> seconds) instead of a fixed guess, and it uses the
    service's `progressPercentage` to aim the next poll at the expected end of the step.
    """

    def __init__(
        self,
        client: VideoGenClient,
        *,
        interval: float = 1.5,
        max_interval: float = 15.0,
        factor: float = 1.5,
        give_up_after: float = 3600.0,
        approval_interval: float | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.client = client
        self.interval = interval
        self.max_interval = max(interval, max_interval)
        self.factor = factor
        #: Seconds one stage may stay unfinished before the job fails (keeping its id, so Retry polls on).
        self.give_up_after = give_up_after
        #: Seconds between polls of an execution waiting for an approval (slow: a human decides).
        self.approval_interval = approval_interval if approval_interval is not None else self.max_interval * 2
        self.active = 0
        self._rng = rng or random.Random()
        #: Observed seconds of processing per expected second of speech, per step kind (moving average).
        self._rate: dict[str, float] = {}

    @contextmanager
    def polling(self) -> Iterator[None]:
        """Count this job as an active poller while inside the block."""
        self.active += 1
        try:
            yield
        finally:
            self.active -= 1

    def _spread(self) -> float:
        return self.client.limiter.spread_interval("executions", self.active) or 0.0

    def delay(self, polls_done: int) -> float:
        """Seconds to wait before the next poll of an execution that has been polled `polls_done` times."""
        backoff = min(self.max_interval, self.interval * self.factor ** max(0, polls_done - 1))
        # ±10 % jitter so jobs submitted together do not keep polling in lockstep.
        backoff *= self._rng.uniform(0.9, 1.1)
        return max(backoff, self._spread())

    def first_delay(self, step: str, expected_s: float | None) -> float:
        """Wait before the first poll of a fresh execution: the learned duration of such a step, or the
        ordinary first interval until one has been seen."""
        rate = self._rate.get(step)
        if rate is None or not expected_s:
            return self.delay(0)
        # Aim slightly early: a poll just before the end costs one request, one just after costs latency.
        # Never beyond the back-off ceiling: a step that was slow once (a busy service) must not make
        # every later first poll late.
        guess = min(rate * expected_s * 0.9, self.max_interval)
        return max(guess, self._spread(), 0.01)

    def progress_delay(self, polls_done: int, elapsed_s: float, percent: float | None) -> float:
        """Next wait given the service's progress: at most the back-off, sooner when the end is near."""
        backoff = self.delay(polls_done)
        if percent is None or not 0 < percent < 100 or elapsed_s <= 0:
            return backoff
        remaining = elapsed_s * (100.0 - percent) / percent
        return max(min(backoff, remaining * 1.05), self._spread(), 0.01)

    def learn(self, step: str, expected_s: float | None, took_s: float) -> None:
        """Remember how long a step took for its expected duration (exponential moving average)."""
        if not expected_s or expected_s <= 0 or took_s <= 0:
            return
        rate = took_s / expected_s
        old = self._rate.get(step)
        self._rate[step] = rate if old is None else 0.7 * old + 0.3 * rate


# --------------------------------------------------------------------------------------------- runner
class JobRunner:
    """Runs one job to a terminal state (or until stopped). Not reusable: make one per run.

    `store` receives every state change (durably where money is at stake); `on_change` receives every
    change including progress, which is published but not persisted.
    """

    #: Attempts at a download (or an upload) before a run of glitches fails the job; back-off between them.
    transfer_attempts: int = 8
    transfer_backoff_s: float = 0.5
    transfer_backoff_max_s: float = 15.0

    def __init__(
        self,
        client: VideoGenClient,
        job: RenderJob,
        *,
        output_dir: Path,
        store: JobStore | None = None,
        on_change: Callable[[RenderJob], None] | None = None,
        pacer: PollPacer | None = None,
        stats: Counter[str] | None = None,
        owner: str | None = None,
        lease_ttl_s: float = DEFAULT_TTL_S,
    ) -> None:
        self.client = client
        self.job = job
        self.output_dir = Path(output_dir)
        self._store = store
        self._on_change = on_change
        self.pacer = pacer or PollPacer(client)
        self.stats: Counter[str] = stats if stats is not None else Counter()
        self._task: asyncio.Task[Any] | None = None
        self._stop: StopReason | None = None
        self._in_submit = False
        #: Set when a stop cut short a paid POST that provably had nothing on the wire (see `_stop_unsent`).
        self._cut_unsent = False
        self._submit_watch: asyncio.Task[None] | None = None
        #: Where the paid POST in flight stands, as its client reports it (None outside a submit).
        self._send_state: SendState | None = None
        self._submitted_at: float | None = None  # loop time of the POST that started the current step
        self._last_published = -1.0
        #: Every save is made as this lease owner: it fails (LeaseLost) once another process drives the job.
        self.owner = owner
        self.lease_ttl_s = lease_ttl_s
        #: The owner that took this job over, when that happened: the run stopped without another write.
        self.lease_lost: str | None = None

    # ------------------------------------------------------------------------------------ public
    async def run(self) -> RenderJob:
        """Drive the job until it is DONE, FAILED or CANCELLED and return it.

        A stop for shutdown propagates CancelledError and leaves the job persisted where it was, to resume
        on the next start; a stop for cancel ends with the job CANCELLED (server-side cancel included) —
        unless the video had already been rendered and charged: then it is downloaded, with a `notice`.
        """
        self._task = asyncio.current_task()
        try:
            while True:
                try:
                    await self._drive()
                    break
                except asyncio.CancelledError:
                    if self._stop != "cancel":
                        raise
                    if self._task is not None and self._task.cancelling():
                        self._task.uncancel()  # we handle this cancellation ourselves and finish normally
                    await self.finish_cancel()
                    if self.job.state.is_terminal:
                        break
                    self._stop = None  # too late to cancel: the paid video is collected instead
                except VideoGenError as exc:
                    self._fail(exc)
                    break
                except LeaseLost:
                    raise
                except Exception as exc:  # a bug or a broken store must fail this job, never the queue
                    log.exception("Render job %s failed unexpectedly", self.job.job_id)
                    self._fail_plain(
                        f"Unexpected error: {exc or type(exc).__name__}",
                        "A retry may help.",
                        FailureKind.INTERNAL,
                    )
                    break
        except LeaseLost as lost:
            # Another process drives this job now: stop without a single write more (it has the truth).
            log.warning("Stopped driving render %s: %s", self.job.job_id, lost)
            self.lease_lost = lost.holder
        return self.job

    def request_stop(self, reason: StopReason) -> None:
        """Stop soon. A paid POST in flight is allowed to finish so its execution id is never lost."""
        if self._stop == "cancel":
            return  # cancel wins over a later shutdown: the user asked for it
        self._stop = reason
        if self._task is None or self._task.done():
            return
        if not self._in_submit:
            self._task.cancel()
        elif not self._stop_unsent() and self._submit_watch is None:
            # A paid POST is in flight: let it finish (its id must be saved), but the moment it only waits
            # (429 back-off, a retry after a connection that never opened) nothing is out: stop it there.
            self._submit_watch = asyncio.get_running_loop().create_task(self._watch_submit())

    def _stop_unsent(self) -> bool:
        """Cancel the paid POST now if nothing of it is on the wire; True when that was done."""
        # The client's own word: WAITING means parked in its rate limiter (only 429s so far, answered before
        # anything starts) or before repeating a request that never left. Anything else may be on the wire.
        send = self._send_state
        if self._task is None or self._task.done() or send is None or not send.waiting:
            return False
        self._cut_unsent = True
        self._task.cancel()
        return True

    async def _watch_submit(self) -> None:
        try:
            while self._in_submit and not self._stop_unsent():
                await asyncio.sleep(SUBMIT_WATCH_INTERVAL_S)
        finally:
            self._submit_watch = None

    @property
    def stopping(self) -> StopReason | None:
        return self._stop

    async def finish_cancel(self) -> RenderJob:
        """Cancel the running execution on the server (best effort) and mark the job CANCELLED.

        When the video step had already succeeded (the render was charged), the job is not cancelled: it
        keeps its ids, gets `notice` = CANCEL_TOO_LATE_NOTICE, and stays non-terminal so it is downloaded.
        """
        job = self.job
        if job.state.is_terminal:
            return job
        if job.state in _SUBMITTING:
            # Only a hard stop mid-POST gets here: whether VideoGen started the render is unknown.
            self._save(recover(job))
            return self.job
        if job.state is JobState.DOWNLOADING:
            # The video exists and was paid for: cancelling now would only throw it away.
            self._save(job.update(notice=CANCEL_TOO_LATE_NOTICE))
            return self.job
        changes: dict[str, Any] = {"awaiting_approval": False}
        field_name, execution_id = _active_execution(job)
        if execution_id is not None and field_name is not None:
            refused: VideoGenError | None = None
            try:
                await self.client.cancel_execution(execution_id)
                self.stats["cancel_requests"] += 1
            except VideoGenError as exc:
                refused = exc  # e.g. 409: it had already finished
            try:
                status: str | None = (await self.client.get_execution(execution_id)).status
            except VideoGenError:
                status = None
            if status == models.SUCCEEDED:
                if field_name == "avatar_execution_id":
                    # Finished and charged before the cancel landed: collect it rather than say "Cancelled".
                    self._save(job.update(notice=CANCEL_TOO_LATE_NOTICE, awaiting_approval=False))
                    return self.job
                # Only the speech was done: keep its id, so a retry collects it without paying again.
            elif refused is None or status in (models.FAILED, models.CANCELLED):
                changes[field_name] = None  # Retry must run this step afresh, not poll a dead execution
            else:
                # Maybe still running: keep the id, so Retry polls it rather than paying for another.
                changes["error_message"] = (
                    f"Cancelled here, but VideoGen did not confirm it: {refused.message}"
                )
                changes["error_hint"] = refused.hint
                changes["error_code"] = refused.code
                changes["error_kind"] = kind_of(refused)
        self._save(job.advance(JobState.CANCELLED, **changes))
        return self.job

    # ----------------------------------------------------------------------------------- the steps
    async def _drive(self) -> None:
        while not self.job.state.is_terminal:
            self._checkpoint()  # a stop that came before this task first ran
            state = self.job.state
            if state is JobState.QUEUED:
                target = self.job.resume_state()
                job = self.job.update(attempts=self.job.attempts + 1)
                if target is JobState.SUBMITTING_SPEECH and job.spec.audio_path:
                    # The user's own audio: uploaded (free), no text-to-speech to pay for.
                    self._save(job.advance(JobState.SPEECH_RUNNING))
                elif target in _SUBMITTING:
                    await self._submit(job, target)
                else:
                    self._save(job.advance(target))
            elif state in _SUBMITTING:
                # Only reachable when handed a job straight from the store without `recover()`.
                self._save(recover(self.job))
            elif state is JobState.SPEECH_RUNNING:
                if self.job.spec.audio_path and not self.job.tts_execution_id:
                    if self.job.audio_file_id:  # uploaded before a restart: do not upload it again
                        await self._submit(self.job, JobState.SUBMITTING_AVATAR)
                    else:
                        await self._upload_audio()
                else:
                    await self._speech()
            elif state is JobState.AVATAR_RUNNING:
                await self._avatar()
            elif state is JobState.DOWNLOADING:
                await self._download()

    async def _submit(self, job: RenderJob, target: JobState) -> None:
        """Save `job` in the submitting state (durably, with whatever ids it just learned), then POST.

        `job` may carry ids learned a moment ago and not yet written (the speech's file id): every way out
        of here before the POST writes them durably, so a paid step is never forgotten.
        """
        if job is not self.job:
            unsaved, self.job = job, job
            if self._stop is not None:  # a stop before the POST: keep the new id, send nothing
                self._save(unsaved, durable=True)
        self._checkpoint()
        if target is JobState.SUBMITTING_AVATAR and not job.audio_file_id:
            # resume_state() never leads here without one; checked so a hand-edited row cannot POST junk.
            self._fail_plain(
                "The speech step lost its audio file id.",
                "Remove this render and start again.",
                FailureKind.LOST_ID,
            )
            return
        try:  # built before anything is saved or sent: a spec that cannot be sent costs nothing
            if target is JobState.SUBMITTING_SPEECH:
                tts_request = build_tts_request(job.spec)
            else:
                avatar_request = build_avatar_request(job.spec, job.audio_file_id or "")
        except IncompleteSpec as exc:
            self._fail_plain(str(exc), "Complete the render's settings, then retry.", "invalid_parameters")
            return
        self._in_submit = True
        self._cut_unsent = False
        self._send_state = send = SendState()
        try:
            try:
                # On disk BEFORE the paid POST leaves. Written in a worker while nothing is sent: a stop
                # meanwhile is one "with nothing on the wire" (the CancelledError branch below).
                await self._save_durably(job.advance(target, awaiting_approval=False))
                if target is JobState.SUBMITTING_SPEECH:
                    self.stats["tts_submits"] += 1
                    execution_id = await self.client.text_to_speech(tts_request, send_state=send)
                    changes = {"tts_execution_id": execution_id}
                    running = JobState.SPEECH_RUNNING
                else:
                    self.stats["avatar_submits"] += 1
                    execution_id = await self.client.generate_avatar(avatar_request, send_state=send)
                    changes = {"avatar_execution_id": execution_id}
                    running = JobState.AVATAR_RUNNING
            except SubmissionUncertain as exc:
                # The client says precisely what happened (connection lost, unreadable or oversized answer).
                cause = exc.message.rstrip(". ") or "The connection dropped while sending this render"
                self._save(_uncertain(self.job, f"{cause}; {UNCERTAIN_TAIL}", exc.code))
                return
            except MalformedResponse as exc:
                # A 2xx whose body we could not read: the render started, we just never learned its id.
                cause = "VideoGen accepted this render but its answer could not be read"
                self._save(_uncertain(self.job, f"{cause}; {UNCERTAIN_TAIL}", exc.code))
                return
            except ServerError as exc:
                # As in the client, which never repeats a paid POST on a 5xx: it may have started.
                cause = f"VideoGen reported a server error while accepting this render ({exc.message})"
                self._save(_uncertain(self.job, f"{cause}; {UNCERTAIN_TAIL}", exc.code))
                return
            except _AVATAR_REFUSALS as exc:
                if target is JobState.SUBMITTING_AVATAR and not isinstance(exc, _NOT_REFUSALS):
                    self._refused_after_speech(exc)
                    return
                raise
            except asyncio.CancelledError:
                if self._cut_unsent:
                    # Stopped while the POST only waited (429s so far): nothing started, nothing to doubt.
                    self._save(self.job.advance(JobState.QUEUED), durable=True)
                raise
            await self._save_durably(self.job.advance(running, **changes))  # the id, before anything else
            self._submitted_at = asyncio.get_running_loop().time()
        finally:
            self._in_submit = False
            self._send_state = None
        self._checkpoint()

    def _refused_after_speech(self, exc: ApiError) -> None:
        """The avatar step was refused (shape, permission, add-on...): the speech stays, nothing is lost.

        The message and hint stay the service's; `error_kind` says the paid speech was kept, so each
        surface can offer a retry of the video step alone (with another setting if the refusal says so).
        """
        paid_speech = bool(self.job.tts_execution_id)
        self._end_failed(
            error_message=exc.message,
            error_hint=exc.hint,
            error_code=exc.code,
            error_kind=FailureKind.AVATAR_REFUSED_SPEECH_KEPT.value if paid_speech else kind_of(exc),
        )

    async def _upload_audio(self) -> None:
        """Upload the user's own audio file (a free request, repeated on glitches) and go to the avatar."""
        path = Path(self.job.spec.audio_path).expanduser()
        if not path.is_file():
            error = LocalFileError(f"The audio file {path} cannot be read (missing or not a file).")
            self._fail(error)
            return
        self._progress(0.0)
        file_id = await self._with_retries(
            lambda: self.client.upload_file(path, file_type="AUDIO", progress=self._upload_progress),
            "upload",
        )
        self.stats["uploads"] += 1
        self._progress(1.0)
        # The file id is written durably together with the next state (one fsync, not two): see _submit.
        await self._submit(self.job.update(audio_file_id=file_id), JobState.SUBMITTING_AVATAR)

    async def _speech(self) -> None:
        execution_id = self.job.tts_execution_id
        if execution_id is None:  # defensive: a hand-edited row
            self._fail_plain(
                "The speech step lost its id.", "Remove this render and start again.", FailureKind.LOST_ID
            )
            return
        execution = await self._poll(execution_id, "tts_execution_id", "speech")
        if execution is None:
            return
        if not execution.results:
            self._fail_plain(
                "VideoGen finished the speech but sent no audio file.",
                EXECUTION_FAILED_HINT,
                FailureKind.NO_RESULT,
            )
            return
        speech = execution.results[0]
        # The speech's length is the clip's length: the best estimate of how long the video step takes.
        spoken = speech.file.duration_seconds if speech.file is not None else None
        # The paid speech's file id is written durably together with the next state (one fsync): see _submit.
        await self._submit(
            self.job.update(
                audio_file_id=speech.file_id, duration_seconds=spoken or self.job.duration_seconds
            ),
            JobState.SUBMITTING_AVATAR,
        )

    async def _avatar(self) -> None:
        execution_id = self.job.avatar_execution_id
        if execution_id is None:
            self._fail_plain(
                "The video step lost its id.", "Remove this render and start again.", FailureKind.LOST_ID
            )
            return
        execution = await self._poll(execution_id, "avatar_execution_id", "avatar")
        if execution is None:
            return
        if not execution.results:
            self._fail_plain(
                "VideoGen finished the video but returned no file.",
                EXECUTION_FAILED_HINT,
                FailureKind.NO_RESULT,
            )
            return
        first = execution.results[0]
        duration = first.file.duration_seconds if first.file is not None else None
        await self._save_durably(
            self.job.advance(
                JobState.DOWNLOADING,
                video_file_id=first.file_id,
                video_file_ids=tuple(r.file_id for r in execution.results),
                duration_seconds=duration,
            )
        )

    async def _download(self) -> None:
        job = self.job
        file_ids = job.video_file_ids or ((job.video_file_id,) if job.video_file_id else ())
        if not file_ids:
            self._fail_plain(
                "The download lost its file id.", "Remove this render and start again.", FailureKind.LOST_ID
            )
            return
        try:
            if job.duration_seconds is None:
                try:
                    file = await self.client.get_file(file_ids[0])
                    # Shown at once, written with the next save (the file's destination, just below).
                    self._note(self.job.update(duration_seconds=file.duration_seconds))
                except (NotFound, InvalidId):
                    raise
                except VideoGenError as exc:
                    # Only the duration label is missing; the download itself decides whether the job fails.
                    log.info("Could not read the duration of %s: %s", file_ids[0], exc)
            count = len(file_ids)
            for index, file_id in enumerate(file_ids):
                dest = self._destination(index, count)
                if dest.exists() and not part_path(dest).exists():
                    continue  # this result was completed before a restart
                self.stats["downloads"] += 1

                await self._with_retries(
                    functools.partial(self._fetch, file_id, dest, index, count), "download"
                )
        except (NotFound, InvalidId) as exc:
            # The file is gone on the server: Retry must fetch it again through the avatar step.
            self._fail(exc, video_file_id=None, video_file_ids=())
            return
        self._save(self.job.advance(JobState.DONE, stage_progress=1.0))

    async def _fetch(self, file_id: str, dest: Path, index: int, count: int) -> Path:
        def progress(done: int, total: int | None) -> None:
            if total:
                self._progress((index + done / total) / count)

        return await self.client.download_file(file_id, dest, progress=progress)

    async def _with_retries[T](self, attempt: Callable[[], Awaitable[T]], what: str) -> T:
        """Run a free transfer, repeating it with back-off after glitches (a 500 from storage, a reset...)."""
        delay = self.transfer_backoff_s
        for number in range(1, self.transfer_attempts + 1):
            self._checkpoint()
            try:
                return await attempt()
            except VideoGenError as exc:
                if not is_glitch(exc) or number == self.transfer_attempts:
                    raise
                self.stats[f"{what}_glitches"] += 1
                log.info("The %s of render %s hit a glitch (%s); trying again", what, self.job.job_id, exc)
            await asyncio.sleep(delay * random.uniform(0.8, 1.2))
            delay = min(self.transfer_backoff_max_s, delay * 2)
        raise AssertionError("unreachable")  # pragma: no cover

    def _destination(self, index: int, count: int) -> Path:
        """Where result `index` goes: the same path as last time (so its .part resumes), else a new name."""
        paths = list(self.job.output_paths)
        if not paths and self.job.output_path:
            paths = [self.job.output_path]  # a job from before variations
        if index < len(paths):
            return Path(paths[index])
        spec_dir = self.job.spec.output_dir
        folder = Path(spec_dir).expanduser() if spec_dir else self.output_dir
        try:
            dest = unique_path(folder, output_file_name(self.job.spec, self.job.job_id, index))
        except OSError as exc:
            raise LocalFileError(f"Cannot use the folder {folder}: {exc.strerror or exc}") from exc
        paths.append(str(dest))
        # Saved before the first byte, so a restart continues this exact file instead of starting another.
        self._save(self.job.update(output_path=paths[0], output_paths=tuple(paths)))
        return dest

    async def _poll(self, execution_id: str, field_name: str, step: str) -> ToolExecution | None:
        """Poll until terminal. Returns the succeeded execution, or None after moving the job to an end.

        Glitches (malformed answer, 5xx, reset, timeout) are polled through; `awaiting_approval` slows the
        pace and sets the job's flag; the patience limit does not run while a human has to approve.
        """
        loop = asyncio.get_running_loop()
        polls = 0
        expected = self._expected_seconds()
        started = self._submitted_at if self._submitted_at is not None else loop.time()
        fresh = self._submitted_at is not None
        self._submitted_at = None
        deadline = loop.time() + self.pacer.give_up_after
        with self.pacer.polling():
            if fresh:
                # A render never finishes the instant it is accepted: wait about as long as such a step takes.
                await asyncio.sleep(self.pacer.first_delay(step, expected))
            while True:
                self._checkpoint()
                try:
                    execution = await self.client.get_execution(execution_id)
                except (NotFound, InvalidId) as exc:
                    # The id was paid for: keep it (the service may find it again, e.g. after switching
                    # back to the right account) and mark the job uncertain, so a resubmission needs the
                    # user's explicit confirmation (`RenderQueue.retry(confirm_uncertain=True)`).
                    self._end_failed(
                        error_message=exc.message,
                        error_hint=UNCERTAIN_HINT,
                        error_code=exc.code,
                        error_kind=FailureKind.LOST_ID,
                        uncertain=True,
                    )
                    return None
                except VideoGenError as exc:
                    if not is_glitch(exc):
                        raise
                    self.stats["poll_glitches"] += 1
                    polls += 1
                    log.info("Polling render %s hit a glitch (%s); polling on", self.job.job_id, exc)
                    await asyncio.sleep(self.pacer.delay(polls))
                    continue
                finally:
                    self.stats["polls"] += 1
                polls += 1
                if execution.status == models.AWAITING_APPROVAL:
                    if not self.job.awaiting_approval:
                        self._save(self.job.update(awaiting_approval=True))
                    deadline = loop.time() + self.pacer.give_up_after  # a human decides: no time limit
                    await asyncio.sleep(self.pacer.approval_interval)
                    continue
                if self.job.awaiting_approval:
                    self._save(self.job.update(awaiting_approval=False))
                if execution.progress_percentage is not None:
                    self._progress(execution.progress_percentage / 100.0)
                if execution.status == models.SUCCEEDED:
                    if fresh:
                        self.pacer.learn(step, expected, loop.time() - started)
                    return execution
                if execution.status == models.FAILED:
                    error = execution.error
                    self._end_failed(
                        error_message=error.message if error else "VideoGen reported a failed step.",
                        error_hint=EXECUTION_FAILED_HINT,
                        error_code=error.code if error else None,
                        error_kind=FailureKind.EXECUTION_FAILED.value,
                        **{field_name: None},  # Retry runs the failed step again
                    )
                    return None
                if execution.status == models.CANCELLED:
                    self._save(self.job.advance(JobState.CANCELLED, **{field_name: None}))
                    return None
                if loop.time() > deadline:
                    minutes = round(self.pacer.give_up_after / 60)
                    self._fail_plain(
                        f"VideoGen has not finished this step after {minutes} minutes.",
                        "A retry keeps waiting for it; it will not be charged again.",
                        FailureKind.STALLED,
                    )
                    return None
                await asyncio.sleep(
                    self.pacer.progress_delay(polls, loop.time() - started, execution.progress_percentage)
                )

    def _expected_seconds(self) -> float | None:
        """Seconds of speech: what each step's duration scales with (measured once the speech exists)."""
        spec = self.job.spec
        if self.job.duration_seconds or (spec.audio_path and not spec.script):
            return self.job.duration_seconds
        try:
            return estimate_seconds(spec.script, spec.voice_speed) or None
        except Exception:  # an estimate is a nicety; never let it fail a render
            return None

    # ---------------------------------------------------------------------------------- helpers
    def _checkpoint(self) -> None:
        """Deliver a stop that arrived while a paid POST was in flight."""
        if self._stop is not None:
            raise asyncio.CancelledError

    def _save(self, job: RenderJob, *, durable: bool = False) -> None:
        self.job = job
        self._last_published = job.stage_progress
        if self._store is not None:
            self._store.save(job, durable=durable, owner=self.owner, lease_ttl_s=self.lease_ttl_s)
        self._publish(job)

    async def _save_durably(self, job: RenderJob) -> None:
        """`_save(job, durable=True)` with the write and its fsync in a worker thread.

        Returns once the job is on disk. A slow disk (100+ ms per fsync under load, five per render) must
        not freeze the window; the event loop's own saves go on meanwhile (see store.py). A stop arriving
        during the write waits for it (the thread finishes regardless), so disk and memory agree; if that
        write failed, the stop still goes on and the failure is logged, not dropped. Memory keeps `job`
        either way, as `_save` does: it may carry a paid id that a later save must still write.
        """
        self.job = job
        self._last_published = job.stage_progress
        if self._store is not None:
            write = asyncio.ensure_future(
                asyncio.to_thread(
                    self._store.save, job, durable=True, owner=self.owner, lease_ttl_s=self.lease_ttl_s
                )
            )
            try:
                await asyncio.shield(write)
            except asyncio.CancelledError:
                await asyncio.wait([write])
                failed = write.exception()
                if failed is None:
                    self._publish(job)
                else:
                    log.warning("Could not save render %s while stopping: %s", job.job_id, failed)
                raise
        self._publish(job)

    def _note(self, job: RenderJob) -> None:
        """Take and show a change that is not worth a write of its own (the next save carries it)."""
        self.job = job
        self._publish(job)

    def _publish(self, job: RenderJob) -> None:
        if self._on_change is not None:
            self._on_change(job)

    def _upload_progress(self, sent: int, total: int | None) -> None:
        if total:
            self._progress(sent / total)

    def _progress(self, fraction: float) -> None:
        fraction = max(0.0, min(1.0, fraction))
        # Progress is shown, not persisted, and only when it moved visibly: a download calls this per chunk.
        if abs(fraction - self._last_published) < 0.01 and fraction < 1.0:
            return
        self._last_published = fraction
        self.job = self.job.update(stage_progress=fraction)
        self._publish(self.job)

    def _fail(self, exc: VideoGenError, **changes: Any) -> None:
        self._end_failed(
            error_message=exc.message,
            error_hint=exc.hint,
            error_code=exc.code,
            error_kind=kind_of(exc),
            **changes,
        )

    def _fail_plain(self, message: str, hint: str, kind: str | None = None, **changes: Any) -> None:
        self._end_failed(error_message=message, error_hint=hint, error_code=None, error_kind=kind, **changes)

    def _end_failed(self, **changes: Any) -> None:
        changes.setdefault("awaiting_approval", False)
        if isinstance(changes.get("error_kind"), FailureKind):
            changes["error_kind"] = changes["error_kind"].value
        try:
            # Durable: failures are rare, and the job may carry a paid id not written before (see _submit).
            self._save(self.job.advance(JobState.FAILED, **changes), durable=True)
        except LeaseLost:
            raise
        except Exception:  # the store itself may be what broke; keep the in-memory job truthful
            log.exception("Could not save the failure of job %s", self.job.job_id)
            self.job = dataclasses.replace(
                self.job, state=JobState.FAILED, finished_at=time.time(), **changes
            )
            self._publish(self.job)


def _active_execution(job: RenderJob) -> tuple[str | None, str | None]:
    """(field name, id) of the execution the job is waiting on, if any."""
    if job.state is JobState.SPEECH_RUNNING and job.tts_execution_id:
        return "tts_execution_id", job.tts_execution_id
    if job.state is JobState.AVATAR_RUNNING and job.avatar_execution_id:
        return "avatar_execution_id", job.avatar_execution_id
    return None, None
