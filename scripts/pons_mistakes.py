#!/usr/bin/env python3
"""Mistake rate of a Ludus agent on Pascal Pons' Connect Four benchmark sets.

For every position of an analysed set (`../shared/data/connect4-pons/analyzed/*.tsv`: the moves,
then the perfect-play score of each column from the mover's view), the agent picks a move with
`ludus move --positions`; the pick is a mistake when another legal column has a strictly better
outcome (win > draw > loss, the sign of the score) — the convention of AlphaZero.jl's benchmark.

    scripts/pons_mistakes.py --agent alphabeta:depth=5 [--ludus target/release/ludus] [SET.tsv …]

With no set given it uses every complete analysed set beside the checkout. Prints one line per
set: name, positions, mistakes, rate.
"""
import argparse
import glob
import os
import subprocess
import sys


def sign(x):
    return (x > 0) - (x < 0)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default_dir = os.path.join(here, "..", "..", "shared", "data", "connect4-pons", "analyzed")
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--agent", required=True, help="agent spec, e.g. alphabeta:depth=5")
    ap.add_argument("--ludus", default=os.path.join(here, "..", "target", "release", "ludus"))
    ap.add_argument("--threads", default=None)
    ap.add_argument("--limit", type=int, default=0, help="only the first N positions of each set")
    ap.add_argument("sets", nargs="*")
    args = ap.parse_args()
    sets = args.sets or sorted(
        p for p in glob.glob(os.path.join(default_dir, "*.tsv")) if "ply" not in os.path.basename(p)
    )
    if not sets:
        sys.exit(f"pons_mistakes: no analysed sets found in {default_dir}; pass their paths")
    if not os.access(args.ludus, os.X_OK):
        sys.exit(f"pons_mistakes: no ludus binary at {args.ludus}; run `cargo build --release` first")
    for path in sets:
        rows = []
        with open(path) as f:
            header = f.readline().rstrip("\n").split("\t")
            cols = [header.index(f"s{c}") for c in range(1, 8)]
            for line in f:
                fields = line.rstrip("\n").split("\t")
                scores = [int(fields[i]) if fields[i] != "" else None for i in cols]
                rows.append((fields[0], scores))
        if args.limit:
            rows = rows[: args.limit]
        cmd = [args.ludus, "move", "--game", "connect4", "--agent", args.agent, "--positions", "-"]
        if args.threads:
            cmd += ["--threads", args.threads]
        out = subprocess.run(cmd, input="\n".join(m for m, _ in rows) + "\n",
                             capture_output=True, text=True)
        if out.returncode != 0:
            sys.exit(f"pons_mistakes: ludus failed on {path}: {out.stderr.strip()}")
        picks = out.stdout.split()
        if len(picks) != len(rows):
            sys.exit(f"pons_mistakes: expected {len(rows)} moves, got {len(picks)}")
        mistakes = 0
        for (_, scores), pick in zip(rows, picks):
            best = max(sign(s) for s in scores if s is not None)
            chosen = scores[int(pick) - 1]
            if chosen is None:
                sys.exit(f"pons_mistakes: agent played full column {pick}")
            mistakes += sign(chosen) < best
        name = os.path.basename(path).removesuffix(".tsv")
        print(f"{name}\t{len(rows)}\t{mistakes}\t{100.0 * mistakes / len(rows):.1f} %")


if __name__ == "__main__":
    main()
