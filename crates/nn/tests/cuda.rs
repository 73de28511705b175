//! CPU vs CUDA: the same weights and inputs give the same outputs (relative error < 1e-4, f32).
//! Compiled only with `--features cuda`; run on a machine with an NVIDIA GPU:
//! `cargo test --release -p ludus-nn --features cuda --test cuda` (or carry the test binary,
//! see shared/gpu/README.md).
#![cfg(feature = "cuda")]

mod common;

use candle_core::{DType, Device, Tensor};
use ludus_connect4::ConnectFour;
use ludus_core::{Game, GameState};
use ludus_go::{Go, GoConfig};
use ludus_nn::train::policy_value_loss;
use ludus_nn::{
    encode_states, parse_device, Arch, Encoder, LstmConfig, MlpConfig, NetConfig, NetShape,
    Network, ResnetConfig, TransformerConfig, ValueHead,
};

fn configs() -> Vec<NetConfig> {
    let t = TransformerConfig {
        d_model: 64,
        heads: 4,
        layers: 2,
        ff: 128,
    };
    vec![
        NetConfig::new(Arch::Mlp(MlpConfig::default()), ValueHead::Wdl),
        NetConfig::new(Arch::Resnet(ResnetConfig::default()), ValueHead::Wdl),
        NetConfig::new(Arch::Transformer(t.clone()), ValueHead::Scalar),
        NetConfig::new(
            Arch::Lstm(LstmConfig {
                hidden: 64,
                layers: 2,
                encoder: Encoder::Transformer(t),
            }),
            ValueHead::Wdl,
        ),
    ]
}

fn relative_error(a: &Tensor, b: &Tensor) -> f32 {
    let a = a.to_device(&Device::Cpu).unwrap().flatten_all().unwrap();
    let b = b.to_device(&Device::Cpu).unwrap().flatten_all().unwrap();
    let diff = common::max_abs_diff(&a, &b);
    let scale = a
        .abs()
        .unwrap()
        .max_all()
        .unwrap()
        .to_scalar::<f32>()
        .unwrap()
        .max(1e-6);
    diff / scale
}

fn positions<G: Game>(game: &G, n: usize) -> Vec<G::State> {
    let mut rng = ludus_core::seeded_rng(3);
    let mut out = Vec::new();
    let mut scratch = Vec::new();
    while out.len() < n {
        let mut s = game.initial_state();
        for _ in 0..out.len() % 9 {
            if s.is_terminal() {
                break;
            }
            let a = s.random_legal_action(&mut rng, &mut scratch).unwrap();
            s.apply_unchecked(a);
        }
        if !s.is_terminal() {
            out.push(s);
        }
    }
    out
}

fn compare<G: Game>(game: &G) {
    let gpu = parse_device("cuda").expect("a CUDA device");
    let states = positions(game, 32);
    let refs: Vec<_> = states.iter().collect();
    let (obs, legal) = encode_states(game, &refs, &Device::Cpu).unwrap();
    let b = states.len();
    for config in configs() {
        let cpu_net = Network::new(&config, &NetShape::of(game), &Device::Cpu, 1).unwrap();
        for frozen in [true, false] {
            let cpu = if frozen {
                cpu_net.inference_copy().unwrap()
            } else {
                cpu_net.clone()
            };
            let cuda = cpu.to_device(&gpu).unwrap();
            let (o_gpu, l_gpu) = (obs.to_device(&gpu).unwrap(), legal.to_device(&gpu).unwrap());
            let (a, c) = if cpu.is_recurrent() {
                let s = Tensor::ones(b, DType::U8, &Device::Cpu).unwrap();
                let a = cpu
                    .step(&obs, &legal, &s, &cpu.initial_state(b).unwrap())
                    .unwrap()
                    .0;
                let c = cuda
                    .step(
                        &o_gpu,
                        &l_gpu,
                        &s.to_device(&gpu).unwrap(),
                        &cuda.initial_state(b).unwrap(),
                    )
                    .unwrap()
                    .0;
                (a, c)
            } else {
                (
                    cpu.forward(&obs, &legal).unwrap(),
                    cuda.forward(&o_gpu, &l_gpu).unwrap(),
                )
            };
            let what = format!("{} on {} (frozen: {frozen})", config.kind(), game.name());
            let e = relative_error(&a.policy().unwrap(), &c.policy().unwrap());
            assert!(e < 1e-4, "{what}: policy relative error {e}");
            let e = relative_error(&a.value, &c.value);
            assert!(e < 1e-4, "{what}: value relative error {e}");
            eprintln!("{what}: ok");
        }
    }
}

#[test]
fn cpu_and_cuda_agree_on_connect4() {
    compare(&ConnectFour);
}

#[test]
fn cpu_and_cuda_agree_on_go9() {
    compare(
        &Go::new(GoConfig {
            size: 9,
            ..GoConfig::default()
        })
        .unwrap(),
    );
}

/// Gradients of the training loss agree between the devices (Adam's first step is ±lr per
/// weight whatever the gradient's size, so comparing updated weights would test noise).
#[test]
fn training_gradients_agree() {
    let gpu = parse_device("cuda").unwrap();
    let game = ConnectFour;
    let states = positions(&game, 16);
    let refs: Vec<_> = states.iter().collect();
    for config in configs().into_iter().filter(|c| !c.is_recurrent()) {
        let cpu = Network::new(&config, &NetShape::of(&game), &Device::Cpu, 2).unwrap();
        let cuda = cpu.to_device(&gpu).unwrap();
        let grads = |net: &Network| {
            let (obs, legal) = encode_states(&game, &refs, net.device()).unwrap();
            let out = net.forward_t(&obs, &legal, true).unwrap();
            let target = (Tensor::ones((16, 7), DType::F32, net.device()).unwrap() / 7.0).unwrap();
            let z = Tensor::zeros(16, DType::F32, net.device()).unwrap();
            let losses = policy_value_loss(&out, &target, &z, 1.0).unwrap();
            let g = losses.total.backward().unwrap();
            net.named_vars()
                .into_iter()
                .filter_map(|(name, v)| g.get(v.as_tensor()).map(|t| (name, t.clone())))
                .collect::<std::collections::HashMap<_, _>>()
        };
        let (a, c) = (grads(&cpu), grads(&cuda));
        assert_eq!(a.len(), c.len());
        for (name, t) in &a {
            let e = relative_error(t, &c[name]);
            assert!(
                e < 1e-3,
                "{}: gradient of {name} relative error {e}",
                config.kind()
            );
        }
    }
}
