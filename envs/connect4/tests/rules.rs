//! Rules, notation, serialization and move-generation counts for Connect Four, checked against a
//! second, naive implementation and against positions analysed by Pascal Pons' solver.

use ludus_connect4::{ConnectFour, ConnectFourState, HEIGHT, WIDTH};
use ludus_core::{conformance, perft, seeded_rng, Game, GameError, GameState};
use proptest::prelude::*;
use rand::Rng;

fn from_moves(moves: &str) -> ConnectFourState {
    ConnectFourState::from_moves(moves).unwrap_or_else(|e| panic!("{moves}: {e}"))
}

fn winning_moves(state: &ConnectFourState) -> Vec<usize> {
    (0..WIDTH).filter(|&a| state.is_winning_move(a)).collect()
}

#[test]
fn conformance_suite() {
    conformance::check_game(&ConnectFour, 3000, 0xC4);
}

proptest! {
    #[test]
    fn conformance_for_any_seed(seed in any::<u64>()) {
        conformance::check_playout(&ConnectFour, seed);
    }
}

// ---------------------------------------------------------------------------------------------
// A deliberately plain second implementation: a 6 × 7 array, gravity by scanning the column, and
// four-in-a-row found by walking from the new stone in each direction.

#[derive(Clone)]
struct Naive {
    /// `board[row][col]`, row 0 at the bottom: 0 empty, 1 X, 2 O.
    board: [[u8; 7]; 6],
    plies: usize,
    winner: u8,
}

impl Naive {
    fn new() -> Self {
        Naive {
            board: [[0; 7]; 6],
            plies: 0,
            winner: 0,
        }
    }

    fn mover(&self) -> u8 {
        if self.plies.is_multiple_of(2) {
            1
        } else {
            2
        }
    }

    fn landing_row(&self, col: usize) -> Option<usize> {
        (0..6).find(|&row| self.board[row][col] == 0)
    }

    fn can_play(&self, col: usize) -> bool {
        self.winner == 0 && self.landing_row(col).is_some()
    }

    /// Whether the stone of `who` at (`row`, `col`) is part of four in a row.
    fn makes_four(&self, row: usize, col: usize, who: u8) -> bool {
        for (dr, dc) in [(0i32, 1i32), (1, 0), (1, 1), (1, -1)] {
            let mut run = 1;
            for sign in [1, -1] {
                let (mut r, mut c) = (row as i32 + sign * dr, col as i32 + sign * dc);
                while (0..6).contains(&r)
                    && (0..7).contains(&c)
                    && self.board[r as usize][c as usize] == who
                {
                    run += 1;
                    r += sign * dr;
                    c += sign * dc;
                }
            }
            if run >= 4 {
                return true;
            }
        }
        false
    }

    fn would_win(&self, col: usize) -> bool {
        match self.landing_row(col) {
            Some(row) if self.winner == 0 => {
                let mut copy = self.clone();
                copy.board[row][col] = self.mover();
                copy.makes_four(row, col, self.mover())
            }
            _ => false,
        }
    }

    fn play(&mut self, col: usize) {
        let row = self.landing_row(col).expect("column not full");
        let who = self.mover();
        self.board[row][col] = who;
        self.plies += 1;
        if self.makes_four(row, col, who) {
            self.winner = who;
        }
    }

    fn is_over(&self) -> bool {
        self.winner != 0 || self.plies == 42
    }

    /// Sequences of exactly `depth` plies that do not end earlier.
    fn perft(&self, depth: usize) -> u64 {
        if depth == 0 {
            return 1;
        }
        if self.is_over() {
            return 0;
        }
        let mut total = 0;
        for col in 0..7 {
            if self.landing_row(col).is_some() {
                if depth == 1 {
                    total += 1;
                } else {
                    let mut child = self.clone();
                    child.play(col);
                    total += child.perft(depth - 1);
                }
            }
        }
        total
    }
}

/// The bitboard state and the naive board agree on every cell, every column and the outcome.
fn assert_same(state: &ConnectFourState, naive: &Naive, context: &str) {
    for row in 0..HEIGHT {
        for col in 0..WIDTH {
            let expected = match naive.board[row][col] {
                0 => None,
                who => Some(usize::from(who - 1)),
            };
            assert_eq!(
                state.cell(row, col),
                expected,
                "{context}: cell ({row}, {col})"
            );
        }
    }
    for col in 0..WIDTH {
        assert_eq!(
            state.is_legal(col),
            naive.can_play(col),
            "{context}: legal {col}"
        );
        assert_eq!(
            state.is_winning_move(col),
            naive.would_win(col),
            "{context}: winning move {col}"
        );
    }
    assert_eq!(state.is_terminal(), naive.is_over(), "{context}: terminal");
    assert_eq!(
        state.winner(),
        (naive.winner != 0).then(|| usize::from(naive.winner - 1)),
        "{context}: winner"
    );
    assert_eq!(state.num_moves(), naive.plies, "{context}: plies");
}

#[test]
fn perft_matches_the_naive_implementation() {
    let root = ConnectFour.initial_state();
    let naive = Naive::new();
    let mut counts = Vec::new();
    for depth in 0..=9 {
        let fast = perft(&root, depth);
        assert_eq!(fast, naive.perft(depth), "perft({depth})");
        counts.push(fast);
    }
    // Up to six plies no column fills and nobody can win, so every sequence counts: 7^d. At
    // seven plies only the seven sequences that fill one column in six plies lose a move.
    assert_eq!(
        counts,
        [1, 7, 49, 343, 2401, 16807, 117649, 823536, 5673234, 39394572]
    );
}

#[test]
fn random_games_agree_with_the_naive_implementation_ply_by_ply() {
    let mut rng = seeded_rng(0xC4C4);
    let mut outcomes = [0usize; 3]; // draws, X wins, O wins
    for game in 0..3000 {
        let mut state = ConnectFour.initial_state();
        let mut naive = Naive::new();
        let mut moves = String::new();
        loop {
            assert_same(&state, &naive, &format!("game {game} after `{moves}`"));
            if state.is_terminal() {
                break;
            }
            let col = state
                .random_legal_action(&mut rng, &mut Vec::new())
                .expect("a legal move");
            moves.push(char::from(b'1' + col as u8));
            state.apply(col).unwrap();
            naive.play(col);
        }
        outcomes[usize::from(naive.winner)] += 1;
        assert_eq!(from_moves(&moves), state, "from_moves(`{moves}`)");
    }
    // Random games end both ways and, now and then, in a draw.
    assert!(outcomes.iter().all(|&n| n > 0), "{outcomes:?}");
}

// ---------------------------------------------------------------------------------------------
// Rules: wins in every direction, at the edges, draws.

#[test]
fn wins_in_every_direction_and_at_the_edges() {
    // (moves before the winning one, the mover's only winning column, the line it completes)
    let cases = [
        ("121314", 0, "vertical from the bottom"),
        ("11171617", 0, "vertical into the top row"),
        (
            "435566",
            6,
            "horizontal along the bottom, at the right edge",
        ),
        (
            "564465426527243145642655323727767",
            6,
            "horizontal along the top row, at the right edge",
        ),
        ("273233544224545", 0, "diagonal from the bottom-left corner"),
        (
            "74754364263552331467337566575",
            6,
            "diagonal into the top-right corner",
        ),
        (
            "164266755127321164342132636",
            0,
            "anti-diagonal into the top-left corner",
        ),
    ];
    for (setup, col, what) in cases {
        let state = from_moves(setup);
        assert_eq!(state.winner(), None, "{what}");
        assert_eq!(winning_moves(&state), [col], "{what}: `{setup}`\n{state}");
        let mover = state.to_play();
        let mut after = state.clone();
        after.apply(col).unwrap();
        assert_eq!(after.winner(), Some(mover), "{what}");
        assert!(after.is_terminal(), "{what}");
        let mut expected = [-1.0, -1.0];
        expected[mover] = 1.0;
        assert_eq!(ConnectFour.returns(&after), expected, "{what}");
    }
}

#[test]
fn lines_do_not_wrap_from_one_column_into_the_next() {
    // O (to move) holds the top two cells of column 1 and the bottom of column 2; dropping into
    // column 2 makes cells that are consecutive in a board without the spare row, yet no line.
    let state = from_moves("11516211717");
    assert_eq!(state.to_play(), 1);
    assert_eq!(
        (state.cell(4, 0), state.cell(5, 0), state.cell(0, 1)),
        (Some(1), Some(1), Some(1))
    );
    assert_eq!(state.column_height(1), 1);
    assert!(!state.is_winning_move(1));
    let mut after = state.clone();
    after.apply(1).unwrap();
    assert_eq!(after.winner(), None);
    assert!(!after.is_terminal());
}

#[test]
fn three_in_a_row_is_not_a_win_and_gaps_count() {
    // X: columns 4 5 6 on the bottom with both ends open.
    let state = from_moves("445566");
    assert_eq!(state.winner(), None);
    assert_eq!(winning_moves(&state), [2, 6]);
    // X: columns 1 2 _ 4 on the bottom: only the gap completes the line.
    let state = from_moves("112247");
    assert_eq!(state.winner(), None);
    assert_eq!(winning_moves(&state), [2]);
    // The opponent's three in a row is no winning move for the mover.
    let state = from_moves("4455661");
    assert_eq!(state.to_play(), 1);
    assert!(winning_moves(&state).is_empty());
}

#[test]
fn a_won_game_accepts_no_more_moves() {
    let mut state = from_moves("1212121");
    assert_eq!(state.winner(), Some(0));
    let mut legal = vec![99];
    state.legal_actions(&mut legal);
    assert!(legal.is_empty());
    assert!((0..WIDTH).all(|a| !state.is_legal(a) && !state.is_winning_move(a)));
    assert_eq!(state.apply(3), Err(GameError::GameOver));
    let mut rng = seeded_rng(3);
    assert_eq!(state.random_legal_action(&mut rng, &mut Vec::new()), None);
    assert!(state.to_string().ends_with("X wins"), "{state}");
}

#[test]
fn a_full_board_without_four_in_a_row_is_a_draw() {
    let mut state = from_moves("442761225377252342545563474175371666631311");
    assert_eq!(state.num_moves(), 42);
    assert!(state.is_terminal());
    assert_eq!(state.winner(), None);
    assert_eq!(ConnectFour.returns(&state), [0.0, 0.0]);
    assert!(state.to_string().ends_with("draw"), "{state}");
    assert_eq!(state.apply(0), Err(GameError::GameOver));
}

#[test]
fn four_in_a_row_with_the_last_stone_wins_rather_than_draws() {
    let moves = "473725347123341712511124675567466466235235";
    let before = from_moves(&moves[..41]);
    assert_eq!(winning_moves(&before), [4]);
    let state = from_moves(moves);
    assert_eq!(state.num_moves(), 42);
    assert_eq!(state.winner(), Some(1));
    assert_eq!(ConnectFour.returns(&state), [-1.0, 1.0]);
}

#[test]
fn full_columns_and_out_of_range_actions_are_refused() {
    let mut state = from_moves("444444");
    assert_eq!(state.column_height(3), 6);
    assert!(!state.is_legal(3));
    assert!(!state.is_winning_move(3));
    assert_eq!(state.apply(3), Err(GameError::IllegalAction { action: 3 }));
    assert_eq!(state.apply(7), Err(GameError::IllegalAction { action: 7 }));
    let mut legal = Vec::new();
    state.legal_actions(&mut legal);
    assert_eq!(legal, [0, 1, 2, 4, 5, 6]);
    assert_eq!(state.cell(6, 0), None);
    assert_eq!(state.cell(0, 7), None);
    assert_eq!(state.column_height(7), 0);
}

#[test]
fn random_legal_action_is_uniform_over_the_open_columns() {
    let state = from_moves("444444111111"); // columns 1 and 4 full
    let mut rng = seeded_rng(9);
    let mut counts = [0u32; WIDTH];
    for _ in 0..50_000 {
        counts[state
            .random_legal_action(&mut rng, &mut Vec::new())
            .unwrap()] += 1;
    }
    for (col, &n) in counts.iter().enumerate() {
        if state.is_legal(col) {
            // 10 000 expected each; 5 % is more than eight standard deviations.
            assert!((9_500..=10_500).contains(&n), "column {col}: {n}");
        } else {
            assert_eq!(n, 0, "full column {col} drawn");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Bitboards, observation, display, hash.

#[test]
fn bitboards_use_pons_layout() {
    let state = from_moves("4453");
    let (current, mask) = state.bitboards();
    // X: column 4 bottom (bit 21), column 5 bottom (bit 28). O: column 4 row 1 (bit 22), column 3
    // bottom (bit 14). X is to move.
    assert_eq!(mask, 1 << 21 | 1 << 22 | 1 << 28 | 1 << 14);
    assert_eq!(current, 1 << 21 | 1 << 28);
    assert_eq!(
        ConnectFourState::from_bitboards(current, mask).unwrap(),
        state
    );
    // The mover's stones must be among all stones.
    assert!(ConnectFourState::from_bitboards(1, 0).is_err());
    // A stone on the spare row is off the board.
    assert!(ConnectFourState::from_bitboards(0, 1 << 6).is_err());
}

#[test]
fn observation_has_the_top_row_first_and_the_movers_stones_in_plane_0() {
    let game = ConnectFour;
    let state = from_moves("44"); // X then O in column 4; X to move
    let obs = game.observation(&state);
    assert_eq!(obs.len(), 84);
    // Board row 0 (bottom) is observation row 5; column 4 is index 3.
    assert_eq!(obs[5 * 7 + 3], 1.0, "X's stone in plane 0");
    assert_eq!(obs[42 + 4 * 7 + 3], 1.0, "O's stone in plane 1");
    assert_eq!(obs.iter().sum::<f32>(), 2.0);
    let state = from_moves("441"); // O to move: O's stone is now in plane 0
    let obs = game.observation(&state);
    assert_eq!(obs[4 * 7 + 3], 1.0);
    assert_eq!(obs[42 + 5 * 7], 1.0);
}

#[test]
fn symmetries_are_the_identity_and_the_mirror() {
    let syms = ConnectFour.symmetries();
    let names: Vec<&str> = syms.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["identity", "flip_h"]);
    assert_eq!(syms[1].actions, [6, 5, 4, 3, 2, 1, 0]);
    assert_eq!(syms[1].cells[0], 6);
    assert_eq!(syms[1].cells[41], 35);
}

#[test]
fn display_prints_the_top_row_first_with_a_column_footer() {
    let state = from_moves("4453");
    assert_eq!(
        state.to_string(),
        ". . . . . . .\n\
         . . . . . . .\n\
         . . . . . . .\n\
         . . . . . . .\n\
         . . . O . . .\n\
         . . O X X . .\n\
         1 2 3 4 5 6 7\n\
         X to move"
    );
    assert!(from_moves("4").to_string().ends_with("O to move"));
}

#[test]
fn hash_depends_on_the_position_not_the_move_order() {
    let a = from_moves("4453");
    let b = from_moves("5344");
    assert_eq!(a, b);
    assert_eq!(a.position_hash(), b.position_hash());
    assert_ne!(
        from_moves("12").position_hash(),
        from_moves("21").position_hash()
    );
    assert_ne!(
        ConnectFour.initial_state().position_hash(),
        from_moves("4").position_hash()
    );
}

// ---------------------------------------------------------------------------------------------
// Notation and Pons' move strings.

#[test]
fn notation_is_the_column_number() {
    let game = ConnectFour;
    let names: Vec<String> = (0..7).map(|a| game.action_to_string(a)).collect();
    assert_eq!(names, ["1", "2", "3", "4", "5", "6", "7"]);
    assert_eq!(game.parse_action(" 4\n"), Ok(3));
    assert_eq!(
        game.parse_move("1"),
        Ok(0),
        "notation wins over action numbers"
    );
    for bad in ["", "0", "8", "07", "44", "a", "-1", "4 4"] {
        match game.parse_action(bad) {
            Err(GameError::ParseAction { text, expected }) => {
                assert_eq!(text, bad);
                assert_eq!(expected, "a column number 1–7");
            }
            other => panic!("`{bad}` parsed as {other:?}"),
        }
    }
}

#[test]
fn from_moves_rejects_bad_digits_full_columns_and_moves_after_a_win() {
    assert_eq!(from_moves(""), ConnectFour.initial_state());
    assert_eq!(from_moves(" 44 "), from_moves("44"));
    assert_eq!(
        from_moves("4453"),
        ConnectFour.play_moves(&["4", "4", "5", "3"]).unwrap()
    );
    let err = ConnectFourState::from_moves("4458").unwrap_err();
    assert!(
        matches!(&err, GameError::ParseAction { expected, .. } if expected.contains("move 4 is `8`")),
        "{err}"
    );
    assert!(matches!(
        ConnectFourState::from_moves("4 4"),
        Err(GameError::ParseAction { .. })
    ));
    assert!(matches!(
        ConnectFourState::from_moves("0"),
        Err(GameError::ParseAction { .. })
    ));
    let err = ConnectFourState::from_moves("1111111")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("move 7 (column 1)") && err.contains("full"),
        "{err}"
    );
    let err = ConnectFourState::from_moves("12121212")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("move 8 (column 2)") && err.contains("already won"),
        "{err}"
    );
}

/// One analysed position from Pons' benchmark (see `tests/data/README.md`).
struct Analysed {
    moves: String,
    /// Score of each column from the mover's point of view; `None` for a full column.
    scores: [Option<i32>; 7],
    score: i32,
}

fn end_easy_positions() -> Vec<Analysed> {
    let text = include_str!("data/end_easy_head.tsv");
    text.lines()
        .skip(1)
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            assert_eq!(fields.len(), 12, "{line}");
            let mut scores = [None; 7];
            for (col, field) in fields[1..8].iter().enumerate() {
                scores[col] = (!field.is_empty()).then(|| field.parse().unwrap());
            }
            assert_eq!(fields[8].parse::<usize>().unwrap(), fields[0].len());
            Analysed {
                moves: fields[0].to_string(),
                scores,
                score: fields[10].parse().unwrap(),
            }
        })
        .collect()
}

#[test]
fn pons_benchmark_positions_load_and_round_trip() {
    let positions = end_easy_positions();
    assert_eq!(positions.len(), 20);
    let mut threats_seen = 0;
    for p in &positions {
        let state = from_moves(&p.moves);
        let n = p.moves.len();
        assert_eq!(state.num_moves(), n);
        assert!(!state.is_terminal(), "{}", p.moves);
        // The same position by single moves, from Pons' pair, and through serde.
        let digits: Vec<String> = p.moves.chars().map(String::from).collect();
        assert_eq!(ConnectFour.play_moves(&digits).unwrap(), state);
        let (current, mask) = state.bitboards();
        assert_eq!(
            ConnectFourState::from_bitboards(current, mask).unwrap(),
            state
        );
        let json = serde_json::to_string(&state).unwrap();
        assert_eq!(
            serde_json::from_str::<ConnectFourState>(&json).unwrap(),
            state
        );
        assert_eq!(
            p.scores.iter().flatten().max().copied(),
            Some(p.score),
            "the position's score is its best move's"
        );

        // The solver's scores fix the immediate wins and losses: the mover wins at once with
        // 22 − (its stones after the move) = (43 − n) / 2, and a move after which the opponent
        // wins at once scores −(42 − n) / 2 (unless it fills the board, ending in a draw).
        for col in 0..WIDTH {
            assert_eq!(
                state.is_legal(col),
                p.scores[col].is_some(),
                "{} col {col}",
                p.moves
            );
            let Some(score) = p.scores[col] else { continue };
            let immediate_win = (43 - n as i32) / 2;
            assert_eq!(
                state.is_winning_move(col),
                score == immediate_win,
                "{} col {col}",
                p.moves
            );
            let mut after = state.clone();
            after.apply(col).unwrap();
            if after.is_terminal() {
                continue;
            }
            let threat = !winning_moves(&after).is_empty();
            threats_seen += usize::from(threat);
            assert_eq!(
                threat,
                score == -((42 - n as i32) / 2),
                "{} col {col}",
                p.moves
            );
        }
    }
    assert!(threats_seen > 0, "the fixture exercises immediate threats");
}

// ---------------------------------------------------------------------------------------------
// Serialization.

#[test]
fn serializes_as_the_board_and_round_trips() {
    let state = from_moves("4453");
    let json = serde_json::to_string(&state).unwrap();
    assert_eq!(
        json,
        r#"{"board":"......./......./......./......./...O.../..OXX.."}"#
    );
    assert_eq!(
        serde_json::from_str::<ConnectFourState>(&json).unwrap(),
        state
    );
    let won = from_moves("1212121");
    let back: ConnectFourState =
        serde_json::from_str(&serde_json::to_string(&won).unwrap()).unwrap();
    assert_eq!(back, won);
    assert_eq!(back.winner(), Some(0));
    assert_eq!(back.position_hash(), won.position_hash());
}

#[test]
fn corrupt_states_are_rejected_with_a_reason() {
    let board = |rows: &str| format!(r#"{{"board":"{rows}"}}"#);
    let cases = [
        (
            "......./......./......./......./......./XX.....",
            "X has 2 stones and O 0",
        ),
        (
            "......./......./......./......./X....../.......",
            "column 1 has a stone above",
        ),
        (
            "......./......./......./......./......./O......",
            "X has 0 stones and O 1",
        ),
        // X has four but O moved last.
        (
            "......./......./......./......./OOO..../XXXX..O",
            "game went on after it was won",
        ),
        // Both have four.
        (
            "......./......./......./......./OOOO.../XXXX..X",
            "four in a row",
        ),
        // X has two separate fours: no single last move made both.
        (
            "......./......./X....../XO...../XO.OOO./XOOXXXX",
            "no single last move",
        ),
        ("......./......./......./......./......", "6 rows of 7"),
        (
            "......./......./......./......./......./...Z...",
            "unexpected `Z`",
        ),
    ];
    for (rows, reason) in cases {
        let json = board(rows);
        let err = serde_json::from_str::<ConnectFourState>(&json)
            .expect_err(&json)
            .to_string();
        assert!(err.contains(reason), "{json}: {err}");
        assert!(err.contains("invalid state"), "{json}: {err}");
    }
    assert!(serde_json::from_str::<ConnectFourState>(r#"{"board":"x","moves":3}"#).is_err());
}

#[test]
fn random_states_survive_serde_and_bitboard_round_trips() {
    let mut rng = seeded_rng(77);
    for _ in 0..500 {
        let mut state = ConnectFour.initial_state();
        let stop = rng.random_range(0..42);
        while state.move_number() < stop && !state.is_terminal() {
            let a = state
                .random_legal_action(&mut rng, &mut Vec::new())
                .unwrap();
            state.apply_unchecked(a);
        }
        let (current, mask) = state.bitboards();
        assert_eq!(
            ConnectFourState::from_bitboards(current, mask).unwrap(),
            state
        );
    }
}
