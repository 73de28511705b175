//! The PNG backend: plotters' bitmap backend with our own text rasteriser.
//!
//! plotters 0.3.7's `ab_glyph` text path places each glyph at the pen position without the
//! glyph's left side bearing, so narrow glyphs drift left ("v alue", "1 00"). This wrapper
//! forwards every drawing call to [`BitMapBackend`] except text, which it lays out the way
//! plotters measures it (advance widths plus kerning, at the same pixel scale) and rasterises
//! each glyph at its true outline position. Because the widths agree with plotters' own
//! estimate, label areas and legends sized by plotters still fit.

use std::sync::OnceLock;

use ab_glyph::{point, Font, FontRef, ScaleFont};
use plotters::backend::{BitMapBackend, DrawingBackend, RGBPixel};
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind,
};

use crate::font::DEJAVU_SANS;
use crate::PlotError;

type BitmapError = <BitMapBackend<'static, RGBPixel> as DrawingBackend>::ErrorType;

/// The parsed font, shared by all renders.
fn dejavu() -> Result<&'static FontRef<'static>, PlotError> {
    static FONT: OnceLock<Option<FontRef<'static>>> = OnceLock::new();
    FONT.get_or_init(|| FontRef::try_from_slice(DEJAVU_SANS).ok())
        .as_ref()
        .ok_or(PlotError::Font)
}

/// [`BitMapBackend`] with corrected text placement.
pub(crate) struct Raster<'a> {
    inner: BitMapBackend<'a, RGBPixel>,
    font: &'static FontRef<'static>,
    /// Height of the font's capital letters per pixel of text size, for vertical centring.
    cap_per_px: f32,
}

impl<'a> Raster<'a> {
    pub(crate) fn new(inner: BitMapBackend<'a, RGBPixel>) -> Result<Self, PlotError> {
        let font = dejavu()?;
        // Capital height per pixel of text size (the scale at which ascent minus descent
        // equals the size), measured from 'H' drawn on the baseline at a large size.
        const PROBE: f32 = 1000.0;
        let probe = font
            .glyph_id('H')
            .with_scale_and_position(PROBE, point(0.0, 0.0));
        let cap_per_px = font
            .as_scaled(PROBE)
            .outline_glyph(probe)
            .map_or(0.73, |o| -o.px_bounds().min.y / PROBE);
        Ok(Raster {
            inner,
            font,
            cap_per_px,
        })
    }
}

impl DrawingBackend for Raster<'_> {
    type ErrorType = BitmapError;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<BitmapError>> {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<BitmapError>> {
        self.inner.present()
    }

    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<BitmapError>> {
        self.inner.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<BitmapError>> {
        self.inner.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<BitmapError>> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<BitmapError>> {
        self.inner.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<BitmapError>> {
        self.inner.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<BitmapError>> {
        self.inner.fill_polygon(vert, style)
    }

    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        size: (u32, u32),
        src: &[u8],
    ) -> Result<(), DrawingErrorKind<BitmapError>> {
        self.inner.blit_bitmap(pos, size, src)
    }

    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<BitmapError>> {
        let color = style.color();
        if color.alpha == 0.0 || text.is_empty() {
            return Ok(());
        }
        let size = style.size() as f32;
        let font = self.font.as_scaled(size);

        // Pen positions, exactly as plotters measures the string.
        let mut glyphs = Vec::with_capacity(text.len());
        let mut caret = 0.0f32;
        let mut prev = None;
        for c in text.chars() {
            let id = font.glyph_id(c);
            if let Some(prev) = prev {
                caret += font.kern(prev, id);
            }
            glyphs.push((id, caret));
            caret += font.h_advance(id);
            prev = Some(id);
        }

        // plotters' layout box: the advance width by size/1.24 (its em estimate). The anchor
        // moves the box; capitals and digits are centred in it vertically, so a label anchored
        // at its centre sits level with its tick.
        let width = caret.round() as i32;
        let height = (size / 1.24) as i32;
        let dx = match style.anchor().h_pos {
            HPos::Left => 0,
            HPos::Center => -width / 2,
            HPos::Right => -width,
        };
        let dy = match style.anchor().v_pos {
            VPos::Top => 0,
            VPos::Center => -height / 2,
            VPos::Bottom => -height,
        };
        let baseline = height as f32 / 2.0 + self.cap_per_px * size / 2.0;
        let transform = style.transform();

        let mut result = Ok(());
        for (id, x) in glyphs {
            let glyph = id.with_scale_and_position(size, point(x, baseline));
            let Some(outline) = font.outline_glyph(glyph) else {
                continue; // blank glyphs (space) have no outline
            };
            let bounds = outline.px_bounds();
            let (ox, oy) = (bounds.min.x as i32 + dx, bounds.min.y as i32 + dy);
            outline.draw(|gx, gy, coverage| {
                if result.is_err() || coverage <= 0.0 {
                    return;
                }
                let (tx, ty) = transform.transform(ox + gx as i32, oy + gy as i32);
                let ink = BackendColor {
                    alpha: color.alpha * f64::from(coverage.min(1.0)),
                    rgb: color.rgb,
                };
                result = self.inner.draw_pixel((pos.0 + tx, pos.1 + ty), ink);
            });
            if result.is_err() {
                break;
            }
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plotters::drawing::IntoDrawingArea;
    use plotters::element::Text;
    use plotters::style::text_anchor::Pos;
    use plotters::style::{IntoFont, TextStyle, WHITE};

    /// Renders `text` anchored at `anchor` = (60, 40) in a 120×80 image and returns the
    /// bounding box of the ink (pixels darker than mid-grey): (x0, y0, x1, y1).
    fn ink_box(text: &str, h: HPos, v: VPos) -> (usize, usize, usize, usize) {
        crate::font::ensure_registered().unwrap();
        let (w, ht) = (120usize, 80usize);
        let mut pixels = vec![0u8; w * ht * 3];
        {
            let bitmap =
                BitMapBackend::with_buffer_and_format(&mut pixels, (w as u32, ht as u32)).unwrap();
            let area = Raster::new(bitmap).unwrap().into_drawing_area();
            area.fill(&WHITE).unwrap();
            let style = TextStyle::from((crate::font::FAMILY, 40).into_font()).pos(Pos::new(h, v));
            area.draw(&Text::new(text, (60, 40), style)).unwrap();
            area.present().unwrap();
        }
        let dark: Vec<(usize, usize)> = (0..ht)
            .flat_map(|y| (0..w).map(move |x| (x, y)))
            .filter(|&(x, y)| pixels[(y * w + x) * 3] < 128)
            .collect();
        assert!(!dark.is_empty(), "no ink for {text:?}");
        let x0 = dark.iter().map(|p| p.0).min().unwrap();
        let x1 = dark.iter().map(|p| p.0).max().unwrap();
        let y0 = dark.iter().map(|p| p.1).min().unwrap();
        let y1 = dark.iter().map(|p| p.1).max().unwrap();
        (x0, y0, x1, y1)
    }

    #[test]
    fn centred_capitals_sit_on_the_anchor() {
        let (x0, y0, x1, y1) = ink_box("HH", HPos::Center, VPos::Center);
        let (cx, cy) = ((x0 + x1) as f64 / 2.0, (y0 + y1) as f64 / 2.0);
        assert!((cx - 60.0).abs() <= 1.5, "horizontal centre {cx}");
        assert!((cy - 40.0).abs() <= 1.5, "vertical centre {cy}");
    }

    #[test]
    fn glyphs_keep_their_side_bearing() {
        // plotters' own ab_glyph path starts the ink of a left-anchored "1" exactly at the
        // anchor; the glyph's left side bearing (about 4 px at this size) must come first.
        let font = dejavu().unwrap().as_scaled(40.0);
        let bearing = font.h_side_bearing(font.glyph_id('1'));
        assert!(
            bearing > 2.5,
            "test needs a glyph with a visible bearing, got {bearing}"
        );
        let (x0, _, _, _) = ink_box("1", HPos::Left, VPos::Center);
        assert!(
            (x0 as f32 - (60.0 + bearing)).abs() <= 1.0,
            "ink starts at {x0}, expected {}",
            60.0 + bearing
        );
        // A right anchor ends the advance box there: the ink ends one right bearing before.
        let right_bearing = font.h_advance(font.glyph_id('1'))
            - bearing
            - (font
                .outline_glyph(font.glyph_id('1').with_scale(40.0))
                .unwrap()
                .px_bounds()
                .width());
        let (_, _, x1, _) = ink_box("1", HPos::Right, VPos::Center);
        assert!(
            (x1 as f32 - (60.0 - right_bearing)).abs() <= 2.0,
            "ink ends at {x1}, expected about {}",
            60.0 - right_bearing
        );
    }
}
