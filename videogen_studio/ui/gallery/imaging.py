"""Image decoding and cover rendering for worker threads, done by Pillow so the GUI thread keeps running.

Why Pillow and not QImage: PySide6 holds the GIL for the whole of a QImage/QImageReader/QPainter call, so a
"background" decode or smooth scale with Qt froze the GUI thread just as long (issue 11: 15–140 ms stalls
while scrolling the gallery). Pillow releases the GIL while it decodes, resizes and composites; only the
final copy into a `QImage` (a memcpy of a card-sized image) holds it.

The work runs on one dedicated thread (`EXECUTOR`: decoding for `ThumbnailCache`, covers for `CoverCache`), so
on a two-core machine a screenful of decodes and covers leaves a core, and most of the GIL, to the GUI thread.

Every function here runs on any thread and answers `QImage`s in `Format_ARGB32_Premultiplied`
(translucent) or `Format_RGB32` (opaque), the formats the raster paint engine draws fastest.
"""

from __future__ import annotations

import io
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QImage

if TYPE_CHECKING:
    from PIL import Image

# Pillow is imported off the GUI thread (`preload`, else at the first picture): importing it here would put
# ~20 ms on the app's start-up path before its first frame.

#: The imaging thread for `ThumbnailCache` (decoding) and `CoverCache` (covers): one, not asyncio's default
#: pool (cores + 4 threads), so a screenful of decodes and covers leaves the GUI thread a core on a two-core
#: machine and only one other thread to share the GIL with, and few threads' malloc arenas keep freed image
#: memory. (Not a lower OS priority: a descheduled thread holding the GIL stalls the GUI
#: longer.)
EXECUTOR = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gallery-imaging")

_preloaded = threading.Event()


def preload() -> None:
    """Import Pillow on the decoding thread now (once), not when the first picture is needed: its import
    holds the GIL for ~20 ms, which would freeze the GUI thread in the middle of painting the first cards."""
    if not _preloaded.is_set():
        _preloaded.set()
        EXECUTOR.submit(_import_pillow)


def _import_pillow() -> None:
    from PIL import Image, ImageChops, ImageDraw, ImageOps  # noqa: F401

    # What Pillow imports lazily at its first use, too: the common formats' decoders (PNG, JPEG, GIF, BMP)
    # at the first open, the colour parser at the first drawing.
    Image.preinit()
    render_cover(QImage(4, 4, QImage.Format.Format_RGB32), QSize(4, 4), 1.0)


_MASK_SUPERSAMPLE = 4  # the rounded corners' mask is drawn 4x and reduced: antialiased edges
_masks: dict[tuple[int, int, int], Image.Image] = {}
_masks_lock = threading.Lock()


def expanded(size: QSize, max_px: int) -> QSize:
    """`size` scaled so its shorter side is `max_px` (never enlarged): what a `max_px` card needs."""
    if min(size.width(), size.height()) <= max_px:
        return QSize(size)
    return size.scaled(max_px, max_px, Qt.AspectRatioMode.KeepAspectRatioByExpanding)


def decode(data: bytes, max_px: int | None = None) -> QImage | None:
    """Image bytes → QImage, EXIF orientation applied, at most `max_px` on its shorter side (decoded at
    that size where the format allows: JPEG's draft mode). None when the bytes are not an image."""
    if not data:
        return None
    from PIL import Image, ImageOps

    try:
        with Image.open(io.BytesIO(data)) as opened:
            if max_px:
                wanted = expanded(QSize(*opened.size), max_px)
                opened.draft("RGB", (wanted.width(), wanted.height()))  # JPEG only; others ignore it
            image = ImageOps.exif_transpose(opened)  # a loaded copy, turned upright
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None
    if max_px:
        target = expanded(QSize(*image.size), max_px)
        if (target.width(), target.height()) != image.size:
            size = (target.width(), target.height())
            image = image.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0)
    return to_qimage(image)


def to_qimage(image: Image.Image) -> QImage:
    """A Pillow image as a QImage that owns its pixels."""
    translucent = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info
    rgba = image.convert("RGBA") if image.mode != "RGBA" else image
    if translucent:
        raw, fmt = rgba.tobytes("raw", "BGRa"), QImage.Format.Format_ARGB32_Premultiplied
    else:
        raw, fmt = rgba.tobytes("raw", "BGRA"), QImage.Format.Format_RGB32  # alpha bytes are 255
    width, height = rgba.size
    # copy(): the QImage must own its pixels, not borrow the bytes object's buffer.
    return QImage(raw, width, height, width * 4, fmt).copy()


def from_qimage(image: QImage) -> Image.Image:
    """A QImage as an RGBA Pillow image (a copy)."""
    from PIL import Image

    if image.format() not in (QImage.Format.Format_RGB32, QImage.Format.Format_ARGB32_Premultiplied):
        image = image.convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)
    raw = bytes(image.constBits())
    size = (image.width(), image.height())
    if image.format() == QImage.Format.Format_RGB32:
        return Image.frombuffer("RGB", size, raw, "raw", "BGRX", image.bytesPerLine(), 1).convert("RGBA")
    return Image.frombuffer("RGBA", size, raw, "raw", "BGRa", image.bytesPerLine(), 1).copy()


def _top_rounded_mask(width: int, height: int, radius: int) -> Image.Image:
    """An L mask: opaque, with the two top corners rounded (antialiased). Cached per size."""
    key = (width, height, radius)
    mask = _masks.get(key)
    if mask is not None:
        return mask
    from PIL import Image, ImageDraw

    big = Image.new("L", (width * _MASK_SUPERSAMPLE, height * _MASK_SUPERSAMPLE), 0)
    r = radius * _MASK_SUPERSAMPLE
    # A rounded rectangle taller than the image by the radius: rounded top, square bottom.
    ImageDraw.Draw(big).rounded_rectangle((0, 0, big.width - 1, big.height - 1 + 2 * r), r, fill=255)
    mask = big.resize((width, height), Image.Resampling.BOX)
    with _masks_lock:
        if len(_masks) > 16:  # a handful of card sizes in practice; never grows with the catalog
            _masks.clear()
        _masks[key] = mask
    return mask


def render_cover(source: QImage, target: QSize, radius: float) -> QImage:
    """Fill `target` (device pixels) with `source`, cropping the overflow (faces sit high: crop the bottom
    more), high-quality scaled, top corners rounded to `radius` (device pixels). Any thread."""
    from PIL import Image, ImageChops, ImageOps

    size = (max(1, target.width()), max(1, target.height()))
    picture = from_qimage(source)
    # Lanczos where it shows (shrinking a large picture); enlarging a small thumbnail, bicubic looks the
    # same and costs a third less.
    shrinking = min(picture.width / size[0], picture.height / size[1]) > 1
    method = Image.Resampling.LANCZOS if shrinking else Image.Resampling.BICUBIC
    image = ImageOps.fit(picture, size, method, centering=(0.5, 0.25))
    mask = _top_rounded_mask(size[0], size[1], max(0, round(radius)))
    alpha = image.getchannel("A")
    lowest = alpha.getextrema()[0]  # an L image: (min, max)
    opaque = isinstance(lowest, int) and lowest == 255
    image.putalpha(mask if opaque else ImageChops.multiply(alpha, mask))
    raw = image.tobytes("raw", "BGRa")
    return QImage(raw, size[0], size[1], size[0] * 4, QImage.Format.Format_ARGB32_Premultiplied).copy()
