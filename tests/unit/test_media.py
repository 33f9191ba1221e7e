"""Sandbox media synthesis: real PNG/MP3/MP4 output that PyAV (and so Qt's FFmpeg backend) decodes."""

from __future__ import annotations

import io
import itertools
import math
import shutil
import subprocess
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from PIL import Image

from videogen_studio.sandbox import media

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
HAS_ESPEAK = shutil.which("espeak-ng") is not None


def _image(png: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(png))
    img.load()
    return img


def _write_wav(path: Path, samples: np.ndarray, rate: int = 22050) -> None:
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as wf:
        wf.setnchannels(1)
        wf.setsampwidth(2)
        wf.setframerate(rate)
        wf.writeframes(pcm.tobytes())


def _decode_audio(path: Path) -> tuple[np.ndarray, av.AudioStream]:
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        chunks = [frame.to_ndarray().reshape(-1) for frame in container.decode(stream)]
    return np.concatenate(chunks).astype(np.float32), stream


def _video_frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]


def _region_diff(a: np.ndarray, b: np.ndarray, box: tuple[int, int, int, int]) -> float:
    left, top, right, bottom = box
    return float(np.abs(a[top:bottom, left:right].astype(np.int16) - b[top:bottom, left:right]).mean())


# --- portraits -----------------------------------------------------------------------------------


def test_portrait_is_a_png_of_the_requested_size() -> None:
    png = media.render_portrait(1, "MALE", size=128)
    assert png.startswith(PNG_MAGIC)
    img = _image(png)
    assert img.size == (128, 128)
    assert img.mode == "RGB"


def test_portrait_is_deterministic_per_seed_and_gender() -> None:
    assert media.render_portrait(5, "FEMALE", size=96) == media.render_portrait(5, "FEMALE", size=96)
    assert media.render_portrait(5, "FEMALE", size=96) != media.render_portrait(5, "MALE", size=96)
    assert media.render_portrait(5, "neutral", size=96) == media.render_portrait(5, "NEUTRAL", size=96)


def test_portraits_of_different_seeds_look_different() -> None:
    # Compare only the head-and-shoulders area so a new background colour alone does not count.
    faces = []
    for seed in range(24):
        img = _image(media.render_portrait(seed, ("MALE", "FEMALE", "NEUTRAL")[seed % 3], size=96))
        faces.append(np.asarray(img.crop((29, 10, 67, 72)).resize((19, 31)), dtype=np.float32))
    closest = min(float(np.abs(a - b).mean()) for a, b in itertools.combinations(faces, 2))
    assert closest > 5.0


def test_portrait_rejects_unknown_gender() -> None:
    with pytest.raises(ValueError):
        media.render_portrait(1, "ROBOT")


@pytest.mark.parametrize("size", [96, 160, 360, 512])
def test_mouth_box_is_inside_the_lower_middle_of_the_face(size: int) -> None:
    left, top, right, bottom = media.mouth_box(size)
    assert 0 <= left < right <= size and 0 <= top < bottom <= size
    assert abs((left + right) / 2 - size / 2) <= 2
    assert size * 0.5 < top < bottom < size * 0.8


def test_mouth_box_contains_the_drawn_mouth() -> None:
    left, top, right, bottom = media.mouth_box(200)
    for seed in range(6):
        img = np.asarray(
            _image(media.render_portrait(seed, "FEMALE", size=200)).convert("L"), dtype=np.float32
        )
        box = img[top:bottom, left:right]
        # Plain skin is flat; the lips' dark closing line makes the box's darkest pixel stand out.
        assert box.min() < 0.7 * float(np.median(box))


def test_thumbnail_is_square_png_of_the_requested_size() -> None:
    thumb = media.render_thumbnail(media.render_portrait(3, "NEUTRAL", size=256))
    assert thumb.startswith(PNG_MAGIC)
    assert _image(thumb).size == (160, 160)

    wide = io.BytesIO()
    Image.new("RGB", (300, 120), (10, 200, 30)).save(wide, format="JPEG")
    assert _image(media.render_thumbnail(wide.getvalue(), size=64)).size == (64, 64)


# --- speech --------------------------------------------------------------------------------------


@pytest.fixture
def no_espeak(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(media.speech, "ESPEAK_COMMAND", None)


def _assert_real_speech(path: Path, returned: float) -> None:
    samples, stream = _decode_audio(path)
    assert stream.codec_context.name.startswith("mp3")  # decoder may be "mp3float"
    assert stream.codec_context.sample_rate in (22050, 24000)
    assert stream.codec_context.channels == 1
    assert math.sqrt(float(np.mean(samples**2))) > 0.02  # audible, not silence
    assert returned >= 0.5
    assert abs(media.probe_duration(path) - returned) < 0.1
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]  # atomic: no temp leftovers


@pytest.mark.usefixtures("no_espeak")
def test_fallback_speech_is_audible_mp3(tmp_path: Path) -> None:
    out = tmp_path / "speech.mp3"
    duration = media.synthesize_speech("Hello there, welcome to the studio.", out)
    _assert_real_speech(out, duration)
    assert 1.5 < duration < 5.0  # ~14 characters per second


@pytest.mark.usefixtures("no_espeak")
def test_fallback_speech_length_follows_text_and_speed(tmp_path: Path) -> None:
    short = media.synthesize_speech("Hi there.", tmp_path / "a.mp3")
    long = media.synthesize_speech(
        "Hi there. This script is quite a bit longer than that.", tmp_path / "b.mp3"
    )
    fast = media.synthesize_speech(
        "Hi there. This script is quite a bit longer than that.", tmp_path / "c.mp3", speed=2.0
    )
    assert long > short + 1.0
    assert fast < long * 0.7


@pytest.mark.usefixtures("no_espeak")
def test_fallback_speech_is_never_empty(tmp_path: Path) -> None:
    out = tmp_path / "empty.mp3"
    duration = media.synthesize_speech("", out)
    _assert_real_speech(out, duration)


@pytest.mark.skipif(not HAS_ESPEAK, reason="espeak-ng not installed")
def test_espeak_speech_is_used_and_follows_text_and_speed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[list[str]] = []
    real_run = subprocess.run

    def spy(cmd: list[str], **kwargs: Any) -> Any:
        calls.append(list(cmd))
        return real_run(cmd, **kwargs)

    monkeypatch.setattr(media.speech.subprocess, "run", spy)
    (tmp_path / "a").mkdir()
    out = tmp_path / "a" / "speech.mp3"
    short = media.synthesize_speech("Hello there.", out, voice="en-us+f3", pitch=60)
    _assert_real_speech(out, short)
    assert calls and Path(calls[0][0]).name.startswith("espeak-ng")
    assert "en-us+f3" in calls[0] and "--stdin" in calls[0]

    text = "Hello there. This script is quite a bit longer, so it takes longer to say."
    long = media.synthesize_speech(text, tmp_path / "b.mp3")
    fast = media.synthesize_speech(text, tmp_path / "c.mp3", speed=2.0)
    assert long > short + 1.0
    assert fast < long * 0.75


def test_failing_tts_binary_falls_back_to_synthetic_voice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    failing = shutil.which("false")
    if failing is None:
        pytest.skip("no `false` executable to stand in for a broken espeak-ng")
    monkeypatch.setattr(media.speech, "ESPEAK_COMMAND", failing)
    out = tmp_path / "speech.mp3"
    duration = media.synthesize_speech("Still speaks.", out)
    _assert_real_speech(out, duration)


def test_speech_rejects_non_positive_speed(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        media.synthesize_speech("x", tmp_path / "x.mp3", speed=0)


# --- talking head --------------------------------------------------------------------------------

SIZE = 160
FPS = 25
LOUD_SECONDS = 1.0


@dataclass(frozen=True)
class TalkingHeads:
    portrait: bytes
    marked: Path
    marked_duration: float
    clean: Path
    clean_duration: float


@pytest.fixture(scope="module")
def talking_heads(tmp_path_factory: pytest.TempPathFactory) -> TalkingHeads:
    """One second of loud tone then one of silence, rendered with and without watermark."""
    root = tmp_path_factory.mktemp("talking")
    rate = 22050
    t = np.arange(int(rate * LOUD_SECONDS)) / rate
    audio = root / "tone.wav"
    _write_wav(audio, np.concatenate([0.5 * np.sin(2 * np.pi * 220 * t), np.zeros(rate)]), rate)
    portrait = media.render_portrait(11, "FEMALE", size=256)
    marked, clean = root / "marked.mp4", root / "clean.mp4"
    return TalkingHeads(
        portrait=portrait,
        marked=marked,
        marked_duration=media.render_talking_head(
            portrait, audio, marked, watermark=True, size=SIZE, fps=FPS
        ),
        clean=clean,
        clean_duration=media.render_talking_head(portrait, audio, clean, watermark=False, size=SIZE, fps=FPS),
    )


def test_talking_head_has_h264_video_and_aac_audio(talking_heads: TalkingHeads) -> None:
    path = talking_heads.marked
    with av.open(str(path)) as container:
        assert container.format.name.startswith("mov,mp4")
        video = container.streams.video[0]
        audio = container.streams.audio[0]
        assert video.codec_context.name == "h264"
        assert video.codec_context.pix_fmt == "yuv420p"
        assert (video.codec_context.width, video.codec_context.height) == (SIZE, SIZE)
        assert audio.codec_context.name == "aac"
    head = path.read_bytes()[:200_000]
    assert 0 <= head.find(b"moov") < head.find(b"mdat")  # faststart: playable while downloading
    assert sorted(p.suffix for p in path.parent.iterdir()) == [".mp4", ".mp4", ".wav"]  # no temp files


def test_talking_head_duration_matches_the_audio(talking_heads: TalkingHeads) -> None:
    audio_seconds = LOUD_SECONDS + 1.0
    for path, returned in (
        (talking_heads.marked, talking_heads.marked_duration),
        (talking_heads.clean, talking_heads.clean_duration),
    ):
        assert abs(returned - audio_seconds) < 0.05
        assert abs(media.probe_duration(path) - audio_seconds) < 0.1
        assert abs(len(_video_frames(path)) / FPS - audio_seconds) <= 1 / FPS


def test_talking_head_mouth_opens_when_loud_and_closes_in_silence(talking_heads: TalkingHeads) -> None:
    frames = _video_frames(talking_heads.clean)
    loud, silent = frames[int(0.5 * FPS)], frames[int(1.6 * FPS)]
    mouth = media.mouth_box(SIZE)
    assert _region_diff(loud, silent, mouth) > 15
    portrait = np.asarray(_image(talking_heads.portrait).resize((SIZE, SIZE)))
    assert _region_diff(silent, portrait, mouth) < 8  # closed again, as drawn


def test_watermark_marks_only_the_bottom_right(talking_heads: TalkingHeads) -> None:
    a, b = _video_frames(talking_heads.marked)[0], _video_frames(talking_heads.clean)[0]
    bottom_right = (SIZE // 2, int(SIZE * 0.85), SIZE, SIZE)
    top_left = (0, 0, SIZE // 2, SIZE // 2)
    assert _region_diff(a, b, bottom_right) > 5
    assert _region_diff(a, b, top_left) < 2


def test_talking_head_rejects_files_without_usable_audio(tmp_path: Path) -> None:
    png = tmp_path / "p.png"
    png.write_bytes(media.render_portrait(1, "MALE", size=64))
    junk = tmp_path / "junk.mp3"
    junk.write_bytes(b"not audio at all " * 64)
    for bad in (png, junk):
        with pytest.raises(ValueError):
            media.render_talking_head(png.read_bytes(), bad, tmp_path / "out.mp4", watermark=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["junk.mp3", "p.png"]  # nothing half-written


def test_preview_clip_is_a_short_animated_video(tmp_path: Path) -> None:
    out = tmp_path / "preview.mp4"
    duration = media.render_preview_clip(
        media.render_portrait(4, "MALE", size=128), out, seconds=2.0, size=101
    )
    assert duration == pytest.approx(2.0, abs=0.05)
    assert abs(media.probe_duration(out) - 2.0) < 0.1
    with av.open(str(out)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert stream.codec_context.width == 100  # yuv420p needs even sizes
    frames = _video_frames(out)
    mouth = media.mouth_box(100)
    assert max(_region_diff(f, frames[0], mouth) for f in frames) > 10  # the mouth moves


# --- probing -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("samples")
    files = {
        name: root / name
        for name in ("a.mp3", "v.mp4", "p.png", "j.jpg", "t.wav", "junk.bin", "notes.txt", "empty")
    }
    saved = media.speech.ESPEAK_COMMAND
    media.speech.ESPEAK_COMMAND = None  # fast and identical everywhere
    try:
        media.synthesize_speech("Probe me.", files["a.mp3"])
    finally:
        media.speech.ESPEAK_COMMAND = saved
    portrait = media.render_portrait(9, "NEUTRAL", size=64)
    media.render_preview_clip(portrait, files["v.mp4"], seconds=1.0, size=64)
    files["p.png"].write_bytes(portrait)
    _image(portrait).save(files["j.jpg"], format="JPEG")
    _write_wav(files["t.wav"], np.zeros(2205))
    files["junk.bin"].write_bytes(bytes(range(7, 200)) * 40)
    # FFmpeg would happily "play" this as ANSI art through its tty demuxer.
    files["notes.txt"].write_text("this is not media at all, just some words\n" * 200)
    files["empty"].write_bytes(b"")
    return files


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a.mp3", "AUDIO"),
        ("t.wav", "AUDIO"),
        ("v.mp4", "VIDEO"),
        ("p.png", "IMAGE"),
        ("j.jpg", "IMAGE"),
        ("junk.bin", None),
        ("notes.txt", None),
        ("empty", None),
    ],
)
def test_detect_media_type(samples: dict[str, Path], name: str, expected: str | None) -> None:
    assert media.detect_media_type(samples[name]) == expected


def test_detect_media_type_survives_random_bytes_and_missing_files(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    noise = tmp_path / "noise"
    for _ in range(5):
        noise.write_bytes(rng.integers(0, 256, 4096, dtype=np.uint8).tobytes())
        assert media.detect_media_type(noise) in (None, "AUDIO", "VIDEO")  # must not raise
    assert media.detect_media_type(tmp_path / "missing.mp4") is None
    assert media.detect_media_type(tmp_path) is None


def test_probe_duration(samples: dict[str, Path]) -> None:
    assert media.probe_duration(samples["v.mp4"]) == pytest.approx(1.0, abs=0.1)
    assert media.probe_duration(samples["t.wav"]) == pytest.approx(0.1, abs=0.01)
    assert media.probe_duration(samples["a.mp3"]) > 0.5
    for bad in ("junk.bin", "empty"):
        with pytest.raises(ValueError):
            media.probe_duration(samples[bad])
    with pytest.raises(OSError):
        media.probe_duration(samples["empty"].with_name("missing.mp3"))
