"""The abstraction every key backend implements: where an API key can live, one place per module."""

from __future__ import annotations

from typing import Protocol

#: Values of `KeyBackend.name`, also `StoredKey.source`.
KEYRING = "keyring"
ENVIRONMENT = "environment"
FILE = "file"


class KeyBackend(Protocol):
    """One place an API key can be read from (and, unless read-only, written to)."""

    name: str
    read_only: bool

    def available(self) -> bool:
        """True when this backend can be used on this machine right now."""
        ...

    def load(self) -> str | None:
        """The stored text (not yet checked), or None when nothing is stored or the backend is unusable."""
        ...

    def save(self, key: str) -> None:
        """Store `key`; raises when the backend cannot (the caller decides what to try next)."""
        ...

    def delete(self) -> None:
        """Forget the key; never raises."""
        ...


class BackendUnavailable(RuntimeError):
    """This backend cannot store a key here (no keyring service, read-only source)."""
