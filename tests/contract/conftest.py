"""Contract-test fixtures: the spec's schemas (from the spec itself when present, else the derived copy),
a generation-B sandbox over loopback, and `check(response, endpoint)` that validates an answer."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import loopback_http
import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from videogen_studio.sandbox import SandboxConfig, SandboxServer

HERE = Path(__file__).resolve().parent
DERIVED = HERE / "spec_schemas.json"
SPEC = HERE.parent.parent.parent / "shared" / "api" / "openapi-2026-07.json"
SPEC_URI = "urn:videogen:openapi-2026-07"


class Contract:
    """Validates sandbox answers against the response schemas the spec names for each endpoint."""

    def __init__(self, document: dict[str, Any], endpoints: dict[str, Any]) -> None:
        # OpenAPI 3.1 schemas are JSON Schema 2020-12; their `#/components/schemas/...` refs resolve inside
        # the document registered under SPEC_URI.
        resource = Resource.from_contents(document, default_specification=DRAFT202012)
        self.registry: Registry[Any] = Registry().with_resource(SPEC_URI, resource)
        self.endpoints = endpoints
        self.checked: set[tuple[str, str]] = set()  # (endpoint, status key) pairs seen by this session

    def validator(self, schema_name: str) -> Draft202012Validator:
        schema = {"$ref": f"{SPEC_URI}#/components/schemas/{schema_name}"}
        return Draft202012Validator(schema, registry=self.registry)

    def errors(self, schema_name: str, body: Any) -> list[str]:
        return [
            f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
            for e in self.validator(schema_name).iter_errors(body)
        ]

    def check(self, response: httpx.Response, endpoint: str) -> Any:
        """The decoded body, after asserting it matches the spec's schema for this endpoint and status."""
        responses = self.endpoints[endpoint]["responses"]
        status = str(response.status_code)
        key = status if status in responses else "default"
        assert key in responses, f"{endpoint} answered {status}, which the spec does not list"
        schema_name = responses[key]
        if schema_name is None:
            assert not response.content
            return None
        if key == "default":
            assert response.status_code >= 400, f"{endpoint}: unexpected success status {status}"
        body = response.json()
        problems = self.errors(schema_name, body)
        assert not problems, f"{endpoint} {status} does not match {schema_name}:\n" + "\n".join(problems)
        self.checked.add((endpoint, key))
        return body


def load_contract() -> Contract:
    derived = json.loads(DERIVED.read_text(encoding="utf-8"))
    document: dict[str, Any] = derived
    if SPEC.is_file():  # the spec itself wins when it is there; the derived copy must match it anyway
        document = json.loads(SPEC.read_text(encoding="utf-8"))
    return Contract(document, derived["endpoints"])


@pytest.fixture(scope="session")
def contract() -> Contract:
    return load_contract()


@pytest.fixture
def server(tmp_path: Path, sandbox_assets: Path) -> Iterator[SandboxServer]:
    config = SandboxConfig.fast("B")
    server = SandboxServer(tmp_path / "sandbox", assets_dir=sandbox_assets, config=config)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def api(server: SandboxServer) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {server.api_key}"}
    with loopback_http.Client(base_url=server.base_url, headers=headers, timeout=30) as client:
        yield client
