"""Render presses reach the queue once each, and a burst of them in one store write (M9, issue 11 item 3).

The whole app against the sandbox over loopback (offscreen Qt, qasync loop).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import pytest
from PySide6.QtWidgets import QMessageBox

from videogen_studio.app import Studio, build_studio
from videogen_studio.paths import app_paths
from videogen_studio.sandbox import SandboxConfig

SCRIPT = "Hello! A short clip to check that one press buys one render."


async def _until(predicate: Any, timeout: float = 60.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.02)


@pytest.fixture
async def studio(qapp: object) -> AsyncIterator[Studio]:
    studio = build_studio(app_paths(), sandbox_config=SandboxConfig.fast())
    ready = asyncio.Event()
    studio.controller.ready.connect(ready.set)
    studio.window.show()
    await studio.controller.start()
    assert studio.controller.session is not None, studio.window.banner.text()
    await asyncio.wait_for(ready.wait(), 60)
    yield studio
    finished = asyncio.Event()
    studio.controller.finished.connect(finished.set)
    studio.window.close()
    # Quitting during a render asks first: answer "Quit" (the renders resume next time) instead of waiting
    # for them to end.
    box = studio.window.findChild(QMessageBox, "quitWhileRendering")
    if box is not None and box.isVisible():
        box.button(QMessageBox.StandardButton.Yes).click()
    await asyncio.wait_for(finished.wait(), 30)


def _spec(studio: Studio, index: int = 0) -> Any:
    w, controller = studio.window, studio.controller
    pid = list(controller.presenters)[index]
    w.gallery.select_presenter(pid)
    w.editor.set_script(SCRIPT)
    return w.editor.build_render_spec()


class SubmitSpy:
    """Records each `submit_many` call of the real queue (and lets it run)."""

    def __init__(self, queue: Any) -> None:
        self.calls: list[int] = []
        self._real = queue.submit_many
        queue.submit_many = self

    def __call__(self, specs: Any) -> Any:
        self.calls.append(len(specs))
        return self._real(specs)


async def test_pressing_render_twice_while_preflight_runs_queues_one_paid_job(studio: Studio) -> None:
    renders, queue = studio.controller.renders, studio.controller.session.queue  # type: ignore[union-attr]
    spec = _spec(studio)
    first, second = await asyncio.gather(renders.submit_checked(spec), renders.submit_checked(spec))
    assert [first is None, second is None].count(True) == 1  # the second press was ignored
    assert [job.job_id for job in queue.jobs()] == [first or second]
    # Once the first is queued, pressing Render again is a new render the user asks for.
    again = await renders.submit_checked(spec)
    assert again is not None and len(queue.jobs()) == 2


async def test_a_burst_of_renders_is_queued_in_one_write_and_selects_the_last(studio: Studio) -> None:
    renders, queue = studio.controller.renders, studio.controller.session.queue  # type: ignore[union-attr]
    spy = SubmitSpy(queue)
    template = _spec(studio)
    pids = list(studio.controller.presenters)[:5]
    specs = [
        dataclasses.replace(template, presenter_id=pid, script=f"{SCRIPT} {i}") for i, pid in enumerate(pids)
    ]
    submitted: list[str] = []
    renders.submitted.connect(submitted.append)

    ids = await asyncio.gather(*(renders.submit_checked(spec) for spec in specs))

    assert None not in ids and len(set(ids)) == 5
    assert spy.calls == [5]  # one store transaction for the whole burst
    assert submitted == ids
    panel = studio.window.queue_panel
    assert panel is not None
    selected = panel.selected_job()
    assert selected is not None and selected.job_id == ids[-1]


async def test_a_render_into_a_file_instead_of_a_folder_is_refused_before_paying(
    studio: Studio, tmp_path
) -> None:
    renders, queue = studio.controller.renders, studio.controller.session.queue  # type: ignore[union-attr]
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    spec = dataclasses.replace(_spec(studio), output_dir=str(blocker))
    results = await asyncio.gather(
        renders.submit_checked(spec),
        renders.submit_checked(dataclasses.replace(spec, script=SCRIPT + " two")),
    )
    assert results == [None, None]
    assert queue.jobs() == []
    assert "Not rendered" in studio.window.banner.text()
