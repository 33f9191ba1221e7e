"""A stop (Ctrl+C, SIGTERM) that arrives before the paid request is sent sends nothing: `render` and
`retry` look at the stop right before submitting, so the checks before it never end in a charge."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from sandbox_helpers import posts

from videogen_studio.cli import jobs as cli_jobs
from videogen_studio.cli import main
from videogen_studio.cli import render as cli_render
from videogen_studio.cli.stop import StopController
from videogen_studio.paths import app_paths
from videogen_studio.pipeline.jobs import JobState, RenderJob
from videogen_studio.pipeline.store import JobStore
from videogen_studio.sandbox import SandboxServer

TTS, AVATAR = "/v1/tools/text-to-speech", "/v1/tools/generate-avatar"


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
    script.write_text("Stopped before it was sent.", encoding="utf-8")
    base = ["render", "--base-url", sandbox.base_url, "--presenter", presenter]
    return [*base, "--script", str(script), "--out", str(tmp_path / "out")]


def signal_during(
    monkeypatch: pytest.MonkeyPatch, module: Any, sig: signal.Signals, step: str = "preflight"
) -> None:
    """The user's signal lands while `step` (a lookup or check before paying) runs; the step waits until
    the CLI's handler has seen it (no sleeps), so what follows runs with the stop already set."""
    stoppers: list[StopController] = []
    install = StopController.install

    def recording_install(self: StopController) -> None:
        stoppers.append(self)
        install(self)

    real: Callable[..., Awaitable[Any]] = getattr(module, step)

    async def step_then_signal(*args: Any, **kwargs: Any) -> Any:
        result = await real(*args, **kwargs)
        os.kill(os.getpid(), sig)
        async with asyncio.timeout(10):
            await stoppers[-1].event.wait()
        return result

    monkeypatch.setattr(StopController, "install", recording_install)
    monkeypatch.setattr(module, step, step_then_signal)


def saved_jobs() -> list[RenderJob]:
    if not app_paths().job_db.exists():
        return []
    with JobStore(app_paths().job_db) as store:
        return store.load_all()


@pytest.mark.parametrize("step", ["find_performer", "choose_voice", "preflight"])
def test_ctrl_c_before_the_render_is_sent_pays_nothing(
    sandbox: SandboxServer,
    argv: list[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    step: str,
) -> None:
    signal_during(monkeypatch, cli_render, signal.SIGINT, step)
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 128 + signal.SIGINT, err
    assert "interrupted: nothing was sent" in err
    assert (posts(sandbox, TTS), posts(sandbox, AVATAR)) == (0, 0)
    assert saved_jobs() == []


def test_sigterm_before_a_retry_is_sent_pays_nothing_again(
    sandbox: SandboxServer,
    argv: list[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert main(argv) == 0
    capsys.readouterr()
    (done,) = saved_jobs()
    # As a failure before anything was paid would leave it: a retry must send the speech again.
    failed = dataclasses.replace(
        done,
        state=JobState.FAILED,
        tts_execution_id=None,
        audio_file_id=None,
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
    paid = (posts(sandbox, TTS), posts(sandbox, AVATAR))
    signal_during(monkeypatch, cli_jobs, signal.SIGTERM)
    code = main(["retry", done.job_id, "--base-url", sandbox.base_url])
    err = capsys.readouterr().err
    assert code == 128 + signal.SIGTERM, err
    assert f"render {done.job_id} was not sent again" in err
    assert (posts(sandbox, TTS), posts(sandbox, AVATAR)) == paid
    (job,) = saved_jobs()
    assert job.state is JobState.FAILED
