//! Output: standard output (through a writer whose errors are [`CliError::Stdout`], so a closed
//! pipe ends the program instead of panicking as `println!` does), JSON documents and CSV tables.

use crate::error::CliError;
use serde::Serialize;
use std::io::Write;
use std::path::Path;

/// Standard output, locked for the program's lifetime and line-buffered. `write!` and
/// `writeln!` work on it and fail with [`CliError::Stdout`].
pub struct Stdout(std::io::StdoutLock<'static>);

impl Stdout {
    /// Locks standard output.
    pub fn lock() -> Stdout {
        Stdout(std::io::stdout().lock())
    }

    /// Writes formatted text (what `write!` and `writeln!` call).
    pub fn write_fmt(&mut self, args: std::fmt::Arguments<'_>) -> Result<(), CliError> {
        self.0.write_fmt(args).map_err(CliError::Stdout)
    }

    /// Flushes what is buffered.
    pub fn flush(&mut self) -> Result<(), CliError> {
        self.0.flush().map_err(CliError::Stdout)
    }
}

/// Writes `value` as pretty JSON to `path`.
pub fn write_json(path: &Path, value: &impl Serialize) -> Result<(), CliError> {
    let file = std::fs::File::create(path).map_err(|e| CliError::write(path, e))?;
    let mut w = std::io::BufWriter::new(file);
    serde_json::to_writer_pretty(&mut w, value).map_err(|e| CliError::write(path, e))?;
    w.flush().map_err(|e| CliError::write(path, e))
}

/// Writes `rows` as CSV (a header, then one line per row) to `path`.
pub fn write_csv<T: Serialize>(path: &Path, rows: &[T]) -> Result<(), CliError> {
    let mut w = csv::Writer::from_path(path).map_err(|e| CliError::write(path, e))?;
    for row in rows {
        w.serialize(row).map_err(|e| CliError::write(path, e))?;
    }
    w.flush().map_err(|e| CliError::write(path, e))
}
