"""The GUI's wording of errors, failed jobs and preflight problems (ui/wording.py; issue 9, defects 7, 10)."""

from __future__ import annotations

import dataclasses
import errno
import socket

import pytest

from videogen_studio.api.errors import AddOnRequired, AuthError, ErrorKind, NetworkError, ServerError
from videogen_studio.pipeline.failures import FailureKind
from videogen_studio.pipeline.jobs import JobState, RenderJob, RenderSpec
from videogen_studio.pipeline.preflight import Problem, ProblemKind
from videogen_studio.ui import wording

API_CONSTANTS = ("NONE", "AUTO", "VIDEO_GEN", "purchase_add_on", "watermarkMode")


def test_every_error_kind_has_gui_words() -> None:
    missing = [k.value for k in ErrorKind if not wording.hint_for(k.value)]
    missing += [k.value for k in FailureKind if not wording.hint_for(k.value)]
    assert missing == []


@pytest.mark.parametrize("kind", [*(k.value for k in ErrorKind), *(k.value for k in FailureKind)])
def test_hints_promise_nothing_the_app_does_not_do(kind: str) -> None:
    hint = wording.hint_for(kind)
    assert "on its own" not in hint and "the app retries" not in hint.lower()
    assert "[Errno" not in hint
    for constant in API_CONSTANTS:
        assert constant not in hint.split(), constant
    if kind not in ("rate_limited", "approval_pending"):
        assert "by itself" not in hint


def test_raw_errno_texts_are_worded() -> None:
    text = wording.describe_error(socket.gaierror(-2, "Name or service not known"))
    assert "[Errno" not in text and "address could not be found" in text
    text = wording.describe_error(OSError(errno.ENOSPC, "No space left on device", "/data/x.mp4"))
    assert "[Errno" not in text and "disk is full" in text.lower()
    assert wording.clean("[Errno 13] Permission denied: '/out'") == "Permission denied: '/out'"


def test_add_on_refusal_names_what_the_user_sees() -> None:
    exc = AddOnRequired("watermarkMode NONE requires purchase_add_on", status=403, code="add_on_required")
    text = wording.describe_error(exc)
    assert "No watermark" in text and "Automatic" in text
    assert "NONE" not in text.split() and "AUTO" not in text


def test_auth_errors_point_to_the_menu_and_never_echo_a_key() -> None:
    exc = AuthError("Bearer vg_key_secret_123 is invalid", status=401, code="invalid_api_key")
    text = wording.describe_error(exc)
    assert "vg_key_secret_123" not in text
    assert "File → Account…" in text


def test_a_failed_job_offers_retry_not_an_automatic_one() -> None:
    spec = RenderSpec(presenter_id="vg_pres_1", script="Hi.")
    job = RenderJob(
        spec,
        state=JobState.FAILED,
        error_message="VideoGen server error",
        error_hint="VideoGen had a problem; the app retries on its own.",
        error_code=None,
    )
    message, hint = wording.job_failure(job)
    assert message == "VideoGen server error."
    assert "on its own" not in hint and "Retry" in hint
    server = dataclasses.replace(job, error_kind="server")
    assert wording.job_failure(server)[1] == wording.hint_for("server")


def test_transient_errors_in_banners_say_what_to_do() -> None:
    assert "Retry" in wording.describe_error(ServerError("VideoGen server error", status=503))
    assert "connection" in wording.describe_error(NetworkError("Could not connect")).lower()


def test_preflight_problems_use_the_labels_the_user_sees() -> None:
    problems = [
        Problem(
            ProblemKind.WATERMARK_NOT_ALLOWED.value, "watermark NONE needs purchase_add_on", "watermark_mode"
        ),
        Problem(ProblemKind.OUTPUT_NOT_WRITABLE.value, "[Errno 13] Permission denied", "output_dir"),
    ]
    text = wording.preflight_summary(problems)
    assert "No watermark" in text and "[Errno" not in text and "NONE" not in text.split()
    for kind in ProblemKind:
        worded = wording.preflight_text(Problem(kind.value, "neutral text", "field"))
        assert worded and "[Errno" not in worded
