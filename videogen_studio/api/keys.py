"""Checking an API key's form before it is used anywhere.

A key with a line break, a space or a control character cannot be valid, and handing it to the HTTP layer
is dangerous: httpx refuses such a header with an error text that contains `Bearer <key>`. So keys are
checked here, when they are entered, loaded or given to the client, and refused with `InvalidKeyFormat`,
whose message never contains the key.
"""

from __future__ import annotations

from .errors import InvalidKeyFormat

#: Real keys are far shorter; anything this long was pasted by mistake (a whole file, a page).
MAX_KEY_LENGTH = 512


def check_api_key(key: str) -> str:
    """The key without surrounding whitespace; raises `InvalidKeyFormat` when it cannot be a key."""
    stripped = key.strip()
    if not stripped:
        raise InvalidKeyFormat("No API key was given.")
    if len(stripped) > MAX_KEY_LENGTH:
        raise InvalidKeyFormat(f"The API key is too long ({len(stripped)} characters).")
    for index, char in enumerate(stripped, start=1):
        if char in "\r\n":
            raise InvalidKeyFormat(f"The API key contains a line break (character {index}).")
        if char.isspace():
            raise InvalidKeyFormat(f"The API key contains a space (character {index}).")
        if not ("!" <= char <= "~"):
            what = "a control character" if ord(char) < 32 or ord(char) == 127 else "a non-ASCII character"
            raise InvalidKeyFormat(f"The API key contains {what} (character {index}).")
    return stripped


__all__ = ["MAX_KEY_LENGTH", "check_api_key"]
