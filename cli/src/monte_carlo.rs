//! `ridethrough mc --samples N`: a Monte Carlo reliability study of the scenario, with a progress
//! bar, printed as indices with standard errors and the service-level (SLA) figures; optionally
//! the result as JSON and one CSV row per sample (each with its seed; `ridethrough run
//! --replay-sample I` replays row I).

use crate::checks;
use crate::error::CliError;
use crate::output::{write_csv, write_json, Stdout};
use crate::progress::Bars;
use ridethrough::prelude::*;
use ridethrough::studies::montecarlo::{self, McConfig};
use std::path::Path;
use std::time::Instant;

/// The smallest number of samples before `--target-se` may stop a study early.
const MIN_SAMPLES_BEFORE_STOP: u64 = 1_000;

/// What the command line asks of a study.
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    /// Samples to run (the most, with a target standard error).
    pub samples: u64,
    /// The study's seed.
    pub seed: u64,
    /// Worker threads (`None`: one per core).
    pub threads: Option<usize>,
    /// Stop once EUE's relative standard error is at most this.
    pub target_se: Option<f64>,
    /// Write the result as JSON here.
    pub json: Option<&'a Path>,
    /// Write one CSV row per sample here.
    pub per_sample: Option<&'a Path>,
}

/// Prints a study's result: the indices, then the SLA figures (what `merge` prints too).
pub fn print(result: &montecarlo::McResult, out: &mut Stdout) -> Result<(), CliError> {
    write!(out, "{}{}", result.indices, result.sla)
}

/// Runs the study, prints the indices and its speed, writes the files asked for, and checks the
/// indices' consistency.
pub fn run(
    site: &Site,
    policy: &Policy,
    opts: &Options<'_>,
    bars: Bars,
    out: &mut Stdout,
) -> Result<(), CliError> {
    let mut cfg = McConfig::new(opts.samples, opts.seed);
    cfg.threads = opts.threads.unwrap_or(0); // the library's 0: one per core
    cfg.target_relative_se = opts.target_se;
    cfg.min_samples = opts.samples.min(MIN_SAMPLES_BEFORE_STOP);
    cfg.keep_samples = opts.per_sample.is_some();
    let bar = bars.samples(opts.samples);
    let started = Instant::now();
    let result = montecarlo::run(site, policy, &cfg, &|p| {
        bar.set_position(p.done);
        bar.set_message(format!(
            "EUE {:.3} ± {:.3} MWh",
            p.eue_mwh.mean, p.eue_mwh.se
        ));
    })?;
    bar.finish_and_clear();
    let elapsed = started.elapsed().as_secs_f64();
    let ix = &result.indices;
    let steps = site.time.steps();
    print(&result, out)?;
    out.note(format_args!(
        "{} samples × {steps} steps in {elapsed:.2} s ({:.1} M sample-steps/s){}",
        ix.samples,
        ix.samples as f64 * steps as f64 / elapsed / 1e6,
        if result.stopped_early {
            ", stopped at the target standard error"
        } else {
            ""
        }
    ))?;
    if let Some(path) = opts.json {
        write_json(path, &result)?;
        out.note(format_args!("indices written to {}", path.display()))?;
    }
    if let (Some(path), Some(rows)) = (opts.per_sample, &result.samples) {
        write_csv(path, rows)?;
        out.note(format_args!(
            "{} per-sample rows written to {}",
            rows.len(),
            path.display()
        ))?;
        checks::samples(ix, rows)?;
    }
    checks::indices(&site.time, ix)?;
    out.note(format_args!(
        "index checks passed: LOLP by hour adds up to LOLE, quantiles ordered"
    ))
}
