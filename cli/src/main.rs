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
//! fails if one does not hold. When the reader of standard output goes away (`| head -1`), the
//! program ends quietly with exit code 0.

mod checks;
mod error;
mod monte_carlo;
mod output;
mod single;
mod survival;

use clap::Parser;
use error::CliError;
use output::Stdout;
use ridethrough::prelude::*;
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
    /// Stream the per-step trace as CSV to this file.
    #[arg(long)]
    trace: Option<PathBuf>,
    /// Override the scenario's seed.
    #[arg(long)]
    seed: Option<u64>,
    /// Override the scenario's time step (e.g. 1h).
    #[arg(long)]
    step: Option<Duration>,
    /// Monte Carlo: run this many sampled horizons.
    #[arg(long)]
    samples: Option<u64>,
    /// Monte Carlo worker threads (0 = one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Monte Carlo: stop early once EUE's relative standard error is at most this.
    #[arg(long)]
    target_se: Option<f64>,
    /// Monte Carlo: write one CSV row per sample (index, seed, unserved energy, LOL hours, …).
    #[arg(long)]
    per_sample: Option<PathBuf>,
    /// Outage survival sweep: outages of up to this long from every step (e.g. 96h).
    #[arg(long)]
    survival: Option<Duration>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let mut out = Stdout::lock();
    match run(&args, &mut out) {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe ends the program quietly, as a filter does.
        Err(e) if e.is_closed_pipe() => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Loads the scenario, applies the overrides, and runs the mode the arguments ask for.
fn run(args: &Args, out: &mut Stdout) -> Result<(), CliError> {
    let mut scenario = match &args.scenario {
        Some(path) => Scenario::load(path)?,
        None => Scenario::default_scenario()?,
    };
    if let Some(step) = args.step {
        // Building the site below validates the components on the new grid.
        scenario.time.step = step;
    }
    let seed = args.seed.unwrap_or(scenario.seed);
    let site = scenario.site()?;
    if let Some(name) = &scenario.name {
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
            monte_carlo::run(&site, &scenario.policy, &opts, out)?;
        }
        None => single::run(
            &site,
            scenario.policy,
            seed,
            args.trace.as_deref(),
            args.json.as_deref(),
            out,
        )?,
    }
    if let Some(max) = args.survival {
        survival::run(&site, &scenario.policy, seed, max, out)?;
    }
    out.flush()
}
