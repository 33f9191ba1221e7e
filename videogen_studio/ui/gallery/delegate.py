"""Paints one presenter as a card: portrait, name, gender badge, id tag and a favorite star.

Every colour comes from the view's palette (or is blended from it), so cards follow light and dark themes.
Painting draws pre-rendered pixmaps and text only: covers are scaled in worker threads and kept in a
byte-bounded cache (`covers.CoverCache`, `coverReady` repaints the view), frames and shadows are rendered
once per size and state (`covers.FrameCache`). A card painted while its cover is still being scaled is
remembered, so the view repaints just those cards when their covers land (`take_waiting`).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPointF,
    QRect,
    QRectF,
    QSize,
    Qt,
)
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QHelpEvent,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPalette,
    QPen,
    QPixmap,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolTip,
)

from videogen_studio.ui.widgets.colors import is_dark

from .covers import COVER_CACHE_BYTES, CoverCache, CoverKey, FrameCache
from .model import CardFace, Role, gender_label

ModelIndex = QModelIndex | QPersistentModelIndex

CARD_WIDTH = 160  # narrowest card; matches 160 px thumbnails drawn 1:1 at 100 % scale
MAX_CARD_WIDTH = 216  # cards grow up to this to fill a row, so gutters stay even and narrow
CELL_MARGIN = 6  # around each card; two neighbours give a 12 px gutter
RADIUS = 10.0
TEXT_PADDING = 10
STAR_BOX = 28
STAR_INSET = 8
FAVORITE_GOLD = QColor("#FFC53D")
#: Card looks (colours and two frames each) kept: every state of one window's card width, both colour groups.
LOOKS_KEPT = 16
#: Rendered card texts kept at least: ~20 cards of 216 px (~54 KB each at 1x), two screens of a small window;
#: a bigger window raises it to one screen's bytes (`fit_caches`). Never the catalog.
TEXT_BLOCK_CACHE_BYTES = 1024 * 1024

_GENDER_HUES = {"FEMALE": 340, "MALE": 212, "NEUTRAL": 168}


def blend(a: QColor, b: QColor, amount: float) -> QColor:
    """`a` moved `amount` (0..1) of the way towards `b`."""
    return QColor.fromRgbF(
        a.redF() + (b.redF() - a.redF()) * amount,
        a.greenF() + (b.greenF() - a.greenF()) * amount,
        a.blueF() + (b.blueF() - a.blueF()) * amount,
        1.0,
    )


def badge_colors(gender: str, palette: QPalette) -> tuple[QColor, QColor]:
    """(fill, text) for a gender badge: a pale tint with dark ink on light themes, the reverse on dark."""
    hue = _GENDER_HUES.get(gender.upper())
    if hue is None:  # unknown enum value: neutral grey from the palette
        base, text = palette.color(QPalette.ColorRole.Base), palette.color(QPalette.ColorRole.Text)
        return blend(base, text, 0.12), blend(text, base, 0.15)
    if is_dark(palette):
        return QColor.fromHsl(hue, 70, 62), QColor.fromHsl(hue, 190, 205)
    return QColor.fromHsl(hue, 170, 236), QColor.fromHsl(hue, 140, 78)


def card_width(cell_width: int) -> int:
    """A card in a cell `cell_width` wide: the cell less its margins, at most MAX_CARD_WIDTH."""
    return min(MAX_CARD_WIDTH, max(cell_width - 2 * CELL_MARGIN, 0))


def star_path(center: QPointF, outer: float, inner: float) -> QPainterPath:
    path = QPainterPath()
    for i in range(10):
        radius = outer if i % 2 == 0 else inner
        angle = -math.pi / 2 + i * math.pi / 5
        point = QPointF(center.x() + radius * math.cos(angle), center.y() + radius * math.sin(angle))
        if i == 0:
            path.moveTo(point)
        else:
            path.lineTo(point)
    path.closeSubpath()
    return path


@dataclass(frozen=True)
class _CardFonts:
    """The card's two fonts, derived from the view's font, with their metrics and the text block's height."""

    key: str
    name: QFont
    small: QFont
    name_metrics: QFontMetrics
    small_metrics: QFontMetrics
    name_h: int
    badge_h: int
    text_h: int

    @classmethod
    def derive(cls, base: QFont) -> _CardFonts:
        name_font = QFont(base)
        name_font.setPointSizeF(max(base.pointSizeF(), 9.0) + 1.0)
        name_font.setWeight(QFont.Weight.DemiBold)
        small_font = QFont(base)
        small_font.setPointSizeF(max(base.pointSizeF() - 1.0, 7.5))
        name_metrics, small_metrics = QFontMetrics(name_font), QFontMetrics(small_font)
        name_h = name_metrics.height()
        badge_h = small_metrics.height() + 6
        text_h = TEXT_PADDING + name_h + 6 + badge_h + TEXT_PADDING
        return cls(base.key(), name_font, small_font, name_metrics, small_metrics, name_h, badge_h, text_h)


@dataclass(frozen=True)
class _CardLook:
    """What a card's paint derives from its palette, state, width and pixel ratio: computed once, then looked
    up. PySide releases the GIL in nearly every call (QColor(), QRectF(), palette.color, ...), so each call a
    paint makes is a chance for a worker thread to take the GIL and the GUI thread to wait for it back; a
    card painted from this look makes a handful of calls instead of dozens."""

    width: int
    height: int
    frame: QPixmap  # background and shadow, under the cover
    overlay: QPixmap  # the border, over the cover
    text_color: QColor
    highlight: QColor
    #: Identifies a rendered text block's look: width, pixel ratio, fonts and colours.
    text_key: tuple[object, ...]


class TextBlockCache:
    """Rendered text blocks (name, badge, tag) of recently painted cards, bounded in bytes (a few screens)."""

    def __init__(self, limit_bytes: int = TEXT_BLOCK_CACHE_BYTES) -> None:
        self._blocks: OrderedDict[tuple[object, ...], QPixmap] = OrderedDict()
        self._bytes = 0
        self._limit = limit_bytes

    def get(self, key: tuple[object, ...]) -> QPixmap | None:
        block = self._blocks.get(key)
        if block is not None:
            self._blocks.move_to_end(key)
        return block

    def put(self, key: tuple[object, ...], block: QPixmap) -> None:
        self._blocks[key] = block
        self._bytes += _cost(block)
        while self._bytes > self._limit and len(self._blocks) > 1:
            _, evicted = self._blocks.popitem(last=False)
            self._bytes -= _cost(evicted)

    def bytes_used(self) -> int:
        return self._bytes

    def limit_bytes(self) -> int:
        return self._limit

    def set_limit_bytes(self, limit: int) -> None:
        self._limit = limit
        while self._bytes > self._limit and len(self._blocks) > 1:
            _, evicted = self._blocks.popitem(last=False)
            self._bytes -= _cost(evicted)


def _cost(pixmap: QPixmap) -> int:
    return pixmap.width() * pixmap.height() * 4


class PresenterDelegate(QStyledItemDelegate):
    """Card renderer for `PresenterListModel` rows. A click on the star flips `FavoriteRole` via the model."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.covers = CoverCache(self, radius=RADIUS)
        self._frames = FrameCache()
        #: Cards painted without their cover (it is being scaled), by cover key: repainted when it lands.
        self._waiting: dict[CoverKey, list[QPersistentModelIndex]] = {}
        self._font_cache: dict[str, _CardFonts] = {}
        self._looks: dict[tuple[object, ...], _CardLook] = {}
        self.text_blocks = TextBlockCache()

    # -- geometry ----------------------------------------------------------------------------------------

    def _fonts(self, base: QFont) -> _CardFonts:
        # Derived fonts and their metrics, once per base font (paint asks for them for every card).
        key = base.key()
        fonts = self._font_cache.get(key)
        if fonts is None:
            fonts = self._font_cache[key] = _CardFonts.derive(base)
        return fonts

    def _text_height(self, base: QFont) -> tuple[int, int, int]:
        fonts = self._fonts(base)
        return fonts.name_h, fonts.badge_h, fonts.text_h

    def card_size(self, font: QFont, width: int = CARD_WIDTH) -> QSize:
        """A card `width` wide: a square portrait on top of the text block."""
        return QSize(width, width + self._text_height(font)[2])

    def sizeHint(self, option: QStyleOptionViewItem, index: ModelIndex) -> QSize:
        # A grid view hands each item a rect of this size: fill the whole cell so cards can grow with it.
        grid = option.widget.gridSize() if isinstance(option.widget, QListView) else QSize()
        if grid.isValid() and not grid.isEmpty():
            return grid
        card = self.card_size(option.font)
        return QSize(card.width() + 2 * CELL_MARGIN, card.height() + 2 * CELL_MARGIN)

    def grid_cell(self, available_width: int, font: QFont) -> QSize:
        """The grid cell that fills `available_width` with whole columns of the widest cards that fit."""
        narrow = CARD_WIDTH + 2 * CELL_MARGIN
        columns = max(1, available_width // narrow)
        cell_width = max(narrow, available_width // columns)
        card = self.card_size(font, min(MAX_CARD_WIDTH, cell_width - 2 * CELL_MARGIN))
        return QSize(cell_width, card.height() + 2 * CELL_MARGIN)

    def card_rect(self, option: QStyleOptionViewItem) -> QRect:
        """The card, as wide as the cell allows (up to MAX_CARD_WIDTH) and centred in it."""
        cell = option.rect
        width = card_width(cell.width())
        size = self.card_size(option.font, width)
        x = cell.x() + (cell.width() - width) // 2
        return QRect(x, cell.y() + CELL_MARGIN, width, size.height())

    def star_rect(self, option: QStyleOptionViewItem) -> QRect:
        card = self.card_rect(option)
        return QRect(card.right() - STAR_INSET - STAR_BOX + 1, card.top() + STAR_INSET, STAR_BOX, STAR_BOX)

    # -- painting ----------------------------------------------------------------------------------------

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: ModelIndex) -> None:
        # Pixmaps and text only: frame, shadow and border are pre-rendered (FrameCache), covers are scaled
        # in worker threads (CoverCache); nothing here scales smoothly or fills antialiased paths per card.
        # Colours, frames and sizes come from one look-up per palette, state and width (`_look`).
        state = option.state
        selected = bool(state & QStyle.StateFlag.State_Selected)
        hovered = bool(state & QStyle.StateFlag.State_MouseOver)
        focused = bool(state & QStyle.StateFlag.State_HasFocus)
        device = painter.device()
        dpr = device.devicePixelRatioF() if device else 1.0
        cell = option.rect
        cell_x, cell_y, cell_width = cell.x(), cell.y(), cell.width()
        look = self._look(option, card_width(cell_width), dpr)
        left, top, width = cell_x + (cell_width - look.width) // 2, cell_y + CELL_MARGIN, look.width

        painter.drawPixmap(left, top, look.frame)
        face = CardFace.of(index)
        self._draw_cover(painter, index, face.thumbnail_url, left, top, width, dpr, option.palette)
        if face.favorite or hovered or selected:
            painter.save()
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            box = QRectF(left + width - STAR_INSET - STAR_BOX, top + STAR_INSET, STAR_BOX, STAR_BOX)
            self._paint_star(painter, box, face.favorite)
            painter.restore()
        self._draw_text_block(painter, option, face, look, left, top + width, dpr)
        # Border last so it sits on top of the portrait edge (also pre-rendered).
        painter.drawPixmap(left, top, look.overlay)
        if focused and not selected:
            # Keyboard focus without selection (e.g. Ctrl+arrows): a dashed ring in the highlight colour.
            painter.save()
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(QPen(look.highlight, 1.5, Qt.PenStyle.DashLine))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            ring = QRectF(left + 2, top + 2, width - 4, look.height - 4)
            painter.drawRoundedRect(ring, RADIUS - 2, RADIUS - 2)
            painter.restore()

    def _look(self, option: QStyleOptionViewItem, width: int, dpr: float) -> _CardLook:
        """The card's colours, frames and sizes for this palette, state, width and pixel ratio (cached)."""
        palette: QPalette = option.palette
        state = option.state
        selected = bool(state & QStyle.StateFlag.State_Selected)
        hovered = bool(state & QStyle.StateFlag.State_MouseOver)
        font_key = option.font.key()
        # cacheKey names the palette's contents; the colour group (active, inactive, disabled) is not in it.
        key = (palette.cacheKey(), palette.currentColorGroup(), selected, hovered, width, dpr, font_key)
        look = self._looks.get(key)
        if look is None:
            if len(self._looks) >= LOOKS_KEPT:  # each holds two card-sized frames: never grows with resizing
                self._looks.clear()
            look = self._looks[key] = self._make_look(palette, selected, hovered, width, dpr, option.font)
        return look

    def _make_look(
        self, palette: QPalette, selected: bool, hovered: bool, width: int, dpr: float, font: QFont
    ) -> _CardLook:
        dark = is_dark(palette)
        text_color = palette.color(QPalette.ColorRole.Text)
        base = palette.color(QPalette.ColorRole.Base)
        highlight = palette.color(QPalette.ColorRole.Highlight)
        background = base.lighter(118) if dark else base
        if selected:
            background = blend(background, highlight, 0.16)
        elif hovered:
            background = blend(background, text_color, 0.05)
        fonts = self._fonts(font)
        size = QSize(width, width + fonts.text_h)
        transparent = QColor(0, 0, 0, 0)
        frame = self._frames.frame(
            size, dpr, background=background, edge=transparent, edge_width=0, shadow=not dark, radius=RADIUS
        )
        if selected:
            edge, edge_width = QColor(highlight), 2.0
        else:
            edge = QColor(text_color)
            edge.setAlphaF(0.22 if hovered else 0.10)
            edge_width = 1.0
        overlay = self._frames.frame(
            size, dpr, background=transparent, edge=edge, edge_width=edge_width, shadow=False, radius=RADIUS
        )
        text_key = (width, round(dpr, 2), fonts.key, text_color.rgba(), base.rgba())
        return _CardLook(width, size.height(), frame, overlay, text_color, highlight, text_key)

    def _draw_cover(
        self,
        painter: QPainter,
        index: ModelIndex,
        url: str,
        left: int,
        top: int,
        side: int,
        dpr: float,
        palette: QPalette,
    ) -> None:
        # A cover made earlier is found by the picture's URL, without asking for the picture itself: the
        # decoded thumbnail may be long evicted (the thumbnail cache holds a few screens) and need not load.
        cover = self.covers.cached_at(url, side, side, dpr) if url else None
        if cover is not None:
            painter.drawPixmap(left, top, cover)
            return
        size = QSize(side, side)
        thumb = QRectF(left, top, side, side)
        picture = index.data(Role.Thumbnail) if url else None
        name = url if isinstance(picture, QPixmap) and not picture.isNull() else ""
        source = picture if name else index.data(Qt.ItemDataRole.DecorationRole)  # placeholder meanwhile
        if not isinstance(source, QPixmap) or source.isNull():
            painter.fillRect(thumb, palette.color(QPalette.ColorRole.Mid))
            return
        cover = self.covers.cover(source, size, dpr, name)
        if cover is not None:
            painter.drawPixmap(left, top, cover)
            return
        self._waiting.setdefault(self.covers.key(name or source, size, dpr), []).append(
            QPersistentModelIndex(index)
        )
        # One frame or two until the worker is back: a fast, unsmoothed draw of the source.
        painter.drawPixmap(thumb, source, QRectF(source.rect()))

    def _paint_star(self, painter: QPainter, box: QRectF, favorite: bool) -> None:
        painter.save()
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(0, 0, 0, 110))  # readable on any portrait
        painter.drawEllipse(box)
        star = star_path(box.center() + QPointF(0, 0.5), box.width() * 0.32, box.width() * 0.14)
        if favorite:
            painter.fillPath(star, FAVORITE_GOLD)
        else:
            painter.setPen(QPen(QColor(255, 255, 255, 235), 1.4))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPath(star)
        painter.restore()

    def _draw_text_block(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        face: CardFace,
        look: _CardLook,
        left: int,
        top: int,
        dpr: float,
    ) -> None:
        """Name, badge and tag, laid out and rendered once per card and look (`TextBlockCache`), then drawn as
        one pixmap: text layout, eliding and the badge's antialiased pill cost more than the rest of the card
        together."""
        key = (face.name, face.gender, face.tag, *look.text_key)
        block = self.text_blocks.get(key)
        if block is None:
            fonts = self._fonts(option.font)
            width = look.width
            block = QPixmap(round(width * dpr), round(fonts.text_h * dpr))
            block.setDevicePixelRatio(dpr)
            block.fill(Qt.GlobalColor.transparent)
            block_painter = QPainter(block)
            local = QRectF(0, -width, width, look.height)  # the card, seen from the block
            self._paint_text(
                block_painter, option, fonts, local, 0.0, look.text_color, face.name, face.gender, face.tag
            )
            block_painter.end()
            self.text_blocks.put(key, block)
        painter.drawPixmap(left, top, block)

    def _paint_text(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        fonts: _CardFonts,
        card: QRectF,
        text_top: float,
        text_color: QColor,
        name: str,
        gender: str,
        tag: str,
    ) -> None:
        name_font, small_font, name_h, badge_h = fonts.name, fonts.small, fonts.name_h, fonts.badge_h
        left = card.left() + TEXT_PADDING
        width = card.width() - 2 * TEXT_PADDING
        top = text_top + TEXT_PADDING

        painter.setFont(name_font)
        painter.setPen(text_color)
        metrics = fonts.name_metrics
        painter.drawText(
            QRectF(left, top, width, name_h),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            metrics.elidedText(name, Qt.TextElideMode.ElideRight, int(width)),
        )

        # Gender badge: a tinted pill whose hue encodes the value and whose text spells it out.
        painter.setFont(small_font)
        small = fonts.small_metrics
        badge_top = top + name_h + 6
        badge = QRectF(left, badge_top, 0, badge_h)
        if gender:  # actors carry no gender: no "Unspecified" pill on every card
            label = gender_label(gender)
            badge = QRectF(left, badge_top, small.horizontalAdvance(label) + 16, badge_h)
            fill, ink = badge_colors(gender, option.palette)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(fill)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.drawRoundedRect(badge, badge_h / 2, badge_h / 2)
            painter.setPen(ink)
            painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, label)

        # The short id tag, muted, right-aligned on the badge's line.
        muted = QColor(text_color)
        muted.setAlphaF(0.55)
        painter.setPen(muted)
        tag_rect = QRectF(badge.right() + 6, badge_top, left + width - badge.right() - 6, badge_h)
        painter.drawText(
            tag_rect,
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
            small.elidedText(tag, Qt.TextElideMode.ElideLeft, int(tag_rect.width())),
        )

    def fit_caches(self, viewport: QSize, dpr: float) -> None:
        """Size the covers' and texts' caches to the view: two screens of covers (scrolling back a screen
        finds them; a cache smaller than one screen would re-scale covers forever), one of texts; never less
        than the defaults. Bounded by the window, not by the catalog."""
        screen = round(viewport.width() * viewport.height() * dpr * dpr * 4)
        self.covers.set_limit_bytes(max(COVER_CACHE_BYTES, 2 * screen))
        self.text_blocks.set_limit_bytes(max(TEXT_BLOCK_CACHE_BYTES, screen))

    def prepare_cover(self, index: ModelIndex, size: QSize, dpr: float) -> bool:
        """A card's picture just arrived: start its cover now, so the card is repainted once, with the
        cover (`take_waiting`), not first with the picture unsmoothed and again with the cover. False when
        the card should be repainted at once (its cover is ready, or there is no picture to make one)."""
        url = str(index.data(Role.ThumbnailUrl) or "")
        if not url or self.covers.cached(url, size, dpr) is not None:
            return False
        picture = index.data(Role.Thumbnail)
        if not isinstance(picture, QPixmap) or picture.isNull():
            return False
        if self.covers.cover(picture, size, dpr, url) is not None:
            return False
        self._waiting.setdefault(self.covers.key(url, size, dpr), []).append(QPersistentModelIndex(index))
        return True

    def take_waiting(self, keys: list[CoverKey]) -> list[QPersistentModelIndex]:
        """The cards that were painted without these covers (each once); they are forgotten here."""
        return [index for key in keys for index in self._waiting.pop(key, ())]

    # -- interaction -------------------------------------------------------------------------------------

    def editorEvent(
        self, event: QEvent, model: object, option: QStyleOptionViewItem, index: ModelIndex
    ) -> bool:
        kinds = (
            QEvent.Type.MouseButtonPress,
            QEvent.Type.MouseButtonRelease,
            QEvent.Type.MouseButtonDblClick,
        )
        if (
            event.type() in kinds
            and isinstance(event, QMouseEvent)
            and event.button() == Qt.MouseButton.LeftButton
            and self.star_rect(option).contains(event.position().toPoint())
        ):
            # Swallow press and double-click too, so a star click neither selects nor activates the card.
            if event.type() == QEvent.Type.MouseButtonRelease and index.model() is not None:
                index.model().setData(index, not bool(index.data(Role.Favorite)), Role.Favorite)
            return True
        return super().editorEvent(event, model, option, index)  # type: ignore[arg-type]

    def helpEvent(
        self,
        event: QHelpEvent,
        view: QAbstractItemView,
        option: QStyleOptionViewItem,
        index: ModelIndex,
    ) -> bool:
        if event.type() == QEvent.Type.ToolTip and self.star_rect(option).contains(event.pos()):
            favorite = bool(index.data(Role.Favorite))
            text = "Remove from favorites (F)" if favorite else "Add to favorites (F)"
            QToolTip.showText(event.globalPos(), text, view)
            return True
        return super().helpEvent(event, view, option, index)
