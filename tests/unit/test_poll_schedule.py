"""The render queue's default poll schedule, and the `VIDEOGEN_POLL_INTERVAL_S` knob that scales it.

The test suite sets the knob (tests/conftest.py) so renders against the fast sandbox do not wait 1.5 s per
step; these tests pin what the product does without it.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from videogen_studio.api.client import VideoGenClient
from videogen_studio.pipeline.queue import RenderQueue
from videogen_studio.pipeline.store import JobStore
from videogen_studio.session import POLL_INTERVAL_ENV, PollOptions, poll_schedule


async def _queue(tmp_path: Path, options: PollOptions | None = None) -> RenderQueue:
    client = VideoGenClient("http://127.0.0.1:9", "vg_key_unit_test_0000000000")
    store = JobStore(tmp_path / "jobs.sqlite3")
    try:
        return RenderQueue(client, store, output_dir=tmp_path / "out", **(options or PollOptions()))
    finally:
        store.close()
        await client.aclose()


async def test_default_schedule_is_one_and_a_half_seconds_up_to_fifteen_and_approval_every_thirty(
    tmp_path: Path,
) -> None:
    assert poll_schedule({}) == {}
    queue = await _queue(tmp_path)
    pacer = queue.pacer
    assert (pacer.interval, pacer.max_interval, pacer.approval_interval) == (1.5, 15.0, 30.0)
    assert pacer.factor == 1.5


async def test_the_knob_scales_first_poll_ceiling_and_approval(tmp_path: Path) -> None:
    options = poll_schedule({POLL_INTERVAL_ENV: " 0.02 "})
    assert options == {"poll_interval": 0.02, "max_poll_interval": pytest.approx(0.2)}
    pacer = (await _queue(tmp_path, options)).pacer
    assert pacer.interval == 0.02
    assert pacer.max_interval == pytest.approx(0.2)
    assert pacer.approval_interval == pytest.approx(0.4)


@pytest.mark.parametrize("raw", ["", "  ", "fast", "0", "-1", "nan", "inf"])
def test_not_a_positive_number_keeps_the_default(raw: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="videogen_studio.session"):
        assert poll_schedule({POLL_INTERVAL_ENV: raw}) == {}
    assert bool(caplog.records) == bool(raw.strip())


def test_the_environment_is_read_when_no_mapping_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(POLL_INTERVAL_ENV, "0.5")
    assert poll_schedule() == {"poll_interval": 0.5, "max_poll_interval": 5.0}
    monkeypatch.delenv(POLL_INTERVAL_ENV)
    assert poll_schedule() == {}
