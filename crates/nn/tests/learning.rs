//! Learning works: every architecture fits tic-tac-toe's exact solution, and the LSTM solves a
//! memory task that a feed-forward net cannot.

mod common;

use std::time::Instant;

use candle_core::{Device, Tensor};
use ludus_nn::train::{policy_value_loss, Optimizer, OptimizerConfig};
use ludus_nn::{
    encode_states, Arch, Encoder, LstmConfig, MlpConfig, NetConfig, NetShape, Network,
    ResnetConfig, TransformerConfig, ValueHead,
};
use ludus_tictactoe::TicTacToe;

/// Trains `config` on every reachable tic-tac-toe position (policy target uniform over the
/// optimal moves, value target the game-theoretic value) and returns the fraction of positions
/// whose most probable move is optimal.
fn fit_tictactoe(config: &NetConfig, epochs: usize, lr: f64) -> f64 {
    let dev = Device::Cpu;
    let game = TicTacToe;
    let solved = common::solved_tictactoe();
    assert_eq!(
        solved.len(),
        4520,
        "non-terminal reachable tic-tac-toe positions"
    );
    let refs: Vec<_> = solved.iter().map(|s| &s.state).collect();
    let (obs, legal) = encode_states(&game, &refs, &dev).unwrap();
    let n = solved.len();
    let mut policy = vec![0f32; n * 9];
    for (i, s) in solved.iter().enumerate() {
        for &a in &s.optimal {
            policy[i * 9 + a] = 1.0 / s.optimal.len() as f32;
        }
    }
    let policy = Tensor::from_vec(policy, (n, 9), &dev).unwrap();
    let values: Vec<f32> = solved.iter().map(|s| s.value).collect();
    let values = Tensor::from_vec(values, n, &dev).unwrap();

    let net = Network::new(config, &NetShape::of(&game), &dev, 11).unwrap();
    let mut opt = Optimizer::new(
        &net,
        OptimizerConfig {
            lr,
            weight_decay: 1e-4,
            ..OptimizerConfig::default()
        },
    )
    .unwrap();
    let batch = 256;
    let mut order: Vec<u32> = (0..n as u32).collect();
    let mut rng = ludus_core::seeded_rng(3);
    for _ in 0..epochs {
        use rand::seq::SliceRandom;
        order.shuffle(&mut rng);
        for chunk in order.chunks(batch) {
            let idx = Tensor::new(chunk, &dev).unwrap();
            let out = common::forward_any(
                &net,
                &obs.index_select(&idx, 0).unwrap(),
                &legal.index_select(&idx, 0).unwrap(),
                true,
            );
            let losses = policy_value_loss(
                &out,
                &policy.index_select(&idx, 0).unwrap(),
                &values.index_select(&idx, 0).unwrap(),
                1.0,
            )
            .unwrap();
            opt.backward_step(&losses.total).unwrap();
        }
    }
    let frozen = net.inference_copy().unwrap();
    let out = common::forward_any(&frozen, &obs, &legal, false);
    let best = out
        .policy_logits
        .argmax(1)
        .unwrap()
        .to_vec1::<u32>()
        .unwrap();
    let correct = solved
        .iter()
        .zip(&best)
        .filter(|(s, &b)| s.optimal.contains(&(b as usize)))
        .count();
    correct as f64 / n as f64
}

fn assert_fits(config: NetConfig, epochs: usize, lr: f64) {
    let start = Instant::now();
    let acc = fit_tictactoe(&config, epochs, lr);
    eprintln!(
        "{}: {:.2} % optimal moves after {epochs} epochs ({:.1} s)",
        config.kind(),
        acc * 100.0,
        start.elapsed().as_secs_f64()
    );
    assert!(
        acc >= 0.95,
        "{}: only {:.2} % optimal",
        config.kind(),
        acc * 100.0
    );
}

#[test]
fn mlp_fits_tictactoe_perfect_play() {
    assert_fits(
        NetConfig::new(
            Arch::Mlp(MlpConfig {
                hidden: 128,
                layers: 2,
            }),
            ValueHead::Wdl,
        ),
        60,
        3e-3,
    );
}

#[test]
fn resnet_fits_tictactoe_perfect_play() {
    assert_fits(
        NetConfig::new(
            Arch::Resnet(ResnetConfig {
                channels: 32,
                blocks: 2,
            }),
            ValueHead::Wdl,
        ),
        40,
        3e-3,
    );
}

#[test]
fn transformer_fits_tictactoe_perfect_play() {
    assert_fits(
        NetConfig::new(
            Arch::Transformer(TransformerConfig {
                d_model: 32,
                heads: 4,
                layers: 3,
                ff: 64,
            }),
            ValueHead::Wdl,
        ),
        80,
        5e-3,
    );
}

#[test]
fn lstm_fits_tictactoe_perfect_play() {
    assert_fits(
        NetConfig::new(
            Arch::Lstm(LstmConfig {
                hidden: 128,
                layers: 1,
                encoder: Encoder::Mlp(MlpConfig {
                    hidden: 128,
                    layers: 2,
                }),
            }),
            ValueHead::Scalar,
        ),
        60,
        3e-3,
    );
}

/// An inference copy is a snapshot: training the original afterwards (which updates its
/// variables in place) leaves the copy's outputs as they were. Trainers rely on this for the
/// previous generation they play against and for self-play running beside the learner.
#[test]
fn an_inference_copy_keeps_its_weights_while_the_original_trains() {
    let dev = Device::Cpu;
    let game = TicTacToe;
    let config = NetConfig::new(
        Arch::Resnet(ResnetConfig {
            channels: 8,
            blocks: 1,
        }),
        ValueHead::Wdl,
    );
    let net = Network::new(&config, &NetShape::of(&game), &dev, 5).unwrap();
    let solved = common::solved_tictactoe();
    let refs: Vec<_> = solved.iter().take(64).map(|s| &s.state).collect();
    let (obs, legal) = encode_states(&game, &refs, &dev).unwrap();
    let logits = |n: &Network| {
        n.forward_t(&obs, &legal, false)
            .unwrap()
            .policy_logits
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap()
    };
    let snapshot = net.inference_copy().unwrap();
    let before = logits(&snapshot);
    let mut opt = Optimizer::new(&net, OptimizerConfig::default()).unwrap();
    let target = Tensor::ones((64, 9), candle_core::DType::F32, &dev)
        .unwrap()
        .affine(1.0 / 9.0, 0.0)
        .unwrap();
    let values = Tensor::ones(64, candle_core::DType::F32, &dev).unwrap();
    for _ in 0..5 {
        let out = net.forward_t(&obs, &legal, true).unwrap();
        let losses = policy_value_loss(&out, &target, &values, 1.0).unwrap();
        opt.backward_step(&losses.total).unwrap();
    }
    assert_ne!(logits(&net), before, "training changed nothing");
    assert_eq!(
        logits(&snapshot),
        before,
        "the snapshot moved with training"
    );
}
