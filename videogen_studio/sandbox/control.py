"""The control API under `/_sandbox/…` (tests and demos only: no auth, never faulted).

GET|POST|DELETE /_sandbox/faults                  POST /_sandbox/accounts    GET /_sandbox/accounts/{key}
"""

from __future__ import annotations

import re
from dataclasses import asdict
from typing import Any

from videogen_studio.sandbox.config import Account
from videogen_studio.sandbox.failures import ApiFailure
from videogen_studio.sandbox.faults import FaultInjector, FaultRule
from videogen_studio.sandbox.handler import Request, Response, json_response
from videogen_studio.sandbox.state import SandboxState
from videogen_studio.sandbox.validation import (
    error_response,
    invalid,
    json_body,
    optional_bool,
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
            account = self.state.accounts.get(key) or Account()
            credits = body.get("credits")
            if credits is not None:
                if isinstance(credits, bool) or not isinstance(credits, int | float):
                    raise invalid("credits must be a number.")
                account.credits = float(credits)
            account.production_addon = optional_bool(body, "productionAddon", account.production_addon)
            account.revoked = optional_bool(body, "revoked", account.revoked)
            self.state.add_account(key, account)
        return json_response(200, _account_json(key, account))


def _account_json(key: str, account: Account) -> dict[str, Any]:
    return {
        "key": key,
        "credits": account.credits,
        "productionAddon": account.production_addon,
        "revoked": account.revoked,
    }
