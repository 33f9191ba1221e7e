"""Checking an API key for the Account dialog: who it belongs to (`GET /v1/me`), worded for the dialog.

Where the service has no `/v1/me` (generation A) the key is checked by listing the catalog instead, and the
dialog says that no account details are available. Nothing is charged either way.
"""

from __future__ import annotations

from typing import Any

from ...api.errors import VideoGenError


def describe_account(account: Any) -> str:
    """ "The key works. Signed in as maya@example.com (Maya) · key “CI key” · team team_123." """
    who = account.email or account.display_name or ""
    if account.email and account.display_name:
        who = f"{account.email} ({account.display_name})"
    parts = ["The key works."]
    if who:
        parts.append(f"Signed in as {who}")
    details = []
    if account.api_key_nickname:
        details.append(f"key “{account.api_key_nickname}”")
    if account.team_id:
        details.append(f"team {account.team_id}")
    if details:
        parts.append(("· " if who else "") + " · ".join(details))
    return " ".join(parts) + ("." if len(parts) > 1 else "")


NO_ME_TEXT = (
    "The key works (checked by listing presenters: this service does not report account details such as "
    "email or team)."
)


async def check_key(base_url: str, key: str) -> str:
    """Check `key` against `base_url` (the session layer's `Session.check_key`: legal characters first, no
    request for an impossible key, then the service), worded for the Account dialog."""
    from ...session import Session  # the session layer opens the short-lived client, not the UI

    account = await Session.check_key(base_url, key)
    return NO_ME_TEXT if account is None else describe_account(account)


__all__ = ["NO_ME_TEXT", "VideoGenError", "check_key", "describe_account"]
