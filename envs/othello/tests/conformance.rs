//! The shared conformance suite, over many seeded playouts and over arbitrary seeds.

use ludus_core::conformance::{check_game, check_playout};
use ludus_othello::Othello;
use proptest::prelude::*;

#[test]
fn conformance_over_seeded_playouts() {
    check_game(&Othello, 3000, 0x07E1);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn conformance_for_any_seed(seed in any::<u64>()) {
        check_playout(&Othello, seed);
    }
}
