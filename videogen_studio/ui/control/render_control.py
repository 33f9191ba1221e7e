"""What the Render, Preview, Cancel, Retry and Remove buttons do: checks before paying (preflight), then the
queue; voice previews through the pipeline's shared service (the CLI uses the same one)."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from ...api.errors import VideoGenError
from .. import wording
from .tasks import TaskRunner

if TYPE_CHECKING:
    from ..main_window import MainWindow
    from .session_control import SessionControl

log = logging.getLogger(__name__)


class RenderControl(QObject):
    #: A render was queued (job id).
    submitted = Signal(str)
    #: A voice preview file is ready to play (path).
    previewReady = Signal(Path)

    def __init__(self, window: MainWindow, sessions: SessionControl, runner: TaskRunner) -> None:
        super().__init__(window)
        self.window = window
        self.sessions = sessions
        self.runner = runner

    # ------------------------------------------------------------------------------------------ render
    def submit_render(self, spec: Any) -> None:
        """Check what can be checked before the first paid step, then queue the render."""
        self.runner.spawn(self.submit_checked(spec))

    async def submit_checked(self, spec: Any) -> str | None:
        session = self.sessions.session
        w = self.window
        if session is None:
            text = "Not connected: choose the sandbox or add an API key in File → Account…."
            w.banner.show_message(text, "warning")
            return None
        if not spec.output_dir:
            spec = dataclasses.replace(spec, output_dir=self.sessions.settings.output_dir)
        # The editor knows an id; whether it names a presenter or an ACTOR entity is the catalog's word.
        form = getattr(self.sessions.presenters.get(spec.presenter_id), "form", None)
        if form and getattr(spec, "avatar_form", form) != form:
            spec = dataclasses.replace(spec, avatar_form=form)
        problems = await self._preflight(session, spec)
        if problems:
            text = "Not rendered (nothing was charged): " + wording.preflight_summary(problems)
            w.banner.show_message(text, "warning")
            return None
        if self.sessions.session is not session:
            return None
        try:
            job = session.queue.submit(spec)
        except VideoGenError as exc:  # e.g. a read-only job database, a full disk
            w.banner.show_message(wording.describe_error(exc, prefix="Not rendered"), "error")
            return None
        if w.queue_panel is not None:
            w.queue_panel.select_job(job.job_id)
        w.show_status(f"Queued a render with {spec.presenter_name or spec.presenter_id}")
        self.submitted.emit(job.job_id)
        return str(job.job_id)

    async def _preflight(self, session: Any, spec: Any) -> list[Any]:
        from ...pipeline.preflight import preflight

        try:
            return await preflight(
                spec,
                client=session.client,
                capabilities=session.capabilities,
                catalog=session.catalog,
                features=session.features,
                default_output_dir=Path(self.sessions.settings.output_dir),
            )
        except VideoGenError as exc:
            # The service could not be asked (e.g. a network glitch): the render's own steps will say so.
            log.info("preflight could not reach the service: %s", wording.clean(str(exc)))
            return []

    def request_cancel(self, job_id: str) -> None:
        self.runner.spawn(self.cancel_job(job_id))

    async def cancel_job(self, job_id: str) -> None:
        session = self.sessions.session
        if session is None:
            return
        try:
            job = await session.queue.cancel(job_id)
        except VideoGenError as exc:
            self.window.banner.show_message(wording.describe_error(exc, prefix="Could not cancel"), "error")
            return
        notice = wording.job_notice(job)
        if notice:  # e.g. it had already finished and was charged: it is downloaded instead
            self.window.banner.show_message(notice, "info")

    def retry_job(self, job_id: str, confirmed: bool = False) -> None:
        session = self.sessions.session
        if session is None:
            return
        try:
            session.queue.retry(job_id, confirm_uncertain=confirmed)
        except (ValueError, KeyError, VideoGenError) as exc:
            self.window.banner.show_message(wording.describe_error(exc), "warning")

    def remove_job(self, job_id: str) -> None:
        session = self.sessions.session
        if session is None:
            return
        try:
            session.queue.remove(job_id)
        except (ValueError, KeyError, VideoGenError) as exc:
            self.window.banner.show_message(wording.describe_error(exc), "warning")

    # ------------------------------------------------------------------------------------------ preview
    def request_preview(self, request: Any) -> None:
        self.runner.spawn(self.preview_voice(request))

    async def preview_voice(self, request: Any) -> Path | None:
        """Speak the start of the script with the chosen voice (cached per voice + text by the service)."""
        session = self.sessions.session
        if session is None:
            return None
        w = self.window
        w.editor.set_busy_preview(True)
        w.show_status("Synthesising a voice preview…", 0)
        try:
            path = await self._synthesise(session, request)
        except VideoGenError as exc:
            self.sessions._show_error(exc, prefix="Voice preview failed")
            return None
        finally:
            w.editor.set_busy_preview(False)
        if path is None:
            return None
        w.show_status("Playing the voice preview")
        self.previewReady.emit(path)
        return path

    async def _synthesise(self, session: Any, request: Any) -> Path | None:
        # The pipeline's shared service (the CLI uses it too): temporary TTS output, cached per voice+text.
        return Path(await session.voice_preview.preview(request))
