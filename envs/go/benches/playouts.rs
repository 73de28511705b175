//! Random-playout throughput in plies per second, on 9×9 and 19×19 with default rules (the
//! 2 × N² move cap and positional superko included).
//!
//! Also the cost of one clone of a mid-game state.
//!
//! `cargo bench -p ludus-go -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ludus_core::{random_playout, seeded_rng, Game, GameState};
use ludus_go::{Go, GoConfig};

/// Playouts per timed batch.
const GAMES: u64 = 100;

/// Plays the seeded batch and returns its total plies.
fn batch(go: &Go, scratch: &mut Vec<usize>) -> usize {
    let start = go.initial_state();
    (0..GAMES)
        .map(|seed| {
            let mut rng = seeded_rng(seed);
            random_playout(black_box(&start), &mut rng, scratch).1
        })
        .sum()
}

fn playouts(c: &mut Criterion) {
    let mut group = c.benchmark_group("go_random_playouts");
    // Pinned totals: a rules change that alters random games shows up here as a failure.
    for (size, expected_plies) in [(9, 12071), (19, 58825)] {
        let go = Go::new(GoConfig {
            size,
            ..GoConfig::default()
        })
        .expect("valid size");
        let mut scratch = Vec::new();
        let plies = batch(&go, &mut scratch);
        assert_eq!(
            plies, expected_plies,
            "{size}x{size}: total plies of {GAMES} seeded playouts"
        );
        group.throughput(Throughput::Elements(plies as u64));
        group.bench_function(format!("{size}x{size}_{GAMES}_games"), |b| {
            b.iter(|| assert_eq!(batch(&go, &mut scratch), plies));
        });
    }
    group.finish();
}

/// Search clones a state per simulation: time one clone of a position 60 plies in (the fixed
/// arrays plus a 60-entry superko history at most).
fn clone_midgame(c: &mut Criterion) {
    let mut group = c.benchmark_group("go_clone");
    for size in [9, 19] {
        let go = Go::new(GoConfig {
            size,
            ..GoConfig::default()
        })
        .expect("valid size");
        let mut rng = seeded_rng(1);
        let mut state = go.initial_state();
        for _ in 0..60 {
            let action = state
                .random_legal_action(&mut rng, &mut Vec::new())
                .expect("60 plies fit in the move cap");
            state.apply_unchecked(action);
        }
        group.bench_function(format!("{size}x{size}_after_60_plies"), |b| {
            b.iter(|| black_box(&state).clone());
        });
    }
    group.finish();
}

criterion_group!(benches, playouts, clone_midgame);
criterion_main!(benches);
