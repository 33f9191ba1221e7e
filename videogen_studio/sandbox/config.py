"""Knobs of one sandbox (`SandboxConfig`) and its accounts (`SandboxAccount`; not api.models.Account)."""

from __future__ import annotations

from dataclasses import dataclass, field

from videogen_studio.sandbox.generations import GENERATIONS


@dataclass
class SandboxAccount:
    """One API key's account. The `/v1/me` fields default to values derived from the key (`me_json`).

    Keys with the same `team_id` form a team: `GET /v1/tools/executions` without `selfOnly` lists the whole
    team's executions. By default every key is its own team.
    """

    credits: float = 1000.0
    production_addon: bool = False
    revoked: bool = False
    email: str | None = None
    display_name: str | None = None
    team_id: str | None = None
    key_nickname: str | None = None


#: The old name, kept for callers not yet switched (tests/ui, test_pipeline, test_session).
Account = SandboxAccount


def _default_accounts() -> dict[str, SandboxAccount]:
    return {"vg_key_sandbox": SandboxAccount()}


def _default_rate_limits() -> dict[str, int]:
    # sandbox choice: the real numbers are unknown; "generous, aimed at abuse" per the docs.
    return {"tools": 600, "executions": 36_000, "files": 3_600, "resources": 600}


@dataclass
class SandboxConfig:
    """Knobs of one sandbox; defaults are the demo profile (realistic but short)."""

    accounts: dict[str, SandboxAccount] = field(default_factory=_default_accounts)
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
    voice_count: int = 18  # the 18 hand-made voices; more are generated (demo: 64, so voices need pages)
    # The shape of the API this sandbox plays (generations.py): "A" (May 2026), "B" (spec), "C" (SDK 2.x).
    api_generation: str = "B"
    # Generation C only: executions stop in `awaiting_approval` after rendering until approved through the
    # control API (`POST /_sandbox/executions/{id}/approve`) or `SandboxState.approve(id)`. Off by default,
    # so a C sandbox renders like the others unless a test or a demo asks for the gate.
    approval_required: bool = False
    # Generation C: whether generate-avatar still takes the presenter form (avatarPresenterId,
    # audioStorageFileId). Unknown for the real service; the sandbox refuses it by default (400), the
    # stricter choice, so the app's preflight and fallback paths get exercised.
    c_accepts_presenter_form: bool = False

    def __post_init__(self) -> None:
        if self.api_generation not in GENERATIONS:
            raise ValueError(f"api_generation must be A, B or C, not {self.api_generation!r}")
        if self.approval_required and self.api_generation != "C":
            raise ValueError("approval_required is a generation C feature (api_generation='C')")

    @classmethod
    def fast(cls, api_generation: str = "B") -> SandboxConfig:
        """For tests: executions finish in a fraction of a second, limits never get in the way.

        24 presenters and 18 voices: one page at the default limit, several at a small `limit`.
        """
        return cls(
            api_generation=api_generation,
            tts_pending_s=0.05,
            tts_running_s=0.1,
            avatar_pending_s=0.05,
            avatar_running_s=0.15,
            rate_limits={group: 1_000_000 for group in _default_rate_limits()},
            video_size=128,
        )

    @classmethod
    def demo(cls, api_generation: str = "B") -> SandboxConfig:
        """The app's offline mode: TTS takes ~1.5 s, an avatar ~4 s; 120 presenters and 64 voices (pages)."""
        return cls(presenter_count=120, voice_count=64, api_generation=api_generation)
