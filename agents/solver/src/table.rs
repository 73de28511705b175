//! The transposition table: bounds on scores of positions already searched.
//!
//! A fixed-size, always-replace table of 5-byte entries (a 32-bit partial key and an 8-bit
//! bound), stored as two parallel arrays so that no padding is wasted. The slot is
//! `key mod size` with `size` a prime above 2¹⁷; since keys are below 2⁴⁹ < size · 2³², the
//! pair (`key mod size`, `key mod 2³²`) determines the key (Chinese remainder theorem), so a slot
//! whose stored low 32 bits match holds exactly this position: no false hits.

/// Bytes per entry: 4 for the partial key, 1 for the bound.
const ENTRY_BYTES: usize = 5;

/// The smallest table whose prime size still makes the partial key unambiguous (> 2¹⁷ slots).
pub(crate) const MIN_MEGABYTES: usize = 1;

/// A bound on a position's score, as stored in the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bound {
    /// The score is at most this.
    Upper(i32),
    /// The score is at least this.
    Lower(i32),
}

/// Offset that makes every score the search can return (−21..=21) a positive 6-bit number, so
/// that 0 can mean "empty slot".
const SCORE_OFFSET: i32 = 32;
/// Set in an encoded entry for a lower bound.
const LOWER_FLAG: u8 = 1 << 6;

impl Bound {
    fn encode(self) -> u8 {
        let (score, flag) = match self {
            Self::Upper(s) => (s, 0),
            Self::Lower(s) => (s, LOWER_FLAG),
        };
        debug_assert!((-21..=21).contains(&score), "score {score} out of range");
        (score + SCORE_OFFSET) as u8 | flag
    }

    fn decode(byte: u8) -> Option<Self> {
        if byte == 0 {
            return None;
        }
        let score = i32::from(byte & (LOWER_FLAG - 1)) - SCORE_OFFSET;
        Some(if byte & LOWER_FLAG != 0 {
            Self::Lower(score)
        } else {
            Self::Upper(score)
        })
    }
}

/// Fixed-size table from position keys to score bounds.
#[derive(Debug, Clone)]
pub(crate) struct TranspositionTable {
    keys: Vec<u32>,
    bounds: Vec<u8>,
}

impl TranspositionTable {
    /// A table of about `megabytes` MiB (at least [`MIN_MEGABYTES`]), allocated once.
    pub(crate) fn with_megabytes(megabytes: usize) -> Self {
        let bytes = megabytes.max(MIN_MEGABYTES).saturating_mul(1 << 20);
        let size = prev_prime(bytes / ENTRY_BYTES);
        Self {
            keys: vec![0; size],
            bounds: vec![0; size],
        }
    }

    /// Number of slots (a prime).
    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }

    /// Forgets every entry.
    pub(crate) fn clear(&mut self) {
        self.keys.fill(0);
        self.bounds.fill(0);
    }

    #[inline]
    fn slot(&self, key: u64) -> usize {
        (key % self.keys.len() as u64) as usize
    }

    /// Stores `bound` for `key`, replacing whatever the slot held.
    #[inline]
    pub(crate) fn put(&mut self, key: u64, bound: Bound) {
        let i = self.slot(key);
        self.keys[i] = key as u32;
        self.bounds[i] = bound.encode();
    }

    /// The bound stored for `key`, if its slot still holds it.
    #[inline]
    pub(crate) fn get(&self, key: u64) -> Option<Bound> {
        let i = self.slot(key);
        if self.keys[i] == key as u32 {
            Bound::decode(self.bounds[i])
        } else {
            None
        }
    }
}

/// The largest prime not above `n` (for `n` ≥ 2). Trial division is fine: it runs once per
/// table, and √n is a few thousand.
fn prev_prime(n: usize) -> usize {
    let is_prime = |m: usize| {
        m >= 2
            && (2..)
                .take_while(|d| d * d <= m)
                .all(|d| !m.is_multiple_of(d))
    };
    (2..=n).rev().find(|&m| is_prime(m)).unwrap_or(2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_round_trip() {
        for s in -21..=21 {
            for b in [Bound::Upper(s), Bound::Lower(s)] {
                assert_ne!(b.encode(), 0);
                assert_eq!(Bound::decode(b.encode()), Some(b));
            }
        }
        assert_eq!(Bound::decode(0), None);
    }

    #[test]
    fn primes() {
        assert_eq!(prev_prime(100), 97);
        assert_eq!(prev_prime(97), 97);
        assert_eq!(prev_prime(2), 2);
    }

    #[test]
    fn size_is_prime_and_large_enough_for_exact_keys() {
        let t = TranspositionTable::with_megabytes(0);
        assert!(t.len() > 1 << 17);
        assert!((t.len() as u128) << 32 > 1u128 << 49);
        let t64 = TranspositionTable::with_megabytes(64);
        assert!(t64.len() * ENTRY_BYTES <= 64 << 20);
        assert!(t64.len() * ENTRY_BYTES > 63 << 20);
    }

    #[test]
    fn put_get_replace_and_clear() {
        let mut t = TranspositionTable::with_megabytes(1);
        let key = 0x1_2345_6789_abcd;
        assert_eq!(t.get(key), None);
        t.put(key, Bound::Lower(3));
        assert_eq!(t.get(key), Some(Bound::Lower(3)));
        // A key in the same slot with different low bits is not confused with it.
        let other = key + t.len() as u64;
        assert_eq!(t.get(other), None);
        t.put(other, Bound::Upper(-2));
        assert_eq!(t.get(other), Some(Bound::Upper(-2)));
        assert_eq!(t.get(key), None);
        // The empty position's key is 0, like an empty slot's; the bound byte tells them apart.
        assert_eq!(t.get(0), None);
        t.put(0, Bound::Upper(0));
        assert_eq!(t.get(0), Some(Bound::Upper(0)));
        t.clear();
        assert_eq!(t.get(0), None);
    }
}
