"""The headless command line against the sandbox, with base URL and key from the environment."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import av
import pytest

from videogen_studio.cli import main
from videogen_studio.sandbox import SandboxServer


@pytest.fixture
def api_env(sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> SandboxServer:
    monkeypatch.setenv("VIDEOGEN_API_KEY", sandbox.api_key)
    return sandbox


def first_presenter(sandbox: SandboxServer, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["presenters", "--base-url", sandbox.base_url]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) >= 24 and all(line.startswith("vg_pres_") for line in lines)
    return lines[0].split("\t")[0]


def paid_posts(sandbox: SandboxServer) -> int:
    return sum(
        1
        for r in sandbox.request_log
        if r.method == "POST" and r.path.startswith("/v1/tools/") and "executions" not in r.path
    )


def test_render_writes_a_playable_mp4(
    api_env: SandboxServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    presenter = first_presenter(api_env, capsys)
    script = tmp_path / "script.txt"
    script.write_text("A short headless render from the command line.", encoding="utf-8")
    code = main(
        [
            "render",
            "--base-url",
            api_env.base_url,
            "--presenter",
            presenter,
            "--script",
            str(script),
            "--out",
            str(tmp_path / "out"),
            "--speed",
            "1.2",
            "--replace",
            "CLI=command line",
        ]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    out = Path(captured.out.strip())
    assert out.parent == tmp_path / "out" and out.suffix == ".mp4"
    with av.open(str(out)) as container:
        assert container.streams.video and container.streams.audio
    assert "Done" in captured.err
    assert paid_posts(api_env) == 2


def test_voices_listing_marks_flags(api_env: SandboxServer, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["voices", "--base-url", api_env.base_url, "--all"]) == 0
    out = capsys.readouterr().out
    assert "deprecated" in out and "no-direct-tts" in out


@pytest.mark.parametrize(
    ("stdin", "presenter", "voice", "message"),
    [
        ("   \n", None, None, "script is empty"),
        ("Hello", "vg_pres_nope", None, "unknown presenter"),
        ("Hello", None, "vg_voic_nope", "unknown voice"),
    ],
)
def test_bad_input_is_refused_before_anything_is_paid(
    api_env: SandboxServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    stdin: str,
    presenter: str | None,
    voice: str | None,
    message: str,
) -> None:
    presenter = presenter or first_presenter(api_env, capsys)
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    argv = [
        "render",
        "--base-url",
        api_env.base_url,
        "--presenter",
        presenter,
        "--script",
        "-",
        "--out",
        str(tmp_path),
    ]
    if voice:
        argv += ["--voice", voice]
    assert main(argv) == 2
    assert message in capsys.readouterr().err
    assert paid_posts(api_env) == 0


def test_bad_key_says_so_without_echoing_it(
    sandbox: SandboxServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VIDEOGEN_API_KEY", "vg_key_wrong_secret_value")
    assert main(["presenters", "--base-url", sandbox.base_url]) == 1
    err = capsys.readouterr().err
    assert "invalid or has been revoked" in err and "vg_key_wrong_secret_value" not in err


def test_no_key_at_all_explains_the_env_var(
    sandbox: SandboxServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["presenters", "--base-url", sandbox.base_url]) == 2
    assert "VIDEOGEN_API_KEY" in capsys.readouterr().err
