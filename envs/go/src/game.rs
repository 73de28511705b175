//! The rules object: parameters, notation and symmetries.

use ludus_core::{Action, Game, GameError, Symmetry};

use crate::state::GoState;

/// Smallest supported board side.
pub const MIN_SIZE: usize = 5;
/// Largest supported board side (the state's fixed arrays are sized for it).
pub const MAX_SIZE: usize = 19;

/// Column letters in GTP order. `i` is skipped, as on real boards, so that it cannot be confused
/// with `j` or `1`.
pub(crate) const COLUMNS: &[u8; MAX_SIZE] = b"abcdefghjklmnopqrst";

/// Go's parameters, before validation by [`Go::new`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GoConfig {
    /// Board side length, 5–19 (default 9).
    pub size: usize,
    /// Points added to White's area (default 7.5; a half-point komi makes draws impossible).
    pub komi: f32,
    /// Plies (passes included) after which the game is cut off and the board scored as it
    /// stands; `None` means `2 × size²` (the default, as in OpenSpiel).
    pub max_moves: Option<usize>,
}

impl Default for GoConfig {
    fn default() -> Self {
        GoConfig {
            size: 9,
            komi: 7.5,
            max_moves: None,
        }
    }
}

/// Go with area (Tromp-Taylor) scoring, positional superko and no suicide; see the crate docs.
///
/// Built from a [`GoConfig`] by [`Go::new`]; `Go::default()` is 9×9 with komi 7.5.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Go {
    size: usize,
    komi: f32,
    /// Resolved: `config.max_moves.unwrap_or(2 × size²)`, so that `params()` rebuilds the same game.
    max_moves: usize,
}

impl Go {
    /// Validates `config` and builds the game.
    ///
    /// # Errors
    /// [`GameError::BadParameter`] for a size outside 5–19, a komi that is not finite or a
    /// `max_moves` of 0 or above 100 × size², naming the accepted values.
    pub fn new(config: GoConfig) -> Result<Go, GameError> {
        let bad = |key: &str, value: String, expected: &str| GameError::BadParameter {
            key: key.to_string(),
            value,
            expected: expected.to_string(),
        };
        if !(MIN_SIZE..=MAX_SIZE).contains(&config.size) {
            return Err(bad(
                "size",
                config.size.to_string(),
                "a board size from 5 to 19",
            ));
        }
        if !config.komi.is_finite() {
            return Err(bad(
                "komi",
                config.komi.to_string(),
                "a finite komi such as 7.5",
            ));
        }
        // The cap bounds the superko history a state reserves; 100 × N² is fifty times the
        // default and far beyond any real game.
        let cap_limit = 100 * config.size * config.size;
        if let Some(m) = config.max_moves.filter(|&m| m == 0 || m > cap_limit) {
            return Err(bad(
                "max_moves",
                m.to_string(),
                &format!("a whole number from 1 to 100 × size² ({cap_limit})"),
            ));
        }
        Ok(Go {
            size: config.size,
            komi: config.komi,
            max_moves: config.max_moves.unwrap_or(2 * config.size * config.size),
        })
    }

    /// Board side length.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Points added to White's area.
    pub fn komi(&self) -> f32 {
        self.komi
    }

    /// The ply cap (passes included).
    pub fn max_moves(&self) -> usize {
        self.max_moves
    }

    /// The pass action, `size²`.
    pub fn pass_action(&self) -> Action {
        self.size * self.size
    }

    /// The action of the point at `row` (0 = rank 1) and `col` (0 = column A), if on the board.
    pub fn action_at(&self, row: usize, col: usize) -> Option<Action> {
        (row < self.size && col < self.size).then_some(row * self.size + col)
    }

    fn notation_help(&self) -> String {
        let last = char::from(COLUMNS[self.size - 1]);
        format!(
            "a point a1–{last}{n} (column a–{last} without i, then row 1–{n}) or pass",
            n = self.size
        )
    }
}

impl Default for Go {
    fn default() -> Self {
        Go::new(GoConfig::default()).expect("the default configuration is valid")
    }
}

impl Game for Go {
    type State = GoState;

    fn name(&self) -> &'static str {
        "go"
    }

    fn params(&self) -> Vec<(&'static str, String)> {
        vec![
            ("size", self.size.to_string()),
            ("komi", self.komi.to_string()),
            ("max_moves", self.max_moves.to_string()),
        ]
    }

    fn num_actions(&self) -> usize {
        self.size * self.size + 1
    }

    /// `[4, size, size]`: mover's stones, opponent's stones, empty points where the mover may
    /// not play (suicide or superko), and a constant plane that is 1 when the mover is Black.
    fn observation_shape(&self) -> [usize; 3] {
        [4, self.size, self.size]
    }

    fn max_game_length(&self) -> usize {
        self.max_moves
    }

    fn initial_state(&self) -> GoState {
        GoState::new(self.size, self.komi, self.max_moves)
    }

    fn symmetries(&self) -> Vec<Symmetry> {
        Symmetry::square_board(self.size, self.num_actions())
    }

    /// `"d4"` (lowercase, GTP columns without `i`), `"pass"`; an out-of-range action is written
    /// as `"invalid(N)"`, which does not parse.
    fn action_to_string(&self, action: Action) -> String {
        let n = self.size;
        if action == n * n {
            "pass".to_string()
        } else if action < n * n {
            format!("{}{}", char::from(COLUMNS[action % n]), action / n + 1)
        } else {
            format!("invalid({action})")
        }
    }

    fn parse_action(&self, text: &str) -> Result<Action, GameError> {
        let n = self.size;
        let err = || GameError::ParseAction {
            text: text.to_string(),
            expected: self.notation_help(),
        };
        let lower = text.trim().to_ascii_lowercase();
        if lower == "pass" {
            return Ok(n * n);
        }
        let (&letter, digits) = lower.as_bytes().split_first().ok_or_else(err)?;
        let col = COLUMNS[..n]
            .iter()
            .position(|&c| c == letter)
            .ok_or_else(err)?;
        let well_formed = matches!(digits.len(), 1 | 2)
            && digits[0] != b'0'
            && digits.iter().all(u8::is_ascii_digit);
        if !well_formed {
            return Err(err());
        }
        let rank = digits
            .iter()
            .fold(0, |acc, &d| acc * 10 + usize::from(d - b'0'));
        if rank > n {
            return Err(err());
        }
        Ok((rank - 1) * n + col)
    }
}
