"""Voice previews and samples: text-to-speech into a temporary output, downloaded to the cache folder.

One pipeline for the editor's "Preview" button, the voice list's sample buttons and the CLI. Each clip is
cached by what was asked for (voice, text, speed, language, pronunciation), so playing the same sample again
costs nothing; two clicks while the first request runs share it instead of paying twice. The paid execution's
id is remembered per clip (in memory and beside the clip) until its audio is on disk, so a poll failure, a
failed download or a cancelled click resumes that execution instead of paying for another one.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import json
import logging
from pathlib import Path

from ..api.client import VideoGenClient
from ..api.errors import InvalidId, NotFound, VideoGenError
from ..api.models import TtsRequest, TtsVoice
from ..fileio import atomic_write
from .failures import FailureKind

log = logging.getLogger(__name__)

#: What a voice sample says, by ISO-639-1 language; English for the rest (and for multilingual voices).
SAMPLE_TEXTS: dict[str, str] = {
    "en": "Hello! This is how I sound. I can read your script in a clear and friendly voice.",
    "es": "¡Hola! Así suena mi voz. Puedo leer tu guion de forma clara y cercana.",
    "fr": "Bonjour ! Voici ma voix. Je peux lire votre texte de façon claire et naturelle.",
    "de": "Hallo! So klingt meine Stimme. Ich lese Ihr Skript klar und freundlich vor.",
    "it": "Ciao! Questa è la mia voce. Posso leggere il tuo testo in modo chiaro e cordiale.",
    "pt": "Olá! Esta é a minha voz. Posso ler o seu roteiro de forma clara e simpática.",
    "nl": "Hallo! Zo klinkt mijn stem. Ik lees je script duidelijk en vriendelijk voor.",
    "ja": "こんにちは。これが私の声です。台本をはっきりと読み上げます。",
    "zh": "你好！这是我的声音。我可以清晰友好地朗读你的脚本。",
}
PREVIEW_TIMEOUT_S = 300.0
POLL_INTERVAL_S = 0.5


class PreviewFailed(VideoGenError):
    """The speech execution ended without audio (failed, cancelled, or no result)."""

    kind = FailureKind.EXECUTION_FAILED
    hint = "Try again, or try another voice."


class PreviewAwaitingApproval(PreviewFailed):
    """The service holds the preview for a human approval (generation C): not worth waiting for."""

    kind = FailureKind.APPROVAL_PENDING
    hint = "The preview waits for an approval on the service; renders are not affected."


def sample_text(voice: TtsVoice) -> str:
    return SAMPLE_TEXTS.get(voice.language, SAMPLE_TEXTS["en"])


def cache_key(request: TtsRequest) -> str:
    """Stable name of what a request would say and how (temporary or not does not change the sound)."""
    body = request.to_json()
    body.pop("isOutputTemporary", None)
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]


class VoicePreviewService:
    """Makes and caches preview clips. One per session (`Session.voice_preview`)."""

    def __init__(
        self,
        client: VideoGenClient,
        folder: Path,
        *,
        timeout: float = PREVIEW_TIMEOUT_S,
        poll_interval: float = POLL_INTERVAL_S,
    ) -> None:
        self.client = client
        self.folder = Path(folder)
        self.timeout = timeout
        self.poll_interval = poll_interval
        self._running: dict[str, asyncio.Future[Path]] = {}
        #: Paid executions whose audio is not on disk yet, by cache key (also noted in the folder).
        self._executions: dict[str, str] = {}
        #: Paid text-to-speech requests sent by this service (tests and the soak count them).
        self.requests_sent = 0

    def path_for(self, request: TtsRequest) -> Path:
        return self.folder / f"preview-{cache_key(request)}.mp3"

    def cached(self, request: TtsRequest) -> Path | None:
        """The clip for this request if it was made before (no request, no cost)."""
        path = self.path_for(request)
        return path if path.is_file() and path.stat().st_size > 0 else None

    async def preview(self, request: TtsRequest) -> Path:
        """The clip for `request`: from the cache, or synthesised once (sent as a temporary output)."""
        hit = self.cached(request)
        if hit is not None:
            return hit
        key = cache_key(request)
        running = self._running.get(key)
        if running is not None:  # a second click while the first one is being made: share it
            return await asyncio.shield(running)
        future: asyncio.Future[Path] = asyncio.get_running_loop().create_future()
        self._running[key] = future
        try:
            path = await self._synthesise(request)
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as exc:
            future.set_exception(exc)
            raise
        else:
            future.set_result(path)
            return path
        finally:
            self._running.pop(key, None)
            if future.done() and not future.cancelled():
                future.exception()  # mark retrieved: nobody else may be waiting

    async def sample(self, voice: TtsVoice, text: str | None = None) -> Path:
        """A short sample of `voice` (a sentence in its language unless `text` is given)."""
        return await self.preview(self.sample_request(voice, text))

    @staticmethod
    def sample_request(voice: TtsVoice, text: str | None = None) -> TtsRequest:
        return TtsRequest(
            tts_text=text or sample_text(voice), voice_id=voice.voice_id, is_output_temporary=True
        )

    def clear(self) -> None:
        """Forget every cached clip (e.g. from a "Clear cache" action)."""
        for path in self.folder.glob("preview-*.mp3"):
            with contextlib.suppress(OSError):
                path.unlink()

    # ------------------------------------------------------------------------- paid execution ids
    def _execution_file(self, key: str) -> Path:
        return self.folder / f"preview-{key}.execution"

    def _remembered(self, key: str) -> str | None:
        if key in self._executions:
            return self._executions[key]
        try:
            text = self._execution_file(key).read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError):
            return None
        return text or None

    def _remember(self, key: str, execution_id: str) -> None:
        self._executions[key] = execution_id
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            atomic_write(self._execution_file(key), execution_id, durable=True)
        except OSError as exc:  # kept in memory at least: this session still resumes it
            log.info("Could not note the preview's execution id: %s", exc)

    def _forget(self, key: str) -> None:
        self._executions.pop(key, None)
        with contextlib.suppress(OSError):
            self._execution_file(key).unlink(missing_ok=True)

    async def _synthesise(self, request: TtsRequest) -> Path:
        if not request.is_output_temporary:  # a preview is throwaway audio, never kept or indexed
            request = dataclasses.replace(request, is_output_temporary=True)
        key = cache_key(request)
        execution_id = self._remembered(key)
        if execution_id is None:
            self.requests_sent += 1
            execution_id = await self.client.text_to_speech(request)
            self._remember(key, execution_id)
        try:
            execution = await self.client.wait_for_execution(
                execution_id, interval=self.poll_interval, timeout=self.timeout, stop_on_approval=True
            )
        except (NotFound, InvalidId):
            self._forget(
                key
            )  # the service no longer knows it (temporary output expired): the next click pays
            raise
        if execution.needs_approval:  # the id stays: the next click asks about the same execution
            raise PreviewAwaitingApproval("The voice preview is waiting for an approval on the service.")
        if not execution.succeeded or not execution.results:
            self._forget(key)  # ended without audio: nothing to resume
            if execution.error is not None:
                raise PreviewFailed(execution.error.message, code=execution.error.code)
            raise PreviewFailed(f"The voice preview ended as {execution.status} without audio.")
        target = self.path_for(request)
        self.folder.mkdir(parents=True, exist_ok=True)
        await self.client.download_file(execution.results[0].file_id, target)
        self._forget(key)
        return target
