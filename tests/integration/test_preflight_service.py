"""Preflight against the sandbox: the avatar step's inputs checked on every page, before anything is paid."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sandbox_helpers import posts

from videogen_studio.api.capabilities import probe_capabilities
from videogen_studio.api.client import VideoGenClient
from videogen_studio.api.retry import RetryPolicy
from videogen_studio.pipeline.catalog import Catalog
from videogen_studio.pipeline.jobs import RenderSpec
from videogen_studio.pipeline.preflight import preflight
from videogen_studio.sandbox import SandboxConfig, SandboxServer

TTS = "/v1/tools/text-to-speech"
AVATAR = "/v1/tools/generate-avatar"


@pytest.fixture(params=["B", "C"])
def generation(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def sandbox_config(generation: str) -> SandboxConfig:
    config = SandboxConfig.fast(api_generation=generation)
    config.presenter_count = 60
    return config


@pytest.fixture
async def client(sandbox: SandboxServer) -> AsyncIterator[VideoGenClient]:
    async with VideoGenClient(sandbox.base_url, sandbox.api_key, retry=RetryPolicy(base_delay_s=0.01)) as c:
        yield c


@pytest.fixture
async def catalog(client: VideoGenClient) -> Catalog:
    return Catalog(client, await probe_capabilities(client), page_size=20, hydrate_thumbnails=False)


def spec(tmp_path: Path, catalog: Catalog, performer_id: str, voice_id: str, **changes: object) -> RenderSpec:
    base: dict[str, object] = {
        "presenter_id": performer_id,
        "avatar_form": catalog.form,
        "script": "Hello from preflight.",
        "voice_id": voice_id,
        "output_dir": str(tmp_path / "out"),
    }
    base.update(changes)
    return RenderSpec(**base)  # type: ignore[arg-type]


async def kinds(s: RenderSpec, catalog: Catalog) -> list[str]:
    return [p.kind for p in await preflight(s, catalog=catalog)]


async def test_nothing_is_paid_while_checking(
    tmp_path: Path, catalog: Catalog, sandbox: SandboxServer, generation: str
) -> None:
    performers = await catalog.performers()
    renderable = [p for p in performers if p.renderable]
    last = renderable[-1]  # on the last page: found only by walking every page
    voice = Catalog.default_voice_for(last, await catalog.voices())
    assert voice is not None
    assert await kinds(spec(tmp_path, catalog, last.performer_id, voice.voice_id), catalog) == []

    assert await kinds(spec(tmp_path, catalog, "vg_nobody", voice.voice_id), catalog) == ["performer_unknown"]
    assert await kinds(spec(tmp_path, catalog, last.performer_id, "vg_voice_nope"), catalog) == [
        "voice_unknown"
    ]
    workflow_only = next(v for v in await catalog.voices() if not v.supports_direct_tool_execution)
    assert await kinds(spec(tmp_path, catalog, last.performer_id, workflow_only.voice_id), catalog) == [
        "voice_no_direct_tts"
    ]
    other_form = "presenter" if catalog.form == "actor" else "actor"
    wrong = spec(tmp_path, catalog, last.performer_id, voice.voice_id, avatar_form=other_form)
    assert await kinds(wrong, catalog) == ["form_unsupported"]
    if generation == "C":
        lookalike = next(p for p in performers if not p.renderable)
        assert await kinds(spec(tmp_path, catalog, lookalike.performer_id, voice.voice_id), catalog) == [
            "performer_not_renderable"
        ]
    assert posts(sandbox, TTS) == 0 and posts(sandbox, AVATAR) == 0


async def test_client_and_capabilities_are_enough(tmp_path: Path, client: VideoGenClient) -> None:
    capabilities = await probe_capabilities(client)
    problems = await preflight(
        RenderSpec(
            "vg_nobody", "Hi", voice_id="vg_voice_nope", output_dir=str(tmp_path), avatar_form="presenter"
        ),
        client=client,
        capabilities=capabilities,
    )
    expected = {
        "voice_unknown",
        "form_unsupported" if capabilities.avatar_source == "actors" else "performer_unknown",
    }
    assert {p.kind for p in problems} == expected
