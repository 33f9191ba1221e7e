"""What the service taught us about an account survives restarts and is undone by a later success."""

from __future__ import annotations

from pathlib import Path

from videogen_studio.api.errors import ErrorKind
from videogen_studio.api.models import WatermarkMode
from videogen_studio.pipeline.account_features import AccountFeatures
from videogen_studio.pipeline.jobs import JobState, RenderJob, RenderSpec


def job(mode: str, state: JobState, **changes: object) -> RenderJob:
    base = RenderJob(RenderSpec("p", "Hello", voice_id="v", watermark_mode=mode))
    return base.advance(state, **changes) if state is not JobState.QUEUED else base


def test_refusal_is_remembered_per_account(tmp_path: Path) -> None:
    features = AccountFeatures.for_account(tmp_path, "acct1")
    assert features.allows_watermark(WatermarkMode.NONE)
    refused = job("NONE", JobState.FAILED, error_kind=ErrorKind.ADD_ON_REQUIRED)
    assert features.learn_from_job(refused) is True
    assert not features.allows_watermark("none")
    assert features.allows_watermark(WatermarkMode.AUTO) and features.allows_watermark(None)
    # Another process, another start: still known; another account: not.
    assert not AccountFeatures.for_account(tmp_path, "acct1").allows_watermark("NONE")
    assert AccountFeatures.for_account(tmp_path, "acct2").allows_watermark("NONE")


def test_other_failures_and_other_modes_teach_nothing(tmp_path: Path) -> None:
    features = AccountFeatures(tmp_path / "f.json")
    assert not features.learn_from_job(
        job("NONE", JobState.FAILED, error_kind=ErrorKind.INSUFFICIENT_CREDITS)
    )
    assert not features.learn_from_job(job("AUTO", JobState.FAILED, error_kind=ErrorKind.ADD_ON_REQUIRED))
    assert features.allows_watermark("NONE")
    assert not (tmp_path / "f.json").exists()


def test_a_later_success_with_none_clears_it(tmp_path: Path) -> None:
    features = AccountFeatures(tmp_path / "f.json")
    features.note_watermark_refused()
    done = RenderJob(RenderSpec("p", "Hello", voice_id="v", watermark_mode="NONE"), video_file_id="vg_file_1")
    assert features.learn_from_job(done) is True
    assert AccountFeatures(tmp_path / "f.json").allows_watermark("NONE")


def test_damaged_file_is_ignored(tmp_path: Path) -> None:
    (tmp_path / "f.json").write_text("{broken", encoding="utf-8")
    assert AccountFeatures(tmp_path / "f.json").allows_watermark("NONE")
    (tmp_path / "f.json").write_text('{"v": 1, "refused": {"watermark_none": "yesterday"}}', encoding="utf-8")
    assert AccountFeatures(tmp_path / "f.json").allows_watermark("NONE")


def test_listeners_hear_about_changes(tmp_path: Path) -> None:
    features = AccountFeatures(tmp_path / "f.json")
    heard: list[bool] = []
    unsubscribe = features.subscribe(lambda f: heard.append(f.allows_watermark("NONE")))
    features.note_watermark_refused()
    features.note_watermark_refused()  # nothing new: no call
    features.note_watermark_allowed()
    assert heard == [False, True]
    unsubscribe()
    features.note_watermark_refused()
    assert heard == [False, True]
