//! The batched evaluator: results equal a direct forward pass, batching happens under concurrent
//! load and respects `max_batch`/`max_wait`, the cache and weight updates behave, bad input is a
//! typed error, and shutdown never leaves a caller hanging.

use std::collections::HashSet;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use candle_core::Device;
use ludus_connect4::ConnectFour;
use ludus_core::{Game, GameState};
use ludus_nn::candle_nn::ops::softmax_last_dim;
use ludus_nn::{
    encode_states, Arch, BatchedEvaluator, Evaluation, EvaluatorConfig, EvaluatorHandle,
    LstmConfig, MlpConfig, NetConfig, NetShape, Network, NnError, ResnetConfig, ValueHead,
};
use ludus_tictactoe::TicTacToe;

const TOL: f32 = 1e-5;

fn mlp(head: ValueHead) -> NetConfig {
    NetConfig::new(
        Arch::Mlp(MlpConfig {
            hidden: 32,
            layers: 1,
        }),
        head,
    )
}

fn net_for<G: Game>(game: &G, config: &NetConfig, seed: u64) -> Network {
    Network::new(config, &NetShape::of(game), &Device::Cpu, seed).unwrap()
}

fn config(max_batch: usize, max_wait_ms: u64, cache_capacity: usize) -> EvaluatorConfig {
    EvaluatorConfig {
        max_batch,
        max_wait: Duration::from_millis(max_wait_ms),
        cache_capacity,
    }
}

/// Distinct non-terminal positions from seeded random games, at most `n`.
fn positions<G: Game>(game: &G, n: usize, seed: u64) -> Vec<G::State> {
    let mut rng = ludus_core::seeded_rng(seed);
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    let mut scratch = Vec::new();
    for _ in 0..10 * n {
        let mut state = game.initial_state();
        while !state.is_terminal() && out.len() < n {
            if seen.insert(state.position_hash()) {
                out.push(state.clone());
            }
            let a = state.random_legal_action(&mut rng, &mut scratch).unwrap();
            state.apply_unchecked(a);
        }
        if out.len() == n {
            break;
        }
    }
    out
}

/// What a frozen copy of `net` says about `states`, in one direct forward pass.
fn direct<G: Game>(game: &G, net: &Network, states: &[G::State]) -> Vec<Evaluation> {
    let frozen = net.inference_copy().unwrap();
    let refs: Vec<&G::State> = states.iter().collect();
    let (obs, legal) = encode_states(game, &refs, &Device::Cpu).unwrap();
    let out = frozen.forward(&obs, &legal).unwrap();
    let policy = out.policy().unwrap().to_vec2::<f32>().unwrap();
    let value = out.value_scalar().unwrap().to_vec1::<f32>().unwrap();
    let wdl = match out.value_head {
        ValueHead::Wdl => Some(
            softmax_last_dim(&out.value)
                .unwrap()
                .to_vec2::<f32>()
                .unwrap(),
        ),
        ValueHead::Scalar => None,
    };
    (0..states.len())
        .map(|i| Evaluation {
            policy: policy[i].clone(),
            value: value[i],
            wdl: wdl.as_ref().map(|w| [w[i][0], w[i][1], w[i][2]]),
        })
        .collect()
}

fn assert_close(got: &Evaluation, want: &Evaluation, what: &str) {
    assert_eq!(got.policy.len(), want.policy.len(), "{what}: policy length");
    for (a, (g, w)) in got.policy.iter().zip(&want.policy).enumerate() {
        assert!((g - w).abs() < TOL, "{what}: policy[{a}] {g} vs {w}");
        // Illegal actions stay exactly zero through batching.
        assert_eq!(*g == 0.0, *w == 0.0, "{what}: policy[{a}] zero pattern");
    }
    assert!(
        (got.value - want.value).abs() < TOL,
        "{what}: value {} vs {}",
        got.value,
        want.value
    );
    match (got.wdl, want.wdl) {
        (None, None) => {}
        (Some(g), Some(w)) => {
            for k in 0..3 {
                assert!((g[k] - w[k]).abs() < TOL, "{what}: wdl {g:?} vs {w:?}");
            }
        }
        (g, w) => panic!("{what}: wdl {g:?} vs {w:?}"),
    }
}

fn legal_mask<S: GameState>(state: &S, num_actions: usize) -> Vec<bool> {
    let mut actions = Vec::new();
    state.legal_actions(&mut actions);
    let mut mask = vec![false; num_actions];
    for a in actions {
        mask[a] = true;
    }
    mask
}

fn check_matches_direct<G: Game>(game: &G, config_net: &NetConfig) {
    let net = net_for(game, config_net, 3);
    let states = positions(game, 24, 11);
    assert!(states.len() >= 20, "too few positions");
    let want = direct(game, &net, &states);
    // Batches of several sizes, both entry points.
    let evaluator = BatchedEvaluator::start(&net, &config(5, 0, 0)).unwrap();
    let handle = evaluator.handle();
    let what = format!("{} {}", game.name(), config_net.kind());
    for (i, (state, want)) in states.iter().zip(&want).enumerate() {
        let got = handle.evaluate_state(game, state).unwrap();
        assert_close(&got, want, &format!("{what} evaluate_state #{i}"));
        let obs = game.observation(state);
        let mask = legal_mask(state, game.num_actions());
        let got = handle.evaluate(&obs, &mask, None).unwrap();
        assert_close(&got, want, &format!("{what} evaluate #{i}"));
        if let Some(wdl) = got.wdl {
            assert!(
                (wdl[0] - wdl[2] - got.value).abs() < TOL,
                "{what}: value ≠ W − L"
            );
        }
    }
    assert_eq!(evaluator.stats().positions, 2 * states.len() as u64);
}

#[test]
fn results_equal_a_direct_forward_pass() {
    for head in [ValueHead::Wdl, ValueHead::Scalar] {
        check_matches_direct(&TicTacToe, &mlp(head));
        check_matches_direct(&ConnectFour, &mlp(head));
    }
    let resnet = NetConfig::new(
        Arch::Resnet(ResnetConfig {
            channels: 4,
            blocks: 1,
        }),
        ValueHead::Wdl,
    );
    check_matches_direct(&TicTacToe, &resnet);
}

/// 8 threads × 50 positions each, every thread checking its own results.
fn run_threads(max_batch: usize, max_wait_ms: u64) -> ludus_nn::EvaluatorStats {
    const THREADS: usize = 8;
    const PER_THREAD: usize = 50;
    let game = ConnectFour;
    let net = net_for(&game, &mlp(ValueHead::Wdl), 5);
    let states = positions(&game, THREADS * PER_THREAD, 21);
    assert_eq!(states.len(), THREADS * PER_THREAD);
    let want = direct(&game, &net, &states);
    let evaluator = BatchedEvaluator::start(&net, &config(max_batch, max_wait_ms, 0)).unwrap();
    thread::scope(|s| {
        for t in 0..THREADS {
            let handle = evaluator.handle();
            let (states, want, game) = (&states, &want, &game);
            s.spawn(move || {
                for i in (t * PER_THREAD)..((t + 1) * PER_THREAD) {
                    let got = handle.evaluate_state(game, &states[i]).unwrap();
                    assert_close(&got, &want[i], &format!("thread {t}, position {i}"));
                }
            });
        }
    });
    let stats = evaluator.stats();
    eprintln!(
        "max_batch {max_batch}: {stats:?}, mean {:.2}",
        stats.mean_batch_size()
    );
    assert_eq!(stats.positions, (THREADS * PER_THREAD) as u64);
    assert_eq!(stats.failed_batches, 0);
    assert!(stats.largest_batch <= max_batch as u64, "{stats:?}");
    stats
}

#[test]
fn many_threads_get_their_own_results_in_shared_batches() {
    let stats = run_threads(8, 200);
    // With a long wait every batch should gather (nearly) all 8 waiting threads.
    assert!(
        stats.mean_batch_size() > 2.0,
        "no real batching: {stats:?}, mean {}",
        stats.mean_batch_size()
    );
    let stats = run_threads(3, 200);
    assert!(
        stats.largest_batch == 3,
        "max_batch 3 never filled: {stats:?}"
    );
    assert!(stats.mean_batch_size() > 1.0, "{stats:?}");
}

#[test]
fn a_lone_request_waits_for_max_wait_and_no_longer() {
    let game = TicTacToe;
    let net = net_for(&game, &mlp(ValueHead::Wdl), 1);
    let evaluator = BatchedEvaluator::start(&net, &config(256, 300, 0)).unwrap();
    let handle = evaluator.handle();
    let start = Instant::now();
    handle.evaluate_state(&game, &game.initial_state()).unwrap();
    let elapsed = start.elapsed();
    assert!(
        elapsed >= Duration::from_millis(300),
        "served after {elapsed:?}, before max_wait"
    );
    assert!(elapsed < Duration::from_secs(5), "served after {elapsed:?}");
    // max_wait 0: a lone request is served at once.
    let evaluator = BatchedEvaluator::start(&net, &config(256, 0, 0)).unwrap();
    let start = Instant::now();
    evaluator
        .handle()
        .evaluate_state(&game, &game.initial_state())
        .unwrap();
    assert!(start.elapsed() < Duration::from_millis(250));
}

#[test]
fn cache_answers_repeats_without_the_worker_and_stays_bounded() {
    let game = ConnectFour;
    let net = net_for(&game, &mlp(ValueHead::Wdl), 2);
    let states = positions(&game, 40, 3);
    let evaluator = BatchedEvaluator::start(&net, &config(16, 0, 10)).unwrap();
    let handle = evaluator.handle();

    let first = handle.evaluate_state(&game, &states[0]).unwrap();
    let stats = evaluator.stats();
    assert_eq!((stats.cache_misses, stats.cache_hits), (1, 0));
    let second = handle.evaluate_state(&game, &states[0]).unwrap();
    let after = evaluator.stats();
    assert_eq!((after.cache_misses, after.cache_hits), (1, 1));
    assert_eq!(
        first, second,
        "a hit must return exactly the cached evaluation"
    );
    assert_eq!(after.positions, stats.positions, "a hit reached the worker");

    // The raw entry point shares the cache when given the same hash.
    let obs = game.observation(&states[0]);
    let mask = legal_mask(&states[0], game.num_actions());
    let third = handle
        .evaluate(&obs, &mask, Some(states[0].position_hash()))
        .unwrap();
    assert_eq!(third, first);
    assert_eq!(evaluator.stats().cache_hits, 2);
    // Without a hash there is no lookup.
    handle.evaluate(&obs, &mask, None).unwrap();
    let stats = evaluator.stats();
    assert_eq!((stats.cache_misses, stats.cache_hits), (1, 2));

    for state in &states {
        handle.evaluate_state(&game, state).unwrap();
        assert!(evaluator.stats().cache_len <= 10, "{:?}", evaluator.stats());
    }
    assert!(evaluator.stats().cache_len >= 5, "{:?}", evaluator.stats());
    // The last position is certainly cached.
    let before = evaluator.stats().cache_hits;
    handle.evaluate_state(&game, &states[39]).unwrap();
    assert_eq!(evaluator.stats().cache_hits, before + 1);
}

#[test]
fn update_weights_changes_outputs_and_clears_the_cache() {
    let game = TicTacToe;
    let net1 = net_for(&game, &mlp(ValueHead::Wdl), 1);
    let net2 = net_for(&game, &mlp(ValueHead::Wdl), 2);
    let states = positions(&game, 6, 4);
    let want1 = direct(&game, &net1, &states);
    let want2 = direct(&game, &net2, &states);
    let evaluator = BatchedEvaluator::start(&net1, &config(4, 0, 100)).unwrap();
    let handle = evaluator.handle();
    for (s, w) in states.iter().zip(&want1) {
        assert_close(&handle.evaluate_state(&game, s).unwrap(), w, "net 1");
    }
    assert_eq!(evaluator.stats().cache_len, states.len());

    evaluator.update_weights(&net2).unwrap();
    assert_eq!(
        evaluator.stats().cache_len,
        0,
        "update_weights kept the cache"
    );
    let misses = evaluator.stats().cache_misses;
    for (i, s) in states.iter().enumerate() {
        let got = handle.evaluate_state(&game, s).unwrap();
        assert_close(&got, &want2[i], "net 2");
        assert!(
            (got.value - want1[i].value).abs() > 1e-4 || got.policy != want1[i].policy,
            "position {i}: outputs did not change"
        );
    }
    assert_eq!(
        evaluator.stats().cache_misses,
        misses + states.len() as u64,
        "old cached evaluations were served after the update"
    );

    // Another architecture or another game is refused, and the evaluator keeps serving.
    let wider = NetConfig::new(
        Arch::Mlp(MlpConfig {
            hidden: 64,
            layers: 1,
        }),
        ValueHead::Wdl,
    );
    let err = evaluator
        .update_weights(&net_for(&game, &wider, 1))
        .unwrap_err();
    assert!(matches!(err, NnError::Input(_)), "{err}");
    let scalar = net_for(&game, &mlp(ValueHead::Scalar), 1);
    assert!(matches!(
        evaluator.update_weights(&scalar),
        Err(NnError::Input(_))
    ));
    let c4 = net_for(&ConnectFour, &mlp(ValueHead::Wdl), 1);
    let err = evaluator.update_weights(&c4).unwrap_err();
    assert!(err.to_string().contains("actions"), "{err}");
    assert_close(
        &handle.evaluate_state(&game, &states[0]).unwrap(),
        &want2[0],
        "after refused updates",
    );
}

#[test]
fn bad_input_is_a_typed_error_before_queueing() {
    let game = TicTacToe;
    let net = net_for(&game, &mlp(ValueHead::Wdl), 1);
    let evaluator = BatchedEvaluator::start(&net, &config(4, 0, 4)).unwrap();
    let handle = evaluator.handle();
    let input = |r: Result<Evaluation, NnError>| match r {
        Err(NnError::Input(m)) => m,
        other => panic!("expected an input error, got {other:?}"),
    };
    let m = input(handle.evaluate(&[0.0; 17], &[true; 9], None));
    assert!(m.contains("17") && m.contains("18"), "{m}");
    let m = input(handle.evaluate(&[0.0; 18], &[true; 10], None));
    assert!(m.contains("10") && m.contains("9 actions"), "{m}");
    let m = input(handle.evaluate(&[0.0; 18], &[false; 9], Some(7)));
    assert!(m.contains("no legal action"), "{m}");
    // A Connect Four state on a tic-tac-toe evaluator.
    let c4 = ConnectFour;
    let m = input(handle.evaluate_state(&c4, &c4.initial_state()));
    assert!(m.contains(c4.name()), "{m}");
    // A finished game: X takes the first column.
    let won = game.play_moves(&["a1", "b1", "a2", "b2", "a3"]).unwrap();
    assert!(won.is_terminal());
    let m = input(handle.evaluate_state(&game, &won));
    assert!(m.contains("terminal"), "{m}");
    let stats = evaluator.stats();
    assert_eq!(
        (stats.batches, stats.failed_batches),
        (0, 0),
        "bad input reached the worker"
    );
}

#[test]
fn bad_configs_and_recurrent_nets_are_refused() {
    let game = TicTacToe;
    let net = net_for(&game, &mlp(ValueHead::Wdl), 1);
    match BatchedEvaluator::start(&net, &config(0, 1, 0)) {
        Err(NnError::Config(m)) => assert!(m.contains("max_batch"), "{m}"),
        other => panic!("max_batch 0 accepted: {other:?}"),
    }
    match BatchedEvaluator::start(&net, &config(8, 5_000, 0)) {
        Err(NnError::Config(m)) => assert!(m.contains("max_wait"), "{m}"),
        other => panic!("a 5 s wait accepted: {other:?}"),
    }
    let lstm = NetConfig::new(
        Arch::Lstm(LstmConfig {
            hidden: 8,
            layers: 1,
            encoder: ludus_nn::Encoder::Mlp(MlpConfig {
                hidden: 8,
                layers: 1,
            }),
        }),
        ValueHead::Wdl,
    );
    match BatchedEvaluator::start(&net_for(&game, &lstm, 1), &EvaluatorConfig::default()) {
        Err(NnError::Config(m)) => assert!(m.contains("recurrent"), "{m}"),
        other => panic!("recurrent net accepted: {other:?}"),
    }
}

#[test]
fn config_reads_from_toml_with_defaults_and_checks() {
    let c: EvaluatorConfig = toml::from_str("").unwrap();
    assert_eq!(c, EvaluatorConfig::default());
    assert_eq!(
        (c.max_batch, c.max_wait, c.cache_capacity),
        (256, Duration::from_millis(1), 0)
    );
    let c: EvaluatorConfig =
        toml::from_str("max_batch = 32\nmax_wait_us = 250\ncache_capacity = 4096").unwrap();
    let want = EvaluatorConfig {
        max_batch: 32,
        max_wait: Duration::from_micros(250),
        cache_capacity: 4096,
    };
    assert_eq!(c, want);
    let back: EvaluatorConfig = toml::from_str(&toml::to_string(&c).unwrap()).unwrap();
    assert_eq!(back, c);
    let err = toml::from_str::<EvaluatorConfig>("max_batchh = 3").unwrap_err();
    assert!(err.to_string().contains("max_batchh"), "{err}");
    let err = toml::from_str::<EvaluatorConfig>("max_batch = 0").unwrap_err();
    assert!(err.to_string().contains("max_batch"), "{err}");
}

#[test]
fn handles_outliving_the_evaluator_get_evaluator_stopped() {
    fn is_handle<T: Clone + Send + Sync + 'static>(_: &T) {}
    let game = TicTacToe;
    let net = net_for(&game, &mlp(ValueHead::Wdl), 1);
    let evaluator = BatchedEvaluator::start(&net, &config(4, 1, 0)).unwrap();
    let handle = evaluator.handle();
    is_handle(&handle);

    // Threads evaluating in a loop while the evaluator is dropped must all stop with
    // EvaluatorStopped, none hanging.
    let (done_tx, done_rx) = mpsc::channel();
    let mut joins = Vec::new();
    for t in 0..4 {
        let handle: EvaluatorHandle = handle.clone();
        let done = done_tx.clone();
        joins.push(thread::spawn(move || {
            let err = loop {
                match handle.evaluate_state(&game, &game.initial_state()) {
                    Ok(_) => {}
                    Err(e) => break e,
                }
            };
            let _ = done.send((t, err));
        }));
    }
    // Let the threads get going.
    while evaluator.stats().positions < 20 {
        thread::sleep(Duration::from_millis(1));
    }
    // Dropped on another thread, so that a drop that never returns fails the test.
    let (dropped_tx, dropped_rx) = mpsc::channel();
    thread::spawn(move || {
        drop(evaluator);
        let _ = dropped_tx.send(());
    });
    dropped_rx
        .recv_timeout(Duration::from_secs(10))
        .expect("dropping the evaluator hung");
    for _ in 0..4 {
        let (t, err) = done_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("a caller hung after the evaluator was dropped");
        assert!(
            matches!(err, NnError::EvaluatorStopped(_)),
            "thread {t}: {err}"
        );
    }
    for j in joins {
        j.join().unwrap();
    }
    let err = handle.evaluate(&[0.0; 18], &[true; 9], None).unwrap_err();
    assert!(matches!(err, NnError::EvaluatorStopped(_)), "{err}");
    assert!(err.to_string().contains("stopped"), "{err}");
}
