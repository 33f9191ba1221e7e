"""The CLI render against each API generation the sandbox plays: A (one page, May 2026), B (the spec) and C
(no presenter list: ACTOR entities and the actor-form avatar)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sandbox_helpers import posts

from videogen_studio.cli import main
from videogen_studio.sandbox import SandboxConfig, SandboxServer

AVATAR = "/v1/tools/generate-avatar"


@pytest.fixture(params=["A", "B", "C"])
def sandbox_config(request: pytest.FixtureRequest) -> SandboxConfig:
    return SandboxConfig.fast(api_generation=request.param)


@pytest.fixture
def api_env(sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> SandboxServer:
    monkeypatch.setenv("VIDEOGEN_API_KEY", sandbox.api_key)
    return sandbox


def test_render_on_every_generation(
    api_env: SandboxServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    generation = api_env.config.api_generation
    listing = "actors" if generation == "C" else "presenters"
    assert main([listing, "--base-url", api_env.base_url]) == 0
    performer = capsys.readouterr().out.splitlines()[0].split("\t")[0]
    script = tmp_path / "script.txt"
    script.write_text(f"Hello from generation {generation}.", encoding="utf-8")
    option = "--actor" if generation == "C" else "--presenter"
    argv = ["render", "--base-url", api_env.base_url, option, performer, "--script", str(script)]
    if generation == "C":
        argv += ["--quality", "HIGH"]
    assert main([*argv, "--out", str(tmp_path / "out")]) == 0
    captured = capsys.readouterr()
    assert Path(captured.out.strip()).stat().st_size > 0, captured.err
    assert "voice: " in captured.err
    assert posts(api_env, AVATAR) == 1


def test_the_other_form_is_refused_in_one_line_before_paying(
    api_env: SandboxServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    generation = api_env.config.api_generation
    other = "--presenter" if generation == "C" else "--actor"
    script = tmp_path / "script.txt"
    script.write_text("Wrong form.", encoding="utf-8")
    argv = ["render", "--base-url", api_env.base_url, other, "vg_x", "--script", str(script)]
    assert main([*argv, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: this service renders ") and len(err.splitlines()) == 1
    assert posts(api_env, "/v1/tools/text-to-speech") == 0
    if generation == "C":
        assert main(["presenters", "--base-url", api_env.base_url]) == 1
        assert "videogen-studio actors" in capsys.readouterr().err
