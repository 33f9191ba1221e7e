"""Hostile-server fault profiles (issue 8): what each puts on the wire, and that stop still returns at once.

No timing assertions on the client side beyond "something arrived" / "nothing arrived": the profiles are
exercised with short knobs so the tests stay quick, and a hang guard is pytest-timeout's job.
"""

from __future__ import annotations

import json
import socket
import threading

import httpx
import loopback_http
import pytest
from sandbox_helpers import VOICE, api_client, wait_execution

from videogen_studio.sandbox import FaultRule, SandboxServer
from videogen_studio.sandbox.faults import PROFILES, FaultInjector


def test_profiles_have_the_advertised_names() -> None:
    assert set(PROFILES) == {
        "endless_body",
        "drip",
        "silent",
        "huge_json",
        "echo_key",
        "malformed_200_once",
        "storage_500_once",
    }
    with pytest.raises(ValueError, match="unknown fault profile"):
        FaultInjector().add_profile("volcano")


def test_endless_body_never_ends(sandbox: SandboxServer) -> None:
    sandbox.faults.add_profile("endless_body", path="^/v1/resources/avatar-presenters$")
    received = 0
    with api_client(sandbox) as client, client.stream("GET", "/v1/resources/avatar-presenters") as response:
        assert response.status_code == 200 and "content-length" not in response.headers
        for chunk in response.iter_bytes():
            received += len(chunk)
            if received > 4 * 1024 * 1024:
                break
    assert received > 4 * 1024 * 1024  # far more than any presenter page; only a client cap ends it


def test_huge_json_is_valid_and_as_large_as_asked(sandbox: SandboxServer) -> None:
    sandbox.faults.add_profile("huge_json", path="^/v1/me$", size_bytes=3 * 1024 * 1024)
    with api_client(sandbox) as client:
        response = client.get("/v1/me")
    assert int(response.headers["content-length"]) == len(response.content) == 3 * 1024 * 1024
    assert set(json.loads(response.content)) == {"padding"}


def test_drip_sends_one_byte_at_a_time(sandbox: SandboxServer) -> None:
    sandbox.faults.add_profile("drip", path="^/v1/me$", delay_s=0.05)
    arrivals: list[bytes] = []
    with api_client(sandbox) as client, client.stream("GET", "/v1/me") as response:
        for piece in response.iter_raw(chunk_size=1):
            arrivals.append(piece)
            if len(arrivals) == 5:
                break
    assert all(len(piece) == 1 for piece in arrivals)
    assert b"".join(arrivals) == b'{"api'


def test_drip_on_a_signed_download_and_stop_cuts_it(sandbox: SandboxServer) -> None:
    with api_client(sandbox) as client:
        response = client.post("/v1/tools/text-to-speech", json={"ttsText": "Drip.", "voiceId": VOICE})
        url = wait_execution(client, response.json()["toolExecutionId"])["results"][0]["file"][
            "downloadSource"
        ]
    sandbox.faults.add_profile("drip", origin="storage", delay_s=30.0)
    got_first = threading.Event()

    def download() -> None:
        try:
            with loopback_http.stream("GET", url["url"], timeout=60) as stream:
                for _ in stream.iter_raw(chunk_size=1):
                    got_first.set()
        except httpx.HTTPError:
            pass

    reader = threading.Thread(target=download, daemon=True)
    reader.start()
    assert got_first.wait(30)
    sandbox.stop()
    reader.join(20)  # a guard shorter than the 30 s pause between bytes
    assert not reader.is_alive()  # the pause did not hold the stop: the connection was shut down


def test_silent_server_accepts_and_never_answers(sandbox: SandboxServer) -> None:
    sandbox.faults.add_profile("silent", path="^/v1/me$")
    with api_client(sandbox) as client:
        with pytest.raises(httpx.ReadTimeout):
            client.get("/v1/me", timeout=httpx.Timeout(5, read=0.3))
        assert client.get("/v1/resources/tts-voices").status_code == 200  # other routes still answer


def test_silent_connection_is_released_by_stop(sandbox: SandboxServer) -> None:
    sandbox.faults.add_profile("silent")
    host, port = sandbox.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as conn:
        conn.sendall(b"GET /v1/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer vg_key_sandbox\r\n\r\n")
        assert sandbox.wait_for_request("/v1/me")  # the handler has it: silence from here on
        sandbox.stop()
        assert conn.recv(100) == b""  # closed without a byte of answer


def test_echo_key_error_repeats_the_callers_key(sandbox: SandboxServer) -> None:
    sandbox.faults.add_profile("echo_key", path="^/v1/files$")
    with api_client(sandbox) as client:
        response = client.get("/v1/files")
    assert response.status_code == 401
    message = response.json()["message"]
    assert sandbox.api_key in message and f"Bearer {sandbox.api_key}" in message


def test_malformed_200_once_then_healthy(sandbox: SandboxServer) -> None:
    sandbox.faults.add_profile("malformed_200_once", path="^/v1/resources/tts-voices$")
    with api_client(sandbox) as client:
        first = client.get("/v1/resources/tts-voices")
        second = client.get("/v1/resources/tts-voices")
    assert first.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(first.content)
    assert second.status_code == 200 and second.json()["ttsVoices"]


def test_storage_500_once_then_the_file_downloads(sandbox: SandboxServer) -> None:
    with api_client(sandbox) as client:
        response = client.post("/v1/tools/text-to-speech", json={"ttsText": "Storage.", "voiceId": VOICE})
        url = wait_execution(client, response.json()["toolExecutionId"])["results"][0]["file"][
            "downloadSource"
        ]
    sandbox.faults.add_profile("storage_500_once")
    first, second = loopback_http.get(url["url"]), loopback_http.get(url["url"])
    assert first.status_code == 500 and b"InternalError" in first.content
    assert second.status_code == 200 and second.content


def test_profiles_over_the_control_api(sandbox: SandboxServer) -> None:
    added = loopback_http.post(
        f"{sandbox.base_url}/_sandbox/faults/profiles",
        json={"name": "malformed_200_once", "path": "^/v1/me$"},
    )
    unknown = loopback_http.post(f"{sandbox.base_url}/_sandbox/faults/profiles", json={"name": "volcano"})
    listed = loopback_http.get(f"{sandbox.base_url}/_sandbox/faults").json()["faults"]
    assert added.status_code == 201 and added.json()["kind"] == "malformed"
    assert unknown.status_code == 400 and "volcano" in unknown.json()["message"]
    assert [rule["kind"] for rule in listed] == ["malformed"]
    with api_client(sandbox) as client:
        broken, healthy = client.get("/v1/me"), client.get("/v1/me")
    with pytest.raises(json.JSONDecodeError):
        json.loads(broken.content)
    assert healthy.json()["apiKeyId"]
    assert loopback_http.delete(f"{sandbox.base_url}/_sandbox/faults").json() == {"cleared": 0}


def test_fault_rule_accepts_hostile_kinds_directly(sandbox: SandboxServer) -> None:
    sandbox.faults.add(FaultRule("huge", path="^/v1/me$", size_bytes=1000, times=1))
    with api_client(sandbox) as client:
        assert len(client.get("/v1/me").content) == 1000
        assert set(client.get("/v1/me").json()) >= {"apiKeyId", "teamId"}
    with pytest.raises(ValueError, match="delay_s"):
        FaultRule("drip", delay_s=0)
