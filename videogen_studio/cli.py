"""Command line: the GUI (default), headless `render`, `presenters`/`voices` listings, and `sandbox`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import time
from pathlib import Path

from .api.errors import VideoGenError
from .credentials import ENV_VAR, SecretStore
from .paths import app_paths
from .pipeline.jobs import JobState, RenderJob, RenderSpec
from .pipeline.queue import JobEvent
from .settings import SANDBOX, Settings, load_settings


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="videogen-studio", description=__doc__)
    sub = parser.add_subparsers(dest="command")

    gui = sub.add_parser("gui", help="start the desktop app (the default)")
    gui.add_argument("--play", type=Path, metavar="FILE", help="open this clip in the player at start")
    gui.add_argument(
        "--quit-after",
        type=float,
        metavar="SECONDS",
        help="close after SECONDS; with --play, exit 3 if the clip did not play (smoke tests)",
    )

    def add_service_args(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--base-url",
            help=f"API base URL, or '{SANDBOX}' for the embedded offline server (default: from settings)",
        )

    render = sub.add_parser("render", help="render one clip without the GUI")
    add_service_args(render)
    render.add_argument("--presenter", required=True, help="avatarPresenterId (see `presenters`)")
    render.add_argument("--voice", help="voiceId (see `voices`); default: the service's default voice")
    render.add_argument("--script", required=True, help="text file with the script, or - for stdin")
    render.add_argument("--out", required=True, type=Path, help="folder for the finished MP4")
    render.add_argument("--language", help="ISO-639-1 hint for speech, e.g. en")
    render.add_argument("--speed", type=float, help="voice speed multiplier, e.g. 1.1")
    render.add_argument("--watermark", choices=["AUTO", "VIDEO_GEN", "NONE"], default="AUTO")
    render.add_argument("--temporary", action="store_true", help="ask for temporary outputs (kept 24 h)")
    render.add_argument("--auto-expand", action="store_true", help="expand numbers and symbols to words")
    render.add_argument(
        "--replace", action="append", default=[], metavar="ORIGINAL=SPOKEN", help="pronunciation replacement"
    )

    presenters = sub.add_parser("presenters", help="list avatar presenters")
    add_service_args(presenters)
    voices = sub.add_parser("voices", help="list text-to-speech voices")
    add_service_args(voices)
    voices.add_argument("--all", action="store_true", help="include deprecated voices")

    sandbox = sub.add_parser("sandbox", help="serve the local VideoGen stand-in over HTTP")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8765)
    sandbox.add_argument("--data-dir", type=Path, help="where generated media is kept")
    sandbox.add_argument("--fast", action="store_true", help="near-instant executions (scripts, tests)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    command = args.command or "gui"
    if command == "gui":
        from .app import run_gui  # Qt is imported only for the GUI

        # Plain `videogen-studio` (no sub-command) has neither option.
        return run_gui(play=getattr(args, "play", None), quit_after=getattr(args, "quit_after", None))
    if command == "sandbox":
        return _serve_sandbox(args)
    try:
        return asyncio.run(_run_async(command, args))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `videogen-studio presenters | head`: the reader left; that is not an error.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at interpreter exit
        return 0


def _serve_sandbox(args: argparse.Namespace) -> int:
    from .sandbox import SandboxConfig, serve_forever

    data_dir = args.data_dir or app_paths().data / "sandbox-server"
    config = SandboxConfig.fast() if args.fast else SandboxConfig.demo()
    with contextlib.suppress(KeyboardInterrupt):
        serve_forever(args.host, args.port, data_dir, config)
    return 0


async def _run_async(command: str, args: argparse.Namespace) -> int:
    from .session import Session

    paths = app_paths()
    settings = load_settings(paths)
    if args.base_url:
        settings.base_url = args.base_url
    key = None
    if not settings.uses_sandbox:
        stored = SecretStore(paths.data / "api-key").load()
        if stored is None:
            print(f"No API key: set {ENV_VAR} or save one in the app's Account dialog.", file=sys.stderr)
            return 2
        key = stored.key
    try:
        session = await Session.open(settings, paths, key, start_queue=command == "render")
    except VideoGenError as exc:
        print(f"error: {exc.user_message()}", file=sys.stderr)
        return 1
    try:
        if command == "presenters":
            for p in await session.client.list_presenters():
                print(f"{p.avatar_presenter_id}\t{p.displayable_gender}\t{p.thumbnail_url}")
            return 0
        if command == "voices":
            for v in await session.client.list_voices(include_deprecated=args.all):
                flags = ",".join(
                    f
                    for f, on in (
                        ("deprecated", v.is_deprecated),
                        ("no-direct-tts", not v.supports_direct_tool_execution),
                        ("all-languages", v.supports_all_languages),
                    )
                    if on
                )
                print(f"{v.voice_id}\t{v.language_code}\t{v.display_name}\t{flags}")
            return 0
        return await _render(session, settings, args)
    except VideoGenError as exc:
        print(f"error: {exc.user_message()}", file=sys.stderr)
        return 1
    finally:
        await session.close()


def _read_script(source: str) -> str:
    return sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")


async def _render(session: object, settings: Settings, args: argparse.Namespace) -> int:
    from .session import Session

    assert isinstance(session, Session)
    replacements = []
    for item in args.replace:
        original, sep, spoken = item.partition("=")
        if not sep or not original:
            print(f"error: --replace expects ORIGINAL=SPOKEN, got {item!r}", file=sys.stderr)
            return 2
        replacements.append((original, spoken))
    script = _read_script(args.script)
    if not script.strip():
        print("error: the script is empty; write something for the presenter to say.", file=sys.stderr)
        return 2
    # Check the ids before anything is paid for: a bad presenter would otherwise fail after the speech step.
    presenters = {p.avatar_presenter_id for p in await session.client.list_presenters()}
    if args.presenter not in presenters:
        hint = "see `videogen-studio presenters`"
        print(f"error: unknown presenter {args.presenter!r}; {hint}.", file=sys.stderr)
        return 2
    if args.voice:
        voices = {v.voice_id: v for v in await session.client.list_voices(include_deprecated=True)}
        voice = voices.get(args.voice)
        if voice is None or not voice.supports_direct_tool_execution:
            problem = "unknown voice" if voice is None else "voice cannot be used for text-to-speech"
            print(f"error: {problem} {args.voice!r}; see `videogen-studio voices`.", file=sys.stderr)
            return 2
    spec = RenderSpec(
        presenter_id=args.presenter,
        script=script,
        voice_id=args.voice,
        language_code=args.language,
        voice_speed=args.speed,
        replacements=tuple(replacements),
        auto_expand=args.auto_expand,
        watermark_mode=args.watermark,
        temporary=args.temporary,
        output_dir=str(args.out.resolve()),
    )
    finished: asyncio.Future[RenderJob] = asyncio.get_running_loop().create_future()
    progress = _Progress(sys.stderr)
    job = session.queue.submit(spec)

    def on_event(event: JobEvent) -> None:
        if event.job.job_id != job.job_id:
            return
        progress.show(event.job)
        if event.job.state.is_terminal and not finished.done():
            finished.set_result(event.job)

    unsubscribe = session.queue.subscribe(on_event)
    try:
        result = await finished
    except asyncio.CancelledError:
        await session.queue.cancel(job.job_id)
        raise
    finally:
        unsubscribe()
    progress.end()
    if result.state == JobState.DONE:
        print(result.output_path)
        return 0
    print(f"error: {result.error_message or result.state.label}", file=sys.stderr)
    if result.error_hint:
        print(f"hint: {result.error_hint}", file=sys.stderr)
    return 1


class _Progress:
    """One updating line on a terminal; plain lines when redirected to a file."""

    def __init__(self, stream) -> None:  # type: ignore[no-untyped-def]
        self._stream = stream
        self._tty = stream.isatty()
        self._last = ""
        self._start = time.monotonic()

    def show(self, job: RenderJob) -> None:
        elapsed = time.monotonic() - self._start
        line = f"[{job.progress * 100:5.1f}%] {job.state.label:<22} {elapsed:6.1f}s"
        if line.split("]")[1] == self._last.split("]")[-1] and not self._tty:
            return
        if self._tty:
            self._stream.write("\r" + line.ljust(60))
        elif job.state.label not in self._last:
            self._stream.write(line + "\n")
        self._stream.flush()
        self._last = line

    def end(self) -> None:
        if self._tty:
            self._stream.write("\n")
            self._stream.flush()


if __name__ == "__main__":
    raise SystemExit(main())
