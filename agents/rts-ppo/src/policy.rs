//! The policy-value network (`../shared/specs/microrts.md` §4.3, a mini AlphaStar):
//!
//! ```text
//! entities [N, F] ─ linear ─ Transformer (padding-masked) ─ e_i ──────────┬─ masked mean ─┐
//!                                   │ scatter to each unit's cell           │               │
//! walls, reserved cells ────────────┴─ residual 3×3 convolutions ─ s(x, y) ─┼─ mean ────────┤
//! scalars ──────────────────────────────────────────────────────────────────┼───────────────┤
//!                                                                          │   linear, ReLU, LSTM
//!                                                                          │        │ h
//! per entity: q_i = MLP(h, e_i, s(cell_i)) ─ action type (6)               │        └─ value
//!                   ├─ direction (4) per move / harvest / return / produce, from q_i and
//!                   │  s(neighbour cell) in each direction
//!                   ├─ unit type to produce (K)
//!                   └─ attack target: pointer q_i · k_j over the entities
//! ```
//!
//! The network gives logits for every entity row; [`crate::decode`] picks one order per idle
//! own unit, masking what is illegal or already reserved. With `encoder = "none"` entities
//! meet only through the convolutions (the ablation's plain conv encoder); with `core = "mlp"`
//! the LSTM is replaced by a feed-forward layer (no memory).

use candle_core::{DType, Device, Tensor, D};
use ludus_nn::candle_nn::VarMap;
use ludus_nn::{
    linear, ConvTower, Linear, LstmCore, LstmState, TransformerConfig, TransformerEncoder,
};
use ludus_rts::Direction;
use serde::{Deserialize, Serialize};

use crate::features::{Observation, SCALARS, SPATIAL_PLANES};
use crate::PpoError;
use ludus_rts::views::ENTITY_FEATURES;

/// Action types, in gym-µRTS's order: wait, move, harvest, return, produce, attack.
pub const ACTION_TYPES: usize = 6;
/// Directions, in [`Direction::ALL`]'s order (up, right, down, left).
pub const DIRECTIONS: usize = 4;
/// Action types that take a direction: move, harvest, return, produce.
pub const DIRECTED: usize = 4;

/// How entities are mixed before the heads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntityEncoder {
    /// A Transformer encoder over the entity tokens.
    Transformer,
    /// No token mixing: entities meet only in the spatial convolutions.
    None,
}

/// The recurrent core.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Core {
    /// One LSTM layer, stepped once per decision.
    Lstm,
    /// A feed-forward layer: no memory between decisions.
    Mlp,
}

/// The network's hyper-parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PolicyConfig {
    /// Width of entity embeddings, the Transformer and the heads' queries (default 64).
    pub d_model: usize,
    /// Transformer blocks (default 2).
    pub layers: usize,
    /// Attention heads (default 4).
    pub heads: usize,
    /// Feed-forward width in each block (default 128).
    pub ff: usize,
    /// `transformer` (default) or `none`.
    pub encoder: EntityEncoder,
    /// Channels of the spatial path (default 32).
    pub spatial_channels: usize,
    /// Residual blocks of the spatial path (default 2).
    pub spatial_blocks: usize,
    /// `lstm` (default) or `mlp`.
    pub core: Core,
    /// Width of the core (default 128).
    pub core_hidden: usize,
    /// Entity rows (default 48); units beyond it are left out, own units first kept.
    pub max_entities: usize,
}

impl Default for PolicyConfig {
    fn default() -> Self {
        PolicyConfig {
            d_model: 64,
            layers: 2,
            heads: 4,
            ff: 128,
            encoder: EntityEncoder::Transformer,
            spatial_channels: 32,
            spatial_blocks: 2,
            core: Core::Lstm,
            core_hidden: 128,
            max_entities: 48,
        }
    }
}

impl PolicyConfig {
    /// Checks the sizes, naming the first bad one.
    ///
    /// # Errors
    /// [`PpoError::Config`].
    pub fn validate(&self) -> Result<(), PpoError> {
        let bad = |m: String| Err(PpoError::Config(format!("policy: {m}")));
        for (name, v) in [
            ("d_model", self.d_model),
            ("heads", self.heads),
            ("ff", self.ff),
            ("spatial_channels", self.spatial_channels),
            ("core_hidden", self.core_hidden),
            ("max_entities", self.max_entities),
        ] {
            if v == 0 || v > 4096 {
                return bad(format!("{name} must be between 1 and 4096, not {v}"));
            }
        }
        if !self.d_model.is_multiple_of(self.heads) {
            return bad(format!(
                "heads ({}) must divide d_model ({})",
                self.heads, self.d_model
            ));
        }
        if self.layers > 16 || self.spatial_blocks > 16 {
            return bad("layers and spatial_blocks must be at most 16".into());
        }
        Ok(())
    }
}

/// The map size and unit table the network is built for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyShape {
    pub height: usize,
    pub width: usize,
    /// Unit types in the table (the produce head's width).
    pub unit_types: usize,
}

/// Observations stacked for one forward pass: `B·T` items, sequence-major (item `b·T + t`).
///
/// Entity rows are padded only to the largest entity count in the batch, not to
/// `max_entities`: the padding is masked everywhere, so the result is the same, and an 8×8
/// game rarely has a third of the 48 rows filled — the Transformer, the heads and the
/// attack pointer's N×N logits shrink with it.
#[derive(Clone, Debug)]
pub struct Batch {
    pub items: usize,
    /// Entity rows per item (N): the largest entity count among the items, at least 1.
    pub rows: usize,
    /// [BT, N, F].
    entities: Tensor,
    /// [BT, N] u8, 1 = real entity.
    padding: Tensor,
    /// [BT·N] u32: each entity's spatial row (item·H·W + cell), or BT·H·W for padding.
    cell_rows: Tensor,
    /// [BT·N·4] u32: the spatial row of each entity's neighbour per direction, or BT·H·W.
    neighbour_rows: Tensor,
    /// [BT·H·W, SPATIAL_PLANES].
    spatial: Tensor,
    /// [BT, SCALARS].
    scalars: Tensor,
}

impl Batch {
    /// Stacks observations (all of the network's shape) on `device`.
    ///
    /// # Errors
    /// An observation of another size, or a device failure.
    pub fn new(
        observations: &[&Observation],
        shape: &PolicyShape,
        max_entities: usize,
        device: &Device,
    ) -> Result<Batch, PpoError> {
        let (h, w) = (shape.height as i32, shape.width as i32);
        let hw = (h * w) as usize;
        let items = observations.len();
        let n = observations
            .iter()
            .map(|o| o.cells.len())
            .max()
            .unwrap_or(0)
            .max(1);
        let f = ENTITY_FEATURES;
        let dump = (items * hw) as u32;
        let mut entities = Vec::with_capacity(items * n * f);
        let mut padding = Vec::with_capacity(items * n);
        let mut cell_rows = vec![dump; items * n];
        let mut neighbour_rows = vec![dump; items * n * DIRECTIONS];
        let mut spatial = Vec::with_capacity(items * hw * SPATIAL_PLANES);
        let mut scalars = Vec::with_capacity(items * SCALARS);
        for (b, o) in observations.iter().enumerate() {
            if o.entities.mask.len() != max_entities || o.spatial.len() != hw * SPATIAL_PLANES {
                return Err(PpoError::Input(format!(
                    "observation of {} entity rows and {} cells, the network takes {max_entities} and {hw}",
                    o.entities.mask.len(),
                    o.spatial.len() / SPATIAL_PLANES
                )));
            }
            // Real entities fill the first rows (`cells` has one per real row).
            entities.extend_from_slice(&o.entities.features[..n * f]);
            padding.extend(o.entities.mask[..n].iter().map(|&m| u8::from(m)));
            let base = (b * hw) as u32;
            for (i, &cell) in o.cells.iter().enumerate() {
                cell_rows[b * n + i] = base + cell;
                let (x, y) = (cell as i32 % w, cell as i32 / w);
                for (k, d) in Direction::ALL.iter().enumerate() {
                    let (dx, dy) = d.offset();
                    let (nx, ny) = (x + dx, y + dy);
                    if (0..w).contains(&nx) && (0..h).contains(&ny) {
                        neighbour_rows[(b * n + i) * DIRECTIONS + k] = base + (nx + ny * w) as u32;
                    }
                }
            }
            spatial.extend_from_slice(&o.spatial);
            scalars.extend_from_slice(&o.scalars);
        }
        Ok(Batch {
            items,
            rows: n,
            entities: Tensor::from_vec(entities, (items, n, f), device)?,
            padding: Tensor::from_vec(padding, (items, n), device)?,
            cell_rows: Tensor::from_vec(cell_rows, items * n, device)?,
            neighbour_rows: Tensor::from_vec(neighbour_rows, items * n * DIRECTIONS, device)?,
            spatial: Tensor::from_vec(spatial, (items * hw, SPATIAL_PLANES), device)?,
            scalars: Tensor::from_vec(scalars, (items, SCALARS), device)?,
        })
    }
}

/// Logits for every entity row of every item, the value, and the core's next state.
#[derive(Clone, Debug)]
pub struct PolicyOutput {
    /// [BT, N, 6].
    pub type_logits: Tensor,
    /// [BT, N, 4 (move, harvest, return, produce), 4 directions].
    pub direction_logits: Tensor,
    /// [BT, N, K]: the unit type to produce.
    pub unit_logits: Tensor,
    /// [BT, N, N]: row i attacks the unit of row j.
    pub target_logits: Tensor,
    /// [BT].
    pub value: Tensor,
    /// The core's state after the last step of each sequence (zeros for `core = "mlp"`).
    pub state: LstmState,
}

/// The network, its variables and its shape.
#[derive(Clone)]
pub struct Policy {
    config: PolicyConfig,
    shape: PolicyShape,
    device: Device,
    vars: VarMap,
    embed: Linear,
    transformer: Option<TransformerEncoder>,
    scatter: Linear,
    tower: ConvTower,
    core_in: Linear,
    lstm: Option<LstmCore>,
    core_mlp: Option<Linear>,
    query: Linear,
    type_head: Linear,
    direction_head: Linear,
    unit_head: Linear,
    key: Linear,
    value_hidden: Linear,
    value_out: Linear,
}

impl std::fmt::Debug for Policy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Policy")
            .field("config", &self.config)
            .field("shape", &self.shape)
            .finish_non_exhaustive()
    }
}

impl Policy {
    /// A freshly initialised network; `seed` fixes every initial weight.
    ///
    /// # Errors
    /// A bad config or a device failure.
    pub fn new(
        config: &PolicyConfig,
        shape: PolicyShape,
        device: &Device,
        seed: u64,
    ) -> Result<Self, PpoError> {
        config.validate()?;
        let vars = VarMap::new();
        let vb = ludus_nn::seeded_var_builder(&vars, seed, device);
        let d = config.d_model;
        let c = config.spatial_channels;
        let hid = config.core_hidden;
        let transformer = match config.encoder {
            EntityEncoder::Transformer => Some(TransformerEncoder::new(
                &TransformerConfig {
                    d_model: d,
                    heads: config.heads,
                    layers: config.layers,
                    ff: config.ff,
                },
                vb.pp("transformer"),
            )?),
            EntityEncoder::None => None,
        };
        let (lstm, core_mlp) = match config.core {
            Core::Lstm => (Some(LstmCore::new(hid, hid, 1, vb.pp("lstm"))?), None),
            Core::Mlp => (None, Some(linear(hid, hid, vb.pp("core_mlp"))?)),
        };
        Ok(Policy {
            config: config.clone(),
            shape,
            device: device.clone(),
            embed: linear(ENTITY_FEATURES, d, vb.pp("embed"))?,
            transformer,
            scatter: linear(d, c, vb.pp("scatter"))?,
            tower: ConvTower::new(
                c + SPATIAL_PLANES,
                c,
                config.spatial_blocks,
                shape.height,
                shape.width,
                vb.pp("tower"),
            )?,
            core_in: linear(d + c + SCALARS, hid, vb.pp("core_in"))?,
            lstm,
            core_mlp,
            query: linear(hid + d + c, d, vb.pp("query"))?,
            type_head: linear(d, ACTION_TYPES, vb.pp("type_head"))?,
            direction_head: linear(d + c, DIRECTED, vb.pp("direction_head"))?,
            unit_head: linear(d, shape.unit_types, vb.pp("unit_head"))?,
            key: linear(d + c, d, vb.pp("key"))?,
            value_hidden: linear(hid, hid, vb.pp("value_hidden"))?,
            value_out: linear(hid, 1, vb.pp("value_out"))?,
            vars,
        })
    }

    pub fn config(&self) -> &PolicyConfig {
        &self.config
    }

    pub fn shape(&self) -> &PolicyShape {
        &self.shape
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    /// The trainable variables, by name (sorted), for the optimiser and checkpoints.
    pub fn vars(&self) -> Vec<(String, candle_core::Var)> {
        let data = self.vars.data().lock().unwrap_or_else(|p| p.into_inner());
        let mut v: Vec<_> = data.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    }

    /// An independent copy with the same weights: later training of `self` (which updates
    /// its variables in place) does not reach it. Frozen opponents are snapshots.
    ///
    /// # Errors
    /// A device failure.
    pub fn snapshot(&self) -> Result<Policy, PpoError> {
        let copy = Policy::new(&self.config, self.shape, &self.device, 0)?;
        for ((name, theirs), (other, mine)) in copy.vars().iter().zip(self.vars()) {
            debug_assert_eq!(name, &other);
            theirs.set(&mine.as_tensor().copy()?)?;
        }
        Ok(copy)
    }

    /// Writes the weights to a safetensors file (written beside it, then renamed).
    ///
    /// # Errors
    /// An I/O failure.
    pub fn save(&self, path: &std::path::Path) -> Result<(), PpoError> {
        let tmp = path.with_extension("tmp");
        self.vars.save(&tmp)?;
        std::fs::rename(&tmp, path)
            .map_err(|e| PpoError::Input(format!("cannot write {}: {e}", path.display())))
    }

    /// A network of this config and shape with the weights of a file [`Policy::save`] wrote.
    ///
    /// # Errors
    /// A missing or unreadable file, or weights of another config or shape.
    pub fn load(
        config: &PolicyConfig,
        shape: PolicyShape,
        path: &std::path::Path,
        device: &Device,
    ) -> Result<Policy, PpoError> {
        let mut policy = Policy::new(config, shape, device, 0)?;
        policy.vars.load(path).map_err(|e| {
            PpoError::Input(format!(
                "{}: not weights of this policy ({e}); was it trained with another config or map size?",
                path.display()
            ))
        })?;
        Ok(policy)
    }

    /// The core's zero state for `batch` sequences.
    ///
    /// # Errors
    /// A device failure.
    pub fn initial_state(&self, batch: usize) -> Result<LstmState, PpoError> {
        let z = Tensor::zeros(
            (1, batch, self.config.core_hidden),
            DType::F32,
            &self.device,
        )?;
        Ok(LstmState { h: z.clone(), c: z })
    }

    /// Runs `batch` as `sequences` sequences of equal length (`batch.items / sequences` steps
    /// each, sequence-major) from `state`; `starts` [sequences, steps] (u8) marks the first step
    /// of an episode, where the core's state is reset.
    ///
    /// # Errors
    /// Mismatched shapes or a device failure.
    pub fn forward(
        &self,
        batch: &Batch,
        sequences: usize,
        starts: &Tensor,
        state: &LstmState,
    ) -> Result<PolicyOutput, PpoError> {
        let bt = batch.items;
        if sequences == 0 || !bt.is_multiple_of(sequences) {
            return Err(PpoError::Input(format!(
                "{bt} items do not split into {sequences} sequences"
            )));
        }
        let steps = bt / sequences;
        let n = batch.rows;
        let d = self.config.d_model;
        let c = self.config.spatial_channels;
        let hw = self.shape.height * self.shape.width;

        // Entities.
        let mut e = self.embed.forward(&batch.entities)?.relu()?;
        if let Some(t) = &self.transformer {
            e = t.forward(&e, Some(&batch.padding))?;
        }
        // Spatial: entity embeddings scattered to their cells, beside walls and reservations.
        let projected = self.scatter.forward(&e)?.reshape((bt * n, c))?;
        let grid = Tensor::zeros((bt * hw + 1, c), DType::F32, &self.device)?
            .index_add(&batch.cell_rows, &projected, 0)?
            .narrow(0, 0, bt * hw)?;
        let s = self
            .tower
            .forward(&Tensor::cat(&[&grid, &batch.spatial], 1)?, bt)?;
        let s_padded = Tensor::cat(&[&s, &Tensor::zeros((1, c), DType::F32, &self.device)?], 0)?;
        let s_at = s_padded
            .index_select(&batch.cell_rows, 0)?
            .reshape((bt, n, c))?;
        let s_near = s_padded
            .index_select(&batch.neighbour_rows, 0)?
            .reshape((bt, n, DIRECTIONS, c))?;

        // Summaries → core.
        let real = batch.padding.to_dtype(DType::F32)?;
        let count = real.sum_keepdim(1)?.clamp(1f32, f32::MAX)?; // [BT, 1]
        let pooled_e = real
            .unsqueeze(1)?
            .matmul(&e)?
            .squeeze(1)?
            .broadcast_div(&count)?;
        let pooled_s = s.reshape((bt, hw, c))?.mean(1)?;
        let core_in = self
            .core_in
            .forward(&Tensor::cat(&[&pooled_e, &pooled_s, &batch.scalars], 1)?)?
            .relu()?;
        let hid = self.config.core_hidden;
        let (h, state) = match (&self.lstm, &self.core_mlp) {
            (Some(lstm), _) => {
                let (out, st) = lstm.forward(
                    &core_in.reshape((sequences, steps, hid))?,
                    Some(starts),
                    state,
                )?;
                (out.reshape((bt, hid))?, st)
            }
            (None, Some(mlp)) => (mlp.forward(&core_in)?.relu()?, state.clone()),
            (None, None) => unreachable!("a policy has one core"),
        };

        // Heads.
        let h_rows = h.unsqueeze(1)?.broadcast_as((bt, n, hid))?;
        let q = self
            .query
            .forward(&Tensor::cat(&[&h_rows, &e, &s_at], 2)?)?
            .relu()?;
        let type_logits = self.type_head.forward(&q)?;
        let q4 = q.unsqueeze(2)?.broadcast_as((bt, n, DIRECTIONS, d))?;
        let direction_logits = self
            .direction_head
            .forward(&Tensor::cat(&[&q4, &s_near], 3)?)? // [BT, N, dir, kind]
            .transpose(2, 3)?
            .contiguous()?;
        let unit_logits = self.unit_head.forward(&q)?;
        let keys = self.key.forward(&Tensor::cat(&[&e, &s_at], 2)?)?;
        let target_logits = (q.matmul(&keys.transpose(1, 2)?.contiguous()?)? / (d as f64).sqrt())?;
        let value = self
            .value_out
            .forward(&self.value_hidden.forward(&h)?.relu()?)?
            .squeeze(D::Minus1)?;
        Ok(PolicyOutput {
            type_logits,
            direction_logits,
            unit_logits,
            target_logits,
            value,
            state,
        })
    }
}
