//! `ludus tournament`: many agents, game pairs from shared openings, ratings with intervals.
//!
//! Every finished game is appended to `OUT/results.jsonl` (and the episode log) at once, so a
//! tournament stopped at any moment continues where it stopped when run again with the same
//! `--out`: games already in the file are not played again.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use anyhow::{bail, Context};
use indicatif::{ProgressBar, ProgressStyle};
use ludus_core::derive_seed;
use ludus_plots::{write_heat_map, write_line_chart, HeatMap, LineChart, Series};
use ludus_ratings::{fit, FitOptions, GameResult, Ratings};
use ludus_registry::{game_from_spec, GameVisitor, RegisteredGame};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::arena::{game_score, Arena, BoardArena, Openings};

/// Run a tournament: every encounter plays game pairs (both seats from the same opening), games
/// run in parallel and are saved as they finish, and the agents are rated together
/// (Bradley–Terry on the Elo scale, anchored, with bootstrap 95 % intervals).
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  ludus tournament --game connect4 --agents random,mcts:sims=100,mcts:sims=1000,alphabeta:depth=6,solver --games-per-pair 20
  ludus tournament --game connect4 --agents random,mcts:sims=200 --checkpoints runs/c4 --every 10
  ludus tournament --game tictactoe --agents alphabeta,mcts:sims=50,random --format gauntlet --openings random:2

Writes OUT/results.jsonl (one line per game), ratings.{txt,md,csv,json}, crosstable.{png,svg}
(and elo-over-training.{png,svg} with --checkpoints) and the games as an episode dataset
OUT/episodes-v0. Running the same command again continues an interrupted tournament.")]
pub struct Args {
    /// The game.
    #[arg(long, default_value = "connect4")]
    game: String,
    /// The agents, comma-separated specs.
    #[arg(long, value_delimiter = ',', required = true)]
    agents: Vec<String>,
    /// Also rate a training run's checkpoints (`az:RUN@G`), each against every agent of
    /// `--agents` (which then also play each other): Elo over training.
    #[arg(long, value_name = "RUN_DIR")]
    checkpoints: Option<PathBuf>,
    /// With --checkpoints: every this many generations (and the last).
    #[arg(long, default_value_t = 10)]
    every: usize,
    /// Simulations per move of the checkpoints' searches (default: the run's evaluation setting).
    #[arg(long)]
    sims: Option<usize>,
    /// round-robin (everyone plays everyone) or gauntlet (the first agent plays the others).
    #[arg(long, default_value = "round-robin", value_parser = ["round-robin", "gauntlet"])]
    format: String,
    /// Games per encounter (even: pairs with swapped seats).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(2..=100_000))]
    games_per_pair: u64,
    /// Openings: `random:PLIES` (the default, random:2), `none`, or a file of move lists.
    #[arg(long, default_value = "random:2")]
    openings: String,
    /// Worker threads (default: all cores).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1024))]
    threads: Option<u64>,
    /// The output folder (default: a new runs/tournaments/GAME-N).
    #[arg(long)]
    out: Option<PathBuf>,
    /// The agent whose rating is fixed, `SPEC[=ELO]` (default: `random` at 0 if it plays,
    /// otherwise the first agent at 0).
    #[arg(long)]
    anchor: Option<String>,
    /// Seed fixing the openings and every agent's random choices.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Bootstrap replicates for the intervals.
    #[arg(long, default_value_t = 1000)]
    bootstrap: usize,
    /// Do not log the games as episodes.
    #[arg(long)]
    no_log: bool,
}

/// What identifies a tournament; a folder holds one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Definition {
    game: String,
    agents: Vec<String>,
    encounters: Vec<(usize, usize)>,
    games_per_pair: u64,
    openings: String,
    seed: u64,
}

/// One line of `results.jsonl`.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Line {
    encounter: usize,
    game: u64,
    a: String,
    b: String,
    a_first: bool,
    score_a: f64,
    plies: usize,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    if crate::rts_cmd::is_rts_game(&args.game) {
        if args.openings != "random:2" && args.openings != "none" {
            bail!("--openings is for board games; RTS games start from the map");
        }
        return run_tournament(crate::rts_cmd::RtsArena::parse(&args.game)?, args);
    }
    game_from_spec(&args.game)?.visit(Tournament(args))
}

struct Tournament(Args);

impl GameVisitor for Tournament {
    type Output = anyhow::Result<()>;

    fn visit<G: RegisteredGame>(self, game: G) -> anyhow::Result<()> {
        let args = self.0;
        if game.num_players() != 2 {
            bail!("tournaments are for two-player games");
        }
        let openings = Openings::parse(&game, &args.openings)?;
        let opening_seed = args.seed;
        run_tournament(
            BoardArena {
                game,
                openings,
                opening_seed,
            },
            args,
        )
    }
}

/// The tournament itself, for any game: schedule, resumable parallel play, ratings, report.
fn run_tournament<A: Arena>(arena: A, args: Args) -> anyhow::Result<()> {
    if !args.games_per_pair.is_multiple_of(2) {
        bail!(
            "--games-per-pair {} is odd: games are played in pairs with the seats swapped",
            args.games_per_pair
        );
    }
    let (agents, encounters, checkpoint_generations) = schedule(&args)?;
    for spec in &agents {
        if spec.trim().eq_ignore_ascii_case("human") {
            bail!("`human` cannot play in a tournament");
        }
        arena
            .build(spec)
            .with_context(|| format!("agent `{spec}`"))?;
    }
    let definition = Definition {
        game: args.game.clone(),
        agents: agents.clone(),
        encounters: encounters.clone(),
        games_per_pair: args.games_per_pair,
        openings: args.openings.clone(),
        seed: args.seed,
    };
    let out = match &args.out {
        Some(d) => d.clone(),
        None => (1..)
            .map(|k| Path::new("runs/tournaments").join(format!("{}-{k}", arena.name())))
            .find(|p| !p.exists())
            .expect("a free number"),
    };
    let done = prepare(&out, &definition)?;
    let anchor = anchor(&args, &agents)?;

    let total = encounters.len() as u64 * args.games_per_pair;
    // Round by round, so that standings grow evenly: game g of every encounter, then g + 1.
    let jobs: Vec<(usize, u64)> = (0..args.games_per_pair)
        .flat_map(|g| (0..encounters.len()).map(move |e| (e, g)))
        .filter(|job| !done.contains_key(job))
        .collect();
    let threads = args
        .threads
        .map(|t| t as usize)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .clamp(1, jobs.len().max(1));
    let log = if args.no_log || jobs.is_empty() {
        None
    } else {
        Some(arena.open_log(
            &args.game,
            &out.join("episodes-v0"),
            format!("ludus tournament: {}", agents.join(", ")),
            serde_json::Map::from_iter([("source".to_string(), json!("ludus tournament"))]),
        )?)
    };
    if !done.is_empty() {
        eprintln!(
            "continuing {}: {} of {total} games already played",
            out.display(),
            done.len()
        );
    }
    let progress = ProgressBar::new(total);
    progress.set_position(done.len() as u64);
    progress.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} games  {msg}  [{elapsed} < {eta}]")
            .expect("valid template"),
    );
    let results = Mutex::new(done);
    let file = Mutex::new(
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(out.join("results.jsonl"))
            .with_context(|| format!("cannot write {}", out.join("results.jsonl").display()))?,
    );
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let first_error: Mutex<Option<anyhow::Error>> = Mutex::new(None);
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                let mut built: BTreeMap<usize, A::Player> = BTreeMap::new();
                while !failed.load(Ordering::Relaxed) {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&(e, g)) = jobs.get(k) else { break };
                    let outcome = (|| -> anyhow::Result<Line> {
                        let (i, j) = encounters[e];
                        for x in [i, j] {
                            if let std::collections::btree_map::Entry::Vacant(v) = built.entry(x) {
                                v.insert(arena.build(&agents[x])?);
                            }
                        }
                        let [mut ai, mut aj] = [i, j].map(|x| built.remove(&x).expect("built"));
                        let a_first = g % 2 == 0;
                        let seed = derive_seed(args.seed, ((e as u64) << 32) | g);
                        let played = {
                            let seats = if a_first {
                                [&mut ai, &mut aj]
                            } else {
                                [&mut aj, &mut ai]
                            };
                            arena.play(seats, g / 2, seed, log.is_some())
                        };
                        built.insert(i, ai);
                        built.insert(j, aj);
                        let played = played.with_context(|| {
                            format!("{} vs {}, game {}", agents[i], agents[j], g + 1)
                        })?;
                        let a_return = played.returns[if a_first { 0 } else { 1 }];
                        let line = Line {
                            encounter: e,
                            game: g,
                            a: agents[i].clone(),
                            b: agents[j].clone(),
                            a_first,
                            score_a: game_score(a_return),
                            plies: played.plies,
                        };
                        if let (Some(writer), Some(mut episode)) = (&log, played.episode) {
                            episode.extra_mut().insert("encounter".into(), json!(e));
                            episode.extra_mut().insert("game_index".into(), json!(g));
                            episode.write_to(writer)?;
                        }
                        let mut f = file.lock().expect("file lock");
                        writeln!(f, "{}", serde_json::to_string(&line)?)
                            .and_then(|()| f.flush())
                            .context("results.jsonl")?;
                        Ok(line)
                    })();
                    match outcome {
                        Ok(line) => {
                            let mut all = results.lock().expect("results lock");
                            all.insert((e, g), line);
                            progress.set_message(standings_line(&agents, &all));
                            progress.inc(1);
                        }
                        Err(err) => {
                            failed.store(true, Ordering::Relaxed);
                            first_error.lock().expect("error lock").get_or_insert(err);
                        }
                    }
                }
            });
        }
    });
    progress.finish_and_clear();
    if let Some(writer) = log {
        writer.finish().context("episode log")?;
    }
    if let Some(err) = first_error.into_inner().expect("error lock") {
        return Err(err.context(format!(
            "the tournament stopped; the games played are in {}, and the same command continues it",
            out.display()
        )));
    }
    let results = results.into_inner().expect("results lock");
    let elapsed = started.elapsed().as_secs_f64();
    report(
        &out,
        &agents,
        &encounters,
        &results,
        anchor,
        &args,
        checkpoint_generations.as_ref(),
    )?;
    eprintln!(
        "{} games in {elapsed:.0} s; results in {}",
        jobs.len(),
        out.display()
    );
    Ok(())
}

/// The agents and encounters: the listed agents, plus a run's checkpoints (each against every
/// listed agent) when asked.
type Schedule = (
    Vec<String>,
    Vec<(usize, usize)>,
    Option<Vec<(usize, usize)>>,
);

fn schedule(args: &Args) -> anyhow::Result<Schedule> {
    let mut agents: Vec<String> = args
        .agents
        .iter()
        .map(|a| a.trim().to_string())
        .filter(|a| !a.is_empty())
        .collect();
    let unique: BTreeSet<&String> = agents.iter().collect();
    if unique.len() != agents.len() {
        bail!("--agents lists an agent twice; give each once");
    }
    let pool = agents.len();
    let mut encounters = Vec::new();
    let gauntlet = args.format == "gauntlet";
    for i in 0..pool {
        for j in i + 1..pool {
            if !gauntlet || i == 0 {
                encounters.push((i, j));
            }
        }
    }
    let mut generations = None;
    if let Some(run) = &args.checkpoints {
        let state = std::fs::read_to_string(run.join("state.json"))
            .with_context(|| format!("--checkpoints {}: not a run directory", run.display()))?;
        let last = serde_json::from_str::<serde_json::Value>(&state)?["generation"]
            .as_u64()
            .unwrap_or(0) as usize;
        if last == 0 || args.every == 0 {
            bail!(
                "--checkpoints {}: no trained generation yet (or --every 0)",
                run.display()
            );
        }
        let mut gens: Vec<usize> = (0..=last).step_by(args.every).collect();
        if gens.last() != Some(&last) {
            gens.push(last);
        }
        let mut list = Vec::new();
        for g in gens {
            let mut spec = format!("az:{}@{g}", run.display());
            if let Some(s) = args.sims {
                spec.push_str(&format!(":sims={s}"));
            }
            agents.push(spec);
            let k = agents.len() - 1;
            list.push((g, k));
            for p in 0..pool {
                encounters.push((k, p));
            }
        }
        generations = Some(list);
    }
    if encounters.is_empty() {
        bail!("a tournament needs at least two agents");
    }
    Ok((agents, encounters, generations))
}

/// Creates `out` with the definition, or checks that it holds this tournament, and reads the
/// games already played.
fn prepare(out: &Path, definition: &Definition) -> anyhow::Result<BTreeMap<(usize, u64), Line>> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let path = out.join("tournament.json");
    if path.exists() {
        let saved: Definition = serde_json::from_str(&std::fs::read_to_string(&path)?)
            .with_context(|| format!("{} is damaged", path.display()))?;
        if &saved != definition {
            bail!(
                "{} holds another tournament (other agents, games or openings); choose another --out",
                out.display()
            );
        }
    } else {
        std::fs::write(&path, serde_json::to_string_pretty(definition)?)?;
    }
    let mut done = BTreeMap::new();
    let results = out.join("results.jsonl");
    if let Ok(text) = std::fs::read_to_string(&results) {
        let mut valid = String::new();
        for line in text.lines() {
            // A line cut short by a crash is not a result; the game is played again.
            if let Ok(l) = serde_json::from_str::<Line>(line) {
                valid.push_str(line);
                valid.push('\n');
                done.insert((l.encounter, l.game), l);
            }
        }
        // Drop the broken lines, so that new results do not append to half a line.
        if valid != text {
            let tmp = out.join(".results.jsonl.tmp");
            std::fs::write(&tmp, valid)?;
            std::fs::rename(&tmp, &results)?;
        }
    }
    Ok(done)
}

fn anchor(args: &Args, agents: &[String]) -> anyhow::Result<(usize, f64)> {
    let (name, elo) = match &args.anchor {
        Some(text) => match text.rsplit_once('=') {
            Some((n, e)) if e.parse::<f64>().is_ok() && agents.iter().any(|a| a == n) => {
                (n.to_string(), e.parse::<f64>()?)
            }
            _ => (text.clone(), 0.0),
        },
        None => {
            let name = if agents.iter().any(|a| a == "random") {
                "random".to_string()
            } else {
                agents[0].clone()
            };
            (name, 0.0)
        }
    };
    let index = agents.iter().position(|a| *a == name).ok_or_else(|| {
        anyhow::anyhow!(
            "--anchor `{name}` is not one of the agents ({})",
            agents.join(", ")
        )
    })?;
    Ok((index, elo))
}

/// `leader 61 % · second 55 % · …` by score so far.
fn standings_line(agents: &[String], results: &BTreeMap<(usize, u64), Line>) -> String {
    let mut points: BTreeMap<&str, (f64, u64)> = BTreeMap::new();
    for l in results.values() {
        let a = points.entry(&l.a).or_default();
        a.0 += l.score_a;
        a.1 += 1;
        let b = points.entry(&l.b).or_default();
        b.0 += 1.0 - l.score_a;
        b.1 += 1;
    }
    let mut order: Vec<(&str, f64)> = agents
        .iter()
        .filter_map(|a| {
            points
                .get(a.as_str())
                .map(|(p, n)| (a.as_str(), p / *n as f64))
        })
        .collect();
    order.sort_by(|x, y| y.1.total_cmp(&x.1));
    order
        .iter()
        .take(4)
        .map(|(a, s)| format!("{a} {:.0} %", 100.0 * s))
        .collect::<Vec<_>>()
        .join(" · ")
}

fn report(
    out: &Path,
    agents: &[String],
    encounters: &[(usize, usize)],
    results: &BTreeMap<(usize, u64), Line>,
    (anchor, anchor_elo): (usize, f64),
    args: &Args,
    checkpoints: Option<&Vec<(usize, usize)>>,
) -> anyhow::Result<()> {
    let games: Vec<GameResult> = results
        .values()
        .map(|l| {
            let (a, b) = encounters[l.encounter];
            GameResult {
                a,
                b,
                score_a: l.score_a,
                pair: Some(((l.encounter as u64) << 32) | (l.game / 2)),
            }
        })
        .collect();
    let ratings = fit(
        agents.len(),
        &games,
        &FitOptions {
            anchor,
            anchor_elo,
            bootstrap: args.bootstrap,
            seed: args.seed,
            ..FitOptions::default()
        },
    )?;
    let mut order: Vec<usize> = (0..agents.len()).collect();
    order.sort_by(|&x, &y| ratings.elo[y].total_cmp(&ratings.elo[x]));

    // Crosstable: the row agent's score against the column agent.
    let mut cross = vec![vec![None::<(f64, u64)>; agents.len()]; agents.len()];
    for g in &games {
        for (x, y, s) in [(g.a, g.b, g.score_a), (g.b, g.a, 1.0 - g.score_a)] {
            let cell = cross[x][y].get_or_insert((0.0, 0));
            cell.0 += s;
            cell.1 += 1;
        }
    }
    let table = rating_table(agents, &ratings, &order, anchor);
    println!("{table}");
    std::fs::write(out.join("ratings.txt"), &table)?;
    std::fs::write(
        out.join("ratings.md"),
        markdown(agents, &ratings, &order, &cross, args),
    )?;
    let mut csv = String::from("rank,agent,elo,lower,upper,games,score\n");
    for (rank, &i) in order.iter().enumerate() {
        csv.push_str(&format!(
            "{},\"{}\",{:.1},{:.1},{:.1},{},{:.4}\n",
            rank + 1,
            agents[i],
            ratings.elo[i],
            ratings.lower[i],
            ratings.upper[i],
            ratings.games[i],
            ratings.score[i]
        ));
    }
    std::fs::write(out.join("ratings.csv"), csv)?;
    let json = json!({
        "game": args.game, "anchor": {"agent": agents[anchor], "elo": anchor_elo},
        "agents": order.iter().map(|&i| json!({
            "agent": agents[i], "elo": ratings.elo[i], "lower": ratings.lower[i],
            "upper": ratings.upper[i], "games": ratings.games[i], "score": ratings.score[i],
        })).collect::<Vec<_>>(),
        "los": order.iter().map(|&i| order.iter().map(|&j| ratings.los[i][j]).collect::<Vec<_>>()).collect::<Vec<_>>(),
        "crosstable": order.iter().map(|&i| order.iter().map(|&j| cross[i][j].map(|(p, n)| p / n as f64)).collect::<Vec<_>>()).collect::<Vec<_>>(),
        "games": games.len(),
    });
    std::fs::write(
        out.join("ratings.json"),
        serde_json::to_string_pretty(&json)?,
    )?;
    let short: Vec<String> = order.iter().map(|&i| agents[i].clone()).collect();
    write_heat_map(
        &HeatMap {
            title: format!("{}: score of row against column", args.game),
            row_labels: short.clone(),
            col_labels: short,
            values: order
                .iter()
                .map(|&i| {
                    order
                        .iter()
                        .map(|&j| cross[i][j].map(|(p, n)| p / n as f64))
                        .collect()
                })
                .collect(),
            value_range: (0.0, 1.0),
            cell_text: true,
        },
        &out.join("crosstable"),
    )?;
    if let Some(list) = checkpoints {
        let points: Vec<(f64, f64)> = list
            .iter()
            .map(|&(g, k)| (g as f64, ratings.elo[k]))
            .collect();
        let band = list
            .iter()
            .map(|&(g, k)| (g as f64, ratings.lower[k], ratings.upper[k]))
            .collect();
        write_line_chart(
            &LineChart {
                title: format!("Elo over training ({} = {anchor_elo:.0})", agents[anchor]),
                x_label: "generation".into(),
                y_label: "Elo".into(),
                series: vec![Series::new("checkpoint", points).with_band(band)],
                y_range: None,
            },
            &out.join("elo-over-training"),
        )?;
    }
    Ok(())
}

fn rating_table(agents: &[String], r: &Ratings, order: &[usize], anchor: usize) -> String {
    let width = agents.iter().map(String::len).max().unwrap_or(5).max(5);
    let mut s = format!(
        "{:>4}  {:<width$}  {:>7}  {:>17}  {:>6}  {:>6}  {:>9}\n",
        "rank", "agent", "Elo", "95 % interval", "games", "score", "LOS next"
    );
    for (rank, &i) in order.iter().enumerate() {
        let los = order
            .get(rank + 1)
            .map_or(String::new(), |&j| format!("{:.1} %", 100.0 * r.los[i][j]));
        let interval = if i == anchor {
            "(anchor)".to_string()
        } else {
            format!("[{:+.0}, {:+.0}]", r.lower[i], r.upper[i])
        };
        s.push_str(&format!(
            "{:>4}  {:<width$}  {:>+7.0}  {:>17}  {:>6}  {:>5.1}%  {:>9}\n",
            rank + 1,
            agents[i],
            r.elo[i],
            interval,
            r.games[i],
            100.0 * r.score[i],
            los
        ));
    }
    s
}

fn markdown(
    agents: &[String],
    r: &Ratings,
    order: &[usize],
    cross: &[Vec<Option<(f64, u64)>>],
    args: &Args,
) -> String {
    let mut s = format!(
        "# Tournament: {}\n\n{} games per encounter, openings `{}`, seed {}.\n\n\
         | rank | agent | Elo | 95 % interval | games | score |\n|---:|---|---:|---|---:|---:|\n",
        args.game, args.games_per_pair, args.openings, args.seed
    );
    for (rank, &i) in order.iter().enumerate() {
        s.push_str(&format!(
            "| {} | `{}` | {:+.0} | [{:+.0}, {:+.0}] | {} | {:.1} % |\n",
            rank + 1,
            agents[i],
            r.elo[i],
            r.lower[i],
            r.upper[i],
            r.games[i],
            100.0 * r.score[i]
        ));
    }
    s.push_str("\nCrosstable (score of the row against the column):\n\n| |");
    for (k, _) in order.iter().enumerate() {
        s.push_str(&format!(" {} |", k + 1));
    }
    s.push_str("\n|---|");
    s.push_str(&"---:|".repeat(order.len()));
    s.push('\n');
    for (k, &i) in order.iter().enumerate() {
        s.push_str(&format!("| {} `{}` |", k + 1, agents[i]));
        for &j in order {
            match cross[i][j] {
                Some((p, n)) => s.push_str(&format!(" {:.0} % |", 100.0 * p / n as f64)),
                None => s.push_str(" |"),
            }
        }
        s.push('\n');
    }
    s
}
