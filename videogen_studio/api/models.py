"""Typed views of the VideoGen wire format.

Frozen dataclasses parsed from camelCase JSON. Parsing is tolerant the way the official SDK is: unknown fields
are ignored and unknown enum values are kept as plain strings, so a newer server never breaks an older app.
A payload whose *required* fields are missing or of the wrong type raises `MalformedResponse` instead.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .enums import AvatarQuality, WatermarkMode
from .errors import MalformedResponse

T = TypeVar("T")

PENDING = "pending"
RUNNING = "running"
SUCCEEDED = "succeeded"
FAILED = "failed"
CANCELLED = "cancelled"
#: Generation C: the result waits for a human approval. Neither terminal nor a success: keep polling slowly.
AWAITING_APPROVAL = "awaiting_approval"
TERMINAL_STATUSES = frozenset({SUCCEEDED, FAILED, CANCELLED})


WATERMARK_MODES = tuple(m.value for m in WatermarkMode)
GENDERS = ("MALE", "FEMALE", "NEUTRAL")
#: The spec caps every list's `limit` at 200.
MAX_PAGE_SIZE = 200


def _req(data: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    value = data.get(key)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise MalformedResponse(f"{where}: field '{key}' missing or not {_kind_name(kind)}")
    return value


def _opt(data: Mapping[str, Any], key: str, kind: type | tuple[type, ...], default: Any = None) -> Any:
    value = data.get(key)
    if value is None or not isinstance(value, kind) or (isinstance(value, bool) and kind in (int, float)):
        return default
    return value


def _kind_name(kind: type | tuple[type, ...]) -> str:
    if isinstance(kind, tuple):
        return " or ".join(k.__name__ for k in kind)
    return kind.__name__


def _obj(data: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise MalformedResponse(f"{where}: expected a JSON object, got {type(data).__name__}")
    return data


def _list(data: Mapping[str, Any], key: str, where: str) -> list[Any]:
    value = data.get(key)
    if not isinstance(value, list):
        raise MalformedResponse(f"{where}: field '{key}' missing or not a list")
    return value


@dataclass(frozen=True, slots=True)
class AvatarPresenter:
    avatar_presenter_id: str
    displayable_gender: str
    image_url: str
    thumbnail_url: str
    preview_video_url: str

    @classmethod
    def from_json(cls, data: Any) -> AvatarPresenter:
        d = _obj(data, "AvatarPresenter")
        return cls(
            avatar_presenter_id=_req(d, "avatarPresenterId", str, "AvatarPresenter"),
            displayable_gender=_opt(d, "displayableGender", str, "NEUTRAL"),
            image_url=_req(d, "imageUrl", str, "AvatarPresenter"),
            thumbnail_url=_req(d, "thumbnailUrl", str, "AvatarPresenter"),
            preview_video_url=_opt(d, "previewVideoUrl", str, ""),
        )


@dataclass(frozen=True, slots=True)
class TtsVoice:
    voice_id: str
    language_code: str
    display_name: str
    display_gender: str
    supports_direct_tool_execution: bool
    supports_all_languages: bool
    is_deprecated: bool
    accent: str | None = None
    description: str | None = None

    @classmethod
    def from_json(cls, data: Any) -> TtsVoice:
        d = _obj(data, "TtsVoice")
        return cls(
            voice_id=_req(d, "voiceId", str, "TtsVoice"),
            language_code=_opt(d, "languageCode", str, "und"),
            display_name=_opt(d, "displayName", str, "") or d["voiceId"],
            display_gender=_opt(d, "displayGender", str, "NEUTRAL"),
            supports_direct_tool_execution=bool(_opt(d, "supportsDirectToolExecution", bool, False)),
            supports_all_languages=bool(_opt(d, "supportsAllLanguages", bool, False)),
            is_deprecated=bool(_opt(d, "isDeprecated", bool, False)),
            accent=_opt(d, "accent", str),
            description=_opt(d, "description", str),
        )

    @property
    def language(self) -> str:
        """The ISO-639-1 part of the locale tag ("en" for "en-US")."""
        return self.language_code.split("-")[0].lower()


@dataclass(frozen=True, slots=True)
class FileSource:
    status: str  # pending | ready | failed | skipped (open enum)
    url: str | None = None
    expires_at: float | None = None
    width: int | None = None
    height: int | None = None
    file_bytes: int | None = None

    @classmethod
    def from_json(cls, data: Any) -> FileSource | None:
        if data is None:
            return None
        d = _obj(data, "FileSource")
        return cls(
            status=_req(d, "status", str, "FileSource"),
            url=_opt(d, "url", str),
            expires_at=_opt(d, "expiresAt", (int, float)),
            width=_opt(d, "width", int),
            height=_opt(d, "height", int),
            file_bytes=_opt(d, "fileBytes", int),
        )

    def usable(self, margin_s: float = 60.0, now: float | None = None) -> bool:
        """True if the signed URL can be fetched now and will not expire within `margin_s`."""
        if self.status != "ready" or not self.url:
            return False
        if self.expires_at is None:
            return True
        return self.expires_at - margin_s > (time.time() if now is None else now)


@dataclass(frozen=True, slots=True)
class StorageFile:
    file_id: str
    scope: str
    type: str | None = None
    display_name: str | None = None
    description: str | None = None
    duration_seconds: float | None = None
    transcript: str | None = None
    thumbnail_source: FileSource | None = None
    preview_source: FileSource | None = None
    download_source: FileSource | None = None
    hls_source: FileSource | None = None
    is_public_preview_enabled: bool = False
    public_hls_url: str | None = None
    source_tool_type: str | None = None
    source_tool_execution_id: str | None = None
    static_public_preview_source: FileSource | None = None
    public_playback_id: str | None = None

    @classmethod
    def from_json(cls, data: Any) -> StorageFile:
        d = _obj(data, "StorageFile")
        return cls(
            file_id=_req(d, "fileId", str, "StorageFile"),
            scope=_opt(d, "scope", str, "GLOBAL"),
            type=_opt(d, "type", str),
            display_name=_opt(d, "displayName", str),
            description=_opt(d, "description", str),
            duration_seconds=_opt(d, "durationSeconds", (int, float)),
            transcript=_opt(d, "transcript", str),
            thumbnail_source=FileSource.from_json(d.get("thumbnailSource")),
            preview_source=FileSource.from_json(d.get("previewSource")),
            download_source=FileSource.from_json(d.get("downloadSource")),
            hls_source=FileSource.from_json(d.get("hlsSource")),
            is_public_preview_enabled=bool(_opt(d, "isPublicPreviewEnabled", bool, False)),
            public_hls_url=_opt(d, "publicHlsUrl", str),
            source_tool_type=_opt(d, "sourceToolType", str),
            source_tool_execution_id=_opt(d, "sourceToolExecutionId", str),
            static_public_preview_source=FileSource.from_json(d.get("staticPublicPreviewSource")),
            public_playback_id=_opt(d, "publicPlaybackId", str),
        )

    def needs_hydration(self, margin_s: float = 60.0) -> bool:
        """Same rule as the SDK's get_hydrated_file, plus a safety margin before expiry."""
        src = self.download_source
        return src is None or not src.usable(margin_s)


@dataclass(frozen=True, slots=True)
class ToolResult:
    file_id: str
    type: str
    file: StorageFile | None = None

    @classmethod
    def from_json(cls, data: Any) -> ToolResult:
        d = _obj(data, "ToolSuccessResult")
        raw_file = d.get("file")
        return cls(
            file_id=_req(d, "fileId", str, "ToolSuccessResult"),
            type=_opt(d, "type", str, ""),
            file=StorageFile.from_json(raw_file) if isinstance(raw_file, Mapping) else None,
        )


@dataclass(frozen=True, slots=True)
class ApiErrorBody:
    message: str
    code: str | None = None
    requirement_type: str | None = None
    requirement_details: Mapping[str, str] = field(default_factory=dict)
    internal_error_code: str | None = None

    @classmethod
    def from_json(cls, data: Any) -> ApiErrorBody | None:
        if not isinstance(data, Mapping):
            return None
        raw_requirement = data.get("requirement")
        requirement: Mapping[str, Any] = raw_requirement if isinstance(raw_requirement, Mapping) else {}
        raw_details = requirement.get("details")
        details: Mapping[str, Any] = raw_details if isinstance(raw_details, Mapping) else {}
        return cls(
            message=str(data.get("message") or "The service reported an error without a message."),
            code=_opt(data, "code", str),
            requirement_type=_opt(requirement, "type", str),
            requirement_details={str(k): str(v) for k, v in details.items()},
            internal_error_code=_opt(data, "internalErrorCode", str),
        )


@dataclass(frozen=True, slots=True)
class ToolExecution:
    tool_execution_id: str
    status: str
    tool_type: str
    results: tuple[ToolResult, ...] = ()
    error: ApiErrorBody | None = None
    progress_percentage: float | None = None
    #: Zero-based attempt the server is on (it may retry internally); 0 when the server does not say.
    attempt_index: int = 0

    @classmethod
    def from_json(cls, data: Any) -> ToolExecution:
        d = _obj(data, "ExecutedTool")
        raw_results = _opt(d, "results", list, [])
        return cls(
            tool_execution_id=_req(d, "toolExecutionId", str, "ExecutedTool"),
            status=_req(d, "status", str, "ExecutedTool"),
            tool_type=_opt(d, "toolType", str, ""),
            results=tuple(ToolResult.from_json(r) for r in raw_results),
            error=ApiErrorBody.from_json(d.get("error")),
            progress_percentage=_opt(d, "progressPercentage", (int, float)),
            attempt_index=_opt(d, "attemptIndex", int, 0),
        )

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @property
    def succeeded(self) -> bool:
        return self.status == SUCCEEDED

    @property
    def needs_approval(self) -> bool:
        """Waiting for a human approval (generation C): not finished, not failed; poll slowly."""
        return self.status == AWAITING_APPROVAL


@dataclass(frozen=True, slots=True)
class PronunciationReplacement:
    original: str
    replacement: str

    def to_json(self) -> dict[str, str]:
        return {"original": self.original, "replacement": self.replacement}


@dataclass(frozen=True, slots=True)
class UploadTicket:
    file_id: str
    upload_url: str


def parse_presenters(data: Any) -> list[AvatarPresenter]:
    d = _obj(data, "avatar-presenters response")
    return [AvatarPresenter.from_json(p) for p in _list(d, "avatarPresenters", "avatar-presenters response")]


def parse_voices(data: Any) -> list[TtsVoice]:
    d = _obj(data, "tts-voices response")
    return [TtsVoice.from_json(v) for v in _list(d, "ttsVoices", "tts-voices response")]


def parse_files(data: Any) -> list[StorageFile]:
    d = _obj(data, "files response")
    return [StorageFile.from_json(f) for f in _list(d, "files", "files response")]


def parse_execution_id(data: Any) -> str:
    d = _obj(data, "start-execution response")
    execution_id: str = _req(d, "toolExecutionId", str, "start-execution response")
    return execution_id


def parse_upload_ticket(data: Any) -> UploadTicket:
    d = _obj(data, "upload response")
    return UploadTicket(
        file_id=_req(d, "fileId", str, "upload response"),
        upload_url=_req(d, "uploadUrl", str, "upload response"),
    )


@dataclass(frozen=True, slots=True)
class TtsRequest:
    """Body of POST /v1/tools/text-to-speech. Optional fields left as None are omitted on the wire."""

    tts_text: str
    voice_id: str | None = None
    speech_language_code: str | None = None
    pronunciation_replacements: tuple[PronunciationReplacement, ...] = ()
    auto_expand_pronunciation_replacements: bool | None = None
    voice_speed: float | None = None
    num_results: int | None = None
    is_output_temporary: bool | None = None

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ttsText": self.tts_text}
        optional = {
            "voiceId": self.voice_id,
            "speechLanguageCode": self.speech_language_code,
            "autoExpandPronunciationReplacements": self.auto_expand_pronunciation_replacements,
            "voiceSpeed": self.voice_speed,
            "numResults": self.num_results,
            "isOutputTemporary": self.is_output_temporary,
        }
        body.update({k: v for k, v in optional.items() if v is not None})
        if self.pronunciation_replacements:
            body["pronunciationReplacements"] = [r.to_json() for r in self.pronunciation_replacements]
        return body


@dataclass(frozen=True, slots=True)
class AvatarRequest:
    """Body of POST /v1/tools/generate-avatar, in one of two forms.

    Presenter form (generations A/B): `avatarPresenterId` + `audioStorageFileId`. Actor form (generation C,
    chosen when `actor_entity_id` is set): `actorEntityId` + `audioFileId` + optional `avatarQuality`. The
    audio file id is `audio_storage_file_id` in both forms; the wire name differs.
    """

    avatar_presenter_id: str = ""
    audio_storage_file_id: str = ""
    watermark_mode: WatermarkMode | str | None = None
    num_results: int | None = None
    is_output_temporary: bool | None = None
    actor_entity_id: str | None = None
    avatar_quality: AvatarQuality | str | None = None

    @property
    def is_actor_form(self) -> bool:
        return bool(self.actor_entity_id)

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any]
        if self.is_actor_form:
            body = {"actorEntityId": self.actor_entity_id, "audioFileId": self.audio_storage_file_id}
            if self.avatar_quality is not None:
                body["avatarQuality"] = str(self.avatar_quality)
        else:
            body = {
                "avatarPresenterId": self.avatar_presenter_id,
                "audioStorageFileId": self.audio_storage_file_id,
            }
        optional = {
            "watermarkMode": None if self.watermark_mode is None else str(self.watermark_mode),
            "numResults": self.num_results,
            "isOutputTemporary": self.is_output_temporary,
        }
        body.update({k: v for k, v in optional.items() if v is not None})
        return body


# ------------------------------------------------------------------------------------ pages and accounts
@dataclass(frozen=True, slots=True)
class Page[T]:
    """One page of a cursor-paginated list. A server without pagination answers one page, `has_more=False`."""

    items: tuple[T, ...]
    has_more: bool = False
    next_cursor: str | None = None
    #: False when the answer carried no `hasMore` at all (generation A): informative for capability probes.
    paginated: bool = True


def parse_page[T](data: Any, key: str, item: Callable[[Any], T], where: str) -> Page[T]:
    """A list answer: `{key: [...], "hasMore": bool, "nextCursor": str|null}`; missing hasMore = one page."""
    d = _obj(data, where)
    items = tuple(item(x) for x in _list(d, key, where))
    raw_more = d.get("hasMore")
    has_more = raw_more is True
    cursor = _opt(d, "nextCursor", str)
    return Page(items=items, has_more=has_more and bool(cursor), next_cursor=cursor, paginated="hasMore" in d)


@dataclass(frozen=True, slots=True)
class Account:
    """`GET /v1/me`: who this API key belongs to."""

    api_key_id: str
    api_key_nickname: str
    email: str
    display_name: str | None
    team_id: str

    @classmethod
    def from_json(cls, data: Any) -> Account:
        d = _obj(data, "MeResponse")
        return cls(
            api_key_id=_req(d, "apiKeyId", str, "MeResponse"),
            api_key_nickname=_opt(d, "apiKeyNickname", str, ""),
            email=_opt(d, "email", str, ""),
            display_name=_opt(d, "displayName", str),
            team_id=_opt(d, "teamId", str, ""),
        )


@dataclass(frozen=True, slots=True)
class EntityReference:
    file_id: str
    description: str = ""
    is_default: bool = False

    @classmethod
    def from_json(cls, data: Any) -> EntityReference:
        d = _obj(data, "EntityReference")
        return cls(
            file_id=_req(d, "fileId", str, "EntityReference"),
            description=_opt(d, "description", str, ""),
            is_default=bool(_opt(d, "isDefault", bool, False)),
        )


@dataclass(frozen=True, slots=True)
class ActorConfig:
    voice_display_name: str | None = None
    has_voice: bool = False
    has_avatar_presenter: bool = False

    @classmethod
    def from_json(cls, data: Any) -> ActorConfig | None:
        if not isinstance(data, Mapping):
            return None
        return cls(
            voice_display_name=_opt(data, "voiceDisplayName", str),
            has_voice=bool(_opt(data, "hasVoice", bool, False)),
            has_avatar_presenter=bool(_opt(data, "hasAvatarPresenter", bool, False)),
        )


@dataclass(frozen=True, slots=True)
class Entity:
    """An ACTOR (or PRODUCT, VISUAL_STYLE, or a future type: kept as a string) from `/v1/entities`."""

    entity_id: str
    entity_type: str
    name: str
    description: str = ""
    references: tuple[EntityReference, ...] = ()
    actor_config: ActorConfig | None = None

    @classmethod
    def from_json(cls, data: Any) -> Entity:
        d = _obj(data, "Entity")
        raw_refs = _opt(d, "references", list, [])
        return cls(
            entity_id=_req(d, "entityId", str, "Entity"),
            entity_type=_opt(d, "entityType", str, ""),
            name=_opt(d, "name", str, "") or d["entityId"],
            description=_opt(d, "description", str, ""),
            references=tuple(EntityReference.from_json(r) for r in raw_refs if isinstance(r, Mapping)),
            actor_config=ActorConfig.from_json(d.get("actorConfig")),
        )

    @property
    def default_reference_file_id(self) -> str | None:
        """The primary reference image (the entity's thumbnail); the first one when none is marked."""
        for ref in self.references:
            if ref.is_default:
                return ref.file_id
        return self.references[0].file_id if self.references else None


@dataclass(frozen=True, slots=True)
class FileSearchResult:
    similarity: float
    file: StorageFile

    @classmethod
    def from_json(cls, data: Any) -> FileSearchResult:
        d = _obj(data, "SearchFilesResult")
        return cls(
            similarity=float(_opt(d, "similarity", (int, float), 0.0)),
            file=StorageFile.from_json(d.get("file")),
        )


def parse_search_results(data: Any) -> list[FileSearchResult]:
    d = _obj(data, "files search response")
    return [FileSearchResult.from_json(r) for r in _list(d, "results", "files search response")]


__all__ = [
    "AWAITING_APPROVAL",
    "CANCELLED",
    "FAILED",
    "GENDERS",
    "MAX_PAGE_SIZE",
    "PENDING",
    "RUNNING",
    "SUCCEEDED",
    "TERMINAL_STATUSES",
    "WATERMARK_MODES",
    "Account",
    "ActorConfig",
    "ApiErrorBody",
    "AvatarPresenter",
    "AvatarQuality",
    "AvatarRequest",
    "Entity",
    "EntityReference",
    "FileSearchResult",
    "FileSource",
    "Page",
    "PronunciationReplacement",
    "StorageFile",
    "ToolExecution",
    "ToolResult",
    "TtsRequest",
    "TtsVoice",
    "UploadTicket",
    "WatermarkMode",
    "parse_execution_id",
    "parse_files",
    "parse_page",
    "parse_presenters",
    "parse_search_results",
    "parse_upload_ticket",
    "parse_voices",
]
