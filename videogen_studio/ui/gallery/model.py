"""Qt item models for the presenter gallery: the list of presenters, their favorites, and the filtered view.

The API gives presenters no names, so each gets a friendly, stable one: a first name chosen by gender from a
hash of the id, plus a short tag taken from the id so two "Maya"s can still be told apart.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import tempfile
from collections.abc import Iterable
from enum import IntEnum
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import (
    QAbstractListModel,
    QByteArray,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)

from videogen_studio.api.models import AvatarPresenter
from videogen_studio.paths import app_paths

from .thumbnails import ThumbnailCache, placeholder_pixmap

log = logging.getLogger(__name__)

ModelIndex = QModelIndex | QPersistentModelIndex

GENDER_FILTERS = ("ALL", "MALE", "FEMALE", "NEUTRAL")


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_FIRST_NAMES: dict[str, tuple[str, ...]] = {
    "FEMALE": _words(
        """Amara Beatriz Chloe Daria Elena Farah Grace Hana Ines Julia Keiko Leila Maya Nadia Olivia Priya
        Rosa Sofia Tara Uma Vera Yara Zoe"""
    ),
    "MALE": _words(
        """Adrian Bruno Caleb Daniel Emil Felix Gabriel Hugo Ivan Jonas Kenji Leo Marco Nikhil Omar Pablo
        Rafael Samuel Tomas Victor Wei Yusuf"""
    ),
    "NEUTRAL": _words(
        """Alex Avery Blake Casey Drew Eden Finley Jordan Kai Morgan Noa Quinn Reese Riley Robin Rowan Sage
        Sky Taylor"""
    ),
}


def short_tag(presenter_id: str) -> str:
    """The last four letters/digits of the id, upper-cased: stable and visible in the id itself."""
    tail = re.sub(r"[^0-9A-Za-z]", "", presenter_id)[-4:]
    return tail.upper() or "?"


def _name_pool(presenter: AvatarPresenter) -> tuple[str, ...]:
    return _FIRST_NAMES.get(presenter.displayable_gender.upper(), _FIRST_NAMES["NEUTRAL"])


def _name_slot(presenter: AvatarPresenter) -> int:
    digest = hashlib.sha256(presenter.avatar_presenter_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big")


def friendly_name(presenter: AvatarPresenter) -> str:
    """A first name picked deterministically from the id; unknown genders use the neutral list."""
    names = _name_pool(presenter)
    return names[_name_slot(presenter) % len(names)]


def assign_names(presenters: Iterable[AvatarPresenter]) -> dict[str, str]:
    """Names for a whole list, unique while the name pools last (two "Rosa" cards side by side confuse).

    Each presenter starts at its `friendly_name` and moves to the next free name of its pool; presenters are
    visited in id order, so the result does not depend on the order the API lists them in. Once a pool is
    used up, names repeat and the short tag on the card tells them apart.
    """
    taken: set[str] = set()
    result: dict[str, str] = {}
    for presenter in sorted(presenters, key=lambda p: p.avatar_presenter_id):
        pool = _name_pool(presenter)
        start = _name_slot(presenter) % len(pool)
        rotated = pool[start:] + pool[:start]  # begins with friendly_name(presenter)
        name = next((n for n in rotated if n not in taken), rotated[0])
        taken.add(name)
        result[presenter.avatar_presenter_id] = name
    return result


def gender_label(gender: str) -> str:
    """Enum value → label ("FEMALE" → "Female"); unknown values are shown title-cased."""
    return gender.replace("_", " ").strip().title() or "Unspecified"


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
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".favorites.", suffix=".tmp")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as out:
                    out.write(payload)
                # No fsync: this runs on the UI thread; the rename alone leaves the old file or the new one.
                os.replace(tmp, self.path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except OSError as exc:
            log.warning("favorites: cannot save %s: %s", self.path, exc)


# -- the list model ----------------------------------------------------------------------------------------


class Role(IntEnum):
    """Custom data roles, also reachable as `PresenterListModel.PresenterRole`, `.IdRole`, …"""

    Presenter = Qt.ItemDataRole.UserRole + 1
    Id = Qt.ItemDataRole.UserRole + 2
    Gender = Qt.ItemDataRole.UserRole + 3
    Favorite = Qt.ItemDataRole.UserRole + 4
    SearchText = Qt.ItemDataRole.UserRole + 5
    Name = Qt.ItemDataRole.UserRole + 6
    ShortTag = Qt.ItemDataRole.UserRole + 7
    ThumbnailUrl = Qt.ItemDataRole.UserRole + 8
    SortKey = Qt.ItemDataRole.UserRole + 9


class PresenterListModel(QAbstractListModel):
    """One row per presenter. Toggle favorites with `setData(index, bool, FavoriteRole)` or the helpers."""

    PresenterRole = Role.Presenter
    IdRole = Role.Id
    GenderRole = Role.Gender
    FavoriteRole = Role.Favorite
    SearchTextRole = Role.SearchText
    NameRole = Role.Name
    ShortTagRole = Role.ShortTag
    ThumbnailUrlRole = Role.ThumbnailUrl

    favoriteChanged = Signal(str, bool)  # presenter id, is favorite now

    def __init__(
        self,
        favorites: FavoritesStore | None = None,
        thumbnails: ThumbnailCache | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._store: FavoritesStore = favorites if favorites is not None else MemoryFavoritesStore()
        self._favorites: set[str] = self._store.load()
        self._thumbnails = thumbnails
        self._presenters: list[AvatarPresenter] = []
        self._names: list[str] = []
        self._search: list[str] = []
        self._rows_by_id: dict[str, int] = {}
        self._rows_by_thumb: dict[str, list[int]] = {}
        self._placeholder_size = 256
        if thumbnails is not None:
            thumbnails.thumbnailReady.connect(self._on_thumbnail_ready)

    # -- content -----------------------------------------------------------------------------------------

    def set_presenters(self, presenters: Iterable[AvatarPresenter]) -> None:
        """Replace the list. Duplicate ids keep their first occurrence."""
        unique: dict[str, AvatarPresenter] = {}
        for presenter in presenters:
            unique.setdefault(presenter.avatar_presenter_id, presenter)
        self.beginResetModel()
        self._presenters = list(unique.values())
        names = assign_names(self._presenters)
        self._names = [names[p.avatar_presenter_id] for p in self._presenters]
        self._search = [
            f"{name} {short_tag(p.avatar_presenter_id)} {p.avatar_presenter_id}".casefold()
            for name, p in zip(self._names, self._presenters, strict=True)
        ]
        self._rows_by_id = {p.avatar_presenter_id: row for row, p in enumerate(self._presenters)}
        self._rows_by_thumb = {}
        for row, p in enumerate(self._presenters):
            self._rows_by_thumb.setdefault(p.thumbnail_url, []).append(row)
        self.endResetModel()

    def presenters(self) -> list[AvatarPresenter]:
        return list(self._presenters)

    def presenter_at(self, row: int) -> AvatarPresenter | None:
        return self._presenters[row] if 0 <= row < len(self._presenters) else None

    def index_of(self, presenter_id: str) -> QModelIndex:
        """The model index for `presenter_id`, or an invalid index if it is not in the list."""
        row = self._rows_by_id.get(presenter_id)
        return self.index(row, 0) if row is not None else QModelIndex()

    def name_of(self, presenter: AvatarPresenter) -> str:
        """The first name shown for `presenter` in this list (unique while the name pools last)."""
        row = self._rows_by_id.get(presenter.avatar_presenter_id)
        return self._names[row] if row is not None else friendly_name(presenter)

    def display_name(self, presenter: AvatarPresenter) -> str:
        return f"{self.name_of(presenter)} · {short_tag(presenter.avatar_presenter_id)}"

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
            # The proxy filters on FavoriteRole and sorts on SortKey: naming both re-filters and re-sorts.
            self.dataChanged.emit(index, index, [self.FavoriteRole, Role.SortKey])
        self.favoriteChanged.emit(presenter_id, favorite)

    def toggle_favorite(self, presenter_id: str) -> bool:
        """Flip the favorite flag; returns the new state."""
        new_state = presenter_id not in self._favorites
        self.set_favorite(presenter_id, new_state)
        return new_state

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
        pid = presenter.avatar_presenter_id
        match role:
            case Qt.ItemDataRole.DisplayRole:
                return f"{self._names[row]} · {short_tag(pid)}"
            case Qt.ItemDataRole.DecorationRole:
                return self._decoration(presenter.thumbnail_url)
            case Qt.ItemDataRole.ToolTipRole:
                return f"{self._names[row]}\n{gender_label(presenter.displayable_gender)}\n{pid}"
            case Qt.ItemDataRole.AccessibleTextRole:
                favorite = ", favorite" if pid in self._favorites else ""
                return f"{self._names[row]}, {gender_label(presenter.displayable_gender)} presenter{favorite}"
            case Role.Presenter:
                return presenter
            case Role.Id:
                return pid
            case Role.Gender:
                return presenter.displayable_gender
            case Role.Favorite:
                return pid in self._favorites
            case Role.SearchText:
                return self._search[row]
            case Role.Name:
                return self._names[row]
            case Role.ShortTag:
                return short_tag(pid)
            case Role.ThumbnailUrl:
                return presenter.thumbnail_url
            case Role.SortKey:
                # Favorites first, then name, then id, as one string so the proxy sorts in C++: a Python
                # lessThan made setting 1,000 presenters ~3x slower (benchmarks/bench_gallery.py).
                return f"{0 if pid in self._favorites else 1}{self._names[row].casefold()}\x00{pid}"
        return None

    def setData(self, index: ModelIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Role.Favorite or not index.isValid():
            return False
        presenter = self.presenter_at(index.row())
        if presenter is None:
            return False
        self.set_favorite(presenter.avatar_presenter_id, bool(value))
        return True

    def roleNames(self) -> dict[int, QByteArray]:
        names = super().roleNames()
        for role in Role:
            names[int(role)] = QByteArray(role.name[0].lower().encode() + role.name[1:].encode())
        return names

    # -- thumbnails --------------------------------------------------------------------------------------

    def _decoration(self, url: str) -> Any:
        pixmap = self._thumbnails.pixmap(url) if self._thumbnails is not None else None
        return pixmap if pixmap is not None else placeholder_pixmap(self._placeholder_size)

    def _on_thumbnail_ready(self, url: str) -> None:
        for row in self._rows_by_thumb.get(url, ()):
            index = self.index(row, 0)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])


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
        # Toggling a favorite changes FavoriteRole and SortKey, so the proxy re-sorts and re-filters on its
        # own, while thumbnail (DecorationRole) updates trigger no re-sorting.
        self.setSortRole(Role.SortKey)
        self.setFilterRole(Role.Favorite)
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
        if self._favorites_only and not index.data(Role.Favorite):
            return False
        if self._gender != "ALL" and str(index.data(Role.Gender)).upper() != self._gender:
            return False
        if self._terms:
            haystack = str(index.data(Role.SearchText))
            return all(term in haystack for term in self._terms)
        return True
