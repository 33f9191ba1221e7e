"""Shared test set-up: offscreen Qt, an in-memory keyring, isolated user folders, a loopback sandbox."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# Must be set before any Qt import: CI has no display.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_LOGGING_RULES", "qt.multimedia.*=false")
# Sessions (GUI, CLI, and the CLI processes tests spawn) poll the fast sandbox every 20 ms instead of the
# product's 1.5 s; tests/unit/test_poll_schedule.py pins the default schedule.
os.environ.setdefault("VIDEOGEN_POLL_INTERVAL_S", "0.02")

import keyring
import keyring.backend
import pytest

from videogen_studio.sandbox import SandboxConfig, SandboxServer
from videogen_studio.session import SANDBOX_ASSETS_ENV


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A keyring that forgets everything when the test ends; CI has no Secret Service."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self._items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self._items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self._items.pop((service, username), None)


@pytest.fixture(scope="session", autouse=True)
def freeze_the_imported_heap() -> Iterator[None]:
    """Move everything alive once the suite has started (Qt, numpy, PyAV, the app's modules) into gc's
    permanent generation: the collector's full passes then scan only what tests made. Cycles among these
    objects are never collected; there are none to speak of, and the process ends with the session."""
    gc.collect()
    gc.freeze()
    yield
    gc.unfreeze()


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture(autouse=True)
def isolated_user_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point every platformdirs folder (settings, cache, data, logs) into the test's tmp dir."""
    root = tmp_path / "userdirs"
    monkeypatch.setenv("VIDEOGEN_STUDIO_HOME", str(root))
    monkeypatch.delenv("VIDEOGEN_API_KEY", raising=False)
    return root


@pytest.fixture(scope="session")
def sandbox_assets(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Presenter portraits and previews are generated once per test run and shared.

    Under pytest-xdist every worker has its own base folder inside the run's; the assets go beside them so
    all workers share one set (files are renamed into place, so two workers rendering one file is safe).
    """
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent
    folder = base / "sandbox-assets"
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture(scope="session", autouse=True)
def sessions_share_the_sandbox_assets(sandbox_assets: Path) -> Iterator[None]:
    """Offline sessions (GUI, CLI, and the CLI processes tests spawn) use the run's shared assets folder
    instead of rendering every presenter again in each test's fresh cache folder."""
    previous = os.environ.get(SANDBOX_ASSETS_ENV)
    os.environ[SANDBOX_ASSETS_ENV] = str(sandbox_assets)
    yield
    if previous is None:
        os.environ.pop(SANDBOX_ASSETS_ENV, None)
    else:
        os.environ[SANDBOX_ASSETS_ENV] = previous


#: Modules whose tests share one worker (`make test` runs `-n auto --dist loadgroup`): the contract
#: suite checks at its end that every answer the spec lists was checked by its cases; test_player and
#: test_media build costly module-scoped media once. Every other test is scheduled on its own.
_ONE_PROCESS = ("tests/contract/", "tests/ui/test_player.py", "tests/unit/test_media.py")


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: three workers per core. Most of a test's time is spent waiting (on the loopback sandbox's
    timed executions, on timers, on child processes), so one worker per core leaves the cores idle. On 2 idle
    cores (2026-12-02, pytest wall): 3 workers 65 s, 4 workers 58 s, 6 workers 53 s (×3 runs), CPU 79→96 s."""
    return max(2, 3 * (os.cpu_count() or 1))


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """`--dist loadgroup` with the groups above, every other test a group of its own.

    Not `xdist_group` marks: xdist 3.8 tags a grouped test by rewriting `item._nodeid`, which pytest 9 no
    longer reads, so the marks never reach the scheduler (and the contract suite would be split).
    """
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class OneProcessGroups(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return next((prefix for prefix in _ONE_PROCESS if path.startswith(prefix)), nodeid)

    return OneProcessGroups(config, log)


@pytest.fixture
def sandbox_config() -> SandboxConfig:
    """Fast timings so executions finish in well under a second; tests may tweak before start."""
    return SandboxConfig.fast()


@pytest.fixture
def sandbox(tmp_path: Path, sandbox_assets: Path, sandbox_config: SandboxConfig) -> Iterator[SandboxServer]:
    server = SandboxServer(data_dir=tmp_path / "sandbox", assets_dir=sandbox_assets, config=sandbox_config)
    server.start()
    try:
        yield server
    finally:
        server.stop()
