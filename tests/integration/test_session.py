"""Session: one probe per connection, the catalog that follows it, per-account caches, learning from jobs."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sandbox_helpers import posts, wait_job

from videogen_studio.api.errors import AuthError, ErrorKind
from videogen_studio.api.models import WatermarkMode
from videogen_studio.paths import AppPaths, app_paths
from videogen_studio.pipeline.jobs import JobState, RenderSpec
from videogen_studio.sandbox import SandboxConfig, SandboxServer
from videogen_studio.session import Session
from videogen_studio.settings import Settings

TTS = "/v1/tools/text-to-speech"


@pytest.fixture
def paths() -> AppPaths:
    return app_paths().ensure()  # under the test's VIDEOGEN_STUDIO_HOME (tests/conftest.py)


@pytest.mark.parametrize(("generation", "form"), [("A", "presenter"), ("C", "actor")])
async def test_offline_session_follows_the_generation(paths: AppPaths, generation: str, form: str) -> None:
    settings = Settings()
    assert Session.cached_catalog(settings, paths, None) == (None, None)
    session = await Session.open(
        settings, paths, None, sandbox_config=SandboxConfig.fast(generation), start_queue=False
    )
    try:
        assert session.offline and session.capabilities is not None and session.catalog is not None
        assert session.catalog.form == form
        assert session.capabilities.paginated == (generation != "A")
        performers = await session.catalog.performers()
        voices = await session.catalog.voices()
        assert performers and voices
    finally:
        await session.close()
    await session.close()  # twice is harmless
    # The next start paints from the cache before connecting (the sandbox gets a new port: same account).
    capabilities, cached = Session.cached_catalog(settings, paths, None)
    assert capabilities == session.capabilities
    assert cached is not None
    assert [p.performer_id for p in cached.cached()] == [p.performer_id for p in performers]
    assert len(cached.cached_voices()) == len(voices)


async def test_connecting_with_a_key(paths: AppPaths, sandbox: SandboxServer) -> None:
    settings = Settings(base_url=sandbox.base_url, output_dir=str(paths.downloads))
    session = await Session.open(settings, paths, sandbox.api_key, start_queue=False)
    try:
        assert session.capabilities is not None and session.capabilities.avatar_source == "presenters"
        assert session.account and sandbox.api_key not in session.account
    finally:
        await session.close()
    # Another key is another account: nothing cached for it.
    assert Session.cached_catalog(settings, paths, "vg_key_someone_else") == (None, None)
    for path in paths.cache.rglob("*"):
        if path.is_file():
            assert sandbox.api_key not in path.read_text(encoding="utf-8", errors="replace")


async def test_a_refused_key_leaves_nothing_open(paths: AppPaths, sandbox: SandboxServer) -> None:
    settings = Settings(base_url=sandbox.base_url, output_dir=str(paths.downloads))
    with pytest.raises(AuthError) as info:
        await Session.open(settings, paths, "vg_key_not_known_here", start_queue=False)
    assert info.value.kind == ErrorKind.AUTH
    assert "vg_key_not_known_here" not in str(info.value)
    # The job database was not left half-open: a good key opens it at once.
    session = await Session.open(settings, paths, sandbox.api_key, start_queue=False)
    await session.close()


async def test_jobs_stay_with_the_account_that_made_them(paths: AppPaths, sandbox: SandboxServer) -> None:
    # M1: a queued job of account A must never be adopted (and paid) by account B after a key switch.
    from videogen_studio.sandbox import SandboxAccount

    other_key = "vg_key_second_account_0001"
    sandbox.add_account(other_key, SandboxAccount())
    settings = Settings(base_url=sandbox.base_url, output_dir=str(paths.downloads))
    first = await Session.open(settings, paths, sandbox.api_key, start_queue=False)
    try:
        job = first.queue.submit(RenderSpec("presenter-x", "Paid by the first account only."))
    finally:
        await first.close()

    second = await Session.open(settings, paths, other_key)  # its queue starts: adopts what it sees
    try:
        assert second.queue.get(job.job_id) is None and second.queue.jobs() == []
        assert second.store.path != first.store.path
    finally:
        await second.close()
    assert posts(sandbox, TTS) == 0

    again = await Session.open(settings, paths, sandbox.api_key, start_queue=False)
    try:
        assert again.store.path == first.store.path
        assert [j.job_id for j in again.store.load_all()] == [job.job_id]
    finally:
        await again.close()


async def test_the_old_single_job_database_stays_with_the_first_account(
    paths: AppPaths, sandbox: SandboxServer
) -> None:
    from videogen_studio.pipeline.jobs import RenderJob
    from videogen_studio.pipeline.store import JobStore
    from videogen_studio.sandbox import SandboxAccount

    with JobStore(paths.job_db) as old:  # written by a version with one database for every account
        old.save(RenderJob(spec=RenderSpec("presenter-x", "From before the upgrade."), state=JobState.DONE))
    other_key = "vg_key_second_account_0002"
    sandbox.add_account(other_key, SandboxAccount())
    settings = Settings(base_url=sandbox.base_url, output_dir=str(paths.downloads))
    with pytest.raises(AuthError):  # a refused key claims nothing
        await Session.open(settings, paths, "vg_key_not_known_here", start_queue=False)
    first = await Session.open(settings, paths, sandbox.api_key, start_queue=False)
    try:
        assert first.store.path == paths.job_db and len(first.store.load_all()) == 1
    finally:
        await first.close()
    second = await Session.open(settings, paths, other_key, start_queue=False)
    try:
        assert second.store.path != paths.job_db and second.store.load_all() == []
    finally:
        await second.close()


async def test_session_without_a_key_for_a_real_service(paths: AppPaths) -> None:
    with pytest.raises(ValueError):
        await Session.open(Settings(base_url="https://api.invalid"), paths, None, start_queue=False)


async def test_watermark_none_refused_once_is_remembered(paths: AppPaths, sandbox: SandboxServer) -> None:
    settings = Settings(base_url=sandbox.base_url, output_dir=str(paths.downloads))
    session = await Session.open(settings, paths, sandbox.api_key)
    try:
        assert session.catalog is not None
        performer = (await session.catalog.performers())[0]
        voice = session.catalog.default_voice_for(performer, await session.catalog.voices())
        assert voice is not None
        spec = RenderSpec(
            performer.performer_id,
            "No watermark, please.",
            voice_id=voice.voice_id,
            watermark_mode=WatermarkMode.NONE,
            output_dir=str(paths.downloads),
        )
        job = session.queue.submit(spec)
        done = await wait_job(session.queue, job.job_id)
        assert done.state is JobState.FAILED
        assert not session.features.allows_watermark(WatermarkMode.NONE)
        account = session.account
    finally:
        await session.close()
    # Remembered for this account across sessions.
    again = await Session.open(settings, paths, sandbox.api_key, start_queue=False)
    try:
        assert again.account == account
        assert not again.features.allows_watermark(WatermarkMode.NONE)
    finally:
        await again.close()


async def test_voice_samples_are_paid_once(paths: AppPaths, sandbox: SandboxServer) -> None:
    settings = Settings(base_url=sandbox.base_url, output_dir=str(paths.downloads))
    session = await Session.open(settings, paths, sandbox.api_key, start_queue=False)
    try:
        assert session.catalog is not None
        voices = [v for v in await session.catalog.voices() if v.supports_direct_tool_execution]
        service = session.voice_preview
        assert service is session.voice_preview
        # Two clicks at once share one request.
        first, second = await asyncio.gather(service.sample(voices[0]), service.sample(voices[0]))
        assert first == second and Path(first).stat().st_size > 0
        assert posts(sandbox, TTS) == 1
        # Played again later: from the cache, free.
        assert await service.sample(voices[0]) == first
        assert posts(sandbox, TTS) == 1
        # Another voice or another text is another clip.
        other = await service.sample(voices[1])
        assert other != first
        assert await service.sample(voices[0], "Something else entirely.") not in (first, other)
        assert posts(sandbox, TTS) == 3
        # Every sample is sent as a temporary output.
        assert service.sample_request(voices[0]).is_output_temporary is True
    finally:
        await session.close()


async def test_a_failed_preview_download_resumes_the_paid_execution(
    paths: AppPaths, sandbox: SandboxServer
) -> None:
    # M7: the speech was paid; the download failed. The next click fetches that speech, it does not pay again.
    from videogen_studio.api.errors import VideoGenError
    from videogen_studio.sandbox import FaultRule

    settings = Settings(base_url=sandbox.base_url, output_dir=str(paths.downloads))
    session = await Session.open(settings, paths, sandbox.api_key, start_queue=False)
    try:
        assert session.catalog is not None
        voice = next(v for v in await session.catalog.voices() if v.supports_direct_tool_execution)
        sandbox.faults.add(FaultRule(kind="status", status=404, origin="storage", times=None))
        with pytest.raises(VideoGenError):
            await session.voice_preview.sample(voice)
        assert posts(sandbox, TTS) == 1
        sandbox.faults.clear()
    finally:
        await session.close()
    # Even after a restart (a new session, a new service object) the noted id is resumed.
    again = await Session.open(settings, paths, sandbox.api_key, start_queue=False)
    try:
        path = await again.voice_preview.sample(voice)
        assert path.stat().st_size > 0
        assert posts(sandbox, TTS) == 1 and again.voice_preview.requests_sent == 0
        assert await again.voice_preview.sample(voice) == path  # and from the cache afterwards
        assert list(paths.voice_previews.glob("*.execution")) == []  # nothing left to resume
    finally:
        await again.close()


async def test_a_preview_held_for_approval_is_not_waited_for(paths: AppPaths) -> None:
    from videogen_studio.pipeline.voice_preview import PreviewAwaitingApproval

    config = SandboxConfig.fast("C")
    config.approval_required = True
    session = await Session.open(Settings(), paths, None, sandbox_config=config, start_queue=False)
    try:
        assert session.catalog is not None
        voice = next(v for v in await session.catalog.voices() if v.supports_direct_tool_execution)
        with pytest.raises(PreviewAwaitingApproval) as info:
            await session.voice_preview.sample(voice)
        assert info.value.kind == "approval_pending"
        assert session.voice_preview.cached(session.voice_preview.sample_request(voice)) is None
    finally:
        await session.close()


async def test_the_offline_sandbox_keeps_its_pictures_where_the_environment_says(
    paths: AppPaths, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from videogen_studio.session import SANDBOX_ASSETS_ENV

    shared = tmp_path / "shared"
    for value, expected in ((str(shared), shared), ("", paths.cache / "sandbox-assets")):
        monkeypatch.setenv(SANDBOX_ASSETS_ENV, value)
        config = SandboxConfig.fast()
        session = await Session.open(Settings(), paths, None, sandbox_config=config, start_queue=False)
        try:
            assert session.sandbox is not None and session.sandbox.state.assets.root == expected
        finally:
            await session.close()
