"""Back-off and rate-limit bookkeeping (pure functions; the HTTP side is tested against the sandbox)."""

from __future__ import annotations

import email.utils
import random

from videogen_studio.api.retry import RateLimiter, RetryPolicy, delay_from_headers, endpoint_group


def test_endpoint_groups() -> None:
    assert endpoint_group("POST", "/v1/tools/text-to-speech") == "tools"
    assert endpoint_group("GET", "/v1/tools/executions/vg_exec_1") == "executions"
    assert endpoint_group("POST", "/v1/tools/executions/vg_exec_1/cancel") == "executions"
    assert endpoint_group("GET", "/v1/files/vg_file_1") == "files"
    assert endpoint_group("GET", "/v1/resources/tts-voices") == "resources"


def test_delay_from_headers_prefers_retry_after_and_caps() -> None:
    assert delay_from_headers({"retry-after": "7"}) == 7
    assert delay_from_headers({"retry-after": "900"}) == 60
    assert delay_from_headers({"retry-after-ms": "1500"}) == 1.5
    date = email.utils.formatdate(1_000_030, usegmt=True)
    assert delay_from_headers({"retry-after": date}, now=1_000_000) == 30
    assert delay_from_headers({"x-ratelimit-reset": "1000012"}, now=1_000_000) == 12
    assert delay_from_headers({"retry-after": "0"}) is None
    assert delay_from_headers({"retry-after": "soon"}) is None
    assert delay_from_headers({}) is None


def test_backoff_grows_with_jitter_inside_bounds() -> None:
    policy = RetryPolicy(base_delay_s=1.0, max_delay_s=8.0, rng=random.Random(1))
    for attempt, ceiling in [(0, 1.0), (1, 2.0), (2, 4.0), (3, 8.0), (6, 8.0)]:
        delay = policy.backoff(attempt)
        assert ceiling / 2 <= delay <= ceiling


def test_rate_limiter_blocks_group_and_reports_pressure() -> None:
    now = [1000.0]
    limiter = RateLimiter(clock=lambda: now[0])
    waits: list[tuple[str, float]] = []
    limiter.add_wait_listener(lambda group, s: waits.append((group, s)))
    limiter.observe(
        "executions", {"x-ratelimit-limit": "100", "x-ratelimit-remaining": "25", "x-ratelimit-reset": "1360"}
    )
    assert limiter.pressure("executions") == 0.75
    # 4 pollers sharing 25 remaining requests over 360 s: one poll each per 57.6 s at most.
    assert limiter.spread_interval("executions", 4) == 360 * 4 / 25
    limiter.block("executions", 5)
    assert limiter.wait_time("executions") == 5 and limiter.wait_time("files") == 0
    assert limiter.pressure("executions") == 1.0
    assert waits == [("executions", 5)]
    now[0] += 6
    assert limiter.wait_time("executions") == 0


def test_malformed_rate_limit_headers_are_ignored() -> None:
    limiter = RateLimiter()
    limiter.observe("files", {"x-ratelimit-limit": "lots", "x-ratelimit-remaining": "1"})
    assert limiter.pressure("files") == 0.0


def test_endpoint_groups_of_the_spec_endpoints() -> None:
    assert endpoint_group("GET", "/v1/tools/executions") == "executions"  # the history list polls too
    assert endpoint_group("POST", "/v1/files/search") == "files"
    assert endpoint_group("POST", "/v1/files/vg_file_1/enable-public-preview") == "files"
    assert endpoint_group("GET", "/v1/me") == "other"
    assert endpoint_group("GET", "/v1/entities") == "other"


def test_retry_after_ms_beats_retry_after_and_garbage_is_ignored() -> None:
    assert delay_from_headers({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    assert delay_from_headers({"retry-after-ms": "abc", "retry-after": "2"}) == 2
    assert delay_from_headers({"x-ratelimit-reset": "soon"}) is None
