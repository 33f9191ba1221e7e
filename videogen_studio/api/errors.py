"""One exception hierarchy for everything that can go wrong talking to VideoGen.

The HTTP status is the primary signal and the error `code` / requirement type refine it (as the API
docs advise). Every error carries a stable `kind` (an `ErrorKind` value) that each surface words for itself
(the GUI in `ui/wording.py`, the CLI in `cli/wording.py`), a neutral `message` saying what happened, and a
neutral `hint` as a fallback. No message contains the API key: every text built here passes through `redact`.

    VideoGenError                      kind
    ├── InvalidKeyFormat               invalid_key_format   (refused before any request)
    ├── InsecureBaseUrl                insecure_url         (plain http to another machine; refused)
    ├── LocalFileError                 local_file / disk_full
    ├── NetworkError                   network              (no complete answer)
    │   ├── RequestTimeout             timeout              (the per-request deadline passed)
    │   └── SubmissionUncertain        submission_uncertain (a paid POST may have started)
    ├── MalformedResponse              malformed            (not what the API promises)
    │   └── ResponseTooLarge           too_large            (answer over the size cap)
    └── ApiError                       (non-2xx answer with the API's error body)
        ├── AuthError                  auth
        ├── PermissionDenied           permission
        ├── RequirementError           upgrade_plan         (any other requirement type)
        │   ├── InsufficientCredits    insufficient_credits
        │   ├── AddOnRequired          add_on_required      (requirement purchase_add_on)
        │   └── UpgradeRequired        upgrade_plan         (requirement upgrade_plan)
        ├── InvalidParameters          invalid_parameters
        │   └── InvalidId              invalid_id
        ├── NotFound                   not_found            (404, 410)
        ├── Conflict                   conflict
        ├── RateLimited                rate_limited
        ├── ServerError                server
        └── SignedUrlRejected          signed_url_rejected

`transient` says whether repeating the same request later may succeed (the retry policy uses it).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, ClassVar

from .redact import redact


class ErrorKind(StrEnum):
    """Stable names of failure kinds; surfaces map them to their own words."""

    AUTH = "auth"
    PERMISSION = "permission"
    INSUFFICIENT_CREDITS = "insufficient_credits"
    ADD_ON_REQUIRED = "add_on_required"
    UPGRADE_PLAN = "upgrade_plan"
    INVALID_PARAMETERS = "invalid_parameters"
    INVALID_ID = "invalid_id"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    RATE_LIMITED = "rate_limited"
    SERVER = "server"
    NETWORK = "network"
    TIMEOUT = "timeout"
    MALFORMED = "malformed"
    TOO_LARGE = "too_large"
    LOCAL_FILE = "local_file"
    DISK_FULL = "disk_full"
    SIGNED_URL_REJECTED = "signed_url_rejected"
    SUBMISSION_UNCERTAIN = "submission_uncertain"
    INVALID_KEY_FORMAT = "invalid_key_format"
    INSECURE_URL = "insecure_url"


class VideoGenError(Exception):
    """Base class. `message` says what happened; `kind` is stable; `hint` is a neutral fallback."""

    kind: str = ErrorKind.SERVER
    hint: str = "Try again later."
    #: True when repeating the same request later may succeed (the retry policy uses this).
    transient: ClassVar[bool] = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
        hint: str | None = None,
        kind: str | None = None,
    ) -> None:
        message = redact(message)
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.request_id = request_id
        if hint is not None:
            self.hint = redact(hint)
        if kind is not None:
            self.kind = kind

    def __str__(self) -> str:
        bits = [self.message]
        if self.status is not None:
            bits.append(f"(HTTP {self.status}{', ' + self.code if self.code else ''})")
        return " ".join(bits)


class InvalidKeyFormat(VideoGenError):
    """The API key has characters no key can have (line break, space, control character) or an absurd
    length. Refused before any request, so it never reaches an HTTP library's error text."""

    kind = ErrorKind.INVALID_KEY_FORMAT
    hint = "Paste the API key again, without spaces or line breaks."


class InsecureBaseUrl(VideoGenError):
    """The service address is plain http to another machine: the API key would cross the network
    readable by anyone on the way. Refused before any request; plain http is for this machine only."""

    kind = ErrorKind.INSECURE_URL
    hint = "Use an https:// address (plain http:// only for this machine, e.g. http://127.0.0.1)."


class NetworkError(VideoGenError):
    """The request never got a complete answer: refused, reset, DNS, TLS."""

    kind = ErrorKind.NETWORK
    hint = "Check the network connection."
    transient = True


class RequestTimeout(NetworkError):
    """The overall deadline of a request (connect + send + whole answer) passed."""

    kind = ErrorKind.TIMEOUT
    hint = "The service did not answer in time; try again later."


class SubmissionUncertain(NetworkError):
    """The connection broke after a paid POST was sent; VideoGen may or may not have started it."""

    kind = ErrorKind.SUBMISSION_UNCERTAIN
    hint = "The submission may have reached VideoGen; check the account's executions before submitting again."
    transient = False


class MalformedResponse(VideoGenError):
    """The server answered, but not with what the API promises (HTML, broken JSON, missing fields)."""

    kind = ErrorKind.MALFORMED
    hint = "The service sent an unexpected answer; try again later."
    transient = True


class ResponseTooLarge(MalformedResponse):
    """The answer exceeded the size cap; reading stopped there (`received` bytes were buffered)."""

    kind = ErrorKind.TOO_LARGE

    def __init__(self, message: str, *, received: int = 0, status: int | None = None) -> None:
        super().__init__(message, status=status)
        self.received = received


class LocalFileError(VideoGenError):
    """Writing to the user's disk failed (full disk, permissions). Nothing on the server is lost."""

    kind = ErrorKind.LOCAL_FILE
    hint = "Free disk space or choose another output folder."


class ApiError(VideoGenError):
    """A non-2xx answer with the API's error body."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        code: str | None = None,
        request_id: str | None = None,
        requirement_type: str | None = None,
        requirement_details: Mapping[str, str] | None = None,
        internal_error_code: str | None = None,
        retry_after: float | None = None,
        hint: str | None = None,
        kind: str | None = None,
    ) -> None:
        super().__init__(message, status=status, code=code, request_id=request_id, hint=hint, kind=kind)
        self.requirement_type = requirement_type
        self.requirement_details = {k: redact(v) for k, v in (requirement_details or {}).items()}
        self.internal_error_code = internal_error_code
        self.retry_after = retry_after


class AuthError(ApiError):
    kind = ErrorKind.AUTH
    hint = "Use a valid API key from app.videogen.io/developers."


class PermissionDenied(ApiError):
    kind = ErrorKind.PERMISSION
    hint = "This API key has no access to that resource."


class RequirementError(ApiError):
    """The request is fine but the account must meet a requirement (buy an add-on, upgrade the plan)."""

    kind = ErrorKind.UPGRADE_PLAN
    hint = "The VideoGen account needs an upgrade for this (app.videogen.io)."


class InsufficientCredits(RequirementError):
    kind = ErrorKind.INSUFFICIENT_CREDITS
    hint = "Add credits or upgrade the plan at app.videogen.io. This step was not charged."


class AddOnRequired(RequirementError):
    kind = ErrorKind.ADD_ON_REQUIRED
    hint = "Use watermark AUTO or VIDEO_GEN, or buy the Production API add-on."


class UpgradeRequired(RequirementError):
    kind = ErrorKind.UPGRADE_PLAN
    hint = "This needs a higher VideoGen plan (app.videogen.io)."


class InvalidParameters(ApiError):
    kind = ErrorKind.INVALID_PARAMETERS
    hint = "Correct the input and try again."


class InvalidId(InvalidParameters):
    kind = ErrorKind.INVALID_ID
    hint = "The id is malformed; it may come from another account or an old version."


class NotFound(ApiError):
    kind = ErrorKind.NOT_FOUND
    hint = "It may have been deleted or belong to another team."


class Conflict(ApiError):
    kind = ErrorKind.CONFLICT
    hint = "Load it again, then retry."


class RateLimited(ApiError):
    kind = ErrorKind.RATE_LIMITED
    hint = "VideoGen asked for fewer requests; wait a moment."
    transient = True


class ServerError(ApiError):
    kind = ErrorKind.SERVER
    hint = "VideoGen had a problem; try again later."
    transient = True


class SignedUrlRejected(ApiError):
    """The storage origin refused a signed URL (expired or bad signature): hydrate again and retry."""

    kind = ErrorKind.SIGNED_URL_REJECTED
    hint = "The download link expired; fetch a fresh one."
    transient = True


def error_from_response(
    status: int,
    body: Any,
    *,
    request_id: str | None = None,
    retry_after: float | None = None,
) -> ApiError:
    """Map an HTTP status + ApiError body to the right exception class."""
    from .models import ApiErrorBody  # local import: models imports this module

    parsed = ApiErrorBody.from_json(body)
    if parsed is None:
        text = body.strip()[:200] if isinstance(body, str) and body.strip() else ""
        # Plain-text bodies are shown (short); HTML or XML pages are not worth showing to a user.
        suffix = f" ({text})" if text and "<" not in text else ""
        parsed = ApiErrorBody(message=_default_message(status) + suffix)
    kwargs: dict[str, Any] = {
        "status": status,
        "code": parsed.code,
        "request_id": request_id,
        "requirement_type": parsed.requirement_type,
        "requirement_details": parsed.requirement_details,
        "internal_error_code": parsed.internal_error_code,
        "retry_after": retry_after,
    }
    cls = _error_class(status, parsed.code, parsed.requirement_type)
    if cls is ApiError:  # a status this client has no class for: still a stable kind
        kwargs["kind"] = ErrorKind.INVALID_PARAMETERS if 400 <= status < 500 else ErrorKind.SERVER
    return cls(parsed.message, **kwargs)


def _error_class(status: int, code: str | None, requirement: str | None) -> type[ApiError]:
    if code == "insufficient_credits":
        return InsufficientCredits
    if requirement == "purchase_add_on" or code == "add_on_required":
        return AddOnRequired
    if requirement == "upgrade_plan" or code == "upgrade_plan":
        return UpgradeRequired
    if requirement is not None:
        return RequirementError
    if status == 401 or code in ("missing_api_key", "invalid_api_key"):
        return AuthError
    if status == 402:
        return InsufficientCredits
    if status == 429:
        return RateLimited
    if code == "invalid_id":
        return InvalidId
    if status in (400, 422):
        return InvalidParameters
    if status == 403:
        return PermissionDenied
    if status in (404, 410):
        return NotFound
    if status == 409:
        return Conflict
    if status >= 500:
        return ServerError
    return ApiError


def _default_message(status: int) -> str:
    return {
        400: "The request was rejected as invalid",
        401: "The API key is missing or invalid",
        402: "Not enough credits",
        403: "Access denied",
        404: "Not found",
        410: "Gone",
        409: "Conflict",
        429: "Rate limit exceeded",
    }.get(status, "VideoGen server error" if status >= 500 else f"Unexpected HTTP status {status}")


__all__ = [
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
]
