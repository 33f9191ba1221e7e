"""The presenter gallery widget: filter bar, card grid, empty/loading/error states and a detail pane.

It only renders: the caller fetches presenters (through the API client) and hands them to `set_presenters`,
calls `show_loading()` / `show_error()` around that, and listens to `retryRequested`. Images come from the
shared `ThumbnailCache`; the detail pane's preview clip streams from its public URL through QMediaPlayer.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import (
    Q_ARG,
    QEvent,
    QItemSelection,
    QModelIndex,
    QObject,
    QPointF,
    QRectF,
    QSize,
    Qt,
    QTimer,
    QUrl,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QFont,
    QHideEvent,
    QIcon,
    QKeyEvent,
    QKeySequence,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPalette,
    QPen,
    QPixmap,
    QResizeEvent,
    QShortcut,
    QShowEvent,
)
from PySide6.QtMultimedia import QMediaPlayer
from PySide6.QtMultimediaWidgets import QVideoWidget
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
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from videogen_studio.api.models import AvatarPresenter
from videogen_studio.ui.player import invoke_queued

from .delegate import FAVORITE_GOLD, PresenterDelegate, badge_colors, star_path
from .model import (
    FavoritesStore,
    JsonFavoritesStore,
    PresenterFilterProxy,
    PresenterListModel,
    Role,
    friendly_name,
    gender_label,
    short_tag,
)
from .thumbnails import ThumbnailCache, placeholder_pixmap

_PAGE_GRID, _PAGE_EMPTY, _PAGE_LOADING, _PAGE_ERROR = range(4)
LIST_PADDING = 6  # plus the card's own 6 px margin: 12 px, like the filter bar
PREVIEW_MIN_HEIGHT = 96
PREVIEW_MAX_HEIGHT = 180
PREVIEW_DELAY_MS = 250  # arrowing through the grid should not start a stream per card

GENDER_CHOICES = (("All genders", "ALL"), ("Female", "FEMALE"), ("Male", "MALE"), ("Neutral", "NEUTRAL"))


def _icon(draw: str, size: int = 16, color: QColor | None = None) -> QIcon:
    """Small vector icons drawn at 1x and 2x so they stay crisp on high-DPI screens."""
    icon = QIcon()
    ink = color or QColor("#6B7280")
    for scale in (1.0, 2.0):
        pixmap = QPixmap(round(size * scale), round(size * scale))
        pixmap.setDevicePixelRatio(scale)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if draw == "search":
            painter.setPen(QPen(ink, 1.6))
            painter.drawEllipse(QRectF(2.5, 2.5, 8.5, 8.5))
            painter.drawLine(QPointF(10, 10), QPointF(13.5, 13.5))
        elif draw in ("star", "star-filled"):
            path = star_path(QPointF(size / 2, size / 2 + 0.5), size * 0.45, size * 0.19)
            if draw == "star-filled":
                painter.fillPath(path, FAVORITE_GOLD)
            else:
                painter.setPen(QPen(ink, 1.3))
                painter.drawPath(path)
        painter.end()
        icon.addPixmap(pixmap)
    return icon


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
        self.verticalScrollBar().setSingleStep(24)  # pixel scrolling: a wheel notch moves ~3 lines of text
        self.setSpacing(0)  # the delegate's cells already include the gutter
        self.setViewportMargins(LIST_PADDING, LIST_PADDING, 0, 0)  # cards line up with the filter bar

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

    def _spread_columns(self) -> None:
        # Whole columns of cards that grow to fill the row, instead of fixed cards and a ragged right gap.
        # The scrollbar's width is always reserved, so its appearing cannot re-trigger this (no resize loop).
        extent = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent, None, self)
        # -2: QListView wraps as soon as a cell would touch the viewport's last pixel column.
        available = self.width() - 2 * self.frameWidth() - extent - LIST_PADDING - 2
        cell = self._delegate.grid_cell(available, self.font())
        if self.gridSize() != cell:
            self.setGridSize(cell)


class _PortraitView(QWidget):
    """Draws one portrait, scaled to fit and rounded; keeps its aspect via height-for-width."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._pixmap: QPixmap = placeholder_pixmap(256)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setMinimumSize(120, 120)
        self.setMaximumHeight(230)  # leaves the preview clip below room to be seen
        self._scaled: tuple[tuple[int, int, int, float], QPixmap] | None = None

    def set_pixmap(self, pixmap: QPixmap) -> None:
        self._pixmap = pixmap
        self.update()

    def pixmap(self) -> QPixmap:
        return self._pixmap

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        if self._pixmap.isNull() or self._pixmap.width() == 0:
            return width
        return min(self.maximumHeight(), round(width * self._pixmap.height() / self._pixmap.width()))

    def sizeHint(self) -> QSize:
        return QSize(280, self.heightForWidth(280))

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        source = self._pixmap
        bounds = QRectF(self.rect())
        size = QSize(source.width(), source.height()).scaled(
            bounds.size().toSize(), Qt.AspectRatioMode.KeepAspectRatio
        )
        target = QRectF(0, 0, size.width(), size.height())
        target.moveCenter(bounds.center())
        path = QPainterPath()
        path.addRoundedRect(target, 12, 12)
        painter.setClipPath(path)
        dpr = self.devicePixelRatioF()
        key = (source.cacheKey(), size.width(), size.height(), dpr)
        if self._scaled is None or self._scaled[0] != key:  # rescale only when the image or size changes
            scaled = source.scaled(
                size * dpr, Qt.AspectRatioMode.IgnoreAspectRatio, Qt.TransformationMode.SmoothTransformation
            )
            scaled.setDevicePixelRatio(dpr)
            self._scaled = (key, scaled)
        painter.drawPixmap(target.topLeft(), self._scaled[1])


class PresenterDetailPane(QWidget):
    """The selected presenter: large portrait, name, gender, id, and the muted looping preview clip."""

    favoriteToggled = Signal(str, bool)

    def __init__(self, thumbnails: ThumbnailCache, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("PresenterDetailPane")
        self.setAccessibleName("Presenter details")
        # A panel in the base colour sets the details apart from the grid on the window colour.
        self.setBackgroundRole(QPalette.ColorRole.Base)
        self.setAutoFillBackground(True)
        self._thumbnails = thumbnails
        self._presenter: AvatarPresenter | None = None
        self._favorite = False

        self.portrait = _PortraitView()
        self.portrait.setAccessibleName("Presenter portrait")

        self.name_label = QLabel()
        self.name_label.setAccessibleName("Presenter name")
        name_font = QFont(self.font())
        name_font.setPointSizeF(self.font().pointSizeF() + 5)
        name_font.setWeight(QFont.Weight.DemiBold)
        self.name_label.setFont(name_font)
        self.name_label.setWordWrap(True)

        self.favorite_button = QToolButton()
        self.favorite_button.setCheckable(True)
        self.favorite_button.setAutoRaise(True)
        self.favorite_button.setIconSize(QSize(20, 20))
        self.favorite_button.setAccessibleName("Favorite")
        self.favorite_button.toggled.connect(self._on_favorite_clicked)

        self.gender_label = QLabel()
        self.gender_label.setAccessibleName("Presenter gender")
        self.id_label = QLabel()
        self.id_label.setAccessibleName("Presenter id")
        self.id_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        mono.setPointSizeF(self.font().pointSizeF() - 0.5)
        self.id_label.setFont(mono)
        self.id_label.setStyleSheet("color: palette(placeholder-text);")

        caption = QLabel("PREVIEW")
        caption_font = QFont(self.font())
        caption_font.setPointSizeF(self.font().pointSizeF() - 1.5)
        caption_font.setWeight(QFont.Weight.DemiBold)
        caption_font.setLetterSpacing(QFont.SpacingType.PercentageSpacing, 110)
        caption.setFont(caption_font)
        caption.setStyleSheet("color: palette(placeholder-text);")
        caption.setAccessibleName("Preview")

        # The preview has no audio output at all: muted by construction, and no audio device is opened.
        self.video = QVideoWidget()
        self.video.setAccessibleName("Presenter preview clip")
        self.video.setFixedSize(PREVIEW_MIN_HEIGHT, PREVIEW_MIN_HEIGHT)
        self.player = QMediaPlayer(self)
        self.player.setVideoOutput(self.video)
        self.player.setLoops(QMediaPlayer.Loops.Infinite)
        self.player.errorOccurred.connect(self._on_preview_error)
        self.video.videoSink().videoSizeChanged.connect(self._fit_preview)
        self.preview_message = QLabel("No preview clip")
        self.preview_message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview_message.setAccessibleName("Preview status")
        self.preview_message.setStyleSheet("color: palette(placeholder-text);")
        video_page = QWidget()
        video_row = QHBoxLayout(video_page)
        video_row.setContentsMargins(0, 0, 0, 0)
        video_row.addWidget(self.video, 0, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.preview_stack = QStackedWidget()
        self.preview_stack.addWidget(self.preview_message)
        self.preview_stack.addWidget(video_page)
        # Shrinks before anything else when the pane is short; the video is refitted on every resize.
        self.preview_stack.setMinimumHeight(PREVIEW_MIN_HEIGHT)
        self.preview_stack.setMaximumHeight(PREVIEW_MAX_HEIGHT)
        self.preview_stack.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Ignored)
        self.preview_stack.installEventFilter(self)
        self._video_page = video_page
        self._preview_timer = QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.setInterval(PREVIEW_DELAY_MS)
        self._preview_timer.timeout.connect(self._start_preview)

        self.empty_label = QLabel("Select a presenter to see details")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.empty_label.setStyleSheet("color: palette(placeholder-text);")
        self.empty_label.setAccessibleName("No presenter selected")

        title_row = QHBoxLayout()
        title_row.setSpacing(8)
        title_row.addWidget(self.name_label, 1)
        title_row.addWidget(self.favorite_button, 0, Qt.AlignmentFlag.AlignVCenter)
        meta_row = QHBoxLayout()
        meta_row.setSpacing(10)
        meta_row.addWidget(self.gender_label)
        meta_row.addWidget(self.id_label, 1)

        details = QWidget()
        body = QVBoxLayout(details)
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(6)
        body.addWidget(self.portrait)
        body.addSpacing(10)
        body.addLayout(title_row)
        body.addLayout(meta_row)
        body.addSpacing(16)
        body.addWidget(caption, 0, Qt.AlignmentFlag.AlignHCenter)  # centred like the media above and below
        body.addWidget(self.preview_stack, 1)

        self._pages = QStackedWidget()
        self._pages.addWidget(self.empty_label)
        self._pages.addWidget(details)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 16, 18, 16)
        layout.addWidget(self._pages)

        thumbnails.thumbnailReady.connect(self._on_image_ready)
        self._refresh_favorite_button()

    # -- public ------------------------------------------------------------------------------------------

    def presenter(self) -> AvatarPresenter | None:
        return self._presenter

    def set_presenter(
        self, presenter: AvatarPresenter | None, favorite: bool = False, name: str | None = None
    ) -> None:
        same = presenter is not None and self._presenter == presenter
        self._presenter = presenter
        self.set_favorite(favorite)
        if presenter is None:
            self._stop_preview()
            self._pages.setCurrentIndex(0)
            return
        self._pages.setCurrentIndex(1)
        self.name_label.setText(name or friendly_name(presenter))
        self._set_gender(presenter.displayable_gender)
        self.id_label.setText(presenter.avatar_presenter_id)
        self.id_label.setToolTip(f"Presenter id (#{short_tag(presenter.avatar_presenter_id)} on the card)")
        self._show_best_image()
        if not same:
            self._stop_preview()
            if presenter.preview_video_url:
                self.preview_message.setText("Loading preview…")
                self._preview_timer.start()
            else:
                self.preview_message.setText("No preview clip")

    def set_favorite(self, favorite: bool) -> None:
        self._favorite = favorite
        self._refresh_favorite_button()

    # -- preview clip ------------------------------------------------------------------------------------

    def _start_preview(self) -> None:
        if self._presenter is None or not self._presenter.preview_video_url:
            return
        self.preview_stack.setCurrentWidget(self._video_page)
        # Queued, never direct: see invoke_queued for the FFmpeg-teardown deadlock this avoids.
        invoke_queued(self.player, "setSource", Q_ARG(QUrl, QUrl(self._presenter.preview_video_url)))
        if self.isVisible():
            invoke_queued(self.player, "play")

    def _stop_preview(self) -> None:
        self._preview_timer.stop()
        invoke_queued(self.player, "stop")
        invoke_queued(self.player, "setSource", Q_ARG(QUrl, QUrl()))
        self.preview_stack.setCurrentWidget(self.preview_message)

    def _fit_preview(self) -> None:
        # The clip's aspect, as large as the preview area allows: no letterbox bars, never overflowing.
        size = self.video.videoSink().videoSize()
        if not size.isValid() or size.isEmpty():
            size = QSize(1, 1)
        bounds = self.preview_stack.size().boundedTo(QSize(10_000, PREVIEW_MAX_HEIGHT))
        if bounds.width() > 0 and bounds.height() > 0:
            self.video.setFixedSize(size.scaled(bounds, Qt.AspectRatioMode.KeepAspectRatio))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.preview_stack and event.type() == QEvent.Type.Resize:
            self._fit_preview()
        return super().eventFilter(watched, event)

    def _on_preview_error(self, error: QMediaPlayer.Error, message: str) -> None:
        if error != QMediaPlayer.Error.NoError:
            self.preview_message.setText("Preview unavailable")
            self.preview_message.setToolTip(message)
            self.preview_stack.setCurrentWidget(self.preview_message)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.preview_stack.currentWidget() is self._video_page and not self.player.source().isEmpty():
            invoke_queued(self.player, "play")

    def hideEvent(self, event: QHideEvent) -> None:
        # Nobody watches a hidden preview; stop decoding it.
        invoke_queued(self.player, "pause")
        super().hideEvent(event)

    # -- images, gender and favorite ---------------------------------------------------------------------

    def _set_gender(self, gender: str) -> None:
        fill, ink = badge_colors(gender, self.palette())
        self.gender_label.setText(gender_label(gender))
        self.gender_label.setStyleSheet(
            f"background: {fill.name()}; color: {ink.name()}; border-radius: 9px; padding: 2px 9px;"
        )

    def _show_best_image(self) -> None:
        presenter = self._presenter
        if presenter is None:
            return
        pixmap = self._thumbnails.pixmap(presenter.image_url)
        if pixmap is None:  # meanwhile the (already cached) thumbnail, then the placeholder
            pixmap = self._thumbnails.cached(presenter.thumbnail_url) or placeholder_pixmap(256)
        self.portrait.set_pixmap(pixmap)

    def _on_image_ready(self, url: str) -> None:
        if self._presenter is not None and url in (self._presenter.image_url, self._presenter.thumbnail_url):
            self._show_best_image()

    def _on_favorite_clicked(self, checked: bool) -> None:
        if self._presenter is not None and checked != self._favorite:
            self._favorite = checked
            self._refresh_favorite_button()
            self.favoriteToggled.emit(self._presenter.avatar_presenter_id, checked)

    def _refresh_favorite_button(self) -> None:
        self.favorite_button.blockSignals(True)
        self.favorite_button.setChecked(self._favorite)
        self.favorite_button.blockSignals(False)
        self.favorite_button.setIcon(_icon("star-filled" if self._favorite else "star", 20))
        text = "Remove from favorites" if self._favorite else "Add to favorites"
        self.favorite_button.setToolTip(text)
        self.favorite_button.setAccessibleName(text)


class PresenterGallery(QWidget):
    """Browse, filter and pick a presenter; `presenterSelected` fires whenever the pick changes."""

    presenterSelected = Signal(object)  # AvatarPresenter
    presenterActivated = Signal(object)  # AvatarPresenter: double-click or Enter, "use this one"
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

        self.model = PresenterListModel(
            favorites if favorites is not None else JsonFavoritesStore(), thumbnails, self
        )
        self.proxy = PresenterFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.delegate = PresenterDelegate(self)

        self._build_filter_bar()
        self._build_pages()
        self.detail = PresenterDetailPane(thumbnails)
        self.detail.setMinimumWidth(260)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self._pages)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 0)
        splitter.setSizes([640, 320])
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
        self.search_edit.addAction(_icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.search_edit.setMinimumWidth(180)
        self.search_edit.setMaximumWidth(440)

        self.gender_combo = QComboBox()
        self.gender_combo.setAccessibleName("Gender filter")
        for label, value in GENDER_CHOICES:
            self.gender_combo.addItem(label, value)

        self.favorites_button = QToolButton()
        self.favorites_button.setText("Favorites")
        self.favorites_button.setCheckable(True)
        self.favorites_button.setIcon(_icon("star-filled"))
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

    def set_presenters(self, presenters: Iterable[AvatarPresenter]) -> None:
        """Show these presenters. A selection whose id is still present survives the refresh."""
        self._loaded = True
        self.model.set_presenters(presenters)
        if self._selected_id is not None and not self.model.index_of(self._selected_id).isValid():
            self._selected_id = None
            self.detail.set_presenter(None)
        self._after_proxy_change()

    def show_loading(self, message: str = "Loading presenters…") -> None:
        self._loaded = False
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

    def selected_presenter(self) -> AvatarPresenter | None:
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

    def _sync_view_selection(self) -> None:
        if self._selected_id is None:
            return
        proxy_index = self.proxy.mapFromSource(self.model.index_of(self._selected_id))
        selection = self.list_view.selectionModel()
        if not proxy_index.isValid():
            selection.clearSelection()  # drop the neighbour the view picked; the detail pane keeps the choice
            return
        if not selection.isSelected(proxy_index) or self.list_view.currentIndex() != proxy_index:
            selection.setCurrentIndex(proxy_index, selection.SelectionFlag.ClearAndSelect)
        self.list_view.scrollTo(proxy_index)

    def _on_activated(self, index: QModelIndex) -> None:
        presenter = index.data(Role.Presenter)
        if isinstance(presenter, AvatarPresenter):
            self._set_selected(presenter.avatar_presenter_id)
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

    def _before_proxy_change(self, *_args: object) -> None:
        self._restructuring = True

    def _after_proxy_change(self, *_args: object) -> None:
        self._restructuring = False
        if not self._loaded:
            return
        visible = self.proxy.rowCount()
        if visible:
            self._pages.setCurrentIndex(_PAGE_GRID)
            self._sync_view_selection()
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
        if not self._loaded:
            self.count_label.setText("")
        elif shown == total:
            self.count_label.setText(f"{total} presenter{'s' if total != 1 else ''}")
        else:
            self.count_label.setText(f"{shown} of {total}")
