//! The engine: a [`Site`] (validated, immutable components) stepped by a [`Simulation`]
//! (the changing [`SimState`] plus per-run constants).
//!
//! # One step
//! [`Simulation::step`] runs these stages, in this order, for step `k` = `[t0, t1)`:
//!
//! 1. **demand**: the facility's average load over the step plus the battery's auxiliary load
//!    (with `[battery.thermal]`, each unit's draw at the ambient temperature of the step's hours;
//!    with its enclosure, the standby and HVAC draw of the enclosure's trajectory over the step
//!    from its state at the step's start, heated by the previous step's losses);
//! 2. **battery units and self-discharge**: battery units that failed or returned by `t0` lock
//!    or release their energy; the fleet loses its per-step self-discharge fraction (never
//!    below the window floor), which with an enclosure is heat inside it, heating the next step
//!    as the step's conversion losses do;
//!
//! then, per **segment** `[t, t')` (one for a step in which nothing changes):
//!
//! 3. **span**: `t'` is `t1` or the first change before it — a grid availability transition
//!    (a random outage, a scheduled window's edge, a supply unit) or a battery unit failing or
//!    returning — and the grid's available fraction over the span gives the available import;
//! 4. **policy**: the dispatch policy sees an [`Observation`] (its `dt` the segment's length)
//!    and asks for a battery power;
//! 5. **clamp**: the request is cut to the fleet's power limits, charging to the grid headroom,
//!    discharging to the demand plus what may be exported; if the battery would reach its
//!    window floor (ceiling) before `t'` at that power, the segment ends at the last whole
//!    millisecond before it does and the next one starts there;
//! 6. **grid**: import covers what the battery does not, up to the available import; the rest is
//!    unserved load;
//! 7. **settle**: the battery's energy moves (`P·Δt·η_c` stored, `P·Δt/η_d` drained) over the
//!    segment, at the constant one-way efficiencies or, with `battery.efficiency_curve`, at the
//!    curve's value for the segment's loading (the clamp's energy limits use the same value);
//!    then, with `[battery.ageing]` or `[battery.thermal]`, **age**: calendar fade along the
//!    segment's SoC ramp at each hour's ambient temperature, the segment-end SoC to the
//!    streaming rainflow counter, and the SoC window scaled by the capacity factor left (the
//!    stored energy above the shrunk ceiling is removed and counted as a degradation loss, so
//!    `charge − discharge − losses − fade loss = Δstored` still closes);
//!
//! and last:
//!
//! 8. **record**: the step's row (the energy-weighted average of its segments: powers = energy
//!    ÷ step length, the availability averaged over time, the SoC at the end); the balance
//!    `import + discharge + unserved = facility + aux + charge + export + curtailment` is
//!    checked per segment and per step (to [`BALANCE_TOLERANCE`], in debug builds), the tally
//!    is updated (events piece by piece, to the millisecond) and the recorder sees the row;
//!    with a tiered load, **shed** (8b): each piece's unserved power is allocated to the load's
//!    tiers in their shedding order (see [`crate::components::load::tiers`]) and tallied per
//!    tier.
//!
//! Each stage is a private function named after it (`demand`, `battery_units`, `span`,
//! `segment` with `policy`, `clamp`, `grid` and `settle`, `record`), called in this order by the
//! step; each returns what the later stages read, so a new component adds a stage rather than
//! editing one.
//!
//! Nothing in a step allocates (events are pushed to pre-reserved vectors when they close),
//! formats or does I/O, unless the recorder the caller passes does.

pub mod backup;
pub mod fast_forward;
pub mod policy;
pub mod recorder;
pub mod report;
pub mod study;
pub mod tally;

use crate::components::battery::enclosure::EnclosureState;
use crate::components::battery::lifetime::Efficiency;
use crate::components::battery::{BatteryParams, BatteryState, Fleet, Scale, StepLosses};
use crate::components::fuel::FuelParams;
use crate::components::generators::GeneratorParams;
use crate::components::grid::{GridModel, GridParams, GridState};
use crate::components::load::{LoadModel, LoadParams};
use crate::components::tariff::{Price, Tariff, TariffParams};
use crate::engine::backup::{Backup, BackupState, Generation};
use crate::engine::fast_forward::StepTable;
use crate::engine::policy::{Dispatch, GeneratorView, Observation};
use crate::engine::recorder::Recorder;
use crate::engine::report::{
    AugmentationMark, LifetimeReport, Report, SiteSummary, StepRecord, YearMark, YearOfLife,
    HOURS_PER_LIFE_YEAR, OUTAGE_EPSILON, UNSERVED_EPSILON_MW,
};
use crate::engine::tally::{Piece, Tally};
use crate::error::ConfigError;
use crate::reliability::availability::Clock;
use crate::time::TimeGrid;
use crate::units::{Duration, Energy, Fraction, Hours, Power};
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

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
    /// Standby generators and their fuel (`None`: no backup chain; see [`Site::with_backup`]).
    pub backup: Option<Backup>,
    /// The electricity tariff (`None`: none; see [`Site::with_tariff`]): the energy price every
    /// policy sees ([`Observation::price`]) and what a run's [`Meter`](crate::components::tariff::Meter) bills.
    pub tariff: Option<Tariff>,
    /// [`site_fingerprint`] of the parameters and time grid the site was built from.
    fingerprint: u64,
    /// The fingerprint of the backup chain's parameters (`None` without one), kept apart from
    /// the site's so that adding, replacing or removing the chain, or swapping the fleet, in any
    /// order, gives the fingerprint of a site built with the result directly.
    backup_fingerprint: Option<u64>,
    /// The load of every step, built on first use (see [`Site::step_table`]).
    table: OnceLock<Option<StepTable>>,
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
        let fleet = Fleet::new(battery)?;
        fleet.check_horizon(&time)?;
        Ok(Site {
            time,
            grid: GridModel::new(grid, &time)?,
            battery: fleet.start_at(&time),
            load: LoadModel::new(load, &time)?,
            backup: None,
            tariff: None,
            fingerprint: site_fingerprint(&time, grid, battery, load),
            backup_fingerprint: None,
            table: OnceLock::new(),
        })
    }

    /// The site with a backup chain: `generators` (none, or a fleet of no sets, for none) and
    /// their `fuel` (none: unlimited), validated with errors under `generators.` and `fuel.`
    /// (see [`backup`]). The fingerprint then covers them too, so a snapshot of the site with
    /// other generators is refused.
    ///
    /// # Errors
    /// As [`Backup::new`].
    ///
    /// ```
    /// use ridethrough::prelude::*;
    /// use ridethrough::components::generators::{GeneratorParams, GeneratorPreset};
    /// let study = Scenario::default_scenario()?.validate()?;
    /// let gens = GeneratorParams::preset(GeneratorPreset::Diesel2500kw, 8);
    /// let site = study.site().clone().with_backup(Some(&gens), None)?;
    /// assert_eq!(site.backup.as_ref().map(|b| b.generators.count()), Some(8));
    /// # Ok::<(), ConfigError>(())
    /// ```
    pub fn with_backup(
        self,
        generators: Option<&GeneratorParams>,
        fuel: Option<&FuelParams>,
    ) -> Result<Site, ConfigError> {
        let backup = Backup::new(generators, fuel)?;
        let backup_fingerprint = backup
            .as_ref()
            .map(|_| json_fingerprint(&(generators, fuel)));
        Ok(Site {
            backup,
            backup_fingerprint,
            ..self
        })
    }

    /// The facility load of every step of the horizon with its prefix sums and block maxima
    /// (the engine's load index and what fast-forward sums), built once, on first use, and
    /// shared by every simulation of the site; `None` for a horizon of more than
    /// [`fast_forward::MAX_TABLE_STEPS`] steps, which reads the load model instead and never
    /// fast-forwards.
    pub fn step_table(&self) -> Option<&StepTable> {
        self.table
            .get_or_init(|| {
                StepTable::new(&self.load, self.time.steps())
                    .map(|t| t.with_aux(self.battery.aux_per_step(&self.time)))
            })
            .as_ref()
    }

    /// A stable hash of the parameters and time grid the site was built from
    /// ([`site_fingerprint`], extended by the backup chain's parameters when it has one, then by
    /// the tariff's when it has one, whatever the order they were added, replaced or removed
    /// in); snapshots carry it in [`SimState::site_fingerprint`].
    pub fn fingerprint(&self) -> u64 {
        let extend = |base: u64, part: u64| {
            let mut h = Fnv1a(base ^ FNV_OFFSET_BASIS);
            h.bytes(&part.to_le_bytes());
            h.0
        };
        let mut f = self.fingerprint;
        if let Some(b) = self.backup_fingerprint {
            f = extend(f, b);
        }
        if let Some(t) = &self.tariff {
            f = extend(f, t.fingerprint());
        }
        f
    }

    /// The site with an electricity tariff (`None` removes it), checked for the site's time
    /// grid (see [`crate::components::tariff`]). Policies see its energy price in
    /// [`Observation::price`]; the fingerprint covers it.
    ///
    /// # Errors
    /// As [`Tariff::new`], naming the `tariff.` field.
    pub fn with_tariff(self, tariff: Option<&TariffParams>) -> Result<Site, ConfigError> {
        let tariff = match tariff {
            Some(p) => Some(Tariff::new(p, &self.time)?),
            None => None,
        };
        Ok(Site { tariff, ..self })
    }

    /// The site with another fleet, and the fingerprint of the parameters it now stands for
    /// (used by [`study::Study::with_battery`], which keeps the other components, the backup
    /// chain and the tariff with their fingerprints among them).
    ///
    /// # Errors
    /// An augmentation plan naming a year beyond the horizon.
    pub(crate) fn with_fleet(
        self,
        battery: Fleet,
        fingerprint_of: (&GridParams, &BatteryParams, &LoadParams),
    ) -> Result<Site, ConfigError> {
        let (grid, params, load) = fingerprint_of;
        battery.check_horizon(&self.time)?;
        Ok(Site {
            fingerprint: site_fingerprint(&self.time, grid, params, load),
            battery: battery.start_at(&self.time),
            ..self
        })
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

/// 64-bit FNV-1a over the JSON of `value` (its `Debug` text if it cannot be written as JSON):
/// stable across runs, platforms and Rust versions, like [`site_fingerprint`]. Monte Carlo
/// shards use it to record the dispatch policy they ran.
pub(crate) fn json_fingerprint<T: Serialize + std::fmt::Debug>(value: &T) -> u64 {
    let mut h = Fnv1a(FNV_OFFSET_BASIS);
    if serde_json::to_writer(&mut h, value).is_err() {
        h = Fnv1a(FNV_OFFSET_BASIS);
        h.bytes(format!("{value:?}").as_bytes());
    }
    h.0
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
    if let Some(ambient) = battery.ambient_trace_values() {
        values(&mut ambient.iter().copied());
    }
    if let Some(ambient) = load.pue_ambient_trace() {
        values(&mut ambient.iter().copied());
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
    /// The backup chain's state (generators, fuel, transfer drops), when the site has one.
    #[serde(default)]
    pub backup: Option<BackupState>,
    /// The battery's life sums at the end of each year so far (with ageing only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub years: Vec<YearMark>,
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
    steps: Steps,
    clock: Clock,
    keep: f64,
    policy_name: &'static str,
    /// The site's [`StepTable`], if it has one.
    table: Option<&'s StepTable>,
    /// Whether [`Simulation::run`] may fast-forward (see [`Simulation::set_fast_forward`]).
    fast_forward: bool,
    /// Steps this simulation jumped over rather than stepped.
    skipped: u64,
    /// Whether the tally keeps only what a Monte Carlo sample reads (see [`Tally::add_lean`]).
    lean: bool,
    /// Whether the site has no backup chain, no battery unit failures and no lifetime models:
    /// its steps run the stages compiled without them (`FULL` false; see [`Simulation::step`]).
    plain: bool,
    /// With ageing, the end (ms) of the year of life the next step lies in, where
    /// [`Simulation::year_end`] marks it; `u64::MAX` without ageing.
    next_year_ms: u64,
}

impl<'s, P: Dispatch> Simulation<'s, P> {
    /// A fresh run from the start of the horizon.
    ///
    /// The grid imports [`Dispatch::initial_import`] before the first step, by default the
    /// steady state: the first step's demand (facility and battery auxiliary load), capped by
    /// the import the grid offers at the start. The first step's policy sees it as the previous
    /// import, and the report's grid ramps start from it.
    pub fn new(site: &'s Site, policy: P, seed: u64) -> Simulation<'s, P> {
        let battery = site.battery.initial_state(seed);
        let soc = site.battery.soc(&battery);
        let grid = site.grid.initial_state(seed);
        let availability = site.grid.availability_now(&grid);
        let initial_import = policy.initial_import().unwrap_or_else(|| {
            let first = demand::<true>(site, &battery, site.step_table(), 0).total;
            first.min(site.grid.import_limit() * availability)
        });
        let whole = availability.value() >= 1.0 - OUTAGE_EPSILON;
        let tally = Tally::new(
            soc,
            site.time.step(),
            initial_import,
            whole,
            policy.ramp_limit(),
        );
        let state = SimState {
            step: 0,
            seed,
            site_fingerprint: site.fingerprint(),
            grid,
            battery,
            policy,
            previous_import: initial_import,
            tally,
            backup: site.backup.as_ref().map(|b| b.initial_state(seed)),
            years: Vec::new(),
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
        if state.site_fingerprint != site.fingerprint() {
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
        match (&site.backup, &state.backup) {
            (Some(b), Some(bs)) => {
                if let Err((field, why)) = b.check_state(bs) {
                    return mismatch(field, why);
                }
            }
            (None, None) => {}
            _ => return mismatch(
                "snapshot.backup",
                "the snapshot's site has a backup chain where this one has none, or the reverse",
            ),
        }
        if !site.battery.state_in_window(&state.battery) {
            return Err(ConfigError::Inconsistent {
                field: "snapshot.battery.energy".into(),
                why: "the stored energy lies outside this fleet's SoC window",
            });
        }
        Ok(Simulation::from_state(site, state))
    }

    fn from_state(site: &'s Site, mut state: SimState<P>) -> Simulation<'s, P> {
        let dt = site.time.step_hours();
        let ms = site.time.step().as_millis();
        let mut next_year_ms = u64::MAX;
        if site
            .battery
            .lifetime()
            .is_some_and(|l| l.ageing().is_some())
        {
            // A mark per year to come, so the run never allocates for one.
            let years = (site.time.horizon().as_millis() / YEAR_MS + 1) as usize;
            state.years.reserve(years.saturating_sub(state.years.len()));
            // The first year's end after the start of the next step.
            next_year_ms = (state.step * ms / YEAR_MS + 1) * YEAR_MS;
        }
        Simulation {
            next_year_ms,
            plain: site.backup.is_none() && site.battery.is_plain(),
            site,
            keep: site.battery.self_discharge_keep(dt),
            policy_name: state.policy.name(),
            steps: Steps { ms, dt },
            clock: Clock::of(&site.time),
            state,
            table: site.step_table(),
            fast_forward: true,
            skipped: 0,
            lean: false,
        }
    }

    /// Turns fast-forward on (the default) or off: with it on, [`Simulation::run`] with a
    /// recorder that does not want every step (`()`) jumps over quiet stretches (see
    /// [`fast_forward`]) instead of stepping them, with the same events and counts and the
    /// same energies to rounding (1e-9 relative). Off, every step is run.
    pub fn set_fast_forward(&mut self, on: bool) -> &mut Self {
        self.fast_forward = on;
        self
    }

    /// Keeps in the tally only what a Monte Carlo sample reads: the step count, the facility and
    /// unserved energy, the loss-of-load and outage times and the events ([`Tally::add_lean`]);
    /// the other totals, the SoC statistics and the battery's losses are not kept, so the
    /// [`Simulation::report`] of a lean run is not to be shown. Nor are the hourly fuel marks
    /// of generator outages.
    pub(crate) fn set_lean(&mut self) -> &mut Self {
        self.lean = true;
        if let Some(bs) = &mut self.state.backup {
            bs.set_fuel_marks(false);
        }
        self
    }

    /// Gives the generator sets and the fuel tanks fresh random streams from `seed`, keeping
    /// their states (for replaying a copied outage under other draws); nothing without
    /// generators.
    pub(crate) fn reseed_backup(&mut self, seed: u64) {
        if let (Some(b), Some(bs)) = (&self.site.backup, &mut self.state.backup) {
            b.generators.reseed(&mut bs.generators, seed);
            if let (Some(f), Some(fs)) = (&b.fuel, &mut bs.fuel) {
                f.reseed(fs, seed);
            }
            // The states keep every time already drawn, so the chain's offer and next event
            // stand; only later draws come from the new streams.
        }
    }

    /// How many steps this simulation has fast-forwarded through (jumped over rather than run
    /// one by one); they count in the report as any other step.
    pub fn steps_skipped(&self) -> u64 {
        self.skipped
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

    /// Runs one step — demand → battery units → (per segment: span → policy → clamp → grid →
    /// settle) → record (see the module docs) — and returns its record, or `None` if the horizon
    /// is already done.
    #[inline(always)]
    pub fn step<R: Recorder + ?Sized>(&mut self, recorder: &mut R) -> Option<StepRecord> {
        if self.is_finished() {
            return None;
        }
        let k = self.state.step;
        // A plain site runs a step compiled without what it lacks.
        let row = if self.plain {
            self.advance::<R, false, false>(recorder, k, None)
        } else if self.site.backup.is_none() {
            self.advance::<R, true, false>(recorder, k, None)
        } else {
            self.advance::<R, true, true>(recorder, k, None)
        };
        self.year_end(k);
        Some(row)
    }

    /// After step `k`, with ageing: if a year of life (8,760 h from the start) ended inside or
    /// at the end of the step, the life sums at the step's end are marked (into space reserved
    /// at the start). One comparison otherwise (`next_year_ms` is `u64::MAX` without ageing).
    #[inline(always)]
    fn year_end(&mut self, k: u64) {
        let t1 = (k + 1) * self.steps.ms;
        if t1 < self.next_year_ms {
            return;
        }
        self.mark_year(t1);
    }

    /// [`Simulation::year_end`]'s rare part: the mark at `t1` (after which an enclosure's year
    /// maximum restarts), and the next year's end; then,
    /// before the horizon's end, the battery's augmentation plan for the year that starts
    /// ([`Fleet::augment`]: units added or replaced at this step boundary).
    #[cold]
    #[inline(never)]
    fn mark_year(&mut self, t1: u64) {
        self.next_year_ms = (t1 / YEAR_MS + 1) * YEAR_MS;
        let mark = self
            .life_mark(t1, false)
            .unwrap_or_else(|| self.tally_mark(t1));
        self.state.years.push(mark);
        self.site
            .battery
            .start_enclosure_year(&mut self.state.battery);
        if t1 < self.site.time.horizon().as_millis() {
            let year = u32::try_from(t1 / YEAR_MS + 1).unwrap_or(u32::MAX);
            self.site.battery.augment(&mut self.state.battery, year, t1);
        }
    }

    /// Marks the end of every year of life in [`SimState::years`] from the next step on, with
    /// ageing or without (then with capacity factor 1 and no fade), so a study reads per-year
    /// sums as differences of consecutive marks (`studies::life_reliability`). With ageing the
    /// run marks its years already; nothing changes. The space for the marks is reserved here,
    /// so the run still never allocates for one. In a lean run ([`Simulation::set_lean`]) only
    /// the marks' unserved energy, loss-of-load sums and fade are kept.
    pub(crate) fn mark_years(&mut self) {
        if self.next_year_ms != u64::MAX {
            return;
        }
        let years = (self.site.time.horizon().as_millis() / YEAR_MS + 1) as usize;
        let have = self.state.years.len();
        self.state.years.reserve(years.saturating_sub(have));
        self.next_year_ms = (self.state.step * self.steps.ms / YEAR_MS + 1) * YEAR_MS;
    }

    /// The sums now (`end_ms`) as a year mark: the run's life sums ([`Simulation::life_mark`],
    /// without counting the rainflow residue) with ageing, the tally's sums with capacity
    /// factor 1 and no fade without.
    pub(crate) fn year_mark_now(&self) -> YearMark {
        let now = self.state.step * self.steps.ms;
        self.life_mark(now, false)
            .unwrap_or_else(|| self.tally_mark(now))
    }

    /// The tally's sums now as a year mark at `end_ms`: capacity factor 1, no fade or cycles;
    /// with an enclosure, its sums and the year's highest temperature so far.
    fn tally_mark(&self, end_ms: u64) -> YearMark {
        let t = self.state.tally.totals();
        YearMark {
            end_ms,
            battery_losses_mwh: t.charge_loss_mwh + t.discharge_loss_mwh + t.self_discharge_mwh,
            aux_mwh: t.aux_mwh,
            unserved_mwh: t.unserved_mwh,
            loss_of_load_hours: t.loss_of_load_hours,
            loss_of_load_step_hours: t.loss_of_load_step_hours,
            enclosure: self
                .site
                .battery
                .life_state(&self.state.battery)
                .and_then(|l| l.enclosure.as_ref())
                .map(EnclosureState::mark),
            ..YearMark::start()
        }
    }

    /// The life sums now (`end_ms`), with the rainflow residue counted as half cycles on a copy
    /// if `finish`; `None` without ageing.
    fn life_mark(&self, end_ms: u64, finish: bool) -> Option<YearMark> {
        let sums = self.site.battery.life_sums(&self.state.battery, finish)?;
        Some(YearMark {
            capacity_factor: sums.capacity_factor,
            calendar_fade: sums.calendar_fade,
            cycle_fade: sums.cycle_fade,
            equivalent_full_cycles: sums.equivalent_full_cycles,
            fade_loss_mwh: sums.fade_loss.value(),
            augmentation: sums
                .augmentation
                .map(|a| AugmentationMark::of(&a, sums.usable)),
            ..self.tally_mark(end_ms)
        })
    }

    /// Runs step `k` as one or more segments: the stages of the module docs, one private
    /// function each, in this order:
    ///
    /// 1. [`demand`] → [`Demand`] (the step's average load, for every segment);
    /// 2. [`battery_units`] (unit failures at the step's start and self-discharge) →
    ///    [`BatteryStart`];
    /// 3. per segment `[t, t')`: [`span`] (how far nothing changes: `t'`; the units and the
    ///    grid's availability over it) → [`Span`], then [`segment`], which runs
    ///    [`policy()`] → [`Decision`], [`clamp`] → [`BatteryFlows`] (and where the battery
    ///    empties or fills, which may end the segment early), [`grid`] → [`Exchange`] and
    ///    [`settle`] → [`StepLosses`];
    /// 4. [`record`] → [`StepRecord`] (tally, state, recorder): the one segment's flows, or
    ///    the step's energy-weighted average of several ([`Simulation::segments`]).
    ///
    /// Each stage reads what the earlier ones returned and nothing else of the step, so a new
    /// component (generators, say) is a new stage and a new field in the record, not an edit in
    /// the middle of a long function. With `forced` availability the grid feed's own processes
    /// are neither consulted nor advanced and the step is not split at unit transitions
    /// (used by what-if sweeps, which may run steps out of order on a copy of the state); the
    /// battery reaching its floor or ceiling still splits it.
    ///
    /// `FULL` compiles in the battery's unit and lifetime stages, `CHAIN` the backup chain's
    /// (a site with a chain runs with both; see [`Simulation::step`]).
    ///
    // Forced: this is the whole hot loop, and a call boundary here costs up to 2× in downstream
    // crates (the step record would be written to memory and read back). The stages are
    // `#[inline(always)]` for the same reason: they exist for reading, not for the call graph.
    #[inline(always)]
    pub(crate) fn advance<R: Recorder + ?Sized, const FULL: bool, const CHAIN: bool>(
        &mut self,
        recorder: &mut R,
        k: u64,
        forced: Option<Fraction>,
    ) -> StepRecord {
        let site = self.site;
        let s = &mut self.state;
        let clock = &self.clock;
        let steps = self.steps;
        let t0 = k * steps.ms;
        let t1 = t0 + steps.ms;

        let demand = demand::<FULL>(site, &s.battery, self.table, k);
        let start = battery_units::<FULL>(site, &mut s.battery, clock, self.keep);
        let span = span::<P, FULL, CHAIN>(site, s, clock, k, t0, t1, forced, steps, &demand);
        let seg = segment::<P, FULL, CHAIN>(site, s, k, t0, span.dt, &span, &demand, steps);
        if seg.end == t1 {
            return record::<P, R, FULL>(
                site,
                s,
                recorder,
                k,
                &span.supply,
                &demand,
                &start,
                &seg,
                self.lean,
            );
        }
        self.segments(recorder, k, forced, &demand, &start, span, seg)
    }

    /// The rest of [`Simulation::advance`] for a step that something splits: the segments
    /// after the first, each tallied as an event piece, and the step's record as the
    /// energy-weighted average of all of them (powers = energy ÷ step length, availability the
    /// time average, SoC at the end).
    #[inline(never)]
    fn segments<R: Recorder + ?Sized>(
        &mut self,
        recorder: &mut R,
        k: u64,
        forced: Option<Fraction>,
        demand: &Demand,
        start: &BatteryStart,
        mut span: Span,
        mut seg: Segment,
    ) -> StepRecord {
        let site = self.site;
        let fleet = &site.battery;
        let s = &mut self.state;
        let steps = self.steps;
        let t0 = k * steps.ms;
        let t1 = t0 + steps.ms;
        let import_limit = site.grid.import_limit();
        let mut sums = SegmentSums::default();
        let mut t = t0;
        let mut soc_before = start.soc_before;
        let mut spans = 1;
        loop {
            let soc_after = seg.soc_after;
            let piece = Piece {
                step: k,
                start_ms: t,
                end_ms: seg.end,
                availability: span.supply.availability.value(),
                unserved_mw: seg.exchange.unserved.value(),
                soc_before,
                soc_after,
            };
            debug_assert!(
                seg.residual_mw(demand).abs() <= BALANCE_TOLERANCE * demand.total.value().max(1.0),
                "energy balance does not close at step {k}, segment [{t}, {}) ms: residual {} MW",
                seg.end,
                seg.residual_mw(demand)
            );
            s.tally.piece(&piece, import_limit);
            shed(site, &mut s.tally, k, t, seg.end, piece.unserved_mw, demand);
            sums.add(&span.supply, &seg, seg.end - t);
            t = seg.end;
            soc_before = soc_after;
            if t == t1 {
                break;
            }
            if t == span.end || seg.ends_span {
                spans += 1;
                if t < span.measured_end {
                    span = span_rest(site, s, k, t, &span, steps, demand);
                } else if spans < MAX_SPANS_PER_STEP {
                    span = self::span::<P, true, true>(
                        site,
                        s,
                        &self.clock,
                        k,
                        t,
                        t1,
                        forced,
                        steps,
                        demand,
                    );
                } else {
                    span = averaged_span(site, s, &self.clock, k, t, t1, steps, demand);
                }
            }
            // The rest of the span (all of it unless the battery emptied or filled inside it).
            let dt = if t == span.start {
                span.dt
            } else {
                steps.hours(span.end - t)
            };
            seg = segment::<P, true, true>(site, s, k, t, dt, &span, demand, steps);
        }
        let per_ms = 1.0 / steps.ms as f64;
        let avg = |x: f64| x * per_ms;
        let row = StepRecord {
            step: k,
            time_s: site.time.offset(k).secs_f64(),
            facility_mw: demand.facility.value(),
            aux_mw: demand.aux.value(),
            availability: avg(sums.availability),
            available_import_mw: avg(sums.available),
            import_mw: avg(sums.import),
            export_mw: avg(sums.export),
            discharge_mw: avg(sums.discharge),
            charge_mw: avg(sums.charge),
            generation_mw: avg(sums.generation),
            unserved_mw: avg(sums.unserved),
            curtailment_mw: avg(sums.curtailment),
            soc: soc_before,
        };
        debug_assert!(
            row.balance_residual_mw().abs() <= BALANCE_TOLERANCE * demand.total.value().max(1.0),
            "energy balance does not close at step {k}: residual {} MW",
            row.balance_residual_mw()
        );
        if self.lean {
            s.tally.add_lean(&row);
        } else {
            s.tally.add_step(&row, fleet.reserve_soc().value());
            s.tally
                .add_losses(sums.charge_loss, sums.discharge_loss, start.self_loss);
        }
        s.step = k + 1;
        recorder.record(&row);
        row
    }

    /// Runs to the end of the horizon. With a recorder that does not want every step (`()`),
    /// quiet stretches are jumped over unless [`Simulation::set_fast_forward`] turned that off.
    pub fn run<R: Recorder + ?Sized>(&mut self, recorder: &mut R) -> &mut Self {
        if self.fast_forward && !recorder.wants_every_step() {
            self.prepare_jumps();
            loop {
                if let Some(to) = self.quiet_until(u64::MAX) {
                    self.skip_to(to);
                }
                if self.step(recorder).is_none() {
                    break;
                }
            }
        } else {
            while self.step(recorder).is_some() {}
        }
        self
    }

    /// Runs to the start of step `target` (or the horizon's end), jumping over quiet stretches
    /// unless [`Simulation::set_fast_forward`] turned that off: [`Simulation::run`] with a stop.
    pub(crate) fn run_to(&mut self, target: u64) {
        self.prepare_jumps();
        while self.state.step < target {
            if self.fast_forward {
                if let Some(to) = self.quiet_until(target) {
                    self.skip_to(to);
                    continue;
                }
            }
            if self.step(&mut ()).is_none() {
                break;
            }
        }
    }

    /// Builds what [`Simulation::skip_to`] reads and the site builds on first use (the load's
    /// change extrema, for the grid ramps a run that is not lean keeps), so that the step loop
    /// that jumps does not allocate; nothing when the run does not jump (fast-forward off).
    fn prepare_jumps(&self) {
        if let (Some(table), true, false) = (self.table, self.fast_forward, self.lean) {
            table.prepare_change_extrema();
        }
    }

    /// The end of the quiet stretch from the next step `k` (see [`fast_forward`]), if it
    /// holds more than step `k`... or `None`: the step after the last in which the grid offers
    /// the same import, no battery unit changes, and the demand stays at or under what the policy
    /// declares itself idle up to. Cheap checks first, so a step that cannot be skipped costs
    /// a few comparisons.
    /// The stretch ends at step `limit` at the latest, and with the step in which a year of
    /// life ends (whose mark [`Simulation::skip_to`] then takes).
    #[inline]
    fn quiet_until(&self, limit: u64) -> Option<u64> {
        let site = self.site;
        let s = &self.state;
        let k = s.step;
        if self.keep < 1.0 || s.tally.has_open_event() {
            return None;
        }
        if site
            .battery
            .lifetime()
            .is_some_and(|l| l.enclosure().is_some())
        {
            // The enclosure's temperature relaxes while the battery rests, and its HVAC draw
            // with it: such runs step every step (see the fast-forward module docs).
            return None;
        }
        let chain = match (&site.backup, &s.backup) {
            (Some(b), Some(bs)) => b.rest_until_ms(bs)?,
            _ => u64::MAX,
        };
        let table = self.table?;
        let (mut end, availability) = site.grid.quiet_until(&s.grid, k, table.len())?;
        if availability.value() < 1.0 - OUTAGE_EPSILON {
            // An impaired grid extends the open outage event step by step.
            return None;
        }
        let units = site.battery.units_rest_until_ms(&s.battery)?;
        // A unit's change, a repair or a delivery is applied in the step it falls in.
        for next in [units, chain] {
            if next != u64::MAX {
                end = end.min(next.saturating_sub(1) / self.steps.ms);
            }
        }
        end = end.min(limit);
        if self.next_year_ms != u64::MAX {
            // The step in which a year of life ends is the stretch's last: its mark (and the
            // augmentation plan's year) are taken at its end.
            end = end.min(self.next_year_ms.div_ceil(self.steps.ms));
        }
        if end <= k + 1 {
            return None;
        }
        // What the feed offers step k (the whole stretch): no generation, the grid quiet.
        let supply = Supply::new(site, availability, Generation::default());
        let demand = demand::<true>(site, &s.battery, Some(table), k);
        let obs = observation(
            site,
            s,
            &site.battery.scale(&s.battery),
            k,
            self.steps.dt,
            &supply,
            &demand,
        );
        let idle = s.policy.idle_below(&obs)?;
        if idle.value().is_nan() {
            return None;
        }
        // A draw that follows the temperature is bounded by its largest hour: a step whose
        // demand only that bound puts over the policy's idle level is stepped, not skipped.
        let aux = site
            .battery
            .max_aux_in(&s.battery)
            .map_or(demand.aux, |m| m.max(demand.aux));
        let to = table.first_above(k, end, |f| Power::mw(f) + aux > idle);
        (to > k).then_some(to)
    }

    /// Jumps from the next step to step `to`, the end of a quiet stretch from
    /// [`Simulation::quiet_until`]: the totals of its steps (each imports its demand, nothing
    /// else moves) from the load table's prefix sums, the grid's step counter, the import the
    /// next step's policy sees. The battery, its units and the policy are as stepping would
    /// leave them: unchanged.
    ///
    /// With lifetime models the battery ages over the stretch as one segment (calendar fade
    /// from the ambient's hourly prefix sums at the resting SoC; the stored energy above the
    /// shrinking window's ceiling removed as a degradation loss), a temperature-driven
    /// auxiliary draw is summed from its hourly prefix sums, and a year of life that ends with
    /// the stretch is marked.
    #[inline]
    fn skip_to(&mut self, to: u64) {
        let site = self.site;
        let Some(table) = self.table else {
            return;
        };
        let fleet = &site.battery;
        let (ms, dt) = (self.steps.ms, self.steps.dt);
        let s = &mut self.state;
        let k = s.step;
        let n = to - k;
        let (t0, t1) = (k * ms, to * ms);
        let soc_first = fleet.soc(&s.battery).value();
        // The auxiliary draw: constant, or summed over the stretch (MW·steps) and read for
        // the steps whose imports the tally and the next policy see.
        let varying = fleet.aux_energy_in(&s.battery, t0, t1);
        // Constant over the stretch: the installed units' (an augmentation plan's added units
        // draw too).
        let constant = fleet.aux_load_in(&s.battery, t0, t0 + ms);
        let total_aux = varying.map_or(constant.value() * n as f64, |mwh| mwh / dt.value());
        if fleet.lifetime().is_some() {
            // The stretch's first step as stepping ages it (its SoC ramps from the last
            // segment's pre-fade SoC), the rest as one segment held at the resting SoC.
            let first = t0 + ms;
            fleet.age(&mut s.battery, t0, first, dt);
            if to > k + 1 {
                fleet.age(&mut s.battery, first, t1, self.steps.hours(t1 - first));
            }
        }
        let soc_last = fleet.soc(&s.battery).value();
        s.tally.skip(
            n,
            table.sum(k, to),
            total_aux,
            soc_first,
            soc_last,
            fleet.reserve_soc().value(),
        );
        let aux_at = |j: u64| match varying {
            None => constant,
            Some(_) => fleet.aux_load_in(&s.battery, j * ms, (j + 1) * ms),
        };
        let last_aux = aux_at(to - 1);
        if !self.lean {
            match varying {
                None => s.tally.skip_ramps(table, k, n, last_aux.value()),
                Some(_) => {
                    for j in k..to {
                        let import = table.facility(j) + aux_at(j).value();
                        s.tally.ramp_step(import);
                    }
                }
            }
        }
        site.grid.skip_to(&mut s.grid, to);
        s.previous_import = Power::mw(table.facility(to - 1)) + last_aux;
        self.skipped += n;
        s.step = to;
        self.year_end(to - 1);
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
            grid_ramps: tally.grid_ramps(self.state.policy.ramp_limit()),
            backup: match (&site.backup, &self.state.backup) {
                (Some(b), Some(bs)) => Some(b.report(bs, self.state.step * self.steps.ms)),
                _ => None,
            },
            lifetime: self.lifetime_report(totals.aux_mwh),
            costs: None,
            tiers: site.load.tiers().map(|_| {
                let t = tally.tier_tally().copied().unwrap_or_default();
                t.report(site.time.step_hours().value())
            }),
        }
    }

    /// The report's lifetime part: the fade as it stands, with the rainflow residue counted as
    /// half cycles (on a copy: the run's own counter goes on), when the fleet has lifetime
    /// models.
    fn lifetime_report(&self, aux_mwh: f64) -> Option<LifetimeReport> {
        let fleet = &self.site.battery;
        fleet.lifetime()?;
        let state = fleet.settled_life_state(&self.state.battery)?;
        let now = self.state.step * self.steps.ms;
        let usable = fleet.usable_energy().value();
        let mut years = Vec::new();
        if let Some(last) = self.life_mark(now, true) {
            // A mark counts the rainflow residue's open cycles as the half cycles that
            // finishing the run closes (`AgeingState::open_cycle_fade`), so a mark at the run's
            // end holds the finished sums to rounding: it stands for its year as it is.
            let mut from = YearMark::start();
            for (i, mark) in self.state.years.iter().enumerate() {
                years.push(YearOfLife::between(i as u32 + 1, &from, mark, usable));
                from = *mark;
            }
            if now > from.end_ms {
                let year = years.len() as u32 + 1;
                years.push(YearOfLife::between(year, &from, &last, usable));
            }
        }
        let sums = fleet.life_sums(&self.state.battery, true);
        let (cf, calendar, cycle, efc) = sums.map_or((1.0, 0.0, 0.0, 0.0), |s| {
            (
                s.capacity_factor,
                s.calendar_fade,
                s.cycle_fade,
                s.equivalent_full_cycles,
            )
        });
        Some(LifetimeReport {
            capacity_factor: cf,
            // Without an ageing model the window never shrinks.
            usable_mwh_end: sums.map_or(usable, |s| s.usable.value()),
            augmentation: sums
                .and_then(|s| s.augmentation.map(|a| AugmentationMark::of(&a, s.usable))),
            calendar_fade: calendar,
            cycle_fade: cycle,
            equivalent_full_cycles: efc,
            mean_ambient_c: state.mean_ambient_c(),
            enclosure: state.enclosure.as_ref().map(|e| e.summary()),
            aux_mwh,
            fade_loss_mwh: state.fade_loss.value(),
            soc_capacity_factor: 1.0 / state.inv_capacity_factor,
            years,
        })
    }
}

/// A year of life in milliseconds ([`HOURS_PER_LIFE_YEAR`]).
const YEAR_MS: u64 = HOURS_PER_LIFE_YEAR * crate::units::MS_PER_HOUR;

/// The step's length in milliseconds and in hours (computed once per simulation).
#[derive(Debug, Clone, Copy)]
struct Steps {
    ms: u64,
    dt: Hours,
}

impl Steps {
    /// `len` ms in hours (the step's own `dt` for a whole step, bit for bit).
    #[inline(always)]
    fn hours(self, len: u64) -> Hours {
        if len == self.ms {
            self.dt
        } else {
            Duration::from_millis(len).hours()
        }
    }
}

/// The span stage's result: how far nothing changes, and what the grid offers until then.
#[derive(Debug, Clone, Copy)]
struct Span {
    /// The span's start (ms from the start).
    start: u64,
    /// The span's end (ms from the start): the step's end or the next change before it.
    end: u64,
    /// The span's length.
    dt: Hours,
    /// What the grid feed offers over the span.
    supply: Supply,
    /// How far the grid and the battery units were measured for it (at or after `end`; after
    /// it when the backup chain cut the span at one of its events): nothing of theirs changes
    /// before, and their states stand here, so a span starting before it reads the same
    /// supply instead of measuring again ([`span_rest`]).
    measured_end: u64,
}

impl Span {
    /// The span `[start, end)` over which the feed offers `availability` of its limits.
    #[inline(always)]
    fn new(
        site: &Site,
        start: u64,
        end: u64,
        steps: Steps,
        availability: Fraction,
        generation: Generation,
    ) -> Span {
        Span {
            start,
            end,
            dt: steps.hours(end - start),
            supply: Supply::new(site, availability, generation),
            measured_end: end,
        }
    }
}

/// What the grid feed offers over a span.
#[derive(Debug, Clone, Copy)]
struct Supply {
    /// Available fraction of the import limit over the span (its average; constant when the
    /// span has no change inside it).
    availability: Fraction,
    /// The feed's import limit when fully available.
    import_limit: Power,
    /// Import available.
    available: Power,
    /// Export allowed.
    export_allowed: Power,
    /// What the running generator sets offer (nothing without a backup chain).
    generation: Generation,
}

impl Supply {
    /// What the feed offers with `availability` of its limits, beside `generation`.
    #[inline(always)]
    fn new(site: &Site, availability: Fraction, generation: Generation) -> Supply {
        let import_limit = site.grid.import_limit();
        Supply {
            availability,
            import_limit,
            available: import_limit * availability,
            export_allowed: site.grid.export_limit() * availability,
            generation,
        }
    }
}

/// Stage 1's result: what the site draws this step.
#[derive(Debug, Clone, Copy)]
struct Demand {
    /// Facility load (IT × PUE).
    facility: Power,
    /// Battery auxiliary load.
    aux: Power,
    /// `facility + aux`.
    total: Power,
}

/// Stage 2's result: the battery at the start of the step.
#[derive(Debug, Clone, Copy)]
struct BatteryStart {
    /// SoC at the start of the step, before self-discharge.
    soc_before: f64,
    /// Energy lost to self-discharge this step.
    self_loss: Energy,
}

/// The policy stage's result: what the policy saw and what it asked for (positive discharges).
#[derive(Debug, Clone, Copy)]
struct Decision {
    obs: Observation,
    request: Power,
}

/// The clamp stage's result: the battery's flows after the physical limits (both ≥ 0, at most
/// one > 0).
#[derive(Debug, Clone, Copy)]
struct BatteryFlows {
    discharge: Power,
    charge: Power,
    /// The segment's one-way efficiencies.
    eta: Efficiency,
}

/// The grid stage's result: the grid exchange, the generators' output and the load nobody
/// served.
#[derive(Debug, Clone, Copy)]
struct Exchange {
    import: Power,
    export: Power,
    /// Generator output (curtailed part included).
    generation: Power,
    /// Generator output nobody took (minimum loading).
    curtailment: Power,
    unserved: Power,
}

/// One settled segment `[t, end)`: its flows, exchange and battery losses.
#[derive(Debug, Clone, Copy)]
struct Segment {
    end: u64,
    /// Whether the span ends with the segment although `end` is before the span's end (a fuel
    /// tank ran dry: the generators' state changes there).
    ends_span: bool,
    flows: BatteryFlows,
    exchange: Exchange,
    losses: StepLosses,
    /// The battery's SoC at the segment's end (after ageing).
    soc_after: f64,
}

impl Segment {
    /// The segment's balance residual (MW), as [`StepRecord::balance_residual_mw`].
    fn residual_mw(&self, demand: &Demand) -> f64 {
        let (f, x) = (&self.flows, &self.exchange);
        (x.import + f.discharge + x.generation + x.unserved
            - (demand.total + f.charge + x.export + x.curtailment))
            .value()
    }
}

/// Energy sums (MW·ms) of a split step's segments.
#[derive(Debug, Clone, Copy, Default)]
struct SegmentSums {
    availability: f64,
    available: f64,
    import: f64,
    export: f64,
    discharge: f64,
    charge: f64,
    generation: f64,
    curtailment: f64,
    unserved: f64,
    charge_loss: Energy,
    discharge_loss: Energy,
}

impl SegmentSums {
    fn add(&mut self, supply: &Supply, seg: &Segment, len: u64) {
        let w = len as f64;
        self.availability += supply.availability.value() * w;
        self.available += supply.available.value() * w;
        self.import += seg.exchange.import.value() * w;
        self.export += seg.exchange.export.value() * w;
        self.discharge += seg.flows.discharge.value() * w;
        self.charge += seg.flows.charge.value() * w;
        self.generation += seg.exchange.generation.value() * w;
        self.curtailment += seg.exchange.curtailment.value() * w;
        self.unserved += seg.exchange.unserved.value() * w;
        self.charge_loss += seg.losses.charge;
        self.discharge_loss += seg.losses.discharge;
    }
}

/// Stage 1, demand: the facility's average load over step `k` (from the site's step table when
/// it has one: one read, bit for bit the load model's value) plus the battery's auxiliary load
/// (constant, or with `[battery.thermal]` following the ambient temperature over the step).
#[inline(always)]
fn demand<const FULL: bool>(
    site: &Site,
    battery: &BatteryState,
    table: Option<&StepTable>,
    k: u64,
) -> Demand {
    let (facility, tabled_aux) = match table {
        Some(t) if k < t.len() => (Power::mw(t.facility(k)), t.aux(k)),
        _ => (site.load.facility_power(k), None),
    };
    let aux = if FULL && !site.battery.is_plain() {
        match tabled_aux {
            Some(a) => Power::mw(a),
            None => {
                let ms = site.time.step().as_millis();
                site.battery.aux_load_in(battery, k * ms, (k + 1) * ms)
            }
        }
    } else {
        site.battery.aux_load()
    };
    Demand {
        facility,
        aux,
        total: facility + aux,
    }
}

/// Stage 2, battery units and self-discharge: units that failed or returned by the step's start
/// lock or release their energy, then the fleet keeps `keep` of its energy (never below the
/// window floor); with an enclosure, the energy lost is heat inside it (heating the next step).
#[inline(always)]
fn battery_units<const FULL: bool>(
    site: &Site,
    battery: &mut BatteryState,
    clock: &Clock,
    keep: f64,
) -> BatteryStart {
    let fleet = &site.battery;
    if FULL && fleet.has_unit_failures() {
        fleet.units_at(battery, clock);
    }
    let soc_before = fleet
        .soc_in(battery, &scale::<FULL>(fleet, battery))
        .value();
    let self_loss = fleet.apply_self_discharge(battery, keep);
    if FULL && self_loss.value() > 0.0 {
        // Released inside the units: with an enclosure, it heats the next step.
        fleet.heat_enclosure_self_discharge(battery, self_loss);
    }
    BatteryStart {
        soc_before,
        self_loss,
    }
}

/// Stage 3a, span: from `t`, how far nothing changes (the step's end `t1`, or the first grid or
/// battery unit transition before it; only `t1` with `forced` availability); battery units
/// that changed at `t` lock or release their energy, the units are measured over the span, and
/// the grid's availability over it (or `forced`) gives the import and export it allows.
#[inline(always)]
fn span<P: Dispatch, const FULL: bool, const CHAIN: bool>(
    site: &Site,
    s: &mut SimState<P>,
    clock: &Clock,
    k: u64,
    t: u64,
    t1: u64,
    forced: Option<Fraction>,
    steps: Steps,
    demand: &Demand,
) -> Span {
    let fleet = &site.battery;
    let (mut end, availability) = match forced {
        Some(a) => {
            if FULL && fleet.has_unit_failures() {
                fleet.units_over(&mut s.battery, t, t1, clock);
            }
            (t1, a)
        }
        None => {
            let next = site.grid.next_change_ms(&s.grid, t);
            // Every change lies after `t`; the guard only keeps a span from being empty.
            debug_assert!(next > t, "a grid change at or before the span's start");
            let until = if next >= t1 { t1 } else { next.max(t + 1) };
            let end = if FULL && fleet.has_unit_failures() {
                fleet.units_span(&mut s.battery, t, until, clock)
            } else {
                until
            };
            (end, site.grid.availability_over(&mut s.grid, k, t, end))
        }
    };
    let generation = backup_span::<P, CHAIN>(site, s, k, t, availability, demand);
    let measured_end = end;
    if CHAIN {
        end = chain_end(site, s, t, end);
    }
    Span {
        measured_end,
        ..Span::new(site, t, end, steps, availability, generation)
    }
}

/// A span's end `end` cut at the backup chain's next event (none without a chain). Every
/// event of the chain lies after `t` once `span_start` applied those up to it.
#[inline(always)]
fn chain_end<P>(site: &Site, s: &SimState<P>, t: u64, end: u64) -> u64 {
    match (&site.backup, &s.backup) {
        (Some(b), Some(bs)) => end.min(b.next_event_ms(bs).max(t + 1)),
        _ => end,
    }
}

/// The span stage for a span that starts at `t` inside the part `last` measured (the backup
/// chain cut `last` at one of its events, or a tank ran dry inside it): the grid and the
/// battery units, stepped to `last.measured_end` already and unchanged before it, offer what
/// they offered over `last`; only the chain looks again at `t`. (Measuring them again from `t`
/// would read their states at `measured_end`, past a change that may lie there.)
#[cold]
fn span_rest<P: Dispatch>(
    site: &Site,
    s: &mut SimState<P>,
    k: u64,
    t: u64,
    last: &Span,
    steps: Steps,
    demand: &Demand,
) -> Span {
    debug_assert!(t < last.measured_end);
    let availability = last.supply.availability;
    let generation = backup_span::<P, true>(site, s, k, t, availability, demand);
    let end = chain_end(site, s, t, last.measured_end);
    Span {
        measured_end: last.measured_end,
        ..Span::new(site, t, end, steps, availability, generation)
    }
}

/// Stage 3a's part for the backup chain (see [`backup`]): the transfer switch and the
/// generators' events at `t`, and what the running sets offer from there (nothing without a
/// chain, or when compiled without one: `CHAIN` false).
#[inline(always)]
fn backup_span<P: Dispatch, const CHAIN: bool>(
    site: &Site,
    s: &mut SimState<P>,
    k: u64,
    t: u64,
    availability: Fraction,
    demand: &Demand,
) -> Generation {
    if !CHAIN {
        return Generation::default();
    }
    match (&site.backup, &mut s.backup) {
        (Some(b), Some(bs)) => {
            let impaired = availability.value() < 1.0 - OUTAGE_EPSILON;
            let available = site.grid.import_limit() * availability;
            let (policy, battery, fleet) = (&mut s.policy, &s.battery, &site.battery);
            let ask = |chain: &Backup, state: &BackupState| {
                policy.generators(&GeneratorView {
                    step: k,
                    time: Duration::from_millis(t),
                    demand: demand.total,
                    available_import: available,
                    energy: battery.energy,
                    reserve_energy: fleet.reserve_energy_in(&fleet.scale(battery)),
                    chain,
                    state,
                })
            };
            b.span_start(bs, t, impaired, available, demand.total, ask)
        }
        _ => Generation::default(),
    }
}

/// The span stage's fallback for a step with [`MAX_SPANS_PER_STEP`] spans already: the rest of
/// the step as one span, over which the grid's availability and the units up are averaged (as
/// a step was settled before segments), so a step's cost stays bounded when thousands of units
/// change state inside it (each span costs O(units) where a unit changes).
#[cold]
fn averaged_span<P: Dispatch>(
    site: &Site,
    s: &mut SimState<P>,
    clock: &Clock,
    k: u64,
    t: u64,
    t1: u64,
    steps: Steps,
    demand: &Demand,
) -> Span {
    let fleet = &site.battery;
    fleet.units_at(&mut s.battery, clock);
    fleet.units_over(&mut s.battery, t, t1, clock);
    let availability = site.grid.availability_over(&mut s.grid, k, t, t1);
    let generation = backup_span::<P, true>(site, s, k, t, availability, demand);
    Span::new(site, t, t1, steps, availability, generation)
}

/// The most spans a step is split into at grid and unit changes; the rest of a step with more
/// changes is one span over which the grid and the units are averaged. A transition costs O(units) (the unit set
/// looks for its next event among all units), so without a bound a set of N units changing
/// N times a step would cost O(N²) a step (200,000 battery units failing once a day: hours of
/// run time). 64 changes in one step is far beyond any realistic feed or fleet at the bundled
/// steps; the battery emptying or filling still ends a segment exactly.
pub const MAX_SPANS_PER_STEP: u32 = 64;

/// Stage 3b, segment: from `t` inside `span` (`dt` is the time from `t` to the span's end), the
/// policy decides, the clamp cuts the request (and ends the segment where the battery empties or
/// fills), the grid covers the rest and the battery settles over the segment's length. Sets the
/// previous import the next segment's policy sees.
#[inline(always)]
fn segment<P: Dispatch, const FULL: bool, const CHAIN: bool>(
    site: &Site,
    s: &mut SimState<P>,
    k: u64,
    t: u64,
    dt: Hours,
    span: &Span,
    demand: &Demand,
    steps: Steps,
) -> Segment {
    let fleet = &site.battery;
    let sc = scale::<FULL>(fleet, &s.battery);
    let decision = policy(site, s, &sc, k, dt, &span.supply, demand);
    let gen = &span.supply.generation;
    let mut request = decision.request;
    // Not discharging (a NaN request counts as zero, as in the clamp).
    let discharging = request > Power::ZERO;
    if CHAIN && gen.running > 0 && !discharging {
        // The sets deliver at least their minimum: what the site cannot take of it charges the
        // battery (within the clamp's limits; the rest is curtailed).
        let surplus = (gen.minimum - demand.total).max(Power::ZERO);
        if surplus > Power::ZERO {
            request = request.min(-surplus);
        }
    }
    let (flows, mut end) = clamp(site, &s.battery, &sc, request, &decision.obs, t, span.end);
    let exchange = grid::<CHAIN>(&span.supply, demand, &flows);
    let mut ends_span = false;
    if let (true, Some(b), Some(bs)) = (CHAIN, &site.backup, &s.backup) {
        // Idle sets burn fuel too: a tank runs dry (and its sets stop) whatever they deliver.
        let dry = b.ms_to_dry(bs, gen, exchange.generation, end - t);
        if dry <= end - t {
            end = t + dry.max(1);
            ends_span = true;
        }
    }
    let len_dt = if end == span.end {
        dt
    } else {
        steps.hours(end - t)
    };
    let losses = settle(site, &mut s.battery, &sc, &flows, len_dt);
    // Settling moves the energy, not the scale; ageing may refresh it.
    let soc_after = if FULL && age(site, &mut s.battery, t, end, len_dt, &losses) {
        fleet.soc(&s.battery)
    } else {
        fleet.soc_in(&s.battery, &sc)
    };
    if let (true, Some(b), Some(bs)) = (CHAIN, &site.backup, &mut s.backup) {
        b.settle(
            bs,
            gen,
            exchange.generation,
            exchange.curtailment,
            exchange.unserved,
            t,
            end,
        );
    }
    s.previous_import = exchange.import;
    Segment {
        end,
        ends_span,
        flows,
        exchange,
        losses,
        soc_after: soc_after.value(),
    }
}

/// Stage 4, policy: the policy sees the segment's [`Observation`] and asks for a battery power.
#[inline(always)]
fn policy<P: Dispatch>(
    site: &Site,
    s: &mut SimState<P>,
    sc: &Scale,
    k: u64,
    dt: Hours,
    supply: &Supply,
    demand: &Demand,
) -> Decision {
    let obs = observation(site, s, sc, k, dt, supply, demand);
    let request = s.policy.decide(&obs);
    Decision { obs, request }
}

/// What the policy sees at the start of a segment of step `k` of length `dt`.
#[inline(always)]
fn observation<P>(
    site: &Site,
    s: &SimState<P>,
    sc: &Scale,
    k: u64,
    dt: Hours,
    supply: &Supply,
    demand: &Demand,
) -> Observation {
    let fleet = &site.battery;
    let b = &s.battery;
    Observation {
        step: k,
        dt,
        demand: demand.total,
        available_import: supply.available,
        available_generation: supply.generation.capacity,
        import_limit: supply.import_limit,
        export_allowed: supply.export_allowed,
        previous_import: s.previous_import,
        energy: b.energy,
        soc: fleet.soc_in(b, sc),
        reserve_energy: fleet.reserve_energy_in(sc),
        max_energy: fleet.max_energy_in(sc),
        capacity: fleet.capacity_in(sc),
        max_discharge: fleet.max_discharge_above_in(b, sc, fleet.min_energy(), dt),
        max_discharge_above_reserve: fleet.max_discharge_above_in(
            b,
            sc,
            fleet.reserve_energy(),
            dt,
        ),
        max_charge: fleet.max_charge_in(b, sc, dt, sc.eta().charge),
        charge_efficiency: fleet.charge_efficiency(),
        price: site.tariff.as_ref().map_or(Price::ZERO, |t| t.price(k)),
    }
}

/// Stage 5, clamp: the request cut to the fleet's power limits; charging only from grid
/// headroom, discharging only into the demand plus what may be exported. A NaN request is
/// treated as zero. Returns the flows and the segment's end: `end`, unless the battery would
/// reach its window floor (ceiling) before it at this power, in which case the segment ends at
/// the last whole millisecond before it empties (fills), and the next segment starts from
/// there. A battery that would empty (fill) within a millisecond gives (takes) the constant
/// power its window allows until `end` instead, as a whole step does.
#[inline(always)]
fn clamp(
    site: &Site,
    battery: &BatteryState,
    sc: &Scale,
    request: Power,
    obs: &Observation,
    t: u64,
    end: u64,
) -> (BatteryFlows, u64) {
    let fleet = &site.battery;
    if request > Power::ZERO {
        let p = request
            .min(fleet.discharge_limit_in(sc))
            .min(obs.demand + obs.export_allowed);
        let (eta, max) = conversion(fleet, battery, sc, obs, p, Power::ZERO);
        // The common case: enough energy for the whole segment at this power.
        if p <= max.discharge {
            let flows = BatteryFlows {
                discharge: p,
                charge: Power::ZERO,
                eta,
            };
            return (flows, end);
        }
        let ms = fleet.ms_to_floor_in(battery, sc, p, eta.discharge);
        let (p, end) = until_empty(ms, p, max.discharge, t, end);
        let flows = BatteryFlows {
            discharge: p,
            charge: Power::ZERO,
            eta,
        };
        (flows, end)
    } else if request < Power::ZERO {
        let headroom =
            (obs.available_import + obs.available_generation - obs.demand).max(Power::ZERO);
        let c = (-request).min(fleet.charge_limit_in(sc)).min(headroom);
        let (eta, max) = conversion(fleet, battery, sc, obs, Power::ZERO, c);
        if c <= max.charge {
            let flows = BatteryFlows {
                discharge: Power::ZERO,
                charge: c,
                eta,
            };
            return (flows, end);
        }
        let ms = fleet.ms_to_ceiling_in(battery, sc, c, eta.charge);
        let (c, end) = until_empty(ms, c, max.charge, t, end);
        let flows = BatteryFlows {
            discharge: Power::ZERO,
            charge: c,
            eta,
        };
        (flows, end)
    } else {
        let flows = BatteryFlows {
            discharge: Power::ZERO,
            charge: Power::ZERO,
            eta: sc.eta(),
        };
        (flows, end)
    }
}

/// The clamp's part for conversion: the one-way efficiencies of a segment that discharges `p`
/// or charges `c`, and the largest powers the window allows over the segment at them. Without
/// lifetime models, the unit's constant efficiencies and the observation's limits (bit for bit
/// what the clamp used before); with an efficiency curve, the curve at this loading, so the
/// segment's energy limits, its end where the battery empties or fills and its settling all
/// use the one efficiency. (In the rare case the window cuts the power for the whole segment,
/// the efficiency stays the one at the loading asked for.)
#[inline(always)]
fn conversion(
    fleet: &Fleet,
    battery: &BatteryState,
    sc: &Scale,
    obs: &Observation,
    p: Power,
    c: Power,
) -> (Efficiency, BatteryFlowLimits) {
    if fleet.lifetime().is_none() {
        let limits = BatteryFlowLimits {
            discharge: obs.max_discharge,
            charge: obs.max_charge,
        };
        return (sc.eta(), limits);
    }
    let eta = fleet.efficiency_in(battery, sc, p, c);
    let limits = BatteryFlowLimits {
        discharge: fleet.max_discharge_in(battery, sc, obs.dt, eta.discharge),
        charge: fleet.max_charge_in(battery, sc, obs.dt, eta.charge),
    };
    (eta, limits)
}

/// The largest powers the window allows over a segment (see [`conversion`]).
#[derive(Debug, Clone, Copy)]
struct BatteryFlowLimits {
    discharge: Power,
    charge: Power,
}

/// Where a flow `p` that the window cannot sustain over `[t, end)` stops: after `ms` whole
/// milliseconds (the fleet's time to its floor or ceiling at `p`), or, if that is under a
/// millisecond (or, by rounding, the whole segment), `whole` (the constant power the window
/// allows until `end`) for the whole segment.
#[cold]
fn until_empty(ms: u64, p: Power, whole: Power, t: u64, end: u64) -> (Power, u64) {
    if ms == 0 || ms >= end - t {
        (whole, end)
    } else {
        (p, t + ms)
    }
}

/// Stage 6, grid and generators: running generator sets cover what the available import
/// cannot, delivering at least their minimum output (what nobody takes of it is curtailed);
/// import covers the rest of what the battery does not, up to the available import; a
/// battery surplus is exported; the rest of the demand is unserved.
#[inline(always)]
fn grid<const CHAIN: bool>(supply: &Supply, demand: &Demand, flows: &BatteryFlows) -> Exchange {
    let need = demand.total - flows.discharge + flows.charge;
    let export = (-need).max(Power::ZERO);
    let gen = &supply.generation;
    let (generation, curtailment, rest) = if !CHAIN || gen.running == 0 {
        (Power::ZERO, Power::ZERO, need)
    } else {
        let g = (need - supply.available).clamp_to(gen.minimum, gen.capacity);
        (g, (g - need.max(Power::ZERO)).max(Power::ZERO), need - g)
    };
    let mut import = rest.clamp_to(Power::ZERO, supply.available);
    let mut unserved = (rest - supply.available).max(Power::ZERO);
    if unserved.value() <= UNSERVED_EPSILON_MW {
        // A shortfall met to the last few ulps (e.g. demand − (demand − available)): the
        // rounding residue is import, not loss of load, so the balance stays exact.
        import = rest.max(Power::ZERO);
        unserved = Power::ZERO;
    }
    Exchange {
        import,
        export,
        generation,
        curtailment,
        unserved,
    }
}

/// Stage 7, settle: the battery's energy moves (`P·Δt·η_c` stored, `P·Δt/η_d` drained, at the
/// segment's efficiencies) over the segment's length `dt`.
#[inline(always)]
fn settle(
    site: &Site,
    battery: &mut BatteryState,
    sc: &Scale,
    flows: &BatteryFlows,
    dt: Hours,
) -> StepLosses {
    site.battery
        .settle_in(battery, sc, flows.discharge, flows.charge, dt, flows.eta)
}

/// The battery's [`Scale`] now: read from its state, or for a plain fleet (always on a plain
/// site, `FULL` false) the one scale every state of it has.
#[inline(always)]
fn scale<const FULL: bool>(fleet: &Fleet, battery: &BatteryState) -> Scale {
    if FULL && !fleet.is_plain() {
        fleet.scale(battery)
    } else {
        fleet.plain_scale()
    }
}

/// Stage 7b, age (only with lifetime models): the battery ages over the settled segment
/// `[t, end)` of length `dt` — calendar fade at the hours' ambient temperatures along the
/// segment's SoC ramp, the segment-end SoC to the streaming rainflow counter — and the stored
/// energy above the window's shrunk ceiling is removed as a degradation loss (summed in the
/// battery's life state, `fade_loss`, so the storage balance still closes). With an enclosure,
/// the segment's conversion `losses` go to it first (they heat the next step) and the cells age
/// at its temperature. Returns whether the battery's [`Scale`] may have changed (not over a
/// rest, whose factors stay as they are until its refresh).
#[inline(always)]
fn age(
    site: &Site,
    battery: &mut BatteryState,
    t: u64,
    end: u64,
    dt: Hours,
    losses: &StepLosses,
) -> bool {
    // A resting battery has no enclosure (whose temperature would move on its own).
    if site.battery.rests_through(battery, end) || site.battery.lifetime().is_none() {
        return false;
    }
    site.battery.heat_enclosure(battery, losses, dt);
    site.battery.age(battery, t, end, dt);
    true
}

/// Stage 8, record, for a step that is one segment: the step's row, the balance check (debug
/// builds), the tally (the step is also the one piece of its events), the state's step counter,
/// and the recorder.
#[inline(always)]
fn record<P, R: Recorder + ?Sized, const FULL: bool>(
    site: &Site,
    s: &mut SimState<P>,
    recorder: &mut R,
    k: u64,
    supply: &Supply,
    demand: &Demand,
    start: &BatteryStart,
    seg: &Segment,
    lean: bool,
) -> StepRecord {
    let fleet = &site.battery;
    let (flows, exchange) = (&seg.flows, &seg.exchange);
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
        generation_mw: exchange.generation.value(),
        unserved_mw: exchange.unserved.value(),
        curtailment_mw: exchange.curtailment.value(),
        soc: seg.soc_after,
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
        lean,
    );
    shed(
        site,
        &mut s.tally,
        k,
        k * site.time.step().as_millis(),
        (k + 1) * site.time.step().as_millis(),
        row.unserved_mw,
        demand,
    );
    if !lean {
        s.tally
            .add_losses(seg.losses.charge, seg.losses.discharge, start.self_loss);
    }
    s.step = k + 1;
    recorder.record(&row);
    row
}

/// Stage 8b, shed (tiered loads only; see [`crate::components::load::tiers`]): the unserved
/// power of the piece `[start_ms, end_ms)` of step `k` allocated to the load's tiers in their
/// shedding order and added to the tally's per-tier sums. Runs only on pieces with unserved
/// load or with a tier's event open; a load without tiers pays one branch.
#[inline(always)]
fn shed(
    site: &Site,
    tally: &mut Tally,
    k: u64,
    start_ms: u64,
    end_ms: u64,
    unserved_mw: f64,
    demand: &Demand,
) {
    if let Some(tiers) = site.load.tiers() {
        if unserved_mw > UNSERVED_EPSILON_MW || tally.tier_event_open() {
            shed_tiers(
                site,
                tiers,
                tally,
                k,
                start_ms,
                end_ms,
                unserved_mw,
                demand.aux,
            );
        }
    }
}

/// [`shed`]'s work, out of line: the step's tier loads, the allocation, the tally.
#[cold]
#[inline(never)]
fn shed_tiers(
    site: &Site,
    tiers: &crate::components::load::Tiers,
    tally: &mut Tally,
    k: u64,
    start_ms: u64,
    end_ms: u64,
    unserved_mw: f64,
    aux: Power,
) {
    let Some(loads) = site.load.tier_loads(k, aux) else {
        return;
    };
    let shares = tiers.shed(&loads, unserved_mw);
    let checkpoint = tiers.checkpoint_ms().map(|ms| (ms, loads.deferrable_it));
    tally.tier_piece(k, start_ms, end_ms, &shares, checkpoint);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::scenario::Scenario;

    /// A 2-year (730-day) hourly site without ageing, a 5 MW load under a 10 MW import.
    const TWO_YEARS: &str = "seed = 1\n[time]\nstep = \"1h\"\nhorizon = \"730d\"\n\
        [grid]\nimport_limit_mw = 10.0\n\
        [battery]\npreset = \"megapack2xl_4h\"\nunits = 1\n[load]\npue = 1.0\n\
        [[load.it]]\nkind = \"constant\"\nit_mw = 5.0\n";

    fn two_years() -> crate::engine::study::Study {
        Scenario::from_toml_str(TWO_YEARS)
            .and_then(Scenario::validate)
            .unwrap()
    }

    /// `run_to` stops at the start of its target step, stepped or fast-forwarding, and at the
    /// horizon's end for a target past it.
    #[test]
    fn run_to_stops_at_the_start_of_its_target() {
        // Stepped and fast-forwarding, and fast-forwarding a site whose demand is over the
        // import (no stretch is quiet, so the next quiet step is never ahead).
        let over = Scenario::from_toml_str(&TWO_YEARS.replace("it_mw = 5.0", "it_mw = 12.0"))
            .and_then(Scenario::validate)
            .unwrap();
        for (study, ff) in [(two_years(), false), (two_years(), true), (over, true)] {
            let steps = study.time().steps();
            for target in [0, 1, 5_000, steps - 1, steps, steps + 10] {
                let mut sim = study.simulate();
                sim.set_fast_forward(ff);
                sim.run_to(target);
                assert_eq!(
                    sim.state.step,
                    target.min(steps),
                    "target {target}, ff {ff}"
                );
            }
        }
    }

    /// `run` and `run_to` build the load's change extrema (what a jump's grid ramps read, built
    /// once per site) before their first step when they will jump and keep ramps, so that the
    /// site's first run does not allocate them inside its step loop; a lean run (Monte Carlo)
    /// or one that does not jump leaves them unbuilt. (`tests/integration/step_allocations.rs`
    /// counts the step loop's allocations on each site's second run.)
    #[test]
    fn a_run_that_jumps_builds_the_change_extrema_before_its_first_step() {
        for (ff, lean, want) in [
            (true, false, true),
            (false, false, false),
            (true, true, false),
        ] {
            let study = two_years();
            let table = study.site().step_table().unwrap();
            let mut sim = study.simulate();
            sim.set_fast_forward(ff);
            if lean {
                sim.set_lean();
            }
            assert!(!table.has_change_extrema());
            // No step run: what is built, is built before the loop.
            sim.run_to(0);
            assert_eq!(sim.state.step, 0);
            assert_eq!(table.has_change_extrema(), want, "ff {ff}, lean {lean}");
        }
    }

    /// A jump leaves what the next step sees as stepping leaves it: the last skipped step's
    /// import (its facility load and its temperature-driven auxiliary draw, both changing hour
    /// by hour here), the ramps counted so far and the steps run. Jumps that end at several
    /// targets (`run_to`'s limit ends the stretch) of a 20-day hourly site with a daily load
    /// shape and the Austin ambient in July.
    #[test]
    fn a_jump_leaves_the_next_step_what_stepping_leaves_it() {
        let text = TWO_YEARS
            .replace(
                "horizon = \"730d\"",
                "horizon = \"20d\"\nstart = \"2025-07-01T00:00:00\"",
            )
            .replace(
                "kind = \"constant\"\nit_mw = 5.0\n",
                "kind = \"daily\"\npeak_mw = 6.0\nshape = [0.5, 0.6, 0.7, 0.8, 0.9, 1.0, \
                 0.9, 0.8, 0.7, 0.6, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 0.9, 0.8, 0.7, 0.6, 0.5, \
                 0.6, 0.7, 0.8]\n",
            )
            + "[battery.thermal]\nambient = \"austin_synthetic\"\n";
        let study = Scenario::from_toml_str(&text)
            .and_then(Scenario::validate)
            .unwrap();
        let table = study.site().step_table().unwrap();
        // July: the draw follows the day's heat.
        assert!(table.aux(6).is_some() && table.aux(6) != table.aux(15));
        for target in [50, 24 * 7 + 5, 24 * 13 + 17, 24 * 20] {
            let mut fast = study.simulate();
            fast.run_to(target);
            let mut stepped = study.simulate();
            stepped.set_fast_forward(false);
            stepped.run_to(target);
            assert!(fast.steps_skipped() > target / 2, "target {target}");
            assert_eq!(fast.state.step, stepped.state.step);
            let (a, b) = (fast.state.previous_import, stepped.state.previous_import);
            assert!(
                (a - b).value().abs() <= 1e-12 * b.value(),
                "target {target}: {a:?} against {b:?}"
            );
            let (ra, rb) = (fast.report().grid_ramps, stepped.report().grid_ramps);
            let close = |x: f64, y: f64| (x - y).abs() <= 1e-9 * y.abs().max(1e-9);
            assert!(
                close(ra.max_up_mw_per_s, rb.max_up_mw_per_s),
                "{ra:?} {rb:?}"
            );
            assert!(
                close(ra.max_down_mw_per_s, rb.max_down_mw_per_s),
                "{ra:?} {rb:?}"
            );
        }
    }

    /// `mark_years` marks every year's end from the next step on, wherever the run is, in room
    /// reserved then.
    #[test]
    fn years_are_marked_from_the_step_mark_years_is_called_at() {
        let study = two_years();
        for (from_step, want) in [(0, vec![YEAR_MS, 2 * YEAR_MS]), (9_000, vec![2 * YEAR_MS])] {
            let mut sim = study.simulate();
            while sim.state.step < from_step {
                sim.step(&mut ());
            }
            sim.mark_years();
            let room = sim.state.years.capacity();
            sim.run(&mut ());
            let ends: Vec<u64> = sim.state.years.iter().map(|m| m.end_ms).collect();
            assert_eq!(ends, want, "marked from step {from_step}");
            assert!(sim.state.years.len() <= room, "room for {room} marks");
        }
        // Six years: more marks than a vector's smallest allocation holds.
        let six = Scenario::from_toml_str(&TWO_YEARS.replace("730d", "2190d"))
            .and_then(Scenario::validate)
            .unwrap();
        let mut sim = six.simulate();
        sim.mark_years();
        let room = sim.state.years.capacity();
        sim.run(&mut ());
        assert_eq!(sim.state.years.len(), 6);
        assert!(sim.state.years.len() <= room, "room for {room} marks");
    }
}
