"""Read what the gallery shows from any performer: a `pipeline.catalog.Performer` (a presenter or an ACTOR
entity), or a bare `api.models.AvatarPresenter` from older callers.

Why duck typing: the gallery must not care which kind of performer it shows (issue 7), and callers that
still hand over `AvatarPresenter`s keep working while they move to the catalog's `Performer`.
"""

from __future__ import annotations

from typing import Any


def performer_id(item: Any) -> str:
    """`Performer.performer_id`, or `AvatarPresenter.avatar_presenter_id`."""
    value = getattr(item, "performer_id", None) or getattr(item, "avatar_presenter_id", None)
    return str(value or "")


def gender(item: Any) -> str:
    value = getattr(item, "gender", None)
    if value is None:
        value = getattr(item, "displayable_gender", None)
    return str(value or "")


def given_name(item: Any) -> str:
    """The name the catalog decided (actors have real names); "" when the gallery must invent one."""
    return str(getattr(item, "name", "") or "")


def description(item: Any) -> str:
    return str(getattr(item, "description", "") or "")


def thumbnail_url(item: Any) -> str:
    return str(getattr(item, "thumbnail_url", "") or "")


def image_url(item: Any) -> str:
    return str(getattr(item, "image_url", "") or "") or thumbnail_url(item)


def preview_video_url(item: Any) -> str:
    return str(getattr(item, "preview_video_url", "") or "")


def form(item: Any) -> str:
    """ "presenter" or "actor" (what the avatar request needs); bare presenters are "presenter"."""
    return str(getattr(item, "form", "") or "presenter")
