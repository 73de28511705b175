//! The run's overview figure, redrawn from `metrics.csv` after every generation.

use std::path::Path;

use ludus_plots::{write_panels, LineChart, Series};

/// Reads `metrics.csv` in `dir` and writes `plots/progress.{png,svg}`: losses, strength
/// (scores against each opponent, the optimal-move share of the search and of the raw network)
/// and self-play speed, each against the generation.
///
/// # Errors
/// A message when the file cannot be read or the figure cannot be drawn (the trainer ignores
/// it: a missing plot must not stop training).
pub fn write_progress(dir: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(dir.join("metrics.csv")).map_err(|e| e.to_string())?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split(',').collect();
    let rows: Vec<Vec<Option<f64>>> = lines
        .map(|l| l.split(',').map(|v| v.parse::<f64>().ok()).collect())
        .collect();
    let column = |name: &str| -> Vec<(f64, f64)> {
        let Some(k) = header.iter().position(|h| *h == name) else {
            return Vec::new();
        };
        rows.iter()
            .filter_map(|r| Some((r.first().copied().flatten()?, r.get(k).copied().flatten()?)))
            .collect()
    };
    let series = |names: &[&str]| -> Vec<Series> {
        names
            .iter()
            .map(|n| Series::new(*n, column(n)))
            .filter(|s| !s.points.is_empty())
            .collect()
    };
    let strength_columns: Vec<&str> = header
        .iter()
        .copied()
        .filter(|h| h.starts_with("score_vs_") || h.ends_with("optimal_share"))
        .collect();
    let charts = [
        LineChart {
            title: "Training loss".into(),
            x_label: "generation".into(),
            y_label: "nats".into(),
            series: series(&["loss", "loss_policy", "loss_value", "policy_entropy"]),
            y_range: None,
        },
        LineChart {
            title: "Strength".into(),
            x_label: "generation".into(),
            y_label: "score / share".into(),
            series: series(&strength_columns),
            y_range: Some((0.0, 1.0)),
        },
        LineChart {
            title: "Self-play speed".into(),
            x_label: "generation".into(),
            y_label: "simulations per second".into(),
            series: series(&["simulations_per_s"]),
            y_range: None,
        },
    ];
    write_panels(&charts, 3, &dir.join("plots").join("progress"))
        .map(|_| ())
        .map_err(|e| e.to_string())
}
