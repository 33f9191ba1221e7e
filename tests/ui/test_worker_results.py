"""worker_results: a worker's result reaches a live receiver on the GUI thread, and a deleted one never."""

from __future__ import annotations

import threading

import shiboken6
from PySide6.QtCore import QObject, QThread
from PySide6.QtWidgets import QApplication

from videogen_studio.ui import worker_results


class Receiver(QObject):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.got: list[tuple[object, ...]] = []
        self.threads: list[QThread] = []

    def take(self, *args: object) -> None:
        self.got.append(args)
        self.threads.append(QThread.currentThread())


def _from_a_worker(deliver, *args: object) -> None:  # type: ignore[no-untyped-def]
    worker = threading.Thread(target=deliver, args=args)
    worker.start()
    worker.join()


def test_a_result_from_a_worker_is_taken_on_the_gui_thread(qtbot, qapp: QApplication) -> None:
    receiver = Receiver()
    _from_a_worker(worker_results.to(receiver.take), "clip.mp4", 42)
    assert receiver.got == []  # queued: nothing runs on the worker
    qtbot.waitUntil(lambda: receiver.got == [("clip.mp4", 42)])
    assert receiver.threads == [qapp.thread()]


def test_a_receiver_deleted_before_the_result_arrives_is_never_called(qtbot) -> None:
    parent = QObject()
    receiver = Receiver(parent)
    deliver = worker_results.to(receiver.take)
    calls = receiver.got
    shiboken6.delete(parent)  # the C++ side goes with its parent, as a closed gallery's caches do
    assert not shiboken6.isValid(receiver)
    _from_a_worker(deliver, "late")
    alive = Receiver()  # a later delivery to a live receiver shows the queue has been processed
    _from_a_worker(worker_results.to(alive.take), "next")
    qtbot.waitUntil(lambda: alive.got == [("next",)])
    assert calls == []


def test_a_receiver_whose_python_side_is_gone_is_never_called(qtbot) -> None:
    taken: list[object] = []

    class Counting(Receiver):
        def take(self, *args: object) -> None:
            taken.append(args)

    deliver = worker_results.to(Counting().take)  # nothing keeps the receiver: collected at once
    _from_a_worker(deliver, "late")
    alive = Receiver()
    _from_a_worker(worker_results.to(alive.take), "next")
    qtbot.waitUntil(lambda: alive.got == [("next",)])
    assert taken == []


def test_many_workers_racing_the_receivers_deletion(qtbot, qapp: QApplication) -> None:
    # The crash this module prevents: a cover scaled on a worker while its owner was torn down. Receivers
    # are deleted while workers deliver to them; live ones get every result, deleted ones none, no crash.
    kept = Receiver()
    keep = worker_results.to(kept.take)
    for _round in range(20):
        doomed_parent = QObject()
        doomed = Receiver(doomed_parent)
        lose = worker_results.to(doomed.take)
        workers = [threading.Thread(target=f, args=(i,)) for i, f in enumerate([lose, keep] * 5)]
        for worker in workers:
            worker.start()
        shiboken6.delete(doomed_parent)
        for worker in workers:
            worker.join()
    qtbot.waitUntil(lambda: len(kept.got) == 20 * 5)
    assert sorted({args[0] for args in kept.got}) == [1, 3, 5, 7, 9]
