//! `ludus episodes`: browse episode logs — list datasets, statistics, replay one game, export.

use std::collections::BTreeMap;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use anyhow::{bail, Context};
use ludus_core::{Game, GameState};
use ludus_episodes::{find_datasets, Dataset, Episode, EpisodeSummary, Filter};
use ludus_registry::{game_from_spec, GameVisitor, RegisteredGame};
use serde_json::{json, Value};

/// Browse episode logs (HDF5 datasets that Minari and h5py open): list them, summarise one,
/// replay a game move by move with the search's view, or export episodes as JSON lines.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Filters (--where, repeatable, all must hold): KEY OP VALUE with OP one of
= != < <= > >=, on plies, winner (a seat or `draw`), result (1-0, 0-1, 1/2-1/2), termination,
player (either seat), seat0, seat1, move1, move2, … or any episode attribute (generation, …).

Examples:
  ludus episodes list
  ludus episodes stats runs/connect4-1/episodes/selfplay-v0 --where generation>=50
  ludus episodes show runs/matches/connect4-alphabeta-vs-mcts_sims_1000-1-v0 --episode 3
  ludus episodes export runs/tictactoe-1/episodes/selfplay-v0 --where winner=draw --out draws.jsonl"
)]
pub struct Args {
    #[command(subcommand)]
    command: Sub,
}

#[derive(Debug, clap::Subcommand)]
enum Sub {
    /// List the datasets under a folder, with their game and size.
    List {
        /// Where to look (searched a few levels deep).
        #[arg(default_value = "runs")]
        root: PathBuf,
        /// One JSON object per dataset instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Games, plies, results by seat and by agent, game lengths and the most played openings.
    Stats {
        /// The dataset's directory.
        dataset: PathBuf,
        /// Only episodes matching these filters.
        #[arg(long = "where", value_name = "FILTER")]
        filters: Vec<String>,
        /// Plies that make an opening, for the opening table.
        #[arg(long, default_value_t = 2)]
        opening_plies: usize,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Replay one game in the terminal: the board after every move, with the search's top
    /// moves, their visit shares and values.
    Show {
        /// The dataset's directory.
        dataset: PathBuf,
        /// The episode's number (0-based).
        #[arg(long, default_value_t = 0)]
        episode: u64,
        /// Search moves shown per ply.
        #[arg(long, default_value_t = 3)]
        top: usize,
    },
    /// Write episodes as JSON lines (one object per episode) for other tools.
    Export {
        /// The dataset's directory.
        dataset: PathBuf,
        /// Output file (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Only episodes matching these filters.
        #[arg(long = "where", value_name = "FILTER")]
        filters: Vec<String>,
        /// Include the observation planes (large).
        #[arg(long)]
        observations: bool,
    },
}

pub fn run(args: Args) -> anyhow::Result<()> {
    match args.command {
        Sub::List { root, json } => list(&root, json),
        Sub::Stats {
            dataset,
            filters,
            opening_plies,
            json,
        } => stats(
            &open(&dataset)?,
            &parse_filters(&filters)?,
            opening_plies,
            json,
        ),
        Sub::Show {
            dataset,
            episode,
            top,
        } => {
            let ds = open(&dataset)?;
            if ds.info().ticks.is_some() {
                bail!(
                    "{} holds RTS games: replay one with `ludus rts replay {} --episode {episode} \
                     --watch` (or --html FILE)",
                    dataset.display(),
                    dataset.display()
                );
            }
            let spec = ds.info().game.clone();
            game_from_spec(&spec)
                .with_context(|| format!("the dataset's game `{spec}`"))?
                .visit(Show { ds, episode, top })
        }
        Sub::Export {
            dataset,
            out,
            filters,
            observations,
        } => export(
            &open(&dataset)?,
            out,
            &parse_filters(&filters)?,
            observations,
        ),
    }
}

fn open(path: &std::path::Path) -> anyhow::Result<Dataset> {
    Ok(Dataset::open(path)?)
}

fn parse_filters(filters: &[String]) -> anyhow::Result<Vec<Filter>> {
    filters
        .iter()
        .map(|f| f.parse::<Filter>().map_err(anyhow::Error::from))
        .collect()
}

/// The summaries that pass every filter.
fn selected(ds: &Dataset, filters: &[Filter]) -> anyhow::Result<Vec<EpisodeSummary>> {
    let mut out = Vec::new();
    for s in ds.summaries() {
        let s = s?;
        if filters.iter().all(|f| f.matches(&s)) {
            out.push(s);
        }
    }
    Ok(out)
}

fn list(root: &std::path::Path, as_json: bool) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    let found = find_datasets(root);
    if found.is_empty() && !as_json {
        writeln!(
            out,
            "no episode datasets under {} (`ludus train` and `ludus match` write them)",
            root.display()
        )?;
        return Ok(());
    }
    if !as_json {
        writeln!(
            out,
            "{:>8} {:>9} {:>8}  {:<12} dataset",
            "episodes", "plies", "MiB", "game"
        )?;
    }
    for dir in found {
        let size = dir_size(&dir.join("data")) as f64 / (1024.0 * 1024.0);
        match Dataset::open(&dir) {
            Ok(ds) if as_json => writeln!(
                out,
                "{}",
                json!({"dataset": dir, "game": ds.info().game, "id": ds.info().dataset_id,
                       "episodes": ds.len(), "plies": ds.total_steps(), "mib": size})
            ),
            Ok(ds) => writeln!(
                out,
                "{:>8} {:>9} {:>8.1}  {:<12} {}",
                ds.len(),
                ds.total_steps(),
                size,
                ds.info().game,
                dir.display()
            ),
            Err(e) if as_json => {
                writeln!(out, "{}", json!({"dataset": dir, "error": e.to_string()}))
            }
            Err(e) => writeln!(out, "{:>8} {:>9} {:>8.1}  unreadable: {e}", "?", "?", size),
        }?;
    }
    Ok(())
}

fn dir_size(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| match e.metadata() {
                    Ok(m) if m.is_dir() => dir_size(&e.path()),
                    Ok(m) => m.len(),
                    Err(_) => 0,
                })
                .sum()
        })
        .unwrap_or(0)
}

/// Wins, draws, losses (and unfinished) of one seat or agent.
#[derive(Debug, Default, Clone, Copy)]
struct Record {
    games: u64,
    wins: u64,
    draws: u64,
    losses: u64,
}

impl Record {
    fn add(&mut self, seat: usize, s: &EpisodeSummary) {
        self.games += 1;
        match s.winner {
            Some(w) if w == seat => self.wins += 1,
            Some(_) => self.losses += 1,
            None => self.draws += 1,
        }
    }

    fn score(&self) -> f64 {
        (self.wins as f64 + 0.5 * self.draws as f64) / self.games.max(1) as f64
    }

    fn to_json(self) -> Value {
        json!({"games": self.games, "wins": self.wins, "draws": self.draws,
               "losses": self.losses, "score": self.score()})
    }
}

fn stats(
    ds: &Dataset,
    filters: &[Filter],
    opening_plies: usize,
    as_json: bool,
) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    let games = selected(ds, filters)?;
    if games.is_empty() {
        bail!(
            "no episode of {} matches (it has {}); loosen --where",
            ds.dir().display(),
            ds.len()
        );
    }
    let seats = ds.info().num_players;
    let mut by_seat = vec![Record::default(); seats];
    let mut by_agent: BTreeMap<String, Record> = BTreeMap::new();
    let mut openings: BTreeMap<String, u64> = BTreeMap::new();
    let mut terminations: BTreeMap<&str, u64> = BTreeMap::new();
    let mut lengths: Vec<usize> = Vec::with_capacity(games.len());
    for g in &games {
        for (seat, record) in by_seat.iter_mut().enumerate() {
            record.add(seat, g);
        }
        // An agent playing itself counts once per seat.
        for (seat, name) in g.players.iter().enumerate() {
            by_agent.entry(name.clone()).or_default().add(seat, g);
        }
        let opening = g
            .moves
            .iter()
            .take(opening_plies)
            .cloned()
            .collect::<Vec<_>>();
        *openings.entry(opening.join(" ")).or_default() += 1;
        *terminations.entry(g.termination.as_str()).or_default() += 1;
        lengths.push(g.plies);
    }
    lengths.sort_unstable();
    let n = games.len() as u64;
    let plies: usize = lengths.iter().sum();
    let quantile = |q: f64| lengths[((lengths.len() - 1) as f64 * q).round() as usize];
    let mut top: Vec<(String, u64)> = openings.into_iter().collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    top.truncate(10);
    // Game lengths in ten equal-width bins.
    let (lo, hi) = (lengths[0], lengths[lengths.len() - 1]);
    let width = ((hi - lo) / 10 + 1).max(1);
    let mut bins = vec![0u64; (hi - lo) / width + 1];
    for &l in &lengths {
        bins[(l - lo) / width] += 1;
    }
    if as_json {
        let summary = json!({
            "dataset": ds.dir(), "game": ds.info().game, "episodes": n, "plies": plies,
            "plies_per_game": {"mean": plies as f64 / n as f64, "min": lo, "median": quantile(0.5),
                               "max": hi},
            "by_seat": by_seat.iter().map(|r| r.to_json()).collect::<Vec<_>>(),
            "by_agent": by_agent.iter().map(|(k, r)| (k.clone(), r.to_json())).collect::<serde_json::Map<_, _>>(),
            "terminations": terminations,
            "openings": top.iter().map(|(o, c)| json!({"moves": o, "games": c})).collect::<Vec<_>>(),
            "length_histogram": bins.iter().enumerate().map(|(k, c)| json!({"from": lo + k * width, "to": lo + (k + 1) * width - 1, "games": c})).collect::<Vec<_>>(),
        });
        writeln!(out, "{summary}")?;
        return Ok(());
    }
    writeln!(
        out,
        "{}: {} — {n} games, {plies} plies{}",
        ds.dir().display(),
        ds.info().game,
        if filters.is_empty() {
            String::new()
        } else {
            format!(" (of {} matching the filters)", ds.len())
        }
    )?;
    writeln!(
        out,
        "plies per game: mean {:.1}, min {lo}, median {}, max {hi}",
        plies as f64 / n as f64,
        quantile(0.5)
    )?;
    writeln!(out, "\nresults by seat:")?;
    for (seat, r) in by_seat.iter().enumerate() {
        writeln!(
            out,
            "  seat {seat}: +{} ={} -{}   score {:.1} %",
            r.wins,
            r.draws,
            r.losses,
            100.0 * r.score()
        )?;
    }
    writeln!(out, "\nresults by agent:")?;
    for (name, r) in &by_agent {
        writeln!(
            out,
            "  {name:<40} {:>6} games  +{} ={} -{}   score {:.1} %",
            r.games,
            r.wins,
            r.draws,
            r.losses,
            100.0 * r.score()
        )?;
    }
    let ends: Vec<String> = terminations
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    writeln!(out, "\nendings: {}", ends.join(", "))?;
    writeln!(out, "\ngame lengths:")?;
    let most = bins.iter().copied().max().unwrap_or(1).max(1);
    for (k, &c) in bins.iter().enumerate() {
        let from = lo + k * width;
        let bar = "#".repeat(((c as f64 / most as f64) * 40.0).round() as usize);
        writeln!(out, "  {:>4}–{:<4} {c:>6} {bar}", from, from + width - 1)?;
    }
    writeln!(out, "\nmost played openings ({opening_plies} plies):")?;
    for (moves, count) in &top {
        writeln!(
            out,
            "  {:<20} {count:>6} ({:.1} %)",
            moves,
            100.0 * *count as f64 / n as f64
        )?;
    }
    Ok(())
}

struct Show {
    ds: Dataset,
    episode: u64,
    top: usize,
}

impl GameVisitor for Show {
    type Output = anyhow::Result<()>;

    fn visit<G: RegisteredGame>(self, game: G) -> anyhow::Result<()> {
        let mut out = std::io::stdout().lock();
        let e = self.ds.episode(self.episode)?;
        let a = game.num_actions();
        if e.action_masks.len() != (e.plies() + 1) * a {
            bail!(
                "episode {} does not have {}'s {a} actions; was the dataset written for another game?",
                self.episode,
                game.name()
            );
        }
        writeln!(
            out,
            "episode {} of {}: {} — {}",
            self.episode,
            self.ds.dir().display(),
            e.players.join(" vs "),
            e.result()
        )?;
        let mut state = game.initial_state();
        writeln!(out, "\n{state}")?;
        for t in 0..e.plies() {
            let action = e.actions[t] as usize;
            let mover = e.to_play[t] as usize;
            writeln!(
                out,
                "\nply {}: seat {mover} ({}) plays {}",
                t + 1,
                e.players.get(mover).map_or("?", String::as_str),
                e.moves[t]
            )?;
            if let Some(line) = search_line(&game, &e, t, self.top) {
                writeln!(out, "  {line}")?;
            }
            state
                .apply(action)
                .with_context(|| format!("ply {}: the logged move is illegal here", t + 1))?;
            writeln!(out, "{state}")?;
        }
        writeln!(
            out,
            "\n{} after {} plies ({}); returns {:?}",
            e.result(),
            e.plies(),
            e.termination.as_str(),
            e.returns
        )?;
        Ok(())
    }
}

/// `search: c4 61 % (q +0.42), d4 20 % (q +0.10) · root +0.35 · net +0.30 · 200 sims`
fn search_line<G: Game>(game: &G, e: &Episode, t: usize, top: usize) -> Option<String> {
    let log = e.search.as_ref()?;
    if log.simulations[t] == 0 {
        return None;
    }
    let a = game.num_actions();
    let row = t * a..(t + 1) * a;
    let visits = &log.visits[row.clone()];
    let total: u32 = visits.iter().sum();
    let mut order: Vec<usize> = (0..a).filter(|&k| visits[k] > 0).collect();
    order.sort_by(|&x, &y| visits[y].cmp(&visits[x]).then(x.cmp(&y)));
    let moves: Vec<String> = order
        .iter()
        .take(top)
        .map(|&k| {
            format!(
                "{} {:.0} % (q {:+.2})",
                game.action_to_string(k),
                100.0 * visits[k] as f64 / total.max(1) as f64,
                log.q[row.start + k]
            )
        })
        .collect();
    let mut line = format!("search: {}", moves.join(", "));
    line.push_str(&format!(" · root {:+.2}", log.root_value[t]));
    if e.value_pred[t].is_finite() {
        line.push_str(&format!(" · net {:+.2}", e.value_pred[t]));
    }
    line.push_str(&format!(" · {} sims", log.simulations[t]));
    Some(line)
}

fn export(
    ds: &Dataset,
    out: Option<PathBuf>,
    filters: &[Filter],
    observations: bool,
) -> anyhow::Result<()> {
    let sink: Box<dyn Write> = match &out {
        Some(path) => Box::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?,
        ),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut sink = BufWriter::new(sink);
    let mut written = 0u64;
    for s in ds.summaries() {
        let s = s?;
        if !filters.iter().all(|f| f.matches(&s)) {
            continue;
        }
        if ds.info().ticks.is_some() {
            let e = ds.tick_episode(s.index)?;
            let mut object = json!({
                "episode": s.index, "players": e.players, "result": s.result,
                "winner": e.winner(), "returns": e.returns, "termination": e.termination.as_str(),
                "seed": e.seed, "ticks": e.ticks(), "orders": e.orders, "attributes": e.extra,
            });
            if observations {
                object["observations"] = json!(e.observations);
                object["actions"] = json!(e.actions);
                object["tick_layout"] = json!(ds.info().ticks);
            }
            serde_json::to_writer(&mut sink, &object)?;
            sink.write_all(b"\n")?;
            written += 1;
            continue;
        }
        let e = ds.episode(s.index)?;
        let nan_to_null = |v: &[f32]| -> Vec<Value> {
            v.iter()
                .map(|&x| if x.is_finite() { json!(x) } else { Value::Null })
                .collect()
        };
        let mut object = json!({
            "episode": s.index, "players": e.players, "result": e.result(), "winner": e.winner(),
            "returns": e.returns, "termination": e.termination.as_str(), "seed": e.seed,
            "plies": e.plies(), "moves": e.moves, "actions": e.actions, "to_play": e.to_play,
            "value_pred": nan_to_null(&e.value_pred), "attributes": e.extra,
        });
        if let Some(log) = &e.search {
            object["search"] = json!({
                "visits": log.visits, "policy": log.policy, "q": nan_to_null(&log.q),
                "root_value": nan_to_null(&log.root_value), "simulations": log.simulations,
            });
        }
        if observations {
            object["observations"] = json!(e.observations);
            object["observation_shape"] = json!(ds.info().observation_shape);
        }
        serde_json::to_writer(&mut sink, &object)?;
        sink.write_all(b"\n")?;
        written += 1;
    }
    sink.flush()?;
    if let Some(path) = out {
        eprintln!("{written} episodes written to {}", path.display());
    }
    Ok(())
}
