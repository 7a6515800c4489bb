//! Battery sizing: the smallest number of battery units that meets a reliability target.
//!
//! A [`Target`] bounds one index of the study: LOLE ≤ x h per sample, EUE ≤ y MWh per sample
//! (both from a Monte Carlo study, [`montecarlo::run`]), or P(survive a D-hour outage) ≥ p (from
//! the outage survival sweep, [`survival::sweep`]). [`size`] bisects over the unit count of the
//! study's fleet, every other parameter unchanged, and returns a [`Sizing`]: the sizes tried with
//! their estimates and the [`Answer`].
//!
//! # Confidence
//! A size *meets* the target when it does so at the one-sided 95 % level: `estimate +
//! 1.645·SE ≤ target` for an upper bound (LOLE, EUE), `estimate − 1.645·SE ≥ target` for a lower
//! bound (survival). The answer is the smallest size that meets the target, and the size one
//! below it was evaluated and does not; both estimates are in the result. A size that "does not
//! meet" the target may still be within noise of it: more samples shrink the SE and may lower the
//! answer.
//!
//! # Common random numbers
//! Every size runs the same samples from the same seed (`McConfig::seed`): the grid's outage
//! histories are keyed by component, not by fleet, so two sizes see the same outages and their
//! difference is not blurred by sampling noise. Unit *j*'s failure history is keyed by *j*, so a
//! larger fleet holds the smaller fleet's units with the same histories, plus more.
//!
//! # Assumption: the index is monotone in the unit count
//! Bisection assumes that more units never make the index worse (LOLE and EUE do not rise,
//! survival does not fall). That holds for backup-only dispatch with common random numbers, but a
//! policy that uses the battery for something else (peak shaving to a cap, smoothing) may break it.
//! The assumption is checked at the sizes evaluated: any two consecutive evaluated sizes whose
//! estimates go the wrong way (beyond rounding) are reported in [`Sizing::violations`], and the
//! answer should then be checked with a linear scan ([`evaluate`]). It is a result, not an error:
//! the search still completes.
//!
//! # Bounds
//! The search runs over `min_units..=max_units`. When the largest size does not meet the target
//! the answer is [`Answer::NotMet`] (the upper bound was hit); when the smallest already meets it
//! the answer is [`Answer::AtLowerBound`] (a smaller fleet was not tried). Evaluations: at most
//! `2 + ⌈log₂(max − min)⌉`.
//!
//! ```
//! use ridethrough::prelude::*;
//! use ridethrough::studies::montecarlo::McConfig;
//! use ridethrough::studies::sizing::{self, Answer, SizingConfig, Target};
//! // 10 MW (8 MW of IT × PUE 1.25) through one 5-hour outage: 50 MWh. Units of 2 MW and 4 MWh,
//! // lossless: 12 units hold 48 MWh (load is lost), 13 hold 52 MWh.
//! let toml = r#"
//! seed = 1
//! [time]
//! step = "1h"
//! horizon = "7d"
//! [grid]
//! import_limit_mw = 20.0
//! [[grid.scheduled_outages]]
//! start = "2d"
//! duration = "5h"
//! [battery]
//! units = 1
//! power_mw = 2.0
//! energy_mwh = 4.0
//! round_trip_efficiency = 1.0
//! aux_load_mw = 0.0
//! [load]
//! pue = 1.25
//! [[load.it]]
//! kind = "constant"
//! it_mw = 8.0
//! "#;
//! let study = Scenario::from_toml_str(toml)?.validate()?;
//! let cfg = SizingConfig::new(Target::Lole { max_hours: 0.5 }, 1, 40, McConfig::new(4, 1));
//! let sizing = sizing::size(&study, &cfg, &|_| {})?;
//! assert_eq!(sizing.answer, Answer::Smallest { units: 13 });
//! assert!(sizing.violations.is_empty());
//! # Ok::<(), ridethrough::ConfigError>(())
//! ```

use crate::components::limits::MAX_BATTERY_UNITS;
use crate::engine::study::Study;
use crate::error::ConfigError;
use crate::studies::montecarlo::{self, McConfig, Progress};
use crate::studies::stats::Estimate;
use crate::studies::survival::{self, SurvivalConfig};
use crate::units::{Duration, MS_PER_HOUR};
use serde::{Deserialize, Serialize};

/// The one-sided 95 % normal quantile: a size meets an upper-bound target when `estimate +
/// Z_95_ONE_SIDED · SE ≤ target`.
pub const Z_95_ONE_SIDED: f64 = 1.645;

/// Relative tolerance of the monotonicity check: two sizes run the same samples, so an index can
/// differ between them by rounding only (fast-forward sums energies in another order, ≈1e-12
/// relative) when the extra units change nothing; 1e-9 keeps well clear of that.
pub const MONOTONE_REL_TOL: f64 = 1e-9;
/// Absolute tolerance of the monotonicity check, in the index's unit (rounding around zero).
pub const MONOTONE_ABS_TOL: f64 = 1e-12;

/// The bound a fleet must meet.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum Target {
    /// LOLE (PRAS-style loss-of-load hours per sample, [`montecarlo::Indices::lole_hours`]) at
    /// most `max_hours`.
    Lole {
        /// The largest LOLE accepted, hours per sample (> 0).
        max_hours: f64,
    },
    /// EUE (expected unserved energy per sample, [`montecarlo::Indices::eue_mwh`]) at most
    /// `max_mwh`.
    Eue {
        /// The largest EUE accepted, MWh per sample (> 0).
        max_mwh: f64,
    },
    /// The share of start steps from which the site rides through a total grid outage of
    /// `outage` ([`survival::sweep`] from the normal run's state) at least `min_probability`.
    Survival {
        /// The outage to ride through: a whole number of hours, at least 1 h.
        outage: Duration,
        /// The smallest share accepted, 0 < p ≤ 1.
        min_probability: f64,
    },
}

impl Target {
    /// Checks the bound.
    ///
    /// # Errors
    /// [`ConfigError::OutOfRange`] naming `sizing.lole_hours`, `sizing.eue_mwh`,
    /// `sizing.outage` or `sizing.probability`.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let positive = |field: &str, value: f64| {
            if value.is_finite() && value > 0.0 {
                Ok(())
            } else {
                Err(ConfigError::OutOfRange {
                    field: field.into(),
                    value,
                    allowed: "a finite number > 0",
                })
            }
        };
        match *self {
            Target::Lole { max_hours } => positive("sizing.lole_hours", max_hours),
            Target::Eue { max_mwh } => positive("sizing.eue_mwh", max_mwh),
            Target::Survival {
                outage,
                min_probability,
            } => {
                let ms = outage.as_millis();
                if ms == 0 || ms % MS_PER_HOUR != 0 {
                    return Err(ConfigError::OutOfRange {
                        field: "sizing.outage".into(),
                        value: outage.hours().value(),
                        allowed: "a whole number of hours, at least 1 h",
                    });
                }
                if min_probability > 0.0 && min_probability <= 1.0 {
                    Ok(())
                } else {
                    Err(ConfigError::OutOfRange {
                        field: "sizing.probability".into(),
                        value: min_probability,
                        allowed: "0 < x ≤ 1",
                    })
                }
            }
        }
    }

    /// The bound's value (hours, MWh or a probability).
    pub fn bound(&self) -> f64 {
        match *self {
            Target::Lole { max_hours } => max_hours,
            Target::Eue { max_mwh } => max_mwh,
            Target::Survival {
                min_probability, ..
            } => min_probability,
        }
    }

    /// Whether the bound is a lower one (survival) rather than an upper one (LOLE, EUE).
    pub fn is_lower_bound(&self) -> bool {
        matches!(self, Target::Survival { .. })
    }

    /// The estimate's one-sided 95 % confidence limit on the side that must meet the bound:
    /// `mean + 1.645·SE` for an upper bound, `mean − 1.645·SE` for a lower one.
    pub fn confidence_limit(&self, estimate: &Estimate) -> f64 {
        if self.is_lower_bound() {
            estimate.mean - Z_95_ONE_SIDED * estimate.se
        } else {
            estimate.mean + Z_95_ONE_SIDED * estimate.se
        }
    }

    /// Whether `estimate` meets the bound at the one-sided 95 % level.
    pub fn is_met_by(&self, estimate: &Estimate) -> bool {
        let limit = self.confidence_limit(estimate);
        if self.is_lower_bound() {
            limit >= self.bound()
        } else {
            limit <= self.bound()
        }
    }

    /// Whether `larger` (the estimate at more units) is worse than `smaller` beyond rounding
    /// ([`MONOTONE_REL_TOL`], [`MONOTONE_ABS_TOL`]).
    fn worsens(&self, smaller: &Estimate, larger: &Estimate) -> bool {
        let (a, b) = (smaller.mean, larger.mean);
        let tol = MONOTONE_ABS_TOL + MONOTONE_REL_TOL * a.abs().max(b.abs());
        if self.is_lower_bound() {
            b < a - tol
        } else {
            b > a + tol
        }
    }
}

/// What to size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SizingConfig {
    /// The bound to meet.
    pub target: Target,
    /// The smallest unit count tried (0 = no battery).
    pub min_units: u32,
    /// The largest unit count tried (at most [`MAX_BATTERY_UNITS`]).
    pub max_units: u32,
    /// The Monte Carlo study run at every size, from the same seed (LOLE and EUE targets; a
    /// survival target uses only its `seed`, for the normal run's outages). Per-sample summaries
    /// are never kept.
    pub montecarlo: McConfig,
}

impl SizingConfig {
    /// A search for `target` over `min_units..=max_units` with the study `montecarlo`.
    pub fn new(target: Target, min_units: u32, max_units: u32, montecarlo: McConfig) -> Self {
        SizingConfig {
            target,
            min_units,
            max_units,
            montecarlo,
        }
    }

    /// Checks the target, the unit range and the Monte Carlo settings.
    ///
    /// # Errors
    /// [`ConfigError::OutOfRange`]: the target's ([`Target::validate`]), `sizing.max_units`
    /// above [`MAX_BATTERY_UNITS`], `sizing.min_units` above `sizing.max_units` (an empty range),
    /// and [`McConfig::validate`]'s.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.target.validate()?;
        if self.max_units > MAX_BATTERY_UNITS {
            return Err(ConfigError::OutOfRange {
                field: "sizing.max_units".into(),
                value: f64::from(self.max_units),
                allowed: MAX_UNITS_WORDS,
            });
        }
        if self.min_units > self.max_units {
            return Err(ConfigError::OutOfRange {
                field: "sizing.min_units".into(),
                value: f64::from(self.min_units),
                allowed: "0 ≤ x ≤ sizing.max_units (the range may not be empty)",
            });
        }
        self.montecarlo.validate()
    }
}

/// [`MAX_BATTERY_UNITS`] in words, for `sizing.max_units` (a test checks they agree).
const MAX_UNITS_WORDS: &str = "sizing.min_units ≤ x ≤ 100000";

/// One size tried.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Battery units.
    pub units: u32,
    /// The target's index at this size: LOLE (h per sample), EUE (MWh per sample), or the share
    /// of starts that ride through the outage (its SE `√(p(1 − p)/starts)` treats starts as
    /// independent; neighbouring starts are not, so it understates the uncertainty).
    pub estimate: Estimate,
    /// Whether it meets the target at the one-sided 95 % level ([`Target::is_met_by`]).
    pub met: bool,
}

/// The outcome of the search.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Answer {
    /// `units` meets the target and `units − 1` does not (both evaluated).
    Smallest {
        /// The smallest fleet that meets the target.
        units: u32,
    },
    /// The smallest size tried already meets the target: the lower bound was hit, and a smaller
    /// fleet was not tried.
    AtLowerBound {
        /// `min_units`.
        units: u32,
    },
    /// The largest size tried does not meet the target: the upper bound was hit.
    NotMet {
        /// `max_units`.
        max_units: u32,
    },
}

/// Two evaluated sizes, consecutive in unit order, whose estimates break the monotonicity the
/// search assumes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Violation {
    /// The smaller fleet.
    pub smaller: Evaluation,
    /// The larger fleet, whose index is worse.
    pub larger: Evaluation,
}

/// The result of [`size`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sizing {
    /// The target searched for.
    pub target: Target,
    /// Every size evaluated, in the order tried.
    pub evaluations: Vec<Evaluation>,
    /// The answer.
    pub answer: Answer,
    /// Breaches of the monotonicity assumption among the evaluated sizes (empty when none).
    pub violations: Vec<Violation>,
}

impl Sizing {
    /// The evaluation at `units`, if that size was tried.
    pub fn at(&self, units: u32) -> Option<&Evaluation> {
        self.evaluations.iter().find(|e| e.units == units)
    }

    /// The evaluation of the chosen size (none when the target was not met).
    pub fn chosen(&self) -> Option<&Evaluation> {
        match self.answer {
            Answer::Smallest { units } | Answer::AtLowerBound { units } => self.at(units),
            Answer::NotMet { .. } => None,
        }
    }

    /// The evaluation one unit below the chosen size ([`Answer::Smallest`] only).
    pub fn below(&self) -> Option<&Evaluation> {
        match self.answer {
            Answer::Smallest { units } => self.at(units - 1),
            _ => None,
        }
    }

    /// The evaluations sorted by unit count.
    pub fn by_units(&self) -> Vec<Evaluation> {
        let mut v = self.evaluations.clone();
        v.sort_by_key(|e| e.units);
        v
    }
}

/// Progress of a search: the size being evaluated and its Monte Carlo progress.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SizingProgress {
    /// Units of the size being evaluated.
    pub units: u32,
    /// Sizes evaluated before this one.
    pub tried: usize,
    /// The Monte Carlo study's progress at this size (`None` for a survival sweep, reported once
    /// as it starts).
    pub study: Option<Progress>,
}

/// Evaluates the target's index for `units` units of the study's fleet (every other parameter
/// as in `study`).
///
/// # Errors
/// [`SizingConfig::validate`]'s, the fleet's and the policy's [`ConfigError`] at this size
/// ([`Study::with_battery`]), and the study's or sweep's.
pub fn evaluate(
    study: &Study,
    cfg: &SizingConfig,
    units: u32,
    progress: &(dyn Fn(&SizingProgress) + Sync),
) -> Result<Evaluation, ConfigError> {
    cfg.validate()?;
    evaluate_checked(study, cfg, units, 0, progress)
}

/// [`evaluate`] with the configuration already checked; `tried` is for the progress reports.
fn evaluate_checked(
    study: &Study,
    cfg: &SizingConfig,
    units: u32,
    tried: usize,
    progress: &(dyn Fn(&SizingProgress) + Sync),
) -> Result<Evaluation, ConfigError> {
    let mut battery = study.battery_params().clone();
    battery.units = units;
    let sized = study.clone().with_battery(battery)?;
    let estimate = match cfg.target {
        Target::Lole { .. } | Target::Eue { .. } => {
            let mc = McConfig {
                keep_samples: false,
                ..cfg.montecarlo.clone()
            };
            let report = |p: &Progress| {
                progress(&SizingProgress {
                    units,
                    tried,
                    study: Some(*p),
                });
            };
            let ix = montecarlo::run(sized.site(), sized.policy(), &mc, &report)?.indices;
            match cfg.target {
                Target::Lole { .. } => ix.lole_hours,
                _ => ix.eue_mwh,
            }
        }
        Target::Survival { outage, .. } => {
            progress(&SizingProgress {
                units,
                tried,
                study: None,
            });
            let curve = survival::sweep(
                sized.site(),
                sized.policy(),
                cfg.montecarlo.seed,
                &SurvivalConfig::new(outage),
            )?;
            // `validate` made the outage whole hours, so the table has its row.
            let hours = outage.hours().value();
            let p = curve
                .probability
                .iter()
                .find(|&&(d, _)| d == hours)
                .map_or(0.0, |&(_, p)| p);
            let n = curve.starts.len() as u64;
            Estimate {
                mean: p,
                se: if n > 0 {
                    (p * (1.0 - p) / n as f64).sqrt()
                } else {
                    0.0
                },
                n,
            }
        }
    };
    Ok(Evaluation {
        units,
        estimate,
        met: cfg.target.is_met_by(&estimate),
    })
}

/// Finds the smallest number of battery units in `cfg.min_units..=cfg.max_units` that meets
/// `cfg.target`, by bisection under common random numbers (see the module docs).
///
/// `progress` is called as each size starts and through its Monte Carlo study.
///
/// # Errors
/// [`SizingConfig::validate`]'s, and [`evaluate`]'s at any size tried.
pub fn size(
    study: &Study,
    cfg: &SizingConfig,
    progress: &(dyn Fn(&SizingProgress) + Sync),
) -> Result<Sizing, ConfigError> {
    cfg.validate()?;
    search(cfg.target, cfg.min_units, cfg.max_units, |units, tried| {
        evaluate_checked(study, cfg, units, tried, progress)
    })
}

/// The bisection, over any evaluation (`eval(units, sizes tried so far)`): the largest size
/// first (the upper bound), then the smallest, then halving the gap between the largest size
/// that does not meet the target and the smallest that does.
fn search<E>(
    target: Target,
    min: u32,
    max: u32,
    mut eval: impl FnMut(u32, usize) -> Result<Evaluation, E>,
) -> Result<Sizing, E> {
    let mut evaluations = Vec::new();
    let mut try_size = |units: u32, evaluations: &mut Vec<Evaluation>| {
        let e = eval(units, evaluations.len())?;
        evaluations.push(e);
        Ok::<bool, E>(e.met)
    };
    let answer = if !try_size(max, &mut evaluations)? {
        Answer::NotMet { max_units: max }
    } else if min == max || try_size(min, &mut evaluations)? {
        Answer::AtLowerBound { units: min }
    } else {
        // Invariant: `lo` does not meet the target, `hi` does.
        let (mut lo, mut hi) = (min, max);
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if try_size(mid, &mut evaluations)? {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        Answer::Smallest { units: hi }
    };
    let mut sizing = Sizing {
        target,
        evaluations,
        answer,
        violations: Vec::new(),
    };
    sizing.violations = sizing
        .by_units()
        .windows(2)
        .filter(|w| target.worsens(&w[0].estimate, &w[1].estimate))
        .map(|w| Violation {
            smaller: w[0],
            larger: w[1],
        })
        .collect();
    Ok(sizing)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::scenario::Scenario;
    use proptest::prelude::*;

    /// A week at hourly steps: constant `it_mw` of IT at PUE 1.25, grid outages of `outages`
    /// (start hour, hours), a 30 MW import limit; a lossless custom unit of 3 MW and
    /// `unit_mwh` MWh, no auxiliary load; backup-only dispatch.
    fn site_toml(it_mw: f64, outages: &[(u32, u32)], unit_mwh: f64) -> String {
        let mut text = String::from(
            "seed = 1\n[time]\nstep = \"1h\"\nhorizon = \"7d\"\n[grid]\nimport_limit_mw = 30.0\n",
        );
        for (start, hours) in outages {
            text += &format!(
                "[[grid.scheduled_outages]]\nstart = \"{start}h\"\nduration = \"{hours}h\"\n"
            );
        }
        text += &format!(
            "[battery]\nunits = 1\npower_mw = 3.0\nenergy_mwh = {unit_mwh:?}\n\
             round_trip_efficiency = 1.0\naux_load_mw = 0.0\n\
             [load]\npue = 1.25\n[[load.it]]\nkind = \"constant\"\nit_mw = {it_mw:?}\n"
        );
        text
    }

    fn study(toml: &str) -> Study {
        Scenario::from_toml_str(toml)
            .and_then(Scenario::validate)
            .expect("the test scenario is valid")
    }

    fn cfg(target: Target, min: u32, max: u32) -> SizingConfig {
        SizingConfig::new(target, min, max, McConfig::new(4, 3))
    }

    /// Rounding allowed on the closed-form case's indices: a few additions of exact MWh figures.
    const INDEX_TOL: f64 = 1e-9;

    #[test]
    fn a_single_known_outage_needs_the_fleet_whose_energy_covers_it() {
        // 8 MW of IT × PUE 1.25 = 10 MW for a 5-hour outage: 50 MWh. Units of 4 MWh: 12 hold
        // 48 MWh (2 MWh short, lost in the outage's last hour), 13 hold 52 MWh. Power: 10 MW
        // needs 4 units of 3 MW, so energy decides. By hand: ⌈50 / 4⌉ = 13.
        let study = study(&site_toml(8.0, &[(48, 5)], 4.0));
        let s = size(
            &study,
            &cfg(Target::Lole { max_hours: 0.5 }, 1, 40),
            &|_| {},
        )
        .unwrap();
        assert_eq!(s.answer, Answer::Smallest { units: 13 });
        let (at, below) = (s.chosen().unwrap(), s.below().unwrap());
        assert!(at.estimate.mean.abs() <= INDEX_TOL && at.met);
        // 12 units: load is lost in one hourly step, so LOLE = 1 h, beyond 0.5.
        assert!((below.estimate.mean - 1.0).abs() <= INDEX_TOL && !below.met);
        assert!(s.violations.is_empty());
        // EUE: 12 units leave 50 − 48 = 2 MWh unserved, 11 units 50 − 44 = 6 MWh. A 2.5 MWh
        // bound is met by 12 and not by 11.
        let s = size(&study, &cfg(Target::Eue { max_mwh: 2.5 }, 1, 40), &|_| {}).unwrap();
        assert_eq!(s.answer, Answer::Smallest { units: 12 });
        assert!((s.chosen().unwrap().estimate.mean - 2.0).abs() <= INDEX_TOL);
        assert!((s.below().unwrap().estimate.mean - 6.0).abs() <= INDEX_TOL);
        // Survival of a 5-hour outage from most hours of the week: 13 units again (12 never
        // hold 50 MWh; 13 fail only from the hours when the scheduled outage has drained them).
        let target = Target::Survival {
            outage: Duration::from_hours(5),
            min_probability: 0.5,
        };
        let s = size(&study, &cfg(target, 1, 40), &|_| {}).unwrap();
        assert_eq!(s.answer, Answer::Smallest { units: 13 });
        assert_eq!(s.below().unwrap().estimate.mean, 0.0);
    }

    #[test]
    fn the_bounds_are_reported() {
        let study = study(&site_toml(8.0, &[(48, 5)], 4.0));
        let lole = Target::Lole { max_hours: 0.5 };
        let s = size(&study, &cfg(lole, 20, 30), &|_| {}).unwrap();
        assert_eq!(s.answer, Answer::AtLowerBound { units: 20 });
        assert!(s.below().is_none() && s.chosen().is_some());
        let s = size(&study, &cfg(lole, 1, 10), &|_| {}).unwrap();
        assert_eq!(s.answer, Answer::NotMet { max_units: 10 });
        assert_eq!(s.evaluations.len(), 1, "stops after the upper bound fails");
        assert!(s.chosen().is_none());
    }

    #[test]
    fn a_non_monotone_index_is_reported_not_a_panic() {
        // Estimates that fall, then rise between 5 and 6 units, then fall below the bound.
        let lole = Target::Lole { max_hours: 1.0 };
        let table = [9.0, 8.0, 7.0, 6.0, 5.0, 2.0, 3.0, 0.5, 0.4, 0.3, 0.2];
        let s = search(lole, 0, 10, |units, _| {
            let estimate = Estimate {
                mean: table[units as usize],
                se: 0.0,
                n: 10,
            };
            Ok::<_, ConfigError>(Evaluation {
                units,
                estimate,
                met: lole.is_met_by(&estimate),
            })
        })
        .unwrap();
        assert_eq!(s.answer, Answer::Smallest { units: 7 });
        assert_eq!(s.violations.len(), 1, "{:?}", s.by_units());
        assert_eq!(
            (s.violations[0].smaller.units, s.violations[0].larger.units),
            (5, 6)
        );
    }

    #[test]
    fn the_confidence_level_counts() {
        let lole = Target::Lole { max_hours: 1.0 };
        let e = |mean, se| Estimate { mean, se, n: 100 };
        assert!(lole.is_met_by(&e(0.8, 0.1))); // 0.8 + 0.1645 ≤ 1
        assert!(!lole.is_met_by(&e(0.9, 0.1))); // 0.9 + 0.1645 > 1
        let survive = Target::Survival {
            outage: Duration::from_hours(4),
            min_probability: 0.9,
        };
        assert!(survive.is_met_by(&e(0.99, 0.01)));
        assert!(!survive.is_met_by(&e(0.91, 0.01)));
    }

    #[test]
    fn bad_targets_and_ranges_are_typed_errors_naming_the_field() {
        let study = study(&site_toml(8.0, &[(48, 5)], 4.0));
        let hours = |h| Duration::from_millis(h);
        for (target, min, max, field) in [
            (Target::Lole { max_hours: 0.0 }, 1, 10, "sizing.lole_hours"),
            (Target::Lole { max_hours: -1.0 }, 1, 10, "sizing.lole_hours"),
            (
                Target::Lole {
                    max_hours: f64::NAN,
                },
                1,
                10,
                "sizing.lole_hours",
            ),
            (Target::Eue { max_mwh: 0.0 }, 1, 10, "sizing.eue_mwh"),
            (
                Target::Survival {
                    outage: hours(5_400_000), // 90 minutes
                    min_probability: 0.9,
                },
                1,
                10,
                "sizing.outage",
            ),
            (
                Target::Survival {
                    outage: hours(0),
                    min_probability: 0.9,
                },
                1,
                10,
                "sizing.outage",
            ),
            (
                Target::Survival {
                    outage: Duration::from_hours(4),
                    min_probability: 0.0,
                },
                1,
                10,
                "sizing.probability",
            ),
            (
                Target::Survival {
                    outage: Duration::from_hours(4),
                    min_probability: 1.5,
                },
                1,
                10,
                "sizing.probability",
            ),
            (Target::Lole { max_hours: 1.0 }, 11, 10, "sizing.min_units"),
            (
                Target::Lole { max_hours: 1.0 },
                1,
                MAX_BATTERY_UNITS + 1,
                "sizing.max_units",
            ),
        ] {
            let err = size(&study, &cfg(target, min, max), &|_| {}).unwrap_err();
            match &err {
                ConfigError::OutOfRange { field: f, .. } => assert_eq!(f, field, "{err}"),
                other => panic!("expected OutOfRange for {field}, got {other}"),
            }
            assert!(err.to_string().starts_with(field), "{err}");
        }
    }

    #[test]
    fn the_unit_limit_in_words_is_the_crate_limit() {
        assert!(MAX_UNITS_WORDS.ends_with(&format!("≤ {MAX_BATTERY_UNITS}")));
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

        /// Bisection finds the same size as a linear scan over every size (the indices of these
        /// deterministic sites are monotone in the unit count).
        #[test]
        fn bisection_matches_a_linear_scan(
            it_mw in 2.0f64..10.0,
            unit_mwh in 1.0f64..6.0,
            first in (10u32..60, 1u32..8),
            second in (90u32..150, 1u32..8),
            bound in 0.1f64..3.0,
            lole in any::<bool>(),
            max in 8u32..24,
        ) {
            let study = study(&site_toml(it_mw, &[first, second], unit_mwh));
            let target = if lole {
                Target::Lole { max_hours: bound }
            } else {
                Target::Eue { max_mwh: bound }
            };
            let cfg = cfg(target, 0, max);
            let s = size(&study, &cfg, &|_| {}).unwrap();
            let scan: Vec<Evaluation> = (0..=max)
                .map(|u| evaluate(&study, &cfg, u, &|_| {}).unwrap())
                .collect();
            let expected = match scan.iter().position(|e| e.met) {
                None => Answer::NotMet { max_units: max },
                Some(0) => Answer::AtLowerBound { units: 0 },
                Some(u) => Answer::Smallest { units: u as u32 },
            };
            prop_assert_eq!(s.answer, expected);
            prop_assert!(s.violations.is_empty());
            for e in &s.evaluations {
                prop_assert_eq!(e, &scan[e.units as usize]);
            }
        }
    }
}
