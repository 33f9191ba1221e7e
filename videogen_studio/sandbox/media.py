"""Media synthesis for the local VideoGen stand-in server.

Everything made here is real media that Qt's FFmpeg backend plays: PNG portraits, MP3 speech
(espeak-ng when installed, a synthetic voice otherwise) and H.264/AAC MP4 talking-head clips.
Pure Python (Pillow, NumPy, PyAV); no Qt and no network.
"""

from __future__ import annotations

import colorsys
import functools
import io
import math
import os
import random
import re
import shutil
import subprocess
import tempfile
import uuid
import wave
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont, ImageOps

__all__ = [
    "ESPEAK_COMMAND",
    "detect_media_type",
    "mouth_box",
    "probe_duration",
    "render_portrait",
    "render_preview_clip",
    "render_talking_head",
    "render_thumbnail",
    "synthesize_speech",
]

ESPEAK_COMMAND: str | None = "espeak-ng"
"""Executable used for intelligible speech; None forces the synthetic voice (tests, CI without espeak)."""

RGB = tuple[int, int, int]
Box = tuple[float, float, float, float]

# Face geometry in percent of the canvas. It is the same for every seed so that mouth_box() and the
# blink overlay can find the features of any portrait from its size alone.
_CX = 50.0
_EYE_Y = 44.0
_EYE_DX = 8.0
_MOUTH_BOX: Box = (42.0, 54.0, 58.0, 64.0)
_FACE_TOP = 22.0
_CHIN = 68.0
# The figure is designed in percent coordinates and then enlarged about a point near the eyes so
# the face fills more of a small gallery tile; every consumer of coordinates goes through _xy().
_ZOOM = 1.15
_ZOOM_CENTRE = (50.0, 42.0)

_SUPERSAMPLE = 2  # draw at 2x and downscale: cheap anti-aliasing for ImageDraw's hard edges
_MOUTH_LEVELS = 6  # precomputed mouth openings (0 = closed portrait as drawn)
_FALLBACK_RATE = 22050
_CHARS_PER_SECOND = 14.0
_MIN_SPEECH_SECONDS = 0.5
_ESPEAK_WPM = 175  # espeak-ng's own default rate, i.e. speed 1.0
_AAC_RATES = frozenset({8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000})
_GENDERS = frozenset({"MALE", "FEMALE", "NEUTRAL"})
# Only the local file itself may be read when opening input: no network, no following playlists.
_AV_OPTIONS = {"protocol_whitelist": "file"}

_SKIN: tuple[RGB, ...] = (
    (255, 224, 200),
    (248, 212, 184),
    (241, 196, 164),
    (232, 182, 146),
    (216, 164, 124),
    (198, 144, 104),
    (176, 122, 84),
    (146, 98, 66),
    (118, 78, 52),
    (94, 62, 42),
)
_HAIR_NATURAL: tuple[RGB, ...] = (
    (28, 26, 30),
    (52, 38, 30),
    (86, 58, 38),
    (122, 80, 46),
    (150, 70, 40),
    (186, 110, 58),
    (214, 178, 112),
    (232, 214, 168),
)
_HAIR_AGED: tuple[RGB, ...] = ((150, 150, 156), (206, 206, 210))
_HAIR_DYED: tuple[RGB, ...] = ((46, 132, 150), (206, 96, 150), (112, 76, 168))
_EYES: tuple[RGB, ...] = (
    (92, 58, 34),
    (58, 38, 24),
    (128, 100, 56),
    (74, 122, 78),
    (66, 112, 170),
    (108, 124, 140),
)
_CLOTHES: tuple[RGB, ...] = (
    (46, 64, 112),
    (36, 98, 118),
    (160, 52, 64),
    (74, 112, 64),
    (214, 140, 40),
    (110, 70, 140),
    (56, 56, 62),
    (196, 92, 70),
    (38, 130, 110),
    (84, 100, 128),
    (232, 196, 80),
    (150, 150, 158),
    (124, 40, 80),
    (236, 236, 232),
)
_SHIRTS: tuple[RGB, ...] = ((246, 246, 244), (204, 224, 244), (244, 220, 226), (240, 234, 214))
_FRAMES: tuple[RGB, ...] = ((32, 30, 34), (110, 70, 40), (196, 160, 80), (150, 40, 50), (60, 80, 120))
_MALE_STYLES = ("crop", "side_part", "quiff", "curly", "buzz", "bald", "slick", "afro")
_FEMALE_STYLES = ("long", "bob", "bun", "curly_long", "ponytail", "pixie", "afro", "side_long")
_EAR_COVERING = frozenset({"long", "bob", "curly_long", "side_long", "afro"})


# ---------------------------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------------------------


def _mix(a: RGB, b: RGB, t: float) -> RGB:
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


def _shade(c: RGB, factor: float) -> RGB:
    """Darken (factor < 1) towards black or lighten (factor > 1) towards white."""
    if factor <= 1.0:
        return _mix(c, (0, 0, 0), 1.0 - factor)
    return _mix(c, (255, 255, 255), min(1.0, factor - 1.0))


def _hls(h: float, lightness: float, s: float) -> RGB:
    r, g, b = colorsys.hls_to_rgb(h % 1.0, lightness, s)
    return (round(r * 255), round(g * 255), round(b * 255))


def _luma(c: RGB) -> float:
    return (0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2]) / 255.0


def _xy(x: float, y: float, px: float) -> tuple[float, float]:
    """Design-percent point -> pixel position on a px-wide canvas (applies the zoom)."""
    zx, zy = _ZOOM_CENTRE
    k = px / 100.0
    return ((zx + (x - zx) * _ZOOM) * k, (zy + (y - zy) * _ZOOM) * k)


def _pixel_box(box: Box, px: float) -> list[float]:
    x0, y0 = _xy(box[0], box[1], px)
    x1, y1 = _xy(box[2], box[3], px)
    return [x0, y0, x1, y1]


@contextmanager
def _atomic_target(out_path: Path) -> Iterator[Path]:
    """Yield a temp path next to out_path; move it into place only if the block succeeds."""
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    # Same directory so os.replace is a rename, never a cross-device copy; the dot hides it from
    # anything listing the folder meanwhile.
    tmp = out_path.with_name(f".{out_path.name}.{uuid.uuid4().hex[:12]}.tmp")
    try:
        yield tmp
        os.replace(tmp, out_path)
    finally:
        tmp.unlink(missing_ok=True)


def _png_bytes(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=False)
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------
# portraits
# ---------------------------------------------------------------------------------------------


class _Canvas:
    """Percent-coordinate drawing on a supersampled RGBA figure layer."""

    def __init__(self, px: int) -> None:
        self.px = px
        self.k = px / 100.0
        self.img = Image.new("RGBA", (px, px), (0, 0, 0, 0))
        self.draw = ImageDraw.Draw(self.img)

    def box(self, x0: float, y0: float, x1: float, y1: float) -> list[float]:
        return _pixel_box((x0, y0, x1, y1), self.px)

    def pts(self, *xy: tuple[float, float]) -> list[tuple[float, float]]:
        return [_xy(x, y, self.px) for x, y in xy]

    def w(self, width: float) -> int:
        return max(1, round(width * self.k * _ZOOM))

    def mask(self) -> tuple[Image.Image, ImageDraw.ImageDraw]:
        m = Image.new("L", (self.px, self.px), 0)
        return m, ImageDraw.Draw(m)

    def paint(self, mask: Image.Image, color: RGB, alpha: int = 255) -> None:
        """Fill color through mask (optionally translucent) onto the figure."""
        if alpha < 255:
            mask = mask.point(lambda v: v * alpha // 255)
        layer = Image.new("RGBA", self.img.size, (*color, 255))
        layer.putalpha(mask)
        self.img.alpha_composite(layer)


def _background(px: int, rng: random.Random) -> Image.Image:
    hue = rng.random()
    sat = rng.uniform(0.25, 0.55)
    top = np.array(_hls(hue, 0.86, sat), dtype=np.float32)
    bottom = np.array(_hls(hue + rng.uniform(-0.08, 0.08), 0.66, sat), dtype=np.float32)
    yy, xx = np.mgrid[0:px, 0:px].astype(np.float32) / px
    t = yy[..., None]
    rgb = top * (1.0 - t) + bottom * t
    # A soft light behind the head lifts the figure off the backdrop like a studio key light.
    glow = np.exp(-(((xx - 0.5) ** 2 + (yy - 0.38) ** 2) / 0.09))[..., None] * 0.35
    rgb = rgb * (1.0 - glow) + 255.0 * glow
    return Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8), "RGB").convert("RGBA")


def _pick_hair_colour(rng: random.Random) -> RGB:
    roll = rng.random()
    if roll < 0.08:
        return rng.choice(_HAIR_AGED)
    if roll < 0.13:
        return rng.choice(_HAIR_DYED)
    return rng.choice(_HAIR_NATURAL)


def _curl_ring(d: ImageDraw.ImageDraw, c: _Canvas, box: Box, rng: random.Random, r: float) -> None:
    """Bumps along the upper outline of an ellipse: curly hair silhouettes."""
    x0, y0, x1, y1 = box
    cx, cy, ax, ay = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2, (y1 - y0) / 2
    steps = 22
    for i in range(steps + 1):
        ang = math.pi + math.pi * i / steps
        px, py = cx + ax * math.cos(ang), cy + ay * math.sin(ang)
        rr = r * rng.uniform(0.8, 1.15)
        d.ellipse(c.box(px - rr, py - rr, px + rr, py + rr), fill=255)


def _draw_hair(
    c: _Canvas, style: str, colour: RGB, w: float, rng: random.Random, face: Image.Image, front: bool
) -> None:
    """Back layer (front=False) goes behind the face, front layer (fringe, locks) on top of it."""
    cx = _CX
    mask, d = c.mask()
    if not front:
        if style == "bald":
            return
        cap = (cx - w - 1.6, 15.5, cx + w + 1.6, 76.0)
        d.chord(c.box(*cap), 180, 360, fill=255)
        if style in ("long", "side_long"):
            d.rounded_rectangle(c.box(cx - w - 4.5, 20, cx + w + 4.5, 92), radius=c.w(12), fill=255)
        elif style == "curly_long":
            d.rounded_rectangle(c.box(cx - w - 6.5, 20, cx + w + 6.5, 88), radius=c.w(14), fill=255)
            _curl_ring(d, c, (cx - w - 6.5, 12.5, cx + w + 6.5, 60), rng, 3.6)
            for i in range(9):
                y = 30 + i * 6.5
                for side in (-1, 1):
                    x = cx + side * (w + 6.5)
                    d.ellipse(c.box(x - 3.2, y - 3.2, x + 3.2, y + 3.2), fill=255)
        elif style == "bob":
            d.rounded_rectangle(c.box(cx - w - 4.0, 20, cx + w + 4.0, 63), radius=c.w(9), fill=255)
        elif style == "afro":
            big = (cx - w - 7.5, 11.0, cx + w + 7.5, 60.0)
            d.ellipse(c.box(*big), fill=255)
            _curl_ring(d, c, big, rng, 3.4)
        elif style == "bun":
            d.ellipse(c.box(cx - 6.5, 7.0, cx + 6.5, 20.0), fill=255)
        elif style == "ponytail":
            side = rng.choice((-1, 1))
            x = cx + side * (w + 1.5)
            d.ellipse(c.box(x - 4.5, 26, x + 4.5, 66), fill=255)
        elif style == "quiff":
            # Volume swept up over the forehead: a taller crown, fuller on one side.
            d.chord(c.box(cx - w - 1.6, 11.0, cx + w + 1.6, 76.0), 180, 360, fill=255)
            d.ellipse(c.box(cx - w * 0.9, 11.5, cx + w * 0.4, 26.0), fill=255)
        elif style == "curly":
            _curl_ring(d, c, (cx - w - 2.0, 14.0, cx + w + 2.0, 64.0), rng, 2.8)
        c.paint(mask, colour)
        # A sheen arc on the crown reads as "hair" rather than a flat cap, even at 160 px.
        sheen = _shade(colour, 1.25 if _luma(colour) < 0.6 else 0.88)
        c.draw.arc(
            c.box(cx - w + 2.5, 18.0, cx + w - 2.5, 44.0), 205, 250, fill=(*sheen, 255), width=c.w(1.3)
        )
        return

    hairline = {"bald": 5.0, "slick": 25.5, "bun": 26.5, "ponytail": 26.5, "buzz": 27.0}.get(
        style, rng.uniform(27.5, 30.5)
    )
    side_bottom = {"long": 62.0, "side_long": 62.0, "curly_long": 60.0, "bob": 56.0, "afro": 46.0}.get(
        style, rng.uniform(40.5, 44.0)
    )
    inset = 3.2 if style in ("long", "side_long", "curly_long", "bob") else 1.8
    if style == "bald":
        # Only a fringe of hair around the ears; the crown is skin.
        side_bottom, inset = 47.0, 1.2
    d.rectangle(c.box(0, 0, 100, side_bottom), fill=255)
    window, wd = c.mask()
    if style in ("bob", "pixie") and rng.random() < 0.6:
        # Straight-cut bangs: a flat-topped face window.
        wd.rounded_rectangle(
            c.box(cx - w + inset, hairline + 3.5, cx + w - inset, 90), radius=c.w(7), fill=255
        )
    else:
        wd.ellipse(c.box(cx - w + inset, hairline, cx + w - inset, 90), fill=255)
    mask = ImageChops.subtract(mask, window)
    mask = ImageChops.multiply(mask, face)
    if style in ("side_part", "side_long", "pixie") or (style == "crop" and rng.random() < 0.5):
        side = rng.choice((-1, 1))
        sweep, sd = c.mask()
        sd.polygon(
            c.pts(
                (cx - side * w * 0.35, 18.0),
                (cx + side * (w + 3), 18.0),
                (cx + side * (w + 3), hairline + 8.5),
                (cx + side * w * 0.25, hairline + 2.0),
                (cx - side * w * 0.25, hairline - 0.5),
            ),
            fill=255,
        )
        mask = ImageChops.lighter(mask, ImageChops.multiply(sweep, face))
    if style in ("curly", "curly_long", "afro"):
        curls, cd = c.mask()
        _curl_ring(cd, c, (cx - w + inset - 1, hairline - 2.5, cx + w - inset + 1, hairline + 9), rng, 2.2)
        mask = ImageChops.lighter(mask, ImageChops.multiply(curls, face))
    c.paint(mask, colour, alpha=150 if style == "buzz" else 255)


def _draw_clothes(c: _Canvas, rng: random.Random, gender: str, skin: RGB) -> None:
    cx = _CX
    d = c.draw
    neck = _shade(skin, 0.9)
    d.rectangle(c.box(cx - 7.0, 56.0, cx + 7.0, 82.0), fill=(*neck, 255))
    d.ellipse(c.box(cx - 9.0, 58.0, cx + 9.0, 71.0), fill=(*_shade(skin, 0.8), 255))  # under-chin shadow

    options = ["crew", "vneck", "collar", "blazer", "turtleneck"]
    if gender == "FEMALE":
        options += ["scoop", "scoop", "blazer"]
    elif gender == "MALE":
        options += ["collar", "blazer"]
    kind = rng.choice(options)
    cloth = rng.choice(_CLOTHES)
    shoulder = rng.uniform(40.0, 44.0) if gender == "MALE" else rng.uniform(36.0, 42.0)
    d.ellipse(c.box(cx - shoulder, 74.0, cx + shoulder, 142.0), fill=(*cloth, 255))
    rib = _shade(cloth, 0.78 if _luma(cloth) > 0.25 else 1.35)
    skin_fill = (*neck, 255)

    if kind == "crew":
        d.chord(c.box(cx - 8.0, 66.0, cx + 8.0, 81.0), 0, 180, fill=skin_fill)
        d.arc(c.box(cx - 8.6, 65.5, cx + 8.6, 81.8), 0, 180, fill=(*rib, 255), width=c.w(1.1))
    elif kind == "vneck":
        d.polygon(c.pts((cx - 8.5, 74.0), (cx + 8.5, 74.0), (cx, 89.0)), fill=skin_fill)
        d.line(c.pts((cx - 8.8, 74.0), (cx, 89.5), (cx + 8.8, 74.0)), fill=(*rib, 255), width=c.w(1.1))
    elif kind == "scoop":
        d.chord(c.box(cx - 12.5, 62.0, cx + 12.5, 86.0), 0, 180, fill=skin_fill)
        d.arc(c.box(cx - 13.0, 61.6, cx + 13.0, 86.6), 0, 180, fill=(*rib, 255), width=c.w(1.0))
        if rng.random() < 0.5:
            gold = rng.choice(((214, 178, 90), (200, 200, 208)))
            d.arc(c.box(cx - 9.0, 62.0, cx + 9.0, 82.0), 20, 160, fill=(*gold, 255), width=c.w(0.6))
            d.ellipse(c.box(cx - 1.2, 80.8, cx + 1.2, 83.2), fill=(*gold, 255))
    elif kind == "turtleneck":
        roll = _shade(cloth, 1.06)
        d.rounded_rectangle(c.box(cx - 8.2, 67.5, cx + 8.2, 80.0), radius=c.w(3.5), fill=(*roll, 255))
        for y in (70.5, 73.5):
            d.line(c.pts((cx - 7.0, y), (cx + 7.0, y)), fill=(*_mix(roll, rib, 0.5), 255), width=c.w(0.4))
    else:  # collar / blazer: a light shirt with a pointed collar, optionally under a jacket
        shirt = rng.choice(_SHIRTS) if kind == "blazer" or _luma(cloth) < 0.85 else (150, 180, 220)
        if kind == "blazer":
            d.polygon(c.pts((cx - 12.0, 74.5), (cx + 12.0, 74.5), (cx, 104.0)), fill=(*shirt, 255))
            lapel = _shade(cloth, 0.82)
            for side in (-1, 1):
                d.polygon(
                    c.pts((cx + side * 12.0, 74.5), (cx + side * 16.5, 84.0), (cx + side * 1.5, 104.0)),
                    fill=(*lapel, 255),
                )
            if gender != "FEMALE" and rng.random() < 0.6:
                tie = rng.choice(_CLOTHES[:9])
                d.polygon(
                    c.pts(
                        (cx - 1.6, 80.5), (cx + 1.6, 80.5), (cx + 2.8, 97.0), (cx, 100.5), (cx - 2.8, 97.0)
                    ),
                    fill=(*tie, 255),
                )
                d.polygon(
                    c.pts((cx - 2.2, 77.0), (cx + 2.2, 77.0), (cx + 1.6, 81.0), (cx - 1.6, 81.0)),
                    fill=(*tie, 255),
                )
            else:
                d.polygon(c.pts((cx - 5.5, 74.5), (cx + 5.5, 74.5), (cx, 84.0)), fill=skin_fill)
        else:
            d.polygon(c.pts((cx - 6.5, 74.0), (cx + 6.5, 74.0), (cx, 84.0)), fill=skin_fill)
            for y in (88.0, 94.0):
                d.ellipse(c.box(cx - 0.7, y - 0.7, cx + 0.7, y + 0.7), fill=(*rib, 255))
        collar = shirt if kind == "blazer" else _shade(cloth, 1.12)
        for side in (-1, 1):
            d.polygon(
                c.pts((cx + side * 8.0, 72.0), (cx + side * 0.8, 84.5), (cx + side * 11.5, 81.0)),
                fill=(*collar, 255),
                outline=(*_shade(collar, 0.8), 255),
            )


def _draw_eyes_and_brows(c: _Canvas, rng: random.Random, hair: RGB, skin: RGB) -> None:
    d = c.draw
    iris = rng.choice(_EYES)
    scale = rng.uniform(0.9, 1.1)
    ew, eh = 3.3 * scale, 2.0 * scale
    brow = _shade(hair, 0.7) if _luma(hair) < 0.7 else _shade(hair, 0.55)
    if _luma(brow) > _luma(skin) - 0.1:
        brow = _shade(skin, 0.45)  # blond/grey brows still need to read against pale skin
    brow_w = rng.uniform(0.8, 1.5)
    brow_lift = rng.uniform(-0.6, 0.5)
    brow_span = rng.choice(((200, 340), (195, 335), (205, 345)))
    lash = (40, 30, 32)
    for side in (-1, 1):
        ex = _CX + side * _EYE_DX
        d.ellipse(c.box(ex - ew, _EYE_Y - eh, ex + ew, _EYE_Y + eh), fill=(250, 250, 246, 255))
        r = 1.85 * scale
        gaze = 0.25 * side * -1
        d.ellipse(c.box(ex + gaze - r, _EYE_Y - r, ex + gaze + r, _EYE_Y + r), fill=(*iris, 255))
        d.ellipse(
            c.box(ex + gaze - r * 0.5, _EYE_Y - r * 0.5, ex + gaze + r * 0.5, _EYE_Y + r * 0.5),
            fill=(20, 16, 18, 255),
        )
        d.ellipse(
            c.box(ex + gaze + 0.35, _EYE_Y - 0.95, ex + gaze + 0.95, _EYE_Y - 0.35), fill=(255, 255, 255, 255)
        )
        # Re-drawn upper lid line tidies the iris where it pokes past the eye white.
        d.arc(c.box(ex - ew, _EYE_Y - eh, ex + ew, _EYE_Y + eh), 190, 350, fill=(*lash, 255), width=c.w(0.55))
        d.arc(
            c.box(ex - ew, _EYE_Y - eh, ex + ew, _EYE_Y + eh),
            20,
            160,
            fill=(*_shade(skin, 0.75), 255),
            width=c.w(0.25),
        )
        a0, a1 = brow_span if side < 0 else (540 - brow_span[1], 540 - brow_span[0])
        by = 38.4 + brow_lift
        d.arc(c.box(ex - 4.4, by, ex + 4.4, by + 5.4), a0, a1, fill=(*brow, 255), width=c.w(brow_w))


def _draw_lower_face(
    c: _Canvas, rng: random.Random, skin: RGB, gender: str, hair: RGB, face: Image.Image, masculine_hair: bool
) -> None:
    cx = _CX
    d = c.draw
    # Beard before the mouth so the lips stay on top.
    beard_roll = rng.random()
    beard = None
    if gender == "MALE" or (gender == "NEUTRAL" and masculine_hair and beard_roll < 0.2):
        beard = rng.choice(("none", "none", "stubble", "full", "moustache", "goatee"))
    beard_colour = hair if _luma(hair) < 0.75 else _shade(hair, 0.85)
    if beard in ("stubble", "full"):
        m, md = c.mask()
        md.ellipse(c.box(cx - 20, 44, cx + 20, 72), fill=255)
        md.rectangle(c.box(0, 0, 100, 52.5), fill=0)
        md.ellipse(c.box(cx - 4.2, 48.5, cx + 4.2, 53.0), fill=0)  # keep the nose tip clear
        m = ImageChops.multiply(m, face)
        if beard == "full":
            md2 = ImageDraw.Draw(m)
            md2.ellipse(c.box(cx - 13.5, 58, cx + 13.5, 71.5), fill=255)
        c.paint(m, beard_colour, alpha=80 if beard == "stubble" else 255)
    if beard in ("full", "moustache", "goatee"):
        d.chord(c.box(cx - 6.5, 53.0, cx + 6.5, 58.5), 180, 360, fill=(*beard_colour, 255))
    if beard == "goatee":
        d.ellipse(c.box(cx - 4.0, 60.0, cx + 4.0, 68.5), fill=(*beard_colour, 255))

    # Nose: a soft shadow curve is enough at gallery size.
    nw = rng.uniform(2.2, 3.1)
    nose = _shade(skin, 0.72)
    d.arc(c.box(cx - nw, 48.0, cx + nw, 52.4), 25, 155, fill=(*nose, 255), width=c.w(0.55))
    d.line(c.pts((cx - 0.9, 44.5), (cx - 1.5, 49.5)), fill=(*_shade(skin, 0.88), 255), width=c.w(0.4))

    # Closed, friendly mouth.
    lipstick = gender != "MALE" and rng.random() < 0.45
    lip_target = rng.choice(((196, 70, 86), (168, 64, 70), (206, 104, 112))) if lipstick else (184, 96, 96)
    lip = _mix(_shade(skin, 0.86), lip_target, 0.55 if lipstick else 0.32)
    mw = rng.uniform(4.6, 5.6)
    d.ellipse(c.box(cx - mw + 0.6, 55.4, cx + mw - 0.6, 59.6), fill=(*lip, 255))
    d.ellipse(c.box(cx - 1.8, 58.0, cx + 1.8, 59.0), fill=(*_shade(lip, 1.15), 255))
    smile = rng.uniform(1.6, 2.4)
    line = _shade(lip, 0.55)
    d.arc(c.box(cx - mw, 57.4 - 2 * smile, cx + mw, 57.4), 12, 168, fill=(*line, 255), width=c.w(0.6))


def _draw_glasses(c: _Canvas, rng: random.Random) -> None:
    d = c.draw
    frame = (*rng.choice(_FRAMES), 255)
    width = c.w(rng.uniform(0.6, 0.9))
    round_lens = rng.random() < 0.5
    for side in (-1, 1):
        ex = _CX + side * _EYE_DX
        if round_lens:
            d.ellipse(c.box(ex - 4.8, _EYE_Y - 4.6, ex + 4.8, _EYE_Y + 4.6), outline=frame, width=width)
        else:
            d.rounded_rectangle(
                c.box(ex - 5.0, _EYE_Y - 3.8, ex + 5.0, _EYE_Y + 3.8),
                radius=c.w(1.8),
                outline=frame,
                width=width,
            )
        d.line(
            c.pts((ex + side * 4.9, _EYE_Y - 1.0), (ex + side * 9.5, _EYE_Y - 1.6)), fill=frame, width=width
        )
    d.arc(c.box(_CX - 3.4, _EYE_Y - 2.5, _CX + 3.4, _EYE_Y + 1.5), 200, 340, fill=frame, width=width)


def render_portrait(seed: int, gender: str, size: int = 512) -> bytes:
    """PNG of a stylised head-and-shoulders presenter, deterministic for (seed, gender, size)."""
    gender = gender.upper()
    if gender not in _GENDERS:
        raise ValueError(f"gender must be one of {sorted(_GENDERS)}, not {gender!r}")
    if size < 16:
        raise ValueError("portrait size must be at least 16 px")
    # Integer seeds give the same stream on every Python version and platform.
    rng = random.Random(seed)
    px = size * _SUPERSAMPLE
    bg = _background(px, rng)
    c = _Canvas(px)
    cx = _CX

    skin = rng.choice(_SKIN)
    hair = _pick_hair_colour(rng)
    styles = {"MALE": _MALE_STYLES, "FEMALE": _FEMALE_STYLES}.get(gender, _MALE_STYLES + _FEMALE_STYLES)
    style = rng.choice(styles)
    if style == "bald" and _luma(hair) > 0.55 and rng.random() < 0.5:
        hair = rng.choice(_HAIR_AGED)
    w = rng.uniform(16.5, 19.5)
    jaw = rng.uniform(0.8, 0.94)

    face, fd = c.mask()
    fd.ellipse(c.box(cx - w, _FACE_TOP, cx + w, 62.0), fill=255)
    fd.ellipse(c.box(cx - w * jaw, 40.0, cx + w * jaw, _CHIN), fill=255)
    if style == "bald":
        fd.chord(c.box(cx - w - 0.8, 15.5, cx + w + 0.8, 76.0), 180, 360, fill=255)

    _draw_hair(c, style, hair, w, rng, face, front=False)
    _draw_clothes(c, rng, gender, skin)
    if style not in _EAR_COVERING:
        for side in (-1, 1):
            ex = cx + side * (w - 0.6)
            c.draw.ellipse(c.box(ex - 2.6, 40.0, ex + 2.6, 51.5), fill=(*_shade(skin, 0.95), 255))
            c.draw.arc(
                c.box(ex - 1.5, 42.0, ex + 1.5, 49.5), 0, 360, fill=(*_shade(skin, 0.8), 255), width=c.w(0.4)
            )
            if gender == "FEMALE" and rng.random() < 0.5:
                metal = rng.choice(((214, 178, 90), (210, 210, 220)))
                c.draw.ellipse(c.box(ex - 0.9, 51.0, ex + 0.9, 52.8), fill=(*metal, 255))
    c.paint(face, skin)
    _draw_hair(c, style, hair, w, rng, face, front=True)
    if style == "bald":
        c.draw.ellipse(c.box(cx - 7, 18.5, cx + 2, 23.5), fill=(*_shade(skin, 1.12), 255))

    # Blush: a blurred translucent layer, kept inside the face.
    blush, bd = c.mask()
    for side in (-1, 1):
        bx = cx + side * 12.5
        bd.ellipse(c.box(bx - 3.2, 50.0, bx + 3.2, 55.5), fill=255)
    blush = ImageChops.multiply(blush.filter(ImageFilter.GaussianBlur(c.k * _ZOOM * 1.6)), face)
    c.paint(blush, (232, 110, 110), alpha=round(15 + 55 * _luma(skin)))

    _draw_eyes_and_brows(c, rng, hair, skin)
    _draw_lower_face(c, rng, skin, gender, hair, face, style in _MALE_STYLES and style != "afro")
    if rng.random() < 0.24:
        _draw_glasses(c, rng)

    # Soft drop shadow from the silhouette: computed small and upscaled because blur is the costly step.
    alpha = c.img.getchannel("A")
    small = alpha.resize((px // 8, px // 8), Image.Resampling.BILINEAR).filter(ImageFilter.GaussianBlur(2.5))
    shadow = small.resize((px, px), Image.Resampling.BILINEAR).point(lambda v: v * 70 // 255)
    shifted = Image.new("L", (px, px), 0)
    shifted.paste(shadow, (round(c.k * 1.5), round(c.k * 1.5)))  # paste, not offset(): no wrap-around
    shadow = shifted
    shade_layer = Image.new("RGBA", (px, px), (20, 24, 40, 255))
    shade_layer.putalpha(shadow)
    bg.alpha_composite(shade_layer)
    bg.alpha_composite(c.img)
    out = bg.convert("RGB").resize((size, size), Image.Resampling.LANCZOS)
    return _png_bytes(out)


def mouth_box(size: int) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of the mouth area in a portrait of the given size."""
    x0, y0, x1, y1 = _pixel_box(_MOUTH_BOX, size)
    return (math.floor(x0), math.floor(y0), math.ceil(x1), math.ceil(y1))


def render_thumbnail(image_png: bytes, size: int = 160) -> bytes:
    """Square PNG thumbnail of any Pillow-readable image, cropped a little above centre (faces)."""
    with Image.open(io.BytesIO(image_png)) as src:
        img = ImageOps.exif_transpose(src)
        if img.mode in ("RGBA", "LA", "P"):
            img = img.convert("RGBA")
            flat = Image.new("RGBA", img.size, (255, 255, 255, 255))
            flat.alpha_composite(img)
            img = flat
        img = img.convert("RGB")
        thumb = ImageOps.fit(img, (size, size), Image.Resampling.LANCZOS, centering=(0.5, 0.4))
    return _png_bytes(thumb)


# ---------------------------------------------------------------------------------------------
# speech
# ---------------------------------------------------------------------------------------------

_TOKEN_RE = re.compile(r"[^\W_]+|[.!?]+|[,;:]+|\s+|.", re.UNICODE)
_VOWEL_RE = re.compile(r"[aeiouyàáâäãåæéèêëíìîïóòôöõøœúùûü]+")
_VOWEL_FORMANTS: dict[str, tuple[float, float]] = {
    "a": (730.0, 1090.0),
    "e": (530.0, 1840.0),
    "i": (300.0, 2250.0),
    "o": (570.0, 840.0),
    "u": (320.0, 870.0),
    "y": (300.0, 2000.0),
}


def _syllable(
    dur: float, f0: float, f0_end: float, vowel: str, rng: np.random.Generator, consonant: bool
) -> np.ndarray:
    """One voiced burst: harmonics shaped by two vowel formants under a smooth envelope."""
    sr = _FALLBACK_RATE
    n = max(1, int(dur * sr))
    voiced = max(1, int(n * 0.8))
    t = np.arange(voiced, dtype=np.float64) / sr
    f = np.linspace(f0, f0_end, voiced)
    f *= 1.0 + 0.01 * np.sin(2 * np.pi * 5.5 * t)  # a touch of vibrato so it is not a dial tone
    phase = 2 * np.pi * np.cumsum(f) / sr
    f1, f2 = _VOWEL_FORMANTS.get(vowel, _VOWEL_FORMANTS["a"])
    sig = np.zeros(voiced)
    mean_f0 = (f0 + f0_end) / 2
    for k in range(1, 30):
        fk = k * mean_f0
        if fk > 5000:
            break
        amp = (1.0 / k**0.6) * (
            1.0 / (1 + ((fk - f1) / 130) ** 2) + 0.6 / (1 + ((fk - f2) / 180) ** 2) + 0.04
        )
        sig += amp * np.sin(k * phase)
    attack = min(voiced, max(1, int(0.03 * sr)))
    env = np.ones(voiced)
    env[:attack] = np.linspace(0.0, 1.0, attack)
    env *= np.sin(np.linspace(0, np.pi, voiced)) ** 0.5
    out = np.zeros(n)
    out[:voiced] = sig * env
    if consonant:
        # Short fricative-like noise at the onset: differentiated noise is brighter, like /s/ or /t/.
        m = min(n, int(0.045 * sr))
        noise = np.diff(rng.standard_normal(m + 1)) * np.exp(-np.linspace(0, 5, m))
        out[:m] += 0.25 * noise
    return out


def _synthetic_speech(text: str, speed: float, pitch: int) -> np.ndarray:
    """Speech-like float32 mono signal at _FALLBACK_RATE whose length follows text and speed."""
    sr = _FALLBACK_RATE
    char = 1.0 / (_CHARS_PER_SECOND * speed)
    rng = np.random.default_rng(zlib.crc32(text.encode("utf-8")))
    base_f0 = 85.0 + 1.5 * max(0, min(99, pitch))
    parts: list[np.ndarray] = [np.zeros(int(0.08 * sr))]
    tokens = _TOKEN_RE.findall(text)
    if not any(tok[0].isalnum() for tok in tokens):
        tokens = ["ah", *tokens]  # never silent: even punctuation-only text gets one syllable
    sentence_pos = 0
    for i, tok in enumerate(tokens):
        if tok[0].isalnum():
            low = tok.lower()
            vowels = _VOWEL_RE.findall(low)
            n_syl = min(len(tok), len(vowels)) if vowels else max(1, math.ceil(len(tok) / 2.5))
            n_syl = max(1, n_syl)
            dur = max(len(tok) * char, 0.12 / speed)
            question = i + 1 < len(tokens) and tokens[i + 1].startswith("?")
            for s in range(n_syl):
                # Declination: pitch drifts down through a sentence and resets after it.
                decl = max(0.82, 1.12 - 0.025 * sentence_pos)
                f0 = base_f0 * decl * float(rng.uniform(0.93, 1.07))
                f_end = f0 * (1.15 if question and s == n_syl - 1 else float(rng.uniform(0.9, 1.0)))
                v = vowels[s][0] if s < len(vowels) else "aeiou"[int(rng.integers(5))]
                v = v if v in _VOWEL_FORMANTS else "a"
                parts.append(_syllable(dur / n_syl, f0, f_end, v, rng, consonant=bool(rng.random() < 0.6)))
                sentence_pos += 1
        elif tok[0] in ".!?":
            parts.append(np.zeros(int(0.3 / speed * sr)))
            sentence_pos = 0
        elif tok[0] in ",;:":
            parts.append(np.zeros(int(0.15 / speed * sr)))
        else:
            parts.append(np.zeros(int(len(tok) * char * sr)))
    parts.append(np.zeros(int(0.12 * sr)))
    sig = np.concatenate(parts)
    if len(sig) < int(_MIN_SPEECH_SECONDS * sr):
        sig = np.concatenate([sig, np.zeros(int(_MIN_SPEECH_SECONDS * sr) - len(sig))])
    peak = float(np.max(np.abs(sig))) or 1.0
    return (sig / peak * 0.7).astype(np.float32)


def _espeak_binary() -> str | None:
    return shutil.which(ESPEAK_COMMAND) if ESPEAK_COMMAND else None


_VOICE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_+\-]*$")


def _espeak_voices(voice: str, language: str | None) -> list[str]:
    """Voices to try in order: the requested one (retargeted to language) then plain en-us."""
    voice = voice.strip() if _VOICE_RE.match(voice.strip() or "-") else "en-us"
    base, plus, variant = voice.partition("+")
    if language:
        lang = language.strip().lower().replace("_", "-")
        if _VOICE_RE.match(lang or "-") and base.split("-")[0].lower() != lang.split("-")[0]:
            voice = lang + plus + variant
    out = [voice]
    if voice != "en-us":
        out.append("en-us")
    return out


def _run_espeak(
    exe: str, text: str, speed: float, voice: str, language: str | None, pitch: int
) -> np.ndarray | None:
    """Speech from espeak-ng as float32 mono at _FALLBACK_RATE, or None if every attempt failed."""
    wpm = max(80, min(500, round(_ESPEAK_WPM * speed)))
    pitch = max(0, min(99, pitch))
    with tempfile.TemporaryDirectory(prefix="videogen-tts-") as tmp:
        wav_path = Path(tmp) / "speech.wav"
        for v in _espeak_voices(voice, language):
            cmd = [exe, "-v", v, "-s", str(wpm), "-p", str(pitch), "-b", "1", "-w", str(wav_path), "--stdin"]
            try:
                # Text goes through stdin: nothing is shell-parsed and a leading "-" is not an option.
                subprocess.run(
                    cmd,
                    input=text.encode("utf-8"),
                    capture_output=True,
                    timeout=30 + len(text) / 50,
                    check=True,
                )
                with wave.open(str(wav_path), "rb") as wf:
                    rate, width, channels = wf.getframerate(), wf.getsampwidth(), wf.getnchannels()
                    raw = wf.readframes(wf.getnframes())
            except (OSError, subprocess.SubprocessError, wave.Error, EOFError):
                continue
            if width != 2 or not raw:
                continue
            pcm = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
            if channels > 1:
                pcm = pcm.reshape(-1, channels).mean(axis=1)
            if pcm.size and float(np.max(np.abs(pcm))) > 1e-3:
                return _with_rate(pcm, rate)
    return None


def _with_rate(pcm: np.ndarray, rate: int) -> np.ndarray:
    # espeak-ng always speaks at 22050 Hz; anything else would need resampling before MP3 encoding.
    if rate == _FALLBACK_RATE:
        return pcm
    n = round(len(pcm) * _FALLBACK_RATE / rate)
    return np.interp(np.linspace(0, len(pcm) - 1, n), np.arange(len(pcm)), pcm).astype(np.float32)


def _write_mp3(samples: np.ndarray, rate: int, out_path: Path) -> None:
    with _atomic_target(out_path) as tmp, av.open(str(tmp), "w", format="mp3") as container:
        stream = container.add_stream("libmp3lame", rate=rate, layout="mono", bit_rate=64000)
        chunk = 1152 * 8
        for start in range(0, len(samples), chunk):
            frame = av.AudioFrame.from_ndarray(
                samples[None, start : start + chunk], format="fltp", layout="mono"
            )
            frame.sample_rate = rate
            frame.pts = start
            frame.time_base = Fraction(1, rate)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))


def synthesize_speech(
    text: str,
    out_path: Path,
    *,
    speed: float = 1.0,
    language: str | None = None,
    voice: str = "en-us",
    pitch: int = 50,
) -> float:
    """Write spoken text as mono MP3 at out_path (atomically); returns its duration in seconds."""
    if not math.isfinite(speed) or speed <= 0:
        raise ValueError(f"speed must be a positive number, not {speed!r}")
    speed = min(max(speed, 0.25), 4.0)
    samples: np.ndarray | None = None
    exe = _espeak_binary()
    if exe and text.strip():
        samples = _run_espeak(exe, text, speed, voice, language, pitch)
    if samples is None:
        samples = _synthetic_speech(text, speed, pitch)
    min_len = int(_MIN_SPEECH_SECONDS * _FALLBACK_RATE)
    if len(samples) < min_len:
        samples = np.concatenate([samples, np.zeros(min_len - len(samples), dtype=np.float32)])
    _write_mp3(samples, _FALLBACK_RATE, Path(out_path))
    return len(samples) / _FALLBACK_RATE


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
        _atomic_target(out_path) as tmp,
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


# ---------------------------------------------------------------------------------------------
# probing
# ---------------------------------------------------------------------------------------------


def probe_duration(path: Path) -> float:
    """Duration in seconds of an audio/video file (0.0 for a still image).

    Raises ValueError for content FFmpeg cannot read and OSError for a missing/unreadable file.
    """
    try:
        with av.open(str(path), container_options=_AV_OPTIONS) as container:
            if container.duration:
                return container.duration / av.time_base
            best = 0.0
            for stream in container.streams:
                if stream.duration and stream.time_base:
                    best = max(best, float(stream.duration * stream.time_base))
            if best:
                return best
            # No header duration (e.g. raw ADTS): decode and take the last timestamp.
            end = 0.0
            for frame in container.decode(*[s for s in container.streams if s.type in ("audio", "video")]):
                if frame.time is not None:
                    extra = frame.samples / frame.sample_rate if isinstance(frame, av.AudioFrame) else 0.0
                    end = max(end, frame.time + extra)
            return end
    except av.FFmpegError as exc:
        if isinstance(exc, OSError):  # a missing or unreadable file is not "bad media"
            raise
        raise ValueError(f"cannot read media duration of {path}: {exc}") from exc


_IMAGE_MAGIC: tuple[bytes, ...] = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a")
# Demuxers of real audio/video files. FFmpeg also "opens" text (tty/ANSI art), subtitles and
# playlists that can point at other files or URLs; none of those is media to the sandbox.
_AV_FORMATS = frozenset(
    {"mp3", "mov", "mp4", "m4a", "3gp", "matroska", "webm", "wav", "w64", "ogg", "flac", "aac", "avi"}
    | {"mpegts", "mpeg", "flv", "asf", "amr", "aiff", "caf", "au"}
)


def detect_media_type(path: Path) -> str | None:
    """'AUDIO', 'VIDEO' or 'IMAGE' judged by content, or None for anything else; never raises."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError:
        return None
    if head.startswith(_IMAGE_MAGIC) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        return "IMAGE"
    if not head:
        return None
    try:
        with av.open(str(path), container_options=_AV_OPTIONS) as container:
            if not _AV_FORMATS.intersection(container.format.name.split(",")):
                return None
            # Cover art in MP3/M4A shows up as a one-picture "video" stream; it is still audio.
            video = [
                s
                for s in container.streams.video
                if not (s.disposition & av.stream.Disposition.attached_pic) and s.codec_context.width
            ]
            audio = [s for s in container.streams.audio if s.codec_context.sample_rate]
            target = video[0] if video else audio[0] if audio else None
            if target is None:
                return None
            # FFmpeg's probe accepts some junk (e.g. as MP3 with a lucky sync word): insist on a frame.
            for _frame in container.decode(target):
                return "VIDEO" if video else "AUDIO"
            return None
    except Exception:  # garbage may fail in many ways inside FFmpeg; the contract is "never raises"
        return None
