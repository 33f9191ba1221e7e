"""The VideoGen REST client: one coroutine per endpoint of the spec the app uses.

Every request goes through `_request`, which applies the shared rate limiter and the retry policy, streams the
answer under a size cap and bounds the whole exchange by a deadline. Free requests are repeated after any
glitch. Tool POSTs start paid executions and the API has no idempotency key, so they are only repeated when
the server provably did not start anything: a 429 answer, or a request that never left this machine
(httpcore's trace events say whether the request headers started to go out). A caller that may stop a paid
POST passes a `SendState` and reads where it stands: waiting (nothing of it is out), sending, or answered.

Lists are cursor-paginated (generation B/C) or not (A): `iter_*_pages` yield `Page`s as they arrive, so a
UI can paint the first page at once; `list_*` walk every page. Ids are opaque strings, never parsed.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

import httpx

from .. import __version__
from . import models
from .download_transport import LargeReadTransport
from .errors import (
    ApiError,
    InsecureBaseUrl,
    MalformedResponse,
    NetworkError,
    RateLimited,
    RequestTimeout,
    ResponseTooLarge,
    SubmissionUncertain,
    VideoGenError,
    error_from_response,
)
from .keys import check_api_key
from .models import (
    MAX_PAGE_SIZE,
    Account,
    AvatarPresenter,
    AvatarRequest,
    Entity,
    FileSearchResult,
    Page,
    StorageFile,
    ToolExecution,
    TtsRequest,
    TtsVoice,
    UploadTicket,
)
from .redact import redact, register_secret
from .retry import RateLimiter, RetryPolicy, delay_from_headers, endpoint_group
from .transfer import ProgressCallback, Transfer, read_capped
from .transports import SchemeRouter

log = logging.getLogger(__name__)
T = TypeVar("T")

DEFAULT_BASE_URL = "https://api.videogen.io"
USER_AGENT = f"videogen-studio/{__version__}"

#: Largest API answer read; more is refused (kind `too_large`) without reading further.
MAX_RESPONSE_BYTES = 16 * 1024 * 1024
#: Overall deadline of one API request: connect + send + the whole answer.
REQUEST_DEADLINE_S = 30.0
#: Status polls fail fast and are retried: a slow poll is worth less than a fresh one.
POLL_DEADLINE_S = 10.0
#: Pooled connections are dropped after this idle time, before typical servers (5 s and more) close them.
KEEPALIVE_EXPIRY_S = 2.0

# Errors raised before a single byte of the request left this machine: always safe to repeat.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


class SendPhase(StrEnum):
    """Where one paid POST stands (see `SendState`)."""

    #: Not on the wire: queued in the rate limiter (every answer so far was a 429, given before anything
    #: starts) or sleeping before repeating a request that never left this machine. Stopping here is free.
    WAITING = "waiting"
    #: Being sent or awaiting its answer: the service may be starting (and charging) the render.
    SENDING = "sending"
    #: The service answered (success or a refusal); the call is returning or raising.
    ANSWERED = "answered"


class SendState:
    """Filled in by the client's request loop for one paid call, read by whoever may stop that call.

    Pass a fresh one to `text_to_speech(..., send_state=)` / `generate_avatar(..., send_state=)`. The phase
    is set synchronously around the actual send, so a task cancelled while `waiting` is True is cancelled in
    the rate limiter or a retry sleep, never mid-send. A call that fails after sending stays SENDING.
    """

    __slots__ = ("phase",)

    def __init__(self) -> None:
        self.phase = SendPhase.WAITING

    @property
    def waiting(self) -> bool:
        """True while nothing of this call is on the wire and nothing was started by it."""
        return self.phase is SendPhase.WAITING

    def __repr__(self) -> str:
        return f"SendState({self.phase.value})"


class VideoGenClient:
    """Async client for the VideoGen v1 API. Create one per account and share it app-wide.

    `deadline` bounds every request as a whole (connect, send, the whole answer), `poll_deadline` the
    status polls; `timeout` bounds each single network operation inside them. Answers are read as a stream
    and refused past `max_response_bytes`.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 60.0,
        retry: RetryPolicy | None = None,
        limiter: RateLimiter | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        max_connections: int = 8,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        deadline: float = REQUEST_DEADLINE_S,
        poll_deadline: float = POLL_DEADLINE_S,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
        download_stall_s: float = 30.0,
    ) -> None:
        self.base_url = check_base_url(base_url)
        # A key with a line break would make httpx's own error text carry "Bearer <key>": refuse it here.
        key = check_api_key(api_key) if api_key.strip() else ""
        if key:
            register_secret(key)
        self.retry = retry or RetryPolicy()
        self.limiter = limiter or RateLimiter()
        self.deadline = deadline
        self.poll_deadline = poll_deadline
        self.max_response_bytes = max_response_bytes
        self._sleep = sleep
        step = httpx.Timeout(min(timeout, deadline), connect=min(10.0, deadline))
        limits = httpx.Limits(
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            keepalive_expiry=KEEPALIVE_EXPIRY_S,
        )
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"} | (
            # No key at all: send no header and let the server answer `missing_api_key`.
            {"Authorization": f"Bearer {key}"} if key else {}
        )
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            headers=headers,
            timeout=step,
            transport=transport or SchemeRouter(limits=limits),
            follow_redirects=False,  # a redirect would carry the Authorization header to another host
        )
        # Paid POSTs always open a fresh connection: a pooled one the server is about to close would turn
        # an unsent request into an "uncertain" one.
        self._paid_http = httpx.AsyncClient(
            base_url=self.base_url,
            headers=headers,
            timeout=step,
            transport=transport or SchemeRouter(limits=httpx.Limits(max_keepalive_connections=0)),
            follow_redirects=False,
        )
        # Signed URLs live on another origin: a separate client that never has the Authorization header.
        self.transfer = Transfer(
            httpx.AsyncClient(
                headers={"User-Agent": USER_AGENT},
                timeout=httpx.Timeout(timeout, connect=10.0),
                transport=transport or SchemeRouter(limits=limits),
                follow_redirects=True,
            ),
            retry=self.retry,
            sleep=sleep,
            deadline=deadline,
            max_fetch_bytes=max_response_bytes,
            stall_s=download_stall_s,
            # Downloads: one worker thread copies socket -> file (see download_transport.py).
            download_http=httpx.AsyncClient(
                headers={"User-Agent": USER_AGENT},
                timeout=httpx.Timeout(timeout, connect=10.0),
                transport=transport or LargeReadTransport(),
                follow_redirects=True,
            ),
        )

    async def aclose(self) -> None:
        await self._http.aclose()
        await self._paid_http.aclose()
        await self.transfer.aclose()

    async def __aenter__(self) -> VideoGenClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # ----------------------------------------------------------------------------------------- resources
    async def iter_presenter_pages(
        self, *, voice_id: str | None = None, page_size: int | None = None
    ) -> AsyncIterator[Page[AvatarPresenter]]:
        """Presenters page by page (paint the first page at once); `voice_id` sorts by best match."""
        params = {"voiceId": voice_id} if voice_id else {}
        async for page in self._pages(
            "/v1/resources/avatar-presenters",
            "avatarPresenters",
            AvatarPresenter.from_json,
            params,
            page_size,
        ):
            yield page

    async def list_presenters(self, *, voice_id: str | None = None) -> list[AvatarPresenter]:
        """Every presenter, all pages walked."""
        return await _collect(self.iter_presenter_pages(voice_id=voice_id, page_size=MAX_PAGE_SIZE))

    async def iter_voice_pages(
        self, *, include_deprecated: bool = False, page_size: int | None = None
    ) -> AsyncIterator[Page[TtsVoice]]:
        params = {"includeDeprecatedVoices": "true" if include_deprecated else "false"}
        async for page in self._pages(
            "/v1/resources/tts-voices", "ttsVoices", TtsVoice.from_json, params, page_size
        ):
            yield page

    async def list_voices(self, include_deprecated: bool = False) -> list[TtsVoice]:
        """Every voice, all pages walked."""
        return await _collect(
            self.iter_voice_pages(include_deprecated=include_deprecated, page_size=MAX_PAGE_SIZE)
        )

    async def iter_entity_pages(
        self, *, entity_type: str | None = "ACTOR", page_size: int | None = None
    ) -> AsyncIterator[Page[Entity]]:
        """Entities (generation C's actors) page by page; `entity_type=None` lists every type."""
        params = {"entityType": entity_type} if entity_type else {}
        async for page in self._pages("/v1/entities", "entities", Entity.from_json, params, page_size):
            yield page

    async def list_entities(self, *, entity_type: str | None = "ACTOR") -> list[Entity]:
        return await _collect(self.iter_entity_pages(entity_type=entity_type, page_size=MAX_PAGE_SIZE))

    # ------------------------------------------------------------------------------------------- account
    async def get_me(self) -> Account:
        """Who this key belongs to (`GET /v1/me`; a 404 on generation A)."""
        return Account.from_json(await self._request("GET", "/v1/me"))

    # --------------------------------------------------------------------------------------------- tools
    async def text_to_speech(self, request: TtsRequest, *, send_state: SendState | None = None) -> str:
        """Start a TTS execution (paid). Returns the toolExecutionId. `send_state`: see `SendState`."""
        data = await self._request(
            "POST",
            "/v1/tools/text-to-speech",
            json_body=request.to_json(),
            paid=True,
            send_state=send_state,
        )
        return models.parse_execution_id(data)

    async def generate_avatar(self, request: AvatarRequest, *, send_state: SendState | None = None) -> str:
        """Start a talking-head execution (paid). Returns the toolExecutionId; `send_state`: see SendState."""
        data = await self._request(
            "POST",
            "/v1/tools/generate-avatar",
            json_body=request.to_json(),
            paid=True,
            send_state=send_state,
        )
        return models.parse_execution_id(data)

    async def get_execution(self, execution_id: str) -> ToolExecution:
        path = f"/v1/tools/executions/{execution_id}"
        return ToolExecution.from_json(await self._request("GET", path, deadline=self.poll_deadline))

    async def cancel_execution(self, execution_id: str) -> None:
        # Cancelling twice is harmless, so this POST may be retried like a GET.
        await self._request("POST", f"/v1/tools/executions/{execution_id}/cancel")

    async def iter_execution_pages(
        self, *, self_only: bool = False, page_size: int | None = None
    ) -> AsyncIterator[Page[ToolExecution]]:
        """Executions started through the API, newest first (a 404 on generation A)."""
        params = {"selfOnly": "true"} if self_only else {}
        async for page in self._pages(
            "/v1/tools/executions", "toolExecutions", ToolExecution.from_json, params, page_size
        ):
            yield page

    async def list_executions(
        self, *, self_only: bool = False, limit: int | None = None
    ) -> list[ToolExecution]:
        """The newest `limit` executions (all of them when None)."""
        size = MAX_PAGE_SIZE if limit is None else max(1, min(limit, MAX_PAGE_SIZE))
        return await _collect(self.iter_execution_pages(self_only=self_only, page_size=size), limit)

    async def wait_for_execution(
        self,
        execution_id: str,
        *,
        interval: float = 1.5,
        timeout: float = 3600.0,
        on_update: Callable[[ToolExecution], None] | None = None,
        approval_interval: float | None = None,
        stop_on_approval: bool = False,
    ) -> ToolExecution:
        """Poll until the execution is terminal (the SDK's poll helper, rate-limit aware).

        `awaiting_approval` is not terminal: polling continues, `approval_interval` apart (default 10×
        `interval`, at least 5 s), unless `stop_on_approval` returns the waiting execution at once (as the
        SDK 2.x poller does).
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        slow = approval_interval if approval_interval is not None else max(5.0, interval * 10)
        while True:
            execution = await self.get_execution(execution_id)
            if on_update is not None:
                on_update(execution)
            if execution.is_terminal or (stop_on_approval and execution.needs_approval):
                return execution
            if loop.time() > deadline:
                raise RequestTimeout(f"Execution {execution_id} did not finish within {timeout:.0f} s.")
            await self._sleep(slow if execution.needs_approval else interval)

    # --------------------------------------------------------------------------------------------- files
    async def iter_file_pages(self, *, page_size: int | None = None) -> AsyncIterator[Page[StorageFile]]:
        async for page in self._pages("/v1/files", "files", StorageFile.from_json, {}, page_size):
            yield page

    async def list_files(self, *, limit: int | None = None) -> list[StorageFile]:
        """The team's files (all of them when `limit` is None), all pages walked."""
        size = MAX_PAGE_SIZE if limit is None else max(1, min(limit, MAX_PAGE_SIZE))
        return await _collect(self.iter_file_pages(page_size=size), limit)

    async def search_files(
        self, query: str, *, num_results: int = 10, self_only: bool = False
    ) -> list[FileSearchResult]:
        """Semantic search over file descriptions (`POST /v1/files/search`, free; retried like a GET)."""
        body = {"query": query, "numResults": max(1, min(num_results, 100)), "selfOnly": self_only}
        return models.parse_search_results(await self._request("POST", "/v1/files/search", json_body=body))

    async def enable_public_preview(self, file_id: str) -> StorageFile:
        path = f"/v1/files/{file_id}/enable-public-preview"
        return StorageFile.from_json(await self._request("POST", path))

    async def disable_public_preview(self, file_id: str) -> StorageFile:
        path = f"/v1/files/{file_id}/disable-public-preview"
        return StorageFile.from_json(await self._request("POST", path))

    async def get_file(self, file_id: str) -> StorageFile:
        return StorageFile.from_json(await self._request("GET", f"/v1/files/{file_id}"))

    async def hydrate_file(self, file_id: str) -> StorageFile:
        return StorageFile.from_json(await self._request("POST", f"/v1/files/{file_id}/hydrate"))

    async def get_hydrated_file(self, file_id: str) -> StorageFile:
        """The file with usable signed URLs, hydrating only when needed (SDK rule + expiry margin)."""
        file = await self.get_file(file_id)
        return await self.hydrate_file(file_id) if file.needs_hydration() else file

    async def archive_file(self, file_id: str) -> StorageFile:
        return StorageFile.from_json(await self._request("POST", f"/v1/files/{file_id}/archive"))

    async def create_upload(
        self, display_name: str, *, file_type: str | None = None, is_temporary: bool | None = None
    ) -> UploadTicket:
        body: dict[str, Any] = {"displayName": display_name}
        if file_type is not None:
            body["type"] = file_type
        if is_temporary is not None:
            body["isTemporary"] = is_temporary
        # Creating an upload slot costs nothing and an orphan slot is harmless, so retries are fine.
        return models.parse_upload_ticket(await self._request("POST", "/v1/files/upload", json_body=body))

    async def upload_file(
        self, path: Path, *, file_type: str | None = None, progress: ProgressCallback | None = None
    ) -> str:
        """Create an upload slot, PUT the bytes to the presigned URL (no API auth). Returns the fileId."""
        ticket = await self.create_upload(path.name, file_type=file_type)
        await self.transfer.upload(ticket.upload_url, path, progress=progress)
        return ticket.file_id

    async def download_file(
        self, file_id: str, dest: Path, *, progress: ProgressCallback | None = None
    ) -> Path:
        """Download the highest-quality rendition to `dest` (resumable, atomic, size-checked)."""

        async def fresh_source() -> tuple[str, int | None]:
            file = await self.hydrate_file(file_id)
            src = file.download_source
            if src is None or src.status != "ready" or not src.url:
                state = src.status if src else "missing"
                raise MalformedResponse(f"The file has no downloadable rendition yet ({state}).")
            return src.url, src.file_bytes

        return await self.transfer.download(fresh_source, dest, progress=progress)

    async def fetch_public(self, url: str, *, max_bytes: int = 20_000_000) -> bytes:
        """GET a public or signed URL (thumbnails, previews) without the API key."""
        return await self.transfer.fetch(url, max_bytes=max_bytes)

    async def probe_list(
        self, path: str, params: dict[str, str] | None = None, *, paginated: bool = True
    ) -> Any:
        """The raw JSON of one cheap GET (`limit=1` on lists), for capability probes."""
        query = dict(params or {})
        if paginated:
            query["limit"] = "1"
        return await self._request("GET", path, params=query or None)

    # ------------------------------------------------------------------------------------------- plumbing
    async def _pages(
        self,
        path: str,
        key: str,
        item: Callable[[Any], T],
        params: dict[str, str],
        page_size: int | None,
    ) -> AsyncIterator[Page[T]]:
        """Walk a cursor-paginated list. No `hasMore` = one page; a cursor seen before ends the walk."""
        seen: set[str] = set()
        cursor: str | None = None
        while True:
            query = dict(params)
            if page_size is not None:
                query["limit"] = str(max(1, min(page_size, MAX_PAGE_SIZE)))
            if cursor is not None:
                query["cursor"] = cursor
            page = models.parse_page(await self._request("GET", path, params=query), key, item, path)
            yield page
            if not page.has_more or page.next_cursor is None or page.next_cursor in seen:
                return
            seen.add(page.next_cursor)
            cursor = page.next_cursor

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        json_body: Any = None,
        paid: bool = False,
        deadline: float | None = None,
        send_state: SendState | None = None,
    ) -> Any:
        """One API call with the retry rules of the brief.

        Free requests (GETs, hydrate, cancel, upload slots, search) are repeated after any glitch: network
        error, timeout, 5xx, 429, a malformed or oversized answer. Paid POSTs are repeated only after a 429
        or when the request provably never left this machine; a failure after sending is
        `SubmissionUncertain`, since VideoGen may have started (and charged) the execution.
        `send_state` follows the phases (no await between a phase change and the step it names).
        """
        state = send_state if send_state is not None else SendState()
        group = endpoint_group(method, path)
        attempt = 0
        rate_waits = 0
        while True:
            state.phase = SendPhase.WAITING  # the first try, or after a 429 / a request that never left
            await self.limiter.acquire(group)
            state.phase = SendPhase.SENDING
            try:
                status, headers, body = await self._exchange(method, path, params, json_body, paid, deadline)
            except _Unsent as unsent:
                state.phase = SendPhase.WAITING  # provably never left this machine
                error: VideoGenError = unsent.error
            except VideoGenError as exc:
                if paid:
                    raise  # may have been sent: the phase stays SENDING
                error = exc
            else:
                state.phase = SendPhase.ANSWERED
                self.limiter.observe(group, headers)
                request_id = headers.get("x-request-id")
                if 200 <= status < 300:
                    try:
                        return _json(status, headers, body)
                    except MalformedResponse as exc:
                        if paid:  # a 2xx to a paid POST started an execution whose id we cannot read
                            raise SubmissionUncertain(
                                f"{self._host()} accepted the submission but its answer was unreadable.",
                                status=status,
                                request_id=request_id,
                            ) from exc
                        exc.request_id = request_id
                        error = exc
                else:
                    server_delay = delay_from_headers(headers)
                    api_error = error_from_response(
                        status, _body(body), request_id=request_id, retry_after=server_delay
                    )
                    if isinstance(api_error, RateLimited):
                        # A 429 is answered before anything starts, so even paid POSTs may be repeated.
                        delay = server_delay if server_delay is not None else self.retry.backoff(rate_waits)
                        rate_waits += 1
                        if rate_waits > self.retry.max_rate_limit_waits:
                            raise api_error
                        self.limiter.block(group, delay)
                        continue
                    if paid or not api_error.transient:
                        raise api_error
                    error = api_error
            # A glitch that is safe to repeat.
            if attempt + 1 >= self.retry.max_attempts:
                raise error
            retry_after = getattr(error, "retry_after", None)
            await self._sleep(retry_after if retry_after is not None else self.retry.backoff(attempt))
            attempt += 1

    async def _exchange(
        self,
        method: str,
        path: str,
        params: dict[str, str] | None,
        json_body: Any,
        paid: bool,
        deadline: float | None,
    ) -> tuple[int, httpx.Headers, bytes]:
        """Send once; the status, headers and the whole (capped) body within the overall deadline.

        Raises `_Unsent` when the request provably never left this machine, `SubmissionUncertain` for a
        paid POST that may have been sent, and `NetworkError` / `RequestTimeout` / `ResponseTooLarge`
        otherwise. httpcore's trace extension tells whether the request headers started to go out.
        """
        events = _SendTrace()
        http = self._paid_http if paid else self._http
        request = http.build_request(
            method, path, params=params, json=json_body, extensions={"trace": events}
        )
        limit = self.deadline if deadline is None else deadline
        host = self._host()
        try:
            async with asyncio.timeout(limit):
                response = await http.send(request, stream=True)
                try:
                    body = await read_capped(response, self.max_response_bytes)
                finally:
                    await response.aclose()
        except TimeoutError as exc:
            if events.unsent:
                raise _Unsent(RequestTimeout(f"Could not connect to {host} within {limit:g} s.")) from exc
            if paid:
                raise SubmissionUncertain(
                    f"{host} did not answer the submission within {limit:g} s; it may have been received."
                ) from exc
            raise RequestTimeout(f"{host} did not answer within {limit:g} s.") from exc
        except httpx.HTTPError as exc:
            if isinstance(exc, _NOT_SENT) or events.unsent:
                raise _Unsent(NetworkError(f"Could not connect to {host}: {_reason(exc)}")) from exc
            if paid:
                raise SubmissionUncertain(
                    f"Connection to {host} lost while submitting: {_reason(exc)}"
                ) from exc
            if isinstance(exc, httpx.TimeoutException):
                raise RequestTimeout(f"{host} stopped answering: {_reason(exc)}") from exc
            raise NetworkError(f"Connection to {host} lost: {_reason(exc)}") from exc
        except ResponseTooLarge as exc:
            if paid and 200 <= response.status_code < 300:
                raise SubmissionUncertain(
                    f"{host} accepted the submission but its answer was too large to read."
                ) from exc
            raise
        return response.status_code, response.headers, body

    def _host(self) -> str:
        return httpx.URL(self.base_url).host or self.base_url


def check_base_url(base_url: str) -> str:
    """The service address without a trailing slash; plain http only to this machine (loopback).

    Every request carries the API key in its Authorization header: over http to another host it would
    cross the network in clear. Raises InsecureBaseUrl (the message names the address, never the key).
    """
    url = base_url.strip().rstrip("/")
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        raise InsecureBaseUrl(f"{url!r} is not a web address.") from None
    if parsed.scheme == "https":
        return url
    if parsed.scheme == "http" and _is_loopback(parsed.host):
        return url
    shown = f"{parsed.scheme}://{parsed.host}" if parsed.host else repr(url)
    raise InsecureBaseUrl(f"{shown} is not https: the API key would travel unencrypted.")


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def _collect[T](pages: AsyncIterator[Page[T]], limit: int | None = None) -> list[T]:
    items: list[T] = []
    async for page in pages:
        items.extend(page.items)
        if limit is not None and len(items) >= limit:
            return items[:limit]
    return items


class _Unsent(Exception):
    """Internal: the request never left this machine (safe to repeat, even a paid POST)."""

    def __init__(self, error: VideoGenError) -> None:
        super().__init__(error.message)
        self.error = error


class _SendTrace:
    """httpcore trace hook: did the request's headers start to go out on a connection?"""

    def __init__(self) -> None:
        self.traced = False
        self.sending = False

    async def __call__(self, name: str, info: dict[str, Any]) -> None:
        self.traced = True
        if name.endswith("send_request_headers.started"):
            self.sending = True

    @property
    def unsent(self) -> bool:
        # Without any trace event (a custom transport), nothing is known: assume it may have been sent.
        return self.traced and not self.sending


def _json(status: int, headers: httpx.Headers, body: bytes) -> Any:
    try:
        return json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        kind = headers.get("content-type", "unknown content")
        raise MalformedResponse(
            f"The server answered HTTP {status} with {kind} instead of JSON.", status=status
        ) from exc


def _body(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return body.decode("utf-8", "replace")


def _reason(exc: BaseException) -> str:
    # Keys are checked for legal characters before use, and messages pass through redact() anyway.
    return redact(str(exc)) or type(exc).__name__


__all__ = [
    "DEFAULT_BASE_URL",
    "MAX_RESPONSE_BYTES",
    "POLL_DEADLINE_S",
    "REQUEST_DEADLINE_S",
    "ApiError",
    "SendPhase",
    "SendState",
    "SubmissionUncertain",
    "VideoGenClient",
    "check_base_url",
]
