//! Reading move lists typed by users or stored in files.

use anyhow::{bail, Context};
use ludus_core::{Action, Game, GameState};

/// Parses a comma- or space-separated move list (`d4,pass,pass`, `4 4 5`) in notation or as
/// action numbers. A token of digits that is not itself a move is read digit by digit, so Pascal
/// Pons' Connect Four sequences (`4453`) work as they are.
pub fn parse_move_list<G: Game>(game: &G, text: &str) -> anyhow::Result<Vec<Action>> {
    let mut actions = Vec::new();
    for token in text
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|t| !t.is_empty())
    {
        match game.parse_move(token) {
            Ok(a) => actions.push(a),
            Err(err) => {
                let digits: Option<Vec<Action>> = token
                    .chars()
                    .map(|c| {
                        c.is_ascii_digit()
                            .then(|| game.parse_action(&c.to_string()).ok())
                            .flatten()
                    })
                    .collect();
                match digits {
                    Some(list) if token.len() > 1 => actions.extend(list),
                    _ => return Err(err.into()),
                }
            }
        }
    }
    Ok(actions)
}

/// Plays `moves` from the initial position, naming the move that fails and what is legal there.
pub fn play_move_list<G: Game>(game: &G, moves: &[Action]) -> anyhow::Result<G::State> {
    let mut state = game.initial_state();
    for (i, &action) in moves.iter().enumerate() {
        if let Err(err) = state.apply(action) {
            let legal = legal_moves_text(game, &state);
            bail!(
                "move {} (`{}`) cannot be played: {err}; legal moves there: {legal}",
                i + 1,
                game.action_to_string(action)
            );
        }
    }
    Ok(state)
}

/// Parses and plays a move list given as text.
pub fn position_from_text<G: Game>(game: &G, text: &str) -> anyhow::Result<G::State> {
    let moves = parse_move_list(game, text).context("reading the move list")?;
    play_move_list(game, &moves)
}

/// The legal moves in notation, space-separated, or `none (the game is over)`.
pub fn legal_moves_text<G: Game>(game: &G, state: &G::State) -> String {
    let mut legal = Vec::new();
    state.legal_actions(&mut legal);
    if legal.is_empty() {
        return "none (the game is over)".into();
    }
    legal
        .iter()
        .map(|&a| game.action_to_string(a))
        .collect::<Vec<_>>()
        .join(" ")
}
