#!/usr/bin/env bash
# Install what the tests need (Debian packages when missing, Python packages into .venv),
# check lint, formatting and the layer contract, then run the whole test suite
# (tests/unit and tests/integration). Extra arguments go to pytest, e.g. tests/unit.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=()
python3 -c "import ensurepip" 2>/dev/null || apt_packages+=(python3-venv)
command -v dovecot >/dev/null 2>&1 || apt_packages+=(dovecot-imapd)
command -v gpg >/dev/null 2>&1 || apt_packages+=(gnupg)
command -v spamd >/dev/null 2>&1 || [ -x /usr/sbin/spamd ] || apt_packages+=(spamd)
command -v git >/dev/null 2>&1 || apt_packages+=(git)  # the packaging test copies the checkout
command -v chromium >/dev/null 2>&1 || apt_packages+=(chromium)  # browser tests (Playwright drives it; no download)
if ((${#apt_packages[@]})); then
    echo "installing Debian packages: ${apt_packages[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${apt_packages[@]}" >/dev/null
fi

# PostgreSQL is expected on 127.0.0.1:5432; start the local cluster if it is installed but down.
if command -v pg_isready >/dev/null 2>&1 && ! pg_isready -q -h 127.0.0.1 -p 5432; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'
.venv/bin/ruff check abusebox tests benchmarks fuzz
.venv/bin/ruff format --check abusebox tests benchmarks fuzz
.venv/bin/lint-imports
.venv/bin/mypy
exec .venv/bin/python -m pytest -q "$@"
