//! `ludus play`: a human against an agent in the terminal.

use anyhow::Context;
use ludus_core::{Agent, AgentError, GameState};
use ludus_registry::{game_from_spec, GameVisitor, RegisteredGame};

use crate::{build_agent, human::HumanAgent};

/// Play against an agent in the terminal. The board is shown after every move; type a move in
/// the game's notation, `moves` to list the legal ones, `quit` to stop.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  ludus play --game connect4 --opponent mcts:sims=2000 --first
  ludus play --game tictactoe --opponent alphabeta
  ludus play --game go:size=9 --opponent mcts:time=2s")]
pub struct Args {
    /// The game (tictactoe, connect4, othello, go[:size=N:komi=K]).
    #[arg(long, default_value = "connect4")]
    game: String,
    /// Who you play against (random, mcts[:sims=N], alphabeta[:depth=N], solver).
    #[arg(long, default_value = "mcts:sims=2000")]
    opponent: String,
    /// You move first (otherwise the opponent does).
    #[arg(long)]
    first: bool,
    /// Seed of the opponent's random choices.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    game_from_spec(&args.game)?.visit(Play(args))
}

struct Play(Args);

impl GameVisitor for Play {
    type Output = anyhow::Result<()>;

    fn visit<G: RegisteredGame>(self, game: G) -> anyhow::Result<()> {
        let args = self.0;
        if args.opponent.trim().eq_ignore_ascii_case("human") {
            anyhow::bail!("--opponent must be a computer agent (random, mcts, alphabeta, solver), not `human`");
        }
        let mut opponent = build_agent(&game, &args.opponent, args.seed)
            .with_context(|| format!("building the opponent `{}`", args.opponent))?;
        let mut human = HumanAgent::stdin(game.clone());
        let human_seat = if args.first { 0 } else { 1 };
        let mut state = game.initial_state();
        println!(
            "{} — you are player {} ({}), against {}.",
            game.name(),
            human_seat + 1,
            if args.first {
                "moving first"
            } else {
                "moving second"
            },
            opponent.name()
        );
        while !state.is_terminal() {
            println!("\n{state}");
            let mover = state.to_play();
            let choice = if mover == human_seat {
                human.select_action(&state)
            } else {
                opponent.select_action(&state)
            };
            let action = match choice {
                Ok(a) => a,
                Err(AgentError::Aborted) => {
                    println!("\nGame stopped.");
                    return Ok(());
                }
                Err(e) => return Err(e).context("choosing a move"),
            };
            if mover != human_seat {
                println!(
                    "{} plays {}",
                    opponent.name(),
                    game.action_to_string(action)
                );
                if let Some(report) = opponent.last_move_report() {
                    println!("  {report}");
                }
            }
            state
                .apply(action)
                .with_context(|| format!("{} chose an illegal move", opponent.name()))?;
        }
        println!("\n{state}");
        let result = state.player_return(human_seat);
        println!(
            "{}",
            if result > 0.0 {
                "You win!"
            } else if result < 0.0 {
                "You lose."
            } else {
                "Draw."
            }
        );
        Ok(())
    }
}
