"""Gallery painting off the GUI thread's back (issue 11 item 2): covers scaled in workers and cached at card
size in a byte-bounded cache, frames pre-rendered, and a grid of 1,000 performers whose memory is bounded by
what is on screen. No timings here: the lead's benchmarks measure; these check the mechanisms."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QRectF, QSize, Qt
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


def test_covers_are_scaled_on_the_one_imaging_thread_that_decodes_thumbnails(qtbot, monkeypatch) -> None:
    # One worker beside the GUI thread, not two: a second one took the GUI thread's core and its GIL.
    import threading

    from videogen_studio.ui.gallery import covers as covers_module
    from videogen_studio.ui.gallery import imaging

    threads: list[str] = []
    real = covers_module.render_cover

    def spy(source: QImage, target: QSize, radius: float) -> QImage:
        threads.append(threading.current_thread().name)
        return real(source, target, radius)

    monkeypatch.setattr(covers_module, "render_cover", spy)
    covers = CoverCache()
    covers.cover(_pixmap(7), QSize(100, 100), 1.0)
    with qtbot.waitSignal(covers.coverReady, timeout=5000):
        pass
    decoder = imaging.EXECUTOR.submit(lambda: threading.current_thread().name).result(timeout=5)
    assert threads == [decoder]
    assert decoder != threading.current_thread().name


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
    texts = gallery.delegate.text_blocks
    while True:
        view.viewport().repaint()
        qtbot.waitUntil(lambda: thumbnails.is_idle(), timeout=20_000)
        qtbot.wait(20)  # covers come back from the pool through the event loop
        view.viewport().repaint()
        # Every cache holds a few screens at most, however far down the catalog the grid is.
        assert covers.bytes_used() <= covers.limit_bytes()
        assert texts.bytes_used() <= texts.limit_bytes()
        assert thumbnails.bytes_used() <= thumbnails.limit_bytes()
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


def _covered_gallery(
    qtbot, tmp_path: Path, presenters: list[AvatarPresenter], fetch: Any
) -> tuple[PresenterGallery, ThumbnailCache]:
    """A shown gallery of `presenters` whose visible cards all have their covers (see below)."""
    thumbnails = ThumbnailCache(fetch, tmp_path / "thumbs")
    gallery = PresenterGallery(thumbnails, MemoryFavoritesStore())
    qtbot.addWidget(gallery)
    gallery.resize(1100, 700)
    gallery.set_presenters(presenters)
    gallery.show()
    qtbot.waitExposed(gallery)
    _paint_until_covered(qtbot, gallery)
    return gallery, thumbnails


def _paint_until_covered(qtbot, gallery: PresenterGallery) -> None:
    """Paint until every visible card has its picture's cover (thumbnails loaded, covers back)."""
    view, covers = gallery.list_view, gallery.delegate.covers

    def covered() -> bool:
        view.viewport().repaint()  # asks for the thumbnails and covers of the visible cards
        return covers.jobs_started > 0 and gallery._thumbnails.is_idle() and not covers._pending

    qtbot.waitUntil(covered, timeout=20_000)
    view.viewport().repaint()  # the real pictures' covers, now that the thumbnails are in memory
    qtbot.waitUntil(lambda: not covers._pending, timeout=10_000)
    view.viewport().repaint()
    qtbot.waitUntil(lambda: not covers._pending and not gallery.delegate._waiting, timeout=10_000)
    assert len(covers) > 0


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

    gallery, thumbnails = _covered_gallery(qtbot, tmp_path, sandbox_presenters, counting_fetch)
    viewport = gallery.list_view.viewport()

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


def test_repainting_a_covered_card_asks_the_model_once_and_derives_no_colours_again(
    qtbot, qloop, tmp_path: Path, sandbox_presenters: list[AvatarPresenter], counting_fetch: Any, monkeypatch
) -> None:
    # Each call into PySide can hand the GIL to a worker (and wait for it back): a card whose cover, text and
    # look are ready is painted with one model call (Role.Card) and nothing recomputed.
    from videogen_studio.ui.gallery.delegate import PresenterDelegate
    from videogen_studio.ui.gallery.model import CardFace, PresenterListModel, Role

    roles: list[int] = []
    data = PresenterListModel.data

    def spy_data(self: Any, index: Any, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        roles.append(role)
        return data(self, index, role)

    monkeypatch.setattr(PresenterListModel, "data", spy_data)  # before the model exists: looked up once
    gallery, thumbnails = _covered_gallery(qtbot, tmp_path, sandbox_presenters, counting_fetch)
    looks: list[Any] = []
    make_look = PresenterDelegate._make_look
    monkeypatch.setattr(PresenterDelegate, "_make_look", lambda *args: looks.append(args) or make_look(*args))
    view = gallery.list_view
    view.viewport().repaint()  # hover, focus and selection as they are now: every look made once
    roles.clear()
    looks.clear()
    texts = len(gallery.delegate.text_blocks._blocks)
    view.viewport().repaint()
    assert roles and set(roles) == {Role.Card}
    assert looks == []
    assert len(gallery.delegate.text_blocks._blocks) == texts  # no text laid out again
    face = CardFace.of(view.model().index(0, 0))
    assert face.name and face.tag.startswith("#") and face.thumbnail_url
    gallery.detail.set_presenter(None)
    thumbnails.close()


def test_card_looks_are_bounded_while_the_window_is_resized(qtbot) -> None:
    # A look holds two card-sized frames; dragging the window's edge through every card width must not keep
    # one per width.
    from videogen_studio.ui.gallery.delegate import LOOKS_KEPT

    gallery = PresenterGallery(ThumbnailCache(_never, Path("/nonexistent")), MemoryFavoritesStore())
    qtbot.addWidget(gallery)
    gallery.set_presenters([AvatarPresenter(f"vg_pres_{i}", "FEMALE", "", "", "") for i in range(3)])
    gallery.splitter.setSizes([900, 0])
    gallery.show()
    qtbot.waitExposed(gallery)
    widths = set()
    for width in range(700, 1100, 7):
        gallery.resize(width, 600)
        gallery.list_view.viewport().repaint()
        widths.add(gallery.list_view.gridSize().width())
        assert len(gallery.delegate._looks) <= LOOKS_KEPT
    assert len(widths) > LOOKS_KEPT  # enough different card widths to have overflowed an unbounded cache


# -- repaints per frame, not per arrival ------------------------------------------------------------------


def test_covers_landing_together_are_announced_once_per_frame(qtbot) -> None:
    from concurrent.futures import ThreadPoolExecutor

    executor = ThreadPoolExecutor(max_workers=1)
    covers = CoverCache(executor=executor)
    announced: list[Any] = []
    covers.coversReady.connect(announced.extend)
    sources = [_pixmap(seed) for seed in range(10)]
    for seed, source in enumerate(sources):
        covers.cover(source, QSize(120, 120), 1.0, name=f"https://cdn.example/{seed}.png")
    executor.shutdown(wait=True)  # all ten are back and queued for the GUI thread before it looks at any
    qtbot.waitUntil(lambda: len(announced) == 10, timeout=5000)
    # The first shows at once; the nine that landed within the same frame come in one announcement.
    assert covers.announcements == 2
    assert sorted(key[0] for key in announced) == sorted(f"https://cdn.example/{s}.png" for s in range(10))
    # Found again by URL, without the source pixmap (which the thumbnail cache may have evicted).
    assert covers.cached("https://cdn.example/3.png", QSize(120, 120), 1.0) is not None
    assert covers.cached("https://cdn.example/3.png", QSize(121, 120), 1.0) is None


def test_thumbnails_landing_together_change_each_row_once(
    qtbot, qloop, tmp_path: Path, sandbox_presenters: list[AvatarPresenter], counting_fetch: Any
) -> None:
    from videogen_studio.ui.gallery.model import PresenterListModel

    cache = ThumbnailCache(counting_fetch, tmp_path)
    model = PresenterListModel(thumbnails=cache)
    model.set_presenters(sandbox_presenters[:5])
    changed: list[tuple[int, int]] = []
    model.dataChanged.connect(lambda first, last, _roles=(): changed.append((first.row(), last.row())))
    for presenter in sandbox_presenters[:5]:  # five pictures land in one turn of the event loop
        cache.thumbnailReady.emit(presenter.thumbnail_url)
    assert len(changed) == 1  # the first is shown at once; the others wait for the end of the frame
    qtbot.waitUntil(lambda: len(changed) == 5, timeout=5000)
    qtbot.wait(50)
    # One signal per row (a view repaints one card for a single index, the whole viewport for a range).
    assert sorted(changed) == [(row, row) for row in range(5)]
    cache.close()


def test_a_landing_cover_repaints_only_the_cards_that_waited_for_it(
    qtbot, qloop, tmp_path: Path, sandbox_presenters: list[AvatarPresenter], counting_fetch: Any
) -> None:
    gallery, thumbnails = _covered_gallery(qtbot, tmp_path, sandbox_presenters, counting_fetch)
    view = gallery.list_view
    covers = gallery.delegate.covers

    # Covers forgotten: every visible card waits for its cover again.
    gallery.delegate.covers.clear()
    view.viewport().repaint()
    waiting = {key: list(cards) for key, cards in gallery.delegate._waiting.items()}
    assert waiting, "cards painted without their cover are remembered"
    updates: list[Any] = []
    viewport = view.viewport()
    original = viewport.update
    viewport.update = lambda *args: (updates.append(args), original(*args))  # type: ignore[method-assign]
    try:
        qtbot.waitUntil(lambda: not covers._pending, timeout=10_000)
        qtbot.waitUntil(lambda: not gallery.delegate._waiting, timeout=5000)
    finally:
        del viewport.update
    assert updates, "landed covers repaint their cards"
    card_rects = {
        view.visualRect(view.model().index(p.row(), 0)).getRect() for c in waiting.values() for p in c
    }
    assert all(len(args) == 1 and args[0].getRect() in card_rects for args in updates)  # never the viewport
    gallery.detail.set_presenter(None)
    thumbnails.close()


def test_two_distant_dirty_cards_repaint_those_cards_not_every_card_between(qtbot, monkeypatch) -> None:
    # QListView paints every card in the bounding rect of the dirty region: a cover landing in the top row
    # while the bottom row changes would repaint the whole viewport. Each dirty rect is painted on its own.
    from PySide6.QtWidgets import QApplication

    from videogen_studio.ui.gallery.delegate import PresenterDelegate

    painted: list[int] = []
    real = PresenterDelegate.paint

    def spy(self: Any, painter: Any, option: Any, index: Any) -> None:
        painted.append(index.row())
        real(self, painter, option, index)

    monkeypatch.setattr(PresenterDelegate, "paint", spy)  # before the view exists: PySide looks it up once
    gallery = PresenterGallery(ThumbnailCache(_never, Path("/nonexistent")), MemoryFavoritesStore())
    qtbot.addWidget(gallery)
    gallery.set_presenters([AvatarPresenter(f"vg_pres_{i:02d}", "FEMALE", "", "", "") for i in range(40)])
    gallery.resize(1100, 1000)
    gallery.show()
    qtbot.waitExposed(gallery)
    view = gallery.list_view
    area = view.viewport().rect()
    indexes = [view.model().index(row, 0) for row in range(view.model().rowCount())]
    visible = [index for index in indexes if area.contains(view.visualRect(index))]
    tops = sorted({view.visualRect(index).top() for index in visible})
    assert len(tops) >= 3, "the window shows three whole rows of cards"
    first = visible[0]
    last = next(index for index in visible if view.visualRect(index).top() == tops[-1])
    qtbot.waitUntil(lambda: bool(painted), timeout=5000)
    QApplication.processEvents()  # nothing else pending: the next paint is ours alone
    painted.clear()
    view.viewport().update(view.visualRect(first))
    view.viewport().update(view.visualRect(last))
    qtbot.waitUntil(lambda: bool(painted), timeout=5000)
    QApplication.processEvents()
    assert sorted(set(painted)) == sorted({first.row(), last.row()})  # not the rows between them


def test_caches_are_sized_to_the_window_not_the_catalog(qtbot) -> None:
    from videogen_studio.ui.gallery.covers import COVER_CACHE_BYTES

    gallery = PresenterGallery(ThumbnailCache(_never, Path("/nonexistent")), MemoryFavoritesStore())
    qtbot.addWidget(gallery)
    covers = gallery.delegate.covers
    gallery.set_presenters([AvatarPresenter(f"vg_pres_{i}", "FEMALE", "", "", "") for i in range(3)])
    gallery.resize(900, 650)
    gallery.show()
    qtbot.waitExposed(gallery)
    assert covers.limit_bytes() == COVER_CACHE_BYTES  # a small window: the default holds a few screens
    gallery.resize(3800, 2100)
    viewport = gallery.list_view.viewport()
    qtbot.waitUntil(lambda: viewport.width() > 2000, timeout=5000)
    dpr = gallery.list_view.devicePixelRatioF()
    screen = viewport.width() * viewport.height() * dpr * dpr * 4
    assert covers.limit_bytes() == round(2 * screen)  # a big window: two screens of covers, not fewer
    gallery.resize(900, 650)
    qtbot.waitUntil(lambda: covers.limit_bytes() == COVER_CACHE_BYTES, timeout=5000)


async def _never(url: str) -> bytes:
    raise AssertionError(f"no fetch expected: {url}")


# -- decoding with Pillow ---------------------------------------------------------------------------------


def test_decoding_turns_photos_upright_and_refuses_garbage() -> None:
    import io

    from PIL import Image

    from videogen_studio.ui.gallery import imaging

    photo = Image.new("RGB", (300, 200), (200, 30, 30))
    exif = photo.getexif()
    exif[0x0112] = 6  # EXIF orientation: the camera was turned; the picture must be rotated 90°
    data = io.BytesIO()
    photo.save(data, "JPEG", exif=exif.tobytes())
    upright = imaging.decode(data.getvalue())
    assert upright is not None and (upright.width(), upright.height()) == (200, 300)
    small = imaging.decode(data.getvalue(), 100)
    assert small is not None and (small.width(), small.height()) == (100, 150)
    assert small.format() == QImage.Format.Format_RGB32  # opaque: the fastest format to draw
    assert imaging.decode(b"\x89PNG truncated garbage") is None
    assert imaging.decode(b"") is None


def test_a_picture_arriving_starts_its_cover_and_the_card_repaints_once(
    qtbot, qloop, tmp_path: Path, sandbox_presenters: list[AvatarPresenter], counting_fetch: Any, monkeypatch
) -> None:
    from PySide6.QtGui import QPainter

    from videogen_studio.ui.gallery.model import Role

    gallery, thumbnails = _covered_gallery(qtbot, tmp_path, sandbox_presenters, counting_fetch)
    view, covers = gallery.list_view, gallery.delegate.covers
    first = view.model().index(0, 0)
    url = str(first.data(Role.ThumbnailUrl))
    side = gallery.delegate.card_rect(_option(view, first)).width()
    key = covers.key(url, QSize(side, side), view.devicePixelRatioF())
    covers.clear()  # as if the card's cover had been evicted: its picture arrives again
    jobs = covers.jobs_started
    qtbot.wait(50)  # past the model's announcement frame: the arrival is announced at once
    bare: list[Any] = []  # the unsmoothed picture is drawn into a rect from a source rect; covers are not
    draw = QPainter.drawPixmap

    def spy(painter: QPainter, *args: Any) -> None:
        if len(args) == 3 and isinstance(args[2], QRectF):
            bare.append(args)
        draw(painter, *args)

    monkeypatch.setattr(QPainter, "drawPixmap", spy)
    updates: list[Any] = []
    viewport = view.viewport()
    original = viewport.update
    viewport.update = lambda *args: (updates.append(args), original(*args))  # type: ignore[method-assign]
    try:
        thumbnails.thumbnailReady.emit(url)
        # The cover is started at the arrival, before any paint, and the card waits for it.
        assert covers.jobs_started == jobs + 1
        assert key in gallery.delegate._waiting
        qtbot.waitUntil(lambda: covers.cached(url, QSize(side, side), view.devicePixelRatioF()) is not None)
        qtbot.waitUntil(lambda: bool(updates), timeout=5000)
    finally:
        del viewport.update
    assert [args[0].getRect() for args in updates] == [view.visualRect(first).getRect()]  # that card, once
    qtbot.wait(50)  # its repaint
    assert bare == []  # never painted with the bare picture in between
    gallery.detail.set_presenter(None)
    thumbnails.close()
