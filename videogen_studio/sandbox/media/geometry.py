"""Face geometry shared by portraits and the talking-head video: percent coordinates, zoom, mouth box.

Pure Python: the video overlays find the mouth and eyes of any portrait from its size alone.
"""

from __future__ import annotations

import math

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


def _xy(x: float, y: float, px: float) -> tuple[float, float]:
    """Design-percent point -> pixel position on a px-wide canvas (applies the zoom)."""
    zx, zy = _ZOOM_CENTRE
    k = px / 100.0
    return ((zx + (x - zx) * _ZOOM) * k, (zy + (y - zy) * _ZOOM) * k)


def _pixel_box(box: Box, px: float) -> list[float]:
    x0, y0 = _xy(box[0], box[1], px)
    x1, y1 = _xy(box[2], box[3], px)
    return [x0, y0, x1, y1]


def mouth_box(size: int) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of the mouth area in a portrait of the given size."""
    x0, y0, x1, y1 = _pixel_box(_MOUTH_BOX, size)
    return (math.floor(x0), math.floor(y0), math.ceil(x1), math.ceil(y1))
