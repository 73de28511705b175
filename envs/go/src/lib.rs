//! Go on a square board from 5×5 to 19×19, with area scoring.
//!
//! ```
//! use ludus_core::{Game, GameState};
//! use ludus_go::{Go, GoConfig};
//!
//! let go = Go::default(); // 9×9, komi 7.5
//! let state = go.play_moves(&["d4", "pass", "pass"])?;
//! assert!(state.is_terminal());
//! assert_eq!(state.area_score(), 81.0 - 7.5); // Black's lone stone owns the whole board
//! assert_eq!(go.returns(&state), vec![1.0, -1.0]);
//!
//! let small = Go::new(GoConfig { size: 5, ..GoConfig::default() })?;
//! assert_eq!(small.num_actions(), 26); // 25 points and pass
//! # Ok::<(), ludus_core::GameError>(())
//! ```
//!
//! # Rules
//!
//! The Tromp-Taylor rules (<https://tromp.github.io/go.html>) with two changes that match common
//! computer-Go practice (and OpenSpiel's Go, except for how superko is handled):
//!
//! * Black (player 0) moves first; players alternate placing a stone on an empty point or
//!   passing. After a stone is placed, opposing chains without liberties are removed.
//! * **Suicide is illegal**: a stone may not be placed where its chain would have no liberty
//!   after captures. (A move that captures is never suicide.)
//! * **Positional superko**: a move may not recreate the stones of any earlier board of the game,
//!   whoever was to move then. This includes the simple ko. Pass is always legal.
//! * Two consecutive passes end the game. So does a **move cap** (`max_moves` plies, passes
//!   included), which counts as a truncation ([`ludus_core::GameState::is_truncated`]); either way the
//!   board is scored as it stands.
//! * **Area scoring**: a player's score is their stones plus the empty points that reach only
//!   their colour; White adds komi. The higher score wins (+1/−1); an exact tie, possible only
//!   with a whole-number komi, is a draw (0). [`GoState::area_score`] gives Black's margin.
//!
//! # Parameters ([`GoConfig`])
//!
//! | key         | default     | meaning                                               |
//! |-------------|-------------|-------------------------------------------------------|
//! | `size`      | 9           | board side, 5–19                                      |
//! | `komi`      | 7.5         | points added to White's area (any finite number)      |
//! | `max_moves` | 2 × size²   | ply cap (≥ 1), as OpenSpiel's default                 |
//!
//! # Actions and notation
//!
//! Action `row × size + col` places a stone, with row 0 = rank 1 (the bottom edge as drawn) and
//! col 0 = column A; action `size²` is pass. Notation is GTP's: a column letter from `a`,
//! skipping `i` (`a b c d e f g h j k …`), then the rank, so `j9` is the top-right corner of 9×9
//! and `i5` does not parse; `pass`. Reading is case-insensitive and trims whitespace; writing is
//! lowercase.
//!
//! # Observation
//!
//! Four planes of `size × size` (row 0 = rank 1), from the view of the player to move:
//!
//! 0. the mover's stones;
//! 1. the opponent's stones;
//! 2. empty points where the mover may not play: suicide, simple ko or superko;
//! 3. all ones when the mover is Black, all zeros when White (so komi's side is known).
//!
//! # Symmetries
//!
//! The eight rotations and reflections of the square, pass fixed. Superko compares whole
//! boards, so it is invariant under them too.
//!
//! # Implementation
//!
//! [`GoState`] keeps the board in fixed arrays with a one-point frame, so that neighbours need
//! no bounds checks, and tracks chains incrementally: each stone knows its chain's root and the
//! next stone (a circular list), and each root holds a packed record of pseudo-liberties with
//! their sum and sum of squares, which tells exactly when a chain is in atari. Legality is
//! therefore O(1) from the four neighbours. Superko keeps the Zobrist hash of every board in a
//! `Vec<u64>`, but searches it only for a move on a point where a stone of the mover's colour
//! was once captured, since no other move can recreate an earlier board, and a 512-bit Bloom
//! filter of the history rules out most of those without a scan. Random playouts draw
//! candidate points from a bitboard of empty points instead of listing legal moves.
//!
//! Playout speed comes mostly from avoiding mispredicted branches: neighbour colours and the
//! sampled index are as good as random, so the sampler's bit selection, the liberty test and
//! the liberty bookkeeping of a placement are computed with arithmetic on 0/1 flags where a
//! branch would go either way, and action ↔ point conversions multiply by a reciprocal
//! instead of dividing. A placed stone joins an adjacent own chain (or starts its own) by
//! selects rather than a branch; only merging a second chain or capturing still branches.
//!
//! The position hash covers the board, the side to move, consecutive passes, the move number
//! and the superko history (states with different histories can have different legal moves, so
//! they are different states); [`GoState::board_hash`] is the stones alone.

mod game;
mod repr;
mod state;

pub use game::{Go, GoConfig, MAX_SIZE, MIN_SIZE};
pub use state::GoState;
