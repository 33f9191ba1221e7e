"""The derived schema file is the spec's, and the validator really rejects what the spec forbids."""

from __future__ import annotations

import json

import pytest
from conftest import DERIVED, SPEC, load_contract
from derive_schemas import derive, render


@pytest.mark.skipif(not SPEC.is_file(), reason="../shared/api/openapi-2026-07.json is not present here")
def test_derived_file_matches_the_spec() -> None:
    raw = SPEC.read_bytes()
    expected = render(derive(json.loads(raw), raw))
    assert DERIVED.read_text(encoding="utf-8") == expected, (
        "tests/contract/spec_schemas.json is stale: run `python tests/contract/derive_schemas.py`"
    )


def test_derived_file_stands_alone() -> None:
    derived = json.loads(DERIVED.read_text(encoding="utf-8"))
    schemas = derived["components"]["schemas"]
    for endpoint, entry in derived["endpoints"].items():
        for name in [*entry["responses"].values(), entry["request"]]:
            assert name is None or name in schemas, f"{endpoint} names {name}, missing from the derived file"


def test_validator_rejects_what_the_spec_forbids() -> None:
    contract = load_contract()
    assert contract.errors(
        "MeResponse", {"apiKeyId": "k", "apiKeyNickname": "n", "email": "e", "teamId": "t"}
    )
    assert contract.errors("ExecutedTool", {"toolExecutionId": "x", "status": "done", "toolType": "T"})
    # A list answer without hasMore/nextCursor is generation A's shape, not the spec's.
    assert contract.errors("TtsVoiceListResponse", {"ttsVoices": []})
    # A nested $ref (StorageFile -> FileSource) is followed.
    assert contract.errors("StorageFile", {"fileId": "f", "scope": "GLOBAL", "downloadSource": {"url": 1}})
    assert not contract.errors("ApiError", {"message": "m", "requirement": {"type": "upgrade_plan"}})
