"""JobTableModel and QueuePanel: rows from queue events, elapsed/ETA, actions per state, error details.

Most tests drive the view with RenderJob values and real JobEvents (the view is what is under test); the last
one wires the panel to a real RenderQueue rendering against the loopback sandbox.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, QPoint, Qt, QUrl
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import QApplication, QFileDialog, QMenu, QMessageBox
from pytestqt.qtbot import QtBot

from videogen_studio.api.client import VideoGenClient
from videogen_studio.api.retry import RetryPolicy
from videogen_studio.pipeline.jobs import JobState, RenderJob, RenderSpec
from videogen_studio.pipeline.queue import JobEvent, RenderQueue
from videogen_studio.pipeline.store import JobStore
from videogen_studio.sandbox import SandboxServer
from videogen_studio.ui.queue_model import JOB_ID_ROLE, PROGRESS_ROLE, Column, JobTableModel
from videogen_studio.ui.queue_panel import QueuePanel, available_actions

NOW = 1_000_000.0
SCRIPT = "Welcome to the quarterly update. Revenue grew in every region, and so did the team."


def spec(name: str = "Ada", script: str = SCRIPT) -> RenderSpec:
    return RenderSpec(
        presenter_id=f"vg_pres_{name.lower()}",
        script=script,
        presenter_name=name,
        presenter_thumbnail_url=f"thumb://{name}",
    )


def job_in(state: JobState, **changes: object) -> RenderJob:
    """A job in `state` reached through allowed transitions, then adjusted with `changes`."""
    job = RenderJob(spec())
    path = {
        JobState.QUEUED: [],
        JobState.SUBMITTING_SPEECH: [JobState.SUBMITTING_SPEECH],
        JobState.SPEECH_RUNNING: [JobState.SUBMITTING_SPEECH, JobState.SPEECH_RUNNING],
        JobState.AVATAR_RUNNING: [JobState.SUBMITTING_AVATAR, JobState.AVATAR_RUNNING],
        JobState.DOWNLOADING: [JobState.DOWNLOADING],
        JobState.DONE: [JobState.DOWNLOADING, JobState.DONE],
        JobState.FAILED: [JobState.SUBMITTING_SPEECH, JobState.FAILED],
        JobState.CANCELLED: [JobState.CANCELLED],
    }[state]
    for step in path:
        job = job.advance(step)
    return dataclasses.replace(job, **changes)  # type: ignore[arg-type]


def failed_job(**changes: object) -> RenderJob:
    return job_in(
        JobState.FAILED,
        error_message="Not enough credits",
        error_hint="Add credits or upgrade your plan at app.videogen.io, then press Retry.",
        **changes,
    )


def done_job(tmp_path: Path) -> RenderJob:
    video = tmp_path / "out" / "clip.mp4"
    video.parent.mkdir(parents=True, exist_ok=True)
    video.write_bytes(b"\x00\x00\x00\x18ftypmp42 fake video body")
    return job_in(JobState.DONE, output_path=str(video))


def text(model: JobTableModel, row: int, column: Column) -> str:
    return model.index(row, column).data()


def make_panel(qtbot: QtBot, jobs: list[RenderJob] = (), **kwargs: object) -> QueuePanel:  # type: ignore[assignment]
    panel = QueuePanel(**kwargs)  # type: ignore[arg-type]
    qtbot.addWidget(panel)
    panel.resize(900, 400)
    for job in jobs:
        panel.apply(JobEvent("added", job))
    return panel


# -- model ---------------------------------------------------------------------------------------------


def test_apply_added_changed_removed_updates_rows_in_place(qtbot: QtBot) -> None:
    model = JobTableModel()
    resets: list[None] = []
    changed: list[tuple[int, int, int, int]] = []
    model.modelReset.connect(lambda: resets.append(None))
    model.dataChanged.connect(
        lambda tl, br, _roles=(): changed.append((tl.row(), tl.column(), br.row(), br.column()))
    )
    a, b, c = RenderJob(spec("Ada")), RenderJob(spec("Ben")), RenderJob(spec("Cy"))

    with qtbot.waitSignal(model.rowsInserted) as inserted:
        model.apply(JobEvent("added", a))
    assert inserted.args[1:] == [0, 0]
    model.apply(JobEvent("added", b))
    model.apply(JobEvent("added", c))
    assert model.rowCount() == 3
    # Newest first: each new job goes on top.
    assert [model.index(r, 0).data(JOB_ID_ROLE) for r in range(3)] == [c.job_id, b.job_id, a.job_id]

    b2 = b.advance(JobState.SUBMITTING_SPEECH).advance(JobState.SPEECH_RUNNING, stage_progress=0.5)
    model.apply(JobEvent("changed", b2))
    assert changed == [(1, 0, 1, len(Column) - 1)]  # exactly one row repainted
    assert text(model, 1, Column.STATE) == "Synthesising speech"
    assert model.job_at(1) == b2

    with qtbot.waitSignal(model.rowsRemoved) as removed:
        model.apply(JobEvent("removed", c))
    assert removed.args[1:] == [0, 0]
    assert model.rowCount() == 2
    assert model.row_of(b.job_id) == 0
    assert model.row_of(a.job_id) == 1
    assert model.row_of(c.job_id) == -1
    assert model.job_at(5) is None
    assert resets == []  # never a reset for a single event

    model.apply(JobEvent("removed", c))  # removing twice is harmless
    model.apply(JobEvent("changed", c))  # a change for an unknown job adds it, in its place by date
    assert model.rowCount() == 3
    assert model.row_of(c.job_id) == 0


def test_set_jobs_resets_and_indexes(qtbot: QtBot) -> None:
    model = JobTableModel()
    jobs = [RenderJob(spec(n), created_at=NOW + i) for i, n in enumerate(("Ada", "Ben"))]
    with qtbot.waitSignal(model.modelReset):
        model.set_jobs(jobs)  # oldest first in, newest first out: one order everywhere
    assert model.rowCount() == 2
    assert model.columnCount() == 7
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in Column] == [
        "Presenter",
        "Title",
        "Created",
        "State",
        "Progress",
        "Elapsed",
        "ETA",
    ]
    assert model.row_of(jobs[1].job_id) == 0


def test_columns_show_presenter_script_state_and_progress(qapp: QApplication) -> None:
    pixmap = QPixmap(64, 64)
    pixmap.fill(QColor("red"))
    asked: list[str] = []

    def thumbnail(url: str) -> QPixmap | None:
        asked.append(url)
        return pixmap if url == "thumb://Ada" else None

    model = JobTableModel(thumbnail=thumbnail)
    long_script = "word " * 40
    running = job_in(JobState.AVATAR_RUNNING, stage_progress=0.5, created_at=NOW + 3)
    failed = failed_job(created_at=NOW + 2)
    cancelled = job_in(JobState.CANCELLED, created_at=NOW + 1)
    model.set_jobs([running, failed, cancelled, RenderJob(spec("Ben", long_script), created_at=NOW)])

    assert text(model, 0, Column.PRESENTER) == "Ada"
    assert isinstance(model.index(0, Column.PRESENTER).data(Qt.ItemDataRole.DecorationRole), QIcon)
    assert model.index(3, Column.PRESENTER).data(Qt.ItemDataRole.DecorationRole) is None  # not loaded yet
    assert "thumb://Ben" in asked
    assert text(model, 0, Column.SCRIPT) == "Welcome to the quarterly update. Revenue grew in every regi…"
    assert text(model, 3, Column.SCRIPT).endswith("…")
    assert len(text(model, 3, Column.SCRIPT)) <= 60

    assert text(model, 0, Column.STATE) == "Rendering video"
    assert model.index(0, Column.PROGRESS).data(PROGRESS_ROLE) == 56  # 27 % + half of the avatar stage
    assert text(model, 0, Column.PROGRESS) == "56 %"

    assert text(model, 1, Column.STATE) == "Failed — Not enough credits"
    assert "Add credits" in model.index(1, Column.STATE).data(Qt.ItemDataRole.ToolTipRole)
    assert text(model, 0, Column.CREATED) != ""
    assert model.index(1, Column.PROGRESS).data(PROGRESS_ROLE) is None
    assert text(model, 1, Column.PROGRESS) == ""
    assert text(model, 2, Column.STATE) == "Cancelled"
    assert text(model, 3, Column.STATE) == "Queued"
    assert model.index(3, Column.PROGRESS).data(PROGRESS_ROLE) == 0

    with_thumbnail_later: list[int] = []
    model.dataChanged.connect(lambda tl, _br, _roles=(): with_thumbnail_later.append(tl.row()))
    model.thumbnail_ready("thumb://Ben")
    assert with_thumbnail_later == [3]


def test_elapsed_and_eta_text() -> None:
    clock = [NOW]
    model = JobTableModel(now=lambda: clock[0])
    halfway = job_in(
        JobState.AVATAR_RUNNING, started_at=NOW - 40, stage_progress=(0.5 - 0.27) / 0.58, created_at=NOW - 1
    )
    just_started = job_in(
        JobState.SPEECH_RUNNING, started_at=NOW - 40, stage_progress=0.0, created_at=NOW - 2
    )
    too_soon = job_in(JobState.AVATAR_RUNNING, started_at=NOW - 1, stage_progress=0.5, created_at=NOW - 3)
    queued = RenderJob(spec(), created_at=NOW - 4)
    done = job_in(JobState.DONE, started_at=NOW - 3725, finished_at=NOW - 5, created_at=NOW - 5)
    model.set_jobs([halfway, just_started, too_soon, queued, done])

    # 50 % after 40 s: 40 s to go.
    assert text(model, 0, Column.ELAPSED) == "0:40"
    assert text(model, 0, Column.ETA) == "~0:40"
    # 2 % progress is too little to extrapolate from; under 3 s too short.
    assert text(model, 1, Column.ELAPSED) == "0:40"
    assert text(model, 1, Column.ETA) == ""
    assert text(model, 2, Column.ETA) == ""
    # Not started: nothing to count.
    assert text(model, 3, Column.ELAPSED) == ""
    assert text(model, 3, Column.ETA) == ""
    # Finished: elapsed is frozen at the finish time, no ETA.
    assert text(model, 4, Column.ELAPSED) == "1:02:00"
    assert text(model, 4, Column.ETA) == ""

    clock[0] = NOW + 20  # the clock moves on; tick() repaints only the running rows' time columns
    ticked: list[tuple[int, int, int]] = []
    model.dataChanged.connect(lambda tl, br, _roles=(): ticked.append((tl.row(), tl.column(), br.column())))
    model.tick()
    assert ticked == [(0, Column.ELAPSED, Column.ETA)]  # one signal spanning rows 0..2
    ticked_rows: list[tuple[int, int]] = []
    model.dataChanged.connect(lambda tl, br, _roles=(): ticked_rows.append((tl.row(), br.row())))
    model.tick()
    assert ticked_rows == [(0, 2)]
    assert text(model, 0, Column.ELAPSED) == "1:00"
    assert text(model, 4, Column.ELAPSED) == "1:02:00"


# -- panel: actions per state --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "enabled"),
    [
        (JobState.QUEUED, {"cancel"}),
        (JobState.SPEECH_RUNNING, {"cancel"}),
        (JobState.AVATAR_RUNNING, {"cancel"}),
        (JobState.DOWNLOADING, {"cancel"}),
        (JobState.FAILED, {"retry", "remove"}),
        (JobState.CANCELLED, {"retry", "remove"}),
        (JobState.DONE, {"remove", "open_folder", "save_as", "play"}),
    ],
)
def test_action_enablement_follows_the_selected_job(
    qtbot: QtBot, tmp_path: Path, state: JobState, enabled: set[str]
) -> None:
    job = done_job(tmp_path) if state == JobState.DONE else job_in(state)
    panel = make_panel(qtbot, [RenderJob(spec("Other")), job])
    actions = {
        "cancel": panel.cancel_action,
        "retry": panel.retry_action,
        "remove": panel.remove_action,
        "open_folder": panel.open_folder_action,
        "save_as": panel.save_as_action,
        "play": panel.play_action,
    }
    assert not any(a.isEnabled() for a in actions.values())  # nothing selected

    assert panel.select_job(job.job_id)
    assert panel.selected_job() == job
    assert {name for name, a in actions.items() if a.isEnabled()} == enabled
    assert available_actions(job) == enabled


def test_enablement_updates_when_the_selected_job_changes_state(qtbot: QtBot) -> None:
    running = job_in(JobState.AVATAR_RUNNING)
    panel = make_panel(qtbot, [running])
    panel.select_job(running.job_id)
    assert panel.cancel_action.isEnabled()
    assert not panel.retry_action.isEnabled()

    panel.apply(JobEvent("changed", running.advance(JobState.FAILED, error_message="Boom")))
    assert not panel.cancel_action.isEnabled()
    assert panel.retry_action.isEnabled()
    assert panel.selected_job() is not None and panel.selected_job().state == JobState.FAILED


def test_failed_job_shows_message_and_what_to_do(qtbot: QtBot, tmp_path: Path) -> None:
    failed = failed_job()
    done = done_job(tmp_path)
    panel = make_panel(qtbot, [failed, done])
    panel.show()
    assert not panel.detail_frame.isVisible()

    panel.select_job(failed.job_id)
    assert panel.detail_frame.isVisible()
    assert panel.error_title_label.text() == "This render failed"
    assert panel.error_message_label.text() == "Not enough credits."
    # No error_kind stored: the job's own hint (ui/wording.py words it from the kind when there is one).
    assert panel.error_hint_label.text() == (
        "What to do: Add credits or upgrade your plan at app.videogen.io, then press Retry."
    )
    assert not panel.uncertain_label.isVisible()

    panel.select_job(done.job_id)
    assert not panel.detail_frame.isVisible()


def test_cancel_and_remove_emit_the_job_id(qtbot: QtBot) -> None:
    running, cancelled = job_in(JobState.SPEECH_RUNNING), job_in(JobState.CANCELLED)
    panel = make_panel(qtbot, [running, cancelled])

    panel.select_job(running.job_id)
    with qtbot.waitSignal(panel.cancelRequested) as cancel:
        panel.cancel_action.trigger()
    assert cancel.args == [running.job_id]

    panel.select_job(cancelled.job_id)
    with qtbot.waitSignal(panel.removeRequested) as remove:
        panel.remove_action.trigger()
    assert remove.args == [cancelled.job_id]


def test_plain_retry_needs_no_confirmation(qtbot: QtBot) -> None:
    failed = failed_job()
    panel = make_panel(qtbot, [failed])
    panel.select_job(failed.job_id)
    with qtbot.waitSignal(panel.retryRequested) as retry:
        panel.retry_action.trigger()
    assert retry.args == [failed.job_id, False]
    assert panel.findChildren(QMessageBox) == []


def _open_message_box(panel: QueuePanel) -> QMessageBox:
    boxes = [b for b in panel.findChildren(QMessageBox) if b.isVisible()]
    assert len(boxes) == 1
    return boxes[0]


def test_uncertain_retry_asks_first_and_retries_only_when_confirmed(qtbot: QtBot) -> None:
    uncertain = failed_job(uncertain=True)
    panel = make_panel(qtbot, [uncertain])
    panel.show()
    panel.select_job(uncertain.job_id)
    assert panel.uncertain_label.isVisible()  # the risk is explained before anyone presses Retry
    emitted: list[tuple[str, bool]] = []
    panel.retryRequested.connect(lambda job_id, confirmed: emitted.append((job_id, confirmed)))

    # First time: the user backs out.
    panel.retry_action.trigger()
    box = _open_message_box(panel)
    assert box.isModal() or box.windowModality() != Qt.WindowModality.NonModal
    assert "second, paid render" in box.text()
    assert emitted == []  # nothing happens while the question is open
    box.button(QMessageBox.StandardButton.Cancel).click()
    qtbot.waitUntil(lambda: not box.isVisible())
    assert emitted == []

    # Second time: the user confirms.
    panel.retry_action.trigger()
    box = _open_message_box(panel)
    retry_anyway = next(b for b in box.buttons() if b.text() == "Retry anyway")
    with qtbot.waitSignal(panel.retryRequested) as retry:
        retry_anyway.click()
    assert retry.args == [uncertain.job_id, True]


def test_injected_confirm_is_used(qtbot: QtBot) -> None:
    asked: list[str] = []

    def confirm(_parent: object, title: str, _text: str, on_answer: object) -> None:
        asked.append(title)
        on_answer(True)  # type: ignore[operator]

    uncertain = job_in(JobState.CANCELLED, uncertain=True)
    panel = make_panel(qtbot, [uncertain], confirm=confirm)
    panel.select_job(uncertain.job_id)
    with qtbot.waitSignal(panel.retryRequested) as retry:
        panel.retry_action.trigger()
    assert asked == ["Retry this render?"]
    assert retry.args == [uncertain.job_id, True]


def _double_click_row(qtbot: QtBot, panel: QueuePanel, row: int) -> None:
    rect = panel.table.visualRect(panel.model.index(row, Column.SCRIPT))
    # A real double-click starts with a press on the row; QTest's mouseDClick alone skips it.
    qtbot.mouseClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_double_click_on_a_done_row_plays_it(qtbot: QtBot, tmp_path: Path) -> None:
    done = done_job(tmp_path)
    failed = failed_job()
    panel = make_panel(qtbot, [failed, done])
    panel.show()
    qtbot.waitExposed(panel)
    played: list[Path] = []
    panel.playRequested.connect(played.append)

    clicked_rows: list[int] = []
    panel.table.doubleClicked.connect(lambda index: clicked_rows.append(index.row()))
    failed_row = panel.model.row_of(failed.job_id)
    _double_click_row(qtbot, panel, failed_row)  # failed: nothing to play
    assert clicked_rows == [failed_row]  # the double-click did arrive...
    assert played == []  # ...and was ignored

    with qtbot.waitSignal(panel.playRequested) as play:
        _double_click_row(qtbot, panel, panel.model.row_of(done.job_id))
    assert play.args == [Path(done.output_path or "")]
    assert panel.selected_job() == done


def test_play_action_reports_a_missing_file(qtbot: QtBot, tmp_path: Path) -> None:
    done = done_job(tmp_path)
    Path(done.output_path or "").unlink()
    panel = make_panel(qtbot, [done])
    panel.show()
    panel.select_job(done.job_id)
    played: list[Path] = []
    panel.playRequested.connect(played.append)
    panel.play_action.trigger()
    assert played == []
    assert panel.status_label.isVisible()
    assert "missing" in panel.status_label.text()


def test_open_folder_opens_the_videos_folder(qtbot: QtBot, tmp_path: Path) -> None:
    opened: list[QUrl] = []
    done = done_job(tmp_path)
    panel = make_panel(qtbot, [done], open_url=opened.append)
    panel.select_job(done.job_id)
    panel.open_folder_action.trigger()
    assert opened == [QUrl.fromLocalFile(str(tmp_path / "out"))]


def test_save_as_copies_the_video_without_blocking(qtbot: QtBot, tmp_path: Path) -> None:
    done = done_job(tmp_path)
    panel = make_panel(qtbot, [done])
    panel.show()
    panel.select_job(done.job_id)
    target = tmp_path / "elsewhere" / "my clip.mp4"
    target.parent.mkdir()

    panel.save_as_action.trigger()
    dialog = panel.findChild(QFileDialog, "saveVideoDialog")
    assert dialog is not None and dialog.isVisible()  # opened with .open(): the trigger returned at once
    assert dialog.acceptMode() == QFileDialog.AcceptMode.AcceptSave
    dialog.selectFile(str(target))
    dialog.accept()

    qtbot.waitUntil(lambda: panel.status_label.text() == f"Saved to {target}", timeout=10_000)
    assert target.read_bytes() == Path(done.output_path or "").read_bytes()
    assert [p.name for p in target.parent.iterdir()] == ["my clip.mp4"]  # no temporary file left behind


def test_context_menu_offers_the_same_actions(qtbot: QtBot, tmp_path: Path) -> None:
    done = done_job(tmp_path)
    failed = failed_job()
    panel = make_panel(qtbot, [failed, done])
    panel.show()
    qtbot.waitExposed(panel)
    rect = panel.table.visualRect(panel.model.index(panel.model.row_of(done.job_id), Column.STATE))

    panel.table.customContextMenuRequested.emit(rect.center())

    menus = [m for m in panel.findChildren(QMenu) if m.isVisible()]
    assert len(menus) == 1
    enabled = {a.text() for a in menus[0].actions() if a.isEnabled() and not a.isSeparator()}
    assert enabled == {"Play", "Remove", "Open folder", "Save as…"}
    assert panel.selected_job() == done  # right-click selects the row it was on
    menus[0].close()

    panel.table.customContextMenuRequested.emit(QPoint(5, panel.table.viewport().height() - 2))  # no row
    assert [m for m in panel.findChildren(QMenu) if m.isVisible()] == []


def test_empty_queue_shows_a_hint_instead_of_an_empty_table(qtbot: QtBot) -> None:
    panel = make_panel(qtbot)
    panel.show()
    assert panel.empty_label.isVisible()
    assert not panel.table.isVisible()
    job = RenderJob(spec())
    panel.apply(JobEvent("added", job))
    assert panel.table.isVisible()
    panel.apply(JobEvent("removed", job))
    assert panel.empty_label.isVisible()


def test_progress_delegate_paints_without_errors(qtbot: QtBot) -> None:
    panel = make_panel(qtbot, [job_in(JobState.AVATAR_RUNNING, stage_progress=0.3), failed_job()])
    panel.show()
    qtbot.waitExposed(panel)
    image = panel.grab().toImage()  # drives ProgressBarDelegate.paint for both kinds of cell
    assert not image.isNull()
    index: QModelIndex = panel.model.index(0, Column.PROGRESS)
    assert panel.table.itemDelegateForIndex(index) is panel.progress_delegate


# -- against a real RenderQueue ------------------------------------------------------------------------


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


async def test_panel_mirrors_a_real_render_queue(qtbot: QtBot, live_queue: RenderQueue) -> None:
    panel = QueuePanel()
    qtbot.addWidget(panel)
    panel.set_jobs(live_queue.jobs())
    unsubscribe = live_queue.subscribe(panel.apply)
    states: list[str] = []
    panel.model.dataChanged.connect(
        lambda tl, _br, _roles=(): states.append(text(panel.model, tl.row(), Column.STATE))
    )
    try:
        presenter = (await live_queue.client.list_presenters())[0]
        voices = await live_queue.client.list_voices()
        voice = next(v for v in voices if v.supports_direct_tool_execution)
        job = live_queue.submit(
            RenderSpec(
                presenter_id=presenter.avatar_presenter_id,
                script="Hello from the queue panel test.",
                voice_id=voice.voice_id,
            )
        )
        assert panel.model.rowCount() == 1
        assert text(panel.model, 0, Column.STATE) == "Queued"

        for _ in range(3000):  # a hang guard only: the sandbox finishes in well under a second
            current = live_queue.get(job.job_id)
            if current is not None and current.state.is_terminal:
                break
            await asyncio.sleep(0.02)
        final = live_queue.get(job.job_id)
        assert final is not None and final.state == JobState.DONE, final
        assert panel.model.job_at(0) == final
        assert text(panel.model, 0, Column.STATE) == "Done"
        assert panel.model.index(0, Column.PROGRESS).data(PROGRESS_ROLE) == 100
        assert "Rendering video" in states  # intermediate states reached the view as row updates

        panel.select_job(job.job_id)
        assert panel.play_action.isEnabled()
        played: list[Path] = []
        panel.playRequested.connect(played.append)
        panel.play_action.trigger()
        assert played == [Path(final.output_path or "")]
        assert played[0].stat().st_size > 0

        live_queue.remove(job.job_id)
        assert panel.model.rowCount() == 0
    finally:
        unsubscribe()


def test_the_clock_ticks_only_while_a_job_is_active(qtbot: QtBot) -> None:
    """An idle queue causes no periodic wake-ups: the one-second clock runs only while a job is active."""
    panel = make_panel(qtbot)
    assert not panel._clock.isActive()
    running = job_in(JobState.AVATAR_RUNNING)
    panel.apply(JobEvent("added", running))
    assert panel._clock.isActive()
    panel.apply(JobEvent("changed", running.advance(JobState.DOWNLOADING).advance(JobState.DONE)))
    assert not panel._clock.isActive()
