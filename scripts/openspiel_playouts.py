#!/usr/bin/env python3
"""Uniformly random playouts through OpenSpiel's Python API, as a speed baseline.

This is the OpenSpiel half of ``scripts/bench-vs-openspiel.sh``. It measures the
same loop that ``ludus bench --game GAME --json`` runs in Rust, so that the two
numbers can be divided:

    state = game.new_initial_state()
    while not state.is_terminal():
        state.apply_action(rng.choice(state.legal_actions()))

with ``rng = random.Random(seed)``, on one thread, for a fixed wall-clock budget
per game. Only whole games are counted: the loop checks the clock after each
finished game and stops at the first game that ends past the budget, so
``seconds`` is the measured time (slightly above the budget), not the budget.

For each game it prints one JSON line in the same format as ``ludus bench``,
plus an ``impl`` field::

    {"impl":"openspiel-python","game":"connect4","games":1234,"plies":45678,
     "seconds":3.0,"plies_per_sec":15226.0,"games_per_sec":411.3}

``game`` uses the Ludus names (``tictactoe``, ``connect4``, ``othello``,
``go``) so the two outputs can be joined on it.

Games and parameters
--------------------
* ``tictactoe`` -> ``tic_tac_toe`` (at most 9 plies).
* ``connect4`` -> ``connect_four`` (7 columns, 6 rows, 4 in a row; at most 42
  plies).
* ``othello`` -> ``othello`` (8x8; a forced pass is an explicit action and
  counts as a ply, at most 128 plies).
* ``go`` -> ``go`` with ``board_size=9, komi=7.5`` (82 actions, pass = 81).

Game length differs between implementations, which is why the comparison is
plies/s rather than games/s. OpenSpiel's Go (``open_spiel/games/go/go.cc``)
ends a game when the last two actions are both passes, when the history reaches
``max_game_length`` (default ``2 * board_size**2`` = 162 plies on 9x9, after
which the board is scored as it stands), or as soon as a non-pass move repeats
an earlier whole-board position (positional superko: the game stops at once and
is scored a draw). Legal moves exclude suicide and simple ko only. Pass is
always legal, so a uniformly random player passes with probability
1/(legal moves + 1): random games on 9x9 mostly end by two passes. With seed 0,
300 games averaged 120 plies (shortest 9), 35 of them hit the 162-ply cap and
none ended by superko. A Ludus Go with a different cap or pass rule will play
games of a different length, so compare plies/s.

Requirements
------------
``open_spiel==2.0.2`` (see ``scripts/requirements-bench.txt``). It was
checked that this wheel installs and runs on CPython 3.11 on x86_64 Linux
(manylinux); it pulls numpy, scipy, absl-py, ml-collections, attrs and PyYAML.
``scripts/bench-vs-openspiel.sh`` installs it into ``.venv-bench``.

Usage::

    .venv-bench/bin/python scripts/openspiel_playouts.py [--game GAME ...]
        [--seconds 3.0] [--seed 0]

Pin to one core for a fair single-thread figure: ``taskset -c 0 python ...``.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time

# Ludus game name -> (OpenSpiel short name, OpenSpiel game parameters).
GAMES: dict[str, tuple[str, dict[str, object]]] = {
    "tictactoe": ("tic_tac_toe", {}),
    "connect4": ("connect_four", {}),
    "othello": ("othello", {}),
    "go": ("go", {"board_size": 9, "komi": 7.5}),
}

IMPL = "openspiel-python"


def run_playouts(game, seconds: float, seed: int) -> dict[str, float | int]:
    """Plays uniformly random games until ``seconds`` have passed.

    At least one game is always played, so a tiny budget still yields a
    non-zero count rather than a division by zero.
    """
    rng = random.Random(seed)
    choice = rng.choice  # bound once, as any tuned Python loop would
    new_state = game.new_initial_state
    clock = time.perf_counter

    games = 0
    plies = 0
    start = clock()
    deadline = start + seconds
    while True:
        state = new_state()
        while not state.is_terminal():
            state.apply_action(choice(state.legal_actions()))
            plies += 1
        games += 1
        now = clock()
        if now >= deadline:
            break
    elapsed = now - start
    return {
        "games": games,
        "plies": plies,
        "seconds": round(elapsed, 3),
        "plies_per_sec": round(plies / elapsed, 1),
        "games_per_sec": round(games / elapsed, 1),
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Random-playout speed of OpenSpiel's Python API "
        "(one JSON line per game).",
    )
    parser.add_argument(
        "--game",
        action="append",
        choices=sorted(GAMES),
        help="game to measure, by its Ludus name; repeat for several "
        "(default: tictactoe, connect4, othello, go)",
    )
    parser.add_argument(
        "--seconds",
        type=float,
        default=3.0,
        help="wall-clock budget per game in seconds (default: 3.0)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed of random.Random; each game starts from it (default: 0)",
    )
    args = parser.parse_args(argv)
    if not args.seconds > 0:
        parser.error("--seconds must be positive")
    if args.game is None:
        args.game = list(GAMES)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        import pyspiel
    except ImportError:
        print(
            "error: pyspiel is not importable; install it with "
            "`pip install -r scripts/requirements-bench.txt` "
            "(or run scripts/bench-vs-openspiel.sh, which uses .venv-bench)",
            file=sys.stderr,
        )
        return 2

    for name in args.game:
        short_name, params = GAMES[name]
        game = pyspiel.load_game(short_name, params)
        result = {"impl": IMPL, "game": name}
        result.update(run_playouts(game, args.seconds, args.seed))
        print(json.dumps(result, separators=(",", ":")), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
