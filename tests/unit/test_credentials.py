"""Where the API key lives, and that a malformed key is refused wherever it comes from, without showing it."""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backend
import keyring.errors
import pytest

from videogen_studio.api.errors import ErrorKind, InvalidKeyFormat
from videogen_studio.credentials import (
    ENV_VAR,
    NO_KEYRING_HELP,
    KeyringUnavailable,
    SecretStore,
    StoredKeyInvalid,
)

GOOD = "vg_key_Abc123-good"


class DictKeyring(keyring.backend.KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.items.pop((service, username), None)


class NoKeyring(keyring.backend.KeyringBackend):
    """What keyring falls back to without a Secret Service: every call raises NoKeyringError."""

    priority = 1  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.NoKeyringError("No recommended backend was available.")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.NoKeyringError("No recommended backend was available.")

    def delete_password(self, service: str, username: str) -> None:
        raise keyring.errors.NoKeyringError("No recommended backend was available.")


@pytest.fixture
def ring(monkeypatch: pytest.MonkeyPatch) -> Iterator[DictKeyring]:
    monkeypatch.delenv(ENV_VAR, raising=False)
    previous = keyring.get_keyring()
    backend = DictKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def no_ring(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv(ENV_VAR, raising=False)
    previous = keyring.get_keyring()
    keyring.set_keyring(NoKeyring())
    yield
    keyring.set_keyring(previous)


def test_save_and_load_through_the_keyring(tmp_path: Path, ring: DictKeyring) -> None:
    store = SecretStore(tmp_path / "api-key")
    assert store.keyring_available()
    assert store.save(f"  {GOOD}\n") == "keyring"  # pasted with whitespace: stored stripped
    stored = store.load()
    assert stored is not None and (stored.key, stored.source) == (GOOD, "keyring")
    assert GOOD not in repr(stored)
    assert not (tmp_path / "api-key").exists()
    store.delete()
    assert store.load() is None


def test_environment_wins(tmp_path: Path, ring: DictKeyring, monkeypatch: pytest.MonkeyPatch) -> None:
    store = SecretStore(tmp_path / "api-key")
    store.save(GOOD)
    monkeypatch.setenv(ENV_VAR, " vg_key_from_env ")
    stored = store.load()
    assert stored is not None and (stored.key, stored.source) == ("vg_key_from_env", "environment")


@pytest.mark.parametrize("bad", ["vg_key\nsecret", "vg key secret", "vg_key_\x07bell", "vg_kéy", "k" * 600])
def test_malformed_keys_are_refused_when_entered(tmp_path: Path, ring: DictKeyring, bad: str) -> None:
    store = SecretStore(tmp_path / "api-key")
    with pytest.raises(InvalidKeyFormat) as info:
        store.save(bad)
    assert bad.strip() not in str(info.value)
    assert info.value.kind == ErrorKind.INVALID_KEY_FORMAT
    assert ring.items == {}


def test_malformed_key_in_the_environment_names_the_source_not_the_key(
    tmp_path: Path, ring: DictKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    SecretStore(tmp_path / "api-key").save(GOOD)
    monkeypatch.setenv(ENV_VAR, "vg_key_line\nbreak")
    with pytest.raises(StoredKeyInvalid) as info:
        SecretStore(tmp_path / "api-key").load()
    message = str(info.value)
    assert ENV_VAR in message and "line break" in message
    assert "vg_key_line" not in message and "break\n" not in message
    assert info.value.source == "environment"


def test_malformed_key_in_the_keyring_and_in_the_file(tmp_path: Path, ring: DictKeyring) -> None:
    ring.items[("VideoGen Studio", "api-key")] = "vg_key with space"
    with pytest.raises(StoredKeyInvalid, match="system keyring") as info:
        SecretStore(tmp_path / "api-key").load()
    assert "with space" not in str(info.value)
    ring.items.clear()
    (tmp_path / "api-key").write_text("vg_key\x00nul", encoding="utf-8")
    with pytest.raises(StoredKeyInvalid, match="key file"):
        SecretStore(tmp_path / "api-key").load()


def test_without_keyring_saving_explains_the_alternatives(tmp_path: Path, no_ring: None) -> None:
    store = SecretStore(tmp_path / "api-key")
    assert not store.keyring_available()
    with pytest.raises(KeyringUnavailable) as info:
        store.save(GOOD)
    assert str(info.value) == NO_KEYRING_HELP
    assert ENV_VAR in NO_KEYRING_HELP and "0600" in NO_KEYRING_HELP
    assert GOOD not in str(info.value)
    assert not (tmp_path / "api-key").exists()
    assert store.load() is None


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_opt_in_file_is_private(tmp_path: Path, no_ring: None) -> None:
    store = SecretStore(tmp_path / "keys" / "api-key")
    assert store.save(GOOD, allow_file=True) == "file"
    path = tmp_path / "keys" / "api-key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    stored = store.load()
    assert stored is not None and (stored.key, stored.source) == (GOOD, "file")
    # A file made readable by others (copied in by hand) is narrowed on load.
    os.chmod(path, 0o644)
    assert store.load() is not None
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    store.delete()
    assert not path.exists()


def test_saving_to_the_keyring_removes_the_file_copy(tmp_path: Path, ring: DictKeyring) -> None:
    path = tmp_path / "api-key"
    path.write_text("vg_key_old", encoding="utf-8")
    SecretStore(path).save(GOOD)
    assert not path.exists()
