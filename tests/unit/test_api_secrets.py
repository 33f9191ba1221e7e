"""Key checks and redaction: a key never shows up in a message, a log line or stored text."""

from __future__ import annotations

import logging

import pytest

from videogen_studio.api import errors
from videogen_studio.api.keys import MAX_KEY_LENGTH, check_api_key
from videogen_studio.api.redact import MASK, RedactingFilter, forget_secrets, redact, register_secret

SECRET = "vg_key_s3cr3t_unit_987654"


@pytest.fixture(autouse=True)
def clean_registry() -> None:
    forget_secrets()


def test_a_good_key_is_stripped_and_returned() -> None:
    assert check_api_key(f"  {SECRET}\n") == SECRET


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("", "No API key"),
        ("   \n", "No API key"),
        (SECRET[:5] + "\n" + SECRET[5:], "line break"),
        (SECRET[:5] + "\r" + SECRET[5:], "line break"),
        (SECRET[:5] + " " + SECRET[5:], "space"),
        (SECRET[:5] + "\t" + SECRET[5:], "space"),
        (SECRET + "\x1b", "control character"),
        (SECRET + "\x7f", "control character"),
        (SECRET + "\u00e9", "non-ASCII"),
        (SECRET + "\u200b", "non-ASCII"),
        ("k" * (MAX_KEY_LENGTH + 1), "too long"),
    ],
)
def test_keys_that_cannot_be_keys_are_refused_without_echoing_them(key: str, problem: str) -> None:
    with pytest.raises(errors.InvalidKeyFormat, match=problem) as info:
        check_api_key(key)
    assert info.value.kind == errors.ErrorKind.INVALID_KEY_FORMAT
    for piece in key.split():
        if len(piece) >= 6:
            assert piece not in info.value.message and piece[:12] not in str(info.value)


def test_registered_secrets_and_credential_headers_are_scrubbed() -> None:
    assert redact(f"key={SECRET}") == f"key={SECRET}"  # not registered, not a header: left alone
    register_secret(SECRET)
    assert redact(f"key={SECRET}!") == f"key={MASK}!"
    assert redact("Authorization: Bearer abc.def-ghi") == f"Authorization: {MASK}"
    assert redact("{'authorization': 'Bearer zzz'}") == f"{{'authorization': '{MASK}'}}"
    assert redact('{"X-API-Key": "k-123"}') == f'{{"X-API-Key": "{MASK}"}}'
    assert redact("token Bearer q1w2e3r4 rejected") == f"token Bearer {MASK} rejected"
    assert redact("The authorization failed.") == "The authorization failed."  # plain words stay
    register_secret("abc")  # too short to be a secret: scrubbing it would mangle every message
    assert redact("abc") == "abc"


def test_errors_redact_their_messages_and_hints() -> None:
    register_secret(SECRET)
    err = errors.error_from_response(
        400,
        {"message": f"bad key {SECRET}", "requirement": {"type": "upgrade_plan", "details": {"k": SECRET}}},
    )
    for text in (err.message, err.hint, str(err), repr(err.args)):
        assert SECRET not in text
    assert SECRET not in str(err.requirement_details)
    assert SECRET not in errors.NetworkError(f"reset while sending Bearer {SECRET}").message


def test_logging_filter_redacts_arguments_and_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    register_secret(SECRET)
    logger = logging.getLogger("videogen_studio.test_secrets")
    logger.addFilter(RedactingFilter())
    with caplog.at_level(logging.INFO, logger=logger.name):
        logger.info("using %s", SECRET)
        try:
            raise RuntimeError(f"boom {SECRET}")
        except RuntimeError:
            logger.exception("failed")
    assert SECRET not in caplog.text and MASK in caplog.text
    assert all(SECRET not in (r.exc_text or "") for r in caplog.records)
