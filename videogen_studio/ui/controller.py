"""Composes the GUI's controllers for one main window and wires the window's actions and signals to them.

The work is split by job (see `ui/control/`): `SessionControl` (connection, catalog, account and settings
dialogs), `RenderControl` (preflight, queue, cancel/retry/remove, voice preview), `Notifier` (what the queue
did: finished clips, failures, rate-limit waits). Widgets never await HTTP themselves; they emit signals and
the controllers run the work as tasks on the qasync loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication, QMessageBox

from ..api.errors import VideoGenError
from ..credentials import SecretStore
from ..paths import AppPaths
from ..settings import Settings
from . import wording
from .control import performers as performer_items
from .control.cached_catalog import CachedCatalog
from .control.notifications import Notifier
from .control.render_control import RenderControl
from .control.session_control import SessionControl
from .control.tasks import TaskRunner
from .main_window import MainWindow
from .theme import app_icon
from .widgets.audio_preview import AudioPreview

log = logging.getLogger(__name__)

QUIT_WHILE_RENDERING = (
    "A render is still running. If you quit now, it continues where it stopped the next time you open "
    "VideoGen Studio (nothing is paid twice)."
)


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
        cached_on_screen: CachedCatalog | None = None,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.paths = paths
        self.secrets = secrets
        self.runner = TaskRunner(self._task_failed)
        self.sessions = SessionControl(
            window,
            settings,
            paths,
            secrets,
            self.runner,
            sandbox_config=sandbox_config,
            cached_on_screen=cached_on_screen,
        )
        self.renders = RenderControl(window, self.sessions, self.runner)
        self.notifier = Notifier(window, self.sessions.open_account_dialog)
        self.audio_preview = AudioPreview(self)
        self._info_box: QMessageBox | None = None
        self._quit_box: QMessageBox | None = None
        self._quit_confirmed = False

        self.sessions.connected.connect(self._on_connected)
        self.sessions.disconnected.connect(self._on_disconnected)
        self.sessions.catalogLoaded.connect(self.ready)
        self.renders.previewReady.connect(self.audio_preview.play)
        self.notifier.renderFinished.connect(self._show_result)

        a = window.registry
        a["reload"].triggered.connect(self.reload_catalog)
        a["account"].triggered.connect(self.open_account_dialog)
        a["settings"].triggered.connect(self.open_settings_dialog)
        a["open_output"].triggered.connect(self._open_output_folder)
        a["shortcuts"].triggered.connect(self._show_shortcuts)
        a["about"].triggered.connect(self._show_about)
        window.closeRequested.connect(self.request_shutdown)
        window.confirm_close = self._confirm_close
        if window.parts_built:
            self._wire_parts()
        else:
            window.partsReady.connect(self._wire_parts)

    def _wire_parts(self) -> None:
        w = self.window
        # Bound methods throughout: no lambdas capturing widgets.
        w.gallery.presenterSelected.connect(self._on_presenter_selected)
        w.gallery.presenterActivated.connect(self._focus_editor)
        w.gallery.retryRequested.connect(self.reload_catalog)
        w.editor.previewRequested.connect(self.renders.request_preview)
        w.editor.renderRequested.connect(self.renders.submit_render)
        if w.results is not None and hasattr(w.queue_panel, "resultRequested"):
            w.queue_panel.resultRequested.connect(self.play_job)
        else:
            w.queue_panel.playRequested.connect(self.play)
        if w.library is not None and hasattr(w.library, "playRequested"):
            w.library.playRequested.connect(self.play_source)
            w.library.reuseRequested.connect(self.reuse_spec)
            w.library.titleEdited.connect(self._title_edited)
        w.queue_panel.cancelRequested.connect(self.renders.request_cancel)
        w.queue_panel.retryRequested.connect(self.renders.retry_job)
        w.queue_panel.removeRequested.connect(self.renders.remove_job)
        if self.session is not None:  # the parts arrived after the connection
            self._attach_editor(self.session)

    # ------------------------------------------------------------------------------------------ state
    @property
    def settings(self) -> Settings:
        return self.sessions.settings

    @settings.setter
    def settings(self, value: Settings) -> None:
        self.sessions.settings = value

    @property
    def session(self) -> Any:
        return self.sessions.session

    @property
    def presenters(self) -> dict[str, Any]:
        return self.sessions.presenters

    # ------------------------------------------------------------------------------------------ tasks
    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        return self.runner.spawn(coro)

    def _task_failed(self, exc: BaseException) -> None:
        self.window.banner.show_message(wording.describe_error(exc, prefix="Something went wrong"), "error")

    # ------------------------------------------------------------------------------------------ session
    async def start(self) -> None:
        """Connect with the saved settings and load the catalog."""
        await self.sessions.connect_account()

    async def connect_account(self) -> None:
        await self.sessions.connect_account()

    def reconnect(self) -> None:
        self.sessions.reconnect()

    async def load_catalog(self) -> None:
        await self.sessions.load_catalog()

    def reload_catalog(self) -> None:
        self.spawn(self.sessions.load_catalog())

    def _on_connected(self, session: Any) -> None:
        self.notifier.attach(session)
        self._attach_library(session)
        self._attach_editor(session)
        self.window.queue_panel.attach(session.queue)  # its model subscribes to the queue's events itself

    def _attach_editor(self, session: Any) -> None:
        """The editor's voice samples, "presenters that fit this voice" and account features (watermark NONE
        offered only where allowed) come from this session's services."""
        editor = self.window.editor
        if editor is None:
            return
        editor.set_voice_sampler(session.voice_preview.sample)
        catalog = getattr(session, "catalog", None)
        editor.set_voice_finder(catalog.performers_for_voice if catalog is not None else None)
        editor.set_account_features(getattr(session, "features", None))

    def _detach_editor(self) -> None:
        editor = self.window.editor
        if editor is None:
            return
        editor.set_voice_sampler(None)
        editor.set_voice_finder(None)
        editor.set_account_features(None)

    def _attach_library(self, session: Any) -> None:
        library = self.window.library
        if library is None or not hasattr(library, "attach"):
            return
        library.attach(session.queue)
        library.set_service(
            session.client,
            capabilities=getattr(session, "capabilities", None),
            output_dir=self.settings.output_dir,
        )

    def _on_disconnected(self) -> None:
        self._detach_editor()
        library = self.window.library
        if library is not None and hasattr(library, "detach"):
            library.detach()
            library.clear_service()
        self.notifier.detach()
        self.window.queue_panel.detach()

    async def shutdown(self) -> None:
        # Stop playback first: tearing FFmpeg down mid-play while HTTP clients close is asking for trouble.
        w = self.window
        self.audio_preview.stop()
        if w.results is not None:
            w.results.clear()
        elif w.player is not None:
            w.player.clear()
        if w.gallery is not None:
            w.gallery.set_presenters([])  # also stops the detail pane's preview clip
            w.gallery.stop_thumbnails()
        self.sessions.flush()
        library = w.library
        if library is not None and hasattr(library, "aclose"):
            await library.aclose()  # its service requests end before the session's client closes
        try:
            await self.sessions.close_session()
        finally:
            self.runner.cancel_all()
            w.finish_close()
            self.finished.emit()

    def request_shutdown(self) -> None:
        self.spawn(self.shutdown())

    async def fetch_public(self, url: str) -> bytes:
        """Thumbnail loader for the gallery: no API key, shared HTTP client of the current session (waited
        for while it is being opened)."""
        session = await self.sessions.session_when_open()
        if session is None:
            raise ConnectionError("Not connected.")
        return bytes(await session.client.fetch_public(url))

    # ------------------------------------------------------------------------------------------ renders
    def submit_render(self, spec: Any) -> None:
        self.renders.submit_render(spec)

    def request_preview(self, request: Any) -> None:
        self.renders.request_preview(request)

    async def preview_voice(self, request: Any) -> Path | None:
        return await self.renders.preview_voice(request)

    def request_cancel(self, job_id: str) -> None:
        self.renders.request_cancel(job_id)

    async def cancel_job(self, job_id: str) -> None:
        await self.renders.cancel_job(job_id)

    def retry_job(self, job_id: str, confirmed: bool = False) -> None:
        self.renders.retry_job(job_id, confirmed)

    def remove_job(self, job_id: str) -> None:
        self.renders.remove_job(job_id)

    def play(self, path: Path) -> None:
        w = self.window
        show = getattr(w.results, "show_source", None)
        if show is not None:
            show(str(path))
        else:
            w.player.load(path, autoplay=True)
        w.go_result()

    def play_source(self, source: str, title: str = "", subtitle: str = "") -> None:
        """A clip from the Library (a local file or the service's URL) on the Result page."""
        w = self.window
        if w.results is not None:
            w.results.show_source(source, title, subtitle)
        else:
            w.player.load(source, autoplay=True)
        w.go_result()

    def reuse_spec(self, spec: Any) -> None:
        """Library → Reuse script: the editor gets the script, presenter, voice and options back."""
        w = self.window
        w.editor.apply_spec(spec)  # before the presenter: the spec's voice counts as chosen, not replaced
        if not w.gallery.select_presenter(spec.presenter_id):
            w.show_status("That presenter is not offered by the service you are connected to.")
        w.focus_script()

    def _title_edited(self, job_id: str, title: str) -> None:
        """Library title edits are saved in the job store; the queue's event updates every view."""
        session = self.sessions.session
        if session is None:
            return
        try:
            session.queue.set_title(job_id, title)
        except KeyError:  # removed meanwhile
            return
        except (ValueError, VideoGenError) as exc:  # held by another process, or a read-only store
            self.window.show_status(wording.describe_error(exc, prefix="The title was not saved"))

    def play_job(self, job: Any) -> None:
        """Play / double-click on a finished row: the job (all its variations) on the Result page."""
        self.window.results.show_job(job)
        self.window.go_result()

    def _show_result(self, job: Any) -> None:
        """A finished render opens, large, on the Result page (unless the user is typing a script)."""
        w = self.window
        show = getattr(w.results, "show_job", None)
        if show is not None:
            show(job)
        elif job.output_path:
            w.player.load(job.output_path, autoplay=False)
        if not self.notifier.open_results:
            return
        focus = QApplication.focusWidget()
        typing = (
            focus is not None and w.editor is not None and w.editor.isAncestorOf(focus) and w.isActiveWindow()
        )
        if not typing:
            w.go_result()

    def _on_presenter_selected(self, performer: Any) -> None:
        editor = self.window.editor
        if performer is None:
            editor.set_presenter(None)
            return
        pid = performer_items.performer_id(performer)
        name = performer_items.given_name(performer)
        namer = getattr(self.window.gallery, "name_of", None)
        if namer is not None:
            name = namer(performer) or name
        set_performer = getattr(editor, "set_performer", None)
        if set_performer is not None:
            set_performer(performer, name)
        else:
            editor.set_presenter(pid, name or pid, performer_items.thumbnail_url(performer))
        self.sessions.remember_performer(pid)

    def _focus_editor(self, _presenter: object = None) -> None:
        self.window.focus_script()

    # ------------------------------------------------------------------------------------------ quitting
    def running_jobs(self) -> list[Any]:
        session = self.sessions.session
        if session is None:
            return []
        return [job for job in session.queue.jobs() if not job.state.is_terminal]

    def _confirm_close(self) -> bool:
        """Quitting during a render asks first (non-modal); it resumes next time, and the box says so."""
        if self._quit_confirmed or not self.running_jobs():
            return True
        if self._quit_box is not None and self._quit_box.isVisible():
            return False
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Quit while rendering?",
            QUIT_WHILE_RENDERING,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            self.window,
        )
        box.setObjectName("quitWhileRendering")
        box.button(QMessageBox.StandardButton.Yes).setText("Quit")
        box.button(QMessageBox.StandardButton.No).setText("Keep working")
        box.setDefaultButton(QMessageBox.StandardButton.No)
        box.finished.connect(self._quit_answered)
        self._quit_box = box
        box.open()
        return False

    def _quit_answered(self, result: int) -> None:
        if result == QMessageBox.StandardButton.Yes:
            self._quit_confirmed = True
            self.window.close()

    # ------------------------------------------------------------------------------------------ dialogs
    def open_account_dialog(self) -> None:
        self.sessions.open_account_dialog()

    def open_settings_dialog(self) -> None:
        self.sessions.open_settings_dialog()

    def apply_settings(self, new: Settings) -> None:
        self.sessions.apply_settings(new)

    def _open_output_folder(self) -> None:
        folder = Path(self.settings.output_dir)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self.window.banner.show_message(
                wording.describe_error(exc, prefix="Cannot open the folder"), "error"
            )
            return
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder))):
            QApplication.clipboard().setText(str(folder))
            self.window.banner.show_message(
                f"No file manager could open the folder. Its path was copied: {folder}", "info"
            )

    def _show_shortcuts(self) -> None:
        self._info_box = QMessageBox(
            QMessageBox.Icon.NoIcon,
            "Keyboard shortcuts",
            self.window.registry.shortcuts_html(),
            parent=self.window,
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
