"""Render the script editor, the queue panel and the dialogs in real windows and save PNGs to look at.

    .venv/bin/python scripts/screenshot_editor.py [--out /tmp] [--style Fusion] [--dark]
    xvfb-run -a .venv/bin/python scripts/screenshot_editor.py      # with a real X server

Sample data only: no network, no sandbox.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen" if not os.environ.get("DISPLAY") else "xcb")

from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import QColor, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import QApplication, QSplitter, QWidget

from videogen_studio.api.models import TtsVoice
from videogen_studio.pipeline.jobs import JobState, RenderJob, RenderSpec
from videogen_studio.settings import Settings
from videogen_studio.ui.dialogs.account_dialog import AccountDialog
from videogen_studio.ui.dialogs.settings_dialog import SettingsDialog
from videogen_studio.ui.queue_panel import QueuePanel
from videogen_studio.ui.script_editor import ScriptEditor

SCRIPT = (
    "Hi, I'm Anna from VideoGen Studio. In the next minute I'll show you how to turn a few typed "
    "sentences into a talking-head video: choose a presenter, pick a voice, and press Render. "
    "That's it — no camera, no studio, no retakes."
)

VOICES = [
    TtsVoice("vg_voic_1", "en-US", "Matilda", "FEMALE", True, True, False, "american", "Warm and clear"),
    TtsVoice("vg_voic_2", "en-GB", "Oliver", "MALE", True, False, False, "british", "Calm narrator"),
    TtsVoice("vg_voic_3", "es-ES", "Lucía", "FEMALE", True, False, False, "castilian"),
    TtsVoice("vg_voic_4", "de-DE", "Jonas", "MALE", True, False, False, None),
    TtsVoice("vg_voic_5", "en-US", "Legacy Sam", "NEUTRAL", True, False, True, "american"),
    TtsVoice("vg_voic_6", "fr-FR", "Workflow-only", "FEMALE", False, False, False, "parisian"),
]


@dataclass(frozen=True)
class _Event:
    kind: str
    job: RenderJob


def sample_jobs(video: Path) -> list[RenderJob]:
    now = time.time()

    def spec(name: str, script: str) -> RenderSpec:
        return RenderSpec(
            presenter_id=f"vg_pres_{name.lower()}",
            presenter_name=name,
            presenter_thumbnail_url=f"thumb://{name}",
            script=script,
            voice_id="vg_voic_1",
        )

    done = RenderJob(spec("Anna", SCRIPT), started_at=now - 95, created_at=now - 100)
    done = done.advance(JobState.SUBMITTING_SPEECH).advance(JobState.SPEECH_RUNNING)
    done = done.advance(JobState.SUBMITTING_AVATAR).advance(JobState.AVATAR_RUNNING)
    done = done.advance(JobState.DOWNLOADING).advance(JobState.DONE, output_path=str(video))
    done = done.update(started_at=now - 95, finished_at=now - 12)

    running = RenderJob(spec("Marcus", "Welcome to our quarterly update. Revenue grew in every region."))
    running = running.advance(JobState.SUBMITTING_SPEECH).advance(JobState.SPEECH_RUNNING)
    running = running.advance(JobState.SUBMITTING_AVATAR).advance(
        JobState.AVATAR_RUNNING, stage_progress=0.45
    )
    running = running.update(started_at=now - 41)

    queued = RenderJob(spec("Sofia", "Hola a todos, bienvenidos al curso de introducción."))

    failed = RenderJob(spec("Anna", "Our new product line launches on Monday. Here is what changes for you."))
    failed = failed.advance(JobState.SUBMITTING_SPEECH).advance(JobState.SPEECH_RUNNING)
    failed = failed.advance(
        JobState.FAILED,
        error_message="Not enough credits to render this video.",
        error_hint="Add credits or upgrade your plan at app.videogen.io, then press Retry. "
        "Nothing was charged.",
    )
    failed = failed.update(started_at=now - 30, finished_at=now - 22)

    cancelled = RenderJob(spec("Marcus", "Draft take two, please ignore."))
    cancelled = cancelled.advance(JobState.SUBMITTING_SPEECH).advance(JobState.CANCELLED, uncertain=True)
    cancelled = cancelled.update(started_at=now - 8, finished_at=now - 6)
    return [done, running, queued, failed, cancelled]


def thumbnail(url: str) -> QPixmap | None:
    colors = {"Anna": "#e57373", "Marcus": "#64b5f6", "Sofia": "#81c784"}
    name = url.removeprefix("thumb://")
    pix = QPixmap(64, 64)
    pix.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pix)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(QColor(colors.get(name, "#bdbdbd")))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawEllipse(0, 0, 64, 64)
    painter.setPen(QColor("white"))
    font = painter.font()
    font.setPixelSize(30)
    font.setBold(True)
    painter.setFont(font)
    painter.drawText(pix.rect(), Qt.AlignmentFlag.AlignCenter, name[:1])
    painter.end()
    return pix


def dark_palette() -> QPalette:
    pal = QPalette()
    for role, color in {
        QPalette.ColorRole.Window: "#2b2b2b",
        QPalette.ColorRole.WindowText: "#e0e0e0",
        QPalette.ColorRole.Base: "#1e1e1e",
        QPalette.ColorRole.AlternateBase: "#262626",
        QPalette.ColorRole.Text: "#e0e0e0",
        QPalette.ColorRole.Button: "#353535",
        QPalette.ColorRole.ButtonText: "#e0e0e0",
        QPalette.ColorRole.Highlight: "#3d6fb4",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.ToolTipBase: "#353535",
        QPalette.ColorRole.ToolTipText: "#e0e0e0",
        QPalette.ColorRole.PlaceholderText: "#8a8a8a",
        QPalette.ColorRole.Link: "#8ab4f8",
    }.items():
        pal.setColor(role, QColor(color))
    pal.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText, QColor("#7a7a7a"))
    pal.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor("#7a7a7a"))
    pal.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor("#7a7a7a"))
    return pal


def grab(widget: QWidget, path: Path) -> Path:
    QApplication.processEvents()
    widget.grab().save(str(path))
    print(path)
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("/tmp"))
    parser.add_argument("--style", default="Fusion")
    parser.add_argument("--dark", action="store_true")
    args = parser.parse_args()

    app = QApplication(sys.argv[:1])
    app.setStyle(args.style)
    if args.dark:
        app.setPalette(dark_palette())
    suffix = "-dark" if args.dark else ""
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    video = out / "vg-sample.mp4"
    video.write_bytes(b"\0")

    # 1. Editor and queue side by side, as the main window lays them out.
    store: dict[str, object] = {}
    window = QSplitter(Qt.Orientation.Horizontal)
    window.setWindowTitle("VideoGen Studio — screenshot")
    editor = ScriptEditor(load=store.get, save=store.__setitem__)
    editor.set_voices(VOICES)
    editor.set_presenter("vg_pres_anna", "Anna", "thumb://Anna")
    editor.set_script(SCRIPT)
    editor.set_replacements([("VideoGen", "video gen"), ("GIF", "")])
    panel = QueuePanel(thumbnail=thumbnail)
    jobs = sample_jobs(video)
    for job in jobs:
        panel.apply(_Event("added", job))
    panel.select_job(jobs[3].job_id)  # the failed one: shows the error box
    window.addWidget(editor)
    window.addWidget(panel)
    window.setSizes([560, 820])
    window.resize(QSize(1380, 760))
    window.show()
    QTimer.singleShot(0, lambda: None)
    app.processEvents()
    grab(window, out / f"vg-main{suffix}.png")
    grab(editor, out / f"vg-editor{suffix}.png")
    editor.voice_combo.showPopup()  # the grouped voice list
    app.processEvents()
    popup = editor.voice_combo.view().window()
    grab(popup, out / f"vg-voices-popup{suffix}.png")
    editor.voice_combo.hidePopup()
    grab(panel, out / f"vg-queue{suffix}.png")

    # 2. Editor states: empty script and no presenter; over-long script.
    empty = ScriptEditor()
    empty.set_voices(VOICES)
    empty.resize(560, 720)
    empty.show()
    grab(empty, out / f"vg-editor-empty{suffix}.png")
    empty.set_presenter("vg_pres_anna", "Anna", "")
    empty.set_script("word " * 1100)
    grab(empty, out / f"vg-editor-too-long{suffix}.png")
    empty.resize(empty.minimumSizeHint().width(), 720)  # the narrowest the splitter allows
    grab(empty, out / f"vg-editor-narrow{suffix}.png")

    # 3. Queue with the uncertain (cancelled) job selected, and the empty queue.
    panel.select_job(jobs[4].job_id)
    grab(panel, out / f"vg-queue-uncertain{suffix}.png")
    empty_panel = QueuePanel()
    empty_panel.resize(820, 360)
    empty_panel.show()
    grab(empty_panel, out / f"vg-queue-empty{suffix}.png")

    # 4. Dialogs.
    settings = SettingsDialog(Settings(base_url="http://example.com", output_dir=str(Path.home() / "Videos")))
    settings.show()
    grab(settings, out / f"vg-settings{suffix}.png")

    async def never(_url: str, _key: str) -> None:
        return None

    account = AccountDialog(never, mode="api", api_key="sk-example", keyring_available=False)
    account.show()
    account._show_result(
        "The API key is missing or invalid. Open Account and enter a valid API key.", ok=False
    )
    grab(account, out / f"vg-account{suffix}.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
