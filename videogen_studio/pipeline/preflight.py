"""Everything that can be checked before the first paid step, checked: nothing is paid for a doomed render.

Local checks first (output folder, script, speed, options, the user's own audio file), then the service's
side (the performer exists on this service in the form it renders, the voice exists and accepts direct
text-to-speech, watermark NONE not already refused for this account). Each problem has a stable `kind` and a
neutral `message`; the GUI and the CLI word them their own way from the kind.

Errors talking to the service (network, a refused key) are not problems of the render: they propagate as
`VideoGenError`, and the caller shows them as it shows any connection error.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from ..api.capabilities import Capabilities
from ..api.client import VideoGenClient
from ..api.models import AvatarQuality, WatermarkMode
from .account_features import AccountFeatures
from .catalog import Catalog
from .jobs import RenderSpec
from .requests import ACTOR_FORM, AVATAR_FORMS, PRESENTER_FORM
from .script_rules import validate_script, validate_speed

#: numResults bounds of the spec.
MAX_RESULTS = 100
#: Audio the avatar step accepts as the user's own voice.
AUDIO_TYPES = ("WAV", "MP3", "M4A")


class ProblemKind(StrEnum):
    OUTPUT_IS_FILE = "output_is_file"
    OUTPUT_NOT_WRITABLE = "output_not_writable"
    SCRIPT_EMPTY = "script_empty"
    SCRIPT_TOO_LONG = "script_too_long"
    SCRIPT_INVALID_CHARACTERS = "script_invalid_characters"
    SPEED_NOT_A_NUMBER = "speed_not_a_number"
    SPEED_OUT_OF_RANGE = "speed_out_of_range"
    WATERMARK_UNKNOWN = "watermark_unknown"
    WATERMARK_NOT_ALLOWED = "watermark_not_allowed"
    QUALITY_UNKNOWN = "quality_unknown"
    RESULTS_OUT_OF_RANGE = "results_out_of_range"
    PERFORMER_MISSING = "performer_missing"
    PERFORMER_UNKNOWN = "performer_unknown"
    PERFORMER_NOT_RENDERABLE = "performer_not_renderable"
    FORM_UNKNOWN = "form_unknown"
    FORM_UNSUPPORTED = "form_unsupported"
    VOICE_MISSING = "voice_missing"
    VOICE_UNKNOWN = "voice_unknown"
    VOICE_NO_DIRECT_TTS = "voice_no_direct_tts"
    AUDIO_MISSING = "audio_missing"
    AUDIO_UNREADABLE = "audio_unreadable"
    AUDIO_TYPE = "audio_type"


@dataclass(frozen=True, slots=True)
class Problem:
    kind: str  # a ProblemKind value
    message: str  # neutral: what is wrong, not what to click
    field: str  # the RenderSpec field at fault ("output_dir", "script", "voice_id", ...)


async def preflight(
    spec: RenderSpec,
    *,
    client: VideoGenClient | None = None,
    capabilities: Capabilities | None = None,
    catalog: Catalog | None = None,
    features: AccountFeatures | None = None,
    default_output_dir: Path | None = None,
) -> list[Problem]:
    """Every problem found with `spec` (empty when the render can be paid for).

    Without `catalog` (and without `client` + `capabilities` to make one) only local checks run.
    `default_output_dir` is where the queue writes when `spec.output_dir` is empty.
    """
    problems = check_local(spec, features=features, default_output_dir=default_output_dir)
    if catalog is None and client is not None and capabilities is not None:
        catalog = Catalog(client, capabilities, hydrate_thumbnails=False)
    if catalog is not None:
        problems += await check_service(spec, catalog)
    return problems


def check_local(
    spec: RenderSpec, *, features: AccountFeatures | None = None, default_output_dir: Path | None = None
) -> list[Problem]:
    """The checks that need no request: instant, so the editor can run them on every change."""
    problems: list[Problem] = []
    folder = spec.output_dir or (str(default_output_dir) if default_output_dir is not None else "")
    if folder:
        problems += _output_folder(Path(folder))
    if spec.audio_path:
        problems += _own_audio(Path(spec.audio_path))
    else:  # the script is spoken: its rules and the speech options apply
        script = validate_script(spec.script)
        if script is not None:
            problems.append(Problem(str(script.kind), script.message, "script"))
        speed = validate_speed(spec.voice_speed)
        if speed is not None:
            problems.append(Problem(str(speed.kind), speed.message, "voice_speed"))
        if not spec.voice_id:
            problems.append(Problem(ProblemKind.VOICE_MISSING, "No voice was chosen.", "voice_id"))
    problems += _options(spec, features)
    if not spec.presenter_id:
        problems.append(Problem(ProblemKind.PERFORMER_MISSING, "No presenter was chosen.", "presenter_id"))
    if (spec.avatar_form or PRESENTER_FORM) not in AVATAR_FORMS:
        problems.append(
            Problem(ProblemKind.FORM_UNKNOWN, f"Unknown avatar form {spec.avatar_form!r}.", "avatar_form")
        )
    return problems


async def check_service(spec: RenderSpec, catalog: Catalog) -> list[Problem]:
    """The checks that ask the service (every page walked): will the avatar and speech steps be accepted?"""
    problems: list[Problem] = []
    form = spec.avatar_form or PRESENTER_FORM
    if form in AVATAR_FORMS and form != catalog.form:
        offered = "actors" if catalog.form == ACTOR_FORM else "presenters"
        problems.append(
            Problem(
                ProblemKind.FORM_UNSUPPORTED,
                f"This service renders {offered}; the render asks for a {form}.",
                "avatar_form",
            )
        )
    elif spec.presenter_id:
        noun = "actor" if catalog.form == ACTOR_FORM else "presenter"
        performer = await catalog.find(spec.presenter_id)
        if performer is None:
            problems.append(
                Problem(
                    ProblemKind.PERFORMER_UNKNOWN,
                    f"There is no {noun} {spec.presenter_id!r} on this service.",
                    "presenter_id",
                )
            )
        elif not performer.renderable:
            problems.append(
                Problem(
                    ProblemKind.PERFORMER_NOT_RENDERABLE,
                    f"The {noun} {performer.name!r} has no avatar look; the service cannot render it.",
                    "presenter_id",
                )
            )
    if not spec.audio_path and spec.voice_id:
        voice = await catalog.find_voice(spec.voice_id)
        if voice is None:
            problems.append(
                Problem(
                    ProblemKind.VOICE_UNKNOWN,
                    f"There is no voice {spec.voice_id!r} on this service.",
                    "voice_id",
                )
            )
        elif not voice.supports_direct_tool_execution:
            problems.append(
                Problem(
                    ProblemKind.VOICE_NO_DIRECT_TTS,
                    f"The voice {voice.display_name!r} cannot be used for text-to-speech on its own.",
                    "voice_id",
                )
            )
    return problems


# ------------------------------------------------------------------------------------------- details
def _output_folder(folder: Path) -> list[Problem]:
    """The folder exists (or is created now) and a file can be written in it."""
    if folder.exists() and not folder.is_dir():
        return [Problem(ProblemKind.OUTPUT_IS_FILE, f"The output folder {folder} is a file.", "output_dir")]
    try:
        folder.mkdir(parents=True, exist_ok=True)
        # Really write: permission bits lie on network shares, ACLs and read-only mounts.
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".videogen-write-test-")
        os.close(fd)
        os.unlink(probe)
    except NotADirectoryError:
        return [
            Problem(ProblemKind.OUTPUT_IS_FILE, f"The output folder {folder} is inside a file.", "output_dir")
        ]
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        return [
            Problem(
                ProblemKind.OUTPUT_NOT_WRITABLE,
                f"The output folder {folder} cannot be written ({reason}).",
                "output_dir",
            )
        ]
    return []


def _options(spec: RenderSpec, features: AccountFeatures | None) -> list[Problem]:
    problems: list[Problem] = []
    mode = str(spec.watermark_mode or "").upper()
    if mode and mode not in set(WatermarkMode):
        problems.append(
            Problem(
                ProblemKind.WATERMARK_UNKNOWN,
                f"Unknown watermark mode {spec.watermark_mode!r}.",
                "watermark_mode",
            )
        )
    elif features is not None and not features.allows_watermark(mode or None):
        problems.append(
            Problem(
                ProblemKind.WATERMARK_NOT_ALLOWED,
                "Rendering without a watermark was refused for this account (no Production API add-on).",
                "watermark_mode",
            )
        )
    if spec.avatar_quality and str(spec.avatar_quality).upper() not in set(AvatarQuality):
        problems.append(
            Problem(
                ProblemKind.QUALITY_UNKNOWN,
                f"Unknown avatar quality {spec.avatar_quality!r}.",
                "avatar_quality",
            )
        )
    results = spec.num_results
    if not isinstance(results, int) or isinstance(results, bool) or not 1 <= results <= MAX_RESULTS:
        problems.append(
            Problem(
                ProblemKind.RESULTS_OUT_OF_RANGE,
                f"The number of videos must be 1–{MAX_RESULTS}, not {results!r}.",
                "num_results",
            )
        )
    return problems


def _own_audio(path: Path) -> list[Problem]:
    if not path.exists():
        return [Problem(ProblemKind.AUDIO_MISSING, f"The audio file {path} does not exist.", "audio_path")]
    if not path.is_file():
        return [Problem(ProblemKind.AUDIO_UNREADABLE, f"{path} is not a file.", "audio_path")]
    try:
        with path.open("rb") as fh:
            head = fh.read(16)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        return [
            Problem(
                ProblemKind.AUDIO_UNREADABLE,
                f"The audio file {path} cannot be read ({reason}).",
                "audio_path",
            )
        ]
    if audio_type(head) is None:
        allowed = ", ".join(AUDIO_TYPES)
        return [
            Problem(ProblemKind.AUDIO_TYPE, f"The file {path.name} is not {allowed} audio.", "audio_path")
        ]
    return []


def audio_type(head: bytes) -> str | None:
    """ "WAV", "MP3" or "M4A" from a file's first bytes (not its name), else None."""
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "WAV"
    if head[:3] == b"ID3" or (len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "MP3"
    if head[4:8] == b"ftyp":
        return "M4A"
    return None
