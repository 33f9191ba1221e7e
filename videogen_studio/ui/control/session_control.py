"""The connection to VideoGen (or the offline sandbox) as the window shows it: open and close the Session,
load the catalog into the gallery, the Account and Settings dialogs, and the chosen presenter across
restarts. Everything network-bound runs as a task on the qasync loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

from ...api.errors import VideoGenError
from ...credentials import KeyringUnavailable, SecretStore
from ...paths import AppPaths
from ...settings import Settings, save_settings
from .. import wording
from . import performers as performer_items
from .cached_catalog import CachedCatalog, read_cached_catalog
from .key_check import check_key
from .tasks import TaskRunner

if TYPE_CHECKING:
    from ...session import Session
    from ..dialogs.account_dialog import AccountDialog
    from ..dialogs.settings_dialog import SettingsDialog
    from ..main_window import MainWindow

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.videogen.io"


class SessionControl(QObject):
    #: A session is open (argument: the Session).
    connected = Signal(object)
    #: The session closed (reconnecting, switching service, quitting).
    disconnected = Signal()
    #: Presenters and voices are loaded.
    catalogLoaded = Signal()
    #: Settings changed through the dialog (argument: the new Settings).
    settingsChanged = Signal(object)

    def __init__(
        self,
        window: MainWindow,
        settings: Settings,
        paths: AppPaths,
        secrets: SecretStore,
        runner: TaskRunner,
        *,
        sandbox_config: object | None = None,
        cached_on_screen: CachedCatalog | None = None,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.settings = settings
        self.paths = paths
        self.secrets = secrets
        self.runner = runner
        self.session: Session | None = None
        self.presenters: dict[str, Any] = {}
        self._sandbox_config = sandbox_config
        #: Cards start-up already painted from the cache (app.py, before this controller existed).
        self._cached_on_screen = cached_on_screen
        self._account_dialog: AccountDialog | None = None
        self._settings_dialog: SettingsDialog | None = None
        self._connect_serial = 0
        # Set while no connection is being opened. Clear from the start: one is about to be (start-up).
        self._settled = asyncio.Event()
        # Picking through the grid with the arrows should not write settings.json per card.
        self._save_timer = QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.setInterval(800)
        self._save_timer.timeout.connect(self._save_settings)

    # ------------------------------------------------------------------------------------------ connect
    async def connect_account(self) -> None:
        """(Re)connect with the current settings and load the catalog."""
        self._settled.clear()
        try:
            await self._connect_account()
        finally:
            self._settled.set()

    async def session_when_open(self, timeout: float = 60.0) -> Session | None:
        """The session; while one is being opened (start-up, a reconnect), wait for it (at most `timeout`).

        For the thumbnails: a picture asked for before the connection then loads as soon as it is there,
        instead of failing and waiting for its retry."""
        if self.session is None and not self._settled.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._settled.wait(), timeout)
        return self.session

    async def _connect_account(self) -> None:
        self._connect_serial += 1
        await self.close_session()
        w = self.window
        key = None
        early, self._cached_on_screen = self._cached_on_screen, None
        if early is not None and early.performers:
            # Start-up painted last run's cards already: keep them (no flicker), give the editor the voices.
            w.set_connected(False)
            self._adopt_cached(early)
        else:
            self._show_disconnected("Connecting…")
            self._show_cached_catalog()
        if not self.settings.uses_sandbox:
            try:
                stored = self.secrets.load()
            except VideoGenError as exc:  # a stored key with illegal characters
                stored = None
                w.banner.show_message(
                    wording.describe_error(exc), "error", "Account…", self.open_account_dialog
                )
                w.set_mode("Not connected")
                w.gallery.show_error("The saved API key cannot be used. Open File → Account… to replace it.")
                return
            if stored is None:
                w.set_mode("Not connected")
                w.gallery.show_error("No API key yet. Open File → Account… to add one.")
                w.banner.show_message(
                    "No VideoGen API key found. Add one, or use the offline sandbox.",
                    "warning",
                    "Account…",
                    self.open_account_dialog,
                )
                return
            key = stored.key
        from ...session import Session  # the session layer pulls in httpx: after the first paint

        try:
            session = await Session.open(
                self.settings,
                self.paths,
                key,
                sandbox_config=self._sandbox_config,  # type: ignore[arg-type]
            )
        except (VideoGenError, OSError, ValueError) as exc:
            text = wording.describe_error(exc)
            w.set_mode("Not connected")
            w.gallery.show_error(text)
            w.banner.show_message(f"Could not connect. {text}", "error", "Retry", self.reconnect)
            return
        self.session = session
        # A fresh connection: whatever said "could not connect" or "no key" is no longer true.
        if w.banner.level in ("error", "warning"):
            w.banner.hide()
        if session.offline:
            w.set_mode(
                "● Offline sandbox", f"Embedded VideoGen stand-in at {session.base_url}; renders are free"
            )
        else:
            w.set_mode(f"● {session.base_url.removeprefix('https://')}", "Connected with your API key")
        self._show_store_notice(session)
        w.set_connected(True)
        self.connected.emit(session)
        await self.load_catalog()

    def reconnect(self) -> None:
        self.runner.spawn(self.connect_account())

    def _show_disconnected(self, status: str) -> None:
        """No session: no stale presenter in the detail pane, nothing to render."""
        w = self.window
        w.set_connected(False)
        w.gallery.set_presenters([])
        w.gallery.show_loading(status)
        w.editor.set_presenter(None)
        self.presenters = {}

    def _show_cached_catalog(self) -> None:
        """Cards from last time's catalog while the service (or the sandbox) starts: a fast first screen.
        Render stays disabled until the session is connected."""
        cached = read_cached_catalog(self.settings, self.paths)  # empty unless offline: keys load later
        if cached.performers:
            self.window.gallery.set_presenters(cached.performers)
            self._adopt_cached(cached)

    def _adopt_cached(self, cached: CachedCatalog) -> None:
        """The cached cards are on screen: remember them, give the editor the voices, pick last time's."""
        self.presenters = {performer_items.performer_id(p): p for p in cached.performers}
        if cached.voices:
            self.window.editor.set_voices(cached.voices)
        self._restore_last_performer()

    def _show_store_notice(self, session: Session) -> None:
        store = getattr(session, "store", None)
        notice = getattr(store, "recovery_notice", None)
        if notice:
            read_only = bool(getattr(store, "read_only", False))
            extra = (
                " Jobs are shown but not changed; renders need a newer VideoGen Studio." if read_only else ""
            )
            self.window.banner.show_message(wording.clean(notice) + extra, "warning")

    async def load_catalog(self) -> None:
        session = self.session
        if session is None:
            return
        w = self.window
        catalog = getattr(session, "catalog", None)
        try:
            if catalog is None:  # a session without the catalog service (older session layer)
                w.gallery.show_loading()
                performers, voices = await asyncio.gather(
                    session.client.list_presenters(), session.client.list_voices(include_deprecated=True)
                )
                w.gallery.set_presenters(performers)
            elif hasattr(w.gallery, "load_catalog"):  # cached cards first, then the service page by page
                recorder = _RecordingCatalog(catalog)
                await w.gallery.load_catalog(recorder)
                performers = recorder.performers
                voices = await catalog.voices()
            else:
                w.gallery.show_loading()
                performers = await catalog.performers()
                w.gallery.set_presenters(performers)
                voices = await catalog.voices()
        except VideoGenError as exc:
            text = wording.describe_error(exc)
            w.gallery.show_error(text)
            self._show_error(exc)
            return
        if self.session is not session:
            return  # reconnected meanwhile
        self.presenters = {performer_items.performer_id(p): p for p in performers}
        w.editor.set_voices(voices)
        self._restore_last_performer()
        w.show_status(f"{len(performers)} presenters and {len(voices)} voices loaded")
        self.catalogLoaded.emit()

    def _restore_last_performer(self) -> None:
        last = getattr(self.settings, "last_performer_id", None)
        if last and last in self.presenters:
            self.window.gallery.select_presenter(last)

    def remember_performer(self, performer_id: str | None) -> None:
        """The chosen presenter survives a restart (Settings.last_performer_id)."""
        if not performer_id or not hasattr(self.settings, "last_performer_id"):
            return
        if self.settings.last_performer_id != performer_id:
            self.settings.last_performer_id = performer_id
            self._save_timer.start()

    def _save_settings(self) -> None:
        try:
            save_settings(self.paths, self.settings)
        except OSError as exc:
            log.warning("could not save settings: %s", exc)

    def flush(self) -> None:
        if self._save_timer.isActive():
            self._save_timer.stop()
            self._save_settings()

    async def close_session(self) -> None:
        if self.session is not None:
            session, self.session = self.session, None
            self.disconnected.emit()
            await session.close()

    def _show_error(self, exc: VideoGenError, prefix: str = "") -> None:
        text = wording.describe_error(exc, prefix=prefix)
        if wording.error_kind(exc) in ("auth", "invalid_key_format"):
            self.window.banner.show_message(text, "error", "Account…", self.open_account_dialog)
        else:
            self.window.banner.show_message(text, "error")

    # ------------------------------------------------------------------------------------------ dialogs
    def open_account_dialog(self) -> None:
        from ..dialogs.account_dialog import AccountDialog  # lazily: keyring is slow to import

        try:
            stored = self.secrets.load()
        except VideoGenError:
            stored = None
        dialog = AccountDialog(
            check_key,
            self.window,
            base_url=self.settings.base_url if not self.settings.uses_sandbox else DEFAULT_API_URL,
            mode="sandbox" if self.settings.uses_sandbox else "api",
            api_key=stored.key if stored else "",
            key_source=stored.source if stored else None,
            keyring_available=self.secrets.keyring_available,
        )
        # Bound methods, not lambdas: PySide6 6.12 can crash when a dialog dies with a lambda connected.
        self._account_dialog = dialog
        dialog.accepted.connect(self._apply_account)
        dialog.open()

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
                self.window.banner.show_message(wording.clean(str(exc)), "warning")
                return
            except VideoGenError as exc:  # illegal characters in the key
                self.window.banner.show_message(wording.describe_error(exc), "error")
                return
            if self.settings.uses_sandbox:
                self.settings.base_url = DEFAULT_API_URL
        save_settings(self.paths, self.settings)
        self.runner.spawn(self.connect_account())

    def open_settings_dialog(self) -> None:
        from ..dialogs.settings_dialog import SettingsDialog

        self._settings_dialog = SettingsDialog(self.settings, self.window)
        self._settings_dialog.accepted.connect(self._settings_accepted)
        self._settings_dialog.open()

    def _settings_accepted(self) -> None:
        if self._settings_dialog is not None:
            self.apply_settings(self._settings_dialog.result_settings())

    def apply_settings(self, new: Settings) -> None:
        old = self.settings
        reconnect = new.base_url != old.base_url
        # Keep fields the dialog does not edit that changed meanwhile (e.g. the chosen presenter).
        if hasattr(new, "last_performer_id"):
            new = dataclasses.replace(new, last_performer_id=old.last_performer_id)
        self.settings = new
        save_settings(self.paths, new)
        self.window.editor.set_output_dir(new.output_dir)
        if new.theme != old.theme:
            from PySide6.QtWidgets import QApplication

            from ..theme import apply_theme

            app = QApplication.instance()
            if isinstance(app, QApplication):
                apply_theme(app, new.theme)
        if self.session is not None:
            self.session.queue.concurrency = new.concurrency
        self.settingsChanged.emit(new)
        if reconnect:
            self.runner.spawn(self.connect_account())


async def _maybe_await(value: Any) -> Any:
    import inspect

    return await value if inspect.isawaitable(value) else value


class _RecordingCatalog:
    """The catalog as the gallery sees it, remembering the performers it hands out (so the controller knows
    them without reaching into the gallery's model)."""

    def __init__(self, catalog: Any) -> None:
        self._catalog = catalog
        self.performers: list[Any] = []

    def cached(self) -> Any:
        return self._catalog.cached()

    async def pages(self) -> Any:
        pages = await _maybe_await(self._catalog.pages())
        async for page in pages:
            page = list(page)
            self.performers.extend(page)
            yield page
