"""The script and speed rules shared by the editor, the CLI and preflight."""

from __future__ import annotations

import math

import pytest

from videogen_studio.pipeline import script_rules as rules
from videogen_studio.pipeline.script_rules import ScriptProblemKind, SpeedProblemKind


def test_limit_is_5000_characters_as_sent() -> None:
    assert rules.MAX_SCRIPT_CHARS == 5000
    assert rules.validate_script("a" * 5000) is None
    # Surrounding whitespace is not sent, so it does not count.
    assert rules.validate_script("  \n" + "a" * 5000 + "\n\n") is None
    problem = rules.validate_script("a" * 5001)
    assert problem is not None and problem.kind is ScriptProblemKind.TOO_LONG
    assert (problem.length, problem.limit, problem.excess) == (5001, 5000, 1)
    assert "5,001" in problem.message


@pytest.mark.parametrize("text", ["", "   ", "\n\t\n"])
def test_empty_scripts_are_refused(text: str) -> None:
    problem = rules.validate_script(text)
    assert problem is not None and problem.kind is ScriptProblemKind.EMPTY


@pytest.mark.parametrize("text", ["Hello\x00world", "bell\x07", "half \ud800 pair"])
def test_unspeakable_characters_are_refused(text: str) -> None:
    problem = rules.validate_script(text)
    assert problem is not None and problem.kind is ScriptProblemKind.INVALID_CHARACTERS


def test_tabs_line_breaks_and_any_script_are_fine() -> None:
    assert rules.validate_script("Line one.\r\n\tLine two — ¿qué tal? 你好 👋") is None


def test_custom_limit() -> None:
    problem = rules.validate_script("abcdef", limit=5)
    assert problem is not None and problem.excess == 1


@pytest.mark.parametrize("value", [None, 0.5, 1.0, 1.37, 2.0])
def test_speeds_in_range(value: float | None) -> None:
    assert rules.validate_speed(value) is None


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        (math.nan, SpeedProblemKind.NOT_A_NUMBER),
        (math.inf, SpeedProblemKind.NOT_A_NUMBER),
        (-math.inf, SpeedProblemKind.NOT_A_NUMBER),
        (0.49, SpeedProblemKind.OUT_OF_RANGE),
        (2.01, SpeedProblemKind.OUT_OF_RANGE),
        (0.0, SpeedProblemKind.OUT_OF_RANGE),
        (-1.0, SpeedProblemKind.OUT_OF_RANGE),
    ],
)
def test_bad_speeds(value: float, kind: SpeedProblemKind) -> None:
    problem = rules.validate_speed(value)
    assert problem is not None and problem.kind is kind


def test_counts_and_estimate() -> None:
    assert rules.count_words("  one two\nthree  ") == 3
    assert rules.estimate_seconds("a" * 140, 1.0) == pytest.approx(10.0)
    assert rules.estimate_seconds("a" * 140, 2.0) == pytest.approx(5.0)
    # An unusable speed falls back to the natural pace instead of dividing by zero or nan.
    assert rules.estimate_seconds("a" * 140, math.nan) == pytest.approx(10.0)
    assert rules.estimate_seconds("a" * 140, 0.0) == pytest.approx(10.0)


def test_preview_excerpt_cuts_at_a_sentence_or_word() -> None:
    short = "Short script."
    assert rules.preview_excerpt(short) == short
    sentences = ("This is a sentence that goes on. " * 20).strip()
    excerpt = rules.preview_excerpt(sentences)
    assert len(excerpt) <= rules.PREVIEW_CHARS and excerpt.endswith(".")
    words = "word " * 200
    excerpt = rules.preview_excerpt(words)
    assert len(excerpt) <= rules.PREVIEW_CHARS and excerpt.endswith("word")
