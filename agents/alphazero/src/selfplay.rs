//! Self-play: many games per worker thread, their searches' leaves evaluated in one batch.
//!
//! This is the "finished games out" half of the actor/learner interface: [`play_games`] takes
//! weights (a [`Network`]) and seeds and returns [`GameRecord`]s; nothing else crosses. A
//! networked actor would run the same function on another machine.
//!
//! Each worker keeps `concurrent_games` games in flight. One round gathers one leaf (or
//! `leaves_per_batch`) from every game's search, evaluates them all in one forward pass and
//! delivers the results; a game whose search has finished plays its move and starts the next
//! search (reusing the tree under PUCT). So the network always sees a batch about as large as
//! the number of games in flight, the way AlphaZero.jl batches across its 128 games.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ludus_core::{derive_seed, Action, Game, GameState, Player, SearchStats};
use ludus_nn::Network;
use ludus_search::{Algorithm, Evaluator, Search, SearchConfig};
use serde::{Deserialize, Serialize};

use crate::{NetEvaluator, SelfPlayConfig, TrainError};

/// One position of a self-play game, as the network saw it and as the search answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// The player to move.
    pub to_play: Player,
    /// The observation planes from the mover's view (`observation_shape` flattened).
    pub observation: Vec<f32>,
    /// The legal-action mask.
    pub legal: Vec<bool>,
    /// The move played.
    pub action: Action,
    /// The search behind it: visits, the policy target (visit shares or Gumbel's improved
    /// policy), the root value and the network's value, all for the mover.
    pub search: SearchStats,
}

/// A finished self-play game.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GameRecord {
    /// Its index in the generation (games are returned in index order).
    pub index: usize,
    /// The seed of its search's generator.
    pub seed: u64,
    /// Every position played, in order.
    pub steps: Vec<Step>,
    /// Each player's final return.
    pub returns: Vec<f32>,
}

/// Counters of one call to [`play_games`].
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SelfPlayStats {
    /// Games and positions (moves) played.
    pub games: usize,
    /// See [`SelfPlayStats::games`].
    pub positions: usize,
    /// Search simulations run.
    pub simulations: u64,
    /// Network calls and positions evaluated (their ratio is the mean batch).
    pub batches: u64,
    /// See [`SelfPlayStats::batches`].
    pub evaluations: u64,
    /// Wall-clock time of the whole call.
    pub wall: Duration,
    /// Time inside the network, summed over workers.
    pub inference: Duration,
    /// Time in the workers outside the network (search, bookkeeping), summed over workers.
    pub search: Duration,
}

impl SelfPlayStats {
    /// Mean positions per network call.
    pub fn mean_batch(&self) -> f64 {
        self.evaluations as f64 / self.batches.max(1) as f64
    }

    fn add(&mut self, other: &SelfPlayStats) {
        self.games += other.games;
        self.positions += other.positions;
        self.simulations += other.simulations;
        self.batches += other.batches;
        self.evaluations += other.evaluations;
        self.inference += other.inference;
        self.search += other.search;
    }
}

/// Plays `games` self-play games with `net`, game `i` seeded by `derive_seed(seed, i)`.
/// `progress` is called (from worker threads) with the number of games finished so far.
///
/// With the same seed, network and thread count the games are identical on a CPU.
///
/// # Errors
/// A bad search configuration or a network failure.
pub fn play_games<G: Game>(
    game: &G,
    net: &Network,
    search: &SearchConfig,
    config: &SelfPlayConfig,
    games: usize,
    seed: u64,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<(Vec<GameRecord>, SelfPlayStats), TrainError> {
    search.validate()?;
    let start = Instant::now();
    let threads = config.threads.clamp(1, games.max(1));
    let done = AtomicUsize::new(0);
    let results: Vec<Result<(Vec<GameRecord>, SelfPlayStats), TrainError>> =
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|w| {
                    let indices: Vec<usize> = (w..games).step_by(threads).collect();
                    let done = &done;
                    scope.spawn(move || -> Result<_, TrainError> {
                        let mut evaluator = NetEvaluator::new(game.clone(), net)?;
                        let mut worker = Worker::new(game, search, config, seed, indices);
                        worker.run(&mut evaluator, &|| {
                            let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                            progress(n);
                        })?;
                        let mut stats = worker.stats;
                        stats.batches = evaluator.batches;
                        stats.evaluations = evaluator.positions;
                        stats.inference = evaluator.busy;
                        stats.search = worker.elapsed.saturating_sub(evaluator.busy);
                        Ok((worker.records, stats))
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("a self-play worker panicked"))
                .collect()
        });
    let mut records = Vec::with_capacity(games);
    let mut stats = SelfPlayStats::default();
    for result in results {
        let (r, s) = result?;
        records.extend(r);
        stats.add(&s);
    }
    records.sort_by_key(|r| r.index);
    stats.wall = start.elapsed();
    Ok((records, stats))
}

/// One game in flight.
struct Slot<G: Game> {
    index: usize,
    seed: u64,
    search: Search<G>,
    steps: Vec<Step>,
    /// Moves played at random before the search chooses (see
    /// [`SelfPlayConfig::random_opening_plies`]).
    random_plies: usize,
    /// Leaves of this slot in the current batch: `leaves[first..first + count]`.
    first: usize,
    count: usize,
}

struct Worker<'a, G: Game> {
    game: &'a G,
    search: &'a SearchConfig,
    config: &'a SelfPlayConfig,
    seed: u64,
    queue: std::vec::IntoIter<usize>,
    records: Vec<GameRecord>,
    stats: SelfPlayStats,
    elapsed: Duration,
}

impl<'a, G: Game> Worker<'a, G> {
    fn new(
        game: &'a G,
        search: &'a SearchConfig,
        config: &'a SelfPlayConfig,
        seed: u64,
        indices: Vec<usize>,
    ) -> Self {
        Worker {
            game,
            search,
            config,
            seed,
            queue: indices.into_iter(),
            records: Vec::new(),
            stats: SelfPlayStats::default(),
            elapsed: Duration::ZERO,
        }
    }

    fn next_slot(&mut self) -> Result<Option<Slot<G>>, TrainError> {
        let Some(index) = self.queue.next() else {
            return Ok(None);
        };
        let seed = derive_seed(self.seed, index as u64);
        let mut search = Search::new(self.game.clone(), self.search.clone(), seed)?;
        search.begin(true)?;
        Ok(Some(Slot {
            index,
            seed,
            search,
            steps: Vec::new(),
            random_plies: opening_plies(seed, self.config.random_opening_plies),
            first: 0,
            count: 0,
        }))
    }

    fn run<E: Evaluator<G>>(
        &mut self,
        evaluator: &mut E,
        finished_one: &dyn Fn(),
    ) -> Result<(), TrainError> {
        let start = Instant::now();
        let mut slots = Vec::new();
        for _ in 0..self.config.concurrent_games {
            match self.next_slot()? {
                Some(slot) => slots.push(slot),
                None => break,
            }
        }
        let mut leaves: Vec<G::State> = Vec::new();
        let mut evaluations = Vec::new();
        while !slots.is_empty() {
            leaves.clear();
            for slot in &mut slots {
                slot.first = leaves.len();
                slot.count = slot.search.gather(&mut leaves);
            }
            evaluations.clear();
            if !leaves.is_empty() {
                let refs: Vec<&G::State> = leaves.iter().collect();
                evaluator.evaluate(&refs, &mut evaluations)?;
            }
            let mut k = 0;
            while k < slots.len() {
                let slot = &mut slots[k];
                slot.search
                    .deliver(&evaluations[slot.first..slot.first + slot.count])?;
                if slot.search.finished() && self.play_move(slot)? {
                    let slot = slots.swap_remove(k);
                    self.finish(slot);
                    finished_one();
                    if let Some(next) = self.next_slot()? {
                        slots.push(next);
                    }
                    continue;
                }
                k += 1;
            }
        }
        self.elapsed = start.elapsed();
        Ok(())
    }

    /// Plays the searched move; returns true when the game is over.
    fn play_move(&mut self, slot: &mut Slot<G>) -> Result<bool, TrainError> {
        let outcome = slot.search.outcome();
        let state = slot.search.root_state().clone();
        let temperature = if self.search.algorithm == Algorithm::Puct
            && state.move_number() < self.config.temperature_moves
        {
            1.0
        } else {
            0.0
        };
        let action = if state.move_number() < slot.random_plies {
            slot.search.random_action(&outcome)
        } else {
            slot.search.choose_action(&outcome, temperature)
        };
        self.stats.simulations += outcome.simulations as u64;
        slot.steps.push(Step {
            to_play: state.to_play(),
            observation: self.game.observation(&state),
            legal: self.game.legal_mask(&state),
            action,
            search: outcome.stats(self.game.num_actions()),
        });
        slot.search.advance(action)?;
        if slot.search.root_state().is_terminal() {
            return Ok(true);
        }
        slot.search.begin(true)?;
        Ok(false)
    }

    fn finish(&mut self, slot: Slot<G>) {
        self.stats.games += 1;
        self.stats.positions += slot.steps.len();
        self.records.push(GameRecord {
            index: slot.index,
            seed: slot.seed,
            returns: self.game.returns(slot.search.root_state()),
            steps: slot.steps,
        });
    }
}

/// The number of random opening moves of the game seeded `seed`: uniform in `0..=most`, drawn
/// from its own stream so that the search's generator is unchanged.
fn opening_plies(seed: u64, most: usize) -> usize {
    if most == 0 {
        return 0;
    }
    let mut rng = ludus_core::seeded_rng(derive_seed(seed, 0x6f70_656e));
    rand::Rng::random_range(&mut rng, 0..=most)
}
