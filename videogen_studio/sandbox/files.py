"""Files: generated outputs and uploads, their renditions, signed-URL JSON, upload processing."""

from __future__ import annotations

import logging
import os
import re
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from videogen_studio.sandbox import media
from videogen_studio.sandbox.core import StateCore, new_id
from videogen_studio.sandbox.failures import ApiFailure
from videogen_studio.sandbox.storage import sniff_content_type

log = logging.getLogger(__name__)

FILE_PREFIX = "vg_file_"
RENDITIONS = ("thumbnail", "preview", "download")  # hls is always "skipped" (sandbox choice)


@dataclass
class Source:
    status: str  # pending | ready | failed | skipped
    path: Path | None = None
    content_type: str | None = None
    width: int | None = None
    height: int | None = None


def skipped() -> Source:
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
    public_playback_id: str | None = None  # set while public preview is enabled
    # Reference images of ACTOR entities are files too, made from a presenter's assets on first use
    # (rendered lazily, never persisted: the catalogue rebuilds them). Holds that presenter's id.
    asset_of: str | None = None

    def source(self, rendition: str) -> Source:
        return self.sources.get(rendition) or skipped()


class FileBook(StateCore):
    def get_file(self, owner: str, file_id: str) -> StoredFile:
        with self.lock:
            stored = self.files.get(file_id)
            # ENTITY files (actor reference images) are shared with everyone, like the catalogue.
            if stored is None or (stored.owner != owner and stored.scope != "ENTITY"):
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

    def search_files(
        self, owner: str, query: str, num_results: int, self_only: bool
    ) -> list[tuple[float, StoredFile]]:
        """Text match over display name and transcript, scored like a similarity in [0, 1].

        sandbox choice: the real service embeds descriptions; here the score is the share of query words
        found (whole words count fully, prefixes half). Temporary files are not analysed, so never found.
        """
        words = _words(query)
        if not words:
            return []
        with self.lock:
            team = self.team_of(owner)
            candidates = [
                f
                for f in self.files.values()
                if f.archived_at is None
                and f.scope != "TEMPORARY"
                and f.asset_of is None
                and (f.owner == owner or (not self_only and self.team_of(f.owner) == team))
            ]
        scored = []
        for stored in candidates:
            haystack = _words(f"{stored.display_name} {stored.transcript or ''}")
            score = sum(
                1.0 if w in haystack else 0.5 if any(h.startswith(w) for h in haystack) else 0.0
                for w in words
            )
            if score > 0:
                scored.append((round(min(1.0, score / len(words)), 4), stored))
        scored.sort(key=lambda pair: (-pair[0], -pair[1].created_at))
        return scored[:num_results]

    def set_public_preview(self, owner: str, file_id: str, enabled: bool) -> StoredFile:
        with self.lock:
            stored = self.get_file(owner, file_id)
            if enabled and stored.source("download").status != "ready":
                raise ApiFailure(
                    409, f"File {file_id} has no ready rendition to share yet.", "file_not_ready"
                )
            if enabled and stored.public_playback_id is None:
                stored.public_playback_id = "vg_play_" + secrets.token_hex(10)
            elif not enabled:
                stored.public_playback_id = None
            self._records.pop(file_id, None)
        self._save()
        return stored

    def public_source(self, playback_id: str) -> tuple[StoredFile, Source] | None:
        """What a public preview URL serves (no signature: public until disabled)."""
        with self.lock:
            for stored in self.files.values():
                if stored.public_playback_id == playback_id and stored.archived_at is None:
                    source = stored.source("download")
                    return (stored, source) if source.status == "ready" and source.path is not None else None
        return None

    def _materialize(self, stored: StoredFile) -> None:
        """Render an actor reference image's assets before their first use (outside the lock)."""
        if stored.asset_of is None:
            return
        presenter = self.presenter(stored.asset_of)
        if presenter is not None:
            for name in ("thumb.png", "image.png"):
                self.assets.path(presenter, name)

    def file_json(self, stored: StoredFile, hydrate: bool) -> dict[str, Any]:
        if hydrate:
            self._materialize(stored)
        with self.lock:
            public = self._public_json(stored)
            payload = {
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
                **public,
                "createdAt": round(stored.created_at, 3),
                "archivedAt": None if stored.archived_at is None else round(stored.archived_at, 3),
            }
            # The spec types these as strings: present only for files a tool made.
            if stored.source_tool_type is not None:
                payload["sourceToolType"] = stored.source_tool_type
            if stored.source_tool_execution_id is not None:
                payload["sourceToolExecutionId"] = stored.source_tool_execution_id
            return payload

    def _public_json(self, stored: StoredFile) -> dict[str, Any]:
        playback = stored.public_playback_id
        if playback is None:
            return {
                "isPublicPreviewEnabled": False,
                "staticPublicPreviewSource": None,
                "publicHlsUrl": None,
                "publicPlaybackId": None,
            }
        download = stored.source("download")
        size = download.path.stat().st_size if download.path is not None and download.path.exists() else None
        streamable = stored.type in ("VIDEO", "AUDIO")
        base = f"{self.storage_url}/p/{playback}"
        return {
            "isPublicPreviewEnabled": True,
            "staticPublicPreviewSource": {
                "status": "ready",
                "url": f"{base}/download",
                "expiresAt": None,  # permanent until public preview is disabled
                "width": download.width,
                "height": download.height,
                "fileBytes": size,
            },
            # sandbox choice: the playlist names the MP4 itself; enough for a link, not adaptive streaming.
            "publicHlsUrl": f"{base}/index.m3u8" if streamable else None,
            "publicPlaybackId": playback if streamable else None,
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
        if stored is not None:
            self._materialize(stored)
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
            file_id=new_id(FILE_PREFIX),
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
            sources = {"thumbnail": failed, "preview": failed, "download": failed, "hls": skipped()}
        else:
            try:
                sources, duration = self._upload_sources(detected, target, content_type)
            except Exception:
                log.warning("sandbox could not process upload %s", file_id, exc_info=True)
                failed = Source("failed")
                sources = {"thumbnail": failed, "preview": failed, "download": failed, "hls": skipped()}
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
            return {"thumbnail": skipped(), "preview": ready, "download": ready, "hls": skipped()}, duration
        # Images and videos both get a PNG thumbnail: of the image itself, or of the video's first frame.
        if kind == "IMAGE":
            width, height = media.image_size(target)
            still = target.read_bytes()
        else:
            still, width, height = media.first_frame(target)
        thumb = target.with_name("thumbnail.png")
        thumb.write_bytes(media.render_thumbnail(still))
        tw, th = media.image_size(thumb)
        ready = Source("ready", target, content_type, width, height)
        return {
            "thumbnail": Source("ready", thumb, "image/png", tw, th),
            "preview": ready,
            "download": ready,
            "hls": skipped(),
        }, duration


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[^\W_]+", text.lower()) if len(w) > 1}


def _word_score(word: str, haystack: set[str]) -> float:
    if word in haystack:
        return 1.0
    return 0.5 if any(h.startswith(word) for h in haystack) else 0.0
