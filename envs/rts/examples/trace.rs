//! Plays one game and prints a per-cycle trace in the format of `scripts/microrts/RunGame.java`
//! (`t TIME r R0,R1 u ID:TYPE:PLAYER:X:Y:HP:RES …`, units sorted by id), so that a game on our
//! engine can be diffed against the same game on microRTS's.
//!
//! ```text
//! cargo run --release -p ludus-rts --example trace -- MAP UTT P0 P1 MAX_CYCLES [--trace]
//! ```
//! MAP: a microRTS XML path or `gen:…`; UTT: 1 or 2; P0/P1: bot names (workerrush, …).

use std::process::ExitCode;
use std::sync::Arc;

use ludus_rts::{parse_bot, play, Map, RunOptions, UnitTypeTable};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 5 {
        eprintln!("usage: trace MAP UTT P0 P1 MAX_CYCLES [--trace]");
        return ExitCode::FAILURE;
    }
    let utt = Arc::new(if args[1] == "1" {
        UnitTypeTable::v1()
    } else {
        UnitTypeTable::v2()
    });
    let map = match Map::from_spec(&args[0], &utt) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let (Some(mut a), Some(mut b)) = (parse_bot(&args[2], 1), parse_bot(&args[3], 2)) else {
        eprintln!("unknown bot");
        return ExitCode::FAILURE;
    };
    let options = RunOptions {
        max_cycles: args[4].parse().unwrap_or(3000),
        ..Default::default()
    };
    let show = args.iter().any(|a| a == "--trace");
    let state = map.start(utt, 0).expect("validated map");
    let start = std::time::Instant::now();
    let outcome = play(state, &mut [a.as_mut(), b.as_mut()], &options, |s| {
        if show {
            println!("{}", s.trace_line());
        }
    })
    .expect("bots only order their own units");
    let winner = outcome.winner.map_or(-1, |w| w as i64);
    println!(
        "game 0 winner {winner} cycles {} ms {} (illegal {:?}, inconsistent {:?})",
        outcome.cycles,
        start.elapsed().as_millis(),
        [outcome.reports[0].illegal, outcome.reports[1].illegal],
        [
            outcome.reports[0].inconsistent,
            outcome.reports[1].inconsistent
        ]
    );
    ExitCode::SUCCESS
}
