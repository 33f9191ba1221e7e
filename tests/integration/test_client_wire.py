"""The client against small purpose-built servers on 127.0.0.1: shapes the sandbox does not (yet) play.

`WireServer` is a real asyncio HTTP/1.1 server (keep-alive, Content-Length bodies); each test gives it a
handler that answers like generation A, B or C of the API, so pagination, capability probes and the new
endpoints are exercised over real sockets, byte for byte.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from videogen_studio.api import errors
from videogen_studio.api.capabilities import probe_capabilities
from videogen_studio.api.client import VideoGenClient
from videogen_studio.api.models import AvatarQuality, AvatarRequest, WatermarkMode
from videogen_studio.api.retry import RetryPolicy

KEY = "vg_key_wire_test_0123"


@dataclass
class Req:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


Reply = tuple[int, Any]  # (status, JSON body)
Handler = Callable[[Req], Awaitable[Reply] | Reply]


@dataclass
class WireServer:
    handler: Handler
    requests: list[Req] = field(default_factory=list)
    server: asyncio.Server | None = None

    @property
    def base_url(self) -> str:
        assert self.server is not None
        host, port = self.server.sockets[0].getsockname()[:2]
        return f"http://{host}:{port}"

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers = {
                    k.strip().lower(): v.strip() for k, v in (ln.split(":", 1) for ln in lines[1:] if ln)
                }
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                url = urlsplit(target)
                req = Req(method, url.path, dict(parse_qsl(url.query)), headers, body)
                self.requests.append(req)
                result = self.handler(req)
                status, payload = await result if asyncio.iscoroutine(result) else result  # type: ignore[misc]
                data = json.dumps(payload).encode()
                writer.write(
                    f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(data)}\r\n\r\n".encode()
                    + data
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@pytest.fixture
async def wire() -> AsyncIterator[Callable[[Handler], Awaitable[tuple[WireServer, VideoGenClient]]]]:
    opened: list[tuple[WireServer, VideoGenClient]] = []

    async def make(handler: Handler) -> tuple[WireServer, VideoGenClient]:
        server = WireServer(handler)
        await server.start()
        client = VideoGenClient(server.base_url, KEY, retry=RetryPolicy(base_delay_s=0.01, max_delay_s=0.05))
        opened.append((server, client))
        return server, client

    yield make
    for server, client in opened:
        await client.aclose()
        await server.stop()


def presenter(i: int) -> dict[str, Any]:
    return {
        "avatarPresenterId": f"vg_pres_{i:04d}",
        "displayableGender": "FEMALE",
        "imageUrl": f"https://x/{i}.png",
        "thumbnailUrl": f"https://x/{i}_t.png",
        "previewVideoUrl": f"https://x/{i}.mp4",
    }


def paged(key: str, items: list[Any], req: Req, *, default: int = 50) -> Reply:
    """Spec-style pagination with opaque cursors (`c<offset>`), limit capped at 200."""
    limit = int(req.query.get("limit", default))
    if not 1 <= limit <= 200:
        return 400, {"message": "limit must be 1..200", "code": "invalid_parameters"}
    start = int(req.query.get("cursor", "c0")[1:])
    chunk = items[start : start + limit]
    more = start + limit < len(items)
    return 200, {key: chunk, "hasMore": more, "nextCursor": f"c{start + limit}" if more else None}


def not_found(req: Req) -> Reply:
    return 404, {"message": f"No route {req.path}", "code": "not_found"}


# ------------------------------------------------------------------------------------------ pagination
async def test_list_walks_every_page_and_iterator_yields_them_one_by_one(wire: Any) -> None:
    everyone = [presenter(i) for i in range(431)]
    server, client = await wire(lambda req: paged("avatarPresenters", everyone, req))
    listed = await client.list_presenters()
    assert [p.avatar_presenter_id for p in listed] == [p["avatarPresenterId"] for p in everyone]
    assert [r.query.get("limit") for r in server.requests] == ["200", "200", "200"]
    assert [r.query.get("cursor") for r in server.requests] == [None, "c200", "c400"]

    server.requests.clear()
    sizes = [len(page.items) async for page in client.iter_presenter_pages(page_size=1000)]
    assert sizes == [200, 200, 31]  # page_size is capped at the spec's 200
    first, *_rest = [page async for page in client.iter_presenter_pages(page_size=10)]
    assert len(first.items) == 10 and first.has_more and first.next_cursor == "c10"


async def test_voice_id_sort_is_passed_to_the_server(wire: Any) -> None:
    server, client = await wire(lambda req: paged("avatarPresenters", [presenter(1)], req))
    await client.list_presenters(voice_id="vg_voic_7")
    assert server.requests[-1].query["voiceId"] == "vg_voic_7"
    await client.list_presenters()
    assert "voiceId" not in server.requests[-1].query


async def test_missing_has_more_means_one_page(wire: Any) -> None:
    def generation_a(req: Req) -> Reply:  # no hasMore, and a stray cursor that must not be followed
        return 200, {"avatarPresenters": [presenter(1), presenter(2)], "nextCursor": "c2"}

    server, client = await wire(generation_a)
    pages = [page async for page in client.iter_presenter_pages()]
    assert len(pages) == 1 and not pages[0].has_more and not pages[0].paginated
    assert len(await client.list_presenters()) == 2 and len(server.requests) == 2


async def test_a_repeated_cursor_ends_the_walk(wire: Any) -> None:
    def stuck(req: Req) -> Reply:
        return 200, {
            "ttsVoices": [{"voiceId": f"v{len(server.requests)}"}],
            "hasMore": True,
            "nextCursor": "same",
        }

    server, client = await wire(stuck)
    voices = await client.list_voices()
    assert len(voices) == 2 and len(server.requests) == 2  # first page, then the cursor once; never again


# ------------------------------------------------------------------------------------------ new endpoints
async def test_me_executions_files_search_preview_and_entities(wire: Any) -> None:
    executions = [
        {
            "toolExecutionId": f"vg_tool_{i}",
            "status": "succeeded",
            "toolType": "TEXT_TO_SPEECH",
            "progressPercentage": 100,
            "attemptIndex": i % 2,
            "results": [{"fileId": f"vg_file_{i}", "type": "AUDIO"}],
        }
        for i in range(7)
    ]
    files = [{"fileId": f"vg_file_{i}", "scope": "GLOBAL", "type": "AUDIO"} for i in range(5)]
    actor = {
        "entityId": "vg_enti_1",
        "entityType": "ACTOR",
        "name": "Maya",
        "description": "",
        "createdAt": "x",
        "updatedAt": "y",
        "actorConfig": {"voiceDisplayName": None, "hasVoice": False, "hasAvatarPresenter": True},
        "references": [
            {"fileId": "vg_file_r1", "description": "", "isDefault": False},
            {"fileId": "vg_file_r2", "description": "front", "isDefault": True},
        ],
    }

    def api(req: Req) -> Reply:
        if req.path == "/v1/me":
            return 200, {
                "apiKeyId": "vg_akey_1",
                "apiKeyNickname": "ci",
                "email": "a@b.c",
                "displayName": None,
                "teamId": "vg_team_1",
                "futureField": 1,
            }
        if req.path == "/v1/tools/executions":
            return paged("toolExecutions", executions, req)
        if req.path == "/v1/files":
            return paged("files", files, req)
        if req.path == "/v1/files/search":
            return 200, {"results": [{"similarity": 0.82, "file": files[0]}]}
        if req.path.endswith("-public-preview"):
            enabled = req.path.endswith("/enable-public-preview")
            return 200, {
                "fileId": "vg_file_0",
                "scope": "GLOBAL",
                "isPublicPreviewEnabled": enabled,
                "staticPublicPreviewSource": {"status": "ready", "url": "https://p/x"} if enabled else None,
            }
        if req.path == "/v1/entities":
            return paged("entities", [actor], req)
        return not_found(req)

    server, client = await wire(api)
    me = await client.get_me()
    assert (me.email, me.api_key_nickname, me.team_id, me.display_name) == ("a@b.c", "ci", "vg_team_1", None)

    newest = await client.list_executions(self_only=True, limit=3)
    assert [e.tool_execution_id for e in newest] == ["vg_tool_0", "vg_tool_1", "vg_tool_2"]
    assert server.requests[-1].query == {"selfOnly": "true", "limit": "3"}
    assert newest[1].attempt_index == 1 and newest[0].progress_percentage == 100
    assert len(await client.list_executions()) == 7

    assert len(await client.list_files(limit=2)) == 2 and len(await client.list_files()) == 5
    [hit] = await client.search_files("quarterly numbers", num_results=500)
    assert hit.similarity == pytest.approx(0.82) and hit.file.file_id == "vg_file_0"
    assert server.requests[-1].method == "POST"
    assert server.requests[-1].json() == {"query": "quarterly numbers", "numResults": 100, "selfOnly": False}

    shared = await client.enable_public_preview("vg_file_0")
    assert shared.is_public_preview_enabled and shared.static_public_preview_source is not None
    assert not (await client.disable_public_preview("vg_file_0")).is_public_preview_enabled

    [maya] = await client.list_entities()
    assert server.requests[-1].query["entityType"] == "ACTOR"
    assert maya.name == "Maya" and maya.default_reference_file_id == "vg_file_r2"
    assert maya.actor_config is not None and maya.actor_config.has_avatar_presenter


async def test_generate_avatar_sends_either_form(wire: Any) -> None:
    server, client = await wire(lambda req: (202, {"toolExecutionId": "vg_tool_9"}))
    assert (
        await client.generate_avatar(
            AvatarRequest(
                avatar_presenter_id="vg_pres_1",
                audio_storage_file_id="vg_file_1",
                watermark_mode=WatermarkMode.VIDEO_GEN,
                num_results=2,
                is_output_temporary=True,
            )
        )
        == "vg_tool_9"
    )
    assert server.requests[-1].json() == {
        "avatarPresenterId": "vg_pres_1",
        "audioStorageFileId": "vg_file_1",
        "watermarkMode": "VIDEO_GEN",
        "numResults": 2,
        "isOutputTemporary": True,
    }
    await client.generate_avatar(
        AvatarRequest(
            actor_entity_id="vg_enti_1",
            audio_storage_file_id="vg_file_1",
            avatar_quality=AvatarQuality.HIGH,
            watermark_mode=WatermarkMode.AUTO,
        )
    )
    assert server.requests[-1].json() == {
        "actorEntityId": "vg_enti_1",
        "audioFileId": "vg_file_1",
        "avatarQuality": "HIGH",
        "watermarkMode": "AUTO",
    }


async def test_awaiting_approval_keeps_polling_slowly_until_it_finishes(wire: Any) -> None:
    answers = ["running", "awaiting_approval", "awaiting_approval", "succeeded"]

    def poll(req: Req) -> Reply:
        status = answers[min(len(server.requests) - 1, len(answers) - 1)]
        return 200, {
            "toolExecutionId": "vg_tool_1",
            "status": status,
            "toolType": "GENERATE_AVATAR",
            "progressPercentage": 100 if status == "succeeded" else 50,
            "attemptIndex": 0,
            "results": [{"fileId": "vg_file_v", "type": "VIDEO"}] if status == "succeeded" else [],
        }

    server, client = await wire(poll)
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    client._sleep = sleep  # the poll intervals, without waiting for them
    seen: list[bool] = []
    done = await client.wait_for_execution(
        "vg_tool_1", interval=0.1, approval_interval=7.0, on_update=lambda e: seen.append(e.needs_approval)
    )
    assert done.succeeded and seen == [False, True, True, False]
    assert slept == [0.1, 7.0, 7.0]
    server.requests.clear()
    answers[:] = ["awaiting_approval"]
    waiting = await client.wait_for_execution("vg_tool_1", interval=0.1, stop_on_approval=True)
    assert waiting.needs_approval and not waiting.is_terminal and len(server.requests) == 1


# ------------------------------------------------------------------------------------------ capabilities
def generation(letter: str) -> Handler:
    everyone = [presenter(i) for i in range(3)]

    def api(req: Req) -> Reply:
        if req.path == "/v1/resources/avatar-presenters":
            if letter == "C":
                return 410, {"message": "Presenters are now actors."}
            if letter == "A":
                return 200, {"avatarPresenters": everyone}
            return paged("avatarPresenters", everyone, req)
        if req.path == "/v1/entities" and letter == "C":
            return paged("entities", [], req)
        if req.path == "/v1/me" and letter != "A":
            return 200, {
                "apiKeyId": "k",
                "apiKeyNickname": "n",
                "email": "e",
                "displayName": None,
                "teamId": "t",
            }
        if req.path == "/v1/tools/executions" and letter != "A":
            return paged("toolExecutions", [], req)
        return not_found(req)

    return api


@pytest.mark.parametrize(
    ("letter", "source", "paginated", "has_me"),
    [("A", "presenters", False, False), ("B", "presenters", True, True), ("C", "actors", True, True)],
)
async def test_capabilities_follow_what_the_server_answers(
    wire: Any, letter: str, source: str, paginated: bool, has_me: bool
) -> None:
    server, client = await wire(generation(letter))
    caps = await probe_capabilities(client)
    assert (caps.avatar_source, caps.paginated, caps.has_me) == (source, paginated, has_me)
    assert caps.has_history == has_me and caps.has_file_search == has_me
    assert caps.generation == letter
    probed = {r.path: r.query.get("limit") for r in server.requests if r.path != "/v1/me"}
    assert set(probed.values()) == {"1"}  # cheap: one item per list


async def test_a_bad_key_is_not_mistaken_for_a_missing_feature(wire: Any) -> None:
    _server, client = await wire(
        lambda req: (401, {"message": "API key is invalid.", "code": "invalid_api_key"})
    )
    with pytest.raises(errors.AuthError):
        await probe_capabilities(client)
