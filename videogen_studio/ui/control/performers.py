"""Read the few fields the controllers need from a performer: a `pipeline.catalog.Performer` (presenter or
ACTOR entity) or a bare `api.models.AvatarPresenter` — the controllers do not care which."""

from __future__ import annotations

from typing import Any


def performer_id(item: Any) -> str:
    return str(getattr(item, "performer_id", None) or getattr(item, "avatar_presenter_id", None) or "")


def given_name(item: Any) -> str:
    return str(getattr(item, "name", "") or "")


def thumbnail_url(item: Any) -> str:
    return str(getattr(item, "thumbnail_url", "") or "")
