//! The game state and its cycle: issuing orders, resolving conflicts, landing actions.
//!
//! The rules follow microRTS (`../shared/specs/microrts.md` §1.2–1.4) including its quirks,
//! because our agents must play the Java engine's bots and the results must agree:
//! * an illegal order becomes a wait of the same duration;
//! * two orders issued in the same cycle that claim one cell (or, together, more resources than
//!   the player has) are both cancelled into waits of the shorter duration (policy 1);
//! * an order that conflicts with an older running action becomes a wait that ends next cycle;
//! * an order for a busy unit replaces its running action, in the running action's place;
//! * actions that end in a cycle are gathered before any lands, so a unit killed earlier in
//!   the cycle still carries out its last action;
//! * the game is over when at most one player owns units.

use std::sync::Arc;

use rand::Rng;
use serde::{Deserialize, Serialize};

use ludus_core::{seeded_rng, LudusRng};

use crate::action::{Direction, UnitAction, Usage};
use crate::error::RtsError;
use crate::utt::{ConflictPolicy, TypeId, UnitType, UnitTypeTable};

/// Marks an empty cell in the occupancy grid.
const EMPTY: u32 = u32::MAX;

/// A unit on the map. Resources are neutral units of player −1.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unit {
    pub id: u64,
    /// 0 or 1, or −1 for resources.
    pub player: i32,
    pub kind: TypeId,
    pub x: i32,
    pub y: i32,
    /// What a worker carries, or what a resource has left.
    pub resources: i32,
    pub hp: i32,
}

/// A running action: which unit, what, and the cycle it was issued.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment {
    pub unit: u64,
    pub action: UnitAction,
    pub issued: i32,
}

/// What happened to one player's orders in [`GameState::issue`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IssueReport {
    /// Orders illegal in this position, turned into waits.
    pub illegal: usize,
    /// Orders that clashed with another order of this cycle and were cancelled.
    pub cancelled: usize,
    /// Orders that clashed with an older running action (microRTS prints "Inconsistent actions
    /// were executed!"): a well-behaved agent never causes one.
    pub inconsistent: usize,
    /// Orders for units that were already busy (they replace the running action).
    pub overwritten: usize,
}

/// Who won: a player, or nobody (a draw or a game still running).
pub type Winner = Option<usize>;

/// A game in progress. Cloning is cheap enough for search (units and actions are small vectors,
/// the unit table is shared).
#[derive(Clone, Debug)]
pub struct GameState {
    utt: Arc<UnitTypeTable>,
    width: i32,
    height: i32,
    walls: Vec<bool>,
    resources: [i32; 2],
    /// In map order, then order of creation: the order microRTS lists them in.
    units: Vec<Unit>,
    /// Cell → index into `units`, or `EMPTY`.
    grid: Vec<u32>,
    /// Running actions in the order they were issued; that order is the order they land in.
    assignments: Vec<Assignment>,
    time: i32,
    next_id: u64,
    /// Random damage (tables whose min and max damage differ) and random conflict resolution.
    rng: LudusRng,
    /// Turn of `ConflictPolicy::CancelAlternating`.
    alternation: u64,
    /// Units removed during the current cycle, which may still carry out their last action.
    fallen: Vec<Unit>,
}

impl GameState {
    /// A state at cycle 0. Fails on units off the map, on walls or on each other, duplicate ids,
    /// unknown types or players other than −1, 0, 1.
    pub fn new(
        utt: Arc<UnitTypeTable>,
        width: i32,
        height: i32,
        walls: Vec<bool>,
        resources: [i32; 2],
        units: Vec<Unit>,
        seed: u64,
    ) -> Result<Self, RtsError> {
        let name = "state";
        if width < 1 || height < 1 || width > 256 || height > 256 {
            return Err(RtsError::map(
                name,
                format!("size {width}×{height} is outside 1–256"),
            ));
        }
        if walls.len() != (width * height) as usize {
            return Err(RtsError::map(
                name,
                format!("{} terrain cells for a {width}×{height} map", walls.len()),
            ));
        }
        let mut state = GameState {
            utt,
            width,
            height,
            walls,
            resources,
            units: Vec::with_capacity(units.len()),
            grid: vec![EMPTY; (width * height) as usize],
            assignments: Vec::new(),
            time: 0,
            next_id: 0,
            rng: seeded_rng(seed),
            alternation: 0,
            fallen: Vec::new(),
        };
        for u in units {
            if u.kind >= state.utt.types().len() {
                return Err(RtsError::map(
                    name,
                    format!("unit {} has unknown type {}", u.id, u.kind),
                ));
            }
            if !(-1..=1).contains(&u.player) {
                return Err(RtsError::map(
                    name,
                    format!("unit {} has player {}", u.id, u.player),
                ));
            }
            if state.utt.get(u.kind).is_resource != (u.player == -1) {
                return Err(RtsError::map(
                    name,
                    format!(
                        "unit {}: resources belong to player −1 and only resources do",
                        u.id
                    ),
                ));
            }
            let cell = state.cell(u.x, u.y).ok_or_else(|| {
                RtsError::map(
                    name,
                    format!("unit {} at ({}, {}) is off the map", u.id, u.x, u.y),
                )
            })?;
            if state.walls[cell] || state.grid[cell] != EMPTY {
                return Err(RtsError::map(
                    name,
                    format!(
                        "unit {} at ({}, {}) stands on a wall or another unit",
                        u.id, u.x, u.y
                    ),
                ));
            }
            if state.units.iter().any(|v| v.id == u.id) {
                return Err(RtsError::map(name, format!("two units have id {}", u.id)));
            }
            state.next_id = state.next_id.max(u.id + 1);
            state.grid[cell] = state.units.len() as u32;
            state.units.push(u);
        }
        Ok(state)
    }

    pub fn utt(&self) -> &UnitTypeTable {
        &self.utt
    }

    pub fn utt_arc(&self) -> &Arc<UnitTypeTable> {
        &self.utt
    }

    pub fn width(&self) -> i32 {
        self.width
    }

    pub fn height(&self) -> i32 {
        self.height
    }

    /// The game cycle: 0 at the start, +1 per [`GameState::cycle`].
    pub fn time(&self) -> i32 {
        self.time
    }

    /// Resources in each player's stock (costs of running produce orders not yet paid).
    pub fn resources(&self) -> [i32; 2] {
        self.resources
    }

    pub fn units(&self) -> &[Unit] {
        &self.units
    }

    /// Running actions, in the order they will land.
    pub fn assignments(&self) -> &[Assignment] {
        &self.assignments
    }

    /// The id the next produced unit gets.
    pub fn next_id(&self) -> u64 {
        self.next_id
    }

    /// Cell index of (x, y), or `None` off the map.
    pub fn cell(&self, x: i32, y: i32) -> Option<usize> {
        (x >= 0 && y >= 0 && x < self.width && y < self.height)
            .then(|| (x + y * self.width) as usize)
    }

    pub fn is_wall(&self, x: i32, y: i32) -> bool {
        self.cell(x, y).is_none_or(|c| self.walls[c])
    }

    pub fn walls(&self) -> &[bool] {
        &self.walls
    }

    /// The unit on (x, y), if any.
    pub fn unit_at(&self, x: i32, y: i32) -> Option<&Unit> {
        let c = self.cell(x, y)?;
        let i = self.grid[c];
        (i != EMPTY).then(|| &self.units[i as usize])
    }

    /// Whether (x, y) is on the map, not a wall and holds no unit (reservations aside).
    pub fn is_free(&self, x: i32, y: i32) -> bool {
        self.cell(x, y)
            .is_some_and(|c| !self.walls[c] && self.grid[c] == EMPTY)
    }

    pub fn unit(&self, id: u64) -> Option<&Unit> {
        self.units.iter().find(|u| u.id == id)
    }

    pub fn unit_type(&self, unit: &Unit) -> &UnitType {
        self.utt.get(unit.kind)
    }

    /// The running action of a unit, if it is busy.
    pub fn assignment(&self, unit: u64) -> Option<&Assignment> {
        self.assignments.iter().find(|a| a.unit == unit)
    }

    pub fn is_busy(&self, unit: u64) -> bool {
        self.assignments.iter().any(|a| a.unit == unit)
    }

    /// Whether the unit could carry out `action` now (microRTS's legality, reservations aside):
    /// the right ability, a target in reach, a free cell, enough resources.
    pub fn is_legal(&self, unit: &Unit, action: &UnitAction) -> bool {
        let ty = self.unit_type(unit);
        let step = |d: Direction| {
            let (dx, dy) = d.offset();
            (unit.x + dx, unit.y + dy)
        };
        match *action {
            UnitAction::Wait(_) => true,
            UnitAction::Move(d) => {
                let (x, y) = step(d);
                ty.can_move && self.is_free(x, y)
            }
            UnitAction::Harvest(d) => {
                let (x, y) = step(d);
                ty.can_harvest
                    && unit.resources == 0
                    && self
                        .unit_at(x, y)
                        .is_some_and(|r| self.unit_type(r).is_resource)
            }
            UnitAction::Return(d) => {
                let (x, y) = step(d);
                ty.can_harvest
                    && unit.resources > 0
                    && self
                        .unit_at(x, y)
                        .is_some_and(|b| b.player == unit.player && self.unit_type(b).is_stockpile)
            }
            UnitAction::Produce(d, t) => {
                let (x, y) = step(d);
                unit.player >= 0
                    && ty.produces.contains(&t)
                    && self.resources[unit.player as usize] >= self.utt.get(t).cost
                    && self.is_free(x, y)
            }
            UnitAction::Attack { x, y } => {
                ty.can_attack
                    && ty.reaches(x - unit.x, y - unit.y)
                    && self
                        .unit_at(x, y)
                        .is_some_and(|t| t.player >= 0 && t.player != unit.player)
            }
        }
    }

    /// Every order `unit` could carry out now, reservations aside (microRTS's
    /// `getUnitActions`): a 10-cycle wait, then moves, harvests, returns, produces (each type in
    /// each direction) and attacks on every enemy in reach, in that order.
    pub fn legal_actions(&self, unit: &Unit) -> Vec<UnitAction> {
        let ty = self.unit_type(unit);
        let mut out = vec![UnitAction::Wait(10)];
        let mut candidates = Vec::new();
        for d in Direction::ALL {
            candidates.push(UnitAction::Move(d));
            candidates.push(UnitAction::Harvest(d));
            candidates.push(UnitAction::Return(d));
            for &t in &ty.produces {
                candidates.push(UnitAction::Produce(d, t));
            }
        }
        candidates.sort_by_key(|a| a.action_type() as u8);
        out.extend(candidates.into_iter().filter(|a| self.is_legal(unit, a)));
        if ty.can_attack {
            let r = ty.attack_range;
            for target in &self.units {
                let (dx, dy) = (target.x - unit.x, target.y - unit.y);
                if dx.abs() <= r && dy.abs() <= r {
                    let a = UnitAction::Attack {
                        x: target.x,
                        y: target.y,
                    };
                    if self.is_legal(unit, &a) {
                        out.push(a);
                    }
                }
            }
        }
        out
    }

    /// What an action of `unit` holds while it runs.
    pub fn usage(&self, unit: &Unit, action: &UnitAction) -> Usage {
        match *action {
            UnitAction::Move(d) => {
                let (dx, dy) = d.offset();
                Usage {
                    cell: self.cell(unit.x + dx, unit.y + dy),
                    cost: None,
                }
            }
            UnitAction::Produce(d, t) => {
                let (dx, dy) = d.offset();
                Usage {
                    cell: self.cell(unit.x + dx, unit.y + dy),
                    cost: (unit.player >= 0).then(|| (unit.player as usize, self.utt.get(t).cost)),
                }
            }
            _ => Usage::default(),
        }
    }

    /// Everything running actions hold: reserved cells, and each player's resources minus the
    /// costs of running produce orders (what an agent may still spend).
    pub fn reservations(&self) -> Reservations {
        let mut r = Reservations {
            cells: vec![false; self.grid.len()],
            spendable: self.resources,
        };
        for a in &self.assignments {
            if let Some(u) = self.unit(a.unit) {
                r.hold(&self.usage(u, &a.action));
            }
        }
        r
    }

    /// Issues one player's orders, in order, as microRTS's `issueSafe` does: illegal orders
    /// become waits of the same duration, conflicting ones are cancelled (see the module
    /// docs). Orders for another player's units, for missing units, or with impossible
    /// parameters (a unit type outside the table) are refused before anything is issued.
    pub fn issue(
        &mut self,
        player: usize,
        orders: &[(u64, UnitAction)],
    ) -> Result<IssueReport, RtsError> {
        for (id, action) in orders {
            let unit = self.unit(*id).ok_or_else(|| RtsError::Order {
                unit: *id,
                problem: "no such unit".into(),
            })?;
            if unit.player != player as i32 {
                return Err(RtsError::Order {
                    unit: *id,
                    problem: format!("it belongs to player {}, not {player}", unit.player),
                });
            }
            if let UnitAction::Produce(_, t) = action {
                if *t >= self.utt.types().len() {
                    return Err(RtsError::Order {
                        unit: *id,
                        problem: format!("unit type {t} is not in the table"),
                    });
                }
            }
        }
        let mut report = IssueReport::default();
        for &(id, action) in orders {
            let unit = self.unit(id).expect("checked above").clone();
            let ty = self.utt.get(unit.kind);
            let mut action = action;
            if !self.is_legal(&unit, &action) {
                report.illegal += 1;
                action = UnitAction::Wait(action.duration(ty, &self.utt));
            }
            for i in 0..self.assignments.len() {
                let old = self.assignments[i];
                let Some(old_unit) = self.unit(old.unit) else {
                    continue;
                };
                let old_usage = self.usage(old_unit, &old.action);
                let usage = self.usage(&unit, &action);
                if usage == Usage::default() || old_usage.consistent_with(&usage, &self.resources) {
                    continue;
                }
                if old.issued == self.time {
                    let d_old = old.action.duration(self.utt.get(old_unit.kind), &self.utt);
                    let d_new = action.duration(ty, &self.utt);
                    let wait = UnitAction::Wait(d_old.min(d_new));
                    let (cancel_old, cancel_new) = match self.utt.conflict_policy() {
                        ConflictPolicy::CancelBoth => (true, true),
                        ConflictPolicy::CancelRandom => {
                            let new = self.rng.random_bool(0.5);
                            (!new, new)
                        }
                        ConflictPolicy::CancelAlternating => {
                            let new = self.alternation.is_multiple_of(2);
                            self.alternation += 1;
                            (!new, new)
                        }
                    };
                    if cancel_old {
                        self.assignments[i].action = wait;
                    }
                    if cancel_new {
                        action = wait;
                        report.cancelled += 1;
                    }
                } else {
                    report.inconsistent += 1;
                    action = UnitAction::Wait(-1);
                }
            }
            let assignment = Assignment {
                unit: id,
                action,
                issued: self.time,
            };
            match self.assignments.iter_mut().find(|a| a.unit == id) {
                Some(a) => {
                    report.overwritten += 1;
                    *a = assignment;
                }
                None => self.assignments.push(assignment),
            }
        }
        Ok(report)
    }

    /// Advances one cycle: the clock ticks, and every action that ends now lands, in the order
    /// it was issued. Returns whether the game is over.
    pub fn cycle(&mut self) -> bool {
        self.time += 1;
        self.fallen.clear();
        let mut ready = Vec::new();
        let mut i = 0;
        while i < self.assignments.len() {
            let a = self.assignments[i];
            let done = match self.unit(a.unit) {
                Some(u) => {
                    a.issued + a.action.duration(self.utt.get(u.kind), &self.utt) <= self.time
                }
                None => true,
            };
            if done {
                ready.push(self.assignments.remove(i));
            } else {
                i += 1;
            }
        }
        for a in ready {
            self.land(a);
        }
        self.is_over()
    }

    /// Carries out a finished action. A unit removed earlier this cycle still acts from where
    /// it fell (microRTS gathers finished actions before landing any).
    fn land(&mut self, a: Assignment) {
        let alive = self.units.iter().position(|u| u.id == a.unit);
        let unit = match alive {
            Some(i) => self.units[i].clone(),
            None => match self.fallen.iter().find(|u| u.id == a.unit) {
                Some(u) => u.clone(),
                None => return,
            },
        };
        let ty = self.utt.get(unit.kind).clone();
        let target = |d: Direction| {
            let (dx, dy) = d.offset();
            (unit.x + dx, unit.y + dy)
        };
        match a.action {
            UnitAction::Wait(_) => {}
            UnitAction::Move(d) => {
                let (x, y) = target(d);
                match alive {
                    Some(i) => {
                        let (Some(from), Some(to)) = (self.cell(unit.x, unit.y), self.cell(x, y))
                        else {
                            return;
                        };
                        if self.grid[to] != EMPTY || self.walls[to] {
                            return;
                        }
                        self.grid[from] = EMPTY;
                        self.grid[to] = i as u32;
                        self.units[i].x = x;
                        self.units[i].y = y;
                    }
                    None => {
                        if let Some(f) = self.fallen.iter_mut().find(|u| u.id == a.unit) {
                            f.x = x;
                            f.y = y;
                        }
                    }
                }
            }
            UnitAction::Harvest(d) => {
                let (x, y) = target(d);
                let Some(c) = self.cell(x, y) else { return };
                let r = self.grid[c];
                if r == EMPTY || unit.resources != 0 || !ty.can_harvest {
                    return;
                }
                let r = r as usize;
                if !self.utt.get(self.units[r].kind).is_resource {
                    return;
                }
                self.units[r].resources -= ty.harvest_amount;
                self.set_carried(alive, a.unit, ty.harvest_amount);
                if self.units[r].resources <= 0 {
                    self.remove(r);
                }
            }
            UnitAction::Return(d) => {
                let (x, y) = target(d);
                let Some(b) = self.unit_at(x, y) else { return };
                if !self.utt.get(b.kind).is_stockpile || unit.resources <= 0 || unit.player < 0 {
                    return;
                }
                self.resources[unit.player as usize] += unit.resources;
                self.set_carried(alive, a.unit, 0);
            }
            UnitAction::Produce(d, t) => {
                let (x, y) = target(d);
                if unit.player < 0 || !self.is_free(x, y) {
                    return;
                }
                let new_ty = self.utt.get(t);
                let new = Unit {
                    id: self.next_id,
                    player: unit.player,
                    kind: t,
                    x,
                    y,
                    resources: 0,
                    hp: new_ty.hp,
                };
                self.resources[unit.player as usize] -= new_ty.cost;
                self.next_id += 1;
                let c = self.cell(x, y).expect("free cells are on the map");
                self.grid[c] = self.units.len() as u32;
                self.units.push(new);
            }
            UnitAction::Attack { x, y } => {
                let Some(c) = self.cell(x, y) else { return };
                let t = self.grid[c];
                if t == EMPTY {
                    return;
                }
                let damage = if ty.max_damage > ty.min_damage {
                    self.rng.random_range(ty.min_damage..=ty.max_damage)
                } else {
                    ty.min_damage
                };
                let t = t as usize;
                self.units[t].hp -= damage;
                if self.units[t].hp <= 0 {
                    self.remove(t);
                }
            }
        }
    }

    fn set_carried(&mut self, alive: Option<usize>, id: u64, amount: i32) {
        match alive {
            Some(i) => self.units[i].resources = amount,
            None => {
                if let Some(f) = self.fallen.iter_mut().find(|u| u.id == id) {
                    f.resources = amount;
                }
            }
        }
    }

    /// Takes unit `i` off the map with its running action.
    fn remove(&mut self, i: usize) {
        let unit = self.units.remove(i);
        let c = self.cell(unit.x, unit.y).expect("units stand on the map");
        self.grid[c] = EMPTY;
        for g in self.grid.iter_mut() {
            if *g != EMPTY && *g as usize > i {
                *g -= 1;
            }
        }
        self.assignments.retain(|a| a.unit != unit.id);
        self.fallen.push(unit);
    }

    /// Units each player owns (buildings count).
    pub fn unit_counts(&self) -> [usize; 2] {
        let mut n = [0; 2];
        for u in &self.units {
            if u.player >= 0 {
                n[u.player as usize] += 1;
            }
        }
        n
    }

    /// Over when at most one player owns units (the cycle limit is the runner's business).
    pub fn is_over(&self) -> bool {
        let [a, b] = self.unit_counts();
        a == 0 || b == 0
    }

    /// The one player who still owns units, if exactly one does.
    pub fn winner(&self) -> Winner {
        match self.unit_counts() {
            [a, 0] if a > 0 => Some(0),
            [0, b] if b > 0 => Some(1),
            _ => None,
        }
    }

    /// Each player's return for the game as it stands: +1 to the winner and −1 to the loser,
    /// 0 to both while nobody has won (a game stopped at its cycle cap is a draw).
    pub fn returns(&self) -> [f32; 2] {
        match self.winner() {
            Some(0) => [1.0, -1.0],
            Some(_) => [-1.0, 1.0],
            None => [0.0, 0.0],
        }
    }

    /// The idle units of `player` (no running action), in map order.
    pub fn idle_units(&self, player: usize) -> impl Iterator<Item = &Unit> {
        self.units
            .iter()
            .filter(move |u| u.player == player as i32 && !self.is_busy(u.id))
    }

    /// What `player` sees under partial observability: its own units and every other unit
    /// within the sight radius of one of them (Euclidean), with their running actions. Terrain
    /// and both stocks stay visible.
    pub fn observed_by(&self, player: usize) -> GameState {
        let own: Vec<&Unit> = self
            .units
            .iter()
            .filter(|u| u.player == player as i32)
            .collect();
        let visible = |u: &Unit| {
            u.player == player as i32
                || own.iter().any(|o| {
                    let r = self.utt.get(o.kind).sight_radius;
                    let (dx, dy) = (u.x - o.x, u.y - o.y);
                    dx * dx + dy * dy <= r * r
                })
        };
        let mut view = self.clone();
        let hidden: Vec<u64> = self
            .units
            .iter()
            .filter(|u| !visible(u))
            .map(|u| u.id)
            .collect();
        view.units.retain(|u| !hidden.contains(&u.id));
        view.assignments.retain(|a| !hidden.contains(&a.unit));
        view.grid = vec![EMPTY; self.grid.len()];
        for (i, u) in view.units.iter().enumerate() {
            let c = (u.x + u.y * self.width) as usize;
            view.grid[c] = i as u32;
        }
        view
    }

    /// Re-seeds the random damage and random conflict resolution (to replay a logged game).
    pub fn set_seed(&mut self, seed: u64) {
        self.rng = seeded_rng(seed);
    }

    /// Sets the clock (used when a state arrives over the socket at some cycle).
    pub fn set_time(&mut self, time: i32) {
        self.time = time;
    }

    /// Records a running action as if issued at `issued` (states received over the socket
    /// list the busy units with their orders).
    pub fn push_assignment(&mut self, assignment: Assignment) -> Result<(), RtsError> {
        if self.unit(assignment.unit).is_none() {
            return Err(RtsError::Order {
                unit: assignment.unit,
                problem: "a running action for a unit that is not on the map".into(),
            });
        }
        self.assignments.retain(|a| a.unit != assignment.unit);
        self.assignments.push(assignment);
        Ok(())
    }

    /// One line in the format of `scripts/microrts/RunGame.java --trace`: `t TIME r R0,R1 u
    /// ID:TYPE:PLAYER:X:Y:HP:RES …` with units by id, to compare a game with the Java engine's.
    pub fn trace_line(&self) -> String {
        let mut units: Vec<&Unit> = self.units.iter().collect();
        units.sort_by_key(|u| u.id);
        let r = self.resources;
        let mut out = format!("t {} r {},{} u", self.time, r[0], r[1]);
        for u in units {
            let name = &self.utt.get(u.kind).name;
            out += &format!(
                " {}:{}:{}:{}:{}:{}:{}",
                u.id, name, u.player, u.x, u.y, u.hp, u.resources
            );
        }
        out
    }

    /// Sets the id counter (microRTS's global counter keeps growing across games).
    pub fn set_next_id(&mut self, next: u64) {
        self.next_id = self.next_id.max(next);
    }
}

/// Cells and resources held by running actions, for agents that must not issue conflicting
/// orders. [`Reservations::hold`] adds an order the agent has just decided on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reservations {
    /// Cell index → reserved.
    pub cells: Vec<bool>,
    /// Each player's resources minus the costs of running and newly held produce orders.
    pub spendable: [i32; 2],
}

impl Reservations {
    pub fn hold(&mut self, usage: &Usage) {
        if let Some(c) = usage.cell {
            self.cells[c] = true;
        }
        if let Some((p, cost)) = usage.cost {
            self.spendable[p] -= cost;
        }
    }

    /// Whether an order with this usage fits: its cell is not held and its cost is spendable.
    pub fn allows(&self, usage: &Usage) -> bool {
        usage.cell.is_none_or(|c| !self.cells[c])
            && usage.cost.is_none_or(|(p, cost)| cost <= self.spendable[p])
    }
}
