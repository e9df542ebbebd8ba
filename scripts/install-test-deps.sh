#!/bin/sh
# Installs the project with its test extras into $VENV (default .venv).
set -eu
VENV=${VENV:-.venv}
"$VENV/bin/python" -m pip install --quiet -e '.[test]'
