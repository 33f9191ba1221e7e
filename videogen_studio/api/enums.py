"""The API's small closed vocabularies, in a module of their own so settings can use them at start-up without
loading every wire model (models.py builds ~40 dataclasses on import)."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["AvatarQuality", "WatermarkMode"]


class WatermarkMode(StrEnum):
    """`watermarkMode` of generate-avatar. NONE needs the Production API add-on."""

    AUTO = "AUTO"
    VIDEO_GEN = "VIDEO_GEN"
    NONE = "NONE"


class AvatarQuality(StrEnum):
    """`avatarQuality` of the actor-form generate-avatar (generation C)."""

    LOW = "LOW"
    STANDARD = "STANDARD"
    HIGH = "HIGH"
    MAX = "MAX"
