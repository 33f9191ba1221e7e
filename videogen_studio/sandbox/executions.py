"""Executions: submission (charged), the pending timer, render workers, progress, cancel, JSON."""

from __future__ import annotations

import logging
import math
import queue
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from videogen_studio.sandbox.core import StateCore, new_id
from videogen_studio.sandbox.failures import ApiFailure, error_body
from videogen_studio.sandbox.faults import FaultRule
from videogen_studio.sandbox.files import StoredFile
from videogen_studio.sandbox.renders import QUALITY_COST, AvatarOrder, SpeechOrder

log = logging.getLogger(__name__)

EXECUTION_PREFIX = "vg_exec_"  # generation A; B and C use "vg_tool_" (generations.py)
TERMINAL_STATUSES = frozenset({"succeeded", "failed", "cancelled"})
AWAITING_APPROVAL = "awaiting_approval"  # generation C: rendered, not a success until approved
SETTLED_STATUSES = TERMINAL_STATUSES | {AWAITING_APPROVAL}  # nothing left to render
RENDER_WORKERS = 2

FailureLookup = Callable[[], FaultRule | None]  # consumes a matching fail_execution rule, if any


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
    attempt: int = 0  # attemptIndex: a run interrupted by a server stop is retried as the next attempt
    results: list[str] = field(default_factory=list)
    error: dict[str, Any] | None = None
    params: dict[str, Any] = field(default_factory=dict)  # the request as JSON: enough to re-run it
    wake: threading.Event = field(default_factory=threading.Event)  # set on cancel or server stop
    timer: threading.Timer | None = None


class ExecutionBook(StateCore):
    _queue: queue.Queue[str | None]

    def submit_tts(self, owner: str, request: SpeechOrder, take_failure: FailureLookup) -> str:
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

    def submit_avatar(self, owner: str, request: AvatarOrder, take_failure: FailureLookup) -> str:
        with self.lock:
            audio = self.files[request.audio_file_id]
            duration = audio.duration or 0.0
            watermark = request.watermark_mode == "VIDEO_GEN" or (
                request.watermark_mode == "AUTO" and not self.accounts[owner].production_addon
            )
        # sandbox choice: 1 credit per started 10 s of audio, per result.
        cost = (
            max(1, math.ceil(duration / 10))
            * request.num_results
            * QUALITY_COST[request.quality or "STANDARD"]
        )
        params = {
            "presenterId": request.presenter.presenter_id,
            "actorEntityId": request.actor_entity_id,
            "avatarQuality": request.quality,
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
                forced = error_body(fault.body or "The generation failed. Please try again.", "render_failed")
            execution = Execution(
                new_id(self.generation.execution_prefix),
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

    def get_execution(self, owner: str, execution_id: str) -> Execution:
        with self.lock:
            execution = self.executions.get(execution_id)
            if execution is None or execution.owner != owner:
                raise ApiFailure(404, f"Tool execution {execution_id} was not found.", "not_found")
            return execution

    def list_executions(self, owner: str, self_only: bool) -> list[Execution]:
        """Newest first: the caller's own, or (default) every execution of the caller's team."""
        with self.lock:
            team = self.team_of(owner)
            mine = [
                e
                for e in self.executions.values()
                if e.owner == owner or (not self_only and self.team_of(e.owner) == team)
            ]
        return sorted(mine, key=lambda e: (e.created_at, e.execution_id), reverse=True)

    def approve(self, execution_id: str) -> Execution:
        """Let an execution held in awaiting_approval succeed (control API and tests)."""
        with self.lock:
            execution = self.executions.get(execution_id)
            if execution is None:
                raise ApiFailure(404, f"Tool execution {execution_id} was not found.", "not_found")
            if execution.status != AWAITING_APPROVAL:
                raise ApiFailure(
                    409,
                    f"Tool execution {execution_id} is {execution.status}, not awaiting approval.",
                    "conflict",
                )
            execution.status = "succeeded"
            execution.progress = 100
        self._save()
        return execution

    def awaiting_approval(self) -> list[str]:
        with self.lock:
            return [e.execution_id for e in self.executions.values() if e.status == AWAITING_APPROVAL]

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
                "attemptIndex": execution.attempt,
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
                error = error_body(f"Rendering the media failed ({type(exc).__name__}).", "render_failed")
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
                gated = self.config.approval_required and self.generation.approval_gate
                execution.status = AWAITING_APPROVAL if gated else "succeeded"
                execution.progress = 100
        self._save()
