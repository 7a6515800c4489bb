//! `ridethrough report`: one self-contained HTML page of a scenario
//! ([`ridethrough::io::html`]), for a planner to mail: a single run with its trace kept in
//! memory, the survival sweep up to `--survival-max`, a Monte Carlo study of `--samples`
//! samples (per-sample summaries kept) and its SLA figures ([`ridethrough::studies::sla`]),
//! the charts inlined as SVG, and the scenario text with the command line's overrides.
//!
//! The runs are those of `ridethrough plot` (same seeds), so the page's charts are the charts
//! `plot` draws, and its indices those `mc` prints with the same `--samples`.

use crate::args::Source;
use crate::checks;
use crate::error::CliError;
use crate::output::Stdout;
use crate::overrides::Override;
use crate::progress::{Bars, Ticking};
use crate::survival;
use ridethrough::io::html::{self, PageInputs};
use ridethrough::io::scenario::DEFAULT_SCENARIO_TOML;
use ridethrough::prelude::*;
use ridethrough::studies::montecarlo::{self, McConfig};
use std::path::Path;

/// What the command line asks for.
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    /// The HTML file.
    pub out: &'a Path,
    /// The scenario and its `--seed`/`--step` overrides (for the page's scenario section).
    pub source: &'a Source,
    /// The `--set` overrides (for the page's scenario section).
    pub sets: &'a [Override],
    /// Monte Carlo samples.
    pub samples: u64,
    /// The survival curve's longest outage.
    pub max: Duration,
    /// Worker threads (`None`: one per core).
    pub threads: Option<usize>,
}

/// Runs what the page needs, checks the results, writes the page and prints its path.
pub fn run(
    study: &Study,
    opts: &Options<'_>,
    bars: Bars,
    out: &mut Stdout,
) -> Result<(), CliError> {
    let (site, policy) = (study.site(), *study.policy());
    let seed = study.seed();

    // The scenario text as read (the file was read and validated once already by `load`).
    let (source, text) = match &opts.source.scenario {
        Some(path) => (
            path.display().to_string(),
            std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
                path: path.clone(),
                source,
            })?,
        ),
        None => (
            "the embedded default scenario".to_string(),
            DEFAULT_SCENARIO_TOML.to_string(),
        ),
    };
    let mut overrides: Vec<String> = opts.sets.iter().map(|o| format!("--set {o}")).collect();
    if let Some(step) = opts.source.step {
        overrides.push(format!("--step {step}"));
    }
    if let Some(seed) = opts.source.seed {
        overrides.push(format!("--seed {seed}"));
    }

    // A single run, every row kept.
    let bar = bars.steps(site.time.steps());
    let mut trace = Ticking::new(
        TraceRecorder::with_capacity(site.time.steps() as usize),
        &bar,
    );
    let report = site.simulate(policy, seed).run(&mut trace).report();
    bar.finish_and_clear();
    checks::report(site, &report)?;

    // The survival sweep.
    let curve = survival::sweep(site, &policy, seed, opts.max, bars)?;
    checks::survival(&curve)?;

    // The Monte Carlo study, keeping the per-sample summaries.
    let mut cfg = McConfig::new(opts.samples, seed);
    cfg.threads = opts.threads.unwrap_or(0);
    cfg.keep_samples = true;
    let bar = bars.samples(opts.samples);
    let mc = montecarlo::run(site, &policy, &cfg, &|p| bar.set_position(p.done));
    bar.finish_and_clear();
    let mc = mc?;
    checks::indices(&site.time, &mc.indices)?;
    if let Some(rows) = &mc.samples {
        checks::samples(&mc.indices, rows)?;
    }

    let page = html::page(&PageInputs {
        study,
        source: &source,
        scenario_text: &text,
        overrides: &overrides,
        run: &report,
        trace: &trace.inner.rows,
        monte_carlo: &mc,
        survival: &curve,
    })?;
    std::fs::write(opts.out, page).map_err(|e| CliError::write(opts.out, e))?;
    write!(out, "{}", mc.sla)?;
    writeln!(out, "wrote {}", opts.out.display())
}
