"""The detail pane beside the gallery grid: the chosen performer, large, with its muted looping preview clip.

`PresenterDetailPane(thumbnails, parent=None)`
    thumbnails: the shared `ThumbnailCache` (the large image comes through it).
Signals:
    favoriteToggled(str, bool): the star in the pane was clicked (performer id, favorite now).
Slots / methods:
    set_presenter(performer | None, favorite=False, name=None): show a performer (a catalog `Performer`
        or an `AvatarPresenter`), or the empty state; `name` overrides the name shown.
    set_favorite(bool), presenter() -> the performer shown or None.

The still and the preview clip share one media slot (issue 9, defect 2: the clip used to play at a third of
the still's size): the still shows until the clip's first frame arrives, then the clip plays in the same
place, fitted to the same box, so it is always as large as the still was.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Q_ARG, QEvent, QObject, QPointF, QRect, QRectF, QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QHideEvent,
    QIcon,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPalette,
    QPen,
    QPixmap,
    QShowEvent,
)
from PySide6.QtMultimedia import QMediaPlayer
from PySide6.QtMultimediaWidgets import QVideoWidget
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from videogen_studio.ui.widgets.icons import painted_icon
from videogen_studio.ui.widgets.invoke import invoke_queued

from . import items
from .delegate import FAVORITE_GOLD, badge_colors, star_path
from .model import friendly_name, gender_label, short_tag
from .thumbnails import ThumbnailCache, placeholder_pixmap

PREVIEW_DELAY_MS = 250  # arrowing through the grid should not start a stream per card
MEDIA_MAX_HEIGHT = 360  # the media slot grows with the pane up to this height
MEDIA_MIN_HEIGHT = 120


def gallery_icon(kind: str, size: int = 16, color: QColor | None = None) -> QIcon:
    """The gallery's glyphs ("search", "star", "star-filled"), painted by `widgets.icons.painted_icon`."""
    ink = color or QColor("#6B7280")

    def draw(painter: QPainter, side: float) -> None:
        if kind == "search":
            painter.setPen(QPen(ink, 1.6))
            painter.drawEllipse(QRectF(2.5, 2.5, 8.5, 8.5))
            painter.drawLine(QPointF(10, 10), QPointF(13.5, 13.5))
        elif kind in ("star", "star-filled"):
            path = star_path(QPointF(side / 2, side / 2 + 0.5), side * 0.45, side * 0.19)
            if kind == "star-filled":
                painter.fillPath(path, FAVORITE_GOLD)
            else:
                painter.setPen(QPen(ink, 1.3))
                painter.drawPath(path)

    return painted_icon(draw, size)


class _PortraitView(QWidget):
    """Draws one portrait, scaled to fit and rounded; keeps its aspect via height-for-width."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._pixmap: QPixmap = placeholder_pixmap(256)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(MEDIA_MIN_HEIGHT, MEDIA_MIN_HEIGHT)
        self._scaled: tuple[tuple[int, int, int, float], QPixmap] | None = None

    def set_pixmap(self, pixmap: QPixmap) -> None:
        self._pixmap = pixmap
        self.update()

    def pixmap(self) -> QPixmap:
        return self._pixmap

    def aspect(self) -> QSize:
        if self._pixmap.isNull() or self._pixmap.width() == 0:
            return QSize(1, 1)
        return QSize(self._pixmap.width(), self._pixmap.height())

    def image_rect(self) -> QRect:
        """Where the image is drawn: its aspect, as large as the widget allows, centred."""
        size = self.aspect().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
        rect = QRect(0, 0, size.width(), size.height())
        rect.moveCenter(self.rect().center())
        return rect

    def sizeHint(self) -> QSize:
        return QSize(280, 280)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        target = QRectF(self.image_rect())
        path = QPainterPath()
        path.addRoundedRect(target, 12, 12)
        painter.setClipPath(path)
        dpr = self.devicePixelRatioF()
        size = target.size().toSize()
        key = (self._pixmap.cacheKey(), size.width(), size.height(), dpr)
        if self._scaled is None or self._scaled[0] != key:  # rescale only when the image or size changes
            scaled = self._pixmap.scaled(
                size * dpr, Qt.AspectRatioMode.IgnoreAspectRatio, Qt.TransformationMode.SmoothTransformation
            )
            scaled.setDevicePixelRatio(dpr)
            self._scaled = (key, scaled)
        painter.drawPixmap(target.topLeft(), self._scaled[1])


class _MediaSlot(QStackedWidget):
    """One box for the still and the clip; its height follows the still's aspect (capped)."""

    def __init__(self, portrait: _PortraitView, video_page: QWidget) -> None:
        super().__init__()
        self._portrait = portrait
        self.addWidget(portrait)
        self.addWidget(video_page)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setMinimumHeight(MEDIA_MIN_HEIGHT)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        aspect = self._portrait.aspect()
        return max(MEDIA_MIN_HEIGHT, min(MEDIA_MAX_HEIGHT, round(width * aspect.height() / aspect.width())))

    def sizeHint(self) -> QSize:
        return QSize(280, self.heightForWidth(280))


class PresenterDetailPane(QWidget):
    """The selected performer: large still/clip, name, gender, id, description, and a favorite star."""

    favoriteToggled = Signal(str, bool)

    def __init__(self, thumbnails: ThumbnailCache, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("PresenterDetailPane")
        self.setAccessibleName("Presenter details")
        # A panel in the base colour sets the details apart from the grid on the window colour.
        self.setBackgroundRole(QPalette.ColorRole.Base)
        self.setAutoFillBackground(True)
        self._thumbnails = thumbnails
        self._presenter: Any = None
        self._favorite = False
        self._details: QWidget | None = None

        self.portrait = _PortraitView()
        self.portrait.setAccessibleName("Presenter portrait")

        # The preview has no audio output at all: muted by construction, and no audio device is opened.
        self.video = QVideoWidget()
        self.video.setAccessibleName("Presenter preview clip")
        self.player = QMediaPlayer(self)
        self.player.setVideoOutput(self.video)
        self.player.setLoops(QMediaPlayer.Loops.Infinite)
        self.player.errorOccurred.connect(self._on_preview_error)
        self.video.videoSink().videoSizeChanged.connect(self._on_video_size)
        self._video_page = QWidget()
        self._video_page.installEventFilter(self)
        self.video.setParent(self._video_page)
        self.media = _MediaSlot(self.portrait, self._video_page)
        self.media.setAccessibleName("Presenter picture")
        self.preview_stack = self.media  # older name: tests and callers looked for the clip's container here

        self.name_label = QLabel()
        self.name_label.setAccessibleName("Presenter name")
        name_font = QFont(self.font())
        name_font.setPointSizeF(self.font().pointSizeF() + 5)
        name_font.setWeight(QFont.Weight.DemiBold)
        self.name_label.setFont(name_font)
        self.name_label.setWordWrap(True)
        self.name_label.setTextFormat(Qt.TextFormat.PlainText)

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
        # A narrow pane clips the id rather than growing wider than the pane (the star stays visible).
        self.id_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

        self.description_label = QLabel()
        self.description_label.setAccessibleName("Presenter description")
        self.description_label.setWordWrap(True)
        self.description_label.setTextFormat(Qt.TextFormat.PlainText)  # service text is never HTML

        self.preview_message = QLabel("No preview clip")
        self.preview_message.setAccessibleName("Preview status")
        self.preview_message.setStyleSheet("color: palette(placeholder-text);")

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
        self._details = details
        details.installEventFilter(self)  # the media slot's height follows the pane's width
        body = QVBoxLayout(details)
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(6)
        body.addWidget(self.media)
        body.addWidget(self.preview_message, 0, Qt.AlignmentFlag.AlignHCenter)
        body.addSpacing(6)
        body.addLayout(title_row)
        body.addLayout(meta_row)
        body.addWidget(self.description_label)
        body.addStretch(1)
        # Short windows (1024×640): the details scroll instead of squeezing the picture to nothing.
        scroller = QScrollArea()
        scroller.setWidget(details)
        scroller.setWidgetResizable(True)
        scroller.setFrameShape(QScrollArea.Shape.NoFrame)
        scroller.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroller.viewport().setAutoFillBackground(False)
        details.setAutoFillBackground(False)

        self._pages = QStackedWidget()
        self._pages.addWidget(self.empty_label)
        self._pages.addWidget(scroller)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 12, 14, 12)
        layout.addWidget(self._pages)

        thumbnails.thumbnailReady.connect(self._on_image_ready)
        self._refresh_favorite_button()

    # -- public ------------------------------------------------------------------------------------------

    def presenter(self) -> Any:
        return self._presenter

    def set_presenter(self, presenter: Any, favorite: bool = False, name: str | None = None) -> None:
        same = presenter is not None and self._presenter == presenter
        self._presenter = presenter
        self.set_favorite(favorite)
        if presenter is None:
            self._stop_preview()
            self._pages.setCurrentIndex(0)
            return
        pid = items.performer_id(presenter)
        self._pages.setCurrentIndex(1)
        self.name_label.setText(name or items.given_name(presenter) or friendly_name(presenter))
        self._set_gender(items.gender(presenter))
        self.id_label.setText(pid)
        self.id_label.setToolTip(f"Id (#{short_tag(pid)} on the card)")
        text = items.description(presenter)
        self.description_label.setText(text)
        self.description_label.setVisible(bool(text))
        self._show_best_image()
        if not same:
            self._stop_preview()
            if items.preview_video_url(presenter):
                self.preview_message.setText("Loading preview…")
                self._preview_timer.start()
            else:
                self.preview_message.setText("No preview clip")

    def set_favorite(self, favorite: bool) -> None:
        self._favorite = favorite
        self._refresh_favorite_button()

    def showing_clip(self) -> bool:
        """True while the clip (not the still) fills the media slot."""
        return self.media.currentWidget() is self._video_page

    # -- preview clip ------------------------------------------------------------------------------------

    def _start_preview(self) -> None:
        url = items.preview_video_url(self._presenter) if self._presenter is not None else ""
        if not url:
            return
        # Queued, never direct: see invoke_queued for the FFmpeg-teardown deadlock this avoids.
        invoke_queued(self.player, "setSource", Q_ARG(QUrl, QUrl(url)))
        if self.isVisible():
            invoke_queued(self.player, "play")

    def _stop_preview(self) -> None:
        self._preview_timer.stop()
        invoke_queued(self.player, "stop")
        invoke_queued(self.player, "setSource", Q_ARG(QUrl, QUrl()))
        self.media.setCurrentWidget(self.portrait)

    def _on_video_size(self) -> None:
        size = self.video.videoSink().videoSize()
        if self._presenter is None or not size.isValid() or size.isEmpty():
            return
        # First frame: the clip takes the still's place, at the still's size.
        self.media.setCurrentWidget(self._video_page)
        self.preview_message.setText("Preview clip (muted, looping)")
        self._fit_video()

    def _fit_media(self) -> None:
        # Layouts inside a scroll area ignore height-for-width: set the slot's height from the still's aspect.
        if self._details is None:
            return
        height = self.media.heightForWidth(self._details.width())
        if self.media.height() != height or self.media.minimumHeight() != height:
            self.media.setFixedHeight(height)

    def _fit_video(self) -> None:
        # The clip's aspect, as large as the slot allows: no letterbox bars, never overflowing.
        size = self.video.videoSink().videoSize()
        if not size.isValid() or size.isEmpty():
            size = self.portrait.aspect()
        bounds = self._video_page.size()
        if bounds.width() <= 0 or bounds.height() <= 0:
            return
        fitted = size.scaled(bounds, Qt.AspectRatioMode.KeepAspectRatio)
        self.video.setGeometry(
            (bounds.width() - fitted.width()) // 2,
            (bounds.height() - fitted.height()) // 2,
            fitted.width(),
            fitted.height(),
        )

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._video_page and event.type() == QEvent.Type.Resize:
            self._fit_video()
        elif self._details is not None and watched is self._details and event.type() == QEvent.Type.Resize:
            self._fit_media()
        return super().eventFilter(watched, event)

    def _on_preview_error(self, error: QMediaPlayer.Error, message: str) -> None:
        if error != QMediaPlayer.Error.NoError:
            self.preview_message.setText("Preview unavailable")
            self.preview_message.setToolTip(message)
            self.media.setCurrentWidget(self.portrait)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._presenter is not None and not self.player.source().isEmpty():
            invoke_queued(self.player, "play")

    def hideEvent(self, event: QHideEvent) -> None:
        # Nobody watches a hidden preview; stop decoding it.
        invoke_queued(self.player, "pause")
        super().hideEvent(event)

    # -- images, gender and favorite ---------------------------------------------------------------------

    def _set_gender(self, gender: str) -> None:
        fill, ink = badge_colors(gender, self.palette())
        self.gender_label.setText(gender_label(gender))
        self.gender_label.setVisible(bool(gender))  # actors carry no gender
        self.gender_label.setStyleSheet(
            f"background: {fill.name()}; color: {ink.name()}; border-radius: 9px; padding: 2px 9px;"
        )

    def _show_best_image(self) -> None:
        presenter = self._presenter
        if presenter is None:
            return
        pixmap = self._thumbnails.pixmap(items.image_url(presenter))
        if pixmap is None:  # meanwhile the (already cached) thumbnail, then the placeholder
            pixmap = self._thumbnails.cached(items.thumbnail_url(presenter)) or placeholder_pixmap(256)
        self.portrait.set_pixmap(pixmap)
        self._fit_media()

    def _on_image_ready(self, url: str) -> None:
        presenter = self._presenter
        if presenter is not None and url in (items.image_url(presenter), items.thumbnail_url(presenter)):
            self._show_best_image()

    def _on_favorite_clicked(self, checked: bool) -> None:
        if self._presenter is not None and checked != self._favorite:
            self._favorite = checked
            self._refresh_favorite_button()
            self.favoriteToggled.emit(items.performer_id(self._presenter), checked)

    def _refresh_favorite_button(self) -> None:
        self.favorite_button.blockSignals(True)
        self.favorite_button.setChecked(self._favorite)
        self.favorite_button.blockSignals(False)
        self.favorite_button.setIcon(gallery_icon("star-filled" if self._favorite else "star", 20))
        text = "Remove from favorites" if self._favorite else "Add to favorites"
        self.favorite_button.setToolTip(text)
        self.favorite_button.setAccessibleName(text)
