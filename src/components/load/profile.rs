//! Exact step averages of the analytic profiles: the training swing (with its checkpoint dips)
//! and the daily shape. Each evaluator integrates its waveform in closed form over a step
//! `[a, a + step)` (integer milliseconds) and divides by the step; nothing is sampled.

use super::params::{ValidDip, ValidSwing};
use super::resample::TraceHold;
use crate::time::TimeGrid;

/// Milliseconds in one hour.
const HOUR_MS: u64 = 3_600_000;
/// Milliseconds in one day.
pub(super) const DAY_MS: u64 = 24 * HOUR_MS;

/// A profile compiled for one grid.
// A short-lived return value of the compile functions: its size does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Clone)]
pub(super) enum Compiled {
    /// The same step average at every step, MW.
    Constant(f64),
    /// A step average that depends on the step.
    Varying(Profile),
}

/// A profile whose step average varies, ready for the hot loop.
// Stored inline in a short `Vec` so the hot loop reads each profile without a pointer chase.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub(super) enum Profile {
    Swing(SwingEval),
    Daily(DailyEval),
    /// A trace at least as fine as the grid: the step averages, precomputed (one per step).
    TraceAveraged(Vec<f64>),
    /// A trace coarser than the grid, held.
    TraceHeld(TraceHold),
}

impl Profile {
    /// The average power (MW) over step `k`, which starts at `a` ms.
    #[inline]
    pub(super) fn average(&self, k: u64, a: u64) -> f64 {
        match self {
            Profile::Swing(s) => s.average(a),
            Profile::Daily(d) => d.average(a),
            Profile::TraceAveraged(v) => v[k as usize],
            Profile::TraceHeld(t) => t.average(a),
        }
    }

    /// The period of the profile's step averages in milliseconds, if it is periodic.
    pub(super) fn period_ms(&self) -> Option<u64> {
        match self {
            // `every` is a whole number of swing periods, so the pattern repeats every `every`.
            Profile::Swing(sw) => Some(match &sw.dip {
                Some(dip) => dip.every.p,
                None => sw.period.p,
            }),
            Profile::Daily(_) => Some(DAY_MS),
            Profile::TraceAveraged(_) | Profile::TraceHeld(_) => None,
        }
    }
}

/// Where a step of a periodic function starts and ends: `b = a + s` with
/// `b div P − a div P = cycles` and the positions within the period.
#[derive(Debug, Clone, Copy)]
struct Span {
    cycles: u64,
    ra: u64,
    rb: u64,
}

/// A period `P` and a step `s`, with `s div P` and `s mod P` precomputed.
#[derive(Debug, Clone, Copy)]
pub(super) struct Periodic {
    p: u64,
    s_div: u64,
    s_rem: u64,
}

impl Periodic {
    fn new(period: u64, step: u64) -> Periodic {
        Periodic {
            p: period,
            s_div: step / period,
            s_rem: step % period,
        }
    }

    /// The span of `[a, a + s)`, with one division.
    #[inline]
    fn span(self, a: u64) -> Span {
        let ra = a % self.p;
        let mut rb = ra + self.s_rem;
        let mut cycles = self.s_div;
        if rb >= self.p {
            rb -= self.p;
            cycles += 1;
        }
        Span { cycles, ra, rb }
    }
}

// ---- training swing --------------------------------------------------------------------------

/// One period of the swing, with its cumulative integral `F(t) = ∫₀ᵗ p` (MW·ms) at the knots.
#[derive(Debug, Clone, Copy)]
struct SwingShape {
    low: f64,
    high: f64,
    /// (high − low) / ramp, MW per ms (0 without ramp).
    slope: f64,
    r: u64,
    d: u64,
    dr: u64,
    f_r: f64,
    f_d: f64,
    f_dr: f64,
    /// `F(P)`.
    i_p: f64,
}

impl SwingShape {
    fn new(s: &ValidSwing) -> SwingShape {
        let (low, high, r, d, p) = (s.low, s.high, s.ramp, s.on, s.period);
        let slope = if r == 0 { 0.0 } else { (high - low) / r as f64 };
        let f_r = (low + high) * 0.5 * r as f64;
        let f_d = f_r + high * (d - r) as f64;
        let f_dr = f_d + (low + high) * 0.5 * r as f64;
        let i_p = f_dr + low * (p - d - r) as f64;
        SwingShape {
            low,
            high,
            slope,
            r,
            d,
            dr: d + r,
            f_r,
            f_d,
            f_dr,
            i_p,
        }
    }

    /// `F(t)` for `0 ≤ t < P`.
    #[inline]
    fn integral_to(&self, t: u64) -> f64 {
        if t < self.r {
            let t = t as f64;
            t * (self.low + 0.5 * self.slope * t)
        } else if t < self.d {
            self.f_r + self.high * (t - self.r) as f64
        } else if t < self.dr {
            let u = (t - self.d) as f64;
            self.f_d + u * (self.high - 0.5 * self.slope * u)
        } else {
            self.f_dr + self.low * (t - self.dr) as f64
        }
    }
}

/// The checkpoint dips as a correction `C` to the swing's integral: `C(t)` is the integral of
/// `level − swing` over the part of `[0, t)` inside the dip `[E − d, E)` of one interval `E`.
#[derive(Debug, Clone, Copy)]
struct DipEval {
    every: Periodic,
    level: f64,
    /// Start of the dip within the interval, `E − d`.
    t0: u64,
    /// `t0 div P` and `F(t0 mod P)`.
    q0: u64,
    f0: f64,
    /// `C(E)`, the correction of one whole interval.
    c_e: f64,
}

impl DipEval {
    fn new(dip: &ValidDip, period: u64, shape: &SwingShape, step: u64) -> DipEval {
        let (e, dur, level) = (dip.every, dip.duration, dip.level);
        let t0 = e - dur;
        let (q0, r0) = (t0 / period, t0 % period);
        let f0 = shape.integral_to(r0);
        // The swing over the dip [t0, E): E is a whole number of periods.
        let swing_in_dip = (e / period - q0) as f64 * shape.i_p - f0;
        DipEval {
            every: Periodic::new(e, step),
            level,
            t0,
            q0,
            f0,
            c_e: level * dur as f64 - swing_in_dip,
        }
    }

    /// `C(t)` for `0 ≤ t < E`.
    #[inline]
    fn correction_to(&self, t: u64, period: u64, shape: &SwingShape) -> f64 {
        if t <= self.t0 {
            return 0.0;
        }
        let (q, r) = (t / period, t % period);
        let swing = (q - self.q0) as f64 * shape.i_p + shape.integral_to(r) - self.f0;
        self.level * (t - self.t0) as f64 - swing
    }
}

#[derive(Debug, Clone, Copy)]
pub(super) struct SwingEval {
    shape: SwingShape,
    period: Periodic,
    dip: Option<DipEval>,
    inv_step: f64,
}

impl SwingEval {
    #[inline]
    fn average(&self, a: u64) -> f64 {
        let sp = self.period.span(a);
        let mut int = sp.cycles as f64 * self.shape.i_p + self.shape.integral_to(sp.rb)
            - self.shape.integral_to(sp.ra);
        if let Some(dip) = &self.dip {
            let se = dip.every.span(a);
            int += se.cycles as f64 * dip.c_e
                + dip.correction_to(se.rb, self.period.p, &self.shape)
                - dip.correction_to(se.ra, self.period.p, &self.shape);
        }
        // The integral is a difference of running sums: where the waveform is near zero, rounding
        // can leave a tiny negative average of a non-negative power (found by the fuzz harness:
        // −2e-14 MW for a checkpoint dip to ≈0). A load is never negative.
        (int * self.inv_step).max(0.0)
    }
}

/// Compiles a validated swing for steps of `step` ms; also returns its peak power, MW.
pub(super) fn compile_swing(s: &ValidSwing, step: u64) -> (Compiled, f64) {
    let shape = SwingShape::new(s);
    let p = s.period;
    let dip = s.dip.as_ref().map(|d| DipEval::new(d, p, &shape, step));
    let peak = match &s.dip {
        Some(d) => s.high.max(d.level),
        None => s.high,
    };
    // Whole periods (and whole checkpoint intervals) per step: the same average every step.
    let whole = step % p == 0
        && match &dip {
            None => true,
            Some(dp) => step % dp.every.p == 0,
        };
    if whole {
        let mean = match &dip {
            None => shape.i_p / p as f64,
            Some(dp) => {
                let e = dp.every.p;
                ((e / p) as f64 * shape.i_p + dp.c_e) / e as f64
            }
        };
        return (Compiled::Constant(mean), peak);
    }
    (
        Compiled::Varying(Profile::Swing(SwingEval {
            shape,
            period: Periodic::new(p, step),
            dip,
            inv_step: 1.0 / step as f64,
        })),
        peak,
    )
}

// ---- daily shape -----------------------------------------------------------------------------

#[derive(Debug, Clone)]
pub(super) struct DailyEval {
    /// Power of each hour, MW.
    hourly: [f64; 24],
    /// `cum[h]`: integral from midnight to hour `h`, MW·ms.
    cum: [f64; 24],
    /// Integral over a whole day, MW·ms.
    i_day: f64,
    /// Milliseconds from local midnight to the grid start.
    start_ms: u64,
    s_div: u64,
    s_rem: u64,
    step_ms: u64,
    inv_step: f64,
}

impl DailyEval {
    /// Integral from midnight to `u` (`0 ≤ u < 1 day`), MW·ms.
    #[inline]
    fn integral_to(&self, u: u64) -> f64 {
        let h = (u / HOUR_MS) as usize;
        self.cum[h] + self.hourly[h] * (u - h as u64 * HOUR_MS) as f64
    }

    #[inline]
    fn average(&self, a: u64) -> f64 {
        let ra = (a + self.start_ms) % DAY_MS;
        let h = ra / HOUR_MS;
        if ra - h * HOUR_MS + self.step_ms <= HOUR_MS {
            // The whole step lies within one hour.
            return self.hourly[h as usize];
        }
        let mut rb = ra + self.s_rem;
        let mut days = self.s_div;
        if rb >= DAY_MS {
            rb -= DAY_MS;
            days += 1;
        }
        let int = days as f64 * self.i_day + self.integral_to(rb) - self.integral_to(ra);
        // As for the swing: rounding in the difference must not make a load negative.
        (int * self.inv_step).max(0.0)
    }
}

/// Compiles a validated daily shape (the power of each hour, MW) for `grid`; also returns its
/// peak power, MW.
pub(super) fn compile_daily(hourly: [f64; 24], grid: &TimeGrid) -> (Compiled, f64) {
    let mut cum = [0.0; 24];
    let mut acc = 0.0;
    for (h, &mw) in hourly.iter().enumerate() {
        cum[h] = acc;
        acc += mw * HOUR_MS as f64;
    }
    let max = hourly.iter().copied().fold(0.0, f64::max);
    let step = grid.step().as_millis();
    if step % DAY_MS == 0 {
        return (Compiled::Constant(acc / DAY_MS as f64), max);
    }
    (
        Compiled::Varying(Profile::Daily(DailyEval {
            hourly,
            cum,
            i_day: acc,
            start_ms: grid.start_ms_of_day(),
            s_div: step / DAY_MS,
            s_rem: step % DAY_MS,
            step_ms: step,
            inv_step: 1.0 / step as f64,
        })),
        max,
    )
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::*;
    use crate::time::TimeGrid;
    use crate::units::{Duration, Fraction, Power};
    use rand::Rng as _;

    #[test]
    fn hourly_swing_is_its_mean() {
        let g = grid("1h", "1d");
        for ramp in ["0s", "200ms"] {
            let s = swing(10.6, 5.3, "2s", 0.8, ramp);
            let m = model(vec![ItProfile::TrainingSwing(s)], &g);
            for k in 0..g.steps() {
                assert_close(m.it_power(k).value(), 5.3 + 5.3 * 0.8, ramp);
            }
            assert_close(m.peak_facility_power().value(), 10.6, "peak");
        }
        // A period that does not divide the step (7 s into 1 h): the general path.
        let s = swing(9.0, 3.0, "7s", 0.5, "500ms");
        let d = (0.5f64 * 7000.0).round();
        let mean = 3.0 + 6.0 * d / 7000.0;
        let m = model(vec![ItProfile::TrainingSwing(s.clone())], &g);
        let (tabulated, evaluated) = m.varying_profiles();
        assert_eq!(tabulated + evaluated, 1);
        let mut total = 0.0;
        for k in 0..g.steps() {
            total += m.it_power(k).value();
        }
        // 24 h = 12342 full periods + 6 s; check the day's mean against the exact integral.
        let day = 86_400_000.0;
        let full = (86_400_000u64 / 7000) as f64;
        let rest: f64 = (0..6000).map(|t| swing_value(&s, t as f64 + 0.5)).sum();
        assert_close(
            total / 24.0,
            (full * mean * 7000.0 + rest) / day,
            "7 s period",
        );
    }

    #[test]
    fn checkpoint_dips_lower_the_hourly_mean() {
        let mut s = swing(10.6, 5.3, "2s", 0.8, "200ms");
        s.checkpoint = Some(Checkpoint {
            every: Duration::from_minutes(60),
            duration: Duration::from_secs(60),
            level_mw: None,
        });
        let mean = 5.3 + 5.3 * 0.8;
        let dipped = mean - (60.0 / 3600.0) * (mean - 5.3);
        let g = grid("1h", "1d");
        let m = model(vec![ItProfile::TrainingSwing(s.clone())], &g);
        for k in 0..g.steps() {
            assert_close(m.it_power(k).value(), dipped, "hourly with dip");
        }
        // 30 min steps: the first half-hour of each hour has no dip, the second has all of it.
        let g = grid("30m", "1d");
        let m = model(vec![ItProfile::TrainingSwing(s.clone())], &g);
        for k in 0..g.steps() {
            let want = if k % 2 == 0 {
                mean
            } else {
                mean - (60.0 / 1800.0) * (mean - 5.3)
            };
            assert_close(m.it_power(k).value(), want, "half-hourly with dip");
        }
        // 1 s steps: the dip is exactly 59:00–60:00.
        let g = grid("1s", "2h");
        let m = model(vec![ItProfile::TrainingSwing(s.clone())], &g);
        for k in [0, 1, 3538, 3539, 3600, 3601, 7139] {
            let want: f64 = (0..1000)
                .map(|t| swing_value(&s, (k * 1000 + t) as f64 + 0.5))
                .sum::<f64>()
                / 1000.0;
            assert_close(m.it_power(k).value(), want, "1 s outside the dip");
        }
        for k in (3540..3600).chain(7140..7200) {
            assert_close(m.it_power(k).value(), 5.3, "1 s in the dip");
        }
        // A custom level.
        s.checkpoint.as_mut().unwrap().level_mw = Some(Power::mw(1.0));
        let g = grid("1h", "1d");
        let m = model(vec![ItProfile::TrainingSwing(s)], &g);
        assert_close(
            m.it_power(3).value(),
            mean - (60.0 / 3600.0) * (mean - 1.0),
            "custom level",
        );
    }

    #[test]
    fn fine_steps_reproduce_the_waveform() {
        let g = grid("100ms", "10s");
        let m = model(
            vec![ItProfile::TrainingSwing(swing(
                10.0, 4.0, "2s", 0.8, "200ms",
            ))],
            &g,
        );
        for cycle in 0..5 {
            let k0 = cycle * 20;
            // Up-ramp [0, 200ms): the first 100 ms average 4 + 6·0.25, the next 4 + 6·0.75.
            assert_close(m.it_power(k0).value(), 5.5, "up-ramp first half");
            assert_close(m.it_power(k0 + 1).value(), 8.5, "up-ramp second half");
            for k in 2..16 {
                assert_close(m.it_power(k0 + k).value(), 10.0, "plateau");
            }
            assert_close(m.it_power(k0 + 16).value(), 8.5, "down-ramp first half");
            assert_close(m.it_power(k0 + 17).value(), 5.5, "down-ramp second half");
            for k in 18..20 {
                assert_close(m.it_power(k0 + k).value(), 4.0, "trough");
            }
        }
        // A 200 ms step is the whole ramp: its mean.
        let g = grid("200ms", "10s");
        let m = model(
            vec![ItProfile::TrainingSwing(swing(
                10.0, 4.0, "2s", 0.8, "200ms",
            ))],
            &g,
        );
        assert_close(m.it_power(0).value(), 7.0, "whole up-ramp");
    }

    #[test]
    fn step_average_equals_brute_force_sampling() {
        let mut rng = crate::rng::stream(20_240_817, 0);
        for case in 0..40 {
            let period = rng.random_range(2..3000u64);
            let duty = rng.random_range(0.05..=1.0);
            let d = (duty * period as f64).round() as u64;
            let ramp = rng.random_range(0..=d.min(period - d));
            let low = rng.random_range(0.0..5.0);
            let high = low + rng.random_range(0.0..5.0);
            let mut s = TrainingSwing {
                high_mw: Power::mw(high),
                low_mw: Power::mw(low),
                period: Duration::from_millis(period),
                duty: Fraction::ratio(duty),
                ramp: Duration::from_millis(ramp),
                checkpoint: None,
                tier: Default::default(),
            };
            if case % 2 == 1 {
                let every = period * rng.random_range(1..20u64);
                if every > 1 {
                    s.checkpoint = Some(Checkpoint {
                        every: Duration::from_millis(every),
                        duration: Duration::from_millis(rng.random_range(1..every)),
                        level_mw: Some(Power::mw(rng.random_range(0.0..3.0))),
                    });
                }
            }
            let step = rng.random_range(1..5000u64);
            let g = TimeGrid::with_steps(Duration::from_millis(step), 1_000_000_000).unwrap();
            let m = model(vec![ItProfile::TrainingSwing(s.clone())], &g);
            for _ in 0..5 {
                let k = match rng.random_range(0..3) {
                    0 => rng.random_range(0..100u64),
                    1 => rng.random_range(0..1_000_000_000u64),
                    _ => 999_999_999,
                };
                let a = k * step;
                // Midpoint sampling is exact on each 1 ms cell (the knots are whole ms).
                let want = (0..step)
                    .map(|t| swing_value(&s, (a + t) as f64 + 0.5))
                    .sum::<f64>()
                    / step as f64;
                assert_close(m.it_power(k).value(), want, &format!("case {case}, k {k}"));
            }
        }
    }

    #[test]
    fn daily_shape_at_several_steps() {
        let (d, mw) = daily(20.0);
        let g = grid("1h", "3d");
        let m = model(vec![ItProfile::Daily(d.clone())], &g);
        for k in 0..g.steps() {
            assert_close(m.it_power(k).value(), mw[(k % 24) as usize], "hourly");
        }
        let g = grid("15m", "2d");
        let m = model(vec![ItProfile::Daily(d.clone())], &g);
        for k in 0..g.steps() {
            assert_close(m.it_power(k).value(), mw[(k / 4 % 24) as usize], "15 min");
        }
        let mean = mw.iter().sum::<f64>() / 24.0;
        let g = grid("1d", "7d");
        let m = model(vec![ItProfile::Daily(d.clone())], &g);
        for k in 0..g.steps() {
            assert_close(m.it_power(k).value(), mean, "daily");
        }
        // Steps that cross midnight and are not whole hours: 5 h steps.
        let g = grid("5h", "5d");
        let m = model(vec![ItProfile::Daily(d)], &g);
        for k in 0..g.steps() {
            let want = (0..5).map(|h| mw[((5 * k + h) % 24) as usize]).sum::<f64>() / 5.0;
            assert_close(m.it_power(k).value(), want, "5 h");
        }
        assert_close(m.peak_facility_power().value(), mw[23], "peak");
    }

    #[test]
    fn daily_shape_follows_the_calendar_start() {
        let (d, mw) = daily(10.0);
        let start = jiff::civil::date(2025, 6, 1).at(6, 0, 0, 0);
        let g = grid("15m", "1d").starting_at(start);
        let m = model(vec![ItProfile::Daily(d.clone())], &g);
        for k in 0..g.steps() {
            assert_close(
                m.it_power(k).value(),
                mw[((6 + k / 4) % 24) as usize],
                "15 min from 06:00",
            );
        }
        // Starting at 06:30, an hourly step is half of one hour and half of the next.
        let start = jiff::civil::date(2025, 6, 1).at(6, 30, 0, 0);
        let g = grid("1h", "2d").starting_at(start);
        let m = model(vec![ItProfile::Daily(d)], &g);
        for k in 0..g.steps() {
            let h = (6 + k) as usize;
            let want = 0.5 * (mw[h % 24] + mw[(h + 1) % 24]);
            assert_close(m.it_power(k).value(), want, "1 h from 06:30");
        }
    }
}
