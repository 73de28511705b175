//! `ludus match`: two agents play game pairs (the same opening, seats swapped) in parallel,
//! optionally until a sequential test decides.
//!
//! Game `i` is fully determined by `(seed, i)`: each thread builds its two agents once and
//! reseeds them before every game (`Agent::new_game`) with seeds derived from both, so results do
//! not depend on the number of threads or their timing (except for agents with time limits, and
//! for a budgeted solver, whose kept table can decide whether an early solve fits its budget).
//! With `--sprt`, the test is updated as each pair completes, in pair order, and no new game
//! starts once it has decided; the games still running finish and count in the totals.

use std::{
    path::{Path, PathBuf},
    sync::{
        atomic::{AtomicBool, AtomicUsize, Ordering},
        Mutex,
    },
    time::Instant,
};

use anyhow::{bail, Context};
use indicatif::{ProgressBar, ProgressStyle};
use ludus_core::derive_seed;
use ludus_episodes::{DatasetInfo, DatasetWriter, WriterOptions};
use ludus_ratings::{Decision, Results, Sprt, SprtStatus};
use ludus_registry::{game_from_spec, GameVisitor, RegisteredGame};
use serde_json::json;

use crate::arena::{game_score, Arena, BoardArena, Openings, Record};

/// Play a match between two agents in game pairs: both games of a pair start from the same
/// opening with the seats swapped (A moves first in games 1, 3, 5, …). Games run on several
/// threads; the result is wins/draws/losses for A with the score, the Elo difference and their
/// 95 % intervals (from pair statistics). `--sprt` stops as soon as a sequential test decides.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  ludus match --game connect4 --a alphabeta --b mcts:sims=1000 --games 20
  ludus match --game connect4 --a solver --b mcts:sims=1000 --games 20 --openings random:4
  ludus match --game connect4 --a mcts:sims=800 --b mcts:sims=400 --sprt elo0=0,elo1=30
  ludus match --game othello --a alphabeta:depth=4 --b random --games 200 --threads 2 --json")]
pub struct Args {
    /// The game (tictactoe, connect4, othello, go[:size=N:komi=K]).
    #[arg(long, default_value = "connect4")]
    game: String,
    /// Agent A (random, mcts[:sims=N], alphabeta[:depth=N], solver, az:RUN).
    #[arg(long, default_value = "alphabeta")]
    a: String,
    /// Agent B.
    #[arg(long, default_value = "mcts:sims=1000")]
    b: String,
    /// Number of games (default 20; with --sprt, the most it may play: default 20,000).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    games: Option<u64>,
    /// How each game pair starts: `none` (the initial position, the default), `random:PLIES`
    /// (random legal moves, one opening per pair), or a file of move lists (one per line).
    #[arg(long, default_value = "none")]
    openings: String,
    /// Stop when fishtest's generalised SPRT on game pairs decides:
    /// `elo0=E0,elo1=E1[,alpha=0.05][,beta=0.05][,model=logistic|normalized]` (H1: A is at
    /// least E1 Elo stronger; H0: at most E0).
    #[arg(long, value_name = "SETTINGS")]
    sprt: Option<String>,
    /// Worker threads (default: all cores).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1024))]
    threads: Option<u64>,
    /// Seed fixing every random choice of both agents and of the openings.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Print the summary as one JSON object instead of text.
    #[arg(long)]
    json: bool,
    /// Log every game to this episode dataset (created, or appended to when it holds the same
    /// game). Default: a new `runs/matches/GAME-A-vs-B-N-v0`.
    #[arg(long, value_name = "DIR", conflicts_with = "no_log")]
    log: Option<PathBuf>,
    /// Do not log the games.
    #[arg(long)]
    no_log: bool,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    if crate::rts_cmd::is_rts_game(&args.game) {
        if args.openings != "none" {
            bail!("--openings is for board games; RTS games start from the map");
        }
        return run_match(crate::rts_cmd::RtsArena::parse(&args.game)?, args);
    }
    game_from_spec(&args.game)?.visit(Match(args))
}

/// One finished game, from A's point of view.
#[derive(Debug, Clone, Copy)]
struct Outcome {
    a_first: bool,
    a_return: f32,
    plies: usize,
}

/// A pair's pentanomial class: A's points over its two games, 0–2 in halves, as 0–4.
fn pair_class(x: &Outcome, y: &Outcome) -> usize {
    ((game_score(x.a_return) + game_score(y.a_return)) * 2.0).round() as usize
}

/// The pentanomial count of completed pairs `0..k`.
fn pentanomial(results: &[Option<Outcome>], pairs: usize) -> [u64; 5] {
    let mut counts = [0u64; 5];
    for k in 0..pairs {
        if let (Some(x), Some(y)) = (&results[2 * k], &results[2 * k + 1]) {
            counts[pair_class(x, y)] += 1;
        }
    }
    counts
}

/// The SPRT's state: the pairs counted so far (always a prefix, in pair order), their
/// pentanomial counts, and the last status.
#[derive(Default)]
struct TestState {
    pairs: usize,
    counts: [u64; 5],
    status: Option<SprtStatus>,
}

struct Match(Args);

impl GameVisitor for Match {
    type Output = anyhow::Result<()>;

    fn visit<G: RegisteredGame>(self, game: G) -> anyhow::Result<()> {
        let args = self.0;
        if game.num_players() != 2 {
            bail!("ludus match is for two-player games");
        }
        let openings = Openings::parse(&game, &args.openings)?;
        let opening_seed = args.seed;
        run_match(
            BoardArena {
                game,
                openings,
                opening_seed,
            },
            args,
        )
    }
}

/// The match itself, for any game: parallel game pairs, the optional SPRT, the log, the report.
fn run_match<A: Arena>(arena: A, args: Args) -> anyhow::Result<()> {
    for spec in [&args.a, &args.b] {
        if spec.trim().eq_ignore_ascii_case("human") {
            bail!("`human` cannot play in a match; use `ludus play --opponent SPEC`");
        }
        arena
            .build(spec)
            .with_context(|| format!("agent `{spec}`"))?;
    }
    let sprt = args
        .sprt
        .as_deref()
        .map(Sprt::parse)
        .transpose()
        .context("--sprt")?;
    let games = args
        .games
        .unwrap_or(if sprt.is_some() { 20_000 } else { 20 }) as usize;
    let threads = args
        .threads
        .map(|t| t as usize)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .clamp(1, games);

    let progress = ProgressBar::new(games as u64);
    progress.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} games  {msg}  [{elapsed} < {eta}]")
            .expect("valid template"),
    );
    let log = if args.no_log {
        None
    } else {
        let dir = args
            .log
            .clone()
            .unwrap_or_else(|| default_log_dir(Path::new("runs"), &arena.name(), &args));
        Some(open_log(&arena, &args, &dir)?)
    };
    // Episodes go to the log in game order, whatever the threads' timing: finished games wait
    // here until every earlier game is written.
    let in_order: Mutex<(usize, std::collections::BTreeMap<usize, Record>)> =
        Mutex::new((0, std::collections::BTreeMap::new()));
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let stop = AtomicBool::new(false);
    let results: Mutex<Vec<Option<Outcome>>> = Mutex::new(vec![None; games]);
    // The SPRT's state: pairs counted so far (in order) and its last status.
    let test: Mutex<TestState> = Mutex::new(TestState::default());
    // Running wins/draws/losses for the progress line, so each finished game costs O(1).
    let tally = Mutex::new((0usize, 0usize, 0usize));
    let first_error: Mutex<Option<anyhow::Error>> = Mutex::new(None);
    let start = Instant::now();

    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                let agents = arena
                    .build(&args.a)
                    .and_then(|a| Ok((a, arena.build(&args.b)?)));
                let (mut a, mut b) = match agents {
                    Ok(pair) => pair,
                    Err(e) => {
                        failed.store(true, Ordering::Relaxed);
                        first_error.lock().expect("error lock").get_or_insert(e);
                        return;
                    }
                };
                while !failed.load(Ordering::Relaxed) && !stop.load(Ordering::Relaxed) {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= games {
                        break;
                    }
                    let played = play_one(&arena, &mut a, &mut b, args.seed, i, log.is_some());
                    let logged = played.and_then(|(outcome, episode)| {
                        if let (Some(writer), Some(episode)) = (&log, episode) {
                            let mut queue = in_order.lock().expect("log order lock");
                            queue.1.insert(i, episode);
                            while let Some(e) = {
                                let k = queue.0;
                                queue.1.remove(&k)
                            } {
                                queue.0 += 1;
                                e.write_to(writer)?;
                            }
                        }
                        Ok(outcome)
                    });
                    match logged {
                        Ok(outcome) => {
                            let mut all = results.lock().expect("results lock");
                            all[i] = Some(outcome);
                            let (w, d, l) = {
                                let mut t = tally.lock().expect("tally lock");
                                let (dw, dd, dl) = wdl([&outcome]);
                                *t = (t.0 + dw, t.1 + dd, t.2 + dl);
                                *t
                            };
                            let mut message = format!("A: +{w} ={d} -{l}");
                            if let Some(sprt) = &sprt {
                                let mut t = test.lock().expect("test lock");
                                let decided =
                                    t.status.is_some_and(|s| s.decision != Decision::Continue);
                                let before = t.pairs;
                                while !decided && 2 * t.pairs + 1 < games {
                                    let k = t.pairs;
                                    let (Some(x), Some(y)) = (&all[2 * k], &all[2 * k + 1]) else {
                                        break;
                                    };
                                    t.counts[pair_class(x, y)] += 1;
                                    t.pairs += 1;
                                }
                                if t.pairs > before {
                                    let status = sprt.status(&Results::Pentanomial(t.counts));
                                    t.status = Some(status);
                                    if status.decision != Decision::Continue {
                                        stop.store(true, Ordering::Relaxed);
                                    }
                                }
                                if let Some(s) = t.status {
                                    message.push_str(&format!(
                                        "  LLR {:.2} [{:.2}, {:.2}]",
                                        s.llr, s.lower, s.upper
                                    ));
                                }
                            }
                            progress.set_message(message);
                            progress.inc(1);
                        }
                        Err(e) => {
                            failed.store(true, Ordering::Relaxed);
                            first_error.lock().expect("error lock").get_or_insert(e);
                        }
                    }
                }
            });
        }
    });
    progress.finish_and_clear();
    // Whatever was played is published, even when a game failed.
    // Games after a failed one were not written in order above; keep them, in order.
    let (_, rest) = in_order.into_inner().expect("log order lock");
    let logged = match log {
        Some(writer) => {
            for (_, e) in rest {
                e.write_to(&writer)?;
            }
            let dir = writer.dir().to_path_buf();
            let totals = writer.finish().context("episode log")?;
            Some((dir, totals.episodes))
        }
        None => None,
    };
    if let Some(e) = first_error.into_inner().expect("error lock") {
        return Err(e);
    }
    let all = results.into_inner().expect("results lock");
    let outcomes: Vec<Outcome> = all.iter().flatten().copied().collect();
    let tested = test.into_inner().expect("test lock");
    let (pairs_tested, status) = (tested.pairs, tested.status);
    let complete = (0..games / 2)
        .take_while(|&k| all[2 * k].is_some() && all[2 * k + 1].is_some())
        .count();
    let pairs = Results::Pentanomial(pentanomial(&all, complete));
    report(
        &arena,
        &args,
        &outcomes,
        &pairs,
        sprt.as_ref().map(|s| (s, status, pairs_tested)),
        start.elapsed().as_secs_f64(),
        threads,
        logged.as_ref(),
    );
    Ok(())
}

/// `runs/matches/GAME-A-vs-B-N-v0` with the first free `N` (agent specs reduced to letters,
/// digits, `_` and `.`, since Minari ids allow no more).
fn default_log_dir(root: &Path, game: &str, args: &Args) -> PathBuf {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    let stem = format!("{}-{}-vs-{}", clean(game), clean(&args.a), clean(&args.b));
    (1..)
        .map(|k| root.join("matches").join(format!("{stem}-{k}-v0")))
        .find(|p| !p.exists())
        .expect("some number is free")
}

/// The dataset id a log folder gives: its name, with `-v0` added unless it ends in `-vN`
/// already (Minari wants `NAME-vN`).
pub fn dataset_id_for(dir: &Path) -> String {
    let folder = dir
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    if folder
        .rsplit_once("-v")
        .is_some_and(|(_, v)| v.parse::<u32>().is_ok())
    {
        folder
    } else {
        format!("{folder}-v0")
    }
}

/// Opens the dataset at `dir` for games of `game` (named by `spec`), with `description`.
pub fn open_episode_log<G: RegisteredGame>(
    game: &G,
    spec: &str,
    dir: &Path,
    description: String,
    extra: serde_json::Map<String, serde_json::Value>,
) -> anyhow::Result<DatasetWriter> {
    let info = DatasetInfo {
        dataset_id: dataset_id_for(dir),
        game: spec.to_string(),
        observation_shape: game.observation_shape(),
        num_actions: game.num_actions(),
        num_players: game.num_players(),
        description,
        extra,
        ticks: None,
    };
    DatasetWriter::create(dir, info, WriterOptions::default())
        .with_context(|| format!("episode log {}", dir.display()))
}

fn open_log<A: Arena>(arena: &A, args: &Args, dir: &Path) -> anyhow::Result<DatasetWriter> {
    arena.open_log(
        &args.game,
        dir,
        format!("ludus match: {} against {}", args.a, args.b),
        serde_json::Map::from_iter([
            ("source".to_string(), json!("ludus match")),
            ("a".to_string(), json!(args.a)),
            ("b".to_string(), json!(args.b)),
            ("seed".to_string(), json!(args.seed)),
        ]),
    )
}

/// Plays game `i` (A moves first when `i` is even; pair `i / 2` shares its opening) and reports
/// it from A's side, with the game as an episode when the arena records one.
fn play_one<A: Arena>(
    arena: &A,
    a: &mut A::Player,
    b: &mut A::Player,
    seed: u64,
    i: usize,
    record: bool,
) -> anyhow::Result<(Outcome, Option<Record>)> {
    let a_first = i.is_multiple_of(2);
    let seats = if a_first { [a, b] } else { [b, a] };
    let mut played = arena
        .play(seats, (i / 2) as u64, derive_seed(seed, i as u64), record)
        .with_context(|| format!("game {}", i + 1))?;
    if let Some(episode) = &mut played.episode {
        episode.extra_mut().insert("game_index".into(), json!(i));
    }
    let a_seat = if a_first { 0 } else { 1 };
    let outcome = Outcome {
        a_first,
        a_return: played.returns[a_seat],
        plies: played.plies,
    };
    Ok((outcome, played.episode))
}

/// Wins, draws, losses from A's side.
fn wdl<'a>(outcomes: impl IntoIterator<Item = &'a Outcome>) -> (usize, usize, usize) {
    outcomes.into_iter().fold((0, 0, 0), |(w, d, l), o| {
        if o.a_return > 0.0 {
            (w + 1, d, l)
        } else if o.a_return < 0.0 {
            (w, d, l + 1)
        } else {
            (w, d + 1, l)
        }
    })
}

/// The Wilson score interval at 95 % for a score in [0, 1] over `n` games. Treating draws as
/// half a win in a binomial gives a slightly wider (so conservative) interval than the trinomial
/// one, and unlike the normal approximation it stays meaningful at 0 % and 100 %.
fn wilson_interval(score: f64, n: f64) -> (f64, f64) {
    let z = 1.959_964f64;
    let denom = 1.0 + z * z / n;
    let centre = (score + z * z / (2.0 * n)) / denom;
    let half = z / denom * (score * (1.0 - score) / n + z * z / (4.0 * n * n)).sqrt();
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// The Elo difference that predicts `score`, clamped to ±999 at 0 % / 100 %.
fn elo(score: f64) -> f64 {
    if score <= 0.0 {
        -999.0
    } else if score >= 1.0 {
        999.0
    } else {
        (-400.0 * (1.0 / score - 1.0).log10()).clamp(-999.0, 999.0)
    }
}

#[allow(clippy::too_many_arguments)]
fn report<A: Arena>(
    arena: &A,
    args: &Args,
    outcomes: &[Outcome],
    pairs: &Results,
    sprt: Option<(&Sprt, Option<SprtStatus>, usize)>,
    secs: f64,
    threads: usize,
    logged: Option<&(PathBuf, u64)>,
) {
    let n = outcomes.len() as f64;
    let (w, d, l) = wdl(outcomes);
    let score = (w as f64 + 0.5 * d as f64) / n;
    let (lo, hi) = wilson_interval(score, n);
    let (fw, fd, fl) = wdl(outcomes.iter().filter(|o| o.a_first));
    let (sw, sd, sl) = wdl(outcomes.iter().filter(|o| !o.a_first));
    let plies: usize = outcomes.iter().map(|o| o.plies).sum();
    // With complete pairs, the pentanomial estimate: its interval accounts for the opening
    // and seat shared within a pair.
    let paired = ludus_ratings::estimate(pairs, 0.95);
    let test = sprt.map(|(config, status, pairs_tested)| {
        json!({
            "elo0": config.elo0, "elo1": config.elo1, "alpha": config.alpha, "beta": config.beta,
            "model": config.model, "pairs": pairs_tested, "games": 2 * pairs_tested,
            "llr": status.map(|s| s.llr), "lower": config.bounds().0, "upper": config.bounds().1,
            "decision": status.map_or(ludus_ratings::Decision::Continue, |s| s.decision),
        })
    });
    if args.json {
        let summary = json!({
            "game": arena.name(), "a": args.a, "b": args.b, "games": outcomes.len(), "seed": args.seed,
            "openings": args.openings,
            "wins": w, "draws": d, "losses": l,
            "a_first": {"wins": fw, "draws": fd, "losses": fl},
            "a_second": {"wins": sw, "draws": sd, "losses": sl},
            "score": score, "score_ci95": [lo, hi], "elo": elo(score), "elo_ci95": [elo(lo), elo(hi)],
            "pentanomial": pairs.counts(),
            "pair_estimate": paired,
            "sprt": test,
            "seconds": secs, "games_per_sec": n / secs, "mean_plies": plies as f64 / n, "threads": threads,
            "episodes": logged.map(|(dir, total)| json!({"dir": dir, "total": total})),
        });
        println!("{summary}");
        return;
    }
    println!(
        "{}: A = {} vs B = {}, {} games (seed {}, openings {}, {threads} threads)",
        arena.name(),
        args.a,
        args.b,
        outcomes.len(),
        args.seed,
        args.openings
    );
    println!("A wins {w}, draws {d}, losses {l}   (A first: +{fw} ={fd} -{fl}; A second: +{sw} ={sd} -{sl})");
    println!(
        "A score {:.1} % (95 % CI {:.1}–{:.1} %), Elo difference {:+.0} [{:+.0}, {:+.0}]",
        100.0 * score,
        100.0 * lo,
        100.0 * hi,
        elo(score),
        elo(lo),
        elo(hi)
    );
    if let Some(e) = paired.filter(|_| pairs.samples() > 0) {
        let c = pairs.counts();
        println!(
            "game pairs [LL, LD, WL+DD, WD, WW] = {c:?}: Elo {:+.1} [{:+.1}, {:+.1}], LOS {:.1} %",
            e.elo,
            e.lower,
            e.upper,
            100.0 * e.los
        );
    }
    if let Some((config, status, pairs_tested)) = sprt {
        let (a, b) = config.bounds();
        let decision = match status.map(|s| s.decision) {
            Some(ludus_ratings::Decision::H1) => format!(
                "H1 accepted: A is stronger by at least {} Elo (elo1)",
                config.elo1
            ),
            Some(ludus_ratings::Decision::H0) => {
                format!(
                    "H0 accepted: A is not stronger by more than {} Elo (elo0)",
                    config.elo0
                )
            }
            _ => "no decision within --games".to_string(),
        };
        println!(
            "SPRT [{}, {}] ({:?}, α = {}, β = {}): LLR {:.3} in [{a:.3}, {b:.3}] after {} pairs ({} games): {decision}",
            config.elo0,
            config.elo1,
            config.model,
            config.alpha,
            config.beta,
            status.map_or(0.0, |s| s.llr),
            pairs_tested,
            2 * pairs_tested
        );
    }
    println!(
        "{:.2} games/s, {:.1} {} per game, {secs:.1} s",
        n / secs,
        plies as f64 / n,
        arena.step_unit()
    );
    if let Some((dir, total)) = logged {
        println!(
            "games logged to {} ({total} episodes there; `ludus episodes stats {}`)",
            dir.display(),
            dir.display()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_interval_matches_hand_values() {
        // 15/20 wins: the textbook Wilson interval is 0.531–0.888.
        let (lo, hi) = wilson_interval(0.75, 20.0);
        assert!(
            (lo - 0.5313).abs() < 1e-3 && (hi - 0.8881).abs() < 1e-3,
            "{lo} {hi}"
        );
        let (lo, hi) = wilson_interval(1.0, 20.0);
        assert!(hi == 1.0 && (lo - 0.8389).abs() < 1e-3, "{lo}");
        assert_eq!(elo(0.5), 0.0);
        assert!((elo(0.75) - 190.85).abs() < 0.1);
    }
}
