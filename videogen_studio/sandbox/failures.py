"""Expected API failures (`ApiFailure`) and the ApiError body they become."""

from __future__ import annotations

import secrets
from typing import Any


class ApiFailure(Exception):
    """An expected API error; app.py renders it as an ApiError body with this status."""

    def __init__(
        self,
        status: int,
        message: str,
        code: str | None = None,
        requirement: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.requirement = requirement

    def body(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"message": self.message}
        if self.code is not None:
            payload["code"] = self.code
        if self.requirement is not None:
            payload["requirement"] = self.requirement
        return payload


def error_body(message: str, code: str) -> dict[str, Any]:
    return {"message": message, "code": code, "internalErrorCode": f"sbx_{secrets.token_hex(4)}"}
