"""The control API under `/_sandbox/…` (tests and demos only: no auth, never faulted).

  GET  /_sandbox/info                       generation, approval gate, catalogue sizes
  GET|POST|DELETE /_sandbox/faults          list, add (a FaultRule as JSON), clear all
  POST /_sandbox/faults/profiles            add a hostile-server profile by name (faults.PROFILES)
  POST /_sandbox/accounts                   create/update an account {key, credits, productionAddon, revoked,
                                            email, displayName, teamId, keyNickname}
  GET  /_sandbox/accounts/{key}
  GET  /_sandbox/executions?status=         executions (id, status, toolType), e.g. status=awaiting_approval
  POST /_sandbox/executions/{id}/approve    generation C: let an execution held for approval succeed
  POST /_sandbox/approval                   {"required": true|false}: switch the approval gate (C only)
Python twins on `SandboxServer.state`: `approve(id)`, `awaiting_approval()`; on `SandboxServer.faults`:
`add(FaultRule)`, `add_profile(name, ...)`.
"""

from __future__ import annotations

import re
from dataclasses import asdict
from typing import Any

from videogen_studio.sandbox.config import SandboxAccount
from videogen_studio.sandbox.failures import ApiFailure
from videogen_studio.sandbox.faults import FaultInjector, FaultRule
from videogen_studio.sandbox.handler import Request, Response, json_response
from videogen_studio.sandbox.state import SandboxState
from videogen_studio.sandbox.validation import (
    error_response,
    invalid,
    json_body,
    optional_bool,
    optional_string,
    required_string,
)


class ControlRoutes:
    def __init__(self, state: SandboxState, faults: FaultInjector) -> None:
        self.state = state
        self.faults = faults

    def handle(self, request: Request) -> Response:
        try:
            if request.path == "/_sandbox/faults":
                return self._control_faults(request)
            if request.path == "/_sandbox/info" and request.method == "GET":
                return json_response(200, self._info())
            if request.path == "/_sandbox/faults/profiles" and request.method == "POST":
                return self._add_profile(json_body(request))
            if request.path == "/_sandbox/executions" and request.method == "GET":
                return self._executions(request.query_value("status"))
            if (found := re.match(r"^/_sandbox/executions/(?P<id>[^/]+)/approve$", request.path)) and (
                request.method == "POST"
            ):
                execution = self.state.approve(found["id"])
                return json_response(200, self.state.execution_json(execution))
            if request.path == "/_sandbox/approval" and request.method == "POST":
                return self._approval(json_body(request))
            if request.path == "/_sandbox/accounts" and request.method == "POST":
                return self._control_account(json_body(request))
            if (found := re.match(r"^/_sandbox/accounts/(?P<key>[^/]+)$", request.path)) and (
                request.method == "GET"
            ):
                account = self.state.accounts.get(found["key"])
                if account is None:
                    raise ApiFailure(404, "No such account.", "not_found")
                return json_response(200, _account_json(found["key"], account))
        except ApiFailure as failure:
            return error_response(failure)
        return error_response(ApiFailure(404, f"No route for {request.method} {request.path}.", "not_found"))

    def _info(self) -> dict[str, Any]:
        config = self.state.config
        return {
            "apiGeneration": config.api_generation,
            "approvalRequired": config.approval_required,
            "presenters": len(self.state.presenters),
            "voices": len(self.state.all_voices),
            "actors": len(self.state.actors),
        }

    def _executions(self, status: str | None) -> Response:
        with self.state.lock:
            rows = [
                {"toolExecutionId": e.execution_id, "status": e.status, "toolType": e.tool_type}
                for e in self.state.executions.values()
                if status is None or e.status == status
            ]
        return json_response(200, {"executions": rows})

    def _approval(self, body: dict[str, Any]) -> Response:
        required = optional_bool(body, "required", True)
        if required and not self.state.generation.approval_gate:
            raise invalid("The approval gate exists on generation C only.")
        self.state.config.approval_required = required
        return json_response(200, self._info())

    def _add_profile(self, body: dict[str, Any]) -> Response:
        name = required_string(body, "name")
        options = {k: v for k, v in body.items() if k != "name"}
        try:
            rule = self.faults.add_profile(name, **options)
        except (TypeError, ValueError) as exc:
            raise invalid(f"Invalid fault profile: {exc}") from None
        return json_response(201, asdict(rule))

    def _control_faults(self, request: Request) -> Response:
        if request.method == "POST":
            try:
                rule = FaultRule.from_json(json_body(request))
            except (TypeError, ValueError) as exc:
                raise invalid(f"Invalid fault rule: {exc}") from None
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
        key = required_string(body, "key")
        with self.state.lock:
            account = self.state.accounts.get(key) or SandboxAccount()
            credits = body.get("credits")
            if credits is not None:
                if isinstance(credits, bool) or not isinstance(credits, int | float):
                    raise invalid("credits must be a number.")
                account.credits = float(credits)
            account.production_addon = optional_bool(body, "productionAddon", account.production_addon)
            account.revoked = optional_bool(body, "revoked", account.revoked)
            for name, attribute in _ACCOUNT_TEXT_FIELDS.items():
                if name in body:
                    setattr(account, attribute, optional_string(body, name))
            self.state.add_account(key, account)
        return json_response(200, _account_json(key, account))


_ACCOUNT_TEXT_FIELDS = {
    "email": "email",
    "displayName": "display_name",
    "teamId": "team_id",
    "keyNickname": "key_nickname",
}


def _account_json(key: str, account: SandboxAccount) -> dict[str, Any]:
    return {
        "key": key,
        "credits": account.credits,
        "productionAddon": account.production_addon,
        "revoked": account.revoked,
        **{name: getattr(account, attribute) for name, attribute in _ACCOUNT_TEXT_FIELDS.items()},
    }
