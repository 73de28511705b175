//! [`SolverAgent`]: perfect play in Ludus' Connect Four, and the conversion from its states.

use ludus_connect4::{ConnectFour, ConnectFourState};
use ludus_core::{seeded_rng, Action, Agent, AgentError, LudusRng};
use rand::Rng;

use ludus_baselines::{AlphaBetaAgent, AlphaBetaConfig, DefaultEvaluator};

use crate::{Position, Solver};

impl From<&ConnectFourState> for Position {
    /// The same position: both use Pons' bitboard layout, and a state is valid by construction
    /// (a won state becomes a finished position, the loser to move).
    fn from(state: &ConnectFourState) -> Self {
        let (current, mask) = state.bitboards();
        Position::from_valid_bitboards(current, mask)
    }
}

/// Plays Connect Four perfectly: among the moves with the best exact score it picks one
/// uniformly at random from its own seeded generator.
///
/// Maximising the exact score rather than only the outcome makes it win as fast as possible, lose
/// as slowly as possible (giving a fallible opponent the most chances to go wrong), and never
/// dawdle in a won position. A move costs one exact solve plus one null-window search per
/// column: at most seconds once 10 or more stones are down. There is no opening book, and
/// solving a board with only a few stones takes minutes (a 2-stone board alone 1–2 minutes), so
/// each move gets a **node budget** ([`SolverAgent::DEFAULT_NODE_BUDGET`], about 3 s): when the
/// solve does not finish within it, the agent plays the move of a depth-10 alpha-beta search
/// with the Connect Four heuristic instead, and [`SolverAgent::fallback_moves`] counts it. In
/// practice that happens only in the first few moves of a game from the empty board; with
/// [`SolverAgent::with_node_budget`]`(None)` every move is perfect, however long it takes. The
/// budget counts nodes, not time, but the table (kept across moves and games, because it only
/// holds proven bounds) makes later searches cheaper: whether an early move fits the budget can
/// depend on what the same agent solved before. With a budget, a sequence of games is
/// reproducible when replayed in the same order by the same agent; with no budget every choice
/// depends only on the position and the seed.
///
/// ```
/// use ludus_connect4::ConnectFourState;
/// use ludus_core::Agent;
/// use ludus_solver::SolverAgent;
/// let state = ConnectFourState::from_moves("112233").unwrap();
/// let mut agent = SolverAgent::with_table(7, 16);
/// assert_eq!(agent.select_action(&state), Ok(3)); // completes the bottom row
/// ```
#[derive(Debug)]
pub struct SolverAgent {
    solver: Solver,
    rng: LudusRng,
    node_budget: Option<u64>,
    fallback: AlphaBetaAgent<ConnectFour>,
    fallback_moves: u64,
}

impl SolverAgent {
    /// An agent with a default-size transposition table
    /// ([`Solver::DEFAULT_TT_MEGABYTES`]) and ties broken by a generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Self::with_table(seed, Solver::DEFAULT_TT_MEGABYTES)
    }

    /// As [`SolverAgent::new`], with a `tt_megabytes` MiB transposition table.
    pub fn with_table(seed: u64, tt_megabytes: usize) -> Self {
        let config = AlphaBetaConfig {
            depth: Some(Self::FALLBACK_DEPTH),
            max_time: None,
        };
        Self {
            solver: Solver::new(tt_megabytes),
            rng: seeded_rng(seed),
            node_budget: Some(Self::DEFAULT_NODE_BUDGET),
            fallback: AlphaBetaAgent::new(
                ConnectFour,
                config,
                ConnectFour::default_evaluator(),
                seed,
            ),
            fallback_moves: 0,
        }
    }

    /// Nodes the solver may search per move before the agent falls back to alpha-beta: about
    /// 3 s at the solver's 6–7 M nodes/s, enough for every position with 10 or more stones in
    /// Pons' benchmark sets.
    pub const DEFAULT_NODE_BUDGET: u64 = 20_000_000;

    /// Depth of the fallback alpha-beta search (about 0.1–0.5 s a move).
    pub const FALLBACK_DEPTH: u32 = 10;

    /// Sets the per-move node budget; `None` solves every position exactly, however long.
    pub fn with_node_budget(mut self, budget: Option<u64>) -> Self {
        self.node_budget = budget;
        self
    }

    /// How many moves so far came from the fallback search rather than the solver.
    pub fn fallback_moves(&self) -> u64 {
        self.fallback_moves
    }

    /// The solver, for its node counter or to analyse positions with the same table.
    pub fn solver_mut(&mut self) -> &mut Solver {
        &mut self.solver
    }
}

impl Agent<ConnectFour> for SolverAgent {
    fn name(&self) -> String {
        "solver".to_string()
    }

    /// # Errors
    /// [`AgentError::NoLegalAction`] on a finished game.
    fn select_action(&mut self, state: &ConnectFourState) -> Result<Action, AgentError> {
        let pos = Position::from(state);
        let best = match self.node_budget {
            None => self.solver.best_moves(&pos),
            Some(budget) => match self.solver.best_moves_within(&pos, budget) {
                Some(best) => best,
                None => {
                    self.fallback_moves += 1;
                    return self.fallback.select_action(state);
                }
            },
        };
        if best.is_empty() {
            return Err(AgentError::NoLegalAction);
        }
        Ok(best[self.rng.random_range(0..best.len())])
    }

    /// Reseeds the tie-breaking generator. The transposition table holds bounds that stay true
    /// in every game and cannot change which moves are optimal, so it is kept.
    fn new_game(&mut self, seed: u64) {
        self.rng = seeded_rng(seed);
        self.fallback.new_game(seed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ludus_core::{Game, GameState};

    #[test]
    fn conversion_keeps_the_position() {
        for moves in [
            "",
            "4",
            "4453",
            "2252576253462244111563365343671351441",
            "1122334",
        ] {
            let state = ConnectFourState::from_moves(moves).unwrap();
            let pos = Position::from(&state);
            assert_eq!(pos, Position::from_moves(moves).unwrap(), "{moves}");
            assert_eq!(pos.num_moves() as usize, state.num_moves());
            assert_eq!(pos.is_game_over(), state.is_terminal());
            for c in 0..7 {
                assert_eq!(pos.can_play(c), state.is_legal(c), "{moves} column {c}");
                assert_eq!(pos.is_winning_move(c), state.is_winning_move(c));
            }
        }
    }

    #[test]
    fn agent_plays_only_optimal_moves() {
        // Middle-Easy positions: the chosen move must have the best per-move score.
        let cases = [
            ("52753311433677442422121", vec![4]),
            ("5554224333234511764415115", vec![5]),
            ("271713432331713132", vec![0]),
            ("1233722555341451114725221333", vec![3, 4, 5, 6]),
        ];
        let mut agent = SolverAgent::with_table(3, 8);
        assert_eq!(agent.name(), "solver");
        for (moves, best) in cases {
            let state = ConnectFourState::from_moves(moves).unwrap();
            for _ in 0..8 {
                let action = agent.select_action(&state).unwrap();
                assert!(best.contains(&action), "{moves}: chose {action}");
            }
        }
        let done = ConnectFourState::from_moves("1122334").unwrap();
        assert_eq!(agent.select_action(&done), Err(AgentError::NoLegalAction));
    }

    #[test]
    fn ties_are_broken_by_the_seed() {
        // Every open column draws here, so the choice is pure tie-breaking.
        let state = ConnectFourState::from_moves("1233722555341451114725221333").unwrap();
        let picks = |seed| {
            let mut agent = SolverAgent::with_table(seed, 1);
            (0..16)
                .map(|_| agent.select_action(&state).unwrap())
                .collect::<Vec<_>>()
        };
        assert_eq!(picks(5), picks(5));
        let many = picks(5);
        assert!(many.iter().any(|&a| a != many[0]), "{many:?}");
        // `new_game` reseeds: a reused agent repeats a fresh agent's choices.
        let mut reused = SolverAgent::with_table(9, 1);
        reused.select_action(&state).unwrap();
        reused.new_game(5);
        let again: Vec<_> = (0..16)
            .map(|_| reused.select_action(&state).unwrap())
            .collect();
        assert_eq!(again, many);
    }

    #[test]
    fn perfect_play_against_itself_from_a_won_position_wins() {
        // End-Easy position scored +1 for the mover: two solver agents must reach a win for it.
        let game = ConnectFour;
        let mut state = ConnectFourState::from_moves("7422341735647741166133573473242566").unwrap();
        let mover = state.to_play();
        let mut agents = [SolverAgent::with_table(1, 4), SolverAgent::with_table(2, 4)];
        let mut turn = 0;
        while !state.is_terminal() {
            let action = agents[turn % 2].select_action(&state).unwrap();
            state.apply(action).unwrap();
            turn += 1;
        }
        assert_eq!(game.returns(&state)[mover], 1.0);
        // A +1 win comes with the mover's 21st stone: the board is full.
        assert_eq!(state.num_moves(), 41);
    }

    #[test]
    fn falls_back_to_alpha_beta_when_the_budget_runs_out() {
        let mut agent = SolverAgent::with_table(5, 4).with_node_budget(Some(50_000));
        let empty = ConnectFourState::from_moves("").unwrap();
        let a = agent.select_action(&empty).unwrap();
        assert!(empty.is_legal(a));
        assert_eq!(agent.fallback_moves(), 1);
        // A position it can solve within the budget is played perfectly, without fallback.
        let won = ConnectFourState::from_moves("112233").unwrap();
        assert_eq!(agent.select_action(&won), Ok(3));
        assert_eq!(agent.fallback_moves(), 1);
    }
}
