//! How many threads candle's CPU kernels use, decided once per process.
//!
//! candle asks on every matrix product, and unless `RAYON_NUM_THREADS` is set it answers by
//! reading `/proc/cpuinfo`: some 500 times a second in RTS training, where the kernel's
//! formatting of that file took about 5 % of the run's time. [`pin`] writes candle's own answer
//! into the variable at start-up, so nothing changes but the cost.

use std::sync::OnceLock;

/// Whether the user set `RAYON_NUM_THREADS` or `CANDLE_NUM_THREADS` (recorded by [`pin`]).
static CHOSEN_BY_USER: OnceLock<bool> = OnceLock::new();

/// Whether either variable is in this process's environment.
fn set_in_environment() -> bool {
    ["RAYON_NUM_THREADS", "CANDLE_NUM_THREADS"]
        .iter()
        .any(|key| std::env::var_os(key).is_some())
}

/// Fixes candle's thread count to its default unless the user chose one. Call first thing in
/// `main`, before any thread starts or any kernel runs.
pub fn pin() {
    if !*CHOSEN_BY_USER.get_or_init(set_in_environment) {
        let n = ludus_nn::candle_core::utils::get_num_threads().to_string();
        std::env::set_var("RAYON_NUM_THREADS", &n);
        std::env::set_var("CANDLE_NUM_THREADS", &n);
    }
}

/// Whether the user chose candle's thread count; commands may then re-pin it only when not.
pub fn chosen_by_user() -> bool {
    *CHOSEN_BY_USER.get_or_init(set_in_environment)
}
