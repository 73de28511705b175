//! The solver's own Connect Four position: two bitboards in Pascal Pons' layout.
//!
//! Bit `col * 7 + row` is the cell in column `col` (0 = left) and row `row` (0 = bottom). Each
//! column has one spare bit above its six cells, always empty; it stops shifted patterns from
//! spilling from the top of one column into the bottom of the next, so four-in-a-row tests are a
//! handful of shifts and ANDs, and it makes [`Position::key`] unique (see there).
//!
//! A position stores the stones of the player to move (`current`) and all stones (`mask`);
//! playing a move swaps the roles by `current ^= mask` before adding the stone, so the search
//! never needs to know which colour is to move.

use std::fmt;
use std::str::FromStr;

/// Number of columns.
pub const WIDTH: usize = 7;
/// Number of rows.
pub const HEIGHT: usize = 6;
/// Number of cells, which is also the longest possible game in plies.
pub const CELLS: u32 = (WIDTH * HEIGHT) as u32;

/// Distance in bits between two horizontally adjacent cells (a column plus its spare bit).
const STRIDE: usize = HEIGHT + 1;

/// One bit at the bottom cell of every column.
const BOTTOM: u64 = {
    let mut mask = 0;
    let mut col = 0;
    while col < WIDTH {
        mask |= 1 << (col * STRIDE);
        col += 1;
    }
    mask
};

/// Every playable cell (every bit except the spare ones).
const BOARD: u64 = BOTTOM * ((1 << HEIGHT) - 1);

/// The six cells of column `col`.
#[inline]
pub(crate) const fn column_mask(col: usize) -> u64 {
    ((1 << HEIGHT) - 1) << (col * STRIDE)
}

/// The top cell of column `col`: the column is full when it is occupied.
#[inline]
const fn top_cell(col: usize) -> u64 {
    1 << (HEIGHT - 1 + col * STRIDE)
}

/// The bottom cell of column `col`.
#[inline]
const fn bottom_cell(col: usize) -> u64 {
    1 << (col * STRIDE)
}

/// Whether `stones` contain four in a row in any direction.
///
/// For each direction with bit distance `d`, `pairs` marks stones whose neighbour at `d` is also
/// a stone; a pair whose partner pair starts `2d` further on is a four.
#[inline]
fn has_four(stones: u64) -> bool {
    // Vertical (1), horizontal (STRIDE), and the two diagonals (STRIDE - 1, STRIDE + 1).
    [1, STRIDE, STRIDE - 1, STRIDE + 1].iter().any(|&d| {
        let pairs = stones & (stones >> d);
        pairs & (pairs >> (2 * d)) != 0
    })
}

/// The empty cells that would complete a four for the owner of `stones`, whether or not they are
/// playable now (a cell high up in a column is a threat for later).
///
/// An empty cell completes a four in one direction when, along that line, it has three own
/// stones at offsets (+1,+2,+3), (−1,+1,+2), (−2,−1,+1) or (−3,−2,−1). The spare bits are empty in
/// `stones`, so no pattern can wrap from one column into the next.
#[inline]
fn threat_cells(stones: u64, mask: u64) -> u64 {
    // Vertical: only three stones directly below can make a four.
    let mut threats = (stones << 1) & (stones << 2) & (stones << 3);
    for d in [STRIDE, STRIDE - 1, STRIDE + 1] {
        // Two stones on the lower side (−1, −2) ...
        let lower = (stones << d) & (stones << (2 * d));
        threats |= lower & (stones << (3 * d)); // ... with −3,
        threats |= lower & (stones >> d); // ... or with +1.
                                          // Two stones on the upper side (+1, +2) ...
        let upper = (stones >> d) & (stones >> (2 * d));
        threats |= upper & (stones << d); // ... with −1,
        threats |= upper & (stones >> (3 * d)); // ... or with +3.
    }
    threats & (BOARD ^ mask)
}

/// Why a position could not be built or a move could not be played.
///
/// Columns are stored 0-based (as actions are); messages print them 1-based, as in the move
/// notation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PositionError {
    /// A character of a move string is not a column digit.
    #[error("move {move_number}: `{found}` is not a column digit 1-{WIDTH}")]
    BadColumn {
        /// 1-based index of the move in the string.
        move_number: usize,
        /// The offending character.
        found: char,
    },
    /// A column index given to [`Position::play`] is not below [`WIDTH`].
    #[error("column index {column} is out of range: expected 0..{WIDTH}")]
    ColumnOutOfRange {
        /// The 0-based index given.
        column: usize,
    },
    /// The column of a move is already full.
    #[error("move {move_number}: column {} is full", .column + 1)]
    ColumnFull {
        /// 1-based number of the move (plies played before it, plus one).
        move_number: usize,
        /// The 0-based column.
        column: usize,
    },
    /// A move was played after a four in a row ended the game.
    #[error("move {move_number}: the game is already over")]
    GameOver {
        /// 1-based number of the move.
        move_number: usize,
    },
    /// Bitboards handed to [`Position::from_bitboards`] do not describe a reachable position.
    #[error("invalid bitboards: {0}")]
    InvalidBitboards(String),
}

/// A Connect Four position on the standard 7×6 board, seen from the player to move.
///
/// Cheap to copy (24 bytes); the search copies it at every node instead of undoing
/// moves. A position may be finished (won by the player who just moved, or a full board); such
/// positions accept no moves.
///
/// ```
/// use ludus_solver::Position;
/// let mut pos = Position::from_moves("445566")?; // X holds columns 4-6 of the bottom row
/// assert_eq!(pos.num_moves(), 6);
/// assert!(pos.is_winning_move(2) && pos.is_winning_move(6)); // 0-based: columns 3 and 7
/// assert!(!pos.is_winning_move(0));
/// pos.play(6)?;
/// assert!(pos.last_mover_won() && pos.is_game_over());
/// # Ok::<(), ludus_solver::PositionError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Position {
    /// Stones of the player to move.
    current: u64,
    /// All stones.
    mask: u64,
    /// Plies played.
    moves: u32,
}

impl Position {
    /// The empty board, first player to move.
    pub const fn new() -> Self {
        Self {
            current: 0,
            mask: 0,
            moves: 0,
        }
    }

    /// Plays a sequence of 1-based column digits from the empty board (`"4453"` = columns 4, 4,
    /// 5, 3), the notation of Pons' benchmark files. Surrounding whitespace is ignored. The last
    /// move may end the game; a move after that is an error.
    ///
    /// # Errors
    /// [`PositionError::BadColumn`] for a character that is not `1`–`7`,
    /// [`PositionError::ColumnFull`] and [`PositionError::GameOver`] for an illegal move.
    pub fn from_moves(moves: &str) -> Result<Self, PositionError> {
        let mut pos = Self::new();
        for (i, found) in moves.trim().chars().enumerate() {
            let column = match found.to_digit(10) {
                Some(d) if (1..=WIDTH as u32).contains(&d) => d as usize - 1,
                _ => {
                    return Err(PositionError::BadColumn {
                        move_number: i + 1,
                        found,
                    })
                }
            };
            pos.play(column)?;
        }
        Ok(pos)
    }

    /// Builds a position from the two bitboards of Pons' layout: the stones of the player to
    /// move and all stones. The number of plies is the number of stones.
    ///
    /// # Errors
    /// [`PositionError::InvalidBitboards`] when the boards use spare bits or bits above the
    /// board, a column has a gap, the mover's stone count does not fit whose turn it is, or the
    /// player to move already has four in a row.
    pub fn from_bitboards(current: u64, mask: u64) -> Result<Self, PositionError> {
        let invalid = |why: &str| Err(PositionError::InvalidBitboards(why.to_string()));
        if mask & !BOARD != 0 {
            return invalid("stones outside the 7x6 board or on spare bits");
        }
        if current & !mask != 0 {
            return invalid("the mover's stones are not a subset of all stones");
        }
        for col in 0..WIDTH {
            let column = (mask & column_mask(col)) >> (col * STRIDE);
            if column & (column + 1) != 0 {
                return invalid("a column has a gap below a stone");
            }
        }
        let moves = mask.count_ones();
        if current.count_ones() != moves / 2 {
            return invalid("the mover's stone count does not match the number of plies");
        }
        if has_four(current) {
            return invalid("the player to move already has four in a row");
        }
        Ok(Self {
            current,
            mask,
            moves,
        })
    }

    /// Builds a position from bitboards known to be valid (those of a `ConnectFourState`).
    pub(crate) fn from_valid_bitboards(current: u64, mask: u64) -> Self {
        Self {
            current,
            mask,
            moves: mask.count_ones(),
        }
    }

    /// The stones of the player to move and all stones, in Pons' layout.
    pub const fn bitboards(&self) -> (u64, u64) {
        (self.current, self.mask)
    }

    /// Plies played since the empty board.
    pub const fn num_moves(&self) -> u32 {
        self.moves
    }

    /// A key unique to the position: `current + mask`.
    ///
    /// Adding `mask` to `current` carries each column's mover stones upward so that the result
    /// has, per column, one bit just above the top stone (marking the height) and below it the
    /// mover's stones; both boards can be read back, so no two positions share a key. It fits
    /// in 49 bits.
    pub const fn key(&self) -> u64 {
        self.current + self.mask
    }

    /// Whether the player who just moved has four in a row.
    pub fn last_mover_won(&self) -> bool {
        has_four(self.current ^ self.mask)
    }

    /// Whether no move can be played: the last move made four in a row or filled the board.
    pub fn is_game_over(&self) -> bool {
        self.moves == CELLS || self.last_mover_won()
    }

    /// Whether a stone can be dropped in 0-based `column` (false for columns out of range and
    /// on a finished game).
    pub fn can_play(&self, column: usize) -> bool {
        column < WIDTH && self.mask & top_cell(column) == 0 && !self.is_game_over()
    }

    /// Drops a stone of the player to move in 0-based `column`.
    ///
    /// # Errors
    /// [`PositionError::ColumnOutOfRange`], [`PositionError::GameOver`] or
    /// [`PositionError::ColumnFull`]; the position is then unchanged.
    pub fn play(&mut self, column: usize) -> Result<(), PositionError> {
        let move_number = self.moves as usize + 1;
        if column >= WIDTH {
            return Err(PositionError::ColumnOutOfRange { column });
        }
        if self.is_game_over() {
            return Err(PositionError::GameOver { move_number });
        }
        if self.mask & top_cell(column) != 0 {
            return Err(PositionError::ColumnFull {
                move_number,
                column,
            });
        }
        self.play_column_unchecked(column);
        Ok(())
    }

    /// Whether dropping a stone in 0-based `column` makes four in a row for the player to move
    /// (false if the column cannot be played).
    pub fn is_winning_move(&self, column: usize) -> bool {
        self.can_play(column) && self.winning_cells() & self.playable() & column_mask(column) != 0
    }

    /// Whether the player to move can win with their next stone.
    pub fn can_win_next(&self) -> bool {
        !self.is_game_over() && self.winning_cells() & self.playable() != 0
    }

    /// The position reflected left to right; it has the same score.
    pub fn mirrored(&self) -> Self {
        let flip = |board: u64| {
            (0..WIDTH).fold(0, |acc, col| {
                let column = (board >> (col * STRIDE)) & column_mask(0);
                acc | column << ((WIDTH - 1 - col) * STRIDE)
            })
        };
        Self {
            current: flip(self.current),
            mask: flip(self.mask),
            moves: self.moves,
        }
    }

    /// Plays the move whose single bit is `cell` (a playable cell). The hot path of the search.
    #[inline]
    pub(crate) fn play_cell(&mut self, cell: u64) {
        self.current ^= self.mask;
        self.mask |= cell;
        self.moves += 1;
    }

    /// Plays in `column`, which must be in range and not full.
    #[inline]
    pub(crate) fn play_column_unchecked(&mut self, column: usize) {
        self.play_cell((self.mask + bottom_cell(column)) & column_mask(column));
    }

    /// The lowest empty cell of every column that is not full.
    #[inline]
    pub(crate) fn playable(&self) -> u64 {
        (self.mask + BOTTOM) & BOARD
    }

    /// Empty cells that would complete a four for the player to move.
    #[inline]
    fn winning_cells(&self) -> u64 {
        threat_cells(self.current, self.mask)
    }

    /// Empty cells that would complete a four for the opponent.
    #[inline]
    fn opponent_winning_cells(&self) -> u64 {
        threat_cells(self.current ^ self.mask, self.mask)
    }

    /// The playable cells that do not lose at once, assuming the player to move cannot win with
    /// this move (the caller checked).
    ///
    /// If the opponent threatens to win at a playable cell the mover must block it, and with two
    /// such threats every move loses (the result is empty). A move directly below an opponent's
    /// winning cell loses too, as it lets the opponent play there.
    #[inline]
    pub(crate) fn non_losing_moves(&self) -> u64 {
        let mut candidates = self.playable();
        let opponent_wins = self.opponent_winning_cells();
        let forced = candidates & opponent_wins;
        if forced != 0 {
            if forced & (forced - 1) != 0 {
                return 0;
            }
            candidates = forced;
        }
        candidates & !(opponent_wins >> 1)
    }

    /// Ordering heuristic for the move at `cell`: how many cells would then complete a four for
    /// the mover (threats, counted whether playable now or not).
    #[inline]
    pub(crate) fn move_score(&self, cell: u64) -> u32 {
        threat_cells(self.current | cell, self.mask).count_ones()
    }
}

impl FromStr for Position {
    type Err = PositionError;

    /// Same as [`Position::from_moves`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_moves(s)
    }
}

impl fmt::Display for Position {
    /// Six rows, top first: `X` for the first player's stones, `O` for the second's, `.` empty;
    /// then the column numbers.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The mover holds `current`; the first player moves when an even number were played.
        let first = if self.moves.is_multiple_of(2) {
            self.current
        } else {
            self.current ^ self.mask
        };
        for row in (0..HEIGHT).rev() {
            for col in 0..WIDTH {
                let bit = 1u64 << (col * STRIDE + row);
                let c = if self.mask & bit == 0 {
                    '.'
                } else if first & bit != 0 {
                    'X'
                } else {
                    'O'
                };
                write!(f, "{c}")?;
            }
            writeln!(f)?;
        }
        write!(f, "1234567")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(moves: &str) -> Position {
        Position::from_moves(moves).unwrap()
    }

    #[test]
    fn layout_constants() {
        assert_eq!(BOTTOM.count_ones(), 7);
        assert_eq!(BOARD.count_ones(), 42);
        assert_eq!(BOARD >> 49, 0);
        assert_eq!(column_mask(6), 0b11_1111 << 42);
    }

    #[test]
    fn playing_moves_sets_bits_and_swaps_sides() {
        let p = pos("41");
        let (current, mask) = p.bitboards();
        // First player's stone at column 3 row 0 (bit 21), second's at column 0 (bit 0).
        assert_eq!(mask, (1 << 21) | 1);
        assert_eq!(current, 1 << 21, "first player to move again");
        assert_eq!(p.num_moves(), 2);
        assert_eq!(pos("44").bitboards().1, (1 << 21) | (1 << 22));
    }

    #[test]
    fn parse_errors_are_typed() {
        assert_eq!(
            Position::from_moves("48"),
            Err(PositionError::BadColumn {
                move_number: 2,
                found: '8'
            })
        );
        assert!(matches!(
            Position::from_moves("0"),
            Err(PositionError::BadColumn { .. })
        ));
        assert_eq!(
            Position::from_moves("1111111"),
            Err(PositionError::ColumnFull {
                move_number: 7,
                column: 0
            })
        );
        // First player wins vertically at move 7; an eighth move is refused.
        assert!(Position::from_moves("1212121").unwrap().last_mover_won());
        assert_eq!(
            Position::from_moves("12121213"),
            Err(PositionError::GameOver { move_number: 8 })
        );
        let err = Position::from_moves("1111111").unwrap_err();
        assert_eq!(err.to_string(), "move 7: column 1 is full");
        let mut p = Position::new();
        assert_eq!(
            p.play(7),
            Err(PositionError::ColumnOutOfRange { column: 7 })
        );
        assert_eq!(p, Position::new());
        assert_eq!(" 44 ".parse::<Position>().unwrap(), pos("44"));
    }

    #[test]
    fn fours_in_every_direction() {
        // Horizontal: X on 1,2,3,4 bottom row.
        assert!(pos("1122334").last_mover_won());
        // Vertical.
        assert!(pos("1212121").last_mover_won());
        // Diagonal up-right: X at (0,0) (1,1) (2,2) (3,3).
        assert!(pos("12233434544").last_mover_won());
        // Diagonal up-left: mirror of the previous one.
        assert!(pos("76655454344").last_mover_won());
        // Three in a row with a gap at the far side is not a four.
        assert!(!pos("112233").last_mover_won());
    }

    #[test]
    fn winning_moves_and_threats() {
        let p = pos("112233");
        assert!(p.is_winning_move(3));
        assert!(!p.is_winning_move(4));
        assert!(p.can_win_next());
        // Gap in the middle: X at 1,2,4 → 3 wins.
        let q = pos("114422");
        assert!(q.is_winning_move(2));
        // Vertical three.
        assert!(pos("121212").is_winning_move(0));
        // Nothing in the opening.
        assert!(!pos("4").can_win_next());
        assert!(!Position::new().is_winning_move(9));
    }

    #[test]
    fn non_losing_moves_block_and_avoid() {
        // O (second player, to move after X's third) must block at column 4 (index 3).
        let p = pos("11223");
        assert_eq!(p.non_losing_moves(), p.playable() & column_mask(3));
        // Two open ends: nothing saves O.
        let q = pos("22334");
        // X has 2,3,4 on the bottom row with 1 and 5 open.
        assert_eq!(q.non_losing_moves(), 0);
        // A move below an opponent's winning cell is excluded: X holds row 2 of columns 1-3,
        // so O must not fill the bottom of column 4 and give X the cell above it.
        let r = pos("2113372");
        let below = r.playable() & column_mask(3);
        assert!(r.opponent_winning_cells() & (below << 1) != 0);
        assert_eq!(r.non_losing_moves() & column_mask(3), 0);
    }

    #[test]
    fn from_bitboards_round_trips_and_validates() {
        let p = pos("4453226");
        let (current, mask) = p.bitboards();
        assert_eq!(Position::from_bitboards(current, mask), Ok(p));
        assert!(
            Position::from_bitboards(1 << 6, 1 << 6).is_err(),
            "spare bit"
        );
        assert!(Position::from_bitboards(0, 1 << 1).is_err(), "gap");
        assert!(Position::from_bitboards(1, 1).is_err(), "wrong count");
        assert!(Position::from_bitboards(2, 1).is_err(), "not a subset");
    }

    #[test]
    fn key_is_unique_on_small_trees() {
        // Every position up to 5 plies: distinct positions have distinct keys.
        let mut seen = std::collections::HashMap::new();
        let mut frontier = vec![Position::new()];
        for _ in 0..5 {
            let mut next = Vec::new();
            for p in frontier {
                for col in 0..WIDTH {
                    let mut c = p;
                    if c.play(col).is_ok() {
                        next.push(c);
                    }
                }
            }
            for p in &next {
                let old = seen.insert(p.key(), *p);
                assert!(old.is_none() || old == Some(*p));
            }
            frontier = next;
        }
        assert!(seen.len() > 2000);
    }

    #[test]
    fn mirror_and_display() {
        let p = pos("1123");
        assert_eq!(p.mirrored(), pos("7765"));
        assert_eq!(p.mirrored().mirrored(), p);
        assert_eq!(
            p.to_string(),
            ".......\n.......\n.......\n.......\nO......\nXXO....\n1234567"
        );
    }
}
