//! `ludus`: play games in the terminal, pit agents against each other, inspect positions, and
//! measure the engines. Every subcommand takes games and agents by the spec syntax of
//! `ludus-registry` (`go:size=13`, `mcts:sims=2000`).
//!
//! Errors are printed as one line on stderr and exit with status 2; nothing panics on bad input.

mod arena;
mod bench;
mod bench_nets;
mod episodes_cmd;
mod game_cmd;
mod human;
mod match_cmd;
mod move_cmd;
mod movelist;
mod perft_cmd;
mod play;
mod rts_cmd;
mod threads;
mod tournament;
mod train;
mod train_rts;

use std::process::ExitCode;

/// mimalloc keeps freed tensor buffers for reuse instead of returning them to the kernel after
/// every operation, as glibc does for large blocks (see `Cargo.toml`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Parser, Subcommand};

/// Ludus: self-play agents for board games — play, compare and inspect.
#[derive(Debug, Parser)]
#[command(name = "ludus", version, about, long_about = None, after_help = AFTER_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

const AFTER_HELP: &str = "\
Games:  tictactoe, connect4, othello, go[:size=5..19][:komi=K][:max_moves=N]
Agents: random, mcts[:sims=N][:c=X][:time=DUR], alphabeta[:depth=N][:time=DUR],
        solver[:nodes=N|unlimited] (connect4), human

Examples:
  ludus match --game connect4 --a alphabeta --b mcts:sims=1000 --games 20
  ludus play --game connect4 --opponent mcts:sims=2000 --first
  ludus game --game go --moves d4,pass,pass
  ludus tournament --game connect4 --agents random,mcts:sims=100,alphabeta:depth=4
  ludus train --game tictactoe
  ludus episodes list
  ludus rts play --map gen:16x16 --p0 rts:workerrush --p1 rts:lightrush --watch";

#[derive(Debug, Subcommand)]
enum Command {
    Play(play::Args),
    Match(match_cmd::Args),
    Game(game_cmd::Args),
    Move(move_cmd::Args),
    Perft(perft_cmd::Args),
    Bench(bench::Args),
    BenchNets(bench_nets::Args),
    Train(train::Args),
    Episodes(episodes_cmd::Args),
    Tournament(tournament::Args),
    Rts(rts_cmd::Args),
}

fn main() -> ExitCode {
    threads::pin();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return argument_error(err),
    };
    let result = match cli.command {
        Command::Play(args) => play::run(args),
        Command::Match(args) => match_cmd::run(args),
        Command::Game(args) => game_cmd::run(args),
        Command::Move(args) => move_cmd::run(args),
        Command::Perft(args) => perft_cmd::run(args),
        Command::Bench(args) => bench::run(args),
        Command::BenchNets(args) => bench_nets::run(args),
        Command::Train(args) => train::run(args),
        Command::Episodes(args) => episodes_cmd::run(args),
        Command::Tournament(args) => tournament::run(args),
        Command::Rts(args) => rts_cmd::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // A reader that stopped early (`ludus episodes show … | head`) is not an error.
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            // One line: the outermost context and its causes, joined.
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}

/// `--help` and `--version` print as clap prints them; a command-line mistake becomes one line
/// (clap's message with its details joined, without the usage block) and exit status 2.
fn argument_error(err: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match err.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = err.print();
            return ExitCode::SUCCESS;
        }
        // `ludus` with no subcommand: the help, as a usage error.
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = err.print();
            return ExitCode::from(2);
        }
        _ => {}
    }
    let text = err.to_string();
    let message: Vec<&str> = text
        .lines()
        .map(str::trim)
        .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
        .filter(|l| !l.is_empty())
        .collect();
    eprintln!("{} (see `ludus --help`)", message.join(" "));
    ExitCode::from(2)
}

/// Builds an agent for a match or a game: `human` is handled here (it needs the terminal), every
/// other spec by the registry.
pub(crate) fn build_agent<G: ludus_registry::RegisteredGame>(
    game: &G,
    spec: &str,
    seed: u64,
) -> anyhow::Result<Box<dyn ludus_core::Agent<G>>> {
    let parsed: ludus_core::Spec = spec.parse()?;
    if parsed.name() == "human" {
        parsed.finish(&[])?;
        return Ok(Box::new(human::HumanAgent::stdin(game.clone())));
    }
    Ok(ludus_registry::agent_from_spec(game, spec, seed)?)
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
