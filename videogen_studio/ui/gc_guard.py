"""Run Python's cyclic garbage collector on the GUI thread only.

Automatic collection can start in any thread that allocates (the sandbox's server threads, asyncio's
to_thread workers). If it frees a cycle holding Qt objects there, Qt objects are destroyed off the GUI thread
and the app can crash. So automatic collection is switched off and the GUI thread collects, generation by
generation, with the same thresholds Python would use.

It checks each time the GUI thread's event loop is about to sleep (`aboutToBlock`), not on a timer: an idle
app then wakes up for nothing (a 500 ms timer cost two wake-ups a second), while a busy one still checks
after every batch of events — and a check is two integer comparisons when nothing is due.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QAbstractEventDispatcher, QObject


class GuiThreadGarbageCollector(QObject):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thresholds = gc.get_threshold()
        self._was_enabled = gc.isenabled()
        gc.disable()
        # The calling (GUI) thread's dispatcher; absent only before a QCoreApplication exists.
        self._dispatcher: QAbstractEventDispatcher | None = QAbstractEventDispatcher.instance()
        if self._dispatcher is not None:
            self._dispatcher.aboutToBlock.connect(self.check)

    def check(self) -> int:
        """Collect the generations whose allocation counts passed their thresholds. Returns objects freed."""
        count0, count1, count2 = gc.get_count()
        freed = 0
        if count0 > self._thresholds[0]:
            freed += gc.collect(0)
            if count1 > self._thresholds[1]:
                freed += gc.collect(1)
                if count2 > self._thresholds[2]:
                    freed += gc.collect(2)
        return freed

    def stop(self) -> None:
        if self._dispatcher is not None:
            self._dispatcher.aboutToBlock.disconnect(self.check)
            self._dispatcher = None
        if self._was_enabled:
            gc.enable()
