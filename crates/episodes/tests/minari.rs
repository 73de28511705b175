//! Python's Minari and h5py read what Ludus writes. A test binary of its own: it starts a
//! Python process, and HDF5 opens files without close-on-exec, so a child started while other
//! tests of the same process hold shards open would inherit their locks (and make those tests'
//! readers fail until it exits).

mod common;

use std::path::Path;
use std::process::Command;

use common::{info, mcts, play, random, scratch};
use ludus_connect4::ConnectFour;
use ludus_core::{Agent, Game};
use ludus_episodes::{DatasetWriter, WriterOptions};
use ludus_go::{Go, GoConfig};
use serde_json::json;

/// Python's Minari and h5py open what we wrote and see the same games: the acceptance test of
/// the format. Runs where python3 has minari (CI installs it and sets
/// LUDUS_REQUIRE_PYTHON_MINARI=1, which makes it mandatory).
#[test]
fn minari_loads_connect_four_and_go_datasets() {
    let required = std::env::var_os("LUDUS_REQUIRE_PYTHON_MINARI").is_some();
    let available = Command::new("python3")
        .args(["-c", "import minari, h5py"])
        .status()
        .is_ok_and(|s| s.success());
    if !available {
        assert!(!required, "python3 with minari and h5py is required here");
        eprintln!("skipped: python3 lacks minari/h5py");
        return;
    }
    let root = scratch("minari");
    let mut expected = Vec::new();
    let go = Go::new(GoConfig {
        size: 5,
        ..GoConfig::default()
    })
    .unwrap();
    expected.push(write_games(
        &root,
        &ConnectFour,
        "connect4",
        [mcts(&ConnectFour, 40), random(&ConnectFour)],
        6,
    ));
    expected.push(write_games(
        &root,
        &go,
        "go:size=5",
        [random(&go), mcts(&go, 20)],
        4,
    ));
    let expected_path = root.join("expected.json");
    std::fs::write(&expected_path, serde_json::to_string(&expected).unwrap()).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/check_minari.py");
    let out = Command::new("python3")
        .arg(&script)
        .arg(&expected_path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "minari check failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(report.contains("connect4: 6 episodes"), "{report}");
    assert!(report.contains("go:size=5: 4 episodes"), "{report}");
}

/// Writes `n` games to `root/<game>-v0` and returns what a Python reader must find there.
fn write_games<G: Game>(
    root: &Path,
    game: &G,
    spec: &str,
    mut seats: [Box<dyn Agent<G>>; 2],
    n: u64,
) -> serde_json::Value {
    let dir = root.join(format!("{}-v0", game.name()));
    let options = WriterOptions {
        shard_episodes: 3,
        ..WriterOptions::default()
    };
    let writer = DatasetWriter::create(&dir, info(game, spec), options).unwrap();
    let mut episodes = Vec::new();
    for s in 0..n {
        let e = play(game, &mut seats, s);
        episodes.push(json!({
            "actions": e.actions,
            "returns": e.returns,
            "winner": e.winner().map_or(-1, |w| w as i64),
            "searched": e.search.is_some(),
        }));
        writer.write(e).unwrap();
    }
    writer.finish().unwrap();
    json!({
        "path": dir.join("data"),
        "game": spec,
        "num_actions": game.num_actions(),
        "observation_shape": game.observation_shape(),
        "episodes": episodes,
    })
}
