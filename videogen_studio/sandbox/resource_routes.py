"""Catalogue and account routes: presenters, voices, ACTOR entities, `GET /v1/me`.

Which of them exist depends on the generation the sandbox plays (generations.py); lists are paginated
(pagination.py) where the generation paginates, and one plain page otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from videogen_studio.sandbox.catalog import presenters_for_voice
from videogen_studio.sandbox.failures import ApiFailure
from videogen_studio.sandbox.handler import Request, Response, json_response
from videogen_studio.sandbox.pagination import Pager
from videogen_studio.sandbox.state import SandboxState
from videogen_studio.sandbox.validation import Route, invalid, query_bool, route

ENTITY_TYPES = ("ACTOR", "PRODUCT", "VISUAL_STYLE")


def list_response[T](
    state: SandboxState,
    pager: Pager,
    request: Request,
    endpoint: str,
    field: str,
    items: Sequence[T],
    position: Callable[[T], str],
    to_json: Callable[[T], dict[str, Any]],
) -> Response:
    """A list answer in the generation's shape: paginated (B, C) or everything in one page (A)."""
    if not state.generation.paginated:
        return json_response(200, {field: [to_json(item) for item in items]})
    page = pager.page(endpoint, items, position, request.query_value("limit"), request.query_value("cursor"))
    return json_response(
        200,
        {
            field: [to_json(item) for item in page.items],
            "hasMore": page.has_more,
            "nextCursor": page.next_cursor,
        },
    )


class ResourceRoutes:
    def __init__(self, state: SandboxState, pager: Pager) -> None:
        self.state = state
        self.pager = pager

    def routes(self) -> list[Route]:
        generation = self.state.generation
        table = [route("GET", r"^/v1/resources/tts-voices$", "resources", self._voices)]
        if generation.presenter_list:
            table.append(route("GET", r"^/v1/resources/avatar-presenters$", "resources", self._presenters))
        if generation.entities:
            table.append(route("GET", r"^/v1/entities$", "resources", self._entities))
            table.append(route("GET", r"^/v1/entities/(?P<id>[^/]+)$", "resources", self._entity))
        if generation.me:
            table.append(route("GET", r"^/v1/me$", "resources", self._me))
        return table

    def _presenters(self, request: Request, key: str, match: re.Match[str]) -> Response:
        presenters = self.state.presenters
        voice_id = request.query_value("voiceId")
        if voice_id and self.state.generation.paginated:  # A has no voiceId sort: the parameter is ignored
            voice = self.state.voice(voice_id)
            if voice is None:
                raise invalid(f"voiceId {voice_id!r} is not a known voice.")
            presenters = presenters_for_voice(presenters, voice)
        # A cursor is tied to the endpoint and its sort: one made for another voice is refused too.
        endpoint = f"avatar-presenters:{voice_id or ''}"
        return list_response(
            self.state,
            self.pager,
            request,
            endpoint,
            "avatarPresenters",
            presenters,
            lambda p: p.presenter_id,
            self.state.presenter_json,
        )

    def _voices(self, request: Request, key: str, match: re.Match[str]) -> Response:
        include = query_bool(request, "includeDeprecatedVoices", False)
        return list_response(
            self.state,
            self.pager,
            request,
            f"tts-voices:{include}",
            "ttsVoices",
            self.state.voices(include_deprecated=include),
            lambda v: v.voice_id,
            lambda v: v.to_json(),
        )

    def _entities(self, request: Request, key: str, match: re.Match[str]) -> Response:
        entity_type = request.query_value("entityType")
        if entity_type is not None and entity_type not in ENTITY_TYPES:
            raise invalid(f"entityType must be one of {', '.join(ENTITY_TYPES)} (got {entity_type!r}).")
        # sandbox choice: the catalogue holds ACTOR entities only (no products or visual styles).
        actors = self.state.actors if entity_type in (None, "ACTOR") else []
        return list_response(
            self.state,
            self.pager,
            request,
            f"entities:{entity_type or ''}",
            "entities",
            actors,
            lambda a: a.entity_id,
            lambda a: a.to_json(),
        )

    def _entity(self, request: Request, key: str, match: re.Match[str]) -> Response:
        actor = self.state.actor(match["id"])
        if actor is None:
            raise ApiFailure(404, f"Entity {match['id']} was not found.", "not_found")
        return json_response(200, actor.to_json())

    def _me(self, request: Request, key: str, match: re.Match[str]) -> Response:
        return json_response(200, self.state.me_json(key))
