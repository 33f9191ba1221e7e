"""Presenter portraits (PNG) drawn from a seed, and square thumbnails of any image. Pillow and NumPy."""

from __future__ import annotations

import colorsys
import io
import math
import random
from pathlib import Path

import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageOps

from videogen_studio.sandbox.media.geometry import (
    _CHIN,
    _CX,
    _EYE_DX,
    _EYE_Y,
    _FACE_TOP,
    _ZOOM,
    RGB,
    Box,
    _pixel_box,
    _xy,
)

_SUPERSAMPLE = 2  # draw at 2x and downscale: cheap anti-aliasing for ImageDraw's hard edges
_GENDERS = frozenset({"MALE", "FEMALE", "NEUTRAL"})

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


def image_size(path: Path) -> tuple[int, int]:
    with Image.open(path) as image:
        return image.size
