"""What a service offers, probed once per connection and remembered per account in the cache folder.

The probe (`api.capabilities.probe_capabilities`) costs three or four cheap requests; the cached answer lets
the next start know, before connecting, whether the account shows presenters or actors (the gallery's
labels, the cached catalog). Accounts are told apart by `account_key`: a hash of the service address and the
key, so the cache never holds the key itself.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..api.capabilities import Capabilities, probe_capabilities
from ..fileio import atomic_write

if TYPE_CHECKING:  # httpx: reading the cache at start-up must not import it
    from ..api.client import VideoGenClient

log = logging.getLogger(__name__)

CACHE_VERSION = 1
#: The embedded sandbox gets a new port every run: its account is named by what it is, not where it listens.
OFFLINE_SANDBOX = "offline-sandbox"


def account_key(base_url: str, api_key: str) -> str:
    """A stable, one-way name for (service, key): file names of per-account caches. Never reveals the key."""
    digest = hashlib.sha256(f"videogen-studio\0{base_url.rstrip('/')}\0{api_key}".encode()).hexdigest()
    return digest[:24]


def offline_sandbox_account() -> str:
    """The account name of the embedded offline sandbox (its caches survive the port changing)."""
    return account_key(OFFLINE_SANDBOX, OFFLINE_SANDBOX)


class CapabilityCache:
    """One small JSON file per account under `folder`."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def path_for(self, account: str) -> Path:
        return self.folder / f"capabilities-{account}.json"

    def load(self, account: str) -> Capabilities | None:
        """The last probe's answer for this account, or None (never probed, unreadable, older format)."""
        try:
            raw: Any = json.loads(self.path_for(account).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(raw, dict) or raw.get("v") != CACHE_VERSION:
            return None
        return _from_json(raw.get("capabilities"))

    def store(self, account: str, capabilities: Capabilities) -> None:
        data = {"v": CACHE_VERSION, "capabilities": dataclasses.asdict(capabilities)}
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            atomic_write(self.path_for(account), json.dumps(data, sort_keys=True))
        except OSError as exc:  # a cache: losing it costs one probe at the next start
            log.info("capabilities not cached: %s", exc)

    async def probe(self, client: VideoGenClient, account: str) -> Capabilities:
        """Ask the service (once per connection) and remember the answer for the next start."""
        capabilities = await probe_capabilities(client)
        self.store(account, capabilities)
        return capabilities


def _from_json(raw: Any) -> Capabilities | None:
    if not isinstance(raw, dict):
        return None
    source = raw.get("avatar_source")
    flags = ("paginated", "has_me", "has_history", "has_file_search")
    if source not in ("presenters", "actors") or not all(isinstance(raw.get(f), bool) for f in flags):
        return None
    generation = raw.get("generation")
    return Capabilities(
        avatar_source="presenters" if source == "presenters" else "actors",
        paginated=bool(raw["paginated"]),
        has_me=bool(raw["has_me"]),
        has_history=bool(raw["has_history"]),
        has_file_search=bool(raw["has_file_search"]),
        generation=generation if isinstance(generation, str) else "unknown",
    )
