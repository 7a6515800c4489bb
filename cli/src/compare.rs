//! `ridethrough compare A B --samples N`: two scenarios on the same sampled outage histories
//! (common random numbers, [`montecarlo::compare`]), printed as each index for A and B and the
//! difference B − A ± its standard error.
//!
//! LOLE and EUE differences come from the paired per-sample differences (the library's), whose
//! SE is far smaller than that of two independent estimates. The other rows' differences take the
//! unpaired SE `√(SE_A² + SE_B²)`, which overstates the uncertainty of a paired study.

use crate::error::CliError;
use crate::output::{write_json, Stdout};
use crate::progress::Bars;
use ridethrough::prelude::*;
use ridethrough::studies::montecarlo::{self, McConfig};
use ridethrough::studies::stats::Estimate;
use std::path::Path;
use std::time::Instant;

/// What the command line asks of a comparison.
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    /// Samples, run on both.
    pub samples: u64,
    /// The study's seed.
    pub seed: u64,
    /// Worker threads (`None`: one per core).
    pub threads: Option<usize>,
    /// Write the comparison as JSON here.
    pub json: Option<&'a Path>,
}

/// Runs A and B on the same samples and prints the differences.
pub fn run(
    a: &Study,
    b: &Study,
    opts: &Options<'_>,
    bars: Bars,
    out: &mut Stdout,
) -> Result<(), CliError> {
    let mut cfg = McConfig::new(opts.samples, opts.seed);
    cfg.threads = opts.threads.unwrap_or(0);
    let bar = bars.samples(opts.samples);
    let started = Instant::now();
    let result = montecarlo::compare((a.site(), a.policy()), (b.site(), b.policy()), &cfg, &|p| {
        bar.set_position(p.done);
        bar.set_message(format!(
            "EUE B − A {:.3} ± {:.3} MWh",
            p.eue_mwh.mean, p.eue_mwh.se
        ));
    });
    bar.finish_and_clear();
    let c = result?;
    writeln!(
        out,
        "Comparison on common random numbers: {} samples (seed {}); estimate ± standard error",
        c.a.samples, opts.seed
    )?;
    writeln!(out, "  {:<28} {:>22} {:>22} {:>22}", "", "A", "B", "B − A")?;
    let cell = |e: &Estimate| format!("{:.4} ± {:.4}", e.mean, e.se);
    let mut row = |name: &str, ea: &Estimate, eb: &Estimate, d: Option<&Estimate>| {
        let (diff, how) = match d {
            Some(d) => (cell(d), "paired"),
            None => (
                format!(
                    "{:.4} ± {:.4}",
                    eb.mean - ea.mean,
                    (ea.se * ea.se + eb.se * eb.se).sqrt()
                ),
                "unpaired SE",
            ),
        };
        writeln!(
            out,
            "  {name:<28} {:>22} {:>22} {diff:>22}  ({how})",
            cell(ea),
            cell(eb)
        )
    };
    row(
        "LOLE (h per sample)",
        &c.a.lole_hours,
        &c.b.lole_hours,
        Some(&c.lole_difference_hours),
    )?;
    row(
        "EUE (MWh per sample)",
        &c.a.eue_mwh,
        &c.b.eue_mwh,
        Some(&c.eue_difference_mwh),
    )?;
    row(
        "loss of load (h per sample)",
        &c.a.loss_of_load_hours,
        &c.b.loss_of_load_hours,
        None,
    )?;
    row("LOLF (events per sample)", &c.a.lolf, &c.b.lolf, None)?;
    row(
        "unserved P99 (MWh)",
        &c.a.unserved_p99_mwh,
        &c.b.unserved_p99_mwh,
        None,
    )?;
    row(
        "ride-through share",
        &c.a.ride_through_share,
        &c.b.ride_through_share,
        None,
    )?;
    writeln!(
        out,
        "  samples where B lost more energy than A: {} of {}; more loss-of-load hours: {}",
        c.samples_b_worse, c.a.samples, c.samples_b_more_lol_hours
    )?;
    out.note(format_args!(
        "{} sample pairs in {:.2} s",
        c.a.samples,
        started.elapsed().as_secs_f64()
    ))?;
    if let Some(path) = opts.json {
        write_json(path, &c)?;
        out.note(format_args!("comparison written to {}", path.display()))?;
    }
    Ok(())
}
