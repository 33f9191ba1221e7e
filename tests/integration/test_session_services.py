"""Session services the GUI uses instead of reaching into the client: rate-limit waits and key checks."""

from __future__ import annotations

import pytest

from videogen_studio.api.errors import AuthError, ErrorKind, VideoGenError
from videogen_studio.paths import AppPaths, app_paths
from videogen_studio.sandbox import FaultRule, SandboxServer
from videogen_studio.session import Session
from videogen_studio.settings import Settings


@pytest.fixture
def paths() -> AppPaths:
    return app_paths().ensure()  # under the test's VIDEOGEN_STUDIO_HOME (tests/conftest.py)


async def test_rate_limit_listeners_hear_waits_until_they_unsubscribe(
    paths: AppPaths, sandbox: SandboxServer
) -> None:
    settings = Settings(base_url=sandbox.base_url, output_dir=str(paths.downloads))
    session = await Session.open(settings, paths, sandbox.api_key, start_queue=False)
    try:
        heard: list[tuple[str, float]] = []
        unsubscribe = session.add_rate_limit_listener(lambda group, seconds: heard.append((group, seconds)))
        rule = FaultRule(kind="status", status=429, retry_after=1, path="^/v1/resources/tts-voices$")
        sandbox.faults.add(rule)
        await session.client.list_voices()
        assert heard and heard[0][1] > 0

        unsubscribe()
        heard.clear()
        sandbox.faults.add(rule)
        await session.client.list_voices()
        assert heard == []
    finally:
        await session.close()


async def test_check_key_names_the_account_and_refuses_bad_keys(sandbox: SandboxServer) -> None:
    account = await Session.check_key(sandbox.base_url, f"  {sandbox.api_key}\n")  # pasted with spaces
    assert account is not None and (account.email or account.display_name or account.api_key_id)
    with pytest.raises(AuthError):
        await Session.check_key(sandbox.base_url, "vg_key_not_known_here")
    before = len(sandbox.request_log)
    with pytest.raises(VideoGenError) as illegal:
        await Session.check_key(sandbox.base_url, "vg_key with space")
    assert illegal.value.kind == ErrorKind.INVALID_KEY_FORMAT
    assert len(sandbox.request_log) == before  # refused without a request
