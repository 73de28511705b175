#!/usr/bin/env bash
# Engine speed, Ludus against the Java microRTS, measured in one run on this machine: the same
# map, bots and number of games on each, one thread each, cycles per second of whole games
# (bots' decisions included; Java's JIT warm-up included, as in the spec's figures).
#
#   scripts/microrts/bench_vs_java.sh [MAP] [GAMES]     (default maps/16x16/basesWorkers16x16.xml, 20)
#
# Needs what real_microrts.sh needs (it fetches and caches the jar the same way).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
ludus="${LUDUS:-$root/target/release/ludus}"
cache="${LUDUS_MICRORTS_DIR:-$root/target/microrts}"
map="${1:-16x16/basesWorkers16x16.xml}"
games="${2:-20}"
mrts="$cache/gym-microrts-0.4.3/gym_microrts/microrts"
if [ ! -f "$mrts/microrts.jar" ]; then
    mkdir -p "$cache"
    python3 -m pip download --quiet --no-deps gym-microrts==0.4.3 -d "$cache"
    tar -xzf "$cache/gym-microrts-0.4.3.tar.gz" -C "$cache"
fi
mkdir -p "$cache/classes"
javac -nowarn -cp "$mrts/microrts.jar:$mrts/lib/*" -d "$cache/classes" "$here/RunGame.java"
cp="$mrts/microrts.jar:$mrts/lib/*:$cache/classes"
max=4000
printf "%-34s %12s %12s %8s\n" "bots ($(basename "$map" .xml), $games games)" "java c/s" "ludus c/s" ratio
for pair in "PassiveAI PassiveAI passive passive" \
            "RandomBiasedAI RandomBiasedAI randombiased randombiased" \
            "abstraction.WorkerRush abstraction.LightRush workerrush lightrush"; do
    set -- $pair
    # Java: total cycles over total milliseconds of play (loading excluded).
    java_cps=$(cd "$mrts" && taskset -c 0 java -cp "$cp" RunGame "maps/$map" 2 "ai.$1" "ai.$2" "$max" "$games" \
        | awk '{c += $6; ms += $8} END {printf "%.0f", c / (ms / 1000)}')
    ludus_cps=$(taskset -c 0 "$ludus" rts play --map "$mrts/maps/$map" --max-cycles "$max" --games "$games" \
        --p0 "rts:$3" --p1 "rts:$4" | awk '/cycles\/s/ {gsub(/\(/, "", $(NF-1)); print $(NF-1)}')
    printf "%-34s %12s %12s %7.1fx\n" "$3 vs $4" "$java_cps" "$ludus_cps" "$(awk -v a="$ludus_cps" -v b="$java_cps" 'BEGIN {print a / b}')"
done
