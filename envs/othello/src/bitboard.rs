//! Move generation and flipping on raw bitboards.
//!
//! A bitboard is a `u64` with bit `row * 8 + col` set for each disc (row 0 is rank 1, column 0
//! is file a). Shifting a bitboard moves every disc one step at once: `<< 1` is one file to the
//! right (towards h), `<< 8` one rank down (towards rank 8), `<< 9` and `<< 7` the two downward
//! diagonals, and `>>` the opposite directions.
//!
//! **Move generation** floods, for all the mover's discs at once, through runs of opponent
//! discs in each of the eight directions, and takes the empty squares just past the runs. The
//! flood doubles its reach instead of stepping one square at a time (Kogge–Stone style): one
//! step reaches distance 1, a second distance 2, and then two steps through "pairs of opponent
//! discs" reach 4 and 6, the longest possible run. That is four dependent steps per direction
//! instead of six, with the two opposite directions of a line sharing the pair mask.
//!
//! Horizontal and diagonal shifts wrap from one row's h-file to the next row's a-file. That
//! never matters here because a sideways run only passes through opponent discs *on files
//! b–g* (a flippable run can never include an edge file in a sideways direction), so a run
//! cannot cross an edge and the step past its end stays in the same row. The vertical
//! directions lose bits off the ends of the `u64` and need no mask.
//!
//! **Flipping** a single placement needs no flood: a precomputed ray from the square in each
//! direction, minus the opponent's discs, leaves the squares that stop a run; the nearest of
//! them (the lowest or highest set bit, by direction) closes the run if it holds a mover's
//! disc, and then every ray square before it flips. That is a few independent bit operations
//! per direction, with no loop.
//!
//! These are public so that the solver and evaluators can search on bare bitboards without
//! building [`crate::OthelloState`] values.

/// Every square except files a and h: the squares a sideways run may pass through.
const INNER_FILES: u64 = 0x7E7E_7E7E_7E7E_7E7E;

/// The placements along one line (`d` = 1 sideways, 8 vertical, 7 and 9 diagonal), in both of
/// its directions: empty-or-not squares just past a run of `pro` discs that starts next to a
/// `mover` disc (the caller masks out occupied squares).
#[inline(always)]
const fn line_moves(mover: u64, pro: u64, d: u32) -> u64 {
    // Runs reaching distance 1, then 1–2, from the mover's discs, towards higher bits (`up`) and
    // lower bits (`down`).
    let mut up = pro & (mover << d);
    let mut down = pro & (mover >> d);
    up |= pro & (up << d);
    down |= pro & (down >> d);
    // Squares whose neighbour one step back is also in `pro`: extending through them moves
    // two steps at once, reaching 1–4 and then 1–6.
    let pairs_up = pro & (pro << d);
    let pairs_down = pairs_up >> d;
    up |= pairs_up & (up << (2 * d));
    down |= pairs_down & (down >> (2 * d));
    up |= pairs_up & (up << (2 * d));
    down |= pairs_down & (down >> (2 * d));
    (up << d) | (down >> d)
}

/// The empty squares where the mover (discs `mover`) may place: those just past a run of
/// `opponent` discs, in one direction, that starts next to one of the mover's discs.
#[inline]
pub const fn legal_moves(mover: u64, opponent: u64) -> u64 {
    let side = opponent & INNER_FILES;
    let found = line_moves(mover, side, 1)
        | line_moves(mover, opponent, 8)
        | line_moves(mover, side, 7)
        | line_moves(mover, side, 9);
    found & !(mover | opponent)
}

/// `RAYS[dir][square]`: the squares from `square` (exclusive) to the board edge in direction
/// `dir`. Directions 0–3 go towards higher bit indices (E, SW, S, SE), 4–7 towards lower (W,
/// NE, N, NW), so that the nearest square of a ray is its lowest or highest bit respectively.
static RAYS: [[u64; 64]; 8] = rays();

const fn rays() -> [[u64; 64]; 8] {
    const STEPS: [(i32, i32); 8] = [
        (0, 1),
        (1, -1),
        (1, 0),
        (1, 1),
        (0, -1),
        (-1, 1),
        (-1, 0),
        (-1, -1),
    ];
    let mut table = [[0u64; 64]; 8];
    let mut dir = 0;
    while dir < 8 {
        let (dr, dc) = STEPS[dir];
        let mut square = 0;
        while square < 64 {
            let (mut row, mut col) = (square as i32 / 8 + dr, square as i32 % 8 + dc);
            while row >= 0 && row < 8 && col >= 0 && col < 8 {
                table[dir][square] |= 1 << (row * 8 + col);
                row += dr;
                col += dc;
            }
            square += 1;
        }
        dir += 1;
    }
    table
}

/// The discs flipped along a ray going towards higher bits: those before the first square that
/// is not the opponent's, provided that square is the mover's.
#[inline(always)]
const fn flips_up(ray: u64, mover: u64, opponent: u64) -> u64 {
    let stops = ray & !opponent;
    let first = stops & stops.wrapping_neg();
    let closed = ((first & mover) != 0) as u64;
    ray & first.wrapping_sub(1) & closed.wrapping_neg()
}

/// As [`flips_up`] for a ray going towards lower bits, whose first stop is its highest bit.
#[inline(always)]
const fn flips_down(ray: u64, mover: u64, opponent: u64) -> u64 {
    let stops = ray & !opponent;
    let first = match (1u64 << 63).checked_shr(stops.leading_zeros()) {
        Some(bit) => bit,
        None => 0,
    };
    let closed = ((first & mover) != 0) as u64;
    ray & !(first | first.wrapping_sub(1)) & closed.wrapping_neg()
}

/// The opponent discs that a disc placed on `square` (0–63) would flip. Empty when the move is
/// not legal (for an empty square), so `flips(..) != 0` is a legality test.
///
/// The result is meaningless when `square` is occupied; callers check emptiness first.
#[inline]
pub fn flips(mover: u64, opponent: u64, square: usize) -> u64 {
    let square = square & 63;
    flips_up(RAYS[0][square], mover, opponent)
        | flips_up(RAYS[1][square], mover, opponent)
        | flips_up(RAYS[2][square], mover, opponent)
        | flips_up(RAYS[3][square], mover, opponent)
        | flips_down(RAYS[4][square], mover, opponent)
        | flips_down(RAYS[5][square], mover, opponent)
        | flips_down(RAYS[6][square], mover, opponent)
        | flips_down(RAYS[7][square], mover, opponent)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A slow reference: walk each of the eight rays square by square with coordinates.
    fn reference_flips(mover: u64, opponent: u64, square: usize) -> u64 {
        let (row, col) = ((square / 8) as i32, (square % 8) as i32);
        let mut all = 0;
        for (dr, dc) in [
            (-1, -1),
            (-1, 0),
            (-1, 1),
            (0, -1),
            (0, 1),
            (1, -1),
            (1, 0),
            (1, 1),
        ] {
            let (mut r, mut c, mut run) = (row + dr, col + dc, 0u64);
            while (0..8).contains(&r) && (0..8).contains(&c) {
                let bit = 1u64 << (r * 8 + c);
                if opponent & bit != 0 {
                    run |= bit;
                } else {
                    if mover & bit != 0 {
                        all |= run;
                    }
                    break;
                }
                r += dr;
                c += dc;
            }
        }
        all
    }

    fn reference_moves(mover: u64, opponent: u64) -> u64 {
        (0..64)
            .filter(|&sq| (mover | opponent) >> sq & 1 == 0)
            .filter(|&sq| reference_flips(mover, opponent, sq) != 0)
            .fold(0, |acc, sq| acc | 1 << sq)
    }

    #[test]
    fn agrees_with_the_ray_walking_reference_on_random_boards() {
        use rand::Rng;
        let mut rng = ludus_core::seeded_rng(11);
        for i in 0..20_000 {
            // Vary the density so that long runs and nearly full boards both occur.
            let a: u64 = rng.random();
            let b: u64 = rng.random();
            let c: u64 = rng.random();
            let occupied = if i % 2 == 0 { a | b } else { a | b | c };
            let mover = occupied & c & if i % 3 == 0 { rng.random() } else { !0 };
            let opponent = occupied & !mover;
            assert_eq!(
                legal_moves(mover, opponent),
                reference_moves(mover, opponent),
                "moves for {mover:#x} / {opponent:#x}"
            );
            for sq in 0..64 {
                if occupied >> sq & 1 == 0 {
                    assert_eq!(
                        flips(mover, opponent, sq),
                        reference_flips(mover, opponent, sq),
                        "flips at {sq} for {mover:#x} / {opponent:#x}"
                    );
                }
            }
        }
    }

    #[test]
    fn runs_do_not_wrap_around_the_board_edge() {
        // Mover on h1, opponent on a2: in bit order they are neighbours (7 and 8), but a2 is not
        // east of h1, so b2 is not a move; likewise along the wrapping diagonals.
        let mover = 1 << 7;
        let opponent = 1 << 8;
        assert_eq!(legal_moves(mover, opponent), 0);
        // A full sideways line of opponent discs from b1 to h1 with the mover on a1 leaves no
        // square to place on in that row; a2 (the wrapped "next" square) must not be offered.
        let mover = 1;
        let opponent = 0xFE;
        assert_eq!(legal_moves(mover, opponent) & (1 << 8), 0);
        assert_eq!(legal_moves(mover, opponent), 0);
    }
}
