"""Local stand-in for api.videogen.io: real HTTP on loopback (API origin + signed-URL storage origin).

Importing this package is nearly free: the server, its routes and state load when a name is first used, and
media (numpy, av, PIL) only when something is rendered. See server.py for the parts and generations.py for
the API generations (A, B, C) the sandbox can play.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from videogen_studio.sandbox.config import Account, SandboxAccount, SandboxConfig
    from videogen_studio.sandbox.faults import FaultRule
    from videogen_studio.sandbox.server import SandboxServer, serve_forever

_HOMES = {
    "Account": "config",  # the old name of SandboxAccount, kept for callers not yet switched
    "SandboxAccount": "config",
    "SandboxConfig": "config",
    "FaultRule": "faults",
    "SandboxServer": "server",
    "serve_forever": "server",
}

__all__ = ["Account", "FaultRule", "SandboxAccount", "SandboxConfig", "SandboxServer", "serve_forever"]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
