#!/usr/bin/env bash
# Fabula's main job on the built-in house models, offline: stream a story
# opening, steer genre and style with control tokens, sample alternatives
# together, fill a gap in the middle of a text, write a classical Chinese
# poem whose form is guaranteed and check it, plan and draft a short story and
# export it as EPUB, write a screenplay from a logline (Fountain + PDF), run the
# default evaluation suite with its report, then show the generation log.
set -euo pipefail
cd "$(dirname "$0")/.."
FABULA=.venv/bin/fabula
export FABULA_HOME=${FABULA_HOME:-$PWD/.fabula-home}

echo "== fabula models"
$FABULA models
echo
echo "== fabula generate  (house:en, fiction by default; streams as it is written)"
$FABULA generate --seed 7 --max-tokens 120 --temperature 0.8 --top-p 0.95 --stats \
    "The lighthouse keeper had not seen a ship in eleven years"
echo
echo "== the same model as a mystery, with a control token"
$FABULA generate -c genre=mystery --seed 3 --max-tokens 100 --temperature 0.8 --top-p 0.95 \
    "The inspector knelt beside the body and"
echo
echo "== three alternatives in one batch, in Shakespeare's style"
$FABULA generate -c style=shakespeare -c form=play -c genre= --seed 11 --n 3 --max-tokens 60 \
    --temperature 0.9 --stop $'\n\n' $'KING.\nCome hither, gentle friend, and tell me true:\n'
echo
echo "== fabula infill  (the text between two passages)"
$FABULA infill -c style=austen -c form=novel -c genre= --seed 5 --max-tokens 60 \
    "Elizabeth read the letter twice." " She did not sleep that night."
echo
echo "== fabula poem write  (house:zh-poetry; 七言绝句 with 平仄 and rhyme guaranteed, then checked)"
$FABULA poem write --form qijue --title 春夜 --seed 1 | tee "$FABULA_HOME/poem.txt"
$FABULA poem check "$FABULA_HOME/poem.txt" --form qijue | tail -3
echo
STORY="lighthouse-$(date +%Y%m%d-%H%M%S)"  # a new story each run; earlier ones stay in the store
echo "== fabula story  (house:en: a premise planned on a beat sheet, drafted scene by scene, checked, exported)"
$FABULA story new "$STORY" --title "The Lighthouse" --genre mystery \
    --premise "A lighthouse keeper finds a letter from her brother, who drowned ten years ago." \
    --character "Mara: protagonist; red-haired" --character "Tom: missing brother" \
    --place "the lighthouse: a white tower on a rock" --place "the village: a fishing village" > /dev/null
$FABULA story plan "$STORY" --structure three-act --chapters 3 --scenes 1 --seed 1
$FABULA story draft "$STORY" --words 80 --seed 1
$FABULA story check "$STORY" || true   # exit 1 means contradictions were found and listed
$FABULA story export "$STORY" -o "$FABULA_HOME/$STORY.epub"
echo
echo "== fabula screenplay new  (house:en: logline → bible → plan → scenes, as Fountain and a PDF)"
$FABULA screenplay new "A lighthouse keeper named Mara finds a letter from her brother, who drowned ten years ago." \
    --scenes 3 --seed 0 -o "$FABULA_HOME/lighthouse.fountain" --pdf "$FABULA_HOME/lighthouse.pdf"
$FABULA screenplay stats "$FABULA_HOME/lighthouse.fountain"
echo
echo "== fabula eval default  (fixed prompts on both house models; per-sample metrics stored; report with plots)"
$FABULA eval default --quiet --out "$FABULA_HOME/eval-report" | tail -12
echo
echo "== fabula log (every generation is recorded in $FABULA_HOME/fabula.db)"
$FABULA log -n 2
