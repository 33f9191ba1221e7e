"""Real `videogen-studio render` processes against a loopback sandbox: kill -9, SIGTERM, a rival process,
a closed output pipe and a malformed key. Paid steps are counted from the sandbox's own execution records.

The harness is the soak's (scripts/soak.py): one sandbox in this process, CLI subprocesses that reach it
over 127.0.0.1, one shared data folder, a unique token in every script to trace what was paid for it.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sandbox_helpers import load_soak

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.timeout(240)


soak = load_soak()


@pytest.fixture
def harness(tmp_path: Path, sandbox_assets: Path) -> Iterator[soak.Soak]:
    lines: list[str] = []
    # The CLIs poll every 50 ms instead of the product's 1.5 s: the sandbox's executions (speech 0.4 s,
    # avatar 1.0 s) and so the moments a mishap strikes are unchanged, the processes only finish sooner.
    runner = soak.Soak(
        tmp_path / "soak", REPO, seed=20261202, log=lines.append, assets=sandbox_assets, poll_interval_s=0.05
    )
    try:
        yield runner
    finally:
        runner.close()


def avatars_and_speech(harness: soak.Soak, index: int) -> tuple[int, int]:
    speech, avatars = harness.paid().get(harness.tokens[index], (0, 0))
    return avatars, speech


@pytest.mark.parametrize("mishap", ["kill_after_speech_post", "kill_during_avatar", "kill_during_download"])
def test_kill_9_then_the_same_command_delivers_with_one_avatar_paid(harness: soak.Soak, mishap: str) -> None:
    presenter, voice = harness.inputs()
    harness.avatar_kill_delay = 0.4  # past the POST: its execution id is saved, the render is running
    outcome = harness.run_job(0, mishap, presenter, voice)
    avatars, speech = avatars_and_speech(harness, 0)
    runs = harness.runs[0]
    assert runs[0][1] in (-9, 0), runs  # killed (or it had already finished)
    if outcome == "uncertain":  # killed between the answer and the saved id: reported, never paid again
        assert "retry" in harness.stream(runs[-1][0]) and "--confirm" in harness.stream(runs[-1][0])
        assert avatars == 0 and speech == 1
        return
    assert outcome == "done", [(name, code, harness.stream(name)) for name, code in runs]
    assert avatars == 1 and speech == 1
    if len(runs) > 1:
        rerun = harness.stream(runs[1][0])
        assert "continuing render" in rerun or "already rendered" in rerun


@pytest.mark.parametrize("sig", ["SIGTERM", "SIGHUP"])
def test_sigterm_and_sighup_leave_the_render_resumable_and_say_how(harness: soak.Soak, sig: str) -> None:
    presenter, voice = harness.inputs()
    harness.avatar_kill_delay = 0.3
    outcome = harness.run_job(0, sig.lower(), presenter, voice)
    (first, code), *later = harness.runs[0]
    err = harness.stream(first)
    assert code == 128 + getattr(signal, sig), err
    assert f"stopped by {sig}" in err and "videogen-studio resume " in err
    assert "Traceback" not in err
    assert outcome == "done" and later and later[0][1] == 0
    assert avatars_and_speech(harness, 0) == (1, 1)


def test_a_second_render_on_the_same_data_folder_says_so_and_never_pays(harness: soak.Soak) -> None:
    # The product's own 1.5 s polls keep the first render running while the rival process starts up.
    harness.poll_interval_s = None
    presenter, voice = harness.inputs()
    outcome = harness.run_job(0, "rival", presenter, voice)
    codes = dict(harness.runs[0])
    assert outcome == "done"
    assert codes["job000-rival"] == 3
    rival_err = harness.stream("job000-rival").strip()
    assert len(rival_err.splitlines()) == 1
    assert "already working with this data folder" in rival_err
    assert avatars_and_speech(harness, 0) == (1, 1)


def test_a_key_with_a_line_break_is_refused_and_never_written(harness: soak.Soak) -> None:
    presenter, voice = harness.inputs()
    code = harness.broken_key_run(presenter, voice)
    err = harness.stream("broken-key")
    assert code == 2
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1
    assert "VIDEOGEN_API_KEY" in err and "Traceback" not in err
    found = soak.key_occurrences(harness.key, [harness.home, harness.work / "out"], harness.streams)
    assert found == {}
    assert harness.paid() == {}


def test_a_closed_output_pipe_ends_the_process_and_the_render_resumes(harness: soak.Soak) -> None:
    presenter, voice = harness.inputs()
    script = harness.work / "pipe.txt"
    script.write_text("Closed pipe soak-token-0000beef, a line for the presenter.\n")
    harness.tokens[0] = "soak-token-0000beef"
    argv = ["render", "--base-url", harness.server.base_url, "--presenter", presenter, "--voice", voice]
    argv += ["--script", str(script), "--out", str(harness.work / "out-pipe")]
    command = " ".join([sys.executable, "-m", "videogen_studio", *map(_quote, argv)]) + " 2>&1 | head -1"
    done = subprocess.run(
        ["sh", "-c", command], env=harness.env(), cwd=harness.work, capture_output=True, timeout=60
    )
    assert done.returncode == 0 and done.stdout.strip(), done  # head's status; one line came through
    # The process is gone (subprocess.run returned: the pipeline ended). The same command finishes the job.
    rerun = harness.wait(harness.start(argv, "pipe-rerun"), 0, "pipe-rerun")
    assert rerun == 0, harness.stream("pipe-rerun")
    assert avatars_and_speech(harness, 0) == (1, 1)


def _quote(text: str) -> str:
    import shlex

    return shlex.quote(text)
