"""A second GUI on the same data folder brings the first one's window forward and exits (issue 8)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from videogen_studio.pipeline.folder_lock import DataFolderLock
from videogen_studio.ui.single_instance import SingleInstance, bring_forward


def test_the_second_instance_asks_the_first_to_come_forward(qtbot: QtBot, tmp_path: Path) -> None:
    first = SingleInstance(tmp_path)
    assert first.claim() and first.is_first
    try:
        window = QWidget()
        qtbot.addWidget(window)
        first.activationRequested.connect(lambda: bring_forward(window))
        second = SingleInstance(tmp_path)
        assert not second.claim()  # the folder is taken
        holder = second.holder()
        assert holder is not None and holder.kind == "gui" and holder.pid == os.getpid()
        with qtbot.waitSignal(first.activationRequested, timeout=5000):
            assert second.ask_first_to_come_forward()
        qtbot.waitUntil(window.isVisible)
    finally:
        first.release()
    # Once the first one is gone, the next GUI is first again.
    again = SingleInstance(tmp_path)
    assert again.claim()
    again.release()


def test_a_second_gui_process_exits_after_raising_the_first(qtbot: QtBot, tmp_path: Path) -> None:
    """A real second process: what `videogen-studio` does when started twice on one data folder."""
    first = SingleInstance(tmp_path)
    assert first.claim()
    try:
        code = textwrap.dedent(
            f"""
            import sys
            from PySide6.QtCore import QCoreApplication
            app = QCoreApplication([])
            from videogen_studio.ui.single_instance import SingleInstance
            me = SingleInstance({str(tmp_path)!r})
            if me.claim():
                sys.exit(5)
            sys.exit(0 if me.ask_first_to_come_forward() else 6)
            """
        )
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
        process = subprocess.Popen([sys.executable, "-c", code], env=env)
        with qtbot.waitSignal(first.activationRequested, timeout=20000):
            pass
        assert process.wait(timeout=20) == 0
    finally:
        first.release()


def test_a_command_line_holder_has_no_window_to_raise(tmp_path: Path) -> None:
    cli = DataFolderLock(tmp_path, "cli")
    assert cli.acquire()
    try:
        gui = SingleInstance(tmp_path)
        assert not gui.claim()
        holder = gui.holder()
        assert holder is not None and holder.kind == "cli"
        assert not gui.ask_first_to_come_forward(timeout_ms=200)
    finally:
        cli.release()
