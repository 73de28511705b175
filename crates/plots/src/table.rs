//! A run's `metrics.csv` read back as named columns, the source of every training overview.

use std::path::Path;

use crate::Series;

/// A CSV file of numbers with a header row: one row per step (generation, update), the step in
/// the first column. Empty or unparsable cells are missing values, not zeros: evaluations run
/// only every few steps, and the first generation of an overlapped run has no loss.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MetricsTable {
    header: Vec<String>,
    rows: Vec<Vec<Option<f64>>>,
}

impl MetricsTable {
    /// Parses CSV text.
    pub fn parse(text: &str) -> Self {
        let mut lines = text.lines();
        let header = lines
            .next()
            .unwrap_or("")
            .split(',')
            .map(str::to_string)
            .collect();
        let rows = lines
            .filter(|l| !l.trim().is_empty())
            .map(|l| l.split(',').map(|v| v.trim().parse::<f64>().ok()).collect())
            .collect();
        MetricsTable { header, rows }
    }

    /// Reads and parses `path`.
    ///
    /// # Errors
    /// The file cannot be read.
    pub fn read(path: &Path) -> std::io::Result<Self> {
        Ok(Self::parse(&std::fs::read_to_string(path)?))
    }

    /// The column names, in file order.
    pub fn header(&self) -> &[String] {
        &self.header
    }

    /// `(step, value)` for every row where the column has a value; empty for an unknown column.
    pub fn column(&self, name: &str) -> Vec<(f64, f64)> {
        let Some(k) = self.header.iter().position(|h| h == name) else {
            return Vec::new();
        };
        self.rows
            .iter()
            .filter_map(|r| Some((r.first().copied().flatten()?, r.get(k).copied().flatten()?)))
            .collect()
    }

    /// One series per named column that has at least one value, named after the column.
    pub fn series<S: AsRef<str>>(&self, names: &[S]) -> Vec<Series> {
        names
            .iter()
            .map(|n| Series::new(n.as_ref(), self.column(n.as_ref())))
            .filter(|s| !s.points.is_empty())
            .collect()
    }

    /// The column names that satisfy `keep`, in file order.
    pub fn columns_where(&self, keep: impl Fn(&str) -> bool) -> Vec<String> {
        self.header.iter().filter(|h| keep(h)).cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_skip_missing_cells_and_unknown_names_are_empty() {
        let t = MetricsTable::parse("step,loss,score\n1,0.5,\n2,,0.75\n3,0.25,1\n\n");
        assert_eq!(t.column("loss"), vec![(1.0, 0.5), (3.0, 0.25)]);
        assert_eq!(t.column("score"), vec![(2.0, 0.75), (3.0, 1.0)]);
        assert!(t.column("nope").is_empty());
        let s = t.series(&["loss", "nope", "score"]);
        assert_eq!(s.len(), 2);
        assert_eq!(s[1].name, "score");
        assert_eq!(t.columns_where(|h| h.starts_with('s')), ["step", "score"]);
    }
}
