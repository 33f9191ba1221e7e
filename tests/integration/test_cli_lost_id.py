"""A paid execution id the service stops knowing (404 while the CLI follows it): `lost_id` + uncertain.

The id is kept, nothing is sent again on its own, and `render`, `jobs` and `resume` say what happened
(VideoGen answered 404 for the paid step) and what to do (check with the key that started it; `retry
--confirm` sends that step again and is charged again). Played against the loopback sandbox with a real 404.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sandbox_helpers import posts

from videogen_studio.cli import main
from videogen_studio.paths import app_paths
from videogen_studio.pipeline.failures import FailureKind
from videogen_studio.pipeline.jobs import JobState, RenderJob
from videogen_studio.pipeline.store import JobStore
from videogen_studio.sandbox import FaultRule, SandboxServer

TTS, AVATAR = "/v1/tools/text-to-speech", "/v1/tools/generate-avatar"


def only_job() -> RenderJob:
    with JobStore(app_paths().job_db) as store:
        (job,) = store.load_all()
    return job


def says_lost_and_what_to_do(text: str, short: str) -> None:
    assert "404" in text and "no longer knows" in text, text
    assert "id is kept" in text, text
    assert f"retry {short} --confirm" in text and "charged again" in text, text


def test_a_404_on_the_paid_id_is_explained_and_retried_only_with_confirm(
    sandbox: SandboxServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("VIDEOGEN_API_KEY", sandbox.api_key)
    url = ["--base-url", sandbox.base_url]
    assert main(["presenters", *url]) == 0
    presenter = capsys.readouterr().out.splitlines()[0].split("\t")[0]
    script = tmp_path / "script.txt"
    script.write_text("The service forgets this one.", encoding="utf-8")
    argv = ["render", *url, "--presenter", presenter, "--script", str(script), "--out", str(tmp_path / "o")]
    lost = FaultRule(
        kind="status", status=404, path=r"^/v1/tools/executions/[^/]+$", method="GET", times=None
    )
    sandbox.faults.add(lost)

    assert main(argv) == 4  # a decision is needed: never resubmitted by itself
    job = only_job()
    assert job.error_kind == FailureKind.LOST_ID.value and job.uncertain
    assert job.tts_execution_id  # the paid id is kept
    says_lost_and_what_to_do(capsys.readouterr().err, job.job_id)

    assert main(["jobs", *url]) == 0
    listing = capsys.readouterr().out
    assert "UNCERTAIN" in listing
    says_lost_and_what_to_do(listing, job.job_id[:12])

    assert main(["resume", job.job_id[:8], *url]) == 4
    says_lost_and_what_to_do(capsys.readouterr().err, job.job_id)
    assert main(["retry", job.job_id[:8], *url]) == 4
    says_lost_and_what_to_do(capsys.readouterr().err, job.job_id)
    assert posts(sandbox, TTS) == 1

    sandbox.faults.clear()
    assert main(["retry", job.job_id[:8], "--confirm", *url]) == 0
    assert capsys.readouterr().out.strip().endswith(".mp4")
    assert (posts(sandbox, TTS), posts(sandbox, AVATAR)) == (2, 1)  # the lost speech step, sent again
    assert only_job().state is JobState.DONE


def test_base_url_help_says_where_plain_http_is_allowed(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["render", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "https" in text and "127.0.0.1" in text and "::1" in text and "localhost" in text
