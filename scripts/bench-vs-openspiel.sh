#!/usr/bin/env bash
# Random-playout speed of Ludus against OpenSpiel's Python API, game by game.
#
# Usage: scripts/bench-vs-openspiel.sh [SECONDS] [SEED]
#   SECONDS  wall-clock budget of each measurement (default 3)
#   SEED     playout seed passed to both sides (default 0)
#
# What it does, from the repository root:
#   1. creates .venv-bench (git-ignored by `/.venv*`) if missing and installs
#      the pinned OpenSpiel from scripts/requirements-bench.txt into it;
#   2. builds `cargo build --release --bin ludus`;
#   3. for each game runs `ludus bench --game G --seconds S --seed N --json`,
#      then scripts/openspiel_playouts.py for the same game, one after the
#      other on the same machine and pinned to core 0 with `taskset` when it
#      is available, so both sides see the same single core;
#   4. prints a markdown table of plies/s, the Ludus/OpenSpiel ratio and the
#      speed-up goal per game (100x for tictactoe, connect4 and othello, 30x
#      for go).
#
# Compare plies/s, not games/s: game length differs between implementations
# (see the docstring of scripts/openspiel_playouts.py for how OpenSpiel's Go
# ends games). The raw JSON lines go to stderr; stdout is only the table.
#
# Environment:
#   LUDUS_BIN         use this binary instead of building target/release/ludus
#   CARGO_TARGET_DIR  honoured when locating the built binary
#   PYTHON            interpreter used to create the venv (default python3)

set -euo pipefail

die() {
    echo "bench-vs-openspiel: error: $*" >&2
    exit 1
}

usage() {
    sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'
}

case "${1:-}" in
    -h | --help)
        usage
        exit 0
        ;;
esac
[[ $# -le 2 ]] || { usage >&2; die "too many arguments"; }

SECONDS_PER_RUN="${1:-3}"
SEED="${2:-0}"
[[ "$SECONDS_PER_RUN" =~ ^[0-9]+([.][0-9]+)?$ ]] && [[ ! "$SECONDS_PER_RUN" =~ ^0+([.]0+)?$ ]] \
    || die "SECONDS must be a positive number, got '$SECONDS_PER_RUN'"
[[ "$SEED" =~ ^[0-9]+$ ]] || die "SEED must be a non-negative integer, got '$SEED'"

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"
cd "$ROOT"

GAMES=(tictactoe connect4 othello go)
VENV="$ROOT/.venv-bench"
REQUIREMENTS="$SCRIPT_DIR/requirements-bench.txt"
PLAYOUTS="$SCRIPT_DIR/openspiel_playouts.py"
PYTHON="${PYTHON:-python3}"

# --- 1. Python side: venv with the pinned OpenSpiel -------------------------
command -v "$PYTHON" >/dev/null 2>&1 \
    || die "'$PYTHON' not found; install Python 3 (3.11 is known to work with the pinned open_spiel)"
PINNED="$(sed -n 's/^open_spiel==\(.*\)$/\1/p' "$REQUIREMENTS")"
[[ -n "$PINNED" ]] || die "no 'open_spiel==VERSION' line in $REQUIREMENTS"

if [[ ! -x "$VENV/bin/python" ]]; then
    echo "bench-vs-openspiel: creating $VENV" >&2
    "$PYTHON" -m venv "$VENV" \
        || die "'$PYTHON -m venv' failed; on Debian/Ubuntu install the python3-venv package"
fi
VENV_PY="$VENV/bin/python"
installed="$("$VENV_PY" -c 'import importlib.metadata as m; print(m.version("open_spiel"))' 2>/dev/null || true)"
if [[ "$installed" != "$PINNED" ]]; then
    "$VENV_PY" -m pip --version >/dev/null 2>&1 \
        || die "pip is missing in $VENV; remove the folder, install pip/ensurepip for $PYTHON and rerun"
    echo "bench-vs-openspiel: installing open_spiel==$PINNED into $VENV" >&2
    "$VENV_PY" -m pip install --quiet -r "$REQUIREMENTS" \
        || die "pip could not install open_spiel==$PINNED (a wheel exists for CPython 3.11 on x86_64 Linux)"
fi
"$VENV_PY" -c 'import pyspiel' 2>/dev/null || die "open_spiel is installed in $VENV but 'import pyspiel' fails"

# --- 2. Rust side: the release binary ----------------------------------------
if [[ -n "${LUDUS_BIN:-}" ]]; then
    LUDUS="$LUDUS_BIN"
else
    command -v cargo >/dev/null 2>&1 || die "cargo not found; install Rust (https://rustup.rs)"
    echo "bench-vs-openspiel: cargo build --release --bin ludus" >&2
    cargo build --release --bin ludus >&2 || die "cargo build --release --bin ludus failed"
    LUDUS="${CARGO_TARGET_DIR:-$ROOT/target}/release/ludus"
fi
[[ -x "$LUDUS" ]] || die "ludus binary not found or not executable at $LUDUS"

# --- 3. Measurements, one game at a time on one core -------------------------
PIN=()
if command -v taskset >/dev/null 2>&1 && taskset -c 0 true 2>/dev/null; then
    PIN=(taskset -c 0)
    echo "bench-vs-openspiel: pinned to core 0 with taskset" >&2
else
    echo "bench-vs-openspiel: taskset unavailable, running unpinned" >&2
fi

RESULTS="$(mktemp -d)"
trap 'rm -rf "$RESULTS"' EXIT

for game in "${GAMES[@]}"; do
    echo "bench-vs-openspiel: $game: ludus (${SECONDS_PER_RUN}s)" >&2
    ${PIN[@]+"${PIN[@]}"} "$LUDUS" bench --game "$game" --seconds "$SECONDS_PER_RUN" \
        --seed "$SEED" --json >"$RESULTS/ludus.$game" || die "'ludus bench --game $game' failed"
    cat "$RESULTS/ludus.$game" >&2

    echo "bench-vs-openspiel: $game: openspiel-python (${SECONDS_PER_RUN}s)" >&2
    ${PIN[@]+"${PIN[@]}"} "$VENV_PY" "$PLAYOUTS" --game "$game" --seconds "$SECONDS_PER_RUN" \
        --seed "$SEED" >"$RESULTS/openspiel.$game" || die "openspiel_playouts.py --game $game failed"
    cat "$RESULTS/openspiel.$game" >&2
done

# --- 4. Table ----------------------------------------------------------------
"$PYTHON" - "$RESULTS" "${GAMES[@]}" <<'EOF'
import json
import os
import sys

GOALS = {"tictactoe": 100.0, "connect4": 100.0, "othello": 100.0, "go": 30.0}

results_dir, games = sys.argv[1], sys.argv[2:]
rates = {}
for game in games:
    for side in ("ludus", "openspiel"):
        with open(os.path.join(results_dir, f"{side}.{game}"), encoding="utf-8") as f:
            output = f.read()
        # Each bench prints exactly one JSON line; take the last non-empty line
        # so that a stray log line before it does not break parsing.
        lines = [line for line in output.splitlines() if line.strip()]
        try:
            record = json.loads(lines[-1])
            rate = float(record["plies_per_sec"])
        except (IndexError, ValueError, KeyError, TypeError) as err:
            sys.exit(f"bench-vs-openspiel: error: cannot read plies_per_sec from {side} "
                     f"output for {game}: {output!r} ({err})")
        if record.get("game") != game:
            sys.exit(f"bench-vs-openspiel: error: {side} reported game "
                     f"{record.get('game')!r}, expected {game!r}")
        rates[(side, game)] = rate

print("| game | Ludus plies/s | OpenSpiel-python plies/s | ratio | goal | met? |")
print("|---|---:|---:|---:|---:|:---:|")
for game in games:
    ludus, openspiel = rates[("ludus", game)], rates[("openspiel", game)]
    ratio = ludus / openspiel if openspiel > 0 else float("inf")
    goal = GOALS[game]
    met = "yes" if ratio >= goal else "no"
    print(f"| {game} | {ludus:,.0f} | {openspiel:,.0f} | {ratio:.1f}× | {goal:.0f}× | {met} |")
EOF
