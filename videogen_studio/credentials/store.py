"""SecretStore: where the API key is looked up (environment, keyring, opt-in file) and where it is saved.

Every key is checked with `api.keys.check_api_key` when it is entered (`save`) and when it is loaded, so a
key with a line break or a space never reaches the HTTP layer; the error names the source and the problem,
never the key.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..api.errors import InvalidKeyFormat
from ..api.keys import check_api_key
from .base import ENVIRONMENT, FILE, KEYRING, BackendUnavailable, KeyBackend
from .env_backend import ENV_VAR, EnvBackend
from .file_backend import FileBackend
from .keyring_backend import KeyringBackend

log = logging.getLogger(__name__)

NO_KEYRING_HELP = (
    "No system keyring is available to store the API key safely. Set the VIDEOGEN_API_KEY "
    "environment variable before starting, or opt in to storing the key in a local file "
    "readable only by you (permissions 0600)."
)

_WHERE = {
    ENVIRONMENT: f"the {ENV_VAR} environment variable",
    KEYRING: "the system keyring",
    FILE: "the key file",
}


class KeyringUnavailable(RuntimeError):
    """Raised when saving needs a keyring and none exists. The message says what to do instead."""

    def __init__(self) -> None:
        super().__init__(NO_KEYRING_HELP)


class StoredKeyInvalid(InvalidKeyFormat):
    """A stored key (environment, keyring or file) cannot be a key. Names the source, never the key."""

    def __init__(self, source: str, reason: InvalidKeyFormat) -> None:
        where = _WHERE.get(source, source)
        super().__init__(f"The API key in {where} cannot be used: {reason.message}")
        self.source = source


@dataclass(frozen=True, slots=True)
class StoredKey:
    key: str
    source: str  # "keyring" | "environment" | "file"

    def __repr__(self) -> str:  # a StoredKey in a log line or a traceback must not show the key
        return f"StoredKey(key=<hidden>, source={self.source!r})"


class SecretStore:
    """Reads the key from the first source that has one (environment, keyring, file); saves to the keyring,
    or to the file when the user opted in."""

    def __init__(self, fallback_file: Path, *, backends: Sequence[KeyBackend] | None = None) -> None:
        self._file = FileBackend(fallback_file)
        self._keyring = KeyringBackend()
        self._backends: tuple[KeyBackend, ...] = (
            tuple(backends) if backends is not None else (EnvBackend(), self._keyring, self._file)
        )

    @property
    def fallback_file(self) -> Path:
        return self._file.path

    def keyring_available(self) -> bool:
        return self._keyring.available()

    def load(self) -> StoredKey | None:
        """The key and where it came from, or None. Raises StoredKeyInvalid when the key found is malformed
        (a broken key in the environment is not silently replaced by an older one from the keyring)."""
        for backend in self._backends:
            text = backend.load()
            if text is None:
                continue
            try:
                key = check_api_key(text)
            except InvalidKeyFormat as exc:
                raise StoredKeyInvalid(backend.name, exc) from None
            if backend is self._file:
                self._make_private()
            return StoredKey(key, backend.name)
        return None

    def save(self, key: str, *, allow_file: bool = False) -> str:
        """Check and store the key; returns where it went ("keyring" or "file").

        Raises InvalidKeyFormat for a malformed key, KeyringUnavailable when there is no keyring and the
        user has not opted in to the file.
        """
        key = check_api_key(key)
        try:
            self._keyring.save(key)
        except BackendUnavailable:
            if not allow_file:
                raise KeyringUnavailable() from None
        else:
            self._file.delete()  # one copy only: the safer one
            return KEYRING
        self._file.save(key)
        return FILE

    def delete(self) -> None:
        for backend in self._backends:
            if not backend.read_only:
                backend.delete()

    def _make_private(self) -> None:
        # A key file copied in by hand may be world-readable: narrow it to the user, as we would have.
        if not self._file.is_private():
            with contextlib.suppress(OSError):
                os.chmod(self._file.path, 0o600)
                log.info("key file permissions narrowed to 0600")
