"""Every fault kind, observed from the client side over real HTTP, plus the /_sandbox control routes."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import loopback_http
import pytest
from sandbox_helpers import VOICE, wait_execution

from videogen_studio.sandbox import FaultRule, SandboxConfig, SandboxServer

VOICES = "/v1/resources/tts-voices"


def download_url(client: httpx.Client) -> tuple[str, int]:
    response = client.post(
        "/v1/tools/text-to-speech", json={"voiceId": VOICE, "ttsText": "Faulty downloads."}
    )
    source = wait_execution(client, response.json()["toolExecutionId"])["results"][0]["file"][
        "downloadSource"
    ]
    return source["url"], source["fileBytes"]


def test_status_fault_returns_api_error_once(sandbox: SandboxServer, client: httpx.Client) -> None:
    sandbox.faults.add(FaultRule("status", path=f"^{VOICES}$", status=503, retry_after=2))
    faulted = client.get(VOICES)
    assert faulted.status_code == 503
    assert faulted.json()["code"] == "service_unavailable" and faulted.json()["message"]
    assert faulted.headers["retry-after"] == "2"
    assert faulted.headers["x-request-id"].startswith("req_")
    assert client.get(VOICES).status_code == 200  # times=1: consumed


def test_status_429_fault_carries_rate_limit_headers(sandbox: SandboxServer, client: httpx.Client) -> None:
    sandbox.faults.add(FaultRule("status", status=429, retry_after=3))
    response = client.get(VOICES)
    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited"
    assert response.headers["retry-after"] == "3"
    assert response.headers["x-ratelimit-remaining"] == "0"
    assert int(response.headers["x-ratelimit-reset"]) >= int(time.time())


def test_status_fault_with_custom_body_and_times(sandbox: SandboxServer, client: httpx.Client) -> None:
    body = json.dumps({"message": "Upstream exploded.", "internalErrorCode": "E42"})
    sandbox.faults.add(FaultRule("status", status=500, body=body, times=2))
    assert [client.get("/v1/files").json() for _ in range(2)] == [json.loads(body)] * 2
    assert client.get("/v1/files").status_code == 200


def test_reset_drops_the_connection_without_a_response(sandbox: SandboxServer, client: httpx.Client) -> None:
    sandbox.faults.add(FaultRule("reset", path="^/v1/files$"))
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        client.get("/v1/files")
    assert client.get("/v1/files").status_code == 200  # a fresh connection works again


def test_reset_on_a_post_does_not_reach_the_api(sandbox: SandboxServer, client: httpx.Client) -> None:
    sandbox.faults.add(FaultRule("reset", path="text-to-speech", method="POST"))
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        client.post("/v1/tools/text-to-speech", json={"voiceId": VOICE, "ttsText": "Lost in transit."})
    assert sandbox.state.executions == {}
    assert client.get(VOICES).status_code == 200  # method filter: GETs are untouched


def test_truncated_download(sandbox: SandboxServer, client: httpx.Client) -> None:
    url, size = download_url(client)
    sandbox.faults.add(FaultRule("truncate", path="^/f/", origin="storage", after_bytes=1000))
    received = bytearray()
    with pytest.raises(httpx.RemoteProtocolError), loopback_http.stream("GET", url) as response:
        assert response.status_code == 200
        assert response.headers["content-length"] == str(size)  # the full length was promised
        for chunk in response.iter_raw():
            received += chunk
    assert len(received) == 1000
    # Resuming with Range recovers the rest.
    rest = loopback_http.get(url, headers={"Range": f"bytes={len(received)}-"})
    assert rest.status_code == 206 and len(received) + len(rest.content) == size


def test_truncated_api_response(sandbox: SandboxServer, client: httpx.Client) -> None:
    sandbox.faults.add(FaultRule("truncate", path=VOICES, after_bytes=10))
    with pytest.raises(httpx.RemoteProtocolError):
        client.get(VOICES)


def test_slow_body_arrives_in_pieces_but_intact(sandbox: SandboxServer, client: httpx.Client) -> None:
    expected = client.get("/v1/resources/avatar-presenters").content
    sandbox.faults.add(FaultRule("slow", path="avatar-presenters", bytes_per_second=40_000))
    pieces = []
    with client.stream("GET", "/v1/resources/avatar-presenters") as response:
        pieces = list(response.iter_raw())
    assert b"".join(pieces) == expected
    assert len(pieces) >= 3


def test_slow_body_trips_a_client_read_timeout(sandbox: SandboxServer, client: httpx.Client) -> None:
    url, _ = download_url(client)
    sandbox.faults.add(FaultRule("slow", origin="storage", bytes_per_second=1))
    with pytest.raises(httpx.ReadTimeout):
        loopback_http.get(url, timeout=httpx.Timeout(5, read=0.3))


def test_delay_trips_a_client_timeout_then_recovers(sandbox: SandboxServer, client: httpx.Client) -> None:
    sandbox.faults.add(FaultRule("delay", path=VOICES, delay_s=2.0))
    with pytest.raises(httpx.ReadTimeout):
        client.get(VOICES, timeout=httpx.Timeout(5, read=0.2))
    assert client.get(VOICES).status_code == 200


def test_delay_still_answers_normally(sandbox: SandboxServer, client: httpx.Client) -> None:
    sandbox.faults.add(FaultRule("delay", path=VOICES, delay_s=0.1))
    response = client.get(VOICES)
    assert response.status_code == 200 and response.json()["ttsVoices"]


def test_garbage_is_a_200_html_page(sandbox: SandboxServer, client: httpx.Client) -> None:
    sandbox.faults.add(FaultRule("garbage", path="^/v1/files$"))
    response = client.get("/v1/files")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    with pytest.raises(json.JSONDecodeError):
        response.json()


def test_wrong_shape_is_valid_json_of_another_shape(sandbox: SandboxServer, client: httpx.Client) -> None:
    sandbox.faults.add(FaultRule("wrong_shape", path="executions"))
    response = client.get("/v1/tools/executions/vg_exec_0000000000000000")
    assert response.status_code == 200 and response.json() == {"unexpected": True}


def test_fail_execution(sandbox: SandboxServer, client: httpx.Client) -> None:
    sandbox.faults.add(FaultRule("fail_execution", path="text-to-speech", body="Voice model crashed."))
    account = sandbox.state.accounts[sandbox.api_key]
    before = account.credits
    first = client.post("/v1/tools/text-to-speech", json={"voiceId": VOICE, "ttsText": "One."}).json()[
        "toolExecutionId"
    ]
    second = client.post("/v1/tools/text-to-speech", json={"voiceId": VOICE, "ttsText": "Two."}).json()[
        "toolExecutionId"
    ]
    failed, succeeded = wait_execution(client, first), wait_execution(client, second)
    assert failed["status"] == "failed"
    assert failed["error"]["message"] == "Voice model crashed." and failed["error"]["code"] == "render_failed"
    assert succeeded["status"] == "succeeded"
    assert account.credits == before - 1  # the failed one was refunded


def test_fail_execution_is_not_consumed_by_rejected_requests(
    sandbox: SandboxServer, client: httpx.Client
) -> None:
    sandbox.faults.add(FaultRule("fail_execution", path="text-to-speech"))
    assert client.post("/v1/tools/text-to-speech", json={}).status_code == 400
    execution_id = client.post("/v1/tools/text-to-speech", json={"voiceId": VOICE, "ttsText": "Hi."}).json()[
        "toolExecutionId"
    ]
    assert wait_execution(client, execution_id)["status"] == "failed"


def test_origin_filter(sandbox: SandboxServer, client: httpx.Client) -> None:
    url, _ = download_url(client)
    sandbox.faults.add(FaultRule("status", origin="storage", status=503, times=None))
    assert client.get("/v1/files").status_code == 200
    failing = loopback_http.get(url)
    assert failing.status_code == 503 and "<Code>ServiceUnavailable</Code>" in failing.text
    sandbox.faults.clear()
    assert loopback_http.get(url).status_code == 200


def test_fault_rule_validation() -> None:
    with pytest.raises(ValueError):
        FaultRule("explode")
    with pytest.raises(ValueError):
        FaultRule("status", origin="cdn")
    with pytest.raises(ValueError):
        FaultRule("status", times=0)


def test_control_routes_manage_faults_over_http(sandbox: SandboxServer, client: httpx.Client) -> None:
    control = f"{sandbox.base_url}/_sandbox/faults"
    created = loopback_http.post(control, json={"kind": "reset", "path": ".*", "times": None})
    assert created.status_code == 201 and created.json()["kind"] == "reset"
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        client.get("/v1/files")
    assert len(loopback_http.get(control).json()["faults"]) == 1
    assert loopback_http.delete(control).json() == {"cleared": 1}  # control routes are never faulted
    assert client.get("/v1/files").status_code == 200

    camel = loopback_http.post(
        control, json={"kind": "status", "status": 429, "retryAfter": 7, "path": "^/v1/files$"}
    )
    assert camel.json()["retry_after"] == 7
    assert client.get("/v1/files").headers["retry-after"] == "7"
    bad = loopback_http.post(control, json={"kind": "explode"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_parameters"
    assert loopback_http.post(control, json={"kind": "status", "colour": "red"}).status_code == 400


def test_control_api_can_be_disabled(tmp_path: Path, sandbox_assets: Path) -> None:
    config = SandboxConfig.fast()
    config.control_api = False
    with SandboxServer(tmp_path / "sandbox", assets_dir=sandbox_assets, config=config) as server:
        response = loopback_http.post(f"{server.base_url}/_sandbox/faults", json={"kind": "reset"})
        assert response.status_code == 404
        assert server.faults.rules == []


def test_stopped_server_stops_answering(sandbox_assets: Path, tmp_path: Path) -> None:
    server = SandboxServer(tmp_path / "sandbox", assets_dir=sandbox_assets, config=SandboxConfig.fast())
    server.start()
    with loopback_http.Client(
        base_url=server.base_url, headers={"Authorization": f"Bearer {server.api_key}"}
    ) as c:
        assert c.get("/v1/files").status_code == 200
        server.stop()
        with pytest.raises(httpx.TransportError):
            c.get("/v1/files")  # the kept-alive connection was closed too
