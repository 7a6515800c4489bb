//! `ridethrough life`: reliability by year of life ([`ridethrough::studies::life_reliability`]):
//! N sampled multi-year lives, a table of LOLE, EUE, P(survive `--survive`) and the capacity
//! left for each year (each ± its standard error), and the first year a `--lole`, `--eue` or
//! `--probability` target is missed.

use crate::args::LifeArgs;
use crate::error::CliError;
use crate::output::{write_json, Stdout};
use crate::progress::Bars;
use ridethrough::prelude::*;
use ridethrough::studies::life_reliability::{
    self, LifeConfig, LifeProgress, LifeReliability, TargetOutcome,
};
use ridethrough::studies::sizing::{Target, Z_95_ONE_SIDED};
use std::path::Path;
use std::time::Instant;

/// What the command line asks of the study.
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    /// The study's settings.
    pub samples: u64,
    /// The study's seed.
    pub seed: u64,
    /// Worker threads (`None`: one per core).
    pub threads: Option<usize>,
    /// D, the outage whose survival is estimated.
    pub survive: Option<Duration>,
    /// The target.
    pub target: Option<Target>,
    /// Write the result as JSON here.
    pub json: Option<&'a Path>,
}

impl<'a> Options<'a> {
    /// The options of `life`'s flags, with the study's seed (clap allows one target at most,
    /// and `--probability` only with `--survive`).
    pub fn of(a: &'a LifeArgs, seed: u64) -> Options<'a> {
        let target = match (a.lole, a.eue, a.probability, a.survive) {
            (Some(max_hours), ..) => Some(Target::Lole { max_hours }),
            (_, Some(max_mwh), ..) => Some(Target::Eue { max_mwh }),
            (_, _, Some(min_probability), Some(outage)) => Some(Target::Survival {
                outage,
                min_probability,
            }),
            _ => None,
        };
        Options {
            samples: a.samples,
            seed,
            threads: a.threads,
            survive: a.survive,
            target,
            json: a.json.as_deref(),
        }
    }
}

/// Runs the study on `study`, prints the table and the target's outcome, writes the JSON.
pub fn run(
    study: &Study,
    opts: &Options<'_>,
    bars: Bars,
    out: &mut Stdout,
) -> Result<(), CliError> {
    let cfg = LifeConfig {
        threads: opts.threads.unwrap_or(0),
        survive: opts.survive,
        target: opts.target,
        ..LifeConfig::new(opts.samples, opts.seed)
    };
    let bar = bars.samples(opts.samples);
    let started = Instant::now();
    let result = life_reliability::run(study.site(), study.policy(), &cfg, &|p: &LifeProgress| {
        bar.set_position(p.done);
    });
    bar.finish_and_clear();
    let result = result?;
    print(&result, out)?;
    out.note(format_args!(
        "{} lives of {} years in {:.2} s",
        result.samples,
        result.years.len(),
        started.elapsed().as_secs_f64()
    ))?;
    if let Some(path) = opts.json {
        write_json(path, &result)?;
        out.note(format_args!("life table written to {}", path.display()))?;
    }
    Ok(())
}

/// The per-year table and the target's outcome.
fn print(r: &LifeReliability, out: &mut Stdout) -> Result<(), CliError> {
    writeln!(
        out,
        "Reliability by year of life: {} sampled lives, seed {} (each figure mean ± standard error)",
        r.samples, r.seed
    )?;
    let survive = r
        .survive_hours
        .map(|h| format!("P(survive {h} h)"))
        .unwrap_or_default();
    writeln!(
        out,
        "  {:>4}  {:>18}  {:>20}  {:>18}  {:>18}",
        "year", "capacity left", "LOLE h/yr", "EUE MWh/yr", survive
    )?;
    for y in &r.years {
        let p = y
            .survival
            .map(|p| format!("{:.4} ± {:.4}", p.mean, p.se))
            .unwrap_or_default();
        writeln!(
            out,
            "  {:>4}  {:>18}  {:>20}  {:>18}  {:>18}",
            y.year,
            format!(
                "{:.4} ± {:.4}",
                y.capacity_factor_end.mean, y.capacity_factor_end.se
            ),
            format!("{:.4} ± {:.4}", y.lole_hours.mean, y.lole_hours.se),
            format!("{:.3} ± {:.3}", y.eue_mwh.mean, y.eue_mwh.se),
            p
        )?;
    }
    if let Some(partial) = r.years.last().filter(|y| y.hours < 8760.0) {
        writeln!(
            out,
            "  (year {} is partial: {} h, its indices over those hours)",
            partial.year, partial.hours
        )?;
    }
    if let Some(t) = &r.target {
        target(t, out)?;
    }
    Ok(())
}

/// The target's outcome.
fn target(o: &TargetOutcome, out: &mut Stdout) -> Result<(), CliError> {
    let t = &o.target;
    let what = match t {
        Target::Lole { max_hours } => format!("LOLE ≤ {max_hours} h/yr"),
        Target::Eue { max_mwh } => format!("EUE ≤ {max_mwh} MWh/yr"),
        Target::Survival {
            outage,
            min_probability,
        } => format!("P(survive {outage}) ≥ {min_probability}"),
        _ => "the target".into(),
    };
    let year = |y: Option<u32>| y.map_or("never".to_string(), |y| format!("year {y}"));
    writeln!(
        out,
        "target {what}: first missed at 95 % confidence (estimate {} {Z_95_ONE_SIDED}·SE beyond the bound): {}; \
         first not met at 95 % confidence (estimate {} {Z_95_ONE_SIDED}·SE beyond it): {}",
        if t.is_lower_bound() { "+" } else { "−" },
        year(o.first_year_missed),
        if t.is_lower_bound() { "−" } else { "+" },
        year(o.first_year_not_met),
    )?;
    Ok(())
}
