"""What `render` renders with: the performer (presenter or actor), the voice, and the checks before paying.

Ids are checked against every page of the service's lists. Without --voice a voice is chosen explicitly
(a direct-TTS voice that fits the performer, the same choice the GUI makes) and the command says which, so
the rerun after a crash asks for exactly the same render. Preflight runs everything that can be checked
before the first paid step; a problem is one line and nothing is paid.
"""

from __future__ import annotations

from ..api.models import TtsVoice
from ..pipeline.catalog import Catalog, Performer
from ..pipeline.jobs import RenderSpec
from ..pipeline.preflight import Problem
from ..pipeline.preflight import preflight as check
from ..session import Session
from .connect import EXIT_USAGE, CliError
from .wording import PROG, error_line


def _catalog(session: Session) -> Catalog:
    if session.catalog is None:  # pragma: no cover - Session.open always builds one
        raise CliError(error_line("no catalog for this service", "run the command again"), EXIT_USAGE)
    return session.catalog


async def find_performer(session: Session, performer_id: str, form: str) -> Performer:
    """The presenter or ACTOR entity with this id, looked up across all pages, or a one-line refusal."""
    catalog = _catalog(session)
    listing = "actors" if catalog.form == "actor" else "presenters"
    if catalog.form != form:
        option = f"--{catalog.form}"
        hint = f"use {option} ID (see `{PROG} {listing}`)"
        raise CliError(error_line(f"this service renders {listing}", hint), EXIT_USAGE)
    found = await catalog.find(performer_id)
    if found is None:
        problem = f"unknown {form} {performer_id!r} on this service"
        raise CliError(error_line(problem, f"see `{PROG} {listing}`"), EXIT_USAGE)
    return found


async def choose_voice(
    session: Session, performer: Performer, voice_id: str | None, language: str | None
) -> tuple[TtsVoice, bool]:
    """(voice, picked_for_you). A given id must exist and accept direct text-to-speech."""
    catalog = _catalog(session)
    voices = await catalog.voices()
    if voice_id is not None:
        voice = next((v for v in voices if v.voice_id == voice_id), None)
        if voice is None or not voice.supports_direct_tool_execution:
            problem = "unknown voice" if voice is None else "this voice cannot be used for text-to-speech:"
            raise CliError(error_line(f"{problem} {voice_id!r}", f"see `{PROG} voices`"), EXIT_USAGE)
        return voice, False
    # The same choice the GUI makes, and deterministic: the rerun after a crash asks for the same render.
    picked = Catalog.default_voice_for(performer, voices, language=language)
    if picked is None:
        raise CliError(
            error_line("this service offers no voice for text-to-speech", f"see `{PROG} voices`"), EXIT_USAGE
        )
    return picked, True


async def preflight(session: Session, spec: RenderSpec) -> None:
    """Refuse, before anything is paid, what the service would refuse later (one line, exit 2)."""
    problems = await check(
        spec,
        client=session.client,
        capabilities=session.capabilities,
        catalog=session.catalog,
        features=session.features,
    )
    if problems:
        raise CliError(problem_line(problems[0]), EXIT_USAGE)


def problem_line(problem: Problem) -> str:
    return error_line(problem.message, PREFLIGHT_HINTS.get(problem.kind, "check the options (see --help)"))


#: What to type instead, per preflight problem kind (pipeline/preflight.py ProblemKind values).
PREFLIGHT_HINTS = {
    "output_is_file": "give --out a folder, not a file",
    "output_not_writable": "give --out a folder you can write to",
    "script_empty": "write something for the presenter to say",
    "script_too_long": "shorten the script or split it into several renders",
    "script_invalid_characters": "remove control characters or broken text from the script",
    "speed_not_a_number": "give --speed a number from 0.5 to 2, e.g. 1.1",
    "speed_out_of_range": "give --speed a number from 0.5 to 2, e.g. 1.1",
    "watermark_unknown": "use --watermark AUTO, VIDEO_GEN or NONE",
    "watermark_not_allowed": "use --watermark AUTO or VIDEO_GEN, or buy the Production API add-on",
    "quality_unknown": "use --quality LOW, STANDARD, HIGH or MAX",
    "results_out_of_range": "give --num-results a number from 1 to 100",
    "performer_missing": "give --presenter ID or --actor ID",
    "performer_unknown": f"see `{PROG} presenters` (or `{PROG} actors`)",
    "performer_not_renderable": f"choose another one from `{PROG} presenters` (or `{PROG} actors`)",
    "form_unknown": "use --presenter or --actor",
    "form_unsupported": f"this service renders the other form; see `{PROG} presenters` and `{PROG} actors`",
    "voice_missing": f"give --voice ID (see `{PROG} voices`)",
    "voice_unknown": f"see `{PROG} voices`",
    "voice_no_direct_tts": f"pick another voice from `{PROG} voices`",
}
