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
//! Each stage is a private function named after it (`availability`, `demand`, `battery_units`,
//! `policy`, `clamp`, `grid`, `settle`, `record`), called in this order by the step; each
//! returns what the later stages read, so a new component adds a stage rather than editing one.
//!
//! Nothing in a step allocates (events are pushed to pre-reserved vectors when they close),
//! formats or does I/O, unless the recorder the caller passes does.

pub mod policy;
pub mod recorder;
pub mod report;
pub mod study;
pub mod tally;

use crate::components::battery::{BatteryParams, BatteryState, Fleet, StepLosses};
use crate::components::grid::{GridModel, GridParams, GridState};
use crate::components::load::{LoadModel, LoadParams};
use crate::engine::policy::{Dispatch, Observation};
use crate::engine::recorder::Recorder;
use crate::engine::report::{Report, SiteSummary, StepRecord, UNSERVED_EPSILON_MW};
use crate::engine::tally::Tally;
use crate::error::ConfigError;
use crate::time::TimeGrid;
use crate::units::{Energy, Fraction, Hours, Power};
use serde::{Deserialize, Serialize};

/// Relative tolerance of the per-step energy balance: the residual may not exceed
/// `BALANCE_TOLERANCE × max(1 MW, demand)`.
pub const BALANCE_TOLERANCE: f64 = 1e-9;

/// A site: the time grid and the three validated components. Build it once, then run any number
/// of simulations (with different policies or seeds) on it.
///
/// It also keeps a fingerprint of the parameters it was built from (see [`Site::fingerprint`]),
/// which every snapshot carries, so that [`Simulation::resume`] refuses a snapshot of another
/// site.
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
    /// [`site_fingerprint`] of the parameters and time grid the site was built from.
    fingerprint: u64,
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
            fingerprint: site_fingerprint(&time, grid, battery, load),
        })
    }

    /// A stable hash of the parameters and time grid the site was built from
    /// ([`site_fingerprint`]); snapshots carry it in [`SimState::site_fingerprint`].
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    /// The site with another fleet, and the fingerprint of the parameters it now stands for
    /// (used by [`study::Study::with_battery`], which keeps the other components).
    pub(crate) fn with_fleet(
        self,
        battery: Fleet,
        fingerprint_of: (&GridParams, &BatteryParams, &LoadParams),
    ) -> Site {
        let (grid, params, load) = fingerprint_of;
        Site {
            fingerprint: site_fingerprint(&self.time, grid, params, load),
            battery,
            ..self
        }
    }

    /// A simulation of this site under `policy`, with random streams from `seed`.
    ///
    /// The policy is not checked here: a built-in [`Policy`](policy::Policy) with numbers out of
    /// range still runs, the engine clamping whatever it asks. Use [`Site::try_simulate`] (or
    /// [`study::Study::simulate`], whose policy was checked when the study was built) to have it
    /// refused instead.
    pub fn simulate<P: Dispatch>(&self, policy: P, seed: u64) -> Simulation<'_, P> {
        Simulation::new(self, policy, seed)
    }

    /// As [`Site::simulate`], after checking the policy against this site with
    /// [`Dispatch::validate`].
    ///
    /// # Errors
    /// The policy's [`ConfigError`], naming its field, value and allowed range.
    ///
    /// ```
    /// use ridethrough::prelude::*;
    /// let study = Scenario::default_scenario()?.validate()?;
    /// let bad = Policy::PeakShaving { import_cap_mw: Power::mw(-1.0), recharge_rate_mw: None };
    /// let err = study.site().try_simulate(bad, 7).err().unwrap();
    /// assert!(err.to_string().contains("policy.import_cap_mw"));
    /// # Ok::<(), ConfigError>(())
    /// ```
    pub fn try_simulate<P: Dispatch>(
        &self,
        policy: P,
        seed: u64,
    ) -> Result<Simulation<'_, P>, ConfigError> {
        policy.validate(self)?;
        Ok(Simulation::new(self, policy, seed))
    }
}

/// FNV-1a's 64-bit offset basis (Fowler, Noll, Vo; draft-eastlake-fnv).
const FNV_OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
/// FNV-1a's 64-bit prime, 2^40 + 2^8 + 0xb3.
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// A 64-bit FNV-1a hash, fed through [`std::io::Write`] so a serializer can stream into it.
struct Fnv1a(u64);

impl Fnv1a {
    fn bytes(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(FNV_PRIME);
        }
    }
}

impl std::io::Write for Fnv1a {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.bytes(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The fingerprint of a site: 64-bit FNV-1a over the JSON of `(time, grid, battery, load)`,
/// then over the bits of every loaded trace value (which the parameters' JSON leaves out). It is
/// stable across runs, platforms and Rust versions (unlike `DefaultHasher`), and changes with
/// any parameter, so a snapshot records which site it belongs to. If a parameter cannot be
/// written as JSON (a trace path that is not UTF-8), its `Debug` text is hashed instead.
pub fn site_fingerprint(
    time: &TimeGrid,
    grid: &GridParams,
    battery: &BatteryParams,
    load: &LoadParams,
) -> u64 {
    use crate::components::load::ItProfile;
    let mut h = Fnv1a(FNV_OFFSET_BASIS);
    let parts = (time, grid, battery, load);
    if serde_json::to_writer(&mut h, &parts).is_err() {
        h = Fnv1a(FNV_OFFSET_BASIS);
        h.bytes(format!("{parts:?}").as_bytes());
    }
    let mut values = |v: &mut dyn Iterator<Item = f64>| {
        for x in v {
            h.bytes(&x.to_bits().to_le_bytes());
        }
    };
    if let Some(trace) = &grid.availability_trace {
        values(&mut trace.values.iter().flatten().copied());
    }
    for profile in &load.it {
        if let ItProfile::Trace(t) = profile {
            if let Some(data) = &t.data {
                values(&mut std::iter::once(data.step.as_millis() as f64));
                values(&mut data.values_mw.iter().map(|p| p.value()));
            }
        }
    }
    h.0
}

/// Everything that changes during a run. `Clone + Serialize`: a snapshot taken at any step and
/// resumed with [`Simulation::resume`] continues bit-identically.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimState<P> {
    /// The next step to run.
    pub step: u64,
    /// The run's seed.
    pub seed: u64,
    /// The [`Site::fingerprint`] of the site the run belongs to.
    pub site_fingerprint: u64,
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
/// let study = Scenario::default_scenario()?.validate()?;
/// let site = study.site();
/// let mut sim = site.simulate(*study.policy(), study.seed());
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
            site_fingerprint: site.fingerprint,
            grid: site.grid.initial_state(seed),
            battery,
            policy,
            previous_import: Power::ZERO,
            tally: Tally::new(soc, site.time.step()),
        };
        Simulation::from_state(site, state)
    }

    /// Continues a run from a snapshot taken with [`Simulation::snapshot`] on the same site.
    /// Every snapshot a simulation of `site` took is accepted (and continues bit-identically);
    /// the checks run before anything indexes into the snapshot's state, so a foreign one is
    /// refused, never a panic.
    ///
    /// # Errors
    /// [`ConfigError::SnapshotMismatch`] if the snapshot was taken on another site (another
    /// [`Site::fingerprint`]: other parameters or time grid) or its state has another shape
    /// (battery units, supply units, the grid's step); [`ConfigError::Inconsistent`] if its step
    /// lies beyond the site's horizon or its stored energy outside the window its own unit
    /// states imply.
    pub fn resume(site: &'s Site, state: SimState<P>) -> Result<Simulation<'s, P>, ConfigError> {
        let mismatch = |field: &str, why| {
            Err(ConfigError::SnapshotMismatch {
                field: field.into(),
                why,
            })
        };
        if state.site_fingerprint != site.fingerprint {
            return mismatch(
                "snapshot.site_fingerprint",
                "it was taken on a site with other parameters or another time grid",
            );
        }
        if state.step > site.time.steps() {
            return Err(ConfigError::Inconsistent {
                field: "snapshot.step".into(),
                why: "the snapshot lies beyond this site's horizon",
            });
        }
        if state.grid.next_step() != state.step {
            return mismatch(
                "snapshot.grid",
                "the grid's state is at another step than the simulation's",
            );
        }
        if let Err((field, why)) = site.grid.check_state_shape(&state.grid) {
            return mismatch(field, why);
        }
        if let Err((field, why)) = site.battery.check_state_shape(&state.battery) {
            return mismatch(field, why);
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

    /// Runs one step — availability → demand → battery units → policy → clamp → grid → settle
    /// → record (see the module docs) — and returns its record, or `None` if the horizon is
    /// already done.
    #[inline]
    pub fn step<R: Recorder + ?Sized>(&mut self, recorder: &mut R) -> Option<StepRecord> {
        if self.is_finished() {
            return None;
        }
        Some(self.advance(recorder, self.state.step, None))
    }

    /// Runs step `k`: the stages of the module docs, one private function each, in this order:
    ///
    /// 1. [`availability`] → [`Supply`];
    /// 2. [`demand`] → [`Demand`];
    /// 3. [`battery_units`] (unit failures and self-discharge) → [`BatteryStart`];
    /// 4. [`policy()`] → [`Decision`];
    /// 5. [`clamp`] → [`BatteryFlows`];
    /// 6. [`grid`] → [`Exchange`];
    /// 7. [`settle`] → [`StepLosses`];
    /// 8. [`record`] → [`StepRecord`] (tally, state, recorder).
    ///
    /// Each stage reads what the earlier ones returned and nothing else of the step, so a new
    /// component (generators, say) is a new stage and a new field in the record, not an edit in
    /// the middle of a long function. With `forced` availability the grid feed's own processes
    /// are neither consulted nor advanced (used by what-if sweeps, which may run steps out of
    /// order on a copy of the state).
    // Forced: this is the whole hot loop, and a call boundary here costs up to 2× in downstream
    // crates (the step record would be written to memory and read back). The stages are
    // `#[inline(always)]` for the same reason: they exist for reading, not for the call graph.
    #[inline(always)]
    pub(crate) fn advance<R: Recorder + ?Sized>(
        &mut self,
        recorder: &mut R,
        k: u64,
        forced: Option<Fraction>,
    ) -> StepRecord {
        let site = self.site;
        let s = &mut self.state;
        let dt = self.dt;

        let supply = availability(site, &mut s.grid, k, forced);
        let demand = demand(site, k);
        let start = battery_units(site, &mut s.battery, k, self.keep);
        let decision = policy(site, s, k, dt, &supply, &demand);
        let flows = clamp(decision.request, &decision.obs);
        let exchange = grid(&supply, &demand, &flows);
        let losses = settle(site, &mut s.battery, &flows, dt);
        record(
            site, s, recorder, k, &supply, &demand, &start, &flows, &exchange, &losses,
        )
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

/// Stage 1's result: what the grid feed offers this step.
#[derive(Debug, Clone, Copy)]
struct Supply {
    /// Average available fraction of the import limit over the step.
    availability: Fraction,
    /// The feed's import limit when fully available.
    import_limit: Power,
    /// Import available this step.
    available: Power,
    /// Export allowed this step.
    export_allowed: Power,
}

/// Stage 2's result: what the site draws this step.
#[derive(Debug, Clone, Copy)]
struct Demand {
    /// Facility load (IT × PUE).
    facility: Power,
    /// Battery auxiliary load.
    aux: Power,
    /// `facility + aux`.
    total: Power,
}

/// Stage 3's result: the battery at the start of the step.
#[derive(Debug, Clone, Copy)]
struct BatteryStart {
    /// SoC at the start of the step, before self-discharge.
    soc_before: f64,
    /// Energy lost to self-discharge this step.
    self_loss: Energy,
}

/// Stage 4's result: what the policy saw and what it asked for (positive discharges).
#[derive(Debug, Clone, Copy)]
struct Decision {
    obs: Observation,
    request: Power,
}

/// Stage 5's result: the battery's flows after the physical limits (both ≥ 0, at most one > 0).
#[derive(Debug, Clone, Copy)]
struct BatteryFlows {
    discharge: Power,
    charge: Power,
}

/// Stage 6's result: the grid exchange and the load nobody served.
#[derive(Debug, Clone, Copy)]
struct Exchange {
    import: Power,
    export: Power,
    unserved: Power,
}

/// Stage 1, availability: the feed's available fraction over step `k` (or `forced`) and the
/// import and export it allows.
#[inline(always)]
fn availability(site: &Site, grid: &mut GridState, k: u64, forced: Option<Fraction>) -> Supply {
    let availability = match forced {
        Some(a) => a,
        None => site.grid.availability(grid, k),
    };
    let import_limit = site.grid.import_limit();
    Supply {
        availability,
        import_limit,
        available: import_limit * availability,
        export_allowed: site.grid.export_limit() * availability,
    }
}

/// Stage 2, demand: the facility's average load over step `k` plus the battery's auxiliary load.
#[inline(always)]
fn demand(site: &Site, k: u64) -> Demand {
    let facility = site.load.facility_power(k);
    let aux = site.battery.aux_load();
    Demand {
        facility,
        aux,
        total: facility + aux,
    }
}

/// Stage 3, battery units and self-discharge: units fail or return at the start of step `k`,
/// then the fleet keeps `keep` of its energy (never below the window floor).
#[inline(always)]
fn battery_units(site: &Site, battery: &mut BatteryState, k: u64, keep: f64) -> BatteryStart {
    let fleet = &site.battery;
    fleet.update_units(battery, k, &site.time);
    let soc_before = fleet.soc(battery).value();
    let self_loss = fleet.apply_self_discharge(battery, keep);
    BatteryStart {
        soc_before,
        self_loss,
    }
}

/// Stage 4, policy: the policy sees the step's [`Observation`] and asks for a battery power.
#[inline(always)]
fn policy<P: Dispatch>(
    site: &Site,
    s: &mut SimState<P>,
    k: u64,
    dt: Hours,
    supply: &Supply,
    demand: &Demand,
) -> Decision {
    let fleet = &site.battery;
    let b = &s.battery;
    let obs = Observation {
        step: k,
        dt,
        demand: demand.total,
        available_import: supply.available,
        import_limit: supply.import_limit,
        export_allowed: supply.export_allowed,
        previous_import: s.previous_import,
        energy: b.energy,
        soc: fleet.soc(b),
        reserve_energy: fleet.reserve_energy_up(b),
        max_energy: fleet.max_energy_up(b),
        capacity: fleet.capacity_up(b),
        max_discharge: fleet.max_discharge(b, dt),
        max_discharge_above_reserve: fleet.max_discharge_above(b, fleet.reserve_energy(), dt),
        max_charge: fleet.max_charge(b, dt),
        charge_efficiency: fleet.charge_efficiency(),
    };
    let request = s.policy.decide(&obs);
    Decision { obs, request }
}

/// Stage 5, clamp: the request cut to the fleet's power limits and SoC window; charging only
/// from grid headroom, discharging only into the demand plus what may be exported. A NaN
/// request is treated as zero.
#[inline(always)]
fn clamp(request: Power, obs: &Observation) -> BatteryFlows {
    let (discharge, charge) = if request > Power::ZERO {
        (
            request
                .min(obs.max_discharge)
                .min(obs.demand + obs.export_allowed),
            Power::ZERO,
        )
    } else if request < Power::ZERO {
        let headroom = (obs.available_import - obs.demand).max(Power::ZERO);
        (Power::ZERO, (-request).min(obs.max_charge).min(headroom))
    } else {
        (Power::ZERO, Power::ZERO)
    };
    BatteryFlows { discharge, charge }
}

/// Stage 6, grid: import covers what the battery does not, up to the available import; a
/// surplus is exported; the rest of the demand is unserved.
#[inline(always)]
fn grid(supply: &Supply, demand: &Demand, flows: &BatteryFlows) -> Exchange {
    let need = demand.total - flows.discharge + flows.charge;
    let export = (-need).max(Power::ZERO);
    let mut import = need.clamp_to(Power::ZERO, supply.available);
    let mut unserved = (need - supply.available).max(Power::ZERO);
    if unserved.value() <= UNSERVED_EPSILON_MW {
        // A shortfall met to the last few ulps (e.g. demand − (demand − available)): the
        // rounding residue is import, not loss of load, so the balance stays exact.
        import = need.max(Power::ZERO);
        unserved = Power::ZERO;
    }
    Exchange {
        import,
        export,
        unserved,
    }
}

/// Stage 7, settle: the battery's energy moves (`P·Δt·η_c` stored, `P·Δt/η_d` drained).
#[inline(always)]
fn settle(site: &Site, battery: &mut BatteryState, flows: &BatteryFlows, dt: Hours) -> StepLosses {
    site.battery
        .settle(battery, flows.discharge, flows.charge, dt)
}

/// Stage 8, record: the step's row, the balance check (debug builds), the tally, the state's
/// step counter and previous import, and the recorder.
#[inline(always)]
fn record<P, R: Recorder + ?Sized>(
    site: &Site,
    s: &mut SimState<P>,
    recorder: &mut R,
    k: u64,
    supply: &Supply,
    demand: &Demand,
    start: &BatteryStart,
    flows: &BatteryFlows,
    exchange: &Exchange,
    losses: &StepLosses,
) -> StepRecord {
    let fleet = &site.battery;
    let row = StepRecord {
        step: k,
        time_s: site.time.offset(k).secs_f64(),
        facility_mw: demand.facility.value(),
        aux_mw: demand.aux.value(),
        availability: supply.availability.value(),
        available_import_mw: supply.available.value(),
        import_mw: exchange.import.value(),
        export_mw: exchange.export.value(),
        discharge_mw: flows.discharge.value(),
        charge_mw: flows.charge.value(),
        unserved_mw: exchange.unserved.value(),
        curtailment_mw: 0.0,
        soc: fleet.soc(&s.battery).value(),
    };
    debug_assert!(
        row.balance_residual_mw().abs() <= BALANCE_TOLERANCE * demand.total.value().max(1.0),
        "energy balance does not close at step {k}: residual {} MW",
        row.balance_residual_mw()
    );
    s.tally.add(
        &row,
        start.soc_before,
        fleet.reserve_soc().value(),
        supply.import_limit,
    );
    s.tally
        .add_losses(losses.charge, losses.discharge, start.self_loss);
    s.previous_import = exchange.import;
    s.step = k + 1;
    recorder.record(&row);
    row
}
