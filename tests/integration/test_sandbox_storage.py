"""The storage origin over real HTTP: public presenter assets, signed URLs, Range, uploads."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import httpx
import loopback_http
import pytest
from PIL import Image
from sandbox_helpers import VOICE, wait_execution

from videogen_studio.sandbox import SandboxConfig, SandboxServer, media


def tts_file(client: httpx.Client) -> dict[str, Any]:
    response = client.post(
        "/v1/tools/text-to-speech", json={"voiceId": VOICE, "ttsText": "Signed URLs expire."}
    )
    done = wait_execution(client, response.json()["toolExecutionId"])
    return done["results"][0]["file"]


def s3_code(response: httpx.Response) -> str:
    assert response.headers["content-type"] == "application/xml"
    text = response.text
    return text[text.index("<Code>") + 6 : text.index("</Code>")]


@pytest.fixture
def mp3_bytes(tmp_path: Path) -> bytes:
    path = tmp_path / "voice.mp3"
    media.synthesize_speech("An uploaded voice over.", path)
    return path.read_bytes()


# -- presenter assets ---------------------------------------------------------------------------------


def test_presenter_assets_are_real_media(client: httpx.Client, tmp_path: Path) -> None:
    presenter = client.get("/v1/resources/avatar-presenters").json()["avatarPresenters"][1]
    image = loopback_http.get(presenter["imageUrl"])
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    thumb = loopback_http.get(presenter["thumbnailUrl"])
    with Image.open(io.BytesIO(image.content)) as big, Image.open(io.BytesIO(thumb.content)) as small:
        assert big.width > small.width
    preview = loopback_http.get(presenter["previewVideoUrl"])
    assert preview.headers["content-type"] == "video/mp4"
    (tmp_path / "preview.mp4").write_bytes(preview.content)
    assert media.probe_duration(tmp_path / "preview.mp4") > 0
    assert (
        loopback_http.get(
            presenter["imageUrl"].replace(presenter["avatarPresenterId"], "vg_pres_x")
        ).status_code
        == 404
    )
    assert loopback_http.get(presenter["imageUrl"].replace("image.png", "secret.txt")).status_code == 404


def test_shared_assets_dir_is_safe_under_concurrency(tmp_path: Path) -> None:
    """Two servers, one fresh assets folder, many parallel first requests: one intact file per asset."""
    assets = tmp_path / "assets"
    config = SandboxConfig.fast()
    with (
        SandboxServer(tmp_path / "a", assets_dir=assets, config=config) as one,
        SandboxServer(tmp_path / "b", assets_dir=assets, config=config) as two,
    ):
        presenter_id = one.state.presenters[0].presenter_id
        bodies: list[bytes] = []
        errors: list[BaseException] = []

        def fetch(server: SandboxServer, name: str) -> None:
            try:
                response = loopback_http.get(
                    f"{server.storage_url}/presenters/{presenter_id}/{name}", timeout=60
                )
                assert response.status_code == 200
                if name == "image.png":
                    bodies.append(response.content)
            except BaseException as exc:
                errors.append(exc)

        threads = [
            threading.Thread(target=fetch, args=(server, name))
            for server in (one, two, one, two)
            for name in ("image.png", "thumb.png", "preview.mp4")
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert not errors
    assert len(bodies) == 4 and len(set(bodies)) == 1
    names = sorted(p.name for p in (assets / "presenters" / presenter_id).iterdir())
    assert names == ["image.png", "preview.mp4", "thumb.png"]  # no temp files left behind


# -- signed downloads ----------------------------------------------------------------------------------


def test_range_requests(client: httpx.Client) -> None:
    source = tts_file(client)["downloadSource"]
    url, size = source["url"], source["fileBytes"]
    full = loopback_http.get(url)
    assert full.status_code == 200 and full.headers["accept-ranges"] == "bytes"
    assert full.headers["content-type"] == "audio/mpeg"
    assert len(full.content) == size
    etag = full.headers["etag"]

    part = loopback_http.get(url, headers={"Range": "bytes=0-99"})
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 0-99/{size}"
    assert part.content == full.content[:100]
    assert part.headers["etag"] == etag

    tail = loopback_http.get(url, headers={"Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.content == full.content[-10:]
    rest = loopback_http.get(url, headers={"Range": "bytes=100-"})
    assert rest.content == full.content[100:]
    assert rest.headers["content-range"] == f"bytes 100-{size - 1}/{size}"
    clipped = loopback_http.get(url, headers={"Range": f"bytes={size - 5}-{size + 100}"})
    assert clipped.status_code == 206 and clipped.content == full.content[-5:]

    # A resume against a changed file (If-Range mismatch) gets the whole file again.
    stale = loopback_http.get(url, headers={"Range": "bytes=100-", "If-Range": '"stale"'})
    assert stale.status_code == 200 and stale.content == full.content
    head = loopback_http.head(url)
    assert head.status_code == 200 and head.headers["content-length"] == str(size) and head.content == b""


def test_unsatisfiable_range_is_416(client: httpx.Client) -> None:
    source = tts_file(client)["downloadSource"]
    response = loopback_http.get(source["url"], headers={"Range": f"bytes={source['fileBytes']}-"})
    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{source['fileBytes']}"
    assert s3_code(response) == "InvalidRange"


def test_expired_signed_url_is_403(sandbox: SandboxServer, client: httpx.Client) -> None:
    file_id = tts_file(client)["fileId"]
    sandbox.config.signed_url_ttl_s = -5  # every URL hydrated from now on is already expired
    source = client.post(f"/v1/files/{file_id}/hydrate").json()["downloadSource"]
    assert source["expiresAt"] < time.time()
    response = loopback_http.get(source["url"])
    assert response.status_code == 403
    assert s3_code(response) == "AccessDenied"
    assert "<Message>Request has expired</Message>" in response.text


def test_tampered_signature_is_403(client: httpx.Client) -> None:
    first, second = tts_file(client), tts_file(client)
    url = first["downloadSource"]["url"]
    assert s3_code(loopback_http.get(url[:-4] + "0000")) == "SignatureDoesNotMatch"
    # A valid signature for one file does not open another.
    other = url.replace(first["fileId"], second["fileId"])
    assert loopback_http.get(other).status_code == 403
    assert s3_code(loopback_http.get(url.split("?")[0])) == "AccessDenied"


def test_authorization_header_is_rejected_by_storage(sandbox: SandboxServer, client: httpx.Client) -> None:
    url = tts_file(client)["downloadSource"]["url"]
    leaked = loopback_http.get(url, headers={"Authorization": f"Bearer {sandbox.api_key}"})
    assert leaked.status_code == 400
    assert s3_code(leaked) == "InvalidArgument"
    assert "<Message>Only one auth mechanism allowed</Message>" in leaked.text
    # Even public presenter URLs refuse it, so no code path can leak the key unnoticed.
    presenter = client.get("/v1/resources/avatar-presenters").json()["avatarPresenters"][0]
    assert (
        loopback_http.get(presenter["thumbnailUrl"], headers={"Authorization": "Bearer x"}).status_code == 400
    )
    leaks = [e for e in sandbox.request_log if e.origin == "storage" and "authorization" in e.headers]
    assert len(leaks) == 2


def test_storage_responses_carry_request_ids_and_404s(sandbox: SandboxServer) -> None:
    response = loopback_http.get(f"{sandbox.storage_url}/nothing")
    assert response.status_code == 404 and s3_code(response) == "NoSuchKey"
    assert response.headers["x-request-id"].startswith("req_")


# -- uploads -------------------------------------------------------------------------------------------


def test_upload_mp3_then_use_it_for_an_avatar(
    sandbox: SandboxServer, client: httpx.Client, mp3_bytes: bytes
) -> None:
    created = client.post("/v1/files/upload", json={"displayName": "voice.mp3", "type": "AUDIO"})
    assert created.status_code == 200
    file_id, upload_url = created.json()["fileId"], created.json()["uploadUrl"]
    assert file_id.startswith("vg_file_") and upload_url.startswith(sandbox.storage_url + "/u/")
    before = client.get(f"/v1/files/{file_id}").json()
    assert before["downloadSource"]["status"] == "pending" and before["displayName"] == "voice.mp3"

    put = loopback_http.put(upload_url, content=mp3_bytes)
    assert put.status_code == 200

    hydrated = client.post(f"/v1/files/{file_id}/hydrate").json()
    assert hydrated["type"] == "AUDIO" and hydrated["scope"] == "GLOBAL"
    assert hydrated["downloadSource"]["status"] == "ready"
    assert hydrated["durationSeconds"] == pytest.approx(1.5, abs=1.4)
    stored = loopback_http.get(hydrated["downloadSource"]["url"])
    assert stored.content == mp3_bytes and stored.headers["content-type"] == "audio/mpeg"

    presenter = client.get("/v1/resources/avatar-presenters").json()["avatarPresenters"][0][
        "avatarPresenterId"
    ]
    response = client.post(
        "/v1/tools/generate-avatar", json={"avatarPresenterId": presenter, "audioStorageFileId": file_id}
    )
    assert response.status_code == 202
    done = wait_execution(client, response.json()["toolExecutionId"])
    assert done["status"] == "succeeded"
    assert done["results"][0]["file"]["durationSeconds"] == pytest.approx(
        hydrated["durationSeconds"], abs=0.15
    )


def test_upload_garbage_fails_its_sources(client: httpx.Client) -> None:
    created = client.post("/v1/files/upload", json={"displayName": "notes.txt", "isTemporary": True}).json()
    assert (
        loopback_http.put(created["uploadUrl"], content=b"this is not media at all\n" * 200).status_code
        == 200
    )
    hydrated = client.post(f"/v1/files/{created['fileId']}/hydrate").json()
    assert hydrated["scope"] == "TEMPORARY"
    assert hydrated["downloadSource"]["status"] == "failed"
    assert hydrated["downloadSource"]["url"] is None
    presenter = client.get("/v1/resources/avatar-presenters").json()["avatarPresenters"][0][
        "avatarPresenterId"
    ]
    response = client.post(
        "/v1/tools/generate-avatar",
        json={"avatarPresenterId": presenter, "audioStorageFileId": created["fileId"]},
    )
    assert response.status_code == 400 and response.json()["code"] == "invalid_parameters"


def test_upload_declared_type_mismatch_fails(client: httpx.Client, mp3_bytes: bytes) -> None:
    created = client.post("/v1/files/upload", json={"displayName": "clip.mp4", "type": "VIDEO"}).json()
    loopback_http.put(created["uploadUrl"], content=mp3_bytes)
    hydrated = client.post(f"/v1/files/{created['fileId']}/hydrate").json()
    assert hydrated["downloadSource"]["status"] == "failed"


def test_upload_image_without_declared_type(client: httpx.Client) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (300, 200), (200, 40, 90)).save(buffer, format="PNG")
    created = client.post("/v1/files/upload", json={"displayName": "logo.png"}).json()
    assert client.get(f"/v1/files/{created['fileId']}").json()["type"] is None
    loopback_http.put(created["uploadUrl"], content=buffer.getvalue())
    hydrated = client.post(f"/v1/files/{created['fileId']}/hydrate").json()
    assert hydrated["type"] == "IMAGE"
    assert (hydrated["downloadSource"]["width"], hydrated["downloadSource"]["height"]) == (300, 200)
    assert hydrated["thumbnailSource"]["status"] == "ready"
    assert loopback_http.get(hydrated["thumbnailSource"]["url"]).headers["content-type"] == "image/png"


def test_upload_video_gets_a_frame_thumbnail(client: httpx.Client, tmp_path: Path) -> None:
    portrait = media.render_portrait(3, "FEMALE", size=128)
    media.render_preview_clip(portrait, tmp_path / "clip.mp4", seconds=0.5, size=64)
    created = client.post("/v1/files/upload", json={"displayName": "clip.mp4", "type": "VIDEO"}).json()
    loopback_http.put(created["uploadUrl"], content=(tmp_path / "clip.mp4").read_bytes())
    hydrated = client.post(f"/v1/files/{created['fileId']}/hydrate").json()
    assert hydrated["type"] == "VIDEO" and hydrated["durationSeconds"] == pytest.approx(0.5, abs=0.1)
    assert (hydrated["previewSource"]["width"], hydrated["previewSource"]["height"]) == (64, 64)
    with av.open(io.BytesIO(loopback_http.get(hydrated["downloadSource"]["url"]).content)) as container:
        assert container.streams.video


def test_upload_url_checks(sandbox: SandboxServer, client: httpx.Client, mp3_bytes: bytes) -> None:
    created = client.post("/v1/files/upload", json={"displayName": "voice.mp3"}).json()
    url = created["uploadUrl"]
    assert loopback_http.get(url).status_code == 405  # upload URLs are PUT-only
    assert (
        s3_code(loopback_http.put(url, content=mp3_bytes, headers={"Authorization": "Bearer x"}))
        == "InvalidArgument"
    )
    assert s3_code(loopback_http.put(url[:-4] + "0000", content=mp3_bytes)) == "SignatureDoesNotMatch"

    def chunks() -> Iterator[bytes]:
        yield mp3_bytes

    assert loopback_http.put(url, content=chunks()).status_code == 411  # chunked, no Content-Length

    sandbox.config.upload_url_ttl_s = -5
    expired = client.post("/v1/files/upload", json={"displayName": "late.mp3"}).json()
    response = loopback_http.put(expired["uploadUrl"], content=mp3_bytes)
    assert response.status_code == 403 and "Request has expired" in response.text
