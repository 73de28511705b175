//! The rating fit against an independent maximisation, and the SPRT against values computed
//! from fishtest's published formulas.

use ludus_ratings::{
    elo_from_score, expected_score, fit, Decision, EloModel, FitOptions, GameResult, Results, Sprt,
};

/// `n` games where `a` scores `wins` wins and `draws` draws (the rest losses), paired in twos.
fn games(
    a: usize,
    b: usize,
    wins: usize,
    draws: usize,
    n: usize,
    first_pair: u64,
) -> Vec<GameResult> {
    (0..n)
        .map(|k| GameResult {
            a,
            b,
            score_a: if k < wins {
                1.0
            } else if k < wins + draws {
                0.5
            } else {
                0.0
            },
            pair: Some(first_pair + k as u64 / 2),
        })
        .collect()
}

fn no_bootstrap() -> FitOptions {
    FitOptions {
        bootstrap: 0,
        ..FitOptions::default()
    }
}

/// The log-likelihood the fit maximises, written out independently: each game contributes
/// `s ln E + (1 − s) ln(1 − E)`, and each encounter one virtual draw.
fn log_likelihood(r: &[f64], all: &[GameResult], prior: f64) -> f64 {
    let mut total = 0.0;
    let mut met = std::collections::BTreeSet::new();
    for g in all {
        let e = expected_score(r[g.a] - r[g.b]);
        total += g.score_a * e.ln() + (1.0 - g.score_a) * (1.0 - e).ln();
        met.insert((g.a.min(g.b), g.a.max(g.b)));
    }
    for (a, b) in met {
        let e = expected_score(r[a] - r[b]);
        total += prior * (0.5 * e.ln() + 0.5 * (1.0 - e).ln());
    }
    total
}

/// Brute force: coordinate-wise golden-section search, many sweeps, player 0 fixed at 0.
fn brute_force(players: usize, all: &[GameResult], prior: f64) -> Vec<f64> {
    let mut r = vec![0.0; players];
    let phi = (5f64.sqrt() - 1.0) / 2.0;
    for _ in 0..60 {
        for i in 1..players {
            let (mut lo, mut hi) = (-2000.0, 2000.0);
            let at = |x: f64, r: &mut Vec<f64>| {
                r[i] = x;
                log_likelihood(r, all, prior)
            };
            for _ in 0..120 {
                let m1 = hi - phi * (hi - lo);
                let m2 = lo + phi * (hi - lo);
                if at(m1, &mut r) < at(m2, &mut r) {
                    lo = m1;
                } else {
                    hi = m2;
                }
            }
            r[i] = 0.5 * (lo + hi);
        }
    }
    r
}

#[test]
fn the_fit_is_the_maximum_likelihood_found_by_brute_force() {
    // Four players, an uneven schedule, a perfect score (2 beat 3 every time) among them.
    let mut all = games(0, 1, 6, 4, 14, 0);
    all.extend(games(1, 2, 3, 2, 12, 100));
    all.extend(games(0, 2, 2, 6, 10, 200));
    all.extend(games(2, 3, 8, 0, 8, 300));
    all.extend(games(0, 3, 9, 1, 10, 400));
    let fitted = fit(4, &all, &no_bootstrap()).unwrap();
    let reference = brute_force(4, &all, 1.0);
    for i in 0..4 {
        assert!(
            (fitted.elo[i] - reference[i]).abs() < 0.05,
            "player {i}: fit {:?}, brute force {reference:?}",
            fitted.elo
        );
    }
    assert!(fitted.elo[3] < fitted.elo[2] - 300.0, "{:?}", fitted.elo);
}

#[test]
fn two_players_get_the_elo_of_their_score() {
    // With one virtual draw: (7 + 0.5) / (10 + 1).
    let fitted = fit(2, &games(0, 1, 6, 2, 10, 0), &no_bootstrap()).unwrap();
    let want = -elo_from_score(7.5 / 11.0);
    assert!(
        (fitted.elo[1] - want).abs() < 1e-6,
        "{:?} vs {want}",
        fitted.elo
    );
    assert_eq!(fitted.elo[0], 0.0);
    assert_eq!(fitted.games, vec![10, 10]);
    assert!((fitted.score[0] - 0.7).abs() < 1e-12);
}

#[test]
fn symmetric_results_give_equal_ratings() {
    // A rock-paper-scissors cycle: each beats the next 7–3.
    let mut all = games(0, 1, 7, 0, 10, 0);
    all.extend(games(1, 2, 7, 0, 10, 10));
    all.extend(games(2, 0, 7, 0, 10, 20));
    let fitted = fit(3, &all, &no_bootstrap()).unwrap();
    for r in &fitted.elo {
        assert!(r.abs() < 1e-6, "{:?}", fitted.elo);
    }
    // Swapping the players' labels swaps their ratings.
    let one = fit(2, &games(0, 1, 3, 1, 8, 0), &no_bootstrap()).unwrap();
    let other = fit(2, &games(1, 0, 3, 1, 8, 0), &no_bootstrap()).unwrap();
    assert!((one.elo[1] - (-other.elo[1])).abs() < 1e-9);
}

#[test]
fn anchoring_shifts_every_rating_alike() {
    let mut all = games(0, 1, 6, 4, 14, 0);
    all.extend(games(1, 2, 3, 2, 12, 100));
    let base = fit(3, &all, &no_bootstrap()).unwrap();
    let anchored = fit(
        3,
        &all,
        &FitOptions {
            anchor: 2,
            anchor_elo: 1000.0,
            ..no_bootstrap()
        },
    )
    .unwrap();
    assert_eq!(anchored.elo[2], 1000.0);
    for i in 0..3 {
        let shift = anchored.elo[i] - base.elo[i];
        assert!((shift - (1000.0 - base.elo[2])).abs() < 1e-9);
    }
}

#[test]
fn bootstrap_intervals_cover_the_estimate_and_shrink_with_games() {
    let options = FitOptions {
        bootstrap: 400,
        seed: 5,
        ..FitOptions::default()
    };
    // Both: player 0 scores 70 %.
    let few = fit(2, &games(0, 1, 6, 2, 10, 0), &options).unwrap();
    let many = fit(2, &games(0, 1, 60, 20, 100, 0), &options).unwrap();
    for r in [&few, &many] {
        assert!(r.lower[1] <= r.elo[1] && r.elo[1] <= r.upper[1], "{r:?}");
        assert_eq!((r.lower[0], r.upper[0]), (0.0, 0.0), "the anchor is fixed");
    }
    assert!(many.upper[1] - many.lower[1] < 0.6 * (few.upper[1] - few.lower[1]));
    // Player 0 is superior in almost every replicate; the matrix is complementary.
    assert!(many.los[0][1] > 0.9, "{:?}", many.los);
    assert!((many.los[0][1] + many.los[1][0] - 1.0).abs() < 1e-9);
    // The same seed gives the same intervals.
    assert_eq!(fit(2, &games(0, 1, 6, 2, 10, 0), &options).unwrap(), few);
}

#[test]
fn bad_input_is_refused() {
    let err = fit(3, &games(0, 1, 1, 0, 2, 0), &no_bootstrap()).unwrap_err();
    assert!(err.to_string().contains("[2]"), "{err}");
    let err = fit(2, &games(0, 2, 1, 0, 2, 0), &no_bootstrap()).unwrap_err();
    assert!(err.to_string().contains("there are 2"), "{err}");
    let bad_score = [GameResult {
        a: 0,
        b: 1,
        score_a: 2.0,
        pair: None,
    }];
    assert!(fit(2, &bad_score, &no_bootstrap()).is_err());
}

/// LLRs computed with an independent implementation of fishtest's `LLRcalc` formulas
/// (maximum-likelihood distributions by the secular equation, solved by bisection), and the
/// example in fishtest's own sources: pentanomial [10789, 19328, 33806, 19402, 10543] with
/// logistic bounds [−3, 1] gives 2.1311.
#[test]
fn sprt_llr_matches_fishtest() {
    let cases: &[(EloModel, f64, f64, Results, f64)] = &[
        (
            EloModel::Logistic,
            -3.0,
            1.0,
            Results::Pentanomial([10789, 19328, 33806, 19402, 10543]),
            2.131068,
        ),
        (
            EloModel::Normalized,
            -3.0,
            1.0,
            Results::Pentanomial([10789, 19328, 33806, 19402, 10543]),
            0.300870,
        ),
        (
            EloModel::Logistic,
            0.0,
            10.0,
            Results::Trinomial([130, 200, 170]),
            1.575395,
        ),
        (
            EloModel::Normalized,
            0.0,
            5.0,
            Results::Trinomial([130, 200, 170]),
            0.691458,
        ),
        (
            EloModel::Logistic,
            0.0,
            30.0,
            Results::Pentanomial([3, 10, 25, 8, 4]),
            -0.781634,
        ),
        (
            EloModel::Normalized,
            0.0,
            2.0,
            Results::Pentanomial([0, 10, 25, 8, 4]),
            0.058943,
        ),
        (
            EloModel::Logistic,
            -5.0,
            5.0,
            Results::Trinomial([40, 0, 60]),
            0.575652,
        ),
        (
            EloModel::Logistic,
            0.0,
            30.0,
            Results::Trinomial([0, 0, 7]),
            0.578358,
        ),
    ];
    for (model, elo0, elo1, results, want) in cases {
        let sprt = Sprt {
            elo0: *elo0,
            elo1: *elo1,
            alpha: 0.05,
            beta: 0.05,
            model: *model,
        };
        let got = sprt.llr(results);
        assert!(
            (got - want).abs() < 1e-5,
            "{model:?} [{elo0}, {elo1}] {results:?}: {got} vs {want}"
        );
    }
}

#[test]
fn sprt_bounds_and_decisions() {
    let sprt = Sprt::parse("elo0=0,elo1=10").unwrap();
    let (a, b) = sprt.bounds();
    // ln(0.05 / 0.95) and ln(0.95 / 0.05).
    assert!((a + 2.944_438_979).abs() < 1e-8 && (b - 2.944_438_979).abs() < 1e-8);
    assert_eq!(
        sprt.status(&Results::Trinomial([0, 0, 0])).decision,
        Decision::Continue
    );
    // A player winning 3 games in 4 against an equal-strength hypothesis: H1 after enough.
    let strong = Results::Pentanomial([5, 20, 60, 120, 95]);
    let s = sprt.status(&strong);
    assert_eq!(s.decision, Decision::H1, "{s:?}");
    assert!(s.estimate.unwrap().elo > 100.0);
    let even = Results::Pentanomial([100, 400, 1000, 400, 100]);
    assert_eq!(sprt.status(&even).decision, Decision::H0);
    let unsure = Results::Pentanomial([2, 4, 10, 4, 2]);
    assert_eq!(sprt.status(&unsure).decision, Decision::Continue);

    let tight = Sprt::parse("elo0=-5, elo1=5, alpha=0.01, beta=0.2, model=normalized").unwrap();
    assert_eq!(tight.model, EloModel::Normalized);
    assert!((tight.bounds().1 - (0.8f64 / 0.01).ln()).abs() < 1e-12);
    for bad in [
        "elo0=0",
        "elo0=10,elo1=0",
        "elo0=0,elo1=5,alpha=0.7",
        "elo0=x,elo1=1",
        "elo0=0,elo1=5,gamma=1",
        "elo0=0,elo1=5,model=bayes",
    ] {
        assert!(Sprt::parse(bad).is_err(), "{bad}");
    }
}
