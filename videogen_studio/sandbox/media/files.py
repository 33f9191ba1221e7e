"""Where renders are written: a temporary path next to the target, renamed into place on success.

Encoders (PyAV) need a path to write to rather than bytes, so `fileio.atomic_write` (which takes bytes) does
not fit; this is the path-based twin used by the speech and video encoders.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def render_target(out_path: Path) -> Iterator[Path]:
    """Yield a temp path next to out_path; move it into place only if the block succeeds."""
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    # Same directory so os.replace is a rename, never a cross-device copy; the dot hides it from
    # anything listing the folder meanwhile.
    tmp = out_path.with_name(f".{out_path.name}.{uuid.uuid4().hex[:12]}.tmp")
    try:
        yield tmp
        os.replace(tmp, out_path)
    finally:
        tmp.unlink(missing_ok=True)
