//! `ridethrough`: runs a datacenter site scenario and prints its report, or runs a Monte Carlo
//! reliability study of it.
//!
//! ```text
//! ridethrough                                         # the embedded default scenario
//! ridethrough examples/scenarios/colossus_150mw.toml
//! ridethrough SCENARIO.toml --json report.json --trace steps.csv
//! ridethrough --samples 2000 --step 1h --survival 96h
//! ```
//!
//! With no scenario it runs the embedded default (the 10,000-GPU Austin cluster with Megapacks,
//! a year at 1-minute steps). `--json FILE` writes the report as JSON; `--trace FILE` streams the
//! per-step CSV in bounded memory. Bad input exits non-zero with the library's typed error
//! message on stderr (`error: …`).
//!
//! `--samples N` switches to Monte Carlo ([`monte_carlo`]): N sampled horizons (`--threads`, a
//! progress bar, `--target-se` for early stopping), printed as reliability indices with standard
//! errors; `--json` then writes the indices, `--per-sample FILE` one CSV row per sample (each
//! with the seed that replays it). `--survival D` adds an outage survival sweep ([`survival`]).
//! `--step` overrides the scenario's time step (e.g. `1h` for fast Monte Carlo).
//!
//! Before exiting, the program checks the physical facts the report shows ([`checks`]) and
//! fails if one does not hold.
//!
//! Bad input is refused before anything runs: flag values out of range ([`flags`]), flags that do
//! not fit the mode, and runs estimated to take over ten minutes or to write a trace over 1 GB
//! ([`guard`]; `--force` runs them anyway). Exit codes: 0 done (also when the reader of standard
//! output goes away, as with `| head -1`), 1 a scenario, data, output-file or self-check error,
//! 2 a usage error (clap's own code for a bad flag).

mod checks;
mod error;
mod flags;
mod guard;
mod monte_carlo;
mod output;
mod single;
mod survival;

use clap::{CommandFactory, FromArgMatches, Parser};
use error::{CliError, UsageError};
use flags::Checked;
use output::Stdout;
use ridethrough::prelude::*;
use ridethrough::studies::montecarlo::MAX_USEFUL_THREADS;
use std::path::PathBuf;
use std::process::ExitCode;

/// The command line.
#[derive(Parser, Debug)]
#[command(
    name = "ridethrough",
    version,
    about = "Simulate a datacenter site with grid feed and Megapack fleet"
)]
struct Args {
    /// Scenario file (.toml or .json); the embedded default when omitted.
    scenario: Option<PathBuf>,
    /// Write the report as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Stream the per-step trace as CSV to this file (single runs only).
    #[arg(long)]
    trace: Option<PathBuf>,
    /// Override the scenario's seed.
    #[arg(long, value_parser = Checked(flags::seed), allow_hyphen_values = true)]
    seed: Option<u64>,
    /// Override the scenario's time step (e.g. 1h); it must divide the horizon.
    #[arg(long, value_parser = Checked(flags::step), allow_hyphen_values = true)]
    step: Option<Duration>,
    /// Monte Carlo: run this many sampled horizons.
    #[arg(long, value_parser = Checked(flags::samples), allow_hyphen_values = true)]
    samples: Option<u64>,
    /// Monte Carlo worker threads (default: one per core).
    #[arg(long, value_parser = Checked(flags::threads), allow_hyphen_values = true)]
    threads: Option<usize>,
    /// Monte Carlo: stop early once EUE's relative standard error is at most this.
    #[arg(long, value_parser = Checked(flags::target_se), allow_hyphen_values = true)]
    target_se: Option<f64>,
    /// Monte Carlo: write one CSV row per sample (index, seed, unserved energy, LOL hours, …).
    #[arg(long)]
    per_sample: Option<PathBuf>,
    /// Outage survival sweep: outages of up to this many whole hours from every step (e.g. 96h).
    #[arg(long, value_parser = Checked(flags::survival), allow_hyphen_values = true)]
    survival: Option<Duration>,
    /// Run even if the run is estimated to take over the time limit or the trace file to exceed
    /// the size limit.
    #[arg(long)]
    force: bool,
}

/// `--help`'s closing text: the exit codes and the limits, from the constants that enforce them.
fn after_help() -> String {
    format!(
        "Exit codes:
  0  done (also when the reader of the output goes away, as with `| head -1`)
  1  a bad scenario or data file, an output file that cannot be written, a failed self-check
  2  a usage error: a bad flag value, a flag that does not fit the mode, a run over the limits

Limits:
  --samples     1 ≤ x ≤ {max_samples}
  --threads     1 ≤ x ≤ {max_threads} here (4 × cores, at most {useful})
  --target-se   0 < x < 1
  --step        at least 1ms, dividing the scenario's horizon
  --survival    whole hours, at least 1h, and a whole number of steps
  A run estimated at over {minutes:.0} minutes ({steps:.1e} engine steps at {rate:.0e} steps/s) or a
  --trace file estimated at over {gb:.0} GB is refused unless --force. Monte Carlo studies
  fast-forward through quiet time: one whose every step would pass the limit is judged on
  the steps its first {pilot} samples really ran (×{margin:.0}).",
        max_samples = flags::MAX_SAMPLES,
        max_threads = flags::max_threads(),
        useful = MAX_USEFUL_THREADS,
        minutes = guard::MAX_SECONDS / 60.0,
        steps = guard::MAX_SECONDS * guard::STEPS_PER_SECOND,
        rate = guard::STEPS_PER_SECOND,
        gb = guard::MAX_TRACE_BYTES as f64 / 1e9,
        pilot = guard::PILOT_SAMPLES,
        margin = guard::PILOT_MARGIN,
    )
}

fn main() -> ExitCode {
    // A bad flag value exits here with clap's usage code 2 and our message (see `flags`).
    let matches = Args::command().after_help(after_help()).get_matches();
    let args = Args::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let mut out = Stdout::lock();
    match run(&args, &mut out) {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe ends the program quietly, as a filter does.
        Err(e) if e.is_closed_pipe() => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            e.exit_code()
        }
    }
}

/// Refuses flags that do not apply to the mode: the Monte Carlo ones without `--samples`, and
/// `--trace` with it. (`--json`, `--seed`, `--step` and `--survival` apply to both modes.)
fn check_mode(args: &Args) -> Result<(), UsageError> {
    if args.samples.is_some() {
        return match args.trace {
            Some(_) => Err(UsageError::TraceWithSamples),
            None => Ok(()),
        };
    }
    let monte_carlo_only = [
        ("--threads", args.threads.is_some()),
        ("--target-se", args.target_se.is_some()),
        ("--per-sample", args.per_sample.is_some()),
    ];
    match monte_carlo_only.into_iter().find(|&(_, given)| given) {
        Some((flag, _)) => Err(UsageError::NeedsSamples { flag }),
        None => Ok(()),
    }
}

/// Loads the scenario, applies the overrides, checks the plan against the limits, and runs the
/// mode the arguments ask for.
fn run(args: &Args, out: &mut Stdout) -> Result<(), CliError> {
    check_mode(args)?;
    let mut scenario = match &args.scenario {
        Some(path) => Scenario::load(path)?,
        None => Scenario::default_scenario()?,
    };
    if let Some(step) = args.step {
        // The override keeps the scenario's horizon (also when the file counts `steps`);
        // validating the study below checks the components on the new grid.
        let horizon = scenario.time.grid()?.horizon();
        scenario.time.step = step;
        scenario.time.horizon = Some(horizon);
        scenario.time.steps = None;
    }
    let study = scenario.validate().map_err(|e| match (args.step, e) {
        // The step override is what does not divide the horizon.
        (Some(step), source @ ConfigError::HorizonNotMultiple { .. }) => {
            CliError::from(UsageError::Step {
                step,
                source: Box::new(source),
            })
        }
        (_, e) => e.into(),
    })?;
    let site = study.site();
    let seed = args.seed.unwrap_or(study.seed());
    if let Some(max) = args.survival {
        survival::check(site, max)?;
    }
    if !args.force {
        let plan = guard::Plan {
            samples: args.samples,
            survival: args.survival,
            trace: args.trace.as_deref(),
            policy: study.policy(),
            seed,
        };
        guard::check(site, &plan)?;
    }
    if let Some(name) = study.name() {
        writeln!(out, "scenario: {name}")?;
    }
    match args.samples {
        Some(samples) => {
            let opts = monte_carlo::Options {
                samples,
                seed,
                threads: args.threads,
                target_se: args.target_se,
                json: args.json.as_deref(),
                per_sample: args.per_sample.as_deref(),
            };
            monte_carlo::run(site, study.policy(), &opts, out)?;
        }
        None => single::run(
            site,
            *study.policy(),
            seed,
            args.trace.as_deref(),
            args.json.as_deref(),
            out,
        )?,
    }
    if let Some(max) = args.survival {
        survival::run(site, study.policy(), seed, max, out)?;
    }
    out.flush()
}
