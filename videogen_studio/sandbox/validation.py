"""Shared by the API route groups: the route type, JSON bodies, typed fields, ids, ApiError responses."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from videogen_studio.sandbox.failures import ApiFailure
from videogen_studio.sandbox.handler import Request, Response, json_response

MAX_JSON_BODY = 1024 * 1024  # sandbox choice


def invalid(message: str) -> ApiFailure:
    return ApiFailure(400, message, "invalid_parameters")


def json_body(request: Request) -> dict[str, Any]:
    raw = request.read_body(MAX_JSON_BODY)
    if raw is None:
        raise ApiFailure(413, f"Request body exceeds {MAX_JSON_BODY} bytes.", "payload_too_large")
    if not raw.strip():
        raise invalid("Request body must be a JSON object.")
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise invalid(f"Malformed JSON body: {exc}.") from None
    if not isinstance(body, dict):
        raise invalid("Request body must be a JSON object.")
    return body


def required_string(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if value is None:
        raise invalid(f"{name} is required.")
    if not isinstance(value, str):
        raise invalid(f"{name} must be a string.")
    if not value.strip():
        raise invalid(f"{name} must not be blank.")
    return value


def optional_string(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)  # explicit null is the same as omitted (the SDK sends null for None)
    if value is not None and not isinstance(value, str):
        raise invalid(f"{name} must be a string.")
    return value


def optional_bool(body: dict[str, Any], name: str, default: bool) -> bool:
    value = body.get(name)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise invalid(f"{name} must be a boolean.")
    return value


def optional_int(body: dict[str, Any], name: str, default: int, bounds: tuple[int, int]) -> int:
    value = body.get(name)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid(f"{name} must be an integer.")
    low, high = bounds
    if not low <= value <= high:
        raise invalid(f"{name} must be between {low} and {high} (got {value}).")
    return value


def optional_number(body: dict[str, Any], name: str, default: float, bounds: tuple[float, float]) -> float:
    value = body.get(name)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise invalid(f"{name} must be a number.")
    low, high = bounds
    if not low <= value <= high:
        raise invalid(f"{name} must be between {low:g} and {high:g} (got {value:g}).")
    return float(value)


def check_id(value: str, prefix: str | tuple[str, ...], what: str) -> str:
    prefixes = (prefix,) if isinstance(prefix, str) else prefix
    if not any(value.startswith(p) and len(value) > len(p) for p in prefixes):
        expected = " or ".join(prefixes)
        raise ApiFailure(
            400, f"{value!r} is not a valid {what} id (expected prefix {expected}).", "invalid_id"
        )
    return value


def query_bool(request: Request, name: str, default: bool) -> bool:
    raw = request.query_value(name)
    if raw is None or raw == "":
        return default
    if raw.lower() not in ("true", "false"):
        raise invalid(f"{name} must be true or false.")
    return raw.lower() == "true"


def replacements(body: dict[str, Any]) -> list[tuple[str, str]]:
    items = body.get("pronunciationReplacements")
    if items is None:
        return []
    if not isinstance(items, list):
        raise invalid("pronunciationReplacements must be a list of {original, replacement} objects.")
    pairs = []
    for index, item in enumerate(items):
        where = f"pronunciationReplacements[{index}]"
        if not isinstance(item, dict):
            raise invalid(f"{where} must be an object with original and replacement.")
        for key in ("original", "replacement"):
            if key not in item or item[key] is None:
                raise invalid(f"{where}.{key} is required.")
            if not isinstance(item[key], str):
                raise invalid(f"{where}.{key} must be a string.")
        if not item["original"]:
            raise invalid(f"{where}.original must not be empty.")
        pairs.append((item["original"], item["replacement"]))
    return pairs


def error_response(failure: ApiFailure) -> Response:
    return json_response(failure.status, failure.body())


Handler = Callable[[Request, str, re.Match[str]], Response]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    group: str  # rate-limit group
    handler: Handler


def route(method: str, pattern: str, group: str, handler: Handler) -> Route:
    return Route(method, re.compile(pattern), group, handler)
