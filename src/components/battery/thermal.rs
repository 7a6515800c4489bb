//! Temperature and conversion: the ambient temperature a battery stands in, its auxiliary (HVAC)
//! draw as a curve of that temperature, and its inverter's part-load efficiency.
//!
//! * [`AuxCurve`]: auxiliary/HVAC draw per unit, piecewise linear in ambient temperature.
//! * [`EfficiencyCurve`]: one-way conversion efficiency, piecewise linear in loading (the
//!   fraction of rated power), calibrated to a round-trip efficiency at rated power.
//! * [`AmbientProfile`]: an hourly year of ambient temperature; [`AmbientProfile::austin`] is a
//!   synthetic representative year for Austin, Texas, built from monthly normals.
//!
//! Each is built from serde parameters by a validating constructor and is immutable afterwards.
//! Errors name the fields as they will sit in a scenario: `battery.aux_curve[i].…`,
//! `battery.efficiency_curve[i].…`, `ambient.synthetic.…`.

use super::Preset;
use crate::error::{check_range, ConfigError};
use crate::units::{Fraction, Power};
use serde::{Deserialize, Serialize};

/// The lowest ambient temperature accepted, °C: −70, below the coldest air temperatures
/// measured at inhabited places (−67.8 °C, Verkhoyansk and Oymyakon).
pub const MIN_AMBIENT_C: f64 = -70.0;

/// The highest ambient temperature accepted, °C: 60, above the hottest reliably measured air
/// temperature (54.4 °C, Death Valley) and Megapack 3's rated +60 °C.
pub const MAX_AMBIENT_C: f64 = 60.0;

/// The most points a curve may have: 64, far more than any datasheet curve (CEC efficiency
/// tables have six), and few enough that a lookup is a handful of comparisons.
pub const MAX_CURVE_POINTS: usize = 64;

/// The largest auxiliary draw of one unit, MW: 1 MW, the bound of `battery.aux_load_mw`
/// (a Megapack's HVAC is tens of kW).
pub const MAX_AUX_POWER_MW: f64 = 1.0;

/// A piecewise-linear function on strictly increasing abscissae, flat outside them.
#[derive(Debug, Clone, PartialEq, Serialize)]
struct Piecewise {
    x: Vec<f64>,
    y: Vec<f64>,
}

impl Piecewise {
    /// The value at `x`: linear between the nearest points, the end value outside (and for NaN,
    /// the first value).
    fn eval(&self, x: f64) -> f64 {
        let n = self.x.len();
        if x.is_nan() || x <= self.x[0] {
            return self.y[0];
        }
        if x >= self.x[n - 1] {
            return self.y[n - 1];
        }
        // The first abscissa above x: 1 ≤ i ≤ n − 1.
        let i = self.x.partition_point(|&xi| xi <= x);
        let (x0, x1, y0, y1) = (self.x[i - 1], self.x[i], self.y[i - 1], self.y[i]);
        y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    }

    /// Checks the number of points and that the abscissae increase strictly; `field` is the
    /// list's path and `x_name` the abscissa's key.
    fn new(field: &str, x_name: &str, x: Vec<f64>, y: Vec<f64>) -> Result<Piecewise, ConfigError> {
        if x.is_empty() {
            return Err(ConfigError::Missing {
                field: field.to_string(),
                why: "a curve needs at least one point",
            });
        }
        if x.len() > MAX_CURVE_POINTS {
            return Err(ConfigError::OutOfRange {
                field: field.to_string(),
                value: x.len() as f64,
                allowed: "at most 64 points",
            });
        }
        if let Some(i) = (1..x.len()).find(|&i| x[i] <= x[i - 1]) {
            return Err(ConfigError::Inconsistent {
                field: format!("{field}[{i}].{x_name}"),
                why: "the points' abscissae must increase strictly",
            });
        }
        Ok(Piecewise { x, y })
    }
}

// ---- auxiliary load --------------------------------------------------------------------------

/// One point of an [`AuxCurve`]: `{ temperature_c = 35, power_mw = 0.006 }`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuxPoint {
    /// Ambient temperature, °C, in `[MIN_AMBIENT_C, MAX_AMBIENT_C]`.
    pub temperature_c: f64,
    /// Auxiliary draw of one unit at that temperature, MW, `0 ≤ x ≤ 1`.
    pub power_mw: Power,
}

/// Auxiliary (HVAC and standby) draw of one unit as a piecewise-linear curve of ambient
/// temperature, flat beyond its first and last points.
///
/// **The default is an assumption**: Tesla publishes no auxiliary draw (at 25 °C it is already
/// inside the datasheet's round-trip efficiency); this crate assumes 2 kW per unit at 25 °C
/// rising linearly to 10 kW at 45 °C, as the cooling load grows. Below 25 °C it stays at 2 kW
/// (cold-weather heating is not modelled).
///
/// ```
/// use ridethrough::components::battery::thermal::AuxCurve;
/// use ridethrough::units::Power;
/// let aux = AuxCurve::default();
/// assert_eq!(aux.power_at(10.0), Power::kw(2.0));
/// assert!((aux.power_at(35.0).value() - 0.006).abs() < 1e-15); // 6 kW, half-way
/// assert_eq!(aux.power_at(50.0), Power::kw(10.0));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuxCurve {
    curve: Piecewise,
}

impl AuxCurve {
    /// The default points: 2 kW at 25 °C, 10 kW at 45 °C (assumption, see the type's docs).
    pub fn default_points() -> Vec<AuxPoint> {
        vec![
            AuxPoint {
                temperature_c: 25.0,
                power_mw: Power::kw(2.0),
            },
            AuxPoint {
                temperature_c: 45.0,
                power_mw: Power::kw(10.0),
            },
        ]
    }

    /// A curve through `points` (1 to [`MAX_CURVE_POINTS`], temperatures strictly increasing).
    ///
    /// # Errors
    /// Naming `battery.aux_curve` or `battery.aux_curve[i].<key>`:
    /// [`ConfigError::Missing`] for no points, [`ConfigError::OutOfRange`] for too many points or
    /// a temperature or power out of range (or not finite), [`ConfigError::Inconsistent`] for
    /// temperatures that do not increase.
    pub fn new(points: &[AuxPoint]) -> Result<AuxCurve, ConfigError> {
        const FIELD: &str = "battery.aux_curve";
        let mut x = Vec::with_capacity(points.len());
        let mut y = Vec::with_capacity(points.len());
        for (i, p) in points.iter().enumerate() {
            x.push(check_range(
                format!("{FIELD}[{i}].temperature_c"),
                p.temperature_c,
                MIN_AMBIENT_C,
                MAX_AMBIENT_C,
                "−70 ≤ x ≤ 60 °C",
            )?);
            y.push(check_range(
                format!("{FIELD}[{i}].power_mw"),
                p.power_mw.value(),
                0.0,
                MAX_AUX_POWER_MW,
                "0 ≤ x ≤ 1 MW",
            )?);
        }
        Ok(AuxCurve {
            curve: Piecewise::new(FIELD, "temperature_c", x, y)?,
        })
    }

    /// The draw of one unit at ambient temperature `ambient_c` (°C).
    pub fn power_at(&self, ambient_c: f64) -> Power {
        Power::mw(self.curve.eval(ambient_c))
    }
}

impl Default for AuxCurve {
    fn default() -> AuxCurve {
        AuxCurve::new(&AuxCurve::default_points()).expect("the default points are valid")
    }
}

// ---- part-load efficiency --------------------------------------------------------------------

/// The loadings at which the California Energy Commission's inverter test protocol measures
/// efficiency: 10, 20, 30, 50, 75 and 100 % of rated power.
pub const CEC_LOADINGS: [f64; 6] = [0.1, 0.2, 0.3, 0.5, 0.75, 1.0];

/// One point of an efficiency curve: `{ loading = 0.5, efficiency = 0.97 }`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EfficiencyPoint {
    /// Power over rated power, `0 < x ≤ 1`.
    pub loading: Fraction,
    /// One-way efficiency at that loading (for a curve shape: relative to the efficiency at
    /// rated power).
    pub efficiency: f64,
}

/// One-way conversion efficiency as a piecewise-linear curve of loading (power over rated
/// power), CEC style; flat below the lowest and above the highest tabulated loading. The same
/// curve serves both directions, so the round trip at a loading is the curve's value squared.
///
/// Below the lowest tabulated loading (10 % for a CEC table) a real inverter's efficiency keeps
/// falling towards zero; the curve stays flat there, and the standing (no-load) draw is left to
/// the auxiliary load, so it is not counted twice.
///
/// ```
/// use ridethrough::components::battery::thermal::EfficiencyCurve;
/// use ridethrough::components::battery::Preset;
/// let curve = EfficiencyCurve::for_preset(Preset::Megapack2Xl4h);
/// // The datasheet's 93.7 % round trip holds at rated power...
/// assert!((curve.round_trip_at(1.0).value() - 0.937).abs() < 1e-12);
/// // ...and a unit working at 10 % of its rating converts less well.
/// assert!(curve.round_trip_at(0.1).value() < 0.88);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EfficiencyCurve {
    curve: Piecewise,
}

/// The field path of efficiency-curve errors.
const EFFICIENCY_FIELD: &str = "battery.efficiency_curve";

impl EfficiencyCurve {
    /// A curve of absolute one-way efficiencies (each in `[0.1, 1]`, the bound of a battery's
    /// one-way efficiency) at strictly increasing loadings in `(0, 1]`.
    ///
    /// # Errors
    /// As [`AuxCurve::new`], naming `battery.efficiency_curve[i].<key>`.
    pub fn new(points: &[EfficiencyPoint]) -> Result<EfficiencyCurve, ConfigError> {
        let (x, y) = Self::checked(points, |i, e| {
            check_range(
                format!("{EFFICIENCY_FIELD}[{i}].efficiency"),
                e,
                crate::components::limits::MIN_ONE_WAY_EFFICIENCY,
                1.0,
                "0.1 ≤ x ≤ 1",
            )
        })?;
        Ok(EfficiencyCurve {
            curve: Piecewise::new(EFFICIENCY_FIELD, "loading", x, y)?,
        })
    }

    /// A curve of the given shape (efficiencies relative to the one at rated power, each in
    /// `(0, 2]`) scaled so that the round trip at rated power is `round_trip_at_rated`: every
    /// point is multiplied by `√rte / shape(1)`. The part-load dependence is thereby attributed
    /// to the conversion; the rest of the chain (cells, transformer, thermal) scales with it.
    ///
    /// # Errors
    /// As [`new`](Self::new) for the shape's loadings and values;
    /// [`ConfigError::OutOfRange`] naming `battery.round_trip_efficiency` outside `[0.01, 1]`;
    /// [`ConfigError::Inconsistent`] naming the point whose scaled efficiency leaves `[0.1, 1]`
    /// (a shape that rises above its rated value cannot be calibrated to a lossless round trip).
    pub fn calibrated(
        shape: &[EfficiencyPoint],
        round_trip_at_rated: Fraction,
    ) -> Result<EfficiencyCurve, ConfigError> {
        let rte = check_range(
            "battery.round_trip_efficiency",
            round_trip_at_rated.value(),
            crate::components::limits::MIN_ROUND_TRIP_EFFICIENCY,
            1.0,
            "0.01 ≤ x ≤ 1",
        )?;
        let (x, y) = Self::checked(shape, |i, e| {
            check_range(
                format!("{EFFICIENCY_FIELD}[{i}].efficiency"),
                e,
                f64::MIN_POSITIVE,
                2.0,
                "0 < x ≤ 2 (relative to rated power)",
            )
        })?;
        let shape = Piecewise::new(EFFICIENCY_FIELD, "loading", x, y)?;
        let scale = rte.sqrt() / shape.eval(1.0);
        let y: Vec<f64> = shape.y.iter().map(|v| v * scale).collect();
        if let Some(i) = y
            .iter()
            .position(|&e| !(crate::components::limits::MIN_ONE_WAY_EFFICIENCY..=1.0).contains(&e))
        {
            return Err(ConfigError::Inconsistent {
                field: format!("{EFFICIENCY_FIELD}[{i}].efficiency"),
                why: "scaled to the round-trip efficiency at rated power, this point's one-way efficiency leaves 0.1…1",
            });
        }
        Ok(EfficiencyCurve {
            curve: Piecewise { x: shape.x, y },
        })
    }

    /// The loadings (checked) and the values (checked by `value`).
    fn checked(
        points: &[EfficiencyPoint],
        value: impl Fn(usize, f64) -> Result<f64, ConfigError>,
    ) -> Result<(Vec<f64>, Vec<f64>), ConfigError> {
        let mut x = Vec::with_capacity(points.len());
        let mut y = Vec::with_capacity(points.len());
        for (i, p) in points.iter().enumerate() {
            let loading = p.loading.value();
            if !(loading.is_finite() && loading > 0.0 && loading <= 1.0) {
                return Err(ConfigError::OutOfRange {
                    field: format!("{EFFICIENCY_FIELD}[{i}].loading"),
                    value: loading,
                    allowed: "0 < x ≤ 1",
                });
            }
            x.push(loading);
            y.push(value(i, p.efficiency)?);
        }
        Ok((x, y))
    }

    /// The default part-load shape: NREL's PVWatts (version 5) inverter curve
    /// `η(ζ) ∝ −0.0162·ζ − 0.0059/ζ + 0.9858` (Dobos, "PVWatts Version 5 Manual", NREL/TP-6A20-62641,
    /// 2014), evaluated at the [`CEC_LOADINGS`] and divided by its value at rated power: 0.960 at
    /// 10 %, 0.989 at 20 %, 1.002 at 50 %, 1 at 100 %. PVWatts states it for a PV inverter's DC
    /// input; taking it for a battery inverter's loading in both directions is an assumption.
    pub fn pvwatts_shape() -> Vec<EfficiencyPoint> {
        let pvwatts = |z: f64| -0.0162 * z - 0.0059 / z + 0.9858;
        CEC_LOADINGS
            .iter()
            .map(|&z| EfficiencyPoint {
                loading: Fraction::ratio(z),
                efficiency: pvwatts(z) / pvwatts(1.0),
            })
            .collect()
    }

    /// The [`pvwatts_shape`](Self::pvwatts_shape) calibrated to a preset's datasheet round trip
    /// at rated power (92.0 % / 93.7 % AC for the Megapack 2 XL 2-hour / 4-hour unit).
    pub fn for_preset(preset: Preset) -> EfficiencyCurve {
        let unit = preset.unit();
        EfficiencyCurve::calibrated(
            &EfficiencyCurve::pvwatts_shape(),
            unit.charge_efficiency * unit.discharge_efficiency,
        )
        .expect("every preset's round trip calibrates the PVWatts shape")
    }

    /// One-way efficiency at `loading` (power over rated power).
    pub fn at(&self, loading: f64) -> Fraction {
        Fraction::ratio(self.curve.eval(loading))
    }

    /// Round-trip efficiency when charging and discharging at the same `loading`.
    pub fn round_trip_at(&self, loading: f64) -> Fraction {
        let e = self.curve.eval(loading);
        Fraction::ratio(e * e)
    }
}

// ---- ambient temperature ---------------------------------------------------------------------

/// Days in each month of a 365-day year.
const MONTH_DAYS: [u32; 12] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/// Hours in the synthetic year (365 days).
pub const HOURS_PER_YEAR: usize = 8760;

/// Monthly mean temperatures at Austin–Camp Mabry, °F, January to December: the 30-year normals
/// implied by a 2019 report of each month's mean and its departure from normal (KXAN, "Austin
/// temperatures run a fever in 2019", 2019-12-30).
pub const AUSTIN_MONTHLY_MEAN_F: [f64; 12] = [
    51.5, 55.0, 61.7, 69.2, 76.6, 82.2, 85.0, 85.8, 80.0, 71.2, 61.0, 52.6,
];

/// Austin's winter diurnal swing, °F: December 1991 averaged a daily high of 62.0 °F and a low
/// of 46.9 °F (Texas Climate Report, December 1991), ≈ 8.4 °C peak to trough.
pub const AUSTIN_WINTER_SWING_F: f64 = 62.0 - 46.9;

/// Austin's summer diurnal swing, °F: a July high of ≈ 96 °F and low of ≈ 75 °F, ≈ 11.7 °C.
/// **An unverified assumption.**
pub const AUSTIN_SUMMER_SWING_F: f64 = 96.0 - 75.0;

/// The hour of the daily maximum: 15:00, mid-afternoon (assumption; the daily maximum of air
/// temperature typically falls between 14:00 and 16:00 local time).
pub const DEFAULT_PEAK_HOUR: f64 = 15.0;

/// The parameters of a synthetic year: `ambient.synthetic` in a scenario.
///
/// The year is 365 days from 1 January 00:00 local time, one value per whole hour:
/// `T(h) = base(h) + S(day)/2 · cos(2π · (hour_of_day − peak_hour) / 24)`, where
/// * `base` is piecewise linear between knots at the middle of each month (wrapping from
///   December to January), the knots solved so that each month's mean of `base` over its hours
///   equals `monthly_mean_c` exactly (plain interpolation through the monthly means would pull
///   July's mean ≈ 0.1 °C towards its neighbours);
/// * the diurnal swing `S` runs as a cosine over the year from `winter_swing_c` in mid-January
///   to `summer_swing_c` in mid-July, constant within each day, so every day's sinusoid averages
///   to zero and the monthly means stay exact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyntheticYear {
    /// Mean temperature of each month, January first, °C, each in `[−60, 50]`.
    pub monthly_mean_c: [f64; 12],
    /// Diurnal swing (daily maximum minus minimum) in mid-January, °C, `0 ≤ x ≤ 30`.
    pub winter_swing_c: f64,
    /// Diurnal swing in mid-July, °C, `0 ≤ x ≤ 30`.
    pub summer_swing_c: f64,
    /// Hour of the daily maximum, `0 ≤ x < 24`.
    pub peak_hour: f64,
}

/// °F to °C.
fn fahrenheit_to_celsius(f: f64) -> f64 {
    (f - 32.0) * 5.0 / 9.0
}

impl SyntheticYear {
    /// Austin, Texas: the [`AUSTIN_MONTHLY_MEAN_F`] normals, the [`AUSTIN_WINTER_SWING_F`] and
    /// [`AUSTIN_SUMMER_SWING_F`] swings, converted to °C, and the maximum at 15:00.
    ///
    /// | month | °F | °C |
    /// |---|---|---|
    /// | Jan | 51.5 | 10.8 |
    /// | Feb | 55.0 | 12.8 |
    /// | Mar | 61.7 | 16.5 |
    /// | Apr | 69.2 | 20.7 |
    /// | May | 76.6 | 24.8 |
    /// | Jun | 82.2 | 27.9 |
    /// | Jul | 85.0 | 29.4 |
    /// | Aug | 85.8 | 29.9 |
    /// | Sep | 80.0 | 26.7 |
    /// | Oct | 71.2 | 21.8 |
    /// | Nov | 61.0 | 16.1 |
    /// | Dec | 52.6 | 11.4 |
    ///
    /// Monthly means: Austin–Camp Mabry 30-year normals as implied by KXAN, "Austin
    /// temperatures run a fever in 2019" (2019-12-30). Winter swing: Texas Climate Report,
    /// December 1991. Summer swing: unverified assumption. For a hot year (2019 averaged
    /// +1.34 °F, September +8.0 °F) raise the monthly means.
    pub fn austin() -> SyntheticYear {
        SyntheticYear {
            monthly_mean_c: AUSTIN_MONTHLY_MEAN_F.map(fahrenheit_to_celsius),
            winter_swing_c: AUSTIN_WINTER_SWING_F * 5.0 / 9.0,
            summer_swing_c: AUSTIN_SUMMER_SWING_F * 5.0 / 9.0,
            peak_hour: DEFAULT_PEAK_HOUR,
        }
    }
}

impl Default for SyntheticYear {
    fn default() -> SyntheticYear {
        SyntheticYear::austin()
    }
}

/// An hourly year of ambient temperature, °C: value `h` holds at hour `h` of the year
/// (0 = 1 January 00:00), and the year repeats.
///
/// ```
/// use ridethrough::components::battery::thermal::AmbientProfile;
/// let austin = AmbientProfile::austin();
/// let july = austin.monthly_means_c()[6];
/// assert!((july - 29.44).abs() < 0.01); // 85.0 °F
/// // Mid-July, 15:00 is the day's hottest hour, ≈ 35 °C (the normal high is ≈ 96 °F).
/// let day = 196;
/// let hottest = (0..24).max_by(|&a, &b| {
///     austin.at_hour(day * 24 + a).total_cmp(&austin.at_hour(day * 24 + b))
/// });
/// assert_eq!(hottest, Some(15));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AmbientProfile {
    hourly_c: Vec<f64>,
}

impl AmbientProfile {
    /// The synthetic representative year of Austin, Texas ([`SyntheticYear::austin`]).
    pub fn austin() -> AmbientProfile {
        AmbientProfile::synthetic(&SyntheticYear::austin())
            .expect("the Austin normals build a valid year")
    }

    /// A synthetic year (see [`SyntheticYear`] for the construction).
    ///
    /// # Errors
    /// [`ConfigError::OutOfRange`] naming `ambient.synthetic.<field>`;
    /// [`ConfigError::Inconsistent`] naming `ambient.synthetic.monthly_mean_c` when the months
    /// differ so wildly that the interpolated year leaves `[MIN_AMBIENT_C, MAX_AMBIENT_C]`.
    pub fn synthetic(year: &SyntheticYear) -> Result<AmbientProfile, ConfigError> {
        const FIELD: &str = "ambient.synthetic";
        for (m, &t) in year.monthly_mean_c.iter().enumerate() {
            check_range(
                format!("{FIELD}.monthly_mean_c[{m}]"),
                t,
                -60.0,
                50.0,
                "−60 ≤ x ≤ 50 °C",
            )?;
        }
        for (name, swing) in [
            ("winter_swing_c", year.winter_swing_c),
            ("summer_swing_c", year.summer_swing_c),
        ] {
            check_range(format!("{FIELD}.{name}"), swing, 0.0, 30.0, "0 ≤ x ≤ 30 °C")?;
        }
        let peak_hour = check_range(
            format!("{FIELD}.peak_hour"),
            year.peak_hour,
            0.0,
            24.0,
            "0 ≤ x < 24",
        )?;
        if peak_hour == 24.0 {
            return Err(crate::error::out_of_range(
                format!("{FIELD}.peak_hour"),
                peak_hour,
                "0 ≤ x < 24",
            ));
        }

        let knots = monthly_knots(&year.monthly_mean_c);
        let tau = std::f64::consts::TAU;
        let mid_swing = 0.5 * (year.winter_swing_c + year.summer_swing_c);
        let swing_amplitude = 0.5 * (year.summer_swing_c - year.winter_swing_c);
        // Mid-January (day 15.5): the smallest swing.
        const LEAST_SWING_DAY: f64 = 15.5;
        let hourly_c: Vec<f64> = (0..HOURS_PER_YEAR)
            .map(|h| {
                let day = (h / 24) as f64;
                let hour = (h % 24) as f64;
                let swing = mid_swing
                    - swing_amplitude * (tau * (day + 0.5 - LEAST_SWING_DAY) / 365.0).cos();
                base_at(&knots, h as f64) + 0.5 * swing * (tau * (hour - peak_hour) / 24.0).cos()
            })
            .collect();
        if hourly_c
            .iter()
            .any(|t| !(MIN_AMBIENT_C..=MAX_AMBIENT_C).contains(t))
        {
            return Err(ConfigError::Inconsistent {
                field: format!("{FIELD}.monthly_mean_c"),
                why: "the months differ so much that the interpolated year leaves −70…60 °C",
            });
        }
        Ok(AmbientProfile { hourly_c })
    }

    /// The temperature at hour `hour` counted from 1 January 00:00 (°C); the year repeats.
    #[inline]
    pub fn at_hour(&self, hour: u64) -> f64 {
        self.hourly_c[(hour % HOURS_PER_YEAR as u64) as usize]
    }

    /// The 8,760 hourly values, °C.
    pub fn hourly_c(&self) -> &[f64] {
        &self.hourly_c
    }

    /// The mean of each month's hourly values, °C.
    pub fn monthly_means_c(&self) -> [f64; 12] {
        let mut start = 0;
        MONTH_DAYS.map(|days| {
            let n = days as usize * 24;
            let mean = self.hourly_c[start..start + n].iter().sum::<f64>() / n as f64;
            start += n;
            mean
        })
    }
}

/// The middle of each month, in hours from 1 January 00:00.
fn month_middles() -> [f64; 12] {
    let mut start = 0.0;
    MONTH_DAYS.map(|days| {
        let hours = f64::from(days) * 24.0;
        let middle = start + hours / 2.0;
        start += hours;
        middle
    })
}

/// The two knots around hour `t` and the weight of the second: `base = (1 − w)·k[i] + w·k[j]`.
fn bracket(t: f64) -> (usize, usize, f64) {
    let mid = month_middles();
    let year = HOURS_PER_YEAR as f64;
    if t < mid[0] {
        // Between mid-December of the year before and mid-January.
        let from = mid[11] - year;
        (11, 0, (t - from) / (mid[0] - from))
    } else if t >= mid[11] {
        (11, 0, (t - mid[11]) / (mid[0] + year - mid[11]))
    } else {
        let i = mid.partition_point(|&m| m <= t) - 1;
        (i, i + 1, (t - mid[i]) / (mid[i + 1] - mid[i]))
    }
}

/// The piecewise-linear base temperature at hour `t`.
fn base_at(knots: &[f64; 12], t: f64) -> f64 {
    let (i, j, w) = bracket(t);
    (1.0 - w) * knots[i] + w * knots[j]
}

/// The knots whose piecewise-linear interpolation has the given monthly means over the whole
/// hours of each month: the 12 × 12 linear system `A·k = means`, `A[m][i]` the mean over month
/// `m`'s hours of knot `i`'s interpolation weight, solved by Gaussian elimination with partial
/// pivoting (`A` is strictly diagonally dominant, ≈ ¾ on the diagonal and ⅛ beside it).
fn monthly_knots(means: &[f64; 12]) -> [f64; 12] {
    let mut a = [[0.0; 13]; 12];
    let mut month = 0;
    let mut month_end = MONTH_DAYS[0] as usize * 24;
    for h in 0..HOURS_PER_YEAR {
        if h == month_end {
            month += 1;
            month_end += MONTH_DAYS[month] as usize * 24;
        }
        let n = f64::from(MONTH_DAYS[month]) * 24.0;
        let (i, j, w) = bracket(h as f64);
        a[month][i] += (1.0 - w) / n;
        a[month][j] += w / n;
    }
    for (row, &mean) in a.iter_mut().zip(means) {
        row[12] = mean;
    }
    for col in 0..12 {
        let pivot = (col..12)
            .max_by(|&r, &s| a[r][col].abs().total_cmp(&a[s][col].abs()))
            .unwrap_or(col);
        a.swap(col, pivot);
        let (top, below) = a.split_at_mut(col + 1);
        let pivot_row = &top[col];
        for row in below.iter_mut() {
            let f = row[col] / pivot_row[col];
            for (x, p) in row[col..].iter_mut().zip(&pivot_row[col..]) {
                *x -= f * p;
            }
        }
    }
    let mut k = [0.0; 12];
    for r in (0..12).rev() {
        let tail: f64 = (r + 1..12).map(|c| a[r][c] * k[c]).sum();
        k[r] = (a[r][12] - tail) / a[r][r];
    }
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tolerance of values computed in a few floating-point operations.
    const TOL: f64 = 1e-12;

    /// The brief's tolerance on the monthly means against the published table (its figures are
    /// rounded to 0.1 °C).
    const TABLE_TOL_C: f64 = 0.1;

    /// Tolerance of the monthly means against the exact normals: a 12 × 12 solve and sums of
    /// ~700 hourly values of ~30 °C.
    const MEANS_TOL_C: f64 = 1e-9;

    #[test]
    fn the_default_aux_curve_is_2_kw_at_25_c_rising_to_10_kw_at_45_c() {
        let aux = AuxCurve::default();
        for (t, kw) in [
            (-30.0, 2.0),
            (25.0, 2.0),
            (30.0, 4.0),
            (40.0, 8.0),
            (45.0, 10.0),
            (55.0, 10.0),
        ] {
            assert!(
                (aux.power_at(t).value() - kw / 1000.0).abs() < TOL,
                "{t} °C"
            );
        }
        // Austin's synthetic year: the draw follows the afternoon heat.
        let austin = AmbientProfile::austin();
        let hottest = austin.hourly_c().iter().cloned().fold(f64::MIN, f64::max);
        let peak = aux.power_at(hottest).value() * 1000.0;
        assert!(
            (5.0..8.0).contains(&peak),
            "peak draw {peak} kW at {hottest} °C"
        );
    }

    #[test]
    fn a_curve_interpolates_and_is_flat_outside() {
        let aux = AuxCurve::new(&[
            AuxPoint {
                temperature_c: 0.0,
                power_mw: Power::mw(0.004),
            },
            AuxPoint {
                temperature_c: 20.0,
                power_mw: Power::mw(0.002),
            },
            AuxPoint {
                temperature_c: 40.0,
                power_mw: Power::mw(0.008),
            },
        ])
        .unwrap();
        assert!((aux.power_at(10.0).value() - 0.003).abs() < TOL);
        assert!((aux.power_at(30.0).value() - 0.005).abs() < TOL);
        assert_eq!(aux.power_at(-10.0).value(), 0.004);
        assert_eq!(aux.power_at(f64::NAN).value(), 0.004);
        assert_eq!(aux.power_at(f64::INFINITY).value(), 0.008);
        let flat = AuxCurve::new(&[AuxPoint {
            temperature_c: 25.0,
            power_mw: Power::mw(0.003),
        }])
        .unwrap();
        assert_eq!(flat.power_at(-5.0), flat.power_at(45.0));
    }

    #[test]
    fn bad_aux_curves_name_the_point() {
        let p = |t: f64, kw: f64| AuxPoint {
            temperature_c: t,
            power_mw: Power::kw(kw),
        };
        let field = |r: Result<AuxCurve, ConfigError>| match r {
            Err(ConfigError::OutOfRange { field, .. })
            | Err(ConfigError::Inconsistent { field, .. })
            | Err(ConfigError::Missing { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(AuxCurve::new(&[])), "battery.aux_curve");
        assert_eq!(
            field(AuxCurve::new(&[p(25.0, 2.0), p(25.0, 3.0)])),
            "battery.aux_curve[1].temperature_c"
        );
        assert_eq!(
            field(AuxCurve::new(&[p(25.0, 2.0), p(20.0, 3.0)])),
            "battery.aux_curve[1].temperature_c"
        );
        assert_eq!(
            field(AuxCurve::new(&[p(25.0, -1.0)])),
            "battery.aux_curve[0].power_mw"
        );
        assert_eq!(
            field(AuxCurve::new(&[p(25.0, 2.0), p(30.0, 2000.0)])),
            "battery.aux_curve[1].power_mw"
        );
        assert_eq!(
            field(AuxCurve::new(&[p(f64::NAN, 2.0)])),
            "battery.aux_curve[0].temperature_c"
        );
        assert_eq!(
            field(AuxCurve::new(&[p(80.0, 2.0)])),
            "battery.aux_curve[0].temperature_c"
        );
        let many: Vec<AuxPoint> = (0..65).map(|i| p(f64::from(i) * 0.5, 2.0)).collect();
        assert_eq!(field(AuxCurve::new(&many)), "battery.aux_curve");
        assert!(AuxCurve::new(&many[..64]).is_ok());
        // Unknown keys in a point are rejected.
        assert!(toml::from_str::<AuxPoint>("temperature_c = 25\npower_kw = 2").is_err());
    }

    #[test]
    fn the_pvwatts_shape_is_the_published_curve_normalised_at_rated_power() {
        // η(ζ) ∝ −0.0162ζ − 0.0059/ζ + 0.9858; at ζ = 1 it is 0.9637, PVWatts' η_ref.
        let shape = EfficiencyCurve::pvwatts_shape();
        let loadings: Vec<f64> = shape.iter().map(|p| p.loading.value()).collect();
        assert_eq!(loadings, CEC_LOADINGS.to_vec());
        for p in &shape {
            let z = p.loading.value();
            let by_hand = (-0.0162 * z - 0.0059 / z + 0.9858) / 0.9637;
            assert!((p.efficiency - by_hand).abs() < TOL, "{z}");
        }
        assert!((shape[0].efficiency - 0.96).abs() < 5e-4);
        assert!(
            shape[3].efficiency > 1.0,
            "the curve peaks between 50 and 75 %"
        );
    }

    #[test]
    fn calibrated_curves_keep_the_datasheet_round_trip_at_rated_power() {
        for (preset, rte) in [
            (Preset::Megapack2Xl2h, 0.920),
            (Preset::Megapack2Xl4h, 0.937),
        ] {
            let curve = EfficiencyCurve::for_preset(preset);
            assert!((curve.round_trip_at(1.0).value() - rte).abs() < TOL);
            assert!((curve.at(1.0).value() - f64::sqrt(rte)).abs() < TOL);
            // Part load: 4 % worse one way at 10 %, slightly better at half load.
            let rel = |l: f64| curve.at(l).value() / curve.at(1.0).value();
            assert!((rel(0.1) - 0.92518 / 0.9637).abs() < 1e-9);
            assert!(rel(0.5) > 1.0);
            // Flat outside the table, linear inside.
            assert_eq!(curve.at(0.01), curve.at(0.1));
            assert!((rel(0.4) - 0.5 * (rel(0.3) + rel(0.5))).abs() < TOL);
        }
    }

    #[test]
    fn bad_efficiency_curves_name_the_point() {
        let p = |l: f64, e: f64| EfficiencyPoint {
            loading: Fraction::ratio(l),
            efficiency: e,
        };
        let field = |r: Result<EfficiencyCurve, ConfigError>| match r {
            Err(ConfigError::OutOfRange { field, .. })
            | Err(ConfigError::Inconsistent { field, .. })
            | Err(ConfigError::Missing { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            field(EfficiencyCurve::new(&[p(0.0, 0.9)])),
            "battery.efficiency_curve[0].loading"
        );
        assert_eq!(
            field(EfficiencyCurve::new(&[p(0.5, 0.9), p(1.2, 0.9)])),
            "battery.efficiency_curve[1].loading"
        );
        assert_eq!(
            field(EfficiencyCurve::new(&[p(0.5, 0.9), p(0.4, 0.9)])),
            "battery.efficiency_curve[1].loading"
        );
        assert_eq!(
            field(EfficiencyCurve::new(&[p(0.5, 1.01)])),
            "battery.efficiency_curve[0].efficiency"
        );
        assert_eq!(
            field(EfficiencyCurve::new(&[p(0.5, 0.05)])),
            "battery.efficiency_curve[0].efficiency"
        );
        assert_eq!(field(EfficiencyCurve::new(&[])), "battery.efficiency_curve");
        // A shape above its rated value cannot reach a lossless round trip.
        assert_eq!(
            field(EfficiencyCurve::calibrated(
                &EfficiencyCurve::pvwatts_shape(),
                Fraction::ONE
            )),
            "battery.efficiency_curve[3].efficiency"
        );
        assert_eq!(
            field(EfficiencyCurve::calibrated(
                &[p(1.0, 1.0)],
                Fraction::ratio(1.5)
            )),
            "battery.round_trip_efficiency"
        );
        assert_eq!(
            field(EfficiencyCurve::calibrated(
                &[p(1.0, 0.0)],
                Fraction::ratio(0.9)
            )),
            "battery.efficiency_curve[0].efficiency"
        );
        let ok = EfficiencyCurve::new(&[p(0.1, 0.93), p(1.0, 0.97)]).unwrap();
        assert!((ok.at(0.55).value() - 0.95).abs() < TOL);
    }

    /// The monthly means reproduce the published table (KXAN 2019, via °F → °C, rounded to
    /// 0.1 °C there) to 0.1 °C, and the exact °F normals to rounding.
    #[test]
    fn austin_monthly_means_reproduce_the_table() {
        let table_c = [
            10.8, 12.8, 16.5, 20.7, 24.8, 27.9, 29.4, 29.9, 26.7, 21.8, 16.1, 11.4,
        ];
        let austin = AmbientProfile::austin();
        assert_eq!(austin.hourly_c().len(), 8760);
        let means = austin.monthly_means_c();
        for m in 0..12 {
            assert!(
                (means[m] - table_c[m]).abs() <= TABLE_TOL_C,
                "month {m}: {} vs {}",
                means[m],
                table_c[m]
            );
            let exact = (AUSTIN_MONTHLY_MEAN_F[m] - 32.0) * 5.0 / 9.0;
            assert!((means[m] - exact).abs() < MEANS_TOL_C, "month {m}");
        }
    }

    #[test]
    fn austin_days_swing_by_season_and_peak_mid_afternoon() {
        let austin = AmbientProfile::austin();
        let day = |d: u64| -> Vec<f64> { (0..24).map(|h| austin.at_hour(d * 24 + h)).collect() };
        let swing = |v: &[f64]| {
            v.iter().cloned().fold(f64::MIN, f64::max) - v.iter().cloned().fold(f64::MAX, f64::min)
        };
        // Mid-January: the winter swing (8.4 °C); mid-July: the summer swing (11.7 °C). Hourly
        // samples of a 24-hour sinusoid peaking on the hour catch its maximum and minimum; the
        // base's drift within the day adds at most a few hundredths.
        let jan = day(15);
        let jul = day(196);
        assert!(
            (swing(&jan) - 15.1 * 5.0 / 9.0).abs() < 0.05,
            "{}",
            swing(&jan)
        );
        assert!(
            (swing(&jul) - 21.0 * 5.0 / 9.0).abs() < 0.05,
            "{}",
            swing(&jul)
        );
        for d in [15, 100, 196, 300] {
            let v = day(d);
            let hottest = (0..24).max_by(|&a, &b| v[a].total_cmp(&v[b])).unwrap();
            assert_eq!(hottest, 15, "day {d}");
        }
        // The year wraps, and there is no jump at New Year.
        assert_eq!(austin.at_hour(8760 + 5), austin.at_hour(5));
        let new_year = austin.at_hour(0) - austin.at_hour(8759);
        let ordinary = austin.at_hour(1) - austin.at_hour(0);
        assert!((new_year - ordinary).abs() < 1.0);
        // Annual extremes are those of a normal year, not of a record one.
        let hi = austin.hourly_c().iter().cloned().fold(f64::MIN, f64::max);
        let lo = austin.hourly_c().iter().cloned().fold(f64::MAX, f64::min);
        assert!((34.0..37.0).contains(&hi), "hottest hour {hi}");
        assert!((5.0..8.0).contains(&lo), "coldest hour {lo}");
    }

    #[test]
    fn any_valid_synthetic_year_keeps_its_monthly_means() {
        let year = SyntheticYear {
            monthly_mean_c: [
                -20.0, -18.0, -10.0, 0.0, 8.0, 15.0, 18.0, 16.0, 10.0, 2.0, -8.0, -16.0,
            ],
            winter_swing_c: 4.0,
            summer_swing_c: 14.0,
            peak_hour: 14.5,
        };
        let profile = AmbientProfile::synthetic(&year).unwrap();
        for (m, mean) in profile.monthly_means_c().iter().enumerate() {
            assert!(
                (mean - year.monthly_mean_c[m]).abs() < MEANS_TOL_C,
                "month {m}"
            );
        }
    }

    #[test]
    fn bad_synthetic_years_name_the_field() {
        let field = |y: SyntheticYear| match AmbientProfile::synthetic(&y) {
            Err(ConfigError::OutOfRange { field, .. })
            | Err(ConfigError::Inconsistent { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        let mut y = SyntheticYear::austin();
        y.monthly_mean_c[3] = f64::NAN;
        assert_eq!(field(y), "ambient.synthetic.monthly_mean_c[3]");
        let mut y = SyntheticYear::austin();
        y.summer_swing_c = -1.0;
        assert_eq!(field(y), "ambient.synthetic.summer_swing_c");
        let mut y = SyntheticYear::austin();
        y.peak_hour = 24.0;
        assert_eq!(field(y), "ambient.synthetic.peak_hour");
        // Alternating extremes overshoot between the knots: the year would leave −70…60 °C.
        let mut y = SyntheticYear::austin();
        y.monthly_mean_c = [
            -60.0, 50.0, -60.0, 50.0, -60.0, 50.0, -60.0, 50.0, -60.0, 50.0, -60.0, 50.0,
        ];
        assert_eq!(field(y), "ambient.synthetic.monthly_mean_c");
        assert!(toml::from_str::<SyntheticYear>(
            "monthly_mean_c = [1,2,3,4,5,6,7,8,9,10,11,12]\nwinter_swing_c = 5\nsummer_swing_c = 10\npeak_hour = 15\nwind = 3"
        )
        .is_err());
    }
}
