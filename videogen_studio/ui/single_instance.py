"""One GUI per data folder: a second start brings the first one's window forward and exits (issue 8).

The data folder lock (`pipeline.folder_lock.DataFolderLock`) decides who is first; the first GUI listens on a
local socket whose name the lock's holder note carries, and a second GUI connects to it and asks for the
window to come forward. A command-line run holding the folder has no socket: the GUI then starts anyway
(every job has its own lease in the store, so no job is driven twice) and says so.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication, QWidget

from ..pipeline.folder_lock import DataFolderLock, LockHolder

if TYPE_CHECKING:  # QtNetwork takes a while to load: the first GUI listens only after its first paint
    from PySide6.QtNetwork import QLocalServer

log = logging.getLogger(__name__)

ACTIVATE = b"activate\n"


class SingleInstance(QObject):
    #: Another GUI on the same data folder asked this one to come forward.
    activationRequested = Signal()

    def __init__(self, data_dir: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.lock = DataFolderLock(Path(data_dir), "gui")
        self._server: QLocalServer | None = None

    @property
    def is_first(self) -> bool:
        return self.lock.held

    def claim(self, *, listen: bool = True) -> bool:
        """Take the data folder; True when this GUI is the one that drives it (and now listens).

        `listen=False`: call `listen()` later (start-up does, right after the window's first paint)."""
        if not self.lock.acquire():
            return False
        if listen:
            self.listen()
        return True

    def listen(self) -> None:
        """Answer a second GUI's "come forward" (once; only while holding the folder)."""
        if self._server is not None or not self.lock.held:
            return
        from PySide6.QtNetwork import QLocalServer

        server = QLocalServer(self)
        # We hold the lock, so a socket file left by a crashed predecessor is stale: remove it.
        QLocalServer.removeServer(self.lock.socket_name)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not server.listen(self.lock.socket_name):
            log.warning(
                "single instance: cannot listen on %s: %s", self.lock.socket_name, server.errorString()
            )
        server.newConnection.connect(self._on_connection)
        self._server = server

    def holder(self) -> LockHolder | None:
        return self.lock.holder()

    def ask_first_to_come_forward(self, timeout_ms: int = 3000) -> bool:
        """Tell the GUI holding the folder to raise its window. False when no GUI answers."""
        holder = self.lock.holder()
        if holder is None or holder.kind != "gui" or not holder.socket_name:
            return False
        from PySide6.QtNetwork import QLocalSocket

        socket = QLocalSocket()
        socket.connectToServer(holder.socket_name)
        if not socket.waitForConnected(timeout_ms):
            return False
        socket.write(ACTIVATE)
        socket.flush()  # often writes everything at once; then there is nothing left to wait for
        sent = socket.bytesToWrite() == 0 or socket.waitForBytesWritten(timeout_ms)
        socket.disconnectFromServer()
        return bool(sent)

    def release(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        self.lock.release()

    def _on_connection(self) -> None:
        assert self._server is not None
        while (conn := self._server.nextPendingConnection()) is not None:
            conn.readyRead.connect(self._on_ready_read)
            conn.disconnected.connect(conn.deleteLater)

    def _on_ready_read(self) -> None:
        from PySide6.QtNetwork import QLocalSocket

        conn = self.sender()
        if isinstance(conn, QLocalSocket) and ACTIVATE.strip() in bytes(conn.readAll().data()):
            self.activationRequested.emit()


def bring_forward(window: QWidget) -> None:
    """Show, un-minimise and raise `window` (window managers may only flash it: alert as well)."""
    if window.isMinimized():
        window.showNormal()
    window.show()
    window.raise_()
    window.activateWindow()
    QApplication.alert(window)
