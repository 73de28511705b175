//! [`OthelloState`]: one position, its serialized form and its text rendering.

use std::fmt;

use ludus_core::{zobrist_keys, Action, GameError, GameState, Player};
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::{bitboard, square_name, FIRST_PASS_GAP, PASS};

/// The four centre squares d4, e4, d5, e5. They start occupied and discs are never removed, only
/// flipped, so every reachable position has all four filled.
const CENTRE: u64 = (1 << 27) | (1 << 28) | (1 << 35) | (1 << 36);

/// Zobrist key seed for Othello, distinct from the other games' seeds.
const ZOBRIST_SEED: u64 = 0x0_7311_0000;

/// Keys 0–63: Black discs, 64–127: White discs, 128: White to move, 129–180: 1–52 passes so
/// far (see [`OthelloState::position_hash`]).
const KEYS: [u64; 181] = zobrist_keys(ZOBRIST_SEED);

/// `DISC_TABLES[colour][byte][value]` is the XOR of the keys of the discs of `colour` that the
/// bit pattern `value` places in byte `byte` (squares `8 * byte .. 8 * byte + 8`), so a
/// colour's whole Zobrist contribution costs eight lookups instead of a loop over its discs.
static DISC_TABLES: [[[u64; 256]; 8]; 2] = disc_tables();

const fn disc_tables() -> [[[u64; 256]; 8]; 2] {
    let mut tables = [[[0u64; 256]; 8]; 2];
    let mut colour = 0;
    while colour < 2 {
        let mut byte = 0;
        while byte < 8 {
            let mut value = 0;
            while value < 256 {
                let mut key = 0;
                let mut bit = 0;
                while bit < 8 {
                    if value >> bit & 1 == 1 {
                        key ^= KEYS[colour * 64 + byte * 8 + bit];
                    }
                    bit += 1;
                }
                tables[colour][byte][value] = key;
                value += 1;
            }
            byte += 1;
        }
        colour += 1;
    }
    tables
}

/// An Othello position: both colours' discs, the player to move and the number of plies played.
///
/// The mover's legal placements are computed once when the position is made (after every move)
/// and kept, so listing, testing and sampling moves, and detecting the end, cost no move
/// generation. The state is 32 bytes, `Copy`, and never allocates.
///
/// Get one from [`crate::Othello`]'s `initial_state` and by playing moves, or build one with
/// [`OthelloState::from_bitboards`] or by deserializing; those two check that the result could
/// be a real game position.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "StateRepr", into = "StateRepr")]
pub struct OthelloState {
    /// Disc bitboards indexed by player (0 = Black, 1 = White), bit `row * 8 + col`.
    discs: [u64; 2],
    /// The mover's legal placements (a function of `discs` and `to_play`).
    moves: u64,
    /// 0 or 1.
    to_play: u8,
    /// Plies played, passes included; at most 112 (see `Othello::max_game_length`).
    plies: u8,
    /// When `moves == 0`: whether the opponent can move, i.e. the mover must pass rather than
    /// the game being over. Always false when `moves != 0`, so equal positions compare equal.
    must_pass: bool,
}

impl OthelloState {
    /// The standard start: White on d4 and e5, Black on d5 and e4, Black to move.
    pub(crate) fn initial() -> Self {
        let black = (1 << 35) | (1 << 28);
        let white = (1 << 27) | (1 << 36);
        Self::with_cache([black, white], 0, 0)
    }

    /// A position with its cached moves filled in; the inputs are trusted.
    fn with_cache(discs: [u64; 2], to_play: u8, plies: u8) -> Self {
        let mut state = OthelloState {
            discs,
            moves: 0,
            to_play,
            plies,
            must_pass: false,
        };
        state.refresh_moves();
        state
    }

    /// Recomputes `moves` and `must_pass` after `discs` or `to_play` changed.
    #[inline]
    fn refresh_moves(&mut self) {
        let (mover, opponent) = self.sides();
        self.moves = bitboard::legal_moves(mover, opponent);
        self.must_pass = self.moves == 0 && bitboard::legal_moves(opponent, mover) != 0;
    }

    /// The mover's and the opponent's discs.
    #[inline]
    fn sides(&self) -> (u64, u64) {
        let me = self.to_play as usize;
        (self.discs[me], self.discs[me ^ 1])
    }

    /// A position from its discs and the player to move, for evaluators, solvers and tests.
    /// The move number is taken as the fewest plies that fit: one per disc placed beyond the
    /// initial four, plus one pass if that is needed to make it `to_play`'s turn.
    ///
    /// # Errors
    /// [`GameError::InvalidState`] if no game reaches such a position: overlapping colours, an
    /// empty centre square, `to_play` not 0 or 1, or a pass needed where none can have happened
    /// (the placements so far leave the wrong player to move, and there are too few of them
    /// for a pass: see the crate docs on game length).
    pub fn from_bitboards(discs: [u64; 2], to_play: Player) -> Result<Self, GameError> {
        let placed = (discs[0] | discs[1]).count_ones() as usize;
        let placements = placed.saturating_sub(4);
        let move_number = placements + usize::from(placements % 2 != to_play % 2);
        Self::validated(discs, to_play, move_number)
    }

    /// Checks everything about `(discs, to_play, move_number)` that a real game guarantees and
    /// that can be checked without replaying it, then builds the state.
    fn validated(discs: [u64; 2], to_play: Player, move_number: usize) -> Result<Self, GameError> {
        let invalid = |msg: String| Err(GameError::InvalidState(msg));
        let both = discs[0] & discs[1];
        if both != 0 {
            return invalid(format!(
                "{} hold both a Black and a White disc",
                square_list(both)
            ));
        }
        if to_play > 1 {
            return invalid(format!(
                "to_play must be 0 (Black) or 1 (White), not {to_play}"
            ));
        }
        let occupied = discs[0] | discs[1];
        if occupied & CENTRE != CENTRE {
            return invalid(format!(
                "centre square(s) {} are empty, but the centre starts full and discs are never \
                 removed",
                square_list(CENTRE & !occupied)
            ));
        }
        // Every ply places one disc or passes, and the turn alternates on every ply.
        let placements = occupied.count_ones() as usize - 4;
        if move_number < placements {
            return invalid(format!(
                "{placements} discs have been placed, so at least {placements} plies were played, \
                 not {move_number}"
            ));
        }
        if move_number % 2 != to_play {
            return invalid(format!(
                "after {move_number} plies it is player {}'s turn, not player {to_play}'s",
                move_number % 2
            ));
        }
        let state = Self::with_cache(discs, to_play as u8, 0);
        // Each pass sits alone in a gap after one of placements FIRST_PASS_GAP..; the gap after
        // the last placement only counts if the mover can place (a pass always hands the turn
        // to a player who can, so a mover without a placement was not just passed to).
        let passes = move_number - placements;
        let last_gap = if state.moves == 0 {
            placements.saturating_sub(1)
        } else {
            placements
        };
        let max_passes = (last_gap + 1).saturating_sub(FIRST_PASS_GAP);
        if passes > max_passes {
            return invalid(format!(
                "{move_number} plies with {placements} placements means {passes} passes, more \
                 than the {max_passes} possible (no two passes in a row, none before the \
                 {FIRST_PASS_GAP}th placement)"
            ));
        }
        Ok(OthelloState {
            plies: move_number as u8,
            ..state
        })
    }

    /// The disc bitboards indexed by player (0 = Black, 1 = White); bit `row * 8 + col`, row 0
    /// being rank 1 and column 0 file a, the same numbering as the actions.
    pub fn bitboards(&self) -> [u64; 2] {
        self.discs
    }

    /// How many discs `player` has (0 for a player other than 0 or 1).
    pub fn disc_count(&self, player: Player) -> u32 {
        self.discs.get(player).map_or(0, |d| d.count_ones())
    }

    /// Who owns the disc on `(row, col)` (row 0 = rank 1, col 0 = file a); `None` for an empty
    /// square or one off the board.
    pub fn cell(&self, row: usize, col: usize) -> Option<Player> {
        if row >= 8 || col >= 8 {
            return None;
        }
        let bit = 1u64 << (row * 8 + col);
        (0..2).find(|&p| self.discs[p] & bit != 0)
    }

    /// The mover's legal placements as a bitboard (pass is not in it). Zero means the mover
    /// must pass, or the game is over.
    pub fn legal_moves_bitboard(&self) -> u64 {
        self.moves
    }

    /// Whether the mover's only legal action is to pass.
    pub fn must_pass(&self) -> bool {
        self.must_pass
    }

    /// Passes played so far: plies minus placed discs.
    fn passes(&self) -> usize {
        self.plies as usize + 4 - (self.discs[0] | self.discs[1]).count_ones() as usize
    }
}

impl GameState for OthelloState {
    fn to_play(&self) -> Player {
        self.to_play as Player
    }

    fn is_terminal(&self) -> bool {
        self.moves == 0 && !self.must_pass
    }

    fn legal_actions(&self, out: &mut Vec<Action>) {
        out.clear();
        let mut moves = self.moves;
        while moves != 0 {
            out.push(moves.trailing_zeros() as Action);
            moves &= moves - 1;
        }
        if self.must_pass {
            out.push(PASS);
        }
    }

    fn is_legal(&self, action: Action) -> bool {
        match action {
            0..=63 => self.moves >> action & 1 == 1,
            PASS => self.must_pass,
            _ => false,
        }
    }

    /// Places a disc and flips, or passes.
    ///
    /// # Panics
    /// On an illegal action in debug builds; release builds skip the check and leave a
    /// corrupt state.
    #[inline]
    fn apply_unchecked(&mut self, action: Action) {
        debug_assert!(self.is_legal(action), "illegal action {action}");
        if action != PASS {
            let (mover, opponent) = self.sides();
            let flipped = bitboard::flips(mover, opponent, action);
            let me = self.to_play as usize;
            self.discs[me] = mover | flipped | 1 << (action & 63);
            self.discs[me ^ 1] = opponent ^ flipped;
        }
        self.to_play ^= 1;
        self.plies += 1;
        self.refresh_moves();
    }

    fn player_return(&self, player: Player) -> f32 {
        if player > 1 || !self.is_terminal() {
            return 0.0;
        }
        match self.disc_count(player).cmp(&self.disc_count(player ^ 1)) {
            std::cmp::Ordering::Greater => 1.0,
            std::cmp::Ordering::Less => -1.0,
            std::cmp::Ordering::Equal => 0.0,
        }
    }

    /// Zobrist hash over the discs, plus a key when White is to move, plus a key for the number
    /// of passes so far. The last is there because, unlike in most games, the board and the
    /// mover do not fix the move number: two passes (one each, at different times) leave both
    /// unchanged but the state two plies further on, and equal hashes must mean equal states.
    /// Computed on demand from byte tables (16 lookups) rather than stored, so playing moves
    /// costs nothing for it.
    fn position_hash(&self) -> u64 {
        let [black, white] = self.discs;
        let mut hash = 0;
        for (byte, (black_keys, white_keys)) in
            DISC_TABLES[0].iter().zip(&DISC_TABLES[1]).enumerate()
        {
            let shift = 8 * byte;
            hash ^= black_keys[(black >> shift) as u8 as usize]
                ^ white_keys[(white >> shift) as u8 as usize];
        }
        if self.to_play == 1 {
            hash ^= KEYS[128];
        }
        match self.passes() {
            0 => hash,
            passes => hash ^ KEYS[128 + passes],
        }
    }

    /// Three 8×8 planes from the mover's view: the mover's discs, the opponent's discs and the
    /// mover's legal placements.
    ///
    /// # Panics
    /// If `out.len()` is not 192.
    fn write_observation(&self, out: &mut [f32]) {
        assert_eq!(out.len(), 3 * 64, "othello observation is [3, 8, 8]");
        let (mover, opponent) = self.sides();
        for (plane, bits) in out.chunks_exact_mut(64).zip([mover, opponent, self.moves]) {
            for (sq, cell) in plane.iter_mut().enumerate() {
                *cell = (bits >> sq & 1) as f32;
            }
        }
    }

    fn move_number(&self) -> usize {
        self.plies as usize
    }

    /// Picks the `k`-th legal move with `k` drawn exactly as the list-based default draws its
    /// index, so seeded playouts are identical either way; but it reads the cached move
    /// bitboard instead of building a list.
    #[inline]
    fn random_legal_action<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        _scratch: &mut Vec<Action>,
    ) -> Option<Action> {
        let count = self.moves.count_ones() as usize;
        if count == 0 {
            return self.must_pass.then(|| {
                rng.random_range(0..1usize);
                PASS
            });
        }
        let mut moves = self.moves;
        for _ in 0..rng.random_range(0..count) {
            moves &= moves - 1;
        }
        Some(moves.trailing_zeros() as Action)
    }
}

/// The serialized form: a readable board (rank 1 first, `X` Black, `O` White, `.` empty), the
/// player to move and the number of plies played. The move cache is rebuilt on reading.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StateRepr {
    board: [String; 8],
    to_play: Player,
    move_number: usize,
}

impl From<OthelloState> for StateRepr {
    fn from(state: OthelloState) -> Self {
        StateRepr {
            board: std::array::from_fn(|row| {
                (0..8).map(|col| disc_char(state.cell(row, col))).collect()
            }),
            to_play: state.to_play(),
            move_number: state.move_number(),
        }
    }
}

impl TryFrom<StateRepr> for OthelloState {
    type Error = GameError;

    fn try_from(repr: StateRepr) -> Result<Self, GameError> {
        let mut discs = [0u64; 2];
        for (row, text) in repr.board.iter().enumerate() {
            if text.chars().count() != 8 {
                return Err(GameError::InvalidState(format!(
                    "board row {} (rank {}) is `{text}`: expected 8 of `X`, `O`, `.`",
                    row,
                    row + 1
                )));
            }
            for (col, ch) in text.chars().enumerate() {
                let bit = 1u64 << (row * 8 + col);
                match ch {
                    'X' => discs[0] |= bit,
                    'O' => discs[1] |= bit,
                    '.' => {}
                    _ => {
                        return Err(GameError::InvalidState(format!(
                            "board row {} (rank {}) has `{ch}` at file {}: expected `X` (Black), \
                             `O` (White) or `.` (empty)",
                            row,
                            row + 1,
                            (b'a' + col as u8) as char
                        )))
                    }
                }
            }
        }
        OthelloState::validated(discs, repr.to_play, repr.move_number)
    }
}

/// The text character for a square's owner: `X` Black, `O` White, `.` empty.
fn disc_char(owner: Option<Player>) -> char {
    match owner {
        Some(0) => 'X',
        Some(_) => 'O',
        None => '.',
    }
}

/// The squares of a bitboard in notation, for messages: `d4, e5`.
fn square_list(bits: u64) -> String {
    (0..64)
        .filter(|&sq| bits >> sq & 1 == 1)
        .map(square_name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The board with files across the top and rank 1 at the top (as actions number it), `X` for
/// Black, `O` for White, `*` for the mover's legal placements, then whose turn it is and the
/// disc count, or the result once the game is over.
impl fmt::Display for OthelloState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "  a b c d e f g h")?;
        for row in 0..8 {
            write!(f, "{}", row + 1)?;
            for col in 0..8 {
                let ch = match self.cell(row, col) {
                    None if self.moves >> (row * 8 + col) & 1 == 1 => '*',
                    owner => disc_char(owner),
                };
                write!(f, " {ch}")?;
            }
            writeln!(f)?;
        }
        let (black, white) = (self.disc_count(0), self.disc_count(1));
        let name = |p: Player| if p == 0 { "Black (X)" } else { "White (O)" };
        if self.is_terminal() {
            let result = match black.cmp(&white) {
                std::cmp::Ordering::Greater => "Black wins",
                std::cmp::Ordering::Less => "White wins",
                std::cmp::Ordering::Equal => "draw",
            };
            write!(f, "game over: X {black} – O {white}, {result}")
        } else if self.must_pass {
            write!(
                f,
                "{} to move and must pass: X {black} – O {white}",
                name(self.to_play())
            )
        } else {
            write!(f, "{} to move: X {black} – O {white}", name(self.to_play()))
        }
    }
}
