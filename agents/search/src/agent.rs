//! A search and an evaluator, playing as an [`Agent`].

use ludus_core::{Action, Agent, AgentError, Game, GameState};

use crate::{Evaluator, Search, SearchConfig, SearchError, SearchOutcome};

/// Plays the move a search chooses, without exploration noise, keeping the tree between its own
/// moves when the configuration reuses trees (the opponent's reply is found in the subtree when
/// it was searched).
#[derive(Debug)]
pub struct SearchAgent<G: Game, E> {
    name: String,
    search: Search<G>,
    evaluator: E,
    temperature: f32,
    last: Option<SearchOutcome>,
}

impl<G: Game, E: Evaluator<G> + Send> SearchAgent<G, E> {
    /// An agent named `name` (normally its spec) searching with `config` on `evaluator`.
    ///
    /// # Errors
    /// [`SearchError::Config`] for a bad configuration.
    pub fn new(
        name: impl Into<String>,
        game: G,
        config: SearchConfig,
        evaluator: E,
        seed: u64,
    ) -> Result<Self, SearchError> {
        Ok(SearchAgent {
            name: name.into(),
            search: Search::new(game, config, seed)?,
            evaluator,
            temperature: 0.0,
            last: None,
        })
    }

    /// Plays moves drawn with probability ∝ `visits^(1/temperature)` instead of the best
    /// (PUCT only; 0, the default, plays the best move).
    pub fn with_temperature(mut self, temperature: f32) -> Self {
        self.temperature = temperature.max(0.0);
        self
    }

    /// The statistics of the last search (for showing the search's top moves).
    pub fn last_outcome(&self) -> Option<&SearchOutcome> {
        self.last.as_ref()
    }

    /// Searches `state` and returns the outcome without choosing a move.
    ///
    /// # Errors
    /// [`SearchError::GameOver`] at a finished game, or the evaluator's error.
    pub fn analyse(&mut self, state: &G::State) -> Result<SearchOutcome, SearchError> {
        self.sync_root(state);
        let outcome = self.search.run(&mut self.evaluator, false)?;
        self.last = Some(outcome.clone());
        Ok(outcome)
    }

    /// Brings the tree's root to `state`: follows the moves played since the last search when
    /// `state` is one or two plies after it (our move, the opponent's reply), else starts over.
    fn sync_root(&mut self, state: &G::State) {
        if self.search.root_state() == state {
            return;
        }
        let mut legal = Vec::new();
        self.search.root_state().legal_actions(&mut legal);
        for &a in &legal {
            let mut one = self.search.root_state().clone();
            one.apply_unchecked(a);
            if &one == state {
                self.search.advance(a).expect("a legal action");
                return;
            }
            let mut replies = Vec::new();
            one.legal_actions(&mut replies);
            for &b in &replies {
                let mut two = one.clone();
                two.apply_unchecked(b);
                if &two == state {
                    self.search.advance(a).expect("a legal action");
                    self.search.advance(b).expect("a legal action");
                    return;
                }
            }
        }
        self.search.set_root(state.clone());
    }
}

impl<G: Game, E: Evaluator<G> + Send> Agent<G> for SearchAgent<G, E> {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn select_action(&mut self, state: &G::State) -> Result<Action, AgentError> {
        if state.is_terminal() {
            return Err(AgentError::NoLegalAction);
        }
        let outcome = self
            .analyse(state)
            .map_err(|e| AgentError::Failed(e.to_string()))?;
        Ok(self.search.choose_action(&outcome, self.temperature))
    }

    fn last_search(&self) -> Option<ludus_core::SearchStats> {
        let outcome = self.last.as_ref()?;
        Some(outcome.stats(self.search.game().num_actions()))
    }

    fn last_move_report(&self) -> Option<String> {
        let outcome = self.last.as_ref()?;
        let game = self.search.game();
        let total: u32 = outcome
            .children
            .iter()
            .map(|c| c.visits)
            .sum::<u32>()
            .max(1);
        let top: Vec<String> = outcome
            .top(5)
            .iter()
            .map(|c| {
                let value = c
                    .value
                    .map_or_else(|| "  ?  ".to_string(), |v| format!("{v:+.2}"));
                format!(
                    "{} {:>4.1}% {value}",
                    game.action_to_string(c.action),
                    100.0 * c.visits as f32 / total as f32
                )
            })
            .collect();
        Some(format!(
            "search: {} simulations, value {:+.2} (network {:+.2}); top moves (visits, value): {}",
            outcome.simulations,
            outcome.root_value,
            outcome.network_value,
            top.join(" · ")
        ))
    }

    fn new_game(&mut self, seed: u64) {
        let initial = self.search.game().initial_state();
        self.search.reset(initial, seed);
        self.last = None;
    }
}
