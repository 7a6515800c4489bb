//! Tabulated periodic profiles: a profile whose step averages repeat every `n` steps is replaced
//! at build time by one period of them, so the hot loop reads `values[k mod n]`.
//!
//! The index is the hardware remainder `k % n`. A floating-point reciprocal division
//! (`FastDiv`) used to stand here; `benches/load.rs` (`load/index/div` against
//! `load/index/fastdiv`) measured no gain from it on this path, so it was removed.

use super::profile::Profile;

/// Largest table of step averages a periodic profile is replaced by (8 MiB of `f64`).
pub(super) const TABLE_LIMIT: u64 = 1 << 20;

/// A periodic profile whose step averages repeat every `values.len()` steps, precomputed with the
/// exact evaluator: step `k` reads `values[k mod n]`.
#[derive(Debug, Clone)]
pub(super) struct Table {
    /// One period of step averages, MW.
    values: Vec<f64>,
}

impl Table {
    /// The step average of step `k`, MW.
    #[inline]
    pub(super) fn average(&self, k: u64) -> f64 {
        self.values[(k % self.values.len() as u64) as usize]
    }
}

/// Turns a periodic profile into the table of its step averages when its period in steps,
/// `lcm(profile period, step) / step`, is at most [`TABLE_LIMIT`]. The table holds exactly the
/// values the evaluator computes, so this changes speed, not results.
pub(super) fn tabulate(p: &Profile, step_ms: u64) -> Option<Table> {
    let period_ms = p.period_ms()?;
    let n = period_ms / gcd(period_ms, step_ms);
    if n > TABLE_LIMIT {
        return None;
    }
    let values = (0..n).map(|k| p.average(k, k * step_ms)).collect();
    Some(Table { values })
}

/// Greatest common divisor.
fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::ItProfile;
    use super::*;
    use crate::components::load::profile::{compile_daily, compile_swing, Compiled};
    use crate::units::{Duration, Power};

    /// A tabulated profile reads, at every step, what its exact evaluator computes: bit for bit
    /// in the first period (the table is made of those values), and within [`TOL`] later, where
    /// the evaluator adds whole periods in floating point.
    fn assert_table_matches(p: &Profile, step_ms: u64) {
        let table = tabulate(p, step_ms).expect("a short period is tabulated");
        let n = table.values.len() as u64;
        for k in 0..n {
            assert_eq!(
                table.average(k).to_bits(),
                p.average(k, k * step_ms).to_bits()
            );
        }
        for k in (0..5 * n).chain([1_000_003 * n + 7, 87_600 * n / 3]) {
            assert_close(table.average(k), p.average(k, k * step_ms), "later period");
        }
    }

    #[test]
    fn tabulating_changes_speed_not_results() {
        let mut s = swing(10.6, 5.3, "2s", 0.8, "200ms");
        s.checkpoint = Some(super::super::Checkpoint {
            every: Duration::from_minutes(60),
            duration: Duration::from_secs(60),
            level_mw: Some(Power::mw(1.0)),
        });
        for step in [100, 700, 60_000, 7_000] {
            let valid = s.validate("load.it[0]").unwrap();
            let Compiled::Varying(p) = compile_swing(&valid, step).0 else {
                panic!("a swing with dips varies at a {step} ms step");
            };
            assert_table_matches(&p, step);
        }
        let (d, _) = daily(5.0);
        for (step, horizon) in [("15m", "1d"), ("5h", "5d"), ("7m", "7d")] {
            let g = grid(step, horizon);
            let Compiled::Varying(p) = compile_daily(d.validate("load.it[0]").unwrap(), &g).0
            else {
                panic!("a daily shape varies at a {step} step");
            };
            assert_table_matches(&p, g.step().as_millis());
        }
        // The model uses the table when the period is short, the evaluator when it is not.
        let g = grid("1m", "1d");
        let m = model(vec![ItProfile::TrainingSwing(s.clone())], &g);
        assert_eq!(m.varying_profiles(), (1, 0));
        s.period = Duration::from_millis(7);
        s.ramp = Duration::ZERO;
        s.checkpoint = None;
        let g = crate::time::TimeGrid::with_steps(Duration::from_millis(1009), 1000).unwrap();
        let m = model(vec![ItProfile::TrainingSwing(s)], &g);
        assert_eq!(
            m.varying_profiles(),
            (1, 0),
            "7 ms period, 1009 ms step: n = 7"
        );
    }

    #[test]
    fn long_periods_are_not_tabulated() {
        // Period 2^20 + 1 ms at 1 ms steps: n = 2^20 + 1 > TABLE_LIMIT.
        let s = swing(2.0, 1.0, &format!("{}ms", TABLE_LIMIT + 1), 0.5, "0s");
        let g = grid("1ms", "10s");
        let m = model(vec![ItProfile::TrainingSwing(s)], &g);
        assert_eq!(m.varying_profiles(), (0, 1));
    }
}
