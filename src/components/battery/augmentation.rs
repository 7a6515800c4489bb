//! Augmentation and replacement over a multi-year life: units added at the start of a year or
//! when the usable energy falls below a threshold, and units replaced with new ones; the fleet
//! then ages **per cohort** (the units installed together).
//!
//! * [`AugmentationParams`] (`[battery.augmentation]`): what a scenario says, validated once by
//!   [`AugmentationParams::validate`] into an [`AugmentationPlan`].
//! * [`CohortsState`]: the cohorts installed so far, each with its own ageing state, and the
//!   energy that came in and went out with them; part of the battery's life state.
//!
//! ```toml
//! [battery.augmentation]
//! add = [{ year = 8, units = 4 }, { year = 14, units = 4 }]  # at the start of years 8 and 14
//! threshold = { below = 0.8, restore_to = 1.0 }  # or { below = 0.8, units = 4 }
//! replace = [{ year = 16, which = "oldest" }]       # or which = "all"
//! max_units = 24                                     # the site's room (needed with a threshold)
//! ```
//!
//! # When
//! Year `Y` of life starts `(Y − 1) × 8,760 h` after the run's start (the years of
//! [`HOURS_PER_LIFE_YEAR`](crate::engine::report::HOURS_PER_LIFE_YEAR)); a plan acts at the
//! start of years 2 and later, at the first step boundary at or after that instant (the
//! boundary itself at hourly or finer steps that divide the year). At a boundary the plan acts
//! in this order: the **replacements** of that year, the **scheduled additions** of that year,
//! then the **threshold rule**: if the usable energy of the units installed (their nameplate
//! window times each cohort's capacity factor, closed cycles only) is below `below` × the
//! initial fleet's usable energy, it adds `units` units, or, without `units`, the fewest new
//! units that bring the usable energy back to at least `restore_to` (default 1) × the initial
//! fleet's. The check is made at every year's end, so it fires in the first year at whose end
//! the usable energy lies below the threshold, with the new units in service from the start of
//! the next year. The units added never exceed the site's room, `max_units` (installed at
//! once); a rule that wants more adds what fits (the report's per-year table shows what came).
//!
//! # Cohorts
//! Units installed together form a cohort that ages on its own clock: its calendar fade is
//! the model's law of the time since its installation (`q₁·(τ/8760 h)^z`, with `τ` counted
//! from zero at the install), and its cycle fade comes from its own rainflow counter, fed with
//! the cycles it sees after installation. The fleet's usable energy is the sum over the
//! cohorts installed of units × nameplate window × capacity factor; its power limits are the
//! units in service × the unit's power (power does not fade). All pooled units share one SoC
//! (they are dispatched equally), so each cohort holds a share of the stored energy in
//! proportion to its aged capacity, and the charge and discharge it sees (for its cycle count)
//! are that share of the fleet's. Resistance growth makes the fleet's efficiency the
//! capacity-weighted mean of the cohorts'.
//!
//! # Energy
//! **New units arrive empty**: at the floor of their SoC window (`soc_min` × nameplate, 0 by
//! default), and the site charges them (a new Megapack is commissioned and then charged from
//! the grid; arriving full would create energy the site never paid for). The floor energy they
//! bring is counted as *installed energy*; the energy that leaves with replaced units (their
//! share of the stored energy, or the energy held in a unit that was down) is counted as
//! *removed energy*; both are in the report, so that
//! `charge − discharge − losses − fade loss + installed − removed = Δstored` closes.
//!
//! # Unit failures
//! With `unit_failures`, the fleet is built with room for every unit it may ever hold
//! (`max_units`, or the most the schedule installs at once): each slot has its failure
//! processes from the start of the run (slot `j` draws from the streams of unit `j`, so the
//! initial units see the same failures as without a plan). A slot with no unit installed is
//! out of service: it holds no energy and no power, whatever its processes say; a unit
//! installed in a slot whose processes are down arrives down (its floor energy locked until it
//! is up, as a failed unit's is).
//!
//! # Limits and what is left out
//! The plan needs `[battery.ageing]` (it is planned against fade; without ageing, add the units
//! to `units`) and at least one initial unit. Every installed unit draws its auxiliary
//! (standby/HVAC) load: added units from their install, removed ones no more
//! ([`Fleet::aux_load_in`](super::Fleet::aux_load_in)). Replaced units leave no second-life
//! value.

use crate::components::limits::MAX_BATTERY_UNITS;
use crate::error::{check_range, out_of_range, ConfigError};
use crate::units::{Energy, Fraction};
use serde::{Deserialize, Serialize};

use super::ageing::AgeingState;

/// The latest year of life a plan may name (a thousand years, the longest horizon).
pub const MAX_PLAN_YEAR: u32 = 1000;

/// The `[battery.augmentation]` table (see the [module docs](self)).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AugmentationParams {
    /// Units added at the start of a year of life: `[{ year = 8, units = 4 }]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub add: Vec<ScheduledAddition>,
    /// Units added when the usable energy falls below a fraction of the initial.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<ThresholdRule>,
    /// Units replaced with new ones at the start of a year: `[{ year = 12, which = "all" }]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replace: Vec<Replacement>,
    /// The most units the site holds at once (its room): at least the initial units plus every
    /// scheduled addition; required with a threshold rule; at most 100,000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_units: Option<u32>,
}

/// `{ year = 8, units = 4 }`: `units` new units at the start of year `year` (2 ≤ year).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduledAddition {
    /// The year of life at whose start the units come (from 2).
    pub year: u32,
    /// How many (at least 1).
    pub units: u32,
}

/// `{ below = 0.8, restore_to = 1.0 }` or `{ below = 0.8, units = 4 }`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThresholdRule {
    /// The fraction of the initial usable energy below which units are added (0 < x < 1).
    pub below: Fraction,
    /// How many units each time (at least 1); without it, enough to reach `restore_to`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub units: Option<u32>,
    /// The fraction of the initial usable energy the added units restore at least (`below` ≤
    /// x ≤ 1, default 1); only without `units`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restore_to: Option<Fraction>,
}

/// `{ year = 12, which = "all" }`: at the start of `year`, replace units with new ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Replacement {
    /// The year of life at whose start the units are replaced (from 2).
    pub year: u32,
    /// Which units (default `"all"`).
    #[serde(default)]
    pub which: ReplaceWhich,
}

/// Which units a replacement renews.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplaceWhich {
    /// Every unit installed.
    #[default]
    All,
    /// The units of the oldest cohort still installed.
    Oldest,
}

/// The validated plan (see [`AugmentationParams::validate`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AugmentationPlan {
    /// Scheduled additions, by year (one entry per year, units summed).
    add: Vec<(u32, u32)>,
    /// The threshold rule.
    threshold: Option<Threshold>,
    /// Replacements, by year.
    replace: Vec<(u32, ReplaceWhich)>,
    /// Slots: the most units the fleet may hold at once.
    slots: u32,
    /// Each entry's year as written, with its list (`add`, `replace`) and index, for the
    /// horizon check's error (not part of the plan's state).
    #[serde(skip)]
    written: Vec<(&'static str, usize, u32)>,
}

/// A validated threshold rule.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
struct Threshold {
    below: f64,
    units: Option<u32>,
    restore_to: f64,
}

const FIELD: &str = "battery.augmentation";

impl AugmentationParams {
    /// Validates the plan for a fleet of `initial_units` units.
    ///
    /// # Errors
    /// [`ConfigError::OutOfRange`] naming the field (`battery.augmentation.add[0].year`, …) for
    /// a year outside `2 ..= 1000`, a unit count of 0 or above 100,000, a `below` outside
    /// `(0, 1)`, a `restore_to` outside `below ..= 1`, a `max_units` below what the schedule
    /// installs at once; [`ConfigError::Inconsistent`] for two replacements in one year,
    /// `units` with `restore_to`, no initial unit; [`ConfigError::Missing`] for a threshold rule
    /// without `max_units`.
    pub fn validate(&self, initial_units: u32) -> Result<AugmentationPlan, ConfigError> {
        if initial_units == 0 {
            return Err(ConfigError::Inconsistent {
                field: "battery.units".into(),
                why: "an augmentation plan needs at least one initial unit",
            });
        }
        let year = |field: String, y: u32| {
            check_range(
                field,
                f64::from(y),
                2.0,
                f64::from(MAX_PLAN_YEAR),
                "2 ≤ year ≤ 1000",
            )
            .map(|_| y)
        };
        let count = |field: String, n: u32| {
            check_range(
                field,
                f64::from(n),
                1.0,
                f64::from(MAX_BATTERY_UNITS),
                "1 ≤ units ≤ 100,000",
            )
            .map(|_| n)
        };
        let mut add: Vec<(u32, u32)> = Vec::new();
        let mut scheduled: u64 = 0;
        for (i, a) in self.add.iter().enumerate() {
            let y = year(format!("{FIELD}.add[{i}].year"), a.year)?;
            let n = count(format!("{FIELD}.add[{i}].units"), a.units)?;
            scheduled += u64::from(n);
            match add.iter_mut().find(|(ay, _)| *ay == y) {
                Some((_, un)) => *un += n,
                None => add.push((y, n)),
            }
        }
        add.sort_unstable();
        let mut replace: Vec<(u32, ReplaceWhich)> = Vec::new();
        for (i, r) in self.replace.iter().enumerate() {
            let y = year(format!("{FIELD}.replace[{i}].year"), r.year)?;
            if replace.iter().any(|(ry, _)| *ry == y) {
                return Err(ConfigError::Inconsistent {
                    field: format!("{FIELD}.replace[{i}].year"),
                    why: "two replacements in one year",
                });
            }
            replace.push((y, r.which));
        }
        replace.sort_unstable_by_key(|(y, _)| *y);
        let threshold = match &self.threshold {
            None => None,
            Some(t) => {
                let below = check_range(
                    format!("{FIELD}.threshold.below"),
                    t.below.value(),
                    f64::MIN_POSITIVE,
                    1.0 - f64::EPSILON,
                    "0 < x < 1",
                )?;
                let units = t
                    .units
                    .map(|n| count(format!("{FIELD}.threshold.units"), n))
                    .transpose()?;
                if units.is_some() && t.restore_to.is_some() {
                    return Err(ConfigError::Inconsistent {
                        field: format!("{FIELD}.threshold.restore_to"),
                        why: "give either units or restore_to",
                    });
                }
                let restore_to = match t.restore_to {
                    None => 1.0,
                    Some(r) => check_range(
                        format!("{FIELD}.threshold.restore_to"),
                        r.value(),
                        below,
                        1.0,
                        "below ≤ x ≤ 1",
                    )?,
                };
                Some(Threshold {
                    below,
                    units,
                    restore_to,
                })
            }
        };
        let most = u64::from(initial_units) + scheduled;
        let slots = match self.max_units {
            Some(m) => {
                if u64::from(m) < most || m > MAX_BATTERY_UNITS {
                    return Err(out_of_range(
                        format!("{FIELD}.max_units"),
                        f64::from(m),
                        "the initial units plus every scheduled addition ≤ x ≤ 100,000",
                    ));
                }
                m
            }
            None if threshold.is_some() => {
                return Err(ConfigError::Missing {
                    field: format!("{FIELD}.max_units"),
                    why: "a threshold rule adds units while the site has room: give the most \
                          units the site holds",
                })
            }
            None => {
                if most > u64::from(MAX_BATTERY_UNITS) {
                    return Err(out_of_range(
                        format!("{FIELD}.add"),
                        most as f64,
                        "the initial units plus every scheduled addition ≤ 100,000",
                    ));
                }
                most as u32
            }
        };
        let written = (self.add.iter().enumerate())
            .map(|(i, a)| ("add", i, a.year))
            .chain((self.replace.iter().enumerate()).map(|(i, r)| ("replace", i, r.year)))
            .collect();
        Ok(AugmentationPlan {
            add,
            threshold,
            replace,
            slots,
            written,
        })
    }
}

impl AugmentationPlan {
    /// The most units the fleet may hold at once (its slots).
    pub fn slots(&self) -> u32 {
        self.slots
    }

    /// The latest year the plan names (replacements and additions; 0 for none).
    pub fn last_year(&self) -> u32 {
        let a = self.add.last().map_or(0, |(y, _)| *y);
        let r = self.replace.last().map_or(0, |(y, _)| *y);
        a.max(r)
    }

    /// Checks that the plan names no year past the `years` years of life that `horizon` starts.
    ///
    /// # Errors
    /// [`ConfigError::YearBeyondHorizon`] naming the first such entry's year as written
    /// (`battery.augmentation.add[i].year`, then `.replace[i].year`), the horizon and the
    /// years it starts.
    pub(crate) fn check_years(
        &self,
        years: u32,
        horizon: crate::units::Duration,
    ) -> Result<(), ConfigError> {
        match self.written.iter().find(|(_, _, y)| *y > years) {
            None => Ok(()),
            Some(&(list, i, year)) => Err(ConfigError::YearBeyondHorizon {
                field: format!("{FIELD}.{list}[{i}].year"),
                year,
                years,
                horizon,
            }),
        }
    }

    /// The units scheduled for the start of `year`.
    pub(crate) fn additions(&self, year: u32) -> u32 {
        self.add
            .iter()
            .find(|(y, _)| *y == year)
            .map_or(0, |(_, n)| *n)
    }

    /// The replacement at the start of `year`, if any.
    pub(crate) fn replacement(&self, year: u32) -> Option<ReplaceWhich> {
        self.replace
            .iter()
            .find(|(y, _)| *y == year)
            .map(|(_, w)| *w)
    }

    /// How many units the threshold rule adds when the installed units' aged capacity is
    /// `aged_units` unit-equivalents (Σ units × capacity factor) against `initial_units`:
    /// 0 when it holds (or there is no rule).
    pub(crate) fn threshold_units(&self, aged_units: f64, initial_units: u32) -> u32 {
        let Some(t) = self.threshold else {
            return 0;
        };
        let n0 = f64::from(initial_units);
        if aged_units >= t.below * n0 {
            return 0;
        }
        match t.units {
            Some(n) => n,
            // The fewest new units (capacity factor 1) that reach restore_to × the initial.
            None => {
                ((t.restore_to * n0 - aged_units).ceil().max(1.0)).min(f64::from(u32::MAX)) as u32
            }
        }
    }
}

/// Marks an empty slot in [`CohortsState`].
pub(crate) const EMPTY_SLOT: u32 = u32::MAX;

/// One cohort: the units installed together, and how they have aged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cohort {
    /// When it was installed, ms from the run's start.
    pub installed_ms: u64,
    /// Its units (kept after it is retired, for the life sums).
    pub units: u32,
    /// Whether it has been replaced (its units left the fleet).
    pub retired: bool,
    /// Its units whose energy is in the pool (up, with unit failures).
    pub pooled: u32,
    /// Its degradation state (calendar time from its installation, its own rainflow count).
    pub ageing: AgeingState,
    /// The cells' SoC at the end of the last segment aged.
    pub last_soc: f64,
    /// The energy that has flowed through its share of the pool, plus its share when installed,
    /// MWh: over its nameplate, the throughput SoC its rainflow counter sees.
    pub throughput_mwh: f64,
    /// `1 / nameplate` (its units × the unit's energy), 1/MWh (0 for no energy).
    pub inv_nameplate: f64,
    /// Its capacity factor (closed cycles).
    pub capacity_factor: f64,
    /// Its efficiency factor (resistance growth).
    pub efficiency_factor: f64,
}

/// The cohorts of a fleet with an augmentation plan, and the energy they brought and took.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CohortsState {
    /// Every cohort installed so far, oldest first (retired ones included).
    pub(crate) cohorts: Vec<Cohort>,
    /// Per slot, the index of the cohort installed in it ([`EMPTY_SLOT`]: none).
    pub(crate) slot_cohort: Vec<u32>,
    /// Energy new units brought (their window floor), MWh.
    pub(crate) installed: Energy,
    /// Energy replaced units took away, MWh.
    pub(crate) removed: Energy,
    /// Units added (scheduled, threshold and replacements' new units).
    pub(crate) units_added: u32,
    /// Units removed by replacements.
    pub(crate) units_removed: u32,
    /// The fleet's throughput energy at the last segment aged (stored + fade loss − installed +
    /// removed), MWh.
    pub(crate) throughput_mwh: f64,
    /// `Σ pooled × capacity factor` over the cohorts installed (unit-equivalents in the pool).
    pub(crate) window_units: f64,
    /// `Σ units × capacity factor` over the cohorts installed.
    pub(crate) aged_units: f64,
    /// Units installed.
    pub(crate) installed_units: u32,
}

impl CohortsState {
    /// The cohorts installed so far, oldest first (retired ones included).
    pub fn cohorts(&self) -> &[Cohort] {
        &self.cohorts
    }
    /// Units installed now.
    pub fn installed_units(&self) -> u32 {
        self.installed_units
    }
    /// Energy brought by new units so far (their window floor), MWh.
    pub fn installed_energy(&self) -> Energy {
        self.installed
    }
    /// Energy taken away by replaced units so far, MWh.
    pub fn removed_energy(&self) -> Energy {
        self.removed
    }
    /// Units added so far (scheduled, by the threshold rule, and as replacements).
    pub fn units_added(&self) -> u32 {
        self.units_added
    }
    /// Units removed by replacements so far.
    pub fn units_removed(&self) -> u32 {
        self.units_removed
    }
    /// `Σ units × capacity factor` over the cohorts installed: the fleet's aged capacity in
    /// new-unit equivalents.
    pub fn aged_units(&self) -> f64 {
        self.aged_units
    }

    /// Recomputes the sums over the cohorts installed; returns the capacity-weighted efficiency
    /// factor of the pooled units (1 with none pooled).
    pub(crate) fn refresh(&mut self) -> f64 {
        let (mut w, mut a, mut n, mut we) = (0.0, 0.0, 0u32, 0.0);
        let mut growth = false;
        for c in self.cohorts.iter().filter(|c| !c.retired) {
            let pooled = f64::from(c.pooled) * c.capacity_factor;
            w += pooled;
            we += pooled * c.efficiency_factor;
            a += f64::from(c.units) * c.capacity_factor;
            n += c.units;
            growth |= c.efficiency_factor != 1.0;
        }
        self.window_units = w;
        self.aged_units = a;
        self.installed_units = n;
        if growth && w > 0.0 {
            we / w
        } else {
            1.0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(p: &AugmentationParams, units: u32) -> String {
        match p.validate(units) {
            Err(ConfigError::OutOfRange { field, .. })
            | Err(ConfigError::Inconsistent { field, .. })
            | Err(ConfigError::Missing { field, .. }) => field,
            other => panic!("expected an error, got {other:?}"),
        }
    }

    fn empty() -> AugmentationParams {
        AugmentationParams {
            add: vec![],
            threshold: None,
            replace: vec![],
            max_units: None,
        }
    }

    #[test]
    fn bad_plans_name_the_field() {
        let add = |year, units| AugmentationParams {
            add: vec![ScheduledAddition { year, units }],
            ..empty()
        };
        assert_eq!(field_of(&add(1, 4), 16), "battery.augmentation.add[0].year");
        assert_eq!(
            field_of(&add(1001, 4), 16),
            "battery.augmentation.add[0].year"
        );
        assert_eq!(
            field_of(&add(8, 0), 16),
            "battery.augmentation.add[0].units"
        );
        assert_eq!(field_of(&add(8, 4), 0), "battery.units");
        let th = |below: f64, units, restore_to: Option<f64>| AugmentationParams {
            threshold: Some(ThresholdRule {
                below: Fraction::ratio(below),
                units,
                restore_to: restore_to.map(Fraction::ratio),
            }),
            max_units: Some(40),
            ..empty()
        };
        assert_eq!(
            field_of(&th(1.0, None, None), 16),
            "battery.augmentation.threshold.below"
        );
        assert_eq!(
            field_of(&th(f64::NAN, None, None), 16),
            "battery.augmentation.threshold.below"
        );
        assert_eq!(
            field_of(&th(0.8, None, Some(0.7)), 16),
            "battery.augmentation.threshold.restore_to"
        );
        assert_eq!(
            field_of(&th(0.8, Some(2), Some(0.9)), 16),
            "battery.augmentation.threshold.restore_to"
        );
        assert_eq!(
            field_of(&th(0.8, Some(0), None), 16),
            "battery.augmentation.threshold.units"
        );
        let no_room = AugmentationParams {
            max_units: None,
            ..th(0.8, None, None)
        };
        assert_eq!(field_of(&no_room, 16), "battery.augmentation.max_units");
        let small = AugmentationParams {
            max_units: Some(19),
            ..add(8, 4)
        };
        assert_eq!(field_of(&small, 16), "battery.augmentation.max_units");
        let twice = AugmentationParams {
            replace: vec![
                Replacement {
                    year: 5,
                    which: ReplaceWhich::All,
                },
                Replacement {
                    year: 5,
                    which: ReplaceWhich::Oldest,
                },
            ],
            ..empty()
        };
        assert_eq!(field_of(&twice, 16), "battery.augmentation.replace[1].year");
    }

    #[test]
    fn a_plan_reads_from_toml_and_counts_its_slots() {
        let p: AugmentationParams = toml::from_str(
            "add = [{ year = 8, units = 4 }, { year = 14, units = 4 }, { year = 8, units = 1 }]\n\
             replace = [{ year = 16, which = \"oldest\" }]\n",
        )
        .unwrap();
        let plan = p.validate(16).unwrap();
        assert_eq!(plan.slots(), 25);
        assert_eq!(plan.additions(8), 5);
        assert_eq!(plan.additions(9), 0);
        assert_eq!(plan.replacement(16), Some(ReplaceWhich::Oldest));
        assert_eq!(plan.last_year(), 16);
        assert!(toml::from_str::<AugmentationParams>("add = []\nevery = 3\n").is_err());
        assert!(toml::from_str::<AugmentationParams>(
            "threshold = { below = 0.8, restore = 1.0 }\n"
        )
        .is_err());
    }

    #[test]
    fn the_threshold_adds_the_fewest_units_that_restore() {
        let p = AugmentationParams {
            threshold: Some(ThresholdRule {
                below: Fraction::ratio(0.8),
                units: None,
                restore_to: None,
            }),
            max_units: Some(40),
            ..empty()
        };
        let plan = p.validate(16).unwrap();
        // 16 units at 0.81: above 0.8 × 16 = 12.8.
        assert_eq!(plan.threshold_units(16.0 * 0.81, 16), 0);
        // At 0.79: 12.64 unit-equivalents; 3.36 short of 16 → 4 new units.
        assert_eq!(plan.threshold_units(16.0 * 0.79, 16), 4);
        let fixed = AugmentationParams {
            threshold: Some(ThresholdRule {
                below: Fraction::ratio(0.8),
                units: Some(2),
                restore_to: None,
            }),
            ..p
        };
        assert_eq!(fixed.validate(16).unwrap().threshold_units(10.0, 16), 2);
    }
}
