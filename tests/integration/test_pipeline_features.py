"""What the studio asks of the pipeline beyond a plain render, against the loopback sandbox.

Free requests that glitch once (a malformed 200 on a poll or hydrate, a 5xx or a reset from the storage
origin) never fail a render; an execution awaiting approval is waited for, not failed; variations
(numResults), the user's own audio, the actor form; a burst of submissions in one store transaction; a
damaged or newer job database at the queue's level.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import math
import sqlite3
import struct
import threading
import wave
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import av
import pytest
from sandbox_helpers import WAIT_S, posts, wait_job

from videogen_studio.api.client import VideoGenClient
from videogen_studio.api.errors import LocalFileError
from videogen_studio.api.models import AvatarQuality
from videogen_studio.api.retry import RetryPolicy
from videogen_studio.pipeline.failures import FailureKind, kind_of
from videogen_studio.pipeline.jobs import JobState, RenderJob, RenderSpec
from videogen_studio.pipeline.queue import JobEvent, RenderQueue
from videogen_studio.pipeline.store import JobStore, StoreReadOnly
from videogen_studio.sandbox import FaultRule, SandboxConfig, SandboxServer

TTS = "/v1/tools/text-to-speech"
AVATAR = "/v1/tools/generate-avatar"
UPLOAD = "/v1/files/upload"
SCRIPT = "Welcome back to the studio; here is this week's short update."


def generation_c(*, approval: bool = False) -> SandboxConfig:
    config = SandboxConfig.fast("C")
    config.approval_required = approval
    return config


def frames(path: Path) -> int:
    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))


@pytest.fixture
async def client(sandbox: SandboxServer) -> AsyncIterator[VideoGenClient]:
    async with VideoGenClient(sandbox.base_url, sandbox.api_key, retry=RetryPolicy(base_delay_s=0.01)) as c:
        yield c


@pytest.fixture
async def bare_client(sandbox: SandboxServer) -> AsyncIterator[VideoGenClient]:
    """A client that never repeats a request itself: every glitch reaches the pipeline."""
    policy = RetryPolicy(max_attempts=1, base_delay_s=0.01)
    async with VideoGenClient(sandbox.base_url, sandbox.api_key, retry=policy) as c:
        yield c


@pytest.fixture
async def voice_id(client: VideoGenClient) -> str:
    return next(v.voice_id for v in await client.list_voices() if v.supports_direct_tool_execution)


@pytest.fixture
async def presenter_id(client: VideoGenClient) -> str:
    return (await client.list_presenters())[0].avatar_presenter_id


def make_spec(presenter_id: str, voice_id: str, **changes: Any) -> RenderSpec:
    options: dict[str, Any] = {"script": SCRIPT, "voice_id": voice_id, "presenter_name": "Ada"} | changes
    return RenderSpec(presenter_id=presenter_id, **options)


# ------------------------------------------------------------------------------- free-request glitches
GLITCHES = [
    pytest.param(
        FaultRule(kind="malformed", path=r"^/v1/tools/executions/[^/]+$", method="GET"),
        id="poll-malformed-200",
    ),
    pytest.param(
        FaultRule(kind="status", status=500, path=r"^/v1/tools/executions/[^/]+$", method="GET"),
        id="poll-500",
    ),
    pytest.param(
        FaultRule(kind="reset", path=r"^/v1/tools/executions/[^/]+$", method="GET"), id="poll-reset"
    ),
    pytest.param(FaultRule(kind="malformed", path=r"/hydrate$", method="POST"), id="hydrate-malformed-200"),
    pytest.param(FaultRule(kind="status", status=500, origin="storage"), id="storage-500"),
    pytest.param(FaultRule(kind="reset", origin="storage"), id="storage-reset"),
]


@pytest.mark.parametrize("fault", GLITCHES)
async def test_one_glitch_on_a_free_request_never_fails_the_render(
    make_queue: Callable[..., RenderQueue],
    bare_client: VideoGenClient,
    sandbox: SandboxServer,
    presenter_id: str,
    voice_id: str,
    fault: FaultRule,
) -> None:
    queue = make_queue(use_client=bare_client)
    await queue.start()
    sandbox.faults.add(fault)
    done = await wait_job(queue, queue.submit(make_spec(presenter_id, voice_id)).job_id)
    assert done.state is JobState.DONE, (done.error_kind, done.error_message)
    assert frames(Path(done.output_path or "")) > 0
    assert (posts(sandbox, TTS), posts(sandbox, AVATAR)) == (1, 1)  # paid steps untouched by the glitch
    glitches = queue.stats["poll_glitches"] + queue.stats["download_glitches"]
    assert glitches >= 1  # the pipeline itself absorbed it (this client does not repeat requests)


async def test_a_paid_post_keeps_the_strict_rule(
    make_queue: Callable[..., RenderQueue],
    bare_client: VideoGenClient,
    sandbox: SandboxServer,
    presenter_id: str,
    voice_id: str,
) -> None:
    queue = make_queue(use_client=bare_client)
    await queue.start()
    sandbox.faults.add(FaultRule(kind="status", status=500, path=AVATAR, method="POST"))
    failed = await wait_job(queue, queue.submit(make_spec(presenter_id, voice_id)).job_id)
    assert failed.state is JobState.FAILED and failed.uncertain
    assert failed.error_kind == FailureKind.UNCERTAIN
    assert (posts(sandbox, TTS), posts(sandbox, AVATAR)) == (1, 1)  # never repeated on its own


# ------------------------------------------------------------------------------------------ approval
@pytest.mark.parametrize("sandbox_config", [generation_c(approval=True)])
async def test_awaiting_approval_is_waited_for_and_shown(
    make_queue: Callable[..., RenderQueue], client: VideoGenClient, sandbox: SandboxServer, voice_id: str
) -> None:
    actor = (await client.list_entities())[0].entity_id
    queue = make_queue()
    await queue.start()
    seen: list[RenderJob] = []

    def approve_when_waiting(event: JobEvent) -> None:
        if event.job.awaiting_approval:
            seen.append(event.job)
            for execution_id in sandbox.state.awaiting_approval():
                sandbox.state.approve(execution_id)

    queue.subscribe(approve_when_waiting)
    job = queue.submit(make_spec(actor, voice_id, avatar_form="actor"))
    done = await wait_job(queue, job.job_id)
    assert done.state is JobState.DONE, (done.error_kind, done.error_message)
    assert seen, "the job never showed it was waiting for approval"
    assert all(not j.state.is_terminal and j.status_label == "Waiting for approval" for j in seen)
    assert done.awaiting_approval is False
    assert (posts(sandbox, TTS), posts(sandbox, AVATAR)) == (1, 1)


@pytest.mark.parametrize("sandbox_config", [generation_c(approval=True)])
async def test_a_job_left_waiting_for_approval_is_neither_failed_nor_done(
    make_queue: Callable[..., RenderQueue], client: VideoGenClient, sandbox: SandboxServer, voice_id: str
) -> None:
    actor = (await client.list_entities())[0].entity_id
    queue = make_queue()
    await queue.start()
    job = queue.submit(make_spec(actor, voice_id, avatar_form="actor"))
    waiting = await wait_job(queue, job.job_id, lambda j: j.awaiting_approval)
    assert waiting.state in (JobState.SPEECH_RUNNING, JobState.AVATAR_RUNNING)
    polls = queue.stats["polls"]
    for _ in range(1000):  # a few more (slow) polls while nobody approves; hang guard only
        if queue.stats["polls"] >= polls + 2:
            break
        await asyncio.sleep(0.01)
    assert queue.stats["polls"] >= polls + 2
    still = queue.get(job.job_id)
    assert still is not None and not still.state.is_terminal and still.awaiting_approval


# --------------------------------------------------------------------------------------- actor form
@pytest.mark.parametrize("sandbox_config", [generation_c()])
async def test_actor_form_renders_with_its_quality(
    make_queue: Callable[..., RenderQueue], client: VideoGenClient, sandbox: SandboxServer, voice_id: str
) -> None:
    actor = (await client.list_entities())[0].entity_id
    queue = make_queue()
    await queue.start()
    spec = make_spec(actor, voice_id, avatar_form="actor", avatar_quality=AvatarQuality.HIGH)
    done = await wait_job(queue, queue.submit(spec).job_id)
    assert done.state is JobState.DONE, (done.error_kind, done.error_message)
    assert frames(Path(done.output_path or "")) > 0
    params = sandbox.state.executions[done.avatar_execution_id or ""].params
    assert params["actorEntityId"] == actor and params["avatarQuality"] == "HIGH"
    assert params["audioFileId"] == done.audio_file_id


# ----------------------------------------------------------------------------------------- variations
async def test_every_result_of_num_results_is_downloaded(
    make_queue: Callable[..., RenderQueue],
    sandbox: SandboxServer,
    presenter_id: str,
    voice_id: str,
    tmp_path: Path,
) -> None:
    queue = make_queue()
    await queue.start()
    done = await wait_job(queue, queue.submit(make_spec(presenter_id, voice_id, num_results=3)).job_id)
    assert done.state is JobState.DONE, (done.error_kind, done.error_message)
    assert len(done.video_file_ids) == 3 and len(set(done.video_file_ids)) == 3
    assert done.video_file_id == done.video_file_ids[0]
    assert len(done.output_paths) == 3 and done.output_path == done.output_paths[0]
    assert len({Path(p).name for p in done.output_paths}) == 3
    assert all(frames(Path(p)) > 0 for p in done.output_paths)
    assert all(Path(p).parent == tmp_path / "videos" for p in done.output_paths)
    assert (posts(sandbox, TTS), posts(sandbox, AVATAR)) == (1, 1)  # one paid avatar for all three


# ------------------------------------------------------------------------------------------ own audio
def write_wav(path: Path, seconds: float = 1.5, rate: int = 16_000) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        samples = (int(8000 * math.sin(2 * math.pi * 220 * n / rate)) for n in range(int(seconds * rate)))
        out.writeframes(b"".join(struct.pack("<h", s) for s in samples))
    return path


async def test_own_audio_is_uploaded_and_no_speech_is_bought(
    make_queue: Callable[..., RenderQueue], sandbox: SandboxServer, presenter_id: str, tmp_path: Path
) -> None:
    audio = write_wav(tmp_path / "my voice.wav")
    queue = make_queue()
    await queue.start()
    labels: list[str] = []
    queue.subscribe(lambda e: labels.append(e.job.status_label))
    spec = RenderSpec(presenter_id=presenter_id, script="", audio_path=str(audio), presenter_name="Ada")
    done = await wait_job(queue, queue.submit(spec).job_id)
    assert done.state is JobState.DONE, (done.error_kind, done.error_message)
    assert done.tts_execution_id is None and done.audio_file_id
    assert (posts(sandbox, TTS), posts(sandbox, UPLOAD), posts(sandbox, AVATAR)) == (0, 1, 1)
    assert "Uploading audio" in labels
    assert frames(Path(done.output_path or "")) > 0


async def test_a_missing_own_audio_file_fails_before_anything_is_paid(
    make_queue: Callable[..., RenderQueue], sandbox: SandboxServer, presenter_id: str, tmp_path: Path
) -> None:
    queue = make_queue()
    await queue.start()
    spec = RenderSpec(presenter_id=presenter_id, script="", audio_path=str(tmp_path / "gone.wav"))
    failed = await wait_job(queue, queue.submit(spec).job_id)
    assert failed.state is JobState.FAILED and failed.error_kind == "local_file"
    assert "gone.wav" in (failed.error_message or "")
    assert (posts(sandbox, TTS), posts(sandbox, UPLOAD), posts(sandbox, AVATAR)) == (0, 0, 0)


# ------------------------------------------------------------------------------------ retry changes
async def test_retry_with_a_new_script_buys_the_speech_again(
    make_queue: Callable[..., RenderQueue], sandbox: SandboxServer, presenter_id: str, voice_id: str
) -> None:
    queue = make_queue()
    await queue.start()
    job = queue.submit(make_spec(presenter_id, voice_id, watermark_mode="NONE"))
    failed = await wait_job(queue, job.job_id)
    assert failed.error_kind == FailureKind.AVATAR_REFUSED_SPEECH_KEPT
    retried = queue.retry(job.job_id, changes={"script": "Another script.", "watermark_mode": "AUTO"})
    assert retried.audio_file_id is None and retried.tts_execution_id is None
    done = await wait_job(queue, job.job_id)
    assert done.state is JobState.DONE, done.error_message
    assert done.spec.script == "Another script."
    assert (posts(sandbox, TTS), posts(sandbox, AVATAR)) == (2, 2)


async def test_retry_with_a_display_change_pays_nothing_again(
    make_queue: Callable[..., RenderQueue], sandbox: SandboxServer, presenter_id: str, voice_id: str
) -> None:
    queue = make_queue()
    await queue.start()
    sandbox.faults.add(FaultRule(kind="status", status=404, path=r"/hydrate$", method="POST", times=None))
    job = queue.submit(make_spec(presenter_id, voice_id))
    failed = await wait_job(queue, job.job_id)
    assert failed.state is JobState.FAILED
    sandbox.faults.clear()
    queue.retry(job.job_id, changes={"title": "Week 49"})
    done = await wait_job(queue, job.job_id)
    assert done.spec.title == "Week 49"
    assert posts(sandbox, TTS) == 1


# ------------------------------------------------------------------------------------- submit bursts
async def test_submit_many_is_one_store_write_and_batched_events(
    make_queue: Callable[..., RenderQueue],
    store: JobStore,
    sandbox: SandboxServer,
    presenter_id: str,
    voice_id: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    queue = make_queue(concurrency=4)
    queue.pause()
    await queue.start()
    writes: list[str] = []
    real_save, real_save_many = store.save, store.save_many
    monkeypatch.setattr(store, "save", lambda *a, **k: (writes.append("save"), real_save(*a, **k))[1])
    monkeypatch.setattr(
        store, "save_many", lambda *a, **k: (writes.append("save_many"), real_save_many(*a, **k))[1]
    )
    events: list[JobEvent] = []
    queue.subscribe(events.append)

    # Told apart by title only: identical media, so the sandbox copies instead of encoding 20 clips.
    jobs = queue.submit_many([make_spec(presenter_id, voice_id, title=f"Clip {i}") for i in range(20)])

    assert writes == ["save_many"]  # one transaction for the whole burst
    assert [e.kind for e in events] == ["added"] * 20
    assert [e.batch_remaining for e in events] == list(range(19, -1, -1))
    assert [e.job.job_id for e in events] == [j.job_id for j in jobs]
    assert [j.job_id for j in queue.jobs()] == [j.job_id for j in reversed(jobs)]  # newest first, stable
    assert {j.job_id for j in store.load_all()} == {j.job_id for j in jobs}
    monkeypatch.undo()
    queue.resume()
    done = [await wait_job(queue, j.job_id) for j in jobs]
    assert all(j.state is JobState.DONE for j in done), [j.error_message for j in done]
    assert posts(sandbox, AVATAR) == 20


# --------------------------------------------------------------------------------- damaged databases
async def test_a_corrupt_database_starts_an_empty_queue_that_works(
    client: VideoGenClient, sandbox: SandboxServer, presenter_id: str, voice_id: str, tmp_path: Path
) -> None:
    path = tmp_path / "data" / "jobs.sqlite3"
    path.parent.mkdir()
    path.write_bytes(b"SQLite format 3\x00" + b"\xde\xad\xbe\xef" * 2000)
    store = JobStore(path)
    queue = RenderQueue(
        client, store, output_dir=tmp_path / "videos", poll_interval=0.02, max_poll_interval=0.1
    )
    try:
        assert store.recovery_notice and "moved aside" in store.recovery_notice
        await queue.start()
        assert queue.jobs() == []
        done = await wait_job(queue, queue.submit(make_spec(presenter_id, voice_id)).job_id)
        assert done.state is JobState.DONE, done.error_message
    finally:
        await queue.aclose()
        store.close()


async def test_a_newer_database_is_shown_read_only_and_never_written(
    client: VideoGenClient, sandbox: SandboxServer, presenter_id: str, voice_id: str, tmp_path: Path
) -> None:
    path = tmp_path / "jobs.sqlite3"
    unfinished = RenderJob(spec=make_spec(presenter_id, voice_id)).advance(
        JobState.SUBMITTING_AVATAR, audio_file_id="f"
    )
    with JobStore(path) as store:
        store.save(unfinished)
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 99")
    db.close()
    before = path.read_bytes()
    store = JobStore(path)
    queue = RenderQueue(client, store, output_dir=tmp_path / "videos")
    try:
        assert store.read_only and store.recovery_notice
        await queue.start()
        shown = queue.get(unfinished.job_id)
        assert shown is not None and shown.state is JobState.SUBMITTING_AVATAR  # not recovered, not driven
        with pytest.raises(StoreReadOnly) as refused:
            queue.submit(make_spec(presenter_id, voice_id))
        assert isinstance(refused.value, LocalFileError) and kind_of(refused.value) == "local_file"
    finally:
        await queue.aclose()
        store.close()
    assert path.read_bytes() == before
    assert posts(sandbox, TTS) == posts(sandbox, AVATAR) == 0


async def test_a_queue_of_many_jobs_completes_each_paid_once(
    make_queue: Callable[..., RenderQueue],
    store: JobStore,
    sandbox: SandboxServer,
    presenter_id: str,
    voice_id: str,
) -> None:
    queue = make_queue(concurrency=10)
    await queue.start()
    # 25 jobs: two and a half times the concurrency, so most wait their turn. One script, told apart by
    # title (display only): every job still buys its own speech and clip, but the sandbox copies identical
    # renders instead of encoding 25 (these tests share two cores).
    count = 25
    specs = [make_spec(presenter_id, voice_id, title=f"Clip number {i}") for i in range(count)]
    jobs = queue.submit_many(specs)
    done = [await wait_job(queue, j.job_id) for j in jobs]
    assert [j.state for j in done] == [JobState.DONE] * count, {j.error_message for j in done}
    assert len({j.job_id for j in done}) == len({j.output_path for j in done}) == count  # a video each
    assert (posts(sandbox, TTS), posts(sandbox, AVATAR)) == (count, count)
    assert queue.stats["polls"] >= 2 * count  # at least one status poll per step
    assert not store.leases() or all(lease.owner == queue.owner for lease in store.leases().values())


# --------------------------------------------------------------------------------------------- secrets
@pytest.mark.parametrize("status", [400, 401])
async def test_a_server_echoing_the_key_never_gets_it_into_the_job_database(
    make_queue: Callable[..., RenderQueue],
    sandbox: SandboxServer,
    presenter_id: str,
    voice_id: str,
    tmp_path: Path,
    status: int,
) -> None:
    queue = make_queue()
    await queue.start()
    sandbox.faults.add_profile("echo_key", path=AVATAR, method="POST", status=status, times=1)
    failed = await wait_job(queue, queue.submit(make_spec(presenter_id, voice_id)).job_id)
    assert failed.state is JobState.FAILED
    assert sandbox.api_key not in f"{failed.error_message} {failed.error_hint}"
    await queue.aclose()
    written = b"".join(p.read_bytes() for p in tmp_path.glob("jobs.sqlite3*"))
    assert written and sandbox.api_key.encode() not in written


# -------------------------------------------------------------------------------------------- restarts
async def test_a_restart_mid_upload_uploads_again_and_pays_once(
    client: VideoGenClient, sandbox: SandboxServer, presenter_id: str, tmp_path: Path
) -> None:
    audio = write_wav(tmp_path / "mine.wav")
    spec = RenderSpec(presenter_id=presenter_id, script="", audio_path=str(audio))
    crashed = RenderJob(spec=spec).advance(JobState.SPEECH_RUNNING)  # killed while uploading
    with JobStore(tmp_path / "jobs.sqlite3") as store:
        store.save(crashed)
    store = JobStore(tmp_path / "jobs.sqlite3")
    queue = RenderQueue(
        client, store, output_dir=tmp_path / "videos", poll_interval=0.02, max_poll_interval=0.1
    )
    try:
        await queue.start()
        done = await wait_job(queue, crashed.job_id)
        assert done.state is JobState.DONE, done.error_message
        assert (posts(sandbox, TTS), posts(sandbox, UPLOAD), posts(sandbox, AVATAR)) == (0, 1, 1)
    finally:
        await queue.aclose()
        store.close()


async def test_a_restart_after_the_upload_does_not_upload_again(
    client: VideoGenClient, sandbox: SandboxServer, presenter_id: str, tmp_path: Path
) -> None:
    # M11: killed after the uploaded file's id was saved, before the video step was submitted.
    audio = write_wav(tmp_path / "mine.wav")
    file_id = await client.upload_file(audio, file_type="AUDIO")
    spec = RenderSpec(presenter_id=presenter_id, script="", audio_path=str(audio))
    crashed = RenderJob(spec=spec).advance(JobState.SPEECH_RUNNING).update(audio_file_id=file_id)
    with JobStore(tmp_path / "jobs.sqlite3") as store:
        store.save(crashed)
    store = JobStore(tmp_path / "jobs.sqlite3")
    queue = RenderQueue(
        client, store, output_dir=tmp_path / "videos", poll_interval=0.02, max_poll_interval=0.1
    )
    try:
        await queue.start()
        done = await wait_job(queue, crashed.job_id)
        assert done.state is JobState.DONE, done.error_message
        assert done.audio_file_id == file_id
        assert (posts(sandbox, TTS), posts(sandbox, UPLOAD), posts(sandbox, AVATAR)) == (0, 1, 1)
    finally:
        await queue.aclose()
        store.close()


async def test_a_restart_mid_variations_downloads_only_what_is_missing(
    client: VideoGenClient, sandbox: SandboxServer, presenter_id: str, voice_id: str, tmp_path: Path
) -> None:
    store = JobStore(tmp_path / "jobs.sqlite3")
    queue = RenderQueue(
        client, store, output_dir=tmp_path / "videos", poll_interval=0.02, max_poll_interval=0.1
    )
    await queue.start()
    done = await wait_job(queue, queue.submit(make_spec(presenter_id, voice_id, num_results=2)).job_id)
    assert done.state is JobState.DONE, done.error_message
    await queue.aclose()
    # As if the app had died after the first result: the second file is missing, the job still downloading.
    first, second = (Path(p) for p in done.output_paths)
    kept = first.read_bytes()
    second.unlink()
    store.save(dataclasses.replace(done, state=JobState.DOWNLOADING, finished_at=None))
    again = RenderQueue(
        client, store, output_dir=tmp_path / "videos", poll_interval=0.02, max_poll_interval=0.1
    )
    try:
        await again.start()
        redone = await wait_job(again, done.job_id)
        assert redone.state is JobState.DONE and redone.output_paths == done.output_paths
        assert again.stats["downloads"] == 1  # only the missing one
        assert first.read_bytes() == kept and frames(second) > 0
        assert posts(sandbox, AVATAR) == 1
    finally:
        await again.aclose()
        store.close()


@pytest.mark.parametrize("sandbox_config", [generation_c(approval=True)])
async def test_cancel_while_waiting_for_approval_cancels(
    make_queue: Callable[..., RenderQueue], client: VideoGenClient, sandbox: SandboxServer, voice_id: str
) -> None:
    actor = (await client.list_entities())[0].entity_id
    queue = make_queue()
    await queue.start()
    job = queue.submit(make_spec(actor, voice_id, avatar_form="actor"))
    await wait_job(queue, job.job_id, lambda j: j.awaiting_approval)
    cancelled = await queue.cancel(job.job_id)
    assert cancelled.state is JobState.CANCELLED and cancelled.awaiting_approval is False
    assert cancelled.notice is None


class CountingStore(JobStore):
    """A real store that also records every job write: (state, audio_file_id, durable)."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.writes: list[tuple[JobState, str | None, bool]] = []

    def save(self, job: RenderJob, *, durable: bool = False, **kwargs: Any) -> None:
        self.writes.append((job.state, job.audio_file_id, durable))
        super().save(job, durable=durable, **kwargs)


async def test_a_render_writes_each_paid_step_durably_and_little_else(
    client: VideoGenClient, sandbox: SandboxServer, presenter_id: str, voice_id: str, tmp_path: Path
) -> None:
    # Issue 11 item 3: a burst of renders costs the GUI thread one write per step that guards money, not
    # one per progress change; the speech's file id travels with the next state in one fsync.
    store = CountingStore(tmp_path / "counted.sqlite3")
    queue = RenderQueue(
        client, store, output_dir=tmp_path / "videos", poll_interval=0.02, max_poll_interval=0.1
    )
    try:
        await queue.start()
        done = await wait_job(queue, queue.submit(make_spec(presenter_id, voice_id)).job_id)
        assert done.state is JobState.DONE, done.error_message
    finally:
        await queue.aclose()
        store.close()
    states = [state for state, _audio, _durable in store.writes]
    assert (JobState.SPEECH_RUNNING, done.audio_file_id, True) not in store.writes  # no write of its own
    assert (JobState.SUBMITTING_AVATAR, done.audio_file_id, True) in store.writes
    assert all(durable for state, _a, durable in store.writes if state.value.startswith("submitting"))
    assert len(states) <= 7, states  # 2 x (submitting, running + id), downloading, its path, done


class FailingDurableStore(JobStore):
    """The first durable save of a submitting job blocks until released, then fails (a full disk)."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.started, self.release = threading.Event(), threading.Event()
        self.failed = False

    def save(self, job: RenderJob, *, durable: bool = False, **kwargs: Any) -> None:
        if durable and job.state is JobState.SUBMITTING_SPEECH and not self.failed:
            self.failed = True
            self.started.set()
            self.release.wait(WAIT_S)
            raise OSError(28, "No space left on device")
        super().save(job, durable=durable, **kwargs)


async def test_a_stop_during_a_failing_durable_save_stops_and_logs_the_failure(
    client: VideoGenClient,
    sandbox: SandboxServer,
    presenter_id: str,
    voice_id: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The save before the paid POST runs in a worker thread; a shutdown lands while it is still writing,
    # and then the write fails. The stop must go on, nothing be sent, and the failure not vanish.
    store = FailingDurableStore(tmp_path / "failing.sqlite3")
    queue = RenderQueue(client, store, output_dir=tmp_path / "videos", poll_interval=0.02)
    try:
        await queue.start()
        job = queue.submit(make_spec(presenter_id, voice_id))
        assert await asyncio.to_thread(store.started.wait, WAIT_S)
        closing = asyncio.ensure_future(queue.aclose())
        await asyncio.sleep(0.05)  # the stop is asked for while the write is still running
        assert not closing.done()
        with caplog.at_level(logging.WARNING, logger="videogen_studio.pipeline.runner"):
            store.release.set()
            await asyncio.wait_for(closing, WAIT_S)
        saved = store.get(job.job_id)
    finally:
        store.release.set()
        await queue.aclose()
        store.close()
    assert posts(sandbox, TTS) == 0
    assert saved is not None and saved.state is JobState.QUEUED  # stopped with nothing on the wire
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(job.job_id in m and "No space left on device" in m for m in warnings), warnings
