"""Derive `spec_schemas.json` from the vendor's OpenAPI spec (generation B), for the contract tests.

    python tests/contract/derive_schemas.py [path/to/openapi-2026-07.json]

The project owns the derived file, so the contract tests also run where `../shared/api/` is absent;
`test_spec_schemas.py` checks that it still matches the spec whenever the spec is present. The file keeps,
for every endpoint the app uses, the response schema names per status, and every component schema those
reach (following `$ref`s transitively), unchanged, so `#/components/schemas/...` refs resolve as in the spec.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
SPEC = REPO.parent / "shared" / "api" / "openapi-2026-07.json"
DERIVED = HERE / "spec_schemas.json"

# The endpoints the app (api/ client) calls: "METHOD /path/template".
ENDPOINTS = (
    "GET /v1/me",
    "GET /v1/resources/avatar-presenters",
    "GET /v1/resources/tts-voices",
    "GET /v1/entities",
    "GET /v1/entities/{entityId}",
    "POST /v1/tools/text-to-speech",
    "POST /v1/tools/generate-avatar",
    "GET /v1/tools/executions",
    "GET /v1/tools/executions/{toolExecutionId}",
    "POST /v1/tools/executions/{toolExecutionId}/cancel",
    "GET /v1/files",
    "POST /v1/files/search",
    "POST /v1/files/upload",
    "GET /v1/files/{fileId}",
    "POST /v1/files/{fileId}/hydrate",
    "POST /v1/files/{fileId}/archive",
    "POST /v1/files/{fileId}/enable-public-preview",
    "POST /v1/files/{fileId}/disable-public-preview",
)
_PREFIX = "#/components/schemas/"


def _schema_name(ref: str) -> str:
    if not ref.startswith(_PREFIX):
        raise ValueError(f"unexpected $ref {ref!r}")
    return ref[len(_PREFIX) :]


def _refs(node: Any) -> set[str]:
    """Every component schema name referenced anywhere inside `node`."""
    found: set[str] = set()
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            found.add(_schema_name(ref))
        for value in node.values():
            found |= _refs(value)
    elif isinstance(node, list):
        for value in node:
            found |= _refs(value)
    return found


def derive(spec: dict[str, Any], spec_bytes: bytes) -> dict[str, Any]:
    schemas = spec["components"]["schemas"]
    endpoints: dict[str, dict[str, Any]] = {}
    wanted: set[str] = set()
    for endpoint in ENDPOINTS:
        method, path = endpoint.split(" ", 1)
        operation = spec["paths"][path][method.lower()]
        responses: dict[str, str | None] = {}
        for status, response in operation["responses"].items():
            schema = response.get("content", {}).get("application/json", {}).get("schema")
            responses[status] = None if schema is None else _schema_name(schema["$ref"])
        body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
        endpoints[endpoint] = {
            "responses": responses,
            "request": None if body is None else _schema_name(body["$ref"]),
        }
        wanted |= _refs(operation.get("responses")) | _refs(body)
    closure: set[str] = set()
    while wanted:
        name = wanted.pop()
        if name not in closure:
            closure.add(name)
            wanted |= _refs(schemas[name])
    return {
        "source": SPEC.name,
        "sourceSha256": hashlib.sha256(spec_bytes).hexdigest(),
        "openapi": spec["openapi"],
        "endpoints": endpoints,
        "components": {"schemas": {name: schemas[name] for name in sorted(closure)}},
    }


def render(derived: dict[str, Any]) -> str:
    return json.dumps(derived, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    source = Path(argv[1]) if len(argv) > 1 else SPEC
    raw = source.read_bytes()
    DERIVED.write_text(render(derive(json.loads(raw), raw)), encoding="utf-8")
    print(f"wrote {DERIVED.relative_to(REPO)} from {source}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
