"""Hand a worker thread's result to a method on the GUI thread, safe against the receiver's deletion.

A worker that emits a signal of a QObject owned by the GUI thread races with that object's deletion: `emit`
on an object being destroyed crashes the process, and `contextlib.suppress(RuntimeError)` only catches an
object that is already gone (seen in the test suite: a cover scaled on the imaging thread while its gallery
was torn down, a segfault in the emit). Qt's rule is that a signal may be emitted from any thread while its
sender lives; so the sender here is one carrier that is never deleted, and the receiver is held weakly and
called on the GUI thread only if it still exists.

    deliver = worker_results.to(self._on_scaled)   # on the GUI thread, where the receiver lives
    executor.submit(work, deliver)                 # the worker calls deliver(*result) when done
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, Qt, QThread, Signal


class _Carrier(QObject):
    carried = Signal(object, object)  # weak receiver, arguments


_carrier: _Carrier | None = None
_lock = threading.Lock()


def _the_carrier() -> _Carrier:
    global _carrier
    with _lock:
        if _carrier is None:
            app = QCoreApplication.instance()
            if app is not None and QThread.currentThread() != app.thread():
                raise RuntimeError("worker_results.to() must first be called on the GUI thread")
            carrier = _Carrier()  # unparented, referenced here for the life of the process: never deleted
            # No context object: a queued call runs in the carrier's thread, the GUI thread.
            carrier.carried.connect(_call, Qt.ConnectionType.QueuedConnection)
            _carrier = carrier
        return _carrier


def _call(receiver: weakref.WeakMethod[Callable[..., Any]], args: tuple[Any, ...]) -> None:
    method = receiver()
    if method is None:
        return  # the receiver's Python side is gone
    owner = getattr(method, "__self__", None)
    if isinstance(owner, QObject) and not shiboken6.isValid(owner):
        return  # its C++ side is gone (deleted with its parent)
    method(*args)


def to(method: Callable[..., Any]) -> Callable[..., None]:
    """A thread-safe `deliver(*args)` that calls the bound `method(*args)` later on the GUI thread, or not at
    all if its object has been deleted by then. Call this on the GUI thread; call `deliver` from any."""
    carrier = _the_carrier()
    receiver = weakref.WeakMethod(method)

    def deliver(*args: Any) -> None:
        carrier.carried.emit(receiver, args)

    return deliver
