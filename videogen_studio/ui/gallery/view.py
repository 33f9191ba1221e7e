"""The presenter gallery widget: filter bar, card grid, empty/loading/error states and a detail pane.

It only renders performers (catalog `Performer`s — presenters or ACTOR entities — or bare `AvatarPresenter`s;
it does not care which). Images come from the shared `ThumbnailCache`; the detail pane (`detail.py`) plays
the preview clip in the still's place.

`PresenterGallery(thumbnails, favorites=None, parent=None)`
Signals:
    presenterSelected(object) / performerSelected(object): the pick changed (the performer object given).
    presenterActivated(object): double-click or Enter on a card ("use this one": focus the script).
    retryRequested(): the error page's Retry.
Methods / slots:
    await load_catalog(catalog): `catalog.cached()` painted at once, then `catalog.pages()` page by page
        (first page painted as it arrives); errors propagate — then `show_error(text)` if not `is_loaded()`.
    set_performers(list) (= set_presenters), append_performers(page), show_loading(text), show_error(text),
    select_presenter(id) -> bool, selected_presenter(), name_of(performer | id) -> str, clear_filters(),
    is_loaded(), current_page() -> "grid" | "empty" | "loading" | "error".
Attributes H6 may reach: `detail` (set_presenter(None) stops the clip at shutdown), `model`, `list_view`.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Sequence
from typing import Any, cast

from PySide6.QtCore import (
    QEvent,
    QItemSelection,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QFont,
    QKeyEvent,
    QKeySequence,
    QPaintEvent,
    QPalette,
    QResizeEvent,
    QShortcut,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ... import milestones
from . import items
from .covers import CoverKey
from .delegate import PresenterDelegate, card_width
from .detail import PresenterDetailPane, gallery_icon
from .model import FavoritesStore, JsonFavoritesStore, PresenterFilterProxy, PresenterListModel, Role
from .thumbnails import ThumbnailCache

__all__ = ["PresenterGallery"]

_PAGE_GRID, _PAGE_EMPTY, _PAGE_LOADING, _PAGE_ERROR = range(4)
LIST_PADDING = 6  # plus the card's own 6 px margin: 12 px, like the filter bar
#: A dirty region of more rects than this is painted as one (its bounding rect), as QListView would.
MAX_SEPARATE_PAINTS = 8

GENDER_CHOICES = (("All genders", "ALL"), ("Female", "FEMALE"), ("Male", "MALE"), ("Neutral", "NEUTRAL"))


class _GalleryListView(QListView):
    """QListView in icon mode with the gallery's keys: Enter/Space select, F toggles the favorite."""

    favoriteKeyPressed = Signal(QModelIndex)
    activatedByKey = Signal(QModelIndex)

    def __init__(self, delegate: PresenterDelegate, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._delegate = delegate
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setMovement(QListView.Movement.Static)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(True)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setUniformItemSizes(True)
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(48)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setSelectionRectVisible(False)
        self.setDragEnabled(False)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setMouseTracking(True)  # hover states on cards
        self.viewport().setAttribute(Qt.WidgetAttribute.WA_Hover, True)
        self.setItemDelegate(delegate)
        # Covers come back from workers in batches (at most one per frame): repaint just the cards that
        # were drawn without them, not the whole viewport per cover.
        delegate.covers.coversReady.connect(self._repaint_cards_of)
        self.verticalScrollBar().setSingleStep(24)  # pixel scrolling: a wheel notch moves ~3 lines of text
        self.setSpacing(0)  # the delegate's cells already include the gutter
        self.setViewportMargins(LIST_PADDING, LIST_PADDING, 0, 0)  # cards line up with the filter bar

    def dataChanged(
        self,
        top_left: QModelIndex | QPersistentModelIndex,
        bottom_right: QModelIndex | QPersistentModelIndex,
        roles: Sequence[int] = (),
    ) -> None:
        # A picture arrived for a visible card: its cover is started now and the card repaints when the
        # cover lands (one repaint per card instead of two: unsmoothed picture, then cover).
        if Role.Thumbnail in roles and top_left == bottom_right:
            rect = self.visualRect(top_left)
            if rect.intersects(self.viewport().rect()):
                side = card_width(rect.width())  # the cover is as wide as the card (`card_rect`)
                if self._delegate.prepare_cover(top_left, QSize(side, side), self.devicePixelRatioF()):
                    return
        super().dataChanged(top_left, bottom_right, roles)

    def _repaint_cards_of(self, keys: list[CoverKey]) -> None:
        viewport = self.viewport()
        area = viewport.rect()
        for persistent in self._delegate.take_waiting(keys):
            if persistent.isValid():
                rect = self.visualRect(self.model().index(persistent.row(), 0))
                if rect.intersects(area):
                    viewport.update(rect)

    def paintEvent(self, event: QPaintEvent) -> None:
        # QListView paints every card inside the bounding rect of the dirty region: a cover landing at the top
        # while a strip scrolls in at the bottom would repaint the whole viewport (issue 11: the worst stalls
        # were such 9-12-card repaints). Each dirty rect is painted on its own instead; a card straddling two
        # is painted twice, which costs less than painting every card between them.
        region = event.region()
        rects = region.rectCount()
        if rects <= 1 or rects > MAX_SEPARATE_PAINTS:
            super().paintEvent(event)
            return
        for rect in cast("Iterable[QRect]", region):  # a QRegion iterates over its rects (not in the stubs)
            super().paintEvent(QPaintEvent(rect))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        plain = not (event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier)
        current = self.currentIndex()
        if plain and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space) and current.isValid():
            self.selectionModel().select(current, self.selectionModel().SelectionFlag.ClearAndSelect)
            self.activatedByKey.emit(current)
            event.accept()
            return
        if plain and key == Qt.Key.Key_F and current.isValid():
            self.favoriteKeyPressed.emit(current)
            event.accept()
            return
        super().keyPressEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._spread_columns()
        super().resizeEvent(event)
        self._delegate.fit_caches(self.viewport().size(), self.devicePixelRatioF())

    def _spread_columns(self) -> None:
        # Whole columns of cards that grow to fill the row, instead of fixed cards and a ragged right gap.
        # The scrollbar's width is always reserved, so its appearing cannot re-trigger this (no resize loop).
        extent = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent, None, self)
        # -2: QListView wraps as soon as a cell would touch the viewport's last pixel column.
        available = self.width() - 2 * self.frameWidth() - extent - LIST_PADDING - 2
        cell = self._delegate.grid_cell(available, self.font())
        if self.gridSize() != cell:
            self.setGridSize(cell)


class PresenterGallery(QWidget):
    """Browse, filter and pick a performer; `presenterSelected` fires whenever the pick changes."""

    presenterSelected = Signal(object)  # the performer object as given (Performer or AvatarPresenter)
    performerSelected = Signal(object)  # the same, under the catalog's name
    presenterActivated = Signal(object)  # double-click or Enter: "use this one"
    retryRequested = Signal()

    def __init__(
        self,
        thumbnails: ThumbnailCache,
        favorites: FavoritesStore | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("PresenterGallery")
        self.setAccessibleName("Presenter gallery")
        self._thumbnails = thumbnails
        self._selected_id: str | None = None
        self._loaded = False
        self._restructuring = False
        self._replace_on_next_page = True
        self._appending = False

        self.model = PresenterListModel(
            favorites if favorites is not None else JsonFavoritesStore(), thumbnails, self
        )
        self.proxy = PresenterFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.delegate = PresenterDelegate(self)

        self._build_filter_bar()
        self._build_pages()
        self.detail = PresenterDetailPane(thumbnails)
        self.detail.setMinimumWidth(200)  # at 1024×640 the grid still gets two columns

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self._pages)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 0)
        splitter.setSizes([700, 230])
        self.splitter = splitter

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self._filter_bar)
        separator = QFrame()
        separator.setFrameShape(QFrame.Shape.HLine)
        separator.setFrameShadow(QFrame.Shadow.Plain)
        separator.setStyleSheet("color: palette(mid);")
        layout.addWidget(separator)
        layout.addWidget(splitter, 1)

        self._connect()
        self.show_loading()

    # -- construction ------------------------------------------------------------------------------------

    def _build_filter_bar(self) -> None:
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText("Search presenters")
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.setAccessibleName("Search presenters")
        self.search_edit.addAction(gallery_icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.search_edit.setMinimumWidth(180)
        self.search_edit.setMaximumWidth(440)

        self.gender_combo = QComboBox()
        self.gender_combo.setAccessibleName("Gender filter")
        for label, value in GENDER_CHOICES:
            self.gender_combo.addItem(label, value)

        self.favorites_button = QToolButton()
        self.favorites_button.setText("Favorites")
        self.favorites_button.setCheckable(True)
        self.favorites_button.setIcon(gallery_icon("star-filled"))
        self.favorites_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.favorites_button.setAccessibleName("Show favorites only")
        self.favorites_button.setToolTip("Show favorites only")

        self.count_label = QLabel()
        self.count_label.setAccessibleName("Presenter count")
        self.count_label.setStyleSheet("color: palette(placeholder-text);")

        bar = QWidget()
        row = QHBoxLayout(bar)
        row.setContentsMargins(12, 10, 12, 10)
        row.setSpacing(8)
        row.addWidget(self.search_edit, 1)
        row.addWidget(self.gender_combo)
        row.addWidget(self.favorites_button)
        row.addStretch(0)
        row.addSpacing(8)
        row.addWidget(self.count_label)
        # One height for the whole row, whatever each control's style hint says.
        height = self.search_edit.sizeHint().height()
        for control in (self.gender_combo, self.favorites_button):
            control.setFixedHeight(height)
        self._filter_bar = bar

    def _build_pages(self) -> None:
        self.list_view = _GalleryListView(self.delegate)
        self.list_view.setAccessibleName("Presenters")
        # Cards sit on the window colour; the delegate paints them in the base colour.
        self.list_view.viewport().setBackgroundRole(QPalette.ColorRole.Window)
        self.list_view.viewport().setAutoFillBackground(True)

        self.empty_label = self._headline()
        self.empty_label.setAccessibleName("No matching presenters")
        self.clear_filters_button = QPushButton("Clear filters")
        self.clear_filters_button.setAccessibleName("Clear filters")
        empty = self._centered(self.empty_label, self.clear_filters_button)

        self.loading_label = self._headline("Loading presenters…")
        self.loading_label.setAccessibleName("Loading presenters")
        self.loading_bar = QProgressBar()
        self.loading_bar.setRange(0, 0)  # indeterminate
        self.loading_bar.setTextVisible(False)
        self.loading_bar.setFixedWidth(200)
        self.loading_bar.setMaximumHeight(6)
        self.loading_bar.setAccessibleName("Loading")
        loading = self._centered(self.loading_label, self.loading_bar)

        self.error_title = self._headline("Couldn't load presenters")
        self.error_title.setAccessibleName("Couldn't load presenters")
        self.error_label = QLabel()
        self.error_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.error_label.setWordWrap(True)
        self.error_label.setTextFormat(Qt.TextFormat.PlainText)  # server text is never rendered as HTML
        self.error_label.setStyleSheet("color: palette(placeholder-text);")
        self.error_label.setAccessibleName("Error details")
        self.retry_button = QPushButton("Retry")
        self.retry_button.setAccessibleName("Retry loading presenters")
        self.retry_button.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_BrowserReload))
        error = self._centered(self.error_title, self.error_label, self.retry_button)

        self._pages = QStackedWidget()
        for page in (self.list_view, empty, loading, error):
            self._pages.addWidget(page)

    def _headline(self, text: str = "") -> QLabel:
        label = QLabel(text)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setWordWrap(True)
        label.setTextFormat(Qt.TextFormat.PlainText)
        font = QFont(self.font())
        font.setPointSizeF(self.font().pointSizeF() + 2)
        font.setWeight(QFont.Weight.DemiBold)
        label.setFont(font)
        return label

    @staticmethod
    def _centered(*widgets: QWidget) -> QWidget:
        """Labels (full width, centred text) and a final control, centred as a group on the page."""
        page = QWidget()
        page.setAutoFillBackground(True)
        page.setBackgroundRole(QPalette.ColorRole.Window)
        column = QVBoxLayout(page)
        column.setContentsMargins(32, 24, 32, 24)
        column.setSpacing(8)
        column.addStretch(1)
        *labels, control = widgets
        # Full-width labels: a word-wrapped label given only its size hint gets clipped.
        for label in labels:
            column.addWidget(label)
        column.addSpacing(8)
        column.addWidget(control, 0, Qt.AlignmentFlag.AlignHCenter)
        column.addStretch(1)
        return page

    def _connect(self) -> None:
        self.search_edit.textChanged.connect(self.proxy.set_search_text)
        self.gender_combo.currentIndexChanged.connect(
            lambda _i: self.proxy.set_gender_filter(str(self.gender_combo.currentData()))
        )
        self.favorites_button.toggled.connect(self.proxy.set_favorites_only)
        self.clear_filters_button.clicked.connect(self.clear_filters)
        self.retry_button.clicked.connect(self.retryRequested)

        # When a filter hides the selected card, QListView moves the selection to a neighbour. That is not
        # the user's choice, so selection changes during proxy restructuring are ignored. These handlers are
        # connected *before* the view gets the model, so they run before the view's own.
        for about_to in (
            self.proxy.rowsAboutToBeRemoved,
            self.proxy.rowsAboutToBeInserted,
            self.proxy.layoutAboutToBeChanged,
            self.proxy.modelAboutToBeReset,
        ):
            about_to.connect(self._before_proxy_change)
        self.list_view.setModel(self.proxy)
        for done in (
            self.proxy.rowsRemoved,
            self.proxy.rowsInserted,
            self.proxy.layoutChanged,
            self.proxy.modelReset,
            self.proxy.filtersChanged,
        ):
            done.connect(self._after_proxy_change)

        # Defect 14: no re-sorting under the pointer; starred cards move once the pointer leaves the grid.
        self.list_view.viewport().installEventFilter(self)
        self.list_view.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self.list_view.favoriteKeyPressed.connect(self._toggle_favorite_at)
        self.list_view.activatedByKey.connect(self._on_activated)
        self.list_view.doubleClicked.connect(self._on_activated)

        self.model.favoriteChanged.connect(self._on_favorite_changed)
        self.detail.favoriteToggled.connect(self.model.set_favorite)

        find = QShortcut(QKeySequence(QKeySequence.StandardKey.Find), self)
        find.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        find.activated.connect(lambda: self.search_edit.setFocus(Qt.FocusReason.ShortcutFocusReason))

    # -- public API --------------------------------------------------------------------------------------

    def stop_thumbnails(self) -> None:
        """At shutdown: cancel thumbnail loads and pending retries (their timers would outlive the loop)."""
        self._thumbnails.close()

    def set_presenters(self, presenters: Iterable[Any]) -> None:
        """Show these performers (the whole list). A selection whose id is still present survives."""
        self._loaded = True
        self._replace_on_next_page = False
        self.model.set_presenters(presenters)
        self._forget_vanished_selection()
        self._after_proxy_change()

    set_performers = set_presenters

    def append_performers(self, page: Iterable[Any]) -> None:
        """Add one page. The first page after `show_loading()` replaces the list and is painted at once."""
        if self._replace_on_next_page:
            self.set_presenters(page)
            return
        self._loaded = True
        self._appending = True  # pages arriving must not yank the grid back to the selection
        try:
            self.model.append_performers(page)
            self._after_proxy_change()
        finally:
            self._appending = False

    async def load_catalog(self, catalog: Any) -> int:
        """Fill from a `pipeline.catalog.Catalog`: its cached list at once, then the service page by page.

        With a cached list on screen, fresh pages are collected and swapped in when the walk completes
        (selection and scroll position survive); without one, every page is painted as it arrives. Errors
        propagate with whatever was painted left in place: call `show_error` if `is_loaded()` is False.
        Returns the number of performers from the service.
        """
        cached = catalog.cached()
        if inspect.isawaitable(cached):
            cached = await cached
        cached = list(cached or ())
        if cached:
            self.set_presenters(cached)
        elif not self._loaded:
            self.show_loading()
        pages = catalog.pages()
        if inspect.isawaitable(pages):
            pages = await pages
        fresh: list[Any] = []
        async for page in pages:
            fresh.extend(page)
            if not cached:
                self.append_performers(page)
        if cached or not fresh:
            self.set_presenters(fresh)
        return len(fresh)

    def name_of(self, performer: Any) -> str:
        """The name the gallery shows for a performer (or a performer id)."""
        return self.model.name_of(performer)

    def is_loaded(self) -> bool:
        """True when the grid (or the empty state) shows a list, not the loading or error page."""
        return self._loaded

    def _forget_vanished_selection(self) -> None:
        if self._selected_id is not None and not self.model.index_of(self._selected_id).isValid():
            self._selected_id = None
            self.detail.set_presenter(None)

    def show_loading(self, message: str = "Loading presenters…") -> None:
        self._loaded = False
        self._replace_on_next_page = True
        self.loading_label.setText(message)
        self._pages.setCurrentIndex(_PAGE_LOADING)
        self._update_count()

    def show_error(self, message: str) -> None:
        self._loaded = False
        self.error_label.setText(message)
        self._pages.setCurrentIndex(_PAGE_ERROR)
        focus = QApplication.focusWidget()
        if focus is not None and self.isAncestorOf(focus):  # never pull focus away from another panel
            self.retry_button.setFocus(Qt.FocusReason.OtherFocusReason)
        self._update_count()

    def selected_presenter(self) -> Any:
        if self._selected_id is None:
            return None
        index = self.model.index_of(self._selected_id)
        return self.model.presenter_at(index.row()) if index.isValid() else None

    def select_presenter(self, presenter_id: str) -> bool:
        """Select by id (also while filtered out: it is re-selected once visible). False if unknown."""
        source = self.model.index_of(presenter_id)
        if not source.isValid():
            return False
        self._set_selected(presenter_id)
        self._sync_view_selection()
        return True

    def clear_filters(self) -> None:
        self.search_edit.clear()
        self.gender_combo.setCurrentIndex(0)
        self.favorites_button.setChecked(False)
        self.proxy.clear_filters()

    def current_page(self) -> str:
        return ("grid", "empty", "loading", "error")[self._pages.currentIndex()]

    # -- selection ---------------------------------------------------------------------------------------

    def _on_selection_changed(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        # Selections that vanish because a filter hid the card are ignored: the choice is "sticky".
        indexes = selected.indexes()
        if indexes and not self._restructuring:
            self._set_selected(str(indexes[0].data(Role.Id)))

    def _set_selected(self, presenter_id: str) -> None:
        if presenter_id == self._selected_id:
            return
        self._selected_id = presenter_id
        presenter = self.selected_presenter()
        self.detail.set_presenter(
            presenter, self.model.is_favorite(presenter_id), self.model.name_of(presenter)
        )
        if presenter is not None:
            self.presenterSelected.emit(presenter)
            self.performerSelected.emit(presenter)

    def _sync_view_selection(self, scroll: bool = True) -> None:
        if self._selected_id is None:
            return
        proxy_index = self.proxy.mapFromSource(self.model.index_of(self._selected_id))
        selection = self.list_view.selectionModel()
        if not proxy_index.isValid():
            selection.clearSelection()  # drop the neighbour the view picked; the detail pane keeps the choice
            return
        if not selection.isSelected(proxy_index) or self.list_view.currentIndex() != proxy_index:
            selection.setCurrentIndex(proxy_index, selection.SelectionFlag.ClearAndSelect)
        if scroll:
            self.list_view.scrollTo(proxy_index)

    def _on_activated(self, index: QModelIndex) -> None:
        presenter = index.data(Role.Presenter)
        if presenter is not None:
            self._set_selected(items.performer_id(presenter))
            self.presenterActivated.emit(presenter)

    # -- favorites ---------------------------------------------------------------------------------------

    def _toggle_favorite_at(self, index: QModelIndex) -> None:
        presenter_id = index.data(Role.Id)
        if presenter_id:
            self.model.toggle_favorite(str(presenter_id))

    def _on_favorite_changed(self, presenter_id: str, favorite: bool) -> None:
        if presenter_id == self._selected_id:
            self.detail.set_favorite(favorite)

    # -- state pages -------------------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.list_view.viewport():
            if event.type() == QEvent.Type.Paint and milestones.enabled():
                self._trace_frame()
            if event.type() == QEvent.Type.Enter:
                self.model.hold_order(True)
            elif event.type() in (QEvent.Type.Leave, QEvent.Type.Hide):
                self.model.hold_order(False)
        return super().eventFilter(watched, event)

    def _trace_frame(self) -> None:
        """Benchmarks only: the first frame with cards, then the first with every visible card's picture."""
        if self.proxy.rowCount() == 0:
            return
        QTimer.singleShot(0, lambda: milestones.mark("cards-visible"))  # after this paint is handled
        area = self.list_view.viewport().rect()
        for row in range(self.proxy.rowCount()):
            index = self.proxy.index(row, 0)
            if not self.list_view.visualRect(index).intersects(area):
                continue
            url = index.data(Role.ThumbnailUrl)
            if url and self._thumbnails.cached(url) is None:
                return  # a placeholder is painted in this frame
        QTimer.singleShot(0, lambda: milestones.mark("thumbnails-visible"))

    def _before_proxy_change(self, *_args: object) -> None:
        self._restructuring = True

    def _after_proxy_change(self, *_args: object) -> None:
        self._restructuring = False
        if not self._loaded:
            return
        visible = self.proxy.rowCount()
        if visible:
            self._pages.setCurrentIndex(_PAGE_GRID)
            self._sync_view_selection(scroll=not self._appending)
        else:
            self.empty_label.setText(self._empty_text())
            self.clear_filters_button.setVisible(self.proxy.has_active_filter())
            self._pages.setCurrentIndex(_PAGE_EMPTY)
        self._update_count()

    def _empty_text(self) -> str:
        if self.model.rowCount() == 0:
            return "No presenters available yet."
        text = self.proxy.search_text().strip()
        if text:
            return f"No presenters match “{text}”"
        if self.proxy.favorites_only() and not self.model.favorites():
            return "No favorites yet. Star a presenter to keep it here."
        return "No presenters match these filters"

    def _update_count(self) -> None:
        total = self.model.rowCount()
        shown = self.proxy.rowCount()
        # Actors carry no gender: a gender filter would only ever empty the grid.
        genders = self.model.has_genders() or self.proxy.gender_filter() != "ALL"
        self.gender_combo.setVisible(genders or not self._loaded)
        if not self._loaded:
            self.count_label.setText("")
        elif shown == total:
            self.count_label.setText(f"{total} presenter{'s' if total != 1 else ''}")
        else:
            self.count_label.setText(f"{shown} of {total}")
