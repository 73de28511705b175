//! `ludus game`: the state after a list of moves, as JSON.

use ludus_core::{Game, GameState};
use ludus_registry::{game_from_spec, GameVisitor, RegisteredGame};
use serde_json::json;

use crate::movelist::position_from_text;

/// Print the position after some moves as JSON: player to move, legal moves, whether the game
/// is over, returns and the board.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  ludus game --game go --moves d4,pass,pass
  ludus game --game connect4 --moves 4453
  ludus game --game othello --moves f5,d6")]
pub struct Args {
    /// The game (tictactoe, connect4, othello, go[:size=N:komi=K]).
    #[arg(long)]
    game: String,
    /// Moves from the start, comma-separated, in notation or as action numbers.
    #[arg(long, default_value = "", allow_hyphen_values = true)]
    moves: String,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    game_from_spec(&args.game)?.visit(Describe(args))
}

struct Describe(Args);

impl GameVisitor for Describe {
    type Output = anyhow::Result<()>;

    fn visit<G: RegisteredGame>(self, game: G) -> anyhow::Result<()> {
        let state = position_from_text(&game, &self.0.moves)?;
        println!(
            "{}",
            serde_json::to_string_pretty(&describe(&game, &state))?
        );
        Ok(())
    }
}

/// The JSON description of a position.
pub fn describe<G: Game>(game: &G, state: &G::State) -> serde_json::Value {
    let mut legal = Vec::new();
    state.legal_actions(&mut legal);
    let params: serde_json::Map<String, serde_json::Value> = game
        .params()
        .into_iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    json!({
        "game": game.name(),
        "params": params,
        "move_number": state.move_number(),
        "to_play": if state.is_terminal() { None } else { Some(state.to_play()) },
        "legal": legal.iter().map(|&a| json!({"action": a, "move": game.action_to_string(a)})).collect::<Vec<_>>(),
        "terminal": state.is_terminal(),
        "truncated": state.is_truncated(),
        "returns": game.returns(state),
        "hash": format!("{:016x}", state.position_hash()),
        "board": state.to_string(),
    })
}
