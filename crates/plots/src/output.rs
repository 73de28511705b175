//! From a drawing to two files: render into memory with both backends, then write each file
//! atomically.
//!
//! Both pictures are rendered before either file is touched, so a drawing error leaves the old
//! files in place rather than a fresh PNG next to a stale SVG.

use std::ffi::OsString;
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use plotters::backend::{BitMapBackend, DrawingBackend, RGBPixel, SVGBackend};
use plotters::coord::Shift;
use plotters::drawing::{DrawingArea, DrawingAreaErrorKind, IntoDrawingArea};
use plotters::style::WHITE;

use crate::font;
use crate::raster::Raster;
use crate::PlotError;

/// Something that can draw itself onto any plotters backend at a fixed pixel size.
///
/// Generic over the backend so one drawing routine serves the PNG and the SVG.
pub(crate) trait Figure {
    /// Width and height in pixels (SVG user units).
    fn size(&self) -> (u32, u32);

    /// Draws onto `area`, which is already cleared to white and has exactly [`Figure::size`].
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), DrawError>;
}

/// A plotters error, kept as text until we know which backend produced it.
#[derive(Debug)]
pub(crate) struct DrawError(pub(crate) String);

impl<E: std::error::Error + Send + Sync> From<DrawingAreaErrorKind<E>> for DrawError {
    fn from(e: DrawingAreaErrorKind<E>) -> Self {
        DrawError(e.to_string())
    }
}

/// Renders `figure` both ways and writes `<stem>.png` and `<stem>.svg`.
pub(crate) fn write_figure(figure: &impl Figure, stem: &Path) -> Result<Vec<PathBuf>, PlotError> {
    let png_path = sibling(stem, "png")?;
    let svg_path = sibling(stem, "svg")?;
    font::ensure_registered()?;
    let png = render_png(figure)?;
    let svg = render_svg(figure)?;
    write_atomic(&png_path, &png)?;
    write_atomic(&svg_path, svg.as_bytes())?;
    Ok(vec![png_path, svg_path])
}

/// `dir/name` → `dir/name.ext`, appending rather than replacing so that a stem such as
/// `elo.v2` keeps its dot.
fn sibling(stem: &Path, ext: &str) -> Result<PathBuf, PlotError> {
    let name = stem
        .file_name()
        .ok_or_else(|| PlotError::BadStem(stem.to_path_buf()))?;
    let mut file = OsString::from(name);
    file.push(".");
    file.push(ext);
    Ok(stem.with_file_name(file))
}

fn render_png(figure: &impl Figure) -> Result<Vec<u8>, PlotError> {
    let (w, h) = figure.size();
    let draw_err = |message: String| PlotError::Draw {
        what: "png",
        message,
    };
    let mut pixels = vec![0u8; w as usize * h as usize * 3];
    {
        let bitmap = BitMapBackend::<RGBPixel>::with_buffer_and_format(&mut pixels, (w, h))
            .map_err(|e| draw_err(e.to_string()))?;
        let area = Raster::new(bitmap)?.into_drawing_area();
        area.fill(&WHITE).map_err(|e| draw_err(e.to_string()))?;
        figure.draw(&area).map_err(|e| draw_err(e.0))?;
        area.present().map_err(|e| draw_err(e.to_string()))?;
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, w, h);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let encode_err = |e: png::EncodingError| PlotError::Encode(e.to_string());
    let mut writer = encoder.write_header().map_err(encode_err)?;
    writer.write_image_data(&pixels).map_err(encode_err)?;
    writer.finish().map_err(encode_err)?;
    Ok(out)
}

fn render_svg(figure: &impl Figure) -> Result<String, PlotError> {
    let draw_err = |message: String| PlotError::Draw {
        what: "svg",
        message,
    };
    let mut svg = String::new();
    {
        let area = SVGBackend::with_string(&mut svg, figure.size()).into_drawing_area();
        area.fill(&WHITE).map_err(|e| draw_err(e.to_string()))?;
        figure.draw(&area).map_err(|e| draw_err(e.0))?;
        area.present().map_err(|e| draw_err(e.to_string()))?;
    }
    Ok(svg)
}

/// Writes `bytes` to a hidden temporary file beside `path`, flushes it to disk and renames it
/// over `path`. Rename within one directory is atomic on the platforms we run on, so a reader
/// that opens `path` gets either the previous file or the complete new one. The temporary file
/// is removed if anything fails.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), PlotError> {
    // pid + counter keeps concurrent writers (threads, or two processes sharing a run
    // directory) from sharing a temporary file.
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let io_err = |source| PlotError::Io {
        path: path.to_path_buf(),
        source,
    };
    let name = path
        .file_name()
        .ok_or_else(|| PlotError::BadStem(path.to_path_buf()))?;
    let mut tmp_name = OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(
        ".{}.{}.tmp",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let tmp = path.with_file_name(tmp_name);
    let result = File::create_new(&tmp)
        .and_then(|mut file| {
            file.write_all(bytes)?;
            file.sync_all()
        })
        .and_then(|()| fs::rename(&tmp, path));
    if let Err(source) = result {
        // The temporary file may not exist (create failed); nothing more to report then.
        let _ = fs::remove_file(&tmp);
        return Err(io_err(source));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sibling_appends_extension() {
        assert_eq!(
            sibling(Path::new("runs/a/elo.v2"), "png").unwrap(),
            Path::new("runs/a/elo.v2.png")
        );
        assert_eq!(
            sibling(Path::new("loss"), "svg").unwrap(),
            Path::new("loss.svg")
        );
        assert!(matches!(
            sibling(Path::new(""), "png"),
            Err(PlotError::BadStem(_))
        ));
        assert!(matches!(
            sibling(Path::new("/"), "png"),
            Err(PlotError::BadStem(_))
        ));
        assert!(matches!(
            sibling(Path::new("a/.."), "png"),
            Err(PlotError::BadStem(_))
        ));
    }
}
