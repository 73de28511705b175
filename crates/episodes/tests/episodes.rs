//! Episode logs end to end: real games written through the writer thread, read back by the
//! Rust reader and by Minari itself.

mod common;

use common::{info, mcts, play, random, scratch};
use ludus_connect4::ConnectFour;
use ludus_core::Game;
use ludus_episodes::{Dataset, DatasetWriter, Episode, Filter, Termination, WriterOptions};
use ludus_go::{Go, GoConfig};
use ludus_tictactoe::TicTacToe;
use serde_json::json;

/// NaN-tolerant equality (NaN marks "not computed" in several arrays).
fn same(a: &Episode, b: &Episode) -> bool {
    format!("{a:?}") == format!("{b:?}")
}

#[test]
fn episodes_round_trip_through_rotating_shards() {
    let game = ConnectFour;
    let mut seats = [mcts(&game, 30), random(&game)];
    let episodes: Vec<Episode> = (0..5).map(|s| play(&game, &mut seats, s)).collect();
    let dir = scratch("round-trip");
    let options = WriterOptions {
        shard_episodes: 2,
        ..WriterOptions::default()
    };
    let writer = DatasetWriter::create(&dir, info(&game, "connect4"), options).unwrap();
    for e in &episodes {
        writer.write(e.clone()).unwrap();
    }
    let totals = writer.finish().unwrap();
    let steps: usize = episodes.iter().map(Episode::plies).sum();
    assert_eq!((totals.episodes, totals.steps), (5, steps as u64));

    let ds = Dataset::open(&dir).unwrap();
    assert_eq!((ds.len(), ds.total_steps()), (5, steps as u64));
    assert_eq!(ds.info().game, "connect4");
    // Two episodes per shard: three shards.
    let shards = std::fs::read_dir(dir.join("data/shards")).unwrap().count();
    assert_eq!(shards, 3);
    for (i, e) in episodes.iter().enumerate() {
        let back = ds.episode(i as u64).unwrap();
        assert!(
            same(&back, e),
            "episode {i} changed on the way:\n{back:?}\n{e:?}"
        );
        let s = ds.summary(i as u64).unwrap();
        assert_eq!(s.plies, e.plies());
        assert_eq!(s.winner, e.winner());
        assert_eq!(s.moves, e.moves);
        assert_eq!(s.extra["game_index"], json!(i));
    }
    // MCTS moved in seat 0: its rows carry visits that add up to its simulations; the random
    // agent's rows carry none.
    let e = ds.episode(0).unwrap();
    let log = e.search.as_ref().expect("an MCTS agent played");
    let a = game.num_actions();
    for t in 0..e.plies() {
        let visits: u32 = log.visits[t * a..(t + 1) * a].iter().sum();
        if e.to_play[t] == 0 {
            assert_eq!(visits, 30, "ply {t}");
            assert!(log.root_value[t].is_finite());
        } else {
            assert_eq!(visits, 0, "ply {t}");
        }
    }
    let err = ds.episode(5).unwrap_err().to_string();
    assert!(err.contains("episodes 0 to 4"), "{err}");
}

#[test]
fn a_named_shard_written_again_replaces_its_games() {
    let game = TicTacToe;
    let mut seats = [random(&game), random(&game)];
    let dir = scratch("named");
    let writer =
        DatasetWriter::create(&dir, info(&game, "tictactoe"), WriterOptions::default()).unwrap();
    for (name, seeds) in [("gen-00001", 0..2), ("gen-00002", 2..5)] {
        writer.begin_shard(name).unwrap();
        for s in seeds {
            writer.write(play(&game, &mut seats, s)).unwrap();
        }
        writer.publish().unwrap();
    }
    drop(writer);
    // A resumed run plays generation 2 again (after a crash that came after its shard was
    // published but before the run recorded the generation as done).
    let writer =
        DatasetWriter::create(&dir, info(&game, "tictactoe"), WriterOptions::default()).unwrap();
    writer.begin_shard("gen-00002").unwrap();
    let again: Vec<Episode> = (10..13).map(|s| play(&game, &mut seats, s)).collect();
    for e in &again {
        writer.write(e.clone()).unwrap();
    }
    let totals = writer.finish().unwrap();
    assert_eq!(totals.episodes, 5);
    let ds = Dataset::open(&dir).unwrap();
    assert_eq!(ds.len(), 5);
    for (k, e) in again.iter().enumerate() {
        assert!(same(&ds.episode(2 + k as u64).unwrap(), e));
    }
    assert_eq!(ds.summary(1).unwrap().seed, Some(1));
}

#[test]
fn unpublished_episodes_stay_invisible_and_a_dead_writers_shard_is_cleaned_up() {
    let game = TicTacToe;
    let mut seats = [random(&game), random(&game)];
    let dir = scratch("unpublished");
    let writer =
        DatasetWriter::create(&dir, info(&game, "tictactoe"), WriterOptions::default()).unwrap();
    writer.write(play(&game, &mut seats, 0)).unwrap();
    writer.publish().unwrap();
    writer.write(play(&game, &mut seats, 1)).unwrap();
    // Wait until the writer thread has the shard open (its file appears).
    let shards = dir.join("data/shards");
    let partial = || {
        std::fs::read_dir(&shards)
            .unwrap()
            .flatten()
            .find(|e| e.file_name().to_string_lossy().ends_with(".partial.hdf5"))
            .map(|e| e.path())
    };
    let start = std::time::Instant::now();
    while partial().is_none() && start.elapsed().as_secs() < 10 {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let open_partial = partial().expect("the writer opened a shard");
    assert_eq!(Dataset::open(&dir).unwrap().len(), 1);
    // Another writer opening the dataset leaves a live writer's shard alone...
    drop(DatasetWriter::create(&dir, info(&game, "tictactoe"), WriterOptions::default()).unwrap());
    assert!(open_partial.exists());
    // ...but removes one left by a writer that died mid-shard (here: a truncated file nobody
    // holds).
    let dead = shards.join(".shard-0-1-1.partial.hdf5");
    std::fs::write(&dead, b"\x89HDF\r\n\x1a\n half a superblock").unwrap();
    drop(DatasetWriter::create(&dir, info(&game, "tictactoe"), WriterOptions::default()).unwrap());
    assert!(!dead.exists());
    assert_eq!(writer.finish().unwrap().episodes, 2);
    assert_eq!(Dataset::open(&dir).unwrap().len(), 2);
}

#[test]
fn two_writers_share_one_dataset() {
    let game = TicTacToe;
    let dir = scratch("two-writers");
    let per_writer = 6;
    std::thread::scope(|scope| {
        for w in 0..2u64 {
            let dir = &dir;
            scope.spawn(move || {
                let mut seats = [random(&game), random(&game)];
                let options = WriterOptions {
                    shard_episodes: 2,
                    ..WriterOptions::default()
                };
                let writer = DatasetWriter::create(dir, info(&game, "tictactoe"), options).unwrap();
                for s in 0..per_writer {
                    writer.write(play(&game, &mut seats, w * 100 + s)).unwrap();
                }
                writer.finish().unwrap();
            });
        }
    });
    let ds = Dataset::open(&dir).unwrap();
    assert_eq!(ds.len(), 2 * per_writer);
    let mut seeds: Vec<u64> = ds.summaries().map(|s| s.unwrap().seed.unwrap()).collect();
    seeds.sort_unstable();
    let mut expected: Vec<u64> = (0..per_writer).chain(100..100 + per_writer).collect();
    expected.sort_unstable();
    assert_eq!(seeds, expected);
}

#[test]
fn bad_input_is_refused_with_a_reason() {
    let dir = scratch("bad");
    let mut bad_id = info(&TicTacToe, "tictactoe");
    bad_id.dataset_id = "no version".into();
    let err = DatasetWriter::create(&dir, bad_id, WriterOptions::default()).unwrap_err();
    assert!(err.to_string().contains("NAME-v0"), "{err}");

    let writer = DatasetWriter::create(
        &dir,
        info(&TicTacToe, "tictactoe"),
        WriterOptions::default(),
    )
    .unwrap();
    // A Connect Four game does not fit a tic-tac-toe dataset.
    let mut seats = [random(&ConnectFour), random(&ConnectFour)];
    let err = writer.write(play(&ConnectFour, &mut seats, 0)).unwrap_err();
    assert!(err.to_string().contains("does not fit"), "{err}");
    writer.finish().unwrap();
    let err = DatasetWriter::create(
        &dir,
        info(&ConnectFour, "connect4"),
        WriterOptions::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("another directory"), "{err}");
    let err = Dataset::open(&dir.join("nowhere")).unwrap_err();
    assert!(err.to_string().contains("not an episode dataset"), "{err}");
    assert!("plies>>3".parse::<Filter>().is_ok()); // `>` then value `>3`: parsed, compares as text
    assert!("=3".parse::<Filter>().is_err());
    assert!("winner".parse::<Filter>().is_err());
}

#[test]
fn filters_select_by_result_length_seat_and_moves() {
    let game = ConnectFour;
    let mut seats = [mcts(&game, 50), random(&game)];
    let dir = scratch("filters");
    let writer =
        DatasetWriter::create(&dir, info(&game, "connect4"), WriterOptions::default()).unwrap();
    let episodes: Vec<Episode> = (0..6).map(|s| play(&game, &mut seats, s)).collect();
    for e in &episodes {
        writer.write(e.clone()).unwrap();
    }
    writer.finish().unwrap();
    let ds = Dataset::open(&dir).unwrap();
    let count = |f: &str| {
        let f: Filter = f.parse().unwrap();
        ds.summaries()
            .filter(|s| f.matches(s.as_ref().unwrap()))
            .count()
    };
    let wins0 = episodes.iter().filter(|e| e.winner() == Some(0)).count();
    assert_eq!(count("winner=0"), wins0);
    assert_eq!(count("result=1-0"), wins0);
    let long = episodes.iter().filter(|e| e.plies() >= 12).count();
    assert_eq!(count("plies>=12"), long);
    assert_eq!(count("plies<12"), 6 - long);
    assert_eq!(count("seat1=random"), 6);
    assert_eq!(count("player=random"), 6);
    assert_eq!(count("player!=random"), 0);
    let first = &episodes[0].moves[0];
    let same_first = episodes.iter().filter(|e| &e.moves[0] == first).count();
    assert_eq!(count(&format!("move1={first}")), same_first);
    assert_eq!(count("game_index<3"), 3);
    assert_eq!(count("no_such_key=1"), 0);
}

/// Truncated games are marked as such (Go cut off by its move limit).
#[test]
fn move_limits_are_truncations() {
    let game = Go::new(GoConfig {
        size: 5,
        komi: 0.5,
        max_moves: Some(6),
    })
    .unwrap();
    let mut seats = [random(&game), random(&game)];
    let e = play(&game, &mut seats, 3);
    assert_eq!(e.plies(), 6);
    assert_eq!(e.termination, Termination::MoveLimit);
    assert!(
        e.winner().is_some(),
        "a cut-off game is scored as it stands"
    );
}

/// A made-up game of simultaneous moves: 2 players, `ticks` ticks, 2×3 observations of 2
/// planes, actions of 4 numbers.
fn tick_game(ticks: usize, winner: Option<usize>) -> ludus_episodes::TickEpisode {
    let obs = |p: usize| (0..(ticks + 1) * 12).map(|i| ((i + p) % 2) as i8).collect();
    let act = |p: usize| (0..ticks * 4).map(|i| ((i * (p + 1)) % 7) as i32).collect();
    let returns = match winner {
        Some(0) => vec![1.0, -1.0],
        Some(_) => vec![-1.0, 1.0],
        None => vec![0.0, 0.0],
    };
    ludus_episodes::TickEpisode {
        observations: vec![obs(0), obs(1)],
        actions: vec![act(0), act(1)],
        orders: (0..2)
            .map(|p| (0..ticks).map(|t| format!("[p{p} t{t}]")).collect())
            .collect(),
        returns,
        termination: if winner.is_some() {
            Termination::Natural
        } else {
            Termination::MoveLimit
        },
        players: vec!["a".into(), "b".into()],
        seed: Some(9),
        extra: serde_json::Map::from_iter([("map".to_string(), json!("gen:8x8"))]),
    }
}

#[test]
fn games_of_simultaneous_moves_round_trip_per_player() {
    let dir = scratch("ticks");
    let mut rts = info(&TicTacToe, "rts");
    rts.ticks = Some(ludus_episodes::TickLayout {
        observation_shape: vec![2, 3, 2],
        action_shape: vec![4],
        action_high: 6,
    });
    let writer = DatasetWriter::create(&dir, rts.clone(), WriterOptions::default()).unwrap();
    let games = [tick_game(5, Some(1)), tick_game(3, None)];
    for g in &games {
        writer.write_ticks(g.clone()).unwrap();
    }
    // The wrong kind of episode, or one of the wrong shape, is refused with the reason.
    let turn = play(&TicTacToe, &mut [random(&TicTacToe), random(&TicTacToe)], 1);
    let e = writer.write(turn).unwrap_err().to_string();
    assert!(e.contains("write_ticks"), "{e}");
    let mut bad = tick_game(2, None);
    bad.actions[1].pop();
    let e = writer.write_ticks(bad).unwrap_err().to_string();
    assert!(e.contains("does not fit"), "{e}");
    writer.finish().unwrap();

    let ds = Dataset::open(&dir).unwrap();
    assert_eq!((ds.len(), ds.total_steps()), (2, 8));
    assert_eq!(ds.info().ticks, rts.ticks);
    for (i, g) in games.iter().enumerate() {
        let back = ds.tick_episode(i as u64).unwrap();
        assert_eq!(back.observations, g.observations);
        assert_eq!(back.actions, g.actions);
        assert_eq!(back.orders, g.orders);
        assert_eq!(back.returns, g.returns);
        assert_eq!(back.termination, g.termination);
        assert_eq!(back.extra["map"], json!("gen:8x8"));
        let s = ds.summary(i as u64).unwrap();
        assert_eq!(s.winner, g.winner());
        assert_eq!(s.plies, g.ticks());
    }
    let e = ds.episode(0).unwrap_err().to_string();
    assert!(e.contains("tick_episode"), "{e}");
    // A turn-based dataset refuses tick episodes.
    let dir2 = scratch("turns-not-ticks");
    let writer = DatasetWriter::create(
        &dir2,
        info(&TicTacToe, "tictactoe"),
        WriterOptions::default(),
    )
    .unwrap();
    let e = writer
        .write_ticks(tick_game(1, None))
        .unwrap_err()
        .to_string();
    assert!(e.contains("turn-based"), "{e}");
}
