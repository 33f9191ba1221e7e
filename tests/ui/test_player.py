"""ClipPlayer against real media: a presenter preview downloaded from the sandbox and a PyAV-made clip."""

from __future__ import annotations

from pathlib import Path

import av
import loopback_http
import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtMultimedia import QMediaPlayer

from videogen_studio.api.models import AvatarPresenter
from videogen_studio.ui.player import ClipPlayer, format_time, to_url

Playing = QMediaPlayer.PlaybackState.PlayingState
Paused = QMediaPlayer.PlaybackState.PausedState


def probe_seconds(path: Path) -> float:
    with av.open(str(path)) as container:
        return container.duration / av.time_base


def make_clip(path: Path, seconds: float = 4.0, fps: int = 25) -> Path:
    """An H.264 + AAC MP4 with a moving gradient and a tone, so both decoders run."""
    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = 320, 180, "yuv420p"
        audio = container.add_stream("aac", rate=44_100)
        for i in range(round(seconds * fps)):
            frame = np.zeros((180, 320, 3), np.uint8)
            frame[:, :, 0] = (i * 6) % 256
            frame[:, :, 2] = np.linspace(0, 255, 320, dtype=np.uint8)
            for packet in video.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in video.encode():
            container.mux(packet)
        total, done = round(seconds * 44_100), 0
        while done < total:
            count = min(1024, total - done)
            samples = 0.1 * np.sin(2 * np.pi * 440 * np.arange(done, done + count) / 44_100)
            chunk = av.AudioFrame.from_ndarray(
                samples.astype(np.float32).reshape(1, -1), format="fltp", layout="mono"
            )
            chunk.sample_rate, chunk.pts = 44_100, done
            for packet in audio.encode(chunk):
                container.mux(packet)
            done += count
        for packet in audio.encode():
            container.mux(packet)
    return path


@pytest.fixture
def preview_clip(tmp_path: Path, sandbox_presenters: list[AvatarPresenter]) -> Path:
    """A presenter's preview clip, downloaded from the sandbox's public storage origin."""
    response = loopback_http.get(sandbox_presenters[0].preview_video_url, timeout=30)
    response.raise_for_status()
    path = tmp_path / "preview.mp4"
    path.write_bytes(response.content)
    return path


@pytest.fixture(scope="module")
def generated_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clip(tmp_path_factory.mktemp("clips") / "tone.mp4")


@pytest.fixture
def player(qtbot) -> ClipPlayer:
    widget = ClipPlayer()
    qtbot.addWidget(widget)
    widget.resize(640, 420)
    widget.show()
    qtbot.waitExposed(widget)
    yield widget
    widget.clear()


def _load(qtbot, player: ClipPlayer, path: Path) -> int:
    with qtbot.waitSignals([player.loaded, player.durationChanged], timeout=15_000):
        player.load(path)
    qtbot.waitUntil(lambda: player.duration() > 0, timeout=15_000)
    return player.duration()


@pytest.mark.parametrize("clip", ["preview_clip", "generated_clip"])
def test_duration_matches_the_file(
    qtbot, player: ClipPlayer, clip: str, request: pytest.FixtureRequest
) -> None:
    path: Path = request.getfixturevalue(clip)
    expected = probe_seconds(path)
    assert player.time_label.text() == "0:00 / 0:00"

    with qtbot.waitSignal(
        player.durationChanged, check_params_cb=lambda ms: ms > 0, timeout=15_000
    ) as reported:
        player.load(path)
    assert abs(reported.args[0] / 1000 - expected) <= 0.2
    assert player.seek_slider.maximum() == reported.args[0]
    assert player.time_label.text() == f"0:00 / {format_time(reported.args[0])}"
    assert player.play_button.isEnabled()


def test_space_and_button_toggle_playback(qtbot, player: ClipPlayer, generated_clip: Path) -> None:
    _load(qtbot, player, generated_clip)
    player.setFocus()

    qtbot.keyClick(player, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: player.media_player.playbackState() == Playing, timeout=10_000)
    assert player.is_playing()
    assert player.play_button.accessibleName() == "Pause"
    qtbot.waitUntil(lambda: player.position() > 0, timeout=10_000)

    qtbot.keyClick(player, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: player.media_player.playbackState() == Paused, timeout=10_000)
    assert player.play_button.accessibleName() == "Play"

    qtbot.mouseClick(player.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(player.is_playing, timeout=10_000)
    qtbot.mouseClick(player.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: player.media_player.playbackState() == Paused, timeout=10_000)

    # Presses faster than the player reports back follow the user's intent: play, pause, play → playing.
    for _ in range(3):
        qtbot.keyClick(player, Qt.Key.Key_Space)
    qtbot.waitUntil(player.is_playing, timeout=10_000)


def test_seek_moves_the_position(qtbot, player: ClipPlayer, generated_clip: Path) -> None:
    duration = _load(qtbot, player, generated_clip)

    player.seek(2_500)
    qtbot.waitUntil(lambda: abs(player.position() - 2_500) < 200, timeout=10_000)
    qtbot.waitUntil(lambda: player.time_label.text().startswith("0:02 /"), timeout=10_000)
    assert abs(player.seek_slider.value() - player.position()) < 200

    # The slider seeks too (keyboard page steps and releases end up as value changes).
    player.seek_slider.setValue(1_000)
    qtbot.waitUntil(lambda: abs(player.position() - 1_000) < 200, timeout=10_000)

    # Out-of-range requests are clamped instead of failing.
    player.seek(duration + 60_000)
    qtbot.waitUntil(lambda: player.position() >= duration - 200, timeout=10_000)
    player.seek(-5_000)
    qtbot.waitUntil(lambda: player.position() < 200, timeout=10_000)


def test_volume_and_mute(qtbot, player: ClipPlayer, generated_clip: Path) -> None:
    _load(qtbot, player, generated_clip)
    player.set_volume(0.25)
    assert player.volume_slider.value() == 25
    qtbot.waitUntil(lambda: abs(player.audio_output.volume() - 0.25) < 0.01)

    player.setFocus()
    qtbot.keyClick(player, Qt.Key.Key_M)
    qtbot.waitUntil(player.audio_output.isMuted)
    assert player.mute_button.isChecked()
    assert player.mute_button.accessibleName() == "Unmute"
    qtbot.mouseClick(player.mute_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not player.audio_output.isMuted())
    assert player.mute_button.accessibleName() == "Mute"


def test_fullscreen_toggles_with_f11_and_escape(qtbot, player: ClipPlayer, generated_clip: Path) -> None:
    _load(qtbot, player, generated_clip)
    player.setFocus()
    qtbot.keyClick(player, Qt.Key.Key_F11)
    qtbot.waitUntil(player.is_fullscreen, timeout=5_000)
    # Keys now reach the fullscreen video window.
    qtbot.keyClick(player.video_widget, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not player.is_fullscreen(), timeout=5_000)

    qtbot.mouseDClick(player.video_widget, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(player.is_fullscreen, timeout=5_000)
    player.toggle_fullscreen()
    qtbot.waitUntil(lambda: not player.is_fullscreen(), timeout=5_000)


def test_unplayable_file_shows_an_error(qtbot, player: ClipPlayer, tmp_path: Path) -> None:
    bogus = tmp_path / "not-a-video.mp4"
    bogus.write_bytes(b"this is plain text, not an MP4 container" * 50)
    with qtbot.waitSignal(player.errorOccurred, timeout=15_000) as error:
        player.load(bogus)
    assert error.args[0]
    assert player._screen.currentWidget() is player._error_label
    assert error.args[0] in player._error_label.text()
    assert not player.play_button.isEnabled()


def test_clear_returns_to_the_placeholder(qtbot, player: ClipPlayer, generated_clip: Path) -> None:
    assert not player.has_clip()
    assert player._screen.currentWidget() is player._placeholder
    assert not player.play_button.isEnabled()
    _load(qtbot, player, generated_clip)
    assert player._screen.currentWidget() is player.video_widget
    player.clear()
    assert player.source().isEmpty()
    qtbot.waitUntil(lambda: player.media_player.source().isEmpty())
    assert player._screen.currentWidget() is player._placeholder
    assert player.time_label.text() == "0:00 / 0:00"
    assert not player.play_button.isEnabled()


def test_a_burst_of_loads_reaches_the_media_player_as_first_and_newest(
    qtbot, player: ClipPlayer, generated_clip: Path
) -> None:
    # A busy render queue finishes clips a second apart: each switch rebuilds the decoder, so loads that
    # come faster than that are merged and only the newest follows the first.
    clips = []
    for n in range(4):
        clip = generated_clip.with_name(f"burst-{n}.mp4")
        clip.write_bytes(generated_clip.read_bytes())
        clips.append(clip)
    seen: list[str] = []
    player.media_player.sourceChanged.connect(lambda url: seen.append(url.toLocalFile()))
    for clip in clips:
        player.load(clip, autoplay=True)
        assert player.has_clip() and player.source().toLocalFile() == str(clip.resolve())
    qtbot.waitUntil(lambda: player.media_player.source().toLocalFile() == str(clips[-1].resolve()))
    assert seen == [str(clips[0].resolve()), str(clips[-1].resolve())]
    qtbot.waitUntil(player.is_playing, timeout=15_000)  # the merged load kept its autoplay
    player.clear()  # a clear is never delayed, and drops nothing that is still due
    assert player.source().isEmpty()
    qtbot.waitUntil(lambda: player.media_player.source().isEmpty())


def test_sources_and_time_format(tmp_path: Path) -> None:
    assert to_url(tmp_path / "a.mp4").toLocalFile() == str(tmp_path / "a.mp4")
    assert to_url(str(tmp_path / "b.mp4")).isLocalFile()
    assert to_url("http://127.0.0.1:9/clip.mp4").scheme() == "http"
    assert format_time(3_400) == "0:03"
    assert format_time(72_000) == "1:12"
    assert format_time(3_723_000) == "1:02:03"
