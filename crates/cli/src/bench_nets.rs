//! `ludus bench-nets`: time the reference policy/value networks (see `ludus_nn::bench`), one
//! JSON line per case, in the schema `scripts/bench_nets_torch.py` prints for PyTorch.

use std::time::Duration;

use anyhow::Context;
use ludus_nn::bench;

/// Time the reference networks (ResNet 5×64, Transformer 4×64, LSTM 128) forward and training.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Threads: candle reads RAYON_NUM_THREADS (default: physical cores).
Examples:
  RAYON_NUM_THREADS=1 ludus bench-nets --nets resnet --batches 64
  ludus bench-nets --device cuda --min-time 2
  scripts/bench-nets.sh          # the same cases in PyTorch, and a table of ratios"
)]
pub struct Args {
    /// Comma-separated nets: resnet, transformer, lstm.
    #[arg(long, default_value = "resnet,transformer,lstm")]
    nets: String,
    /// Comma-separated batch sizes.
    #[arg(long, default_value = "1,64,256")]
    batches: String,
    /// Comma-separated modes: forward (inference), train (one AdamW step).
    #[arg(long, default_value = "forward,train")]
    modes: String,
    /// Minimum seconds per case (after 5 warm-up calls; at least 20 calls).
    #[arg(long, default_value_t = 1.0)]
    min_time: f64,
    /// cpu, cuda or cuda:N.
    #[arg(long, default_value = "cpu")]
    device: String,
}

fn list<'a>(flag: &str, text: &'a str, allowed: &[&str]) -> anyhow::Result<Vec<&'a str>> {
    let items: Vec<&str> = text
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if items.is_empty() {
        anyhow::bail!("--{flag} is empty; choose from {}", allowed.join(", "));
    }
    for item in &items {
        if !allowed.contains(item) {
            anyhow::bail!(
                "--{flag}: unknown `{item}`; choose from {}",
                allowed.join(", ")
            );
        }
    }
    Ok(items)
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let nets = list("nets", &args.nets, &bench::NETS)?;
    let modes = list("modes", &args.modes, &bench::MODES)?;
    let batches = args
        .batches
        .split(',')
        .map(|b| {
            b.trim()
                .parse::<usize>()
                .ok()
                .filter(|&n| (1..=65536).contains(&n))
                .with_context(|| format!("--batches: `{b}` is not a batch size from 1 to 65536"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    if !(args.min_time.is_finite() && args.min_time >= 0.0 && args.min_time <= 600.0) {
        anyhow::bail!(
            "--min-time must be between 0 and 600 seconds, got {}",
            args.min_time
        );
    }
    let device = ludus_nn::parse_device(&args.device)?;
    let min_time = Duration::from_secs_f64(args.min_time);
    for net in &nets {
        for mode in &modes {
            for &batch in &batches {
                let record = bench::run(net, mode, batch, &device, min_time)
                    .with_context(|| format!("{net} {mode} batch {batch}"))?;
                println!("{}", serde_json::to_string(&record)?);
            }
        }
    }
    Ok(())
}
