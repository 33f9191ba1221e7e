"""Why a long command should stop early: SIGTERM, SIGHUP, Ctrl+C, or the reader of our output left.

Any of these sets one event; the command then stops driving its job, which stays saved and resumable
(a paid request in flight is allowed to finish so its id is kept), closes the session and exits with
128 + the signal number. Nothing is cancelled on the server: what was paid for stays usable.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal

from .console import Console

PIPE_CHECK_S = 0.5  # how often a vanished reader is noticed while nothing is printed


class StopController:
    def __init__(self, console: Console) -> None:
        self._console = console
        self.event = asyncio.Event()
        self.signal: signal.Signals | None = None
        self._watch: asyncio.Task[None] | None = None
        self._installed: list[signal.Signals] = []
        console.on_closed(lambda: self.stop(signal.SIGPIPE))

    def install(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):  # Windows, threads
                loop.add_signal_handler(sig, self.stop, sig)
                self._installed.append(sig)
        self._watch = loop.create_task(self._watch_pipes(), name="cli-pipe-watch")

    def uninstall(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in self._installed:
            loop.remove_signal_handler(sig)
        self._installed.clear()
        if self._watch is not None:
            self._watch.cancel()

    def stop(self, sig: signal.Signals) -> None:
        if self.signal is None:
            self.signal = sig
        self.event.set()

    @property
    def exit_code(self) -> int:
        return 128 + int(self.signal) if self.signal is not None else 1

    @property
    def reason(self) -> str:
        if self.signal is signal.SIGPIPE:
            return "the output was closed"
        if self.signal is signal.SIGINT:
            return "interrupted"
        return f"stopped by {self.signal.name}" if self.signal is not None else "stopped"

    async def _watch_pipes(self) -> None:
        while not self.event.is_set():
            if self._console.pipe_gone():
                self._console.mark_closed()
                return
            await asyncio.sleep(PIPE_CHECK_S)


def stopped_before_sending(stopper: StopController, console: Console, job_id: str | None = None) -> int:
    """A stop that came before a paid request was sent: send nothing, say so, exit as stopped."""
    what = f"render {job_id} was not sent again" if job_id else "nothing was sent"
    console.err(f"{stopper.reason}: {what}; nothing was paid")
    return stopper.exit_code
