//! The search: negamax with alpha-beta over [`Position`]s, a transposition table, move ordering
//! and a null-window driver that finds the exact score.

use crate::position::{column_mask, Position, CELLS, WIDTH};
use crate::table::{Bound, TranspositionTable};

/// Columns from the centre outwards: central stones take part in more lines of four, so centre
/// moves are better on average and searching them first gives earlier cut-offs.
const CENTER_FIRST: [usize; WIDTH] = [3, 2, 4, 1, 5, 0, 6];

/// Number of cells as a signed score operand.
const N: i32 = CELLS as i32;

/// The score of a position whose mover wins with their next stone: 22 − (stones after it).
const fn immediate_win_score(moves: i32) -> i32 {
    (N + 1 - moves) / 2
}

/// The candidate moves of one node, best first: sorted by decreasing heuristic score, and among
/// equal scores in the order they were added (centre first). Insertion sort on at most seven
/// entries, on the stack.
#[derive(Debug)]
struct MoveOrder {
    cells: [u64; WIDTH],
    scores: [u32; WIDTH],
    len: usize,
}

impl MoveOrder {
    fn new() -> Self {
        Self {
            cells: [0; WIDTH],
            scores: [0; WIDTH],
            len: 0,
        }
    }

    #[inline]
    fn push(&mut self, cell: u64, score: u32) {
        let mut i = self.len;
        while i > 0 && self.scores[i - 1] < score {
            self.cells[i] = self.cells[i - 1];
            self.scores[i] = self.scores[i - 1];
            i -= 1;
        }
        self.cells[i] = cell;
        self.scores[i] = score;
        self.len += 1;
    }

    fn cells(&self) -> &[u64] {
        &self.cells[..self.len]
    }
}

/// A Connect Four solver: exact game-theoretic scores of positions on the 7×6 board.
///
/// Scores follow Pascal Pons' convention: positive when the player to move wins, `22 − k` if they
/// win with their `k`-th stone (so faster wins score higher); 0 for a draw; negative when they
/// lose, `−(22 − k)` if the opponent wins with their `k`-th stone.
///
/// The transposition table is allocated once and kept between calls: its entries are bounds that
/// hold whatever position is searched, so analysing related positions (a game, the children of a
/// position) gets faster as it fills.
///
/// Speed (release build, one core, table cleared before each position; all 1,000 positions of
/// each of Pons' sets): positions with 14 or more stones take milliseconds (Middle-Medium: mean
/// 6 ms, max 0.17 s), positions with 10–13 stones at most about 5 s (Beginning-Medium: mean
/// 0.18 s), and boards with fewer than about 8 stones from seconds to minutes, as there is no
/// opening book. The search visits about 6–7 million nodes per second.
///
/// ```
/// use ludus_solver::{Position, Solver};
/// let mut solver = Solver::new(16);
/// let pos = Position::from_moves("2252576253462244111563365343671351441")?;
/// assert_eq!(solver.solve(&pos), -1);
/// assert_eq!(solver.weak_solve(&pos), -1);
/// # Ok::<(), ludus_solver::PositionError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Solver {
    table: TranspositionTable,
    nodes: u64,
    /// The search gives up once `nodes` reaches this (see [`Solver::best_moves_within`]).
    node_limit: u64,
    /// Set when a search hit `node_limit`; its results are then meaningless and nothing from it
    /// was stored in the table.
    aborted: bool,
}

impl Default for Solver {
    /// A solver with a [`Solver::DEFAULT_TT_MEGABYTES`] table.
    fn default() -> Self {
        Self::new(Self::DEFAULT_TT_MEGABYTES)
    }
}

impl Solver {
    /// Default transposition-table size: large enough that the benchmark sets rarely overwrite
    /// useful entries, small enough to allocate anywhere.
    pub const DEFAULT_TT_MEGABYTES: usize = 64;

    /// A solver whose transposition table takes about `tt_megabytes` MiB (at least 1, which keeps
    /// the table's key compression exact).
    pub fn new(tt_megabytes: usize) -> Self {
        Self {
            table: TranspositionTable::with_megabytes(tt_megabytes),
            nodes: 0,
            node_limit: u64::MAX,
            aborted: false,
        }
    }

    /// Number of transposition-table slots.
    pub fn table_entries(&self) -> usize {
        self.table.len()
    }

    /// Forgets every transposition-table entry, for timings that must not depend on earlier
    /// searches. Scores never depend on it.
    pub fn clear_table(&mut self) {
        self.table.clear();
    }

    /// Nodes searched since the solver was built or [`Solver::reset_nodes`] was called.
    pub fn nodes(&self) -> u64 {
        self.nodes
    }

    /// Sets the node counter to zero.
    pub fn reset_nodes(&mut self) {
        self.nodes = 0;
    }

    /// The exact score of `pos` for the player to move (see [`Solver`] for the convention).
    ///
    /// A finished position scores as the game ended: a loss at the winner's last stone, or 0
    /// for a full board.
    pub fn solve(&mut self, pos: &Position) -> i32 {
        self.search(pos, false)
    }

    /// Only the outcome for the player to move: 1 win, 0 draw, −1 loss.
    ///
    /// Much faster than [`Solver::solve`] because the search runs with the window [−1, 1] and
    /// cuts off as soon as any win or loss is proven, however slow.
    pub fn weak_solve(&mut self, pos: &Position) -> i32 {
        self.search(pos, true).signum()
    }

    /// The score of each move from the mover's point of view (the score of the position after
    /// the move, negated), `None` for full columns. All `None` on a finished position.
    pub fn analyze(&mut self, pos: &Position) -> [Option<i32>; WIDTH] {
        let moves = pos.num_moves() as i32;
        let mut scores = [None; WIDTH];
        for (column, score) in scores.iter_mut().enumerate() {
            if !pos.can_play(column) {
                continue;
            }
            *score = Some(if pos.is_winning_move(column) {
                immediate_win_score(moves)
            } else {
                let mut child = *pos;
                child.play_column_unchecked(column);
                -self.solve(&child)
            });
        }
        scores
    }

    /// The 0-based columns with the best exact score, ascending: every move that wins fastest,
    /// or draws, or loses slowest. Empty on a finished position.
    ///
    /// Cheaper than taking the maximum of [`Solver::analyze`]: after one exact solve of `pos`
    /// (score `s`), a move is optimal exactly when the position after it scores at most `−s`,
    /// which one null-window search per move decides.
    pub fn best_moves(&mut self, pos: &Position) -> Vec<usize> {
        if pos.is_game_over() {
            return Vec::new();
        }
        let winning: Vec<usize> = (0..WIDTH).filter(|&c| pos.is_winning_move(c)).collect();
        if !winning.is_empty() {
            return winning;
        }
        let best = self.solve(pos);
        (0..WIDTH)
            .filter(|&column| {
                if !pos.can_play(column) {
                    return false;
                }
                let mut child = *pos;
                child.play_column_unchecked(column);
                self.score_at_most(&child, -best)
            })
            .collect()
    }

    /// [`Solver::best_moves`] within a budget of `max_nodes` searched nodes, or `None` when the
    /// budget runs out first. The budget counts nodes, not time, so the answer is reproducible;
    /// what an abandoned search proved stays in the table and speeds up later searches, and
    /// nothing unproven is ever stored.
    pub fn best_moves_within(&mut self, pos: &Position, max_nodes: u64) -> Option<Vec<usize>> {
        self.node_limit = self.nodes.saturating_add(max_nodes);
        self.aborted = false;
        let best = self.best_moves(pos);
        self.node_limit = u64::MAX;
        let aborted = std::mem::replace(&mut self.aborted, false);
        (!aborted).then_some(best)
    }

    /// Whether the score of `pos` (not finished) is at most `bound`.
    fn score_at_most(&mut self, pos: &Position, bound: i32) -> bool {
        let moves = pos.num_moves() as i32;
        if moves == N {
            0 <= bound
        } else if pos.can_win_next() {
            immediate_win_score(moves) <= bound
        } else {
            self.negamax(pos, bound, bound + 1) <= bound
        }
    }

    /// Finds the score by a sequence of null-window searches, each of which only answers "is the
    /// score above `probe`?" and so prunes far more than a wide window. The interval [lo, hi]
    /// holding the score shrinks until it is a point. Probes lean towards 0 so that the
    /// (cheap) win/draw/loss question is settled first; `weak` stops there.
    fn search(&mut self, pos: &Position, weak: bool) -> i32 {
        let moves = pos.num_moves() as i32;
        if pos.last_mover_won() {
            // The opponent won with their ceil(moves / 2)-th stone.
            return -(N + 2 - moves) / 2;
        }
        if moves == N {
            return 0;
        }
        if pos.can_win_next() {
            return immediate_win_score(moves);
        }
        let (mut lo, mut hi) = if weak {
            (-1, 1)
        } else {
            (-(N - moves) / 2, immediate_win_score(moves))
        };
        while lo < hi && !self.aborted {
            let mut probe = lo + (hi - lo) / 2;
            if probe <= 0 && lo / 2 < probe {
                probe = lo / 2;
            } else if probe >= 0 && hi / 2 > probe {
                probe = hi / 2;
            }
            let result = self.negamax(pos, probe, probe + 1);
            if result <= probe {
                hi = result;
            } else {
                lo = result;
            }
        }
        lo
    }

    /// Negamax with alpha-beta, fail-soft at the edges: the result `r` is exact when it lies
    /// strictly inside (alpha, beta), an upper bound when `r <= alpha` and a lower bound when
    /// `r >= beta`.
    ///
    /// Precondition: the player to move cannot win with this move (callers check, and the
    /// recursion only plays moves that leave the opponent no immediate win).
    fn negamax(&mut self, pos: &Position, mut alpha: i32, mut beta: i32) -> i32 {
        debug_assert!(alpha < beta);
        debug_assert!(!pos.can_win_next());
        if self.nodes >= self.node_limit {
            self.aborted = true;
        }
        if self.aborted {
            return 0;
        }
        self.nodes += 1;
        let moves = pos.num_moves() as i32;

        let candidates = pos.non_losing_moves();
        if candidates == 0 {
            // Every move lets the opponent win with their next stone.
            return -(N - moves) / 2;
        }
        if moves >= N - 2 {
            // Neither side can win with the last two stones: draw.
            return 0;
        }

        // The opponent cannot win with their next stone, so at best they win with the one
        // after; the mover cannot win now, so at best with their next-but-one stone.
        let lowest = -(N - 2 - moves) / 2;
        if alpha < lowest {
            alpha = lowest;
            if alpha >= beta {
                return alpha;
            }
        }
        let highest = (N - 1 - moves) / 2;
        if beta > highest {
            beta = highest;
            if alpha >= beta {
                return beta;
            }
        }

        let key = pos.key();
        match self.table.get(key) {
            Some(Bound::Upper(v)) if beta > v => {
                beta = v;
                if alpha >= beta {
                    return beta;
                }
            }
            Some(Bound::Lower(v)) if alpha < v => {
                alpha = v;
                if alpha >= beta {
                    return alpha;
                }
            }
            _ => {}
        }

        let mut order = MoveOrder::new();
        for column in CENTER_FIRST {
            let cell = candidates & column_mask(column);
            if cell != 0 {
                order.push(cell, pos.move_score(cell));
            }
        }
        for &cell in order.cells() {
            let mut child = *pos;
            child.play_cell(cell);
            let score = -self.negamax(&child, -beta, -alpha);
            if self.aborted {
                return 0;
            }
            if score >= beta {
                self.table.put(key, Bound::Lower(score));
                return score;
            }
            alpha = alpha.max(score);
        }
        self.table.put(key, Bound::Upper(alpha));
        alpha
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Plain minimax with no pruning, table or ordering, scoring as the solver does: the oracle
    /// the solver is checked against on positions near the end of the game.
    fn brute_force(pos: &Position) -> i32 {
        let moves = pos.num_moves() as i32;
        if pos.last_mover_won() {
            return -(N + 2 - moves) / 2;
        }
        if moves == N {
            return 0;
        }
        (0..WIDTH)
            .filter(|&c| pos.can_play(c))
            .map(|c| {
                let mut child = *pos;
                child.play_column_unchecked(c);
                -brute_force(&child)
            })
            .max()
            .expect("a position that is not over has a move")
    }

    /// A random position with `plies` stones that is not over, from a fixed-seed generator.
    fn random_position(rng: &mut impl rand::Rng, plies: u32) -> Option<Position> {
        let mut pos = Position::new();
        while pos.num_moves() < plies {
            let open: Vec<usize> = (0..WIDTH).filter(|&c| pos.can_play(c)).collect();
            if open.is_empty() {
                return None;
            }
            pos.play(open[rng.random_range(0..open.len())]).ok()?;
            if pos.is_game_over() {
                return None;
            }
        }
        Some(pos)
    }

    #[test]
    fn move_order_is_by_score_then_insertion() {
        let mut order = MoveOrder::new();
        order.push(1, 2);
        order.push(2, 5);
        order.push(3, 2);
        order.push(4, 0);
        order.push(5, 5);
        assert_eq!(order.cells(), &[2, 5, 1, 3, 4]);
    }

    #[test]
    fn scores_of_simple_positions() {
        let mut solver = Solver::new(1);
        // X to move with three on the bottom row: wins with their 4th stone.
        let p = Position::from_moves("112233").unwrap();
        assert_eq!(solver.solve(&p), 18);
        // O to move facing two open ends: X wins with their 4th stone.
        let q = Position::from_moves("22334").unwrap();
        assert_eq!(solver.solve(&q), -18);
        // A finished game: X just won with their 4th stone.
        let done = Position::from_moves("1122334").unwrap();
        assert_eq!(solver.solve(&done), -18);
        assert_eq!(solver.analyze(&done), [None; WIDTH]);
        assert!(solver.best_moves(&done).is_empty());
        assert!(solver.nodes() > 0);
        solver.reset_nodes();
        assert_eq!(solver.nodes(), 0);
    }

    #[test]
    fn matches_brute_force_near_the_end() {
        let mut rng = ludus_core::seeded_rng(7);
        let mut solver = Solver::new(1);
        let mut checked = 0;
        while checked < 60 {
            let Some(pos) = random_position(&mut rng, 30 + (checked % 4)) else {
                continue;
            };
            let exact = brute_force(&pos);
            assert_eq!(solver.solve(&pos), exact, "position\n{pos}");
            assert_eq!(solver.weak_solve(&pos), exact.signum(), "position\n{pos}");
            assert_eq!(solver.solve(&pos.mirrored()), exact);
            // Each move's score is the negated score of the child.
            let scores = solver.analyze(&pos);
            for (c, s) in scores.iter().enumerate() {
                let mut child = pos;
                assert_eq!(s.is_some(), child.play(c).is_ok());
                if let Some(s) = s {
                    assert_eq!(*s, -brute_force(&child));
                }
            }
            assert_eq!(scores.iter().flatten().max().copied(), Some(exact));
            let optimal: Vec<usize> = (0..WIDTH).filter(|&c| scores[c] == Some(exact)).collect();
            assert_eq!(solver.best_moves(&pos), optimal, "position\n{pos}");
            checked += 1;
        }
    }

    #[test]
    fn table_size_does_not_change_scores() {
        let mut rng = ludus_core::seeded_rng(11);
        let mut small = Solver::new(1);
        let mut large = Solver::new(8);
        let mut checked = 0;
        while checked < 20 {
            let Some(pos) = random_position(&mut rng, 16) else {
                continue;
            };
            assert_eq!(small.solve(&pos), large.solve(&pos));
            checked += 1;
        }
    }

    #[test]
    fn a_search_cut_short_by_its_budget_answers_none_and_leaves_the_table_sound() {
        let mut solver = Solver::new(4);
        // A 3-stone board needs tens of millions of nodes: 10 000 is far too few.
        let early = Position::from_moves("443").unwrap();
        assert_eq!(solver.best_moves_within(&early, 10_000), None);
        // Whatever was stored before the cut-off is proven: later answers are still exact.
        let pos = Position::from_moves("2252576253462244111563365343671351441").unwrap();
        assert_eq!(solver.solve(&pos), -1);
        let mid = Position::from_moves("52753311433677442422121").unwrap();
        let mut fresh = Solver::new(4);
        assert_eq!(
            solver.best_moves_within(&mid, 10_000_000),
            Some(fresh.best_moves(&mid))
        );
        assert_eq!(solver.solve(&mid), fresh.solve(&mid));
    }
}
