//! The game loop shared by every RTS front end: both players decide on the same state, player
//! 0's orders are issued before player 1's, then the cycle runs — microRTS's order.

use crate::error::RtsError;
use crate::state::{GameState, IssueReport, Winner};

/// A player of the RTS: given the state (or its view of it), orders for its idle units.
pub trait RtsAgent: Send {
    /// The agent's spec, for logs and tables.
    fn name(&self) -> String;

    /// Orders for `player`'s units that have no running action. An order for a busy unit would
    /// replace its running action (microRTS's rule), which scripted bots never want.
    fn act(&mut self, state: &GameState, player: usize) -> Vec<(u64, crate::UnitAction)>;

    /// Forget everything about the previous game.
    fn reset(&mut self) {}

    /// Draw this game's random choices from `seed` (agents without randomness ignore it).
    fn reseed(&mut self, _seed: u64) {}
}

/// How a game is run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunOptions {
    /// The game is a draw once the clock reaches this (microRTS: 3000 on 8×8, 4000–5000 on
    /// 16×16).
    pub max_cycles: i32,
    /// Each agent sees only what its units see.
    pub partial_observability: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            max_cycles: 3000,
            partial_observability: false,
        }
    }
}

/// How a game ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GameOutcome {
    pub winner: Winner,
    /// The clock at the end.
    pub cycles: i32,
    /// Each player's orders that were illegal, cancelled or inconsistent, summed over the game.
    pub reports: [IssueReport; 2],
}

/// Both agents' orders for the current state (each sees its own view under partial
/// observability).
pub fn decide(
    state: &GameState,
    agents: &mut [&mut dyn RtsAgent; 2],
    options: &RunOptions,
) -> [Vec<(u64, crate::UnitAction)>; 2] {
    let mut orders = [Vec::new(), Vec::new()];
    for (p, agent) in agents.iter_mut().enumerate() {
        orders[p] = if options.partial_observability {
            agent.act(&state.observed_by(p), p)
        } else {
            agent.act(state, p)
        };
    }
    orders
}

/// Issues both players' orders (player 0's first) and runs the cycle, adding what happened to
/// the orders to `reports`. Returns whether the game is over (the cycle limit aside).
pub fn apply(
    state: &mut GameState,
    orders: &[Vec<(u64, crate::UnitAction)>; 2],
    reports: &mut [IssueReport; 2],
) -> Result<bool, RtsError> {
    for (p, o) in orders.iter().enumerate() {
        let r = state.issue(p, o)?;
        let total = &mut reports[p];
        total.illegal += r.illegal;
        total.cancelled += r.cancelled;
        total.inconsistent += r.inconsistent;
        total.overwritten += r.overwritten;
    }
    Ok(state.cycle())
}

/// One cycle: both agents decide on the same state, then the orders land. Returns whether the
/// game is over (the cycle limit aside).
pub fn step(
    state: &mut GameState,
    agents: &mut [&mut dyn RtsAgent; 2],
    options: &RunOptions,
    reports: &mut [IssueReport; 2],
) -> Result<bool, RtsError> {
    let orders = decide(state, agents, options);
    apply(state, &orders, reports)
}

/// Plays a game to its end or the cycle limit, calling `observe` on every state before the
/// agents decide on it (and once on the final state).
pub fn play(
    mut state: GameState,
    agents: &mut [&mut dyn RtsAgent; 2],
    options: &RunOptions,
    mut observe: impl FnMut(&GameState),
) -> Result<GameOutcome, RtsError> {
    let mut reports = [IssueReport::default(); 2];
    let mut over = state.is_over();
    while !over && state.time() < options.max_cycles {
        observe(&state);
        over = step(&mut state, agents, options, &mut reports)?;
    }
    observe(&state);
    Ok(GameOutcome {
        winner: state.winner(),
        cycles: state.time(),
        reports,
    })
}
