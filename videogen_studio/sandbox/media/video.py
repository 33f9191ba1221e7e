"""Talking-head MP4 clips (H.264/AAC) from a portrait and an audio file, preview clips, first frames."""

from __future__ import annotations

import functools
import io
import math
import random
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageDraw, ImageFont, ImageOps

from videogen_studio.sandbox.media.files import render_target
from videogen_studio.sandbox.media.geometry import (
    _CX,
    _EYE_DX,
    _EYE_Y,
    _MOUTH_BOX,
    _ZOOM,
    RGB,
    Box,
    _pixel_box,
)
from videogen_studio.sandbox.media.speech import _FALLBACK_RATE, _synthetic_speech

_MOUTH_LEVELS = 6  # precomputed mouth openings (0 = closed portrait as drawn)
_AAC_RATES = frozenset({8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000})
# Only the local file itself may be read when opening input: no network, no following playlists.
_AV_OPTIONS = {"protocol_whitelist": "file"}

# ---------------------------------------------------------------------------------------------
# video
# ---------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=8)
def _font(px: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for name in ("DejaVuSans-Bold.ttf", "Arial Bold.ttf", "arialbd.ttf", "Helvetica.ttc"):
        try:
            return ImageFont.truetype(name, px)
        except OSError:
            continue
    try:
        return ImageFont.load_default(size=px)
    except (TypeError, OSError):  # Pillow built without FreeType: fixed bitmap font
        return ImageFont.load_default()


def _watermark(img: Image.Image) -> Image.Image:
    size = img.width
    font = _font(max(8, round(size * 0.065)))
    text = "VideoGen"
    layer = Image.new("RGBA", img.size, (0, 0, 0, 0))
    d = ImageDraw.Draw(layer)
    left, top, right, bottom = d.textbbox((0, 0), text, font=font)
    margin = max(3, round(size * 0.03))
    x = img.width - margin - (right - left) - left
    y = img.height - margin - (bottom - top) - top
    shadow = max(1, size // 240)
    d.text((x + shadow, y + shadow), text, font=font, fill=(0, 0, 0, 110))
    d.text((x, y), text, font=font, fill=(255, 255, 255, 170))
    return Image.alpha_composite(img.convert("RGBA"), layer).convert("RGB")


def _median_colour(arr: np.ndarray, boxes: list[tuple[int, int, int, int]]) -> RGB:
    pix = np.concatenate([arr[y0:y1, x0:x1].reshape(-1, 3) for x0, y0, x1, y1 in boxes])
    med = np.median(pix, axis=0)
    return (int(med[0]), int(med[1]), int(med[2]))


def _patch(size: int, x: float, y: float, r: float) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = _pixel_box((x - r, y - r, x + r, y + r), size)
    return (max(0, round(x0)), max(0, round(y0)), round(x1) + 1, round(y1) + 1)


PercentBox = Callable[[float, float, float, float], list[float]]


def _overlay_region(
    img: Image.Image, box: Box, paint: Callable[[ImageDraw.ImageDraw, PercentBox, float], None]
) -> None:
    """Redraw a percent-box of img at 4x and paste it back: smooth edges even on a small frame."""
    up = 4
    fx0, fy0, fx1, fy1 = _pixel_box(box, img.width)
    x0, y0, x1, y1 = math.floor(fx0), math.floor(fy0), math.ceil(fx1), math.ceil(fy1)
    region = img.crop((x0, y0, x1, y1)).resize(((x1 - x0) * up, (y1 - y0) * up), Image.Resampling.BICUBIC)

    def to_px(a: float, b: float, c: float, d: float) -> list[float]:
        p = _pixel_box((a, b, c, d), img.width)
        return [(p[0] - x0) * up, (p[1] - y0) * up, (p[2] - x0) * up, (p[3] - y0) * up]

    paint(ImageDraw.Draw(region), to_px, img.width / 100.0 * _ZOOM * up)
    img.paste(region.resize((x1 - x0, y1 - y0), Image.Resampling.LANCZOS), (x0, y0))


def _open_mouth(img: Image.Image, level: float, lip: RGB, around: RGB) -> None:
    """Open the mouth by level (0..1): lips ring, dark cavity, upper teeth and tongue."""

    def paint(d: ImageDraw.ImageDraw, b: PercentBox, scale: float) -> None:
        # Wipe the closed smile first (in the colour just beside the mouth, skin or beard) so its
        # upturned corners do not float next to the open mouth.
        d.rounded_rectangle(b(_CX - 6.3, 54.9, _CX + 6.3, 60.4), radius=1.6 * scale, fill=around)
        hw = 4.2 + 0.8 * level
        h = 0.8 + 5.0 * level
        top = 56.2
        d.ellipse(b(_CX - hw - 1.1, top - 1.0, _CX + hw + 1.1, top + h + 1.4), fill=lip)
        d.ellipse(b(_CX - hw, top, _CX + hw, top + h), fill=(66, 22, 30))
        if level > 0.25:
            d.chord(
                b(_CX - hw * 0.6, top + h * 0.55, _CX + hw * 0.6, top + h * 1.25),
                180,
                360,
                fill=(176, 78, 88),
            )
            teeth_h = min(1.6, h * 0.32)
            d.chord(
                b(_CX - hw * 0.8, top + 0.1, _CX + hw * 0.8, top + 2 * teeth_h),
                180,
                360,
                fill=(244, 242, 236),
            )

    _overlay_region(img, _MOUTH_BOX, paint)


def _close_eyes(img: Image.Image, lid: RGB) -> None:
    """Cover both eyes with a skin-coloured lid and a lash line: the blink frame."""
    for side in (-1, 1):
        ex = _CX + side * _EYE_DX

        def paint(d: ImageDraw.ImageDraw, b: PercentBox, scale: float, ex: float = ex) -> None:
            d.ellipse(b(ex - 4.2, _EYE_Y - 2.6, ex + 4.2, _EYE_Y + 2.5), fill=lid)
            lash = max(1, round(0.55 * scale))
            d.arc(b(ex - 3.6, _EYE_Y - 1.8, ex + 3.6, _EYE_Y + 1.5), 10, 170, fill=(44, 32, 34), width=lash)

        _overlay_region(img, (ex - 4.6, _EYE_Y - 3.0, ex + 4.6, _EYE_Y + 3.0), paint)


def _to_yuv(img: Image.Image) -> np.ndarray:
    frame = av.VideoFrame.from_ndarray(np.asarray(img.convert("RGB")), format="rgb24")
    return frame.reformat(format="yuv420p").to_ndarray()


def _frame_variants(
    portrait_png: bytes, size: int, watermark: bool
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """yuv420p frames for every mouth level, eyes open and closed: the whole clip reuses these."""
    with Image.open(io.BytesIO(portrait_png)) as src:
        base = ImageOps.fit(src.convert("RGB"), (size, size), Image.Resampling.LANCZOS)
    arr = np.asarray(base)
    # Colours come from the picture itself so the overlays match any skin tone or lipstick.
    lid = _median_colour(arr, [_patch(size, _CX - 6.5, 50.5, 1.0), _patch(size, _CX + 6.5, 50.5, 1.0)])
    lip = _median_colour(arr, [_patch(size, _CX - 3.0, 58.2, 0.4), _patch(size, _CX + 3.0, 58.2, 0.4)])
    around = _median_colour(arr, [_patch(size, _CX - 7.4, 56.6, 0.5), _patch(size, _CX + 7.4, 56.6, 0.5)])
    open_eyes: list[np.ndarray] = []
    closed: list[np.ndarray] = []
    for level in range(_MOUTH_LEVELS):
        img = base.copy()
        if level:
            _open_mouth(img, level / (_MOUTH_LEVELS - 1), lip, around)
        blink = img.copy()
        _close_eyes(blink, lid)
        if watermark:
            img, blink = _watermark(img), _watermark(blink)
        open_eyes.append(_to_yuv(img))
        closed.append(_to_yuv(blink))
    return open_eyes, closed


def _levels_from_audio(samples: np.ndarray, rate: int, fps: int, n_frames: int) -> np.ndarray:
    """Mouth level (0.._MOUTH_LEVELS-1) per video frame from the frame's RMS loudness."""
    starts = (np.arange(n_frames, dtype=np.int64) * rate) // fps
    starts = starts[starts < len(samples)]  # a frame past the end (rounding) stays closed
    rms = np.zeros(n_frames)
    if len(starts):
        # reduceat sums each frame's slice in one pass without a per-sample index array (long clips).
        energy = np.add.reduceat(np.square(samples, dtype=np.float64), starts)
        counts = np.diff(np.append(starts, len(samples)))
        rms[: len(starts)] = np.sqrt(energy / counts)
    # Normalise to the loud end of this clip so quiet recordings still animate; the floor keeps
    # hiss in near-silent audio from flapping the jaw.
    ref = max(float(np.percentile(rms, 90)), 0.02)
    x = np.clip(rms / ref, 0.0, 1.0)
    x[rms < 0.008] = 0.0
    if n_frames >= 3:
        x = np.maximum(x, 0.6 * np.concatenate([[0.0], x[:-1]]))  # slower release reads as natural
    return np.rint(x * (_MOUTH_LEVELS - 1)).astype(np.int64)


def _blink_mask(n_frames: int, fps: int) -> np.ndarray:
    rng = random.Random(n_frames)
    blink = np.zeros(n_frames, dtype=bool)
    length = max(1, round(0.12 * fps))
    t = rng.uniform(0.8, 1.8)
    while (start := int(t * fps)) < n_frames:
        blink[start : start + length] = True
        t += rng.uniform(2.5, 5.0)
    return blink


def _decode_audio_mono(path: Path) -> tuple[np.ndarray, int]:
    """All of path's first audio stream as float32 mono, at a rate AAC can carry."""
    chunks: list[np.ndarray] = []
    try:
        with av.open(str(path), container_options=_AV_OPTIONS) as container:
            if not container.streams.audio:
                raise ValueError(f"{path} has no audio stream")
            stream = container.streams.audio[0]
            src_rate = stream.codec_context.sample_rate or 48000
            rate = src_rate if src_rate in _AAC_RATES else 48000
            resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
            for frame in container.decode(stream):
                chunks.extend(out.to_ndarray().reshape(-1) for out in resampler.resample(frame))
            chunks.extend(out.to_ndarray().reshape(-1) for out in resampler.resample(None))
    except av.FFmpegError as exc:
        if isinstance(exc, OSError):  # a missing or unreadable file is not "bad media"
            raise
        raise ValueError(f"cannot decode audio from {path}: {exc}") from exc
    if not chunks or not sum(len(c) for c in chunks):
        raise ValueError(f"{path} contains no audio samples")
    return np.concatenate(chunks).astype(np.float32), rate


def _encode_audio_until(
    container: av.container.OutputContainer,
    stream: av.AudioStream,
    samples: np.ndarray,
    rate: int,
    pos: int,
    until: int,
) -> int:
    """Encode samples[pos:until] into stream; returns the new position."""
    chunk = 4096
    while pos < until:
        end = min(pos + chunk, until)
        frame = av.AudioFrame.from_ndarray(samples[None, pos:end], format="flt", layout="mono")
        frame.sample_rate = rate
        frame.pts = pos
        frame.time_base = Fraction(1, rate)
        container.mux(stream.encode(frame))
        pos = end
    return pos


def _encode_clip(
    out_path: Path,
    variants: tuple[list[np.ndarray], list[np.ndarray]],
    levels: np.ndarray,
    fps: int,
    size: int,
    audio: tuple[np.ndarray, int] | None,
) -> None:
    """Write an H.264 (+ AAC when audio is given) MP4 choosing a precomputed frame per video frame."""
    open_eyes, closed = variants
    n_frames = len(levels)
    blinks = _blink_mask(n_frames, fps)
    with (
        render_target(out_path) as tmp,
        av.open(str(tmp), "w", format="mp4", container_options={"movflags": "+faststart"}) as container,
    ):
        vstream = container.add_stream(
            "libx264",
            rate=fps,
            width=size,
            height=size,
            pix_fmt="yuv420p",
            options={"preset": "veryfast", "crf": "28", "tune": "stillimage"},
        )
        # Keyframe every 2 s so players can seek without decoding far back.
        vstream.codec_context.gop_size = fps * 2
        astream = None
        if audio is not None:
            astream = container.add_stream("aac", rate=audio[1], layout="mono", bit_rate=64000)
        audio_pos = 0
        for i in range(n_frames):
            if astream is not None and audio is not None:
                # Interleave audio up to this frame's end so the file streams smoothly over HTTP.
                samples, rate = audio
                until = min(len(samples), (i + 1) * rate // fps)
                audio_pos = _encode_audio_until(container, astream, samples, rate, audio_pos, until)
            src = closed if blinks[i] else open_eyes
            frame = av.VideoFrame.from_ndarray(src[int(levels[i])], format="yuv420p")
            frame.pts = i
            frame.time_base = Fraction(1, fps)
            container.mux(vstream.encode(frame))
        if astream is not None and audio is not None:
            samples, rate = audio
            _encode_audio_until(container, astream, samples, rate, audio_pos, len(samples))
            container.mux(astream.encode(None))
        container.mux(vstream.encode(None))


def _check_video_args(size: int, fps: int) -> int:
    if size < 16:
        raise ValueError("video size must be at least 16 px")
    if not 1 <= fps <= 120:
        raise ValueError("fps must be between 1 and 120")
    return size - size % 2  # yuv420p needs even dimensions


def render_talking_head(
    portrait_png: bytes,
    audio_path: Path,
    out_path: Path,
    *,
    watermark: bool,
    size: int = 360,
    fps: int = 25,
) -> float:
    """Write an H.264/AAC MP4 of the portrait lip-flapping to the audio; returns its duration (s)."""
    size = _check_video_args(size, fps)
    samples, rate = _decode_audio_mono(Path(audio_path))
    duration = len(samples) / rate
    n_frames = max(1, round(duration * fps))
    levels = _levels_from_audio(samples, rate, fps, n_frames)
    variants = _frame_variants(portrait_png, size, watermark)
    _encode_clip(Path(out_path), variants, levels, fps, size, (samples, rate))
    return duration


def render_preview_clip(
    portrait_png: bytes,
    out_path: Path,
    *,
    seconds: float = 3.0,
    size: int = 256,
    fps: int = 25,
) -> float:
    """Write a short silent MP4 of the presenter 'speaking'; returns its duration (s)."""
    size = _check_video_args(size, fps)
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError("seconds must be positive")
    n_frames = max(1, round(seconds * fps))
    # Borrow the synthetic voice's rhythm for the mouth; the clip itself stays silent because a
    # buzzing preview in a gallery would be unpleasant.
    phrase = "Hello there! I can present your script, in any style you like. "
    voice = _synthetic_speech(phrase * (1 + int(seconds // 4)), 1.0, 50)
    voice = voice[: int(n_frames / fps * _FALLBACK_RATE)]
    if len(voice) < int(n_frames / fps * _FALLBACK_RATE):
        voice = np.pad(voice, (0, int(n_frames / fps * _FALLBACK_RATE) - len(voice)))
    levels = _levels_from_audio(voice, _FALLBACK_RATE, fps, n_frames)
    variants = _frame_variants(portrait_png, size, watermark=False)
    _encode_clip(Path(out_path), variants, levels, fps, size, None)
    return n_frames / fps


def first_frame(path: Path) -> tuple[bytes, int, int]:
    """First video frame as PNG plus the stream's dimensions (thumbnail for VIDEO files)."""
    with av.open(str(path), container_options=_AV_OPTIONS) as container:
        stream = container.streams.video[0]
        for frame in container.decode(stream):
            buffer = io.BytesIO()
            frame.to_image().save(buffer, format="PNG")
            return buffer.getvalue(), frame.width, frame.height
    raise ValueError(f"{path.name} has no video frames")
