"""Queue panel: the model follows a real RenderQueue itself, bursts insert once, newest first, new jobs and
failed rows stay in sight, notices and approval waits are shown, Save as / Open folder behave."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import stat
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtWidgets import QApplication, QFileDialog
from pytestqt.qtbot import QtBot

from videogen_studio.api.client import VideoGenClient
from videogen_studio.api.retry import RetryPolicy
from videogen_studio.pipeline.jobs import JobState, RenderJob, RenderSpec
from videogen_studio.pipeline.queue import JobEvent, RenderQueue
from videogen_studio.pipeline.store import JobStore
from videogen_studio.sandbox import SandboxServer
from videogen_studio.ui.queue_model import JOB_ID_ROLE, Column, JobTableModel
from videogen_studio.ui.queue_panel import QueuePanel
from videogen_studio.ui.results.file_actions import NORMAL_FILE_MODE

NOW = 1_000_000.0
SCRIPT = "Welcome to the quarterly update. Revenue grew in every region, and so did the team."


def spec(name: str = "Ada", **changes: object) -> RenderSpec:
    base = RenderSpec(presenter_id=f"vg_pres_{name.lower()}", script=SCRIPT, presenter_name=name)
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def jobs_at(count: int, **changes: object) -> list[RenderJob]:
    return [dataclasses.replace(RenderJob(spec()), created_at=NOW + i, **changes) for i in range(count)]  # type: ignore[arg-type]


def make_panel(qtbot: QtBot, width: int = 900, height: int = 400, **kwargs: object) -> QueuePanel:
    panel = QueuePanel(**kwargs)  # type: ignore[arg-type]
    qtbot.addWidget(panel)
    panel.resize(width, height)
    return panel


def row_in_sight(panel: QueuePanel, job_id: str) -> bool:
    rect = panel.table.visualRect(panel.model.index(panel.model.row_of(job_id), 0))
    return rect.isValid() and panel.table.viewport().rect().contains(rect.center())


# -- the model subscribes to a real queue and batches --------------------------------------------------


@pytest.fixture
async def paused_queue(sandbox: SandboxServer, tmp_path: Path) -> AsyncIterator[RenderQueue]:
    """A real RenderQueue on the sandbox, paused so submitted jobs stay queued (nothing is rendered)."""
    async with VideoGenClient(
        sandbox.base_url, sandbox.api_key, retry=RetryPolicy(base_delay_s=0.01)
    ) as client:
        store = JobStore(tmp_path / "jobs.sqlite3")
        queue = RenderQueue(client, store, output_dir=tmp_path / "videos")
        queue.pause()
        await queue.start()
        try:
            yield queue
        finally:
            await queue.aclose()
            store.close()


async def _until(predicate: object, rounds: int = 500) -> None:
    for _ in range(rounds):  # a hang guard, not a timing assertion
        if predicate():  # type: ignore[operator]
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached")


async def test_a_burst_of_200_submits_is_one_insertion_and_no_selection_churn(
    qtbot: QtBot, paused_queue: RenderQueue
) -> None:
    panel = QueuePanel()
    qtbot.addWidget(panel)
    panel.resize(900, 400)
    panel.attach(paused_queue)  # the model subscribes itself; nobody relays events
    inserted: list[tuple[int, int]] = []
    resets: list[None] = []
    selections: list[None] = []
    panel.model.rowsInserted.connect(lambda _p, first, last: inserted.append((first, last)))
    panel.model.modelReset.connect(lambda: resets.append(None))
    panel.table.selectionModel().selectionChanged.connect(lambda *_: selections.append(None))

    jobs = [paused_queue.submit(spec(f"P{i}", title=f"Clip {i:03d}")) for i in range(200)]
    assert panel.model.rowCount() == 0  # applied on the next loop turn, all together
    await _until(lambda: panel.model.rowCount() == 200)

    assert inserted == [(0, 199)]  # one beginInsertRows for the whole burst
    assert resets == []
    assert selections == []  # no per-job selection update
    # Newest first, like the queue itself and like after a restart.
    assert [panel.model.index(r, 0).data(JOB_ID_ROLE) for r in range(200)] == [
        j.job_id for j in paused_queue.jobs()
    ]
    assert panel.model.index(0, Column.TITLE).data() == "Clip 199"

    # Selecting the newest job right after submitting it works (the pending batch is flushed first).
    newest = paused_queue.submit(spec("Last", title="The newest"))
    assert panel.select_job(newest.job_id)
    assert panel.selected_job() == newest
    assert panel.model.row_of(newest.job_id) == 0

    # Changes arrive by themselves, too.
    cancelled = await paused_queue.cancel(jobs[0].job_id)
    await _until(lambda: panel.model.job_at(panel.model.row_of(jobs[0].job_id)) == cancelled)

    panel.detach()
    paused_queue.submit(spec("After"))
    await asyncio.sleep(0.05)
    assert panel.model.rowCount() == 201  # no longer following


async def test_restart_shows_the_same_order(qtbot: QtBot, sandbox: SandboxServer, tmp_path: Path) -> None:
    async with VideoGenClient(sandbox.base_url, sandbox.api_key) as client:
        for attempt in range(2):
            store = JobStore(tmp_path / "jobs.sqlite3")
            queue = RenderQueue(client, store, output_dir=tmp_path / "videos")
            queue.pause()
            await queue.start()
            panel = QueuePanel()
            qtbot.addWidget(panel)
            panel.attach(queue)
            if attempt == 0:
                for i in range(3):
                    queue.submit(spec(title=f"Take {i}"))
                await _until(lambda panel=panel: panel.model.rowCount() == 3)
            titles = [panel.model.index(r, Column.TITLE).data() for r in range(3)]
            assert titles == ["Take 2", "Take 1", "Take 0"], attempt
            panel.detach()
            await queue.aclose()
            store.close()


def test_job_finished_signal_only_for_a_job_that_finished_while_shown(qtbot: QtBot, tmp_path: Path) -> None:
    model = JobTableModel()
    running = RenderJob(spec()).advance(JobState.DOWNLOADING)
    already_done = RenderJob(spec("Ben")).advance(JobState.DOWNLOADING).advance(JobState.DONE)
    model.set_jobs([running, already_done])
    finished: list[RenderJob] = []
    model.jobFinished.connect(finished.append)
    model.apply(JobEvent("changed", already_done))
    assert finished == []
    done = running.advance(JobState.DONE, output_path=str(tmp_path / "a.mp4"))
    model.apply(JobEvent("changed", done))
    assert finished == [done]


# -- in sight --------------------------------------------------------------------------------------------


def test_a_new_job_is_scrolled_into_view(qtbot: QtBot) -> None:
    panel = make_panel(qtbot, height=300)
    panel.set_jobs(jobs_at(40))
    panel.show()
    qtbot.waitExposed(panel)
    bar = panel.table.verticalScrollBar()
    bar.setValue(bar.maximum())  # the user looks at old renders
    new = dataclasses.replace(RenderJob(spec(title="Brand new")), created_at=NOW + 100)
    panel.model.post(JobEvent("added", new))
    qtbot.waitUntil(lambda: panel.model.row_of(new.job_id) == 0)
    assert row_in_sight(panel, new.job_id)

    # select_job scrolls as well (the controller selects the job it just submitted)
    oldest = panel.model.job_at(40)
    assert oldest is not None and panel.select_job(oldest.job_id)
    assert row_in_sight(panel, oldest.job_id)


@pytest.mark.parametrize(("width", "height", "beside"), [(1300, 300, True), (700, 420, False)])
def test_failure_details_keep_the_list_and_the_failed_row_in_sight(
    qtbot: QtBot, width: int, height: int, beside: bool
) -> None:
    panel = make_panel(qtbot, width=width, height=height)
    jobs = jobs_at(30)
    failed = (
        jobs[0]
        .advance(JobState.SUBMITTING_SPEECH)
        .advance(
            JobState.FAILED,
            error_message="A very long explanation. " * 30,
            error_kind="insufficient_credits",
            error_hint="stored hint",
        )
    )
    panel.set_jobs([failed, *jobs[1:]])  # the oldest: the bottom row
    panel.show()
    qtbot.waitExposed(panel)
    rows_before = panel.table.viewport().height() // panel.table.rowHeight(0)

    assert panel.select_job(failed.job_id)
    qtbot.waitUntil(lambda: panel.detail_area.isVisible())
    QApplication.processEvents()
    rows_after = panel.table.viewport().height() // panel.table.rowHeight(0)
    details, table = panel.detail_area.geometry(), panel.stack.geometry()
    if beside:  # a wide bottom panel: the details take a column, the list keeps every row
        assert details.left() > table.right()
        assert rows_after == rows_before, (rows_before, rows_after)
    else:
        assert details.top() > table.bottom()
        assert rows_after >= max(4, rows_before - 3), (rows_before, rows_after)
        assert panel.detail_area.height() <= panel.height() // 3
    qtbot.waitUntil(lambda: row_in_sight(panel, failed.job_id))
    # The hint comes from the GUI's wording for the kind, not the stored text.
    assert "Add credits" in panel.error_hint_label.text()
    assert "stored hint" not in panel.error_hint_label.text()


# -- what happened ---------------------------------------------------------------------------------------


def test_cancel_too_late_shows_the_notice_never_a_plain_cancelled(qtbot: QtBot) -> None:
    notice = "already finished and charged — download it"
    late = RenderJob(spec()).advance(JobState.AVATAR_RUNNING).advance(JobState.CANCELLED, notice=notice)
    downloaded = (
        RenderJob(spec("Ben"))
        .advance(JobState.DOWNLOADING)
        .advance(JobState.DONE, notice="already finished and charged — downloaded")
    )
    panel = make_panel(qtbot)
    panel.set_jobs([late, downloaded])
    panel.show()
    state = panel.model.index(panel.model.row_of(late.job_id), Column.STATE).data()
    assert state == "Already finished and charged — download it"
    assert "Cancelled" not in state
    assert panel.model.index(panel.model.row_of(downloaded.job_id), Column.STATE).data() == (
        "Already finished and charged — downloaded"
    )
    panel.select_job(late.job_id)
    assert panel.detail_area.isVisible()
    assert panel.error_title_label.text() == "The service had already finished this render"
    assert "Retry" in panel.error_hint_label.text() and panel.retry_action.isEnabled()

    # The usual path: the cancel came too late, so the job goes on downloading and says why.
    downloading = (
        RenderJob(spec("Cy"))
        .advance(JobState.AVATAR_RUNNING)
        .update(notice="already finished and charged — downloading it")
        .advance(JobState.DOWNLOADING)
    )
    panel.model.apply(JobEvent("added", downloading))
    panel.select_job(downloading.job_id)
    assert panel.model.index(0, Column.STATE).data() == "Already finished and charged — downloading it"
    assert not panel.error_hint_label.isVisibleTo(panel)


def test_awaiting_approval_is_shown(qtbot: QtBot) -> None:
    waiting = RenderJob(spec()).advance(JobState.AVATAR_RUNNING, awaiting_approval=True)
    panel = make_panel(qtbot)
    panel.set_jobs([waiting])
    panel.show()
    assert panel.model.index(0, Column.STATE).data() == "Waiting for approval"
    panel.select_job(waiting.job_id)
    assert panel.error_title_label.text() == "Waiting for approval"
    assert panel.cancel_action.isEnabled()


def test_same_script_rows_differ_by_title_and_time(qtbot: QtBot) -> None:
    a = dataclasses.replace(RenderJob(spec()), created_at=NOW)
    b = dataclasses.replace(RenderJob(spec()), created_at=NOW + 61)
    c = dataclasses.replace(RenderJob(spec(title="  Board   version ")), created_at=NOW + 62)
    model = JobTableModel(now=lambda: NOW + 100)
    model.set_jobs([a, b, c])
    titles = [model.index(r, Column.TITLE).data() for r in range(3)]
    created = [model.index(r, Column.CREATED).data() for r in range(3)]
    assert titles[0] == "Board version"
    assert titles[1] == titles[2] == "Welcome to the quarterly update. Revenue grew in every regi…"
    assert created[1] != created[2]


# -- files -----------------------------------------------------------------------------------------------


def _done(tmp_path: Path) -> RenderJob:
    video = tmp_path / "videos" / "clip.mp4"
    video.parent.mkdir(parents=True, exist_ok=True)
    video.write_bytes(b"\x00\x00\x00\x18ftypmp42 not really a video")
    video.chmod(0o600)
    return RenderJob(spec()).advance(JobState.DOWNLOADING).advance(JobState.DONE, output_path=str(video))


def test_save_as_starts_in_the_output_folder_and_writes_a_normal_file(qtbot: QtBot, tmp_path: Path) -> None:
    done = _done(tmp_path)
    panel = make_panel(qtbot)
    panel.set_jobs([done])
    panel.show()
    panel.select_job(done.job_id)
    panel.save_as_action.trigger()
    dialog = panel.findChild(QFileDialog, "saveVideoDialog")
    assert dialog is not None
    assert Path(dialog.directory().absolutePath()) == (tmp_path / "videos").resolve()
    target = tmp_path / "copy.mp4"
    dialog.selectFile(str(target))
    dialog.accept()
    qtbot.waitUntil(lambda: panel.status_label.text() == f"Saved to {target}", timeout=10_000)
    mode = stat.S_IMODE(os.stat(target).st_mode)
    assert mode == NORMAL_FILE_MODE and mode & 0o044  # readable by others like any file the user makes


def test_open_folder_without_a_file_manager_says_so_and_copies_the_path(qtbot: QtBot, tmp_path: Path) -> None:
    done = _done(tmp_path)
    asked: list[QUrl] = []

    def no_file_manager(url: QUrl) -> bool:
        asked.append(url)
        return False

    panel = make_panel(qtbot, open_url=no_file_manager)
    panel.set_jobs([done])
    panel.show()
    panel.select_job(done.job_id)
    panel.open_folder_action.trigger()
    folder = str(tmp_path / "videos")
    assert asked == [QUrl.fromLocalFile(folder)]
    assert panel.status_label.isVisible()
    assert "No file manager" in panel.status_label.text() and folder in panel.status_label.text()
    assert QApplication.clipboard().text() == folder
