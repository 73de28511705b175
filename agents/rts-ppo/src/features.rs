//! What the policy sees of a state, as flat arrays ready to batch: the entity list
//! ([`ludus_rts::views::entities`]), where each entity stands, a few spatial planes and a few
//! scalars.

use ludus_rts::views::{entities, Entities};
use ludus_rts::GameState;

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
}

/// `player`'s observation of `state` (pass the player's own view under partial observability).
pub fn observe(
    state: &GameState,
    player: usize,
    max_entities: usize,
    max_cycles: i32,
) -> Observation {
    let list = entities(state, player, false, max_entities);
    let w = state.width();
    let cells = list
        .ids
        .iter()
        .map(|&id| {
            let u = state.unit(id).expect("entities come from the state");
            (u.x + u.y * w) as u32
        })
        .collect();
    let cells_n = (state.width() * state.height()) as usize;
    let reserved = state.reservations();
    let mut spatial = vec![0f32; cells_n * SPATIAL_PLANES];
    for (c, &wall) in state.walls().iter().enumerate() {
        spatial[c * SPATIAL_PLANES] = f32::from(u8::from(wall));
    }
    for (c, &held) in reserved.cells.iter().enumerate() {
        spatial[c * SPATIAL_PLANES + 1] = f32::from(u8::from(held));
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
    }
}
