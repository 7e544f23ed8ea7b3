#!/usr/bin/env bash
# Install everything Fabula needs on a fresh Debian machine, idempotently:
# system packages (only when missing), a virtual environment with torch pinned
# first (a bare `torch` would pull a multi-GB CUDA build), then Fabula and its
# pinned dependencies. Re-running with nothing changed takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3

need_apt=()
command -v cmake >/dev/null 2>&1 || need_apt+=(cmake)
command -v g++ >/dev/null 2>&1 || need_apt+=(g++)
command -v make >/dev/null 2>&1 || need_apt+=(make)
command -v java >/dev/null 2>&1 || need_apt+=(default-jre-headless)  # EPUBCheck validates exported EPUBs in the tests
if ((${#need_apt[@]})); then
    echo "setup: installing Debian packages: ${need_apt[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}"
fi
bash scripts/setup-postgres.sh

if [ ! -x "$VENV/bin/python" ]; then
    echo "setup: creating $VENV"
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/pip" install -q --upgrade pip
fi
pip_install() { "$VENV/bin/pip" install -q --disable-pip-version-check "$@" 2>&1 | grep -v "is ignored" || true; }
if ! "$VENV/bin/python" -c "import torch, sys; sys.exit(torch.__version__.split('+')[0] != '2.13.0')" 2>/dev/null; then
    echo "setup: installing torch==2.13.0 (CPU)"
    pip_install torch==2.13.0
fi
echo "setup: installing Fabula with its pinned dependencies (llama.cpp compiles once, ~4 min)"
pip_install -e ".[dev,llamacpp]"
"$VENV/bin/python" -c "import fabula, torch, llama_cpp, sqlalchemy" \
    || { echo "setup: the environment is incomplete; see the messages above" >&2; exit 1; }
echo "setup: done ($("$VENV/bin/python" --version), torch $("$VENV/bin/python" -c 'import torch; print(torch.__version__)'))"
