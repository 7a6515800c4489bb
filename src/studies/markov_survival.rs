//! Exact outage survival of a generator fleet and a battery by a Markov chain, the analytic
//! method of REopt's resilience tool (NREL REopt), as a cross-check of sampled survival curves.
//!
//! The chain's state is (number of generator sets running `g` ∈ 0..=n, battery energy in one of
//! `bins + 1` levels `k·E/bins`), plus an absorbing "load lost" state whose mass is dropped. The
//! distribution over the live states is an `(n + 1) × (bins + 1)` matrix `X`, and step `t` of the
//! outage (length Δt, load `L_t`) is:
//!
//! 1. **generators**: at `t = 0`, every set is demanded and `g ~ Binomial(n, 1 − p_start)` start
//!    (`p_start` is the probability a demand fails, all retries included); at `t ≥ 1`, each
//!    running set fails during the step with `p_run = 1 − exp(−λ·Δt)` (λ per running hour), so
//!    `X ← F·X` with the lower-triangular transition matrix `F[g', g] = C(g, g−g')·p_run^(g−g')·
//!    (1−p_run)^g'` (failed sets are not repaired during the outage, as in REopt);
//! 2. **battery**: with `g` sets the generators deliver `clamp(L_t, g·m·P, g·P)` (minimum loading
//!    `m`, rating `P`). A deficit `D` above the discharge limit loses the load; otherwise it drains
//!    `D·Δt/η_d`, and a surplus `S` charges `min(S, P_ch)·Δt·η_c` up to the capacity. A level that
//!    would fall below 0 loses the load. Energies are **rounded down** to a level, so the shift of
//!    every level in row `g` is the same whole number of levels (down by `⌈drain / bin⌉`, up by
//!    `⌊charge / bin⌋`) and the result is a lower bound on the continuous survival that converges
//!    to it as the bins are refined;
//! 3. the probability of surviving `t + 1` steps is the mass left, `Σ X`.
//!
//! No sampling is involved: the result is exact for the binned chain. Fuel is not a state (the
//! cross-check assumes enough fuel for the outages it sweeps).
//!
//! ```
//! use ridethrough::studies::markov_survival::{MarkovSurvival, MarkovSurvivalParams};
//! use ridethrough::units::{Duration, Energy, Fraction, Power};
//! let params = MarkovSurvivalParams {
//!     generators: 2,
//!     rating: Power::mw(1.0),
//!     fail_to_start: Fraction::ratio(0.1),
//!     failures_per_running_hour: -(0.8f64.ln()), // 20 % per hourly step
//!     min_loading: Fraction::ZERO,
//!     energy: Energy::mwh(1.0),
//!     initial_energy: Energy::mwh(1.0),
//!     charge_power: Power::mw(10.0),
//!     discharge_power: Power::mw(10.0),
//!     charge_efficiency: Fraction::ONE,
//!     discharge_efficiency: Fraction::ONE,
//!     step: Duration::from_hours(1),
//!     bins: 2,
//! };
//! let chain = MarkovSurvival::new(&params)?;
//! let survival = chain.survival(&[Power::mw(1.5); 3])?;
//! assert!((survival[2] - 0.705024).abs() < 1e-12);
//! # Ok::<(), ridethrough::ConfigError>(())
//! ```

use crate::components::limits::{check_power, MAX_ENERGY_MWH, MIN_ONE_WAY_EFFICIENCY};
use crate::error::{check_fraction, check_range, out_of_range, ConfigError};
use crate::time::MAX_DURATION;
use crate::units::{Duration, Energy, Fraction, Power};
use nalgebra::DMatrix;

/// The most generator sets of the analytic method: the transition matrix is `(n + 1)²`.
pub const MAX_MARKOV_GENERATORS: u32 = 1_000;

/// The most live states `(n + 1)·(bins + 1)`: 10⁷ (80 MB of `f64`).
pub const MAX_MARKOV_STATES: u64 = 10_000_000;

/// The highest running failure rate accepted, per running hour (as the generator fleet's).
pub const MAX_FAILURE_RATE: f64 = crate::components::generators::MAX_FAILURES_PER_RUNNING_HOUR;

/// The inputs of the chain (see the module docs for their role).
#[derive(Debug, Clone, PartialEq)]
pub struct MarkovSurvivalParams {
    /// Generator sets demanded at the outage's start (at most [`MAX_MARKOV_GENERATORS`]).
    pub generators: u32,
    /// One set's rating.
    pub rating: Power,
    /// Probability that a start demand fails (all retries included).
    pub fail_to_start: Fraction,
    /// Failures per running hour of one set, in `[0, 36,000]`.
    pub failures_per_running_hour: f64,
    /// Minimum output of a running set, fraction of its rating.
    pub min_loading: Fraction,
    /// Battery capacity (usable energy, > 0).
    pub energy: Energy,
    /// Battery energy at the outage's start (`0 ≤ x ≤ energy`).
    pub initial_energy: Energy,
    /// Battery charge power limit.
    pub charge_power: Power,
    /// Battery discharge power limit.
    pub discharge_power: Power,
    /// One-way charge efficiency, in `[0.1, 1]`.
    pub charge_efficiency: Fraction,
    /// One-way discharge efficiency, in `[0.1, 1]`.
    pub discharge_efficiency: Fraction,
    /// The step Δt (> 0).
    pub step: Duration,
    /// Number of energy bins (levels `0..=bins`; at least 1).
    pub bins: u32,
}

impl MarkovSurvivalParams {
    /// The generator figures of a validated [`GeneratorFleet`](crate::components::generators::GeneratorFleet):
    /// its count, rating, minimum loading and running failure rate, and the probability that a
    /// demand fails every attempt, `fail_to_start^(1 + start_retries)` (the retries are taken to
    /// end within the first step). The battery fields are left for the caller.
    pub fn with_fleet(
        mut self,
        fleet: &crate::components::generators::GeneratorFleet,
    ) -> MarkovSurvivalParams {
        let spec = fleet.spec();
        self.generators = fleet.count();
        self.rating = spec.rating;
        self.fail_to_start = Fraction::ratio(
            spec.fail_to_start
                .value()
                .powi(spec.start_retries as i32 + 1),
        );
        self.failures_per_running_hour = spec.failures_per_running_hour;
        self.min_loading = spec.min_loading;
        self
    }
}

/// The validated chain.
#[derive(Debug, Clone, PartialEq)]
pub struct MarkovSurvival {
    n: usize,
    levels: usize,
    bin_mwh: f64,
    k0: usize,
    rating: f64,
    min_loading: f64,
    charge_mw: f64,
    discharge_mw: f64,
    eta_c: f64,
    eta_d: f64,
    step_h: f64,
    /// `Binomial(n, 1 − p_start)` over `g`.
    start: Vec<f64>,
    /// The per-step running-failure transition matrix `F[g', g]`.
    transition: DMatrix<f64>,
}

/// `C(n, k)·p^k·(1−p)^(n−k)`, exact at `p ∈ {0, 1}`.
fn binomial_pmf(n: usize, k: usize, p: f64) -> f64 {
    if p <= 0.0 {
        return f64::from(u8::from(k == 0));
    }
    if p >= 1.0 {
        return f64::from(u8::from(k == n));
    }
    let ln_c = libm::lgamma(n as f64 + 1.0)
        - libm::lgamma(k as f64 + 1.0)
        - libm::lgamma((n - k) as f64 + 1.0);
    (ln_c + k as f64 * p.ln() + (n - k) as f64 * (-p).ln_1p()).exp()
}

impl MarkovSurvival {
    /// Validates the inputs and builds the start distribution and the transition matrix.
    ///
    /// # Errors
    /// [`ConfigError::OutOfRange`] naming the field (`markov.generators`, `markov.bins`, …) for a
    /// value outside its documented range, or too many states.
    pub fn new(p: &MarkovSurvivalParams) -> Result<MarkovSurvival, ConfigError> {
        let f = |name: &str| format!("markov.{name}");
        if p.generators > MAX_MARKOV_GENERATORS {
            return Err(out_of_range(
                f("generators"),
                f64::from(p.generators),
                "0 ≤ x ≤ 1000",
            ));
        }
        if p.bins == 0 {
            return Err(out_of_range(
                f("bins"),
                0.0,
                "1 ≤ x, (generators + 1)·(bins + 1) ≤ 1e7",
            ));
        }
        let states = (u64::from(p.generators) + 1) * (u64::from(p.bins) + 1);
        if states > MAX_MARKOV_STATES {
            return Err(out_of_range(
                f("bins"),
                f64::from(p.bins),
                "1 ≤ x, (generators + 1)·(bins + 1) ≤ 1e7",
            ));
        }
        let rating = check_power(f("rating"), p.rating.value())?;
        let p_start = check_fraction(f("fail_to_start"), p.fail_to_start.value())?;
        let rate = check_range(
            f("failures_per_running_hour"),
            p.failures_per_running_hour,
            0.0,
            MAX_FAILURE_RATE,
            "0 ≤ x ≤ 36,000 per running hour",
        )?;
        let min_loading = check_fraction(f("min_loading"), p.min_loading.value())?;
        let energy = check_range(
            f("energy"),
            p.energy.value(),
            f64::MIN_POSITIVE,
            MAX_ENERGY_MWH,
            "0 < x ≤ 8.76e11 MWh",
        )?;
        let initial = check_range(
            f("initial_energy"),
            p.initial_energy.value(),
            0.0,
            energy,
            "0 ≤ x ≤ energy",
        )?;
        let charge_mw = check_power(f("charge_power"), p.charge_power.value())?;
        let discharge_mw = check_power(f("discharge_power"), p.discharge_power.value())?;
        let eff = |name: &str, v: f64| {
            check_range(f(name), v, MIN_ONE_WAY_EFFICIENCY, 1.0, "0.1 ≤ x ≤ 1")
        };
        let eta_c = eff("charge_efficiency", p.charge_efficiency.value())?;
        let eta_d = eff("discharge_efficiency", p.discharge_efficiency.value())?;
        if p.step.is_zero() || p.step > MAX_DURATION {
            return Err(out_of_range(
                f("step"),
                p.step.hours().value(),
                "0 < x ≤ 1000 years (value in hours)",
            ));
        }
        let step_h = p.step.hours().value();
        let n = p.generators as usize;
        let levels = p.bins as usize + 1;
        let bin_mwh = energy / f64::from(p.bins);
        // The initial level, rounded down (as every energy of the chain).
        let k0 = ((initial / bin_mwh).floor() as usize).min(levels - 1);
        let start = (0..=n).map(|g| binomial_pmf(n, g, 1.0 - p_start)).collect();
        let p_run = -(-rate * step_h).exp_m1();
        let transition = DMatrix::from_fn(n + 1, n + 1, |to, from| {
            if to <= from {
                binomial_pmf(from, from - to, p_run)
            } else {
                0.0
            }
        });
        Ok(MarkovSurvival {
            n,
            levels,
            bin_mwh,
            k0,
            rating,
            min_loading,
            charge_mw,
            discharge_mw,
            eta_c,
            eta_d,
            step_h,
            start,
            transition,
        })
    }

    /// The probability of surviving `1, 2, …, load.len()` steps of an outage that begins with
    /// `load[0]` (`result[d − 1]` for `d` steps). To sweep outage starts over a year, pass the
    /// load from each start (wrapping, as REopt does).
    ///
    /// # Errors
    /// [`ConfigError::OutOfRange`] naming `markov.load[i]` for a negative or non-finite load.
    pub fn survival(&self, load: &[Power]) -> Result<Vec<f64>, ConfigError> {
        for (i, l) in load.iter().enumerate() {
            check_power(format!("markov.load[{i}]"), l.value())?;
        }
        let mut x = DMatrix::<f64>::zeros(self.n + 1, self.levels);
        let mut out = Vec::with_capacity(load.len());
        for (t, l) in load.iter().enumerate() {
            if t == 0 {
                for (g, &p) in self.start.iter().enumerate() {
                    x[(g, self.k0)] = p;
                }
            } else {
                x = &self.transition * &x;
            }
            for g in 0..=self.n {
                self.settle_row(&mut x, g, l.value());
            }
            out.push(x.sum());
        }
        Ok(out)
    }

    /// Stage 2 for the row of `g` running sets at load `load_mw`: shift every level by the same
    /// whole number of levels, dropping the mass that loses the load.
    fn settle_row(&self, x: &mut DMatrix<f64>, g: usize, load_mw: f64) {
        let cap = g as f64 * self.rating;
        let generation = load_mw.clamp(cap * self.min_loading, cap);
        let deficit = load_mw - generation;
        let top = self.levels - 1;
        if deficit > 0.0 {
            if deficit > self.discharge_mw {
                x.row_mut(g).fill(0.0);
                return;
            }
            let drain = deficit * self.step_h / self.eta_d;
            let down = (drain / self.bin_mwh).ceil();
            if down > top as f64 {
                x.row_mut(g).fill(0.0);
                return;
            }
            let down = down as usize;
            if down == 0 {
                return;
            }
            for k in 0..self.levels {
                x[(g, k)] = if k + down <= top {
                    x[(g, k + down)]
                } else {
                    0.0
                };
            }
        } else {
            let surplus = -deficit;
            let charge = surplus.min(self.charge_mw) * self.step_h * self.eta_c;
            let up = ((charge / self.bin_mwh).floor()).min(top as f64) as usize;
            if up == 0 {
                return;
            }
            for k in (0..self.levels).rev() {
                let moved = if k >= up { x[(g, k - up)] } else { 0.0 };
                if k == top {
                    // Everything that reaches the top stays there (the battery is full).
                    let from = top.saturating_sub(up);
                    x[(g, top)] = (from..=top).map(|j| x[(g, j)]).sum();
                } else {
                    x[(g, k)] = moved;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tolerance on probabilities computed by a few dozen products and sums.
    const PROB_TOL: f64 = 1e-12;

    fn two_sets() -> MarkovSurvivalParams {
        MarkovSurvivalParams {
            generators: 2,
            rating: Power::mw(1.0),
            fail_to_start: Fraction::ratio(0.1),
            failures_per_running_hour: -(0.8f64.ln()),
            min_loading: Fraction::ZERO,
            energy: Energy::mwh(1.0),
            initial_energy: Energy::mwh(1.0),
            charge_power: Power::mw(10.0),
            discharge_power: Power::mw(10.0),
            charge_efficiency: Fraction::ONE,
            discharge_efficiency: Fraction::ONE,
            step: Duration::from_hours(1),
            bins: 2,
        }
    }

    /// Two 1 MW sets, fail-to-start 0.1, 20 % running failures per hourly step, a 1 MWh battery
    /// (full, lossless, in bins of 0.5 MWh), a 1.5 MW load for three steps.
    ///
    /// With 2 sets the load is carried; with 1 set the battery gives 0.5 MWh a step (one bin);
    /// with 0 sets the 1.5 MWh needed is more than it holds. So the site survives `d` steps when
    /// no step has 0 sets and at most two steps have 1 set:
    /// * 1 step: P(g₀ ≥ 1) = 0.81 + 0.18 = 0.99;
    /// * 2 steps: (2,2) 0.81·0.64 = 0.5184, (2,1) 0.81·0.32 = 0.2592, (1,1) 0.18·0.8 = 0.144:
    ///   0.9216;
    /// * 3 steps: (2,2,2) 0.81·0.64·0.64 = 0.331776, (2,2,1) 0.81·0.64·0.32 = 0.165888,
    ///   (2,1,1) 0.81·0.32·0.8 = 0.20736; (1,1,1) needs 1.5 MWh: 0.705024.
    #[test]
    fn two_sets_three_steps_by_hand() {
        let chain = MarkovSurvival::new(&two_sets()).unwrap();
        let s = chain.survival(&[Power::mw(1.5); 3]).unwrap();
        for (got, want) in s.iter().zip([0.99, 0.9216, 0.705024]) {
            assert!((got - want).abs() <= PROB_TOL, "{s:?}");
        }
    }

    /// The continuous survival by enumerating every generator path (no bins).
    fn enumerate(p: &MarkovSurvivalParams, load: &[Power]) -> Vec<f64> {
        let n = p.generators as usize;
        let step_h = p.step.hours().value();
        let p_run = -(-p.failures_per_running_hour * step_h).exp_m1();
        let mut out = vec![0.0; load.len()];
        fn walk(
            p: &MarkovSurvivalParams,
            load: &[Power],
            t: usize,
            g: usize,
            e: f64,
            prob: f64,
            p_run: f64,
            out: &mut [f64],
        ) {
            let (cap, l) = (g as f64 * p.rating.value(), load[t].value());
            let gen = l.clamp(cap * p.min_loading.value(), cap);
            let deficit = l - gen;
            let e = if deficit > 0.0 {
                if deficit > p.discharge_power.value() {
                    return;
                }
                let e = e - deficit * p.step.hours().value() / p.discharge_efficiency.value();
                if e < 0.0 {
                    return;
                }
                e
            } else {
                let c = (-deficit).min(p.charge_power.value())
                    * p.step.hours().value()
                    * p.charge_efficiency.value();
                (e + c).min(p.energy.value())
            };
            out[t] += prob;
            if t + 1 < load.len() {
                for to in 0..=g {
                    let q = binomial_pmf(g, g - to, p_run);
                    if q > 0.0 {
                        walk(p, load, t + 1, to, e, prob * q, p_run, out);
                    }
                }
            }
        }
        for g in 0..=n {
            let q = binomial_pmf(n, g, 1.0 - p.fail_to_start.value());
            walk(p, load, 0, g, p.initial_energy.value(), q, p_run, &mut out);
        }
        out
    }

    #[test]
    fn refined_bins_converge_to_the_continuous_survival() {
        // Uneven figures so that no energy lands on a bin edge: 3 sets of 0.8 MW, a 2.3 MWh
        // battery at 70 %, 95 % efficiency, a varying load, 15-minute steps, 12 steps.
        let p = MarkovSurvivalParams {
            generators: 3,
            rating: Power::mw(0.8),
            fail_to_start: Fraction::ratio(0.07),
            failures_per_running_hour: 0.3,
            min_loading: Fraction::ratio(0.3),
            energy: Energy::mwh(2.3),
            initial_energy: Energy::mwh(1.61),
            charge_power: Power::mw(1.0),
            discharge_power: Power::mw(2.0),
            charge_efficiency: Fraction::ratio(0.95),
            discharge_efficiency: Fraction::ratio(0.95),
            step: Duration::from_minutes(15),
            bins: 1,
        };
        let load: Vec<Power> = (0..12)
            .map(|t| Power::mw(1.7 + 0.9 * (1.3 * t as f64).sin().abs()))
            .collect();
        let exact = enumerate(&p, &load);
        let mut errors = Vec::new();
        for bins in [10, 100, 1_000, 10_000, 100_000] {
            let chain = MarkovSurvival::new(&MarkovSurvivalParams { bins, ..p.clone() }).unwrap();
            let s = chain.survival(&load).unwrap();
            // Rounding down never overstates survival.
            for (a, b) in s.iter().zip(&exact) {
                assert!(*a <= b + PROB_TOL, "bins {bins}: {a} > {b}");
            }
            let worst = s
                .iter()
                .zip(&exact)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f64::max);
            errors.push(worst);
        }
        // Measured worst errors over the 12 durations: 0.343 (10 bins), 0.0737 (100), then
        // 1e-16 (1,000 to 100,000: every path's margin is resolved; the survival is a finite
        // sum over generator paths, so the binned chain becomes exact once bins are finer than
        // the smallest margin).
        for w in errors.windows(2) {
            assert!(w[1] <= w[0] + PROB_TOL, "{errors:?}");
        }
        assert!(errors.last().unwrap().abs() < 1e-9, "{errors:?}");
        assert!(
            errors[0].abs() > 0.0,
            "coarse bins do lose something: {errors:?}"
        );
    }

    #[test]
    fn reliable_generators_carry_a_load_below_their_rating() {
        let p = MarkovSurvivalParams {
            generators: 4,
            rating: Power::mw(2.5),
            fail_to_start: Fraction::ZERO,
            failures_per_running_hour: 0.0,
            initial_energy: Energy::ZERO,
            bins: 50,
            ..two_sets()
        };
        let chain = MarkovSurvival::new(&p).unwrap();
        let load: Vec<Power> = (0..200)
            .map(|t| Power::mw(5.0 + 4.9 * ((t % 7) as f64 / 7.0)))
            .collect();
        for s in chain.survival(&load).unwrap() {
            assert!((s - 1.0).abs() <= PROB_TOL, "{s}");
        }
    }

    #[test]
    fn without_generators_it_is_the_battery_ride_through() {
        // 10 MWh, 95 % discharge efficiency, 3 MW: E·η/L = 3.1667 h, i.e. 12 whole 15-minute
        // steps (a 13th needs 13·0.75/0.95 = 10.26 MWh).
        let p = MarkovSurvivalParams {
            generators: 0,
            energy: Energy::mwh(10.0),
            initial_energy: Energy::mwh(10.0),
            discharge_efficiency: Fraction::ratio(0.95),
            step: Duration::from_minutes(15),
            bins: 1_000,
            ..two_sets()
        };
        let ride_through_h: f64 = 10.0 * 0.95 / 3.0;
        let steps = (ride_through_h / 0.25).floor() as usize;
        assert_eq!(steps, 12);
        let s = MarkovSurvival::new(&p)
            .unwrap()
            .survival(&[Power::mw(3.0); 20])
            .unwrap();
        for (i, v) in s.iter().enumerate() {
            let want = if i < steps { 1.0 } else { 0.0 };
            assert_eq!(*v, want, "step {}", i + 1);
        }
        // Coarse bins round each step's drain up to whole bins: with 10 bins of 1 MWh, each
        // step's 0.789 MWh costs a bin, so the battery lasts 10 steps instead of 12.
        let coarse = MarkovSurvival::new(&MarkovSurvivalParams { bins: 10, ..p })
            .unwrap()
            .survival(&[Power::mw(3.0); 20])
            .unwrap();
        let survived = coarse.iter().filter(|&&v| v == 1.0).count();
        assert_eq!(survived, 10);
    }

    #[test]
    fn charging_from_a_surplus_is_capped_at_the_capacity() {
        // Two sets at 80 % minimum loading and a 0.5 MW load: 1.1 MW surplus, charge limited to
        // 1 MW, i.e. 1 MWh in an hour, on an empty 1 MWh battery: full after one step, and a
        // later one-set step (20 % failures) can draw on it.
        let p = MarkovSurvivalParams {
            min_loading: Fraction::ratio(0.8),
            charge_power: Power::mw(1.0),
            initial_energy: Energy::ZERO,
            fail_to_start: Fraction::ZERO,
            failures_per_running_hour: 0.0,
            bins: 4,
            ..two_sets()
        };
        let chain = MarkovSurvival::new(&p).unwrap();
        let s = chain
            .survival(&[Power::mw(0.5), Power::mw(0.5), Power::mw(2.5)])
            .unwrap();
        // Step 3: 2.5 MW on 2 MW of sets, 0.5 MWh from a full battery.
        assert_eq!(s, vec![1.0, 1.0, 1.0]);
        let s = chain.survival(&[Power::mw(0.5), Power::mw(3.0)]).unwrap();
        assert_eq!(s, vec![1.0, 1.0]);
        let s = chain.survival(&[Power::mw(0.5), Power::mw(3.1)]).unwrap();
        assert_eq!(s, vec![1.0, 0.0], "1.1 MWh needed, 1 MWh stored");
    }

    #[test]
    fn validation_names_the_field() {
        type Edit = fn(&mut MarkovSurvivalParams);
        let cases: [(&str, Edit); 8] = [
            ("markov.generators", |p| p.generators = 1_001),
            ("markov.bins", |p| p.bins = 0),
            ("markov.bins", |p| p.bins = 10_000_000),
            ("markov.rating", |p| p.rating = Power::mw(-1.0)),
            ("markov.fail_to_start", |p| {
                p.fail_to_start = Fraction::ratio(2.0)
            }),
            ("markov.initial_energy", |p| {
                p.initial_energy = Energy::mwh(2.0)
            }),
            ("markov.discharge_efficiency", |p| {
                p.discharge_efficiency = Fraction::ratio(0.05)
            }),
            ("markov.step", |p| p.step = Duration::ZERO),
        ];
        for (field, edit) in cases {
            let mut p = two_sets();
            edit(&mut p);
            match MarkovSurvival::new(&p) {
                Err(ConfigError::OutOfRange { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{field}: {other:?}"),
            }
        }
        let chain = MarkovSurvival::new(&two_sets()).unwrap();
        match chain.survival(&[Power::mw(1.0), Power::mw(f64::NAN)]) {
            Err(ConfigError::OutOfRange { field, .. }) => assert_eq!(field, "markov.load[1]"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_fleet_gives_its_generator_figures() {
        use crate::components::generators::{GeneratorParams, GeneratorPreset};
        let fleet = GeneratorParams {
            start_retries: Some(1),
            ..GeneratorParams::preset(GeneratorPreset::ReoptDefault, 3)
        }
        .validate()
        .unwrap();
        let p = two_sets().with_fleet(&fleet);
        assert_eq!(p.generators, 3);
        assert_eq!(p.rating, Power::mw(2.5));
        assert!((p.fail_to_start.value() - 0.0094 * 0.0094).abs() < PROB_TOL);
        assert!((p.failures_per_running_hour - 1.0 / 1_100.0).abs() < PROB_TOL);
    }
}
