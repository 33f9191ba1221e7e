"""What `render` renders with: the performer (presenter or actor), the voice, and the checks before paying.

Ids are checked against every page of the service's lists. Without --voice a voice is chosen explicitly
(a direct-TTS voice that fits the performer, the same choice the GUI makes) and the command says which, so
the rerun after a crash asks for exactly the same render. Preflight runs everything that can be checked
before the first paid step; a problem is one line and nothing is paid.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..api.models import TtsVoice
from ..pipeline.jobs import RenderSpec
from ..session import Session
from .connect import EXIT_USAGE, CliError
from .wording import PROG, error_line


@dataclass(frozen=True)
class Chosen:
    performer_id: str
    form: str  # "presenter" | "actor"
    name: str
    gender: str


async def find_performer(session: Session, performer_id: str, form: str) -> Chosen:
    """The presenter or ACTOR entity with this id, looked up across all pages, or a one-line refusal."""
    catalog = getattr(session, "catalog", None)
    if catalog is not None and hasattr(catalog, "find"):
        found = await catalog.find(performer_id)
        if found is not None and getattr(found, "form", form) == form:
            return Chosen(found.performer_id, found.form, found.name, found.gender or "")
    elif form == "actor":
        for entity in await session.client.list_entities(entity_type="ACTOR"):
            if entity.entity_id == performer_id:
                return Chosen(entity.entity_id, "actor", entity.name, "")
    else:
        for presenter in await session.client.list_presenters():
            if presenter.avatar_presenter_id == performer_id:
                return Chosen(performer_id, "presenter", performer_id, presenter.displayable_gender)
    listing = "actors" if form == "actor" else "presenters"
    raise CliError(
        error_line(f"unknown {form} {performer_id!r} on this service", f"see `{PROG} {listing}`"), EXIT_USAGE
    )


async def choose_voice(session: Session, performer: Chosen, voice_id: str | None) -> tuple[TtsVoice, bool]:
    """(voice, picked_for_you). A given id must exist and accept direct text-to-speech."""
    voices = await session.client.list_voices(include_deprecated=True)
    if voice_id is not None:
        voice = next((v for v in voices if v.voice_id == voice_id), None)
        if voice is None or not voice.supports_direct_tool_execution:
            problem = "unknown voice" if voice is None else "this voice cannot be used for text-to-speech:"
            raise CliError(error_line(f"{problem} {voice_id!r}", f"see `{PROG} voices`"), EXIT_USAGE)
        return voice, False
    picked = _default_voice(session, performer, voices)
    if picked is None:
        raise CliError(
            error_line("this service offers no voice for text-to-speech", f"see `{PROG} voices`"), EXIT_USAGE
        )
    return picked, True


def _default_voice(session: Session, performer: Chosen, voices: list[TtsVoice]) -> TtsVoice | None:
    catalog = getattr(session, "catalog", None)
    if catalog is not None and hasattr(catalog, "default_voice_for"):
        found = catalog.find_cached(performer.performer_id) if hasattr(catalog, "find_cached") else None
        picked = catalog.default_voice_for(found or performer, voices)
        if picked is not None:
            return picked
    usable = [v for v in voices if v.supports_direct_tool_execution and not v.is_deprecated]
    gender = performer.gender.lower()
    fitting = [v for v in usable if gender and v.display_gender.lower() == gender]
    pool = fitting or usable

    # Deterministic: the same performer gets the same voice on every run (the rerun must match).
    def rank(v: TtsVoice) -> tuple[bool, str, str]:
        return (not v.language_code.startswith("en"), v.display_name, v.voice_id)

    return min(pool, key=rank, default=None)


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
