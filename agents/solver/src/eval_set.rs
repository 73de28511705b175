//! Connect Four positions labelled by the solver, and the share of optimal moves an agent picks
//! on them: the yardstick of the AlphaZero trainer ("chooses an optimal move on ≥ 90 % of
//! solver-labelled positions between 8 and 30 plies").
//!
//! # The built-in set
//! [`builtin_eval_set`] holds 1,000 positions with 8 to 30 stones (43 or 44 per ply), compiled
//! into the crate from `data/connect4-eval.tsv` so that a clean clone can score an agent without
//! the shared data directory. The file was written by
//!
//! ```text
//! nice cargo run --release -p ludus-solver --example label_positions -- \
//!     --count 1000 --min-ply 8 --max-ply 30 --seed 1 > agents/solver/data/connect4-eval.tsv
//! ```
//!
//! in about 6 minutes of CPU time (one thread), and the same command writes the same file
//! again. How the example samples positions:
//! * Target plies go round-robin over 8..=30, so every ply gets the same number of positions
//!   and the per-ply buckets of a report are equally precise.
//! * A game is played from the empty board to the target ply. At each ply the move is, with
//!   probability ½, uniformly random, and otherwise that of an alpha-beta search with the
//!   Connect Four heuristic (`ludus-baselines`) to a depth of 2, 3 or 4 drawn once per game. The
//!   searched moves make the positions look like those reached in play (threats built and
//!   blocked, centre columns filled first); the random ones make them varied and unbalanced.
//! * A game that ends before the target ply is dropped, and so is a position equal to one
//!   already taken or to its mirror image.
//! * So is a position in which every legal move is optimal: it cannot tell a good agent from a
//!   bad one. Positions where the mover can win at once or must block an immediate threat are
//!   kept, because finding those moves is exactly what an agent must learn first.
//! * Every legal column is labelled with [`crate::Solver::analyze`]'s exact score.
//!
//! # File format
//! Tab-separated, one header line, one position per line, as the analysed Pons benchmark files
//! in `shared/data/connect4-pons/analyzed` (so the same code and the same pandas one-liner read
//! both):
//!
//! ```text
//! moves     s1  s2  s3  s4  s5  s6  s7  ply
//! 14256552  -5  -6  -3  2   -5  2   -4  8
//! ```
//!
//! (tabs shown as spaces). `moves` are the columns played from the empty board as digits 1–7; `s1`..`s7` the exact
//! score of playing that column, from the mover's point of view in Pons' convention (see the
//! crate docs: positive wins, 0 draws, negative loses; larger is faster win or slower loss);
//! an empty field is a full column; `ply` the number of stones. The header names the columns,
//! so files with more columns (Pons' add `set`, `pons_score`, `cpu_s`) parse too.
//!
//! # Which moves are optimal
//! A move is **optimal** when its outcome — win, draw or loss, the sign of its score — is the
//! best outcome any legal move reaches. Winning slowly counts as optimal; drawing when a win
//! was available does not. This is the mistake convention of Pons' benchmark as used by
//! AlphaZero.jl (`scripts/pons_mistakes.py` here): it judges what an agent can be expected to
//! know, the value of the position, and not the length of the win.
//!
//! # Difficulty
//! Shares on the built-in set (seeded agents, ties broken at random): uniformly random moves
//! 41 %; alpha-beta with the Connect Four heuristic (`ludus-baselines`) at depth 1 74 %,
//! depth 4 87 %, depth 8 89 %; the solver 100 %. About a fifth of the positions offer an
//! immediate win, and in 86 % the mover's best outcome is a win (in the rest a draw: positions
//! where every move loses have no wrong move). The trainer's goal of 90 % thus asks for more
//! than a depth-8 search with a hand-written heuristic.
//!
//! ```
//! use ludus_core::GameState;
//! use ludus_solver::{builtin_eval_set, optimal_move_share};
//! // Always the leftmost open column: a poor player, right mostly by luck.
//! let leftmost = |state: &ludus_connect4::ConnectFourState| {
//!     (0..7).find(|&c| state.is_legal(c)).ok_or("the game is over")
//! };
//! let report = optimal_move_share(builtin_eval_set(), leftmost)?;
//! assert_eq!(report.total.positions, 1000);
//! assert!(report.total.fraction() < 0.7);
//! println!("{report}"); // optimal …/1000 (… %); plies 8-14: …; 15-22: …; 23-30: …
//! # Ok::<(), &str>(())
//! ```

use std::fmt;
use std::ops::RangeInclusive;
use std::sync::OnceLock;

use ludus_connect4::ConnectFourState;
use ludus_core::{Action, GameError, GameState};

use crate::WIDTH;

/// The header line of the files this module reads and writes (fields separated by tabs).
pub const TSV_HEADER: &str = "moves\ts1\ts2\ts3\ts4\ts5\ts6\ts7\tply";

/// Most stones on the board, and so the largest ply.
const MAX_PLY: usize = crate::CELLS as usize;

/// The largest score magnitude in Pons' convention: a win with one's 4th stone scores 22 − 4.
const MAX_SCORE: i8 = 18;

/// Ply buckets of [`OptimalMoveReport::buckets`]: opening, middle game, late middle game of
/// the built-in set's 8–30 plies.
pub const PLY_BUCKETS: [RangeInclusive<u8>; 3] = [8..=14, 15..=22, 23..=30];

/// The text of the built-in set, compiled in so that no file has to be found at run time.
const BUILTIN_TSV: &str = include_str!("../data/connect4-eval.tsv");

/// One position with the solver's score of every legal move.
///
/// Built only by [`LabelledPosition::new`] or [`parse_labelled_tsv`], which check that the
/// moves are legal, the game is not over and exactly the open columns carry a score, so the
/// game state can be kept alongside and an evaluation never has to handle a bad row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelledPosition {
    moves: String,
    scores: [Option<i8>; WIDTH],
    state: ConnectFourState,
}

impl LabelledPosition {
    /// A position given by its `moves` (digits 1–7 from the empty board) and the score of each
    /// column from the mover's point of view (`None` for a full column).
    ///
    /// # Errors
    /// The [`GameError`] of [`ConnectFourState::from_moves`] for unreadable or illegal moves;
    /// [`GameError::InvalidState`] when the game is over, when a full column has a score or an
    /// open one has none, or when a score lies outside ±18 (no Connect Four score does).
    pub fn new(moves: &str, scores: [Option<i8>; WIDTH]) -> Result<Self, GameError> {
        let state = ConnectFourState::from_moves(moves)?;
        let invalid = |why: String| Err(GameError::InvalidState(format!("`{moves}`: {why}")));
        if state.is_terminal() {
            return invalid("the game is over, so no move can be judged".to_string());
        }
        for (column, score) in scores.iter().enumerate() {
            match (state.is_legal(column), score) {
                (true, None) => {
                    return invalid(format!("column {} is open but has no score", column + 1))
                }
                (false, Some(s)) => {
                    return invalid(format!("column {} is full but has score {s}", column + 1))
                }
                (true, Some(s)) if s.abs() > MAX_SCORE => {
                    return invalid(format!(
                        "column {}: score {s} is outside ±{MAX_SCORE}",
                        column + 1
                    ))
                }
                _ => {}
            }
        }
        Ok(Self {
            moves: moves.trim().to_string(),
            scores,
            state,
        })
    }

    /// The moves from the empty board, as 1-based column digits.
    pub fn moves(&self) -> &str {
        &self.moves
    }

    /// The exact score of each column (index 0 = column `1`), `None` for a full column.
    pub fn scores(&self) -> &[Option<i8>; WIDTH] {
        &self.scores
    }

    /// Stones on the board.
    pub fn ply(&self) -> u8 {
        self.state.num_moves() as u8
    }

    /// The position, ready for an agent.
    pub fn state(&self) -> &ConnectFourState {
        &self.state
    }

    /// The best outcome a legal move reaches: 1 win, 0 draw, −1 loss.
    pub fn best_outcome(&self) -> i8 {
        // A position that is not over has an open column, so the fold sees a score.
        self.scores
            .iter()
            .flatten()
            .map(|s| s.signum())
            .fold(-1, i8::max)
    }

    /// Whether playing `column` (0-based, the Connect Four action) reaches the best outcome
    /// available. False for a full column or one out of range, which an agent must not play.
    pub fn is_optimal(&self, column: Action) -> bool {
        match self.scores.get(column) {
            Some(Some(score)) => score.signum() == self.best_outcome(),
            _ => false,
        }
    }

    /// The 0-based columns that are optimal, ascending.
    pub fn optimal_columns(&self) -> Vec<Action> {
        (0..WIDTH).filter(|&c| self.is_optimal(c)).collect()
    }

    /// Whether some legal move is not optimal, i.e. whether the position can tell a good move
    /// from a bad one. Every position of the built-in set is informative.
    pub fn is_informative(&self) -> bool {
        (0..WIDTH).any(|c| self.scores[c].is_some() && !self.is_optimal(c))
    }
}

impl fmt::Display for LabelledPosition {
    /// One data line of the file format, without the newline: `moves`, the seven scores (empty
    /// for full columns) and the ply, separated by tabs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.moves)?;
        for score in &self.scores {
            match score {
                Some(s) => write!(f, "\t{s}")?,
                None => write!(f, "\t")?,
            }
        }
        write!(f, "\t{}", self.ply())
    }
}

/// Why a labelled file could not be read. Every row error names its 1-based line number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EvalSetError {
    /// The text has no header line.
    #[error("no header line: expected `moves`, `s1`..`s7` and optionally `ply`, tab-separated")]
    Empty,
    /// The header lacks a column the format needs.
    #[error("line 1: the header has no `{0}` column")]
    MissingColumn(String),
    /// A data line that does not describe a labelled position.
    #[error("line {line}: {reason}")]
    BadRow {
        /// 1-based line number (the header is line 1).
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
}

/// Reads a labelled file: a tab-separated header naming `moves`, `s1`..`s7` and optionally
/// `ply` (in any order, other columns ignored), then one position per line. Blank lines are
/// skipped. A `ply` field, when present, must equal the number of moves.
///
/// # Errors
/// [`EvalSetError::Empty`] and [`EvalSetError::MissingColumn`] for the header;
/// [`EvalSetError::BadRow`] with the line number for a short line, an unreadable score, a
/// wrong ply, or a position [`LabelledPosition::new`] refuses.
pub fn parse_labelled_tsv(text: &str) -> Result<Vec<LabelledPosition>, EvalSetError> {
    let mut lines = text.lines().map(|l| l.trim_end_matches('\r'));
    let header: Vec<&str> = lines
        .next()
        .ok_or(EvalSetError::Empty)?
        .split('\t')
        .collect();
    let find = |name: &str| header.iter().position(|h| h.trim() == name);
    let column = |name: String| find(&name).ok_or(EvalSetError::MissingColumn(name));
    let moves_at = column("moves".to_string())?;
    let mut score_at = [0; WIDTH];
    for (c, at) in score_at.iter_mut().enumerate() {
        *at = column(format!("s{}", c + 1))?;
    }
    let ply_at = find("ply");
    let needed = score_at
        .iter()
        .chain(&ply_at)
        .fold(moves_at, |a, &b| a.max(b))
        + 1;

    let mut positions = Vec::new();
    for (index, line) in lines.enumerate() {
        let line_number = index + 2;
        if line.trim().is_empty() {
            continue;
        }
        let bad = |reason: String| EvalSetError::BadRow {
            line: line_number,
            reason,
        };
        let fields: Vec<&str> = line.split('\t').collect();
        if fields.len() < needed {
            return Err(bad(format!(
                "{} tab-separated fields, the header needs {needed}",
                fields.len()
            )));
        }
        let mut scores = [None; WIDTH];
        for (c, score) in scores.iter_mut().enumerate() {
            let field = fields[score_at[c]].trim();
            if !field.is_empty() {
                *score =
                    Some(field.parse::<i8>().map_err(|_| {
                        bad(format!("s{}: `{field}` is not an integer score", c + 1))
                    })?);
            }
        }
        let moves = fields[moves_at];
        let position = LabelledPosition::new(moves, scores).map_err(|e| bad(e.to_string()))?;
        if let Some(at) = ply_at {
            let ply = fields[at].trim();
            if ply.parse::<usize>().ok() != Some(position.ply().into()) {
                return Err(bad(format!(
                    "ply `{ply}` does not match the {} moves of `{}`",
                    position.ply(),
                    position.moves()
                )));
            }
        }
        positions.push(position);
    }
    Ok(positions)
}

/// The built-in evaluation set (see the module docs), parsed on first use.
///
/// # Panics
/// Never in a released crate: the compiled-in file is checked by the crate's tests.
pub fn builtin_eval_set() -> &'static [LabelledPosition] {
    static SET: OnceLock<Vec<LabelledPosition>> = OnceLock::new();
    SET.get_or_init(|| {
        parse_labelled_tsv(BUILTIN_TSV).expect("the built-in data/connect4-eval.tsv parses")
    })
}

/// A count of positions and of optimal picks among them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Share {
    /// Positions judged.
    pub positions: usize,
    /// Positions where the agent's move was optimal.
    pub optimal: usize,
}

impl Share {
    /// `optimal / positions`, 0 when there are no positions.
    pub fn fraction(&self) -> f64 {
        if self.positions == 0 {
            0.0
        } else {
            self.optimal as f64 / self.positions as f64
        }
    }

    fn add(&mut self, other: Share) {
        self.positions += other.positions;
        self.optimal += other.optimal;
    }
}

impl fmt::Display for Share {
    /// `912/1000 (91.2 %)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{} ({:.1} %)",
            self.optimal,
            self.positions,
            100.0 * self.fraction()
        )
    }
}

/// The result of [`optimal_move_share`]: the overall share and the share at each ply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptimalMoveReport {
    /// All positions.
    pub total: Share,
    /// `by_ply[p]`: the positions with `p` stones.
    pub by_ply: [Share; MAX_PLY + 1],
}

impl OptimalMoveReport {
    /// The positions whose ply lies in `plies`.
    pub fn plies(&self, plies: RangeInclusive<u8>) -> Share {
        let mut share = Share::default();
        for ply in plies.filter(|&p| usize::from(p) <= MAX_PLY) {
            share.add(self.by_ply[usize::from(ply)]);
        }
        share
    }

    /// The shares in the fixed [`PLY_BUCKETS`] (8–14, 15–22, 23–30), so that metric names stay
    /// the same from one evaluation to the next.
    pub fn buckets(&self) -> [(RangeInclusive<u8>, Share); 3] {
        PLY_BUCKETS.map(|range| (range.clone(), self.plies(range)))
    }
}

impl fmt::Display for OptimalMoveReport {
    /// `optimal 912/1000 (91.2 %); plies 8-14: …; 15-22: …; 23-30: …`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "optimal {}", self.total)?;
        for (i, (range, share)) in self.buckets().into_iter().enumerate() {
            let label = if i == 0 { "; plies " } else { "; " };
            write!(f, "{label}{}-{}: {share}", range.start(), range.end())?;
        }
        Ok(())
    }
}

/// Asks `pick` for a move in every position and counts the optimal ones (see the module docs
/// for "optimal"). `pick` returns a 0-based column; a full or out-of-range column counts as
/// not optimal. The picker can be any agent or search: `|s| agent.select_action(s)`.
///
/// # Errors
/// The first error `pick` returns; the positions after it are not judged.
pub fn optimal_move_share<E, F>(
    positions: &[LabelledPosition],
    mut pick: F,
) -> Result<OptimalMoveReport, E>
where
    F: FnMut(&ConnectFourState) -> Result<Action, E>,
{
    let mut report = OptimalMoveReport {
        total: Share::default(),
        by_ply: [Share::default(); MAX_PLY + 1],
    };
    for position in positions {
        let column = pick(position.state())?;
        let one = Share {
            positions: 1,
            optimal: usize::from(position.is_optimal(column)),
        };
        report.total.add(one);
        report.by_ply[usize::from(position.ply())].add(one);
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(moves: &str, scores: [Option<i8>; WIDTH]) -> LabelledPosition {
        LabelledPosition::new(moves, scores).unwrap()
    }

    #[test]
    fn optimal_means_best_outcome_class() {
        // A win, however slow, is optimal when a win exists; draws and losses are not.
        let p = row(
            "",
            [
                Some(1),
                Some(-3),
                Some(0),
                Some(18),
                Some(0),
                Some(2),
                Some(-1),
            ],
        );
        assert_eq!(p.best_outcome(), 1);
        assert_eq!(p.optimal_columns(), vec![0, 3, 5]);
        assert!(p.is_informative());
        // No win: every draw is optimal, every loss is not.
        let q = row(
            "",
            [
                Some(-1),
                Some(0),
                Some(-5),
                Some(0),
                Some(-2),
                Some(-2),
                Some(0),
            ],
        );
        assert_eq!(q.best_outcome(), 0);
        assert_eq!(q.optimal_columns(), vec![1, 3, 6]);
        // Only losses: the slow and the fast loss are both optimal, so nothing is learnt.
        let r = row(
            "",
            [
                Some(-1),
                Some(-9),
                Some(-2),
                Some(-3),
                Some(-4),
                Some(-5),
                Some(-6),
            ],
        );
        assert_eq!(r.best_outcome(), -1);
        assert_eq!(r.optimal_columns(), (0..WIDTH).collect::<Vec<_>>());
        assert!(!r.is_informative());
        // Out of range is never optimal.
        assert!(!p.is_optimal(7));
        assert!(!p.is_optimal(usize::MAX));
    }

    #[test]
    fn full_columns_are_never_optimal() {
        // Column 1 full (six stones), X to move.
        let p = row(
            "111111",
            [
                None,
                Some(-2),
                Some(-2),
                Some(0),
                Some(-2),
                Some(-2),
                Some(-2),
            ],
        );
        assert_eq!(p.ply(), 6);
        assert!(!p.is_optimal(0));
        assert_eq!(p.optimal_columns(), vec![3]);
        assert_eq!(p.to_string(), "111111\t\t-2\t-2\t0\t-2\t-2\t-2\t6");
    }

    #[test]
    fn new_checks_scores_against_the_board() {
        let open = [Some(0); WIDTH];
        assert!(
            LabelledPosition::new("111111", open).is_err(),
            "full column scored"
        );
        let mut missing = open;
        missing[4] = None;
        assert!(
            LabelledPosition::new("", missing).is_err(),
            "open column unscored"
        );
        let mut wild = open;
        wild[2] = Some(19);
        assert!(
            LabelledPosition::new("", wild).is_err(),
            "score out of range"
        );
        assert!(matches!(
            LabelledPosition::new("1212121", open),
            Err(GameError::InvalidState(_))
        ));
        assert!(matches!(
            LabelledPosition::new("1282", open),
            Err(GameError::ParseAction { .. })
        ));
    }

    #[test]
    fn rows_round_trip_through_the_text_format() {
        let p = row(
            "4453",
            [
                Some(-3),
                Some(1),
                Some(-1),
                Some(2),
                Some(0),
                Some(-4),
                Some(-4),
            ],
        );
        let text = format!("{TSV_HEADER}\n{p}\n");
        assert_eq!(parse_labelled_tsv(&text).unwrap(), vec![p]);
    }

    #[test]
    fn header_names_the_columns() {
        // Columns reordered, an extra one, CRLF line ends, a blank line, no ply column.
        let text = "s7\tmoves\textra\ts1\ts2\ts3\ts4\ts5\ts6\r\n\
                    -1\t4\tx\t0\t0\t1\t2\t1\t-1\r\n\r\n";
        let set = parse_labelled_tsv(text).unwrap();
        assert_eq!(set.len(), 1);
        assert_eq!(set[0].moves(), "4");
        assert_eq!(set[0].scores()[6], Some(-1));
        assert_eq!(set[0].scores()[0], Some(0));
        assert_eq!(set[0].optimal_columns(), vec![2, 3, 4]);
    }

    #[test]
    fn errors_name_the_line() {
        let err = |text: &str| parse_labelled_tsv(text).unwrap_err();
        assert_eq!(err(""), EvalSetError::Empty);
        assert_eq!(
            err("moves\ts1\ts2\ts3\ts4\ts5\ts7\n"),
            EvalSetError::MissingColumn("s6".to_string())
        );
        let good = "4\t0\t0\t1\t2\t1\t0\t-1\t1";
        let cases = [
            (
                "4\t0\t0\t1",
                "line 3: 4 tab-separated fields, the header needs 9",
            ),
            (
                "4\t0\t0\t1\tx\t1\t0\t-1\t1",
                "line 3: s4: `x` is not an integer score",
            ),
            (
                "4\t0\t0\t1\t2\t1\t0\t-1\t2",
                "line 3: ply `2` does not match the 1 moves of `4`",
            ),
        ];
        for (bad, message) in cases {
            let text = format!("{TSV_HEADER}\n{good}\n{bad}\n");
            let e = err(&text);
            assert_eq!(e.to_string(), message);
            assert!(matches!(e, EvalSetError::BadRow { line: 3, .. }));
        }
        let text = format!("{TSV_HEADER}\n{good}\n\n48\t0\t0\t1\t2\t1\t0\t-1\t2\n");
        let e = err(&text);
        assert!(matches!(e, EvalSetError::BadRow { line: 4, .. }), "{e}");
        assert!(e.to_string().starts_with("line 4: "), "{e}");
        let text = format!("{TSV_HEADER}\n4\t0\t0\t1\t\t1\t0\t-1\t1\n");
        assert!(err(&text)
            .to_string()
            .contains("column 4 is open but has no score"));
    }

    #[test]
    fn report_counts_by_ply() {
        let a = row(
            "",
            [
                Some(1),
                Some(-1),
                Some(-1),
                Some(-1),
                Some(-1),
                Some(-1),
                Some(-1),
            ],
        );
        let c = row(
            "11",
            [
                Some(-1),
                Some(0),
                Some(0),
                Some(0),
                Some(0),
                Some(0),
                Some(0),
            ],
        );
        let positions = [a.clone(), c.clone(), a];
        // Always column 1: optimal in `a`, not in `c`.
        let report = optimal_move_share(&positions, |_| Ok::<_, ()>(0)).unwrap();
        assert_eq!(
            report.total,
            Share {
                positions: 3,
                optimal: 2
            }
        );
        assert_eq!(
            report.by_ply[0],
            Share {
                positions: 2,
                optimal: 2
            }
        );
        assert_eq!(
            report.by_ply[2],
            Share {
                positions: 1,
                optimal: 0
            }
        );
        assert_eq!(report.plies(0..=8), report.total);
        assert_eq!(
            report.plies(1..=255),
            Share {
                positions: 1,
                optimal: 0
            }
        );
        assert_eq!(report.buckets()[0].1, Share::default());
        assert!((report.total.fraction() - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(Share::default().fraction(), 0.0);
        // An illegal pick is not optimal; the picker's error stops the count.
        let report = optimal_move_share(&positions, |_| Ok::<_, ()>(9)).unwrap();
        assert_eq!(report.total.optimal, 0);
        let mut calls = 0;
        let failed = optimal_move_share(&positions, |_| {
            calls += 1;
            if calls == 2 {
                Err("network failed")
            } else {
                Ok(0)
            }
        });
        assert_eq!(failed, Err("network failed"));
    }
}
