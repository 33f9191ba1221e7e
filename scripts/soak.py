"""Bounded soak: real `videogen-studio render` processes against a loopback sandbox, with crashes and rivals.

Each job is one CLI command (its own script and output folder; all jobs share one data folder). Its first
run meets one seeded mishap: kill -9 after the speech POST / during the avatar / during the download / at
a random moment, SIGTERM or SIGHUP, a second process with the same command on the same data folder, 429
bursts, connection resets, or a server error message that echoes the API key. Then the same command is rerun
(as a user would) until it exits 0, says a decision is needed (exit 4: may already have been sent), or
runs out of attempts. One extra run uses a key with a line break in it.

Printed at the end: jobs asked, done (clip delivered), reported uncertain, lost; speech and avatars paid
per job (max, from the sandbox's own execution records); occurrences of the API key in every file and
stream written (data folder, output folders, logs, stdout/stderr of every process).

    .venv/bin/python scripts/soak.py [--quick] [--jobs N] [--seed S] [--repo PATH] [--budget SECONDS]

`--repo` runs the CLI of another checkout (e.g. a `git worktree` of an older commit) against this
checkout's sandbox, so the same soak measures "before" and "after".
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent.parent
if str(HERE) not in sys.path:  # run as a plain script: import this checkout's sandbox
    sys.path.insert(0, str(HERE))

MISHAPS = (
    "kill_after_speech_post",
    "kill_during_avatar",
    "kill_during_download",
    "kill_random",
    "sigterm",
    "sighup",
    "rival",
    "burst_429",
    "resets",
    "echo_key",
    "clean",
)
TOKEN = re.compile(r"soak-token-[0-9a-f]{8}")
PROCESS_TIMEOUT_S = 60.0  # a run longer than this is killed and counted as a hang
MAX_ATTEMPTS = 4


# ----------------------------------------------------------------------------------------- counting
def paid_per_token(executions: dict[str, Any]) -> dict[str, tuple[int, int]]:
    """token -> (speech executions, avatar executions), from the sandbox's execution records.

    Every soak script carries a unique token; an avatar execution is traced to its token through the
    audio file it used (a result of one speech execution).
    """
    audio_token: dict[str, str] = {}
    speech: dict[str, int] = {}
    for execution in executions.values():
        if execution.tool_type != "TEXT_TO_SPEECH":
            continue
        found = TOKEN.search(str(execution.params.get("text", "")))
        if found is None:
            continue
        speech[found.group()] = speech.get(found.group(), 0) + 1
        for file_id in execution.results:
            audio_token[file_id] = found.group()
    avatars: dict[str, int] = {}
    for execution in executions.values():
        if execution.tool_type != "GENERATE_AVATAR":
            continue
        token = audio_token.get(str(execution.params.get("audioFileId", "")))
        if token is not None:
            avatars[token] = avatars.get(token, 0) + 1
    return {t: (speech.get(t, 0), avatars.get(t, 0)) for t in set(speech) | set(avatars)}


def key_occurrences(key: str, folders: list[Path], streams: list[Path]) -> dict[str, int]:
    """Occurrences of the key (as bytes) in every file under `folders` and in every stream file."""
    needle = key.encode()
    found: dict[str, int] = {}
    files = [p for folder in folders if folder.exists() for p in folder.rglob("*") if p.is_file()]
    for path in files + [s for s in streams if s.exists()]:
        try:
            count = path.read_bytes().count(needle)
        except OSError:
            continue
        if count:
            found[str(path)] = count
    return found


# ------------------------------------------------------------------------------------------- figures
@dataclass
class Figures:
    asked: int = 0
    done: int = 0
    uncertain: int = 0
    lost: int = 0
    hangs: int = 0
    processes: int = 0
    max_speech_per_job: int = 0
    max_avatars_per_job: int = 0
    jobs_paid_twice: int = 0
    key_occurrences: int = 0
    key_files: dict[str, int] = field(default_factory=dict)
    broken_key_exit: int | None = None
    outcomes: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    def lines(self) -> list[str]:
        return [
            f"jobs asked:                 {self.asked}",
            f"jobs done (clip delivered): {self.done}",
            f"jobs reported uncertain:    {self.uncertain}",
            f"jobs lost:                  {self.lost}",
            f"processes run / hung:       {self.processes} / {self.hangs}",
            f"speech paid per job (max):  {self.max_speech_per_job}",
            f"avatars paid per job (max): {self.max_avatars_per_job}",
            f"jobs with 2+ avatars paid:  {self.jobs_paid_twice}",
            f"key occurrences written:    {self.key_occurrences}"
            + "".join(f"\n    {n}  {p}" for p, n in sorted(self.key_files.items())),
            f"line-break key run exit:    {self.broken_key_exit}",
            f"wall time:                  {self.seconds:.0f} s",
        ]


# ----------------------------------------------------------------------------------------- the soak
class Soak:
    def __init__(
        self,
        work: Path,
        repo: Path,
        seed: int,
        log: Callable[[str], None],
        assets: Path | None = None,
        *,
        poll_interval_s: float | None = None,
    ) -> None:
        from videogen_studio.sandbox import SandboxAccount, SandboxConfig, SandboxServer

        self.work = work
        self.repo = repo
        self.rng = random.Random(seed)
        self.log = log
        self.key = "vg_key_soak_" + secrets.token_hex(12)
        config = dataclasses.replace(
            SandboxConfig.fast(),
            accounts={self.key: SandboxAccount(credits=1_000_000)},
            tts_running_s=0.4,
            avatar_running_s=1.0,
        )
        work.mkdir(parents=True, exist_ok=True)
        self.server = SandboxServer(work / "sandbox", assets_dir=assets or work / "assets", config=config)
        self.home = work / "home"
        self.streams: list[Path] = []
        self.figures = Figures()
        #: Per job: (process name, exit code) of every process run for it, in order.
        self.runs: dict[int, list[tuple[str, int]]] = {}
        self.tokens: dict[int, str] = {}  # per job: the unique token in its script
        #: Seconds to wait after the avatar POST before a kill "during the avatar" (seeded when None).
        self.avatar_kill_delay: float | None = None
        #: The CLIs' first poll interval (VIDEOGEN_POLL_INTERVAL_S); None = the product's own schedule
        #: (1.5 s), as the soak script runs. Tests ask for less: the executions take the same time,
        #: the processes just notice sooner.
        self.poll_interval_s = poll_interval_s
        self._started = False

    # -- sandbox ---------------------------------------------------------------------------------
    def executions(self) -> dict[str, Any]:
        state = self.server.state
        with state.lock:
            return dict(state.executions)

    def _token_executions(self, token: str, tool_type: str) -> list[Any]:
        executions = self.executions().values()
        speech = [e for e in executions if e.tool_type == "TEXT_TO_SPEECH" and token in str(e.params["text"])]
        if tool_type == "TEXT_TO_SPEECH":
            return speech
        audio = {f for e in speech for f in e.results}
        return [e for e in executions if e.tool_type == tool_type and e.params.get("audioFileId") in audio]

    def _storage_requests(self) -> int:
        return sum(1 for r in self.server.request_log if r.origin == "storage")

    def pick_inputs(self) -> tuple[str, str]:
        import httpx

        headers = {"Authorization": f"Bearer {self.key}"}
        with httpx.Client(base_url=self.server.base_url, headers=headers, timeout=30) as http:
            presenters = http.get("/v1/resources/avatar-presenters").json()
            voices = http.get("/v1/resources/tts-voices").json()
        presenter = _first_list(presenters)[0]["avatarPresenterId"]
        usable = [
            v
            for v in _first_list(voices)
            if v.get("supportsDirectToolExecution", True) and not v.get("isDeprecated", False)
        ]
        return presenter, usable[0]["voiceId"]

    # -- processes -------------------------------------------------------------------------------
    def env(self, key: str | None = None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("VIDEOGEN_")}
        env.update(
            VIDEOGEN_STUDIO_HOME=str(self.home),
            VIDEOGEN_API_KEY=self.key if key is None else key,
            PYTHONPATH=str(self.repo),
            PYTHONUNBUFFERED="1",
        )
        if self.poll_interval_s is not None:
            env["VIDEOGEN_POLL_INTERVAL_S"] = str(self.poll_interval_s)
        return env

    def start(self, argv: list[str], name: str, key: str | None = None) -> subprocess.Popen[bytes]:
        out, err = self.work / "streams" / f"{name}.out", self.work / "streams" / f"{name}.err"
        out.parent.mkdir(parents=True, exist_ok=True)
        self.streams += [out, err]
        self.figures.processes += 1
        with out.open("wb") as fo, err.open("wb") as fe:
            return subprocess.Popen(
                [sys.executable, "-m", "videogen_studio", *argv],
                env=self.env(key),
                cwd=self.work,  # not the repo: PYTHONPATH decides which checkout runs
                stdout=fo,
                stderr=fe,
                stdin=subprocess.DEVNULL,
            )

    def wait(self, proc: subprocess.Popen[bytes], index: int | None = None, name: str = "") -> int:
        try:
            code = proc.wait(timeout=PROCESS_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.figures.hangs += 1
            proc.kill()
            code = proc.wait()
        if index is not None:
            self.runs.setdefault(index, []).append((name, code))
        return code

    def stream(self, name: str, which: str = "err") -> str:
        return (self.work / "streams" / f"{name}.{which}").read_text(errors="replace")

    def wait_until(self, proc: subprocess.Popen[bytes], ready: Callable[[], bool], limit: float = 30) -> bool:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline and proc.poll() is None:
            if ready():
                return True
            time.sleep(0.01)
        return False

    # -- one job -----------------------------------------------------------------------------------
    def run_job(self, index: int, mishap: str, presenter: str, voice: str) -> str:
        token = f"soak-token-{self.rng.getrandbits(32):08x}"
        self.tokens[index] = token
        script = self.work / "scripts" / f"job{index:03d}.txt"
        script.parent.mkdir(parents=True, exist_ok=True)
        script.write_text(f"Soak job {index}, {token}. A short line for the presenter to say.\n")
        out = self.work / "out" / f"job{index:03d}"
        argv = ["render", "--base-url", self.server.base_url, "--presenter", presenter, "--voice", voice]
        argv += ["--script", str(script), "--out", str(out)]
        self.figures.asked += 1
        code = self._first_run(index, mishap, token, argv)
        attempt = 1
        while code != 0 and code != 4 and attempt < MAX_ATTEMPTS:
            self.server.faults.clear()
            name = f"job{index:03d}-run{attempt}"
            code = self.wait(self.start(argv, name), index, name)
            attempt += 1
        self.server.faults.clear()
        delivered = out.exists() and any(p.suffix == ".mp4" and p.stat().st_size > 0 for p in out.iterdir())
        outcome = "done" if code == 0 and delivered else "uncertain" if code == 4 else "lost"
        self.log(f"job {index:3d} {mishap:<24} exit {code:<4} {outcome}")
        return outcome

    def _first_run(self, index: int, mishap: str, token: str, argv: list[str]) -> int:
        from videogen_studio.sandbox import FaultRule

        name = f"job{index:03d}-run0"
        if mishap == "burst_429":
            for path in (r"^/v1/tools/text-to-speech$", r"^/v1/tools/executions/"):
                self.server.faults.add(FaultRule("status", path=path, status=429, retry_after=1, times=3))
        elif mishap == "resets":
            self.server.faults.add(FaultRule("reset", path=r"^/v1/tools/executions/", method="GET", times=2))
            self.server.faults.add(FaultRule("reset", path=".*", origin="storage", times=1))
        elif mishap == "echo_key":
            message = f"Key {self.key} is not allowed here."
            body = json.dumps({"message": message, "code": "invalid_parameters"})
            tts = r"^/v1/tools/text-to-speech$"
            self.server.faults.add(FaultRule("status", path=tts, status=400, body=body))
        proc = self.start(argv, name)
        if mishap == "rival":
            if self.wait_until(proc, lambda: bool(self._token_executions(token, "TEXT_TO_SPEECH"))):
                rival = f"job{index:03d}-rival"
                self.wait(self.start(argv, rival), index, rival)
            return self.wait(proc, index, name)
        trigger = self._trigger(proc, mishap, token)
        sig = {"sigterm": signal.SIGTERM, "sighup": signal.SIGHUP}.get(mishap, signal.SIGKILL)
        if trigger and proc.poll() is None:
            proc.send_signal(sig)
        return self.wait(proc, index, name)

    def _trigger(self, proc: subprocess.Popen[bytes], mishap: str, token: str) -> bool | None:
        """Wait for the mishap's moment; True = strike now, None = this mishap strikes no process."""
        if mishap == "kill_after_speech_post":
            return self.wait_until(proc, lambda: bool(self._token_executions(token, "TEXT_TO_SPEECH")))
        if mishap in ("kill_during_avatar", "sigterm", "sighup"):
            hit = self.wait_until(proc, lambda: bool(self._token_executions(token, "GENERATE_AVATAR")))
            delay = self.avatar_kill_delay
            time.sleep(self.rng.uniform(0.0, 0.8) if delay is None else delay)
            return hit
        if mishap == "kill_during_download":

            def avatar_done() -> bool:
                return any(e.status == "succeeded" for e in self._token_executions(token, "GENERATE_AVATAR"))

            if not self.wait_until(proc, avatar_done):
                return False
            seen = self._storage_requests()
            return self.wait_until(proc, lambda: self._storage_requests() > seen, limit=10)
        if mishap == "kill_random":
            time.sleep(self.rng.uniform(0.3, 4.0))
            return True
        return None

    def broken_key_run(self, presenter: str, voice: str) -> int:
        script = self.work / "scripts" / "broken-key.txt"
        script.parent.mkdir(parents=True, exist_ok=True)
        script.write_text("A render with a key that has a line break in it.\n")
        argv = ["render", "--base-url", self.server.base_url, "--presenter", presenter, "--voice", voice]
        argv += ["--script", str(script), "--out", str(self.work / "out" / "broken-key")]
        return self.wait(self.start(argv, "broken-key", key=self.broken_key), -1, "broken-key")

    @property
    def broken_key(self) -> str:
        return self.key + "\nX-Injected: 1"

    def inputs(self) -> tuple[str, str]:
        """Start the sandbox (if needed) and pick a presenter and a voice for every job."""
        if not self._started:
            self.server.start()
            self._started = True
        return self.pick_inputs()

    def close(self) -> None:
        if self._started:
            self.server.stop()
            self._started = False

    def paid(self) -> dict[str, tuple[int, int]]:
        return paid_per_token(self.executions())

    # -- all -------------------------------------------------------------------------------------------
    def run(self, jobs: int, budget_s: float) -> Figures:
        started = time.monotonic()
        try:
            presenter, voice = self.inputs()
            mishaps = [MISHAPS[i % len(MISHAPS)] for i in range(jobs)]
            self.rng.shuffle(mishaps)
            for index, mishap in enumerate(mishaps):
                if time.monotonic() - started > budget_s:
                    self.log(f"budget of {budget_s:.0f} s used up after {index} jobs")
                    break
                outcome = self.run_job(index, mishap, presenter, voice)
                self.figures.outcomes[f"job{index:03d} {mishap}"] = outcome
                setattr(self.figures, outcome, getattr(self.figures, outcome) + 1)
            self.figures.broken_key_exit = self.broken_key_run(presenter, voice)
            time.sleep(0.5)  # executions started by killed processes finish on the server meanwhile
            paid = self.paid()
        finally:
            self.close()
        self.figures.max_speech_per_job = max((s for s, _a in paid.values()), default=0)
        self.figures.max_avatars_per_job = max((a for _s, a in paid.values()), default=0)
        self.figures.jobs_paid_twice = sum(1 for _s, a in paid.values() if a > 1)
        folders = [self.home, self.work / "out"]
        self.figures.key_files = key_occurrences(self.key, folders, self.streams)
        self.figures.key_occurrences = sum(self.figures.key_files.values())
        self.figures.seconds = time.monotonic() - started
        return self.figures


def _first_list(body: Any) -> list[dict[str, Any]]:
    if isinstance(body, list):
        return body
    for value in body.values():
        if isinstance(value, list):
            return value
    raise ValueError("no list in the answer")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short run (≤ 60 s): fewer jobs")
    parser.add_argument("--jobs", type=int, help="jobs to ask for (default 20, --quick 5)")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--repo", type=Path, default=HERE, help="checkout whose CLI is soaked")
    parser.add_argument("--budget", type=float, help="seconds before no new job starts")
    parser.add_argument("--keep", action="store_true", help="keep the work folder for reading")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args(argv)
    jobs = args.jobs or (5 if args.quick else 20)
    budget = args.budget or (40.0 if args.quick else 150.0)
    work = Path(tempfile.mkdtemp(prefix="videogen-soak-"))
    print(f"soak: {jobs} jobs, seed {args.seed}, CLI from {args.repo.resolve()}, work in {work}", flush=True)
    try:
        soak = Soak(work, args.repo.resolve(), args.seed, lambda line: print(line, flush=True))
        figures = soak.run(jobs, budget)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print("\n".join(figures.lines()), flush=True)
    if args.json:
        args.json.write_text(json.dumps(dataclasses.asdict(figures), indent=2))
    bad = figures.lost or figures.max_avatars_per_job > 1 or figures.key_occurrences or figures.hangs
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
