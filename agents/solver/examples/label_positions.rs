//! Samples Connect Four positions and labels every move with the solver's exact score: the
//! generator of `data/connect4-eval.tsv` (see `ludus_solver::eval_set` for the sampling and the
//! file format).
//!
//! ```text
//! nice cargo run --release -p ludus-solver --example label_positions -- \
//!     --count 1000 --min-ply 8 --max-ply 30 --seed 1 > agents/solver/data/connect4-eval.tsv
//! ```
//!
//! Options (all optional): `--count N` positions (default 1000), `--min-ply A` and
//! `--max-ply B` stones on the board (default 8 and 30), `--seed S` (default 1), `--tt-mb M`
//! solver table size in MiB (default 256; it changes only the speed). The output depends only
//! on count, plies and seed. Progress and a summary go to stderr. One thread: a position with
//! 8 stones takes up to half a minute, the whole default run about 6 minutes of CPU time.

use std::collections::HashSet;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use ludus_baselines::{AlphaBetaAgent, AlphaBetaConfig, DefaultEvaluator};
use ludus_connect4::{ConnectFour, ConnectFourState};
use ludus_core::{seeded_rng, Agent, Game, GameState, LudusRng};
use ludus_solver::eval_set::TSV_HEADER;
use ludus_solver::{LabelledPosition, Position, Solver, CELLS, WIDTH};
use rand::Rng;

const USAGE: &str = "usage: label_positions [--count N] [--min-ply A] [--max-ply B] [--seed S] \
                     [--tt-mb M]  (TSV on stdout)";

/// Chance that a sampled game's move is uniformly random rather than searched.
const RANDOM_MOVE_PROBABILITY: f64 = 0.5;

/// Depths of the alpha-beta searches that play the other moves; one is drawn per game.
const SEARCH_DEPTHS: [u32; 3] = [2, 3, 4];

/// Games tried for one position before giving up: at very high plies (one column left) or
/// after many positions of one ply, no new position that tells moves apart may remain.
const MAX_TRIES: usize = 100_000;

#[derive(Debug)]
struct Args {
    count: usize,
    min_ply: usize,
    max_ply: usize,
    seed: u64,
    tt_megabytes: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        count: 1000,
        min_ply: 8,
        max_ply: 30,
        seed: 1,
        tt_megabytes: 256,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--help" || flag == "-h" {
            return Err(String::new());
        }
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        let number = |what: &str| {
            value
                .parse::<u64>()
                .map_err(|_| format!("{flag}: `{value}` is not {what}"))
        };
        match flag.as_str() {
            "--count" => args.count = number("a count")? as usize,
            "--min-ply" => args.min_ply = number("a ply")? as usize,
            "--max-ply" => args.max_ply = number("a ply")? as usize,
            "--seed" => args.seed = number("a seed")?,
            "--tt-mb" => args.tt_megabytes = number("a size in MiB")? as usize,
            _ => return Err(format!("unknown option `{flag}`")),
        }
    }
    if args.min_ply > args.max_ply || args.max_ply >= CELLS as usize {
        return Err(format!(
            "need min-ply <= max-ply < {CELLS}, got {}..{}",
            args.min_ply, args.max_ply
        ));
    }
    Ok(args)
}

/// The moves of one sampled game, and where it stands after them.
struct Sample {
    moves: String,
    state: ConnectFourState,
}

/// Plays a game of `target` plies, each move random with [`RANDOM_MOVE_PROBABILITY`] and
/// otherwise searched; `None` when the game ends first.
fn play_to(
    rng: &mut LudusRng,
    target: usize,
    searchers: &mut [AlphaBetaAgent<ConnectFour>],
) -> Option<Sample> {
    let game_seed = rng.random::<u64>();
    let searcher = &mut searchers[rng.random_range(0..searchers.len())];
    searcher.new_game(game_seed);
    let mut state = ConnectFour.initial_state();
    let mut moves = String::with_capacity(target);
    let mut legal = Vec::with_capacity(WIDTH);
    while state.num_moves() < target {
        let column = if rng.random_bool(RANDOM_MOVE_PROBABILITY) {
            state.legal_actions(&mut legal);
            legal[rng.random_range(0..legal.len())]
        } else {
            searcher.select_action(&state).ok()?
        };
        state.apply(column).ok()?;
        moves.push(char::from(b'1' + column as u8));
        if state.is_terminal() {
            return None;
        }
    }
    Some(Sample { moves, state })
}

/// The outcome (1 win, 0 draw, −1 loss) of each legal move, by the fast sign-only search.
fn outcomes(solver: &mut Solver, pos: &Position) -> Vec<i32> {
    (0..WIDTH)
        .filter(|&c| pos.can_play(c))
        .map(|c| {
            if pos.is_winning_move(c) {
                1
            } else {
                let mut child = *pos;
                child.play(c).expect("an open column of a live game");
                -solver.weak_solve(&child)
            }
        })
        .collect()
}

#[derive(Debug, Default)]
struct Tally {
    games: usize,
    ended_early: usize,
    duplicates: usize,
    uninformative: usize,
    solve_time: Duration,
    slowest: (Duration, String),
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("label_positions: {message}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let start = Instant::now();
    let mut rng = seeded_rng(args.seed);
    let mut searchers: Vec<AlphaBetaAgent<ConnectFour>> = SEARCH_DEPTHS
        .iter()
        .map(|&depth| {
            let config = AlphaBetaConfig {
                depth: Some(depth),
                max_time: None,
            };
            AlphaBetaAgent::new(ConnectFour, config, ConnectFour::default_evaluator(), 0)
        })
        .collect();
    let mut solver = Solver::new(args.tt_megabytes);
    let mut seen = HashSet::new();
    let mut rows = Vec::with_capacity(args.count);
    let mut tally = Tally::default();
    let span = args.max_ply - args.min_ply + 1;

    for i in 0..args.count {
        // Round-robin over the plies: every ply gets the same number of positions.
        let target = args.min_ply + i % span;
        let mut tries = 0;
        let row = loop {
            tries += 1;
            if tries > MAX_TRIES {
                eprintln!(
                    "label_positions: no new informative position with {target} stones in \
                     {MAX_TRIES} games; lower --max-ply or --count"
                );
                return ExitCode::FAILURE;
            }
            tally.games += 1;
            let Some(sample) = play_to(&mut rng, target, &mut searchers) else {
                tally.ended_early += 1;
                continue;
            };
            let pos = Position::from(&sample.state);
            if !seen.insert(pos.key().min(pos.mirrored().key())) {
                tally.duplicates += 1;
                continue;
            }
            let solve_start = Instant::now();
            let classes = outcomes(&mut solver, &pos);
            if classes.iter().all(|&c| c == classes[0]) {
                tally.uninformative += 1;
                tally.solve_time += solve_start.elapsed();
                continue;
            }
            let scores = solver.analyze(&pos).map(|score| {
                score.map(|s| i8::try_from(s).expect("Connect Four scores lie within ±18"))
            });
            let elapsed = solve_start.elapsed();
            tally.solve_time += elapsed;
            if elapsed > tally.slowest.0 {
                tally.slowest = (elapsed, sample.moves.clone());
            }
            let exact: Vec<i32> = scores
                .iter()
                .flatten()
                .map(|&s| i32::from(s.signum()))
                .collect();
            assert_eq!(
                exact, classes,
                "{}: exact and sign-only solves disagree",
                sample.moves
            );
            break LabelledPosition::new(&sample.moves, scores)
                .expect("a sampled position and its analysis are consistent");
        };
        rows.push(row);
        if (i + 1) % 100 == 0 {
            eprintln!(
                "label_positions: {} positions, {} games, {:.0} s",
                i + 1,
                tally.games,
                start.elapsed().as_secs_f64()
            );
        }
    }

    rows.sort_by(|a, b| (a.ply(), a.moves()).cmp(&(b.ply(), b.moves())));
    println!("{TSV_HEADER}");
    for row in &rows {
        println!("{row}");
    }
    let can_win_now = rows
        .iter()
        .filter(|r| (0..WIDTH).any(|c| r.state().is_winning_move(c)))
        .count();
    let best = |outcome: i8| rows.iter().filter(|r| r.best_outcome() == outcome).count();
    eprintln!(
        "label_positions: best outcome for the mover: {} wins, {} draws, {} losses; {} \
         positions with an immediate win",
        best(1),
        best(0),
        best(-1),
        can_win_now
    );
    eprintln!(
        "label_positions: {} positions from {} games ({} ended before the target ply, {} \
         duplicates, {} with every move optimal) in {:.1} s, {:.1} s solving; slowest {:.2} s \
         ({})",
        rows.len(),
        tally.games,
        tally.ended_early,
        tally.duplicates,
        tally.uninformative,
        start.elapsed().as_secs_f64(),
        tally.solve_time.as_secs_f64(),
        tally.slowest.0.as_secs_f64(),
        tally.slowest.1
    );
    ExitCode::SUCCESS
}
