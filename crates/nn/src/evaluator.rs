//! Batched evaluator for search: many search threads submit one position each, a single worker
//! thread stacks them into one forward pass, and every caller gets its own row back.
//!
//! ```
//! use candle_core::Device;
//! use ludus_core::Game;
//! use ludus_nn::evaluator::{BatchedEvaluator, EvaluatorConfig};
//! use ludus_nn::{Arch, MlpConfig, NetConfig, NetShape, Network, ValueHead};
//! use ludus_tictactoe::TicTacToe;
//!
//! let game = TicTacToe;
//! let config = NetConfig::new(Arch::Mlp(MlpConfig { hidden: 32, layers: 1 }), ValueHead::Wdl);
//! let net = Network::new(&config, &NetShape::of(&game), &Device::Cpu, 0)?;
//! let evaluator = BatchedEvaluator::start(&net, &EvaluatorConfig::default())?;
//! let handle = evaluator.handle(); // Clone + Send + Sync: give one to every search thread
//! let eval = handle.evaluate_state(&game, &game.initial_state())?;
//! assert_eq!(eval.policy.len(), 9);
//! assert!((eval.policy.iter().sum::<f32>() - 1.0).abs() < 1e-5);
//! assert!(eval.wdl.is_some() && (-1.0..=1.0).contains(&eval.value));
//! # Ok::<(), ludus_nn::NnError>(())
//! ```
//!
//! # Design, and why
//!
//! * **One worker thread owns the network.** A network evaluates a batch of 64 positions in
//!   little more time than one (on a GPU, almost exactly the same time), so search threads should
//!   not each run their own forward pass. The worker owns a frozen [`Network::inference_copy`]:
//!   its parameters are detached tensors, so no autograd graph is recorded (candle's only
//!   "no_grad"). Recurrent networks are refused: search evaluates positions, not sequences.
//! * **Batches close on `max_batch` or `max_wait`.** The worker blocks for the first request,
//!   then keeps collecting until `max_batch` requests are queued or `max_wait` has passed since
//!   the first one was *submitted* (not since the worker picked it up: while a forward pass runs,
//!   the next batch's requests are already waiting, and they must not wait a second time). Once
//!   the deadline has passed the worker still takes whatever is already queued, without waiting,
//!   so `max_wait = 0` means "batch what is there". Each search thread has at most one request
//!   in flight (`evaluate` blocks), so with N search threads `max_batch = N` closes a batch as
//!   soon as every thread is waiting, and `max_wait` only bounds the latency of stragglers.
//! * **Results are routed by a one-shot channel per request**, so no caller can receive another
//!   caller's row and no shared result table needs locking.
//! * **The cache is checked by the caller thread before queueing**, so a hit costs one mutex
//!   lock and never waits up to `max_wait` for a batch. It is keyed by the position hash, which
//!   the caller promises determines the network input (ludus-core's `position_hash` covers the
//!   whole state, history included where it matters, e.g. Go's superko digest); 64-bit keys
//!   make a false hit astronomically unlikely, not impossible. Eviction is an approximate LRU
//!   with two generations of `HashMap` (O(1) per operation, no linked list): new entries go to
//!   the young map; when it is full it becomes the old map and the previous old map is dropped;
//!   a hit in the old map moves the entry back to the young one. So an entry survives as long as
//!   it is used at least once per generation. Two threads missing on the same position at once
//!   both queue it (no in-flight deduplication: it would cost a second lock on every miss).
//! * **Weights are replaced between batches** ([`BatchedEvaluator::update_weights`]), and the
//!   cache is cleared at the same time. Every result carries the weights' epoch, and a result
//!   computed with old weights is not inserted into the cache after it was cleared, so no stale
//!   evaluation survives an update even when evaluations race with it.
//! * **Failures are values, not panics.** A forward error is sent to every caller of that batch
//!   (as a copy of its message, since errors are not `Clone`) and the worker keeps serving. When
//!   the [`BatchedEvaluator`] is dropped the worker stops and is joined; requests still queued,
//!   and every later call through a cloned handle, get [`NnError::EvaluatorStopped`].
//!
//! On CPU the forward pass runs on candle's rayon pool; as `shared/specs/candle-notes.md` notes,
//! small batches can be faster with `RAYON_NUM_THREADS=1`, which leaves the cores to search.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use candle_core::{Device, Tensor};
use ludus_core::{Game, GameState};
use serde::{Deserialize, Serialize};

use crate::config::ValueHead;
use crate::layers::softmax_last;
use crate::{NetConfig, NetShape, Network, NnError, Result};

/// Largest accepted `max_batch`: a larger value is a typo, not a batch any device could run.
const MAX_BATCH_LIMIT: usize = 1 << 16;
/// Longest accepted `max_wait`: a lone request waits this long, so more is surely a unit mistake.
const MAX_WAIT_LIMIT: Duration = Duration::from_secs(1);

/// Batching and caching parameters of a [`BatchedEvaluator`]. In a TOML run config:
///
/// ```toml
/// [evaluator]
/// max_batch = 256      # positions per forward pass (default 256)
/// max_wait_us = 1000   # microseconds a batch waits for more positions (default 1000 = 1 ms)
/// cache_capacity = 0   # cached evaluations, keyed by position hash (default 0 = no cache)
/// ```
///
/// Unknown keys are errors, and deserialisation validates the values (see
/// [`EvaluatorConfig::validate`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawEvaluatorConfig", into = "RawEvaluatorConfig")]
pub struct EvaluatorConfig {
    /// Most positions in one forward pass (1 to 65536).
    pub max_batch: usize,
    /// Longest time a batch waits for more positions after its first one was submitted (at most
    /// 1 s). Serialised as `max_wait_us`, in microseconds.
    pub max_wait: Duration,
    /// Most cached evaluations; 0 disables the cache.
    pub cache_capacity: usize,
}

impl Default for EvaluatorConfig {
    fn default() -> Self {
        EvaluatorConfig {
            max_batch: 256,
            max_wait: Duration::from_millis(1),
            cache_capacity: 0,
        }
    }
}

impl EvaluatorConfig {
    /// Checks every value, with a message that names the field.
    ///
    /// # Errors
    /// [`NnError::Config`] when `max_batch` is 0 or above 65536, or `max_wait` exceeds 1 s.
    pub fn validate(&self) -> Result<()> {
        if self.max_batch == 0 {
            return Err(NnError::Config(
                "evaluator.max_batch must be at least 1 (1 disables batching)".to_string(),
            ));
        }
        if self.max_batch > MAX_BATCH_LIMIT {
            return Err(NnError::Config(format!(
                "evaluator.max_batch = {} is implausibly large (limit {MAX_BATCH_LIMIT})",
                self.max_batch
            )));
        }
        if self.max_wait > MAX_WAIT_LIMIT {
            return Err(NnError::Config(format!(
                "evaluator.max_wait_us = {} is implausibly long (limit 1000000 = 1 s): a lone \
                 position waits that long before it is evaluated",
                self.max_wait.as_micros()
            )));
        }
        Ok(())
    }
}

/// The serialised form of [`EvaluatorConfig`] (the wait in whole microseconds).
#[derive(Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct RawEvaluatorConfig {
    max_batch: usize,
    max_wait_us: u64,
    cache_capacity: usize,
}

impl Default for RawEvaluatorConfig {
    fn default() -> Self {
        EvaluatorConfig::default().into()
    }
}

impl From<EvaluatorConfig> for RawEvaluatorConfig {
    fn from(c: EvaluatorConfig) -> Self {
        RawEvaluatorConfig {
            max_batch: c.max_batch,
            max_wait_us: u64::try_from(c.max_wait.as_micros()).unwrap_or(u64::MAX),
            cache_capacity: c.cache_capacity,
        }
    }
}

impl TryFrom<RawEvaluatorConfig> for EvaluatorConfig {
    type Error = NnError;

    fn try_from(raw: RawEvaluatorConfig) -> Result<Self> {
        let config = EvaluatorConfig {
            max_batch: raw.max_batch,
            max_wait: Duration::from_micros(raw.max_wait_us),
            cache_capacity: raw.cache_capacity,
        };
        config.validate()?;
        Ok(config)
    }
}

/// The network's verdict on one position.
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    /// Action probabilities, one per action of the game: exactly 0 on illegal actions, summing
    /// to 1 over the legal ones.
    pub policy: Vec<f32>,
    /// Expected return for the player to move, in [-1, 1] (for a W/D/L head, P(win) − P(loss)).
    pub value: f32,
    /// Win/draw/loss probabilities for the player to move, for a W/D/L value head; `None` for a
    /// scalar head.
    pub wdl: Option<[f32; 3]>,
}

/// Counters of a running evaluator, read with [`BatchedEvaluator::stats`] or
/// [`EvaluatorHandle::stats`]. Each counter is exact; the set is not one atomic snapshot.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EvaluatorStats {
    /// Forward passes that succeeded.
    pub batches: u64,
    /// Positions evaluated by those forward passes (cache hits excluded).
    pub positions: u64,
    /// Largest batch run so far.
    pub largest_batch: u64,
    /// Forward passes that failed (each of their callers got the error).
    pub failed_batches: u64,
    /// Lookups answered from the cache.
    pub cache_hits: u64,
    /// Lookups that had to be evaluated (only counted when a cache exists and a hash was given).
    pub cache_misses: u64,
    /// Evaluations in the cache now.
    pub cache_len: usize,
}

impl EvaluatorStats {
    /// Positions per successful forward pass (0 before the first one).
    pub fn mean_batch_size(&self) -> f64 {
        if self.batches == 0 {
            0.0
        } else {
            self.positions as f64 / self.batches as f64
        }
    }

    /// Fraction of cache lookups that hit (0 before the first lookup).
    pub fn cache_hit_rate(&self) -> f64 {
        let lookups = self.cache_hits + self.cache_misses;
        if lookups == 0 {
            0.0
        } else {
            self.cache_hits as f64 / lookups as f64
        }
    }
}

/// The evaluator: owns the worker thread. Dropping it stops the worker and waits for it.
pub struct BatchedEvaluator {
    handle: EvaluatorHandle,
    config: EvaluatorConfig,
    net_config: NetConfig,
    device: Device,
    worker: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for BatchedEvaluator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchedEvaluator")
            .field("net", &self.net_config.kind())
            .field("shape", &self.handle.shared.shape)
            .field("config", &self.config)
            .field("stats", &self.stats())
            .finish()
    }
}

impl BatchedEvaluator {
    /// Starts the worker thread (`ludus-evaluator`) with a frozen copy of `net`, on `net`'s
    /// device.
    ///
    /// # Errors
    /// [`NnError::Config`] for an invalid `config` or a recurrent network;
    /// [`NnError::EvaluatorStopped`] when the thread cannot be spawned; any error of
    /// [`Network::inference_copy`].
    pub fn start(net: &Network, config: &EvaluatorConfig) -> Result<Self> {
        config.validate()?;
        if net.is_recurrent() {
            return Err(NnError::Config(format!(
                "the batched evaluator serves feed-forward networks; this one is recurrent ({}): \
                 search evaluates single positions, not sequences, so use an mlp, resnet or \
                 transformer",
                net.config().kind()
            )));
        }
        let frozen = net.inference_copy()?;
        let shared = Arc::new(Shared::new(net.shape().clone(), config.cache_capacity));
        let (tx, rx) = mpsc::channel();
        let worker = Worker {
            net: frozen,
            rx,
            shared: Arc::clone(&shared),
            max_batch: config.max_batch,
            max_wait: config.max_wait,
            epoch: 0,
        };
        let join = std::thread::Builder::new()
            .name("ludus-evaluator".to_string())
            .spawn(move || worker.run())
            .map_err(|e| {
                NnError::EvaluatorStopped(format!("could not start the worker thread: {e}"))
            })?;
        Ok(BatchedEvaluator {
            handle: EvaluatorHandle { tx, shared },
            config: config.clone(),
            net_config: net.config().clone(),
            device: net.device().clone(),
            worker: Some(join),
        })
    }

    /// A handle for one search thread (clone it freely).
    pub fn handle(&self) -> EvaluatorHandle {
        self.handle.clone()
    }

    /// Replaces the worker's weights by a frozen copy of `net` (moved to the evaluator's device
    /// if needed) and clears the cache. Batches already collected finish with the old weights;
    /// every evaluation submitted after this returns uses the new ones. This is the "weights
    /// out" side of the trainer/actor interface.
    ///
    /// # Errors
    /// [`NnError::Input`] when `net` has another architecture, value head or game shape than
    /// the network the evaluator was started with; [`NnError::EvaluatorStopped`] when the worker
    /// has stopped; errors of copying the weights.
    pub fn update_weights(&self, net: &Network) -> Result<()> {
        if net.config() != &self.net_config {
            return Err(NnError::Input(format!(
                "update_weights: the new network is {}, the evaluator serves {}; start a new \
                 evaluator to change the architecture",
                serde_json::to_string(net.config()).unwrap_or_else(|_| net.config().kind().into()),
                serde_json::to_string(&self.net_config)
                    .unwrap_or_else(|_| self.net_config.kind().into()),
            )));
        }
        let shape = &self.handle.shared.shape;
        if net.shape() != shape {
            return Err(NnError::Input(format!(
                "update_weights: the new network takes observations {:?} with {} actions, the \
                 evaluator's takes {:?} with {}",
                net.shape().observation,
                net.shape().num_actions,
                shape.observation,
                shape.num_actions
            )));
        }
        let mut frozen = net.inference_copy()?;
        if !frozen.device().same_device(&self.device) {
            frozen = frozen.to_device(&self.device)?;
        }
        let (done, wait) = mpsc::channel();
        self.handle
            .tx
            .send(Msg::Control(Control::Update {
                net: Box::new(frozen),
                done,
            }))
            .map_err(|_| stopped())?;
        wait.recv().map_err(|_| stopped())
    }

    /// Batching and cache counters.
    pub fn stats(&self) -> EvaluatorStats {
        self.handle.stats()
    }

    pub fn config(&self) -> &EvaluatorConfig {
        &self.config
    }

    /// Shapes of the positions this evaluator takes.
    pub fn shape(&self) -> &NetShape {
        &self.handle.shared.shape
    }
}

impl Drop for BatchedEvaluator {
    fn drop(&mut self) {
        // A send error means the worker is already gone; either way it is joined below. A join
        // error (the worker panicked) has already been turned into EvaluatorStopped for callers.
        let _ = self.handle.tx.send(Msg::Control(Control::Stop));
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

/// A search thread's access to the evaluator: `Clone + Send + Sync`. Calls block until the
/// position's batch has been evaluated (or the cache answered).
#[derive(Clone)]
pub struct EvaluatorHandle {
    tx: Sender<Msg>,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for EvaluatorHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EvaluatorHandle")
            .field("shape", &self.shared.shape)
            .finish_non_exhaustive()
    }
}

impl EvaluatorHandle {
    /// Evaluates one position: `obs` is its observation (C·H·W values, [`Game::observation_shape`]
    /// order), `legal` its legal-action mask (one flag per action, at least one set). With a
    /// `hash` and a cache, a cached evaluation is returned without touching the worker, and a
    /// fresh one is cached; the hash must determine `obs` and `legal`.
    ///
    /// # Errors
    /// [`NnError::Input`] for a wrong length or an empty mask (checked before queueing);
    /// [`NnError::EvaluatorStopped`] once the evaluator is dropped; the forward pass's error if
    /// the batch failed.
    pub fn evaluate(&self, obs: &[f32], legal: &[bool], hash: Option<u64>) -> Result<Evaluation> {
        let shape = &self.shared.shape;
        let n = shape.observation_len();
        if obs.len() != n {
            return Err(NnError::Input(format!(
                "observation has {} values; this evaluator's network takes {:?} = {n}",
                obs.len(),
                shape.observation
            )));
        }
        if legal.len() != shape.num_actions {
            return Err(NnError::Input(format!(
                "legal mask has {} entries; this evaluator's network has {} actions",
                legal.len(),
                shape.num_actions
            )));
        }
        if !legal.iter().any(|&l| l) {
            return Err(NnError::Input(
                "legal mask has no legal action: a terminal position has nothing to evaluate"
                    .to_string(),
            ));
        }
        if let Some(hit) = self.lookup(hash) {
            return Ok(hit);
        }
        let legal = legal.iter().map(|&l| u8::from(l)).collect();
        self.submit(obs.to_vec(), legal, hash)
    }

    /// Evaluates a game state: writes its observation and legal mask, and uses its
    /// `position_hash` as the cache key (looked up before anything is written).
    ///
    /// # Errors
    /// [`NnError::Input`] when the game's shapes differ from the network's or the state is
    /// terminal; otherwise as [`EvaluatorHandle::evaluate`].
    pub fn evaluate_state<G: Game>(&self, game: &G, state: &G::State) -> Result<Evaluation> {
        let shape = &self.shared.shape;
        let game_shape = NetShape::of(game);
        if &game_shape != shape {
            return Err(NnError::Input(format!(
                "{} has observations {:?} and {} actions; this evaluator's network takes {:?} \
                 and {}",
                game.name(),
                game_shape.observation,
                game_shape.num_actions,
                shape.observation,
                shape.num_actions
            )));
        }
        if state.is_terminal() {
            return Err(NnError::Input(
                "the state is terminal: it has no legal action to evaluate".to_string(),
            ));
        }
        let hash = state.position_hash();
        if let Some(hit) = self.lookup(Some(hash)) {
            return Ok(hit);
        }
        let mut obs = vec![0f32; shape.observation_len()];
        state.write_observation(&mut obs);
        let mut actions = Vec::new();
        state.legal_actions(&mut actions);
        let mut legal = vec![0u8; shape.num_actions];
        for &a in &actions {
            match legal.get_mut(a) {
                Some(flag) => *flag = 1,
                None => {
                    return Err(NnError::Input(format!(
                        "{} listed legal action {a}, but it has only {} actions",
                        game.name(),
                        shape.num_actions
                    )))
                }
            }
        }
        if actions.is_empty() {
            return Err(NnError::Input(
                "the state is not terminal but lists no legal action".to_string(),
            ));
        }
        self.submit(obs, legal, Some(hash))
    }

    /// Batching and cache counters.
    pub fn stats(&self) -> EvaluatorStats {
        let s = &self.shared;
        EvaluatorStats {
            batches: s.batches.load(Ordering::Relaxed),
            positions: s.positions.load(Ordering::Relaxed),
            largest_batch: s.largest_batch.load(Ordering::Relaxed),
            failed_batches: s.failed_batches.load(Ordering::Relaxed),
            cache_hits: s.cache_hits.load(Ordering::Relaxed),
            cache_misses: s.cache_misses.load(Ordering::Relaxed),
            cache_len: s.cache().map_or(0, |c| c.len()),
        }
    }

    /// Shapes of the positions this evaluator takes.
    pub fn shape(&self) -> &NetShape {
        &self.shared.shape
    }

    /// The cached evaluation for `hash`, counting the hit or miss.
    fn lookup(&self, hash: Option<u64>) -> Option<Evaluation> {
        let hash = hash?;
        let hit = self.shared.cache()?.get(hash);
        let counter = if hit.is_some() {
            &self.shared.cache_hits
        } else {
            &self.shared.cache_misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        // Clone outside the lock.
        hit.map(|e| (*e).clone())
    }

    /// Queues one validated position, waits for its row, and caches it.
    fn submit(&self, obs: Vec<f32>, legal: Vec<u8>, hash: Option<u64>) -> Result<Evaluation> {
        let (reply, wait) = mpsc::channel();
        let request = Request {
            obs,
            legal,
            reply,
            submitted: Instant::now(),
        };
        self.tx.send(Msg::Eval(request)).map_err(|_| stopped())?;
        let Reply { evaluation, epoch } = wait.recv().map_err(|_| stopped())??;
        if let Some(hash) = hash {
            if let Some(mut cache) = self.shared.cache() {
                cache.insert(epoch, hash, Arc::new(evaluation.clone()));
            }
        }
        Ok(evaluation)
    }
}

fn stopped() -> NnError {
    NnError::EvaluatorStopped(
        "its worker has shut down (the BatchedEvaluator was dropped, or its thread died)"
            .to_string(),
    )
}

/// State shared by the handles and the worker.
struct Shared {
    shape: NetShape,
    /// `None` when the cache is disabled.
    cache: Option<Mutex<Cache>>,
    batches: AtomicU64,
    positions: AtomicU64,
    largest_batch: AtomicU64,
    failed_batches: AtomicU64,
    cache_hits: AtomicU64,
    cache_misses: AtomicU64,
}

impl Shared {
    fn new(shape: NetShape, cache_capacity: usize) -> Self {
        Shared {
            shape,
            cache: (cache_capacity > 0).then(|| Mutex::new(Cache::new(cache_capacity))),
            batches: AtomicU64::new(0),
            positions: AtomicU64::new(0),
            largest_batch: AtomicU64::new(0),
            failed_batches: AtomicU64::new(0),
            cache_hits: AtomicU64::new(0),
            cache_misses: AtomicU64::new(0),
        }
    }

    /// The locked cache, if there is one. A poisoned lock is taken over: the maps stay
    /// consistent even if a holder panicked (every operation is a single map call).
    fn cache(&self) -> Option<MutexGuard<'_, Cache>> {
        self.cache
            .as_ref()
            .map(|m| m.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

/// Two-generation approximate LRU keyed by position hash (see the module docs).
struct Cache {
    /// Most entries per generation.
    generation_cap: usize,
    /// False only for capacity 1, where two generations of one entry would hold two.
    keep_old: bool,
    young: HashMap<u64, Arc<Evaluation>>,
    old: HashMap<u64, Arc<Evaluation>>,
    /// Weights epoch whose results the cache holds; results of other epochs are not inserted.
    epoch: u64,
}

impl Cache {
    fn new(capacity: usize) -> Self {
        let generation_cap = (capacity / 2).max(1);
        Cache {
            generation_cap,
            keep_old: 2 * generation_cap <= capacity,
            young: HashMap::new(),
            old: HashMap::new(),
            epoch: 0,
        }
    }

    fn len(&self) -> usize {
        self.young.len() + self.old.len()
    }

    fn get(&mut self, key: u64) -> Option<Arc<Evaluation>> {
        if let Some(e) = self.young.get(&key) {
            return Some(Arc::clone(e));
        }
        let e = self.old.remove(&key)?;
        self.insert_young(key, Arc::clone(&e));
        Some(e)
    }

    fn insert(&mut self, epoch: u64, key: u64, e: Arc<Evaluation>) {
        if epoch != self.epoch || self.young.contains_key(&key) {
            return;
        }
        self.old.remove(&key);
        self.insert_young(key, e);
    }

    /// Inserts a key that is in neither generation, starting a new generation first when the
    /// young one is full.
    fn insert_young(&mut self, key: u64, e: Arc<Evaluation>) {
        if self.young.len() >= self.generation_cap {
            // Swapping keeps both allocations for reuse.
            std::mem::swap(&mut self.young, &mut self.old);
            self.young.clear();
            if !self.keep_old {
                self.old.clear();
            }
        }
        self.young.insert(key, e);
    }

    /// Empties the cache for the weights of `epoch`.
    fn reset(&mut self, epoch: u64) {
        self.young.clear();
        self.old.clear();
        self.epoch = epoch;
    }
}

enum Msg {
    Eval(Request),
    Control(Control),
}

/// Messages that end a batch's collection and are handled after it has run.
enum Control {
    Update { net: Box<Network>, done: Sender<()> },
    Stop,
}

struct Request {
    /// Validated: C·H·W values.
    obs: Vec<f32>,
    /// Validated: one 0/1 flag per action, at least one 1.
    legal: Vec<u8>,
    reply: Sender<Result<Reply>>,
    submitted: Instant,
}

struct Reply {
    evaluation: Evaluation,
    /// Epoch of the weights that computed it.
    epoch: u64,
}

struct Worker {
    net: Network,
    rx: Receiver<Msg>,
    shared: Arc<Shared>,
    max_batch: usize,
    max_wait: Duration,
    /// Incremented by every weight update.
    epoch: u64,
}

impl Worker {
    fn run(mut self) {
        let mut batch = Vec::with_capacity(self.max_batch);
        loop {
            let control = match self.rx.recv() {
                // Every sender is gone: nobody can ask anything any more.
                Err(_) => return,
                Ok(Msg::Control(c)) => Some(c),
                Ok(Msg::Eval(first)) => {
                    batch.push(first);
                    self.collect(&mut batch)
                }
            };
            if !batch.is_empty() {
                self.run_batch(&mut batch);
            }
            match control {
                None => {}
                Some(Control::Stop) => return,
                Some(Control::Update { net, done }) => {
                    self.net = *net;
                    self.epoch += 1;
                    if let Some(mut cache) = self.shared.cache() {
                        cache.reset(self.epoch);
                    }
                    // The updater may have given up waiting; nothing to do then.
                    let _ = done.send(());
                }
            }
        }
    }

    /// Adds requests to `batch` until it is full or the first request's deadline has passed and
    /// nothing more is queued. Returns a control message that ended the collection early.
    fn collect(&self, batch: &mut Vec<Request>) -> Option<Control> {
        let first = batch.first()?.submitted;
        let deadline = first.checked_add(self.max_wait).unwrap_or(first);
        while batch.len() < self.max_batch {
            let now = Instant::now();
            let msg = if now >= deadline {
                match self.rx.try_recv() {
                    Ok(m) => m,
                    Err(TryRecvError::Empty) => return None,
                    Err(TryRecvError::Disconnected) => return Some(Control::Stop),
                }
            } else {
                match self.rx.recv_timeout(deadline - now) {
                    Ok(m) => m,
                    // Past the deadline now: the next round takes only what is queued.
                    Err(RecvTimeoutError::Timeout) => continue,
                    Err(RecvTimeoutError::Disconnected) => return Some(Control::Stop),
                }
            };
            match msg {
                Msg::Eval(r) => batch.push(r),
                Msg::Control(c) => return Some(c),
            }
        }
        None
    }

    /// Evaluates and answers every request of `batch`, leaving it empty.
    fn run_batch(&self, batch: &mut Vec<Request>) {
        match self.forward(batch) {
            Ok(evaluations) => {
                let s = &self.shared;
                let b = batch.len() as u64;
                s.batches.fetch_add(1, Ordering::Relaxed);
                s.positions.fetch_add(b, Ordering::Relaxed);
                s.largest_batch.fetch_max(b, Ordering::Relaxed);
                for (request, evaluation) in batch.drain(..).zip(evaluations) {
                    // A caller that has gone away no longer needs its row.
                    let _ = request.reply.send(Ok(Reply {
                        evaluation,
                        epoch: self.epoch,
                    }));
                }
            }
            Err(e) => {
                self.shared.failed_batches.fetch_add(1, Ordering::Relaxed);
                for request in batch.drain(..) {
                    let _ = request.reply.send(Err(copy_error(&e)));
                }
            }
        }
    }

    /// One forward pass over the stacked batch, split back into rows.
    fn forward(&self, batch: &[Request]) -> Result<Vec<Evaluation>> {
        let shape = &self.shared.shape;
        let [c, h, w] = shape.observation;
        let a = shape.num_actions;
        let b = batch.len();
        let mut obs = Vec::with_capacity(b * c * h * w);
        let mut legal = Vec::with_capacity(b * a);
        for r in batch {
            obs.extend_from_slice(&r.obs);
            legal.extend_from_slice(&r.legal);
        }
        let device = self.net.device();
        let obs = Tensor::from_vec(obs, (b, c, h, w), device)?;
        let legal = Tensor::from_vec(legal, (b, a), device)?;
        let out = self.net.forward(&obs, &legal)?;
        let policy = out.policy()?.to_vec2::<f32>()?;
        let value = out.value_scalar()?.to_vec1::<f32>()?;
        let wdl = match out.value_head {
            ValueHead::Wdl => Some(softmax_last(&out.value)?.to_vec2::<f32>()?),
            ValueHead::Scalar => None,
        };
        if policy.len() != b || value.len() != b || wdl.as_ref().is_some_and(|w| w.len() != b) {
            return Err(NnError::Input(format!(
                "the network returned {} policy rows and {} values for a batch of {b}",
                policy.len(),
                value.len()
            )));
        }
        let mut wdl_rows = wdl.map(Vec::into_iter);
        policy
            .into_iter()
            .zip(value)
            .map(|(policy, value)| {
                let wdl = match wdl_rows.as_mut().and_then(Iterator::next) {
                    None => None,
                    Some(row) => Some(<[f32; 3]>::try_from(row.as_slice()).map_err(|_| {
                        NnError::Input(format!(
                            "the W/D/L head returned {} values per position, not 3",
                            row.len()
                        ))
                    })?),
                };
                Ok(Evaluation { policy, value, wdl })
            })
            .collect()
    }
}

/// A copy of `e` for one more caller (errors are not `Clone`; candle's keep their message).
fn copy_error(e: &NnError) -> NnError {
    match e {
        NnError::Config(m) => NnError::Config(m.clone()),
        NnError::Input(m) => NnError::Input(m.clone()),
        NnError::Device { spec, reason } => NnError::Device {
            spec: spec.clone(),
            reason: reason.clone(),
        },
        NnError::Checkpoint { path, reason } => NnError::Checkpoint {
            path: path.clone(),
            reason: reason.clone(),
        },
        NnError::EvaluatorStopped(m) => NnError::EvaluatorStopped(m.clone()),
        NnError::Candle(inner) => NnError::Candle(candle_core::Error::Msg(inner.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Arch, MlpConfig};

    fn eval(v: f32) -> Arc<Evaluation> {
        Arc::new(Evaluation {
            policy: vec![v],
            value: v,
            wdl: None,
        })
    }

    #[test]
    fn cache_never_exceeds_its_capacity_and_keeps_recently_used_entries() {
        for capacity in [1, 2, 3, 4, 7, 10] {
            let mut cache = Cache::new(capacity);
            for key in 0..100u64 {
                cache.insert(0, key, eval(key as f32));
                assert!(
                    cache.len() <= capacity,
                    "capacity {capacity}: {}",
                    cache.len()
                );
                // The entry just inserted is always there.
                assert_eq!(cache.get(key).map(|e| e.value), Some(key as f32));
            }
            assert!(cache.len() >= capacity / 2, "capacity {capacity} underused");
        }
        // Key 0, read once per generation, survives a stream of 100 other keys.
        let mut cache = Cache::new(8);
        cache.insert(0, 0, eval(0.0));
        for key in 1..100u64 {
            cache.insert(0, key, eval(key as f32));
            if key % 3 == 0 {
                assert!(cache.get(0).is_some(), "key 0 evicted at {key}");
            }
        }
        assert!(
            cache.get(1).is_none(),
            "key 1 was never reused and must be gone"
        );
    }

    #[test]
    fn cache_rejects_results_of_old_weights() {
        let mut cache = Cache::new(4);
        cache.insert(0, 1, eval(1.0));
        cache.reset(1);
        assert_eq!(cache.len(), 0);
        cache.insert(0, 2, eval(2.0));
        assert!(
            cache.get(2).is_none(),
            "a result of epoch 0 entered the epoch-1 cache"
        );
        cache.insert(1, 2, eval(2.0));
        assert!(cache.get(2).is_some());
    }

    #[test]
    fn a_failed_forward_reaches_every_caller_and_the_worker_keeps_serving() {
        let shape = NetShape {
            observation: [2, 3, 3],
            num_actions: 9,
        };
        let config = NetConfig::new(
            Arch::Mlp(MlpConfig {
                hidden: 8,
                layers: 1,
            }),
            ValueHead::Wdl,
        );
        let net = Network::new(&config, &shape, &Device::Cpu, 0).unwrap();
        let evaluator = BatchedEvaluator::start(
            &net,
            &EvaluatorConfig {
                max_batch: 2,
                max_wait: Duration::from_millis(100),
                cache_capacity: 0,
            },
        )
        .unwrap();
        let handle = evaluator.handle();
        // Bypass validation: a request whose observation is too short makes the stacked
        // tensor fail, which must fail the good request batched with it too.
        let mut waits = Vec::new();
        for obs_len in [5, 18] {
            let (reply, wait) = mpsc::channel();
            handle
                .tx
                .send(Msg::Eval(Request {
                    obs: vec![0.5; obs_len],
                    legal: vec![1; 9],
                    reply,
                    submitted: Instant::now(),
                }))
                .unwrap();
            waits.push(wait);
        }
        for wait in waits {
            match wait.recv().unwrap() {
                Err(NnError::Candle(_)) => {}
                Err(e) => panic!("unexpected error {e}"),
                Ok(_) => panic!("a batch with a malformed request succeeded"),
            }
        }
        let ok = handle.evaluate(&[0.0; 18], &[true; 9], None).unwrap();
        assert_eq!(ok.policy.len(), 9);
        let stats = evaluator.stats();
        assert_eq!((stats.failed_batches, stats.batches), (1, 1));
    }
}
