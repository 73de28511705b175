//! `ludus bench`: seeded random playouts on one thread, the environment-speed figure that the
//! comparison with OpenSpiel (`scripts/bench-vs-openspiel.sh`) reads.

use std::time::{Duration, Instant};

use ludus_core::{random_playout, seeded_rng};
use ludus_registry::{game_from_spec, GameVisitor, RegisteredGame};
use serde_json::json;

/// Time uniformly random playouts (pick a random legal move, apply, repeat) on one thread.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  ludus bench --game connect4 --seconds 3
  ludus bench --game go:size=19 --json")]
pub struct Args {
    /// The game (tictactoe, connect4, othello, go[:size=N]).
    #[arg(long)]
    game: String,
    /// How long to run, in seconds.
    #[arg(long, default_value_t = 3.0)]
    seconds: f64,
    /// Seed of the random moves.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Print one JSON line instead of text.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    if !(args.seconds.is_finite() && args.seconds > 0.0 && args.seconds <= 3600.0) {
        anyhow::bail!("--seconds must be between 0 and 3600, got {}", args.seconds);
    }
    game_from_spec(&args.game)?.visit(Bench(args))
}

struct Bench(Args);

impl GameVisitor for Bench {
    type Output = anyhow::Result<()>;

    fn visit<G: RegisteredGame>(self, game: G) -> anyhow::Result<()> {
        let budget = Duration::from_secs_f64(self.0.seconds);
        let mut rng = seeded_rng(self.0.seed);
        let mut scratch = Vec::new();
        let initial = game.initial_state();
        let (mut games, mut plies) = (0u64, 0u64);
        let start = Instant::now();
        // Check the clock every batch of games, not every game: reading it costs ~20 ns.
        while start.elapsed() < budget {
            for _ in 0..64 {
                let (_, n) = random_playout(&initial, &mut rng, &mut scratch);
                plies += n as u64;
                games += 1;
            }
        }
        let secs = start.elapsed().as_secs_f64();
        let (pps, gps) = (plies as f64 / secs, games as f64 / secs);
        if self.0.json {
            let line = json!({
                "impl": "ludus", "game": game.name(), "games": games, "plies": plies,
                "seconds": secs, "plies_per_sec": pps, "games_per_sec": gps,
            });
            println!("{line}");
        } else {
            println!(
                "{}: {games} random playouts, {plies} plies in {secs:.2} s: {pps:.0} plies/s, {gps:.0} games/s (1 thread)",
                game.name()
            );
        }
        Ok(())
    }
}
