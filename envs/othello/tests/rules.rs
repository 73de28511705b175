//! Scripted positions and games: flips, passes, the end of the game, notation, serialization.

use ludus_core::{seeded_rng, Game, GameError, GameState, Player};
use ludus_othello::{Othello, OthelloState, PASS};

/// Plays `moves` (space separated notation) from the start.
#[track_caller]
fn play(moves: &str) -> OthelloState {
    let moves: Vec<&str> = moves.split_whitespace().collect();
    Othello
        .play_moves(&moves)
        .unwrap_or_else(|e| panic!("{moves:?}: {e}"))
}

/// A bitboard from squares in notation.
fn squares(names: &str) -> u64 {
    names
        .split_whitespace()
        .map(|name| Othello.parse_action(name).expect("square"))
        .fold(0, |bits, sq| bits | 1 << sq)
}

fn legal_names(state: &OthelloState) -> Vec<String> {
    let mut legal = Vec::new();
    state.legal_actions(&mut legal);
    legal.iter().map(|&a| Othello.action_to_string(a)).collect()
}

#[test]
fn starting_position_and_black_first_moves() {
    let state = Othello.initial_state();
    assert_eq!(state.bitboards(), [squares("d5 e4"), squares("d4 e5")]);
    assert_eq!(state.cell(3, 3), Some(1), "d4 is White");
    assert_eq!(state.cell(4, 4), Some(1), "e5 is White");
    assert_eq!(state.cell(4, 3), Some(0), "d5 is Black");
    assert_eq!(state.cell(3, 4), Some(0), "e4 is Black");
    assert_eq!(state.cell(0, 0), None);
    assert_eq!(state.cell(8, 0), None, "off the board");
    assert_eq!((state.disc_count(0), state.disc_count(1)), (2, 2));
    assert_eq!(state.disc_count(2), 0);
    assert_eq!(state.to_play(), 0);
    assert_eq!(legal_names(&state), ["d3", "c4", "f5", "e6"]);
    assert_eq!(state.legal_moves_bitboard(), squares("d3 c4 f5 e6"));
    assert_eq!(
        state.to_string(),
        "  a b c d e f g h\n\
         1 . . . . . . . .\n\
         2 . . . . . . . .\n\
         3 . . . * . . . .\n\
         4 . . * O X . . .\n\
         5 . . . X O * . .\n\
         6 . . . . * . . .\n\
         7 . . . . . . . .\n\
         8 . . . . . . . .\n\
         Black (X) to move: X 2 – O 2"
    );
}

#[test]
fn state_is_small_and_plain() {
    // Search clones states constantly: two bitboards, the cached moves and three bytes.
    assert_eq!(std::mem::size_of::<OthelloState>(), 32);
}

#[test]
fn a_move_flips_in_all_eight_directions() {
    // Black plays c3, surrounded by White discs each backed by a Black disc two squares away.
    let black = squares("a1 c1 e1 a3 e3 a5 c5 e5 e4");
    let white = squares("b2 c2 d2 b3 d3 b4 c4 d4 d5");
    let mut state = OthelloState::from_bitboards([black, white], 0).unwrap();
    state.apply(Othello.parse_action("c3").unwrap()).unwrap();
    assert_eq!(
        state.bitboards(),
        [
            black | white & !squares("d5") | squares("c3"),
            squares("d5")
        ]
    );
    assert_eq!(state.to_play(), 1);
}

#[test]
fn long_runs_flip_only_when_closed() {
    // Black on a1 would close six White discs along rank 1 (to h1) and along the long diagonal
    // (to h8); up the a-file the run of White discs ends at an empty a8, so it stays.
    let black = squares("h1 h8");
    let rank = squares("b1 c1 d1 e1 f1 g1");
    let file = squares("a2 a3 a4 a5 a6 a7");
    let diagonal = squares("b2 c3 d4 e5 f6 g7");
    let white = rank | file | diagonal | squares("e4 d5");
    let mut state = OthelloState::from_bitboards([black, white], 0).unwrap();
    assert!(state.is_legal(0));
    state.apply(0).unwrap();
    assert_eq!(
        state.bitboards(),
        [black | rank | diagonal | 1, file | squares("e4 d5")]
    );
}

#[test]
fn illegal_moves_are_refused_and_change_nothing() {
    let start = Othello.initial_state();
    for action in [0, 27, 28, 20, 63, PASS, PASS + 1, 1000] {
        let mut state = start;
        let err = state.apply(action).unwrap_err();
        assert_eq!(err, GameError::IllegalAction { action }, "action {action}");
        assert_eq!(state, start);
    }
}

#[test]
fn a_mover_without_placements_must_pass_and_only_then() {
    // The earliest possible pass: after these eight plies Black has no placement.
    let mut state = play("f5 f6 f7 g7 d3 f8 h8 h6");
    assert_eq!(state.to_play(), 0);
    assert!(state.must_pass());
    assert!(!state.is_terminal());
    assert_eq!(legal_names(&state), ["pass"]);
    assert_eq!(state.legal_moves_bitboard(), 0);
    assert_eq!(
        state.to_string(),
        "  a b c d e f g h\n\
         1 . . . . . . . .\n\
         2 . . . . . . . .\n\
         3 . . . X . . . .\n\
         4 . . . X X . . .\n\
         5 . . . X X X . .\n\
         6 . . . . . X . O\n\
         7 . . . . . O O .\n\
         8 . . . . . O . X\n\
         Black (X) to move and must pass: X 8 – O 4"
    );
    let board = state.bitboards();
    let hash = state.position_hash();
    assert_eq!(
        state.apply(Othello.parse_action("a1").unwrap()),
        Err(GameError::IllegalAction { action: 0 })
    );
    state.apply(PASS).unwrap();
    assert_eq!(state.bitboards(), board, "a pass changes no disc");
    assert_eq!((state.to_play(), state.move_number()), (1, 9));
    assert_ne!(state.position_hash(), hash);
    assert!(
        state.legal_moves_bitboard() != 0,
        "a pass hands over to a player who can move"
    );
    assert!(!state.is_legal(PASS));
    assert_eq!(state.player_return(0), 0.0);
}

#[test]
fn no_pass_is_possible_in_the_first_seven_plies() {
    // The fact behind `max_game_length`: every position of at most 7 plies gives the mover a
    // placement or is over, so no pass falls before the 8th placement.
    fn visit(state: &OthelloState, plies_left: usize, seen: &mut u64) {
        *seen += 1;
        assert!(!state.must_pass(), "a pass after {}", state.move_number());
        if plies_left == 0 {
            return;
        }
        let mut legal = Vec::new();
        state.legal_actions(&mut legal);
        for a in legal {
            let mut child = *state;
            child.apply_unchecked(a);
            visit(&child, plies_left - 1, seen);
        }
    }
    let mut seen = 0;
    visit(&Othello.initial_state(), 7, &mut seen);
    assert_eq!(seen, 1 + 4 + 12 + 56 + 244 + 1396 + 8200 + 55092);
    assert_eq!(Othello.max_game_length(), 60 + 52);
}

#[test]
fn shortest_game_wipes_white_out_in_nine_plies() {
    let moves = "f5 d6 c5 f4 e3 f6 g5 e6 e7";
    let state = play(moves);
    assert!(state.is_terminal());
    assert_eq!(state.move_number(), 9);
    assert_eq!((state.disc_count(0), state.disc_count(1)), (13, 0));
    assert_eq!(Othello.returns(&state), [1.0, -1.0]);
    assert!(legal_names(&state).is_empty());
    assert!(!state.is_legal(PASS), "a finished game has no pass either");
    assert_eq!(state.clone_and_apply(PASS), Err(GameError::GameOver));
    assert!(state
        .to_string()
        .ends_with("game over: X 13 – O 0, Black wins"));
    // One ply earlier the game was still on.
    let eight: Vec<&str> = moves.split_whitespace().take(8).collect();
    assert!(!Othello.play_moves(&eight).unwrap().is_terminal());
}

/// `apply` on a copy, for checking errors without a `mut` binding.
trait CloneAndApply {
    fn clone_and_apply(&self, action: usize) -> Result<(), GameError>;
}

impl CloneAndApply for OthelloState {
    fn clone_and_apply(&self, action: usize) -> Result<(), GameError> {
        let mut copy = *self;
        let result = copy.apply(action);
        assert!(
            result.is_ok() || copy == *self,
            "a refused move changed the state"
        );
        result
    }
}

#[test]
fn game_ends_when_neither_side_can_move_before_the_board_fills() {
    let state = play("e6 f4 d3 c4 b3 c2 g4 a4 b1 d1 a2 f5 g6");
    assert!(state.is_terminal());
    let empty = 64 - state.disc_count(0) - state.disc_count(1);
    assert_eq!(empty, 47);
    assert_eq!((state.disc_count(0), state.disc_count(1)), (15, 2));
    assert_eq!(
        Othello.returns(&state),
        [1.0, -1.0],
        "empty squares go to no one"
    );
    assert_eq!(state.clone_and_apply(PASS), Err(GameError::GameOver));
    assert_eq!(state.clone_and_apply(7), Err(GameError::GameOver));
}

#[test]
fn game_ends_when_the_board_fills() {
    // Black fills the last square, h8, flipping g8; then nobody can move.
    let white = squares("g8");
    let black = !white & !squares("h8");
    let mut state = OthelloState::from_bitboards([black, white], 0).unwrap();
    assert_eq!(legal_names(&state), ["h8"]);
    state.apply(63).unwrap();
    assert_eq!(state.bitboards(), [!0, 0]);
    assert!(state.is_terminal());
    assert_eq!(Othello.returns(&state), [1.0, -1.0]);

    // And in seeded random games: whenever the board is full the game is over.
    let mut scratch = Vec::new();
    let mut full = 0;
    for seed in 0..200 {
        let (end, plies) = ludus_core::random_playout(
            &Othello.initial_state(),
            &mut seeded_rng(seed),
            &mut scratch,
        );
        let (black, white) = (end.disc_count(0), end.disc_count(1));
        assert!(end.is_terminal() && plies == end.move_number());
        if black + white == 64 {
            full += 1;
        }
        let expected = (black as f32 - white as f32).signum();
        assert_eq!(
            end.player_return(0),
            if black == white { 0.0 } else { expected }
        );
    }
    assert!(full > 150, "most random games fill the board, got {full}");
}

#[test]
fn equal_disc_counts_are_a_draw() {
    let black: u64 = 0xFFFF_FFFF; // ranks 1–4
    let state = OthelloState::from_bitboards([black, !black], 0).unwrap();
    assert!(state.is_terminal());
    assert_eq!(Othello.returns(&state), [0.0, 0.0]);
    assert!(state.to_string().ends_with("game over: X 32 – O 32, draw"));
}

#[test]
fn notation() {
    let game = Othello;
    for (text, action) in [
        ("a1", 0),
        ("h1", 7),
        ("a8", 56),
        ("h8", 63),
        ("d3", 19),
        (" E6 ", 44),
        ("pass", PASS),
        ("PASS", PASS),
    ] {
        assert_eq!(game.parse_action(text), Ok(action), "`{text}`");
    }
    assert_eq!(game.action_to_string(19), "d3");
    assert_eq!(game.action_to_string(PASS), "pass");
    assert_eq!(
        game.parse_move("64"),
        Ok(PASS),
        "plain action numbers are accepted too"
    );
    for bad in ["", "i1", "a0", "a9", "a10", "3d", "pas", "d 3"] {
        match game.parse_action(bad) {
            Err(GameError::ParseAction { text, expected }) => {
                assert_eq!(text, bad);
                assert!(
                    expected.contains("a1–h8") && expected.contains("pass"),
                    "{expected}"
                );
            }
            other => panic!("`{bad}` parsed as {other:?}"),
        }
    }
}

#[test]
fn observation_is_from_the_movers_view() {
    let game = Othello;
    let plane = |obs: &[f32], k: usize| -> u64 {
        obs[k * 64..(k + 1) * 64]
            .iter()
            .enumerate()
            .filter(|(_, &v)| v == 1.0)
            .fold(0, |bits, (sq, _)| bits | 1 << sq)
    };
    let start = game.initial_state();
    let obs = game.observation(&start);
    assert_eq!(game.observation_shape(), [3, 8, 8]);
    assert_eq!(plane(&obs, 0), squares("d5 e4"));
    assert_eq!(plane(&obs, 1), squares("d4 e5"));
    assert_eq!(plane(&obs, 2), squares("d3 c4 f5 e6"));
    assert!(obs.iter().all(|&v| v == 0.0 || v == 1.0));

    let state = play("f5");
    let obs = game.observation(&state);
    assert_eq!(
        plane(&obs, 0),
        squares("d4"),
        "White to move: plane 0 is White"
    );
    assert_eq!(plane(&obs, 1), squares("d5 e4 e5 f5"));
    assert_eq!(plane(&obs, 2), squares("d6 f6 f4"));
}

#[test]
fn symmetries_are_those_that_fix_the_start() {
    let game = Othello;
    let syms = game.symmetries();
    let names: Vec<&str> = syms.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["identity", "rot180", "transpose", "anti_transpose"]);
    let obs = game.observation(&game.initial_state());
    let mut mapped = vec![0.0; obs.len()];
    for sym in &syms {
        sym.map_observation(&obs, &mut mapped);
        assert_eq!(mapped, obs, "{} moves the starting position", sym.name);
        assert_eq!(sym.map_action(PASS), PASS);
    }
    // transpose maps d3 to c4; rot180 maps a1 to h8.
    assert_eq!(syms[2].map_action(19), 26);
    assert_eq!(syms[1].map_action(0), 63);
    // The other four square symmetries do move the start (rot90 swaps the centre colours).
    for other in ludus_core::Symmetry::square_board(8, 65) {
        if !names.contains(&other.name.as_str()) {
            other.map_observation(&obs, &mut mapped);
            assert_ne!(mapped, obs, "{}", other.name);
        }
    }
}

#[test]
fn hash_depends_on_the_position_and_the_pass_count() {
    let state = play("f5 d6 c3 d3 c4");
    let rebuilt = OthelloState::from_bitboards(state.bitboards(), state.to_play()).unwrap();
    assert_eq!(rebuilt, state);
    assert_eq!(rebuilt.position_hash(), state.position_hash());
    // Pinned: changing the keys silently invalidates stored hashes.
    assert_eq!(
        Othello.initial_state().position_hash(),
        0xc9a6_8068_cc02_1503
    );

    // The same board and mover two or four passes later is a different state, with its own
    // hash. Twenty random plies from the start hold no pass (the first can come at ply 9 but
    // is rare), leaving room for four.
    let mut state = Othello.initial_state();
    let mut rng = seeded_rng(5);
    for _ in 0..20 {
        let action = state
            .random_legal_action(&mut rng, &mut Vec::new())
            .unwrap();
        state.apply(action).unwrap();
    }
    assert_eq!(
        state.disc_count(0) + state.disc_count(1),
        24,
        "no pass in this game"
    );
    let json = serde_json::to_string(&state).unwrap();
    let with_passes = |n: usize| -> Result<OthelloState, serde_json::Error> {
        serde_json::from_str(&json.replace("\"move_number\":20", &format!("\"move_number\":{n}")))
    };
    let (two, four) = (with_passes(22).unwrap(), with_passes(24).unwrap());
    assert_eq!(
        (two.bitboards(), two.to_play()),
        (state.bitboards(), state.to_play())
    );
    assert_ne!(two, state);
    let hashes = [state, two, four].map(|s| s.position_hash());
    assert!(hashes[0] != hashes[1] && hashes[1] != hashes[2] && hashes[0] != hashes[2]);
    // Passes need their own gaps after the 8th to 20th placements: room for 13, not 14 (and
    // with Black to move, an even number).
    assert!(with_passes(32).is_ok());
    let err = with_passes(34).unwrap_err().to_string();
    assert!(
        err.contains("14 passes, more than the 13 possible"),
        "{err}"
    );
}

#[test]
fn random_legal_action_is_the_list_based_choice() {
    use rand::Rng;
    let mut scratch = Vec::new();
    let mut legal = Vec::new();
    for seed in 0..50 {
        let mut state = Othello.initial_state();
        let (mut fast, mut slow) = (seeded_rng(seed), seeded_rng(seed));
        while let Some(action) = state.random_legal_action(&mut fast, &mut scratch) {
            state.legal_actions(&mut legal);
            assert_eq!(action, legal[slow.random_range(0..legal.len())]);
            state.apply_unchecked(action);
        }
        assert!(state.is_terminal());
    }
}

#[test]
fn serde_round_trips_readably() {
    let start = Othello.initial_state();
    let json = serde_json::to_string(&start).unwrap();
    assert_eq!(
        json,
        r#"{"board":["........","........","........","...OX...","...XO...","........","........","........"],"to_play":0,"move_number":0}"#
    );
    assert_eq!(serde_json::from_str::<OthelloState>(&json).unwrap(), start);
    let state = play("f5 f6 f7 g7 d3 f8 h8 h6 pass");
    let back: OthelloState = serde_json::from_str(&serde_json::to_string(&state).unwrap()).unwrap();
    assert_eq!(back, state);
}

#[test]
fn corrupt_states_are_rejected() {
    let start = serde_json::to_string(&Othello.initial_state()).unwrap();
    let cases: [(&str, &str, &str); 8] = [
        ("...OX...", "...OZ...", "`Z`"),
        ("...OX...", "...OX..", "expected 8"),
        ("...OX...", "...O....", "centre"),
        ("\"to_play\":0", "\"to_play\":1", "turn"),
        ("\"to_play\":0", "\"to_play\":2", "to_play"),
        ("\"move_number\":0", "\"move_number\":2", "passes"),
        (
            "\"move_number\":0",
            "\"move_number\":0,\"extra\":1",
            "unknown field",
        ),
        ("\"........\",", "", "invalid length 7"),
    ];
    for (from, to, message) in cases {
        let bad = start.replacen(from, to, 1);
        let err = serde_json::from_str::<OthelloState>(&bad)
            .expect_err(&format!("accepted {bad}"))
            .to_string();
        assert!(err.contains(message), "{bad}: {err}");
    }
    // Too few plies for the discs on the board.
    let state = play("f5 d6 c3");
    let bad = serde_json::to_string(&state)
        .unwrap()
        .replace("\"move_number\":3", "\"move_number\":1");
    let err = serde_json::from_str::<OthelloState>(&bad)
        .unwrap_err()
        .to_string();
    assert!(err.contains("at least 3 plies"), "{err}");
    // Overlapping colours through the bitboard constructor.
    let err = OthelloState::from_bitboards([squares("d4 e4 d5 e5"), squares("d4")], 0).unwrap_err();
    assert!(err.to_string().contains("d4 hold both"), "{err}");
    // White to move on the starting board would need a pass before any placement.
    let start = Othello.initial_state().bitboards();
    assert!(OthelloState::from_bitboards(start, 1 as Player).is_err());
}
