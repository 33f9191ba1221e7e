"""The api/ layer's public surface, pinned: a rename or a removal here breaks the pipeline, CLI or UI.

Adding a name means adding it here too (a deliberate act); removing one needs a deprecation path first.
"""

from __future__ import annotations

import importlib
import inspect

import pytest

PUBLIC = {
    "client": [
        "ApiError",
        "DEFAULT_BASE_URL",
        "MAX_RESPONSE_BYTES",
        "POLL_DEADLINE_S",
        "REQUEST_DEADLINE_S",
        "SendPhase",
        "SendState",
        "SubmissionUncertain",
        "VideoGenClient",
        "check_base_url",
    ],
    "errors": [
        "AddOnRequired",
        "ApiError",
        "AuthError",
        "Conflict",
        "ErrorKind",
        "InsecureBaseUrl",
        "InsufficientCredits",
        "InvalidId",
        "InvalidKeyFormat",
        "InvalidParameters",
        "LocalFileError",
        "MalformedResponse",
        "NetworkError",
        "NotFound",
        "PermissionDenied",
        "RateLimited",
        "RequestTimeout",
        "RequirementError",
        "ResponseTooLarge",
        "ServerError",
        "SignedUrlRejected",
        "SubmissionUncertain",
        "UpgradeRequired",
        "VideoGenError",
        "error_from_response",
    ],
    "models": [
        "AWAITING_APPROVAL",
        "Account",
        "ActorConfig",
        "ApiErrorBody",
        "AvatarPresenter",
        "AvatarQuality",
        "AvatarRequest",
        "CANCELLED",
        "Entity",
        "EntityReference",
        "FAILED",
        "FileSearchResult",
        "FileSource",
        "GENDERS",
        "MAX_PAGE_SIZE",
        "PENDING",
        "Page",
        "PronunciationReplacement",
        "RUNNING",
        "SUCCEEDED",
        "StorageFile",
        "TERMINAL_STATUSES",
        "ToolExecution",
        "ToolResult",
        "TtsRequest",
        "TtsVoice",
        "UploadTicket",
        "WATERMARK_MODES",
        "WatermarkMode",
        "parse_execution_id",
        "parse_files",
        "parse_page",
        "parse_presenters",
        "parse_search_results",
        "parse_upload_ticket",
        "parse_voices",
    ],
    "retry": [
        "GroupState",
        "MAX_DELAY_S",
        "RateLimiter",
        "RetryPolicy",
        "WaitListener",
        "delay_from_headers",
        "endpoint_group",
    ],
    "transfer": [
        "CHUNK",
        "MIN_PROGRESS_BYTES",
        "ProgressCallback",
        "SourceProvider",
        "Transfer",
        "UPLOAD_FLOOR_BPS",
        "part_path",
        "read_capped",
    ],
    "transports": ["SchemeRouter"],
    "download_transport": ["COPY_EXTENSION", "CopyStalled", "CopyTo", "LargeReadTransport", "READ_SIZE"],
    "keys": ["MAX_KEY_LENGTH", "check_api_key"],
    "redact": ["MASK", "RedactingFilter", "forget_secrets", "redact", "register_secret"],
    "capabilities": ["Capabilities", "probe_capabilities"],
    "enums": ["AvatarQuality", "WatermarkMode"],
}

CLIENT_METHODS = [
    "aclose",
    "archive_file",
    "cancel_execution",
    "create_upload",
    "disable_public_preview",
    "download_file",
    "enable_public_preview",
    "fetch_public",
    "generate_avatar",
    "get_execution",
    "get_file",
    "get_hydrated_file",
    "get_me",
    "hydrate_file",
    "iter_entity_pages",
    "iter_execution_pages",
    "iter_file_pages",
    "iter_presenter_pages",
    "iter_voice_pages",
    "list_entities",
    "list_executions",
    "list_files",
    "list_presenters",
    "list_voices",
    "probe_list",
    "search_files",
    "text_to_speech",
    "upload_file",
    "wait_for_execution",
]


@pytest.mark.parametrize("module", sorted(PUBLIC))
def test_all_of_each_api_module_is_pinned(module: str) -> None:
    mod = importlib.import_module(f"videogen_studio.api.{module}")
    assert sorted(mod.__all__) == PUBLIC[module]
    for name in mod.__all__:
        assert hasattr(mod, name), f"{module}.__all__ names {name}, which does not exist"


def test_client_methods_are_pinned() -> None:
    from videogen_studio.api.client import VideoGenClient

    public = sorted(n for n, _ in inspect.getmembers(VideoGenClient) if not n.startswith("_"))
    assert public == CLIENT_METHODS


def test_old_call_sites_keep_working() -> None:
    from videogen_studio.api.client import SubmissionUncertain, VideoGenClient
    from videogen_studio.api.errors import SubmissionUncertain as FromErrors
    from videogen_studio.api.models import AvatarRequest

    assert SubmissionUncertain is FromErrors
    assert AvatarRequest("p", "f", watermark_mode="AUTO").to_json()["avatarPresenterId"] == "p"
    params = inspect.signature(VideoGenClient.list_voices).parameters
    assert (
        "include_deprecated" in params
        and params["include_deprecated"].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    )
    assert "max_bytes" in inspect.signature(VideoGenClient.fetch_public).parameters
    # The paid POSTs report where they stand to whoever may stop them (the runner): keyword-only, optional.
    for paid in (VideoGenClient.text_to_speech, VideoGenClient.generate_avatar):
        send_state = inspect.signature(paid).parameters["send_state"]
        assert send_state.kind is inspect.Parameter.KEYWORD_ONLY and send_state.default is None


def test_send_state_phases_are_pinned() -> None:
    from videogen_studio.api.client import SendPhase, SendState

    assert [p.value for p in SendPhase] == ["waiting", "sending", "answered"]
    state = SendState()
    assert state.phase is SendPhase.WAITING and state.waiting
    state.phase = SendPhase.SENDING
    assert not state.waiting


def test_removed_duplicates_stay_removed() -> None:
    """One request builder (pipeline/requests.py) and one wording layer per surface, not a second in api/."""
    from videogen_studio.api.errors import VideoGenError
    from videogen_studio.api.models import AvatarRequest

    assert not hasattr(AvatarRequest, "for_actor")
    assert not hasattr(VideoGenError, "user_message")
    actor = AvatarRequest(actor_entity_id="e", audio_storage_file_id="f")
    assert actor.to_json() == {"actorEntityId": "e", "audioFileId": "f"}


def test_importing_the_package_imports_nothing_heavy() -> None:
    import subprocess
    import sys

    code = "import sys, videogen_studio.api; print('httpx' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
