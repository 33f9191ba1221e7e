"""RenderJob and its state machine: every state and every allowed transition.

A job is immutable; each step produces a new copy through `advance()`, which refuses transitions the
table does not allow. The store persists every copy, so the job on disk is always the truth.

    QUEUED -> SUBMITTING_SPEECH -> SPEECH_RUNNING -> SUBMITTING_AVATAR -> AVATAR_RUNNING
           -> DOWNLOADING -> DONE
    any non-terminal state -> FAILED | CANCELLED;   FAILED | CANCELLED -> QUEUED (retry)

The SUBMITTING_* states are written *before* a paid POST goes out. A job found in one of them after a crash
may or may not have started an execution, so it is never submitted again automatically (see `uncertain`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ..api.enums import WatermarkMode


class JobState(StrEnum):
    QUEUED = "queued"
    SUBMITTING_SPEECH = "submitting_speech"
    SPEECH_RUNNING = "speech_running"
    SUBMITTING_AVATAR = "submitting_avatar"
    AVATAR_RUNNING = "avatar_running"
    DOWNLOADING = "downloading"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        return self in (JobState.DONE, JobState.FAILED, JobState.CANCELLED)

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    JobState.QUEUED: "Queued",
    JobState.SUBMITTING_SPEECH: "Sending script",
    JobState.SPEECH_RUNNING: "Synthesising speech",
    JobState.SUBMITTING_AVATAR: "Sending to presenter",
    JobState.AVATAR_RUNNING: "Rendering video",
    JobState.DOWNLOADING: "Downloading",
    JobState.DONE: "Done",
    JobState.FAILED: "Failed",
    JobState.CANCELLED: "Cancelled",
}

_FORWARD = {
    JobState.QUEUED: {
        JobState.SUBMITTING_SPEECH,
        JobState.SUBMITTING_AVATAR,
        JobState.AVATAR_RUNNING,
        JobState.SPEECH_RUNNING,
        JobState.DOWNLOADING,
    },
    JobState.SUBMITTING_SPEECH: {JobState.SPEECH_RUNNING, JobState.QUEUED},
    JobState.SPEECH_RUNNING: {JobState.SUBMITTING_AVATAR},
    JobState.SUBMITTING_AVATAR: {JobState.AVATAR_RUNNING, JobState.QUEUED},
    JobState.AVATAR_RUNNING: {JobState.DOWNLOADING},
    JobState.DOWNLOADING: {JobState.DONE},
    JobState.DONE: set(),
    JobState.FAILED: {JobState.QUEUED},
    JobState.CANCELLED: {JobState.QUEUED},
}
#: Every non-terminal state may also fail or be cancelled.
ALLOWED: Mapping[JobState, frozenset[JobState]] = {
    state: frozenset(targets | (set() if state.is_terminal else {JobState.FAILED, JobState.CANCELLED}))
    for state, targets in _FORWARD.items()
}

#: Share of the overall progress bar each stage owns (the avatar render dominates wall time).
STAGE_SPAN: Mapping[JobState, tuple[float, float]] = {
    JobState.QUEUED: (0.0, 0.0),
    JobState.SUBMITTING_SPEECH: (0.0, 0.02),
    JobState.SPEECH_RUNNING: (0.02, 0.25),
    JobState.SUBMITTING_AVATAR: (0.25, 0.27),
    JobState.AVATAR_RUNNING: (0.27, 0.85),
    JobState.DOWNLOADING: (0.85, 1.0),
    JobState.DONE: (1.0, 1.0),
}


class InvalidTransition(RuntimeError):
    pass


@dataclass(frozen=True, slots=True)
class RenderSpec:
    """What the user asked for: everything needed to submit, and nothing the server told us."""

    presenter_id: str
    script: str
    voice_id: str | None = None
    presenter_name: str = ""
    presenter_thumbnail_url: str = ""
    language_code: str | None = None  # ISO-639-1 hint for TTS
    voice_speed: float | None = None
    replacements: tuple[tuple[str, str], ...] = ()
    auto_expand: bool = False
    watermark_mode: str = WatermarkMode.AUTO  # a WatermarkMode value (members compare equal to their strings)
    temporary: bool = False
    output_dir: str = ""
    #: "presenter" or "actor": `presenter_id` holds the presenter id or the actor entity id.
    avatar_form: str = "presenter"
    avatar_quality: str | None = None  # an AvatarQuality value; only the actor form sends it
    num_results: int = 1  # videos asked for in one avatar step (variations)
    #: The user's own audio file: uploaded and used instead of text-to-speech when set.
    audio_path: str = ""
    title: str = ""  # the user's name for the clip; display only

    def fingerprint(self) -> str:
        """A stable hash of what was asked for (not of how it is displayed).

        Two specs that would buy the same render share a fingerprint, so the CLI can find the job it
        started before a crash instead of paying for it again. Display-only fields (title, presenter
        name and thumbnail) are left out; everything sent to the service and the output folder are in.
        """
        asked = {
            "v": 1,
            "presenter_id": self.presenter_id,
            "avatar_form": self.avatar_form,
            "script": self.script,
            "voice_id": self.voice_id,
            "language_code": self.language_code,
            "voice_speed": self.voice_speed,
            "replacements": [list(pair) for pair in self.replacements],
            "auto_expand": self.auto_expand,
            "watermark_mode": str(self.watermark_mode),
            "temporary": self.temporary,
            "output_dir": self.output_dir,
            "avatar_quality": None if self.avatar_quality is None else str(self.avatar_quality),
            "num_results": self.num_results,
            "audio_path": self.audio_path,
        }
        canonical = json.dumps(asked, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class RenderJob:
    spec: RenderSpec
    job_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    state: JobState = JobState.QUEUED
    created_at: float = field(default_factory=time.time)
    updated_at: float = field(default_factory=time.time)
    started_at: float | None = None
    finished_at: float | None = None
    # What the server told us, in the order we learn it; each one lets a restart skip a paid step.
    tts_execution_id: str | None = None
    audio_file_id: str | None = None
    avatar_execution_id: str | None = None
    video_file_id: str | None = None  # the first result; all of them are in video_file_ids
    output_path: str | None = None  # the first result's file; all of them are in output_paths
    duration_seconds: float | None = None
    stage_progress: float = 0.0  # 0..1 within the current stage
    error_message: str | None = None
    error_hint: str | None = None
    error_code: str | None = None
    #: True when a paid submission may have reached the server but we never saw its id.
    uncertain: bool = False
    attempts: int = 0
    #: Every result of the avatar step (numResults > 1) and where each one was downloaded, in order.
    video_file_ids: tuple[str, ...] = ()
    output_paths: tuple[str, ...] = ()
    #: A stable failure kind: an api `ErrorKind` value or a pipeline `FailureKind` value.
    error_kind: str | None = None
    #: Something the user should know that is not a failure (e.g. a cancel that came too late).
    notice: str | None = None
    #: The service holds the current step in `awaiting_approval`: neither failed nor finished.
    awaiting_approval: bool = False

    @property
    def progress(self) -> float:
        """Overall 0..1 progress across all stages."""
        if self.state in (JobState.FAILED, JobState.CANCELLED):
            return 0.0
        low, high = STAGE_SPAN[self.state]
        return low + (high - low) * max(0.0, min(1.0, self.stage_progress))

    @property
    def status_label(self) -> str:
        """What the job is doing, in a word or three (finer than `state.label`)."""
        if self.awaiting_approval and not self.state.is_terminal:
            return "Waiting for approval"
        if self.state is JobState.SPEECH_RUNNING and self.spec.audio_path and not self.tts_execution_id:
            return "Uploading audio"
        return self.state.label

    def advance(self, state: JobState, **changes: Any) -> RenderJob:
        """A copy in `state` with `changes` applied; raises InvalidTransition if the table forbids it."""
        if state != self.state and state not in ALLOWED[self.state]:
            raise InvalidTransition(f"{self.state.value} -> {state.value} is not allowed")
        now = time.time()
        if state != self.state:
            changes.setdefault("stage_progress", 0.0)
        if self.started_at is None and state not in (JobState.QUEUED,) and not state.is_terminal:
            changes.setdefault("started_at", now)
        if state.is_terminal:
            changes.setdefault("finished_at", now)
        if state == JobState.QUEUED:
            changes.setdefault("finished_at", None)
        return dataclasses.replace(self, state=state, updated_at=now, **changes)

    def update(self, **changes: Any) -> RenderJob:
        """A copy with changes but the same state (progress, ids)."""
        return dataclasses.replace(self, updated_at=time.time(), **changes)

    def resume_state(self) -> JobState:
        """Where a retry or a restart picks up, skipping every paid step that already happened."""
        if self.video_file_id:
            return JobState.DOWNLOADING
        if self.avatar_execution_id:
            return JobState.AVATAR_RUNNING
        if self.audio_file_id:
            return JobState.SUBMITTING_AVATAR
        if self.tts_execution_id:
            return JobState.SPEECH_RUNNING
        return JobState.SUBMITTING_SPEECH
