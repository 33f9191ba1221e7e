"""Asynchronous thumbnail loading with a disk cache and an in-memory LRU.

`ThumbnailCache.pixmap(url)` is cheap enough to call from `data()`/`paint()`: it answers from memory, or
returns None and starts a background load; `thumbnailReady(url)` fires when the pixmap arrives. The network is
reached through an injected coroutine function (the API client's unauthenticated `fetch_public`), so this
module stays free of HTTP and shares the client's retry and rate-limit budget.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from pathlib import Path

from PySide6.QtCore import (
    QObject,
    QPointF,
    QRectF,
    QSize,
    Qt,
    Signal,
    SignalInstance,
)
from PySide6.QtGui import QColor, QImage, QLinearGradient, QPainter, QPainterPath, QPixmap

from ...fileio import atomic_write
from . import imaging

log = logging.getLogger(__name__)

#: A URL's query string (where storage signatures live), anywhere in a text.
_QUERY = re.compile(r"(https?://[^\s'\"?]+)\?[^\s'\"]*")


def _without_query(url: str) -> str:
    """`url` fit for a log line: a signed URL's signature is a credential for that file."""
    return url.split("?", 1)[0]


Fetch = Callable[[str], Awaitable[bytes]]

_placeholders: dict[tuple[int, int, float], QPixmap] = {}


def placeholder_pixmap(size: QSize | int = 256, device_pixel_ratio: float = 1.0) -> QPixmap:
    """A neutral head-and-shoulders silhouette, drawn once per size and reused."""
    if isinstance(size, int):
        size = QSize(size, size)
    key = (size.width(), size.height(), round(device_pixel_ratio, 2))
    cached = _placeholders.get(key)
    if cached is not None:
        return cached

    pixmap = QPixmap(size * device_pixel_ratio)
    pixmap.setDevicePixelRatio(device_pixel_ratio)
    pixmap.fill(Qt.GlobalColor.transparent)
    w, h = float(size.width()), float(size.height())
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    # Mid greys read as "no picture yet" on light and dark themes alike.
    gradient = QLinearGradient(0, 0, 0, h)
    gradient.setColorAt(0.0, QColor("#D5DBE3"))
    gradient.setColorAt(1.0, QColor("#B9C2CE"))
    painter.fillRect(QRectF(0, 0, w, h), gradient)

    unit = min(w, h)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor("#EEF1F5"))
    head_r = unit * 0.17
    head_c = QPointF(w / 2, h * 0.40)
    painter.drawEllipse(head_c, head_r, head_r * 1.1)
    shoulders = QPainterPath()
    top = head_c.y() + head_r * 1.35
    half = unit * 0.34
    shoulders.moveTo(w / 2 - half, h)
    shoulders.cubicTo(w / 2 - half, top, w / 2 + half, top, w / 2 + half, h)
    shoulders.closeSubpath()
    painter.drawPath(shoulders)
    painter.end()
    _placeholders[key] = pixmap
    return pixmap


def cache_file_name(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8")).hexdigest()


def _decode(data: bytes, max_px: int | None = None) -> QImage | None:
    """Decode image bytes (any thread, GIL released: `imaging.decode`) at the size shown: the shorter side at
    most `max_px` (the card, in device pixels). Honours EXIF orientation. None when the bytes are not an
    image."""
    return imaging.decode(data, max_px)


def _read_cached(path: Path, max_px: int | None = None) -> QImage | None:
    """Runs in a worker thread. A file that does not decode is deleted so the caller fetches it again."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.warning("thumbnail cache: cannot read %s: %s", path, exc)
        return None
    image = _decode(data, max_px)
    if image is None:
        log.warning("thumbnail cache: corrupt file %s removed", path)
        with contextlib.suppress(OSError):
            path.unlink()
    return image


def _decode_and_store(path: Path, data: bytes, max_px: int | None = None) -> QImage:
    """Runs in a worker thread. Only bytes that decode reach the disk, and only via an atomic rename."""
    image = _decode(data, max_px)
    if image is None:
        raise ValueError(f"response is not a decodable image ({len(data)} bytes)")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, data)
    except OSError as exc:
        # A full or read-only disk costs us the cache, not the thumbnail.
        log.warning("thumbnail cache: cannot write %s: %s", path, exc)
    return image


class ThumbnailCache(QObject):
    """Loads images by URL: memory LRU → disk cache (sha256 of the URL) → `fetch`.

    At most `max_concurrent` fetches run at once; concurrent requests for one URL share a single task. A
    failed load is logged and retried once after `retry_delay` seconds; after that the URL stays failed
    (callers keep showing the placeholder) until `retry_failed()` is called. Nothing here raises into Qt.
    """

    thumbnailReady = Signal(str)
    thumbnailFailed = Signal(str, str)  # url, reason

    def __init__(
        self,
        fetch: Fetch,
        cache_dir: Path,
        *,
        max_concurrent: int = 4,
        # Source images only: the cards' covers live in covers.CoverCache, found by URL without the source,
        # which is needed only until its cover is made. 4 MB holds ~40 thumbnails of 160 px, a few screens;
        # evicted ones come back from the disk cache (issue 11: was 96 MB, then 16 MB).
        memory_limit_bytes: int = 4 * 1024 * 1024,
        retry_delay: float = 5.0,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._fetch = fetch
        self._dir = Path(cache_dir)
        imaging.preload()  # the decoder's import, off the GUI thread, before the first picture needs it
        self._max_concurrent = max(1, max_concurrent)
        # One semaphore per event loop: an asyncio primitive is bound to the loop it first waited on.
        self._semaphores: dict[asyncio.AbstractEventLoop, asyncio.Semaphore] = {}
        self._memory: OrderedDict[str, QPixmap] = OrderedDict()
        self._memory_bytes = 0
        self._memory_limit = memory_limit_bytes
        self._retry_delay = retry_delay
        self._inflight: dict[str, asyncio.Task[QPixmap | None]] = {}
        self._tasks: set[asyncio.Task[QPixmap | None]] = set()  # strong refs: the loop only keeps weak ones
        self._retries: dict[str, asyncio.TimerHandle] = {}
        self._failures: dict[str, int] = {}
        self._failed: set[str] = set()
        self._max_px: dict[str, int] = {}  # url → decode size asked for (cards: their width in device px)
        self._closed = False
        self._warned_no_loop = False

    # -- public API --------------------------------------------------------------------------------------

    @property
    def cache_dir(self) -> Path:
        return self._dir

    def cache_path(self, url: str) -> Path:
        return self._dir / cache_file_name(url)

    @staticmethod
    def placeholder(size: QSize | int = 256, device_pixel_ratio: float = 1.0) -> QPixmap:
        return placeholder_pixmap(size, device_pixel_ratio)

    def cached(self, url: str) -> QPixmap | None:
        """The pixmap if it is in memory; never starts a load."""
        pixmap = self._memory.get(url)
        if pixmap is not None:
            self._memory.move_to_end(url)
        return pixmap

    def pixmap(self, url: str, max_px: int | None = None) -> QPixmap | None:
        """The pixmap if in memory; else None, and a load starts (unless one is running or has failed)."""
        if not url:
            return None
        pixmap = self.cached(url)
        if pixmap is None:
            self.request(url, max_px)
        return pixmap

    def request(self, url: str, max_px: int | None = None) -> None:
        """Start loading `url` in the background if it is not cached, loading, waiting to retry or failed."""
        if not url or self._closed or url in self._memory:
            return
        if url in self._inflight or url in self._retries or url in self._failed:
            return
        self._start(url, max_px)

    def is_loading(self, url: str) -> bool:
        return url in self._inflight or url in self._retries

    def has_failed(self, url: str) -> bool:
        return url in self._failed

    def is_idle(self) -> bool:
        """No load running and no retry pending."""
        return not self._inflight and not self._retries

    async def load(self, url: str) -> QPixmap | None:
        """Await the pixmap for `url` (None if it cannot be loaded). Shares any load already running."""
        pixmap = self.cached(url)
        if pixmap is not None or not url or self._closed:
            return pixmap
        task = self._inflight.get(url) or self._start(url)
        if task is None:
            return None
        # shield: one awaiting caller being cancelled must not cancel the load others are waiting for
        return await asyncio.shield(task)

    def retry_failed(self) -> None:
        """Forget past failures (e.g. after the network came back); the next `pixmap()` call loads again."""
        self._failed.clear()
        self._failures.clear()

    def bytes_used(self) -> int:
        """Bytes of decoded pictures held in memory (at most `limit_bytes()`, or the newest one alone)."""
        return self._memory_bytes

    def limit_bytes(self) -> int:
        return self._memory_limit

    def clear_memory(self) -> None:
        self._memory.clear()
        self._memory_bytes = 0

    def close(self) -> None:
        """Cancel every load and pending retry. Safe to call twice."""
        self._closed = True
        for handle in self._retries.values():
            handle.cancel()
        self._retries.clear()
        for task in list(self._tasks):
            task.cancel()

    # -- internals ---------------------------------------------------------------------------------------

    def _start(self, url: str, max_px: int | None = None) -> asyncio.Task[QPixmap | None] | None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            # Painting before the qasync loop runs (start-up, or a test without a loop): try again next paint.
            if not self._warned_no_loop:
                log.warning("thumbnail cache: no running asyncio loop; loads are deferred")
                self._warned_no_loop = True
            return None
        if max_px:
            self._max_px[url] = max_px  # remembered for the retry
        task = loop.create_task(self._guarded_load(url), name=f"thumbnail {_without_query(url)}")
        self._inflight[url] = task
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _guarded_load(self, url: str) -> QPixmap | None:
        try:
            pixmap = await self._load(url, self._max_px.get(url))
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._on_failure(url, exc)
            return None
        finally:
            self._inflight.pop(url, None)
        self._failures.pop(url, None)
        self._remember(url, pixmap)
        self._emit(self.thumbnailReady, url)
        return pixmap

    async def _load(self, url: str, max_px: int | None = None) -> QPixmap:
        path = self.cache_path(url)
        loop = asyncio.get_running_loop()
        # imaging.EXECUTOR: one imaging thread, not asyncio's default pool (one thread per core + 4).
        image = await loop.run_in_executor(imaging.EXECUTOR, _read_cached, path, max_px)
        if image is None:
            async with self._semaphore():
                data = await self._fetch(url)
            image = await loop.run_in_executor(imaging.EXECUTOR, _decode_and_store, path, bytes(data), max_px)
        # QPixmap belongs to the GUI thread; the decode above ran in a worker.
        return QPixmap.fromImage(image)

    def _semaphore(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        semaphore = self._semaphores.get(loop)
        if semaphore is None:
            self._semaphores = {loop: asyncio.Semaphore(self._max_concurrent)}  # forget closed loops
            semaphore = self._semaphores[loop]
        return semaphore

    def _on_failure(self, url: str, exc: Exception) -> None:
        count = self._failures.get(url, 0) + 1
        self._failures[url] = count
        reason = str(exc) or type(exc).__name__
        # Signed URLs carry their signature in the query string (also inside httpx's error text): log the
        # address without it. The signal keeps the full URL: the model looks rows up by it.
        shown, shown_reason = _without_query(url), _QUERY.sub(r"\1", reason)
        if count == 1 and not self._closed:
            log.warning("thumbnail %s failed (%s); retrying in %.1fs", shown, shown_reason, self._retry_delay)
            loop = asyncio.get_running_loop()
            self._retries[url] = loop.call_later(self._retry_delay, self._retry, url, loop)
            return
        log.warning("thumbnail %s failed again (%s); keeping the placeholder", shown, shown_reason)
        self._failed.add(url)
        self._emit(self.thumbnailFailed, url, reason)

    @staticmethod
    def _emit(signal: SignalInstance, *args: object) -> None:
        # A load can finish after the widgets (and this QObject's C++ side) are gone, e.g. at shutdown.
        try:
            signal.emit(*args)
        except RuntimeError as exc:
            log.debug("thumbnail cache: signal dropped: %s", exc)

    def _retry(self, url: str, loop: asyncio.AbstractEventLoop) -> None:
        self._retries.pop(url, None)
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            return  # a timer firing after its loop stopped: the loop's clients are gone with it
        if running is not loop or loop.is_closed():
            return
        if not self._closed and url not in self._memory and url not in self._inflight:
            self._start(url)

    def _remember(self, url: str, pixmap: QPixmap) -> None:
        cost = _cost(pixmap)
        old = self._memory.pop(url, None)
        if old is not None:
            self._memory_bytes -= _cost(old)
        self._memory[url] = pixmap
        self._memory_bytes += cost
        # Evict least recently used, but always keep the newest entry even if it alone exceeds the limit.
        while self._memory_bytes > self._memory_limit and len(self._memory) > 1:
            _, evicted = self._memory.popitem(last=False)
            self._memory_bytes -= _cost(evicted)


def _cost(pixmap: QPixmap) -> int:
    return max(1, pixmap.width() * pixmap.height() * max(1, pixmap.depth()) // 8)
