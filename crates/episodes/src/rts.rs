//! Recording games of the RTS (`ludus-rts`) in the episode format's tick layout: gym-µRTS's
//! observation planes and action encoding per player and tick, plus each tick's orders as
//! issued and the initial state, so that a logged game replays exactly. `ludus rts play` and the
//! RTS trainer both record through here.

use ludus_rts::socket::{orders_to_json, state_to_json};
use ludus_rts::views::{
    gym_actions, gym_observation, GYM_ACTION_HIGH, GYM_ACTION_LEN, GYM_PLANES, GYM_PO_PLANES,
};
use ludus_rts::{GameState, Map, UnitAction};

use crate::{DatasetInfo, Termination, TickEpisode, TickLayout};

/// The dataset description of RTS games on `map` (gym-µRTS's planes, two more under partial
/// observability). `game` is the spec written to the metadata (`microrts:MAP`).
pub fn rts_dataset_info(
    dataset_id: String,
    game: String,
    map: &Map,
    partial: bool,
    description: String,
    extra: serde_json::Map<String, serde_json::Value>,
) -> DatasetInfo {
    let (w, h) = (map.width as usize, map.height as usize);
    let planes = GYM_PLANES + if partial { GYM_PO_PLANES } else { 0 };
    DatasetInfo {
        dataset_id,
        game,
        observation_shape: [h, w, planes],
        num_actions: h * w * GYM_ACTION_LEN,
        num_players: 2,
        description,
        extra,
        ticks: Some(TickLayout {
            observation_shape: vec![h, w, planes],
            action_shape: vec![h * w, GYM_ACTION_LEN],
            action_high: GYM_ACTION_HIGH,
        }),
    }
}

/// One RTS game being recorded, tick by tick.
#[derive(Debug, Clone)]
pub struct TickRecorder {
    map_name: String,
    max_cycles: i32,
    partial: bool,
    initial: String,
    observations: [Vec<i8>; 2],
    actions: [Vec<i32>; 2],
    orders: [Vec<String>; 2],
}

impl TickRecorder {
    /// Starts recording at `state` (normally a game's first cycle) of a game on the map named
    /// `map_name` that stops at `max_cycles`; `partial` gives each player only what it sees.
    pub fn new(state: &GameState, map_name: &str, max_cycles: i32, partial: bool) -> Self {
        TickRecorder {
            map_name: map_name.to_string(),
            max_cycles,
            partial,
            initial: state_to_json(state),
            observations: [Vec::new(), Vec::new()],
            actions: [Vec::new(), Vec::new()],
            orders: [Vec::new(), Vec::new()],
        }
    }

    fn observe(&self, state: &GameState, player: usize) -> impl Iterator<Item = i8> {
        gym_observation(state, player, self.partial)
            .into_iter()
            .map(|v| v as i8)
    }

    /// Records one tick: both players' views of `state` and the orders they issue in it
    /// (before the engine applies them).
    pub fn record(&mut self, state: &GameState, orders: &[Vec<(u64, UnitAction)>; 2]) {
        for (p, o) in orders.iter().enumerate() {
            let view: Vec<i8> = self.observe(state, p).collect();
            self.observations[p].extend(view);
            self.actions[p].extend(gym_actions(state, o));
            self.orders[p].push(orders_to_json(o, state.utt()));
        }
    }

    /// Ticks recorded so far.
    pub fn ticks(&self) -> usize {
        self.orders[0].len()
    }

    /// The finished episode: `state` is the final one (its views close the observation
    /// arrays); `over` says whether the game ended by itself rather than at the cycle limit.
    /// `extra` is merged into the episode's attributes after the recorder's own (`map`, `utt`,
    /// `initial_state`, `max_cycles`, `partial_observability`, `cycles`).
    pub fn finish(
        mut self,
        state: &GameState,
        players: Vec<String>,
        seed: Option<u64>,
        extra: serde_json::Map<String, serde_json::Value>,
    ) -> TickEpisode {
        for p in 0..2 {
            let view: Vec<i8> = self.observe(state, p).collect();
            self.observations[p].extend(view);
        }
        let returns = state.returns().to_vec();
        let mut attributes = serde_json::Map::from_iter([
            ("map".to_string(), serde_json::json!(self.map_name)),
            ("utt".to_string(), serde_json::json!(state.utt().to_json())),
            ("initial_state".to_string(), serde_json::json!(self.initial)),
            ("max_cycles".to_string(), serde_json::json!(self.max_cycles)),
            (
                "partial_observability".to_string(),
                serde_json::json!(self.partial),
            ),
            ("cycles".to_string(), serde_json::json!(state.time())),
        ]);
        attributes.extend(extra);
        TickEpisode {
            observations: self.observations.into(),
            actions: self.actions.into(),
            orders: self.orders.into(),
            returns,
            termination: if state.is_over() {
                Termination::Natural
            } else {
                Termination::MoveLimit
            },
            players,
            seed,
            extra: attributes,
        }
    }
}
