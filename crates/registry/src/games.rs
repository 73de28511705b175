use ludus_baselines::DefaultEvaluator;
use ludus_connect4::ConnectFour;
use ludus_core::{Action, Agent, Game, Spec, SpecError};
use ludus_go::{Go, GoConfig};
use ludus_othello::Othello;
use ludus_tictactoe::TicTacToe;

use crate::RegistryError;

/// The accepted game specs, for help texts and error messages.
pub const GAME_FORMS: &str = "tictactoe, connect4, othello, go[:size=5..19][:komi=K][:max_moves=N]";

/// A game that the registry knows how to build agents for. Implemented for every game in `envs/`;
/// the alpha-beta evaluation and default depth come from [`DefaultEvaluator`].
pub trait RegisteredGame: Game + DefaultEvaluator {
    /// The perfect-play agent, for games that have one, searching at most `node_budget` nodes
    /// per move before it falls back to a heuristic search (`None`: no limit).
    fn solver_agent(&self, _seed: u64, _node_budget: Option<u64>) -> Option<Box<dyn Agent<Self>>> {
        None
    }

    /// Positions whose optimal moves are known, for judging a trained agent's choices: every
    /// reachable position of tic-tac-toe (exact negamax), Connect Four's 1,000 solver-labelled
    /// positions of 8–30 plies (`ludus_solver::builtin_eval_set`); `None` for other games.
    fn labelled_positions(&self) -> Option<Vec<(Self::State, Vec<Action>)>> {
        None
    }
}

/// Code that runs generically over whichever game the user named.
pub trait GameVisitor {
    /// What the visit produces.
    type Output;
    /// Runs with the concrete game.
    fn visit<G: RegisteredGame>(self, game: G) -> Self::Output;
}

/// One of the registered games, with its parameters.
#[derive(Debug, Clone)]
pub enum AnyGame {
    /// Tic-tac-toe.
    TicTacToe(TicTacToe),
    /// Connect Four, 7×6.
    ConnectFour(ConnectFour),
    /// Othello, 8×8.
    Othello(Othello),
    /// Go, 5×5 to 19×19.
    Go(Go),
}

impl AnyGame {
    /// Runs `visitor` with the concrete game.
    pub fn visit<V: GameVisitor>(self, visitor: V) -> V::Output {
        match self {
            AnyGame::TicTacToe(g) => visitor.visit(g),
            AnyGame::ConnectFour(g) => visitor.visit(g),
            AnyGame::Othello(g) => visitor.visit(g),
            AnyGame::Go(g) => visitor.visit(g),
        }
    }
}

/// Builds a game from its spec: `connect4`, `go:size=13:komi=6.5`, …
///
/// # Errors
/// An unknown name (listing the known ones), an unknown parameter, or a value out of range.
pub fn game_from_spec(text: &str) -> Result<AnyGame, RegistryError> {
    let mut spec: Spec = text.parse()?;
    let game = match spec.name() {
        "tictactoe" | "tic_tac_toe" | "ttt" => AnyGame::TicTacToe(TicTacToe),
        "connect4" | "connect_four" | "c4" => AnyGame::ConnectFour(ConnectFour),
        "othello" | "reversi" => AnyGame::Othello(Othello),
        "go" => {
            let defaults = GoConfig::default();
            let size = spec
                .take_checked("size", "a board size from 5 to 19", |s: usize| {
                    (5..=19).contains(&s)
                })?
                .unwrap_or(defaults.size);
            let komi = spec
                .take_checked("komi", "a finite number such as 7.5", |k: f32| {
                    k.is_finite()
                })?
                .unwrap_or(defaults.komi);
            let max_moves =
                spec.take_checked("max_moves", "a whole number ≥ 1", |m: usize| m >= 1)?;
            spec.finish(&["size", "komi", "max_moves"])?;
            return Ok(AnyGame::Go(Go::new(GoConfig {
                size,
                komi,
                max_moves,
            })?));
        }
        other => {
            return Err(SpecError::UnknownName {
                what: "game".into(),
                name: other.into(),
                accepted: GAME_FORMS.into(),
            }
            .into())
        }
    };
    spec.finish(&[])?;
    Ok(game)
}

impl RegisteredGame for TicTacToe {
    fn labelled_positions(&self) -> Option<Vec<(Self::State, Vec<Action>)>> {
        ludus_alphazero::evaluate::exact_labels(self, 10_000)
    }
}

impl RegisteredGame for ConnectFour {
    fn solver_agent(&self, seed: u64, node_budget: Option<u64>) -> Option<Box<dyn Agent<Self>>> {
        Some(Box::new(
            ludus_solver::SolverAgent::new(seed).with_node_budget(node_budget),
        ))
    }

    fn labelled_positions(&self) -> Option<Vec<(Self::State, Vec<Action>)>> {
        Some(
            ludus_solver::builtin_eval_set()
                .iter()
                .map(|p| (p.state().clone(), p.optimal_columns()))
                .collect(),
        )
    }
}

impl RegisteredGame for Othello {}

impl RegisteredGame for Go {}

#[cfg(test)]
mod tests {
    use super::*;

    struct Describe;
    impl GameVisitor for Describe {
        type Output = (String, usize, Vec<(&'static str, String)>);
        fn visit<G: RegisteredGame>(self, game: G) -> Self::Output {
            (game.name().to_string(), game.num_actions(), game.params())
        }
    }

    #[test]
    fn builds_every_game_with_parameters() {
        assert_eq!(game_from_spec("tictactoe").unwrap().visit(Describe).1, 9);
        assert_eq!(game_from_spec("Connect4").unwrap().visit(Describe).1, 7);
        assert_eq!(game_from_spec("othello").unwrap().visit(Describe).1, 65);
        let (name, actions, params) = game_from_spec("go:size=13:komi=6.5")
            .unwrap()
            .visit(Describe);
        assert_eq!((name.as_str(), actions), ("go", 170));
        assert!(
            params.iter().any(|(k, v)| *k == "komi" && v == "6.5"),
            "{params:?}"
        );
    }

    #[test]
    fn explains_bad_game_specs() {
        let err = |s: &str| game_from_spec(s).unwrap_err().to_string();
        assert!(err("chess").contains("unknown game `chess`; expected one of: tictactoe"));
        assert!(err("go:size=4").contains("a board size from 5 to 19"));
        assert!(err("go:size=nine").contains("bad value `nine`"));
        assert!(err("go:komi=inf").contains("komi"));
        assert!(err("connect4:size=9").contains("unknown parameter `size`"));
        assert!(err("go:sise=9").contains("accepted: size, komi, max_moves"));
    }
}
