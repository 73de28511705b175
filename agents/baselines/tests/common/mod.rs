//! Helpers shared by the integration tests: playing games between agents.

#![allow(dead_code)]

use ludus_core::{Action, Agent, Game, GameState};

/// Plays game number `index`, `agents[p]` moving for player `p` (each reseeded from `index` and
/// its seat); returns the final state and the moves.
pub fn play<G: Game>(
    game: &G,
    agents: &mut [&mut dyn Agent<G>; 2],
    index: u64,
) -> (G::State, Vec<Action>) {
    for (seat, agent) in agents.iter_mut().enumerate() {
        agent.new_game(ludus_core::derive_seed(index, seat as u64));
    }
    let mut state = game.initial_state();
    let mut moves = Vec::new();
    while !state.is_terminal() {
        let mover = state.to_play();
        let action = agents[mover]
            .select_action(&state)
            .unwrap_or_else(|e| panic!("{} failed: {e}", agents[mover].name()));
        assert!(
            state.is_legal(action),
            "{} chose illegal {action} in\n{state}",
            agents[mover].name()
        );
        state.apply_unchecked(action);
        moves.push(action);
    }
    (state, moves)
}

/// Wins, draws and losses of `hero` against `villain` over `games` games, alternating seats
/// (the hero moves first in even-numbered games).
pub fn match_record<G: Game>(
    game: &G,
    hero: &mut dyn Agent<G>,
    villain: &mut dyn Agent<G>,
    games: usize,
) -> [usize; 3] {
    let mut record = [0; 3];
    for i in 0..games {
        let hero_seat = i % 2;
        let (end, moves) = if hero_seat == 0 {
            play(game, &mut [&mut *hero, &mut *villain], i as u64)
        } else {
            play(game, &mut [&mut *villain, &mut *hero], i as u64)
        };
        let r = end.player_return(hero_seat);
        let slot = if r > 0.0 {
            0
        } else if r == 0.0 {
            1
        } else {
            2
        };
        if slot == 2 {
            eprintln!(
                "{} lost game {i} (seat {hero_seat}): moves {moves:?}\n{end}",
                hero.name()
            );
        }
        record[slot] += 1;
    }
    record
}
