//! Solve times on Pascal Pons' benchmark sets, read from `shared/data/connect4-pons` beside the
//! repository. Ignored by default (it takes minutes); run it in release mode:
//!
//! ```text
//! cargo test --release -p ludus-solver --test timings -- --ignored --nocapture
//! ```
//!
//! `LUDUS_SOLVER_TIMING_N` sets how many positions of each set to solve (default 100) and
//! `LUDUS_SOLVER_TIMING_HARD` how many Beginning-Hard ones (default 5; those with fewer stones
//! take the longest). The transposition table is cleared before each position, as in Pons'
//! published timings, so each number stands alone.

use std::time::Instant;

use ludus_solver::{Position, Solver};

fn shared_file(name: &str) -> String {
    let path = format!(
        "{}/../../../shared/data/connect4-pons/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn env_count(var: &str, default: usize) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Solves the first `count` positions of `file`, checks every score, and prints the average
/// time and node count.
fn time_set(solver: &mut Solver, label: &str, file: &str, count: usize) {
    let text = shared_file(file);
    let mut total_secs = 0.0;
    let mut max_secs: f64 = 0.0;
    let mut slowest = String::new();
    let mut total_nodes = 0;
    let mut n = 0;
    for line in text.lines().take(count) {
        let (moves, score) = line.split_once(' ').expect("`moves score`");
        let score: i32 = score.parse().expect("integer score");
        let pos = Position::from_moves(moves).expect("legal position");
        solver.clear_table();
        solver.reset_nodes();
        let start = Instant::now();
        let got = solver.solve(&pos);
        let secs = start.elapsed().as_secs_f64();
        assert_eq!(got, score, "{file}: {moves}");
        total_secs += secs;
        if secs > max_secs {
            max_secs = secs;
            slowest = moves.to_string();
        }
        total_nodes += solver.nodes();
        n += 1;
    }
    let n_f = n as f64;
    println!(
        "{label:<17} {file:<11} n={n:<4} mean {:>10.3} ms  max {:>10.3} ms  mean nodes {:>12.0}  {:>6.2} Mnodes/s  slowest {slowest} ({} stones)",
        1e3 * total_secs / n_f,
        1e3 * max_secs,
        total_nodes as f64 / n_f,
        total_nodes as f64 / total_secs / 1e6,
        slowest.len(),
    );
}

#[test]
#[ignore = "minutes of CPU; run in release with --ignored --nocapture"]
fn pons_benchmark_timings() {
    let n = env_count("LUDUS_SOLVER_TIMING_N", 100);
    let hard = env_count("LUDUS_SOLVER_TIMING_HARD", 5);
    let mut solver = Solver::default();
    time_set(&mut solver, "End-Easy", "Test_L3_R1", n);
    time_set(&mut solver, "Middle-Easy", "Test_L2_R1", n);
    time_set(&mut solver, "Middle-Medium", "Test_L2_R2", n);
    time_set(&mut solver, "Beginning-Easy", "Test_L1_R1", n);
    time_set(&mut solver, "Beginning-Medium", "Test_L1_R2", n);
    time_set(&mut solver, "Beginning-Hard", "Test_L1_R3", hard);
}

/// Solves the positions listed in `LUDUS_SOLVER_MOVES` (comma-separated move strings) and
/// prints the exact score, the weak score, and the time and nodes of each.
#[test]
#[ignore = "a tool for timing chosen positions; set LUDUS_SOLVER_MOVES"]
fn solve_listed_positions() {
    let list = std::env::var("LUDUS_SOLVER_MOVES").unwrap_or_default();
    let mut solver = Solver::default();
    for moves in list.split(',').filter(|m| !m.trim().is_empty()) {
        let pos = Position::from_moves(moves).expect("legal position");
        solver.clear_table();
        solver.reset_nodes();
        let start = Instant::now();
        let weak = solver.weak_solve(&pos);
        let (weak_secs, weak_nodes) = (start.elapsed().as_secs_f64(), solver.nodes());
        solver.clear_table();
        solver.reset_nodes();
        let start = Instant::now();
        let exact = solver.solve(&pos);
        let secs = start.elapsed().as_secs_f64();
        println!(
            "{moves:<14} weak {weak:>2} ({weak_secs:>8.3} s, {weak_nodes:>11} nodes)  exact {exact:>3} ({secs:>8.3} s, {:>11} nodes)",
            solver.nodes()
        );
    }
}
