//! Resampling a load trace onto the time grid: the exact time average, over each grid step, of
//! the trace as a piecewise-constant function of its own step (see
//! [`LoadTrace`](super::LoadTrace)).

use super::profile::{Compiled, Profile};
use crate::error::ConfigError;
use crate::time::TimeGrid;
use std::path::Path;

/// A trace coarser than the grid: a step overlaps at most two samples.
#[derive(Debug, Clone)]
pub(crate) struct TraceHold {
    values: Vec<f64>,
    /// The trace step, ms.
    t: u64,
    step_ms: u64,
    inv_step: f64,
}

impl TraceHold {
    /// The average over the step that starts at `a` ms.
    #[inline]
    pub(super) fn average(&self, a: u64) -> f64 {
        let (i, ra) = ((a / self.t) as usize, a % self.t);
        let end = ra + self.step_ms;
        if end <= self.t {
            self.values[i]
        } else {
            let first = (self.t - ra) as f64;
            let second = (end - self.t) as f64;
            (self.values[i] * first + self.values[i + 1] * second) * self.inv_step
        }
    }
}

/// The exact integral (MW·ms) over `[a, b)` of the piecewise-constant trace `values` of step `t`
/// ms, by walking the samples (`b ≤ values.len()·t`).
fn trace_integral(values: &[f64], t: u64, a: u64, b: u64) -> f64 {
    let mut sum = 0.0;
    let mut x = a;
    while x < b {
        let i = x / t;
        let end = ((i + 1) * t).min(b);
        sum += values[i as usize] * (end - x) as f64;
        x = end;
    }
    sum
}

/// A series resampled onto a time grid: the exact time average, over each grid step, of the
/// series as a piecewise-constant function of its own step. The load traces compile to it, and
/// so does the tariff's energy-price trace ([`crate::components::tariff`]): one resampling for
/// every trace a scenario names.
#[derive(Debug, Clone)]
pub(crate) enum Resampled {
    /// The grid is at least as coarse as the series: every step's average, precomputed (there
    /// are no more steps than samples).
    Averaged(Vec<f64>),
    /// The grid is finer than the series: a step overlaps at most two samples.
    Held(TraceHold),
}

impl Resampled {
    /// Resamples `values` (one every `t` ms, read from `path`) onto `grid`.
    ///
    /// # Errors
    /// [`ConfigError::TraceLength`] naming `field` if the series does not cover the horizon.
    pub(crate) fn new(
        mut values: Vec<f64>,
        t: u64,
        path: &Path,
        field: &str,
        grid: &TimeGrid,
    ) -> Result<Resampled, ConfigError> {
        let horizon = grid.horizon().as_millis();
        let needed = horizon.div_ceil(t);
        let n = values.len() as u64;
        if n < needed {
            return Err(ConfigError::TraceLength {
                field: field.to_string(),
                path: path.to_path_buf(),
                expected: needed,
                found: n,
            });
        }
        values.truncate(needed as usize);
        let step = grid.step().as_millis();
        let inv_step = 1.0 / step as f64;
        Ok(if step >= t {
            // At most one step per sample: precompute every step's average.
            Resampled::Averaged(
                (0..grid.steps())
                    .map(|k| trace_integral(&values, t, k * step, (k + 1) * step) * inv_step)
                    .collect(),
            )
        } else {
            Resampled::Held(TraceHold {
                values,
                t,
                step_ms: step,
                inv_step,
            })
        })
    }

    /// The average over step `k`, which starts at `a` ms.
    #[inline]
    pub(crate) fn average(&self, k: u64, a: u64) -> f64 {
        match self {
            Resampled::Averaged(v) => v[k as usize],
            Resampled::Held(h) => h.average(a),
        }
    }
}

/// Compiles a validated trace (`values` MW, one every `t` ms, read from `path`) for `grid`; also
/// returns its peak step average, MW.
///
/// # Errors
/// [`ConfigError::TraceLength`] naming `field` if the trace does not cover the horizon.
pub(super) fn compile_trace(
    values: Vec<f64>,
    t: u64,
    path: &Path,
    field: &str,
    grid: &TimeGrid,
) -> Result<(Compiled, f64), ConfigError> {
    match Resampled::new(values, t, path, field, grid)? {
        Resampled::Averaged(averages) => {
            let max = averages.iter().copied().fold(0.0, f64::max);
            Ok((Compiled::Varying(Profile::TraceAveraged(averages)), max))
        }
        Resampled::Held(hold) => {
            let max = hold.values.iter().copied().fold(0.0, f64::max);
            Ok((Compiled::Varying(Profile::TraceHeld(hold)), max))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::*;
    use crate::error::ConfigError;

    #[test]
    fn trace_averages_down() {
        let values: Vec<f64> = (0..3600).map(|i| 5.0 + ((i * 37) % 11) as f64).collect();
        let g = grid("1m", "1h");
        let m = model(vec![trace("1s", values.clone())], &g);
        for k in 0..g.steps() {
            let k = k as usize;
            let want = values[60 * k..60 * (k + 1)].iter().sum::<f64>() / 60.0;
            assert_close(m.it_power(k as u64).value(), want, "1 s → 1 min");
        }
        // Equal steps: the samples themselves.
        let g = grid("1s", "1h");
        let m = model(vec![trace("1s", values.clone())], &g);
        for k in [0u64, 1, 1234, 3599] {
            assert_close(m.it_power(k).value(), values[k as usize], "1 s → 1 s");
        }
    }

    #[test]
    fn trace_holds_up() {
        let values: Vec<f64> = (0..24).map(|h| 10.0 + h as f64).collect();
        let g = grid("15m", "1d");
        let m = model(vec![trace("1h", values.clone())], &g);
        for k in 0..g.steps() {
            assert_close(
                m.it_power(k).value(),
                values[(k / 4) as usize],
                "1 h → 15 min",
            );
        }
        assert_close(m.peak_facility_power().value(), 33.0, "peak");
    }

    /// The average over minutes `[a, b)` of a trace of one sample every `trace_min` minutes,
    /// minute by minute (independent of the code under test).
    fn by_minute(values: &[f64], trace_min: u64, a: u64, b: u64) -> f64 {
        (a..b)
            .map(|minute| values[(minute / trace_min) as usize])
            .sum::<f64>()
            / (b - a) as f64
    }

    #[test]
    fn trace_non_aligned_steps() {
        let values: Vec<f64> = (0..40).map(|i| 1.0 + (i % 7) as f64).collect();
        // Trace 40 min, grid 1 h: each step integrates 2–3 partial samples.
        let g = grid("1h", "24h");
        let m = model(vec![trace("40m", values.clone())], &g);
        for k in 0..g.steps() {
            let want = by_minute(&values, 40, k * 60, (k + 1) * 60);
            assert_close(m.it_power(k).value(), want, "40 min → 1 h");
        }
        assert_close(
            m.it_power(0).value(),
            (values[0] * 40.0 + values[1] * 20.0) / 60.0,
            "step 0",
        );
        // Trace 1 h, grid 40 min: steps straddle two samples.
        let g = grid("40m", "24h");
        let m = model(vec![trace("1h", values[..24].to_vec())], &g);
        for k in 0..g.steps() {
            let want = by_minute(&values, 60, k * 40, (k + 1) * 40);
            assert_close(m.it_power(k).value(), want, "1 h → 40 min");
        }
        assert_close(
            m.it_power(1).value(),
            0.5 * (values[0] + values[1]),
            "step 1",
        );
    }

    #[test]
    fn short_trace_is_an_error() {
        let g = grid("1h", "1d");
        let err = LoadModel::new(&params(vec![trace("40m", vec![1.0; 35])]), &g).unwrap_err();
        assert!(
            matches!(err, ConfigError::TraceLength { expected: 36, found: 35, ref field, .. }
                if field == "load.it[0]"),
            "{err:?}"
        );
        assert!(LoadModel::new(&params(vec![trace("40m", vec![1.0; 36])]), &g).is_ok());
    }
}
