"""A compact clip player: video, play/pause, seek with a time read-out, volume/mute and fullscreen.

QMediaPlayer loads and decodes on its own threads, so nothing here blocks the UI thread; every state change
arrives through its signals. Keys: Space play/pause, ←/→ seek 5 s, M mute, F11 or double-click fullscreen,
Esc leaves fullscreen.

Every command to QMediaPlayer/QAudioOutput goes through `invoke_queued` (ui/widgets/invoke.py; see there
for the deadlock it avoids), so commands take effect on the next event-loop turn and their results arrive as
signals.

For H6: ``ClipPlayer(parent=None, *, volume=0.8)``; slots/methods ``load(path_or_url, autoplay=False)``,
``clear()``, ``play()``, ``pause()``, ``toggle_playback()``, ``seek(ms)``, ``set_volume(0..1)``,
``set_muted(bool)``, ``toggle_fullscreen()``; signals ``loaded()``, ``durationChanged(int ms)``,
``errorOccurred(str)``. The large result player is `ui/results/view.py::ResultView`, which embeds one.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import (
    Q_ARG,
    QEvent,
    QObject,
    QPointF,
    QRectF,
    QSize,
    Qt,
    QTimer,
    QUrl,
    Signal,
)
from PySide6.QtGui import QColor, QIcon, QKeyEvent, QMouseEvent, QPainter, QPalette, QPen, QPolygonF
from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer
from PySide6.QtMultimediaWidgets import QVideoWidget
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSlider,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from .widgets.icons import painted_icon
from .widgets.invoke import invoke_queued

SEEK_STEP_MS = 5_000
#: Clip switches closer together than this are merged, the newest wins (see `ClipPlayer.load`).
LOAD_INTERVAL_S = 1.0
_PAGE_PLACEHOLDER, _PAGE_VIDEO, _PAGE_ERROR = 0, 1, 2


def format_time(ms: int) -> str:
    """3_000 → "0:03"; 3_723_000 → "1:02:03"."""
    seconds = max(0, int(ms) // 1000)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


#: Painted glyphs by (kind, colour, size): the controls refresh on every player state change (each
#: finished render in a busy queue), and painting six antialiased pixmaps each time showed in UI stalls.
_ICONS: dict[tuple[str, int, int], QIcon] = {}


def transport_icon(kind: str, color: QColor, size: int = 18) -> QIcon:
    """Flat transport glyphs in the palette's text colour, painted by `widgets.icons.painted_icon` (once)."""
    key = (kind, color.rgba(), size)
    icon = _ICONS.get(key)
    if icon is None:
        icon = _ICONS[key] = _paint_transport_icon(kind, color, size)
    return icon


def _paint_transport_icon(kind: str, color: QColor, size: int) -> QIcon:
    def draw(p: QPainter, side: float) -> None:
        p.scale(side / 18.0, side / 18.0)  # glyphs are designed on an 18 x 18 grid
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(color)
        stroke = QPen(color, 1.6, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin)
        if kind == "play":
            p.drawPolygon(QPolygonF([QPointF(5, 3), QPointF(15, 9), QPointF(5, 15)]))
        elif kind == "pause":
            p.drawRoundedRect(QRectF(4.5, 3.5, 3.2, 11), 1, 1)
            p.drawRoundedRect(QRectF(10.3, 3.5, 3.2, 11), 1, 1)
        elif kind in ("volume", "muted"):
            p.drawPolygon(
                QPolygonF(
                    [
                        QPointF(2, 7),
                        QPointF(5, 7),
                        QPointF(9, 3.5),
                        QPointF(9, 14.5),
                        QPointF(5, 11),
                        QPointF(2, 11),
                    ]
                )
            )
            p.setPen(stroke)
            p.setBrush(Qt.BrushStyle.NoBrush)
            if kind == "volume":
                p.drawArc(QRectF(7, 5.5, 5, 7), -60 * 16, 120 * 16)
                p.drawArc(QRectF(7, 3, 8.5, 12), -60 * 16, 120 * 16)
            else:
                p.drawLine(QPointF(11.5, 6.5), QPointF(16, 11.5))
                p.drawLine(QPointF(16, 6.5), QPointF(11.5, 11.5))
        elif kind in ("fullscreen", "exit-fullscreen"):
            p.setPen(stroke)
            p.setBrush(Qt.BrushStyle.NoBrush)
            inward = kind == "exit-fullscreen"
            for cx, cy in ((3, 3), (15, 3), (3, 15), (15, 15)):
                dx, dy = (1 if cx < 9 else -1), (1 if cy < 9 else -1)
                corner = QPointF(cx + 4 * dx, cy + 4 * dy) if inward else QPointF(cx, cy)
                p.drawLine(corner, corner + QPointF(-4 * dx if inward else 4 * dx, 0))
                p.drawLine(corner, corner + QPointF(0, -4 * dy if inward else 4 * dy))

    return painted_icon(draw, size)


def to_url(source: str | Path) -> QUrl:
    """Local paths become file URLs; anything with a scheme (http, https, file, qrc) is taken as a URL."""
    if isinstance(source, Path):
        return QUrl.fromLocalFile(str(source.resolve()))
    url = QUrl(source)
    if url.scheme() and len(url.scheme()) > 1:  # one letter is a Windows drive ("C:/clips/a.mp4")
        return url
    return QUrl.fromLocalFile(str(Path(source).resolve()))


class ClipPlayer(QWidget):
    """Plays one clip at a time. `load()` returns at once; `loaded` and `durationChanged` follow."""

    durationChanged = Signal(int)  # ms
    loaded = Signal()
    errorOccurred = Signal(str)

    def __init__(self, parent: QWidget | None = None, *, volume: float = 0.8) -> None:
        super().__init__(parent)
        self.setObjectName("ClipPlayer")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName("Clip player")

        self._player = QMediaPlayer(self)
        self._audio = QAudioOutput(self)
        self._audio.setVolume(volume)  # nothing plays yet: a direct call is safe here
        self._player.setAudioOutput(self._audio)
        self._video = QVideoWidget()
        self._video.setAccessibleName("Video")
        self._video.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._video.installEventFilter(self)
        self._player.setVideoOutput(self._video)

        self._seeking_from_player = False
        self._announced_load = False
        self._has_source = False
        self._source = QUrl()
        self._wants_playing: bool | None = None  # last play/pause asked for, until the player reports back
        self._icons_shown: tuple[tuple[str, ...], int] | None = None
        self._pending_autoplay = False
        self._load_sent_at = float("-inf")  # monotonic time the last clip went to the media player
        self._load_timer = QTimer(self)
        self._load_timer.setSingleShot(True)
        self._load_timer.timeout.connect(self._send_load)

        self._build_ui()
        self._connect()
        self._show_page(_PAGE_PLACEHOLDER)
        self._update_controls()

    # -- construction ------------------------------------------------------------------------------------

    def _build_ui(self) -> None:
        self._placeholder = QLabel("No clip loaded")
        self._placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._placeholder.setObjectName("ClipPlayerPlaceholder")
        self._placeholder.setAccessibleName("No clip loaded")
        self._error_label = QLabel()
        self._error_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._error_label.setWordWrap(True)
        self._error_label.setObjectName("ClipPlayerError")
        self._error_label.setAccessibleName("Playback error")
        for label in (self._placeholder, self._error_label):
            label.setMargin(16)
            label.setStyleSheet("color: palette(placeholder-text);")

        self._screen = QStackedWidget()
        self._screen.addWidget(self._placeholder)
        self._screen.addWidget(self._video)
        self._screen.addWidget(self._error_label)
        self._screen.setMinimumSize(160, 90)
        self._screen.setAutoFillBackground(True)
        screen_palette = self._screen.palette()
        screen_palette.setColor(self._screen.backgroundRole(), Qt.GlobalColor.black)
        screen_palette.setColor(self._screen.foregroundRole(), Qt.GlobalColor.lightGray)
        self._screen.setPalette(screen_palette)

        self.play_button = self._tool_button("Play")
        self.play_button.setToolTip("Play (Space)")

        self.seek_slider = QSlider(Qt.Orientation.Horizontal)
        self.seek_slider.setAccessibleName("Seek")
        self.seek_slider.setRange(0, 0)
        self.seek_slider.setTracking(False)  # seek when released; sliderMoved only previews the time
        self.seek_slider.setSingleStep(1_000)
        self.seek_slider.setPageStep(SEEK_STEP_MS)

        self.time_label = QLabel(format_time(0) + " / " + format_time(0))
        self.time_label.setAccessibleName("Playback time")
        self.time_label.setTextFormat(Qt.TextFormat.PlainText)
        self.time_label.setMinimumWidth(
            self.time_label.fontMetrics().horizontalAdvance("00:00:00 / 00:00:00")
        )
        self.time_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

        self.mute_button = self._tool_button("Mute")
        self.mute_button.setCheckable(True)
        self.mute_button.setToolTip("Mute (M)")
        self.volume_slider = QSlider(Qt.Orientation.Horizontal)
        self.volume_slider.setAccessibleName("Volume")
        self.volume_slider.setRange(0, 100)
        self.volume_slider.setValue(round(self._audio.volume() * 100))
        self.volume_slider.setFixedWidth(84)

        self.fullscreen_button = self._tool_button("Full screen")
        self.fullscreen_button.setToolTip("Full screen (F11, double-click)")

        controls = QHBoxLayout()
        controls.setContentsMargins(4, 4, 4, 0)
        controls.setSpacing(6)
        controls.addWidget(self.play_button)
        controls.addWidget(self.seek_slider, 1)
        controls.addWidget(self.time_label)
        controls.addSpacing(6)
        controls.addWidget(self.mute_button)
        controls.addWidget(self.volume_slider)
        controls.addWidget(self.fullscreen_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self._screen, 1)
        layout.addLayout(controls)

    def _tool_button(self, name: str) -> QToolButton:
        button = QToolButton()
        button.setIconSize(QSize(18, 18))
        button.setAccessibleName(name)
        button.setAutoRaise(True)
        button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        return button

    def _connect(self) -> None:
        self.play_button.clicked.connect(self.toggle_playback)
        self.mute_button.toggled.connect(self.set_muted)
        self.volume_slider.valueChanged.connect(
            lambda v: invoke_queued(self._audio, "setVolume", Q_ARG("float", v / 100.0))
        )
        self.fullscreen_button.clicked.connect(self.toggle_fullscreen)
        self.seek_slider.valueChanged.connect(self._on_slider_value)
        self.seek_slider.sliderMoved.connect(lambda v: self._set_time_label(v, self._player.duration()))

        self._player.durationChanged.connect(self._on_duration)
        self._player.positionChanged.connect(self._on_position)
        self._player.playbackStateChanged.connect(self._on_playback_state)
        self._player.mediaStatusChanged.connect(self._on_status)
        self._player.errorOccurred.connect(self._on_error)
        self._audio.mutedChanged.connect(self._on_muted_changed)
        self._video.fullScreenChanged.connect(lambda _on: self._refresh_icons())

    # -- public API --------------------------------------------------------------------------------------

    @property
    def media_player(self) -> QMediaPlayer:
        return self._player

    @property
    def audio_output(self) -> QAudioOutput:
        return self._audio

    @property
    def video_widget(self) -> QVideoWidget:
        return self._video

    def load(self, source: str | Path, autoplay: bool = False) -> None:
        """Open a file path or URL. Returns immediately; errors arrive as an on-screen message.

        Loads asked for less than LOAD_INTERVAL_S after the previous one are merged: the newest is sent to
        the media player when the interval is over (a busy render queue finishes clips a second apart, and
        each switch tears down and rebuilds the decoder on the GUI thread's watch).
        """
        self._announced_load = False
        self._has_source = True
        self._error_label.clear()
        self._show_page(_PAGE_VIDEO)
        self._source = to_url(source)
        self._wants_playing = None
        self._pending_autoplay = autoplay
        wait = self._load_sent_at + LOAD_INTERVAL_S - time.monotonic()
        if wait <= 0 and not self._load_timer.isActive():
            self._send_load()
        elif not self._load_timer.isActive():
            self._load_timer.start(max(1, round(wait * 1000)))
        self._update_controls()

    def _send_load(self) -> None:
        self._load_timer.stop()
        self._load_sent_at = time.monotonic()
        invoke_queued(self._player, "setSource", Q_ARG(QUrl, self._source))
        if self._pending_autoplay:
            self._wants_playing = True
            invoke_queued(self._player, "play")

    def clear(self) -> None:
        """Stop and forget the clip; the placeholder shows again."""
        self._load_timer.stop()
        self._source = QUrl()
        self._wants_playing = None
        invoke_queued(self._player, "stop")
        invoke_queued(self._player, "setSource", Q_ARG(QUrl, QUrl()))
        self._has_source = False
        self._announced_load = False
        self._show_page(_PAGE_PLACEHOLDER)
        self._set_slider(0, 0)
        self._set_time_label(0, 0)
        self._update_controls()

    def source(self) -> QUrl:
        """The clip last asked for (the player itself switches on the next event-loop turn)."""
        return QUrl(self._source)

    def has_clip(self) -> bool:
        return self._has_source

    def play(self) -> None:
        if self._has_source:
            self._wants_playing = True
            if self._load_timer.isActive():  # the clip is not sent yet: it starts playing when it is
                self._pending_autoplay = True
                return
            invoke_queued(self._player, "play")

    def pause(self) -> None:
        self._wants_playing = False
        if self._load_timer.isActive():
            self._pending_autoplay = False
            return
        invoke_queued(self._player, "pause")

    def toggle_playback(self) -> None:
        # Decide on the last command, not the reported state: two quick presses must play, then pause.
        wants = self._wants_playing if self._wants_playing is not None else self.is_playing()
        if wants:
            self.pause()
        else:
            self.play()

    def is_playing(self) -> bool:
        return self._player.playbackState() == QMediaPlayer.PlaybackState.PlayingState

    def seek(self, position_ms: int) -> None:
        duration = self._player.duration()
        if duration > 0:
            position_ms = min(max(0, position_ms), duration)
        invoke_queued(self._player, "setPosition", Q_ARG("qint64", max(0, position_ms)))

    def position(self) -> int:
        return self._player.position()

    def duration(self) -> int:
        return self._player.duration()

    def set_volume(self, volume: float) -> None:
        """0.0 … 1.0"""
        self.volume_slider.setValue(round(min(max(volume, 0.0), 1.0) * 100))

    def set_muted(self, muted: bool) -> None:
        invoke_queued(self._audio, "setMuted", Q_ARG(bool, muted))

    def is_fullscreen(self) -> bool:
        return self._video.isFullScreen()

    def toggle_fullscreen(self) -> None:
        self.set_fullscreen(not self.is_fullscreen())

    def set_fullscreen(self, on: bool) -> None:
        if on and not self._has_source:
            return
        self._video.setFullScreen(on)
        if on:
            self._video.setFocus(Qt.FocusReason.OtherFocusReason)
        else:
            self.setFocus(Qt.FocusReason.OtherFocusReason)

    # -- keyboard and mouse ------------------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if not self._handle_key(event):
            super().keyPressEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        if self._screen.geometry().contains(event.position().toPoint()):
            self.toggle_fullscreen()
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # In fullscreen the video widget is its own top-level window; keep the shortcuts working there.
        if watched is self._video:
            if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
                if self._handle_key(event):
                    return True
            elif event.type() == QEvent.Type.MouseButtonDblClick:
                self.toggle_fullscreen()
                return True
        return super().eventFilter(watched, event)

    def _handle_key(self, event: QKeyEvent) -> bool:
        key = event.key()
        if event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            return False
        if key == Qt.Key.Key_Space:
            self.toggle_playback()
        elif key == Qt.Key.Key_F11:
            self.toggle_fullscreen()
        elif key == Qt.Key.Key_Escape and self.is_fullscreen():
            self.set_fullscreen(False)
        elif key == Qt.Key.Key_Left:
            self.seek(self._player.position() - SEEK_STEP_MS)
        elif key == Qt.Key.Key_Right:
            self.seek(self._player.position() + SEEK_STEP_MS)
        elif key == Qt.Key.Key_M:
            self.mute_button.toggle()
        else:
            return False
        event.accept()
        return True

    # -- player signals ----------------------------------------------------------------------------------

    def _on_playback_state(self, _state: QMediaPlayer.PlaybackState) -> None:
        self._wants_playing = None
        self._update_controls()

    def _on_duration(self, duration: int) -> None:
        self._set_slider(self._player.position(), duration)
        self._set_time_label(self._player.position(), duration)
        self._update_controls()
        self.durationChanged.emit(duration)

    def _on_position(self, position: int) -> None:
        if not self.seek_slider.isSliderDown():
            self._set_slider(position, self._player.duration())
            self._set_time_label(position, self._player.duration())

    def _on_slider_value(self, value: int) -> None:
        # Programmatic updates from the player must not loop back into a seek.
        if not self._seeking_from_player:
            self.seek(value)
            self._set_time_label(value, self._player.duration())

    def _on_status(self, status: QMediaPlayer.MediaStatus) -> None:
        loaded_states = (
            QMediaPlayer.MediaStatus.LoadedMedia,
            QMediaPlayer.MediaStatus.BufferedMedia,
            QMediaPlayer.MediaStatus.BufferingMedia,
        )
        if status in loaded_states and self._has_source and not self._announced_load:
            self._announced_load = True
            self.loaded.emit()
        elif (
            status == QMediaPlayer.MediaStatus.InvalidMedia
            and self._player.error() == QMediaPlayer.Error.NoError
        ):
            self._on_error(QMediaPlayer.Error.FormatError, "This file cannot be played.")
        self._update_controls()

    def _on_error(self, error: QMediaPlayer.Error, message: str) -> None:
        # InvalidMedia and errorOccurred can both report one failure; show and announce it once per load.
        if error == QMediaPlayer.Error.NoError or self._screen.currentIndex() == _PAGE_ERROR:
            return
        text = message or "The clip could not be played."
        self._error_label.setText(f"Cannot play this clip\n{text}")
        self._show_page(_PAGE_ERROR)
        self._update_controls()
        self.errorOccurred.emit(text)

    def _on_muted_changed(self, muted: bool) -> None:
        self._refresh_icons()
        self.mute_button.setAccessibleName("Unmute" if muted else "Mute")
        if self.mute_button.isChecked() != muted:
            self.mute_button.setChecked(muted)

    # -- helpers -----------------------------------------------------------------------------------------

    def _refresh_icons(self) -> None:
        color = self.palette().color(QPalette.ColorRole.ButtonText)
        kinds = (
            "pause" if self.is_playing() else "play",
            "muted" if self._audio.isMuted() else "volume",
            "exit-fullscreen" if self.is_fullscreen() else "fullscreen",
        )
        if (kinds, color.rgba()) == self._icons_shown:
            return  # nothing changed: no new icons, no repaint of the buttons
        self._icons_shown = (kinds, color.rgba())
        buttons = (self.play_button, self.mute_button, self.fullscreen_button)
        for button, kind in zip(buttons, kinds, strict=True):
            button.setIcon(transport_icon(kind, color))

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:  # theme switched: redraw the glyphs in the new ink
            self._refresh_icons()

    def _show_page(self, page: int) -> None:
        self._screen.setCurrentIndex(page)

    def _set_slider(self, position: int, duration: int) -> None:
        self._seeking_from_player = True
        try:
            self.seek_slider.setRange(0, max(0, duration))
            self.seek_slider.setValue(max(0, min(position, duration)))
        finally:
            self._seeking_from_player = False

    def _set_time_label(self, position: int, duration: int) -> None:
        self.time_label.setText(f"{format_time(position)} / {format_time(duration)}")

    def _update_controls(self) -> None:
        playing = self.is_playing()
        usable = self._has_source and self._screen.currentIndex() != _PAGE_ERROR
        self._refresh_icons()
        self.play_button.setAccessibleName("Pause" if playing else "Play")
        self.play_button.setToolTip("Pause (Space)" if playing else "Play (Space)")
        self.play_button.setEnabled(usable)
        self.seek_slider.setEnabled(usable and self._player.duration() > 0)
        self.fullscreen_button.setEnabled(usable)
