"""The sandbox's world: accounts, executions and files (presenters and voices come from catalog.py).

Everything here is in memory behind one lock; media lives on disk under `data_dir` (per server) and
presenter assets under `assets_dir` (shared between servers). `SandboxState` is assembled from one part per
job: accounts.py (keys, credits), files.py (files, uploads), executions.py (submission, workers, progress),
renders.py (what a render produces), snapshots.py (persistence). Routes (routes.py) validate requests and
call into it; expected failures are raised as `ApiFailure` (failures.py).
"""

from __future__ import annotations

import queue
import threading
import time
from pathlib import Path
from typing import Any

from videogen_studio.sandbox.accounts import AccountBook
from videogen_studio.sandbox.catalog import (
    PORTRAIT_SIZE,
    PRESENTER_ASSETS,
    THUMB_SIZE,
    Actor,
    Presenter,
    PresenterAssets,
    Voice,
    build_actors,
    build_presenters,
    build_voices,
)
from videogen_studio.sandbox.config import SandboxAccount, SandboxConfig
from videogen_studio.sandbox.executions import RENDER_WORKERS, Execution, ExecutionBook
from videogen_studio.sandbox.files import FileBook, Source, StoredFile, skipped
from videogen_studio.sandbox.generations import GENERATIONS
from videogen_studio.sandbox.handler import LoggedRequest
from videogen_studio.sandbox.persist import SnapshotStore
from videogen_studio.sandbox.renders import RenderJobs
from videogen_studio.sandbox.snapshots import SnapshotMixin
from videogen_studio.sandbox.storage import UrlSigner

REQUEST_LOG_LIMIT = 50_000  # long demo sessions trim the oldest entries


class SandboxState(AccountBook, FileBook, ExecutionBook, RenderJobs, SnapshotMixin):
    def __init__(
        self,
        config: SandboxConfig,
        data_dir: Path,
        assets_dir: Path,
        signer: UrlSigner,
        store: SnapshotStore | None = None,
    ) -> None:
        self.config = config
        self.data_dir = data_dir
        self.files_dir = data_dir / "files"
        self.files_dir.mkdir(parents=True, exist_ok=True)
        self.assets = PresenterAssets(assets_dir)
        self.signer = signer
        self.storage_url = ""  # set by the server once the storage listener is bound
        self.lock = threading.RLock()
        self.accounts: dict[str, SandboxAccount] = dict(config.accounts)
        self.generation = GENERATIONS[config.api_generation]
        self.presenters = build_presenters(config.presenter_count)
        self._presenters_by_id = {p.presenter_id: p for p in self.presenters}
        self.all_voices = build_voices(config.voice_count)
        self._voices_by_id = {v.voice_id: v for v in self.all_voices}
        self.actors = build_actors(self.presenters, self.all_voices)
        self._actors_by_id = {a.entity_id: a for a in self.actors}
        self.executions: dict[str, Execution] = {}
        self.files: dict[str, StoredFile] = {}
        self.request_log: list[LoggedRequest] = []
        #: Notified on every logged request, so a test can wait for one instead of sleeping.
        self.request_logged = threading.Condition(self.lock)
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._workers: list[threading.Thread] = []
        self._stopped = False
        # Persistence (persist.py): None keeps everything in memory only.
        self._store = store
        self._snapshot_seq = 0  # bumped by every snapshot taken
        self._closed = False  # after stop(): this state never writes again (a new server may own data_dir)
        self._records: dict[str, str] = {}  # encoded records of files/executions that no longer change
        self._resumable: list[str] = []  # restored pending/running executions, queued by start()
        if store is not None and store.loaded is not None:
            self._restore(store.loaded)
        self._add_reference_files()

    def _add_reference_files(self) -> None:
        """Each actor's default reference image, as an ENTITY-scoped IMAGE file anyone can hydrate."""
        for actor in self.actors:
            thumb = self.assets.location(actor.presenter, "thumb.png")
            image = self.assets.location(actor.presenter, "image.png")
            self.files[actor.reference_file_id] = StoredFile(
                file_id=actor.reference_file_id,
                owner="",
                type="IMAGE",
                scope="ENTITY",
                display_name=f"{actor.name} – portrait",
                created_at=0.0,
                sources={
                    "thumbnail": Source("ready", thumb, "image/png", THUMB_SIZE, THUMB_SIZE),
                    "preview": Source("ready", image, "image/png", PORTRAIT_SIZE, PORTRAIT_SIZE),
                    "download": Source("ready", image, "image/png", PORTRAIT_SIZE, PORTRAIT_SIZE),
                    "hls": skipped(),
                },
                asset_of=actor.presenter.presenter_id,
            )

    # -- lifecycle ---------------------------------------------------------------------------------
    def start(self) -> None:
        for index in range(RENDER_WORKERS):
            worker = threading.Thread(target=self._work, name=f"sandbox-render-{index}", daemon=True)
            worker.start()
            self._workers.append(worker)
        self._resume()
        self._save()  # the signing secret is on disk before the first URL is signed

    def stop(self, join_timeout_s: float = 1.0) -> None:
        """Cancel timers and stop the workers; a render still running finishes on its daemon thread."""
        with self.lock:
            self._stopped = True
            for execution in self.executions.values():
                if execution.timer is not None:
                    execution.timer.cancel()
                execution.wake.set()
        for _ in self._workers:
            self._queue.put(None)
        deadline = time.monotonic() + join_timeout_s
        for worker in self._workers:
            worker.join(max(0.0, deadline - time.monotonic()))
        self._workers.clear()
        self._save(final=True)  # pending/running executions (and their progress) resume on the next start

    def record(self, entry: LoggedRequest) -> None:
        with self.lock:
            self.request_log.append(entry)
            self.request_logged.notify_all()
            if len(self.request_log) > REQUEST_LOG_LIMIT:
                del self.request_log[: REQUEST_LOG_LIMIT // 5]

    # -- presenters and voices ---------------------------------------------------------------------
    def presenter(self, presenter_id: str) -> Presenter | None:
        return self._presenters_by_id.get(presenter_id)

    def presenter_json(self, presenter: Presenter) -> dict[str, Any]:
        base = f"{self.storage_url}/presenters/{presenter.presenter_id}"
        return {
            "avatarPresenterId": presenter.presenter_id,
            "displayableGender": presenter.gender,
            "imageUrl": f"{base}/image.png",
            "thumbnailUrl": f"{base}/thumb.png",
            "previewVideoUrl": f"{base}/preview.mp4",
        }

    def presenter_asset(self, presenter_id: str, name: str) -> Path | None:
        presenter = self.presenter(presenter_id)
        if presenter is None or name not in PRESENTER_ASSETS:
            return None
        return self.assets.path(presenter, name)

    def voices(self, include_deprecated: bool) -> list[Voice]:
        return [v for v in self.all_voices if include_deprecated or not v.deprecated]

    def actor(self, entity_id: str) -> Actor | None:
        return self._actors_by_id.get(entity_id)

    def voice(self, voice_id: str) -> Voice | None:
        return self._voices_by_id.get(voice_id)
