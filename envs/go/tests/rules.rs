//! Scripted positions for every rule, notation, parameters, perft and serialization.

use ludus_core::{perft, Game, GameError, GameState};
use ludus_go::{Go, GoConfig, GoState};

fn go(size: usize) -> Go {
    Go::new(GoConfig {
        size,
        ..GoConfig::default()
    })
    .unwrap()
}

fn play(game: &Go, moves: &str) -> GoState {
    let moves: Vec<&str> = moves.split_whitespace().collect();
    game.play_moves(&moves)
        .unwrap_or_else(|e| panic!("{moves:?}: {e}"))
}

/// Places the listed stones, alternating Black and White and passing for a side whose list has
/// run out (never two passes in a row), so that hand-made positions go through the real rules.
fn setup(game: &Go, black: &str, white: &str) -> GoState {
    let (black, white): (Vec<&str>, Vec<&str>) = (
        black.split_whitespace().collect(),
        white.split_whitespace().collect(),
    );
    let mut moves = Vec::new();
    for i in 0..black.len().max(white.len()) {
        moves.push(black.get(i).copied().unwrap_or("pass"));
        if i < white.len() {
            moves.push(white[i]);
        } else if i + 1 < black.len() {
            moves.push("pass");
        }
    }
    game.play_moves(&moves)
        .unwrap_or_else(|e| panic!("setup {moves:?}: {e}"))
}

fn at(game: &Go, point: &str) -> usize {
    game.parse_action(point).unwrap()
}

/// The stone on a point given in notation: Some(0) Black, Some(1) White.
fn stone(game: &Go, state: &GoState, point: &str) -> Option<usize> {
    let a = at(game, point);
    state.cell(a / game.size(), a % game.size())
}

fn legal(game: &Go, state: &GoState, point: &str) -> bool {
    state.is_legal(at(game, point))
}

fn refused(game: &Go, state: &GoState, point: &str) {
    let mut copy = state.clone();
    assert_eq!(
        copy.apply(at(game, point)),
        Err(GameError::IllegalAction {
            action: at(game, point)
        }),
        "{point} should be illegal in\n{state}"
    );
    assert_eq!(&copy, state);
}

/// Plane 2 of the observation: empty points where the mover may not play.
fn forbidden_plane(game: &Go, state: &GoState, point: &str) -> f32 {
    let n = game.size();
    game.observation(state)[2 * n * n + at(game, point)]
}

// ---- Captures ---------------------------------------------------------------------------------

#[test]
fn single_stone_capture_in_the_centre() {
    let game = go(9);
    let state = play(&game, "d5 e5 f5 a9 e4 b9 e6");
    assert_eq!(stone(&game, &state, "e5"), None);
    assert_eq!((state.captures(0), state.captures(1)), (1, 0));
    // The capture leaves the same board as never having played e5, so the board hashes agree.
    let direct = setup(&game, "d5 f5 e4 e6", "a9 b9");
    assert_eq!(state.board_hash(), direct.board_hash());
    // White may not play back into the hole: no liberty and nothing to capture.
    refused(&game, &state, "e5");
}

#[test]
fn group_capture() {
    let game = go(9);
    let state = play(&game, "d5 e5 d6 e6 f5 a1 f6 a2 e4 a3 e7");
    for p in ["e5", "e6"] {
        assert_eq!(stone(&game, &state, p), None, "{p}");
    }
    for p in ["a1", "a2", "a3"] {
        assert_eq!(stone(&game, &state, p), Some(1), "{p}");
    }
    assert_eq!(state.captures(0), 2);
}

#[test]
fn captures_on_the_edge_and_in_the_corner() {
    let game = go(9);
    // Edge: e1 has three liberties on the first line.
    let state = play(&game, "d1 e1 f1 a9 e2");
    assert_eq!(stone(&game, &state, "e1"), None);
    assert_eq!(state.captures(0), 1);
    // Corner: two liberties.
    let state = play(&game, "a2 a1 b1");
    assert_eq!(stone(&game, &state, "a1"), None);
    // A two-stone chain in the corner.
    let state = play(&game, "a2 a1 b2 b1 c1");
    assert_eq!(
        (stone(&game, &state, "a1"), stone(&game, &state, "b1")),
        (None, None)
    );
    assert_eq!(state.captures(0), 2);
}

#[test]
fn capture_of_two_chains_at_once() {
    let game = go(9);
    // White a1 and c1 are each in atari at b1.
    let state = setup(&game, "a2 c2 d1", "a1 c1 j9");
    assert!(legal(&game, &state, "b1"));
    let mut state = state;
    state.apply(at(&game, "b1")).unwrap();
    assert_eq!(state.captures(0), 2);
    assert_eq!(
        (stone(&game, &state, "a1"), stone(&game, &state, "c1")),
        (None, None)
    );
}

// ---- Suicide ----------------------------------------------------------------------------------

#[test]
fn single_stone_suicide_is_refused() {
    let game = go(9);
    // Black to move; the corner a1 is surrounded by White.
    let state = setup(&game, "e5 e6", "a2 b1");
    refused(&game, &state, "a1");
    assert_eq!(forbidden_plane(&game, &state, "a1"), 1.0);
    // So is a one-point eye in the centre.
    let state = setup(&game, "a1 a3 a5 a7", "d5 f5 e4 e6");
    refused(&game, &state, "e5");
}

#[test]
fn multi_stone_suicide_is_refused() {
    let game = go(9);
    // Black a1-b1 has one liberty, c1, whose other neighbours are White and not in atari.
    let state = setup(&game, "a1 b1 e5 e6", "a2 b2 c2 d1");
    assert_eq!(state.to_play(), 0);
    refused(&game, &state, "c1");
    assert_eq!(forbidden_plane(&game, &state, "c1"), 1.0);
    // Black passes; White may capture there.
    let mut white = state.clone();
    white.apply(game.pass_action()).unwrap();
    assert!(legal(&game, &white, "c1"));
    white.apply(at(&game, "c1")).unwrap();
    assert_eq!(white.captures(1), 2);
}

#[test]
fn a_move_without_liberties_that_captures_is_legal() {
    let game = go(9);
    // White b1 is in atari at a1; a1 touches only White stones.
    let state = setup(&game, "c1 b2", "b1 a2");
    assert!(legal(&game, &state, "a1"));
    assert_eq!(forbidden_plane(&game, &state, "a1"), 0.0);
    let mut state = state;
    state.apply(at(&game, "a1")).unwrap();
    assert_eq!(stone(&game, &state, "b1"), None);
    assert_eq!(stone(&game, &state, "a1"), Some(0));
    assert_eq!(state.captures(0), 1);
}

// ---- Ko and superko ---------------------------------------------------------------------------

/// A ko on the lower left: White b2 has one liberty, c2, where Black captures.
const KO_BLACK: &str = "b1 a2 b3";
const KO_WHITE: &str = "c1 d2 c3 b2";

#[test]
fn ko_immediate_recapture_is_refused() {
    let game = go(9);
    let mut state = setup(&game, KO_BLACK, KO_WHITE);
    assert_eq!(state.to_play(), 0);
    state.apply(at(&game, "c2")).unwrap();
    assert_eq!(stone(&game, &state, "b2"), None);
    // Taking back at once would recreate the board before c2.
    refused(&game, &state, "b2");
    assert_eq!(forbidden_plane(&game, &state, "b2"), 1.0);
    // After an exchange elsewhere the board differs, and the recapture is legal.
    let mut later = state.clone();
    later.apply(at(&game, "g7")).unwrap();
    later.apply(at(&game, "g3")).unwrap();
    assert!(legal(&game, &later, "b2"));
    later.apply(at(&game, "b2")).unwrap();
    assert_eq!(stone(&game, &later, "c2"), None);
    // Passes change nothing on the board, so they do not lift the ko.
    let mut passed = state.clone();
    passed.apply(game.pass_action()).unwrap();
    passed.apply(at(&game, "g3")).unwrap();
    passed.apply(game.pass_action()).unwrap();
    passed.apply(at(&game, "g4")).unwrap();
    assert!(legal(&game, &passed, "b2"), "g3 and g4 changed the board");
}

/// Three kos on one board (a triple ko) cycle with period six. The sixth capture recreates the
/// board from six plies earlier although it does not retake the ko just taken, so only positional
/// superko refuses it.
///
/// Each ko has Black stones on its left, White on its right, and one ko stone:
///
/// ```text
///   ko 1 (a1–d3)   ko 2 (f1–j3)   ko 3 (a5–d7)
///   . X O .        . X O .        . X O .
///   X ? ? O        X ? ? O        X ? ? O
///   . X O .        . X O .        . X O .
/// ```
///
/// In the starting position ko 1 and ko 2 hold a White stone (b2, g2: Black can capture at c2,
/// h2) and ko 3 a Black one (c6: White can capture at b6).
#[test]
fn triple_ko_cycle_is_refused_by_positional_superko() {
    let game = go(9);
    let frames_black = "b1 a2 b3 g1 f2 g3 b5 a6 b7";
    let frames_white = "c1 d2 c3 h1 j2 h3 c5 d6 c7";
    let start = setup(
        &game,
        &format!("{frames_black} c6"),
        &format!("{frames_white} b2 g2"),
    );
    assert_eq!(start.to_play(), 0);

    let mut state = start.clone();
    let mut boards = vec![state.board_hash()];
    // Black takes ko 1, White ko 3, Black ko 2, White ko 1, Black ko 3: each a new board.
    for (mv, captured) in [
        ("c2", "b2"),
        ("b6", "c6"),
        ("h2", "g2"),
        ("b2", "c2"),
        ("c6", "b6"),
    ] {
        assert!(legal(&game, &state, mv), "{mv} in\n{state}");
        state.apply(at(&game, mv)).unwrap();
        assert_eq!(
            stone(&game, &state, captured),
            None,
            "{mv} captures {captured}"
        );
        assert!(!boards.contains(&state.board_hash()));
        boards.push(state.board_hash());
    }
    // White taking ko 2 would recreate the starting board: refused, though the last capture was
    // at ko 3 (so this is not an immediate recapture) and g2 captures (so it is not suicide).
    refused(&game, &state, "g2");
    assert_eq!(forbidden_plane(&game, &state, "g2"), 1.0);
    // The immediate recapture at ko 3 is refused too (simple ko); play elsewhere is fine.
    refused(&game, &state, "b6");
    assert!(legal(&game, &state, "e9"));
    assert!(state.is_legal(game.pass_action()));

    // Control: the same board reached without the cycle in its past allows g2.
    let fresh = setup(
        &game,
        &format!("{frames_black} c6 h2"),
        &format!("{frames_white} b2"),
    );
    assert_eq!(fresh.board_hash(), state.board_hash());
    assert_eq!(fresh.to_play(), 1);
    assert!(legal(&game, &fresh, "g2"));
    // Superko survives serialization: the history comes back with the state.
    let json = serde_json::to_string(&state).unwrap();
    let back: GoState = serde_json::from_str(&json).unwrap();
    assert_eq!(back, state);
    refused(&game, &back, "g2");
}

// ---- End of the game and scoring ----------------------------------------------------------------

#[test]
fn two_passes_end_the_game() {
    let game = Go::default();
    let state = play(&game, "pass pass");
    assert!(state.is_terminal());
    assert!(!state.is_truncated());
    // Empty board: no area for anyone, komi decides.
    assert_eq!(state.area_score(), -7.5);
    assert_eq!(game.returns(&state), vec![-1.0, 1.0]);
    let mut legal = vec![0];
    state.legal_actions(&mut legal);
    assert!(legal.is_empty());
    let mut copy = state.clone();
    assert_eq!(copy.apply(game.pass_action()), Err(GameError::GameOver));
    // A pass followed by a move resets the count.
    let state = play(&game, "pass d4 pass");
    assert!(!state.is_terminal());
    assert_eq!(state.passes(), 1);
}

#[test]
fn one_black_stone_owns_the_empty_board() {
    let game = Go::default();
    let state = play(&game, "d4 pass pass");
    assert!(state.is_terminal());
    assert_eq!(state.area(), [81, 0]);
    assert_eq!(state.area_score(), 81.0 - 7.5);
    assert_eq!(game.returns(&state), vec![1.0, -1.0]);
}

/// Two walls with a neutral column between them.
///
/// ```text
///   A B C D E
/// 5 . X . O .
/// 4 . X . O .
/// 3 . X . O .
/// 2 . X . O .
/// 1 . X . O .
/// ```
#[test]
fn neutral_points_count_for_nobody_and_komi_decides() {
    for (komi, black_return) in [(0.5, -1.0), (0.0, 0.0), (-1.5, 1.0)] {
        let game = Go::new(GoConfig {
            size: 5,
            komi,
            max_moves: None,
        })
        .unwrap();
        let mut state = setup(&game, "b1 b2 b3 b4 b5", "d1 d2 d3 d4 d5");
        assert_eq!(state.area(), [10, 10]);
        assert_eq!(state.area_score(), -komi);
        assert_eq!(game.returns(&state), vec![0.0, 0.0], "not over yet");
        state.apply(game.pass_action()).unwrap();
        state.apply(game.pass_action()).unwrap();
        assert_eq!(
            game.returns(&state),
            vec![black_return, -black_return],
            "komi {komi}"
        );
    }
}

/// Territories, single-point eyes and a neutral point (c1 touches both colours).
///
/// ```text
///   A B C D E
/// 5 . X O . .
/// 4 X X O . .
/// 3 . X O . .
/// 2 X X O O O
/// 1 . X . O .
/// ```
#[test]
fn tromp_taylor_area_of_a_finished_position() {
    let game = go(5);
    let state = setup(&game, "b5 a4 b4 b3 a2 b2 b1", "c5 c4 c3 c2 d2 e2 d1");
    // Black: 7 stones + a5, a3, a1. White: 7 stones + 6 on the right + e1. c1 is neutral.
    assert_eq!(state.area(), [10, 14]);
    assert_eq!(state.area_score(), 10.0 - 14.0 - 7.5);
    let end = play(&game, "b5 c5 a4 c4 b4 c3 b3 c2 a2 d2 b2 e2 b1 d1 pass pass");
    assert_eq!(end.area(), [10, 14]);
    assert_eq!(game.returns(&end), vec![-1.0, 1.0]);
}

#[test]
fn the_move_cap_truncates_and_scores_the_board() {
    let game = Go::new(GoConfig {
        size: 5,
        komi: 7.5,
        max_moves: Some(3),
    })
    .unwrap();
    assert_eq!(game.max_game_length(), 3);
    let state = play(&game, "c3 pass c4");
    assert!(state.is_terminal());
    assert!(state.is_truncated());
    assert_eq!(game.returns(&state), vec![1.0, -1.0]); // 25 − 0 − 7.5
    assert!(!state.is_legal(game.pass_action()));
    let mut copy = state.clone();
    assert_eq!(copy.apply(game.pass_action()), Err(GameError::GameOver));
    assert!(state.to_string().contains("move limit"), "{state}");

    // Two passes that land exactly on the cap are a natural end, not a truncation.
    let game = Go::new(GoConfig {
        size: 5,
        komi: 7.5,
        max_moves: Some(2),
    })
    .unwrap();
    let state = play(&game, "pass pass");
    assert!(state.is_terminal() && !state.is_truncated());
    // The default cap is 2 × N².
    assert_eq!(Go::default().max_game_length(), 162);
    assert_eq!(go(19).max_game_length(), 722);
}

// ---- Notation and parameters -----------------------------------------------------------------

#[test]
fn notation_skips_i() {
    let game = Go::default();
    assert_eq!(game.parse_action("a1"), Ok(0));
    assert_eq!(game.parse_action("j9"), Ok(80));
    assert_eq!(game.parse_action(" J9 "), Ok(80));
    assert_eq!(game.parse_action("h1"), Ok(7));
    assert_eq!(game.parse_action("j1"), Ok(8)); // column index 8: i is skipped
    assert_eq!(game.parse_action("D4"), game.parse_action("d4"));
    assert_eq!(game.parse_action("d4"), Ok(3 * 9 + 3));
    for pass in ["pass", "PASS", " Pass "] {
        assert_eq!(game.parse_action(pass), Ok(81));
    }
    assert_eq!(game.action_to_string(80), "j9");
    assert_eq!(game.action_to_string(8), "j1");
    assert_eq!(game.action_to_string(81), "pass");
    for bad in [
        "i5", "k1", "a10", "a0", "d04", "a", "5", "a1x", "aa1", "", "passs", "-1",
    ] {
        match game.parse_action(bad) {
            Err(GameError::ParseAction { expected, .. }) => {
                assert!(
                    expected.contains("a1–j9") && expected.contains("pass"),
                    "{expected}"
                );
            }
            other => panic!("`{bad}` should not parse, got {other:?}"),
        }
    }
    let big = go(19);
    assert_eq!(big.parse_action("t19"), Ok(360));
    assert_eq!(big.parse_action("k10"), Ok(9 * 19 + 9));
    assert_eq!(big.action_to_string(18), "t1");
    assert!(big.parse_action("u1").is_err());
    assert!(big.parse_action("a20").is_err());
    assert_eq!(game.action_at(8, 8), Some(80));
    assert_eq!(game.action_at(9, 0), None);
    assert_eq!(game.pass_action(), 81);
    // Plain action numbers are accepted by parse_move.
    assert_eq!(game.parse_move("81"), Ok(81));
}

#[test]
fn bad_parameters_are_refused() {
    let err = |config: GoConfig| match Go::new(config) {
        Err(GameError::BadParameter { key, expected, .. }) => (key, expected),
        other => panic!("{config:?} should be refused, got {other:?}"),
    };
    for size in [0, 4, 20, 361] {
        let (key, expected) = err(GoConfig {
            size,
            ..GoConfig::default()
        });
        assert_eq!(key, "size");
        assert!(expected.contains("5 to 19"), "{expected}");
    }
    for komi in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
        assert_eq!(
            err(GoConfig {
                komi,
                ..GoConfig::default()
            })
            .0,
            "komi"
        );
    }
    let (key, expected) = err(GoConfig {
        max_moves: Some(0),
        ..GoConfig::default()
    });
    assert_eq!(key, "max_moves");
    assert!(expected.contains("from 1 to"), "{expected}");
    // A cap far beyond any game is refused too: the state reserves history up to it.
    let (key, expected) = err(GoConfig {
        max_moves: Some(8101),
        ..GoConfig::default()
    });
    assert_eq!(key, "max_moves");
    assert!(expected.contains("100 × size² (8100)"), "{expected}");
    assert!(Go::new(GoConfig {
        max_moves: Some(8100),
        ..GoConfig::default()
    })
    .is_ok());
    assert!(Go::new(GoConfig {
        size: 5,
        komi: -3.0,
        max_moves: Some(1)
    })
    .is_ok());
}

#[test]
fn params_rebuild_the_same_game() {
    let game = Go::default();
    assert_eq!(game, Go::new(GoConfig::default()).unwrap());
    assert_eq!(
        game.params(),
        vec![
            ("size", "9".to_string()),
            ("komi", "7.5".to_string()),
            ("max_moves", "162".to_string())
        ]
    );
    let custom = Go::new(GoConfig {
        size: 13,
        komi: 6.5,
        max_moves: Some(400),
    })
    .unwrap();
    let p = custom.params();
    let rebuilt = Go::new(GoConfig {
        size: p[0].1.parse().unwrap(),
        komi: p[1].1.parse().unwrap(),
        max_moves: Some(p[2].1.parse().unwrap()),
    })
    .unwrap();
    assert_eq!(rebuilt, custom);
    assert_eq!(custom.num_actions(), 170);
    assert_eq!(custom.observation_shape(), [4, 13, 13]);
}

// ---- Observation, symmetry, display -------------------------------------------------------------

#[test]
fn observation_is_from_the_movers_view() {
    let game = go(5);
    let state = play(&game, "c3 d3");
    let obs = game.observation(&state);
    let (c3, d3) = (at(&game, "c3"), at(&game, "d3"));
    // Black to move: plane 0 Black's stones, plane 1 White's, plane 3 all ones.
    assert_eq!((obs[c3], obs[25 + d3]), (1.0, 1.0));
    assert_eq!((obs[d3], obs[25 + c3]), (0.0, 0.0));
    assert!(obs[75..].iter().all(|&v| v == 1.0));
    assert!(obs[50..75].iter().all(|&v| v == 0.0));
    let state = play(&game, "c3 d3 e5");
    let obs = game.observation(&state);
    assert_eq!((obs[d3], obs[25 + c3]), (1.0, 1.0));
    assert!(obs[75..].iter().all(|&v| v == 0.0));
}

#[test]
fn symmetries_map_points_and_keep_pass() {
    let game = Go::default();
    let syms = game.symmetries();
    assert_eq!(syms.len(), 8);
    let rot90 = &syms[1];
    // Square rotation takes the corner a1 to another corner, and pass to itself.
    let a1 = rot90.map_action(at(&game, "a1"));
    assert!([at(&game, "j1"), at(&game, "a9"), at(&game, "j9")].contains(&a1));
    assert_eq!(rot90.map_action(81), 81);
}

#[test]
fn display_draws_a_gtp_board() {
    let game = go(5);
    let state = play(&game, "c3 d3");
    let expected = "   A B C D E
 5 . . . . .  5
 4 . . . . .  4
 3 . . X O .  3
 2 . . . . .  2
 1 . . . . .  1
   A B C D E
Black (X) to play, move 3; captures: Black 0, White 0; komi 7.5";
    assert_eq!(state.to_string(), expected);
    let over = play(&game, "c3 pass pass");
    assert!(over.to_string().ends_with(
        "game over after 3 moves (two passes): Black wins by 17.5; captures: Black 0, White 0; komi 7.5"
    ));
    // 19×19 labels skip I and right-align two-digit ranks.
    let big = go(19).initial_state().to_string();
    assert!(
        big.starts_with("   A B C D E F G H J K L M N O P Q R S T\n19 . "),
        "{big}"
    );
}

// ---- Perft ----------------------------------------------------------------------------------

#[test]
fn perft_on_5x5() {
    let start = go(5).initial_state();
    // 25 points + pass; no capture or suicide is possible in the first plies, and two passes end
    // the game: 25 × 24 × 24 + 25 × 25 (stone, pass, any) + 25 × 25 (pass, stone, any) = 15650.
    assert_eq!(perft(&start, 1), 26);
    assert_eq!(perft(&start, 2), 25 * 25 + 26);
    assert_eq!(perft(&start, 3), 15_650);
}

// ---- Serialization ----------------------------------------------------------------------------

#[test]
fn serde_round_trips_a_game_in_progress() {
    let game = go(7);
    let state = play(&game, "c3 d3 d4 e4 c4 pass d2 e3 c5 pass");
    let json = serde_json::to_string(&state).unwrap();
    let back: GoState = serde_json::from_str(&json).unwrap();
    assert_eq!(back, state);
    assert_eq!(back.position_hash(), state.position_hash());
    let mut a = Vec::new();
    let mut b = Vec::new();
    state.legal_actions(&mut a);
    back.legal_actions(&mut b);
    assert_eq!(a, b);
}

#[test]
fn corrupt_states_are_rejected() {
    let game = go(5);
    let state = play(&game, "c3 d3");
    let good: serde_json::Value = serde_json::to_value(&state).unwrap();
    let reject = |edit: &dyn Fn(&mut serde_json::Value), needle: &str| {
        let mut v = good.clone();
        edit(&mut v);
        let err = serde_json::from_value::<GoState>(v.clone())
            .expect_err(&format!("should be rejected: {v}"))
            .to_string();
        assert!(err.contains(needle), "`{err}` should mention `{needle}`");
    };
    reject(&|v| v["size"] = 4.into(), "5 to 19");
    reject(&|v| v["board"][0] = "....".into(), "has 4 points");
    reject(
        &|v| {
            v["board"].as_array_mut().unwrap().pop();
        },
        "4 rows",
    );
    reject(&|v| v["board"][0] = "..#..".into(), "unexpected `#`");
    reject(&|v| v["to_play"] = 1.into(), "to_play");
    reject(&|v| v["passes"] = 3.into(), "consecutive passes");
    reject(&|v| v["move_number"] = 60.into(), "exceeds max_moves");
    reject(&|v| v["history"][1] = 12345.into(), "last history entry");
    reject(
        &|v| v["history"].as_array_mut().unwrap().push(7.into()),
        "history entries",
    );
    reject(
        &|v| v["captures"] = serde_json::json!([1, 0]),
        "history entries",
    );
    reject(&|v| v["board"][0] = "X....".into(), "history entries");
    reject(&|v| v["extra"] = 1.into(), "unknown field");
    // A chain with no liberty: Black a1 boxed in by White a2 and b1.
    reject(
        &|v| {
            v["board"] = serde_json::json!([".....", ".....", ".....", "O....", "XO..."]);
            v["history"] = serde_json::json!([1, 2, 3]);
            v["move_number"] = 4.into();
            v["to_play"] = 0.into();
        },
        "no liberties",
    );
    // Two stones of one colour in a single move.
    reject(
        &|v| {
            v["board"] = serde_json::json!([".....", ".....", "..XX.", ".....", "....."]);
            v["move_number"] = 2.into();
        },
        "more stones",
    );
    // A repeated board in the history.
    reject(
        &|v| {
            let h = v["history"][1].clone();
            v["history"][0] = h;
        },
        "repeats",
    );
}
