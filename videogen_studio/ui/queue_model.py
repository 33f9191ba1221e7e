"""Table model mirroring the render queue: one row per RenderJob, fed by the queue's JobEvents.

The model owns no timer: elapsed time and ETA depend on the clock, so the panel calls `tick()` once a second
and the model repaints just those two columns of the jobs that are still running.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from enum import IntEnum
from typing import Any, Protocol

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QIcon, QPixmap

from videogen_studio.pipeline.jobs import JobState, RenderJob

ThumbnailProvider = Callable[[str], QPixmap | None]
Index = QModelIndex | QPersistentModelIndex

#: Progress as an int 0..100, or None when a bar makes no sense (failed, cancelled).
PROGRESS_ROLE = Qt.ItemDataRole.UserRole + 1
JOB_ID_ROLE = Qt.ItemDataRole.UserRole + 2
JOB_ROLE = Qt.ItemDataRole.UserRole + 3

#: Below this much progress or elapsed time an ETA is mostly noise, so none is shown.
ETA_MIN_PROGRESS = 0.05
ETA_MIN_ELAPSED = 3.0
SCRIPT_EXCERPT_CHARS = 60


class JobEventLike(Protocol):
    """What `apply` needs from pipeline.queue.JobEvent (structural, so the model imports no queue code)."""

    @property
    def kind(self) -> str: ...

    @property
    def job(self) -> RenderJob: ...


class Column(IntEnum):
    PRESENTER = 0
    SCRIPT = 1
    STATE = 2
    PROGRESS = 3
    ELAPSED = 4
    ETA = 5


HEADERS = {
    Column.PRESENTER: "Presenter",
    Column.SCRIPT: "Script",
    Column.STATE: "State",
    Column.PROGRESS: "Progress",
    Column.ELAPSED: "Elapsed",
    Column.ETA: "ETA",
}


def format_duration(seconds: float) -> str:
    """0:07, 12:34, 1:02:03."""
    total = max(0, round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def script_excerpt(script: str, limit: int = SCRIPT_EXCERPT_CHARS) -> str:
    flat = " ".join(script.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def state_text(job: RenderJob) -> str:
    if job.state == JobState.FAILED:
        return f"Failed — {job.error_message}" if job.error_message else "Failed"
    return job.state.label


def elapsed_seconds(job: RenderJob, now: float) -> float | None:
    if job.started_at is None:
        return None
    end = job.finished_at if job.finished_at is not None and job.state.is_terminal else now
    return max(0.0, end - job.started_at)


def eta_seconds(job: RenderJob, now: float) -> float | None:
    """Time left, extrapolated from the progress rate so far; None when that would be a guess."""
    if job.state.is_terminal or job.state == JobState.QUEUED:
        return None
    elapsed = elapsed_seconds(job, now)
    progress = job.progress
    if elapsed is None or elapsed < ETA_MIN_ELAPSED or not ETA_MIN_PROGRESS <= progress < 1.0:
        return None
    return elapsed / progress - elapsed


class JobTableModel(QAbstractTableModel):
    """Rows are jobs in queue order.

    Constructor:
        parent: Qt parent.
        thumbnail: ``thumbnail(url) -> QPixmap | None``, e.g. the gallery's cache; None while not loaded yet
            (call `thumbnail_ready(url)` when it arrives).
        now: clock for elapsed/ETA (injectable for tests).
    """

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        thumbnail: ThumbnailProvider | None = None,
        now: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(parent)
        self._jobs: list[RenderJob] = []
        self._rows: dict[str, int] = {}
        self._thumbnail = thumbnail
        self._icons: dict[str, QIcon] = {}
        self._now = now

    # ------------------------------------------------------------------ feeding
    def set_jobs(self, jobs: Iterable[RenderJob]) -> None:
        self.beginResetModel()
        self._jobs = list(jobs)
        self._reindex()
        self.endResetModel()

    def apply(self, event: JobEventLike) -> None:
        """Mirror one queue event: insert, update one row in place, or remove."""
        job = event.job
        row = self._rows.get(job.job_id)
        if event.kind == "removed":
            if row is not None:
                self.beginRemoveRows(QModelIndex(), row, row)
                del self._jobs[row]
                self._reindex()
                self.endRemoveRows()
            return
        if row is None:  # "added", or a "changed" for a job we never saw: either way it is new here
            row = len(self._jobs)
            self.beginInsertRows(QModelIndex(), row, row)
            self._jobs.append(job)
            self._rows[job.job_id] = row
            self.endInsertRows()
            return
        self._jobs[row] = job
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(Column) - 1))

    def tick(self) -> None:
        """Repaint elapsed/ETA of jobs whose clock is running; the panel calls this once a second."""
        for row, job in enumerate(self._jobs):
            if job.started_at is not None and not job.state.is_terminal:
                self.dataChanged.emit(
                    self.index(row, Column.ELAPSED),
                    self.index(row, Column.ETA),
                    [Qt.ItemDataRole.DisplayRole],
                )

    def thumbnail_ready(self, url: str) -> None:
        """A presenter thumbnail finished loading: repaint the rows that show it."""
        self._icons.pop(url, None)
        for row, job in enumerate(self._jobs):
            if job.spec.presenter_thumbnail_url == url:
                index = self.index(row, Column.PRESENTER)
                self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])

    # ------------------------------------------------------------------ lookup
    def job_at(self, row: int) -> RenderJob | None:
        return self._jobs[row] if 0 <= row < len(self._jobs) else None

    def row_of(self, job_id: str) -> int:
        """Row of the job, or -1."""
        return self._rows.get(job_id, -1)

    def jobs(self) -> list[RenderJob]:
        return list(self._jobs)

    def has_active_jobs(self) -> bool:
        return any(not job.state.is_terminal for job in self._jobs)

    # ------------------------------------------------------------------ Qt model API
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._jobs)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS.get(Column(section)) if 0 <= section < len(Column) else None
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        job = self.job_at(index.row()) if index.isValid() else None
        if job is None:
            return None
        column = Column(index.column())
        if role == JOB_ID_ROLE:
            return job.job_id
        if role == JOB_ROLE:
            return job
        if role == PROGRESS_ROLE:
            return _progress_percent(job)
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(job, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(job, column)
        if role == Qt.ItemDataRole.DecorationRole and column == Column.PRESENTER:
            return self._icon(job.spec.presenter_thumbnail_url)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return self._display(job, column) or "none"
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    # ------------------------------------------------------------------ internals
    def _icon(self, url: str) -> QIcon | None:
        # An icon (not the raw pixmap) so the view scales it to its iconSize whatever size the cache holds.
        if not url or self._thumbnail is None:
            return None
        icon = self._icons.get(url)
        if icon is None:
            pixmap = self._thumbnail(url)
            if pixmap is None or pixmap.isNull():
                return None
            icon = self._icons[url] = QIcon(pixmap)
        return icon

    def _reindex(self) -> None:
        self._rows = {job.job_id: row for row, job in enumerate(self._jobs)}

    def _display(self, job: RenderJob, column: Column) -> str:
        match column:
            case Column.PRESENTER:
                return job.spec.presenter_name or job.spec.presenter_id
            case Column.SCRIPT:
                return script_excerpt(job.spec.script)
            case Column.STATE:
                return state_text(job)
            case Column.PROGRESS:
                percent = _progress_percent(job)
                return "" if percent is None else f"{percent} %"
            case Column.ELAPSED:
                elapsed = elapsed_seconds(job, self._now())
                return "" if elapsed is None else format_duration(elapsed)
            case Column.ETA:
                eta = eta_seconds(job, self._now())
                return "" if eta is None else f"~{format_duration(eta)}"
        return ""

    def _tooltip(self, job: RenderJob, column: Column) -> str | None:
        if column == Column.SCRIPT:
            return script_excerpt(job.spec.script, 400)
        if column == Column.STATE:
            lines = [state_text(job)]
            if job.error_hint and job.state == JobState.FAILED:
                lines.append(job.error_hint)
            if job.uncertain:
                lines.append("It may already have been submitted to VideoGen.")
            return "\n".join(lines)
        if column == Column.ETA and not job.state.is_terminal:
            return "Estimated time left, from the progress so far"
        return None


def _progress_percent(job: RenderJob) -> int | None:
    if job.state in (JobState.FAILED, JobState.CANCELLED):
        return None
    return max(0, min(100, round(job.progress * 100)))
