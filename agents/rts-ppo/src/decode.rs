//! From logits to orders: one per idle own unit, decided in entity order, each masked by what
//! is legal now and by the reservations of the running actions and of the orders already
//! decided this cycle. The joint order therefore never conflicts with itself, which matters
//! because microRTS cancels both sides of a conflict.
//!
//! Each unit's order is an action type, then its argument: a direction (move, harvest,
//! return), a direction and a unit type (produce, one joint choice), or the entity row of the
//! unit to attack (a pointer). The masks used are kept ([`UnitChoice`]) so that training
//! computes the probabilities of exactly the choices that were offered.

use ludus_rts::{Direction, GameState, UnitAction};
use rand::Rng;

use crate::features::{view_cell, view_direction, Observation};
use crate::policy::{PolicyOutput, ACTION_TYPES, DIRECTED, DIRECTIONS};
use crate::PpoError;

/// Action type indices.
pub mod kind {
    pub const WAIT: usize = 0;
    pub const MOVE: usize = 1;
    pub const HARVEST: usize = 2;
    pub const RETURN: usize = 3;
    pub const PRODUCE: usize = 4;
    pub const ATTACK: usize = 5;
}

/// Cycles a unit told to wait stays idle before it is asked again.
pub const WAIT_CYCLES: i32 = 1;

/// Width of the argument space: the largest of 4 directions, 4 directions × K unit types and
/// N entity rows.
pub fn arg_width(max_entities: usize, unit_types: usize) -> usize {
    DIRECTIONS.max(DIRECTIONS * unit_types).max(max_entities)
}

/// One unit's decision and the choices it was offered.
#[derive(Clone, Debug, PartialEq)]
pub struct UnitChoice {
    /// The unit's entity row.
    pub row: usize,
    /// Action type (see [`kind`]).
    pub kind: usize,
    /// Its argument: a direction index, `direction · K + unit type`, or an entity row; 0 for
    /// a wait.
    pub arg: usize,
    /// Which action types were allowed (wait always is).
    pub kind_mask: [bool; ACTION_TYPES],
    /// Which arguments of the chosen type were allowed ([`arg_width`] long; empty for a wait).
    pub arg_mask: Vec<bool>,
    /// Log-probability of this choice (type, then argument) under the masks.
    pub log_prob: f32,
}

/// One item's logits, copied to the host.
#[derive(Clone, Debug)]
pub struct ItemLogits {
    types: Vec<f32>,
    directions: Vec<f32>,
    units: Vec<f32>,
    targets: Vec<f32>,
    rows: usize,
    unit_types: usize,
}

impl ItemLogits {
    /// Splits a forward pass's logits by item.
    ///
    /// # Errors
    /// A device failure.
    pub fn split(out: &PolicyOutput) -> Result<Vec<ItemLogits>, PpoError> {
        let (items, rows, _) = out.type_logits.dims3()?;
        let unit_types = out.unit_logits.dim(2)?;
        let flat = |t: &candle_core::Tensor| -> Result<Vec<f32>, PpoError> {
            Ok(t.flatten_all()?.to_vec1::<f32>()?)
        };
        let (types, directions, units, targets) = (
            flat(&out.type_logits)?,
            flat(&out.direction_logits)?,
            flat(&out.unit_logits)?,
            flat(&out.target_logits)?,
        );
        let chunk = |v: &[f32], i: usize, width: usize| v[i * width..(i + 1) * width].to_vec();
        Ok((0..items)
            .map(|i| ItemLogits {
                types: chunk(&types, i, rows * ACTION_TYPES),
                directions: chunk(&directions, i, rows * DIRECTED * DIRECTIONS),
                units: chunk(&units, i, rows * unit_types),
                targets: chunk(&targets, i, rows * rows),
                rows,
                unit_types,
            })
            .collect())
    }

    fn type_logits(&self, row: usize) -> &[f32] {
        &self.types[row * ACTION_TYPES..(row + 1) * ACTION_TYPES]
    }

    /// The logit of argument `arg` of action type `kind` for `row`.
    fn arg_logit(&self, row: usize, kind: usize, arg: usize) -> f32 {
        let dir = |k: usize, d: usize| self.directions[(row * DIRECTED + k) * DIRECTIONS + d];
        match kind {
            kind::MOVE | kind::HARVEST | kind::RETURN => dir(kind - 1, arg),
            kind::PRODUCE => {
                let (d, t) = (arg / self.unit_types, arg % self.unit_types);
                dir(kind::PRODUCE - 1, d) + self.units[row * self.unit_types + t]
            }
            _ => self.targets[row * self.rows + arg],
        }
    }
}

/// The largest logit among the allowed entries.
fn allowed_max(logits: &[f32], allowed: &[bool]) -> f32 {
    logits
        .iter()
        .zip(allowed)
        .filter(|(_, &a)| a)
        .map(|(&l, _)| l)
        .fold(f32::NEG_INFINITY, f32::max)
}

/// Log-probability of entry `i` among the allowed entries.
fn log_prob(logits: &[f32], allowed: &[bool], i: usize) -> f32 {
    let max = allowed_max(logits, allowed);
    let sum: f64 = logits
        .iter()
        .zip(allowed)
        .filter(|(_, &a)| a)
        .map(|(&l, _)| f64::from(l - max).exp())
        .sum();
    (f64::from(logits[i] - max) - sum.ln()) as f32
}

/// Samples from the logits of the allowed entries (or takes the most likely, when `greedy`).
fn pick(logits: &[f32], allowed: &[bool], greedy: bool, rng: &mut impl Rng) -> usize {
    let max = allowed_max(logits, allowed);
    let first = allowed.iter().position(|&a| a).unwrap_or(0);
    if greedy {
        return (0..logits.len())
            .filter(|&i| allowed[i])
            .fold(
                first,
                |best, i| if logits[i] > logits[best] { i } else { best },
            );
    }
    let weights: Vec<f64> = logits
        .iter()
        .zip(allowed)
        .map(|(&l, &a)| if a { f64::from(l - max).exp() } else { 0.0 })
        .collect();
    let total: f64 = weights.iter().sum();
    let mut u = rng.random::<f64>() * total;
    for (i, w) in weights.iter().enumerate() {
        if *w > 0.0 {
            if u < *w {
                return i;
            }
            u -= w;
        }
    }
    (0..allowed.len())
        .rev()
        .find(|&i| allowed[i])
        .unwrap_or(first)
}

/// Orders for `player`'s idle units in `state` (the state the observation was taken from),
/// and the choices behind them.
pub fn decide(
    state: &GameState,
    player: usize,
    obs: &Observation,
    logits: &ItemLogits,
    greedy: bool,
    rng: &mut impl Rng,
) -> (Vec<(u64, UnitAction)>, Vec<UnitChoice>) {
    let k = logits.unit_types;
    let width = arg_width(logits.rows, k);
    let row_at = |x: i32, y: i32| -> Option<usize> {
        let cell = view_cell(state, x, y, obs.turned);
        obs.cells.iter().position(|&c| c == cell)
    };
    let dir = |d: Direction| view_direction(d as usize, obs.turned);
    let mut reserved = state.reservations();
    let mut orders = Vec::new();
    let mut choices = Vec::new();
    for (row, &id) in obs.entities.ids.iter().enumerate() {
        let Some(unit) = state.unit(id) else { continue };
        if unit.player != player as i32 || state.is_busy(id) {
            continue;
        }
        // Every allowed (type, argument) and the action it stands for.
        let mut allowed: Vec<(usize, usize, UnitAction)> = Vec::new();
        for action in state.legal_actions(unit) {
            if !reserved.allows(&state.usage(unit, &action)) {
                continue;
            }
            let entry = match action {
                UnitAction::Wait(_) => None,
                UnitAction::Move(d) => Some((kind::MOVE, dir(d))),
                UnitAction::Harvest(d) => Some((kind::HARVEST, dir(d))),
                UnitAction::Return(d) => Some((kind::RETURN, dir(d))),
                UnitAction::Produce(d, t) => (t < k).then_some((kind::PRODUCE, dir(d) * k + t)),
                UnitAction::Attack { x, y } => row_at(x, y).map(|j| (kind::ATTACK, j)),
            };
            if let Some((kd, arg)) = entry {
                allowed.push((kd, arg, action));
            }
        }
        let mut kind_mask = [false; ACTION_TYPES];
        kind_mask[kind::WAIT] = true;
        for (kd, _, _) in &allowed {
            kind_mask[*kd] = true;
        }
        let chosen_kind = pick(logits.type_logits(row), &kind_mask, greedy, rng);
        let mut lp = log_prob(logits.type_logits(row), &kind_mask, chosen_kind);
        let (action, arg, arg_mask) = if chosen_kind == kind::WAIT {
            (UnitAction::Wait(WAIT_CYCLES), 0, Vec::new())
        } else {
            let mut mask = vec![false; width];
            for (kd, a, _) in &allowed {
                if *kd == chosen_kind {
                    mask[*a] = true;
                }
            }
            let arg_logits: Vec<f32> = (0..width)
                .map(|a| {
                    if mask[a] {
                        logits.arg_logit(row, chosen_kind, a)
                    } else {
                        f32::NEG_INFINITY
                    }
                })
                .collect();
            let arg = pick(&arg_logits, &mask, greedy, rng);
            lp += log_prob(&arg_logits, &mask, arg);
            let action = allowed
                .iter()
                .find(|(kd, a, _)| *kd == chosen_kind && *a == arg)
                .map(|(_, _, act)| *act)
                .expect("the pick is among the allowed arguments");
            (action, arg, mask)
        };
        reserved.hold(&state.usage(unit, &action));
        orders.push((id, action));
        choices.push(UnitChoice {
            row,
            kind: chosen_kind,
            arg,
            kind_mask,
            arg_mask,
            log_prob: lp,
        });
    }
    (orders, choices)
}
