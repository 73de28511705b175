//! The conformance suite every game runs in its tests.
//!
//! `check_game(&game, playouts, seed)` plays seeded random games and checks the contract of
//! [`GameState`] at every ply: the legal list against `is_legal` and `apply`, terminal ⇔ no legal
//! action, zero returns until the end and zero-sum returns at the end, independent clones, serde
//! round-trips, a stable hash that separates different positions, observations of the declared
//! shape with every element written, notation that round-trips, and symmetries that map legal
//! masks, observations and outcomes onto those of the transformed game.
//!
//! Failures panic with a message that names the game, seed, ply and move sequence, so a failing
//! playout can be replayed. Games can also drive single playouts from proptest
//! ([`check_playout`]).

use std::collections::HashMap;

use crate::{seeded_rng, Action, Game, GameError, GameState, Symmetry};

/// Runs the static checks once and `playouts` random playouts seeded from `seed`.
pub fn check_game<G: Game>(game: &G, playouts: usize, seed: u64) {
    check_static(game);
    let mut seen = HashMap::new();
    for i in 0..playouts {
        check_playout_with(game, crate::derive_seed(seed, i as u64), &mut seen);
    }
}

/// Checks what does not depend on a position: sizes, notation round-trips, symmetry tables.
pub fn check_static<G: Game>(game: &G) {
    let name = game.name();
    assert!(game.num_players() >= 1, "{name}: no players");
    assert!(game.num_actions() >= 1, "{name}: no actions");
    let [c, h, w] = game.observation_shape();
    assert!(c * h * w > 0, "{name}: empty observation shape");
    for a in 0..game.num_actions() {
        let text = game.action_to_string(a);
        assert!(!text.is_empty(), "{name}: action {a} has empty notation");
        assert_eq!(
            game.parse_action(&text),
            Ok(a),
            "{name}: notation `{text}` of action {a} does not parse back"
        );
        assert_eq!(
            game.parse_move(&text),
            Ok(a),
            "{name}: parse_move(`{text}`)"
        );
    }
    for bad in ["", "zz99", "-1", "@", "9999"] {
        assert!(
            matches!(game.parse_action(bad), Err(GameError::ParseAction { .. })),
            "{name}: `{bad}` should not parse as an action"
        );
    }
    let syms = game.symmetries();
    assert!(
        !syms.is_empty(),
        "{name}: symmetries must include the identity"
    );
    assert_eq!(
        syms[0],
        Symmetry::identity(h * w, game.num_actions()),
        "{name}: the first symmetry must be the identity"
    );
    for s in &syms {
        assert!(is_permutation(&s.cells, h * w), "{name}: {} cells", s.name);
        assert!(
            is_permutation(&s.actions, game.num_actions()),
            "{name}: {} actions",
            s.name
        );
    }
    let initial = game.initial_state();
    assert_eq!(initial.move_number(), 0, "{name}: initial move number");
    assert!(!initial.is_terminal(), "{name}: initial state is terminal");
    assert_eq!(initial.to_play(), 0, "{name}: player 0 moves first");
    assert_eq!(
        initial.position_hash(),
        game.initial_state().position_hash(),
        "{name}: hash not deterministic"
    );
}

/// One seeded random playout with every per-ply check.
pub fn check_playout<G: Game>(game: &G, seed: u64) {
    check_playout_with(game, seed, &mut HashMap::new());
}

fn check_playout_with<G: Game>(game: &G, seed: u64, seen: &mut HashMap<u64, G::State>) {
    use rand::Rng;
    let name = game.name();
    let mut rng = seeded_rng(seed);
    let mut state = game.initial_state();
    let mut history: Vec<Action> = Vec::new();
    let mut legal = Vec::new();
    let [c, h, w] = game.observation_shape();
    let mut obs = vec![0.0f32; c * h * w];
    let ctx = |history: &[Action]| format!("{name} seed {seed} after moves {history:?}");

    loop {
        let where_ = ctx(&history);
        assert!(
            history.len() <= game.max_game_length(),
            "{where_}: longer than max_game_length {}",
            game.max_game_length()
        );
        assert_eq!(state.move_number(), history.len(), "{where_}: move_number");
        assert!(
            state.to_play() < game.num_players(),
            "{where_}: to_play out of range"
        );
        assert!(!state.to_string().is_empty(), "{where_}: empty rendering");

        // Legal list agrees with is_legal, is sorted, in range.
        state.legal_actions(&mut legal);
        assert!(
            legal.windows(2).all(|p| p[0] < p[1]),
            "{where_}: legal actions not strictly ascending: {legal:?}"
        );
        for a in 0..game.num_actions() {
            assert_eq!(
                state.is_legal(a),
                legal.binary_search(&a).is_ok(),
                "{where_}: is_legal({a}) disagrees with legal_actions"
            );
        }
        assert!(
            !state.is_legal(game.num_actions()),
            "{where_}: out-of-range action legal"
        );
        assert_eq!(
            state.is_terminal(),
            legal.is_empty(),
            "{where_}: terminal ⇔ no legal action"
        );

        // Hash: deterministic, and separates different positions seen in any playout.
        let hash = state.position_hash();
        assert_eq!(
            hash,
            state.clone().position_hash(),
            "{where_}: hash of a clone differs"
        );
        match seen.get(&hash) {
            Some(other) => assert_eq!(
                other, &state,
                "{where_}: two different positions share hash {hash:#x}"
            ),
            None => {
                seen.insert(hash, state.clone());
            }
        }

        // Serialization round-trips.
        let json = serde_json::to_string(&state).expect("state serializes");
        let back: G::State = serde_json::from_str(&json)
            .unwrap_or_else(|e| panic!("{where_}: state does not deserialize: {e}\n{json}"));
        assert_eq!(back, state, "{where_}: serde round-trip changed the state");
        assert_eq!(
            back.position_hash(),
            hash,
            "{where_}: serde round-trip changed the hash"
        );

        // Observation: declared shape, every element written, finite.
        obs.fill(f32::NAN);
        state.write_observation(&mut obs);
        assert!(
            obs.iter().all(|v| v.is_finite()),
            "{where_}: observation has unwritten or non-finite elements"
        );

        if state.is_terminal() {
            let returns = game.returns(&state);
            assert!(
                returns.iter().all(|r| (-1.0..=1.0).contains(r)),
                "{where_}: returns {returns:?} outside [-1, 1]"
            );
            let sum: f32 = returns.iter().sum();
            assert!(
                sum.abs() < 1e-5,
                "{where_}: returns {returns:?} are not zero-sum"
            );
            let mut after = state.clone();
            assert_eq!(
                after.apply(0),
                Err(GameError::GameOver),
                "{where_}: apply after the end"
            );
            assert_eq!(after, state, "{where_}: failed apply changed the state");
            break;
        }
        for p in 0..game.num_players() {
            assert_eq!(
                state.player_return(p),
                0.0,
                "{where_}: non-zero return before the end"
            );
        }

        // Illegal actions are refused and leave the state untouched.
        for _ in 0..4 {
            let a = rng.random_range(0..game.num_actions() + 2);
            if !legal.contains(&a) {
                let mut copy = state.clone();
                assert!(
                    matches!(copy.apply(a), Err(GameError::IllegalAction { .. })),
                    "{where_}: illegal action {a} was accepted"
                );
                assert_eq!(
                    copy, state,
                    "{where_}: refused action {a} changed the state"
                );
            }
        }

        // Every legal action applies; clones are independent; a move changes the hash.
        let action = legal[rng.random_range(0..legal.len())];
        let before = state.clone();
        let mut child = state.clone();
        child
            .apply(action)
            .unwrap_or_else(|e| panic!("{where_}: legal action {action} refused: {e}"));
        assert_eq!(
            state, before,
            "{where_}: applying to a clone changed the original"
        );
        assert_ne!(
            child.position_hash(),
            hash,
            "{where_}: move {action} did not change the hash"
        );
        let mut unchecked = state.clone();
        unchecked.apply_unchecked(action);
        assert_eq!(
            unchecked, child,
            "{where_}: apply and apply_unchecked disagree"
        );

        state = child;
        history.push(action);
    }

    check_symmetries(game, &history, seed);
}

/// Replays `history` through every symmetry and checks that the transformed game mirrors the
/// original ply by ply.
fn check_symmetries<G: Game>(game: &G, history: &[Action], seed: u64) {
    let name = game.name();
    let [c, h, w] = game.observation_shape();
    let size = c * h * w;
    let (mut obs, mut obs_t, mut mapped) = (vec![0.0; size], vec![0.0; size], vec![0.0; size]);
    let mut mask_mapped = vec![false; game.num_actions()];
    for sym in game.symmetries().iter().skip(1) {
        let mut original = game.initial_state();
        let mut image = game.initial_state();
        for (ply, &action) in history.iter().enumerate() {
            let where_ = format!("{name} seed {seed} symmetry {} ply {ply}", sym.name);
            let mask = game.legal_mask(&original);
            sym.map_policy(&mask, &mut mask_mapped);
            assert_eq!(
                mask_mapped,
                game.legal_mask(&image),
                "{where_}: legal mask does not map"
            );
            original.write_observation(&mut obs);
            image.write_observation(&mut obs_t);
            sym.map_observation(&obs, &mut mapped);
            assert_eq!(mapped, obs_t, "{where_}: observation does not map");
            assert_eq!(
                original.to_play(),
                image.to_play(),
                "{where_}: to_play differs"
            );
            original.apply_unchecked(action);
            image
                .apply(sym.map_action(action))
                .unwrap_or_else(|e| panic!("{where_}: mapped move refused: {e}"));
        }
        assert!(
            image.is_terminal(),
            "{name} seed {seed} symmetry {}: image game did not end",
            sym.name
        );
        original.write_observation(&mut obs);
        image.write_observation(&mut obs_t);
        sym.map_observation(&obs, &mut mapped);
        assert_eq!(
            mapped, obs_t,
            "{name} seed {seed} symmetry {}: final observation does not map",
            sym.name
        );
        assert_eq!(
            game.returns(&original),
            game.returns(&image),
            "{name} symmetry {}: returns differ",
            sym.name
        );
    }
}

fn is_permutation(p: &[usize], n: usize) -> bool {
    let mut seen = vec![false; n];
    p.len() == n
        && p.iter()
            .all(|&i| i < n && !std::mem::replace(&mut seen[i], true))
}
