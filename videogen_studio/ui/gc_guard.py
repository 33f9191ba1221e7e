"""Run Python's cyclic garbage collector on the GUI thread only.

Automatic collection can start in any thread that allocates (the sandbox's server threads, asyncio's
to_thread workers). If it frees a cycle holding Qt objects there, Qt objects are destroyed off the GUI thread
and the app can crash. So automatic collection is switched off and this timer collects on the GUI thread,
generation by generation, with the same thresholds Python would use.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer


class GuiThreadGarbageCollector(QObject):
    def __init__(self, interval_ms: int = 500, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thresholds = gc.get_threshold()
        self._was_enabled = gc.isenabled()
        gc.disable()
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.check)
        self._timer.start()

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
        self._timer.stop()
        if self._was_enabled:
            gc.enable()
