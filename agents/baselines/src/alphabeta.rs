//! Negamax alpha-beta with iterative deepening and a transposition table.
//!
//! Implementation details (Knuth & Moore 1975 for alpha-beta; the Chess Programming Wiki pages
//! "Negamax", "Iterative Deepening" and "Transposition Table" for the rest):
//!
//! * **Negamax, fail-soft.** A score is from the point of view of the player to move. Children
//!   whose mover is the same player (a game where a player moves twice) are searched without
//!   negation, so alternation is not assumed; two players and zero-sum returns are (checked at
//!   the root).
//! * **Integer scores.** A heuristic value `v ∈ (−1, 1)` from the [`Evaluator`] becomes
//!   `round(v · 10 000)`. A finished game at `ply` plies from the root scores
//!   `r · (MATE − ply)` for the mover's return `r`, so wins are worth more the sooner they come
//!   and losses cost less the later they come, and every proven result outranks every heuristic.
//! * **Transposition table.** A fixed-size, always-replace table indexed by the low bits of
//!   `position_hash()` and checked against the full hash. It stores score, bound type, depth and
//!   best move. Proven scores are stored relative to the node, so they stay right at any ply.
//!   Entries cut off the search only when their depth is at least the depth still to search; their
//!   move is always tried first. An entry also records whether its subtree ended before the
//!   horizon everywhere, so that a cut-off keeps track of whether the iteration was exhaustive.
//!   The table lives across the moves of a game and is cleared by
//!   [`Agent::new_game`].
//! * **Iterative deepening.** Depths 1, 2, … up to the limit; each iteration searches the
//!   previous iteration's best root move first. With a time limit, an iteration that runs out of
//!   time is abandoned and the last complete one decides (depth 1 always completes). Deepening
//!   also stops once the result is proven or the whole game tree fitted inside the depth.
//! * **Root ties.** Every root move after the first is searched with `alpha = best − 1`, so a move
//!   that equals the best gets its exact score rather than a bound. The move is drawn by the
//!   agent's seeded generator among all moves with the best score, so games between
//!   deterministic players still vary with the seed.

use std::time::{Duration, Instant};

use ludus_core::{seeded_rng, Action, Agent, AgentError, Game, GameState, LudusRng, Player};
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::{DefaultEvaluator, Evaluator};

/// The score of a win at the root; a win `k` plies away scores `MATE − k`.
pub const MATE: i32 = 1 << 24;
/// Scores at or beyond this magnitude are proven results, not heuristics.
const MATE_BOUND: i32 = MATE / 2;
/// Heuristic values in (−1, 1) are scaled by this to integers.
const EVAL_SCALE: f32 = 10_000.0;
const INF: i32 = MATE + 1;
/// The default size of the transposition table: 2^18 entries of 24 bytes, 6 MiB.
pub const DEFAULT_TT_BITS: u32 = 18;
/// How often (in nodes) the clock is read when a time limit is set.
const CLOCK_EVERY: u64 = 1024;

/// Limits of [`AlphaBetaAgent`]'s iterative deepening; the search stops at whichever is reached
/// first. With neither set, the default depth is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlphaBetaConfig {
    /// The last depth (in plies) searched, 0 counting as 1 (default 6; see
    /// [`crate::DefaultEvaluator::default_depth`] for each game's). `None` deepens until the time runs out,
    /// the result is proven, or the whole game fits in the search.
    pub depth: Option<u32>,
    /// Wall-clock budget per move (default none). Depth 1 is always completed, however long it
    /// takes.
    pub max_time: Option<Duration>,
}

impl AlphaBetaConfig {
    /// The depth of [`AlphaBetaConfig::default`]. [`crate::DefaultEvaluator::default_depth`]
    /// gives a depth suited to each game.
    pub const DEFAULT_DEPTH: u32 = 6;
}

impl Default for AlphaBetaConfig {
    fn default() -> Self {
        AlphaBetaConfig {
            depth: Some(Self::DEFAULT_DEPTH),
            max_time: None,
        }
    }
}

/// What the last search found, for the CLI and for analysis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlphaBetaStats {
    /// The action chosen.
    pub best_action: Action,
    /// All root actions that share the best score (the choice among them is random).
    pub tied_actions: Vec<Action>,
    /// The score of the best move for the player to move: `round(v · 10 000)` for a heuristic
    /// value `v`, `±(MATE − k)` for a win or loss in `k` plies.
    pub score: i32,
    /// The deepest completed iteration.
    pub depth: u32,
    /// Positions visited, over all iterations (including an abandoned last one).
    pub nodes: u64,
    /// Wall-clock time of the search.
    pub elapsed: Duration,
}

impl AlphaBetaStats {
    /// The score as a value in [−1, 1] for the player to move: ±1 for a proven win or loss,
    /// the heuristic value otherwise.
    pub fn value(&self) -> f32 {
        if self.score.abs() >= MATE_BOUND {
            self.score.signum() as f32
        } else {
            self.score as f32 / EVAL_SCALE
        }
    }

    /// `Some(k)` for a forced win in `k` plies, `Some(-k)` for a forced loss in `k` plies,
    /// `None` when the result is a heuristic estimate.
    pub fn proven_in(&self) -> Option<i32> {
        (self.score.abs() >= MATE_BOUND).then(|| self.score.signum() * (MATE - self.score.abs()))
    }

    /// Nodes per second of wall-clock time.
    pub fn nodes_per_sec(&self) -> f64 {
        self.nodes as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bound {
    Exact,
    /// The true score is at least the stored one (a beta cut-off).
    Lower,
    /// The true score is at most the stored one (no move raised alpha).
    Upper,
}

#[derive(Debug, Clone, Copy)]
struct TtEntry {
    key: u64,
    score: i32,
    /// The best (or cut-off) move, `u32::MAX` for none.
    best: u32,
    depth: u16,
    bound: Bound,
    /// No leaf below was scored heuristically: the score is the game-theoretic one.
    complete: bool,
    /// The game the entry was stored in; entries of other games are empty.
    generation: u8,
}

const EMPTY: TtEntry = TtEntry {
    key: 0,
    score: 0,
    best: u32::MAX,
    depth: 0,
    bound: Bound::Upper,
    complete: false,
    generation: 0,
};

/// Always-replace table of `2^bits` entries; `bits == 0` disables it. It is allocated on the
/// first store. Clearing it bumps a generation number instead of writing every slot, so a new
/// game costs nothing; entries of an older generation read as empty.
#[derive(Debug, Clone)]
struct TranspositionTable {
    entries: Vec<TtEntry>,
    bits: u32,
    /// Never 0, the generation of [`EMPTY`].
    generation: u8,
}

impl TranspositionTable {
    fn new(bits: u32) -> Self {
        TranspositionTable {
            entries: Vec::new(),
            bits: bits.min(30),
            generation: 1,
        }
    }

    /// Empties every slot, keeping the allocation for the next game.
    fn clear(&mut self) {
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            // After 255 games old entries could match again: wipe them for real.
            self.entries.fill(EMPTY);
            self.generation = 1;
        }
    }

    fn index(&self, key: u64) -> usize {
        (key & ((1u64 << self.bits) - 1)) as usize
    }

    fn probe(&self, key: u64) -> Option<TtEntry> {
        if self.entries.is_empty() {
            return None;
        }
        let e = self.entries[self.index(key)];
        (e.key == key && e.generation == self.generation).then_some(e)
    }

    fn store(&mut self, entry: TtEntry) {
        if self.bits == 0 {
            return;
        }
        if self.entries.is_empty() {
            self.entries = vec![EMPTY; 1 << self.bits];
        }
        let i = self.index(entry.key);
        self.entries[i] = TtEntry {
            generation: self.generation,
            ..entry
        };
    }
}

/// A proven score relative to the root becomes relative to the node `ply` plies down, and back.
fn score_to_tt(score: i32, ply: u32) -> i32 {
    match score {
        s if s >= MATE_BOUND => s + ply as i32,
        s if s <= -MATE_BOUND => s - ply as i32,
        s => s,
    }
}

fn score_from_tt(score: i32, ply: u32) -> i32 {
    match score {
        s if s >= MATE_BOUND => s - ply as i32,
        s if s <= -MATE_BOUND => s + ply as i32,
        s => s,
    }
}

/// A depth-limited negamax player (see the module documentation).
///
/// ```
/// use ludus_baselines::{AlphaBetaAgent, AlphaBetaConfig, ZeroEvaluator};
/// use ludus_core::{Agent, Game};
///
/// let game = ludus_tictactoe::TicTacToe;
/// let config = AlphaBetaConfig { depth: Some(9), max_time: None };
/// let mut agent = AlphaBetaAgent::new(game, config, ZeroEvaluator, 1);
/// agent.select_action(&game.initial_state()).unwrap();
/// // Tic-tac-toe is a draw: depth 9 reaches every end and proves it.
/// let stats = agent.last_stats().unwrap();
/// assert_eq!((stats.score, stats.depth), (0, 9));
/// ```
#[derive(Debug, Clone)]
pub struct AlphaBetaAgent<G: Game, E: Evaluator<G> = Box<dyn Evaluator<G>>> {
    game: G,
    config: AlphaBetaConfig,
    evaluator: E,
    rng: LudusRng,
    tt: TranspositionTable,
    /// One legal-action list per ply, reused by every node at that ply.
    move_lists: Vec<Vec<Action>>,
    nodes: u64,
    deadline: Option<Instant>,
    /// Whether the current iteration may be abandoned when the deadline passes.
    may_stop: bool,
    stopped: bool,
    /// Whether the current iteration evaluated any leaf heuristically.
    hit_horizon: bool,
    stats: Option<AlphaBetaStats>,
}

impl<G: DefaultEvaluator> AlphaBetaAgent<G> {
    /// The game's default player: its [`DefaultEvaluator::default_evaluator`] searched to its
    /// [`DefaultEvaluator::default_depth`].
    pub fn with_defaults(game: G, seed: u64) -> Self {
        let config = AlphaBetaConfig {
            depth: Some(G::default_depth()),
            max_time: None,
        };
        AlphaBetaAgent::new(game, config, G::default_evaluator(), seed)
    }
}

impl<G: Game, E: Evaluator<G>> AlphaBetaAgent<G, E> {
    /// An alpha-beta player for `game`, scoring leaves with `evaluator`, breaking ties with
    /// `seed`. A config with neither limit set gets the default depth.
    pub fn new(game: G, config: AlphaBetaConfig, evaluator: E, seed: u64) -> Self {
        let config = if config.depth.is_none() && config.max_time.is_none() {
            AlphaBetaConfig {
                depth: AlphaBetaConfig::default().depth,
                max_time: None,
            }
        } else {
            config
        };
        AlphaBetaAgent {
            game,
            config,
            evaluator,
            rng: seeded_rng(seed),
            tt: TranspositionTable::new(DEFAULT_TT_BITS),
            move_lists: Vec::new(),
            nodes: 0,
            deadline: None,
            may_stop: false,
            stopped: false,
            hit_horizon: false,
            stats: None,
        }
    }

    /// Resizes the transposition table to `2^bits` entries (at most 2^30); 0 turns it off.
    pub fn with_tt_bits(mut self, bits: u32) -> Self {
        self.tt = TranspositionTable::new(bits);
        self
    }

    /// The configuration in use.
    pub fn config(&self) -> &AlphaBetaConfig {
        &self.config
    }

    /// The leaf evaluator.
    pub fn evaluator(&self) -> &E {
        &self.evaluator
    }

    /// The game this agent plays.
    pub fn game(&self) -> &G {
        &self.game
    }

    /// Statistics of the most recent search, `None` before the first.
    pub fn last_stats(&self) -> Option<&AlphaBetaStats> {
        self.stats.as_ref()
    }

    /// Searches `state` by iterative deepening and returns the statistics (the chosen action is
    /// `best_action`).
    ///
    /// # Errors
    /// [`AgentError::NoLegalAction`] when `state` is terminal; [`AgentError::Failed`] for a game
    /// that is not for two players.
    pub fn search(&mut self, state: &G::State) -> Result<&AlphaBetaStats, AgentError> {
        if self.game.num_players() != 2 {
            return Err(AgentError::Failed(format!(
                "alpha-beta needs a two-player zero-sum game; {} has {} players",
                self.game.name(),
                self.game.num_players()
            )));
        }
        let start = Instant::now();
        let mut root_moves = Vec::new();
        state.legal_actions(&mut root_moves);
        if root_moves.is_empty() {
            return Err(AgentError::NoLegalAction);
        }
        self.nodes = 0;
        self.deadline = self.config.max_time.map(|t| start + t);
        self.stopped = false;
        let max_depth = self.config.depth.unwrap_or(u32::MAX).clamp(
            1,
            u32::try_from(self.game.max_game_length())
                .unwrap_or(u32::MAX)
                .max(1),
        );

        let mut result: Option<(i32, Vec<Action>, u32)> = None;
        for depth in 1..=max_depth {
            self.may_stop = depth > 1;
            self.hit_horizon = false;
            let Some((score, ties)) = self.search_root(state, &root_moves, depth) else {
                break;
            };
            // Search this iteration's best moves first next time.
            for (slot, &tie) in ties.iter().enumerate() {
                if let Some(i) = root_moves.iter().position(|&a| a == tie) {
                    root_moves[slot..=i].rotate_right(1);
                }
            }
            result = Some((score, ties, depth));
            let proven = score.abs() >= MATE_BOUND || !self.hit_horizon;
            let out_of_time = self.deadline.is_some_and(|d| Instant::now() >= d);
            if proven || out_of_time {
                break;
            }
        }

        let (score, ties, depth) = result.expect("depth 1 always completes");
        let best_action = ties[self.rng.random_range(0..ties.len())];
        self.stats = Some(AlphaBetaStats {
            best_action,
            tied_actions: ties,
            score,
            depth,
            nodes: self.nodes,
            elapsed: start.elapsed(),
        });
        Ok(self.stats.as_ref().expect("just stored"))
    }

    /// One iteration at the root: the best score and every move that reaches it, or `None` when
    /// the time ran out.
    fn search_root(
        &mut self,
        state: &G::State,
        root_moves: &[Action],
        depth: u32,
    ) -> Option<(i32, Vec<Action>)> {
        let me = state.to_play();
        let mut best = -INF;
        let mut ties = Vec::new();
        for &action in root_moves.iter() {
            let mut child = state.clone();
            child.apply_unchecked(action);
            // `best - 1` rather than `best`: a move that ties gets its exact score.
            let alpha = if best == -INF { -INF } else { best - 1 };
            let score = self.child_score(&child, me, depth - 1, alpha, INF, 1);
            if self.stopped {
                return None;
            }
            if score > best {
                best = score;
                ties.clear();
                ties.push(action);
            } else if score == best {
                ties.push(action);
            }
        }
        Some((best, ties))
    }

    /// The score of `child` for `me`, who just moved into it.
    fn child_score(
        &mut self,
        child: &G::State,
        me: Player,
        depth: u32,
        alpha: i32,
        beta: i32,
        ply: u32,
    ) -> i32 {
        if child.is_terminal() {
            self.nodes += 1;
            let r = child.player_return(me).clamp(-1.0, 1.0);
            (r * (MATE - ply as i32) as f32).round() as i32
        } else if child.to_play() == me {
            self.negamax(child, depth, alpha, beta, ply)
        } else {
            -self.negamax(child, depth, -beta, -alpha, ply)
        }
    }

    /// The fail-soft negamax score of the non-terminal `state` for its player to move.
    fn negamax(
        &mut self,
        state: &G::State,
        depth: u32,
        mut alpha: i32,
        beta: i32,
        ply: u32,
    ) -> i32 {
        self.nodes += 1;
        if self.may_stop && self.nodes.is_multiple_of(CLOCK_EVERY) {
            if let Some(deadline) = self.deadline {
                if Instant::now() >= deadline {
                    self.stopped = true;
                }
            }
        }
        if self.stopped {
            return 0;
        }
        if depth == 0 {
            self.hit_horizon = true;
            let v = self.evaluator.evaluate(state);
            // NaN becomes 0 through the cast.
            return (v.clamp(-0.9999, 0.9999) * EVAL_SCALE).round() as i32;
        }

        let key = state.position_hash();
        let mut tt_move = None;
        if let Some(entry) = self.tt.probe(key) {
            if entry.best != u32::MAX {
                tt_move = Some(entry.best as Action);
            }
            if u32::from(entry.depth) >= depth {
                let score = score_from_tt(entry.score, ply);
                let cut = match entry.bound {
                    Bound::Exact => true,
                    Bound::Lower => score >= beta,
                    Bound::Upper => score <= alpha,
                };
                if cut {
                    self.hit_horizon |= !entry.complete;
                    return score;
                }
            }
        }

        let me = state.to_play();
        let slot = ply as usize;
        if self.move_lists.len() <= slot {
            self.move_lists.resize_with(slot + 1, Vec::new);
        }
        let mut moves = std::mem::take(&mut self.move_lists[slot]);
        state.legal_actions(&mut moves);
        if let Some(m) = tt_move {
            if let Some(i) = moves.iter().position(|&a| a == m) {
                moves[..=i].rotate_right(1);
            }
        }

        // Whether this subtree reaches the horizon, apart from the rest of the iteration.
        let outer_horizon = std::mem::replace(&mut self.hit_horizon, false);
        let alpha_orig = alpha;
        let mut best = -INF;
        let mut best_move = moves[0];
        for &action in &moves {
            let mut child = state.clone();
            child.apply_unchecked(action);
            let score = self.child_score(&child, me, depth - 1, alpha, beta, ply + 1);
            if self.stopped {
                break;
            }
            if score > best {
                best = score;
                best_move = action;
                if score > alpha {
                    alpha = score;
                    if alpha >= beta {
                        break;
                    }
                }
            }
        }
        self.move_lists[slot] = moves;
        let complete = !self.hit_horizon;
        self.hit_horizon |= outer_horizon;
        if self.stopped {
            return 0;
        }

        let bound = if best <= alpha_orig {
            Bound::Upper
        } else if best >= beta {
            Bound::Lower
        } else {
            Bound::Exact
        };
        self.tt.store(TtEntry {
            key,
            score: score_to_tt(best, ply),
            best: best_move as u32,
            depth: depth.min(u32::from(u16::MAX)) as u16,
            bound,
            complete,
            generation: 0,
        });
        best
    }
}

impl<G: Game, E: Evaluator<G>> Agent<G> for AlphaBetaAgent<G, E> {
    fn name(&self) -> String {
        let mut name = "alphabeta".to_string();
        if let Some(d) = self.config.depth {
            name.push_str(&format!(":depth={d}"));
        }
        if let Some(t) = self.config.max_time {
            name.push_str(&format!(":time={}ms", t.as_millis()));
        }
        name.push_str(&format!(":eval={}", self.evaluator.name()));
        name
    }

    fn select_action(&mut self, state: &G::State) -> Result<Action, AgentError> {
        self.search(state).map(|stats| stats.best_action)
    }

    fn new_game(&mut self, seed: u64) {
        self.rng = seeded_rng(seed);
        self.tt.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proven_scores_survive_the_table_at_any_ply() {
        for ply in [0, 1, 7, 40] {
            for s in [
                MATE - 3 - ply as i32,
                -(MATE - 5 - ply as i32),
                1234,
                -9999,
                0,
            ] {
                let stored = score_to_tt(s, ply);
                assert_eq!(score_from_tt(stored, ply), s);
            }
        }
        // A win 3 plies below a node at ply 2 is a win in 5 from the root, in 3 from the node.
        assert_eq!(score_to_tt(MATE - 5, 2), MATE - 3);
        assert_eq!(score_from_tt(MATE - 3, 6), MATE - 9);
    }

    #[test]
    fn table_checks_the_full_key_and_can_be_disabled() {
        let mut tt = TranspositionTable::new(4);
        let entry = TtEntry {
            key: 0x35,
            score: 7,
            best: 2,
            depth: 3,
            bound: Bound::Exact,
            complete: false,
            generation: 0,
        };
        tt.store(entry);
        assert_eq!(tt.probe(0x35).map(|e| e.score), Some(7));
        assert!(tt.probe(0x25).is_none(), "same slot, other key");
        tt.clear();
        assert!(tt.probe(0x35).is_none());
        // Generations wrap after 255 games without old entries coming back.
        tt.store(entry);
        for _ in 0..256 {
            tt.clear();
            assert!(tt.probe(0x35).is_none());
        }
        tt.store(entry);
        assert!(tt.probe(0x35).is_some());
        let mut off = TranspositionTable::new(0);
        off.store(entry);
        assert!(off.probe(0x35).is_none());
    }

    #[test]
    fn stats_read_proven_and_heuristic_scores() {
        let mut stats = AlphaBetaStats {
            best_action: 0,
            tied_actions: vec![0],
            score: MATE - 3,
            depth: 3,
            nodes: 10,
            elapsed: Duration::from_millis(1),
        };
        assert_eq!((stats.proven_in(), stats.value()), (Some(3), 1.0));
        stats.score = -(MATE - 4);
        assert_eq!((stats.proven_in(), stats.value()), (Some(-4), -1.0));
        stats.score = 2500;
        assert_eq!((stats.proven_in(), stats.value()), (None, 0.25));
    }
}
