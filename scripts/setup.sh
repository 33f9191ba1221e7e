#!/usr/bin/env bash
# One-time (idempotent) set-up on a fresh machine: system libraries Qt needs, a Python >= 3.12 venv, the app.
# Called by `make run` and `make test`; safe to run again (it only does what is missing).
set -euo pipefail
cd "$(dirname "$0")/.."

# --- system libraries: QtMultimedia needs libpulse0; the xcb/EGL libs let Qt start; espeak-ng makes the
# sandbox's speech intelligible (without it the sandbox uses a synthetic voice-like signal).
need=()
for pair in libpulse.so.0:libpulse0 libEGL.so.1:libegl1 libxkbcommon.so.0:libxkbcommon0 \
            libGL.so.1:libgl1 libfontconfig.so.1:libfontconfig1 libdbus-1.so.3:libdbus-1-3 \
            libxkbcommon-x11.so.0:libxkbcommon-x11-0 libxcb-cursor.so.0:libxcb-cursor0 \
            libxcb-icccm.so.4:libxcb-icccm4 libxcb-keysyms.so.1:libxcb-keysyms1; do
  lib=${pair%%:*}; pkg=${pair##*:}
  ldconfig -p 2>/dev/null | grep -q "$lib" || need+=("$pkg")
done
command -v espeak-ng >/dev/null || need+=(espeak-ng)
if [ ${#need[@]} -gt 0 ] && command -v apt-get >/dev/null; then
  sudo=""; [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null && sudo="sudo"
  if [ "$(id -u)" -eq 0 ] || [ -n "$sudo" ]; then
    echo "setup: installing system packages: ${need[*]}"
    $sudo apt-get update -qq >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "setup: please install these packages: ${need[*]}" >&2
  fi
fi

# --- Python: PySide6 6.12 misbehaves below 3.12 and qasync 0.28 breaks on 3.14.
pick_python() {
  for cand in "${PYTHON:-}" python3.13 python3.12 python3 /root/.pyenv/versions/3.12*/bin/python3 \
              /root/.pyenv/versions/3.13*/bin/python3; do
    [ -n "$cand" ] || continue
    command -v "$cand" >/dev/null 2>&1 || [ -x "$cand" ] || continue
    if "$cand" -c 'import sys; sys.exit(not ((3, 12) <= sys.version_info[:2] < (3, 14)))' 2>/dev/null; then
      echo "$cand"; return 0
    fi
  done
  return 1
}
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; sys.exit(not ((3,12) <= sys.version_info[:2] < (3,14)))'; then
  py=$(pick_python) || { echo "setup: Python 3.12 or 3.13 is required" >&2; exit 1; }
  echo "setup: creating .venv with $py"
  rm -rf .venv
  "$py" -m venv .venv
fi
stamp=.venv/.installed-$(sha1sum pyproject.toml | cut -c1-12)
if [ ! -f "$stamp" ]; then
  echo "setup: installing the app and its test tools into .venv"
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null
  .venv/bin/python -m pip install -q -e '.[test]'
  rm -f .venv/.installed-*; touch "$stamp"
fi
# --- import-linter in a folder of its own, on PYTHONPATH only for `make contracts` (see pyproject).
if [ ! -f ".venv/lint/.installed-${stamp#.venv/.installed-}" ]; then
  echo "setup: installing import-linter into .venv/lint"
  rm -rf .venv/lint
  .venv/bin/python -m pip install -q --target .venv/lint $(.venv/bin/python -c \
    'import tomllib; print(*tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]["contracts"])')
  touch ".venv/lint/.installed-${stamp#.venv/.installed-}"
fi
