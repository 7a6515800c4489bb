//! Physical quantities as newtypes: [`Power`] (MW), [`Energy`] (MWh), [`Hours`] (a real-valued
//! span of time), [`Fraction`] (a dimensionless ratio) and [`Duration`] (an exact, integer number
//! of milliseconds, used for the time grid); for generator fuel, [`Litres`], [`LitresPerHour`]
//! and [`LitresPerMwh`].
//!
//! Only physically meaningful operations compile:
//!
//! ```
//! use ridethrough::units::{Duration, Energy, Power};
//! let p = Power::mw(10.0);
//! let e: Energy = p * Duration::from_hours(2); // MW × h → MWh
//! assert_eq!(e, Energy::mwh(20.0));
//! assert_eq!(e / Power::mw(4.0), ridethrough::units::Hours::h(5.0)); // MWh ÷ MW → h
//! ```
//!
//! Adding a power to an energy is a type error:
//!
//! ```compile_fail
//! use ridethrough::units::{Energy, Power};
//! let nonsense = Power::mw(1.0) + Energy::mwh(1.0);
//! ```
//!
//! Newtypes serialise as plain numbers (their unit is in the config key, e.g. `import_limit_mw`);
//! [`Duration`] serialises as a readable string such as `"15m"` or `"365d"`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Div, Mul, Neg, Sub, SubAssign};

/// Implements the linear-space operations shared by every real-valued quantity:
/// `±` with itself, scaling by `f64`, the ratio of two values, ordering helpers and `Sum`.
macro_rules! real_quantity {
    ($t:ident, $unit:literal) => {
        impl $t {
            /// The zero value.
            pub const ZERO: $t = $t(0.0);
            /// The raw number in this quantity's unit.
            #[inline]
            pub const fn value(self) -> f64 {
                self.0
            }
            /// The larger of two values.
            #[inline]
            pub fn max(self, other: $t) -> $t {
                $t(self.0.max(other.0))
            }
            /// The smaller of two values.
            #[inline]
            pub fn min(self, other: $t) -> $t {
                $t(self.0.min(other.0))
            }
            /// The value clamped to `[lo, hi]` (`lo` wins if `lo > hi`).
            #[inline]
            pub fn clamp_to(self, lo: $t, hi: $t) -> $t {
                $t(self.0.min(hi.0).max(lo.0))
            }
            /// The absolute value.
            #[inline]
            pub fn abs(self) -> $t {
                $t(self.0.abs())
            }
            /// Whether the number is finite (neither NaN nor infinite).
            #[inline]
            pub fn is_finite(self) -> bool {
                self.0.is_finite()
            }
        }
        impl Add for $t {
            type Output = $t;
            #[inline]
            fn add(self, o: $t) -> $t {
                $t(self.0 + o.0)
            }
        }
        impl Sub for $t {
            type Output = $t;
            #[inline]
            fn sub(self, o: $t) -> $t {
                $t(self.0 - o.0)
            }
        }
        impl AddAssign for $t {
            #[inline]
            fn add_assign(&mut self, o: $t) {
                self.0 += o.0;
            }
        }
        impl SubAssign for $t {
            #[inline]
            fn sub_assign(&mut self, o: $t) {
                self.0 -= o.0;
            }
        }
        impl Neg for $t {
            type Output = $t;
            #[inline]
            fn neg(self) -> $t {
                $t(-self.0)
            }
        }
        impl Mul<f64> for $t {
            type Output = $t;
            #[inline]
            fn mul(self, k: f64) -> $t {
                $t(self.0 * k)
            }
        }
        impl Mul<$t> for f64 {
            type Output = $t;
            #[inline]
            fn mul(self, q: $t) -> $t {
                $t(self * q.0)
            }
        }
        impl Div<f64> for $t {
            type Output = $t;
            #[inline]
            fn div(self, k: f64) -> $t {
                $t(self.0 / k)
            }
        }
        impl Mul<Fraction> for $t {
            type Output = $t;
            #[inline]
            fn mul(self, f: Fraction) -> $t {
                $t(self.0 * f.0)
            }
        }
        impl Sum for $t {
            fn sum<I: Iterator<Item = $t>>(iter: I) -> $t {
                $t(iter.map(|q| q.0).sum())
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match f.precision() {
                    Some(p) => write!(f, "{:.*} {}", p, self.0, $unit),
                    None => write!(f, "{} {}", self.0, $unit),
                }
            }
        }
    };
}

/// Electrical power in megawatts (MW). Positive or negative; the sign convention is stated
/// wherever a signed power crosses an API (battery power is positive when discharging).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Power(f64);

/// Energy in megawatt-hours (MWh).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Energy(f64);

/// A real-valued span of time in hours, the result of `Energy / Power` (e.g. a ride-through time).
/// Time-grid durations are exact integers: see [`Duration`].
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Hours(f64);

/// A dimensionless ratio (state of charge, efficiency, availability). Arithmetic does not check
/// the range; [`Fraction::new`] and config validation do.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Fraction(f64);

real_quantity!(Power, "MW");
real_quantity!(Energy, "MWh");
real_quantity!(Hours, "h");

impl Power {
    /// A power of `v` megawatts.
    #[inline]
    pub const fn mw(v: f64) -> Power {
        Power(v)
    }
    /// A power of `v` kilowatts.
    #[inline]
    pub fn kw(v: f64) -> Power {
        Power(v / 1000.0)
    }
}

impl Energy {
    /// An energy of `v` megawatt-hours.
    #[inline]
    pub const fn mwh(v: f64) -> Energy {
        Energy(v)
    }
    /// An energy of `v` kilowatt-hours.
    #[inline]
    pub fn kwh(v: f64) -> Energy {
        Energy(v / 1000.0)
    }
}

impl Hours {
    /// A span of `v` hours.
    #[inline]
    pub const fn h(v: f64) -> Hours {
        Hours(v)
    }
}

impl Fraction {
    /// Zero.
    pub const ZERO: Fraction = Fraction(0.0);
    /// One (100 %).
    pub const ONE: Fraction = Fraction(1.0);
    /// A fraction in `[0, 1]`, or `None` if `v` is outside that range or not finite.
    pub fn new(v: f64) -> Option<Fraction> {
        (v.is_finite() && (0.0..=1.0).contains(&v)).then_some(Fraction(v))
    }
    /// A ratio `v`, unchecked: for computed ratios that may leave `[0, 1]` (use
    /// [`Fraction::new`] for a checked one).
    #[inline]
    pub const fn ratio(v: f64) -> Fraction {
        Fraction(v)
    }
    /// The raw ratio.
    #[inline]
    pub const fn value(self) -> f64 {
        self.0
    }
    /// One minus this fraction.
    #[inline]
    pub fn complement(self) -> Fraction {
        Fraction(1.0 - self.0)
    }
}

impl Mul for Fraction {
    type Output = Fraction;
    #[inline]
    fn mul(self, o: Fraction) -> Fraction {
        Fraction(self.0 * o.0)
    }
}

impl fmt::Display for Fraction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.1} %", self.0 * 100.0)
    }
}

// ---- cross-unit operations -------------------------------------------------------------------

impl Mul<Hours> for Power {
    type Output = Energy;
    #[inline]
    fn mul(self, h: Hours) -> Energy {
        Energy(self.0 * h.0)
    }
}
impl Mul<Power> for Hours {
    type Output = Energy;
    #[inline]
    fn mul(self, p: Power) -> Energy {
        Energy(self.0 * p.0)
    }
}
impl Mul<Duration> for Power {
    type Output = Energy;
    #[inline]
    fn mul(self, d: Duration) -> Energy {
        Energy(self.0 * d.hours().0)
    }
}
impl Div<Hours> for Energy {
    type Output = Power;
    #[inline]
    fn div(self, h: Hours) -> Power {
        Power(self.0 / h.0)
    }
}
impl Div<Duration> for Energy {
    type Output = Power;
    #[inline]
    fn div(self, d: Duration) -> Power {
        Power(self.0 / d.hours().0)
    }
}
impl Div<Power> for Energy {
    type Output = Hours;
    #[inline]
    fn div(self, p: Power) -> Hours {
        Hours(self.0 / p.0)
    }
}
impl Div for Energy {
    type Output = Fraction;
    #[inline]
    fn div(self, o: Energy) -> Fraction {
        Fraction(self.0 / o.0)
    }
}
impl Div for Power {
    type Output = Fraction;
    #[inline]
    fn div(self, o: Power) -> Fraction {
        Fraction(self.0 / o.0)
    }
}

// ---- Duration --------------------------------------------------------------------------------

/// An exact span of time: a whole number of milliseconds. The time grid, outage windows and
/// profile periods are all `Duration`s, so wall time is always `start + k·step` in integers.
///
/// Parses from and prints as a readable string: a sequence of `<number><unit>` with units
/// `ms`, `s`, `m` (or `min`), `h`, `d`, `w`; decimals are allowed when the result is a whole
/// number of milliseconds (`"1.5h"`, `"0.1s"`, `"1h30m"`, `"365d"`).
///
/// ```
/// use ridethrough::units::Duration;
/// let d: Duration = "1h30m".parse().unwrap();
/// assert_eq!(d, Duration::from_minutes(90));
/// assert_eq!(d.to_string(), "90m");
/// assert!("15x".parse::<Duration>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration(u64);

/// Milliseconds per second, minute, hour, day, week.
const MS_PER: [(&str, u64); 7] = [
    ("ms", 1),
    ("s", 1_000),
    ("min", 60_000),
    ("m", 60_000),
    ("h", 3_600_000),
    ("d", 86_400_000),
    ("w", 604_800_000),
];

/// Milliseconds in one hour.
pub const MS_PER_HOUR: u64 = 3_600_000;

impl Duration {
    /// Zero length.
    pub const ZERO: Duration = Duration(0);
    /// `ms` milliseconds.
    #[inline]
    pub const fn from_millis(ms: u64) -> Duration {
        Duration(ms)
    }
    /// `s` seconds.
    #[inline]
    pub const fn from_secs(s: u64) -> Duration {
        Duration(s * 1_000)
    }
    /// `m` minutes.
    #[inline]
    pub const fn from_minutes(m: u64) -> Duration {
        Duration(m * 60_000)
    }
    /// `h` hours.
    #[inline]
    pub const fn from_hours(h: u64) -> Duration {
        Duration(h * MS_PER_HOUR)
    }
    /// `d` days.
    #[inline]
    pub const fn from_days(d: u64) -> Duration {
        Duration(d * 86_400_000)
    }
    /// The nearest whole number of milliseconds to `h` hours (negative or non-finite → `None`).
    pub fn from_hours_f64(h: f64) -> Option<Duration> {
        let ms = (h * MS_PER_HOUR as f64).round();
        (ms.is_finite() && ms >= 0.0 && ms < u64::MAX as f64).then_some(Duration(ms as u64))
    }
    /// The exact number of milliseconds.
    #[inline]
    pub const fn as_millis(self) -> u64 {
        self.0
    }
    /// This span in hours, as a real number.
    #[inline]
    pub fn hours(self) -> Hours {
        Hours(self.0 as f64 / MS_PER_HOUR as f64)
    }
    /// This span in seconds, as a real number.
    #[inline]
    pub fn secs_f64(self) -> f64 {
        self.0 as f64 / 1_000.0
    }
    /// Whether this is zero.
    #[inline]
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }
    /// `self + o`, or `None` on overflow.
    #[inline]
    pub const fn checked_add(self, o: Duration) -> Option<Duration> {
        match self.0.checked_add(o.0) {
            Some(v) => Some(Duration(v)),
            None => None,
        }
    }
    /// `self · k`, or `None` on overflow.
    #[inline]
    pub const fn checked_mul(self, k: u64) -> Option<Duration> {
        match self.0.checked_mul(k) {
            Some(v) => Some(Duration(v)),
            None => None,
        }
    }
}

impl Add for Duration {
    type Output = Duration;
    #[inline]
    fn add(self, o: Duration) -> Duration {
        Duration(self.0 + o.0)
    }
}
impl Sub for Duration {
    type Output = Duration;
    #[inline]
    fn sub(self, o: Duration) -> Duration {
        Duration(self.0 - o.0)
    }
}
impl Mul<u64> for Duration {
    type Output = Duration;
    #[inline]
    fn mul(self, k: u64) -> Duration {
        Duration(self.0 * k)
    }
}

/// Why a duration string did not parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DurationParseError {
    /// The string is empty.
    #[error("empty duration (write e.g. \"15m\", \"4h\", \"365d\")")]
    Empty,
    /// A number is missing or malformed.
    #[error("expected a number before the unit (write e.g. \"15m\", \"1.5h\")")]
    BadNumber,
    /// A unit is missing or unknown.
    #[error("unknown or missing unit (use ms, s, m, min, h, d, w)")]
    BadUnit,
    /// The value is not a whole number of milliseconds.
    #[error("not a whole number of milliseconds")]
    NotWholeMillis,
    /// The value does not fit in 64 bits of milliseconds.
    #[error("too long")]
    Overflow,
}

impl std::str::FromStr for Duration {
    type Err = DurationParseError;
    fn from_str(s: &str) -> Result<Duration, DurationParseError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(DurationParseError::Empty);
        }
        let mut rest = s;
        let mut total: u64 = 0;
        while !rest.is_empty() {
            let num_len = rest
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .unwrap_or(rest.len());
            let (num, tail) = rest.split_at(num_len);
            if num.is_empty() || num.matches('.').count() > 1 || num == "." {
                return Err(DurationParseError::BadNumber);
            }
            let unit_len = tail
                .find(|c: char| c.is_ascii_digit() || c == '.' || c.is_whitespace())
                .unwrap_or(tail.len());
            let (unit, tail) = tail.split_at(unit_len);
            let per = MS_PER
                .iter()
                .find(|(u, _)| *u == unit)
                .map(|(_, ms)| *ms)
                .ok_or(DurationParseError::BadUnit)?;
            total = total
                .checked_add(scaled_decimal(num, per)?)
                .ok_or(DurationParseError::Overflow)?;
            rest = tail.trim_start();
        }
        Ok(Duration(total))
    }
}

/// `num` (a decimal string such as "1.25") times `per`, exactly, if it is a whole number.
fn scaled_decimal(num: &str, per: u64) -> Result<u64, DurationParseError> {
    let (int, frac) = num.split_once('.').unwrap_or((num, ""));
    let int: u64 = if int.is_empty() {
        0
    } else {
        int.parse().map_err(|_| DurationParseError::Overflow)?
    };
    let mut value = int.checked_mul(per).ok_or(DurationParseError::Overflow)?;
    if !frac.is_empty() {
        if frac.len() > 12 {
            return Err(DurationParseError::NotWholeMillis);
        }
        let digits: u64 = frac.parse().map_err(|_| DurationParseError::BadNumber)?;
        let scale = 10u64.pow(frac.len() as u32);
        let num = (digits as u128) * (per as u128);
        if num % scale as u128 != 0 {
            return Err(DurationParseError::NotWholeMillis);
        }
        value = value
            .checked_add((num / scale as u128) as u64)
            .ok_or(DurationParseError::Overflow)?;
    }
    Ok(value)
}

impl fmt::Display for Duration {
    /// The largest single unit that divides the value exactly: `"90m"`, `"365d"`, `"100ms"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 0 {
            return f.write_str("0s");
        }
        for (unit, per) in [
            ("d", 86_400_000),
            ("h", 3_600_000),
            ("m", 60_000),
            ("s", 1_000),
        ] {
            if self.0 % per == 0 {
                return write!(f, "{}{}", self.0 / per, unit);
            }
        }
        write!(f, "{}ms", self.0)
    }
}

impl Duration {
    /// The duration as a person reads it, every unit from days down:
    /// `"1h29m58.056s"`, `"2d19h5m33.625s"`, `"4h"`, `"250ms"` (and it parses back to the same
    /// duration). [`Duration`]'s `Display` gives the largest single unit instead (`"5398056ms"`),
    /// the form scenario files and JSON use.
    ///
    /// ```
    /// use ridethrough::units::Duration;
    /// let d = Duration::from_millis(5_398_056);
    /// assert_eq!(d.to_string(), "5398056ms");
    /// assert_eq!(d.compound().to_string(), "1h29m58.056s");
    /// assert_eq!(d.compound().to_string().parse::<Duration>().unwrap(), d);
    /// ```
    pub fn compound(self) -> Compound {
        Compound(self)
    }
}

/// [`Duration::compound`]'s display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Compound(Duration);

impl fmt::Display for Compound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0.as_millis();
        if ms < 1_000 {
            return write!(f, "{ms}ms");
        }
        let (d, h, m) = (ms / 86_400_000, ms / 3_600_000 % 24, ms / 60_000 % 60);
        let (s, milli) = (ms / 1_000 % 60, ms % 1_000);
        for (v, unit) in [(d, "d"), (h, "h"), (m, "m")] {
            if v > 0 {
                write!(f, "{v}{unit}")?;
            }
        }
        match (s, milli) {
            (0, 0) => Ok(()),
            (s, 0) => write!(f, "{s}s"),
            (s, milli) => write!(f, "{s}.{milli:03}s"),
        }
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let s = String::deserialize(d)?;
        s.parse()
            .map_err(|e| serde::de::Error::custom(format_args!("invalid duration {s:?}: {e}")))
    }
}

// ---- fuel -------------------------------------------------------------------------------------

/// A volume of fuel in litres (L): a tank's capacity or level, the fuel burnt over a span.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Litres(f64);

/// A fuel flow in litres per hour (L/h): a generator's burn rate.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LitresPerHour(f64);

/// Fuel per unit of electrical energy, litres per MWh (L/MWh): the slope of a generator's
/// fuel curve.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LitresPerMwh(f64);

real_quantity!(Litres, "L");
real_quantity!(LitresPerHour, "L/h");
real_quantity!(LitresPerMwh, "L/MWh");

impl Litres {
    /// A volume of `v` litres.
    #[inline]
    pub const fn l(v: f64) -> Litres {
        Litres(v)
    }
}

impl LitresPerHour {
    /// A flow of `v` litres per hour.
    #[inline]
    pub const fn l_per_h(v: f64) -> LitresPerHour {
        LitresPerHour(v)
    }
}

impl LitresPerMwh {
    /// A fuel-curve slope of `v` litres per MWh.
    #[inline]
    pub const fn l_per_mwh(v: f64) -> LitresPerMwh {
        LitresPerMwh(v)
    }
}

impl Mul<Hours> for LitresPerHour {
    type Output = Litres;
    #[inline]
    fn mul(self, h: Hours) -> Litres {
        Litres(self.0 * h.0)
    }
}
impl Mul<Duration> for LitresPerHour {
    type Output = Litres;
    #[inline]
    fn mul(self, d: Duration) -> Litres {
        Litres(self.0 * d.hours().0)
    }
}
impl Div<LitresPerHour> for Litres {
    type Output = Hours;
    #[inline]
    fn div(self, r: LitresPerHour) -> Hours {
        Hours(self.0 / r.0)
    }
}
impl Div for Litres {
    type Output = Fraction;
    #[inline]
    fn div(self, o: Litres) -> Fraction {
        Fraction(self.0 / o.0)
    }
}
impl Mul<Power> for LitresPerMwh {
    type Output = LitresPerHour;
    #[inline]
    fn mul(self, p: Power) -> LitresPerHour {
        LitresPerHour(self.0 * p.0)
    }
}
impl Mul<Energy> for LitresPerMwh {
    type Output = Litres;
    #[inline]
    fn mul(self, e: Energy) -> Litres {
        Litres(self.0 * e.0)
    }
}

#[cfg(test)]
mod fuel_unit_tests {
    use super::*;

    #[test]
    fn fuel_flow_times_time_is_volume_and_volume_over_flow_is_time() {
        assert_eq!(LitresPerHour::l_per_h(300.0) * Hours(2.0), Litres::l(600.0));
        assert_eq!(
            LitresPerHour::l_per_h(300.0) * Duration::from_minutes(30),
            Litres::l(150.0)
        );
        assert_eq!(Litres::l(600.0) / LitresPerHour::l_per_h(300.0), Hours(2.0));
        assert_eq!(Litres::l(1.0) / Litres::l(4.0), Fraction(0.25));
    }

    #[test]
    fn fuel_curve_slope_times_power_is_flow_and_times_energy_is_volume() {
        assert_eq!(
            LitresPerMwh::l_per_mwh(250.0) * Power::mw(2.0),
            LitresPerHour::l_per_h(500.0)
        );
        assert_eq!(
            LitresPerMwh::l_per_mwh(250.0) * Energy::mwh(3.0),
            Litres::l(750.0)
        );
        let total: Litres = [Litres::l(1.0), Litres::l(2.0)].into_iter().sum();
        assert_eq!(total, Litres::l(3.0));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_compound_duration_reads_and_parses_back() {
        for (ms, text) in [
            (0, "0ms"),
            (999, "999ms"),
            (1_000, "1s"),
            (60_050, "1m0.050s"),
            (4 * 3_600_000, "4h"),
            (5_398_056, "1h29m58.056s"),
            (241_533_625, "2d19h5m33.625s"),
            (3 * 86_400_000 + 1, "3d0.001s"),
        ] {
            let d = Duration::from_millis(ms);
            assert_eq!(d.compound().to_string(), text);
            assert_eq!(text.parse::<Duration>().unwrap(), d, "{text}");
        }
        for ms in (0..200).map(|i: u64| i.wrapping_mul(0x9E37_79B9_7F4A_7C15) % (1u64 << 45)) {
            let d = Duration::from_millis(ms);
            assert_eq!(d.compound().to_string().parse::<Duration>().unwrap(), d);
        }
    }

    #[test]
    fn power_times_time_is_energy() {
        assert_eq!(Power::mw(3.0) * Hours(2.0), Energy::mwh(6.0));
        assert_eq!(Hours(2.0) * Power::mw(3.0), Energy::mwh(6.0));
        assert_eq!(
            Power::mw(12.0) * Duration::from_minutes(30),
            Energy::mwh(6.0)
        );
    }

    #[test]
    fn energy_over_time_is_power_and_over_power_is_time() {
        assert_eq!(Energy::mwh(6.0) / Hours(2.0), Power::mw(3.0));
        assert_eq!(
            Energy::mwh(6.0) / Duration::from_minutes(30),
            Power::mw(12.0)
        );
        assert_eq!(Energy::mwh(6.0) / Power::mw(3.0), Hours(2.0));
    }

    #[test]
    fn ratios_are_fractions() {
        assert_eq!(Energy::mwh(1.0) / Energy::mwh(4.0), Fraction(0.25));
        assert_eq!(Power::mw(1.0) / Power::mw(4.0), Fraction(0.25));
        assert_eq!(Energy::mwh(8.0) * Fraction(0.25), Energy::mwh(2.0));
        assert_eq!(Power::mw(8.0) * Fraction(0.5), Power::mw(4.0));
        assert_eq!(Fraction(0.5) * Fraction(0.5), Fraction(0.25));
        assert_eq!(Fraction(0.25).complement(), Fraction(0.75));
    }

    #[test]
    fn linear_operations() {
        let mut p = Power::mw(1.0) + Power::mw(2.0) - Power::mw(0.5);
        p += Power::mw(1.0);
        p -= Power::mw(0.5);
        assert_eq!(p, Power::mw(3.0));
        assert_eq!(-p, Power::mw(-3.0));
        assert_eq!(p * 2.0, Power::mw(6.0));
        assert_eq!(2.0 * p, Power::mw(6.0));
        assert_eq!(p / 2.0, Power::mw(1.5));
        let total: Energy = [Energy::mwh(1.0), Energy::mwh(2.0)].into_iter().sum();
        assert_eq!(total, Energy::mwh(3.0));
        assert_eq!(
            Power::mw(5.0).clamp_to(Power::ZERO, Power::mw(2.0)),
            Power::mw(2.0)
        );
        assert_eq!(Power::kw(1500.0), Power::mw(1.5));
        assert_eq!(Energy::kwh(3916.0), Energy::mwh(3.916));
    }

    #[test]
    fn fraction_range_is_checked() {
        assert!(Fraction::new(0.0).is_some());
        assert!(Fraction::new(1.0).is_some());
        assert!(Fraction::new(1.01).is_none());
        assert!(Fraction::new(-0.1).is_none());
        assert!(Fraction::new(f64::NAN).is_none());
    }

    #[test]
    fn durations_parse_exactly() {
        let cases = [
            ("100ms", 100),
            ("1s", 1_000),
            ("0.1s", 100),
            ("15m", 900_000),
            ("15min", 900_000),
            ("1.5h", 5_400_000),
            ("1h30m", 5_400_000),
            ("1h 30m", 5_400_000),
            ("365d", 31_536_000_000),
            ("1w", 604_800_000),
        ];
        for (s, ms) in cases {
            assert_eq!(s.parse::<Duration>(), Ok(Duration::from_millis(ms)), "{s}");
        }
        assert_eq!("".parse::<Duration>(), Err(DurationParseError::Empty));
        assert_eq!("15".parse::<Duration>(), Err(DurationParseError::BadUnit));
        assert_eq!("15x".parse::<Duration>(), Err(DurationParseError::BadUnit));
        assert_eq!("h".parse::<Duration>(), Err(DurationParseError::BadNumber));
        assert_eq!(
            "-1h".parse::<Duration>(),
            Err(DurationParseError::BadNumber)
        );
        assert_eq!(
            "0.0001s".parse::<Duration>(),
            Err(DurationParseError::NotWholeMillis)
        );
        assert_eq!(
            "99999999999999999999d".parse::<Duration>(),
            Err(DurationParseError::Overflow)
        );
    }

    #[test]
    fn durations_print_and_round_trip() {
        for s in ["100ms", "1s", "15m", "4h", "365d", "1500ms", "90m"] {
            let d: Duration = s.parse().unwrap();
            assert_eq!(d.to_string(), s);
            let json = serde_json::to_string(&d).unwrap();
            assert_eq!(serde_json::from_str::<Duration>(&json).unwrap(), d);
        }
        assert_eq!(Duration::from_hours(1).hours(), Hours(1.0));
        assert_eq!(
            Duration::from_hours_f64(1.5),
            Some(Duration::from_minutes(90))
        );
        assert_eq!(Duration::from_hours_f64(-1.0), None);
    }
}
