//! `ridethrough size`: the smallest number of battery units (or, `--over generators`, of
//! generator sets) that meets a LOLE, EUE, survival, transfer-drop or fuel-out target
//! ([`ridethrough::studies::sizing`]), printed as the table of sizes tried and the answer with its
//! confidence; with `--generators A:B`, the fewest battery units for each generator count in the
//! range; `--plot` draws the index against the size.

use crate::args::{Global, SizeArgs, SizeOver};
use crate::error::{CliError, UsageError};
use crate::flags::Refusal;
use crate::output::{write_json, Stdout};
use crate::progress::Bars;
use ridethrough::components::generators::MAX_GENERATOR_SETS;
use ridethrough::prelude::*;
use ridethrough::studies::montecarlo::McConfig;
use ridethrough::studies::sizing::{
    self, Answer, Dimension, Evaluation, Search, Sizing, SizingConfig, SizingProgress, SizingTable,
    Target, Z_95_ONE_SIDED,
};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The default range of battery units tried.
pub const DEFAULT_UNITS: (u32, u32) = (1, 400);
/// The default largest generator count tried with `--over generators` (the smallest is 0, or 1
/// for a transfer-drop or fuel-out target): 100 sets, twice the Colossus-like site's.
pub const DEFAULT_MAX_SETS: u32 = 100;

/// `--min-sets`, `--max-sets`: 0 ≤ x ≤ [`MAX_GENERATOR_SETS`].
pub fn sets(text: &str) -> Result<u32, Refusal> {
    let range = || Refusal::OutOfRange(format!("0 ≤ x ≤ {MAX_GENERATOR_SETS}"));
    match text.trim().parse::<i128>() {
        Ok(n) if (0..=i128::from(MAX_GENERATOR_SETS)).contains(&n) => Ok(n as u32),
        Ok(_) => Err(range()),
        // Not an integer: too large for one, out of range as a number, or not whole.
        Err(_) => match text.trim().parse::<f64>() {
            Ok(x) if !(0.0..=f64::from(MAX_GENERATOR_SETS)).contains(&x) => Err(range()),
            _ => Err(Refusal::Malformed("not a whole number".into())),
        },
    }
}

/// `--generators A:B`: two whole numbers with 0 ≤ A ≤ B ≤ [`MAX_GENERATOR_SETS`] (`N` alone is
/// `N:N`).
pub fn set_range(text: &str) -> Result<(u32, u32), Refusal> {
    let malformed = || Refusal::Malformed("not A:B (generator sets from A to B, e.g. 0:4)".into());
    let (a, b) = text.trim().split_once(':').unwrap_or((text, text));
    let whole = |t: &str| t.trim().parse::<i128>().map_err(|_| malformed());
    let (a, b) = (whole(a)?, whole(b)?);
    let max = i128::from(MAX_GENERATOR_SETS);
    if a < 0 || a > b || b > max {
        return Err(Refusal::OutOfRange(format!(
            "0 ≤ A ≤ B ≤ {MAX_GENERATOR_SETS}"
        )));
    }
    Ok((a as u32, b as u32))
}

/// `--transfer-drop`: a probability strictly between 0 and 1.
pub fn open_probability(text: &str) -> Result<f64, Refusal> {
    match text.trim().parse::<f64>() {
        Ok(x) if x > 0.0 && x < 1.0 => Ok(x),
        Ok(_) => Err(Refusal::OutOfRange("0 < x < 1".into())),
        Err(_) => Err(Refusal::Malformed("not a number".into())),
    }
}

/// `--plot`: a file name ending in `.svg` or `.png` (any case), checked before the search runs.
pub fn plot_file(text: &str) -> Result<PathBuf, Refusal> {
    let path = PathBuf::from(text);
    ridethrough::plot::Format::from_path(&path)
        .map(|_| path)
        .map_err(|_| Refusal::Malformed("not a file name ending in .svg or .png".into()))
}

/// What the command line asks of a search.
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    /// The target.
    pub target: Target,
    /// Monte Carlo samples at each size (every target but survival).
    pub samples: u64,
    /// The study's seed (the normal run's, for a survival target).
    pub seed: u64,
    /// What is sized.
    pub over: Dimension,
    /// The smallest size tried.
    pub min: u32,
    /// The largest size tried.
    pub max: u32,
    /// A table: battery units for each generator count in this range.
    pub table: Option<(u32, u32)>,
    /// Every size in the range rather than a bisection.
    pub scan: bool,
    /// Worker threads (`None`: one per core).
    pub threads: Option<usize>,
    /// Write the result as JSON here.
    pub json: Option<&'a Path>,
    /// Draw the index against the size here (.svg or .png).
    pub plot: Option<&'a Path>,
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

/// The target of the command line's flags (clap requires exactly one, and `--survive` with
/// `--probability`), and the flag that gave it.
fn target(a: &SizeArgs) -> Result<(Target, &'static str), UsageError> {
    Ok(
        match (a.lole, a.eue, a.survive, a.transfer_drop, a.fuel_outs) {
            (Some(max_hours), ..) => (Target::Lole { max_hours }, "--lole"),
            (_, Some(max_mwh), ..) => (Target::Eue { max_mwh }, "--eue"),
            (_, _, Some(outage), ..) => match a.probability {
                Some(min_probability) => (
                    Target::Survival {
                        outage,
                        min_probability,
                    },
                    "--survive",
                ),
                None => {
                    return Err(UsageError::Needs {
                        flag: "--survive",
                        needs: "--probability",
                        why: "the share of starts that must ride through",
                    })
                }
            },
            (_, _, _, Some(max_probability), _) => {
                (Target::TransferDrop { max_probability }, "--transfer-drop")
            }
            (.., Some(max_per_sample)) => (Target::FuelOuts { max_per_sample }, "--fuel-outs"),
            _ => {
                return Err(UsageError::Needs {
                    flag: "size",
                    needs: "--lole, --eue, --survive with --probability, --transfer-drop or \
                            --fuel-outs",
                    why: "the target to size for",
                })
            }
        },
    )
}

/// What is sized over which range, from the flags.
struct Ranges {
    over: Dimension,
    min: u32,
    max: u32,
    /// A table's generator counts.
    table: Option<(u32, u32)>,
}

/// The dimension, its range and the table's range from the flags, refusing flags that do not
/// fit `--over`.
fn ranges(a: &SizeArgs, target: &Target, flag: &'static str) -> Result<Ranges, UsageError> {
    let refuse = |flag, with, why| UsageError::DoesNotApply { flag, with, why };
    let empty = |flag, with| refuse(flag, with, "the range of sizes would be empty");
    let sets_only = "set counts are given by --min-sets/--max-sets with --over generators, or \
                     by --generators A:B for a table";
    let units = |a: &SizeArgs| {
        let (min, max) = (
            a.min_units.unwrap_or(DEFAULT_UNITS.0),
            a.max_units.unwrap_or(DEFAULT_UNITS.1),
        );
        if min > max {
            return Err(empty("--min-units", "a smaller --max-units"));
        }
        Ok((min, max))
    };
    let needs_sets = target.needs_generators();
    match (a.over, a.generators) {
        (SizeOver::Generators, Some(_)) => Err(refuse(
            "--generators",
            "--over generators",
            "a table sizes battery units for each generator count in the range",
        )),
        (SizeOver::Units, Some((first, last))) => {
            if a.min_sets.is_some() || a.max_sets.is_some() {
                return Err(refuse("--min-sets", "--generators", sets_only));
            }
            if first == 0 && needs_sets {
                return Err(refuse(
                    "--generators 0:…",
                    flag,
                    "with no sets there is no transfer and no tank: start the range at 1",
                ));
            }
            let (min, max) = units(a)?;
            Ok(Ranges {
                over: Dimension::BatteryUnits,
                min,
                max,
                table: Some((first, last)),
            })
        }
        (SizeOver::Units, None) => {
            if a.min_sets.is_some() || a.max_sets.is_some() {
                return Err(refuse("--min-sets", "--over units", sets_only));
            }
            let (min, max) = units(a)?;
            Ok(Ranges {
                over: Dimension::BatteryUnits,
                min,
                max,
                table: None,
            })
        }
        (SizeOver::Generators, None) => {
            if a.min_units.is_some() || a.max_units.is_some() {
                return Err(refuse(
                    "--min-units",
                    "--over generators",
                    "the range of set counts is --min-sets..=--max-sets",
                ));
            }
            let min = a.min_sets.unwrap_or(u32::from(needs_sets));
            let max = a.max_sets.unwrap_or(DEFAULT_MAX_SETS);
            if min > max {
                return Err(empty("--min-sets", "a smaller --max-sets"));
            }
            if min == 0 && needs_sets {
                return Err(refuse(
                    "--min-sets 0",
                    flag,
                    "with no sets there is no transfer and no tank: start at 1",
                ));
            }
            Ok(Ranges {
                over: Dimension::GeneratorSets,
                min,
                max,
                table: None,
            })
        }
    }
}

/// Refuses a scenario that lacks what the search needs: a `[generators]` table to copy sets
/// from, sets for a backup-chain target, a `[fuel]` table for a fuel-out target.
fn check_scenario(study: &Study, opts: &Options<'_>, flag: &'static str) -> Result<(), UsageError> {
    let sets = study.generator_params().map(|g| g.count);
    let refuse = |flag, with, why| Err(UsageError::DoesNotApply { flag, with, why });
    let copies = "the sets sized are copies of the scenario's [generators] set model";
    if sets.is_none() {
        if opts.table.is_some() {
            return refuse("--generators", "a scenario without [generators]", copies);
        }
        if opts.over == Dimension::GeneratorSets {
            return refuse(
                "--over generators",
                "a scenario without [generators]",
                copies,
            );
        }
    }
    let sized_sets = opts.over == Dimension::GeneratorSets || opts.table.is_some();
    if opts.target.needs_generators() && !sized_sets && sets.unwrap_or(0) == 0 {
        return refuse(
            flag,
            "a scenario without generator sets",
            "transfer drops and fuel-outs are the backup chain's",
        );
    }
    if matches!(opts.target, Target::FuelOuts { .. }) && study.fuel_params().is_none() {
        return refuse(
            flag,
            "a scenario without [fuel]",
            "without a tank the sets never run dry",
        );
    }
    Ok(())
}

/// `ridethrough size`: checks the flags against each other and the scenario, guards the cost,
/// runs the search (or the table), prints it and writes `--json` and `--plot`.
pub fn command(
    a: &SizeArgs,
    global: &Global,
    bars: Bars,
    out: &mut Stdout,
) -> Result<(), CliError> {
    let (target, flag) = target(a)?;
    let samples = match (target.is_monte_carlo(), a.samples) {
        (false, Some(_)) => {
            return Err(UsageError::DoesNotApply {
                flag: "--samples",
                with: "--survive",
                why: "the survival sweep starts an outage from every step, it samples nothing",
            }
            .into())
        }
        (false, None) => 1,
        (true, Some(n)) => n,
        (true, None) => {
            return Err(UsageError::Needs {
                flag,
                needs: "--samples",
                why: "the Monte Carlo study run at each size",
            }
            .into())
        }
    };
    let Ranges {
        over,
        min,
        max,
        table,
    } = ranges(a, &target, flag)?;
    let study = crate::load(&a.source, global)?;
    let survive = match target {
        Target::Survival { outage, .. } => {
            crate::survival::check(study.site(), "--survive", outage)?;
            Some(outage)
        }
        _ => None,
    };
    let opts = Options {
        target,
        samples,
        seed: study.seed(),
        over,
        min,
        max,
        table,
        scan: a.scan,
        threads: a.threads,
        json: a.json.as_deref(),
        plot: a.plot.as_deref(),
    };
    check_scenario(&study, &opts, flag)?;
    let per_search = if opts.scan {
        u64::from(max - min) + 1
    } else {
        most_evaluations(min, max)
    };
    let rows = table.map_or(1, |(first, last)| u64::from(last - first) + 1);
    let p = crate::guard::Plan {
        samples: survive.is_none().then_some(samples),
        survival: survive,
        outage_flag: survive.map(|_| "--survive"),
        trace: None,
        policy: study.policy(),
        seed: study.seed(),
        repeat: per_search * rows,
    };
    crate::guard(global, study.site(), &p)?;
    crate::name(&study, out)?;
    run(&study, &opts, bars, out)
}

/// Runs the search (or the table) on `study`, prints it, and writes the JSON and the chart.
pub fn run(
    study: &Study,
    opts: &Options<'_>,
    bars: Bars,
    out: &mut Stdout,
) -> Result<(), CliError> {
    let mut mc = McConfig::new(opts.samples, opts.seed);
    mc.threads = opts.threads.unwrap_or(0);
    let cfg = SizingConfig::new(opts.target, opts.min, opts.max, mc)
        .with_over(opts.over)
        .with_search(if opts.scan {
            Search::Scan
        } else {
            Search::Bisection
        });
    let survival = !opts.target.is_monte_carlo();
    let bar = if survival {
        bars.spinner("sizing")
    } else {
        bars.samples(opts.samples)
    };
    let noun = if opts.over == Dimension::GeneratorSets {
        "sets"
    } else {
        "units"
    };
    let report = |p: &SizingProgress| {
        let row = p.sets.map_or(String::new(), |s| format!("{s} sets: "));
        bar.set_message(format!(
            "{row}{} {noun} (size {} tried)",
            p.units,
            p.tried + 1
        ));
        if let Some(s) = p.study {
            bar.set_position(s.done);
        }
    };
    let started = Instant::now();
    match opts.table {
        None => {
            let result = sizing::size(study, &cfg, &report);
            bar.finish_and_clear();
            let result = result?;
            print(&result, opts, out)?;
            out.note(format_args!(
                "{} sizes evaluated in {:.2} s",
                result.evaluations.len(),
                started.elapsed().as_secs_f64()
            ))?;
            finish(&result, opts, out, |path| {
                ridethrough::plot::sizing(&result, path)
            })
        }
        Some((first, last)) => {
            let result = sizing::table(study, &cfg, first, last, &report);
            bar.finish_and_clear();
            let result = result?;
            print_table(&result, opts, out)?;
            out.note(format_args!(
                "{} sizes evaluated for {} generator counts in {:.2} s",
                result
                    .rows
                    .iter()
                    .map(|r| r.sizing.evaluations.len())
                    .sum::<usize>(),
                result.rows.len(),
                started.elapsed().as_secs_f64()
            ))?;
            finish(&result, opts, out, |path| {
                ridethrough::plot::sizing_table(&result, path)
            })
        }
    }
}

/// Writes `--json` and `--plot`.
fn finish(
    result: &impl serde::Serialize,
    opts: &Options<'_>,
    out: &mut Stdout,
    draw: impl FnOnce(&Path) -> Result<(), ridethrough::plot::PlotError>,
) -> Result<(), CliError> {
    if let Some(path) = opts.json {
        write_json(path, result)?;
        out.note(format_args!("sizing written to {}", path.display()))?;
    }
    if let Some(path) = opts.plot {
        draw(path)?;
        out.note(format_args!("chart written to {}", path.display()))?;
    }
    Ok(())
}

/// `≤`/`≥` and the sign of the confidence term.
fn op(t: &Target) -> (&'static str, &'static str) {
    if t.is_lower_bound() {
        ("≥", "−")
    } else {
        ("≤", "+")
    }
}

/// The first line: what is sized against what, at what confidence, on what samples.
fn heading(what: &str, opts: &Options<'_>) -> String {
    let t = &opts.target;
    let (name, unit) = t.index_name();
    let (op, sign) = op(t);
    let limit = match t {
        Target::TransferDrop { .. } => "the one-sided Wilson bound at z = 1.645".to_string(),
        Target::FuelOuts { .. } => {
            format!("estimate + {Z_95_ONE_SIDED}·SE, or 3/n when no sample ran dry")
        }
        _ => format!("estimate {sign} {Z_95_ONE_SIDED}·SE"),
    };
    let basis = if t.is_monte_carlo() {
        format!(
            "{} samples per size, the same seed {} for every size",
            opts.samples, opts.seed
        )
    } else {
        format!("the survival sweep of every step, seed {}", opts.seed)
    };
    format!(
        "{what}: {name} {op} {} {unit} at the one-sided 95 % level ({limit}); {basis}",
        t.bound()
    )
}

/// `1.8149 ± 0.0920 h per sample`.
fn figure(e: &Evaluation, unit: &str) -> String {
    format!("{:.4} ± {:.4} {unit}", e.estimate.mean, e.estimate.se)
}

/// The table of sizes tried and the answer.
fn print(s: &Sizing, opts: &Options<'_>, out: &mut Stdout) -> Result<(), CliError> {
    let t = &s.target;
    let (name, unit) = t.index_name();
    let (what, noun, low_flag, high_flag) = match s.over {
        Dimension::GeneratorSets => ("Generator sizing", "sets", "--min-sets", "--max-sets"),
        Dimension::BatteryUnits => ("Battery sizing", "units", "--min-units", "--max-units"),
    };
    writeln!(out, "{}", heading(what, opts))?;
    writeln!(
        out,
        "  {noun:>8}  {:>24}  {:>12}  meets",
        "estimate ± SE", "95 % limit"
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
    match (s.answer, s.chosen(), s.below()) {
        (Answer::Smallest { units }, Some(at), Some(below)) => writeln!(
            out,
            "answer: {units} {noun} ({name} {}); {} {noun} do not meet the target ({})",
            figure(at, unit),
            below.units,
            figure(below, unit)
        )?,
        (Answer::AtLowerBound { units }, Some(at), _) => writeln!(
            out,
            "answer: {units} {noun} ({name} {}), the smallest size tried: the lower bound \
             ({low_flag}) was hit, and a smaller fleet may also meet the target",
            figure(at, unit)
        )?,
        _ => writeln!(
            out,
            "answer: none: {} {noun} do not meet the target: the upper bound ({high_flag}) was hit",
            opts.max
        )?,
    }
    warn(s, noun, out)
}

/// A warning per breach of monotonicity.
fn warn(s: &Sizing, noun: &str, out: &mut Stdout) -> Result<(), CliError> {
    let (name, unit) = s.target.index_name();
    for v in &s.violations {
        writeln!(
            out,
            "warning: {name} is not monotone in the {noun} here: {} {noun} {} but {} {noun} {}; \
             the bisection assumes it is, so check the answer with --scan over nearby sizes",
            v.smaller.units,
            figure(&v.smaller, unit),
            v.larger.units,
            figure(&v.larger, unit)
        )?;
    }
    Ok(())
}

/// The table: for each generator count, the battery units needed, with the estimates at the
/// answer and one below.
fn print_table(t: &SizingTable, opts: &Options<'_>, out: &mut Stdout) -> Result<(), CliError> {
    let (_, unit) = t.target.index_name();
    writeln!(
        out,
        "{}",
        heading("Battery units per generator count", opts)
    )?;
    writeln!(
        out,
        "  {:>6}  {:>12}  {:>30}  {:>36}  {:>5}",
        "sets",
        "units needed",
        "estimate ± SE at the answer",
        "one unit below: estimate ± SE",
        "tried"
    )?;
    let pair = |e: Option<&Evaluation>| {
        e.map_or("-".to_string(), |e| {
            format!("{:.4} ± {:.4}", e.estimate.mean, e.estimate.se)
        })
    };
    for r in &t.rows {
        let s = &r.sizing;
        let need = match s.answer {
            Answer::Smallest { units } => units.to_string(),
            Answer::AtLowerBound { units } => format!("≤ {units}"),
            Answer::NotMet { max_units } => format!("> {max_units}"),
        };
        writeln!(
            out,
            "  {:>6}  {:>12}  {:>30}  {:>36}  {:>5}",
            r.sets,
            need,
            pair(s.chosen()),
            pair(s.below()),
            s.evaluations.len()
        )?;
    }
    writeln!(
        out,
        "  ({unit}; \"≤ N\": the lower bound --min-units already meets the target; \"> N\": \
         --max-units does not)"
    )?;
    for r in &t.rows {
        let at = match r.sizing.answer {
            Answer::Smallest { units } => format!("you need {units} battery units"),
            Answer::AtLowerBound { units } => {
                format!("you need at most {units} battery units (the lower bound)")
            }
            Answer::NotMet { max_units } => {
                format!("no fleet up to {max_units} battery units meets the target")
            }
        };
        writeln!(out, "with {} generator sets {at}", r.sets)?;
    }
    for r in &t.rows {
        warn(&r.sizing, "units", out)?;
    }
    for v in &t.violations {
        writeln!(
            out,
            "warning: {} generator sets need more battery units than {} ({:?} against {:?}); \
             more sets should never need more units: check with --scan",
            v.larger_sets, v.smaller_sets, v.larger, v.smaller
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evaluations_are_bounded_by_the_halvings() {
        assert_eq!(most_evaluations(5, 5), 1);
        assert_eq!(most_evaluations(1, 2), 2);
        assert_eq!(most_evaluations(1, 3), 3);
        assert_eq!(most_evaluations(1, 400), 2 + 9);
    }

    #[test]
    fn set_flags_are_parsed_and_bounded() {
        assert_eq!(set_range("0:4").ok(), Some((0, 4)));
        assert_eq!(set_range(" 3 : 3 ").ok(), Some((3, 3)));
        assert_eq!(set_range("5").ok(), Some((5, 5)));
        for bad in ["4:0", "-1:3", "0:10001"] {
            assert!(
                matches!(set_range(bad), Err(Refusal::OutOfRange(_))),
                "{bad}"
            );
        }
        for bad in ["a:b", "0-4", "1.5:3", ""] {
            assert!(
                matches!(set_range(bad), Err(Refusal::Malformed(_))),
                "{bad}"
            );
        }
        assert_eq!(sets("7").ok(), Some(7));
        assert!(matches!(sets("10001"), Err(Refusal::OutOfRange(_))));
        assert!(matches!(sets("-2"), Err(Refusal::OutOfRange(_))));
        assert!(matches!(sets("2.5"), Err(Refusal::Malformed(_))));
        assert!(plot_file("a.SVG").is_ok() && plot_file("dir/b.png").is_ok());
        assert!(matches!(plot_file("a.jpg"), Err(Refusal::Malformed(_))));
        assert!(matches!(open_probability("1"), Err(Refusal::OutOfRange(_))));
        assert!(matches!(open_probability("x"), Err(Refusal::Malformed(_))));
    }
}
