//! Behaviour of PUCT and Gumbel search: tactics, optimality with a perfect evaluator, policy
//! improvement, tree reuse, batching and errors.

use std::collections::HashMap;

use ludus_connect4::{ConnectFour, ConnectFourState};
use ludus_core::{seeded_rng, Action, Game, GameState};
use ludus_search::{
    Algorithm, Evaluation, Evaluator, RolloutEvaluator, Search, SearchConfig, SearchError,
};
use ludus_solver::{Position, Solver};
use ludus_tictactoe::{TicTacToe, TicTacToeState};
use rand::Rng;

/// Exact tic-tac-toe values by memoised negamax: the perfect evaluator.
#[derive(Default)]
struct Oracle {
    memo: HashMap<u64, f32>,
}

impl Oracle {
    fn value(&mut self, state: &TicTacToeState) -> f32 {
        if state.is_terminal() {
            return state.player_return(state.to_play());
        }
        if let Some(&v) = self.memo.get(&state.position_hash()) {
            return v;
        }
        let mut legal = Vec::new();
        state.legal_actions(&mut legal);
        let best = legal
            .iter()
            .map(|&a| self.child_value(state, a))
            .fold(f32::NEG_INFINITY, f32::max);
        self.memo.insert(state.position_hash(), best);
        best
    }

    /// The value of playing `action` for the player to move in `state`.
    fn child_value(&mut self, state: &TicTacToeState, action: Action) -> f32 {
        let mut next = state.clone();
        next.apply_unchecked(action);
        let v = self.value(&next);
        if next.is_terminal() {
            next.player_return(state.to_play())
        } else {
            -v
        }
    }

    fn optimal(&mut self, state: &TicTacToeState) -> Vec<Action> {
        let mut legal = Vec::new();
        state.legal_actions(&mut legal);
        let values: Vec<f32> = legal.iter().map(|&a| self.child_value(state, a)).collect();
        let best = values.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        legal
            .into_iter()
            .zip(values)
            .filter(|&(_, v)| v == best)
            .map(|(a, _)| a)
            .collect()
    }
}

/// A prior for a position.
type PriorFn = Box<dyn FnMut(&TicTacToeState) -> Vec<f32>>;

/// Perfect values with a uniform (or given) prior.
struct OracleEvaluator {
    oracle: Oracle,
    prior: Option<PriorFn>,
}

impl Evaluator<TicTacToe> for OracleEvaluator {
    fn evaluate(
        &mut self,
        states: &[&TicTacToeState],
        out: &mut Vec<Evaluation>,
    ) -> Result<(), SearchError> {
        for s in states {
            let policy = match &mut self.prior {
                Some(f) => f(s),
                None => vec![1.0; 9],
            };
            out.push(Evaluation {
                policy,
                value: self.oracle.value(s),
            });
        }
        Ok(())
    }
}

fn reachable_tictactoe() -> Vec<TicTacToeState> {
    let mut seen = HashMap::new();
    let mut stack = vec![TicTacToe.initial_state()];
    let mut legal = Vec::new();
    while let Some(s) = stack.pop() {
        if s.is_terminal() || seen.insert(s.position_hash(), s.clone()).is_some() {
            continue;
        }
        s.legal_actions(&mut legal);
        for &a in &legal {
            let mut n = s.clone();
            n.apply_unchecked(a);
            stack.push(n);
        }
    }
    let mut states: Vec<_> = seen.into_values().collect();
    states.sort_by_key(|s| s.position_hash());
    states
}

#[test]
fn with_a_perfect_evaluator_every_choice_is_optimal() {
    let states = reachable_tictactoe();
    assert_eq!(states.len(), 4520);
    // Means average over the opponent's explored replies, blunders included, so a search needs
    // enough simulations to concentrate on best replies (PUCT at 32 or Gumbel at 16 leave a few
    // positions wrong).
    for config in [SearchConfig::puct(100), SearchConfig::gumbel(64)] {
        let mut evaluator = OracleEvaluator {
            oracle: Oracle::default(),
            prior: None,
        };
        let mut oracle = Oracle::default();
        let mut wrong = 0;
        for (i, s) in states.iter().enumerate() {
            let mut search = Search::new(TicTacToe, config.clone(), i as u64).unwrap();
            search.set_root(s.clone());
            let outcome = search.run(&mut evaluator, false).unwrap();
            if !oracle.optimal(s).contains(&outcome.best_action) {
                wrong += 1;
            }
        }
        assert_eq!(
            wrong, 0,
            "{:?}: {wrong} non-optimal choices",
            config.algorithm
        );
    }
}

/// Connect Four positions given as column digits, with the solver's verdict checked first.
fn c4(moves: &str) -> ConnectFourState {
    ConnectFourState::from_moves(moves).unwrap()
}

fn solver_best(state: &ConnectFourState) -> Vec<Action> {
    let (current, mask) = state.bitboards();
    let pos = Position::from_bitboards(current, mask).unwrap();
    Solver::new(16).best_moves(&pos)
}

#[test]
fn finds_connect_four_tactics_with_rollouts() {
    // Win at once (columns 3 or 7); block the only threat (column 4); and positions sampled by
    // random play where the mover has a forced win with at most three more of its stones.
    let mut cases = vec![c4("445566"), c4("17273")];
    let mut rng = seeded_rng(11);
    let mut solver = Solver::new(16);
    let mut scratch = Vec::new();
    while cases.len() < 40 {
        let mut s = ConnectFour.initial_state();
        let plies = rng.random_range(10..24);
        for _ in 0..plies {
            match s.random_legal_action(&mut rng, &mut scratch) {
                Some(a) if !s.is_winning_move(a) => s.apply_unchecked(a),
                _ => break,
            }
        }
        if s.is_terminal() || s.move_number() != plies {
            continue;
        }
        let (current, mask) = s.bitboards();
        let score = solver.solve(&Position::from_bitboards(current, mask).unwrap());
        // Score 22 − (the mover's stones at its win); the mover has ⌊plies/2⌋ stones now.
        let stones = s.move_number() / 2;
        let immediate = (0..7).any(|a| s.is_legal(a) && s.is_winning_move(a));
        if !immediate && score > 0 && 22 - score <= stones as i32 + 3 {
            cases.push(s);
        }
    }
    // PUCT on random rollouts must find every one. Gumbel search trusts its prior below the
    // root, which a uniform prior makes a weak tactician; it must still find nearly all.
    for (algorithm, allowed_misses) in [(Algorithm::Puct, 0), (Algorithm::Gumbel, 4)] {
        let config = SearchConfig {
            algorithm,
            simulations: 3000,
            leaves_per_batch: 8,
            ..SearchConfig::default()
        };
        let mut missed = Vec::new();
        for (i, state) in cases.iter().enumerate() {
            let best = solver_best(state);
            let mut search = Search::new(ConnectFour, config.clone(), i as u64).unwrap();
            search.set_root(state.clone());
            let mut evaluator = RolloutEvaluator::new(ConnectFour, 1, i as u64);
            let outcome = search.run(&mut evaluator, false).unwrap();
            if !best.contains(&outcome.best_action) {
                missed.push(i);
            }
        }
        assert!(
            missed.len() <= allowed_misses && !missed.contains(&0) && !missed.contains(&1),
            "{algorithm:?} missed cases {missed:?}"
        );
    }
}

#[test]
fn proven_positions_stop_the_search_and_target_the_proven_moves() {
    // The mover can win at once: the root is proven at its first evaluation.
    let mut search = Search::new(ConnectFour, SearchConfig::puct(400), 3).unwrap();
    search.set_root(c4("445566"));
    let mut evaluator = RolloutEvaluator::new(ConnectFour, 1, 3);
    let outcome = search.run(&mut evaluator, false).unwrap();
    assert_eq!(outcome.simulations, 0);
    assert_eq!(outcome.root_value, 1.0);
    assert!([2, 6].contains(&outcome.best_action));
    assert_eq!(outcome.policy_target[2], 0.5);
    assert_eq!(outcome.policy_target[6], 0.5);
    // Every move but the block loses at once: the others are proven lost, the block is chosen.
    let mut search = Search::new(ConnectFour, SearchConfig::gumbel(50), 3).unwrap();
    search.set_root(c4("17273"));
    let outcome = search.run(&mut evaluator, false).unwrap();
    assert_eq!(outcome.best_action, 3);
    let lost = outcome
        .children
        .iter()
        .filter(|c| c.value == Some(-1.0))
        .count();
    assert_eq!(lost, 6, "{outcome:?}");
}

#[test]
fn gumbel_improves_a_random_prior_with_few_simulations() {
    // A random prior (Dirichlet-like) and the exact values: the improved policy target must put
    // more probability on good moves than the prior did — the paper's policy-improvement claim,
    // measured as the expected exact value of a move drawn from each policy.
    let states = reachable_tictactoe();
    let mut prior_rng = seeded_rng(5);
    let priors: HashMap<u64, Vec<f32>> = states
        .iter()
        .map(|s| {
            let p: Vec<f32> = (0..9)
                .map(|_| -(prior_rng.random::<f32>().max(1e-6)).ln())
                .collect();
            (s.position_hash(), p)
        })
        .collect();
    let priors_for_eval = priors.clone();
    let mut evaluator = OracleEvaluator {
        oracle: Oracle::default(),
        prior: Some(Box::new(move |s: &TicTacToeState| {
            priors_for_eval[&s.position_hash()].clone()
        })),
    };
    let mut oracle = Oracle::default();
    let (mut prior_value, mut improved_value, mut worse) = (0.0f64, 0.0f64, 0);
    let mut legal = Vec::new();
    for (i, s) in states.iter().enumerate() {
        s.legal_actions(&mut legal);
        if legal.len() < 2 {
            continue;
        }
        let mut search = Search::new(TicTacToe, SearchConfig::gumbel(4), i as u64).unwrap();
        search.set_root(s.clone());
        let outcome = search.run(&mut evaluator, true).unwrap();
        let prior = &priors[&s.position_hash()];
        let prior_sum: f32 = legal.iter().map(|&a| prior[a]).sum();
        let (mut pv, mut iv) = (0.0, 0.0);
        for &a in &legal {
            let q = oracle.child_value(s, a) as f64;
            pv += (prior[a] / prior_sum) as f64 * q;
            iv += outcome.policy_target[a] as f64 * q;
        }
        prior_value += pv;
        improved_value += iv;
        if iv < pv - 1e-6 {
            worse += 1;
        }
    }
    let n = states.len() as f64;
    assert!(
        improved_value / n > prior_value / n + 0.2,
        "prior {:.3} improved {:.3}",
        prior_value / n,
        improved_value / n
    );
    assert_eq!(
        worse, 0,
        "the improved policy was worse than the prior somewhere"
    );
}

#[test]
fn tree_reuse_keeps_the_subtree_of_the_move_played() {
    let mut search = Search::new(ConnectFour, SearchConfig::puct(500), 1).unwrap();
    let mut evaluator = RolloutEvaluator::new(ConnectFour, 1, 1);
    let outcome = search.run(&mut evaluator, false).unwrap();
    let best = outcome.best_action;
    let visits = outcome
        .children
        .iter()
        .find(|c| c.action == best)
        .unwrap()
        .visits;
    let before = search.tree_size();
    search.advance(best).unwrap();
    assert!(search.tree_size() < before);
    search.begin(false).unwrap();
    // Nothing to gather for the root: it is already expanded and keeps its visits.
    let mut leaves = Vec::new();
    search.gather(&mut leaves);
    assert_eq!(leaves.len(), 1, "one new leaf, not a root evaluation");
    let mut evals = Vec::new();
    let refs: Vec<_> = leaves.iter().collect();
    evaluator.evaluate(&refs, &mut evals).unwrap();
    search.deliver(&evals).unwrap();
    while !search.finished() {
        leaves.clear();
        evals.clear();
        search.gather(&mut leaves);
        let refs: Vec<_> = leaves.iter().collect();
        evaluator.evaluate(&refs, &mut evals).unwrap();
        search.deliver(&evals).unwrap();
    }
    let second = search.outcome();
    let total: u32 = second.children.iter().map(|c| c.visits).sum();
    assert_eq!(second.simulations, 500);
    assert!(
        total as usize >= 500 + visits as usize - 1,
        "{total} visits after reuse of {visits}"
    );
    // The reused root's value is from its own mover's view: the opponent of the first root.
    let first_q = outcome
        .children
        .iter()
        .find(|c| c.action == best)
        .unwrap()
        .value;
    assert!((second.root_value + first_q.unwrap()).abs() < 0.2);
    // An illegal move is refused and changes nothing.
    let err = search.advance(99).unwrap_err();
    assert!(err.to_string().contains("not legal"));
}

#[test]
fn virtual_loss_spreads_one_batch_over_distinct_leaves() {
    let config = SearchConfig {
        leaves_per_batch: 16,
        ..SearchConfig::puct(200)
    };
    let mut search = Search::new(ConnectFour, config, 2).unwrap();
    let mut evaluator = RolloutEvaluator::new(ConnectFour, 1, 2);
    search.begin(false).unwrap();
    let mut leaves = Vec::new();
    assert_eq!(search.gather(&mut leaves), 1, "the root is evaluated first");
    let mut evals = Vec::new();
    evaluator.evaluate(&[&leaves[0]], &mut evals).unwrap();
    search.deliver(&evals).unwrap();
    leaves.clear();
    let n = search.gather(&mut leaves);
    assert!(n >= 7, "only {n} leaves in the first batch");
    let mut hashes: Vec<u64> = leaves.iter().map(|s| s.position_hash()).collect();
    hashes.sort_unstable();
    hashes.dedup();
    assert_eq!(hashes.len(), n, "a leaf was sent twice");
    // Delivering the wrong number of evaluations is an error, not a corrupted tree.
    let err = search.deliver(&[]).unwrap_err();
    assert!(err.to_string().contains("evaluations delivered"));
}

#[test]
fn searches_are_reproducible_and_explore_when_asked() {
    let run = |seed: u64, explore: bool, algorithm: Algorithm| {
        let config = SearchConfig {
            algorithm,
            ..SearchConfig::puct(100)
        };
        let mut search = Search::new(ConnectFour, config, seed).unwrap();
        let mut evaluator = RolloutEvaluator::new(ConnectFour, 1, seed);
        search.run(&mut evaluator, explore).unwrap()
    };
    for algorithm in [Algorithm::Puct, Algorithm::Gumbel] {
        assert_eq!(run(4, true, algorithm), run(4, true, algorithm));
        let priors: Vec<f32> = run(4, true, algorithm)
            .children
            .iter()
            .map(|c| c.prior)
            .collect();
        if algorithm == Algorithm::Puct {
            // Dirichlet noise moves the uniform prior.
            assert!(priors.iter().any(|&p| (p - 1.0 / 7.0).abs() > 1e-3));
        }
    }
    // Without exploration a Gumbel search keeps the prior as it is.
    let quiet = run(4, false, Algorithm::Gumbel);
    assert!(quiet
        .children
        .iter()
        .all(|c| (c.prior - 1.0 / 7.0).abs() < 1e-6));
}

#[test]
fn temperature_samples_in_proportion_to_visits() {
    let mut search = Search::new(ConnectFour, SearchConfig::puct(300), 9).unwrap();
    let mut evaluator = RolloutEvaluator::new(ConnectFour, 1, 9);
    let outcome = search.run(&mut evaluator, false).unwrap();
    let mut counts = [0usize; 7];
    for _ in 0..3000 {
        counts[search.choose_action(&outcome, 1.0)] += 1;
    }
    for c in &outcome.children {
        let expected = c.visits as f64 / 300.0;
        let got = counts[c.action] as f64 / 3000.0;
        assert!((expected - got).abs() < 0.04, "{counts:?} vs {outcome:?}");
    }
    assert_eq!(search.choose_action(&outcome, 0.0), outcome.best_action);
}

#[test]
fn random_moves_are_uniform_but_never_proven_losses() {
    // From the start every column is open: each is drawn about equally often.
    let mut search = Search::new(ConnectFour, SearchConfig::puct(100), 4).unwrap();
    let mut evaluator = RolloutEvaluator::new(ConnectFour, 1, 4);
    let outcome = search.run(&mut evaluator, false).unwrap();
    let mut counts = [0usize; 7];
    for _ in 0..7000 {
        counts[search.random_action(&outcome)] += 1;
    }
    assert!(
        counts.iter().all(|&n| (850..1150).contains(&n)),
        "{counts:?}"
    );
    // Every move but the block loses at once: a random move is still the block.
    let mut search = Search::new(ConnectFour, SearchConfig::gumbel(50), 4).unwrap();
    search.set_root(c4("17273"));
    let outcome = search.run(&mut evaluator, false).unwrap();
    for _ in 0..50 {
        assert_eq!(search.random_action(&outcome), 3);
    }
}

#[test]
fn bad_configs_and_finished_games_are_clear_errors() {
    let toml_text = "algorithm = \"gumbel\"\nsimulations = 32\n";
    let config: SearchConfig = toml::from_str(toml_text).unwrap();
    assert_eq!(config.algorithm, Algorithm::Gumbel);
    assert_eq!(config.simulations, 32);
    let err = toml::from_str::<SearchConfig>("simulatons = 3").unwrap_err();
    assert!(err.to_string().contains("simulatons"));
    let err = Search::new(TicTacToe, SearchConfig::puct(0), 0).unwrap_err();
    assert!(err.to_string().contains("search.simulations"));
    let mut search = Search::new(TicTacToe, SearchConfig::puct(10), 0).unwrap();
    let over = TicTacToe
        .play_moves(&["a1", "b1", "a2", "b2", "a3"])
        .unwrap();
    search.set_root(over);
    assert_eq!(search.begin(false), Err(SearchError::GameOver));
}

#[test]
fn non_finite_values_are_rejected() {
    struct Nan;
    impl Evaluator<TicTacToe> for Nan {
        fn evaluate(
            &mut self,
            states: &[&TicTacToeState],
            out: &mut Vec<Evaluation>,
        ) -> Result<(), SearchError> {
            out.extend(states.iter().map(|_| Evaluation {
                policy: vec![1.0; 9],
                value: f32::NAN,
            }));
            Ok(())
        }
    }
    let mut search = Search::new(TicTacToe, SearchConfig::puct(10), 0).unwrap();
    let err = search.run(&mut Nan, false).unwrap_err();
    assert!(err.to_string().contains("non-finite"));
}

#[test]
fn a_reused_proven_subtree_keeps_its_value_from_the_new_movers_view() {
    // O must block column 4; after searching, O plays column 1 instead. The kept subtree is
    // proven won for X, and must read +1 from X's side, with the win chosen.
    let mut search = Search::new(ConnectFour, SearchConfig::puct(200), 1).unwrap();
    search.set_root(c4("17273"));
    let mut evaluator = RolloutEvaluator::new(ConnectFour, 1, 1);
    search.run(&mut evaluator, false).unwrap();
    search.advance(0).unwrap();
    let outcome = search.run(&mut evaluator, false).unwrap();
    assert_eq!(outcome.root_value, 1.0);
    assert_eq!(outcome.best_action, 3);
    assert_eq!(outcome.simulations, 0, "a proven root needs no simulation");
}
