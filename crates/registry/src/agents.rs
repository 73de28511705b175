use ludus_baselines::{AlphaBetaAgent, AlphaBetaConfig, MctsAgent, MctsConfig, RandomAgent};
use ludus_core::{Agent, Spec, SpecError};

use crate::{parse_duration, RegisteredGame, RegistryError};

/// The accepted agent specs, for help texts and error messages.
pub const AGENT_FORMS: &str = "random, mcts[:sims=N][:c=X][:time=DUR], \
alphabeta[:depth=N][:time=DUR], solver[:nodes=N|unlimited] (connect4), \
az:RUN_DIR[@GEN|@best][:sims=N][:temp=T][:search=puct|gumbel][:batch=N][:c=X][:fpu=X][:device=D] or az:CHECKPOINT";

/// Builds the agent named by `text` for `game`, seeded with `seed`.
///
/// | spec | agent |
/// |---|---|
/// | `random` | uniform over legal moves |
/// | `mcts[:sims=N][:c=X][:time=DUR]` | UCT with random rollouts, N simulations (default 1000) |
/// | `alphabeta[:depth=N][:time=DUR]` | negamax, iterative deepening, the game's evaluation (default depth: 9 tic-tac-toe, 3 Go, 6 otherwise) |
/// | `solver[:nodes=N\|unlimited]` | Connect Four perfect play (alpha-beta where a solve exceeds N nodes, default 20 M) |
/// | `az:RUN[@GEN\|@best][:sims=N][:temp=T][:search=puct\|gumbel][:batch=N][:c=X][:fpu=X][:device=D]` | a trained AlphaZero agent: a run directory's latest (or named) weights with its search (or the one named; `batch`: leaves per network call; `c`: PUCT exploration; `fpu`: first-play urgency reduction), or a checkpoint path |
///
/// # Errors
/// Unknown names or parameters, bad values, or an agent that does not exist for this game.
pub fn agent_from_spec<G: RegisteredGame>(
    game: &G,
    text: &str,
    seed: u64,
) -> Result<Box<dyn Agent<G>>, RegistryError> {
    let mut spec: Spec = text.parse()?;
    let time = |spec: &mut Spec| -> Result<_, RegistryError> {
        match spec.take::<String>("time", "a duration such as 500ms or 2s")? {
            None => Ok(None),
            Some(t) => parse_duration(&t).map(Some).map_err(|e| {
                SpecError::BadValue {
                    spec: text.to_string(),
                    key: "time".into(),
                    value: t,
                    expected: e,
                }
                .into()
            }),
        }
    };
    let agent: Box<dyn Agent<G>> = match spec.name() {
        "random" => {
            spec.finish(&[])?;
            Box::new(RandomAgent::new(game.clone(), seed))
        }
        "mcts" | "uct" => {
            let defaults = MctsConfig::default();
            let simulations = spec
                .take_checked("sims", "a whole number ≥ 1", |n: usize| n >= 1)?
                .unwrap_or(defaults.simulations);
            let exploration = spec
                .take_checked("c", "a number > 0", |c: f64| c > 0.0 && c.is_finite())?
                .unwrap_or(defaults.exploration);
            let max_time = time(&mut spec)?;
            spec.finish(&["sims", "c", "time"])?;
            let config = MctsConfig {
                simulations,
                exploration,
                max_time,
            };
            Box::new(MctsAgent::new(game.clone(), config, seed))
        }
        "alphabeta" | "ab" | "minimax" => {
            let depth = spec.take_checked("depth", "a depth from 1 to 64", |d: u32| {
                (1..=64).contains(&d)
            })?;
            let max_time = time(&mut spec)?;
            spec.finish(&["depth", "time"])?;
            let config = AlphaBetaConfig {
                depth: if depth.is_none() && max_time.is_none() {
                    Some(G::default_depth())
                } else {
                    depth
                },
                max_time,
            };
            Box::new(AlphaBetaAgent::new(
                game.clone(),
                config,
                G::default_evaluator(),
                seed,
            ))
        }
        "solver" | "perfect" => {
            let budget = match spec.take::<String>("nodes", "a node count or `unlimited`")? {
                None => Some(ludus_solver::SolverAgent::DEFAULT_NODE_BUDGET),
                Some(v) if v == "unlimited" => None,
                Some(v) => Some(v.parse::<u64>().ok().filter(|&n| n >= 1).ok_or_else(|| {
                    SpecError::BadValue {
                        spec: text.to_string(),
                        key: "nodes".into(),
                        value: v.clone(),
                        expected: "a node count ≥ 1 or `unlimited`".into(),
                    }
                })?),
            };
            spec.finish(&["nodes"])?;
            game.solver_agent(seed, budget).ok_or_else(|| {
                RegistryError::Unsupported(format!(
                    "the solver agent exists only for connect4, not for {}",
                    game.name()
                ))
            })?
        }
        "az" | "alphazero" => {
            let target = spec.take_positional().ok_or_else(|| SpecError::Syntax {
                spec: text.to_string(),
                problem: "az needs a run directory or checkpoint, e.g. az:runs/c4".into(),
            })?;
            let simulations =
                spec.take_checked("sims", "a whole number ≥ 1", |n: usize| n >= 1)?;
            let temperature = spec
                .take_checked("temp", "a number ≥ 0", |t: f32| t >= 0.0 && t.is_finite())?
                .unwrap_or(0.0);
            let device = match spec.take::<String>("device", "cpu, cuda or cuda:N")? {
                None => ludus_nn::candle_core::Device::Cpu,
                Some(d) => ludus_nn::parse_device(&d)
                    .map_err(|e| RegistryError::Unsupported(e.to_string()))?,
            };
            let algorithm = match spec.take::<String>("search", "puct or gumbel")? {
                None => None,
                Some(a) => Some(match a.as_str() {
                    "puct" => ludus_alphazero::Algorithm::Puct,
                    "gumbel" => ludus_alphazero::Algorithm::Gumbel,
                    other => {
                        return Err(SpecError::BadValue {
                            spec: text.to_string(),
                            key: "search".into(),
                            value: other.into(),
                            expected: "puct or gumbel".into(),
                        }
                        .into())
                    }
                }),
            };
            let leaves_per_batch =
                spec.take_checked("batch", "a whole number ≥ 1", |n: usize| n >= 1)?;
            let c_init =
                spec.take_checked("c", "a number > 0", |c: f32| c > 0.0 && c.is_finite())?;
            let fpu_reduction =
                spec.take_checked("fpu", "a number ≥ 0", |f: f32| f >= 0.0 && f.is_finite())?;
            spec.finish(&["sims", "temp", "search", "batch", "c", "fpu", "device"])?;
            let options = ludus_alphazero::AgentOptions {
                simulations,
                temperature,
                algorithm,
                leaves_per_batch,
                c_init,
                fpu_reduction,
                device,
            };
            Box::new(
                ludus_alphazero::load_agent(game, &target, &options, seed)
                    .map_err(|e| RegistryError::Unsupported(e.to_string()))?,
            )
        }
        other => {
            return Err(SpecError::UnknownName {
                what: "agent".into(),
                name: other.into(),
                accepted: AGENT_FORMS.into(),
            }
            .into())
        }
    };
    Ok(agent)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ludus_connect4::ConnectFour;
    use ludus_core::GameState;
    use ludus_tictactoe::TicTacToe;

    #[test]
    fn builds_every_agent_and_they_play_legal_moves() {
        let game = ConnectFour;
        // A Middle-Easy benchmark position (23 stones), which the solver answers at once.
        let state =
            ludus_connect4::ConnectFourState::from_moves("52753311433677442422121").unwrap();
        for spec in [
            "random",
            "mcts:sims=50",
            "alphabeta:depth=2",
            "alphabeta:time=20ms",
            "solver",
        ] {
            let mut agent = agent_from_spec(&game, spec, 1).unwrap();
            let a = agent.select_action(&state).unwrap();
            assert!(state.is_legal(a), "{spec} chose illegal {a}");
        }
    }

    #[test]
    fn explains_bad_agent_specs() {
        let game = TicTacToe;
        let err = |s: &str| agent_from_spec(&game, s, 0).err().expect(s).to_string();
        assert!(err("rnadom").contains("unknown agent `rnadom`; expected one of: random"));
        assert!(err("mcts:sims=0").contains("a whole number ≥ 1"));
        assert!(err("mcts:simz=10").contains("unknown parameter `simz`"));
        assert!(err("alphabeta:time=soon").contains("500ms"));
        assert!(err("solver").contains("only for connect4"));
        assert!(err("random:x=1").contains("accepted: none"));
    }
}
