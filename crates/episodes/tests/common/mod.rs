//! What the episode tests share: scratch folders, dataset descriptions, recorded games.

use std::path::PathBuf;

use ludus_baselines::{MctsAgent, MctsConfig, RandomAgent};
use ludus_core::{Agent, Game, GameState};
use ludus_episodes::{DatasetInfo, Episode, EpisodeRecorder};
use serde_json::json;

pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ludus-episodes-{}-{name}", std::process::id()));
    std::fs::remove_dir_all(&dir).ok();
    dir
}

pub fn info<G: Game>(game: &G, spec: &str) -> DatasetInfo {
    DatasetInfo {
        dataset_id: format!("{}-test-v0", game.name()),
        game: spec.into(),
        observation_shape: game.observation_shape(),
        num_actions: game.num_actions(),
        num_players: game.num_players(),
        description: "test games".into(),
        extra: Default::default(),
        ticks: None,
    }
}

/// Plays one game between two agents, recording it.
pub fn play<G: Game>(game: &G, seats: &mut [Box<dyn Agent<G>>; 2], seed: u64) -> Episode {
    for (k, a) in seats.iter_mut().enumerate() {
        a.new_game(seed * 2 + k as u64);
    }
    let names = seats.iter().map(|a| a.name()).collect();
    let mut recorder = EpisodeRecorder::new(game, names, Some(seed));
    recorder.set_attribute("game_index", json!(seed));
    let mut state = game.initial_state();
    while !state.is_terminal() {
        let agent = &mut seats[state.to_play()];
        let action = agent.select_action(&state).unwrap();
        recorder.record(&state, action, agent.last_search());
        state.apply(action).unwrap();
    }
    recorder.finish(&state, None)
}

pub fn mcts<G: Game>(game: &G, sims: usize) -> Box<dyn Agent<G>> {
    let config = MctsConfig {
        simulations: sims,
        ..MctsConfig::default()
    };
    Box::new(MctsAgent::new(game.clone(), config, 0))
}

pub fn random<G: Game>(game: &G) -> Box<dyn Agent<G>> {
    Box::new(RandomAgent::new(game.clone(), 0))
}
