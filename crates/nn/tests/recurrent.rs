//! The LSTM remembers what a feed-forward net cannot, and episode starts reset its state.

mod common;

use candle_core::{DType, Device, Tensor};
use ludus_nn::train::{policy_value_loss, Optimizer, OptimizerConfig};
use ludus_nn::{
    Arch, Encoder, LstmConfig, MlpConfig, NetConfig, NetOutput, NetShape, Network, ValueHead,
};
use rand::Rng;

/// Observations [2, 1, 1]: at step 0 plane 0 holds a random bit b and plane 1 says "cue";
/// at the later steps both planes carry noise unrelated to b. At every step the target is
/// action b (2 actions). Only a net that remembers step 0 can be right after it.
const STEPS: usize = 6;

fn recall_batch(batch: usize, rng: &mut impl Rng, dev: &Device) -> (Tensor, Tensor, Vec<u32>) {
    let mut obs = vec![0f32; batch * STEPS * 2];
    let mut bits = Vec::with_capacity(batch);
    for i in 0..batch {
        let bit = rng.random_range(0..2u32);
        bits.push(bit);
        for t in 0..STEPS {
            let o = (i * STEPS + t) * 2;
            if t == 0 {
                obs[o] = bit as f32;
                obs[o + 1] = 1.0;
            } else {
                obs[o] = rng.random_range(0..2u32) as f32;
                obs[o + 1] = 0.0;
            }
        }
    }
    let mut target = vec![0f32; batch * STEPS * 2];
    for (i, &bit) in bits.iter().enumerate() {
        for t in 0..STEPS {
            target[(i * STEPS + t) * 2 + bit as usize] = 1.0;
        }
    }
    (
        Tensor::from_vec(obs, (batch, STEPS, 2, 1, 1), dev).unwrap(),
        Tensor::from_vec(target, (batch, STEPS, 2), dev).unwrap(),
        bits,
    )
}

fn run(net: &Network, obs: &Tensor, train: bool) -> NetOutput {
    let dev = Device::Cpu;
    let (b, t) = (obs.dim(0).unwrap(), obs.dim(1).unwrap());
    let legal = Tensor::ones((b, t, 2), DType::U8, &dev).unwrap();
    if net.is_recurrent() {
        let mut starts = vec![0u8; b * t];
        for i in 0..b {
            starts[i * t] = 1;
        }
        let starts = Tensor::from_vec(starts, (b, t), &dev).unwrap();
        net.sequence(obs, &legal, &starts, &net.initial_state(b).unwrap(), train)
            .unwrap()
            .0
    } else {
        let flat = net
            .forward_t(
                &obs.reshape((b * t, 2, 1, 1)).unwrap(),
                &legal.reshape((b * t, 2)).unwrap(),
                train,
            )
            .unwrap();
        NetOutput {
            policy_logits: flat.policy_logits.reshape((b, t, 2)).unwrap(),
            value: flat.value.reshape((b, t, ())).unwrap(),
            value_head: flat.value_head,
        }
    }
}

/// Trains on the recall task; returns the accuracy at the last step on fresh sequences.
fn recall_accuracy(config: &NetConfig) -> f64 {
    let dev = Device::Cpu;
    let shape = NetShape {
        observation: [2, 1, 1],
        num_actions: 2,
    };
    let net = Network::new(config, &shape, &dev, 21).unwrap();
    let mut opt = Optimizer::new(
        &net,
        OptimizerConfig {
            lr: 1e-2,
            ..OptimizerConfig::default()
        },
    )
    .unwrap();
    let mut rng = ludus_core::seeded_rng(5);
    for _ in 0..300 {
        let (obs, target, _) = recall_batch(32, &mut rng, &dev);
        let out = run(&net, &obs, true);
        let z = Tensor::zeros((32, STEPS), DType::F32, &dev).unwrap();
        let losses = policy_value_loss(&out, &target, &z, 0.0).unwrap();
        opt.backward_step(&losses.total).unwrap();
    }
    let (obs, _, bits) = recall_batch(512, &mut rng, &dev);
    let out = run(&net.inference_copy().unwrap(), &obs, false);
    let last = out
        .policy_logits
        .narrow(1, STEPS - 1, 1)
        .unwrap()
        .squeeze(1)
        .unwrap()
        .argmax(1)
        .unwrap()
        .to_vec1::<u32>()
        .unwrap();
    last.iter().zip(&bits).filter(|(a, b)| a == b).count() as f64 / bits.len() as f64
}

fn mlp() -> MlpConfig {
    MlpConfig {
        hidden: 16,
        layers: 1,
    }
}

#[test]
fn lstm_recalls_a_bit_that_a_feed_forward_net_cannot() {
    let lstm = NetConfig::new(
        Arch::Lstm(LstmConfig {
            hidden: 16,
            layers: 1,
            encoder: Encoder::Mlp(mlp()),
        }),
        ValueHead::Wdl,
    );
    let ff = NetConfig::new(Arch::Mlp(mlp()), ValueHead::Wdl);
    let lstm_acc = recall_accuracy(&lstm);
    let ff_acc = recall_accuracy(&ff);
    eprintln!(
        "recall {} steps back: lstm {lstm_acc:.3}, mlp {ff_acc:.3}",
        STEPS - 1
    );
    assert!(lstm_acc >= 0.98, "lstm accuracy {lstm_acc}");
    assert!(
        ff_acc <= 0.6,
        "a feed-forward net cannot know the bit: {ff_acc}"
    );
}

fn lstm_net() -> Network {
    let config = NetConfig::new(
        Arch::Lstm(LstmConfig {
            hidden: 8,
            layers: 2,
            encoder: Encoder::Mlp(mlp()),
        }),
        ValueHead::Scalar,
    );
    let shape = NetShape {
        observation: [2, 1, 1],
        num_actions: 2,
    };
    Network::new(&config, &shape, &Device::Cpu, 2).unwrap()
}

fn close(a: &Tensor, b: &Tensor) -> bool {
    common::max_abs_diff(a, b) < 1e-6
}

#[test]
fn episode_start_resets_the_state() {
    let dev = Device::Cpu;
    let net = lstm_net();
    let obs = Tensor::new(&[1.0f32, 0.0, 0.0, 1.0], &dev)
        .unwrap()
        .reshape((2, 2, 1, 1))
        .unwrap();
    let legal = Tensor::ones((2, 2), DType::U8, &dev).unwrap();
    let zero = net.initial_state(2).unwrap();
    // Build a non-zero state by stepping once.
    let starts = Tensor::ones(2, DType::U8, &dev).unwrap();
    let (_, warm) = net.step(&obs, &legal, &starts, &zero).unwrap();
    assert!(!close(&warm.h, &zero.h));

    // With episode_start = 1 the warm state is ignored: same as starting from zeros.
    let (from_warm, _) = net.step(&obs, &legal, &starts, &warm).unwrap();
    let (from_zero, _) = net.step(&obs, &legal, &starts, &zero).unwrap();
    assert!(close(&from_warm.policy_logits, &from_zero.policy_logits));
    assert!(close(&from_warm.value, &from_zero.value));

    // Per environment: reset only the second one.
    let mixed = Tensor::new(&[0u8, 1], &dev).unwrap();
    let (out, _) = net.step(&obs, &legal, &mixed, &warm).unwrap();
    let (cont, _) = net
        .step(
            &obs,
            &legal,
            &Tensor::zeros(2, DType::U8, &dev).unwrap(),
            &warm,
        )
        .unwrap();
    assert!(close(
        &out.value.get(0).unwrap(),
        &cont.value.get(0).unwrap()
    ));
    assert!(close(
        &out.value.get(1).unwrap(),
        &from_zero.value.get(1).unwrap()
    ));
    assert!(!close(
        &out.value.get(0).unwrap(),
        &from_zero.value.get(0).unwrap()
    ));
}

#[test]
fn a_sequence_with_a_restart_equals_two_separate_episodes() {
    let dev = Device::Cpu;
    let net = lstm_net();
    let mut rng = ludus_core::seeded_rng(1);
    let (obs, _, _) = recall_batch(1, &mut rng, &dev); // [1, 6, 2, 1, 1]
    let legal = Tensor::ones((1, STEPS, 2), DType::U8, &dev).unwrap();
    let starts = Tensor::new(&[[1u8, 0, 0, 1, 0, 0]], &dev).unwrap();
    let state = net.initial_state(1).unwrap();
    let (joined, _) = net.sequence(&obs, &legal, &starts, &state, false).unwrap();
    let part = |from: usize| {
        let o = obs.narrow(1, from, 3).unwrap();
        let l = legal.narrow(1, from, 3).unwrap();
        let s = Tensor::new(&[[1u8, 0, 0]], &dev).unwrap();
        net.sequence(&o, &l, &s, &state, false).unwrap().0
    };
    let (a, b) = (part(0), part(3));
    let second = joined.value.narrow(1, 3, 3).unwrap();
    assert!(close(&joined.value.narrow(1, 0, 3).unwrap(), &a.value));
    assert!(close(&second, &b.value));
    // Without the restart the second half sees the first: different outputs.
    let no_restart = Tensor::new(&[[1u8, 0, 0, 0, 0, 0]], &dev).unwrap();
    let (carried, _) = net
        .sequence(&obs, &legal, &no_restart, &state, false)
        .unwrap();
    assert!(!close(&carried.value.narrow(1, 3, 3).unwrap(), &b.value));
    // Step mode agrees with sequence mode.
    let mut st = state.clone();
    for t in 0..STEPS {
        let s = starts.narrow(1, t, 1).unwrap().squeeze(1).unwrap();
        let (o, next) = net
            .step(
                &obs.narrow(1, t, 1).unwrap().squeeze(1).unwrap(),
                &legal.narrow(1, t, 1).unwrap().squeeze(1).unwrap(),
                &s,
                &st,
            )
            .unwrap();
        assert!(close(
            &o.value,
            &joined.value.narrow(1, t, 1).unwrap().squeeze(1).unwrap()
        ));
        st = next;
    }
}
