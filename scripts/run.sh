#!/usr/bin/env bash
# Set up and run abusebox on the embedded default: SQLite under ./var/, the example
# Maildir examples/inbox/, the worker kept running (stop with Ctrl-C).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! python3 -c "import ensurepip" 2>/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
fi
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e .
[ -f abusebox.toml ] || .venv/bin/abusebox init
.venv/bin/abusebox db upgrade
exec .venv/bin/abusebox run
