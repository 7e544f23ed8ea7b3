#!/usr/bin/env bash
# Fabula's main job on the built-in default model, offline: stream a
# continuation, then three alternatives sampled together, then the log.
set -euo pipefail
cd "$(dirname "$0")/.."
FABULA=.venv/bin/fabula
export FABULA_HOME=${FABULA_HOME:-$PWD/.fabula-home}

echo "== fabula models"
$FABULA models
echo
echo "== fabula generate --model house:en  (streams as it is written)"
$FABULA generate --model house:en --seed 7 --max-tokens 120 --temperature 0.8 --top-p 0.95 --stats \
    $'HAMLET.\nWhat news, my lord?\n\nHORATIO.\n'
echo
echo "== three alternatives in one batch"
$FABULA generate --model house:en --seed 11 --n 3 --max-tokens 60 --temperature 0.9 --stop $'\n\n' \
    $'KING.\nCome hither, gentle friend, and tell me true:\n'
echo
echo "== fabula log (every generation is recorded in $FABULA_HOME/fabula.db)"
$FABULA log -n 2
