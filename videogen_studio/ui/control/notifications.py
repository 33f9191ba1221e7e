"""Tell the user what the render queue did while they looked elsewhere: a finished clip opens on the Result
page, failures and rate-limit waits show in the banner, status bar and system tray.

Subscribes to the pipeline's events itself (the queue panel's model does the same for its rows).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication, QSystemTrayIcon

from ...pipeline.jobs import JobState
from .. import wording
from ..theme import app_icon

if TYPE_CHECKING:
    from ..main_window import MainWindow


class Notifier(QObject):
    #: A render finished (the job); the window shows it on the Result page.
    renderFinished = Signal(object)

    def __init__(self, window: MainWindow, open_account: Callable[[], None]) -> None:
        super().__init__(window)
        self.window = window
        self._open_account = open_account
        self._unsubscribe: list[Callable[[], None]] = []
        self._tray: QSystemTrayIcon | None = None
        self._rate_until = 0.0
        self._rate_timer = QTimer(self)
        self._rate_timer.setInterval(500)
        self._rate_timer.timeout.connect(self._tick_rate_limit)
        self._finished: Any = None
        self._finish_timer = QTimer(self)
        self._finish_timer.setSingleShot(True)
        self._finish_timer.setInterval(0)
        self._finish_timer.timeout.connect(self._emit_finished)
        #: Open the Result page by itself when a render finishes (off in tests that check other pages).
        self.open_results = True

    def attach(self, session: Any) -> None:
        self.detach()
        self._unsubscribe.append(session.queue.subscribe(self._on_job_event))
        self._unsubscribe.append(session.add_rate_limit_listener(self._on_rate_limit))

    def detach(self) -> None:
        while self._unsubscribe:
            self._unsubscribe.pop()()
        self._finish_timer.stop()
        self._finished = None
        self._rate_until = 0.0
        self._tick_rate_limit()

    # ------------------------------------------------------------------------------------------ jobs
    def _on_job_event(self, event: Any) -> None:
        job = event.job
        if event.kind != "changed" or not job.state.is_terminal:
            return
        who = job.spec.presenter_name or job.spec.presenter_id
        if job.state == JobState.DONE:
            self._notify("Render finished", f"{who}: {Path(job.output_path or '').name}")
            self.window.show_status(f"Render finished: {job.output_path}", 10000)
            notice = wording.job_notice(job)
            if notice:
                self.window.banner.show_message(notice, "info")
            # Renders that finish in one event-loop turn open once, the newest (a burst of 200 would
            # otherwise build the Result page 200 times in a row).
            self._finished = job
            if not self._finish_timer.isActive():
                self._finish_timer.start()
        elif job.state == JobState.FAILED:
            message, hint = wording.job_failure(job)
            self._notify("Render failed", f"{who}: {message}", error=True)
            self.window.show_status(f"Render failed: {message}", 10000)
            kind = getattr(job, "error_kind", None) or job.error_code
            if kind in ("auth", "invalid_api_key", "missing_api_key"):
                self.window.banner.show_message(f"{message} {hint}", "error", "Account…", self._open_account)

    def _emit_finished(self) -> None:
        job, self._finished = self._finished, None
        if job is not None:
            self.renderFinished.emit(job)

    def _notify(self, title: str, text: str, *, error: bool = False) -> None:
        if QSystemTrayIcon.isSystemTrayAvailable():
            if self._tray is None:
                self._tray = QSystemTrayIcon(app_icon(), self)
                self._tray.show()
            icon = QSystemTrayIcon.MessageIcon.Warning if error else QSystemTrayIcon.MessageIcon.Information
            self._tray.showMessage(title, text, icon, 6000)
        QApplication.alert(self.window)

    # ------------------------------------------------------------------------------------------ rate limit
    def _on_rate_limit(self, group: str, seconds: float) -> None:
        self._rate_until = max(self._rate_until, time.monotonic() + seconds)
        self._tick_rate_limit()
        self._rate_timer.start()

    def _tick_rate_limit(self) -> None:
        remaining = round(self._rate_until - time.monotonic())
        self.window.set_rate_limit_countdown(max(0, remaining))
        if remaining <= 0:
            self._rate_timer.stop()
