//! Typed errors, one enum per phase.
//!
//! * [`ConfigError`]: building a site or loading a scenario (parse, validate, read files). Every
//!   variant names the field it is about; range errors also carry the value and the allowed range.
//! * Running a validated simulation cannot fail on configuration; the only run-time error is an
//!   I/O failure of a streaming recorder, reported by [`crate::engine::recorder::CsvRecorder::finish`].

use std::path::PathBuf;

/// An invalid parameter, scenario file or data file, found before the engine runs.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A number outside its allowed range (including NaN and infinities).
    #[error("{field} = {} is out of range: allowed {allowed}", Number(*value))]
    OutOfRange {
        /// Dotted path of the field, e.g. `battery.initial_soc`.
        field: String,
        /// The offending value.
        value: f64,
        /// The allowed range, in words, e.g. `0 ≤ x ≤ 1`.
        allowed: &'static str,
    },
    /// A year of an augmentation plan that the horizon does not start (year `Y` of life starts
    /// `(Y − 1) × 8,760 h` after the run's start).
    #[error("{field} = {year} is out of range: {}", HorizonYears { years: *years, horizon: *horizon })]
    YearBeyondHorizon {
        /// Dotted path of the entry's year, e.g. `battery.augmentation.add[0].year`.
        field: String,
        /// The year named.
        year: u32,
        /// The years of life the horizon starts (the latest year allowed).
        years: u32,
        /// The horizon.
        horizon: crate::units::Duration,
    },
    /// A required field is missing (e.g. a custom battery without `energy_mwh`).
    #[error("{field} is required: {why}")]
    Missing {
        /// Dotted path of the missing field.
        field: String,
        /// Why it is required.
        why: &'static str,
    },
    /// Fields that are each valid but contradict one another.
    #[error("{field}: {why}")]
    Inconsistent {
        /// Dotted path of the field found inconsistent.
        field: String,
        /// The rule that is broken.
        why: &'static str,
    },
    /// A snapshot that was not taken on the site it is resumed on (another site's parameters or
    /// time grid, or a state whose shape does not fit this site).
    #[error("{field}: the snapshot does not match this site: {why}")]
    SnapshotMismatch {
        /// Dotted path of the part of the snapshot found not to match, e.g. `snapshot.battery.units`.
        field: String,
        /// What does not match.
        why: &'static str,
    },
    /// A zero time step.
    #[error("time.step must be at least 1ms, got 0")]
    ZeroStep,
    /// A horizon that is not a whole number of steps.
    #[error("time.horizon {horizon} is not a whole number of steps of {step}")]
    HorizonNotMultiple {
        /// The requested horizon.
        horizon: crate::units::Duration,
        /// The time step.
        step: crate::units::Duration,
    },
    /// A duration that is not a whole multiple of another it must align with.
    #[error("{field} = {value} must be a whole multiple of {multiple_of}")]
    NotMultiple {
        /// Dotted path of the field.
        field: String,
        /// Its value.
        value: crate::units::Duration,
        /// The duration it must be a multiple of.
        multiple_of: crate::units::Duration,
    },
    /// A data trace whose length does not fit the horizon.
    #[error("{field}: trace {path:?} has {found} rows, needs {expected}")]
    TraceLength {
        /// The config field that names the trace.
        field: String,
        /// The trace file (empty for in-memory traces).
        path: PathBuf,
        /// Rows needed.
        expected: u64,
        /// Rows found.
        found: u64,
    },
    /// A data trace with a missing or irregular time stamp.
    #[error("{field}: trace {path:?}, {}: time {found_ms} ms, expected {expected_ms} ms (gap or irregular step)", TraceRow(*row))]
    TraceGap {
        /// The config field that names the trace.
        field: String,
        /// The trace file.
        path: PathBuf,
        /// 1-based data row (header excluded).
        row: u64,
        /// The time stamp the regular step implies.
        expected_ms: u64,
        /// The time stamp found.
        found_ms: u64,
    },
    /// A data trace row that is not a valid number.
    #[error("{field}: trace {path:?}, {}: {why}", TraceRow(*row))]
    TraceValue {
        /// The config field that names the trace.
        field: String,
        /// The trace file.
        path: PathBuf,
        /// 1-based data row (header excluded).
        row: u64,
        /// What is wrong with the row.
        why: &'static str,
    },
    /// A data trace value outside the range its field allows.
    #[error("{field}: trace {path:?}, {} = {} is out of range: allowed {allowed}", TraceRow(*row), Number(*value))]
    TraceOutOfRange {
        /// The config field that names the trace.
        field: String,
        /// The trace file (as the scenario names it, or as read).
        path: PathBuf,
        /// 1-based data row (header excluded).
        row: u64,
        /// The offending value.
        value: f64,
        /// The allowed range, in words.
        allowed: &'static str,
    },
    /// A data trace whose time column steps by another step than its field needs.
    #[error(
        "{field}: trace {path:?} has a time step of {found} (its time column), must be {expected}"
    )]
    TraceStep {
        /// The config field that names the trace.
        field: String,
        /// The trace file.
        path: PathBuf,
        /// The step of the file's time column.
        found: crate::units::Duration,
        /// The step the field needs.
        expected: crate::units::Duration,
    },
    /// A data trace file that could not be read.
    #[error("{field}: cannot read trace {path:?}: {source}")]
    TraceIo {
        /// The config field that names the trace.
        field: String,
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A file that could not be read.
    #[error("cannot read {path:?}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A TOML scenario that does not parse or has unknown keys.
    #[error("{path:?}: {source}")]
    Toml {
        /// The file (empty for strings).
        path: PathBuf,
        /// The parser's error, which names the key and position.
        #[source]
        source: toml::de::Error,
    },
    /// A JSON scenario that does not parse or has unknown keys.
    #[error("{path:?}: at key {key}: {source}")]
    Json {
        /// The file (empty for strings).
        path: PathBuf,
        /// The dotted key path where parsing stopped, e.g. `grid.import_limit_mw` or
        /// `load.it[0].it_mw` (`.` for the top level).
        key: String,
        /// The parser's error, which gives the line and column.
        #[source]
        source: serde_json::Error,
    },
    /// A CSV data file that does not parse.
    #[error("{path:?}: {source}")]
    Csv {
        /// The file.
        path: PathBuf,
        /// The parser's error.
        #[source]
        source: csv::Error,
    },
    /// A data trace that is not CSV text (binary, not UTF-8, or rows of unequal length).
    #[error("{field}: trace {path:?} is not a readable CSV text file: {source}")]
    TraceSyntax {
        /// The config field that names the trace.
        field: String,
        /// The trace file.
        path: PathBuf,
        /// The parser's error, with the row, line and byte.
        #[source]
        source: csv::Error,
    },
    /// The Monte Carlo worker threads could not be started.
    #[error("cannot start the worker threads: {source}")]
    ThreadPool {
        /// rayon's error.
        #[source]
        source: rayon::ThreadPoolBuildError,
    },
    /// Monte Carlo shards that cannot be run or merged (see
    /// [`crate::studies::montecarlo::shard`]).
    #[error(transparent)]
    Shard(#[from] crate::studies::montecarlo::ShardError),
    /// A scenario file whose extension is neither `.toml` nor `.json`.
    #[error("{path:?}: unknown scenario format (use a .toml or .json file)")]
    UnknownFormat {
        /// The file.
        path: PathBuf,
    },
}

/// A number as a person reads it in a message: the shortest form that reads back to the same
/// value, in scientific notation when it would otherwise print more than 16 digits (`1e300`,
/// `5e-324`, not three hundred zeros).
#[derive(Debug, Clone, Copy)]
pub struct Number(pub f64);

impl std::fmt::Display for Number {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        /// Magnitudes printed in plain decimal; outside them, scientific notation.
        const PLAIN: std::ops::Range<f64> = 1e-6..1e16;
        let v = self.0;
        if v == 0.0 || !v.is_finite() || PLAIN.contains(&v.abs()) {
            write!(f, "{v}")
        } else {
            write!(f, "{v:e}")
        }
    }
}

/// A trace's row in a message: `data row N (counted from 1 after the header)`, or `header` for
/// row 0 (a problem with the header itself, e.g. a missing column).
struct TraceRow(u64);

impl std::fmt::Display for TraceRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            0 => f.write_str("header"),
            row => write!(f, "data row {row} (counted from 1 after the header)"),
        }
    }
}

/// The years an augmentation plan may name on a horizon (see
/// [`ConfigError::YearBeyondHorizon`]).
struct HorizonYears {
    years: u32,
    horizon: crate::units::Duration,
}

impl std::fmt::Display for HorizonYears {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Self { years, horizon } = self;
        if *years < 2 {
            write!(
                f,
                "the horizon of {horizon} starts only year 1 of life: an augmentation needs a \
                 horizon over a year (8,760 h)"
            )
        } else {
            write!(
                f,
                "allowed 2 ≤ year ≤ {years} (the years of life the horizon of {horizon} starts; \
                 year Y starts (Y − 1) × 8,760 h in)"
            )
        }
    }
}

/// A [`ConfigError::OutOfRange`] naming `field`, the value and `allowed`.
pub(crate) fn out_of_range(
    field: impl Into<String>,
    value: f64,
    allowed: &'static str,
) -> ConfigError {
    ConfigError::OutOfRange {
        field: field.into(),
        value,
        allowed,
    }
}

/// Checks that `value` is finite and `lo ≤ value ≤ hi`.
///
/// # Errors
/// [`ConfigError::OutOfRange`] naming `field`, the value and `allowed`.
pub(crate) fn check_range(
    field: impl Into<String>,
    value: f64,
    lo: f64,
    hi: f64,
    allowed: &'static str,
) -> Result<f64, ConfigError> {
    if value.is_finite() && value >= lo && value <= hi {
        Ok(value)
    } else {
        Err(ConfigError::OutOfRange {
            field: field.into(),
            value,
            allowed,
        })
    }
}

/// Checks that `value` is finite and `value ≥ 0`.
pub(crate) fn check_non_negative(field: impl Into<String>, value: f64) -> Result<f64, ConfigError> {
    check_range(field, value, 0.0, f64::MAX, "a finite number ≥ 0")
}

/// Checks that `value` is finite and `value > 0`.
pub(crate) fn check_positive(field: impl Into<String>, value: f64) -> Result<f64, ConfigError> {
    let field = field.into();
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(ConfigError::OutOfRange {
            field,
            value,
            allowed: "a finite number > 0",
        })
    }
}

/// Checks that `value` is a fraction: finite and `0 ≤ value ≤ 1`.
pub(crate) fn check_fraction(field: impl Into<String>, value: f64) -> Result<f64, ConfigError> {
    check_range(field, value, 0.0, 1.0, "0 ≤ x ≤ 1")
}
