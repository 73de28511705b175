//! Checkpoints: bit-identical round trips, and clear refusals of the wrong game, parameters,
//! architecture or damaged files.

mod common;

use std::path::Path;

use candle_core::{Device, Tensor};
use ludus_connect4::ConnectFour;
use ludus_core::Game;
use ludus_go::{Go, GoConfig};
use ludus_nn::checkpoint::{
    checkpoint_files, load_checkpoint, read_checkpoint_meta, save_checkpoint,
};
use ludus_nn::train::{policy_value_loss, Optimizer, OptimizerConfig};
use ludus_nn::{
    encode_states, Arch, Encoder, LstmConfig, MlpConfig, NetConfig, NetShape, Network,
    ResnetConfig, TransformerConfig, ValueHead,
};

fn configs() -> Vec<NetConfig> {
    vec![
        NetConfig::new(
            Arch::Mlp(MlpConfig {
                hidden: 16,
                layers: 2,
            }),
            ValueHead::Scalar,
        ),
        NetConfig::new(
            Arch::Resnet(ResnetConfig {
                channels: 8,
                blocks: 1,
            }),
            ValueHead::Wdl,
        ),
        NetConfig::new(
            Arch::Transformer(TransformerConfig {
                d_model: 16,
                heads: 2,
                layers: 1,
                ff: 32,
            }),
            ValueHead::Wdl,
        ),
        NetConfig::new(
            Arch::Lstm(LstmConfig {
                hidden: 8,
                layers: 1,
                encoder: Encoder::Mlp(MlpConfig {
                    hidden: 8,
                    layers: 1,
                }),
            }),
            ValueHead::Wdl,
        ),
    ]
}

fn inputs<G: Game>(game: &G) -> (Tensor, Tensor) {
    let s = game.initial_state();
    encode_states(game, &[&s, &s], &Device::Cpu).unwrap()
}

fn outputs(net: &Network, obs: &Tensor, legal: &Tensor) -> (Vec<f32>, Vec<f32>) {
    let out = if net.is_recurrent() {
        let starts = Tensor::ones(2, candle_core::DType::U8, &Device::Cpu).unwrap();
        net.step(obs, legal, &starts, &net.initial_state(2).unwrap())
            .unwrap()
            .0
    } else {
        net.forward(obs, legal).unwrap()
    };
    (
        out.policy_logits.flatten_all().unwrap().to_vec1().unwrap(),
        out.value.flatten_all().unwrap().to_vec1().unwrap(),
    )
}

/// One training step so that weights and batch-norm statistics are not the initial ones.
fn train_once(net: &Network, game: &ConnectFour) {
    let (obs, legal) = inputs(game);
    let out = common::forward_any(net, &obs, &legal, true);
    let target =
        (Tensor::ones((2, 7), candle_core::DType::F32, &Device::Cpu).unwrap() / 7.0).unwrap();
    let z = Tensor::new(&[1.0f32, -1.0], &Device::Cpu).unwrap();
    let losses = policy_value_loss(&out, &target, &z, 1.0).unwrap();
    Optimizer::new(net, OptimizerConfig::default())
        .unwrap()
        .backward_step(&losses.total)
        .unwrap();
}

#[test]
fn save_then_load_gives_bit_identical_outputs() {
    let dir = tempdir("roundtrip");
    let game = ConnectFour;
    let (obs, legal) = inputs(&game);
    for config in configs() {
        let net = Network::new(&config, &NetShape::of(&game), &Device::Cpu, 4).unwrap();
        train_once(&net, &game);
        let path = dir.join(format!("{}-step", config.kind()));
        let written = save_checkpoint(&path, &net, &game, 17).unwrap();
        assert!(written.exists());
        for trainable in [false, true] {
            let (loaded, meta) =
                load_checkpoint(&path, &game, Some(&config), &Device::Cpu, trainable).unwrap();
            assert_eq!(meta.training_step, 17);
            assert_eq!(meta.game, "connect4");
            // Like with like: frozen nets use fused inference kernels, trainable ones the
            // differentiable compositions, which round differently in the last bits.
            let original = if trainable {
                net.clone()
            } else {
                net.inference_copy().unwrap()
            };
            assert_eq!(
                outputs(&loaded, &obs, &legal),
                outputs(&original, &obs, &legal),
                "{}",
                config.kind()
            );
            assert_eq!(loaded.vars().is_empty(), !trainable);
        }
    }
}

#[test]
fn mismatches_are_refused_with_the_reason() {
    let dir = tempdir("refuse");
    let game = ConnectFour;
    let config = configs().remove(0);
    let net = Network::new(&config, &NetShape::of(&game), &Device::Cpu, 1).unwrap();
    let path = dir.join("c4");
    save_checkpoint(&path, &net, &game, 3).unwrap();

    let e = load_checkpoint(
        &path,
        &ludus_tictactoe::TicTacToe,
        None,
        &Device::Cpu,
        false,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("trained for connect4, not for tictactoe"), "{e}");

    let other = NetConfig::new(Arch::Resnet(ResnetConfig::default()), ValueHead::Wdl);
    let e = load_checkpoint(&path, &game, Some(&other), &Device::Cpu, false)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("different network") && e.contains("resnet") && e.contains("mlp"),
        "{e}"
    );

    // Game parameters: a 9×9 Go checkpoint is not a 7×7 one.
    let go9 = Go::new(GoConfig {
        size: 9,
        ..GoConfig::default()
    })
    .unwrap();
    let go7 = Go::new(GoConfig {
        size: 7,
        ..GoConfig::default()
    })
    .unwrap();
    let net9 = Network::new(&config, &NetShape::of(&go9), &Device::Cpu, 1).unwrap();
    save_checkpoint(&dir.join("go9"), &net9, &go9, 0).unwrap();
    let e = load_checkpoint(&dir.join("go9"), &go7, None, &Device::Cpu, false)
        .unwrap_err()
        .to_string();
    assert!(e.contains("size: checkpoint 9, requested 7"), "{e}");

    // Saving a network for a game whose shapes it does not have.
    let e = save_checkpoint(&dir.join("bad"), &net9, &game, 0)
        .unwrap_err()
        .to_string();
    assert!(e.contains("shapes"), "{e}");

    // Damaged or missing files.
    let (weights, sidecar) = checkpoint_files(&path);
    let mut bytes = std::fs::read(&weights).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x55;
    std::fs::write(&weights, &bytes).unwrap();
    let e = load_checkpoint(&path, &game, None, &Device::Cpu, false)
        .unwrap_err()
        .to_string();
    assert!(e.contains("checksum"), "{e}");
    std::fs::remove_file(&sidecar).unwrap();
    let e = read_checkpoint_meta(&path).unwrap_err().to_string();
    assert!(e.contains("NAME.safetensors + NAME.json"), "{e}");
    std::fs::write(
        &sidecar,
        "{\"format\": \"ludus-checkpoint\", \"format_version\": 99}",
    )
    .unwrap();
    let e = read_checkpoint_meta(&path).unwrap_err().to_string();
    assert!(e.contains("newer Ludus"), "{e}");
}

#[test]
fn either_file_name_names_the_checkpoint() {
    let (w, j) = checkpoint_files(Path::new("runs/x/ckpt-000100.safetensors"));
    assert_eq!(w, Path::new("runs/x/ckpt-000100.safetensors"));
    assert_eq!(j, Path::new("runs/x/ckpt-000100.json"));
    assert_eq!(checkpoint_files(Path::new("runs/x/ckpt-000100.json")).0, w);
    assert_eq!(checkpoint_files(Path::new("runs/x/ckpt-000100")).1, j);
}

/// The weights file opens in Python with `safetensors.numpy.load_file` and holds the same
/// numbers. Needs python3 with safetensors and numpy; CI installs them and sets
/// LUDUS_REQUIRE_PYTHON_SAFETENSORS=1 so that the check cannot be skipped there.
#[test]
fn weights_open_in_python_safetensors() {
    let probe = std::process::Command::new("python3")
        .args(["-c", "import safetensors.numpy, numpy"])
        .output();
    let available = matches!(&probe, Ok(o) if o.status.success());
    if !available {
        assert!(
            std::env::var_os("LUDUS_REQUIRE_PYTHON_SAFETENSORS").is_none(),
            "python3 with safetensors and numpy is required here: pip install safetensors numpy"
        );
        eprintln!("skipped: python3 lacks safetensors/numpy (pip install safetensors numpy)");
        return;
    }
    let dir = tempdir("python");
    let game = ConnectFour;
    let config = configs().remove(1);
    let net = Network::new(&config, &NetShape::of(&game), &Device::Cpu, 9).unwrap();
    let weights = save_checkpoint(&dir.join("py"), &net, &game, 0).unwrap();
    let name = "trunk.stem.conv.weight";
    let expected: f64 = net.tensors()[name]
        .flatten_all()
        .unwrap()
        .to_vec1::<f32>()
        .unwrap()
        .iter()
        .map(|&v| v as f64)
        .sum();
    let script = format!(
        "from safetensors.numpy import load_file\n\
         t = load_file({:?})\n\
         w = t[{name:?}]\n\
         print(len(t), w.dtype, w.shape, float(w.astype('float64').sum()))",
        weights.display().to_string()
    );
    let out = std::process::Command::new("python3")
        .args(["-c", &script])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let fields: Vec<&str> = text.split_whitespace().collect();
    assert_eq!(
        fields[0].parse::<usize>().unwrap(),
        net.tensors().len(),
        "{text}"
    );
    assert_eq!(fields[1], "float32", "{text}");
    assert!(text.contains("(8, 2, 3, 3)"), "{text}");
    let sum: f64 = fields.last().unwrap().parse().unwrap();
    assert!((sum - expected).abs() < 1e-4, "{sum} vs {expected}");
}

fn tempdir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("ludus-nn-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
