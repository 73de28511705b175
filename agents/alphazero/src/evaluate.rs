//! Measuring a trained agent: matches against other agents, and the share of optimal moves on
//! positions whose optimal moves are known.

use std::collections::HashMap;

use ludus_core::{derive_seed, Action, Agent, AgentError, Game, GameState};

/// Wins, draws and losses of one side of a match.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MatchScore {
    /// Games won by the first agent.
    pub wins: usize,
    /// Games drawn.
    pub draws: usize,
    /// Games lost by the first agent.
    pub losses: usize,
}

impl MatchScore {
    /// Games played.
    pub fn games(&self) -> usize {
        self.wins + self.draws + self.losses
    }

    /// Points per game for the first agent (win 1, draw ½), in [0, 1].
    pub fn score(&self) -> f64 {
        (self.wins as f64 + 0.5 * self.draws as f64) / self.games().max(1) as f64
    }
}

/// Builds an agent from a seed.
pub type AgentFactory<G> = Box<dyn Fn(u64) -> Result<Box<dyn Agent<G>>, AgentError> + Send + Sync>;

/// An opponent for evaluation, built afresh for each match from a seed (so that the trainer
/// does not depend on how agents are made: the CLI builds them from specs).
pub struct Opponent<G: Game> {
    /// Its name in reports and in `metrics.csv` (normally its spec).
    pub name: String,
    /// Builds the agent with a seed.
    pub build: AgentFactory<G>,
}

impl<G: Game> std::fmt::Debug for Opponent<G> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Opponent")
            .field("name", &self.name)
            .finish()
    }
}

/// Plays `games` games between `a` and `b`, `a` moving first in the even-numbered games, each
/// game seeded from `seed` and its number. Returns `a`'s score.
///
/// # Errors
/// The first agent error (an illegal move is reported as one).
pub fn play_match<G: Game>(
    game: &G,
    a: &mut dyn Agent<G>,
    b: &mut dyn Agent<G>,
    games: usize,
    seed: u64,
) -> Result<MatchScore, AgentError> {
    let mut score = MatchScore::default();
    for i in 0..games {
        let game_seed = derive_seed(seed, i as u64);
        a.new_game(derive_seed(game_seed, 0));
        b.new_game(derive_seed(game_seed, 1));
        let a_seat = i % 2;
        let mut state = game.initial_state();
        while !state.is_terminal() {
            let agent: &mut dyn Agent<G> = if state.to_play() == a_seat { a } else { b };
            let action = agent.select_action(&state)?;
            state.apply(action).map_err(|e| {
                AgentError::Failed(format!("{} played an illegal move: {e}", agent.name()))
            })?;
        }
        let r = state.player_return(a_seat);
        if r > 0.0 {
            score.wins += 1;
        } else if r < 0.0 {
            score.losses += 1;
        } else {
            score.draws += 1;
        }
    }
    Ok(score)
}

/// A position and its optimal moves, for judging an agent's choices.
pub type Labelled<G> = (<G as Game>::State, Vec<Action>);

/// The share of `positions` where `agent` picks one of the optimal moves.
///
/// # Errors
/// The agent's error.
pub fn optimal_move_share<G: Game>(
    positions: &[Labelled<G>],
    agent: &mut dyn Agent<G>,
) -> Result<f64, AgentError> {
    let mut good = 0;
    for (state, optimal) in positions {
        if optimal.contains(&agent.select_action(state)?) {
            good += 1;
        }
    }
    Ok(good as f64 / positions.len().max(1) as f64)
}

/// Every reachable non-terminal position of a small game with its optimal moves, by exact
/// negamax with a transposition table keyed by the position hash. Only for games small enough
/// to enumerate (tic-tac-toe: 4,520 positions); returns `None` past `max_positions`.
pub fn exact_labels<G: Game>(game: &G, max_positions: usize) -> Option<Vec<Labelled<G>>> {
    let mut values: HashMap<u64, f32> = HashMap::new();
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut stack = vec![game.initial_state()];
    let mut legal = Vec::new();
    while let Some(state) = stack.pop() {
        if state.is_terminal() || !seen.insert(state.position_hash()) {
            continue;
        }
        if seen.len() > max_positions {
            return None;
        }
        state.legal_actions(&mut legal);
        let moves = legal.clone();
        let child_values: Vec<f32> = moves
            .iter()
            .map(|&a| {
                let mut next = state.clone();
                next.apply_unchecked(a);
                let v = mover_value(&next, state.to_play(), &mut values);
                stack.push(next);
                v
            })
            .collect();
        let best = child_values
            .iter()
            .copied()
            .fold(f32::NEG_INFINITY, f32::max);
        let optimal = moves
            .iter()
            .zip(&child_values)
            .filter(|(_, &v)| v == best)
            .map(|(&a, _)| a)
            .collect();
        out.push((state, optimal));
    }
    out.sort_by_key(|(s, _)| s.position_hash());
    Some(out)
}

/// The exact value of `state` for `player` (two-player zero-sum).
fn mover_value<S: GameState>(state: &S, player: usize, memo: &mut HashMap<u64, f32>) -> f32 {
    if state.is_terminal() {
        return state.player_return(player);
    }
    let to_play = state.to_play();
    let v = if let Some(&v) = memo.get(&state.position_hash()) {
        v
    } else {
        let mut legal = Vec::new();
        state.legal_actions(&mut legal);
        let v = legal
            .iter()
            .map(|&a| {
                let mut next = state.clone();
                next.apply_unchecked(a);
                mover_value(&next, to_play, memo)
            })
            .fold(f32::NEG_INFINITY, f32::max);
        memo.insert(state.position_hash(), v);
        v
    };
    if to_play == player {
        v
    } else {
        -v
    }
}
