"""File actions shared by the queue panel, the result view and the library: save a copy, show the folder.

Save as: the copy goes through a hidden temporary file in the target folder and gets the permissions any
file the user creates would get (0666 minus the umask, usually 0644) — never mkstemp's private 0600.
Open folder: where no file manager is registered, `QDesktopServices.openUrl` returns False; the caller then
says so, shows the path and puts it on the clipboard instead of failing silently.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QThreadPool, QUrl
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFileDialog, QWidget

from .. import worker_results

OpenUrl = Callable[[QUrl], object]
#: `show_status(text, error=False)`: where a Save as flow reports "Saving…", "Saved to …" or what failed.
ShowStatus = Callable[..., None]


def _read_umask() -> int:
    # os.umask can only be read by setting it; done once, at import, on the GUI thread.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


UMASK = _read_umask()
NORMAL_FILE_MODE = 0o666 & ~UMASK


def copy_file(source: Path, target: Path) -> str:
    """Copy atomically with normal permissions; returns "" or a short error for the user."""
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
        os.close(fd)
        try:
            shutil.copyfile(source, tmp)
            os.chmod(tmp, NORMAL_FILE_MODE)
            os.replace(tmp, target)
        finally:
            if os.path.exists(tmp):
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
    except OSError as exc:
        return exc.strerror or type(exc).__name__
    return ""


def save_dialog(parent: QWidget, source: Path, start_dir: Path) -> QFileDialog:
    """A non-blocking "Save video as" dialog (call `.open()`; the answer arrives through fileSelected)."""
    dialog = QFileDialog(parent, "Save video as", str(start_dir / source.name))
    dialog.setObjectName("saveVideoDialog")
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.setFileMode(QFileDialog.FileMode.AnyFile)
    dialog.setNameFilters(["MP4 video (*.mp4)", "All files (*)"])
    dialog.setDefaultSuffix(source.suffix.lstrip(".") or "mp4")
    dialog.setDirectory(str(start_dir))
    return dialog


class SaveAs(QObject):
    """The "Save video as…" flow of the queue panel, the result view and the library: a non-blocking dialog
    that opens where the video is (later in the last folder used), the copy on a pool thread (videos can be
    large: the window must not freeze), and one status line for each step."""

    def __init__(self, parent: QWidget, show_status: ShowStatus) -> None:
        super().__init__(parent)
        self._parent = parent
        self._show_status = show_status
        self._source: Path | None = None  # the video the pending dialog will copy
        self.last_dir: Path | None = None
        self._finished = worker_results.to(self._on_copy_finished)  # target, error text or ""

    def ask(self, source: Path) -> None:
        """Open the dialog for `source`; the copy starts when the user picks a file."""
        dialog = save_dialog(self._parent, source, self.last_dir or source.parent)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._source = source
        # A bound method, not a lambda over a widget (see queue_panel._ask_yes_no for the PySide crash).
        dialog.fileSelected.connect(self._target_chosen)
        dialog.open()  # non-blocking: the answer arrives through fileSelected

    def _target_chosen(self, target: str) -> None:
        if self._source is not None and target:
            self.save(self._source, Path(target))

    def save(self, source: Path, target: Path) -> None:
        """Copy `source` to `target` on a pool thread, reporting progress through `show_status`."""
        if not target.name:
            return
        self.last_dir = target.parent
        if source.resolve() == target.resolve():
            self._show_status(f"Saved to {target}")
            return
        self._show_status(f"Saving to {target}…")
        finished = self._finished

        def work() -> None:
            finished(str(target), copy_file(source, target))  # on the GUI thread; dropped if we are gone

        QThreadPool.globalInstance().start(work)

    def _on_copy_finished(self, target: str, error: str) -> None:
        if error:
            self._show_status(f"Could not save {Path(target).name}: {error}", error=True)
        else:
            self._show_status(f"Saved to {target}")


def open_folder(folder: Path, open_url: OpenUrl) -> str:
    """Ask the desktop to show `folder`. Returns "" when it did, else a message (the path is copied)."""
    if not folder.is_dir():
        return f"The folder no longer exists: {folder}"
    if open_url(QUrl.fromLocalFile(str(folder))) is False:
        clipboard = QGuiApplication.clipboard()
        if clipboard is not None:
            clipboard.setText(str(folder))
        return f"No file manager is set up to open folders. The path was copied to the clipboard: {folder}"
    return ""


__all__ = ["NORMAL_FILE_MODE", "SaveAs", "copy_file", "open_folder", "save_dialog"]
