"""`sandbox`: serve the local VideoGen stand-in over HTTP, speaking generation A, B (the spec) or C."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
from pathlib import Path

from ..paths import app_paths


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sandbox = sub.add_parser("sandbox", help="serve the local VideoGen stand-in over HTTP")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8765, help="0 picks a free port (printed at start)")
    sandbox.add_argument("--data-dir", type=Path, help="where generated media is kept")
    sandbox.add_argument("--fast", action="store_true", help="near-instant executions (scripts, tests)")
    sandbox.add_argument(
        "--api-generation",
        choices=["A", "B", "C"],
        default="B",
        type=str.upper,
        help="A = May 2026 (one page), B = the 2026-07 spec (default), C = actors and approvals",
    )


def run(args: argparse.Namespace) -> int:
    from ..sandbox import SandboxConfig, serve_forever

    data_dir = args.data_dir or app_paths().data / "sandbox-server"
    config = SandboxConfig.fast() if args.fast else SandboxConfig.demo()
    config = dataclasses.replace(config, api_generation=args.api_generation)
    with contextlib.suppress(KeyboardInterrupt):
        serve_forever(args.host, args.port, data_dir, config)
    return 0
