"""The GUI words an error from its stable kind (`failures.kind_of`), and redacts every text it shows."""

from __future__ import annotations

import errno
import inspect
import socket

import pytest

from videogen_studio.api import errors
from videogen_studio.api.redact import MASK, forget_secrets, register_secret
from videogen_studio.pipeline.failures import set_kind
from videogen_studio.ui import wording

_API_ERRORS = [
    cls
    for _, cls in inspect.getmembers(errors, inspect.isclass)
    if issubclass(cls, errors.VideoGenError) and cls.__module__ == errors.__name__
]


@pytest.mark.parametrize("cls", _API_ERRORS, ids=lambda c: c.__name__)
def test_an_api_error_is_worded_by_its_own_kind(cls: type[errors.VideoGenError]) -> None:
    exc = cls.__new__(cls)  # constructors differ; the kind is a class attribute
    assert wording.error_kind(exc) == str(cls.kind)


def test_a_kind_given_at_construction_wins_over_the_class() -> None:
    exc = errors.ServerError("quota", status=402, kind="insufficient_credits")
    assert wording.error_kind(exc) == "insufficient_credits"


def test_plain_errors_get_kinds_from_what_happened() -> None:
    assert wording.error_kind(TimeoutError()) == "timeout"
    assert wording.error_kind(socket.gaierror(-2, "Name or service not known")) == "network"
    assert wording.error_kind(ConnectionResetError()) == "network"
    assert wording.error_kind(OSError(errno.ENOSPC, "No space left")) == "disk_full"
    assert wording.error_kind(PermissionError(errno.EACCES, "denied")) == "local_file"
    assert wording.error_kind(ValueError("x")) == "unknown"
    marked = OSError(errno.EIO, "io")
    set_kind(marked, "uncertain")
    assert wording.error_kind(marked) == "uncertain"


def test_shown_text_masks_a_registered_key() -> None:
    key = "vg_live_wordingSecret987654"
    register_secret(key)
    try:
        shown = wording.clean(f"[Errno 13] refused for {key}; Authorization: Bearer {key}")
    finally:
        forget_secrets()
    assert key not in shown
    assert MASK in shown
