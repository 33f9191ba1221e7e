"""Drive the real app through a render against the embedded sandbox and save screenshots for the README.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--theme light|dark]

Runs on whatever display Qt gets (offscreen by default; set QT_QPA_PLATFORM=xcb under xvfb-run to see a real
window manager path). Uses a throwaway profile folder so your own settings and jobs are untouched.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_LOGGING_RULES", "qt.multimedia.*=false")

import qasync
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from videogen_studio.app import build_studio, create_application  # noqa: E402
from videogen_studio.paths import app_paths  # noqa: E402
from videogen_studio.pipeline.jobs import JobState  # noqa: E402
from videogen_studio.sandbox import SandboxConfig  # noqa: E402
from videogen_studio.settings import Settings, save_settings  # noqa: E402

SCRIPT = (
    "Welcome to VideoGen Studio! Type a script, pick a presenter, and press render. "
    "In a few seconds your talking-head clip is ready to preview and download."
)


def snap(window, path: Path) -> None:  # type: ignore[no-untyped-def]
    """Under a real X server grab the screen (QWidget.grab() cannot see video surfaces); else grab()."""
    if QGuiApplication.platformName() == "xcb":
        geo = window.frameGeometry()
        window.screen().grabWindow(0, geo.x(), geo.y(), geo.width(), geo.height()).save(str(path))
    else:
        window.grab().save(str(path))


async def wait_for(predicate, timeout: float = 60.0, step: float = 0.05) -> None:  # type: ignore[no-untyped-def]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise TimeoutError("condition not reached")
        await asyncio.sleep(step)


async def drive(out: Path, theme: str) -> None:
    paths = app_paths().ensure()
    save_settings(paths, Settings(output_dir=str(paths.downloads), theme=theme))
    studio = build_studio(paths, sandbox_config=SandboxConfig.demo())
    window, controller = studio.window, studio.controller
    window.resize(1480, 940)
    window.show()
    ready = asyncio.Event()
    controller.ready.connect(ready.set)
    controller.spawn(controller.start())
    await asyncio.wait_for(ready.wait(), 60)
    await asyncio.sleep(2.0)  # thumbnails arrive
    snap(window, out / "01-gallery.png")

    gallery = window.gallery
    presenters = list(controller.presenters)
    gallery.select_presenter(presenters[5])
    window.editor.set_script(SCRIPT)
    await asyncio.sleep(1.5)  # the detail pane loads the portrait and starts the preview clip
    snap(window, out / "02-script.png")

    window.editor.request_render()
    queue = controller.session.queue  # type: ignore[union-attr]
    await asyncio.sleep(1.0)
    snap(window, out / "03-rendering.png")
    await wait_for(lambda: all(j.state.is_terminal for j in queue.jobs()), timeout=120)
    job = queue.jobs()[0]
    assert job.state == JobState.DONE, job.error_message
    window.queue_panel.select_job(job.job_id)
    window.player.load(job.output_path, autoplay=True)  # type: ignore[arg-type]
    await asyncio.sleep(2.5)
    window.player.pause()
    snap(window, out / "04-playing.png")
    print(f"rendered {job.output_path} ({job.duration_seconds:.1f} s); screenshots in {out}")
    window.close()
    await asyncio.wait_for(_finished(controller), 30)


async def _finished(controller) -> None:  # type: ignore[no-untyped-def]
    done = asyncio.Event()
    controller.finished.connect(done.set)
    if controller.session is None:
        return
    await done.wait()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--theme", default="light", choices=["light", "dark", "system"])
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    os.environ["VIDEOGEN_STUDIO_HOME"] = tempfile.mkdtemp(prefix="vgs-shots-")
    app = create_application([sys.argv[0]])
    app.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        loop.run_until_complete(drive(args.out, args.theme))
    QApplication.processEvents()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
