//! Service-level figures of a Monte Carlo study, as a datacenter's customers read them:
//! availability and its "nines", downtime minutes per year, the probability of at least one
//! interruption in a year, the interruption frequency and the mean interruption duration.
//!
//! They come with every study: the Monte Carlo accumulator keeps what they need of each sample
//! ([`SlaAccumulator`]: downtime and interruptions with their co-moment, the share of samples
//! with an interruption, a log-binned histogram of downtime), merged chunk by chunk in index
//! order like the other indices, so [`McResult::sla`] is the same bits on any thread count and
//! after a sharded study's merge. [`from_samples`] folds per-sample summaries (e.g. the rows of
//! `ridethrough mc --per-sample`) through the same accumulator. An *interruption* is a
//! loss-of-load event (a continuous stretch of time with unserved load,
//! [`SampleSummary::loss_of_load_events`]) and *downtime* is the time with unserved load, to the
//! millisecond ([`SampleSummary::loss_of_load_hours`]).
//!
//! # Definitions
//! With n samples of H hours each, a year of [`HOURS_PER_YEAR`] (365 days) and k = 8760 / H
//! (1 for the bundled year-long scenarios), for sample i with downtime dᵢ hours and eᵢ
//! interruptions:
//!
//! | figure | per sample | estimate |
//! |---|---|---|
//! | availability | aᵢ = 1 − dᵢ / H | mean ± standard error (SE) |
//! | downtime, min/yr | mᵢ = 60 · k · dᵢ | mean ± SE; P50, P90, P99 (histogram, SE below) |
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
//!   SE(R) = √(Σ(dᵢ − R eᵢ)² / (n (n − 1))) / ē, with the sum taken from the moments as
//!   M2(d) − 2R·C(d, e) + R²·M2(e) (C the co-moment), so without the samples. It is undefined
//!   (`None`) when no sample had an interruption.
//! * **Quantiles** of the per-sample downtime come from a [`LogHistogram`] of dᵢ (100 bins a
//!   decade from 10⁻⁶ h = 3.6 ms, an exact zero bin): the bin of the ⌈p·n⌉-th smallest value,
//!   interpolated geometrically inside it, so within 2.3 % of that order statistic (the
//!   nearest-rank quantile; a downtime under 3.6 ms is read as 3.6 ms). Their SE is the
//!   histogram's: half the distance between the quantiles at p ∓ √(p (1 − p) / n). These are
//!   the unserved-energy quantiles' rules ([`Indices::unserved_p50_mwh`]).
//! * **Exactness.** Every other figure is a function of mergeable moments (counts, means, sums
//!   of squared deviations, the co-moment of dᵢ and eᵢ), so it equals the two-pass formula on
//!   the per-sample values to rounding, whatever the chunking. (CAIDI's SE is a difference of
//!   such sums: when the residuals dᵢ − R eᵢ are nearly 0, its rounding is relative to M2(d),
//!   not to the residuals.)
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
//! let result = montecarlo::run(study.site(), study.policy(), &McConfig::new(200, 1), &|_| {})?;
//! let sla = sla::metrics(&result);
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
//! [`Indices::unserved_p50_mwh`]: crate::studies::montecarlo::Indices::unserved_p50_mwh
//! [`McResult::sla`]: crate::studies::montecarlo::McResult::sla

use crate::error::{check_positive, ConfigError};
use crate::studies::montecarlo::{McResult, SampleSummary};
use crate::studies::stats::{CoMoments, Estimate, LogHistogram, Moments};
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

/// What the SLA figures need of a study's samples, one sample at a time: each sample's
/// downtime dᵢ (hours) and interruptions eᵢ with their co-moment (CAIDI's SE), the share of
/// samples with at least one interruption, a [`LogHistogram`] of dᵢ (the quantiles) and the
/// interruptions in all. Mergeable in a fixed order with the same bits (integer counts, Chan's
/// merge of moments), as the Monte Carlo chunks are; serializable, so a shard file carries it.
///
/// ```
/// use ridethrough::studies::sla::{SlaAccumulator, HOURS_PER_YEAR};
/// let mut acc = SlaAccumulator::default();
/// for (downtime_hours, interruptions) in [(0.0, 0), (1.0, 1), (2.0, 1), (5.0, 2)] {
///     acc.push(downtime_hours, interruptions);
/// }
/// let sla = acc.metrics(HOURS_PER_YEAR)?;
/// assert_eq!(sla.downtime_minutes_per_year.mean, 120.0); // 2 h a year on average
/// assert_eq!(sla.interruptions, 4);
/// # Ok::<(), ridethrough::ConfigError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlaAccumulator {
    /// dᵢ (hours with unserved load) and eᵢ (loss-of-load events) of each sample.
    downtime_events: CoMoments,
    /// 1 for a sample with at least one interruption, 0 otherwise.
    interrupted: Moments,
    /// dᵢ, hours.
    downtime_hist: LogHistogram,
    /// Σ eᵢ.
    interruptions: u64,
}

impl SlaAccumulator {
    /// Adds one sample: its downtime (hours with unserved load) and its interruptions
    /// (loss-of-load events).
    #[inline]
    pub fn push(&mut self, downtime_hours: f64, interruptions: u32) {
        self.downtime_events
            .push(downtime_hours, f64::from(interruptions));
        self.interrupted
            .push(if interruptions > 0 { 1.0 } else { 0.0 });
        self.downtime_hist.push(downtime_hours);
        self.interruptions += u64::from(interruptions);
    }

    /// Adds all samples of `o` (after those of `self`).
    pub fn merge(&mut self, o: &SlaAccumulator) {
        self.downtime_events.merge(&o.downtime_events);
        self.interrupted.merge(&o.interrupted);
        self.downtime_hist.merge(&o.downtime_hist);
        self.interruptions += o.interruptions;
    }

    /// Samples added.
    pub fn samples(&self) -> u64 {
        self.downtime_events.count()
    }

    /// The moments of the per-sample downtime, hours (the study's
    /// [`Indices::loss_of_load_hours`](crate::studies::montecarlo::Indices::loss_of_load_hours)).
    pub fn downtime_hours(&self) -> &Moments {
        self.downtime_events.x()
    }

    /// The moments of the per-sample interruptions (the study's
    /// [`Indices::lolf`](crate::studies::montecarlo::Indices::lolf)).
    pub fn interruptions_per_sample(&self) -> &Moments {
        self.downtime_events.y()
    }

    /// The SLA figures of the samples added, each of a horizon of `sample_hours` (see the
    /// module docs for the definitions).
    ///
    /// # Errors
    /// [`ConfigError::OutOfRange`] naming `montecarlo.samples` when no sample was added, and
    /// `sla.sample_hours` for a horizon that is not a finite number > 0.
    pub fn metrics(&self, sample_hours: f64) -> Result<SlaMetrics, ConfigError> {
        let n = self.samples();
        if n == 0 {
            return Err(ConfigError::OutOfRange {
                field: "montecarlo.samples".into(),
                value: 0.0,
                allowed: "at least 1 sample",
            });
        }
        let h = check_positive("sla.sample_hours", sample_hours)?;
        let k = HOURS_PER_YEAR / h;
        let downtime = self.downtime_hours().estimate();
        let availability = clamp_share(Estimate {
            mean: 1.0 - downtime.mean / h,
            se: downtime.se / h,
            n,
        });
        let minutes = |e: Estimate| e.scaled(60.0 * k);
        let quantile = |p: f64| minutes(self.downtime_hist.quantile_estimate(p));
        Ok(SlaMetrics {
            samples: n,
            sample_hours: h,
            availability,
            nines: nines(downtime.mean / h, availability, n, h),
            downtime_minutes_per_year: minutes(downtime),
            downtime_p50_minutes_per_year: quantile(0.5),
            downtime_p90_minutes_per_year: quantile(0.9),
            downtime_p99_minutes_per_year: quantile(0.99),
            interruption_probability_per_year: interruption_probability(
                self.interrupted.estimate(),
                k,
            ),
            interruptions_per_year: if self.interruptions == 0 {
                SlaFigure::AtMost {
                    value: RULE_OF_THREE * k / n as f64,
                    confidence: RULE_OF_THREE_CONFIDENCE,
                    n,
                }
            } else {
                SlaFigure::Estimated(self.interruptions_per_sample().estimate().scaled(k))
            },
            interruptions: self.interruptions,
            interruption_duration_minutes: self.caidi(),
        })
    }

    /// CAIDI in minutes: R = d̄ / ē with the ratio estimator's SE,
    /// Σ(dᵢ − R eᵢ)² = M2(d) − 2R·C(d, e) + R²·M2(e); `None` without interruptions.
    fn caidi(&self) -> Option<Estimate> {
        if self.interruptions == 0 {
            return None;
        }
        let de = &self.downtime_events;
        let n = de.count();
        let (d, e) = (de.x().estimate().mean, de.y().estimate().mean);
        let r = d / e;
        let se = if n < 2 {
            0.0
        } else {
            // Rounding can take a sum of squares that is 0 in exact arithmetic a few ulps
            // below it.
            let ss = (de.m2_x() - 2.0 * r * de.comoment() + r * r * de.m2_y()).max(0.0);
            (ss / (n as f64 * (n - 1) as f64)).sqrt() / e
        };
        Some(Estimate {
            mean: 60.0 * r,
            se: 60.0 * se,
            n,
        })
    }
}

/// The SLA figures of a study: computed from its accumulator when it ran (or when its shards
/// were merged), the same bits on any thread count.
pub fn metrics(result: &McResult) -> &SlaMetrics {
    &result.sla
}

/// The SLA figures of per-sample summaries (e.g. the rows of `ridethrough mc --per-sample`),
/// each of a horizon of `sample_hours`, folded in order through a [`SlaAccumulator`]: the
/// study's own figures to rounding (the study merges its samples in chunks of 16).
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
    let mut acc = SlaAccumulator::default();
    for (i, s) in samples.iter().enumerate() {
        acc.push(
            downtime_hours(i, s.loss_of_load_hours, h)?,
            s.loss_of_load_events,
        );
    }
    acc.metrics(h)
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

/// Nines from the unavailability `u` (the mean downtime over the horizon `h`, not 1 − Ā, which
/// loses digits near 1), or the rule-of-three lower bound from `n` samples without downtime.
fn nines(u: f64, availability: Estimate, n: u64, h: f64) -> SlaFigure {
    let u = u.clamp(0.0, 1.0);
    if u > 0.0 {
        SlaFigure::Estimated(Estimate {
            mean: -u.log10(),
            se: availability.se / (u * std::f64::consts::LN_10),
            n: availability.n,
        })
    } else {
        let sampled_hours = n as f64 * h;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::studies::stats::{BINS_PER_DECADE, HIST_MIN};
    use proptest::prelude::*;

    /// Tolerance of figures computed by hand from a few samples: the same arithmetic in another
    /// order (sums, a logarithm), so rounding only.
    const HAND_TOL: f64 = 1e-9;

    /// The relative width of one bin of the downtime histogram, 10^(1/100) − 1 ≈ 2.33 %: a
    /// histogram quantile lies in the bin of the order statistic it stands for.
    fn bin_width() -> f64 {
        10f64.powf(1.0 / BINS_PER_DECADE as f64) - 1.0
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= HAND_TOL * a.abs().max(b.abs()).max(1.0)
    }

    /// `q` (from the histogram) is within a bin of `exact` (an order statistic), or both are
    /// below the histogram's first edge (`floor`, in the same unit).
    fn within_a_bin(q: f64, exact: f64, floor: f64) -> bool {
        if exact < floor {
            q <= floor * (1.0 + bin_width()) + floor * HAND_TOL
        } else {
            (q - exact).abs() <= bin_width() * exact * (1.0 + HAND_TOL)
        }
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

    /// The figures straight from the definitions, two-pass on the per-sample values, with
    /// nearest-rank quantiles on the sorted values (rank ⌈p·n⌉ as the histogram takes it): the
    /// reference the accumulator is checked against.
    struct Exact {
        availability: Estimate,
        nines: Option<Estimate>,
        minutes: Estimate,
        /// (P50, P90, P99) and the order statistics behind their SEs (at p − s, p + s).
        quantiles: [(f64, f64, f64); 3],
        p_interrupted: Estimate,
        per_year: Estimate,
        interruptions: u64,
        /// CAIDI, and the scale of its SE² (the sums of squares it is the difference of).
        caidi: Option<(Estimate, f64)>,
    }

    /// Mean and SE of `xs` by the two-pass formula.
    fn two_pass(xs: &[f64]) -> Estimate {
        let n = xs.len() as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let var = if xs.len() < 2 {
            0.0
        } else {
            xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)
        };
        Estimate {
            mean,
            se: (var / n).sqrt(),
            n: xs.len() as u64,
        }
    }

    fn exact(samples: &[SampleSummary], h: f64) -> Exact {
        let n = samples.len();
        let k = HOURS_PER_YEAR / h;
        let d: Vec<f64> = samples
            .iter()
            .map(|s| s.loss_of_load_hours.min(h))
            .collect();
        let e: Vec<f64> = samples
            .iter()
            .map(|s| f64::from(s.loss_of_load_events))
            .collect();
        let avail = two_pass(&d.iter().map(|d| 1.0 - d / h).collect::<Vec<_>>());
        let minutes = two_pass(&d.iter().map(|d| 60.0 * k * d).collect::<Vec<_>>());
        let u = d.iter().sum::<f64>() / n as f64 / h;
        let nines = (u > 0.0).then(|| Estimate {
            mean: -u.log10(),
            se: avail.se / (u * std::f64::consts::LN_10),
            n: n as u64,
        });
        let mut sorted: Vec<f64> = d.iter().map(|d| 60.0 * k * d).collect();
        sorted.sort_by(f64::total_cmp);
        // The 0-quantile of non-negative values is 0, as the histogram has it.
        let at = |q: f64| {
            if q * n as f64 <= 0.0 {
                return 0.0;
            }
            let rank = (q.clamp(0.0, 1.0) * n as f64).ceil().max(1.0) as usize;
            sorted[rank.min(n) - 1]
        };
        let quantile = |p: f64| {
            let s = (p * (1.0 - p) / n as f64).sqrt();
            (at(p), at(p - s), at(p + s))
        };
        let hit = two_pass(
            &e.iter()
                .map(|&e| if e > 0.0 { 1.0 } else { 0.0 })
                .collect::<Vec<_>>(),
        );
        let events: f64 = e.iter().sum();
        let caidi = (events > 0.0).then(|| {
            let r = d.iter().sum::<f64>() / events;
            let ss: f64 = d.iter().zip(&e).map(|(d, e)| (d - r * e).powi(2)).sum();
            let (dm, em) = (d.iter().sum::<f64>() / n as f64, events / n as f64);
            let m2: f64 = d.iter().map(|d| (d - dm).powi(2)).sum::<f64>()
                + r * r * e.iter().map(|e| (e - em).powi(2)).sum::<f64>();
            let per = if n < 2 {
                0.0
            } else {
                3600.0 / (n as f64 * (n - 1) as f64) / (em * em)
            };
            let est = Estimate {
                mean: 60.0 * r,
                se: (ss * per).sqrt(),
                n: n as u64,
            };
            (est, m2 * per)
        });
        Exact {
            availability: avail,
            nines,
            minutes,
            quantiles: [quantile(0.5), quantile(0.9), quantile(0.99)],
            p_interrupted: hit,
            per_year: two_pass(&e.iter().map(|e| k * e).collect::<Vec<_>>()),
            interruptions: events as u64,
            caidi,
        }
    }

    /// Checks `m` against the definitions on `samples`: everything to `tol` (relative, or
    /// absolute against the figure's scale), the quantiles within a bin of the histogram.
    fn assert_agrees(m: &SlaMetrics, samples: &[SampleSummary], h: f64, tol: f64) {
        let x = exact(samples, h);
        let near = |a: f64, b: f64, scale: f64, what: &str| {
            assert!(
                (a - b).abs() <= tol * a.abs().max(b.abs()).max(scale),
                "{what}: {a} (accumulated) vs {b} (exact)"
            );
        };
        let same = |a: &Estimate, b: &Estimate, what: &str| {
            assert_eq!(a.n, b.n, "{what}: n");
            near(a.mean, b.mean, 0.0, what);
            // An SE is compared on the scale of the mean: a SE of 0 in exact arithmetic may be
            // a few ulps of the mean after a one-pass update.
            near(a.se, b.se, a.mean.abs(), what);
        };
        assert_eq!(m.samples, samples.len() as u64);
        same(&m.availability, &x.availability, "availability");
        same(&m.downtime_minutes_per_year, &x.minutes, "downtime");
        match (m.nines, x.nines) {
            (SlaFigure::Estimated(a), Some(b)) => same(&a, &b, "nines"),
            (SlaFigure::AtLeast { .. }, None) => {}
            (a, b) => panic!("nines: {a:?} vs {b:?}"),
        }
        assert_eq!(m.interruptions, x.interruptions);
        match m.interruption_probability_per_year {
            SlaFigure::Estimated(a) => {
                let k = HOURS_PER_YEAR / h;
                let p = x.p_interrupted.mean;
                near(a.mean, 1.0 - (1.0 - p).powf(k), 0.0, "P(interruption)");
                if p < 1.0 {
                    let se = k * (1.0 - p).powf(k - 1.0) * x.p_interrupted.se;
                    near(a.se, se, a.mean, "P(interruption) SE");
                }
            }
            SlaFigure::AtMost { .. } => assert_eq!(x.p_interrupted.mean, 0.0),
            other => panic!("{other:?}"),
        }
        match m.interruptions_per_year {
            SlaFigure::Estimated(a) => same(&a, &x.per_year, "SAIFI"),
            SlaFigure::AtMost { .. } => assert_eq!(x.interruptions, 0),
            other => panic!("{other:?}"),
        }
        match (m.interruption_duration_minutes, x.caidi) {
            (Some(a), Some((b, scale))) => {
                near(a.mean, b.mean, 0.0, "CAIDI");
                // Its SE² is M2(d) − 2R·C(d, e) + R²·M2(e), terms of at most twice `scale`:
                // rounding is relative to them, not to a residual sum that may be 0.
                let (a2, b2) = (a.se * a.se, b.se * b.se);
                assert!(
                    (a2 - b2).abs() <= 2.0 * tol * scale.max(a2).max(b2),
                    "CAIDI SE: {} vs {}",
                    a.se,
                    b.se
                );
            }
            (None, None) => {}
            (a, b) => panic!("CAIDI: {a:?} vs {b:?}"),
        }
        let floor = 60.0 * HOURS_PER_YEAR / h * HIST_MIN;
        let got = [
            m.downtime_p50_minutes_per_year,
            m.downtime_p90_minutes_per_year,
            m.downtime_p99_minutes_per_year,
        ];
        for (q, (at, lo, hi)) in got.iter().zip(x.quantiles) {
            assert!(within_a_bin(q.mean, at, floor), "{q:?} vs {at}");
            // The SE's two ends are each within a bin of theirs.
            let half = 0.5 * bin_width() * (hi + lo.max(floor)) + floor;
            assert!(
                (q.se - 0.5 * (hi - lo)).abs() <= half * (1.0 + HAND_TOL),
                "{q:?} vs ({lo}, {hi})"
            );
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
        // Nearest rank: P50 = 2nd of 4 (60), P90 = P99 = 4th (300); the histogram gives a
        // value inside the bin of each (2.33 % wide): P50 at the top of 60's bin (rank 2 is the
        // last value up to it), P90 at 0.6 of the way through 300's (3.6 of 4 values).
        let w = bin_width();
        for (q, exact) in [
            (m.downtime_p50_minutes_per_year.mean, 60.0),
            (m.downtime_p90_minutes_per_year.mean, 300.0),
            (m.downtime_p99_minutes_per_year.mean, 300.0),
        ] {
            assert!(within_a_bin(q, exact, 0.0), "{q} vs {exact}");
        }
        assert!(m.downtime_p50_minutes_per_year.mean >= 60.0);
        // P50 ± √(0.25/4) = 0.25 → ranks 1 and 3: (120 − 0) / 2, the 120 within a bin.
        let se = m.downtime_p50_minutes_per_year.se;
        assert!((60.0..=60.0 * (1.0 + w)).contains(&se), "{se}");
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
        assert_agrees(&m, &s, HOURS_PER_YEAR, HAND_TOL);
    }

    #[test]
    fn merged_accumulators_give_the_sequential_figures() {
        // Eight samples by hand in chunks of 3, 0, 5: the co-moment's merge term is what
        // CAIDI's SE needs. Downtime 0, 0.5, 3, 0, 1, 1, 4, 0.25 h; events 0, 1, 2, 0, 1, 1, 1, 1.
        let rows = [
            (0.0, 0),
            (0.5, 1),
            (3.0, 2),
            (0.0, 0),
            (1.0, 1),
            (1.0, 1),
            (4.0, 1),
            (0.25, 1),
        ];
        let s: Vec<SampleSummary> = rows
            .iter()
            .enumerate()
            .map(|(i, &(d, e))| sample(i as u64, d, e))
            .collect();
        let mut parts = [
            SlaAccumulator::default(),
            SlaAccumulator::default(),
            SlaAccumulator::default(),
        ];
        for (i, &(d, e)) in rows.iter().enumerate() {
            parts[if i < 3 { 0 } else { 2 }].push(d, e);
        }
        let mut total = SlaAccumulator::default();
        for p in &parts {
            total.merge(p);
        }
        let m = total.metrics(HOURS_PER_YEAR).unwrap();
        assert_agrees(&m, &s, HOURS_PER_YEAR, HAND_TOL);
        // CAIDI by hand: Σd = 9.75 h over 7 events; residuals d − R e.
        let r = 9.75 / 7.0;
        let ss: f64 = rows
            .iter()
            .map(|&(d, e)| (d - r * f64::from(e)).powi(2))
            .sum();
        let c = m.interruption_duration_minutes.unwrap();
        assert!(close(c.mean, 60.0 * r));
        assert!(close(c.se, 60.0 * (ss / 56.0).sqrt() / (7.0 / 8.0)));
        // The counts are exact: 6 of 8 samples interrupted, 7 interruptions.
        assert_eq!(m.interruptions, 7);
        assert!(close(
            estimated(m.interruption_probability_per_year).mean,
            0.75
        ));
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
        assert_eq!(m.downtime_p99_minutes_per_year.mean, 0.0);
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
        assert_eq!(
            field(SlaAccumulator::default().metrics(8760.0).unwrap_err()),
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
    }

    /// A quarter of the default fleet on hourly steps: loss of load in most samples.
    fn quarter_fleet() -> crate::engine::study::Study {
        let text = crate::io::scenario::DEFAULT_SCENARIO_TOML
            .replace("step = \"1m\"", "step = \"1h\"")
            .replace("units = 16", "units = 4");
        crate::io::scenario::Scenario::from_toml_str(&text)
            .and_then(|s| s.validate())
            .unwrap()
    }

    /// Tolerance of CAIDI against the study's own mean event duration: the same event durations
    /// summed in another order and in another unit.
    const CAIDI_REL_TOL: f64 = 1e-9;

    #[test]
    fn agrees_with_the_study_indices() {
        let study = quarter_fleet();
        let cfg = crate::studies::montecarlo::McConfig::new(64, 3);
        let r =
            crate::studies::montecarlo::run(study.site(), study.policy(), &cfg, &|_| {}).unwrap();
        let m = metrics(&r);
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

    #[test]
    fn the_study_figures_are_the_per_sample_definitions() {
        // 70 samples: four whole chunks of 16 and a short one, merged in order; the kept
        // samples give the definitions' values.
        let study = quarter_fleet();
        let cfg = crate::studies::montecarlo::McConfig {
            keep_samples: true,
            ..crate::studies::montecarlo::McConfig::new(70, 9)
        };
        let r =
            crate::studies::montecarlo::run(study.site(), study.policy(), &cfg, &|_| {}).unwrap();
        let rows = r.samples.as_deref().unwrap();
        assert!(r.sla.interruptions > 0, "no loss of load");
        assert_agrees(&r.sla, rows, r.indices.sample_hours, HAND_TOL);
        // The rows folded one by one: the same figures to rounding.
        let again = from_samples(rows, r.indices.sample_hours).unwrap();
        assert_agrees(&again, rows, r.indices.sample_hours, HAND_TOL);
        assert_eq!(
            again.downtime_p90_minutes_per_year,
            r.sla.downtime_p90_minutes_per_year
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

        /// Random samples, cut into random chunks merged in order: every figure is the
        /// definition's, the quantiles within a bin.
        #[test]
        fn chunked_accumulators_give_the_definitions(
            rows in prop::collection::vec((prop_oneof![Just(0.0), 0.0f64..=1.0, 0.0f64..0.001], 0u32..5), 1..120),
            cuts in prop::collection::vec(0usize..120, 0..6),
            hours in 1.0f64..20_000.0,
        ) {
            let s: Vec<SampleSummary> = rows
                .iter()
                .enumerate()
                .map(|(i, &(share, events))| {
                    // Downtime only with an interruption, as the engine counts them.
                    let events = if share > 0.0 { events.max(1) } else { events };
                    sample(i as u64, share * hours, events)
                })
                .collect();
            let mut cuts: Vec<usize> = cuts.into_iter().filter(|&c| c <= s.len()).collect();
            cuts.push(0);
            cuts.push(s.len());
            cuts.sort_unstable();
            let mut total = SlaAccumulator::default();
            for w in cuts.windows(2) {
                let mut part = SlaAccumulator::default();
                for r in &s[w[0]..w[1]] {
                    part.push(r.loss_of_load_hours, r.loss_of_load_events);
                }
                total.merge(&part);
            }
            let m = total.metrics(hours).unwrap();
            assert_agrees(&m, &s, hours, HAND_TOL);
        }
    }
}
