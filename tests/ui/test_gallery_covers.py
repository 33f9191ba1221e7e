"""Gallery painting off the GUI thread's back (issue 11 item 2): covers scaled in workers and cached at card
size in a byte-bounded cache, frames pre-rendered, and a grid of 1,000 performers whose memory is bounded by
what is on screen. No timings here: the lead's benchmarks measure; these check the mechanisms."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QImage, QPixmap

from videogen_studio.api.models import AvatarPresenter
from videogen_studio.ui.gallery.covers import CoverCache, FrameCache, render_cover
from videogen_studio.ui.gallery.model import MemoryFavoritesStore
from videogen_studio.ui.gallery.thumbnails import ThumbnailCache
from videogen_studio.ui.gallery.view import PresenterGallery

pytestmark = pytest.mark.usefixtures("qapp")


def _pixmap(seed: int, size: int = 160) -> QPixmap:
    image = QImage(size, size, QImage.Format.Format_RGB32)
    image.fill(QColor.fromHsv(seed * 37 % 360, 120, 200))
    return QPixmap.fromImage(image)


def test_cover_is_scaled_in_a_worker_then_served_from_memory(qtbot) -> None:
    covers = CoverCache(radius=10)
    source = _pixmap(1)
    assert covers.cover(source, QSize(200, 200), 2.0) is None  # queued, not scaled on this thread
    assert covers.cover(source, QSize(200, 200), 2.0) is None
    assert covers.jobs_started == 1  # asking again while it runs does not queue a second job
    with qtbot.waitSignal(covers.coverReady, timeout=5000):
        pass
    cover = covers.cover(source, QSize(200, 200), 2.0)
    assert cover is not None
    assert (cover.width(), cover.height(), cover.devicePixelRatio()) == (400, 400, 2.0)
    assert covers.jobs_started == 1


def test_cover_cache_is_bounded_in_bytes_not_by_the_catalog(qtbot) -> None:
    one_cover = 200 * 200 * 4
    covers = CoverCache(limit_bytes=10 * one_cover)
    for seed in range(60):
        source = _pixmap(seed)
        covers.cover(source, QSize(200, 200), 1.0)
        qtbot.waitUntil(lambda s=source: covers.cover(s, QSize(200, 200), 1.0) is not None, timeout=5000)
        assert covers.bytes_used() <= covers.limit_bytes()
    assert len(covers) == 10


def test_rendered_cover_fills_the_card_with_rounded_top_corners() -> None:
    source = QImage(100, 300, QImage.Format.Format_RGB32)  # a tall portrait: cropped, not squashed
    source.fill(QColor("#3366cc"))
    cover = render_cover(source, QSize(160, 160), 10.0)
    assert cover.size() == QSize(160, 160)
    assert cover.pixelColor(0, 0).alpha() == 0  # the rounded corner is transparent
    assert cover.pixelColor(80, 80).name() == "#3366cc"
    assert cover.pixelColor(0, 159).alpha() == 255  # bottom corners stay square (the text block follows)


def test_frames_are_rendered_once_per_size_and_state() -> None:
    frames = FrameCache()
    args: dict[str, Any] = dict(
        background=QColor("white"), edge=QColor(0, 0, 0, 0), edge_width=0, shadow=True, radius=10
    )
    first = frames.frame(QSize(180, 250), 1.0, **args)
    assert frames.frame(QSize(180, 250), 1.0, **args).cacheKey() == first.cacheKey()
    other = frames.frame(QSize(180, 250), 1.0, **{**args, "background": QColor("#eef")})
    assert other.cacheKey() != first.cacheKey()


def test_scrolling_a_thousand_performers_keeps_memory_to_a_few_screens(
    qtbot, qloop, tmp_path: Path, sandbox_presenters: list[AvatarPresenter], counting_fetch: Any
) -> None:
    thumbnails = ThumbnailCache(counting_fetch, tmp_path / "thumbs")
    gallery = PresenterGallery(thumbnails, MemoryFavoritesStore())
    qtbot.addWidget(gallery)
    gallery.resize(1366, 768)
    many = [
        replace(p, avatar_presenter_id=f"{p.avatar_presenter_id}_{copy:03d}")
        for copy in range(1000 // len(sandbox_presenters) + 1)
        for p in sandbox_presenters
    ][:1000]
    gallery.set_presenters(many)
    gallery.show()
    qtbot.waitExposed(gallery)
    view = gallery.list_view
    covers = gallery.delegate.covers
    bar = view.verticalScrollBar()
    step = max(1, view.viewport().height())
    while True:
        view.viewport().repaint()
        qtbot.waitUntil(lambda: thumbnails.is_idle(), timeout=20_000)
        qtbot.wait(20)  # covers come back from the pool through the event loop
        view.viewport().repaint()
        assert covers.bytes_used() <= covers.limit_bytes()
        if bar.value() >= bar.maximum():
            break
        bar.setValue(bar.value() + step)
    assert covers.jobs_started > 0
    # Every visible card got a cover at its own size (device pixels), scaled once in a worker.
    index = gallery.proxy.index(gallery.proxy.rowCount() - 1, 0)
    decoration = index.data(Qt.ItemDataRole.DecorationRole)
    card = gallery.delegate.card_rect(_option(view, index))
    qtbot.waitUntil(
        lambda: (
            covers.cover(decoration, QSize(card.width(), card.width()), view.devicePixelRatioF()) is not None
        ),
        timeout=5000,
    )
    gallery.detail.set_presenter(None)
    thumbnails.close()


def _option(view, index):
    from PySide6.QtWidgets import QStyleOptionViewItem

    option = QStyleOptionViewItem()
    option.rect = view.visualRect(index)
    option.font = view.font()
    return option


async def test_thumbnails_are_decoded_at_the_size_shown(
    tmp_path: Path, sandbox_presenters: list[AvatarPresenter], counting_fetch: Any
) -> None:
    url = sandbox_presenters[0].image_url  # the large portrait: bigger than any card
    full = ThumbnailCache(counting_fetch, tmp_path / "full")
    small = ThumbnailCache(counting_fetch, tmp_path / "small")
    original = await full.load(url)
    assert original is not None and min(original.width(), original.height()) > 200
    small.request(url, 200)
    for _ in range(1000):
        if small.cached(url) is not None:
            break
        await asyncio.sleep(0.01)
    decoded = small.cached(url)
    assert decoded is not None
    assert min(decoded.width(), decoded.height()) == 200  # fills a 200 px card, no larger
    assert decoded.width() * original.height() == decoded.height() * original.width()  # same aspect
    full.close()
    small.close()


def test_painting_cards_neither_scales_pixmaps_nor_fills_paths(
    qtbot, qloop, tmp_path: Path, sandbox_presenters: list[AvatarPresenter], counting_fetch: Any, monkeypatch
) -> None:
    from PySide6.QtGui import QPainter

    thumbnails = ThumbnailCache(counting_fetch, tmp_path / "thumbs")
    gallery = PresenterGallery(thumbnails, MemoryFavoritesStore())
    qtbot.addWidget(gallery)
    gallery.resize(1100, 700)
    gallery.set_presenters(sandbox_presenters)
    gallery.show()
    qtbot.waitExposed(gallery)
    viewport = gallery.list_view.viewport()
    covers = gallery.delegate.covers
    qtbot.waitUntil(thumbnails.is_idle, timeout=20_000)
    viewport.repaint()
    qtbot.waitUntil(lambda: not covers._pending, timeout=10_000)  # every visible cover back from the pool

    calls: list[str] = []
    for cls, name in ((QPixmap, "scaled"), (QImage, "scaled"), (QPainter, "fillPath")):
        original = getattr(cls, name)

        def spy(
            *args: Any, _name: str = f"{cls.__name__}.{name}", _original: Any = original, **kw: Any
        ) -> Any:
            calls.append(_name)
            return _original(*args, **kw)

        monkeypatch.setattr(cls, name, spy)
    viewport.repaint()
    assert calls == [], "paint must draw pre-scaled covers and pre-rendered frames only"
    gallery.detail.set_presenter(None)
    thumbnails.close()
