"""Voice browser: samples through the real voice-preview service (cached after the first play), filters by
language, gender and accent, the voice that fits the presenter, and presenters that fit a voice."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from videogen_studio.api.capabilities import probe_capabilities
from videogen_studio.api.client import VideoGenClient
from videogen_studio.api.models import TtsVoice
from videogen_studio.pipeline.catalog import Catalog, Performer
from videogen_studio.pipeline.voice_preview import VoicePreviewService
from videogen_studio.sandbox import SandboxServer
from videogen_studio.ui.voices.browser import VoiceBrowser

pytestmark = pytest.mark.usefixtures("qapp")

MATILDA = TtsVoice("vg_voic_matilda", "en-US", "Matilda", "FEMALE", True, True, False, "american", "Warm")
OLIVER = TtsVoice("vg_voic_oliver", "en-GB", "Oliver", "MALE", True, False, False, "british")
JACK = TtsVoice("vg_voic_jack", "en-US", "Jack", "MALE", True, False, False, "american")
LUCIA = TtsVoice("vg_voic_lucia", "es-ES", "Lucía", "FEMALE", True, False, False, None)
FLOW = TtsVoice("vg_voic_flow", "fr-FR", "Élodie", "FEMALE", False, False, False, None)
VOICES = [MATILDA, OLIVER, JACK, LUCIA, FLOW]


def test_filters_by_language_gender_and_accent(qtbot) -> None:
    browser = VoiceBrowser()
    qtbot.addWidget(browser)
    browser.set_voices(VOICES)
    assert sorted(browser.shown_voice_ids()) == sorted(v.voice_id for v in VOICES[:4])  # no workflow-only
    accents = [browser.accent_combo.itemText(i) for i in range(browser.accent_combo.count())]
    assert accents == ["All accents", "American", "British"]

    browser.set_filters(gender="MALE")
    assert sorted(browser.shown_voice_ids()) == [JACK.voice_id, OLIVER.voice_id]
    browser.set_filters(gender="MALE", accent="American")
    assert browser.shown_voice_ids() == [JACK.voice_id]
    # Spanish: Lucía speaks it, and Matilda speaks every language.
    browser.set_filters(language="es")
    assert sorted(browser.shown_voice_ids()) == sorted([MATILDA.voice_id, LUCIA.voice_id])
    browser.set_filters()
    browser.search_edit.setText("warm")
    assert browser.shown_voice_ids() == [MATILDA.voice_id]
    assert browser.count_label.text() == "1 of 4 voices"


def test_the_voice_that_fits_the_presenter_comes_first_and_is_marked(qtbot) -> None:
    browser = VoiceBrowser()
    qtbot.addWidget(browser)
    browser.set_voices(VOICES)
    browser.set_performer(Performer("vg_pres_1", "presenter", "Maya", gender="FEMALE"))
    first = browser.shown_voice_ids()[0]
    assert {v.voice_id: v for v in VOICES}[first].display_gender == "FEMALE"
    assert browser.row(first).suggested_label.isVisibleTo(browser)
    assert not any(browser.row(v).suggested_label.isVisibleTo(browser) for v in browser.shown_voice_ids()[1:])
    with qtbot.waitSignal(browser.voiceChosen) as chosen:
        browser.row(first).use_button.click()
    assert chosen.args == [first]


@pytest.fixture
async def services(sandbox: SandboxServer, tmp_path: Path):
    async with VideoGenClient(sandbox.base_url, sandbox.api_key) as client:
        capabilities = await probe_capabilities(client)
        catalog = Catalog(client, capabilities)
        yield client, catalog, VoicePreviewService(client, tmp_path / "previews", poll_interval=0.05)


async def test_sample_plays_through_the_preview_service_and_is_made_once(services) -> None:
    _client, catalog, previews = services
    voices = await catalog.voices()
    browser = VoiceBrowser()
    browser.set_voices(voices)
    browser.set_sampler(previews.sample)
    voice_id = browser.shown_voice_ids()[0]

    browser.row(voice_id).sample_button.click()
    assert browser.row(voice_id).sample_button.text() == "…"  # making it
    for _ in range(1000):
        if browser.playing_voice() == voice_id:
            break
        await asyncio.sleep(0.01)
    assert browser.playing_voice() == voice_id
    assert browser.player.source().isLocalFile()
    assert previews.requests_sent == 1

    browser.row(voice_id).sample_button.click()  # stop
    for _ in range(500):
        if browser.playing_voice() is None:
            break
        await asyncio.sleep(0.01)
    browser.row(voice_id).sample_button.click()  # play again: from the cache, no second paid request
    await asyncio.sleep(0.05)
    assert previews.requests_sent == 1
    assert browser.sample_calls == 1
    browser.close()
    browser.deleteLater()


async def test_presenters_that_fit_a_voice_come_from_the_service(services) -> None:
    _client, catalog, _previews = services
    voices = await catalog.voices()
    browser = VoiceBrowser()
    browser.set_voices(voices)
    browser.set_finder(catalog.performers_for_voice)
    assert not browser.fit_button.isEnabled()  # nothing selected yet
    voice_id = browser.shown_voice_ids()[0]
    browser.set_current_voice(voice_id)
    assert browser.fit_button.isEnabled()
    browser.fit_button.click()
    for _ in range(2000):
        if browser.fitting_performer_names():
            break
        await asyncio.sleep(0.01)
    expected = await catalog.performers_for_voice(voice_id)
    assert browser.fitting_performer_names() == [p.label for p in expected[:50]]
    with_chosen: list[object] = []
    browser.performerChosen.connect(with_chosen.append)
    browser.fit_list.itemActivated.emit(browser.fit_list.item(0))
    assert with_chosen == [expected[0]]
    browser.close()
    browser.deleteLater()


def test_without_a_sampler_the_browser_asks_its_owner(qtbot, tmp_path: Path) -> None:
    browser = VoiceBrowser()
    qtbot.addWidget(browser)
    browser.set_voices(VOICES)
    with qtbot.waitSignal(browser.sampleRequested) as asked:
        browser.row(JACK.voice_id).sample_button.click()
    assert asked.args == [JACK]
    clip = tmp_path / "jack.mp3"
    clip.write_bytes(b"not really audio")
    browser.play_file(JACK.voice_id, clip)
    assert browser.playing_voice() == JACK.voice_id
    assert browser.row(JACK.voice_id).sample_button.text() == "■"
    browser.row(OLIVER.voice_id).sample_button.click()  # another voice: asks again, Jack stays cached
    assert browser.row(JACK.voice_id).sample_button.toolTip()
