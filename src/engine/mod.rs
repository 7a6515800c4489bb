//! The engine: a [`Site`] (validated, immutable components) stepped by a [`Simulation`]
//! (the changing [`SimState`] plus per-run constants).
//!
//! # One step
//! [`Simulation::step`] runs these stages, in this order, for step `k`:
//!
//! 1. **availability**: the grid feed's available fraction over the step → available import;
//! 2. **demand**: the facility's average load over the step plus the battery's auxiliary load;
//! 3. **battery units and self-discharge**: battery units fail or return (their state during
//!    step `k` is their state at its start); the fleet loses its per-step self-discharge fraction
//!    (never below the window floor);
//! 4. **policy**: the dispatch policy sees an [`Observation`] and asks for a battery power;
//! 5. **clamp**: the request is cut to the fleet's power limits and SoC window, charging to the
//!    grid headroom, discharging to the demand plus what may be exported;
//! 6. **grid**: import covers what the battery does not, up to the available import; the rest is
//!    unserved load;
//! 7. **settle**: the battery's energy moves (`P·Δt·η_c` stored, `P·Δt/η_d` drained);
//! 8. **record**: the balance `import + discharge + unserved = facility + aux + charge + export +
//!    curtailment` is checked (to [`BALANCE_TOLERANCE`], in debug builds), the tally is updated
//!    and the recorder sees the row.
//!
//! Nothing in a step allocates (events are pushed to pre-reserved vectors when they close),
//! formats or does I/O, unless the recorder the caller passes does.

pub mod policy;
pub mod recorder;
pub mod report;

use crate::components::battery::{BatteryParams, BatteryState, Fleet};
use crate::components::grid::{GridModel, GridParams, GridState};
use crate::components::load::{LoadModel, LoadParams};
use crate::engine::policy::{Dispatch, Observation};
use crate::engine::recorder::Recorder;
use crate::engine::report::{Report, SiteSummary, StepRecord, Tally, UNSERVED_EPSILON_MW};
use crate::error::ConfigError;
use crate::time::TimeGrid;
use crate::units::{Fraction, Hours, Power};
use serde::{Deserialize, Serialize};

/// Relative tolerance of the per-step energy balance: the residual may not exceed
/// `BALANCE_TOLERANCE × max(1 MW, demand)`.
pub const BALANCE_TOLERANCE: f64 = 1e-9;

/// A site: the time grid and the three validated components. Build it once, then run any number
/// of simulations (with different policies or seeds) on it.
#[derive(Debug, Clone)]
pub struct Site {
    /// The time grid.
    pub time: TimeGrid,
    /// The grid feed.
    pub grid: GridModel,
    /// The battery fleet.
    pub battery: Fleet,
    /// The datacenter load.
    pub load: LoadModel,
}

impl Site {
    /// Validates the components for `time` and assembles the site.
    ///
    /// # Errors
    /// The first [`ConfigError`] of the grid, battery or load parameters.
    pub fn new(
        time: TimeGrid,
        grid: &GridParams,
        battery: &BatteryParams,
        load: &LoadParams,
    ) -> Result<Site, ConfigError> {
        Ok(Site {
            time,
            grid: GridModel::new(grid, &time)?,
            battery: Fleet::new(battery)?,
            load: LoadModel::new(load, &time)?,
        })
    }

    /// A simulation of this site under `policy`, with random streams from `seed`.
    pub fn simulate<P: Dispatch>(&self, policy: P, seed: u64) -> Simulation<'_, P> {
        Simulation::new(self, policy, seed)
    }
}

/// Everything that changes during a run. `Clone + Serialize`: a snapshot taken at any step and
/// resumed with [`Simulation::resume`] continues bit-identically.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimState<P> {
    /// The next step to run.
    pub step: u64,
    /// The run's seed.
    pub seed: u64,
    /// The grid feed's state (outage processes, cursors).
    pub grid: GridState,
    /// The battery's state.
    pub battery: BatteryState,
    /// The policy (and whatever state it keeps).
    pub policy: P,
    /// Grid import in the previous step.
    pub previous_import: Power,
    /// Totals, SoC statistics and events so far.
    pub tally: Tally,
}

/// Why [`Simulation::run_until`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// The horizon is done.
    Finished,
    /// The stop condition held after this step.
    Condition {
        /// The step after which the condition held.
        step: u64,
    },
}

/// A run of a [`Site`] under a policy.
///
/// ```
/// # use ridethrough::prelude::*;
/// # fn main() -> Result<(), ridethrough::ConfigError> {
/// let scenario = Scenario::default_scenario()?;
/// let site = scenario.site()?;
/// let mut sim = site.simulate(scenario.policy, scenario.seed);
/// sim.run(&mut ());
/// let report = sim.report();
/// assert_eq!(report.steps_done, site.time.steps());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Simulation<'s, P> {
    site: &'s Site,
    state: SimState<P>,
    dt: Hours,
    keep: f64,
    policy_name: &'static str,
}

impl<'s, P: Dispatch> Simulation<'s, P> {
    /// A fresh run from the start of the horizon.
    pub fn new(site: &'s Site, policy: P, seed: u64) -> Simulation<'s, P> {
        let battery = site.battery.initial_state(seed);
        let soc = site.battery.soc(&battery);
        let state = SimState {
            step: 0,
            seed,
            grid: site.grid.initial_state(seed),
            battery,
            policy,
            previous_import: Power::ZERO,
            tally: Tally::new(soc, site.time.step()),
        };
        Simulation::from_state(site, state)
    }

    /// Continues a run from a snapshot taken with [`Simulation::snapshot`] on the same site.
    ///
    /// # Errors
    /// [`ConfigError::Inconsistent`] if the snapshot's step lies beyond the site's horizon or its
    /// stored energy outside the fleet's window.
    pub fn resume(site: &'s Site, state: SimState<P>) -> Result<Simulation<'s, P>, ConfigError> {
        if state.step > site.time.steps() {
            return Err(ConfigError::Inconsistent {
                field: "snapshot.step".into(),
                why: "the snapshot lies beyond this site's horizon",
            });
        }
        if !site.battery.state_in_window(&state.battery) {
            return Err(ConfigError::Inconsistent {
                field: "snapshot.battery.energy".into(),
                why: "the stored energy lies outside this fleet's SoC window",
            });
        }
        Ok(Simulation::from_state(site, state))
    }

    fn from_state(site: &'s Site, state: SimState<P>) -> Simulation<'s, P> {
        let dt = site.time.step_hours();
        Simulation {
            site,
            keep: site.battery.self_discharge_keep(dt),
            policy_name: state.policy.name(),
            dt,
            state,
        }
    }

    /// The site being simulated.
    pub fn site(&self) -> &'s Site {
        self.site
    }
    /// The current state.
    pub fn state(&self) -> &SimState<P> {
        &self.state
    }
    /// A copy of the current state, to resume from later.
    pub fn snapshot(&self) -> SimState<P>
    where
        P: Clone,
    {
        self.state.clone()
    }
    /// The state, consuming the simulation (no copy).
    pub fn into_state(self) -> SimState<P> {
        self.state
    }
    /// Whether the horizon is done.
    pub fn is_finished(&self) -> bool {
        self.state.step >= self.site.time.steps()
    }

    /// Runs one step (see the module docs for its stages) and returns its record, or `None` if
    /// the horizon is already done.
    #[inline]
    pub fn step<R: Recorder + ?Sized>(&mut self, recorder: &mut R) -> Option<StepRecord> {
        if self.is_finished() {
            return None;
        }
        Some(self.advance(recorder, self.state.step, None))
    }

    /// Runs step `k` (the stages of [`Simulation::step`]). With `forced` availability the grid
    /// feed's own processes are neither consulted nor advanced (used by what-if sweeps, which
    /// may run steps out of order on a copy of the state).
    // Forced: this is the whole hot loop, and a call boundary here costs up to 2× in downstream
    // crates (the step record would be written to memory and read back).
    #[inline(always)]
    pub(crate) fn advance<R: Recorder + ?Sized>(
        &mut self,
        recorder: &mut R,
        k: u64,
        forced: Option<Fraction>,
    ) -> StepRecord {
        let site = self.site;
        let fleet = &site.battery;
        let s = &mut self.state;
        let dt = self.dt;

        // 1. availability
        let availability = match forced {
            Some(a) => a,
            None => site.grid.availability(&mut s.grid, k),
        };
        let import_limit = site.grid.import_limit();
        let available = import_limit * availability;
        let export_allowed = site.grid.export_limit() * availability;
        // 2. demand
        let facility = site.load.facility_power(k);
        let aux = fleet.aux_load();
        let demand = facility + aux;
        // 3. self-discharge (after unit failures and repairs at the start of the step)
        fleet.update_units(&mut s.battery, k, &site.time);
        let soc_before = fleet.soc(&s.battery).value();
        let self_loss = fleet.apply_self_discharge(&mut s.battery, self.keep);
        // 4. policy
        let max_discharge = fleet.max_discharge(&s.battery, dt);
        let max_charge = fleet.max_charge(&s.battery, dt);
        let obs = Observation {
            step: k,
            dt,
            demand,
            available_import: available,
            import_limit,
            export_allowed,
            previous_import: s.previous_import,
            energy: s.battery.energy,
            soc: fleet.soc(&s.battery),
            reserve_energy: fleet.reserve_energy_up(&s.battery),
            max_energy: fleet.max_energy_up(&s.battery),
            capacity: fleet.capacity_up(&s.battery),
            max_discharge,
            max_discharge_above_reserve: fleet.max_discharge_above(
                &s.battery,
                fleet.reserve_energy(),
                dt,
            ),
            max_charge,
            charge_efficiency: fleet.charge_efficiency(),
        };
        let request = s.policy.decide(&obs);
        // 5. clamp (a NaN request is treated as zero)
        let (discharge, charge) = if request > Power::ZERO {
            (
                request.min(max_discharge).min(demand + export_allowed),
                Power::ZERO,
            )
        } else if request < Power::ZERO {
            let headroom = (available - demand).max(Power::ZERO);
            (Power::ZERO, (-request).min(max_charge).min(headroom))
        } else {
            (Power::ZERO, Power::ZERO)
        };
        // 6. grid
        let need = demand - discharge + charge;
        let export = (-need).max(Power::ZERO);
        let mut import = need.clamp_to(Power::ZERO, available);
        let mut unserved = (need - available).max(Power::ZERO);
        if unserved.value() <= UNSERVED_EPSILON_MW {
            // A shortfall met to the last few ulps (e.g. demand − (demand − available)): the
            // rounding residue is import, not loss of load, so the balance stays exact.
            import = need.max(Power::ZERO);
            unserved = Power::ZERO;
        }
        // 7. settle
        let losses = fleet.settle(&mut s.battery, discharge, charge, dt);
        // 8. record
        let row = StepRecord {
            step: k,
            time_s: site.time.offset(k).secs_f64(),
            facility_mw: facility.value(),
            aux_mw: aux.value(),
            availability: availability.value(),
            available_import_mw: available.value(),
            import_mw: import.value(),
            export_mw: export.value(),
            discharge_mw: discharge.value(),
            charge_mw: charge.value(),
            unserved_mw: unserved.value(),
            curtailment_mw: 0.0,
            soc: fleet.soc(&s.battery).value(),
        };
        debug_assert!(
            row.balance_residual_mw().abs() <= BALANCE_TOLERANCE * demand.value().max(1.0),
            "energy balance does not close at step {k}: residual {} MW",
            row.balance_residual_mw()
        );
        s.tally
            .add(&row, soc_before, fleet.reserve_soc().value(), import_limit);
        s.tally
            .add_losses(losses.charge, losses.discharge, self_loss);
        s.previous_import = import;
        s.step = k + 1;
        recorder.record(&row);
        row
    }

    /// Runs to the end of the horizon.
    pub fn run<R: Recorder + ?Sized>(&mut self, recorder: &mut R) -> &mut Self {
        while self.step(recorder).is_some() {}
        self
    }

    /// Runs until `stop` returns true for a step's record (that step included), or to the end.
    pub fn run_until<R: Recorder + ?Sized>(
        &mut self,
        recorder: &mut R,
        mut stop: impl FnMut(&StepRecord) -> bool,
    ) -> Stop {
        while let Some(row) = self.step(recorder) {
            if stop(&row) {
                return Stop::Condition { step: row.step };
            }
        }
        Stop::Finished
    }

    /// The report of the steps run so far (open events included, as they stand).
    pub fn report(&self) -> Report {
        let site = self.site;
        let fleet = &site.battery;
        let tally = &self.state.tally;
        let totals = tally.totals();
        let usable = fleet.usable_energy().value();
        let drawn = totals.discharge_mwh + totals.discharge_loss_mwh;
        Report {
            site: SiteSummary {
                time: site.time,
                seed: self.state.seed,
                policy: self.policy_name.to_string(),
                import_limit_mw: site.grid.import_limit().value(),
                battery_units: fleet.units(),
                battery_capacity_mwh: fleet.capacity().value(),
                battery_power_mw: fleet.max_discharge_power().value(),
                battery_usable_mwh: usable,
                peak_facility_mw: site.load.peak_facility_power().value(),
            },
            steps_done: self.state.step,
            totals,
            battery_losses_mwh: totals.charge_loss_mwh
                + totals.discharge_loss_mwh
                + totals.self_discharge_mwh,
            equivalent_full_cycles: if usable > 0.0 { drawn / usable } else { 0.0 },
            soc: tally.soc_stats(fleet.reserve_soc().value()),
            grid_outages: tally.grid_outage_events().copied().collect(),
            loss_of_load: tally.loss_of_load_events().copied().collect(),
        }
    }
}
