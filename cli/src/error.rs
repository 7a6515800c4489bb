//! The program's errors: the library's typed configuration errors, output that cannot be
//! written, and a failed self-check.

use ridethrough::ConfigError;
use std::path::PathBuf;

/// Why the program exits non-zero.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A bad scenario, override or study setting (the library's message as it is).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// An output file could not be created or written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The output file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Standard output could not be written (a closed pipe is a normal end, see
    /// [`CliError::is_closed_pipe`]).
    #[error("cannot write to standard output: {0}")]
    Stdout(std::io::Error),
    /// A physical fact the report should show does not hold (a bug in the engine).
    #[error("self-check failed: {check} (off by {residual:e})")]
    Check {
        /// What should hold.
        check: &'static str,
        /// By how much it does not.
        residual: f64,
    },
}

impl CliError {
    /// A [`CliError::Write`] for `path`.
    pub fn write(path: &std::path::Path, source: impl Into<std::io::Error>) -> CliError {
        CliError::Write {
            path: path.to_path_buf(),
            source: source.into(),
        }
    }

    /// Whether this is standard output closed by its reader (`ridethrough | head -1`): the
    /// program then ends quietly, as a filter does.
    pub fn is_closed_pipe(&self) -> bool {
        matches!(self, CliError::Stdout(e) if e.kind() == std::io::ErrorKind::BrokenPipe)
    }
}
