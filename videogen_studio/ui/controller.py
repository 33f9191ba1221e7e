"""Wires the main window to a Session: every click that needs the network starts a coroutine here.

Widgets never await HTTP themselves; they emit signals, and this controller runs the work as asyncio tasks
on the qasync loop (references kept in `_tasks`), then pushes results back into the widgets.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication, QMessageBox, QSystemTrayIcon

from ..api.client import VideoGenClient
from ..api.errors import AuthError, VideoGenError
from ..api.models import AvatarPresenter, TtsRequest
from ..credentials import KeyringUnavailable, SecretStore
from ..paths import AppPaths
from ..pipeline.jobs import JobState, RenderSpec
from ..pipeline.queue import JobEvent
from ..session import Session
from ..settings import Settings, save_settings
from .dialogs.account_dialog import AccountDialog
from .dialogs.settings_dialog import SettingsDialog
from .main_window import MainWindow
from .theme import app_icon

log = logging.getLogger(__name__)

SHORTCUTS = """<table cellpadding=3>
<tr><td><b>Ctrl+Enter</b></td><td>Render the script with the chosen presenter</td></tr>
<tr><td><b>Ctrl+P</b></td><td>Preview the voice</td></tr>
<tr><td><b>Ctrl+1 / 2 / 3</b></td><td>Go to presenters / script / queue</td></tr>
<tr><td><b>Arrows, Home, End</b></td><td>Move through the presenters</td></tr>
<tr><td><b>F</b></td><td>Mark the selected presenter as favorite</td></tr>
<tr><td><b>Space</b></td><td>Play / pause the clip (player focused)</td></tr>
<tr><td><b>F11</b>, <b>Esc</b></td><td>Full-screen player, leave full screen</td></tr>
<tr><td><b>F5</b></td><td>Reload presenters and voices</td></tr>
<tr><td><b>Ctrl+,</b></td><td>Settings</td></tr>
</table>"""


class StudioController(QObject):
    #: A session is connected and presenters/voices are loaded (tests and benchmarks wait on this).
    ready = Signal()
    #: The window is closed and the session shut down.
    finished = Signal()

    def __init__(
        self,
        window: MainWindow,
        settings: Settings,
        paths: AppPaths,
        secrets: SecretStore,
        *,
        sandbox_config: object | None = None,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.settings = settings
        self.paths = paths
        self.secrets = secrets
        self.session: Session | None = None
        self.presenters: dict[str, AvatarPresenter] = {}
        self._sandbox_config = sandbox_config
        self._tasks: set[asyncio.Task[Any]] = set()
        self._unsubscribe: Any = None
        self._rate_until = 0.0
        # The open non-modal dialogs, kept referenced while they are shown.
        self._account_dialog: AccountDialog | None = None
        self._settings_dialog: SettingsDialog | None = None
        self._info_box: QMessageBox | None = None
        self._tray: QSystemTrayIcon | None = None
        self._preview_dir = paths.cache / "previews"

        self._rate_timer = QTimer(self)
        self._rate_timer.setInterval(500)
        self._rate_timer.timeout.connect(self._tick_rate_limit)

        w = window
        w.gallery.presenterSelected.connect(self._on_presenter_selected)
        # Bound methods throughout (see _apply_account): no lambdas capturing widgets.
        w.gallery.presenterActivated.connect(self._focus_editor)
        w.gallery.retryRequested.connect(self.reload_catalog)
        w.reload_action.triggered.connect(self.reload_catalog)
        w.editor.previewRequested.connect(self.request_preview)
        w.editor.renderRequested.connect(self.submit_render)
        w.queue_panel.playRequested.connect(self.play)
        w.queue_panel.cancelRequested.connect(self.request_cancel)
        w.queue_panel.retryRequested.connect(self.retry_job)
        w.queue_panel.removeRequested.connect(self.remove_job)
        w.account_action.triggered.connect(self.open_account_dialog)
        w.settings_action.triggered.connect(self.open_settings_dialog)
        w.open_downloads_action.triggered.connect(self._open_downloads)
        w.shortcuts_action.triggered.connect(self._show_shortcuts)
        w.about_action.triggered.connect(self._show_about)
        w.closeRequested.connect(self.request_shutdown)

    # Slots that start coroutines.
    def reload_catalog(self) -> None:
        self.spawn(self.load_catalog())

    def request_preview(self, request: TtsRequest) -> None:
        self.spawn(self.preview_voice(request))

    def request_cancel(self, job_id: str) -> None:
        self.spawn(self.cancel_job(job_id))

    def request_shutdown(self) -> None:
        self.spawn(self.shutdown())

    def reconnect(self) -> None:
        self.spawn(self.connect())

    def play(self, path: Path) -> None:
        self.window.player.load(path, autoplay=True)

    def _focus_editor(self, _presenter: object = None) -> None:
        self.window.editor.setFocus()

    # ------------------------------------------------------------------------------------------ tasks
    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run a coroutine on the qasync loop; keep a reference so it is not garbage-collected mid-flight."""
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            log.error("background task failed", exc_info=exc)
            self.window.banner.show_message(f"Something went wrong: {exc}", "error")

    # ------------------------------------------------------------------------------------------ session
    async def start(self) -> None:
        """Connect with the saved settings and load the catalog."""
        await self.connect()

    async def connect(self) -> None:
        await self._close_session()
        w = self.window
        w.gallery.show_loading()
        key = None
        if not self.settings.uses_sandbox:
            stored = self.secrets.load()
            if stored is None:
                w.set_mode("Not connected")
                w.gallery.show_error("No API key yet. Open File → Account to add one.")
                w.banner.show_message(
                    "No VideoGen API key found. Add one, or use the offline sandbox.",
                    "warning",
                    "Account…",
                    self.open_account_dialog,
                )
                return
            key = stored.key
        try:
            self.session = await Session.open(
                self.settings, self.paths, key, sandbox_config=self._sandbox_config
            )
        except (VideoGenError, OSError, ValueError) as exc:
            text = exc.user_message() if isinstance(exc, VideoGenError) else str(exc)
            w.gallery.show_error(text)
            w.banner.show_message(f"Could not start: {text}", "error", "Retry", self.reconnect)
            return
        session = self.session
        session.client.limiter.add_wait_listener(self._on_rate_limit)
        if session.offline:
            w.set_mode(
                "● Offline sandbox", f"Embedded VideoGen stand-in at {session.base_url}; renders are free"
            )
        else:
            w.set_mode(f"● {session.base_url.removeprefix('https://')}", "Connected with your API key")
        w.queue_panel.set_jobs(session.queue.jobs())
        self._unsubscribe = session.queue.subscribe(self._on_job_event)
        await self.load_catalog()

    async def load_catalog(self) -> None:
        session = self.session
        if session is None:
            return
        w = self.window
        w.gallery.show_loading()
        try:
            presenters, voices = await asyncio.gather(
                session.client.list_presenters(), session.client.list_voices(include_deprecated=True)
            )
        except VideoGenError as exc:
            w.gallery.show_error(exc.user_message())
            self._show_error(exc)
            return
        self.presenters = {p.avatar_presenter_id: p for p in presenters}
        w.gallery.set_presenters(presenters)
        w.editor.set_voices(voices)
        w.show_status(f"{len(presenters)} presenters and {len(voices)} voices loaded")
        self.ready.emit()

    async def _close_session(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self.session is not None:
            session, self.session = self.session, None
            await session.close()

    async def shutdown(self) -> None:
        # Stop playback first: tearing FFmpeg down mid-play while HTTP clients close is asking for trouble.
        self.window.player.clear()
        self.window.gallery.detail.set_presenter(None)
        try:
            await self._close_session()
        finally:
            for task in list(self._tasks):
                if task is not asyncio.current_task():
                    task.cancel()
            self.window.finish_close()
            self.finished.emit()

    async def fetch_public(self, url: str) -> bytes:
        """Thumbnail loader for the gallery: no API key, shared HTTP client of the current session."""
        if self.session is None:
            raise VideoGenError("Not connected.")
        return await self.session.client.fetch_public(url)

    # ------------------------------------------------------------------------------------------ actions
    def _on_presenter_selected(self, presenter: AvatarPresenter | None) -> None:
        if presenter is None:
            self.window.editor.set_presenter(None)
            return
        self.window.editor.set_presenter(
            presenter.avatar_presenter_id,
            self.window.gallery.model.name_of(presenter),
            presenter.thumbnail_url,
        )

    async def preview_voice(self, request: TtsRequest) -> None:
        session = self.session
        if session is None:
            return
        w = self.window
        w.editor.set_busy_preview(True)
        w.show_status("Synthesising a voice preview…", 0)
        try:
            client: VideoGenClient = session.client
            execution_id = await client.text_to_speech(request)
            execution = await client.wait_for_execution(execution_id, interval=0.5, timeout=300)
            if execution.status != "succeeded" or not execution.results:
                message = execution.error.message if execution.error else f"Preview {execution.status}."
                w.banner.show_message(f"Voice preview failed: {message}", "error")
                return
            target = self._preview_dir / f"preview-{execution.results[0].file_id}.mp3"
            await client.download_file(execution.results[0].file_id, target)
            w.player.load(target, autoplay=True)
            w.show_status("Playing the voice preview")
        except VideoGenError as exc:
            self._show_error(exc, prefix="Voice preview failed")
        finally:
            w.editor.set_busy_preview(False)

    def submit_render(self, spec: RenderSpec) -> None:
        if self.session is None:
            self.window.banner.show_message("Not connected: choose the sandbox or add an API key.", "warning")
            return
        if not spec.output_dir:
            spec = dataclasses.replace(spec, output_dir=self.settings.output_dir)
        job = self.session.queue.submit(spec)
        self.window.queue_panel.select_job(job.job_id)
        self.window.show_status(f"Queued a render with {spec.presenter_name or spec.presenter_id}")

    async def cancel_job(self, job_id: str) -> None:
        if self.session is None:
            return
        try:
            await self.session.queue.cancel(job_id)
        except VideoGenError as exc:
            self._show_error(exc, prefix="Could not cancel")

    def retry_job(self, job_id: str, confirmed: bool) -> None:
        if self.session is None:
            return
        try:
            self.session.queue.retry(job_id, confirm_uncertain=confirmed)
        except (ValueError, KeyError) as exc:
            self.window.banner.show_message(str(exc), "warning")

    def remove_job(self, job_id: str) -> None:
        if self.session is None:
            return
        try:
            self.session.queue.remove(job_id)
        except (ValueError, KeyError) as exc:
            self.window.banner.show_message(str(exc), "warning")

    # ------------------------------------------------------------------------------------------ events
    def _on_job_event(self, event: JobEvent) -> None:
        self.window.queue_panel.apply(event)
        job = event.job
        if event.kind != "changed" or not job.state.is_terminal:
            return
        who = job.spec.presenter_name or job.spec.presenter_id
        if job.state == JobState.DONE:
            self._notify("Render finished", f"{who}: {Path(job.output_path or '').name}")
            self.window.show_status(f"Render finished: {job.output_path}", 10000)
        elif job.state == JobState.FAILED:
            self._notify("Render failed", f"{who}: {job.error_message or 'unknown error'}", error=True)
            if job.error_code in ("invalid_api_key", "missing_api_key"):
                self.window.banner.show_message(
                    f"{job.error_message} {job.error_hint or ''}",
                    "error",
                    "Account…",
                    self.open_account_dialog,
                )

    def _notify(self, title: str, text: str, *, error: bool = False) -> None:
        if QSystemTrayIcon.isSystemTrayAvailable():
            if self._tray is None:
                self._tray = QSystemTrayIcon(app_icon(), self)
                self._tray.show()
            icon = QSystemTrayIcon.MessageIcon.Warning if error else QSystemTrayIcon.MessageIcon.Information
            self._tray.showMessage(title, text, icon, 6000)
        QApplication.alert(self.window)

    def _on_rate_limit(self, group: str, seconds: float) -> None:
        self._rate_until = max(self._rate_until, time.monotonic() + seconds)
        self._tick_rate_limit()
        self._rate_timer.start()

    def _tick_rate_limit(self) -> None:
        remaining = round(self._rate_until - time.monotonic())
        self.window.set_rate_limit_countdown(max(0, remaining))
        if remaining <= 0:
            self._rate_timer.stop()

    def _show_error(self, exc: VideoGenError, prefix: str = "") -> None:
        text = f"{prefix}: {exc.user_message()}" if prefix else exc.user_message()
        if isinstance(exc, AuthError):
            self.window.banner.show_message(text, "error", "Account…", self.open_account_dialog)
        else:
            self.window.banner.show_message(text, "error")

    # ------------------------------------------------------------------------------------------ dialogs
    def open_account_dialog(self) -> None:
        stored = self.secrets.load()
        dialog = AccountDialog(
            self._validate_key,
            self.window,
            base_url=self.settings.base_url if not self.settings.uses_sandbox else "https://api.videogen.io",
            mode="sandbox" if self.settings.uses_sandbox else "api",
            api_key=stored.key if stored else "",
            key_source=stored.source if stored else None,
            keyring_available=self.secrets.keyring_available,
        )
        # Bound methods, not lambdas: PySide6 6.12 can crash when a dialog dies with a lambda connected.
        self._account_dialog = dialog
        dialog.accepted.connect(self._apply_account)
        dialog.open()

    async def _validate_key(self, base_url: str, key: str) -> None:
        async with VideoGenClient(base_url, key) as probe:
            await probe.list_presenters()

    def _apply_account(self) -> None:
        dialog = self._account_dialog
        if dialog is None:
            return
        if dialog.chosen_mode() == "sandbox":
            self.settings.base_url = "sandbox"
        else:
            try:
                self.secrets.save(dialog.api_key(), allow_file=dialog.store_insecurely())
            except KeyringUnavailable as exc:
                self.window.banner.show_message(str(exc), "warning")
                return
            if self.settings.uses_sandbox:
                self.settings.base_url = "https://api.videogen.io"
        save_settings(self.paths, self.settings)
        self.spawn(self.connect())

    def open_settings_dialog(self) -> None:
        self._settings_dialog = SettingsDialog(self.settings, self.window)
        self._settings_dialog.accepted.connect(self._settings_accepted)
        self._settings_dialog.open()

    def _settings_accepted(self) -> None:
        if self._settings_dialog is not None:
            self.apply_settings(self._settings_dialog.result_settings())

    def apply_settings(self, new: Settings) -> None:
        reconnect = new.base_url != self.settings.base_url
        self.settings = new
        save_settings(self.paths, new)
        self.window.editor.set_output_dir(new.output_dir)
        if self.session is not None:
            self.session.queue.concurrency = new.concurrency
        if reconnect:
            self.spawn(self.connect())

    def _open_downloads(self) -> None:
        folder = Path(self.settings.output_dir)
        folder.mkdir(parents=True, exist_ok=True)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    def _show_shortcuts(self) -> None:
        self._info_box = QMessageBox(
            QMessageBox.Icon.NoIcon, "Keyboard shortcuts", SHORTCUTS, parent=self.window
        )
        self._info_box.open()

    def _show_about(self) -> None:
        from .. import __version__

        self._info_box = box = QMessageBox(
            QMessageBox.Icon.NoIcon,
            "About VideoGen Studio",
            f"<b>VideoGen Studio {__version__}</b><p>Turn a typed script into a talking-head video with the "
            "VideoGen API. The offline sandbox renders real clips locally with no account.</p>",
            parent=self.window,
        )
        box.setIconPixmap(app_icon().pixmap(64, 64))
        box.open()
