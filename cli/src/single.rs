//! `ridethrough run`: one run of the scenario, its report, optionally its JSON and the per-step
//! trace (CSV, or Apache Parquet for a file named `*.parquet` or `*.pq`: [`TraceFormat`]). `--replay-sample I` runs Monte Carlo sample I of `ridethrough mc` instead: the
//! seed is [`rng::sample_seed`]`(study seed, I)`, the function the study itself uses.

use crate::checks;
use crate::error::CliError;
use crate::output::{write_json, Stdout};
use crate::progress::{Bars, Ticking};
use ridethrough::components::tariff::Meter;
use ridethrough::io::parquet::ParquetRecorder;
use ridethrough::prelude::*;
use ridethrough::rng;
use std::path::Path;
use std::time::Instant;

/// The format of a `--trace` file, from its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraceFormat {
    /// Comma-separated text with a header row.
    Csv,
    /// Apache Parquet: columnar, typed, Snappy-compressed
    /// ([`ridethrough::io::parquet::ParquetRecorder`]).
    Parquet,
}

impl TraceFormat {
    /// Parquet for a name ending in `.parquet` or `.pq` (any case), CSV otherwise.
    pub fn of(path: &Path) -> TraceFormat {
        match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("parquet") || e.eq_ignore_ascii_case("pq") => {
                TraceFormat::Parquet
            }
            _ => TraceFormat::Csv,
        }
    }
}

/// What the command line asks of a run.
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    /// The scenario's seed (the study's, when replaying a sample).
    pub seed: u64,
    /// Replay this Monte Carlo sample.
    pub replay_sample: Option<u64>,
    /// Stream the per-step trace here.
    pub trace: Option<&'a Path>,
    /// Write the report as JSON here.
    pub json: Option<&'a Path>,
}

/// Runs the whole horizon of `site` under `policy`, prints the report and its speed, writes the
/// trace and the JSON report if asked, and checks the report's physical facts.
pub fn run(
    site: &Site,
    policy: Policy,
    opts: &Options<'_>,
    bars: Bars,
    out: &mut Stdout,
) -> Result<(), CliError> {
    let seed = match opts.replay_sample {
        Some(i) => {
            let s = rng::sample_seed(opts.seed, i);
            writeln!(
                out,
                "replaying Monte Carlo sample {i} of the study seeded {}: sample seed {s}",
                opts.seed
            )?;
            s
        }
        None => opts.seed,
    };
    let started = Instant::now();
    let bar = bars.steps(site.time.steps());
    let mut sim = site.simulate(policy, seed);
    // With a tariff, the run is billed by its meter beside the trace (then every step is
    // stepped: a meter reads each one).
    let mut meter = site.tariff.as_ref().map(|t| t.meter());
    match opts.trace {
        Some(path) => {
            // Both recorders buffer their writes.
            let file = std::fs::File::create(path).map_err(|e| CliError::write(path, e))?;
            match TraceFormat::of(path) {
                TraceFormat::Csv => {
                    let csv = CsvRecorder::new(file).with_timestamps(&site.time);
                    let csv = billed(&mut sim, csv, &mut meter, &bar);
                    csv.finish().map_err(|e| CliError::write(path, e))?;
                }
                TraceFormat::Parquet => {
                    let pq = ParquetRecorder::new(file, &site.time)
                        .map_err(|e| CliError::write(path, std::io::Error::other(e)))?;
                    let pq = billed(&mut sim, pq, &mut meter, &bar);
                    pq.finish()
                        .map_err(|e| CliError::write(path, std::io::Error::other(e)))?;
                }
            }
        }
        None => {
            billed(&mut sim, (), &mut meter, &bar);
        }
    }
    bar.finish_and_clear();
    let elapsed = started.elapsed().as_secs_f64();
    let report = match meter {
        Some(m) => sim.report().with_costs(m.finish()),
        None => sim.report(),
    };
    write!(out, "{report}")?;
    out.note(format_args!(
        "simulated {} steps in {elapsed:.3} s ({:.1} M steps/s)",
        report.steps_done,
        report.steps_done as f64 / elapsed / 1e6
    ))?;
    if let Some(path) = opts.json {
        write_json(path, &report)?;
        out.note(format_args!("report written to {}", path.display()))?;
    }
    checks::report(site, &report)?;
    out.note(format_args!(
        "physics checks passed: balance closed every step (max residual {:.2e} MW), SoC within its window",
        report.totals.max_balance_residual_mw
    ))
}

/// Runs `sim` to the end with `recorder`, beside the tariff's `meter` when the site has one,
/// ticking `bar`; returns the recorder (to finish its file).
fn billed<R: Recorder, P: Dispatch>(
    sim: &mut Simulation<'_, P>,
    recorder: R,
    meter: &mut Option<Meter<'_>>,
    bar: &indicatif::ProgressBar,
) -> R {
    match meter {
        Some(m) => {
            let mut both = Ticking::new((recorder, m), bar);
            sim.run(&mut both);
            both.inner.0
        }
        None => {
            let mut alone = Ticking::new(recorder, bar);
            sim.run(&mut alone);
            alone.inner
        }
    }
}
