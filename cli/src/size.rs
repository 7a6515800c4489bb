//! `ridethrough size`: the smallest number of battery units that meets a LOLE, EUE or survival
//! target ([`ridethrough::studies::sizing`]), printed as the table of sizes tried and the answer
//! with its confidence.

use crate::error::CliError;
use crate::output::{write_json, Stdout};
use crate::progress::Bars;
use ridethrough::prelude::*;
use ridethrough::studies::montecarlo::McConfig;
use ridethrough::studies::sizing::{
    self, Answer, Evaluation, Sizing, SizingConfig, SizingProgress, Target, Z_95_ONE_SIDED,
};
use std::path::Path;
use std::time::Instant;

/// What the command line asks of a search.
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    /// The target.
    pub target: Target,
    /// Monte Carlo samples at each size (LOLE and EUE targets).
    pub samples: u64,
    /// The study's seed (the normal run's, for a survival target).
    pub seed: u64,
    /// The smallest unit count tried.
    pub min_units: u32,
    /// The largest unit count tried.
    pub max_units: u32,
    /// Worker threads (`None`: one per core).
    pub threads: Option<usize>,
    /// Write the result as JSON here.
    pub json: Option<&'a Path>,
}

/// The most sizes a search over `min..=max` evaluates: the upper bound, the lower bound, then
/// one per halving of the gap.
pub fn most_evaluations(min: u32, max: u32) -> u64 {
    let gap = u64::from(max - min);
    if gap == 0 {
        1
    } else {
        2 + u64::from(64 - (gap - 1).leading_zeros())
    }
}

/// The index's name and unit.
fn index(target: &Target) -> (String, &'static str) {
    match target {
        Target::Lole { .. } => ("LOLE".into(), "h per sample"),
        Target::Eue { .. } => ("EUE".into(), "MWh per sample"),
        Target::Survival { outage, .. } => (format!("P(ride through {outage})"), "of starts"),
        _ => ("index".into(), ""),
    }
}

/// Runs the search on `study`, prints the sizes tried and the answer, and writes the JSON.
pub fn run(
    study: &Study,
    opts: &Options<'_>,
    bars: Bars,
    out: &mut Stdout,
) -> Result<(), CliError> {
    let mut mc = McConfig::new(opts.samples, opts.seed);
    mc.threads = opts.threads.unwrap_or(0);
    let cfg = SizingConfig::new(opts.target, opts.min_units, opts.max_units, mc);
    let survival = matches!(opts.target, Target::Survival { .. });
    let bar = if survival {
        bars.spinner("sizing")
    } else {
        bars.samples(opts.samples)
    };
    let started = Instant::now();
    let result = sizing::size(study, &cfg, &|p: &SizingProgress| {
        bar.set_message(format!("{} units (size {} tried)", p.units, p.tried + 1));
        if let Some(s) = p.study {
            bar.set_position(s.done);
        }
    });
    bar.finish_and_clear();
    let result = result?;
    print(&result, opts, survival, out)?;
    out.note(format_args!(
        "{} sizes evaluated in {:.2} s",
        result.evaluations.len(),
        started.elapsed().as_secs_f64()
    ))?;
    if let Some(path) = opts.json {
        write_json(path, &result)?;
        out.note(format_args!("sizing written to {}", path.display()))?;
    }
    Ok(())
}

/// The table and the answer.
fn print(s: &Sizing, opts: &Options<'_>, survival: bool, out: &mut Stdout) -> Result<(), CliError> {
    let t = &s.target;
    let (name, unit) = index(t);
    let (op, sign) = if t.is_lower_bound() {
        ("≥", "−")
    } else {
        ("≤", "+")
    };
    let basis = if survival {
        format!("the survival sweep of every step, seed {}", opts.seed)
    } else {
        format!(
            "{} samples per size, the same seed {} for every size",
            opts.samples, opts.seed
        )
    };
    writeln!(
        out,
        "Battery sizing: {name} {op} {} {unit} at the one-sided 95 % level (estimate {sign} {Z_95_ONE_SIDED}·SE); {basis}",
        t.bound()
    )?;
    writeln!(
        out,
        "  {:>8}  {:>24}  {:>12}  meets",
        "units", "estimate ± SE", "95 % limit"
    )?;
    for e in s.by_units() {
        writeln!(
            out,
            "  {:>8}  {:>11.4} ± {:<10.4}  {:>12.4}  {}",
            e.units,
            e.estimate.mean,
            e.estimate.se,
            t.confidence_limit(&e.estimate),
            if e.met { "yes" } else { "no" }
        )?;
    }
    let figure = |e: &Evaluation| format!("{:.4} ± {:.4} {unit}", e.estimate.mean, e.estimate.se);
    match (s.answer, s.chosen(), s.below()) {
        (Answer::Smallest { units }, Some(at), Some(below)) => writeln!(
            out,
            "answer: {units} units ({name} {}); {} units do not meet the target ({})",
            figure(at),
            below.units,
            figure(below)
        )?,
        (Answer::AtLowerBound { units }, Some(at), _) => writeln!(
            out,
            "answer: {units} units ({name} {}), the smallest size tried: the lower bound \
             (--min-units) was hit, and a smaller fleet may also meet the target",
            figure(at)
        )?,
        _ => writeln!(
            out,
            "answer: none: {} units do not meet the target: the upper bound (--max-units) was hit",
            opts.max_units
        )?,
    }
    for v in &s.violations {
        writeln!(
            out,
            "warning: {name} is not monotone in the unit count here: {} units {} but {} units {}; \
             the bisection assumes it is, so check the answer with a scan of nearby sizes",
            v.smaller.units,
            figure(&v.smaller),
            v.larger.units,
            figure(&v.larger)
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::most_evaluations;

    #[test]
    fn evaluations_are_bounded_by_the_halvings() {
        assert_eq!(most_evaluations(5, 5), 1);
        assert_eq!(most_evaluations(1, 2), 2);
        assert_eq!(most_evaluations(1, 3), 3);
        assert_eq!(most_evaluations(1, 400), 2 + 9);
    }
}
