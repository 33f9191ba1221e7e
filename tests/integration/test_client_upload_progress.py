"""Uploads report their progress block by block (the own-voice upload shows it), over loopback."""

from __future__ import annotations

import os
from pathlib import Path

from videogen_studio.api.client import VideoGenClient
from videogen_studio.api.transfer import CHUNK
from videogen_studio.sandbox import SandboxServer


async def test_upload_reports_every_block_up_to_the_whole_file(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    data = tmp_path / "take.wav"
    data.write_bytes(os.urandom(3 * CHUNK + 123))  # the storage origin accepts any bytes for a PUT
    seen: list[tuple[int, int | None]] = []
    async with VideoGenClient(sandbox.base_url, sandbox.api_key) as client:
        file_id = await client.upload_file(data, file_type="AUDIO", progress=lambda s, t: seen.append((s, t)))
    assert file_id
    size = data.stat().st_size
    sent = [s for s, _ in seen]
    assert len(sent) == 4 and sent == sorted(sent)  # four blocks, never backwards
    assert sent[-1] == size and {t for _, t in seen} == {size}
