"""What the shell wires between the session's services and the parts: the editor's voice samples,
"presenters that fit this voice" and account features; Library → Reuse script and title edits (offline
sandbox over loopback)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from studio_helpers import close, until

from videogen_studio.api.models import WatermarkMode
from videogen_studio.app import Studio, build_studio
from videogen_studio.paths import app_paths
from videogen_studio.pipeline.jobs import RenderSpec
from videogen_studio.pipeline.queue import JobEvent
from videogen_studio.sandbox import SandboxConfig


@pytest.fixture
async def studio(qapp: object) -> AsyncIterator[Studio]:
    studio = build_studio(app_paths(), sandbox_config=SandboxConfig.fast())
    ready = asyncio.Event()
    studio.controller.ready.connect(ready.set)
    studio.window.show()
    await studio.controller.start()
    assert studio.controller.session is not None, studio.window.banner.text()
    await until(ready.is_set, what="the catalog")
    yield studio
    if studio.controller.session is not None:
        await close(studio)


async def test_the_editor_samples_voices_finds_fitting_presenters_and_follows_account_features(
    studio: Studio,
) -> None:
    editor, session = studio.window.editor, studio.controller.session
    assert session is not None and session.catalog is not None
    voice = (await session.catalog.voices())[0]

    # The voice browser's sample button plays what the session's voice-preview service made (real TTS).
    assert editor._sampler is not None
    sample = await editor._sampler(voice)
    assert Path(sample).is_file() and "voice-previews" in str(sample)

    # "Presenters that fit this voice" come from the catalog service.
    assert editor._finder is not None
    fitting = await editor._finder(voice.voice_id)
    assert fitting and {p.performer_id for p in fitting} <= set(studio.controller.presenters)

    # "No watermark" follows what the service taught us about this account.
    session.features.note_watermark_refused()
    assert not editor.watermark_none_allowed()
    session.features.note_watermark_allowed()
    assert editor.watermark_none_allowed()


async def test_reuse_script_fills_the_editor_and_selects_the_presenter(studio: Studio) -> None:
    w, controller = studio.window, studio.controller
    presenter_id = list(controller.presenters)[5]
    offered = w.editor.offered_voice_ids(all_languages=True)
    voice_id = offered[len(offered) // 2]
    spec = RenderSpec(
        presenter_id=presenter_id,
        script="An earlier script, brought back from the library.",
        voice_id=voice_id,
        voice_speed=1.25,
        replacements=(("VG", "video gen"),),
        auto_expand=True,
        watermark_mode=WatermarkMode.VIDEO_GEN,
        temporary=True,
    )
    w.editor.set_script("Something else entirely.")
    w.library.reuseRequested.emit(spec)

    again = w.editor.build_render_spec()
    assert w.current_page() == "create"
    assert again.script == spec.script
    assert again.presenter_id == presenter_id
    assert w.gallery.selected_presenter().performer_id == presenter_id
    assert again.voice_id == voice_id  # the spec's voice, not the presenter's default
    assert again.voice_speed == 1.25
    assert again.replacements == spec.replacements
    assert again.auto_expand and again.temporary
    assert again.watermark_mode == WatermarkMode.VIDEO_GEN


async def test_a_title_edited_in_the_library_is_saved_and_announced(studio: Studio) -> None:
    w, session = studio.window, studio.controller.session
    assert session is not None
    presenter_id = next(iter(studio.controller.presenters))
    voice_id = w.editor.offered_voice_ids(all_languages=True)[0]
    job = session.queue.submit(RenderSpec(presenter_id=presenter_id, script="Title me.", voice_id=voice_id))
    events: list[JobEvent] = []
    unsubscribe = session.queue.subscribe(events.append)
    try:
        w.library.titleEdited.emit(job.job_id, "  Launch teaser  ")
        assert session.queue.get(job.job_id).spec.title == "Launch teaser"  # type: ignore[union-attr]
        assert any(e.kind == "changed" and e.job.spec.title == "Launch teaser" for e in events)
        stored = session.store.get(job.job_id)
        assert stored is not None and stored.spec.title == "Launch teaser"
        await until(lambda: session.queue.get(job.job_id).state.is_terminal, timeout=90, what="the render")  # type: ignore[union-attr]
        finished = session.store.get(job.job_id)
        assert finished is not None and finished.spec.title == "Launch teaser"  # the runner kept it
    finally:
        unsubscribe()
