#!/usr/bin/env bash
# Checks Ludus against the real microRTS (the Java engine from the PyPI package gym-microrts
# 0.4.3, fetched with `pip download --no-deps`, never committed):
#   * engine conformance: games between Java bots are traced on the Java engine
#     (RunGame.java --trace) and replayed on ours (`ludus rts conform`), which must reproduce
#     every cycle's units and resources and the winner — both unit tables, several maps, scripted
#     and random bots (random bots exercise conflicts and illegal actions);
# and, through microRTS's own SocketAI, that:
#   * games on maps/8x8/basesWorkers8x8.xml and maps/16x16/basesWorkers16x16.xml complete,
#     with no "Inconsistent actions" and no answer slower than microRTS's 100 ms budget;
#   * Ludus's rts:workerrush, played through the socket, beats microRTS's RandomBiasedAI in at
#     least 9 of 10 games on basesWorkers8x8.
#   * our scripted bots play as microRTS's: of the 24 ordered pairings of the four rushes on
#     basesWorkers8x8 and basesWorkers16x16, at least 20 end with the same winner at the same
#     cycle as on the Java engine (--compare prints them all, not only the differing ones). With --versus it plays each of our scripted bots, through the
# socket, against each of microRTS's, from both seats, and prints our score per pairing.
# With --agent SPEC it does only this: SPEC (any `ludus rts` agent, e.g. ppo:runs/rts) plays
# microRTS's WorkerRush and LightRush through the socket on basesWorkers8x8, --games N each
# (default 20, half from each seat), and prints every game and the score per opponent.
#
#   scripts/microrts/real_microrts.sh [--compare] [--versus]
#   scripts/microrts/real_microrts.sh --agent SPEC [--games N]
#
# Needs java/javac 17+, pip, and a release build of ludus (cargo build --release). The jar is
# cached in target/microrts (or $LUDUS_MICRORTS_DIR).
set -euo pipefail
compare=0; versus=0; agent=""; agent_games=20
usage="usage: real_microrts.sh [--compare] [--versus] | --agent SPEC [--games N]"
while [ $# -gt 0 ]; do
    case "$1" in
        --compare) compare=1 ;;
        --versus) versus=1 ;;
        --agent) [ $# -ge 2 ] || { echo "--agent needs an agent spec, e.g. ppo:runs/rts" >&2; exit 2; }
                 agent="$2"; shift ;;
        --games) [[ "${2:-}" =~ ^[1-9][0-9]*$ ]] || { echo "--games needs a whole number ≥ 1" >&2; exit 2; }
                 agent_games="$2"; shift ;;
        *) echo "$usage" >&2; exit 2 ;;
    esac
    shift
done
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
ludus="${LUDUS:-$root/target/release/ludus}"
cache="${LUDUS_MICRORTS_DIR:-$root/target/microrts}"
[ -x "$ludus" ] || { echo "no ludus binary at $ludus; run cargo build --release" >&2; exit 2; }
command -v javac >/dev/null || { echo "javac not found: install a JDK 17+ (Debian: openjdk-17-jdk-headless)" >&2; exit 2; }

mrts="$cache/gym-microrts-0.4.3/gym_microrts/microrts"
if [ ! -f "$mrts/microrts.jar" ]; then
    mkdir -p "$cache"
    python3 -m pip download --quiet --no-deps gym-microrts==0.4.3 -d "$cache"
    tar -xzf "$cache/gym-microrts-0.4.3.tar.gz" -C "$cache"
fi
cp="$mrts/microrts.jar:$mrts/lib/*:$cache/classes"
mkdir -p "$cache/classes"
javac -nowarn -cp "$mrts/microrts.jar:$mrts/lib/*" -d "$cache/classes" "$here/RunGame.java"

port=$((20000 + RANDOM % 20000))
fail=0

if [ -n "$agent" ]; then
    # One server for every game; each RunGame is one connection playing several games.
    serve_log="$(mktemp)"; java_log="$(mktemp)"
    "$ludus" rts serve --agent "$agent" --port "$port" 2>"$serve_log" &
    server=$!
    trap 'kill "$server" 2>/dev/null || true; rm -f "$serve_log" "$java_log"' EXIT
    for _ in $(seq 600); do
        grep -q "waiting for microRTS" "$serve_log" && break
        kill -0 "$server" 2>/dev/null || { cat "$serve_log" >&2; exit 2; }
        sleep 0.1
    done
    map=8x8/basesWorkers8x8.xml
    first=$(((agent_games + 1) / 2)); second=$((agent_games / 2))
    echo "== $agent (socket) vs microRTS bots, $(basename "$map" .xml), $agent_games games each (seat 0: $first, seat 1: $second)"
    for j in WorkerRush LightRush; do
        # RunGame prints `game G winner W cycles C ms T slowest S0,S1`; W is -1 for a draw.
        seat0=$(cd "$mrts" && java -cp "$cp" RunGame "maps/$map" 2 "socket:$port" "ai.abstraction.$j" 3000 "$first" 2>>"$java_log")
        seat1=""
        [ "$second" -gt 0 ] && seat1=$(cd "$mrts" && java -cp "$cp" RunGame "maps/$map" 2 "ai.abstraction.$j" "socket:$port" 3000 "$second" 2>>"$java_log")
        echo "$seat0" | sed "s/^/$j, ours seat 0: /"
        [ -n "$seat1" ] && echo "$seat1" | sed "s/^/$j, ours seat 1: /"
        { echo "$seat0" | awk '/^game/ {print 0, $4, $6, $10}'
          [ -n "$seat1" ] && echo "$seat1" | awk '/^game/ {print 1, $4, $6, $10}'; } | awk -v j="$j" -v n="$agent_games" '
            { played++; if ($2 == $1) w++; else if ($2 == -1) d++; else l++
              split($4, s, ","); slow = s[$1 + 1] > slow ? s[$1 + 1] : slow }
            END { printf "%s: %d W %d D %d L of %d games: score %.1f %% (slowest answer %d ms)\n",
                         j, w, d, l, played, 100 * (w + d / 2) / (played ? played : 1), slow
                  if (played != n) { print "FAIL: only " played " of " n " games completed" > "/dev/stderr"; exit 1 } }' \
            || fail=1
    done
    grep -q "Inconsistent actions" "$java_log" && { echo "FAIL: microRTS reported inconsistent actions" >&2; fail=1; }
    grep "done:" "$serve_log" >&2 || true
    exit "$fail"
fi
socket_games() { # MAP GAMES OPPONENT MAX_CYCLES -> prints RunGame's lines; checks stderr
    local map="$1" games="$2" opponent="$3" max="$4" log
    log="$(mktemp)"
    "$ludus" rts serve --agent rts:workerrush --port "$port" --once 2>"$log.serve" &
    local server=$!
    for _ in $(seq 100); do
        grep -q "waiting for microRTS" "$log.serve" 2>/dev/null && break
        sleep 0.05
    done
    (cd "$mrts" && java -cp "$cp" RunGame "maps/$map" 2 "socket:$port" "$opponent" "$max" "$games") \
        >"$log.out" 2>"$log"
    wait "$server" || true
    cat "$log.out"
    if grep -q "Inconsistent actions" "$log"; then
        echo "FAIL: microRTS reported inconsistent actions on $map" >&2
        fail=1
    fi
    if awk '{split($10, s, ","); if (s[1] > 100) bad = 1} END {exit !bad}' "$log.out"; then
        echo "FAIL: an answer took longer than 100 ms on $map" >&2
        fail=1
    fi
    if [ "$(grep -c '^game' "$log.out")" -ne "$games" ]; then
        echo "FAIL: not all $games games on $map completed; microRTS said:" >&2
        tail -5 "$log" >&2
        fail=1
    fi
    cat "$log.serve" >&2
    rm -f "$log" "$log.out" "$log.serve"
}

echo "== engine conformance: Java bots' games replayed on Ludus's engine, cycle by cycle"
for utt in 1 2; do
    for map in 8x8/basesWorkers8x8.xml 16x16/basesWorkers16x16.xml 8x8/FourBasesWorkers8x8.xml; do
        for pair in "abstraction.WorkerRush abstraction.LightRush" "abstraction.HeavyRush abstraction.RangedRush" \
                    "RandomBiasedAI RandomBiasedAI"; do
            set -- $pair
            trace="$(mktemp)"
            (cd "$mrts" && java -cp "$cp" RunGame "maps/$map" "$utt" "ai.$1" "ai.$2" 3000 --trace) >"$trace" 2>/dev/null
            if verdict=$("$ludus" rts conform "$trace" --map "$mrts/maps/$map" --utt "$utt" 2>&1); then
                echo "utt $utt $(basename "$map" .xml) $1 vs $2: $verdict"
            else
                echo "FAIL: utt $utt $map $1 vs $2: $verdict" >&2
                fail=1
            fi
            rm -f "$trace"
        done
    done
done

echo "== rts:workerrush (socket) vs microRTS RandomBiasedAI, basesWorkers8x8, 10 games"
out="$(socket_games 8x8/basesWorkers8x8.xml 10 ai.RandomBiasedAI 3000)"
echo "$out"
wins=$(echo "$out" | grep -c "winner 0 " || true)
echo "wins: $wins / 10"
[ "$wins" -ge 9 ] || { echo "FAIL: fewer than 9 wins" >&2; fail=1; }

echo "== rts:workerrush (socket) vs microRTS WorkerRush, basesWorkers16x16, 2 games"
socket_games 16x16/basesWorkers16x16.xml 2 ai.abstraction.WorkerRush 4000

# Our scripted bots' games next to the Java bots' games (both deterministic): at least 20 of
# the 24 pairings must end with the same winner at the same cycle (all 24 as of this writing
# bar four on 16x16). Printed in full with --compare.
if true; then
    echo "== scripted bots: winner and final cycle, Java engine vs Ludus (UTT v2)"
    same=0
    printf "%-28s %-24s %-14s %-14s\n" map matchup java ludus
    for map in 8x8/basesWorkers8x8.xml 16x16/basesWorkers16x16.xml; do
        max=3000; [[ "$map" == 16x16* ]] && max=4000
        for a in WorkerRush LightRush HeavyRush RangedRush; do
            for b in WorkerRush LightRush HeavyRush RangedRush; do
                [ "$a" = "$b" ] && continue
                j=$(cd "$mrts" && java -cp "$cp" RunGame "maps/$map" 2 "ai.abstraction.$a" "ai.abstraction.$b" "$max" | awk '{print $4 "@" $6}')
                l=$("$ludus" rts play --map "$mrts/maps/$map" --max-cycles "$max" --p0 "rts:${a,,}" --p1 "rts:${b,,}" \
                    | awk '/^game/ {w = /player 0\) wins/ ? 0 : (/player 1\) wins/ ? 1 : -1); print w "@" $NF}')
                [ "$j" = "$l" ] && same=$((same + 1))
                if [ "$compare" = 1 ] || [ "$j" != "$l" ]; then
                    printf "%-28s %-24s %-14s %-14s\n" "$(basename "$map" .xml)" "$a-$b" "$j" "$l"
                fi
            done
        done
    done
    echo "identical games (winner and final cycle): $same of 24"
    [ "$same" -ge 20 ] || { echo "FAIL: fewer than 20 scripted games identical to Java's" >&2; fail=1; }
fi
if [ "$versus" = 1 ]; then
    echo "== our bots (socket) against microRTS's (UTT v2), one game per seat and map; score = wins + draws/2"
    printf "%-16s" "ours \\ java"
    java_bots="WorkerRush LightRush HeavyRush RangedRush"
    for j in $java_bots RandomBiasedAI; do printf "%-16s" "$j"; done
    echo
    for ours in workerrush lightrush heavyrush rangedrush randombiased; do
        "$ludus" rts serve --agent "rts:$ours" --port "$port" 2>/dev/null &
        server=$!
        sleep 0.3
        printf "%-16s" "$ours"
        for j in $java_bots RandomBiasedAI; do
            class="ai.abstraction.$j"; [ "$j" = RandomBiasedAI ] && class="ai.RandomBiasedAI"
            score=0; n=0
            for map in 8x8/basesWorkers8x8.xml 16x16/basesWorkers16x16.xml; do
                max=3000; [[ "$map" == 16x16* ]] && max=4000
                w0=$(cd "$mrts" && java -cp "$cp" RunGame "maps/$map" 2 "socket:$port" "$class" "$max" 2>/dev/null | awk '/^game/ {print $4}')
                w1=$(cd "$mrts" && java -cp "$cp" RunGame "maps/$map" 2 "$class" "socket:$port" "$max" 2>/dev/null | awk '/^game/ {print $4}')
                score=$(awk -v s="$score" -v a="$w0" -v b="$w1" 'BEGIN {
                    s += (a == 0) + (a == -1) / 2 + (b == 1) + (b == -1) / 2; print s }')
                n=$((n + 2))
            done
            printf "%-16s" "$score/$n"
        done
        echo
        kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true
    done
fi
exit "$fail"
