use rand::SeedableRng;

/// The one random generator Ludus uses everywhere a seed must fix the outcome: ChaCha8, whose
/// output stream is specified and identical on every platform (unlike `SmallRng`).
pub type LudusRng = rand_chacha::ChaCha8Rng;

/// A generator fixed by `seed`.
pub fn seeded_rng(seed: u64) -> LudusRng {
    LudusRng::seed_from_u64(seed)
}

/// Derives an independent seed for sub-stream `stream` (a game index, a thread, a seat) from a
/// base seed, so that parallel work is reproducible whatever order it runs in.
pub fn derive_seed(seed: u64, stream: u64) -> u64 {
    crate::splitmix64(seed ^ crate::splitmix64(stream.wrapping_add(0x5EED)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn same_seed_same_stream() {
        let a: Vec<u32> = (0..8)
            .map(|_| 0)
            .scan(seeded_rng(3), |r, _: u32| Some(r.random()))
            .collect();
        let b: Vec<u32> = (0..8)
            .map(|_| 0)
            .scan(seeded_rng(3), |r, _: u32| Some(r.random()))
            .collect();
        assert_eq!(a, b);
        assert_ne!(derive_seed(1, 0), derive_seed(1, 1));
        assert_ne!(derive_seed(1, 0), derive_seed(2, 0));
    }
}
