"""Card covers and card frames, prepared off the paint path (issue 11: 28–65 ms stalls while scrolling).

`CoverCache.cover(source, size, dpr)` answers a portrait already cropped, smooth-scaled and rounded at the
card's size, or None: then the scaling is queued on the imaging thread (`imaging.EXECUTOR`, with Pillow,
which releases the GIL) and `coversReady(keys)` / `coverReady()` fire when it is back — at most once per
frame for all covers that arrived in it, so a screenful of covers landing costs one repaint, not one each.
The cache is bounded in bytes (a few screens of cards), not by the catalog's length: scrolling through
1,000 presenters does not grow it.

`FrameCache.frame(...)` answers the card's background, drop shadow and border as one pre-rendered pixmap per
(size, state, palette): the paint path draws pixmaps and text only, never antialiased paths per card.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Executor

from PySide6.QtCore import QObject, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPainterPath, QPen, QPixmap

from .. import worker_results
from . import imaging

#: Bytes of scaled covers kept at least: ~22 cards of 216 px at 1x, two screens of a small window; the view
#: raises it to two screens of a bigger one (`PresenterDelegate.fit_caches`). Never the catalog.
COVER_CACHE_BYTES = 4 * 1024 * 1024
#: Covers that land within one frame are announced together (one repaint per frame, not one per cover).
FRAME_MS = 16

#: (source, width, height, device pixel ratio); the source is the picture's URL (a cover outlives the decoded
#: thumbnail it was made from) or, for pictures without one, the source pixmap's cacheKey.
CoverKey = tuple[int | str, int, int, float]


def render_cover(source: QImage, target: QSize, radius: float) -> QImage:
    """Fill `target` (device pixels) with `source`, cropped (faces sit high), top corners rounded. Any
    thread; the GIL is released while it scales (see `imaging`)."""
    return imaging.render_cover(source, target, radius)


def _scale(deliver: Callable[..., None], key: CoverKey, source: QImage, target: QSize, radius: float) -> None:
    """On the imaging thread: render the cover, hand it to the GUI thread (dropped if the cache is gone)."""
    deliver(key, render_cover(source, target, radius))


class CoverCache(QObject):
    """Covers scaled in workers, kept in a byte-bounded LRU."""

    coverReady = Signal()
    coversReady = Signal(list)  # the CoverKeys that landed since the last announcement

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        limit_bytes: int = COVER_CACHE_BYTES,
        radius: float = 10.0,
        executor: Executor | None = None,
    ) -> None:
        super().__init__(parent)
        self._limit = limit_bytes
        self._radius = radius
        # The one imaging thread that also decodes the thumbnails: covers queue up behind decodes instead of
        # running beside them. A second worker took the GUI thread's other core and, worse, its GIL: PySide
        # releases the GIL in nearly every call a paint makes (QColor(), QRectF(), drawPixmap, ...), and each
        # release let a worker's Python code in between two Pillow calls run first (issue 11: paints of
        # ~1 ms took 15 ms while covers and decodes ran).
        self._executor = executor if executor is not None else imaging.EXECUTOR
        self._covers: OrderedDict[CoverKey, QPixmap] = OrderedDict()
        self._bytes = 0
        self._pending: set[CoverKey] = set()
        self._deliver = worker_results.to(self._on_scaled)
        self._landed: list[CoverKey] = []
        self._announce = QTimer(self)
        self._announce.setSingleShot(True)
        self._announce.setInterval(FRAME_MS)
        self._announce.timeout.connect(self._announce_landed)
        self.jobs_started = 0  # for tests: how many scalings went to the pool
        self.announcements = 0  # for tests: how many times arrivals were announced

    @staticmethod
    def key(source: QPixmap | str, size: QSize, dpr: float) -> CoverKey:
        name = source if isinstance(source, str) else source.cacheKey()
        return (name, size.width(), size.height(), round(dpr, 2))

    def cached(self, name: QPixmap | str, size: QSize, dpr: float) -> QPixmap | None:
        """The finished cover for a URL (or a source pixmap) if it is in memory; never starts a scaling."""
        return self._recall(self.key(name, size, dpr))

    def cached_at(self, name: str, width: int, height: int, dpr: float) -> QPixmap | None:
        """`cached(name, QSize(width, height), dpr)` without building a QSize (the paint path, per card)."""
        return self._recall((name, width, height, round(dpr, 2)))

    def _recall(self, key: CoverKey) -> QPixmap | None:
        cached = self._covers.get(key)
        if cached is not None:
            self._covers.move_to_end(key)  # recently used: evicted last
        return cached

    def cover(self, source: QPixmap, size: QSize, dpr: float, name: str = "") -> QPixmap | None:
        """The finished cover, or None after queuing its scaling (at most once per key). `name` (the
        picture's URL) keys it, so it can be found again with `cached(name, …)` after `source` is gone."""
        key = self.key(name or source, size, dpr)
        cached = self._recall(key)
        if cached is not None:
            return cached
        if key not in self._pending and not source.isNull():
            self._pending.add(key)
            target = QSize(max(1, round(size.width() * dpr)), max(1, round(size.height() * dpr)))
            # toImage() of a small thumbnail is cheap; the scaling (the expensive part) runs on the worker.
            radius = self._radius * dpr
            self.jobs_started += 1
            self._executor.submit(_scale, self._deliver, key, source.toImage(), target, radius)
        return None

    def bytes_used(self) -> int:
        return self._bytes

    def limit_bytes(self) -> int:
        return self._limit

    def set_limit_bytes(self, limit: int) -> None:
        """The view sizes the cache to its screens (a big window shows more cards than the default holds)."""
        self._limit = limit
        self._evict()

    def __len__(self) -> int:
        return len(self._covers)

    def clear(self) -> None:
        self._covers.clear()
        self._bytes = 0

    def _on_scaled(self, key: CoverKey, image: QImage) -> None:
        self._pending.discard(key)
        pixmap = QPixmap.fromImage(image)
        pixmap.setDevicePixelRatio(key[3])
        old = self._covers.pop(key, None)
        if old is not None:
            self._bytes -= _cost(old)
        self._covers[key] = pixmap
        self._bytes += _cost(pixmap)
        self._evict()
        self._landed.append(key)
        if not self._announce.isActive():
            self._announce_landed()  # the first cover after a quiet frame shows at once

    def _evict(self) -> None:
        while self._bytes > self._limit and len(self._covers) > 1:
            _, evicted = self._covers.popitem(last=False)
            self._bytes -= _cost(evicted)

    def _announce_landed(self) -> None:
        landed, self._landed = self._landed, []
        if landed:
            self.announcements += 1
            self._announce.start()  # covers landing within the next frame wait for its end
            self.coversReady.emit(landed)
            self.coverReady.emit()


class FrameCache:
    """Card background + soft shadow + border, pre-rendered once per size, state and palette."""

    def __init__(self, limit: int = 32) -> None:
        self._frames: OrderedDict[tuple[object, ...], QPixmap] = OrderedDict()
        self._limit = limit

    def frame(
        self,
        size: QSize,
        dpr: float,
        *,
        background: QColor,
        edge: QColor,
        edge_width: float,
        shadow: bool,
        radius: float,
    ) -> QPixmap:
        key = (size.width(), size.height(), round(dpr, 2), background.rgba(), edge.rgba(), edge_width, shadow)
        cached = self._frames.get(key)
        if cached is not None:
            self._frames.move_to_end(key)
            return cached
        pad = 2  # room for the shadow below the card
        pixmap = QPixmap(round((size.width()) * dpr), round((size.height() + pad) * dpr))
        pixmap.setDevicePixelRatio(dpr)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        card = QRectF(0, 0, size.width(), size.height())
        if shadow:  # a soft drop shadow lifts cards off light backgrounds
            path = QPainterPath()
            path.addRoundedRect(card.translated(0, 1.5), radius, radius)
            painter.fillPath(path, QColor(0, 0, 0, 26))
        path = QPainterPath()
        path.addRoundedRect(card, radius, radius)
        painter.fillPath(path, background)
        if edge_width > 0:  # background (alpha 0) + edge only = the border overlay drawn over the cover
            painter.setPen(QPen(edge, edge_width))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            inset = edge_width / 2 if edge_width < 2 else 1.0
            rect = card.adjusted(inset, inset, -inset, -inset)
            painter.drawRoundedRect(rect, radius - inset, radius - inset)
        painter.end()
        self._frames[key] = pixmap
        while len(self._frames) > self._limit:
            self._frames.popitem(last=False)
        return pixmap


def _cost(pixmap: QPixmap) -> int:
    return max(1, pixmap.width() * pixmap.height() * max(1, pixmap.depth()) // 8)
