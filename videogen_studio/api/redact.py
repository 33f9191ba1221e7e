"""One redaction step for every text that is shown, logged or stored.

The client registers its API key here when it is constructed; `redact()` then replaces every registered
secret, and any `Bearer …` or `Authorization: …` value whatever its origin, with `***`. Errors built by the
client pass their messages through it (so a server message echoing the key is scrubbed), the job store does
it on save, and `RedactingFilter` does it for log records.
"""

from __future__ import annotations

import logging
import re
import threading

MASK = "***"
#: Shorter values are not treated as secrets: scrubbing two-letter strings would mangle every message.
MIN_SECRET_LENGTH = 6

_lock = threading.Lock()
_secrets: set[str] = set()
_HEADER_VALUES = re.compile(
    r"(?i)\b(bearer)\s+[^\s'\",;]+"  # a bearer token anywhere
    r"|\b(authorization|x-api-key)(['\"]?\s*[:=]\s*['\"]?)[^\r\n'\",]+"  # a header line or a dict entry
)


def register_secret(value: str) -> None:
    """Remember `value` (and its whitespace-separated parts) as text that must never be shown."""
    candidates = {value, value.strip(), *value.split()}
    with _lock:
        _secrets.update(c for c in candidates if len(c) >= MIN_SECRET_LENGTH)


def forget_secrets() -> None:
    """Drop every registered secret (tests; switching accounts keeps old keys registered on purpose)."""
    with _lock:
        _secrets.clear()


def _header_mask(match: re.Match[str]) -> str:
    if match.group(1):
        return f"{match.group(1)} {MASK}"
    return f"{match.group(2)}{match.group(3)}{MASK}"


def redact(text: str) -> str:
    """`text` with every registered secret and every credential header value replaced by `***`."""
    if not text:
        return text
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)  # longest first: a key containing another
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return _HEADER_VALUES.sub(_header_mask, text)


class RedactingFilter(logging.Filter):
    """A logging filter that redacts the formatted message (arguments and traceback included)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


__all__ = ["MASK", "RedactingFilter", "forget_secrets", "redact", "register_secret"]
