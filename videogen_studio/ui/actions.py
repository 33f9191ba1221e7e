"""Every menu entry and keyboard shortcut of the main window, declared once (the Picard way).

`ACTIONS` lists them; `ActionRegistry` turns them into QActions owned by the window (window-wide shortcuts,
shown in the menus), builds the menus from `MENUS`, and writes the Help → Keyboard shortcuts table from the
same data, so the three can never disagree. Behaviour is connected elsewhere: `registry["render"].triggered`.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenuBar, QWidget


@dataclass(frozen=True)
class ActionSpec:
    key: str
    text: str
    #: Portable shortcut strings ("Ctrl+," is spelled out: QKeySequence.Preferences is empty on Linux).
    shortcuts: tuple[str, ...] = ()
    tip: str = ""
    checkable: bool = False
    #: Listed in the shortcuts table under this description (empty: use the text).
    help: str = ""


ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("account", "&Account…", (), "Use the offline sandbox or your VideoGen API key"),
    ActionSpec("settings", "&Settings…", ("Ctrl+,",), "Service, folders, theme, defaults", help="Settings"),
    ActionSpec("open_output", "Open &output folder", ("Ctrl+Shift+D",), "Show finished videos in your files"),
    ActionSpec("quit", "&Quit", ("Ctrl+Q",), "Close VideoGen Studio (renders continue next time)"),
    ActionSpec("page_create", "&Create", ("Ctrl+1",), "Presenters and script", help="Go to Create"),
    ActionSpec("page_result", "R&esult", ("Ctrl+2",), "The latest finished clip, large", help="Go to Result"),
    ActionSpec("page_library", "&Library", ("Ctrl+3",), "Every clip you made", help="Go to Library"),
    ActionSpec("focus_queue", "Render &queue", ("Ctrl+4",), "Show the render queue", help="Show the queue"),
    ActionSpec("focus_script", "Edit the &script", ("Ctrl+L",), "Put the cursor in the script"),
    ActionSpec(
        "toggle_queue", "Show render &queue panel", (), "Show or hide the queue panel", checkable=True
    ),
    ActionSpec("fullscreen", "&Full-screen player", ("F11",), "Play the clip full screen (Esc leaves)"),
    ActionSpec("detach_player", "&Detach player", ("Ctrl+Shift+F",), "Open the player in its own window"),
    ActionSpec("reload", "&Reload presenters and voices", ("F5",), "Ask the service again"),
    ActionSpec("preview", "&Preview voice", ("Ctrl+P",), "Speak the start of the script"),
    ActionSpec(
        "render",
        "&Render",
        ("Ctrl+Return", "Ctrl+Enter"),
        "Queue this script for the chosen presenter",
        help="Render the script with the chosen presenter",
    ),
    ActionSpec("shortcuts", "&Keyboard shortcuts", ("F1",), "All keyboard shortcuts"),
    ActionSpec("about", "&About VideoGen Studio"),
)

#: Menu title → action keys ("-" is a separator).
MENUS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("&File", ("account", "settings", "open_output", "-", "quit")),
    (
        "&View",
        (
            "page_create",
            "page_result",
            "page_library",
            "focus_queue",
            "focus_script",
            "-",
            "toggle_queue",
            "detach_player",
            "fullscreen",
            "-",
            "reload",
        ),
    ),
    ("&Render", ("preview", "render")),
    ("&Help", ("shortcuts", "about")),
)

#: Keys handled by widgets themselves (listed in the help table, not actions of the window).
WIDGET_KEYS: tuple[tuple[str, str], ...] = (
    ("Arrows, Home, End", "Move through the presenters"),
    ("F", "Mark the selected presenter as favorite"),
    ("Space", "Play / pause the clip (player focused)"),
    ("Esc", "Leave full screen"),
)


def _plain(text: str) -> str:
    return text.replace("&", "").rstrip("…")


class ActionRegistry(QObject):
    """The window's QActions by key. Shortcuts are window-wide: they work wherever the focus is."""

    def __init__(self, window: QWidget, specs: tuple[ActionSpec, ...] = ACTIONS) -> None:
        super().__init__(window)
        self._specs = {spec.key: spec for spec in specs}
        self._actions: dict[str, QAction] = {}
        for spec in specs:
            action = QAction(spec.text, window)
            action.setObjectName(f"action_{spec.key}")
            if spec.shortcuts:
                action.setShortcuts([QKeySequence(s) for s in spec.shortcuts])
                action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
                action.setShortcutVisibleInContextMenu(True)
            if spec.tip:
                action.setStatusTip(spec.tip)
                shortcut = f" ({spec.shortcuts[0]})" if spec.shortcuts else ""
                action.setToolTip(spec.tip + shortcut)
            action.setCheckable(spec.checkable)
            # Added to the window itself, so the shortcut works even when its menu was never opened.
            window.addAction(action)
            self._actions[spec.key] = action

    def __getitem__(self, key: str) -> QAction:
        return self._actions[key]

    def __contains__(self, key: str) -> bool:
        return key in self._actions

    def keys(self) -> list[str]:
        return list(self._actions)

    def spec(self, key: str) -> ActionSpec:
        return self._specs[key]

    def build_menus(self, bar: QMenuBar, menus: tuple[tuple[str, tuple[str, ...]], ...] = MENUS) -> None:
        for title, keys in menus:
            menu = bar.addMenu(title)
            menu.setObjectName("menu_" + _plain(title).lower())
            for key in keys:
                if key == "-":
                    menu.addSeparator()
                elif key in self._actions:
                    menu.addAction(self._actions[key])

    def shortcut_rows(self) -> list[tuple[str, str]]:
        """(keys, what they do) for every shortcut, in menu order, then the widgets' own keys."""
        rows: list[tuple[str, str]] = []
        for spec in self._specs.values():
            if spec.shortcuts:
                keys = " / ".join(
                    QKeySequence(s).toString(QKeySequence.SequenceFormat.NativeText) for s in spec.shortcuts
                )
                rows.append((keys, spec.help or _plain(spec.text)))
        rows.extend(WIDGET_KEYS)
        return rows

    def shortcuts_html(self) -> str:
        import html  # here, not at start-up: only Help → Keyboard shortcuts needs it

        cells = "".join(
            f"<tr><td><b>{html.escape(keys)}</b></td><td>{html.escape(what)}</td></tr>"
            for keys, what in self.shortcut_rows()
        )
        return f"<table cellpadding=3>{cells}</table>"
