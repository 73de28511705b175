//! What the policy sees of a state, as flat arrays ready to batch: the entity list
//! ([`ludus_rts::views::entities`]), where each entity stands, a few spatial planes and a few
//! scalars.
//!
//! Player 1 sees the map turned half a turn, so that both seats see their own base where
//! player 0 does on microRTS's point-symmetric maps: what the policy learns from one seat then
//! holds for the other, instead of having to be learnt twice. Positions, cells, the running
//! actions' directions and (in [`crate::decode`]) the directions of orders are all turned.

use ludus_rts::views::{entities, Entities, ENTITY_FEATURES};
use ludus_rts::{Direction, GameState};

/// Spatial planes per cell, besides the scattered entity embeddings: wall, reserved by a
/// running action (a move's or a produce's target cell).
pub const SPATIAL_PLANES: usize = 2;

/// Scalars: own spendable resources, enemy resources (each / 10), own and enemy unit counts
/// (/ 10), the clock as a share of the cycle limit, and a constant 1.
pub const SCALARS: usize = 6;

/// One player's view of one state.
#[derive(Clone, Debug)]
pub struct Observation {
    /// Padded entity list, `max_entities × views::ENTITY_FEATURES`.
    pub entities: Entities,
    /// Cell `x + y·width` of each real entity row.
    pub cells: Vec<u32>,
    /// `height·width × SPATIAL_PLANES`, channels last.
    pub spatial: Vec<f32>,
    pub scalars: [f32; SCALARS],
    /// Whether the map is seen turned half a turn (player 1's view).
    pub turned: bool,
}

/// Offset of x / width among an entity's features, then y / height.
const X_FEATURE: usize = 8 + 3;
/// Offset of the running action's direction (none, up, right, down, left).
const DIRECTION_FEATURE: usize = 8 + 3 + 2 + 1 + 5 + 5 + 6;

/// The direction a policy index stands for, or the policy index of a direction, in a view
/// that is `turned` (half a turn swaps up with down and left with right).
pub fn view_direction(d: usize, turned: bool) -> usize {
    if turned {
        (d + 2) % Direction::ALL.len()
    } else {
        d
    }
}

/// Cell `x + y·width` as seen in a view that is `turned`.
pub fn view_cell(state: &GameState, x: i32, y: i32, turned: bool) -> u32 {
    let (w, h) = (state.width(), state.height());
    let (x, y) = if turned {
        (w - 1 - x, h - 1 - y)
    } else {
        (x, y)
    };
    (x + y * w) as u32
}

/// `player`'s observation of `state` (pass the player's own view under partial observability).
pub fn observe(
    state: &GameState,
    player: usize,
    max_entities: usize,
    max_cycles: i32,
) -> Observation {
    let turned = player == 1;
    let mut list = entities(state, player, false, max_entities);
    let (w, h) = (state.width() as f32, state.height() as f32);
    let mut cells = Vec::with_capacity(list.ids.len());
    for (row, &id) in list.ids.iter().enumerate() {
        let u = state.unit(id).expect("entities come from the state");
        cells.push(view_cell(state, u.x, u.y, turned));
        if turned {
            let f = &mut list.features[row * ENTITY_FEATURES..(row + 1) * ENTITY_FEATURES];
            f[X_FEATURE] = (w - 1.0 - u.x as f32) / w;
            f[X_FEATURE + 1] = (h - 1.0 - u.y as f32) / h;
            let dirs = &mut f[DIRECTION_FEATURE + 1..DIRECTION_FEATURE + 5];
            dirs.rotate_left(2);
        }
    }
    let cells_n = (state.width() * state.height()) as usize;
    // A half turn maps cell c to cells_n − 1 − c.
    let at = |c: usize| if turned { cells_n - 1 - c } else { c };
    let reserved = state.reservations();
    let mut spatial = vec![0f32; cells_n * SPATIAL_PLANES];
    for (c, &wall) in state.walls().iter().enumerate() {
        spatial[at(c) * SPATIAL_PLANES] = f32::from(u8::from(wall));
    }
    for (c, &held) in reserved.cells.iter().enumerate() {
        spatial[at(c) * SPATIAL_PLANES + 1] = f32::from(u8::from(held));
    }
    let me = player as i32;
    let counts = state.units().iter().fold([0f32; 2], |mut n, u| {
        if u.player == me {
            n[0] += 1.0;
        } else if u.player >= 0 {
            n[1] += 1.0;
        }
        n
    });
    let scalars = [
        reserved.spendable[player] as f32 / 10.0,
        state.resources()[1 - player] as f32 / 10.0,
        counts[0] / 10.0,
        counts[1] / 10.0,
        state.time() as f32 / max_cycles.max(1) as f32,
        1.0,
    ];
    Observation {
        entities: list,
        cells,
        spatial,
        scalars,
        turned,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use ludus_rts::{Map, UnitTypeTable};

    use super::*;

    /// Each entity row with its cell, in cell order (rows within a group follow map order,
    /// which a half turn reverses).
    fn rows_by_cell(o: &Observation) -> Vec<(u32, Vec<f32>)> {
        let mut rows: Vec<_> = o
            .cells
            .iter()
            .enumerate()
            .map(|(i, &c)| {
                let f =
                    o.entities.features[i * ENTITY_FEATURES..(i + 1) * ENTITY_FEATURES].to_vec();
                (c, f)
            })
            .collect();
        rows.sort_by_key(|r| r.0);
        rows
    }

    /// On a point-symmetric map, player 1 sees what player 0 sees: the same entities at the
    /// same cells, the same planes and scalars, including the direction of a running move.
    #[test]
    fn player_1_sees_the_map_as_player_0_does_on_a_symmetric_map() {
        let utt = Arc::new(UnitTypeTable::v2());
        let mut state = Map::from_spec("gen:8x8", &utt)
            .unwrap()
            .start(utt, 0)
            .unwrap();
        // Both workers step towards the enemy: player 0's down, player 1's up.
        let worker = |p: i32| {
            state
                .units()
                .iter()
                .find(|u| u.player == p && u.kind == ludus_rts::ids::WORKER)
                .unwrap()
                .id
        };
        let orders = [
            vec![(worker(0), ludus_rts::UnitAction::Move(Direction::Down))],
            vec![(worker(1), ludus_rts::UnitAction::Move(Direction::Up))],
        ];
        let mut reports = [ludus_rts::IssueReport::default(); 2];
        ludus_rts::apply(&mut state, &orders, &mut reports).unwrap();
        assert_eq!(reports, [ludus_rts::IssueReport::default(); 2]);
        let [a, b] = [0, 1].map(|p| observe(&state, p, 16, 3000));
        assert!(!a.turned && b.turned);
        assert_eq!(rows_by_cell(&a), rows_by_cell(&b));
        assert_eq!(a.spatial, b.spatial);
        assert_eq!(a.scalars, b.scalars);
        // Player 0 sees its own worker moving down and the enemy's moving up; so does
        // player 1, turned.
        let heading = |o: &Observation, own: bool, d: usize| {
            rows_by_cell(o).iter().any(|(_, f)| {
                f[X_FEATURE - 3 + usize::from(!own)] == 1.0 && f[DIRECTION_FEATURE + 1 + d] == 1.0
            })
        };
        for o in [&a, &b] {
            assert!(heading(o, true, Direction::Down as usize));
            assert!(heading(o, false, Direction::Up as usize));
        }
    }

    #[test]
    fn a_half_turn_swaps_opposite_directions() {
        for d in Direction::ALL {
            let turned = Direction::ALL[view_direction(d as usize, true)];
            let (dx, dy) = d.offset();
            assert_eq!(turned.offset(), (-dx, -dy));
            assert_eq!(view_direction(d as usize, false), d as usize);
        }
    }
}
