//! The serialized form of a [`GoState`] and its validation.
//!
//! ```json
//! {"size":5,"komi":7.5,"max_moves":50,
//!  "board":[".....",".....","..X..",".....","....."],
//!  "to_play":1,"move_number":1,"passes":0,"captures":[0,0],"history":[1234567890]}
//! ```
//!
//! `board` lists the rows from rank `size` down to rank 1 (as the board is drawn), `X` Black,
//! `O` White, `.` empty. `history` holds the Zobrist hashes of the board after every stone
//! played (the superko record), oldest first. Every field is checked on the way in: the chain
//! bookkeeping is rebuilt from the stones, and any contradiction is refused.

use ludus_core::GameError;
use serde::{Deserialize, Serialize};

use crate::game::{Go, GoConfig};
use crate::state::{GoState, BLACK, WHITE};

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct GoStateRepr {
    size: usize,
    komi: f32,
    max_moves: usize,
    board: Vec<String>,
    to_play: usize,
    move_number: usize,
    passes: usize,
    captures: [u32; 2],
    history: Vec<u64>,
}

impl From<GoState> for GoStateRepr {
    fn from(state: GoState) -> Self {
        let (to_play, move_number, passes, captures) = state.raw_counters();
        GoStateRepr {
            size: state.size(),
            komi: state.komi(),
            max_moves: state.max_moves(),
            board: state.board_rows(),
            to_play,
            move_number,
            passes,
            captures,
            history: state.history().to_vec(),
        }
    }
}

impl TryFrom<GoStateRepr> for GoState {
    type Error = GameError;

    fn try_from(repr: GoStateRepr) -> Result<Self, Self::Error> {
        let invalid = |msg: String| GameError::InvalidState(format!("go: {msg}"));
        let game = Go::new(GoConfig {
            size: repr.size,
            komi: repr.komi,
            max_moves: Some(repr.max_moves),
        })
        .map_err(|e| invalid(e.to_string()))?;
        let n = game.size();
        if repr.board.len() != n {
            return Err(invalid(format!(
                "board has {} rows, expected {n}",
                repr.board.len()
            )));
        }
        let mut stones = Vec::new();
        let mut on_board = [0usize; 2];
        for (i, line) in repr.board.iter().enumerate() {
            let row = n - 1 - i;
            if line.chars().count() != n {
                return Err(invalid(format!(
                    "board row {} (rank {}) has {} points, expected {n}",
                    i + 1,
                    row + 1,
                    line.chars().count()
                )));
            }
            for (col, ch) in line.chars().enumerate() {
                let colour = match ch {
                    'X' => BLACK,
                    'O' => WHITE,
                    '.' => continue,
                    other => {
                        return Err(invalid(format!(
                            "unexpected `{other}` on the board (use X, O or .)"
                        )))
                    }
                };
                on_board[usize::from(colour)] += 1;
                stones.push((row, col, colour));
            }
        }
        if repr.to_play > 1 || repr.to_play != repr.move_number % 2 {
            return Err(invalid(format!(
                "to_play {} does not match move_number {} (Black moves on even plies)",
                repr.to_play, repr.move_number
            )));
        }
        if repr.move_number > repr.max_moves {
            return Err(invalid(format!(
                "move_number {} exceeds max_moves {}",
                repr.move_number, repr.max_moves
            )));
        }
        if repr.passes > 2 {
            return Err(invalid(format!(
                "{} consecutive passes (the game ends at 2)",
                repr.passes
            )));
        }
        // Every stone ever played is on the board or was captured, and each left one history entry.
        let played =
            on_board[0] + on_board[1] + repr.captures[0] as usize + repr.captures[1] as usize;
        if repr.history.len() != played {
            return Err(invalid(format!(
                "{} history entries but {played} stones played (on the board plus captured)",
                repr.history.len()
            )));
        }
        if played + repr.passes > repr.move_number {
            return Err(invalid(format!(
                "{played} stones and {} trailing passes do not fit in {} moves",
                repr.passes, repr.move_number
            )));
        }
        let black_moves = repr.move_number.div_ceil(2);
        let white_moves = repr.move_number / 2;
        if on_board[0] + repr.captures[1] as usize > black_moves
            || on_board[1] + repr.captures[0] as usize > white_moves
        {
            return Err(invalid(
                "more stones of one colour (on the board plus captured) than that colour's moves"
                    .into(),
            ));
        }
        let mut sorted = repr.history.clone();
        sorted.sort_unstable();
        if sorted.windows(2).any(|w| w[0] == w[1]) {
            return Err(invalid(
                "a board repeats in the history, which positional superko forbids".into(),
            ));
        }
        GoState::from_parts(
            ludus_core::Game::initial_state(&game),
            &stones,
            repr.to_play as u8,
            repr.move_number,
            repr.passes as u8,
            repr.captures,
            repr.history,
        )
        .map_err(invalid)
    }
}
