"""Drive one render job through VideoGen, step by step, so that any step can resume after a crash.

The order of writes is what makes a restart safe:

1. the job is saved in SUBMITTING_* (durably) *before* a paid POST leaves the machine;
2. the execution id is saved (durably) the moment the POST answers;
3. each later id (audio file, video file) is saved as soon as it is known.

So after a crash a job is either before step 1 (nothing was sent: run it), after step 2 (poll the known
execution: nothing is paid twice) or in between (SUBMITTING_* without an id: VideoGen may or may not have
started it, so the job fails as `uncertain` and only the user may send it again).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
import re
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from ..api import models
from ..api.client import SubmissionUncertain, VideoGenClient
from ..api.errors import (
    InvalidId,
    LocalFileError,
    MalformedResponse,
    NotFound,
    ServerError,
    VideoGenError,
)
from ..api.models import AvatarRequest, PronunciationReplacement, ToolExecution, TtsRequest
from ..api.transfer import part_path
from .failures import FailureKind, kind_of
from .jobs import JobState, RenderJob
from .lease import DEFAULT_TTL_S
from .store import JobStore, LeaseLost

log = logging.getLogger(__name__)

UNCERTAIN_TAIL = (
    "VideoGen may already be working on it. Retry only if you are sure it did not start — "
    "it could be charged twice."
)
#: Shown for a job found in SUBMITTING_* without an execution id when the app starts.
UNCERTAIN_RESTART_MESSAGE = f"The app stopped while sending this render; {UNCERTAIN_TAIL}"
UNCERTAIN_HINT = "Check your renders at app.videogen.io; if it is not there, press Retry and confirm."
EXECUTION_FAILED_HINT = "VideoGen could not finish this step. Press Retry to run it again."

_SUBMITTING = (JobState.SUBMITTING_SPEECH, JobState.SUBMITTING_AVATAR)

StopReason = Literal["cancel", "shutdown"]


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
_ILLEGAL = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
_SPACES = re.compile(r"\s+")
_MAX_NAME = 120  # characters; keeps "<folder>/<name>.mp4.part" well under Windows' 260-character paths


def _clean(text: str, limit: int) -> str:
    text = unicodedata.normalize("NFC", text)  # macOS stores NFD; compare and display the same everywhere
    text = _SPACES.sub(" ", _ILLEGAL.sub(" ", text)).strip()
    if len(text) > limit:
        text = text[:limit].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
    # Windows drops trailing dots and spaces; a leading dot hides the file on Unix; a cut-off clause
    # ending in a comma reads badly before " - <id>".
    return text.rstrip(" .,;-").lstrip(" .")


def output_file_name(job: RenderJob, words: int = 6) -> str:
    """'<presenter> - <first words of the script> - <job id[:6]>.mp4', safe on Windows, macOS and Linux."""
    presenter = _clean(job.spec.presenter_name or job.spec.presenter_id, 40) or "Presenter"
    first_words = " ".join(job.spec.script.split()[:words])
    script = _clean(first_words, 60)
    parts = [presenter, script, job.job_id[:6]] if script else [presenter, job.job_id[:6]]
    stem = " - ".join(parts)
    # Reserved device names only matter as the whole stem, which always ends in the job id; still cap length.
    return stem[:_MAX_NAME].rstrip(" .") + ".mp4"


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
    can ask the client's RateLimiter how far apart polls must be for all of them to fit the hourly budget.
    """

    def __init__(
        self,
        client: VideoGenClient,
        *,
        interval: float = 1.5,
        max_interval: float = 15.0,
        factor: float = 1.5,
        give_up_after: float = 3600.0,
        rng: random.Random | None = None,
    ) -> None:
        self.client = client
        self.interval = interval
        self.max_interval = max(interval, max_interval)
        self.factor = factor
        #: Seconds one stage may stay unfinished before the job fails (keeping its id, so Retry polls on).
        self.give_up_after = give_up_after
        self.active = 0
        self._rng = rng or random.Random()

    @contextmanager
    def polling(self) -> Iterator[None]:
        """Count this job as an active poller while inside the block."""
        self.active += 1
        try:
            yield
        finally:
            self.active -= 1

    def delay(self, polls_done: int) -> float:
        """Seconds to wait before the next poll of an execution that has been polled `polls_done` times."""
        backoff = min(self.max_interval, self.interval * self.factor ** max(0, polls_done - 1))
        # ±10 % jitter so jobs submitted together do not keep polling in lockstep.
        backoff *= self._rng.uniform(0.9, 1.1)
        spread = self.client.limiter.spread_interval("executions", self.active)
        return max(backoff, spread or 0.0)


# --------------------------------------------------------------------------------------------- runner
class JobRunner:
    """Runs one job to a terminal state (or until stopped). Not reusable: make one per run.

    `store` receives every state change (durably where money is at stake); `on_change` receives every
    change including progress, which is published but not persisted.
    """

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
        self._task: asyncio.Task[RenderJob] | None = None
        self._stop: StopReason | None = None
        self._in_submit = False
        self._just_submitted = False
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
        on the next start; a stop for cancel ends with the job CANCELLED (server-side cancel included).
        """
        self._task = asyncio.current_task()
        try:
            try:
                await self._drive()
            except asyncio.CancelledError:
                if self._stop != "cancel":
                    raise
                if self._task is not None and self._task.cancelling():
                    self._task.uncancel()  # we handle this cancellation ourselves and finish normally
                await self.finish_cancel()
            except VideoGenError as exc:
                self._fail(exc)
            except LeaseLost:
                raise
            except Exception as exc:  # a bug or a broken store must fail this job, never the queue
                log.exception("Render job %s failed unexpectedly", self.job.job_id)
                self._fail_plain(
                    f"Unexpected error: {exc or type(exc).__name__}", "Retry may help.", FailureKind.INTERNAL
                )
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
        if not self._in_submit and self._task is not None and not self._task.done():
            self._task.cancel()

    @property
    def stopping(self) -> StopReason | None:
        return self._stop

    async def finish_cancel(self) -> RenderJob:
        """Cancel the running execution on the server (best effort) and mark the job CANCELLED."""
        job = self.job
        if job.state.is_terminal:
            return job
        if job.state in _SUBMITTING:
            # Only a hard stop mid-POST gets here: whether VideoGen started the render is unknown.
            self._save(recover(job))
            return self.job
        changes: dict[str, object] = {}
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
                pass  # it finished first: keep the id, so Retry collects the paid result without paying again
            elif refused is None or status in (models.FAILED, models.CANCELLED):
                changes[field_name] = None  # Retry must run this step afresh, not poll a dead execution
            else:
                # Maybe still running: keep the id, so Retry polls it rather than paying for another.
                message = f"Cancelled here, but VideoGen did not confirm it: {refused.message}"
                changes["error_message"] = message
                changes["error_hint"] = refused.hint
                changes["error_code"] = refused.code
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
                if target in _SUBMITTING:
                    await self._submit(job, target)
                else:
                    self._save(job.advance(target))
            elif state in _SUBMITTING:
                # Only reachable when handed a job straight from the store without `recover()`.
                self._save(recover(self.job))
            elif state is JobState.SPEECH_RUNNING:
                await self._speech()
            elif state is JobState.AVATAR_RUNNING:
                await self._avatar()
            elif state is JobState.DOWNLOADING:
                await self._download()

    async def _submit(self, job: RenderJob, target: JobState) -> None:
        self._checkpoint()
        if target is JobState.SUBMITTING_AVATAR and not job.audio_file_id:
            # resume_state() never leads here without one; checked so a hand-edited row cannot POST junk.
            self._fail_plain("The speech step lost its audio file id.", "Remove this render and start again.")
            return
        self._save(job.advance(target), durable=True)  # persisted BEFORE the paid POST leaves
        self._in_submit = True
        try:
            spec = self.job.spec
            try:
                if target is JobState.SUBMITTING_SPEECH:
                    request = TtsRequest(
                        tts_text=spec.script,
                        voice_id=spec.voice_id,
                        speech_language_code=spec.language_code,
                        pronunciation_replacements=tuple(
                            PronunciationReplacement(a, b) for a, b in spec.replacements
                        ),
                        auto_expand_pronunciation_replacements=spec.auto_expand or None,
                        voice_speed=spec.voice_speed,
                        is_output_temporary=spec.temporary or None,
                    )
                    self.stats["tts_submits"] += 1
                    execution_id = await self.client.text_to_speech(request)
                    changes = {"tts_execution_id": execution_id}
                    running = JobState.SPEECH_RUNNING
                else:
                    request_avatar = AvatarRequest(
                        avatar_presenter_id=spec.presenter_id,
                        audio_storage_file_id=job.audio_file_id or "",
                        watermark_mode=spec.watermark_mode or None,
                        is_output_temporary=spec.temporary or None,
                    )
                    self.stats["avatar_submits"] += 1
                    execution_id = await self.client.generate_avatar(request_avatar)
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
            self._save(self.job.advance(running, **changes), durable=True)  # the id, before anything else
            self._just_submitted = True
        finally:
            self._in_submit = False
        self._checkpoint()

    async def _speech(self) -> None:
        execution_id = self.job.tts_execution_id
        if execution_id is None:  # defensive: a hand-edited row
            self._save(self.job.advance(JobState.FAILED, error_message="The speech step lost its id."))
            return
        execution = await self._poll(execution_id, "tts_execution_id")
        if execution is None:
            return
        if not execution.results:
            self._fail_plain("VideoGen finished the speech but sent no audio file.", EXECUTION_FAILED_HINT)
            return
        self._save(self.job.update(audio_file_id=execution.results[0].file_id), durable=True)
        await self._submit(self.job, JobState.SUBMITTING_AVATAR)

    async def _avatar(self) -> None:
        execution_id = self.job.avatar_execution_id
        if execution_id is None:
            self._save(self.job.advance(JobState.FAILED, error_message="The video step lost its id."))
            return
        execution = await self._poll(execution_id, "avatar_execution_id")
        if execution is None:
            return
        if not execution.results:
            self._fail_plain("VideoGen finished the video but returned no file.", EXECUTION_FAILED_HINT)
            return
        result = execution.results[0]
        duration = result.file.duration_seconds if result.file is not None else None
        self._save(
            self.job.advance(JobState.DOWNLOADING, video_file_id=result.file_id, duration_seconds=duration),
            durable=True,
        )

    async def _download(self) -> None:
        job = self.job
        file_id = job.video_file_id
        if file_id is None:
            self._save(job.advance(JobState.FAILED, error_message="The download lost its file id."))
            return
        try:
            if job.duration_seconds is None:
                try:
                    file = await self.client.get_file(file_id)
                    self._save(self.job.update(duration_seconds=file.duration_seconds))
                except (NotFound, InvalidId):
                    raise
                except VideoGenError as exc:
                    # Only the duration label is missing; the download itself decides whether the job fails.
                    log.info("Could not read the duration of %s: %s", file_id, exc)
            dest = self._destination()
            self.stats["downloads"] += 1
            await self.client.download_file(file_id, dest, progress=self._download_progress)
        except (NotFound, InvalidId) as exc:
            # The file is gone on the server: Retry must fetch it again through the avatar step.
            self._fail(exc, video_file_id=None)
            return
        self._save(self.job.advance(JobState.DONE, stage_progress=1.0))

    def _destination(self) -> Path:
        if self.job.output_path:
            return Path(self.job.output_path)  # the same name as last time, so the .part file resumes
        spec_dir = self.job.spec.output_dir
        folder = Path(spec_dir).expanduser() if spec_dir else self.output_dir
        try:
            dest = unique_path(folder, output_file_name(self.job))
        except OSError as exc:
            raise LocalFileError(f"Cannot use the folder {folder}: {exc.strerror or exc}") from exc
        # Saved before the first byte, so a restart continues this exact file instead of starting another.
        self._save(self.job.update(output_path=str(dest)))
        return dest

    async def _poll(self, execution_id: str, field_name: str) -> ToolExecution | None:
        """Poll until terminal. Returns the succeeded execution, or None after moving the job to an end."""
        polls = 0
        deadline = asyncio.get_running_loop().time() + self.pacer.give_up_after
        with self.pacer.polling():
            if self._just_submitted:
                # A render never finishes the instant it is accepted: save the budget of a certain "pending".
                self._just_submitted = False
                await asyncio.sleep(self.pacer.delay(0))
            while True:
                self._checkpoint()
                try:
                    execution = await self.client.get_execution(execution_id)
                except (NotFound, InvalidId) as exc:
                    # Forget the id so Retry submits this step again instead of polling a ghost forever.
                    self._fail(exc, **{field_name: None})
                    return None
                finally:
                    self.stats["polls"] += 1
                polls += 1
                if execution.progress_percentage is not None:
                    self._progress(execution.progress_percentage / 100.0)
                if execution.status == models.SUCCEEDED:
                    return execution
                if execution.status == models.FAILED:
                    error = execution.error
                    self._save(
                        self.job.advance(
                            JobState.FAILED,
                            error_message=error.message if error else "VideoGen reported a failed step.",
                            error_hint=EXECUTION_FAILED_HINT,
                            error_code=error.code if error else None,
                            **{field_name: None},  # Retry runs the failed step again
                        )
                    )
                    return None
                if execution.status == models.CANCELLED:
                    self._save(self.job.advance(JobState.CANCELLED, **{field_name: None}))
                    return None
                if asyncio.get_running_loop().time() > deadline:
                    minutes = round(self.pacer.give_up_after / 60)
                    self._fail_plain(
                        f"VideoGen has not finished this step after {minutes} minutes.",
                        "Press Retry to keep waiting for it; it will not be charged again.",
                    )
                    return None
                await asyncio.sleep(self.pacer.delay(polls))

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

    def _publish(self, job: RenderJob) -> None:
        if self._on_change is not None:
            self._on_change(job)

    def _progress(self, fraction: float) -> None:
        fraction = max(0.0, min(1.0, fraction))
        # Progress is shown, not persisted, and only when it moved visibly: a download calls this per chunk.
        if abs(fraction - self._last_published) < 0.01 and fraction < 1.0:
            return
        self._last_published = fraction
        self.job = self.job.update(stage_progress=fraction)
        self._publish(self.job)

    def _download_progress(self, done: int, total: int | None) -> None:
        if total:
            self._progress(done / total)

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
        try:
            self._save(self.job.advance(JobState.FAILED, **changes))
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
