#!/usr/bin/env bash
# Make PostgreSQL server binaries available for the store's PostgreSQL tests.
# Installs Debian's postgresql only when no initdb can be found.
set -euo pipefail
if command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    exit 0
fi
echo "setup: installing PostgreSQL (Debian package postgresql)"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
