//! The program's errors and exit codes: the library's typed configuration errors, usage errors
//! (flags that do not fit the mode or the scenario), output that cannot be written, and a failed
//! self-check.

use ridethrough::prelude::Duration;
use ridethrough::ConfigError;
use std::path::PathBuf;
use std::process::ExitCode;

/// Exit code of a usage error (as clap's own, for a bad flag value).
const USAGE: u8 = 2;

/// Why the program exits non-zero.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A bad scenario, override or study setting (the library's message as it is).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A command line that does not fit the mode or the scenario.
    #[error(transparent)]
    Usage(#[from] UsageError),
    /// An output file could not be created or written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The output file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Standard output could not be written (a closed pipe is a normal end, see
    /// [`CliError::exit_code`]).
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

/// A command line that parses but does not fit the mode or the scenario.
#[derive(Debug, thiserror::Error)]
pub enum UsageError {
    /// A Monte Carlo flag without `--samples`.
    #[error("{flag} needs --samples (it applies to a Monte Carlo study only)")]
    NeedsSamples {
        /// The flag given.
        flag: &'static str,
    },
    /// `--trace` with `--samples`.
    #[error("--trace cannot be used with --samples (a study keeps no per-step trace; --per-sample writes a row per sample)")]
    TraceWithSamples,
    /// A `--step` the scenario's horizon does not allow.
    #[error("--step = {step} does not fit the scenario: {source}")]
    Step {
        /// The step asked for.
        step: Duration,
        /// The library's reason (boxed: it is large and rare).
        source: Box<ConfigError>,
    },
    /// A `--survival` that is not a whole number of steps (the sweep would round it up).
    #[error("--survival = {survival} is out of range: allowed a whole number of steps of {step}")]
    SurvivalSteps {
        /// The longest outage asked for.
        survival: Duration,
        /// The time step.
        step: Duration,
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

    /// The exit code: 2 for usage errors, 1 for everything else (a closed pipe is not an error).
    pub fn exit_code(&self) -> ExitCode {
        match self {
            CliError::Usage(_) => ExitCode::from(USAGE),
            _ => ExitCode::FAILURE,
        }
    }
}
