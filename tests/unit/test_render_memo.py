"""The sandbox's render memo: identical orders are copies, never of a file that changed or vanished."""

from __future__ import annotations

from pathlib import Path

from videogen_studio.sandbox.render_memo import RenderMemo


def test_a_remembered_render_is_copied_with_its_info(tmp_path: Path) -> None:
    memo = RenderMemo()
    first = tmp_path / "a" / "clip.mp4"
    first.parent.mkdir()
    first.write_bytes(b"clip bytes")
    memo.remember("key", [first], (1.5, 128))
    target = tmp_path / "b" / "clip.mp4"
    assert memo.recall("key", [target]) == (True, (1.5, 128))
    assert target.read_bytes() == b"clip bytes"
    assert memo.hits == 1
    assert memo.recall("other", [tmp_path / "c.mp4"]) == (False, None)


def test_a_changed_or_deleted_source_is_rendered_again(tmp_path: Path) -> None:
    memo = RenderMemo()
    source = tmp_path / "speech.mp3"
    source.write_bytes(b"speech")
    memo.remember("key", [source], 2.0)
    source.write_bytes(b"garbage, longer than before")
    assert memo.recall("key", [tmp_path / "copy.mp3"]) == (False, None)
    assert not (tmp_path / "copy.mp3").exists()
    memo.remember("key", [source], 2.0)
    source.unlink()
    assert memo.recall("key", [tmp_path / "copy.mp3"]) == (False, None)
    assert memo.recall("key", [tmp_path / "copy.mp3"]) == (False, None)  # the entry is gone
    assert memo.hits == 0


def test_the_memo_is_bounded(tmp_path: Path) -> None:
    memo = RenderMemo(capacity=2)
    for name in ("a", "b", "c"):
        (tmp_path / name).write_bytes(name.encode())
        memo.remember(name, [tmp_path / name])
    assert memo.recall("a", [tmp_path / "a2"])[0] is False
    assert memo.recall("c", [tmp_path / "c2"])[0] is True
