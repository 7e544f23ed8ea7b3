#!/usr/bin/env bash
# Make PostgreSQL server binaries (initdb, pg_ctl) available for the store's
# PostgreSQL tests (tests/store/conftest.py starts a throwaway server with them).
# Idempotent: does nothing when they are already on PATH or in Debian's
# /usr/lib/postgresql/*/bin; otherwise installs Debian's `postgresql` package.
# The package's own cluster is not needed (the tests run their own), so it is
# left as Debian sets it up.
set -euo pipefail

have_server() {
    if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
        return 0
    fi
    for bindir in /usr/lib/postgresql/*/bin; do
        [ -x "$bindir/initdb" ] && [ -x "$bindir/pg_ctl" ] && return 0
    done
    return 1
}

if have_server; then
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
else
    echo "setup-postgres: PostgreSQL is missing and installing it needs root: run this script as root." >&2
    exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup-postgres: no apt-get here; install the PostgreSQL server (initdb, pg_ctl) with your package manager." >&2
    exit 1
fi

echo "setup-postgres: installing PostgreSQL (Debian package postgresql)"
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
have_server || { echo "setup-postgres: postgresql installed but initdb/pg_ctl not found" >&2; exit 1; }
echo "setup-postgres: done"
