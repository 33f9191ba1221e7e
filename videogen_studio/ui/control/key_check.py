"""Checking an API key for the Account dialog: who it belongs to (`GET /v1/me`), worded for the dialog.

Where the service has no `/v1/me` (generation A) the key is checked by listing the catalog instead, and the
dialog says that no account details are available. Nothing is charged either way.
"""

from __future__ import annotations

from typing import Any

from ...api.errors import NotFound, VideoGenError
from ...api.keys import check_api_key


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


async def check_key_with_client(client: Any) -> str:
    """`client.get_me()`; a service without `/v1/me` answers 404, then the catalog is listed instead."""
    try:
        account = await client.get_me()
    except NotFound:
        await _list_something(client)
        return NO_ME_TEXT
    return describe_account(account)


async def _list_something(client: Any) -> None:
    try:
        await client.list_presenters()
    except NotFound:  # generation C: no presenter list, actors instead
        await client.list_entities()


async def check_key(base_url: str, key: str) -> str:
    """Check `key` against `base_url`: legal characters first (no request for an impossible key), then the
    service. Uses the session layer's checker when it offers one."""
    key = check_api_key(key)
    from ... import session as session_module

    shared = getattr(session_module, "check_api_key_online", None) or getattr(
        session_module, "check_key", None
    )
    if shared is not None:
        result = await shared(base_url, key)
        return result if isinstance(result, str) else describe_account(result)
    # Fallback until the session layer offers a checker: a short-lived client for this one question.
    from ...api.client import VideoGenClient

    async with VideoGenClient(base_url, key) as probe:
        return await check_key_with_client(probe)


__all__ = ["NO_ME_TEXT", "VideoGenError", "check_key", "check_key_with_client", "describe_account"]
