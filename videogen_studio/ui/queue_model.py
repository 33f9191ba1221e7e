"""Table model mirroring the render queue: one row per RenderJob, newest first, fed by the queue's JobEvents.

The model subscribes to the pipeline's `RenderQueue` itself (`attach(queue)`; napari style, nobody relays
events). Events are collected and applied once per event-loop turn (`flush()`): a burst of 200 submitted
jobs becomes ONE `beginInsertRows`, so the view lays out once and the selection model updates once.
`apply(event)` stays synchronous for callers that feed events by hand.

The model owns no timer: elapsed time and ETA depend on the clock, so the panel calls `tick()` once a second
and the model repaints just those two columns of the jobs that are still running.

One order everywhere: newest first (by `created_at`), at start-up (`set_jobs(queue.jobs())`) and for jobs
added later (inserted at the top). A retried job keeps its place.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from enum import IntEnum
from typing import Any, Protocol

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QIcon, QPixmap

from videogen_studio.pipeline.jobs import JobState, RenderJob

from . import wording

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
    """What `apply` needs from pipeline.queue.JobEvent (structural, so the model imports no queue code).

    A batched event (e.g. kind "added" with a `jobs` tuple, should the queue publish one for `submit_many`)
    is understood too: every job in `jobs` counts as one event of that kind.
    """

    @property
    def kind(self) -> str: ...

    @property
    def job(self) -> RenderJob: ...


class QueueLike(Protocol):
    """The part of pipeline.queue.RenderQueue the model needs."""

    def jobs(self) -> list[RenderJob]: ...

    def subscribe(self, listener: Callable[[Any], None]) -> Callable[[], None]: ...


class Column(IntEnum):
    PRESENTER = 0
    TITLE = 1
    CREATED = 2
    STATE = 3
    PROGRESS = 4
    ELAPSED = 5
    ETA = 6
    SCRIPT = 1  # the old name of TITLE (an alias: iterating Column does not list it)


HEADERS = {
    Column.PRESENTER: "Presenter",
    Column.TITLE: "Title",
    Column.CREATED: "Created",
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


def job_title(job: RenderJob) -> str:
    """The user's title for the render, or the start of its script."""
    title = " ".join(str(getattr(job.spec, "title", "") or "").split())
    return title or script_excerpt(job.spec.script)


def format_created(timestamp: float, now: float) -> str:
    """Local time a job was created: "14:05:33" today, "2 Dec 14:05:33" this year, else "2025-12-02 14:05".

    Seconds are shown because two renders of the same script are often minutes, not hours, apart.
    """
    t, n = time.localtime(timestamp), time.localtime(now)
    clock = time.strftime("%H:%M:%S", t)
    if (t.tm_year, t.tm_yday) == (n.tm_year, n.tm_yday):
        return clock
    if t.tm_year == n.tm_year:
        return f"{t.tm_mday} {time.strftime('%b', t)} {clock}"
    return time.strftime("%Y-%m-%d %H:%M", t)


def job_notice(job: RenderJob) -> str:
    """What the pipeline wants the user to know beyond the state (e.g. a cancel that came too late)."""
    notice = wording.job_notice(job).strip()
    return notice[:1].upper() + notice[1:]


def is_awaiting_approval(job: RenderJob) -> bool:
    return bool(getattr(job, "awaiting_approval", False)) and not job.state.is_terminal


def state_text(job: RenderJob) -> str:
    # A notice beats the bare state: "Cancelled" would be wrong when the service had finished (and charged).
    notice = job_notice(job)
    if notice:
        return notice
    if job.state == JobState.FAILED:
        return f"Failed — {wording.clean(job.error_message)}" if job.error_message else "Failed"
    if is_awaiting_approval(job):
        return "Waiting for approval"
    return job.state.label


def newest_first_key(job: RenderJob) -> tuple[float, str]:
    return (job.created_at, job.job_id)


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
    """Rows are jobs, newest first.

    Signals:
        jobFinished(RenderJob): a job this model already showed reached DONE (not emitted for jobs that were
            already done when loaded); the main window opens the result view with it.

    Constructor:
        parent: Qt parent.
        thumbnail: ``thumbnail(url) -> QPixmap | None``, e.g. the gallery's cache; None while not loaded yet
            (call `thumbnail_ready(url)` when it arrives).
        now: clock for elapsed/ETA (injectable for tests).
    """

    jobFinished = Signal(object)  # RenderJob

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
        self._pending: list[JobEventLike] = []
        self._finished: list[RenderJob] = []
        self._unsubscribe: Callable[[], None] | None = None
        # One zero-delay timer owned by the model: a burst of events costs one flush, and a deleted model
        # never gets called back.
        self._flush_timer = QTimer(self)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.setInterval(0)
        self._flush_timer.timeout.connect(self.flush)

    # ------------------------------------------------------------------ feeding
    def attach(self, queue: QueueLike) -> None:
        """Show `queue`'s jobs and follow its events from now on (replaces an earlier queue)."""
        self.detach()
        self.set_jobs(queue.jobs())
        self._unsubscribe = queue.subscribe(self.post)

    def detach(self) -> None:
        """Stop following the queue (call before the queue closes); rows stay as they are."""
        if self._unsubscribe is not None:
            unsubscribe, self._unsubscribe = self._unsubscribe, None
            unsubscribe()
        self._pending.clear()
        self._flush_timer.stop()

    def is_attached(self) -> bool:
        return self._unsubscribe is not None

    def post(self, event: JobEventLike) -> None:
        """Queue listener: keep the event; it is applied with the rest of its burst on the next loop turn."""
        self._pending.append(event)
        if not self._flush_timer.isActive():
            self._flush_timer.start()

    def flush(self) -> None:
        """Apply the events posted so far (the view calls this before it looks a job up)."""
        self._flush_timer.stop()
        if self._pending:
            events, self._pending = self._pending, []
            self.apply_many(events)

    def set_jobs(self, jobs: Iterable[RenderJob]) -> None:
        self._pending.clear()
        self.beginResetModel()
        self._jobs = sorted(jobs, key=newest_first_key, reverse=True)
        self._reindex()
        self.endResetModel()

    def apply(self, event: JobEventLike) -> None:
        """Mirror one queue event now: insert, update one row in place, or remove."""
        self._pending.append(event)
        self.flush()

    def apply_many(self, events: Iterable[JobEventLike]) -> None:
        """Mirror a burst of events with one removal per run of rows, one repaint and one insertion."""
        adds: dict[str, RenderJob] = {}
        changes: dict[str, RenderJob] = {}
        removes: set[str] = set()
        for kind, job in _expand(events):
            job_id = job.job_id
            if kind == "removed":
                adds.pop(job_id, None)
                changes.pop(job_id, None)
                if job_id in self._rows:
                    removes.add(job_id)
            elif job_id in self._rows and job_id not in removes:
                changes[job_id] = job
            else:  # "added", or a "changed" for a job we never saw: either way it is new here
                adds[job_id] = job
        self._remove_rows(removes)
        self._change_rows(changes)
        self._insert_jobs(list(adds.values()))

    def tick(self) -> None:
        """Repaint elapsed/ETA of jobs whose clock is running; the panel calls this once a second."""
        running = [
            row
            for row, job in enumerate(self._jobs)
            if job.started_at is not None and not job.state.is_terminal
        ]
        if running:  # one signal for the span, however many jobs run
            self.dataChanged.emit(
                self.index(min(running), Column.ELAPSED),
                self.index(max(running), Column.ETA),
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

    def _remove_rows(self, job_ids: set[str]) -> None:
        if not job_ids:
            return
        rows = sorted((self._rows[job_id] for job_id in job_ids), reverse=True)
        # Bottom-up runs of adjacent rows: rows above a removed run keep their numbers.
        start = end = rows[0]
        for row in [*rows[1:], None]:
            if row is not None and row == start - 1:
                start = row
                continue
            self.beginRemoveRows(QModelIndex(), start, end)
            del self._jobs[start : end + 1]
            self.endRemoveRows()
            if row is not None:
                start = end = row
        self._reindex()

    def _change_rows(self, changes: dict[str, RenderJob]) -> None:
        if not changes:
            return
        rows = []
        for job_id, job in changes.items():
            row = self._rows[job_id]
            before = self._jobs[row]
            self._jobs[row] = job
            rows.append(row)
            if job.state == JobState.DONE and before.state != JobState.DONE:
                self._finished.append(job)
        self.dataChanged.emit(self.index(min(rows), 0), self.index(max(rows), len(Column) - 1))
        finished, self._finished = self._finished, []
        for job in finished:
            self.jobFinished.emit(job)

    def _insert_jobs(self, jobs: list[RenderJob]) -> None:
        if not jobs:
            return
        jobs.sort(key=newest_first_key, reverse=True)
        if not self._jobs or newest_first_key(jobs[-1]) >= newest_first_key(self._jobs[0]):
            # The usual case, however many jobs: all newer than the top row, so one insertion at the top.
            self.beginInsertRows(QModelIndex(), 0, len(jobs) - 1)
            self._jobs[0:0] = jobs
            self._reindex()
            self.endInsertRows()
            return
        for job in jobs:  # older than what is shown (a job seen late): each into its place
            keys = [newest_first_key(j) for j in self._jobs]
            row = next((r for r, k in enumerate(keys) if k < newest_first_key(job)), len(keys))
            self.beginInsertRows(QModelIndex(), row, row)
            self._jobs.insert(row, job)
            self._reindex()
            self.endInsertRows()

    def _display(self, job: RenderJob, column: Column) -> str:
        match column:
            case Column.PRESENTER:
                return job.spec.presenter_name or job.spec.presenter_id
            case Column.TITLE:
                return job_title(job)
            case Column.CREATED:
                return format_created(job.created_at, self._now())
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
        if column == Column.TITLE:
            return script_excerpt(job.spec.script, 400)
        if column == Column.CREATED:
            return time.strftime("Created %A %d %B %Y, %H:%M:%S", time.localtime(job.created_at))
        if column == Column.STATE:
            lines = [state_text(job)]
            if job_notice(job):
                lines.append(f"State: {job.state.label}")
            if job.state == JobState.FAILED:
                lines.append(failure_text(job)[1])
            if job.uncertain:
                lines.append("It may already have been submitted to VideoGen.")
            return "\n".join(lines)
        if column == Column.ETA and not job.state.is_terminal:
            return "Estimated time left, from the progress so far"
        return None


def failure_text(job: RenderJob) -> tuple[str, str]:
    """(message, what to do) for a failed job, worded by ui/wording.py from its `error_kind`."""
    return wording.job_failure(job)


def _expand(events: Iterable[JobEventLike]) -> Iterator[tuple[str, RenderJob]]:
    for event in events:
        batch = getattr(event, "jobs", None)
        if batch is not None and not isinstance(batch, RenderJob):
            for job in batch:
                yield event.kind, job
        else:
            yield event.kind, event.job


def _progress_percent(job: RenderJob) -> int | None:
    if job.state in (JobState.FAILED, JobState.CANCELLED):
        return None
    return max(0, min(100, round(job.progress * 100)))
