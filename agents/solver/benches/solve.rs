//! Exact solve of the first 20 Beginning-Medium positions (Pons' `Test_L1_R2`: fewer than 14
//! stones played, 14–28 plies from the end), from an empty transposition table each time.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use ludus_solver::{Position, Solver};

fn positions() -> Vec<(Position, i32)> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/Test_L1_R2.txt");
    let text = std::fs::read_to_string(path).expect("fixture file");
    text.lines()
        .map(|line| {
            let (moves, score) = line.split_once(' ').expect("`moves score`");
            (
                Position::from_moves(moves).expect("legal position"),
                score.parse().expect("integer score"),
            )
        })
        .collect()
}

fn bench_solve(c: &mut Criterion) {
    let positions = positions();
    let mut solver = Solver::default();
    let mut group = c.benchmark_group("solve");
    // About 2.5 s per iteration: ten samples need more than criterion's default 5 s.
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(30));
    group.bench_function("beginning_medium_20", |b| {
        b.iter(|| {
            for (pos, score) in &positions {
                solver.clear_table();
                assert_eq!(solver.solve(pos), *score);
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench_solve);
criterion_main!(benches);
