"""Parsing of the wire format: tolerant of extras and new enum values, strict on required fields."""

from __future__ import annotations

import pytest

from videogen_studio.api import errors, models
from videogen_studio.api.models import AvatarRequest, PronunciationReplacement, TtsRequest


def test_presenter_parses_camel_case_and_ignores_unknown_fields() -> None:
    [p] = models.parse_presenters(
        {
            "avatarPresenters": [
                {
                    "avatarPresenterId": "vg_pres_1",
                    "displayableGender": "NONBINARY_FUTURE_VALUE",
                    "imageUrl": "https://x/i.png",
                    "thumbnailUrl": "https://x/t.png",
                    "previewVideoUrl": "https://x/p.mp4",
                    "brandNewField": {"nested": True},
                }
            ]
        }
    )
    assert p.avatar_presenter_id == "vg_pres_1"
    assert p.displayable_gender == "NONBINARY_FUTURE_VALUE"  # open enum: kept, not rejected
    assert p.preview_video_url.endswith(".mp4")


def test_missing_required_field_is_a_malformed_response() -> None:
    with pytest.raises(errors.MalformedResponse, match="avatarPresenterId"):
        models.parse_presenters({"avatarPresenters": [{"imageUrl": "x", "thumbnailUrl": "y"}]})
    with pytest.raises(errors.MalformedResponse, match="avatarPresenters"):
        models.parse_presenters({"unexpected": True})
    with pytest.raises(errors.MalformedResponse):
        models.parse_presenters(["not", "an", "object"])


def test_execution_with_results_error_and_progress() -> None:
    ex = models.ToolExecution.from_json(
        {
            "toolExecutionId": "vg_exec_1",
            "status": "failed",
            "toolType": "GENERATE_AVATAR",
            "progressPercentage": 40,
            "error": {"message": "Render failed", "code": "render_failed"},
        }
    )
    assert ex.is_terminal and ex.error is not None and ex.error.code == "render_failed"
    assert ex.progress_percentage == 40
    ok = models.ToolExecution.from_json(
        {
            "toolExecutionId": "vg_exec_2",
            "status": "succeeded",
            "toolType": "TEXT_TO_SPEECH",
            "results": [{"fileId": "vg_file_9", "type": "AUDIO"}],
        }
    )
    assert ok.results[0].file_id == "vg_file_9" and ok.results[0].file is None
    assert not models.ToolExecution.from_json(
        {"toolExecutionId": "x", "status": "awaiting_approval", "toolType": "X"}
    ).is_terminal


def test_file_source_usability_respects_expiry_margin() -> None:
    src = models.FileSource(status="ready", url="https://s/f", expires_at=1000.0)
    assert src.usable(margin_s=60, now=900.0)
    assert not src.usable(margin_s=60, now=950.0)
    assert not models.FileSource(status="pending").usable()
    f = models.StorageFile.from_json(
        {"fileId": "vg_file_1", "scope": "GLOBAL", "downloadSource": {"status": "ready", "url": None}}
    )
    assert f.needs_hydration()


def test_requests_send_only_fields_that_were_set() -> None:
    assert TtsRequest("Hello").to_json() == {"ttsText": "Hello"}
    body = TtsRequest(
        "Hi",
        voice_id="vg_voic_1",
        speech_language_code="en",
        pronunciation_replacements=(PronunciationReplacement("SQL", "sequel"),),
        auto_expand_pronunciation_replacements=False,
        voice_speed=1.25,
        num_results=1,
        is_output_temporary=True,
    ).to_json()
    assert body == {
        "ttsText": "Hi",
        "voiceId": "vg_voic_1",
        "speechLanguageCode": "en",
        "pronunciationReplacements": [{"original": "SQL", "replacement": "sequel"}],
        "autoExpandPronunciationReplacements": False,
        "voiceSpeed": 1.25,
        "numResults": 1,
        "isOutputTemporary": True,
    }
    assert AvatarRequest("vg_pres_1", "vg_file_1", watermark_mode="NONE").to_json() == {
        "avatarPresenterId": "vg_pres_1",
        "audioStorageFileId": "vg_file_1",
        "watermarkMode": "NONE",
    }


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (
            401,
            {"message": "API key is invalid or has been revoked.", "code": "invalid_api_key"},
            errors.AuthError,
        ),
        (401, {"message": "Unauthorized"}, errors.AuthError),
        (400, {"message": "bad id", "code": "invalid_id"}, errors.InvalidId),
        (400, {"message": "ttsText is required", "code": "invalid_parameters"}, errors.InvalidParameters),
        (402, {"message": "Not enough credits", "code": "insufficient_credits"}, errors.InsufficientCredits),
        (
            403,
            {"message": "Needs add-on", "requirement": {"type": "purchase_add_on", "details": {"a": "b"}}},
            errors.AddOnRequired,
        ),
        (403, {"message": "upgrade", "requirement": {"type": "upgrade_plan"}}, errors.RequirementError),
        (403, {"message": "forbidden"}, errors.PermissionDenied),
        (404, {"message": "nope"}, errors.NotFound),
        (409, {"message": "done already"}, errors.Conflict),
        (429, {"message": "slow down", "code": "rate_limited"}, errors.RateLimited),
        (503, "<html>Service Unavailable</html>", errors.ServerError),
    ],
)
def test_error_mapping(status: int, body: object, expected: type[errors.ApiError]) -> None:
    err = errors.error_from_response(status, body, request_id="req_1")
    assert type(err) is expected
    assert err.status == status and err.request_id == "req_1"
    assert err.user_message().endswith(err.hint)


def test_html_error_page_is_not_shown_to_the_user() -> None:
    err = errors.error_from_response(502, "<html><body>Bad gateway</body></html>")
    assert "<" not in err.message and "server error" in err.message.lower()


def test_requirement_details_are_kept() -> None:
    err = errors.error_from_response(
        403,
        {"message": "m", "requirement": {"type": "purchase_add_on", "details": {"addOn": "production_api"}}},
    )
    assert isinstance(err, errors.AddOnRequired)
    assert err.requirement_details == {"addOn": "production_api"}
