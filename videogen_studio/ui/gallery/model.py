"""Qt item models for the presenter gallery: the list of performers, their favorites, and the filtered view.

The model shows `Performer`s from the catalog (presenters or ACTOR entities) and does not care which; bare
`AvatarPresenter`s are accepted too (see `items`). Performers without a name of their own get a friendly,
stable one from `pipeline.naming` (unique within the list while the pools last, kept once given, so pages
that arrive later never rename cards already painted).

Favorites sort first, but not under the user's pointer (issue 9, defect 14: starring a card moved it away and
the next click starred someone else): while `hold_order(True)` is in force, stars change at once but the
order (and the favorites-only filter) keep the snapshot taken before; `hold_order(False)` applies them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from enum import IntEnum
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from PySide6.QtCore import (
    QAbstractListModel,
    QByteArray,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    QTimer,
    Signal,
)

from videogen_studio.fileio import atomic_write
from videogen_studio.paths import app_paths
from videogen_studio.pipeline import naming

from . import items
from .thumbnails import ThumbnailCache, placeholder_pixmap

log = logging.getLogger(__name__)

ModelIndex = QModelIndex | QPersistentModelIndex

GENDER_FILTERS = ("ALL", "MALE", "FEMALE", "NEUTRAL")
THUMBNAIL_ANNOUNCE_MS = 16  # a frame


def short_tag(presenter_id: str) -> str:
    """The last four letters/digits of the id, upper-cased (see `pipeline.naming.short_tag`)."""
    return naming.short_tag(presenter_id)


def friendly_name(presenter: Any) -> str:
    """The performer's own name, else a first name picked deterministically from the id and gender."""
    return items.given_name(presenter) or naming.friendly_name(
        items.performer_id(presenter), items.gender(presenter)
    )


def assign_names(presenters: Iterable[Any]) -> dict[str, str]:
    """Names for a whole list, unique while the name pools last (performers with own names keep them)."""
    listed = list(presenters)
    result = naming.assign_names(
        (items.performer_id(p), items.gender(p)) for p in listed if not items.given_name(p)
    )
    result.update({items.performer_id(p): items.given_name(p) for p in listed if items.given_name(p)})
    return result


def gender_label(gender: str) -> str:
    """Enum value → label ("FEMALE" → "Female"); unknown values are shown title-cased."""
    return gender.replace("_", " ").strip().title() or "Unspecified"


def _card_pixels() -> int:
    from PySide6.QtGui import QGuiApplication

    from .delegate import MAX_CARD_WIDTH

    screen = QGuiApplication.primaryScreen()
    dpr = screen.devicePixelRatio() if screen is not None else 1.0
    return round(MAX_CARD_WIDTH * max(1.0, dpr))


# -- favorites persistence ---------------------------------------------------------------------------------


class FavoritesStore(Protocol):
    def load(self) -> set[str]: ...

    def save(self, ids: set[str]) -> None: ...


class MemoryFavoritesStore:
    """Keeps favorites for the life of the object; the default when nothing should touch the disk."""

    def __init__(self, ids: Iterable[str] = ()) -> None:
        self._ids = set(ids)

    def load(self) -> set[str]:
        return set(self._ids)

    def save(self, ids: set[str]) -> None:
        self._ids = set(ids)


class JsonFavoritesStore:
    """`{"version": 1, "favorites": [...]}` in the config folder, replaced atomically on every save."""

    FILE_NAME = "favorites.json"

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path is not None else app_paths().config / self.FILE_NAME

    def load(self) -> set[str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return set()
        except (OSError, ValueError) as exc:
            log.warning("favorites: ignoring unreadable %s: %s", self.path, exc)
            return set()
        favorites = data.get("favorites") if isinstance(data, dict) else None
        if not isinstance(favorites, list):
            log.warning("favorites: %s has no favorites list; starting empty", self.path)
            return set()
        return {item for item in favorites if isinstance(item, str)}

    def save(self, ids: set[str]) -> None:
        payload = json.dumps({"version": 1, "favorites": sorted(ids)}, indent=2)
        try:
            # No fsync (durable=False): this runs on the UI thread; the rename leaves the old file or the new.
            self.path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(self.path, payload.encode("utf-8"))
        except OSError as exc:
            log.warning("favorites: cannot save %s: %s", self.path, exc)


# -- the list model ----------------------------------------------------------------------------------------


class Role(IntEnum):
    """Custom data roles, also reachable as `PresenterListModel.PresenterRole`, `.IdRole`, …"""

    Presenter = Qt.ItemDataRole.UserRole + 1  # the performer object itself (Performer or AvatarPresenter)
    Id = Qt.ItemDataRole.UserRole + 2
    Gender = Qt.ItemDataRole.UserRole + 3
    Favorite = Qt.ItemDataRole.UserRole + 4  # live: the star on the card
    SearchText = Qt.ItemDataRole.UserRole + 5
    Name = Qt.ItemDataRole.UserRole + 6
    ShortTag = Qt.ItemDataRole.UserRole + 7
    ThumbnailUrl = Qt.ItemDataRole.UserRole + 8
    SortKey = Qt.ItemDataRole.UserRole + 9
    ListedFavorite = (
        Qt.ItemDataRole.UserRole + 10
    )  # what order and favorites-only filter go by (see hold_order)
    Description = Qt.ItemDataRole.UserRole + 11
    Form = Qt.ItemDataRole.UserRole + 12
    #: The decoded picture, or None while it loads (no placeholder): the delegate makes covers from it.
    Thumbnail = Qt.ItemDataRole.UserRole + 13
    #: Everything a card shows (`CardFace`), in one call: the delegate asks for it on every paint.
    Card = Qt.ItemDataRole.UserRole + 14


class CardFace(NamedTuple):
    """What a card shows: one `data(Role.Card)` instead of a call per role for each card painted."""

    name: str
    gender: str
    tag: str  # "#" and the short tag
    thumbnail_url: str
    favorite: bool

    @classmethod
    def of(cls, index: QModelIndex | QPersistentModelIndex) -> CardFace:
        """The card's face from `Role.Card` (`PresenterListModel.data`); blank for an invalid index."""
        face = index.data(Role.Card)
        return face if isinstance(face, CardFace) else cls("", "", "#", "", False)


class PresenterListModel(QAbstractListModel):
    """One row per performer. Toggle favorites with `setData(index, bool, FavoriteRole)` or the helpers.

    Fill it whole (`set_presenters`/`set_performers`) or page by page (`append_performers`).
    """

    PresenterRole = Role.Presenter
    PerformerRole = Role.Presenter
    IdRole = Role.Id
    GenderRole = Role.Gender
    FavoriteRole = Role.Favorite
    SearchTextRole = Role.SearchText
    NameRole = Role.Name
    ShortTagRole = Role.ShortTag
    ThumbnailUrlRole = Role.ThumbnailUrl

    favoriteChanged = Signal(str, bool)  # performer id, is favorite now

    def __init__(
        self,
        favorites: FavoritesStore | None = None,
        thumbnails: ThumbnailCache | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._store: FavoritesStore = favorites if favorites is not None else MemoryFavoritesStore()
        self._favorites: set[str] = self._store.load()
        self._listed_favorites: set[str] = set(self._favorites)
        self._hold_order = False
        self._thumbnails = thumbnails
        self._presenters: list[Any] = []
        self._ids: list[str] = []
        self._names: list[str] = []
        self._search: list[str] = []
        self._tags: list[str] = []
        self._rows_by_id: dict[str, int] = {}
        self._rows_by_thumb: dict[str, list[int]] = {}
        self._namer = naming.PerformerNamer()
        self._placeholder_size = 256
        # Thumbnails landing within one frame are announced together: one repaint per frame, not per image.
        self._landed: set[str] = set()
        self._announce = QTimer(self)
        self._announce.setSingleShot(True)
        self._announce.setInterval(THUMBNAIL_ANNOUNCE_MS)
        self._announce.timeout.connect(self._announce_thumbnails)
        #: Thumbnails are decoded at the widest card's size in device pixels (issue 11: not at 512 px).
        self._thumb_px = _card_pixels()
        if thumbnails is not None:
            thumbnails.thumbnailReady.connect(self._on_thumbnail_ready)

    # -- content -----------------------------------------------------------------------------------------

    def set_presenters(self, presenters: Iterable[Any]) -> None:
        """Replace the list. Duplicate ids keep their first occurrence."""
        unique: dict[str, Any] = {}
        for presenter in presenters:
            unique.setdefault(items.performer_id(presenter), presenter)
        self.beginResetModel()
        self._presenters, self._ids, self._names, self._search, self._tags = [], [], [], [], []
        self._rows_by_id, self._rows_by_thumb = {}, {}
        self._namer = naming.PerformerNamer()
        self._listed_favorites = set(self._favorites)
        self._add(list(unique.values()))
        self.endResetModel()

    set_performers = set_presenters

    def append_performers(self, performers: Iterable[Any]) -> int:
        """Add a page at the end (ids already listed are skipped); returns how many rows were added."""
        fresh: dict[str, Any] = {}
        for performer in performers:
            pid = items.performer_id(performer)
            if pid not in self._rows_by_id:
                fresh.setdefault(pid, performer)
        if not fresh:
            return 0
        first = len(self._presenters)
        self.beginInsertRows(QModelIndex(), first, first + len(fresh) - 1)
        self._add(list(fresh.values()))
        self.endInsertRows()
        return len(fresh)

    def _add(self, performers: list[Any]) -> None:
        # Names for this batch in id order, kept once given (later pages never rename painted cards).
        names = self._namer.name_all(
            (items.performer_id(p), items.gender(p)) for p in performers if not items.given_name(p)
        )
        for performer in performers:
            pid = items.performer_id(performer)
            name = items.given_name(performer) or names[pid]
            row = len(self._presenters)
            self._presenters.append(performer)
            self._ids.append(pid)
            self._names.append(name)
            tag = naming.short_tag(pid)
            self._tags.append(tag)
            self._search.append(f"{name} {tag} {pid} {items.description(performer)}".casefold())
            self._rows_by_id[pid] = row
            self._rows_by_thumb.setdefault(items.thumbnail_url(performer), []).append(row)

    def has_genders(self) -> bool:
        """True when some performer has a gender (presenters do, ACTOR entities do not)."""
        return any(items.gender(p) for p in self._presenters)

    def presenters(self) -> list[Any]:
        return list(self._presenters)

    performers = presenters

    def presenter_at(self, row: int) -> Any:
        return self._presenters[row] if 0 <= row < len(self._presenters) else None

    performer_at = presenter_at

    def index_of(self, presenter_id: str) -> QModelIndex:
        """The model index for `presenter_id`, or an invalid index if it is not in the list."""
        row = self._rows_by_id.get(presenter_id)
        return self.index(row, 0) if row is not None else QModelIndex()

    def name_of(self, presenter: Any) -> str:
        """The name shown for a performer (or a performer id) in this list."""
        pid = presenter if isinstance(presenter, str) else items.performer_id(presenter)
        row = self._rows_by_id.get(pid)
        if row is not None:
            return self._names[row]
        return "" if isinstance(presenter, str) else friendly_name(presenter)

    def display_name(self, presenter: Any) -> str:
        pid = presenter if isinstance(presenter, str) else items.performer_id(presenter)
        return naming.display_label(self.name_of(presenter), pid)

    # -- favorites ---------------------------------------------------------------------------------------

    def favorites(self) -> frozenset[str]:
        return frozenset(self._favorites)

    def is_favorite(self, presenter_id: str) -> bool:
        return presenter_id in self._favorites

    def set_favorite(self, presenter_id: str, favorite: bool) -> None:
        if (presenter_id in self._favorites) == favorite:
            return
        if favorite:
            self._favorites.add(presenter_id)
        else:
            self._favorites.discard(presenter_id)
        self._store.save(set(self._favorites))
        index = self.index_of(presenter_id)
        if index.isValid():
            # Only the star: the order and the favorites-only filter follow in `_apply_listed_favorites`.
            self.dataChanged.emit(index, index, [self.FavoriteRole, Qt.ItemDataRole.AccessibleTextRole])
        if not self._hold_order:
            self._apply_listed_favorites()
        self.favoriteChanged.emit(presenter_id, favorite)

    def toggle_favorite(self, presenter_id: str) -> bool:
        """Flip the favorite flag; returns the new state."""
        new_state = presenter_id not in self._favorites
        self.set_favorite(presenter_id, new_state)
        return new_state

    def hold_order(self, hold: bool) -> None:
        """While held, starring changes the stars only; releasing re-sorts and re-filters once."""
        self._hold_order = hold
        if not hold:
            self._apply_listed_favorites()

    def order_held(self) -> bool:
        return self._hold_order

    def _apply_listed_favorites(self) -> None:
        changed = self._listed_favorites ^ self._favorites
        self._listed_favorites = set(self._favorites)
        for pid in changed:
            index = self.index_of(pid)
            if index.isValid():
                # The proxy sorts on SortKey, filters on ListedFavorite: naming both re-sorts, re-filters.
                self.dataChanged.emit(index, index, [Role.ListedFavorite, Role.SortKey])

    # -- QAbstractItemModel ------------------------------------------------------------------------------

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008 (Qt's own signature)
        return 0 if parent.isValid() else len(self._presenters)

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._presenters):
            return None
        row = index.row()
        presenter = self._presenters[row]
        pid = self._ids[row]
        match role:
            case Qt.ItemDataRole.DisplayRole:
                return naming.display_label(self._names[row], pid)
            case Qt.ItemDataRole.DecorationRole:
                return self._decoration(items.thumbnail_url(presenter))
            case Qt.ItemDataRole.ToolTipRole:
                about = items.description(presenter)
                tip = f"{self._names[row]}\n{gender_label(items.gender(presenter))}\n{pid}"
                return f"{tip}\n{about}" if about else tip
            case Qt.ItemDataRole.AccessibleTextRole:
                favorite = ", favorite" if pid in self._favorites else ""
                return f"{self._names[row]}, {gender_label(items.gender(presenter))} presenter{favorite}"
            case Role.Presenter:
                return presenter
            case Role.Id:
                return pid
            case Role.Gender:
                return items.gender(presenter)
            case Role.Favorite:
                return pid in self._favorites
            case Role.ListedFavorite:
                return pid in self._listed_favorites
            case Role.SearchText:
                return self._search[row]
            case Role.Name:
                return self._names[row]
            case Role.ShortTag:
                return self._tags[row]
            case Role.ThumbnailUrl:
                return items.thumbnail_url(presenter)
            case Role.Description:
                return items.description(presenter)
            case Role.Form:
                return items.form(presenter)
            case Role.Thumbnail:
                return self._thumbnail(items.thumbnail_url(presenter))
            case Role.Card:
                name = self._names[row] or naming.display_label(self._names[row], pid)
                return CardFace(
                    name,
                    items.gender(presenter),
                    f"#{self._tags[row]}",
                    items.thumbnail_url(presenter),
                    pid in self._favorites,
                )
            case Role.SortKey:
                # Favorites first, then name, then id, as one string so the proxy sorts in C++: a Python
                # lessThan made setting 1,000 presenters ~3x slower (benchmarks/bench_gallery.py).
                listed = 0 if pid in self._listed_favorites else 1
                return f"{listed}{self._names[row].casefold()}\x00{pid}"
        return None

    def setData(self, index: ModelIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Role.Favorite or not index.isValid():
            return False
        if not 0 <= index.row() < len(self._ids):
            return False
        self.set_favorite(self._ids[index.row()], bool(value))
        return True

    def roleNames(self) -> dict[int, QByteArray]:
        names = super().roleNames()
        for role in Role:
            names[int(role)] = QByteArray(role.name[0].lower().encode() + role.name[1:].encode())
        return names

    # -- thumbnails --------------------------------------------------------------------------------------

    def _thumbnail(self, url: str) -> Any:
        """The decoded picture if in memory, else None and its load starts."""
        return self._thumbnails.pixmap(url, self._thumb_px) if self._thumbnails is not None else None

    def _decoration(self, url: str) -> Any:
        pixmap = self._thumbnail(url)
        return pixmap if pixmap is not None else placeholder_pixmap(self._placeholder_size)

    def _on_thumbnail_ready(self, url: str) -> None:
        if url in self._rows_by_thumb:
            self._landed.add(url)
            if not self._announce.isActive():
                self._announce_thumbnails()  # the first picture after a quiet frame shows at once

    def _announce_thumbnails(self) -> None:
        landed, self._landed = self._landed, set()
        if not landed:
            return
        self._announce.start()  # pictures landing within the next frame wait for its end
        # One row per signal, not ranges: a view repaints just that card for a single index, but the whole
        # viewport for a range (QAbstractItemView::dataChanged); the repaints of one frame merge into one.
        for url in landed:
            for row in self._rows_by_thumb.get(url, ()):
                index = self.index(row, 0)
                self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole, Role.Thumbnail])


# -- filtering and sorting ---------------------------------------------------------------------------------


class PresenterFilterProxy(QSortFilterProxyModel):
    """Search text (every word must match name or id), gender, favorites-only; favorites sort first."""

    filtersChanged = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._terms: list[str] = []
        self._text = ""
        self._gender = "ALL"
        self._favorites_only = False
        # Applying a favorite changes ListedFavorite and SortKey, so the proxy re-sorts and re-filters on its
        # own, while star (Favorite) and thumbnail (DecorationRole) updates trigger no re-sorting.
        self.setSortRole(Role.SortKey)
        self.setFilterRole(Role.ListedFavorite)
        self.setDynamicSortFilter(True)
        self.sort(0, Qt.SortOrder.AscendingOrder)

    # -- filter state ------------------------------------------------------------------------------------

    def search_text(self) -> str:
        return self._text

    def set_search_text(self, text: str) -> None:
        terms = text.casefold().split()
        if terms == self._terms:
            self._text = text
            return
        self._change_filter(lambda: self._set_terms(text, terms))

    def gender_filter(self) -> str:
        return self._gender

    def set_gender_filter(self, gender: str) -> None:
        gender = (gender or "ALL").upper()
        if gender != self._gender:
            self._change_filter(lambda: setattr(self, "_gender", gender))

    def favorites_only(self) -> bool:
        return self._favorites_only

    def set_favorites_only(self, enabled: bool) -> None:
        if enabled != self._favorites_only:
            self._change_filter(lambda: setattr(self, "_favorites_only", enabled))

    def clear_filters(self) -> None:
        def reset() -> None:
            self._set_terms("", [])
            self._gender = "ALL"
            self._favorites_only = False

        self._change_filter(reset)

    def has_active_filter(self) -> bool:
        return bool(self._terms) or self._gender != "ALL" or self._favorites_only

    def _set_terms(self, text: str, terms: list[str]) -> None:
        self._text = text
        self._terms = terms

    def _change_filter(self, apply: Any) -> None:
        self.beginFilterChange()
        apply()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        self.filtersChanged.emit()

    # -- QSortFilterProxyModel ---------------------------------------------------------------------------

    def filterAcceptsRow(self, source_row: int, source_parent: ModelIndex) -> bool:
        model = self.sourceModel()
        index = model.index(source_row, 0, source_parent)
        if self._favorites_only and not index.data(Role.ListedFavorite):
            return False
        if self._gender != "ALL" and str(index.data(Role.Gender)).upper() != self._gender:
            return False
        if self._terms:
            haystack = str(index.data(Role.SearchText))
            return all(term in haystack for term in self._terms)
        return True
