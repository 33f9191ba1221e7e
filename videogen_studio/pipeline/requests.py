"""The paid requests, built in one place from a RenderSpec: text-to-speech and generate-avatar.

The runner (renders), the voice preview and the CLI all send what these functions build, so a voice preview
sounds like the render and the GUI and the CLI never disagree on a field.
"""

from __future__ import annotations

from ..api.models import AvatarQuality, AvatarRequest, PronunciationReplacement, TtsRequest, WatermarkMode
from .jobs import RenderSpec
from .script_rules import clean_script, preview_excerpt

#: `RenderSpec.avatar_form` values.
PRESENTER_FORM = "presenter"
ACTOR_FORM = "actor"
AVATAR_FORMS = (PRESENTER_FORM, ACTOR_FORM)


class IncompleteSpec(ValueError):
    """The spec lacks something the request needs (e.g. a voice); preflight reports these before paying."""


def build_tts_request(spec: RenderSpec, *, preview: bool = False) -> TtsRequest:
    """The text-to-speech body for `spec`; `preview` speaks only the first sentences, as a temporary file.

    `voiceId` is always sent (the spec requires it): a spec without a voice raises IncompleteSpec, so the
    caller picks one first (`Catalog.default_voice_for`) and can tell the user which.
    """
    if not spec.voice_id:
        raise IncompleteSpec("No voice was chosen for the speech.")
    text = preview_excerpt(spec.script) if preview else clean_script(spec.script)
    return TtsRequest(
        tts_text=text,
        voice_id=spec.voice_id,
        speech_language_code=spec.language_code or None,
        pronunciation_replacements=replacements(spec.replacements),
        auto_expand_pronunciation_replacements=spec.auto_expand or None,
        voice_speed=spec.voice_speed,
        # A preview is throwaway audio: no need for the service to keep or index it.
        is_output_temporary=True if preview else (spec.temporary or None),
    )


def build_avatar_request(spec: RenderSpec, audio_file_id: str) -> AvatarRequest:
    """The generate-avatar body: the presenter form, or the actor form when `spec.avatar_form` is "actor"."""
    if not audio_file_id:
        raise IncompleteSpec("The avatar step needs the speech's audio file.")
    if not spec.presenter_id:
        raise IncompleteSpec("No presenter was chosen.")
    form = spec.avatar_form or PRESENTER_FORM
    if form not in AVATAR_FORMS:
        raise IncompleteSpec(f"Unknown avatar form {form!r}.")
    watermark = watermark_mode(spec.watermark_mode)
    num_results = spec.num_results if spec.num_results and spec.num_results != 1 else None
    temporary = spec.temporary or None
    if form == ACTOR_FORM:
        return AvatarRequest(
            avatar_presenter_id="",
            audio_storage_file_id=audio_file_id,  # serialised as `audioFileId` in the actor form
            actor_entity_id=spec.presenter_id,
            avatar_quality=avatar_quality(spec.avatar_quality),
            watermark_mode=watermark,
            num_results=num_results,
            is_output_temporary=temporary,
        )
    return AvatarRequest(
        avatar_presenter_id=spec.presenter_id,
        audio_storage_file_id=audio_file_id,
        watermark_mode=watermark,
        num_results=num_results,
        is_output_temporary=temporary,
    )


def replacements(pairs: tuple[tuple[str, str], ...]) -> tuple[PronunciationReplacement, ...]:
    """Rows with both sides filled in; half-typed rows are left out of every request."""
    return tuple(PronunciationReplacement(a, b) for a, b in pairs if a.strip() and b.strip())


def watermark_mode(value: str | None) -> WatermarkMode | None:
    """The enum member for a stored value; None (omit the field) when empty. Unknown values raise."""
    if not value:
        return None
    try:
        return WatermarkMode(str(value).upper())
    except ValueError:
        raise IncompleteSpec(f"Unknown watermark mode {value!r}.") from None


def avatar_quality(value: str | None) -> AvatarQuality | None:
    if not value:
        return None
    try:
        return AvatarQuality(str(value).upper())
    except ValueError:
        raise IncompleteSpec(f"Unknown avatar quality {value!r}.") from None
