//! `metadata.json`: what Minari needs to open a dataset (its spaces as Gymnasium JSON, the
//! counts) and what Ludus adds (the game, the run).

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::EpisodeError;

/// The Minari format version we write. Minari refuses datasets whose version it does not
/// list as supported; every 0.5.x reader supports "0.5.0".
pub const MINARI_VERSION: &str = "0.5.0";

/// The schema of our episodes, recorded in the metadata so that readers can tell.
pub const SCHEMA: &str = "ludus-episodes/1";

/// What a dataset holds: one game's episodes, described once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetInfo {
    /// Minari's dataset id, `NAME-vN` (optionally `namespace/NAME-vN`).
    pub dataset_id: String,
    /// The game as a spec that `ludus` accepts (`connect4`, `go:size=9`).
    pub game: String,
    /// The observation planes' shape, `[C, H, W]`.
    pub observation_shape: [usize; 3],
    /// Number of actions (`A`).
    pub num_actions: usize,
    /// Number of players (`P`).
    pub num_players: usize,
    /// A sentence for people.
    pub description: String,
    /// Further keys written to `metadata.json` (the run's name, the producing command).
    #[serde(default)]
    pub extra: serde_json::Map<String, Value>,
    /// For games of simultaneous moves (the RTS): the per-player shapes of a tick's
    /// observation and action. `None` for turn-based games, whose episodes are [`crate::Episode`]s;
    /// `Some` datasets hold [`crate::TickEpisode`]s.
    #[serde(default)]
    pub ticks: Option<TickLayout>,
}

/// The shapes of one player's tick in a dataset of simultaneous-move games.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TickLayout {
    /// One observation, e.g. gym-µRTS's `[H, W, 29]` planes.
    pub observation_shape: Vec<usize>,
    /// One action, e.g. gym-µRTS's `[H·W, 7]`.
    pub action_shape: Vec<usize>,
    /// The largest value an action entry takes (the action Box's high bound).
    pub action_high: i32,
}

impl DatasetInfo {
    /// Checks the id's form (Minari's `(namespace/)name-vN`) and the sizes.
    ///
    /// # Errors
    /// [`EpisodeError::Invalid`] naming the problem.
    pub fn validate(&self) -> Result<(), EpisodeError> {
        let bad = |m: String| Err(EpisodeError::Invalid(m));
        let name = self.dataset_id.rsplit('/').next().unwrap_or("");
        let version_ok = name
            .rsplit_once("-v")
            .is_some_and(|(n, v)| !n.is_empty() && !v.is_empty() && v.parse::<u32>().is_ok());
        let chars_ok = self
            .dataset_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c));
        if !version_ok || !chars_ok || self.dataset_id.split('/').any(str::is_empty) {
            return bad(format!(
                "dataset id `{}` must look like NAME-v0 or namespace/NAME-v0 (letters, digits, \
                 `-`, `_`, `.`), as Minari requires",
                self.dataset_id
            ));
        }
        if self.num_actions == 0 || self.num_players == 0 || self.observation_shape.contains(&0) {
            return bad("a dataset needs at least one action, player and plane cell".into());
        }
        Ok(())
    }

    /// The observation space as Gymnasium's JSON: a Dict of the planes, the legal-action mask
    /// and the player to move (PettingZoo's classic-game convention).
    pub fn observation_space(&self) -> Value {
        if let Some(t) = &self.ticks {
            let one = boxed("int8", &t.observation_shape, 0, 1);
            return per_player(self.num_players, one);
        }
        let [c, h, w] = self.observation_shape;
        // Observations are floats of no fixed range; Minari rejects `null` bounds and
        // serde_json cannot write infinities, so the float32 extremes stand in.
        let plane = |v: f32| vec![vec![vec![v; w]; h]; c];
        json!({
            "type": "Dict",
            "subspaces": {
                "action_mask": {
                    "type": "Box", "dtype": "int8", "shape": [self.num_actions],
                    "low": vec![0; self.num_actions], "high": vec![1; self.num_actions],
                },
                "observation": {
                    "type": "Box", "dtype": "float32", "shape": [c, h, w],
                    "low": plane(f32::MIN), "high": plane(f32::MAX),
                },
                "to_play": {"type": "Discrete", "dtype": "int64", "start": 0, "n": self.num_players},
            }
        })
    }

    /// The action space as Gymnasium's JSON.
    pub fn action_space(&self) -> Value {
        if let Some(t) = &self.ticks {
            let one = boxed("int32", &t.action_shape, 0, i64::from(t.action_high));
            return per_player(self.num_players, one);
        }
        json!({"type": "Discrete", "dtype": "int64", "start": 0, "n": self.num_actions})
    }

    /// The full `metadata.json` for a dataset holding `episodes` episodes of `steps` plies.
    pub fn metadata_json(&self, episodes: u64, steps: u64) -> Value {
        let mut m = serde_json::Map::new();
        for (k, v) in &self.extra {
            m.insert(k.clone(), v.clone());
        }
        let mut set = |k: &str, v: Value| {
            m.insert(k.to_string(), v);
        };
        set("dataset_id", json!(self.dataset_id));
        set("minari_version", json!(MINARI_VERSION));
        set("data_format", json!("hdf5"));
        set("jpeg_encoding", json!(false));
        set("total_episodes", json!(episodes));
        set("total_steps", json!(steps));
        set(
            "observation_space",
            json!(self.observation_space().to_string()),
        );
        set("action_space", json!(self.action_space().to_string()));
        set("algorithm_name", json!("ludus"));
        set("description", json!(self.description));
        set("schema", json!(SCHEMA));
        match &self.ticks {
            None => set("reward_perspective", json!("mover")),
            Some(t) => {
                set("reward_perspective", json!("seat"));
                set("reward_seat", json!(0));
                set("step", json!("tick"));
                set("tick_observation_shape", json!(t.observation_shape));
                set("tick_action_shape", json!(t.action_shape));
                set("tick_action_high", json!(t.action_high));
            }
        }
        set("game", json!(self.game));
        set("observation_shape", json!(self.observation_shape));
        set("num_actions", json!(self.num_actions));
        set("num_players", json!(self.num_players));
        set(
            "generator",
            json!(concat!("ludus ", env!("CARGO_PKG_VERSION"))),
        );
        Value::Object(m)
    }

    /// Reads back what [`DatasetInfo::metadata_json`] wrote, with the counts.
    ///
    /// # Errors
    /// [`EpisodeError::Invalid`] when a key is missing or of the wrong type.
    pub fn from_metadata_json(value: &Value) -> Result<(Self, u64, u64), EpisodeError> {
        let missing = |k: &str| {
            EpisodeError::Invalid(format!(
                "metadata.json has no usable `{k}`; was it written by Ludus?"
            ))
        };
        let text = |k: &str| {
            value
                .get(k)
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| missing(k))
        };
        let number = |k: &str| {
            value
                .get(k)
                .and_then(Value::as_u64)
                .ok_or_else(|| missing(k))
        };
        let shape: Vec<usize> = value
            .get("observation_shape")
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .ok_or_else(|| missing("observation_shape"))?;
        let observation_shape: [usize; 3] =
            shape.try_into().map_err(|_| missing("observation_shape"))?;
        let known = [
            "dataset_id",
            "minari_version",
            "data_format",
            "jpeg_encoding",
            "total_episodes",
            "total_steps",
            "observation_space",
            "action_space",
            "algorithm_name",
            "description",
            "schema",
            "reward_perspective",
            "game",
            "observation_shape",
            "num_actions",
            "num_players",
            "generator",
            "reward_seat",
            "step",
            "tick_observation_shape",
            "tick_action_shape",
            "tick_action_high",
        ];
        let ticks = match value.get("step").and_then(Value::as_str) {
            Some("tick") => {
                let shape = |k: &str| -> Result<Vec<usize>, EpisodeError> {
                    value
                        .get(k)
                        .and_then(|v| serde_json::from_value(v.clone()).ok())
                        .ok_or_else(|| missing(k))
                };
                Some(TickLayout {
                    observation_shape: shape("tick_observation_shape")?,
                    action_shape: shape("tick_action_shape")?,
                    action_high: value
                        .get("tick_action_high")
                        .and_then(Value::as_i64)
                        .ok_or_else(|| missing("tick_action_high"))?
                        as i32,
                })
            }
            _ => None,
        };
        let extra = value
            .as_object()
            .map(|o| {
                o.iter()
                    .filter(|(k, _)| !known.contains(&k.as_str()))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            })
            .unwrap_or_default();
        let info = DatasetInfo {
            dataset_id: text("dataset_id")?,
            game: text("game")?,
            observation_shape,
            num_actions: number("num_actions")? as usize,
            num_players: number("num_players")? as usize,
            description: text("description").unwrap_or_default(),
            extra,
            ticks,
        };
        Ok((info, number("total_episodes")?, number("total_steps")?))
    }
}

/// A Gymnasium Box of `dtype` with the same bounds in every cell (written out in full, as
/// Gymnasium's JSON wants).
fn boxed(dtype: &str, shape: &[usize], low: i64, high: i64) -> Value {
    fn filled(shape: &[usize], v: i64) -> Value {
        match shape.split_first() {
            None => json!(v),
            Some((&n, rest)) => Value::Array((0..n).map(|_| filled(rest, v)).collect()),
        }
    }
    json!({"type": "Box", "dtype": dtype, "shape": shape, "low": filled(shape, low), "high": filled(shape, high)})
}

/// A Dict space with one subspace per player, `p0`, `p1`, ….
fn per_player(players: usize, one: Value) -> Value {
    let subspaces: serde_json::Map<String, Value> = (0..players)
        .map(|p| (format!("p{p}"), one.clone()))
        .collect();
    json!({"type": "Dict", "subspaces": subspaces})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info() -> DatasetInfo {
        DatasetInfo {
            dataset_id: "selfplay-v0".into(),
            game: "tictactoe".into(),
            observation_shape: [2, 3, 3],
            num_actions: 9,
            num_players: 2,
            description: "test".into(),
            extra: serde_json::Map::from_iter([("run".to_string(), json!("r1"))]),
            ticks: None,
        }
    }

    #[test]
    fn ids_must_have_minaris_form() {
        info().validate().unwrap();
        for bad in [
            "selfplay",
            "selfplay-v",
            "-v0",
            "a b-v0",
            "ns//x-v0",
            "x-vone",
        ] {
            let mut i = info();
            i.dataset_id = bad.into();
            assert!(i.validate().is_err(), "{bad}");
        }
        let mut i = info();
        i.dataset_id = "ludus/tictactoe/run.1-v2".into();
        i.validate().unwrap();
    }

    #[test]
    fn metadata_round_trips_with_counts_and_extras() {
        let m = info().metadata_json(3, 21);
        let (back, episodes, steps) = DatasetInfo::from_metadata_json(&m).unwrap();
        assert_eq!((back, episodes, steps), (info(), 3, 21));
        // Spaces are JSON text inside the JSON, with full nested bounds.
        let space: Value = serde_json::from_str(m["observation_space"].as_str().unwrap()).unwrap();
        let low = &space["subspaces"]["observation"]["low"];
        assert_eq!(low.as_array().unwrap().len(), 2);
        assert_eq!(low[0].as_array().unwrap().len(), 3);
        assert_eq!(low[0][0].as_array().unwrap().len(), 3);
    }
}
