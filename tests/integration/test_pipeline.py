"""The render pipeline against the loopback sandbox: real HTTP, real media, real faults.

Every test drives RenderQueue the way the UI does and checks what reached the server (the sandbox's request
log), what ended up on disk (decoded with PyAV) and what the user would be told (message + hint).
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import random
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import av
import pytest
from sandbox_helpers import posts, wait_job

from videogen_studio.api.client import VideoGenClient
from videogen_studio.api.errors import AddOnRequired, AuthError, InsufficientCredits, LocalFileError
from videogen_studio.api.models import TtsRequest, WatermarkMode
from videogen_studio.api.retry import RetryPolicy
from videogen_studio.pipeline.failures import FailureKind
from videogen_studio.pipeline.jobs import JobState, RenderJob, RenderSpec
from videogen_studio.pipeline.queue import JobEvent, RenderQueue
from videogen_studio.pipeline.runner import CANCEL_TOO_LATE_NOTICE, PollPacer
from videogen_studio.pipeline.store import JobStore
from videogen_studio.sandbox import FaultRule, SandboxAccount, SandboxServer

TTS = "/v1/tools/text-to-speech"
AVATAR = "/v1/tools/generate-avatar"
SCRIPT = "Hello and welcome to the quarterly update from the studio team."


# ------------------------------------------------------------------------------------------ helpers


def in_state(state: JobState) -> Callable[[RenderJob], bool]:
    return lambda job: job.state is state


def decode(path: Path) -> tuple[int, float]:
    """(video frames decoded, container duration in seconds): proves the MP4 is real and complete."""
    with av.open(str(path)) as container:
        assert container.duration is not None
        duration = container.duration / 1_000_000
        frames = sum(1 for _ in container.decode(video=0))
    return frames, duration


@pytest.fixture
async def client(sandbox: SandboxServer) -> AsyncIterator[VideoGenClient]:
    async with VideoGenClient(sandbox.base_url, sandbox.api_key, retry=RetryPolicy(base_delay_s=0.01)) as c:
        yield c


@pytest.fixture
async def queue(make_queue: Callable[..., RenderQueue]) -> AsyncIterator[RenderQueue]:
    q = make_queue()
    await q.start()
    yield q
    await q.aclose()


VOICE: dict[str, str] = {}


@pytest.fixture
async def presenter_id(client: VideoGenClient) -> str:
    # Generation B requires a voice on text-to-speech: every spec built by `spec()` carries one.
    VOICE["id"] = next(v.voice_id for v in await client.list_voices() if v.supports_direct_tool_execution)
    return (await client.list_presenters())[0].avatar_presenter_id


def spec(presenter_id: str, script: str = SCRIPT, **changes: object) -> RenderSpec:
    options: dict[str, object] = {"voice_id": VOICE.get("id"), "presenter_name": "Ada"} | changes
    return RenderSpec(presenter_id=presenter_id, script=script, **options)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------- happy path
async def test_full_render_to_done(
    queue: RenderQueue, sandbox: SandboxServer, store: JobStore, presenter_id: str, tmp_path: Path
) -> None:
    events: list[JobEvent] = []
    queue.subscribe(events.append)
    job = queue.submit(spec(presenter_id))
    assert store.get(job.job_id) == job  # persisted QUEUED before anything else happens

    done = await wait_job(queue, job.job_id)

    assert done.state is JobState.DONE, done.error_message
    assert done.progress == 1.0 and done.attempts == 1
    assert done.tts_execution_id and done.audio_file_id and done.avatar_execution_id and done.video_file_id
    out = Path(done.output_path or "")
    assert out.parent == tmp_path / "videos"
    assert out.name == f"Ada - Hello and welcome to the quarterly - {done.job_id[:6]}.mp4"
    assert not out.with_name(out.name + ".part").exists()
    frames, duration = decode(out)
    assert frames > 0
    assert done.duration_seconds == pytest.approx(duration, abs=0.1)
    # Exactly one paid request per step, and the store agrees with what the UI was told.
    assert posts(sandbox, TTS) == 1
    assert posts(sandbox, AVATAR) == 1
    assert store.get(job.job_id) == done
    states = [e.job.state for e in events if e.kind == "changed"]
    seen = list(dict.fromkeys(states))
    assert seen == [
        JobState.SUBMITTING_SPEECH,
        JobState.SPEECH_RUNNING,
        JobState.SUBMITTING_AVATAR,
        JobState.AVATAR_RUNNING,
        JobState.DOWNLOADING,
        JobState.DONE,
    ]
    assert events[0].kind == "added"
    progress = [e.job.progress for e in events]
    assert progress == sorted(progress)  # the bar never jumps backwards
    assert queue.stats["polls"] >= 2 and queue.stats["jobs_done"] == 1
    assert queue.jobs() == [done]


async def test_spec_options_reach_the_server(
    queue: RenderQueue, sandbox: SandboxServer, presenter_id: str, tmp_path: Path
) -> None:
    custom = tmp_path / "custom out"
    job = queue.submit(
        spec(presenter_id, voice_speed=1.5, replacements=(("Ada", "Ay-da"),), output_dir=str(custom))
    )
    done = await wait_job(queue, job.job_id)
    assert done.state is JobState.DONE, done.error_message
    assert Path(done.output_path or "").parent == custom
    assert decode(Path(done.output_path or ""))[0] > 0


# ---------------------------------------------------------------------------------------- cancel
async def test_cancel_mid_render_cancels_on_the_server(
    queue: RenderQueue, sandbox: SandboxServer, client: VideoGenClient, presenter_id: str
) -> None:
    sandbox.config.avatar_running_s = 30.0  # read at submit time: the cancel surely lands mid-render
    job = queue.submit(spec(presenter_id))
    running = await wait_job(queue, job.job_id, in_state(JobState.AVATAR_RUNNING))
    execution_id = running.avatar_execution_id
    assert execution_id

    cancelled = await queue.cancel(job.job_id)

    assert cancelled.state is JobState.CANCELLED
    assert queue.get(job.job_id) == cancelled
    cancel_path = f"/v1/tools/executions/{execution_id}/cancel"
    assert posts(sandbox, cancel_path) == 1
    assert (await client.get_execution(execution_id)).status == "cancelled"
    # The cancelled execution is forgotten (Retry must render again) but the paid audio is kept.
    assert cancelled.avatar_execution_id is None and cancelled.audio_file_id == running.audio_file_id

    sandbox.config.avatar_running_s = 0.05
    queue.retry(job.job_id)
    done = await wait_job(queue, job.job_id)
    assert done.state is JobState.DONE, done.error_message
    assert posts(sandbox, TTS) == 1  # speech was not bought again
    assert posts(sandbox, AVATAR) == 2


async def test_cancel_after_the_render_finished_keeps_the_paid_result(
    make_queue: Callable[..., RenderQueue],
    sandbox: SandboxServer,
    client: VideoGenClient,
    presenter_id: str,
) -> None:
    queue = make_queue()
    await queue.start()

    def slow_polling_once_rendering(event: JobEvent) -> None:
        if event.job.state is JobState.AVATAR_RUNNING:  # the runner now sleeps before its first poll
            queue.pacer.interval = queue.pacer.max_interval = 30.0

    queue.subscribe(slow_polling_once_rendering)
    job = queue.submit(spec(presenter_id))
    running = await wait_job(queue, job.job_id, in_state(JobState.AVATAR_RUNNING))
    assert running.avatar_execution_id
    await client.wait_for_execution(running.avatar_execution_id, interval=0.02)  # done on the server

    done = await queue.cancel(job.job_id)  # the user was a moment too late

    # Not "Cancelled": the render was finished and charged, so it is downloaded and the user told why.
    assert done.state is JobState.DONE, done.error_message
    assert done.notice == CANCEL_TOO_LATE_NOTICE
    assert posts(sandbox, f"/v1/tools/executions/{running.avatar_execution_id}/cancel") == 1  # got a 409
    assert done.avatar_execution_id == running.avatar_execution_id
    assert decode(Path(done.output_path or ""))[0] > 0
    assert (posts(sandbox, TTS), posts(sandbox, AVATAR)) == (1, 1)  # collected, not rendered again
    assert queue.get(job.job_id) == done


async def test_cancel_a_waiting_job_is_local(
    make_queue: Callable[..., RenderQueue], sandbox: SandboxServer, presenter_id: str
) -> None:
    queue = make_queue()
    queue.pause()
    await queue.start()
    try:
        job = queue.submit(spec(presenter_id))
        before = len(sandbox.request_log)
        cancelled = await queue.cancel(job.job_id)
        assert cancelled.state is JobState.CANCELLED
        assert len(sandbox.request_log) == before  # nothing to tell the server
        assert await queue.cancel(job.job_id) == cancelled  # cancelling twice is harmless
        queue.resume()
        assert queue.get(job.job_id) == cancelled  # resuming does not revive it
    finally:
        await queue.aclose()


async def test_start_only_drives_the_chosen_jobs_and_leaves_other_waiting_ones_free(
    make_queue: Callable[..., RenderQueue], store: JobStore, sandbox: SandboxServer, presenter_id: str
) -> None:
    # M10: a command-line run on a folder where a GUI left renders waiting pays only for its own.
    left = RenderJob(spec=spec(presenter_id, "Left waiting by the app."))
    chosen = RenderJob(spec=spec(presenter_id, "Resumed from the command line."))
    store.save_many([left, chosen])
    cli = make_queue()
    await cli.start(only={chosen.job_id})
    assert store.lease(left.job_id) is None  # not even claimed: the app may take it any time
    mine = cli.submit(spec(presenter_id, "Submitted from the command line."))
    for job_id in (chosen.job_id, mine.job_id):
        assert (await wait_job(cli, job_id)).state is JobState.DONE
    assert cli.get(left.job_id) == left and store.get(left.job_id) == left  # shown, never sent
    assert posts(sandbox, TTS) == 2
    await cli.aclose()
    gui = make_queue()
    await gui.start()
    assert (await wait_job(gui, left.job_id)).state is JobState.DONE
    assert posts(sandbox, TTS) == 3


# ---------------------------------------------------------------------------------------- failures
async def test_failed_execution_fails_the_job_with_the_server_message(
    queue: RenderQueue, sandbox: SandboxServer, presenter_id: str
) -> None:
    message = "The presenter could not lip-sync this audio."
    sandbox.faults.add(FaultRule(kind="fail_execution", path=AVATAR, body=message))
    job = queue.submit(spec(presenter_id))
    failed = await wait_job(queue, job.job_id)

    assert failed.state is JobState.FAILED
    assert failed.error_message == message
    assert failed.error_code == "render_failed"
    assert failed.error_hint and not failed.uncertain
    assert failed.audio_file_id and failed.avatar_execution_id is None

    queue.retry(job.job_id)  # the failure was one-off: a retry renders the video again, not the speech
    done = await wait_job(queue, job.job_id)
    assert done.state is JobState.DONE, done.error_message
    assert (posts(sandbox, TTS), posts(sandbox, AVATAR)) == (1, 2)
    assert done.attempts == 2


async def test_insufficient_credits_fails_with_hint_and_retry_does_not_rebuy(
    make_queue: Callable[..., RenderQueue], sandbox: SandboxServer, presenter_id: str
) -> None:
    sandbox.add_account("vg_key_poor", SandboxAccount(credits=1))  # enough for the speech, not the video
    async with VideoGenClient(
        sandbox.base_url, "vg_key_poor", retry=RetryPolicy(base_delay_s=0.01)
    ) as poor_client:
        queue = make_queue(use_client=poor_client)
        await queue.start()
        try:
            job = queue.submit(spec(presenter_id))
            failed = await wait_job(queue, job.job_id)
            assert failed.state is JobState.FAILED
            assert failed.error_code == "insufficient_credits"
            assert failed.error_message and "credits" in failed.error_message
            assert failed.error_hint == InsufficientCredits.hint
            assert not failed.uncertain  # the server refused: nothing started
            assert (posts(sandbox, TTS), posts(sandbox, AVATAR)) == (1, 1)  # a 402 is not retried

            sandbox.add_account("vg_key_poor", SandboxAccount(credits=100))
            queue.retry(job.job_id)
            done = await wait_job(queue, job.job_id)
            assert done.state is JobState.DONE, done.error_message
            assert (posts(sandbox, TTS), posts(sandbox, AVATAR)) == (1, 2)
        finally:
            await queue.aclose()


async def test_watermark_none_without_add_on_keeps_the_speech_and_retry_can_change_it(
    queue: RenderQueue, sandbox: SandboxServer, presenter_id: str
) -> None:
    job = queue.submit(spec(presenter_id, watermark_mode=WatermarkMode.NONE))
    failed = await wait_job(queue, job.job_id)
    assert failed.state is JobState.FAILED
    assert failed.error_code == "add_on_required"
    assert failed.error_kind == FailureKind.AVATAR_REFUSED_SPEECH_KEPT
    assert failed.error_message == "Removing the watermark requires the Production API add-on."
    assert failed.error_hint == AddOnRequired.hint
    assert failed.audio_file_id and failed.tts_execution_id  # the paid speech is kept
    assert (posts(sandbox, TTS), posts(sandbox, AVATAR)) == (1, 1)

    with pytest.raises(ValueError, match="Unknown render settings: colour"):
        queue.retry(job.job_id, changes={"colour": "red"})
    # Issue 9 defect 7: a retry must not repeat the same failure; it may change the refused setting.
    retried = queue.retry(job.job_id, changes={"watermark_mode": WatermarkMode.AUTO})
    assert retried.spec.watermark_mode == WatermarkMode.AUTO and retried.audio_file_id == failed.audio_file_id
    done = await wait_job(queue, job.job_id)
    assert done.state is JobState.DONE, done.error_message
    assert done.error_kind is None and done.error_message is None
    assert (posts(sandbox, TTS), posts(sandbox, AVATAR)) == (1, 2)  # only the video step again


async def test_revoked_key_fails_with_the_auth_message_and_resumes_after_fix(
    queue: RenderQueue, sandbox: SandboxServer, presenter_id: str
) -> None:
    def revoke_when_rendering(event: JobEvent) -> None:
        if event.job.state is JobState.AVATAR_RUNNING:
            sandbox.revoke_key(sandbox.api_key)  # before the first poll of the avatar execution

    unsubscribe = queue.subscribe(revoke_when_rendering)
    job = queue.submit(spec(presenter_id))
    failed = await wait_job(queue, job.job_id)
    unsubscribe()

    assert failed.state is JobState.FAILED
    assert failed.error_message == "API key is invalid or has been revoked."
    assert failed.error_code == "invalid_api_key"
    assert failed.error_hint == AuthError.hint
    assert failed.avatar_execution_id  # kept: the render itself is fine and paid for

    sandbox.add_account(sandbox.api_key, SandboxAccount())  # the user fixes the key
    queue.retry(job.job_id)
    done = await wait_job(queue, job.job_id)
    assert done.state is JobState.DONE, done.error_message
    assert (posts(sandbox, TTS), posts(sandbox, AVATAR)) == (1, 1)


async def test_revoked_key_before_submit(
    queue: RenderQueue, sandbox: SandboxServer, presenter_id: str
) -> None:
    sandbox.revoke_key(sandbox.api_key)
    failed = await wait_job(queue, queue.submit(spec(presenter_id)).job_id)
    assert failed.state is JobState.FAILED
    assert failed.error_code == "invalid_api_key" and not failed.uncertain
    assert posts(sandbox, TTS) == 1 and posts(sandbox, AVATAR) == 0


async def test_rate_limit_storm_while_polling_still_completes(
    queue: RenderQueue, sandbox: SandboxServer, presenter_id: str
) -> None:
    # Retry-After: 0 keeps the test quick; the client then waits until X-RateLimit-Reset (<= 1 s).
    storm = FaultRule(
        kind="status", status=429, path=r"^/v1/tools/executions/", method="GET", times=3, retry_after=0
    )
    sandbox.faults.add(storm)
    job = queue.submit(spec(presenter_id))
    done = await wait_job(queue, job.job_id)
    assert done.state is JobState.DONE, done.error_message
    assert storm not in sandbox.faults.rules  # all three 429s were served
    assert queue.stats["rate_limit_waits_executions"] >= 3
    assert (posts(sandbox, TTS), posts(sandbox, AVATAR)) == (1, 1)


async def test_truncated_download_completes_via_resume(
    queue: RenderQueue, sandbox: SandboxServer, presenter_id: str
) -> None:
    sandbox.faults.add(FaultRule(kind="truncate", origin="storage", path=r"/download$", after_bytes=20_000))
    job = queue.submit(spec(presenter_id))
    done = await wait_job(queue, job.job_id)

    assert done.state is JobState.DONE, done.error_message
    downloads = [r for r in sandbox.request_log if r.origin == "storage" and r.path.endswith("/download")]
    assert len(downloads) == 2
    assert "range" not in downloads[0].headers
    assert downloads[1].headers["range"] == "bytes=20000-"  # continued the partial file, not from zero
    frames, duration = decode(Path(done.output_path or ""))
    assert frames > 0 and done.duration_seconds == pytest.approx(duration, abs=0.1)


async def test_connection_drop_while_submitting_is_uncertain_and_never_resent(
    queue: RenderQueue, sandbox: SandboxServer, presenter_id: str
) -> None:
    sandbox.faults.add(FaultRule(kind="reset", path=TTS, method="POST"))
    job = queue.submit(spec(presenter_id))
    failed = await wait_job(queue, job.job_id)

    assert failed.state is JobState.FAILED and failed.uncertain
    assert failed.error_message and "charged twice" in failed.error_message
    assert posts(sandbox, TTS) == 1  # the client did not repeat a paid POST that may have landed
    with pytest.raises(ValueError, match="charge it twice"):
        queue.retry(job.job_id)
    assert queue.get(job.job_id) == failed

    queue.retry(job.job_id, confirm_uncertain=True)
    done = await wait_job(queue, job.job_id)
    assert done.state is JobState.DONE, done.error_message
    assert not done.uncertain and done.error_message is None
    assert posts(sandbox, TTS) == 2


@pytest.mark.parametrize(
    ("fault", "says"),
    [
        (FaultRule(kind="garbage", path=AVATAR, method="POST"), "unreadable"),
        (FaultRule(kind="status", status=502, path=AVATAR, method="POST"), "Bad gateway"),
    ],
    ids=["unreadable-2xx", "5xx"],
)
async def test_doubtful_answer_to_a_paid_post_is_uncertain(
    queue: RenderQueue, sandbox: SandboxServer, presenter_id: str, fault: FaultRule, says: str
) -> None:
    sandbox.faults.add(fault)
    failed = await wait_job(queue, queue.submit(spec(presenter_id)).job_id)
    assert failed.state is JobState.FAILED and failed.uncertain
    assert failed.error_message and says in failed.error_message
    assert failed.audio_file_id  # a confirmed retry would only resend the video step
    assert (posts(sandbox, TTS), posts(sandbox, AVATAR)) == (1, 1)


async def test_disk_full_then_retry_only_downloads_again(
    queue: RenderQueue, sandbox: SandboxServer, presenter_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_fsync = os.fsync
    wal = queue.store.path.with_name(queue.store.path.name + "-wal")

    def disk_full(fd: int) -> None:
        if os.path.samestat(os.fstat(fd), os.stat(wal)):  # the job store's log: its few pages still fit
            real_fsync(fd)
            return
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    # The one mocked corner: a real full disk cannot be made on demand (and root ignores permissions).
    monkeypatch.setattr(os, "fsync", disk_full)
    job = queue.submit(spec(presenter_id))
    failed = await wait_job(queue, job.job_id)

    assert failed.state is JobState.FAILED
    assert failed.error_message and failed.error_message.startswith("The disk is full")
    assert failed.error_hint == LocalFileError.hint
    assert failed.video_file_id and failed.resume_state() is JobState.DOWNLOADING

    monkeypatch.setattr(os, "fsync", real_fsync)  # the user frees some space
    queue.retry(job.job_id)
    done = await wait_job(queue, job.job_id)
    assert done.state is JobState.DONE, done.error_message
    assert done.output_path == failed.output_path  # the same file, not "name (2).mp4"
    assert decode(Path(done.output_path or ""))[0] > 0
    assert (posts(sandbox, TTS), posts(sandbox, AVATAR)) == (1, 1)


# ------------------------------------------------------------------------------------------ polling
async def test_poll_back_off_grows_by_half_and_caps(client: VideoGenClient) -> None:
    pacer = PollPacer(client, interval=1.0, max_interval=5.0, rng=random.Random(7))
    for polls_done, nominal in [(0, 1.0), (1, 1.0), (2, 1.5), (3, 2.25), (4, 3.375), (5, 5.0), (40, 5.0)]:
        assert nominal * 0.9 <= pacer.delay(polls_done) <= nominal * 1.1  # ±10 % jitter


async def test_first_poll_is_timed_from_the_expected_duration(client: VideoGenClient) -> None:
    pacer = PollPacer(client, interval=1.0, max_interval=100.0, rng=random.Random(7))
    # Nothing learned yet: the ordinary first interval.
    assert 0.9 <= pacer.first_delay("avatar", 20.0) <= 1.1
    pacer.learn("avatar", expected_s=10.0, took_s=30.0)  # 3 s of rendering per second of speech
    assert pacer.first_delay("avatar", 20.0) == pytest.approx(3.0 * 20.0 * 0.9)
    assert 0.9 <= pacer.first_delay("speech", 20.0) <= 1.1  # learned per step kind
    assert 0.9 <= pacer.first_delay("avatar", None) <= 1.1  # no estimate (own audio): no guess
    pacer.learn("avatar", expected_s=10.0, took_s=10.0)  # a moving average, not the last sample
    assert 1.0 < pacer.first_delay("avatar", 10.0) / 9.0 < 3.0
    assert pacer.first_delay("avatar", 10_000.0) == 100.0  # never later than the back-off ceiling


async def test_progress_percentage_paces_the_next_poll(client: VideoGenClient) -> None:
    pacer = PollPacer(client, interval=4.0, max_interval=4.0, rng=random.Random(3))
    assert 3.6 <= pacer.progress_delay(3, elapsed_s=10.0, percent=None) <= 4.4  # plain back-off
    near_end = pacer.progress_delay(3, elapsed_s=10.0, percent=90.0)  # ~1.1 s left
    assert near_end == pytest.approx(10.0 * 10 / 90 * 1.05)
    assert 3.6 <= pacer.progress_delay(3, elapsed_s=10.0, percent=10.0) <= 4.4  # far: never beyond back-off
    assert 3.6 <= pacer.progress_delay(3, elapsed_s=10.0, percent=100.0) <= 4.4


async def test_polling_spreads_under_the_shared_budget(
    sandbox: SandboxServer, client: VideoGenClient, presenter_id: str
) -> None:
    sandbox.config.rate_limits["executions"] = 100  # read live by the sandbox: 100 polls per hour
    execution_id = await client.text_to_speech(TtsRequest("Hi", voice_id=VOICE["id"]))
    await client.get_execution(execution_id)  # the real answer carries X-RateLimit-* headers
    assert client.limiter.state("executions").remaining == 99

    pacer = PollPacer(client, interval=0.02, max_interval=0.1)
    with pacer.polling():
        alone = pacer.delay(1)
        with pacer.polling(), pacer.polling():
            three = pacer.delay(1)
    # 99 polls left for ~an hour: one poller waits ~36 s, three share the budget and wait ~109 s each.
    assert 30 < alone < 40
    assert three == pytest.approx(alone * 3, rel=0.05)
    assert pacer.active == 0


# ------------------------------------------------------------------------------------ queue control
async def test_many_jobs_respect_the_concurrency_limit(
    make_queue: Callable[..., RenderQueue], sandbox: SandboxServer, presenter_id: str
) -> None:
    queue = make_queue(concurrency=3)
    active: set[str] = set()
    peak = 0

    def track(event: JobEvent) -> None:
        nonlocal peak
        job = event.job
        if job.state is JobState.QUEUED or job.state.is_terminal:
            active.discard(job.job_id)
        else:
            active.add(job.job_id)
        peak = max(peak, len(active))
        assert queue.running <= 3

    queue.subscribe(track)
    await queue.start()
    try:
        # One script, told apart by title (display only): each job still pays for its own speech and clip,
        # but the sandbox copies the identical media instead of encoding 20 clips.
        jobs = [queue.submit(spec(presenter_id, title=f"Clip number {n}")) for n in range(20)]
        finished = [await wait_job(queue, j.job_id) for j in jobs]
    finally:
        await queue.aclose()

    assert [j.state for j in finished] == [JobState.DONE] * 20
    assert peak == 3  # the limit was reached and never exceeded
    assert len({j.output_path for j in finished}) == 20
    assert (posts(sandbox, TTS), posts(sandbox, AVATAR)) == (20, 20)
    assert queue.stats["jobs_done"] == 20
    assert [j.job_id for j in queue.jobs()] == [j.job_id for j in reversed(jobs)]  # newest first


async def test_pause_resume_and_runtime_concurrency(
    make_queue: Callable[..., RenderQueue], sandbox: SandboxServer, presenter_id: str
) -> None:
    queue = make_queue(concurrency=1)
    queue.pause()
    await queue.start()
    try:
        jobs = [queue.submit(spec(presenter_id)) for _ in range(3)]
        await asyncio.sleep(0.1)  # give a (wrongly) running scheduler every chance to start something
        assert queue.paused and queue.running == 0
        assert all(queue.get(j.job_id).state is JobState.QUEUED for j in jobs)  # type: ignore[union-attr]
        assert posts(sandbox, TTS) == 0

        queue.concurrency = 3
        queue.resume()
        assert queue.running == 3  # raising the limit takes effect immediately
        done = [await wait_job(queue, j.job_id) for j in jobs]
        assert all(j.state is JobState.DONE for j in done)
        with pytest.raises(ValueError):
            queue.concurrency = 0
    finally:
        await queue.aclose()


async def test_a_broken_listener_never_breaks_the_queue(
    queue: RenderQueue, presenter_id: str, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(event: JobEvent) -> None:
        raise RuntimeError("widget already deleted")

    queue.subscribe(broken)
    with caplog.at_level(logging.ERROR, logger="videogen_studio.pipeline.queue"):
        done = await wait_job(queue, queue.submit(spec(presenter_id)).job_id)
    assert done.state is JobState.DONE
    assert "listener failed" in caplog.text


async def test_one_failing_job_does_not_stop_the_others(
    make_queue: Callable[..., RenderQueue], sandbox: SandboxServer, presenter_id: str
) -> None:
    queue = make_queue(concurrency=1)  # one at a time: the failure happens first, the rest must follow
    await queue.start()
    try:
        bad = queue.submit(spec(presenter_id, watermark_mode="NONE"))
        good = [queue.submit(spec(presenter_id)) for _ in range(2)]
        assert (await wait_job(queue, bad.job_id)).state is JobState.FAILED
        assert [(await wait_job(queue, j.job_id)).state for j in good] == [JobState.DONE] * 2
    finally:
        await queue.aclose()


async def test_remove_and_retry_rules(queue: RenderQueue, store: JobStore, presenter_id: str) -> None:
    events: list[JobEvent] = []
    queue.subscribe(events.append)
    job = queue.submit(spec(presenter_id))
    with pytest.raises(ValueError, match="cancel it first"):
        queue.remove(job.job_id)
    with pytest.raises(ValueError, match="retried"):
        queue.retry(job.job_id)
    done = await wait_job(queue, job.job_id)
    with pytest.raises(ValueError):
        queue.retry(job.job_id)  # a finished render is not rendered again

    queue.remove(job.job_id)

    assert queue.get(job.job_id) is None and queue.jobs() == []
    assert store.get(job.job_id) is None
    assert Path(done.output_path or "").exists()  # the video stays on disk
    assert events[-1] == JobEvent("removed", done)
    with pytest.raises(KeyError):
        queue.remove(job.job_id)


async def test_a_404_while_polling_keeps_the_paid_id_and_a_resubmit_needs_confirmation(
    queue: RenderQueue, sandbox: SandboxServer, presenter_id: str
) -> None:
    # M2: the service "forgets" the speech execution (e.g. polled with another key): its paid id stays.
    sandbox.faults.add(
        FaultRule(
            kind="status", status=404, path=r"^/v1/tools/executions/vg_[^/]+$", method="GET", times=None
        )
    )
    job = queue.submit(spec(presenter_id))
    failed = await wait_job(queue, job.job_id)

    assert failed.state is JobState.FAILED and failed.uncertain
    assert failed.error_kind == FailureKind.LOST_ID
    assert failed.tts_execution_id  # kept: polling it later (right account) would find it again
    with pytest.raises(ValueError, match="charge it twice"):
        queue.retry(job.job_id)  # a plain Retry never pays again
    assert posts(sandbox, TTS) == 1

    sandbox.faults.clear()
    queue.retry(job.job_id, confirm_uncertain=True)  # the user checked: submit the lost step again
    done = await wait_job(queue, job.job_id)
    assert done.state is JobState.DONE, done.error_message
    assert posts(sandbox, TTS) == 2


async def test_retry_decides_on_the_stored_job_not_an_old_copy(
    make_queue: Callable[..., RenderQueue], store: JobStore, sandbox: SandboxServer, presenter_id: str
) -> None:
    # M4: another process (the CLI) retried and finished the job; our window still shows it FAILED.
    sandbox.faults.add(FaultRule(kind="status", status=402, path=TTS, method="POST"))
    gui = make_queue()
    await gui.start()
    job = gui.submit(spec(presenter_id))
    failed = await wait_job(gui, job.job_id)
    assert failed.state is JobState.FAILED

    cli = make_queue()
    await cli.start()
    cli.retry(job.job_id)
    done = await wait_job(cli, job.job_id)
    assert done.state is JobState.DONE, done.error_message
    await cli.aclose()
    assert gui.get(job.job_id) == failed  # finished jobs are not watched: the GUI's copy is stale

    with pytest.raises(ValueError, match="done"):
        gui.retry(job.job_id)
    assert store.get(job.job_id) == done  # not put back to QUEUED over DONE
    assert gui.get(job.job_id) == done  # and the window now shows the truth
    assert posts(sandbox, TTS) == 2  # the refused first attempt and the CLI's; nothing paid again


async def test_set_title_changes_only_the_title_of_the_stored_job(
    make_queue: Callable[..., RenderQueue], store: JobStore, sandbox: SandboxServer, presenter_id: str
) -> None:
    sandbox.faults.add(FaultRule(kind="status", status=402, path=TTS, method="POST"))
    gui = make_queue()
    await gui.start()
    job = gui.submit(spec(presenter_id))
    await wait_job(gui, job.job_id)
    cli = make_queue()
    await cli.start()
    cli.retry(job.job_id)
    done = await wait_job(cli, job.job_id)
    await cli.aclose()

    renamed = gui.set_title(job.job_id, "Quarterly update")

    stored = store.get(job.job_id)
    assert stored is not None and stored.state is JobState.DONE  # the CLI's result survives the rename
    assert stored.spec.title == "Quarterly update" and stored.output_path == done.output_path
    assert renamed == stored


async def _until_rate_limited(queue: RenderQueue) -> None:
    while not any(k.startswith("rate_limit_waits_") for k in queue.stats):  # the 429 came back
        await asyncio.sleep(0.01)


async def test_closing_while_a_paid_post_only_met_429s_requeues_the_job(
    make_queue: Callable[..., RenderQueue], store: JobStore, sandbox: SandboxServer, presenter_id: str
) -> None:
    # M6: nothing started on the service (every answer was 429): the job is not "uncertain" after closing.
    sandbox.faults.add(
        FaultRule(kind="status", status=429, retry_after=60, path=TTS, method="POST", times=None)
    )
    queue = make_queue()
    await queue.start()
    job = queue.submit(spec(presenter_id))
    await _until_rate_limited(queue)
    await queue.aclose()  # does not sit out the 60 s Retry-After (pytest-timeout guards it)

    stored = store.get(job.job_id)
    assert stored is not None and stored.state is JobState.QUEUED and not stored.uncertain
    sandbox.faults.clear()
    # The next start (a new process: a new client, whose rate limiter knows nothing of the old 429s).
    async with VideoGenClient(
        sandbox.base_url, sandbox.api_key, retry=RetryPolicy(base_delay_s=0.01)
    ) as fresh:
        again = make_queue(use_client=fresh)
        await again.start()
        done = await wait_job(again, job.job_id)
        assert done.state is JobState.DONE and not done.uncertain, done.error_message
        await again.aclose()


async def test_cancel_while_a_paid_post_waits_for_a_rate_limit_cancels_cleanly(
    queue: RenderQueue, sandbox: SandboxServer, presenter_id: str
) -> None:
    sandbox.faults.add(
        FaultRule(kind="status", status=429, retry_after=60, path=TTS, method="POST", times=None)
    )
    job = queue.submit(spec(presenter_id))
    await _until_rate_limited(queue)
    cancelled = await queue.cancel(job.job_id)  # not after the 60 s wait
    assert cancelled.state is JobState.CANCELLED and not cancelled.uncertain
    assert cancelled.tts_execution_id is None
