//! Connect Four (7 columns × 6 rows) on 64-bit bitboards in Pascal Pons' layout.
//!
//! # Rules
//! The standard game (Milton Bradley, 1974), as in Pascal Pons' solver and OpenSpiel's
//! `connect_four`: players take turns dropping a stone into one of the seven columns, where it
//! falls to the lowest empty cell; X (player 0) moves first. Four stones of one player in a row —
//! horizontally, vertically or diagonally — win at once, for the player who made them. A full
//! board without such a line is a draw. A won game has no legal move left.
//!
//! # Parameters
//! None: [`ConnectFour`] is a unit struct for the standard 7 × 6 board and
//! [`Game::params`] is empty.
//!
//! # Actions and notation
//! Seven actions, the columns from left to right (action 0 = leftmost). Notation is the column
//! number `1`–`7`, as in Pons' solver and its benchmark files, so action 0 is written `1`.
//! [`ConnectFourState::from_moves`] reads a whole game in Pons' format (`"4453"`).
//!
//! # Bitboard layout
//! Bit `col * 7 + row` (row 0 = bottom) is the cell in that column and row; bit `col * 7 + 6` is
//! a spare, always-empty cell on top of each column, so shifting a board by 1 (vertical), 7
//! (horizontal), 6 or 8 (the diagonals) never carries a line from one column into the next. A
//! position is kept as `current` (the stones of the player to move) and `mask` (all stones),
//! which is exactly Pons' representation: the solver crate builds on
//! [`ConnectFourState::bitboards`].
//!
//! # Observation
//! Shape `[2, 6, 7]` from the point of view of the player to move:
//! 0. the mover's stones,
//! 1. the opponent's stones.
//!
//! Observation row 0 is the **top** row of the board and row 5 the bottom, so a plane reads like
//! the printed board; cell `(r, c)` of a plane is board row `5 - r`, column `c`. Whose turn it
//! is needs no plane: the rules treat both players alike.
//!
//! # Symmetries
//! The identity and `flip_h`, the left–right mirror (column `c` ↔ `6 - c`). Gravity rules out
//! every other symmetry of the rectangle.
//!
//! # Hash
//! Zobrist over (player, cell), plus one key when O is to move, updated incrementally.
//!
//! # Example
//! ```
//! use ludus_connect4::{ConnectFour, ConnectFourState};
//! use ludus_core::{Game, GameState};
//!
//! let state = ConnectFourState::from_moves("4455667")?; // X: 4 5 6 7 along the bottom row
//! assert_eq!(state.winner(), Some(0));
//! assert_eq!(ConnectFour.returns(&state), [1.0, -1.0]);
//!
//! let state = ConnectFourState::from_moves("445")?;
//! assert_eq!(state.cell(0, 3), Some(0)); // row 0 = bottom, column index 3 = column "4"
//! assert_eq!(state.cell(1, 3), Some(1));
//! assert!(!state.is_winning_move(5));
//! println!("{state}");
//! # Ok::<(), ludus_core::GameError>(())
//! ```

use std::fmt;

use ludus_core::{zobrist_keys, Action, Game, GameError, GameState, Player, Symmetry};
use rand::Rng;
use serde::{Deserialize, Serialize};

/// Number of columns (and of actions).
pub const WIDTH: usize = 7;
/// Number of rows.
pub const HEIGHT: usize = 6;
/// Bits per column in the bitboards: the rows plus the spare cell on top.
const STRIDE: usize = HEIGHT + 1;
const CELLS: usize = WIDTH * HEIGHT;

/// The bottom cell of every column.
const BOTTOM: u64 = {
    let mut b = 0;
    let mut col = 0;
    while col < WIDTH {
        b |= 1 << (col * STRIDE);
        col += 1;
    }
    b
};
/// Every playable cell (spare cells excluded).
const BOARD: u64 = BOTTOM * ((1 << HEIGHT) - 1);
/// The top playable cell of every column: a column is open while its top cell is empty.
const TOP_ROW: u64 = BOTTOM << (HEIGHT - 1);

/// Zobrist keys: `KEYS[player * 49 + bit]`, then the O-to-move key.
const KEYS: [u64; 2 * WIDTH * STRIDE + 1] = zobrist_keys(0xC04E_C7F0);
const O_TO_MOVE: usize = 2 * WIDTH * STRIDE;
const EXPECTED_COLUMN: &str = "a column number 1–7";

/// `NTH_OPEN[open][k]` is the `k`-th column set in the 7-bit set `open`. A table lookup instead
/// of clearing `k` bits in a loop: the loop's data-dependent trip count mispredicts a branch on
/// most random moves, which made it the single largest cost of a random playout.
const NTH_OPEN: [[u8; WIDTH]; 1 << WIDTH] = {
    let mut table = [[0u8; WIDTH]; 1 << WIDTH];
    let mut set = 0;
    while set < 1 << WIDTH {
        let (mut col, mut k) = (0, 0);
        while col < WIDTH {
            if set & (1 << col) != 0 {
                table[set][k] = col as u8;
                k += 1;
            }
            col += 1;
        }
        set += 1;
    }
    table
};

const fn bottom_bit(col: usize) -> u64 {
    1 << (col * STRIDE)
}

const fn top_bit(col: usize) -> u64 {
    1 << (col * STRIDE + HEIGHT - 1)
}

const fn column_bits(col: usize) -> u64 {
    ((1 << HEIGHT) - 1) << (col * STRIDE)
}

/// Whether `stones` hold four in a row in any direction. For each direction, `m` marks the
/// cells that start a pair and `m & (m >> 2·shift)` a pair of pairs, i.e. four in a row; the
/// spare row keeps lines from wrapping between columns.
const fn has_four(stones: u64) -> bool {
    let mut shift = 0;
    let shifts = [1, STRIDE - 1, STRIDE, STRIDE + 1];
    while shift < shifts.len() {
        let s = shifts[shift];
        let m = stones & (stones >> s);
        if m & (m >> (2 * s)) != 0 {
            return true;
        }
        shift += 1;
    }
    false
}

/// Connect Four on the standard 7 × 6 board. No parameters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConnectFour;

/// A Connect Four position in Pons' bitboard layout (see the crate docs).
///
/// 32 bytes, no heap: `current` (the mover's stones), `mask` (all stones), the ply count,
/// whether the last move won, and the incrementally kept Zobrist hash. Serialized as the board
/// text (`{"board":"......./…/...X..."}`, rows top first).
///
/// # Validation
/// Deserialization and [`ConnectFourState::from_bitboards`] accept a board only if its stones
/// lie on playable cells with none floating above an empty cell, X has as many stones as O or
/// one more, and only the player who moved last has four in a row, all of whose fours go
/// through one stone on top of its column (which can have been the winning last move, so the
/// game did not go on after a win). Whether the stones could have been dropped in alternating
/// order is not checked (Pons' solver does not check it either): such a position is
/// consistent and plays by the rules all the same.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "StateRepr", into = "StateRepr")]
pub struct ConnectFourState {
    current: u64,
    mask: u64,
    hash: u64,
    moves: u8,
    /// The last move made four in a row: the player who made it has won.
    won: bool,
}

impl ConnectFourState {
    fn empty() -> Self {
        ConnectFourState {
            current: 0,
            mask: 0,
            hash: 0,
            moves: 0,
            won: false,
        }
    }

    /// Plays a game given in Pons' format: 1-based column digits, `"4453"` = columns 4, 4, 5, 3.
    /// Surrounding whitespace is ignored; the empty string is the initial position.
    ///
    /// # Errors
    /// [`GameError::ParseAction`] for a character that is not a digit 1–7;
    /// [`GameError::InvalidState`] naming the move when it goes into a full column or comes
    /// after the game was won.
    pub fn from_moves(moves: &str) -> Result<ConnectFourState, GameError> {
        let moves = moves.trim();
        let mut state = ConnectFourState::empty();
        for (i, c) in moves.chars().enumerate() {
            let col = match c {
                '1'..='7' => c as usize - '1' as usize,
                _ => {
                    return Err(GameError::ParseAction {
                        text: moves.to_string(),
                        expected: format!("column digits 1–7 only, but move {} is `{c}`", i + 1),
                    })
                }
            };
            let problem = if state.won {
                Some("the game was already won")
            } else if state.mask & top_bit(col) != 0 {
                Some("that column is full")
            } else {
                None
            };
            if let Some(problem) = problem {
                return Err(GameError::InvalidState(format!(
                    "Connect Four moves `{moves}`: move {} (column {c}) is illegal: {problem}",
                    i + 1
                )));
            }
            state.apply_unchecked(col);
        }
        Ok(state)
    }

    /// Rebuilds a position from Pons' pair (the mover's stones, all stones), the inverse of
    /// [`ConnectFourState::bitboards`].
    ///
    /// # Errors
    /// [`GameError::InvalidState`] unless the pair passes the checks listed under "Validation"
    /// in [`ConnectFourState`]'s docs.
    pub fn from_bitboards(current: u64, mask: u64) -> Result<ConnectFourState, GameError> {
        if current & !mask != 0 {
            return Err(GameError::InvalidState(format!(
                "Connect Four bitboards {current:#x}/{mask:#x}: the mover's stones are not all \
                 among the stones"
            )));
        }
        let mover = (mask.count_ones() & 1) as usize;
        let mut stones = [0; 2];
        stones[mover] = current;
        stones[1 - mover] = mask ^ current;
        Self::from_stones(stones)
    }

    /// Validates each player's stones (see "Validation" on [`ConnectFourState`]) and builds the
    /// state with its derived fields.
    fn from_stones(stones: [u64; 2]) -> Result<ConnectFourState, GameError> {
        let invalid = |why: String| {
            GameError::InvalidState(format!(
                "Connect Four board `{}`: {why}",
                board_text(stones)
            ))
        };
        let mask = stones[0] | stones[1];
        if stones[0] & stones[1] != 0 || mask & !BOARD != 0 {
            return Err(invalid(
                "stones overlap or lie outside the 7 × 6 board".to_string(),
            ));
        }
        for col in 0..WIDTH {
            // The column's stones, shifted down to bit 0, must be a run of ones.
            let column = (mask & column_bits(col)) >> (col * STRIDE);
            if column & (column + 1) != 0 {
                return Err(invalid(format!(
                    "column {} has a stone above an empty cell",
                    col + 1
                )));
            }
        }
        let (x, o) = (stones[0].count_ones(), stones[1].count_ones());
        if x != o && x != o + 1 {
            return Err(invalid(format!(
                "X has {x} stones and O {o}; X moves first, so X must have as many as O or one more"
            )));
        }
        let last_mover = if x == o { 1 } else { 0 };
        if has_four(stones[1 - last_mover]) {
            return Err(invalid(
                "the player to move has four in a row, so the game went on after it was won"
                    .to_string(),
            ));
        }
        let won = has_four(stones[last_mover]);
        if won {
            // Some top stone of the winner must take part in every four: remove it and none is
            // left.
            let tops = ((mask + BOTTOM) >> 1) & mask & stones[last_mover];
            let mut candidates = tops;
            let mut possible = false;
            while candidates != 0 {
                let stone = candidates & candidates.wrapping_neg();
                if !has_four(stones[last_mover] ^ stone) {
                    possible = true;
                    break;
                }
                candidates ^= stone;
            }
            if !possible {
                return Err(invalid(
                    "no single last move made all of the winner's fours, so the game went on \
                     after it was won"
                        .to_string(),
                ));
            }
        }
        let mut hash = if last_mover == 0 { KEYS[O_TO_MOVE] } else { 0 };
        for (player, &board) in stones.iter().enumerate() {
            let mut rest = board;
            while rest != 0 {
                hash ^= KEYS[player * WIDTH * STRIDE + rest.trailing_zeros() as usize];
                rest &= rest - 1;
            }
        }
        Ok(ConnectFourState {
            current: stones[1 - last_mover],
            mask,
            hash,
            moves: (x + o) as u8,
            won,
        })
    }

    /// Pons' pair: (the stones of the player to move, all stones), bit `col * 7 + row` with row
    /// 0 at the bottom. After a win the player "to move" is the loser.
    pub fn bitboards(&self) -> (u64, u64) {
        (self.current, self.mask)
    }

    /// Who holds the cell at `row` (0 = bottom) and `col` (0 = left); `None` when it is empty or
    /// off the board.
    pub fn cell(&self, row: usize, col: usize) -> Option<Player> {
        if row >= HEIGHT || col >= WIDTH {
            return None;
        }
        let bit = 1u64 << (col * STRIDE + row);
        if self.mask & bit == 0 {
            None
        } else if self.current & bit != 0 {
            Some(self.to_play())
        } else {
            Some(1 - self.to_play())
        }
    }

    /// Number of stones on the board (plies played).
    pub fn num_moves(&self) -> usize {
        usize::from(self.moves)
    }

    /// Number of stones in column `col` (0 for a column off the board).
    pub fn column_height(&self, col: usize) -> usize {
        if col >= WIDTH {
            return 0;
        }
        (self.mask & column_bits(col)).count_ones() as usize
    }

    /// Whether the mover would win at once by playing `action`; false for illegal actions.
    pub fn is_winning_move(&self, action: Action) -> bool {
        self.is_legal(action) && has_four(self.current | self.drop_bit(action))
    }

    /// The winner, if the game has been won (`None` while playing and after a draw).
    pub fn winner(&self) -> Option<Player> {
        // The winner made the last move, so the player "to move" now is the loser.
        self.won.then(|| 1 - self.to_play())
    }

    /// The cell a stone dropped into `col` lands on (a spare bit when the column is full).
    fn drop_bit(&self, col: usize) -> u64 {
        (self.mask + bottom_bit(col)) & column_bits(col)
    }

    /// One bit (the top cell) per open column.
    fn open_columns(&self) -> u64 {
        if self.won {
            0
        } else {
            !self.mask & TOP_ROW
        }
    }

    fn stones(&self, player: Player) -> u64 {
        if player == self.to_play() {
            self.current
        } else {
            self.mask ^ self.current
        }
    }
}

impl GameState for ConnectFourState {
    fn to_play(&self) -> Player {
        usize::from(self.moves & 1)
    }

    fn is_terminal(&self) -> bool {
        self.won || usize::from(self.moves) == CELLS
    }

    fn legal_actions(&self, out: &mut Vec<Action>) {
        out.clear();
        let mut open = self.open_columns();
        while open != 0 {
            out.push(open.trailing_zeros() as usize / STRIDE);
            open &= open - 1;
        }
    }

    fn is_legal(&self, action: Action) -> bool {
        action < WIDTH && self.open_columns() & top_bit(action) != 0
    }

    /// # Panics
    /// In debug builds, if `action` is not legal; in release builds an illegal action corrupts
    /// the state.
    fn apply_unchecked(&mut self, action: Action) {
        debug_assert!(self.is_legal(action), "illegal action {action}");
        let stone = self.drop_bit(action);
        let mine = self.current | stone;
        let player = usize::from(self.moves & 1);
        self.won = has_four(mine);
        self.mask |= stone;
        self.current = mine ^ self.mask;
        self.moves += 1;
        self.hash ^=
            KEYS[player * WIDTH * STRIDE + stone.trailing_zeros() as usize] ^ KEYS[O_TO_MOVE];
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
        assert_eq!(out.len(), 2 * CELLS, "observation must be [2, 6, 7]");
        let opponent = self.mask ^ self.current;
        for row in 0..HEIGHT {
            for col in 0..WIDTH {
                let bit = col * STRIDE + row;
                let i = (HEIGHT - 1 - row) * WIDTH + col;
                out[i] = ((self.current >> bit) & 1) as f32;
                out[CELLS + i] = ((opponent >> bit) & 1) as f32;
            }
        }
    }

    fn move_number(&self) -> usize {
        usize::from(self.moves)
    }

    /// Picks the `k`-th open column for a uniform `k`, without listing the moves.
    fn random_legal_action<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        _scratch: &mut Vec<Action>,
    ) -> Option<Action> {
        let open = self.open_columns() >> (HEIGHT - 1);
        // Gather the seven top-row bits (7 apart) into bits 0–6; unrolled, branch-free.
        let mut set = 0;
        for col in 0..WIDTH {
            set |= ((open >> (col * STRIDE)) & 1) << col;
        }
        let count = set.count_ones();
        if count == 0 {
            return None;
        }
        Some(usize::from(
            NTH_OPEN[set as usize][rng.random_range(0..count) as usize],
        ))
    }
}

fn stone_char(owner: Option<Player>) -> char {
    match owner {
        Some(0) => 'X',
        Some(_) => 'O',
        None => '.',
    }
}

/// The board as rows of `X`, `O`, `.`, top row first, separated by `/`.
fn board_text(stones: [u64; 2]) -> String {
    let rows: Vec<String> = (0..HEIGHT)
        .rev()
        .map(|row| {
            (0..WIDTH)
                .map(|col| {
                    let bit = 1u64 << (col * STRIDE + row);
                    stone_char((0..2).find(|&p| stones[p] & bit != 0))
                })
                .collect()
        })
        .collect();
    rows.join("/")
}

impl fmt::Display for ConnectFourState {
    /// The six rows, top first, a column footer, then whose turn it is or how the game ended:
    ///
    /// ```text
    /// . . . . . . .
    /// . . . . . . .
    /// . . . . . . .
    /// . . . . . . .
    /// . . . O . . .
    /// . . . X X . .
    /// 1 2 3 4 5 6 7
    /// O to move
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for row in (0..HEIGHT).rev() {
            let cells: Vec<String> = (0..WIDTH)
                .map(|col| stone_char(self.cell(row, col)).to_string())
                .collect();
            writeln!(f, "{}", cells.join(" "))?;
        }
        writeln!(f, "1 2 3 4 5 6 7")?;
        match (self.winner(), self.is_terminal()) {
            (Some(w), _) => write!(f, "{} wins", stone_char(Some(w))),
            (None, true) => write!(f, "draw"),
            (None, false) => write!(f, "{} to move", stone_char(Some(self.to_play()))),
        }
    }
}

/// The serialized form: the board as `X`, `O` and `.`, rows top first separated by `/`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StateRepr {
    board: String,
}

impl From<ConnectFourState> for StateRepr {
    fn from(state: ConnectFourState) -> Self {
        StateRepr {
            board: board_text([state.stones(0), state.stones(1)]),
        }
    }
}

impl TryFrom<StateRepr> for ConnectFourState {
    type Error = GameError;

    fn try_from(repr: StateRepr) -> Result<Self, GameError> {
        let rows: Vec<&str> = repr.board.split('/').collect();
        if rows.len() != HEIGHT || rows.iter().any(|r| r.chars().count() != WIDTH) {
            return Err(GameError::InvalidState(format!(
                "Connect Four board `{}`: expected 6 rows of 7 cells, top row first, separated \
                 by `/`",
                repr.board
            )));
        }
        let mut stones = [0u64; 2];
        for (i, text) in rows.iter().enumerate() {
            let row = HEIGHT - 1 - i;
            for (col, c) in text.chars().enumerate() {
                let bit = 1u64 << (col * STRIDE + row);
                match c.to_ascii_uppercase() {
                    'X' => stones[0] |= bit,
                    'O' => stones[1] |= bit,
                    '.' => {}
                    _ => {
                        return Err(GameError::InvalidState(format!(
                            "Connect Four board `{}`: unexpected `{c}`; cells are X, O or .",
                            repr.board
                        )))
                    }
                }
            }
        }
        ConnectFourState::from_stones(stones)
    }
}

impl Game for ConnectFour {
    type State = ConnectFourState;

    fn name(&self) -> &'static str {
        "connect4"
    }

    fn params(&self) -> Vec<(&'static str, String)> {
        Vec::new()
    }

    fn num_actions(&self) -> usize {
        WIDTH
    }

    fn observation_shape(&self) -> [usize; 3] {
        [2, HEIGHT, WIDTH]
    }

    fn max_game_length(&self) -> usize {
        CELLS
    }

    fn initial_state(&self) -> ConnectFourState {
        ConnectFourState::empty()
    }

    fn symmetries(&self) -> Vec<Symmetry> {
        // `from_cell_map` maps action `a` like observation cell `a`, which is column `a` of the
        // top row: exactly the column mirror.
        vec![
            Symmetry::identity(CELLS, WIDTH),
            Symmetry::from_cell_map("flip_h", HEIGHT, WIDTH, WIDTH, |r, c| (r, WIDTH - 1 - c)),
        ]
    }

    /// `1`…`7`; an out-of-range action prints as `?` followed by its number.
    fn action_to_string(&self, action: Action) -> String {
        if action < WIDTH {
            (action + 1).to_string()
        } else {
            format!("?{action}")
        }
    }

    fn parse_action(&self, text: &str) -> Result<Action, GameError> {
        match text.trim().as_bytes() {
            &[c @ b'1'..=b'7'] => Ok(usize::from(c - b'1')),
            _ => Err(GameError::ParseAction {
                text: text.to_string(),
                expected: EXPECTED_COLUMN.to_string(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_constants_follow_pons() {
        assert_eq!(
            BOTTOM,
            0b0000001_0000001_0000001_0000001_0000001_0000001_0000001
        );
        assert_eq!(BOARD.count_ones(), 42);
        assert_eq!(BOARD & (TOP_ROW << 1), 0, "spare row stays off the board");
        assert_eq!(top_bit(6), 1 << 47);
        assert_eq!(column_bits(1), 0x3F << 7);
    }

    #[test]
    fn four_in_a_row_needs_four_adjacent_cells_on_a_line() {
        let at = |cells: &[(usize, usize)]| -> u64 {
            cells
                .iter()
                .map(|&(col, row)| 1u64 << (col * STRIDE + row))
                .sum()
        };
        assert!(has_four(at(&[(0, 0), (0, 1), (0, 2), (0, 3)])));
        assert!(has_four(at(&[(3, 5), (4, 5), (5, 5), (6, 5)])));
        assert!(has_four(at(&[(0, 0), (1, 1), (2, 2), (3, 3)])));
        assert!(has_four(at(&[(6, 0), (5, 1), (4, 2), (3, 3)])));
        assert!(!has_four(at(&[(0, 0), (0, 1), (0, 2), (1, 3)])));
        // Rows 4, 5 of one column and 0, 1 of the next are adjacent bits only through the spare
        // cell, which breaks the run.
        assert!(!has_four(at(&[(0, 4), (0, 5), (1, 0), (1, 1)])));
        assert!(!has_four(at(&[(0, 3), (1, 4), (2, 5), (3, 0)])));
    }
}
