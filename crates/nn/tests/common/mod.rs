//! Shared test helpers: the exact tic-tac-toe solution used as a learning target.

#![allow(dead_code)]

use std::collections::HashMap;

use ludus_core::{Game, GameState};
use ludus_tictactoe::{TicTacToe, TicTacToeState};

/// One non-terminal reachable position with its game-theoretic value for the player to move
/// and the set of moves that keep that value.
pub struct Solved {
    pub state: TicTacToeState,
    pub value: f32,
    pub optimal: Vec<usize>,
}

fn negamax(state: &TicTacToeState, memo: &mut HashMap<u64, f32>) -> f32 {
    if state.is_terminal() {
        // The player to move at a terminal state has just been moved against.
        return state.player_return(state.to_play());
    }
    if let Some(&v) = memo.get(&state.position_hash()) {
        return v;
    }
    let mut moves = Vec::new();
    state.legal_actions(&mut moves);
    let best = moves
        .iter()
        .map(|&a| {
            let mut next = state.clone();
            next.apply_unchecked(a);
            -negamax(&next, memo)
        })
        .fold(f32::NEG_INFINITY, f32::max);
    memo.insert(state.position_hash(), best);
    best
}

/// Every non-terminal position reachable from the start, solved exactly (full-width negamax,
/// which is what alpha-beta computes without the pruning).
pub fn solved_tictactoe() -> Vec<Solved> {
    let game = TicTacToe;
    let mut memo = HashMap::new();
    let mut seen = HashMap::new();
    let mut stack = vec![game.initial_state()];
    let mut out = Vec::new();
    while let Some(state) = stack.pop() {
        if state.is_terminal() || seen.insert(state.position_hash(), ()).is_some() {
            continue;
        }
        let value = negamax(&state, &mut memo);
        let mut moves = Vec::new();
        state.legal_actions(&mut moves);
        let mut optimal = Vec::new();
        for &a in &moves {
            let mut next = state.clone();
            next.apply_unchecked(a);
            if -negamax(&next, &mut memo) == value {
                optimal.push(a);
            }
            stack.push(next);
        }
        out.push(Solved {
            state,
            value,
            optimal,
        });
    }
    out
}

/// Feed-forward pass for any network: a recurrent one runs every position as a one-step
/// episode (fresh state), so tests can treat all four architectures alike.
pub fn forward_any(
    net: &ludus_nn::Network,
    obs: &candle_core::Tensor,
    legal: &candle_core::Tensor,
    train: bool,
) -> ludus_nn::NetOutput {
    if !net.is_recurrent() {
        return net.forward_t(obs, legal, train).unwrap();
    }
    let b = obs.dim(0).unwrap();
    let starts = candle_core::Tensor::ones((b, 1), candle_core::DType::U8, obs.device()).unwrap();
    let (out, _) = net
        .sequence(
            &obs.unsqueeze(1).unwrap(),
            &legal.unsqueeze(1).unwrap(),
            &starts,
            &net.initial_state(b).unwrap(),
            train,
        )
        .unwrap();
    ludus_nn::NetOutput {
        policy_logits: out.policy_logits.squeeze(1).unwrap(),
        value: out.value.squeeze(1).unwrap(),
        value_head: out.value_head,
    }
}

/// Largest absolute difference between two tensors of the same shape.
pub fn max_abs_diff(a: &candle_core::Tensor, b: &candle_core::Tensor) -> f32 {
    (a - b)
        .unwrap()
        .abs()
        .unwrap()
        .flatten_all()
        .unwrap()
        .max(0)
        .unwrap()
        .to_scalar::<f32>()
        .unwrap()
}
