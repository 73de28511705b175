//! `ludus move`: an agent's chosen move for one position or a file of positions.

use std::{
    io::{self, BufRead, Write},
    sync::{
        atomic::{AtomicUsize, Ordering},
        Mutex,
    },
    time::Instant,
};

use anyhow::{bail, Context};
use ludus_core::{derive_seed, GameState};
use ludus_registry::{game_from_spec, GameVisitor, RegisteredGame};

use crate::{build_agent, movelist::position_from_text};

/// Print an agent's move for one position (`--moves`), or for many: `--positions FILE` (or `-`
/// for stdin) has one move list per line, and one chosen move per line comes out, in order.
/// Only the first whitespace-separated field of each line is read, so Pascal Pons' benchmark
/// files (`4453 -2`) can be given as they are; an empty line is the initial position.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  ludus move --game connect4 --agent solver --moves 4453
  ludus move --game connect4 --agent mcts:sims=1000 --positions Test_L2_R1
  echo d4,e5 | ludus move --game go --agent alphabeta:depth=2 --positions -")]
pub struct Args {
    /// The game (tictactoe, connect4, othello, go[:size=N:komi=K]).
    #[arg(long)]
    game: String,
    /// The agent (random, mcts[:sims=N], alphabeta[:depth=N], solver).
    #[arg(long)]
    agent: String,
    /// The position, as moves from the start (comma-separated).
    #[arg(long, conflicts_with = "positions")]
    moves: Option<String>,
    /// A file with one move list per line, or `-` for standard input.
    #[arg(long)]
    positions: Option<String>,
    /// Worker threads for --positions (default: all cores).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1024))]
    threads: Option<u64>,
    /// Seed of the agent's random choices (position i uses a seed derived from it and i).
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    game_from_spec(&args.game)?.visit(ChooseMove(args))
}

struct ChooseMove(Args);

impl GameVisitor for ChooseMove {
    type Output = anyhow::Result<()>;

    fn visit<G: RegisteredGame>(self, game: G) -> anyhow::Result<()> {
        let args = self.0;
        if args.agent.trim().eq_ignore_ascii_case("human") {
            bail!("`ludus move` needs a computer agent; `human` is for `ludus play`");
        }
        build_agent(&game, &args.agent, args.seed)
            .with_context(|| format!("agent `{}`", args.agent))?;
        let lines: Vec<String> = match &args.positions {
            None => vec![args.moves.clone().unwrap_or_default()],
            Some(path) if path == "-" => io::stdin()
                .lock()
                .lines()
                .collect::<Result<_, _>>()
                .context("reading positions from standard input")?,
            Some(path) => std::fs::read_to_string(path)
                .with_context(|| format!("reading positions file `{path}`"))?
                .lines()
                .map(str::to_string)
                .collect(),
        };
        // Read every position first, so that a bad line fails before any work is done.
        let mut states = Vec::with_capacity(lines.len());
        for (i, line) in lines.iter().enumerate() {
            // Files may carry more fields (Pons' scores): only the first is the move list. A
            // `--moves` argument is a whole move list, spaces included.
            let moves = if args.positions.is_some() {
                line.split_whitespace().next().unwrap_or("")
            } else {
                line.as_str()
            };
            let state = position_from_text(&game, moves)
                .with_context(|| format!("position on line {}", i + 1))?;
            if state.is_terminal() {
                bail!(
                    "position on line {} is already over: there is no move to choose",
                    i + 1
                );
            }
            states.push(state);
        }

        let threads = args
            .threads
            .map(|t| t as usize)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
            .clamp(1, states.len().max(1));
        let next = AtomicUsize::new(0);
        let chosen: Mutex<Vec<Option<anyhow::Result<String>>>> =
            Mutex::new((0..states.len()).map(|_| None).collect());
        let start = Instant::now();
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(|| {
                    // One agent per thread, reseeded per position: caches (a solver's table)
                    // carry over, choices depend only on the seed and the line number (except a budgeted
                    // solver's, see `SolverAgent`).
                    let mut agent = build_agent(&game, &args.agent, args.seed);
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= states.len() {
                            break;
                        }
                        let result = match agent.as_mut() {
                            Ok(agent) => {
                                agent.new_game(derive_seed(args.seed, i as u64));
                                agent.select_action(&states[i]).map_err(anyhow::Error::from)
                            }
                            Err(e) => Err(anyhow::anyhow!("{e:#}")),
                        }
                        .map(|a| game.action_to_string(a))
                        .with_context(|| format!("position on line {}", i + 1));
                        chosen.lock().expect("results lock")[i] = Some(result);
                    }
                });
            }
        });
        let mut out = io::stdout().lock();
        for result in chosen.into_inner().expect("results lock") {
            writeln!(out, "{}", result.expect("every position was handled")?)?;
        }
        if states.len() > 1 {
            eprintln!(
                "{} positions in {:.2} s with {threads} threads",
                states.len(),
                start.elapsed().as_secs_f64()
            );
        }
        Ok(())
    }
}
