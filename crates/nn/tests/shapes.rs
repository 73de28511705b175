//! Every architecture on every game: output shapes, exact zeros on illegal actions, value range,
//! gradients reaching every parameter, seeded reproducibility, and input errors.

mod common;

use candle_core::{DType, Device, Tensor};
use ludus_connect4::ConnectFour;
use ludus_core::{Game, GameState};
use ludus_go::{Go, GoConfig};
use ludus_nn::{
    encode_states, Arch, Encoder, LstmConfig, MlpConfig, NetConfig, NetShape, Network,
    ResnetConfig, TransformerConfig, ValueHead,
};
use ludus_othello::Othello;
use ludus_tictactoe::TicTacToe;

fn small_configs() -> Vec<NetConfig> {
    let mlp = MlpConfig {
        hidden: 32,
        layers: 2,
    };
    let resnet = ResnetConfig {
        channels: 8,
        blocks: 2,
    };
    let transformer = TransformerConfig {
        d_model: 16,
        heads: 2,
        layers: 2,
        ff: 32,
    };
    let mut out = Vec::new();
    for head in [ValueHead::Wdl, ValueHead::Scalar] {
        out.push(NetConfig::new(Arch::Mlp(mlp.clone()), head));
        out.push(NetConfig::new(Arch::Resnet(resnet.clone()), head));
        out.push(NetConfig::new(Arch::Transformer(transformer.clone()), head));
        for encoder in [
            Encoder::Mlp(mlp.clone()),
            Encoder::Resnet(resnet.clone()),
            Encoder::Transformer(transformer.clone()),
        ] {
            out.push(NetConfig::new(
                Arch::Lstm(LstmConfig {
                    hidden: 16,
                    layers: 2,
                    encoder,
                }),
                head,
            ));
        }
    }
    out
}

/// A few positions along a random game, so legal masks vary.
fn positions<G: Game>(game: &G, n: usize) -> Vec<G::State> {
    let mut rng = ludus_core::seeded_rng(7);
    let mut state = game.initial_state();
    let mut out = vec![state.clone()];
    let mut scratch = Vec::new();
    while out.len() < n && !state.is_terminal() {
        let a = state.random_legal_action(&mut rng, &mut scratch).unwrap();
        state.apply_unchecked(a);
        if !state.is_terminal() {
            out.push(state.clone());
        }
    }
    out
}

fn check_game<G: Game>(game: &G) {
    let dev = Device::Cpu;
    let states = positions(game, 4);
    let refs: Vec<&G::State> = states.iter().collect();
    let (obs, legal) = encode_states(game, &refs, &dev).unwrap();
    let b = states.len();
    let shape = NetShape::of(game);
    let a = shape.num_actions;
    let legal_rows = legal.to_vec2::<u8>().unwrap();
    for config in small_configs() {
        let net = Network::new(&config, &shape, &dev, 1).unwrap();
        let what = format!(
            "{} {:?} on {}",
            config.kind(),
            config.value_head,
            game.name()
        );
        let out = if net.is_recurrent() {
            let state = net.initial_state(b).unwrap();
            let starts = Tensor::ones(b, DType::U8, &dev).unwrap();
            net.step(&obs, &legal, &starts, &state).unwrap().0
        } else {
            net.forward(&obs, &legal).unwrap()
        };
        assert_eq!(out.policy_logits.dims(), [b, a], "{what}");
        assert_eq!(out.value.dims(), [b, config.value_head.outputs()], "{what}");
        let p = out.policy().unwrap().to_vec2::<f32>().unwrap();
        for (row, mask) in p.iter().zip(&legal_rows) {
            let total: f32 = row.iter().sum();
            assert!(
                (total - 1.0).abs() < 1e-4,
                "{what}: probabilities sum to {total}"
            );
            for (prob, &ok) in row.iter().zip(mask) {
                if ok == 0 {
                    assert_eq!(*prob, 0.0, "{what}: illegal action has probability {prob}");
                }
            }
        }
        let v = out.value_scalar().unwrap().to_vec1::<f32>().unwrap();
        assert_eq!(v.len(), b);
        assert!(v.iter().all(|x| (-1.0..=1.0).contains(x)), "{what}: {v:?}");
    }
}

#[test]
fn every_architecture_on_tictactoe() {
    check_game(&TicTacToe);
}

#[test]
fn every_architecture_on_connect4() {
    check_game(&ConnectFour);
}

#[test]
fn every_architecture_on_othello() {
    check_game(&Othello);
}

#[test]
fn every_architecture_on_go() {
    check_game(
        &Go::new(GoConfig {
            size: 5,
            ..GoConfig::default()
        })
        .unwrap(),
    );
}

#[test]
fn every_parameter_receives_a_gradient() {
    let dev = Device::Cpu;
    let game = ConnectFour;
    let states = positions(&game, 6);
    let refs: Vec<_> = states.iter().collect();
    let (obs, legal) = encode_states(&game, &refs, &dev).unwrap();
    let shape = NetShape::of(&game);
    for config in small_configs() {
        let net = Network::new(&config, &shape, &dev, 3).unwrap();
        let out = if net.is_recurrent() {
            // Two environments × three steps, second env restarting mid-way.
            let t = 3;
            let obs = obs
                .narrow(0, 0, 6)
                .unwrap()
                .reshape((2, t, 2, 6, 7))
                .unwrap();
            let legal = legal.narrow(0, 0, 6).unwrap().reshape((2, t, 7)).unwrap();
            let starts = Tensor::new(&[[1u8, 0, 0], [1, 0, 1]], &dev).unwrap();
            let state = net.initial_state(2).unwrap();
            net.sequence(&obs, &legal, &starts, &state, true).unwrap().0
        } else {
            net.forward_t(&obs, &legal, true).unwrap()
        };
        let value_target = out.value_scalar().unwrap().detach().zeros_like().unwrap();
        // A policy target that differs from the prediction so every logit gets a gradient.
        let uniform = out
            .policy_logits
            .ge(-1e8)
            .unwrap()
            .to_dtype(DType::F32)
            .unwrap();
        let uniform = uniform
            .broadcast_div(&uniform.sum_keepdim(candle_core::D::Minus1).unwrap())
            .unwrap();
        let losses =
            ludus_nn::train::policy_value_loss(&out, &uniform, &(value_target + 0.5).unwrap(), 1.0)
                .unwrap();
        let grads = losses.total.backward().unwrap();
        for (name, var) in net.named_vars() {
            if name.ends_with("running_mean") || name.ends_with("running_var") {
                continue;
            }
            let g = grads
                .get(var.as_tensor())
                .unwrap_or_else(|| panic!("{}: no gradient for {name}", config.kind()));
            let norm = g
                .sqr()
                .unwrap()
                .sum_all()
                .unwrap()
                .to_scalar::<f32>()
                .unwrap();
            assert!(norm > 0.0, "{}: zero gradient for {name}", config.kind());
        }
    }
}

#[test]
fn same_seed_same_network_other_seed_other_network() {
    let shape = NetShape::of(&TicTacToe);
    let config = NetConfig::new(Arch::Resnet(ResnetConfig::default()), ValueHead::Wdl);
    let a = Network::new(&config, &shape, &Device::Cpu, 5).unwrap();
    let b = Network::new(&config, &shape, &Device::Cpu, 5).unwrap();
    let c = Network::new(&config, &shape, &Device::Cpu, 6).unwrap();
    let flat = |n: &Network| -> Vec<f32> {
        n.named_vars()
            .iter()
            .flat_map(|(_, v)| {
                v.as_tensor()
                    .flatten_all()
                    .unwrap()
                    .to_vec1::<f32>()
                    .unwrap()
            })
            .collect()
    };
    assert_eq!(flat(&a), flat(&b));
    assert_ne!(flat(&a), flat(&c));
}

#[test]
fn bad_inputs_are_explained() {
    let dev = Device::Cpu;
    let shape = NetShape::of(&TicTacToe);
    let config = NetConfig::new(Arch::Mlp(MlpConfig::default()), ValueHead::Wdl);
    let net = Network::new(&config, &shape, &dev, 0).unwrap();
    let obs = Tensor::zeros((2, 2, 3, 3), DType::F32, &dev).unwrap();
    let legal = Tensor::ones((2, 9), DType::U8, &dev).unwrap();
    assert!(net.forward(&obs, &legal).is_ok());
    let wrong_obs = Tensor::zeros((2, 2, 6, 7), DType::F32, &dev).unwrap();
    let e = net.forward(&wrong_obs, &legal).unwrap_err().to_string();
    assert!(e.contains("[2, 3, 3]"), "{e}");
    let wrong_mask = Tensor::ones((2, 9), DType::F32, &dev).unwrap();
    let e = net.forward(&obs, &wrong_mask).unwrap_err().to_string();
    assert!(e.contains("u8"), "{e}");
    let e = net
        .step(
            &obs,
            &legal,
            &Tensor::ones(2, DType::U8, &dev).unwrap(),
            &net.initial_state(2)
                .unwrap_or_else(|_| ludus_nn::LstmState {
                    h: Tensor::zeros((1, 2, 4), DType::F32, &dev).unwrap(),
                    c: Tensor::zeros((1, 2, 4), DType::F32, &dev).unwrap(),
                }),
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains("recurrent"), "{e}");
}

#[test]
fn configs_parse_from_toml_and_typos_are_errors() {
    let c: NetConfig = toml::from_str("kind = \"resnet\"\nchannels = 32\nblocks = 3\n").unwrap();
    assert_eq!(
        c,
        NetConfig::new(
            Arch::Resnet(ResnetConfig {
                channels: 32,
                blocks: 3
            }),
            ValueHead::Wdl
        )
    );
    let c: NetConfig = toml::from_str(
        "kind = \"lstm\"\nhidden = 64\nvalue_head = \"scalar\"\nencoder = { kind = \"transformer\", d_model = 32 }\n",
    )
    .unwrap();
    assert_eq!(c.value_head, ValueHead::Scalar);
    match &c.arch {
        Arch::Lstm(l) => {
            assert_eq!(l.hidden, 64);
            assert_eq!(l.layers, 1);
            assert!(
                matches!(&l.encoder, Encoder::Transformer(t) if t.d_model == 32 && t.heads == 4)
            );
        }
        other => panic!("{other:?}"),
    }
    // Round trip through JSON (the checkpoint sidecar) keeps the flat form.
    let json = serde_json::to_string(&c).unwrap();
    assert!(
        json.contains("\"kind\":\"lstm\"") && json.contains("\"value_head\":\"scalar\""),
        "{json}"
    );
    assert_eq!(serde_json::from_str::<NetConfig>(&json).unwrap(), c);

    for (text, needle) in [
        ("kind = \"resnet\"\nchanels = 32\n", "chanels"),
        ("kind = \"resnett\"\n", "resnett"),
        ("channels = 3\n", "kind"),
        ("kind = \"mlp\"\nvalue_head = \"wld\"\n", "value_head"),
        (
            "kind = \"transformer\"\nd_model = 30\nheads = 4\n",
            "must divide",
        ),
        ("kind = \"mlp\"\nhidden = 0\n", "at least 1"),
    ] {
        let e = toml::from_str::<NetConfig>(text).unwrap_err().to_string();
        assert!(e.contains(needle), "{text:?}: {e}");
    }
}

/// After an optimiser step the trainable network and a fresh frozen copy agree: nothing inside
/// a module may cache a value derived from its variables (an LSTM once summed its two biases at
/// construction, so training and loading never reached the sum).
#[test]
fn a_training_step_reaches_every_forward_path() {
    use ludus_nn::train::{policy_value_loss, Optimizer, OptimizerConfig};
    let dev = Device::Cpu;
    let game = ConnectFour;
    let states = positions(&game, 4);
    let refs: Vec<_> = states.iter().collect();
    let (obs, legal) = encode_states(&game, &refs, &dev).unwrap();
    let b = states.len();
    let shape = NetShape::of(&game);
    for config in small_configs() {
        let net = Network::new(&config, &shape, &dev, 8).unwrap();
        let before = common::forward_any(&net, &obs, &legal, false).value;
        let out = common::forward_any(&net, &obs, &legal, true);
        let target = (Tensor::ones((b, 7), DType::F32, &dev).unwrap() / 7.0).unwrap();
        let z = Tensor::ones(b, DType::F32, &dev).unwrap();
        let losses = policy_value_loss(&out, &target, &z, 1.0).unwrap();
        let mut opt = Optimizer::new(
            &net,
            OptimizerConfig {
                lr: 0.05,
                ..OptimizerConfig::default()
            },
        )
        .unwrap();
        opt.backward_step(&losses.total).unwrap();
        let after = common::forward_any(&net, &obs, &legal, false);
        let frozen = common::forward_any(&net.inference_copy().unwrap(), &obs, &legal, false);
        assert!(
            common::max_abs_diff(&after.value, &before) > 1e-4,
            "{}: the step changed nothing",
            config.kind()
        );
        assert!(
            common::max_abs_diff(&after.policy_logits, &frozen.policy_logits) < 1e-4,
            "{}: policy differs from frozen copy",
            config.kind()
        );
        assert!(
            common::max_abs_diff(&after.value, &frozen.value) < 1e-4,
            "{}: value differs from frozen copy",
            config.kind()
        );
    }
}

/// A large frozen batch (which the CPU splits into slices of at most 64) gives each position the same
/// outputs as evaluating it alone.
#[test]
fn a_large_batch_equals_its_positions_one_by_one() {
    let dev = Device::Cpu;
    let game = ConnectFour;
    let states = positions(&game, 40);
    let refs: Vec<_> = (0..70).map(|i| &states[i % states.len()]).collect();
    let (obs, legal) = encode_states(&game, &refs, &dev).unwrap();
    for config in small_configs().into_iter().filter(|c| !c.is_recurrent()) {
        let net = Network::new(&config, &NetShape::of(&game), &dev, 6)
            .unwrap()
            .inference_copy()
            .unwrap();
        let all = net.forward(&obs, &legal).unwrap();
        for i in [0, 17, 66, 69] {
            let one = net
                .forward(
                    &obs.narrow(0, i, 1).unwrap(),
                    &legal.narrow(0, i, 1).unwrap(),
                )
                .unwrap();
            let d = common::max_abs_diff(
                &all.policy().unwrap().narrow(0, i, 1).unwrap(),
                &one.policy().unwrap(),
            );
            assert!(d < 1e-5, "{} position {i}: {d}", config.kind());
        }
    }
}
