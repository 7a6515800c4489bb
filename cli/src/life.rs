//! `ridethrough life`: reliability by year of life ([`ridethrough::studies::life_reliability`]):
//! N sampled multi-year lives, a table of LOLE, EUE, P(survive `--survive`) and the capacity
//! left for each year (each ± its standard error), and the first year a `--lole`, `--eue` or
//! `--probability` target is missed. A scenario with a battery augmentation plan runs under
//! it; `--without-plan` runs it without, and `--compare-plan` runs both on the same lives and
//! prints what the plan saves each year.

use crate::args::LifeArgs;
use crate::error::{CliError, UsageError};
use crate::output::{write_json, Stdout};
use crate::progress::Bars;
use ridethrough::prelude::*;
use ridethrough::studies::life_reliability::{
    self, LifeConfig, LifeProgress, LifeReliability, TargetOutcome, YearWithoutPlan,
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
    /// What to do with the scenario's augmentation plan.
    pub plan: PlanMode,
}

/// `life` with or without the battery's augmentation plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanMode {
    /// As the scenario says (under its plan, if it has one).
    Scenario,
    /// Without the plan (`--without-plan`).
    Without,
    /// Both, on the same lives (`--compare-plan`).
    Compare,
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
            plan: if a.compare_plan {
                PlanMode::Compare
            } else if a.without_plan {
                PlanMode::Without
            } else {
                PlanMode::Scenario
            },
        }
    }
}

/// Runs the study on `study` (under its augmentation plan, without it, or both on the same
/// lives), prints the tables and the target's outcome, writes the JSON.
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
    let has_plan = study.site().battery.augmentation().is_some();
    if opts.plan != PlanMode::Scenario && !has_plan {
        return Err(CliError::Usage(UsageError::Needs {
            flag: if opts.plan == PlanMode::Without {
                "--without-plan"
            } else {
                "--compare-plan"
            },
            needs: "a scenario with [battery.augmentation]",
            why: "there is no plan to leave out",
        }));
    }
    let without = match opts.plan {
        PlanMode::Scenario => None,
        _ => Some(life_reliability::without_plan(study)?),
    };
    let started = Instant::now();
    let bar = bars.samples(opts.samples);
    let tick = |p: &LifeProgress| bar.set_position(p.done);
    let outcome = match (opts.plan, &without) {
        (PlanMode::Compare, Some(w)) => {
            life_reliability::compare_plan(study.site(), w.site(), study.policy(), &cfg, &tick)
                .map(|c| (c.with_plan.clone(), Some(c)))
        }
        (PlanMode::Without, Some(w)) => {
            life_reliability::run(w.site(), w.policy(), &cfg, &tick).map(|r| (r, None))
        }
        _ => life_reliability::run(study.site(), study.policy(), &cfg, &tick).map(|r| (r, None)),
    };
    bar.finish_and_clear();
    let (result, comparison) = outcome?;
    if has_plan {
        let how = match opts.plan {
            PlanMode::Without => "without the battery's augmentation plan",
            _ => "under the battery's augmentation plan",
        };
        writeln!(out, "{how}")?;
    }
    print(&result, out)?;
    if let Some(c) = &comparison {
        writeln!(
            out,
            "without the battery's augmentation plan (the same lives)"
        )?;
        print(&c.without_plan, out)?;
        print_saved(&c.saved, out)?;
    }
    out.note(format_args!(
        "{} lives of {} years in {:.2} s",
        result.samples,
        result.years.len(),
        started.elapsed().as_secs_f64()
    ))?;
    if let Some(path) = opts.json {
        match &comparison {
            None => write_json(path, &result)?,
            Some(c) => write_json(path, c)?,
        }
        out.note(format_args!("life table written to {}", path.display()))?;
    }
    Ok(())
}

/// What the plan saves, year by year.
fn print_saved(saved: &[YearWithoutPlan], out: &mut Stdout) -> Result<(), CliError> {
    writeln!(
        out,
        "what the plan saves (without − with, paired over the same lives: mean ± standard error)"
    )?;
    writeln!(
        out,
        "  {:>4}  {:>20}  {:>20}",
        "year", "LOLE h/yr", "EUE MWh/yr"
    )?;
    for y in saved {
        writeln!(
            out,
            "  {:>4}  {:>20}  {:>20}",
            y.year,
            format!(
                "{:.4} ± {:.4}",
                y.lole_saved_hours.mean, y.lole_saved_hours.se
            ),
            format!("{:.3} ± {:.3}", y.eue_saved_mwh.mean, y.eue_saved_mwh.se),
        )?;
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
    let plan = r.years.iter().any(|y| y.units_end.is_some());
    let extra = if plan {
        format!("  {:>7}  {:>16}", "units", "usable MWh")
    } else {
        String::new()
    };
    writeln!(
        out,
        "  {:>4}  {:>18}  {:>20}  {:>18}  {:>18}{extra}",
        "year", "capacity left", "LOLE h/yr", "EUE MWh/yr", survive
    )?;
    for y in &r.years {
        let p = y
            .survival
            .map(|p| format!("{:.4} ± {:.4}", p.mean, p.se))
            .unwrap_or_default();
        let extra = match (y.units_end, y.usable_mwh_end) {
            (Some(n), Some(u)) => format!(
                "  {:>7}  {:>16}",
                format!("{:.2}", n.mean),
                format!("{:.2} ± {:.2}", u.mean, u.se)
            ),
            _ => String::new(),
        };
        writeln!(
            out,
            "  {:>4}  {:>18}  {:>20}  {:>18}  {:>18}{extra}",
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
