"""The catalog over loopback against every API generation: presenters or actors, all pages, cache, voices."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from videogen_studio.api.capabilities import probe_capabilities
from videogen_studio.api.client import VideoGenClient
from videogen_studio.api.retry import RetryPolicy
from videogen_studio.pipeline.catalog import Catalog, Performer
from videogen_studio.pipeline.naming import FIRST_NAMES
from videogen_studio.sandbox import SandboxConfig, SandboxServer

# The fast sandbox's own count, several pages at PAGE a page. Generation C hydrates a reference image per
# actor (rendered); the sandbox copies the ones this process already drew for these 24 in other tests.
PRESENTERS = 24
PAGE = 8
VOICES = 64


@pytest.fixture(params=["A", "B", "C"])
def generation(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def sandbox_config(generation: str) -> SandboxConfig:
    config = SandboxConfig.fast(api_generation=generation)
    config.presenter_count = PRESENTERS
    config.voice_count = VOICES
    return config


@pytest.fixture
async def client(sandbox: SandboxServer) -> AsyncIterator[VideoGenClient]:
    async with VideoGenClient(sandbox.base_url, sandbox.api_key, retry=RetryPolicy(base_delay_s=0.01)) as c:
        yield c


async def open_catalog(client: VideoGenClient, cache: Path | None = None) -> Catalog:
    return Catalog(client, await probe_capabilities(client), cache_file=cache, page_size=PAGE)


async def test_pages_cover_the_whole_listing(client: VideoGenClient, generation: str, tmp_path: Path) -> None:
    catalog = await open_catalog(client, tmp_path / "catalog.json")
    pages = [page async for page in catalog.pages()]
    everyone = [p for page in pages for p in page]
    assert len(everyone) == len({p.performer_id for p in everyone})
    if generation == "A":
        assert len(pages) == 1  # no pagination: one page holds everything
    else:
        assert catalog.capabilities.paginated
        assert len(pages) >= 3  # PAGE a page
    assert catalog.form == ("actor" if generation == "C" else "presenter")
    assert {p.form for p in everyone} == {catalog.form}
    assert await catalog.performers() == everyone  # the walk is remembered for this connection
    assert len(everyone) >= PRESENTERS - PRESENTERS // 7 if generation == "C" else len(everyone) == PRESENTERS


async def test_presenters_get_pool_names_and_actors_their_own(
    client: VideoGenClient, generation: str
) -> None:
    catalog = await open_catalog(client)
    everyone = await catalog.performers()
    if generation == "C":
        assert all(p.name and not p.name.startswith("vg_") for p in everyone)
        assert all(p.thumbnail_url.startswith("http") and p.thumbnail_file_id for p in everyone)
        assert any(not p.renderable for p in everyone)  # the sandbox's actors without an avatar look
    else:
        pools = {name for names in FIRST_NAMES.values() for name in names}
        assert all(p.name in pools and p.gender in ("MALE", "FEMALE", "NEUTRAL") for p in everyone)
        assert all(p.thumbnail_url and p.image_url for p in everyone)
        # Unique while the pools last: a pool never repeats before it is used up.
        for gender, pool in FIRST_NAMES.items():
            names = [p.name for p in everyone if p.gender == gender]
            assert len(set(names)) == min(len(names), len(pool))


async def test_find_walks_every_page_and_names_alike(client: VideoGenClient, sandbox: SandboxServer) -> None:
    full = await (await open_catalog(client)).performers()
    last = full[-1]
    fresh = await open_catalog(client)
    files_before = sum(1 for r in sandbox.request_log if r.path.startswith("/v1/files"))
    found = await fresh.find(last.performer_id)
    # An id check needs no pictures: no actor image is hydrated on the way.
    assert sum(1 for r in sandbox.request_log if r.path.startswith("/v1/files")) == files_before
    assert found is not None
    # Same name as in the full walk, though found by a walk of its own (signed URLs differ per hydration).
    assert (found.performer_id, found.name, found.form, found.thumbnail_file_id) == (
        last.performer_id,
        last.name,
        last.form,
        last.thumbnail_file_id,
    )
    assert await fresh.find("vg_pres_does_not_exist") is None


async def test_cached_answers_without_a_connection(client: VideoGenClient, tmp_path: Path) -> None:
    cache = tmp_path / "cache" / "catalog.json"
    catalog = await open_catalog(client, cache)
    assert catalog.cached() == []
    performers = await catalog.performers()
    voices = await catalog.voices()
    offline = Catalog(None, catalog.capabilities, cache_file=cache)
    assert offline.cached() == performers
    assert offline.cached_voices() == voices
    assert offline.find_cached(performers[3].performer_id) == performers[3]
    with pytest.raises(RuntimeError):
        await offline.performers()


async def test_voices_walk_every_page_and_default_voice_fits(client: VideoGenClient) -> None:
    catalog = await open_catalog(client)
    voices = await catalog.voices()
    assert len(voices) == len({v.voice_id for v in voices}) >= VOICES
    assert await catalog.find_voice(voices[-1].voice_id) == voices[-1]
    for performer in (await catalog.performers())[:12]:
        voice = Catalog.default_voice_for(performer, voices)
        assert voice is not None and voice.supports_direct_tool_execution
        if performer.gender in ("MALE", "FEMALE"):
            assert voice.display_gender == performer.gender
        if performer.voice_name:  # an actor with a voice of its own speaks with it
            assert voice.display_name == performer.voice_name
        # Deterministic: a rerun picks the same voice.
        assert Catalog.default_voice_for(performer, list(reversed(voices))) == voice


async def test_performers_for_voice(client: VideoGenClient, generation: str) -> None:
    catalog = await open_catalog(client)
    voices = [v for v in await catalog.voices() if v.display_gender == "FEMALE"]
    ordered = await catalog.performers_for_voice(voices[0].voice_id)
    everyone = await catalog.performers()
    assert sorted(p.performer_id for p in ordered) == sorted(p.performer_id for p in everyone)
    names = {p.performer_id: p.name for p in everyone}
    assert all(names[p.performer_id] == p.name for p in ordered)  # names do not change with the order
    if generation == "C":
        assert all(p.gender == "" for p in ordered)


def test_default_voice_prefers_the_user_default_and_language() -> None:
    from videogen_studio.api.models import TtsVoice

    def voice(vid: str, gender: str, lang: str = "en-US", direct: bool = True, old: bool = False) -> TtsVoice:
        return TtsVoice(vid, lang, vid.title(), gender, direct, False, old)

    voices = [
        voice("anna", "FEMALE", "de-DE"),
        voice("bea", "FEMALE"),
        voice("carl", "MALE"),
        voice("dora", "FEMALE", direct=False),
        voice("aaron", "MALE", old=True),
    ]
    maya = Performer("p1", "presenter", "Maya", "FEMALE")
    assert Catalog.default_voice_for(maya, voices).voice_id == "bea"  # type: ignore[union-attr]
    assert Catalog.default_voice_for(maya, voices, language="de").voice_id == "anna"  # type: ignore[union-attr]
    assert Catalog.default_voice_for(maya, voices, preferred_voice_id="anna").voice_id == "anna"  # type: ignore[union-attr]
    # A preferred voice of the wrong gender, or without direct TTS, is not used.
    assert Catalog.default_voice_for(maya, voices, preferred_voice_id="carl").voice_id == "bea"  # type: ignore[union-attr]
    assert Catalog.default_voice_for(maya, voices, preferred_voice_id="dora").voice_id == "bea"  # type: ignore[union-attr]
    leo = Performer("p2", "presenter", "Leo", "MALE")
    assert Catalog.default_voice_for(leo, voices).voice_id == "carl"  # type: ignore[union-attr]
    assert Catalog.default_voice_for(leo, [voices[3]]) is None
