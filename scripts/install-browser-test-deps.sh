#!/bin/sh
# Installs what the real-browser tests (tests/test_browser*.py) need:
#   - Debian's chromium (no browser download: playwright drives /usr/bin/chromium),
#   - the playwright Python package into $VENV (default .venv).
# Never runs `playwright install`. Safe to run repeatedly.
set -eu
VENV=${VENV:-.venv}
if [ ! -x /usr/bin/chromium ]; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-noto-cjk >/dev/null
    else
        echo "install-browser-test-deps: no /usr/bin/chromium and cannot apt-get it; browser tests will skip" >&2
    fi
fi
"$VENV/bin/python" -m pip install --quiet 'playwright>=1.40'
