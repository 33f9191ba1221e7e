"""Retry, back-off and the shared rate-limit budget.

VideoGen limits every key per endpoint group per hour and answers 429 with `Retry-After` and
`X-RateLimit-*` headers. One `RateLimiter` instance is shared by every request the app makes, so when one
poll is told to wait, the thumbnails and the other polls of that group wait too instead of hammering the
server into a 429 storm.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

#: Longest single wait we honour; the SDK caps at 60 s too, and a UI countdown longer than that is useless.
MAX_DELAY_S = 60.0


def endpoint_group(method: str, path: str) -> str:
    """Rate-limit group of a request path, mirroring the API's per-endpoint-group limits."""
    if path.startswith("/v1/tools/executions"):
        return "executions"
    if path.startswith("/v1/tools/"):
        return "tools"
    if path.startswith("/v1/files"):
        return "files"
    if path.startswith("/v1/resources"):
        return "resources"
    return "other"


def delay_from_headers(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds the server asked us to wait, from Retry-After / retry-after-ms / X-RateLimit-Reset."""
    now = time.time() if now is None else now
    raw_ms = headers.get("retry-after-ms")
    if raw_ms:
        try:
            value = float(raw_ms) / 1000.0
            if value > 0:
                return min(value, MAX_DELAY_S)
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if raw:
        raw = raw.strip()
        try:
            value = float(raw)
        except ValueError:
            try:
                value = email.utils.parsedate_to_datetime(raw).timestamp() - now
            except (TypeError, ValueError):
                value = 0.0  # neither seconds nor an HTTP-date: ignore the header
        if value > 0:
            return min(value, MAX_DELAY_S)
    reset = headers.get("x-ratelimit-reset")
    if reset:
        try:
            value = float(reset) - now
        except ValueError:
            value = 0.0
        if value > 0:
            return min(value, MAX_DELAY_S)
    return None


@dataclass(slots=True)
class RetryPolicy:
    """How often and how long to retry. Exponential back-off with full jitter unless the server says."""

    max_attempts: int = 5
    base_delay_s: float = 0.5
    max_delay_s: float = MAX_DELAY_S
    #: 429s are the server telling us *when*; we follow it for longer than for other transient errors.
    max_rate_limit_waits: int = 8
    rng: random.Random = field(default_factory=random.Random)

    def backoff(self, attempt: int) -> float:
        """Delay before retry number `attempt` (0-based) when the server gave no hint."""
        ceiling = min(self.base_delay_s * (2**attempt), self.max_delay_s)
        # Full jitter: spreads retries of many clients (or many jobs) so they do not arrive together.
        return self.rng.uniform(ceiling / 2, ceiling)


@dataclass(slots=True)
class GroupState:
    limit: int | None = None
    remaining: int | None = None
    reset_at: float | None = None
    blocked_until: float = 0.0


WaitListener = Callable[[str, float], None]


class RateLimiter:
    """Per-group pause after a 429, plus what the last response said about the remaining budget.

    `acquire(group)` waits while the group is blocked. `observe()` records the X-RateLimit-* headers so
    the pipeline can slow its polling before the budget runs out (see `pressure`).
    """

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._groups: dict[str, GroupState] = {}
        self._listeners: list[WaitListener] = []

    def add_wait_listener(self, listener: WaitListener) -> None:
        """`listener(group, seconds)` is called whenever requests start waiting for a rate limit."""
        self._listeners.append(listener)

    def remove_wait_listener(self, listener: WaitListener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def state(self, group: str) -> GroupState:
        return self._groups.setdefault(group, GroupState())

    def wait_time(self, group: str) -> float:
        return max(0.0, self.state(group).blocked_until - self._clock())

    async def acquire(self, group: str) -> None:
        while (delay := self.wait_time(group)) > 0:
            await asyncio.sleep(delay)

    def block(self, group: str, seconds: float) -> None:
        state = self.state(group)
        until = self._clock() + seconds
        if until > state.blocked_until:
            state.blocked_until = until
            for listener in list(self._listeners):
                listener(group, seconds)

    def observe(self, group: str, headers: Mapping[str, str]) -> None:
        state = self.state(group)
        try:
            if "x-ratelimit-limit" in headers:
                state.limit = int(headers["x-ratelimit-limit"])
            if "x-ratelimit-remaining" in headers:
                state.remaining = int(headers["x-ratelimit-remaining"])
            if "x-ratelimit-reset" in headers:
                state.reset_at = float(headers["x-ratelimit-reset"])
        except ValueError:
            pass  # a malformed header must not break the request that carried it

    def pressure(self, group: str) -> float:
        """0.0 = plenty of budget left, 1.0 = exhausted, from the last X-RateLimit-* headers seen."""
        state = self.state(group)
        if self.wait_time(group) > 0:
            return 1.0
        if not state.limit or state.remaining is None:
            return 0.0
        return max(0.0, min(1.0, 1.0 - state.remaining / state.limit))

    def spread_interval(self, group: str, pollers: int) -> float | None:
        """Minimum seconds between polls so `pollers` jobs fit the remaining budget until the reset."""
        state = self.state(group)
        if state.remaining is None or state.reset_at is None:
            return None
        window = max(1.0, state.reset_at - self._clock())
        remaining = max(1, state.remaining)
        return window * max(1, pollers) / remaining


__all__ = [
    "MAX_DELAY_S",
    "GroupState",
    "RateLimiter",
    "RetryPolicy",
    "WaitListener",
    "delay_from_headers",
    "endpoint_group",
]
