//! Othello (Reversi) on 8×8 bitboards.
//!
//! # Rules
//! The standard game as played in tournaments (World Othello Federation rules). The board
//! starts with White on d4 and e5 and Black on d5 and e4; Black moves first. A move places a
//! disc of the mover's colour on an empty square so that, in at least one of the eight
//! directions, a contiguous run of the opponent's discs lies between it and another of the
//! mover's discs; every such run, in every direction, is flipped. A player with no such
//! placement must pass, and may pass only then. The game ends when neither player can place
//! (a full board is a special case): whoever has more discs wins, equal counts are a draw,
//! and empty squares go to no one (returns are +1 / −1 / 0 by disc count alone).
//!
//! # Parameters
//! None: [`Othello`] is a unit struct and [`ludus_core::Game::params`] is empty.
//!
//! # Actions and notation
//! Action `row * 8 + col` places on that square, row 0 being rank 1 (the top row as the board
//! is usually printed) and column 0 file a; action 64 ([`PASS`]) passes. So `a1` = 0, `h1` = 7,
//! `a8` = 56, `h8` = 63. Notation is the file letter then the rank (`d3`, `F5`) or `pass`, read
//! case-insensitively. Black's first moves are d3, c4, f5 and e6.
//!
//! The pass action is legal only when the mover has no placement, and a finished game has no
//! legal action at all (not even pass), so "terminal ⇔ no legal action" holds. Per the
//! [`ludus_core::perft`] convention a pass is a ply.
//!
//! # Observation
//! Shape `[3, 8, 8]`, from the mover's point of view, cells in action order:
//! 0. the mover's discs,
//! 1. the opponent's discs,
//! 2. the mover's legal placements.
//!
//! Planes 0–1 are the whole state as far as play goes: the rules treat both colours alike, so
//! the colour of the mover does not change the value of a position and needs no plane (the
//! move number only matters for the pass-count part of the hash). Plane 2 is derivable, but
//! mobility is the central strategic feature of Othello and costs a network several layers to
//! compute, so it is given; it also tells a network when the mover must pass (an empty plane
//! in a non-terminal state).
//!
//! # Symmetries
//! Identity, `rot180`, `transpose` (the a1–h8 diagonal) and `anti_transpose` (the a8–h1
//! diagonal): the four of the square's eight symmetries that map the starting position to
//! itself. The other four swap the colours of the centre discs. Pass maps to itself.
//!
//! # Game length
//! [`ludus_core::Game::max_game_length`] is 112 = 60 placements (one per empty square) + 52
//! passes. A pass only happens when the opponent can move, so it never ends the game and is
//! never followed by another pass: every pass sits alone in a gap between two consecutive
//! placements. No pass is possible before the 8th placement (every position of 7 plies or
//! fewer gives the mover a placement or is over; a test enumerates them all, and
//! `f5 f6 f7 g7 d3 f8 h8 h6 pass` shows the 8th gap can hold one), so the gaps that can hold
//! one are those after placements 8 to 59: at most 52 passes.
//!
//! # Text and serialized forms
//! `Display` prints the board with rank 1 at the top, `X` for Black, `O` for White, `*` on the
//! mover's legal placements, then whose turn it is (and whether they must pass) with the disc
//! count, or the result. Serde writes the same picture without the `*`s, plus the player to
//! move and the move number:
//! `{"board":["........", …, "...OX...","...XO...", …],"to_play":0,"move_number":0}`.
//! Reading checks what any real game guarantees (the centre is full, the disc count fits the
//! move number, the turn fits its parity, passes fit between placements) and rejects the rest.
//!
//! # Hash
//! Zobrist over the discs, plus keys for White to move and for the number of passes so far
//! (see [`OthelloState`]'s `position_hash`).
//!
//! # Example
//! ```
//! use ludus_core::{Game, GameState};
//! use ludus_othello::{Othello, PASS};
//!
//! let game = Othello;
//! let mut state = game.initial_state();
//! let mut legal = Vec::new();
//! state.legal_actions(&mut legal);
//! let names: Vec<String> = legal.iter().map(|&a| game.action_to_string(a)).collect();
//! assert_eq!(names, ["d3", "c4", "f5", "e6"]);
//!
//! state.apply(game.parse_action("f5")?)?;
//! assert_eq!(state.disc_count(0), 4); // Black placed one disc and flipped e5
//! assert!(state.apply(PASS).is_err()); // White has moves, so may not pass
//! assert!(!state.is_terminal());
//! # Ok::<(), ludus_core::GameError>(())
//! ```

pub mod bitboard;
mod state;

use ludus_core::{Action, Game, GameError, Symmetry};

pub use state::OthelloState;

/// The pass action, legal only when the mover cannot place a disc.
pub const PASS: Action = 64;

/// The fewest placements before a pass can happen: passes can only fall in the gaps after
/// placements `FIRST_PASS_GAP..=59` (see the crate docs on game length; checked by a test).
pub(crate) const FIRST_PASS_GAP: usize = 8;

/// A map of board cells `(row, col) -> (row, col)`, as `Symmetry::from_cell_map` takes.
type CellMap = fn(usize, usize) -> (usize, usize);

/// The game of Othello. It has no parameters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Othello;

/// `a1`..`h8` for squares 0–63 (file letter, then rank).
pub(crate) fn square_name(square: usize) -> String {
    let file = (b'a' + (square % 8) as u8) as char;
    format!("{file}{}", square / 8 + 1)
}

impl Game for Othello {
    type State = OthelloState;

    fn name(&self) -> &'static str {
        "othello"
    }

    fn params(&self) -> Vec<(&'static str, String)> {
        Vec::new()
    }

    /// 64 squares plus pass.
    fn num_actions(&self) -> usize {
        65
    }

    /// Mover's discs, opponent's discs, mover's legal placements (see the crate docs).
    fn observation_shape(&self) -> [usize; 3] {
        [3, 8, 8]
    }

    /// 60 placements and at most 52 passes between them (see the crate docs).
    fn max_game_length(&self) -> usize {
        60 + 60 - FIRST_PASS_GAP
    }

    fn initial_state(&self) -> OthelloState {
        OthelloState::initial()
    }

    /// Identity, rot180, transpose and anti-transpose: those that fix the starting position.
    fn symmetries(&self) -> Vec<Symmetry> {
        let maps: [(&str, CellMap); 4] = [
            ("identity", |r, c| (r, c)),
            ("rot180", |r, c| (7 - r, 7 - c)),
            ("transpose", |r, c| (c, r)),
            ("anti_transpose", |r, c| (7 - c, 7 - r)),
        ];
        maps.iter()
            .map(|&(name, map)| Symmetry::from_cell_map(name, 8, 8, self.num_actions(), map))
            .collect()
    }

    /// `a1`..`h8`, or `pass`. Actions beyond the action space get `#n` so that nothing panics.
    fn action_to_string(&self, action: Action) -> String {
        match action {
            0..=63 => square_name(action),
            PASS => "pass".to_string(),
            _ => format!("#{action}"),
        }
    }

    fn parse_action(&self, text: &str) -> Result<Action, GameError> {
        let lower = text.trim().to_ascii_lowercase();
        if lower == "pass" {
            return Ok(PASS);
        }
        match lower.as_bytes() {
            &[file @ b'a'..=b'h', rank @ b'1'..=b'8'] => {
                Ok(usize::from(rank - b'1') * 8 + usize::from(file - b'a'))
            }
            _ => Err(GameError::ParseAction {
                text: text.to_string(),
                expected: "a square a1–h8 (file a–h, then rank 1–8) or `pass`".to_string(),
            }),
        }
    }
}
