"""Knobs of one sandbox (`SandboxConfig`) and its accounts (`Account`)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Account:
    credits: float = 1000.0
    production_addon: bool = False
    revoked: bool = False


def _default_accounts() -> dict[str, Account]:
    return {"vg_key_sandbox": Account()}


def _default_rate_limits() -> dict[str, int]:
    # sandbox choice: the real numbers are unknown; "generous, aimed at abuse" per the docs.
    return {"tools": 600, "executions": 36_000, "files": 3_600, "resources": 600}


@dataclass
class SandboxConfig:
    """Knobs of one sandbox; defaults are the demo profile (realistic but short)."""

    accounts: dict[str, Account] = field(default_factory=_default_accounts)
    tts_pending_s: float = 0.5
    tts_running_s: float = 1.0
    avatar_pending_s: float = 1.0
    avatar_running_s: float = 3.0
    signed_url_ttl_s: float = 3600.0
    upload_url_ttl_s: float = 900.0
    rate_limits: dict[str, int] = field(default_factory=_default_rate_limits)
    max_tts_chars: int = 5000  # sandbox choice: the real limit is undocumented
    video_size: int = 360
    presenter_count: int = 24
    control_api: bool = True
    persist: bool = True  # keep state in data_dir across restarts (persist.py); off: memory only, as before

    @classmethod
    def fast(cls) -> SandboxConfig:
        """For tests: executions finish in a fraction of a second, limits never get in the way."""
        return cls(
            tts_pending_s=0.05,
            tts_running_s=0.1,
            avatar_pending_s=0.05,
            avatar_running_s=0.15,
            rate_limits={group: 1_000_000 for group in _default_rate_limits()},
            video_size=128,
        )

    @classmethod
    def demo(cls) -> SandboxConfig:
        """The app's offline mode: TTS takes ~1.5 s, an avatar ~4 s, 40 presenters to browse."""
        return cls(presenter_count=40)
