"""SandboxServer: composes state, faults and both listeners (API + storage origin), run in threads.

The parts, one job each:
  config.py, generations.py      SandboxConfig / SandboxAccount; what generation A, B or C offers
  handler.py                     the wire: requests, responses, listeners (blocking accept, fast stop)
  faults.py                      FaultRule, FaultInjector, hostile-server PROFILES
  routes.py                      API dispatch, auth, rate limits (ratelimit.py), ApiError bodies
  resource_routes.py, tool_routes.py, file_routes.py, control.py, validation.py, pagination.py
  state.py                       SandboxState, assembled from accounts.py, files.py, executions.py,
                                 renders.py, snapshots.py (persistence; persist.py writes the file)
  storage.py                     the signed-URL storage origin (and public preview URLs)
  catalog.py                     presenters, voices, ACTOR entities, speech text preparation
  media/                         portrait, speech, video, probe (imported only when rendering)
"""

from __future__ import annotations

import threading
from pathlib import Path
from types import TracebackType

from videogen_studio.sandbox.config import SandboxAccount, SandboxConfig
from videogen_studio.sandbox.faults import FaultInjector
from videogen_studio.sandbox.handler import LoggedRequest, SandboxListener
from videogen_studio.sandbox.persist import SnapshotStore
from videogen_studio.sandbox.routes import ApiRoutes
from videogen_studio.sandbox.state import SandboxState
from videogen_studio.sandbox.storage import StorageOrigin, UrlSigner


class SandboxServer:
    """A local stand-in for api.videogen.io on loopback, with signed URLs served from a second origin.

    With `config.persist` (default) the state lives on in `data_dir`: a new server on the same folder knows
    every account, file, upload slot and execution of the previous one, resumes unfinished executions and
    signs URLs with the same secret. One running server per `data_dir` at a time.
    """

    def __init__(
        self,
        data_dir: Path,
        assets_dir: Path | None = None,
        config: SandboxConfig | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        storage_port: int = 0,
        keep_storage_port: bool = False,
    ) -> None:
        self.config = config if config is not None else SandboxConfig.demo()
        if not self.config.accounts:
            raise ValueError("SandboxConfig.accounts must hold at least one API key")
        self.data_dir = Path(data_dir)
        self.host = host
        self._ports = (port, storage_port)
        # The app's embedded sandbox starts on a new port every run; its presenter picture URLs would then
        # change every run and miss the app's thumbnail cache (keyed by URL, as for the real service's stable
        # URLs). With `keep_storage_port` the storage origin asks for last run's port first.
        self._port_file = self.data_dir / "storage-port" if keep_storage_port and not storage_port else None
        self.faults = FaultInjector()
        # Reads the previous server's snapshot (a corrupt one is moved aside); the secret survives restarts.
        store = SnapshotStore(self.data_dir) if self.config.persist else None
        self._signer = UrlSigner(store.secret if store is not None else None)
        assets = Path(assets_dir) if assets_dir is not None else self.data_dir / "assets"
        self.state = SandboxState(self.config, self.data_dir, assets, self._signer, store)
        self._listeners: list[SandboxListener] = []
        self._threads: list[threading.Thread] = []
        self._base_url: str | None = None
        self._storage_url: str | None = None

    # -- addresses ---------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        if self._base_url is None:
            raise RuntimeError("SandboxServer is not started")
        return self._base_url

    @property
    def storage_url(self) -> str:
        if self._storage_url is None:
            raise RuntimeError("SandboxServer is not started")
        return self._storage_url

    @property
    def api_key(self) -> str:
        return next(iter(self.config.accounts))

    @property
    def request_log(self) -> list[LoggedRequest]:
        """(method, path, headers, origin) of every request so far; header names are lower-cased."""
        with self.state.lock:
            return list(self.state.request_log)

    def wait_for_request(self, path: str, timeout: float = 30.0) -> bool:
        """Block until a request for `path` has reached the sandbox (True), or `timeout` passed (False).

        Logged as the handler starts on it, before any fault applies: tests order their steps on this.
        """
        with self.state.request_logged:
            return self.state.request_logged.wait_for(
                lambda: any(r.path == path for r in self.state.request_log), timeout
            )

    # -- accounts ----------------------------------------------------------------------------------
    def add_account(self, key: str, account: SandboxAccount) -> None:
        self.state.add_account(key, account)

    def revoke_key(self, key: str) -> None:
        self.state.revoke_key(key)

    # -- lifecycle ---------------------------------------------------------------------------------
    def start(self) -> None:
        if self._listeners:
            raise RuntimeError("SandboxServer is already started")
        api_port, storage_port = self._ports
        # Storage binds first: hydrated URLs and presenter URLs need its address.
        storage = self._bind_storage(storage_port)
        try:
            api = SandboxListener((self.host, api_port), ApiRoutes(self.state, self.faults, self.config))
        except OSError:
            storage.server_close()
            raise
        self._storage_url = f"http://{self.host}:{storage.server_address[1]}"
        self._base_url = f"http://{self.host}:{api.server_address[1]}"
        self.state.storage_url = self._storage_url
        self.state.start()
        for name, listener in (("api", api), ("storage", storage)):
            thread = threading.Thread(target=listener.serve, name=f"sandbox-{name}", daemon=True)
            thread.start()
            self._listeners.append(listener)
            self._threads.append(thread)

    def _bind_storage(self, port: int) -> SandboxListener:
        origin = StorageOrigin(self.state, self.faults, self._signer)
        if self._port_file is None:
            return SandboxListener((self.host, port), origin)
        try:
            remembered = int(self._port_file.read_text(encoding="ascii").strip())
        except (OSError, ValueError):
            remembered = 0
        listener: SandboxListener | None = None
        if 0 < remembered < 65536:
            try:
                listener = SandboxListener((self.host, remembered), origin)
            except OSError:  # taken by another program since: any free port (the pictures are fetched again)
                listener = None
        if listener is None:
            listener = SandboxListener((self.host, 0), origin)
        if listener.server_address[1] != remembered:
            try:
                self._port_file.parent.mkdir(parents=True, exist_ok=True)
                self._port_file.write_text(str(listener.server_address[1]), encoding="ascii")
            except OSError:
                pass  # only a cache hint
        return listener

    def stop(self) -> None:
        # The accept loops wake at once through their socketpair (no poll interval to wait out).
        for listener in self._listeners:
            listener.stop_serving()
        for thread in self._threads:
            thread.join(timeout=5)
        for listener in self._listeners:
            listener.server_close()
            listener.close_connections()  # idle keep-alive connections would otherwise keep answering
        self._listeners.clear()
        self._threads.clear()
        self.state.stop()

    def __enter__(self) -> SandboxServer:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def serve_forever(host: str, port: int, data_dir: Path, config: SandboxConfig | None = None) -> None:
    """Run a sandbox in the foreground (`videogen-studio sandbox --port N`) until Ctrl+C."""
    server = SandboxServer(data_dir, config=config, host=host, port=port)
    server.start()
    print(f"VideoGen sandbox API:     {server.base_url}", flush=True)
    print(f"VideoGen sandbox storage: {server.storage_url}", flush=True)
    print(f"API key:                  {server.api_key}", flush=True)
    print(f"API generation:           {server.config.api_generation}", flush=True)
    try:
        threading.Event().wait()  # sleeps until Ctrl+C: no periodic wakeups
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
