"""Drive the real app through a render against the embedded sandbox and save screenshots for the README.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--theme light|dark] [--size WxH]

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
    """Under a real X server grab the whole screen (what the user sees, dialogs and window frame included;
    QWidget.grab() cannot see video surfaces); offscreen, grab the window."""
    QApplication.processEvents()
    if QGuiApplication.platformName() == "xcb":
        window.screen().grabWindow(0).save(str(path))
    else:
        window.grab().save(str(path))
    print(f"saved {path}")


async def wait_for(predicate, timeout: float = 60.0, step: float = 0.05) -> None:  # type: ignore[no-untyped-def]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise TimeoutError("condition not reached")
        await asyncio.sleep(step)


async def drive(out: Path, theme: str, size: tuple[int, int] | None, prefix: str) -> None:
    paths = app_paths().ensure()
    save_settings(paths, Settings(output_dir=str(paths.downloads), theme=theme))
    studio = build_studio(paths, sandbox_config=SandboxConfig.demo())
    window, controller = studio.window, studio.controller
    if size is None:
        window.showMaximized()
    else:
        window.resize(*size)
        window.show()
    ready = asyncio.Event()
    controller.ready.connect(ready.set)
    controller.spawn(controller.start())
    await asyncio.wait_for(ready.wait(), 90)
    await asyncio.sleep(2.0)  # thumbnails arrive
    snap(window, out / f"{prefix}01-gallery.png")

    presenters = list(controller.presenters)
    window.gallery.select_presenter(presenters[5])
    window.editor.set_script(SCRIPT)
    await asyncio.sleep(1.5)  # the detail pane loads the portrait and starts the preview clip
    snap(window, out / f"{prefix}02-script.png")

    window.registry["render"].trigger()
    queue = controller.session.queue  # type: ignore[union-attr]
    await asyncio.sleep(1.0)
    snap(window, out / f"{prefix}03-rendering.png")
    await wait_for(lambda: queue.jobs() and all(j.state.is_terminal for j in queue.jobs()), timeout=180)
    job = queue.jobs()[0]
    assert job.state == JobState.DONE, job.error_message
    await asyncio.sleep(2.5)  # the result page opened by itself and plays
    window.player.pause()
    snap(window, out / f"{prefix}04-result.png")
    window.go_library()
    await asyncio.sleep(1.0)
    snap(window, out / f"{prefix}05-library.png")
    window.go_create()
    controller.open_settings_dialog()
    await asyncio.sleep(0.8)
    snap(window, out / f"{prefix}06-settings.png")
    controller.sessions._settings_dialog.reject()  # type: ignore[union-attr]
    controller.open_account_dialog()
    await asyncio.sleep(0.8)
    snap(window, out / f"{prefix}07-account.png")
    controller.sessions._account_dialog.reject()  # type: ignore[union-attr]
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
    parser.add_argument("--size", default="", help="WxH window size; default: maximized")
    parser.add_argument("--prefix", default="", help="prefix for the file names")
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.lower().split("x")) if args.size else None
    args.out.mkdir(parents=True, exist_ok=True)
    os.environ["VIDEOGEN_STUDIO_HOME"] = tempfile.mkdtemp(prefix="vgs-shots-")
    app = create_application([sys.argv[0]])
    app.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        loop.run_until_complete(drive(args.out, args.theme, size, args.prefix))  # type: ignore[arg-type]
    QApplication.processEvents()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
