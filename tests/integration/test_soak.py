"""The soak's own counting (paid steps traced to their job, key occurrences), and a tiny real soak run."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from sandbox_helpers import load_soak

REPO = Path(__file__).resolve().parents[2]


soak = load_soak()


def execution(tool_type: str, results: list[str], **params: str) -> SimpleNamespace:
    return SimpleNamespace(tool_type=tool_type, results=results, params=params)


def test_paid_steps_are_traced_to_their_job_through_the_audio_file() -> None:
    executions = {
        "e1": execution("TEXT_TO_SPEECH", ["a1"], text="Job soak-token-00000001 says hi"),
        "e2": execution("TEXT_TO_SPEECH", ["a2"], text="Job soak-token-00000002 says hi"),
        "e3": execution("GENERATE_AVATAR", ["v1"], audioFileId="a1"),
        "e4": execution("GENERATE_AVATAR", ["v2"], audioFileId="a1"),  # the same job paid twice
        "e5": execution("GENERATE_AVATAR", ["v3"], audioFileId="someone-else"),
        "e6": execution("TEXT_TO_SPEECH", ["a3"], text="no token here"),
    }
    assert soak.paid_per_token(executions) == {
        "soak-token-00000001": (1, 2),
        "soak-token-00000002": (1, 0),
    }


def test_key_occurrences_are_counted_in_files_and_streams(tmp_path: Path) -> None:
    key = "vg_key_soak_0123456789abcdef"
    data = tmp_path / "data"
    (data / "deep").mkdir(parents=True)
    (data / "deep" / "jobs.sqlite3").write_bytes(b"\x00" + key.encode() * 2 + b"\x00")
    (data / "clean.txt").write_text("nothing to see")
    stream = tmp_path / "run.err"
    stream.write_text(f"error: Bearer {key}\n")
    found = soak.key_occurrences(key, [data, tmp_path / "missing"], [stream, tmp_path / "none.err"])
    assert found == {str(data / "deep" / "jobs.sqlite3"): 2, str(stream): 1}


@pytest.mark.timeout(180)
def test_a_tiny_soak_delivers_every_job_without_paying_twice_or_leaking(
    tmp_path: Path, sandbox_assets: Path
) -> None:
    lines: list[str] = []
    runner = soak.Soak(
        tmp_path / "soak", REPO, seed=3, log=lines.append, assets=sandbox_assets, poll_interval_s=0.05
    )
    figures = runner.run(jobs=2, budget_s=60)
    assert figures.asked == 2 and figures.lost == 0 and figures.hangs == 0, lines
    assert figures.done + figures.uncertain == 2
    assert figures.max_avatars_per_job == 1
    assert figures.key_occurrences == 0, figures.key_files
    assert figures.broken_key_exit == 2
    assert any("jobs asked:" in line for line in figures.lines())
