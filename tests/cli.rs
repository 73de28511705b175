//! End-to-end tests of the `ludus` binary: what a user types, what they see, and the exit codes.

use std::process::{Command, Output, Stdio};

fn ludus(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ludus"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run ludus")
}

fn ludus_stdin(args: &[&str], input: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_ludus"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run ludus");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().expect("wait for ludus")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(o: &Output) -> serde_json::Value {
    assert!(o.status.success(), "ludus failed: {}", stderr(o));
    serde_json::from_str(&stdout(o)).unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(o)))
}

/// Bad input: exit status 2, a single `error:` line that contains `needle`, and no panic.
fn assert_usage_error(args: &[&str], needle: &str) {
    let o = ludus(args);
    let err = stderr(&o);
    assert_eq!(
        o.status.code(),
        Some(2),
        "{args:?}: status {:?}, stderr {err}",
        o.status
    );
    assert!(!err.contains("panicked"), "{args:?} panicked: {err}");
    assert!(
        err.contains(needle),
        "{args:?}: expected `{needle}` in: {err}"
    );
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "{args:?}: more than one line: {err}"
    );
}

#[test]
fn go_pass_pass_is_a_terminal_area_scored_state() {
    let v = json(&ludus(&["game", "--game", "go", "--moves", "d4,pass,pass"]));
    assert_eq!(v["terminal"], true);
    assert_eq!(v["to_play"], serde_json::Value::Null);
    // Black owns the whole board by area: 81 − 7.5 komi.
    assert_eq!(v["returns"], serde_json::json!([1.0, -1.0]));
    assert_eq!(v["legal"].as_array().unwrap().len(), 0);
    assert_eq!(v["move_number"], 3);
}

#[test]
fn game_accepts_notation_and_numbers_and_lists_legal_moves() {
    let v = json(&ludus(&["game", "--game", "connect4", "--moves", "4,4,4"]));
    assert_eq!(v["to_play"], 1);
    assert_eq!(v["legal"].as_array().unwrap().len(), 7);
    assert_eq!(v["legal"][3]["move"], "4");
    let pons = json(&ludus(&["game", "--game", "connect4", "--moves", "4444"]));
    assert_eq!(pons["move_number"], 4);
    // Four in a column wins for the first player.
    let won = json(&ludus(&[
        "game", "--game", "connect4", "--moves", "1212121",
    ]));
    assert_eq!(won["terminal"], true);
    assert_eq!(won["returns"], serde_json::json!([1.0, -1.0]));
    let ttt = json(&ludus(&["game", "--game", "tictactoe", "--moves", "4,a1"]));
    assert_eq!(ttt["move_number"], 2);
    let oth = json(&ludus(&["game", "--game", "othello"]));
    let first: Vec<&str> = oth["legal"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["move"].as_str().unwrap())
        .collect();
    assert_eq!(first, ["d3", "c4", "f5", "e6"]);
}

#[test]
fn bad_input_is_one_clear_line_and_exit_2() {
    assert_usage_error(&["game", "--game", "chess"], "unknown game `chess`");
    assert_usage_error(
        &["game", "--game", "go:size=25"],
        "a board size from 5 to 19",
    );
    assert_usage_error(
        &["game", "--game", "go:colour=black"],
        "unknown parameter `colour`",
    );
    assert_usage_error(
        &["game", "--game", "connect4", "--moves", "4,9"],
        "cannot read move `9`",
    );
    assert_usage_error(
        &["game", "--game", "connect4", "--moves", "1,1,1,1,1,1,1"],
        "move 7 (`1`) cannot be played",
    );
    assert_usage_error(
        &["game", "--game", "othello", "--moves", "a1"],
        "legal moves there: d3 c4 f5 e6",
    );
    assert_usage_error(
        &[
            "match",
            "--game",
            "tictactoe",
            "--a",
            "mcts:sims=lots",
            "--b",
            "random",
        ],
        "bad value `lots`",
    );
    assert_usage_error(
        &[
            "match",
            "--game",
            "tictactoe",
            "--a",
            "deepblue",
            "--b",
            "random",
        ],
        "unknown agent `deepblue`",
    );
    assert_usage_error(
        &[
            "match", "--game", "othello", "--a", "solver", "--b", "random",
        ],
        "only for connect4",
    );
    assert_usage_error(
        &["move", "--game", "go", "--agent", "random", "--moves", "i5"],
        "cannot read move `i5`",
    );
    assert_usage_error(&["perft", "--game", "connect4", "--depth", "0"], "depth");
    assert_usage_error(&["match", "--games", "0"], "games");
    assert_usage_error(&["game"], "--game");
    assert_usage_error(
        &["bench", "--game", "go:max_moves=10000000000"],
        "from 1 to 100 × size² (8100)",
    );
    assert_usage_error(&["play", "--opponent", "human"], "must be a computer agent");
    assert_usage_error(&["match", "--threads", "5000"], "threads");
    let bare = ludus(&[]);
    assert_eq!(
        bare.status.code(),
        Some(2),
        "`ludus` alone is a usage error"
    );
    assert_usage_error(&["fly"], "unrecognized subcommand");
}

#[test]
fn alphabeta_never_loses_tictactoe_and_match_reports_a_score() {
    let v = json(&ludus(&[
        "match",
        "--game",
        "tictactoe",
        "--a",
        "alphabeta",
        "--b",
        "random",
        "--games",
        "40",
        "--json",
        "--no-log",
    ]));
    assert_eq!(v["games"], 40);
    assert_eq!(v["losses"], 0, "{v}");
    assert!(v["wins"].as_u64().unwrap() >= 30, "{v}");
    let ci = v["score_ci95"].as_array().unwrap();
    assert!(ci[0].as_f64().unwrap() <= v["score"].as_f64().unwrap());
}

#[test]
fn matches_are_reproducible_from_the_seed_whatever_the_threads() {
    let run = |threads: &str| {
        let v = json(&ludus(&[
            "match",
            "--game",
            "connect4",
            "--a",
            "mcts:sims=30",
            "--b",
            "random",
            "--games",
            "8",
            "--seed",
            "7",
            "--threads",
            threads,
            "--json",
            "--no-log",
        ]));
        (
            v["wins"].clone(),
            v["draws"].clone(),
            v["mean_plies"].clone(),
        )
    };
    assert_eq!(run("1"), run("2"));
}

#[test]
fn move_answers_one_line_per_position_in_order() {
    let o = ludus_stdin(
        &[
            "move",
            "--game",
            "connect4",
            "--agent",
            "solver",
            "--positions",
            "-",
        ],
        // Player to move wins at once in column 1 / makes an open three (3 or 6).
        "121212 0\n4455 0\n",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let lines: Vec<String> = stdout(&o).lines().map(str::to_string).collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0], "1");
    assert!(
        lines[1] == "3" || lines[1] == "6",
        "must make the open three on the bottom row: {}",
        lines[1]
    );
}

#[test]
fn move_reads_a_space_separated_move_list_whole() {
    let choose = |moves: &str| {
        ludus(&[
            "move", "--game", "connect4", "--agent", "solver", "--moves", moves,
        ])
    };
    let (spaced, commas) = (choose("4 4 5 5 3"), choose("4,4,5,5,3"));
    assert!(spaced.status.success(), "{}", stderr(&spaced));
    // Same position, same seed: the same move, whichever separator the list used.
    assert_eq!(stdout(&spaced), stdout(&commas));
}

#[test]
fn perft_and_bench_report_counts_and_speed() {
    let o = ludus(&["perft", "--game", "othello", "--depth", "4"]);
    let out = stdout(&o);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        out.lines()
            .any(|l| l.split_whitespace().take(2).eq(["4", "244"])),
        "{out}"
    );
    let v = json(&ludus(&[
        "bench",
        "--game",
        "tictactoe",
        "--seconds",
        "0.2",
        "--json",
    ]));
    assert!(v["plies_per_sec"].as_f64().unwrap() > 0.0);
    assert!(v["games"].as_u64().unwrap() > 0);
}

#[test]
fn play_shows_the_board_explains_bad_moves_and_ends() {
    // Human moves first at tic-tac-toe against alpha-beta: a typo, an illegal move, then quit.
    let o = ludus_stdin(
        &[
            "play",
            "--game",
            "tictactoe",
            "--opponent",
            "alphabeta",
            "--first",
        ],
        "zz\nb2\nb2\nquit\n",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("cannot read move `zz`"), "{out}");
    assert!(out.contains("is not legal here"), "{out}");
    assert!(out.contains("Game stopped."), "{out}");
    // Input ending stops the game cleanly too.
    let o = ludus_stdin(&["play", "--game", "connect4", "--opponent", "random"], "");
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn bench_nets_prints_one_json_record_per_case() {
    let o = ludus(&[
        "bench-nets",
        "--nets",
        "lstm,resnet",
        "--batches",
        "1,2",
        "--modes",
        "forward",
        "--min-time",
        "0",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let lines: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    for (rec, (net, batch)) in
        lines
            .iter()
            .zip([("lstm", 1), ("lstm", 2), ("resnet", 1), ("resnet", 2)])
    {
        assert_eq!(rec["impl"], "ludus");
        assert_eq!(rec["net"], net);
        assert_eq!(rec["batch"], batch);
        assert_eq!(rec["device"], "cpu");
        assert!(rec["ms"].as_f64().unwrap() > 0.0);
        assert!(rec["iters"].as_u64().unwrap() >= 20);
    }
}

#[test]
fn bench_nets_explains_bad_devices_and_names() {
    assert_usage_error(&["bench-nets", "--nets", "cnn"], "unknown `cnn`");
    assert_usage_error(&["bench-nets", "--batches", "0"], "not a batch size");
    assert_usage_error(
        &["bench-nets", "--device", "tpu"],
        "expected cpu, cuda or cuda:N",
    );
    if !cfg!(feature = "cuda") {
        assert_usage_error(
            &["bench-nets", "--device", "cuda:0"],
            "built without CUDA support",
        );
    }
}

/// A quick training config for the CLI tests (a few seconds per generation).
const QUICK_TRAIN: &[&str] = &[
    "--set",
    "selfplay.games_per_generation=24",
    "--set",
    "training.steps_per_generation=10",
    "--set",
    "net.hidden=32",
    "--set",
    "evaluation.games=4",
    "--set",
    "evaluation.opponents=[\"random\"]",
];

fn scratch_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("ludus-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn train_writes_a_run_directory_and_resumes_after_kill_9() {
    let runs = scratch_dir("train");
    let runs_arg = runs.to_str().unwrap();
    let mut args = vec![
        "train",
        "--game",
        "tictactoe",
        "--runs-dir",
        runs_arg,
        "--name",
        "t",
        "--set",
        "generations=40",
    ];
    args.extend_from_slice(QUICK_TRAIN);
    let mut child = Command::new(env!("CARGO_BIN_EXE_ludus"))
        .args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("run ludus train");
    // Kill it (SIGKILL) once at least two generations are committed.
    let dir = runs.join("t");
    let state = dir.join("state.json");
    let committed = |s: &str| -> u64 {
        let v: serde_json::Value = serde_json::from_str(s).unwrap();
        v["generation"].as_u64().unwrap()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        if let Ok(text) = std::fs::read_to_string(&state) {
            if committed(&text) >= 2 {
                break;
            }
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no generation committed"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let at_kill = committed(&std::fs::read_to_string(&state).unwrap());
    assert!(at_kill < 40, "the run finished before it was killed");

    // Resume with a changed config: refused with the reason.
    let o = ludus(&[
        "train",
        "--resume",
        dir.to_str().unwrap(),
        "--set",
        "search.simulations=3",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("search.simulations"), "{}", stderr(&o));

    // Resume for two more generations: counters continue from the committed generation.
    let o = ludus(&[
        "train",
        "--resume",
        dir.to_str().unwrap(),
        "--max-generations",
        "2",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(&format!("at generation {at_kill} of 40")),
        "{}",
        stderr(&o)
    );
    let now = committed(&std::fs::read_to_string(&state).unwrap());
    assert_eq!(now, at_kill + 2);
    let metrics = std::fs::read_to_string(dir.join("metrics.csv")).unwrap();
    let generations: Vec<u64> = metrics
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(generations, (1..=now).collect::<Vec<_>>());
    for file in [
        "config.toml",
        "checkpoints/latest.safetensors",
        "checkpoints/best.json",
        "plots/progress.png",
        "plots/progress.svg",
    ] {
        assert!(dir.join(file).exists(), "missing {file}");
    }
    assert!(stdout(&o).contains("generations"), "{}", stdout(&o));

    // The episode log holds every committed generation's games exactly once: the generation
    // the kill interrupted was played again and replaced, not added.
    let episodes = dir.join("episodes/selfplay-v0");
    let o = ludus(&["episodes", "export", episodes.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut seen = std::collections::BTreeSet::new();
    for line in stdout(&o).lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let key = (
            v["attributes"]["generation"].as_u64().unwrap(),
            v["attributes"]["game_index"].as_u64().unwrap(),
        );
        assert!(seen.insert(key), "game {key:?} logged twice");
        assert!(v["search"]["visits"].is_array(), "{v}");
    }
    assert!(seen.iter().all(|(g, _)| *g <= now));
    assert_eq!(seen.len() as u64, now * 24, "24 games per generation");

    // Elo over training: the checkpoints rated against a fixed pool.
    let out = runs.join("elo");
    let o = ludus(&[
        "tournament",
        "--game",
        "tictactoe",
        "--agents",
        "random,alphabeta:depth=2",
        "--checkpoints",
        dir.to_str().unwrap(),
        "--every",
        "2",
        "--sims",
        "8",
        "--games-per-pair",
        "2",
        "--bootstrap",
        "50",
        "--no-log",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains(&format!("az:{}@0", dir.display())),
        "{}",
        stdout(&o)
    );
    assert!(out.join("elo-over-training.png").exists());
    std::fs::remove_dir_all(&runs).unwrap();
}

#[test]
fn match_games_are_logged_and_episodes_reads_them_back() {
    let root = scratch_dir("episodes");
    let log = root.join("m-v0");
    let log_arg = log.to_str().unwrap();
    let v = json(&ludus(&[
        "match",
        "--game",
        "tictactoe",
        "--a",
        "mcts:sims=50",
        "--b",
        "random",
        "--games",
        "8",
        "--log",
        log_arg,
        "--json",
    ]));
    assert_eq!(v["episodes"]["total"], 8, "{v}");

    // Statistics agree with the match's own report.
    let stats = json(&ludus(&["episodes", "stats", log_arg, "--json"]));
    assert_eq!(stats["episodes"], 8);
    let mcts = &stats["by_agent"]["mcts:sims=50:c=1.4142"];
    assert_eq!(mcts["wins"], v["wins"], "{stats}");
    assert_eq!(mcts["draws"], v["draws"], "{stats}");
    assert_eq!(mcts["losses"], v["losses"], "{stats}");
    let seats = stats["by_seat"].as_array().unwrap();
    assert_eq!(seats[0]["games"], 8);

    // Filters: the exported draws are the match's draws.
    let o = ludus(&["episodes", "export", log_arg, "--where", "winner=draw"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o).lines().count() as u64,
        v["draws"].as_u64().unwrap()
    );

    // `show` replays a game with MCTS's view of its moves.
    let o = ludus(&["episodes", "show", log_arg, "--episode", "0"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("ply 1: seat 0 (mcts:sims=50"), "{text}");
    assert!(
        text.contains("search: ") && text.contains("· 50 sims"),
        "{text}"
    );

    // A second match appends to the same dataset; `list` finds it.
    let v = json(&ludus(&[
        "match",
        "--game",
        "tictactoe",
        "--a",
        "random",
        "--b",
        "random",
        "--games",
        "4",
        "--log",
        log_arg,
        "--json",
    ]));
    assert_eq!(v["episodes"]["total"], 12, "{v}");
    let o = ludus(&["episodes", "list", root.to_str().unwrap()]);
    assert!(
        stdout(&o).contains("m-v0") && stdout(&o).contains("12"),
        "{}",
        stdout(&o)
    );

    // Bad input: another game's dataset, a missing episode, a bad filter.
    assert_usage_error(
        &[
            "match", "--game", "connect4", "--a", "random", "--b", "random", "--log", log_arg,
        ],
        "another directory",
    );
    assert_usage_error(
        &["episodes", "show", log_arg, "--episode", "99"],
        "episodes 0 to 11",
    );
    assert_usage_error(
        &["episodes", "stats", log_arg, "--where", "winner"],
        "KEY OP VALUE",
    );
    assert_usage_error(
        &["episodes", "stats", root.join("nothing").to_str().unwrap()],
        "not an episode dataset",
    );
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn train_explains_bad_configs() {
    let runs = scratch_dir("train-bad");
    let r = runs.to_str().unwrap();
    assert_usage_error(
        &[
            "train",
            "--game",
            "tictactoe",
            "--runs-dir",
            r,
            "--set",
            "search.simulatons=3",
        ],
        "simulatons",
    );
    assert_usage_error(
        &[
            "train",
            "--game",
            "tictactoe",
            "--runs-dir",
            r,
            "--set",
            "generations=0",
        ],
        "generations",
    );
    assert_usage_error(
        &[
            "train",
            "--game",
            "tictactoe",
            "--runs-dir",
            r,
            "--set",
            "net.kind=\"lstm\"",
        ],
        "lstm",
    );
    assert_usage_error(
        &[
            "train",
            "--game",
            "tictactoe",
            "--runs-dir",
            r,
            "--set",
            "evaluation.opponents=[\"rnadom\"]",
        ],
        "rnadom",
    );
    assert_usage_error(&["train", "--resume", r], "not a run directory");
    assert_usage_error(&["train", "--game", "chess"], "unknown game");
    let _ = std::fs::remove_dir_all(&runs);
}

#[test]
fn match_sprt_stops_once_it_decides() {
    let v = json(&ludus(&[
        "match",
        "--game",
        "tictactoe",
        "--a",
        "alphabeta",
        "--b",
        "random",
        "--sprt",
        "elo0=0,elo1=50",
        "--games",
        "400",
        "--json",
        "--no-log",
    ]));
    assert_eq!(v["sprt"]["decision"], "h1", "{v}");
    let llr = v["sprt"]["llr"].as_f64().unwrap();
    assert!(llr >= v["sprt"]["upper"].as_f64().unwrap(), "{v}");
    // It stopped long before the 400-game limit (in-flight games finish after the decision).
    assert!(v["games"].as_u64().unwrap() < 100, "{v}");
    assert!(v["sprt"]["games"].as_u64().unwrap() <= v["games"].as_u64().unwrap());
    // Pentanomial counts cover the tested pairs.
    let pairs: u64 = v["pentanomial"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_u64().unwrap())
        .sum();
    assert!(pairs >= v["sprt"]["pairs"].as_u64().unwrap(), "{v}");
    assert_usage_error(
        &[
            "match",
            "--game",
            "tictactoe",
            "--a",
            "random",
            "--b",
            "random",
            "--sprt",
            "elo0=5,elo1=0",
        ],
        "elo1",
    );
}

#[test]
fn tournament_rates_agents_in_order_and_continues_after_an_interruption() {
    let root = scratch_dir("tournament");
    let out = root.join("t");
    let out_arg = out.to_str().unwrap();
    let args = [
        "tournament",
        "--game",
        "tictactoe",
        "--agents",
        "random,mcts:sims=30,alphabeta",
        "--games-per-pair",
        "6",
        "--openings",
        "random:1",
        "--bootstrap",
        "200",
        "--out",
        out_arg,
    ];
    let o = ludus(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let table = stdout(&o);
    assert!(table.contains("(anchor)"), "{table}");
    let ratings: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("ratings.json")).unwrap()).unwrap();
    let names: Vec<&str> = ratings["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["agent"].as_str().unwrap())
        .collect();
    assert_eq!(names.last(), Some(&"random"), "{ratings}");
    assert_eq!(ratings["anchor"]["agent"], "random");
    for a in ratings["agents"].as_array().unwrap() {
        assert_eq!(a["games"], 12, "two encounters of 6 games each: {a}");
        assert!(a["lower"].as_f64().unwrap() <= a["elo"].as_f64().unwrap());
    }
    for file in [
        "ratings.md",
        "ratings.csv",
        "crosstable.png",
        "crosstable.svg",
        "results.jsonl",
    ] {
        assert!(out.join(file).exists(), "missing {file}");
    }
    let stats = json(&ludus(&[
        "episodes",
        "stats",
        out.join("episodes-v0").to_str().unwrap(),
        "--json",
    ]));
    assert_eq!(stats["episodes"], 18);

    // An interruption: half the results lost, the last line cut short. Running the same
    // command plays only the missing games.
    let results = std::fs::read_to_string(out.join("results.jsonl")).unwrap();
    let kept: Vec<&str> = results.lines().take(9).collect();
    std::fs::write(
        out.join("results.jsonl"),
        format!("{}\n{{\"encounter\": 1, \"ga", kept.join("\n")),
    )
    .unwrap();
    let o = ludus(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("9 of 18 games already played"),
        "{}",
        stderr(&o)
    );
    let complete = std::fs::read_to_string(out.join("results.jsonl"))
        .unwrap()
        .lines()
        .filter(|l| serde_json::from_str::<serde_json::Value>(l).is_ok())
        .count();
    assert_eq!(complete, 18);

    // Another tournament in the same folder is refused.
    let mut other = args.to_vec();
    other[4] = "random,alphabeta";
    assert_usage_error(&other, "holds another tournament");
    assert_usage_error(
        &[
            "tournament",
            "--game",
            "tictactoe",
            "--agents",
            "random,alphabeta",
            "--games-per-pair",
            "3",
        ],
        "odd",
    );
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn rts_play_runs_bot_games_and_refuses_bad_maps_and_bots() {
    let o = ludus(&[
        "rts",
        "play",
        "--map",
        "gen:8x8",
        "--p0",
        "rts:workerrush",
        "--p1",
        "rts:passive",
        "--games",
        "2",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("rts:workerrush wins 2, rts:passive wins 0, draws 0"),
        "{out}"
    );
    assert!(out.contains("cycles/s"), "{out}");
    let o = ludus(&[
        "rts",
        "play",
        "--p0",
        "rts:passive",
        "--p1",
        "rts:passive",
        "--max-cycles",
        "50",
    ]);
    assert!(stdout(&o).contains("draw at cycle 50"), "{}", stdout(&o));
    assert_usage_error(
        &[
            "rts",
            "play",
            "--map",
            "gen:8x8:towers=1",
            "--p0",
            "rts:passive",
            "--p1",
            "rts:passive",
        ],
        "unknown key `towers`",
    );
    assert_usage_error(
        &[
            "rts",
            "play",
            "--map",
            "no/such/map.xml",
            "--p0",
            "rts:passive",
            "--p1",
            "rts:passive",
        ],
        "no/such/map.xml",
    );
    assert_usage_error(
        &["rts", "play", "--p0", "rts:zergrush", "--p1", "rts:passive"],
        "workerrush, lightrush",
    );
}

#[test]
fn rts_serve_speaks_microrts_socket_protocol() {
    use std::io::{BufRead, BufReader, Write};
    use std::net::{TcpListener, TcpStream};
    // A free port: bind, note it, release it for the server.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let server = Command::new(env!("CARGO_BIN_EXE_ludus"))
        .args([
            "rts",
            "serve",
            "--agent",
            "rts:workerrush",
            "--once",
            "--port",
            &port.to_string(),
        ])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stream = None;
    for _ in 0..200 {
        if let Ok(s) = TcpStream::connect(("127.0.0.1", port)) {
            stream = Some(s);
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    let stream = stream.expect("the server listens");
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut w = stream;
    let mut line = String::new();
    let mut next = |reader: &mut BufReader<TcpStream>| {
        line.clear();
        reader.read_line(&mut line).unwrap();
        line.trim().to_string()
    };
    assert!(
        next(&mut reader).starts_with("ludus"),
        "a welcome line first"
    );
    // The captured start of basesWorkers8x8 (spec §2.3), with every unit idle at cycle 0.
    let state = r#"{"time":0,"pgs":{"width":8,"height":8,"terrain":"0000000000000000000000000000000000000000000000000000000000000000","players":[{"ID":0,"resources":5},{"ID":1,"resources":5}],"units":[{"type":"Resource","ID":4,"player":-1,"x":0,"y":0,"resources":20,"hitpoints":1},{"type":"Base","ID":6,"player":0,"x":2,"y":1,"resources":0,"hitpoints":10},{"type":"Base","ID":7,"player":1,"x":5,"y":6,"resources":0,"hitpoints":10},{"type":"Worker","ID":8,"player":0,"x":1,"y":1,"resources":0,"hitpoints":1},{"type":"Worker","ID":9,"player":1,"x":6,"y":6,"resources":0,"hitpoints":1}]},"actions":[]}"#;
    writeln!(w, "budget 100 0").unwrap();
    assert_eq!(next(&mut reader), "ack");
    writeln!(w, "preGameAnalysis 0\n{state}").unwrap();
    assert_eq!(next(&mut reader), "ack");
    writeln!(w, "getAction 0\n{state}").unwrap();
    let orders: serde_json::Value = serde_json::from_str(&next(&mut reader)).unwrap();
    let ids: Vec<u64> = orders
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["unitID"].as_u64().unwrap())
        .collect();
    assert_eq!(
        ids,
        vec![6, 8],
        "orders for player 0's base and worker: {orders}"
    );
    assert_eq!(
        orders[0]["unitAction"]["type"], 4,
        "the base trains a worker"
    );
    assert_eq!(orders[0]["unitAction"]["unitType"], "Worker");
    writeln!(w, "getAction 0\n{{broken").unwrap();
    assert_eq!(
        next(&mut reader),
        "[]",
        "a broken state is answered, not fatal"
    );
    writeln!(w, "gameOver 0").unwrap();
    assert_eq!(next(&mut reader), "ack");
    drop(w);
    drop(reader);
    let out = server.wait_with_output().unwrap();
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("1 malformed messages"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn rts_bots_play_matches_and_tournaments() {
    let o = ludus(&[
        "match",
        "--game",
        "rts:gen:8x8",
        "--a",
        "rts:workerrush",
        "--b",
        "rts:random",
        "--games",
        "6",
        "--json",
        "--no-log",
    ]);
    let v = json(&o);
    assert_eq!(
        (v["game"].as_str(), v["wins"].as_u64()),
        (Some("rts"), Some(6))
    );
    let dir = scratch_dir("rts-tournament");
    let o = ludus(&[
        "tournament",
        "--game",
        "rts:cycles=2000:gen:8x8",
        "--agents",
        "rts:workerrush,rts:passive",
        "--games-per-pair",
        "2",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let ratings = std::fs::read_to_string(dir.join("ratings.txt")).unwrap();
    let first = ratings
        .lines()
        .find(|l| l.trim_start().starts_with('1'))
        .unwrap();
    assert!(first.contains("rts:workerrush"), "{ratings}");
    assert_usage_error(
        &[
            "match",
            "--game",
            "rts",
            "--a",
            "rts:workerrush",
            "--b",
            "alphabeta",
        ],
        "unknown RTS agent `alphabeta`",
    );
    assert_usage_error(
        &[
            "match",
            "--game",
            "rts:utt=3",
            "--a",
            "rts:passive",
            "--b",
            "rts:passive",
        ],
        "unit table 3: the built-in unit tables are 1 and 2",
    );
}

#[test]
fn rts_games_are_logged_replayed_and_exported() {
    let dir = scratch_dir("rts-log");
    let log = dir.join("wr-vs-lr");
    let o = ludus(&[
        "match",
        "--game",
        "rts:gen:8x8",
        "--a",
        "rts:workerrush",
        "--b",
        "rts:lightrush",
        "--games",
        "2",
        "--log",
        log.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = ludus(&["episodes", "stats", log.to_str().unwrap()]);
    assert!(stdout(&o).contains("2 games"), "{}", stdout(&o));
    // The replay re-runs the logged orders from the logged start and must end as logged.
    let html = dir.join("game.html");
    let svg = dir.join("frames");
    let o = ludus(&[
        "rts",
        "replay",
        log.to_str().unwrap(),
        "--episode",
        "1",
        "--html",
        html.to_str().unwrap(),
        "--svg",
        svg.to_str().unwrap(),
        "--every",
        "100",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("as logged"), "{}", stdout(&o));
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("<svg") && page.contains("slider"));
    let frames = std::fs::read_dir(&svg).unwrap().count();
    assert!(frames >= 3, "{frames} frames");
    let o = ludus(&["episodes", "show", log.to_str().unwrap()]);
    assert!(stderr(&o).contains("ludus rts replay"), "{}", stderr(&o));
    let o = ludus(&["episodes", "export", log.to_str().unwrap()]);
    let first: serde_json::Value =
        serde_json::from_str(stdout(&o).lines().next().unwrap()).unwrap();
    assert_eq!(
        first["players"],
        serde_json::json!(["rts:workerrush", "rts:lightrush"])
    );
    assert_eq!(
        first["orders"][0].as_array().unwrap().len(),
        first["ticks"].as_u64().unwrap() as usize
    );
    // Minari opens it: per-player observations and actions, one step per tick.
    let check = r#"
import sys, minari
ds = minari.MinariDataset(sys.argv[1])
assert ds.total_episodes == 2, ds.total_episodes
for ep in ds.iterate_episodes():
    t = len(ep.rewards)
    assert ep.observations["p0"].shape == (t + 1, 8, 8, 29), ep.observations["p0"].shape
    assert ep.actions["p1"].shape == (t, 64, 7), ep.actions["p1"].shape
    assert ep.terminations[-1] and abs(ep.rewards[-1]) == 1
print("minari ok")
"#;
    let python = Command::new("python3")
        .args(["-c", check, log.join("data").to_str().unwrap()])
        .output();
    let required = std::env::var("LUDUS_REQUIRE_PYTHON_MINARI").is_ok_and(|v| v == "1");
    match python {
        Ok(out) if out.status.success() => {
            assert!(String::from_utf8_lossy(&out.stdout).contains("minari ok"))
        }
        Ok(out) if required || !String::from_utf8_lossy(&out.stderr).contains("No module") => {
            panic!(
                "minari check failed: {}",
                String::from_utf8_lossy(&out.stderr)
            )
        }
        _ => eprintln!("skipped the Minari check: python3 with minari is not available"),
    }
}

#[test]
fn rts_serve_connects_to_microrts_in_its_server_mode() {
    use std::io::{BufRead, BufReader, Write};
    // microRTS's SERVER launch mode: it listens, the AI connects and speaks first.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let client = Command::new(env!("CARGO_BIN_EXE_ludus"))
        .args([
            "rts",
            "serve",
            "--agent",
            "rts:passive",
            "--connect",
            &format!("127.0.0.1:{port}"),
        ])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (stream, _) = listener.accept().unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut w = stream;
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    assert!(line.starts_with("ludus"), "a welcome line first: {line}");
    writeln!(w, "budget 100 0").unwrap();
    line.clear();
    reader.read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "ack");
    writeln!(w, "end").unwrap();
    let out = client.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Nobody listening: a clear error, not a panic.
    drop(listener);
    let o = ludus(&[
        "rts",
        "serve",
        "--agent",
        "rts:passive",
        "--connect",
        &format!("127.0.0.1:{port}"),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("cannot connect to microRTS"),
        "{}",
        stderr(&o)
    );
}

/// Settings that make an RTS training run take seconds.
const QUICK_RTS: &[&str] = &[
    "--set",
    "checkpoint_every=1",
    "--set",
    "collect.games=2",
    "--set",
    "collect.steps=8",
    "--set",
    "ppo.minibatches=1",
    "--set",
    "ppo.epochs=1",
    "--set",
    "evaluation.every=2",
    "--set",
    "evaluation.games=2",
    "--set",
    "evaluation.opponents=[\"passive\"]",
    "--set",
    "league.snapshot_every=2",
    "--set",
    "policy.d_model=16",
    "--set",
    "policy.heads=2",
    "--set",
    "policy.ff=16",
    "--set",
    "policy.core_hidden=16",
    "--set",
    "policy.spatial_channels=8",
    "--set",
    "policy.max_entities=24",
    "--set",
    "game.max_cycles=300",
];

#[test]
fn train_microrts_writes_a_run_that_resumes_and_plays() {
    let runs = scratch_dir("train-rts");
    let mut args = vec![
        "train",
        "--game",
        "microrts",
        "--map",
        "gen:6x6",
        "--runs-dir",
        runs.to_str().unwrap(),
        "--name",
        "r",
        "--set",
        "updates=4",
        "--max-generations",
        "3",
    ];
    args.extend_from_slice(QUICK_RTS);
    // Games of at most 20 cycles end within the run, and each update's games are logged.
    args.extend_from_slice(&[
        "--set",
        "game.max_cycles=20",
        "--set",
        "collect.episodes_every=1",
    ]);
    let o = ludus(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let dir = runs.join("r");
    let update = |d: &std::path::Path| -> u64 {
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(d.join("state.json")).unwrap()).unwrap();
        v["update"].as_u64().unwrap()
    };
    assert_eq!(update(&dir), 3);
    assert!(dir.join("snapshots/update-000002.safetensors").exists());
    assert!(dir.join("checkpoints/latest.safetensors").exists());
    assert!(dir.join("plots/progress.png").exists() && dir.join("plots/progress.svg").exists());
    // The training games are in the episode log, and replay from it as they were played.
    let log = dir.join("episodes/training-v0");
    let o = ludus(&["rts", "replay", log.to_str().unwrap(), "--episode", "0"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains("as logged") && text.contains("ppo:"),
        "{text}"
    );
    let metrics = std::fs::read_to_string(dir.join("metrics.csv")).unwrap();
    let header: Vec<&str> = metrics.lines().next().unwrap().split(',').collect();
    let score = header
        .iter()
        .position(|h| *h == "score_vs_passive")
        .unwrap();
    let rows: Vec<Vec<&str>> = metrics
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    assert_eq!(
        rows.iter().map(|r| r[0]).collect::<Vec<_>>(),
        ["1", "2", "3"]
    );
    assert!(
        !rows[1][score].is_empty(),
        "update 2 is evaluated: {metrics}"
    );

    // A changed config on resume is refused; the plain resume finishes the run.
    let o = ludus(&[
        "train",
        "--resume",
        dir.to_str().unwrap(),
        "--set",
        "ppo.epochs=3",
    ]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("--accept-config-change"),
        "{}",
        stderr(&o)
    );
    let o = ludus(&["train", "--resume", dir.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("at update 3 of 4"), "{}", stderr(&o));
    assert_eq!(update(&dir), 4);

    // The trained agent plays: on its map, and with a clear refusal on another size.
    let spec = format!("ppo:{}", dir.display());
    let o = ludus(&[
        "rts",
        "play",
        "--map",
        "gen:6x6",
        "--p0",
        &spec,
        "--p1",
        "rts:passive",
        "--games",
        "2",
        "--max-cycles",
        "200",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = ludus(&[
        "rts",
        "play",
        "--map",
        "gen:8x8",
        "--p0",
        &spec,
        "--p1",
        "rts:passive",
        "--games",
        "1",
        "--max-cycles",
        "50",
    ]);
    assert!(stderr(&o).contains("trained on 6×6 maps"), "{}", stderr(&o));
    let o = ludus(&[
        "rts",
        "play",
        "--p0",
        "ppo:/no/such/run",
        "--p1",
        "rts:passive",
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("not a run directory"), "{}", stderr(&o));
    std::fs::remove_dir_all(&runs).unwrap();
}
