"""Render jobs: what a text-to-speech or avatar execution produces, made on a worker thread."""

from __future__ import annotations

import hashlib
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from videogen_studio.sandbox import media
from videogen_studio.sandbox.catalog import ESPEAK_FOR_LANGUAGE, Presenter, Voice, prepare_speech_text
from videogen_studio.sandbox.core import StateCore, new_id
from videogen_studio.sandbox.files import FILE_PREFIX, Source, StoredFile, skipped
from videogen_studio.sandbox.render_memo import MEMO

if TYPE_CHECKING:
    from videogen_studio.sandbox.executions import Execution


@dataclass(frozen=True)
class SpeechOrder:
    text: str
    voice: Voice
    language: str | None
    speed: float
    replacements: list[tuple[str, str]]
    auto_expand: bool
    num_results: int
    temporary: bool


@dataclass(frozen=True)
class AvatarOrder:
    presenter: Presenter
    audio_file_id: str
    watermark_mode: str
    num_results: int
    temporary: bool
    quality: str | None = None  # avatarQuality of the actor form; None: the presenter form (STANDARD)
    actor_entity_id: str | None = None


# sandbox choice: avatarQuality scales the clip's size and its price (the real mapping is undocumented).
QUALITY_SCALE = {"LOW": 0.5, "STANDARD": 1.0, "HIGH": 1.5, "MAX": 2.0}
QUALITY_COST = {"LOW": 1, "STANDARD": 1, "HIGH": 2, "MAX": 3}


def video_size(base: int, quality: str | None) -> int:
    size = max(32, round(base * QUALITY_SCALE.get(quality or "STANDARD", 1.0)))
    return size - size % 2


class RenderJobs(StateCore):
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
        request = SpeechOrder(
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
        request = AvatarOrder(
            presenter=presenter,
            audio_file_id=params["audioFileId"],
            watermark_mode=params["watermarkMode"],
            num_results=params["numResults"],
            temporary=params["temporary"],
            quality=params.get("avatarQuality"),
            actor_entity_id=params.get("actorEntityId"),
        )
        return self._render_avatar(execution, request, audio, params["watermark"])

    # -- renders (worker threads, outside the lock) -------------------------------------------------
    def _output_file(
        self, execution: Execution, ftype: str, temporary: bool, name: str, index: int, count: int
    ) -> StoredFile:
        file_id = new_id(FILE_PREFIX)
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

    def _render_tts(self, execution: Execution, request: SpeechOrder, spoken: str) -> list[StoredFile]:
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
                synthesize = media.synthesize_speech
                # The same words in the same voice are the same MP3 (espeak-ng is deterministic).
                espeak = media.speech.ESPEAK_COMMAND
                key = (
                    "speech",
                    synthesize,
                    espeak,
                    spoken,
                    request.speed,
                    language,
                    voice.espeak,
                    voice.pitch,
                )
                copied, known = MEMO.recall(key, [target])
                if copied:
                    duration = known
                else:
                    duration = synthesize(
                        spoken,
                        target,
                        speed=request.speed,
                        language=language,
                        voice=voice.espeak,
                        pitch=voice.pitch,
                    )
                    MEMO.remember(key, [target], duration)
                first = target
            else:  # every result is its own file; identical content is fine for a stand-in
                shutil.copyfile(first, target)
            stored.duration = duration
            stored.transcript = spoken
            stored.sources = {
                "thumbnail": skipped(),
                "preview": Source("ready", target, "audio/mpeg"),
                "download": Source("ready", target, "audio/mpeg"),
                "hls": skipped(),
            }
            outputs.append(stored)
        return outputs

    def _render_avatar(
        self, execution: Execution, request: AvatarOrder, audio: StoredFile, watermark: bool
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
                render = media.render_talking_head
                size = video_size(self.config.video_size, request.quality)
                # The same portrait speaking the same audio is the same clip (the encoder is deterministic).
                key = ("avatar", render, _digest(portrait), _digest(audio_path.read_bytes()), watermark, size)
                copied, known = MEMO.recall(key, [video, thumb])
                if copied:
                    duration, width, height, thumb_w, thumb_h = known
                else:
                    duration = render(portrait, audio_path, video, watermark=watermark, size=size)
                    frame, width, height = media.first_frame(video)
                    thumb.write_bytes(media.render_thumbnail(frame))
                    thumb_w, thumb_h = media.image_size(thumb)
                    MEMO.remember(key, [video, thumb], (duration, width, height, thumb_w, thumb_h))
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
                "hls": skipped(),
            }
            outputs.append(stored)
        return outputs


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
