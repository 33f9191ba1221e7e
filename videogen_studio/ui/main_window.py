"""The main window: layout, menus, shortcuts and the status bar. Behaviour lives in `controller.py`.

+-----------------------------------------------+------------------+
| presenter gallery (grid + detail pane)        | script editor    |
+-----------------------------------------------+------------------+
| render queue                                  | clip player      |
+-----------------------------------------------+------------------+
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QMainWindow,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from .banner import Banner
from .gallery.model import FavoritesStore
from .gallery.thumbnails import ThumbnailCache
from .gallery.view import PresenterGallery
from .player import ClipPlayer
from .queue_panel import QueuePanel
from .script_editor import ScriptEditor


def _section(title: str, body: QWidget) -> QWidget:
    """A titled pane: a small bold heading above the widget."""
    box = QFrame()
    box.setObjectName("pane")
    layout = QVBoxLayout(box)
    layout.setContentsMargins(10, 8, 10, 10)
    layout.setSpacing(6)
    heading = QLabel(title)
    heading.setObjectName("paneTitle")
    font = heading.font()
    font.setBold(True)
    font.setPointSizeF(font.pointSizeF() * 1.1)
    heading.setFont(font)
    layout.addWidget(heading)
    layout.addWidget(body, 1)
    return box


class MainWindow(QMainWindow):
    #: Emitted from closeEvent; the controller shuts the session down and then calls `finish_close()`.
    closeRequested = Signal()

    def __init__(
        self,
        thumbnails: ThumbnailCache,
        favorites: FavoritesStore,
        qsettings: QSettings,
        *,
        output_dir: str,
        default_watermark: str = "AUTO",
        default_temporary: bool = False,
    ) -> None:
        super().__init__()
        self.setWindowTitle("VideoGen Studio")
        self.setObjectName("MainWindow")
        self._qsettings = qsettings
        self._closing_allowed = False

        self.banner = Banner()
        self.gallery = PresenterGallery(thumbnails, favorites)
        self.editor = ScriptEditor(
            load=lambda key: qsettings.value(f"draft/{key}"),
            save=lambda key, value: qsettings.setValue(f"draft/{key}", value),
            output_dir=output_dir,
            default_watermark=default_watermark,
            default_temporary=default_temporary,
        )
        self.queue_panel = QueuePanel(thumbnail=thumbnails.pixmap)
        thumbnails.thumbnailReady.connect(self.queue_panel.model.thumbnail_ready)
        self.player = ClipPlayer()

        self.top_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.top_splitter.addWidget(_section("Presenters", self.gallery))
        self.top_splitter.addWidget(_section("Script", self.editor))
        self.top_splitter.setStretchFactor(0, 3)
        self.top_splitter.setStretchFactor(1, 2)
        self.bottom_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.bottom_splitter.addWidget(_section("Render queue", self.queue_panel))
        self.bottom_splitter.addWidget(_section("Preview", self.player))
        self.bottom_splitter.setStretchFactor(0, 3)
        self.bottom_splitter.setStretchFactor(1, 2)
        self.vertical_splitter = QSplitter(Qt.Orientation.Vertical)
        self.vertical_splitter.addWidget(self.top_splitter)
        self.vertical_splitter.addWidget(self.bottom_splitter)
        self.vertical_splitter.setStretchFactor(0, 3)
        self.vertical_splitter.setStretchFactor(1, 2)
        for splitter in (self.top_splitter, self.bottom_splitter, self.vertical_splitter):
            splitter.setChildrenCollapsible(False)
            splitter.setHandleWidth(6)

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(8, 8, 8, 0)
        layout.setSpacing(8)
        layout.addWidget(self.banner)
        layout.addWidget(self.vertical_splitter, 1)
        self.setCentralWidget(central)
        self.setStyleSheet(
            "QFrame#pane { background: palette(base); border: 1px solid palette(mid); border-radius: 8px; }"
        )

        self.mode_label = QLabel()
        self.mode_label.setAccessibleName("Connection")
        self.rate_label = QLabel()
        self.rate_label.setAccessibleName("Rate limit")
        self.rate_label.hide()
        self.statusBar().addPermanentWidget(self.rate_label)
        self.statusBar().addPermanentWidget(self.mode_label)

        self._build_actions()
        self.resize(1440, 920)
        self.top_splitter.setSizes([880, 560])
        self.bottom_splitter.setSizes([880, 560])
        self.vertical_splitter.setSizes([540, 360])
        self._restore_layout()

    # ------------------------------------------------------------------------------------------ actions
    def _build_actions(self) -> None:
        def action(text: str, shortcut: QKeySequence | str | None = None, tip: str = "") -> QAction:
            a = QAction(text, self)
            if shortcut is not None:
                a.setShortcut(QKeySequence(shortcut))
            if tip:
                a.setStatusTip(tip)
            return a

        self.account_action = action("&Account…", None, "Use the offline sandbox or your VideoGen API key")
        self.settings_action = action(
            "&Settings…", QKeySequence.StandardKey.Preferences, "Service, folders, queue"
        )
        self.open_downloads_action = action("Open &downloads folder", "Ctrl+Shift+D")
        self.quit_action = action("&Quit", QKeySequence.StandardKey.Quit)
        self.quit_action.triggered.connect(self.close)
        self.reload_action = action("&Reload presenters and voices", QKeySequence.StandardKey.Refresh)
        self.focus_gallery_action = action("&Presenters", "Ctrl+1")
        self.focus_gallery_action.triggered.connect(lambda: self.gallery.setFocus())
        self.focus_editor_action = action("&Script", "Ctrl+2")
        self.focus_editor_action.triggered.connect(lambda: self.editor.setFocus())
        self.focus_queue_action = action("Render &queue", "Ctrl+3")
        self.focus_queue_action.triggered.connect(lambda: self.queue_panel.setFocus())
        self.fullscreen_action = action("&Full screen player", "F11")
        self.fullscreen_action.triggered.connect(self.player.toggle_fullscreen)
        self.preview_action = action("&Preview voice", "Ctrl+P", "Speak the start of the script")
        self.preview_action.triggered.connect(self.editor.request_preview)
        self.render_action = action(
            "&Render", None, "Queue this script for the chosen presenter (Ctrl+Enter)"
        )
        self.render_action.triggered.connect(self.editor.request_render)
        self.shortcuts_action = action("&Keyboard shortcuts", "F1")
        self.about_action = action("&About VideoGen Studio")

        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        for a in (self.account_action, self.settings_action, self.open_downloads_action):
            file_menu.addAction(a)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        view_menu = bar.addMenu("&View")
        for a in (self.focus_gallery_action, self.focus_editor_action, self.focus_queue_action):
            view_menu.addAction(a)
        view_menu.addSeparator()
        view_menu.addAction(self.fullscreen_action)
        view_menu.addAction(self.reload_action)
        render_menu = bar.addMenu("&Render")
        render_menu.addAction(self.preview_action)
        render_menu.addAction(self.render_action)
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.shortcuts_action)
        help_menu.addAction(self.about_action)

    # ------------------------------------------------------------------------------------------ status
    def set_mode(self, text: str, tooltip: str = "") -> None:
        self.mode_label.setText(text)
        self.mode_label.setToolTip(tooltip)

    def show_status(self, text: str, timeout_ms: int = 6000) -> None:
        self.statusBar().showMessage(text, timeout_ms)

    def set_rate_limit_countdown(self, seconds: int) -> None:
        if seconds > 0:
            self.rate_label.setText(f"⏳ VideoGen asked us to wait — resuming in {seconds} s")
            self.rate_label.show()
        else:
            self.rate_label.hide()

    # ------------------------------------------------------------------------------------------ layout
    def _restore_layout(self) -> None:
        geometry = self._qsettings.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        for name in ("top_splitter", "bottom_splitter", "vertical_splitter"):
            state = self._qsettings.value(f"window/{name}")
            if isinstance(state, QByteArray):
                getattr(self, name).restoreState(state)

    def save_layout(self) -> None:
        self._qsettings.setValue("window/geometry", self.saveGeometry())
        for name in ("top_splitter", "bottom_splitter", "vertical_splitter"):
            self._qsettings.setValue(f"window/{name}", getattr(self, name).saveState())
        self.editor.save_draft()
        self._qsettings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._closing_allowed:
            event.accept()
            return
        # Shut the session down asynchronously first (stop polling, close HTTP, stop the sandbox).
        event.ignore()
        self.save_layout()
        self.hide()
        self.closeRequested.emit()

    def finish_close(self) -> None:
        self._closing_allowed = True
        self.close()
