"""Gallery over the catalog: performers of either form, page-by-page filling, a cached start, stars that do
not reorder the grid under the pointer (issue 9, defect 14), a preview clip as large as the still (defect 2).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import shiboken6
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QEnterEvent
from PySide6.QtWidgets import QApplication, QStyleOptionViewItem

from videogen_studio.api.models import AvatarPresenter
from videogen_studio.ui.gallery.model import MemoryFavoritesStore, PresenterListModel
from videogen_studio.ui.gallery.thumbnails import ThumbnailCache
from videogen_studio.ui.gallery.view import PresenterGallery

Role = PresenterListModel

pytestmark = pytest.mark.usefixtures("qapp")


@dataclass(frozen=True)
class _Performer:
    """The shape of `pipeline.catalog.Performer` (fields as the team contract names them)."""

    performer_id: str
    form: str
    name: str
    gender: str
    description: str
    image_url: str
    thumbnail_url: str
    preview_video_url: str
    thumbnail_file_id: str | None = None


_WORDS = ("amber", "birch", "cedar", "dune", "ember", "fjord")  # distinct words to search for


def _actors(presenters: list[AvatarPresenter]) -> list[_Performer]:
    return [
        _Performer(
            f"ent_{p.avatar_presenter_id[-8:]}",
            "actor",
            f"Actor {i}",
            "",  # ACTOR entities carry no gender
            f"Studio portrait {_WORDS[i]}",
            p.image_url,
            p.thumbnail_url,
            "",
        )
        for i, p in enumerate(presenters)
    ]


class _PagedCatalog:
    """Pages of a real sandbox listing, handed out one by one when the test says so."""

    def __init__(self, pages: list[list[Any]], cached: list[Any] | None = None) -> None:
        self._pages = pages
        self._cached = cached
        self.gate: asyncio.Queue[None] = asyncio.Queue()

    def cached(self) -> list[Any] | None:
        return self._cached

    async def pages(self) -> AsyncIterator[list[Any]]:
        for page in self._pages:
            await self.gate.get()
            yield page


@pytest.fixture
def make_gallery(qtbot, tmp_path: Path, counting_fetch: Any):
    made: list[tuple[PresenterGallery, ThumbnailCache]] = []

    def make() -> PresenterGallery:
        cache = ThumbnailCache(counting_fetch, tmp_path / f"thumbs{len(made)}")
        widget = PresenterGallery(cache, MemoryFavoritesStore())
        qtbot.addWidget(widget)
        widget.resize(1100, 720)
        widget.show()
        made.append((widget, cache))
        widget.test_cache = cache  # async tests wait for its loads before their loop closes
        return widget

    yield make
    for widget, cache in made:
        if shiboken6.isValid(widget):
            widget.detail.set_presenter(None)
        cache.close()


async def _until(condition: Any, task: asyncio.Future[Any], seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.01)):
        if condition():
            return
        if task.done():
            task.result()  # raises the loader's error, if any
        await asyncio.sleep(0.01)
    raise AssertionError("condition not met in time")


def _ids(gallery: PresenterGallery) -> list[str]:
    return [gallery.proxy.index(r, 0).data(Role.IdRole) for r in range(gallery.proxy.rowCount())]


def test_actor_performers_show_their_own_names_and_descriptions(
    qtbot, qloop, make_gallery, sandbox_presenters: list[AvatarPresenter]
) -> None:
    gallery = make_gallery()
    actors = _actors(sandbox_presenters[:6])
    gallery.set_performers(actors)
    assert gallery.current_page() == "grid"
    assert gallery.model.name_of(actors[2]) == "Actor 2"
    assert "studio portrait cedar" in gallery.model.index_of(actors[2].performer_id).data(Role.SearchTextRole)
    gallery.search_edit.setText("Ember")
    assert _ids(gallery) == [actors[4].performer_id]
    gallery.clear_filters()

    with qtbot.waitSignal(gallery.performerSelected) as picked:
        assert gallery.select_presenter(actors[3].performer_id)
    assert picked.args[0] is actors[3]
    assert gallery.detail.name_label.text() == "Actor 3"
    assert gallery.detail.description_label.text() == "Studio portrait dune"
    assert gallery.detail.preview_message.text() == "No preview clip"
    assert not gallery.gender_combo.isVisibleTo(gallery), "actors carry no gender: nothing to filter by"
    gallery.set_performers(sandbox_presenters[:3])
    assert gallery.gender_combo.isVisibleTo(gallery)


async def test_first_page_is_painted_before_the_rest_arrive(
    make_gallery, sandbox_presenters: list[AvatarPresenter]
) -> None:
    gallery = make_gallery()
    third = len(sandbox_presenters) // 3
    everyone = sandbox_presenters
    pages = [everyone[:third], everyone[third : 2 * third], everyone[2 * third :]]
    catalog = _PagedCatalog(pages)
    task = asyncio.ensure_future(gallery.load_catalog(catalog))
    await asyncio.sleep(0)
    assert gallery.current_page() == "loading"

    catalog.gate.put_nowait(None)
    await _until(lambda: gallery.model.rowCount() >= third, task)
    assert gallery.current_page() == "grid" and gallery.is_loaded()
    assert gallery.model.rowCount() == third
    names_first_page = [gallery.model.name_of(p) for p in pages[0]]
    gallery.select_presenter(pages[0][7].avatar_presenter_id)
    await asyncio.sleep(0.2)  # let the view lay the cards out
    bar = gallery.list_view.verticalScrollBar()
    bar.setValue(bar.maximum())  # the user scrolls away from the selection
    scrolled = bar.value()

    for _ in pages[1:]:
        catalog.gate.put_nowait(None)
    assert await asyncio.wait_for(task, 20) == len(sandbox_presenters)
    assert gallery.model.rowCount() == len(sandbox_presenters)
    # Later pages never rename cards already painted, the choice survives, and the grid was not yanked
    # back to the selection while pages arrived.
    assert [gallery.model.name_of(p) for p in pages[0]] == names_first_page
    assert gallery.selected_presenter() == pages[0][7]
    await asyncio.sleep(0.2)
    assert bar.value() == scrolled
    assert gallery.count_label.text() == f"{len(sandbox_presenters)} presenters"
    await _until(gallery.test_cache.is_idle, task)


async def test_cached_catalog_is_shown_at_once_and_swapped_for_the_fresh_list(
    make_gallery, sandbox_presenters: list[AvatarPresenter]
) -> None:
    gallery = make_gallery()
    stale = sandbox_presenters[:30]
    fresh = sandbox_presenters[10:]
    catalog = _PagedCatalog([fresh[:15], fresh[15:]], cached=stale)
    task = asyncio.ensure_future(gallery.load_catalog(catalog))
    await asyncio.sleep(0)
    assert gallery.current_page() == "grid"
    assert gallery.model.rowCount() == len(stale)
    gallery.select_presenter(stale[15].avatar_presenter_id)

    catalog.gate.put_nowait(None)
    await asyncio.sleep(0.05)
    assert gallery.model.rowCount() == len(stale), "the cached list stays until the fresh walk completes"
    catalog.gate.put_nowait(None)
    assert await asyncio.wait_for(task, 20) == len(fresh)
    assert [gallery.model.presenter_at(r) for r in range(gallery.model.rowCount())] == fresh
    assert gallery.selected_presenter() == stale[15]
    await _until(gallery.test_cache.is_idle, task)


def _star_center(gallery: PresenterGallery, row: int):
    option = QStyleOptionViewItem()
    option.rect = gallery.list_view.visualRect(gallery.proxy.index(row, 0))
    option.font = gallery.list_view.font()
    return gallery.delegate.star_rect(option).center()


def test_starring_does_not_reorder_the_grid_under_the_pointer(
    qtbot, qloop, make_gallery, sandbox_presenters: list[AvatarPresenter]
) -> None:
    gallery = make_gallery()
    gallery.set_presenters(sandbox_presenters)
    qtbot.waitExposed(gallery)
    viewport = gallery.list_view.viewport()
    before = _ids(gallery)

    star = _star_center(gallery, 5)
    QApplication.sendEvent(viewport, QEnterEvent(QPointF(star), QPointF(star), QPointF(star)))
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=star)
    assert gallery.model.is_favorite(before[5])
    assert _ids(gallery) == before, "the starred card must stay under the pointer"
    # The next click on the same spot un-stars the same presenter, not a neighbour.
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=_star_center(gallery, 5))
    assert not gallery.model.is_favorite(before[5])
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=_star_center(gallery, 6))
    assert gallery.model.is_favorite(before[6])
    assert _ids(gallery) == before

    # Once the pointer leaves the grid, favorites move to the front.
    QApplication.sendEvent(viewport, QEvent(QEvent.Type.Leave))
    assert _ids(gallery)[0] == before[6]
    assert sorted(_ids(gallery)) == sorted(before)


def test_favorites_only_view_keeps_an_unstarred_card_until_the_pointer_leaves(
    qtbot, qloop, make_gallery, sandbox_presenters: list[AvatarPresenter]
) -> None:
    gallery = make_gallery()
    gallery.set_presenters(sandbox_presenters[:20])
    for presenter in sandbox_presenters[:3]:
        gallery.model.set_favorite(presenter.avatar_presenter_id, True)
    gallery.favorites_button.setChecked(True)
    qtbot.waitExposed(gallery)
    shown = _ids(gallery)
    assert len(shown) == 3
    viewport = gallery.list_view.viewport()
    star = _star_center(gallery, 1)
    QApplication.sendEvent(viewport, QEnterEvent(QPointF(star), QPointF(star), QPointF(star)))
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=star)
    assert not gallery.model.is_favorite(shown[1])
    assert _ids(gallery) == shown
    QApplication.sendEvent(viewport, QEvent(QEvent.Type.Leave))
    assert _ids(gallery) == [shown[0], shown[2]]


def test_starring_from_the_keyboard_or_detail_pane_sorts_at_once(
    qtbot, qloop, make_gallery, sandbox_presenters: list[AvatarPresenter]
) -> None:
    gallery = make_gallery()
    gallery.set_presenters(sandbox_presenters[:20])
    last = _ids(gallery)[-1]
    gallery.select_presenter(last)
    gallery.detail.favorite_button.click()
    assert gallery.model.is_favorite(last)
    assert _ids(gallery)[0] == last


def test_preview_clip_is_as_large_as_the_still(
    qtbot, qloop, make_gallery, sandbox_presenters: list[AvatarPresenter]
) -> None:
    gallery = make_gallery()
    gallery.set_presenters(sandbox_presenters)
    qtbot.waitExposed(gallery)
    presenter = sandbox_presenters[3]
    gallery.select_presenter(presenter.avatar_presenter_id)
    detail = gallery.detail
    qtbot.waitUntil(lambda: detail.portrait.pixmap().width() > 256, timeout=20_000)
    still = detail.portrait.image_rect()
    assert still.height() >= 120
    qtbot.waitUntil(detail.showing_clip, timeout=15_000)
    clip = detail.video.geometry()
    # Same slot, same box: the clip covers at least the still's area (its own aspect may differ slightly).
    assert clip.width() * clip.height() >= 0.9 * still.width() * still.height()
    assert clip.height() >= still.height() - 2 or clip.width() >= still.width() - 2
