//! Rules, notation, serialization and move-generation counts for tic-tac-toe.

use ludus_core::{conformance, perft, seeded_rng, Game, GameError, GameState};
use ludus_tictactoe::{TicTacToe, TicTacToeState};
use proptest::prelude::*;

fn play(moves: &[&str]) -> TicTacToeState {
    TicTacToe
        .play_moves(moves)
        .unwrap_or_else(|e| panic!("{moves:?}: {e}"))
}

#[test]
fn conformance_suite() {
    conformance::check_game(&TicTacToe, 20_000, 0x7717);
}

proptest! {
    #[test]
    fn conformance_for_any_seed(seed in any::<u64>()) {
        conformance::check_playout(&TicTacToe, seed);
    }
}

// ---------------------------------------------------------------------------------------------
// Move-generation counts, checked against a second, naive implementation.

/// A deliberately plain tic-tac-toe: a 3×3 array of 0 (empty), 1 (X), 2 (O), and a win test
/// that looks at every row, column and diagonal cell by cell.
mod naive {
    pub type Board = [[u8; 3]; 3];

    pub fn winner(b: &Board) -> u8 {
        let mut lines: Vec<[(usize, usize); 3]> = Vec::new();
        for i in 0..3 {
            lines.push([(i, 0), (i, 1), (i, 2)]);
            lines.push([(0, i), (1, i), (2, i)]);
        }
        lines.push([(0, 0), (1, 1), (2, 2)]);
        lines.push([(0, 2), (1, 1), (2, 0)]);
        for line in lines {
            let [p, q, r] = line.map(|(row, col)| b[row][col]);
            if p != 0 && p == q && q == r {
                return p;
            }
        }
        0
    }

    /// Tallies, for each ply count, the sequences of exactly that many plies from the empty
    /// board (`reached[d]`, the perft convention) and the finished games split by result
    /// (`ended[d] = [draws, X wins, O wins]`).
    pub fn enumerate(
        b: &mut Board,
        ply: usize,
        reached: &mut [u64; 10],
        ended: &mut [[u64; 3]; 10],
    ) {
        reached[ply] += 1;
        let w = winner(b);
        if w != 0 {
            ended[ply][usize::from(w)] += 1;
            return;
        }
        if ply == 9 {
            ended[ply][0] += 1;
            return;
        }
        let mover = if ply.is_multiple_of(2) { 1 } else { 2 };
        for row in 0..3 {
            for col in 0..3 {
                if b[row][col] == 0 {
                    b[row][col] = mover;
                    enumerate(b, ply + 1, reached, ended);
                    b[row][col] = 0;
                }
            }
        }
    }
}

/// Finished games counted with the bitboard implementation: `[draws, X wins, O wins]`.
fn complete_games(state: &TicTacToeState, tally: &mut [u64; 3]) {
    if state.is_terminal() {
        match state.winner() {
            None => tally[0] += 1,
            Some(p) => tally[1 + p] += 1,
        }
        return;
    }
    let mut legal = Vec::new();
    state.legal_actions(&mut legal);
    for a in legal {
        let mut child = state.clone();
        child.apply_unchecked(a);
        complete_games(&child, tally);
    }
}

#[test]
fn perft_matches_a_naive_enumeration_and_the_known_counts() {
    let (mut reached, mut ended) = ([0u64; 10], [[0u64; 3]; 10]);
    naive::enumerate(&mut [[0; 3]; 3], 0, &mut reached, &mut ended);

    let root = TicTacToe.initial_state();
    for (depth, &expected) in reached.iter().enumerate() {
        assert_eq!(perft(&root, depth), expected, "perft({depth})");
    }
    // The same counts as published for tic-tac-toe (e.g. OEIS-style tables of "games of
    // length d"); the naive enumeration above derives them independently.
    assert_eq!(
        reached,
        [1, 9, 72, 504, 3024, 15120, 54720, 148176, 200448, 127872]
    );
    assert_eq!(perft(&root, 10), 0, "no game lasts ten plies");

    let mut tally = [0u64; 3];
    complete_games(&root, &mut tally);
    let naive_tally = ended.iter().fold([0u64; 3], |acc, e| {
        [acc[0] + e[0], acc[1] + e[1], acc[2] + e[2]]
    });
    assert_eq!(tally, naive_tally);
    assert_eq!(tally.iter().sum::<u64>(), 255_168, "complete games");
    assert_eq!(tally, [46_080, 131_184, 77_904], "[draws, X wins, O wins]");
    // Games ending exactly at ply d: wins from ply 5 on, draws only at ply 9.
    let ending_at: Vec<u64> = ended.iter().map(|e| e.iter().sum()).collect();
    assert_eq!(ending_at, [0, 0, 0, 0, 0, 1440, 5328, 47952, 72576, 127872]);
}

// ---------------------------------------------------------------------------------------------
// Rules.

#[test]
fn every_line_wins_for_either_player() {
    let lines: [[&str; 3]; 8] = [
        ["a1", "b1", "c1"],
        ["a2", "b2", "c2"],
        ["a3", "b3", "c3"],
        ["a1", "a2", "a3"],
        ["b1", "b2", "b3"],
        ["c1", "c2", "c3"],
        ["a1", "b2", "c3"],
        ["c1", "b2", "a3"],
    ];
    let game = TicTacToe;
    for line in lines {
        let on_line: Vec<usize> = line.iter().map(|c| game.parse_action(c).unwrap()).collect();
        for winner in 0..2usize {
            // The winner plays the line; the other player plays the first cell off the line that
            // does not complete a line of its own.
            let mut state = game.initial_state();
            let mut line_moves = on_line.iter();
            let mut history = Vec::new();
            while !state.is_terminal() {
                let action = if state.to_play() == winner {
                    *line_moves.next().expect("the line has three cells")
                } else {
                    (0..9)
                        .find(|&a| {
                            let mut child = state.clone();
                            !on_line.contains(&a)
                                && child.apply(a).is_ok()
                                && child.winner().is_none()
                        })
                        .expect("a harmless filler exists")
                };
                history.push(game.action_to_string(action));
                state.apply(action).unwrap();
            }
            assert_eq!(
                state.winner(),
                Some(winner),
                "{line:?} {history:?}\n{state}"
            );
            assert_eq!(history.len(), 5 + winner, "{line:?}: won on the third mark");
            let mut expected = [-1.0, -1.0];
            expected[winner] = 1.0;
            assert_eq!(game.returns(&state), expected);
        }
    }
}

#[test]
fn a_won_game_accepts_no_more_moves() {
    let mut state = play(&["a1", "a2", "b1", "b2", "c1"]);
    assert_eq!(state.winner(), Some(0));
    assert!(state.is_terminal());
    let mut legal = vec![99];
    state.legal_actions(&mut legal);
    assert!(legal.is_empty());
    assert!(!state.is_legal(8));
    assert_eq!(state.apply(8), Err(GameError::GameOver));
    let mut rng = seeded_rng(1);
    assert_eq!(state.random_legal_action(&mut rng, &mut Vec::new()), None);
}

#[test]
fn a_win_on_the_last_cell_is_a_win_not_a_draw() {
    // X completes the a1–c3 diagonal with the ninth mark.
    let state = play(&["a1", "b1", "b2", "c2", "a2", "a3", "c1", "b3", "c3"]);
    assert_eq!(state.move_number(), 9);
    assert_eq!(state.winner(), Some(0));
    assert_eq!(TicTacToe.returns(&state), [1.0, -1.0]);
    assert!(state.to_string().ends_with("X wins"), "{state}");
}

#[test]
fn a_full_board_without_a_line_is_a_draw() {
    let state = play(&["b2", "a1", "c1", "a3", "a2", "c2", "b1", "b3", "c3"]);
    assert!(state.is_terminal());
    assert_eq!(state.winner(), None);
    assert_eq!(TicTacToe.returns(&state), [0.0, 0.0]);
    assert_eq!(
        state.to_string(),
        "  a b c\n1 O X X\n2 X X O\n3 O O X\ndraw"
    );
}

#[test]
fn occupied_cells_and_out_of_range_actions_are_refused() {
    let mut state = play(&["b2"]);
    assert_eq!(state.apply(4), Err(GameError::IllegalAction { action: 4 }));
    assert_eq!(state.apply(9), Err(GameError::IllegalAction { action: 9 }));
    assert_eq!(state.cell(4), Some(0));
    assert_eq!(state.cell(0), None);
    assert_eq!(state.cell(9), None);
    assert_eq!(state.marks(0), 1 << 4);
    assert_eq!(state.marks(1), 0);
    assert_eq!(state.to_play(), 1);
}

#[test]
fn display_shows_coordinates_and_the_player_to_move() {
    let state = play(&["a1", "c1", "b2"]);
    assert_eq!(
        state.to_string(),
        "  a b c\n1 X . O\n2 . X .\n3 . . .\nO to move"
    );
    assert!(TicTacToe.initial_state().to_string().ends_with("X to move"));
}

#[test]
fn observation_is_from_the_movers_point_of_view() {
    let game = TicTacToe;
    let state = play(&["a1", "c3"]); // X to move
    let obs = game.observation(&state);
    assert_eq!(obs.len(), 18);
    assert_eq!((obs[0], obs[8], obs[9], obs[17]), (1.0, 0.0, 0.0, 1.0));
    let state = play(&["a1", "c3", "b1"]); // O to move: its own mark is in plane 0
    let obs = game.observation(&state);
    assert_eq!((obs[8], obs[9], obs[10]), (1.0, 1.0, 1.0));
    assert_eq!(obs.iter().sum::<f32>(), 3.0);
}

#[test]
fn hash_depends_on_the_position_not_the_move_order() {
    let a = play(&["a1", "b2", "c3", "a3"]);
    let b = play(&["c3", "a3", "a1", "b2"]);
    assert_eq!(a, b);
    assert_eq!(a.position_hash(), b.position_hash());
    assert_ne!(
        play(&["a1"]).position_hash(),
        play(&["a1", "b2"]).position_hash()
    );
    // The same cell taken by the other player is a different position.
    assert_ne!(
        play(&["a1", "b2"]).position_hash(),
        play(&["b2", "a1"]).position_hash()
    );
}

#[test]
fn random_legal_action_is_uniform_over_the_empty_cells() {
    let state = play(&["a1", "b2", "c3", "a3"]); // b1 c1 a2 c2 b3 are empty
    let mut rng = seeded_rng(42);
    let mut counts = [0u32; 9];
    let draws = 50_000;
    for _ in 0..draws {
        let a = state
            .random_legal_action(&mut rng, &mut Vec::new())
            .unwrap();
        counts[a] += 1;
    }
    for (a, &n) in counts.iter().enumerate() {
        if state.is_legal(a) {
            // 10 000 expected each; 5 % is more than eight standard deviations.
            assert!((9_500..=10_500).contains(&n), "action {a}: {n}");
        } else {
            assert_eq!(n, 0, "illegal action {a} drawn");
        }
    }
}

#[test]
fn symmetries_are_the_eight_of_the_square() {
    let syms = TicTacToe.symmetries();
    assert_eq!(syms.len(), 8);
    assert_eq!(syms[0].name, "identity");
    // rot90 takes the top-left corner (a1) to the top-right (c1).
    assert_eq!(syms[1].map_action(0), 2);
}

// ---------------------------------------------------------------------------------------------
// Notation.

#[test]
fn notation_is_column_letter_then_row_from_the_top() {
    let game = TicTacToe;
    let names: Vec<String> = (0..9).map(|a| game.action_to_string(a)).collect();
    assert_eq!(
        names,
        ["a1", "b1", "c1", "a2", "b2", "c2", "a3", "b3", "c3"]
    );
    assert_eq!(game.parse_action("a1"), Ok(0));
    assert_eq!(game.parse_action(" B2\t"), Ok(4));
    assert_eq!(game.parse_action("C3"), Ok(8));
    assert_eq!(game.parse_action("a3"), Ok(6));
    // A plain number is accepted by parse_move as an action index.
    assert_eq!(game.parse_move("7"), Ok(7));
    assert!(game.parse_move("9").is_err());
}

#[test]
fn bad_notation_names_the_accepted_forms() {
    let game = TicTacToe;
    for bad in ["", "d1", "a4", "a0", "b", "1a", "a1a", "aa", "11", "a 1"] {
        match game.parse_action(bad) {
            Err(GameError::ParseAction { text, expected }) => {
                assert_eq!(text, bad);
                assert!(expected.contains("a1–c3"), "{expected}");
            }
            other => panic!("`{bad}` parsed as {other:?}"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Serialization.

#[test]
fn serializes_as_the_grid_and_round_trips() {
    let state = play(&["a1", "c1", "b2"]);
    let json = serde_json::to_string(&state).unwrap();
    assert_eq!(json, r#"{"board":"X.O/.X./..."}"#);
    let back: TicTacToeState = serde_json::from_str(&json).unwrap();
    assert_eq!(back, state);
    assert_eq!(back.position_hash(), state.position_hash());

    let won = play(&["a1", "a2", "b1", "b2", "c1"]);
    let back: TicTacToeState = serde_json::from_str(&serde_json::to_string(&won).unwrap()).unwrap();
    assert_eq!(back, won);
    assert_eq!(back.winner(), Some(0));
    // Lower-case marks are read too.
    let lower: TicTacToeState = serde_json::from_str(r#"{"board":"x.o/.x./..."}"#).unwrap();
    assert_eq!(lower, state);
}

#[test]
fn corrupt_states_are_rejected_with_a_reason() {
    let cases = [
        (r#"{"board":"XX./.../..."}"#, "X has 2 marks and O 0"),
        (r#"{"board":"O../.../..."}"#, "X has 0 marks and O 1"),
        // X has a line but O moved last: the game went on after X won.
        (r#"{"board":"XXX/OO./O.."}"#, "went on after it was won"),
        // Both players have a line.
        (r#"{"board":"XXX/OOO/X.."}"#, "went on after it was won"),
        (r#"{"board":"XX/OO./..."}"#, "3 rows of 3"),
        (r#"{"board":"X../.../.../..."}"#, "3 rows of 3"),
        (r#"{"board":"XQ./.../..."}"#, "unexpected `Q`"),
    ];
    for (json, reason) in cases {
        let err = serde_json::from_str::<TicTacToeState>(json)
            .expect_err(json)
            .to_string();
        assert!(err.contains(reason), "{json}: {err}");
        assert!(err.contains("invalid state"), "{json}: {err}");
    }
    assert!(serde_json::from_str::<TicTacToeState>(r#"{"board":"X../.../...","x":1}"#).is_err());
    assert!(serde_json::from_str::<TicTacToeState>(r#"{}"#).is_err());
}
