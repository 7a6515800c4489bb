//! The hot-path tally: running sums, SoC statistics and open events, updated once per step.
//!
//! A [`Tally`] lives in the simulation's state (so a snapshot carries it) and is turned into a
//! [`Report`](crate::engine::report::Report) on demand. It sums average powers and converts to
//! MWh once, when asked for [`Tally::totals`]; event tracking runs out of line, only while an
//! event is open.

use crate::engine::report::{
    GridOutage, LossOfLoad, SocStats, StepRecord, Totals, OUTAGE_EPSILON, UNSERVED_EPSILON_MW,
};
use crate::units::{Duration, Energy, Fraction, Power};
use serde::{Deserialize, Serialize};

/// An end-of-step SoC counts as below the reserve when it is more than this under it: the SoC
/// is a ratio of energies a few roundings from the reserve, and a battery held exactly at its
/// reserve must not count.
const RESERVE_EPSILON: f64 = 1e-12;

/// Per-step sums of the average powers (MW·steps); × the step length gives MWh.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
struct Sums {
    facility: f64,
    aux: f64,
    import: f64,
    export: f64,
    charge: f64,
    discharge: f64,
    unserved: f64,
    curtailment: f64,
    lol_steps: u64,
    impaired_steps: u64,
}

/// The incremental record a simulation keeps; part of its snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tally {
    step: Duration,
    steps: u64,
    sums: Sums,
    charge_loss_mwh: f64,
    discharge_loss_mwh: f64,
    self_discharge_mwh: f64,
    max_residual: f64,
    soc_initial: f64,
    soc_min: f64,
    soc_sum: f64,
    soc_last: f64,
    steps_below_reserve: u64,
    grid_outages: Vec<GridOutage>,
    loss_of_load: Vec<LossOfLoad>,
    open_outage: Option<GridOutage>,
    open_lol: Option<LossOfLoad>,
}

impl Tally {
    /// An empty tally for a run of steps of `step` starting at `initial_soc`.
    pub(crate) fn new(initial_soc: Fraction, step: Duration) -> Tally {
        Tally {
            step,
            steps: 0,
            sums: Sums::default(),
            charge_loss_mwh: 0.0,
            discharge_loss_mwh: 0.0,
            self_discharge_mwh: 0.0,
            max_residual: 0.0,
            soc_initial: initial_soc.value(),
            soc_min: initial_soc.value(),
            soc_sum: 0.0,
            soc_last: initial_soc.value(),
            steps_below_reserve: 0,
            grid_outages: Vec::with_capacity(16),
            loss_of_load: Vec::with_capacity(16),
            open_outage: None,
            open_lol: None,
        }
    }

    /// Adds one step. `soc_before` is the SoC at the start of the step; `r.soc` at its end.
    // Forced: runs every step inside the engine's hot loop (see `Simulation::advance`).
    #[inline(always)]
    pub(crate) fn add(
        &mut self,
        r: &StepRecord,
        soc_before: f64,
        reserve: f64,
        import_limit: Power,
    ) {
        self.steps += 1;
        let m = &mut self.sums;
        m.facility += r.facility_mw;
        m.aux += r.aux_mw;
        m.import += r.import_mw;
        m.export += r.export_mw;
        m.charge += r.charge_mw;
        m.discharge += r.discharge_mw;
        m.unserved += r.unserved_mw;
        m.curtailment += r.curtailment_mw;
        self.max_residual = self.max_residual.max(r.balance_residual_mw().abs());
        self.soc_min = self.soc_min.min(r.soc);
        self.soc_sum += r.soc;
        self.soc_last = r.soc;
        self.steps_below_reserve += u64::from(r.soc < reserve - RESERVE_EPSILON);

        let impaired = r.availability < 1.0 - OUTAGE_EPSILON;
        let lost = r.unserved_mw > UNSERVED_EPSILON_MW;
        if impaired || self.open_outage.is_some() {
            self.track_outage(r, impaired, lost, soc_before, import_limit);
        }
        if lost || self.open_lol.is_some() {
            self.track_loss_of_load(r, lost);
        }
    }

    /// Opens, extends or closes the current grid outage event.
    #[cold]
    fn track_outage(
        &mut self,
        r: &StepRecord,
        impaired: bool,
        lost: bool,
        soc_before: f64,
        import_limit: Power,
    ) {
        if !impaired {
            if let Some(ev) = self.open_outage.take() {
                self.grid_outages.push(ev);
            }
            return;
        }
        let step = self.step;
        let h = step.hours().value();
        self.sums.impaired_steps += 1;
        let depth = (import_limit.value() * (1.0 - r.availability)).max(0.0);
        let ev = self.open_outage.get_or_insert(GridOutage {
            start_step: r.step,
            end_step: r.step,
            start: step * r.step,
            duration: Duration::ZERO,
            depth_mw: 0.0,
            soc_at_start: soc_before,
            min_soc: soc_before,
            unserved_mwh: 0.0,
            carried_through: true,
        });
        ev.end_step = r.step + 1;
        ev.duration = ev.duration + step;
        ev.depth_mw = ev.depth_mw.max(depth);
        ev.min_soc = ev.min_soc.min(r.soc);
        if lost {
            ev.unserved_mwh += r.unserved_mw * h;
            ev.carried_through = false;
        }
    }

    /// Opens, extends or closes the current loss-of-load event.
    #[cold]
    fn track_loss_of_load(&mut self, r: &StepRecord, lost: bool) {
        if !lost {
            if let Some(ev) = self.open_lol.take() {
                self.loss_of_load.push(ev);
            }
            return;
        }
        let step = self.step;
        self.sums.lol_steps += 1;
        let ev = self.open_lol.get_or_insert(LossOfLoad {
            start_step: r.step,
            start: step * r.step,
            duration: Duration::ZERO,
            unserved_mwh: 0.0,
            peak_shortfall_mw: 0.0,
        });
        ev.duration = ev.duration + step;
        ev.unserved_mwh += r.unserved_mw * step.hours().value();
        ev.peak_shortfall_mw = ev.peak_shortfall_mw.max(r.unserved_mw);
    }

    /// Adds battery-internal losses for one step.
    #[inline]
    pub(crate) fn add_losses(&mut self, charge: Energy, discharge: Energy, self_discharge: Energy) {
        self.charge_loss_mwh += charge.value();
        self.discharge_loss_mwh += discharge.value();
        self.self_discharge_mwh += self_discharge.value();
    }

    /// The totals so far.
    pub fn totals(&self) -> Totals {
        let h = self.step.hours().value();
        let m = &self.sums;
        Totals {
            steps: self.steps,
            facility_mwh: m.facility * h,
            aux_mwh: m.aux * h,
            import_mwh: m.import * h,
            export_mwh: m.export * h,
            charge_mwh: m.charge * h,
            discharge_mwh: m.discharge * h,
            charge_loss_mwh: self.charge_loss_mwh,
            discharge_loss_mwh: self.discharge_loss_mwh,
            self_discharge_mwh: self.self_discharge_mwh,
            unserved_mwh: m.unserved * h,
            curtailment_mwh: m.curtailment * h,
            loss_of_load_hours: m.lol_steps as f64 * h,
            grid_impaired_hours: m.impaired_steps as f64 * h,
            max_balance_residual_mw: self.max_residual,
        }
    }

    /// Closed loss-of-load events plus the open one.
    pub fn loss_of_load_events(&self) -> impl Iterator<Item = &LossOfLoad> {
        self.loss_of_load.iter().chain(self.open_lol.iter())
    }

    /// Closed grid outage events plus the open one.
    pub fn grid_outage_events(&self) -> impl Iterator<Item = &GridOutage> {
        self.grid_outages.iter().chain(self.open_outage.iter())
    }

    /// The SoC statistics so far.
    pub fn soc_stats(&self, reserve: f64) -> SocStats {
        let n = self.steps;
        SocStats {
            initial: self.soc_initial,
            min: self.soc_min,
            mean: if n > 0 {
                self.soc_sum / n as f64
            } else {
                self.soc_initial
            },
            last: self.soc_last,
            reserve,
            hours_below_reserve: self.steps_below_reserve as f64 * self.step.hours().value(),
        }
    }
}
