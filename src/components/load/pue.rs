//! The power usage effectiveness: a constant (`pue = 1.3`, the default) or a curve of the
//! ambient temperature, so that cooling follows the weather as well as the IT load.
//!
//! ```toml
//! [load]
//! pue = { ambient = "austin_synthetic", curve = [
//!     { temperature_c = 15.0, pue = 1.2 },
//!     { temperature_c = 35.0, pue = 1.45 },
//! ] }
//! ```
//!
//! The curve is piecewise linear between points of strictly increasing temperature and flat
//! outside them. The ambient is hourly ([`crate::components::ambient`]), so the PUE is too: a
//! step's facility power is its IT power's step average × the time average of the hours' PUE
//! over the step (exact when the step lies inside one hour or the IT is constant over it; a
//! step of several hours with an IT load that varies inside it weights each hour's PUE by time,
//! not by IT energy). A curve that is the same at every hour (a constant ambient, or the same
//! PUE at every point) is folded into a constant PUE at construction, so it gives the constant
//! PUE's results bit for bit.
//!
//! A typical shape rises ≈0.01 per °C above about 25 °C outdoor, when economisers give way to
//! chillers (DOMAIN: "cooling rising ≈0.01 PUE per °C above 25 °C outdoor", an assumption).

use super::params::{MAX_PUE, MIN_PUE};
use crate::components::ambient::{Ambient, AmbientSource, MAX_AMBIENT_C, MIN_AMBIENT_C};
use crate::error::{check_range, ConfigError};
use crate::time::TimeGrid;
use crate::units::MS_PER_HOUR;
use serde::{Deserialize, Serialize};

/// The most points a PUE curve may have.
pub const MAX_PUE_POINTS: usize = 64;

/// `load.pue`: a constant ratio or a curve of the ambient temperature. A number is the
/// constant; a table is the curve, parsed strictly (its unknown keys are named in the error).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Pue {
    /// Facility power ÷ IT power, `1 ≤ x ≤ 5`.
    Constant(f64),
    /// A curve of the ambient temperature.
    Curve(PueCurve),
}

impl<'de> Deserialize<'de> for Pue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Pue, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Pue;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a number (the constant PUE) or a table { ambient, curve }")
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Pue, E> {
                Ok(Pue::Constant(v))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Pue, E> {
                Ok(Pue::Constant(v as f64))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Pue, E> {
                Ok(Pue::Constant(v as f64))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Pue, A::Error> {
                PueCurve::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(Pue::Curve)
            }
        }
        d.deserialize_any(Visitor)
    }
}

impl Default for Pue {
    fn default() -> Pue {
        Pue::Constant(super::params::DEFAULT_PUE)
    }
}

impl From<f64> for Pue {
    fn from(pue: f64) -> Pue {
        Pue::Constant(pue)
    }
}

/// `pue = { ambient = …, curve = [...] }`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PueCurve {
    /// The ambient temperature the curve reads (see [`crate::components::ambient`]).
    pub ambient: AmbientSource,
    /// The points, at strictly increasing temperatures; 1 to [`MAX_PUE_POINTS`].
    pub curve: Vec<PuePoint>,
}

/// One point of a [`PueCurve`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PuePoint {
    /// Ambient temperature, °C, in `[−70, 60]`.
    pub temperature_c: f64,
    /// The PUE at it, `1 ≤ x ≤ 5`.
    pub pue: f64,
}

/// The validated PUE for one grid.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum PueModel {
    Constant(f64),
    /// The PUE of each hour from the run's start (repeating).
    Hourly(Vec<f64>),
}

const FIELD: &str = "load.pue";

impl PueModel {
    /// Validates `pue` for `time`.
    pub(super) fn new(pue: &Pue, time: &TimeGrid) -> Result<PueModel, ConfigError> {
        let c = match pue {
            Pue::Constant(p) => {
                return Ok(PueModel::Constant(check_range(
                    FIELD,
                    *p,
                    MIN_PUE,
                    MAX_PUE,
                    "1 ≤ pue ≤ 5",
                )?))
            }
            Pue::Curve(c) => c,
        };
        let field = format!("{FIELD}.curve");
        if c.curve.is_empty() || c.curve.len() > MAX_PUE_POINTS {
            return Err(ConfigError::OutOfRange {
                field,
                value: c.curve.len() as f64,
                allowed: "1 to 64 points",
            });
        }
        for (i, p) in c.curve.iter().enumerate() {
            check_range(
                format!("{field}[{i}].temperature_c"),
                p.temperature_c,
                MIN_AMBIENT_C,
                MAX_AMBIENT_C,
                "−70 ≤ x ≤ 60 °C",
            )?;
            check_range(
                format!("{field}[{i}].pue"),
                p.pue,
                MIN_PUE,
                MAX_PUE,
                "1 ≤ pue ≤ 5",
            )?;
            if i > 0 && p.temperature_c <= c.curve[i - 1].temperature_c {
                return Err(ConfigError::Inconsistent {
                    field: format!("{field}[{i}].temperature_c"),
                    why: "the points' temperatures must increase strictly",
                });
            }
        }
        let ambient = Ambient::new(&c.ambient, &format!("{FIELD}.ambient"), time)?;
        let first = c.curve[0].pue;
        if c.curve.iter().all(|p| p.pue == first) {
            return Ok(PueModel::Constant(first));
        }
        Ok(match ambient.period_h() {
            None => PueModel::Constant(eval(&c.curve, ambient.at_hour(0))),
            Some(n) => {
                PueModel::Hourly((0..n).map(|h| eval(&c.curve, ambient.at_hour(h))).collect())
            }
        })
    }

    /// The largest PUE of any hour.
    pub(super) fn max(&self) -> f64 {
        match self {
            PueModel::Constant(p) => *p,
            PueModel::Hourly(v) => v.iter().copied().fold(MIN_PUE, f64::max),
        }
    }

    /// The time average of the PUE over `[t0, t1)` ms.
    #[inline]
    pub(super) fn over(&self, t0: u64, t1: u64) -> f64 {
        let v = match self {
            PueModel::Constant(p) => return *p,
            PueModel::Hourly(v) => v,
        };
        let at = |h: u64| v[(h % v.len() as u64) as usize];
        let (h0, h1) = (t0 / MS_PER_HOUR, (t1 - 1) / MS_PER_HOUR);
        if h0 == h1 {
            return at(h0);
        }
        let mut sum = 0.0;
        for h in h0..=h1 {
            let a = (h * MS_PER_HOUR).max(t0);
            let b = ((h + 1) * MS_PER_HOUR).min(t1);
            sum += at(h) * (b - a) as f64;
        }
        sum / (t1 - t0) as f64
    }
}

/// The curve at `t` °C: linear between the nearest points, flat outside.
fn eval(curve: &[PuePoint], t: f64) -> f64 {
    let n = curve.len();
    if t <= curve[0].temperature_c {
        return curve[0].pue;
    }
    if t >= curve[n - 1].temperature_c {
        return curve[n - 1].pue;
    }
    let i = curve.partition_point(|p| p.temperature_c <= t);
    let (a, b) = (curve[i - 1], curve[i]);
    a.pue + (b.pue - a.pue) * (t - a.temperature_c) / (b.temperature_c - a.temperature_c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::components::ambient::AmbientTrace;
    use crate::units::Duration;

    fn curve(points: &[(f64, f64)], ambient: AmbientSource) -> Pue {
        Pue::Curve(PueCurve {
            ambient,
            curve: points
                .iter()
                .map(|&(temperature_c, pue)| PuePoint { temperature_c, pue })
                .collect(),
        })
    }

    fn trace(values: Vec<f64>) -> AmbientSource {
        AmbientSource::Trace(AmbientTrace {
            trace: "t.csv".into(),
            column: None,
            data: Some(values),
        })
    }

    #[test]
    fn the_curve_interpolates_each_hour_and_averages_over_a_step() {
        let g = TimeGrid::new(Duration::from_hours(1), Duration::from_hours(2)).unwrap();
        let m = PueModel::new(
            &curve(&[(20.0, 1.2), (30.0, 1.4)], trace(vec![20.0, 25.0, 40.0])),
            &g,
        )
        .unwrap();
        assert_eq!(m.over(0, MS_PER_HOUR), 1.2);
        assert!((m.over(MS_PER_HOUR, 2 * MS_PER_HOUR) - 1.3).abs() < 1e-12);
        assert_eq!(m.over(2 * MS_PER_HOUR, 3 * MS_PER_HOUR), 1.4, "flat above");
        // Half of hour 0 and half of hour 1.
        let half = MS_PER_HOUR / 2;
        assert!((m.over(half, MS_PER_HOUR + half) - 1.25).abs() < 1e-12);
        assert!((m.max() - 1.4).abs() < 1e-12);
    }

    #[test]
    fn a_number_or_a_strict_table() {
        #[derive(Deserialize)]
        struct T {
            pue: Pue,
        }
        let t: T = toml::from_str("pue = 1.25").unwrap();
        assert_eq!(t.pue, Pue::Constant(1.25));
        let t: T = toml::from_str("pue = 2").unwrap();
        assert_eq!(t.pue, Pue::Constant(2.0));
        let t: T = toml::from_str(
            "pue = { ambient = 25.0, curve = [{ temperature_c = 20.0, pue = 1.2 }] }",
        )
        .unwrap();
        assert!(matches!(t.pue, Pue::Curve(_)));
        let e = toml::from_str::<T>("pue = { ambient = 25.0, curve = [], cruve = 1 }")
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("unknown field `cruve`"), "{e}");
        let e = toml::from_str::<T>("pue = \"high\"")
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("a number (the constant PUE) or a table"), "{e}");
        let json: Pue =
            serde_json::from_str(&serde_json::to_string(&Pue::Constant(1.3)).unwrap()).unwrap();
        assert_eq!(json, Pue::Constant(1.3));
    }

    #[test]
    fn bad_curves_name_the_field() {
        let g = TimeGrid::new(Duration::from_hours(1), Duration::from_hours(2)).unwrap();
        let err = |p: Pue| PueModel::new(&p, &g).unwrap_err().to_string();
        let t = || trace(vec![20.0]);
        assert!(err(curve(&[], t())).contains("load.pue.curve"));
        assert!(err(curve(&[(20.0, 0.9)], t())).contains("load.pue.curve[0].pue"));
        assert!(err(curve(&[(20.0, 1.2), (20.0, 1.3)], t()))
            .contains("load.pue.curve[1].temperature_c"));
        assert!(err(curve(&[(99.0, 1.2)], t())).contains("load.pue.curve[0].temperature_c"));
        assert!(err(curve(&[(20.0, 1.2)], trace(vec![20.0, f64::NAN])))
            .contains("load.pue.ambient.trace: trace \"t.csv\", data row 2 (counted from 1"));
        assert!(err(Pue::Constant(f64::NAN)).contains("load.pue"));
    }
}
