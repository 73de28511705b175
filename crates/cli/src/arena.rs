//! What matches and tournaments share: openings, and one game between two agents recorded as an
//! episode.

use std::path::Path;

use anyhow::{bail, Context};
use ludus_core::{derive_seed, seeded_rng, Action, Agent, Game, GameState};
use ludus_episodes::{Episode, EpisodeRecorder};
use rand::Rng;

use crate::movelist::{parse_move_list, play_move_list};

/// Separates the openings' random stream from the agents' (which derive from the same seed).
const OPENING_STREAM: u64 = 0x4f50_454e; // "OPEN"

/// How each game pair starts: from the initial position, after random legal plies, or after a
/// move list from a file. Both games of a pair start from the same opening with the seats
/// swapped, so that the opening's bias cancels and deterministic agents do not replay one game.
#[derive(Debug, Clone, PartialEq)]
pub enum Openings {
    /// The initial position.
    None,
    /// This many random legal plies (never ending the game), drawn from the pair's seed.
    Random(usize),
    /// Move lists, one per pair in turn (cycling).
    List(Vec<Vec<Action>>),
}

impl Openings {
    /// Reads `random:PLIES`, `none`, or the path of a file with one move list per line (the
    /// first whitespace-separated field, as `ludus move --positions` reads them; `#` starts a
    /// comment line).
    pub fn parse<G: Game>(game: &G, text: &str) -> anyhow::Result<Self> {
        if text == "none" {
            return Ok(Openings::None);
        }
        if let Some(plies) = text.strip_prefix("random:") {
            let plies: usize = plies.parse().map_err(|_| {
                anyhow::anyhow!("--openings random:PLIES needs a number, not `{plies}`")
            })?;
            return Ok(Openings::Random(plies));
        }
        let path = Path::new(text);
        let content = std::fs::read_to_string(path).with_context(|| {
            format!("--openings `{text}`: not random:PLIES or none, and not a readable file")
        })?;
        let mut lines = Vec::new();
        for (i, line) in content.lines().enumerate() {
            let field = line.split_whitespace().next().unwrap_or("");
            if field.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let moves = parse_move_list(game, field)
                .and_then(|m| play_move_list(game, &m).map(|s| (m, s)))
                .with_context(|| format!("{}:{}", path.display(), i + 1))?;
            if moves.1.is_terminal() {
                bail!("{}:{}: the opening ends the game", path.display(), i + 1);
            }
            lines.push(moves.0);
        }
        if lines.is_empty() {
            bail!("{}: no opening in the file", path.display());
        }
        Ok(Openings::List(lines))
    }

    /// The opening of pair `pair`, drawn from `seed` when random.
    pub fn opening<G: Game>(&self, game: &G, seed: u64, pair: u64) -> Vec<Action> {
        match self {
            Openings::None => Vec::new(),
            Openings::List(lines) => lines[(pair % lines.len() as u64) as usize].clone(),
            Openings::Random(plies) => {
                let mut rng = seeded_rng(derive_seed(derive_seed(seed, OPENING_STREAM), pair));
                let mut state = game.initial_state();
                let mut moves = Vec::new();
                let mut legal = Vec::new();
                for _ in 0..*plies {
                    state.legal_actions(&mut legal);
                    // Random moves that end the game are not an opening; skip them.
                    let playable: Vec<Action> = legal
                        .iter()
                        .copied()
                        .filter(|&a| {
                            let mut next = state.clone();
                            next.apply_unchecked(a);
                            !next.is_terminal()
                        })
                        .collect();
                    if playable.is_empty() {
                        break;
                    }
                    let a = playable[rng.random_range(0..playable.len())];
                    state.apply_unchecked(a);
                    moves.push(a);
                }
                moves
            }
        }
    }
}

/// A player's score for a game it ended with `return`: 1 for a win, ½ for a draw, 0 for a loss.
pub fn game_score(r: f32) -> f64 {
    if r > 0.0 {
        1.0
    } else if r < 0.0 {
        0.0
    } else {
        0.5
    }
}

/// A finished game as it goes to the episode log: a turn-based episode or a game of
/// simultaneous moves.
#[derive(Debug)]
pub enum Record {
    Turns(Episode),
    Ticks(ludus_episodes::TickEpisode),
}

impl Record {
    /// The episode's further attributes.
    pub fn extra_mut(&mut self) -> &mut serde_json::Map<String, serde_json::Value> {
        match self {
            Record::Turns(e) => &mut e.extra,
            Record::Ticks(e) => &mut e.extra,
        }
    }

    /// Queues it on `writer`.
    pub fn write_to(self, writer: &ludus_episodes::DatasetWriter) -> anyhow::Result<()> {
        match self {
            Record::Turns(e) => writer.write(e),
            Record::Ticks(e) => writer.write_ticks(e),
        }
        .context("episode log")
    }
}

/// One finished game.
#[derive(Debug)]
pub struct Played {
    /// Each seat's return.
    pub returns: Vec<f32>,
    /// Plies, the opening included.
    pub plies: usize,
    /// The game as an episode (the opening's moves have no search); `None` when it was not
    /// recorded.
    pub episode: Option<Record>,
}

/// Plays `opening`, then lets `seats[p]` move for player `p` until the game ends. Each agent is
/// reseeded from `seed` and its seat first.
pub fn play_game<G: Game>(
    game: &G,
    seats: &mut [&mut dyn Agent<G>; 2],
    opening: &[Action],
    seed: u64,
) -> anyhow::Result<Played> {
    for (k, agent) in seats.iter_mut().enumerate() {
        agent.new_game(derive_seed(seed, k as u64));
    }
    let names = seats.iter().map(|a| a.name()).collect();
    let mut recorder = EpisodeRecorder::new(game, names, Some(seed));
    let mut state = game.initial_state();
    for &a in opening {
        recorder.record(&state, a, None);
        state
            .apply(a)
            .context("the opening has an illegal move for this game")?;
    }
    if !opening.is_empty() {
        recorder.set_attribute("opening_plies", serde_json::json!(opening.len()));
    }
    while !state.is_terminal() {
        let agent = &mut seats[state.to_play()];
        let action = agent
            .select_action(&state)
            .with_context(|| format!("{} failed to move", agent.name()))?;
        recorder.record(&state, action, agent.last_search());
        let name = agent.name();
        state
            .apply(action)
            .with_context(|| format!("{name} chose the illegal action {action}"))?;
    }
    Ok(Played {
        returns: game.returns(&state),
        plies: state.move_number(),
        episode: Some(Record::Turns(recorder.finish(&state, None))),
    })
}

/// What matches and tournaments need from a game: agents built from specs, and one game between
/// two of them. Board games (any registered [`Game`], with openings and episode logs) and the
/// real-time strategy game implement it, so `ludus match` and `ludus tournament` run either.
pub trait Arena: Sync {
    /// A built agent.
    type Player: Send;

    /// The game's name, for folder and dataset names.
    fn name(&self) -> String;

    /// What one step of a game is called in reports ("plies", "cycles").
    fn step_unit(&self) -> &'static str {
        "plies"
    }

    /// An agent from its spec; the error says what is wrong with the spec.
    fn build(&self, spec: &str) -> anyhow::Result<Self::Player>;

    /// Plays one game with `seats[0]` as player 0. `pair` picks the opening (both games of a
    /// pair share it) and `seed` fixes the game's random choices. With `record`, the game comes
    /// back as an episode for the log.
    fn play(
        &self,
        seats: [&mut Self::Player; 2],
        pair: u64,
        seed: u64,
        record: bool,
    ) -> anyhow::Result<Played>;

    /// Opens an episode log at `dir` for this game's episodes.
    fn open_log(
        &self,
        spec: &str,
        dir: &Path,
        description: String,
        extra: serde_json::Map<String, serde_json::Value>,
    ) -> anyhow::Result<ludus_episodes::DatasetWriter>;
}

/// A registered board game with its openings.
pub struct BoardArena<G: ludus_registry::RegisteredGame> {
    pub game: G,
    pub openings: Openings,
    /// The seed the random openings are drawn from (the match's or tournament's).
    pub opening_seed: u64,
}

impl<G: ludus_registry::RegisteredGame> Arena for BoardArena<G> {
    type Player = Box<dyn Agent<G>>;

    fn name(&self) -> String {
        self.game.name().to_string()
    }

    fn build(&self, spec: &str) -> anyhow::Result<Self::Player> {
        crate::build_agent(&self.game, spec, 0)
    }

    fn play(
        &self,
        seats: [&mut Self::Player; 2],
        pair: u64,
        seed: u64,
        _record: bool,
    ) -> anyhow::Result<Played> {
        let opening = self.openings.opening(&self.game, self.opening_seed, pair);
        let [a, b] = seats;
        let mut seats: [&mut dyn Agent<G>; 2] = [&mut **a, &mut **b];
        play_game(&self.game, &mut seats, &opening, seed)
    }

    fn open_log(
        &self,
        spec: &str,
        dir: &Path,
        description: String,
        extra: serde_json::Map<String, serde_json::Value>,
    ) -> anyhow::Result<ludus_episodes::DatasetWriter> {
        crate::match_cmd::open_episode_log(&self.game, spec, dir, description, extra)
    }
}
