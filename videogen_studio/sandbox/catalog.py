"""What the sandbox offers: its presenters (with lazily generated assets) and voices, and the text
preparation (pronunciation replacements, number and symbol expansion) that speech synthesis applies."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from videogen_studio.fileio import atomic_write
from videogen_studio.sandbox import media
from videogen_studio.sandbox.render_memo import MEMO

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)


# -- presenters -------------------------------------------------------------------------------------

_GENDER_CYCLE = ("FEMALE", "MALE", "FEMALE", "MALE", "NEUTRAL")
PRESENTER_ASSETS = ("image.png", "thumb.png", "preview.mp4")
THUMB_SIZE = 160  # what the gallery shows
PORTRAIT_SIZE = 512  # media.render_portrait's default


@dataclass(frozen=True)
class Presenter:
    presenter_id: str
    gender: str
    seed: int


def build_presenters(count: int) -> list[Presenter]:
    """Stable ids and looks: presenter i is the same in every sandbox, so cached assets stay valid."""
    presenters = []
    for index in range(count):
        digest = hashlib.sha256(f"sandbox-presenter-{index}".encode()).hexdigest()
        presenters.append(Presenter(f"vg_pres_{digest[:12]}", _GENDER_CYCLE[index % 5], index))
    return presenters


# One lock per asset file for the whole process: servers sharing an assets_dir never render a file twice.
_asset_locks: dict[Path, threading.Lock] = {}
_asset_locks_guard = threading.Lock()


def _asset_lock(path: Path) -> threading.Lock:
    with _asset_locks_guard:
        return _asset_locks.setdefault(path, threading.Lock())


@contextmanager
def _other_processes_wait(lock_file: Path) -> Iterator[None]:
    """Hold an advisory lock on `lock_file`: processes sharing an assets_dir (the app and the command line,
    parallel test workers) render each file once. Without fcntl (Windows) only threads wait. The lock goes
    with the process, even a killed one."""
    if fcntl is None:
        yield
        return
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_file, os.O_CREAT | os.O_RDWR, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


class PresenterAssets:
    """Portrait, thumbnail and preview clip per presenter, rendered on first request and cached on disk."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def location(self, presenter: Presenter, name: str) -> Path:
        """Where an asset lives (or will live); nothing is rendered."""
        if name not in PRESENTER_ASSETS:
            raise KeyError(name)
        return (self.root / "presenters" / presenter.presenter_id / name).resolve()

    def path(self, presenter: Presenter, name: str) -> Path:
        """An asset's path, rendered first if it does not exist yet."""
        target = self.location(presenter, name)
        if target.exists():
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        lock_file = self.root / ".locks" / f"{presenter.presenter_id}-{name}.lock"
        with _asset_lock(target), _other_processes_wait(lock_file):
            if target.exists():  # another thread, server or process rendered it while we waited
                return target
            # Presenter i looks the same in every sandbox: another assets folder of this process may have it.
            key = ("presenter-asset", presenter, name)
            if MEMO.recall(key, [target])[0]:
                return target
            if name == "image.png":
                atomic_write(target, media.render_portrait(presenter.seed, presenter.gender))
            elif name == "thumb.png":
                # Drawn at thumbnail size: ~20 ms instead of ~180 ms for a 512 px portrait scaled down.
                atomic_write(target, media.render_portrait(presenter.seed, presenter.gender, THUMB_SIZE))
            else:
                portrait = self.path(presenter, "image.png").read_bytes()
                with media.files.render_target(target) as tmp:
                    media.render_preview_clip(portrait, tmp)
            MEMO.remember(key, [target])
        return target


# -- voices -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Voice:
    voice_id: str
    language_code: str
    display_name: str
    gender: str
    accent: str | None
    description: str
    espeak: str  # espeak-ng voice used by media.synthesize_speech
    pitch: int
    direct: bool = True  # supportsDirectToolExecution
    all_languages: bool = False
    deprecated: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "voiceId": self.voice_id,
            "languageCode": self.language_code,
            "displayName": self.display_name,
            "displayGender": self.gender,
            "accent": self.accent,
            "description": self.description,
            "supportsDirectToolExecution": self.direct,
            "supportsAllLanguages": self.all_languages,
            "isDeprecated": self.deprecated,
        }


def _voice_id(name: str) -> str:
    return "vg_voic_" + hashlib.sha256(f"sandbox-voice-{name}".encode()).hexdigest()[:11]


# The first voice is the default when a TTS request omits voiceId.
VOICES: tuple[Voice, ...] = (
    Voice(_voice_id("maya"), "en-US", "Maya", "FEMALE", "american", "Warm, friendly narrator.", "en-us", 62),
    Voice(_voice_id("jack"), "en-US", "Jack", "MALE", "american", "Confident presenter voice.", "en-us", 40),
    Voice(_voice_id("riley"), "en-US", "Riley", "NEUTRAL", "american", "Calm, even explainer.", "en-us", 52),
    Voice(_voice_id("olivia"), "en-GB", "Olivia", "FEMALE", "british", "Crisp newsreader.", "en-gb", 60),
    Voice(
        _voice_id("arthur"), "en-GB", "Arthur", "MALE", "british", "Classic documentary narrator.",
        "en-gb-x-rp", 38, deprecated=True,
    ),
    Voice(_voice_id("lucia"), "es-ES", "Lucía", "FEMALE", "castilian", "Bright and upbeat.", "es", 60),
    Voice(_voice_id("mateo"), "es-MX", "Mateo", "MALE", "mexican", "Relaxed storyteller.", "es-419", 44),
    Voice(_voice_id("lena"), "de-DE", "Lena", "FEMALE", "standard", "Clear product explainer.", "de", 58),
    Voice(
        _voice_id("felix"), "de-DE", "Felix", "MALE", "standard", "Deep voice for workflows only.",
        "de", 35, direct=False,
    ),
    Voice(_voice_id("camille"), "fr-FR", "Camille", "FEMALE", "parisian", "Elegant and warm.", "fr-fr", 62),
    Voice(
        _voice_id("louis"), "fr-FR", "Louis", "MALE", "parisian", "Legacy French narrator.",
        "fr-fr", 42, deprecated=True,
    ),
    Voice(_voice_id("giulia"), "it-IT", "Giulia", "FEMALE", "standard", "Lively and expressive.", "it", 60),
    Voice(_voice_id("beatriz"), "pt-BR", "Beatriz", "FEMALE", "brazilian", "Friendly tutor.", "pt-br", 58),
    Voice(_voice_id("kenji"), "ja-JP", "Kenji", "MALE", "standard", "Polite, measured voice.", "ja", 45),
    Voice(_voice_id("ananya"), "hi-IN", "Ananya", "FEMALE", "indian", "Soft-spoken guide.", "hi", 60),
    Voice(
        _voice_id("nova"), "en-US", "Nova", "NEUTRAL", "american", "Multilingual voice; speaks any language.",
        "en-us", 50, all_languages=True,
    ),
    Voice(
        _voice_id("matilda"), "en-US", "Matilda", "FEMALE", "american",
        "Multilingual premium voice (workflows only).", "en-us", 64, direct=False, all_languages=True,
    ),
    Voice(
        _voice_id("sam"), "en-US", "Sam", "MALE", "american", "Legacy voice kept for old projects.",
        "en-us", 48, deprecated=True,
    ),
)  # fmt: skip

# Generated voices beyond the hand-made ones: (languageCode, espeak voice, accent) cycled, names from a list.
_EXTRA_LANGUAGES = (
    ("en-US", "en-us", "american"), ("en-GB", "en-gb", "british"), ("en-AU", "en-us", "australian"),
    ("es-ES", "es", "castilian"), ("es-MX", "es-419", "mexican"), ("de-DE", "de", "standard"),
    ("fr-FR", "fr-fr", "parisian"), ("it-IT", "it", "standard"), ("pt-BR", "pt-br", "brazilian"),
    ("nl-NL", "nl", "standard"), ("pl-PL", "pl", "standard"), ("ja-JP", "ja", "standard"),
)  # fmt: skip
_FEMALE_NAMES = (
    "Ava", "Mia", "Zoe", "Nora", "Ivy", "Leah", "Emma", "Sofia", "Hana", "Ines", "Clara", "Elena", "Freya",
    "Greta", "Ilse", "Julia", "Kira", "Lara", "Mila", "Nina", "Olga", "Pia", "Rosa", "Sara", "Tara", "Uma",
)  # fmt: skip
_MALE_NAMES = (
    "Leo", "Max", "Noah", "Omar", "Paul", "Ravi", "Sami", "Theo", "Hugo", "Ivan", "Jonas", "Karl", "Luca",
    "Marco", "Nils", "Oscar", "Pedro", "Quinn", "Rafael", "Stefan", "Tomas", "Victor", "Yusuf", "Aaron",
)  # fmt: skip
_NEUTRAL_NAMES = ("Alex", "Robin", "Sasha", "Kai", "Jesse", "Noel", "Ariel", "Rowan", "Sky", "Quinn")
_VOICE_STYLES = (
    "Friendly narrator.",
    "Calm explainer.",
    "Energetic host.",
    "Warm storyteller.",
    "Clear tutor.",
)


def _pick_name(gender: str, index: int) -> str:
    names = {"FEMALE": _FEMALE_NAMES, "MALE": _MALE_NAMES}.get(gender, _NEUTRAL_NAMES)
    name = names[index % len(names)]
    return name if index < len(names) else f"{name} {index // len(names) + 1}"


def build_voices(count: int) -> tuple[Voice, ...]:
    """The hand-made voices, then generated ones up to `count` (stable: voice i is the same everywhere)."""
    voices = list(VOICES[:count])
    for index in range(len(VOICES), count):
        gender = _GENDER_CYCLE[index % 5]
        language, espeak, accent = _EXTRA_LANGUAGES[index % len(_EXTRA_LANGUAGES)]
        name = _pick_name(gender, index)
        pitch = {"FEMALE": 60, "MALE": 40}.get(gender, 50) + index % 5 - 2
        style = _VOICE_STYLES[index % len(_VOICE_STYLES)]
        voices.append(Voice(_voice_id(f"gen-{index}"), language, name, gender, accent, style, espeak, pitch))
    return tuple(voices)


# -- ACTOR entities (generation B's spec and C's SDK) ------------------------------------------------

ENTITY_PREFIX = "vg_enti_"
REFERENCE_PREFIX = "vg_file_ref"  # a vg_file_ id: reference images are files like any other


@dataclass(frozen=True)
class Actor:
    """An ACTOR entity: a presenter's look with a name, a description and (usually) a voice.

    Every seventh actor has no avatar presenter (`hasAvatarPresenter: false`): generate-avatar refuses it, so
    the app's preflight has something to find.
    """

    entity_id: str
    name: str
    description: str
    presenter: Presenter
    voice: Voice | None
    has_avatar: bool
    reference_file_id: str
    created_at: str  # ISO 8601

    def to_json(self) -> dict[str, Any]:
        return {
            "entityId": self.entity_id,
            "entityType": "ACTOR",
            "name": self.name,
            "description": self.description,
            "actorConfig": {
                "voiceDisplayName": self.voice.display_name if self.voice is not None else None,
                "hasVoice": self.voice is not None,
                "hasAvatarPresenter": self.has_avatar,
            },
            "references": [{"fileId": self.reference_file_id, "description": "Portrait", "isDefault": True}],
            "createdAt": self.created_at,
            "updatedAt": self.created_at,
        }


_ROLES = ("Presenter", "Host", "Trainer", "Narrator", "Spokesperson", "Guide")


def build_actors(presenters: list[Presenter], voices: tuple[Voice, ...]) -> list[Actor]:
    """One ACTOR per presenter, newest first (the spec lists entities most recently updated first)."""
    actors = []
    for presenter in presenters:
        index = presenter.seed
        digest = hashlib.sha256(f"sandbox-actor-{index}".encode()).hexdigest()
        matching = [v for v in voices if v.gender == presenter.gender and v.direct and not v.deprecated]
        voice = matching[index % len(matching)] if matching and index % 11 != 10 else None
        day = 1 + (len(presenters) - index) % 28
        actors.append(
            Actor(
                entity_id=ENTITY_PREFIX + digest[:12],
                name=_pick_name(presenter.gender, index),
                description=f"{_ROLES[index % len(_ROLES)]}, {presenter.gender.lower()} look.",
                presenter=presenter,
                voice=voice,
                has_avatar=index % 7 != 6,
                reference_file_id=REFERENCE_PREFIX + digest[12:22],
                created_at=f"2026-09-{day:02d}T{index % 24:02d}:00:00Z",
            )
        )
    return sorted(actors, key=lambda a: (a.created_at, a.entity_id), reverse=True)


def presenters_for_voice(presenters: list[Presenter], voice: Voice) -> list[Presenter]:
    """Best match for a voice first: same gender, then neutral, then the rest; catalogue order within."""
    rank = {voice.gender: 0, "NEUTRAL": 1}
    return sorted(presenters, key=lambda p: (rank.get(p.gender, 2), p.seed))


# ISO-639-1 hint -> espeak-ng voice name (where they differ or espeak needs a regional variant).
ESPEAK_FOR_LANGUAGE = {
    "en": "en-us", "es": "es", "de": "de", "fr": "fr-fr", "it": "it", "pt": "pt-br", "ja": "ja",
    "hi": "hi", "zh": "cmn", "nl": "nl", "pl": "pl", "ko": "ko",
}  # fmt: skip


# -- text preparation for speech ----------------------------------------------------------------------

_ONES = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
    "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
)  # fmt: skip
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_SCALES = ((10**12, "trillion"), (10**9, "billion"), (10**6, "million"), (10**3, "thousand"))
_SYMBOLS = {"&": " and ", "%": " percent", "+": " plus ", "@": " at "}


def number_words(n: int) -> str:
    if n >= 10**15:  # too large to read as a number: read the digits
        return " ".join(_ONES[int(d)] for d in str(n))
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + (f"-{_ONES[ones]}" if ones else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return f"{_ONES[hundreds]} hundred" + (f" {number_words(rest)}" if rest else "")
    for value, name in _SCALES:
        if n >= value:
            head, rest = divmod(n, value)
            return f"{number_words(head)} {name}" + (f" {number_words(rest)}" if rest else "")
    raise AssertionError("unreachable")


def _spell_number(match: re.Match[str]) -> str:
    whole, _, fraction = match.group(0).replace(",", "").partition(".")
    words = number_words(int(whole))
    if fraction:
        words += " point " + " ".join(_ONES[int(d)] for d in fraction)
    return f" {words} "


def expand_for_speech(text: str) -> str:
    """autoExpandPronunciationReplacements: numbers and symbols to words, short acronyms letter by letter."""
    text = re.sub(r"\d+(?:,\d{3})*(?:\.\d+)?", _spell_number, text)
    for symbol, words in _SYMBOLS.items():
        text = text.replace(symbol, words)
    text = re.sub(r"\b[A-Z]{2,5}\b", lambda m: " ".join(m.group(0)), text)
    return re.sub(r"[ \t]{2,}", " ", text).strip()


def prepare_speech_text(text: str, replacements: list[tuple[str, str]], auto_expand: bool) -> str:
    # sandbox choice: replacements are literal, case-sensitive, applied in order, before auto-expansion.
    for original, replacement in replacements:
        text = text.replace(original, replacement)
    return expand_for_speech(text) if auto_expand else text
