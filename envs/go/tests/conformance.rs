//! The shared conformance suite on several board sizes, and a proptest over seeds.

use ludus_core::conformance::{check_game, check_playout};
use ludus_go::{Go, GoConfig};
use proptest::prelude::*;

fn go(size: usize) -> Go {
    Go::new(GoConfig {
        size,
        ..GoConfig::default()
    })
    .unwrap()
}

#[test]
fn conformance_9x9() {
    check_game(&Go::default(), 200, 9);
}

#[test]
fn conformance_5x5() {
    check_game(&go(5), 300, 5);
}

#[test]
fn conformance_other_sizes() {
    check_game(&go(13), 4, 13);
    check_game(&go(19), 3, 19);
    // A whole-number komi allows draws; a short cap truncates most games.
    let game = Go::new(GoConfig {
        size: 6,
        komi: 0.0,
        max_moves: Some(30),
    })
    .unwrap();
    check_game(&game, 100, 6);
}

proptest! {
    #[test]
    fn any_seed_plays_a_conforming_5x5_game(seed in any::<u64>()) {
        check_playout(&go(5), seed);
    }
}
