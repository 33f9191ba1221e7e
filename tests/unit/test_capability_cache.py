"""Capabilities remembered per account, never with the key in a file name or a file."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from videogen_studio.api.capabilities import Capabilities
from videogen_studio.pipeline.capability_cache import CapabilityCache, account_key

CAPS = Capabilities(
    "actors", paginated=True, has_me=True, has_history=True, has_file_search=True, generation="C"
)


def test_round_trip_per_account(tmp_path: Path) -> None:
    cache = CapabilityCache(tmp_path)
    one, two = account_key("https://api.x", "vg_key_one"), account_key("https://api.x", "vg_key_two")
    assert one != two and account_key("https://api.x/", "vg_key_one") == one
    assert cache.load(one) is None
    cache.store(one, CAPS)
    assert cache.load(one) == CAPS
    assert cache.load(two) is None
    for path in tmp_path.iterdir():
        assert "vg_key_one" not in path.name and "vg_key_one" not in path.read_text(encoding="utf-8")


def test_damaged_or_foreign_files_are_ignored(tmp_path: Path) -> None:
    cache = CapabilityCache(tmp_path)
    cache.path_for("a").write_text("{nope", encoding="utf-8")
    assert cache.load("a") is None
    cache.path_for("b").write_text('{"v": 1, "capabilities": {"avatar_source": "robots"}}', encoding="utf-8")
    assert cache.load("b") is None
    cache.path_for("c").write_text('{"v": 99, "capabilities": {}}', encoding="utf-8")
    assert cache.load("c") is None


def test_unwritable_cache_is_not_an_error(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "file").write_bytes(b"")
    cache = CapabilityCache(tmp_path / "file")  # a file where the folder should be: nothing can be written
    with caplog.at_level(logging.INFO, logger="videogen_studio.pipeline.capability_cache"):
        cache.store("a", CAPS)  # logged, not raised
    assert "capabilities not cached" in caplog.text
    assert cache.load("a") is None  # nothing half-written is read back: the next start probes again
    assert (tmp_path / "file").read_bytes() == b""
