"""Stopping the app at awkward moments and starting it again: nothing is paid for twice.

Each "process" is a fresh client, JobStore and RenderQueue on the same database file, as after a real
restart; the sandbox keeps running in between, as VideoGen would.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import av
import pytest
from sandbox_helpers import posts, wait_job

from videogen_studio.api.client import VideoGenClient
from videogen_studio.api.models import TtsRequest
from videogen_studio.api.retry import RetryPolicy
from videogen_studio.pipeline.jobs import JobState, RenderJob, RenderSpec
from videogen_studio.pipeline.queue import JobEvent, RenderQueue
from videogen_studio.pipeline.runner import UNCERTAIN_RESTART_MESSAGE
from videogen_studio.pipeline.store import JobStore
from videogen_studio.sandbox import FaultRule, SandboxServer

TTS = "/v1/tools/text-to-speech"
AVATAR = "/v1/tools/generate-avatar"
SCRIPT = "Hello and welcome to the quarterly update from the studio team."

#: `async with session() as (queue, store):` is one run of the app, from start to quit.
Session = Callable[..., AbstractAsyncContextManager[tuple[RenderQueue, JobStore]]]


def frames(path: Path) -> int:
    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))


@pytest.fixture
def app_session(sandbox: SandboxServer, tmp_path: Path) -> Session:
    @asynccontextmanager
    async def session(
        *, start: bool = True, paused: bool = False
    ) -> AsyncIterator[tuple[RenderQueue, JobStore]]:
        async with VideoGenClient(
            sandbox.base_url, sandbox.api_key, retry=RetryPolicy(base_delay_s=0.01)
        ) as client:
            store = JobStore(tmp_path / "jobs.sqlite3")
            queue = RenderQueue(
                client, store, output_dir=tmp_path / "videos", poll_interval=0.02, max_poll_interval=0.1
            )
            if paused:
                queue.pause()
            if start:
                await queue.start()
            try:
                yield queue, store
            finally:
                await queue.aclose()
                store.close()

    return session


VOICE: dict[str, str] = {}


@pytest.fixture
async def presenter_id(sandbox: SandboxServer) -> str:
    async with VideoGenClient(sandbox.base_url, sandbox.api_key) as client:
        # Generation B requires a voice on text-to-speech: every spec built by `spec()` carries one.
        VOICE["id"] = next(v.voice_id for v in await client.list_voices() if v.supports_direct_tool_execution)
        return (await client.list_presenters())[0].avatar_presenter_id


def spec(presenter_id: str, script: str = SCRIPT) -> RenderSpec:
    voice = VOICE.get("id")
    return RenderSpec(presenter_id=presenter_id, script=script, presenter_name="Ada", voice_id=voice)


async def test_restart_while_rendering_resumes_polling(
    app_session: Session,
    sandbox: SandboxServer,
    presenter_id: str,
) -> None:
    async with app_session() as (queue, store):
        job = queue.submit(spec(presenter_id))
        rendering = await wait_job(queue, job.job_id, lambda j: j.state is JobState.AVATAR_RUNNING)
        await queue.aclose()  # the user quits mid-render
        saved = store.get(job.job_id)
    assert saved is not None and saved.state is JobState.AVATAR_RUNNING
    assert saved.avatar_execution_id == rendering.avatar_execution_id
    log_before_restart = len(sandbox.request_log)

    async with app_session() as (queue, _store):
        done = await wait_job(queue, job.job_id)

    assert done.state is JobState.DONE, done.error_message
    assert frames(Path(done.output_path or "")) > 0
    assert (posts(sandbox, TTS), posts(sandbox, AVATAR)) == (1, 1)
    after = sandbox.request_log[log_before_restart:]
    assert any(r.method == "GET" and r.path.endswith(saved.avatar_execution_id or "?") for r in after)


async def test_restart_while_downloading_resumes_the_partial_file(
    app_session: Session,
    sandbox: SandboxServer,
    presenter_id: str,
) -> None:
    # Drip the first download (a byte a millisecond) so the app is stopped with part of the file on disk and
    # most of it still to come. (Paced at 100 kB/s, the small clip could finish before the stop landed: then
    # nothing is left to resume, and on a loaded machine that happened.)
    sandbox.faults.add(FaultRule(kind="drip", origin="storage", path=r"/download$", delay_s=0.001))
    async with app_session() as (queue, store):
        job = queue.submit(spec(presenter_id))
        partial = await wait_job(
            queue, job.job_id, lambda j: j.state is JobState.DOWNLOADING and j.stage_progress > 0
        )
        await queue.aclose()
        assert store.get(job.job_id).state is JobState.DOWNLOADING  # type: ignore[union-attr]
    part = Path((partial.output_path or "") + ".part")
    kept = part.stat().st_size
    assert kept > 0

    async with app_session() as (queue, _store):
        done = await wait_job(queue, job.job_id)

    assert done.state is JobState.DONE, done.error_message
    assert done.output_path == partial.output_path and not part.exists()
    downloads = [r for r in sandbox.request_log if r.origin == "storage" and r.path.endswith("/download")]
    assert downloads[-1].headers.get("range") == f"bytes={kept}-"
    assert frames(Path(done.output_path or "")) > 0
    assert (posts(sandbox, TTS), posts(sandbox, AVATAR)) == (1, 1)


@pytest.mark.parametrize("state", [JobState.SUBMITTING_SPEECH, JobState.SUBMITTING_AVATAR])
async def test_crash_during_submit_is_uncertain_and_never_resent(
    app_session: Session,
    sandbox: SandboxServer,
    presenter_id: str,
    tmp_path: Path,
    state: JobState,
) -> None:
    ids: dict[str, str] = {}
    if state is JobState.SUBMITTING_AVATAR:  # the speech step really happened before the "crash"
        async with VideoGenClient(sandbox.base_url, sandbox.api_key) as client:
            tts_id = await client.text_to_speech(TtsRequest(SCRIPT, voice_id=VOICE["id"]))
            speech = await client.wait_for_execution(tts_id, interval=0.02)
        ids = {"tts_execution_id": tts_id, "audio_file_id": speech.results[0].file_id}
    crashed = RenderJob(spec=spec(presenter_id)).advance(state, **ids)
    with JobStore(tmp_path / "jobs.sqlite3") as store:  # what the killed process left on disk
        store.save(crashed)
    tts_before, avatar_before = posts(sandbox, TTS), posts(sandbox, AVATAR)

    async with app_session() as (queue, store):
        job = queue.get(crashed.job_id)
        assert job is not None
        assert job.state is JobState.FAILED and job.uncertain
        assert job.error_message == UNCERTAIN_RESTART_MESSAGE
        assert store.get(job.job_id) == job  # the verdict is persisted, not recomputed each start
        await asyncio.sleep(0.1)  # a (wrongly) resubmitting queue would have sent something by now
        assert (posts(sandbox, TTS), posts(sandbox, AVATAR)) == (tts_before, avatar_before)

        with pytest.raises(ValueError, match="charge it twice"):
            queue.retry(job.job_id)
        queue.retry(job.job_id, confirm_uncertain=True)
        done = await wait_job(queue, job.job_id)

    assert done.state is JobState.DONE, done.error_message
    assert not done.uncertain
    # One POST per step in total: for the avatar case the confirmed retry reused the paid-for speech.
    assert (posts(sandbox, TTS), posts(sandbox, AVATAR)) == (1, 1)
    if ids:
        assert done.audio_file_id == ids["audio_file_id"]


async def test_quitting_during_a_paid_post_waits_for_its_id(
    app_session: Session,
    sandbox: SandboxServer,
    presenter_id: str,
) -> None:
    sandbox.faults.add(FaultRule(kind="delay", path=AVATAR, method="POST", delay_s=0.3))
    async with app_session() as (queue, store):
        job = queue.submit(spec(presenter_id))
        await wait_job(queue, job.job_id, lambda j: j.state is JobState.SUBMITTING_AVATAR)
        await queue.aclose()  # quit while the generate-avatar POST is on the wire
        saved = store.get(job.job_id)
    # Not "uncertain": the queue let the POST finish and saved the execution id before stopping.
    assert saved is not None and saved.state is JobState.AVATAR_RUNNING and saved.avatar_execution_id

    async with app_session() as (queue, _store):
        done = await wait_job(queue, job.job_id)
    assert done.state is JobState.DONE, done.error_message
    assert (posts(sandbox, TTS), posts(sandbox, AVATAR)) == (1, 1)


async def test_waiting_jobs_survive_a_restart_in_order(
    app_session: Session,
    sandbox: SandboxServer,
    presenter_id: str,
) -> None:
    async with app_session(paused=True) as (queue, _store):
        jobs = [queue.submit(spec(presenter_id, f"Clip {n}. {SCRIPT}")) for n in range(3)]
    started: list[str] = []

    def record_start(event: JobEvent) -> None:
        if event.job.state is JobState.SUBMITTING_SPEECH:
            started.append(event.job.job_id)

    async with app_session(start=False) as (queue, _store):
        queue.concurrency = 1
        queue.subscribe(record_start)
        await queue.start()
        assert [j.job_id for j in queue.jobs()] == [j.job_id for j in reversed(jobs)]  # newest first
        done = [await wait_job(queue, j.job_id) for j in jobs]

    assert [j.state for j in done] == [JobState.DONE] * 3
    assert started == [j.job_id for j in jobs]  # oldest first, as submitted
    assert (posts(sandbox, TTS), posts(sandbox, AVATAR)) == (3, 3)
