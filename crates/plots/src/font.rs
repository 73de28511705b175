//! The one embedded font.
//!
//! plotters' `ab_glyph` text backend looks fonts up by family name in a process-wide table that
//! starts empty; a chart drawn before anything is registered fails with "font unavailable". We
//! register DejaVu Sans once, under the generic name `sans-serif`, which is both plotters' default
//! family (axis labels that are not styled explicitly use it) and the CSS generic that SVG viewers
//! resolve to a font they have.

use std::sync::OnceLock;

use plotters::style::{register_font, FontStyle};

use crate::PlotError;

/// The family every text element uses.
pub(crate) const FAMILY: &str = "sans-serif";

/// DejaVu Sans 2.37, unmodified (licence beside it).
pub(crate) static DEJAVU_SANS: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");

/// Registers the font on first use; later calls return the first outcome.
pub(crate) fn ensure_registered() -> Result<(), PlotError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok =
        *REGISTERED.get_or_init(|| register_font(FAMILY, FontStyle::Normal, DEJAVU_SANS).is_ok());
    if ok {
        Ok(())
    } else {
        Err(PlotError::Font)
    }
}
