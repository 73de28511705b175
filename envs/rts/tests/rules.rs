//! One test per rule of microRTS's engine (`../shared/specs/microrts.md` §1): costs, times,
//! ranges, reservations, conflicts, illegal orders, dead units acting, the end of the game.

use std::sync::Arc;

use ludus_rts::{
    ids, ConflictPolicy, Direction, GameState, IssueReport, Unit, UnitAction, UnitTypeTable,
};

/// A 6×6 open map with the given units (player, kind, x, y, carried/amount); ids count from 1.
fn state_with(utt: UnitTypeTable, units: &[(i32, usize, i32, i32, i32)], stock: i32) -> GameState {
    let units = units
        .iter()
        .enumerate()
        .map(|(i, &(player, kind, x, y, resources))| Unit {
            id: i as u64 + 1,
            player,
            kind,
            x,
            y,
            resources,
            hp: utt.get(kind).hp,
        })
        .collect();
    GameState::new(
        Arc::new(utt),
        6,
        6,
        vec![false; 36],
        [stock, stock],
        units,
        7,
    )
    .unwrap()
}

fn v2(units: &[(i32, usize, i32, i32, i32)]) -> GameState {
    state_with(UnitTypeTable::v2(), units, 5)
}

fn pos(s: &GameState, id: u64) -> Option<(i32, i32)> {
    s.unit(id).map(|u| (u.x, u.y))
}

fn run(s: &mut GameState, cycles: usize) {
    for _ in 0..cycles {
        s.cycle();
    }
}

#[test]
fn a_move_lands_after_the_units_move_time() {
    use ids::*;
    let mut s = v2(&[
        (0, WORKER, 1, 1, 0),
        (0, LIGHT, 3, 3, 0),
        (1, BASE, 5, 5, 0),
    ]);
    s.issue(
        0,
        &[
            (1, UnitAction::Move(Direction::Right)),
            (2, UnitAction::Move(Direction::Up)),
        ],
    )
    .unwrap();
    run(&mut s, 7);
    assert_eq!((pos(&s, 1), pos(&s, 2)), (Some((1, 1)), Some((3, 3))));
    run(&mut s, 1);
    assert_eq!(pos(&s, 2), Some((3, 2)), "a Light moves every 8 cycles");
    assert!(!s.is_busy(2));
    run(&mut s, 1);
    assert_eq!(
        pos(&s, 1),
        Some((1, 1)),
        "the source cell stays occupied until the end"
    );
    run(&mut s, 1);
    assert_eq!((s.time(), pos(&s, 1)), (10, Some((2, 1))));
    // v1's Heavy is slower (12) than v2's (10).
    let mut s = state_with(
        UnitTypeTable::v1(),
        &[(0, HEAVY, 1, 1, 0), (1, BASE, 5, 5, 0)],
        5,
    );
    s.issue(0, &[(1, UnitAction::Move(Direction::Down))])
        .unwrap();
    run(&mut s, 11);
    assert_eq!(pos(&s, 1), Some((1, 1)));
    run(&mut s, 1);
    assert_eq!(pos(&s, 1), Some((1, 2)));
}

#[test]
fn harvest_and_return_move_one_resource_into_the_stock() {
    use ids::*;
    let mut s = v2(&[
        (-1, RESOURCE, 0, 1, 2),
        (0, WORKER, 1, 1, 0),
        (0, BASE, 2, 1, 0),
        (1, BASE, 5, 5, 0),
    ]);
    s.issue(0, &[(2, UnitAction::Harvest(Direction::Left))])
        .unwrap();
    run(&mut s, 19);
    assert_eq!(s.unit(2).unwrap().resources, 0);
    run(&mut s, 1);
    assert_eq!(s.unit(2).unwrap().resources, 1, "harvest takes 20 cycles");
    assert_eq!(s.unit(1).unwrap().resources, 1);
    // A worker that carries something cannot harvest again: the order becomes a wait.
    let r = s
        .issue(0, &[(2, UnitAction::Harvest(Direction::Left))])
        .unwrap();
    assert_eq!(r.illegal, 1);
    run(&mut s, 20);
    s.issue(0, &[(2, UnitAction::Return(Direction::Right))])
        .unwrap();
    run(&mut s, 9);
    assert_eq!(s.resources()[0], 5);
    run(&mut s, 1);
    assert_eq!(
        s.resources()[0],
        6,
        "a return takes the worker's move time (10)"
    );
    assert_eq!(s.unit(2).unwrap().resources, 0);
    // The last unit of a resource removes it.
    s.issue(0, &[(2, UnitAction::Harvest(Direction::Left))])
        .unwrap();
    run(&mut s, 20);
    assert!(s.unit(1).is_none(), "an empty resource leaves the map");
    assert!(s.is_free(0, 1));
}

#[test]
fn produce_reserves_the_cost_and_pays_it_when_the_unit_appears() {
    use ids::*;
    let mut s = v2(&[(0, BASE, 2, 2, 0), (1, BASE, 5, 5, 0)]);
    let next = s.next_id();
    s.issue(0, &[(1, UnitAction::Produce(Direction::Down, WORKER))])
        .unwrap();
    assert_eq!(s.resources()[0], 5, "cost is not deducted at issue");
    assert_eq!(s.reservations().spendable[0], 4, "…but it is reserved");
    assert!(
        s.reservations().cells[2 + 3 * 6],
        "and so is the target cell"
    );
    run(&mut s, 49);
    assert!(s.unit_at(2, 3).is_none());
    run(&mut s, 1);
    let w = s.unit_at(2, 3).expect("a worker after 50 cycles");
    assert_eq!((w.kind, w.player, w.id, w.hp), (WORKER, 0, next, 1));
    assert_eq!(s.resources()[0], 4);
    // Not enough resources: illegal, and the base waits the whole produce time.
    let mut s = state_with(
        UnitTypeTable::v2(),
        &[(0, BARRACKS, 2, 2, 0), (1, BASE, 5, 5, 0)],
        2,
    );
    let r = s
        .issue(0, &[(1, UnitAction::Produce(Direction::Up, HEAVY))])
        .unwrap();
    assert_eq!(r.illegal, 1, "a v2 Heavy costs 3");
    assert_eq!(s.assignment(1).unwrap().action, UnitAction::Wait(120));
    // A type the unit cannot produce is illegal too.
    let r = s
        .issue(0, &[(1, UnitAction::Produce(Direction::Up, WORKER))])
        .unwrap();
    assert_eq!(r.illegal, 1);
}

#[test]
fn an_illegal_order_becomes_a_wait_of_the_same_duration() {
    use ids::*;
    let mut s = v2(&[
        (0, WORKER, 1, 1, 0),
        (0, WORKER, 2, 1, 0),
        (1, BASE, 5, 5, 0),
    ]);
    let r = s
        .issue(0, &[(1, UnitAction::Move(Direction::Right))])
        .unwrap();
    assert_eq!(
        r,
        IssueReport {
            illegal: 1,
            ..Default::default()
        }
    );
    assert_eq!(s.assignment(1).unwrap().action, UnitAction::Wait(10));
    run(&mut s, 9);
    assert!(s.is_busy(1), "an illegal move costs 10 idle cycles");
    run(&mut s, 1);
    assert!(!s.is_busy(1));
    assert_eq!(pos(&s, 1), Some((1, 1)));
    // Off the map, and into a wall.
    let mut walls = vec![false; 36];
    walls[1 + 2 * 6] = true;
    let utt = Arc::new(UnitTypeTable::v2());
    let units = vec![
        Unit {
            id: 1,
            player: 0,
            kind: WORKER,
            x: 0,
            y: 0,
            resources: 0,
            hp: 1,
        },
        Unit {
            id: 2,
            player: 0,
            kind: WORKER,
            x: 1,
            y: 1,
            resources: 0,
            hp: 1,
        },
        Unit {
            id: 3,
            player: 1,
            kind: BASE,
            x: 5,
            y: 5,
            resources: 0,
            hp: 10,
        },
    ];
    let mut s = GameState::new(utt, 6, 6, walls, [5, 5], units, 0).unwrap();
    let r = s
        .issue(
            0,
            &[
                (1, UnitAction::Move(Direction::Up)),
                (2, UnitAction::Move(Direction::Down)),
            ],
        )
        .unwrap();
    assert_eq!(r.illegal, 2);
    // Buildings cannot move; workers cannot attack their own side.
    let mut s = v2(&[(0, BASE, 2, 2, 0), (0, WORKER, 2, 3, 0), (1, BASE, 5, 5, 0)]);
    let r = s
        .issue(
            0,
            &[
                (1, UnitAction::Move(Direction::Up)),
                (2, UnitAction::Attack { x: 2, y: 2 }),
            ],
        )
        .unwrap();
    assert_eq!(r.illegal, 2);
}

#[test]
fn same_cycle_conflicts_cancel_both_orders_into_the_shorter_wait() {
    use ids::*;
    // A worker (10) of player 0 and a Light (8) of player 1 both step into (2, 2).
    let mut s = v2(&[(0, WORKER, 1, 2, 0), (1, LIGHT, 3, 2, 0)]);
    s.issue(0, &[(1, UnitAction::Move(Direction::Right))])
        .unwrap();
    let r = s
        .issue(1, &[(2, UnitAction::Move(Direction::Left))])
        .unwrap();
    assert_eq!(r.cancelled, 1);
    assert_eq!(s.assignment(1).unwrap().action, UnitAction::Wait(8));
    assert_eq!(s.assignment(2).unwrap().action, UnitAction::Wait(8));
    run(&mut s, 8);
    assert_eq!((pos(&s, 1), pos(&s, 2)), (Some((1, 2)), Some((3, 2))));
    assert!(!s.is_busy(1) && !s.is_busy(2));
    // Two of one player's own orders clash the same way.
    let mut s = v2(&[
        (0, WORKER, 1, 2, 0),
        (0, WORKER, 3, 2, 0),
        (1, BASE, 5, 5, 0),
    ]);
    let r = s
        .issue(
            0,
            &[
                (1, UnitAction::Move(Direction::Right)),
                (2, UnitAction::Move(Direction::Left)),
            ],
        )
        .unwrap();
    assert_eq!(r.cancelled, 1);
    assert_eq!(s.assignment(1).unwrap().action, UnitAction::Wait(10));
}

#[test]
fn two_produce_orders_that_together_overspend_are_both_cancelled() {
    use ids::*;
    let mut s = state_with(
        UnitTypeTable::v2(),
        &[
            (0, BASE, 1, 1, 0),
            (0, BARRACKS, 4, 1, 0),
            (1, BASE, 5, 5, 0),
        ],
        2,
    );
    let r = s
        .issue(
            0,
            &[
                (1, UnitAction::Produce(Direction::Down, WORKER)),
                (2, UnitAction::Produce(Direction::Down, LIGHT)),
            ],
        )
        .unwrap();
    assert_eq!(
        r.cancelled, 1,
        "1 + 2 > 2 resources, though each alone is affordable"
    );
    assert_eq!(s.assignment(1).unwrap().action, UnitAction::Wait(50));
    assert_eq!(s.assignment(2).unwrap().action, UnitAction::Wait(50));
}

#[test]
fn other_conflict_policies_cancel_only_one_order() {
    use ids::*;
    for policy in [
        ConflictPolicy::CancelRandom,
        ConflictPolicy::CancelAlternating,
    ] {
        let utt = UnitTypeTable::v2().with_conflict_policy(policy);
        let mut s = state_with(utt, &[(0, WORKER, 1, 2, 0), (1, WORKER, 3, 2, 0)], 5);
        s.issue(0, &[(1, UnitAction::Move(Direction::Right))])
            .unwrap();
        s.issue(1, &[(2, UnitAction::Move(Direction::Left))])
            .unwrap();
        let moving = [1, 2]
            .iter()
            .filter(|&&id| matches!(s.assignment(id).unwrap().action, UnitAction::Move(_)))
            .count();
        assert_eq!(moving, 1, "{policy:?} keeps one of the two moves");
        run(&mut s, 10);
        assert!(s.unit_at(2, 2).is_some());
    }
}

#[test]
fn an_order_clashing_with_an_older_action_frees_the_unit_next_cycle() {
    use ids::*;
    let mut s = v2(&[(0, WORKER, 1, 2, 0), (1, WORKER, 3, 2, 0)]);
    s.issue(0, &[(1, UnitAction::Move(Direction::Right))])
        .unwrap();
    s.cycle();
    let r = s
        .issue(1, &[(2, UnitAction::Move(Direction::Left))])
        .unwrap();
    assert_eq!(r.inconsistent, 1);
    assert_eq!(s.assignment(2).unwrap().action, UnitAction::Wait(-1));
    s.cycle();
    assert!(!s.is_busy(2), "none(-1) ends at the next cycle");
    run(&mut s, 8);
    assert_eq!(pos(&s, 1), Some((2, 2)), "the older move goes ahead");
}

#[test]
fn an_order_for_a_busy_unit_replaces_its_action() {
    use ids::*;
    // Re-sending the same produce every cycle: it clashes with the running one (same cell), so
    // the base is freed next cycle and never finishes a worker.
    let mut s = v2(&[(0, BASE, 2, 2, 0), (1, BASE, 5, 5, 0)]);
    for _ in 0..120 {
        let r = s
            .issue(0, &[(1, UnitAction::Produce(Direction::Down, WORKER))])
            .unwrap();
        if s.time() > 0 && r.inconsistent == 0 {
            assert_eq!(r.overwritten, 0);
        }
        s.cycle();
    }
    assert!(s.unit_at(2, 3).is_none());
    assert_eq!(s.resources()[0], 5);
    // A different order simply replaces the running one.
    let mut s = v2(&[(0, WORKER, 1, 1, 0), (1, BASE, 5, 5, 0)]);
    s.issue(0, &[(1, UnitAction::Move(Direction::Right))])
        .unwrap();
    run(&mut s, 5);
    let r = s
        .issue(0, &[(1, UnitAction::Move(Direction::Down))])
        .unwrap();
    assert_eq!(r.overwritten, 1);
    run(&mut s, 9);
    assert_eq!(pos(&s, 1), Some((1, 1)));
    s.cycle();
    assert_eq!(
        pos(&s, 1),
        Some((1, 2)),
        "the new move counts from its own issue time"
    );
}

#[test]
fn attacks_reach_orthogonally_in_melee_and_by_distance_when_ranged() {
    use ids::*;
    let mut s = v2(&[
        (0, LIGHT, 2, 2, 0),
        (1, HEAVY, 3, 3, 0),
        (0, RANGED, 0, 0, 0),
        (1, BASE, 5, 5, 0),
    ]);
    let r = s
        .issue(0, &[(1, UnitAction::Attack { x: 3, y: 3 })])
        .unwrap();
    assert_eq!(r.illegal, 1, "melee does not reach diagonally");
    let mut s = v2(&[
        (0, LIGHT, 2, 3, 0),
        (1, HEAVY, 3, 3, 0),
        (0, RANGED, 0, 1, 0),
        (1, BASE, 5, 5, 0),
    ]);
    let r = s
        .issue(
            0,
            &[
                (1, UnitAction::Attack { x: 3, y: 3 }),
                (3, UnitAction::Attack { x: 3, y: 3 }),
            ],
        )
        .unwrap();
    assert_eq!(r.illegal, 1, "(3,2) away is beyond range 3: 9 + 4 > 9");
    run(&mut s, 4);
    assert_eq!(s.unit(2).unwrap().hp, 8);
    s.cycle();
    assert_eq!(s.unit(2).unwrap().hp, 6, "a Light deals 2 after 5 cycles");
    let mut s = v2(&[
        (1, WORKER, 3, 3, 0),
        (0, RANGED, 0, 1, 0),
        (1, BASE, 5, 5, 0),
    ]);
    let r = s
        .issue(0, &[(2, UnitAction::Attack { x: 2, y: 3 })])
        .unwrap();
    assert_eq!(r.illegal, 1, "attacking an empty cell is illegal");
    let r = s.issue(0, &[(2, UnitAction::Attack { x: 2, y: 3 })]);
    assert!(r.is_ok());
    let mut s = v2(&[
        (1, WORKER, 2, 3, 0),
        (0, RANGED, 0, 1, 0),
        (1, BASE, 5, 5, 0),
    ]);
    let r = s
        .issue(0, &[(2, UnitAction::Attack { x: 2, y: 3 })])
        .unwrap();
    assert_eq!(r.illegal, 0, "4 + 4 ≤ 9");
    run(&mut s, 5);
    assert!(s.unit(1).is_none(), "a kill removes the unit");
}

#[test]
fn an_attack_hits_whatever_stands_on_the_cell_when_it_lands() {
    use ids::*;
    let mut s = v2(&[
        (0, LIGHT, 1, 2, 0),
        (1, WORKER, 2, 2, 0),
        (1, BASE, 5, 5, 0),
    ]);
    s.issue(0, &[(1, UnitAction::Attack { x: 2, y: 2 })])
        .unwrap();
    // The Light's attack (5) lands before the worker's move (10) would take it away.
    s.issue(1, &[(2, UnitAction::Move(Direction::Right))])
        .unwrap();
    run(&mut s, 5);
    assert!(s.unit(2).is_none());
    // A Light (8 to move) gets away from a Heavy's slow swing? No: attacks take 5. But a unit
    // that left before the attack landed is missed.
    let mut s = v2(&[
        (0, WORKER, 1, 2, 0),
        (1, LIGHT, 2, 2, 0),
        (1, BASE, 5, 5, 0),
    ]);
    s.issue(1, &[(2, UnitAction::Move(Direction::Right))])
        .unwrap();
    run(&mut s, 4);
    s.issue(0, &[(1, UnitAction::Attack { x: 2, y: 2 })])
        .unwrap();
    run(&mut s, 5);
    assert_eq!(
        s.unit(2).unwrap().hp,
        4,
        "the Light left at cycle 8; the swing at 9 hit air"
    );
}

#[test]
fn units_killed_in_a_cycle_still_carry_out_actions_that_end_in_it() {
    use ids::*;
    let mut s = v2(&[
        (0, WORKER, 1, 2, 0),
        (1, WORKER, 2, 2, 0),
        (0, BASE, 0, 0, 0),
        (1, BASE, 5, 5, 0),
    ]);
    s.issue(0, &[(1, UnitAction::Attack { x: 2, y: 2 })])
        .unwrap();
    s.issue(1, &[(2, UnitAction::Attack { x: 1, y: 2 })])
        .unwrap();
    run(&mut s, 5);
    assert!(
        s.unit(1).is_none() && s.unit(2).is_none(),
        "both workers die at t = 5"
    );
    assert_eq!(s.time(), 5);
}

#[test]
fn a_killed_units_running_action_is_dropped() {
    use ids::*;
    let mut s = v2(&[
        (0, LIGHT, 1, 2, 0),
        (1, WORKER, 2, 2, 0),
        (1, BASE, 5, 5, 0),
    ]);
    s.issue(0, &[(1, UnitAction::Attack { x: 2, y: 2 })])
        .unwrap();
    s.issue(1, &[(2, UnitAction::Move(Direction::Down))])
        .unwrap();
    run(&mut s, 5);
    assert!(s.assignment(2).is_none());
    run(&mut s, 10);
    assert!(s.unit_at(2, 3).is_none());
}

#[test]
fn the_game_ends_when_at_most_one_player_owns_units() {
    use ids::*;
    let mut s = v2(&[
        (0, LIGHT, 1, 2, 0),
        (1, WORKER, 2, 2, 0),
        (-1, RESOURCE, 5, 5, 10),
    ]);
    assert!(!s.is_over());
    assert_eq!(s.winner(), None);
    s.issue(0, &[(1, UnitAction::Attack { x: 2, y: 2 })])
        .unwrap();
    let mut over = false;
    for _ in 0..5 {
        over = s.cycle();
    }
    assert!(over);
    assert_eq!(s.winner(), Some(0), "resources do not keep a player alive");
    // Both sides wiped out at once: over, and a draw.
    let mut s = v2(&[(0, WORKER, 1, 2, 0), (1, WORKER, 2, 2, 0)]);
    s.issue(0, &[(1, UnitAction::Attack { x: 2, y: 2 })])
        .unwrap();
    s.issue(1, &[(2, UnitAction::Attack { x: 1, y: 2 })])
        .unwrap();
    run(&mut s, 5);
    assert!(s.is_over());
    assert_eq!(s.winner(), None);
}

#[test]
fn orders_for_missing_or_enemy_units_are_refused_before_anything_is_issued() {
    use ids::*;
    let mut s = v2(&[(0, WORKER, 1, 2, 0), (1, WORKER, 4, 4, 0)]);
    let e = s
        .issue(
            0,
            &[
                (1, UnitAction::Move(Direction::Up)),
                (2, UnitAction::Move(Direction::Up)),
            ],
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains("belongs to player 1"), "{e}");
    assert!(!s.is_busy(1), "nothing was issued");
    let e = s
        .issue(0, &[(99, UnitAction::Wait(1))])
        .unwrap_err()
        .to_string();
    assert!(e.contains("no such unit"), "{e}");
}

#[test]
fn partial_observability_hides_units_beyond_sight() {
    use ids::*;
    let s = v2(&[
        (0, WORKER, 0, 0, 0),
        (1, WORKER, 3, 0, 0),
        (1, WORKER, 3, 1, 0),
        (-1, RESOURCE, 5, 5, 5),
    ]);
    let view = s.observed_by(0);
    let ids: Vec<u64> = view.units().iter().map(|u| u.id).collect();
    assert_eq!(
        ids,
        vec![1, 2],
        "sight 3: (3,0) seen, (3,1) at √10 not, nor the resource"
    );
    assert!(view.unit_at(3, 1).is_none());
    assert_eq!(s.observed_by(1).units().len(), 3);
}
