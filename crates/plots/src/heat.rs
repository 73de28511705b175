//! Heat maps: a labelled grid of coloured cells with a colour bar, for tournament crosstables
//! (row agent's score against column agent).

use std::path::{Path, PathBuf};

use plotters::backend::DrawingBackend;
use plotters::coord::Shift;
use plotters::drawing::DrawingArea;
use plotters::element::{PathElement, Rectangle, Text};
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{Color, FontTransform, IntoFont, RGBColor, TextStyle, BLACK, WHITE};

use crate::font::{self, FAMILY};
use crate::line::{text_width, TickFormat};
use crate::output::{write_figure, DrawError, Figure};
use crate::PlotError;

/// Largest image side we agree to allocate.
const MAX_SIDE: u32 = 16_384;

/// Labels longer than this many characters are cut (with "…"): one long agent spec must not
/// push the grid off the image.
const MAX_LABEL_CHARS: usize = 24;

const MARGIN: u32 = 16;
const TITLE_SIZE: u32 = 22;
const BAR_WIDTH: u32 = 16;
/// Shortest colour bar, so its three labels never overlap even for a one-row map.
const MIN_BAR_HEIGHT: u32 = 120;

/// Fill for cells without a value (a crosstable's diagonal), crossed by a diagonal line so it
/// cannot be mistaken for a value near the middle of the range.
const MISSING: RGBColor = RGBColor(215, 215, 215);

/// The diverging colour scale: low, middle, high ends (ColorBrewer's RdBu end and middle
/// points). A diverging scale suits crosstables, whose middle (a 50% score) is the neutral value.
const LOW: RGBColor = RGBColor(178, 24, 43);
const MID: RGBColor = RGBColor(247, 247, 247);
const HIGH: RGBColor = RGBColor(33, 102, 172);

/// A grid of values, each shown as a colour on a diverging red–white–blue scale: the low end of
/// `value_range` red, its middle white, its high end blue.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HeatMap {
    /// Caption above the grid; empty for none.
    pub title: String,
    /// One label per row, drawn left of the grid.
    pub row_labels: Vec<String>,
    /// One label per column, drawn above the grid (turned upright when too wide for a cell).
    pub col_labels: Vec<String>,
    /// `values[row][col]`; `None` (or a non-finite value) is drawn as a grey, crossed-out cell,
    /// e.g. an agent against itself.
    pub values: Vec<Vec<Option<f64>>>,
    /// The values that map to the two ends of the colour scale, e.g. `(0.0, 1.0)` for scores;
    /// values outside are drawn in the end colour. Fixed rather than fitted so that maps from
    /// different tournaments compare by colour.
    pub value_range: (f64, f64),
    /// Write each value in its cell, when the cells are large enough to hold the text.
    pub cell_text: bool,
}

/// Writes `map` to `<stem>.png` and `<stem>.svg` and returns the two paths in that order.
///
/// The image size follows the grid: cells shrink from 64 to 12 pixels as rows and columns are
/// added. The directory must exist; each file is replaced atomically.
///
/// # Errors
///
/// [`PlotError::InvalidInput`] when the number of rows of `values` differs from `row_labels`, a
/// row's length differs from `col_labels`, `value_range` is not finite with `lo < hi`, or the
/// grid would need an image side over 16384 pixels; [`PlotError::BadStem`] when `stem` has no
/// file name; [`PlotError::Io`] when a file cannot be written; [`PlotError::Draw`],
/// [`PlotError::Encode`] or [`PlotError::Font`] when rendering fails.
pub fn write_heat_map(map: &HeatMap, stem: &Path) -> Result<Vec<PathBuf>, PlotError> {
    validate(map)?;
    // Layout measures text, which needs the font before rendering starts.
    font::ensure_registered()?;
    let layout = Layout::new(map)?;
    write_figure(&layout, stem)
}

fn validate(map: &HeatMap) -> Result<(), PlotError> {
    if map.values.len() != map.row_labels.len() {
        return Err(PlotError::InvalidInput(format!(
            "heat map has {} rows of values but {} row labels",
            map.values.len(),
            map.row_labels.len()
        )));
    }
    if let Some((i, row)) = map
        .values
        .iter()
        .enumerate()
        .find(|(_, row)| row.len() != map.col_labels.len())
    {
        return Err(PlotError::InvalidInput(format!(
            "heat map row {i} has {} values but there are {} column labels",
            row.len(),
            map.col_labels.len()
        )));
    }
    let (lo, hi) = map.value_range;
    if !(lo.is_finite() && hi.is_finite() && lo < hi) {
        return Err(PlotError::InvalidInput(format!(
            "value_range ({lo}, {hi}) must be finite with lo < hi"
        )));
    }
    Ok(())
}

/// Every pixel position and text size, worked out once from the data and the font metrics.
struct Layout<'a> {
    map: &'a HeatMap,
    rows: Vec<String>,
    cols: Vec<String>,
    size: (u32, u32),
    cell: u32,
    label_size: u32,
    /// Size of the value text in cells, or `None` when it is off or does not fit.
    value_size: Option<u32>,
    cell_format: CellFormat,
    cols_upright: bool,
    grid: (u32, u32),
    bar: (u32, u32, u32),
}

impl<'a> Layout<'a> {
    fn new(map: &'a HeatMap) -> Result<Self, PlotError> {
        let rows: Vec<String> = map.row_labels.iter().map(|l| shorten(l)).collect();
        let cols: Vec<String> = map.col_labels.iter().map(|l| shorten(l)).collect();
        let title_w = text_width(&map.title, TITLE_SIZE);
        let title_h = if map.title.trim().is_empty() {
            0
        } else {
            TITLE_SIZE + 16
        };

        if rows.is_empty() || cols.is_empty() {
            // Nothing to grid: a titled "no data" card.
            let width = (title_w + 2 * MARGIN).clamp(320, MAX_SIDE);
            return Ok(Layout {
                map,
                rows,
                cols,
                size: (width, title_h + 120),
                cell: 0,
                label_size: 16,
                value_size: None,
                cell_format: CellFormat::for_map(map),
                cols_upright: false,
                grid: (MARGIN, MARGIN + title_h),
                bar: (0, 0, 0),
            });
        }

        let n = rows.len().max(cols.len()) as u32;
        let cell = (720 / n).clamp(12, 64);
        let label_size = (cell.saturating_sub(4)).clamp(9, 14);
        let widest = |labels: &[String]| {
            labels
                .iter()
                .map(|l| text_width(l, label_size))
                .max()
                .unwrap_or(0)
        };
        let row_w = widest(&rows);
        let col_w = widest(&cols);
        let cols_upright = col_w + 4 > cell;
        let col_h = if cols_upright {
            col_w + 8
        } else {
            label_size + 8
        };

        let cell_format = CellFormat::for_map(map);
        let value_size = if map.cell_text {
            fit_value_text(map, cell, cell_format)
        } else {
            None
        };

        let grid_x = MARGIN + row_w + 8;
        let grid_y = MARGIN + title_h + col_h;
        let grid_w = cell * cols.len() as u32;
        let grid_h = cell * rows.len() as u32;
        let bar_x = grid_x + grid_w + 20;
        let bar_h = grid_h.max(MIN_BAR_HEIGHT);
        let (lo, hi) = map.value_range;
        let bar_fmt = TickFormat::new((lo, hi));
        let bar_label_w = [lo, (lo + hi) / 2.0, hi]
            .iter()
            .map(|&v| text_width(&bar_fmt.format(v), label_size))
            .max()
            .unwrap_or(0);
        let width = (bar_x + BAR_WIDTH + 6 + bar_label_w + MARGIN).max(title_w + 2 * MARGIN);
        let height = grid_y + bar_h + MARGIN;
        if width > MAX_SIDE || height > MAX_SIDE {
            return Err(PlotError::InvalidInput(format!(
                "a {}x{} heat map needs a {width}x{height} image, over the {MAX_SIDE}-pixel limit",
                rows.len(),
                cols.len()
            )));
        }
        Ok(Layout {
            map,
            rows,
            cols,
            size: (width, height),
            cell,
            label_size,
            value_size,
            cell_format,
            cols_upright,
            grid: (grid_x, grid_y),
            bar: (bar_x, grid_y, bar_h),
        })
    }
}

impl Figure for Layout<'_> {
    fn size(&self) -> (u32, u32) {
        self.size
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), DrawError> {
        let text = |size: u32| TextStyle::from((FAMILY, size).into_font());
        let px = |v: u32| v as i32;

        if !self.map.title.trim().is_empty() {
            area.draw(&Text::new(
                self.map.title.as_str(),
                (px(self.size.0 / 2), px(MARGIN)),
                text(TITLE_SIZE).pos(Pos::new(HPos::Center, VPos::Top)),
            ))?;
        }
        if self.cell == 0 {
            let grey = BLACK.mix(0.5);
            area.draw(&Text::new(
                "no data",
                (px(self.size.0 / 2), px(self.grid.1 + 50)),
                text(self.label_size)
                    .color(&grey)
                    .pos(Pos::new(HPos::Center, VPos::Center)),
            ))?;
            return Ok(());
        }

        let (gx, gy) = (px(self.grid.0), px(self.grid.1));
        let cell = px(self.cell);
        let (lo, hi) = self.map.value_range;

        for (r, label) in self.rows.iter().enumerate() {
            area.draw(&Text::new(
                label.as_str(),
                (gx - 6, gy + r as i32 * cell + cell / 2),
                text(self.label_size).pos(Pos::new(HPos::Right, VPos::Center)),
            ))?;
        }
        for (c, label) in self.cols.iter().enumerate() {
            let x = gx + c as i32 * cell + cell / 2;
            let style = if self.cols_upright {
                // Rotated a quarter turn anticlockwise: the text reads upwards and ends just
                // above its column.
                text(self.label_size)
                    .transform(FontTransform::Rotate270)
                    .pos(Pos::new(HPos::Left, VPos::Center))
            } else {
                text(self.label_size).pos(Pos::new(HPos::Center, VPos::Bottom))
            };
            area.draw(&Text::new(label.as_str(), (x, gy - 6), style))?;
        }

        // One pixel of white between cells keeps neighbours with similar colours apart.
        let gap = i32::from(self.cell >= 16);
        for (r, row) in self.map.values.iter().enumerate() {
            for (c, value) in row.iter().enumerate() {
                let x0 = gx + c as i32 * cell;
                let y0 = gy + r as i32 * cell;
                let (x1, y1) = (x0 + cell - 1 - gap, y0 + cell - 1 - gap);
                match value.filter(|v| v.is_finite()) {
                    Some(v) => {
                        let fill = colour(v, lo, hi);
                        area.draw(&Rectangle::new([(x0, y0), (x1, y1)], fill.filled()))?;
                        if let Some(size) = self.value_size {
                            let ink = if luminance(fill) < 0.5 { WHITE } else { BLACK };
                            area.draw(&Text::new(
                                self.cell_format.format(v),
                                ((x0 + x1) / 2, (y0 + y1) / 2),
                                text(size)
                                    .color(&ink)
                                    .pos(Pos::new(HPos::Center, VPos::Center)),
                            ))?;
                        }
                    }
                    None => {
                        area.draw(&Rectangle::new([(x0, y0), (x1, y1)], MISSING.filled()))?;
                        area.draw(&PathElement::new(
                            vec![(x0, y1), (x1, y0)],
                            BLACK.mix(0.3).stroke_width(1),
                        ))?;
                    }
                }
            }
        }

        // Colour bar: high at the top, as on a vertical axis.
        let (bx, by, bh) = (px(self.bar.0), px(self.bar.1), px(self.bar.2));
        let bw = px(BAR_WIDTH);
        for i in 0..bh {
            let t = 1.0 - f64::from(i) / f64::from((bh - 1).max(1));
            let fill = colour(lo + t * (hi - lo), lo, hi);
            // Two rows tall: a filled rectangle with equal top and bottom draws nothing.
            area.draw(&Rectangle::new(
                [(bx, by + i), (bx + bw, by + i + 1)],
                fill.filled(),
            ))?;
        }
        area.draw(&Rectangle::new(
            [(bx, by), (bx + bw - 1, by + bh - 1)],
            BLACK.mix(0.5).stroke_width(1),
        ))?;
        let bar_fmt = TickFormat::new((lo, hi));
        for (v, y, v_pos) in [
            (hi, by, VPos::Top),
            ((lo + hi) / 2.0, by + bh / 2, VPos::Center),
            (lo, by + bh - 1, VPos::Bottom),
        ] {
            area.draw(&Text::new(
                bar_fmt.format(v),
                (bx + bw + 6, y),
                text(self.label_size).pos(Pos::new(HPos::Left, v_pos)),
            ))?;
        }
        Ok(())
    }
}

/// Largest font size (14 down to 8 pixels) at which every value fits its cell, if any.
fn fit_value_text(map: &HeatMap, cell: u32, format: CellFormat) -> Option<u32> {
    let texts: Vec<String> = finite_values(map).map(|v| format.format(v)).collect();
    let max_size = (cell * 3 / 10).clamp(8, 14);
    (8..=max_size)
        .rev()
        .find(|&size| size + 4 <= cell && texts.iter().all(|t| text_width(t, size) + 6 <= cell))
}

/// A label cut to [`MAX_LABEL_CHARS`] characters.
fn shorten(label: &str) -> String {
    let label = label.trim();
    if label.chars().count() <= MAX_LABEL_CHARS {
        label.to_string()
    } else {
        let mut cut: String = label.chars().take(MAX_LABEL_CHARS - 1).collect();
        cut.push('…');
        cut
    }
}

/// How the values of one map are written in their cells: the same number of decimals for all,
/// chosen from the largest magnitude, so a column of scores lines up (`0.00`, `0.53`, `1.00`)
/// and Elo differences stay whole (`-120`, `35`, `400`).
#[derive(Debug, Clone, Copy)]
struct CellFormat {
    decimals: usize,
    scientific: bool,
}

impl CellFormat {
    fn for_map(map: &HeatMap) -> Self {
        let max_abs = finite_values(map).fold(0.0f64, |m, v| m.max(v.abs()));
        CellFormat {
            decimals: if max_abs >= 100.0 {
                0
            } else if max_abs >= 10.0 {
                1
            } else {
                2
            },
            scientific: max_abs >= 1e5 || (max_abs > 0.0 && max_abs < 1e-2),
        }
    }

    fn format(self, v: f64) -> String {
        let s = if self.scientific {
            format!("{v:.1e}")
        } else {
            format!("{v:.*}", self.decimals)
        };
        // "-0.00" is a rounding artefact, not a sign worth showing.
        match s.strip_prefix('-') {
            Some(rest) if rest.chars().all(|c| c == '0' || c == '.') => rest.to_string(),
            _ => s,
        }
    }
}

fn finite_values(map: &HeatMap) -> impl Iterator<Item = f64> + '_ {
    map.values
        .iter()
        .flatten()
        .filter_map(|v| v.filter(|v| v.is_finite()))
}

/// Position `t` in `[0, 1]` along the scale, clamped; linear in RGB through the middle colour.
fn colour(v: f64, lo: f64, hi: f64) -> RGBColor {
    let t = ((v - lo) / (hi - lo)).clamp(0.0, 1.0);
    let (from, to, s) = if t < 0.5 {
        (LOW, MID, t * 2.0)
    } else {
        (MID, HIGH, (t - 0.5) * 2.0)
    };
    let mix = |a: u8, b: u8| (f64::from(a) + (f64::from(b) - f64::from(a)) * s).round() as u8;
    RGBColor(mix(from.0, to.0), mix(from.1, to.1), mix(from.2, to.2))
}

/// Relative luminance (sRGB weights, no gamma), enough to choose black or white text.
fn luminance(c: RGBColor) -> f64 {
    (0.2126 * f64::from(c.0) + 0.7152 * f64::from(c.1) + 0.0722 * f64::from(c.2)) / 255.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_ends_and_middle() {
        assert_eq!(colour(0.0, 0.0, 1.0), LOW);
        assert_eq!(colour(0.5, 0.0, 1.0), MID);
        assert_eq!(colour(1.0, 0.0, 1.0), HIGH);
        assert_eq!(colour(-5.0, 0.0, 1.0), LOW, "below the range clamps");
        assert_eq!(colour(9.0, 0.0, 1.0), HIGH, "above the range clamps");
        assert!(luminance(LOW) < 0.5 && luminance(MID) > 0.5 && luminance(HIGH) < 0.5);
    }

    fn map_of(values: &[f64]) -> HeatMap {
        HeatMap {
            row_labels: vec!["r".into()],
            col_labels: values.iter().map(|_| "c".to_string()).collect(),
            values: vec![values.iter().map(|&v| Some(v)).collect()],
            value_range: (0.0, 1.0),
            ..HeatMap::default()
        }
    }

    #[test]
    fn cells_share_decimals() {
        let scores = CellFormat::for_map(&map_of(&[0.0, 0.534, 1.0]));
        assert_eq!(
            [0.0, 0.534, 1.0].map(|v| scores.format(v)),
            ["0.00", "0.53", "1.00"]
        );
        let elo = CellFormat::for_map(&map_of(&[-120.4, 35.5, 400.0]));
        assert_eq!(
            [-120.4, 35.5, -0.2].map(|v| elo.format(v)),
            ["-120", "36", "0"]
        );
        let big = CellFormat::for_map(&map_of(&[3.14e6, 1.0]));
        assert_eq!(big.format(3.14e6), "3.1e6");
        let empty = CellFormat::for_map(&map_of(&[]));
        assert_eq!(empty.format(0.25), "0.25");
    }

    #[test]
    fn long_labels_are_cut() {
        assert_eq!(shorten("  mcts:sims=800  "), "mcts:sims=800");
        let cut = shorten(&"x".repeat(100));
        assert_eq!(cut.chars().count(), MAX_LABEL_CHARS);
        assert!(cut.ends_with('…'));
    }
}
