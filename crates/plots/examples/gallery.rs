//! Writes one of each chart into a directory, to look at after changing the drawing code:
//!
//! ```text
//! cargo run -p ludus-plots --example gallery -- /tmp/ludus-gallery
//! ```

use std::error::Error;
use std::path::PathBuf;

use ludus_plots::{write_heat_map, write_line_chart, write_panels, HeatMap, LineChart, Series};

fn main() -> Result<(), Box<dyn Error>> {
    let dir = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "gallery".into()));
    std::fs::create_dir_all(&dir)?;

    let steps: Vec<f64> = (0..=60).map(|i| f64::from(i) * 5_000.0).collect();
    let decay = |scale: f64, floor: f64| -> Vec<(f64, f64)> {
        steps
            .iter()
            .map(|&s| {
                (
                    s,
                    floor + scale * (-s / 80_000.0).exp() * (1.0 + 0.05 * (s / 7_000.0).sin()),
                )
            })
            .collect()
    };
    let mut value_loss = decay(0.9, 0.25);
    value_loss[23].1 = f64::NAN; // a diverged batch leaves a gap
    let losses = LineChart {
        title: "Losses".into(),
        x_label: "global_step".into(),
        y_label: "loss".into(),
        series: vec![
            Series::new("policy", decay(2.5, 1.1)),
            Series::new("value", value_loss),
            Series::new("total", decay(3.4, 1.35)),
        ],
        y_range: None,
    };
    let elo_points: Vec<(f64, f64)> = (0..=12)
        .map(|i| {
            (
                f64::from(i) * 25_000.0,
                900.0 * (1.0 - (-f64::from(i) / 5.0).exp()),
            )
        })
        .collect();
    let band = elo_points
        .iter()
        .map(|&(x, y)| (x, y - 60.0, y + 60.0))
        .collect();
    let elo = LineChart {
        title: "Elo over training (95% CI)".into(),
        x_label: "global_step".into(),
        y_label: "Elo vs random".into(),
        series: vec![Series::new("alphazero", elo_points).with_band(band)],
        y_range: None,
    };
    let win_rate = |level: f64| -> Vec<(f64, f64)> {
        (0..=12)
            .map(|i| {
                (
                    f64::from(i) * 25_000.0,
                    (level * f64::from(i) / 12.0).min(1.0),
                )
            })
            .collect()
    };
    let strength = LineChart {
        title: "Strength vs baselines".into(),
        x_label: "global_step".into(),
        y_label: "win rate".into(),
        series: vec![
            Series::new("vs random", win_rate(1.6)),
            Series::new("vs mcts:sims=100", win_rate(1.1)),
            Series::new("vs solver", win_rate(0.4)),
        ],
        y_range: Some((0.0, 1.0)),
    };
    let optimal = LineChart {
        title: "Optimal-move share".into(),
        x_label: "global_step".into(),
        y_label: "share".into(),
        series: vec![Series::new("", win_rate(0.8))],
        y_range: Some((0.0, 1.0)),
    };

    for path in write_line_chart(&losses, &dir.join("losses"))? {
        println!("{}", path.display());
    }
    for path in write_line_chart(&elo, &dir.join("elo"))? {
        println!("{}", path.display());
    }
    for path in write_panels(&[losses, strength, optimal, elo], 2, &dir.join("overview"))? {
        println!("{}", path.display());
    }

    let agents = [
        "alphazero@300k",
        "alphazero@150k",
        "mcts:sims=800",
        "mcts:sims=100",
        "random",
    ];
    let strength: [f64; 5] = [5.0, 4.0, 3.0, 2.0, 0.0];
    let values = (0..agents.len())
        .map(|r| {
            (0..agents.len())
                .map(|c| (r != c).then(|| 1.0 / (1.0 + (-(strength[r] - strength[c])).exp())))
                .collect()
        })
        .collect();
    let crosstable = HeatMap {
        title: "Crosstable: score of row vs column".into(),
        row_labels: agents.iter().map(|s| s.to_string()).collect(),
        col_labels: agents.iter().map(|s| s.to_string()).collect(),
        values,
        value_range: (0.0, 1.0),
        cell_text: true,
    };
    for path in write_heat_map(&crosstable, &dir.join("crosstable"))? {
        println!("{}", path.display());
    }
    Ok(())
}
