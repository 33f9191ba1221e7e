"""File routes: list (paginated from B on), search, get, hydrate, archive, upload, public preview."""

from __future__ import annotations

import re

from videogen_studio.sandbox.failures import ApiFailure
from videogen_studio.sandbox.files import FILE_PREFIX
from videogen_studio.sandbox.handler import Request, Response, json_response
from videogen_studio.sandbox.pagination import Pager, newest_first_position
from videogen_studio.sandbox.resource_routes import list_response
from videogen_studio.sandbox.state import SandboxState
from videogen_studio.sandbox.validation import (
    Route,
    check_id,
    invalid,
    json_body,
    optional_bool,
    optional_int,
    optional_string,
    required_string,
    route,
)

FILE_TYPES = ("IMAGE", "VIDEO", "AUDIO")


class FileRoutes:
    def __init__(self, state: SandboxState, pager: Pager) -> None:
        self.state = state
        self.pager = pager

    def routes(self) -> list[Route]:
        file_id = r"(?P<id>(?!search$|upload$)[^/]+)"
        return [
            route("GET", r"^/v1/files$", "files", self._list),
            route("POST", r"^/v1/files/search$", "files", self._search),
            route("POST", r"^/v1/files/upload$", "files", self._upload),
            route("GET", rf"^/v1/files/{file_id}$", "files", self._get),
            route("POST", rf"^/v1/files/{file_id}/hydrate$", "files", self._hydrate),
            route("POST", rf"^/v1/files/{file_id}/archive$", "files", self._archive),
            route("POST", rf"^/v1/files/{file_id}/enable-public-preview$", "files", self._enable_preview),
            route("POST", rf"^/v1/files/{file_id}/disable-public-preview$", "files", self._disable_preview),
        ]

    def _list(self, request: Request, key: str, match: re.Match[str]) -> Response:
        return list_response(
            self.state,
            self.pager,
            request,
            "files",
            "files",
            self.state.list_files(key),
            lambda f: newest_first_position(f.created_at, f.file_id),
            lambda f: self.state.file_json(f, hydrate=False),
        )

    def _search(self, request: Request, key: str, match: re.Match[str]) -> Response:
        body = json_body(request)
        query = required_string(body, "query")
        num_results = optional_int(body, "numResults", 10, (1, 100))
        self_only = optional_bool(body, "selfOnly", False)
        found = self.state.search_files(key, query, num_results, self_only)
        results = [
            {"similarity": similarity, "file": self.state.file_json(stored, hydrate=False)}
            for similarity, stored in found
        ]
        return json_response(200, {"results": results})

    def _get(self, request: Request, key: str, match: re.Match[str]) -> Response:
        stored = self.state.get_file(key, check_id(match["id"], FILE_PREFIX, "file"))
        return json_response(200, self.state.file_json(stored, hydrate=False))

    def _hydrate(self, request: Request, key: str, match: re.Match[str]) -> Response:
        stored = self.state.get_file(key, check_id(match["id"], FILE_PREFIX, "file"))
        return json_response(200, self.state.file_json(stored, hydrate=True))

    def _archive(self, request: Request, key: str, match: re.Match[str]) -> Response:
        file_id = check_id(match["id"], FILE_PREFIX, "file")
        if self.state.get_file(key, file_id).scope == "ENTITY":
            raise ApiFailure(403, "Entity reference images are managed through their entity.", "forbidden")
        stored = self.state.archive_file(key, file_id)
        return json_response(200, self.state.file_json(stored, hydrate=False))

    def _enable_preview(self, request: Request, key: str, match: re.Match[str]) -> Response:
        return self._set_preview(key, match, True)

    def _disable_preview(self, request: Request, key: str, match: re.Match[str]) -> Response:
        return self._set_preview(key, match, False)

    def _set_preview(self, key: str, match: re.Match[str], enabled: bool) -> Response:
        file_id = check_id(match["id"], FILE_PREFIX, "file")
        if self.state.get_file(key, file_id).scope == "ENTITY":
            raise ApiFailure(403, "Entity reference images cannot be shared publicly.", "forbidden")
        stored = self.state.set_public_preview(key, file_id, enabled)
        return json_response(200, self.state.file_json(stored, hydrate=False))

    def _upload(self, request: Request, key: str, match: re.Match[str]) -> Response:
        body = json_body(request)
        display_name = required_string(body, "displayName")
        ftype = optional_string(body, "type")
        if ftype is not None and ftype not in FILE_TYPES:
            raise invalid(f"type must be one of {', '.join(FILE_TYPES)} (got {ftype!r}).")
        temporary = optional_bool(body, "isTemporary", False)
        stored, upload_url = self.state.create_upload(key, display_name, ftype, temporary)
        return json_response(200, {"fileId": stored.file_id, "uploadUrl": upload_url})
