//! Matches against the random player, 50–100 games each with alternating seats. Run with
//! `--nocapture` to see the records and times.

mod common;

use ludus_baselines::{AlphaBetaAgent, DefaultEvaluator, MctsAgent, MctsConfig, RandomAgent};
use ludus_connect4::ConnectFour;
use ludus_core::derive_seed;
use ludus_othello::Othello;
use ludus_tictactoe::TicTacToe;

#[test]
fn mcts_with_2000_simulations_never_loses_tictactoe_to_random() {
    let config = MctsConfig {
        simulations: 2000,
        ..MctsConfig::default()
    };
    let mut mcts = MctsAgent::new(TicTacToe, config, 1);
    let mut random = RandomAgent::new(TicTacToe, 2);
    let [wins, draws, losses] = common::match_record(&TicTacToe, &mut mcts, &mut random, 50);
    assert_eq!(losses, 0);
    assert!(wins > 40, "{wins} wins, {draws} draws");
}

/// Alpha-beta with the game's default evaluator and depth against random, `games` games
/// alternating seats.
fn alphabeta_vs_random<G: DefaultEvaluator>(game: G, games: usize, seed: u64) -> [usize; 3] {
    let mut ab = AlphaBetaAgent::with_defaults(game.clone(), seed);
    let mut random = RandomAgent::new(game.clone(), derive_seed(seed, 1));
    let start = std::time::Instant::now();
    let record = common::match_record(&game, &mut ab, &mut random, games);
    eprintln!(
        "{}: alpha-beta (depth {}) vs random over {games} games: {record:?} (W/D/L) in {:.1?}",
        game.name(),
        G::default_depth(),
        start.elapsed()
    );
    record
}

#[test]
fn alphabeta_never_loses_tictactoe_to_random() {
    // A random player stumbles into the drawing line now and then, and perfect play cannot
    // force a win against it, so some draws are expected (about 12 in 100).
    let [wins, _, losses] = alphabeta_vs_random(TicTacToe, 100, 3);
    assert_eq!(losses, 0);
    assert!(wins >= 80, "{wins}");
}

#[test]
fn alphabeta_beats_random_at_connect4() {
    let [wins, _, _] = alphabeta_vs_random(ConnectFour, 100, 4);
    assert!(wins >= 99, "{wins}");
}

#[test]
fn alphabeta_beats_random_at_othello() {
    let [wins, _, _] = alphabeta_vs_random(Othello, 100, 5);
    assert!(wins >= 99, "{wins}");
}
