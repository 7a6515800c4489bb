//! Duration laws: how long an outage lasts.
//!
//! A [`DurationLaw`] (serde parameters, tagged by `law`) is validated once into a sampler
//! of whole milliseconds, which then samples infallibly. The availability processes of
//! [`crate::reliability::availability`] draw their outage lengths from it.

use crate::error::{check_non_negative, check_range, out_of_range, ConfigError};
use crate::rng::Rng;
use crate::units::Duration;
use rand::distr::weighted::WeightedIndex;
use rand_distr::{Distribution, Exp, LogNormal, Weibull};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The largest `sigma_ln` of a log-normal law: at 10 the mean is e⁵⁰ ≈ 5·10²¹ times the median,
/// far past any fitted outage data (published fits are near 1–2), yet every derived figure stays
/// finite.
pub const MAX_SIGMA_LN: f64 = 10.0;

/// The smallest Weibull shape: at 0.1 the mean is Γ(11) ≈ 3.6·10⁶ times the scale (finite);
/// fitted outage and repair data have shapes between about 0.3 and 5.
pub const MIN_WEIBULL_SHAPE: f64 = 0.1;

/// The largest Weibull shape: at 100 the law is a fixed duration within a few per cent.
pub const MAX_WEIBULL_SHAPE: f64 = 100.0;

/// Tolerance on the sum of an empirical law's probabilities.
pub const EMPIRICAL_SUM_TOLERANCE: f64 = 1e-9;

/// The law of outage durations, tagged by `law`:
/// `{ law = "fixed", duration = "2h" }`, `{ law = "exponential", mean = "30m" }`,
/// `{ law = "log_normal", median = "1.2h", sigma_ln = 1.0 }` (also spelt `lognormal`),
/// `{ law = "weibull", shape = 1.5, scale = "4h" }`,
/// `{ law = "empirical", durations = ["1h", "8h"], probabilities = [0.9, 0.1] }`.
/// Sampled lengths are rounded to whole milliseconds, at least 1 ms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "law", rename_all = "snake_case", deny_unknown_fields)]
pub enum DurationLaw {
    /// Every outage lasts exactly `duration` (> 0).
    Fixed {
        /// The outage length.
        duration: Duration,
    },
    /// Exponentially distributed outage lengths with mean `mean` (> 0).
    Exponential {
        /// The mean outage length.
        mean: Duration,
    },
    /// Log-normal outage lengths: `ln D ~ Normal(ln median, sigma_ln²)`; the mean is
    /// `median·exp(sigma_ln²/2)`.
    #[serde(alias = "lognormal")]
    LogNormal {
        /// The median outage length (> 0).
        median: Duration,
        /// The standard deviation of `ln D` (finite, > 0).
        sigma_ln: f64,
    },
    /// Weibull outage lengths, `P(D > d) = exp(−(d/scale)^shape)`; the mean is
    /// `scale·Γ(1 + 1/shape)`.
    Weibull {
        /// The shape `k` (finite, > 0; 1 is exponential).
        shape: f64,
        /// The scale `λ` (> 0).
        scale: Duration,
    },
    /// A discrete law: `durations[i]` with probability `probabilities[i]`.
    Empirical {
        /// The possible outage lengths (each > 0; at least one).
        durations: Vec<Duration>,
        /// Their probabilities (each ≥ 0, as many as `durations`, summing to 1 within
        /// [`EMPIRICAL_SUM_TOLERANCE`]).
        probabilities: Vec<f64>,
    },
}

impl DurationLaw {
    /// The mean outage length in hours.
    pub fn mean_hours(&self) -> f64 {
        match self {
            DurationLaw::Fixed { duration } => duration.hours().value(),
            DurationLaw::Exponential { mean } => mean.hours().value(),
            DurationLaw::LogNormal { median, sigma_ln } => {
                median.hours().value() * (sigma_ln * sigma_ln / 2.0).exp()
            }
            DurationLaw::Weibull { shape, scale } => {
                scale.hours().value() * libm::tgamma(1.0 + 1.0 / shape)
            }
            DurationLaw::Empirical {
                durations,
                probabilities,
            } => durations
                .iter()
                .zip(probabilities)
                .map(|(d, p)| d.hours().value() * p)
                .sum(),
        }
    }
}

/// A sampler of outage lengths in milliseconds.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Law {
    Fixed(u64),
    Exponential(Exp<f64>),
    LogNormal(LogNormal<f64>),
    Weibull(Weibull<f64>),
    /// Durations (ms) and the index sampler of their probabilities.
    Empirical(Arc<[u64]>, WeightedIndex<f64>),
}

/// A real number of milliseconds rounded to a whole number (saturating at `u64::MAX`).
#[inline]
pub(crate) fn whole_ms(x: f64) -> u64 {
    // `as` saturates: +∞ → u64::MAX, NaN → 0.
    x.round() as u64
}

impl Law {
    #[inline]
    pub(crate) fn sample(&self, rng: &mut Rng) -> u64 {
        let ms = match self {
            Law::Fixed(ms) => return *ms,
            Law::Exponential(exp) => whole_ms(exp.sample(rng)),
            Law::LogNormal(ln) => whole_ms(ln.sample(rng)),
            Law::Weibull(w) => whole_ms(w.sample(rng)),
            Law::Empirical(d, index) => return d[index.sample(rng)],
        };
        ms.max(1)
    }
}

/// A positive duration in ms, at most [`crate::time::MAX_DURATION`].
pub(crate) fn check_duration(field: String, d: Duration) -> Result<u64, ConfigError> {
    if d.is_zero() {
        Err(out_of_range(field, 0.0, "a duration > 0"))
    } else {
        crate::time::check_max_duration(field, d)
    }
}

/// Validates `law`; errors name fields under `field` (e.g. `….duration.sigma_ln`).
pub(crate) fn build_law(field: &str, law: &DurationLaw) -> Result<Law, ConfigError> {
    Ok(match law {
        DurationLaw::Fixed { duration } => {
            Law::Fixed(check_duration(format!("{field}.duration"), *duration)?)
        }
        DurationLaw::Exponential { mean } => {
            let ms = check_duration(format!("{field}.mean"), *mean)? as f64;
            Law::Exponential(
                Exp::new(1.0 / ms)
                    .map_err(|_| out_of_range(format!("{field}.mean"), ms, "a duration > 0"))?,
            )
        }
        DurationLaw::LogNormal { median, sigma_ln } => {
            let ms = check_duration(format!("{field}.median"), *median)? as f64;
            check_range(
                format!("{field}.sigma_ln"),
                *sigma_ln,
                f64::MIN_POSITIVE,
                MAX_SIGMA_LN,
                "0 < x ≤ 10",
            )?;
            Law::LogNormal(LogNormal::new(ms.ln(), *sigma_ln).map_err(|_| {
                out_of_range(
                    format!("{field}.sigma_ln"),
                    *sigma_ln,
                    "a finite number > 0",
                )
            })?)
        }
        DurationLaw::Weibull { shape, scale } => {
            let k = check_range(
                format!("{field}.shape"),
                *shape,
                MIN_WEIBULL_SHAPE,
                MAX_WEIBULL_SHAPE,
                "0.1 ≤ x ≤ 100",
            )?;
            let ms = check_duration(format!("{field}.scale"), *scale)? as f64;
            Law::Weibull(
                Weibull::new(ms, k).map_err(|_| {
                    out_of_range(format!("{field}.shape"), k, "a finite number > 0")
                })?,
            )
        }
        DurationLaw::Empirical {
            durations,
            probabilities,
        } => {
            if durations.is_empty() {
                return Err(ConfigError::Missing {
                    field: format!("{field}.durations"),
                    why: "an empirical law needs at least one duration",
                });
            }
            if durations.len() != probabilities.len() {
                return Err(ConfigError::Inconsistent {
                    field: format!("{field}.probabilities"),
                    why: "an empirical law needs one probability per duration",
                });
            }
            let mut ms = Vec::with_capacity(durations.len());
            for (i, d) in durations.iter().enumerate() {
                ms.push(check_duration(format!("{field}.durations[{i}]"), *d)?);
            }
            let mut total = 0.0;
            for (i, &p) in probabilities.iter().enumerate() {
                total += check_non_negative(format!("{field}.probabilities[{i}]"), p)?;
            }
            let sum_error = || {
                out_of_range(
                    format!("{field}.probabilities"),
                    total,
                    "probabilities that sum to 1 (within 1e-9)",
                )
            };
            if (total - 1.0).abs() > EMPIRICAL_SUM_TOLERANCE {
                return Err(sum_error());
            }
            // Weights need not be normalised; each outcome's chance is its probability / total.
            let index = WeightedIndex::new(probabilities).map_err(|_| sum_error())?;
            Law::Empirical(ms.into(), index)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Relative tolerance of the gamma function (libm's `tgamma` is accurate to a few ulps).
    const GAMMA_REL_TOL: f64 = 1e-13;

    #[test]
    fn weibull_mean_uses_the_gamma_function() {
        // Γ(1 + 1/2) = √π / 2; Γ(1 + 1) = 1.
        let mean = |shape| {
            DurationLaw::Weibull {
                shape,
                scale: Duration::from_hours(2),
            }
            .mean_hours()
        };
        let half_root_pi = std::f64::consts::PI.sqrt() / 2.0;
        assert!((mean(2.0) - 2.0 * half_root_pi).abs() <= GAMMA_REL_TOL * 2.0);
        assert!((mean(1.0) - 2.0).abs() <= GAMMA_REL_TOL * 2.0);
    }
}
