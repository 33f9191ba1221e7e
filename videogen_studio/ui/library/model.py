"""Qt models of the library: every clip as a row (`LibraryModel`) and the search filter over it.

The model does no network work. It asks for it with signals: `fetchMoreRequested` when the view scrolls near
the end while the service has more pages (Qt's canFetchMore/fetchMore), `thumbnailWanted(key)` the first
time a row's picture is painted (so only visible rows cost a request).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QIcon, QImage, QPixmap

from ..queue_model import format_duration
from .items import Clip, merge

Index = QModelIndex | QPersistentModelIndex
StillProvider = Callable[[str], QImage | None]

CLIP_ROLE = Qt.ItemDataRole.UserRole + 10
KEY_ROLE = Qt.ItemDataRole.UserRole + 11
THUMB_SIZE = (96, 54)


class Column(IntEnum):
    TITLE = 0
    PRESENTER = 1
    DURATION = 2
    DATE = 3
    WHERE = 4


HEADERS = {
    Column.TITLE: "Title",
    Column.PRESENTER: "Presenter",
    Column.DURATION: "Duration",
    Column.DATE: "Date",
    Column.WHERE: "Where",
}
WHERE_TEXT = {"local": "This computer", "service": "VideoGen", "both": "This computer + VideoGen"}


def format_date(timestamp: float | None) -> str:
    if timestamp is None:
        return "—"  # the service does not report when its files were made
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(timestamp))  # seconds: same-minute renders


class LibraryModel(QAbstractTableModel):
    """Rows of `Clip`s, newest first (clips without a date after those with one).

    Signals: fetchMoreRequested(), thumbnailWanted(str key), titleEdited(str job_id, str title).
    """

    fetchMoreRequested = Signal()
    thumbnailWanted = Signal(str)
    titleEdited = Signal(str, str)

    def __init__(self, parent: QObject | None = None, *, still: StillProvider | None = None) -> None:
        super().__init__(parent)
        self._clips: list[Clip] = []
        self._rows: dict[str, int] = {}
        self._icons: dict[str, QIcon] = {}
        self._wanted: set[str] = set()
        self._still = still
        self._more = False
        self._fetching = False

    # ------------------------------------------------------------------ feeding
    def upsert(self, clips: Iterable[Clip]) -> None:
        """Add new clips and merge sightings of known ones (one repaint for the changed rows)."""
        new: list[Clip] = []
        changed: list[int] = []
        for clip in clips:
            row = self._rows.get(clip.key)
            if row is None:
                pending = next((i for i, c in enumerate(new) if c.key == clip.key), None)
                if pending is None:
                    new.append(clip)
                else:
                    new[pending] = merge(new[pending], clip)
                continue
            merged = merge(self._clips[row], clip)
            if merged != self._clips[row]:
                self._clips[row] = merged
                changed.append(row)
        if changed:
            self.dataChanged.emit(self.index(min(changed), 0), self.index(max(changed), len(Column) - 1))
        undated = [c for c in new if c.created_at is None]
        for clip in sorted((c for c in new if c.created_at is not None), key=lambda c: -(c.created_at or 0)):
            when = clip.created_at or 0.0
            row = next(
                (r for r, c in enumerate(self._clips) if c.created_at is None or c.created_at < when),
                len(self._clips),
            )
            self._insert(row, [clip])
        if undated:  # the service's order (newest first), after everything with a date: one insertion
            self._insert(len(self._clips), undated)

    def replace(self, clip: Clip) -> None:
        """Put `clip` in place of the row with its key (no merging: e.g. sharing turned off)."""
        row = self._rows.get(clip.key)
        if row is not None:
            self._clips[row] = clip
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(Column) - 1))

    def remove(self, key: str) -> None:
        row = self._rows.get(key)
        if row is None:
            return
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._clips[row]
        self._reindex()
        self.endRemoveRows()

    def remove_job(self, job_id: str) -> None:
        for clip in list(self._clips):
            if clip.job_id == job_id:
                self.remove(clip.key)

    def set_thumbnail(self, key: str, image: QImage | QPixmap) -> None:
        pixmap = image if isinstance(image, QPixmap) else QPixmap.fromImage(image)
        if pixmap.isNull():
            return
        self._icons[key] = QIcon(
            pixmap.scaled(
                *THUMB_SIZE, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
            )
        )
        row = self._rows.get(key)
        if row is not None:
            index = self.index(row, Column.TITLE)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])

    def still_ready(self, path: str, image: QImage) -> None:
        """A FrameGrabber still for a local file arrived."""
        for clip in self._clips:
            if clip.path == path:
                self.set_thumbnail(clip.key, image)

    def set_more_available(self, more: bool) -> None:
        self._more = more

    def set_fetching(self, fetching: bool) -> None:
        self._fetching = fetching

    def more_available(self) -> bool:
        return self._more

    # ------------------------------------------------------------------ lookup
    def clip_at(self, row: int) -> Clip | None:
        return self._clips[row] if 0 <= row < len(self._clips) else None

    def row_of(self, key: str) -> int:
        return self._rows.get(key, -1)

    def clip(self, key: str) -> Clip | None:
        row = self._rows.get(key)
        return None if row is None else self._clips[row]

    def clips(self) -> list[Clip]:
        return list(self._clips)

    # ------------------------------------------------------------------ Qt model API
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._clips)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

    def canFetchMore(self, parent: Index) -> bool:
        return not parent.isValid() and self._more and not self._fetching

    def fetchMore(self, parent: Index) -> None:
        if self.canFetchMore(parent):
            self._fetching = True
            self.fetchMoreRequested.emit()

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS.get(Column(section)) if 0 <= section < len(Column) else None
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        clip = self.clip_at(index.row())
        if index.column() == Column.TITLE and clip is not None and clip.is_local:
            flags |= Qt.ItemFlag.ItemIsEditable  # titles of local renders are ours to change
        return flags

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        clip = self.clip_at(index.row()) if index.isValid() else None
        if clip is None:
            return None
        column = Column(index.column())
        if role == CLIP_ROLE:
            return clip
        if role == KEY_ROLE:
            return clip.key
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self._display(clip, column)
        if role == Qt.ItemDataRole.EditRole and column == Column.TITLE:
            return clip.title
        if role == Qt.ItemDataRole.DecorationRole and column == Column.TITLE:
            return self._icon(clip)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(clip, column)
        return None

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        clip = self.clip_at(index.row()) if index.isValid() else None
        if clip is None or not clip.is_local or index.column() != Column.TITLE:
            return False
        if role != Qt.ItemDataRole.EditRole:
            return False
        title = " ".join(str(value).split())
        if not title or title == clip.title:
            return False
        from dataclasses import replace

        self._clips[index.row()] = replace(clip, title=title)
        self.dataChanged.emit(index, index)
        self.titleEdited.emit(clip.job_id, title)
        return True

    # ------------------------------------------------------------------ internals
    def _insert(self, row: int, clips: list[Clip]) -> None:
        self.beginInsertRows(QModelIndex(), row, row + len(clips) - 1)
        self._clips[row:row] = clips
        self._reindex()
        self.endInsertRows()

    def _reindex(self) -> None:
        self._rows = {clip.key: row for row, clip in enumerate(self._clips)}

    def _display(self, clip: Clip, column: Column) -> str:
        match column:
            case Column.TITLE:
                return clip.title
            case Column.PRESENTER:
                return clip.presenter or "—"
            case Column.DURATION:
                return format_duration(clip.duration_s) if clip.duration_s else "—"
            case Column.DATE:
                return format_date(clip.created_at)
            case Column.WHERE:
                text = WHERE_TEXT[clip.origin]
                return f"{text} · shared" if clip.public_preview else text
        return ""

    def _tooltip(self, clip: Clip, column: Column) -> str | None:
        if column == Column.TITLE:
            lines = [clip.title]
            if clip.script and clip.script != clip.title:
                lines.append(clip.script[:400])
            if clip.path:
                lines.append(clip.path)
            if clip.is_local:
                lines.append("Double-click the title to rename it.")
            return "\n".join(lines)
        if column == Column.WHERE and clip.public_url:
            return f"Public link: {clip.public_url}"
        if column == Column.DATE and clip.created_at is None:
            return "The service does not say when this file was made."
        return None

    def _icon(self, clip: Clip) -> QIcon | None:
        icon = self._icons.get(clip.key)
        if icon is not None:
            return icon
        if clip.key not in self._wanted:
            self._wanted.add(clip.key)
            self.thumbnailWanted.emit(clip.key)  # the tab fetches it; set_thumbnail repaints the row
        return None


class LibraryFilter(QSortFilterProxyModel):
    """Rows whose title, presenter or script contain every typed word, plus the service's search matches."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._words: list[str] = []
        self._matches: set[str] = set()

    def set_text(self, text: str) -> None:
        self._refilter(lambda: self._set(text.casefold().split(), set()))

    def set_service_matches(self, keys: Iterable[str]) -> None:
        self._refilter(lambda: self._set(self._words, set(keys)))

    def _set(self, words: list[str], matches: set[str]) -> None:
        self._words, self._matches = words, matches

    def _refilter(self, change: Callable[[], None]) -> None:
        # Qt 6.10 replaced invalidateFilter() with a begin/end pair around the change.
        begin = getattr(self, "beginFilterChange", None)
        if begin is None:
            change()
            self.invalidateFilter()
            return
        begin()
        change()
        self.endFilterChange()

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        if not self._words:
            return True
        model = self.sourceModel()
        clip = model.clip_at(source_row) if isinstance(model, LibraryModel) else None
        if clip is None:
            return False
        if clip.key in self._matches:
            return True
        haystack = clip.search_text()
        return all(word in haystack for word in self._words)
