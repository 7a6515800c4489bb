//! `ridethrough plot`: every chart [`ridethrough::plot`] draws, for one scenario, into a folder:
//!
//! * `time_series`: a single run's state of charge, grid availability and power flows;
//! * `outage_zoom`: the same around the run's longest grid outage (when it has one);
//! * `survival`: P(ride through) against outage length, from the survival sweep (`--max`);
//! * `lolp_heatmap`: LOLP by month × hour of day, from a Monte Carlo study (`--samples`);
//! * `unserved_distribution`: the distribution of unserved energy per sample, from that study.

use crate::args::ImageFormat;
use crate::error::CliError;
use crate::output::Stdout;
use crate::progress::{Bars, Ticking};
use crate::survival;
use ridethrough::plot;
use ridethrough::prelude::*;
use ridethrough::studies::montecarlo::{self, McConfig};
use std::path::{Path, PathBuf};

/// What the command line asks to draw.
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    /// The folder.
    pub dir: &'a Path,
    /// The image format.
    pub format: ImageFormat,
    /// Monte Carlo samples.
    pub samples: u64,
    /// The survival curve's longest outage.
    pub max: Duration,
    /// The seed (of the single run, the sweep's normal run and the study).
    pub seed: u64,
    /// Worker threads (`None`: one per core).
    pub threads: Option<usize>,
}

/// Runs what the charts need, draws them, and prints each file written.
pub fn run(
    study: &Study,
    opts: &Options<'_>,
    bars: Bars,
    out: &mut Stdout,
) -> Result<(), CliError> {
    std::fs::create_dir_all(opts.dir).map_err(|e| CliError::write(opts.dir, e))?;
    let file =
        |name: &str| -> PathBuf { opts.dir.join(format!("{name}.{}", opts.format.extension())) };
    let (site, policy) = (study.site(), *study.policy());
    let mut written = Vec::new();

    // A single run, every row kept.
    let bar = bars.steps(site.time.steps());
    let mut trace = Ticking::new(
        TraceRecorder::with_capacity(site.time.steps() as usize),
        &bar,
    );
    let report = site.simulate(policy, opts.seed).run(&mut trace).report();
    bar.finish_and_clear();
    let rows = trace.inner.rows;
    let path = file("time_series");
    plot::time_series(&rows, &site.time, &path)?;
    written.push(path);
    if let Some(longest) = report.grid_outages.iter().max_by_key(|o| o.duration) {
        let path = file("outage_zoom");
        plot::outage_zoom(&rows, &site.time, longest, &path)?;
        written.push(path);
    }
    drop(rows);

    // The survival sweep.
    let curve = survival::sweep(site, &policy, opts.seed, opts.max, bars)?;
    let path = file("survival");
    plot::survival(&curve, &path)?;
    written.push(path);

    // The Monte Carlo study, keeping the per-sample summaries.
    let mut cfg = McConfig::new(opts.samples, opts.seed);
    cfg.threads = opts.threads.unwrap_or(0);
    cfg.keep_samples = true;
    let bar = bars.samples(opts.samples);
    let mc = montecarlo::run(site, &policy, &cfg, &|p| bar.set_position(p.done));
    bar.finish_and_clear();
    let mc = mc?;
    let path = file("lolp_heatmap");
    plot::lolp_heatmap(&mc.indices, &path)?;
    written.push(path);
    let path = file("unserved_distribution");
    plot::unserved_distribution(&mc, &path)?;
    written.push(path);

    for path in &written {
        writeln!(out, "wrote {}", path.display())?;
    }
    Ok(())
}
