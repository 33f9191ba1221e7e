"""Cursor pagination as in the spec: `limit` (default 50, max 200), `cursor`; `hasMore`, `nextCursor`.

Cursors are opaque to clients and tied to the endpoint that made them: the token carries the endpoint's name,
the position after which the next page starts and an HMAC with the server's secret, so a cursor from another
endpoint (or an edited one) is refused with 400 `invalid_parameters`. Positions are item keys, not offsets,
so a list that grows at the top (files, executions: newest first) neither repeats nor skips items.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from videogen_studio.sandbox.failures import ApiFailure

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


@dataclass(frozen=True)
class PageSlice[T]:
    items: list[T]
    has_more: bool
    next_cursor: str | None


class Pager:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _mac(self, endpoint: str, position: str) -> str:
        digest = hmac.new(self._secret, f"cursor\n{endpoint}\n{position}".encode(), hashlib.sha256)
        return digest.hexdigest()[:16]

    def encode(self, endpoint: str, position: str) -> str:
        raw = f"{endpoint}\n{position}\n{self._mac(endpoint, position)}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def decode(self, endpoint: str, cursor: str) -> str:
        """The position in `cursor`; ApiFailure 400 for a cursor of another endpoint or a damaged one."""
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
            made_for, position, mac = raw.split("\n")
        except (ValueError, UnicodeDecodeError):
            raise ApiFailure(400, "cursor is not a valid pagination cursor.", "invalid_parameters") from None
        if not hmac.compare_digest(mac, self._mac(made_for, position)):
            raise ApiFailure(400, "cursor is not a valid pagination cursor.", "invalid_parameters")
        if made_for != endpoint:
            raise ApiFailure(
                400, "cursor belongs to another endpoint; pass nextCursor unmodified.", "invalid_parameters"
            )
        return position

    def page[T](
        self,
        endpoint: str,
        items: Sequence[T],
        position: Callable[[T], str],
        limit_raw: str | None,
        cursor: str | None,
    ) -> PageSlice[T]:
        """The page of `items` (already in list order; `position` unique per item) after `cursor`."""
        limit = parse_limit(limit_raw)
        start = 0
        if cursor:
            after = self.decode(endpoint, cursor)
            start = next((i + 1 for i, item in enumerate(items) if position(item) == after), -1)
            if start < 0:
                # The item the cursor points after is gone (archived): fall back on list order by key.
                start = next(
                    (i for i, item in enumerate(items) if _is_after(position(item), after)), len(items)
                )
        chunk = list(items[start : start + limit])
        has_more = start + limit < len(items)
        next_cursor = self.encode(endpoint, position(chunk[-1])) if has_more and chunk else None
        return PageSlice(chunk, has_more, next_cursor)


def _is_after(candidate: str, after: str) -> bool:
    # Positions of time-ordered lists are "<reverse-sortable time>|<id>", so plain string order is list order.
    return candidate > after


def parse_limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    try:
        limit = int(raw)
    except ValueError:
        raise ApiFailure(400, f"limit must be an integer (got {raw!r}).", "invalid_parameters") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise ApiFailure(400, f"limit must be between 1 and {MAX_LIMIT} (got {limit}).", "invalid_parameters")
    return limit


def newest_first_position(created_at: float, item_id: str) -> str:
    """Position in a newest-first list: later items sort greater as strings (see `_is_after`)."""
    return f"{10**11 - created_at:020.6f}|{item_id}"
