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
from .wording import error_line, hint_for, resume_advice, sentence, uncertain_advice

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

    def on_event(event: JobEvent) -> None:
        if event.job.job_id != job_id:
            return
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


def report(job: RenderJob, console: Console) -> int:
    """Say how a job ended: its files on stdout, anything else as one line on stderr."""
    if job.notice:
        console.err(f"note: {sentence(job.notice)}")
    if job.state is JobState.DONE:
        for path in output_paths(job):
            console.out(path)
        return 0
    if is_uncertain(job):
        console.err(error_line(uncertain_advice(job.job_id)))
        return EXIT_DECIDE
    if job.state is JobState.CANCELLED:
        console.err(error_line(f"render {job.job_id} was cancelled", "render it again with the same command"))
        return EXIT_FAILED
    if job.state is JobState.FAILED:
        message = job.error_message or "the render failed"
        console.err(error_line(message, hint_for(job.error_kind, job.error_hint, job_id=job.job_id)))
        return EXIT_FAILED
    console.err(f"render {job.job_id} is {job.state.label.lower()}; {resume_advice(job.job_id)}.")
    return EXIT_FAILED
