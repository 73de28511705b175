//! `ludus perft`: move-generator counts and speed.

use std::time::Instant;

use ludus_core::perft;
use ludus_registry::{game_from_spec, GameVisitor, RegisteredGame};

use crate::movelist::position_from_text;

/// Count the move sequences of exactly 1..=D plies (sequences that end earlier are not counted),
/// with the time and leaf nodes per second at each depth.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  ludus perft --game othello --depth 8
  ludus perft --game connect4 --depth 9 --moves 4,4")]
pub struct Args {
    /// The game (tictactoe, connect4, othello, go[:size=N]).
    #[arg(long)]
    game: String,
    /// The deepest depth to count (1–30).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=30))]
    depth: u32,
    /// Count from the position after these moves (comma-separated).
    #[arg(long, default_value = "")]
    moves: String,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    game_from_spec(&args.game)?.visit(Perft(args))
}

struct Perft(Args);

impl GameVisitor for Perft {
    type Output = anyhow::Result<()>;

    fn visit<G: RegisteredGame>(self, game: G) -> anyhow::Result<()> {
        let state = position_from_text(&game, &self.0.moves)?;
        println!(
            "{:>5} {:>16} {:>10} {:>14}",
            "depth", "sequences", "seconds", "nodes/s"
        );
        for depth in 1..=self.0.depth as usize {
            let start = Instant::now();
            let count = perft(&state, depth);
            let secs = start.elapsed().as_secs_f64();
            println!(
                "{depth:>5} {count:>16} {secs:>10.3} {:>14.0}",
                count as f64 / secs.max(1e-9)
            );
        }
        Ok(())
    }
}
