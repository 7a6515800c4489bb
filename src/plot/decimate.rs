//! Min/max decimation of long series for drawing.
//!
//! A chart a thousand pixels wide cannot show 525,600 points (a year at 1-minute steps); drawing
//! them all makes files of tens of megabytes and takes seconds. Averaging or taking every n-th
//! point would hide exactly what a planner looks for: a one-minute loss of load, the bottom of a
//! discharge. Instead the series is cut into as many consecutive runs as the chart has pixel
//! columns, and each run is drawn as its minimum and its maximum, in the order they occur: the
//! polyline through them covers the same pixels as the full series would (to the column).
//!
//! ```
//! use ridethrough::plot::decimate::{columns, points};
//! let series: Vec<f64> = (0..1000).map(|i| if i == 517 { -5.0 } else { (i % 7) as f64 }).collect();
//! let cols = columns(&series, 10);
//! assert_eq!(cols.len(), 10);
//! assert_eq!(cols[5].min, -5.0); // the one-sample dip survives
//! assert!(points(&cols).len() <= 20);
//! ```

use std::ops::Range;

/// One run of consecutive samples, drawn as one pixel column.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// The samples it covers (never empty).
    pub range: Range<usize>,
    /// The smallest sample.
    pub min: f64,
    /// Index of the (first) smallest sample.
    pub min_at: usize,
    /// The largest sample.
    pub max: f64,
    /// Index of the (first) largest sample.
    pub max_at: usize,
}

/// Cuts `values` into at most `columns` consecutive runs of near-equal length (each at least one
/// sample) and gives the minimum and maximum of each. NaN samples are ignored unless a run holds
/// nothing else. With as many columns as samples or more, each sample is its own column.
pub fn columns(values: &[f64], columns: usize) -> Vec<Column> {
    let n = values.len();
    let c = columns.clamp(1, n.max(1));
    if n == 0 {
        return Vec::new();
    }
    (0..c)
        .map(|i| {
            let range = (i * n / c)..((i + 1) * n / c);
            let mut col = Column {
                range: range.clone(),
                min: values[range.start],
                min_at: range.start,
                max: values[range.start],
                max_at: range.start,
            };
            for j in range {
                let v = values[j];
                if v < col.min || col.min.is_nan() {
                    col.min = v;
                    col.min_at = j;
                }
                if v > col.max || col.max.is_nan() {
                    col.max = v;
                    col.max_at = j;
                }
            }
            col
        })
        .collect()
}

/// The points to draw, as `(sample index, value)`: each column's minimum and maximum in the order
/// they occur (one point when they are the same sample).
pub fn points(columns: &[Column]) -> Vec<(usize, f64)> {
    let mut out = Vec::with_capacity(2 * columns.len());
    for c in columns {
        let (a, b) = if c.min_at <= c.max_at {
            ((c.min_at, c.min), (c.max_at, c.max))
        } else {
            ((c.max_at, c.max), (c.min_at, c.min))
        };
        out.push(a);
        if b.0 != a.0 {
            out.push(b);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Columns cover every sample once, in order; each keeps its run's min and max (found
        /// at the indices it names), and the points include them.
        #[test]
        fn columns_keep_the_min_and_max_of_each_run(
            values in prop::collection::vec(-1e6f64..1e6, 1..3000),
            width in 1usize..700,
        ) {
            let cols = columns(&values, width);
            prop_assert_eq!(cols.len(), width.min(values.len()));
            let mut next = 0;
            for c in &cols {
                prop_assert_eq!(c.range.start, next);
                prop_assert!(!c.range.is_empty());
                next = c.range.end;
                let raw = &values[c.range.clone()];
                let min = raw.iter().copied().fold(f64::INFINITY, f64::min);
                let max = raw.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                prop_assert_eq!(c.min, min);
                prop_assert_eq!(c.max, max);
                prop_assert_eq!(values[c.min_at], min);
                prop_assert_eq!(values[c.max_at], max);
                prop_assert!(c.range.contains(&c.min_at) && c.range.contains(&c.max_at));
            }
            prop_assert_eq!(next, values.len());
            // Runs differ in length by at most one sample.
            let lens: Vec<usize> = cols.iter().map(|c| c.range.len()).collect();
            prop_assert!(lens.iter().max().unwrap() - lens.iter().min().unwrap() <= 1);
            let pts = points(&cols);
            prop_assert!(pts.len() <= 2 * cols.len());
            prop_assert!(pts.windows(2).all(|w| w[0].0 < w[1].0));
            let global_min = values.iter().copied().fold(f64::INFINITY, f64::min);
            let global_max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            prop_assert!(pts.iter().any(|p| p.1 == global_min));
            prop_assert!(pts.iter().any(|p| p.1 == global_max));
        }
    }

    #[test]
    fn empty_and_short_series() {
        assert!(columns(&[], 10).is_empty());
        let cols = columns(&[1.0, 2.0, 3.0], 10);
        assert_eq!(cols.len(), 3);
        assert_eq!(points(&cols), vec![(0, 1.0), (1, 2.0), (2, 3.0)]);
    }

    #[test]
    fn nan_is_ignored_beside_numbers() {
        let cols = columns(&[f64::NAN, 2.0, -1.0], 1);
        assert_eq!((cols[0].min, cols[0].max), (-1.0, 2.0));
    }
}
