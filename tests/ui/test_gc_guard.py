"""The GUI-thread garbage collector: automatic collection off, cycles freed when the event loop goes idle."""

from __future__ import annotations

import gc
import weakref

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from videogen_studio.ui.gc_guard import GuiThreadGarbageCollector


class Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle only the cyclic collector can free


def test_collects_cycles_on_check_and_restores_gc(qapp: QApplication) -> None:
    assert gc.isenabled()
    guard = GuiThreadGarbageCollector()
    try:
        assert not gc.isenabled()
        node = Node()
        ref = weakref.ref(node)
        del node
        for _ in range(gc.get_threshold()[0] + 10):  # allocate past the generation-0 threshold
            Node()
        assert ref() is not None  # automatic collection is off, so the cycle is still alive
        assert guard.check() > 0
        assert ref() is None
    finally:
        guard.stop()
    assert gc.isenabled()


def test_collects_when_the_event_loop_is_about_to_sleep(qapp: QApplication) -> None:
    guard = GuiThreadGarbageCollector()
    try:
        node = Node()
        ref = weakref.ref(node)
        del node
        for _ in range(gc.get_threshold()[0] + 10):
            Node()
        assert ref() is not None
        idle = QEventLoop()
        QTimer.singleShot(50, idle.quit)
        idle.exec()  # the loop runs out of events and is about to block (sleep): the guard checks then
        assert ref() is None
    finally:
        guard.stop()
