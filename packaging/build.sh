#!/usr/bin/env bash
# Build the one-folder desktop bundle: dist/videogen-studio/videogen-studio (+ its _internal/ folder).
#
#     packaging/build.sh            build (installs PyInstaller into .venv when missing)
#     packaging/build.sh --smoke    build, then run packaging/smoke_test.py against the result
#
# Uses the project venv made by scripts/setup.sh. Build on the oldest OS you support: the bundle carries
# Python, Qt and FFmpeg but links against the build machine's glibc.
set -euo pipefail
cd "$(dirname "$0")/.."

[ -x .venv/bin/python ] || scripts/setup.sh
py=.venv/bin/python

# PyInstaller is declared in pyproject's `packaging` extra; install just that tool, not the extra (which
# would also reinstall the app in non-editable mode over the developer's editable install).
if ! "$py" -c 'import PyInstaller, sys; v = tuple(int(x) for x in PyInstaller.__version__.split(".")[:2]); sys.exit(v < (6, 6))' 2>/dev/null; then
  echo "build: installing PyInstaller into .venv"
  "$py" -m pip install -q 'pyinstaller>=6.6'
fi

# Icons: the spec bundles resources/ as-is; the PNG sizes come from scripts/make_icons.py.
if [ ! -f resources/icons/videogen-studio-256.png ]; then
  echo "build: resources/icons/*.png missing; run .venv/bin/python scripts/make_icons.py" >&2
  exit 1
fi

"$py" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath dist --workpath build/pyinstaller packaging/videogen-studio.spec

out=dist/videogen-studio
echo "build: $(du -sh "$out" | cut -f1) in $out/ (run $out/videogen-studio)"

if [ "${1:-}" = "--smoke" ]; then
  "$py" packaging/smoke_test.py "$out/videogen-studio"
fi
