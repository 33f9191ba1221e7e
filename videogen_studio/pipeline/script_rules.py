"""What a script and a voice speed must look like before anything is sent: one set of rules for GUI and CLI.

Problems carry a stable `kind` and a neutral `message`; each surface (the editor's counter, the CLI's error
line) may word them its own way from the kind and the numbers.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import StrEnum

#: Longest script accepted for a render (characters, after surrounding whitespace is removed).
MAX_SCRIPT_CHARS = 5000
#: The speech-rate multipliers offered and accepted (the editor's spin box uses the same bounds).
MIN_SPEED = 0.5
MAX_SPEED = 2.0
DEFAULT_SPEED = 1.0
#: Rough speaking rate at speed 1.0, used only for the duration estimate shown to the user.
CHARS_PER_SECOND = 14.0
#: A voice preview speaks about this many characters of the script.
PREVIEW_CHARS = 300

# Control characters other than tab and line breaks: invisible, and refused or mangled by speech engines.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class ScriptProblemKind(StrEnum):
    EMPTY = "script_empty"
    TOO_LONG = "script_too_long"
    INVALID_CHARACTERS = "script_invalid_characters"


class SpeedProblemKind(StrEnum):
    NOT_A_NUMBER = "speed_not_a_number"
    OUT_OF_RANGE = "speed_out_of_range"


@dataclass(frozen=True, slots=True)
class ScriptProblem:
    kind: ScriptProblemKind
    message: str
    length: int = 0  # characters as they would be sent
    limit: int = MAX_SCRIPT_CHARS

    @property
    def excess(self) -> int:
        """Characters to remove (0 unless the script is too long)."""
        return max(0, self.length - self.limit)


@dataclass(frozen=True, slots=True)
class SpeedProblem:
    kind: SpeedProblemKind
    message: str
    value: float
    low: float = MIN_SPEED
    high: float = MAX_SPEED


def clean_script(text: str) -> str:
    """The script as it will be sent: surrounding whitespace removed."""
    return text.strip()


def validate_script(text: str, *, limit: int = MAX_SCRIPT_CHARS) -> ScriptProblem | None:
    """Why this script cannot be rendered, or None. Judges the text as sent (see `clean_script`)."""
    script = clean_script(text)
    if not script:
        return ScriptProblem(ScriptProblemKind.EMPTY, "The script is empty.", 0, limit)
    if len(script) > limit:
        return ScriptProblem(
            ScriptProblemKind.TOO_LONG,
            f"The script is {len(script):,} characters long; the limit is {limit:,}.",
            len(script),
            limit,
        )
    if _CONTROL.search(script) or _has_lone_surrogate(script):
        return ScriptProblem(
            ScriptProblemKind.INVALID_CHARACTERS,
            "The script contains control characters or broken text that cannot be spoken.",
            len(script),
            limit,
        )
    return None


def validate_speed(value: float | None) -> SpeedProblem | None:
    """Why this speech rate cannot be sent, or None. None means "the voice's natural pace" and is fine."""
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return SpeedProblem(SpeedProblemKind.NOT_A_NUMBER, "The voice speed is not a number.", math.nan)
    if not math.isfinite(number):
        return SpeedProblem(SpeedProblemKind.NOT_A_NUMBER, "The voice speed is not a finite number.", number)
    if not MIN_SPEED <= number <= MAX_SPEED:
        return SpeedProblem(
            SpeedProblemKind.OUT_OF_RANGE,
            f"The voice speed {number:g} is outside {MIN_SPEED:g}–{MAX_SPEED:g}.",
            number,
        )
    return None


def count_words(text: str) -> int:
    return len(text.split())


def estimate_seconds(text: str, speed: float | None = None) -> float:
    """Rough spoken duration of `text` at `speed` (1.0 when None or unusable)."""
    rate = speed if speed is not None and math.isfinite(speed) and speed > 0 else DEFAULT_SPEED
    return len(clean_script(text)) / (CHARS_PER_SECOND * max(rate, 0.01))


def preview_excerpt(text: str, limit: int = PREVIEW_CHARS) -> str:
    """The start of the script, cut at a sentence (or else word) boundary near `limit` characters."""
    text = clean_script(text)
    if len(text) <= limit:
        return text
    head = text[:limit]
    # Prefer ending on a full sentence when one ends in the last third of the window.
    ends = [m.end() for m in re.finditer(r"[.!?…](\s|$)", head)]
    if ends and ends[-1] >= limit * 2 // 3:
        return head[: ends[-1]].strip()
    space = head.rfind(" ")
    return (head[:space] if space > limit // 2 else head).strip()


def _has_lone_surrogate(text: str) -> bool:
    # Text pasted from broken sources can hold half of a UTF-16 pair, which cannot be sent as JSON UTF-8.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
