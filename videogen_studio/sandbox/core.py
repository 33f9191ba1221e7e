"""What every part of the sandbox's state shares: the lock, the config, the three tables, the save hook.

`SandboxState` (state.py) is assembled from one mixin per job (accounts.py, files.py, executions.py,
renders.py, snapshots.py); each mixin reads and writes the tables declared here, under `lock`.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from videogen_studio.sandbox.catalog import Presenter, PresenterAssets, Voice
    from videogen_studio.sandbox.config import SandboxAccount, SandboxConfig
    from videogen_studio.sandbox.executions import Execution
    from videogen_studio.sandbox.files import StoredFile
    from videogen_studio.sandbox.generations import Generation
    from videogen_studio.sandbox.storage import UrlSigner


class StateCore:
    config: SandboxConfig
    data_dir: Path
    files_dir: Path
    signer: UrlSigner
    storage_url: str
    lock: threading.RLock
    accounts: dict[str, SandboxAccount]
    files: dict[str, StoredFile]
    executions: dict[str, Execution]
    assets: PresenterAssets
    generation: Generation
    _records: dict[str, str]  # cached snapshot records; a change to a file or execution drops its entry
    _stopped: bool

    # Implemented by the mixins; declared here so each mixin can call the others' parts (MRO ends here).
    def _job(self, tool_type: str, params: dict[str, Any]) -> Callable[[Execution], list[StoredFile]]:
        raise NotImplementedError  # renders.py

    def _charge(self, owner: str, cost: float) -> None:
        raise NotImplementedError  # accounts.py

    def _refund(self, execution: Execution) -> None:
        raise NotImplementedError  # accounts.py

    def _progress(self, execution: Execution) -> int:
        raise NotImplementedError  # executions.py

    def presenter(self, presenter_id: str) -> Presenter | None:
        raise NotImplementedError  # state.py

    def voice(self, voice_id: str) -> Voice | None:
        raise NotImplementedError  # state.py

    def file_json(self, stored: StoredFile, hydrate: bool) -> dict[str, Any]:
        raise NotImplementedError  # files.py

    def team_of(self, key: str) -> str:
        raise NotImplementedError  # accounts.py

    def _save(self, final: bool = False) -> None:
        """Write a snapshot after a change that matters (snapshots.py); a no-op without persistence."""
        raise NotImplementedError


def new_id(prefix: str) -> str:
    return prefix + secrets.token_hex(8)
