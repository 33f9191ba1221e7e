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
        (403, {"message": "upgrade", "requirement": {"type": "upgrade_plan"}}, errors.UpgradeRequired),
        (403, {"message": "later", "requirement": {"type": "some_future_type"}}, errors.RequirementError),
        (410, {"message": "gone"}, errors.NotFound),
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
    assert err.message and err.hint


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


def test_execution_fields_of_the_spec_and_awaiting_approval() -> None:
    ex = models.ToolExecution.from_json(
        {
            "toolExecutionId": "vg_tool_1",
            "status": "awaiting_approval",
            "toolType": "GENERATE_AVATAR",
            "progressPercentage": 100,
            "attemptIndex": 2,
            "results": [{"fileId": "vg_file_1", "type": "VIDEO"}],
            "error": None,
        }
    )
    assert ex.attempt_index == 2 and ex.needs_approval and not ex.is_terminal and not ex.succeeded
    assert models.AWAITING_APPROVAL == "awaiting_approval"
    old = models.ToolExecution.from_json({"toolExecutionId": "vg_exec_1", "status": "pending"})
    assert old.attempt_index == 0 and old.tool_type == "" and not old.needs_approval


def test_page_parsing_missing_has_more_and_unknown_fields() -> None:
    page = models.parse_page(
        {"files": [{"fileId": "f1", "scope": "FUTURE_SCOPE", "x": 1}], "hasMore": True, "nextCursor": "c"},
        "files",
        models.StorageFile.from_json,
        "files",
    )
    assert page.has_more and page.next_cursor == "c" and page.items[0].scope == "FUTURE_SCOPE"
    one = models.parse_page({"files": []}, "files", models.StorageFile.from_json, "files")
    assert not one.has_more and not one.paginated and one.items == ()
    # hasMore without a cursor cannot be followed: treated as the last page.
    assert not models.parse_page(
        {"files": [], "hasMore": True}, "files", models.StorageFile.from_json, "f"
    ).has_more
    with pytest.raises(errors.MalformedResponse, match="files"):
        models.parse_page({"hasMore": False}, "files", models.StorageFile.from_json, "files")


def test_entity_account_and_search_result_are_tolerant() -> None:
    entity = models.Entity.from_json(
        {"entityId": "vg_enti_1", "entityType": "NEW_KIND", "name": "", "references": [{"fileId": "r1"}]}
    )
    assert entity.name == "vg_enti_1" and entity.entity_type == "NEW_KIND" and entity.actor_config is None
    assert entity.default_reference_file_id == "r1"  # none marked default: the first one
    assert models.Entity.from_json({"entityId": "e"}).default_reference_file_id is None
    me = models.Account.from_json({"apiKeyId": "k", "email": "a@b", "teamId": "t", "displayName": None})
    assert me.display_name is None and me.api_key_nickname == ""
    with pytest.raises(errors.MalformedResponse, match="apiKeyId"):
        models.Account.from_json({"email": "a@b"})
    [hit] = models.parse_search_results({"results": [{"similarity": 1, "file": {"fileId": "f"}}]})
    assert hit.similarity == 1.0 and hit.file.file_id == "f"


def test_avatar_request_forms_and_enums() -> None:
    assert models.WatermarkMode("NONE") is models.WatermarkMode.NONE
    assert models.WATERMARK_MODES == ("AUTO", "VIDEO_GEN", "NONE")
    assert [q.value for q in models.AvatarQuality] == ["LOW", "STANDARD", "HIGH", "MAX"]
    actor = AvatarRequest(
        actor_entity_id="vg_enti_1",
        audio_storage_file_id="vg_file_1",
        avatar_quality=models.AvatarQuality.MAX,
    )
    assert actor.is_actor_form
    assert actor.to_json() == {
        "actorEntityId": "vg_enti_1",
        "audioFileId": "vg_file_1",
        "avatarQuality": "MAX",
    }
    presenter = AvatarRequest(
        avatar_presenter_id="p", audio_storage_file_id="f", watermark_mode=models.WatermarkMode.NONE
    )
    assert presenter.to_json() == {
        "avatarPresenterId": "p",
        "audioStorageFileId": "f",
        "watermarkMode": "NONE",
    }
    assert "avatarQuality" not in AvatarRequest("p", "f", avatar_quality="HIGH").to_json()


@pytest.mark.parametrize(
    "cls", [c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, errors.VideoGenError)]
)
def test_every_error_class_has_a_stable_kind_and_neutral_hint(cls: type[errors.VideoGenError]) -> None:
    assert cls.kind in set(errors.ErrorKind)
    for gui_words in ("Open Account", "press Retry", "the app", "Retry", "Refresh"):
        assert gui_words not in cls.hint
