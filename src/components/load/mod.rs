//! The datacenter load: facility power = IT power × PUE, where the IT power is the sum of one or
//! more [`ItProfile`]s and the PUE a constant or a curve of the ambient temperature
//! ([`pue`]); the load may be split into tiers that a short supply sheds in order ([`tiers`]).
//!
//! [`LoadParams`] is the serde-loaded `[load]` table of a scenario; [`LoadModel::new`] validates
//! it for one [`TimeGrid`](crate::time::TimeGrid) and precomputes everything the hot loop needs,
//! after which [`LoadModel::facility_power`] is a cheap, allocation-free lookup. The load has no
//! state: its power is a function of the step number.
//!
//! Every profile is a function of continuous time `p(t)`, and step `k` of the grid sees its
//! **exact time average** over `[offset(k), offset(k+1))`: waveforms are integrated analytically,
//! never sampled. A 1-hour step of a 2-second training swing therefore gives exactly the swing's
//! mean, while a 100 ms step sees the ramps.
//!
//! ```toml
//! [load]
//! pue = 1.3
//!
//! [[load.it]]
//! kind = "training_swing"
//! high_mw = 10.6
//! low_mw = 5.3
//! period = "2s"
//! duty = 0.8
//! ramp = "200ms"
//! checkpoint = { every = "60m", duration = "60s" }
//!
//! [[load.it]]
//! kind = "constant"
//! it_mw = 0.5
//! ```
//!
//! ```
//! use ridethrough::components::load::{LoadModel, LoadParams};
//! use ridethrough::time::TimeGrid;
//! use ridethrough::units::Duration;
//! let grid = TimeGrid::new(Duration::from_hours(1), Duration::from_days(1))?;
//! let model = LoadModel::new(&LoadParams::h100_training_10k(), &grid)?;
//! // Swing mean 5.3 + 5.3·0.8 = 9.54 MW, minus the 60 s checkpoint dip each hour.
//! let expected_it = 9.54 - (60.0 / 3600.0) * (9.54 - 5.3);
//! assert!((model.it_power(0).value() - expected_it).abs() < 1e-9);
//! assert!((model.facility_power(5).value() - 1.3 * expected_it).abs() < 1e-9);
//! # Ok::<(), ridethrough::ConfigError>(())
//! ```
//!
//! The files, one job each:
//!
//! * `params`: the serde parameters ([`LoadParams`], [`ItProfile`], …), reading trace files, and
//!   validation into a private checked form;
//! * `model`: [`LoadModel`], the validated load compiled for one grid;
//! * `profile`: the exact step-average evaluators of the swing and the daily shape;
//! * `resample`: the exact step averages of a trace on the grid;
//! * [`pue`]: the PUE, a constant or a curve of the ambient temperature;
//! * `table`: periodic profiles tabulated as one period of step averages;
//! * [`tiers`]: the load split into tiers (critical IT, cooling, deferrable, other) and the
//!   order a short supply sheds them in.

mod model;
mod params;
mod profile;
pub mod pue;
mod resample;
mod table;
pub mod tiers;

pub use model::LoadModel;
pub use params::{
    Checkpoint, ConstantProfile, DailyShape, ItProfile, LoadParams, LoadTrace, TraceData,
    TrainingSwing, DEFAULT_PUE, MAX_PUE, MIN_PUE,
};
pub use pue::{Pue, PueCurve, PuePoint};
pub(crate) use resample::Resampled;
pub use tiers::{ItTier, ShedBlock, Tier, TierLoads, TierParams, TierShares, Tiers};

/// Helpers shared by the unit tests of the load's files.
#[cfg(test)]
mod testing {
    use super::*;
    use crate::time::TimeGrid;
    use crate::units::{Fraction, Power};

    /// Tolerance on step-average powers, MW.
    pub(super) const TOL: f64 = 1e-9;

    pub(super) fn grid(step: &str, horizon: &str) -> TimeGrid {
        TimeGrid::new(step.parse().unwrap(), horizon.parse().unwrap()).unwrap()
    }

    pub(super) fn params(it: Vec<ItProfile>) -> LoadParams {
        LoadParams {
            pue: 1.0.into(),
            it,
            tiers: None,
        }
    }

    pub(super) fn model(it: Vec<ItProfile>, g: &TimeGrid) -> LoadModel {
        LoadModel::new(&params(it), g).unwrap()
    }

    pub(super) fn constant(mw: f64) -> ItProfile {
        ItProfile::Constant(ConstantProfile {
            it_mw: Power::mw(mw),
            tier: ItTier::Critical,
        })
    }

    pub(super) fn swing(high: f64, low: f64, period: &str, duty: f64, ramp: &str) -> TrainingSwing {
        TrainingSwing {
            high_mw: Power::mw(high),
            low_mw: Power::mw(low),
            period: period.parse().unwrap(),
            duty: Fraction::ratio(duty),
            ramp: ramp.parse().unwrap(),
            checkpoint: None,
            tier: ItTier::Critical,
        }
    }

    pub(super) fn assert_close(got: f64, want: f64, what: &str) {
        assert!((got - want).abs() < TOL, "{what}: got {got}, want {want}");
    }

    /// The instantaneous swing power at time `t` ms (a real number), written independently of
    /// the integrals under test.
    pub(super) fn swing_value(s: &TrainingSwing, t: f64) -> f64 {
        if let Some(c) = &s.checkpoint {
            let e = c.every.as_millis() as f64;
            if t.rem_euclid(e) >= e - c.duration.as_millis() as f64 {
                return c.level_mw.unwrap_or(s.low_mw).value();
            }
        }
        let p = s.period.as_millis() as f64;
        let d = (s.duty.value() * p).round();
        let r = s.ramp.as_millis() as f64;
        let (lo, hi) = (s.low_mw.value(), s.high_mw.value());
        let x = t.rem_euclid(p);
        if x < r {
            lo + (hi - lo) * x / r
        } else if x < d {
            hi
        } else if x < d + r {
            hi - (hi - lo) * (x - d) / r
        } else {
            lo
        }
    }

    pub(super) fn daily(peak: f64) -> (DailyShape, Vec<f64>) {
        let shape: Vec<Fraction> = (0..24)
            .map(|h| Fraction::ratio(0.5 + 0.02 * h as f64))
            .collect();
        let mw = shape.iter().map(|v| v.value() * peak).collect();
        (
            DailyShape {
                peak_mw: Power::mw(peak),
                shape,
                tier: ItTier::Critical,
            },
            mw,
        )
    }

    pub(super) fn trace(step: &str, values: Vec<f64>) -> ItProfile {
        ItProfile::Trace(LoadTrace::from_values(
            step.parse().unwrap(),
            values.into_iter().map(Power::mw).collect(),
        ))
    }
}
