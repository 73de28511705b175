//! Connect Four: potential fours and the centre column.
//!
//! Every one of the board's 69 lines of four cells that holds stones of only one player can
//! still become that player's four. Such a line is worth 1, 4 or 16 for one, two or three stones
//! (three stones and a hole is a threat the opponent must answer). The centre column takes part in
//! more lines than any other, so each stone there earns a further 2. The mover's total minus the
//! opponent's, divided by 40, is squashed by `tanh` into (−1, 1).
//!
//! Reads the position through [`ConnectFourState::bitboards`]: Pascal Pons' layout, bit
//! `col * 7 + row` with row 0 at the bottom.

use ludus_connect4::{ConnectFour, ConnectFourState, HEIGHT, WIDTH};

use crate::{heuristics::squash, Evaluator};

const STRIDE: usize = HEIGHT + 1;

/// The 69 lines of four: 24 horizontal, 21 vertical, 12 on each diagonal.
const WINDOWS: [u64; 69] = windows();

const fn cell(col: usize, row: usize) -> u64 {
    1 << (col * STRIDE + row)
}

const fn windows() -> [u64; 69] {
    let mut out = [0; 69];
    let mut n = 0;
    // (column step, row step): horizontal, vertical, up-right, down-right.
    let dirs: [(i32, i32); 4] = [(1, 0), (0, 1), (1, 1), (1, -1)];
    let mut d = 0;
    while d < dirs.len() {
        let (dc, dr) = dirs[d];
        let mut col = 0;
        while col < WIDTH as i32 {
            let mut row = 0;
            while row < HEIGHT as i32 {
                let (end_col, end_row) = (col + 3 * dc, row + 3 * dr);
                if end_col < WIDTH as i32 && end_row >= 0 && end_row < HEIGHT as i32 {
                    let mut w = 0;
                    let mut k = 0;
                    while k < 4 {
                        w |= cell((col + k * dc) as usize, (row + k * dr) as usize);
                        k += 1;
                    }
                    out[n] = w;
                    n += 1;
                }
                row += 1;
            }
            col += 1;
        }
        d += 1;
    }
    assert!(n == 69);
    out
}

/// Line value by the number of stones in it.
const LINE_WEIGHT: [i32; 5] = [0, 1, 4, 16, 0];
const CENTRE_WEIGHT: i32 = 2;
const CENTRE_COLUMN: u64 = ((1 << HEIGHT) - 1) << (3 * STRIDE);

/// The default Connect Four evaluation (see the module documentation).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConnectFourEvaluator;

impl ConnectFourEvaluator {
    /// The unsquashed score for the mover; positive is good for the mover.
    pub fn raw_score(state: &ConnectFourState) -> i32 {
        let (mine, all) = state.bitboards();
        let theirs = all ^ mine;
        let mut score = CENTRE_WEIGHT
            * ((mine & CENTRE_COLUMN).count_ones() as i32
                - (theirs & CENTRE_COLUMN).count_ones() as i32);
        for w in WINDOWS {
            let (m, t) = ((mine & w).count_ones(), (theirs & w).count_ones());
            if t == 0 {
                score += LINE_WEIGHT[m as usize];
            } else if m == 0 {
                score -= LINE_WEIGHT[t as usize];
            }
        }
        score
    }
}

impl Evaluator<ConnectFour> for ConnectFourEvaluator {
    fn evaluate(&self, state: &ConnectFourState) -> f32 {
        squash(Self::raw_score(state) as f32 / 40.0)
    }

    fn name(&self) -> String {
        "connect4".to_string()
    }
}

impl crate::DefaultEvaluator for ConnectFour {
    fn default_evaluator() -> Box<dyn Evaluator<Self>> {
        Box::new(ConnectFourEvaluator)
    }
}

#[cfg(test)]
mod tests {
    use ludus_core::Game;

    use super::*;

    #[test]
    fn windows_are_distinct_lines_of_four_on_the_board() {
        let board: u64 = (0..WIDTH)
            .map(|c| ((1u64 << HEIGHT) - 1) << (c * STRIDE))
            .sum();
        let mut seen = std::collections::HashSet::new();
        for w in WINDOWS {
            assert_eq!(w.count_ones(), 4);
            assert_eq!(w & !board, 0, "{w:#x} leaves the board");
            assert!(seen.insert(w));
        }
        // Each corner is in 3 lines, a centre cell of the bottom row in 4 + 1 + 1 + 1 = 7.
        let lines_through = |c, r| WINDOWS.iter().filter(|&&w| w & cell(c, r) != 0).count();
        assert_eq!(lines_through(0, 0), 3);
        assert_eq!(lines_through(3, 0), 7);
        assert_eq!(lines_through(3, 3), 13);
    }

    #[test]
    fn scores_the_centre_and_threats_for_the_mover() {
        let start = ConnectFour.initial_state();
        assert_eq!(ConnectFourEvaluator::raw_score(&start), 0);
        // After X plays the centre, O (to move) is behind; after an edge move, less so.
        let centre = ConnectFourState::from_moves("4").unwrap();
        let edge = ConnectFourState::from_moves("1").unwrap();
        let (c, e) = (
            ConnectFourEvaluator::raw_score(&centre),
            ConnectFourEvaluator::raw_score(&edge),
        );
        assert!(c < e && e < 0, "centre {c}, edge {e}");
        // The evaluation is zero-sum in the mover: mirrored positions score alike.
        let mirrored = ConnectFourState::from_moves("7").unwrap();
        assert_eq!(ConnectFourEvaluator::raw_score(&mirrored), e);
        // X with an open three on the bottom row against O's three in column 7, X to move.
        let three = ConnectFourState::from_moves("273747").unwrap();
        let v = ConnectFourEvaluator.evaluate(&three);
        assert!(v > 0.3 && v < 1.0, "{v}");
    }
}
