"""`jobs`, `resume ID`, `retry ID`, `cancel ID`: the saved renders of this data folder.

IDs may be shortened to any unique prefix (as `jobs` shows them). `jobs` only reads; the others lock the
data folder like `render`, so a GUI or another command is never driving the same job meanwhile.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from typing import Any

from ..api.models import AvatarQuality, WatermarkMode
from ..pipeline.jobs import JobState, RenderJob
from ..session import Session
from .choices import preflight
from .connect import EXIT_DECIDE, EXIT_FAILED, EXIT_USAGE, CliError, open_session
from .console import Console
from .follow import follow, is_uncertain, note_other_decisions, output_paths, report
from .stop import StopController, stopped_before_sending
from .wording import PROG, error_line, failure_hint, uncertain_advice

SHORT_ID = 12


def add_parsers(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    jobs = sub.add_parser("jobs", parents=[common], help="list saved renders (uncertain ones flagged)")
    jobs.add_argument("--all", action="store_true", help="include finished renders older than a day")
    jobs.set_defaults(handler=run_jobs)
    resume = sub.add_parser("resume", parents=[common], help="continue a stopped render")
    resume.add_argument("job", metavar="ID")
    resume.set_defaults(handler=run_resume)
    retry = sub.add_parser("retry", parents=[common], help="send a failed render again (paid steps kept)")
    retry.add_argument("job", metavar="ID")
    retry.add_argument(
        "--confirm", action="store_true", help="also retry a render that may already have been sent"
    )
    retry.add_argument("--watermark", choices=[m.value for m in WatermarkMode], help="change the watermark")
    who = retry.add_mutually_exclusive_group()
    who.add_argument("--presenter", help="render the avatar with another presenter")
    who.add_argument("--actor", help="render the avatar with another ACTOR entity")
    retry.add_argument("--quality", choices=[q.value for q in AvatarQuality], help="another avatar quality")
    retry.set_defaults(handler=run_retry)
    cancel = sub.add_parser("cancel", parents=[common], help="cancel a render (on VideoGen too)")
    cancel.add_argument("job", metavar="ID")
    cancel.set_defaults(handler=run_cancel)


def find_job(jobs: list[RenderJob], wanted: str) -> RenderJob:
    exact = [j for j in jobs if j.job_id == wanted]
    matches = exact or [j for j in jobs if j.job_id.startswith(wanted)]
    if len(matches) == 1:
        return matches[0]
    problem = f"no render {wanted!r}" if not matches else f"{wanted!r} matches {len(matches)} renders"
    raise CliError(error_line(problem, f"see `{PROG} jobs` for the ids"), EXIT_USAGE)


# -------------------------------------------------------------------------------------------- jobs
async def run_jobs(args: argparse.Namespace, console: Console, stopper: StopController) -> int:
    async with open_session(args, console, drive=False) as session:
        jobs = session.store.load_all()  # newest first; read only: another process may be driving them
    day_ago = time.time() - 86400
    recent = [j for j in jobs if not j.state.is_terminal or j.updated_at >= day_ago or is_uncertain(j)]
    shown = jobs if args.all else recent
    if not shown:
        console.err("no renders saved here" + ("" if args.all else " in the last day (try --all)"))
        return 0
    for job in shown:
        console.out(job_line(job))
        advice = job_advice(job)
        if advice:
            console.out(f"    ! {advice}")
    return 0


def job_line(job: RenderJob) -> str:
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(job.updated_at))
    state = "UNCERTAIN" if is_uncertain(job) else job.state.value
    script = " ".join(job.spec.script.split())
    script = script if len(script) <= 40 else script[:39] + "…"
    where = " ".join(output_paths(job))
    return "\t".join((job.job_id[:SHORT_ID], state, when, job.spec.presenter_id, script, where)).rstrip()


def job_advice(job: RenderJob) -> str:
    short = job.job_id[:SHORT_ID]
    if is_uncertain(job):
        return uncertain_advice(short, job.error_kind)
    if job.state is JobState.FAILED:
        message = " ".join((job.error_message or "failed").split()).rstrip(".")
        hint = failure_hint(job.error_kind, job.error_code, message, job.error_hint, short)
        hint = hint or f"`{PROG} retry {short}`"
        return f"{message}; {hint}"
    if not job.state.is_terminal:
        return f"not finished: `{PROG} resume {short}` continues it (nothing paid is paid again)"
    return ""


# -------------------------------------------------------------------------------------- resume/retry
async def run_resume(args: argparse.Namespace, console: Console, stopper: StopController) -> int:
    async with open_session(args, console, drive=True) as session:
        # Drive this job, not the line: renders the GUI left waiting stay waiting (never claimed, never
        # sent). start() still resumes every job in flight (already paid; VideoGen works on them anyway).
        job = find_job(session.store.load_all(), args.job)
        session.queue.pause()  # nothing starts until the stop is checked below
        await session.queue.start(only={job.job_id})
        job = session.queue.get(job.job_id) or job
        note_other_decisions(session, console, job.job_id)
        if job.state is JobState.QUEUED:
            if stopper.event.is_set():  # stopped while loading: a waiting render is not sent now
                return stopped_before_sending(stopper, console, job.job_id)
            session.queue.resume()  # starts this one only: the queue drives nothing else that waits
        if job.state is JobState.DONE or is_uncertain(job):
            return report(job, console)
        if job.state in (JobState.FAILED, JobState.CANCELLED):
            what = "failed" if job.state is JobState.FAILED else "was cancelled"
            raise CliError(
                error_line(f"render {job.job_id} {what}", f"`{PROG} retry {job.job_id}` sends it again"),
                EXIT_FAILED,
            )
        console.err(f"continuing render {job.job_id} ({job.state.label.lower()})")
        return await follow(session, job.job_id, console, stopper)


async def run_retry(args: argparse.Namespace, console: Console, stopper: StopController) -> int:
    async with open_session(args, console, drive=True) as session:
        # Only this render is driven (retry() chooses it); renders a GUI left waiting stay waiting.
        job = find_job(session.store.load_all(), args.job)
        await session.queue.start(only={job.job_id})
        job = session.queue.get(job.job_id) or job
        note_other_decisions(session, console, job.job_id)
        if job.state not in (JobState.FAILED, JobState.CANCELLED):
            return await _not_retryable(session, job, console, stopper)
        if is_uncertain(job) and not args.confirm:
            console.err(error_line(uncertain_advice(job.job_id, job.error_kind)))
            return EXIT_DECIDE
        changes = retry_changes(args)
        await preflight(session, dataclasses.replace(job.spec, **changes))
        if stopper.event.is_set():  # stopped during the checks: nothing is sent again
            return stopped_before_sending(stopper, console, job.job_id)
        try:
            session.queue.retry(job.job_id, confirm_uncertain=args.confirm, changes=changes or None)
        except ValueError as exc:
            raise CliError(error_line(str(exc), f"see `{PROG} jobs`"), EXIT_FAILED) from None
        console.err(f"retrying render {job.job_id} from its last paid step")
        return await follow(session, job.job_id, console, stopper)


def retry_changes(args: argparse.Namespace) -> dict[str, Any]:
    """RenderSpec fields to change on retry; only the steps they affect run (and are paid) again."""
    changes: dict[str, Any] = {}
    if args.watermark:
        changes["watermark_mode"] = WatermarkMode(args.watermark)
    if args.presenter or args.actor:
        changes["presenter_id"] = args.presenter or args.actor
        changes["avatar_form"] = "actor" if args.actor else "presenter"
        changes["presenter_name"] = ""
    if args.quality:
        changes["avatar_quality"] = args.quality
    return changes


async def _not_retryable(session: Session, job: RenderJob, console: Console, stopper: StopController) -> int:
    if job.state is JobState.DONE:
        console.err(f"render {job.job_id} is already done")
        return report(job, console)
    console.err(f"render {job.job_id} has not failed ({job.state.label.lower()}); continuing it")
    return await follow(session, job.job_id, console, stopper)


# --------------------------------------------------------------------------------------------- cancel
async def run_cancel(args: argparse.Namespace, console: Console, stopper: StopController) -> int:
    async with open_session(args, console, drive=True) as session:
        job = find_job(session.store.load_all(), args.job)
        session.queue.pause()  # a cancel must not start any waiting render
        await session.queue.start(only={job.job_id})
        job = session.queue.get(job.job_id) or job
        if job.state.is_terminal:
            console.err(f"render {job.job_id} is already {job.state.label.lower()}; nothing to cancel")
            return 0
        job = await session.queue.cancel(job.job_id)
        if job.notice:
            console.err(f"note: {job.notice}")
        if job.state is JobState.DONE:  # it finished before the cancel reached VideoGen
            return report(job, console)
        console.err(f"render {job.job_id} cancelled")
        return 0
