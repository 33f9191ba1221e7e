"""The client against the sandbox playing each API generation (A: May 2026, B: the spec, C: SDK 2.x).

Each test asks what a user of that generation would: the whole catalogue (walking pages where there are
pages), who the key belongs to, the history, the actor-form avatar and the approval gate. The capability
probe must tell the generations apart from their answers alone.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import pytest
from sandbox_helpers import posts

from videogen_studio.api import errors
from videogen_studio.api.capabilities import probe_capabilities
from videogen_studio.api.client import VideoGenClient
from videogen_studio.api.models import AvatarQuality, AvatarRequest, TtsRequest
from videogen_studio.api.retry import RetryPolicy
from videogen_studio.sandbox import SandboxConfig, SandboxServer


@pytest.fixture
def sandbox_config(request: pytest.FixtureRequest) -> SandboxConfig:
    generation, approval = getattr(request, "param", ("B", False))
    config = SandboxConfig.fast(generation)
    # Enough presenters that generations B and C need two pages even at the largest limit (200).
    return dataclasses.replace(config, presenter_count=230, voice_count=64, approval_required=approval)


@pytest.fixture
async def client(sandbox: SandboxServer) -> AsyncIterator[VideoGenClient]:
    retry = RetryPolicy(base_delay_s=0.01, max_delay_s=0.05)
    async with VideoGenClient(sandbox.base_url, sandbox.api_key, retry=retry) as c:
        yield c


def generation(letter: str, approval: bool = False) -> pytest.MarkDecorator:
    return pytest.mark.parametrize("sandbox_config", [(letter, approval)], indirect=True, ids=[letter])


async def speech(client: VideoGenClient, sandbox: SandboxServer) -> str:
    voice = next(v for v in await client.list_voices() if v.supports_direct_tool_execution)
    execution_id = await client.text_to_speech(
        TtsRequest("Hello from every generation.", voice_id=voice.voice_id)
    )
    done = await client.wait_for_execution(execution_id, interval=0.05, stop_on_approval=True)
    if done.needs_approval:  # generation C with the gate on holds every execution
        sandbox.state.approve(execution_id)
        done = await client.wait_for_execution(execution_id, interval=0.05)
    assert done.succeeded, done.error
    return done.results[0].file_id


@pytest.mark.parametrize(
    ("sandbox_config", "expected"),
    [
        (("A", False), ("presenters", False, False, False, "A")),
        (("B", False), ("presenters", True, True, True, "B")),
        (("C", False), ("actors", True, True, True, "C")),
    ],
    indirect=["sandbox_config"],
    ids=["A", "B", "C"],
)
async def test_the_probe_tells_the_generations_apart(
    client: VideoGenClient, expected: tuple[str, bool, bool, bool, str]
) -> None:
    caps = await probe_capabilities(client)
    assert (caps.avatar_source, caps.paginated, caps.has_me, caps.has_history, caps.generation) == expected


@generation("A")
async def test_generation_a_one_page_no_me_no_history(client: VideoGenClient, sandbox: SandboxServer) -> None:
    presenters = await client.list_presenters()
    assert len(presenters) == 230
    assert sum(1 for r in sandbox.request_log if r.path == "/v1/resources/avatar-presenters") == 1
    with pytest.raises(errors.NotFound):
        await client.get_me()
    with pytest.raises(errors.NotFound):
        await client.list_executions()
    file_id = await speech(client, sandbox)  # voiceId given anyway: A accepts it
    assert file_id


@generation("B")
async def test_generation_b_walks_every_page_and_has_the_spec_endpoints(
    client: VideoGenClient, sandbox: SandboxServer
) -> None:
    presenters = await client.list_presenters()
    assert len(presenters) == 230 and len({p.avatar_presenter_id for p in presenters}) == 230
    cursors = [r for r in sandbox.request_log if r.path == "/v1/resources/avatar-presenters"]
    assert len(cursors) == 2  # 200 + 30
    sizes = [len(page.items) async for page in client.iter_presenter_pages(page_size=100)]
    assert sizes == [100, 100, 30]
    voices = await client.list_voices(include_deprecated=True)
    assert len(voices) >= 64
    sorted_for_voice = await client.list_presenters(voice_id=voices[0].voice_id)
    assert {p.avatar_presenter_id for p in sorted_for_voice} == {p.avatar_presenter_id for p in presenters}

    me = await client.get_me()
    assert me.api_key_id and me.team_id
    file_id = await speech(client, sandbox)
    history = await client.list_executions(limit=5)
    assert history and history[0].tool_type and history[0].succeeded
    assert file_id in {f.file_id for f in await client.list_files()}
    shared = await client.enable_public_preview(file_id)
    assert shared.is_public_preview_enabled
    assert not (await client.disable_public_preview(file_id)).is_public_preview_enabled
    assert isinstance(await client.search_files("generation"), list)


@generation("C", approval=True)
async def test_generation_c_actors_actor_form_and_the_approval_gate(
    client: VideoGenClient, sandbox: SandboxServer
) -> None:
    with pytest.raises(errors.NotFound):
        await client.list_presenters()
    actors = await client.list_entities()
    assert actors and all(a.entity_type == "ACTOR" for a in actors)
    actor = actors[0]
    assert actor.default_reference_file_id is not None
    audio = await speech(client, sandbox)
    execution_id = await client.generate_avatar(
        AvatarRequest(
            actor_entity_id=actor.entity_id,
            audio_storage_file_id=audio,
            avatar_quality=AvatarQuality.STANDARD,
        )
    )
    waiting = await client.wait_for_execution(execution_id, interval=0.05, stop_on_approval=True)
    assert waiting.needs_approval and not waiting.is_terminal
    sandbox.state.approve(execution_id)
    done = await client.wait_for_execution(execution_id, interval=0.05, approval_interval=0.05)
    assert done.succeeded and done.results and done.results[0].type == "VIDEO"
    assert posts(sandbox, "/v1/tools/generate-avatar") == 1
