"""Run a benchmark's measured child against another checkout of the app (the "before" figures).

The benchmark scripts always run from this checkout; only the measured child imports the app from the tree
given with `--tree` (e.g. `/tmp/before-bench`, the code before a session's changes). The servers the child
talks to (sandbox, thumbnails) stay this checkout's, so "before" and "after" meet the same server and only
the app differs.

`_common.py` puts this checkout first on `sys.path` when imported; `use_tree()` undoes that in the child,
before anything of the app is imported, and checks where `videogen_studio` really came from.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from _common import ROOT, child_env


def tree_env(tree: Path | None, home: Path | None = None) -> dict[str, str]:
    """`child_env(home)` with `tree` (default: this checkout) first on PYTHONPATH."""
    env = child_env(home)
    if tree is None or tree.resolve() == ROOT:
        return env
    rest = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p and Path(p).resolve() != ROOT]
    env["PYTHONPATH"] = os.pathsep.join([str(tree), *rest])
    return env


def use_tree(tree: Path | None) -> str:
    """In a child: import `videogen_studio` from `tree` (None: this checkout). Returns the package folder."""
    if tree is not None and tree.resolve() != ROOT:
        assert "videogen_studio" not in sys.modules, "use_tree() must run before the app is imported"
        sys.path[:] = [p for p in sys.path if not p or Path(p).resolve() != ROOT]
        sys.path.insert(0, str(tree))
    import videogen_studio

    where = str(Path(videogen_studio.__file__).resolve().parent)
    expected = (tree or ROOT).resolve()
    if not where.startswith(str(expected)):
        raise SystemExit(f"videogen_studio came from {where}, not from {expected}")
    return where


def tree_label(tree: Path | None) -> str:
    return "after" if tree is None or tree.resolve() == ROOT else "before"


def ba_row(
    name: str, after: list[float], before: list[float] | None, unit: str, goal: str, digits: int = 1
) -> str:
    """One Markdown row: figure | before median (min–max) | after median (min–max) | after ÷ before | goal."""
    from _common import median

    def cell(values: list[float] | None) -> str:
        if not values:
            return "n/a"
        m = median(values)
        spread = (
            f" ({min(values):,.{digits}f}–{max(values):,.{digits}f}, n={len(values)})"
            if len(values) > 1
            else ""
        )
        return f"{m:,.{digits}f} {unit}{spread}"

    ratio = "n/a"
    if before and after and median(before):
        ratio = f"{median(after) / median(before):.2f}×"
    return f"| {name} | {cell(before)} | {cell(after)} | {ratio} | {goal} |"


def commit_label(tree: Path | None) -> str:
    """`before (abc1234)`: the commit of the "before" tree, so a table says what it was compared with."""
    import subprocess

    where = tree or ROOT
    try:
        out = subprocess.run(
            ["git", "-C", str(where), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return f"before ({where})"
    return f"before ({out})"


def write_section(
    path: Path | None, title: str, notes: list[str], rows: list[str], *, before: Path | None = None
) -> None:
    """Print a before/after table and, with `path`, write it there as one Markdown section."""
    lines = [
        f"## {title}",
        "",
        *notes,
        "",
        f"| Figure | {commit_label(before)} | after (HEAD) | after ÷ before | goal |",
        "|---|---:|---:|---:|---|",
        *rows,
        "",
    ]
    text = "\n".join(lines)
    print()
    print(text)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n", encoding="utf-8")
