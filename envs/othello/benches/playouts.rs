//! Random-playout and perft throughput.
//!
//! `cargo bench -p ludus-othello -- --warm-up-time 1 --measurement-time 3`; the playout group
//! reports plies per second. Each iteration checks its result against the pinned count, so a
//! rules change cannot silently speed the benchmark up.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ludus_core::{perft, seeded_playouts, Game};
use ludus_othello::Othello;

/// Playouts per iteration, all from the start with one generator seeded by `SEED`.
const PLAYOUTS: usize = 1000;
const SEED: u64 = 2024;
/// Plies in those playouts (passes included); pinned so a rules change shows up here.
const EXPECTED_PLIES: usize = 60_433;

fn playouts() -> usize {
    seeded_playouts(&Othello.initial_state(), PLAYOUTS, SEED)
}

fn bench(c: &mut Criterion) {
    let total = playouts();
    assert_eq!(total, EXPECTED_PLIES, "seeded playouts changed length");
    let mut group = c.benchmark_group("othello");
    group.throughput(Throughput::Elements(total as u64));
    group.bench_function("random_playouts_x1000", |b| {
        b.iter(|| assert_eq!(black_box(playouts()), EXPECTED_PLIES))
    });
    let start = Othello.initial_state();
    group.throughput(Throughput::Elements(390_216));
    group.bench_function("perft_8", |b| {
        b.iter(|| assert_eq!(perft(black_box(&start), 8), 390_216))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
