"""Identical renders are copies: what this process already rendered, found again by what it was made from.

The sandbox renders real media (espeak-ng speech as MP3, H.264/AAC clips, PNG portraits), a few hundred
milliseconds of CPU each. The same order (script, voice, speed; presenter and audio; portrait seed) gives
the same bytes, so a second one copies the first file instead: the test suite orders the same clip hundreds
of times, a demo re-renders a script after editing its title. Only paths are kept, never media: an entry
whose file was deleted or changed since (size or modification time) is dropped and the render runs again.

Keys name the rendering function too, so a test that swaps one (a broken encoder) is never served a copy.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from videogen_studio.sandbox.media.files import render_target


@dataclass(frozen=True)
class _Stamp:
    path: Path
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, path: Path) -> _Stamp:
        st = os.stat(path)
        return cls(Path(path), st.st_size, st.st_mtime_ns)

    def unchanged(self) -> bool:
        try:
            st = os.stat(self.path)
        except OSError:
            return False
        return (st.st_size, st.st_mtime_ns) == (self.size, self.mtime_ns)


class RenderMemo:
    """Bounded map from a render's inputs to the files it produced (and what was measured on them)."""

    def __init__(self, capacity: int = 512) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[Hashable, tuple[tuple[_Stamp, ...], Any]] = OrderedDict()
        self._lock = threading.Lock()
        #: Renders served as copies (for tests and curiosity).
        self.hits = 0

    def remember(self, key: Hashable, files: Sequence[Path], info: Any = None) -> None:
        """`files` were just rendered for `key`; `info` (durations, sizes) is returned with later copies."""
        try:
            stamps = tuple(_Stamp.of(path) for path in files)
        except OSError:
            return
        with self._lock:
            self._entries[key] = (stamps, info)
            self._entries.move_to_end(key)
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)

    def recall(self, key: Hashable, targets: Sequence[Path]) -> tuple[bool, Any]:
        """Copy the files remembered for `key` to `targets` (each atomically): (True, info), or (False, None)
        when the render must run (never made here, or its files are gone or changed)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
        if entry is None:
            return False, None
        stamps, info = entry
        try:
            for stamp, target in zip(stamps, targets, strict=True):
                if not stamp.unchanged():
                    raise FileNotFoundError(stamp.path)
                with render_target(target) as tmp:
                    shutil.copyfile(stamp.path, tmp)
        except (OSError, ValueError):
            with self._lock:
                self._entries.pop(key, None)
            return False, None
        with self._lock:
            self.hits += 1
        return True, info


#: One memo per process: servers in one process (tests, a restarted offline session) share their renders.
MEMO = RenderMemo()
