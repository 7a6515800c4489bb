//! What the CSV readers share: opening a file, the reader settings, and the errors that name the
//! file (and the row and field of a bad value).

use crate::error::ConfigError;
use std::path::Path;

/// Opens `path` for reading.
pub(super) fn open(path: &Path) -> Result<std::fs::File, ConfigError> {
    std::fs::File::open(path).map_err(|source| ConfigError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// A CSV reader with a header row, fields trimmed of surrounding white space.
pub(super) fn reader<R: std::io::Read>(reader: R) -> csv::Reader<R> {
    csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(reader)
}

/// A CSV syntax error in `path`.
pub(super) fn syntax_error(path: &Path, source: csv::Error) -> ConfigError {
    ConfigError::Csv {
        path: path.to_path_buf(),
        source,
    }
}

/// A data trace named by the config field `field` that is not CSV text.
pub(super) fn trace_syntax_error(field: &str, path: &Path, source: csv::Error) -> ConfigError {
    ConfigError::TraceSyntax {
        field: field.to_string(),
        path: path.to_path_buf(),
        source,
    }
}

/// A bad value in `path`: `field` is the config field or column, `row` the 1-based data row
/// (0 for the header).
pub(super) fn value_error(field: &str, path: &Path, row: u64, why: &'static str) -> ConfigError {
    ConfigError::TraceValue {
        field: field.to_string(),
        path: path.to_path_buf(),
        row,
        why,
    }
}
