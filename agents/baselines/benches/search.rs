//! Search speed on Connect Four: MCTS simulations per second and alpha-beta nodes per second.
//!
//! Run with `cargo bench -p ludus-baselines --bench search`. Both benchmarks check what they
//! measure: MCTS accounts for every simulation at the root, and alpha-beta at depth 6 visits the
//! same number of nodes every time (the search is deterministic) and opens in the centre column.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use ludus_baselines::{AlphaBetaAgent, AlphaBetaConfig, DefaultEvaluator, MctsAgent, MctsConfig};
use ludus_connect4::ConnectFour;
use ludus_core::{Agent, Game};

const SIMULATIONS: usize = 2000;
const DEPTH: u32 = 6;

fn mcts_simulations(c: &mut Criterion) {
    let game = ConnectFour;
    let state = game.initial_state();
    let config = MctsConfig {
        simulations: SIMULATIONS,
        ..MctsConfig::default()
    };
    let mut agent = MctsAgent::new(game, config, 1);
    let mut group = c.benchmark_group("mcts");
    group.throughput(Throughput::Elements(SIMULATIONS as u64));
    group.bench_function("connect4_start_2000_sims", |b| {
        b.iter(|| {
            let action = agent.select_action(black_box(&state)).unwrap();
            let stats = agent.last_stats().unwrap();
            assert_eq!(stats.simulations, SIMULATIONS);
            assert_eq!(
                stats
                    .children
                    .iter()
                    .map(|c| c.visits as usize)
                    .sum::<usize>(),
                SIMULATIONS
            );
            action
        })
    });
    group.finish();
}

fn alphabeta_nodes(c: &mut Criterion) {
    let game = ConnectFour;
    let state = game.initial_state();
    let config = AlphaBetaConfig {
        depth: Some(DEPTH),
        max_time: None,
    };
    let mut agent = AlphaBetaAgent::new(game, config, ConnectFour::default_evaluator(), 1);
    agent.select_action(&state).unwrap();
    let nodes = agent.last_stats().unwrap().nodes;
    let mut group = c.benchmark_group("alphabeta");
    group.throughput(Throughput::Elements(nodes));
    group.bench_function("connect4_start_depth_6", |b| {
        b.iter(|| {
            agent.new_game(1);
            let action = agent.select_action(black_box(&state)).unwrap();
            let stats = agent.last_stats().unwrap();
            assert_eq!((stats.depth, stats.nodes), (DEPTH, nodes));
            assert_eq!(action, 3, "depth-6 alpha-beta should open in the centre");
            action
        })
    });
    group.finish();
}

criterion_group!(benches, mcts_simulations, alphabeta_nodes);
criterion_main!(benches);
