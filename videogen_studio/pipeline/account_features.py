"""What we learned about an account from the service's answers, remembered per account.

No endpoint says which add-ons an account has. The service tells us only by refusing: a render with
watermark NONE fails with `purchase_add_on` (kind `add_on_required`) when the Production API add-on is
missing. That answer is remembered here, so the editor stops offering NONE and preflight refuses it before
anything is paid; a later render with NONE that succeeds (the add-on was bought) clears it.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..api.errors import ErrorKind
from ..api.models import WatermarkMode
from ..fileio import atomic_write
from .jobs import JobState, RenderJob

log = logging.getLogger(__name__)

FILE_VERSION = 1
WATERMARK_NONE = "watermark_none"
#: Error codes that mean "buy the add-on" (the spec's requirement type and our kind).
ADD_ON_CODES = frozenset({"purchase_add_on", "add_on_required"})


class AccountFeatures:
    """Per-account facts (currently: whether watermark NONE is refused). Memory-only when `path` is None."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path is not None else None
        self._refused: dict[str, float] = {}  # feature -> when the service refused it
        self._listeners: list[Callable[[AccountFeatures], None]] = []
        self._load()

    @classmethod
    def for_account(cls, folder: Path, account: str) -> AccountFeatures:
        """The features file of `account` (see `capability_cache.account_key`) under `folder`."""
        return cls(Path(folder) / f"features-{account}.json")

    # --------------------------------------------------------------------------------------- questions
    def allows_watermark(self, mode: str | WatermarkMode | None) -> bool:
        """False only for NONE after the service refused it for this account."""
        if mode is None or str(mode).upper() != WatermarkMode.NONE:
            return True
        return WATERMARK_NONE not in self._refused

    @property
    def watermark_none_refused(self) -> bool:
        return WATERMARK_NONE in self._refused

    def subscribe(self, listener: Callable[[AccountFeatures], None]) -> Callable[[], None]:
        """Call `listener` whenever what we know changes (the editor re-filters its watermark choices)."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    # --------------------------------------------------------------------------------------- learning
    def note_watermark_refused(self) -> None:
        if WATERMARK_NONE not in self._refused:
            self._refused[WATERMARK_NONE] = time.time()
            self._save()

    def note_watermark_allowed(self) -> None:
        if self._refused.pop(WATERMARK_NONE, None) is not None:
            self._save()

    def learn_from_job(self, job: RenderJob) -> bool:
        """Learn from a finished job (the session feeds every queue event here). True when something changed.

        A job asking for NONE that failed with `add_on_required` means NONE is refused; one that reached its
        video means it is allowed.
        """
        if str(job.spec.watermark_mode).upper() != WatermarkMode.NONE:
            return False
        before = self.watermark_none_refused
        refused = job.error_kind == ErrorKind.ADD_ON_REQUIRED or job.error_code in ADD_ON_CODES
        if job.state is JobState.FAILED and refused:
            self.note_watermark_refused()
        elif job.video_file_id or job.state is JobState.DONE:
            self.note_watermark_allowed()
        return before != self.watermark_none_refused

    # ------------------------------------------------------------------------------------------- disk
    def _load(self) -> None:
        if self.path is None:
            return
        try:
            raw: Any = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        if (
            not isinstance(raw, dict)
            or raw.get("v") != FILE_VERSION
            or not isinstance(raw.get("refused"), dict)
        ):
            return
        self._refused = {
            str(k): float(v) for k, v in raw["refused"].items() if isinstance(v, int | float) and v >= 0
        }

    def _save(self) -> None:
        for listener in list(self._listeners):
            listener(self)
        if self.path is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(self.path, json.dumps({"v": FILE_VERSION, "refused": self._refused}, sort_keys=True))
        except OSError as exc:  # we learn it again from the next refusal
            log.info("account features not saved: %s", exc)
