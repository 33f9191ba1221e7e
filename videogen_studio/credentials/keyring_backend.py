"""The OS keyring (Secret Service, macOS Keychain, Windows Credential Locker): the default home of the key."""

from __future__ import annotations

import contextlib
import logging

from .base import KEYRING, BackendUnavailable

log = logging.getLogger(__name__)

SERVICE = "VideoGen Studio"
USERNAME = "api-key"


class KeyringBackend:
    name = KEYRING
    read_only = False

    def __init__(self, service: str = SERVICE, username: str = USERNAME) -> None:
        self.service = service
        self.username = username

    def available(self) -> bool:
        try:
            import keyring  # imported late: loading the backends costs start-up time

            keyring.get_password(self.service, self.username)
        except Exception:  # NoKeyringError, a locked or missing Secret Service, a D-Bus failure...
            return False
        return True

    def load(self) -> str | None:
        try:
            import keyring

            return keyring.get_password(self.service, self.username)
        except Exception as exc:  # any backend failure means "not available"
            log.info("keyring unavailable: %s", type(exc).__name__)
            return None

    def save(self, key: str) -> None:
        try:
            import keyring

            keyring.set_password(self.service, self.username, key)
        except Exception as exc:
            # Only the exception's type: some backends put the secret into their messages.
            log.info("keyring refused the key: %s", type(exc).__name__)
            raise BackendUnavailable(type(exc).__name__) from None

    def delete(self) -> None:
        with contextlib.suppress(Exception):  # nothing stored or no backend: either way the key is gone
            import keyring

            keyring.delete_password(self.service, self.username)
