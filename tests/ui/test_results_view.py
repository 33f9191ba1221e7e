"""ResultView: a finished render opens big by itself, variations side by side (each playable, saveable,
pickable), detach into its own window and back, full screen, and honest messages for missing files."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import shutil
import stat
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from types import SimpleNamespace

import loopback_http
import pytest
from PySide6.QtCore import QUrl
from PySide6.QtWidgets import QApplication, QFileDialog, QWidget
from pytestqt.qtbot import QtBot

from videogen_studio.api.client import VideoGenClient
from videogen_studio.api.models import AvatarPresenter
from videogen_studio.api.retry import RetryPolicy
from videogen_studio.pipeline.jobs import JobState, RenderJob, RenderSpec
from videogen_studio.pipeline.queue import RenderQueue
from videogen_studio.pipeline.store import JobStore
from videogen_studio.sandbox import SandboxServer
from videogen_studio.ui.control.notifications import Notifier
from videogen_studio.ui.queue_panel import QueuePanel
from videogen_studio.ui.results.file_actions import NORMAL_FILE_MODE
from videogen_studio.ui.results.frames import FrameGrabber, grab_still
from videogen_studio.ui.results.view import ResultView, result_paths


async def _until(predicate: Callable[[], bool], rounds: int = 1500) -> None:
    for _ in range(rounds):  # a hang guard, not a timing assertion
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached")


@pytest.fixture
def sandbox_clip(tmp_path: Path, sandbox_presenters: list[AvatarPresenter]) -> Path:
    """A real MP4 from the sandbox's storage origin (a presenter's preview clip)."""
    response = loopback_http.get(sandbox_presenters[0].preview_video_url, timeout=30)
    response.raise_for_status()
    path = tmp_path / "videos" / "clip.mp4"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(response.content)
    return path


def done_job(paths: list[Path], **spec_changes: object) -> RenderJob:
    spec = RenderSpec(presenter_id="vg_pres_ada", script="Three takes of one line.", presenter_name="Ada")
    spec = dataclasses.replace(spec, num_results=len(paths), **spec_changes)  # type: ignore[arg-type]
    return (
        RenderJob(spec)
        .advance(JobState.DOWNLOADING)
        .advance(
            JobState.DONE,
            output_path=str(paths[0]),
            output_paths=tuple(str(p) for p in paths),
            duration_seconds=4.0,
        )
    )


@pytest.fixture
def view(qtbot: QtBot) -> ResultView:
    widget = ResultView()
    qtbot.addWidget(widget)
    widget.resize(1000, 600)
    widget.show()
    qtbot.waitExposed(widget)
    yield widget
    widget.clear()
    QApplication.processEvents()


@pytest.fixture
async def live_queue(sandbox: SandboxServer, tmp_path: Path) -> AsyncIterator[RenderQueue]:
    async with VideoGenClient(
        sandbox.base_url, sandbox.api_key, retry=RetryPolicy(base_delay_s=0.01)
    ) as client:
        store = JobStore(tmp_path / "jobs.sqlite3")
        queue = RenderQueue(
            client, store, output_dir=tmp_path / "videos", poll_interval=0.02, max_poll_interval=0.1
        )
        await queue.start()
        try:
            yield queue
        finally:
            await queue.aclose()
            store.close()


async def test_a_finished_render_opens_by_itself_in_a_large_player(
    qtbot: QtBot, live_queue: RenderQueue
) -> None:
    panel = QueuePanel()
    view = ResultView()
    for widget in (panel, view):
        qtbot.addWidget(widget)
    view.resize(1000, 600)
    view.show()
    panel.attach(live_queue)
    panel.jobFinished.connect(view.show_job)  # what the main window wires
    shown: list[None] = []
    view.shown.connect(lambda: shown.append(None))
    loaded: list[None] = []
    view.player.loaded.connect(lambda: loaded.append(None))
    try:
        presenter = (await live_queue.client.list_presenters())[0]
        voices = await live_queue.client.list_voices()
        voice = next(v for v in voices if v.supports_direct_tool_execution)
        job = live_queue.submit(
            RenderSpec(
                presenter_id=presenter.avatar_presenter_id,
                script="The result view opens on its own.",
                voice_id=voice.voice_id,
                title="Launch clip",
            )
        )
        await _until(lambda: shown != [])
        final = live_queue.get(job.job_id)
        assert final is not None and final.state == JobState.DONE
        assert view.pages.currentWidget() is view.stage
        assert view.title_label.text() == "Launch clip"
        assert view.current_source() == final.output_path
        await _until(lambda: loaded != [])  # the sandbox's MP4 really decodes
        assert view.player.duration() > 0
        # Large: the video takes most of the page, not a 130 x 110 corner.
        assert view.player.width() >= 0.9 * view.width() - 20
        assert view.player.height() >= 0.7 * view.height()
        assert not view.strip_box.isVisible()  # one result: no strip
    finally:
        view.clear()
        panel.detach()
        await asyncio.sleep(0.05)


def test_variations_side_by_side_each_playable_saveable_and_pickable(
    qtbot: QtBot, view: ResultView, sandbox_clip: Path, tmp_path: Path
) -> None:
    second, third = sandbox_clip.with_name("clip-2.mp4"), sandbox_clip.with_name("clip-3.mp4")
    shutil.copyfile(sandbox_clip, second)
    shutil.copyfile(sandbox_clip, third)
    job = done_job([sandbox_clip, second, third])
    stills: list[tuple[str, bool]] = []
    view._grabber.stillReady.connect(lambda path, image: stills.append((path, image.isNull())))

    view.show_job(job)
    assert view.strip_box.isVisible()
    labels = [view.strip.item(r).text() for r in range(view.strip.count())]
    assert labels == ["Result 1", "Result 2", "Result 3"]
    assert "3 results" in view.subtitle_label.text()
    assert view.current_source() == str(sandbox_clip)
    qtbot.waitUntil(lambda: len(stills) == 3, timeout=20_000)
    assert all(not null for _path, null in stills)  # a real frame from each clip

    view.strip.setCurrentRow(2)
    assert view.current_source() == str(third)
    qtbot.waitUntil(lambda: view.player.source() == QUrl.fromLocalFile(str(third.resolve())))

    with qtbot.waitSignal(view.bestPicked) as picked:
        view.best_button.click()
    assert picked.args == [job.job_id, 2, str(third)]
    assert view.strip.item(2).text().startswith("★")

    view.save_button.click()
    dialog = view.findChild(QFileDialog, "saveVideoDialog")
    assert dialog is not None
    assert Path(dialog.directory().absolutePath()) == sandbox_clip.parent.resolve()
    target = tmp_path / "best.mp4"
    dialog.selectFile(str(target))
    dialog.accept()
    qtbot.waitUntil(lambda: view.status_label.text() == f"Saved to {target}", timeout=10_000)
    assert target.read_bytes() == third.read_bytes()
    assert stat.S_IMODE(os.stat(target).st_mode) == NORMAL_FILE_MODE


def test_detach_into_its_own_window_and_back(qtbot: QtBot, view: ResultView, sandbox_clip: Path) -> None:
    view.show_job(done_job([sandbox_clip]))
    with qtbot.waitSignal(view.detachedChanged) as detached:
        view.detach_button.click()
    assert detached.args == [True]
    window = view.stage.window()
    assert window is not view.window() and window.isVisible()
    assert view.stage.isVisible() and view.player.isVisible()  # the player is really in the window
    assert view.stage.width() > 600
    assert view.pages.currentWidget() is view.away
    assert view.player.has_clip()

    with qtbot.waitSignal(view.detachedChanged) as back:
        window.close()  # closing the window brings the player home
    assert back.args == [False]
    assert view.stage.window() is view.window()
    assert view.pages.currentWidget() is view.stage
    assert view.stage.isVisible() and view.player.isVisible()
    assert not view.detach_button.isChecked()


def test_missing_file_and_no_file_manager_are_said(qtbot: QtBot, sandbox_clip: Path, tmp_path: Path) -> None:
    opened: list[QUrl] = []

    def nothing_registered(url: QUrl) -> bool:
        opened.append(url)
        return False

    view = ResultView(open_url=nothing_registered)
    qtbot.addWidget(view)
    view.show()
    view.show_job(done_job([sandbox_clip]))
    view.folder_button.click()
    assert opened == [QUrl.fromLocalFile(str(sandbox_clip.parent))]
    assert "No file manager" in view.status_label.text()
    assert QApplication.clipboard().text() == str(sandbox_clip.parent)

    gone = tmp_path / "gone.mp4"
    view.show_job(done_job([gone]))
    assert view.status_label.isVisible() and "missing" in view.status_label.text()
    assert not view.player.has_clip()
    view.clear()
    assert view.pages.currentWidget() is view.placeholder


class _Window(QWidget):
    """What the Notifier needs of the main window: a status bar and a banner."""

    def __init__(self) -> None:
        super().__init__()
        self.banner = self
        self.messages: list[str] = []

    def show_status(self, text: str, _ms: int = 0) -> None:
        self.messages.append(text)

    def show_message(self, text: str, *_args: object) -> None:
        self.messages.append(text)


def test_renders_finishing_in_one_turn_open_once_the_newest(qtbot: QtBot, sandbox_clip: Path) -> None:
    window = _Window()
    qtbot.addWidget(window)
    notifier = Notifier(window, open_account=lambda: None)  # type: ignore[arg-type]
    opened: list[RenderJob] = []
    notifier.renderFinished.connect(opened.append)
    jobs = [done_job([sandbox_clip], title=f"Take {n}") for n in range(3)]
    for job in jobs:  # three "finished" events delivered in one event-loop turn
        notifier._on_job_event(SimpleNamespace(kind="changed", job=job))
    assert opened == []  # not one Result page per render...
    qtbot.waitUntil(lambda: opened != [])
    QApplication.processEvents()
    assert opened == [jobs[-1]]  # ...but one, with the newest
    assert sum("Render finished" in m for m in window.messages) == 3  # each one is still reported


def test_result_paths_and_stills(sandbox_clip: Path, tmp_path: Path, qtbot: QtBot) -> None:
    job = done_job([sandbox_clip])
    assert result_paths(dataclasses.replace(job, output_paths=())) == [str(sandbox_clip)]
    image = grab_still(sandbox_clip, 160)
    assert not image.isNull() and image.width() == 160
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video")
    assert grab_still(broken, 160).isNull()
    grabber = FrameGrabber()
    with qtbot.waitSignal(grabber.stillReady, timeout=20_000) as ready:
        grabber.request(sandbox_clip)
    assert ready.args[0] == str(sandbox_clip) and not ready.args[1].isNull()
    assert grabber.still(sandbox_clip) is not None
