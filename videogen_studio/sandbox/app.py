"""The API origin: routing, Bearer auth, request validation, ApiError bodies and rate-limit headers.

Routes (camelCase JSON, per /work/shared/api/videogen-v1.md):
  GET  /v1/resources/avatar-presenters              GET  /v1/resources/tts-voices?includeDeprecatedVoices=
  POST /v1/tools/text-to-speech                     POST /v1/tools/generate-avatar
  GET  /v1/tools/executions/{id}                    POST /v1/tools/executions/{id}/cancel
  GET  /v1/files         POST /v1/files/upload      GET  /v1/files/{id}
  POST /v1/files/{id}/hydrate                       POST /v1/files/{id}/archive
Control routes (only when config.control_api; no auth, never faulted):
  GET|POST|DELETE /_sandbox/faults                  POST /_sandbox/accounts    GET /_sandbox/accounts/{key}
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from videogen_studio.sandbox.faults import (
    CONTROL_PREFIX,
    FaultInjector,
    FaultRule,
    LoggedRequest,
    Request,
    Response,
    json_response,
)
from videogen_studio.sandbox.state import (
    EXECUTION_PREFIX,
    FILE_PREFIX,
    Account,
    ApiFailure,
    AvatarRequest,
    SandboxConfig,
    SandboxState,
    TtsRequest,
)

MAX_JSON_BODY = 1024 * 1024  # sandbox choice
RATE_WINDOW_S = 3600.0
WATERMARK_MODES = ("AUTO", "VIDEO_GEN", "NONE")
FILE_TYPES = ("IMAGE", "VIDEO", "AUDIO")
VOICE_SPEED_RANGE = (0.5, 2.0)  # sandbox choice: the real range is undocumented
NUM_RESULTS_RANGE = (1, 100)
_LANGUAGE_CODE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


# -- rate limiting ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    reset: int  # Unix seconds, integer (the SDK cannot parse floats here)
    retry_after: int

    def headers(self) -> list[tuple[str, str]]:
        headers = [
            ("X-RateLimit-Limit", str(self.limit)),
            ("X-RateLimit-Remaining", str(self.remaining)),
            ("X-RateLimit-Reset", str(self.reset)),
        ]
        if not self.allowed:
            headers.append(("Retry-After", str(self.retry_after)))
        return headers


class RateLimiter:
    """Fixed one-hour window per API key and endpoint group, starting at the group's first request.

    sandbox choice: windows anchor on first use rather than the clock hour, so tests never straddle a reset.
    """

    def __init__(self, config: SandboxConfig) -> None:
        self._config = config  # read live, so a test may tighten limits on a running server
        self._lock = threading.Lock()
        self._windows: dict[tuple[str, str], tuple[float, int]] = {}

    def hit(self, key: str, group: str) -> RateDecision:
        limit = self._config.rate_limits.get(group, 1_000_000)
        now = time.time()
        with self._lock:
            start, count = self._windows.get((key, group), (now, 0))
            if now >= start + RATE_WINDOW_S:
                start, count = now, 0
            allowed = count < limit
            if allowed:
                count += 1
            self._windows[(key, group)] = (start, count)
        end = start + RATE_WINDOW_S
        return RateDecision(
            allowed, limit, max(0, limit - count), math.ceil(end), max(1, math.ceil(end - now))
        )


# -- validation helpers -------------------------------------------------------------------------------


def _invalid(message: str) -> ApiFailure:
    return ApiFailure(400, message, "invalid_parameters")


def _json_body(request: Request) -> dict[str, Any]:
    raw = request.read_body(MAX_JSON_BODY)
    if raw is None:
        raise ApiFailure(413, f"Request body exceeds {MAX_JSON_BODY} bytes.", "payload_too_large")
    if not raw.strip():
        raise _invalid("Request body must be a JSON object.")
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _invalid(f"Malformed JSON body: {exc}.") from None
    if not isinstance(body, dict):
        raise _invalid("Request body must be a JSON object.")
    return body


def _required_string(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if value is None:
        raise _invalid(f"{name} is required.")
    if not isinstance(value, str):
        raise _invalid(f"{name} must be a string.")
    if not value.strip():
        raise _invalid(f"{name} must not be blank.")
    return value


def _optional_string(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)  # explicit null is the same as omitted (the SDK sends null for None)
    if value is not None and not isinstance(value, str):
        raise _invalid(f"{name} must be a string.")
    return value


def _optional_bool(body: dict[str, Any], name: str, default: bool) -> bool:
    value = body.get(name)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise _invalid(f"{name} must be a boolean.")
    return value


def _optional_int(body: dict[str, Any], name: str, default: int, bounds: tuple[int, int]) -> int:
    value = body.get(name)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise _invalid(f"{name} must be an integer.")
    low, high = bounds
    if not low <= value <= high:
        raise _invalid(f"{name} must be between {low} and {high} (got {value}).")
    return value


def _optional_number(body: dict[str, Any], name: str, default: float, bounds: tuple[float, float]) -> float:
    value = body.get(name)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _invalid(f"{name} must be a number.")
    low, high = bounds
    if not low <= value <= high:
        raise _invalid(f"{name} must be between {low:g} and {high:g} (got {value:g}).")
    return float(value)


def _check_id(value: str, prefix: str, what: str) -> str:
    if not value.startswith(prefix) or len(value) <= len(prefix):
        raise ApiFailure(400, f"{value!r} is not a valid {what} id (expected prefix {prefix}).", "invalid_id")
    return value


def _replacements(body: dict[str, Any]) -> list[tuple[str, str]]:
    items = body.get("pronunciationReplacements")
    if items is None:
        return []
    if not isinstance(items, list):
        raise _invalid("pronunciationReplacements must be a list of {original, replacement} objects.")
    pairs = []
    for index, item in enumerate(items):
        where = f"pronunciationReplacements[{index}]"
        if not isinstance(item, dict):
            raise _invalid(f"{where} must be an object with original and replacement.")
        for key in ("original", "replacement"):
            if key not in item or item[key] is None:
                raise _invalid(f"{where}.{key} is required.")
            if not isinstance(item[key], str):
                raise _invalid(f"{where}.{key} must be a string.")
        if not item["original"]:
            raise _invalid(f"{where}.original must not be empty.")
        pairs.append((item["original"], item["replacement"]))
    return pairs


# -- the application ----------------------------------------------------------------------------------

Handler = Callable[[Request, str, re.Match[str]], Response]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    group: str  # rate-limit group
    handler: Handler


class ApiApp:
    """The API listener's application (an `Origin` for faults.SandboxHandler)."""

    name = "api"

    def __init__(self, state: SandboxState, faults: FaultInjector, config: SandboxConfig) -> None:
        self.state = state
        self.faults = faults
        self.config = config
        self.limiter = RateLimiter(config)
        self.routes = [
            Route("GET", re.compile(r"^/v1/resources/avatar-presenters$"), "resources", self._presenters),
            Route("GET", re.compile(r"^/v1/resources/tts-voices$"), "resources", self._voices),
            Route("GET", re.compile(r"^/v1/tools/executions/(?P<id>[^/]+)$"), "executions", self._execution),
            Route(
                "POST", re.compile(r"^/v1/tools/executions/(?P<id>[^/]+)/cancel$"), "executions", self._cancel
            ),
            Route("POST", re.compile(r"^/v1/tools/text-to-speech$"), "tools", self._tts),
            Route("POST", re.compile(r"^/v1/tools/generate-avatar$"), "tools", self._avatar),
            Route(
                "POST", re.compile(r"^/v1/tools/(?!executions$)(?P<tool>[^/]+)$"), "tools", self._other_tool
            ),
            Route("GET", re.compile(r"^/v1/files$"), "files", self._list_files),
            Route("POST", re.compile(r"^/v1/files/upload$"), "files", self._upload),
            Route("GET", re.compile(r"^/v1/files/(?P<id>[^/]+)$"), "files", self._get_file),
            Route("POST", re.compile(r"^/v1/files/(?P<id>[^/]+)/hydrate$"), "files", self._hydrate),
            Route("POST", re.compile(r"^/v1/files/(?P<id>[^/]+)/archive$"), "files", self._archive),
        ]

    # -- Origin protocol ---------------------------------------------------------------------------
    def record(self, entry: LoggedRequest) -> None:
        self.state.record(entry)

    def fault_response(self, rule: FaultRule, request: Request) -> Response:
        messages = {
            429: ("Rate limit exceeded. Please retry later.", "rate_limited"),
            500: ("Internal server error.", "internal_error"),
            502: ("Bad gateway.", "bad_gateway"),
            503: ("Service temporarily unavailable. Please retry.", "service_unavailable"),
            504: ("Gateway timeout.", "gateway_timeout"),
        }
        message, code = messages.get(rule.status, ("Injected sandbox error.", "sandbox_fault"))
        headers: list[tuple[str, str]] = []
        if rule.status == 429:
            retry_after = rule.retry_after if rule.retry_after is not None else 1
            route = self._match(request)[0]
            limit = self.config.rate_limits.get(route.group, 0) if route is not None else 0
            headers += [
                ("Retry-After", str(retry_after)),
                ("X-RateLimit-Limit", str(limit)),
                ("X-RateLimit-Remaining", "0"),
                ("X-RateLimit-Reset", str(math.ceil(time.time() + retry_after))),
            ]
        elif rule.retry_after is not None:
            headers.append(("Retry-After", str(rule.retry_after)))
        if rule.body is not None:
            return Response(rule.status, rule.body.encode(), "application/json", headers)
        return json_response(rule.status, {"message": message, "code": code}, headers)

    def handle(self, request: Request) -> Response:
        if request.path.startswith(CONTROL_PREFIX) and self.config.control_api:
            return self._control(request)
        if not request.path.startswith("/v1/"):
            return _error(ApiFailure(404, f"No route for {request.method} {request.path}.", "not_found"))
        key = self._authenticate(request)
        if isinstance(key, Response):
            return key
        route, allowed = self._match(request)
        if route is None:
            if allowed:
                response = _error(
                    ApiFailure(
                        405, f"{request.method} is not allowed on {request.path}.", "method_not_allowed"
                    )
                )
                response.headers.append(("Allow", ", ".join(sorted(allowed))))
                return response
            return _error(ApiFailure(404, f"No route for {request.method} {request.path}.", "not_found"))
        decision = self.limiter.hit(key, route.group)
        if not decision.allowed:
            failure = ApiFailure(
                429,
                f"Rate limit exceeded for {route.group} endpoints ({decision.limit} requests per hour). "
                f"Retry after {decision.retry_after} seconds.",
                "rate_limited",
            )
            response = _error(failure)
        else:
            match = route.pattern.match(request.path)
            assert match is not None
            try:
                response = route.handler(request, key, match)
            except ApiFailure as failure:
                response = _error(failure)
        response.headers.extend(decision.headers())
        return response

    # -- plumbing ----------------------------------------------------------------------------------
    def _authenticate(self, request: Request) -> str | Response:
        header = request.headers.get("Authorization") or ""
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return _error(
                ApiFailure(
                    401, "Missing API key. Send it as 'Authorization: Bearer <key>'.", "missing_api_key"
                )
            )
        if self.state.authenticate(token) is None:
            return _error(ApiFailure(401, "API key is invalid or has been revoked.", "invalid_api_key"))
        return token

    def _match(self, request: Request) -> tuple[Route | None, set[str]]:
        allowed: set[str] = set()
        for route in self.routes:
            if route.pattern.match(request.path):
                if route.method == request.method:
                    return route, allowed
                allowed.add(route.method)
        return None, allowed

    # -- resources ---------------------------------------------------------------------------------
    def _presenters(self, request: Request, key: str, match: re.Match[str]) -> Response:
        presenters = [self.state.presenter_json(p) for p in self.state.presenters]
        return json_response(200, {"avatarPresenters": presenters})

    def _voices(self, request: Request, key: str, match: re.Match[str]) -> Response:
        raw = (request.query_value("includeDeprecatedVoices") or "false").lower()
        if raw not in ("true", "false"):
            raise _invalid("includeDeprecatedVoices must be true or false.")
        voices = [v.to_json() for v in self.state.voices(include_deprecated=raw == "true")]
        return json_response(200, {"ttsVoices": voices})

    # -- tools -------------------------------------------------------------------------------------
    def _tts(self, request: Request, key: str, match: re.Match[str]) -> Response:
        body = _json_body(request)
        text = _required_string(body, "ttsText")
        if len(text) > self.config.max_tts_chars:
            raise _invalid(
                f"ttsText is {len(text)} characters long; "
                f"the maximum is {self.config.max_tts_chars} characters."
            )
        voice_id = _optional_string(body, "voiceId")
        voice = self.state.voices(include_deprecated=True)[0]  # the default voice
        if voice_id is not None:
            found = self.state.voice(voice_id)
            if found is None:
                raise _invalid(f"voiceId {voice_id!r} is not a known voice.")
            if not found.direct:
                raise _invalid(
                    f"voiceId {voice_id!r} ({found.display_name}) does not support direct tool execution; "
                    "pick a voice with supportsDirectToolExecution=true."
                )
            voice = found
        language = _optional_string(body, "speechLanguageCode")
        if language is not None and not _LANGUAGE_CODE.match(language):
            raise _invalid(f"speechLanguageCode {language!r} is not a language code such as 'en' or 'es'.")
        tts = TtsRequest(
            text=text,
            voice=voice,
            language=language,
            replacements=_replacements(body),
            auto_expand=_optional_bool(body, "autoExpandPronunciationReplacements", False),
            speed=_optional_number(body, "voiceSpeed", 1.0, VOICE_SPEED_RANGE),
            num_results=_optional_int(body, "numResults", 1, NUM_RESULTS_RANGE),
            temporary=_optional_bool(body, "isOutputTemporary", False),
        )
        execution_id = self.state.submit_tts(
            key, tts, lambda: self.faults.take_execution_failure(request.path)
        )
        return json_response(202, {"toolExecutionId": execution_id})

    def _avatar(self, request: Request, key: str, match: re.Match[str]) -> Response:
        body = _json_body(request)
        presenter_id = _required_string(body, "avatarPresenterId")
        presenter = self.state.presenter(presenter_id)
        if presenter is None:
            raise _invalid(f"avatarPresenterId {presenter_id!r} is not a known presenter.")
        audio_id = _check_id(_required_string(body, "audioStorageFileId"), FILE_PREFIX, "file")
        audio = self.state.get_file(key, audio_id)
        if audio.type != "AUDIO" or audio.source("download").status != "ready":
            raise _invalid(f"audioStorageFileId {audio_id!r} must reference a ready AUDIO file.")
        mode = _optional_string(body, "watermarkMode")
        mode = "AUTO" if mode is None else mode
        if mode not in WATERMARK_MODES:
            raise _invalid(f"watermarkMode must be one of {', '.join(WATERMARK_MODES)} (got {mode!r}).")
        avatar = AvatarRequest(
            presenter=presenter,
            audio_file_id=audio_id,
            watermark_mode=mode,
            num_results=_optional_int(body, "numResults", 1, NUM_RESULTS_RANGE),
            temporary=_optional_bool(body, "isOutputTemporary", False),
        )
        account = self.state.authenticate(key)
        if mode == "NONE" and not (account is not None and account.production_addon):
            # sandbox choice: rejected synchronously with 403 (the real status/code are undocumented).
            raise ApiFailure(
                403,
                "Removing the watermark requires the Production API add-on.",
                "add_on_required",
                {"type": "purchase_add_on", "details": {"addOn": "production_api"}},
            )
        execution_id = self.state.submit_avatar(
            key, avatar, lambda: self.faults.take_execution_failure(request.path)
        )
        return json_response(202, {"toolExecutionId": execution_id})

    def _other_tool(self, request: Request, key: str, match: re.Match[str]) -> Response:
        # sandbox choice: the era's other tools exist on the real API but are not simulated here.
        raise ApiFailure(404, f"The sandbox does not implement POST /v1/tools/{match['tool']}.", "not_found")

    def _execution(self, request: Request, key: str, match: re.Match[str]) -> Response:
        execution_id = _check_id(match["id"], EXECUTION_PREFIX, "tool execution")
        execution = self.state.get_execution(key, execution_id)
        return json_response(200, self.state.execution_json(execution))

    def _cancel(self, request: Request, key: str, match: re.Match[str]) -> Response:
        execution_id = _check_id(match["id"], EXECUTION_PREFIX, "tool execution")
        self.state.cancel_execution(key, execution_id)
        return json_response(202, {"toolExecutionId": execution_id})

    # -- files -------------------------------------------------------------------------------------
    def _list_files(self, request: Request, key: str, match: re.Match[str]) -> Response:
        files = [self.state.file_json(f, hydrate=False) for f in self.state.list_files(key)]
        return json_response(200, {"files": files})

    def _get_file(self, request: Request, key: str, match: re.Match[str]) -> Response:
        stored = self.state.get_file(key, _check_id(match["id"], FILE_PREFIX, "file"))
        return json_response(200, self.state.file_json(stored, hydrate=False))

    def _hydrate(self, request: Request, key: str, match: re.Match[str]) -> Response:
        stored = self.state.get_file(key, _check_id(match["id"], FILE_PREFIX, "file"))
        return json_response(200, self.state.file_json(stored, hydrate=True))

    def _archive(self, request: Request, key: str, match: re.Match[str]) -> Response:
        stored = self.state.archive_file(key, _check_id(match["id"], FILE_PREFIX, "file"))
        return json_response(200, self.state.file_json(stored, hydrate=False))

    def _upload(self, request: Request, key: str, match: re.Match[str]) -> Response:
        body = _json_body(request)
        display_name = _required_string(body, "displayName")
        ftype = _optional_string(body, "type")
        if ftype is not None and ftype not in FILE_TYPES:
            raise _invalid(f"type must be one of {', '.join(FILE_TYPES)} (got {ftype!r}).")
        temporary = _optional_bool(body, "isTemporary", False)
        stored, upload_url = self.state.create_upload(key, display_name, ftype, temporary)
        return json_response(200, {"fileId": stored.file_id, "uploadUrl": upload_url})

    # -- control routes (tests and demos only) ------------------------------------------------------
    def _control(self, request: Request) -> Response:
        try:
            if request.path == "/_sandbox/faults":
                return self._control_faults(request)
            if request.path == "/_sandbox/accounts" and request.method == "POST":
                return self._control_account(_json_body(request))
            if (found := re.match(r"^/_sandbox/accounts/(?P<key>[^/]+)$", request.path)) and (
                request.method == "GET"
            ):
                account = self.state.accounts.get(found["key"])
                if account is None:
                    raise ApiFailure(404, "No such account.", "not_found")
                return json_response(200, _account_json(found["key"], account))
        except ApiFailure as failure:
            return _error(failure)
        return _error(ApiFailure(404, f"No route for {request.method} {request.path}.", "not_found"))

    def _control_faults(self, request: Request) -> Response:
        if request.method == "POST":
            try:
                rule = FaultRule.from_json(_json_body(request))
            except (TypeError, ValueError) as exc:
                raise _invalid(f"Invalid fault rule: {exc}") from None
            self.faults.add(rule)
            return json_response(201, asdict(rule))
        if request.method == "DELETE":
            cleared = len(self.faults.rules)
            self.faults.clear()
            return json_response(200, {"cleared": cleared})
        if request.method == "GET":
            return json_response(200, {"faults": [asdict(r) for r in self.faults.rules]})
        raise ApiFailure(405, f"{request.method} is not allowed on {request.path}.", "method_not_allowed")

    def _control_account(self, body: dict[str, Any]) -> Response:
        key = _required_string(body, "key")
        with self.state.lock:
            account = self.state.accounts.get(key) or Account()
            credits = body.get("credits")
            if credits is not None:
                if isinstance(credits, bool) or not isinstance(credits, int | float):
                    raise _invalid("credits must be a number.")
                account.credits = float(credits)
            account.production_addon = _optional_bool(body, "productionAddon", account.production_addon)
            account.revoked = _optional_bool(body, "revoked", account.revoked)
            self.state.add_account(key, account)
        return json_response(200, _account_json(key, account))


def _account_json(key: str, account: Account) -> dict[str, Any]:
    return {
        "key": key,
        "credits": account.credits,
        "productionAddon": account.production_addon,
        "revoked": account.revoked,
    }


def _error(failure: ApiFailure) -> Response:
    return json_response(failure.status, failure.body())
