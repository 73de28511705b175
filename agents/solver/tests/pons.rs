//! Exact scores on Pascal Pons' benchmark positions (fixtures in `tests/data`, copied from
//! `shared/data/connect4-pons`).

use ludus_solver::{Position, Solver, WIDTH};

/// Reads a `moves score` file from `tests/data`.
fn load(name: &str) -> Vec<(String, i32)> {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .map(|line| {
            let (moves, score) = line.split_once(' ').expect("`moves score`");
            (moves.to_string(), score.parse().expect("integer score"))
        })
        .collect()
}

/// Solves every position of a fixture and checks the exact score and its sign.
fn check_set(name: &str, expected_lines: usize) {
    let positions = load(name);
    assert_eq!(positions.len(), expected_lines, "{name}");
    let mut solver = Solver::new(16);
    for (moves, score) in positions {
        let pos = Position::from_moves(&moves).expect("benchmark positions are legal");
        assert_eq!(solver.solve(&pos), score, "{name}: {moves}");
        assert_eq!(solver.weak_solve(&pos), score.signum(), "{name}: {moves}");
    }
}

#[test]
fn end_easy() {
    check_set("Test_L3_R1.txt", 100);
}

#[test]
fn middle_easy() {
    check_set("Test_L2_R1.txt", 100);
}

#[test]
fn middle_medium() {
    check_set("Test_L2_R2.txt", 40);
}

#[test]
fn beginning_easy() {
    check_set("Test_L1_R1.txt", 40);
}

#[test]
fn mirrored_positions_score_the_same() {
    let mut solver = Solver::new(16);
    for (moves, score) in load("Test_L2_R1.txt").into_iter().take(30) {
        let pos = Position::from_moves(&moves).unwrap();
        assert_eq!(solver.solve(&pos.mirrored()), score, "mirror of {moves}");
    }
}

/// Every move's score against the `analyzed` file: `moves`, then `s1`..`s7` (empty for a full
/// column), then columns this test ignores.
#[test]
fn analyze_matches_per_move_scores() {
    let path = format!(
        "{}/tests/data/analyzed_Test_L2_R1.tsv",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    assert_eq!(
        &header[..8],
        &["moves", "s1", "s2", "s3", "s4", "s5", "s6", "s7"]
    );
    let mut solver = Solver::new(16);
    let mut checked = 0;
    for line in lines {
        let fields: Vec<&str> = line.split('\t').collect();
        let pos = Position::from_moves(fields[0]).unwrap();
        let expected: Vec<Option<i32>> = fields[1..=WIDTH]
            .iter()
            .map(|f| (!f.is_empty()).then(|| f.parse().unwrap()))
            .collect();
        let scores = solver.analyze(&pos);
        assert_eq!(scores.to_vec(), expected, "{}", fields[0]);
        let best = expected.iter().flatten().max().unwrap();
        let best_moves: Vec<usize> = (0..WIDTH).filter(|&c| expected[c] == Some(*best)).collect();
        assert_eq!(solver.best_moves(&pos), best_moves, "{}", fields[0]);
        checked += 1;
    }
    assert_eq!(checked, 40);
}
