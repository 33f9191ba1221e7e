"""Generation C, approval gate: the CLI says a render waits for approval; stopped meanwhile it stays saved,
and `resume` finishes it once approved."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from pathlib import Path

import pytest

from videogen_studio.cli import main
from videogen_studio.paths import app_paths
from videogen_studio.pipeline.store import JobStore
from videogen_studio.sandbox import SandboxConfig, SandboxServer


@pytest.fixture
def sandbox_config() -> SandboxConfig:
    config = SandboxConfig.fast(api_generation="C")
    config.approval_required = True
    return config


def sigterm_once_waiting(stop: threading.Event) -> None:
    """Once the CLI has saved its job as waiting for approval, stop it as a service manager would."""
    while not stop.is_set():
        if app_paths().job_db.exists():
            with JobStore(app_paths().job_db) as store:
                if any(job.awaiting_approval for job in store.load_all()):
                    os.kill(os.getpid(), signal.SIGTERM)
                    return
        time.sleep(0.05)


def test_a_render_waiting_for_approval_is_said_kept_and_resumed(
    sandbox: SandboxServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("VIDEOGEN_API_KEY", sandbox.api_key)
    assert main(["actors", "--base-url", sandbox.base_url]) == 0
    actor = capsys.readouterr().out.splitlines()[0].split("\t")[0]
    script = tmp_path / "script.txt"
    script.write_text("Approved, eventually.", encoding="utf-8")
    stop = threading.Event()
    watcher = threading.Thread(target=sigterm_once_waiting, args=(stop,), daemon=True)
    watcher.start()
    try:
        argv = ["render", "--base-url", sandbox.base_url, "--actor", actor, "--script", str(script)]
        code = main([*argv, "--out", str(tmp_path / "out")])
    finally:
        stop.set()
        watcher.join(5)
    err = capsys.readouterr().err
    assert code == 128 + signal.SIGTERM, err
    assert "waits for approval" in err and "videogen-studio resume " in err
    assert sandbox.state.awaiting_approval()  # still waiting on the service: nothing was cancelled
    job_id = err.split("videogen-studio resume ")[-1].split("`")[0]
    stop.clear()
    approver = threading.Thread(target=approve_everything, args=(sandbox, stop), daemon=True)
    approver.start()
    try:
        assert main(["resume", job_id, "--base-url", sandbox.base_url]) == 0
    finally:
        stop.set()
        approver.join(5)
    assert Path(capsys.readouterr().out.strip()).exists()


def approve_everything(sandbox: SandboxServer, stop: threading.Event) -> None:
    """The account owner approving on the service's side (each step of a generation C render waits)."""
    while not stop.is_set():
        for execution_id in sandbox.state.awaiting_approval():
            with contextlib.suppress(Exception):  # approved meanwhile by an earlier pass
                sandbox.state.approve(execution_id)
        time.sleep(0.02)
