//! The RTS policy: its orders are always legal and never conflict, and its LSTM core carries
//! state across decisions and resets it at episode starts.

use std::sync::Arc;

use candle_core::{Device, Tensor};
use ludus_rts::{parse_bot, GameState, IssueReport, Map, RtsAgent, UnitTypeTable};
use ludus_rts_ppo::{
    observe, Batch, Core, EntityEncoder, Policy, PolicyAgent, PolicyConfig, PolicyShape,
};

fn start(spec: &str, seed: u64) -> GameState {
    let utt = Arc::new(UnitTypeTable::v2());
    Map::from_spec(spec, &utt)
        .unwrap()
        .start(utt, seed)
        .unwrap()
}

fn policy(config: &PolicyConfig, state: &GameState) -> Policy {
    let shape = PolicyShape {
        height: state.height() as usize,
        width: state.width() as usize,
        unit_types: state.utt().types().len(),
    };
    Policy::new(config, shape, &Device::Cpu, 7).unwrap()
}

fn small() -> PolicyConfig {
    PolicyConfig {
        d_model: 16,
        heads: 2,
        ff: 32,
        spatial_channels: 8,
        spatial_blocks: 1,
        core_hidden: 16,
        ..PolicyConfig::default()
    }
}

/// An untrained policy samples all kinds of orders; every one it issues, over whole games
/// against random and rushing opponents, is legal and consistent with the others.
#[test]
fn sampled_orders_are_always_legal_and_never_conflict() {
    for (seed, opponent, encoder, core, seat) in [
        (1, "random", EntityEncoder::Transformer, Core::Lstm, 0),
        (2, "workerrush", EntityEncoder::None, Core::Mlp, 0),
        // Player 1 sees the map turned: its orders' directions and targets are turned back.
        (3, "randombiased", EntityEncoder::Transformer, Core::Lstm, 1),
    ] {
        let mut state = start("gen:8x8", seed);
        let config = PolicyConfig {
            encoder,
            core,
            ..small()
        };
        let mut agent = PolicyAgent::new("policy".into(), policy(&config, &state), 3000, false);
        agent.reseed(seed);
        let mut other = parse_bot(opponent, seed).unwrap();
        let mut reports = [IssueReport::default(); 2];
        let mut orders = 0;
        while !state.is_over() && state.time() < 600 {
            let mine = agent.try_act(&state, seat).unwrap();
            orders += mine.len();
            let theirs = other.act(&state, 1 - seat);
            let mut both = [theirs, mine];
            if seat == 0 {
                both.reverse();
            }
            ludus_rts::apply(&mut state, &both, &mut reports).unwrap();
        }
        let r = reports[seat];
        assert!(orders > 50, "the policy gave only {orders} orders");
        assert_eq!(
            (r.illegal, r.cancelled, r.inconsistent, r.overwritten),
            (0, 0, 0, 0),
            "{opponent}: {r:?}"
        );
    }
}

fn observation_batch(policy: &Policy, states: &[GameState]) -> Batch {
    let obs: Vec<_> = states.iter().map(|s| observe(s, 0, 48, 3000)).collect();
    let refs: Vec<_> = obs.iter().collect();
    Batch::new(&refs, policy.shape(), 48, &Device::Cpu).unwrap()
}

fn values(t: &Tensor) -> Vec<f32> {
    t.flatten_all().unwrap().to_vec1().unwrap()
}

fn close(a: &[f32], b: &[f32]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-4)
}

/// A sequence run in one call equals the same steps run one at a time with the state carried;
/// an episode start resets the state; and the carried state does change the output.
#[test]
fn the_lstm_state_is_carried_across_steps_and_reset_at_episode_starts() {
    let mut states = vec![start("gen:8x8", 3)];
    let mut bots = [
        parse_bot("workerrush", 1).unwrap(),
        parse_bot("lightrush", 2).unwrap(),
    ];
    let mut reports = [IssueReport::default(); 2];
    for _ in 0..3 {
        let mut s = states.last().unwrap().clone();
        for _ in 0..15 {
            let o = [bots[0].act(&s, 0), bots[1].act(&s, 1)];
            ludus_rts::apply(&mut s, &o, &mut reports).unwrap();
        }
        states.push(s);
    }
    let p = policy(&small(), &states[0]);
    let dev = Device::Cpu;
    let zero = p.initial_state(1).unwrap();

    // Four steps at once, the first an episode start.
    let all = observation_batch(&p, &states);
    let starts = Tensor::new(&[[1u8, 0, 0, 0]], &dev).unwrap();
    let whole = p.forward(&all, 1, &starts, &zero).unwrap();

    // The same steps one at a time.
    let mut state = zero.clone();
    let mut stepped = Vec::new();
    for (t, s) in states.iter().enumerate() {
        let b = observation_batch(&p, std::slice::from_ref(s));
        let start = Tensor::new(&[[u8::from(t == 0)]], &dev).unwrap();
        let out = p.forward(&b, 1, &start, &state).unwrap();
        state = out.state.clone();
        stepped.extend(values(&out.value));
    }
    assert!(
        close(&values(&whole.value), &stepped),
        "{:?} vs {stepped:?}",
        values(&whole.value)
    );
    assert!(close(&values(&whole.state.h), &values(&state.h)));

    // The last step from a fresh state differs from the carried one (the state matters) …
    let last = observation_batch(&p, &states[3..]);
    let fresh = p
        .forward(&last, 1, &Tensor::new(&[[0u8]], &dev).unwrap(), &zero)
        .unwrap();
    assert!(!close(&values(&fresh.value), &stepped[3..]));
    // … and an episode start there wipes whatever state came in.
    let reset = p
        .forward(&last, 1, &Tensor::new(&[[1u8]], &dev).unwrap(), &state)
        .unwrap();
    assert!(close(&values(&reset.value), &values(&fresh.value)));

    // Two sequences in one batch are independent.
    let two = observation_batch(
        &p,
        &[
            states[0].clone(),
            states[1].clone(),
            states[0].clone(),
            states[1].clone(),
        ],
    );
    let starts = Tensor::new(&[[1u8, 0], [1, 0]], &dev).unwrap();
    let out = p
        .forward(&two, 2, &starts, &p.initial_state(2).unwrap())
        .unwrap();
    let v = values(&out.value);
    assert!(
        close(&v[..2], &stepped[..2]) && close(&v[2..], &stepped[..2]),
        "{v:?}"
    );
}
