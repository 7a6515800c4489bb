//! What a run reports: grid outage events, loss-of-load events, energy totals and SoC statistics.
//!
//! The engine keeps a [`Tally`] in its state (so snapshots carry it) and turns it into a
//! [`Report`] on demand. A report prints as a human-readable summary (`Display`) and serialises
//! to JSON with serde.

use crate::time::TimeGrid;
use crate::units::{Duration, Energy, Fraction, Power};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Unserved power below this is rounding, not loss of load (MW).
pub const UNSERVED_EPSILON_MW: f64 = 1e-9;

/// Availability below `1 − this` counts as a grid outage or derate.
pub const OUTAGE_EPSILON: f64 = 1e-12;

/// One step's flows, as handed to recorders. All powers are averages over the step, in MW.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StepRecord {
    /// Step index.
    pub step: u64,
    /// Start of the step, seconds from the start of the run.
    pub time_s: f64,
    /// Facility load (IT × PUE).
    pub facility_mw: f64,
    /// Battery auxiliary load.
    pub aux_mw: f64,
    /// Fraction of the import limit available.
    pub availability: f64,
    /// Grid import available.
    pub available_import_mw: f64,
    /// Grid import.
    pub import_mw: f64,
    /// Grid export.
    pub export_mw: f64,
    /// Battery discharge (AC).
    pub discharge_mw: f64,
    /// Battery charge (AC).
    pub charge_mw: f64,
    /// Load not served.
    pub unserved_mw: f64,
    /// Generation curtailed (always 0 until generators exist).
    pub curtailment_mw: f64,
    /// State of charge at the end of the step.
    pub soc: f64,
}

impl StepRecord {
    /// `import + discharge + unserved − (facility + aux + charge + export + curtailment)`, MW:
    /// zero to rounding when the step's energy balance closes.
    pub fn balance_residual_mw(&self) -> f64 {
        (self.import_mw + self.discharge_mw + self.unserved_mw)
            - (self.facility_mw
                + self.aux_mw
                + self.charge_mw
                + self.export_mw
                + self.curtailment_mw)
    }
}

/// A grid outage or derate: consecutive steps with availability below 1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GridOutage {
    /// First step.
    pub start_step: u64,
    /// One past the last step.
    pub end_step: u64,
    /// Start, from the beginning of the run.
    pub start: Duration,
    /// Length (whole steps).
    pub duration: Duration,
    /// Largest import capacity lost, MW.
    pub depth_mw: f64,
    /// SoC at the start of the first step.
    pub soc_at_start: f64,
    /// Lowest SoC during the event.
    pub min_soc: f64,
    /// Load not served during the event, MWh.
    pub unserved_mwh: f64,
    /// Whether the whole load was carried through.
    pub carried_through: bool,
}

/// A loss of load: consecutive steps with unserved load.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LossOfLoad {
    /// First step.
    pub start_step: u64,
    /// Start, from the beginning of the run.
    pub start: Duration,
    /// Length (whole steps).
    pub duration: Duration,
    /// Unserved energy, MWh.
    pub unserved_mwh: f64,
    /// Largest unserved power, MW.
    pub peak_shortfall_mw: f64,
}

/// Running sums, in MWh unless stated.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Totals {
    /// Steps simulated.
    pub steps: u64,
    /// Facility energy (IT × PUE).
    pub facility_mwh: f64,
    /// Battery auxiliary energy.
    pub aux_mwh: f64,
    /// Grid import.
    pub import_mwh: f64,
    /// Grid export.
    pub export_mwh: f64,
    /// Battery charge (AC, from the bus).
    pub charge_mwh: f64,
    /// Battery discharge (AC, to the bus).
    pub discharge_mwh: f64,
    /// Charging losses.
    pub charge_loss_mwh: f64,
    /// Discharging losses.
    pub discharge_loss_mwh: f64,
    /// Self-discharge losses.
    pub self_discharge_mwh: f64,
    /// Unserved energy.
    pub unserved_mwh: f64,
    /// Curtailed generation.
    pub curtailment_mwh: f64,
    /// Hours with unserved load (steps with loss of load × step length).
    pub loss_of_load_hours: f64,
    /// Hours the grid feed was impaired (availability below 1).
    pub grid_impaired_hours: f64,
    /// Largest step balance residual seen, MW (rounding only).
    pub max_balance_residual_mw: f64,
}

/// State-of-charge statistics.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SocStats {
    /// SoC at the start of the run.
    pub initial: f64,
    /// Lowest end-of-step SoC.
    pub min: f64,
    /// Mean end-of-step SoC.
    pub mean: f64,
    /// SoC at the end of the run.
    pub last: f64,
    /// The backup reserve.
    pub reserve: f64,
    /// Hours ending below the reserve.
    pub hours_below_reserve: f64,
}

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
    pub fn new(initial_soc: Fraction, step: Duration) -> Tally {
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
        self.steps_below_reserve += u64::from(r.soc < reserve - 1e-12);

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

/// Facts about the site the report is for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SiteSummary {
    /// The time grid.
    pub time: TimeGrid,
    /// The seed of the run's random streams.
    pub seed: u64,
    /// Dispatch policy name.
    pub policy: String,
    /// Grid import limit, MW.
    pub import_limit_mw: f64,
    /// Battery units.
    pub battery_units: u32,
    /// Battery nameplate energy, MWh.
    pub battery_capacity_mwh: f64,
    /// Battery discharge power limit, MW.
    pub battery_power_mw: f64,
    /// Energy between the SoC window's floor and ceiling, MWh.
    pub battery_usable_mwh: f64,
    /// Upper bound of the facility load, MW.
    pub peak_facility_mw: f64,
}

/// The result of a run (or of the part run so far).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// What was simulated.
    pub site: SiteSummary,
    /// Steps simulated so far.
    pub steps_done: u64,
    /// Energy totals.
    pub totals: Totals,
    /// Battery energy lost inside the fleet (charge + discharge + self-discharge), MWh.
    pub battery_losses_mwh: f64,
    /// Equivalent full cycles: stored energy drawn by discharging ÷ usable energy.
    pub equivalent_full_cycles: f64,
    /// SoC statistics.
    pub soc: SocStats,
    /// Grid outage and derate events, in order.
    pub grid_outages: Vec<GridOutage>,
    /// Loss-of-load events, in order.
    pub loss_of_load: Vec<LossOfLoad>,
}

impl Report {
    /// Number of grid outage events the site rode through without losing load.
    pub fn outages_carried(&self) -> usize {
        self.grid_outages
            .iter()
            .filter(|o| o.carried_through)
            .count()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.site;
        let t = &self.totals;
        let horizon = s.time.step() * self.steps_done;
        writeln!(f, "ridethrough report")?;
        writeln!(
            f,
            "  horizon        {} in {} steps of {} (seed {}, policy {})",
            horizon,
            self.steps_done,
            s.time.step(),
            s.seed,
            s.policy
        )?;
        writeln!(
            f,
            "  site           grid import limit {:.1} MW, facility peak ≤ {:.2} MW",
            s.import_limit_mw, s.peak_facility_mw
        )?;
        writeln!(
            f,
            "  battery        {} units, {:.1} MW / {:.1} MWh ({:.1} MWh usable)",
            s.battery_units, s.battery_power_mw, s.battery_capacity_mwh, s.battery_usable_mwh
        )?;
        writeln!(f, "energy (MWh)")?;
        writeln!(f, "  facility load  {:>14.3}", t.facility_mwh)?;
        writeln!(f, "  battery aux    {:>14.3}", t.aux_mwh)?;
        writeln!(f, "  grid import    {:>14.3}", t.import_mwh)?;
        writeln!(f, "  grid export    {:>14.3}", t.export_mwh)?;
        writeln!(f, "  bat. charge    {:>14.3}", t.charge_mwh)?;
        writeln!(f, "  bat. discharge {:>14.3}", t.discharge_mwh)?;
        writeln!(f, "  bat. losses    {:>14.3}", self.battery_losses_mwh)?;
        writeln!(f, "  unserved       {:>14.3}", t.unserved_mwh)?;
        writeln!(f, "reliability")?;
        writeln!(
            f,
            "  grid outages   {} ({} carried through), {:.2} h impaired",
            self.grid_outages.len(),
            self.outages_carried(),
            t.grid_impaired_hours
        )?;
        writeln!(
            f,
            "  loss of load   {} events, {:.3} h, {:.3} MWh unserved",
            self.loss_of_load.len(),
            t.loss_of_load_hours,
            t.unserved_mwh
        )?;
        writeln!(
            f,
            "  battery SoC    min {:.1} %, mean {:.1} %, last {:.1} %, {:.2} h below the {:.0} % reserve, {:.2} full cycles",
            self.soc.min * 100.0,
            self.soc.mean * 100.0,
            self.soc.last * 100.0,
            self.soc.hours_below_reserve,
            self.soc.reserve * 100.0,
            self.equivalent_full_cycles
        )?;
        const SHOWN: usize = 10;
        if !self.grid_outages.is_empty() {
            writeln!(f, "grid outages (first {SHOWN})")?;
            writeln!(
                f,
                "  {:>16} {:>10} {:>9} {:>9} {:>9} {:>11}",
                "start", "duration", "depth MW", "SoC start", "SoC min", "unserved"
            )?;
            for o in self.grid_outages.iter().take(SHOWN) {
                writeln!(
                    f,
                    "  {:>16} {:>10} {:>9.2} {:>8.1}% {:>8.1}% {:>7.3} MWh{}",
                    when(&s.time, o.start_step),
                    o.duration.to_string(),
                    o.depth_mw,
                    o.soc_at_start * 100.0,
                    o.min_soc * 100.0,
                    o.unserved_mwh,
                    if o.carried_through { "" } else { "  LOST LOAD" }
                )?;
            }
        }
        if !self.loss_of_load.is_empty() {
            writeln!(f, "loss-of-load events (first {SHOWN})")?;
            for e in self.loss_of_load.iter().take(SHOWN) {
                writeln!(
                    f,
                    "  at {:>16} for {:>10}: {:.3} MWh unserved, peak shortfall {:.3} MW",
                    when(&s.time, e.start_step),
                    e.duration.to_string(),
                    e.unserved_mwh,
                    e.peak_shortfall_mw
                )?;
            }
        }
        Ok(())
    }
}

/// The calendar time of step `k` (`2025-05-01 13:20:00`; fractions of a second when the step has them).
fn when(time: &TimeGrid, k: u64) -> String {
    let t = time.datetime(k);
    if time.step().as_millis() % 1_000 == 0 {
        t.strftime("%Y-%m-%d %H:%M:%S").to_string()
    } else {
        t.strftime("%Y-%m-%d %H:%M:%S%.3f").to_string()
    }
}
