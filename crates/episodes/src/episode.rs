//! One game as it is logged, and the recorder that builds it move by move.

use ludus_core::{Action, Game, GameState, SearchStats};

/// How a game ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Termination {
    /// By the rules (a win, a draw by the rules, a full board).
    Natural,
    /// Cut off by a move limit before the rules ended it.
    MoveLimit,
    /// Stopped for another reason (an agent failed, the user quit).
    Aborted,
}

impl Termination {
    /// The name written to the `termination` attribute.
    pub fn as_str(self) -> &'static str {
        match self {
            Termination::Natural => "natural",
            Termination::MoveLimit => "move_limit",
            Termination::Aborted => "aborted",
        }
    }

    /// Parses [`Termination::as_str`]'s names.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "natural" => Some(Termination::Natural),
            "move_limit" => Some(Termination::MoveLimit),
            "aborted" => Some(Termination::Aborted),
            _ => None,
        }
    }
}

/// The search behind every move of a game, row `t` for the position before ply `t` (T + 1
/// rows, the last one for the final position: zeros and NaN). Moves made without a search have
/// zero visits, NaN values and `simulations` 0.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchLog {
    /// Root visits per action, `(T + 1) × A`.
    pub visits: Vec<u32>,
    /// The search's policy, `(T + 1) × A`.
    pub policy: Vec<f32>,
    /// Mean value of each action for the mover, NaN where unvisited, `(T + 1) × A`.
    pub q: Vec<f32>,
    /// The search's value of the position for the mover, `T + 1`.
    pub root_value: Vec<f32>,
    /// Simulations, `T + 1`.
    pub simulations: Vec<i32>,
}

/// One game, in the arrays and attributes of a Minari episode (see the crate docs for the
/// layout). `T` is the number of plies, `A` the game's action count, `P` its player count;
/// per-position arrays have `T + 1` rows, the last for the final position.
#[derive(Debug, Clone, PartialEq)]
pub struct Episode {
    /// The planes of each position from the view of its player to move, `(T + 1) × C × H × W`.
    pub observations: Vec<f32>,
    /// Legal actions of each position (1 = legal; the final row is all zero), `(T + 1) × A`.
    pub action_masks: Vec<u8>,
    /// The player to move in each position, `T + 1` (the last: who would move next).
    pub to_play: Vec<i64>,
    /// The action of each ply, `T`.
    pub actions: Vec<i64>,
    /// Each ply's move in the game's notation, `T`.
    pub moves: Vec<String>,
    /// Each player's final return, `P`.
    pub returns: Vec<f32>,
    /// The network's value of each position for its mover, NaN where none was computed,
    /// `T + 1`.
    pub value_pred: Vec<f32>,
    /// The searches behind the moves, when any move was searched.
    pub search: Option<SearchLog>,
    /// How it ended.
    pub termination: Termination,
    /// The agent in each seat (a spec or checkpoint id), `P`.
    pub players: Vec<String>,
    /// The seed that fixed the game's random choices.
    pub seed: Option<u64>,
    /// Further attributes (search settings, a generation number, …) written as they are:
    /// numbers as numbers, anything else as its JSON text.
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl Episode {
    /// Plies played (`T`).
    pub fn plies(&self) -> usize {
        self.actions.len()
    }

    /// The winning seat, `None` for a draw (or an unfinished game with equal returns).
    pub fn winner(&self) -> Option<usize> {
        let best = self
            .returns
            .iter()
            .copied()
            .fold(f32::NEG_INFINITY, f32::max);
        let winners: Vec<usize> = (0..self.returns.len())
            .filter(|&p| self.returns[p] == best)
            .collect();
        (winners.len() == 1).then(|| winners[0])
    }

    /// The result in the usual notation for two players: `1-0`, `0-1` or `1/2-1/2` (`*` for a
    /// game that was not finished by the rules and has no winner).
    pub fn result(&self) -> String {
        match (self.winner(), self.termination) {
            (Some(0), _) if self.returns.len() == 2 => "1-0".into(),
            (Some(1), _) if self.returns.len() == 2 => "0-1".into(),
            (None, Termination::Natural) if self.returns.len() == 2 => "1/2-1/2".into(),
            (Some(p), _) => format!("seat {p} wins"),
            (None, Termination::Natural) => "draw".into(),
            (None, _) => "*".into(),
        }
    }

    /// Reward to the mover of each ply (`T`): the final return of the player who made the
    /// last ply on that ply, 0 before (board games reward only the end).
    pub fn rewards(&self) -> Vec<f64> {
        let t = self.plies();
        (0..t)
            .map(|i| {
                if i + 1 == t {
                    f64::from(self.returns[self.to_play[i] as usize])
                } else {
                    0.0
                }
            })
            .collect()
    }

    /// Each player's reward caused by each ply, row `t + 1` for ply `t` (row 0 is zero),
    /// `(T + 1) × P`.
    pub fn rewards_all(&self) -> Vec<f32> {
        let p = self.returns.len();
        let mut out = vec![0.0; (self.plies() + 1) * p];
        if self.plies() > 0 {
            out[self.plies() * p..].copy_from_slice(&self.returns);
        }
        out
    }

    /// The outcome from the view of each position's mover (the value target of AlphaZero),
    /// `T + 1`.
    pub fn value_target(&self) -> Vec<f32> {
        self.to_play
            .iter()
            .map(|&p| self.returns.get(p as usize).copied().unwrap_or(f32::NAN))
            .collect()
    }
}

/// Builds an [`Episode`] while a game is played: call [`EpisodeRecorder::record`] with the
/// position before each move, then [`EpisodeRecorder::finish`] with the final one.
#[derive(Debug)]
pub struct EpisodeRecorder<G: Game> {
    game: G,
    episode: Episode,
    search_rows: Vec<Option<SearchStats>>,
}

impl<G: Game> EpisodeRecorder<G> {
    /// Starts a game between `players` (one name per seat) fixed by `seed`.
    pub fn new(game: &G, players: Vec<String>, seed: Option<u64>) -> Self {
        EpisodeRecorder {
            game: game.clone(),
            episode: Episode {
                observations: Vec::new(),
                action_masks: Vec::new(),
                to_play: Vec::new(),
                actions: Vec::new(),
                moves: Vec::new(),
                returns: Vec::new(),
                value_pred: Vec::new(),
                search: None,
                termination: Termination::Natural,
                players,
                seed,
                extra: serde_json::Map::new(),
            },
            search_rows: Vec::new(),
        }
    }

    /// Adds an attribute written with the episode.
    pub fn set_attribute(&mut self, key: &str, value: serde_json::Value) {
        self.episode.extra.insert(key.to_string(), value);
    }

    /// Records the move `action` played in `state` (the position *before* it), with the
    /// search that chose it, if any.
    pub fn record(&mut self, state: &G::State, action: Action, search: Option<SearchStats>) {
        self.push_position(state, search.as_ref().and_then(|s| s.network_value));
        self.episode.actions.push(action as i64);
        self.episode.moves.push(self.game.action_to_string(action));
        self.search_rows.push(search);
    }

    /// Ends the game at `state`: its returns, and how it ended (`Natural` when the rules
    /// ended it, `MoveLimit` when it was truncated, otherwise the caller says why).
    pub fn finish(mut self, state: &G::State, stopped: Option<Termination>) -> Episode {
        self.push_position(state, None);
        let rows = self.episode.to_play.len();
        let last = rows - 1;
        // The final position has no legal move to log.
        let a = self.game.num_actions();
        self.episode.action_masks[last * a..].fill(0);
        self.episode.returns = self.game.returns(state);
        self.episode.termination = stopped.unwrap_or(if state.is_truncated() {
            Termination::MoveLimit
        } else {
            Termination::Natural
        });
        if self.search_rows.iter().any(Option::is_some) {
            let mut log = SearchLog {
                visits: vec![0; rows * a],
                policy: vec![0.0; rows * a],
                q: vec![f32::NAN; rows * a],
                root_value: vec![f32::NAN; rows],
                simulations: vec![0; rows],
            };
            for (t, stats) in self.search_rows.iter().enumerate() {
                let Some(s) = stats else { continue };
                let row = t * a..(t + 1) * a;
                copy_dense(&mut log.visits[row.clone()], &s.visits);
                copy_dense(&mut log.policy[row.clone()], &s.policy);
                copy_dense(&mut log.q[row.clone()], &s.q);
                for (q, &v) in log.q[row.clone()].iter_mut().zip(&log.visits[row]) {
                    if v == 0 {
                        *q = f32::NAN;
                    }
                }
                log.root_value[t] = s.root_value;
                log.simulations[t] = s.simulations.min(i32::MAX as u32) as i32;
            }
            self.episode.search = Some(log);
        }
        self.episode
    }

    fn push_position(&mut self, state: &G::State, network_value: Option<f32>) {
        let e = &mut self.episode;
        e.observations.extend(self.game.observation(state));
        e.action_masks
            .extend(self.game.legal_mask(state).into_iter().map(u8::from));
        e.to_play.push(state.to_play() as i64);
        e.value_pred.push(network_value.unwrap_or(f32::NAN));
    }
}

/// Copies a per-action row, tolerating a source of another length (the extra is dropped,
/// the missing part left as it was).
fn copy_dense<T: Copy>(to: &mut [T], from: &[T]) {
    let n = to.len().min(from.len());
    to[..n].copy_from_slice(&from[..n]);
}

/// A game of simultaneous moves (the RTS), one step per tick, every player's view and action
/// kept apart (the `observations/p0`, `actions/p0`, … groups of the episode format's RTS
/// layout). `T` is the number of ticks and `P` the number of players.
#[derive(Debug, Clone, PartialEq)]
pub struct TickEpisode {
    /// Per player: its observation before each tick and at the end, `(T + 1) ×` the dataset's
    /// tick observation shape, as 0/1 planes.
    pub observations: Vec<Vec<i8>>,
    /// Per player: its action at each tick, `T ×` the dataset's tick action shape.
    pub actions: Vec<Vec<i32>>,
    /// Per player: its orders at each tick exactly as issued (text, e.g. JSON), `T`, so that a
    /// game can be replayed from its initial state.
    pub orders: Vec<Vec<String>>,
    /// Each player's final return, `P`.
    pub returns: Vec<f32>,
    /// How it ended (a cycle limit is [`Termination::MoveLimit`]).
    pub termination: Termination,
    /// The agent in each seat, `P`.
    pub players: Vec<String>,
    /// The seed that fixed the game's random choices.
    pub seed: Option<u64>,
    /// Further attributes (the map, the initial state, the unit table, …).
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl TickEpisode {
    /// Ticks played (`T`).
    pub fn ticks(&self) -> usize {
        self.orders.first().map_or(0, Vec::len)
    }

    /// The winning seat, `None` for a draw.
    pub fn winner(&self) -> Option<usize> {
        let best = self.returns.iter().copied().fold(f32::MIN, f32::max);
        let top: Vec<usize> = (0..self.returns.len())
            .filter(|&p| self.returns[p] == best)
            .collect();
        (top.len() == 1 && best > 0.0).then(|| top[0])
    }
}
