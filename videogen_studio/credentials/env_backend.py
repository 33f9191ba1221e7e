"""The VIDEOGEN_API_KEY environment variable: read-only, wins over everything stored (CI, containers)."""

from __future__ import annotations

import os

from .base import ENVIRONMENT, BackendUnavailable

ENV_VAR = "VIDEOGEN_API_KEY"


class EnvBackend:
    name = ENVIRONMENT
    read_only = True

    def __init__(self, variable: str = ENV_VAR) -> None:
        self.variable = variable

    def available(self) -> bool:
        return bool(os.environ.get(self.variable, "").strip())

    def load(self) -> str | None:
        value = os.environ.get(self.variable, "")
        return value if value.strip() else None

    def save(self, key: str) -> None:
        raise BackendUnavailable(f"{self.variable} is set outside the app")

    def delete(self) -> None:
        return None  # the environment belongs to the caller
