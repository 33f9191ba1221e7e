"""Catalog pieces that need no service: Performer records, the disk cache's tolerance, voice choice."""

from __future__ import annotations

import json
from pathlib import Path

from videogen_studio.api.capabilities import Capabilities
from videogen_studio.api.models import TtsVoice
from videogen_studio.pipeline.catalog import Catalog, Performer

PRESENTERS = Capabilities("presenters", paginated=True, has_me=True, has_history=True, has_file_search=True)
ACTORS = Capabilities("actors", paginated=True, has_me=True, has_history=True, has_file_search=True)


def test_performer_round_trip_and_label() -> None:
    maya = Performer("vg_pres_ab12", "presenter", "Maya", "FEMALE", thumbnail_url="http://x/t.png")
    assert Performer.from_json(json.loads(json.dumps(maya.to_json()))) == maya
    assert maya.label == "Maya · AB12"
    actor = Performer("vg_enti_1", "actor", "Ana", renderable=False, thumbnail_file_id="vg_file_9")
    assert Performer.from_json(actor.to_json()) == actor
    assert Performer.from_json({"performer_id": ""}) is None
    assert Performer.from_json({"performer_id": "x", "name": 5}) is None
    assert Performer.from_json("nope") is None


def test_cache_of_another_form_or_version_is_ignored(tmp_path: Path) -> None:
    cache = tmp_path / "catalog.json"
    record = {"v": 1, "form": "presenter", "performers": [Performer("p", "presenter", "Maya").to_json()]}
    cache.write_text(json.dumps(record), encoding="utf-8")
    assert [p.performer_id for p in Catalog(None, PRESENTERS, cache_file=cache).cached()] == ["p"]
    # The service now renders actors: yesterday's presenters are not offered.
    assert Catalog(None, ACTORS, cache_file=cache).cached() == []
    cache.write_text(json.dumps({**record, "v": 2}), encoding="utf-8")
    assert Catalog(None, PRESENTERS, cache_file=cache).cached() == []
    cache.write_text("{garbage", encoding="utf-8")
    assert Catalog(None, PRESENTERS, cache_file=cache).cached() == []
    assert Catalog(None, PRESENTERS).cached() == []


def test_form_follows_capabilities() -> None:
    assert Catalog(None, PRESENTERS).form == "presenter"
    assert Catalog(None, ACTORS).form == "actor"


def voice(
    vid: str, gender: str, lang: str = "en-US", *, direct: bool = True, any_lang: bool = False
) -> TtsVoice:
    return TtsVoice(vid, lang, vid.title(), gender, direct, any_lang, False)


def test_neutral_and_unknown_performers() -> None:
    voices = [voice("bea", "FEMALE"), voice("noa", "NEUTRAL"), voice("carl", "MALE")]
    sky = Performer("p", "presenter", "Sky", "NEUTRAL")
    assert Catalog.default_voice_for(sky, voices).voice_id == "noa"  # type: ignore[union-attr]
    anyone = Performer("a", "actor", "Ana")  # actors carry no gender: any voice fits, by name
    assert Catalog.default_voice_for(anyone, voices).voice_id == "bea"  # type: ignore[union-attr]
    assert Catalog.default_voice_for(None, voices).voice_id == "bea"  # type: ignore[union-attr]


def test_actor_speaks_with_its_own_voice_and_multilingual_voices_fit_any_language() -> None:
    voices = [voice("bea", "FEMALE"), voice("zara", "FEMALE", "fr-FR"), voice("omni", "MALE", any_lang=True)]
    ana = Performer("a", "actor", "Ana", voice_name="Zara")
    assert Catalog.default_voice_for(ana, voices).voice_id == "zara"  # type: ignore[union-attr]
    leo = Performer("p", "presenter", "Leo", "MALE")
    assert Catalog.default_voice_for(leo, voices, language="ja").voice_id == "omni"  # type: ignore[union-attr]
