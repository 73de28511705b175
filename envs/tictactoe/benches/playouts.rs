//! Random-playout throughput: seeded uniform playouts from the empty grid, counted in plies.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ludus_core::{seeded_playouts, Game};
use ludus_tictactoe::TicTacToe;

/// Playouts per benchmark iteration, all from one seeded generator.
const PLAYOUTS: usize = 10_000;
const SEED: u64 = 2024;
/// The total plies of those playouts: pinned so a rules or generator change shows up here.
const EXPECTED_PLIES: usize = 76_303;

fn run_playouts() -> usize {
    seeded_playouts(&TicTacToe.initial_state(), PLAYOUTS, SEED)
}

fn playouts(c: &mut Criterion) {
    let plies = run_playouts();
    assert_eq!(plies, EXPECTED_PLIES, "seeded playouts changed length");
    let mut group = c.benchmark_group("tictactoe");
    group.throughput(Throughput::Elements(plies as u64));
    group.bench_function("random_playouts", |b| {
        b.iter(|| assert_eq!(run_playouts(), EXPECTED_PLIES))
    });
    group.finish();
}

criterion_group!(benches, playouts);
criterion_main!(benches);
