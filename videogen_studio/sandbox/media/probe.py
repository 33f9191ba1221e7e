"""What an uploaded file is (AUDIO, VIDEO, IMAGE) judged by content, and how long it plays."""

from __future__ import annotations

from pathlib import Path

import av

# Only the local file itself may be read when opening input: no network, no following playlists.
_AV_OPTIONS = {"protocol_whitelist": "file"}

# ---------------------------------------------------------------------------------------------
# probing
# ---------------------------------------------------------------------------------------------


def probe_duration(path: Path) -> float:
    """Duration in seconds of an audio/video file (0.0 for a still image).

    Raises ValueError for content FFmpeg cannot read and OSError for a missing/unreadable file.
    """
    try:
        with av.open(str(path), container_options=_AV_OPTIONS) as container:
            if container.duration:
                return container.duration / av.time_base
            best = 0.0
            for stream in container.streams:
                if stream.duration and stream.time_base:
                    best = max(best, float(stream.duration * stream.time_base))
            if best:
                return best
            # No header duration (e.g. raw ADTS): decode and take the last timestamp.
            end = 0.0
            for frame in container.decode(*[s for s in container.streams if s.type in ("audio", "video")]):
                if isinstance(frame, av.VideoFrame | av.AudioFrame) and frame.time is not None:
                    extra = frame.samples / frame.sample_rate if isinstance(frame, av.AudioFrame) else 0.0
                    end = max(end, frame.time + extra)
            return end
    except av.FFmpegError as exc:
        if isinstance(exc, OSError):  # a missing or unreadable file is not "bad media"
            raise
        raise ValueError(f"cannot read media duration of {path}: {exc}") from exc


_IMAGE_MAGIC: tuple[bytes, ...] = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a")
# Demuxers of real audio/video files. FFmpeg also "opens" text (tty/ANSI art), subtitles and
# playlists that can point at other files or URLs; none of those is media to the sandbox.
_AV_FORMATS = frozenset(
    {"mp3", "mov", "mp4", "m4a", "3gp", "matroska", "webm", "wav", "w64", "ogg", "flac", "aac", "avi"}
    | {"mpegts", "mpeg", "flv", "asf", "amr", "aiff", "caf", "au"}
)


def detect_media_type(path: Path) -> str | None:
    """'AUDIO', 'VIDEO' or 'IMAGE' judged by content, or None for anything else; never raises."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError:
        return None
    if head.startswith(_IMAGE_MAGIC) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        return "IMAGE"
    if not head:
        return None
    try:
        with av.open(str(path), container_options=_AV_OPTIONS) as container:
            if not _AV_FORMATS.intersection(container.format.name.split(",")):
                return None
            # Cover art in MP3/M4A shows up as a one-picture "video" stream; it is still audio.
            video = [
                s
                for s in container.streams.video
                if not (s.disposition & av.stream.Disposition.attached_pic) and s.codec_context.width
            ]
            audio = [s for s in container.streams.audio if s.codec_context.sample_rate]
            target = video[0] if video else audio[0] if audio else None
            if target is None:
                return None
            # FFmpeg's probe accepts some junk (e.g. as MP3 with a lucky sync word): insist on a frame.
            for _frame in container.decode(target):
                return "VIDEO" if video else "AUDIO"
            return None
    except Exception:  # garbage may fail in many ways inside FFmpeg; the contract is "never raises"
        return None
