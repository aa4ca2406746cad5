#!/usr/bin/env bash
# Set up the project venv (idempotent) and run the main job or the tests.
#   scripts/run.sh build   -> nasdb build (fetch + ingest + score + evaluate + summary)
#   scripts/run.sh test    -> the test suite
# Offline machines: export NASDB_MIRROR=DIR (a mirror laid out like ingest/sources.toml) first.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=$(command -v python3.11 || command -v python3)
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
# torch first and pinned: the CPU build of 2.13.0; a bare `torch` would pull a multi-GB CUDA build.
.venv/bin/python -m pip install -q --disable-pip-version-check torch==2.13.0
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'
case "${1:-}" in
  build) shift; exec .venv/bin/nasdb build "$@" ;;
  test)  shift; exec .venv/bin/python -m pytest -q -p no:cacheprovider "$@" ;;
  *) echo "usage: scripts/run.sh build|test [args...]" >&2; exit 2 ;;
esac
