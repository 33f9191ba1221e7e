"""Call a C++ slot through the event loop instead of directly from Python."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QMetaObject, QObject, Qt


def invoke_queued(target: QObject, method: str, *args: Any) -> None:
    """Run a C++ slot of `target` from the event loop rather than from Python.

    Why: PySide holds the GIL while a Python call runs C++ code. QMediaPlayer.stop()/setSource() tear down the
    FFmpeg worker threads, whose object destructors call back into Python-made wrappers (disconnectNotify)
    and so wait for the GIL while holding a signal-slot mutex the main thread then waits for: a deadlock,
    reproduced about once in 30 load/clear cycles of a clip with audio. Dispatched by the event loop, the
    C++ slot runs without the GIL and the worker threads can finish.
    """
    if not QMetaObject.invokeMethod(target, method, Qt.ConnectionType.QueuedConnection, *args):
        raise RuntimeError(f"{type(target).__name__} has no slot {method!r} for these arguments")
