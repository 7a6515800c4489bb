//! Sizing: the smallest number of battery units, or of generator sets, that meets a reliability
//! target.
//!
//! A [`Target`] bounds one index of the study: LOLE ≤ x h per sample, EUE ≤ y MWh per sample,
//! P(load dropped in transfer in a sample) ≤ q, fuel-outs per sample ≤ r (all four from a Monte
//! Carlo study, [`montecarlo::run`]; the last two need the backup chain), or P(survive a D-hour
//! outage) ≥ p (from the outage survival sweep, [`survival::sweep`]). A sample is one horizon of
//! the scenario, a year in the bundled ones. [`size`] searches over one [`Dimension`] of the
//! site — the battery's unit count, or the generator fleet's set count — every other parameter
//! unchanged, and returns a [`Sizing`]: the sizes tried with their estimates and the [`Answer`].
//! [`table`] answers the two-dimensional question: for each generator count in a range, the
//! fewest battery units that meet the target ([`SizingTable`]).
//!
//! # Confidence
//! A size *meets* the target when it does so at the one-sided 95 % level: `estimate +
//! 1.645·SE ≤ target` for an upper bound (LOLE, EUE, fuel-outs), `estimate − 1.645·SE ≥ target`
//! for a lower bound (survival). The answer is the smallest size that meets the target, and the
//! size one below it was evaluated and does not; both estimates are in the result. A size that
//! "does not meet" the target may still be within noise of it: more samples shrink the SE and
//! may lower the answer.
//!
//! Two targets bound rare events, where the normal limit fails: a study in which no sample
//! dropped load in transfer has an SE of 0, and `0 + 1.645·0 ≤ q` would "meet" any bound with
//! ten samples as with a million. So:
//!
//! * **P(transfer drop)**, a proportion of samples, takes the one-sided Wilson score bound
//!   `(p̂ + z²/2n + z·√(p̂(1 − p̂)/n + z²/4n²)) / (1 + z²/n)` with z = 1.645 ([`wilson_upper`]): it
//!   stays inside [0, 1], is ≈ 2.7/n at p̂ = 0 (the rule of three's 3/n, nearly), and tends to the
//!   normal limit as the count of drops grows;
//! * **fuel-outs per sample**, a count, takes the normal limit, except that when no sample ran a
//!   tank dry it takes `−ln 0.05 / n ≈ 3/n` ([`ZERO_EVENTS_UPPER_95`]): zero events of a Poisson
//!   process in n samples bound its rate at 95 %, as [`sla`](crate::studies::sla)'s rule of three
//!   does.
//!
//! # Common random numbers
//! Every size runs the same samples from the same seed (`McConfig::seed`): the grid's outage
//! histories are keyed by component, not by fleet, so two sizes see the same outages and their
//! difference is not blurred by sampling noise. Battery unit *j*'s failure history is keyed by
//! *j*, so a larger fleet holds the smaller fleet's units with the same histories, plus more.
//! Generator set *j* draws its start attempts, running failures, repairs and (tank *j*'s)
//! deliveries from its own streams, `rng::streams::GENERATORS + 16·j + p`
//! ([`crate::components::generators`]), so set *j* sees the same draws in a fleet of 4 sets as
//! in a fleet of 6. The draws are common, but not every history is: the running sets share the
//! load and, with a shared tank, its fuel, so a fleet with more sets burns more no-load fuel,
//! runs dry at another time and may demand a set again (after a delivery) at another time.
//!
//! # Assumption: the index is monotone in the size
//! Bisection assumes that more units (or sets) never make the index worse (LOLE, EUE, transfer
//! drops and fuel-outs do not rise, survival does not fall). That holds for backup-only dispatch
//! with common random numbers, but a policy that uses the battery for something else (peak
//! shaving to a cap, smoothing) may break it, and so may fuel: more sets idling on one tank
//! burn it faster (HOMER's no-load term), so fuel-outs can *rise* with the set count. The
//! assumption is checked at the sizes evaluated: any two consecutive evaluated sizes whose
//! estimates go the wrong way (beyond rounding) are reported in [`Sizing::violations`], and the
//! answer should then be checked with a linear scan ([`Search::Scan`], or [`evaluate`]). It is a
//! result, not an error: the search still completes. A [`SizingTable`] also checks that more
//! sets never need more battery units ([`SizingTable::violations`]).
//!
//! # Bounds
//! The search runs over `min..=max`. When the largest size does not meet the target the answer
//! is [`Answer::NotMet`] (the upper bound was hit); when the smallest already meets it the
//! answer is [`Answer::AtLowerBound`] (a smaller fleet was not tried). Evaluations: at most
//! `2 + ⌈log₂(max − min)⌉` by bisection, `max − min + 1` by [`Search::Scan`].
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
//!
//! Sizing the generator sets instead (the same site with 3 MW sets that never fail, and five
//! units of 0.5 MWh that bridge their 10 s start but not the outage): ⌈10 MW / 3 MW⌉ = 4 sets.
//!
//! ```
//! # use ridethrough::prelude::*;
//! # use ridethrough::studies::montecarlo::McConfig;
//! # use ridethrough::studies::sizing::{self, Answer, Dimension, SizingConfig, Target};
//! # let toml = r#"
//! # seed = 1
//! # [time]
//! # step = "1h"
//! # horizon = "7d"
//! # [grid]
//! # import_limit_mw = 20.0
//! # [[grid.scheduled_outages]]
//! # start = "2d"
//! # duration = "5h"
//! # [battery]
//! # units = 5
//! # power_mw = 2.0
//! # energy_mwh = 0.5
//! # round_trip_efficiency = 1.0
//! # aux_load_mw = 0.0
//! # [load]
//! # pue = 1.25
//! # [[load.it]]
//! # kind = "constant"
//! # it_mw = 8.0
//! # "#;
//! let toml = format!(
//!     "{toml}[generators]\ncount = 1\nrating_mw = 3.0\nfail_to_start = 0.0\n\
//!      failures_per_running_hour = 0.0\nmin_loading = 0.0\nfuel_l_per_mwh = 250.0\n"
//! );
//! let study = Scenario::from_toml_str(&toml)?.validate()?;
//! let cfg = SizingConfig::new(Target::Lole { max_hours: 0.5 }, 0, 20, McConfig::new(4, 1))
//!     .with_over(Dimension::GeneratorSets);
//! let sizing = sizing::size(&study, &cfg, &|_| {})?;
//! assert_eq!(sizing.answer, Answer::Smallest { units: 4 });
//! # Ok::<(), ridethrough::ConfigError>(())
//! ```

use crate::components::generators::MAX_GENERATOR_SETS;
use crate::components::limits::MAX_BATTERY_UNITS;
use crate::engine::study::Study;
use crate::error::ConfigError;
use crate::studies::montecarlo::{self, BackupIndices, Indices, McConfig, Progress};
use crate::studies::stats::Estimate;
use crate::studies::survival::{self, SurvivalConfig};
use crate::units::{Duration, MS_PER_HOUR};
use serde::{Deserialize, Serialize};

/// The one-sided 95 % normal quantile: a size meets an upper-bound target when `estimate +
/// Z_95_ONE_SIDED · SE ≤ target`.
pub const Z_95_ONE_SIDED: f64 = 1.645;

/// The one-sided 95 % upper bound of a Poisson rate per sample when none of n samples saw an
/// event is `ZERO_EVENTS_UPPER_95 / n`: −ln 0.05 = 2.996 (e^(−λn) = 0.05), rounded up to 3 as
/// the rule of three has it (and as [`crate::studies::sla`] bounds its figures).
pub const ZERO_EVENTS_UPPER_95: f64 = 3.0;

/// Relative tolerance of the monotonicity check: two sizes run the same samples, so an index can
/// differ between them by rounding only (fast-forward sums energies in another order, ≈1e-12
/// relative) when the extra units change nothing; 1e-9 keeps well clear of that.
pub const MONOTONE_REL_TOL: f64 = 1e-9;
/// Absolute tolerance of the monotonicity check, in the index's unit (rounding around zero).
pub const MONOTONE_ABS_TOL: f64 = 1e-12;

/// The one-sided Wilson score upper bound of a proportion `p` observed in `n` trials, at the
/// normal quantile `z` ([`Z_95_ONE_SIDED`] for 95 %): `(p + z²/2n + z·√(p(1 − p)/n + z²/4n²)) /
/// (1 + z²/n)`, within [0, 1]; 1 when n = 0.
///
/// ```
/// use ridethrough::studies::sizing::{wilson_upper, Z_95_ONE_SIDED};
/// // No event in 1000 trials: z²/(n + z²) ≈ 2.7/n, close to the rule of three's 3/n.
/// let z = Z_95_ONE_SIDED;
/// assert!((wilson_upper(0.0, 1000, z) - z * z / (1000.0 + z * z)).abs() < 1e-15);
/// assert_eq!(wilson_upper(0.3, 0, z), 1.0);
/// ```
pub fn wilson_upper(p: f64, n: u64, z: f64) -> f64 {
    // At p = 1 the bound is 1 exactly; the formula gets it only to rounding.
    if n == 0 || p >= 1.0 {
        return 1.0;
    }
    let n = n as f64;
    let z2 = z * z;
    let centre = p + z2 / (2.0 * n);
    let half = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).max(0.0).sqrt();
    ((centre + half) / (1.0 + z2 / n)).min(1.0)
}

/// What a search varies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    /// The battery's unit count (the scenario's unit model, `battery.units`).
    #[default]
    BatteryUnits,
    /// The generator fleet's set count (the scenario's `[generators]` set model,
    /// `generators.count`; its `[fuel]` table as it is: a shared tank stays one tank, tanks per
    /// set follow the count). With no sets the site has no backup chain.
    GeneratorSets,
}

impl Dimension {
    /// What is counted, in the plural (`"battery units"`, `"generator sets"`).
    pub fn plural(self) -> &'static str {
        match self {
            Dimension::BatteryUnits => "battery units",
            Dimension::GeneratorSets => "generator sets",
        }
    }

    /// The most that may be tried ([`MAX_BATTERY_UNITS`], [`MAX_GENERATOR_SETS`]).
    pub fn max_count(self) -> u32 {
        match self {
            Dimension::BatteryUnits => MAX_BATTERY_UNITS,
            Dimension::GeneratorSets => MAX_GENERATOR_SETS,
        }
    }
}

/// How a search walks the sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Search {
    /// Bisection (the default): `2 + ⌈log₂(max − min)⌉` evaluations at most, assuming the
    /// index is monotone in the size.
    #[default]
    Bisection,
    /// Every size from `min` to `max`, in order: `max − min + 1` evaluations, the answer the
    /// first size that meets the target, and every breach of monotonicity in the range seen.
    Scan,
}

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
    /// The probability that a sample (a year, in the bundled scenarios) drops load in transfer
    /// at least once ([`BackupIndices::transfer_drop_probability`]) at most `max_probability`,
    /// with the Wilson bound (see the module docs). Needs generator sets at every size.
    TransferDrop {
        /// The largest probability accepted, 0 < q < 1.
        max_probability: f64,
    },
    /// Fuel-outs (a tank running dry) per sample ([`BackupIndices::fuel_outs_per_sample`]) at
    /// most `max_per_sample`. Needs generator sets at every size.
    FuelOuts {
        /// The most fuel-outs per sample accepted (> 0).
        max_per_sample: f64,
    },
}

impl Target {
    /// Checks the bound.
    ///
    /// # Errors
    /// [`ConfigError::OutOfRange`] naming `sizing.lole_hours`, `sizing.eue_mwh`,
    /// `sizing.outage`, `sizing.probability`, `sizing.transfer_drop_probability` or
    /// `sizing.fuel_outs_per_sample`.
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
            Target::FuelOuts { max_per_sample } => {
                positive("sizing.fuel_outs_per_sample", max_per_sample)
            }
            Target::TransferDrop { max_probability } => {
                if max_probability > 0.0 && max_probability < 1.0 {
                    Ok(())
                } else {
                    Err(ConfigError::OutOfRange {
                        field: "sizing.transfer_drop_probability".into(),
                        value: max_probability,
                        allowed: "0 < x < 1",
                    })
                }
            }
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

    /// The bound's value (hours, MWh, a probability or a count).
    pub fn bound(&self) -> f64 {
        match *self {
            Target::Lole { max_hours } => max_hours,
            Target::Eue { max_mwh } => max_mwh,
            Target::Survival {
                min_probability, ..
            } => min_probability,
            Target::TransferDrop { max_probability } => max_probability,
            Target::FuelOuts { max_per_sample } => max_per_sample,
        }
    }

    /// Whether the bound is a lower one (survival) rather than an upper one (the others).
    pub fn is_lower_bound(&self) -> bool {
        matches!(self, Target::Survival { .. })
    }

    /// Whether the index is the backup chain's (transfer drops, fuel-outs): every size must have
    /// generator sets.
    pub fn needs_generators(&self) -> bool {
        matches!(self, Target::TransferDrop { .. } | Target::FuelOuts { .. })
    }

    /// Whether the index comes from a Monte Carlo study (all but survival, which comes from the
    /// survival sweep).
    pub fn is_monte_carlo(&self) -> bool {
        !matches!(self, Target::Survival { .. })
    }

    /// The index's name and unit, as the tables and charts write them (`("LOLE", "h per
    /// sample")`).
    pub fn index_name(&self) -> (String, &'static str) {
        match self {
            Target::Lole { .. } => ("LOLE".into(), "h per sample"),
            Target::Eue { .. } => ("EUE".into(), "MWh per sample"),
            Target::Survival { outage, .. } => (format!("P(ride through {outage})"), "of starts"),
            Target::TransferDrop { .. } => ("P(load dropped in transfer)".into(), "per sample"),
            Target::FuelOuts { .. } => ("fuel-outs".into(), "per sample"),
        }
    }

    /// The estimate's one-sided 95 % confidence limit on the side that must meet the bound:
    /// `mean + 1.645·SE` for an upper bound, `mean − 1.645·SE` for a lower one; for
    /// [`Target::TransferDrop`] the Wilson bound ([`wilson_upper`]) and for
    /// [`Target::FuelOuts`] with no fuel-out seen `3/n` ([`ZERO_EVENTS_UPPER_95`]).
    pub fn confidence_limit(&self, estimate: &Estimate) -> f64 {
        match self {
            Target::Survival { .. } => estimate.mean - Z_95_ONE_SIDED * estimate.se,
            Target::TransferDrop { .. } => wilson_upper(estimate.mean, estimate.n, Z_95_ONE_SIDED),
            Target::FuelOuts { .. } if estimate.mean == 0.0 && estimate.n > 0 => {
                ZERO_EVENTS_UPPER_95 / estimate.n as f64
            }
            _ => estimate.mean + Z_95_ONE_SIDED * estimate.se,
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

    /// The target's index in a Monte Carlo study's indices (`None` for survival, and for a
    /// backup-chain index on a site without generators).
    fn of_indices(&self, ix: &Indices) -> Option<Estimate> {
        let backup = |f: fn(&BackupIndices) -> Estimate| ix.backup.as_ref().map(f);
        match self {
            Target::Lole { .. } => Some(ix.lole_hours),
            Target::Eue { .. } => Some(ix.eue_mwh),
            Target::TransferDrop { .. } => backup(|b| b.transfer_drop_probability),
            Target::FuelOuts { .. } => backup(|b| b.fuel_outs_per_sample),
            Target::Survival { .. } => None,
        }
    }
}

/// What to size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SizingConfig {
    /// The bound to meet.
    pub target: Target,
    /// The smallest count tried (battery units or generator sets, as `over` says; 0 = none).
    pub min_units: u32,
    /// The largest count tried (at most [`Dimension::max_count`]).
    pub max_units: u32,
    /// The Monte Carlo study run at every size, from the same seed (every target but survival;
    /// a survival target uses only its `seed`, for the normal run's outages). Per-sample
    /// summaries are never kept.
    pub montecarlo: McConfig,
    /// What is sized (default: battery units).
    #[serde(default)]
    pub over: Dimension,
    /// How the sizes are walked (default: bisection).
    #[serde(default)]
    pub search: Search,
}

impl SizingConfig {
    /// A bisection for `target` over `min_units..=max_units` battery units with the study
    /// `montecarlo`.
    pub fn new(target: Target, min_units: u32, max_units: u32, montecarlo: McConfig) -> Self {
        SizingConfig {
            target,
            min_units,
            max_units,
            montecarlo,
            over: Dimension::default(),
            search: Search::default(),
        }
    }

    /// The same search over another dimension (the range is then a count of that dimension).
    pub fn with_over(self, over: Dimension) -> Self {
        SizingConfig { over, ..self }
    }

    /// The same search walking the sizes another way.
    pub fn with_search(self, search: Search) -> Self {
        SizingConfig { search, ..self }
    }

    /// Checks the target, the range and the Monte Carlo settings.
    ///
    /// # Errors
    /// [`ConfigError::OutOfRange`]: the target's ([`Target::validate`]), `sizing.max_units`
    /// above [`Dimension::max_count`], `sizing.min_units` above `sizing.max_units` (an empty
    /// range) or, over generator sets with a backup-chain target, 0 (no sets: no transfer to
    /// drop load in, no tank), and [`McConfig::validate`]'s.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.target.validate()?;
        let max = self.over.max_count();
        if self.max_units > max {
            return Err(ConfigError::OutOfRange {
                field: "sizing.max_units".into(),
                value: f64::from(self.max_units),
                allowed: match self.over {
                    Dimension::BatteryUnits => MAX_UNITS_WORDS,
                    Dimension::GeneratorSets => MAX_SETS_WORDS,
                },
            });
        }
        if self.min_units > self.max_units {
            return Err(ConfigError::OutOfRange {
                field: "sizing.min_units".into(),
                value: f64::from(self.min_units),
                allowed: "0 ≤ x ≤ sizing.max_units (the range may not be empty)",
            });
        }
        if self.over == Dimension::GeneratorSets
            && self.target.needs_generators()
            && self.min_units == 0
        {
            return Err(ConfigError::OutOfRange {
                field: "sizing.min_units".into(),
                value: 0.0,
                allowed: "1 ≤ x ≤ sizing.max_units (a transfer-drop or fuel-out target needs sets)",
            });
        }
        self.montecarlo.validate()
    }

    /// [`SizingConfig::validate`], then what the study must have for it: a `[generators]`
    /// table to copy sets from when sizing sets, and sets at every size for a backup-chain
    /// target.
    fn validate_for(&self, study: &Study) -> Result<(), ConfigError> {
        self.validate()?;
        let sets = study.generator_params().map(|g| g.count);
        match self.over {
            Dimension::GeneratorSets if sets.is_none() => Err(no_generators_table()),
            Dimension::BatteryUnits if self.target.needs_generators() && sets.unwrap_or(0) == 0 => {
                Err(ConfigError::Inconsistent {
                    field: "sizing.target".into(),
                    why: "a transfer-drop or fuel-out target needs generator sets \
                          (`generators.count` ≥ 1)",
                })
            }
            _ => Ok(()),
        }
    }
}

/// The error of sizing generator sets on a study without a `[generators]` table.
fn no_generators_table() -> ConfigError {
    ConfigError::Missing {
        field: "generators".into(),
        why: "sizing generator sets copies the scenario's set model: give a [generators] table",
    }
}

/// [`MAX_BATTERY_UNITS`] in words, for `sizing.max_units` (a test checks they agree).
const MAX_UNITS_WORDS: &str = "sizing.min_units ≤ x ≤ 100000";
/// [`MAX_GENERATOR_SETS`] in words, for `sizing.max_units` and `sizing.max_sets` over generator
/// sets (a test checks they agree).
const MAX_SETS_WORDS: &str = "sizing.min_units ≤ x ≤ 10000";

/// One size tried.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// The size: battery units or generator sets, whichever is sized ([`Sizing::over`]).
    pub units: u32,
    /// The target's index at this size: LOLE (h per sample), EUE (MWh per sample), P(transfer
    /// drop) or fuel-outs per sample, or the share of starts that ride through the outage (its SE
    /// `√(p(1 − p)/starts)` treats starts as independent; neighbouring starts are not, so it
    /// understates the uncertainty).
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
        /// The smallest size that meets the target.
        units: u32,
    },
    /// The smallest size tried already meets the target: the lower bound was hit, and a smaller
    /// size was not tried.
    AtLowerBound {
        /// The range's minimum.
        units: u32,
    },
    /// The largest size tried does not meet the target: the upper bound was hit.
    NotMet {
        /// The range's maximum.
        max_units: u32,
    },
}

impl Answer {
    /// The size that meets the target (`None` when the upper bound was hit).
    pub fn units(&self) -> Option<u32> {
        match *self {
            Answer::Smallest { units } | Answer::AtLowerBound { units } => Some(units),
            Answer::NotMet { .. } => None,
        }
    }
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
    /// What was sized.
    #[serde(default)]
    pub over: Dimension,
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
        self.answer.units().and_then(|u| self.at(u))
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
    /// The size being evaluated (battery units or generator sets).
    pub units: u32,
    /// Sizes evaluated before this one (in this search; a table's row starts again from 0).
    pub tried: usize,
    /// The Monte Carlo study's progress at this size (`None` for a survival sweep, reported once
    /// as it starts).
    pub study: Option<Progress>,
    /// In a [`table`], the generator sets of the row being searched.
    pub sets: Option<u32>,
}

/// The study at size `n` of `over`, every other parameter as in `study`.
fn resized(study: &Study, over: Dimension, n: u32) -> Result<Study, ConfigError> {
    match over {
        Dimension::BatteryUnits => {
            let mut battery = study.battery_params().clone();
            battery.units = n;
            study.clone().with_battery(battery)
        }
        Dimension::GeneratorSets => {
            let mut sets = study
                .generator_params()
                .cloned()
                .ok_or_else(no_generators_table)?;
            sets.count = n;
            // A fuel table needs sets; with none the site has no backup chain at all.
            let fuel = if n == 0 {
                None
            } else {
                study.fuel_params().cloned()
            };
            study.clone().with_backup(Some(sets), fuel)
        }
    }
}

/// Evaluates the target's index at size `units` of `cfg.over` (every other parameter as in
/// `study`).
///
/// # Errors
/// [`SizingConfig::validate`]'s; [`ConfigError::Missing`] (`generators`) when sizing sets on a
/// study without a `[generators]` table; [`ConfigError::Inconsistent`] (`sizing.target`) for a
/// backup-chain target on a site without sets; the fleet's and the policy's [`ConfigError`] at
/// this size ([`Study::with_battery`], [`Study::with_backup`]), and the study's or sweep's.
pub fn evaluate(
    study: &Study,
    cfg: &SizingConfig,
    units: u32,
    progress: &(dyn Fn(&SizingProgress) + Sync),
) -> Result<Evaluation, ConfigError> {
    cfg.validate_for(study)?;
    evaluate_checked(study, cfg, units, 0, None, progress)
}

/// [`evaluate`] with the configuration already checked; `tried` and `sets` are for the progress
/// reports.
fn evaluate_checked(
    study: &Study,
    cfg: &SizingConfig,
    units: u32,
    tried: usize,
    sets: Option<u32>,
    progress: &(dyn Fn(&SizingProgress) + Sync),
) -> Result<Evaluation, ConfigError> {
    let sized = resized(study, cfg.over, units)?;
    let estimate = match cfg.target {
        Target::Survival { outage, .. } => {
            progress(&SizingProgress {
                units,
                tried,
                study: None,
                sets,
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
        target => {
            let mc = McConfig {
                keep_samples: false,
                ..cfg.montecarlo.clone()
            };
            let report = |p: &Progress| {
                progress(&SizingProgress {
                    units,
                    tried,
                    study: Some(*p),
                    sets,
                });
            };
            let ix = montecarlo::run(sized.site(), sized.policy(), &mc, &report)?.indices;
            // `validate_for` made every size of a backup-chain target have sets.
            target.of_indices(&ix).ok_or(ConfigError::Inconsistent {
                field: "sizing.target".into(),
                why: "a transfer-drop or fuel-out target needs generator sets at every size",
            })?
        }
    };
    Ok(Evaluation {
        units,
        estimate,
        met: cfg.target.is_met_by(&estimate),
    })
}

/// Finds the smallest size in `cfg.min_units..=cfg.max_units` of `cfg.over` that meets
/// `cfg.target`, by bisection or a scan ([`Search`]) under common random numbers (see the
/// module docs).
///
/// `progress` is called as each size starts and through its Monte Carlo study.
///
/// # Errors
/// As [`evaluate`], at any size tried.
pub fn size(
    study: &Study,
    cfg: &SizingConfig,
    progress: &(dyn Fn(&SizingProgress) + Sync),
) -> Result<Sizing, ConfigError> {
    cfg.validate_for(study)?;
    size_checked(study, cfg, None, progress)
}

/// [`size`] with the configuration already checked against the study.
fn size_checked(
    study: &Study,
    cfg: &SizingConfig,
    sets: Option<u32>,
    progress: &(dyn Fn(&SizingProgress) + Sync),
) -> Result<Sizing, ConfigError> {
    let eval = |units, tried| evaluate_checked(study, cfg, units, tried, sets, progress);
    let mut sizing = match cfg.search {
        Search::Bisection => search(cfg.target, cfg.min_units, cfg.max_units, eval),
        Search::Scan => scan(cfg.target, cfg.min_units, cfg.max_units, eval),
    }?;
    sizing.over = cfg.over;
    Ok(sizing)
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
    Ok(finish(target, evaluations, answer))
}

/// The linear scan: every size from `min` to `max` in order; the answer is the first that meets
/// the target.
fn scan<E>(
    target: Target,
    min: u32,
    max: u32,
    mut eval: impl FnMut(u32, usize) -> Result<Evaluation, E>,
) -> Result<Sizing, E> {
    let mut evaluations = Vec::with_capacity((max - min) as usize + 1);
    for units in min..=max {
        evaluations.push(eval(units, evaluations.len())?);
    }
    let answer = match evaluations.iter().position(|e| e.met) {
        None => Answer::NotMet { max_units: max },
        Some(0) => Answer::AtLowerBound { units: min },
        Some(i) => Answer::Smallest {
            units: min + i as u32,
        },
    };
    Ok(finish(target, evaluations, answer))
}

/// The result of a search, with the monotonicity breaches among its evaluations.
fn finish(target: Target, evaluations: Vec<Evaluation>, answer: Answer) -> Sizing {
    let mut sizing = Sizing {
        target,
        over: Dimension::default(),
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
    sizing
}

/// One row of a [`SizingTable`]: the battery search at one generator count.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableRow {
    /// Generator sets.
    pub sets: u32,
    /// The search over battery units with that many sets.
    pub sizing: Sizing,
}

/// Two rows of a [`SizingTable`], consecutive in set count, where more sets need more battery
/// units (beyond what the answers' ranges can hide).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableViolation {
    /// The smaller set count.
    pub smaller_sets: u32,
    /// Its answer.
    pub smaller: Answer,
    /// The larger set count, which needs more units.
    pub larger_sets: u32,
    /// Its answer.
    pub larger: Answer,
}

/// The result of [`table`]: for each generator count, the fewest battery units that meet the
/// target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SizingTable {
    /// The target.
    pub target: Target,
    /// One row per set count, in increasing order.
    pub rows: Vec<TableRow>,
    /// Rows where one more set needs more battery units (empty when none).
    pub violations: Vec<TableViolation>,
}

impl SizingTable {
    /// The row of `sets`, if it is in the table.
    pub fn row(&self, sets: u32) -> Option<&TableRow> {
        self.rows.iter().find(|r| r.sets == sets)
    }
}

/// For every generator count from `min_sets` to `max_sets`, the fewest battery units in
/// `cfg.min_units..=cfg.max_units` that meet `cfg.target`: the scenario's `[generators]` table
/// with `count` set to each value in turn (its `[fuel]` as it is), each row a [`size`] over
/// battery units under the same seed, so a row is exactly what [`size`] gives on the scenario
/// with that many sets. A row whose upper bound is hit ([`Answer::NotMet`]) needs more units than
/// `cfg.max_units`.
///
/// `progress` reports each row's sizes with [`SizingProgress::sets`] set.
///
/// # Errors
/// As [`size`]; also [`ConfigError::Inconsistent`] (`sizing.over`) when `cfg.over` is not
/// battery units, [`ConfigError::Missing`] (`generators`) for a study without a `[generators]`
/// table, and [`ConfigError::OutOfRange`] naming `sizing.max_sets` (above
/// [`MAX_GENERATOR_SETS`]) or `sizing.min_sets` (above `max_sets`, or 0 with a backup-chain
/// target).
pub fn table(
    study: &Study,
    cfg: &SizingConfig,
    min_sets: u32,
    max_sets: u32,
    progress: &(dyn Fn(&SizingProgress) + Sync),
) -> Result<SizingTable, ConfigError> {
    cfg.validate()?;
    if cfg.over != Dimension::BatteryUnits {
        return Err(ConfigError::Inconsistent {
            field: "sizing.over".into(),
            why: "a table sizes battery units for each generator count: `over` must be \
                  battery_units",
        });
    }
    if study.generator_params().is_none() {
        return Err(no_generators_table());
    }
    if max_sets > MAX_GENERATOR_SETS {
        return Err(ConfigError::OutOfRange {
            field: "sizing.max_sets".into(),
            value: f64::from(max_sets),
            allowed: MAX_TABLE_SETS_WORDS,
        });
    }
    if min_sets > max_sets || (min_sets == 0 && cfg.target.needs_generators()) {
        return Err(ConfigError::OutOfRange {
            field: "sizing.min_sets".into(),
            value: f64::from(min_sets),
            allowed: if cfg.target.needs_generators() {
                "1 ≤ x ≤ sizing.max_sets (a transfer-drop or fuel-out target needs sets)"
            } else {
                "0 ≤ x ≤ sizing.max_sets (the range may not be empty)"
            },
        });
    }
    let mut rows = Vec::with_capacity((max_sets - min_sets) as usize + 1);
    for sets in min_sets..=max_sets {
        let with_sets = resized(study, Dimension::GeneratorSets, sets)?;
        let sizing = size_checked(&with_sets, cfg, Some(sets), progress)?;
        rows.push(TableRow { sets, sizing });
    }
    // More sets must not need more units; a NotMet row needs more than its range holds.
    let need = |a: &Answer| a.units().map_or(u64::MAX, u64::from);
    let violations = rows
        .windows(2)
        .filter(|w| need(&w[1].sizing.answer) > need(&w[0].sizing.answer))
        .map(|w| TableViolation {
            smaller_sets: w[0].sets,
            smaller: w[0].sizing.answer,
            larger_sets: w[1].sets,
            larger: w[1].sizing.answer,
        })
        .collect();
    Ok(SizingTable {
        target: cfg.target,
        rows,
        violations,
    })
}

/// [`MAX_GENERATOR_SETS`] in words, for a table's `sizing.max_sets` (a test checks they agree).
const MAX_TABLE_SETS_WORDS: &str = "sizing.min_sets ≤ x ≤ 10000";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::components::generators::GeneratorParams;
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

    #[test]
    fn wilson_upper_by_hand() {
        let z = Z_95_ONE_SIDED;
        // p = 0.1, n = 100: (0.1 + 0.013530 + 1.645·√(0.0009 + 0.0000677)) / 1.027060 = 0.16036.
        assert!((wilson_upper(0.1, 100, z) - 0.16036).abs() < WILSON_TOL);
        // Nothing seen: z²/(n + z²).
        assert!((wilson_upper(0.0, 100, z) - z * z / (100.0 + z * z)).abs() < WILSON_TOL);
        // Everything seen: 1.
        assert_eq!(wilson_upper(1.0, 50, z), 1.0);
        // Many events: close to the normal limit p + z·√(p(1 − p)/n).
        let (p, n) = (0.2, 1_000_000u64);
        let normal = p + z * (p * (1.0 - p) / n as f64).sqrt();
        assert!((wilson_upper(p, n, z) - normal).abs() < 1e-5);
    }

    /// Tolerance of the Wilson bounds worked by hand (5 decimals).
    const WILSON_TOL: f64 = 1e-5;

    #[test]
    fn rare_event_targets_are_not_met_by_a_zero_with_no_samples_behind_it() {
        let drop = Target::TransferDrop {
            max_probability: 0.01,
        };
        let zero = |n| Estimate {
            mean: 0.0,
            se: 0.0,
            n,
        };
        // No drop in 100 samples bounds P only to ≈ 2.6 %; in 1000 to ≈ 0.27 %.
        assert!(!drop.is_met_by(&zero(100)));
        assert!(drop.is_met_by(&zero(1000)));
        let outs = Target::FuelOuts {
            max_per_sample: 0.01,
        };
        assert_eq!(outs.confidence_limit(&zero(200)), 3.0 / 200.0);
        assert!(!outs.is_met_by(&zero(200)));
        assert!(outs.is_met_by(&zero(400)));
        // With events seen, the normal limit.
        let seen = Estimate {
            mean: 0.004,
            se: 0.001,
            n: 4000,
        };
        assert!((outs.confidence_limit(&seen) - (0.004 + Z_95_ONE_SIDED * 0.001)).abs() < 1e-15);
    }

    /// The week's site with `sets` generator sets of `rating_mw` that never fail to run, fail
    /// each start attempt with probability `fail`, no minimum loading and unlimited fuel.
    fn with_sets(toml: &str, sets: u32, rating_mw: f64, fail: f64) -> String {
        format!(
            "{toml}[generators]\ncount = {sets}\nrating_mw = {rating_mw:?}\n\
             fail_to_start = {fail:?}\nfailures_per_running_hour = 0.0\nmin_loading = 0.0\n\
             fuel_l_per_mwh = 250.0\n"
        )
    }

    #[test]
    fn generator_sets_are_sized_to_the_load() {
        // 10 MW for 5 h; 4 units of 3 MW and 1 MWh bridge the 10 s start but hold only 4 MWh.
        // Sets of 2.5 MW: ⌈10 / 2.5⌉ = 4. With 3 (7.5 MW) the battery covers the missing 2.5 MW
        // for 1.6 h of the 5, and load is lost.
        let toml = with_sets(&site_toml(8.0, &[(48, 5)], 1.0), 1, 2.5, 0.0)
            .replace("units = 1\n", "units = 4\n");
        let study = study(&toml);
        let lole = Target::Lole { max_hours: 0.5 };
        let s = size(
            &study,
            &cfg(lole, 0, 30).with_over(Dimension::GeneratorSets),
            &|_| {},
        )
        .unwrap();
        assert_eq!(s.over, Dimension::GeneratorSets);
        assert_eq!(s.answer, Answer::Smallest { units: 4 });
        assert!(s.below().unwrap().estimate.mean > 0.5);
        assert!(s.violations.is_empty());
        // Drops in transfer: the 4 units' 12 MW carry 10 MW through the start, so none; with
        // one unit (3 MW) every sample drops load in the gap.
        let drop = Target::TransferDrop {
            max_probability: 0.5,
        };
        let s = size(&study, &cfg(drop, 1, 30), &|_| {}).unwrap();
        assert_eq!(s.answer, Answer::Smallest { units: 4 });
        assert_eq!(s.below().unwrap().estimate.mean, 1.0);
        assert_eq!(s.chosen().unwrap().estimate.mean, 0.0);
    }

    #[test]
    fn a_table_row_is_the_search_at_that_many_sets() {
        let toml = with_sets(&site_toml(8.0, &[(48, 5)], 4.0), 1, 2.5, 0.0);
        let study = study(&toml);
        let lole = Target::Lole { max_hours: 0.5 };
        let c = cfg(lole, 0, 20);
        let t = table(&study, &c, 0, 5, &|_| {}).unwrap();
        assert_eq!(
            t.rows.iter().map(|r| r.sets).collect::<Vec<_>>(),
            [0, 1, 2, 3, 4, 5]
        );
        for row in &t.rows {
            let alone = study
                .clone()
                .with_backup(
                    Some(GeneratorParams {
                        count: row.sets,
                        ..study.generator_params().unwrap().clone()
                    }),
                    None,
                )
                .unwrap();
            assert_eq!(row.sizing, size(&alone, &c, &|_| {}).unwrap());
        }
        // 10 MW for 5 h from units of 3 MW and 4 MWh, sets of 2.5 MW picking up after 10 s. No
        // sets: ⌈50 / 4⌉ = 13 units. One set leaves 7.5 MW × 5 h = 37.5 MWh (and 10 s at
        // 10 MW): 10 units. Two: 25 MWh, 7 units. Three: 12.5 MWh, 4 units. Four and five carry
        // the load once started, but the 10 s start at 10 MW needs 4 units of 3 MW (3 units drop
        // 1 MW in transfer, a loss-of-load hour).
        let need: Vec<_> = t.rows.iter().map(|r| r.sizing.answer.units()).collect();
        assert_eq!(
            need,
            [Some(13), Some(10), Some(7), Some(4), Some(4), Some(4)]
        );
        assert!(t.violations.is_empty());
    }

    #[test]
    fn sizing_errors_name_the_field() {
        let plain = study(&site_toml(8.0, &[(48, 5)], 4.0));
        let with = study(&with_sets(&site_toml(8.0, &[(48, 5)], 4.0), 2, 2.5, 0.0));
        let lole = Target::Lole { max_hours: 1.0 };
        let drop = Target::TransferDrop {
            max_probability: 0.1,
        };
        let sets = Dimension::GeneratorSets;
        let field = |e: ConfigError| match e {
            ConfigError::OutOfRange { field, .. }
            | ConfigError::Missing { field, .. }
            | ConfigError::Inconsistent { field, .. } => field,
            other => panic!("unexpected {other}"),
        };
        let cases: Vec<(Result<Sizing, ConfigError>, &str)> = vec![
            (
                size(&plain, &cfg(lole, 0, 5).with_over(sets), &|_| {}),
                "generators",
            ),
            (size(&plain, &cfg(drop, 0, 5), &|_| {}), "sizing.target"),
            (
                size(&with, &cfg(drop, 0, 5).with_over(sets), &|_| {}),
                "sizing.min_units",
            ),
            (
                size(&with, &cfg(lole, 0, 10_001).with_over(sets), &|_| {}),
                "sizing.max_units",
            ),
        ];
        for (result, want) in cases {
            assert_eq!(field(result.unwrap_err()), want);
        }
        let tables: Vec<(Result<SizingTable, ConfigError>, &str)> = vec![
            (table(&plain, &cfg(lole, 0, 5), 0, 2, &|_| {}), "generators"),
            (
                table(&with, &cfg(lole, 0, 5).with_over(sets), 0, 2, &|_| {}),
                "sizing.over",
            ),
            (
                table(&with, &cfg(lole, 0, 5), 3, 2, &|_| {}),
                "sizing.min_sets",
            ),
            (
                table(&with, &cfg(drop, 0, 5), 0, 2, &|_| {}),
                "sizing.min_sets",
            ),
            (
                table(&with, &cfg(lole, 0, 5), 0, 10_001, &|_| {}),
                "sizing.max_sets",
            ),
        ];
        for (result, want) in tables {
            assert_eq!(field(result.unwrap_err()), want);
        }
        for (target, want) in [
            (
                Target::TransferDrop {
                    max_probability: 0.0,
                },
                "sizing.transfer_drop_probability",
            ),
            (
                Target::TransferDrop {
                    max_probability: 1.0,
                },
                "sizing.transfer_drop_probability",
            ),
            (
                Target::TransferDrop {
                    max_probability: f64::NAN,
                },
                "sizing.transfer_drop_probability",
            ),
            (
                Target::FuelOuts {
                    max_per_sample: -1.0,
                },
                "sizing.fuel_outs_per_sample",
            ),
            (
                Target::FuelOuts {
                    max_per_sample: f64::INFINITY,
                },
                "sizing.fuel_outs_per_sample",
            ),
        ] {
            let err = size(&with, &cfg(target, 1, 5), &|_| {}).unwrap_err();
            assert!(err.to_string().starts_with(want), "{err}");
        }
    }

    #[test]
    fn the_set_limits_in_words_are_the_crate_limits() {
        assert!(MAX_SETS_WORDS.ends_with(&format!("≤ {MAX_GENERATOR_SETS}")));
        assert!(MAX_TABLE_SETS_WORDS.ends_with(&format!("≤ {MAX_GENERATOR_SETS}")));
    }

    #[test]
    fn a_scan_reports_every_size_and_the_first_that_meets() {
        let lole = Target::Lole { max_hours: 1.0 };
        let table = [9.0, 8.0, 7.0, 6.0, 5.0, 0.8, 3.0, 0.5, 0.4, 0.3, 0.2];
        let eval = |units: u32, _| {
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
        };
        let s = scan(lole, 2, 10, eval).unwrap();
        assert_eq!(s.evaluations.len(), 9);
        assert_eq!(s.answer, Answer::Smallest { units: 5 });
        assert_eq!(s.violations.len(), 1);
        assert_eq!(
            scan(lole, 7, 10, eval).unwrap().answer,
            Answer::AtLowerBound { units: 7 }
        );
        assert_eq!(
            scan(lole, 0, 4, eval).unwrap().answer,
            Answer::NotMet { max_units: 4 }
        );
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

        /// Over generator sets too (start failures drawn per set, keyed by the set's index, so a
        /// larger fleet holds the smaller one's sets with the same draws and the index is
        /// monotone): bisection finds what a scan finds, and evaluates each size as it does.
        #[test]
        fn bisection_matches_a_scan_over_generator_sets(
            it_mw in 2.0f64..10.0,
            rating in 0.5f64..4.0,
            fail in 0.0f64..0.5,
            first in (10u32..60, 2u32..8),
            second in (90u32..150, 2u32..8),
            bound in 0.1f64..3.0,
            max in 4u32..16,
        ) {
            let toml = with_sets(&site_toml(it_mw, &[first, second], 1.0), 1, rating, fail)
                .replace("units = 1\n", "units = 4\n");
            let study = study(&toml);
            let cfg = cfg(Target::Lole { max_hours: bound }, 0, max)
                .with_over(Dimension::GeneratorSets);
            let s = size(&study, &cfg, &|_| {}).unwrap();
            let full = size(&study, &cfg.clone().with_search(Search::Scan), &|_| {}).unwrap();
            prop_assert_eq!(s.answer, full.answer);
            prop_assert!(full.violations.is_empty(), "{:?}", full.violations);
            for e in &s.evaluations {
                prop_assert_eq!(e, &full.evaluations[e.units as usize]);
            }
        }
    }
}
