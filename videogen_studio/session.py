"""One working session with one VideoGen account: client, capabilities, catalog, job store and render queue.

Shared by the GUI and the command line so both drive the same code. Opening it probes once what the service
offers (presenters or actors, pagination, `/v1/me`), so everything above follows the capabilities instead of
guessing. In offline mode it also owns the embedded sandbox server (a real HTTP server on loopback), which
lives exactly as long as the session.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

from .api.capabilities import Capabilities
from .api.client import VideoGenClient
from .api.errors import NotFound
from .api.keys import check_api_key
from .api.models import Account
from .api.retry import WaitListener
from .paths import AppPaths
from .pipeline.account_features import AccountFeatures
from .pipeline.capability_cache import CapabilityCache, account_key
from .pipeline.catalog import Catalog
from .pipeline.queue import JobEvent, RenderQueue
from .pipeline.store import JobStore
from .settings import Settings

if TYPE_CHECKING:  # the sandbox pulls in numpy/PyAV/Pillow: import it only when offline mode starts
    from .pipeline.voice_preview import VoicePreviewService
    from .sandbox import SandboxConfig, SandboxServer

log = logging.getLogger(__name__)

#: Environment knob: the queue's first poll interval in seconds (default: the queue's own, 1.5 s). The
#: back-off ceiling scales with it (10x) and so does the approval poll (twice the ceiling). For the test
#: suite and demos against the fast sandbox; never needed against the real service.
POLL_INTERVAL_ENV = "VIDEOGEN_POLL_INTERVAL_S"
_CEILING_PER_INTERVAL = 10.0  # the queue's default schedule: 1.5 s first, 15 s ceiling


class PollOptions(TypedDict, total=False):
    poll_interval: float
    max_poll_interval: float


def poll_schedule(environ: Mapping[str, str] | None = None) -> PollOptions:
    """RenderQueue polling options from `VIDEOGEN_POLL_INTERVAL_S`; empty (the queue's defaults) when unset.

    A value that is not a positive number is ignored with a warning rather than stopping the app.
    """
    raw = (os.environ if environ is None else environ).get(POLL_INTERVAL_ENV, "").strip()
    if not raw:
        return {}
    try:
        interval = float(raw)
    except ValueError:
        interval = 0.0
    if not interval > 0 or interval == float("inf"):
        log.warning("%s=%r is not a positive number of seconds: default schedule", POLL_INTERVAL_ENV, raw)
        return {}
    return {"poll_interval": interval, "max_poll_interval": interval * _CEILING_PER_INTERVAL}


@dataclass
class Session:
    client: VideoGenClient
    store: JobStore
    queue: RenderQueue
    base_url: str
    offline: bool
    sandbox: SandboxServer | None = None
    #: What this service offers, probed once when the session opened.
    capabilities: Capabilities | None = None
    #: Performers (presenters or actors) and voices, cached per account.
    catalog: Catalog | None = None
    #: What the service taught us about this account (e.g. watermark NONE refused).
    features: AccountFeatures = field(default_factory=AccountFeatures)
    #: One-way name of (service, key): per-account cache files.
    account: str = ""
    paths: AppPaths | None = None
    _voice_preview: VoicePreviewService | None = field(default=None, repr=False)
    _unsubscribe: list[Callable[[], None]] = field(default_factory=list, repr=False)
    _closed: bool = field(default=False, repr=False)

    @classmethod
    async def open(
        cls,
        settings: Settings,
        paths: AppPaths,
        api_key: str | None,
        *,
        sandbox_config: SandboxConfig | None = None,
        start_queue: bool = True,
        queue_owner: str | None = None,
    ) -> Session:
        """Connect to the configured service (starting the embedded sandbox when offline).

        Probes the service's capabilities (errors such as a refused key propagate, nothing is left open) and
        builds the catalog; the catalog's first request is left to the caller (`catalog.pages()`), which
        can paint `catalog.cached()` meanwhile.
        """
        paths.ensure()
        sandbox = None
        if settings.uses_sandbox:
            # Importing the sandbox (numpy, PyAV, Pillow) and loading its saved state takes a few hundred
            # milliseconds: do it off the event loop so the window paints and stays responsive meanwhile.
            sandbox = await asyncio.to_thread(_start_sandbox, paths, sandbox_config)
            base_url, api_key = sandbox.base_url, sandbox.api_key
            # Jobs of the offline sandbox must not mix with jobs of a real account.
            db = paths.data / "jobs-sandbox.sqlite3"
        else:
            if not api_key:
                raise ValueError("An API key is needed to use the VideoGen API.")
            base_url = settings.base_url
            db = None  # one job database per account, chosen once the key is known to work (M1)
        account = _account(settings, api_key)
        client: VideoGenClient | None = None
        store: JobStore | None = None
        try:
            client = VideoGenClient(base_url, api_key or "")
            capabilities = await CapabilityCache(paths.cache).probe(client, account)
            catalog = Catalog(client, capabilities, cache_file=paths.catalog_cache(account))
            store = JobStore(db or paths.job_db_for(account))
            queue = RenderQueue(
                client,
                store,
                output_dir=Path(settings.output_dir or paths.downloads),
                concurrency=settings.concurrency,
                owner=queue_owner,
                **poll_schedule(),
            )
        except BaseException:
            await _close_quietly(client, store, sandbox)
            raise
        session = cls(
            client,
            store,
            queue,
            base_url,
            offline=sandbox is not None,
            sandbox=sandbox,
            capabilities=capabilities,
            catalog=catalog,
            features=AccountFeatures.for_account(paths.data, account),
            account=account,
            paths=paths,
        )
        # Learn from every finished job (e.g. watermark NONE refused) so preflight knows next time.
        session._unsubscribe.append(queue.subscribe(session._on_job_event))
        if start_queue:
            await queue.start()
        return session

    @staticmethod
    def cached_catalog(
        settings: Settings, paths: AppPaths, api_key: str | None
    ) -> tuple[Capabilities | None, Catalog | None]:
        """Fast start: last run's capabilities and catalog for this account, without any request.

        The catalog returned has no client yet: use only `cached()` / `cached_voices()` / `find_cached()`.
        """
        account = _account(settings, api_key)
        capabilities = CapabilityCache(paths.cache).load(account)
        if capabilities is None:
            return None, None
        catalog = Catalog(None, capabilities, cache_file=paths.catalog_cache(account))
        return capabilities, catalog

    @property
    def voice_preview(self) -> VoicePreviewService:
        """Voice samples and script previews, cached per (voice, text) in the cache folder."""
        if self._voice_preview is None:
            from .pipeline.voice_preview import VoicePreviewService

            if self.paths is None:  # a session built by hand (tests): previews in a fresh temporary folder
                import tempfile

                folder = Path(tempfile.mkdtemp(prefix="videogen-previews-"))
            else:
                folder = self.paths.voice_previews
            self._voice_preview = VoicePreviewService(self.client, folder)
        return self._voice_preview

    def add_rate_limit_listener(self, listener: WaitListener) -> Callable[[], None]:
        """`listener(group, seconds)` whenever requests (the queue's too) start waiting for a rate limit.

        Returns the unsubscribe; the GUI shows a countdown from it without reaching into the client.
        """
        limiter = self.client.limiter
        limiter.add_wait_listener(listener)

        def unsubscribe() -> None:
            limiter.remove_wait_listener(listener)

        return unsubscribe

    @staticmethod
    async def check_key(base_url: str, key: str) -> Account | None:
        """Who `key` belongs to on `base_url` (`GET /v1/me`); None when the key works but the service has no
        `/v1/me` (generation A: checked by listing the catalog instead). Nothing is charged.

        An impossible key is refused before any request (`InvalidKeyFormat`); a refused key raises the
        client's error (kind `auth`). Works without a session, e.g. for a key typed into the Account dialog.
        """
        key = check_api_key(key)
        async with VideoGenClient(base_url, key) as client:
            try:
                return await client.get_me()
            except NotFound:
                pass
            try:
                await client.list_presenters()
            except NotFound:  # generation C: no presenter list, actors instead
                await client.list_entities()
            return None

    def _on_job_event(self, event: JobEvent) -> None:
        if event.job.state.is_terminal:
            self.features.learn_from_job(event.job)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        try:
            await self.queue.aclose()
            await self.client.aclose()
        finally:
            self.store.close()
            if self.sandbox is not None:
                self.sandbox.stop()


def _account(settings: Settings, api_key: str | None) -> str:
    # The embedded sandbox gets a new port every run: name it by what it is, not where it listens.
    if settings.uses_sandbox:
        return account_key("offline-sandbox", "offline-sandbox")
    return account_key(settings.base_url, api_key or "")


async def _close_quietly(
    client: VideoGenClient | None, store: JobStore | None, sandbox: SandboxServer | None
) -> None:
    """Undo a half-opened session (the probe failed: a refused key, no network)."""
    try:
        if client is not None:
            await client.aclose()
    finally:
        if store is not None:
            store.close()
        if sandbox is not None:
            sandbox.stop()


#: Environment knob: the folder where the offline sandbox keeps its presenter pictures (default: the cache
#: folder). They are the same for everyone, so profiles may share one; the test suite shares one per run.
SANDBOX_ASSETS_ENV = "VIDEOGEN_SANDBOX_ASSETS"


def _start_sandbox(paths: AppPaths, config: SandboxConfig | None) -> SandboxServer:
    from .sandbox import SandboxConfig, SandboxServer  # heavy media deps only when needed

    shared = os.environ.get(SANDBOX_ASSETS_ENV, "").strip()
    server = SandboxServer(
        data_dir=paths.data / "sandbox",
        assets_dir=Path(shared) if shared else paths.cache / "sandbox-assets",
        config=config if config is not None else SandboxConfig.demo(),
        keep_storage_port=True,  # stable picture URLs: the thumbnail cache keeps hitting from run to run
    )
    server.start()
    return server
