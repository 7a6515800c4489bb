//! The capacity outage probability table: [`Copt`] of independent [`TwoStateUnit`]s, built by
//! recursive convolution, and the loss-of-load indices of a load series against it (see the
//! [module documentation](super) for the conventions).

use crate::error::{check_fraction, check_non_negative, check_range, ConfigError};
use serde::{Deserialize, Serialize};

/// The resolution of capacities in a [`Copt`], MW: capacities are rounded to this grid.
pub const CAPACITY_RESOLUTION_MW: f64 = 1e-9;

/// States of a [`Copt`] whose probability falls below this are dropped.
pub const PROBABILITY_FLOOR: f64 = 1e-300;

/// The largest capacity of one unit, MW (keeps the integer outage grid far from overflow).
pub const MAX_UNIT_CAPACITY_MW: f64 = 1e9;

/// Grid points per MW.
const UNITS_PER_MW: f64 = 1e9;

/// A two-state generating (or supply) unit for the analytic method: `capacity_mw` available with
/// probability `1 − forced_outage_rate`, nothing otherwise.
///
/// The fields are public for convenience; [`TwoStateUnit::new`] and [`Copt::new`] validate them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TwoStateUnit {
    /// Capacity when available, MW: finite, `0 ≤ x ≤ 1e9`.
    pub capacity_mw: f64,
    /// Probability of being out (forced outage rate, unavailability), in `[0, 1]`.
    pub forced_outage_rate: f64,
}

impl TwoStateUnit {
    /// A validated unit.
    ///
    /// # Errors
    /// [`ConfigError::OutOfRange`] naming `capacity_mw` (not finite, negative or above 1e9 MW) or
    /// `forced_outage_rate` (not in `[0, 1]`).
    pub fn new(capacity_mw: f64, forced_outage_rate: f64) -> Result<TwoStateUnit, ConfigError> {
        let unit = TwoStateUnit {
            capacity_mw,
            forced_outage_rate,
        };
        unit.validate("")?;
        Ok(unit)
    }

    /// A unit whose forced outage rate is the steady-state unavailability of a two-state Markov
    /// model with mean time to failure `mttf_h` and mean time to repair `mttr_h`:
    /// `FOR = MTTR / (MTTF + MTTR)`.
    ///
    /// ```
    /// use ridethrough::studies::adequacy::TwoStateUnit;
    /// let u = TwoStateUnit::from_mttf_mttr(400.0, 1100.0, 150.0)?; // the RTS-79 nuclear unit
    /// assert!((u.forced_outage_rate - 0.12).abs() < 1e-15);
    /// # Ok::<(), ridethrough::ConfigError>(())
    /// ```
    ///
    /// # Errors
    /// [`ConfigError::OutOfRange`] for a bad capacity or a negative or non-finite `mttf_h` or
    /// `mttr_h`; [`ConfigError::Inconsistent`] if both times are zero.
    pub fn from_mttf_mttr(
        capacity_mw: f64,
        mttf_h: f64,
        mttr_h: f64,
    ) -> Result<TwoStateUnit, ConfigError> {
        check_non_negative("mttf_h", mttf_h)?;
        check_non_negative("mttr_h", mttr_h)?;
        let cycle = mttf_h + mttr_h;
        if !(cycle > 0.0 && cycle.is_finite()) {
            return Err(ConfigError::Inconsistent {
                field: "mttr_h".into(),
                why: "mttf_h + mttr_h must be a finite number > 0",
            });
        }
        TwoStateUnit::new(capacity_mw, mttr_h / cycle)
    }

    /// Checks the fields; `prefix` (e.g. `units[3].`) is prepended to the field names.
    fn validate(&self, prefix: &str) -> Result<(), ConfigError> {
        check_range(
            format!("{prefix}capacity_mw"),
            self.capacity_mw,
            0.0,
            MAX_UNIT_CAPACITY_MW,
            "a finite number, 0 ≤ x ≤ 1e9 MW",
        )?;
        check_fraction(
            format!("{prefix}forced_outage_rate"),
            self.forced_outage_rate,
        )?;
        Ok(())
    }

    /// The capacity on the integer grid of [`CAPACITY_RESOLUTION_MW`].
    fn grid_capacity(&self) -> i64 {
        (self.capacity_mw * UNITS_PER_MW).round() as i64
    }
}

/// Loss-of-load indices of a load series against a [`Copt`] (see [`Copt::indices`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AdequacyIndices {
    /// Loss-of-load expectation, hours: `Σ_t P(A < L_t) · step`.
    pub lole_hours: f64,
    /// Expected unserved energy (EENS), MWh: `Σ_t E[max(0, L_t − A)] · step`.
    pub eue_mwh: f64,
    /// Length of the series, hours: number of samples × step.
    pub hours: f64,
    /// Energy of the load series, MWh: `Σ_t L_t · step`.
    pub load_energy_mwh: f64,
    /// Normalised unserved energy, parts per million: `eue_mwh / load_energy_mwh × 1e6`
    /// (0 if the load energy is 0).
    pub eue_ppm: f64,
}

/// The capacity outage probability table of a set of independent [`TwoStateUnit`]s: the exact
/// distribution of the available capacity.
///
/// Built by recursive convolution, one unit at a time, on an integer grid of 1e-9 MW (see the
/// [module documentation](super) for the conventions). Queries are `O(log n)` in the number of
/// states `n`: the table keeps the cumulative probability `P(A < a_i)` and the integral
/// `E[max(0, a_i − A)]` at every capacity level `a_i`, the latter accumulated from non-negative
/// terms only, so expected shortfalls carry no cancellation error.
///
/// ```
/// use ridethrough::studies::adequacy::{Copt, TwoStateUnit};
/// let u = TwoStateUnit::new(100.0, 0.1)?;
/// let copt = Copt::new(&[u, u])?;
/// let states: Vec<(f64, f64)> = copt.states().collect();
/// assert_eq!(states.len(), 3);
/// assert_eq!(states[0].0, 0.0); // ascending available capacity, MW
/// assert!((states[1].1 - 0.18).abs() < 1e-12);
///
/// // Adding a perfectly reliable 50 MW unit (e.g. to compare with a battery) shifts the table.
/// let firm = copt.with_unit(TwoStateUnit::new(50.0, 0.0)?);
/// assert_eq!(firm.installed_mw(), 250.0);
/// assert!((firm.lolp(150.0) - 0.01).abs() < 1e-12);
/// // One hour at 150 MW, then one at 100 MW.
/// let idx = copt.indices(&[150.0, 100.0], 1.0);
/// assert!((idx.lole_hours - (0.19 + 0.01)).abs() < 1e-12);
/// assert!((idx.eue_mwh - (10.5 + 0.01 * 100.0)).abs() < 1e-12);
/// # Ok::<(), ridethrough::ConfigError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Copt {
    /// Installed capacity on the grid.
    installed: i64,
    /// Capacity out on the grid, strictly ascending.
    outage: Vec<i64>,
    /// `P(outage = outage[i])`, aligned with `outage`.
    outage_prob: Vec<f64>,
    /// Available capacity in MW, strictly ascending (the reverse of `outage`).
    avail_mw: Vec<f64>,
    /// `P(A = avail_mw[i])`.
    prob: Vec<f64>,
    /// `cum[i] = P(A < avail_mw[i])` for `i < n`, and `cum[n]` = total probability.
    cum: Vec<f64>,
    /// `shortfall[i] = E[max(0, avail_mw[i] − A)]`, MW.
    shortfall: Vec<f64>,
}

impl Copt {
    /// The table of `units` (an empty slice gives a system with 0 MW, available with
    /// probability 1).
    ///
    /// # Errors
    /// [`ConfigError::OutOfRange`] naming the unit, e.g. `units[3].forced_outage_rate`, for a
    /// capacity that is not finite, negative or above 1e9 MW, or a forced outage rate outside
    /// `[0, 1]` (NaN included); [`ConfigError::Inconsistent`] (field `units`) if the installed
    /// capacity exceeds what the 1e-9 MW grid can hold (about 9.2e9 MW).
    pub fn new(units: &[TwoStateUnit]) -> Result<Copt, ConfigError> {
        let mut installed: i64 = 0;
        for (i, u) in units.iter().enumerate() {
            u.validate(&format!("units[{i}]."))?;
            installed = installed.checked_add(u.grid_capacity()).ok_or_else(|| {
                ConfigError::Inconsistent {
                    field: "units".into(),
                    why: "the installed capacity exceeds the range of the 1e-9 MW grid",
                }
            })?;
        }
        let mut outage = vec![0_i64];
        let mut outage_prob = vec![1.0];
        for u in units {
            (outage, outage_prob) = convolve(&outage, &outage_prob, u);
        }
        Ok(Copt::from_outages(installed, outage, outage_prob))
    }

    /// This table with one more unit, e.g. a perfectly reliable `P` MW unit (forced outage rate 0)
    /// standing in for a battery in a comparison.
    ///
    /// # Panics
    /// If `unit` is invalid (build it with [`TwoStateUnit::new`] to get an error instead) or the
    /// installed capacity would overflow the 1e-9 MW grid.
    pub fn with_unit(&self, unit: TwoStateUnit) -> Copt {
        if let Err(e) = unit.validate("unit.") {
            panic!("Copt::with_unit: {e}");
        }
        let installed = self
            .installed
            .checked_add(unit.grid_capacity())
            .expect("Copt::with_unit: installed capacity overflows the 1e-9 MW grid");
        let (outage, outage_prob) = convolve(&self.outage, &self.outage_prob, &unit);
        Copt::from_outages(installed, outage, outage_prob)
    }

    /// Builds the query arrays from the outage table.
    fn from_outages(installed: i64, outage: Vec<i64>, outage_prob: Vec<f64>) -> Copt {
        let n = outage.len();
        // Exact: integers on the grid divided by 1e9 are correctly rounded, so integer MW values
        // come out exactly.
        let avail_mw: Vec<f64> = outage
            .iter()
            .rev()
            .map(|&o| (installed - o) as f64 / UNITS_PER_MW)
            .collect();
        let prob: Vec<f64> = outage_prob.iter().rev().copied().collect();
        let mut cum = Vec::with_capacity(n + 1);
        let mut shortfall = Vec::with_capacity(n);
        let mut c = 0.0;
        let mut s = 0.0;
        for i in 0..n {
            if i > 0 {
                // E[max(0, a_i − A)] = E[max(0, a_{i−1} − A)] + P(A < a_i)·(a_i − a_{i−1}).
                s += c * (avail_mw[i] - avail_mw[i - 1]);
            }
            cum.push(c);
            shortfall.push(s);
            c += prob[i];
        }
        cum.push(c);
        Copt {
            installed,
            outage,
            outage_prob,
            avail_mw,
            prob,
            cum,
            shortfall,
        }
    }

    /// Installed capacity, MW (the sum of the unit capacities, on the 1e-9 MW grid).
    pub fn installed_mw(&self) -> f64 {
        self.installed as f64 / UNITS_PER_MW
    }

    /// Number of distinct capacity levels with non-negligible probability.
    pub fn len(&self) -> usize {
        self.avail_mw.len()
    }

    /// Whether the table is empty (never: a table always has at least one state).
    pub fn is_empty(&self) -> bool {
        self.avail_mw.is_empty()
    }

    /// The states `(available MW, probability)`, in ascending order of available capacity.
    pub fn states(&self) -> impl Iterator<Item = (f64, f64)> + '_ {
        self.avail_mw.iter().copied().zip(self.prob.iter().copied())
    }

    /// Number of states whose available capacity is strictly below `load_mw`.
    #[inline]
    fn below(&self, load_mw: f64) -> usize {
        self.avail_mw.partition_point(|&a| a < load_mw)
    }

    /// Loss-of-load probability `P(A < load_mw)`: strictly, a load equal to an available
    /// capacity is served. 0 for a load ≤ 0 (and for NaN); the total probability (1 up to
    /// rounding) for a load above the installed capacity.
    pub fn lolp(&self, load_mw: f64) -> f64 {
        self.cum[self.below(load_mw)]
    }

    /// Expected unserved power `E[max(0, load_mw − A)]`, MW. 0 for a load ≤ 0 (and for NaN).
    pub fn expected_unserved_mw(&self, load_mw: f64) -> f64 {
        match self.below(load_mw) {
            0 => 0.0,
            k => self.shortfall[k - 1] + self.cum[k] * (load_mw - self.avail_mw[k - 1]),
        }
    }

    /// The indices of a load series with samples `step_hours` apart (1.0 for an hourly series):
    /// each sample's load is held for one step.
    ///
    /// `step_hours` should be finite and positive; the loads finite.
    pub fn indices(&self, hourly_load_mw: &[f64], step_hours: f64) -> AdequacyIndices {
        let mut lole = 0.0;
        let mut eue = 0.0;
        let mut energy = 0.0;
        for &load in hourly_load_mw {
            lole += self.lolp(load);
            eue += self.expected_unserved_mw(load);
            energy += load;
        }
        let eue_mwh = eue * step_hours;
        let load_energy_mwh = energy * step_hours;
        AdequacyIndices {
            lole_hours: lole * step_hours,
            eue_mwh,
            hours: hourly_load_mw.len() as f64 * step_hours,
            load_energy_mwh,
            eue_ppm: if load_energy_mwh > 0.0 {
                eue_mwh / load_energy_mwh * 1e6
            } else {
                0.0
            },
        }
    }
}

/// Adds `unit` to the outage table (`outage` strictly ascending): the merge of the table scaled
/// by `1 − q` and the table shifted by the capacity and scaled by `q`, equal levels summed,
/// states below [`PROBABILITY_FLOOR`] dropped.
fn convolve(outage: &[i64], prob: &[f64], unit: &TwoStateUnit) -> (Vec<i64>, Vec<f64>) {
    let c = unit.grid_capacity();
    let q = unit.forced_outage_rate;
    let up = 1.0 - q;
    let n = outage.len();
    let mut out_o = Vec::with_capacity(2 * n);
    let mut out_p = Vec::with_capacity(2 * n);
    let mut push = |o: i64, p: f64| {
        if out_o.last() == Some(&o) {
            *out_p.last_mut().expect("aligned with out_o") += p;
        } else if p >= PROBABILITY_FLOOR {
            out_o.push(o);
            out_p.push(p);
        }
    };
    let (mut i, mut j) = (0, 0); // i: unit up (no shift), j: unit out (shifted by c)
    while i < n || j < n {
        let take_up = j == n || (i < n && outage[i] <= outage[j] + c);
        if take_up {
            push(outage[i], prob[i] * up);
            i += 1;
        } else {
            push(outage[j] + c, prob[j] * q);
            j += 1;
        }
    }
    if out_o.is_empty() {
        // Cannot happen for valid units (probabilities sum to 1), kept as a guard.
        out_o.push(0);
        out_p.push(1.0);
    }
    (out_o, out_p)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Probabilities and MW values built by a few multiplications and additions.
    const PROB_TOL: f64 = 1e-14;
    /// Expected unserved power, MW.
    const MW_TOL: f64 = 1e-12;

    fn unit(c: f64, q: f64) -> TwoStateUnit {
        TwoStateUnit::new(c, q).unwrap()
    }

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn one_unit() {
        let copt = Copt::new(&[unit(50.0, 0.2)]).unwrap();
        let s: Vec<_> = copt.states().collect();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].0, 0.0);
        assert_eq!(s[1].0, 50.0);
        assert!(close(s[0].1, 0.2, PROB_TOL) && close(s[1].1, 0.8, PROB_TOL));
        assert_eq!(copt.installed_mw(), 50.0);
        assert!(close(copt.lolp(0.0), 0.0, PROB_TOL));
        assert!(close(copt.lolp(30.0), 0.2, PROB_TOL));
        assert!(close(copt.lolp(50.0), 0.2, PROB_TOL)); // tie: served
        assert!(close(copt.lolp(50.5), 1.0, PROB_TOL));
        assert!(close(copt.expected_unserved_mw(30.0), 6.0, MW_TOL));
        // Above the installed capacity: 0.2·70 + 0.8·20.
        assert!(close(copt.expected_unserved_mw(70.0), 30.0, MW_TOL));
        assert!(close(copt.expected_unserved_mw(-5.0), 0.0, MW_TOL));
    }

    #[test]
    fn two_units_of_different_sizes() {
        let copt = Copt::new(&[unit(100.0, 0.1), unit(60.0, 0.05)]).unwrap();
        let expect = [
            (0.0, 0.1 * 0.05),
            (60.0, 0.1 * 0.95),
            (100.0, 0.9 * 0.05),
            (160.0, 0.9 * 0.95),
        ];
        let s: Vec<_> = copt.states().collect();
        assert_eq!(s.len(), expect.len());
        for ((a, p), (ea, ep)) in s.iter().zip(expect) {
            assert_eq!(*a, ea);
            assert!(close(*p, ep, PROB_TOL));
        }
        let load = 120.0;
        let eue: f64 = expect.iter().map(|(a, p)| p * (load - a).max(0.0)).sum();
        assert!(close(copt.expected_unserved_mw(load), eue, MW_TOL));
        assert!(close(copt.lolp(load), 0.005 + 0.095 + 0.045, PROB_TOL));
    }

    #[test]
    fn identical_units_follow_the_binomial_law() {
        let (n, c, q) = (12_u32, 25.0, 0.07);
        let copt = Copt::new(&vec![unit(c, q); n as usize]).unwrap();
        assert_eq!(copt.len(), n as usize + 1);
        let mut binom = 1.0; // C(n, k)
        for k in 0..=n {
            if k > 0 {
                binom = binom * f64::from(n - k + 1) / f64::from(k);
            }
            let p = binom * q.powi(k as i32) * (1.0 - q).powi((n - k) as i32);
            // k units out: available (n − k)·c, which is state n − k in ascending order.
            let (a, pk) = copt.states().nth((n - k) as usize).unwrap();
            assert_eq!(a, f64::from(n - k) * c);
            assert!(close(pk, p, PROB_TOL), "k = {k}: {pk} vs {p}");
        }
        let total: f64 = copt.states().map(|(_, p)| p).sum();
        assert!(close(total, 1.0, PROB_TOL));
    }

    #[test]
    fn a_zero_for_unit_shifts_the_table() {
        let base = Copt::new(&[unit(100.0, 0.1), unit(40.0, 0.2)]).unwrap();
        let firm = Copt::new(&[unit(100.0, 0.1), unit(30.0, 0.0), unit(40.0, 0.2)]).unwrap();
        assert_eq!(firm.len(), base.len());
        for ((a, p), (b, r)) in base.states().zip(firm.states()) {
            assert_eq!(a + 30.0, b);
            assert!(close(p, r, PROB_TOL));
        }
        for load in [10.0, 50.0, 100.0, 139.0, 140.0, 141.0, 200.0] {
            assert!(close(base.lolp(load), firm.lolp(load + 30.0), PROB_TOL));
            assert!(close(
                base.expected_unserved_mw(load),
                firm.expected_unserved_mw(load + 30.0),
                MW_TOL
            ));
        }
        // A fully unavailable unit adds installed capacity but never any available capacity.
        let dead = base.with_unit(unit(75.0, 1.0));
        assert_eq!(dead.installed_mw(), 215.0);
        for ((a, p), (b, r)) in base.states().zip(dead.states()) {
            assert_eq!(a, b);
            assert!(close(p, r, PROB_TOL));
        }
    }

    #[test]
    fn exact_ties_are_not_loss_of_load() {
        let copt = Copt::new(&[unit(12.0, 0.02), unit(20.0, 0.1), unit(50.0, 0.01)]).unwrap();
        let levels: Vec<f64> = copt.states().map(|(a, _)| a).collect();
        for (i, &a) in levels.iter().enumerate() {
            // At a level exactly: only the states strictly below count.
            let below: f64 = copt.states().take(i).map(|(_, p)| p).sum();
            assert!(close(copt.lolp(a), below, PROB_TOL));
            let eue: f64 = copt.states().map(|(x, p)| p * (a - x).max(0.0)).sum();
            assert!(close(copt.expected_unserved_mw(a), eue, MW_TOL));
            // A hair above: this level counts too.
            let above = below + copt.states().nth(i).unwrap().1;
            assert!(close(copt.lolp(a + 1e-7), above, PROB_TOL));
        }
        // Real capacities on the 1e-9 MW grid: 0.1 + 0.2 and 0.3 are the same level.
        let c = Copt::new(&[unit(0.1, 0.5), unit(0.2, 0.5), unit(0.3, 0.5)]).unwrap();
        assert_eq!(c.len(), 7); // outages 0, 0.1, 0.2, 0.3 (twice, merged), 0.4, 0.5, 0.6
        let p03: f64 = c
            .states()
            .filter(|(a, _)| (a - 0.3).abs() < 1e-12)
            .map(|(_, p)| p)
            .sum();
        assert!(close(p03, 0.25, PROB_TOL));
    }

    #[test]
    fn with_unit_equals_new_with_the_extra_unit() {
        let units = [unit(12.0, 0.02), unit(76.0, 0.02), unit(197.0, 0.05)];
        let extra = unit(155.0, 0.04);
        let a = Copt::new(&units).unwrap().with_unit(extra);
        let mut all = units.to_vec();
        all.push(extra);
        let b = Copt::new(&all).unwrap();
        assert_eq!(a.len(), b.len());
        assert_eq!(a.installed_mw(), b.installed_mw());
        for ((x, p), (y, r)) in a.states().zip(b.states()) {
            assert_eq!(x, y);
            assert!(close(p, r, PROB_TOL));
        }
        let loads = [100.0, 200.5, 300.0, 440.0, 500.0];
        let (ia, ib) = (a.indices(&loads, 0.5), b.indices(&loads, 0.5));
        assert!(close(ia.lole_hours, ib.lole_hours, PROB_TOL));
        assert!(close(ia.eue_mwh, ib.eue_mwh, MW_TOL));
        assert!(close(ia.hours, 2.5, MW_TOL));
        assert!(close(ia.load_energy_mwh, 770.25, MW_TOL));
        assert!(close(ia.eue_ppm, ia.eue_mwh / 770.25 * 1e6, 1e-6));
    }

    #[test]
    fn empty_system_loses_every_positive_load() {
        let c = Copt::new(&[]).unwrap();
        assert_eq!(c.len(), 1);
        assert!(close(c.lolp(0.0), 0.0, PROB_TOL));
        assert!(close(c.lolp(1.0), 1.0, PROB_TOL));
        assert!(close(c.expected_unserved_mw(7.0), 7.0, MW_TOL));
        let idx = c.indices(&[], 1.0);
        assert_eq!(idx.eue_ppm, 0.0);
    }

    #[test]
    fn bad_units_are_errors_naming_the_unit() {
        let ok = unit(10.0, 0.1);
        let bad_for = TwoStateUnit {
            capacity_mw: 10.0,
            forced_outage_rate: 1.5,
        };
        match Copt::new(&[ok, ok, ok, bad_for]) {
            Err(ConfigError::OutOfRange { field, value, .. }) => {
                assert_eq!(field, "units[3].forced_outage_rate");
                assert_eq!(value, 1.5);
            }
            other => panic!("expected OutOfRange, got {other:?}"),
        }
        let negative = TwoStateUnit {
            capacity_mw: -1.0,
            forced_outage_rate: 0.1,
        };
        assert!(matches!(
            Copt::new(&[negative]),
            Err(ConfigError::OutOfRange { field, .. }) if field == "units[0].capacity_mw"
        ));
        let nan = TwoStateUnit {
            capacity_mw: 10.0,
            forced_outage_rate: f64::NAN,
        };
        assert!(matches!(
            Copt::new(&[ok, nan]),
            Err(ConfigError::OutOfRange { field, .. }) if field == "units[1].forced_outage_rate"
        ));
        assert!(TwoStateUnit::new(f64::NAN, 0.1).is_err());
        assert!(TwoStateUnit::new(f64::INFINITY, 0.1).is_err());
        assert!(TwoStateUnit::new(10.0, -0.1).is_err());
        assert!(matches!(
            TwoStateUnit::from_mttf_mttr(10.0, -1.0, 5.0),
            Err(ConfigError::OutOfRange { field, .. }) if field == "mttf_h"
        ));
        assert!(matches!(
            TwoStateUnit::from_mttf_mttr(10.0, 0.0, 0.0),
            Err(ConfigError::Inconsistent { .. })
        ));
        let u = TwoStateUnit::from_mttf_mttr(12.0, 2940.0, 60.0).unwrap();
        assert!(close(u.forced_outage_rate, 0.02, PROB_TOL));
    }

    #[test]
    #[should_panic(expected = "unit.forced_outage_rate")]
    fn with_unit_panics_on_an_invalid_unit() {
        let _ = Copt::new(&[]).unwrap().with_unit(TwoStateUnit {
            capacity_mw: 1.0,
            forced_outage_rate: 2.0,
        });
    }
}
