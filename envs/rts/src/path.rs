//! A* path-finding on the grid for scripted bots: the first step of a shortest path to a goal
//! region, around walls, units and reserved cells.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::action::Direction;
use crate::state::{GameState, Reservations};

/// Searches from (sx, sy) to the nearest cell that satisfies `goal`, moving through cells that
/// are on the map, not walls, hold no unit and are not reserved, and returns the first step (or
/// `None` when the start is a goal or no goal is reachable).
///
/// `heuristic` orders the search (A* on `steps + heuristic`). Among cells of equal rank the one
/// reached last is expanded first, and neighbours are tried up, right, down, left: microRTS's
/// `AStarPathFinding` breaks ties between equally short paths this way (checked black-box on
/// the Java engine, with the Manhattan distance to the target as heuristic), so our bots walk
/// the paths microRTS's bots walk.
pub fn first_step(
    state: &GameState,
    reserved: &Reservations,
    (sx, sy): (i32, i32),
    goal: impl Fn(i32, i32) -> bool,
    heuristic: impl Fn(i32, i32) -> i32,
) -> Option<Direction> {
    if goal(sx, sy) {
        return None;
    }
    let w = state.width();
    let n = (w * state.height()) as usize;
    let start = (sx + sy * w) as usize;
    // Per cell: best known steps, the first step of that path, and whether it was expanded.
    let mut cost = vec![i32::MAX; n];
    let mut first: Vec<Option<Direction>> = vec![None; n];
    let mut closed = vec![false; n];
    let mut heap = BinaryHeap::new();
    cost[start] = 0;
    // Min-heap on (rank, newest first): `u32::MAX - counter` makes later insertions win ties.
    let mut counter = 0u32;
    heap.push(Reverse((heuristic(sx, sy), u32::MAX, start)));
    while let Some(Reverse((_, _, c))) = heap.pop() {
        if closed[c] {
            continue;
        }
        closed[c] = true;
        let (x, y) = (c as i32 % w, c as i32 / w);
        if c != start && goal(x, y) {
            return first[c];
        }
        let g = cost[c];
        for d in Direction::ALL {
            let (dx, dy) = d.offset();
            let (nx, ny) = (x + dx, y + dy);
            let Some(nc) = state.cell(nx, ny) else {
                continue;
            };
            if closed[nc]
                || state.walls()[nc]
                || reserved.cells[nc]
                || state.unit_at(nx, ny).is_some()
            {
                continue;
            }
            // A cell is queued once: the first path to reach it keeps it (microRTS's rule,
            // which decides between equally short paths).
            if cost[nc] == i32::MAX {
                cost[nc] = g + 1;
                first[nc] = if c == start { Some(d) } else { first[c] };
                counter += 1;
                heap.push(Reverse((g + 1 + heuristic(nx, ny), u32::MAX - counter, nc)));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::state::Unit;
    use crate::utt::{ids, UnitTypeTable};

    fn open(w: i32, h: i32, walls: &[(i32, i32)], units: &[(i32, i32)]) -> GameState {
        let mut grid = vec![false; (w * h) as usize];
        for &(x, y) in walls {
            grid[(x + y * w) as usize] = true;
        }
        let units = units
            .iter()
            .enumerate()
            .map(|(i, &(x, y))| Unit {
                id: i as u64,
                player: 0,
                kind: ids::WORKER,
                x,
                y,
                resources: 0,
                hp: 1,
            })
            .collect();
        GameState::new(Arc::new(UnitTypeTable::v2()), w, h, grid, [0, 0], units, 0).unwrap()
    }

    #[test]
    fn goes_around_a_wall_and_stops_when_unreachable() {
        // A wall across x = 2 except at the bottom row.
        let s = open(5, 4, &[(2, 0), (2, 1), (2, 2)], &[(0, 0)]);
        let r = s.reservations();
        let manhattan = |x: i32, y: i32| (x - 4).abs() + y.abs();
        let d = first_step(&s, &r, (0, 0), |x, y| (x, y) == (4, 0), manhattan);
        assert!(matches!(d, Some(Direction::Down) | Some(Direction::Right)));
        let s2 = open(5, 4, &[(2, 0), (2, 1), (2, 2), (2, 3)], &[(0, 0)]);
        let r2 = s2.reservations();
        assert_eq!(
            first_step(&s2, &r2, (0, 0), |x, y| (x, y) == (4, 0), manhattan),
            None
        );
    }

    #[test]
    fn reserved_cells_and_units_block() {
        let s = open(3, 1, &[], &[(0, 0), (1, 0)]);
        let r = s.reservations();
        assert_eq!(
            first_step(&s, &r, (0, 0), |x, _| x == 2, |x, _| 2 - x),
            None
        );
        let s = open(3, 2, &[], &[(0, 0)]);
        let mut r = s.reservations();
        r.cells[1] = true;
        let d = first_step(&s, &r, (0, 0), |x, y| (x, y) == (2, 0), |x, y| (2 - x) + y);
        assert_eq!(d, Some(Direction::Down), "(1,0) is reserved, so go below");
    }
}
