"""The GUI's log file never holds the API key, neither in a message nor in a traceback (S1)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from videogen_studio.api.redact import MASK, forget_secrets, register_secret
from videogen_studio.app import configure_logging
from videogen_studio.paths import AppPaths

KEY = "vg_live_r3SecretKey0123456789"


@pytest.fixture
def app_log(tmp_path: Path) -> Iterator[Path]:
    paths = AppPaths(
        config=tmp_path / "config",
        data=tmp_path / "data",
        cache=tmp_path / "cache",
        logs=tmp_path / "logs",
        downloads=tmp_path / "downloads",
    )
    root = logging.getLogger()
    level = root.level
    handler = configure_logging(paths)
    try:
        yield paths.logs / "videogen-studio.log"
    finally:
        root.removeHandler(handler)
        handler.close()
        root.setLevel(level)
        forget_secrets()


def test_the_gui_log_file_masks_a_registered_key_in_messages_and_tracebacks(app_log: Path) -> None:
    register_secret(KEY)
    log = logging.getLogger("videogen_studio.test_app_logging")
    log.warning("request failed for key %s", KEY)
    try:
        raise RuntimeError(f"server echoed {KEY}")
    except RuntimeError:
        log.exception("render step failed")
    for handler in logging.getLogger().handlers:
        handler.flush()

    text = app_log.read_text(encoding="utf-8")
    assert "render step failed" in text and "server echoed" in text  # the traceback reached the file
    assert KEY not in text
    assert text.count(MASK) >= 2
