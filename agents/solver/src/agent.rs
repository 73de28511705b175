//! [`SolverAgent`]: perfect play in Ludus' Connect Four, and the conversion from its states.

use ludus_connect4::{ConnectFour, ConnectFourState};
use ludus_core::{seeded_rng, Action, Agent, AgentError, LudusRng};
use rand::Rng;

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
/// dawdle in a won position. Moves from boards with 10 or more stones take at most seconds; there
/// is no opening book, so the first moves of a game from the empty board take minutes each.
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
}

impl SolverAgent {
    /// An agent with a default-size transposition table
    /// ([`Solver::DEFAULT_TT_MEGABYTES`]) and ties broken by a generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Self::with_table(seed, Solver::DEFAULT_TT_MEGABYTES)
    }

    /// As [`SolverAgent::new`], with a `tt_megabytes` MiB transposition table.
    pub fn with_table(seed: u64, tt_megabytes: usize) -> Self {
        Self {
            solver: Solver::new(tt_megabytes),
            rng: seeded_rng(seed),
        }
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
        let best = self.solver.best_moves(&Position::from(state));
        if best.is_empty() {
            return Err(AgentError::NoLegalAction);
        }
        Ok(best[self.rng.random_range(0..best.len())])
    }

    /// Reseeds the tie-breaking generator. The transposition table holds bounds that stay true
    /// in every game and cannot change which moves are optimal, so it is kept.
    fn new_game(&mut self, seed: u64) {
        self.rng = seeded_rng(seed);
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
}
