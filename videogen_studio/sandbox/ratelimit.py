"""Rate limits of the sandbox: a fixed one-hour window per API key and endpoint group."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

from videogen_studio.sandbox.config import SandboxConfig

RATE_WINDOW_S = 3600.0


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


class SandboxRateLimit:
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
