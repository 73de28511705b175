//! One search tree and the two ways of searching it: PUCT and Gumbel AlphaZero.
//!
//! A search does not call its evaluator itself. It runs as a small state machine so that one
//! thread can drive many trees and evaluate all their leaves in one batch:
//!
//! ```text
//! begin()                      start a search at the root
//! loop until finished():
//!     gather(&mut leaves)      descend to leaves needing an evaluation (terminal ones are
//!                              backed up at once), append their states
//!     …evaluate every gathered leaf of every tree in one batch…
//!     deliver(&evaluations)    expand the leaves and back their values up
//! outcome()                    visit counts, policy target, values, chosen move
//! ```
//!
//! [`Search::run`] does the loop for a lone search. Values are stored per node as the sum of
//! returns for the player who moved into that node, so a parent compares its children from its
//! own mover's view without negations; only two-player zero-sum games are supported (a value for
//! one player is the negation of the other's), which is what the network's value head predicts.

use ludus_core::{seeded_rng, Action, Game, GameState, LudusRng, Player};
use rand::Rng;
use rand_distr::{Distribution, Gamma};

use crate::gumbel::{completed_q, considered_visit_schedule, gumbel_from_uniform, sigma_scale};
use crate::{Algorithm, Evaluation, Evaluator, SearchConfig, SearchError};

/// The largest tree kept: 2²⁶ nodes of 48 bytes (3 GiB). A search that reaches it stops early.
const MAX_NODES: usize = 1 << 26;
const NONE: u32 = u32::MAX;
const ROOT: u32 = 0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    /// Not evaluated; children not created.
    Unexpanded,
    /// Sent for evaluation; children created with zero priors, which `deliver` fills in.
    Pending,
    /// Evaluated, children have priors.
    Expanded,
    /// The game is over here: back up its exact value every time.
    Terminal,
}

#[derive(Debug, Clone, Copy)]
struct Node {
    parent: u32,
    first_child: u32,
    num_children: u32,
    action: u32,
    /// Player to move at this node.
    to_play: u32,
    status: Status,
    prior: f32,
    /// Sum of backed-up returns for the player who moved into this node (at the root: for the
    /// player to move there).
    value_sum: f32,
    visits: u32,
    /// Pending evaluations below this node (virtual visits).
    in_flight: u32,
    /// The evaluator's value for `to_play` (Gumbel's mixed value starts from it).
    network_value: f32,
    /// The exact value for the player who moved into the node (at the root: for the player to
    /// move), or NaN while unknown: the return of a finished game, or a value proven from the
    /// children (a child proven won for the mover, or all children proven).
    exact: f32,
    /// Plies to the end of the game under the proof (0 for a finished game): wins are taken
    /// by the shortest proof, losses resisted by the longest.
    proof_depth: u16,
}

impl Node {
    /// A node whose player to move is not known yet (`NONE`) until it is reached and expanded.
    fn new(parent: u32, action: Action, to_play: u32) -> Self {
        Node {
            parent,
            first_child: NONE,
            num_children: 0,
            action: action as u32,
            to_play,
            status: Status::Unexpanded,
            prior: 0.0,
            value_sum: 0.0,
            visits: 0,
            in_flight: 0,
            network_value: 0.0,
            exact: f32::NAN,
            proof_depth: 0,
        }
    }

    fn children(&self) -> std::ops::Range<usize> {
        let first = self.first_child as usize;
        first..first + self.num_children as usize
    }

    /// Mean of real (not virtual) visits, from the view of the player who moved into the node.
    fn mean(&self) -> Option<f32> {
        (self.visits > 0).then(|| self.value_sum / self.visits as f32)
    }

    fn is_proven(&self) -> bool {
        !self.exact.is_nan()
    }

    /// The value used to compare this node with its siblings: exact when proven, else the mean.
    fn q(&self) -> Option<f32> {
        if self.is_proven() {
            Some(self.exact)
        } else {
            self.mean()
        }
    }
}

/// One root action's search statistics.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChildStats {
    /// The action.
    pub action: Action,
    /// The prior the search used (after root noise, when exploring).
    pub prior: f32,
    /// Simulations through this action (over the tree's life, so a reused tree counts earlier
    /// searches too).
    pub visits: u32,
    /// Mean value of those simulations for the player to move at the root.
    pub value: Option<f32>,
}

/// What a finished search found at the root.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchOutcome {
    /// The player to move at the root.
    pub to_play: Player,
    /// One entry per legal action, ascending.
    pub children: Vec<ChildStats>,
    /// The training target for the policy, `num_actions` long, zero on illegal actions: the
    /// visit distribution (PUCT) or the improved policy `softmax(logits + σ(completed Q))`
    /// (Gumbel).
    pub policy_target: Vec<f32>,
    /// The search's value of the root for the player to move (mean over its visits).
    pub root_value: f32,
    /// The evaluator's value of the root for the player to move.
    pub network_value: f32,
    /// Simulations run by this search (a reused tree's earlier visits not included).
    pub simulations: usize,
    /// The move to play without exploration: the most visited (PUCT; ties to the higher value),
    /// or the sequential-halving winner (Gumbel).
    pub best_action: Action,
}

impl SearchOutcome {
    /// The statistics episode logs keep, dense over `num_actions`.
    pub fn stats(&self, num_actions: usize) -> ludus_core::SearchStats {
        let mut visits = vec![0; num_actions];
        let mut q = vec![0.0; num_actions];
        for c in &self.children {
            visits[c.action] = c.visits;
            q[c.action] = c.value.unwrap_or(0.0);
        }
        ludus_core::SearchStats {
            visits,
            policy: self.policy_target.clone(),
            q,
            root_value: self.root_value,
            network_value: Some(self.network_value),
            simulations: self.simulations as u32,
        }
    }

    /// The `k` most visited root actions, most visited first (for `ludus play`'s display).
    pub fn top(&self, k: usize) -> Vec<ChildStats> {
        let mut children = self.children.clone();
        children.sort_by(|a, b| {
            b.visits
                .cmp(&a.visits)
                .then(b.prior.total_cmp(&a.prior))
                .then(a.action.cmp(&b.action))
        });
        children.truncate(k);
        children
    }
}

/// A search tree over one game, searched by PUCT or Gumbel AlphaZero (see the module docs for
/// the gather/deliver cycle).
#[derive(Debug, Clone)]
pub struct Search<G: Game> {
    game: G,
    config: SearchConfig,
    root_state: G::State,
    nodes: Vec<Node>,
    rng: LudusRng,
    /// Whether this search adds exploration (Dirichlet noise, Gumbel noise): self-play.
    explore: bool,
    /// Simulations started (terminal backups and pending leaves included) and completed.
    started: usize,
    completed: usize,
    /// Leaves sent for evaluation and not yet delivered, in the order they were gathered.
    pending: Vec<u32>,
    /// Whether `begin` has run for the current root and it has not been re-rooted since.
    active: bool,
    /// Root noise and Gumbel sampling are done once the root is expanded.
    root_prepared: bool,
    /// Gumbel: one sample per root child, and the visit schedule.
    gumbel: Vec<f32>,
    schedule: Vec<u32>,
    scratch_actions: Vec<Action>,
}

impl<G: Game> Search<G> {
    /// A search for `game` starting at its initial position.
    ///
    /// # Errors
    /// [`SearchError::Config`] for a bad configuration.
    pub fn new(game: G, config: SearchConfig, seed: u64) -> Result<Self, SearchError> {
        config.validate()?;
        let root_state = game.initial_state();
        let mut search = Search {
            game,
            config,
            root_state: root_state.clone(),
            nodes: Vec::new(),
            rng: seeded_rng(seed),
            explore: false,
            started: 0,
            completed: 0,
            pending: Vec::new(),
            active: false,
            root_prepared: false,
            gumbel: Vec::new(),
            schedule: Vec::new(),
            scratch_actions: Vec::new(),
        };
        search.reset(root_state, seed);
        Ok(search)
    }

    /// The configuration.
    pub fn config(&self) -> &SearchConfig {
        &self.config
    }

    /// The game searched.
    pub fn game(&self) -> &G {
        &self.game
    }

    /// The position searched.
    pub fn root_state(&self) -> &G::State {
        &self.root_state
    }

    /// Nodes in the tree.
    pub fn tree_size(&self) -> usize {
        self.nodes.len()
    }

    /// Drops the tree and starts over at `state`, reseeding the generator (a new game).
    pub fn reset(&mut self, state: G::State, seed: u64) {
        self.rng = seeded_rng(seed);
        self.set_root(state);
    }

    /// Drops the tree and starts over at `state`, keeping the generator (same game, a position
    /// reached some other way).
    pub fn set_root(&mut self, state: G::State) {
        self.nodes.clear();
        self.nodes.push(Node::new(NONE, 0, state.to_play() as u32));
        self.root_state = state;
        self.pending.clear();
        self.active = false;
    }

    /// Plays `action` at the root, keeping its subtree when the configuration reuses trees.
    ///
    /// # Errors
    /// [`SearchError::IllegalMove`] when `action` is not legal at the root (nothing changes).
    pub fn advance(&mut self, action: Action) -> Result<(), SearchError> {
        if !self.root_state.is_legal(action) {
            return Err(SearchError::IllegalMove {
                action: self.game.action_to_string(action),
            });
        }
        let mut next = self.root_state.clone();
        next.apply_unchecked(action);
        let root = self.nodes[ROOT as usize];
        let child = (self.config.reuse_tree
            && self.config.algorithm == Algorithm::Puct
            && self.pending.is_empty()
            && root.status == Status::Expanded)
            .then(|| {
                root.children()
                    .find(|&c| self.nodes[c].action as usize == action)
            })
            .flatten();
        match child {
            Some(child) if self.nodes[child].status != Status::Pending => {
                self.reroot(child as u32);
                self.root_state = next;
                self.active = false;
            }
            _ => self.set_root(next),
        }
        Ok(())
    }

    /// Makes `new_root` the root, copying its subtree breadth-first into a fresh arena so that
    /// the discarded siblings' memory is reclaimed and children stay contiguous.
    fn reroot(&mut self, new_root: u32) {
        let mut fresh = Vec::with_capacity(self.nodes.len() / 2 + 1);
        let mut root = self.nodes[new_root as usize];
        // A root's value is kept from its own mover's view (see `Node::value_sum`), an inner
        // node's from its parent's mover's view.
        if self.nodes[root.parent as usize].to_play != root.to_play {
            root.value_sum = -root.value_sum;
            root.exact = -root.exact; // NaN (unproven) stays NaN
        }
        root.parent = NONE;
        fresh.push(root);
        let mut queue = std::collections::VecDeque::from([(new_root, ROOT)]);
        while let Some((old, new)) = queue.pop_front() {
            let range = self.nodes[old as usize].children();
            if range.is_empty() {
                continue;
            }
            let first = fresh.len() as u32;
            fresh[new as usize].first_child = first;
            for (k, c) in range.enumerate() {
                let mut node = self.nodes[c];
                node.parent = new;
                fresh.push(node);
                queue.push_back((c as u32, first + k as u32));
            }
        }
        self.nodes = fresh;
    }

    /// Starts a search at the current root. `explore` adds root noise (PUCT's Dirichlet noise,
    /// Gumbel's Gumbel samples): on in self-play, off when playing to win.
    ///
    /// # Errors
    /// [`SearchError::GameOver`] when the root is a finished game.
    pub fn begin(&mut self, explore: bool) -> Result<(), SearchError> {
        if self.root_state.is_terminal() {
            return Err(SearchError::GameOver);
        }
        if self.config.algorithm == Algorithm::Gumbel && self.nodes.len() > 1 {
            // Sequential halving assumes an unvisited root.
            let state = self.root_state.clone();
            self.set_root(state);
        }
        self.explore = explore;
        self.started = 0;
        self.completed = 0;
        self.active = true;
        self.root_prepared = false;
        if self.nodes[ROOT as usize].status == Status::Expanded {
            self.prepare_root();
        }
        Ok(())
    }

    /// Whether the search has run all its simulations and has nothing pending.
    pub fn finished(&self) -> bool {
        self.active
            && self.pending.is_empty()
            && self.nodes[ROOT as usize].status == Status::Expanded
            && self.started >= self.config.simulations
    }

    /// Simulations completed so far in this search.
    pub fn simulations(&self) -> usize {
        self.completed
    }

    /// Descends to up to `leaves_per_batch` leaves that need an evaluation and appends their
    /// states to `leaves` (none when the search is finished or waits for a delivery). Leaves at
    /// finished games are backed up on the spot and are not returned. Returns how many states
    /// were appended; `deliver` must then be called with exactly that many evaluations.
    ///
    /// # Panics
    /// If called before [`Search::begin`].
    pub fn gather(&mut self, leaves: &mut Vec<G::State>) -> usize {
        assert!(self.active, "Search::gather before Search::begin");
        if self.nodes[ROOT as usize].status != Status::Expanded {
            if self.nodes[ROOT as usize].status == Status::Pending {
                return 0;
            }
            let state = self.root_state.clone();
            self.mark_pending(ROOT, &state);
            leaves.push(state);
            return 1;
        }
        let mut added = 0;
        while self.started < self.config.simulations && added < self.config.leaves_per_batch {
            if self.nodes.len() + self.game.num_actions() > MAX_NODES
                || self.nodes[ROOT as usize].is_proven()
            {
                // Out of memory, or the root's value is proven: more simulations change nothing.
                self.started = self.config.simulations;
                break;
            }
            let (leaf, state) = self.descend();
            let node = self.nodes[leaf as usize];
            if node.is_proven() {
                self.started += 1;
                self.backup_exact(leaf);
                continue;
            }
            match node.status {
                Status::Pending => break, // another pending leaf: wait for its delivery
                Status::Unexpanded if state.is_terminal() => {
                    let parent = node.parent;
                    let mover = self.nodes[parent as usize].to_play as usize;
                    let node = &mut self.nodes[leaf as usize];
                    node.status = Status::Terminal;
                    node.exact = state.player_return(mover);
                    self.started += 1;
                    self.backup_exact(leaf);
                    self.propagate_proof(parent);
                }
                Status::Unexpanded => {
                    self.started += 1;
                    self.mark_pending(leaf, &state);
                    self.add_in_flight(leaf, 1);
                    leaves.push(state);
                    added += 1;
                }
                Status::Expanded | Status::Terminal => {
                    unreachable!("descend stops at an unproven node only when it is not expanded")
                }
            }
        }
        added
    }

    /// Expands the leaves of the last [`Search::gather`] with `evaluations` (one per leaf, in
    /// order) and backs their values up.
    ///
    /// # Errors
    /// [`SearchError::Evaluator`] when the count does not match or a value is not finite; the
    /// tree is left as it was.
    pub fn deliver(&mut self, evaluations: &[Evaluation]) -> Result<(), SearchError> {
        if evaluations.len() != self.pending.len() {
            return Err(SearchError::Evaluator(format!(
                "{} evaluations delivered for {} pending leaves",
                evaluations.len(),
                self.pending.len()
            )));
        }
        if let Some(bad) = evaluations.iter().find(|e| !e.value.is_finite()) {
            return Err(SearchError::Evaluator(format!(
                "the evaluator returned a non-finite value ({})",
                bad.value
            )));
        }
        let pending = std::mem::take(&mut self.pending);
        for (&leaf, evaluation) in pending.iter().zip(evaluations) {
            let value = evaluation.value.clamp(-1.0, 1.0);
            self.set_priors(leaf, &evaluation.policy);
            let node = &mut self.nodes[leaf as usize];
            node.status = Status::Expanded;
            node.network_value = value;
            // Children that end the game may prove the leaf at once; then its exact value is
            // backed up instead of the estimate.
            self.propagate_proof(leaf);
            if leaf == ROOT {
                let root = &mut self.nodes[ROOT as usize];
                root.visits += 1;
                root.value_sum += if root.is_proven() { root.exact } else { value };
                self.prepare_root();
            } else {
                self.add_in_flight(leaf, -1);
                if self.nodes[leaf as usize].is_proven() {
                    self.backup_exact(leaf);
                } else {
                    self.completed += 1;
                    let player = self.nodes[leaf as usize].to_play;
                    self.backup(leaf, player, value);
                }
            }
        }
        self.pending = pending;
        self.pending.clear();
        Ok(())
    }

    /// Runs a whole search on its own, sending up to `leaves_per_batch` leaves per evaluation.
    ///
    /// # Errors
    /// [`SearchError::GameOver`] at a finished game, or the evaluator's error.
    pub fn run<E: Evaluator<G> + ?Sized>(
        &mut self,
        evaluator: &mut E,
        explore: bool,
    ) -> Result<SearchOutcome, SearchError> {
        self.begin(explore)?;
        let mut leaves = Vec::new();
        let mut evaluations = Vec::new();
        while !self.finished() {
            leaves.clear();
            evaluations.clear();
            self.gather(&mut leaves);
            let refs: Vec<&G::State> = leaves.iter().collect();
            if !refs.is_empty() {
                evaluator.evaluate(&refs, &mut evaluations)?;
            }
            self.deliver(&evaluations)?;
        }
        Ok(self.outcome())
    }

    /// The root's statistics and the chosen move.
    ///
    /// # Panics
    /// If the root was never evaluated (call it once [`Search::finished`] is true).
    pub fn outcome(&self) -> SearchOutcome {
        let root = &self.nodes[ROOT as usize];
        assert_eq!(
            root.status,
            Status::Expanded,
            "Search::outcome before the root was evaluated"
        );
        let children: Vec<ChildStats> = root
            .children()
            .map(|c| {
                let n = &self.nodes[c];
                ChildStats {
                    action: n.action as usize,
                    prior: n.prior,
                    visits: n.visits,
                    value: n.q(),
                }
            })
            .collect();
        let mut policy_target = vec![0.0; self.game.num_actions()];
        if root.is_proven() {
            // Proofs decide the move: the target is the proven-best moves, not search noise.
            let best = self.root_candidates();
            for &k in &best {
                policy_target[children[k].action] = 1.0 / best.len() as f32;
            }
            return SearchOutcome {
                to_play: root.to_play as usize,
                best_action: children[best[0]].action,
                children,
                policy_target,
                root_value: root.exact,
                network_value: root.network_value,
                simulations: self.completed,
            };
        }
        let best_action = match self.config.algorithm {
            Algorithm::Puct => {
                let total: u32 = children.iter().map(|c| c.visits).sum();
                for c in &children {
                    policy_target[c.action] = if total > 0 {
                        c.visits as f32 / total as f32
                    } else {
                        c.prior
                    };
                }
                self.root_candidates()
                    .into_iter()
                    .map(|k| &children[k])
                    .max_by(|a, b| {
                        a.visits
                            .cmp(&b.visits)
                            .then(a.value.unwrap_or(-2.0).total_cmp(&b.value.unwrap_or(-2.0)))
                            .then(a.prior.total_cmp(&b.prior))
                            .then(b.action.cmp(&a.action))
                    })
                    .map(|c| c.action)
                    .expect("a non-terminal root has a legal move")
            }
            Algorithm::Gumbel => {
                let (logits, _) = self.improved_logits(ROOT);
                let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                let sum: f32 = logits.iter().map(|l| (l - max).exp()).sum();
                for (c, l) in children.iter().zip(&logits) {
                    policy_target[c.action] = (l - max).exp() / sum;
                }
                // The sequential-halving winner: among the most visited, the best score —
                // unless proofs decide (a proven win; never a proven loss when avoidable).
                let open = self.root_candidates();
                let most = open.iter().map(|&k| children[k].visits).max().unwrap_or(0);
                let k = open
                    .iter()
                    .copied()
                    .filter(|&k| children[k].visits == most)
                    .max_by(|&a, &b| {
                        (self.gumbel_at(a) + logits[a]).total_cmp(&(self.gumbel_at(b) + logits[b]))
                    })
                    .expect("a non-terminal root has a legal move");
                children[k].action
            }
        };
        SearchOutcome {
            to_play: root.to_play as usize,
            children,
            policy_target,
            root_value: root.mean().unwrap_or(root.network_value),
            network_value: root.network_value,
            simulations: self.completed,
            best_action,
        }
    }

    /// The move to play after a search: the best action, or for PUCT at `temperature > 0` an
    /// action drawn with probability ∝ `visits^(1/temperature)` (AlphaZero's exploration in the
    /// opening). Gumbel searches explore through their Gumbel noise and ignore the temperature.
    pub fn choose_action(&mut self, outcome: &SearchOutcome, temperature: f32) -> Action {
        if self.config.algorithm == Algorithm::Gumbel || temperature <= 1e-3 {
            return outcome.best_action;
        }
        let most = outcome.children.iter().map(|c| c.visits).max().unwrap_or(0);
        if most == 0 {
            return outcome.best_action;
        }
        let weights: Vec<f64> = outcome
            .children
            .iter()
            .map(|c| (c.visits as f64 / most as f64).powf(1.0 / temperature as f64))
            .collect();
        let total: f64 = weights.iter().sum();
        let mut x = self.rng.random::<f64>() * total;
        for (c, w) in outcome.children.iter().zip(&weights) {
            if x < *w {
                return c.action;
            }
            x -= w;
        }
        outcome.best_action
    }

    /// A move drawn uniformly from those the proofs allow (see `root_candidates`: the fastest
    /// proven wins if any, else every move not proven lost), from the search's own generator.
    /// Self-play opens some games with such moves: once the policy is sharp, neither
    /// visit-count temperature nor Gumbel noise leaves the main line, and the games collapse
    /// onto a handful of openings.
    pub fn random_action(&mut self, outcome: &SearchOutcome) -> Action {
        let candidates = self.root_candidates();
        outcome.children[candidates[self.rng.random_range(0..candidates.len())]].action
    }

    /// The root children (as indices among them) the final choice is restricted to by proofs:
    /// the proven wins if any, else those not proven lost, else all.
    fn root_candidates(&self) -> Vec<usize> {
        let range = self.nodes[ROOT as usize].children();
        let first = range.start;
        let wins: Vec<usize> = range
            .clone()
            .filter(|&c| self.nodes[c].exact >= 1.0)
            .map(|c| c - first)
            .collect();
        let depth = |k: &usize| self.nodes[first + k].proof_depth;
        if let Some(fastest) = wins.iter().map(depth).min() {
            return wins.into_iter().filter(|k| depth(k) == fastest).collect();
        }
        let open: Vec<usize> = range
            .clone()
            .filter(|&c| !self.avoidable_loss(c))
            .map(|c| c - first)
            .collect();
        if open.is_empty() {
            // Every move loses: resist longest.
            let all: Vec<usize> = (0..range.len()).collect();
            let slowest = all.iter().map(depth).max().unwrap_or(0);
            all.into_iter().filter(|k| depth(k) == slowest).collect()
        } else {
            open
        }
    }

    // --- tree operations -------------------------------------------------------------------

    /// Walks from the root to a node that is not expanded, returning it and its state.
    fn descend(&mut self) -> (u32, G::State) {
        let mut state = self.root_state.clone();
        let mut node = ROOT;
        while self.nodes[node as usize].status == Status::Expanded
            && (node == ROOT || !self.nodes[node as usize].is_proven())
        {
            let child = if node == ROOT && self.config.algorithm == Algorithm::Gumbel {
                self.select_gumbel_root()
            } else {
                match self.config.algorithm {
                    Algorithm::Puct => self.select_puct(node),
                    Algorithm::Gumbel => self.select_gumbel_interior(node),
                }
            };
            state.apply_unchecked(self.nodes[child as usize].action as usize);
            node = child;
        }
        (node, state)
    }

    /// A child proven won for the player to move at `node`, if any: search need look no
    /// further (MCTS-Solver; Winands, Björnsson & Saito 2008).
    fn proven_win(&self, node: u32) -> Option<u32> {
        self.nodes[node as usize]
            .children()
            .filter(|&c| self.nodes[c].exact >= 1.0)
            .min_by_key(|&c| self.nodes[c].proof_depth)
            .map(|c| c as u32)
    }

    /// Whether a child is proven lost for its mover while a sibling is not (never worth a
    /// visit then).
    fn avoidable_loss(&self, child: usize) -> bool {
        self.nodes[child].exact <= -1.0
    }

    fn select_puct(&self, node: u32) -> u32 {
        if let Some(win) = self.proven_win(node) {
            return win;
        }
        let parent = &self.nodes[node as usize];
        let total = (parent.visits + parent.in_flight) as f32;
        let c = self.config.c_init + ((1.0 + total + self.config.c_base) / self.config.c_base).ln();
        let explore = c * total.max(1.0).sqrt();
        let parent_q = parent_value_for_mover(&self.nodes, node);
        let fpu = parent_q - self.config.fpu_reduction;
        let mut best = (f32::NEG_INFINITY, parent.first_child);
        for c in parent.children() {
            let child = &self.nodes[c];
            if self.avoidable_loss(c) {
                continue;
            }
            let n = (child.visits + child.in_flight) as f32;
            let q = if child.is_proven() {
                child.exact
            } else if n > 0.0 {
                // Each pending evaluation counts as a lost visit (virtual loss).
                (child.value_sum - child.in_flight as f32) / n
            } else {
                fpu
            };
            let score = q + explore * child.prior / (1.0 + n);
            if score > best.0 {
                best = (score, c as u32);
            }
        }
        best.1
    }

    fn select_gumbel_interior(&self, node: u32) -> u32 {
        if let Some(win) = self.proven_win(node) {
            return win;
        }
        let (logits, visits) = self.improved_logits(node);
        let total: u32 = visits.iter().sum();
        let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let norm: f32 = logits.iter().map(|l| (l - max).exp()).sum();
        let range = self.nodes[node as usize].children();
        let mut best = (f32::NEG_INFINITY, range.start as u32);
        for (k, c) in range.enumerate() {
            if self.avoidable_loss(c) {
                continue;
            }
            let score = (logits[k] - max).exp() / norm - visits[k] as f32 / (1.0 + total as f32);
            if score > best.0 {
                best = (score, c as u32);
            }
        }
        best.1
    }

    fn select_gumbel_root(&self) -> u32 {
        if let Some(win) = self.proven_win(ROOT) {
            return win;
        }
        let target = self.schedule.get(self.started).copied();
        let (logits, visits) = self.improved_logits(ROOT);
        let first = self.nodes[ROOT as usize].first_child;
        let open = |k: usize| !self.avoidable_loss(first as usize + k);
        let score = |k: usize| self.gumbel_at(k) + logits[k];
        let pick = (0..visits.len())
            .filter(|&k| open(k) && target.is_none_or(|t| visits[k] == t))
            .max_by(|&a, &b| score(a).total_cmp(&score(b)))
            .or_else(|| {
                (0..visits.len())
                    .filter(|&k| open(k))
                    .max_by(|&a, &b| score(a).total_cmp(&score(b)))
            })
            .unwrap_or(0);
        first + pick as u32
    }

    /// `logit(a) + σ(completed Q(a))` for each child of `node`, and each child's visits
    /// (virtual ones included, so that pending leaves steer the next selections elsewhere).
    fn improved_logits(&self, node: u32) -> (Vec<f32>, Vec<u32>) {
        let parent = &self.nodes[node as usize];
        let range = parent.children();
        let children = range.clone().map(|c| {
            let n = &self.nodes[c];
            // A proven child counts as visited at its exact value.
            (
                n.prior,
                n.visits.max(u32::from(n.is_proven())),
                n.q().unwrap_or(0.0),
            )
        });
        let mut completed = Vec::with_capacity(range.len());
        completed_q(parent.network_value, children, &mut completed);
        let visits: Vec<u32> = range
            .clone()
            .map(|c| self.nodes[c].visits + self.nodes[c].in_flight)
            .collect();
        let max_visits = range
            .clone()
            .map(|c| self.nodes[c].visits)
            .max()
            .unwrap_or(0);
        let scale = sigma_scale(self.config.c_visit, self.config.c_scale, max_visits);
        let logits = range
            .zip(&completed)
            .map(|(c, q)| self.nodes[c].prior.max(1e-12).ln() + scale * q)
            .collect();
        (logits, visits)
    }

    fn gumbel_at(&self, k: usize) -> f32 {
        self.gumbel.get(k).copied().unwrap_or(0.0)
    }

    /// Once the root has priors: PUCT mixes in Dirichlet noise, Gumbel draws its samples and
    /// builds the visit schedule.
    fn prepare_root(&mut self) {
        if self.root_prepared {
            return;
        }
        self.root_prepared = true;
        let range = self.nodes[ROOT as usize].children();
        match self.config.algorithm {
            Algorithm::Puct => {
                if self.explore && range.len() > 1 {
                    let gamma = Gamma::new(self.config.dirichlet_alpha as f64, 1.0)
                        .expect("alpha was validated positive");
                    let noise: Vec<f64> =
                        range.clone().map(|_| gamma.sample(&mut self.rng)).collect();
                    let total: f64 = noise.iter().sum();
                    if total > 0.0 {
                        let eps = self.config.dirichlet_epsilon;
                        for (c, n) in range.zip(&noise) {
                            let p = &mut self.nodes[c].prior;
                            *p = (1.0 - eps) * *p + eps * (*n / total) as f32;
                        }
                    }
                }
            }
            Algorithm::Gumbel => {
                self.gumbel = if self.explore {
                    range
                        .clone()
                        .map(|_| gumbel_from_uniform(self.rng.random::<f64>()))
                        .collect()
                } else {
                    vec![0.0; range.len()]
                };
                let considered = self.config.max_considered.min(range.len());
                self.schedule = considered_visit_schedule(considered, self.config.simulations);
            }
        }
    }

    /// Creates `node`'s children (priors to come) and marks it pending. Children that end the
    /// game are recognised now, with their exact values: an immediate win or a reply that loses
    /// at once is then known before any simulation reaches it, which costs one `apply` per move
    /// and saves the search from missing one-move tactics when the prior is poor.
    fn mark_pending(&mut self, node: u32, state: &G::State) {
        state.legal_actions(&mut self.scratch_actions);
        let first = self.nodes.len() as u32;
        let mover = state.to_play();
        for &a in &self.scratch_actions {
            let mut child = Node::new(node, a, NONE);
            let mut next = state.clone();
            next.apply_unchecked(a);
            if next.is_terminal() {
                child.status = Status::Terminal;
                child.exact = next.player_return(mover);
            }
            self.nodes.push(child);
        }
        let n = &mut self.nodes[node as usize];
        n.first_child = first;
        n.num_children = self.scratch_actions.len() as u32;
        n.status = Status::Pending;
        n.to_play = state.to_play() as u32;
        self.pending.push(node);
    }

    /// Fills the priors of `node`'s children from `policy`, renormalised over the legal moves
    /// (uniform when the evaluator gives them no mass).
    fn set_priors(&mut self, node: u32, policy: &[f32]) {
        let range = self.nodes[node as usize].children();
        let sum: f32 = range
            .clone()
            .map(|c| {
                let p = policy
                    .get(self.nodes[c].action as usize)
                    .copied()
                    .unwrap_or(0.0);
                if p.is_finite() && p > 0.0 {
                    p
                } else {
                    0.0
                }
            })
            .sum();
        let uniform = 1.0 / range.len().max(1) as f32;
        for c in range {
            let p = policy
                .get(self.nodes[c].action as usize)
                .copied()
                .unwrap_or(0.0);
            self.nodes[c].prior = if sum > 0.0 && p.is_finite() && p > 0.0 {
                p / sum
            } else if sum > 0.0 {
                0.0
            } else {
                uniform
            };
        }
    }

    fn add_in_flight(&mut self, leaf: u32, delta: i32) {
        let mut node = leaf;
        while node != NONE {
            let n = &mut self.nodes[node as usize];
            n.in_flight = n.in_flight.wrapping_add_signed(delta);
            node = n.parent;
        }
    }

    /// Backs up the exact value of a proven (or finished) node.
    fn backup_exact(&mut self, leaf: u32) {
        self.completed += 1;
        let node = &self.nodes[leaf as usize];
        let view = if node.parent == NONE {
            node.to_play
        } else {
            self.nodes[node.parent as usize].to_play
        };
        self.backup(leaf, view, node.exact);
    }

    /// After a child of `node` was proven, proves `node` and its ancestors where the children
    /// now decide them: a child won for the mover proves a win (a return of 1 cannot be beaten),
    /// all children proven prove their best value.
    fn propagate_proof(&mut self, mut node: u32) {
        while node != NONE {
            let n = self.nodes[node as usize];
            if n.status != Status::Expanded || n.is_proven() {
                return;
            }
            let (mut best, mut all) = (f32::NEG_INFINITY, true);
            for c in n.children() {
                let e = self.nodes[c].exact;
                if e.is_nan() {
                    all = false;
                } else {
                    best = best.max(e);
                }
            }
            if !(best >= 1.0 || all) {
                return;
            }
            // Depth: the quickest of the best children when winning, else the slowest.
            let depths = n
                .children()
                .filter(|&c| self.nodes[c].exact == best)
                .map(|c| self.nodes[c].proof_depth);
            let depth = if best > 0.0 {
                depths.min()
            } else {
                depths.max()
            };
            self.nodes[node as usize].proof_depth = depth.unwrap_or(0).saturating_add(1);
            let view = if n.parent == NONE {
                n.to_play
            } else {
                self.nodes[n.parent as usize].to_play
            };
            self.nodes[node as usize].exact = if view == n.to_play { best } else { -best };
            node = n.parent;
        }
    }

    /// Adds `value` (a return for `player`) to every node from `leaf` to the root, each from the
    /// view of the player who moved into it.
    fn backup(&mut self, leaf: u32, player: u32, value: f32) {
        let mut node = leaf;
        while node != NONE {
            let parent = self.nodes[node as usize].parent;
            let view = if parent == NONE {
                self.nodes[node as usize].to_play
            } else {
                self.nodes[parent as usize].to_play
            };
            let n = &mut self.nodes[node as usize];
            n.visits += 1;
            n.value_sum += if view == player { value } else { -value };
            node = parent;
        }
    }
}

/// The mean value of `node` for the player to move there (for first-play urgency).
fn parent_value_for_mover(nodes: &[Node], node: u32) -> f32 {
    let n = &nodes[node as usize];
    let Some(mean) = n.mean() else {
        return n.network_value;
    };
    if n.parent == NONE || nodes[n.parent as usize].to_play == n.to_play {
        mean
    } else {
        -mean
    }
}

/// Runs every search in `searches` (each already begun with [`Search::begin`]) to the end,
/// evaluating the leaves of all of them together, one batch per round: the way to search many
/// positions (an evaluation set, the moves of many concurrent games) with one network.
///
/// # Errors
/// The evaluator's error.
pub fn run_all<G: Game, E: Evaluator<G> + ?Sized>(
    searches: &mut [Search<G>],
    evaluator: &mut E,
) -> Result<(), SearchError> {
    let mut leaves: Vec<G::State> = Vec::new();
    let mut counts = vec![0usize; searches.len()];
    let mut evaluations = Vec::new();
    loop {
        leaves.clear();
        let mut active = false;
        for (search, count) in searches.iter_mut().zip(&mut counts) {
            *count = if search.finished() {
                0
            } else {
                active = true;
                search.gather(&mut leaves)
            };
        }
        if !active {
            return Ok(());
        }
        evaluations.clear();
        if !leaves.is_empty() {
            let refs: Vec<&G::State> = leaves.iter().collect();
            evaluator.evaluate(&refs, &mut evaluations)?;
        }
        let mut first = 0;
        for (search, &count) in searches.iter_mut().zip(&counts) {
            if count > 0 || !search.finished() {
                search.deliver(&evaluations[first..first + count])?;
            }
            first += count;
        }
    }
}
