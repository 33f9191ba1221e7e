"""The command line drives only the render it was asked about (M10).

A GUI that closed with renders still waiting in its line leaves them QUEUED in the shared data folder.
`render`, `retry` and `resume` on that folder must not send (and pay for) those: they stay QUEUED for the
GUI. What reached the service is read from the loopback sandbox's own execution records.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from sandbox_helpers import posts

from videogen_studio.cli import main
from videogen_studio.paths import app_paths
from videogen_studio.pipeline.jobs import JobState, RenderJob
from videogen_studio.pipeline.store import JobStore
from videogen_studio.sandbox import SandboxServer

TTS, AVATAR = "/v1/tools/text-to-speech", "/v1/tools/generate-avatar"
GUI_SCRIPT = "Queued in the app and left waiting there."


@pytest.fixture
def argv(
    sandbox: SandboxServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> list[str]:
    monkeypatch.setenv("VIDEOGEN_API_KEY", sandbox.api_key)
    assert main(["presenters", "--base-url", sandbox.base_url]) == 0
    presenter = capsys.readouterr().out.splitlines()[0].split("\t")[0]
    script = tmp_path / "script.txt"
    script.write_text("Rendered from the command line.", encoding="utf-8")
    base = ["render", "--base-url", sandbox.base_url, "--presenter", presenter]
    return [*base, "--script", str(script), "--out", str(tmp_path / "out")]


def saved() -> dict[str, RenderJob]:
    with JobStore(app_paths().job_db) as store:
        return {j.job_id: j for j in store.load_all()}


def left_waiting_by_gui(like: RenderJob) -> RenderJob:
    """A fresh QUEUED job, unleased, as a GUI whose line was paused leaves it when it closes."""
    spec = dataclasses.replace(like.spec, script=GUI_SCRIPT)
    waiting = RenderJob(spec=spec)
    with JobStore(app_paths().job_db) as store:
        store.save(waiting)
    return waiting


def texts_sent(sandbox: SandboxServer) -> list[str]:
    """The script of every text-to-speech execution the sandbox accepted (each one paid)."""
    with sandbox.state.lock:
        return [e.params.get("text", "") for e in sandbox.state.executions.values() if "text" in e.params]


def assert_gui_job_untouched(sandbox: SandboxServer, waiting: RenderJob) -> None:
    assert not any(GUI_SCRIPT in text for text in texts_sent(sandbox))
    job = saved()[waiting.job_id]
    assert job.state is JobState.QUEUED
    assert (job.tts_execution_id, job.avatar_execution_id) == (None, None)


def test_a_cli_render_leaves_a_gui_render_waiting(
    sandbox: SandboxServer, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 0
    (first,) = saved().values()
    waiting = left_waiting_by_gui(first)
    capsys.readouterr()
    assert main([*argv, "--new"]) == 0
    assert capsys.readouterr().out.strip().endswith(".mp4")
    assert (posts(sandbox, TTS), posts(sandbox, AVATAR)) == (2, 2)  # the two CLI renders, nothing else
    assert_gui_job_untouched(sandbox, waiting)


def test_a_cli_retry_leaves_a_gui_render_waiting(
    sandbox: SandboxServer, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 0
    (done,) = saved().values()
    # Failed after the speech was paid: a retry sends only the avatar again.
    failed = dataclasses.replace(
        done,
        state=JobState.FAILED,
        avatar_execution_id=None,
        video_file_id=None,
        video_file_ids=(),
        output_path=None,
        output_paths=(),
        error_message="The service had a problem.",
        error_kind="server",
    )
    with JobStore(app_paths().job_db) as store:
        store.save(failed)
    waiting = left_waiting_by_gui(done)
    capsys.readouterr()
    assert main(["retry", done.job_id, "--base-url", sandbox.base_url]) == 0
    assert (posts(sandbox, TTS), posts(sandbox, AVATAR)) == (1, 2)
    assert saved()[done.job_id].state is JobState.DONE
    assert_gui_job_untouched(sandbox, waiting)


def test_resume_of_a_waiting_render_sends_only_that_one(
    sandbox: SandboxServer, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 0
    (done,) = saved().values()
    waiting = left_waiting_by_gui(done)
    # The one to resume: also waiting, queued after the GUI's, so a moving line would send the GUI's first.
    mine = RenderJob(spec=dataclasses.replace(done.spec, script="Resume me, only me."))
    with JobStore(app_paths().job_db) as store:
        store.save(mine)
    capsys.readouterr()
    assert main(["resume", mine.job_id[:10], "--base-url", sandbox.base_url]) == 0
    assert capsys.readouterr().out.strip().endswith(".mp4")
    assert (posts(sandbox, TTS), posts(sandbox, AVATAR)) == (2, 2)
    assert saved()[mine.job_id].state is JobState.DONE
    assert_gui_job_untouched(sandbox, waiting)
