//! The run's overview figure, redrawn from `metrics.csv` after every generation.

use std::path::Path;

use ludus_plots::{write_panels, LineChart, MetricsTable};

/// Reads `metrics.csv` in `dir` and writes `plots/progress.{png,svg}`: losses, strength
/// (scores against each opponent, the optimal-move share of the search and of the raw network)
/// and self-play speed, each against the generation.
///
/// # Errors
/// A message when the file cannot be read or the figure cannot be drawn (the trainer ignores
/// it: a missing plot must not stop training).
pub fn write_progress(dir: &Path) -> Result<(), String> {
    let table = MetricsTable::read(&dir.join("metrics.csv")).map_err(|e| e.to_string())?;
    let strength_columns =
        table.columns_where(|h| h.starts_with("score_vs_") || h.ends_with("optimal_share"));
    let charts = [
        LineChart {
            title: "Training loss".into(),
            x_label: "generation".into(),
            y_label: "nats".into(),
            series: table.series(&["loss", "loss_policy", "loss_value", "policy_entropy"]),
            y_range: None,
        },
        LineChart {
            title: "Strength".into(),
            x_label: "generation".into(),
            y_label: "score / share".into(),
            series: table.series(&strength_columns),
            y_range: Some((0.0, 1.0)),
        },
        LineChart {
            title: "Self-play speed".into(),
            x_label: "generation".into(),
            y_label: "simulations per second".into(),
            series: table.series(&["simulations_per_s"]),
            y_range: None,
        },
    ];
    write_panels(&charts, 3, &dir.join("plots").join("progress"))
        .map(|_| ())
        .map_err(|e| e.to_string())
}
