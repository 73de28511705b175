//! The run's overview figure, redrawn from `metrics.csv` at every checkpoint.

use std::path::Path;

use ludus_plots::{write_panels, LineChart, MetricsTable};

/// Reads `metrics.csv` in `dir` and writes `plots/progress.{png,svg}`: the PPO losses, the
/// policy's movement per update, strength (scores against the evaluation bots and the win rate
/// of the training games) and collection speed, each against the update.
///
/// # Errors
/// A message when the file cannot be read or the figure cannot be drawn (the trainer ignores
/// it: a missing plot must not stop training).
pub fn write_progress(dir: &Path) -> Result<(), String> {
    let table = MetricsTable::read(&dir.join("metrics.csv")).map_err(|e| e.to_string())?;
    let plots = dir.join("plots");
    std::fs::create_dir_all(&plots).map_err(|e| format!("{}: {e}", plots.display()))?;
    let mut strength = table.columns_where(|h| h.starts_with("score_vs_"));
    strength.push("win_rate".into());
    let chart = |title: &str, y_label: &str, series, y_range| LineChart {
        title: title.into(),
        x_label: "update".into(),
        y_label: y_label.into(),
        series,
        y_range,
    };
    let charts = [
        chart(
            "PPO losses",
            "loss / nats",
            table.series(&["policy_loss", "value_loss", "entropy"]),
            None,
        ),
        chart(
            "Policy movement",
            "per update",
            table.series(&["approx_kl", "clip_fraction"]),
            None,
        ),
        chart(
            "Strength",
            "score",
            table.series(&strength),
            Some((0.0, 1.0)),
        ),
        chart(
            "Collection speed",
            "decisions per second",
            table.series(&["decisions_per_s"]),
            None,
        ),
    ];
    write_panels(&charts, 2, &plots.join("progress"))
        .map(|_| ())
        .map_err(|e| e.to_string())
}
