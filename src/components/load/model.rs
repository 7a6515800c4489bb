//! [`LoadModel`]: the validated load, compiled for one time grid.

use super::params::{ItProfile, LoadParams};
use super::profile::{compile_daily, compile_swing, Compiled};
use super::pue::PueModel;
use super::resample::compile_trace;
use super::tiers::{ItSum, ItTier, TierLoads, Tiers};
use crate::components::limits::MAX_POWER_MW;
use crate::error::{out_of_range, ConfigError};
use crate::time::TimeGrid;
use crate::units::Power;

/// The validated load, compiled for one [`TimeGrid`]: immutable, no I/O, and
/// [`LoadModel::facility_power`] allocates nothing.
///
/// Profiles that are constant on the grid (constant profiles, a swing whose period divides the
/// step, a daily shape with whole-day steps, …) are folded into one number at construction, so
/// they cost nothing per step.
#[derive(Debug, Clone)]
pub struct LoadModel {
    /// The PUE: a constant, or each hour's from a curve of the ambient.
    pue: PueModel,
    /// The largest PUE of any hour.
    pue_max: f64,
    /// All the IT profiles.
    it: ItSum,
    /// Σ of the profile maxima, MW.
    peak_it_mw: f64,
    step_ms: u64,
    /// The tiers, when the load has them (boxed: read only on steps with unserved load).
    tiers: Option<Box<Tiers>>,
}

impl LoadModel {
    /// Validates `params` and compiles them for `grid`.
    ///
    /// # Errors
    /// [`ConfigError::OutOfRange`] for a PUE outside `[1, 5]` (the constant, or a curve's point,
    /// `load.pue.curve[i].pue`), a curve's temperature or ambient outside `[−70, 60]` °C, a
    /// curve of no points or more than 64, a power outside
    /// `0 ..= MAX_POWER_MW` (each profile's figures, and the summed peaks × PUE, named after the
    /// profile that passes it), a duration above [`crate::time::MAX_DURATION`], a calendar start
    /// plus horizon past 9999-12-31, a
    /// shape value outside `[0, 1]`, a zero period, a duty outside `(0, 1]`, a daily shape
    /// without 24 values or a bad checkpoint duration; [`ConfigError::Inconsistent`] for
    /// `low_mw > high_mw` or a ramp that does not fit in the period; [`ConfigError::NotMultiple`]
    /// for a checkpoint interval that is not a whole number of periods; [`ConfigError::Missing`]
    /// for an empty `it` list or a trace never loaded; [`ConfigError::TraceLength`] for a trace
    /// shorter than the horizon; the errors of `[load.tiers]` (see [`Tiers`]: `other_share`
    /// outside `[0, 1]`, a `shed_order` that does not name each block once, a zero
    /// `checkpoint_interval`). Every error names the field, e.g. `load.it[0].ramp`.
    pub fn new(params: &LoadParams, grid: &TimeGrid) -> Result<LoadModel, ConfigError> {
        grid.check_calendar()?;
        let pue = PueModel::new(&params.pue, grid)?;
        let pue_max = pue.max();
        if params.it.is_empty() {
            return Err(ConfigError::Missing {
                field: "load.it".into(),
                why: "the load needs at least one IT profile",
            });
        }
        let step_ms = grid.step().as_millis();
        let mut it = ItSum::default();
        let mut deferrable = ItSum::default();
        let mut swing_checkpoint_ms = None;
        let mut peak_it_mw = 0.0;
        for (i, profile) in params.it.iter().enumerate() {
            let field = format!("load.it[{i}]");
            let (compiled, peak) = match profile {
                ItProfile::Constant(c) => {
                    let v = c.validate(&field)?;
                    (Compiled::Constant(v), v)
                }
                ItProfile::TrainingSwing(s) => compile_swing(&s.validate(&field)?, step_ms),
                ItProfile::Daily(d) => compile_daily(d.validate(&field)?, grid),
                ItProfile::Trace(t) => {
                    let (trace_step, values) = t.validate(&field)?;
                    compile_trace(values, trace_step, &t.path, &field, grid)?
                }
            };
            peak_it_mw += peak;
            // The facility peak so far, so that the error names the profile that passes it.
            if peak_it_mw * pue_max > MAX_POWER_MW {
                return Err(out_of_range(
                    field,
                    peak_it_mw * pue_max,
                    "profiles whose summed peak IT power × pue is ≤ 1e5 MW \
                     (value: that facility peak, MW)",
                ));
            }
            if profile.tier() == ItTier::Deferrable {
                deferrable.push(compiled.clone(), step_ms);
                if let (None, ItProfile::TrainingSwing(s)) = (swing_checkpoint_ms, profile) {
                    swing_checkpoint_ms = s.checkpoint.as_ref().map(|c| c.every.as_millis());
                }
            }
            it.push(compiled, step_ms);
        }
        let tiers = if params.has_tiers() {
            Some(Box::new(Tiers::new(
                params.tiers.as_ref(),
                deferrable,
                swing_checkpoint_ms,
            )?))
        } else {
            None
        };
        Ok(LoadModel {
            pue,
            pue_max,
            it,
            peak_it_mw,
            step_ms,
            tiers,
        })
    }

    /// The average IT power over step `k`, i.e. over `[offset(k), offset(k+1))`.
    ///
    /// # Panics
    /// If a trace profile is present and `k` is not a step of the grid (`k ≥ steps`). Periodic
    /// profiles accept any `k`.
    #[inline]
    pub fn it_power(&self, k: u64) -> Power {
        Power::mw(self.it.average(k, k * self.step_ms))
    }

    /// The average facility power over step `k`: [`LoadModel::it_power`] × the step's PUE
    /// ([`LoadModel::pue_at`]).
    ///
    /// # Panics
    /// As [`LoadModel::it_power`].
    #[inline]
    pub fn facility_power(&self, k: u64) -> Power {
        Power::mw(self.it_power(k).value() * self.pue_at(k))
    }

    /// The power usage effectiveness over step `k`: the constant, or with a curve the time
    /// average of its hours' PUE (see [`super::pue`]).
    #[inline]
    pub fn pue_at(&self, k: u64) -> f64 {
        match &self.pue {
            PueModel::Constant(p) => *p,
            hourly => hourly.over(k * self.step_ms, (k + 1) * self.step_ms),
        }
    }

    /// The power usage effectiveness: the constant, or with a curve the largest of any hour.
    #[inline]
    pub fn pue(&self) -> f64 {
        self.pue_max
    }

    /// An upper bound of [`LoadModel::facility_power`] over all steps: the largest PUE × the
    /// sum of each profile's maximum. It is reached only if the profiles peak together over a
    /// whole step (at the hottest hour).
    pub fn peak_facility_power(&self) -> Power {
        Power::mw(self.peak_it_mw * self.pue_max)
    }

    /// The load's tiers, if it has them (see [`super::tiers`]).
    #[inline]
    pub fn tiers(&self) -> Option<&Tiers> {
        self.tiers.as_deref()
    }

    /// The tiers' loads over step `k` with the battery drawing `aux` (`None` without tiers).
    ///
    /// # Panics
    /// As [`LoadModel::it_power`].
    pub fn tier_loads(&self, k: u64, aux: Power) -> Option<TierLoads> {
        let tiers = self.tiers.as_deref()?;
        let a = k * self.step_ms;
        let it = self.it.average(k, a);
        let deferrable = tiers.deferrable.average(k, a);
        Some(tiers.loads(it, deferrable, self.pue_at(k), aux.value()))
    }

    /// The average deferrable IT power over step `k` (zero without tiers).
    ///
    /// # Panics
    /// As [`LoadModel::it_power`].
    pub fn deferrable_it_power(&self, k: u64) -> Power {
        match self.tiers.as_deref() {
            Some(t) => Power::mw(t.deferrable.average(k, k * self.step_ms)),
            None => Power::ZERO,
        }
    }

    /// How many profiles are evaluated per step: `(tabulated, evaluated)` (tests only).
    #[cfg(test)]
    pub(super) fn varying_profiles(&self) -> (usize, usize) {
        (self.it.tables.len(), self.it.profiles.len())
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::*;
    use crate::units::{Fraction, Power};

    #[test]
    fn constant_profile() {
        let g = grid("15m", "1d");
        let m = model(vec![constant(7.5)], &g);
        for k in 0..g.steps() {
            assert_close(m.it_power(k).value(), 7.5, "constant");
        }
        assert_eq!(m.varying_profiles(), (0, 0), "a constant must be folded");
        assert_close(m.peak_facility_power().value(), 7.5, "peak");
    }

    #[test]
    fn profiles_add_and_pue_scales() {
        let g = grid("1h", "1d");
        let mut shape = vec![Fraction::ratio(0.5); 24];
        shape[12] = Fraction::ONE;
        let p = LoadParams {
            pue: 1.4.into(),
            it: vec![
                constant(2.0),
                constant(1.0),
                ItProfile::Daily(DailyShape {
                    peak_mw: Power::mw(4.0),
                    shape,
                    tier: ItTier::Critical,
                }),
            ],
            tiers: None,
        };
        let m = LoadModel::new(&p, &g).unwrap();
        assert_close(m.pue(), 1.4, "pue");
        assert_close(m.it_power(0).value(), 5.0, "it at 0h");
        assert_close(m.it_power(12).value(), 7.0, "it at 12h");
        assert_close(m.facility_power(0).value(), 7.0, "facility at 0h");
        assert_close(m.facility_power(12).value(), 9.8, "facility at 12h");
        assert_close(m.peak_facility_power().value(), 9.8, "peak");
        for k in 0..g.steps() {
            assert!(m.facility_power(k) <= m.peak_facility_power());
        }
    }
}
