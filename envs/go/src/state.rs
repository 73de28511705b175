//! The position and its rules engine: incremental chains with pseudo-liberties, a bitboard of
//! empty points for move sampling, and a Zobrist history for positional superko.

use std::fmt;

use ludus_core::{splitmix64, zobrist_keys, Action, GameState, Player};
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::game::{COLUMNS, MAX_SIZE};
use crate::repr::GoStateRepr;

/// Point contents. Black and White equal their player index so that `to_play` is a colour.
pub(crate) const BLACK: u8 = 0;
pub(crate) const WHITE: u8 = 1;
pub(crate) const EMPTY: u8 = 2;
/// The off-board frame around the board, so that neighbours never need a bounds check.
const EDGE: u8 = 3;

/// Padded layout: point `(row, col)` is `(row + 1) × W + col` with `W = size + 1`. Row −1,
/// row `size` and column `size` (which doubles as column −1 of the next row) are `EDGE`, so
/// the four neighbours of a board point are always `p ± 1` and `p ± W`. 420 points at 19×19.
pub(crate) const MAX_POINTS: usize = (MAX_SIZE + 2) * (MAX_SIZE + 1);
const WORDS: usize = MAX_POINTS.div_ceil(64);
type Bits = [u64; WORDS];

/// `RECIPROCALS[d] = ⌈2¹⁶ / d⌉`, so that `q / d` is `(q × RECIPROCALS[d]) >> 16` for every
/// divisor used here (a board side or padded width, `d ≤ 20`) and every `q < MAX_POINTS`.
/// Why exact: with `e = RECIPROCALS[d] × d − 2¹⁶ < d`, the product is `2¹⁶ × (q / d) + q × e / d`
/// (real division), and `q × e < 420 × 20 < 2¹⁶` keeps the excess below `2¹⁶ / d`, which is the
/// least distance from `2¹⁶ × q / d` up to the next multiple of `2¹⁶` when `q / d` is not whole.
///
/// Converting between actions and points happens twice a ply, and a hardware division by a
/// runtime divisor cost more there than the rest of the conversion.
const RECIPROCALS: [u32; MAX_SIZE + 2] = {
    let mut table = [0; MAX_SIZE + 2];
    let mut d = 1;
    while d < table.len() {
        table[d] = (1u32 << 16).div_ceil(d as u32);
        d += 1;
    }
    table
};

/// `q / d` for a divisor `d ≤ 20` and `q < MAX_POINTS`, by multiplication (see [`RECIPROCALS`]).
#[inline]
fn divide(q: usize, d: usize) -> usize {
    (q * RECIPROCALS[d] as usize) >> 16
}

/// Words of the superko history's Bloom filter (512 bits: small next to the board arrays, so
/// clones stay cheap).
const FILTER_WORDS: usize = 8;

/// The two filter bits of a board hash: its top two 9-bit fields (Zobrist hashes are uniform
/// in every bit). Two probes keep false positives at about 5–15 % for the 60–120 boards of a
/// 9×9 game, against 11–21 % for one.
#[inline]
fn filter_bits(hash: u64) -> [usize; 2] {
    [(hash >> 55) as usize, (hash >> 46) as usize & 511]
}

/// Adds a board hash to a history filter.
#[inline]
fn filter_insert(filter: &mut [u64; FILTER_WORDS], hash: u64) {
    for b in filter_bits(hash) {
        set_bit(filter, b);
    }
}

/// Zobrist keys of a stone: `STONE_KEYS[colour × MAX_POINTS + point]`.
const STONE_KEYS: [u64; 2 * MAX_POINTS] = zobrist_keys(0x0060_5EED);
/// Keys for the rest of the position hash: White to move, one pass, two passes, move number.
const EXTRA_KEYS: [u64; 4] = zobrist_keys(0x0060_5EEE);

/// A chain's packed record, kept at its root point, one `u64` so that merging two chains is one
/// addition and clones stay small. Fields, from the low bit:
///
/// * bits 0–8: pseudo-liberties — (stone, empty neighbour) pairs, so a liberty shared by
///   several stones counts several times. A connected chain of `n` stones has at most
///   `4n − 2(n − 1) = 2n + 2` of them and at most `4 × empties ≤ 4(361 − n)`, so at most 482;
/// * bits 9–26: the sum of their liberty ids (id = point − W ≤ 378; 482 × 378 < 2¹⁸);
/// * bits 27–53: the sum of squared ids (482 × 378² < 2²⁷);
/// * bits 54–62: the number of stones (≤ 361).
///
/// Every field stays in range, so adding and subtracting whole records is exact. The chain is
/// in atari (exactly one distinct liberty) iff all its pseudo-liberties are the same point,
/// which by Cauchy–Schwarz is `count × squares == sum²`.
mod chain {
    const COUNT_MASK: u64 = (1 << 9) - 1;
    const SUM_SHIFT: u32 = 9;
    const SUM_MASK: u64 = (1 << 18) - 1;
    const SQUARES_SHIFT: u32 = 27;
    const SQUARES_MASK: u64 = (1 << 27) - 1;
    const STONES_SHIFT: u32 = 54;

    /// A chain of one stone with no liberties yet.
    pub const ONE_STONE: u64 = 1 << STONES_SHIFT;

    /// The record of one pseudo-liberty with the given id.
    #[inline]
    pub fn liberty(id: usize) -> u64 {
        let id = id as u64;
        1 + (id << SUM_SHIFT) + ((id * id) << SQUARES_SHIFT)
    }

    #[inline]
    pub fn liberties(record: u64) -> u64 {
        record & COUNT_MASK
    }

    #[inline]
    pub fn stones(record: u64) -> u64 {
        record >> STONES_SHIFT
    }

    #[inline]
    pub fn in_atari(record: u64) -> bool {
        let count = record & COUNT_MASK;
        let sum = (record >> SUM_SHIFT) & SUM_MASK;
        let squares = (record >> SQUARES_SHIFT) & SQUARES_MASK;
        count * squares == sum * sum
    }
}

#[inline]
fn stone_key(colour: u8, point: usize) -> u64 {
    STONE_KEYS[usize::from(colour) * MAX_POINTS + point]
}

#[inline]
fn bit(bits: &[u64], p: usize) -> bool {
    bits[p / 64] >> (p % 64) & 1 != 0
}

#[inline]
fn set_bit(bits: &mut [u64], p: usize) {
    bits[p / 64] |= 1 << (p % 64);
}

#[inline]
fn clear_bit(bits: &mut Bits, p: usize) {
    bits[p / 64] &= !(1 << (p % 64));
}

/// Position of the `k`-th set bit (from 0) of `words`; `k` must be below their popcount.
///
/// The word is found without branches too (see [`select_in_word`]): the words whose running
/// popcount is at most `k` are the ones before it.
#[inline]
fn select_bit(words: &[u64], k: u32) -> usize {
    let (mut index, mut before, mut total) = (0, 0, 0);
    for &word in words {
        total += word.count_ones();
        let passed = total <= k;
        index += usize::from(passed);
        before = if passed { total } else { before };
    }
    assert!(
        index < words.len(),
        "select_bit: k exceeds the number of set bits"
    );
    index * 64 + select_in_word(words[index], k - before)
}

/// `SELECT_IN_BYTE[byte × 8 + k]`: the position of the `k`-th set bit of `byte` (0 when there
/// is none; never read then).
const SELECT_IN_BYTE: [u8; 256 * 8] = {
    let mut table = [0; 256 * 8];
    let mut byte = 0;
    while byte < 256 {
        let (mut pos, mut k) = (0, 0);
        while pos < 8 {
            if byte >> pos & 1 != 0 {
                table[byte * 8 + k] = pos as u8;
                k += 1;
            }
            pos += 1;
        }
        byte += 1;
    }
    table
};

/// Position of the `k`-th set bit of `word` (`k` below its popcount), without branches: the
/// sampler's `k` is random, so any branch on it would be mispredicted about half the time.
/// Bytewise popcounts are summed into running totals by one multiplication; the bytes whose
/// running total is at most `k` (found by a bytewise subtraction) precede the wanted bit's
/// byte, and a table finds the bit within that byte.
#[inline]
fn select_in_word(word: u64, k: u32) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // Popcount of each byte (each at most 8).
    let mut counts = word - (word >> 1 & 0x5555_5555_5555_5555);
    counts = (counts & 0x3333_3333_3333_3333) + (counts >> 2 & 0x3333_3333_3333_3333);
    counts = (counts + (counts >> 4)) & 0x0F0F_0F0F_0F0F_0F0F;
    // Byte i: the set bits in bytes 0..=i (at most 64, so no byte overflows).
    let running = counts.wrapping_mul(ONES);
    // Byte i's high bit stays set iff k ≥ running total i (both below 128, so no borrow
    // crosses bytes); their number is the index of the byte holding the k-th bit.
    let at_most_k = (((u64::from(k) * ONES) | HIGHS) - running) & HIGHS;
    let byte = ((at_most_k >> 7).wrapping_mul(ONES) >> 56) as usize;
    // Set bits in the bytes below it: running total `byte − 1`, or 0 for byte 0.
    let below = ((running << 8) >> (8 * byte)) as u8;
    let rank = k as usize - usize::from(below);
    let bits = (word >> (8 * byte)) as u8;
    8 * byte + usize::from(SELECT_IN_BYTE[usize::from(bits) * 8 + rank])
}

/// A Go position: the board with its chains, the player to move, consecutive passes, prisoners,
/// and the hashes of every earlier board (for positional superko).
///
/// Everything but the superko history lives in fixed arrays sized for 19×19 (about 5.7 KB), so a
/// clone is one `memcpy` plus one copy of the history (`8 bytes × stones played`).
///
/// Equality compares the board, the player to move, the pass count, the move number, prisoners,
/// the parameters and the history of earlier boards (which decides superko), not the internal
/// chain bookkeeping; [`GameState::position_hash`] covers the same things.
#[derive(Clone, Serialize, Deserialize)]
#[serde(try_from = "GoStateRepr", into = "GoStateRepr")]
pub struct GoState {
    /// `BLACK`, `WHITE`, `EMPTY` or `EDGE` per padded point.
    colour: [u8; MAX_POINTS],
    /// For a stone: the root point of its chain, which holds the chain's record.
    root: [u16; MAX_POINTS],
    /// For a stone: the next stone of its chain (a circular list through the chain).
    next: [u16; MAX_POINTS],
    /// At a chain's root: its packed record (see [`chain`]).
    chain: [u64; MAX_POINTS],
    /// The empty board points, for sampling random moves.
    empty: Bits,
    /// `captured_here[c]`: points where a stone of colour `c` has been captured at some time.
    /// A move can only repeat an earlier board if its own point once held a stone of the
    /// mover's colour that was later captured, so the superko search runs only for these.
    /// Conservative (all set) after deserialization.
    captured_here: [Bits; 2],
    /// Board hash after every stone placed so far, oldest first. Superko makes these distinct.
    history: Vec<u64>,
    /// A Bloom filter of `history`: the two bits of [`filter_bits`] are set for every entry. A
    /// board with either bit clear was never seen, which settles most superko checks without
    /// scanning the history.
    seen_filter: [u64; FILTER_WORDS],
    /// Zobrist hash of the stones on the board.
    board_hash: u64,
    /// An order-sensitive digest of `history`, so that the position hash covers it.
    history_digest: u64,
    move_number: usize,
    max_moves: usize,
    komi: f32,
    /// Stones captured by Black and by White.
    captures: [u32; 2],
    size: u8,
    to_play: u8,
    /// Consecutive passes just played (0, 1 or 2).
    passes: u8,
    /// The number of empty points (the popcount of `empty`), kept so that the sampler need not
    /// count them every ply.
    num_empty: u16,
}

impl GoState {
    /// The empty board with Black to move. Parameters are checked by `Go::new`.
    pub(crate) fn new(size: usize, komi: f32, max_moves: usize) -> GoState {
        debug_assert!((5..=MAX_SIZE).contains(&size));
        let mut state = GoState {
            colour: [EDGE; MAX_POINTS],
            root: [0; MAX_POINTS],
            next: [0; MAX_POINTS],
            chain: [0; MAX_POINTS],
            empty: [0; WORDS],
            captured_here: [[0; WORDS]; 2],
            history: Vec::new(),
            seen_filter: [0; FILTER_WORDS],
            board_hash: 0,
            history_digest: 0,
            move_number: 0,
            max_moves,
            komi,
            captures: [0; 2],
            size: size as u8,
            to_play: BLACK,
            passes: 0,
            num_empty: (size * size) as u16,
        };
        for row in 0..size {
            for col in 0..size {
                let p = state.point(row, col);
                state.colour[p] = EMPTY;
                set_bit(&mut state.empty, p);
            }
        }
        state
    }

    /// Board side length.
    pub fn size(&self) -> usize {
        usize::from(self.size)
    }

    /// Points added to White's area.
    pub fn komi(&self) -> f32 {
        self.komi
    }

    /// The ply cap after which the game ends as a truncation.
    pub fn max_moves(&self) -> usize {
        self.max_moves
    }

    /// The stone at `row` (0 = rank 1) and `col` (0 = column A): `Some(0)` Black, `Some(1)`
    /// White, `None` for an empty point or one off the board.
    pub fn cell(&self, row: usize, col: usize) -> Option<Player> {
        if row >= self.size() || col >= self.size() {
            return None;
        }
        match self.colour[self.point(row, col)] {
            c @ (BLACK | WHITE) => Some(usize::from(c)),
            _ => None,
        }
    }

    /// Stones captured so far by `player` (0 = Black, 1 = White).
    pub fn captures(&self, player: Player) -> u32 {
        self.captures.get(player).copied().unwrap_or(0)
    }

    /// Consecutive passes just played: 0, 1, or 2 (the game is over).
    pub fn passes(&self) -> usize {
        usize::from(self.passes)
    }

    /// Zobrist hash of the stones alone (no side to move, no history): the key positional
    /// superko compares, and a transposition key for callers that ignore superko.
    pub fn board_hash(&self) -> u64 {
        self.board_hash
    }

    /// Tromp-Taylor area of Black and White for the board as it stands: stones, plus empty
    /// regions whose every neighbouring stone is of that colour.
    pub fn area(&self) -> [u32; 2] {
        let mut area = [0u32; 2];
        let mut seen: Bits = [0; WORDS];
        let mut stack = [0u16; MAX_POINTS];
        let w = self.width();
        for row in 0..self.size() {
            for col in 0..self.size() {
                let p = self.point(row, col);
                match self.colour[p] {
                    c @ (BLACK | WHITE) => area[usize::from(c)] += 1,
                    _ if bit(&seen, p) => {}
                    _ => {
                        // Flood the empty region, noting which colours it touches.
                        let (mut top, mut region, mut reaches) = (1, 0, 0u8);
                        stack[0] = p as u16;
                        set_bit(&mut seen, p);
                        while top > 0 {
                            top -= 1;
                            let q = usize::from(stack[top]);
                            region += 1;
                            for n in [q - 1, q + 1, q - w, q + w] {
                                match self.colour[n] {
                                    EMPTY if !bit(&seen, n) => {
                                        set_bit(&mut seen, n);
                                        stack[top] = n as u16;
                                        top += 1;
                                    }
                                    c @ (BLACK | WHITE) => reaches |= 1 << c,
                                    _ => {}
                                }
                            }
                        }
                        match reaches {
                            0b01 => area[0] += region,
                            0b10 => area[1] += region,
                            _ => {}
                        }
                    }
                }
            }
        }
        area
    }

    /// Black's area minus White's area minus komi (Tromp-Taylor), for the board as it stands:
    /// positive means Black is ahead.
    pub fn area_score(&self) -> f32 {
        let [black, white] = self.area();
        black as f32 - white as f32 - self.komi
    }

    // ---- Geometry -------------------------------------------------------------------------

    #[inline]
    fn width(&self) -> usize {
        usize::from(self.size) + 1
    }

    #[inline]
    fn num_points(&self) -> usize {
        (usize::from(self.size) + 2) * self.width()
    }

    #[inline]
    fn words(&self) -> usize {
        self.num_points().div_ceil(64)
    }

    #[inline]
    fn point(&self, row: usize, col: usize) -> usize {
        (row + 1) * self.width() + col
    }

    /// `row × N + col` → `(row + 1) × W + col`, which is `action + row + W`.
    #[inline]
    fn action_point(&self, action: Action) -> usize {
        action + divide(action, usize::from(self.size)) + self.width()
    }

    #[inline]
    fn point_action(&self, p: usize) -> Action {
        let q = p - self.width();
        q - divide(q, self.width())
    }

    #[inline]
    fn pass_action(&self) -> Action {
        usize::from(self.size) * usize::from(self.size)
    }

    #[inline]
    fn neighbours(&self, p: usize) -> [usize; 4] {
        let w = self.width();
        [p - 1, p + 1, p - w, p + w]
    }

    #[inline]
    fn chain_of(&self, stone: usize) -> u64 {
        self.chain[usize::from(self.root[stone])]
    }

    // ---- Rules ----------------------------------------------------------------------------

    /// Whether a stone of colour `c` placed on `p` would have a liberty after captures thanks
    /// to the chain on its neighbour `n`: an own chain with another liberty, or an opposing
    /// chain that the stone captures (its last liberty is `p`). False for an empty or
    /// off-board `n`, whose `root` holds a stale (but in-range) point: the chain record is read
    /// regardless and the result masked, so that there is no branch on the colour.
    #[inline]
    fn chain_gives_liberty(&self, n: usize, c: u8) -> bool {
        let colour = self.colour[n];
        let atari = chain::in_atari(self.chain_of(n));
        (colour <= WHITE) & ((colour == c) != atari)
    }

    /// Whether `c` may place a stone on the empty point `p`: not suicide, and the board after
    /// captures is not one seen before (positional superko).
    ///
    /// Inlined into the move sampler. The suicide test is computed without branches: neighbour
    /// colours are as good as random in playouts, so a `match` on them, or even a shortcut for
    /// an empty neighbour (taken or not depending on how crowded the board is), was
    /// mispredicted often, and all four chain tests cost less than that. Only a point where a
    /// stone of colour `c` was captured before can repeat a board (see `captured_here`), so most
    /// calls stop there.
    #[inline]
    fn placement_allowed(&self, p: usize, c: u8) -> bool {
        let [a, b, d, e] = self.neighbours(p);
        let next_to_empty = (self.colour[a] == EMPTY)
            | (self.colour[b] == EMPTY)
            | (self.colour[d] == EMPTY)
            | (self.colour[e] == EMPTY);
        let breathes = next_to_empty
            | self.chain_gives_liberty(a, c)
            | self.chain_gives_liberty(b, c)
            | self.chain_gives_liberty(d, c)
            | self.chain_gives_liberty(e, c);
        let suspect = bit(&self.captured_here[usize::from(c)], p);
        if breathes & suspect {
            !self.repeats_board(p, c)
        } else {
            breathes
        }
    }

    /// Whether a stone of colour `c` on `p` (a legal placement but for superko) would recreate
    /// an earlier board: hashes the board after its captures and looks it up in the history.
    fn repeats_board(&self, p: usize, c: u8) -> bool {
        // The opposing chains in atari next to `p` are the ones the stone captures.
        let mut captured = [0usize; 4];
        let mut num_captured = 0;
        for n in self.neighbours(p) {
            if (self.colour[n] == (c ^ 1)) & chain::in_atari(self.chain_of(n)) {
                let r = usize::from(self.root[n]);
                if !captured[..num_captured].contains(&r) {
                    captured[num_captured] = r;
                    num_captured += 1;
                }
            }
        }
        let mut hash = self.board_hash ^ stone_key(c, p);
        for &r in &captured[..num_captured] {
            let mut s = r;
            loop {
                hash ^= stone_key(c ^ 1, s);
                s = usize::from(self.next[s]);
                if s == r {
                    break;
                }
            }
        }
        self.seen_board(hash)
    }

    /// Whether `hash` is among the earlier boards. The Bloom filter answers "no" for most
    /// boards; otherwise the history is scanned, each block of 8 compared without branches so
    /// that it vectorises (the history is unordered, so the scan is linear).
    fn seen_board(&self, hash: u64) -> bool {
        let [first, second] = filter_bits(hash);
        if !(bit(&self.seen_filter, first) & bit(&self.seen_filter, second)) {
            return false;
        }
        let blocks = self.history.chunks_exact(8);
        let rest = blocks.remainder();
        blocks
            .into_iter()
            .any(|block| block.iter().fold(false, |acc, &h| acc | (h == hash)))
            || rest.contains(&hash)
    }

    /// Places a stone of the mover's colour on `p`, merges chains and removes captures. Does
    /// not touch the move counters or history.
    ///
    /// Whether the new stone touches a chain of its own colour is as good as random in
    /// playouts, so a branch on it was the costliest mispredicted branch of a ply. Instead, a
    /// first pass over the neighbours, with no branch at all, takes `p`'s pseudo-liberty from
    /// every adjacent chain and picks an adjacent own chain, if any, to *adopt* the stone:
    /// `p` is linked into that chain's list and its record added to the chain's, which with no
    /// own neighbour (the adopter is then `p` itself) degenerates into a one-stone chain. A
    /// branch is left only for the rarer events: a second distinct own chain to merge, or an
    /// opposing chain to capture.
    ///
    /// An opposing chain that has no pseudo-liberty left after the first pass had every one of
    /// them at `p` (while one remains, it has a liberty), so it is captured exactly then. The
    /// captured points read as empty afterwards, and add nothing twice, because the new stone's
    /// own liberties were counted before and `remove_chain` credits the ones it frees. The
    /// order of merges and captures does not matter: records are sums, so liberties credited
    /// to a chain about to be merged are carried over by the merge.
    fn place_stone(&mut self, p: usize) {
        let c = self.to_play;
        let lost = chain::liberty(p - self.width());
        let record = self.new_chain(p, c);
        // `p` was empty, so no stone's root is `p`, and the subtractions below leave this
        // slot alone; it ends up as `record` exactly when `p` is its own root.
        self.chain[p] = 0;
        let mut adopter = p;
        for n in self.neighbours(p) {
            // Scaled by 0 or 1 rather than branched on (a non-stone's `root` is stale but in
            // range, and is not used).
            let colour = self.colour[n];
            let theirs = usize::from(self.root[n]);
            self.chain[theirs] -= u64::from(colour <= WHITE) * lost;
            adopter = if colour == c { theirs } else { adopter };
        }
        // Link `p` in after `adopter`; when that is `p` itself, `next[p]` stays `p`.
        self.root[p] = adopter as u16;
        self.next[p] = self.next[adopter];
        self.next[adopter] = p as u16;
        self.chain[adopter] += record;
        for n in self.neighbours(p) {
            // Both conditions are evaluated in full (`&`, not `&&`), so that one branch,
            // rarely taken, covers both.
            let colour = self.colour[n];
            let theirs = usize::from(self.root[n]);
            let mine = usize::from(self.root[p]);
            let merges = (colour == c) & (mine != theirs);
            let captures = (colour == c ^ 1) & (chain::liberties(self.chain[theirs]) == 0);
            if merges | captures {
                if merges {
                    self.merge(mine, theirs);
                } else {
                    self.remove_chain(theirs);
                }
            }
        }
    }

    /// Puts a one-stone chain on `p` and updates the pseudo-liberties around it, without
    /// merging or capturing.
    fn put_stone(&mut self, p: usize, c: u8) {
        let lost = chain::liberty(p - self.width());
        self.chain[p] = self.new_chain(p, c);
        for n in self.neighbours(p) {
            if self.colour[n] <= WHITE {
                self.chain[usize::from(self.root[n])] -= lost;
            }
        }
    }

    /// Makes `p` a stone of colour `c` in a chain of its own and returns that chain's record,
    /// with the empty neighbours as its liberties, for the caller to store (at `p`, or added
    /// to a chain that adopts the stone); the neighbouring chains are left as they were.
    #[inline]
    fn new_chain(&mut self, p: usize, c: u8) -> u64 {
        let w = self.width();
        self.colour[p] = c;
        clear_bit(&mut self.empty, p);
        self.num_empty -= 1;
        self.board_hash ^= stone_key(c, p);
        self.root[p] = p as u16;
        self.next[p] = p as u16;
        let mut record = chain::ONE_STONE;
        for n in self.neighbours(p) {
            // Branch-free: an off-board point of the bottom frame row lies below `w`, hence
            // the saturating id, and only empty points count.
            record += u64::from(self.colour[n] == EMPTY) * chain::liberty(n.saturating_sub(w));
        }
        record
    }

    /// Joins two different chains of one colour: the smaller one's stones are relabelled.
    fn merge(&mut self, a: usize, b: usize) {
        let (big, small) = if chain::stones(self.chain[a]) >= chain::stones(self.chain[b]) {
            (a, b)
        } else {
            (b, a)
        };
        let mut s = small;
        loop {
            self.root[s] = big as u16;
            s = usize::from(self.next[s]);
            if s == small {
                break;
            }
        }
        self.next.swap(big, small);
        self.chain[big] += self.chain[small];
    }

    /// Removes the chain rooted at `r` (which has no liberties) and gives its points back as
    /// liberties to the neighbouring chains, which are all of the other colour.
    fn remove_chain(&mut self, r: usize) {
        let w = self.width();
        let colour = self.colour[r];
        let captor = colour ^ 1;
        let mut s = r;
        let mut count = 0;
        loop {
            self.colour[s] = EMPTY;
            set_bit(&mut self.empty, s);
            set_bit(&mut self.captured_here[usize::from(colour)], s);
            self.board_hash ^= stone_key(colour, s);
            count += 1;
            let gained = chain::liberty(s - w);
            for n in self.neighbours(s) {
                // Branch-free, as in `place_stone`: non-captor points gain nothing.
                self.chain[usize::from(self.root[n])] +=
                    u64::from(self.colour[n] == captor) * gained;
            }
            s = usize::from(self.next[s]);
            if s == r {
                break;
            }
        }
        self.captures[usize::from(captor)] += count;
        self.num_empty += count as u16;
    }

    fn push_history(&mut self) {
        if self.history.len() == self.history.capacity() {
            // Each ply adds at most one entry, so room for the plies left to the move cap is
            // all this state can ever need: a playout from a fresh clone (whose capacity is its
            // length) allocates once instead of regrowing and copying the history repeatedly.
            let plies_left = self.max_moves.saturating_sub(self.move_number);
            self.history.reserve_exact(plies_left.max(1));
        }
        filter_insert(&mut self.seen_filter, self.board_hash);
        self.history.push(self.board_hash);
        self.history_digest = splitmix64(self.history_digest ^ self.board_hash);
    }

    // ---- Serialization support (crate::repr) -----------------------------------------------

    /// Rows of the board, rank `size` first: `X` Black, `O` White, `.` empty.
    pub(crate) fn board_rows(&self) -> Vec<String> {
        (0..self.size())
            .rev()
            .map(|row| {
                (0..self.size())
                    .map(|col| match self.cell(row, col) {
                        Some(0) => 'X',
                        Some(_) => 'O',
                        None => '.',
                    })
                    .collect()
            })
            .collect()
    }

    pub(crate) fn history(&self) -> &[u64] {
        &self.history
    }

    pub(crate) fn raw_counters(&self) -> (usize, usize, usize, [u32; 2]) {
        (
            usize::from(self.to_play),
            self.move_number,
            usize::from(self.passes),
            self.captures,
        )
    }

    /// Builds a position from parts already checked for range by `crate::repr`; checks that
    /// every chain has a liberty and that the history ends with this board.
    ///
    /// `stones` holds `(row, col, colour)`.
    pub(crate) fn from_parts(
        empty_board: GoState,
        stones: &[(usize, usize, u8)],
        to_play: u8,
        move_number: usize,
        passes: u8,
        captures: [u32; 2],
        history: Vec<u64>,
    ) -> Result<GoState, String> {
        let mut state = empty_board;
        for &(row, col, colour) in stones {
            let p = state.point(row, col);
            state.put_stone(p, colour);
            for n in state.neighbours(p) {
                if state.colour[n] == colour {
                    let (mine, theirs) = (usize::from(state.root[p]), usize::from(state.root[n]));
                    if mine != theirs {
                        state.merge(mine, theirs);
                    }
                }
            }
        }
        for &(row, col, _) in stones {
            if chain::liberties(state.chain_of(state.point(row, col))) == 0 {
                let name = char::from(COLUMNS[col]).to_ascii_uppercase();
                return Err(format!("the chain at {name}{} has no liberties", row + 1));
            }
        }
        match history.last() {
            Some(&last) if last != state.board_hash => {
                return Err("the last history entry is not the hash of this board".into())
            }
            None if state.board_hash != 0 => {
                return Err("stones on the board but no history of moves".into())
            }
            _ => {}
        }
        // Any board point may once have held a captured stone: keep the superko search on.
        for row in 0..state.size() {
            for col in 0..state.size() {
                let p = state.point(row, col);
                set_bit(&mut state.captured_here[0], p);
                set_bit(&mut state.captured_here[1], p);
            }
        }
        for &h in &history {
            filter_insert(&mut state.seen_filter, h);
        }
        state.history_digest = history.iter().fold(0, |digest, &h| splitmix64(digest ^ h));
        state.history = history;
        state.to_play = to_play;
        state.move_number = move_number;
        state.passes = passes;
        state.captures = captures;
        Ok(state)
    }
}

impl GameState for GoState {
    fn to_play(&self) -> Player {
        usize::from(self.to_play)
    }

    fn is_terminal(&self) -> bool {
        self.passes >= 2 || self.move_number >= self.max_moves
    }

    fn is_truncated(&self) -> bool {
        self.passes < 2 && self.move_number >= self.max_moves
    }

    fn legal_actions(&self, out: &mut Vec<Action>) {
        out.clear();
        if self.is_terminal() {
            return;
        }
        for row in 0..self.size() {
            for col in 0..self.size() {
                let p = self.point(row, col);
                if self.colour[p] == EMPTY && self.placement_allowed(p, self.to_play) {
                    out.push(row * self.size() + col);
                }
            }
        }
        out.push(self.pass_action());
    }

    fn is_legal(&self, action: Action) -> bool {
        let pass = self.pass_action();
        if self.is_terminal() || action > pass {
            return false;
        }
        if action == pass {
            return true;
        }
        let p = self.action_point(action);
        self.colour[p] == EMPTY && self.placement_allowed(p, self.to_play)
    }

    /// # Panics
    /// If `action` is out of range; an occupied point corrupts the state.
    fn apply_unchecked(&mut self, action: Action) {
        if action == self.pass_action() {
            self.passes += 1;
        } else {
            assert!(
                action < self.pass_action(),
                "action {action} is out of range"
            );
            let p = self.action_point(action);
            debug_assert_eq!(self.colour[p], EMPTY, "action {action} is occupied");
            self.place_stone(p);
            self.push_history();
            self.passes = 0;
        }
        self.move_number += 1;
        self.to_play ^= 1;
    }

    fn player_return(&self, player: Player) -> f32 {
        if !self.is_terminal() || player > 1 {
            return 0.0;
        }
        let score = self.area_score();
        let black = if score > 0.0 {
            1.0
        } else if score < 0.0 {
            -1.0
        } else {
            0.0
        };
        if player == 0 {
            black
        } else {
            -black
        }
    }

    fn position_hash(&self) -> u64 {
        let mut hash = self.board_hash;
        if self.to_play == WHITE {
            hash ^= EXTRA_KEYS[0];
        }
        if self.passes > 0 {
            hash ^= EXTRA_KEYS[usize::from(self.passes.min(2))];
        }
        hash ^ splitmix64(
            self.history_digest ^ EXTRA_KEYS[3].wrapping_mul(self.move_number as u64 + 1),
        )
    }

    /// Planes `[4, N, N]`, row 0 = rank 1: mover's stones; opponent's stones; empty points where
    /// the mover may not place a stone (suicide or superko — judged by the placement rules
    /// even once the game is over); all ones when the mover is Black, else zeros.
    fn write_observation(&self, out: &mut [f32]) {
        let n = self.size();
        let plane = n * n;
        assert_eq!(out.len(), 4 * plane, "observation buffer size");
        let mover = self.to_play;
        let black = if mover == BLACK { 1.0 } else { 0.0 };
        for row in 0..n {
            for col in 0..n {
                let i = row * n + col;
                let p = self.point(row, col);
                let colour = self.colour[p];
                out[i] = f32::from(u8::from(colour == mover));
                out[plane + i] = f32::from(u8::from(colour == (mover ^ 1)));
                out[2 * plane + i] = f32::from(u8::from(
                    colour == EMPTY && !self.placement_allowed(p, mover),
                ));
                out[3 * plane + i] = black;
            }
        }
    }

    fn move_number(&self) -> usize {
        self.move_number
    }

    /// Uniform over the legal actions without listing them: draws candidates (empty points and
    /// pass) uniformly without replacement and returns the first legal one, which is the first
    /// legal action of a uniformly random ordering. Pass is always legal, so this ends.
    fn random_legal_action<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        _scratch: &mut Vec<Action>,
    ) -> Option<Action> {
        if self.is_terminal() {
            return None;
        }
        let words = self.words();
        let mut count = u32::from(self.num_empty);
        // The first draw, which usually succeeds, reads the board's own bitboard; the copy to
        // strike rejected points from is made only when one is rejected.
        let mut candidates = None;
        loop {
            let k = rng.random_range(0..=count);
            if k == count {
                return Some(self.pass_action());
            }
            let pool = candidates.as_ref().unwrap_or(&self.empty);
            let p = select_bit(&pool[..words], k);
            if self.placement_allowed(p, self.to_play) {
                return Some(self.point_action(p));
            }
            clear_bit(candidates.get_or_insert(self.empty), p);
            count -= 1;
        }
    }
}

impl PartialEq for GoState {
    fn eq(&self, other: &Self) -> bool {
        let points = self.num_points();
        self.size == other.size
            && self.komi == other.komi
            && self.max_moves == other.max_moves
            && self.move_number == other.move_number
            && self.to_play == other.to_play
            && self.passes == other.passes
            && self.captures == other.captures
            && self.board_hash == other.board_hash
            && self.colour[..points] == other.colour[..points]
            && self.history == other.history
    }
}

/// Komi is always finite (checked by `Go::new` and deserialization), so equality is reflexive.
impl Eq for GoState {}

impl fmt::Debug for GoState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GoState")
            .field("board", &self.board_rows())
            .field("to_play", &self.to_play)
            .field("move_number", &self.move_number)
            .field("passes", &self.passes)
            .field("captures", &self.captures)
            .field("komi", &self.komi)
            .field("max_moves", &self.max_moves)
            .field("history", &self.history)
            .finish()
    }
}

/// A GTP-style board: rank `N` at the top, columns lettered without `I`, `X` Black, `O` White,
/// then whose turn it is (or the result), prisoners and komi.
impl fmt::Display for GoState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.size();
        let letters: String = COLUMNS[..n]
            .iter()
            .map(|&c| format!(" {}", char::from(c).to_ascii_uppercase()))
            .collect();
        writeln!(f, "  {letters}")?;
        for (i, row) in self.board_rows().iter().enumerate() {
            let rank = n - i;
            let cells: String = row.chars().map(|c| format!(" {c}")).collect();
            writeln!(f, "{rank:>2}{cells}  {rank}")?;
        }
        writeln!(f, "  {letters}")?;
        if self.is_terminal() {
            let score = self.area_score();
            let how = if self.is_truncated() {
                "move limit"
            } else {
                "two passes"
            };
            let result = if score > 0.0 {
                format!("Black wins by {score}")
            } else if score < 0.0 {
                format!("White wins by {}", -score)
            } else {
                "draw".to_string()
            };
            write!(
                f,
                "game over after {} moves ({how}): {result}",
                self.move_number
            )?;
        } else {
            let who = if self.to_play == BLACK {
                "Black (X)"
            } else {
                "White (O)"
            };
            write!(f, "{who} to play, move {}", self.move_number + 1)?;
        }
        write!(
            f,
            "; captures: Black {}, White {}; komi {}",
            self.captures[0], self.captures[1], self.komi
        )
    }
}

#[cfg(test)]
mod tests {
    use ludus_core::{seeded_rng, Game};

    use super::*;
    use crate::{Go, GoConfig, MIN_SIZE};

    /// Recomputes every chain from scratch and compares it with the incremental bookkeeping.
    fn check_chains(state: &GoState) {
        let w = state.width();
        let mut expected_empty: Bits = [0; WORDS];
        for row in 0..state.size() {
            for col in 0..state.size() {
                let p = state.point(row, col);
                if state.colour[p] == EMPTY {
                    set_bit(&mut expected_empty, p);
                    continue;
                }
                // Flood the chain through same-coloured neighbours.
                let mut members = vec![p];
                let mut i = 0;
                while i < members.len() {
                    for n in state.neighbours(members[i]) {
                        if state.colour[n] == state.colour[p] && !members.contains(&n) {
                            members.push(n);
                        }
                    }
                    i += 1;
                }
                let root = usize::from(state.root[p]);
                assert!(members.contains(&root), "root outside its chain");
                assert!(members.iter().all(|&s| usize::from(state.root[s]) == root));
                // The circular list visits exactly the members.
                let mut listed = vec![root];
                let mut s = usize::from(state.next[root]);
                while s != root {
                    listed.push(s);
                    s = usize::from(state.next[s]);
                    assert!(listed.len() <= members.len(), "list longer than the chain");
                }
                listed.sort_unstable();
                members.sort_unstable();
                assert_eq!(listed, members);
                let mut record = chain::ONE_STONE * members.len() as u64;
                for &s in &members {
                    for n in state.neighbours(s) {
                        if state.colour[n] == EMPTY {
                            record += chain::liberty(n - w);
                        }
                    }
                }
                assert_eq!(state.chain[root], record, "chain record at {p}");
                assert!(chain::liberties(record) > 0);
            }
        }
        assert_eq!(state.empty, expected_empty);
        let empties: u32 = expected_empty.iter().map(|w| w.count_ones()).sum();
        assert_eq!(u32::from(state.num_empty), empties);
        let mut hash = 0;
        for p in 0..state.num_points() {
            if state.colour[p] <= WHITE {
                hash ^= stone_key(state.colour[p], p);
            }
        }
        assert_eq!(state.board_hash, hash);
    }

    #[test]
    fn incremental_chains_match_a_recount() {
        for (size, games) in [(5, 40), (9, 10), (19, 2)] {
            let go = Go::new(GoConfig {
                size,
                ..GoConfig::default()
            })
            .unwrap();
            for seed in 0..games {
                let mut rng = seeded_rng(seed);
                let mut state = go.initial_state();
                while let Some(action) = state.random_legal_action(&mut rng, &mut Vec::new()) {
                    state.apply_unchecked(action);
                    check_chains(&state);
                }
            }
        }
    }

    #[test]
    fn one_stone_merges_two_chains_and_captures() {
        // c3 joins the chains b2–b3 and d2–d3 and captures the white stone on c2 at once: the
        // adoption of the stone by one chain, the merge of the other and the capture must
        // leave the bookkeeping exact.
        let go = Go::new(GoConfig {
            size: 5,
            ..GoConfig::default()
        })
        .unwrap();
        let moves = ["b3", "c2", "d3", "a5", "b2", "e5", "d2", "a4", "c1", "e4"];
        let before = go.play_moves(&moves).unwrap();
        check_chains(&before);
        let after = go.play_moves(&[&moves[..], &["c3"]].concat()).unwrap();
        check_chains(&after);
        assert_eq!(after.cell(1, 2), None, "c2 is captured");
        assert_eq!(after.captures(0), 1);
        let c3 = after.point(2, 2);
        let stones = chain::stones(after.chain_of(c3));
        assert_eq!(stones, 5, "b2, b3, c3, d2 and d3 form one chain");
        // c1 stays on its own, now with c2 as a liberty again.
        assert_eq!(chain::stones(after.chain_of(after.point(0, 2))), 1);
    }

    #[test]
    fn state_stays_small() {
        // Clones copy the whole struct; keep it within a few kilobytes (plus the history).
        assert!(
            std::mem::size_of::<GoState>() <= 5_800,
            "{}",
            std::mem::size_of::<GoState>()
        );
    }

    #[test]
    fn atari_test_is_exact() {
        let with = |ids: &[usize]| ids.iter().map(|&id| chain::liberty(id)).sum::<u64>();
        assert!(chain::in_atari(with(&[7])));
        assert!(chain::in_atari(with(&[7, 7, 7])));
        assert!(chain::in_atari(with(&[0, 0])));
        assert!(!chain::in_atari(with(&[0, 5])));
        assert!(!chain::in_atari(with(&[3, 5, 4])));
        assert!(!chain::in_atari(with(&[378, 377, 378, 378])));
        // The largest sums still fit their fields.
        let big = with(&[378; 482]) + chain::ONE_STONE * 361;
        assert_eq!(chain::liberties(big), 482);
        assert_eq!(chain::stones(big), 361);
        assert!(chain::in_atari(big));
    }

    #[test]
    fn select_in_word_matches_a_scan() {
        let mut rng = seeded_rng(5);
        for round in 0..2_000 {
            let word: u64 = match round {
                0 => u64::MAX,
                1 => 1 << 63,
                2 => 1,
                _ => rng.random::<u64>() & rng.random::<u64>() | rng.random::<u64>() >> 40,
            };
            let positions: Vec<usize> = (0..64).filter(|&b| word >> b & 1 != 0).collect();
            for (k, &pos) in positions.iter().enumerate() {
                assert_eq!(select_in_word(word, k as u32), pos, "{word:#x} k={k}");
            }
        }
    }

    #[test]
    fn division_by_reciprocal_is_exact() {
        for d in MIN_SIZE..=MAX_SIZE + 1 {
            for q in 0..MAX_POINTS {
                assert_eq!(divide(q, d), q / d, "{q} / {d}");
            }
        }
    }

    #[test]
    fn select_bit_finds_each_set_bit() {
        let words = [0b1011_0000u64, 0, 1 << 63 | 1];
        let found: Vec<usize> = (0..5).map(|k| select_bit(&words, k)).collect();
        assert_eq!(found, vec![4, 5, 7, 128, 191]);
    }

    #[test]
    fn random_moves_are_uniform_over_legal_ones() {
        // 5×5 where a1 and e5 are suicide for Black: illegal empty points must never be drawn
        // and the legal actions must come up equally often.
        let go = Go::new(GoConfig {
            size: 5,
            ..GoConfig::default()
        })
        .unwrap();
        let state = go
            .play_moves(&["c3", "a2", "c2", "b1", "d3", "e4", "d2", "d5"])
            .unwrap();
        let mut legal = Vec::new();
        state.legal_actions(&mut legal);
        assert!(
            !legal.contains(&0) && !legal.contains(&24),
            "a1 and e5 are suicide"
        );
        let mut counts = vec![0u32; go.num_actions()];
        let mut rng = seeded_rng(1);
        let draws = 200_000;
        for _ in 0..draws {
            counts[state
                .random_legal_action(&mut rng, &mut Vec::new())
                .unwrap()] += 1;
        }
        let expected = f64::from(draws) / legal.len() as f64;
        for (a, &c) in counts.iter().enumerate() {
            if legal.contains(&a) {
                // Five standard deviations of a binomial count.
                let sd = (expected * (1.0 - 1.0 / legal.len() as f64)).sqrt();
                assert!(
                    (f64::from(c) - expected).abs() < 5.0 * sd,
                    "action {a}: {c} vs {expected}"
                );
            } else {
                assert_eq!(c, 0, "illegal action {a} drawn");
            }
        }
    }

    #[test]
    fn a_deserialized_state_plays_on_identically() {
        let go = Go::default();
        let mut rng = seeded_rng(3);
        let mut state = go.initial_state();
        for _ in 0..60 {
            let a = state
                .random_legal_action(&mut rng, &mut Vec::new())
                .unwrap();
            state.apply_unchecked(a);
        }
        let back: GoState = serde_json::from_str(&serde_json::to_string(&state).unwrap()).unwrap();
        assert_eq!(back, state);
        let (a, _) = ludus_core::random_playout(&state, &mut seeded_rng(9), &mut Vec::new());
        let (b, _) = ludus_core::random_playout(&back, &mut seeded_rng(9), &mut Vec::new());
        assert_eq!(a, b);
        check_chains(&back);
    }
}
