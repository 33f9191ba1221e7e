"""Still frames of local clips, for the variation strip and the library: decoded off the GUI thread.

PyAV (already a dependency) is imported lazily in the worker, so start-up never pays for it. Results are
QImages (thread-safe); the GUI turns them into pixmaps. One grabber is shared by whoever needs stills.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QThreadPool, Signal
from PySide6.QtGui import QImage

from .. import worker_results

#: Where in the clip the still is taken: the very first frame of a talking head is often mid-blink or black.
STILL_AT_SECONDS = 0.4
MAX_FRAMES_DECODED = 40


def grab_still(path: Path, width: int) -> QImage:
    """A still of the clip `width` pixels wide (height by aspect); a null QImage when it cannot be read."""
    import av  # lazy: ~100 ms of imports nobody needs at start-up

    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                return QImage()
            stream = container.streams.video[0]
            chosen = None
            for count, frame in enumerate(container.decode(stream)):
                chosen = frame
                if (frame.time or 0.0) >= STILL_AT_SECONDS or count >= MAX_FRAMES_DECODED:
                    break
            if chosen is None or not chosen.width:
                return QImage()
            height = max(2, round(chosen.height * width / chosen.width) // 2 * 2)
            rgb = chosen.reformat(width=width, height=height, format="rgb24").to_ndarray()
    except (OSError, ValueError, av.error.FFmpegError):
        return QImage()
    image = QImage(rgb.data, width, height, rgb.strides[0], QImage.Format.Format_RGB888)
    return image.copy()  # own the pixels: the numpy buffer goes away with this frame


class FrameGrabber(QObject):
    """Asynchronous, cached stills. `request(path)`; `stillReady(path_str, QImage)` follows (a null image when
    the clip cannot be read)."""

    stillReady = Signal(str, QImage)

    def __init__(self, parent: QObject | None = None, *, width: int = 240) -> None:
        super().__init__(parent)
        self._width = width
        self._cache: dict[str, QImage] = {}
        self._asked: set[str] = set()
        self._deliver = worker_results.to(self._store)  # from the pool thread, dropped if we are gone

    def still(self, path: Path | str) -> QImage | None:
        return self._cache.get(str(path))

    def request(self, path: Path | str) -> None:
        key = str(path)
        if key in self._cache:
            self.stillReady.emit(key, self._cache[key])
            return
        if key in self._asked:
            return
        self._asked.add(key)
        deliver, width = self._deliver, self._width

        def work() -> None:
            deliver(key, grab_still(Path(key), width))

        QThreadPool.globalInstance().start(work)

    def _store(self, key: str, image: QImage) -> None:
        self._asked.discard(key)
        if not image.isNull():
            self._cache[key] = image
        self.stillReady.emit(key, image)
