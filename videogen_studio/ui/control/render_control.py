"""What the Render, Preview, Cancel, Retry and Remove buttons do: checks before paying (preflight), then the
queue; voice previews through the pipeline's shared service (the CLI uses the same one)."""

from __future__ import annotations

import asyncio
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
        # Fingerprints of renders between the Render press and the queue: a second press of the same render
        # (Ctrl+Enter twice while preflight is awaited) must not buy it twice (M9).
        self._in_flight: set[str] = set()
        # Renders that passed preflight, queued together on the next loop turn (one store transaction).
        self._batch: list[tuple[Any, Any, asyncio.Future[str | None]]] = []
        # One output-folder check per folder per burst, in a worker thread (it creates and writes a file).
        self._folder_checks: dict[str, asyncio.Future[list[Any]]] = {}

    # ------------------------------------------------------------------------------------------ render
    def submit_render(self, spec: Any) -> None:
        """Check what can be checked before the first paid step, then queue the render."""
        self.runner.spawn(self.submit_checked(spec))

    async def submit_checked(self, spec: Any) -> str | None:
        """Queue `spec` after preflight; its job id, or None when it was refused or is already on its way."""
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
        fingerprint = spec.fingerprint()
        if fingerprint in self._in_flight:
            w.show_status("This render is already being queued")
            return None
        self._in_flight.add(fingerprint)
        try:
            problems = await self._preflight(session, spec)
            if problems:
                text = "Not rendered (nothing was charged): " + wording.preflight_summary(problems)
                w.banner.show_message(text, "warning")
                return None
            if self.sessions.session is not session:
                return None
            return await self._enqueue(session, spec)
        finally:
            self._in_flight.discard(fingerprint)

    def _enqueue(self, session: Any, spec: Any) -> asyncio.Future[str | None]:
        """Join the burst of renders that passed preflight in this loop turn; all go in one `submit_many`."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[str | None] = loop.create_future()
        if not self._batch:
            loop.call_soon(self._submit_batch)
        self._batch.append((session, spec, future))
        return future

    def _submit_batch(self) -> None:
        batch, self._batch = self._batch, []
        try:
            self._submit_entries(batch)
        except BaseException as exc:
            for _, _, future in batch:  # never leave a Render press waiting forever
                if not future.done():
                    future.set_exception(exc)
            raise

    def _submit_entries(self, batch: list[tuple[Any, Any, asyncio.Future[str | None]]]) -> None:
        w = self.window
        queued: list[tuple[str, Any]] = []
        sessions = {id(entry[0]): entry[0] for entry in batch}  # in practice one session
        for session in sessions.values():
            entries = [entry for entry in batch if entry[0] is session]
            current = self.sessions.session
            if current is None or current is not session:  # switched accounts meanwhile: nothing queued
                jobs: list[Any] | None = None
            else:
                try:
                    jobs = current.queue.submit_many([spec for _, spec, _ in entries])
                except VideoGenError as exc:  # e.g. a read-only job database, a full disk
                    w.banner.show_message(wording.describe_error(exc, prefix="Not rendered"), "error")
                    jobs = None
            for index, (_, spec, future) in enumerate(entries):
                job_id = str(jobs[index].job_id) if jobs is not None else None
                if job_id is not None:
                    queued.append((job_id, spec))
                if not future.done():
                    future.set_result(job_id)
        if not queued:
            return
        # Select and scroll once, to the last new job: per-job selection froze the window on a burst.
        last_id, last_spec = queued[-1]
        if w.queue_panel is not None:
            w.queue_panel.select_job(last_id)
        if len(queued) == 1:
            w.show_status(f"Queued a render with {last_spec.presenter_name or last_spec.presenter_id}")
        else:
            w.show_status(f"Queued {len(queued)} renders")
        for job_id, _ in queued:
            self.submitted.emit(job_id)

    async def _preflight(self, session: Any, spec: Any) -> list[Any]:
        from ...pipeline.preflight import preflight

        folder = str(spec.output_dir or self.sessions.settings.output_dir)
        problems = list(await self._folder_problems(spec, folder))
        if problems:
            return problems
        try:
            # The folder was checked above (once per burst, off the GUI thread): leave it out here.
            return await preflight(
                dataclasses.replace(spec, output_dir=""),
                client=session.client,
                capabilities=session.capabilities,
                catalog=session.catalog,
                features=session.features,
                default_output_dir=None,
            )
        except VideoGenError as exc:
            # The service could not be asked (e.g. a network glitch): the render's own steps will say so.
            log.info("preflight could not reach the service: %s", wording.clean(str(exc)))
            return []

    async def _folder_problems(self, spec: Any, folder: str) -> list[Any]:
        """The output folder's preflight problems; renders asked for in one burst share one check."""
        from ...pipeline.preflight import check_local

        check = self._folder_checks.get(folder)
        if check is None:
            probe = dataclasses.replace(spec, output_dir=folder)

            def run() -> list[Any]:
                return [p for p in check_local(probe) if p.field == "output_dir"]

            check = asyncio.ensure_future(asyncio.to_thread(run))
            self._folder_checks[folder] = check

            def forget(done: asyncio.Future[list[Any]], folder: str = folder) -> None:
                # The next burst checks again: the folder may have been removed or filled meanwhile.
                if self._folder_checks.get(folder) is done:
                    del self._folder_checks[folder]

            check.add_done_callback(forget)
        return await asyncio.shield(check)

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
