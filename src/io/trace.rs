//! Reading time series (load traces, availability traces) from CSV.
//!
//! Format: a header row, then one row per sample. If the first column is named `t_s`, `time_s` or
//! `seconds`, it holds the sample's start time in seconds from the start of the simulation
//! (decimals allowed, exact to the millisecond); the rows must then be evenly spaced from 0, and a
//! missing or irregular row is a [`ConfigError::TraceGap`]. Without a time column the rows are
//! consecutive samples of a step the caller knows. The value column is the one named by
//! `column`, or else the first non-time column. Every value must be a finite number.

use super::csv_file;
use crate::error::ConfigError;
use crate::units::Duration;
use std::path::{Path, PathBuf};

/// A regularly sampled series read from CSV.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeSeries {
    /// The sample spacing, when the file has a time column (and at least two rows).
    pub step: Option<Duration>,
    /// The samples, in file order.
    pub values: Vec<f64>,
}

const TIME_COLUMNS: [&str; 3] = ["t_s", "time_s", "seconds"];

/// Reads a [`TimeSeries`] from the CSV file at `path`; `field` names the config field in errors.
///
/// # Errors
/// [`ConfigError::Io`] if the file cannot be opened, [`ConfigError::TraceSyntax`] (naming the
/// field and the file) if it is not CSV text (binary, not UTF-8, ragged rows),
/// [`ConfigError::TraceValue`] for a non-numeric or non-finite value (or a missing column),
/// [`ConfigError::TraceGap`] for irregular time stamps.
pub fn read_csv(path: &Path, field: &str, column: Option<&str>) -> Result<TimeSeries, ConfigError> {
    from_reader(csv_file::open(path)?, path, field, column)
}

/// Like [`read_csv`], from any reader; `path` is only used in error messages.
///
/// # Errors
/// As [`read_csv`].
pub fn from_reader<R: std::io::Read>(
    reader: R,
    path: &Path,
    field: &str,
    column: Option<&str>,
) -> Result<TimeSeries, ConfigError> {
    let csv_err = |source| csv_file::trace_syntax_error(field, path, source);
    let value_err = |row: u64, why: &'static str| csv_file::value_error(field, path, row, why);
    let mut rdr = csv_file::reader(reader);
    let headers = rdr.headers().map_err(csv_err)?.clone();
    let has_time = headers
        .get(0)
        .is_some_and(|h| TIME_COLUMNS.contains(&h.to_ascii_lowercase().as_str()));
    let value_col = match column {
        Some(name) => headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| value_err(0, "the named value column is not in the header"))?,
        None if has_time => 1,
        None => 0,
    };
    if value_col >= headers.len() {
        return Err(value_err(0, "the file has no value column"));
    }
    let mut values = Vec::new();
    let mut times: Vec<u64> = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let row = i as u64 + 1;
        let rec = rec.map_err(csv_err)?;
        let v: f64 = rec
            .get(value_col)
            .ok_or_else(|| value_err(row, "missing value"))?
            .parse()
            .map_err(|_| value_err(row, "value is not a number"))?;
        if !v.is_finite() {
            return Err(value_err(row, "value is not finite"));
        }
        values.push(v);
        if has_time {
            let t = rec.get(0).unwrap_or("");
            let d: Duration = format!("{t}s")
                .parse()
                .map_err(|_| value_err(row, "time is not a non-negative number of seconds"))?;
            times.push(d.as_millis());
        }
    }
    let step = if has_time {
        check_regular(&times, path, field)?
    } else {
        None
    };
    Ok(TimeSeries { step, values })
}

/// Checks that `times` (ms) are `0, s, 2s, …` and returns `s`.
fn check_regular(times: &[u64], path: &Path, field: &str) -> Result<Option<Duration>, ConfigError> {
    let gap = |row: usize, expected_ms: u64, found_ms: u64| ConfigError::TraceGap {
        field: field.to_string(),
        path: PathBuf::from(path),
        row: row as u64 + 1,
        expected_ms,
        found_ms,
    };
    match times {
        [] => Ok(None),
        [t0, ..] if *t0 != 0 => Err(gap(0, 0, *t0)),
        [_] => Ok(None),
        [_, t1, ..] => {
            let step = *t1;
            if step == 0 {
                return Err(gap(1, 1, 0));
            }
            for (i, &t) in times.iter().enumerate() {
                let expected = step * i as u64;
                if t != expected {
                    return Err(gap(i, expected, t));
                }
            }
            Ok(Some(Duration::from_millis(step)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, column: Option<&str>) -> Result<TimeSeries, ConfigError> {
        from_reader(text.as_bytes(), Path::new("mem.csv"), "load.it[0]", column)
    }

    #[test]
    fn reads_timed_and_untimed_series() {
        let s = read("t_s,it_mw\n0,1.0\n0.5,2.0\n1.0,3.0\n", None).unwrap();
        assert_eq!(s.step, Some(Duration::from_millis(500)));
        assert_eq!(s.values, vec![1.0, 2.0, 3.0]);
        let s = read("availability\n1\n0.5\n0\n", None).unwrap();
        assert_eq!(s.step, None);
        assert_eq!(s.values, vec![1.0, 0.5, 0.0]);
        let s = read("t_s,a,b\n0,1,10\n60,2,20\n", Some("b")).unwrap();
        assert_eq!(s.values, vec![10.0, 20.0]);
    }

    #[test]
    fn gaps_and_bad_values_are_errors() {
        assert!(matches!(
            read("t_s,v\n0,1\n1,1\n3,1\n", None),
            Err(ConfigError::TraceGap {
                row: 3,
                expected_ms: 2000,
                found_ms: 3000,
                ..
            })
        ));
        assert!(matches!(
            read("t_s,v\n5,1\n", None),
            Err(ConfigError::TraceGap { row: 1, .. })
        ));
        assert!(matches!(
            read("v\n1\nabc\n", None),
            Err(ConfigError::TraceValue { row: 2, .. })
        ));
        assert!(matches!(
            read("v\n1\nNaN\n", None),
            Err(ConfigError::TraceValue { row: 2, .. })
        ));
        assert!(matches!(
            read("t_s,v\n0,1\n", Some("w")),
            Err(ConfigError::TraceValue { row: 0, .. })
        ));
        assert!(matches!(
            read_csv(Path::new("/nonexistent/x.csv"), "f", None),
            Err(ConfigError::Io { .. })
        ));
    }

    #[test]
    fn binary_and_ragged_files_name_the_file() {
        for bytes in [
            &b"v\n1\n\xff\xfe\x00\n"[..],
            &b"\xff\xd8\xff\xe0 binary\n1\n"[..],
            &b"t_s,v\n0,1\n1,1,7\n"[..],
        ] {
            let err = from_reader(bytes, Path::new("mem.csv"), "load.it[0]", None).unwrap_err();
            assert!(
                matches!(&err, ConfigError::TraceSyntax { field, path, .. }
                    if field == "load.it[0]" && path == Path::new("mem.csv")),
                "{err}"
            );
            let msg = err.to_string();
            assert!(
                msg.contains("mem.csv") && msg.contains("load.it[0]"),
                "{msg}"
            );
        }
    }
}
