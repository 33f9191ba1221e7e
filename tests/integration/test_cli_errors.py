"""Every CLI error is one line on stderr that says what to do, in command-line words, and never a traceback.

Checkable problems are found before anything is paid (paid POSTs counted from the sandbox's request log).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sandbox_helpers import posts

from videogen_studio import session as session_module
from videogen_studio.api.client import VideoGenClient
from videogen_studio.api.retry import RetryPolicy
from videogen_studio.cli import main
from videogen_studio.paths import app_paths
from videogen_studio.pipeline.folder_lock import DataFolderLock
from videogen_studio.sandbox import FaultRule, SandboxAccount, SandboxServer

TTS, AVATAR = "/v1/tools/text-to-speech", "/v1/tools/generate-avatar"
GUI_WORDS = ("Open Account", "press Retry", "Press Retry", "the app ", "dialog")


@pytest.fixture
def api_env(sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> SandboxServer:
    monkeypatch.setenv("VIDEOGEN_API_KEY", sandbox.api_key)
    return sandbox


@pytest.fixture
def script(tmp_path: Path) -> Path:
    path = tmp_path / "script.txt"
    path.write_text("A short line for the presenter.", encoding="utf-8")
    return path


def presenter_of(sandbox: SandboxServer, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["presenters", "--base-url", sandbox.base_url]) == 0
    return capsys.readouterr().out.splitlines()[0].split("\t")[0]


def one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    line = lines[0]
    assert line.startswith("error: ") and "Traceback" not in err, err
    assert not any(word in line for word in GUI_WORDS), line
    assert "; " in line, f"no 'what to do' part: {line}"
    return line


def render_argv(sandbox: SandboxServer, presenter: str, script: Path, out: Path, *extra: str) -> list[str]:
    base = ["render", "--base-url", sandbox.base_url, "--presenter", presenter]
    return [*base, "--script", str(script), "--out", str(out), *extra]


def non_utf8(tmp_path: Path) -> str:
    path = tmp_path / "latin1.txt"
    path.write_bytes("Grüße aus Köln".encode("latin-1"))
    return str(path)


def too_long(tmp_path: Path) -> str:
    path = tmp_path / "long.txt"
    path.write_text("word " * 1200, encoding="utf-8")
    return str(path)


def a_file(tmp_path: Path) -> str:
    path = tmp_path / "not-a-folder"
    path.write_text("x")
    return str(path)


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("missing-script", "no script file"),
        ("script-is-folder", "is a folder"),
        ("non-utf8", "not UTF-8"),
        ("empty", "script is empty"),
        ("too-long", "the limit is 5,000"),
        ("speed-nan", "--speed"),
        ("speed-out-of-range", "--speed"),
        ("out-is-file", "--out"),
        ("results-zero", "--num-results"),
        ("unknown-presenter", "presenters"),
        ("unknown-voice", "voices"),
        ("quality-without-actor", "--actor"),
    ],
)
def test_bad_input_is_one_line_and_nothing_is_paid(
    api_env: SandboxServer,
    tmp_path: Path,
    script: Path,
    capsys: pytest.CaptureFixture[str],
    case: str,
    expected: str,
) -> None:
    presenter = presenter_of(api_env, capsys)
    out = tmp_path / "out"
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n")
    argv = {
        "missing-script": render_argv(api_env, presenter, tmp_path / "nope.txt", out),
        "script-is-folder": render_argv(api_env, presenter, tmp_path, out),
        "non-utf8": render_argv(api_env, presenter, Path(non_utf8(tmp_path)), out),
        "empty": render_argv(api_env, presenter, empty, out),
        "too-long": render_argv(api_env, presenter, Path(too_long(tmp_path)), out),
        "speed-nan": render_argv(api_env, presenter, script, out, "--speed", "nan"),
        "speed-out-of-range": render_argv(api_env, presenter, script, out, "--speed", "9"),
        "out-is-file": render_argv(api_env, presenter, script, Path(a_file(tmp_path))),
        "results-zero": render_argv(api_env, presenter, script, out, "--num-results", "0"),
        "unknown-presenter": render_argv(api_env, "vg_pres_nope", script, out),
        "unknown-voice": render_argv(api_env, presenter, script, out, "--voice", "vg_voic_nope"),
        "quality-without-actor": render_argv(api_env, presenter, script, out, "--quality", "HIGH"),
    }[case]
    assert main(argv) == 2
    line = one_error_line(capsys.readouterr().err)
    assert expected in line, line
    assert posts(api_env, TTS) == 0 and posts(api_env, AVATAR) == 0


def test_a_speed_that_is_not_a_number_is_a_usage_error(
    api_env: SandboxServer, tmp_path: Path, script: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(render_argv(api_env, "vg_pres_x", script, tmp_path, "--speed", "fast"))
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "'fast' is not a number" in err and "Traceback" not in err


def test_revoked_key_says_which_variable_to_fix_without_the_key(
    api_env: SandboxServer, tmp_path: Path, script: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    presenter = presenter_of(api_env, capsys)
    api_env.revoke_key(api_env.api_key)
    assert main(render_argv(api_env, presenter, script, tmp_path / "out")) == 1
    line = one_error_line(capsys.readouterr().err)
    assert "VIDEOGEN_API_KEY" in line and api_env.api_key not in line
    assert posts(api_env, TTS) == 0


def test_no_credits_says_to_add_credits_and_rerun(
    api_env: SandboxServer, tmp_path: Path, script: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    presenter = presenter_of(api_env, capsys)
    voice = first_voice(api_env, capsys)
    api_env.add_account(api_env.api_key, SandboxAccount(credits=0))
    assert main(render_argv(api_env, presenter, script, tmp_path / "out", "--voice", voice)) == 1
    err = capsys.readouterr().err
    line = one_error_line("\n".join(x for x in err.splitlines() if x.startswith("error")))
    assert "add credits" in line and "rerun the same command" in line


def first_voice(sandbox: SandboxServer, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["voices", "--base-url", sandbox.base_url]) == 0
    lines = capsys.readouterr().out.splitlines()
    return next(line.split("\t")[0] for line in lines if "no-direct-tts" not in line)


@pytest.fixture
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI's client retries with a short back-off and gives up after two 429 waits.

    What these tests prove is the CLI's one error line once the client gives up; how long the product's
    back-off (0.5 s doubling, ~5 s) and its patience for 429s (8 waits) are is unit-tested in
    test_retry.py. The retries still happen, against the real server, and every answer is still refused.
    """

    def client(*args: Any, **kwargs: Any) -> VideoGenClient:
        kwargs.setdefault("retry", RetryPolicy(base_delay_s=0.01, max_rate_limit_waits=2))
        return VideoGenClient(*args, **kwargs)

    monkeypatch.setattr(session_module, "VideoGenClient", client)


@pytest.mark.usefixtures("quick_retries")
def test_dropped_connections_are_one_line(api_env: SandboxServer, capsys: pytest.CaptureFixture[str]) -> None:
    api_env.faults.add(FaultRule("reset", path=".*", times=None))
    assert main(["voices", "--base-url", api_env.base_url]) == 1
    line = one_error_line(capsys.readouterr().err)
    assert "connection" in line or "rerun" in line


@pytest.mark.usefixtures("quick_retries")
def test_a_429_storm_is_one_line(api_env: SandboxServer, capsys: pytest.CaptureFixture[str]) -> None:
    api_env.faults.add(FaultRule("status", path=".*", status=429, retry_after=1, times=None))
    assert main(["voices", "--base-url", api_env.base_url]) == 1
    line = one_error_line(capsys.readouterr().err)
    assert "limit" in line
    # A storm the client waited out: the first answer and one per wait were all 429s.
    assert sum(1 for r in api_env.request_log if r.origin == "api") >= 3


def test_beside_a_running_gui_the_cli_says_so_and_does_not_drive(
    api_env: SandboxServer, tmp_path: Path, script: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    presenter = presenter_of(api_env, capsys)
    paths = app_paths()
    paths.data.mkdir(parents=True, exist_ok=True)
    gui = DataFolderLock(paths.data, "gui")
    assert gui.acquire()
    try:
        assert main(render_argv(api_env, presenter, script, tmp_path / "out")) == 3
    finally:
        gui.release()
    line = one_error_line(capsys.readouterr().err)
    assert "VideoGen Studio app" in line
    assert posts(api_env, TTS) == 0


def test_a_garbage_job_database_is_set_aside_with_a_note(
    api_env: SandboxServer, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = app_paths()
    paths.data.mkdir(parents=True, exist_ok=True)
    paths.job_db.write_bytes(b"this is not a database at all" * 100)
    assert main(["jobs", "--base-url", api_env.base_url]) == 0
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.startswith("note: "), err


def test_a_newer_job_database_is_never_written(
    api_env: SandboxServer, tmp_path: Path, script: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    presenter = presenter_of(api_env, capsys)
    paths = app_paths()
    paths.data.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(paths.job_db) as db:
        db.execute("PRAGMA user_version = 999")
    before = paths.job_db.read_bytes()
    assert main(render_argv(api_env, presenter, script, tmp_path / "out")) == 1
    one_error_line(capsys.readouterr().err)
    assert paths.job_db.read_bytes() == before
    assert posts(api_env, TTS) == 0


def test_watermark_none_without_the_add_on_is_worded_for_the_cli_and_refused_before_paying_next_time(
    api_env: SandboxServer, tmp_path: Path, script: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    presenter = presenter_of(api_env, capsys)
    argv = render_argv(api_env, presenter, script, tmp_path / "out", "--watermark", "NONE")
    assert main(argv) == 1
    line = one_error_line("\n".join(x for x in capsys.readouterr().err.splitlines() if x.startswith("error")))
    assert "--watermark AUTO" in line and "keeps the paid speech" in line
    paid = (posts(api_env, TTS), posts(api_env, AVATAR))
    # Learned for this account: the same command (or any NONE render) is now refused before anything is paid.
    assert main(argv) == 2
    line = one_error_line(capsys.readouterr().err)
    assert "--watermark AUTO or VIDEO_GEN" in line
    assert (posts(api_env, TTS), posts(api_env, AVATAR)) == paid
    # The retry the first line suggested renders only the avatar again.
    job_id = only_job_id()
    assert main(["retry", job_id, "--watermark", "AUTO", "--base-url", api_env.base_url]) == 0
    assert capsys.readouterr().out.strip().endswith(".mp4")
    assert posts(api_env, TTS) == paid[0]


def only_job_id() -> str:
    from videogen_studio.pipeline.store import JobStore

    with JobStore(app_paths().job_db) as store:
        (job,) = store.load_all()
    return job.job_id


def test_a_full_disk_is_one_line(
    api_env: SandboxServer,
    tmp_path: Path,
    script: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # No loopback server can fill the local disk: the store's own full-disk error is injected.
    from videogen_studio.api.errors import LocalFileError
    from videogen_studio.pipeline.store import JobStore

    presenter = presenter_of(api_env, capsys)

    def disk_full(*args: object, **kwargs: object) -> None:
        raise LocalFileError("The job database could not be written: the disk is full.", kind="disk_full")

    monkeypatch.setattr(JobStore, "_write_jobs", disk_full)
    assert main(render_argv(api_env, presenter, script, tmp_path / "out")) == 1
    line = one_error_line(capsys.readouterr().err)
    assert "disk is full" in line and "free some disk space" in line
    assert posts(api_env, TTS) == 0


def test_plain_http_to_another_machine_is_refused_before_the_key_is_used(
    api_env: SandboxServer, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["voices", "--base-url", "http://api.videogen.invalid"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "https://" in err and "--base-url" in err
    assert api_env.api_key not in err and "Traceback" not in err
    # The sandbox on loopback over plain http stays allowed.
    assert main(["voices", "--base-url", api_env.base_url]) == 0
