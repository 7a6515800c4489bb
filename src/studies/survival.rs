//! Outage survival curves, as in NREL REopt's outage simulator.
//!
//! Run the site's normal horizon; at every start step (or every `every`-th), begin a total grid
//! outage of up to `max_duration` with the battery exactly as the normal run had it there, and
//! count how long the site carries its load (the same policy dispatches the battery). The outage
//! window wraps around the end of the horizon (the load profile repeats, as in REopt). The
//! result is deterministic for a given seed (the seed only shapes the normal run's outages).
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

use crate::engine::policy::Dispatch;
use crate::engine::{Simulation, Site};
use crate::error::ConfigError;
use crate::units::{Duration, Fraction};
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
    let mut outage = normal.clone();
    for s in 0..steps {
        if s % cfg.every == 0 {
            outage.clone_from(&normal);
            let mut survived_ms = max_steps * step_ms;
            let mut lost_ms = outage.state().tally.loss_of_load_ms();
            for j in 0..max_steps {
                let k = (s + j) % steps;
                outage.advance(&mut (), k, Some(Fraction::ZERO));
                let tally = &outage.state().tally;
                if tally.loss_of_load_ms() > lost_ms {
                    // Load was lost in this step: from its first unserved millisecond on.
                    let k0 = k * step_ms;
                    let at = tally.first_loss_since(k0).unwrap_or(k0);
                    survived_ms = j * step_ms + (at - k0);
                    break;
                }
                lost_ms = tally.loss_of_load_ms();
            }
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
