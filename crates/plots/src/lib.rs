//! Charts for Ludus reports: line charts (losses, strength, Elo with a confidence band), grids of
//! line charts (one overview figure per training run) and heat maps (tournament crosstables).
//!
//! Every chart is written twice, as `<stem>.png` and `<stem>.svg`: the PNG for quick looks (image
//! viewers, CI artefacts, terminals that show pictures), the SVG for papers and for zooming in.
//! Both are drawn by [plotters](https://docs.rs/plotters) from the same code.
//!
//! ```
//! use ludus_plots::{write_line_chart, LineChart, Series};
//!
//! let chart = LineChart {
//!     title: "Elo over training".into(),
//!     x_label: "global_step".into(),
//!     y_label: "Elo".into(),
//!     series: vec![Series::new("alphazero", vec![(0.0, 0.0), (1e4, 180.0), (2e4, 310.0)])
//!         .with_band(vec![(0.0, -20.0, 20.0), (1e4, 150.0, 210.0), (2e4, 270.0, 350.0)])],
//!     y_range: None,
//! };
//! let stem = std::env::temp_dir().join(format!("ludus-plots-doc-{}", std::process::id()));
//! let written = write_line_chart(&chart, &stem)?;
//! assert_eq!(written, [stem.with_extension("png"), stem.with_extension("svg")]);
//! # for path in written { std::fs::remove_file(path)?; }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # No system libraries
//!
//! CI runs on a bare Debian without fonts, fontconfig or X11, so plotters' default text stack
//! (`font-kit`, which links fontconfig and freetype) is switched off. Text in PNGs is rasterised
//! by `ab_glyph` from DejaVu Sans, embedded in the binary (about 740 KiB; Bitstream Vera licence,
//! in `assets/DejaVuSans-LICENSE.txt`) and registered as plotters' `sans-serif` family. SVGs carry
//! `<text font-family="sans-serif">` elements that the viewer renders with its own fonts; the
//! embedded font only measures them. Because Cargo unifies features, **no crate in the workspace
//! may enable plotters' `ttf` (or default) features**: plotters would then measure and draw text
//! through font-kit again.
//!
//! # Files appear whole
//!
//! A run directory is watched while training runs (a browser or image viewer reloading the
//! overview), so each file is written to a hidden temporary file in the same directory and
//! renamed over the target: a reader sees the old chart or the new one, never half a file.
//!
//! # Bad data
//!
//! Training curves contain NaN (a diverged loss) and may be empty at step 0. Non-finite points
//! are skipped and break the line where they sit; a chart with no finite data is drawn with unit
//! axes and "no data"; a flat series gets a padded axis. Only inputs that cannot be drawn at all
//! (ragged heat-map rows, an empty or inverted range, a path without a file name) are errors.

mod font;
mod heat;
mod line;
mod output;
mod raster;
mod table;

pub use heat::{write_heat_map, HeatMap};
pub use line::{write_line_chart, write_panels, LineChart, Series, LINE_CHART_SIZE, PANEL_SIZE};
pub use table::MetricsTable;

use std::path::PathBuf;

/// Why a chart could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlotError {
    /// The chart description cannot be drawn (ragged heat-map rows, an inverted range, …).
    #[error("invalid chart: {0}")]
    InvalidInput(String),
    /// The output path has no file name to put `.png`/`.svg` after.
    #[error("output stem {0:?} has no file name")]
    BadStem(PathBuf),
    /// The embedded font was rejected by the font parser.
    #[error("the embedded DejaVu Sans font could not be loaded")]
    Font,
    /// plotters failed while drawing (its error types are generic over the backend, so the
    /// message is kept as text).
    #[error("drawing {what} failed: {message}")]
    Draw {
        /// Which picture was being drawn (`"png"`, `"svg"`).
        what: &'static str,
        /// plotters' description of the failure.
        message: String,
    },
    /// The PNG encoder failed.
    #[error("encoding PNG failed: {0}")]
    Encode(String),
    /// Writing or renaming an output file failed.
    #[error("writing {path}: {source}")]
    Io {
        /// The file that was being written (the final name, not the temporary one).
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}
