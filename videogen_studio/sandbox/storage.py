"""The storage origin: a second listener that plays the role of the CDN / S3 bucket behind signed URLs.

Routes (all refuse any request that carries an Authorization header, like S3 does for presigned URLs):
  GET|HEAD /presenters/<presenterId>/(image.png|thumb.png|preview.mp4)   public, non-expiring
  GET|HEAD /f/<fileId>/(thumbnail|preview|download)?expires=&signature=  signed, expiring, Range-aware
  PUT      /u/<fileId>?expires=&signature=                               signed upload URL
  GET|HEAD /p/<playbackId>/(download|index.m3u8)                         public preview, until disabled
Errors use S3-style XML bodies, since that is what clients meet on real presigned URLs.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import secrets
import time
from email.utils import formatdate
from pathlib import Path
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from videogen_studio.sandbox.faults import FaultInjector, FaultRule
from videogen_studio.sandbox.handler import FileBody, LoggedRequest, Request, Response

if TYPE_CHECKING:
    from videogen_studio.sandbox.state import SandboxState

MAX_UPLOAD_BYTES = 512 * 1024 * 1024  # sandbox choice: the real upload limit is undocumented
_PRESENTER_ROUTE = re.compile(r"^/presenters/(?P<id>[^/]+)/(?P<name>[^/]+)$")
_FILE_ROUTE = re.compile(r"^/f/(?P<id>[^/]+)/(?P<rendition>[^/]+)$")
_UPLOAD_ROUTE = re.compile(r"^/u/(?P<id>[^/]+)$")
_PUBLIC_ROUTE = re.compile(r"^/p/(?P<id>[^/]+)/(?P<name>download|index\.m3u8)$")
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class UrlSigner:
    """HMAC-SHA256 over path and expiry with a per-server secret; URLs from another server never verify."""

    def __init__(self, secret: bytes | None = None) -> None:
        self._secret = secret or secrets.token_bytes(32)

    def derive(self, label: str) -> bytes:
        """A secret for another purpose (pagination cursors), stable across restarts like this one."""
        return hmac.new(self._secret, f"derive\n{label}".encode(), hashlib.sha256).digest()

    def signature(self, path: str, expires: int) -> str:
        return hmac.new(self._secret, f"{path}\n{expires}".encode(), hashlib.sha256).hexdigest()

    def sign(self, path: str, ttl_s: float) -> tuple[str, int]:
        """`path?expires=..&signature=..` and the expiry (integer Unix seconds)."""
        expires = math.ceil(time.time() + ttl_s)
        return f"{path}?expires={expires}&signature={self.signature(path, expires)}", expires

    def check(self, request: Request) -> Response | None:
        """None when the request's signature is valid and unexpired, else the 403 to send."""
        expires_raw = request.query_value("expires")
        signature = request.query_value("signature")
        if not expires_raw or not signature or not expires_raw.isdigit():
            return s3_error(
                403, "AccessDenied", "Query-string authentication requires expires and signature."
            )
        if not hmac.compare_digest(signature, self.signature(request.path, int(expires_raw))):
            return s3_error(403, "SignatureDoesNotMatch", "The request signature does not match.")
        if time.time() > int(expires_raw):
            return s3_error(403, "AccessDenied", "Request has expired")
        return None


def s3_error(status: int, code: str, message: str, headers: list[tuple[str, str]] | None = None) -> Response:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error>"
    )
    return Response(status, body.encode(), "application/xml", list(headers or []))


def sniff_content_type(head: bytes) -> str:
    """Content type from magic bytes; uploads carry no trustworthy Content-Type."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[4:8] == b"ftyp":
        return "video/mp4"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "audio/mpeg"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "audio/wav"
    return "application/octet-stream"


def _content_type_for(path: Path) -> str:
    with path.open("rb") as fh:
        return sniff_content_type(fh.read(16))


def _etag(path: Path) -> str:
    stat = path.stat()
    return f'"{stat.st_size:x}-{stat.st_mtime_ns:x}"'


class Unsatisfiable(Exception):
    pass


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """A single `bytes=` range as inclusive (start, end); None means "send everything".

    Malformed and multi-range headers are ignored (allowed by RFC 9110); unsatisfiable ones raise.
    """
    if not header:
        return None
    match = _RANGE.match(header.strip())
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # suffix range: the last N bytes
        length = int(last)
        if length == 0 or size == 0:
            raise Unsatisfiable
        return max(0, size - length), size - 1
    start = int(first)
    end = int(last) if last else size - 1
    if last and end < start:
        return None
    if start >= size:
        raise Unsatisfiable
    return start, min(end, size - 1)


class StorageOrigin:
    """The storage listener's application (an `Origin` for faults.SandboxHandler)."""

    name = "storage"

    def __init__(self, state: SandboxState, faults: FaultInjector, signer: UrlSigner) -> None:
        self.state = state
        self.faults = faults
        self.signer = signer

    def record(self, entry: LoggedRequest) -> None:
        self.state.record(entry)

    def fault_response(self, rule: FaultRule, request: Request) -> Response:
        codes = {429: "SlowDown", 500: "InternalError", 503: "ServiceUnavailable"}
        headers = [("Retry-After", str(rule.retry_after))] if rule.retry_after is not None else []
        if rule.body is not None:
            return Response(rule.status, rule.body.encode(), "application/xml", headers)
        return s3_error(
            rule.status, codes.get(rule.status, "InternalError"), "Injected sandbox fault.", headers
        )

    def handle(self, request: Request) -> Response:
        if request.headers.get("Authorization") is not None:
            # Presigned URLs carry their own auth; a leaked API key on top is rejected, exactly like S3.
            return s3_error(400, "InvalidArgument", "Only one auth mechanism allowed")
        if match := _PRESENTER_ROUTE.match(request.path):
            if request.method not in ("GET", "HEAD"):
                return self._not_allowed("GET, HEAD")
            path = self.state.presenter_asset(match["id"], match["name"])
            if path is None:
                return s3_error(404, "NoSuchKey", "The specified key does not exist.")
            return self._serve(request, path, [("Cache-Control", "public, max-age=86400")])
        if match := _FILE_ROUTE.match(request.path):
            if request.method not in ("GET", "HEAD"):
                return self._not_allowed("GET, HEAD")
            if denied := self.signer.check(request):
                return denied
            source = self.state.rendition_source(match["id"], match["rendition"])
            if source is None or source.path is None or not source.path.exists():
                return s3_error(404, "NoSuchKey", "The specified key does not exist.")
            return self._serve(
                request, source.path, [("Cache-Control", "private, max-age=3600")], source.content_type
            )
        if match := _PUBLIC_ROUTE.match(request.path):
            if request.method not in ("GET", "HEAD"):
                return self._not_allowed("GET, HEAD")
            return self._public(request, match["id"], match["name"])
        if match := _UPLOAD_ROUTE.match(request.path):
            if request.method != "PUT":
                return self._not_allowed("PUT")
            if denied := self.signer.check(request):
                return denied
            return self._upload(request, match["id"])
        return s3_error(404, "NoSuchKey", "The specified key does not exist.")

    def _public(self, request: Request, playback_id: str, name: str) -> Response:
        """Public preview: no signature, no expiry, gone as soon as public preview is disabled."""
        found = self.state.public_source(playback_id)
        if found is None:
            return s3_error(404, "NoSuchKey", "The specified key does not exist.")
        stored, source = found
        assert source.path is not None
        if name == "index.m3u8":
            # sandbox choice: one "segment", the file itself; enough for a link, not adaptive streaming.
            duration = stored.duration or 0.0
            playlist = (
                "#EXTM3U\n#EXT-X-VERSION:3\n"
                f"#EXT-X-TARGETDURATION:{max(1, round(duration + 0.5))}\n#EXT-X-MEDIA-SEQUENCE:0\n"
                f"#EXTINF:{duration:.3f},\ndownload\n#EXT-X-ENDLIST\n"
            )
            return Response(200, playlist.encode(), "application/vnd.apple.mpegurl")
        return self._serve(
            request, source.path, [("Cache-Control", "public, max-age=300")], source.content_type
        )

    @staticmethod
    def _not_allowed(allow: str) -> Response:
        return s3_error(
            405,
            "MethodNotAllowed",
            "The specified method is not allowed against this resource.",
            [("Allow", allow)],
        )

    def _serve(
        self, request: Request, path: Path, extra: list[tuple[str, str]], content_type: str | None = None
    ) -> Response:
        size = path.stat().st_size
        etag = _etag(path)
        headers = [
            ("Accept-Ranges", "bytes"),
            ("ETag", etag),
            ("Last-Modified", formatdate(path.stat().st_mtime, usegmt=True)),
            *extra,
        ]
        ctype = content_type or _content_type_for(path)
        if request.headers.get("If-None-Match") == etag:
            return Response(304, b"", None, headers)
        range_header = request.headers.get("Range")
        if_range = request.headers.get("If-Range")
        if if_range is not None and if_range != etag:
            range_header = None  # the file changed since the client's partial copy: send it whole
        try:
            byte_range = parse_range(range_header, size)
        except Unsatisfiable:
            response = s3_error(416, "InvalidRange", "The requested range is not satisfiable")
            response.headers.append(("Content-Range", f"bytes */{size}"))
            return response
        if byte_range is None:
            return Response(200, FileBody(path, 0, size), ctype, headers)
        start, end = byte_range
        headers.append(("Content-Range", f"bytes {start}-{end}/{size}"))
        return Response(206, FileBody(path, start, end - start + 1), ctype, headers)

    def _upload(self, request: Request, file_id: str) -> Response:
        if request.chunked or request.content_length is None:
            return s3_error(411, "MissingContentLength", "You must provide the Content-Length HTTP header.")
        if request.content_length > MAX_UPLOAD_BYTES:
            return s3_error(400, "EntityTooLarge", f"Your proposed upload exceeds {MAX_UPLOAD_BYTES} bytes.")
        part = self.state.upload_temp_path(file_id)
        if part is None:
            return s3_error(404, "NoSuchUpload", "The specified upload does not exist.")
        digest = hashlib.md5(usedforsecurity=False)
        try:
            with part.open("wb") as fh:  # streamed to disk; never held in memory
                for chunk in request.iter_body():
                    digest.update(chunk)
                    fh.write(chunk)
        except BaseException:
            part.unlink(missing_ok=True)
            raise
        self.state.finish_upload(file_id, part)
        return Response(200, b"", None, [("ETag", f'"{digest.hexdigest()}"')])
