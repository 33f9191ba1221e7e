"""Who can present and with which voice: presenters or ACTOR entities, as one list of Performers.

Above this module nobody cares whether the service lists avatar presenters (generations A/B) or ACTOR
entities (generation C): both become `Performer`s, named and with a thumbnail. The catalog walks every page
(`pages()` yields each page as it arrives so the gallery paints the first one at once), remembers the last
complete listing on disk per account (`cached()`: cards at start-up before any request), finds ids across
all pages, and picks voices that fit a performer.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncGenerator, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..api.capabilities import Capabilities
from ..api.errors import VideoGenError
from ..api.models import AvatarPresenter, Entity, StorageFile, TtsVoice
from ..fileio import atomic_write
from .naming import PerformerNamer, display_label
from .requests import ACTOR_FORM, PRESENTER_FORM

if TYPE_CHECKING:  # the client pulls in httpx: a cache-only catalog (start-up's first cards) needs none of it
    from ..api.client import VideoGenClient

log = logging.getLogger(__name__)

CACHE_VERSION = 1
#: Actor thumbnails are hydrated this many at a time (free GETs, but the rate limit is shared).
HYDRATE_CONCURRENCY = 4
GENDERS_WITH_VOICES = ("MALE", "FEMALE")


@dataclass(frozen=True, slots=True)
class Performer:
    """A presenter or an ACTOR entity; `performer_id` is what `RenderSpec.presenter_id` holds."""

    performer_id: str
    form: str  # "presenter" | "actor" (RenderSpec.avatar_form)
    name: str
    gender: str = ""  # MALE | FEMALE | NEUTRAL | "" (actors carry no gender)
    description: str = ""
    image_url: str = ""
    thumbnail_url: str = ""  # presenters: a public URL; actors: a signed URL that expires (re-hydrate)
    preview_video_url: str = ""
    thumbnail_file_id: str = ""  # actors: the default reference image, to hydrate again when expired
    voice_name: str = ""  # actors with a voice of their own: its display name
    #: False for an actor without an avatar presenter: the service refuses to render it.
    renderable: bool = True

    @property
    def label(self) -> str:
        """ "Maya · 3F2A": the name plus the id's short tag, so two of the same name can be told apart."""
        return display_label(self.name, self.performer_id)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> Performer | None:
        if not isinstance(data, dict):
            return None
        texts = {f: data.get(f, "") for f in cls.__dataclass_fields__ if f != "renderable"}
        if not all(isinstance(v, str) for v in texts.values()) or not texts["performer_id"]:
            return None
        renderable = data.get("renderable", True)
        return cls(**texts, renderable=renderable if isinstance(renderable, bool) else True)


@dataclass
class _Listing:
    performers: list[Performer] = field(default_factory=list)
    voices: list[TtsVoice] = field(default_factory=list)
    complete: bool = False
    voices_complete: bool = False


class Catalog:
    """Performers and voices of one connection. One instance per session; cheap to create.

    `cache_file` (per account, in the cache folder) makes `cached()` answer instantly at the next start;
    without it the catalog is memory-only. Without a client (fast start, before connecting) only the
    `cached*` methods answer; the others raise `RuntimeError`.
    """

    def __init__(
        self,
        client: VideoGenClient | None,
        capabilities: Capabilities,
        *,
        cache_file: Path | None = None,
        page_size: int | None = None,
        hydrate_thumbnails: bool = True,
    ) -> None:
        self._client = client
        self.capabilities = capabilities
        self.cache_file = cache_file
        self.page_size = page_size
        self.hydrate_thumbnails = hydrate_thumbnails
        self._live = _Listing()
        self._disk: _Listing | None = None
        self._lock = asyncio.Lock()

    @property
    def client(self) -> VideoGenClient:
        if self._client is None:
            raise RuntimeError("This catalog was opened from the cache only; connect first.")
        return self._client

    @property
    def form(self) -> str:
        """The avatar form this service renders: "presenter" or "actor"."""
        return ACTOR_FORM if self.capabilities.avatar_source == "actors" else PRESENTER_FORM

    # --------------------------------------------------------------------------------------- performers
    async def pages(self, *, thumbnails: bool = True) -> AsyncGenerator[list[Performer], None]:
        """Every performer from the service, one page at a time (named, thumbnails ready), in list order.

        A complete walk replaces what `performers()` and `find()` answer and refreshes the disk cache.
        `thumbnails=False` skips hydrating actor images (id checks need no pictures); such a walk is not
        remembered as the listing.
        """
        hydrate = thumbnails and self.hydrate_thumbnails
        namer = PerformerNamer()
        seen: list[Performer] = []
        source = self._presenter_pages() if self.form == PRESENTER_FORM else self._actor_pages()
        async with contextlib.aclosing(source) as pages:
            async for raw in pages:
                page = await self._performers_of(raw, namer, hydrate=hydrate)
                seen.extend(page)
                yield page
        if hydrate or not self.hydrate_thumbnails or self.form == PRESENTER_FORM:
            self._live.performers = _unique(seen)
            self._live.complete = True
            self._save_cache()

    async def performers(self, *, refresh: bool = False) -> list[Performer]:
        """Every performer (all pages); walked once per connection unless `refresh`."""
        async with self._lock:
            if refresh or not self._live.complete:
                async for _page in self.pages():
                    pass
            return list(self._live.performers)

    def cached(self) -> list[Performer]:
        """The last complete listing, from memory or disk, without a request (empty when none yet).

        Fast start: paint these, then refresh with `pages()` in the background.
        """
        if self._live.complete:
            return list(self._live.performers)
        disk = self._load_cache()
        return list(disk.performers) if disk is not None else []

    def find_cached(self, performer_id: str) -> Performer | None:
        """`find` without a request: this connection's listing, else the disk cache."""
        return next((p for p in self.cached() if p.performer_id == performer_id), None)

    async def find(self, performer_id: str) -> Performer | None:
        """The performer with this id on this service, walking every page (None when it is not there).

        Stops at the page that has it; names are given page by page, so the name equals the full walk's.
        """
        if self._live.complete:
            return next((p for p in self._live.performers if p.performer_id == performer_id), None)
        async with contextlib.aclosing(self.pages(thumbnails=False)) as pages:
            async for page in pages:
                for performer in page:
                    if performer.performer_id == performer_id:
                        return performer
        return None

    async def performers_for_voice(self, voice_id: str) -> list[Performer]:
        """Performers ordered by how well they fit `voice_id`.

        Presenter services sort by best match themselves (`voiceId` on the presenter list); names stay those
        of the plain listing. For actors (no such sort) the ones whose gender fits the voice come first.
        """
        everyone = await self.performers()
        by_id = {p.performer_id: p for p in everyone}
        if self.form == PRESENTER_FORM:
            ordered: list[Performer] = []
            async for page in self.client.iter_presenter_pages(voice_id=voice_id, page_size=self.page_size):
                ordered.extend(
                    by_id[p.avatar_presenter_id] for p in page.items if p.avatar_presenter_id in by_id
                )
            rest = [p for p in everyone if p.performer_id not in {o.performer_id for o in ordered}]
            return _unique(ordered + rest)
        voice = await self.find_voice(voice_id)
        if voice is None:
            return everyone
        return sorted(everyone, key=lambda p: not _gender_fits(p.gender, voice.display_gender))

    # ------------------------------------------------------------------------------------------- voices
    async def voice_pages(self, *, include_deprecated: bool = True) -> AsyncGenerator[list[TtsVoice], None]:
        """Voices page by page; a complete walk with deprecated voices refreshes the cache."""
        seen: list[TtsVoice] = []
        walk = self.client.iter_voice_pages(include_deprecated=include_deprecated, page_size=self.page_size)
        async for page in walk:
            seen.extend(page.items)
            yield list(page.items)
        if include_deprecated:
            self._live.voices = seen
            self._live.voices_complete = True
            self._save_cache()

    async def voices(self, *, refresh: bool = False) -> list[TtsVoice]:
        """Every voice, deprecated ones included (the UI filters); walked once per connection."""
        if refresh or not self._live.voices_complete:
            async for _page in self.voice_pages(include_deprecated=True):
                pass
        return list(self._live.voices)

    def cached_voices(self) -> list[TtsVoice]:
        if self._live.voices_complete:
            return list(self._live.voices)
        disk = self._load_cache()
        return list(disk.voices) if disk is not None else []

    async def find_voice(self, voice_id: str) -> TtsVoice | None:
        """The voice with this id (every page walked, deprecated voices included)."""
        return next((v for v in await self.voices() if v.voice_id == voice_id), None)

    @staticmethod
    def default_voice_for(
        performer: Performer | None,
        voices: Sequence[TtsVoice],
        *,
        language: str | None = None,
        preferred_voice_id: str | None = None,
    ) -> TtsVoice | None:
        """The voice to use when none was picked: deterministic, so a rerun asks for the same render.

        Only voices that accept direct text-to-speech. In order: the user's default voice if it fits the
        performer; the actor's own voice; then by fit — not deprecated, gender fits the performer, speaks
        `language` (or any language), English when no language was asked for — and finally by name and id.
        """
        usable = [v for v in voices if v.supports_direct_tool_execution]
        if not usable:
            return None
        # Any object with `gender` (and optionally `voice_name`) will do, e.g. the CLI's own record.
        gender = str(getattr(performer, "gender", "") or "")
        own_voice = str(getattr(performer, "voice_name", "") or "")
        if preferred_voice_id:
            preferred = next((v for v in usable if v.voice_id == preferred_voice_id), None)
            if preferred is not None and _gender_fits(gender, preferred.display_gender):
                return preferred
        if own_voice:
            own = [v for v in usable if v.display_name.casefold() == own_voice.casefold()]
            if own:
                return min(own, key=lambda v: (v.is_deprecated, v.voice_id))
        wanted = (language or "en").split("-")[0].lower()

        def rank(v: TtsVoice) -> tuple[bool, bool, bool, str, str]:
            speaks = v.language == wanted or v.supports_all_languages
            return (
                v.is_deprecated,
                not _gender_fits(gender, v.display_gender, strict=True),
                not speaks,
                v.display_name.casefold(),
                v.voice_id,
            )

        return min(usable, key=rank)

    # ---------------------------------------------------------------------------------------- internals
    async def _presenter_pages(self) -> AsyncGenerator[Sequence[AvatarPresenter | Entity], None]:
        async for page in self.client.iter_presenter_pages(page_size=self.page_size):
            yield page.items

    async def _actor_pages(self) -> AsyncGenerator[Sequence[AvatarPresenter | Entity], None]:
        async for page in self.client.iter_entity_pages(entity_type="ACTOR", page_size=self.page_size):
            yield page.items

    async def _performers_of(
        self, items: Sequence[AvatarPresenter | Entity], namer: PerformerNamer, *, hydrate: bool
    ) -> list[Performer]:
        presenters = [i for i in items if isinstance(i, AvatarPresenter)]
        names = namer.name_all((p.avatar_presenter_id, p.displayable_gender) for p in presenters)
        actors = [i for i in items if isinstance(i, Entity)]
        thumbs = await self._hydrate(actors) if hydrate else {}
        result: list[Performer] = []
        for item in items:
            if isinstance(item, AvatarPresenter):
                result.append(_from_presenter(item, names[item.avatar_presenter_id]))
            else:
                result.append(_from_actor(item, *thumbs.get(item.entity_id, ("", ""))))
        return result

    async def _hydrate(self, actors: list[Entity]) -> dict[str, tuple[str, str]]:
        """(image url, thumbnail url) of each actor's default reference image; "" where unavailable."""
        gate = asyncio.Semaphore(HYDRATE_CONCURRENCY)

        async def one(actor: Entity) -> tuple[str, tuple[str, str]]:
            file_id = actor.default_reference_file_id
            if not file_id:
                return actor.entity_id, ("", "")
            async with gate:
                try:
                    file = await self.client.get_hydrated_file(file_id)
                except VideoGenError as exc:  # a card without a picture beats no card
                    log.info("no thumbnail for actor %s: %s", actor.entity_id, exc.kind)
                    return actor.entity_id, ("", "")
            return actor.entity_id, _image_urls(file)

        return dict(await asyncio.gather(*(one(a) for a in actors)))

    def _load_cache(self) -> _Listing | None:
        if self._disk is not None or self.cache_file is None:
            return self._disk
        try:
            raw: Any = json.loads(self.cache_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(raw, dict) or raw.get("v") != CACHE_VERSION or raw.get("form") != self.form:
            return None
        performers = [p for p in map(Performer.from_json, raw.get("performers") or []) if p is not None]
        voices: list[TtsVoice] = []
        for item in raw.get("voices") or []:
            with contextlib.suppress(VideoGenError, KeyError, TypeError):
                voices.append(TtsVoice.from_json(item))
        self._disk = _Listing(performers, voices, complete=True, voices_complete=bool(voices))
        return self._disk

    def _save_cache(self) -> None:
        if self.cache_file is None:
            return
        disk = self._load_cache() or _Listing()
        performers = self._live.performers if self._live.complete else disk.performers
        voices = self._live.voices if self._live.voices_complete else disk.voices
        data = {
            "v": CACHE_VERSION,
            "form": self.form,
            "saved_at": time.time(),
            "performers": [p.to_json() for p in performers],
            "voices": [_voice_json(v) for v in voices],
        }
        try:
            self.cache_file.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(self.cache_file, json.dumps(data, ensure_ascii=False))
        except OSError as exc:  # a cache: the next start is slower, nothing else
            log.info("catalog not cached: %s", exc)
        self._disk = _Listing(list(performers), list(voices), True, bool(voices))


def _from_presenter(p: AvatarPresenter, name: str) -> Performer:
    return Performer(
        performer_id=p.avatar_presenter_id,
        form=PRESENTER_FORM,
        name=name,
        gender=p.displayable_gender.upper(),
        image_url=p.image_url,
        thumbnail_url=p.thumbnail_url,
        preview_video_url=p.preview_video_url,
    )


def _from_actor(e: Entity, image_url: str, thumbnail_url: str) -> Performer:
    config = e.actor_config
    return Performer(
        performer_id=e.entity_id,
        form=ACTOR_FORM,
        name=e.name or e.entity_id,
        description=e.description,
        image_url=image_url,
        thumbnail_url=thumbnail_url,
        thumbnail_file_id=e.default_reference_file_id or "",
        voice_name=(config.voice_display_name or "") if config is not None and config.has_voice else "",
        # No actorConfig at all: nothing says it cannot render, so let the service decide.
        renderable=config.has_avatar_presenter if config is not None else True,
    )


def _image_urls(file: StorageFile) -> tuple[str, str]:
    image = file.download_source.url if file.download_source and file.download_source.url else ""
    thumb = file.thumbnail_source.url if file.thumbnail_source and file.thumbnail_source.url else ""
    return image or thumb, thumb or image


def _voice_json(v: TtsVoice) -> dict[str, Any]:
    return {
        "voiceId": v.voice_id,
        "languageCode": v.language_code,
        "displayName": v.display_name,
        "displayGender": v.display_gender,
        "supportsDirectToolExecution": v.supports_direct_tool_execution,
        "supportsAllLanguages": v.supports_all_languages,
        "isDeprecated": v.is_deprecated,
        "accent": v.accent,
        "description": v.description,
    }


def _gender_fits(performer_gender: str, voice_gender: str, *, strict: bool = False) -> bool:
    """A voice fits a MALE or FEMALE performer when it has that gender; anything fits a performer of
    neutral or unknown gender. `strict` (ranking) prefers a NEUTRAL voice for a NEUTRAL performer."""
    wanted = performer_gender.upper()
    if wanted in GENDERS_WITH_VOICES:
        return voice_gender.upper() == wanted
    if strict and wanted == "NEUTRAL":
        return voice_gender.upper() == "NEUTRAL"
    return True


def _unique(performers: Iterable[Performer]) -> list[Performer]:
    """First occurrence of each id (a page boundary that moved while walking can repeat one)."""
    seen: set[str] = set()
    result: list[Performer] = []
    for p in performers:
        if p.performer_id not in seen:
            seen.add(p.performer_id)
            result.append(p)
    return result
