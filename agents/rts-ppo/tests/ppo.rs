//! PPO on the RTS: replayed probabilities match the acting policy's exactly, and training
//! improves a small task within seconds.

use std::sync::Arc;

use candle_core::Device;
use ludus_nn::train::{Optimizer, OptimizerConfig};
use ludus_rts::{GameState, Map, Passive, UnitTypeTable};
use ludus_rts_ppo::ppo::{replay_log_probs, update, PpoConfig};
use ludus_rts_ppo::rollout::{Collector, NewGame, RewardConfig};
use ludus_rts_ppo::{Policy, PolicyConfig, PolicyShape};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn start(seed: u64) -> GameState {
    let utt = Arc::new(UnitTypeTable::v2());
    Map::from_spec("gen:6x6", &utt)
        .unwrap()
        .start(utt, seed)
        .unwrap()
}

fn policy() -> Policy {
    let s = start(0);
    let config = PolicyConfig {
        d_model: 32,
        heads: 2,
        ff: 64,
        spatial_channels: 16,
        spatial_blocks: 1,
        core_hidden: 32,
        max_entities: 24,
        ..PolicyConfig::default()
    };
    let shape = PolicyShape {
        height: s.height() as usize,
        width: s.width() as usize,
        unit_types: s.utt().types().len(),
    };
    Policy::new(&config, shape, &Device::Cpu, 7).unwrap()
}

/// Games against Passive, the learner alternating seats.
fn new_game() -> impl FnMut(usize) -> NewGame {
    let mut played = 0u64;
    move |i| {
        played += 1;
        NewGame {
            state: start(played),
            opponent: Box::new(Passive),
            opponent_id: 0,
            seat: (i + played as usize) % 2,
            seed: played,
            log: None,
        }
    }
}

#[test]
fn replayed_log_probabilities_equal_the_acting_policys() {
    let p = policy();
    let mut games = new_game();
    let mut collector = Collector::new(3, 300, false, 32, &mut games);
    collector.prime(&mut games).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let rewards = RewardConfig::default();
    // Two collections, so the second starts from carried core states.
    for _ in 0..2 {
        let (seqs, _) = collector
            .collect(&p, 12, &rewards, 1.0, &mut rng, &mut games)
            .unwrap();
        for seq in &seqs {
            let replayed = replay_log_probs(&p, seq).unwrap();
            for (step, r) in seq.steps.iter().zip(&replayed) {
                assert!(
                    (step.log_prob - r).abs() < 1e-3,
                    "acted with log p {}, replayed {r}",
                    step.log_prob
                );
            }
        }
    }
}

/// Wins and games (draws at the cycle limit included) among the games that ended during
/// `iterations` collections, updating after each when `learn`.
fn run(p: &Policy, iterations: usize, learn: bool, seed: u64) -> (usize, usize) {
    let mut games = new_game();
    let mut collector = Collector::new(8, 300, false, 32, &mut games);
    collector.prime(&mut games).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut opt = Optimizer::from_vars(
        p.vars(),
        OptimizerConfig {
            lr: 1e-3,
            weight_decay: 0.0,
            max_grad_norm: Some(0.5),
            ..OptimizerConfig::default()
        },
    )
    .unwrap();
    let config = PpoConfig {
        epochs: 2,
        minibatches: 2,
        ..PpoConfig::default()
    };
    let mut scores = Vec::new();
    for _ in 0..iterations {
        let (seqs, ends) = collector
            .collect(p, 32, &RewardConfig::default(), 1.0, &mut rng, &mut games)
            .unwrap();
        scores.extend(ends.iter().map(|e| e.score));
        assert!(ends.iter().all(|e| e.refused == 0));
        if learn {
            update(p, &mut opt, &seqs, &config, &mut rng).unwrap();
        }
    }
    (scores.iter().filter(|&&s| s == 1.0).count(), scores.len())
}

#[test]
fn ppo_learns_to_beat_a_passive_opponent_on_a_small_map() {
    let p = policy();
    // Untrained, it wanders: no game is won within the 300-cycle limit.
    let before = run(&p, 6, false, 1);
    let t = std::time::Instant::now();
    run(&p, 30, true, 2);
    let trained = t.elapsed();
    let after = run(&p, 6, false, 3);
    eprintln!(
        "wins/games {before:?} → {after:?} after {:.1} s of training",
        trained.as_secs_f64()
    );
    assert_eq!(before.0, 0, "the untrained policy already wins: {before:?}");
    assert!(
        after.1 >= 4 && 2 * after.0 >= after.1,
        "wins/games after training: {after:?}"
    );
}
