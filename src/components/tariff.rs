//! The site's electricity tariff: a **demand charge** in $/kW-month on each calendar month's
//! peak grid import, and an **energy price** in $/MWh (flat, or an hourly — or any regular —
//! price trace read from CSV), which exports earn too. Parameters → validated model, as every
//! component: [`TariffParams`] is the `[tariff]` table of a scenario; [`Tariff::new`] checks it
//! for one time grid, resamples the price trace onto it and lays out the billing months.
//!
//! ```toml
//! [tariff]
//! demand_charge_usd_per_kw_month = 9.0   # on each calendar month's peak import
//! demand_interval = "15m"                # optional billing interval (default: the time step)
//! energy_price_usd_per_mwh = 40.0        # a flat price, or instead:
//! # energy_price_trace = { path = "prices.csv", column = "usd_per_mwh" }
//! ```
//!
//! # What is billed
//! * **Energy**: every step pays its price × (import − export) × the step's length. The price of
//!   a step is the exact time average of the price trace over the step (the trace is piecewise
//!   constant over its own step and is resampled as the load traces are: averaged onto a coarser
//!   grid, held on a finer one). Exports (up to `grid.export_limit_mw`, zero by default) earn
//!   the same price.
//! * **Demand**: the **billing demand** of a month is the highest average import over one
//!   billing interval (`demand_interval`; intervals run from the start of each month in the
//!   horizon, the run's start for the first, and the last one of a month or of the horizon may
//!   be shorter) among the month's intervals, and the
//!   month pays `demand_charge_usd_per_kw_month × billing demand (kW)`. Without
//!   `demand_interval` the interval is the time step: the billing demand is the highest step
//!   average. An interval shorter than the step is the step (the engine's import is a step
//!   average: a 15-minute demand at hourly steps is the hourly average, which understates a
//!   15-minute peak inside the hour); a longer one must be a whole number of steps. A month only
//!   partly inside the horizon pays the share of the charge its covered time is of the calendar
//!   month, so a horizon that is not whole months scales to a year fairly.
//! * **Baseline**: the same site with its battery idle (no charge, no discharge): it imports its
//!   demand (facility plus the battery's auxiliary load) up to the import the grid offers, and
//!   pays for that. The **savings** are the baseline's bill minus the run's: what the battery's
//!   dispatch earned on this tariff.
//!
//! A run is billed by the [`Meter`], a [`Recorder`] fed every step (so a run with it does not
//! fast-forward), or after the fact from a trace's rows by [`Tariff::bill`]; both give a
//! [`Bill`]. Figures per year are scaled by 8,760 h over the hours billed.
//!
//! ```
//! use ridethrough::components::tariff::{Tariff, TariffParams};
//! use ridethrough::prelude::*;
//! let grid = TimeGrid::new(Duration::from_hours(1), Duration::from_days(31))?;
//! let params = TariffParams {
//!     demand_charge_usd_per_kw_month: 10.0,
//!     demand_interval: None,
//!     energy_price_usd_per_mwh: Some(50.0),
//!     energy_price_trace: None,
//! };
//! let tariff = Tariff::new(&params, &grid)?;
//! // A constant 2 MW import for the 31 days of January: 1,488 MWh at $50, and 2,000 kW at $10.
//! let rows = (0..grid.steps()).map(|k| StepRecord {
//!     step: k, import_mw: 2.0, facility_mw: 2.0, available_import_mw: 20.0,
//!     ..StepRecord::default()
//! });
//! let bill = tariff.bill(rows);
//! assert!((bill.energy_cost_usd - 74_400.0).abs() < 1e-6);
//! assert!((bill.demand_charges_usd - 20_000.0).abs() < 1e-9);
//! assert_eq!(bill.savings_usd, 0.0); // nothing moved: the run is its own baseline
//! # Ok::<(), ridethrough::ConfigError>(())
//! ```

use crate::components::load::Resampled;
use crate::engine::recorder::Recorder;
use crate::engine::report::StepRecord;
use crate::error::{check_range, ConfigError};
use crate::time::TimeGrid;
use crate::units::{Duration, Energy};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Largest demand charge, $/kW-month: 1000 × the highest published US demand charges (tens of
/// dollars per kW-month); it keeps every bill finite.
pub const MAX_DEMAND_CHARGE_USD_PER_KW_MONTH: f64 = 1e4;
/// Largest magnitude of an energy price, $/MWh (either sign): 20 × ERCOT's $5,000/MWh offer cap.
/// Negative prices are real (surplus wind); a price beyond this is a unit mistake.
pub const MAX_PRICE_USD_PER_MWH: f64 = 1e5;
/// Hours in the year that figures per year are scaled to.
pub const HOURS_PER_YEAR: f64 = 8_760.0;

/// An energy price, $/MWh. Serialises as a plain number (the config key carries the unit).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Price(f64);

impl Price {
    /// Zero dollars per MWh (what a site without a tariff shows its policy).
    pub const ZERO: Price = Price(0.0);
    /// A price of `v` $/MWh.
    #[inline]
    pub const fn usd_per_mwh(v: f64) -> Price {
        Price(v)
    }
    /// The raw value, $/MWh.
    #[inline]
    pub const fn value(self) -> f64 {
        self.0
    }
    /// What `energy` costs at this price, in dollars.
    #[inline]
    pub fn of(self, energy: Energy) -> f64 {
        self.0 * energy.value()
    }
}

impl std::fmt::Display for Price {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} $/MWh", self.0)
    }
}

/// The `[tariff]` table of a scenario (see the module docs). Exactly one of
/// `energy_price_usd_per_mwh` and `energy_price_trace` must be given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TariffParams {
    /// $/kW-month on each calendar month's billing demand, `0 ≤ x ≤`
    /// [`MAX_DEMAND_CHARGE_USD_PER_KW_MONTH`].
    pub demand_charge_usd_per_kw_month: f64,
    /// The billing interval over which import is averaged for the demand charge (default: the
    /// time step). Shorter than the step: the step; longer: a whole number of steps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub demand_interval: Option<Duration>,
    /// A flat energy price, $/MWh, `|x| ≤` [`MAX_PRICE_USD_PER_MWH`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub energy_price_usd_per_mwh: Option<f64>,
    /// An energy price trace, $/MWh, read from CSV.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub energy_price_trace: Option<PriceTrace>,
}

/// An energy price trace: a CSV file with a time column (`t_s`, `time_s` or `seconds`, evenly
/// spaced from 0, see [`crate::io::trace`]) and a price column in $/MWh, covering the horizon.
/// It is resampled onto the time grid exactly as a load trace is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceTrace {
    /// The CSV file, relative to the scenario file's directory unless absolute (empty for
    /// in-memory traces).
    pub path: PathBuf,
    /// The value column (default: the first non-time column).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// The samples, once loaded (never serialised): their spacing and $/MWh values.
    #[serde(skip)]
    pub data: Option<(Duration, Vec<f64>)>,
}

impl PriceTrace {
    /// An in-memory trace of `values` $/MWh, one every `step`. Its `path` is empty.
    pub fn from_values(step: Duration, values: Vec<f64>) -> PriceTrace {
        PriceTrace {
            path: PathBuf::new(),
            column: None,
            data: Some((step, values)),
        }
    }
}

impl TariffParams {
    /// Reads the price trace's CSV file, relative to `base_dir` unless absolute; an in-memory
    /// trace (empty path) is left as it is.
    ///
    /// # Errors
    /// Those of [`crate::io::trace::read_csv`] (field `tariff.energy_price_trace`);
    /// [`ConfigError::Missing`] naming `tariff.energy_price_trace.path` when the file has no
    /// time column (its step would be unknown).
    pub fn load_files(&mut self, base_dir: &Path) -> Result<(), ConfigError> {
        let Some(trace) = &mut self.energy_price_trace else {
            return Ok(());
        };
        if trace.path.as_os_str().is_empty() {
            return Ok(());
        }
        let path = if trace.path.is_absolute() {
            trace.path.clone()
        } else {
            base_dir.join(&trace.path)
        };
        let series = crate::io::trace::read_csv(&path, TRACE_FIELD, trace.column.as_deref())?;
        let step = series.step.ok_or_else(|| ConfigError::Missing {
            field: format!("{TRACE_FIELD}.path"),
            why: "a price trace needs a time column (t_s, time_s or seconds) and at least two \
                  rows, so that its step is known",
        })?;
        trace.data = Some((step, series.values));
        Ok(())
    }
}

const TRACE_FIELD: &str = "tariff.energy_price_trace";

/// The energy price of every step.
#[derive(Debug, Clone)]
enum PriceSeries {
    Flat(f64),
    Trace(Resampled),
}

/// A calendar month of the horizon, as billed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BillingMonth {
    /// Calendar year.
    pub year: i16,
    /// Calendar month, 1..=12.
    pub month: i8,
    /// The first step starting in the month.
    pub start_step: u64,
    /// The step after the last starting in it (within the horizon).
    pub end_step: u64,
    /// The share of the calendar month inside the horizon (1 for a whole month); its demand
    /// charge is scaled by it.
    pub covered: f64,
}

/// A validated tariff for one time grid: the demand charge, the billing interval in steps, the
/// price of every step and the billing months. Build it with [`Tariff::new`] (or through
/// [`Site::with_tariff`](crate::engine::Site::with_tariff)); it cannot change afterwards.
#[derive(Debug, Clone)]
pub struct Tariff {
    demand_charge: f64,
    interval_steps: u64,
    price: PriceSeries,
    months: Vec<BillingMonth>,
    step_ms: u64,
    dt_h: f64,
    fingerprint: u64,
}

impl Tariff {
    /// Checks `params` and builds the tariff for `grid`.
    ///
    /// # Errors
    /// [`ConfigError::OutOfRange`] naming `tariff.demand_charge_usd_per_kw_month`,
    /// `tariff.energy_price_usd_per_mwh` or `tariff.energy_price_trace` (with the row) for a
    /// value out of range; [`ConfigError::Inconsistent`] unless exactly one energy price is
    /// given; [`ConfigError::NotMultiple`] for a `demand_interval` longer than the step and not
    /// a whole number of steps; [`ConfigError::Missing`] for a trace whose file was not read;
    /// [`ConfigError::TraceLength`] for a trace that does not cover the horizon.
    pub fn new(params: &TariffParams, grid: &TimeGrid) -> Result<Tariff, ConfigError> {
        check_range(
            "tariff.demand_charge_usd_per_kw_month",
            params.demand_charge_usd_per_kw_month,
            0.0,
            MAX_DEMAND_CHARGE_USD_PER_KW_MONTH,
            "0 ≤ x ≤ 1e4 ($/kW-month)",
        )?;
        let step = grid.step();
        let interval_steps = match params.demand_interval {
            None => 1,
            Some(d) if d.is_zero() => {
                return Err(ConfigError::OutOfRange {
                    field: "tariff.demand_interval".into(),
                    value: 0.0,
                    allowed: "a duration of at least 1ms",
                })
            }
            Some(d) if d <= step => 1,
            Some(d) => {
                if d.as_millis() % step.as_millis() != 0 {
                    return Err(ConfigError::NotMultiple {
                        field: "tariff.demand_interval".into(),
                        value: d,
                        multiple_of: step,
                    });
                }
                d.as_millis() / step.as_millis()
            }
        };
        let price = match (params.energy_price_usd_per_mwh, &params.energy_price_trace) {
            (Some(p), None) => {
                PriceSeries::Flat(check_price("tariff.energy_price_usd_per_mwh", p)?)
            }
            (None, Some(trace)) => {
                let Some((t, values)) = &trace.data else {
                    return Err(ConfigError::Missing {
                        field: format!("{TRACE_FIELD}.path"),
                        why: "the trace data has not been loaded (call TariffParams::load_files)",
                    });
                };
                if t.is_zero() {
                    return Err(ConfigError::OutOfRange {
                        field: TRACE_FIELD.into(),
                        value: 0.0,
                        allowed: "a trace step of at least 1ms",
                    });
                }
                if let Some(row) = values
                    .iter()
                    .position(|v| !(v.is_finite() && v.abs() <= MAX_PRICE_USD_PER_MWH))
                {
                    return Err(ConfigError::OutOfRange {
                        field: format!("{TRACE_FIELD}[row {}]", row + 1),
                        value: values[row],
                        allowed: "−1e5 ≤ x ≤ 1e5 ($/MWh)",
                    });
                }
                PriceSeries::Trace(Resampled::new(
                    values.clone(),
                    t.as_millis(),
                    &trace.path,
                    TRACE_FIELD,
                    grid,
                )?)
            }
            _ => {
                return Err(ConfigError::Inconsistent {
                    field: "tariff.energy_price_usd_per_mwh".into(),
                    why: "give exactly one of tariff.energy_price_usd_per_mwh and \
                          tariff.energy_price_trace",
                })
            }
        };
        let trace_values = params
            .energy_price_trace
            .as_ref()
            .and_then(|t| t.data.as_ref());
        Ok(Tariff {
            demand_charge: params.demand_charge_usd_per_kw_month,
            interval_steps,
            price,
            months: billing_months(grid),
            step_ms: step.as_millis(),
            dt_h: grid.step_hours().value(),
            fingerprint: crate::engine::json_fingerprint(&(params, trace_values)),
        })
    }

    /// The energy price of step `k` (the trace's exact average over the step).
    #[inline]
    pub fn price(&self, k: u64) -> Price {
        Price(match &self.price {
            PriceSeries::Flat(p) => *p,
            PriceSeries::Trace(r) => r.average(k, k * self.step_ms),
        })
    }

    /// The demand charge, $/kW-month.
    pub fn demand_charge_usd_per_kw_month(&self) -> f64 {
        self.demand_charge
    }

    /// The billing interval, in steps (1: the step average).
    pub fn interval_steps(&self) -> u64 {
        self.interval_steps
    }

    /// The calendar months of the horizon, in order.
    pub fn months(&self) -> &[BillingMonth] {
        &self.months
    }

    /// A stable hash of the parameters and the price values (see
    /// [`Site::fingerprint`](crate::engine::Site::fingerprint)).
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    /// A meter for a run from its first step: a [`Recorder`] that bills every row it sees.
    pub fn meter(&self) -> Meter<'_> {
        Meter::new(self)
    }

    /// The bill of a run's rows, in step order (e.g. a [`TraceRecorder`](crate::engine::recorder::TraceRecorder)'s
    /// (crate::engine::recorder::TraceRecorder) rows): [`Tariff::meter`] fed each row.
    pub fn bill(
        &self,
        rows: impl IntoIterator<Item = impl std::borrow::Borrow<StepRecord>>,
    ) -> Bill {
        let mut meter = self.meter();
        for row in rows {
            meter.record(row.borrow());
        }
        meter.finish()
    }
}

/// Checks a price: finite and `|x| ≤` [`MAX_PRICE_USD_PER_MWH`].
pub(crate) fn check_price(field: &str, value: f64) -> Result<f64, ConfigError> {
    check_range(
        field,
        value,
        -MAX_PRICE_USD_PER_MWH,
        MAX_PRICE_USD_PER_MWH,
        "−1e5 ≤ x ≤ 1e5 ($/MWh)",
    )
}

/// The calendar months the horizon of `grid` touches, each with the steps that start in it and
/// the share of it the horizon covers.
fn billing_months(grid: &TimeGrid) -> Vec<BillingMonth> {
    let start = grid.start_or_default();
    let step_ms = grid.step().as_millis();
    let horizon = grid.horizon().as_millis() as i64;
    let steps = grid.steps();
    let ms = |dt: jiff::civil::DateTime| -> i64 {
        let d = dt.duration_since(start);
        d.as_secs() * 1_000 + i64::from(d.subsec_millis())
    };
    let step_at = |t: i64| -> u64 {
        if t <= 0 {
            0
        } else {
            (t as u64).div_ceil(step_ms).min(steps)
        }
    };
    let mut months = Vec::new();
    let mut first = start.date().first_of_month();
    loop {
        let a = ms(first.to_datetime(jiff::civil::Time::midnight()));
        if a >= horizon {
            break;
        }
        // The calendar ends at 9999-12-31 (the grid was checked against it).
        let next = first.checked_add(jiff::Span::new().months(1)).ok();
        let b = next.map_or(i64::MAX, |n| {
            ms(n.to_datetime(jiff::civil::Time::midnight()))
        });
        let inside = (b.min(horizon) - a.max(0)) as f64;
        months.push(BillingMonth {
            year: first.year(),
            month: first.month(),
            start_step: step_at(a),
            end_step: step_at(b.min(horizon)),
            covered: (inside / (b - a) as f64).clamp(0.0, 1.0),
        });
        match next {
            Some(n) => first = n,
            None => break,
        }
    }
    months
}

/// The demand charge of one calendar month, with the peaks it was computed from.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MonthCharge {
    /// Calendar year.
    pub year: i16,
    /// Calendar month, 1..=12.
    pub month: i8,
    /// The share of the month inside the horizon.
    pub covered: f64,
    /// The billing demand: the highest interval-average import, MW.
    pub peak_import_mw: f64,
    /// The baseline's (battery idle) billing demand, MW.
    pub baseline_peak_import_mw: f64,
    /// The month's demand charge, $.
    pub demand_charge_usd: f64,
    /// The baseline's demand charge, $.
    pub baseline_demand_charge_usd: f64,
}

/// What a run paid on a [`Tariff`], and what the same site with its battery idle would have
/// paid. Amounts are over the hours billed; [`Bill::per_year`] scales one to a year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bill {
    /// Hours billed (the steps metered × the step).
    pub hours: f64,
    /// Energy: Σ price × (import − export) × step, $.
    pub energy_cost_usd: f64,
    /// Demand charges, summed over the months, $.
    pub demand_charges_usd: f64,
    /// The baseline's energy cost (battery idle: it imports its demand, up to the available
    /// import), $.
    pub baseline_energy_cost_usd: f64,
    /// The baseline's demand charges, $.
    pub baseline_demand_charges_usd: f64,
    /// Baseline total − run total: what the battery's dispatch saved, $.
    pub savings_usd: f64,
    /// [`Bill::savings_usd`] per year of 8,760 h, $/yr.
    pub savings_usd_per_year: f64,
    /// Energy imported, MWh.
    pub import_mwh: f64,
    /// Energy exported, MWh.
    pub export_mwh: f64,
    /// The demand charge of each month billed.
    pub months: Vec<MonthCharge>,
}

impl Bill {
    /// The run's total: energy plus demand charges, $.
    pub fn total_usd(&self) -> f64 {
        self.energy_cost_usd + self.demand_charges_usd
    }
    /// The baseline's total, $.
    pub fn baseline_total_usd(&self) -> f64 {
        self.baseline_energy_cost_usd + self.baseline_demand_charges_usd
    }
    /// `usd` over the hours billed, scaled to a year of 8,760 h (0 when nothing was billed).
    pub fn per_year(&self, usd: f64) -> f64 {
        if self.hours > 0.0 {
            usd * HOURS_PER_YEAR / self.hours
        } else {
            0.0
        }
    }
}

/// One side of the bill (the run, or the baseline) as it accumulates.
#[derive(Debug, Clone, Copy, Default)]
struct Side {
    energy_usd: f64,
    /// Σ import over the open interval's steps, MW.
    interval_sum: f64,
    /// The open month's highest interval average, MW.
    peak: f64,
    demand_usd: f64,
}

impl Side {
    #[inline]
    fn close_interval(&mut self, n: u64) {
        if n > 0 {
            self.peak = self.peak.max(self.interval_sum / n as f64);
        }
        self.interval_sum = 0.0;
    }
}

/// Bills a run step by step (a [`Recorder`]: pass it to
/// [`Simulation::run`](crate::engine::Simulation::run), alone or beside another recorder as a
/// pair `(meter, other)`), then [`Meter::finish`] gives the [`Bill`]. It expects the steps in
/// order, from any first step; it allocates only when it is made (the months' table).
#[derive(Debug, Clone)]
pub struct Meter<'t> {
    tariff: &'t Tariff,
    run: Side,
    base: Side,
    /// The open month (index into the tariff's months) and the step it ends at.
    month: usize,
    month_end: u64,
    /// Whether a step of the open month was recorded.
    month_open: bool,
    /// Steps in the open interval, and the step it ends at.
    interval_n: u64,
    interval_end: u64,
    steps: u64,
    import_mwh: f64,
    export_mwh: f64,
    months: Vec<MonthCharge>,
}

impl<'t> Meter<'t> {
    fn new(tariff: &'t Tariff) -> Meter<'t> {
        Meter {
            tariff,
            run: Side::default(),
            base: Side::default(),
            month: 0,
            month_end: tariff.months.first().map_or(u64::MAX, |m| m.end_step),
            month_open: false,
            interval_n: 0,
            interval_end: 0,
            steps: 0,
            import_mwh: 0.0,
            export_mwh: 0.0,
            months: Vec::with_capacity(tariff.months.len()),
        }
    }

    /// Ends the open interval of both sides.
    #[inline]
    fn close_interval(&mut self) {
        self.run.close_interval(self.interval_n);
        self.base.close_interval(self.interval_n);
        self.interval_n = 0;
    }

    /// Ends the open month: its interval, its peaks, its charges.
    fn close_month(&mut self) {
        self.close_interval();
        let Some(m) = self.tariff.months.get(self.month) else {
            return;
        };
        if !std::mem::take(&mut self.month_open) {
            // No step of this month was recorded (a meter started later): nothing to bill.
            self.month += 1;
            self.month_end = self
                .tariff
                .months
                .get(self.month)
                .map_or(u64::MAX, |m| m.end_step);
            return;
        }
        // $/kW-month × MW × 1000 kW/MW × the share of the month covered.
        let charge = |peak: f64| self.tariff.demand_charge * peak * 1_000.0 * m.covered;
        let (run, base) = (charge(self.run.peak), charge(self.base.peak));
        self.run.demand_usd += run;
        self.base.demand_usd += base;
        self.months.push(MonthCharge {
            year: m.year,
            month: m.month,
            covered: m.covered,
            peak_import_mw: self.run.peak,
            baseline_peak_import_mw: self.base.peak,
            demand_charge_usd: run,
            baseline_demand_charge_usd: base,
        });
        self.run.peak = 0.0;
        self.base.peak = 0.0;
        self.month += 1;
        self.month_end = self
            .tariff
            .months
            .get(self.month)
            .map_or(u64::MAX, |m| m.end_step);
    }

    /// The bill of the steps recorded so far (the open month billed as it stands).
    pub fn finish(mut self) -> Bill {
        if self.steps > 0 {
            self.close_month();
        }
        let hours = self.steps as f64 * self.tariff.dt_h;
        let savings = (self.base.energy_usd + self.base.demand_usd)
            - (self.run.energy_usd + self.run.demand_usd);
        let mut bill = Bill {
            hours,
            energy_cost_usd: self.run.energy_usd,
            demand_charges_usd: self.run.demand_usd,
            baseline_energy_cost_usd: self.base.energy_usd,
            baseline_demand_charges_usd: self.base.demand_usd,
            savings_usd: savings,
            savings_usd_per_year: 0.0,
            import_mwh: self.import_mwh,
            export_mwh: self.export_mwh,
            months: self.months,
        };
        bill.savings_usd_per_year = bill.per_year(savings);
        bill
    }
}

impl Recorder for Meter<'_> {
    #[inline]
    fn record(&mut self, row: &StepRecord) {
        let k = row.step;
        if k >= self.month_end {
            while k >= self.month_end {
                self.close_month();
            }
            self.interval_end = k;
        }
        if k >= self.interval_end {
            self.close_interval();
            self.interval_end = (k + self.tariff.interval_steps).min(self.month_end);
        }
        let dt = self.tariff.dt_h;
        let price = self.tariff.price(k).value();
        let import = row.import_mw;
        // The battery idle: the demand, as far as the grid offers it.
        let base = (row.facility_mw + row.aux_mw).min(row.available_import_mw);
        self.run.energy_usd += price * (import - row.export_mw) * dt;
        self.base.energy_usd += price * base * dt;
        self.run.interval_sum += import;
        self.base.interval_sum += base;
        self.interval_n += 1;
        self.month_open = true;
        self.import_mwh += import * dt;
        self.export_mwh += row.export_mw * dt;
        self.steps += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Dollars compared after sums of a few thousand products: far above rounding, far below
    /// a cent.
    const USD_TOLERANCE: f64 = 1e-6;

    fn grid(step: &str, horizon: &str) -> TimeGrid {
        TimeGrid::new(step.parse().unwrap(), horizon.parse().unwrap()).unwrap()
    }

    fn flat(charge: f64, price: f64) -> TariffParams {
        TariffParams {
            demand_charge_usd_per_kw_month: charge,
            demand_interval: None,
            energy_price_usd_per_mwh: Some(price),
            energy_price_trace: None,
        }
    }

    fn row(k: u64, import: f64) -> StepRecord {
        StepRecord {
            step: k,
            import_mw: import,
            facility_mw: import,
            available_import_mw: 100.0,
            ..StepRecord::default()
        }
    }

    #[test]
    fn months_of_a_year_cover_it_once() {
        let g = grid("1h", "365d");
        let t = Tariff::new(&flat(1.0, 1.0), &g).unwrap();
        let m = t.months();
        assert_eq!(m.len(), 12);
        assert_eq!(m[0].start_step, 0);
        assert_eq!(m[0].end_step, 31 * 24);
        assert_eq!(m[1].end_step - m[1].start_step, 28 * 24);
        assert_eq!(m[11].end_step, 8760);
        assert!(m.iter().all(|m| m.covered == 1.0));
        for w in m.windows(2) {
            assert_eq!(w[0].end_step, w[1].start_step);
        }
        // A week from mid-January covers 7/31 of it.
        let g = grid("1h", "7d").starting_at(jiff::civil::date(2025, 1, 10).at(0, 0, 0, 0));
        let t = Tariff::new(&flat(1.0, 1.0), &g).unwrap();
        assert_eq!(t.months().len(), 1);
        assert!((t.months()[0].covered - 7.0 / 31.0).abs() < 1e-15);
    }

    #[test]
    fn the_billing_interval_averages_the_import() {
        // 15-minute interval at 5-minute steps: a single 5-minute spike of 9 MW over 3 MW
        // bills (9 + 3 + 3)/3 = 5 MW; at the step average it bills 9 MW.
        let g = grid("5m", "31d");
        let mut p = flat(10.0, 0.0);
        let spike = |k: u64| if k == 100 { 9.0 } else { 3.0 };
        let step = Tariff::new(&p, &g)
            .unwrap()
            .bill((0..g.steps()).map(|k| row(k, spike(k))));
        assert!((step.months[0].peak_import_mw - 9.0).abs() < 1e-12);
        p.demand_interval = Some("15m".parse().unwrap());
        let t = Tariff::new(&p, &g).unwrap();
        assert_eq!(t.interval_steps(), 3);
        let bill = t.bill((0..g.steps()).map(|k| row(k, spike(k))));
        assert!((bill.months[0].peak_import_mw - 5.0).abs() < 1e-12);
        assert!((bill.demand_charges_usd - 10.0 * 5.0 * 1000.0).abs() < USD_TOLERANCE);
        // Shorter than the step: the step.
        p.demand_interval = Some("1m".parse().unwrap());
        assert_eq!(Tariff::new(&p, &g).unwrap().interval_steps(), 1);
        // Longer and not a whole number of steps: refused.
        p.demand_interval = Some("7m".parse().unwrap());
        assert!(matches!(
            Tariff::new(&p, &g),
            Err(ConfigError::NotMultiple { ref field, .. }) if field == "tariff.demand_interval"
        ));
    }

    #[test]
    fn a_step_counts_in_the_month_it_starts_in() {
        // 10-minute steps from 2025-01-31 23:00, 30-minute intervals: the last January step
        // (23:50) is a 9 MW spike; intervals restart at February's start, so January bills
        // (3 + 3 + 9)/3 = 5 MW over its last interval (23:30–24:00) and February 3 MW.
        let g = grid("10m", "1d").starting_at(jiff::civil::date(2025, 1, 31).at(23, 0, 0, 0));
        let mut p = flat(1.0, 0.0);
        p.demand_interval = Some("30m".parse().unwrap());
        let t = Tariff::new(&p, &g).unwrap();
        assert_eq!(t.months().len(), 2);
        assert_eq!(t.months()[0].end_step, 6);
        let bill = t.bill((0..g.steps()).map(|k| row(k, if k == 5 { 9.0 } else { 3.0 })));
        assert_eq!(bill.months.len(), 2);
        assert!((bill.months[0].peak_import_mw - 5.0).abs() < 1e-12);
        assert!((bill.months[1].peak_import_mw - 3.0).abs() < 1e-12);
        // January is covered 1 h of 744, February 23 h of 672.
        let want = 1_000.0 * (5.0 / 744.0 + 3.0 * 23.0 / 672.0);
        assert!((bill.demand_charges_usd - want).abs() < USD_TOLERANCE);
        // A meter that starts later bills only what it saw.
        let late = t.bill((8..g.steps()).map(|k| row(k, 2.0)));
        assert_eq!(late.months.len(), 1);
        assert_eq!((late.months[0].year, late.months[0].month), (2025, 2));
    }

    #[test]
    fn a_price_trace_is_resampled_as_a_load_trace() {
        // Hourly prices 0, 1, 2, …; at 30-minute steps each is held, at 2-hour steps averaged.
        let values: Vec<f64> = (0..48).map(f64::from).collect();
        let mut p = flat(0.0, 0.0);
        p.energy_price_usd_per_mwh = None;
        p.energy_price_trace = Some(PriceTrace::from_values(Duration::from_hours(1), values));
        let t = Tariff::new(&p, &grid("30m", "1d")).unwrap();
        assert_eq!(t.price(5).value(), 2.0);
        let t = Tariff::new(&p, &grid("2h", "1d")).unwrap();
        assert_eq!(t.price(3).value(), 6.5);
        // Too short a trace.
        assert!(matches!(
            Tariff::new(&p, &grid("1h", "3d")),
            Err(ConfigError::TraceLength {
                expected: 72,
                found: 48,
                ..
            })
        ));
    }

    #[test]
    fn bad_tariffs_name_the_field() {
        let g = grid("1h", "1d");
        let field = |p: &TariffParams| match Tariff::new(p, &g) {
            Err(ConfigError::OutOfRange { field, .. })
            | Err(ConfigError::Inconsistent { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            field(&flat(-1.0, 1.0)),
            "tariff.demand_charge_usd_per_kw_month"
        );
        assert_eq!(
            field(&flat(f64::NAN, 1.0)),
            "tariff.demand_charge_usd_per_kw_month"
        );
        assert_eq!(field(&flat(1.0, 2e5)), "tariff.energy_price_usd_per_mwh");
        let mut both = flat(1.0, 1.0);
        both.energy_price_trace = Some(PriceTrace::from_values(
            Duration::from_hours(1),
            vec![1.0; 24],
        ));
        assert_eq!(field(&both), "tariff.energy_price_usd_per_mwh");
        let mut none = flat(1.0, 1.0);
        none.energy_price_usd_per_mwh = None;
        assert_eq!(field(&none), "tariff.energy_price_usd_per_mwh");
        let mut bad_row = none.clone();
        let mut v = vec![1.0; 24];
        v[6] = f64::INFINITY;
        bad_row.energy_price_trace = Some(PriceTrace::from_values(Duration::from_hours(1), v));
        assert_eq!(field(&bad_row), "tariff.energy_price_trace[row 7]");
    }

    #[test]
    fn exports_earn_the_price_and_the_baseline_imports_the_demand() {
        // One day at hourly steps, $100/MWh: the battery exports 1 MW for 2 h and covers 2 MW
        // of a 5 MW demand for 3 h; the grid then imports 3 MW.
        let g = grid("1h", "1d");
        let t = Tariff::new(&flat(0.0, 100.0), &g).unwrap();
        let rows: Vec<StepRecord> = (0..24)
            .map(|k| {
                let mut r = row(k, 5.0);
                if k < 2 {
                    r.export_mw = 1.0;
                    r.import_mw = 0.0;
                } else if k < 5 {
                    r.import_mw = 3.0;
                }
                r
            })
            .collect();
        let bill = t.bill(&rows);
        let baseline = 24.0 * 5.0 * 100.0;
        let run = baseline - 2.0 * 5.0 * 100.0 - 2.0 * 1.0 * 100.0 - 3.0 * 2.0 * 100.0;
        assert!((bill.baseline_energy_cost_usd - baseline).abs() < USD_TOLERANCE);
        assert!((bill.energy_cost_usd - run).abs() < USD_TOLERANCE);
        assert!((bill.savings_usd - (baseline - run)).abs() < USD_TOLERANCE);
        assert!((bill.savings_usd_per_year - 365.0 * (baseline - run)).abs() < 1e-3);
    }
}
