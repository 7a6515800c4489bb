//! The backup chain inside the engine: standby generator sets that an automatic transfer switch
//! starts when the grid fails, the fuel they burn, and the **transfer gap** between the grid's
//! loss and the first set carrying load.
//!
//! The components themselves ([`GeneratorFleet`], [`FuelModel`]) are event-driven models with
//! times in integer milliseconds; this module is the engine's stage that drives them. At the
//! start of every span (see [`crate::engine`]) `Backup::span_start`:
//!
//! 1. applies every generator and fuel event up to the span's start (a set ready, failing or
//!    repaired; a delivery arriving);
//! 2. runs the transfer switch: a **generator outage** begins when the grid cannot carry the
//!    site — its available import is below the demand while the feed is impaired (or, in
//!    [`GeneratorMode::PeakShaving`], whenever the available import is below the demand) — and
//!    ends when the feed is whole again (in peak-shaving mode: when the import covers the
//!    demand), stopping every set;
//! 3. during a generator outage, stops a set whose tank is dry and demands a start of every set
//!    that is off and has fuel (at the outage's start, after a repair or after a delivery);
//! 4. returns what the running sets offer over the span: the load they accept (their rating,
//!    or with a block-load limit one block above the load each last stood still at — 0 when it
//!    picks up — and one more every `block_interval`, so a load step on running sets is taken
//!    block by block too: [`GeneratorFleet::accepted`]) and their minimum output
//!    (`Generation`).
//!
//! Every generator and fuel event, and the end of the transfer gap, ends a span
//! (`Backup::next_event_ms`), so sets pick up, fail and are repaired at their own millisecond
//! inside a step. A tank running dry ends its segment at the millisecond it does
//! (`Backup::ms_to_dry`).
//!
//! # Dispatch
//! The grid's available import is used first, the generators cover what it cannot (but deliver
//! at least their minimum loading while they run), the battery covers what remains (the
//! policy sees the generators' capacity in [`Observation::available_generation`], and
//! [`Observation::shortfall`] counts it). Output the site cannot take at the minimum loading
//! charges the battery (the engine asks the battery to absorb it, within its limits), and what
//! the battery cannot take either is **curtailed** (a load bank), so the balance reads
//! `import + discharge + generation + unserved = facility + aux + charge + export +
//! curtailment`. Running sets share the output equally, and each burns fuel at
//! [`GeneratorFleet::fuel_rate`] of its share.
//!
//! # The transfer gap
//! From the grid's loss until the first set carries load — or, if none does, until the last
//! start attempt has ended (`start_retries × retry_interval + start_delay` after the loss) —
//! (with a block-load limit: until the sets that picked up accept the load the grid leaves them)
//! the site is **in transfer**: load unserved then (the battery's power limit, an empty or
//! failed battery, sets that failed to start) is reported as **load dropped in transfer**, with
//! its own events ([`TransferDrop`], to the millisecond), apart from the long-duration
//! shortfall that follows.
//!
//! [`Observation::available_generation`]: crate::engine::policy::Observation::available_generation
//! [`Observation::shortfall`]: crate::engine::policy::Observation::shortfall

use crate::components::fuel::{FuelModel, FuelParams, FuelState, FuelTally};
use crate::components::generators::{
    GeneratorFleet, GeneratorMode, GeneratorParams, GeneratorState, GeneratorTally, SetStatus,
    StartOutcome,
};
use crate::engine::policy::GeneratorCommand;
use crate::engine::report::{BackupReport, UNSERVED_EPSILON_MW};
use crate::error::ConfigError;
use crate::units::{Duration, Power, MS_PER_HOUR};
use serde::{Deserialize, Serialize};

/// The validated backup chain of a site: its generator fleet and, optionally, its fuel (without
/// a fuel model the sets never run dry, as in REopt's outage simulator by default).
#[derive(Debug, Clone, PartialEq)]
pub struct Backup {
    /// The generator sets.
    pub generators: GeneratorFleet,
    /// Their fuel (`None`: unlimited).
    pub fuel: Option<FuelModel>,
}

/// A stretch of load dropped in transfer: continuous time, inside a transfer gap, with
/// unserved load, to the millisecond.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TransferDrop {
    /// Start, from the beginning of the run.
    pub start: Duration,
    /// Length.
    pub duration: Duration,
    /// Load dropped, MWh.
    pub unserved_mwh: f64,
    /// Largest unserved power, MW.
    pub peak_shortfall_mw: f64,
}

/// One generator outage (the transfer switch on the generators' side, from the grid's loss until
/// it is whole again): what the sets generated and burnt, and the fuel in the tanks through it,
/// all tanks together. The autonomy figures read "how long this fuel lasts at the outage's mean
/// burn rate while sets ran".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GeneratorOutage {
    /// Start, from the beginning of the run.
    pub start: Duration,
    /// Length (so far, for an outage still on at the end of the run).
    pub duration: Duration,
    /// Hours with at least one set carrying load.
    pub carried_hours: f64,
    /// Energy the sets generated, MWh (curtailed output included).
    pub generation_mwh: f64,
    /// Fuel burnt, litres.
    pub fuel_burnt_l: f64,
    /// Fuel in the tanks at the start, litres (`None` without a fuel model: unlimited).
    pub fuel_start_l: Option<f64>,
    /// The least fuel in the tanks during the outage, litres.
    pub fuel_lowest_l: Option<f64>,
    /// Fuel in the tanks at the end (so far), litres.
    pub fuel_end_l: Option<f64>,
    /// With a fuel model: the fuel and the hours of autonomy it gives at every whole hour
    /// from the outage's start (the first at its start).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fuel_marks: Vec<FuelMark>,
}

/// The fuel in all tanks at one moment of a generator outage, and how long it lasts at the
/// sets' burn rate then.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FuelMark {
    /// When, from the beginning of the run.
    pub at: Duration,
    /// Fuel in all tanks, litres.
    pub fuel_l: f64,
    /// The running sets' total burn rate then, L/h (0 while none runs).
    pub burn_l_per_h: f64,
}

impl FuelMark {
    /// Hours of autonomy left: the fuel over the burn rate then (`None` while no set burns).
    pub fn autonomy_h(&self) -> Option<f64> {
        (self.burn_l_per_h > 0.0).then(|| self.fuel_l / self.burn_l_per_h)
    }
}

impl GeneratorOutage {
    /// The mean burn rate while sets carried load, L/h (0 when none did).
    pub fn mean_burn_l_per_h(&self) -> f64 {
        if self.carried_hours > 0.0 {
            self.fuel_burnt_l / self.carried_hours
        } else {
            0.0
        }
    }

    /// Hours of autonomy `litres` give at the outage's mean burn rate (`None` without a fuel
    /// model or without burning).
    fn autonomy(&self, litres: Option<f64>) -> Option<f64> {
        let rate = self.mean_burn_l_per_h();
        litres.filter(|_| rate > 0.0).map(|l| l / rate)
    }

    /// Hours the fuel at the start would have lasted at the outage's mean burn rate.
    pub fn autonomy_at_start_h(&self) -> Option<f64> {
        self.autonomy(self.fuel_start_l)
    }

    /// Hours of autonomy left at the outage's lowest tank level, at its mean burn rate: the
    /// margin the fuel (and its deliveries) kept.
    pub fn autonomy_at_lowest_h(&self) -> Option<f64> {
        self.autonomy(self.fuel_lowest_l)
    }
}

/// What the backup chain did in a run: the counts the report and the Monte Carlo indices read.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct BackupTally {
    /// Generator outages: times the transfer switch demanded the sets.
    pub transfers: u64,
    /// Generator outages with load dropped in transfer.
    pub transfers_with_drop: u64,
    /// Load dropped in transfer, MWh.
    pub transfer_unserved_mwh: f64,
    /// Time with load dropped in transfer, ms.
    pub transfer_drop_ms: u64,
    /// Energy the sets generated (curtailed output included), MWh.
    pub generation_mwh: f64,
    /// Generated energy curtailed (minimum loading the site and the battery could not take), MWh.
    pub curtailed_mwh: f64,
    /// Fuel burnt, litres (with or without a fuel model).
    pub fuel_burnt_l: f64,
    /// The transfer drops, in order (the open one last, while it lasts).
    pub drops: Vec<TransferDrop>,
    /// The generator outages, in order (the open one last, its duration and end level as of
    /// its last segment).
    #[serde(default)]
    pub outages: Vec<GeneratorOutage>,
}

/// The backup chain's part of a run's state (`Clone + Serialize`, carried by snapshots).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackupState {
    /// The generator sets.
    pub generators: GeneratorState,
    /// The tanks (with a fuel model).
    pub fuel: Option<FuelState>,
    /// Whether a generator outage is on (the transfer switch is on the generators' side).
    outage: bool,
    /// The transfer gap's latest end (ms), while it is open.
    transfer_until: Option<u64>,
    /// Whether this generator outage has dropped load in transfer.
    dropped: bool,
    /// Whether the last drop is still open (extended by the next piece with a drop).
    drop_open: bool,
    /// When the running sets next accept another block of load (`u64::MAX`: none is
    /// block-loading).
    #[serde(default = "never")]
    block_next: u64,
    /// With load-demand control: since when more sets than wanted have been running or
    /// starting without a break (`None`: not more).
    #[serde(default)]
    surplus_since: Option<u64>,
    /// With load-demand control: the sets wanted at the last span start that looked (a span
    /// start whose load wants another number looks again).
    #[serde(skip)]
    wanted: u32,
    /// The policy's generator command at the last span start that looked.
    #[serde(skip)]
    command: GeneratorCommand,
    /// Whether generator outages record hourly fuel marks (not in lean Monte Carlo runs).
    #[serde(skip, default = "yes")]
    fuel_marks: bool,
    /// The chain's next event (ms) as of the last span start and settle: until then, a span
    /// start that does not switch the transfer switch changes nothing and returns `offer`
    /// (0 after a snapshot or a reseed: recomputed at the next span start).
    #[serde(skip)]
    next: u64,
    /// What the running sets offered at the last span start that looked.
    #[serde(skip)]
    offer: Generation,
    tally: BackupTally,
}

/// `true`, for a flag a snapshot does not carry.
fn yes() -> bool {
    true
}

impl BackupState {
    /// Whether generator outages record hourly fuel marks
    /// ([`GeneratorOutage::fuel_marks`]); on by default.
    pub(crate) fn set_fuel_marks(&mut self, on: bool) {
        self.fuel_marks = on;
    }
}

/// `u64::MAX`, for states serialised before `block_next` existed.
fn never() -> u64 {
    u64::MAX
}

/// What the generators offer over a span.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct Generation {
    /// Capacity of the running sets.
    pub capacity: Power,
    /// Their minimum output (minimum loading × capacity).
    pub minimum: Power,
    /// Sets running.
    pub running: u32,
    /// Whether the span lies in a transfer gap.
    pub transfer: bool,
    /// Explicit padding, zeroed with the rest.
    _pad: [u8; 3],
}

impl Backup {
    /// Validates a `[generators]` table and its `[fuel]` (errors name fields under
    /// `generators.` and `fuel.`). `None` for a fleet of no sets; fuel without sets is refused.
    ///
    /// # Errors
    /// The generator fleet's or the fuel model's [`ConfigError`]; `fuel` given with no sets.
    pub fn new(
        generators: Option<&GeneratorParams>,
        fuel: Option<&FuelParams>,
    ) -> Result<Option<Backup>, ConfigError> {
        let sets = generators.map_or(0, |g| g.count);
        if sets == 0 {
            if fuel.is_some() {
                return Err(ConfigError::Inconsistent {
                    field: "fuel".into(),
                    why: "a fuel table needs generator sets (`generators.count` ≥ 1)",
                });
            }
            // Still check the figures of a table with no sets: a typo should not pass silently.
            if let Some(g) = generators {
                g.validate_at("generators")?;
            }
            return Ok(None);
        }
        let Some(params) = generators else {
            return Ok(None);
        };
        let fleet = params.validate_at("generators")?;
        let fuel = fuel
            .map(|f| f.validate_at("fuel", fleet.count()))
            .transpose()?;
        Ok(Some(Backup {
            generators: fleet,
            fuel,
        }))
    }

    /// The state of a run seeded with `seed`: every set off, every tank at its initial level.
    pub fn initial_state(&self, seed: u64) -> BackupState {
        BackupState {
            generators: self.generators.initial_state(seed),
            fuel: self.fuel.as_ref().map(|f| f.initial_state(seed)),
            outage: false,
            transfer_until: None,
            dropped: false,
            drop_open: false,
            block_next: u64::MAX,
            surplus_since: None,
            wanted: 0,
            command: GeneratorCommand::Auto,
            fuel_marks: true,
            // Every set off, nothing on its way.
            next: u64::MAX,
            offer: Generation::default(),
            tally: BackupTally {
                drops: Vec::with_capacity(4),
                outages: Vec::with_capacity(4),
                ..BackupTally::default()
            },
        }
    }

    /// Whether `s` could be a state of this chain. `Err` names the field and says why not.
    pub fn check_state(&self, s: &BackupState) -> Result<(), (&'static str, &'static str)> {
        self.generators
            .check_state(&s.generators)
            .map_err(|why| ("snapshot.backup.generators", why))?;
        match (&self.fuel, &s.fuel) {
            (Some(f), Some(fs)) => f
                .check_state(fs)
                .map_err(|why| ("snapshot.backup.fuel", why)),
            (None, None) => Ok(()),
            _ => Err((
                "snapshot.backup.fuel",
                "the snapshot's site has fuel tanks where this one has none, or the reverse",
            )),
        }
    }

    /// The tank set `j` draws from (the shared tank is tank 0).
    #[inline]
    fn tank(&self, j: usize) -> usize {
        match &self.fuel {
            Some(f) if f.tanks() > 1 => j,
            _ => 0,
        }
    }

    /// Whether set `j`'s tank is dry (never without a fuel model).
    fn dry(&self, s: &BackupState, j: usize) -> bool {
        match &s.fuel {
            Some(fs) => fs.level(self.tank(j)).map_or(true, |l| l.value() <= 0.0),
            None => false,
        }
    }

    /// The span stage's part for the backup chain at `t` (see the module docs): applies the
    /// events up to `t`, runs the transfer switch on what the grid offers (`impaired`: the
    /// feed is below its limit; `available` import against `demand`), stops dry sets and
    /// starts the others during a generator outage, and returns what the running sets offer.
    ///
    /// During a generator outage `ask` is called once with the chain and its state (events up
    /// to `t` applied) and returns the policy's [`GeneratorCommand`]
    /// ([`Dispatch::generators`](crate::engine::policy::Dispatch::generators)).
    pub(crate) fn span_start<F: FnMut(&Backup, &BackupState) -> GeneratorCommand>(
        &self,
        s: &mut BackupState,
        t: u64,
        impaired: bool,
        available: Power,
        demand: Power,
        mut ask: F,
    ) -> Generation {
        let g = &self.generators;
        let short = available < demand;
        let (lost, back) = match g.mode() {
            GeneratorMode::OutageOnly => (impaired && short, !impaired),
            GeneratorMode::PeakShaving => (short, !short),
        };
        let switching = if s.outage { back } else { lost };
        // What the grid leaves to the sets.
        let need = (demand - available).max(Power::ZERO);
        let regroup = s.outage && g.load_demand().is_some() && g.wanted_sets(need) != s.wanted;
        let mut command = None;
        if !switching && !regroup && t < s.next {
            // No event since the last look and no switching: the same offer, unless the
            // policy commands the sets otherwise (the counts are current: no event is due).
            if !s.outage {
                return s.offer;
            }
            let c = ask(self, s);
            if c == s.command {
                return s.offer;
            }
            command = Some(c);
        }
        g.advance_to(&mut s.generators, t);
        if let (Some(f), Some(fs)) = (&self.fuel, &mut s.fuel) {
            f.advance_to(fs, t);
        }
        let begun = !s.outage && lost;
        if begun {
            s.outage = true;
            s.dropped = false;
            s.tally.transfers += 1;
            let spec = g.spec();
            let last_attempt_ends = u64::from(spec.start_retries)
                .saturating_mul(spec.retry_interval.as_millis())
                .saturating_add(spec.start_delay.as_millis());
            s.transfer_until = Some(t.saturating_add(last_attempt_ends));
            if let (Some(f), Some(fs)) = (&self.fuel, &mut s.fuel) {
                f.begin_outage(fs, t);
            }
            let fuel = s.fuel.as_ref().map(FuelState::total_level_l);
            s.tally.outages.push(GeneratorOutage {
                start: Duration::from_millis(t),
                duration: Duration::ZERO,
                carried_hours: 0.0,
                generation_mwh: 0.0,
                fuel_burnt_l: 0.0,
                fuel_start_l: fuel,
                fuel_lowest_l: fuel,
                fuel_end_l: fuel,
                fuel_marks: Vec::new(),
            });
        } else if s.outage && back {
            s.outage = false;
            s.transfer_until = None;
            s.drop_open = false;
            s.block_next = u64::MAX;
            s.surplus_since = None;
            g.stop_all(&mut s.generators, t);
            if let (Some(f), Some(fs)) = (&self.fuel, &mut s.fuel) {
                f.end_outage(fs);
            }
        }
        if s.outage {
            let command = command.unwrap_or_else(|| ask(self, s));
            s.command = command;
            match (command, g.load_demand()) {
                (GeneratorCommand::Hold, _) => self.stop_dry(s, t),
                (GeneratorCommand::Run(n), _) => {
                    self.stop_dry(s, t);
                    let n = n.min(g.count());
                    let active = self.start_up_to(s, n, t);
                    if active > n {
                        g.stop_surplus(&mut s.generators, active - n, t, true);
                    }
                }
                (GeneratorCommand::Auto, None) => {
                    for j in 0..g.count() as usize {
                        if self.dry(s, j) {
                            g.stop_set(&mut s.generators, j, t);
                        } else {
                            g.start_set(&mut s.generators, j, t);
                        }
                    }
                }
                (GeneratorCommand::Auto, Some(ld)) => {
                    self.load_demand(s, ld.stop_delay.as_millis(), t, need, begun)
                }
            }
            // A zero start delay carries load at once (with a delay, nothing a start demand at
            // `t` made is due by `t`).
            if g.spec().start_delay.as_millis() == 0 {
                g.advance_to(&mut s.generators, t);
            }
        }
        let running = g.running(&s.generators);
        let (capacity, mut block_next) = g.accepted(&s.generators, t);
        // While the sets accept all the grid leaves them, a growing ceiling changes nothing in
        // this span (the next span start looks again).
        if need.value() <= capacity.value() + UNSERVED_EPSILON_MW {
            block_next = u64::MAX;
        }
        s.block_next = block_next;
        if let Some(until) = s.transfer_until {
            if running > 0 && block_next != u64::MAX {
                // Picked up, still accepting the load block by block: the gap lasts until the
                // sets accept what the grid leaves them.
                s.transfer_until = Some(block_next);
            } else if running > 0 || t >= until {
                s.transfer_until = None;
            }
        }
        let transfer = s.transfer_until.is_some();
        if !transfer {
            s.drop_open = false;
        }
        let rated = g.rating() * f64::from(running);
        s.offer = Generation {
            capacity,
            minimum: (rated * g.spec().min_loading).min(capacity),
            running,
            transfer,
            _pad: [0; 3],
        };
        s.next = self.compute_next_event(s, t);
        s.offer
    }

    /// The next time after the last [`Backup::span_start`] at which the chain changes (a set
    /// ready, failing or repaired, a delivery, the transfer gap's end): a span ends there.
    /// `u64::MAX` for none.
    #[inline]
    pub(crate) fn next_event_ms(&self, s: &BackupState) -> u64 {
        s.next
    }

    /// Load-demand control at `t` during a generator outage (see
    /// [`LoadDemandParams`](crate::components::generators::LoadDemandParams)), for `need`, the
    /// load the grid leaves to the sets: dry sets stop; at the outage's start (`begun`) every
    /// set starts, later only enough standby sets to bring those running or starting up to the
    /// number wanted; a surplus that has lasted `stop_delay` ms stops.
    fn load_demand(&self, s: &mut BackupState, stop_delay: u64, t: u64, need: Power, begun: bool) {
        let g = &self.generators;
        self.stop_dry(s, t);
        let wanted = g.wanted_sets(need);
        s.wanted = wanted;
        let active = self.start_up_to(s, if begun { g.count() } else { wanted }, t);
        if active > wanted {
            let since = *s.surplus_since.get_or_insert(t);
            if t >= since.saturating_add(stop_delay) {
                g.stop_surplus(&mut s.generators, active - wanted, t, false);
                s.surplus_since = None;
            }
        } else {
            s.surplus_since = None;
        }
    }

    /// Stops every set whose tank is dry, at `t`.
    fn stop_dry(&self, s: &mut BackupState, t: u64) {
        for j in 0..self.generators.count() as usize {
            if self.dry(s, j) {
                self.generators.stop_set(&mut s.generators, j, t);
            }
        }
    }

    /// Starts standby sets with fuel at `t`, the lowest-numbered first, until `n` run or start
    /// (a set whose start attempts are still under way counts as starting until the last one
    /// ends); returns how many run or start.
    fn start_up_to(&self, s: &mut BackupState, n: u32, t: u64) -> u32 {
        let g = &self.generators;
        let mut active = g.active(&s.generators, t);
        for j in 0..g.count() as usize {
            if active >= n {
                break;
            }
            if self.dry(s, j) {
                continue;
            }
            match g.start_set(&mut s.generators, j, t) {
                StartOutcome::Ready { .. } => active += 1,
                StartOutcome::Failed { failed_ms, .. } if failed_ms > t => active += 1,
                _ => {}
            }
        }
        active
    }

    /// Sets off and ready to start, with fuel.
    pub(crate) fn standby(&self, s: &BackupState) -> u32 {
        (0..self.generators.count() as usize)
            .filter(|&j| matches!(s.generators.status(j), Some(SetStatus::Off)) && !self.dry(s, j))
            .count() as u32
    }

    /// When the current generator outage began (`t` if none is recorded).
    pub(crate) fn outage_start_ms(&self, s: &BackupState, t: u64) -> u64 {
        s.tally.outages.last().map_or(t, |o| o.start.as_millis())
    }

    /// [`Backup::next_event_ms`] from the components' states at `t`.
    fn compute_next_event(&self, s: &BackupState, t: u64) -> u64 {
        let g = &self.generators;
        let mut next = g.next_event_ms(&s.generators);
        if let Some(ld) = g.load_demand().filter(|_| s.outage) {
            // The surplus stops, or a failing start ends and another set must start.
            if let Some(since) = s.surplus_since {
                next = next.min(since.saturating_add(ld.stop_delay.as_millis()));
            }
            next = next.min(g.next_failed_start_ms(&s.generators, t));
        } else if s.outage && matches!(s.command, GeneratorCommand::Run(_)) {
            // A commanded number of sets: a failing start that ends leaves a set to start in
            // its place.
            next = next.min(g.next_failed_start_ms(&s.generators, t));
        }
        if let (Some(f), Some(fs)) = (&self.fuel, &s.fuel) {
            next = next.min(f.next_event_ms(fs));
        }
        if let Some(until) = s.transfer_until {
            next = next.min(until);
        }
        next.min(s.block_next)
    }

    /// Until when (ms) the chain rests while the grid carries the site: `None` during a
    /// generator outage (sets start, run and burn fuel only then); otherwise its next event — a
    /// failed set's repair, a delivery on its way — which changes no power flow but must be
    /// applied at its time, so a fast-forward steps the step it falls in (`u64::MAX`: none).
    #[inline]
    pub(crate) fn rest_until_ms(&self, s: &BackupState) -> Option<u64> {
        (!s.outage).then(|| self.next_event_ms(s))
    }

    /// Fuel flow of one running set when the `running` sets deliver `output` together, L/h.
    #[inline]
    fn set_flow(&self, output: Power, running: u32) -> f64 {
        self.generators
            .fuel_rate(output / f64::from(running.max(1)))
            .value()
    }

    /// Milliseconds from `t` until a tank feeding a running set runs dry at this output
    /// (rounded up, so the segment that ends there empties it), if that is at or before
    /// `within` ms (a tank that lasts exactly the segment is dry at its end, and the segment must
    /// end the span so the sets stop there); `u64::MAX` otherwise, without a fuel model, with no
    /// set running or with no flow. (The common case, a tank that outlasts the segment, costs a
    /// multiplication, not a division.)
    pub(crate) fn ms_to_dry(
        &self,
        s: &BackupState,
        gen: &Generation,
        output: Power,
        within: u64,
    ) -> u64 {
        let (Some(fuel), Some(fs)) = (&self.fuel, &s.fuel) else {
            return u64::MAX;
        };
        if gen.running == 0 {
            return u64::MAX;
        }
        let flow = self.set_flow(output, gen.running);
        if flow <= 0.0 {
            return u64::MAX;
        }
        let hour = MS_PER_HOUR as f64;
        let within_f = within as f64;
        // `level·hour > flow·within`: the tank outlasts the segment. Otherwise the quotient,
        // rounded up, is at most `within` in exact arithmetic; the `min` keeps a rounding of
        // the division from pushing it one past.
        let dry = |level: f64, flow: f64| {
            if level * hour > flow * within_f {
                u64::MAX
            } else {
                ((level * hour / flow).ceil() as u64).min(within)
            }
        };
        if fuel.tanks() == 1 {
            let level = fs.level(0).map_or(0.0, |l| l.value());
            return dry(level, flow * f64::from(gen.running));
        }
        (0..self.generators.count() as usize)
            .filter(|&j| is_running(&s.generators, j))
            .map(|j| dry(fs.level(j).map_or(0.0, |l| l.value()), flow))
            .min()
            .unwrap_or(u64::MAX)
    }

    /// Settles the chain over the segment `[t, end)` in which the running sets delivered
    /// `output` (of which `curtailed` went to the load bank) and `unserved` load went unserved:
    /// fuel burnt (and deliveries, orders, dry tanks inside the segment), the energy totals and
    /// the transfer drops.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn settle(
        &self,
        s: &mut BackupState,
        gen: &Generation,
        output: Power,
        curtailed: Power,
        unserved: Power,
        t: u64,
        end: u64,
    ) {
        let len = Duration::from_millis(end - t);
        let h = len.hours().value();
        let flow = if gen.running > 0 {
            self.set_flow(output, gen.running)
        } else {
            0.0
        };
        if gen.running == 0 && s.outage && s.fuel_marks && self.fuel.is_some() {
            self.mark_idle(s, t, end);
        }
        if gen.running > 0 {
            let burnt = self.burn_marked(s, gen.running, flow, t, end);
            s.tally.fuel_burnt_l += burnt;
            s.tally.generation_mwh += output.value() * h;
            s.tally.curtailed_mwh += curtailed.value() * h;
            if let Some(o) = s.tally.outages.last_mut() {
                o.fuel_burnt_l += burnt;
                o.generation_mwh += output.value() * h;
                o.carried_hours += h;
            }
            if self.generators.block_loading() {
                // Sets that carried less than their ceiling stood still: their next block counts
                // from here, so the next span start must look again.
                let share = output / f64::from(gen.running);
                self.generators
                    .anchor_running(&mut s.generators, share, t, end);
                s.next = s.next.min(end);
            }
        }
        if s.outage {
            if let Some(o) = s.tally.outages.last_mut() {
                o.duration = Duration::from_millis(end.saturating_sub(o.start.as_millis()));
                if let Some(fs) = &s.fuel {
                    let level = fs.total_level_l();
                    o.fuel_end_l = Some(level);
                    o.fuel_lowest_l = o.fuel_lowest_l.map(|l| l.min(level));
                }
            }
        }
        let dropped = gen.transfer && unserved.value() > UNSERVED_EPSILON_MW;
        if !dropped {
            s.drop_open = false;
            return;
        }
        let tally = &mut s.tally;
        tally.transfer_unserved_mwh += unserved.value() * h;
        tally.transfer_drop_ms += end - t;
        if !s.dropped {
            s.dropped = true;
            tally.transfers_with_drop += 1;
        }
        match tally.drops.last_mut() {
            Some(d) if s.drop_open => {
                d.duration = d.duration + len;
                d.unserved_mwh += unserved.value() * h;
                d.peak_shortfall_mw = d.peak_shortfall_mw.max(unserved.value());
            }
            _ => {
                tally.drops.push(TransferDrop {
                    start: Duration::from_millis(t),
                    duration: len,
                    unserved_mwh: unserved.value() * h,
                    peak_shortfall_mw: unserved.value(),
                });
                s.drop_open = true;
            }
        }
    }
}

impl Backup {
    /// Records the hourly fuel marks of the current generator outage that fall in `[t, end)`
    /// while no set runs: the level stands still (deliveries are events, applied at span
    /// starts) and nothing burns.
    fn mark_idle(&self, s: &mut BackupState, t: u64, end: u64) {
        if let (Some(o), Some(fs)) = (s.tally.outages.last_mut(), &s.fuel) {
            push_marks(o, fs, end.max(t + 1) - 1, 0.0);
        }
    }

    /// Burns the fuel of `running` sets at `flow` L/h each over `[t, end)`, split at the hourly
    /// fuel marks of a generator outage (each recorded with the level when it is reached);
    /// returns the litres burnt.
    fn burn_marked(&self, s: &mut BackupState, running: u32, flow: f64, t: u64, end: u64) -> f64 {
        let marking = s.outage && s.fuel_marks && self.fuel.is_some();
        let mut burnt = 0.0;
        let mut a = t;
        while a < end {
            let mut b = end;
            if marking {
                if let (Some(o), Some(fs)) = (s.tally.outages.last_mut(), &s.fuel) {
                    push_marks(o, fs, a, flow * f64::from(running));
                    b = b.min(next_mark_ms(o));
                }
            }
            burnt += self.burn(s, running, flow, a, b);
            a = b;
        }
        burnt
    }

    /// Burns the fuel of `running` sets at `flow` L/h each over `[t, end)` (from their tanks,
    /// with deliveries and dry tanks inside; without a fuel model, only counted); returns the
    /// litres burnt.
    fn burn(&self, s: &mut BackupState, running: u32, flow: f64, t: u64, end: u64) -> f64 {
        let mut burnt = 0.0;
        match (&self.fuel, &mut s.fuel) {
            (Some(fuel), Some(fs)) if fuel.tanks() == 1 => {
                let total = crate::units::LitresPerHour::l_per_h(flow * f64::from(running));
                let b = fuel.burn(fs, 0, total, t, end);
                burnt += b.burnt.value();
                s.next = s.next.min(settled_next(fuel, fs, b.empty_at_ms));
            }
            (Some(fuel), Some(fs)) => {
                let rate = crate::units::LitresPerHour::l_per_h(flow);
                for j in 0..self.generators.count() as usize {
                    if is_running(&s.generators, j) {
                        let b = fuel.burn(fs, j, rate, t, end);
                        burnt += b.burnt.value();
                        s.next = s.next.min(settled_next(fuel, fs, b.empty_at_ms));
                    }
                }
            }
            _ => {
                burnt += flow * f64::from(running) * Duration::from_millis(end - t).hours().value()
            }
        }
        burnt
    }
}

/// The time of outage `o`'s next hourly fuel mark.
#[inline]
fn next_mark_ms(o: &GeneratorOutage) -> u64 {
    o.start
        .as_millis()
        .saturating_add(o.fuel_marks.len() as u64 * MS_PER_HOUR)
}

/// Records every hourly mark of outage `o` at or before `t`, at the tanks' level now and the
/// sets' total burn rate `burn` L/h.
#[inline]
fn push_marks(o: &mut GeneratorOutage, fs: &FuelState, t: u64, burn: f64) {
    while next_mark_ms(o) <= t {
        o.fuel_marks.push(FuelMark {
            at: Duration::from_millis(next_mark_ms(o)),
            fuel_l: fs.total_level_l(),
            burn_l_per_h: burn,
        });
    }
}

/// After a burn: the tanks' next delivery (an order the burn placed) or the time a tank ran dry
/// (its set stops at the next span start), whichever is first.
#[inline]
fn settled_next(fuel: &FuelModel, fs: &FuelState, empty_at: Option<u64>) -> u64 {
    fuel.next_event_ms(fs).min(empty_at.unwrap_or(u64::MAX))
}

/// Whether set `j` carries load in `s`.
#[inline]
fn is_running(s: &GeneratorState, j: usize) -> bool {
    matches!(s.status(j), Some(SetStatus::Running { .. }))
}

impl Backup {
    /// The report of the chain's state `s` at `t_ms` (the run's end so far).
    pub(crate) fn report(&self, s: &BackupState, t_ms: u64) -> BackupReport {
        let t = &s.tally;
        BackupReport {
            sets: self.generators.count(),
            set_rating_mw: self.generators.rating().value(),
            transfers: t.transfers,
            transfers_with_drop: t.transfers_with_drop,
            transfer_unserved_mwh: t.transfer_unserved_mwh,
            transfer_drop_hours: Duration::from_millis(t.transfer_drop_ms).hours().value(),
            generators: s.generators.tally(),
            run_hours: self.generators.run_hours(&s.generators, t_ms).value(),
            generation_mwh: t.generation_mwh,
            curtailed_mwh: t.curtailed_mwh,
            fuel_burnt_l: t.fuel_burnt_l,
            fuel: s.fuel_tally(),
            transfer_drops: t.drops.clone(),
            outages: t.outages.clone(),
        }
    }
}

impl BackupState {
    /// The chain's counts so far.
    pub fn tally(&self) -> &BackupTally {
        &self.tally
    }
    /// The generator fleet's counts (starts, failures, repairs, run time).
    pub fn generator_tally(&self) -> GeneratorTally {
        self.generators.tally()
    }
    /// The tanks' counts (orders, deliveries, fuel-outs, lowest level), with a fuel model.
    pub fn fuel_tally(&self) -> Option<FuelTally> {
        self.fuel.as_ref().map(FuelState::tally)
    }
    /// Whether a generator outage is on.
    pub fn in_outage(&self) -> bool {
        self.outage
    }
}
