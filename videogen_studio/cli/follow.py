"""Follow one job of the queue to its end, or until the command is told to stop; then say what happened.

Used by render, resume and retry. A stop (signal, closed output) leaves the job where it is: the session's
close lets a paid request in flight finish so its id is saved, and the next `resume` continues from there.
"""

from __future__ import annotations

import asyncio
from typing import Any

from ..pipeline.jobs import JobState, RenderJob
from ..pipeline.queue import JobEvent
from ..session import Session
from .connect import EXIT_BUSY, EXIT_DECIDE, EXIT_FAILED
from .console import Console
from .progress import Progress
from .stop import StopController
from .wording import PROG, error_line, failure_hint, resume_advice, sentence, uncertain_advice

UNCERTAIN_KINDS = frozenset({"uncertain", "submission_uncertain"})


def is_uncertain(job: RenderJob) -> bool:
    return job.uncertain or (job.state is JobState.FAILED and job.error_kind in UNCERTAIN_KINDS)


def output_paths(job: RenderJob) -> tuple[str, ...]:
    paths = tuple(job.output_paths) or ((job.output_path,) if job.output_path else ())
    return paths


async def follow(session: Session, job_id: str, console: Console, stopper: StopController) -> int:
    queue = session.queue
    holder = queue.holder_of(job_id)
    if holder is not None:  # another live process drives it (the folder lock normally prevents this)
        problem = f"render {job_id} is being rendered by another process ({holder})"
        console.err(error_line(problem, "let it finish"))
        return EXIT_BUSY
    loop = asyncio.get_running_loop()
    finished: asyncio.Future[RenderJob] = loop.create_future()
    progress = Progress(console)

    told_approval = False

    def on_event(event: JobEvent) -> None:
        nonlocal told_approval
        if event.job.job_id != job_id:
            return
        if event.job.awaiting_approval and not told_approval:
            told_approval = True
            progress.end()
            console.err(approval_note(job_id))
        progress.show(event.job)
        ended = event.kind == "removed" or event.job.state.is_terminal
        if ended and not finished.done():
            finished.set_result(event.job)

    unsubscribe = queue.subscribe(on_event)
    try:
        current = queue.get(job_id)
        if current is not None:
            progress.show(current)
            if current.state.is_terminal and not finished.done():
                finished.set_result(current)
        stopped = loop.create_task(stopper.event.wait())
        waiters: set[asyncio.Future[Any]] = {finished, stopped}
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()
    finally:
        unsubscribe()
    progress.end()
    if not finished.done():
        job = queue.get(job_id)
        state = job.state.label.lower() if job is not None else "saved"
        console.err(f"{stopper.reason}: render {job_id} is saved ({state}); {resume_advice(job_id)}.")
        return stopper.exit_code
    return report(finished.result(), console)


def approval_note(job_id: str) -> str:
    return (
        f"render {job_id} waits for approval at app.videogen.io; it continues by itself once approved "
        f"(stopping now keeps it: `{PROG} resume {job_id}` later)"
    )


def note_other_decisions(session: Session, console: Console, current: str | None = None) -> None:
    """Renders of this folder left uncertain are mentioned on every run until someone decides."""
    waiting = [j for j in session.queue.jobs() if j.job_id != current and is_uncertain(j)]
    if waiting:
        ids = ", ".join(j.job_id[:12] for j in waiting[:3]) + (" …" if len(waiting) > 3 else "")
        console.err(
            f"note: {len(waiting)} other render(s) may already have been sent and need a decision ({ids}); "
            f"see `{PROG} jobs`"
        )


def report(job: RenderJob, console: Console) -> int:
    """Say how a job ended: its files on stdout, anything else as one line on stderr."""
    if job.notice:
        console.err(f"note: {sentence(job.notice)}")
    if job.state is JobState.DONE:
        for path in output_paths(job):
            console.out(path)
        return 0
    if is_uncertain(job):
        console.err(error_line(uncertain_advice(job.job_id, job.error_kind)))
        return EXIT_DECIDE
    if job.state is JobState.CANCELLED:
        console.err(error_line(f"render {job.job_id} was cancelled", "render it again with the same command"))
        return EXIT_FAILED
    if job.state is JobState.FAILED:
        message = job.error_message or "the render failed"
        hint = failure_hint(job.error_kind, job.error_code, message, job.error_hint, job.job_id)
        console.err(error_line(message, hint))
        return EXIT_FAILED
    console.err(f"render {job.job_id} is {job.state.label.lower()}; {resume_advice(job.job_id)}.")
    return EXIT_FAILED
