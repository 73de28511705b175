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

/// A position and its optimal moves, for judging an agent's choices.
pub type Labelled<G> = (<G as Game>::State, Vec<Action>);

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

/// One side of a batched match: a network search, or any agent.
pub enum Side<'a, G: Game> {
    /// A search on a network; all games' searches of this side share its forward passes.
    Search {
        /// The network evaluator.
        evaluator: Box<crate::NetEvaluator<G>>,
        /// The search (run without exploration noise).
        config: ludus_search::SearchConfig,
    },
    /// Any agent, one built per game.
    Agent(&'a AgentFactory<G>),
}

impl<G: Game> std::fmt::Debug for Side<'_, G> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Side::Search { config, .. } => {
                f.debug_struct("Search").field("config", config).finish()
            }
            Side::Agent(_) => f.write_str("Agent"),
        }
    }
}

/// Plays `games` games between `a` and `b` all at once (`a` first in even-numbered games):
/// every move a search side owes in any game is searched in one lockstep batch, so a network
/// side costs about as many forward passes as one game would. Game `i` is seeded from
/// `derive_seed(seed, i)`. Games `2k` and `2k + 1` start from the same opening of
/// `opening_plies` random moves, with the seats swapped, so that two deterministic agents do
/// not replay one game and neither side profits from a lopsided opening. Returns `a`'s score.
///
/// # Errors
/// An agent's or the search's error.
pub fn play_match_batched<'a, G: Game>(
    game: &G,
    a: &mut Side<'a, G>,
    b: &mut Side<'a, G>,
    games: usize,
    opening_plies: usize,
    seed: u64,
) -> Result<MatchScore, AgentError> {
    let failed = |e: ludus_search::SearchError| AgentError::Failed(e.to_string());
    let mut states: Vec<G::State> = (0..games)
        .map(|i| {
            random_opening(
                game,
                opening_plies,
                derive_seed(seed, (1 << 32) + i as u64 / 2),
            )
        })
        .collect();
    // Per side: one search or one agent per game.
    let mut players: Vec<Vec<Option<Player<G>>>> = Vec::new();
    for (s, side) in [&*a, &*b].into_iter().enumerate() {
        let mut list = Vec::with_capacity(games);
        for i in 0..games {
            let player_seed = derive_seed(derive_seed(seed, i as u64), s as u64);
            list.push(Some(match side {
                Side::Search { config, .. } => Player::Search(Box::new(
                    ludus_search::Search::new(game.clone(), config.clone(), player_seed)
                        .map_err(failed)?,
                )),
                Side::Agent(build) => {
                    let mut agent = build(player_seed)?;
                    agent.new_game(player_seed);
                    Player::Agent(agent)
                }
            }));
        }
        players.push(list);
    }
    loop {
        let open: Vec<usize> = (0..games).filter(|&i| !states[i].is_terminal()).collect();
        if open.is_empty() {
            break;
        }
        for (s, side) in [&mut *a, &mut *b].into_iter().enumerate() {
            // Games where side `s` is to move: side a sits in seat i % 2.
            let mine: Vec<usize> = open
                .iter()
                .copied()
                .filter(|&i| !states[i].is_terminal() && (states[i].to_play() == i % 2) == (s == 0))
                .collect();
            match side {
                Side::Search { evaluator, .. } => {
                    // Take this round's searches out, run them together, put them back.
                    let mut searches = Vec::with_capacity(mine.len());
                    for &i in &mine {
                        let Some(Player::Search(mut search)) = players[s][i].take() else {
                            unreachable!("a search side holds searches")
                        };
                        search.set_root(states[i].clone());
                        search.begin(false).map_err(failed)?;
                        searches.push(*search);
                    }
                    ludus_search::run_all(&mut searches, evaluator.as_mut()).map_err(failed)?;
                    for (&i, mut search) in mine.iter().zip(searches) {
                        let outcome = search.outcome();
                        let action = search.choose_action(&outcome, 0.0);
                        states[i]
                            .apply(action)
                            .map_err(|e| AgentError::Failed(e.to_string()))?;
                        players[s][i] = Some(Player::Search(Box::new(search)));
                    }
                }
                Side::Agent(_) => {
                    for &i in &mine {
                        let Some(Player::Agent(agent)) = &mut players[s][i] else {
                            unreachable!("an agent side holds agents")
                        };
                        let action = agent.select_action(&states[i])?;
                        states[i].apply(action).map_err(|e| {
                            AgentError::Failed(format!(
                                "{} played an illegal move: {e}",
                                agent.name()
                            ))
                        })?;
                    }
                }
            }
        }
    }
    let mut score = MatchScore::default();
    for (i, state) in states.iter().enumerate() {
        let r = state.player_return(i % 2);
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

/// `plies` uniformly random moves from the start, stopping early rather than ending the game.
fn random_opening<G: Game>(game: &G, plies: usize, seed: u64) -> G::State {
    let mut rng = ludus_core::seeded_rng(seed);
    let mut state = game.initial_state();
    let mut scratch = Vec::new();
    for _ in 0..plies {
        let Some(action) = state.random_legal_action(&mut rng, &mut scratch) else {
            break;
        };
        let mut next = state.clone();
        next.apply_unchecked(action);
        if next.is_terminal() {
            break;
        }
        state = next;
    }
    state
}

enum Player<G: Game> {
    Search(Box<ludus_search::Search<G>>),
    Agent(Box<dyn Agent<G>>),
}

/// The share of `positions` where a network search picks an optimal move, all positions
/// searched in lockstep batches of
/// up to `batch` positions (one forward pass per round for the whole batch).
///
/// # Errors
/// The search's error.
pub fn optimal_move_share_batched<G: Game>(
    game: &G,
    positions: &[Labelled<G>],
    evaluator: &mut crate::NetEvaluator<G>,
    config: &ludus_search::SearchConfig,
    batch: usize,
    seed: u64,
) -> Result<f64, ludus_search::SearchError> {
    let mut good = 0;
    for (c, chunk) in positions.chunks(batch.max(1)).enumerate() {
        let mut searches = Vec::with_capacity(chunk.len());
        for (k, (state, _)) in chunk.iter().enumerate() {
            let mut search = ludus_search::Search::new(
                game.clone(),
                config.clone(),
                derive_seed(seed, (c * batch + k) as u64),
            )?;
            search.set_root(state.clone());
            search.begin(false)?;
            searches.push(search);
        }
        ludus_search::run_all(&mut searches, evaluator)?;
        for (search, (_, optimal)) in searches.iter().zip(chunk) {
            if optimal.contains(&search.outcome().best_action) {
                good += 1;
            }
        }
    }
    Ok(good as f64 / positions.len().max(1) as f64)
}

/// The share of `positions` where the network's own policy (no search) puts most probability
/// on an optimal move: how much the network itself has learned.
///
/// # Errors
/// The network's error.
pub fn network_optimal_share<G: Game>(
    game: &G,
    positions: &[Labelled<G>],
    net: &ludus_nn::Network,
) -> Result<f64, ludus_nn::NnError> {
    let mut good = 0;
    for chunk in positions.chunks(256) {
        let states: Vec<&G::State> = chunk.iter().map(|(s, _)| s).collect();
        let (obs, legal) = ludus_nn::encode_states(game, &states, net.device())?;
        let logits = net.forward(&obs, &legal)?.policy_logits.to_vec2::<f32>()?;
        for (row, (_, optimal)) in logits.iter().zip(chunk) {
            let best = row
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.total_cmp(b.1))
                .map(|(a, _)| a);
            if best.is_some_and(|a| optimal.contains(&a)) {
                good += 1;
            }
        }
    }
    Ok(good as f64 / positions.len().max(1) as f64)
}
