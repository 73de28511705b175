//! UCT: Monte-Carlo tree search with UCB1 selection and uniformly random rollouts.
//!
//! Each simulation runs four steps (Kocsis & Szepesvári 2006, "Bandit based Monte-Carlo
//! Planning"; Browne et al. 2012, "A Survey of Monte Carlo Tree Search Methods", Algorithm 2):
//!
//! 1. **Select.** From the root, repeatedly descend to the child maximising
//!    `Q(child) + c·√(ln N(parent) / N(child))`, where `Q` is the mean return of the player who
//!    moves into the child. Unvisited children are taken first, in an order shuffled by the
//!    agent's generator when the parent was expanded.
//! 2. **Expand.** A node's children are created the second time the node is reached (the first
//!    visit is its own rollout; the root's at once), all at once and contiguously in the arena.
//! 3. **Simulate.** From a new leaf, [`ludus_core::random_playout`] plays to the end. A terminal
//!    node is not simulated: its exact returns are used every time it is reached.
//! 4. **Back up.** Every node on the path adds the final `player_return` of the player who moved
//!    into it. Nothing assumes two players or alternating turns.
//!
//! Implementation details:
//! * The tree is a flat `Vec` of nodes addressed by `u32` indices (children are a contiguous
//!   range, each node knows its parent), rebuilt for every move. The arena and the legal-action
//!   scratch list keep their capacity between searches, so a simulation allocates nothing beyond
//!   arena growth (and what cloning a state costs, nothing for bitboard games).
//! * The final move is the most visited root child; ties go to the higher mean value, then to a
//!   seeded random choice.
//! * Returns lie in [−1, 1], twice the width of the [0, 1] rewards of textbook UCB1, so the
//!   default `c = √2` explores half as much relative to the spread of values as UCB1's
//!   `√2` on [0, 1] rewards; `c = 2√2` reproduces textbook UCB1.

use std::time::{Duration, Instant};

use ludus_core::{
    random_playout, seeded_rng, Action, Agent, AgentError, Game, GameState, LudusRng, Player,
};
use rand::Rng;
use serde::{Deserialize, Serialize};

/// The largest tree a search builds. At 32 bytes a node this is 2 GiB; a search that reaches it
/// stops early, as if its time were up.
const MAX_NODES: usize = 1 << 26;

/// How often (in simulations) the clock is read when a time limit is set.
const CLOCK_EVERY: usize = 16;

/// Hyper-parameters of [`MctsAgent`]. The search stops at whichever limit comes first.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MctsConfig {
    /// Simulations per move (default 1000). At least one is always run.
    pub simulations: usize,
    /// The UCB1 exploration constant `c` (default √2), for returns in [−1, 1]; negative or
    /// non-finite values are treated as 0 (pure exploitation).
    pub exploration: f64,
    /// Wall-clock budget per move (default none). With a budget, `simulations` still caps the
    /// search: set it to `usize::MAX` to search for exactly this long.
    pub max_time: Option<Duration>,
}

impl Default for MctsConfig {
    fn default() -> Self {
        MctsConfig {
            simulations: 1000,
            exploration: std::f64::consts::SQRT_2,
            max_time: None,
        }
    }
}

/// What the last search saw at the root, for the CLI and for analysis.
#[derive(Debug, Clone, PartialEq)]
pub struct MctsStats {
    /// Simulations run.
    pub simulations: usize,
    /// Wall-clock time of the search.
    pub elapsed: Duration,
    /// Nodes in the tree when the search ended.
    pub tree_nodes: usize,
    /// Mean return over all simulations for the player to move at the root, in [−1, 1].
    pub root_value: f64,
    /// One entry per legal root action, in ascending action order.
    pub children: Vec<ChildStats>,
    /// The action chosen.
    pub best_action: Action,
}

/// Visits and mean value of one root action.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChildStats {
    /// The action.
    pub action: Action,
    /// Simulations that went through it.
    pub visits: u32,
    /// Mean return of those simulations for the player to move at the root (0 when unvisited).
    pub value: f64,
}

impl MctsStats {
    /// Simulations per second of wall-clock time.
    pub fn simulations_per_sec(&self) -> f64 {
        self.simulations as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// Root visit counts indexed by action (`num_actions` long), the usual policy target.
    pub fn visit_counts(&self, num_actions: usize) -> Vec<u32> {
        let mut counts = vec![0; num_actions];
        for child in &self.children {
            if let Some(slot) = counts.get_mut(child.action) {
                *slot = child.visits;
            }
        }
        counts
    }

    /// The visits of `action` at the root (0 when it is not legal).
    pub fn visits(&self, action: Action) -> u32 {
        self.children
            .iter()
            .find(|c| c.action == action)
            .map_or(0, |c| c.visits)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Children not created yet.
    Leaf,
    /// Children are `first_child..first_child + num_children`.
    Expanded,
    /// The game is over here; back up its exact returns.
    Terminal,
}

#[derive(Debug, Clone, Copy)]
struct Node {
    /// Sum over the simulations through this node of `mover`'s return.
    value_sum: f64,
    visits: u32,
    parent: u32,
    first_child: u32,
    num_children: u32,
    /// The action from the parent (unused at the root).
    action: u32,
    /// The player who chose `action` (at the root: the player to move there).
    mover: u16,
    kind: Kind,
}

impl Node {
    fn new(parent: u32, action: Action, mover: Player) -> Self {
        Node {
            value_sum: 0.0,
            visits: 0,
            parent,
            first_child: 0,
            num_children: 0,
            action: action as u32,
            mover: mover as u16,
            kind: Kind::Leaf,
        }
    }

    fn mean(&self) -> f64 {
        if self.visits == 0 {
            0.0
        } else {
            self.value_sum / f64::from(self.visits)
        }
    }
}

/// A UCT player (see the module documentation for the algorithm).
///
/// ```
/// use ludus_baselines::{MctsAgent, MctsConfig};
/// use ludus_core::{Agent, Game};
///
/// let game = ludus_tictactoe::TicTacToe;
/// let config = MctsConfig { simulations: 500, ..MctsConfig::default() };
/// let mut agent = MctsAgent::new(game, config, 42);
/// let action = agent.select_action(&game.initial_state()).unwrap();
/// let stats = agent.last_stats().unwrap();
/// assert_eq!(stats.simulations, 500);
/// assert_eq!(stats.best_action, action);
/// ```
#[derive(Debug, Clone)]
pub struct MctsAgent<G: Game> {
    game: G,
    config: MctsConfig,
    rng: LudusRng,
    nodes: Vec<Node>,
    scratch: Vec<Action>,
    stats: Option<MctsStats>,
}

impl<G: Game> MctsAgent<G> {
    /// A UCT player for `game` with `config`, its choices fixed by `seed`.
    pub fn new(game: G, config: MctsConfig, seed: u64) -> Self {
        MctsAgent {
            game,
            config,
            rng: seeded_rng(seed),
            nodes: Vec::new(),
            scratch: Vec::new(),
            stats: None,
        }
    }

    /// The configuration in use.
    pub fn config(&self) -> &MctsConfig {
        &self.config
    }

    /// The game this agent plays.
    pub fn game(&self) -> &G {
        &self.game
    }

    /// Statistics of the most recent search, `None` before the first.
    pub fn last_stats(&self) -> Option<&MctsStats> {
        self.stats.as_ref()
    }

    /// Searches `state` and returns the statistics (the chosen action is `best_action`).
    ///
    /// # Errors
    /// [`AgentError::NoLegalAction`] when `state` is terminal.
    pub fn search(&mut self, state: &G::State) -> Result<&MctsStats, AgentError> {
        if state.is_terminal() {
            return Err(AgentError::NoLegalAction);
        }
        let start = Instant::now();
        let exploration = if self.config.exploration.is_finite() {
            self.config.exploration.max(0.0)
        } else {
            0.0
        };
        let max_sims = self.config.simulations.max(1);
        self.nodes.clear();
        self.nodes.push(Node::new(u32::MAX, 0, state.to_play()));

        let mut simulations = 0;
        while simulations < max_sims {
            if let Some(limit) = self.config.max_time {
                if simulations % CLOCK_EVERY == 0 && simulations > 0 && start.elapsed() >= limit {
                    break;
                }
            }
            if self.nodes.len() >= MAX_NODES {
                break;
            }
            self.simulate(state, exploration);
            simulations += 1;
        }

        let best = self.best_root_child();
        let root = self.nodes[0];
        let mut children: Vec<ChildStats> = (0..root.num_children)
            .map(|i| {
                let node = &self.nodes[(root.first_child + i) as usize];
                ChildStats {
                    action: node.action as Action,
                    visits: node.visits,
                    value: node.mean(),
                }
            })
            .collect();
        children.sort_unstable_by_key(|c| c.action);
        self.stats = Some(MctsStats {
            simulations,
            elapsed: start.elapsed(),
            tree_nodes: self.nodes.len(),
            root_value: root.mean(),
            children,
            best_action: self.nodes[best].action as Action,
        });
        Ok(self.stats.as_ref().expect("just stored"))
    }

    /// One select–expand–simulate–backup pass from `root_state`.
    fn simulate(&mut self, root_state: &G::State, exploration: f64) {
        let mut state = root_state.clone();
        let mut node = 0usize;
        loop {
            match self.nodes[node].kind {
                Kind::Terminal => {
                    self.backup(node, &state);
                    return;
                }
                Kind::Leaf if node != 0 && self.nodes[node].visits == 0 => {
                    let (end, _) = random_playout(&state, &mut self.rng, &mut self.scratch);
                    self.backup(node, &end);
                    return;
                }
                Kind::Leaf => {
                    if !self.expand(node, &state) {
                        self.backup(node, &state);
                        return;
                    }
                }
                Kind::Expanded => {}
            }
            node = self.select_child(node, exploration);
            state.apply_unchecked(self.nodes[node].action as Action);
        }
    }

    /// Creates the children of `node`, in a random order; false (and marks the node terminal)
    /// when `state` has no legal action.
    fn expand(&mut self, node: usize, state: &G::State) -> bool {
        state.legal_actions(&mut self.scratch);
        if self.scratch.is_empty() {
            self.nodes[node].kind = Kind::Terminal;
            return false;
        }
        // Fisher–Yates, so that "first unvisited child" is a uniformly random one.
        for i in (1..self.scratch.len()).rev() {
            let j = self.rng.random_range(0..=i);
            self.scratch.swap(i, j);
        }
        let mover = state.to_play();
        let first = self.nodes.len();
        self.nodes.extend(
            self.scratch
                .iter()
                .map(|&a| Node::new(node as u32, a, mover)),
        );
        let parent = &mut self.nodes[node];
        parent.first_child = first as u32;
        parent.num_children = self.scratch.len() as u32;
        parent.kind = Kind::Expanded;
        true
    }

    /// The UCB1 choice among the children of an expanded `node`; an unvisited child wins at once.
    fn select_child(&self, node: usize, exploration: f64) -> usize {
        let parent = &self.nodes[node];
        let first = parent.first_child as usize;
        let children = &self.nodes[first..first + parent.num_children as usize];
        let log_n = f64::from(parent.visits.max(1)).ln();
        let mut best = first;
        let mut best_score = f64::NEG_INFINITY;
        for (i, child) in children.iter().enumerate() {
            if child.visits == 0 {
                return first + i;
            }
            let n = f64::from(child.visits);
            let score = child.value_sum / n + exploration * (log_n / n).sqrt();
            if score > best_score {
                best_score = score;
                best = first + i;
            }
        }
        best
    }

    /// Adds `end`'s returns to `node` and its ancestors, each from its mover's point of view.
    fn backup(&mut self, mut node: usize, end: &G::State) {
        loop {
            let n = &mut self.nodes[node];
            n.visits += 1;
            n.value_sum += f64::from(end.player_return(n.mover as Player));
            if n.parent == u32::MAX {
                return;
            }
            node = n.parent as usize;
        }
    }

    /// The most visited root child; ties by mean value, then by a seeded coin.
    fn best_root_child(&mut self) -> usize {
        let root = self.nodes[0];
        let first = root.first_child as usize;
        let mut best = first;
        let mut ties = 0u32;
        for i in first..first + root.num_children as usize {
            let (c, b) = (&self.nodes[i], &self.nodes[best]);
            let key = (c.visits, c.mean());
            let best_key = (b.visits, b.mean());
            if i == first || key > best_key {
                best = i;
                ties = 1;
            } else if key == best_key {
                // Reservoir sampling: each of the tied children ends up chosen with equal odds.
                ties += 1;
                if self.rng.random_range(0..ties) == 0 {
                    best = i;
                }
            }
        }
        best
    }
}

impl<G: Game> Agent<G> for MctsAgent<G> {
    fn name(&self) -> String {
        // Four decimals keep `c = √2` readable and the name still parses back as a spec.
        let c = (self.config.exploration * 1e4).round() / 1e4;
        let mut name = format!("mcts:sims={}:c={c}", self.config.simulations);
        if let Some(t) = self.config.max_time {
            name.push_str(&format!(":time={}ms", t.as_millis()));
        }
        name
    }

    fn select_action(&mut self, state: &G::State) -> Result<Action, AgentError> {
        self.search(state).map(|stats| stats.best_action)
    }

    fn new_game(&mut self, seed: u64) {
        self.rng = seeded_rng(seed);
        self.nodes.clear();
        self.stats = None;
    }

    fn last_search(&self) -> Option<ludus_core::SearchStats> {
        let stats = self.stats.as_ref()?;
        let n = self.game.num_actions();
        let visits = stats.visit_counts(n);
        let total: u32 = visits.iter().sum();
        let mut q = vec![0.0; n];
        for c in stats.children.iter().filter(|c| c.visits > 0) {
            q[c.action] = c.value as f32;
        }
        Some(ludus_core::SearchStats {
            policy: visits
                .iter()
                .map(|&v| v as f32 / total.max(1) as f32)
                .collect(),
            visits,
            q,
            root_value: stats.root_value as f32,
            network_value: None,
            simulations: stats.simulations as u32,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_stay_small() {
        // Half a cache line: the arena's memory per simulation is what limits long searches.
        assert_eq!(std::mem::size_of::<Node>(), 32);
    }
}
