//! Differential test: random games checked ply by ply against a deliberately naive Go written
//! from the rules text (flood fills, and every earlier board kept in full for superko).

use ludus_core::{seeded_rng, Game, GameState};
use ludus_go::{Go, GoConfig};
use rand::Rng;

const EMPTY: u8 = 2;

/// The rules with no cleverness: boards are `Vec<u8>` of `size²` points (0 Black, 1 White,
/// 2 empty), and `seen` holds every board that has occurred.
struct Naive {
    size: usize,
    board: Vec<u8>,
    seen: Vec<Vec<u8>>,
    to_play: u8,
    passes: usize,
    moves: usize,
    captures: [u32; 2],
}

/// Why a placement was refused, for counting superko cases.
#[derive(Debug, PartialEq)]
enum Verdict {
    Legal(Vec<u8>, u32),
    Occupied,
    Suicide,
    /// Legal but for superko; holds the board it would recreate.
    Repeat(Vec<u8>),
}

impl Naive {
    fn new(size: usize) -> Naive {
        let board = vec![EMPTY; size * size];
        Naive {
            size,
            seen: vec![board.clone()],
            board,
            to_play: 0,
            passes: 0,
            moves: 0,
            captures: [0; 2],
        }
    }

    fn neighbours(&self, p: usize) -> Vec<usize> {
        let (r, c, n) = (p / self.size, p % self.size, self.size);
        let mut out = Vec::new();
        if r > 0 {
            out.push(p - n);
        }
        if r + 1 < n {
            out.push(p + n);
        }
        if c > 0 {
            out.push(p - 1);
        }
        if c + 1 < n {
            out.push(p + 1);
        }
        out
    }

    /// The chain (or empty region) containing `p`, and whether it touches an empty point.
    fn chain(&self, board: &[u8], p: usize) -> (Vec<usize>, bool) {
        let colour = board[p];
        let mut chain = vec![p];
        let mut free = false;
        let mut i = 0;
        while i < chain.len() {
            for q in self.neighbours(chain[i]) {
                if board[q] == colour {
                    if !chain.contains(&q) {
                        chain.push(q);
                    }
                } else if board[q] == EMPTY {
                    free = true;
                }
            }
            i += 1;
        }
        (chain, free)
    }

    fn judge(&self, p: usize) -> Verdict {
        if self.board[p] != EMPTY {
            return Verdict::Occupied;
        }
        let mut board = self.board.clone();
        board[p] = self.to_play;
        let mut taken = 0;
        for q in self.neighbours(p) {
            if board[q] == 1 - self.to_play {
                let (chain, free) = self.chain(&board, q);
                if !free {
                    for s in chain {
                        board[s] = EMPTY;
                        taken += 1;
                    }
                }
            }
        }
        if !self.chain(&board, p).1 {
            return Verdict::Suicide;
        }
        if self.seen.contains(&board) {
            return Verdict::Repeat(board);
        }
        Verdict::Legal(board, taken)
    }

    fn play(&mut self, action: usize) {
        if action == self.size * self.size {
            self.passes += 1;
        } else {
            let Verdict::Legal(board, taken) = self.judge(action) else {
                panic!("naive: illegal move {action}");
            };
            self.captures[usize::from(self.to_play)] += taken;
            self.board = board;
            self.seen.push(self.board.clone());
            self.passes = 0;
        }
        self.moves += 1;
        self.to_play = 1 - self.to_play;
    }

    /// Black's area minus White's, by flooding each empty region.
    fn area_margin(&self) -> i32 {
        let mut margin = 0i32;
        for p in 0..self.board.len() {
            margin += match self.board[p] {
                0 => 1,
                1 => -1,
                _ => {
                    let (region, _) = self.chain(&self.board, p);
                    let mut touches = [false; 2];
                    for &q in &region {
                        for r in self.neighbours(q) {
                            if self.board[r] != EMPTY {
                                touches[usize::from(self.board[r])] = true;
                            }
                        }
                    }
                    match touches {
                        [true, false] => 1,
                        [false, true] => -1,
                        _ => 0,
                    }
                }
            };
        }
        margin
    }
}

/// Counts of refusals seen, to show that the games exercised superko.
#[derive(Default, Debug)]
struct Tally {
    plies: usize,
    captures: u32,
    suicides: usize,
    simple_ko: usize,
    long_cycle: usize,
}

fn compare(size: usize, max_moves: usize, games: u64, seed: u64, tally: &mut Tally) {
    let go = Go::new(GoConfig {
        size,
        komi: 0.5,
        max_moves: Some(max_moves),
    })
    .unwrap();
    let mut legal = Vec::new();
    for g in 0..games {
        let mut rng = seeded_rng(seed + g);
        let mut state = go.initial_state();
        let mut naive = Naive::new(size);
        let mut moves = Vec::new();
        while !state.is_terminal() {
            let mut expected = vec![size * size];
            for p in (0..size * size).rev() {
                match naive.judge(p) {
                    Verdict::Legal(..) => expected.insert(0, p),
                    Verdict::Suicide => tally.suicides += 1,
                    // Recreating the board of two plies ago is the simple ko.
                    Verdict::Repeat(board) if naive.seen[naive.seen.len() - 2] == board => {
                        tally.simple_ko += 1
                    }
                    Verdict::Repeat(_) => tally.long_cycle += 1,
                    Verdict::Occupied => {}
                }
            }
            state.legal_actions(&mut legal);
            let ctx = format!("size {size} game {g} after {moves:?}");
            assert_eq!(legal, expected, "{ctx}: legal moves");
            // Mostly avoid passing, so that games run long and fill up with captures and kos.
            let action = if legal.len() > 1 && rng.random_range(0..10) > 0 {
                legal[rng.random_range(0..legal.len() - 1)]
            } else {
                legal[rng.random_range(0..legal.len())]
            };
            state.apply(action).unwrap();
            naive.play(action);
            moves.push(action);
            tally.plies += 1;
            for r in 0..size {
                for c in 0..size {
                    let expected = match naive.board[r * size + c] {
                        EMPTY => None,
                        colour => Some(usize::from(colour)),
                    };
                    assert_eq!(state.cell(r, c), expected, "{ctx}: point {r},{c}");
                }
            }
            assert_eq!(
                [state.captures(0), state.captures(1)],
                naive.captures,
                "{ctx}: captures"
            );
        }
        assert_eq!(
            state.is_truncated(),
            naive.passes < 2 && naive.moves >= max_moves
        );
        assert_eq!(state.area_score(), naive.area_margin() as f32 - 0.5);
        tally.captures += naive.captures[0] + naive.captures[1];
    }
}

#[test]
fn agrees_with_the_naive_rules_on_small_boards() {
    let mut tally = Tally::default();
    compare(5, 300, 40, 100, &mut tally);
    compare(6, 200, 10, 200, &mut tally);
    compare(7, 150, 10, 300, &mut tally);
    eprintln!("small boards: {tally:?}");
    // The games must have exercised every rule, or agreeing would prove little.
    assert!(tally.captures > 1000, "{tally:?}");
    assert!(tally.suicides > 1000, "{tally:?}");
    assert!(tally.simple_ko > 20, "{tally:?}");
    assert!(tally.long_cycle > 0, "{tally:?}");
}

#[test]
fn agrees_with_the_naive_rules_on_9x9_and_19x19() {
    let mut tally = Tally::default();
    compare(9, 200, 6, 400, &mut tally);
    compare(19, 500, 1, 500, &mut tally);
    eprintln!("9x9 and 19x19: {tally:?}");
    assert!(tally.captures > 100, "{tally:?}");
}
