//! The ambient temperature of a run, validated: the one hourly series every component that
//! follows the weather reads (the load's PUE curve; see [`crate::components::load`]).
//!
//! A scenario states it as an [`AmbientSource`], the same grammar as `[battery.thermal]`'s
//! `ambient` key: a constant (`25.0`, °C), `"austin_synthetic"` (the representative Austin year
//! of [`AmbientProfile::austin`]), a synthetic year (`{ synthetic = { … } }`) or an hourly CSV
//! trace (`{ trace = "file.csv", column = "temp_c" }`). A bundled or synthetic year starts at
//! the run's calendar start (its hour of the year, 1 January 00:00 being hour 0) and repeats; a
//! trace's row 0 is the run's first hour, and it repeats after its last row.
//!
//! Both the load's PUE curve and the battery's temperature-driven models
//! ([`crate::components::battery::lifetime`]) read it through [`Ambient`]: one validation, one
//! calendar rule.

pub use crate::components::battery::lifetime::{
    AmbientSource, AmbientTrace, NamedAmbient, SyntheticAmbient,
};
pub use crate::components::battery::thermal::{AmbientProfile, MAX_AMBIENT_C, MIN_AMBIENT_C};
use crate::error::{check_range, ConfigError};
use crate::time::TimeGrid;
use crate::units::Duration;

/// A validated ambient temperature (see the [module docs](self)).
#[derive(Debug, Clone, PartialEq)]
pub enum Ambient {
    /// The same temperature every hour, °C.
    Constant(f64),
    /// An hourly year (repeating) and the hour of it at which the run starts
    /// ([`Ambient::start_at`]).
    Hourly {
        /// The year's hours, °C.
        values: Vec<f64>,
        /// The hour of the year at which the run starts.
        offset_h: u64,
    },
    /// An hourly trace from the run's start (repeating), °C.
    Trace(Vec<f64>),
}

impl Ambient {
    /// Validates `source` (errors name `field`, or `{field}.trace` and the row for a trace's) for a
    /// run on `time`: [`Ambient::validate`], then [`Ambient::start_at`].
    ///
    /// # Errors
    /// As [`Ambient::validate`].
    pub fn new(
        source: &AmbientSource,
        field: &str,
        time: &TimeGrid,
    ) -> Result<Ambient, ConfigError> {
        let mut a = Ambient::validate(source, field)?;
        a.start_at(time);
        Ok(a)
    }

    /// Validates `source`: a constant or every row of a trace in [`MIN_AMBIENT_C`] ≤ x ≤
    /// [`MAX_AMBIENT_C`], a synthetic year's parameters, a trace that was read and has rows. A
    /// year starts at its hour 0 until [`Ambient::start_at`] moves it to a run's start.
    ///
    /// # Errors
    /// [`ConfigError::OutOfRange`] naming `field`, the value and the range;
    /// [`ConfigError::TraceOutOfRange`] naming `{field}.trace`, the file as the scenario names
    /// it, the 1-based data row, the value and the range; [`ConfigError::Missing`] for a trace not read or without rows; a synthetic year's
    /// errors.
    pub fn validate(source: &AmbientSource, field: &str) -> Result<Ambient, ConfigError> {
        Ok(match source {
            AmbientSource::Constant(t) => Ambient::Constant(check_range(
                field,
                *t,
                MIN_AMBIENT_C,
                MAX_AMBIENT_C,
                "−70 ≤ x ≤ 60 °C",
            )?),
            AmbientSource::Named(NamedAmbient::AustinSynthetic) => Ambient::Hourly {
                values: AmbientProfile::austin().hourly_c().to_vec(),
                offset_h: 0,
            },
            AmbientSource::Synthetic(s) => Ambient::Hourly {
                values: AmbientProfile::synthetic(&s.synthetic)?.hourly_c().to_vec(),
                offset_h: 0,
            },
            AmbientSource::Trace(t) => {
                let values = t.data.as_ref().ok_or_else(|| ConfigError::Missing {
                    field: format!("{field}.trace"),
                    why: "the trace was not read (load the scenario with Scenario::load, or \
                          call load_files on the parameters that name it)",
                })?;
                if values.is_empty() {
                    return Err(ConfigError::Missing {
                        field: format!("{field}.trace"),
                        why: "the ambient trace has no rows",
                    });
                }
                check_trace_values(values, &format!("{field}.trace"), &t.trace)?;
                // Row 0 is the run's first hour: no calendar offset.
                Ambient::Trace(values.clone())
            }
        })
    }

    /// Sets the hour of an hourly year at which a run on `time` starts: its calendar start's
    /// hour of the year (1 January 00:00 being 0; 29 February counts as 28 February; a grid
    /// without a calendar start starts on 1 January).
    pub fn start_at(&mut self, time: &TimeGrid) {
        if let Ambient::Hourly { offset_h, .. } = self {
            let start = time.start_or_default();
            let day = u64::from(start.day_of_year_no_leap().unwrap_or(59).unsigned_abs()) - 1;
            *offset_h = day * 24 + u64::from(start.hour().unsigned_abs());
        }
    }

    /// The temperature over the whole hour `hour` (from the run's start), °C.
    #[inline]
    pub fn at_hour(&self, hour: u64) -> f64 {
        match self {
            Ambient::Constant(t) => *t,
            Ambient::Hourly { values, offset_h } => {
                values[((hour + offset_h) % values.len() as u64) as usize]
            }
            Ambient::Trace(values) => values[(hour % values.len() as u64) as usize],
        }
    }

    /// Hours in one repetition of the series from the run's start (`None`: a constant).
    pub fn period_h(&self) -> Option<u64> {
        match self {
            Ambient::Constant(_) => None,
            Ambient::Hourly { values, .. } | Ambient::Trace(values) => Some(values.len() as u64),
        }
    }
}

/// The time integral of a function of the ambient temperature, `∫ f(T(t)) dt`, over any span
/// in O(1): prefix sums of `f` over one repetition of the hourly series (the temperature holds
/// for each whole hour, as [`Ambient::at_hour`] reads it).
///
/// A long stretch in which a battery rests ages it, and draws its temperature-driven auxiliary
/// load, as the integral of a function of the ambient over the stretch; with these sums a
/// fast-forward jumps a month of rest for the price of a step, where summing hour by hour would
/// cost the month's hours.
///
/// ```
/// use ridethrough::components::ambient::{Ambient, HourlyTable};
/// let a = Ambient::Trace(vec![10.0, 20.0, 30.0]);
/// let t = HourlyTable::new(&a, |c| 2.0 * c);
/// // Half of hour 1 (20 °C), hours 2 to 4 (30, 10, 20), a quarter of hour 5 (30): °C·h × 2.
/// let h = 3_600_000;
/// let want = 2.0 * (0.5 * 20.0 + 30.0 + 10.0 + 20.0 + 0.25 * 30.0);
/// assert!((t.integral_h(h + h / 2, 5 * h + h / 4) - want).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct HourlyTable {
    /// `f` of every hour of one repetition, in the series' own order.
    values: Vec<f64>,
    /// `prefix[i] = Σ values[..i]`.
    prefix: Vec<f64>,
    /// The series' hour at the run's start ([`Ambient::start_at`]).
    offset_h: u64,
    /// `values.len()`, for the remainder a step's lookup takes.
    period: Divisor,
}

/// A divisor with its reciprocal, for remainders without a hardware division (D. Lemire,
/// O. Kaser, N. Kurz, "Faster remainder by direct computation", Software: Practice and
/// Experience 49(6), 2019): exact for every dividend below 2³², a hardware remainder above.
/// A step reads its hour's table entries this way; a 64-bit division costs tens of cycles,
/// more than the rest of the lookup.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Divisor {
    d: u64,
    /// `⌈2⁶⁴ / d⌉` (wrapping: 0 for `d` = 1, whose remainder is 0).
    m: u64,
}

impl Divisor {
    fn new(d: u64) -> Divisor {
        debug_assert!(d > 0 && d < 1 << 32);
        Divisor {
            d,
            m: (u64::MAX / d).wrapping_add(1),
        }
    }

    /// `a % d`.
    #[inline]
    fn rem(self, a: u64) -> u64 {
        if a >> 32 != 0 {
            return a % self.d;
        }
        let low = self.m.wrapping_mul(a);
        ((u128::from(low) * u128::from(self.d)) >> 64) as u64
    }
}

impl HourlyTable {
    /// The table of `f` over `ambient` (one entry for a constant).
    pub fn new(ambient: &Ambient, f: impl Fn(f64) -> f64) -> HourlyTable {
        let (temps, offset_h): (&[f64], u64) = match ambient {
            Ambient::Constant(t) => (std::slice::from_ref(t), 0),
            Ambient::Hourly { values, offset_h } => (values, *offset_h),
            Ambient::Trace(values) => (values, 0),
        };
        let values: Vec<f64> = temps.iter().map(|&t| f(t)).collect();
        let mut prefix = Vec::with_capacity(values.len() + 1);
        let mut sum = 0.0;
        prefix.push(sum);
        for &v in &values {
            sum += v;
            prefix.push(sum);
        }
        HourlyTable {
            period: Divisor::new(values.len() as u64),
            values,
            prefix,
            offset_h,
        }
    }

    /// Follows the ambient's start hour (after [`Ambient::start_at`] moved it).
    pub fn start_at(&mut self, ambient: &Ambient) {
        if let Ambient::Hourly { offset_h, .. } = ambient {
            self.offset_h = *offset_h;
        }
    }

    /// `f` over the whole hour `hour` from the run's start (bit for bit `f(ambient.at_hour(hour))`).
    #[inline]
    pub fn at_hour(&self, hour: u64) -> f64 {
        self.values[self.period.rem(hour + self.offset_h) as usize]
    }

    /// `Σ f` over the series' first `n` hours counted from its own hour 0, repetitions included.
    #[inline]
    fn cumulative(&self, n: u64) -> f64 {
        let p = self.values.len() as u64;
        (n / p) as f64 * self.prefix[p as usize] + self.prefix[(n % p) as usize]
    }

    /// `Σ f` over the whole hours `h0..h1` from the run's start, f·h.
    #[inline]
    pub fn sum_hours(&self, h0: u64, h1: u64) -> f64 {
        if h1 <= h0 {
            return 0.0;
        }
        self.cumulative(h1 + self.offset_h) - self.cumulative(h0 + self.offset_h)
    }

    /// `∫ f(T(t)) dt` over `[t0, t1)` ms from the run's start, in f·h: the partial first and last
    /// hours by their share, the whole hours between from the prefix sums.
    pub fn integral_h(&self, t0: u64, t1: u64) -> f64 {
        const HOUR: u64 = crate::units::MS_PER_HOUR;
        if t1 <= t0 {
            return 0.0;
        }
        let (h0, h1) = (t0 / HOUR, (t1 - 1) / HOUR);
        let share = |a: u64, b: u64| (b - a) as f64 / HOUR as f64;
        let i0 = self.period.rem(h0 + self.offset_h) as usize;
        if h0 == h1 {
            return self.values[i0] * share(t0, t1);
        }
        let first = self.values[i0] * share(t0, (h0 + 1) * HOUR);
        // Within one repetition (the usual case): the series' hours `i0 ..= i1` in order, the
        // whole ones between from two prefix sums, no division.
        // (`i0 < 2³²` and `h1 < 2⁶⁴ / 3.6e6`: the sum cannot overflow.)
        let i1 = i0 as u64 + (h1 - h0);
        let (between, last) = if i1 < self.values.len() as u64 {
            let i1 = i1 as usize;
            (self.prefix[i1] - self.prefix[i0 + 1], self.values[i1])
        } else {
            (self.sum_hours(h0 + 1, h1), self.at_hour(h1))
        };
        first + between + last * share(h1 * HOUR, t1)
    }

    /// The latest time `t ≥ t0` (ms from the run's start) at which `∫ f dt` over `[t0, t)` is
    /// still at most `amount` (f·h), for a non-negative `f`: the inverse of
    /// [`HourlyTable::integral_h`], rounded down to the millisecond. `u64::MAX` when the
    /// integral never gets there (an `f` that is zero over a whole repetition, an infinite
    /// `amount`, or a time beyond `u64`). Whole repetitions come from the total, the hour from a
    /// galloping search of the prefix sums, the millisecond from a division: O(log hours to
    /// go).
    ///
    /// ```
    /// use ridethrough::components::ambient::{Ambient, HourlyTable};
    /// let table = HourlyTable::new(&Ambient::Trace(vec![1.0, 3.0]), |t| t);
    /// // From 00:30: half an hour at 1 (0.5), then 1.5 more at 3 an hour: 2.0 at 01:30.
    /// assert_eq!(table.reach_ms(1_800_000, 2.0), 5_400_000);
    /// ```
    pub fn reach_ms(&self, t0: u64, amount: f64) -> u64 {
        const HOUR: u64 = crate::units::MS_PER_HOUR;
        let p = self.values.len();
        let total = self.prefix[p];
        if amount.is_nan() || amount <= 0.0 {
            return t0;
        }
        if total <= 0.0 || amount / total > 1e12 {
            return u64::MAX;
        }
        // Measured from the start of `t0`'s hour, in the series' own hours.
        let h0 = t0 / HOUR;
        let mut lo = self.period.rem(h0 + self.offset_h) as usize;
        let mut left = amount + self.values[lo] * ((t0 - h0 * HOUR) as f64 / HOUR as f64);
        // Series hours before `lo`'s, from the run's start (wrapping: only differences count).
        let mut base_h = h0.wrapping_sub(lo as u64);
        let to_end = total - self.prefix[lo];
        if left >= to_end {
            left -= to_end;
            let reps = (left / total).floor();
            left -= reps * total;
            base_h = base_h.wrapping_add(p as u64 * (reps as u64 + 1));
            lo = 0;
        }
        // The last hour `i` (from `lo`) whose start the integral reaches (rounding may leave
        // `left` a hair below 0: then `lo`'s own).
        let left = left.max(0.0);
        let from = self.prefix[lo];
        let hours = &self.prefix[lo..=p];
        let within = |x: &f64| *x - from <= left;
        // Galloping from `lo` (the hour sought is usually hours or days away, not a year):
        // `hours[..=a]` are within, `hours[b]` (if any) is not.
        let mut b = 1;
        while b < hours.len() && within(&hours[b]) {
            b *= 2;
        }
        let a = b / 2;
        let b = b.min(hours.len());
        let reached = a + 1 + hours[a + 1..b].partition_point(within);
        let i = (lo + reached - 1).min(p - 1);
        let rest = left - (self.prefix[i] - from);
        let v = self.values[i];
        // `rest ≥ 0` (hour `i`'s start is within reach), so truncation is the floor.
        let ms = if v > 0.0 {
            ((rest / v * HOUR as f64) as u64).min(HOUR)
        } else {
            HOUR
        };
        let hour = base_h.wrapping_add(i as u64);
        hour.checked_mul(HOUR)
            .and_then(|t| t.checked_add(ms))
            .map_or(u64::MAX, |t| t.max(t0))
    }

    /// The largest value of `f` over the series.
    pub fn max(&self) -> f64 {
        self.values
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max)
    }
}

/// Reads an hourly ambient trace (°C) from the CSV file at `path` (the format of
/// [`crate::io::trace`]); errors name `field` and the file.
///
/// # Errors
/// [`ConfigError::TraceIo`] for a file that cannot be opened; those of
/// [`crate::io::trace::read_csv`]; [`ConfigError::TraceStep`] for a time column whose step is
/// not one hour; [`ConfigError::TraceOutOfRange`] for a row outside [`MIN_AMBIENT_C`] ≤ x ≤
/// [`MAX_AMBIENT_C`].
pub fn read_trace(
    path: &std::path::Path,
    field: &str,
    column: Option<&str>,
) -> Result<Vec<f64>, ConfigError> {
    let series = crate::io::trace::read_csv(path, field, column).map_err(|e| match e {
        ConfigError::Io { path, source } => ConfigError::TraceIo {
            field: field.into(),
            path,
            source,
        },
        e => e,
    })?;
    let hour = Duration::from_hours(1);
    if let Some(step) = series.step.filter(|&s| s != hour) {
        return Err(ConfigError::TraceStep {
            field: field.into(),
            path: path.to_path_buf(),
            found: step,
            expected: hour,
        });
    }
    check_trace_values(&series.values, field, path)?;
    Ok(series.values)
}

/// Checks that every row of an ambient trace is in [`MIN_AMBIENT_C`] ≤ x ≤ [`MAX_AMBIENT_C`].
///
/// # Errors
/// [`ConfigError::TraceOutOfRange`] naming `field`, `path`, the first bad row (1-based, after
/// the header) and its value.
fn check_trace_values(
    values: &[f64],
    field: &str,
    path: &std::path::Path,
) -> Result<(), ConfigError> {
    match values
        .iter()
        .position(|v| !(MIN_AMBIENT_C..=MAX_AMBIENT_C).contains(v))
    {
        None => Ok(()),
        Some(i) => Err(ConfigError::TraceOutOfRange {
            field: field.into(),
            path: path.to_path_buf(),
            row: i as u64 + 1,
            value: values[i],
            allowed: "−70 ≤ x ≤ 60 °C",
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::Duration;

    /// Two days at hourly steps from `start`, and the Austin year aligned to them.
    fn austin_from(start: &str) -> (TimeGrid, Ambient) {
        let grid = TimeGrid::new(Duration::from_hours(1), Duration::from_days(2))
            .unwrap()
            .try_starting_at(start.parse().unwrap())
            .unwrap();
        let a = Ambient::new(
            &AmbientSource::Named(NamedAmbient::AustinSynthetic),
            "x",
            &grid,
        )
        .unwrap();
        (grid, a)
    }

    #[test]
    fn a_year_starts_at_the_calendar_start_and_a_trace_at_the_run_start() {
        let (grid, a) = austin_from("2025-02-01T06:00:00");
        let austin = AmbientProfile::austin();
        assert_eq!(a.at_hour(0), austin.at_hour(31 * 24 + 6));
        assert_eq!(a.at_hour(5), austin.at_hour(31 * 24 + 11));
        let t = AmbientSource::Trace(AmbientTrace {
            trace: "t.csv".into(),
            column: None,
            data: Some(vec![1.0, 2.0]),
        });
        let a = Ambient::new(&t, "x", &grid).unwrap();
        assert_eq!((a.at_hour(0), a.at_hour(3)), (1.0, 2.0));
        let e = Ambient::new(&AmbientSource::Constant(99.0), "load.pue.ambient", &grid);
        assert!(e.unwrap_err().to_string().contains("load.pue.ambient"));
    }

    /// The table's integral is an hour-by-hour sum over a repeating, offset year, at any span.
    #[test]
    fn an_hourly_integral_is_the_hour_by_hour_sum() {
        let (_, a) = austin_from("2025-12-31T20:00:00");
        let f = |c: f64| (c / 10.0).exp();
        let mut t = HourlyTable::new(&a, f);
        t.start_at(&a);
        const H: u64 = crate::units::MS_PER_HOUR;
        for (t0, t1) in [
            (0, 1),
            (17, H - 3),
            (H / 3, 5 * H + 7),
            (2 * H, 9000 * H),
            (123_456, 3 * 8760 * H + 999_999),
            // Inside one repetition, the first and a later one.
            (400 * H + 1, 430 * H - 1),
            (2 * 8760 * H + 10 * H + 5, 2 * 8760 * H + 40 * H + 7),
        ] {
            let mut want = 0.0;
            for h in t0 / H..=(t1 - 1) / H {
                let (x, y) = ((h * H).max(t0), ((h + 1) * H).min(t1));
                want += f(a.at_hour(h)) * (y - x) as f64 / H as f64;
            }
            let got = t.integral_h(t0, t1);
            assert!(
                (got - want).abs() <= 1e-9 * want.abs().max(1.0),
                "{t0}..{t1}: {got} vs {want}"
            );
        }
        assert_eq!(t.at_hour(7).to_bits(), f(a.at_hour(7)).to_bits());
        let c = HourlyTable::new(&Ambient::Constant(30.0), f);
        assert!((c.integral_h(0, 10 * H) - 10.0 * f(30.0)).abs() < 1e-12);
    }

    /// The remainder by reciprocal is the hardware remainder, at the edges and at random.
    #[test]
    fn a_divisor_gives_the_remainder() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(3);
        for d in [
            1u64,
            2,
            3,
            7,
            24,
            8760,
            8784,
            65_537,
            1_000_003,
            (1 << 32) - 1,
        ] {
            let div = Divisor::new(d);
            for a in [0, 1, d - 1, d, d + 1, (1 << 32) - 1, 1 << 32, u64::MAX] {
                assert_eq!(div.rem(a), a % d, "{a} % {d}");
            }
            for _ in 0..10_000 {
                let a = rng.random::<u64>() >> rng.random_range(0..64);
                assert_eq!(div.rem(a), a % d, "{a} % {d}");
            }
        }
    }

    #[test]
    fn reach_is_the_inverse_of_the_integral() {
        use rand::{Rng, SeedableRng};
        let (_, austin) = austin_from("2025-03-01T00:00:00");
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(7);
        for table in [
            HourlyTable::new(&austin, |t| (0.05 * t).exp()),
            HourlyTable::new(&Ambient::Trace(vec![2.0, 0.0, 0.5]), |t| t),
            HourlyTable::new(&Ambient::Constant(1.5), |t| t),
        ] {
            for _ in 0..2000 {
                let t0 = rng.random_range(0..40_000 * crate::units::MS_PER_HOUR);
                let amount = rng.random_range(0.0..30_000.0) * rng.random::<f64>().powi(4);
                let t = table.reach_ms(t0, amount);
                let tol = 1e-9 * amount.max(1.0);
                assert!(t >= t0);
                assert!(table.integral_h(t0, t) <= amount + tol, "{t0} {amount}");
                assert!(table.integral_h(t0, t + 1) > amount - tol, "{t0} {amount}");
            }
            assert_eq!(table.reach_ms(5, f64::INFINITY), u64::MAX);
            assert_eq!(table.reach_ms(5, 0.0), 5);
        }
        assert_eq!(
            HourlyTable::new(&Ambient::Constant(0.0), |t| t).reach_ms(0, 1.0),
            u64::MAX
        );
    }
}
