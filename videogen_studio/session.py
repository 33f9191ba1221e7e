"""One working session with one VideoGen account: client, job store and render queue.

Shared by the GUI and the command line so both drive the same code. In offline mode it also owns the embedded
sandbox server (a real HTTP server on loopback), which lives exactly as long as the session.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .api.client import VideoGenClient
from .paths import AppPaths
from .pipeline.queue import RenderQueue
from .pipeline.store import JobStore
from .settings import Settings

if TYPE_CHECKING:  # the sandbox pulls in numpy/PyAV/Pillow: import it only when offline mode starts
    from .sandbox import SandboxServer

log = logging.getLogger(__name__)


@dataclass
class Session:
    client: VideoGenClient
    store: JobStore
    queue: RenderQueue
    base_url: str
    offline: bool
    sandbox: SandboxServer | None = None
    _closed: bool = field(default=False, repr=False)

    @classmethod
    async def open(
        cls,
        settings: Settings,
        paths: AppPaths,
        api_key: str | None,
        *,
        sandbox_config: object | None = None,
        start_queue: bool = True,
    ) -> Session:
        """Connect to the configured service (starting the embedded sandbox when offline)."""
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
            db = paths.job_db
        client = VideoGenClient(base_url, api_key)
        store = JobStore(db)
        queue = RenderQueue(
            client,
            store,
            output_dir=Path(settings.output_dir or paths.downloads),
            concurrency=settings.concurrency,
        )
        session = cls(client, store, queue, base_url, offline=sandbox is not None, sandbox=sandbox)
        if start_queue:
            await queue.start()
        return session

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            await self.queue.aclose()
            await self.client.aclose()
        finally:
            self.store.close()
            if self.sandbox is not None:
                self.sandbox.stop()


def _start_sandbox(paths: AppPaths, config: object | None) -> SandboxServer:
    from .sandbox import SandboxConfig, SandboxServer  # heavy media deps only when needed

    server = SandboxServer(
        data_dir=paths.data / "sandbox",
        assets_dir=paths.cache / "sandbox-assets",
        config=config if config is not None else SandboxConfig.demo(),  # type: ignore[arg-type]
    )
    server.start()
    return server
