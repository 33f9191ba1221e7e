"""Fault profiles: what to break (`FaultRule`), on which requests, how often (`FaultInjector`).

The wire layer that enacts them is handler.py; the control API (`/_sandbox/faults`) and tests add rules.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

# Hostile-server kinds (issue 8): endless (a body that never ends), drip (one byte every delay_s),
# silent (accepts, reads the request, never answers), huge (a valid JSON body of size_bytes), echo_key (an
# error message that repeats the caller's key), malformed (a 200 whose JSON is cut off).
HOSTILE_KINDS = frozenset({"endless", "drip", "silent", "huge", "echo_key", "malformed"})
FAULT_KINDS = (
    frozenset({"status", "reset", "truncate", "slow", "delay", "garbage", "wrong_shape", "fail_execution"})
    | HOSTILE_KINDS
)
ORIGINS = frozenset({"api", "storage", "any"})
# Control routes are never faulted, so a test can always switch faults off again.
CONTROL_PREFIX = "/_sandbox/"

_CAMEL_TO_FIELD = {
    "retryAfter": "retry_after",
    "delayS": "delay_s",
    "bytesPerSecond": "bytes_per_second",
    "afterBytes": "after_bytes",
    "sizeBytes": "size_bytes",
}


@dataclass
class FaultRule:
    """One fault: what to break, on which requests, and how many times (None = forever)."""

    kind: str
    path: str = ".*"  # regex, `re.search` against the URL path (anchor with ^...$ for an exact path)
    method: str | None = None
    origin: str = "api"
    times: int | None = 1
    status: int = 503
    retry_after: int | None = None
    body: str | None = None
    delay_s: float = 0.0
    bytes_per_second: int = 1024
    after_bytes: int = 0
    size_bytes: int = 64 * 1024 * 1024  # `huge` bodies

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {sorted(FAULT_KINDS)}")
        if self.origin not in ORIGINS:
            raise ValueError(f"unknown origin {self.origin!r}; expected api, storage or any")
        if self.times is not None and self.times < 1:
            raise ValueError("times must be >= 1 or None (forever)")
        if self.bytes_per_second < 1:
            raise ValueError("bytes_per_second must be >= 1")
        if self.after_bytes < 0 or self.delay_s < 0 or self.size_bytes < 0:
            raise ValueError("after_bytes, delay_s and size_bytes must be >= 0")
        if self.kind == "drip" and self.delay_s <= 0:
            raise ValueError("drip needs delay_s > 0 (the pause between two bytes)")
        re.compile(self.path)  # fail at creation, not at the first request

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FaultRule:
        """Build from a control-route body; accepts snake_case field names and their camelCase forms."""
        known = {f.name for f in fields(cls)}
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            name = _CAMEL_TO_FIELD.get(key, key)
            if name not in known:
                raise ValueError(f"unknown FaultRule field {key!r}")
            kwargs[name] = value
        return cls(**kwargs)

    def matches(self, method: str, path: str, origin: str) -> bool:
        if self.origin != "any" and self.origin != origin:
            return False
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return re.search(self.path, path) is not None


class FaultInjector:
    """Thread-safe list of active rules; each match consumes one of the rule's `times`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []

    def add(self, rule: FaultRule) -> FaultRule:
        with self._lock:
            self._rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    @property
    def rules(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    def add_profile(self, name: str, **options: Any) -> FaultRule:
        """Add a named hostile-server profile (see PROFILES); options override the profile's defaults."""
        factory = PROFILES.get(name)
        if factory is None:
            raise ValueError(f"unknown fault profile {name!r}; expected one of {sorted(PROFILES)}")
        fields_ = {_CAMEL_TO_FIELD.get(k, k): v for k, v in options.items()}
        return self.add(factory(**fields_))

    def take(self, method: str, path: str, origin: str) -> FaultRule | None:
        """The first wire-level rule matching this request, consumed once (fail_execution is not one)."""
        if path.startswith(CONTROL_PREFIX):
            return None
        return self._take(lambda r: r.kind != "fail_execution" and r.matches(method, path, origin))

    def take_execution_failure(self, tool_path: str) -> FaultRule | None:
        """A fail_execution rule for an execution being created on `tool_path` (POST, API origin)."""
        return self._take(lambda r: r.kind == "fail_execution" and r.matches("POST", tool_path, "api"))

    def _take(self, predicate: Any) -> FaultRule | None:
        with self._lock:
            for rule in self._rules:
                if predicate(rule):
                    if rule.times is not None:
                        rule.times -= 1
                        if rule.times <= 0:
                            self._rules.remove(rule)
                    return rule
        return None


def _profile(kind: str, **defaults: Any) -> Any:
    def make(**options: Any) -> FaultRule:
        return FaultRule(kind=kind, **(defaults | options))

    return make


# Named hostile-server profiles, switchable from tests (`server.faults.add_profile("drip")`) and over the
# control API (`POST /_sandbox/faults/profiles {"name": "drip", "path": "^/v1/me$"}`). Each is a FaultRule
# with defaults; `path`, `method`, `origin`, `times` and the kind's knobs can be overridden.
PROFILES: dict[str, Any] = {
    "endless_body": _profile("endless", times=None),
    "drip": _profile("drip", delay_s=2.0, times=None),
    "silent": _profile("silent", times=None),
    "huge_json": _profile("huge", times=None),
    "echo_key": _profile("echo_key", status=401, times=None),
    "malformed_200_once": _profile("malformed", times=1),
    "storage_500_once": _profile("status", status=500, origin="storage", times=1),
}
