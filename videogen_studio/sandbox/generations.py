"""The three shapes of the VideoGen API the sandbox can play (see /work/shared/api/README.md).

Routes ask the `Generation` for a feature flag; nothing else in the sandbox branches on the letter.

| feature                          | A (May 2026) | B (the spec, 2026-07) | C (SDK 2.x) |
|----------------------------------|--------------|-----------------------|-------------|
| presenter list                   | one page     | paginated, `voiceId`  | 404         |
| ACTOR entities (`/v1/entities`)  | 404          | yes (in the spec)     | yes         |
| lists: limit/cursor/hasMore      | no           | yes                   | yes         |
| `GET /v1/me`                     | 404          | yes                   | yes         |
| `GET /v1/tools/executions`       | 404          | yes (`selfOnly`)      | yes         |
| TTS `voiceId`                    | optional     | required              | required    |
| generate-avatar body             | presenter    | presenter             | actor (+ presenter: opt-in) |
| execution ids                    | `vg_exec_`   | `vg_tool_`            | `vg_tool_`  |
| `awaiting_approval` gate         | no           | no                    | approval_required |
Files list/search and public preview exist in every generation (A's notes list them; A's list: one page).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Generation:
    name: str
    paginated: bool
    presenter_list: bool
    entities: bool
    me: bool
    execution_list: bool
    voice_required: bool
    actor_avatar: bool  # generate-avatar takes actorEntityId + audioFileId + avatarQuality
    approval_gate: bool  # may stop executions in awaiting_approval
    execution_prefix: str


GENERATIONS: dict[str, Generation] = {
    "A": Generation("A", False, True, False, False, False, False, False, False, "vg_exec_"),
    "B": Generation("B", True, True, True, True, True, True, False, False, "vg_tool_"),
    "C": Generation("C", True, False, True, True, True, True, True, True, "vg_tool_"),
}
EXECUTION_PREFIXES = ("vg_exec_", "vg_tool_")  # ids of either shape are looked up in every generation
