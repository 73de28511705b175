//! Line charts: one per image, or a grid of them in one image.

use std::iter;
use std::path::{Path, PathBuf};

use plotters::backend::DrawingBackend;
use plotters::chart::{ChartBuilder, SeriesLabelPosition};
use plotters::coord::Shift;
use plotters::drawing::DrawingArea;
use plotters::element::{Circle, PathElement, Polygon, Text};
use plotters::series::LineSeries;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{Color, IntoFont, RGBColor, TextStyle, BLACK, WHITE};

use crate::font::FAMILY;
use crate::output::{write_figure, DrawError, Figure};
use crate::PlotError;

/// Pixel size of the image [`write_line_chart`] writes.
pub const LINE_CHART_SIZE: (u32, u32) = (960, 600);

/// Pixel size of one panel in [`write_panels`]; the image is `cols` panels wide.
pub const PANEL_SIZE: (u32, u32) = (640, 420);

/// Largest image side we agree to allocate (an RGB buffer of 16384² is 768 MiB).
const MAX_SIDE: u64 = 16_384;

/// Series with at most this many points get a marker on every point: sparse curves (strength
/// measured every few iterations) read better with the measurements visible.
const MARKER_MAX_POINTS: usize = 20;

/// One curve of a [`LineChart`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Series {
    /// Legend entry; an empty name leaves the curve out of the legend.
    pub name: String,
    /// `(x, y)` in drawing order (not sorted). A non-finite coordinate is skipped and breaks the
    /// line, so a diverged loss shows as a gap rather than a spike to infinity.
    pub points: Vec<(f64, f64)>,
    /// Optional shaded band `(x, lo, hi)`, e.g. a 95% confidence interval around an Elo
    /// estimate; drawn under every line in a light tint of the series colour. Non-finite
    /// entries break the band like they break the line.
    pub band: Option<Vec<(f64, f64, f64)>>,
}

impl Series {
    /// A curve without a band.
    pub fn new(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Series {
            name: name.into(),
            points,
            band: None,
        }
    }

    /// Adds a shaded band `(x, lo, hi)`.
    #[must_use]
    pub fn with_band(mut self, band: Vec<(f64, f64, f64)>) -> Self {
        self.band = Some(band);
        self
    }
}

/// A line chart: shared axes, one colour per series, a legend placed in the emptiest corner.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LineChart {
    /// Caption above the plot; empty for none.
    pub title: String,
    /// Horizontal axis caption (Ludus metrics use `global_step`).
    pub x_label: String,
    /// Vertical axis caption.
    pub y_label: String,
    /// Curves, coloured in order from a ten-colour palette (then repeating).
    pub series: Vec<Series>,
    /// Fixed vertical range `(lo, hi)`; `None` fits the data. Useful when values have a known
    /// scale (win rates in `[0, 1]`) so successive charts compare by eye. Data outside it is
    /// clipped at the plot border.
    pub y_range: Option<(f64, f64)>,
}

/// Writes `chart` to `<stem>.png` and `<stem>.svg` ([`LINE_CHART_SIZE`] pixels) and returns the
/// two paths in that order.
///
/// The extension is appended, so `runs/x/plots/elo.v2` gives `runs/x/plots/elo.v2.png`. The
/// directory must exist. Each file is replaced atomically.
///
/// # Errors
///
/// [`PlotError::InvalidInput`] for a `y_range` that is not finite or has `lo >= hi`, or data
/// whose extent overflows `f64`; [`PlotError::BadStem`] when `stem` has no file name;
/// [`PlotError::Io`] when a file cannot be written; [`PlotError::Draw`], [`PlotError::Encode`]
/// or [`PlotError::Font`] when rendering fails.
pub fn write_line_chart(chart: &LineChart, stem: &Path) -> Result<Vec<PathBuf>, PlotError> {
    let prepared = Prepared::new(chart)?;
    write_figure(
        &Grid {
            charts: vec![prepared],
            cols: 1,
            panel: LINE_CHART_SIZE,
            text: TextSizes::SINGLE,
        },
        stem,
    )
}

/// Writes several line charts as panels of one image, `cols` panels per row (fewer if there
/// are fewer charts; filled row by row, unused cells left blank), each [`PANEL_SIZE`] pixels;
/// returns the PNG and SVG paths.
///
/// The trainer's overview figure ("losses", "strength vs baselines", "optimal-move share")
/// is one such image, so a single file shows the state of a run.
///
/// # Errors
///
/// [`PlotError::InvalidInput`] when `charts` is empty, `cols` is zero, the image would be
/// wider or taller than 16384 pixels, or any chart is invalid as for [`write_line_chart`];
/// otherwise as [`write_line_chart`].
pub fn write_panels(
    charts: &[LineChart],
    cols: usize,
    stem: &Path,
) -> Result<Vec<PathBuf>, PlotError> {
    if charts.is_empty() {
        return Err(PlotError::InvalidInput("no panels to draw".into()));
    }
    if cols == 0 {
        return Err(PlotError::InvalidInput(
            "panel grid needs at least one column".into(),
        ));
    }
    let cols = cols.min(charts.len());
    let rows = charts.len().div_ceil(cols);
    if cols as u64 * u64::from(PANEL_SIZE.0) > MAX_SIDE
        || rows as u64 * u64::from(PANEL_SIZE.1) > MAX_SIDE
    {
        return Err(PlotError::InvalidInput(format!(
            "{rows}x{cols} panels do not fit in a {MAX_SIDE}-pixel image"
        )));
    }
    let prepared = charts
        .iter()
        .enumerate()
        .map(|(i, chart)| {
            Prepared::new(chart).map_err(|e| match e {
                PlotError::InvalidInput(msg) => {
                    PlotError::InvalidInput(format!("panel {i}: {msg}"))
                }
                other => other,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    write_figure(
        &Grid {
            charts: prepared,
            cols,
            panel: PANEL_SIZE,
            text: TextSizes::PANEL,
        },
        stem,
    )
}

/// Font sizes in pixels; panels are smaller images, so their text is smaller too.
#[derive(Debug, Clone, Copy)]
struct TextSizes {
    title: u32,
    label: u32,
    tick: u32,
    margin: u32,
}

impl TextSizes {
    const SINGLE: TextSizes = TextSizes {
        title: 24,
        label: 17,
        tick: 14,
        margin: 14,
    };
    const PANEL: TextSizes = TextSizes {
        title: 19,
        label: 15,
        tick: 13,
        margin: 10,
    };
}

/// Matplotlib's "tab10" colours: distinct, and readable for the common colour-vision deficiencies
/// in the first few entries, which are the ones most charts use.
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// Charts laid out in a grid (a single chart is a 1×1 grid).
struct Grid<'a> {
    charts: Vec<Prepared<'a>>,
    cols: usize,
    panel: (u32, u32),
    text: TextSizes,
}

impl Figure for Grid<'_> {
    fn size(&self) -> (u32, u32) {
        let rows = self.charts.len().div_ceil(self.cols);
        // Both products are bounded by MAX_SIDE (checked in write_panels).
        (self.panel.0 * self.cols as u32, self.panel.1 * rows as u32)
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), DrawError> {
        let rows = self.charts.len().div_ceil(self.cols);
        let cells = area.split_evenly((rows, self.cols));
        for (cell, chart) in cells.iter().zip(&self.charts) {
            chart.draw(cell, self.text)?;
        }
        Ok(())
    }
}

/// A chart with its axes ranges worked out, ready to draw on either backend.
struct Prepared<'a> {
    chart: &'a LineChart,
    x: (f64, f64),
    y: (f64, f64),
    has_data: bool,
}

impl<'a> Prepared<'a> {
    fn new(chart: &'a LineChart) -> Result<Self, PlotError> {
        let mut xs = Extent::default();
        let mut ys = Extent::default();
        for series in &chart.series {
            for &(x, y) in &series.points {
                if x.is_finite() && y.is_finite() {
                    xs.add(x);
                    ys.add(y);
                }
            }
            for &(x, lo, hi) in series.band.iter().flatten() {
                if x.is_finite() && lo.is_finite() && hi.is_finite() {
                    xs.add(x);
                    ys.add(lo);
                    ys.add(hi);
                }
            }
        }
        let has_data = xs.range().is_some();
        let x = axis_range(xs.range(), 0.0)?;
        let y = match chart.y_range {
            Some((lo, hi)) if lo.is_finite() && hi.is_finite() && lo < hi => (lo, hi),
            Some((lo, hi)) => {
                return Err(PlotError::InvalidInput(format!(
                    "y_range ({lo}, {hi}) must be finite with lo < hi"
                )))
            }
            None => axis_range(ys.range(), 0.05)?,
        };
        Ok(Prepared {
            chart,
            x,
            y,
            has_data,
        })
    }

    fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        text: TextSizes,
    ) -> Result<(), DrawError> {
        let chart = self.chart;
        let x_fmt = TickFormat::new(self.x);
        let y_fmt = TickFormat::new(self.y);

        // Label areas sized from the text they will hold, so long tick labels ("-1.25M") are
        // not cut off and short ones do not waste space.
        let widest_y_tick = [self.y.0, self.y.1, (self.y.0 + self.y.1) / 2.0]
            .iter()
            .map(|&v| text_width(&y_fmt.format(v), text.tick))
            .max()
            .unwrap_or(0);
        let y_desc = if chart.y_label.trim().is_empty() {
            0
        } else {
            text.label + 8
        };
        let x_desc = if chart.x_label.trim().is_empty() {
            0
        } else {
            text.label + 8
        };

        let mut builder = ChartBuilder::on(area);
        builder
            .margin(text.margin)
            .margin_right(text.margin + 12)
            .x_label_area_size(text.tick + 12 + x_desc)
            .y_label_area_size(widest_y_tick + 14 + y_desc);
        if !chart.title.trim().is_empty() {
            builder.caption(&chart.title, (FAMILY, text.title));
        }
        let mut ctx = builder.build_cartesian_2d(self.x.0..self.x.1, self.y.0..self.y.1)?;

        let x_formatter = |v: &f64| x_fmt.format(*v);
        let y_formatter = |v: &f64| y_fmt.format(*v);
        let mut mesh = ctx.configure_mesh();
        mesh.x_labels(8)
            .y_labels(8)
            .x_label_formatter(&x_formatter)
            .y_label_formatter(&y_formatter)
            .label_style((FAMILY, text.tick))
            .axis_desc_style((FAMILY, text.label))
            .bold_line_style(BLACK.mix(0.12))
            .light_line_style(BLACK.mix(0.04));
        if x_desc > 0 {
            mesh.x_desc(&chart.x_label);
        }
        if y_desc > 0 {
            mesh.y_desc(&chart.y_label);
        }
        mesh.draw()?;

        let clip = ClipRect {
            x0: self.x.0,
            x1: self.x.1,
            y0: self.y.0,
            y1: self.y.1,
        };

        // Bands first, all of them, so no band covers another series' line.
        for (i, series) in chart.series.iter().enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            let Some(band) = &series.band else { continue };
            for run in finite_runs(band, |&(x, lo, hi)| {
                x.is_finite() && lo.is_finite() && hi.is_finite()
            }) {
                if run.len() < 2 {
                    continue;
                }
                let outline: Vec<(f64, f64)> = run
                    .iter()
                    .map(|&(x, _, hi)| (x, hi))
                    .chain(run.iter().rev().map(|&(x, lo, _)| (x, lo)))
                    .collect();
                let clipped = clip.polygon(&outline);
                if clipped.len() >= 3 {
                    ctx.draw_series(iter::once(Polygon::new(clipped, color.mix(0.2).filled())))?;
                }
            }
        }

        let mut legend_entries = 0;
        let mut legend_width = 0;
        for (i, series) in chart.series.iter().enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            let line_style = color.stroke_width(2);
            let runs = finite_runs(&series.points, |&(x, y)| x.is_finite() && y.is_finite());
            let finite_count: usize = runs.iter().map(|r| r.len()).sum();
            for run in &runs {
                for piece in clip.polyline(run) {
                    ctx.draw_series(LineSeries::new(piece, line_style))?;
                }
            }
            // Markers where a line alone would hide the data: sparse series, and isolated
            // points between gaps (a one-point run draws no line at all).
            let marker_points = runs
                .iter()
                .filter(|run| finite_count <= MARKER_MAX_POINTS || run.len() == 1)
                .flat_map(|run| run.iter().copied())
                .filter(|&p| clip.contains(p));
            ctx.draw_series(marker_points.map(|p| Circle::new(p, 3, color.filled())))?;

            if !series.name.trim().is_empty() {
                legend_entries += 1;
                legend_width = legend_width.max(text_width(&series.name, text.tick));
                // An empty series carries the legend entry, so a curve with no finite point
                // is still listed (its absence from the plot is then visible, not silent).
                ctx.draw_series(iter::empty::<PathElement<(f64, f64)>>())?
                    .label(series.name.as_str())
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
                    });
            }
        }

        if !self.has_data {
            let grey = BLACK.mix(0.5);
            let style = TextStyle::from((FAMILY, text.label).into_font())
                .color(&grey)
                .pos(Pos::new(HPos::Center, VPos::Center));
            let centre = ((self.x.0 + self.x.1) / 2.0, (self.y.0 + self.y.1) / 2.0);
            ctx.plotting_area()
                .draw(&Text::new("no data", centre, style))?;
        }

        if legend_entries > 0 {
            let (plot_w, plot_h) = ctx.plotting_area().dim_in_pixel();
            // The legend box in plot fractions: swatch + gaps + widest name, one line per entry.
            let box_w = f64::from(legend_width + 50) / f64::from(plot_w.max(1));
            let box_h = f64::from((text.tick + 8) * legend_entries + 12) / f64::from(plot_h.max(1));
            let position = emptiest_corner(chart, &clip, box_w, box_h);
            ctx.configure_series_labels()
                .position(position)
                .margin(8)
                .label_font((FAMILY, text.tick))
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK.mix(0.3))
                .draw()?;
        }
        Ok(())
    }
}

/// Running min/max of finite values.
#[derive(Debug, Default)]
struct Extent {
    lo: Option<f64>,
    hi: Option<f64>,
}

impl Extent {
    fn add(&mut self, v: f64) {
        self.lo = Some(self.lo.map_or(v, |lo| lo.min(v)));
        self.hi = Some(self.hi.map_or(v, |hi| hi.max(v)));
    }

    fn range(&self) -> Option<(f64, f64)> {
        Some((self.lo?, self.hi?))
    }
}

/// Turns a data extent into an axis range: `pad` (a fraction of the span) on both sides,
/// `[0, 1]` when there is no data, and a widened range around a single value so that a flat
/// curve sits in the middle of a drawable axis instead of on a zero-height one.
fn axis_range(extent: Option<(f64, f64)>, pad: f64) -> Result<(f64, f64), PlotError> {
    let Some((lo, hi)) = extent else {
        return Ok((0.0, 1.0));
    };
    let span = hi - lo;
    let (lo, hi) = if span > 0.0 {
        (lo - span * pad, hi + span * pad)
    } else {
        let half = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
        (lo - half, hi + half)
    };
    if !(hi - lo).is_finite() || hi - lo <= 0.0 {
        return Err(PlotError::InvalidInput(format!(
            "data from {lo} to {hi} spans more than an f64 axis can hold"
        )));
    }
    Ok((lo, hi))
}

/// Maximal runs of consecutive items that pass `ok`.
fn finite_runs<T: Copy>(items: &[T], ok: impl Fn(&T) -> bool) -> Vec<Vec<T>> {
    let mut runs = Vec::new();
    let mut current = Vec::new();
    for item in items {
        if ok(item) {
            current.push(*item);
        } else if !current.is_empty() {
            runs.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        runs.push(current);
    }
    runs
}

/// The plot area in data coordinates. plotters does not clip elements to the plot area, so
/// with a fixed `y_range` a curve outside it would be drawn over the axes and the title; we clip
/// in data space before handing points over.
#[derive(Debug, Clone, Copy)]
struct ClipRect {
    x0: f64,
    x1: f64,
    y0: f64,
    y1: f64,
}

/// The visible part of a segment, and whether the line crosses the border at each end.
#[derive(Debug, Clone, Copy)]
struct Clipped {
    from: (f64, f64),
    to: (f64, f64),
    enters: bool,
    leaves: bool,
}

impl ClipRect {
    fn contains(&self, (x, y): (f64, f64)) -> bool {
        (self.x0..=self.x1).contains(&x) && (self.y0..=self.y1).contains(&y)
    }

    /// Clips one segment (Liang–Barsky).
    fn segment(&self, a: (f64, f64), b: (f64, f64)) -> Option<Clipped> {
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let mut t0: f64 = 0.0;
        let mut t1: f64 = 1.0;
        for (p, q) in [
            (-dx, a.0 - self.x0),
            (dx, self.x1 - a.0),
            (-dy, a.1 - self.y0),
            (dy, self.y1 - a.1),
        ] {
            if p == 0.0 {
                if q < 0.0 {
                    return None;
                }
            } else {
                let t = q / p;
                if p < 0.0 {
                    t0 = t0.max(t);
                } else {
                    t1 = t1.min(t);
                }
            }
        }
        if t0 > t1 {
            return None;
        }
        let at = |t: f64| (a.0 + t * dx, a.1 + t * dy);
        Some(Clipped {
            from: at(t0),
            to: at(t1),
            enters: t0 > 0.0,
            leaves: t1 < 1.0,
        })
    }

    /// Clips a polyline into the pieces that lie inside.
    fn polyline(&self, points: &[(f64, f64)]) -> Vec<Vec<(f64, f64)>> {
        let mut pieces = Vec::new();
        let mut current: Vec<(f64, f64)> = Vec::new();
        for pair in points.windows(2) {
            match self.segment(pair[0], pair[1]) {
                Some(seg) => {
                    if seg.enters && !current.is_empty() {
                        pieces.push(std::mem::take(&mut current));
                    }
                    if current.is_empty() {
                        current.push(seg.from);
                    }
                    current.push(seg.to);
                    if seg.leaves {
                        pieces.push(std::mem::take(&mut current));
                    }
                }
                None => {
                    if !current.is_empty() {
                        pieces.push(std::mem::take(&mut current));
                    }
                }
            }
        }
        if !current.is_empty() {
            pieces.push(current);
        }
        pieces
    }

    /// Clips a polygon (Sutherland–Hodgman; the rectangle is convex, so one pass per edge).
    fn polygon(&self, outline: &[(f64, f64)]) -> Vec<(f64, f64)> {
        // Each edge: the coordinate it bounds (0 = x, 1 = y), its value, and whether the
        // inside lies above it.
        let edges = [
            (0, self.x0, true),
            (0, self.x1, false),
            (1, self.y0, true),
            (1, self.y1, false),
        ];
        let mut poly = outline.to_vec();
        for (axis, bound, above) in edges {
            if poly.is_empty() {
                break;
            }
            let coord = |p: (f64, f64)| if axis == 0 { p.0 } else { p.1 };
            let inside = |p: (f64, f64)| {
                if above {
                    coord(p) >= bound
                } else {
                    coord(p) <= bound
                }
            };
            let cross = |a: (f64, f64), b: (f64, f64)| {
                let t = (bound - coord(a)) / (coord(b) - coord(a));
                (a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1))
            };
            let mut next = Vec::with_capacity(poly.len() + 4);
            for (i, &cur) in poly.iter().enumerate() {
                let prev = poly[(i + poly.len() - 1) % poly.len()];
                match (inside(prev), inside(cur)) {
                    (true, true) => next.push(cur),
                    (true, false) => next.push(cross(prev, cur)),
                    (false, true) => {
                        next.push(cross(prev, cur));
                        next.push(cur);
                    }
                    (false, false) => {}
                }
            }
            poly = next;
        }
        poly
    }
}

/// Picks the legend corner that covers the fewest data points, given the legend's size as a
/// fraction of the plot. Loss curves fall (upper right is free), strength curves rise (upper
/// left is free); no single fixed corner suits both.
fn emptiest_corner(
    chart: &LineChart,
    clip: &ClipRect,
    box_w: f64,
    box_h: f64,
) -> SeriesLabelPosition {
    let (w, h) = (clip.x1 - clip.x0, clip.y1 - clip.y0);
    let corners = [
        (SeriesLabelPosition::UpperRight, true, true),
        (SeriesLabelPosition::UpperLeft, false, true),
        (SeriesLabelPosition::LowerRight, true, false),
        (SeriesLabelPosition::LowerLeft, false, false),
    ];
    let covered = |right: bool, upper: bool| {
        let (fx0, fx1) = if right {
            (1.0 - box_w, 1.0)
        } else {
            (0.0, box_w)
        };
        let (fy0, fy1) = if upper {
            (1.0 - box_h, 1.0)
        } else {
            (0.0, box_h)
        };
        let inside = |x: f64, y: f64| {
            let (fx, fy) = ((x - clip.x0) / w, (y - clip.y0) / h);
            (fx0..=fx1).contains(&fx) && (fy0..=fy1).contains(&fy)
        };
        chart
            .series
            .iter()
            .map(|s| {
                let line = s.points.iter().filter(|&&(x, y)| inside(x, y)).count();
                let band = s
                    .band
                    .iter()
                    .flatten()
                    .filter(|&&(x, lo, hi)| inside(x, lo) || inside(x, hi))
                    .count();
                line + band
            })
            .sum::<usize>()
    };
    let mut best = (usize::MAX, SeriesLabelPosition::UpperRight);
    for (position, right, upper) in corners {
        let n = covered(right, upper);
        if n < best.0 {
            best = (n, position);
        }
    }
    best.1
}

/// Width in pixels of `text` in the chart font (falls back to a rough estimate if the font
/// cannot measure, which only happens if registration failed, and that is reported earlier).
pub(crate) fn text_width(text: &str, size: u32) -> u32 {
    (FAMILY, f64::from(size))
        .into_font()
        .box_size(text)
        .map(|(w, _)| w)
        .unwrap_or(size * text.chars().count() as u32 * 6 / 10)
}

/// Tick label format for one axis, chosen from its range so that all its labels share a unit
/// and a number of decimals (`250k`, `500k`, `750k`; `0.25`, `0.5`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct TickFormat {
    scale: f64,
    suffix: &'static str,
    decimals: usize,
    scientific: bool,
}

impl TickFormat {
    pub(crate) fn new((lo, hi): (f64, f64)) -> Self {
        let max_abs = lo.abs().max(hi.abs());
        let (scale, suffix) = if max_abs >= 1e12 {
            (1e12, "T")
        } else if max_abs >= 1e9 {
            (1e9, "G")
        } else if max_abs >= 1e6 {
            (1e6, "M")
        } else if max_abs >= 1e4 {
            (1e3, "k")
        } else {
            (1.0, "")
        };
        let scaled_span = (hi - lo) / scale;
        // Two digits below the span's leading digit resolve any tick step plotters picks for
        // about ten ticks (steps of 1, 2, 2.5 or 5 times a power of ten).
        let decimals = (2.0 - scaled_span.log10().floor()).clamp(0.0, 8.0) as usize;
        TickFormat {
            scale,
            suffix,
            decimals,
            scientific: max_abs >= 1e15 || (max_abs < 1e-3 && max_abs > 0.0),
        }
    }

    pub(crate) fn format(&self, v: f64) -> String {
        if self.scientific {
            return format!("{v:.2e}");
        }
        let mut s = format!("{:.*}", self.decimals, v / self.scale);
        if s.contains('.') {
            let trimmed = s.trim_end_matches('0').trim_end_matches('.').len();
            s.truncate(trimmed);
        }
        if s == "-0" {
            s = "0".into();
        }
        if s != "0" {
            s.push_str(self.suffix);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tick_format_shares_unit_and_trims() {
        let f = TickFormat::new((0.0, 1e6));
        assert_eq!(f.format(250_000.0), "0.25M");
        assert_eq!(f.format(0.0), "0");
        let f = TickFormat::new((0.0, 90_000.0));
        assert_eq!(f.format(25_000.0), "25k");
        let f = TickFormat::new((-1.0, 1.0));
        assert_eq!(f.format(0.25), "0.25");
        assert_eq!(f.format(-1e-17), "0");
        assert_eq!(f.format(-0.5), "-0.5");
        let f = TickFormat::new((0.0, 1e-5));
        assert_eq!(f.format(5e-6), "5.00e-6");
    }

    #[test]
    fn axis_range_pads_and_widens() {
        assert_eq!(axis_range(None, 0.05).unwrap(), (0.0, 1.0));
        assert_eq!(axis_range(Some((0.0, 10.0)), 0.1).unwrap(), (-1.0, 11.0));
        assert_eq!(axis_range(Some((0.0, 0.0)), 0.05).unwrap(), (-1.0, 1.0));
        let (lo, hi) = axis_range(Some((5.0, 5.0)), 0.05).unwrap();
        assert!(lo < 5.0 && hi > 5.0);
        assert!(matches!(
            axis_range(Some((-1e308, 1e308)), 0.05),
            Err(PlotError::InvalidInput(_))
        ));
    }

    #[test]
    fn runs_split_at_bad_points() {
        let pts = [1.0, f64::NAN, 2.0, 3.0, f64::INFINITY, f64::NAN, 4.0];
        let runs = finite_runs(&pts, |v| v.is_finite());
        assert_eq!(runs, vec![vec![1.0], vec![2.0, 3.0], vec![4.0]]);
        assert!(finite_runs(&[f64::NAN], |v: &f64| v.is_finite()).is_empty());
    }

    fn unit() -> ClipRect {
        ClipRect {
            x0: 0.0,
            x1: 1.0,
            y0: 0.0,
            y1: 1.0,
        }
    }

    #[test]
    fn polyline_is_cut_where_it_leaves() {
        // Up out of the box, back in, then along inside.
        let line = [(0.0, 0.5), (0.5, 1.5), (1.0, 0.5), (1.0, 0.2)];
        let pieces = unit().polyline(&line);
        assert_eq!(pieces.len(), 2);
        assert_eq!(pieces[0], vec![(0.0, 0.5), (0.25, 1.0)]);
        assert_eq!(pieces[1], vec![(0.75, 1.0), (1.0, 0.5), (1.0, 0.2)]);
        assert!(unit().polyline(&[(2.0, 2.0), (3.0, 3.0)]).is_empty());
    }

    #[test]
    fn polygon_is_clipped_to_the_box() {
        let square = [(-1.0, -1.0), (2.0, -1.0), (2.0, 2.0), (-1.0, 2.0)];
        let clipped = unit().polygon(&square);
        assert_eq!(clipped.len(), 4);
        assert!(clipped.iter().all(|&p| unit().contains(p)));
        assert!(unit()
            .polygon(&[(2.0, 2.0), (3.0, 2.0), (3.0, 3.0)])
            .is_empty());
    }

    #[test]
    fn legend_avoids_the_data() {
        // A falling curve occupies the upper left and lower right.
        let chart = LineChart {
            series: vec![Series::new(
                "loss",
                (0..=100)
                    .map(|i| (f64::from(i), 100.0 - f64::from(i)))
                    .collect(),
            )],
            ..LineChart::default()
        };
        let clip = ClipRect {
            x0: 0.0,
            x1: 100.0,
            y0: 0.0,
            y1: 100.0,
        };
        let corner = emptiest_corner(&chart, &clip, 0.3, 0.1);
        assert!(matches!(corner, SeriesLabelPosition::UpperRight));
        let rising = LineChart {
            series: vec![Series::new(
                "elo",
                (0..=100).map(|i| (f64::from(i), f64::from(i))).collect(),
            )],
            ..LineChart::default()
        };
        assert!(matches!(
            emptiest_corner(&rising, &clip, 0.3, 0.1),
            SeriesLabelPosition::UpperLeft
        ));
    }
}
