"""PyInstaller entry point: the `videogen-studio` console script, as a plain (non-package) module.

`videogen_studio/__main__.py` uses a relative import, which only works with `python -m`; PyInstaller runs its
script as `__main__` outside any package, so it needs this absolute-import twin.
"""

from __future__ import annotations

import sys

from videogen_studio.cli import main

if __name__ == "__main__":
    sys.exit(main())
