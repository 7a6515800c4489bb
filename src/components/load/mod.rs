//! The datacenter load: facility power = IT power × PUE, where the IT power is the sum of one or
//! more [`ItProfile`]s.
//!
//! [`LoadParams`] is the serde-loaded `[load]` table of a scenario; [`LoadModel::new`] validates
//! it for one [`TimeGrid`] and precomputes everything the hot loop needs, after which
//! [`LoadModel::facility_power`] is a cheap, allocation-free lookup.
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

use crate::error::{check_non_negative, check_range, ConfigError};
use crate::time::TimeGrid;
use crate::units::{Duration, Power};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The PUE assumed when a scenario gives none: a new large build (DOMAIN: industry average 1.56,
/// new large builds ≈ 1.3).
pub const DEFAULT_PUE: f64 = 1.3;

/// Milliseconds in one hour.
const HOUR_MS: u64 = 3_600_000;
/// Milliseconds in one day.
const DAY_MS: u64 = 24 * HOUR_MS;

fn default_pue() -> f64 {
    DEFAULT_PUE
}

// ---- parameters ------------------------------------------------------------------------------

/// Parameters of the datacenter load: the `[load]` table of a scenario file. Validated by
/// [`LoadModel::new`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoadParams {
    /// Power usage effectiveness, facility power ÷ IT power; constant, `1 ≤ pue ≤ 5`.
    /// Defaults to [`DEFAULT_PUE`].
    #[serde(default = "default_pue")]
    pub pue: f64,
    /// The IT load profiles, summed; at least one.
    pub it: Vec<ItProfile>,
}

/// One component of the IT load. In TOML, an element of `[[load.it]]` with a `kind` key
/// (`"constant"`, `"training_swing"`, `"daily"` or `"trace"`) beside the variant's own keys.
/// Unknown keys are rejected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ItProfile {
    /// A constant IT power.
    Constant(ConstantProfile),
    /// A synchronous-training power swing, with optional checkpoint dips.
    TrainingSwing(TrainingSwing),
    /// A 24-hour shape, repeated every day.
    Daily(DailyShape),
    /// A measured or synthetic trace read from CSV.
    Trace(LoadTrace),
}

/// A constant IT power.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConstantProfile {
    /// The IT power, ≥ 0.
    pub it_mw: Power,
}

/// The power swing of synchronous AI training: every iteration alternates a compute phase (GPUs
/// near full power) and a communication phase (near idle).
///
/// Each period `P` is, with `D = round(duty·P)` whole milliseconds and `r = ramp`:
///
/// | interval      | power                    |
/// |---------------|--------------------------|
/// | `[0, r)`      | linear ramp low → high   |
/// | `[r, D)`      | high                     |
/// | `[D, D + r)`  | linear ramp high → low   |
/// | `[D + r, P)`  | low                      |
///
/// so the mean is exactly `low + (high − low)·D/P` whatever the ramp. Requires
/// `0 ≤ low ≤ high`, `P > 0`, `0 < duty ≤ 1`, `r ≤ D` and `D + r ≤ P`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingSwing {
    /// IT power of the compute phase.
    pub high_mw: Power,
    /// IT power of the communication phase (the trough).
    pub low_mw: Power,
    /// Length of one training iteration.
    pub period: Duration,
    /// Fraction of the period from the start of the up-ramp to the start of the down-ramp.
    pub duty: f64,
    /// Length of each linear ramp (0 for a square wave).
    #[serde(default)]
    pub ramp: Duration,
    /// Periodic checkpoint dips, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<Checkpoint>,
}

/// A checkpoint dip of a [`TrainingSwing`]: the power drops to `level_mw` during the **last**
/// `duration` of every `every` interval (with `every = "60m"`, `duration = "60s"`, the first dip
/// is 59:00–60:00).
///
/// `every` must be a whole multiple of the swing's period (so the swing phase is the same in
/// every dip), and `0 < duration < every`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    /// Interval between the starts of consecutive checkpoint intervals.
    pub every: Duration,
    /// Length of each dip.
    pub duration: Duration,
    /// IT power during a dip, ≥ 0 (default: the swing's `low_mw`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level_mw: Option<Power>,
}

/// A daily shape: the IT power during local hour `h` (0..=23) is `shape[h] × peak_mw`, piecewise
/// constant, the same every day. The hour of a time is taken from the grid's calendar start
/// ([`TimeGrid::start_ms_of_day`]) plus the offset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DailyShape {
    /// The power that a shape value of 1 stands for, ≥ 0.
    pub peak_mw: Power,
    /// Exactly 24 finite values ≥ 0, for hours 0..=23 of local time.
    pub shape: Vec<f64>,
}

/// An IT load trace, read from a CSV file by [`LoadParams::load_files`] (see [`crate::io::trace`]
/// for the format; the file must have a time column so that its step is known) or built in
/// memory with [`LoadTrace::from_values`].
///
/// **Resampling.** The trace is piecewise constant over its own step (sample `i` holds over
/// `[i·step, (i+1)·step)`); a grid step sees the exact time average of that function over the
/// step. This averages the samples when the grid is coarser than the trace, holds each sample
/// when the grid is finer, and weights partial overlaps by time when the steps do not align.
/// The trace must cover the whole horizon (`len·step ≥ horizon`); values are MW, finite, ≥ 0.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoadTrace {
    /// The CSV file, relative to the scenario file's directory unless absolute (empty for
    /// in-memory traces).
    pub path: PathBuf,
    /// The value column (default: the first non-time column).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// The samples, once loaded (never serialised).
    #[serde(skip)]
    pub data: Option<TraceData>,
}

/// The samples of a [`LoadTrace`].
#[derive(Debug, Clone, PartialEq)]
pub struct TraceData {
    /// The sample spacing.
    pub step: Duration,
    /// The IT power of each sample, MW.
    pub values_mw: Vec<f64>,
}

impl LoadTrace {
    /// An in-memory trace of `values_mw` (MW), one every `step`. Its `path` is empty.
    pub fn from_values(step: Duration, values_mw: Vec<f64>) -> LoadTrace {
        LoadTrace {
            path: PathBuf::new(),
            column: None,
            data: Some(TraceData { step, values_mw }),
        }
    }
}

impl LoadParams {
    /// The 10,000-GPU H100-class training cluster of DOMAIN.md: 10,000 H100s at ≈1.25 kW all-in
    /// IT per GPU (≈12.5 MW IT capacity); a synchronous-training swing between a compute level of
    /// 10.6 MW IT and a trough at 50 % of it (5.3 MW), period 2 s ("every second or two"), duty
    /// 0.8 (assumption), so the mean is 9.54 MW IT; ramps of 200 ms (DOMAIN: rise/fall < 0.2 s;
    /// taking the bound is an assumption); a checkpoint dip to the trough for 60 s every 60 min
    /// (assumption); PUE 1.3 (new large builds).
    pub fn h100_training_10k() -> LoadParams {
        LoadParams {
            pue: DEFAULT_PUE,
            it: vec![ItProfile::TrainingSwing(TrainingSwing {
                high_mw: Power::mw(10.6),
                low_mw: Power::mw(5.3),
                period: Duration::from_secs(2),
                duty: 0.8,
                ramp: Duration::from_millis(200),
                checkpoint: Some(Checkpoint {
                    every: Duration::from_minutes(60),
                    duration: Duration::from_secs(60),
                    level_mw: None,
                }),
            })],
        }
    }

    /// Reads the CSV file of every [`ItProfile::Trace`] profile into its `data`. A relative path
    /// is resolved against `base_dir` (normally the scenario file's directory). Traces with an
    /// empty path (built by [`LoadTrace::from_values`]) are left as they are.
    ///
    /// # Errors
    /// Those of [`crate::io::trace::read_csv`] (field `load.it[i]`); [`ConfigError::Missing`] naming
    /// `load.it[i].path` if the file has no time column (its step would be unknown);
    /// [`ConfigError::TraceValue`] for a negative power.
    pub fn load_files(&mut self, base_dir: &Path) -> Result<(), ConfigError> {
        for (i, profile) in self.it.iter_mut().enumerate() {
            let ItProfile::Trace(trace) = profile else {
                continue;
            };
            if trace.path.as_os_str().is_empty() {
                continue;
            }
            let path = if trace.path.is_absolute() {
                trace.path.clone()
            } else {
                base_dir.join(&trace.path)
            };
            let field = format!("load.it[{i}]");
            let series = crate::io::trace::read_csv(&path, &field, trace.column.as_deref())?;
            let step = series.step.ok_or_else(|| ConfigError::Missing {
                field: format!("{field}.path"),
                why: "a load trace needs a time column (t_s, time_s or seconds) and at least two \
                      rows, so that its step is known",
            })?;
            if let Some(row) = series.values.iter().position(|v| *v < 0.0) {
                return Err(ConfigError::TraceValue {
                    field,
                    path,
                    row: row as u64 + 1,
                    why: "negative power",
                });
            }
            trace.data = Some(TraceData {
                step,
                values_mw: series.values,
            });
        }
        Ok(())
    }
}

// ---- the evaluator ---------------------------------------------------------------------------

/// The validated load, compiled for one [`TimeGrid`]: immutable, no I/O, and
/// [`LoadModel::facility_power`] allocates nothing.
///
/// Profiles that are constant on the grid (constant profiles, a swing whose period divides the
/// step, a daily shape with whole-day steps, …) are folded into one number at construction, so
/// they cost nothing per step.
#[derive(Debug, Clone)]
pub struct LoadModel {
    pue: f64,
    /// Sum of the profiles whose step average is the same for every step, MW.
    constant_mw: f64,
    /// Periodic profiles tabulated as one period of step averages (see [`Table`]).
    tables: Vec<Table>,
    /// The other profiles.
    profiles: Vec<Profile>,
    /// Σ of the profile maxima, MW.
    peak_it_mw: f64,
    step_ms: u64,
}

impl LoadModel {
    /// Validates `params` and compiles them for `grid`.
    ///
    /// # Errors
    /// [`ConfigError::OutOfRange`] for a PUE outside `[1, 5]`, a negative or non-finite power or
    /// shape value, a zero period, a duty outside `(0, 1]`, a daily shape without 24 values or a
    /// bad checkpoint duration; [`ConfigError::Inconsistent`] for `low_mw > high_mw` or a ramp
    /// that does not fit in the period; [`ConfigError::NotMultiple`] for a checkpoint interval
    /// that is not a whole number of periods; [`ConfigError::Missing`] for an empty `it` list or
    /// a trace never loaded; [`ConfigError::TraceLength`] for a trace shorter than the horizon.
    /// Every error names the field, e.g. `load.it[0].ramp`.
    pub fn new(params: &LoadParams, grid: &TimeGrid) -> Result<LoadModel, ConfigError> {
        let pue = check_range("load.pue", params.pue, 1.0, 5.0, "1 ≤ pue ≤ 5")?;
        if params.it.is_empty() {
            return Err(ConfigError::Missing {
                field: "load.it".into(),
                why: "the load needs at least one IT profile",
            });
        }
        let mut model = LoadModel {
            pue,
            constant_mw: 0.0,
            tables: Vec::new(),
            profiles: Vec::new(),
            peak_it_mw: 0.0,
            step_ms: grid.step().as_millis(),
        };
        for (i, profile) in params.it.iter().enumerate() {
            let field = format!("load.it[{i}]");
            let (compiled, peak) = match profile {
                ItProfile::Constant(c) => {
                    let v = check_non_negative(format!("{field}.it_mw"), c.it_mw.value())?;
                    (Compiled::Constant(v), v)
                }
                ItProfile::TrainingSwing(s) => compile_swing(s, &field, grid)?,
                ItProfile::Daily(d) => compile_daily(d, &field, grid)?,
                ItProfile::Trace(t) => compile_trace(t, &field, grid)?,
            };
            model.peak_it_mw += peak;
            match compiled {
                Compiled::Constant(v) => model.constant_mw += v,
                Compiled::Varying(p) => match tabulate(&p, model.step_ms) {
                    Some(table) => model.tables.push(table),
                    None => model.profiles.push(p),
                },
            }
        }
        Ok(model)
    }

    /// The average IT power over step `k`, i.e. over `[offset(k), offset(k+1))`.
    ///
    /// # Panics
    /// If a trace profile is present and `k` is not a step of the grid (`k ≥ steps`). Periodic
    /// profiles accept any `k`.
    #[inline]
    pub fn it_power(&self, k: u64) -> Power {
        let a = k * self.step_ms;
        let mut mw = self.constant_mw;
        for t in &self.tables {
            mw += t.values[t.n.div_rem(k).1 as usize];
        }
        for p in &self.profiles {
            mw += p.average(k, a);
        }
        Power::mw(mw)
    }

    /// The average facility power over step `k`: [`LoadModel::it_power`] × PUE.
    ///
    /// # Panics
    /// As [`LoadModel::it_power`].
    #[inline]
    pub fn facility_power(&self, k: u64) -> Power {
        Power::mw(self.it_power(k).value() * self.pue)
    }

    /// The power usage effectiveness.
    #[inline]
    pub fn pue(&self) -> f64 {
        self.pue
    }

    /// An upper bound of [`LoadModel::facility_power`] over all steps: PUE × the sum of each
    /// profile's maximum. It is reached only if the profiles peak together over a whole step.
    pub fn peak_facility_power(&self) -> Power {
        Power::mw(self.peak_it_mw * self.pue)
    }
}

/// A profile compiled for one grid.
// A short-lived return value of the compile functions: its size does not matter.
#[allow(clippy::large_enum_variant)]
enum Compiled {
    /// The same step average at every step, MW.
    Constant(f64),
    /// A step average that depends on the step.
    Varying(Profile),
}

/// A profile whose step average varies, ready for the hot loop.
// Stored inline in a short `Vec` so the hot loop reads each profile without a pointer chase.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
enum Profile {
    Swing(SwingEval),
    Daily(DailyEval),
    /// A trace at least as fine as the grid: the step averages, precomputed (one per step).
    TraceAveraged(Vec<f64>),
    /// A trace coarser than the grid, held.
    TraceHeld(TraceHold),
}

/// A periodic profile whose step averages repeat every `values.len()` steps, precomputed with the
/// exact evaluator: step `k` reads `values[k mod n]`.
#[derive(Debug, Clone)]
struct Table {
    /// One period of step averages, MW.
    values: Vec<f64>,
    /// `n = values.len()`.
    n: FastDiv,
}

/// Largest table of step averages a periodic profile is replaced by (8 MiB of `f64`).
const TABLE_LIMIT: u64 = 1 << 20;

/// Turns a periodic profile into the table of its step averages when its period in steps,
/// `lcm(profile period, step) / step`, is at most [`TABLE_LIMIT`]. The table holds exactly the
/// values the evaluator computes, so this changes speed, not results.
fn tabulate(p: &Profile, step_ms: u64) -> Option<Table> {
    let period_ms = match p {
        Profile::Swing(sw) => match &sw.dip {
            // `every` is a whole number of swing periods, so the pattern repeats every `every`.
            Some(dip) => dip.every.p.d,
            None => sw.period.p.d,
        },
        Profile::Daily(_) => 86_400_000,
        _ => return None,
    };
    let n = period_ms / gcd(period_ms, step_ms);
    if n > TABLE_LIMIT {
        return None;
    }
    let values = (0..n).map(|k| p.average(k, k * step_ms)).collect();
    Some(Table {
        values,
        n: FastDiv::new(n),
    })
}

/// Greatest common divisor.
fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl Profile {
    /// The average power (MW) over step `k`, which starts at `a` ms.
    #[inline]
    fn average(&self, k: u64, a: u64) -> f64 {
        match self {
            Profile::Swing(s) => s.average(a),
            Profile::Daily(d) => d.average(a),
            Profile::TraceAveraged(v) => v[k as usize],
            Profile::TraceHeld(t) => t.average(a),
        }
    }
}

/// Division by a fixed divisor through a floating-point reciprocal and one integer correction,
/// exact for numerators below 2^52 (beyond that it falls back to the hardware division).
#[derive(Debug, Clone, Copy)]
struct FastDiv {
    d: u64,
    inv: f64,
    /// Numerators below this use the reciprocal.
    fast_below: u64,
}

impl FastDiv {
    const LIMIT: u64 = 1 << 52;

    fn new(d: u64) -> FastDiv {
        debug_assert!(d > 0);
        FastDiv {
            d,
            inv: 1.0 / d as f64,
            fast_below: if d < Self::LIMIT { Self::LIMIT } else { 0 },
        }
    }

    /// `(a / d, a % d)`.
    ///
    /// With `a, d < 2^52`, `a as f64 * inv` has a relative error below 2^-51, so it is within 1
    /// of the exact quotient `a/d < 2^52`; one correction step makes it exact.
    #[inline]
    fn div_rem(self, a: u64) -> (u64, u64) {
        if a >= self.fast_below {
            return (a / self.d, a % self.d);
        }
        // Below 2^52 the signed conversions are exact and single instructions (the unsigned
        // ones are multi-instruction sequences on x86-64).
        let mut q = ((a as i64) as f64 * self.inv) as i64 as u64;
        let mut m = q * self.d;
        if m > a {
            q -= 1;
            m -= self.d;
        } else if a - m >= self.d {
            q += 1;
            m += self.d;
        }
        (q, a - m)
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
struct Periodic {
    p: FastDiv,
    s_div: u64,
    s_rem: u64,
}

impl Periodic {
    fn new(period: u64, step: u64) -> Periodic {
        Periodic {
            p: FastDiv::new(period),
            s_div: step / period,
            s_rem: step % period,
        }
    }

    /// The span of `[a, a + s)`, with one division.
    #[inline]
    fn span(self, a: u64) -> Span {
        let (_, ra) = self.p.div_rem(a);
        let mut rb = ra + self.s_rem;
        let mut cycles = self.s_div;
        if rb >= self.p.d {
            rb -= self.p.d;
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
    fn new(low: f64, high: f64, r: u64, d: u64, p: u64) -> SwingShape {
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
    /// `C(t)` for `0 ≤ t < E`.
    #[inline]
    fn correction_to(&self, t: u64, period: FastDiv, shape: &SwingShape) -> f64 {
        if t <= self.t0 {
            return 0.0;
        }
        let (q, r) = period.div_rem(t);
        let swing = (q - self.q0) as f64 * shape.i_p + shape.integral_to(r) - self.f0;
        self.level * (t - self.t0) as f64 - swing
    }
}

#[derive(Debug, Clone, Copy)]
struct SwingEval {
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
        int * self.inv_step
    }
}

fn compile_swing(
    s: &TrainingSwing,
    field: &str,
    grid: &TimeGrid,
) -> Result<(Compiled, f64), ConfigError> {
    let high = check_non_negative(format!("{field}.high_mw"), s.high_mw.value())?;
    let low = check_non_negative(format!("{field}.low_mw"), s.low_mw.value())?;
    if low > high {
        return Err(ConfigError::Inconsistent {
            field: format!("{field}.low_mw"),
            why: "low_mw must not exceed high_mw",
        });
    }
    let p = s.period.as_millis();
    if p == 0 {
        return Err(ConfigError::OutOfRange {
            field: format!("{field}.period"),
            value: 0.0,
            allowed: "a period of at least 1ms",
        });
    }
    if !(s.duty.is_finite() && s.duty > 0.0 && s.duty <= 1.0) {
        return Err(ConfigError::OutOfRange {
            field: format!("{field}.duty"),
            value: s.duty,
            allowed: "0 < duty ≤ 1",
        });
    }
    let d = ((s.duty * p as f64).round() as u64).min(p);
    let r = s.ramp.as_millis();
    if r > d || d + r > p {
        return Err(ConfigError::Inconsistent {
            field: format!("{field}.ramp"),
            why: "each ramp must fit: ramp ≤ round(duty·period) and \
                  round(duty·period) + ramp ≤ period",
        });
    }
    let shape = SwingShape::new(low, high, r, d, p);
    let step = grid.step().as_millis();
    let mut peak = high;
    let dip = match &s.checkpoint {
        None => None,
        Some(c) => {
            let e = c.every.as_millis();
            if e == 0 {
                return Err(ConfigError::OutOfRange {
                    field: format!("{field}.checkpoint.every"),
                    value: 0.0,
                    allowed: "a whole number (≥ 1) of swing periods",
                });
            }
            if e % p != 0 {
                return Err(ConfigError::NotMultiple {
                    field: format!("{field}.checkpoint.every"),
                    value: c.every,
                    multiple_of: s.period,
                });
            }
            let dur = c.duration.as_millis();
            if dur == 0 || dur >= e {
                return Err(ConfigError::OutOfRange {
                    field: format!("{field}.checkpoint.duration"),
                    value: dur as f64,
                    allowed: "0 < duration < every (value in ms)",
                });
            }
            let level = match c.level_mw {
                Some(l) => check_non_negative(format!("{field}.checkpoint.level_mw"), l.value())?,
                None => low,
            };
            peak = peak.max(level);
            let t0 = e - dur;
            let (q0, r0) = (t0 / p, t0 % p);
            let f0 = shape.integral_to(r0);
            // The swing over the dip [t0, E): E is a whole number of periods.
            let swing_in_dip = (e / p - q0) as f64 * shape.i_p - f0;
            Some(DipEval {
                every: Periodic::new(e, step),
                level,
                t0,
                q0,
                f0,
                c_e: level * dur as f64 - swing_in_dip,
            })
        }
    };
    // Whole periods (and whole checkpoint intervals) per step: the same average every step.
    let whole = step % p == 0
        && match &dip {
            None => true,
            Some(dp) => step % dp.every.p.d == 0,
        };
    if whole {
        let mean = match &dip {
            None => shape.i_p / p as f64,
            Some(dp) => {
                let e = dp.every.p.d;
                ((e / p) as f64 * shape.i_p + dp.c_e) / e as f64
            }
        };
        return Ok((Compiled::Constant(mean), peak));
    }
    Ok((
        Compiled::Varying(Profile::Swing(SwingEval {
            shape,
            period: Periodic::new(p, step),
            dip,
            inv_step: 1.0 / step as f64,
        })),
        peak,
    ))
}

// ---- daily shape -----------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct DailyEval {
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
        int * self.inv_step
    }
}

fn compile_daily(
    d: &DailyShape,
    field: &str,
    grid: &TimeGrid,
) -> Result<(Compiled, f64), ConfigError> {
    let peak = check_non_negative(format!("{field}.peak_mw"), d.peak_mw.value())?;
    if d.shape.len() != 24 {
        return Err(ConfigError::OutOfRange {
            field: format!("{field}.shape"),
            value: d.shape.len() as f64,
            allowed: "exactly 24 hourly values",
        });
    }
    let mut hourly = [0.0; 24];
    let mut cum = [0.0; 24];
    let mut acc = 0.0;
    for (h, &v) in d.shape.iter().enumerate() {
        check_non_negative(format!("{field}.shape[{h}]"), v)?;
        hourly[h] = v * peak;
        cum[h] = acc;
        acc += hourly[h] * HOUR_MS as f64;
    }
    let max = hourly.iter().copied().fold(0.0, f64::max);
    let step = grid.step().as_millis();
    if step % DAY_MS == 0 {
        return Ok((Compiled::Constant(acc / DAY_MS as f64), max));
    }
    Ok((
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
    ))
}

// ---- trace -----------------------------------------------------------------------------------

/// A trace coarser than the grid: a step overlaps at most two samples.
#[derive(Debug, Clone)]
struct TraceHold {
    values: Vec<f64>,
    t: FastDiv,
    step_ms: u64,
    inv_step: f64,
}

impl TraceHold {
    #[inline]
    fn average(&self, a: u64) -> f64 {
        let (i, ra) = self.t.div_rem(a);
        let i = i as usize;
        let end = ra + self.step_ms;
        if end <= self.t.d {
            self.values[i]
        } else {
            let first = (self.t.d - ra) as f64;
            let second = (end - self.t.d) as f64;
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

fn compile_trace(
    tr: &LoadTrace,
    field: &str,
    grid: &TimeGrid,
) -> Result<(Compiled, f64), ConfigError> {
    let data = tr.data.as_ref().ok_or_else(|| ConfigError::Missing {
        field: field.to_string(),
        why: "the trace data has not been loaded (call LoadParams::load_files)",
    })?;
    let t = data.step.as_millis();
    if t == 0 {
        return Err(ConfigError::OutOfRange {
            field: format!("{field}.step"),
            value: 0.0,
            allowed: "a trace step of at least 1ms",
        });
    }
    for (i, &v) in data.values_mw.iter().enumerate() {
        check_non_negative(format!("{field}.values_mw[{i}]"), v)?;
    }
    let horizon = grid.horizon().as_millis();
    let needed = horizon.div_ceil(t);
    let n = data.values_mw.len() as u64;
    if n < needed {
        return Err(ConfigError::TraceLength {
            field: field.to_string(),
            path: tr.path.clone(),
            expected: needed,
            found: n,
        });
    }
    let values = &data.values_mw[..needed as usize];
    let step = grid.step().as_millis();
    let inv_step = 1.0 / step as f64;
    if step >= t {
        // At most one step per sample: precompute every step's average.
        let averages: Vec<f64> = (0..grid.steps())
            .map(|k| trace_integral(values, t, k * step, (k + 1) * step) * inv_step)
            .collect();
        let max = averages.iter().copied().fold(0.0, f64::max);
        Ok((Compiled::Varying(Profile::TraceAveraged(averages)), max))
    } else {
        let max = values.iter().copied().fold(0.0, f64::max);
        Ok((
            Compiled::Varying(Profile::TraceHeld(TraceHold {
                values: values.to_vec(),
                t: FastDiv::new(t),
                step_ms: step,
                inv_step,
            })),
            max,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng as _;

    /// Tolerance on step-average powers, MW.
    const TOL: f64 = 1e-9;

    fn grid(step: &str, horizon: &str) -> TimeGrid {
        TimeGrid::new(step.parse().unwrap(), horizon.parse().unwrap()).unwrap()
    }

    fn params(it: Vec<ItProfile>) -> LoadParams {
        LoadParams { pue: 1.0, it }
    }

    fn model(it: Vec<ItProfile>, g: &TimeGrid) -> LoadModel {
        LoadModel::new(&params(it), g).unwrap()
    }

    fn constant(mw: f64) -> ItProfile {
        ItProfile::Constant(ConstantProfile {
            it_mw: Power::mw(mw),
        })
    }

    fn swing(high: f64, low: f64, period: &str, duty: f64, ramp: &str) -> TrainingSwing {
        TrainingSwing {
            high_mw: Power::mw(high),
            low_mw: Power::mw(low),
            period: period.parse().unwrap(),
            duty,
            ramp: ramp.parse().unwrap(),
            checkpoint: None,
        }
    }

    fn assert_close(got: f64, want: f64, what: &str) {
        assert!((got - want).abs() < TOL, "{what}: got {got}, want {want}");
    }

    /// The instantaneous swing power at time `t` ms (a real number), written independently of
    /// the integrals under test.
    fn swing_value(s: &TrainingSwing, t: f64) -> f64 {
        if let Some(c) = &s.checkpoint {
            let e = c.every.as_millis() as f64;
            if t.rem_euclid(e) >= e - c.duration.as_millis() as f64 {
                return c.level_mw.unwrap_or(s.low_mw).value();
            }
        }
        let p = s.period.as_millis() as f64;
        let d = (s.duty * p).round();
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

    #[test]
    fn constant_profile() {
        let g = grid("15m", "1d");
        let m = model(vec![constant(7.5)], &g);
        for k in 0..g.steps() {
            assert_close(m.it_power(k).value(), 7.5, "constant");
        }
        assert!(
            m.profiles.is_empty() && m.tables.is_empty(),
            "a constant must be folded"
        );
        assert_close(m.peak_facility_power().value(), 7.5, "peak");
    }

    #[test]
    fn profiles_add_and_pue_scales() {
        let g = grid("1h", "1d");
        let mut shape = vec![0.5; 24];
        shape[12] = 1.0;
        let p = LoadParams {
            pue: 1.4,
            it: vec![
                constant(2.0),
                constant(1.0),
                ItProfile::Daily(DailyShape {
                    peak_mw: Power::mw(4.0),
                    shape,
                }),
            ],
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

    #[test]
    fn default_pue_applies() {
        let p: LoadParams = toml::from_str("[[it]]\nkind = \"constant\"\nit_mw = 10\n").unwrap();
        assert_close(p.pue, DEFAULT_PUE, "default pue");
        let m = LoadModel::new(&p, &grid("1h", "1d")).unwrap();
        assert_close(m.facility_power(3).value(), 13.0, "facility");
    }

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
        assert_eq!(m.profiles.len() + m.tables.len(), 1);
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
                duty,
                ramp: Duration::from_millis(ramp),
                checkpoint: None,
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
    fn fast_division_is_exact() {
        let mut rng = crate::rng::stream(7, 0);
        for _ in 0..10_000 {
            let d = match rng.random_range(0..3) {
                0 => rng.random_range(1..100u64),
                1 => rng.random_range(1..u32::MAX as u64),
                _ => rng.random_range(1..u64::MAX),
            };
            let a = match rng.random_range(0..3) {
                0 => rng.random_range(0..1u64 << 52),
                1 => {
                    // Near a multiple of d, where the reciprocal is most likely off by one.
                    let q = rng.random_range(0..((1u64 << 52) / d).max(1));
                    (q * d + rng.random_range(0..3)).saturating_sub(1)
                }
                _ => rng.random_range(0..u64::MAX),
            };
            assert_eq!(FastDiv::new(d).div_rem(a), (a / d, a % d), "{a} / {d}");
        }
        let f = FastDiv::new(3);
        for a in [(1 << 52) - 1, (1 << 52) - 2, 3 * ((1 << 50) + 1), 0, 2, 3] {
            assert_eq!(f.div_rem(a), (a / 3, a % 3));
        }
    }

    fn daily(peak: f64) -> (DailyShape, Vec<f64>) {
        let shape: Vec<f64> = (0..24).map(|h| 0.5 + 0.02 * h as f64).collect();
        let mw = shape.iter().map(|v| v * peak).collect();
        (
            DailyShape {
                peak_mw: Power::mw(peak),
                shape,
            },
            mw,
        )
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

    fn trace(step: &str, values: Vec<f64>) -> ItProfile {
        ItProfile::Trace(LoadTrace::from_values(step.parse().unwrap(), values))
    }

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

    #[test]
    fn trace_non_aligned_steps() {
        let values: Vec<f64> = (0..40).map(|i| 1.0 + (i % 7) as f64).collect();
        // Trace 40 min, grid 1 h: each step integrates 2–3 partial samples.
        let g = grid("1h", "24h");
        let m = model(vec![trace("40m", values.clone())], &g);
        for k in 0..g.steps() {
            let (a, b) = (k * 60, (k + 1) * 60);
            let want: f64 = (a..b)
                .map(|minute| values[(minute / 40) as usize])
                .sum::<f64>()
                / 60.0;
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
            let (a, b) = (k * 40, (k + 1) * 40);
            let want: f64 = (a..b)
                .map(|minute| values[(minute / 60) as usize])
                .sum::<f64>()
                / 40.0;
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

    #[test]
    fn trace_files_load_relative_to_the_base_dir() {
        let dir = std::env::temp_dir().join(format!(
            "ridethrough-load-test-{}-{:?}",
            std::process::id(),
            std::time::SystemTime::now()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let mut csv = String::from("t_s,other,it_mw\n");
        for i in 0..8 {
            csv.push_str(&format!("{},{},{}\n", i * 900, 99, 4.0 + i as f64));
        }
        std::fs::write(dir.join("it.csv"), &csv).unwrap();
        std::fs::write(dir.join("untimed.csv"), "it_mw\n1\n2\n").unwrap();
        std::fs::write(dir.join("negative.csv"), "t_s,it_mw\n0,1\n900,-2\n").unwrap();

        let text = "pue = 1.2\n[[it]]\nkind = \"trace\"\npath = \"it.csv\"\ncolumn = \"it_mw\"\n";
        let mut p: LoadParams = toml::from_str(text).unwrap();
        let g = grid("30m", "2h");
        assert!(matches!(
            LoadModel::new(&p, &g),
            Err(ConfigError::Missing { ref field, .. }) if field == "load.it[0]"
        ));
        p.load_files(&dir).unwrap();
        let m = LoadModel::new(&p, &g).unwrap();
        assert_close(m.it_power(0).value(), 4.5, "first half-hour");
        assert_close(m.facility_power(3).value(), 1.2 * 10.5, "last half-hour");

        let load = |name: &str| {
            let mut p = params(vec![ItProfile::Trace(LoadTrace {
                path: dir.join(name),
                column: None,
                data: None,
            })]);
            p.load_files(Path::new("/nonexistent")).map(|()| p)
        };
        assert!(matches!(
            load("untimed.csv"),
            Err(ConfigError::Missing { ref field, .. }) if field == "load.it[0].path"
        ));
        assert!(matches!(
            load("negative.csv"),
            Err(ConfigError::TraceValue { row: 2, .. })
        ));
        assert!(matches!(load("absent.csv"), Err(ConfigError::Io { .. })));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// `LoadModel::new(params)` fails with an error on `field`.
    fn assert_field_error(p: &LoadParams, field: &str) {
        let g = grid("1s", "2h");
        let err = LoadModel::new(p, &g).expect_err(field);
        let got = match &err {
            ConfigError::OutOfRange { field, .. }
            | ConfigError::Missing { field, .. }
            | ConfigError::Inconsistent { field, .. }
            | ConfigError::NotMultiple { field, .. } => field.clone(),
            other => panic!("unexpected error {other:?} for {field}"),
        };
        assert_eq!(got, field, "{err}");
    }

    fn swing_params(edit: impl FnOnce(&mut TrainingSwing)) -> LoadParams {
        let mut p = LoadParams::h100_training_10k();
        if let ItProfile::TrainingSwing(s) = &mut p.it[0] {
            edit(s);
        }
        p
    }

    #[test]
    fn validation_errors_name_the_field() {
        assert!(LoadModel::new(&LoadParams::h100_training_10k(), &grid("1s", "2h")).is_ok());
        assert_field_error(&params(vec![constant(-1.0)]), "load.it[0].it_mw");
        assert_field_error(
            &params(vec![constant(1.0), constant(f64::NAN)]),
            "load.it[1].it_mw",
        );
        assert_field_error(&params(vec![]), "load.it");
        let mut p = params(vec![constant(1.0)]);
        p.pue = 0.9;
        assert_field_error(&p, "load.pue");
        p.pue = f64::NAN;
        assert_field_error(&p, "load.pue");

        assert_field_error(
            &swing_params(|s| s.low_mw = Power::mw(-0.1)),
            "load.it[0].low_mw",
        );
        assert_field_error(
            &swing_params(|s| s.high_mw = Power::mw(f64::NAN)),
            "load.it[0].high_mw",
        );
        assert_field_error(
            &swing_params(|s| s.low_mw = Power::mw(11.0)),
            "load.it[0].low_mw",
        );
        assert_field_error(&swing_params(|s| s.duty = 0.0), "load.it[0].duty");
        assert_field_error(&swing_params(|s| s.duty = 1.01), "load.it[0].duty");
        assert_field_error(&swing_params(|s| s.duty = f64::NAN), "load.it[0].duty");
        assert_field_error(
            &swing_params(|s| s.period = Duration::ZERO),
            "load.it[0].period",
        );
        // D = 1600 ms: a 401 ms ramp does not fit after it (1600 + 401 > 2000)…
        assert_field_error(
            &swing_params(|s| s.ramp = Duration::from_millis(401)),
            "load.it[0].ramp",
        );
        // …and with duty 0.1 (D = 200 ms) a 201 ms ramp does not fit before it.
        assert_field_error(
            &swing_params(|s| {
                s.duty = 0.1;
                s.ramp = Duration::from_millis(201);
            }),
            "load.it[0].ramp",
        );
        let ckpt =
            |edit: fn(&mut Checkpoint)| swing_params(|s| edit(s.checkpoint.as_mut().unwrap()));
        let p = ckpt(|c| c.every = Duration::from_secs(61));
        assert!(matches!(
            LoadModel::new(&p, &grid("1s", "2h")),
            Err(ConfigError::NotMultiple { ref field, .. }) if field == "load.it[0].checkpoint.every"
        ));
        assert_field_error(
            &ckpt(|c| c.every = Duration::ZERO),
            "load.it[0].checkpoint.every",
        );
        assert_field_error(
            &ckpt(|c| c.duration = Duration::ZERO),
            "load.it[0].checkpoint.duration",
        );
        assert_field_error(
            &ckpt(|c| c.duration = Duration::from_minutes(60)),
            "load.it[0].checkpoint.duration",
        );
        assert_field_error(
            &ckpt(|c| c.level_mw = Some(Power::mw(-1.0))),
            "load.it[0].checkpoint.level_mw",
        );

        let (d, _) = daily(10.0);
        let mut short = d.clone();
        short.shape.pop();
        assert_field_error(&params(vec![ItProfile::Daily(short)]), "load.it[0].shape");
        let mut negative = d.clone();
        negative.shape[5] = -0.1;
        assert_field_error(
            &params(vec![ItProfile::Daily(negative)]),
            "load.it[0].shape[5]",
        );
        let mut nan = d.clone();
        nan.shape[7] = f64::NAN;
        assert_field_error(&params(vec![ItProfile::Daily(nan)]), "load.it[0].shape[7]");
        let mut bad_peak = d;
        bad_peak.peak_mw = Power::mw(-5.0);
        assert_field_error(
            &params(vec![ItProfile::Daily(bad_peak)]),
            "load.it[0].peak_mw",
        );

        assert_field_error(
            &params(vec![trace("1s", vec![1.0, -1.0])]),
            "load.it[0].values_mw[1]",
        );
        assert_field_error(
            &params(vec![trace("1s", vec![f64::NAN; 7200])]),
            "load.it[0].values_mw[0]",
        );
        assert_field_error(
            &params(vec![trace("0s", vec![1.0; 7200])]),
            "load.it[0].step",
        );
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let ok = "[[it]]\nkind = \"training_swing\"\nhigh_mw = 10\nlow_mw = 5\nperiod = \"2s\"\n\
                  duty = 0.8\n";
        assert!(toml::from_str::<LoadParams>(ok).is_ok());
        let cases = [
            // A misspelt key inside a variant.
            "[[it]]\nkind = \"training_swing\"\nhigh_mw = 10\nlow_mw = 5\nperiod = \"2s\"\n\
             duty = 0.8\nramp_ms = 200\n",
            "[[it]]\nkind = \"constant\"\nit_mw = 1\nit_kw = 2\n",
            "[[it]]\nkind = \"daily\"\npeak_mw = 1\nshape = []\npaek_mw = 2\n",
            "[[it]]\nkind = \"trace\"\npath = \"a.csv\"\ncolums = \"x\"\n",
            "[[it]]\nkind = \"trace\"\npath = \"a.csv\"\ndata = 1\n",
            // Inside the checkpoint table.
            "[[it]]\nkind = \"training_swing\"\nhigh_mw = 10\nlow_mw = 5\nperiod = \"2s\"\n\
             duty = 0.8\n[it.checkpoint]\nevery = \"60m\"\nduration = \"60s\"\nlevel = 1\n",
            // At the top level, and an unknown kind.
            "puee = 1.2\n[[it]]\nkind = \"constant\"\nit_mw = 1\n",
            "[[it]]\nkind = \"square\"\nit_mw = 1\n",
        ];
        for text in cases {
            let err = toml::from_str::<LoadParams>(text)
                .expect_err(text)
                .to_string();
            assert!(err.contains("unknown"), "{text}\n{err}");
        }
    }

    #[test]
    fn h100_default_round_trips_through_toml() {
        let p = LoadParams::h100_training_10k();
        let text = toml::to_string(&p).unwrap();
        let back: LoadParams = toml::from_str(&text).unwrap();
        assert_eq!(back, p, "{text}");
        let mixed = params(vec![
            constant(1.0),
            ItProfile::Daily(daily(2.0).0),
            ItProfile::Trace(LoadTrace {
                path: "it.csv".into(),
                column: Some("it_mw".into()),
                data: None,
            }),
        ]);
        let text = toml::to_string(&mixed).unwrap();
        assert_eq!(
            toml::from_str::<LoadParams>(&text).unwrap(),
            mixed,
            "{text}"
        );
    }
}
