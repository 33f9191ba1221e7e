"""Voice preview cache keys: the same sound is one clip, anything that changes the sound is another."""

from __future__ import annotations

import dataclasses

from videogen_studio.api.models import TtsRequest, TtsVoice
from videogen_studio.pipeline.voice_preview import SAMPLE_TEXTS, VoicePreviewService, cache_key, sample_text


def test_temporary_flag_does_not_change_the_key() -> None:
    request = TtsRequest(tts_text="Hello", voice_id="v1")
    assert cache_key(request) == cache_key(dataclasses.replace(request, is_output_temporary=True))


def test_voice_text_and_options_change_the_key() -> None:
    base = TtsRequest(tts_text="Hello", voice_id="v1")
    others = [
        dataclasses.replace(base, voice_id="v2"),
        dataclasses.replace(base, tts_text="Hello!"),
        dataclasses.replace(base, voice_speed=1.2),
        dataclasses.replace(base, speech_language_code="es"),
    ]
    assert len({cache_key(r) for r in [base, *others]}) == 5


def test_samples_speak_the_voice_language() -> None:
    spanish = TtsVoice("v", "es-ES", "Lucía", "FEMALE", True, False, False)
    klingon = TtsVoice("k", "tlh", "Worf", "MALE", True, False, False)
    assert sample_text(spanish) == SAMPLE_TEXTS["es"]
    assert sample_text(klingon) == SAMPLE_TEXTS["en"]
    request = VoicePreviewService.sample_request(spanish)
    assert (request.voice_id, request.is_output_temporary) == ("v", True)
    assert VoicePreviewService.sample_request(spanish, "Hola").tts_text == "Hola"
