"""RenderJob's state machine, progress and resume rules, plus the runner's restart rules and file names."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from videogen_studio.pipeline.jobs import (
    ALLOWED,
    STAGE_SPAN,
    InvalidTransition,
    JobState,
    RenderJob,
    RenderSpec,
)
from videogen_studio.pipeline.naming import output_file_name
from videogen_studio.pipeline.runner import (
    UNCERTAIN_RESTART_MESSAGE,
    recover,
    unique_path,
)

S = JobState
ACTIVE = (S.SUBMITTING_SPEECH, S.SPEECH_RUNNING, S.SUBMITTING_AVATAR, S.AVATAR_RUNNING, S.DOWNLOADING)

#: The transition table written out by hand, so a change to jobs.py has to change this too.
EXPECTED = {
    S.QUEUED: {
        S.SUBMITTING_SPEECH,
        S.SPEECH_RUNNING,
        S.SUBMITTING_AVATAR,
        S.AVATAR_RUNNING,
        S.DOWNLOADING,
        S.FAILED,
        S.CANCELLED,
    },
    S.SUBMITTING_SPEECH: {S.SPEECH_RUNNING, S.QUEUED, S.FAILED, S.CANCELLED},
    S.SPEECH_RUNNING: {S.SUBMITTING_AVATAR, S.FAILED, S.CANCELLED},
    S.SUBMITTING_AVATAR: {S.AVATAR_RUNNING, S.QUEUED, S.FAILED, S.CANCELLED},
    S.AVATAR_RUNNING: {S.DOWNLOADING, S.FAILED, S.CANCELLED},
    S.DOWNLOADING: {S.DONE, S.FAILED, S.CANCELLED},
    S.DONE: set(),
    S.FAILED: {S.QUEUED},
    S.CANCELLED: {S.QUEUED},
}


def make_job(state: JobState = S.QUEUED, **changes: object) -> RenderJob:
    job = RenderJob(spec=RenderSpec(presenter_id="vg_pres_abc", script="Hello world"))
    return job.update(state=state, **changes)


def test_table_matches_the_documented_machine() -> None:
    assert {state: set(targets) for state, targets in ALLOWED.items()} == EXPECTED
    assert set(ALLOWED) == set(JobState)


@pytest.mark.parametrize(
    ("source", "target"),
    [(a, b) for a, b in itertools.product(JobState, JobState) if b in EXPECTED[a]],
    ids=lambda s: s.value,
)
def test_allowed_transitions(source: JobState, target: JobState) -> None:
    job = make_job(source)
    moved = job.advance(target)
    assert moved.state is target
    assert job.state is source  # jobs are immutable: advance returns a copy


@pytest.mark.parametrize(
    ("source", "target"),
    [(a, b) for a, b in itertools.product(JobState, JobState) if a != b and b not in EXPECTED[a]],
    ids=lambda s: s.value,
)
def test_forbidden_transitions(source: JobState, target: JobState) -> None:
    with pytest.raises(InvalidTransition, match=f"{source.value} -> {target.value}"):
        make_job(source).advance(target)


@pytest.mark.parametrize("state", list(JobState), ids=lambda s: s.value)
def test_staying_in_a_state_is_always_allowed(state: JobState) -> None:
    job = make_job(state, stage_progress=0.4)
    assert job.advance(state, audio_file_id="vg_file_x").audio_file_id == "vg_file_x"
    assert job.advance(state).stage_progress == 0.4  # same state keeps the stage's progress


def test_terminal_states() -> None:
    assert {s for s in JobState if s.is_terminal} == {S.DONE, S.FAILED, S.CANCELLED}
    assert all(s.label for s in JobState)


def test_advance_stamps_times_and_resets_stage_progress() -> None:
    job = make_job(stage_progress=0.7)
    assert job.started_at is None and job.finished_at is None
    running = job.advance(S.SUBMITTING_SPEECH)
    assert running.started_at is not None
    assert running.stage_progress == 0.0
    assert running.advance(S.SPEECH_RUNNING).started_at == running.started_at  # first start is kept
    failed = running.advance(S.FAILED, error_message="boom")
    assert failed.finished_at is not None and failed.error_message == "boom"
    requeued = failed.advance(S.QUEUED)
    assert requeued.finished_at is None
    assert requeued.updated_at >= failed.updated_at


def test_overall_progress_follows_stage_spans() -> None:
    assert make_job(S.QUEUED).progress == 0.0
    assert make_job(S.DONE, stage_progress=1.0).progress == 1.0
    low, high = STAGE_SPAN[S.AVATAR_RUNNING]
    assert make_job(S.AVATAR_RUNNING, stage_progress=0.5).progress == pytest.approx((low + high) / 2)
    # Out-of-range stage progress is clamped, never outside the stage's share.
    assert make_job(S.DOWNLOADING, stage_progress=7.0).progress == STAGE_SPAN[S.DOWNLOADING][1]
    assert make_job(S.SPEECH_RUNNING, stage_progress=-1.0).progress == STAGE_SPAN[S.SPEECH_RUNNING][0]
    assert make_job(S.FAILED, stage_progress=0.9).progress == 0.0
    assert make_job(S.CANCELLED).progress == 0.0
    # The stages tile 0..1 in order, so progress never goes backwards between consecutive stages.
    spans = [STAGE_SPAN[s] for s in (S.QUEUED, *ACTIVE, S.DONE)]
    assert all(a[1] <= b[0] + 1e-9 for a, b in itertools.pairwise(spans))


@pytest.mark.parametrize(
    ("ids", "expected"),
    [
        ({}, S.SUBMITTING_SPEECH),
        ({"tts_execution_id": "vg_exec_1"}, S.SPEECH_RUNNING),
        ({"tts_execution_id": "vg_exec_1", "audio_file_id": "vg_file_a"}, S.SUBMITTING_AVATAR),
        ({"audio_file_id": "vg_file_a", "avatar_execution_id": "vg_exec_2"}, S.AVATAR_RUNNING),
        ({"avatar_execution_id": "vg_exec_2", "video_file_id": "vg_file_v"}, S.DOWNLOADING),
        ({"video_file_id": "vg_file_v"}, S.DOWNLOADING),
    ],
)
def test_resume_state_skips_every_paid_step_already_done(ids: dict[str, str], expected: JobState) -> None:
    job = make_job(S.FAILED, **ids)
    assert job.resume_state() is expected
    assert job.advance(S.QUEUED).advance(expected).state is expected  # and the table allows getting there


# ------------------------------------------------------------------------------------ restart rules
@pytest.mark.parametrize("state", [S.SUBMITTING_SPEECH, S.SUBMITTING_AVATAR])
def test_recover_marks_a_submit_without_id_uncertain(state: JobState) -> None:
    job = recover(make_job(state, audio_file_id="vg_file_a" if state is S.SUBMITTING_AVATAR else None))
    assert job.state is S.FAILED
    assert job.uncertain
    assert job.error_message == UNCERTAIN_RESTART_MESSAGE
    assert "charged twice" in job.error_message


def test_recover_polls_a_submit_whose_id_was_saved() -> None:
    assert recover(make_job(S.SUBMITTING_SPEECH, tts_execution_id="vg_exec_1")).state is S.SPEECH_RUNNING
    job = make_job(S.SUBMITTING_AVATAR, audio_file_id="vg_file_a", avatar_execution_id="vg_exec_2")
    assert recover(job).state is S.AVATAR_RUNNING


@pytest.mark.parametrize(
    "state", [S.QUEUED, S.SPEECH_RUNNING, S.AVATAR_RUNNING, S.DOWNLOADING, S.DONE, S.FAILED, S.CANCELLED]
)
def test_recover_leaves_other_states_alone(state: JobState) -> None:
    job = make_job(state)
    assert recover(job) is job


# --------------------------------------------------------------------------------------- file names
def named(presenter_name: str, script: str, presenter_id: str = "vg_pres_abc") -> str:
    job = RenderJob(
        spec=RenderSpec(presenter_id=presenter_id, presenter_name=presenter_name, script=script),
        job_id="0123456789abcdef",
    )
    return output_file_name(job.spec, job.job_id)  # the one naming rule, shared with the CLI


def test_file_name_is_human_and_carries_the_job_id() -> None:
    name = named("Ada", "Welcome to our quarterly update, everyone. Today we talk numbers.")
    assert name == "Ada - Welcome to our quarterly update, everyone - 012345.mp4"


def test_file_name_is_safe_on_every_os() -> None:
    name = named('  a<b>c:"d/e\\f|g?h*  ', "..hidden\tline\nbreak \x00 \x1f what? / yes: no*")
    assert not set(name) & set('<>:"/\\|?*\x00\x1f\t\n')
    assert not name.startswith(".")
    assert name.endswith(" - 012345.mp4")
    assert "  " not in name


def test_file_name_falls_back_and_stays_short() -> None:
    assert named("", "Hi", presenter_id="vg_pres_xyz").startswith("vg_pres_xyz - Hi - ")
    assert named("???", "") == "Presenter - 012345.mp4"
    long = named("N" * 300, " ".join(["supercalifragilistic" * 5] * 10))
    assert len(long) <= 124 and long.endswith(".mp4")
    assert not long[:-4].endswith((" ", "."))  # Windows would silently strip these


def test_file_name_normalises_unicode() -> None:
    decomposed = "Zoe\u0301"  # e + combining acute, as macOS file systems hand it back
    assert named(decomposed, "Café olé").startswith("Zoé - Café olé")


def test_unique_path_avoids_existing_files_and_partials(tmp_path: Path) -> None:
    first = unique_path(tmp_path, "clip.mp4")
    assert first == tmp_path / "clip.mp4"
    first.write_bytes(b"x")
    second = unique_path(tmp_path, "clip.mp4")
    assert second == tmp_path / "clip (2).mp4"
    (tmp_path / "clip (2).mp4.part").write_bytes(b"x")  # someone else's download in progress
    assert unique_path(tmp_path, "clip.mp4") == tmp_path / "clip (3).mp4"


# ------------------------------------------------------------------------------------ fingerprints
BASE = RenderSpec(presenter_id="vg_pres_abc", script="Hello world", voice_id="vg_voic_1", output_dir="/out")


def test_fingerprint_is_stable_and_ignores_display_fields() -> None:
    import dataclasses

    fp = BASE.fingerprint()
    assert (
        fp
        == RenderSpec(
            presenter_id="vg_pres_abc", script="Hello world", voice_id="vg_voic_1", output_dir="/out"
        ).fingerprint()
    )
    assert len(fp) == 64 and int(fp, 16) >= 0
    for display in ({"title": "Mine"}, {"presenter_name": "Ada"}, {"presenter_thumbnail_url": "http://x"}):
        assert dataclasses.replace(BASE, **display).fingerprint() == fp


@pytest.mark.parametrize(
    "change",
    [
        {"script": "Hello world!"},
        {"presenter_id": "vg_pres_abd"},
        {"voice_id": "vg_voic_2"},
        {"voice_id": None},
        {"language_code": "de"},
        {"voice_speed": 1.1},
        {"replacements": (("a", "b"),)},
        {"auto_expand": True},
        {"watermark_mode": "NONE"},
        {"temporary": True},
        {"output_dir": "/elsewhere"},
        {"avatar_form": "actor"},
        {"avatar_quality": "HIGH"},
        {"num_results": 2},
        {"audio_path": "/me.wav"},
    ],
    ids=lambda c: next(iter(c)),
)
def test_fingerprint_changes_with_anything_that_is_sent(change: dict[str, object]) -> None:
    import dataclasses

    assert dataclasses.replace(BASE, **change).fingerprint() != BASE.fingerprint()


def test_new_job_fields_default_to_a_single_result_and_no_notice() -> None:
    job = RenderJob(spec=BASE)
    assert job.video_file_ids == () and job.output_paths == ()
    assert job.error_kind is None and job.notice is None and job.awaiting_approval is False
    assert (BASE.avatar_form, BASE.avatar_quality, BASE.num_results, BASE.audio_path, BASE.title) == (
        "presenter",
        None,
        1,
        "",
        "",
    )


def test_kind_of_reads_the_errors_own_kind_and_words_local_os_errors() -> None:
    import errno

    from videogen_studio.api.errors import ErrorKind, InsufficientCredits, LocalFileError
    from videogen_studio.pipeline.failures import kind_of

    assert kind_of(InsufficientCredits("No credits left.", status=402)) == ErrorKind.INSUFFICIENT_CREDITS
    assert kind_of(LocalFileError("Cannot write.")) == ErrorKind.LOCAL_FILE
    assert kind_of(OSError(errno.ENOSPC, "No space left on device")) == ErrorKind.DISK_FULL
    assert kind_of(PermissionError(errno.EACCES, "Permission denied")) == ErrorKind.LOCAL_FILE
    assert kind_of(ValueError("a bug")) is None
