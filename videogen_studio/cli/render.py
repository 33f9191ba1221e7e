"""`render`: one clip without the GUI, idempotent across crashes.

The same command run again finds the job it started before (by the spec's fingerprint: what was asked
for) and continues it instead of paying again: a finished one prints its files, one in flight resumes, a
failed one is retried from after its last paid step, one left uncertain is reported with what to do.
`--new` always starts a new render.
"""

from __future__ import annotations

import argparse
import dataclasses

from ..api.models import AvatarQuality, WatermarkMode
from ..pipeline.jobs import JobState, RenderJob, RenderSpec
from ..session import Session
from .choices import choose_voice, find_performer, preflight
from .connect import EXIT_DECIDE, open_session
from .console import Console
from .follow import follow, is_uncertain, note_other_decisions, output_paths
from .inputs import check_out_folder, check_script, check_speed, parse_replacements, read_script
from .stop import StopController, stopped_before_sending
from .wording import PROG, error_line, uncertain_advice


def add_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    from .inputs import speed_arg

    render = sub.add_parser("render", parents=[common], help="render one clip without the GUI")
    who = render.add_mutually_exclusive_group(required=True)
    who.add_argument("--presenter", help="avatar presenter id (see `presenters`)")
    who.add_argument("--actor", help="ACTOR entity id (see `actors`), on services that render actors")
    render.add_argument("--voice", help="voice id (see `voices`); default: one that fits, named on stderr")
    render.add_argument("--script", required=True, help="UTF-8 text file with the script, or - for stdin")
    render.add_argument("--out", required=True, type=_path, help="folder for the finished MP4 files")
    render.add_argument("--language", help="ISO-639-1 hint for speech, e.g. en")
    render.add_argument("--speed", type=speed_arg, help="voice speed multiplier, e.g. 1.1")
    render.add_argument(
        "--watermark", choices=[m.value for m in WatermarkMode], default=WatermarkMode.AUTO.value
    )
    render.add_argument(
        "--quality", choices=[q.value for q in AvatarQuality], help="avatar quality (actor form only)"
    )
    render.add_argument(
        "--num-results", type=int, default=1, metavar="N", help="variations to render (all downloaded)"
    )
    render.add_argument("--temporary", action="store_true", help="ask for temporary outputs (kept 24 h)")
    render.add_argument("--auto-expand", action="store_true", help="expand numbers and symbols to words")
    render.add_argument(
        "--replace", action="append", default=[], metavar="ORIGINAL=SPOKEN", help="pronunciation replacement"
    )
    render.add_argument("--new", action="store_true", help="a new render even if the same one exists")
    render.set_defaults(handler=run)


def _path(text: str) -> object:
    from pathlib import Path

    return Path(text)


async def run(args: argparse.Namespace, console: Console, stopper: StopController) -> int:
    # Everything local first: no network, no lock, nothing paid.
    from .connect import CliError

    script = check_script(read_script(args.script))
    speed = check_speed(args.speed)
    replacements = parse_replacements(args.replace)
    out = check_out_folder(args.out)
    form = "actor" if args.actor else "presenter"
    if args.quality and form != "actor":
        raise CliError(error_line("--quality applies to actors only", "use it with --actor, or leave it out"))
    async with open_session(args, console, drive=True) as session:
        performer = await find_performer(session, args.actor or args.presenter, form)
        voice, picked = await choose_voice(session, performer, args.voice, args.language)
        spec = RenderSpec(
            presenter_id=performer.performer_id,
            presenter_name=performer.name,
            avatar_form=form,
            avatar_quality=args.quality,
            script=script,
            voice_id=voice.voice_id,
            language_code=args.language,
            voice_speed=speed,
            replacements=replacements,
            auto_expand=args.auto_expand,
            watermark_mode=WatermarkMode(args.watermark),
            temporary=args.temporary,
            num_results=args.num_results,
            output_dir=str(out),
        )
        before = None if args.new else _earlier(session, spec, voice_picked=picked)
        if stopper.event.is_set():  # start() would resume renders in flight: their next step may be paid
            return stopped_before_sending(stopper, console)
        # Restart rules first: a job caught mid-send is now marked uncertain. Only this render is driven:
        # renders a GUI left waiting in this folder stay waiting (and unpaid); ones in flight resume.
        await session.queue.start(only={before.job_id} if before is not None else ())
        note_other_decisions(session, console, before.job_id if before is not None else None)
        if before is not None:
            job = session.queue.get(before.job_id) or before
            code = await _continue(session, job, console, stopper)
            if code is not None:
                return code
            return await follow(session, job.job_id, console, stopper)
        await preflight(session, spec)
        if stopper.event.is_set():  # stopped during the lookups: checked right before paying, never after
            return stopped_before_sending(stopper, console)
        job = session.queue.submit(spec)
        if picked:
            console.err(
                f"voice: {voice.display_name} ({voice.voice_id}, {voice.language_code}), chosen to fit "
                f"{performer.label}; pass --voice ID to choose another (`{PROG} voices`)"
            )
        console.err(f"render {job.job_id} started")
        return await follow(session, job.job_id, console, stopper)


def _earlier(session: Session, spec: RenderSpec, *, voice_picked: bool) -> RenderJob | None:
    """The job this same request started before, if any (newest first)."""
    found = session.store.find_by_fingerprint(spec.fingerprint())
    if found is not None or not voice_picked:
        return found
    # No --voice: the voice was picked for the user, and the catalog's pick may have changed since the
    # first run (a voice added or retired). The same request with the voice picked then is the same render.
    for job in session.store.load_all():
        if dataclasses.replace(spec, voice_id=job.spec.voice_id).fingerprint() == job.spec.fingerprint():
            return job
    return None


async def _continue(
    session: Session, job: RenderJob, console: Console, stopper: StopController
) -> int | None:
    """The same render was asked before: finish here (an exit code) or continue it (None)."""
    if job.state is JobState.DONE:
        paths = output_paths(job)
        console.err(f"already rendered by render {job.job_id}; pass --new to render it again")
        for path in paths:
            console.out(path)
        return 0
    if is_uncertain(job):
        console.err(error_line(uncertain_advice(job.job_id, job.error_kind)))
        return EXIT_DECIDE
    if job.state in (JobState.FAILED, JobState.CANCELLED):
        await preflight(session, job.spec)  # whatever made it fail may be checkable now
        if stopper.event.is_set():
            return stopped_before_sending(stopper, console, job.job_id)
        session.queue.retry(job.job_id)
        console.err(f"render {job.job_id} failed before; trying again from its last paid step")
        return None
    console.err(f"continuing render {job.job_id} ({job.state.label.lower()}); nothing paid is paid again")
    return None
