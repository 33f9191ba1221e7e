"""JobStore: round trips, WAL, tolerance of bad rows, and migrations from older schema versions."""

from __future__ import annotations

import json
import logging
import sqlite3
from pathlib import Path

import pytest

from videogen_studio.pipeline.jobs import JobState, RenderJob, RenderSpec
from videogen_studio.pipeline.store import SCHEMA_VERSION, JobStore, job_from_dict, job_to_dict


def full_job(created_at: float = 1_700_000_000.0, **changes: object) -> RenderJob:
    """A job with every field set to something other than its default."""
    spec = RenderSpec(
        presenter_id="vg_pres_abc",
        script="Grüße aus Köln — 你好",
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
    assert store.schema_version == SCHEMA_VERSION == 2


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
        assert store.schema_version == 2
        assert store.load_all() == [old]
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


def test_newer_schema_is_used_as_is(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "jobs.sqlite3"
    job = full_job()
    with JobStore(path) as store:
        store.save(job)
    with sqlite3.connect(path) as db:  # a later app version added something and bumped the version
        db.execute("ALTER TABLE jobs ADD COLUMN priority INTEGER NOT NULL DEFAULT 0")
        db.execute("PRAGMA user_version = 7")
    db.close()
    with caplog.at_level(logging.WARNING), JobStore(path) as store:
        assert store.load_all() == [job]
        store.save(job.advance(JobState.QUEUED))
        assert store.schema_version == 7  # never downgraded
    assert "newer than this app" in caplog.text


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
    with pytest.raises(sqlite3.OperationalError):
        JobStore(path)
    monkeypatch.undo()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 1
        assert "updated_at" not in {r[1] for r in db.execute("PRAGMA table_info(jobs)")}
    db.close()
    with JobStore(path) as store:  # and the real migration still runs afterwards
        assert store.schema_version == 2
