"""The paid request bodies, built once for the runner, the preview and the CLI."""

from __future__ import annotations

import pytest

from videogen_studio.api.models import AvatarQuality, WatermarkMode
from videogen_studio.pipeline.jobs import RenderSpec
from videogen_studio.pipeline.requests import IncompleteSpec, build_avatar_request, build_tts_request


def spec(**changes: object) -> RenderSpec:
    base: dict[str, object] = {"presenter_id": "vg_pres_1", "script": "  Hello there.  ", "voice_id": "v1"}
    base.update(changes)
    return RenderSpec(**base)  # type: ignore[arg-type]


def test_tts_request_always_carries_the_voice() -> None:
    body = build_tts_request(spec()).to_json()
    assert body == {"ttsText": "Hello there.", "voiceId": "v1"}


def test_tts_request_without_voice_is_refused() -> None:
    with pytest.raises(IncompleteSpec):
        build_tts_request(spec(voice_id=None))


def test_tts_request_options() -> None:
    body = build_tts_request(
        spec(
            language_code="es",
            voice_speed=1.25,
            replacements=(("SQL", "sequel"), ("", "ignored"), ("half", "")),
            auto_expand=True,
            temporary=True,
        )
    ).to_json()
    assert body["speechLanguageCode"] == "es"
    assert body["voiceSpeed"] == 1.25
    assert body["pronunciationReplacements"] == [{"original": "SQL", "replacement": "sequel"}]
    assert body["autoExpandPronunciationReplacements"] is True
    assert body["isOutputTemporary"] is True


def test_preview_is_temporary_and_short() -> None:
    long_script = "A sentence of some length here. " * 40
    request = build_tts_request(spec(script=long_script, temporary=False), preview=True)
    assert request.is_output_temporary is True
    assert len(request.tts_text) <= 300
    assert request.voice_id == "v1"
    # The render speaks the whole script.
    assert build_tts_request(spec(script=long_script)).tts_text == long_script.strip()


def test_presenter_form() -> None:
    chosen = spec(watermark_mode=WatermarkMode.NONE, temporary=True)
    body = build_avatar_request(chosen, "vg_file_a").to_json()
    assert body == {
        "avatarPresenterId": "vg_pres_1",
        "audioStorageFileId": "vg_file_a",
        "watermarkMode": "NONE",
        "isOutputTemporary": True,
    }


def test_actor_form_with_quality_and_variations() -> None:
    request = build_avatar_request(
        spec(presenter_id="vg_ent_7", avatar_form="actor", avatar_quality="high", num_results=3), "vg_file_a"
    )
    body = request.to_json()
    assert body["actorEntityId"] == "vg_ent_7"
    assert body["audioFileId"] == "vg_file_a"
    assert body["avatarQuality"] == AvatarQuality.HIGH
    assert body["numResults"] == 3
    assert "avatarPresenterId" not in body and "audioStorageFileId" not in body


def test_watermark_literal_from_old_jobs_still_works() -> None:
    assert build_avatar_request(spec(watermark_mode="AUTO"), "f").watermark_mode is WatermarkMode.AUTO


@pytest.mark.parametrize(
    "changes",
    [{"watermark_mode": "SOMETIMES"}, {"avatar_form": "puppet"}, {"presenter_id": ""}],
)
def test_bad_specs_are_refused_before_sending(changes: dict[str, object]) -> None:
    with pytest.raises(IncompleteSpec):
        build_avatar_request(spec(**changes), "f")


def test_avatar_needs_audio() -> None:
    with pytest.raises(IncompleteSpec):
        build_avatar_request(spec(), "")
