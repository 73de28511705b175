//! Tic-tac-toe on two 9-bit bitboards.
//!
//! # Rules
//! The usual game (noughts and crosses, as in OpenSpiel's `tic_tac_toe`): two players take turns
//! placing their mark on an empty cell of a 3×3 grid, X (player 0) first. Three marks of one
//! player in a row, column or diagonal win at once; a full grid without such a line is a draw.
//! A won game has no legal move left.
//!
//! # Parameters
//! None: [`TicTacToe`] is a unit struct and [`Game::params`] is empty.
//!
//! # Actions and notation
//! Nine actions, row-major from the top-left: action `row * 3 + col`, row 0 being the top row.
//! Notation is the column letter (`a` = left) then the row number counted from the top
//! (`1` = top row): `a1` = 0, `b2` = 4, `c3` = 8, `c1` = 2. Read case-insensitively with
//! surrounding whitespace ignored.
//!
//! # Observation
//! Shape `[2, 3, 3]`, cells in action order, from the point of view of the player to move:
//! 0. the mover's marks,
//! 1. the opponent's marks.
//!
//! Whose turn it is needs no plane: the rules treat X and O alike, so the mover's colour does not
//! change the value of a position (and it follows from the mark counts anyway).
//!
//! # Symmetries
//! All eight symmetries of the square ([`Symmetry::square_board`]): the empty grid and the rules
//! are invariant under every rotation and reflection.
//!
//! # Hash
//! Zobrist over (player, cell), plus one key when O is to move, updated incrementally.
//!
//! # Example
//! ```
//! use ludus_core::{Game, GameState};
//! use ludus_tictactoe::TicTacToe;
//!
//! let game = TicTacToe;
//! let state = game.play_moves(&["b2", "a1", "c1", "a3", "a2", "c2", "b1", "b3", "c3"])?;
//! assert!(state.is_terminal());
//! assert_eq!(state.winner(), None); // a draw
//! assert_eq!(state.cell(4), Some(0)); // X holds the centre
//!
//! let won = game.play_moves(&["a1", "b1", "b2", "c1", "c3"])?; // X: a1, b2, c3
//! assert_eq!(won.winner(), Some(0));
//! assert_eq!(game.returns(&won), [1.0, -1.0]);
//! # Ok::<(), ludus_core::GameError>(())
//! ```

use std::fmt;

use ludus_core::{zobrist_keys, Action, Game, GameError, GameState, Player, Symmetry};
use rand::Rng;
use serde::{Deserialize, Serialize};

/// Number of cells (and of actions).
const CELLS: usize = 9;
/// The bits of the nine cells.
const FULL: u16 = (1 << CELLS) - 1;
/// The eight lines of three: rows, columns, diagonals, as bit sets over cells `row * 3 + col`
/// (public for evaluators).
pub const LINES: [u16; 8] = [
    0b000_000_111,
    0b000_111_000,
    0b111_000_000,
    0b001_001_001,
    0b010_010_010,
    0b100_100_100,
    0b100_010_001,
    0b001_010_100,
];
/// Zobrist keys: `KEYS[player * 9 + cell]`, then the O-to-move key at index 18.
const KEYS: [u64; 2 * CELLS + 1] = zobrist_keys(0x7177_7AC7_0E00);
const O_TO_MOVE: usize = 2 * CELLS;

/// `NTH_EMPTY[empty][k]` is the `k`-th cell set in the 9-bit set `empty`: one lookup instead of
/// a loop whose trip count (and so a branch) changes with every random move.
const NTH_EMPTY: [[u8; CELLS]; 1 << CELLS] = {
    let mut table = [[0u8; CELLS]; 1 << CELLS];
    let mut set = 0;
    while set < 1 << CELLS {
        let (mut cell, mut k) = (0, 0);
        while cell < CELLS {
            if set & (1 << cell) != 0 {
                table[set][k] = cell as u8;
                k += 1;
            }
            cell += 1;
        }
        set += 1;
    }
    table
};
const EXPECTED_CELL: &str =
    "a cell a1–c3 (column letter a–c, then row number 1–3 counted from the top)";

/// Whether `marks` contain a full line.
fn has_line(marks: u16) -> bool {
    LINES.iter().any(|&line| line & !marks == 0)
}

/// Tic-tac-toe: 3×3, X (player 0) first, three in a row wins. No parameters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TicTacToe;

/// A tic-tac-toe position: each player's marks as a 9-bit board (bit = action index).
///
/// Everything else is derived from the marks and cached because search reads it constantly:
/// the ply count, whether the last move won, and the Zobrist hash. Serialized as the grid text
/// (`{"board":"X.O/.X./..O"}`, rows top first) and validated on the way in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "StateRepr", into = "StateRepr")]
pub struct TicTacToeState {
    marks: [u16; 2],
    moves: u8,
    /// The last move completed a line: the player who made it has won.
    won: bool,
    hash: u64,
}

impl TicTacToeState {
    fn empty() -> Self {
        TicTacToeState {
            marks: [0; 2],
            moves: 0,
            won: false,
            hash: 0,
        }
    }

    /// Who holds cell `action` (`row * 3 + col`); `None` for an empty cell or an index ≥ 9.
    pub fn cell(&self, action: usize) -> Option<Player> {
        if action >= CELLS {
            return None;
        }
        let bit = 1u16 << action;
        (0..2).find(|&p| self.marks[p] & bit != 0)
    }

    /// The marks of `player` as a 9-bit board (bit `row * 3 + col`); 0 for players ≥ 2.
    pub fn marks(&self, player: Player) -> u16 {
        self.marks.get(player).copied().unwrap_or(0)
    }

    /// The winner, if the game has been won (`None` while playing and after a draw).
    pub fn winner(&self) -> Option<Player> {
        // The winner made the last move, so the player "to move" now is the loser.
        self.won.then(|| 1 - self.to_play())
    }

    fn empty_cells(&self) -> u16 {
        !(self.marks[0] | self.marks[1]) & FULL
    }
}

impl GameState for TicTacToeState {
    fn to_play(&self) -> Player {
        usize::from(self.moves & 1)
    }

    fn is_terminal(&self) -> bool {
        self.won || usize::from(self.moves) == CELLS
    }

    fn legal_actions(&self, out: &mut Vec<Action>) {
        out.clear();
        if self.won {
            return;
        }
        let mut empty = self.empty_cells();
        while empty != 0 {
            out.push(empty.trailing_zeros() as usize);
            empty &= empty - 1;
        }
    }

    fn is_legal(&self, action: Action) -> bool {
        !self.won && action < CELLS && self.empty_cells() & (1 << action) != 0
    }

    /// # Panics
    /// In debug builds, if `action` is not legal; in release builds an illegal action corrupts
    /// the state.
    fn apply_unchecked(&mut self, action: Action) {
        debug_assert!(self.is_legal(action), "illegal action {action}");
        let player = self.to_play();
        self.marks[player] |= 1 << action;
        self.won = has_line(self.marks[player]);
        self.moves += 1;
        self.hash ^= KEYS[player * CELLS + action] ^ KEYS[O_TO_MOVE];
    }

    fn player_return(&self, player: Player) -> f32 {
        match self.winner() {
            Some(w) if w == player => 1.0,
            Some(_) => -1.0,
            None => 0.0,
        }
    }

    fn position_hash(&self) -> u64 {
        self.hash
    }

    fn write_observation(&self, out: &mut [f32]) {
        assert_eq!(out.len(), 2 * CELLS, "observation must be [2, 3, 3]");
        let me = self.marks[self.to_play()];
        let other = self.marks[1 - self.to_play()];
        for cell in 0..CELLS {
            out[cell] = f32::from((me >> cell) & 1);
            out[CELLS + cell] = f32::from((other >> cell) & 1);
        }
    }

    fn move_number(&self) -> usize {
        usize::from(self.moves)
    }

    /// Picks the `k`-th empty cell for a uniform `k`, without listing the moves.
    fn random_legal_action<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        _scratch: &mut Vec<Action>,
    ) -> Option<Action> {
        if self.won {
            return None;
        }
        let empty = self.empty_cells();
        let count = empty.count_ones();
        if count == 0 {
            return None;
        }
        Some(usize::from(
            NTH_EMPTY[usize::from(empty)][rng.random_range(0..count) as usize],
        ))
    }
}

impl fmt::Display for TicTacToeState {
    /// The grid with coordinates, then whose turn it is or how the game ended:
    ///
    /// ```text
    ///   a b c
    /// 1 X . O
    /// 2 . X .
    /// 3 . . .
    /// O to move
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "  a b c")?;
        for row in 0..3 {
            write!(f, "{}", row + 1)?;
            for col in 0..3 {
                write!(f, " {}", mark_char(self.cell(row * 3 + col)))?;
            }
            writeln!(f)?;
        }
        match (self.winner(), self.is_terminal()) {
            (Some(w), _) => write!(f, "{} wins", mark_char(Some(w))),
            (None, true) => write!(f, "draw"),
            (None, false) => write!(f, "{} to move", mark_char(Some(self.to_play()))),
        }
    }
}

fn mark_char(owner: Option<Player>) -> char {
    match owner {
        Some(0) => 'X',
        Some(_) => 'O',
        None => '.',
    }
}

/// The serialized form: the grid as `X`, `O` and `.`, rows top first separated by `/`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StateRepr {
    board: String,
}

impl From<TicTacToeState> for StateRepr {
    fn from(state: TicTacToeState) -> Self {
        let rows: Vec<String> = (0..3)
            .map(|row| {
                (0..3)
                    .map(|col| mark_char(state.cell(row * 3 + col)))
                    .collect()
            })
            .collect();
        StateRepr {
            board: rows.join("/"),
        }
    }
}

impl TryFrom<StateRepr> for TicTacToeState {
    type Error = GameError;

    /// Rebuilds a state from the grid, accepting exactly the positions that some game reaches:
    /// X has as many marks as O or one more, and only the player who moved last may have a line
    /// (otherwise the game went on after it was won).
    fn try_from(repr: StateRepr) -> Result<Self, GameError> {
        let invalid = |why: &str| {
            GameError::InvalidState(format!("tic-tac-toe board `{}`: {why}", repr.board))
        };
        let rows: Vec<&str> = repr.board.split('/').collect();
        if rows.len() != 3 || rows.iter().any(|r| r.chars().count() != 3) {
            return Err(invalid("expected 3 rows of 3 cells separated by `/`"));
        }
        let mut marks = [0u16; 2];
        for (row, text) in rows.iter().enumerate() {
            for (col, c) in text.chars().enumerate() {
                let bit = 1 << (row * 3 + col);
                match c.to_ascii_uppercase() {
                    'X' => marks[0] |= bit,
                    'O' => marks[1] |= bit,
                    '.' => {}
                    _ => return Err(invalid(&format!("unexpected `{c}`; cells are X, O or ."))),
                }
            }
        }
        let (x, o) = (marks[0].count_ones(), marks[1].count_ones());
        if x != o && x != o + 1 {
            return Err(invalid(&format!(
                "X has {x} marks and O {o}; X moves first, so X must have as many as O or one more"
            )));
        }
        let last_mover = if x == o { 1 } else { 0 };
        if has_line(marks[1 - last_mover]) {
            return Err(invalid(
                "a line belongs to the player who did not move last, so the game went on after it was won",
            ));
        }
        // The last mover's lines need no further check: with at most five marks a player can
        // hold two lines only if they cross, and the crossing mark can have been the last move.
        let mut state = TicTacToeState::empty();
        for cell in 0..CELLS {
            for (player, board) in marks.iter().enumerate() {
                if board & (1 << cell) != 0 {
                    state.hash ^= KEYS[player * CELLS + cell];
                }
            }
        }
        state.marks = marks;
        state.moves = (x + o) as u8;
        if state.moves & 1 == 1 {
            state.hash ^= KEYS[O_TO_MOVE];
        }
        state.won = has_line(marks[last_mover]);
        Ok(state)
    }
}

impl Game for TicTacToe {
    type State = TicTacToeState;

    fn name(&self) -> &'static str {
        "tictactoe"
    }

    fn params(&self) -> Vec<(&'static str, String)> {
        Vec::new()
    }

    fn num_actions(&self) -> usize {
        CELLS
    }

    fn observation_shape(&self) -> [usize; 3] {
        [2, 3, 3]
    }

    fn max_game_length(&self) -> usize {
        CELLS
    }

    fn initial_state(&self) -> TicTacToeState {
        TicTacToeState::empty()
    }

    fn symmetries(&self) -> Vec<Symmetry> {
        Symmetry::square_board(3, CELLS)
    }

    /// `a1`…`c3`; an out-of-range action prints as `?` followed by its number.
    fn action_to_string(&self, action: Action) -> String {
        if action < CELLS {
            let col = char::from(b'a' + (action % 3) as u8);
            format!("{col}{}", action / 3 + 1)
        } else {
            format!("?{action}")
        }
    }

    fn parse_action(&self, text: &str) -> Result<Action, GameError> {
        let err = || GameError::ParseAction {
            text: text.to_string(),
            expected: EXPECTED_CELL.to_string(),
        };
        let lower = text.trim().to_ascii_lowercase();
        match lower.as_bytes() {
            &[col @ b'a'..=b'c', row @ b'1'..=b'3'] => {
                Ok(usize::from(row - b'1') * 3 + usize::from(col - b'a'))
            }
            _ => Err(err()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_the_eight_rows_columns_and_diagonals() {
        // Each line is three cells in arithmetic progression along a row, column or diagonal.
        for line in LINES {
            assert_eq!(line.count_ones(), 3);
        }
        let mut sorted = LINES.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 8);
        // The centre lies on four lines, each corner on three, each edge on two.
        let on = |cell: u16| LINES.iter().filter(|&&l| l & (1 << cell) != 0).count();
        assert_eq!(on(4), 4);
        assert_eq!([on(0), on(2), on(6), on(8)], [3; 4]);
        assert_eq!([on(1), on(3), on(5), on(7)], [2; 4]);
    }
}
