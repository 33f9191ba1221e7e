"""The whole app, as a user drives it, against the sandbox over loopback HTTP (offscreen Qt, qasync loop)."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import av
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox
from studio_helpers import close, until

from videogen_studio import session as session_module
from videogen_studio.api.client import VideoGenClient
from videogen_studio.api.errors import VideoGenError
from videogen_studio.api.retry import RetryPolicy
from videogen_studio.app import Studio, build_studio
from videogen_studio.credentials import SecretStore
from videogen_studio.paths import app_paths
from videogen_studio.pipeline.jobs import JobState
from videogen_studio.sandbox import Account, FaultRule, SandboxConfig, SandboxServer
from videogen_studio.settings import Settings, save_settings
from videogen_studio.ui import wording
from videogen_studio.ui.control.key_check import NO_ME_TEXT, check_key

SCRIPT = "Hello! This is a short test of the whole studio, from script to finished clip."


@pytest.fixture(params=["B"])
def generation(request: pytest.FixtureRequest) -> str:
    """The API generation the embedded sandbox plays (tests parametrise this over A, B and C)."""
    return str(request.param)


@pytest.fixture
async def offline_studio(qapp: object, generation: str) -> AsyncIterator[Studio]:
    """The app as first started: offline sandbox (fast timings), nothing configured."""
    config = SandboxConfig.fast(api_generation=generation)
    if generation == "C":
        config.approval_required = True  # renders stop in awaiting_approval until the test approves them
    studio = build_studio(app_paths(), sandbox_config=config)
    ready = asyncio.Event()
    studio.controller.ready.connect(ready.set)
    studio.window.show()
    await studio.controller.start()
    assert studio.controller.session is not None, studio.window.banner.text()
    await until(ready.is_set, what=f"the catalog ({studio.window.banner.text()})")
    yield studio
    if studio.controller.session is not None:
        await close(studio)


def probe_seconds(path: Path) -> float:
    with av.open(str(path)) as container:
        assert container.duration is not None
        return container.duration / 1_000_000


async def approve_when_held(sandbox: SandboxServer, done: Callable[[], bool]) -> None:
    """Generation C: approve every execution the service holds for approval until `done()`."""
    while not done():
        for execution_id in sandbox.state.awaiting_approval():
            sandbox.state.approve(execution_id)
        await asyncio.sleep(0.05)


@pytest.mark.parametrize("generation", ["A", "B", "C"], indirect=True)
async def test_pick_type_preview_render_play(offline_studio: Studio, generation: str) -> None:
    w, controller = offline_studio.window, offline_studio.controller
    assert controller.session is not None and controller.session.offline
    assert "Offline sandbox" in w.mode_label.text()
    assert w.banner.isVisible() and "offline sandbox" in w.banner.text()  # first-run hint, not an error

    # Pick a presenter in the gallery: the editor learns it.
    presenter_id = list(controller.presenters)[3]
    assert w.gallery.select_presenter(presenter_id)
    assert w.editor.build_render_spec().presenter_id == presenter_id

    # Type the script with the keyboard.
    w.editor.script_edit.setFocus()
    QTest.keyClicks(w.editor.script_edit, SCRIPT)
    assert w.editor.script() == SCRIPT
    assert w.editor.validation_message() is None

    # Preview the voice: real TTS through the sandbox (the pipeline's voice-preview service), heard through
    # the audio-only preview player, so the Result page keeps showing clips.
    durations: list[int] = []
    controller.audio_preview.durationChanged.connect(durations.append)
    w.editor.request_preview()
    if generation == "C":  # generation C holds every execution for approval, the preview's speech too
        sandbox: SandboxServer = controller.session.sandbox  # type: ignore[assignment]
        await approve_when_held(sandbox, lambda: bool(durations))
    await until(lambda: durations and durations[-1] > 0, what="the voice preview to load")
    assert "voice-previews" in controller.audio_preview.source().toLocalFile()
    assert not w.player.has_clip()

    # Click Render (the Ctrl+Return shortcut is covered by the editor's own tests; shortcuts depend on
    # window activation, which offscreen runs grant unreliably when other windows exist).
    QTest.mouseClick(w.editor.render_button, Qt.MouseButton.LeftButton)
    queue = controller.session.queue
    await until(lambda: len(queue.jobs()) == 1, what="the job to be queued")
    assert w.queue_panel.model.rowCount() == 1
    sandbox = controller.session.sandbox  # type: ignore[assignment]
    if generation == "C":  # the service holds the render for approval: the app waits, then carries on
        await until(lambda: queue.jobs()[0].awaiting_approval, timeout=90, what="the approval wait")
        assert not queue.jobs()[0].state.is_terminal
        approver = asyncio.ensure_future(
            approve_when_held(sandbox, lambda: queue.jobs()[0].state.is_terminal)
        )
    await until(lambda: queue.jobs()[0].state.is_terminal, timeout=90, what="the render to finish")
    if generation == "C":
        await approver
    job = queue.jobs()[0]
    assert job.state == JobState.DONE, job.error_message
    assert job.output_path and Path(job.output_path).exists()
    assert w.queue_panel.model.job_at(0).state == JobState.DONE  # type: ignore[union-attr]

    # The finished clip opened by itself on the Result page, large; the player reports its real duration.
    await until(lambda: w.current_page() == "result", what="the result page to open")
    await until(lambda: w.player.duration() > 0, what="the clip to load")
    assert abs(w.player.duration() / 1000 - probe_seconds(Path(job.output_path))) < 0.2
    assert w.player.source().toLocalFile() == job.output_path
    # The Library (H8's tab, wired by the window) can bring the script and presenter back into the editor.
    assert w.library is not None
    w.editor.set_script("Something else entirely.")
    w.library.reuseRequested.emit(job.spec)
    assert w.editor.script() == SCRIPT and w.current_page() == "create"
    assert w.editor.build_render_spec().presenter_id == presenter_id
    w.library.playRequested.emit(job.output_path, "Again", "")
    assert w.current_page() == "result"
    # One paid submission per step, no more.
    log = sandbox.request_log
    assert sum(1 for r in log if r.method == "POST" and r.path == "/v1/tools/generate-avatar") == 1
    assert sum(1 for r in log if r.method == "POST" and r.path == "/v1/tools/text-to-speech") == 2  # +preview


async def test_cancel_from_the_queue(offline_studio: Studio) -> None:
    w, controller = offline_studio.window, offline_studio.controller
    assert controller.session is not None
    sandbox: SandboxServer = controller.session.sandbox  # type: ignore[assignment]
    sandbox.config.avatar_running_s = 30.0  # long enough to cancel mid-render
    w.gallery.select_presenter(next(iter(controller.presenters)))
    w.editor.set_script(SCRIPT)
    w.editor.request_render()
    queue = controller.session.queue
    await until(
        lambda: queue.jobs() and queue.jobs()[0].state == JobState.AVATAR_RUNNING, what="avatar render"
    )
    job_id = queue.jobs()[0].job_id
    w.queue_panel.cancelRequested.emit(job_id)
    await until(lambda: queue.get(job_id).state == JobState.CANCELLED, what="cancellation")  # type: ignore[union-attr]
    assert any(r.path.endswith("/cancel") for r in sandbox.request_log)


async def test_revoked_key_shows_what_to_do(qapp: object, sandbox: SandboxServer) -> None:
    paths = app_paths().ensure()
    save_settings(paths, Settings(base_url=sandbox.base_url, output_dir=str(paths.downloads)))
    sandbox.add_account("vg_key_revoked_soon", Account())
    sandbox.revoke_key("vg_key_revoked_soon")
    SecretStore(paths.data / "api-key").save("vg_key_revoked_soon")
    studio = build_studio(paths)
    studio.window.show()
    await studio.controller.start()
    w = studio.window
    assert w.banner.isVisible() and w.banner.level == "error"
    assert "invalid or has been revoked" in w.banner.text()
    assert "Account" in w.banner.text() or "API key" in w.banner.text()
    assert "vg_key_revoked_soon" not in w.banner.text()
    await close(studio)


async def test_no_credits_fails_the_job_with_a_hint(qapp: object, sandbox: SandboxServer) -> None:
    paths = app_paths().ensure()
    save_settings(paths, Settings(base_url=sandbox.base_url, output_dir=str(paths.downloads)))
    sandbox.add_account("vg_key_two_credits", Account(credits=1))
    SecretStore(paths.data / "api-key").save("vg_key_two_credits")
    studio = build_studio(paths)
    ready = asyncio.Event()
    studio.controller.ready.connect(ready.set)
    studio.window.show()
    studio.controller.spawn(studio.controller.start())
    await asyncio.wait_for(ready.wait(), 60)
    w, controller = studio.window, studio.controller
    assert "127.0.0.1" in w.mode_label.text()
    w.gallery.select_presenter(next(iter(controller.presenters)))
    w.editor.set_script(SCRIPT)
    w.editor.request_render()  # TTS takes the only credit; the avatar step has none left
    queue = controller.session.queue  # type: ignore[union-attr]
    await until(lambda: queue.jobs() and queue.jobs()[0].state.is_terminal, what="the job to fail")
    job = queue.jobs()[0]
    assert job.state == JobState.FAILED and job.audio_file_id  # the paid speech is kept for a retry
    assert "credit" in (job.error_message or "").lower() and "Add credits" in (job.error_hint or "")
    w.queue_panel.select_job(job.job_id)
    assert "Add credits" in w.queue_panel.error_hint_label.text()
    assert w.queue_panel.error_message_label.text()
    # Top up and retry: only the avatar step is submitted again.
    sandbox.add_account("vg_key_two_credits", Account(credits=100))
    w.queue_panel.retryRequested.emit(job.job_id, False)
    await until(lambda: queue.get(job.job_id).state == JobState.DONE, what="the retried job")  # type: ignore[union-attr]
    tts_posts = [
        r for r in sandbox.request_log if r.method == "POST" and r.path == "/v1/tools/text-to-speech"
    ]
    assert len(tts_posts) == 1
    await close(studio)


async def test_rate_limit_wait_shows_a_countdown(offline_studio: Studio) -> None:
    w, controller = offline_studio.window, offline_studio.controller
    assert controller.session is not None
    sandbox: SandboxServer = controller.session.sandbox  # type: ignore[assignment]
    sandbox.faults.add(
        FaultRule(kind="status", status=429, retry_after=2, path="^/v1/resources/avatar-presenters$")
    )
    countdowns: list[str] = []
    reload = controller.spawn(controller.load_catalog())
    await until(lambda: w.rate_label.isVisible(), what="the rate-limit countdown")
    countdowns.append(w.rate_label.text())
    await reload
    assert "resuming in" in countdowns[0] and any(ch.isdigit() for ch in countdowns[0])
    await until(lambda: not w.rate_label.isVisible(), what="the countdown to end")
    assert len(controller.presenters) >= 24  # the reload went through after waiting


async def _restart(paths: Any, config: SandboxConfig) -> Studio:
    studio = build_studio(paths, sandbox_config=config)
    ready = asyncio.Event()
    studio.controller.ready.connect(ready.set)
    studio.window.show()
    await studio.controller.start()
    await asyncio.wait_for(ready.wait(), 60)
    return studio


async def test_the_chosen_presenter_survives_a_restart(qapp: object) -> None:
    paths = app_paths().ensure()
    config = SandboxConfig.fast()
    first = await _restart(paths, config)
    chosen = list(first.controller.presenters)[5]
    assert first.window.gallery.select_presenter(chosen)
    first.window.editor.set_script(SCRIPT)
    await close(first)
    second = await _restart(paths, config)
    try:
        assert second.window.gallery.selected_presenter() is not None
        assert second.controller.settings.last_performer_id == chosen
        spec = second.window.editor.build_render_spec()
        assert spec.presenter_id == chosen and second.window.editor.validation_message() is None
        assert second.window.editor.render_button.isEnabled()
    finally:
        await close(second)


async def test_switching_back_to_the_sandbox_clears_the_connection_error(
    qapp: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The refused connection is still retried, but after 10 ms instead of the product's ~5 s back-off
    # (unit-tested in test_retry.py): this test is about the banner, not about how long the client waits.
    def quick_client(*args: Any, **kwargs: Any) -> VideoGenClient:
        kwargs.setdefault("retry", RetryPolicy(base_delay_s=0.01))
        return VideoGenClient(*args, **kwargs)

    monkeypatch.setattr(session_module, "VideoGenClient", quick_client)
    paths = app_paths().ensure()
    save_settings(paths, Settings(base_url="http://127.0.0.1:9", output_dir=str(paths.downloads)))
    SecretStore(paths.data / "api-key").save("vg_key_nobody_listens")
    studio = build_studio(paths, sandbox_config=SandboxConfig.fast())
    w, controller = studio.window, studio.controller
    w.show()
    await controller.start()
    # Disconnected: a red banner, no stale presenter in the detail pane, nothing to render.
    assert controller.session is None
    assert w.banner.isVisible() and w.banner.level == "error" and "Could not connect" in w.banner.text()
    assert "[Errno" not in w.banner.text()
    assert w.gallery.selected_presenter() is None
    assert not w.registry["render"].isEnabled() and not w.editor.render_button.isEnabled()
    # Back to the sandbox (Settings → Offline sandbox): the error goes away and Render comes back.
    ready = asyncio.Event()
    controller.ready.connect(ready.set)
    new = dataclasses.replace(controller.settings, base_url="sandbox")
    controller.apply_settings(new)
    await asyncio.wait_for(ready.wait(), 60)
    assert controller.session is not None and controller.session.offline
    assert not w.banner.isVisible()
    assert w.registry["render"].isEnabled()
    await close(studio)


async def test_quitting_during_a_render_asks_and_says_it_resumes(offline_studio: Studio) -> None:
    w, controller = offline_studio.window, offline_studio.controller
    assert controller.session is not None
    sandbox: SandboxServer = controller.session.sandbox  # type: ignore[assignment]
    sandbox.config.avatar_running_s = 30.0
    w.gallery.select_presenter(next(iter(controller.presenters)))
    w.editor.set_script(SCRIPT)
    w.editor.request_render()
    queue = controller.session.queue
    await until(lambda: queue.jobs() and not queue.jobs()[0].state.is_terminal, what="a running render")
    w.close()
    box = controller._quit_box
    assert box is not None and box.isVisible()
    assert "continues" in box.text() and "next time" in box.text()
    assert w.isVisible() and controller.session is not None  # nothing closed yet
    box.button(QMessageBox.StandardButton.No).click()  # "Keep working"
    await asyncio.sleep(0.05)
    assert w.isVisible() and controller.session is not None
    finished = asyncio.Event()
    controller.finished.connect(finished.set)
    w.close()
    controller._quit_box.button(QMessageBox.StandardButton.Yes).click()  # type: ignore[union-attr]
    await asyncio.wait_for(finished.wait(), 30)
    assert controller.session is None


@pytest.mark.parametrize("generation", ["A", "B", "C"])
async def test_account_check_names_the_account_or_says_why_not(
    tmp_path: Path, sandbox_assets: Path, generation: str
) -> None:
    config = SandboxConfig.fast(generation)
    maya = Account(email="maya@example.com", display_name="Maya", team_id="team_7", key_nickname="CI")
    config.accounts["vg_key_maya"] = maya
    sandbox = SandboxServer(data_dir=tmp_path / "sandbox", assets_dir=sandbox_assets, config=config)
    await asyncio.to_thread(sandbox.start)
    try:
        await _check_keys(sandbox, generation)
    finally:
        sandbox.stop()


async def _check_keys(sandbox: SandboxServer, generation: str) -> None:
    text = await check_key(sandbox.base_url, "vg_key_maya")
    if generation == "A":  # no /v1/me: the catalog was listed instead, and the dialog says so
        assert text == NO_ME_TEXT
    else:
        assert "maya@example.com" in text and "“CI”" in text and "team_7" in text
    assert "vg_key_maya" not in text
    with pytest.raises(VideoGenError) as refused:
        await check_key(sandbox.base_url, "vg_key_unknown")
    assert wording.error_kind(refused.value) == "auth"
    with pytest.raises(VideoGenError) as illegal:
        await check_key(sandbox.base_url, "vg_key with space")
    assert wording.error_kind(illegal.value) == "invalid_key_format"
    assert not any(r.path == "/v1/me" and "space" in r.path for r in sandbox.request_log)


async def test_a_damaged_job_database_is_named_in_a_banner(qapp: object) -> None:
    paths = app_paths().ensure()
    (paths.data / "jobs-sandbox.sqlite3").write_bytes(b"this is not a database" * 100)
    studio = await _restart(paths, SandboxConfig.fast())
    try:
        w = studio.window
        assert w.banner.isVisible() and w.banner.level == "warning"
        assert "jobs-sandbox" in w.banner.text()  # the moved file is named
    finally:
        await close(studio)


async def test_a_job_database_from_a_newer_version_is_shown_read_only(qapp: object) -> None:
    import sqlite3

    from videogen_studio.pipeline.store import SCHEMA_VERSION, JobStore

    paths = app_paths().ensure()
    JobStore(paths.data / "jobs-sandbox.sqlite3").close()  # a real database, then "from the future"
    db = sqlite3.connect(paths.data / "jobs-sandbox.sqlite3")
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    db.commit()
    db.close()
    studio = await _restart(paths, SandboxConfig.fast())
    try:
        w, controller = studio.window, studio.controller
        assert w.banner.isVisible() and w.banner.level == "warning"
        assert "newer" in w.banner.text().lower()
        # Rendering into a database that must not be written is refused with a clear message, not a crash.
        w.gallery.select_presenter(next(iter(controller.presenters)))
        w.editor.set_script(SCRIPT)
        queued = await controller.renders.submit_checked(w.editor.build_render_spec())
        assert queued is None
        assert w.banner.level == "error" and "Not rendered" in w.banner.text()
        assert controller.session.queue.jobs() == []  # type: ignore[union-attr]
    finally:
        await close(studio)


async def test_cards_from_the_cached_catalog_come_before_the_connection(qapp: object) -> None:
    """Issue 11: a warm start paints last time's presenter cards while the sandbox is still starting."""
    paths = app_paths().ensure()
    config = SandboxConfig.fast()
    first = await _restart(paths, config)
    count = len(first.controller.presenters)
    await close(first)
    second = build_studio(paths, sandbox_config=config)
    second.window.show()
    start = second.controller.spawn(second.controller.start())
    try:
        await until(lambda: len(second.controller.presenters) == count, what="cached cards")
        assert second.controller.session is None  # nothing connected yet: the cards came from the cache
        assert second.window.gallery.is_loaded()
        assert not second.window.registry["render"].isEnabled()  # but nothing can be rendered yet
        await start
        assert second.controller.session is not None and second.window.registry["render"].isEnabled()
    finally:
        await close(second)
