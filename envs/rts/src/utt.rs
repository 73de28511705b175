//! Unit-type tables: what each kind of unit costs, how tough it is and how long its actions take.
//!
//! microRTS ships three tables; the two deterministic ones are built in here ([`UnitTypeTable::v1`],
//! the gym-µRTS default, and [`UnitTypeTable::v2`], the competition's), and any table can be read
//! from the JSON that microRTS sends over its socket ([`UnitTypeTable::from_json`]). Types keep
//! microRTS's ids and names (Resource = 0 … Ranged = 6 in the built-in tables) because the gym
//! encodings and the socket protocol use them.

use serde::{Deserialize, Serialize};

use crate::error::RtsError;

/// Index of a unit type in its table (microRTS's `ID`).
pub type TypeId = usize;

/// What happens when two actions issued in the same cycle claim the same cell or, together, more
/// resources than the player has (microRTS's `moveConflictResolutionStrategy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConflictPolicy {
    /// Both actions become waits (microRTS 1, the default).
    CancelBoth,
    /// One of the two, drawn at random, becomes a wait (microRTS 2).
    CancelRandom,
    /// The new and the older action are cancelled in turn (microRTS 3).
    CancelAlternating,
}

impl ConflictPolicy {
    fn from_code(code: i64) -> Result<Self, RtsError> {
        match code {
            1 => Ok(ConflictPolicy::CancelBoth),
            2 => Ok(ConflictPolicy::CancelRandom),
            3 => Ok(ConflictPolicy::CancelAlternating),
            other => Err(RtsError::UnitTable(format!(
                "moveConflictResolutionStrategy must be 1 (cancel both), 2 (cancel random) or 3 \
                 (alternate), not {other}"
            ))),
        }
    }

    /// microRTS's number for the policy.
    pub fn code(self) -> i64 {
        match self {
            ConflictPolicy::CancelBoth => 1,
            ConflictPolicy::CancelRandom => 2,
            ConflictPolicy::CancelAlternating => 3,
        }
    }
}

/// One unit type. Times are in game cycles.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitType {
    pub id: TypeId,
    pub name: String,
    pub cost: i32,
    pub hp: i32,
    pub min_damage: i32,
    pub max_damage: i32,
    /// 1 reaches the four orthogonal neighbours; above 1, every cell within this Euclidean
    /// distance.
    pub attack_range: i32,
    pub produce_time: i32,
    pub move_time: i32,
    pub attack_time: i32,
    pub harvest_time: i32,
    /// Kept for completeness: like microRTS, a return takes `move_time`, and nothing reads this.
    pub return_time: i32,
    pub harvest_amount: i32,
    pub sight_radius: i32,
    pub is_resource: bool,
    pub is_stockpile: bool,
    pub can_harvest: bool,
    pub can_move: bool,
    pub can_attack: bool,
    /// Types this one can produce.
    pub produces: Vec<TypeId>,
}

impl UnitType {
    /// microRTS's defaults for fields a table leaves out: cost 1, hp 1, damage 1, range 1, every
    /// time 10, harvest amount 1, sight 4, no abilities.
    fn with_defaults(id: TypeId, name: &str) -> Self {
        UnitType {
            id,
            name: name.to_string(),
            cost: 1,
            hp: 1,
            min_damage: 1,
            max_damage: 1,
            attack_range: 1,
            produce_time: 10,
            move_time: 10,
            attack_time: 10,
            harvest_time: 10,
            return_time: 10,
            harvest_amount: 1,
            sight_radius: 4,
            is_resource: false,
            is_stockpile: false,
            can_harvest: false,
            can_move: false,
            can_attack: false,
            produces: Vec::new(),
        }
    }

    /// Whether a unit of this type at offset (dx, dy) from a target can attack it.
    pub fn reaches(&self, dx: i32, dy: i32) -> bool {
        if self.attack_range == 1 {
            dx.abs() + dy.abs() == 1
        } else {
            dx * dx + dy * dy <= self.attack_range * self.attack_range
        }
    }
}

/// Which built-in table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UttVersion {
    /// microRTS's "original" table (the Java default constructor; gym-µRTS).
    V1,
    /// The "finetuned" table of `config.properties` and the competition.
    V2,
}

/// The types of one game, indexed by [`TypeId`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnitTypeTable {
    types: Vec<UnitType>,
    conflict_policy: ConflictPolicy,
}

/// Ids of the built-in tables' types.
pub mod ids {
    use super::TypeId;
    pub const RESOURCE: TypeId = 0;
    pub const BASE: TypeId = 1;
    pub const BARRACKS: TypeId = 2;
    pub const WORKER: TypeId = 3;
    pub const LIGHT: TypeId = 4;
    pub const HEAVY: TypeId = 5;
    pub const RANGED: TypeId = 6;
}

impl UnitTypeTable {
    /// A built-in table.
    pub fn builtin(version: UttVersion) -> Self {
        let v2 = version == UttVersion::V2;
        let mut resource = UnitType::with_defaults(ids::RESOURCE, "Resource");
        resource.is_resource = true;
        resource.sight_radius = 0;

        let mut base = UnitType::with_defaults(ids::BASE, "Base");
        base.cost = 10;
        base.hp = 10;
        base.produce_time = if v2 { 200 } else { 250 };
        base.sight_radius = 5;
        base.is_stockpile = true;
        base.produces = vec![ids::WORKER];

        let mut barracks = UnitType::with_defaults(ids::BARRACKS, "Barracks");
        barracks.cost = 5;
        barracks.hp = 4;
        barracks.produce_time = if v2 { 100 } else { 200 };
        barracks.sight_radius = 3;
        barracks.produces = vec![ids::LIGHT, ids::HEAVY, ids::RANGED];

        let mut worker = UnitType::with_defaults(ids::WORKER, "Worker");
        worker.cost = 1;
        worker.hp = 1;
        worker.move_time = 10;
        worker.attack_time = 5;
        worker.produce_time = 50;
        worker.harvest_time = 20;
        worker.return_time = 10;
        worker.sight_radius = 3;
        worker.can_move = true;
        worker.can_attack = true;
        worker.can_harvest = true;
        worker.produces = vec![ids::BASE, ids::BARRACKS];

        let mut light = UnitType::with_defaults(ids::LIGHT, "Light");
        light.cost = 2;
        light.hp = 4;
        light.min_damage = 2;
        light.max_damage = 2;
        light.move_time = 8;
        light.attack_time = 5;
        light.produce_time = 80;
        light.sight_radius = 2;
        light.can_move = true;
        light.can_attack = true;

        let mut heavy = UnitType::with_defaults(ids::HEAVY, "Heavy");
        heavy.cost = if v2 { 3 } else { 2 };
        heavy.hp = if v2 { 8 } else { 4 };
        heavy.min_damage = 4;
        heavy.max_damage = 4;
        heavy.move_time = if v2 { 10 } else { 12 };
        heavy.attack_time = 5;
        heavy.produce_time = 120;
        heavy.sight_radius = 2;
        heavy.can_move = true;
        heavy.can_attack = true;

        let mut ranged = UnitType::with_defaults(ids::RANGED, "Ranged");
        ranged.cost = 2;
        ranged.hp = 1;
        ranged.attack_range = 3;
        ranged.move_time = 10;
        ranged.attack_time = 5;
        ranged.produce_time = 100;
        ranged.sight_radius = 3;
        ranged.can_move = true;
        ranged.can_attack = true;

        UnitTypeTable {
            types: vec![resource, base, barracks, worker, light, heavy, ranged],
            conflict_policy: ConflictPolicy::CancelBoth,
        }
    }

    /// The gym-µRTS table.
    pub fn v1() -> Self {
        Self::builtin(UttVersion::V1)
    }

    /// The competition table.
    pub fn v2() -> Self {
        Self::builtin(UttVersion::V2)
    }

    /// The same table with another conflict policy.
    pub fn with_conflict_policy(mut self, policy: ConflictPolicy) -> Self {
        self.conflict_policy = policy;
        self
    }

    pub fn conflict_policy(&self) -> ConflictPolicy {
        self.conflict_policy
    }

    pub fn types(&self) -> &[UnitType] {
        &self.types
    }

    /// The type with this id.
    ///
    /// # Panics
    /// On an id outside the table: ids come from the table itself, so this is a bug.
    pub fn get(&self, id: TypeId) -> &UnitType {
        &self.types[id]
    }

    /// The type with this name (microRTS's names are case-sensitive: `Worker`, `Base`, …).
    pub fn by_name(&self, name: &str) -> Option<&UnitType> {
        self.types.iter().find(|t| t.name == name)
    }

    /// Reads microRTS's JSON form (`{"moveConflictResolutionStrategy":1,"unitTypes":[…]}`), as
    /// sent after the `utt` line of the socket protocol. Every field is read as named — unlike
    /// microRTS's own reader, which takes `harvestTime` from `produceTime` — and missing fields
    /// take microRTS's defaults.
    pub fn from_json(text: &str) -> Result<Self, RtsError> {
        let bad = |why: String| RtsError::UnitTable(why);
        let raw: RawTable = serde_json::from_str(text)
            .map_err(|e| bad(format!("not a microRTS unit-type table: {e}")))?;
        if raw.unit_types.is_empty() {
            return Err(bad("the table has no unit types".into()));
        }
        let mut types = Vec::with_capacity(raw.unit_types.len());
        for (i, t) in raw.unit_types.iter().enumerate() {
            if t.id != i {
                return Err(bad(format!(
                    "unit type `{}` has ID {}, expected {i}: IDs must count up from 0 in order",
                    t.name, t.id
                )));
            }
            if raw.unit_types[..i].iter().any(|u| u.name == t.name) {
                return Err(bad(format!("two unit types are named `{}`", t.name)));
            }
            let d = UnitType::with_defaults(i, &t.name);
            let ty = UnitType {
                id: i,
                name: t.name.clone(),
                cost: t.cost.unwrap_or(d.cost),
                hp: t.hp.unwrap_or(d.hp),
                min_damage: t.min_damage.unwrap_or(d.min_damage),
                max_damage: t.max_damage.unwrap_or(d.max_damage),
                attack_range: t.attack_range.unwrap_or(d.attack_range),
                produce_time: t.produce_time.unwrap_or(d.produce_time),
                move_time: t.move_time.unwrap_or(d.move_time),
                attack_time: t.attack_time.unwrap_or(d.attack_time),
                harvest_time: t.harvest_time.unwrap_or(d.harvest_time),
                return_time: t.return_time.unwrap_or(d.return_time),
                harvest_amount: t.harvest_amount.unwrap_or(d.harvest_amount),
                sight_radius: t.sight_radius.unwrap_or(d.sight_radius),
                is_resource: t.is_resource,
                is_stockpile: t.is_stockpile,
                can_harvest: t.can_harvest,
                can_move: t.can_move,
                can_attack: t.can_attack,
                produces: Vec::new(),
            };
            if ty.hp < 1 && !ty.is_resource {
                return Err(bad(format!(
                    "unit type `{}` has hp {} (must be ≥ 1)",
                    ty.name, ty.hp
                )));
            }
            if ty.min_damage > ty.max_damage {
                return Err(bad(format!(
                    "unit type `{}` has minDamage {} above maxDamage {}",
                    ty.name, ty.min_damage, ty.max_damage
                )));
            }
            for (field, v) in [
                ("produceTime", ty.produce_time),
                ("moveTime", ty.move_time),
                ("attackTime", ty.attack_time),
                ("harvestTime", ty.harvest_time),
            ] {
                if v < 1 {
                    return Err(bad(format!(
                        "unit type `{}` has {field} {v} (must be ≥ 1)",
                        ty.name
                    )));
                }
            }
            types.push(ty);
        }
        for (i, t) in raw.unit_types.iter().enumerate() {
            for name in &t.produces {
                let id = raw
                    .unit_types
                    .iter()
                    .position(|u| &u.name == name)
                    .ok_or_else(|| {
                        bad(format!(
                            "unit type `{}` produces unknown type `{name}`",
                            t.name
                        ))
                    })?;
                types[i].produces.push(id);
            }
        }
        Ok(UnitTypeTable {
            types,
            conflict_policy: ConflictPolicy::from_code(raw.conflict.unwrap_or(1))?,
        })
    }

    /// microRTS's JSON form (one line), which [`UnitTypeTable::from_json`] reads back.
    pub fn to_json(&self) -> String {
        let unit_types: Vec<RawType> = self
            .types
            .iter()
            .map(|t| RawType {
                id: t.id,
                name: t.name.clone(),
                cost: Some(t.cost),
                hp: Some(t.hp),
                min_damage: Some(t.min_damage),
                max_damage: Some(t.max_damage),
                attack_range: Some(t.attack_range),
                produce_time: Some(t.produce_time),
                move_time: Some(t.move_time),
                attack_time: Some(t.attack_time),
                harvest_time: Some(t.harvest_time),
                return_time: Some(t.return_time),
                harvest_amount: Some(t.harvest_amount),
                sight_radius: Some(t.sight_radius),
                is_resource: t.is_resource,
                is_stockpile: t.is_stockpile,
                can_harvest: t.can_harvest,
                can_move: t.can_move,
                can_attack: t.can_attack,
                produces: t
                    .produces
                    .iter()
                    .map(|&p| self.types[p].name.clone())
                    .collect(),
                produced_by: self
                    .types
                    .iter()
                    .filter(|u| u.produces.contains(&t.id))
                    .map(|u| u.name.clone())
                    .collect(),
            })
            .collect();
        serde_json::to_string(&RawTable {
            conflict: Some(self.conflict_policy.code()),
            unit_types,
        })
        .expect("a unit-type table always serialises")
    }
}

#[derive(Serialize, Deserialize)]
struct RawTable {
    #[serde(rename = "moveConflictResolutionStrategy", default)]
    conflict: Option<i64>,
    #[serde(rename = "unitTypes")]
    unit_types: Vec<RawType>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawType {
    #[serde(rename = "ID")]
    id: usize,
    name: String,
    cost: Option<i32>,
    hp: Option<i32>,
    min_damage: Option<i32>,
    max_damage: Option<i32>,
    attack_range: Option<i32>,
    produce_time: Option<i32>,
    move_time: Option<i32>,
    attack_time: Option<i32>,
    harvest_time: Option<i32>,
    return_time: Option<i32>,
    harvest_amount: Option<i32>,
    sight_radius: Option<i32>,
    #[serde(default)]
    is_resource: bool,
    #[serde(default)]
    is_stockpile: bool,
    #[serde(default)]
    can_harvest: bool,
    #[serde(default)]
    can_move: bool,
    #[serde(default)]
    can_attack: bool,
    #[serde(default)]
    produces: Vec<String>,
    #[serde(default)]
    produced_by: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_tables_differ_where_microrts_does() {
        let (v1, v2) = (UnitTypeTable::v1(), UnitTypeTable::v2());
        assert_eq!(v1.get(ids::BASE).produce_time, 250);
        assert_eq!(v2.get(ids::BASE).produce_time, 200);
        assert_eq!(v1.get(ids::BARRACKS).produce_time, 200);
        assert_eq!(v2.get(ids::BARRACKS).produce_time, 100);
        assert_eq!((v1.get(ids::HEAVY).cost, v2.get(ids::HEAVY).cost), (2, 3));
        assert_eq!((v1.get(ids::HEAVY).hp, v2.get(ids::HEAVY).hp), (4, 8));
        assert_eq!(
            (v1.get(ids::HEAVY).move_time, v2.get(ids::HEAVY).move_time),
            (12, 10)
        );
        for t in [&v1, &v2] {
            assert_eq!(t.get(ids::WORKER).harvest_time, 20);
            assert_eq!(t.get(ids::LIGHT).move_time, 8);
            assert_eq!(t.get(ids::RANGED).attack_range, 3);
            assert_eq!(t.by_name("Worker").unwrap().id, ids::WORKER);
            assert_eq!(
                t.get(ids::BARRACKS).produces,
                vec![ids::LIGHT, ids::HEAVY, ids::RANGED]
            );
        }
    }

    #[test]
    fn reach_is_orthogonal_for_melee_and_euclidean_beyond() {
        let t = UnitTypeTable::v2();
        let light = t.get(ids::LIGHT);
        assert!(light.reaches(1, 0) && light.reaches(0, -1));
        assert!(!light.reaches(1, 1));
        let ranged = t.get(ids::RANGED);
        let cells = (-3..=3)
            .flat_map(|dx| (-3..=3).map(move |dy| (dx, dy)))
            .filter(|&(dx, dy)| (dx, dy) != (0, 0) && ranged.reaches(dx, dy))
            .count();
        assert_eq!(cells, 28, "the spec counts 28 cells within range 3");
    }

    #[test]
    fn json_round_trips_and_reads_microrts_messages() {
        for t in [UnitTypeTable::v1(), UnitTypeTable::v2()] {
            assert_eq!(UnitTypeTable::from_json(&t.to_json()).unwrap(), t);
        }
        let msg = r#"{"moveConflictResolutionStrategy":2,"unitTypes":[{"ID":0, "name":"Resource",
            "isResource":true, "sightRadius":0},{"ID":1, "name":"Base", "cost":10, "hp":10,
            "minDamage":1, "maxDamage":1, "attackRange":1, "produceTime":200, "moveTime":10,
            "attackTime":10, "harvestTime":10, "returnTime":10, "harvestAmount":1,
            "sightRadius":5, "isResource":false, "isStockpile":true, "canHarvest":false,
            "canMove":false, "canAttack":false, "produces":["Worker"], "producedBy":["Worker"]},
            {"ID":2, "name":"Worker", "harvestTime":20, "canMove":true, "produces":["Base"]}]}"#;
        let t = UnitTypeTable::from_json(msg).unwrap();
        assert_eq!(t.conflict_policy(), ConflictPolicy::CancelRandom);
        assert_eq!(t.get(1).produce_time, 200);
        assert_eq!(t.get(1).produces, vec![2]);
        assert_eq!(t.get(2).harvest_time, 20, "harvestTime is read as itself");
        assert_eq!(t.get(2).cost, 1, "missing fields take microRTS's defaults");
    }

    #[test]
    fn bad_tables_are_refused_with_the_reason() {
        let e = UnitTypeTable::from_json("{}").unwrap_err().to_string();
        assert!(e.contains("not a microRTS unit-type table"), "{e}");
        let e = UnitTypeTable::from_json(r#"{"unitTypes":[{"ID":1,"name":"A"}]}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("expected 0"), "{e}");
        let e = UnitTypeTable::from_json(r#"{"unitTypes":[{"ID":0,"name":"A","produces":["B"]}]}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown type `B`"), "{e}");
        let e = UnitTypeTable::from_json(
            r#"{"moveConflictResolutionStrategy":7,"unitTypes":[{"ID":0,"name":"A"}]}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("not 7"), "{e}");
    }
}
