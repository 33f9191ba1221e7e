"""A failing thumbnail never writes its signed URL's signature to the log (S3)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest

from videogen_studio.sandbox import SandboxServer
from videogen_studio.ui.gallery.thumbnails import ThumbnailCache

SIGNATURE = "sigR3abcdef0123456789"


async def test_failed_thumbnail_logs_the_address_without_its_signature(
    tmp_path: Path, sandbox: SandboxServer, counting_fetch: Any, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"{sandbox.storage_url}/missing-thumb.png?expires=9999999999&signature={SIGNATURE}"
    cache = ThumbnailCache(counting_fetch, tmp_path, retry_delay=0.01)
    caplog.set_level(logging.DEBUG, logger="videogen_studio.ui.gallery")
    try:
        assert await cache.load(url) is None
        while not cache.has_failed(url):  # the one retry; pytest-timeout bounds this
            await asyncio.sleep(0.01)
    finally:
        cache.close()
    assert counting_fetch.calls == [url, url]
    assert "missing-thumb.png" in caplog.text  # the address is still logged
    assert SIGNATURE not in caplog.text
