"""The main window's frame: pages, the queue panel, menus, banner and status bar. Behaviour lives in the
controllers (`ui/control/`); the parts inside the frame belong to the gallery, editor, queue, player and
library modules.

+--[ Create | Result | Library ]-----------------------------------------+
| banner                                                                 |
| Create:  presenter gallery (grid + detail)  |  script editor + Render  |
| Result:  the finished clip, large (detach / full screen)               |
| Library: every clip                                                    |
+------------------------------------------------------------------------+
| render queue (dock: collapsible, movable to the side, floatable)       |
+------------------------------------------------------------------------+

Works from 1024×640 up: every pane sits in a scroll area, so no child's minimum size can push the window
beyond the screen (or make it grow when a panel appears); the Render action is window-wide (Ctrl+Enter) and
the editor's Render button stays at its bottom.

Start-up (issue 11): `MainWindow(qsettings=…, skeleton=True)` paints the frame with placeholders at once;
`build_gallery()` then inserts the presenter gallery alone (the cached cards come first), and `build_parts()`
the rest (editor, queue, player, library: httpx and QtMultimedia). The classic constructor
`MainWindow(thumbnails, favorites, qsettings, output_dir=…)` builds everything immediately.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, QRectF, QSettings, QSize, Qt, Signal
from PySide6.QtGui import QCloseEvent, QGuiApplication, QPainter, QPaintEvent, QPalette, QPen, QShowEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QTabBar,
    QVBoxLayout,
    QWidget,
)

from ..api.enums import WatermarkMode
from .actions import ActionRegistry
from .banner import Banner

if TYPE_CHECKING:
    from .gallery.model import FavoritesStore
    from .gallery.thumbnails import ThumbnailCache

#: Smallest window the layout is designed for (issue 9, defect 1).
MIN_WIDTH, MIN_HEIGHT = 1024, 640
DEFAULT_SIZE = QSize(1440, 920)
PAGES = ("create", "result", "library")
PAGE_TITLES = {"create": "Create", "result": "Result", "library": "Library"}
LAYOUT_VERSION = 2  # bump when the saved splitter/dock state no longer fits the layout


class Pane(QFrame):
    """A rounded card in the palette's base colour, painted here rather than with a style sheet: a sheet on
    the window would put Qt's style-sheet style in front of every child, which then draws progress-bar
    text in the plain text colour on the highlight (unreadable in dark mode) and ignores the app style."""

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        painter.setPen(QPen(palette.color(QPalette.ColorRole.Mid), 1))
        painter.setBrush(palette.color(QPalette.ColorRole.Base))
        painter.drawRoundedRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5), 8, 8)
        painter.end()


def _section(title: str, body: QWidget, *, scroll: bool = True) -> QFrame:
    """A titled pane: a small bold heading above the widget, which scrolls rather than forcing a size."""
    box = Pane()
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
    layout.addWidget(scrolling(body) if scroll else body, 1)
    return box


def scrolling(body: QWidget) -> QScrollArea:
    """`body` in a frameless scroll area: it gets all the room there is, and scrolls when there is less
    than its minimum (so its minimum never reaches the window)."""
    area = QScrollArea()
    area.setObjectName("paneScroll")
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
    area.setWidget(body)
    area.setMinimumSize(120, 80)
    # Transparent: the pane's card shows through (no style sheet, see Pane).
    area.viewport().setAutoFillBackground(False)
    area.setAutoFillBackground(False)
    body.setAutoFillBackground(False)
    return area


def _placeholder(text: str) -> QLabel:
    label = QLabel(text)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setWordWrap(True)
    label.setObjectName("placeholder")
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
    return label


class MainWindow(QMainWindow):
    #: Emitted from closeEvent (after the user agreed); the controller shuts the session down and then
    #: calls `finish_close()`.
    closeRequested = Signal()
    #: The parts (gallery, editor, queue, player, library) are in place.
    partsReady = Signal()
    #: Current page changed ("create" | "result" | "library").
    pageChanged = Signal(str)

    def __init__(
        self,
        thumbnails: ThumbnailCache | None = None,
        favorites: FavoritesStore | None = None,
        qsettings: QSettings | None = None,
        *,
        output_dir: str = "",
        default_watermark: str = WatermarkMode.AUTO,  # not widgets.watermark: it loads every API model
        default_temporary: bool = False,
        skeleton: bool = False,
    ) -> None:
        super().__init__()
        self.setWindowTitle("VideoGen Studio")
        self.setObjectName("MainWindow")
        self._qsettings = qsettings if qsettings is not None else QSettings()
        self._closing_allowed = False
        self._layout_restored = False
        self._sized_once = False
        #: Asked before closing (e.g. "a render is running — quit anyway?"); returns True to go on.
        self.confirm_close: Any = None
        self._part_args: dict[str, Any] = dict(
            thumbnails=thumbnails,
            favorites=favorites,
            output_dir=output_dir,
            default_watermark=default_watermark,
            default_temporary=default_temporary,
        )
        self.gallery: Any = None
        self.editor: Any = None
        self.queue_panel: Any = None
        self.player: Any = None
        self.library: Any = None
        self.results: Any = None

        self.banner = Banner()
        self.registry = ActionRegistry(self)
        self._build_frame()
        self._build_status_bar()
        self.registry.build_menus(self.menuBar())
        self._connect_frame_actions()
        self._set_parts_enabled(False)
        self.setMinimumSize(MIN_WIDTH * 3 // 4, MIN_HEIGHT * 3 // 4)
        self._initial_size()
        self._restore_layout()
        if not skeleton:
            self.build_parts()

    # ------------------------------------------------------------------------------------------ frame
    def _build_frame(self) -> None:
        self.tab_bar = QTabBar()
        self.tab_bar.setObjectName("pageTabs")
        self.tab_bar.setDocumentMode(True)
        self.tab_bar.setExpanding(False)
        self.tab_bar.setDrawBase(False)
        self.tab_bar.setAccessibleName("Pages")
        for i, page in enumerate(PAGES):
            self.tab_bar.addTab(PAGE_TITLES[page])
            self.tab_bar.setTabToolTip(i, f"{PAGE_TITLES[page]} (Ctrl+{i + 1})")
        self.pages = QStackedWidget()
        self.pages.setObjectName("pages")

        self.create_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.create_splitter.setObjectName("createSplitter")
        self.create_splitter.setChildrenCollapsible(False)
        self.create_splitter.setHandleWidth(6)
        self._gallery_slot = _section("Presenters", _placeholder("Loading presenters…"), scroll=False)
        self._editor_slot = _section("Script", _placeholder(""), scroll=False)
        self.create_splitter.addWidget(self._gallery_slot)
        self.create_splitter.addWidget(self._editor_slot)
        self.create_splitter.setStretchFactor(0, 3)
        self.create_splitter.setStretchFactor(1, 2)
        self._result_slot = _section("Result", _placeholder("Your finished clips open here."), scroll=False)
        self._library_slot = _section(
            "Library", _placeholder("Every clip you make appears here."), scroll=False
        )
        for widget in (self.create_splitter, self._result_slot, self._library_slot):
            self.pages.addWidget(widget)
        self.tab_bar.currentChanged.connect(self._on_tab)

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(8, 4, 8, 0)
        layout.setSpacing(6)
        layout.addWidget(self.tab_bar)
        layout.addWidget(self.banner)
        layout.addWidget(self.pages, 1)
        self.setCentralWidget(central)

        self.queue_dock = QDockWidget("Render queue", self)
        self.queue_dock.setObjectName("queueDock")
        self.queue_dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetClosable
            | QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
        )
        self.queue_dock.setAllowedAreas(
            Qt.DockWidgetArea.BottomDockWidgetArea
            | Qt.DockWidgetArea.RightDockWidgetArea
            | Qt.DockWidgetArea.LeftDockWidgetArea
        )
        self.queue_dock.setWidget(_placeholder("No renders yet."))
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.queue_dock)

    def _build_status_bar(self) -> None:
        self.mode_label = QLabel()
        self.mode_label.setAccessibleName("Connection")
        self.rate_label = QLabel()
        self.rate_label.setAccessibleName("Rate limit")
        self.rate_label.hide()
        self.statusBar().addPermanentWidget(self.rate_label)
        self.statusBar().addPermanentWidget(self.mode_label)

    def _connect_frame_actions(self) -> None:
        a = self.registry
        a["quit"].triggered.connect(self.close)
        a["page_create"].triggered.connect(self.go_create)
        a["page_result"].triggered.connect(self.go_result)
        a["page_library"].triggered.connect(self.go_library)
        a["focus_queue"].triggered.connect(self.focus_queue)
        a["focus_script"].triggered.connect(self.focus_script)
        a["toggle_queue"].setChecked(True)
        a["toggle_queue"].toggled.connect(self.queue_dock.setVisible)
        self.queue_dock.visibilityChanged.connect(self._sync_queue_toggle)

    # Old attribute names (used by older callers and tests).
    @property
    def account_action(self) -> Any:
        return self.registry["account"]

    @property
    def settings_action(self) -> Any:
        return self.registry["settings"]

    @property
    def render_action(self) -> Any:
        return self.registry["render"]

    @property
    def reload_action(self) -> Any:
        return self.registry["reload"]

    # ------------------------------------------------------------------------------------------ parts
    def set_part_args(self, **kwargs: Any) -> None:
        """What `build_parts` needs (thumbnails, favorites, output_dir, default_watermark, default_temporary)
        when the window was made as a skeleton."""
        self._part_args.update(kwargs)

    @property
    def parts_built(self) -> bool:
        """True once `build_parts` put every part in place (the gallery alone may come first)."""
        return self.editor is not None

    def build_gallery(self) -> None:
        """Import and insert the presenter gallery alone: start-up shows the cached cards before the other
        parts are imported (issue 11)."""
        if self.gallery is not None:
            return
        from .gallery.view import PresenterGallery

        thumbnails, favorites = self._part_args["thumbnails"], self._part_args["favorites"]
        if thumbnails is None or favorites is None:
            raise ValueError("the gallery needs the thumbnail cache and the favorites store")
        self.gallery = PresenterGallery(thumbnails, favorites)
        self._replace_body(self._gallery_slot, self.gallery, scroll=False)  # the grid scrolls itself

    def build_parts(self) -> None:
        """Import and insert the gallery (unless it is there), editor, queue panel, player and library."""
        if self.parts_built:
            return
        self.build_gallery()
        from .player import ClipPlayer
        from .queue_panel import QueuePanel
        from .script_editor import ScriptEditor

        args = self._part_args
        thumbnails = args["thumbnails"]
        qs = self._qsettings
        self.editor = ScriptEditor(
            load=lambda key: qs.value(f"draft/{key}"),
            save=lambda key, value: qs.setValue(f"draft/{key}", value),
            output_dir=args["output_dir"],
            default_watermark=args["default_watermark"],
            default_temporary=args["default_temporary"],
        )
        self.queue_panel = QueuePanel(thumbnail=thumbnails.pixmap)
        if hasattr(self.queue_panel, "model") and hasattr(self.queue_panel.model, "thumbnail_ready"):
            thumbnails.thumbnailReady.connect(self.queue_panel.model.thumbnail_ready)
        self.results = self._make_result_view()
        self.player = self.results.player if self.results is not None else ClipPlayer()
        self.library = self._make_library()

        self._replace_body(self._editor_slot, self.editor, scroll=True)
        self._pin_editor_actions()
        self._replace_body(self._result_slot, self.results or self.player, scroll=True)
        if self.library is not None:
            self._replace_body(self._library_slot, self.library, scroll=True)
        self.queue_dock.setWidget(scrolling(self.queue_panel))

        a = self.registry
        a["fullscreen"].triggered.connect((self.results or self.player).toggle_fullscreen)
        a["preview"].triggered.connect(self.editor.request_preview)
        a["render"].triggered.connect(self.editor.request_render)
        if self.results is not None and hasattr(self.results, "toggle_detached"):
            a["detach_player"].triggered.connect(self.results.toggle_detached)
        else:
            a["detach_player"].setEnabled(False)
            a["detach_player"].setToolTip("Not available yet")
        self._set_parts_enabled(True)
        self.partsReady.emit()

    def _pin_editor_actions(self) -> None:
        """Keep Preview and Render under the scrolling editor, always in sight (issue 9, defect 1).

        The editor may offer its own bar (`action_bar`); otherwise its validation text and two buttons are
        moved into a footer of the Script pane (their signals stay connected to the editor)."""
        bar = getattr(self.editor, "action_bar", None)
        if bar is None:
            parts: list[Any] = [
                getattr(self.editor, n, None) for n in ("validation_label", "preview_button", "render_button")
            ]
            if any(p is None for p in parts):
                return
            bar = QWidget()
            bar.setObjectName("editorActions")
            row = QHBoxLayout(bar)
            row.setContentsMargins(0, 4, 0, 0)
            label, preview, render = parts
            row.addWidget(label, 1)
            row.addWidget(preview)
            row.addWidget(render)
        layout = self._editor_slot.layout()
        assert layout is not None
        layout.addWidget(bar)
        self.editor_actions = bar

    @staticmethod
    def _make_result_view() -> Any:
        try:
            from .results.view import ResultView
        except ImportError:
            return None
        return ResultView()

    def _make_library(self) -> QWidget | None:
        try:
            from .library.tab import LibraryTab
        except ImportError:
            return None
        try:
            return LibraryTab()
        except TypeError:  # its constructor wants services: the controller builds it once connected
            return None

    def set_library(self, library: QWidget) -> None:
        """Put the library tab in place (its constructor may need the session)."""
        self.library = library
        self._replace_body(self._library_slot, library, scroll=False)

    def set_result_view(self, view: QWidget) -> None:
        """Replace the plain player on the Result page with a richer result view (variations)."""
        self.results = view
        self._replace_body(self._result_slot, view, scroll=False)

    @staticmethod
    def _replace_body(section: QFrame, body: QWidget, *, scroll: bool) -> None:
        layout = section.layout()
        assert layout is not None
        item = layout.itemAt(1) if layout.count() > 1 else None
        old = item.widget() if item is not None else None
        widget = scrolling(body) if scroll else body
        if old is not None:
            layout.replaceWidget(old, widget)
            old.hide()
            old.deleteLater()
        else:
            layout.addWidget(widget)
        if isinstance(layout, QVBoxLayout):
            layout.setStretchFactor(widget, 1)

    def _set_parts_enabled(self, on: bool) -> None:
        for key in ("preview", "render", "fullscreen", "reload"):
            self.registry[key].setEnabled(on)

    def set_connected(self, connected: bool) -> None:
        """While disconnected nothing can be rendered or previewed."""
        for key in ("preview", "render", "reload"):
            self.registry[key].setEnabled(connected and self.editor is not None)
        if not connected and self.editor is not None and hasattr(self.editor, "render_button"):
            self.editor.render_button.setEnabled(False)

    # ------------------------------------------------------------------------------------------ pages
    def current_page(self) -> str:
        return PAGES[self.pages.currentIndex()]

    def show_page(self, page: str) -> None:
        index = PAGES.index(page)
        self.tab_bar.setCurrentIndex(index)  # -> _on_tab

    def _on_tab(self, index: int) -> None:
        self.pages.setCurrentIndex(index)
        self.pageChanged.emit(PAGES[index])

    def go_create(self) -> None:
        self.show_page("create")
        if self.gallery is not None:
            self._focus(getattr(self.gallery, "focus_target", lambda: self.gallery)())

    def focus_script(self) -> None:
        self.show_page("create")
        if self.editor is not None:
            self._focus(getattr(self.editor, "script_edit", self.editor))

    def go_result(self) -> None:
        self.show_page("result")
        if self.results is not None:
            self._focus(self.results)
        elif self.player is not None:
            self._focus(self.player)

    def go_library(self) -> None:
        self.show_page("library")
        if self.library is not None:
            self._focus(self.library)

    def focus_queue(self) -> None:
        self.queue_dock.show()
        self.queue_dock.raise_()
        if self.queue_panel is not None:
            table = getattr(self.queue_panel, "table", None)
            self._focus(table if table is not None and table.isVisible() else self.queue_panel)

    @staticmethod
    def _focus(widget: QWidget | None) -> None:
        """Give focus to `widget` or, if it takes none itself, to its first visible focusable child."""
        if widget is None:
            return
        if widget.focusPolicy() != Qt.FocusPolicy.NoFocus and widget.isVisible():
            widget.setFocus(Qt.FocusReason.ShortcutFocusReason)
            return
        for child in widget.findChildren(QWidget):
            if child.isVisible() and child.isEnabled() and child.focusPolicy() & Qt.FocusPolicy.TabFocus:
                child.setFocus(Qt.FocusReason.ShortcutFocusReason)
                return
        # Nothing focusable inside (e.g. an empty queue): focus the visible pane itself.
        if widget.focusPolicy() == Qt.FocusPolicy.NoFocus:
            widget.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        widget.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def _sync_queue_toggle(self, *_: object) -> None:
        # isHidden(), not the signal's argument: minimizing the window also reports "not visible".
        action = self.registry["toggle_queue"]
        shown = not self.queue_dock.isHidden()
        if action.isChecked() != shown:
            action.blockSignals(True)
            action.setChecked(shown)
            action.blockSignals(False)

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
    def _initial_size(self) -> None:
        """The default size, shrunk to the screen's free area (laptops: 1366×768, 1280×720, 2× scaling)."""
        screen = self.screen() or QGuiApplication.primaryScreen()
        size = QSize(DEFAULT_SIZE)
        if screen is not None:
            free = screen.availableGeometry()
            size = size.boundedTo(QSize(free.width() - 16, free.height() - 48))
        self.resize(size.expandedTo(self.minimumSize()))

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._layout_restored and not self._sized_once:
            # First start: the queue panel takes about a fifth of the height, the editor ~40 % of the width.
            self._sized_once = True
            self.resizeDocks([self.queue_dock], [max(140, self.height() // 5)], Qt.Orientation.Vertical)
            width = max(2, self.create_splitter.width())
            self.create_splitter.setSizes([width * 57 // 100, width * 43 // 100])

    def _restore_layout(self) -> None:
        qs = self._qsettings
        geometry = qs.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
            self._fit_to_screen()
        try:
            version = int(qs.value("window/layout_version", 0))  # type: ignore[call-overload]
        except (TypeError, ValueError):
            version = 0
        if version != LAYOUT_VERSION:
            return  # a layout from an older version: its splitter/dock states mean something else
        self._layout_restored = True
        state = qs.value("window/state")
        if isinstance(state, QByteArray):
            self.restoreState(state, LAYOUT_VERSION)
            self._sync_queue_toggle()
        split = qs.value("window/create_splitter")
        if isinstance(split, QByteArray):
            self.create_splitter.restoreState(split)
        with contextlib.suppress(TypeError, ValueError):
            self.tab_bar.setCurrentIndex(int(qs.value("window/page", 0)))  # type: ignore[call-overload]

    def _fit_to_screen(self) -> None:
        """A size saved on a bigger screen must not put Render off this one."""
        screen = self.screen() or QGuiApplication.primaryScreen()
        if screen is None:
            return
        free = screen.availableGeometry()
        if self.width() > free.width() or self.height() > free.height():
            self.resize(min(self.width(), free.width()), min(self.height(), free.height()))

    def save_layout(self) -> None:
        qs = self._qsettings
        qs.setValue("window/geometry", self.saveGeometry())
        qs.setValue("window/state", self.saveState(LAYOUT_VERSION))
        qs.setValue("window/create_splitter", self.create_splitter.saveState())
        qs.setValue("window/page", self.pages.currentIndex())
        qs.setValue("window/layout_version", LAYOUT_VERSION)
        if self.editor is not None:
            self.editor.save_draft()
        qs.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._closing_allowed:
            event.accept()
            return
        event.ignore()
        if self.confirm_close is not None and not self.confirm_close():
            return
        # Shut the session down asynchronously first (stop polling, close HTTP, stop the sandbox).
        self.save_layout()
        self.hide()
        self.closeRequested.emit()

    def finish_close(self) -> None:
        self._closing_allowed = True
        self.close()
