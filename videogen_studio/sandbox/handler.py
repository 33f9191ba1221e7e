"""The wire layer both listeners share: parse, apply a fault, hand to the origin, write the answer.

Faults have to control the socket itself (resets, truncated or paced bodies, hostile servers), so the code
that puts every sandbox response on the wire lives here: `SandboxHandler` records each request, applies a
matching `FaultRule` (faults.py), hands the request to its `Origin` (routes.py for the API, storage.py for
the storage origin) and writes the `Response` with an exact Content-Length.
"""

from __future__ import annotations

import contextlib
import json
import logging
import secrets
import selectors
import socket
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, NamedTuple, Protocol
from urllib.parse import parse_qs, urlsplit

from videogen_studio.sandbox.faults import FaultInjector, FaultRule

log = logging.getLogger(__name__)

# Kinds that replace the response entirely (the request never reaches the routes).
_REPLACING_KINDS = frozenset(
    {"status", "reset", "garbage", "wrong_shape", "endless", "huge", "echo_key", "malformed"}
)
_CHUNK = 64 * 1024
MAX_DRAIN_BYTES = 16 * 1024 * 1024  # larger unread bodies close the connection instead of being drained


class LoggedRequest(NamedTuple):
    """One request as it arrived; header names are lower-cased."""

    method: str
    path: str
    headers: dict[str, str]
    origin: str


@dataclass
class FileBody:
    """A byte range of a file on disk, streamed in chunks rather than read into memory."""

    path: Path
    offset: int
    length: int


@dataclass
class StreamBody:
    """A generated body (hostile faults); `length` None means it is sent chunked, without an end in sight."""

    chunks: Iterator[bytes]
    length: int | None


@dataclass
class Response:
    status: int
    body: bytes | FileBody | StreamBody = b""
    content_type: str | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)

    @property
    def length(self) -> int | None:
        if isinstance(self.body, FileBody | StreamBody):
            return self.body.length
        return len(self.body)


def json_response(status: int, payload: Any, headers: list[tuple[str, str]] | None = None) -> Response:
    body = json.dumps(payload, separators=(",", ":")).encode()
    return Response(status, body, "application/json", list(headers or []))


def new_request_id() -> str:
    return f"req_{secrets.token_hex(8)}"


class Request:
    """What a route sees: method, path, query, headers and a body read on demand."""

    def __init__(self, handler: SandboxHandler, method: str, target: str, request_id: str) -> None:
        parts = urlsplit(target)
        self.method = method
        self.path = parts.path
        self.query: dict[str, list[str]] = parse_qs(parts.query, keep_blank_values=True)
        self.headers = handler.headers
        self.request_id = request_id
        self._rfile = handler.rfile
        self.chunked = "chunked" in (handler.headers.get("Transfer-Encoding") or "").lower()
        raw_length = handler.headers.get("Content-Length")
        try:
            self.content_length: int | None = int(raw_length) if raw_length is not None else None
        except ValueError:
            self.content_length = None
        if self.content_length is not None and self.content_length < 0:
            self.content_length = None
        self._remaining = self.content_length or 0

    def query_value(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None

    def read_body(self, limit: int) -> bytes | None:
        """The whole body, or None when it is larger than `limit` (left unread)."""
        if self._remaining > limit:
            return None
        return b"".join(self.iter_body())

    def iter_body(self, chunk_size: int = _CHUNK) -> Iterator[bytes]:
        while self._remaining > 0:
            chunk = self._rfile.read(min(chunk_size, self._remaining))
            if not chunk:
                raise ConnectionError("client closed the connection mid-body")
            self._remaining -= len(chunk)
            yield chunk

    @property
    def unread(self) -> int:
        return self._remaining


class Origin(Protocol):
    """One listener's application: the API routes or the storage origin."""

    name: str  # "api" | "storage"
    faults: FaultInjector

    def record(self, entry: LoggedRequest) -> None: ...

    def handle(self, request: Request) -> Response: ...

    def fault_response(self, rule: FaultRule, request: Request) -> Response:
        """The answer for a `status` fault (ApiError JSON on the API, S3-style XML on storage)."""
        ...


class SandboxListener(ThreadingHTTPServer):
    """ThreadingHTTPServer with daemon threads, tracked connections and no stderr tracebacks.

    `serve()` blocks in select() on the listening socket and a wake-up socketpair, never on a timeout:
    an idle sandbox causes no periodic wakeups (socketserver's serve_forever polls every 0.5 s, and
    shutdown() waits for that poll), and `stop_serving()` returns the loop at once.
    """

    daemon_threads = True
    allow_reuse_address = True
    # socketserver's default listen backlog is 5: a burst of new connections (20 jobs submitting at once)
    # overflowed it and some paid POSTs were dropped after the client had sent them — a false "uncertain".
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], origin: Origin) -> None:
        self.origin = origin
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        self._wake_r, self._wake_w = socket.socketpair()
        self._stopping = threading.Event()
        super().__init__(address, SandboxHandler)

    def serve(self) -> None:
        """Accept connections until `stop_serving()`; each one is handled on its own daemon thread."""
        with selectors.DefaultSelector() as selector:
            selector.register(self.socket, selectors.EVENT_READ)
            selector.register(self._wake_r, selectors.EVENT_READ)
            while not self._stopping.is_set():
                for key, _ in selector.select():  # no timeout: sleeps until a client or stop arrives
                    if key.fileobj is self._wake_r or self._stopping.is_set():
                        return
                    self._handle_request_noblock()  # type: ignore[attr-defined]

    @property
    def stopping(self) -> threading.Event:
        return self._stopping

    def stop_serving(self) -> None:
        self._stopping.set()
        with contextlib.suppress(OSError):
            self._wake_w.send(b"x")

    def server_close(self) -> None:
        super().server_close()
        for end in (self._wake_r, self._wake_w):
            end.close()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Cut idle keep-alive connections so a stopped sandbox really stops answering."""
        with self._connections_lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("sandbox connection error from %s", client_address, exc_info=True)


class SandboxHandler(BaseHTTPRequestHandler):
    """Per-request plumbing shared by both origins: log, fault, route, write."""

    protocol_version = "HTTP/1.1"
    server_version = "VideoGenSandbox/1.0"
    timeout = 120  # idle keep-alive connections are dropped after this many seconds
    # Headers and body go out in separate writes; with Nagle on, the body waits for the client's delayed ACK.
    disable_nagle_algorithm = True
    server: SandboxListener

    def version_string(self) -> str:
        return self.server_version  # no trailing " Python/x.y" (or stray space) in the Server header

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: no stderr line per request

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = do_GET

    def _handle(self) -> None:
        origin = self.server.origin
        request_id = new_request_id()
        request = Request(self, self.command, self.path, request_id)
        headers = {k.lower(): v for k, v in self.headers.items()}
        origin.record(LoggedRequest(self.command, request.path, headers, origin.name))
        try:
            rule = origin.faults.take(self.command, request.path, origin.name)
            if rule is not None and rule.kind == "reset":
                self._drain(request)
                self._reset()
                return
            if rule is not None and rule.kind == "delay":
                time.sleep(rule.delay_s)
            if rule is not None and rule.kind == "silent":
                self._drain(request)
                self._stay_silent()
                return
            if rule is not None and rule.kind in _REPLACING_KINDS:
                response = self._replacement(rule, request)
            else:
                try:
                    response = origin.handle(request)
                except (ConnectionError, TimeoutError):
                    raise
                except Exception:
                    log.exception("sandbox route failed: %s %s", self.command, request.path)
                    response = json_response(
                        500,
                        {
                            "message": "Internal sandbox error.",
                            "code": "internal_error",
                            "internalErrorCode": request_id,
                        },
                    )
            self._drain(request)
            stream_rule = rule if rule is not None and rule.kind in ("slow", "truncate", "drip") else None
            self._write(response, request_id, stream_rule)
        except (ConnectionError, TimeoutError, OSError):
            self.close_connection = True

    def _replacement(self, rule: FaultRule, request: Request) -> Response:
        if rule.kind == "status":
            return self.server.origin.fault_response(rule, request)
        if rule.kind == "endless":
            return Response(200, StreamBody(_endless_json(), None), "application/json")
        if rule.kind == "huge":
            return Response(200, StreamBody(_huge_json(rule.size_bytes), rule.size_bytes), "application/json")
        if rule.kind == "echo_key":
            # A careless server quoting the credential back: the client must never show or store this text.
            presented = request.headers.get("Authorization") or ""
            message = f"Key rejected: {presented!s} ({presented.partition(' ')[2]}) is not allowed here."
            return json_response(rule.status, {"message": message, "code": "invalid_api_key"})
        if rule.kind == "malformed":
            body = (
                rule.body
                if rule.body is not None
                else '{"status": "succeeded", "results": [{"fileId": "vg_fi'
            )
            return Response(200, body.encode(), "application/json")
        if rule.kind == "garbage":
            html = rule.body or (
                "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
                "<body><h1>Bad Gateway</h1><p>The upstream server returned an invalid response.</p>"
                "</body></html>"
            )
            return Response(200, html.encode(), "text/html; charset=utf-8")
        body = rule.body if rule.body is not None else json.dumps({"unexpected": True})
        return Response(200, body.encode(), "application/json")

    def _drain(self, request: Request) -> None:
        """Consume an unread request body so the next keep-alive request parses cleanly."""
        if request.chunked:
            self.close_connection = True  # we never parse chunked bodies; the stream cannot be resynced
            return
        if request.unread > MAX_DRAIN_BYTES:
            self.close_connection = True
            return
        for _ in request.iter_body():
            pass

    def _stay_silent(self) -> None:
        """Accept and read the request, never answer: block until the client leaves or the server stops.

        Blocks in select() on the connection (no timeout, no polling); `close_connections()` at stop shuts
        the socket down, which wakes it.
        """
        self.close_connection = True
        with selectors.DefaultSelector() as selector:
            selector.register(self.connection, selectors.EVENT_READ)
            while True:
                selector.select()
                try:
                    if not self.connection.recv(65536):  # readable: recv does not block
                        return  # the client hung up (or the server shut the socket down)
                except OSError:
                    return

    def _reset(self) -> None:
        """Abort with a TCP RST: SO_LINGER 0 makes close() discard buffers and reset the connection."""
        self.close_connection = True
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.rfile.close()
        self.connection.close()

    def _write(self, response: Response, request_id: str, rule: FaultRule | None) -> None:
        self.send_response(response.status)
        self.send_header("x-request-id", request_id)
        if response.content_type is not None:
            self.send_header("Content-Type", response.content_type)
        for name, value in response.headers:
            self.send_header(name, value)
        if response.length is None:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(response.length))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command == "HEAD":
            self.wfile.flush()
            return
        if isinstance(response.body, StreamBody) and response.body.length is None:
            self._write_chunked(response.body.chunks)
            return
        chunks = self._body_chunks(response.body)
        if rule is not None and rule.kind == "drip":
            self._write_drip(chunks, rule.delay_s)
        elif rule is None:
            for chunk in chunks:
                self.wfile.write(chunk)
        elif rule.kind == "truncate":
            self._write_truncated(chunks, rule.after_bytes)
        else:
            self._write_paced(chunks, rule.bytes_per_second)
        self.wfile.flush()

    def _write_chunked(self, chunks: Iterator[bytes]) -> None:
        """A body without a length (HTTP/1.1 chunked), written until it ends or the client leaves."""
        self.close_connection = True
        for chunk in chunks:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _write_drip(self, chunks: Iterator[bytes], interval_s: float) -> None:
        """One byte, then a pause: the body ends some day, but each read sees progress (a per-read timeout
        never fires); only an overall deadline per request catches it. Stop wakes the pause at once."""
        stopping = self.server.stopping
        for chunk in chunks:
            for index in range(len(chunk)):
                self.wfile.write(chunk[index : index + 1])
                self.wfile.flush()
                if stopping.wait(interval_s):
                    raise ConnectionError("sandbox stopping")

    @staticmethod
    def _body_chunks(body: bytes | FileBody | StreamBody) -> Iterator[bytes]:
        if isinstance(body, StreamBody):
            yield from body.chunks
            return
        if isinstance(body, bytes):
            for start in range(0, len(body), _CHUNK):
                yield body[start : start + _CHUNK]
            return
        remaining = body.length
        with body.path.open("rb") as fh:
            fh.seek(body.offset)
            while remaining > 0:
                chunk = fh.read(min(_CHUNK, remaining))
                if not chunk:
                    break  # file shrank underneath us; the short body shows up client-side
                remaining -= len(chunk)
                yield chunk

    def _write_truncated(self, chunks: Iterator[bytes], after_bytes: int) -> None:
        # The headers promised the full Content-Length; closing early is a dropped connection mid-body.
        self.close_connection = True
        budget = after_bytes
        for chunk in chunks:
            if budget <= 0:
                break
            self.wfile.write(chunk[:budget])
            budget -= len(chunk)

    def _write_paced(self, chunks: Iterator[bytes], bytes_per_second: int) -> None:
        piece = max(1, bytes_per_second // 20)  # ~20 writes per second keeps the pace smooth
        started = time.monotonic()
        sent = 0
        for chunk in chunks:
            for start in range(0, len(chunk), piece):
                part = chunk[start : start + piece]
                self.wfile.write(part)
                self.wfile.flush()
                sent += len(part)
                ahead = sent / bytes_per_second - (time.monotonic() - started)
                if ahead > 0:
                    time.sleep(ahead)


def _endless_json() -> Iterator[bytes]:
    """`{"avatarPresenters": ["xxxx…", "xxxx…", …` for ever: only the client's size cap ends it."""
    yield b'{"avatarPresenters": ['
    item = b'"' + b"x" * 65_000 + b'",'
    while True:
        yield item


def _huge_json(size: int) -> Iterator[bytes]:
    """A valid JSON object of exactly `size` bytes (at least 16), streamed, never held in memory."""
    head, tail = b'{"padding": "', b'"}'
    remaining = max(0, size - len(head) - len(tail))
    yield head
    block = b"x" * _CHUNK
    while remaining > 0:
        piece = block[: min(_CHUNK, remaining)]
        remaining -= len(piece)
        yield piece
    yield tail
