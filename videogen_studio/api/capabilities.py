"""What this service offers, decided by one cheap probe per connection (never by a version number).

Three generations of the API are in the wild (see the project's API notes): the presenter list may be gone
(generation C: ACTOR entities instead), lists may or may not be paginated, `/v1/me` and the executions list
may be missing. The probe asks each question once with the cheapest request that answers it, concurrently:

- presenters `limit=1`: 404/410 ⇒ actors; a page without `hasMore` ⇒ unpaginated;
- `GET /v1/me`: 404/410 ⇒ no account endpoint;
- executions `limit=1`: 404/410 ⇒ no history (and, as it arrived together with it, no file search).

Any other error (a bad key, the network) propagates: the caller shows it instead of guessing.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from .errors import NotFound

if TYPE_CHECKING:
    from .client import VideoGenClient


@dataclass(frozen=True, slots=True)
class Capabilities:
    avatar_source: Literal["presenters", "actors"]
    paginated: bool
    has_me: bool
    has_history: bool
    has_file_search: bool
    #: "A", "B", "C" or "unknown": informative only (logs, bug reports). Branch on the flags above.
    generation: str = "unknown"


async def _present(probe: Any) -> tuple[bool, Any]:
    """(True, answer) or (False, None) when the endpoint does not exist on this service."""
    try:
        return True, await probe
    except NotFound:
        return False, None


async def probe_capabilities(client: VideoGenClient) -> Capabilities:
    (has_presenters, presenters), (has_me, _me), (has_history, _history) = await asyncio.gather(
        _present(client.probe_list("/v1/resources/avatar-presenters")),
        _present(client.probe_list("/v1/me", paginated=False)),
        _present(client.probe_list("/v1/tools/executions")),
    )
    if has_presenters:
        paginated = isinstance(presenters, dict) and "hasMore" in presenters
    else:
        has_entities, entities = await _present(client.probe_list("/v1/entities", {"entityType": "ACTOR"}))
        paginated = has_entities and isinstance(entities, dict) and "hasMore" in entities
    avatar_source: Literal["presenters", "actors"] = "presenters" if has_presenters else "actors"
    if not has_presenters:
        generation = "C"
    elif paginated and has_me and has_history:
        generation = "B"
    elif not paginated and not has_me and not has_history:
        generation = "A"
    else:
        generation = "unknown"
    return Capabilities(
        avatar_source=avatar_source,
        paginated=paginated,
        has_me=has_me,
        has_history=has_history,
        has_file_search=has_history,
        generation=generation,
    )


__all__ = ["Capabilities", "probe_capabilities"]
