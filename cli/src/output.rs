//! Output: standard output (through a writer whose errors are [`CliError::Stdout`], so a closed
//! pipe ends the program instead of panicking as `println!` does; results with `write!`, status
//! lines that `--quiet` drops with [`Stdout::note`]), JSON documents and CSV tables.

use crate::error::CliError;
use serde::Serialize;
use std::io::Write;
use std::path::Path;

/// Standard output, locked for the program's lifetime and line-buffered. `write!` and
/// `writeln!` work on it and fail with [`CliError::Stdout`].
pub struct Stdout {
    out: std::io::StdoutLock<'static>,
    quiet: bool,
}

impl Stdout {
    /// Locks standard output; `quiet` drops the status lines ([`Stdout::note`]).
    pub fn lock(quiet: bool) -> Stdout {
        Stdout {
            out: std::io::stdout().lock(),
            quiet,
        }
    }

    /// Writes formatted text (what `write!` and `writeln!` call): results.
    pub fn write_fmt(&mut self, args: std::fmt::Arguments<'_>) -> Result<(), CliError> {
        self.out.write_fmt(args).map_err(CliError::Stdout)
    }

    /// Writes a status line (timing, files written, self-checks passed) unless quiet.
    pub fn note(&mut self, args: std::fmt::Arguments<'_>) -> Result<(), CliError> {
        if self.quiet {
            return Ok(());
        }
        self.out.write_fmt(args).map_err(CliError::Stdout)?;
        self.out.write_all(b"\n").map_err(CliError::Stdout)
    }

    /// Flushes what is buffered.
    pub fn flush(&mut self) -> Result<(), CliError> {
        self.out.flush().map_err(CliError::Stdout)
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
