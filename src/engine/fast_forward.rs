//! Fast-forward: the engine jumps over quiet stretches instead of stepping them.
//!
//! A stretch from step `k` is **quiet** when nothing can change in it but the load: the grid
//! offers the same import until a change that lies past it ([`GridModel::quiet_until`]), no
//! battery unit fails or returns in it ([`Fleet::units_rest_until_ms`]), the battery does not
//! self-discharge, no event is open, and the policy declares itself idle up to a demand `d`
//! ([`Dispatch::idle_below`]). Every step of it then imports exactly its demand, moves no
//! energy and opens no event, so the engine ends the stretch at the first step whose demand
//! exceeds `d` and adds its totals at once: the sum of the facility load over the stretch from
//! prefix sums of a per-step table ([`StepTable`]), found in O(log n) through block maxima.
//!
//! A fleet with ageing (`[battery.ageing]`) or a temperature-driven auxiliary draw
//! (`[battery.thermal]`) fast-forwards too: the battery ages over the stretch as one segment
//! (the calendar law's temperature factor integrated from hourly prefix sums of the ambient,
//! [`HourlyTable`](crate::components::ambient::HourlyTable), at the resting SoC; the stored
//! energy above the shrinking window's ceiling removed as a degradation loss), the draw is
//! summed from its own prefix sums, the stretch ends with a year of life (whose mark and
//! augmentation then apply), and a step whose demand only the draw's largest hour would put
//! over the policy's idle level is stepped. A part-load efficiency curve changes nothing at
//! rest. An enclosure model (`[battery.thermal.enclosure]`) stops it: the enclosure's
//! temperature and its HVAC draw relax while the battery rests, so such runs step every step.
//!
//! The equivalence with stepping is exact for everything but the order of floating-point sums
//! (tested as a property over random sites, policies and seeds: identical events and counts,
//! energies to 1e-9 relative). With ageing it holds to 1e-6 relative (tested as a property
//! with ageing, the Austin ambient and the efficiency curve, and over the bundled 20-year life
//! with its augmentation plan): a rest is aged at its resting SoC, where stepping follows the
//! SoC's creep as the capacity fades under a battery below its ceiling, and the tally takes
//! the SoC's course over the stretch as linear.
//!
//! [`GridModel::quiet_until`]: crate::components::grid::GridModel::quiet_until
//! [`Fleet::units_rest_until_ms`]: crate::components::battery::Fleet::units_rest_until_ms
//! [`Dispatch::idle_below`]: crate::engine::policy::Dispatch::idle_below

use crate::components::load::LoadModel;
use std::sync::OnceLock;

/// The most steps a [`StepTable`] covers (4 Mi steps: 64 MiB of tables, eight years at
/// 1-minute steps, 480 years hourly). Longer runs step every step.
pub const MAX_TABLE_STEPS: u64 = 1 << 22;

/// Steps per block of the first level of maxima.
const BLOCK: usize = 64;
/// Steps per block of the second level (`BLOCK²`).
const SUPER: usize = BLOCK * BLOCK;

/// The facility load of every step of a horizon, with its prefix sums and block maxima: the
/// load's value at step `k` in one read (no remainder per step), the sum over any range in
/// O(1), and the first step of a range whose load exceeds a bound in O(n / 4096 + 128).
#[derive(Debug, Clone)]
pub struct StepTable {
    /// `facility_power(k)`, MW, exactly as [`LoadModel::facility_power`] gives it.
    facility: Vec<f64>,
    /// `prefix[k] = Σ facility[..k]`.
    prefix: Vec<f64>,
    /// Maximum over each block of [`BLOCK`] steps.
    max1: Vec<f64>,
    /// Maximum over each block of [`SUPER`] steps.
    max2: Vec<f64>,
    /// Maximum over all steps.
    max: f64,
    /// Block extrema of the load's step-to-step changes, built on first use (a run that keeps
    /// its grid ramps and fast-forwards; Monte Carlo samples never ask).
    changes: OnceLock<ChangeBlocks>,
    /// The battery's auxiliary draw of every step, MW, when it depends on the step alone
    /// ([`StepTable::with_aux`]).
    aux: Option<Vec<f64>>,
}

/// Block maxima and minima of `facility(j + 1) − facility(j)`, by blocks of [`BLOCK`] and
/// [`SUPER`] changes (change `j` is the one from step `j` to step `j + 1`).
#[derive(Debug, Clone)]
struct ChangeBlocks {
    max1: Vec<f64>,
    min1: Vec<f64>,
    max2: Vec<f64>,
    min2: Vec<f64>,
}

impl ChangeBlocks {
    fn new(facility: &[f64]) -> ChangeBlocks {
        let changes: Vec<f64> = facility.windows(2).map(|w| w[1] - w[0]).collect();
        let fold = |n: usize, init: f64, f: fn(f64, f64) -> f64| -> Vec<f64> {
            changes
                .chunks(n)
                .map(|c| c.iter().copied().fold(init, f))
                .collect()
        };
        ChangeBlocks {
            max1: fold(BLOCK, f64::NEG_INFINITY, f64::max),
            min1: fold(BLOCK, f64::INFINITY, f64::min),
            max2: fold(SUPER, f64::NEG_INFINITY, f64::max),
            min2: fold(SUPER, f64::INFINITY, f64::min),
        }
    }
}

impl StepTable {
    /// The table of `load` over `steps` steps, or `None` for more than [`MAX_TABLE_STEPS`].
    pub fn new(load: &LoadModel, steps: u64) -> Option<StepTable> {
        if steps > MAX_TABLE_STEPS {
            return None;
        }
        let facility: Vec<f64> = (0..steps).map(|k| load.facility_power(k).value()).collect();
        let mut prefix = Vec::with_capacity(facility.len() + 1);
        let mut sum = 0.0;
        prefix.push(sum);
        for &f in &facility {
            sum += f;
            prefix.push(sum);
        }
        let maxima = |xs: &[f64], n: usize| -> Vec<f64> {
            xs.chunks(n)
                .map(|c| c.iter().copied().fold(f64::NEG_INFINITY, f64::max))
                .collect()
        };
        let max1 = maxima(&facility, BLOCK);
        let max2 = maxima(&facility, SUPER);
        let max = max2.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        Some(StepTable {
            facility,
            prefix,
            max1,
            max2,
            max,
            changes: OnceLock::new(),
            aux: None,
        })
    }

    /// The table with the battery's auxiliary draw of every step (`aux[k]`, MW, one per step
    /// covered; see [`Fleet::aux_per_step`](crate::components::battery::Fleet::aux_per_step)):
    /// the demand stage then reads it in one load, where the draw that follows the ambient
    /// would take its hour's table lookup every step. `None` leaves the table without.
    pub fn with_aux(self, aux: Option<Vec<f64>>) -> StepTable {
        debug_assert!(aux
            .as_ref()
            .map_or(true, |a| a.len() == self.facility.len()));
        StepTable { aux, ..self }
    }

    /// The battery's auxiliary draw of step `k`, MW, if the table holds it.
    #[inline(always)]
    pub fn aux(&self, k: u64) -> Option<f64> {
        self.aux.as_ref().map(|a| a[k as usize])
    }

    /// The steps covered.
    #[inline]
    pub fn len(&self) -> u64 {
        self.facility.len() as u64
    }

    /// Whether the table covers no step.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.facility.is_empty()
    }

    /// The facility load of step `k`, MW (bit for bit [`LoadModel::facility_power`]).
    #[inline(always)]
    pub fn facility(&self, k: u64) -> f64 {
        self.facility[k as usize]
    }

    /// `Σ facility(j)` for `j` in `from..to`, MW·steps.
    #[inline]
    pub fn sum(&self, from: u64, to: u64) -> f64 {
        self.prefix[to as usize] - self.prefix[from as usize]
    }

    /// The block extrema of the load's changes, built on the first call (once per table,
    /// shared by every simulation of its site). [`Simulation::run`](crate::engine::Simulation::run)
    /// calls it before its first step when its jumps will read them, so the step loop does not
    /// allocate.
    #[inline]
    fn change_blocks(&self) -> &ChangeBlocks {
        self.changes
            .get_or_init(|| ChangeBlocks::new(&self.facility))
    }

    /// Builds the block extrema of the load's changes now if they are not yet (see
    /// [`StepTable::change_extrema`]), outside a run's step loop.
    #[inline]
    pub(crate) fn prepare_change_extrema(&self) {
        self.change_blocks();
    }

    /// Whether the block extrema of the load's changes are built.
    #[cfg(test)]
    pub(crate) fn has_change_extrema(&self) -> bool {
        self.changes.get().is_some()
    }

    /// The largest rise and the largest fall (most negative change) of the facility load
    /// between consecutive steps of `from..to`: the extrema of `facility(j + 1) − facility(j)`
    /// for `j` in `from..to − 1`, in O(n / 4096 + 128) (block extrema built on first use);
    /// `(−∞, +∞)` for fewer than two steps.
    pub fn change_extrema(&self, from: u64, to: u64) -> (f64, f64) {
        let blocks = self.change_blocks();
        let f = &self.facility;
        let (mut hi, mut lo) = (f64::NEG_INFINITY, f64::INFINITY);
        let (mut j, end) = (from as usize, (to as usize).saturating_sub(1));
        while j < end {
            if j % SUPER == 0 && j + SUPER <= end {
                hi = hi.max(blocks.max2[j / SUPER]);
                lo = lo.min(blocks.min2[j / SUPER]);
                j += SUPER;
            } else if j % BLOCK == 0 && j + BLOCK <= end {
                hi = hi.max(blocks.max1[j / BLOCK]);
                lo = lo.min(blocks.min1[j / BLOCK]);
                j += BLOCK;
            } else {
                let d = f[j + 1] - f[j];
                hi = hi.max(d);
                lo = lo.min(d);
                j += 1;
            }
        }
        (hi, lo)
    }

    /// How many changes between consecutive steps of `from..to` exceed `limit` in magnitude
    /// (a linear scan: for the rare stretch whose [`StepTable::change_extrema`] exceed it).
    pub fn changes_over(&self, from: u64, to: u64, limit: f64) -> u64 {
        let end = (to as usize).saturating_sub(1);
        let f = &self.facility;
        (from as usize..end)
            .filter(|&j| (f[j + 1] - f[j]).abs() > limit)
            .count() as u64
    }

    /// The first step `j` in `from..to` with `above(facility(j))`, or `to` if none; `above`
    /// must be monotone (if it holds for `x`, it holds for every `y ≥ x`), which lets whole
    /// blocks be passed on their maximum.
    #[inline]
    pub fn first_above(&self, from: u64, to: u64, above: impl Fn(f64) -> bool) -> u64 {
        if !above(self.max) {
            // The common case: no step of the horizon is above the bound.
            return to;
        }
        let (mut j, to) = (from as usize, to as usize);
        while j < to {
            if j % SUPER == 0 && j + SUPER <= to && !above(self.max2[j / SUPER]) {
                j += SUPER;
            } else if j % BLOCK == 0 && j + BLOCK <= to && !above(self.max1[j / BLOCK]) {
                j += BLOCK;
            } else if above(self.facility[j]) {
                return j as u64;
            } else {
                j += 1;
            }
        }
        to as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::components::load::{ItProfile, LoadParams, LoadTrace};
    use crate::time::TimeGrid;
    use crate::units::{Duration, Power};
    use proptest::prelude::*;

    fn swing_load(steps: u64) -> (LoadModel, u64) {
        let text = r#"
            pue = 1.25
            [[it]]
            kind = "training_swing"
            high_mw = 10.0
            low_mw = 4.0
            period = "7m"
            duty = 0.6
            ramp = "1m"
            checkpoint = { every = "70m", duration = "7m" }
            [[it]]
            kind = "daily"
            peak_mw = 3.0
            shape = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 0.9, 0.8,
                     0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0, 0.5, 0.5, 0.5, 0.5]
        "#;
        let params: LoadParams = toml::from_str(text).unwrap();
        assert!(matches!(params.it[0], ItProfile::TrainingSwing(_)));
        let grid = TimeGrid::new(Duration::from_minutes(1), Duration::from_minutes(steps)).unwrap();
        (LoadModel::new(&params, &grid).unwrap(), steps)
    }

    #[test]
    fn the_table_holds_the_load_bit_for_bit_and_its_sums() {
        let (load, steps) = swing_load(20_000);
        let t = StepTable::new(&load, steps).unwrap();
        assert_eq!(t.len(), steps);
        assert!(!t.is_empty());
        assert!(StepTable::new(&load, 0).unwrap().is_empty());
        let mut sum = 0.0;
        for k in 0..steps {
            assert_eq!(
                t.facility(k).to_bits(),
                load.facility_power(k).value().to_bits()
            );
            sum += t.facility(k);
        }
        assert!((t.sum(0, steps) - sum).abs() <= 1e-12 * sum);
        assert!(StepTable::new(&load, MAX_TABLE_STEPS + 1).is_none());
    }

    /// A trace of `steps` one-minute samples whose level changes every [`SUPER`] steps (the
    /// level of block `b` is `levels[b % levels.len()]`), with a small ripple inside each: unlike
    /// [`swing_load`], whose every block of [`SUPER`] steps holds the overall maximum, some
    /// blocks lie wholly below a bound that others exceed, so the search skips whole blocks.
    fn stepped_load(levels: &[f64], steps: u64) -> LoadModel {
        let values = (0..steps as usize)
            .map(|k| levels[(k / SUPER) % levels.len()] + 0.5 * ((k % 97) as f64 / 96.0))
            .map(Power::mw)
            .collect();
        let params = LoadParams::new(
            1.0,
            vec![ItProfile::Trace(LoadTrace::from_values(
                Duration::from_minutes(1),
                values,
            ))],
        );
        let grid = TimeGrid::new(Duration::from_minutes(1), Duration::from_minutes(steps)).unwrap();
        LoadModel::new(&params, &grid).unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// The block search finds what a linear scan finds on a load whose blocks of [`SUPER`]
        /// steps have different maxima, so that whole blocks are skipped on their maximum.
        #[test]
        fn first_above_skips_whole_blocks_as_a_linear_scan_would(
            levels in prop::collection::vec(0.0f64..10.0, 1..6),
            from in 0u64..20_000,
            len in 0u64..20_000,
            bound in 0.0f64..10.5,
        ) {
            let steps = 20_000;
            let t = StepTable::new(&stepped_load(&levels, steps), steps).unwrap();
            let to = (from + len).min(steps);
            let want = (from..to).find(|&k| t.facility(k) > bound).unwrap_or(to);
            prop_assert_eq!(t.first_above(from, to, |x| x > bound), want);
        }

        /// The block extrema of the load's changes are a linear scan's, and the count over a
        /// bound is the scan's count.
        #[test]
        fn change_extrema_are_a_linear_scan(from in 0u64..20_000, len in 0u64..20_000, bound in 0.0f64..3.0) {
            let (load, steps) = swing_load(20_000);
            let t = StepTable::new(&load, steps).unwrap();
            let to = (from + len).min(steps);
            let changes: Vec<f64> = (from..to.saturating_sub(1).max(from))
                .map(|j| t.facility(j + 1) - t.facility(j))
                .collect();
            let hi = changes.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let lo = changes.iter().copied().fold(f64::INFINITY, f64::min);
            let (h, l) = t.change_extrema(from, to);
            prop_assert_eq!(h.to_bits(), hi.to_bits());
            prop_assert_eq!(l.to_bits(), lo.to_bits());
            let over = changes.iter().filter(|d| d.abs() > bound).count() as u64;
            prop_assert_eq!(t.changes_over(from, to, bound), over);
        }

        /// The block search finds what a linear scan finds.
        #[test]
        fn first_above_is_a_linear_scan(from in 0u64..20_000, len in 0u64..20_000, bound in 4.0f64..17.0) {
            let (load, steps) = swing_load(20_000);
            let t = StepTable::new(&load, steps).unwrap();
            let to = (from + len).min(steps);
            let want = (from..to).find(|&k| t.facility(k) > bound).unwrap_or(to);
            prop_assert_eq!(t.first_above(from, to, |x| x > bound), want);
        }
    }
}
