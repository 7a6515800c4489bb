//! Streaming statistics for Monte Carlo: mergeable moments, estimates with standard errors, and a
//! log-binned histogram for quantiles and tail means in bounded memory.

use serde::{Deserialize, Serialize};

/// A Monte Carlo estimate: the sample mean, its standard error `s/√n`, and the sample count.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// The estimate.
    pub mean: f64,
    /// Its standard error (0 when `n < 2`).
    pub se: f64,
    /// How many observations it rests on.
    pub n: u64,
}

impl Estimate {
    /// The relative standard error `se/|mean|` (infinite for a zero mean with a non-zero SE,
    /// 0 when both are 0).
    pub fn relative_se(&self) -> f64 {
        if self.mean != 0.0 {
            self.se / self.mean.abs()
        } else if self.se == 0.0 {
            0.0
        } else {
            f64::INFINITY
        }
    }

    /// `self` scaled by `k` (mean and SE).
    pub fn scaled(self, k: f64) -> Estimate {
        Estimate {
            mean: self.mean * k,
            se: self.se * k.abs(),
            n: self.n,
        }
    }
}

impl std::fmt::Display for Estimate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let p = f.precision().unwrap_or(3);
        write!(
            f,
            "{:.*} ± {:.*} (n = {})",
            p, self.mean, p, self.se, self.n
        )
    }
}

/// Count, mean and sum of squared deviations, merged exactly as Chan et al.'s parallel
/// algorithm. Merging in a fixed order gives bit-identical results whatever the thread count.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Moments {
    n: u64,
    mean: f64,
    m2: f64,
}

impl Moments {
    /// Adds one observation (Welford's update).
    #[inline]
    pub fn push(&mut self, x: f64) {
        self.n += 1;
        let d = x - self.mean;
        self.mean += d / self.n as f64;
        self.m2 += d * (x - self.mean);
    }

    /// Adds all observations of `o`.
    pub fn merge(&mut self, o: &Moments) {
        if o.n == 0 {
            return;
        }
        if self.n == 0 {
            *self = *o;
            return;
        }
        let n = self.n + o.n;
        let d = o.mean - self.mean;
        self.mean += d * o.n as f64 / n as f64;
        self.m2 += o.m2 + d * d * (self.n as f64 * o.n as f64 / n as f64);
        self.n = n;
    }

    /// Number of observations.
    pub fn count(&self) -> u64 {
        self.n
    }

    /// The sample variance (0 for fewer than 2 observations).
    pub fn variance(&self) -> f64 {
        if self.n < 2 {
            0.0
        } else {
            (self.m2 / (self.n - 1) as f64).max(0.0)
        }
    }

    /// Mean ± standard error of the mean.
    pub fn estimate(&self) -> Estimate {
        Estimate {
            mean: self.mean,
            se: if self.n < 2 {
                0.0
            } else {
                (self.variance() / self.n as f64).sqrt()
            },
            n: self.n,
        }
    }
}

/// Two variables observed together: the [`Moments`] of each and their co-moment
/// `Σ(xᵢ − x̄)(yᵢ − ȳ)`, updated one pair at a time (Welford) and merged exactly as Chan et
/// al.'s pairwise algorithm. Each variable's moments are those a [`Moments`] fed the same values
/// would hold, bit for bit; merging in a fixed order gives bit-identical results.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoMoments {
    x: Moments,
    y: Moments,
    cxy: f64,
}

impl CoMoments {
    /// Adds one pair: `C ← C + (x − x̄ₙ₋₁)(y − ȳₙ)`.
    #[inline]
    pub fn push(&mut self, x: f64, y: f64) {
        let dx = x - self.x.mean;
        self.x.push(x);
        self.y.push(y);
        self.cxy += dx * (y - self.y.mean);
    }

    /// Adds all pairs of `o`: `C = C_a + C_b + (x̄_b − x̄_a)(ȳ_b − ȳ_a)·n_a n_b / n`.
    pub fn merge(&mut self, o: &CoMoments) {
        if o.x.n == 0 {
            return;
        }
        if self.x.n == 0 {
            *self = *o;
            return;
        }
        let (na, nb) = (self.x.n as f64, o.x.n as f64);
        let (dx, dy) = (o.x.mean - self.x.mean, o.y.mean - self.y.mean);
        self.cxy += o.cxy + dx * dy * (na * nb / (na + nb));
        self.x.merge(&o.x);
        self.y.merge(&o.y);
    }

    /// The first variable's moments.
    pub fn x(&self) -> &Moments {
        &self.x
    }

    /// The second variable's moments.
    pub fn y(&self) -> &Moments {
        &self.y
    }

    /// Number of pairs.
    pub fn count(&self) -> u64 {
        self.x.n
    }

    /// The co-moment `Σ(xᵢ − x̄)(yᵢ − ȳ)` (0 for no pairs).
    pub fn comoment(&self) -> f64 {
        self.cxy
    }

    /// The sum of squared deviations `Σ(xᵢ − x̄)²` of the first variable.
    pub fn m2_x(&self) -> f64 {
        self.x.m2
    }

    /// The sum of squared deviations `Σ(yᵢ − ȳ)²` of the second variable.
    pub fn m2_y(&self) -> f64 {
        self.y.m2
    }
}

/// Bins per decade of [`LogHistogram`]: a relative resolution of `10^(1/100) − 1 ≈ 2.3 %`.
pub const BINS_PER_DECADE: usize = 100;
/// Smallest positive value binned (smaller positive values go to the first bin).
pub const HIST_MIN: f64 = 1e-6;
/// Decades covered above [`HIST_MIN`] (larger values go to the last bin).
pub const HIST_DECADES: usize = 15;
const NBINS: usize = BINS_PER_DECADE * HIST_DECADES;

/// A histogram of non-negative values with an exact zero bin and log-spaced bins from
/// [`HIST_MIN`] over [`HIST_DECADES`] decades, so quantiles of, say, annual unserved energy are
/// known to ≈2.3 % in constant memory. Counts are integers, so merging is exact in any order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogHistogram {
    zeros: u64,
    counts: Vec<u64>,
    n: u64,
}

impl Default for LogHistogram {
    fn default() -> LogHistogram {
        LogHistogram {
            zeros: 0,
            counts: vec![0; NBINS],
            n: 0,
        }
    }
}

impl LogHistogram {
    /// Adds one value (negative values and NaN count as zero).
    #[inline]
    pub fn push(&mut self, x: f64) {
        self.n += 1;
        if x.is_nan() || x <= 0.0 {
            self.zeros += 1;
            return;
        }
        let b = ((x / HIST_MIN).log10() * BINS_PER_DECADE as f64).floor();
        let b = if b < 0.0 {
            0
        } else {
            (b as usize).min(NBINS - 1)
        };
        self.counts[b] += 1;
    }

    /// Adds all values of `o`.
    pub fn merge(&mut self, o: &LogHistogram) {
        self.zeros += o.zeros;
        self.n += o.n;
        for (a, b) in self.counts.iter_mut().zip(&o.counts) {
            *a += b;
        }
    }

    /// Number of values.
    pub fn count(&self) -> u64 {
        self.n
    }

    fn edge(b: usize) -> f64 {
        HIST_MIN * 10f64.powf(b as f64 / BINS_PER_DECADE as f64)
    }

    /// The `p`-quantile (`0 ≤ p ≤ 1`), interpolated geometrically within its bin.
    pub fn quantile(&self, p: f64) -> f64 {
        if self.n == 0 {
            return 0.0;
        }
        let target = p.clamp(0.0, 1.0) * self.n as f64;
        if target <= self.zeros as f64 {
            return 0.0;
        }
        let mut cum = self.zeros as f64;
        for (b, &c) in self.counts.iter().enumerate() {
            if c == 0 {
                continue;
            }
            if cum + c as f64 >= target {
                let frac = ((target - cum) / c as f64).clamp(0.0, 1.0);
                let (lo, hi) = (Self::edge(b), Self::edge(b + 1));
                return lo * (hi / lo).powf(frac);
            }
            cum += c as f64;
        }
        Self::edge(NBINS)
    }

    /// The `p`-quantile with a standard error from the order-statistic (binomial) argument:
    /// half the distance between the `p ∓ √(p(1−p)/n)` quantiles.
    pub fn quantile_estimate(&self, p: f64) -> Estimate {
        let n = self.n.max(1) as f64;
        let s = (p * (1.0 - p) / n).sqrt();
        Estimate {
            mean: self.quantile(p),
            se: 0.5 * (self.quantile((p + s).min(1.0)) - self.quantile((p - s).max(0.0))),
            n: self.n,
        }
    }

    /// The mean of the worst `1 − p` share of values (conditional value at risk, CVaR at level
    /// `p`), with bin values at their geometric centres, and its standard error from the tail's
    /// spread over the `(1 − p)·n` tail values.
    pub fn tail_mean(&self, p: f64) -> Estimate {
        let tail = ((1.0 - p.clamp(0.0, 1.0)) * self.n as f64).max(0.0);
        if self.n == 0 || tail <= 0.0 {
            return Estimate {
                mean: 0.0,
                se: 0.0,
                n: self.n,
            };
        }
        // Walk down from the top bin, taking `tail` values.
        let mut left = tail;
        let mut sum = 0.0;
        let mut sum2 = 0.0;
        let mut taken = 0.0;
        for b in (0..NBINS).rev() {
            if left <= 0.0 {
                break;
            }
            let c = self.counts[b] as f64;
            if c == 0.0 {
                continue;
            }
            let take = c.min(left);
            let v = (Self::edge(b) * Self::edge(b + 1)).sqrt();
            sum += take * v;
            sum2 += take * v * v;
            taken += take;
            left -= take;
        }
        // The rest of the tail, if any, is zeros.
        taken += left.max(0.0);
        let mean = sum / taken;
        let var = (sum2 / taken - mean * mean).max(0.0);
        Estimate {
            mean,
            se: (var / taken).sqrt(),
            n: self.n,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOL: f64 = 1e-12;
    /// Relative tolerance of the same sums of a few hundred values in another order (one-pass
    /// against two-pass, merged parts against one pass): rounding only.
    const ORDER_TOL: f64 = 1e-9;

    #[test]
    fn moments_match_two_pass_formulas_and_merge_exactly() {
        let xs: Vec<f64> = (0..1000).map(|i| ((i * 37) % 101) as f64 * 0.5).collect();
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (xs.len() - 1) as f64;
        let mut all = Moments::default();
        xs.iter().for_each(|&x| all.push(x));
        assert!((all.estimate().mean - mean).abs() < 1e-9);
        assert!((all.variance() - var).abs() < 1e-9);
        let mut a = Moments::default();
        let mut b = Moments::default();
        xs[..300].iter().for_each(|&x| a.push(x));
        xs[300..].iter().for_each(|&x| b.push(x));
        a.merge(&b);
        assert!((a.estimate().mean - mean).abs() < 1e-9);
        assert!((a.variance() - var).abs() < 1e-9);
        assert_eq!(a.count(), 1000);
        let se = (var / 1000.0).sqrt();
        assert!((all.estimate().se - se).abs() < 1e-9);
    }

    #[test]
    fn co_moments_match_two_pass_formulas_and_merge_exactly() {
        let xs: Vec<(f64, f64)> = (0..777)
            .map(|i| {
                (
                    ((i * 37) % 101) as f64 * 0.5,
                    ((i * 13) % 7) as f64 + 0.25 * i as f64,
                )
            })
            .collect();
        let n = xs.len() as f64;
        let mx = xs.iter().map(|p| p.0).sum::<f64>() / n;
        let my = xs.iter().map(|p| p.1).sum::<f64>() / n;
        let c: f64 = xs.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
        let m2x: f64 = xs.iter().map(|p| (p.0 - mx).powi(2)).sum();
        let mut all = CoMoments::default();
        let mut x_alone = Moments::default();
        for &(x, y) in &xs {
            all.push(x, y);
            x_alone.push(x);
        }
        // Each variable's moments are a plain `Moments`' bit for bit.
        assert_eq!(*all.x(), x_alone);
        let close = |a: f64, b: f64| (a - b).abs() <= ORDER_TOL * a.abs().max(b.abs()).max(1.0);
        assert!(close(all.comoment(), c), "{} vs {c}", all.comoment());
        assert!(close(all.m2_x(), m2x));
        // Merged in three unequal parts (and an empty one) in order: the same to rounding, and
        // each variable's moments are those of merged `Moments`.
        let mut parts = [CoMoments::default(); 4];
        for (i, &(x, y)) in xs.iter().enumerate() {
            parts[if i < 100 {
                0
            } else if i < 500 {
                2
            } else {
                3
            }]
            .push(x, y);
        }
        let mut merged = CoMoments::default();
        let mut xm = Moments::default();
        for p in &parts {
            merged.merge(p);
            xm.merge(p.x());
        }
        assert_eq!(*merged.x(), xm);
        assert_eq!(merged.count(), 777);
        assert!(close(merged.comoment(), c), "{} vs {c}", merged.comoment());
        assert!(close(merged.m2_y(), all.m2_y()));
    }

    #[test]
    fn relative_se_follows_its_three_documented_cases() {
        let e = |mean: f64, se: f64| Estimate { mean, se, n: 10 }.relative_se();
        // se / |mean| for a non-zero mean, of either sign.
        assert_eq!(e(-4.0, 1.0), 0.25);
        assert_eq!(e(4.0, 1.0), 0.25);
        // A zero mean: 0 with a zero SE (nothing varies), infinite with a non-zero one.
        assert_eq!(e(0.0, 0.0), 0.0);
        assert_eq!(e(0.0, 0.5), f64::INFINITY);
        // Displayed as `mean ± se (n = …)`, three decimals unless a precision is given.
        let x = Estimate {
            mean: 1.23456,
            se: 0.5,
            n: 7,
        };
        assert_eq!(format!("{x}"), "1.235 ± 0.500 (n = 7)");
        assert_eq!(format!("{x:.1}"), "1.2 ± 0.5 (n = 7)");
        // Scaling by a negative factor keeps the SE non-negative.
        let s = Estimate {
            mean: 2.0,
            se: 0.5,
            n: 3,
        }
        .scaled(-3.0);
        assert_eq!((s.mean, s.se, s.n), (-6.0, 1.5, 3));
    }

    #[test]
    fn histogram_quantiles_within_bin_resolution() {
        let mut h = LogHistogram::default();
        // 500 zeros and the values 1..=500.
        for i in 0..1000 {
            h.push(if i < 500 { 0.0 } else { (i - 499) as f64 });
        }
        assert_eq!(h.quantile(0.3), 0.0);
        let q90 = h.quantile(0.9); // the 900th value: the 400th of 1..=500
        assert!((q90 / 400.0 - 1.0).abs() < 0.025, "{q90}");
        let q99 = h.quantile(0.99); // → 490
        assert!((q99 / 490.0 - 1.0).abs() < 0.025, "{q99}");
        // CVaR95: mean of the top 50 values 451..=500 = 475.5.
        let cvar = h.tail_mean(0.95);
        assert!((cvar.mean / 475.5 - 1.0).abs() < 0.025, "{cvar:?}");
        assert!(cvar.se > 0.0);
        let mut g = LogHistogram::default();
        g.merge(&h);
        assert_eq!(g, h);
        assert!(
            (Estimate {
                mean: 2.0,
                se: 0.5,
                n: 3
            }
            .relative_se()
                - 0.25)
                .abs()
                < TOL
        );
    }

    #[test]
    fn values_beyond_the_histogram_range_go_to_its_end_bins() {
        // Above the top decade (HIST_MIN · 10^HIST_DECADES = 1e9) and at infinity: the last
        // bin; below HIST_MIN but positive: the first bin, not the zeros.
        let mut h = LogHistogram::default();
        for x in [1e12, f64::MAX, f64::INFINITY] {
            h.push(x);
        }
        assert_eq!(h.count(), 3);
        assert_eq!(h.counts[NBINS - 1], 3);
        let top = LogHistogram::edge(NBINS - 1);
        assert!(h.quantile(0.5) >= top, "{}", h.quantile(0.5));
        let mut low = LogHistogram::default();
        low.push(1e-9);
        assert_eq!((low.zeros, low.counts[0]), (0, 1));
    }

    /// `HIST_MIN · 10^(b / BINS_PER_DECADE)`: bin `b`'s lower edge at fractional `b`, written
    /// out (bin `b` spans `at(b)..at(b + 1)`, its geometric centre is `at(b + 0.5)`).
    fn at(b: f64) -> f64 {
        HIST_MIN * 10f64.powf(b / BINS_PER_DECADE as f64)
    }

    /// Two bins a decade apart: 2 values in the lower, 4 in the upper, all at bin centres.
    fn two_bins(zeros: usize) -> (LogHistogram, f64, f64) {
        let (lower, upper) = ((5 * BINS_PER_DECADE) as f64, (6 * BINS_PER_DECADE) as f64);
        let mut h = LogHistogram::default();
        (0..zeros).for_each(|_| h.push(0.0));
        (0..2).for_each(|_| h.push(at(lower + 0.5)));
        (0..4).for_each(|_| h.push(at(upper + 0.5)));
        (h, lower, upper)
    }

    #[test]
    fn a_quantile_interpolates_geometrically_inside_its_bin_after_the_bins_below() {
        // 6 values: the median's target 3 is the upper bin's first of 4 after the lower's 2,
        // a quarter of the way up it on a log scale.
        let (h, _, upper) = two_bins(0);
        let close = |a: f64, b: f64| (a - b).abs() <= TOL * b;
        assert!(
            close(h.quantile(0.5), at(upper + 0.25)),
            "{}",
            h.quantile(0.5)
        );
        assert!(close(h.quantile(5.0 / 6.0), at(upper + 0.75)));
        assert!(close(h.quantile(1.0), at(upper + 1.0)));
        // With 2 zeros below: the target 5 of 8 is again the upper bin's first quarter.
        let (h, _, upper) = two_bins(2);
        assert!(
            close(h.quantile(5.0 / 8.0), at(upper + 0.25)),
            "{}",
            h.quantile(0.625)
        );
        assert_eq!(h.quantile(0.25), 0.0);
    }

    #[test]
    fn a_tail_mean_takes_bin_centres_from_the_top_then_zeros() {
        // 3 zeros, 2 values in the lower bin, 4 in the upper: bin values at geometric centres.
        let (h, lower, upper) = two_bins(3);
        let (vl, vu) = (at(lower + 0.5), at(upper + 0.5));
        let close = |a: f64, b: f64| (a - b).abs() <= TOL * b.abs().max(1e-300);
        // The worst 4 of 9: the upper bin alone, no spread.
        let t = h.tail_mean(1.0 - 4.0 / 9.0);
        assert!(close(t.mean, vu), "{} vs {vu}", t.mean);
        assert!(t.se.abs() <= TOL * vu);
        // All 9: the 6 binned values and the 3 zeros; the spread over the 9, over √9.
        let t = h.tail_mean(0.0);
        let (sum, sum2) = (4.0 * vu + 2.0 * vl, 4.0 * vu * vu + 2.0 * vl * vl);
        let mean = sum / 9.0;
        let se = ((sum2 / 9.0 - mean * mean) / 9.0).sqrt();
        assert!(close(t.mean, mean), "{} vs {mean}", t.mean);
        assert!(close(t.se, se), "{} vs {se}", t.se);
        // The worst 5: the upper bin and one of the lower.
        let t = h.tail_mean(1.0 - 5.0 / 9.0);
        let mean = (4.0 * vu + vl) / 5.0;
        let se = (((4.0 * vu * vu + vl * vl) / 5.0 - mean * mean) / 5.0).sqrt();
        assert!(close(t.mean, mean) && close(t.se, se), "{t:?}");
        // No tail at all (p = 1): nothing, not 0/0.
        let t = h.tail_mean(1.0);
        assert_eq!((t.mean, t.se, t.n), (0.0, 0.0, 9));
    }
}
