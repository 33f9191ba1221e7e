"""One owner per job: two real processes on one data folder never drive (or pay for) the same job.

Each test starts child processes that each open the same job database and run a RenderQueue against the
loopback sandbox, as a CLI run beside the GUI would. What reached the server is read from the sandbox's
request log; what happened to each job from the shared store.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sandbox_helpers import posts, wait_job

from videogen_studio.api.client import VideoGenClient
from videogen_studio.api.retry import RetryPolicy
from videogen_studio.pipeline.failures import FailureKind
from videogen_studio.pipeline.jobs import JobState, RenderJob, RenderSpec
from videogen_studio.pipeline.queue import JobHeldElsewhere, RenderQueue
from videogen_studio.pipeline.store import JobStore
from videogen_studio.sandbox import SandboxServer

TTS = "/v1/tools/text-to-speech"
AVATAR = "/v1/tools/generate-avatar"
WAIT_S = 90.0  # hang guard only

#: A queue in its own process: drives what it can claim until every job in the store has ended.
CHILD = r"""
import asyncio, json, sys, time
from pathlib import Path
from videogen_studio.api.client import VideoGenClient
from videogen_studio.api.retry import RetryPolicy
from videogen_studio.pipeline.queue import RenderQueue
from videogen_studio.pipeline.store import JobStore

async def main(db, base_url, key, out):
    store = JobStore(Path(db))
    async with VideoGenClient(base_url, key, retry=RetryPolicy(base_delay_s=0.01)) as client:
        queue = RenderQueue(client, store, output_dir=Path(out), concurrency=8, poll_interval=0.05,
                            max_poll_interval=0.2, lease_ttl_s=1.5)
        await queue.start()
        print(json.dumps({"owner": queue.owner, "ready": True}), flush=True)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if all(job.state.is_terminal for job in store.load_all()):
                break
            await asyncio.sleep(0.1)
        stats = dict(queue.stats)
        await queue.aclose()
    store.close()
    print(json.dumps({"owner": queue.owner, "stats": stats}), flush=True)

asyncio.run(main(*sys.argv[1:5]))
"""


def start_child(db: Path, sandbox: SandboxServer, out: Path) -> subprocess.Popen[str]:
    env = os.environ | {"PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(db), sandbox.base_url, sandbox.api_key, str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def ready(child: subprocess.Popen[str]) -> dict[str, object]:
    assert child.stdout is not None
    line = child.stdout.readline()
    assert line, child.stderr.read() if child.stderr else "child died"
    data: dict[str, object] = json.loads(line)
    return data


def finish(child: subprocess.Popen[str]) -> dict[str, object]:
    out, err = child.communicate(timeout=WAIT_S)
    assert child.returncode == 0, err[-3000:]
    data: dict[str, object] = json.loads(out.strip().splitlines()[-1])
    return data


@pytest.fixture
async def client(sandbox: SandboxServer) -> AsyncIterator[VideoGenClient]:
    async with VideoGenClient(sandbox.base_url, sandbox.api_key, retry=RetryPolicy(base_delay_s=0.01)) as c:
        yield c


@pytest.fixture
async def ids(client: VideoGenClient) -> tuple[str, str]:
    presenter = (await client.list_presenters())[0].avatar_presenter_id
    voice = next(v.voice_id for v in await client.list_voices() if v.supports_direct_tool_execution)
    return presenter, voice


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "data" / "jobs.sqlite3"


@pytest.fixture
def children() -> Iterator[list[subprocess.Popen[str]]]:
    procs: list[subprocess.Popen[str]] = []
    yield procs
    for p in procs:  # only the processes this test started
        if p.poll() is None:
            p.kill()
            p.wait()


def queued_jobs(db: Path, ids: tuple[str, str], n: int) -> list[RenderJob]:
    presenter, voice = ids
    # One script, told apart by title (display only): each job still pays for its own speech and clip (the
    # request log counts them), but the sandbox copies the identical media instead of encoding n clips.
    jobs = [
        RenderJob(
            spec=RenderSpec(presenter_id=presenter, voice_id=voice, script="Hello there.", title=f"Take {i}")
        )
        for i in range(n)
    ]
    with JobStore(db) as store:
        store.save_many(jobs)  # unleased, as a crashed run leaves them
    return jobs


def final_jobs(db: Path) -> list[RenderJob]:
    with JobStore(db) as store:
        return store.load_all()


async def test_two_processes_on_one_folder_pay_each_avatar_once(
    sandbox: SandboxServer,
    ids: tuple[str, str],
    db: Path,
    tmp_path: Path,
    children: list[subprocess.Popen[str]],
) -> None:
    sandbox.config.avatar_running_s = 0.5
    jobs = queued_jobs(db, ids, 6)
    children += [start_child(db, sandbox, tmp_path / "out") for _ in range(2)]
    results = [finish(c) for c in children]

    done = final_jobs(db)
    assert [j.state for j in done] == [JobState.DONE] * len(jobs), [j.error_message for j in done]
    assert posts(sandbox, TTS) == len(jobs)
    assert posts(sandbox, AVATAR) == len(jobs)  # one paid avatar per job, whoever drove it
    assert len({j.avatar_execution_id for j in done}) == len(jobs)
    assert len(list((tmp_path / "out").glob("*.mp4"))) == len(jobs)  # one MP4 per job, not two
    submits = [int(r["stats"].get("avatar_submits", 0)) for r in results]  # type: ignore[union-attr]
    assert sum(submits) == len(jobs)


async def test_a_killed_owner_hands_its_jobs_over_without_paying_twice(
    sandbox: SandboxServer,
    ids: tuple[str, str],
    db: Path,
    tmp_path: Path,
    children: list[subprocess.Popen[str]],
) -> None:
    sandbox.config.avatar_running_s = 2.0
    jobs = queued_jobs(db, ids, 3)
    first = start_child(db, sandbox, tmp_path / "out")
    children.append(first)
    ready(first)
    deadline = time.monotonic() + WAIT_S
    while not any(j.state is JobState.AVATAR_RUNNING for j in final_jobs(db)):  # a paid render in flight
        assert time.monotonic() < deadline and first.poll() is None
        await asyncio.sleep(0.05)
    os.kill(first.pid, signal.SIGKILL)  # no release, no goodbye: only the lease in the store remains
    first.wait()

    second = start_child(db, sandbox, tmp_path / "out")
    children.append(second)
    finish(second)

    ended = final_jobs(db)
    assert len(ended) == len(jobs) and all(j.state.is_terminal for j in ended)
    uncertain = [j for j in ended if j.uncertain]  # killed between saving SUBMITTING and the POST's answer
    assert all(j.error_kind == FailureKind.UNCERTAIN for j in uncertain)
    assert all(j.state is JobState.DONE for j in ended if not j.uncertain)
    assert posts(sandbox, AVATAR) <= len(jobs)  # never a second avatar for a job
    assert posts(sandbox, TTS) <= len(jobs)


async def test_a_job_leased_elsewhere_is_shown_but_never_touched(
    client: VideoGenClient, sandbox: SandboxServer, ids: tuple[str, str], tmp_path: Path
) -> None:
    presenter, voice = ids
    store = JobStore(tmp_path / "jobs.sqlite3")
    other = RenderJob(spec=RenderSpec(presenter_id=presenter, voice_id=voice, script="Theirs."))
    # Another live process is mid-submit on this job: without the lease, start() would mark it uncertain.
    store.save(other.advance(JobState.SUBMITTING_AVATAR, audio_file_id="vg_file_x"))
    assert store.claim(other.job_id, "otherhost:1:them", 3600)
    queue = RenderQueue(client, store, output_dir=tmp_path / "out", poll_interval=0.02, lease_ttl_s=0.6)
    try:
        await queue.start()
        shown = queue.get(other.job_id)
        assert shown is not None and shown.state is JobState.SUBMITTING_AVATAR  # untouched
        assert queue.holder_of(other.job_id) == "otherhost:1:them"
        assert queue.held_elsewhere() == {other.job_id: "otherhost:1:them"}
        with pytest.raises(JobHeldElsewhere):
            await queue.cancel(other.job_id)
        await asyncio.sleep(1.0)  # a few lease-keeper ticks: still untouched
        stored = store.get(other.job_id)
        assert stored is not None and stored.state is JobState.SUBMITTING_AVATAR and not stored.uncertain
        assert posts(sandbox, AVATAR) == 0

        # The other owner finishes and lets go: the queue shows the new state and can act on it again.
        store.save(stored.advance(JobState.FAILED, error_message="theirs failed"), owner="otherhost:1:them")
        store.release(other.job_id, "otherhost:1:them")
        failed = await wait_job(queue, other.job_id, lambda j: j.state is JobState.FAILED)
        assert failed.error_message == "theirs failed" and queue.holder_of(other.job_id) is None
    finally:
        await queue.aclose()
        store.close()


async def test_our_leases_are_released_on_close_and_renewed_while_driving(
    client: VideoGenClient, sandbox: SandboxServer, ids: tuple[str, str], tmp_path: Path
) -> None:
    presenter, voice = ids
    sandbox.config.avatar_running_s = 1.5
    store = JobStore(tmp_path / "jobs.sqlite3")
    queue = RenderQueue(client, store, output_dir=tmp_path / "out", poll_interval=0.05, lease_ttl_s=0.6)
    try:
        await queue.start()
        job = queue.submit(RenderSpec(presenter_id=presenter, voice_id=voice, script="Mine."))
        lease = store.lease(job.job_id)
        assert lease is not None and lease.owner == queue.owner
        with JobStore(tmp_path / "jobs.sqlite3") as rival:
            running = await wait_job(queue, job.job_id, lambda j: j.state is JobState.AVATAR_RUNNING)
            await asyncio.sleep(1.0)  # longer than the lease lasts without renewal
            assert rival.claim(job.job_id, "rival:1:r", 30) is False
            await queue.aclose()
            assert store.lease(job.job_id) is None  # released: a rival may resume it at once
            assert rival.claim(job.job_id, "rival:1:r", 30) is True
            assert running.avatar_execution_id
    finally:
        await queue.aclose()
        store.close()


async def test_the_finished_job_releases_its_lease(
    client: VideoGenClient, ids: tuple[str, str], tmp_path: Path
) -> None:
    presenter, voice = ids
    store = JobStore(tmp_path / "jobs.sqlite3")
    queue = RenderQueue(client, store, output_dir=tmp_path / "out", poll_interval=0.02, max_poll_interval=0.1)
    try:
        await queue.start()
        job = queue.submit(RenderSpec(presenter_id=presenter, voice_id=voice, script="Done soon."))
        done = await wait_job(queue, job.job_id)
        assert done.state is JobState.DONE, done.error_message
        for _ in range(200):  # the task's done callback runs a few loop turns after its last event
            if queue.running == 0:
                break
            await asyncio.sleep(0.01)
        assert store.lease(job.job_id) is None
    finally:
        await queue.aclose()
        store.close()


async def test_a_stalled_queue_never_overwrites_a_job_another_process_moved_on(
    client: VideoGenClient, sandbox: SandboxServer, ids: tuple[str, str], tmp_path: Path
) -> None:
    # M5: we stalled past our lease; another process took the job, moved it on and let go. Our runner's old
    # copy must not be saved over it, nor its next paid step bought again.
    from videogen_studio.sandbox import FaultRule

    presenter, voice = ids
    sandbox.faults.add(
        FaultRule(kind="status", status=500, path=r"^/v1/tools/executions/[^/]+$", method="GET", times=None)
    )
    store = JobStore(tmp_path / "jobs.sqlite3")
    queue = RenderQueue(client, store, output_dir=tmp_path / "out", poll_interval=0.02, lease_ttl_s=0.6)
    try:
        await queue.start()
        job = queue.submit(RenderSpec(presenter_id=presenter, voice_id=voice, script="Stalled here."))
        polling = await wait_job(queue, job.job_id, lambda j: j.state is JobState.SPEECH_RUNNING)
        with JobStore(tmp_path / "jobs.sqlite3") as other:  # the other process, after our lease expired
            other.release(job.job_id, queue.owner)
            assert other.claim(job.job_id, "otherhost:1:them", 30)
            stored = other.get(job.job_id)
            assert stored is not None
            other.save(stored.advance(JobState.CANCELLED), owner="otherhost:1:them")
            other.release(job.job_id, "otherhost:1:them")
        sandbox.faults.clear()  # our runner's next poll sees the speech finished

        ended = await wait_job(queue, job.job_id, lambda j: j.state is JobState.CANCELLED)
        assert ended.tts_execution_id == polling.tts_execution_id
        for _ in range(200):  # let the stopped runner unwind completely
            if queue.running == 0:
                break
            await asyncio.sleep(0.01)
        final = store.get(job.job_id)
        assert final is not None and final.state is JobState.CANCELLED
        assert posts(sandbox, AVATAR) == 0  # the video step was never bought by the stale runner
    finally:
        await queue.aclose()
        store.close()
