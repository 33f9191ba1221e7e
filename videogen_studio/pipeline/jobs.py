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
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


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
    watermark_mode: str = "AUTO"
    temporary: bool = False
    output_dir: str = ""


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
    video_file_id: str | None = None
    output_path: str | None = None
    duration_seconds: float | None = None
    stage_progress: float = 0.0  # 0..1 within the current stage
    error_message: str | None = None
    error_hint: str | None = None
    error_code: str | None = None
    #: True when a paid submission may have reached the server but we never saw its id.
    uncertain: bool = False
    attempts: int = 0

    @property
    def progress(self) -> float:
        """Overall 0..1 progress across all stages."""
        if self.state in (JobState.FAILED, JobState.CANCELLED):
            return 0.0
        low, high = STAGE_SPAN[self.state]
        return low + (high - low) * max(0.0, min(1.0, self.stage_progress))

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
