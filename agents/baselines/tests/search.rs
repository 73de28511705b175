//! Behaviour of the three agents on small, known positions.

mod common;

use std::time::{Duration, Instant};

use ludus_baselines::{
    AlphaBetaAgent, AlphaBetaConfig, DefaultEvaluator, Evaluator, MctsAgent, MctsConfig,
    RandomAgent, ZeroEvaluator, MATE,
};
use ludus_connect4::ConnectFour;
use ludus_core::{derive_seed, seeded_rng, Action, Agent, Game, GameState};
use ludus_othello::Othello;
use ludus_tictactoe::TicTacToe;
use rand::Rng;

/// Plays `actions` (action numbers) from the start.
fn position<G: Game>(game: &G, actions: &[Action]) -> G::State {
    let mut state = game.initial_state();
    for &a in actions {
        state
            .apply(a)
            .unwrap_or_else(|e| panic!("{a}: {e}\n{state}"));
    }
    state
}

fn mcts<G: Game>(game: G, simulations: usize, seed: u64) -> MctsAgent<G> {
    let config = MctsConfig {
        simulations,
        ..MctsConfig::default()
    };
    MctsAgent::new(game, config, seed)
}

fn alphabeta<G: Game, E: Evaluator<G>>(
    game: G,
    depth: u32,
    eval: E,
    seed: u64,
) -> AlphaBetaAgent<G, E> {
    let config = AlphaBetaConfig {
        depth: Some(depth),
        max_time: None,
    };
    AlphaBetaAgent::new(game, config, eval, seed)
}

// ---------------------------------------------------------------------------------------------
// Random agent

fn random_games<G: Game>(game: &G, seed: u64, games: usize) -> Vec<Vec<Action>> {
    let mut a = RandomAgent::new(game.clone(), seed);
    let mut b = RandomAgent::new(game.clone(), derive_seed(seed, 1));
    (0..games)
        .map(|i| common::play(game, &mut [&mut a, &mut b], derive_seed(seed, i as u64)).1)
        .collect()
}

#[test]
fn random_agent_plays_legal_moves_reproducibly() {
    fn check<G: Game>(game: G) {
        // `common::play` asserts that every move is legal.
        let first = random_games(&game, 7, 20);
        assert_eq!(
            first,
            random_games(&game, 7, 20),
            "{}: same seed",
            game.name()
        );
        assert_ne!(
            first,
            random_games(&game, 8, 20),
            "{}: other seed",
            game.name()
        );
        let distinct: std::collections::HashSet<_> = first.iter().collect();
        assert!(distinct.len() > 10, "{}: games hardly vary", game.name());
    }
    check(TicTacToe);
    check(ConnectFour);
    check(Othello);
    check(ludus_go::Go::default());
}

#[test]
fn random_agent_is_uniform() {
    let state = TicTacToe.initial_state();
    let mut agent = RandomAgent::new(TicTacToe, 3);
    let mut counts = [0u32; 9];
    for _ in 0..9000 {
        counts[agent.select_action(&state).unwrap()] += 1;
    }
    // 1000 expected per cell; ±150 is about 5 standard deviations.
    assert!(
        counts.iter().all(|&c| (850..1150).contains(&c)),
        "{counts:?}"
    );
    let end = position(&TicTacToe, &[0, 3, 1, 4, 2]);
    assert!(agent.select_action(&end).is_err());
}

// ---------------------------------------------------------------------------------------------
// MCTS

/// The choice of MCTS with `sims` simulations, over several seeds.
fn mcts_choices<G: Game>(game: G, state: &G::State, sims: usize) -> Vec<Action> {
    (0..5)
        .map(|seed| mcts(game.clone(), sims, seed).select_action(state).unwrap())
        .collect()
}

#[test]
fn mcts_wins_and_blocks_in_one_at_tictactoe() {
    // X: a1 b1, O: a2 b2, X to move: c1 wins (O threatens c2).
    let win = position(&TicTacToe, &[0, 3, 1, 4]);
    assert_eq!(mcts_choices(TicTacToe, &win, 1000), [2; 5]);
    // X: a1 b1, O: b2, O to move: only c1 stops X.
    let block = position(&TicTacToe, &[0, 4, 1]);
    assert_eq!(mcts_choices(TicTacToe, &block, 1000), [2; 5]);
}

#[test]
fn mcts_wins_and_blocks_in_one_at_connect4() {
    // X on columns 1–3 of the bottom row, O on top of them: X completes with column 4.
    let win = position(&ConnectFour, &[0, 0, 1, 1, 2, 2]);
    assert_eq!(mcts_choices(ConnectFour, &win, 2000), [3; 5]);
    // Same threat, O to move with two discs in column 7: O must block column 4.
    let block = position(&ConnectFour, &[0, 6, 1, 6, 2]);
    assert_eq!(mcts_choices(ConnectFour, &block, 2000), [3; 5]);
    // A vertical threat: X has three in column 3, O must cap it.
    let cap = position(&ConnectFour, &[2, 0, 2, 6, 2]);
    assert_eq!(mcts_choices(ConnectFour, &cap, 2000), [2; 5]);
}

#[test]
fn mcts_stats_account_for_every_simulation() {
    let state = position(&ConnectFour, &[3, 3]);
    let mut agent = mcts(ConnectFour, 3000, 11);
    let action = agent.select_action(&state).unwrap();
    let stats = agent.last_stats().unwrap().clone();
    assert_eq!(stats.simulations, 3000);
    assert_eq!(stats.best_action, action);
    assert_eq!(stats.children.len(), 7);
    let visits = stats.visit_counts(7);
    assert_eq!(
        visits.iter().sum::<u32>(),
        3000,
        "each simulation passes one root child"
    );
    assert_eq!(visits[action], *visits.iter().max().unwrap());
    assert!(stats.root_value.abs() <= 1.0);
    // The root value is the visit-weighted mean of the children's values.
    let weighted: f64 = stats
        .children
        .iter()
        .map(|c| c.value * f64::from(c.visits))
        .sum::<f64>()
        / 3000.0;
    assert!((weighted - stats.root_value).abs() < 1e-9);
    assert!(stats.simulations_per_sec() > 0.0);
    // Same seed, same search.
    let mut again = mcts(ConnectFour, 3000, 11);
    again.select_action(&state).unwrap();
    assert_eq!(again.last_stats().unwrap().children, stats.children);
}

#[test]
fn mcts_uses_exact_terminal_returns() {
    // With X to move and a win in one, the winning child is terminal: every visit scores +1.
    let win = position(&TicTacToe, &[0, 3, 1, 4]);
    let mut agent = mcts(TicTacToe, 500, 1);
    agent.select_action(&win).unwrap();
    let stats = agent.last_stats().unwrap();
    let child = stats.children.iter().find(|c| c.action == 2).unwrap();
    assert!(child.visits > 250);
    assert_eq!(child.value, 1.0);
}

#[test]
fn mcts_respects_a_time_limit() {
    let config = MctsConfig {
        simulations: usize::MAX,
        max_time: Some(Duration::from_millis(40)),
        ..MctsConfig::default()
    };
    let mut agent = MctsAgent::new(Othello, config, 5);
    let state = Othello.initial_state();
    let start = Instant::now();
    let action = agent.select_action(&state).unwrap();
    assert!(
        start.elapsed() < Duration::from_millis(400),
        "{:?}",
        start.elapsed()
    );
    assert!(state.is_legal(action));
    assert!(agent.last_stats().unwrap().simulations > 10);
}

// ---------------------------------------------------------------------------------------------
// Alpha-beta

/// Every reply of the opponent, at every turn, against `agent`'s choices, to the end; returns the
/// number of games and panics on a loss.
fn never_loses<E: Evaluator<TicTacToe>>(
    agent: &mut AlphaBetaAgent<TicTacToe, E>,
    state: ludus_tictactoe::TicTacToeState,
    seat: usize,
    legal: &mut Vec<Action>,
) -> usize {
    if state.is_terminal() {
        assert!(
            state.player_return(seat) >= 0.0,
            "alpha-beta lost:\n{state}"
        );
        return 1;
    }
    if state.to_play() == seat {
        let action = agent.select_action(&state).unwrap();
        let stats = agent.last_stats().unwrap();
        // Tic-tac-toe is a draw, and from a position alpha-beta chose, never worse.
        assert!(stats.score >= 0, "score {} in\n{state}", stats.score);
        let mut child = state.clone();
        child.apply_unchecked(action);
        never_loses(agent, child, seat, legal)
    } else {
        state.legal_actions(legal);
        let replies = legal.clone();
        replies
            .into_iter()
            .map(|a| {
                let mut child = state.clone();
                child.apply_unchecked(a);
                never_loses(agent, child, seat, legal)
            })
            .sum()
    }
}

#[test]
fn alphabeta_at_depth_9_never_loses_tictactoe() {
    for seat in 0..2 {
        for (seed, eval) in [
            (1, TicTacToe::default_evaluator()),
            (2, Box::new(ZeroEvaluator) as _),
        ] {
            let mut agent = alphabeta(TicTacToe, 9, eval, seed);
            let games = never_loses(&mut agent, TicTacToe.initial_state(), seat, &mut Vec::new());
            assert!(games > 100, "{games}");
        }
    }
    // Against itself: always a draw, whatever the seeds (which vary the games).
    let mut openings = std::collections::HashSet::new();
    for seed in 0..10 {
        let mut x = alphabeta(TicTacToe, 9, ZeroEvaluator, seed);
        let mut o = alphabeta(TicTacToe, 9, ZeroEvaluator, seed + 100);
        let (end, moves) = common::play(&TicTacToe, &mut [&mut x, &mut o], seed);
        assert_eq!(TicTacToe.returns(&end), [0.0, 0.0], "{moves:?}");
        openings.insert(moves[..2].to_vec());
    }
    assert!(
        openings.len() > 3,
        "seeds should vary the games: {openings:?}"
    );
}

#[test]
fn alphabeta_takes_the_fastest_forced_win_at_connect4() {
    // X on d1 and c1, O on top of them, X to move: b1 or e1 makes an open three with two
    // playable threats, a win in 3 plies.
    let state = position(&ConnectFour, &[3, 3, 2, 2]);
    for depth in [3, 6] {
        let mut agent = alphabeta(ConnectFour, depth, ConnectFour::default_evaluator(), 0);
        let action = agent.select_action(&state).unwrap();
        let stats = agent.last_stats().unwrap();
        assert_eq!(stats.proven_in(), Some(3), "depth {depth}");
        assert_eq!(stats.score, MATE - 3);
        let mut ties = stats.tied_actions.clone();
        ties.sort_unstable();
        assert_eq!(ties, [1, 4], "depth {depth}");
        assert!(ties.contains(&action));
        // Proven results stop the deepening.
        assert_eq!(stats.depth, 3, "depth {depth}");
    }
    // A win in one is preferred to any longer win.
    let state = position(&ConnectFour, &[0, 0, 1, 1, 2, 2]);
    let mut agent = alphabeta(ConnectFour, 6, ConnectFour::default_evaluator(), 0);
    assert_eq!(agent.select_action(&state).unwrap(), 3);
    assert_eq!(agent.last_stats().unwrap().proven_in(), Some(1));
    // And the loser delays: O to move against that double threat loses in 2 whatever it plays.
    let lost = position(&ConnectFour, &[3, 3, 2, 2, 4]);
    let mut agent = alphabeta(ConnectFour, 6, ConnectFour::default_evaluator(), 0);
    agent.select_action(&lost).unwrap();
    assert_eq!(agent.last_stats().unwrap().proven_in(), Some(-2));
}

#[test]
fn iterative_deepening_with_a_time_limit_answers_quickly() {
    fn check<G: DefaultEvaluator>(game: G, state: &G::State) {
        let config = AlphaBetaConfig {
            depth: None,
            max_time: Some(Duration::from_millis(50)),
        };
        let mut agent = AlphaBetaAgent::new(game.clone(), config, G::default_evaluator(), 1);
        let start = Instant::now();
        let action = agent.select_action(state).unwrap();
        let elapsed = start.elapsed();
        assert!(state.is_legal(action), "{}", game.name());
        assert!(
            elapsed < Duration::from_millis(500),
            "{}: {elapsed:?}",
            game.name()
        );
        assert!(agent.last_stats().unwrap().depth >= 2, "{}", game.name());
    }
    check(ConnectFour, &ConnectFour.initial_state());
    check(Othello, &Othello.initial_state());
    let go = ludus_go::Go::default();
    check(go, &go.initial_state());
    // With no depth limit, a solved game stops deepening as soon as the tree is exhausted.
    let mut agent = AlphaBetaAgent::new(
        TicTacToe,
        AlphaBetaConfig {
            depth: None,
            max_time: Some(Duration::from_secs(20)),
        },
        ZeroEvaluator,
        1,
    );
    agent.select_action(&TicTacToe.initial_state()).unwrap();
    let stats = agent.last_stats().unwrap();
    assert_eq!((stats.depth, stats.score), (9, 0));
}

/// Plain negamax without pruning or table, with the agent's scoring conventions: the reference
/// the optimised search must agree with. Returns the best score and the moves that reach it.
fn reference<G: Game, E: Evaluator<G>>(
    state: &G::State,
    depth: u32,
    eval: &E,
) -> (i32, Vec<Action>) {
    fn score<G: Game, E: Evaluator<G>>(
        child: &G::State,
        me: usize,
        depth: u32,
        ply: i32,
        eval: &E,
    ) -> i32 {
        if child.is_terminal() {
            let r = child.player_return(me);
            return (r * (MATE - ply) as f32).round() as i32;
        }
        let s = node(child, depth, ply, eval);
        if child.to_play() == me {
            s
        } else {
            -s
        }
    }
    fn node<G: Game, E: Evaluator<G>>(state: &G::State, depth: u32, ply: i32, eval: &E) -> i32 {
        if depth == 0 {
            return (eval.evaluate(state).clamp(-0.9999, 0.9999) * 10_000.0).round() as i32;
        }
        let mut legal = Vec::new();
        state.legal_actions(&mut legal);
        legal
            .iter()
            .map(|&a| {
                let mut child = state.clone();
                child.apply_unchecked(a);
                score(&child, state.to_play(), depth - 1, ply + 1, eval)
            })
            .max()
            .unwrap()
    }
    let mut legal = Vec::new();
    state.legal_actions(&mut legal);
    let scores: Vec<i32> = legal
        .iter()
        .map(|&a| {
            let mut child = state.clone();
            child.apply_unchecked(a);
            score(&child, state.to_play(), depth - 1, 1, eval)
        })
        .collect();
    let best = *scores.iter().max().unwrap();
    let ties = legal
        .iter()
        .zip(&scores)
        .filter(|(_, &s)| s == best)
        .map(|(&a, _)| a)
        .collect();
    (best, ties)
}

/// On random positions, alpha-beta with and without its table, and plain negamax, agree on the
/// root score and on the set of best moves.
fn agrees_with_reference<G: DefaultEvaluator>(game: G, depth: u32, positions: usize) {
    let eval = G::default_evaluator();
    let mut rng = seeded_rng(99);
    let mut scratch = Vec::new();
    let mut checked = 0;
    while checked < positions {
        let mut state = game.initial_state();
        let plies = rng.random_range(0..game.max_game_length());
        for _ in 0..plies {
            match state.random_legal_action(&mut rng, &mut scratch) {
                Some(a) => state.apply_unchecked(a),
                None => break,
            }
        }
        if state.is_terminal() {
            continue;
        }
        let (best, mut ties) = reference(&state, depth, &eval);
        ties.sort_unstable();
        for bits in [16, 0] {
            let mut agent = alphabeta(game.clone(), depth, G::default_evaluator(), checked as u64)
                .with_tt_bits(bits);
            agent.select_action(&state).unwrap();
            let stats = agent.last_stats().unwrap();
            let mut found = stats.tied_actions.clone();
            found.sort_unstable();
            assert_eq!(
                (stats.score, &found),
                (best, &ties),
                "{} depth {depth}, table bits {bits}, position\n{state}",
                game.name()
            );
        }
        checked += 1;
    }
}

#[test]
fn alphabeta_and_its_table_agree_with_plain_negamax() {
    agrees_with_reference(TicTacToe, 9, 40);
    agrees_with_reference(ConnectFour, 5, 40);
    agrees_with_reference(Othello, 4, 20);
}

#[test]
fn alphabeta_table_keeps_the_root_value_and_saves_work() {
    // Deeper than the reference can go: compare the table against no table only.
    let game = ConnectFour;
    let mut rng = seeded_rng(5);
    let mut scratch = Vec::new();
    let (mut with, mut without) = (0, 0);
    for i in 0..12 {
        let mut state = game.initial_state();
        for _ in 0..rng.random_range(0..12) {
            let a = state.random_legal_action(&mut rng, &mut scratch).unwrap();
            state.apply_unchecked(a);
        }
        if state.is_terminal() {
            continue;
        }
        let mut results = Vec::new();
        for bits in [16, 0] {
            let mut agent =
                alphabeta(game, 8, ConnectFour::default_evaluator(), i).with_tt_bits(bits);
            agent.select_action(&state).unwrap();
            let stats = agent.last_stats().unwrap();
            let mut ties = stats.tied_actions.clone();
            ties.sort_unstable();
            results.push((stats.score, ties));
            *if bits > 0 { &mut with } else { &mut without } += stats.nodes;
        }
        assert_eq!(results[0], results[1], "position\n{state}");
    }
    assert!(
        with < without,
        "the table saved nothing: {with} vs {without} nodes"
    );
}

#[test]
fn alphabeta_refuses_finished_games() {
    let end = position(&TicTacToe, &[0, 3, 1, 4, 2]);
    let mut agent = alphabeta(TicTacToe, 3, ZeroEvaluator, 0);
    assert!(agent.select_action(&end).is_err());
    assert!(agent.name().starts_with("alphabeta:depth=3"));
}

#[test]
fn default_players_are_quick_on_every_game() {
    fn check<G: DefaultEvaluator>(game: G, limit: Duration) -> String {
        let mut agent = AlphaBetaAgent::with_defaults(game.clone(), 0);
        let state = game.initial_state();
        let start = Instant::now();
        let action = agent.select_action(&state).unwrap();
        assert!(state.is_legal(action));
        assert!(
            start.elapsed() < limit,
            "{}: {:?}",
            game.name(),
            start.elapsed()
        );
        assert_eq!(agent.last_stats().unwrap().depth, G::default_depth().min(9));
        agent.name()
    }
    assert_eq!(
        check(TicTacToe, Duration::from_millis(200)),
        "alphabeta:depth=9:eval=tictactoe"
    );
    check(ConnectFour, Duration::from_millis(200));
    check(Othello, Duration::from_millis(200));
    check(ludus_go::Go::default(), Duration::from_secs(2));
    let mcts = mcts(TicTacToe, 100, 0);
    assert_eq!(mcts.name(), "mcts:sims=100:c=1.4142");
}
