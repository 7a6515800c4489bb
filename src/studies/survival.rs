//! Outage survival curves, as in NREL REopt's outage simulator.
//!
//! Run the site's normal horizon; at every start step (or every `every`-th), begin a total grid
//! outage of up to `max_duration` with the battery exactly as the normal run had it there, and
//! count how long the site carries its load (the same policy dispatches the battery). The outage
//! window wraps around the end of the horizon (the load profile repeats, as in REopt). The
//! result is deterministic for a given seed (the seed only shapes the normal run's outages).
//!
//! With standby generators ([`crate::engine::backup`]) each outage draws its sets' starts,
//! running failures and fuel deliveries afresh (from `sample_seed(seed, start)`), so the curve is the probability of
//! surviving over outage starts and generator draws together, as REopt's outage simulator
//! reports it; the Markov chain of [`crate::studies::markov_survival`] is its analytic
//! cross-check.
//!
//! Hours survived are measured to the millisecond: from the outage's start (a step boundary) to
//! the first millisecond with unserved load, which the engine finds inside its step (where the
//! battery empties, or its power falls short).
//!
//! ```
//! use ridethrough::prelude::*;
//! use ridethrough::studies::survival::{self, SurvivalConfig};
//! let text = ridethrough::io::scenario::DEFAULT_SCENARIO_TOML.replace("step = \"1m\"", "step = \"1h\"");
//! let study = Scenario::from_toml_str(&text)?.validate()?;
//! let cfg = SurvivalConfig::new(Duration::from_hours(24));
//! let curve = survival::sweep(study.site(), study.policy(), study.seed(), &cfg)?;
//! // A full fleet of 62.7 MWh carries ≈12.4 MW for about 4.9 h.
//! assert!(curve.probability[3].1 > 0.9);   // 4 h: nearly always
//! assert!(curve.probability[5].1 < 0.1);   // 6 h: almost never
//! # Ok::<(), ridethrough::ConfigError>(())
//! ```

use crate::engine::fast_forward::StepTable;
use crate::engine::policy::Dispatch;
use crate::engine::report::UNSERVED_EPSILON_MW;
use crate::engine::{Simulation, Site};
use crate::error::ConfigError;
use crate::units::{Duration, Energy, Fraction, Power};
use serde::{Deserialize, Serialize};

/// What to sweep.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SurvivalConfig {
    /// The longest outage simulated from each start.
    pub max_duration: Duration,
    /// Start an outage at every `every`-th step (1 = every step).
    #[serde(default = "one")]
    pub every: u64,
}

fn one() -> u64 {
    1
}

impl SurvivalConfig {
    /// Outages of up to `max_duration` from every step.
    pub fn new(max_duration: Duration) -> SurvivalConfig {
        SurvivalConfig {
            max_duration,
            every: 1,
        }
    }
}

/// Minimum, mean and maximum hours survived over a group of start steps.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Survived {
    /// Start steps in the group.
    pub starts: u64,
    /// Shortest survival, hours.
    pub min_hours: f64,
    /// Mean survival, hours.
    pub mean_hours: f64,
    /// Longest survival, hours.
    pub max_hours: f64,
}

impl Survived {
    fn new() -> Survived {
        Survived {
            starts: 0,
            min_hours: f64::INFINITY,
            mean_hours: 0.0,
            max_hours: 0.0,
        }
    }
    fn push(&mut self, h: f64) {
        self.starts += 1;
        self.min_hours = self.min_hours.min(h);
        self.max_hours = self.max_hours.max(h);
        self.mean_hours += (h - self.mean_hours) / self.starts as f64;
    }
    fn finish(mut self) -> Survived {
        if self.starts == 0 {
            self.min_hours = 0.0;
        }
        self
    }
}

/// The result of a sweep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SurvivalCurve {
    /// The longest outage simulated, hours (survival is capped there).
    pub max_hours: f64,
    /// Start steps swept.
    pub starts: Vec<u64>,
    /// Hours survived from each start (same order as `starts`).
    pub survived_hours: Vec<f64>,
    /// Over all starts.
    pub overall: Survived,
    /// By the calendar month of the start (January first).
    pub by_month: Vec<Survived>,
    /// By the hour of day of the start.
    pub by_hour: Vec<Survived>,
    /// `(d, P(survive ≥ d hours))` for d = 1, 2, … whole hours up to `max_hours`.
    pub probability: Vec<(f64, f64)>,
}

/// Sweeps outages of up to `cfg.max_duration` over the horizon of `site` under `policy`.
///
/// # Errors
/// [`ConfigError::OutOfRange`] for a zero `max_duration` or `every`, and the error of
/// [`Dispatch::validate`] for a policy out of range for this site.
pub fn sweep<P: Dispatch + Clone>(
    site: &Site,
    policy: &P,
    seed: u64,
    cfg: &SurvivalConfig,
) -> Result<SurvivalCurve, ConfigError> {
    sweep_with(site, policy, seed, cfg, true)
}

/// Whether [`sweep`] finds each outage's ride-through in closed form on `site` under `policy`
/// (O(log n) a start) rather than stepping it: the policy covers an islanded site's demand
/// ([`Dispatch::covers_islanded_demand`]), the fleet's units never fail and it does not
/// self-discharge, and the horizon has a [`Site::step_table`].
pub fn closed_form_applies<P: Dispatch>(site: &Site, policy: &P) -> bool {
    ClosedForm::new(site, policy).is_some()
}

/// [`sweep`], with the closed form of [`ClosedForm`] where it applies (`closed_form`) or every
/// outage stepped.
fn sweep_with<P: Dispatch + Clone>(
    site: &Site,
    policy: &P,
    seed: u64,
    cfg: &SurvivalConfig,
    closed_form: bool,
) -> Result<SurvivalCurve, ConfigError> {
    policy.validate(site)?;
    let step = site.time.step();
    if cfg.max_duration.is_zero() {
        return Err(ConfigError::OutOfRange {
            field: "survival.max_duration".into(),
            value: 0.0,
            allowed: "a duration of at least one step",
        });
    }
    if cfg.every == 0 {
        return Err(ConfigError::OutOfRange {
            field: "survival.every".into(),
            value: 0.0,
            allowed: "at least 1",
        });
    }
    let steps = site.time.steps();
    let max_steps = cfg.max_duration.as_millis().div_ceil(step.as_millis());
    let step_ms = step.as_millis();
    let max_hours = Duration::from_millis(max_steps * step_ms).hours().value();

    let mut normal = Simulation::new(site, policy.clone(), seed);
    let mut starts = Vec::with_capacity((steps / cfg.every + 1) as usize);
    let mut survived_hours = Vec::with_capacity(starts.capacity());
    let mut overall = Survived::new();
    let mut by_month = vec![Survived::new(); 12];
    let mut by_hour = vec![Survived::new(); 24];
    let closed_form = ClosedForm::new(site, policy).filter(|_| closed_form);
    let mut outage = normal.clone();
    for s in 0..steps {
        if s % cfg.every == 0 {
            let survived_ms = match &closed_form {
                Some(cf) => cf.ride_through_ms(normal.state().battery.energy, s, max_steps),
                None => {
                    outage.clone_from(&normal);
                    outage.reseed_backup(crate::rng::sample_seed(seed, s));
                    stepped_ride_through_ms(&mut outage, s, max_steps, steps, step_ms)
                }
            };
            let h = Duration::from_millis(survived_ms).hours().value();
            starts.push(s);
            survived_hours.push(h);
            overall.push(h);
            by_month[site.time.month(s) as usize - 1].push(h);
            by_hour[site.time.hour_of_day(s) as usize].push(h);
        }
        normal.step(&mut ());
    }
    let n = survived_hours.len() as f64;
    let probability = (1..=max_hours.floor() as u64)
        .map(|d| {
            let d = d as f64;
            let ok = survived_hours.iter().filter(|&&h| h >= d - 1e-9).count();
            (d, ok as f64 / n)
        })
        .collect();
    Ok(SurvivalCurve {
        max_hours,
        starts,
        survived_hours,
        overall: overall.finish(),
        by_month: by_month.into_iter().map(Survived::finish).collect(),
        by_hour: by_hour.into_iter().map(Survived::finish).collect(),
        probability,
    })
}

/// An islanded battery's ride-through in closed form: with the grid offering nothing, no
/// generators, a policy
/// that asks for at least the demand ([`Dispatch::covers_islanded_demand`]), a fleet whose units
/// never fail, that does not self-discharge and has no lifetime models (ageing, thermal,
/// efficiency curve), the battery delivers each step's demand
/// (`facility + aux`) until its energy above the floor is drained (`Σ d·Δt/η_d`), or until a
/// step's demand exceeds its power limit. Both are found from the load table: the power limit
/// by its block maxima, the drain by binary search on its prefix sums; the last partial step to
/// the whole millisecond, as the engine ends a segment where the battery empties. The result is
/// the stepped sweep's to rounding: the drain summed in another order can move a ride-through
/// by a millisecond (tested).
struct ClosedForm<'s> {
    table: &'s StepTable,
    step_ms: u64,
    /// The step length in hours.
    dt: f64,
    aux: Power,
    limit: Power,
    eta: f64,
    floor: Energy,
}

impl<'s> ClosedForm<'s> {
    /// The closed form for `site` under `policy`, if it applies (see the type's docs).
    fn new<P: Dispatch>(site: &'s Site, policy: &P) -> Option<ClosedForm<'s>> {
        let fleet = &site.battery;
        let dt = site.time.step_hours();
        let applies = policy.covers_islanded_demand()
            && site.backup.is_none()
            && !fleet.has_unit_failures()
            // Ageing, a temperature-driven aux draw and a part-load curve vary along the way.
            && fleet.lifetime().is_none()
            && fleet.self_discharge_keep(dt) >= 1.0
            && fleet.discharge_efficiency() > 0.0;
        if !applies {
            return None;
        }
        Some(ClosedForm {
            table: site.step_table()?,
            step_ms: site.time.step().as_millis(),
            dt: dt.value(),
            aux: fleet.aux_load(),
            limit: fleet.max_discharge_power(),
            eta: fleet.discharge_efficiency(),
            floor: fleet.min_energy(),
        })
    }

    /// The energy (MWh) the battery gives up delivering the demand of steps `k..k + m`.
    fn drain(&self, k: u64, m: u64) -> f64 {
        (self.table.sum(k, k + m) + self.aux.value() * m as f64) * self.dt / self.eta
    }

    /// How long (ms) a total outage from the start of step `s` is carried from `energy`, at
    /// most `max_steps` steps (wrapping around the end of the horizon).
    fn ride_through_ms(&self, energy: Energy, s: u64, max_steps: u64) -> u64 {
        let steps = self.table.len();
        let mut above = (energy - self.floor).value().max(0.0);
        let mut j = 0;
        while j < max_steps {
            let k = (s + j) % steps;
            let n = (max_steps - j).min(steps - k);
            // The first step whose demand the battery's power cannot carry.
            let aux = self.aux;
            let short = self.table.first_above(k, k + n, |f| {
                ((Power::mw(f) + aux) - self.limit).value() > UNSERVED_EPSILON_MW
            }) - k;
            // The whole steps whose demand the energy carries (the drain grows with m).
            let mut lo = 0;
            let mut hi = short;
            while lo < hi {
                let mid = lo + (hi - lo).div_ceil(2);
                if self.drain(k, mid) <= above {
                    lo = mid;
                } else {
                    hi = mid - 1;
                }
            }
            if lo < short {
                // The battery empties inside step k + lo.
                let rest = above - self.drain(k, lo);
                let d = (Power::mw(self.table.facility(k + lo)) + aux).value();
                let ms = (rest * self.eta / d * crate::units::MS_PER_HOUR as f64).floor() as u64;
                return (j + lo) * self.step_ms + ms.min(self.step_ms);
            }
            if short < n {
                return (j + short) * self.step_ms;
            }
            above -= self.drain(k, n);
            j += n;
        }
        max_steps * self.step_ms
    }
}

/// How long (ms) `outage`, a copy of the normal run at step `s`, carries a total outage of at
/// most `max_steps` steps, stepping it (the window wraps around the horizon's `steps`).
fn stepped_ride_through_ms<P: Dispatch>(
    outage: &mut Simulation<'_, P>,
    s: u64,
    max_steps: u64,
    steps: u64,
    step_ms: u64,
) -> u64 {
    let mut lost_ms = outage.state().tally.loss_of_load_ms();
    for j in 0..max_steps {
        let k = (s + j) % steps;
        outage.advance::<_, true, true>(&mut (), k, Some(Fraction::ZERO));
        let tally = &outage.state().tally;
        if tally.loss_of_load_ms() > lost_ms {
            // Load was lost in this step: from its first unserved millisecond to the step's end
            // (with no import, an empty battery stays empty and a power limit below the demand
            // holds the whole step). The time lost this step says where that is; the events
            // cannot, as a window that wraps around the horizon's end sets its times back.
            let lost = (tally.loss_of_load_ms() - lost_ms).min(step_ms);
            return j * step_ms + (step_ms - lost);
        }
        lost_ms = tally.loss_of_load_ms();
    }
    max_steps * step_ms
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::policy::Policy;
    use crate::io::scenario::{Scenario, DEFAULT_SCENARIO_TOML};
    use proptest::prelude::*;

    /// The default scenario at `step`, over `days` days, with the battery's size, the grid's
    /// outage rate and the load's PUE varied.
    fn study(
        step: &str,
        days: u64,
        units: u32,
        pue: f64,
        scale: f64,
    ) -> crate::engine::study::Study {
        let text = DEFAULT_SCENARIO_TOML
            .replace("step = \"1m\"", &format!("step = \"{step}\""))
            .replace("horizon = \"365d\"", &format!("horizon = \"{days}d\""))
            .replace("start = \"120d\"", "start = \"2d\"")
            .replace("units = 16", &format!("units = {units}"))
            .replace("pue = 1.3", &format!("pue = {pue}"))
            .replace(
                "preset = \"distribution\"",
                &format!("preset = \"distribution\"\nscale = {scale}"),
            );
        Scenario::from_toml_str(&text)
            .and_then(Scenario::validate)
            .unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

        /// The closed form gives every start's ride-through as stepping the outage does, to the
        /// millisecond (the drain summed in another order may move it by one).
        #[test]
        fn the_closed_form_is_the_stepped_sweep(
            step in prop::sample::select(vec!["1m", "5m", "12m", "1h"]),
            units in 12u32..30,
            pue in 1.0f64..1.6,
            scale in 0.0f64..50.0,
            policy in 0u8..3,
            seed in any::<u64>(),
        ) {
            let s = study(step, 6, units, pue, scale);
            let site = s.site();
            let policy = match policy {
                0 => *s.policy(),
                1 => Policy::PeakShaving { import_cap_mw: Power::mw(13.0), recharge_rate_mw: None },
                _ => Policy::RampLimiting {
                    max_ramp_mw_per_s: crate::engine::policy::RampRate::mw_per_s(0.01),
                    soc_target: None,
                    recovery: None,
                    initial_import_mw: None,
                },
            };
            let cfg = SurvivalConfig { max_duration: Duration::from_hours(30), every: 7 };
            prop_assert!(ClosedForm::new(site, &policy).is_some());
            let fast = sweep_with(site, &policy, seed, &cfg, true).unwrap();
            let slow = sweep_with(site, &policy, seed, &cfg, false).unwrap();
            prop_assert_eq!(&fast.starts, &slow.starts);
            let ms = |h: f64| (h * crate::units::MS_PER_HOUR as f64).round() as i64;
            for (i, (a, b)) in fast.survived_hours.iter().zip(&slow.survived_hours).enumerate() {
                prop_assert!((ms(*a) - ms(*b)).abs() <= 1, "start {}: {} h against {} h", fast.starts[i], a, b);
            }
        }
    }
}
