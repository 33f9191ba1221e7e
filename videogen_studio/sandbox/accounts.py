"""Accounts: keys, revocation, credits charged and refunded."""

from __future__ import annotations

import hashlib
from typing import Any

from videogen_studio.sandbox.config import SandboxAccount
from videogen_studio.sandbox.core import StateCore
from videogen_studio.sandbox.executions import Execution
from videogen_studio.sandbox.failures import ApiFailure


class AccountBook(StateCore):
    def add_account(self, key: str, account: SandboxAccount) -> None:
        with self.lock:
            self.accounts[key] = account
        self._save()

    def revoke_key(self, key: str) -> None:
        with self.lock:
            self.accounts.setdefault(key, SandboxAccount()).revoked = True
        self._save()

    def authenticate(self, key: str) -> SandboxAccount | None:
        with self.lock:
            account = self.accounts.get(key)
            return None if account is None or account.revoked else account

    def team_of(self, key: str) -> str:
        account = self.accounts.get(key)
        if account is not None and account.team_id:
            return account.team_id
        return "vg_team_" + _digest(key)[:12]

    def me_json(self, key: str) -> dict[str, Any]:
        """`GET /v1/me`: the account behind a key; fields left unset derive from the key."""
        with self.lock:
            account = self.accounts[key]
            tag = _digest(key)
            return {
                "apiKeyId": "vg_akey_" + tag[:12],
                "apiKeyNickname": account.key_nickname or f"Sandbox key {tag[:4]}",
                "email": account.email or f"user-{tag[:6]}@sandbox.videogen.invalid",
                "displayName": account.display_name,
                "teamId": self.team_of(key),
            }

    def _charge(self, owner: str, cost: float) -> None:
        account = self.accounts[owner]
        if account.credits < cost:
            raise ApiFailure(
                402,
                f"Not enough credits: this request costs {cost:g} credits and {account.credits:g} remain.",
                "insufficient_credits",
                {
                    "type": "upgrade_plan",
                    "details": {"requiredCredits": f"{cost:g}", "availableCredits": f"{account.credits:g}"},
                },
            )
        account.credits -= cost

    def _refund(self, execution: Execution) -> None:
        # sandbox choice: cancelled and failed executions give their credits back.
        account = self.accounts.get(execution.owner)
        if account is not None:
            account.credits += execution.charged
        execution.charged = 0.0


def _digest(key: str) -> str:
    # Ids derived from a key must never reveal it: a one-way hash, never a prefix of the key.
    return hashlib.sha256(f"sandbox-account\n{key}".encode()).hexdigest()
