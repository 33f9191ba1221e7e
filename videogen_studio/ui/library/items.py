"""One library entry (`Clip`) built from a local render, a service file or a service execution, and merging.

A clip can be known from several places at once: a local render whose video the service also keeps (same
file id), a file the executions list names as a result. They merge into one row keyed by the service file id
when there is one (`file:<id>`), else by the local job (`job:<id>`), so nothing shows twice.

The service reports no creation date for files or executions (spec 2026-07), so a service-only clip has no
date; a local render has the date it was asked for.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from videogen_studio.api.models import StorageFile, ToolExecution
from videogen_studio.pipeline.jobs import JobState, RenderJob, RenderSpec

from ..queue_model import job_title

Origin = Literal["local", "service", "both"]


@dataclass(frozen=True, slots=True)
class Clip:
    key: str
    origin: Origin
    title: str
    presenter: str = ""
    duration_s: float | None = None
    created_at: float | None = None
    path: str = ""  # the local file, when there is one
    job_id: str = ""
    file_id: str = ""
    execution_id: str = ""
    thumbnail_url: str = ""
    public_preview: bool = False
    public_url: str = ""
    script: str = ""
    spec: RenderSpec | None = None

    @property
    def is_local(self) -> bool:
        return bool(self.job_id)

    @property
    def on_service(self) -> bool:
        return bool(self.file_id)

    def search_text(self) -> str:
        return " ".join((self.title, self.presenter, self.script)).casefold()


def clip_from_job(job: RenderJob) -> Clip | None:
    """A finished local render (other states are the queue's business)."""
    if job.state != JobState.DONE or not job.output_path:
        return None
    file_ids = tuple(getattr(job, "video_file_ids", ()) or ())
    file_id = file_ids[0] if file_ids else (job.video_file_id or "")
    return Clip(
        key=f"file:{file_id}" if file_id else f"job:{job.job_id}",
        origin="local",
        title=job_title(job),
        presenter=job.spec.presenter_name or job.spec.presenter_id,
        duration_s=job.duration_seconds,
        created_at=job.created_at,
        path=job.output_path,
        job_id=job.job_id,
        file_id=file_id,
        execution_id=job.avatar_execution_id or "",
        script=job.spec.script,
        spec=job.spec,
    )


def _is_video(file: StorageFile) -> bool:
    kind = (file.type or "").lower()
    return kind in ("", "video") or kind.startswith("video")


def public_url_of(file: StorageFile) -> str:
    """The shareable address of a file whose public preview is on ("" when off or not given)."""
    if not file.is_public_preview_enabled:
        return ""
    static = file.static_public_preview_source
    return file.public_hls_url or (static.url if static is not None and static.url else "") or ""


def clip_from_file(file: StorageFile, *, execution_id: str = "") -> Clip | None:
    if not _is_video(file):
        return None
    thumbnail = file.thumbnail_source.url if file.thumbnail_source and file.thumbnail_source.url else ""
    return Clip(
        key=f"file:{file.file_id}",
        origin="service",
        title=(file.display_name or file.description or file.file_id).strip(),
        duration_s=file.duration_seconds,
        file_id=file.file_id,
        execution_id=execution_id or file.source_tool_execution_id or "",
        thumbnail_url=thumbnail,
        public_preview=file.is_public_preview_enabled,
        public_url=public_url_of(file),
        script=file.transcript or "",
    )


def clips_from_execution(execution: ToolExecution) -> list[Clip]:
    """The video results of a finished execution (speech executions yield none)."""
    clips = []
    for result in execution.results:
        if result.file is not None:
            clip = clip_from_file(result.file, execution_id=execution.tool_execution_id)
        elif (result.type or "").lower().startswith("video"):
            clip = Clip(
                key=f"file:{result.file_id}",
                origin="service",
                title=f"Video {result.file_id}",
                file_id=result.file_id,
                execution_id=execution.tool_execution_id,
            )
        else:
            clip = None
        if clip is not None:
            clips.append(clip)
    return clips


def merge(old: Clip, new: Clip) -> Clip:
    """One clip from two sightings: local facts (path, title, date, spec) win, service facts fill in.

    Between two sightings of the same kind the newer one wins (a renamed render, a file shared since).
    """
    if not old.is_local and not new.is_local:
        return dataclasses.replace(
            new,
            title=old.title if new.title.startswith("Video ") else new.title,
            thumbnail_url=new.thumbnail_url or old.thumbnail_url,
            duration_s=new.duration_s or old.duration_s,
            script=new.script or old.script,
            execution_id=new.execution_id or old.execution_id,
            path=new.path or old.path,
        )
    local, other = (new, old) if new.is_local else (old, new)
    service = next((c for c in (new, old) if c.origin != "local"), None)
    return dataclasses.replace(
        local,
        origin="both" if service is not None else "local",
        file_id=local.file_id or other.file_id,
        execution_id=local.execution_id or other.execution_id,
        thumbnail_url=local.thumbnail_url or other.thumbnail_url,
        public_preview=service.public_preview if service is not None else local.public_preview,
        public_url=service.public_url if service is not None else local.public_url,
        duration_s=local.duration_s or other.duration_s,
    )


def dedupe(clips: Iterable[Clip]) -> list[Clip]:
    seen: dict[str, Clip] = {}
    for clip in clips:
        seen[clip.key] = merge(seen[clip.key], clip) if clip.key in seen else clip
    return list(seen.values())
