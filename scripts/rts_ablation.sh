#!/usr/bin/env bash
# Issue 8's ablation: the RTS agent with and without its LSTM core, and with its entity
# Transformer or no token mixing (entities meet only in the convolutions, the plain conv
# encoder), each trained for the same wall time on the same map, then matched against the
# evaluation bots from both seats. Prints a Markdown table.
#
#   scripts/rts_ablation.sh [MINUTES] [GAMES] [MAP]      (defaults: 40, 100, gen:8x8)
#
# Runs go to runs/ablation-{lstm,mlp}-{transformer,none}; an existing run is resumed (with
# --max-minutes counted afresh), so a killed ablation continues. Needs a release build.
set -euo pipefail
minutes="${1:-40}"; games="${2:-100}"; map="${3:-gen:8x8}"
root="$(cd "$(dirname "$0")/.." && pwd)"
ludus="${LUDUS:-$root/target/release/ludus}"
[ -x "$ludus" ] || { echo "no ludus binary at $ludus; run cargo build --release" >&2; exit 2; }
cd "$root"
bots=(rts:randombiased rts:workerrush rts:lightrush)
rows=()
for core in lstm mlp; do
    for encoder in transformer none; do
        name="ablation-$core-$encoder"
        if [ -f "runs/$name/state.json" ]; then
            "$ludus" train --resume "runs/$name" --max-minutes "$minutes" >&2
        else
            "$ludus" train --game microrts --map "$map" --name "$name" \
                --set "policy.core=\"$core\"" --set "policy.encoder=\"$encoder\"" \
                --max-minutes "$minutes" >&2
        fi
        updates="$(python3 -c "import json;print(json.load(open('runs/$name/state.json'))['update'])")"
        row="| $core | $encoder | $updates |"
        for bot in "${bots[@]}"; do
            score="$("$ludus" match --game "rts:$map" --a "ppo:runs/$name" --b "$bot" \
                --games "$games" --no-log --json | python3 -c \
                "import json,sys;r=json.load(sys.stdin);print(f\"{r['wins']}/{r['draws']}/{r['losses']}\")")"
            row="$row $score |"
        done
        rows+=("$row")
    done
done
echo "Ablation on $map, $minutes minutes of training each, $games games per bot (both seats):"
echo
echo "| core | encoder | updates | $(printf '%s (W/D/L) | ' "${bots[@]}")"
echo "|---|---|---|$(printf -- '---|%.0s' "${bots[@]}")"
printf '%s\n' "${rows[@]}"
