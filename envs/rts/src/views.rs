//! What a learning agent sees and how it answers, in two forms:
//!
//! * **gym-µRTS's encodings** (`../shared/specs/microrts.md` §3), so published results can be
//!   compared: [`gym_observation`] (h×w×29 one-hot planes, +2 under partial observability),
//!   [`gym_action_mask`] (79 bits per cell) and [`orders_from_gym`] (one 7-number action per
//!   cell, applied as microRTS's `PlayerAction.fromVectorAction` does);
//! * an **entity list** for Transformer policies: [`entities`] gives one feature vector per
//!   unit, padded to a fixed count with a mask.

use crate::action::{ActionType, Direction, UnitAction};
use crate::state::{GameState, Unit};

/// Planes of gym-µRTS's observation (hp 5, resources 5, owner 3, type 8, action 6, terrain 2).
pub const GYM_PLANES: usize = 29;
/// Extra planes under partial observability: visible to me, visible to the opponent.
pub const GYM_PO_PLANES: usize = 2;
/// Mask bits per cell: actionable 1, type 6, four directions × 4, produce type 7, attack 49.
pub const GYM_MASK_BITS: usize = 79;
/// Numbers per cell in a gym action: type, move, harvest, return and produce direction,
/// produce type, attack target (relative 7×7 index).
pub const GYM_ACTION_LEN: usize = 7;
/// Half the width of the attack window (range up to 3).
const ATTACK_RADIUS: i32 = 3;
const ATTACK_WINDOW: i32 = 2 * ATTACK_RADIUS + 1;

fn one_hot_bucket(v: i32, n: usize) -> usize {
    v.clamp(0, n as i32 - 1) as usize
}

/// gym-µRTS's observation for `player`, channels last (`[h][w][29]`, or 31 planes when
/// `partial` adds "visible to me" and "visible to the opponent"): hit points 0–≥4, resources
/// 0–≥4, owner (none, self, enemy), type (none then the table's types), current action (none,
/// move, harvest, return, produce, attack), terrain (free, wall). Units the player cannot see
/// are left out under partial observability (pass the full state; the view is computed here).
pub fn gym_observation(state: &GameState, player: usize, partial: bool) -> Vec<f32> {
    let (w, h) = (state.width() as usize, state.height() as usize);
    let planes = GYM_PLANES + if partial { GYM_PO_PLANES } else { 0 };
    let mut out = vec![0.0f32; w * h * planes];
    let seen = view_of(state, player, partial);
    let seen = seen.as_ref();
    for cell in 0..w * h {
        let (x, y) = ((cell % w) as i32, (cell / w) as i32);
        let o = &mut out[cell * planes..(cell + 1) * planes];
        let unit = seen.unit_at(x, y);
        let (hp, res, owner, kind, act) = match unit {
            Some(u) => (
                u.hp,
                u.resources,
                match u.player {
                    -1 => 0,
                    p if p == player as i32 => 1,
                    _ => 2,
                },
                (u.kind + 1).min(7),
                seen.assignment(u.id)
                    .map_or(0, |a| match a.action.action_type() {
                        ActionType::Wait => 0,
                        t => t as usize,
                    }),
            ),
            None => (0, 0, 0, 0, 0),
        };
        o[one_hot_bucket(hp, 5)] = 1.0;
        o[5 + one_hot_bucket(res, 5)] = 1.0;
        o[10 + owner] = 1.0;
        o[13 + kind] = 1.0;
        o[21 + act] = 1.0;
        o[27 + usize::from(state.is_wall(x, y))] = 1.0;
        if partial {
            o[29] = f32::from(u8::from(sees(state, player, x, y)));
            o[30] = f32::from(u8::from(sees(state, 1 - player, x, y)));
        }
    }
    out
}

/// The state as `player` sees it: all of it, or only what its units see.
fn view_of(state: &GameState, player: usize, partial: bool) -> std::borrow::Cow<'_, GameState> {
    if partial {
        std::borrow::Cow::Owned(state.observed_by(player))
    } else {
        std::borrow::Cow::Borrowed(state)
    }
}

/// Whether one of `player`'s units sees (x, y).
fn sees(state: &GameState, player: usize, x: i32, y: i32) -> bool {
    state.units().iter().any(|u| {
        let r = state.utt().get(u.kind).sight_radius;
        u.player == player as i32 && (u.x - x).pow(2) + (u.y - y).pow(2) <= r * r
    })
}

/// gym-µRTS's action mask for `player`: 79 bits per cell (row-major cells), 1 = allowed. Bit 0
/// says the cell holds an idle unit of the player; the others come from the unit's legal actions
/// (reservations aside, as in gym): action types, the directions of move, harvest, return and
/// produce, the types it can produce, and attack targets in the 7×7 window around it.
pub fn gym_action_mask(state: &GameState, player: usize) -> Vec<bool> {
    let (w, h) = (state.width() as usize, state.height() as usize);
    let mut out = vec![false; w * h * GYM_MASK_BITS];
    for unit in state.idle_units(player) {
        let cell = (unit.x + unit.y * state.width()) as usize;
        let m = &mut out[cell * GYM_MASK_BITS..(cell + 1) * GYM_MASK_BITS];
        m[0] = true;
        m[1] = true; // no-op
        for a in state.legal_actions(unit) {
            let t = a.action_type() as usize;
            if t == 0 {
                continue;
            }
            m[1 + t] = true;
            match a {
                UnitAction::Move(d) => m[7 + d as usize] = true,
                UnitAction::Harvest(d) => m[11 + d as usize] = true,
                UnitAction::Return(d) => m[15 + d as usize] = true,
                UnitAction::Produce(d, kind) => {
                    m[19 + d as usize] = true;
                    if kind < 7 {
                        m[23 + kind] = true;
                    }
                }
                UnitAction::Attack { x, y } => {
                    let (dx, dy) = (x - unit.x, y - unit.y);
                    m[30 + ((ATTACK_RADIUS + dy) * ATTACK_WINDOW + ATTACK_RADIUS + dx) as usize] =
                        true;
                }
                UnitAction::Wait(_) => {}
            }
        }
    }
    out
}

/// Orders from gym actions (7 numbers per cell, row-major), as microRTS applies them: cells
/// without an idle unit of the player are ignored; a no-op or an action that is illegal, or
/// that clashes with running actions or with an earlier cell's accepted action, is dropped;
/// idle units left without an order wait one cycle (so the agent decides again next cycle).
pub fn orders_from_gym(
    state: &GameState,
    player: usize,
    actions: &[[i64; GYM_ACTION_LEN]],
) -> Vec<(u64, UnitAction)> {
    let mut reserved = state.reservations();
    let mut orders = Vec::new();
    for unit in state.idle_units(player) {
        let cell = (unit.x + unit.y * state.width()) as usize;
        let chosen = actions
            .get(cell)
            .and_then(|a| decode_gym(unit, a))
            .filter(|a| state.is_legal(unit, a) && reserved.allows(&state.usage(unit, a)));
        match chosen {
            Some(a) => {
                reserved.hold(&state.usage(unit, &a));
                orders.push((unit.id, a));
            }
            None => orders.push((unit.id, UnitAction::Wait(1))),
        }
    }
    orders
}

/// Orders as gym actions (7 numbers per cell, row-major, `h·w × 7`): each ordered unit's cell
/// holds its order; other cells, and waits, are no-ops. The inverse of [`orders_from_gym`] for
/// legal orders.
pub fn gym_actions(state: &GameState, orders: &[(u64, UnitAction)]) -> Vec<i32> {
    let cells = (state.width() * state.height()) as usize;
    let mut out = vec![0i32; cells * GYM_ACTION_LEN];
    for (id, action) in orders {
        let Some(unit) = state.unit(*id) else {
            continue;
        };
        let cell = (unit.x + unit.y * state.width()) as usize;
        let row = &mut out[cell * GYM_ACTION_LEN..(cell + 1) * GYM_ACTION_LEN];
        row[0] = match action {
            UnitAction::Wait(_) => 0,
            a => a.action_type() as i32,
        };
        match *action {
            UnitAction::Move(d) => row[1] = d as i32,
            UnitAction::Harvest(d) => row[2] = d as i32,
            UnitAction::Return(d) => row[3] = d as i32,
            UnitAction::Produce(d, t) => {
                row[4] = d as i32;
                row[5] = t as i32;
            }
            UnitAction::Attack { x, y } => {
                let (dx, dy) = (x - unit.x, y - unit.y);
                if dx.abs() <= ATTACK_RADIUS && dy.abs() <= ATTACK_RADIUS {
                    row[6] = (ATTACK_RADIUS + dy) * ATTACK_WINDOW + ATTACK_RADIUS + dx;
                }
            }
            UnitAction::Wait(_) => {}
        }
    }
    out
}

/// The largest number in a gym action (the attack window's last index).
pub const GYM_ACTION_HIGH: i32 = ATTACK_WINDOW * ATTACK_WINDOW - 1;

fn decode_gym(unit: &Unit, a: &[i64; GYM_ACTION_LEN]) -> Option<UnitAction> {
    let dir = |i: usize| Direction::from_index(a[i]);
    Some(match ActionType::from_index(a[0])? {
        ActionType::Wait => return None,
        ActionType::Move => UnitAction::Move(dir(1)?),
        ActionType::Harvest => UnitAction::Harvest(dir(2)?),
        ActionType::Return => UnitAction::Return(dir(3)?),
        ActionType::Produce => UnitAction::Produce(dir(4)?, usize::try_from(a[5]).ok()?),
        ActionType::Attack => {
            let i = i32::try_from(a[6]).ok().filter(|i| (0..49).contains(i))?;
            UnitAction::Attack {
                x: unit.x + i % ATTACK_WINDOW - ATTACK_RADIUS,
                y: unit.y + i / ATTACK_WINDOW - ATTACK_RADIUS,
            }
        }
    })
}

/// Features per entity in [`entities`]:
/// type one-hot (8: the table's first 8 types), owner (self, enemy, neutral), x / width,
/// y / height, hp / max hp, hp buckets (5: 1, 2, 3, 4–7, ≥8), carried or remaining resources
/// buckets (5: 0, 1, 2–4, 5–19, ≥20), current action type (6), its direction (5: none, up,
/// right, down, left), fraction of the running action still to go, idle.
pub const ENTITY_FEATURES: usize = 8 + 3 + 2 + 1 + 5 + 5 + 6 + 5 + 1 + 1;

/// A padded entity list: `features` is `max_entities × ENTITY_FEATURES` row-major.
#[derive(Clone, Debug, PartialEq)]
pub struct Entities {
    pub features: Vec<f32>,
    /// `true` for real units, `false` for padding rows.
    pub mask: Vec<bool>,
    /// The unit behind each real row (for pointer heads: which unit a row is).
    pub ids: Vec<u64>,
    /// Units left out because `max_entities` was too small (the player's own come first, so
    /// these are the farthest non-own units).
    pub dropped: usize,
}

/// One row per unit that `player` can see (all units, unless `partial`), own units first, then
/// enemies, then resources, each group in map order; padded to `max_entities`.
pub fn entities(state: &GameState, player: usize, partial: bool, max_entities: usize) -> Entities {
    let seen = view_of(state, player, partial);
    let seen = seen.as_ref();
    let me = player as i32;
    let group = |u: &Unit| match u.player {
        p if p == me => 0,
        -1 => 2,
        _ => 1,
    };
    let mut units: Vec<&Unit> = seen.units().iter().collect();
    units.sort_by_key(|u| group(u));
    let dropped = units.len().saturating_sub(max_entities);
    units.truncate(max_entities);
    let mut features = vec![0.0f32; max_entities * ENTITY_FEATURES];
    let mut mask = vec![false; max_entities];
    let mut ids = Vec::with_capacity(units.len());
    for (row, u) in units.iter().enumerate() {
        let f = &mut features[row * ENTITY_FEATURES..(row + 1) * ENTITY_FEATURES];
        let ty = seen.utt().get(u.kind);
        let mut i = 0;
        if u.kind < 8 {
            f[u.kind] = 1.0;
        }
        i += 8;
        f[i + group(u)] = 1.0;
        i += 3;
        f[i] = u.x as f32 / seen.width() as f32;
        f[i + 1] = u.y as f32 / seen.height() as f32;
        i += 2;
        f[i] = u.hp as f32 / ty.hp.max(1) as f32;
        i += 1;
        let hp_bucket = match u.hp {
            ..=1 => 0,
            2 => 1,
            3 => 2,
            4..=7 => 3,
            _ => 4,
        };
        f[i + hp_bucket] = 1.0;
        i += 5;
        let res_bucket = match u.resources {
            ..=0 => 0,
            1 => 1,
            2..=4 => 2,
            5..=19 => 3,
            _ => 4,
        };
        f[i + res_bucket] = 1.0;
        i += 5;
        let running = seen.assignment(u.id);
        let t = running.map_or(0, |a| a.action.action_type() as usize);
        f[i + t] = 1.0;
        i += 6;
        let d = running
            .and_then(|a| a.action.direction())
            .map_or(0, |d| d as usize + 1);
        f[i + d] = 1.0;
        i += 5;
        if let Some(a) = running {
            let total = a.action.duration(ty, seen.utt()).max(1);
            let left = (a.issued + total - seen.time()).clamp(0, total);
            f[i] = left as f32 / total as f32;
        }
        i += 1;
        f[i] = f32::from(u8::from(running.is_none()));
        mask[row] = true;
        ids.push(u.id);
    }
    Entities {
        features,
        mask,
        ids,
        dropped,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::map::Map;
    use crate::utt::{ids, UnitTypeTable};

    fn start() -> GameState {
        let utt = Arc::new(UnitTypeTable::v2());
        Map::from_spec("gen:8x8", &utt)
            .unwrap()
            .start(utt, 0)
            .unwrap()
    }

    #[test]
    fn observation_planes_are_one_hot_per_feature() {
        let s = start();
        let obs = gym_observation(&s, 0, false);
        assert_eq!(obs.len(), 8 * 8 * GYM_PLANES);
        for cell in obs.chunks(GYM_PLANES) {
            for (lo, hi) in [(0, 5), (5, 10), (10, 13), (13, 21), (21, 27), (27, 29)] {
                let ones = cell[lo..hi].iter().filter(|&&v| v == 1.0).count();
                assert_eq!(ones, 1, "planes {lo}..{hi} of {cell:?}");
            }
        }
        // Player 0's base at (2, 1): hp ≥ 4, owner self, type base.
        let base = &obs[(2 + 8) * GYM_PLANES..(3 + 8) * GYM_PLANES];
        assert_eq!(
            (base[4], base[11], base[13 + 1 + ids::BASE]),
            (1.0, 1.0, 1.0)
        );
        // The same cell from player 1's side is an enemy's.
        let theirs = gym_observation(&s, 1, false);
        assert_eq!(theirs[(2 + 8) * GYM_PLANES + 12], 1.0);
        let po = gym_observation(&s, 0, true);
        assert_eq!(po.len(), 8 * 8 * (GYM_PLANES + GYM_PO_PLANES));
        // The enemy base (5, 6) is out of sight at the start: its cell reads empty.
        let far = &po[(5 + 6 * 8) * 31..(6 + 6 * 8) * 31];
        assert_eq!((far[13], far[29]), (1.0, 0.0));
    }

    #[test]
    fn masks_match_legal_actions_and_gym_actions_decode_to_them() {
        let s = start();
        let mask = gym_action_mask(&s, 0);
        let worker = &mask[(1 + 8) * GYM_MASK_BITS..(2 + 8) * GYM_MASK_BITS];
        assert!(worker[0], "the idle worker is actionable");
        assert!(
            worker[2] && !worker[3],
            "it can move, not harvest from (1,1)"
        );
        // Moves up, down and left are free; right is the base.
        assert_eq!(&worker[7..11], &[true, false, true, true]);
        let base = &mask[(2 + 8) * GYM_MASK_BITS..(3 + 8) * GYM_MASK_BITS];
        assert!(base[5] && base[23 + ids::WORKER] && !base[23 + ids::LIGHT]);
        let empty = &mask[0..GYM_MASK_BITS];
        assert!(
            empty.iter().all(|&b| !b),
            "(0,0) is a resource: nothing to order"
        );
        // Every allowed move bit decodes to a legal order.
        let mut actions = vec![[0i64; GYM_ACTION_LEN]; 64];
        actions[1 + 8] = [1, 3, 0, 0, 0, 0, 0];
        actions[2 + 8] = [4, 0, 0, 0, 0, ids::WORKER as i64, 0];
        let orders = orders_from_gym(&s, 0, &actions);
        assert_eq!(
            orders,
            vec![
                (
                    s.unit_at(2, 1).unwrap().id,
                    UnitAction::Produce(Direction::Up, ids::WORKER)
                ),
                (
                    s.unit_at(1, 1).unwrap().id,
                    UnitAction::Move(Direction::Left)
                ),
            ]
        );
        // An illegal action (producing into the worker's cell) is dropped: the base waits.
        actions[2 + 8] = [4, 0, 0, 0, 3, ids::WORKER as i64, 0];
        let orders = orders_from_gym(&s, 0, &actions);
        assert!(orders.contains(&(s.unit_at(2, 1).unwrap().id, UnitAction::Wait(1))));
        // Two of the player's orders for one cell: the later one is dropped.
        let utt = Arc::new(UnitTypeTable::v2());
        let map = Map::from_spec("gen:8x8:workers=2", &utt).unwrap();
        let s = map.start(utt, 0).unwrap();
        let (base, worker) = (s.unit_at(2, 1).unwrap().id, s.unit_at(1, 2).unwrap().id);
        let mut actions = vec![[0i64; GYM_ACTION_LEN]; 64];
        actions[2 + 8] = [4, 0, 0, 0, 2, ids::WORKER as i64, 0]; // base produces into (2, 2)
        actions[1 + 2 * 8] = [1, 1, 0, 0, 0, 0, 0]; // worker (1, 2) steps right into (2, 2)
        let orders = orders_from_gym(&s, 0, &actions);
        assert!(orders.contains(&(base, UnitAction::Produce(Direction::Down, ids::WORKER))));
        assert!(orders.contains(&(worker, UnitAction::Wait(1))));
    }

    #[test]
    fn entity_rows_put_own_units_first_and_pad() {
        let s = start();
        let e = entities(&s, 1, false, 8);
        assert_eq!(e.features.len(), 8 * ENTITY_FEATURES);
        assert_eq!(e.mask.iter().filter(|&&m| m).count(), 6);
        assert_eq!(s.unit(e.ids[0]).unwrap().player, 1);
        assert_eq!(s.unit(e.ids[5]).unwrap().player, -1);
        let small = entities(&s, 0, false, 3);
        assert_eq!(small.dropped, 3);
        assert!(small
            .ids
            .iter()
            .take(2)
            .all(|&id| s.unit(id).unwrap().player == 0));
        // Idle flag set for every unit at the start.
        for row in 0..6 {
            assert_eq!(e.features[row * ENTITY_FEATURES + ENTITY_FEATURES - 1], 1.0);
        }
    }
}
