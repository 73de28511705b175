//! Unit actions: what one unit is told to do, how long it takes, and what it reserves.

use serde::{Deserialize, Serialize};

use crate::utt::{TypeId, UnitType, UnitTypeTable};

/// The four directions, in microRTS's order and numbering (up = y − 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Direction {
    Up = 0,
    Right = 1,
    Down = 2,
    Left = 3,
}

impl Direction {
    pub const ALL: [Direction; 4] = [
        Direction::Up,
        Direction::Right,
        Direction::Down,
        Direction::Left,
    ];

    /// The (dx, dy) of one step.
    pub fn offset(self) -> (i32, i32) {
        match self {
            Direction::Up => (0, -1),
            Direction::Right => (1, 0),
            Direction::Down => (0, 1),
            Direction::Left => (-1, 0),
        }
    }

    /// From microRTS's number 0–3.
    pub fn from_index(i: i64) -> Option<Direction> {
        Direction::ALL.get(usize::try_from(i).ok()?).copied()
    }

    /// The direction of a one-step offset, if it is one.
    pub fn from_offset(dx: i32, dy: i32) -> Option<Direction> {
        Direction::ALL.into_iter().find(|d| d.offset() == (dx, dy))
    }
}

/// microRTS's six action types, with their numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ActionType {
    Wait = 0,
    Move = 1,
    Harvest = 2,
    Return = 3,
    Produce = 4,
    Attack = 5,
}

impl ActionType {
    pub const ALL: [ActionType; 6] = [
        ActionType::Wait,
        ActionType::Move,
        ActionType::Harvest,
        ActionType::Return,
        ActionType::Produce,
        ActionType::Attack,
    ];

    pub fn from_index(i: i64) -> Option<ActionType> {
        ActionType::ALL.get(usize::try_from(i).ok()?).copied()
    }
}

/// One order. Its effect lands when it ends ([`UnitAction::duration`] cycles after it was issued).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum UnitAction {
    /// Do nothing for this many cycles (microRTS's `none`; −1 frees the unit next cycle).
    Wait(i32),
    Move(Direction),
    /// Take `harvest_amount` from the resource in that direction.
    Harvest(Direction),
    /// Hand what the worker carries to the base in that direction.
    Return(Direction),
    /// Build a unit of this type in that direction. The cost is reserved when the order is
    /// issued and paid when it completes.
    Produce(Direction, TypeId),
    /// Damage whatever stands on this absolute cell when the attack lands.
    Attack {
        x: i32,
        y: i32,
    },
}

impl UnitAction {
    pub fn action_type(&self) -> ActionType {
        match self {
            UnitAction::Wait(_) => ActionType::Wait,
            UnitAction::Move(_) => ActionType::Move,
            UnitAction::Harvest(_) => ActionType::Harvest,
            UnitAction::Return(_) => ActionType::Return,
            UnitAction::Produce(..) => ActionType::Produce,
            UnitAction::Attack { .. } => ActionType::Attack,
        }
    }

    /// The direction of a move, harvest, return or produce.
    pub fn direction(&self) -> Option<Direction> {
        match *self {
            UnitAction::Move(d)
            | UnitAction::Harvest(d)
            | UnitAction::Return(d)
            | UnitAction::Produce(d, _) => Some(d),
            _ => None,
        }
    }

    /// Cycles from issue to effect for a unit of type `unit`. A return takes the unit's move
    /// time, as in microRTS (its `returnTime` is unused there).
    pub fn duration(&self, unit: &UnitType, utt: &UnitTypeTable) -> i32 {
        match *self {
            UnitAction::Wait(n) => n,
            UnitAction::Move(_) | UnitAction::Return(_) => unit.move_time,
            UnitAction::Harvest(_) => unit.harvest_time,
            UnitAction::Produce(_, t) => utt.get(t).produce_time,
            UnitAction::Attack { .. } => unit.attack_time,
        }
    }
}

/// What an action holds while it runs: the cell a move or produce will fill, and the cost a
/// produce will pay. Two actions whose usages are not [`Usage::consistent_with`] each other
/// cannot run together.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    /// Cell index `x + y·width`.
    pub cell: Option<usize>,
    /// The player who pays and how much.
    pub cost: Option<(usize, i32)>,
}

impl Usage {
    /// microRTS's pairwise test: no shared cell, and for each player the two costs together fit
    /// in what the player has now (`resources`).
    pub fn consistent_with(&self, other: &Usage, resources: &[i32; 2]) -> bool {
        if self.cell.is_some() && self.cell == other.cell {
            return false;
        }
        match (self.cost, other.cost) {
            (Some((p, a)), Some((q, b))) if p == q => a + b <= resources[p],
            _ => true,
        }
    }
}
