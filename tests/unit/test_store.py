"""JobStore: round trips, WAL, tolerance of bad rows, and migrations from older schema versions."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from videogen_studio.api.errors import LocalFileError
from videogen_studio.pipeline import store as store_module
from videogen_studio.pipeline.failures import kind_of
from videogen_studio.pipeline.jobs import JobState, RenderJob, RenderSpec
from videogen_studio.pipeline.store import (
    SCHEMA_VERSION,
    JobStore,
    StoreReadOnly,
    job_from_dict,
    job_to_dict,
)


def full_job(
    created_at: float = 1_700_000_000.0, script: str = "Grüße aus Köln — 你好", **changes: object
) -> RenderJob:
    """A job with every field set to something other than its default."""
    spec = RenderSpec(
        presenter_id="vg_pres_abc",
        script=script,
        voice_id="vg_voic_1",
        presenter_name="Ada",
        presenter_thumbnail_url="http://127.0.0.1/thumb.png",
        language_code="de",
        voice_speed=1.25,
        replacements=(("SQL", "sequel"), ("GUI", "gooey")),
        auto_expand=True,
        watermark_mode="VIDEO_GEN",
        temporary=True,
        output_dir="/tmp/out",
        avatar_form="actor",
        avatar_quality="HIGH",
        num_results=3,
        audio_path="/tmp/my voice.wav",
        title="Quarterly update",
    )
    job = RenderJob(
        spec=spec,
        state=JobState.FAILED,
        created_at=created_at,
        updated_at=created_at + 5,
        started_at=created_at + 1,
        finished_at=created_at + 5,
        tts_execution_id="vg_exec_t",
        audio_file_id="vg_file_a",
        avatar_execution_id="vg_exec_v",
        video_file_id="vg_file_v",
        output_path="/tmp/out/Ada - Hi - abcdef.mp4",
        duration_seconds=12.5,
        stage_progress=0.5,
        error_message="The disk is full.",
        error_hint="Free some space.",
        error_code="disk_full",
        uncertain=True,
        attempts=3,
        video_file_ids=("vg_file_v", "vg_file_v2", "vg_file_v3"),
        output_paths=("/tmp/out/a.mp4", "/tmp/out/b.mp4"),
        error_kind="disk_full",
        notice="Already finished and charged when you cancelled — downloaded.",
        awaiting_approval=True,
    )
    return job.update(**changes) if changes else job


@pytest.fixture
def store(tmp_path: Path):
    s = JobStore(tmp_path / "jobs.sqlite3")
    yield s
    s.close()


def raw_insert(path: Path, job_id: str, data: str, state: str = "queued", created_at: float = 1.0) -> None:
    with sqlite3.connect(path) as db:
        db.execute(
            "INSERT INTO jobs (job_id, state, created_at, updated_at, data) VALUES (?, ?, ?, ?, ?)",
            (job_id, state, created_at, created_at, data),
        )


# --------------------------------------------------------------------------------------- round trips
def test_dict_round_trip_is_lossless() -> None:
    job = full_job()
    data = job_to_dict(job)
    assert json.loads(json.dumps(data)) == data  # plain JSON types only
    assert data["state"] == "failed"
    assert data["spec"]["replacements"] == [["SQL", "sequel"], ["GUI", "gooey"]]
    assert job_from_dict(json.loads(json.dumps(data))) == job


def test_a_row_written_before_the_new_fields_loads_with_their_defaults() -> None:
    """A row from the release before variations, actors and own audio: no new key at all."""
    data = job_to_dict(full_job())
    for name in ("video_file_ids", "output_paths", "error_kind", "notice", "awaiting_approval"):
        del data[name]
    for name in ("avatar_form", "avatar_quality", "num_results", "audio_path", "title"):
        del data["spec"][name]
    job = job_from_dict(json.loads(json.dumps(data)))
    assert job.video_file_ids == () and job.output_paths == ()
    assert job.error_kind is None and job.notice is None and job.awaiting_approval is False
    assert job.video_file_id == "vg_file_v"  # the single-result fields are untouched
    spec = job.spec
    assert (spec.avatar_form, spec.avatar_quality, spec.num_results) == ("presenter", None, 1)
    assert spec.audio_path == "" and spec.title == ""


def test_mistyped_new_fields_fall_back_to_defaults() -> None:
    data = job_to_dict(full_job())
    data["video_file_ids"] = "vg_file_v"  # a string, not a list
    data["output_paths"] = ["/a.mp4", 3]
    data["awaiting_approval"] = "yes"
    data["spec"]["num_results"] = True  # a bool is not a count
    data["spec"]["avatar_quality"] = 5
    job = job_from_dict(data)
    assert job.video_file_ids == () and job.output_paths == () and job.awaiting_approval is False
    assert job.spec.num_results == 1 and job.spec.avatar_quality is None


def test_store_round_trip_survives_reopening(tmp_path: Path) -> None:
    job = full_job()
    with JobStore(tmp_path / "jobs.sqlite3") as store:
        store.save(job)
    with JobStore(tmp_path / "jobs.sqlite3") as store:
        assert store.get(job.job_id) == job
        assert store.load_all() == [job]


def test_save_replaces_and_delete_removes(store: JobStore) -> None:
    job = RenderJob(spec=RenderSpec(presenter_id="vg_pres_abc", script="Hi"))
    store.save(job)
    moved = job.advance(JobState.SUBMITTING_SPEECH)
    store.save(moved, durable=True)
    assert store.get(job.job_id) == moved
    assert len(store.load_all()) == 1
    store.delete(job.job_id)
    assert store.get(job.job_id) is None
    assert store.load_all() == []
    store.delete("no-such-job")  # deleting twice is harmless


def test_load_all_is_newest_first(store: JobStore) -> None:
    jobs = [full_job(created_at=t) for t in (30.0, 10.0, 20.0)]
    for job in jobs:
        store.save(job)
    assert [j.created_at for j in store.load_all()] == [30.0, 20.0, 10.0]


# --------------------------------------------------------------------------------------- durability
def test_uses_wal_and_normal_sync(store: JobStore, tmp_path: Path) -> None:
    store.save(full_job())
    assert store.journal_mode == "wal"
    assert (tmp_path / "jobs.sqlite3-wal").exists()  # writes go to the log, not the main file
    with sqlite3.connect(tmp_path / "jobs.sqlite3") as other:  # journal mode is a property of the file
        assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    # A durable save switches to FULL for its own commit only; later saves are cheap again (NORMAL = 1).
    store.save(full_job(), durable=True)
    assert store._db.execute("PRAGMA synchronous").fetchone()[0] == 1


def test_a_durable_save_fsyncs_the_log_after_its_commit_and_outside_the_lock(
    store: JobStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The runner makes durable saves in a worker thread: the event loop's own saves must not wait for the
    # disk meanwhile, and the job must already be committed (visible to others) when the log is synced.
    job = full_job()
    wal = tmp_path / "jobs.sqlite3-wal"
    synced: list[tuple[bool, bool, RenderJob | None]] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        same = os.path.samestat(os.fstat(fd), os.stat(wal))
        with JobStore(tmp_path / "jobs.sqlite3") as reader:
            synced.append((same, store._lock.locked(), reader.get(job.job_id)))
        real_fsync(fd)

    monkeypatch.setattr(store_module.os, "fsync", fsync)
    store.save(job, durable=True)
    assert synced == [(True, False, job)]
    store.save(job.advance(JobState.QUEUED))
    assert len(synced) == 1  # an ordinary save is not synced


def test_durable_saves_from_worker_threads_keep_every_job(store: JobStore) -> None:
    jobs = [full_job(created_at=1_700_000_000.0 + n) for n in range(2 * store_module.CHECKPOINT_EVERY)]
    with ThreadPoolExecutor(4) as pool:  # as the runners do, with a background checkpoint now and then
        list(pool.map(lambda j: store.save(j, durable=True), jobs))
    assert {j.job_id for j in store.load_all()} == {j.job_id for j in jobs}


def test_a_second_connection_sees_saves_immediately(store: JobStore, tmp_path: Path) -> None:
    job = full_job()
    store.save(job)
    with JobStore(tmp_path / "jobs.sqlite3") as reader:  # e.g. the CLI listing jobs while the GUI runs
        assert reader.get(job.job_id) == job


# ------------------------------------------------------------------------------------ tolerance
def test_corrupt_and_unknown_rows_are_skipped(
    store: JobStore, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    good = full_job(created_at=5.0)
    store.save(good)
    path = tmp_path / "jobs.sqlite3"
    raw_insert(path, "broken-json", "{not json")
    raw_insert(path, "not-an-object", "[1, 2, 3]")
    raw_insert(path, "no-spec", json.dumps({"job_id": "no-spec", "state": "queued"}))
    future = job_to_dict(full_job()) | {"job_id": "future", "state": "awaiting_approval"}
    raw_insert(path, "future", json.dumps(future), state="awaiting_approval")
    raw_insert(path, "mismatch", json.dumps(job_to_dict(full_job()) | {"job_id": "other"}))

    with caplog.at_level(logging.WARNING, logger="videogen_studio.pipeline.store"):
        assert store.load_all() == [good]
        assert store.get("broken-json") is None
    skipped = " ".join(r.getMessage() for r in caplog.records)
    for job_id in ("broken-json", "not-an-object", "no-spec", "future", "mismatch"):
        assert job_id in skipped
    assert "awaiting_approval" in skipped


def test_from_dict_tolerates_missing_unknown_and_mistyped_keys() -> None:
    job = job_from_dict(
        {
            "job_id": "j1",
            "spec": {
                "presenter_id": "vg_pres_abc",
                "script": "Hi",
                "mood": "cheerful",
                "voice_speed": "fast",
            },
            "state": "avatar_running",
            "avatar_execution_id": "vg_exec_v",
            "attempts": "three",
            "uncertain": 1,
            "duration_seconds": 4,
            "added_in_v9": {"anything": True},
        }
    )
    assert job.state is JobState.AVATAR_RUNNING
    assert job.avatar_execution_id == "vg_exec_v"
    assert job.spec.voice_speed is None and job.spec.watermark_mode == "AUTO"
    assert job.attempts == 0 and job.uncertain is False  # wrong types fall back to defaults
    assert job.duration_seconds == 4.0 and isinstance(job.duration_seconds, float)
    assert job.tts_execution_id is None


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"job_id": "j", "spec": {"script": "Hi"}},
        {"job_id": "j", "spec": {"presenter_id": "vg_pres_abc"}},
        {"spec": {"presenter_id": "vg_pres_abc", "script": "Hi"}},
        {"job_id": "j", "spec": {"presenter_id": "vg_pres_abc", "script": "Hi"}, "state": "exploded"},
    ],
)
def test_from_dict_rejects_what_cannot_be_a_job(data: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        job_from_dict(data)


# ------------------------------------------------------------------------------------- migrations
V1_SCHEMA = """
CREATE TABLE jobs (
    job_id TEXT PRIMARY KEY, state TEXT NOT NULL, created_at REAL NOT NULL, data TEXT NOT NULL
);
CREATE INDEX jobs_created_at ON jobs (created_at);
PRAGMA user_version = 1;
"""


def test_fresh_database_gets_the_current_schema(store: JobStore) -> None:
    assert store.schema_version == SCHEMA_VERSION == 3


def test_migrates_a_version_1_database(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    old = full_job(created_at=100.0)
    with sqlite3.connect(path) as db:  # what the first release would have left on disk
        db.executescript(V1_SCHEMA)
        db.execute(
            "INSERT INTO jobs (job_id, state, created_at, data) VALUES (?, ?, ?, ?)",
            (old.job_id, old.state.value, old.created_at, json.dumps(job_to_dict(old))),
        )
        db.execute("INSERT INTO jobs VALUES ('garbage', 'queued', 50.0, 'not json')")
    db.close()

    with JobStore(path) as store:
        assert store.schema_version == 3
        assert store.load_all() == [old]
        assert store.find_by_fingerprint(old.spec.fingerprint()) == old  # backfilled by migration 3
        newer = old.advance(JobState.QUEUED)
        store.save(newer)  # the migrated table takes writes
        assert store.get(old.job_id) == newer
    with sqlite3.connect(path) as db:
        rows = dict(db.execute("SELECT job_id, updated_at FROM jobs").fetchall())
        indexes = {r[1] for r in db.execute("PRAGMA index_list(jobs)")}
    db.close()
    assert rows["garbage"] == 50.0  # backfilled from created_at when the JSON is unreadable
    assert {"jobs_state", "jobs_created_at"} <= indexes


def test_migration_backfills_updated_at_from_json(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    old = full_job(created_at=100.0)  # updated_at = 105
    with sqlite3.connect(path) as db:
        db.executescript(V1_SCHEMA)
        db.execute(
            "INSERT INTO jobs VALUES (?, ?, ?, ?)",
            (old.job_id, old.state.value, old.created_at, json.dumps(job_to_dict(old))),
        )
    db.close()
    JobStore(path).close()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT updated_at FROM jobs").fetchone()[0] == 105.0
    db.close()


def test_newer_schema_is_opened_read_only_and_never_written(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "jobs.sqlite3"
    job = full_job()
    with JobStore(path) as store:
        store.save(job)
    with sqlite3.connect(path) as db:  # a later app version added something and bumped the version
        db.execute("ALTER TABLE jobs ADD COLUMN priority INTEGER NOT NULL DEFAULT 0")
        db.execute("PRAGMA user_version = 7")
    db.close()
    before = path.read_bytes()
    with caplog.at_level(logging.WARNING), JobStore(path) as store:
        assert store.read_only is True
        assert store.recovery_notice is not None and "newer version" in store.recovery_notice
        assert store.load_all() == [job]  # still readable
        with pytest.raises(StoreReadOnly) as refused:
            store.save(job.advance(JobState.QUEUED))
        assert isinstance(refused.value, LocalFileError) and kind_of(refused.value) == "local_file"
        with pytest.raises(StoreReadOnly):
            store.save_many([full_job()])
        with pytest.raises(StoreReadOnly):
            store.delete(job.job_id)
        assert store.claim(job.job_id, "me:1:x", 30) is False  # nobody may drive a job it cannot save
        assert store.schema_version == 7  # never downgraded
    assert "newer than this app" in caplog.text
    assert path.read_bytes() == before  # not one byte written, not even a checkpoint
    assert not (tmp_path / "jobs.sqlite3.corrupt").exists()


def test_a_failed_migration_leaves_the_old_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from videogen_studio.pipeline import store as store_module

    path = tmp_path / "jobs.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(V1_SCHEMA)
    db.close()

    def broken(db: sqlite3.Connection) -> None:
        db.execute("ALTER TABLE jobs ADD COLUMN updated_at REAL")
        raise sqlite3.OperationalError("simulated crash mid-migration")

    monkeypatch.setattr(store_module, "MIGRATIONS", (store_module.MIGRATIONS[0], broken))
    with pytest.raises(LocalFileError, match="simulated crash"):  # a clear error, never a traceback
        JobStore(path)
    monkeypatch.undo()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 1
        assert "updated_at" not in {r[1] for r in db.execute("PRAGMA table_info(jobs)")}
    db.close()
    with JobStore(path) as store:  # and the real migrations still run afterwards
        assert store.schema_version == 3


# ------------------------------------------------------------------------------------ fingerprints
def test_find_by_fingerprint_returns_the_newest_matching_job(store: JobStore) -> None:
    spec = RenderSpec(presenter_id="vg_pres_abc", script="Same words", voice_id="vg_voic_1")
    older = RenderJob(spec=spec, created_at=10.0)
    newer = RenderJob(spec=spec, created_at=20.0)
    other = RenderJob(spec=RenderSpec(presenter_id="vg_pres_abc", script="Other words"), created_at=30.0)
    store.save_many([older, newer, other])
    assert store.find_by_fingerprint(spec.fingerprint()) == newer
    store.delete(newer.job_id)  # a removed job is not found again
    assert store.find_by_fingerprint(spec.fingerprint()) == older
    assert store.find_by_fingerprint("0" * 64) is None


def test_save_many_writes_every_job_in_one_transaction(store: JobStore, tmp_path: Path) -> None:
    jobs = [RenderJob(spec=RenderSpec(presenter_id="vg_pres_abc", script=f"Job {i}")) for i in range(50)]
    store.save_many(jobs, owner="gui:1:a")
    with JobStore(tmp_path / "jobs.sqlite3") as other:
        assert {j.job_id for j in other.load_all()} == {j.job_id for j in jobs}
        assert {lease.owner for lease in other.leases().values()} == {"gui:1:a"}
        assert other.claim(jobs[0].job_id, "cli:2:b", 30) is False


# ------------------------------------------------------------------------------------------ leases
def test_claim_renew_release_between_two_stores(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    with JobStore(path) as a, JobStore(path) as b:
        job = full_job()
        a.save(job)
        assert a.claim(job.job_id, "host:1:a", 30) is True
        assert a.claim(job.job_id, "host:1:a", 30) is True  # claiming again is renewing
        assert b.claim(job.job_id, "host:2:b", 30) is False  # another live owner holds it
        lease = b.lease(job.job_id)
        assert lease is not None and lease.owner == "host:1:a"
        assert b.renew(job.job_id, "host:2:b", 30) is False
        assert a.renew(job.job_id, "host:1:a", 30) is True
        b.release(job.job_id, "host:2:b")  # not b's to release: nothing happens
        assert a.lease(job.job_id) is not None
        a.release(job.job_id, "host:1:a")
        assert b.claim(job.job_id, "host:2:b", 30) is True
        assert a.renew_many([job.job_id], "host:1:a", 30) == {job.job_id}  # a knows it lost it


def test_an_expired_lease_can_be_taken_over(store: JobStore) -> None:
    job = full_job()
    store.save(job)
    assert store.claim(job.job_id, "host:1:a", -1.0) is True  # already expired
    assert store.claim(job.job_id, "host:2:b", 30) is True
    assert store.renew(job.job_id, "host:1:a", 30) is False


def test_a_dead_owner_on_this_host_loses_its_lease_at_once(store: JobStore) -> None:
    import subprocess
    import sys

    from videogen_studio.pipeline.lease import new_owner_id

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # its pid now names no live process
    machine = new_owner_id().split(":")[0]
    dead = f"{machine}:{child.pid}:deadbeef"
    job = full_job()
    store.save(job)
    assert store.claim(job.job_id, dead, 3600) is True
    assert store.claim(job.job_id, "elsewhere:1:x", 30) is True  # long before the hour is up
    # The same pid seen from another host or pid namespace proves nothing: that lease is left alone.
    other_ns = f"{machine}~other:{child.pid}:cafef00d"
    assert store.claim(job.job_id, other_ns, 3600) is False  # "elsewhere:1:x" holds it now
    job2 = full_job(created_at=3.0)
    store.save(job2)
    assert store.claim(job2.job_id, other_ns, 3600)
    assert store.claim(job2.job_id, "host:2:b", 30) is False


def test_save_with_an_owner_refuses_a_job_leased_to_someone_else(store: JobStore) -> None:
    from videogen_studio.pipeline.store import LeaseLost

    job = full_job()
    store.save(job)
    assert store.claim(job.job_id, "host:1:a", 30)
    with pytest.raises(LeaseLost):
        store.save(job.advance(JobState.QUEUED), owner="host:2:b", durable=True)
    assert store.get(job.job_id) == job  # nothing written
    store.save(job.advance(JobState.QUEUED), owner="host:1:a")  # the holder writes and renews
    assert store.get(job.job_id).state is JobState.QUEUED  # type: ignore[union-attr]


def test_save_with_an_owner_refuses_once_the_lease_was_taken_and_let_go(store: JobStore) -> None:
    # M5: a stalled owner must not write its stale copy after another owner took the job and released it.
    from videogen_studio.pipeline.store import LeaseLost

    job = full_job()
    store.save(job)
    assert store.claim(job.job_id, "host:1:a", 0.0)  # expires at once: a suspended laptop
    store.save(job.advance(JobState.QUEUED), owner="host:1:a")  # nobody took it: the holder goes on
    store.release(job.job_id, "host:1:a")
    assert store.claim(job.job_id, "host:2:b", 30)
    moved_on = dataclasses.replace(job, state=JobState.DONE, attempts=job.attempts + 1)
    store.save(moved_on, owner="host:2:b")
    store.release(job.job_id, "host:2:b")
    with pytest.raises(LeaseLost):
        store.save(job.advance(JobState.QUEUED), owner="host:1:a")
    assert store.get(job.job_id) == moved_on


_CLAIMER = """
import sys
from pathlib import Path
from videogen_studio.pipeline.store import JobStore
store = JobStore(Path(sys.argv[1]))
sys.stdin.readline()  # all processes start claiming together
print("won" if store.claim("job-1", sys.argv[2], 60) else "lost", flush=True)
store.close()
"""


def test_of_many_processes_claiming_at_once_exactly_one_wins(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = tmp_path / "jobs.sqlite3"
    JobStore(path).close()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _CLAIMER, str(path), f"host:{i}:p{i}"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in range(6)
    ]
    for p in procs:
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()
    results = [p.communicate(timeout=60)[0].strip() for p in procs]
    assert sorted(results) == ["lost"] * 5 + ["won"]


# ----------------------------------------------------------------------------------- damaged files
def _assert_moved_aside(store: JobStore, tmp_path: Path, original: bytes) -> None:
    assert store.recovery_notice is not None
    moved = [
        p for p in tmp_path.iterdir() if p.name.startswith("jobs.sqlite3.corrupt-") and "-wal" not in p.name
    ]
    assert len(moved) == 1 and moved[0].name.split("-")[0] and str(moved[0]) in store.recovery_notice
    assert moved[0].read_bytes() == original  # the damaged file is kept, byte for byte, for inspection
    assert store.load_all() == [] and store.read_only is False
    job = full_job()
    store.save(job)  # the fresh store works
    assert store.get(job.job_id) == job


@pytest.mark.parametrize(
    "content",
    [
        b"this is not a database at all\n" * 200,
        b"SQLite format 3\x00" + bytes(range(256)) * 40,  # the right magic, garbage after it
        bytes(4096),
    ],
    ids=["text", "magic-then-garbage", "zeros"],
)
def test_a_garbage_database_is_moved_aside_and_an_empty_store_starts(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "jobs.sqlite3"
    path.write_bytes(content)
    with JobStore(path) as store:
        _assert_moved_aside(store, tmp_path, content)


def test_a_truncated_database_is_moved_aside(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    with JobStore(path) as store:
        store.save_many([full_job(created_at=float(i), script="x" * 3000) for i in range(40)])
    whole = path.read_bytes()
    assert len(whole) > 8 * 4096
    path.write_bytes(whole[: len(whole) // 2])  # a copy cut short, as after a full disk or a bad sync
    with JobStore(path) as store:
        _assert_moved_aside(store, tmp_path, whole[: len(whole) // 2])


def test_a_full_disk_on_save_is_a_clear_local_file_error(store: JobStore) -> None:
    store.save(full_job())
    # SQLite's own "database or disk is full" (SQLITE_FULL), as a full disk gives it, without filling one.
    page_count = store._db.execute("PRAGMA page_count").fetchone()[0]
    store._db.execute(f"PRAGMA max_page_count = {page_count}")
    big = full_job(created_at=2.0, script="y" * 200_000)
    with pytest.raises(LocalFileError) as caught:
        store.save(big)
    assert kind_of(caught.value) == "disk_full"
    assert "full" in caught.value.message and "Traceback" not in caught.value.message
    assert store.get(big.job_id) is None
    assert len(store.load_all()) == 1  # the earlier job is intact


def test_a_read_only_database_on_save_is_a_clear_local_file_error(store: JobStore) -> None:
    store._db.execute("PRAGMA query_only = ON")  # SQLite's "attempt to write a readonly database"
    with pytest.raises(LocalFileError) as caught:
        store.save(full_job())
    assert kind_of(caught.value) == "local_file"
    assert "cannot be written" in caught.value.message


def test_error_texts_are_redacted_before_they_are_stored(store: JobStore, tmp_path: Path) -> None:
    from videogen_studio.api.redact import register_secret

    secret = "vg_sk_live_4f9a8b7c6d5e"
    register_secret(secret)
    job = full_job(
        error_message=f"Server said: bad key {secret}",
        error_hint="Header was Authorization: Bearer abc.def.ghi",
        notice=f"echo {secret}",
    )
    store.save(job)
    store.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("jobs.sqlite3"))
    assert secret.encode() not in raw and b"abc.def.ghi" not in raw
    with JobStore(tmp_path / "jobs.sqlite3") as again:
        stored = again.get(job.job_id)
        assert stored is not None and "bad key" in (stored.error_message or "")


def test_claim_many_wins_only_what_nobody_live_holds(store: JobStore) -> None:
    jobs = [full_job(created_at=float(i)) for i in range(5)]
    store.save_many(jobs)
    assert store.claim(jobs[1].job_id, "host:9:other", 30)
    assert store.claim(jobs[2].job_id, "host:9:other", -1.0)  # expired: up for grabs
    won = store.claim_many([j.job_id for j in jobs], "host:1:me", 30)
    assert won == {jobs[0].job_id, jobs[2].job_id, jobs[3].job_id, jobs[4].job_id}
    assert store.claim_many([], "host:1:me", 30) == set()


def test_a_data_folder_that_cannot_be_created_is_a_clear_local_file_error(tmp_path: Path) -> None:
    blocker = tmp_path / "data"
    blocker.write_bytes(b"a file where the data folder should be")
    with pytest.raises(LocalFileError) as caught:
        JobStore(blocker / "jobs.sqlite3")
    assert kind_of(caught.value) == "local_file"
    assert str(blocker) in caught.value.message
