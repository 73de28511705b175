//! `ludus rts`: the microRTS-compatible real-time strategy game — play bots against each other
//! (with a live terminal view), time the engine, and serve an agent to microRTS over its
//! socket protocol.

use std::io::{BufReader, BufWriter, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};

use ludus_core::derive_seed;
use ludus_rts::socket::serve_session;

use crate::arena::{Arena, Played, Record};
use ludus_episodes::{rts_dataset_info, DatasetWriter, TickRecorder, WriterOptions};
use ludus_rts::{apply, decide};
use ludus_rts::{
    parse_bot, step, GameState, IssueReport, Map, RtsAgent, RunOptions, UnitTypeTable,
};

/// The microRTS-compatible real-time strategy game: play its scripted bots against each other
/// (live view with --watch) and serve a Ludus agent to microRTS over its socket protocol
#[derive(Debug, Parser)]
pub struct Args {
    #[command(subcommand)]
    command: RtsCommand,
}

#[derive(Debug, Subcommand)]
enum RtsCommand {
    /// Play games between two bots and print the results (`--watch` draws the map every cycle)
    Play(PlayArgs),
    /// Be the server side of microRTS's SocketAI (JSON): microRTS connects, sends states, and
    /// this agent answers with orders for its idle units
    Serve(ServeArgs),
    /// Replay a logged game (from `ludus match --game rts … --log DIR`) in the terminal, or
    /// export it as SVG frames or one HTML page; checks that the replay ends as the log says
    Replay(ReplayArgs),
    /// Check our engine against a game traced on the Java engine
    /// (scripts/microrts/RunGame.java --trace): replay the Java bots' actions here and compare
    /// every cycle's units and resources
    Conform(ConformArgs),
}

#[derive(Debug, clap::Args)]
struct ConformArgs {
    /// The trace RunGame.java printed with --trace
    trace: std::path::PathBuf,
    /// The map the game was played on (a microRTS XML file)
    #[arg(long)]
    map: String,
    /// The unit-type table it was played with (1 or 2)
    #[arg(long, default_value_t = 2)]
    utt: u8,
}

#[derive(Debug, clap::Args)]
struct ReplayArgs {
    /// The episode dataset's directory
    dataset: std::path::PathBuf,
    /// Which game (0-based)
    #[arg(long, default_value_t = 0)]
    episode: u64,
    /// Draw the map in the terminal every cycle
    #[arg(long)]
    watch: bool,
    /// Pause between drawn cycles, in milliseconds
    #[arg(long, default_value_t = 50)]
    delay_ms: u64,
    /// Write the game as one HTML page (SVG frames and a slider)
    #[arg(long, value_name = "FILE")]
    html: Option<std::path::PathBuf>,
    /// Write SVG frames (frame-CYCLE.svg) into this directory
    #[arg(long, value_name = "DIR")]
    svg: Option<std::path::PathBuf>,
    /// Keep every this many cycles in the exported frames (default: about 1,000 frames in all)
    #[arg(long)]
    every: Option<usize>,
}

/// Where the game is played and under which rules.
#[derive(Debug, clap::Args)]
struct GameArgs {
    /// A microRTS map file (XML), or the generator: gen:WxH[:workers=N][:resources=N]
    /// [:patches=N][:walls=N][:stock=N][:seed=S]
    #[arg(long, default_value = "gen:8x8")]
    map: String,
    /// Unit-type table: 1 (microRTS's original, gym-µRTS) or 2 (the competition's)
    #[arg(long, default_value_t = 2)]
    utt: u8,
    /// The game is a draw at this cycle (microRTS: 3000 on 8×8, 4000–5000 on 16×16)
    #[arg(long, default_value_t = 3000)]
    max_cycles: i32,
    /// Each player sees only what its units see
    #[arg(long)]
    partial_observability: bool,
}

#[derive(Debug, clap::Args)]
struct PlayArgs {
    #[command(flatten)]
    game: GameArgs,
    /// Player 0 (rts:workerrush, rts:lightrush, rts:heavyrush, rts:rangedrush, rts:random,
    /// rts:randombiased, rts:passive)
    #[arg(long)]
    p0: String,
    /// Player 1
    #[arg(long)]
    p1: String,
    /// Games to play; odd games swap the seats (player 0 is --p1)
    #[arg(long, default_value_t = 1)]
    games: usize,
    /// Seed of the random bots and of random damage
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Draw the map in the terminal every cycle
    #[arg(long)]
    watch: bool,
    /// Pause between drawn cycles, in milliseconds
    #[arg(long, default_value_t = 50)]
    delay_ms: u64,
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// The agent microRTS plays against (e.g. rts:workerrush)
    #[arg(long)]
    agent: String,
    /// Port to listen on (microRTS's default is 9898)
    #[arg(long, default_value_t = 9898)]
    port: u16,
    /// Address to listen on; loopback by default, so nothing outside this machine can connect
    #[arg(long, default_value = "127.0.0.1")]
    bind: String,
    /// Serve one connection, then exit (default: serve connections until killed)
    #[arg(long)]
    once: bool,
    /// Connect to microRTS instead (its SERVER launch mode), at HOST:PORT
    #[arg(long, value_name = "HOST:PORT")]
    connect: Option<String>,
}

pub fn run(args: Args) -> Result<()> {
    match args.command {
        RtsCommand::Play(a) => play(a),
        RtsCommand::Serve(a) => serve(a),
        RtsCommand::Replay(a) => replay(a),
        RtsCommand::Conform(a) => conform(a),
    }
}

fn table(version: u8) -> Result<UnitTypeTable> {
    Ok(match version {
        1 => UnitTypeTable::v1(),
        2 => UnitTypeTable::v2(),
        other => bail!("unit table {other}: the built-in unit tables are 1 and 2"),
    })
}

/// A bot from an `rts:NAME` spec.
fn bot(spec: &str, seed: u64) -> Result<Box<dyn RtsAgent>> {
    if let Some(rest) = spec.strip_prefix("ppo:") {
        return ppo_agent(spec, rest, seed);
    }
    let name = spec.strip_prefix("rts:").unwrap_or(spec);
    parse_bot(name, seed).with_context(|| {
        format!(
            "unknown RTS agent `{spec}`; accepted: rts:NAME with NAME one of {}, or ppo:RUN_DIR[@UPDATE][:greedy]",
            ludus_rts::BOT_NAMES
        )
    })
}

/// A trained RTS agent: `ppo:RUN_DIR[@UPDATE][:greedy]` (latest checkpoint unless UPDATE is
/// given; choices sampled unless `greedy`).
fn ppo_agent(spec: &str, rest: &str, seed: u64) -> Result<Box<dyn RtsAgent>> {
    let (path, greedy) = match rest.strip_suffix(":greedy") {
        Some(p) => (p, true),
        None => (rest, false),
    };
    let (dir, update) = match path.rsplit_once('@') {
        Some((d, u)) => (
            d,
            Some(
                u.parse::<u64>()
                    .with_context(|| format!("`{spec}`: `@{u}` is not an update number"))?,
            ),
        ),
        None => (path, None),
    };
    let (policy, config) = ludus_rts_ppo::trainer::load_run_policy(
        std::path::Path::new(dir),
        update,
        &ludus_nn::candle_core::Device::Cpu,
    )
    .with_context(|| format!("agent `{spec}`"))?;
    let map = Map::from_spec(&config.game.map, &table(config.game.utt)?)?;
    let max_cycles = config
        .game
        .max_cycles
        .unwrap_or_else(|| map.competition_cycles());
    let mut agent = ludus_rts_ppo::PolicyAgent::new(spec.to_string(), policy, max_cycles, greedy);
    agent.reseed(seed);
    Ok(Box::new(agent))
}

fn play(args: PlayArgs) -> Result<()> {
    if args.game.max_cycles < 1 {
        bail!("--max-cycles must be at least 1");
    }
    let utt = Arc::new(table(args.game.utt)?);
    let map = Map::from_spec(&args.game.map, &utt)?;
    let options = RunOptions {
        max_cycles: args.game.max_cycles,
        partial_observability: args.game.partial_observability,
    };
    let specs = [args.p0.as_str(), args.p1.as_str()];
    let mut bots = [
        bot(specs[0], args.seed)?,
        bot(specs[1], args.seed.wrapping_add(1))?,
    ];
    let mut wins = [0usize; 2];
    let mut draws = 0;
    let mut total_cycles = 0u64;
    let start = Instant::now();
    for g in 0..args.games {
        // Seat of specs[0] in this game.
        let swap = g % 2 == 1;
        let mut state = map.start(utt.clone(), args.seed.wrapping_add(g as u64))?;
        let mut reports = [IssueReport::default(); 2];
        for b in bots.iter_mut() {
            b.reset();
        }
        let (first, second) = bots.split_at_mut(1);
        let (a, b) = (first[0].as_mut(), second[0].as_mut());
        let mut seats: [&mut dyn RtsAgent; 2] = if swap { [b, a] } else { [a, b] };
        let mut over = state.is_over();
        while !over && state.time() < options.max_cycles {
            if args.watch {
                draw(&state, &[seats[0].name(), seats[1].name()])?;
                std::thread::sleep(Duration::from_millis(args.delay_ms));
            }
            over = step(&mut state, &mut seats, &options, &mut reports)?;
        }
        if args.watch {
            draw(&state, &[seats[0].name(), seats[1].name()])?;
        }
        total_cycles += state.time() as u64;
        let winner = state.winner();
        let result = match winner {
            Some(seat) => {
                let who = if swap { 1 - seat } else { seat };
                wins[who] += 1;
                format!("{} (player {seat}) wins", specs[who])
            }
            None => {
                draws += 1;
                "draw".to_string()
            }
        };
        println!(
            "game {}: player 0 = {}, player 1 = {}: {result} at cycle {}",
            g + 1,
            specs[usize::from(swap)],
            specs[usize::from(!swap)],
            state.time()
        );
        let bad: usize = reports.iter().map(|r| r.inconsistent).sum();
        if bad > 0 {
            println!("  {bad} orders clashed with running actions (a bot ignored reservations)");
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{} wins {}, {} wins {}, draws {draws}; {total_cycles} cycles in {secs:.2} s ({:.0} cycles/s)",
        specs[0],
        wins[0],
        specs[1],
        wins[1],
        total_cycles as f64 / secs.max(1e-9)
    );
    Ok(())
}

/// The map as text: `#` wall, `R` resource, and per unit a letter (Base, Kaserne = barracks,
/// Worker, Light, Heavy, rAnged), upper case for player 0 and lower case for player 1.
pub fn render(state: &GameState) -> String {
    let mut out = String::new();
    for y in 0..state.height() {
        for x in 0..state.width() {
            let c = match state.unit_at(x, y) {
                Some(u) => {
                    let name = &state.utt().get(u.kind).name;
                    let letter = match name.as_str() {
                        "Resource" => 'R',
                        "Barracks" => 'K',
                        "Ranged" => 'A',
                        other => other.chars().next().unwrap_or('?'),
                    };
                    if u.player == 1 {
                        letter.to_ascii_lowercase()
                    } else {
                        letter
                    }
                }
                None if state.is_wall(x, y) => '#',
                None => '.',
            };
            out.push(c);
            out.push(' ');
        }
        out.push('\n');
    }
    out
}

fn draw(state: &GameState, names: &[String; 2]) -> Result<()> {
    let counts = state.unit_counts();
    let r = state.resources();
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "\x1b[2J\x1b[H{}cycle {}   player 0 ({}): {} units, {} resources   player 1 ({}): {} units, {} resources",
        render(state),
        state.time(),
        names[0],
        counts[0],
        r[0],
        names[1],
        counts[1],
        r[1]
    )?;
    out.flush()?;
    Ok(())
}

fn serve(args: ServeArgs) -> Result<()> {
    let mut agent = bot(&args.agent, 0)?;
    let log = |m: &str| eprintln!("ludus rts serve: {m}");
    if let Some(target) = &args.connect {
        let stream = TcpStream::connect(target)
            .with_context(|| format!("cannot connect to microRTS at {target}"))?;
        return session(stream, agent.as_mut(), &log);
    }
    let listener = TcpListener::bind((args.bind.as_str(), args.port))
        .with_context(|| format!("cannot listen on {}:{}", args.bind, args.port))?;
    eprintln!(
        "ludus rts serve: {} waiting for microRTS on {}:{}",
        agent.name(),
        args.bind,
        args.port
    );
    for stream in listener.incoming() {
        let stream = stream.context("accepting a connection")?;
        if let Err(e) = session(stream, agent.as_mut(), &log) {
            eprintln!("ludus rts serve: the connection ended with an error: {e:#}");
        }
        if args.once {
            break;
        }
    }
    Ok(())
}

fn session(stream: TcpStream, agent: &mut dyn RtsAgent, log: &dyn Fn(&str)) -> Result<()> {
    stream.set_nodelay(true).ok();
    let peer = stream
        .peer_addr()
        .map(|a| a.to_string())
        .unwrap_or_else(|_| "?".into());
    let reader = BufReader::new(stream.try_clone().context("cloning the socket")?);
    let writer = BufWriter::new(stream);
    let summary = serve_session(reader, writer, agent, log)
        .with_context(|| format!("talking to microRTS at {peer}"))?;
    eprintln!(
        "ludus rts serve: {peer} done: {} games, {} getAction, winners {:?}, {} malformed messages, slowest answer {} ms",
        summary.games, summary.get_actions, summary.winners, summary.malformed, summary.slowest_ms
    );
    Ok(())
}

/// Whether a `--game` spec names the RTS (`rts` or `rts:…`).
pub fn is_rts_game(spec: &str) -> bool {
    spec == "rts" || spec.starts_with("rts:")
}

/// The RTS as an arena for `ludus match` and `ludus tournament`: game spec
/// `rts[:utt=1|2][:cycles=N][:po][:MAP]`, where MAP is a map file or `gen:…` (default
/// `gen:8x8`), the unit table defaults to 2 and the cycle limit to microRTS's competition limit
/// for the map's size (3000 up to 8×8, 4000 up to 16×16, 5000, 6000, then 8000).
pub struct RtsArena {
    map: Map,
    utt: Arc<UnitTypeTable>,
    options: RunOptions,
}

impl RtsArena {
    pub fn parse(spec: &str) -> Result<Self> {
        let rest = spec.strip_prefix("rts").unwrap_or(spec);
        let mut parts: Vec<&str> = rest.split(':').skip(1).collect();
        let mut version = 2;
        let mut cycles = None;
        let mut partial = false;
        while let Some(&first) = parts.first() {
            if let Some(v) = first.strip_prefix("utt=") {
                version = v
                    .parse()
                    .with_context(|| format!("`{spec}`: utt={v} is not 1 or 2"))?;
            } else if let Some(c) = first.strip_prefix("cycles=") {
                let c: i32 = c
                    .parse()
                    .ok()
                    .filter(|&c| c >= 1)
                    .with_context(|| format!("`{spec}`: cycles={c} is not a count ≥ 1"))?;
                cycles = Some(c);
            } else if first == "po" {
                partial = true;
            } else {
                break;
            }
            parts.remove(0);
        }
        let map_spec = if parts.is_empty() {
            "gen:8x8".to_string()
        } else {
            parts.join(":")
        };
        let utt = Arc::new(table(version)?);
        let map = Map::from_spec(&map_spec, &utt).with_context(|| format!("game `{spec}`"))?;
        let max_cycles = cycles.unwrap_or_else(|| map.competition_cycles());
        Ok(RtsArena {
            map,
            utt,
            options: RunOptions {
                max_cycles,
                partial_observability: partial,
            },
        })
    }
}

impl Arena for RtsArena {
    type Player = Box<dyn RtsAgent>;

    fn name(&self) -> String {
        "rts".into()
    }

    fn step_unit(&self) -> &'static str {
        "cycles"
    }

    fn build(&self, spec: &str) -> Result<Self::Player> {
        bot(spec, 0)
    }

    fn play(
        &self,
        seats: [&mut Self::Player; 2],
        _pair: u64,
        seed: u64,
        record: bool,
    ) -> Result<Played> {
        let [a, b] = seats;
        for (k, agent) in [&mut *a, &mut *b].into_iter().enumerate() {
            agent.reset();
            agent.reseed(derive_seed(seed, k as u64));
        }
        let names = [a.name(), b.name()];
        let mut seats: [&mut dyn RtsAgent; 2] = [&mut **a, &mut **b];
        let mut state = self.map.start(self.utt.clone(), seed)?;
        let partial = self.options.partial_observability;
        let mut recorder = record
            .then(|| TickRecorder::new(&state, &self.map.name, self.options.max_cycles, partial));
        let mut reports = [IssueReport::default(); 2];
        let mut over = state.is_over();
        while !over && state.time() < self.options.max_cycles {
            let decided = decide(&state, &mut seats, &self.options);
            if let Some(r) = &mut recorder {
                r.record(&state, &decided);
            }
            over = apply(&mut state, &decided, &mut reports)?;
        }
        let returns = state.returns().to_vec();
        let episode = recorder.map(|r| {
            Record::Ticks(r.finish(&state, names.to_vec(), Some(seed), serde_json::Map::new()))
        });
        Ok(Played {
            returns,
            plies: state.time() as usize,
            episode,
        })
    }

    fn open_log(
        &self,
        spec: &str,
        dir: &std::path::Path,
        description: String,
        extra: serde_json::Map<String, serde_json::Value>,
    ) -> Result<ludus_episodes::DatasetWriter> {
        let info = rts_dataset_info(
            crate::match_cmd::dataset_id_for(dir),
            spec.to_string(),
            &self.map,
            self.options.partial_observability,
            description,
            extra,
        );
        DatasetWriter::create(dir, info, WriterOptions::default())
            .with_context(|| format!("episode log {}", dir.display()))
    }
}

fn replay(args: ReplayArgs) -> Result<()> {
    let dataset = ludus_episodes::Dataset::open(&args.dataset)?;
    if dataset.info().ticks.is_none() {
        bail!(
            "{} holds turn-based games; replay them with `ludus episodes show`",
            args.dataset.display()
        );
    }
    let episode = dataset.tick_episode(args.episode)?;
    let text = |key: &str| -> Result<String> {
        episode
            .extra
            .get(key)
            .and_then(|v| v.as_str())
            .map(str::to_string)
            .with_context(|| {
                format!(
                    "episode {} has no `{key}` attribute to replay from",
                    args.episode
                )
            })
    };
    let utt = Arc::new(UnitTypeTable::from_json(&text("utt")?)?);
    let mut state = ludus_rts::socket::state_from_json(&text("initial_state")?, &utt)?;
    state.set_seed(episode.seed.unwrap_or(0));
    let ticks = episode.ticks();
    let every = args.every.unwrap_or((ticks / 1000).max(1)).max(1);
    let mut frames: Vec<(i32, String)> = Vec::new();
    let mut reports = [IssueReport::default(); 2];
    let names = [episode.players[0].clone(), episode.players[1].clone()];
    for t in 0..=ticks {
        if args.watch {
            draw(&state, &names)?;
            std::thread::sleep(Duration::from_millis(args.delay_ms));
        }
        if (args.html.is_some() || args.svg.is_some()) && (t % every == 0 || t == ticks) {
            frames.push((state.time(), svg_frame(&state, &names)));
        }
        if t == ticks {
            break;
        }
        let mut orders = [Vec::new(), Vec::new()];
        for (p, o) in orders.iter_mut().enumerate() {
            *o = ludus_rts::socket::orders_from_json(&episode.orders[p][t], &utt)
                .with_context(|| format!("orders of player {p} at tick {t}"))?;
        }
        apply(&mut state, &orders, &mut reports)?;
    }
    if let Some(dir) = &args.svg {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        for (cycle, svg) in &frames {
            let path = dir.join(format!("frame-{cycle:05}.svg"));
            std::fs::write(&path, svg)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        println!("{} SVG frames in {}", frames.len(), dir.display());
    }
    if let Some(path) = &args.html {
        std::fs::write(path, html_page(&names, &frames))
            .with_context(|| format!("cannot write {}", path.display()))?;
        println!("{} frames in {}", frames.len(), path.display());
    }
    let logged = episode.winner();
    let replayed = if state.is_over() {
        state.winner()
    } else {
        None
    };
    if replayed != logged {
        bail!(
            "the replay diverged from the log: it ends at cycle {} with winner {replayed:?}, the log \
             says {logged:?} (was the game logged by another engine version?)",
            state.time()
        );
    }
    println!(
        "replayed episode {} ({} vs {}): {} at cycle {}, as logged",
        args.episode,
        names[0],
        names[1],
        match replayed {
            Some(p) => format!("{} (player {p}) wins", names[p]),
            None => "draw".into(),
        },
        state.time()
    );
    Ok(())
}

/// One frame as SVG: the grid, walls, resources with their amounts, and units (squares for
/// buildings, circles for the rest) in blue for player 0 and red for player 1, with hit points.
pub fn svg_frame(state: &GameState, names: &[String; 2]) -> String {
    const CELL: i32 = 24;
    let (w, h) = (state.width() * CELL, state.height() * CELL);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{}\" \
         font-family=\"sans-serif\" font-size=\"11\">\n<rect width=\"{w}\" height=\"{h}\" fill=\"#f4f1e8\"/>\n",
        h + 36
    );
    for y in 0..state.height() {
        for x in 0..state.width() {
            if state.is_wall(x, y) {
                svg += &format!(
                    "<rect x=\"{}\" y=\"{}\" width=\"{CELL}\" height=\"{CELL}\" fill=\"#555\"/>\n",
                    x * CELL,
                    y * CELL
                );
            }
        }
    }
    for i in 0..=state.width() {
        svg += &format!(
            "<line x1=\"{0}\" y1=\"0\" x2=\"{0}\" y2=\"{h}\" stroke=\"#ddd\"/>\n",
            i * CELL
        );
    }
    for j in 0..=state.height() {
        svg += &format!(
            "<line x1=\"0\" y1=\"{0}\" x2=\"{w}\" y2=\"{0}\" stroke=\"#ddd\"/>\n",
            j * CELL
        );
    }
    for u in state.units() {
        let ty = state.utt().get(u.kind);
        let (cx, cy) = (u.x * CELL + CELL / 2, u.y * CELL + CELL / 2);
        let color = match u.player {
            0 => "#2b6cb0",
            1 => "#c53030",
            _ => "#2f855a",
        };
        let label = match ty.name.as_str() {
            "Resource" => u.resources.to_string(),
            "Barracks" => "K".into(),
            "Ranged" => "A".into(),
            other => other.chars().next().unwrap_or('?').to_string(),
        };
        if ty.is_resource || !ty.can_move {
            svg += &format!(
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{color}\" rx=\"3\"/>\n",
                u.x * CELL + 2,
                u.y * CELL + 2,
                CELL - 4,
                CELL - 4
            );
        } else {
            svg += &format!(
                "<circle cx=\"{cx}\" cy=\"{cy}\" r=\"{}\" fill=\"{color}\"/>\n",
                CELL / 2 - 3
            );
        }
        svg += &format!(
            "<text x=\"{cx}\" y=\"{}\" fill=\"white\" text-anchor=\"middle\">{label}</text>\n",
            cy + 4
        );
        if u.player >= 0 && ty.hp > 1 {
            let width = (CELL - 4) * u.hp.max(0) / ty.hp;
            svg += &format!(
                "<rect x=\"{}\" y=\"{}\" width=\"{width}\" height=\"2\" fill=\"#38a169\"/>\n",
                u.x * CELL + 2,
                u.y * CELL + CELL - 3
            );
        }
    }
    let r = state.resources();
    svg += &format!(
        "<text x=\"4\" y=\"{}\">cycle {}</text>\n<text x=\"4\" y=\"{}\" fill=\"#2b6cb0\">{}: {} resources</text>\n\
         <text x=\"{}\" y=\"{}\" fill=\"#c53030\" text-anchor=\"end\">{}: {} resources</text>\n</svg>\n",
        h + 14,
        state.time(),
        h + 30,
        xml_escape(&names[0]),
        r[0],
        w - 4,
        h + 30,
        xml_escape(&names[1]),
        r[1]
    );
    svg
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// One self-contained page: the frames and a slider (with play/pause) to step through them.
fn html_page(names: &[String; 2], frames: &[(i32, String)]) -> String {
    let list: Vec<&str> = frames.iter().map(|(_, s)| s.as_str()).collect();
    let data = serde_json::to_string(&list).expect("strings serialise");
    format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>{} vs {}</title></head>\n\
         <body style=\"font-family:sans-serif\">\n<div id=\"frame\"></div>\n\
         <input id=\"slider\" type=\"range\" min=\"0\" max=\"{}\" value=\"0\" style=\"width:480px\">\n\
         <button id=\"play\">play</button>\n<script>\nconst frames = {data};\n\
         const view = document.getElementById('frame'), slider = document.getElementById('slider');\n\
         function show(i) {{ view.innerHTML = frames[i]; slider.value = i; }}\n\
         slider.oninput = () => show(+slider.value);\nlet timer = null;\n\
         document.getElementById('play').onclick = () => {{\n\
           if (timer) {{ clearInterval(timer); timer = null; return; }}\n\
           timer = setInterval(() => {{ const i = +slider.value + 1;\n\
             if (i >= frames.length) {{ clearInterval(timer); timer = null; }} else show(i); }}, 60);\n}};\n\
         show(0);\n</script></body></html>\n",
        xml_escape(&names[0]),
        xml_escape(&names[1]),
        frames.len().saturating_sub(1)
    )
}

fn conform(args: ConformArgs) -> Result<()> {
    let utt = Arc::new(table(args.utt)?);
    let map = Map::from_spec(&args.map, &utt)?;
    let mut state = map.start(utt.clone(), 0)?;
    let text = std::fs::read_to_string(&args.trace)
        .with_context(|| format!("cannot read {}", args.trace.display()))?;
    let mut reports = [IssueReport::default(); 2];
    let mut orders: [Option<Vec<(u64, ludus_rts::UnitAction)>>; 2] = [None, None];
    let mut cycles = 0;
    for (n, line) in text.lines().enumerate() {
        let at = || format!("{}:{}", args.trace.display(), n + 1);
        if let Some(rest) = line
            .strip_prefix("p0 ")
            .or_else(|| line.strip_prefix("p1 "))
        {
            let p = usize::from(line.starts_with("p1"));
            orders[p] = Some(
                ludus_rts::socket::orders_from_json(rest, &utt)
                    .with_context(|| format!("{}: unreadable actions", at()))?,
            );
            if let [Some(a), Some(b)] = &orders {
                apply(&mut state, &[a.clone(), b.clone()], &mut reports)?;
                orders = [None, None];
            }
        } else if line.starts_with("t ") {
            let ours = state.trace_line();
            if ours != line {
                bail!(
                    "the engines differ at cycle {} ({}):\n  java:  {line}\n  ludus: {ours}",
                    state.time(),
                    at()
                );
            }
            cycles = state.time();
        } else if let Some(rest) = line.strip_prefix("game ") {
            let words: Vec<&str> = rest.split_whitespace().collect();
            let winner: i64 = words.get(2).and_then(|w| w.parse().ok()).unwrap_or(-9);
            let ours = state.winner().map_or(-1, |w| w as i64);
            if winner != ours {
                bail!("java's winner is {winner}, ours {ours} ({})", at());
            }
            println!(
                "identical to the Java engine for {cycles} cycles; winner {ours} at cycle {}",
                state.time()
            );
            return Ok(());
        }
    }
    bail!(
        "{}: no `game` line: is it a RunGame.java --trace output?",
        args.trace.display()
    )
}
