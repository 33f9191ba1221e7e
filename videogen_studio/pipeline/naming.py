"""Names the user sees: performer first names and the file names of finished clips, alike in GUI and CLI.

The presenter list gives presenters no names, so each gets a friendly, stable one: a first name chosen by
gender from a hash of the id, moved to the next free name of its pool so two cards side by side do not both
say "Rosa" (while the pools last), plus a short tag taken from the id so two "Maya"s can still be told apart.
ACTOR entities have names of their own; the catalog uses those.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # a type only: the gallery imports naming before the cards paint (issue 11)
    from .jobs import RenderSpec


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# 64 names per pool: the demo catalog (120 performers) and typical real ones get a different first name for
# every card; beyond that names repeat and the short tag tells them apart.
FIRST_NAMES: dict[str, tuple[str, ...]] = {
    "FEMALE": _words(
        """Amara Beatriz Chloe Daria Elena Farah Grace Hana Ines Julia Keiko Leila Maya Nadia Olivia Priya
        Rosa Sofia Tara Uma Vera Yara Zoe Adele Bianca Carmen Dana Esther Freya Gemma Helena Ingrid Jade
        Kira Lena Mila Nora Paula Rhea Selma Thea Vivian Wanda Ximena Yasmin Zara Alma Bella Cora Dina Eva
        Flora Greta Hilde Iris Jana Kaya Lucia Mei Nina Opal Pia Rina Sara"""
    ),
    "MALE": _words(
        """Adrian Bruno Caleb Daniel Emil Felix Gabriel Hugo Ivan Jonas Kenji Leo Marco Nikhil Omar Pablo
        Rafael Samuel Tomas Victor Wei Yusuf Anton Boris Carlos Dario Elias Fabian Goran Henrik Idris Jakob
        Karim Lucas Mateo Noah Oskar Pedro Quentin Ruben Stefan Theo Ugo Valentin Walter Xavier Yann Zane
        Aaron Benji Cyrus Dmitri Erik Finn Gustav Hiro Isaac Joel Kofi Lars Milan Nils Olaf Paolo"""
    ),
    "NEUTRAL": _words(
        """Alex Avery Blake Casey Drew Eden Finley Jordan Kai Morgan Noa Quinn Reese Riley Robin Rowan Sage
        Sky Taylor Ari Bailey Cameron Dakota Elliot Frankie Harper Indigo Jamie Kendall Lane Marlowe Nico
        Oakley Parker Remy Sasha Tatum Wren Ash Brook Charlie Darcy Emery Fern Gray Hayden Jules Kit Lou
        Mika Nova Ocean Pax Rain Shay Tony Val Winter Yael Zion Arden Billie Cody Ellis"""
    ),
}


# ------------------------------------------------------------------------------------ performer names
def short_tag(performer_id: str) -> str:
    """The last four letters/digits of the id, upper-cased: stable and visible in the id itself."""
    tail = re.sub(r"[^0-9A-Za-z]", "", performer_id)[-4:]
    return tail.upper() or "?"


def name_pool(gender: str) -> tuple[str, ...]:
    """The first names for a gender; unknown genders use the neutral list."""
    return FIRST_NAMES.get((gender or "").upper(), FIRST_NAMES["NEUTRAL"])


def _slot(performer_id: str) -> int:
    digest = hashlib.sha256(performer_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big")


def friendly_name(performer_id: str, gender: str) -> str:
    """A first name picked deterministically from the id (what the performer is called when alone)."""
    names = name_pool(gender)
    return names[_slot(performer_id) % len(names)]


def display_label(name: str, performer_id: str) -> str:
    """ "Maya · 3F2A": the name plus the id's short tag, as on gallery cards."""
    return f"{name} · {short_tag(performer_id)}"


class PerformerNamer:
    """Hands out first names unique within one list while the name pools last.

    Each performer starts at its `friendly_name` and moves to the next free name of its pool. Once a pool is
    used up, names repeat and the short tag tells them apart. A performer keeps its name once given, so a
    paginated catalog can name page by page without renaming cards already painted.
    """

    def __init__(self) -> None:
        self._taken: set[str] = set()
        self._given: dict[str, str] = {}

    def name(self, performer_id: str, gender: str) -> str:
        given = self._given.get(performer_id)
        if given is not None:
            return given
        pool = name_pool(gender)
        start = _slot(performer_id) % len(pool)
        rotated = pool[start:] + pool[:start]  # begins with friendly_name(performer_id, gender)
        chosen = next((n for n in rotated if n not in self._taken), rotated[0])
        self._taken.add(chosen)
        self._given[performer_id] = chosen
        return chosen

    def name_all(self, items: Iterable[tuple[str, str]]) -> dict[str, str]:
        """Names for a batch of (id, gender); the batch is visited in id order so its listing order does
        not matter (one batch = the whole list gives exactly `assign_names`)."""
        return {pid: self.name(pid, gender) for pid, gender in sorted(items)}


def assign_names(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Names for a whole list of (performer id, gender), unique while the name pools last."""
    return PerformerNamer().name_all(items)


# ---------------------------------------------------------------------------------- output file names
_ILLEGAL = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
_SPACES = re.compile(r"\s+")
MAX_NAME = 120  # characters; keeps "<folder>/<name>.mp4.part" well under Windows' 260-character paths
FIRST_WORDS = 6


def clean_name(text: str, limit: int) -> str:
    """`text` made safe as part of a file name on Windows, macOS and Linux, cut at a word near `limit`."""
    text = unicodedata.normalize("NFC", text)  # macOS stores NFD; compare and display the same everywhere
    text = _SPACES.sub(" ", _ILLEGAL.sub(" ", text)).strip()
    if len(text) > limit:
        text = text[:limit].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
    # Windows drops trailing dots and spaces; a leading dot hides the file on Unix; a cut-off clause
    # ending in a comma reads badly before " - <id>".
    return text.rstrip(" .,;-").lstrip(" .")


def output_file_name(spec: RenderSpec, job_id: str, index: int = 0, *, words: int = FIRST_WORDS) -> str:
    """'<presenter> - <first words of the script> - <job id[:6]>.mp4', safe on Windows, macOS and Linux.

    `index` > 0 names the further results of one render (numResults > 1): '… - <id> - v2.mp4'. The
    presenter part is `spec.presenter_name` (the name the user saw), else the id: callers that know the
    catalog fill `presenter_name` first (`Catalog.find`), so GUI and CLI name files alike.
    """
    presenter = clean_name(spec.presenter_name or spec.presenter_id, 40) or "Presenter"
    script = clean_name(" ".join(spec.script.split()[:words]), 60)
    tag = job_id[:6] + (f" - v{index + 1}" if index > 0 else "")
    parts = [presenter, script, tag] if script else [presenter, tag]
    stem = " - ".join(parts)
    if len(stem) > MAX_NAME:  # keep the id (and variation) visible: cut the words, not the tail
        room = MAX_NAME - len(tag) - 3
        stem = f"{stem[: len(stem) - len(tag) - 3][:room].rstrip(' .,;-')} - {tag}"
    return stem.rstrip(" .") + ".mp4"
