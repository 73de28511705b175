//! Training runs end to end on tic-tac-toe: learning, determinism, and resuming after a crash.

use std::path::{Path, PathBuf};

use candle_core::Device;
use ludus_alphazero::evaluate::{exact_labels, network_optimal_share};
use ludus_alphazero::{
    play_games, ReplayBuffer, Shard, Silent, TrainConfig, TrainError, TrainSetup, Trainer,
};
use ludus_core::{seeded_rng, Game};
use ludus_nn::checkpoint::load_checkpoint;
use ludus_nn::{Arch, MlpConfig, NetConfig, NetShape, Network, ValueHead};
use ludus_search::{Algorithm, SearchConfig};
use ludus_tictactoe::TicTacToe;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ludus-az-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// A small, quick configuration that still learns.
fn small_config(generations: usize) -> TrainConfig {
    let mut config = TrainConfig::for_game("tictactoe");
    config.generations = generations;
    config.net = NetConfig::new(
        Arch::Mlp(MlpConfig {
            hidden: 64,
            layers: 2,
        }),
        ValueHead::Wdl,
    );
    config.search = SearchConfig {
        algorithm: Algorithm::Puct,
        simulations: 32,
        dirichlet_alpha: 1.0,
        ..SearchConfig::default()
    };
    config.selfplay.games_per_generation = 48;
    config.selfplay.concurrent_games = 16;
    config.training.steps_per_generation = 40;
    config.training.batch_size = 64;
    config.evaluation.every = 0;
    config.evaluation.opponents.clear();
    config
}

fn setup() -> TrainSetup<TicTacToe> {
    TrainSetup {
        device: Device::Cpu,
        opponents: Vec::new(),
        labelled: None,
    }
}

/// One column of a run's `metrics.csv`, by name (None where the cell is empty).
fn metric(dir: &Path, column: &str) -> Vec<Option<f64>> {
    let text = std::fs::read_to_string(dir.join("metrics.csv")).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let k = header.iter().position(|h| *h == column).unwrap();
    text.lines()
        .skip(1)
        .map(|l| {
            let cell = l.split(',').nth(k).unwrap();
            (!cell.is_empty()).then(|| cell.parse().unwrap())
        })
        .collect()
}

fn weights(dir: &Path, generation: usize) -> Vec<f32> {
    let path = ludus_alphazero::checkpoint_path(dir, generation);
    let (net, _) = load_checkpoint(&path, &TicTacToe, None, &Device::Cpu, false).unwrap();
    let mut tensors: Vec<_> = net.tensors().into_iter().collect();
    tensors.sort_by(|a, b| a.0.cmp(&b.0));
    tensors
        .into_iter()
        .flat_map(|(_, t)| t.flatten_all().unwrap().to_vec1::<f32>().unwrap())
        .collect()
}

#[test]
fn training_teaches_the_network_tictactoe() {
    let dir = scratch("learn");
    let config = small_config(10);
    let mut trainer = Trainer::create(TicTacToe, config, &dir, setup()).unwrap();
    let labelled = exact_labels(&TicTacToe, 10_000).unwrap();
    let before = network_optimal_share(&TicTacToe, &labelled, trainer.network()).unwrap();
    trainer.run(&Silent, None).unwrap();
    let after = network_optimal_share(&TicTacToe, &labelled, trainer.network()).unwrap();
    assert!(
        after > 0.8 && after > before + 0.2,
        "optimal-move share of the raw policy: {before:.3} → {after:.3}"
    );
    let losses = metric(&dir, "loss");
    assert_eq!(losses.len(), 10);
    // Training overlaps self-play: the first generation has nothing to train on yet.
    assert_eq!(losses[0], None);
    let (first, last) = (losses[1].unwrap(), losses[9].unwrap());
    assert!(last < first * 0.8, "loss did not fall: {losses:?}");
    assert!(dir.join("plots/progress.png").exists());
    assert!(dir.join("checkpoints/latest.safetensors").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_run_killed_mid_generation_resumes_to_the_same_weights() {
    // Uninterrupted reference run.
    let reference = scratch("reference");
    let mut trainer = Trainer::create(TicTacToe, small_config(3), &reference, setup()).unwrap();
    trainer.run(&Silent, None).unwrap();
    let expected = weights(&reference, 3);

    // A run that commits generation 1, then dies during generation 2 after writing its replay
    // shard, checkpoint and metrics row but before committing state.json (as kill -9 would).
    let dir = scratch("killed");
    let mut trainer = Trainer::create(TicTacToe, small_config(3), &dir, setup()).unwrap();
    trainer.run(&Silent, Some(1)).unwrap();
    let committed = std::fs::read(dir.join("state.json")).unwrap();
    trainer.run(&Silent, Some(1)).unwrap();
    drop(trainer);
    std::fs::write(dir.join("state.json"), committed).unwrap();
    std::fs::write(dir.join("replay/gen-00002.safetensors.tmp"), b"half a file").unwrap();

    let mut resumed = Trainer::resume(TicTacToe, &dir, None, false, setup()).unwrap();
    assert_eq!(resumed.state().generation, 1);
    assert_eq!(resumed.replay().generations(), vec![1]);
    assert!(!dir.join("replay/gen-00002.safetensors").exists());
    assert!(!dir.join("replay/gen-00002.safetensors.tmp").exists());
    assert!(!dir.join("checkpoints/gen-00002.safetensors").exists());
    let rows = std::fs::read_to_string(dir.join("metrics.csv")).unwrap();
    assert_eq!(
        rows.lines().count(),
        2,
        "header and generation 1 only:\n{rows}"
    );
    resumed.run(&Silent, None).unwrap();

    // Counters continue without loss or duplication, and the weights match the reference.
    let state = resumed.state();
    assert_eq!(state.generation, 3);
    assert_eq!(state.games, 3 * 48);
    // Training overlaps self-play, so the first generation only played.
    assert!(resumed.config().training.overlap_selfplay);
    assert_eq!(state.train_steps, 2 * 40);
    assert_eq!(resumed.replay().generations(), vec![1, 2, 3]);
    let rows = std::fs::read_to_string(dir.join("metrics.csv")).unwrap();
    let generations: Vec<&str> = rows
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(generations, ["1", "2", "3"]);
    assert_eq!(weights(&dir, 3), expected, "resumed weights differ");
    for d in [reference, dir] {
        std::fs::remove_dir_all(d).unwrap();
    }
}

#[test]
fn resuming_refuses_a_changed_config_unless_accepted() {
    let dir = scratch("changed");
    let mut trainer = Trainer::create(TicTacToe, small_config(2), &dir, setup()).unwrap();
    trainer.run(&Silent, Some(1)).unwrap();
    drop(trainer);
    let mut changed = small_config(2);
    changed.search.simulations = 8;
    let err = Trainer::resume(TicTacToe, &dir, Some(changed.clone()), false, setup())
        .expect_err("a changed config must be refused");
    let text = err.to_string();
    assert!(
        text.contains("search.simulations: 32 → 8") && text.contains("--accept-config-change"),
        "{text}"
    );
    let trainer = Trainer::resume(TicTacToe, &dir, Some(changed), true, setup()).unwrap();
    assert_eq!(trainer.config().search.simulations, 8);
    // A second run in the same folder is refused; a folder that is not a run is explained.
    let err = Trainer::create(TicTacToe, small_config(2), &dir, setup())
        .err()
        .unwrap();
    assert!(err.to_string().contains("--resume"), "{err}");
    let err = Trainer::resume(TicTacToe, &scratch("nothing"), None, false, setup())
        .err()
        .unwrap();
    assert!(matches!(err, TrainError::Run { .. }), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn self_play_is_reproducible_and_records_whole_games() {
    let config = small_config(1);
    let net = Network::new(&config.net, &NetShape::of(&TicTacToe), &Device::Cpu, 5).unwrap();
    let play = || {
        play_games(
            &TicTacToe,
            &net,
            &config.search,
            &config.selfplay,
            12,
            7,
            &|_| {},
        )
        .unwrap()
    };
    let (a, stats) = play();
    let (b, _) = play();
    assert_eq!(a, b);
    assert_eq!(a.len(), 12);
    assert_eq!(stats.games, 12);
    for (i, game) in a.iter().enumerate() {
        assert_eq!(game.index, i);
        // Replaying the moves reaches a finished game with the recorded returns.
        let mut state = TicTacToe.initial_state();
        for step in &game.steps {
            assert!(step.legal[step.action]);
            assert!((step.search.policy.iter().sum::<f32>() - 1.0).abs() < 1e-4);
            ludus_core::GameState::apply(&mut state, step.action).unwrap();
        }
        assert!(ludus_core::GameState::is_terminal(&state));
        assert_eq!(TicTacToe.returns(&state), game.returns);
    }
    // Batches gather leaves across the concurrent games.
    assert!(
        stats.mean_batch() > 8.0,
        "mean batch {}",
        stats.mean_batch()
    );
}

#[test]
fn random_opening_plies_diversify_otherwise_identical_games() {
    // Without noise or temperature the search plays one game over and over; random opening
    // moves give distinct games that are still whole, legal and reproducible.
    let mut config = small_config(1);
    config.search.dirichlet_epsilon = 0.0;
    config.selfplay.temperature_moves = 0;
    let net = Network::new(&config.net, &NetShape::of(&TicTacToe), &Device::Cpu, 5).unwrap();
    let play = |selfplay: &ludus_alphazero::SelfPlayConfig| {
        play_games(&TicTacToe, &net, &config.search, selfplay, 24, 3, &|_| {})
            .unwrap()
            .0
    };
    let distinct = |games: &[ludus_alphazero::GameRecord], plies: usize| {
        let openings: std::collections::HashSet<Vec<usize>> = games
            .iter()
            .map(|g| g.steps.iter().take(plies).map(|s| s.action).collect())
            .collect();
        openings.len()
    };
    assert_eq!(distinct(&play(&config.selfplay), 9), 1);
    config.selfplay.random_opening_plies = 2;
    let games = play(&config.selfplay);
    assert_eq!(games, play(&config.selfplay));
    assert!(distinct(&games, 2) >= 8, "{} openings", distinct(&games, 2));
    for game in &games {
        let mut state = TicTacToe.initial_state();
        for step in &game.steps {
            assert!(step.legal[step.action]);
            ludus_core::GameState::apply(&mut state, step.action).unwrap();
        }
        assert!(ludus_core::GameState::is_terminal(&state));
    }
}

#[test]
fn replay_shards_round_trip_and_symmetries_move_targets_with_the_board() {
    let config = small_config(1);
    let net = Network::new(&config.net, &NetShape::of(&TicTacToe), &Device::Cpu, 5).unwrap();
    let (games, _) = play_games(
        &TicTacToe,
        &net,
        &config.search,
        &config.selfplay,
        4,
        3,
        &|_| {},
    )
    .unwrap();
    let shard = Shard::from_games(1, &games, 0.0);
    let dir = scratch("shard");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("gen-00001.safetensors");
    shard.save(&path, [2, 3, 3], 9).unwrap();
    assert_eq!(Shard::load(&path, 1, [2, 3, 3], 9).unwrap(), shard);
    let err = Shard::load(&path, 1, [3, 6, 7], 7).unwrap_err();
    assert!(err.to_string().contains("shapes"), "{err}");

    // Sampling under a symmetry: the policy target follows the board, so the legal mask stays
    // consistent with the observation (an occupied cell is never legal).
    let mut buffer = ReplayBuffer::new(&TicTacToe, 2);
    buffer.push(shard);
    let batch = buffer
        .sample(
            &mut seeded_rng(1),
            64,
            &TicTacToe.symmetries(),
            &Device::Cpu,
        )
        .unwrap();
    let obs = batch
        .observations
        .flatten_from(1)
        .unwrap()
        .to_vec2::<f32>()
        .unwrap();
    let legal = batch.legal.to_vec2::<u8>().unwrap();
    let policy = batch.policy.to_vec2::<f32>().unwrap();
    for i in 0..64 {
        for cell in 0..9 {
            let occupied = obs[i][cell] + obs[i][9 + cell] > 0.0;
            assert_eq!(legal[i][cell] == 1, !occupied);
            if occupied {
                assert_eq!(policy[i][cell], 0.0);
            }
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn gating_keeps_self_play_on_the_best_weights_until_a_generation_wins() {
    let dir = scratch("gate");
    let mut config = small_config(3);
    config.evaluation.gate = Some(0.55);
    config.evaluation.games = 8;
    let mut trainer = Trainer::create(TicTacToe, config, &dir, setup()).unwrap();
    trainer.run(&Silent, None).unwrap();
    let scores = metric(&dir, "score_vs_best");
    assert_eq!(scores.len(), 3);
    // The best generation is the last one whose score passed the gate (0 if none did).
    let expected = scores
        .iter()
        .rposition(|s| s.is_some_and(|s| s >= 0.55))
        .map_or(0, |i| i + 1);
    assert_eq!(trainer.state().best_generation, expected, "{scores:?}");
    let best = std::fs::read(dir.join("checkpoints/best.safetensors")).unwrap();
    let from =
        std::fs::read(dir.join(format!("checkpoints/gen-{expected:05}.safetensors"))).unwrap();
    assert_eq!(best, from);
    // Resuming restores the gate's best weights for self-play.
    drop(trainer);
    let resumed = Trainer::resume(TicTacToe, &dir, None, false, setup()).unwrap();
    assert_eq!(resumed.state().best_generation, expected);
    std::fs::remove_dir_all(&dir).unwrap();
}
