"""Last run's presenters and voices, read from the disk cache without any request (issue 11: cards first).

Cheap on purpose: no session, no HTTP client (httpx), no sandbox — start-up paints these cards before any of
those is imported. Only the offline sandbox's cache can be read this early: a real account's cache is named
after its key, which is not loaded yet.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from ...paths import AppPaths
from ...settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CachedCatalog:
    performers: list[Any] = field(default_factory=list)
    voices: list[Any] = field(default_factory=list)


def read_cached_catalog(settings: Settings, paths: AppPaths) -> CachedCatalog:
    """The catalog the offline sandbox answered last time (empty: none yet, a real account, unreadable)."""
    if not settings.uses_sandbox:
        return CachedCatalog()
    from ...pipeline.capability_cache import CapabilityCache, offline_sandbox_account
    from ...pipeline.catalog import Catalog

    account = offline_sandbox_account()
    try:
        capabilities = CapabilityCache(paths.cache).load(account)
        if capabilities is None:
            return CachedCatalog()
        catalog = Catalog(None, capabilities, cache_file=paths.catalog_cache(account))
        return CachedCatalog(catalog.cached(), catalog.cached_voices())
    except (OSError, ValueError) as exc:
        log.info("no cached catalog: %s", exc)
        return CachedCatalog()
