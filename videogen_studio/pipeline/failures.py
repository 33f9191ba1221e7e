"""The pipeline's own failure kinds, beside the api's `ErrorKind` values.

A failed job stores one stable `error_kind` string: the api's `ErrorKind` value when an API error ended it
(`insufficient_credits`, `network`, ...), or one of `FailureKind` below when the pipeline decided. Each
surface (GUI, CLI) words these kinds itself; the texts stored with a job are a neutral fallback.
"""

from __future__ import annotations

import contextlib
import errno
from enum import StrEnum

from ..api.errors import ErrorKind


class FailureKind(StrEnum):
    #: A paid POST may have reached the service but its id was never seen: retry only after checking.
    UNCERTAIN = "uncertain"
    #: The service ran the step and reported it failed (the step is not charged twice on retry).
    EXECUTION_FAILED = "execution_failed"
    #: The step waits for an approval on the service side (not a failure; used for a notice or a timeout).
    APPROVAL_PENDING = "approval_pending"
    #: The avatar step was refused after the speech was paid: the speech is kept, Retry redoes the avatar.
    AVATAR_REFUSED_SPEECH_KEPT = "avatar_refused_speech_kept"
    #: A step did not finish within the pipeline's patience; its id is kept so Retry polls on.
    STALLED = "stalled"
    #: The service finished a step without the file it promised.
    NO_RESULT = "no_result"
    #: The stored job lost an id it needs (a hand-edited or damaged row).
    LOST_ID = "lost_id"
    #: Another process holds this job's lease and is driving it.
    HELD_ELSEWHERE = "held_elsewhere"
    #: A bug: an unexpected exception ended the job.
    INTERNAL = "internal"


def kind_of(exc: BaseException) -> str | None:
    """The stable kind of an error: every api error carries its own `kind` (an `ErrorKind` value); a plain
    OSError is a local file problem (`disk_full` when the disk is full); anything else has none."""
    kind = getattr(exc, "kind", None)  # api errors, and local errors marked with `set_kind`
    if isinstance(kind, str) and kind:
        return str(kind)
    if isinstance(exc, OSError):
        return ErrorKind.DISK_FULL.value if exc.errno == errno.ENOSPC else ErrorKind.LOCAL_FILE.value
    return None


def set_kind(exc: BaseException, kind: str) -> None:
    """Give an error a stable kind (api errors carry their own; this marks the pipeline's local ones)."""
    # `kind` may be a plain class attribute of the api error; a read-only property already knows its kind.
    with contextlib.suppress(AttributeError):
        setattr(exc, "kind", kind)  # noqa: B010
