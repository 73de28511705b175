//! The built-in evaluation set (`data/connect4-eval.tsv`): its shape, its labels against the
//! solver, and how agents of known strength score on it.

use std::collections::HashSet;

use ludus_baselines::{AlphaBetaAgent, AlphaBetaConfig, DefaultEvaluator, RandomAgent};
use ludus_connect4::ConnectFour;
use ludus_core::{seeded_rng, Agent};
use ludus_solver::eval_set::{PLY_BUCKETS, TSV_HEADER};
use ludus_solver::{
    builtin_eval_set, optimal_move_share, parse_labelled_tsv, EvalSetError, LabelledPosition,
    Position, Solver, SolverAgent, WIDTH,
};
use rand::Rng;

fn data_file(name: &str) -> String {
    let path = format!("{}/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn builtin_set_has_the_promised_shape() {
    let set = builtin_eval_set();
    assert_eq!(set.len(), 1000);
    let mut per_ply = [0; 43];
    for p in set {
        per_ply[usize::from(p.ply())] += 1;
    }
    for (ply, &n) in per_ply.iter().enumerate() {
        let expected = if (8..=30).contains(&ply) {
            43..=44
        } else {
            0..=0
        };
        assert!(expected.contains(&n), "{n} positions with {ply} stones");
    }
    // Every position is distinct, also up to the mirror image, and can tell moves apart.
    let mut seen = HashSet::new();
    for p in set {
        let pos = Position::from_moves(p.moves()).unwrap();
        assert!(
            seen.insert(pos.key().min(pos.mirrored().key())),
            "{} repeats a position",
            p.moves()
        );
        assert!(p.is_informative(), "{}: every move is optimal", p.moves());
        assert!(!p.optimal_columns().is_empty());
    }
    // The file is exactly what the writer prints, and small.
    let text = data_file("data/connect4-eval.tsv");
    let written: String = std::iter::once(TSV_HEADER.to_string())
        .chain(set.iter().map(|p| p.to_string()))
        .map(|line| line + "\n")
        .collect();
    assert_eq!(text, written);
    assert!(text.len() < 100_000, "{} bytes", text.len());
}

#[test]
fn labels_match_the_solver() {
    // Twenty entries with 16 or more stones, where a solve takes milliseconds.
    let deep: Vec<&LabelledPosition> = builtin_eval_set()
        .iter()
        .filter(|p| p.ply() >= 16)
        .collect();
    let mut rng = seeded_rng(2024);
    let mut solver = Solver::new(16);
    for _ in 0..20 {
        let p = deep[rng.random_range(0..deep.len())];
        let scores = solver.analyze(&Position::from_moves(p.moves()).unwrap());
        assert_eq!(
            scores,
            p.scores().map(|s| s.map(i32::from)),
            "{}",
            p.moves()
        );
    }
}

#[test]
fn the_solver_agent_is_always_optimal() {
    // Unlimited budget on the positions with 14 or more stones, where a move takes milliseconds.
    let deep: Vec<LabelledPosition> = builtin_eval_set()
        .iter()
        .filter(|p| p.ply() >= 14)
        .cloned()
        .collect();
    let mut agent = SolverAgent::with_table(1, 32).with_node_budget(None);
    let report = optimal_move_share(&deep, |state| agent.select_action(state)).unwrap();
    assert!(report.total.positions > 700, "{report}");
    assert_eq!(report.total.optimal, report.total.positions, "{report}");
}

#[test]
fn random_and_shallow_search_fall_short() {
    let set = builtin_eval_set();
    let mut random = RandomAgent::new(ConnectFour, 7);
    let random_report = optimal_move_share(set, |s| random.select_action(s)).unwrap();
    let config = AlphaBetaConfig {
        depth: Some(4),
        max_time: None,
    };
    let mut searcher =
        AlphaBetaAgent::new(ConnectFour, config, ConnectFour::default_evaluator(), 7);
    let search_report = optimal_move_share(set, |s| searcher.select_action(s)).unwrap();
    println!("random: {random_report}\nalpha-beta depth 4: {search_report}");
    let (random_share, search_share) = (
        random_report.total.fraction(),
        search_report.total.fraction(),
    );
    assert!(random_share < 0.7, "{random_report}");
    assert!(random_share < search_share, "{search_report}");
    assert!(search_share < 0.95, "{search_report}");
    for (range, share) in search_report.buckets() {
        assert!(share.positions > 300, "{range:?}: {share}");
    }
    assert_eq!(search_report.buckets().map(|(r, _)| r), PLY_BUCKETS);
}

#[test]
fn reads_pons_analysed_files() {
    // Pons' analysed file has extra columns (`set`, `pons_score`, `cpu_s`) after `ply`.
    let set = parse_labelled_tsv(&data_file("tests/data/analyzed_Test_L2_R1.tsv")).unwrap();
    assert_eq!(set.len(), 40);
    assert_eq!(set[0].moves(), "5554224333234511764415115");
    assert_eq!(set[0].ply(), 25);
    assert_eq!(set[0].optimal_columns(), vec![5]);
    // A picker that plays the best-scored column is optimal everywhere.
    let report = optimal_move_share(&set, |state| {
        let p = set.iter().find(|p| p.state() == state).unwrap();
        let best = (0..WIDTH).max_by_key(|&c| p.scores()[c]).unwrap();
        Ok::<_, ()>(best)
    })
    .unwrap();
    assert_eq!(report.total.optimal, 40);
}

#[test]
fn a_corrupted_row_is_reported_by_line() {
    let text = data_file("data/connect4-eval.tsv");
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    // Line 500 of the file: drop the score of its first open column.
    let fields: Vec<&str> = lines[499].split('\t').collect();
    let open = (1..=WIDTH).find(|&i| !fields[i].is_empty()).unwrap();
    let mut broken = fields.clone();
    broken[open] = "";
    lines[499] = broken.join("\t");
    match parse_labelled_tsv(&lines.join("\n")) {
        Err(EvalSetError::BadRow { line, reason }) => {
            assert_eq!(line, 500);
            assert!(reason.contains("open but has no score"), "{reason}");
        }
        other => panic!("expected a bad row, got {other:?}"),
    }
}
