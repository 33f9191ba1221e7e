"""Media synthesis for the sandbox: portraits, speech, talking-head video, probing of uploads.

Everything made here is real media that Qt's FFmpeg backend plays: PNG portraits, MP3 speech (espeak-ng when
installed, a synthetic voice otherwise) and H.264/AAC MP4 clips. Pure Python (Pillow, NumPy, PyAV); no Qt, no
network. Importing this package is free: numpy, av and PIL load only when a function is first used (the GUI
starts an embedded sandbox, and those imports cost ~300 ms of GIL at app start).

  portrait.py  render_portrait, render_thumbnail, image_size
  speech.py    synthesize_speech (ESPEAK_COMMAND lives there: patch `media.speech.ESPEAK_COMMAND`)
  video.py     render_talking_head, render_preview_clip, first_frame
  probe.py     probe_duration, detect_media_type
  geometry.py  mouth_box and the face layout shared by portrait and video
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from videogen_studio.sandbox.media.geometry import mouth_box
    from videogen_studio.sandbox.media.portrait import image_size, render_portrait, render_thumbnail
    from videogen_studio.sandbox.media.probe import detect_media_type, probe_duration
    from videogen_studio.sandbox.media.speech import synthesize_speech
    from videogen_studio.sandbox.media.video import first_frame, render_preview_clip, render_talking_head

_HOMES = {
    "mouth_box": "geometry",
    "render_portrait": "portrait",
    "render_thumbnail": "portrait",
    "image_size": "portrait",
    "synthesize_speech": "speech",
    "render_talking_head": "video",
    "render_preview_clip": "video",
    "first_frame": "video",
    "probe_duration": "probe",
    "detect_media_type": "probe",
}

__all__ = [
    "detect_media_type",
    "first_frame",
    "image_size",
    "mouth_box",
    "probe_duration",
    "render_portrait",
    "render_preview_clip",
    "render_talking_head",
    "render_thumbnail",
    "synthesize_speech",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        if name in ("geometry", "portrait", "speech", "video", "probe", "files"):
            return importlib.import_module(f"{__name__}.{name}")
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
