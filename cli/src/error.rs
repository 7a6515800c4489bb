//! The program's errors and exit codes: the library's typed configuration errors, usage errors
//! (flags that do not fit the subcommand or the scenario, `--set` overrides the scenario
//! refuses, runs over the cost limits), output that cannot be written, a chart that cannot be
//! drawn, and a failed self-check. Exit codes: 0 done, 1 any error but a usage error, 2 a usage
//! error (as clap's own, for a bad flag).

use ridethrough::prelude::Duration;
use ridethrough::studies::montecarlo::ShardError;
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
    /// A command line that does not fit the subcommand or the scenario.
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
    /// A chart could not be drawn or written.
    #[error(transparent)]
    Plot(#[from] ridethrough::plot::PlotError),
    /// A shard file that cannot be read or is not a shard file.
    #[error("cannot read shard file {}: {source}", path.display())]
    ShardFile {
        /// The file.
        path: PathBuf,
        /// The I/O or JSON error (with its line and column).
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// Shard files that do not merge: the file the library's reason is about, and the reason.
    #[error("shard file {}: {source}", path.display())]
    Merge {
        /// The file.
        path: PathBuf,
        /// The library's reason.
        source: ShardError,
    },
    /// A physical fact the report should show does not hold (a bug in the engine).
    #[error("self-check failed: {check} (off by {residual:e})")]
    Check {
        /// What should hold.
        check: &'static str,
        /// By how much it does not.
        residual: f64,
    },
}

/// A command line that parses but does not fit the subcommand, the scenario or the cost limits.
#[derive(Debug, thiserror::Error)]
pub enum UsageError {
    /// A flag of the earlier command line, now a subcommand's.
    #[error("{flag} now belongs to a subcommand: {now} (see ridethrough --help)")]
    Moved {
        /// The flag given.
        flag: &'static str,
        /// Its new spelling.
        now: &'static str,
    },
    /// A flag that needs another.
    #[error("{flag} needs {needs} ({why})")]
    Needs {
        /// The flag given.
        flag: &'static str,
        /// The flag it needs.
        needs: &'static str,
        /// Why.
        why: &'static str,
    },
    /// A flag that does not apply with another.
    #[error("{flag} cannot be used with {with} ({why})")]
    DoesNotApply {
        /// The flag given.
        flag: &'static str,
        /// The flag it does not go with.
        with: &'static str,
        /// Why.
        why: &'static str,
    },
    /// A `--set` key whose path is not in the scenario document.
    #[error("--set {set}: the scenario has no {missing} (keys are dotted paths such as battery.units or grid.scheduled_outages[0].duration)")]
    SetNoSuchKey {
        /// The override, as given.
        set: String,
        /// The part of the key not found.
        missing: String,
    },
    /// A `--set` value the scenario refuses (the wrong type, an unknown key, or out of range).
    #[error("--set {set} is refused: {source}")]
    SetRefused {
        /// The override(s), as given.
        set: String,
        /// The library's reason (boxed: it is large and rare).
        source: Box<ConfigError>,
    },
    /// A shard that is not one of the study's (more shards than chunks of 16 samples).
    #[error("{flag}: {source}")]
    Shard {
        /// The flag (`--shard` or `--shard-from-env`).
        flag: &'static str,
        /// The library's reason (boxed: it is large and rare).
        source: Box<ConfigError>,
    },
    /// A Slurm array or Kubernetes Indexed Job variable `--shard-from-env` cannot use.
    #[error("--shard-from-env: {var} = {value:?} is out of range: allowed {allowed}")]
    ShardEnv {
        /// The environment variable.
        var: &'static str,
        /// Its value.
        value: String,
        /// What it may be.
        allowed: String,
    },
    /// A `--step` the scenario's horizon does not allow.
    #[error("--step = {step} does not fit the scenario: {source}")]
    Step {
        /// The step asked for.
        step: Duration,
        /// The library's reason (boxed: it is large and rare).
        source: Box<ConfigError>,
    },
    /// A longest outage that is not a whole number of steps (the sweep would round it up).
    #[error("{flag} = {survival} is out of range: allowed a whole number of steps of {step}")]
    SurvivalSteps {
        /// The flag (`--max`, `--survive`).
        flag: &'static str,
        /// The longest outage asked for.
        survival: Duration,
        /// The time step.
        step: Duration,
    },
    /// A run whose estimated time is over the limit.
    #[error("this run could take about {minutes:.1} min: up to an estimated {steps:.2e} engine steps at {rate:.0e} steps/s, over the {limit:.0} min limit; {}, or pass --force to run it anyway", knobs(*outage_flag))]
    TooCostly {
        /// Estimated engine steps.
        steps: f64,
        /// The throughput assumed, steps per second.
        rate: f64,
        /// Estimated minutes.
        minutes: f64,
        /// The limit, minutes.
        limit: f64,
        /// The subcommand's flag that sets the outage length, if it has one and it was given.
        outage_flag: Option<&'static str>,
    },
    /// A `--trace` file over the size limit.
    #[error("{what} {} would be about {gigabytes:.1} GB ({rows} rows of ≈{row_bytes} bytes), over the {limit_gigabytes:.0} GB limit; coarsen --step, or pass --force to write it anyway", path.display())]
    TraceTooLarge {
        /// What the trace is for (`--trace`, or the time-series chart's trace, kept in memory).
        what: &'static str,
        /// The trace file.
        path: PathBuf,
        /// Rows (steps).
        rows: u64,
        /// Bytes a row, as estimated.
        row_bytes: u64,
        /// Estimated size, GB.
        gigabytes: f64,
        /// The limit, GB.
        limit_gigabytes: f64,
    },
}

/// The flags that make a run cheaper: `--samples`, `--step` and, when the subcommand has one,
/// its outage length's flag (`--max`, `--survive`, `--duration`, `--survival-max`).
fn knobs(outage_flag: Option<&str>) -> String {
    match outage_flag {
        Some(flag) => format!("lower --samples, coarsen --step or shorten {flag}"),
        None => "lower --samples or coarsen --step".into(),
    }
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
