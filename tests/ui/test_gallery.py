"""Presenter gallery: model, filters, favorites, thumbnails and the widget, against the loopback sandbox."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, QPoint, Qt
from PySide6.QtGui import QColor, QImage, QPalette, QPixmap
from PySide6.QtWidgets import QStyleOptionViewItem

from videogen_studio.api.models import AvatarPresenter
from videogen_studio.sandbox import SandboxServer
from videogen_studio.ui.gallery.model import (
    JsonFavoritesStore,
    MemoryFavoritesStore,
    PresenterFilterProxy,
    PresenterListModel,
    assign_names,
    friendly_name,
    short_tag,
)
from videogen_studio.ui.gallery.thumbnails import ThumbnailCache, cache_file_name, placeholder_pixmap
from videogen_studio.ui.gallery.view import PresenterGallery

Role = PresenterListModel  # the role constants live on the model class

# Pixmaps (decorations, placeholders) need a QApplication even in the model-only tests.
pytestmark = pytest.mark.usefixtures("qapp")


def _proxy_for(presenters: list[AvatarPresenter], favorites: Iterable[str] = ()) -> PresenterFilterProxy:
    model = PresenterListModel(MemoryFavoritesStore(favorites))
    model.set_presenters(presenters)
    proxy = PresenterFilterProxy()
    proxy.setSourceModel(model)
    proxy._test_model = model  # keep the model alive as long as the proxy
    return proxy


def _proxy_ids(proxy: PresenterFilterProxy) -> list[str]:
    return [proxy.index(row, 0).data(Role.IdRole) for row in range(proxy.rowCount())]


# -- model ---------------------------------------------------------------------------------------------


def test_model_rows_mirror_the_sandbox_presenters(sandbox_presenters: list[AvatarPresenter]) -> None:
    model = PresenterListModel()
    model.set_presenters(sandbox_presenters)

    assert model.rowCount() == len(sandbox_presenters)
    for row, presenter in enumerate(sandbox_presenters):
        index = model.index(row, 0)
        assert index.data(Role.PresenterRole) == presenter
        assert index.data(Role.IdRole) == presenter.avatar_presenter_id
        assert index.data(Role.GenderRole) == presenter.displayable_gender
        assert index.data(Role.FavoriteRole) is False
        name = model.name_of(presenter)
        assert (
            index.data(Qt.ItemDataRole.DisplayRole) == f"{name} · {short_tag(presenter.avatar_presenter_id)}"
        )
        assert name.casefold() in index.data(Role.SearchTextRole)
        assert isinstance(index.data(Qt.ItemDataRole.DecorationRole), QPixmap)
        assert model.index_of(presenter.avatar_presenter_id).row() == row
        assert model.presenter_at(row) == presenter

    assert not model.index_of("no-such-presenter").isValid()
    assert model.presenter_at(len(sandbox_presenters)) is None
    # Names are derived from the ids alone (the same in every session and in any listing order), and no
    # two presenters share one while the pools last.
    names = [model.index(r, 0).data(Role.NameRole) for r in range(model.rowCount())]
    assert names == [
        assign_names(reversed(sandbox_presenters))[p.avatar_presenter_id] for p in sandbox_presenters
    ]
    assert len(set(names)) == len(names)


def test_names_follow_the_gender(sandbox_presenters: list[AvatarPresenter]) -> None:
    from videogen_studio.pipeline.naming import FIRST_NAMES as _FIRST_NAMES

    names = assign_names(sandbox_presenters)
    for presenter in sandbox_presenters:
        pool = _FIRST_NAMES.get(presenter.displayable_gender, _FIRST_NAMES["NEUTRAL"])
        assert friendly_name(presenter) in pool and names[presenter.avatar_presenter_id] in pool
    unknown = AvatarPresenter("vg_pres_x", "ROBOT", "u", "t", "")
    assert friendly_name(unknown) in _FIRST_NAMES["NEUTRAL"]


# -- filters -------------------------------------------------------------------------------------------


def test_search_matches_name_and_id_case_insensitively(sandbox_presenters: list[AvatarPresenter]) -> None:
    proxy = _proxy_for(sandbox_presenters)
    assert proxy.rowCount() == len(sandbox_presenters)

    target = sandbox_presenters[3]
    names = assign_names(sandbox_presenters)
    name = names[target.avatar_presenter_id]
    proxy.set_search_text(name.upper())
    expected = {
        p.avatar_presenter_id
        for p in sandbox_presenters
        if name.casefold() in names[p.avatar_presenter_id].casefold()
    }
    assert set(_proxy_ids(proxy)) == expected
    assert target.avatar_presenter_id in expected

    proxy.set_search_text(target.avatar_presenter_id[-6:].upper())
    assert _proxy_ids(proxy) == [target.avatar_presenter_id]

    proxy.set_search_text(f"  {name.lower()}   {target.avatar_presenter_id[-6:]} ")
    assert _proxy_ids(proxy) == [target.avatar_presenter_id]

    proxy.set_search_text("zzzz-nobody")
    assert proxy.rowCount() == 0

    proxy.set_search_text("")
    assert proxy.rowCount() == len(sandbox_presenters)


def test_gender_filter_counts(sandbox_presenters: list[AvatarPresenter]) -> None:
    proxy = _proxy_for(sandbox_presenters)
    counts = Counter(p.displayable_gender for p in sandbox_presenters)
    assert len(counts) >= 2, "the sandbox should mix genders"

    for gender in ("MALE", "FEMALE", "NEUTRAL"):
        proxy.set_gender_filter(gender)
        assert proxy.rowCount() == counts[gender]
        assert {proxy.index(r, 0).data(Role.GenderRole) for r in range(proxy.rowCount())} <= {gender}
    proxy.set_gender_filter("ALL")
    assert proxy.rowCount() == len(sandbox_presenters)

    # Filters combine: a female presenter's id searched under "MALE" matches nothing.
    female = next(p for p in sandbox_presenters if p.displayable_gender == "FEMALE")
    proxy.set_search_text(female.avatar_presenter_id)
    proxy.set_gender_filter("MALE")
    assert proxy.rowCount() == 0
    proxy.set_gender_filter("FEMALE")
    assert _proxy_ids(proxy) == [female.avatar_presenter_id]


def test_favorites_sort_first_and_filter(sandbox_presenters: list[AvatarPresenter]) -> None:
    proxy = _proxy_for(sandbox_presenters)
    model: PresenterListModel = proxy.sourceModel()
    chosen = [sandbox_presenters[-1].avatar_presenter_id, sandbox_presenters[5].avatar_presenter_id]

    for presenter_id in chosen:
        assert model.toggle_favorite(presenter_id) is True

    # Toggling re-sorted the proxy on its own: favorites lead, each group ordered by name.
    ids = _proxy_ids(proxy)
    assert set(ids[:2]) == set(chosen)
    lead = [proxy.index(r, 0).data(Role.NameRole).casefold() for r in range(2)]
    rest = [proxy.index(r, 0).data(Role.NameRole).casefold() for r in range(2, proxy.rowCount())]
    assert lead == sorted(lead) and rest == sorted(rest)

    proxy.set_favorites_only(True)
    assert set(_proxy_ids(proxy)) == set(chosen)

    # Un-favoriting through setData (what the star does) drops the row from the favorites-only view.
    assert proxy.setData(proxy.index(0, 0), False, Role.FavoriteRole)
    assert proxy.rowCount() == 1
    proxy.set_favorites_only(False)
    assert proxy.rowCount() == len(sandbox_presenters)


def test_favorites_persist_across_model_instances(
    sandbox_presenters: list[AvatarPresenter], isolated_user_dirs: Path
) -> None:
    first = PresenterListModel(JsonFavoritesStore())
    first.set_presenters(sandbox_presenters)
    keep = sandbox_presenters[2].avatar_presenter_id
    dropped = sandbox_presenters[7].avatar_presenter_id
    first.set_favorite(keep, True)
    first.set_favorite(dropped, True)
    first.set_favorite(dropped, False)

    path = isolated_user_dirs / "config" / "favorites.json"
    assert json.loads(path.read_text(encoding="utf-8")) == {"version": 1, "favorites": [keep]}
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")], "temp files must be renamed"

    second = PresenterListModel(JsonFavoritesStore())
    second.set_presenters(sandbox_presenters)
    assert second.favorites() == {keep}
    assert second.index_of(keep).data(Role.FavoriteRole) is True
    assert second.index_of(dropped).data(Role.FavoriteRole) is False


def test_unreadable_favorites_file_starts_empty(tmp_path: Path) -> None:
    path = tmp_path / "favorites.json"
    path.write_text("{not json", encoding="utf-8")
    store = JsonFavoritesStore(path)
    assert store.load() == set()
    store.save({"b", "a"})
    assert JsonFavoritesStore(path).load() == {"a", "b"}


# -- thumbnail cache -----------------------------------------------------------------------------------


def test_thumbnails_are_cached_on_disk_and_reused(
    qtbot,
    qloop,
    tmp_path: Path,
    sandbox_presenters: list[AvatarPresenter],
    counting_fetch: Any,
    make_fetch: Any,
) -> None:
    urls = [p.thumbnail_url for p in sandbox_presenters[:6]]
    folder = tmp_path / "thumbs"
    first = ThumbnailCache(counting_fetch, folder, max_concurrent=2)

    assert all(first.pixmap(url) is None for url in urls)  # nothing in memory: loads start
    for url in urls:  # asking again while loading must not start a second fetch
        assert first.pixmap(url) is None
    qtbot.waitUntil(lambda: all(first.cached(url) is not None for url in urls), timeout=20_000)

    assert sorted(counting_fetch.calls) == sorted(urls)
    assert counting_fetch.max_active <= 2
    assert sorted(p.name for p in folder.iterdir()) == sorted(cache_file_name(u) for u in urls)
    assert not QImage(str(folder / cache_file_name(urls[0]))).isNull()

    # A new cache (think: next app start) serves the same URLs from disk without any fetch.
    second_fetch = make_fetch()
    second = ThumbnailCache(second_fetch, folder)
    with qtbot.waitSignals([second.thumbnailReady] * len(urls), timeout=20_000):
        for url in urls:
            second.request(url)
    assert all(second.cached(url) is not None for url in urls)
    assert second_fetch.calls == []
    assert second.cached(urls[0]).size() == first.cached(urls[0]).size()


def test_corrupt_cache_file_is_replaced(
    qtbot, qloop, tmp_path: Path, sandbox_presenters: list[AvatarPresenter], counting_fetch: Any
) -> None:
    url = sandbox_presenters[0].thumbnail_url
    cache = ThumbnailCache(counting_fetch, tmp_path)
    cache.cache_path(url).write_bytes(b"\x89PNG truncated garbage")

    with qtbot.waitSignal(cache.thumbnailReady, timeout=20_000) as ready:
        cache.request(url)
    assert ready.args == [url]
    assert counting_fetch.calls == [url]
    assert not QImage(str(cache.cache_path(url))).isNull()


def test_failing_fetch_keeps_the_placeholder(
    qtbot,
    qloop,
    tmp_path: Path,
    sandbox: SandboxServer,
    sandbox_presenters: list[AvatarPresenter],
    counting_fetch: Any,
) -> None:
    fetch = counting_fetch
    broken = AvatarPresenter(
        "vg_pres_missing",
        "FEMALE",
        f"{sandbox.storage_url}/nope.png",
        f"{sandbox.storage_url}/nope-thumb.png",
        "",
    )
    cache = ThumbnailCache(fetch, tmp_path, retry_delay=0.05)
    model = PresenterListModel(thumbnails=cache)
    model.set_presenters([broken, *sandbox_presenters[:1]])
    placeholder = placeholder_pixmap(256)

    with qtbot.waitSignal(cache.thumbnailFailed, timeout=20_000) as failed:
        assert model.index(0, 0).data(Qt.ItemDataRole.DecorationRole).cacheKey() == placeholder.cacheKey()
    assert failed.args[0] == broken.thumbnail_url
    assert fetch.calls == [broken.thumbnail_url, broken.thumbnail_url]  # the first try and one retry
    assert cache.has_failed(broken.thumbnail_url)

    # Repainting keeps asking; a failed URL is not fetched again and the placeholder stays.
    decoration = model.index(0, 0).data(Qt.ItemDataRole.DecorationRole)
    assert decoration.cacheKey() == placeholder.cacheKey()
    qtbot.waitUntil(lambda: not cache.is_loading(broken.thumbnail_url))
    assert fetch.calls.count(broken.thumbnail_url) == 2
    assert not cache.cache_path(broken.thumbnail_url).exists()  # nothing bogus was cached

    # The healthy row still gets its real thumbnail, and the model announces it.
    with qtbot.waitSignal(model.dataChanged, timeout=20_000):
        model.index(1, 0).data(Qt.ItemDataRole.DecorationRole)
    assert model.index(1, 0).data(Qt.ItemDataRole.DecorationRole).cacheKey() != placeholder.cacheKey()


async def test_stopping_thumbnails_drops_pending_retries(
    qtbot: Any, tmp_path: Path, sandbox: SandboxServer, counting_fetch: Any
) -> None:
    """At shutdown the gallery stops its thumbnail retries: their timers must not fire on a closed loop."""
    cache = ThumbnailCache(counting_fetch, tmp_path, retry_delay=0.2)
    gallery = PresenterGallery(cache, MemoryFavoritesStore())
    qtbot.addWidget(gallery)
    url = f"{sandbox.storage_url}/nope-thumb.png"
    assert await cache.load(url) is None  # the first try failed: one retry is pending
    assert cache.is_loading(url)

    gallery.stop_thumbnails()
    assert not cache.is_loading(url)
    await asyncio.sleep(0.4)  # past the retry's time: nothing fires
    assert counting_fetch.calls == [url]


async def test_concurrent_loads_share_one_fetch_and_respect_the_limit(
    tmp_path: Path, sandbox_presenters: list[AvatarPresenter], counting_fetch: Any
) -> None:
    cache = ThumbnailCache(counting_fetch, tmp_path, max_concurrent=3)
    url = sandbox_presenters[0].thumbnail_url

    same = await asyncio.gather(*(cache.load(url) for _ in range(5)))
    assert counting_fetch.calls == [url]
    assert all(p is not None and p.cacheKey() == same[0].cacheKey() for p in same)

    others = [p.thumbnail_url for p in sandbox_presenters[1:10]]
    loaded = await asyncio.gather(*(cache.load(u) for u in others))
    assert all(p is not None and not p.isNull() for p in loaded)
    assert sorted(counting_fetch.calls[1:]) == sorted(others)
    assert counting_fetch.max_active <= 3
    cache.close()


# -- the widget ----------------------------------------------------------------------------------------


@pytest.fixture
def gallery(qtbot, qloop, tmp_path: Path, sandbox_presenters: list[AvatarPresenter], counting_fetch: Any):
    cache = ThumbnailCache(counting_fetch, tmp_path / "thumbs")
    widget = PresenterGallery(cache, MemoryFavoritesStore())
    qtbot.addWidget(widget)
    widget.resize(1100, 720)
    widget.set_presenters(sandbox_presenters)
    widget.show()
    qtbot.waitExposed(widget)
    yield widget
    widget.detail.set_presenter(None)  # stops the preview (queued, like every player command)
    qtbot.waitUntil(
        cache.is_idle, timeout=20_000
    )  # let visible cards' loads finish instead of cutting them off
    cache.close()


def _selected_id(widget: PresenterGallery) -> str | None:
    rows = widget.list_view.selectionModel().selectedIndexes()
    return rows[0].data(Role.IdRole) if rows else None


def test_keyboard_navigation_moves_the_selection(qtbot, gallery: PresenterGallery) -> None:
    view = gallery.list_view
    view.setFocus()
    proxy = gallery.proxy
    first, second = proxy.index(0, 0).data(Role.IdRole), proxy.index(1, 0).data(Role.IdRole)
    last = proxy.index(proxy.rowCount() - 1, 0).data(Role.IdRole)

    with qtbot.waitSignal(gallery.presenterSelected) as picked:
        qtbot.keyClick(view, Qt.Key.Key_End)
    assert _selected_id(gallery) == last
    assert picked.args[0].avatar_presenter_id == last

    with qtbot.waitSignal(gallery.presenterSelected) as picked:
        qtbot.keyClick(view, Qt.Key.Key_Home)
    assert _selected_id(gallery) == first
    assert picked.args[0].avatar_presenter_id == first

    qtbot.keyClick(view, Qt.Key.Key_Right)
    assert _selected_id(gallery) == second
    assert gallery.selected_presenter().avatar_presenter_id == second

    # Down moves a whole row: as many cards as fit across.
    columns = sum(1 for r in range(proxy.rowCount()) if view.visualRect(proxy.index(r, 0)).top() == 0)
    assert columns > 1
    qtbot.keyClick(view, Qt.Key.Key_Down)
    assert _selected_id(gallery) == proxy.index(1 + columns, 0).data(Role.IdRole)

    qtbot.keyClick(view, Qt.Key.Key_End)
    assert _selected_id(gallery) == last

    # F toggles the favorite of the current card, which then sorts first and stays selected.
    qtbot.keyClick(view, Qt.Key.Key_F)
    assert gallery.model.is_favorite(last)
    assert proxy.index(0, 0).data(Role.IdRole) == last
    assert _selected_id(gallery) == last
    assert gallery.detail.favorite_button.isChecked()

    # Enter and Space select the current card and "activate" it (use this presenter).
    with qtbot.waitSignal(gallery.presenterActivated) as activated:
        qtbot.keyClick(view, Qt.Key.Key_Return)
    assert activated.args[0].avatar_presenter_id == last
    qtbot.keyClick(view, Qt.Key.Key_Right)
    with qtbot.waitSignal(gallery.presenterActivated) as activated:
        qtbot.keyClick(view, Qt.Key.Key_Space)
    target = proxy.index(1, 0).data(Role.IdRole)
    assert _selected_id(gallery) == target
    assert activated.args[0].avatar_presenter_id == target


def test_cards_load_thumbnails_lazily_as_they_scroll_into_view(
    qtbot, gallery: PresenterGallery, counting_fetch: Any
) -> None:
    proxy, view = gallery.proxy, gallery.list_view
    placeholder = placeholder_pixmap(256).cacheKey()

    def loaded(row: int) -> bool:
        return proxy.index(row, 0).data(Qt.ItemDataRole.DecorationRole).cacheKey() != placeholder

    qtbot.waitUntil(lambda: loaded(0), timeout=20_000)
    last = proxy.rowCount() - 1
    assert not view.viewport().rect().intersects(view.visualRect(proxy.index(last, 0)))
    thumbs = [u for u in counting_fetch.calls if u.endswith("thumb.png")]
    assert 0 < len(thumbs) < proxy.rowCount(), "only cards on screen should have asked for thumbnails"
    assert proxy.index(last, 0).data(Role.ThumbnailUrlRole) not in counting_fetch.calls

    view.scrollToBottom()
    qtbot.waitUntil(lambda: loaded(last), timeout=20_000)
    assert counting_fetch.calls.count(proxy.index(last, 0).data(Role.ThumbnailUrlRole)) == 1


def test_detail_pane_shows_the_selected_presenter(qtbot, gallery: PresenterGallery) -> None:
    presenter = gallery.model.presenter_at(4)
    assert gallery.select_presenter(presenter.avatar_presenter_id)
    assert gallery.selected_presenter() == presenter
    detail = gallery.detail
    assert detail.name_label.text() == gallery.model.name_of(presenter)
    assert detail.id_label.text() == presenter.avatar_presenter_id
    assert detail.gender_label.text() == presenter.displayable_gender.title()
    # The large image arrives through the same cache, at full size.
    qtbot.waitUntil(lambda: detail.portrait.pixmap().width() == 512, timeout=20_000)
    # The preview clip is set to loop, silently.
    qtbot.waitUntil(lambda: detail.player.source().toString() == presenter.preview_video_url, timeout=5_000)
    assert detail.player.loops() == detail.player.Loops.Infinite
    assert detail.player.audioOutput() is None
    # ...and really streams from the sandbox's public origin and plays.
    qtbot.waitUntil(lambda: detail.player.playbackState() == detail.player.PlaybackState.PlayingState)
    qtbot.waitUntil(lambda: detail.player.position() > 0, timeout=10_000)
    assert detail.player.error() == detail.player.Error.NoError
    assert not gallery.select_presenter("vg_pres_unknown")


def test_selection_survives_filtering(qtbot, gallery: PresenterGallery) -> None:
    presenter = gallery.model.presenter_at(2)
    gallery.select_presenter(presenter.avatar_presenter_id)
    other_gender = "MALE" if presenter.displayable_gender != "MALE" else "FEMALE"
    gallery.gender_combo.setCurrentIndex(gallery.gender_combo.findData(other_gender))
    assert _selected_id(gallery) is None
    assert gallery.selected_presenter() == presenter
    gallery.gender_combo.setCurrentIndex(0)
    assert _selected_id(gallery) == presenter.avatar_presenter_id


def test_empty_state_and_filter_controls(qtbot, gallery: PresenterGallery) -> None:
    total = gallery.model.rowCount()
    assert gallery.current_page() == "grid"
    assert gallery.count_label.text() == f"{total} presenters"

    qtbot.keyClicks(gallery.search_edit, "qqqq")
    assert gallery.proxy.rowCount() == 0
    assert gallery.current_page() == "empty"
    assert gallery.empty_label.text() == "No presenters match “qqqq”"
    assert gallery.clear_filters_button.isVisibleTo(gallery)

    gallery.clear_filters_button.click()
    assert gallery.search_edit.text() == ""
    assert gallery.current_page() == "grid"

    gallery.favorites_button.click()
    assert gallery.current_page() == "empty"
    assert "No favorites yet" in gallery.empty_label.text()
    gallery.model.set_favorite(gallery.model.presenter_at(0).avatar_presenter_id, True)
    assert gallery.current_page() == "grid"
    assert gallery.proxy.rowCount() == 1
    assert gallery.count_label.text() == f"1 of {total}"


def test_loading_error_and_retry(qtbot, gallery: PresenterGallery) -> None:
    gallery.show_loading()
    assert gallery.current_page() == "loading"
    gallery.show_error("The service is unreachable.")
    assert gallery.current_page() == "error"
    assert "The service is unreachable." in gallery.error_label.text()
    with qtbot.waitSignal(gallery.retryRequested):
        qtbot.mouseClick(gallery.retry_button, Qt.MouseButton.LeftButton)
    gallery.set_presenters(gallery.model.presenters())
    assert gallery.current_page() == "grid"


def test_clicking_the_star_toggles_the_favorite(qtbot, gallery: PresenterGallery) -> None:
    view = gallery.list_view
    index = gallery.proxy.index(3, 0)
    presenter_id = index.data(Role.IdRole)
    option = QStyleOptionViewItem()
    option.rect = view.visualRect(index)
    option.font = view.font()
    star = gallery.delegate.star_rect(option).center()

    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=star)
    assert gallery.model.is_favorite(presenter_id)
    assert _selected_id(gallery) is None, "a star click must not select the card"

    star = gallery.delegate.star_rect(_option_at(view, gallery.proxy.index(0, 0))).center()
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=star)
    assert not gallery.model.is_favorite(presenter_id)

    card_body = view.visualRect(gallery.proxy.index(2, 0)).center() + QPoint(0, 60)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=card_body)
    assert _selected_id(gallery) == gallery.proxy.index(2, 0).data(Role.IdRole)


def _option_at(view, index: QModelIndex) -> QStyleOptionViewItem:
    option = QStyleOptionViewItem()
    option.rect = view.visualRect(index)
    option.font = view.font()
    return option


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_cards_follow_the_palette(qtbot, gallery: PresenterGallery, theme: str) -> None:
    palette = QPalette()
    if theme == "dark":
        for role, color in (
            (QPalette.ColorRole.Window, "#202124"),
            (QPalette.ColorRole.Base, "#2b2c30"),
            (QPalette.ColorRole.Text, "#e8eaed"),
            (QPalette.ColorRole.WindowText, "#e8eaed"),
        ):
            palette.setColor(role, QColor(color))
    else:
        for role, color in (
            (QPalette.ColorRole.Window, "#f3f4f6"),
            (QPalette.ColorRole.Base, "#ffffff"),
            (QPalette.ColorRole.Text, "#111827"),
        ):
            palette.setColor(role, QColor(color))
    gallery.list_view.setPalette(palette)
    view = gallery.list_view
    card = gallery.delegate.card_rect(_option_at(view, gallery.proxy.index(0, 0)))
    image = view.viewport().grab().toImage()
    # Just inside the card's left padding, below the portrait: the card's own background, no text.
    point = QPoint(card.left() + 5, card.top() + card.width() + 5) * image.devicePixelRatio()
    sample = image.pixelColor(point)
    if theme == "dark":
        assert sample.lightness() < 90
    else:
        assert sample.lightness() > 230
