"""Local stand-in for api.videogen.io: real HTTP on loopback (API origin + signed-URL storage origin)."""

from videogen_studio.sandbox.config import Account, SandboxConfig
from videogen_studio.sandbox.faults import FaultRule
from videogen_studio.sandbox.server import SandboxServer, serve_forever

__all__ = ["Account", "FaultRule", "SandboxConfig", "SandboxServer", "serve_forever"]
