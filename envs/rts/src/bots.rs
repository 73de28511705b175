//! Scripted bots in the manner of microRTS's: Passive, Random, RandomBiased, and the rushes
//! (WorkerRush, LightRush, HeavyRush, RangedRush) built on a small abstraction layer that turns
//! per-unit jobs (attack that unit, harvest there, build this here, train that) into unit
//! actions with A* path-finding, never ordering a busy unit and never issuing two orders that
//! clash with each other or with running actions.
//!
//! Agent specs: `rts:passive`, `rts:random`, `rts:randombiased`, `rts:workerrush`,
//! `rts:lightrush`, `rts:heavyrush`, `rts:rangedrush` ([`parse_bot`]).

use std::collections::BTreeMap;

use rand::Rng;

use ludus_core::{seeded_rng, LudusRng};

use crate::action::{ActionType, Direction, UnitAction};
use crate::path::first_step;
use crate::runner::RtsAgent;
use crate::state::{GameState, Reservations, Unit};
use crate::utt::{TypeId, UnitType};

/// The bots' names, for help texts.
pub const BOT_NAMES: &str =
    "passive, random, randombiased, workerrush, lightrush, heavyrush, rangedrush";

/// A bot from its name (the part after `rts:`); `seed` drives the random ones.
pub fn parse_bot(name: &str, seed: u64) -> Option<Box<dyn RtsAgent>> {
    Some(match name.to_ascii_lowercase().as_str() {
        "passive" => Box::new(Passive),
        "random" => Box::new(RandomBot::new(seed, false)),
        "randombiased" => Box::new(RandomBot::new(seed, true)),
        "workerrush" => Box::new(Rush::new(RushKind::Worker)),
        "lightrush" => Box::new(Rush::new(RushKind::Light)),
        "heavyrush" => Box::new(Rush::new(RushKind::Heavy)),
        "rangedrush" => Box::new(Rush::new(RushKind::Ranged)),
        _ => return None,
    })
}

/// Does nothing, ever (microRTS's PassiveAI).
#[derive(Clone, Copy, Debug, Default)]
pub struct Passive;

impl RtsAgent for Passive {
    fn name(&self) -> String {
        "rts:passive".into()
    }

    fn act(&mut self, _: &GameState, _: usize) -> Vec<(u64, UnitAction)> {
        Vec::new()
    }
}

/// A random legal action for every idle unit; with `biased`, attacks, harvests and returns are
/// five times as likely as other actions (microRTS's RandomAI and RandomBiasedAI). Orders that
/// would clash with running actions or with each other are skipped.
#[derive(Debug)]
pub struct RandomBot {
    rng: LudusRng,
    seed: u64,
    biased: bool,
}

impl RandomBot {
    pub fn new(seed: u64, biased: bool) -> Self {
        RandomBot {
            rng: seeded_rng(seed),
            seed,
            biased,
        }
    }
}

impl RtsAgent for RandomBot {
    fn name(&self) -> String {
        if self.biased {
            "rts:randombiased"
        } else {
            "rts:random"
        }
        .into()
    }

    fn reset(&mut self) {
        self.rng = seeded_rng(self.seed);
    }

    fn reseed(&mut self, seed: u64) {
        self.rng = seeded_rng(seed);
    }

    fn act(&mut self, state: &GameState, player: usize) -> Vec<(u64, UnitAction)> {
        let mut reserved = state.reservations();
        let mut orders = Vec::new();
        for unit in state.idle_units(player) {
            let choices: Vec<UnitAction> = state
                .legal_actions(unit)
                .into_iter()
                .filter(|a| reserved.allows(&state.usage(unit, a)))
                .collect();
            let weight = |a: &UnitAction| match a.action_type() {
                ActionType::Attack | ActionType::Harvest | ActionType::Return if self.biased => 5.0,
                _ => 1.0,
            };
            let total: f64 = choices.iter().map(weight).sum();
            let mut pick = self.rng.random_range(0.0..total);
            let mut chosen = choices[0];
            for a in &choices {
                pick -= weight(a);
                if pick < 0.0 {
                    chosen = *a;
                    break;
                }
            }
            reserved.hold(&state.usage(unit, &chosen));
            orders.push((unit.id, chosen));
        }
        orders
    }
}

/// A standing order for one unit, carried out step by step whenever the unit is idle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Job {
    /// Walk into reach of that unit and hit it until it dies.
    Attack(u64),
    /// Shuttle between that resource and that base (id and where it stands). Like microRTS's
    /// workers, a worker whose base is destroyed keeps walking back to where it stood; with no
    /// base at all it harvests once and holds what it carries.
    Harvest {
        resource: u64,
        base: Option<(u64, i32, i32)>,
    },
    /// Walk next to (x, y) and build a unit of that type there.
    Build { kind: TypeId, x: i32, y: i32 },
    /// Produce a unit of that type next to this building (first free direction).
    Train(TypeId),
}

/// Per-unit jobs and their translation into orders (microRTS's `AbstractionLayerAI`).
#[derive(Clone, Debug, Default)]
pub struct JobBoard {
    jobs: BTreeMap<u64, Job>,
}

impl JobBoard {
    pub fn assign(&mut self, unit: u64, job: Job) {
        self.jobs.insert(unit, job);
    }

    pub fn job(&self, unit: u64) -> Option<&Job> {
        self.jobs.get(&unit)
    }

    pub fn clear(&mut self) {
        self.jobs.clear();
    }

    /// Drops the jobs of units that are gone and the jobs that are done (a target dead, a
    /// building standing), so their units can be given new ones this cycle.
    pub fn prune(&mut self, state: &GameState, player: usize) {
        self.jobs.retain(|id, job| {
            state.unit(*id).is_some_and(|u| u.player == player as i32) && !done(state, job)
        });
    }

    /// Orders for `player`'s idle units: the next step of each unit's job, if that step does
    /// not clash with what is already reserved (running actions and the orders chosen before
    /// it). Finished jobs are dropped; idle units without an order get none.
    pub fn orders(&mut self, state: &GameState, player: usize) -> Vec<(u64, UnitAction)> {
        self.prune(state, player);
        let mut reserved = state.reservations();
        let mut orders = Vec::new();
        for unit in state.idle_units(player) {
            let Some(job) = self.jobs.get(&unit.id) else {
                continue;
            };
            let Some(action) = next_step(state, &reserved, unit, job) else {
                continue;
            };
            // Orders that have become illegal (a return to a base destroyed meanwhile) are sent
            // all the same, as microRTS's bots send them: the engine turns them into waits.
            let usage = state.usage(unit, &action);
            if reserved.allows(&usage) {
                reserved.hold(&usage);
                orders.push((unit.id, action));
            }
        }
        orders
    }
}

fn done(state: &GameState, job: &Job) -> bool {
    match *job {
        Job::Attack(target) => state.unit(target).is_none(),
        Job::Harvest { resource, .. } => state.unit(resource).is_none(),
        Job::Build { kind, x, y } => state.unit_at(x, y).is_some_and(|u| u.kind == kind),
        Job::Train(_) => false,
    }
}

/// Whether a unit of type `ty` at `from` can attack `target`.
fn in_reach(ty: &UnitType, from: (i32, i32), target: (i32, i32)) -> bool {
    ty.reaches(target.0 - from.0, target.1 - from.1)
}

/// The Manhattan distance, the heuristic microRTS's path-finding ranks cells by.
fn manhattan(a: (i32, i32), b: (i32, i32)) -> i32 {
    (a.0 - b.0).abs() + (a.1 - b.1).abs()
}

fn adjacent(a: (i32, i32), b: (i32, i32)) -> Option<Direction> {
    Direction::from_offset(b.0 - a.0, b.1 - a.1)
}

/// A step towards any cell next to `target`.
fn step_next_to(
    state: &GameState,
    reserved: &Reservations,
    unit: &Unit,
    target: (i32, i32),
) -> Option<UnitAction> {
    first_step(
        state,
        reserved,
        (unit.x, unit.y),
        |x, y| manhattan((x, y), target) == 1,
        |x, y| manhattan((x, y), target),
    )
    .map(UnitAction::Move)
}

fn next_step(
    state: &GameState,
    reserved: &Reservations,
    unit: &Unit,
    job: &Job,
) -> Option<UnitAction> {
    let here = (unit.x, unit.y);
    let ty = state.unit_type(unit);
    match *job {
        Job::Attack(target) => {
            let t = state.unit(target)?;
            let there = (t.x, t.y);
            if in_reach(ty, here, there) {
                return Some(UnitAction::Attack { x: t.x, y: t.y });
            }
            first_step(
                state,
                reserved,
                here,
                |x, y| in_reach(ty, (x, y), there),
                |x, y| manhattan((x, y), there),
            )
            .map(UnitAction::Move)
        }
        Job::Harvest { resource, base } => {
            let there = if unit.resources == 0 {
                let r = state.unit(resource)?;
                (r.x, r.y)
            } else {
                let (id, x, y) = base?;
                state.unit(id).map_or((x, y), |b| (b.x, b.y))
            };
            match adjacent(here, there) {
                Some(d) if unit.resources == 0 => Some(UnitAction::Harvest(d)),
                Some(d) => Some(UnitAction::Return(d)),
                None => step_next_to(state, reserved, unit, there),
            }
        }
        Job::Build { kind, x, y } => match adjacent(here, (x, y)) {
            Some(d) => Some(UnitAction::Produce(d, kind)),
            None => step_next_to(state, reserved, unit, (x, y)),
        },
        Job::Train(kind) => {
            // Towards the nearest resource for units that harvest, towards the nearest enemy
            // for the others; ties (and no target at all) go up, right, down, left — where
            // microRTS's bots put new units (checked black-box on the Java engine).
            let harvests = state.utt().get(kind).can_harvest;
            let targets: Vec<(i32, i32)> = state
                .units()
                .iter()
                .filter(|u| {
                    if harvests {
                        state.unit_type(u).is_resource
                    } else {
                        u.player >= 0 && u.player != unit.player
                    }
                })
                .map(|u| (u.x, u.y))
                .collect();
            Direction::ALL
                .into_iter()
                .map(|d| UnitAction::Produce(d, kind))
                .filter(|a| state.is_legal(unit, a) && reserved.allows(&state.usage(unit, a)))
                .min_by_key(|a| {
                    let (dx, dy) = a.direction().expect("a produce has a direction").offset();
                    let cell = (unit.x + dx, unit.y + dy);
                    targets
                        .iter()
                        .map(|&t| manhattan(cell, t))
                        .min()
                        .unwrap_or(0)
                })
        }
    }
}

/// Which rush.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RushKind {
    Worker,
    Light,
    Heavy,
    Ranged,
}

/// The rushes of microRTS's `ai.abstraction` package.
///
/// * **WorkerRush**: the base trains workers non-stop; one worker harvests, every other worker
///   attacks the closest enemy.
/// * **Light/Heavy/RangedRush**: the base keeps one worker; that worker builds one barracks next
///   to itself when it can afford it, then harvests; the barracks trains only the rush's unit
///   type; combat units attack the closest enemy.
#[derive(Clone, Debug)]
pub struct Rush {
    kind: RushKind,
    board: JobBoard,
}

impl Rush {
    pub fn new(kind: RushKind) -> Self {
        Rush {
            kind,
            board: JobBoard::default(),
        }
    }
}

/// The enemy unit closest to `unit` (Manhattan distance; the first listed on ties).
fn closest_enemy<'a>(state: &'a GameState, unit: &Unit) -> Option<&'a Unit> {
    state
        .units()
        .iter()
        .filter(|u| u.player >= 0 && u.player != unit.player)
        .min_by_key(|u| (u.x - unit.x).abs() + (u.y - unit.y).abs())
}

fn closest(state: &GameState, from: (i32, i32), keep: impl Fn(&Unit) -> bool) -> Option<&Unit> {
    state
        .units()
        .iter()
        .filter(|u| keep(u))
        .min_by_key(|u| (u.x - from.0).abs() + (u.y - from.1).abs())
}

impl RtsAgent for Rush {
    fn name(&self) -> String {
        match self.kind {
            RushKind::Worker => "rts:workerrush",
            RushKind::Light => "rts:lightrush",
            RushKind::Heavy => "rts:heavyrush",
            RushKind::Ranged => "rts:rangedrush",
        }
        .into()
    }

    fn reset(&mut self) {
        self.board.clear();
    }

    fn act(&mut self, state: &GameState, player: usize) -> Vec<(u64, UnitAction)> {
        let utt = state.utt();
        let me = player as i32;
        let type_named = |name: &str| utt.by_name(name).map(|t| t.id);
        let (Some(worker), Some(barracks)) = (type_named("Worker"), type_named("Barracks")) else {
            return Vec::new();
        };
        let fighter = match self.kind {
            RushKind::Worker => worker,
            RushKind::Light => type_named("Light").unwrap_or(worker),
            RushKind::Heavy => type_named("Heavy").unwrap_or(worker),
            RushKind::Ranged => type_named("Ranged").unwrap_or(worker),
        };
        self.board.prune(state, player);
        let spendable = state.reservations().spendable[player];
        let own: Vec<&Unit> = state.units().iter().filter(|u| u.player == me).collect();
        let workers: Vec<&Unit> = own.iter().copied().filter(|u| u.kind == worker).collect();
        let has_barracks = own.iter().any(|u| u.kind == barracks)
            || self
                .board
                .jobs
                .values()
                .any(|j| matches!(j, Job::Build { kind, .. } if *kind == barracks));
        for u in &own {
            let ty = state.unit_type(u);
            if ty.is_stockpile && ty.produces.contains(&worker) {
                let want = self.kind == RushKind::Worker || workers.is_empty();
                if want && spendable >= utt.get(worker).cost {
                    self.board.assign(u.id, Job::Train(worker));
                } else {
                    self.board.jobs.remove(&u.id);
                }
            } else if u.kind == barracks {
                if self.kind != RushKind::Worker && spendable >= utt.get(fighter).cost {
                    self.board.assign(u.id, Job::Train(fighter));
                } else {
                    self.board.jobs.remove(&u.id);
                }
            } else if ty.can_attack && !ty.can_harvest {
                if let Some(e) = closest_enemy(state, u) {
                    self.board.assign(u.id, Job::Attack(e.id));
                }
            }
        }
        // Workers: in WorkerRush one harvests and the rest fight; in the other rushes one
        // builds the barracks and all harvest.
        let mut harvesting = 0;
        for (i, w) in workers.iter().enumerate() {
            if let Some(Job::Build { .. }) = self.board.job(w.id) {
                continue;
            }
            let builds = self.kind != RushKind::Worker
                && i == 0
                && !has_barracks
                && spendable >= utt.get(barracks).cost;
            if builds {
                if let Some((x, y)) = building_spot(state, w) {
                    self.board.assign(
                        w.id,
                        Job::Build {
                            kind: barracks,
                            x,
                            y,
                        },
                    );
                    continue;
                }
            }
            let harvest = self.kind != RushKind::Worker || harvesting == 0;
            let job = harvest
                .then(|| harvest_job(state, w))
                .flatten()
                .or_else(|| closest_enemy(state, w).map(|e| Job::Attack(e.id)));
            match job {
                Some(j) => {
                    if matches!(j, Job::Harvest { .. }) {
                        harvesting += 1;
                    }
                    // Keep a running harvest going rather than re-targeting every cycle.
                    let keep = matches!(
                        (self.board.job(w.id), &j),
                        (Some(Job::Harvest { .. }), Job::Harvest { .. })
                    );
                    if !keep {
                        self.board.assign(w.id, j);
                    }
                }
                None => {
                    self.board.jobs.remove(&w.id);
                }
            }
        }
        self.board.orders(state, player)
    }
}

/// Harvest the resource closest to the worker, returning to the own base closest to it.
fn harvest_job(state: &GameState, w: &Unit) -> Option<Job> {
    let resource = closest(state, (w.x, w.y), |u| state.unit_type(u).is_resource)?;
    let base = closest(state, (resource.x, resource.y), |u| {
        u.player == w.player && state.unit_type(u).is_stockpile
    });
    Some(Job::Harvest {
        resource: resource.id,
        base: base.map(|b| (b.id, b.x, b.y)),
    })
}

/// Where a worker builds: the first free cell on square rings around it, ring by ring — each
/// ring's top row left to right, then its right column downwards, its bottom row left to right,
/// its left column downwards. This is the order microRTS's bots search in (checked black-box
/// on the Java engine), so our rushes put their barracks where microRTS's do.
fn building_spot(state: &GameState, w: &Unit) -> Option<(i32, i32)> {
    let (cx, cy) = (w.x, w.y);
    for l in 1..state.width().max(state.height()) {
        let ring = (cx - l..=cx + l)
            .map(|x| (x, cy - l))
            .chain((cy - l + 1..=cy + l).map(|y| (cx + l, y)))
            .chain((cx - l..cx + l).map(|x| (x, cy + l)))
            .chain((cy - l + 1..cy + l).map(|y| (cx - l, y)));
        for (x, y) in ring {
            if state.is_free(x, y) {
                return Some((x, y));
            }
        }
    }
    None
}
