//! Reliability by year of life: Monte Carlo indices for each year of a multi-year horizon (a
//! battery that ages with `[battery.ageing]`, or one that does not), with standard errors, and
//! the first year in which a target is missed.
//!
//! Sample *i* is one whole life: the scenario's horizon (20 years, say) run from the seed
//! `rng::sample_seed(seed, i)`, as a [Monte Carlo](super::montecarlo) sample is. The run marks
//! the sums at the end of each year of life (8,760 h from the start,
//! [`HOURS_PER_LIFE_YEAR`]; the last year partial if the horizon is not a whole number of
//! years) in [`YearMark`]s, and a year's values are the differences of consecutive marks; taking
//! a mark costs nothing per step (one comparison a step, which ageing runs pay already). For each
//! year of life the study estimates, as mean ± standard error over the samples:
//!
//! * **LOLE**, h per year: the PRAS-style count, steps with unserved load in any part of them ×
//!   the step length ([`Indices::lole_hours`](super::montecarlo::Indices::lole_hours)), and the
//!   time with unserved load itself, to the millisecond;
//! * **EUE**, MWh per year;
//! * **P(survive a D-hour outage)**, with [`LifeConfig::survive`] = D: in each sample and each
//!   year, an instant of that year (a step's start, uniform over the year's steps) is drawn from
//!   the sample's own stream (`rng::stream(sample seed, streams::LIFE_OUTAGES)`), the run's
//!   state there is copied, the grid is forced out on the copy for D (as the
//!   [survival sweep](super::survival) does: the same policy dispatches the battery, and
//!   generator sets draw their starts and failures from a fresh stream of the sample's), and the
//!   year scores 1 if no load was lost during the D hours, 0 if some was. The original run goes
//!   on unchanged. An outage drawn near the end of the horizon wraps around to its start (the
//!   load and ambient repeat, as in the survival sweep).
//! * the capacity factor at the year's end (1 without ageing).
//!
//! # Targets
//! A [`Target`] (the one of [`sizing`](super::sizing): LOLE ≤ x, EUE ≤ y per year, or
//! P(survive D) ≥ p) is checked year by year with the sizing study's one-sided 95 % convention
//! (estimate ± 1.645 SE, [`Z_95_ONE_SIDED`]):
//!
//! * a year **misses** the target when even the favourable limit is beyond the bound
//!   (`mean − 1.645·SE > x` for LOLE and EUE, `mean + 1.645·SE < p` for survival): the target
//!   is missed at 95 % confidence; [`TargetOutcome::first_year_missed`] is the first such year;
//! * a year **meets** it when the unfavourable limit is within the bound
//!   ([`Target::is_met_by`], as in sizing); [`TargetOutcome::first_year_not_met`] is the first
//!   year that does not: from then on the data no longer show the target is met.
//!
//! `None` means never (over the horizon). A year between the two is within noise of the bound:
//! more samples decide it.
//!
//! # Cost
//! Every step of every life is stepped: the study stops each year at a drawn instant, and runs
//! with ageing do not fast-forward anyway. A study of a site without ageing therefore costs what
//! a Monte Carlo study without fast-forward does. The forced outages add D steps per year of
//! each life, and a copy of the run's state.
//!
//! # Reproducibility
//! Samples run in the chunks of the Monte Carlo study and are merged in index order, so the
//! result is bit-identical for any thread count (tested).
//!
//! ```
//! use ridethrough::prelude::*;
//! use ridethrough::studies::life_reliability::{self, LifeConfig};
//! use ridethrough::studies::sizing::Target;
//! // The Austin site over 2 years at hourly steps, ageing, 16 sampled lives.
//! let text = ridethrough::io::scenario::DEFAULT_SCENARIO_TOML
//!     .replace("step = \"1m\"", "step = \"1h\"")
//!     .replace("horizon = \"365d\"", "horizon = \"730d\"")
//!     + "\n[battery.ageing]\n";
//! let study = Scenario::from_toml_str(&text)?.validate()?;
//! let cfg = LifeConfig {
//!     survive: Some(Duration::from_hours(4)),
//!     target: Some(Target::Eue { max_mwh: 50.0 }),
//!     ..LifeConfig::new(16, 7)
//! };
//! let life = life_reliability::run(study.site(), study.policy(), &cfg, &|_| {})?;
//! assert_eq!(life.years.len(), 2);
//! let (y1, y2) = (&life.years[0], &life.years[1]);
//! assert!(y2.capacity_factor_end.mean < y1.capacity_factor_end.mean);
//! let p = y1.survival.expect("survival is estimated with `survive`");
//! assert!((0.0..=1.0).contains(&p.mean) && p.n == 16);
//! println!("year 1: EUE {} MWh, LOLE {} h", y1.eue_mwh, y1.lole_hours);
//! assert!(life.target.is_some());
//! # Ok::<(), ridethrough::ConfigError>(())
//! ```

use crate::engine::policy::Dispatch;
use crate::engine::report::{YearMark, HOURS_PER_LIFE_YEAR};
use crate::engine::{Simulation, Site};
use crate::error::ConfigError;
use crate::rng::{sample_seed, stream, streams};
use crate::studies::montecarlo::{self, McConfig, MAX_USEFUL_THREADS};
use crate::studies::sizing::{Target, Z_95_ONE_SIDED};
use crate::studies::stats::{Estimate, Moments};
use crate::units::{Duration, Fraction, MS_PER_HOUR};
use rand::{Rng as _, RngCore};
use serde::{Deserialize, Serialize};

/// The longest outage whose survival is estimated: a year of life (8,760 h). The outage is
/// drawn inside a year; a longer one says nothing about that year.
pub const MAX_SURVIVE: Duration = Duration::from_hours(HOURS_PER_LIFE_YEAR);

/// A year of life in milliseconds.
const YEAR_MS: u64 = HOURS_PER_LIFE_YEAR * MS_PER_HOUR;

/// How to run the study.
///
/// | field | allowed |
/// |---|---|
/// | `samples` | at least 1 |
/// | `seed` | any 64-bit unsigned integer |
/// | `threads` | 0 (one per core) to [`MAX_USEFUL_THREADS`] (256) |
/// | `survive` | 0 ≤ D ≤ 8,760 h ([`MAX_SURVIVE`]), a whole number of the site's steps |
/// | `target` | as [`Target::validate`]; a survival target's outage must be `survive` (or gives it) |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LifeConfig {
    /// Sampled lives.
    pub samples: u64,
    /// The study's seed: sample *i* runs from `rng::sample_seed(seed, i)`.
    pub seed: u64,
    /// Worker threads (0 = one per core); the results do not depend on it.
    #[serde(default)]
    pub threads: usize,
    /// D: the outage whose survival is estimated each year (none: no survival estimate; with a
    /// survival target, the target's outage).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub survive: Option<Duration>,
    /// The target whose first missed year is reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<Target>,
    /// Whether each life jumps over the stretches in which the battery rests (see
    /// [`fast_forward`](crate::engine::fast_forward); on by default): the battery ages over them
    /// in closed form, so the years come out as stepping gives them to rounding and the SoC's
    /// course under fading capacity (tested to 1e-6).
    #[serde(default = "fast_forward_default")]
    pub fast_forward: bool,
}

/// [`LifeConfig::fast_forward`]'s default: on.
fn fast_forward_default() -> bool {
    true
}

impl LifeConfig {
    /// `samples` lives from `seed`, all cores, no survival estimate, no target.
    pub fn new(samples: u64, seed: u64) -> LifeConfig {
        LifeConfig {
            samples,
            seed,
            threads: 0,
            survive: None,
            target: None,
            fast_forward: true,
        }
    }

    /// Checks the numbers against `site` (its step) and returns the validated plan.
    ///
    /// # Errors
    /// [`ConfigError::OutOfRange`] naming `life.samples`, `life.threads`, `life.survive` or the
    /// target's field (`life.target.max_hours`, `life.target.max_mwh`, `life.target.outage`,
    /// `life.target.min_probability`); [`ConfigError::NotMultiple`] for a `life.survive` that is
    /// not a whole number of steps; [`ConfigError::Inconsistent`] naming `life.target.outage`
    /// for a survival target whose outage is not `survive`.
    pub fn validate(&self, site: &Site) -> Result<LifePlan, ConfigError> {
        if self.samples == 0 {
            return Err(ConfigError::OutOfRange {
                field: "life.samples".into(),
                value: 0.0,
                allowed: "at least 1",
            });
        }
        if self.threads > MAX_USEFUL_THREADS {
            return Err(ConfigError::OutOfRange {
                field: "life.threads".into(),
                value: self.threads as f64,
                allowed: "0 (one per core) ≤ x ≤ 256",
            });
        }
        if let Some(t) = &self.target {
            t.validate().map_err(rename_target)?;
            if t.needs_generators() {
                // Not computed by year: the life study reads LOLE, EUE and survival.
                return Err(ConfigError::Inconsistent {
                    field: "life.target".into(),
                    why: "a life study's target is LOLE, EUE or survival, not a backup-chain \
                          index (transfer drops, fuel-outs)",
                });
            }
        }
        let survive = match (self.survive, self.target) {
            (Some(d), Some(Target::Survival { outage, .. })) if d != outage => {
                return Err(ConfigError::Inconsistent {
                    field: "life.target.outage".into(),
                    why: "a survival target's outage must be the study's life.survive",
                })
            }
            (None, Some(Target::Survival { outage, .. })) => Some(outage),
            (d, _) => d,
        };
        let step = site.time.step();
        let survive_steps = match survive {
            None => None,
            Some(d) => {
                if d > MAX_SURVIVE {
                    return Err(ConfigError::OutOfRange {
                        field: "life.survive".into(),
                        value: d.hours().value(),
                        allowed: "0 ≤ x ≤ 8760 h (a year of life; value in hours)",
                    });
                }
                if d.as_millis() % step.as_millis() != 0 {
                    return Err(ConfigError::NotMultiple {
                        field: "life.survive".into(),
                        value: d,
                        multiple_of: step,
                    });
                }
                Some(d.as_millis() / step.as_millis())
            }
        };
        Ok(LifePlan {
            survive,
            survive_steps,
            fast_forward: self.fast_forward,
        })
    }

    /// The Monte Carlo settings the study's chunks run under.
    fn montecarlo(&self) -> McConfig {
        McConfig {
            threads: self.threads,
            ..McConfig::new(self.samples, self.seed)
        }
    }
}

/// A target error under `life.target.` (the target names its fields `sizing.`).
fn rename_target(e: ConfigError) -> ConfigError {
    let rename = |f: String| {
        let name = match f.as_str() {
            "sizing.lole_hours" => "life.target.max_hours",
            "sizing.eue_mwh" => "life.target.max_mwh",
            "sizing.outage" => "life.target.outage",
            "sizing.probability" => "life.target.min_probability",
            _ => return f,
        };
        name.to_string()
    };
    match e {
        ConfigError::OutOfRange {
            field,
            value,
            allowed,
        } => ConfigError::OutOfRange {
            field: rename(field),
            value,
            allowed,
        },
        other => other,
    }
}

/// A [`LifeConfig`] checked against a site: the survival outage in steps.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LifePlan {
    survive: Option<Duration>,
    survive_steps: Option<u64>,
    fast_forward: bool,
}

/// Progress every 512 merged samples and at the end.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LifeProgress {
    /// Lives done.
    pub done: u64,
    /// Lives planned.
    pub planned: u64,
}

/// One year of life over the samples: each index its mean ± standard error, n the samples.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct YearReliability {
    /// The year, from 1.
    pub year: u32,
    /// Its length, hours (8,760 but for a last partial year, whose indices are over it).
    pub hours: f64,
    /// LOLE in the year, PRAS-style (steps with loss of load × the step length), hours.
    pub lole_hours: Estimate,
    /// Time with unserved load in the year, hours, to the millisecond.
    pub loss_of_load_hours: Estimate,
    /// Unserved energy in the year, MWh.
    pub eue_mwh: Estimate,
    /// P(a total grid outage of D hours from an instant of the year is carried without loss of
    /// load), with [`LifeConfig::survive`] (or a survival target) only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub survival: Option<Estimate>,
    /// Capacity factor at the year's end (cycles closed by then; 1 without ageing; with an
    /// augmentation plan, the mean over the units installed).
    pub capacity_factor_end: Estimate,
    /// With an augmentation plan: the usable energy of the units installed at the year's end,
    /// MWh.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usable_mwh_end: Option<Estimate>,
    /// With an augmentation plan: the units installed at the year's end (a threshold rule
    /// fires in some lives and not in others).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub units_end: Option<Estimate>,
}

/// One year of a study under an augmentation plan against the same study without it
/// ([`compare_plan`]), on the same sampled lives.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct YearWithoutPlan {
    /// The year, from 1.
    pub year: u32,
    /// EUE without the plan less EUE with it, MWh/yr (positive: the plan saves energy): the
    /// mean of the paired differences of the lives (each life run both ways from its seed,
    /// common random numbers), with their standard error.
    pub eue_saved_mwh: Estimate,
    /// LOLE without the plan less LOLE with it, h/yr, paired likewise.
    pub lole_saved_hours: Estimate,
}

/// A study under an augmentation plan and without it, on the same lives ([`compare_plan`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanComparison {
    /// Under the plan.
    pub with_plan: LifeReliability,
    /// Without it.
    pub without_plan: LifeReliability,
    /// Year by year, what the plan saves (paired differences).
    pub saved: Vec<YearWithoutPlan>,
}

/// The same study without its battery augmentation plan (`[battery.augmentation]` removed,
/// everything else kept, the site validated again), to compare a plan with doing nothing.
///
/// # Errors
/// As [`Study::with_battery`](crate::engine::study::Study::with_battery).
pub fn without_plan(
    study: &crate::engine::study::Study,
) -> Result<crate::engine::study::Study, ConfigError> {
    let battery = crate::components::battery::BatteryParams {
        augmentation: None,
        ..study.battery_params().clone()
    };
    study.clone().with_battery(battery)
}

/// Runs the study of [`run`] on `with` (a site under an augmentation plan) and on `without`
/// (the same site without it, [`without_plan`]), each life both ways from the same seed, so
/// what the plan saves each year is estimated from paired differences (common random numbers:
/// the same outages; their standard error is far smaller than two independent studies').
///
/// # Errors
/// As [`run`], for either site; [`ConfigError::Inconsistent`] naming `without` if the two
/// sites have other time grids.
pub fn compare_plan<P>(
    with: &Site,
    without: &Site,
    policy: &P,
    cfg: &LifeConfig,
    progress: &(dyn Fn(&LifeProgress) + Sync),
) -> Result<PlanComparison, ConfigError>
where
    P: Dispatch + Clone + Sync,
{
    if with.time != without.time {
        return Err(ConfigError::Inconsistent {
            field: "without".into(),
            why: "the two sites of a plan comparison must have the same time grid",
        });
    }
    let plan_a = cfg.validate(with)?;
    let plan_b = cfg.validate(without)?;
    policy.validate(with)?;
    policy.validate(without)?;
    let (acc, _) = montecarlo::drive(
        &cfg.montecarlo(),
        |range| {
            let mut c = PairAcc::default();
            let (mut ya, mut yb) = (Vec::new(), Vec::new());
            for i in range {
                let seed = sample_seed(cfg.seed, i);
                ya.clear();
                yb.clear();
                run_life(with, policy, &plan_a, seed, &mut c.with, Some(&mut ya));
                run_life(
                    without,
                    policy,
                    &plan_b,
                    seed,
                    &mut c.without,
                    Some(&mut yb),
                );
                if c.eue.len() < ya.len() {
                    c.eue.resize(ya.len(), Moments::default());
                    c.lole.resize(ya.len(), Moments::default());
                }
                for (y, (a, b)) in ya.iter().zip(&yb).enumerate() {
                    c.eue[y].push(b[0] - a[0]);
                    c.lole[y].push(b[1] - a[1]);
                }
            }
            c
        },
        PairAcc::merge,
        |acc: &PairAcc, _| {
            progress(&LifeProgress {
                done: acc.with.done(),
                planned: cfg.samples,
            });
            false
        },
    )?;
    let saved = acc
        .eue
        .iter()
        .zip(&acc.lole)
        .enumerate()
        .map(|(y, (e, l))| YearWithoutPlan {
            year: y as u32 + 1,
            eue_saved_mwh: e.estimate(),
            lole_saved_hours: l.estimate(),
        })
        .collect();
    Ok(PlanComparison {
        with_plan: result(&acc.with, cfg, &plan_a),
        without_plan: result(&acc.without, cfg, &plan_b),
        saved,
    })
}

/// The accumulators of a paired comparison: each study's, and the paired differences (EUE and
/// LOLE without the plan less with it) per year.
#[derive(Debug, Clone, Default)]
struct PairAcc {
    with: Acc,
    without: Acc,
    eue: Vec<Moments>,
    lole: Vec<Moments>,
}

impl PairAcc {
    fn merge(&mut self, o: &PairAcc) {
        self.with.merge(&o.with);
        self.without.merge(&o.without);
        for (mine, theirs) in [(&mut self.eue, &o.eue), (&mut self.lole, &o.lole)] {
            if mine.len() < theirs.len() {
                mine.resize(theirs.len(), Moments::default());
            }
            for (a, b) in mine.iter_mut().zip(theirs) {
                a.merge(b);
            }
        }
    }
}

/// When the target is first missed (see the [module docs](self), "Targets").
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TargetOutcome {
    /// The target.
    pub target: Target,
    /// The first year that misses the target at 95 % confidence (its favourable one-sided
    /// limit beyond the bound); `None`: never missed.
    pub first_year_missed: Option<u32>,
    /// The first year that does not meet the target at 95 % confidence (its unfavourable limit
    /// beyond the bound, [`Target::is_met_by`] false); `None`: met every year.
    pub first_year_not_met: Option<u32>,
}

impl TargetOutcome {
    /// The outcome of `target` over `years`.
    pub fn of(target: Target, years: &[YearReliability]) -> TargetOutcome {
        let estimate = |y: &YearReliability| match target {
            Target::Lole { .. } => Some(y.lole_hours),
            Target::Eue { .. } => Some(y.eue_mwh),
            Target::Survival { .. } => y.survival,
            // Refused by `LifeConfig::validate`.
            Target::TransferDrop { .. } | Target::FuelOuts { .. } => None,
        };
        let missed = |e: &Estimate| {
            if target.is_lower_bound() {
                e.mean + Z_95_ONE_SIDED * e.se < target.bound()
            } else {
                e.mean - Z_95_ONE_SIDED * e.se > target.bound()
            }
        };
        let first = |f: &dyn Fn(&Estimate) -> bool| {
            years
                .iter()
                .find(|y| estimate(y).is_some_and(|e| f(&e)))
                .map(|y| y.year)
        };
        TargetOutcome {
            target,
            first_year_missed: first(&missed),
            first_year_not_met: first(&|e| !target.is_met_by(e)),
        }
    }
}

/// The result of [`run`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LifeReliability {
    /// Lives sampled.
    pub samples: u64,
    /// The study's seed.
    pub seed: u64,
    /// D, hours (with a survival estimate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub survive_hours: Option<f64>,
    /// Year by year.
    pub years: Vec<YearReliability>,
    /// When the target is first missed (with a target).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<TargetOutcome>,
}

/// One year's accumulators.
#[derive(Debug, Clone, Copy, Default)]
struct YearAcc {
    hours: f64,
    lole: Moments,
    lol_time: Moments,
    eue: Moments,
    survived: Moments,
    capacity: Moments,
    usable: Moments,
    units: Moments,
}

impl YearAcc {
    fn merge(&mut self, o: &YearAcc) {
        self.hours = o.hours;
        self.lole.merge(&o.lole);
        self.lol_time.merge(&o.lol_time);
        self.eue.merge(&o.eue);
        self.survived.merge(&o.survived);
        self.capacity.merge(&o.capacity);
        self.usable.merge(&o.usable);
        self.units.merge(&o.units);
    }
}

/// The accumulators of a chunk (or of the merged prefix): one per year.
#[derive(Debug, Clone, Default)]
struct Acc {
    years: Vec<YearAcc>,
}

impl Acc {
    fn merge(&mut self, o: &Acc) {
        if self.years.len() < o.years.len() {
            self.years.resize(o.years.len(), YearAcc::default());
        }
        for (a, b) in self.years.iter_mut().zip(&o.years) {
            a.merge(b);
        }
    }

    fn done(&self) -> u64 {
        self.years.first().map_or(0, |y| y.eue.count())
    }
}

/// The steps of year `y` (from 0) of a run of `steps` steps of `ms`: from the first step that
/// starts at or after the year's start (the year before it ends inside, or at the end of, the
/// step before) to the first of the next year, as the engine's year marks cut them.
fn year_steps(y: u64, ms: u64, steps: u64) -> std::ops::Range<u64> {
    let from = (y * YEAR_MS).div_ceil(ms).min(steps);
    let to = ((y + 1) * YEAR_MS).div_ceil(ms).min(steps);
    from..to
}

/// Runs one life (sample seed `seed`) into `acc`: steps the run year by year; at a drawn instant
/// of each year copies it into `outage` and forces the grid out on the copy for the plan's
/// steps; at the end reads the year marks.
fn run_life<P: Dispatch + Clone>(
    site: &Site,
    policy: &P,
    plan: &LifePlan,
    seed: u64,
    acc: &mut Acc,
    mut out: Option<&mut Vec<[f64; 2]>>,
) {
    let steps = site.time.steps();
    let ms = site.time.step().as_millis();
    // The year of the last step, + 1 (a year whose end falls inside the last step ends there).
    let years = (steps - 1) * ms / YEAR_MS + 1;
    let mut sim = Simulation::new(site, policy.clone(), seed);
    sim.set_lean()
        .set_fast_forward(plan.fast_forward)
        .mark_years();
    let mut rng = stream(seed, streams::LIFE_OUTAGES);
    let mut outage: Option<Simulation<'_, P>> = None;
    if acc.years.len() < years as usize {
        acc.years.resize(years as usize, YearAcc::default());
    }
    for (y, year) in acc.years.iter_mut().enumerate().take(years as usize) {
        let range = year_steps(y as u64, ms, steps);
        if let Some(d) = plan.survive_steps {
            // Every year draws its instant and its generator stream, so a sample's draws do not
            // depend on what the outages did.
            let at = rng.random_range(range.clone());
            let reseed = rng.next_u64();
            sim.run_to(at);
            let copy = match &mut outage {
                Some(c) => {
                    c.clone_from(&sim);
                    c
                }
                None => outage.insert(sim.clone()),
            };
            copy.reseed_backup(reseed);
            year.survived.push(if carries(copy, at, d, steps) {
                1.0
            } else {
                0.0
            });
        }
        sim.run_to(range.end);
    }
    let marks = &sim.state().years;
    let mut from = YearMark::start();
    for (y, year) in acc.years.iter_mut().enumerate().take(years as usize) {
        let to = match marks.get(y) {
            Some(m) => *m,
            // A last partial year: no mark at its end, the sums now stand for it.
            None => sim.year_mark_now(),
        };
        year.hours = (to.end_ms - from.end_ms) as f64 / MS_PER_HOUR as f64;
        year.lole
            .push(to.loss_of_load_step_hours - from.loss_of_load_step_hours);
        year.lol_time
            .push(to.loss_of_load_hours - from.loss_of_load_hours);
        year.eue.push(to.unserved_mwh - from.unserved_mwh);
        if let Some(o) = out.as_deref_mut() {
            o.push([
                to.unserved_mwh - from.unserved_mwh,
                to.loss_of_load_step_hours - from.loss_of_load_step_hours,
            ]);
        }
        year.capacity.push(to.capacity_factor);
        if let Some(a) = to.augmentation {
            year.usable.push(a.usable_mwh);
            year.units.push(f64::from(a.units));
        }
        from = to;
    }
}

/// Whether `copy`, a run's state at the start of step `at`, carries a total grid outage of `d`
/// steps without losing load (the window wraps around the horizon's `steps`).
pub(crate) fn carries<P: Dispatch>(
    copy: &mut Simulation<'_, P>,
    at: u64,
    d: u64,
    steps: u64,
) -> bool {
    let lost = copy.state().tally.loss_of_load_ms();
    for j in 0..d {
        copy.advance::<_, true, true>(&mut (), (at + j) % steps, Some(Fraction::ZERO));
        if copy.state().tally.loss_of_load_ms() > lost {
            return false;
        }
    }
    true
}

/// Runs `cfg.samples` sampled lives of `site` under `policy` and estimates the indices of each
/// year of life.
///
/// `progress` is called (from the calling thread) every 512 merged samples and at the end.
///
/// # Errors
/// [`LifeConfig::validate`]'s; the error of [`Dispatch::validate`] for a policy out of range
/// for this site; [`ConfigError::ThreadPool`] if the worker threads cannot be started.
pub fn run<P>(
    site: &Site,
    policy: &P,
    cfg: &LifeConfig,
    progress: &(dyn Fn(&LifeProgress) + Sync),
) -> Result<LifeReliability, ConfigError>
where
    P: Dispatch + Clone + Sync,
{
    let plan = cfg.validate(site)?;
    policy.validate(site)?;
    let (acc, _) = montecarlo::drive(
        &cfg.montecarlo(),
        |range| {
            let mut a = Acc::default();
            for i in range {
                run_life(site, policy, &plan, sample_seed(cfg.seed, i), &mut a, None);
            }
            a
        },
        Acc::merge,
        |acc: &Acc, _| {
            progress(&LifeProgress {
                done: acc.done(),
                planned: cfg.samples,
            });
            false
        },
    )?;
    Ok(result(&acc, cfg, &plan))
}

/// The study's result from its merged accumulators.
fn result(acc: &Acc, cfg: &LifeConfig, plan: &LifePlan) -> LifeReliability {
    let years: Vec<YearReliability> = acc
        .years
        .iter()
        .enumerate()
        .map(|(y, a)| YearReliability {
            year: y as u32 + 1,
            hours: a.hours,
            lole_hours: a.lole.estimate(),
            loss_of_load_hours: a.lol_time.estimate(),
            eue_mwh: a.eue.estimate(),
            survival: plan.survive_steps.map(|_| a.survived.estimate()),
            capacity_factor_end: a.capacity.estimate(),
            usable_mwh_end: (a.usable.count() > 0).then(|| a.usable.estimate()),
            units_end: (a.units.count() > 0).then(|| a.units.estimate()),
        })
        .collect();
    LifeReliability {
        samples: acc.done(),
        seed: cfg.seed,
        survive_hours: plan.survive.map(|d| d.hours().value()),
        target: cfg.target.map(|t| TargetOutcome::of(t, &years)),
        years,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn year_steps_cut_as_the_engine_marks() {
        // Hourly: whole years.
        let h = MS_PER_HOUR;
        assert_eq!(year_steps(0, h, 2 * 8760), 0..8760);
        assert_eq!(year_steps(1, h, 2 * 8760), 8760..17520);
        // 7-minute steps: a year ends inside a step, which belongs to that year.
        let ms = 7 * 60_000;
        let r0 = year_steps(0, ms, 200_000);
        let r1 = year_steps(1, ms, 200_000);
        assert_eq!(r0.end, r1.start);
        assert!(r0.end * ms >= YEAR_MS && (r0.end - 1) * ms < YEAR_MS);
        // A horizon shorter than the year.
        assert_eq!(year_steps(0, h, 100), 0..100);
    }
}
