//! Output files: JSON documents and CSV tables.

use crate::error::CliError;
use serde::Serialize;
use std::path::Path;

/// Writes `value` as pretty JSON to `path`.
pub fn write_json(path: &Path, value: &impl Serialize) -> Result<(), CliError> {
    let file = std::fs::File::create(path).map_err(|e| CliError::write(path, e))?;
    let mut w = std::io::BufWriter::new(file);
    serde_json::to_writer_pretty(&mut w, value).map_err(|e| CliError::write(path, e))?;
    std::io::Write::flush(&mut w).map_err(|e| CliError::write(path, e))
}

/// Writes `rows` as CSV (a header, then one line per row) to `path`.
pub fn write_csv<T: Serialize>(path: &Path, rows: &[T]) -> Result<(), CliError> {
    let mut w = csv::Writer::from_path(path).map_err(|e| CliError::write(path, e))?;
    for row in rows {
        w.serialize(row).map_err(|e| CliError::write(path, e))?;
    }
    w.flush().map_err(|e| CliError::write(path, e))
}
