"""The CLI's saved renders: the same `render` twice pays once, `--new` pays again, `jobs` flags an uncertain
render with what to do, `retry` needs `--confirm` for it, `resume` and `cancel` act on one job; listings.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from sandbox_helpers import posts

from videogen_studio.api.models import TtsVoice
from videogen_studio.cli import main
from videogen_studio.cli import render as cli_render
from videogen_studio.paths import app_paths
from videogen_studio.pipeline.jobs import JobState, RenderJob
from videogen_studio.pipeline.store import JobStore
from videogen_studio.sandbox import SandboxServer

TTS, AVATAR = "/v1/tools/text-to-speech", "/v1/tools/generate-avatar"


@pytest.fixture
def api_env(sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> SandboxServer:
    monkeypatch.setenv("VIDEOGEN_API_KEY", sandbox.api_key)
    return sandbox


@pytest.fixture
def argv(api_env: SandboxServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    assert main(["presenters", "--base-url", api_env.base_url]) == 0
    presenter = capsys.readouterr().out.splitlines()[0].split("\t")[0]
    script = tmp_path / "script.txt"
    script.write_text("Rendered once, asked twice.", encoding="utf-8")
    out = tmp_path / "out"
    base = ["render", "--base-url", api_env.base_url, "--presenter", presenter]
    return [*base, "--script", str(script), "--out", str(out)]


def only_job() -> RenderJob:
    with JobStore(app_paths().job_db) as store:
        (job,) = store.load_all()
    return job


def rewrite(job: RenderJob, **changes: object) -> None:
    """Put the job on disk as a crash would have left it."""
    with JobStore(app_paths().job_db) as store:
        store.save(dataclasses.replace(job, **changes))


def test_the_same_render_twice_pays_once_and_new_pays_again(
    api_env: SandboxServer, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 0
    first = capsys.readouterr()
    assert "voice: " in first.err  # chosen explicitly and said
    assert main(argv) == 0
    second = capsys.readouterr()
    assert second.out == first.out and "already rendered" in second.err
    assert (posts(api_env, TTS), posts(api_env, AVATAR)) == (1, 1)
    assert main([*argv, "--new"]) == 0
    assert capsys.readouterr().out != first.out
    assert (posts(api_env, TTS), posts(api_env, AVATAR)) == (2, 2)


def test_a_render_caught_mid_send_is_reported_and_retried_only_with_confirm(
    api_env: SandboxServer, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 0
    job = only_job()
    # As if killed right after the avatar POST went out, before its execution id was saved.
    rewrite(
        job,
        state=JobState.SUBMITTING_AVATAR,
        avatar_execution_id=None,
        video_file_id=None,
        video_file_ids=(),
        output_path=None,
        output_paths=(),
    )
    capsys.readouterr()
    assert main(argv) == 4  # the same command: never sent again on its own
    err = capsys.readouterr().err
    assert "may already have been sent" in err and f"retry {job.job_id} --confirm" in err
    assert main(["jobs", "--base-url", api_env.base_url]) == 0
    listing = capsys.readouterr().out
    assert "UNCERTAIN" in listing and "--confirm" in listing
    assert main(["retry", job.job_id[:8], "--base-url", api_env.base_url]) == 4
    capsys.readouterr()
    assert posts(api_env, AVATAR) == 1
    assert main(["retry", job.job_id[:8], "--confirm", "--base-url", api_env.base_url]) == 0
    assert capsys.readouterr().out.strip().endswith(".mp4")
    assert (posts(api_env, TTS), posts(api_env, AVATAR)) == (1, 2)  # the speech was kept


def test_resume_continues_a_stopped_render_without_paying_again(
    api_env: SandboxServer, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 0
    job = only_job()
    # As if stopped by SIGTERM while the avatar rendered: its execution id is saved.
    rewrite(
        job,
        state=JobState.AVATAR_RUNNING,
        video_file_id=None,
        video_file_ids=(),
        output_path=None,
        output_paths=(),
    )
    capsys.readouterr()
    assert main(["resume", job.job_id, "--base-url", api_env.base_url]) == 0
    assert capsys.readouterr().out.strip().endswith(".mp4")
    assert (posts(api_env, TTS), posts(api_env, AVATAR)) == (1, 1)


def test_cancel_a_waiting_render(
    api_env: SandboxServer, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 0
    job = only_job()
    rewrite(
        job,
        state=JobState.QUEUED,
        tts_execution_id=None,
        audio_file_id=None,
        avatar_execution_id=None,
        video_file_id=None,
        video_file_ids=(),
        output_path=None,
        output_paths=(),
    )
    assert main(["cancel", job.job_id, "--base-url", api_env.base_url]) == 0
    assert "cancelled" in capsys.readouterr().err
    assert only_job().state is JobState.CANCELLED
    assert posts(api_env, TTS) == 1  # cancelling started nothing
    assert main(["cancel", "nope", "--base-url", api_env.base_url]) == 2
    assert "see `videogen-studio jobs`" in capsys.readouterr().err


def test_num_results_downloads_every_result(
    api_env: SandboxServer, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*argv, "--num-results", "2"]) == 0
    paths = capsys.readouterr().out.split("\n")
    files = [Path(p) for p in paths if p.strip()]
    assert len(files) == 2 and len(set(files)) == 2
    assert all(f.exists() and f.stat().st_size > 0 for f in files)
    assert posts(api_env, AVATAR) == 1


def test_history_and_files_list_what_was_rendered(
    api_env: SandboxServer, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 0
    capsys.readouterr()
    assert main(["history", "--base-url", api_env.base_url]) == 0
    history = capsys.readouterr().out
    assert "TEXT_TO_SPEECH" in history and "GENERATE_AVATAR" in history
    assert main(["files", "--base-url", api_env.base_url]) == 0
    assert len(capsys.readouterr().out.splitlines()) >= 2
    assert main(["files", "search", "asked twice", "--base-url", api_env.base_url]) == 0
    assert capsys.readouterr().out.strip()
    assert main(["files", "search", "--base-url", api_env.base_url]) == 2
    assert "needs a query" in capsys.readouterr().err


def test_presenters_and_voices_walk_every_page(
    api_env: SandboxServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["presenters", "--base-url", api_env.base_url]) == 0
    presenters = capsys.readouterr().out.splitlines()
    assert len(presenters) == api_env.config.presenter_count
    assert len({line.split("\t")[0] for line in presenters}) == len(presenters)
    assert main(["voices", "--all", "--base-url", api_env.base_url]) == 0
    voices = capsys.readouterr().out.splitlines()
    assert len({line.split("\t")[0] for line in voices}) == len(voices) > 1


def test_a_rerun_without_voice_finds_its_render_after_the_default_voice_pick_changed(
    api_env: SandboxServer,
    argv: list[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert main(argv) == 0
    first = capsys.readouterr()
    first_voice = only_job().spec.voice_id
    real = cli_render.choose_voice
    others: list[str] = []

    async def another_pick(*args: Any, **kwargs: Any) -> tuple[TtsVoice, bool]:
        """As if the catalog changed between the runs: a voice added, so the pick is another one."""
        voice, picked = await real(*args, **kwargs)
        assert picked
        voices = await args[0].catalog.voices()
        other = next(v for v in voices if v.voice_id != voice.voice_id and v.supports_direct_tool_execution)
        others.append(other.voice_id)
        return other, True

    monkeypatch.setattr(cli_render, "choose_voice", another_pick)
    assert main(argv) == 0
    second = capsys.readouterr()
    assert second.out == first.out and "already rendered" in second.err
    assert (posts(api_env, TTS), posts(api_env, AVATAR)) == (1, 1)
    assert only_job().spec.voice_id == first_voice
    # A voice asked for by name is what was asked: another voice is another render.
    monkeypatch.setattr(cli_render, "choose_voice", real)
    assert main([*argv, "--voice", others[0]]) == 0
    assert posts(api_env, TTS) == 2


def test_resume_drives_only_its_render_not_the_ones_left_waiting(
    api_env: SandboxServer, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 0
    job = only_job()
    rewrite(
        job,
        state=JobState.AVATAR_RUNNING,
        video_file_id=None,
        video_file_ids=(),
        output_path=None,
        output_paths=(),
    )
    # A render the GUI queued and left waiting (e.g. its queue was paused when it closed).
    waiting = RenderJob(spec=dataclasses.replace(job.spec, script="Queued in the app, not here."))
    with JobStore(app_paths().job_db) as store:
        store.save(waiting)
    capsys.readouterr()
    assert main(["resume", job.job_id, "--base-url", api_env.base_url]) == 0
    assert (posts(api_env, TTS), posts(api_env, AVATAR)) == (1, 1)
    with JobStore(app_paths().job_db) as store:
        assert {j.job_id: j.state for j in store.load_all()} == {
            job.job_id: JobState.DONE,
            waiting.job_id: JobState.QUEUED,
        }
