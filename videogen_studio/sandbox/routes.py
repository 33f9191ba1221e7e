"""The API origin: dispatch, Bearer auth, rate limits, ApiError bodies for faults.

The routes themselves live in three groups, each offering what the played generation has (generations.py):
  resource_routes.py  GET /v1/resources/avatar-presenters (A, B), /v1/resources/tts-voices,
                      GET /v1/entities[/{id}] (B, C), GET /v1/me (B, C)
  tool_routes.py      POST /v1/tools/text-to-speech, /v1/tools/generate-avatar,
                      GET /v1/tools/executions (B, C), GET /v1/tools/executions/{id}, POST …/{id}/cancel
  file_routes.py      GET /v1/files, POST /v1/files/search, /v1/files/upload, GET /v1/files/{id},
                      POST /v1/files/{id}/(hydrate|archive|enable-public-preview|disable-public-preview)
Control routes under /_sandbox/ (only when config.control_api) live in control.py.
"""

from __future__ import annotations

import math
import time

from videogen_studio.sandbox.config import SandboxConfig
from videogen_studio.sandbox.control import ControlRoutes
from videogen_studio.sandbox.failures import ApiFailure
from videogen_studio.sandbox.faults import CONTROL_PREFIX, FaultInjector, FaultRule
from videogen_studio.sandbox.file_routes import FileRoutes
from videogen_studio.sandbox.handler import LoggedRequest, Request, Response, json_response
from videogen_studio.sandbox.pagination import Pager
from videogen_studio.sandbox.ratelimit import SandboxRateLimit
from videogen_studio.sandbox.resource_routes import ResourceRoutes
from videogen_studio.sandbox.state import SandboxState
from videogen_studio.sandbox.tool_routes import ToolRoutes
from videogen_studio.sandbox.validation import (
    Route,
    error_response,
)


class ApiRoutes:
    """The API listener's application (an `Origin` for faults.SandboxHandler)."""

    name = "api"

    def __init__(self, state: SandboxState, faults: FaultInjector, config: SandboxConfig) -> None:
        self.state = state
        self.faults = faults
        self.config = config
        self.limiter = SandboxRateLimit(config)
        self.control = ControlRoutes(state, faults)
        pager = Pager(state.signer.derive("pagination"))
        # Only the routes the played generation offers exist; anything else is a plain 404.
        self.routes = [
            *ResourceRoutes(state, pager).routes(),
            *ToolRoutes(state, faults, config, pager).routes(),
            *FileRoutes(state, pager).routes(),
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
