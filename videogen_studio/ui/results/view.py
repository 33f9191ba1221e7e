"""The result view: a finished render, big, with its variations side by side and the file actions.

For H6 (wiring):
    view = ResultView(grabber=None, open_url=None)   # both optional; parent as usual
    queue_panel.jobFinished.connect(view.show_job)        # opens by itself when a render finishes
    queue_panel.resultRequested.connect(view.show_job)    # Play / double-click on a done row
    library.playRequested.connect(view.show_source)       # (source, title, subtitle) from the Library
    view.shown.connect(<switch to the result page>)       # emitted whenever something new is shown

Methods / slots:
    show_job(job, autoplay=True)     the job's clip(s); several results (`output_paths`) show as a strip of
                                     stills under the player, each playable and saveable
    show_source(source, title="", subtitle="", autoplay=True)   a file path or URL (library, service clips)
    clear()                          back to the placeholder; stops playback (call before shutdown)
    set_detached(bool) / toggle_detached()   the player moves into its own window and back
    toggle_fullscreen()              the video full screen (F11 / double-click in the player too)

Signals:
    shown()                          something new is on screen (switch to this page)
    detachedChanged(bool)
    bestPicked(str job_id, int index, str path)   the user marked one variation as the best

Save as… and Open folder act on the variation on screen: the copy gets normal permissions and the dialog
starts in the output folder (see file_actions.py).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QCloseEvent, QDesktopServices, QIcon, QImage, QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from videogen_studio.pipeline.jobs import JobState, RenderJob

from ..player import ClipPlayer
from ..queue_model import format_duration, job_title
from ..widgets.colors import error_color
from .file_actions import OpenUrl, SaveAs, open_folder
from .frames import FrameGrabber

STILL_SIZE = QSize(128, 72)
PATH_ROLE = Qt.ItemDataRole.UserRole + 1


def result_paths(job: RenderJob) -> list[str]:
    """Every downloaded result of the job, first one first (`output_paths`, else `output_path`)."""
    paths = [p for p in getattr(job, "output_paths", ()) or () if p]
    if not paths and job.output_path:
        paths = [job.output_path]
    return paths


def job_subtitle(job: RenderJob) -> str:
    parts = [job.spec.presenter_name or job.spec.presenter_id]
    parts.append(time.strftime("%d %b %Y, %H:%M", time.localtime(job.created_at)))
    if job.duration_seconds:
        parts.append(format_duration(job.duration_seconds))
    count = len(result_paths(job))
    if count > 1:
        parts.append(f"{count} results — pick the best")
    return " · ".join(parts)


class VariationStrip(QListWidget):
    """Stills of a job's results in a row; the current item is the one in the player."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Results of this render")
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(False)
        self.setMovement(QListView.Movement.Static)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setIconSize(STILL_SIZE)
        self.setSpacing(6)
        self.setUniformItemSizes(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFixedHeight(STILL_SIZE.height() + 40)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_paths(self, paths: Sequence[str]) -> None:
        self.clear()
        blank = QPixmap(STILL_SIZE)
        blank.fill(Qt.GlobalColor.black)
        for index, path in enumerate(paths):
            item = QListWidgetItem(QIcon(blank), f"Result {index + 1}")
            item.setData(PATH_ROLE, path)
            item.setToolTip(path)
            item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter)
            self.addItem(item)

    def set_still(self, path: str, image: QImage) -> None:
        if image.isNull():
            return
        pixmap = QPixmap.fromImage(image).scaled(
            STILL_SIZE, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
        )
        for row in range(self.count()):
            item = self.item(row)
            if item.data(PATH_ROLE) == path:
                item.setIcon(QIcon(pixmap))

    def mark_best(self, row: int) -> None:
        for r in range(self.count()):
            self.item(r).setText(f"★ Result {r + 1} (best)" if r == row else f"Result {r + 1}")


class _DetachedWindow(QWidget):
    """The player's own window; closing it brings the player back."""

    closed = Signal()

    def __init__(self) -> None:
        super().__init__(None, Qt.WindowType.Window)
        self.setObjectName("ResultWindow")
        self.setAccessibleName("Result player window")
        self.body = QVBoxLayout(self)
        self.body.setContentsMargins(6, 6, 6, 6)
        self.resize(960, 640)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.closed.emit()
        super().closeEvent(event)


class ResultView(QWidget):
    """The large result player page (see the module docstring for the API)."""

    shown = Signal()
    detachedChanged = Signal(bool)
    bestPicked = Signal(str, int, str)

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        grabber: FrameGrabber | None = None,
        open_url: OpenUrl | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("ResultView")
        self.setAccessibleName("Result")
        self._grabber = grabber or FrameGrabber(self)
        self._open_url: OpenUrl = open_url or QDesktopServices.openUrl
        self._job: RenderJob | None = None
        self._paths: list[str] = []
        self._source: str = ""  # what the player shows: a local path or a URL
        self._window: _DetachedWindow | None = None
        self._build_ui()
        self._saver = SaveAs(self, self._show_status)
        self._grabber.stillReady.connect(self.strip.set_still)
        self._update_actions()

    # ------------------------------------------------------------------ UI
    def _build_ui(self) -> None:
        self.placeholder = QLabel(
            "<p style='font-size:large'><b>Your finished video appears here</b></p>"
            "<p>When a render finishes it opens on this page by itself.<br>"
            "Double-click a finished render in the queue, or play one from the Library.</p>"
        )
        self.placeholder.setTextFormat(Qt.TextFormat.RichText)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.placeholder.setAccessibleName("No result yet")

        self.stage = QWidget()  # everything that moves into its own window when detached
        self.stage.setObjectName("ResultStage")
        stage = QVBoxLayout(self.stage)
        stage.setContentsMargins(0, 0, 0, 0)
        stage.setSpacing(6)

        header = QHBoxLayout()
        header.setSpacing(6)
        titles = QVBoxLayout()
        titles.setSpacing(0)
        self.title_label = QLabel()
        self.title_label.setAccessibleName("Title")
        self.title_label.setTextFormat(Qt.TextFormat.PlainText)
        font = self.title_label.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.25)
        self.title_label.setFont(font)
        self.title_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.subtitle_label = QLabel()
        self.subtitle_label.setAccessibleName("Details")
        self.subtitle_label.setTextFormat(Qt.TextFormat.PlainText)
        self.subtitle_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        titles.addWidget(self.title_label)
        titles.addWidget(self.subtitle_label)
        header.addLayout(titles, 1)
        self.save_button = QPushButton("Save as…")
        self.save_button.setToolTip("Save a copy of the video on screen")
        self.folder_button = QPushButton("Open folder")
        self.folder_button.setToolTip("Show the video in your file manager")
        self.detach_button = QPushButton("Own window")
        self.detach_button.setToolTip("Play in a window of its own (and back)")
        self.detach_button.setCheckable(True)
        self.fullscreen_button = QPushButton("Full screen")
        self.fullscreen_button.setToolTip("Full screen (F11); Esc leaves it")
        for button in (self.save_button, self.folder_button, self.detach_button, self.fullscreen_button):
            header.addWidget(button)
        stage.addLayout(header)

        self.player = ClipPlayer()
        self.player.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.player.setMinimumSize(320, 200)
        stage.addWidget(self.player, 1)

        strip_row = QHBoxLayout()
        self.strip = VariationStrip()
        strip_row.addWidget(self.strip, 1)
        self.best_button = QPushButton("★ Mark as best")
        self.best_button.setToolTip("Remember this variation as the one you keep")
        strip_row.addWidget(self.best_button, 0, Qt.AlignmentFlag.AlignVCenter)
        self.strip_box = QWidget()
        self.strip_box.setLayout(strip_row)
        strip_row.setContentsMargins(0, 0, 0, 0)
        stage.addWidget(self.strip_box)

        self.status_label = QLabel()
        self.status_label.setAccessibleName("Result status")
        self.status_label.setWordWrap(True)
        self.status_label.setTextFormat(Qt.TextFormat.PlainText)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status_label.hide()
        stage.addWidget(self.status_label)

        self.away = QWidget()  # shown in the page while the player has its own window
        away = QVBoxLayout(self.away)
        away_label = QLabel("The result is playing in its own window.")
        away_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.bring_back_button = QPushButton("Bring it back here")
        away.addStretch(1)
        away.addWidget(away_label)
        away.addWidget(self.bring_back_button, 0, Qt.AlignmentFlag.AlignHCenter)
        away.addStretch(1)

        self.pages = QStackedWidget()
        self.pages.addWidget(self.placeholder)
        self.pages.addWidget(self.stage)
        self.pages.addWidget(self.away)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.pages)

        self.save_button.clicked.connect(self.save_current)
        self.folder_button.clicked.connect(self.open_current_folder)
        self.detach_button.toggled.connect(self.set_detached)
        self.fullscreen_button.clicked.connect(self.toggle_fullscreen)
        self.bring_back_button.clicked.connect(lambda: self.set_detached(False))
        self.best_button.clicked.connect(self._mark_best)
        self.strip.currentRowChanged.connect(self._on_variation)
        self.strip.itemActivated.connect(lambda _item: self.player.play())
        for key in ("F11",):
            shortcut = QShortcut(QKeySequence(key), self.stage)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(self.toggle_fullscreen)

    # ------------------------------------------------------------------ public API
    def show_job(self, job: RenderJob, autoplay: bool = True) -> None:
        """Show a finished job: its first (or only) result plays, the others wait in the strip."""
        paths = result_paths(job)
        self._job = job
        self._paths = paths
        self.title_label.setText(job_title(job))
        self.subtitle_label.setText(job_subtitle(job))
        self.strip.blockSignals(True)
        self.strip.set_paths(paths if len(paths) > 1 else [])
        self.strip.blockSignals(False)
        self.strip_box.setVisible(len(paths) > 1)
        self._show_stage()
        if not paths or job.state != JobState.DONE:
            self.player.clear()
            self._source = ""
            self._show_status("This render has no video yet.", error=True)
        else:
            for path in paths if len(paths) > 1 else []:
                self._grabber.request(path)
            if len(paths) > 1:
                self.strip.blockSignals(True)
                self.strip.setCurrentRow(0)
                self.strip.blockSignals(False)
            self._load(paths[0], autoplay)
        self._update_actions()
        self.shown.emit()

    def show_source(
        self, source: str | Path, title: str = "", subtitle: str = "", autoplay: bool = True
    ) -> None:
        """Show one clip by path or URL (the library's local and service clips)."""
        self._job = None
        self._paths = []
        self.title_label.setText(title or Path(str(source)).name)
        self.subtitle_label.setText(subtitle)
        self.strip.clear()
        self.strip_box.hide()
        self._show_stage()
        self._load(str(source), autoplay)
        self._update_actions()
        self.shown.emit()

    def clear(self) -> None:
        self.set_detached(False)
        self.player.clear()
        self._job = None
        self._paths = []
        self._source = ""
        self.pages.setCurrentWidget(self.placeholder)
        self._update_actions()

    def current_job(self) -> RenderJob | None:
        return self._job

    def current_source(self) -> str:
        return self._source

    def is_detached(self) -> bool:
        return self._window is not None

    def toggle_detached(self) -> None:
        self.set_detached(not self.is_detached())

    def set_detached(self, on: bool) -> None:
        if on == self.is_detached():
            return
        if on:
            window = _DetachedWindow()
            window.setWindowTitle(f"{self.title_label.text() or 'Result'} — VideoGen Studio")
            window.body.addWidget(self.stage)
            self.stage.show()  # the stacked widget it came from had it as a page; pages get hidden
            screen = (self.screen() or window.screen()).availableGeometry()
            window.resize(min(960, screen.width() * 9 // 10), min(640, screen.height() * 9 // 10))
            window.closed.connect(self._window_closed)
            self._window = window
            self.pages.setCurrentWidget(self.away)
            window.show()
            window.raise_()
            window.activateWindow()
        else:
            leaving, self._window = self._window, None
            assert leaving is not None
            leaving.closed.disconnect(self._window_closed)
            self.pages.insertWidget(1, self.stage)
            self.pages.setCurrentWidget(self.stage if self._source or self._job else self.placeholder)
            leaving.close()
            leaving.deleteLater()
        self.detach_button.blockSignals(True)
        self.detach_button.setChecked(on)
        self.detach_button.setText("Back to main window" if on else "Own window")
        self.detach_button.blockSignals(False)
        self.detachedChanged.emit(on)

    def toggle_fullscreen(self) -> None:
        self.player.toggle_fullscreen()

    # ------------------------------------------------------------------ actions
    def current_path(self) -> Path | None:
        """The local file on screen, or None (nothing, or a URL)."""
        if not self._source or "://" in self._source:
            return None
        return Path(self._source)

    def save_current(self) -> None:
        source = self.current_path()
        if source is None:
            return
        if not source.is_file():
            self._show_status(f"The video file is missing: {source}", error=True)
            return
        self._saver.ask(source)

    def open_current_folder(self) -> None:
        source = self.current_path()
        if source is None:
            return
        self._show_status(open_folder(source.parent, self._open_url), error=True)

    def _mark_best(self) -> None:
        row = self.strip.currentRow()
        if self._job is None or row < 0 or row >= len(self._paths):
            return
        self.strip.mark_best(row)
        self.bestPicked.emit(self._job.job_id, row, self._paths[row])
        self._show_status(f"Result {row + 1} marked as the best. Save it with Save as….")

    # ------------------------------------------------------------------ internals
    def _on_variation(self, row: int) -> None:
        if 0 <= row < len(self._paths):
            self._load(self._paths[row], True)
            self._update_actions()

    def _load(self, source: str, autoplay: bool) -> None:
        self._source = source
        self._show_status("")
        if "://" not in source and not Path(source).is_file():
            self.player.clear()
            self._show_status(f"The video file is missing: {source}", error=True)
            return
        self.player.load(source if "://" in source else Path(source), autoplay=autoplay)

    def _show_stage(self) -> None:
        if not self.is_detached():
            self.pages.setCurrentWidget(self.stage)

    def _window_closed(self) -> None:
        self.set_detached(False)

    def _show_status(self, text: str, *, error: bool = False) -> None:
        self.status_label.setText(text)
        self.status_label.setStyleSheet(f"color: {error_color(self)};" if error and text else "")
        self.status_label.setVisible(bool(text))

    def _update_actions(self) -> None:
        local = self.current_path() is not None
        self.save_button.setEnabled(local)
        self.folder_button.setEnabled(local)
        self.fullscreen_button.setEnabled(bool(self._source))
        self.best_button.setEnabled(self._job is not None and len(self._paths) > 1)


__all__ = ["ResultView", "VariationStrip", "job_subtitle", "result_paths"]
