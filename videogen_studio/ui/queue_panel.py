"""The render queue panel: a table of jobs with cancel / retry / remove / open / save / play actions.

For H6 (wiring):
    panel = QueuePanel(thumbnail=thumbnails.pixmap)          # optional: confirm=, open_url=, model=
    thumbnails.thumbnailReady.connect(panel.model.thumbnail_ready)
    panel.attach(session.queue)    # the model follows the queue's events itself; no relay needed
    panel.detach()                 # before the session/queue closes
    panel.select_job(job_id)       # select and scroll into view (works right after queue.submit())

Signals (the panel never calls the queue; the window wires these to RenderQueue / the result view):
    playRequested(Path)            play a finished clip (double-click, Play)
    resultRequested(RenderJob)     the same moment, with the whole job (its variations): for the result view
    cancelRequested(str)           job id
    retryRequested(str, bool)      job id, user confirmed an "uncertain" retry
    removeRequested(str)           job id
    jobFinished(RenderJob)         a job reached DONE while shown: open the result view with it

Rows are newest first, with a title (`spec.title` or the script start) and the creation date/time. A new job
is scrolled into view. A failed job's details sit under the table in a bounded, scrollable strip, so the
list keeps its rows and the failed row stays visible. The state column shows the job's `notice` (e.g. a
cancel that came too late: "already finished and charged — downloaded") instead of a bare "Cancelled", and
"Waiting for approval" for jobs the service holds for approval.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QSize,
    Qt,
    QTimer,
    QUrl,
    Signal,
)
from PySide6.QtGui import QAction, QDesktopServices, QIcon, QKeySequence, QPainter, QPalette, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QBoxLayout,
    QFrame,
    QHeaderView,
    QLabel,
    QMenu,
    QMessageBox,
    QScrollArea,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionProgressBar,
    QStyleOptionViewItem,
    QTableView,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from videogen_studio.pipeline.jobs import JobState, RenderJob

from .queue_model import (
    PROGRESS_ROLE,
    Column,
    JobEventLike,
    JobTableModel,
    QueueLike,
    ThumbnailProvider,
    failure_text,
    is_awaiting_approval,
    job_notice,
)
from .results.file_actions import SaveAs, open_folder
from .widgets.colors import error_color

#: confirm(parent, title, text, on_answer): show a question without blocking and call on_answer(yes).
Confirm = Callable[[QWidget, str, str, Callable[[bool], None]], None]
OpenUrl = Callable[[QUrl], object]

#: From this width, and when the panel is much wider than tall, error details sit beside the table.
SIDE_DETAILS_MIN_WIDTH = 900
QWIDGETSIZE_MAX = 16_777_215

UNCERTAIN_NOTE = (
    "The app lost contact while sending this job, so VideoGen may already be rendering it. "
    "Retrying can start a second, paid render; check your VideoGen library first if you are unsure."
)


def available_actions(job: RenderJob | None) -> set[str]:
    """Names of the actions that make sense for a job in its current state."""
    if job is None:
        return set()
    names: set[str] = set()
    if not job.state.is_terminal:
        names.add("cancel")
    if job.state in (JobState.FAILED, JobState.CANCELLED):
        names.add("retry")
    if job.state.is_terminal:
        names.add("remove")
    if job.state == JobState.DONE and job.output_path:
        names |= {"open_folder", "save_as", "play"}
    return names


class ProgressBarDelegate(QStyledItemDelegate):
    """Draws PROGRESS_ROLE as a native progress bar; cells without progress render as plain text."""

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        value = index.data(PROGRESS_ROLE)
        if not isinstance(value, int):
            super().paint(painter, option, index)
            return
        widget = option.widget
        style = widget.style() if widget is not None else QApplication.style()
        # Selection/hover background first, so the selected row stays visibly selected.
        background = QStyleOptionViewItem(option)
        self.initStyleOption(background, index)
        background.text = ""
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, background, painter, widget)

        bar = QStyleOptionProgressBar()
        bar.rect = option.rect.adjusted(6, 7, -6, -7)
        bar.palette = option.palette
        bar.state = QStyle.StateFlag.State_Enabled | QStyle.StateFlag.State_Horizontal
        bar.direction = option.direction
        bar.fontMetrics = option.fontMetrics
        bar.minimum = 0
        bar.maximum = 100
        bar.progress = value
        bar.text = f"{value} %"
        bar.textVisible = True
        bar.textAlignment = Qt.AlignmentFlag.AlignCenter
        style.drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter, widget)

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        hint = super().sizeHint(option, index)
        return QSize(max(hint.width(), 110), hint.height())


class QueuePanel(QWidget):
    """Jobs table, row actions, and the selected failed job's error and what to do about it.

    Constructor:
        model: the JobTableModel to show; one is created when omitted (reachable as `panel.model`).
        parent: Qt parent.
        confirm: ``confirm(parent, title, text, on_answer)``, a non-blocking yes/no question asked before
            retrying an uncertain job; it calls ``on_answer(yes)`` later (default: a QMessageBox opened with
            .open()).
        open_url: opens a folder in the file manager (default QDesktopServices.openUrl).
        thumbnail: presenter thumbnail provider, used only when the panel creates the model.
    """

    playRequested = Signal(Path)
    cancelRequested = Signal(str)
    retryRequested = Signal(
        str, bool
    )  # job_id, confirmed (True only when the user confirmed an uncertain job)
    removeRequested = Signal(str)
    jobFinished = Signal(object)  # RenderJob that reached DONE while shown
    resultRequested = Signal(object)  # RenderJob: Play / double-click on a done row, for the result view
    #: Internal: a "Save as…" copy finished on a worker thread (destination, error text or "").

    def __init__(
        self,
        model: JobTableModel | None = None,
        parent: QWidget | None = None,
        *,
        confirm: Confirm | None = None,
        open_url: OpenUrl | None = None,
        thumbnail: ThumbnailProvider | None = None,
    ) -> None:
        super().__init__(parent)
        self.model = model if model is not None else JobTableModel(self, thumbnail=thumbnail)
        self._confirm: Confirm = confirm or self._ask_yes_no
        self._question: tuple[QMessageBox, QAbstractButton, Callable[[bool], None]] | None = None
        self._open_url: OpenUrl = open_url or QDesktopServices.openUrl
        self._saver = SaveAs(self, self._show_status)

        self._build_ui()
        self._connect()

        # One clock for the whole table: elapsed/ETA of running jobs repaint once a second. It runs only
        # while some job is active, so an idle queue wakes the app up for nothing.
        self._clock = QTimer(self)
        self._clock.setInterval(1000)
        self._clock.timeout.connect(self.model.tick)
        for changed in (
            self.model.dataChanged,
            self.model.rowsInserted,
            self.model.rowsRemoved,
            self.model.modelReset,
            self.model.layoutChanged,
        ):
            changed.connect(self._sync_clock)
        self._sync_clock()
        self._update_actions()

    def _sync_clock(self, *_args: object) -> None:
        if self.model.has_active_jobs():
            if not self._clock.isActive():
                self._clock.start()
        else:
            self._clock.stop()

    # ------------------------------------------------------------------ UI
    def _build_ui(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)

        self.toolbar = QToolBar("Queue actions")
        self.toolbar.setAccessibleName("Queue actions")
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toolbar.setIconSize(QSize(16, 16))
        icon = self.style().standardIcon
        sp = QStyle.StandardPixmap
        self.play_action = self._action("Play", icon(sp.SP_MediaPlay), "Play the finished video", self._play)
        self.cancel_action = self._action(
            "Cancel", icon(sp.SP_DialogCancelButton), "Stop this render", self._cancel
        )
        self.retry_action = self._action(
            "Retry", icon(sp.SP_BrowserReload), "Try this render again, reusing finished steps", self._retry
        )
        self.remove_action = self._action(
            "Remove", icon(sp.SP_TrashIcon), "Remove from the list (the video file is kept)", self._remove
        )
        self.remove_action.setShortcut(QKeySequence.StandardKey.Delete)
        self.remove_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.open_folder_action = self._action(
            "Open folder", icon(sp.SP_DirOpenIcon), "Show the video in your file manager", self._open_folder
        )
        self.save_as_action = self._action(
            "Save as…", icon(sp.SP_DialogSaveButton), "Save a copy of the video elsewhere", self._save_as
        )
        for action in (self.play_action, self.cancel_action, self.retry_action, self.remove_action):
            self.toolbar.addAction(action)
        self.toolbar.addSeparator()
        self.toolbar.addAction(self.open_folder_action)
        self.toolbar.addAction(self.save_as_action)
        self.addActions(self._row_actions())  # so their shortcuts work while the panel has focus
        layout.addWidget(self.toolbar)

        self.table = QTableView()
        self.table.setAccessibleName("Render queue")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.setIconSize(QSize(32, 32))
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(40)
        self.progress_delegate = ProgressBarDelegate(self.table)
        self.table.setItemDelegateForColumn(Column.PROGRESS, self.progress_delegate)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setMinimumSectionSize(56)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(Column.TITLE, QHeaderView.ResizeMode.Stretch)
        header.resizeSection(Column.PRESENTER, 130)
        header.resizeSection(Column.CREATED, 118)
        header.resizeSection(Column.STATE, 190)
        header.resizeSection(Column.PROGRESS, 120)
        header.resizeSection(Column.ELAPSED, 72)
        header.resizeSection(Column.ETA, 64)

        self.empty_label = QLabel(
            "<p style='font-size:large'><b>No renders yet</b></p>"
            "<p>Pick a presenter, type a script and press <b>Render</b>.<br>Your videos appear here.</p>"
        )
        self.empty_label.setAccessibleName("Render queue is empty")
        self.empty_label.setTextFormat(Qt.TextFormat.RichText)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setAutoFillBackground(True)
        self.empty_label.setBackgroundRole(QPalette.ColorRole.Base)  # same surface as the table it stands for
        self.stack = QStackedWidget()
        self.stack.addWidget(self.table)
        self.stack.addWidget(self.empty_label)
        # Table and details side by side when the panel is wide and short (a bottom panel), one above the
        # other otherwise; see _bound_details.
        self.body = QBoxLayout(QBoxLayout.Direction.TopToBottom)
        self.body.setSpacing(4)
        self.body.addWidget(self.stack, 1)
        layout.addLayout(self.body, 1)

        self.detail_frame = QFrame()
        self.detail_frame.setAccessibleName("Error details")
        self.detail_frame.setFrameShape(QFrame.Shape.NoFrame)
        detail = QVBoxLayout(self.detail_frame)
        detail.setContentsMargins(10, 8, 10, 8)
        detail.setSpacing(4)
        self.error_title_label = QLabel()
        font = self.error_title_label.font()
        font.setBold(True)
        self.error_title_label.setFont(font)
        self.error_message_label = QLabel()
        self.error_message_label.setAccessibleName("Error message")
        self.error_hint_label = QLabel()
        self.error_hint_label.setAccessibleName("What to do")
        self.uncertain_label = QLabel(UNCERTAIN_NOTE)
        self.uncertain_label.setAccessibleName("Possible duplicate charge")
        for label in (
            self.error_title_label,
            self.error_message_label,
            self.error_hint_label,
            self.uncertain_label,
        ):
            label.setWordWrap(True)
            label.setTextFormat(Qt.TextFormat.PlainText)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            detail.addWidget(label)
        # The details scroll inside a strip of bounded height (see resizeEvent): a long message must not
        # squeeze the list to a few rows or push the failed row out of sight.
        self.detail_area = QScrollArea()
        self.detail_area.setAccessibleName("Error details")
        self.detail_area.setWidgetResizable(True)
        self.detail_area.setFrameShape(QFrame.Shape.StyledPanel)
        self.detail_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.detail_area.setWidget(self.detail_frame)
        self.detail_area.hide()
        self.body.addWidget(self.detail_area)

        self.status_label = QLabel()
        self.status_label.setAccessibleName("Queue status")
        self.status_label.setWordWrap(True)
        self.status_label.setTextFormat(Qt.TextFormat.PlainText)
        self.status_label.hide()
        layout.addWidget(self.status_label)

    def _action(self, text: str, icon: QIcon, tip: str, slot: Callable[..., None]) -> QAction:
        action = QAction(icon, text, self)
        action.setToolTip(tip)
        action.setStatusTip(tip)
        action.triggered.connect(slot)
        return action

    def _row_actions(self) -> list[QAction]:
        return [
            self.play_action,
            self.cancel_action,
            self.retry_action,
            self.remove_action,
            self.open_folder_action,
            self.save_as_action,
        ]

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._bound_details()

    def _bound_details(self) -> None:
        width, height = self.width(), self.height()
        if width >= SIDE_DETAILS_MIN_WIDTH and width >= 2.4 * height:
            # A wide, short panel: the details take a column on the right and every row keeps its height.
            self.body.setDirection(QBoxLayout.Direction.LeftToRight)
            self.detail_area.setMaximumHeight(QWIDGETSIZE_MAX)
            self.detail_area.setFixedWidth(min(380, width // 4))
        else:
            # Below the table: at most a third of the panel, never below one line of each label.
            self.body.setDirection(QBoxLayout.Direction.TopToBottom)
            self.detail_area.setMinimumWidth(0)
            self.detail_area.setMaximumWidth(QWIDGETSIZE_MAX)
            self.detail_area.setMaximumHeight(max(72, height // 3))

    def _connect(self) -> None:
        self.table.selectionModel().selectionChanged.connect(self._update_actions)
        self.model.rowsInserted.connect(self._reveal_inserted)
        self.model.jobFinished.connect(self.jobFinished)
        self.table.doubleClicked.connect(self._on_double_click)
        self.table.customContextMenuRequested.connect(self._show_context_menu)
        for sig in (
            self.model.dataChanged,
            self.model.modelReset,
            self.model.rowsInserted,
            self.model.rowsRemoved,
        ):
            sig.connect(self._update_actions)

    # ------------------------------------------------------------------ public API
    def attach(self, queue: QueueLike) -> None:
        """Show the queue's jobs; the model follows its events itself (batched per event-loop turn)."""
        self.model.attach(queue)

    def detach(self) -> None:
        self.model.detach()

    def set_jobs(self, jobs: list[RenderJob]) -> None:
        self.model.set_jobs(jobs)

    def apply(self, event: JobEventLike) -> None:
        """Forward a queue event to the model at once (usable directly as a RenderQueue listener)."""
        self.model.apply(event)

    def selected_job(self) -> RenderJob | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.job_at(rows[0].row()) if rows else None

    def select_job(self, job_id: str) -> bool:
        """Select the job and scroll it into view; False when the panel does not know it."""
        self.model.flush()  # a job submitted a moment ago may still wait in the model's batch
        row = self.model.row_of(job_id)
        if row < 0:
            return False
        self.table.selectRow(row)
        self.table.scrollTo(self.model.index(row, 0))
        return True

    def _reveal_inserted(self, _parent: QModelIndex, first: int, _last: int) -> None:
        # New jobs arrive at the top: show them, however far down the user had scrolled.
        self.table.scrollTo(self.model.index(first, 0))

    # ------------------------------------------------------------------ state → widgets
    def _update_actions(self, *_: object) -> None:
        self.stack.setCurrentWidget(self.table if self.model.rowCount() else self.empty_label)
        job = self.selected_job()
        names = available_actions(job)
        self.play_action.setEnabled("play" in names)
        self.cancel_action.setEnabled("cancel" in names)
        self.retry_action.setEnabled("retry" in names)
        self.remove_action.setEnabled("remove" in names)
        self.open_folder_action.setEnabled("open_folder" in names)
        self.save_as_action.setEnabled("save_as" in names)
        self._show_details(job)

    def _show_details(self, job: RenderJob | None) -> None:
        failed = job is not None and job.state == JobState.FAILED
        uncertain = job is not None and job.uncertain and job.state in (JobState.FAILED, JobState.CANCELLED)
        notice = job_notice(job) if job is not None else ""
        waiting = job is not None and is_awaiting_approval(job)
        shown = failed or uncertain or bool(notice) or waiting
        was_shown = self.detail_area.isVisibleTo(self)
        self.detail_area.setVisible(shown)
        self.detail_frame.setVisible(shown)
        if job is None or not shown:
            return
        message, hint = failure_text(job) if failed else ("", "")
        if notice:
            title = "The service had already finished this render"
            message = notice
            # While it downloads (or once it has), there is nothing to do; a stopped one needs Retry.
            hint = "Press Retry to download it." if job.state in (JobState.FAILED, JobState.CANCELLED) else ""
        elif failed:
            title = "This render failed"
        elif waiting:
            title = "Waiting for approval"
            message = "The service holds this render until it is approved; it continues by itself after that."
        else:
            title = "This render was interrupted"
        self.error_title_label.setText(title)
        self.error_title_label.setStyleSheet(f"color: {error_color(self)};" if failed else "")
        self.error_message_label.setText(message)
        self.error_message_label.setVisible(bool(message))
        self.error_hint_label.setText(f"What to do: {hint}" if hint else "")
        self.error_hint_label.setVisible(bool(hint))
        self.uncertain_label.setVisible(job.uncertain)
        if not was_shown:
            # The strip takes room from the table: keep the selected row in sight once the layout settles.
            QTimer.singleShot(0, self._keep_selection_visible)

    def _keep_selection_visible(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            self.table.scrollTo(rows[0])

    def _ask_yes_no(self, parent: QWidget, title: str, text: str, on_answer: Callable[[bool], None]) -> None:
        """The default `Confirm`: a window-modal QMessageBox opened with .open(), never .exec()."""
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.NoButton, parent)
        yes = box.addButton("Retry anyway", QMessageBox.ButtonRole.AcceptRole)
        no = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(no)
        box.setEscapeButton(no)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._question = (box, yes, on_answer)
        # A bound method of the panel: PySide 6.12 crashes deleting a WA_DeleteOnClose dialog whose signal
        # goes to a closure over its parent, or that has a Python QObject child.
        box.finished.connect(self._question_answered)
        box.open()

    def _question_answered(self, _result: int) -> None:
        if self._question is None:
            return
        box, yes, on_answer = self._question
        self._question = None
        on_answer(box.clickedButton() is yes)

    def _show_status(self, text: str, *, error: bool = False) -> None:
        self.status_label.setText(text)
        self.status_label.setStyleSheet(f"color: {error_color(self)};" if error else "")
        self.status_label.setVisible(bool(text))

    # ------------------------------------------------------------------ actions
    def _job_for(self, action: str) -> RenderJob | None:
        job = self.selected_job()
        return job if action in available_actions(job) else None

    def _play(self, *_: object) -> None:
        job = self._job_for("play")
        if job is not None and job.output_path:
            path = Path(job.output_path)
            if path.is_file():
                self.playRequested.emit(path)
                self.resultRequested.emit(job)
            else:
                self._show_status(f"The video file is missing: {path}", error=True)

    def _cancel(self, *_: object) -> None:
        job = self._job_for("cancel")
        if job is not None:
            self.cancelRequested.emit(job.job_id)

    def _retry(self, *_: object) -> None:
        job = self._job_for("retry")
        if job is None:
            return
        if not job.uncertain:
            self.retryRequested.emit(job.job_id, False)
            return
        job_id = job.job_id

        def answered(yes: bool) -> None:
            if yes:
                self.retryRequested.emit(job_id, True)

        self._confirm(self, "Retry this render?", f"{UNCERTAIN_NOTE}\n\nRetry anyway?", answered)

    def _remove(self, *_: object) -> None:
        job = self._job_for("remove")
        if job is not None:
            self.removeRequested.emit(job.job_id)

    def _open_folder(self, *_: object) -> None:
        job = self._job_for("open_folder")
        if job is None or not job.output_path:
            return
        problem = open_folder(Path(job.output_path).parent, self._open_url)
        if problem:
            self._show_status(problem, error=True)

    def _save_as(self, *_: object) -> None:
        job = self._job_for("save_as")
        if job is None or not job.output_path:
            return
        # Opens in the output folder, where the user's videos are (not the home folder); later the last used.
        self._saver.ask(Path(job.output_path))

    def _on_double_click(self, index: QModelIndex) -> None:
        job = self.model.job_at(index.row())
        if job is not None and job.state == JobState.DONE:
            self.table.selectRow(index.row())
            self._play()

    def _show_context_menu(self, pos: QPoint) -> None:
        index = self.table.indexAt(pos)
        if not index.isValid():
            return
        self.table.selectRow(index.row())
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.addActions([self.play_action, self.cancel_action, self.retry_action, self.remove_action])
        menu.addSeparator()
        menu.addActions([self.open_folder_action, self.save_as_action])
        menu.popup(self.table.viewport().mapToGlobal(pos))  # popup(), not exec(): never block the loop


__all__ = ["Confirm", "ProgressBarDelegate", "QueuePanel", "available_actions"]
