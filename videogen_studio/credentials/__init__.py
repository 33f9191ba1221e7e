"""The API key: environment variable VIDEOGEN_API_KEY first, then the OS keyring, then an opt-in file.

One backend per module behind `base.KeyBackend` (keyring, environment, file); `SecretStore` picks among
them. The key never goes into settings.json, a log line or an exception message.
"""

from __future__ import annotations

from .base import ENVIRONMENT, FILE, KEYRING, BackendUnavailable, KeyBackend
from .env_backend import ENV_VAR, EnvBackend
from .file_backend import FileBackend
from .keyring_backend import SERVICE, USERNAME, KeyringBackend
from .store import NO_KEYRING_HELP, KeyringUnavailable, SecretStore, StoredKey, StoredKeyInvalid

__all__ = [
    "ENVIRONMENT",
    "ENV_VAR",
    "FILE",
    "KEYRING",
    "NO_KEYRING_HELP",
    "SERVICE",
    "USERNAME",
    "BackendUnavailable",
    "EnvBackend",
    "FileBackend",
    "KeyBackend",
    "KeyringBackend",
    "KeyringUnavailable",
    "SecretStore",
    "StoredKey",
    "StoredKeyInvalid",
]
