"""Read-only listings: `presenters`, `voices`, `actors`, `history` (executions), `files` and `files search`.

One tab-separated line per item on stdout (easy to `cut`/`grep`), every page of the service walked.
A listing the service does not offer (no presenter list on an actor service, no history on an old one)
is one line saying what to use instead.
"""

from __future__ import annotations

import argparse

from ..api.errors import VideoGenError
from ..api.models import StorageFile
from ..session import Session
from .connect import EXIT_FAILED, CliError, open_session
from .console import Console
from .stop import StopController
from .wording import PROG, error_kind, error_line


def add_parsers(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    sub.add_parser("presenters", parents=[common], help="list avatar presenters").set_defaults(
        handler=run_presenters
    )
    voices = sub.add_parser("voices", parents=[common], help="list text-to-speech voices")
    voices.add_argument("--all", action="store_true", help="include deprecated voices")
    voices.set_defaults(handler=run_voices)
    sub.add_parser("actors", parents=[common], help="list ACTOR entities (for render --actor)").set_defaults(
        handler=run_actors
    )
    history = sub.add_parser("history", parents=[common], help="list executions started with this account")
    history.add_argument("--limit", type=int, default=50, metavar="N", help="newest N (default 50; 0 = all)")
    history.add_argument("--mine", action="store_true", help="only those started with this API key")
    history.set_defaults(handler=run_history)
    files = sub.add_parser("files", parents=[common], help="list stored files, or `files search QUERY`")
    files.add_argument("action", nargs="?", choices=["list", "search"], default="list")
    files.add_argument("query", nargs="*", help="what to look for (with `search`)")
    files.add_argument("--limit", type=int, default=50, metavar="N", help="at most N files (0 = all)")
    files.set_defaults(handler=run_files)


def _unsupported(what: str, instead: str) -> CliError:
    return CliError(error_line(f"this service has no {what}", instead), EXIT_FAILED)


async def _missing_endpoint(exc: VideoGenError, what: str, instead: str) -> None:
    if error_kind(exc) == "not_found" or getattr(exc, "status", None) in (404, 405, 410):
        raise _unsupported(what, instead) from None
    raise exc


async def run_presenters(args: argparse.Namespace, console: Console, stopper: StopController) -> int:
    async with open_session(args, console, drive=False) as session:
        caps = session.capabilities
        if session.catalog is None or (caps is not None and caps.avatar_source == "actors"):
            raise _unsupported("presenter list (it renders actors)", f"see `{PROG} actors`")
        for p in await session.catalog.performers():  # every page, named as the GUI names them
            console.out(f"{p.performer_id}\t{p.gender}\t{p.name}\t{p.thumbnail_url}")
    return 0


async def run_voices(args: argparse.Namespace, console: Console, stopper: StopController) -> int:
    async with open_session(args, console, drive=False) as session:
        for v in await session.client.list_voices(include_deprecated=args.all):
            flags = ",".join(
                name
                for name, on in (
                    ("deprecated", v.is_deprecated),
                    ("no-direct-tts", not v.supports_direct_tool_execution),
                    ("all-languages", v.supports_all_languages),
                )
                if on
            )
            console.out(f"{v.voice_id}\t{v.language_code}\t{v.display_name}\t{v.display_gender}\t{flags}")
    return 0


async def run_actors(args: argparse.Namespace, console: Console, stopper: StopController) -> int:
    async with open_session(args, console, drive=False) as session:
        try:
            actors = await session.client.list_entities(entity_type="ACTOR")
        except VideoGenError as exc:
            await _missing_endpoint(exc, "actors (it renders presenters)", f"see `{PROG} presenters`")
            raise
        for a in actors:
            voice = a.actor_config.voice_display_name if a.actor_config else None
            description = " ".join(a.description.split())
            console.out(f"{a.entity_id}\t{a.name}\t{voice or ''}\t{description}".rstrip())
    return 0


async def run_history(args: argparse.Namespace, console: Console, stopper: StopController) -> int:
    async with open_session(args, console, drive=False) as session:
        try:
            executions = await session.client.list_executions(self_only=args.mine, limit=args.limit or None)
        except VideoGenError as exc:
            await _missing_endpoint(exc, "execution history", "see your renders at app.videogen.io")
            raise
        for e in executions:
            results = ",".join(r.file_id for r in e.results)
            progress = "" if e.progress_percentage is None else f"{e.progress_percentage:.0f}%"
            console.out(f"{e.tool_execution_id}\t{e.tool_type}\t{e.status}\t{progress}\t{results}".rstrip())
    return 0


async def run_files(args: argparse.Namespace, console: Console, stopper: StopController) -> int:
    query = " ".join(args.query).strip()
    if args.action == "search" and not query:
        raise CliError(error_line("`files search` needs a query", f"e.g. `{PROG} files search welcome`"))
    if args.action == "list" and query:
        hint = f"to search, use `{PROG} files search {query}`"
        raise CliError(error_line(f"unexpected words {query!r}", hint))
    async with open_session(args, console, drive=False) as session:
        if args.action == "search":
            await _search(session, query, args.limit or 100, console)
        else:
            await _list(session, args.limit or None, console)
    return 0


async def _list(session: Session, limit: int | None, console: Console) -> None:
    try:
        files = await session.client.list_files(limit=limit)
    except VideoGenError as exc:
        await _missing_endpoint(exc, "file list", "see your files at app.videogen.io")
        raise
    for f in files:
        console.out(_file_line(f))


async def _search(session: Session, query: str, limit: int, console: Console) -> None:
    try:
        found = await session.client.search_files(query, num_results=limit)
    except VideoGenError as exc:
        await _missing_endpoint(exc, "file search", f"list them with `{PROG} files`")
        raise
    for hit in found:
        console.out(f"{hit.similarity:.2f}\t{_file_line(hit.file)}")


def _file_line(f: StorageFile) -> str:
    duration = "" if f.duration_seconds is None else f"{f.duration_seconds:.1f}s"
    name = " ".join((f.display_name or "").split())
    return f"{f.file_id}\t{f.type or ''}\t{duration}\t{name}".rstrip()
