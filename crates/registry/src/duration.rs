use std::time::Duration;

/// Reads a time limit such as `500ms`, `2s`, `1.5s` or `1m` (a bare number means seconds).
///
/// # Errors
/// A message naming the accepted forms.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (number, scale) = if let Some(n) = t.strip_suffix("ms") {
        (n, 1e-3)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = t.strip_suffix('m') {
        (n, 60.0)
    } else {
        (t, 1.0)
    };
    match number.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v * scale < 1e7 => Ok(Duration::from_secs_f64(v * scale)),
        _ => Err(format!(
            "cannot read duration `{text}`: expected a positive number with a unit, e.g. 500ms, 2s, 1.5s, 1m"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_units() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("1m"), Ok(Duration::from_secs(60)));
        for bad in ["", "0s", "-1s", "fast", "1h", "nan"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
