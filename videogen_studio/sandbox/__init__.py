"""Local stand-in for api.videogen.io: real HTTP on loopback (API origin + signed-URL storage origin)."""

from videogen_studio.sandbox.faults import FaultRule
from videogen_studio.sandbox.server import SandboxServer, serve_forever
from videogen_studio.sandbox.state import Account, SandboxConfig

__all__ = ["Account", "FaultRule", "SandboxConfig", "SandboxServer", "serve_forever"]
