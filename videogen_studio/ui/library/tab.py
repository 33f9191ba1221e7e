"""The Library page: every clip in one place — local renders and the account's history on the service.

For H6 (wiring):
    library = LibraryTab(grabber=None, open_url=None, confirm=None)   # all optional; parent as usual
    library.attach(session.queue)                 # finished local renders; follows the queue's events
    library.set_service(session.client, capabilities=caps, output_dir=settings.output_dir)
    library.playRequested.connect(result_view.show_source)        # (source, title, subtitle)
    library.reuseRequested.connect(<editor fill>)                  # RenderSpec: script, presenter, voice…
    library.titleEdited.connect(<persist the title>)               # (job_id, title): needs a pipeline call
    await library.aclose()  /  library.detach()                    # before the session closes

Methods: attach(queue), detach(), set_service(client, *, capabilities=None, output_dir=None),
clear_service(), refresh(), search(text), selected_clip(), select_key(key), aclose().
Signals: playRequested(str source, str title, str subtitle), reuseRequested(RenderSpec),
titleEdited(str job_id, str title), statusChanged(str).

The service's history is read as the API offers it: files (`iter_file_pages`) and, where the service has an
executions list (`capabilities.has_history`; generation A has none), executions — page by page, the next page
only when the list is scrolled near its end (Qt's fetchMore). Search filters the local text at once and asks
the service's file search (`capabilities.has_file_search`) after a short pause in typing. Every network call
runs as an asyncio task the tab keeps a reference to; nothing blocks the event loop. The service reports no
credits, balance or creation dates for files, so none are shown.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import re
from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import QModelIndex, QPoint, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QDesktopServices, QGuiApplication, QIcon, QImage, QKeySequence
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QStackedWidget,
    QStyle,
    QTableView,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from videogen_studio.api.errors import VideoGenError
from videogen_studio.api.models import Page, StorageFile, ToolExecution

from .. import wording
from ..queue_model import JobEventLike, QueueLike
from ..results.file_actions import OpenUrl, SaveAs, open_folder
from ..results.frames import FrameGrabber
from ..widgets.colors import error_color
from .items import Clip, clip_from_file, clip_from_job, clips_from_execution, public_url_of
from .model import CLIP_ROLE, Column, LibraryFilter, LibraryModel, format_date

log = logging.getLogger(__name__)

PAGE_SIZE = 50
SEARCH_DELAY_MS = 400
SEARCH_RESULTS = 25
THUMBNAIL_FETCHES_AT_ONCE = 3

#: confirm(parent, title, text, on_answer): a non-blocking yes/no question.
Confirm = Callable[[QWidget, str, str, Callable[[bool], None]], None]


class CapabilitiesLike(Protocol):
    @property
    def has_history(self) -> bool: ...

    @property
    def has_file_search(self) -> bool: ...


def available_actions(clip: Clip | None, *, online: bool) -> set[str]:
    if clip is None:
        return set()
    names: set[str] = set()
    local_file = bool(clip.path) and Path(clip.path).is_file()
    if local_file or (online and clip.on_service):
        names.add("play")
    if clip.spec is not None:
        names.add("reuse")
    if local_file:
        names |= {"save_as", "open_folder"}
    if online and clip.on_service:
        names |= {"redownload", "archive", "share"}
    if clip.public_url:
        names.add("copy_link")
    return names


def _slug(text: str) -> str:
    return re.sub(r"[^\w-]+", "-", text.casefold()).strip("-")[:40] or "clip"


class LibraryTab(QWidget):
    """Every clip, searchable, with play / reuse / save / re-download / archive / share (see module doc)."""

    playRequested = Signal(str, str, str)
    reuseRequested = Signal(object)
    titleEdited = Signal(str, str)
    statusChanged = Signal(str)

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        grabber: FrameGrabber | None = None,
        open_url: OpenUrl | None = None,
        confirm: Confirm | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("LibraryTab")
        self.setAccessibleName("Library")
        self._grabber = grabber or FrameGrabber(self, width=192)
        self._open_url: OpenUrl = open_url or QDesktopServices.openUrl
        self._confirm: Confirm = confirm or self._ask_yes_no
        self._question: tuple[QMessageBox, QAbstractButton, Callable[[bool], None]] | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._client: Any = None
        self._capabilities: CapabilitiesLike | None = None
        self._output_dir: Path | None = None
        self._file_pages: AsyncIterator[Page[StorageFile]] | None = None
        self._execution_pages: AsyncIterator[Page[ToolExecution]] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._search_task: asyncio.Task[Any] | None = None
        self._thumbnail_slots = asyncio.Semaphore(THUMBNAIL_FETCHES_AT_ONCE)
        self._saver = SaveAs(self, self._show_status)
        self._generation = 0  # bumps when the service changes: late answers for an old one are dropped

        self.model = LibraryModel(self, still=self._grabber.still)
        self.proxy = LibraryFilter(self)
        self.proxy.setSourceModel(self.model)
        self._build_ui()
        self._connect()
        self._update_actions()

    # ------------------------------------------------------------------ UI
    def _build_ui(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)

        top = QHBoxLayout()
        self.search_edit = QLineEdit()
        self.search_edit.setAccessibleName("Search clips")
        self.search_edit.setPlaceholderText("Search titles, presenters and scripts…")
        self.search_edit.setClearButtonEnabled(True)
        top.addWidget(self.search_edit, 1)
        layout.addLayout(top)

        self.toolbar = QToolBar("Library actions")
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toolbar.setIconSize(QSize(16, 16))
        icon = self.style().standardIcon
        sp = QStyle.StandardPixmap
        self.play_action = self._action("Play", icon(sp.SP_MediaPlay), "Play in the large player", self.play)
        self.reuse_action = self._action(
            "Reuse script",
            icon(sp.SP_FileDialogContentsView),
            "Fill the editor with this clip's script, presenter, voice and options",
            self.reuse,
        )
        self.save_as_action = self._action(
            "Save as…", icon(sp.SP_DialogSaveButton), "Save a copy of the video", self.save_as
        )
        self.open_folder_action = self._action(
            "Open folder", icon(sp.SP_DirOpenIcon), "Show the video in your file manager", self.open_folder
        )
        self.redownload_action = self._action(
            "Download again", icon(sp.SP_ArrowDown), "Download the video from VideoGen again", self.redownload
        )
        self.share_action = self._action(
            "Share link", icon(sp.SP_DriveNetIcon), "Public link on/off (copied when on)", self.toggle_share
        )
        self.share_action.setCheckable(True)
        self.copy_link_action = self._action(
            "Copy link", icon(sp.SP_FileLinkIcon), "Copy the public link to the clipboard", self.copy_link
        )
        self.archive_action = self._action(
            "Archive", icon(sp.SP_TrashIcon), "Archive the file on VideoGen", self.archive
        )
        self.refresh_action = self._action(
            "Refresh", icon(sp.SP_BrowserReload), "Read the list again", self.refresh
        )
        self.refresh_action.setShortcut(QKeySequence.StandardKey.Refresh)
        self.refresh_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        for action in (self.play_action, self.reuse_action, self.save_as_action, self.open_folder_action):
            self.toolbar.addAction(action)
        self.toolbar.addSeparator()
        for action in (self.redownload_action, self.share_action, self.copy_link_action, self.archive_action):
            self.toolbar.addAction(action)
        self.toolbar.addSeparator()
        self.toolbar.addAction(self.refresh_action)
        self.addActions([*self._row_actions(), self.refresh_action])
        layout.addWidget(self.toolbar)

        self.table = QTableView()
        self.table.setAccessibleName("Clips")
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.EditKeyPressed | QAbstractItemView.EditTrigger.SelectedClicked
        )
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.setIconSize(QSize(96, 54))
        self.table.setWordWrap(False)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(62)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(Column.TITLE, QHeaderView.ResizeMode.Stretch)
        header.resizeSection(Column.PRESENTER, 150)
        header.resizeSection(Column.DURATION, 80)
        header.resizeSection(Column.DATE, 150)
        header.resizeSection(Column.WHERE, 170)

        self.empty_label = QLabel(
            "<p style='font-size:large'><b>No clips yet</b></p>"
            "<p>Finished renders and the videos on your VideoGen account appear here.</p>"
        )
        self.empty_label.setTextFormat(Qt.TextFormat.RichText)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.table)
        self.stack.addWidget(self.empty_label)
        layout.addWidget(self.stack, 1)

        self.status_label = QLabel()
        self.status_label.setAccessibleName("Library status")
        self.status_label.setWordWrap(True)
        self.status_label.setTextFormat(Qt.TextFormat.PlainText)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.status_label)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)

    def _action(self, text: str, icon: QIcon, tip: str, slot: Callable[..., None]) -> QAction:
        action = QAction(icon, text, self)
        action.setToolTip(tip)
        action.setStatusTip(tip)
        action.triggered.connect(slot)
        return action

    def _row_actions(self) -> list[QAction]:
        return [
            self.play_action,
            self.reuse_action,
            self.save_as_action,
            self.open_folder_action,
            self.redownload_action,
            self.share_action,
            self.copy_link_action,
            self.archive_action,
        ]

    def _connect(self) -> None:
        self.table.selectionModel().selectionChanged.connect(self._update_actions)
        self.table.doubleClicked.connect(self._on_double_click)
        self.table.customContextMenuRequested.connect(self._show_context_menu)
        proxy = self.proxy
        for sig in (proxy.rowsInserted, proxy.rowsRemoved, proxy.modelReset, self.model.dataChanged):
            sig.connect(self._update_actions)
        self.model.fetchMoreRequested.connect(self._fetch_more)
        self.model.thumbnailWanted.connect(self._thumbnail_wanted)
        self.model.titleEdited.connect(self.titleEdited)
        self._grabber.stillReady.connect(self.model.still_ready)
        self.search_edit.textChanged.connect(self._on_search_text)
        self._search_timer.timeout.connect(self._search_service)

    # ------------------------------------------------------------------ local renders
    def attach(self, queue: QueueLike) -> None:
        """List the queue's finished renders and follow its events (replaces an earlier queue)."""
        self.detach()
        self.model.upsert(c for c in map(clip_from_job, queue.jobs()) if c is not None)
        self._unsubscribe = queue.subscribe(self._on_job_event)

    def detach(self) -> None:
        if self._unsubscribe is not None:
            unsubscribe, self._unsubscribe = self._unsubscribe, None
            unsubscribe()

    def _on_job_event(self, event: JobEventLike) -> None:
        jobs = getattr(event, "jobs", None) or (event.job,)
        for job in jobs:
            if event.kind == "removed":
                self._forget_job(job.job_id)
                continue
            clip = clip_from_job(job)
            if clip is not None:  # only finished renders belong here; cheap for the rest of a burst
                self.model.upsert([clip])

    def _forget_job(self, job_id: str) -> None:
        for clip in self.model.clips():
            if clip.job_id != job_id:
                continue
            if clip.on_service and clip.origin == "both":  # the service still keeps it
                self.model.replace(
                    dataclasses.replace(clip, origin="service", job_id="", spec=None, created_at=None)
                )
            else:
                self.model.remove(clip.key)

    # ------------------------------------------------------------------ service history
    def set_service(
        self,
        client: Any,
        *,
        capabilities: CapabilitiesLike | None = None,
        output_dir: str | Path | None = None,
    ) -> None:
        """Read the account's history from this client (the first page now, more as the list scrolls)."""
        self.clear_service()
        self._client = client
        self._capabilities = capabilities
        if output_dir:
            self._output_dir = Path(output_dir)
        self._start_pages()

    def clear_service(self) -> None:
        """Forget the service (disconnected): its rows go, local renders stay."""
        self._generation += 1
        self._cancel_tasks()
        self._client = None
        self._file_pages = self._execution_pages = None
        self.model.set_more_available(False)
        self.model.set_fetching(False)
        for clip in self.model.clips():
            if clip.origin == "service":
                self.model.remove(clip.key)
        self._update_actions()

    def refresh(self) -> None:
        if self._client is not None:
            self.set_service(self._client, capabilities=self._capabilities)

    def _start_pages(self) -> None:
        client = self._client
        self._file_pages = aiter(client.iter_file_pages(page_size=PAGE_SIZE))
        history = self._capabilities is None or self._capabilities.has_history
        self._execution_pages = aiter(client.iter_execution_pages(page_size=PAGE_SIZE)) if history else None
        self.model.set_more_available(True)
        self.model.set_fetching(True)
        self._show_status("Reading your clips on VideoGen…")
        self._spawn(self._load_page(self._generation))

    def _fetch_more(self) -> None:
        if self._client is not None:
            self._show_status("Reading more clips…")
            self._spawn(self._load_page(self._generation))

    async def _load_page(self, generation: int) -> None:
        files, executions = self._file_pages, self._execution_pages
        try:
            file_page, execution_page = await asyncio.gather(
                _next_page(files), self._next_execution_page(executions)
            )
        except VideoGenError as exc:
            if generation == self._generation:
                self.model.set_fetching(False)
                self._show_status(wording.describe_error(exc, prefix="Could not read your clips"), error=True)
            return
        if generation != self._generation:
            return
        clips: list[Clip] = []
        if execution_page is not None:
            for execution in execution_page.items:
                clips.extend(clips_from_execution(execution))
        if file_page is not None:
            clips.extend(c for c in map(clip_from_file, file_page.items) if c is not None)
        if file_page is None or not file_page.has_more:
            self._file_pages = None
        if execution_page is None or not execution_page.has_more:
            self._execution_pages = None
        more = self._file_pages is not None or self._execution_pages is not None
        self.model.upsert(clips)
        self.model.set_more_available(more)
        self.model.set_fetching(False)
        service = sum(1 for c in self.model.clips() if c.on_service)
        note = (
            ""
            if self._capabilities is None or self._capabilities.has_history
            else (" This service keeps no list of past renders; its files are shown.")
        )
        plural = "s" if service != 1 else ""
        self._show_status(f"{service} clip{plural} on VideoGen{' so far' if more else ''}.{note}")
        if more:
            # The view asks for more only when rows were inserted; a page of speech or image files, or of
            # files already listed, inserts none. Ask on its behalf while the last row is still in sight.
            QTimer.singleShot(0, self._fetch_if_room)

    def _fetch_if_room(self) -> None:
        if not self.model.canFetchMore(QModelIndex()):
            return
        last = self.proxy.rowCount() - 1
        if last < 0 or self.table.viewport().rect().intersects(
            self.table.visualRect(self.proxy.index(last, 0))
        ):
            self.model.fetchMore(QModelIndex())

    async def _next_execution_page(
        self, pages: AsyncIterator[Page[ToolExecution]] | None
    ) -> Page[ToolExecution] | None:
        try:
            return await _next_page(pages)
        except VideoGenError as exc:
            if exc.kind in ("not_found", "permission", "invalid_parameters"):
                # No executions list on this service (generation A): files alone then.
                self._execution_pages = None
                return None
            raise

    # ------------------------------------------------------------------ search
    def search(self, text: str) -> None:
        self.search_edit.setText(text)

    def _on_search_text(self, text: str) -> None:
        self.proxy.set_text(text)
        if self._search_task is not None:
            self._search_task.cancel()
            self._search_task = None
        can_search = self._capabilities is None or self._capabilities.has_file_search
        if text.strip() and self._client is not None and can_search:
            self._search_timer.start()
        else:
            self._search_timer.stop()

    def _search_service(self) -> None:
        text = self.search_edit.text().strip()
        if text and self._client is not None:
            self._search_task = self._spawn(self._run_search(text, self._generation))

    async def _run_search(self, text: str, generation: int) -> None:
        try:
            results = await self._client.search_files(text, num_results=SEARCH_RESULTS)
        except VideoGenError as exc:
            if generation == self._generation:
                self._show_status(wording.describe_error(exc, prefix="VideoGen's search failed"), error=True)
            return
        if generation != self._generation or self.search_edit.text().strip() != text:
            return
        clips = [c for c in (clip_from_file(r.file) for r in results) if c is not None]
        self.model.upsert(clips)
        self.proxy.set_service_matches(c.key for c in clips)
        self._show_status(f"VideoGen's search found {len(clips)} video{'s' if len(clips) != 1 else ''}.")

    # ------------------------------------------------------------------ thumbnails
    def _thumbnail_wanted(self, key: str) -> None:
        clip = self.model.clip(key)
        if clip is None:
            return
        if clip.path and Path(clip.path).is_file():
            self._grabber.request(clip.path)
        elif clip.on_service and self._client is not None:
            self._spawn(self._fetch_thumbnail(clip, self._generation))

    async def _fetch_thumbnail(self, clip: Clip, generation: int) -> None:
        async with self._thumbnail_slots:
            try:
                url = clip.thumbnail_url
                if not url:
                    # Plain lists carry no signed URLs; hydrating only the rows on screen keeps this cheap.
                    file = await self._client.get_hydrated_file(clip.file_id)
                    source = file.thumbnail_source
                    url = source.url if source is not None and source.url else ""
                if not url:
                    return
                data = await self._client.fetch_public(url, max_bytes=2_000_000)
            except VideoGenError as exc:
                log.info("No thumbnail for %s: %s", clip.file_id, exc)
                return
        if generation == self._generation:
            self.model.set_thumbnail(clip.key, QImage.fromData(data))

    # ------------------------------------------------------------------ selection and actions
    def selected_clip(self) -> Clip | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        clip = rows[0].data(CLIP_ROLE)
        return clip if isinstance(clip, Clip) else None

    def select_key(self, key: str) -> bool:
        row = self.model.row_of(key)
        if row < 0:
            return False
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        if not index.isValid():
            return False
        self.table.selectRow(index.row())
        self.table.scrollTo(index)
        return True

    def _clip_for(self, action: str) -> Clip | None:
        clip = self.selected_clip()
        return clip if action in available_actions(clip, online=self._client is not None) else None

    def _update_actions(self, *_: object) -> None:
        self.stack.setCurrentWidget(self.table if self.proxy.rowCount() else self.empty_label)
        clip = self.selected_clip()
        names = available_actions(clip, online=self._client is not None)
        self.play_action.setEnabled("play" in names)
        self.reuse_action.setEnabled("reuse" in names)
        self.reuse_action.setToolTip(
            "Fill the editor with this clip's script, presenter, voice and options"
            if clip is None or clip.spec is not None
            else "Only renders made in this app remember their script, presenter and voice"
        )
        self.save_as_action.setEnabled("save_as" in names)
        self.open_folder_action.setEnabled("open_folder" in names)
        self.redownload_action.setEnabled("redownload" in names)
        self.archive_action.setEnabled("archive" in names)
        self.share_action.setEnabled("share" in names)
        self.share_action.blockSignals(True)
        self.share_action.setChecked(clip is not None and clip.public_preview)
        self.share_action.blockSignals(False)
        self.copy_link_action.setEnabled("copy_link" in names)

    def play(self, *_: object) -> None:
        clip = self._clip_for("play")
        if clip is None:
            return
        subtitle = " · ".join(
            part for part in (clip.presenter, format_date(clip.created_at) if clip.created_at else "") if part
        )
        if clip.path and Path(clip.path).is_file():
            self.playRequested.emit(clip.path, clip.title, subtitle)
        else:
            self._spawn(self._play_from_service(clip, subtitle, self._generation))

    async def _play_from_service(self, clip: Clip, subtitle: str, generation: int) -> None:
        self._show_status(f"Opening “{clip.title}” from VideoGen…")
        try:
            file = await self._client.get_hydrated_file(clip.file_id)
        except VideoGenError as exc:
            self._show_status(wording.describe_error(exc, prefix="Could not open the clip"), error=True)
            return
        if generation != self._generation:
            return
        source = next(
            (s for s in (file.download_source, file.preview_source) if s is not None and s.url), None
        )
        if source is None:
            self._show_status("VideoGen has no playable version of this clip yet.", error=True)
            return
        self._show_status("")
        self.playRequested.emit(source.url or "", clip.title, subtitle or "On VideoGen")

    def reuse(self, *_: object) -> None:
        clip = self._clip_for("reuse")
        if clip is not None and clip.spec is not None:
            self.reuseRequested.emit(clip.spec)

    def save_as(self, *_: object) -> None:
        clip = self._clip_for("save_as")
        if clip is None:
            return
        self._saver.ask(Path(clip.path))

    def open_folder(self, *_: object) -> None:
        clip = self._clip_for("open_folder")
        if clip is not None:
            self._show_status(open_folder(Path(clip.path).parent, self._open_url), error=True)

    def redownload(self, *_: object) -> None:
        clip = self._clip_for("redownload")
        if clip is None:
            return
        if clip.path:
            target = Path(clip.path)
        else:
            folder = self._output_dir or Path.home()
            target = folder / f"{_slug(clip.title)}-{clip.file_id}.mp4"
        self._spawn(self._redownload(clip, target, self._generation))

    async def _redownload(self, clip: Clip, target: Path, generation: int) -> None:
        self._show_status(f"Downloading “{clip.title}”…")
        try:
            await asyncio.to_thread(target.parent.mkdir, parents=True, exist_ok=True)
            await self._client.download_file(clip.file_id, target)
        except (VideoGenError, OSError) as exc:
            self._show_status(wording.describe_error(exc, prefix="Download failed"), error=True)
            return
        if generation == self._generation:
            current = self.model.clip(clip.key) or clip
            self.model.replace(dataclasses.replace(current, path=str(target)))
            self._update_actions()
        self._show_status(f"Downloaded to {target}")

    def archive(self, *_: object) -> None:
        clip = self._clip_for("archive")
        if clip is None:
            return
        key = clip.key

        def answered(yes: bool) -> None:
            current = self.model.clip(key)
            if yes and current is not None and self._client is not None:
                self._spawn(self._archive(current, self._generation))

        self._confirm(
            self,
            "Archive this clip on VideoGen?",
            f"“{clip.title}” will be archived on VideoGen and its share link stops working."
            + (" The copy on this computer stays." if clip.path else ""),
            answered,
        )

    async def _archive(self, clip: Clip, generation: int) -> None:
        try:
            await self._client.archive_file(clip.file_id)
        except VideoGenError as exc:
            self._show_status(wording.describe_error(exc, prefix="Could not archive"), error=True)
            return
        if generation != self._generation:
            return
        if clip.is_local:
            self.model.replace(
                dataclasses.replace(clip, origin="local", file_id="", public_preview=False, public_url="")
            )
        else:
            self.model.remove(clip.key)
        self._show_status(f"Archived “{clip.title}” on VideoGen.")
        self._update_actions()

    def toggle_share(self, *_: object) -> None:
        clip = self._clip_for("share")
        if clip is not None:
            self._spawn(self._set_shared(clip, not clip.public_preview, self._generation))

    async def _set_shared(self, clip: Clip, on: bool, generation: int) -> None:
        try:
            if on:
                file = await self._client.enable_public_preview(clip.file_id)
            else:
                file = await self._client.disable_public_preview(clip.file_id)
        except VideoGenError as exc:
            self._show_status(wording.describe_error(exc, prefix="Could not change sharing"), error=True)
            self._update_actions()
            return
        if generation != self._generation:
            return
        current = self.model.clip(clip.key) or clip
        url = public_url_of(file) if on else ""
        self.model.replace(dataclasses.replace(current, public_preview=on, public_url=url))
        self._update_actions()
        if not on:
            self._show_status(f"“{clip.title}” is no longer shared.")
        elif url:
            QGuiApplication.clipboard().setText(url)
            self._show_status(f"Public link copied to the clipboard: {url}")
        else:
            self._show_status("Sharing is on, but VideoGen gave no link yet. Try Refresh in a moment.")

    def copy_link(self, *_: object) -> None:
        clip = self._clip_for("copy_link")
        if clip is not None:
            QGuiApplication.clipboard().setText(clip.public_url)
            self._show_status(f"Public link copied to the clipboard: {clip.public_url}")

    def _on_double_click(self, index: QModelIndex) -> None:
        if index.column() != Column.TITLE or not self.model.flags(self.proxy.mapToSource(index)) & (
            Qt.ItemFlag.ItemIsEditable
        ):
            self.play()

    def _show_context_menu(self, pos: QPoint) -> None:
        index = self.table.indexAt(pos)
        if not index.isValid():
            return
        self.table.selectRow(index.row())
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.addActions([self.play_action, self.reuse_action, self.save_as_action, self.open_folder_action])
        menu.addSeparator()
        menu.addActions(
            [self.redownload_action, self.share_action, self.copy_link_action, self.archive_action]
        )
        menu.popup(self.table.viewport().mapToGlobal(pos))

    # ------------------------------------------------------------------ plumbing
    def _ask_yes_no(self, parent: QWidget, title: str, text: str, on_answer: Callable[[bool], None]) -> None:
        box = QMessageBox(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.NoButton, parent)
        yes = box.addButton("Archive", QMessageBox.ButtonRole.AcceptRole)
        no = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(no)
        box.setEscapeButton(no)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._question = (box, yes, on_answer)
        box.finished.connect(self._question_answered)  # bound method: see queue_panel._ask_yes_no
        box.open()

    def _question_answered(self, _result: int) -> None:
        if self._question is not None:
            box, yes, on_answer = self._question
            self._question = None
            on_answer(box.clickedButton() is yes)

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            log.error("Library task failed", exc_info=exc)
            with contextlib.suppress(RuntimeError):  # the tab may be gone
                self._show_status(wording.describe_error(exc, prefix="Something went wrong"), error=True)

    def _cancel_tasks(self) -> None:
        for task in list(self._tasks):
            task.cancel()

    async def aclose(self) -> None:
        """Stop following the queue and cancel every network task (await before the client closes)."""
        self.detach()
        tasks = list(self._tasks)
        self._generation += 1
        self._cancel_tasks()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    def pending_tasks(self) -> int:
        return len(self._tasks)

    def _show_status(self, text: str, *, error: bool = False) -> None:
        self.status_label.setText(text)
        self.status_label.setStyleSheet(f"color: {error_color(self)};" if error and text else "")
        self.statusChanged.emit(text)


async def _next_page[T](pages: AsyncIterator[Page[T]] | None) -> Page[T] | None:
    if pages is None:
        return None
    try:
        return await anext(pages)
    except StopAsyncIteration:
        return None


__all__ = ["LibraryTab", "available_actions"]
