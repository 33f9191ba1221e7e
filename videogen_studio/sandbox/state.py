"""The sandbox's world: accounts, executions and files (presenters and voices come from catalog.py).

Everything here is in memory behind one lock; media lives on disk under `data_dir` (per server) and
presenter assets under `assets_dir` (shared between servers, so they are written atomically). Media rendering
runs on two daemon worker threads, outside the lock. Routes in app.py validate requests and call into
`SandboxState`; expected failures are raised as `ApiFailure`, which app.py turns into ApiError bodies.

With `config.persist` (the default) the state is also durable: every change that matters (creation, status
change, archive, credits) writes a JSON snapshot to `data_dir` (persist.py), and a new server on the same
`data_dir` starts from it. Executions that were pending or running resume under the same id without being
charged again; reads never write.
"""

from __future__ import annotations

import io
import json
import logging
import math
import os
import queue
import secrets
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av
from PIL import Image

from videogen_studio.sandbox import media
from videogen_studio.sandbox.catalog import (
    ESPEAK_FOR_LANGUAGE,
    PRESENTER_ASSETS,
    VOICES,
    Presenter,
    PresenterAssets,
    Voice,
    build_presenters,
    prepare_speech_text,
)
from videogen_studio.sandbox.faults import FaultRule, LoggedRequest
from videogen_studio.sandbox.persist import SnapshotStore
from videogen_studio.sandbox.storage import UrlSigner, sniff_content_type

log = logging.getLogger(__name__)

EXECUTION_PREFIX = "vg_exec_"
FILE_PREFIX = "vg_file_"
TERMINAL_STATUSES = frozenset({"succeeded", "failed", "cancelled"})
RENDITIONS = ("thumbnail", "preview", "download")  # hls is always "skipped" (sandbox choice)
RENDER_WORKERS = 2
REQUEST_LOG_LIMIT = 50_000  # long demo sessions trim the oldest entries

FailureLookup = Callable[[], FaultRule | None]  # consumes a matching fail_execution rule, if any


# -- configuration ------------------------------------------------------------------------------------


@dataclass
class Account:
    credits: float = 1000.0
    production_addon: bool = False
    revoked: bool = False


def _default_accounts() -> dict[str, Account]:
    return {"vg_key_sandbox": Account()}


def _default_rate_limits() -> dict[str, int]:
    # sandbox choice: the real numbers are unknown; "generous, aimed at abuse" per the docs.
    return {"tools": 600, "executions": 36_000, "files": 3_600, "resources": 600}


@dataclass
class SandboxConfig:
    """Knobs of one sandbox; defaults are the demo profile (realistic but short)."""

    accounts: dict[str, Account] = field(default_factory=_default_accounts)
    tts_pending_s: float = 0.5
    tts_running_s: float = 1.0
    avatar_pending_s: float = 1.0
    avatar_running_s: float = 3.0
    signed_url_ttl_s: float = 3600.0
    upload_url_ttl_s: float = 900.0
    rate_limits: dict[str, int] = field(default_factory=_default_rate_limits)
    max_tts_chars: int = 5000  # sandbox choice: the real limit is undocumented
    video_size: int = 360
    presenter_count: int = 24
    control_api: bool = True
    persist: bool = True  # keep state in data_dir across restarts (persist.py); off: memory only, as before

    @classmethod
    def fast(cls) -> SandboxConfig:
        """For tests: executions finish in a fraction of a second, limits never get in the way."""
        return cls(
            tts_pending_s=0.05,
            tts_running_s=0.1,
            avatar_pending_s=0.05,
            avatar_running_s=0.15,
            rate_limits={group: 1_000_000 for group in _default_rate_limits()},
            video_size=128,
        )

    @classmethod
    def demo(cls) -> SandboxConfig:
        """The app's offline mode: TTS takes ~1.5 s, an avatar ~4 s, 40 presenters to browse."""
        return cls(presenter_count=40)


class ApiFailure(Exception):
    """An expected API error; app.py renders it as an ApiError body with this status."""

    def __init__(
        self,
        status: int,
        message: str,
        code: str | None = None,
        requirement: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.requirement = requirement

    def body(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"message": self.message}
        if self.code is not None:
            payload["code"] = self.code
        if self.requirement is not None:
            payload["requirement"] = self.requirement
        return payload


# -- files ------------------------------------------------------------------------------------------


@dataclass
class Source:
    status: str  # pending | ready | failed | skipped
    path: Path | None = None
    content_type: str | None = None
    width: int | None = None
    height: int | None = None


def _skipped() -> Source:
    return Source("skipped")


@dataclass
class StoredFile:
    file_id: str
    owner: str
    type: str | None
    scope: str
    display_name: str
    created_at: float
    duration: float | None = None
    transcript: str | None = None
    sources: dict[str, Source] = field(default_factory=dict)
    source_tool_type: str | None = None
    source_tool_execution_id: str | None = None
    archived_at: float | None = None
    is_upload: bool = False

    def source(self, rendition: str) -> Source:
        return self.sources.get(rendition) or _skipped()


@dataclass(frozen=True)
class TtsRequest:
    text: str
    voice: Voice
    language: str | None
    speed: float
    replacements: list[tuple[str, str]]
    auto_expand: bool
    num_results: int
    temporary: bool


@dataclass(frozen=True)
class AvatarRequest:
    presenter: Presenter
    audio_file_id: str
    watermark_mode: str
    num_results: int
    temporary: bool


@dataclass
class Execution:
    execution_id: str
    owner: str
    tool_type: str
    created_at: float
    pending_s: float
    running_s: float
    charged: float
    job: Callable[[Execution], list[StoredFile]]
    forced_error: dict[str, Any] | None = None
    status: str = "pending"
    started_at: float | None = None
    progress: int = 0
    results: list[str] = field(default_factory=list)
    error: dict[str, Any] | None = None
    params: dict[str, Any] = field(default_factory=dict)  # the request as JSON: enough to re-run it
    wake: threading.Event = field(default_factory=threading.Event)  # set on cancel or server stop
    timer: threading.Timer | None = None


def _image_size(path: Path) -> tuple[int, int]:
    with Image.open(path) as image:
        return image.size


def _video_frame(path: Path) -> tuple[bytes, int, int]:
    """First video frame as PNG plus the stream's dimensions (thumbnail for VIDEO files)."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        for frame in container.decode(stream):
            buffer = io.BytesIO()
            frame.to_image().save(buffer, format="PNG")
            return buffer.getvalue(), frame.width, frame.height
    raise ValueError(f"{path.name} has no video frames")


def _new_id(prefix: str) -> str:
    return prefix + secrets.token_hex(8)


def _error(message: str, code: str) -> dict[str, Any]:
    return {"message": message, "code": code, "internalErrorCode": f"sbx_{secrets.token_hex(4)}"}


# -- snapshot records (written by SandboxState._save, stored by persist.SnapshotStore) ----------------


def _encode(record: dict[str, Any]) -> str:
    return json.dumps(record, separators=(",", ":"))


def _path_record(path: Path | None, root: Path) -> str | None:
    """Media paths relative to data_dir, so a moved data folder keeps working."""
    # string operations: pathlib's relative_to() would dominate the cost of encoding a snapshot
    if path is None:
        return None
    text, prefix = str(path), os.path.join(root, "")
    if text.startswith(prefix):
        return text[len(prefix) :].replace(os.sep, "/")
    return str(path.absolute())


def _path_from_record(raw: object, root: Path) -> Path | None:
    if raw is None:
        return None
    path = Path(_typed(raw, str))
    return path if path.is_absolute() else root / path


def _typed[T](value: object, kind: type[T], optional: bool = False) -> T:
    """A snapshot value of the expected JSON type (bool is not a number here); TypeError otherwise."""
    if value is None and optional:
        return value  # type: ignore[return-value]
    ok = isinstance(value, kind) and not (isinstance(value, bool) and kind is not bool)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)  # type: ignore[return-value]
    if not ok:
        raise TypeError(f"expected {kind.__name__}, got {type(value).__name__}")
    return value  # type: ignore[return-value]


def _account_record(account: Account) -> dict[str, Any]:
    return {
        "credits": account.credits,
        "productionAddon": account.production_addon,
        "revoked": account.revoked,
    }


def _account_from_record(record: dict[str, Any]) -> Account:
    return Account(
        credits=_typed(record["credits"], float),
        production_addon=_typed(record["productionAddon"], bool),
        revoked=_typed(record["revoked"], bool),
    )


def _file_record(stored: StoredFile, root: Path) -> dict[str, Any]:
    return {
        "id": stored.file_id,
        "owner": stored.owner,
        "type": stored.type,
        "scope": stored.scope,
        "displayName": stored.display_name,
        "createdAt": stored.created_at,
        "duration": stored.duration,
        "transcript": stored.transcript,
        "sources": {
            name: {
                "status": source.status,
                "path": _path_record(source.path, root),
                "contentType": source.content_type,
                "width": source.width,
                "height": source.height,
            }
            for name, source in stored.sources.items()
        },
        "sourceToolType": stored.source_tool_type,
        "sourceToolExecutionId": stored.source_tool_execution_id,
        "archivedAt": stored.archived_at,
        "isUpload": stored.is_upload,
    }


def _file_from_record(record: dict[str, Any], root: Path) -> tuple[StoredFile, int]:
    """The file and how many of its ready renditions lost their media (those become `failed`)."""
    sources: dict[str, Source] = {}
    missing = 0
    for name, raw in _typed(record["sources"], dict).items():
        source = Source(
            status=_typed(raw["status"], str),
            path=_path_from_record(raw.get("path"), root),
            content_type=_typed(raw.get("contentType"), str, optional=True),
            width=_typed(raw.get("width"), int, optional=True),
            height=_typed(raw.get("height"), int, optional=True),
        )
        if source.status == "ready" and (source.path is None or not source.path.is_file()):
            source, missing = Source("failed"), missing + 1
        sources[name] = source
    file_id = _typed(record["id"], str)
    if not file_id.startswith(FILE_PREFIX):
        raise ValueError(f"{file_id!r} is not a file id")
    stored = StoredFile(
        file_id=file_id,
        owner=_typed(record["owner"], str),
        type=_typed(record.get("type"), str, optional=True),
        scope=_typed(record["scope"], str),
        display_name=_typed(record["displayName"], str),
        created_at=_typed(record["createdAt"], float),
        duration=_typed(record.get("duration"), float, optional=True),
        transcript=_typed(record.get("transcript"), str, optional=True),
        sources=sources,
        source_tool_type=_typed(record.get("sourceToolType"), str, optional=True),
        source_tool_execution_id=_typed(record.get("sourceToolExecutionId"), str, optional=True),
        archived_at=_typed(record.get("archivedAt"), float, optional=True),
        is_upload=_typed(record.get("isUpload", False), bool),
    )
    return stored, missing


def _execution_record(execution: Execution, progress: int) -> dict[str, Any]:
    return {
        "id": execution.execution_id,
        "owner": execution.owner,
        "toolType": execution.tool_type,
        "createdAt": execution.created_at,
        "pendingS": execution.pending_s,
        "runningS": execution.running_s,
        "charged": execution.charged,
        "params": execution.params,
        "forcedError": execution.forced_error,
        "status": execution.status,
        "startedAt": execution.started_at,
        "progress": progress,
        "results": execution.results,
        "error": execution.error,
    }


# -- the state --------------------------------------------------------------------------------------


class SandboxState:
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
        self.accounts: dict[str, Account] = dict(config.accounts)
        self.presenters = build_presenters(config.presenter_count)
        self._presenters_by_id = {p.presenter_id: p for p in self.presenters}
        self._voices_by_id = {v.voice_id: v for v in VOICES}
        self.executions: dict[str, Execution] = {}
        self.files: dict[str, StoredFile] = {}
        self.request_log: list[LoggedRequest] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._workers: list[threading.Thread] = []
        self._stopped = False
        # Persistence (persist.py): None keeps everything in memory only.
        self._store = store
        self._generation = 0  # bumped by every snapshot taken
        self._closed = False  # after stop(): this state never writes again (a new server may own data_dir)
        self._records: dict[str, str] = {}  # encoded records of files/executions that no longer change
        self._resumable: list[str] = []  # restored pending/running executions, queued by start()
        if store is not None and store.loaded is not None:
            self._restore(store.loaded)

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

    # -- persistence -------------------------------------------------------------------------------
    def _save(self, final: bool = False) -> None:
        """Write a snapshot of everything; called after each change that matters, never on reads.

        The record lists are gathered under the lock (cheap: records of finished files and executions are
        encoded once and cached), the document is joined and written outside it, so polls never wait for
        the disk. Generations keep an older capture from overwriting a newer one; after the final save of
        stop() nothing is captured any more, since a new server may own data_dir by then.
        """
        store = self._store
        if store is None:
            return
        with self.lock:
            if self._closed:
                return
            self._closed = final
            self._generation += 1
            generation = self._generation
            accounts = json.dumps({key: _account_record(a) for key, a in self.accounts.items()})
            files = []
            for stored in self.files.values():
                record = self._records.get(stored.file_id)
                if record is None:
                    record = _encode(_file_record(stored, self.data_dir))
                    # archive_file and finish_upload drop the cached record when they change a file
                    if all(source.status != "pending" for source in stored.sources.values()):
                        self._records[stored.file_id] = record
                files.append(record)
            executions = []
            for execution in self.executions.values():
                record = self._records.get(execution.execution_id)
                if record is None:
                    record = _encode(_execution_record(execution, self._progress(execution)))
                    if execution.status in TERMINAL_STATUSES:  # never changes again
                        self._records[execution.execution_id] = record
                executions.append(record)
        store.write(generation, store.encode(accounts, files, executions))

    def _restore(self, payload: dict[str, Any]) -> None:
        """Take over a previous server's world; an unusable snapshot is moved aside and we start empty."""
        assert self._store is not None
        timings = {
            "TEXT_TO_SPEECH": (self.config.tts_pending_s, self.config.tts_running_s),
            "GENERATE_AVATAR": (self.config.avatar_pending_s, self.config.avatar_running_s),
        }
        try:
            accounts = {
                _typed(key, str): _account_from_record(record) for key, record in payload["accounts"].items()
            }
            files: dict[str, StoredFile] = {}
            missing = 0
            for record in payload["files"]:
                stored, lost = _file_from_record(record, self.data_dir)
                files[stored.file_id] = stored
                missing += lost
            executions: dict[str, Execution] = {}
            for record in payload["executions"]:
                execution = self._execution_from_record(record, files, timings)
                executions[execution.execution_id] = execution
        except Exception as exc:  # whatever is wrong with it, start-up must not fail
            self._store.quarantine(f"unexpected content: {type(exc).__name__}: {exc}")
            return
        self.accounts.update(accounts)  # accounts from config that the snapshot does not know are kept
        self.files = files
        self.executions = executions
        self._resumable = [e.execution_id for e in executions.values() if e.status not in TERMINAL_STATUSES]
        if missing:
            log.warning("sandbox: %d renditions lost their media on disk and are now failed", missing)
        self._remove_orphans()
        log.info(
            "sandbox state restored from %s: %d files, %d executions (%d to resume)",
            self._store.path,
            len(files),
            len(executions),
            len(self._resumable),
        )

    def _execution_from_record(
        self,
        record: dict[str, Any],
        files: dict[str, StoredFile],
        timings: dict[str, tuple[float, float]],
    ) -> Execution:
        execution_id = _typed(record["id"], str)
        if not execution_id.startswith(EXECUTION_PREFIX):
            raise ValueError(f"{execution_id!r} is not an execution id")
        tool_type = _typed(record["toolType"], str)
        status = _typed(record["status"], str)
        if status not in (*TERMINAL_STATUSES, "pending", "running"):
            raise ValueError(f"unknown execution status {status!r}")
        params = _typed(record["params"], dict)
        pending_s, running_s = _typed(record["pendingS"], float), _typed(record["runningS"], float)
        started_at = _typed(record.get("startedAt"), float, optional=True)
        if status not in TERMINAL_STATUSES:
            if tool_type in timings:
                pending_s, running_s = timings[tool_type]  # re-run work follows this server's timings
            started_at = None  # progress holds at its last value until the run restarts
        results = [_typed(file_id, str) for file_id in _typed(record["results"], list)]
        if any(file_id not in files for file_id in results):
            raise ValueError(f"execution {execution_id} lists a file the snapshot does not hold")
        return Execution(
            execution_id=execution_id,
            owner=_typed(record["owner"], str),
            tool_type=tool_type,
            created_at=_typed(record["createdAt"], float),
            pending_s=pending_s,
            running_s=running_s,
            charged=_typed(record["charged"], float),
            job=self._job(tool_type, params),
            forced_error=_typed(record.get("forcedError"), dict, optional=True),
            status=status,
            started_at=started_at,
            progress=_typed(record.get("progress", 0), int),
            results=results,
            error=_typed(record.get("error"), dict, optional=True),
            params=params,
        )

    def _remove_orphans(self) -> None:
        """Media folders no snapshot record points at: outputs of renders cut short by the last stop."""
        removed = 0
        try:
            entries = list(self.files_dir.iterdir())
        except OSError:
            return
        for entry in entries:
            if not entry.name.startswith(FILE_PREFIX) or not entry.is_dir():
                continue
            stored = self.files.get(entry.name)
            if stored is None:
                shutil.rmtree(entry, ignore_errors=True)
                removed += 1
            elif stored.is_upload:
                for part in entry.glob("upload.*.part"):  # a PUT interrupted by the stop
                    part.unlink(missing_ok=True)
        if removed:
            log.info("sandbox: removed %d unreferenced media folders", removed)

    def _resume(self) -> None:
        """Queue restored executions that had not finished; they were charged when first submitted."""
        with self.lock:
            for execution_id in self._resumable:
                execution = self.executions.get(execution_id)
                if execution is None or execution.status in TERMINAL_STATUSES or self._stopped:
                    continue
                if execution.status == "running":
                    self._queue.put(execution_id)  # straight back to a render slot
                    continue
                delay = max(0.0, execution.created_at + execution.pending_s - time.time())
                execution.timer = threading.Timer(delay, self._queue.put, (execution_id,))
                execution.timer.daemon = True
                execution.timer.start()
            self._resumable.clear()

    def record(self, entry: LoggedRequest) -> None:
        with self.lock:
            self.request_log.append(entry)
            if len(self.request_log) > REQUEST_LOG_LIMIT:
                del self.request_log[: REQUEST_LOG_LIMIT // 5]

    # -- accounts ----------------------------------------------------------------------------------
    def add_account(self, key: str, account: Account) -> None:
        with self.lock:
            self.accounts[key] = account
        self._save()

    def revoke_key(self, key: str) -> None:
        with self.lock:
            self.accounts.setdefault(key, Account()).revoked = True
        self._save()

    def authenticate(self, key: str) -> Account | None:
        with self.lock:
            account = self.accounts.get(key)
            return None if account is None or account.revoked else account

    def _charge(self, owner: str, cost: float) -> None:
        account = self.accounts[owner]
        if account.credits < cost:
            raise ApiFailure(
                402,
                f"Not enough credits: this request costs {cost:g} credits and {account.credits:g} remain.",
                "insufficient_credits",
                {
                    "type": "upgrade_plan",
                    "details": {"requiredCredits": f"{cost:g}", "availableCredits": f"{account.credits:g}"},
                },
            )
        account.credits -= cost

    def _refund(self, execution: Execution) -> None:
        # sandbox choice: cancelled and failed executions give their credits back.
        account = self.accounts.get(execution.owner)
        if account is not None:
            account.credits += execution.charged
        execution.charged = 0.0

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
        return [v for v in VOICES if include_deprecated or not v.deprecated]

    def voice(self, voice_id: str) -> Voice | None:
        return self._voices_by_id.get(voice_id)

    # -- executions --------------------------------------------------------------------------------
    def submit_tts(self, owner: str, request: TtsRequest, take_failure: FailureLookup) -> str:
        # sandbox choice: 1 credit per started 1000 characters, per result.
        cost = math.ceil(len(request.text) / 1000) * request.num_results
        params = {
            "text": request.text,
            "voiceId": request.voice.voice_id,
            "language": request.language,
            "speed": request.speed,
            "replacements": [list(pair) for pair in request.replacements],
            "autoExpand": request.auto_expand,
            "numResults": request.num_results,
            "temporary": request.temporary,
        }
        return self._submit(
            owner,
            "TEXT_TO_SPEECH",
            cost,
            params,
            take_failure,
            self.config.tts_pending_s,
            self.config.tts_running_s,
        )

    def submit_avatar(self, owner: str, request: AvatarRequest, take_failure: FailureLookup) -> str:
        with self.lock:
            audio = self.files[request.audio_file_id]
            duration = audio.duration or 0.0
            watermark = request.watermark_mode == "VIDEO_GEN" or (
                request.watermark_mode == "AUTO" and not self.accounts[owner].production_addon
            )
        # sandbox choice: 1 credit per started 10 s of audio, per result.
        cost = max(1, math.ceil(duration / 10)) * request.num_results
        params = {
            "presenterId": request.presenter.presenter_id,
            "audioFileId": request.audio_file_id,
            "watermarkMode": request.watermark_mode,
            "watermark": watermark,  # decided at submit time, from the account as it was then
            "numResults": request.num_results,
            "temporary": request.temporary,
        }
        return self._submit(
            owner,
            "GENERATE_AVATAR",
            cost,
            params,
            take_failure,
            self.config.avatar_pending_s,
            self.config.avatar_running_s,
        )

    def _submit(
        self,
        owner: str,
        tool_type: str,
        cost: float,
        params: dict[str, Any],
        take_failure: FailureLookup,
        pending_s: float,
        running_s: float,
    ) -> str:
        with self.lock:
            self._charge(owner, cost)
            # A fail_execution rule is consumed only once an execution really exists (after the charge).
            fault = take_failure()
            forced = None
            if fault is not None:
                forced = _error(fault.body or "The generation failed. Please try again.", "render_failed")
            execution = Execution(
                _new_id(EXECUTION_PREFIX),
                owner,
                tool_type,
                time.time(),
                pending_s,
                running_s,
                cost,
                self._job(tool_type, params),
                forced,
                params=params,
            )
            self.executions[execution.execution_id] = execution
            # Pending is a timer, not a worker: queued executions do not hold a render slot while waiting.
            execution.timer = threading.Timer(pending_s, self._queue.put, (execution.execution_id,))
            execution.timer.daemon = True
            if not self._stopped:
                execution.timer.start()
        self._save()  # on disk before the client learns the id: the credits are spent
        return execution.execution_id

    def _job(self, tool_type: str, params: dict[str, Any]) -> Callable[[Execution], list[StoredFile]]:
        """The render for an execution, rebuilt from its JSON params (also after a restart)."""

        def job(execution: Execution) -> list[StoredFile]:
            if tool_type == "TEXT_TO_SPEECH":
                return self._tts_job(execution, params)
            if tool_type == "GENERATE_AVATAR":
                return self._avatar_job(execution, params)
            raise ValueError(f"unknown tool type {tool_type!r}")

        return job

    def _tts_job(self, execution: Execution, params: dict[str, Any]) -> list[StoredFile]:
        voice = self.voice(params["voiceId"])
        if voice is None:
            raise ValueError(f"voice {params['voiceId']!r} no longer exists")
        request = TtsRequest(
            text=params["text"],
            voice=voice,
            language=params["language"],
            speed=params["speed"],
            replacements=[(original, replacement) for original, replacement in params["replacements"]],
            auto_expand=params["autoExpand"],
            num_results=params["numResults"],
            temporary=params["temporary"],
        )
        spoken = prepare_speech_text(request.text, request.replacements, request.auto_expand)
        return self._render_tts(execution, request, spoken)

    def _avatar_job(self, execution: Execution, params: dict[str, Any]) -> list[StoredFile]:
        presenter = self.presenter(params["presenterId"])
        if presenter is None:
            raise ValueError(f"presenter {params['presenterId']!r} no longer exists")
        with self.lock:
            audio = self.files.get(params["audioFileId"])
        if audio is None:
            raise ValueError(f"audio file {params['audioFileId']!r} no longer exists")
        request = AvatarRequest(
            presenter=presenter,
            audio_file_id=params["audioFileId"],
            watermark_mode=params["watermarkMode"],
            num_results=params["numResults"],
            temporary=params["temporary"],
        )
        return self._render_avatar(execution, request, audio, params["watermark"])

    def get_execution(self, owner: str, execution_id: str) -> Execution:
        with self.lock:
            execution = self.executions.get(execution_id)
            if execution is None or execution.owner != owner:
                raise ApiFailure(404, f"Tool execution {execution_id} was not found.", "not_found")
            return execution

    def cancel_execution(self, owner: str, execution_id: str) -> None:
        with self.lock:
            execution = self.get_execution(owner, execution_id)
            if execution.status in TERMINAL_STATUSES:
                # sandbox choice: the real behaviour on terminal executions is undocumented.
                raise ApiFailure(
                    409,
                    f"Tool execution {execution_id} already finished with status {execution.status}.",
                    "execution_finished",
                )
            execution.progress = self._progress(execution)
            execution.status = "cancelled"
            if execution.timer is not None:
                execution.timer.cancel()
            execution.wake.set()
            self._refund(execution)
        self._save()

    def _progress(self, execution: Execution) -> int:
        if execution.status == "succeeded":
            return 100
        if execution.status != "running" or execution.started_at is None:
            return execution.progress
        fraction = min(1.0, (time.time() - execution.started_at) / max(execution.running_s, 1e-6))
        # 100 only once the files are on disk; a run resumed after a restart never shows less than before
        return min(95, max(execution.progress, 5 + int(90 * fraction)))

    def execution_json(self, execution: Execution) -> dict[str, Any]:
        with self.lock:
            payload: dict[str, Any] = {
                "toolExecutionId": execution.execution_id,
                "status": execution.status,
                "toolType": execution.tool_type,
                "progressPercentage": self._progress(execution),
                "attemptIndex": 0,
                "createdAt": round(execution.created_at, 3),
            }
            if execution.status == "succeeded":
                payload["results"] = [
                    {
                        "fileId": fid,
                        "type": self.files[fid].type,
                        "file": self.file_json(self.files[fid], True),
                    }
                    for fid in execution.results
                ]
            if execution.status == "failed" and execution.error is not None:
                payload["error"] = execution.error
            return payload

    def _work(self) -> None:
        while True:
            execution_id = self._queue.get()
            if execution_id is None:
                return
            try:
                self._run(execution_id)
            except Exception:  # a worker must survive any single execution
                log.exception("sandbox execution %s crashed", execution_id)

    def _run(self, execution_id: str) -> None:
        with self.lock:
            execution = self.executions[execution_id]
            # "running" only for a run that a restart interrupted (state._resume); nothing else queues one
            if execution.status not in ("pending", "running") or self._stopped:
                return
            execution.status = "running"
            execution.started_at = time.time()
        self._save()
        outputs: list[StoredFile] = []
        error = execution.forced_error
        if error is None:
            try:
                outputs = execution.job(execution)
            except Exception as exc:
                log.warning("sandbox render failed for %s", execution_id, exc_info=True)
                error = _error(f"Rendering the media failed ({type(exc).__name__}).", "render_failed")
        # Hold "running" for at least the configured time; cancel or stop cuts the wait short.
        remaining = execution.started_at + execution.running_s - time.time()
        if remaining > 0:
            execution.wake.wait(remaining)
        with self.lock:
            if execution.status != "running" or self._stopped:
                for output in outputs:
                    shutil.rmtree(self.files_dir / output.file_id, ignore_errors=True)
                return
            execution.progress = self._progress(execution)
            if error is not None:
                execution.status, execution.error = "failed", error
                self._refund(execution)
            else:
                for output in outputs:
                    self.files[output.file_id] = output
                execution.results = [output.file_id for output in outputs]
                execution.status = "succeeded"
                execution.progress = 100
        self._save()

    # -- renders (worker threads, outside the lock) -------------------------------------------------
    def _output_file(
        self, execution: Execution, ftype: str, temporary: bool, name: str, index: int, count: int
    ) -> StoredFile:
        file_id = _new_id(FILE_PREFIX)
        (self.files_dir / file_id).mkdir(parents=True, exist_ok=True)
        suffix = f" ({index + 1})" if count > 1 else ""
        return StoredFile(
            file_id=file_id,
            owner=execution.owner,
            type=ftype,
            scope="TEMPORARY" if temporary else "GLOBAL",
            display_name=f"{name}{suffix}",
            created_at=time.time(),
            source_tool_type=execution.tool_type,
            source_tool_execution_id=execution.execution_id,
        )

    def _render_tts(self, execution: Execution, request: TtsRequest, spoken: str) -> list[StoredFile]:
        voice = request.voice
        # sandbox choice: speechLanguageCode picks the spoken language for every voice (media.py retargets
        # the espeak voice); the table maps ISO-639-1 hints to espeak-ng's names.
        language = None
        if request.language:
            primary = request.language.split("-")[0].lower()
            language = ESPEAK_FOR_LANGUAGE.get(primary, primary)
        snippet = spoken if len(spoken) <= 40 else spoken[:39].rstrip() + "…"
        outputs: list[StoredFile] = []
        first: Path | None = None
        duration = 0.0
        for index in range(request.num_results):
            stored = self._output_file(
                execution, "AUDIO", request.temporary, f"Speech – {snippet}", index, request.num_results
            )
            target = self.files_dir / stored.file_id / "speech.mp3"
            if first is None:
                duration = media.synthesize_speech(
                    spoken,
                    target,
                    speed=request.speed,
                    language=language,
                    voice=voice.espeak,
                    pitch=voice.pitch,
                )
                first = target
            else:  # every result is its own file; identical content is fine for a stand-in
                shutil.copyfile(first, target)
            stored.duration = duration
            stored.transcript = spoken
            stored.sources = {
                "thumbnail": _skipped(),
                "preview": Source("ready", target, "audio/mpeg"),
                "download": Source("ready", target, "audio/mpeg"),
                "hls": _skipped(),
            }
            outputs.append(stored)
        return outputs

    def _render_avatar(
        self, execution: Execution, request: AvatarRequest, audio: StoredFile, watermark: bool
    ) -> list[StoredFile]:
        portrait = self.assets.path(request.presenter, "image.png").read_bytes()
        audio_path = audio.source("download").path
        if audio_path is None:
            raise ValueError("audio file has no downloadable rendition")
        outputs: list[StoredFile] = []
        first: tuple[Path, Path] | None = None
        duration = 0.0
        width = height = thumb_w = thumb_h = 0
        for index in range(request.num_results):
            stored = self._output_file(
                execution, "VIDEO", request.temporary, "Avatar clip", index, request.num_results
            )
            video = self.files_dir / stored.file_id / "avatar.mp4"
            thumb = self.files_dir / stored.file_id / "thumbnail.png"
            if first is None:
                duration = media.render_talking_head(
                    portrait, audio_path, video, watermark=watermark, size=self.config.video_size
                )
                frame, width, height = _video_frame(video)
                thumb.write_bytes(media.render_thumbnail(frame))
                thumb_w, thumb_h = _image_size(thumb)
                first = (video, thumb)
            else:
                shutil.copyfile(first[0], video)
                shutil.copyfile(first[1], thumb)
            stored.duration = duration
            stored.transcript = audio.transcript
            stored.sources = {
                "thumbnail": Source("ready", thumb, "image/png", thumb_w, thumb_h),
                "preview": Source("ready", video, "video/mp4", width, height),
                "download": Source("ready", video, "video/mp4", width, height),
                "hls": _skipped(),
            }
            outputs.append(stored)
        return outputs

    # -- files -------------------------------------------------------------------------------------
    def get_file(self, owner: str, file_id: str) -> StoredFile:
        with self.lock:
            stored = self.files.get(file_id)
            if stored is None or stored.owner != owner:
                raise ApiFailure(404, f"File {file_id} was not found.", "not_found")
            return stored

    def list_files(self, owner: str) -> list[StoredFile]:
        with self.lock:
            owned = [f for f in self.files.values() if f.owner == owner and f.archived_at is None]
        return sorted(owned, key=lambda f: f.created_at, reverse=True)  # sandbox choice: newest first

    def archive_file(self, owner: str, file_id: str) -> StoredFile:
        with self.lock:
            stored = self.get_file(owner, file_id)
            if stored.archived_at is not None:
                return stored
            stored.archived_at = time.time()
            self._records.pop(file_id, None)
        self._save()
        return stored

    def file_json(self, stored: StoredFile, hydrate: bool) -> dict[str, Any]:
        with self.lock:
            return {
                "fileId": stored.file_id,
                "type": stored.type,
                "scope": stored.scope,
                "displayName": stored.display_name,
                "description": None,
                "durationSeconds": None if stored.duration is None else round(stored.duration, 3),
                "transcript": stored.transcript,
                "thumbnailSource": self._source_json(stored, "thumbnail", hydrate),
                "previewSource": self._source_json(stored, "preview", hydrate),
                "downloadSource": self._source_json(stored, "download", hydrate),
                "hlsSource": self._source_json(stored, "hls", hydrate),
                "isPublicPreviewEnabled": False,
                "publicHlsUrl": None,
                "publicPlaybackId": None,
                "sourceToolType": stored.source_tool_type,
                "sourceToolExecutionId": stored.source_tool_execution_id,
                "createdAt": round(stored.created_at, 3),
                "archivedAt": None if stored.archived_at is None else round(stored.archived_at, 3),
            }

    def _source_json(self, stored: StoredFile, rendition: str, hydrate: bool) -> dict[str, Any]:
        source = stored.source(rendition)
        url = expires = size = None
        if source.status == "ready" and source.path is not None:
            size = source.path.stat().st_size if source.path.exists() else None
            if hydrate:  # plain GETs leave url/expiresAt null; only hydration signs URLs
                signed, expires = self.signer.sign(
                    f"/f/{stored.file_id}/{rendition}", self.config.signed_url_ttl_s
                )
                url = self.storage_url + signed
        return {
            "status": source.status,
            "url": url,
            "expiresAt": expires,
            "width": source.width,
            "height": source.height,
            "fileBytes": size,
        }

    def rendition_source(self, file_id: str, rendition: str) -> Source | None:
        """What a signed download URL points at (storage origin; the signature already proved access)."""
        with self.lock:
            stored = self.files.get(file_id)
            if stored is None or rendition not in RENDITIONS:
                return None
            source = stored.source(rendition)
            return source if source.status == "ready" and source.path is not None else None

    # -- uploads -----------------------------------------------------------------------------------
    def create_upload(
        self, owner: str, display_name: str, ftype: str | None, temporary: bool
    ) -> tuple[StoredFile, str]:
        stored = StoredFile(
            file_id=_new_id(FILE_PREFIX),
            owner=owner,
            type=ftype,
            scope="TEMPORARY" if temporary else "GLOBAL",
            display_name=display_name,
            created_at=time.time(),
            sources={name: Source("pending") for name in (*RENDITIONS, "hls")},
            is_upload=True,
        )
        (self.files_dir / stored.file_id).mkdir(parents=True, exist_ok=True)
        with self.lock:
            self.files[stored.file_id] = stored
        self._save()
        signed, _ = self.signer.sign(f"/u/{stored.file_id}", self.config.upload_url_ttl_s)
        return stored, self.storage_url + signed

    def upload_temp_path(self, file_id: str) -> Path | None:
        """Where the storage origin streams a PUT body; None if the file is not an upload."""
        with self.lock:
            stored = self.files.get(file_id)
            if stored is None or not stored.is_upload:
                return None
        return self.files_dir / file_id / f"upload.{secrets.token_hex(6)}.part"

    def finish_upload(self, file_id: str, part: Path) -> None:
        """Process an uploaded body: detect the type from content, probe it, mark sources ready or failed.

        sandbox choice: processing is synchronous with the PUT, so sources are ready when the PUT returns.
        """
        with self.lock:
            stored = self.files[file_id]
            declared = stored.type
        with part.open("rb") as fh:
            content_type = sniff_content_type(fh.read(64))
        extension = {
            "audio/mpeg": "mp3",
            "audio/wav": "wav",
            "video/mp4": "mp4",
            "image/png": "png",
            "image/jpeg": "jpg",
        }.get(content_type, "bin")
        target = self.files_dir / file_id / f"original.{extension}"
        os.replace(part, target)
        detected = media.detect_media_type(target)
        sources: dict[str, Source]
        duration = None
        if detected is None or (declared is not None and detected != declared):
            failed = Source("failed")
            sources = {"thumbnail": failed, "preview": failed, "download": failed, "hls": _skipped()}
        else:
            try:
                sources, duration = self._upload_sources(detected, target, content_type)
            except Exception:
                log.warning("sandbox could not process upload %s", file_id, exc_info=True)
                failed = Source("failed")
                sources = {"thumbnail": failed, "preview": failed, "download": failed, "hls": _skipped()}
                detected = declared
        with self.lock:
            stored.type = detected if detected is not None else declared
            stored.duration = duration
            stored.sources = sources
            self._records.pop(file_id, None)
        self._save()

    def _upload_sources(
        self, kind: str, target: Path, content_type: str
    ) -> tuple[dict[str, Source], float | None]:
        duration = None if kind == "IMAGE" else media.probe_duration(target)
        if kind == "AUDIO":
            ready = Source("ready", target, content_type)
            return {"thumbnail": _skipped(), "preview": ready, "download": ready, "hls": _skipped()}, duration
        # Images and videos both get a PNG thumbnail: of the image itself, or of the video's first frame.
        if kind == "IMAGE":
            width, height = _image_size(target)
            still = target.read_bytes()
        else:
            still, width, height = _video_frame(target)
        thumb = target.with_name("thumbnail.png")
        thumb.write_bytes(media.render_thumbnail(still))
        tw, th = _image_size(thumb)
        ready = Source("ready", target, content_type, width, height)
        return {
            "thumbnail": Source("ready", thumb, "image/png", tw, th),
            "preview": ready,
            "download": ready,
            "hls": _skipped(),
        }, duration
