//! Service-level figures of a Monte Carlo study, as a datacenter's customers read them:
//! availability and its "nines", downtime minutes per year, the probability of at least one
//! interruption in a year, the interruption frequency and the mean interruption duration.
//!
//! They are computed from the study's per-sample summaries ([`McConfig::keep_samples`]), so run
//! the study with `keep_samples = true`. An *interruption* is a loss-of-load event (a
//! continuous stretch of time with unserved load, [`SampleSummary::loss_of_load_events`]) and
//! *downtime* is the time with unserved load, to the millisecond
//! ([`SampleSummary::loss_of_load_hours`]).
//!
//! # Definitions
//! With n samples of H hours each, a year of [`HOURS_PER_YEAR`] (365 days) and k = 8760 / H
//! (1 for the bundled year-long scenarios), for sample i with downtime dᵢ hours and eᵢ
//! interruptions:
//!
//! | figure | per sample | estimate |
//! |---|---|---|
//! | availability | aᵢ = 1 − dᵢ / H | mean ± standard error (SE) |
//! | downtime, min/yr | mᵢ = 60 · k · dᵢ | mean ± SE; P50, P90, P99 (nearest rank, SE below) |
//! | interruptions per year (SAIFI for one site) | k · eᵢ | mean ± SE |
//! | P(≥ 1 interruption in a year) | xᵢ = 1 if eᵢ > 0 | 1 − (1 − x̄)ᵏ, SE by the delta method |
//! | mean interruption duration (CAIDI), min | | 60 · Σdᵢ / Σeᵢ, SE of a ratio estimator |
//! | nines | | −log₁₀(1 − availability), SE by the delta method |
//!
//! Every SE is the sample standard deviation over √n, as in [`Estimate`] (0 when n < 2).
//!
//! * **Nines.** With unavailability U = 1 − Ā = mean(dᵢ) / H > 0, nines = −log₁₀ U and, by the
//!   delta method, SE = SE(Ā) / (U · ln 10). The SE is large when few samples lost load: read
//!   it as a warning, not as a symmetric interval.
//! * **The year.** When the horizon is not a year, downtime and interruptions are scaled by k
//!   (stationary rates), and the probability of an interruption in a year assumes the year's k
//!   horizons are independent: P = 1 − (1 − p)ᵏ, where p is the share of samples with one, with
//!   SE = k (1 − p)ᵏ⁻¹ · SE(p). For a year-long horizon (k = 1) P = p exactly.
//! * **CAIDI.** R = Σdᵢ / Σeᵢ is a ratio of two sample means, d̄ / ē. Its SE is the ratio
//!   estimator's (first-order Taylor, the delta method for a ratio):
//!   SE(R) = √(Σ(dᵢ − R eᵢ)² / (n (n − 1))) / ē. It is undefined (`None`) when no sample had an
//!   interruption.
//! * **Quantiles** of the per-sample downtime are the nearest-rank order statistics (the
//!   ⌈p·n⌉-th smallest value), exact on the kept samples, with the SE of [`LogHistogram`]'s
//!   quantiles: half the distance between the quantiles at p ∓ √(p (1 − p) / n).
//!
//! # When no sample lost load: the rule of three
//! A study in which nothing went wrong cannot report infinite nines or a zero probability: it
//! only shows that failures are rarer than its sampled time can resolve. With zero of N
//! independent trials failing, 3 / N is an upper 95 % confidence bound of the failure
//! probability (−ln 0.05 ≈ 3, the "rule of three"). Then:
//!
//! * **nines** ≥ −log₁₀(3 / T) at 95 %, with T = n · H the sampled hours: each clock hour of
//!   sampled time is a trial "some loss of load in this hour"; the unavailability (a share of
//!   time) is at most the share of hours touched by loss of load, which is at most 3 / T. The
//!   hours are treated as independent, which they nearly are when failures are rare;
//! * **P(≥ 1 interruption in a year)** ≤ 1 − (1 − 3/n)ᵏ: the samples are the trials;
//! * **interruptions per year** ≤ 3 k / n: zero events of a Poisson process in n / k years.
//!
//! These come as [`SlaFigure::AtLeast`] or [`SlaFigure::AtMost`] with their confidence, never as
//! an [`Estimate`] with a zero SE.
//!
//! ```
//! use ridethrough::studies::montecarlo::{self, McConfig};
//! use ridethrough::studies::sla::{self, SlaFigure};
//! use ridethrough::prelude::*;
//! let text = ridethrough::io::scenario::DEFAULT_SCENARIO_TOML
//!     .replace("step = \"1m\"", "step = \"1h\"");
//! let study = Scenario::from_toml_str(&text)?.validate()?;
//! let cfg = McConfig { keep_samples: true, ..McConfig::new(200, 1) };
//! let result = montecarlo::run(study.site(), study.policy(), &cfg, &|_| {})?;
//! let sla = sla::metrics(&result)?;
//! assert!((0.0..=1.0).contains(&sla.availability.mean));
//! // An estimate (`3.48 ± 0.10`) or, with no loss of load, a bound (`≥ 5.47 (95 %)`).
//! println!("{:.2} nines", sla.nines);
//! assert!(sla.nines.value() >= 0.0);
//! if let SlaFigure::Estimated(e) = sla.nines {
//!     assert!(e.se.is_finite());
//! }
//! println!("downtime {:.1} min/yr", sla.downtime_minutes_per_year.mean);
//! # Ok::<(), ridethrough::ConfigError>(())
//! ```
//!
//! [`McConfig::keep_samples`]: crate::studies::montecarlo::McConfig::keep_samples
//! [`LogHistogram`]: crate::studies::stats::LogHistogram

use crate::error::{check_positive, ConfigError};
use crate::studies::montecarlo::{McResult, SampleSummary};
use crate::studies::stats::{Estimate, Moments};
use serde::{Deserialize, Serialize};

/// Hours in the year the figures are scaled to (365 days; the bundled scenarios' horizon).
pub const HOURS_PER_YEAR: f64 = 8760.0;

/// The confidence of the rule-of-three bounds.
pub const RULE_OF_THREE_CONFIDENCE: f64 = 0.95;

/// Failures bounded at [`RULE_OF_THREE_CONFIDENCE`] when none was seen: an upper bound of 3 / N
/// for zero failures in N trials (−ln 0.05 = 2.996, rounded up as the rule has it).
const RULE_OF_THREE: f64 = 3.0;

/// Relative slack allowed when a sample's downtime exceeds the horizon: the engine sums
/// segment lengths in milliseconds converted to hours, so the sum can pass the horizon by a few
/// ulps of a year's hours (10⁻¹² relative); 10⁻⁹ leaves room and still catches a wrong horizon.
const DOWNTIME_OVER_HORIZON_REL_TOL: f64 = 1e-9;

/// Subtracted from p·n before taking the nearest rank's ceiling, so that a product that should
/// be a whole number but lands an ulp above it (0.9 · 10 = 9.000000000000002) keeps its rank.
const RANK_EPS: f64 = 1e-9;

/// A figure that is either estimated (mean ± SE) or, when the study saw no failure, only
/// bounded from one side at a confidence level (the rule of three, see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum SlaFigure {
    /// Mean ± standard error with n.
    Estimated(Estimate),
    /// At least `value`, with this confidence.
    AtLeast {
        /// The lower bound.
        value: f64,
        /// Its confidence (0.95).
        confidence: f64,
        /// The trials it rests on (sampled hours for nines, samples otherwise).
        n: u64,
    },
    /// At most `value`, with this confidence.
    AtMost {
        /// The upper bound.
        value: f64,
        /// Its confidence (0.95).
        confidence: f64,
        /// The trials it rests on.
        n: u64,
    },
}

impl SlaFigure {
    /// The estimate's mean, or the bound.
    pub fn value(&self) -> f64 {
        match *self {
            SlaFigure::Estimated(e) => e.mean,
            SlaFigure::AtLeast { value, .. } | SlaFigure::AtMost { value, .. } => value,
        }
    }
}

/// Service-level figures of a Monte Carlo study (see the module docs for the definitions).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SlaMetrics {
    /// Samples the figures rest on.
    pub samples: u64,
    /// Length of one sample, hours.
    pub sample_hours: f64,
    /// Availability: the share of time without loss of load.
    pub availability: Estimate,
    /// −log₁₀(1 − availability), or a lower bound when no sample lost load.
    pub nines: SlaFigure,
    /// Time with loss of load per year, minutes (SAIDI for one site).
    pub downtime_minutes_per_year: Estimate,
    /// Median of the per-sample downtime, minutes per year.
    pub downtime_p50_minutes_per_year: Estimate,
    /// 90th percentile of the per-sample downtime, minutes per year.
    pub downtime_p90_minutes_per_year: Estimate,
    /// 99th percentile of the per-sample downtime, minutes per year.
    pub downtime_p99_minutes_per_year: Estimate,
    /// Probability of at least one interruption in a year, or an upper bound when no sample had
    /// one.
    pub interruption_probability_per_year: SlaFigure,
    /// Interruptions per year (SAIFI for one site), or an upper bound when there were none.
    pub interruptions_per_year: SlaFigure,
    /// Interruptions in all samples together.
    pub interruptions: u64,
    /// Mean interruption duration, minutes (CAIDI: downtime ÷ interruptions; n = samples);
    /// `None` without interruptions.
    pub interruption_duration_minutes: Option<Estimate>,
}

/// The SLA figures of a study run with [`McConfig::keep_samples`]; the horizon is the study's
/// [`Indices::sample_hours`].
///
/// # Errors
/// [`ConfigError::Missing`] naming `montecarlo.keep_samples` when the result kept no per-sample
/// summaries; otherwise as [`from_samples`].
///
/// [`McConfig::keep_samples`]: crate::studies::montecarlo::McConfig::keep_samples
/// [`Indices::sample_hours`]: crate::studies::montecarlo::Indices::sample_hours
pub fn metrics(result: &McResult) -> Result<SlaMetrics, ConfigError> {
    let samples = result.samples.as_deref().ok_or(ConfigError::Missing {
        field: "montecarlo.keep_samples".into(),
        why: "the SLA figures are computed from the per-sample summaries: run the study with keep_samples = true",
    })?;
    from_samples(samples, result.indices.sample_hours)
}

/// The SLA figures of per-sample summaries, each of a horizon of `sample_hours`.
///
/// # Errors
/// [`ConfigError::OutOfRange`] naming `montecarlo.samples` for no samples, `sla.sample_hours`
/// for a horizon that is not a finite number > 0, and `samples[i].loss_of_load_hours` for a
/// downtime that is negative, not finite or longer than the horizon.
pub fn from_samples(
    samples: &[SampleSummary],
    sample_hours: f64,
) -> Result<SlaMetrics, ConfigError> {
    if samples.is_empty() {
        return Err(ConfigError::OutOfRange {
            field: "montecarlo.samples".into(),
            value: 0.0,
            allowed: "at least 1 kept sample",
        });
    }
    let h = check_positive("sla.sample_hours", sample_hours)?;
    let downtime = samples
        .iter()
        .enumerate()
        .map(|(i, s)| downtime_hours(i, s.loss_of_load_hours, h))
        .collect::<Result<Vec<f64>, ConfigError>>()?;
    let n = samples.len() as u64;
    let k = HOURS_PER_YEAR / h;

    let mut avail = Moments::default();
    let mut minutes = Moments::default();
    let mut hit = Moments::default();
    let mut freq = Moments::default();
    let mut interruptions = 0u64;
    for (s, &d) in samples.iter().zip(&downtime) {
        avail.push(1.0 - d / h);
        minutes.push(60.0 * k * d);
        hit.push(if s.loss_of_load_events > 0 { 1.0 } else { 0.0 });
        freq.push(k * f64::from(s.loss_of_load_events));
        interruptions += u64::from(s.loss_of_load_events);
    }
    let availability = clamp_share(avail.estimate());
    let mut sorted: Vec<f64> = downtime.iter().map(|d| 60.0 * k * d).collect();
    sorted.sort_by(f64::total_cmp);

    Ok(SlaMetrics {
        samples: n,
        sample_hours: h,
        availability,
        nines: nines(&downtime, h, availability),
        downtime_minutes_per_year: minutes.estimate(),
        downtime_p50_minutes_per_year: quantile(&sorted, 0.5),
        downtime_p90_minutes_per_year: quantile(&sorted, 0.9),
        downtime_p99_minutes_per_year: quantile(&sorted, 0.99),
        interruption_probability_per_year: interruption_probability(hit.estimate(), k),
        interruptions_per_year: if interruptions == 0 {
            SlaFigure::AtMost {
                value: RULE_OF_THREE * k / n as f64,
                confidence: RULE_OF_THREE_CONFIDENCE,
                n,
            }
        } else {
            SlaFigure::Estimated(freq.estimate())
        },
        interruptions,
        interruption_duration_minutes: caidi(samples, &downtime),
    })
}

/// Sample `i`'s downtime, checked against the horizon `h` and clamped into `[0, h]` (rounding).
fn downtime_hours(i: usize, d: f64, h: f64) -> Result<f64, ConfigError> {
    if d.is_finite() && d >= 0.0 && d <= h * (1.0 + DOWNTIME_OVER_HORIZON_REL_TOL) {
        Ok(d.min(h))
    } else {
        Err(ConfigError::OutOfRange {
            field: format!("samples[{i}].loss_of_load_hours"),
            value: d,
            allowed: "0 ≤ x ≤ the sample's horizon (hours)",
        })
    }
}

/// An estimate of a share with its mean kept in [0, 1] (rounding of the running mean).
fn clamp_share(e: Estimate) -> Estimate {
    Estimate {
        mean: e.mean.clamp(0.0, 1.0),
        ..e
    }
}

/// Nines from the mean availability, or the rule-of-three lower bound without downtime.
fn nines(downtime: &[f64], h: f64, availability: Estimate) -> SlaFigure {
    let n = downtime.len() as f64;
    // The mean downtime over H, computed from the sum (not 1 − Ā, which loses digits near 1).
    let u = (downtime.iter().sum::<f64>() / n / h).clamp(0.0, 1.0);
    if u > 0.0 {
        SlaFigure::Estimated(Estimate {
            mean: -u.log10(),
            se: availability.se / (u * std::f64::consts::LN_10),
            n: availability.n,
        })
    } else {
        let sampled_hours = n * h;
        SlaFigure::AtLeast {
            value: -(RULE_OF_THREE / sampled_hours).min(1.0).log10(),
            confidence: RULE_OF_THREE_CONFIDENCE,
            n: sampled_hours.floor() as u64,
        }
    }
}

/// P(≥ 1 interruption in a year) from the share `p` of samples with one, `k` horizons a year.
fn interruption_probability(p: Estimate, k: f64) -> SlaFigure {
    let share = p.mean.clamp(0.0, 1.0);
    if share == 0.0 {
        let bound = (RULE_OF_THREE / p.n as f64).min(1.0);
        return SlaFigure::AtMost {
            value: 1.0 - (1.0 - bound).powf(k),
            confidence: RULE_OF_THREE_CONFIDENCE,
            n: p.n,
        };
    }
    let mean = 1.0 - (1.0 - share).powf(k);
    // d/dp [1 − (1 − p)^k] = k (1 − p)^(k − 1); with every sample interrupted the SE is 0 (and
    // the derivative may be infinite for k < 1), so it is not used there.
    let se = if p.se == 0.0 {
        0.0
    } else {
        k * (1.0 - share).powf(k - 1.0) * p.se
    };
    SlaFigure::Estimated(Estimate { mean, se, n: p.n })
}

/// The nearest-rank `p`-quantile of `sorted` (ascending, non-empty), with its SE.
fn quantile(sorted: &[f64], p: f64) -> Estimate {
    let n = sorted.len();
    let at = |q: f64| {
        let rank = (q.clamp(0.0, 1.0) * n as f64 - RANK_EPS).ceil().max(1.0) as usize;
        sorted[rank.min(n) - 1]
    };
    let s = (p * (1.0 - p) / n as f64).sqrt();
    Estimate {
        mean: at(p),
        se: 0.5 * (at(p + s) - at(p - s)),
        n: n as u64,
    }
}

/// CAIDI in minutes: Σd / Σe with the ratio estimator's SE; `None` without interruptions.
fn caidi(samples: &[SampleSummary], downtime: &[f64]) -> Option<Estimate> {
    let n = samples.len();
    let events: f64 = samples
        .iter()
        .map(|s| f64::from(s.loss_of_load_events))
        .sum();
    if events == 0.0 {
        return None;
    }
    let r = downtime.iter().sum::<f64>() / events;
    let se = if n < 2 {
        0.0
    } else {
        let mean_events = events / n as f64;
        let ss: f64 = samples
            .iter()
            .zip(downtime)
            .map(|(s, &d)| (d - r * f64::from(s.loss_of_load_events)).powi(2))
            .sum();
        (ss / (n as f64 * (n - 1) as f64)).sqrt() / mean_events
    };
    Some(Estimate {
        mean: 60.0 * r,
        se: 60.0 * se,
        n: n as u64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Tolerance of figures computed by hand from a few samples: the same arithmetic in another
    /// order (sums, a logarithm), so rounding only.
    const HAND_TOL: f64 = 1e-9;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= HAND_TOL * a.abs().max(b.abs()).max(1.0)
    }

    fn sample(index: u64, lol_hours: f64, events: u32) -> SampleSummary {
        SampleSummary {
            index,
            seed: index,
            unserved_mwh: lol_hours * 10.0,
            loss_of_load_hours: lol_hours,
            loss_of_load_step_hours: lol_hours.ceil(),
            loss_of_load_events: events,
            grid_outages: events,
            grid_outages_carried: 0,
            facility_mwh: 100_000.0,
        }
    }

    fn estimated(f: SlaFigure) -> Estimate {
        match f {
            SlaFigure::Estimated(e) => e,
            other => panic!("expected an estimate, got {other:?}"),
        }
    }

    #[test]
    fn four_year_long_samples_by_hand() {
        // Downtime 0, 1, 2, 5 h over 8760 h; events 0, 1, 1, 2.
        let s = [
            sample(0, 0.0, 0),
            sample(1, 1.0, 1),
            sample(2, 2.0, 1),
            sample(3, 5.0, 2),
        ];
        let m = from_samples(&s, HOURS_PER_YEAR).unwrap();
        assert_eq!(m.samples, 4);
        // Mean downtime 2 h: availability 1 − 2/8760; the downtimes' sample SD is √(14/3) h
        // (deviations −2, −1, 0, 3), so SE(Ā) = √(14/3) / 2 / 8760.
        let sd = (14.0f64 / 3.0).sqrt();
        assert!(close(m.availability.mean, 1.0 - 2.0 / 8760.0));
        assert!(close(m.availability.se, sd / 2.0 / 8760.0));
        let nines = estimated(m.nines);
        let u: f64 = 2.0 / 8760.0;
        assert!(close(nines.mean, -u.log10()));
        assert!(close(
            nines.se,
            (sd / 2.0 / 8760.0) / (u * std::f64::consts::LN_10)
        ));
        // Downtime 0, 60, 120, 300 min: mean 120, SE = 60 √(14/3) / 2.
        assert!(close(m.downtime_minutes_per_year.mean, 120.0));
        assert!(close(m.downtime_minutes_per_year.se, 60.0 * sd / 2.0));
        // Nearest rank: P50 = 2nd of 4 (60), P90 = P99 = 4th (300).
        assert_eq!(m.downtime_p50_minutes_per_year.mean, 60.0);
        assert_eq!(m.downtime_p90_minutes_per_year.mean, 300.0);
        assert_eq!(m.downtime_p99_minutes_per_year.mean, 300.0);
        // P50 ± √(0.25/4) = 0.25 → ranks 1 and 3: (120 − 0) / 2.
        assert!(close(m.downtime_p50_minutes_per_year.se, 60.0));
        // 3 of 4 samples interrupted; indicator SD √(0.25), SE = √(0.25·4/3)/2 = 0.2887.
        let p = estimated(m.interruption_probability_per_year);
        assert!(close(p.mean, 0.75));
        assert!(close(p.se, (0.75f64 * 0.25 * 4.0 / 3.0).sqrt() / 2.0));
        // Events 0, 1, 1, 2: mean 1, SD √(2/3).
        let f = estimated(m.interruptions_per_year);
        assert!(close(f.mean, 1.0));
        assert!(close(f.se, (2.0f64 / 3.0).sqrt() / 2.0));
        assert_eq!(m.interruptions, 4);
        // CAIDI: 8 h / 4 events = 2 h = 120 min; residuals d − 2e = 0, −1, 0, 1:
        // SE = √(2 / (4·3)) / 1 h.
        let c = m.interruption_duration_minutes.unwrap();
        assert!(close(c.mean, 120.0));
        assert!(close(c.se, 60.0 * (2.0f64 / 12.0).sqrt()));
    }

    #[test]
    fn a_short_horizon_is_scaled_to_a_year() {
        // Two 7-day samples (168 h, k = 52.142857): 0.5 h and 0 h of downtime, one event.
        let h = 168.0;
        let k = HOURS_PER_YEAR / h;
        let m = from_samples(&[sample(0, 0.5, 1), sample(1, 0.0, 0)], h).unwrap();
        assert!(close(m.downtime_minutes_per_year.mean, 60.0 * k * 0.25));
        assert!(close(m.availability.mean, 1.0 - 0.25 / h));
        // Half the weeks have an interruption: a year of k weeks has one w.p. 1 − 0.5^k.
        let p = estimated(m.interruption_probability_per_year);
        assert!(close(p.mean, 1.0 - 0.5f64.powf(k)));
        // SE(p) = 0.5 (two samples 1, 0: SD √0.5, /√2); × k · 0.5^(k − 1).
        assert!(close(p.se, k * 0.5f64.powf(k - 1.0) * 0.5));
        assert!(close(estimated(m.interruptions_per_year).mean, 0.5 * k));
        assert!(close(m.interruption_duration_minutes.unwrap().mean, 30.0));
    }

    #[test]
    fn no_loss_of_load_gives_rule_of_three_bounds() {
        let s: Vec<SampleSummary> = (0..100).map(|i| sample(i, 0.0, 0)).collect();
        let m = from_samples(&s, HOURS_PER_YEAR).unwrap();
        assert_eq!(m.availability.mean, 1.0);
        assert_eq!(m.downtime_minutes_per_year.mean, 0.0);
        // 876,000 sampled hours: U ≤ 3 / 876,000, ≥ 5.465 nines.
        match m.nines {
            SlaFigure::AtLeast {
                value,
                confidence,
                n,
            } => {
                assert!(close(value, -(3.0f64 / 876_000.0).log10()), "{value}");
                assert!((value - 5.465).abs() < 1e-3);
                assert_eq!(confidence, 0.95);
                assert_eq!(n, 876_000);
            }
            other => panic!("{other:?}"),
        }
        match m.interruption_probability_per_year {
            SlaFigure::AtMost { value, n, .. } => {
                assert!(close(value, 0.03));
                assert_eq!(n, 100);
            }
            other => panic!("{other:?}"),
        }
        match m.interruptions_per_year {
            SlaFigure::AtMost { value, .. } => assert!(close(value, 0.03)),
            other => panic!("{other:?}"),
        }
        assert_eq!(m.interruption_duration_minutes, None);
        assert_eq!(format!("{:.2}", m.nines), "≥ 5.47 (95 %)");
        assert!(m.to_string().contains("≤ 0.0300 (95 %) per year"), "{m}");
        // One sample of two hours: the bound is clamped at 0 nines, never negative.
        let one = from_samples(&[sample(0, 0.0, 0)], 2.0).unwrap();
        assert_eq!(one.nines.value(), 0.0);
        assert_eq!(one.interruption_probability_per_year.value(), 1.0);
    }

    #[test]
    fn bad_input_is_a_typed_error_naming_the_field() {
        let field = |e: ConfigError| match e {
            ConfigError::OutOfRange { field, .. } | ConfigError::Missing { field, .. } => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            field(from_samples(&[], 8760.0).unwrap_err()),
            "montecarlo.samples"
        );
        for h in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert_eq!(
                field(from_samples(&[sample(0, 0.0, 0)], h).unwrap_err()),
                "sla.sample_hours"
            );
        }
        for d in [-0.1, f64::NAN, 9000.0] {
            let s = [sample(0, 0.0, 0), sample(1, d, 1)];
            assert_eq!(
                field(from_samples(&s, 8760.0).unwrap_err()),
                "samples[1].loss_of_load_hours"
            );
        }
        let text = crate::io::scenario::DEFAULT_SCENARIO_TOML
            .replace("step = \"1m\"", "step = \"1h\"")
            .replace("horizon = \"365d\"", "horizon = \"7d\"")
            .replace("start = \"120d\"", "start = \"3d\"");
        let study = crate::io::scenario::Scenario::from_toml_str(&text)
            .and_then(|s| s.validate())
            .unwrap();
        let cfg = crate::studies::montecarlo::McConfig::new(4, 1);
        let r =
            crate::studies::montecarlo::run(study.site(), study.policy(), &cfg, &|_| {}).unwrap();
        let e = metrics(&r).unwrap_err();
        assert!(e.to_string().contains("keep_samples"), "{e}");
        assert_eq!(field(e), "montecarlo.keep_samples");
    }

    /// Tolerance of CAIDI against the study's own mean event duration: the same event durations
    /// summed in another order and in another unit.
    const CAIDI_REL_TOL: f64 = 1e-9;

    #[test]
    fn agrees_with_the_study_indices() {
        // A quarter of the default fleet on hourly steps: loss of load in most samples.
        let text = crate::io::scenario::DEFAULT_SCENARIO_TOML
            .replace("step = \"1m\"", "step = \"1h\"")
            .replace("units = 16", "units = 4");
        let study = crate::io::scenario::Scenario::from_toml_str(&text)
            .and_then(|s| s.validate())
            .unwrap();
        let cfg = crate::studies::montecarlo::McConfig {
            keep_samples: true,
            ..crate::studies::montecarlo::McConfig::new(64, 3)
        };
        let r =
            crate::studies::montecarlo::run(study.site(), study.policy(), &cfg, &|_| {}).unwrap();
        let m = metrics(&r).unwrap();
        let ix = &r.indices;
        assert!(m.interruptions > 0, "no loss of load");
        let k = HOURS_PER_YEAR / ix.sample_hours;
        assert!(close(
            m.downtime_minutes_per_year.mean,
            60.0 * k * ix.loss_of_load_hours.mean
        ));
        assert!(close(
            estimated(m.interruptions_per_year).mean,
            k * ix.lolf.mean
        ));
        let caidi = m.interruption_duration_minutes.unwrap().mean;
        let mean_event = 60.0 * ix.lol_duration_mean_hours.mean;
        assert!(
            (caidi - mean_event).abs() <= CAIDI_REL_TOL * mean_event,
            "{caidi} vs {mean_event}"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        #[test]
        fn availability_is_a_share_and_nines_are_not_negative(
            rows in prop::collection::vec((0.0f64..=1.0, 0u32..5), 1..40),
            hours in 1.0f64..20_000.0,
        ) {
            let s: Vec<SampleSummary> = rows
                .iter()
                .enumerate()
                .map(|(i, &(share, events))| sample(i as u64, share * hours, events))
                .collect();
            let m = from_samples(&s, hours).unwrap();
            prop_assert!((0.0..=1.0).contains(&m.availability.mean));
            prop_assert!(m.availability.se.is_finite() && m.availability.se >= 0.0);
            prop_assert!(m.nines.value().is_finite() && m.nines.value() >= 0.0);
            let p = m.interruption_probability_per_year.value();
            prop_assert!((0.0..=1.0).contains(&p), "{p}");
            for e in [
                m.downtime_minutes_per_year,
                m.downtime_p50_minutes_per_year,
                m.downtime_p90_minutes_per_year,
                m.downtime_p99_minutes_per_year,
            ] {
                prop_assert!(e.mean.is_finite() && e.mean >= 0.0 && e.se.is_finite() && e.se >= 0.0);
            }
            prop_assert!(m.downtime_p50_minutes_per_year.mean <= m.downtime_p90_minutes_per_year.mean);
            prop_assert!(m.downtime_p90_minutes_per_year.mean <= m.downtime_p99_minutes_per_year.mean);
            if let Some(c) = m.interruption_duration_minutes {
                prop_assert!(c.mean.is_finite() && c.se.is_finite());
            }
        }
    }
}
