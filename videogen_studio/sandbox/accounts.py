"""Accounts: keys, revocation, credits charged and refunded."""

from __future__ import annotations

from videogen_studio.sandbox.config import Account
from videogen_studio.sandbox.core import StateCore
from videogen_studio.sandbox.executions import Execution
from videogen_studio.sandbox.failures import ApiFailure


class AccountBook(StateCore):
    def add_account(self, key: str, account: Account) -> None:
        with self.lock:
            self.accounts[key] = account
        self._save()

    def revoke_key(self, key: str) -> None:
        with self.lock:
            self.accounts.setdefault(key, Account()).revoked = True
        self._save()

    def authenticate(self, key: str) -> Account | None:
        with self.lock:
            account = self.accounts.get(key)
            return None if account is None or account.revoked else account

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
