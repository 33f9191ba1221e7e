"""The API origin: routing, Bearer auth, request validation, ApiError bodies and rate-limit headers.

Routes (camelCase JSON, per /work/shared/api/videogen-v1.md):
  GET  /v1/resources/avatar-presenters              GET  /v1/resources/tts-voices?includeDeprecatedVoices=
  POST /v1/tools/text-to-speech                     POST /v1/tools/generate-avatar
  GET  /v1/tools/executions/{id}                    POST /v1/tools/executions/{id}/cancel
  GET  /v1/files         POST /v1/files/upload      GET  /v1/files/{id}
  POST /v1/files/{id}/hydrate                       POST /v1/files/{id}/archive
Control routes under /_sandbox/ (only when config.control_api) live in control.py.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from videogen_studio.sandbox.config import SandboxConfig
from videogen_studio.sandbox.control import ControlRoutes
from videogen_studio.sandbox.executions import EXECUTION_PREFIX
from videogen_studio.sandbox.failures import ApiFailure
from videogen_studio.sandbox.faults import CONTROL_PREFIX, FaultInjector, FaultRule
from videogen_studio.sandbox.files import FILE_PREFIX
from videogen_studio.sandbox.handler import LoggedRequest, Request, Response, json_response
from videogen_studio.sandbox.ratelimit import SandboxRateLimit
from videogen_studio.sandbox.renders import AvatarOrder, SpeechOrder
from videogen_studio.sandbox.state import SandboxState
from videogen_studio.sandbox.validation import (
    check_id,
    error_response,
    invalid,
    json_body,
    optional_bool,
    optional_int,
    optional_number,
    optional_string,
    replacements,
    required_string,
)

WATERMARK_MODES = ("AUTO", "VIDEO_GEN", "NONE")
FILE_TYPES = ("IMAGE", "VIDEO", "AUDIO")
VOICE_SPEED_RANGE = (0.5, 2.0)  # sandbox choice: the real range is undocumented
NUM_RESULTS_RANGE = (1, 100)
_LANGUAGE_CODE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


# -- the application ----------------------------------------------------------------------------------

Handler = Callable[[Request, str, re.Match[str]], Response]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    group: str  # rate-limit group
    handler: Handler


class ApiRoutes:
    """The API listener's application (an `Origin` for faults.SandboxHandler)."""

    name = "api"

    def __init__(self, state: SandboxState, faults: FaultInjector, config: SandboxConfig) -> None:
        self.state = state
        self.faults = faults
        self.config = config
        self.limiter = SandboxRateLimit(config)
        self.control = ControlRoutes(state, faults)
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
            return self.control.handle(request)
        if not request.path.startswith("/v1/"):
            return error_response(
                ApiFailure(404, f"No route for {request.method} {request.path}.", "not_found")
            )
        key = self._authenticate(request)
        if isinstance(key, Response):
            return key
        route, allowed = self._match(request)
        if route is None:
            if allowed:
                response = error_response(
                    ApiFailure(
                        405, f"{request.method} is not allowed on {request.path}.", "method_not_allowed"
                    )
                )
                response.headers.append(("Allow", ", ".join(sorted(allowed))))
                return response
            return error_response(
                ApiFailure(404, f"No route for {request.method} {request.path}.", "not_found")
            )
        decision = self.limiter.hit(key, route.group)
        if not decision.allowed:
            failure = ApiFailure(
                429,
                f"Rate limit exceeded for {route.group} endpoints ({decision.limit} requests per hour). "
                f"Retry after {decision.retry_after} seconds.",
                "rate_limited",
            )
            response = error_response(failure)
        else:
            match = route.pattern.match(request.path)
            assert match is not None
            try:
                response = route.handler(request, key, match)
            except ApiFailure as failure:
                response = error_response(failure)
        response.headers.extend(decision.headers())
        return response

    # -- plumbing ----------------------------------------------------------------------------------
    def _authenticate(self, request: Request) -> str | Response:
        header = request.headers.get("Authorization") or ""
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return error_response(
                ApiFailure(
                    401, "Missing API key. Send it as 'Authorization: Bearer <key>'.", "missing_api_key"
                )
            )
        if self.state.authenticate(token) is None:
            return error_response(
                ApiFailure(401, "API key is invalid or has been revoked.", "invalid_api_key")
            )
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
            raise invalid("includeDeprecatedVoices must be true or false.")
        voices = [v.to_json() for v in self.state.voices(include_deprecated=raw == "true")]
        return json_response(200, {"ttsVoices": voices})

    # -- tools -------------------------------------------------------------------------------------
    def _tts(self, request: Request, key: str, match: re.Match[str]) -> Response:
        body = json_body(request)
        text = required_string(body, "ttsText")
        if len(text) > self.config.max_tts_chars:
            raise invalid(
                f"ttsText is {len(text)} characters long; "
                f"the maximum is {self.config.max_tts_chars} characters."
            )
        voice_id = optional_string(body, "voiceId")
        voice = self.state.voices(include_deprecated=True)[0]  # the default voice
        if voice_id is not None:
            found = self.state.voice(voice_id)
            if found is None:
                raise invalid(f"voiceId {voice_id!r} is not a known voice.")
            if not found.direct:
                raise invalid(
                    f"voiceId {voice_id!r} ({found.display_name}) does not support direct tool execution; "
                    "pick a voice with supportsDirectToolExecution=true."
                )
            voice = found
        language = optional_string(body, "speechLanguageCode")
        if language is not None and not _LANGUAGE_CODE.match(language):
            raise invalid(f"speechLanguageCode {language!r} is not a language code such as 'en' or 'es'.")
        tts = SpeechOrder(
            text=text,
            voice=voice,
            language=language,
            replacements=replacements(body),
            auto_expand=optional_bool(body, "autoExpandPronunciationReplacements", False),
            speed=optional_number(body, "voiceSpeed", 1.0, VOICE_SPEED_RANGE),
            num_results=optional_int(body, "numResults", 1, NUM_RESULTS_RANGE),
            temporary=optional_bool(body, "isOutputTemporary", False),
        )
        execution_id = self.state.submit_tts(
            key, tts, lambda: self.faults.take_execution_failure(request.path)
        )
        return json_response(202, {"toolExecutionId": execution_id})

    def _avatar(self, request: Request, key: str, match: re.Match[str]) -> Response:
        body = json_body(request)
        presenter_id = required_string(body, "avatarPresenterId")
        presenter = self.state.presenter(presenter_id)
        if presenter is None:
            raise invalid(f"avatarPresenterId {presenter_id!r} is not a known presenter.")
        audio_id = check_id(required_string(body, "audioStorageFileId"), FILE_PREFIX, "file")
        audio = self.state.get_file(key, audio_id)
        if audio.type != "AUDIO" or audio.source("download").status != "ready":
            raise invalid(f"audioStorageFileId {audio_id!r} must reference a ready AUDIO file.")
        mode = optional_string(body, "watermarkMode")
        mode = "AUTO" if mode is None else mode
        if mode not in WATERMARK_MODES:
            raise invalid(f"watermarkMode must be one of {', '.join(WATERMARK_MODES)} (got {mode!r}).")
        avatar = AvatarOrder(
            presenter=presenter,
            audio_file_id=audio_id,
            watermark_mode=mode,
            num_results=optional_int(body, "numResults", 1, NUM_RESULTS_RANGE),
            temporary=optional_bool(body, "isOutputTemporary", False),
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
        execution_id = check_id(match["id"], EXECUTION_PREFIX, "tool execution")
        execution = self.state.get_execution(key, execution_id)
        return json_response(200, self.state.execution_json(execution))

    def _cancel(self, request: Request, key: str, match: re.Match[str]) -> Response:
        execution_id = check_id(match["id"], EXECUTION_PREFIX, "tool execution")
        self.state.cancel_execution(key, execution_id)
        return json_response(202, {"toolExecutionId": execution_id})

    # -- files -------------------------------------------------------------------------------------
    def _list_files(self, request: Request, key: str, match: re.Match[str]) -> Response:
        files = [self.state.file_json(f, hydrate=False) for f in self.state.list_files(key)]
        return json_response(200, {"files": files})

    def _get_file(self, request: Request, key: str, match: re.Match[str]) -> Response:
        stored = self.state.get_file(key, check_id(match["id"], FILE_PREFIX, "file"))
        return json_response(200, self.state.file_json(stored, hydrate=False))

    def _hydrate(self, request: Request, key: str, match: re.Match[str]) -> Response:
        stored = self.state.get_file(key, check_id(match["id"], FILE_PREFIX, "file"))
        return json_response(200, self.state.file_json(stored, hydrate=True))

    def _archive(self, request: Request, key: str, match: re.Match[str]) -> Response:
        stored = self.state.archive_file(key, check_id(match["id"], FILE_PREFIX, "file"))
        return json_response(200, self.state.file_json(stored, hydrate=False))

    def _upload(self, request: Request, key: str, match: re.Match[str]) -> Response:
        body = json_body(request)
        display_name = required_string(body, "displayName")
        ftype = optional_string(body, "type")
        if ftype is not None and ftype not in FILE_TYPES:
            raise invalid(f"type must be one of {', '.join(FILE_TYPES)} (got {ftype!r}).")
        temporary = optional_bool(body, "isTemporary", False)
        stored, upload_url = self.state.create_upload(key, display_name, ftype, temporary)
        return json_response(200, {"fileId": stored.file_id, "uploadUrl": upload_url})
