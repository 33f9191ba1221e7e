"""One exception hierarchy for everything that can go wrong talking to VideoGen.

The HTTP status is the primary signal and the error `code` refines it (as the API docs advise). Every error
carries a message that is safe to show to the user and a `hint` saying what to do about it. No error message
ever contains the API key: messages come from the server's body or from fixed strings here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class VideoGenError(Exception):
    """Base class. `message` is safe to display; `hint` tells the user what to do next."""

    hint: str = "Try again in a moment."
    #: True when repeating the same request later may succeed (the retry policy uses this).
    transient: bool = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.request_id = request_id
        if hint is not None:
            self.hint = hint

    def user_message(self) -> str:
        """Message + what to do, in one or two sentences for a banner or a status line."""
        text = self.message.rstrip()
        if text and text[-1] not in ".!?":
            text += "."
        return f"{text} {self.hint}".strip()

    def __str__(self) -> str:
        bits = [self.message]
        if self.status is not None:
            bits.append(f"(HTTP {self.status}{', ' + self.code if self.code else ''})")
        return " ".join(bits)


class NetworkError(VideoGenError):
    """The request never got a complete answer: refused, reset, timed out, DNS, TLS."""

    hint = "Check your connection; the app retries on its own."
    transient = True


class MalformedResponse(VideoGenError):
    """The server answered, but not with what the API promises (HTML, broken JSON, missing fields)."""

    hint = "The service sent an unexpected answer; the app will try again."
    transient = True


class LocalFileError(VideoGenError):
    """Writing to the user's disk failed (full disk, permissions). Nothing on the server is lost."""

    hint = "Free some disk space or choose another download folder, then press Retry."


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
    ) -> None:
        super().__init__(message, status=status, code=code, request_id=request_id, hint=hint)
        self.requirement_type = requirement_type
        self.requirement_details = dict(requirement_details or {})
        self.internal_error_code = internal_error_code
        self.retry_after = retry_after


class AuthError(ApiError):
    hint = "Open Account and enter a valid API key from app.videogen.io/developers."


class PermissionDenied(ApiError):
    hint = "This API key has no access to that resource."


class RequirementError(ApiError):
    """The request is fine but the account must meet a requirement (buy an add-on, upgrade the plan)."""

    hint = "Your VideoGen account needs an upgrade for this; see app.videogen.io."


class InsufficientCredits(RequirementError):
    hint = "Add credits or upgrade your plan at app.videogen.io, then press Retry. This step was not charged."


class AddOnRequired(RequirementError):
    hint = "Choose watermark AUTO or VIDEO_GEN, or buy the Production API add-on."


class InvalidParameters(ApiError):
    hint = "Correct the highlighted input and try again."


class InvalidId(InvalidParameters):
    hint = "The id is malformed; it may come from another account or an old app version."


class NotFound(ApiError):
    hint = "It may have been deleted or belong to another team."


class Conflict(ApiError):
    hint = "Refresh and try again."


class RateLimited(ApiError):
    hint = "VideoGen asked us to slow down; the app waits and continues on its own."
    transient = True


class ServerError(ApiError):
    hint = "VideoGen had a problem; the app retries on its own."
    transient = True


class SignedUrlRejected(ApiError):
    """The storage origin refused a signed URL (expired or bad signature): hydrate again and retry."""

    hint = "The download link expired; the app fetches a fresh one."
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
    return _error_class(status, parsed.code, parsed.requirement_type)(parsed.message, **kwargs)


def _error_class(status: int, code: str | None, requirement: str | None) -> type[ApiError]:
    if code == "insufficient_credits":
        return InsufficientCredits
    if requirement == "purchase_add_on" or code == "add_on_required":
        return AddOnRequired
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
    if status == 404:
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
        409: "Conflict",
        429: "Rate limit exceeded",
    }.get(status, "VideoGen server error" if status >= 500 else f"Unexpected HTTP status {status}")
