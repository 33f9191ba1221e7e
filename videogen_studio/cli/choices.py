"""What `render` renders with: the performer (presenter or actor), the voice, and the checks before paying.

Ids are checked against every page of the service's lists. Without --voice a voice is chosen explicitly
(a direct-TTS voice that fits the performer, the same choice the GUI makes) and the command says which, so
the rerun after a crash asks for exactly the same render. Preflight runs everything that can be checked
before the first paid step; a problem is one line and nothing is paid.
"""

from __future__ import annotations

from typing import Any

from ..api.models import TtsVoice
from ..pipeline.catalog import Catalog, Performer
from ..pipeline.jobs import RenderSpec
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
    try:
        from ..pipeline.preflight import preflight as check
    except ImportError:  # pragma: no cover - until pipeline/preflight.py lands: the output folder at least
        _check_output_folder(spec.output_dir)
        return
    problems = await check(
        spec,
        client=session.client,
        capabilities=getattr(session, "capabilities", None),
        catalog=getattr(session, "catalog", None),
        features=getattr(session, "features", None),
    )
    if problems:
        raise CliError(problem_line(problems[0]), EXIT_USAGE)


def problem_line(problem: Any) -> str:
    from .wording import hint_for

    kind = str(getattr(problem, "kind", "") or "")
    message = str(getattr(problem, "message", problem))
    hint = PREFLIGHT_HINTS.get(kind) or hint_for(kind, getattr(problem, "hint", "") or "")
    return error_line(message, hint)


#: Preflight problem kinds -> what to type instead (kinds from pipeline/preflight.py).
PREFLIGHT_HINTS = {
    "output_folder": "give --out a folder you can write to",
    "output_not_writable": "give --out a folder you can write to",
    "output_is_file": "give --out a folder, not a file",
    "watermark": "use --watermark AUTO or VIDEO_GEN, or buy the Production API add-on",
    "watermark_not_allowed": "use --watermark AUTO or VIDEO_GEN, or buy the Production API add-on",
    "add_on_required": "use --watermark AUTO or VIDEO_GEN, or buy the Production API add-on",
    "performer_unknown": f"see `{PROG} presenters` (or `{PROG} actors`)",
    "form_unsupported": f"this service renders the other form; see `{PROG} presenters` and `{PROG} actors`",
    "voice_unknown": f"see `{PROG} voices`",
    "voice_no_direct_tts": f"pick another voice from `{PROG} voices`",
    "script_empty": "write something for the presenter to say",
    "script_too_long": "shorten the script or split it into several renders",
    "speed_out_of_range": "give --speed a number from 0.5 to 2",
}


def _check_output_folder(folder: str) -> None:
    import os
    from pathlib import Path

    path = Path(folder)
    probe = path
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    if not probe.is_dir() or not os.access(probe, os.W_OK | os.X_OK):
        problem = f"cannot write to the output folder {folder}"
        raise CliError(error_line(problem, "give --out a folder you can write to"))
