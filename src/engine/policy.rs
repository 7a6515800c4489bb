//! Dispatch: what the battery should do each step.
//!
//! A policy sees an [`Observation`] and returns the battery power it wants (positive = discharge,
//! negative = charge). The engine then enforces the physics: the fleet's power limits and SoC
//! window, no charging from power the grid cannot give, no discharging beyond what the site and
//! the export limit can take. Whatever load neither the grid nor the battery covers is unserved.
//!
//! [`Dispatch`] is a trait because users write their own; [`Policy`] is the closed set of
//! built-ins a scenario file can name:
//!
//! * [`Policy::BackupOnly`]: stand by full, discharge only for load the grid cannot carry,
//!   recharge from grid headroom (at most `recharge_rate_mw`).
//! * [`Policy::PeakShaving`]: keep grid import at or under `import_cap_mw` using the energy above
//!   the backup reserve; recharge under the cap; during an outage the reserve is usable.
//! * [`Policy::RampLimiting`]: keep the change of grid import under `max_ramp_mw_per_s` by
//!   absorbing the load's swings in the battery, while steering the SoC back to `soc_target`
//!   with time constant `recovery`.
//! * [`Policy::ValueStacking`]: peak shaving under `import_cap_mw` and energy arbitrage against
//!   the site's energy price ([`Observation::price`], from the scenario's `[tariff]`), both with
//!   the energy above the backup reserve only; the whole window in an outage.
//!
//! # Value stacking
//! A threshold rule on the step's price `p`, with `L` = `charge_below_usd_per_mwh` and `H` =
//! `discharge_above_usd_per_mwh` (`L < H`), in this order:
//!
//! 1. **Shortfall** (the grid and the running sets cannot carry the demand: an outage or a
//!    derate): cover it from the whole window, as every built-in does; plus, if `p ≥ H`, the
//!    rest of the energy above the reserve into the remaining import (`discharge_for`).
//! 2. **Expensive** (`p ≥ H`): discharge as much as the energy above the reserve and the power
//!    limit allow; the engine cuts it to the demand plus the export allowed, and exports earn
//!    `p`.
//! 3. **Peak** (the demand above `min(import_cap_mw, available import)`): shave the import to
//!    the cap with the energy above the reserve, whatever the price.
//! 4. **Below the reserve** (after an outage): recharge from grid headroom under the cap, at
//!    most `recharge_rate_mw`, back **to the reserve and no further**, whatever the price:
//!    the reserve is for backup, so it is restored first.
//! 5. **Cheap** (`p ≤ L`): charge from grid headroom under the cap (so charging never sets a
//!    new peak above it), at most `recharge_rate_mw`.
//! 6. Otherwise stay idle.
//!
//! Why a threshold rule: it needs no forecast and costs a few comparisons a step (no
//! allocation, no state), and its profit is easy to reason about. A megawatt-hour bought at
//! `p ≤ L` returns `η_rt` MWh sold at `p ≥ H`, so every cycle it completes earns at least
//! `H·η_rt − L` per MWh charged; the policy is refused unless that is positive
//! (`H·η_rt > L`, with the fleet's round-trip efficiency). Every map above is monotone in the
//! stored energy and in the reserve (rule 4 restores the reserve exactly, not beyond), so with
//! the same prices and outages a higher reserve never holds less energy at any step: it never
//! loses more load. What a perfect-foresight optimiser would add (charging in a cheap hour
//! only as much as the next expensive hours can sell) is left out: the rule cycles whenever
//! the price crosses a threshold, which a planner sets from the price trace's distribution
//! (e.g. its 25th and 75th percentiles).

use crate::components::fuel::FuelState;
use crate::components::limits::check_power;
use crate::components::tariff::{check_price, Price};
use crate::engine::backup::{Backup, BackupState};
use crate::engine::Site;
use crate::error::{check_positive, check_range, ConfigError};
use crate::units::{Duration, Energy, Fraction, Hours, Power};
use serde::{Deserialize, Serialize};

/// What a policy can see at the start of a segment: a step, or the part of it until something
/// changes (an outage starts or ends, a unit fails or returns, the battery empties or fills;
/// the engine consults the policy again from there). "This step" below means this segment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Observation {
    /// Step index (the same for every segment of a step).
    pub step: u64,
    /// The segment's length: the step's, unless something changes inside the step.
    pub dt: Hours,
    /// Site demand this step: facility load plus the battery's auxiliary load.
    pub demand: Power,
    /// Grid import available this step (import limit × availability).
    pub available_import: Power,
    /// Capacity of the generator sets carrying load this step (0 without generators, and while
    /// they start): see [`crate::engine::backup`].
    pub available_generation: Power,
    /// The feed's import limit when fully available.
    pub import_limit: Power,
    /// Power that may be exported this step.
    pub export_allowed: Power,
    /// Grid import in the previous segment; before the first step, the run's initial import
    /// ([`Dispatch::initial_import`], by default the first step's demand capped by the import
    /// available at the start: the site in steady state).
    pub previous_import: Power,
    /// Stored energy.
    pub energy: Energy,
    /// State of charge.
    pub soc: Fraction,
    /// Energy held at the backup reserve.
    pub reserve_energy: Energy,
    /// Energy at the SoC ceiling.
    pub max_energy: Energy,
    /// Fleet nameplate energy (SoC 100 %).
    pub capacity: Energy,
    /// Largest discharge the fleet can sustain this step (power limit and window floor).
    pub max_discharge: Power,
    /// Largest discharge that stays above the backup reserve this step.
    pub max_discharge_above_reserve: Power,
    /// Largest charge the fleet can absorb this step (power limit and window ceiling).
    pub max_charge: Power,
    /// Fleet one-way charging efficiency.
    pub charge_efficiency: f64,
    /// The energy price of this step, from the site's tariff ([`Price::ZERO`] without one).
    pub price: Price,
}

impl Observation {
    /// Load neither the grid nor the running generators can carry this step:
    /// `max(0, demand − available import − available generation)`.
    #[inline]
    pub fn shortfall(&self) -> Power {
        (self.demand - self.available_import - self.available_generation).max(Power::ZERO)
    }
    /// Whether the feed is below its import limit (an outage or derate).
    #[inline]
    pub fn grid_impaired(&self) -> bool {
        self.available_import < self.import_limit
    }
}

/// A dispatch policy. `decide` returns the battery power wanted this step: positive to discharge,
/// negative to charge. The engine clamps it to what is physically possible.
///
/// A policy may keep state (it is part of the simulation state, so it must be `Clone` to allow
/// snapshots); the built-ins are stateless.
pub trait Dispatch {
    /// The battery power wanted for this step (positive = discharge).
    fn decide(&mut self, obs: &Observation) -> Power;

    /// A short name for reports.
    fn name(&self) -> &'static str {
        "custom"
    }

    /// Fast-forward: whether the policy is idle in a quiet stretch, and up to which demand.
    ///
    /// `obs` is the observation of the first step of a stretch in which nothing else changes:
    /// the grid offers the same import, the battery holds the same state, no unit fails. Return
    /// `Some(d)` only if, for **every** observation equal to `obs` except for `step`,
    /// `demand ≤ d` and `previous_import` (the previous step's demand), [`Dispatch::decide`]
    /// would return zero (of either sign) and leave the policy's state unchanged. The engine
    /// then skips the stretch's steps up to the first with a demand above `d` in O(1)
    /// each, with the same totals and events as stepping them (up to rounding in the order of
    /// the sums). The default, `None`, never skips, so a policy that does not declare itself
    /// stays correct.
    ///
    /// The built-in policies declare themselves idle when the battery is at its ceiling
    /// (`max_charge` is zero) and there is no shortfall: [`Policy::BackupOnly`] up to the
    /// available import, [`Policy::PeakShaving`] up to its cap (or the available import if
    /// lower); [`Policy::RampLimiting`] steers the SoC every step and never does.
    fn idle_below(&self, obs: &Observation) -> Option<Power> {
        let _ = obs;
        None
    }

    /// Whether the policy asks for at least the demand whenever the grid offers no import at all
    /// (`available_import` zero): it then discharges `min(demand, power limit)` until the
    /// battery empties, whatever else it would do. The outage survival sweep uses this to
    /// compute each outage's ride-through in O(log n) from prefix sums of the load instead of
    /// stepping it. The default, `false`, keeps a policy that does not declare it stepped.
    /// The built-in policies all do: their discharge covers the shortfall first.
    fn covers_islanded_demand(&self) -> bool {
        false
    }

    /// The grid import before the first step (what the first step's
    /// [`Observation::previous_import`] is), or `None` (the default) for the steady state: the
    /// first step's demand, capped by the import available at the start. The built-in
    /// [`Policy::RampLimiting`] returns its `initial_import_mw`.
    fn initial_import(&self) -> Option<Power> {
        None
    }

    /// The largest rate of change of grid import the policy means to keep, if it has one: the
    /// run's report counts the steps whose import changed faster
    /// ([`GridRamps`](crate::engine::report::GridRamps)). The default, `None`, counts nothing;
    /// [`Policy::RampLimiting`] returns its `max_ramp_mw_per_s`.
    fn ramp_limit(&self) -> Option<RampRate> {
        None
    }

    /// Generator commands: which sets run while the generators carry the site. The engine asks
    /// at the start of every segment of a generator outage (from its first, the grid's loss,
    /// to its last; never while the grid carries the site, so fast-forward never needs to
    /// ask), after the sets' events up to that moment, and applies the answer at once:
    ///
    /// * [`GeneratorCommand::Auto`] (the default): the site's own control, every set that can
    ///   run or, with `[generators.load_demand]`, load-demand control;
    /// * [`GeneratorCommand::Hold`]: start and stop nothing;
    /// * [`GeneratorCommand::Run`]`(n)`: start standby sets (the lowest-numbered first) until
    ///   `n` run or start, and stop at once those above `n` (the highest-numbered first).
    ///
    /// Whatever the answer, a set whose tank is dry stops, a started set picks up after its
    /// start delay or fails to start with its probability, and the balance is the engine's: the
    /// command decides which sets run, [`Dispatch::decide`] the battery.
    fn generators(&mut self, view: &GeneratorView) -> GeneratorCommand {
        let _ = view;
        GeneratorCommand::Auto
    }

    /// Checks the policy's own numbers against the `site` it will run on. The Monte Carlo and
    /// survival studies and [`Site::try_simulate`] call it before the first step; the default
    /// accepts every policy (the engine clamps whatever a policy asks, so a policy with nothing to
    /// configure has nothing to check).
    ///
    /// # Errors
    /// A [`ConfigError`] naming the policy's field, its value and the allowed range.
    fn validate(&self, site: &Site) -> Result<(), ConfigError> {
        let _ = site;
        Ok(())
    }
}

/// What a policy sees of the generator sets when the engine asks for a
/// [`GeneratorCommand`] ([`Dispatch::generators`]), at the start of a segment of a generator
/// outage. The counts are methods: they look at every set, so a policy pays for them only if
/// it reads them.
#[derive(Debug, Clone, Copy)]
pub struct GeneratorView<'a> {
    /// Step index.
    pub step: u64,
    /// The segment's start, from the beginning of the run.
    pub time: Duration,
    /// Site demand at the segment's start (facility plus the battery's auxiliary load).
    pub demand: Power,
    /// Grid import available.
    pub available_import: Power,
    /// Battery energy stored.
    pub energy: Energy,
    /// Battery energy held at the backup reserve.
    pub reserve_energy: Energy,
    pub(crate) chain: &'a Backup,
    pub(crate) state: &'a BackupState,
}

impl GeneratorView<'_> {
    /// Sets in the fleet.
    pub fn sets(&self) -> u32 {
        self.chain.generators.count()
    }
    /// One set's rating.
    pub fn rating(&self) -> Power {
        self.chain.generators.rating()
    }
    /// When the generator outage began.
    pub fn outage_start(&self) -> Duration {
        Duration::from_millis(
            self.chain
                .outage_start_ms(self.state, self.time.as_millis()),
        )
    }
    /// Sets carrying load.
    pub fn running(&self) -> u32 {
        self.chain.generators.running(&self.state.generators)
    }
    /// Sets starting (attempts under way, including attempts that will fail).
    pub fn starting(&self) -> u32 {
        self.chain
            .generators
            .active(&self.state.generators, self.time.as_millis())
            - self.running()
    }
    /// Sets off and ready to start (with fuel).
    pub fn standby(&self) -> u32 {
        self.chain.standby(self.state)
    }
    /// Fuel in all tanks, litres (`None`: no fuel model, unlimited).
    pub fn fuel_l(&self) -> Option<f64> {
        self.state.fuel.as_ref().map(FuelState::total_level_l)
    }
}

/// A policy's answer to [`Dispatch::generators`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GeneratorCommand {
    /// The site's own control (every set that can run, or load-demand control).
    #[default]
    Auto,
    /// Start and stop nothing.
    Hold,
    /// Run `n` sets: start standby sets until `n` run or start, stop those above `n`.
    Run(u32),
}

/// A rate of change of power (a ramp limit), in MW per second. Serialises as a plain number
/// (the config key carries the unit: `max_ramp_mw_per_s`).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RampRate(f64);

impl RampRate {
    /// A ramp of `v` MW per second.
    #[inline]
    pub const fn mw_per_s(v: f64) -> RampRate {
        RampRate(v)
    }
    /// The raw value, MW per second.
    #[inline]
    pub const fn value(self) -> f64 {
        self.0
    }
    /// The largest change of power this ramp allows over `dt`.
    #[inline]
    pub fn over(self, dt: Hours) -> Power {
        Power::mw(self.0 * dt.value() * 3_600.0)
    }
}

impl std::fmt::Display for RampRate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} MW/s", self.0)
    }
}

/// The built-in policies, as named in scenario files (`[policy] kind = "backup_only"`).
///
/// A policy is checked against the site it will run on by [`Policy::validate`];
/// [`crate::engine::study::Study`] does this whenever its policy or site changes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Policy {
    /// Stand by full; cover only the load the grid cannot carry; recharge from headroom.
    BackupOnly {
        /// Largest recharging power (default: the fleet's charging limit).
        #[serde(default)]
        recharge_rate_mw: Option<Power>,
    },
    /// Keep grid import at or under a cap with the energy above the backup reserve.
    PeakShaving {
        /// The import cap.
        import_cap_mw: Power,
        /// Largest recharging power (default: the fleet's charging limit).
        #[serde(default)]
        recharge_rate_mw: Option<Power>,
    },
    /// Limit the grid import's rate of change by absorbing swings in the battery.
    RampLimiting {
        /// Largest change of grid import.
        max_ramp_mw_per_s: RampRate,
        /// SoC the policy steers back to (default [`DEFAULT_SOC_TARGET`]); inside the battery's
        /// SoC window.
        #[serde(default)]
        soc_target: Option<Fraction>,
        /// Time constant of the SoC steering (default [`DEFAULT_RECOVERY`]).
        #[serde(default)]
        recovery: Option<Duration>,
        /// Grid import before the first step, `0 ≤ x ≤ grid.import_limit_mw` (default: the
        /// steady state, the first step's demand capped by the import available at the start).
        /// `Some(0)` starts from nothing: the battery carries the load while the import ramps
        /// up.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        initial_import_mw: Option<Power>,
    },
    /// Peak shaving and energy arbitrage with the energy above the backup reserve (see the
    /// module docs, "Value stacking"); needs a site with a tariff.
    ValueStacking {
        /// The import cap: shaved above it, never charged above it.
        import_cap_mw: Power,
        /// Charge when the step's price is at or below this, $/MWh.
        charge_below_usd_per_mwh: Price,
        /// Discharge everything above the reserve when the price is at or above this, $/MWh
        /// (`discharge_above × round-trip efficiency > charge_below`).
        discharge_above_usd_per_mwh: Price,
        /// Largest recharging power (default: the fleet's charging limit).
        #[serde(default)]
        recharge_rate_mw: Option<Power>,
    },
}

impl Default for Policy {
    fn default() -> Policy {
        Policy::BackupOnly {
            recharge_rate_mw: None,
        }
    }
}

/// Default SoC target of [`Policy::RampLimiting`] (assumption: room to absorb and to give).
pub const DEFAULT_SOC_TARGET: Fraction = Fraction::ratio(0.6);
/// Default SoC steering time constant of [`Policy::RampLimiting`] (assumption).
pub const DEFAULT_RECOVERY: Duration = Duration::from_minutes(15);

impl Policy {
    /// Checks every number against its range and against the `site` the policy will run on:
    /// caps, rates and ramps finite and not negative (rates and ramps above zero), the SoC target
    /// inside the battery's SoC window, a recovery time above zero, an initial import between 0
    /// and the grid's import limit.
    ///
    /// # Errors
    /// [`ConfigError::OutOfRange`] naming the field (`policy.import_cap_mw`, …), the value and
    /// the allowed range.
    pub fn validate(&self, site: &Site) -> Result<(), ConfigError> {
        let rate = |r: Option<Power>| match r {
            Some(v) => check_positive("policy.recharge_rate_mw", v.value())
                .and_then(|v| check_power("policy.recharge_rate_mw", v))
                .map(|_| ()),
            None => Ok(()),
        };
        match *self {
            Policy::BackupOnly { recharge_rate_mw } => rate(recharge_rate_mw),
            Policy::PeakShaving {
                import_cap_mw,
                recharge_rate_mw,
            } => {
                check_power("policy.import_cap_mw", import_cap_mw.value())?;
                rate(recharge_rate_mw)
            }
            Policy::ValueStacking {
                import_cap_mw,
                charge_below_usd_per_mwh: low,
                discharge_above_usd_per_mwh: high,
                recharge_rate_mw,
            } => {
                check_power("policy.import_cap_mw", import_cap_mw.value())?;
                rate(recharge_rate_mw)?;
                check_price("policy.charge_below_usd_per_mwh", low.value())?;
                check_price("policy.discharge_above_usd_per_mwh", high.value())?;
                if site.tariff.is_none() {
                    return Err(ConfigError::Missing {
                        field: "tariff".into(),
                        why: "policy.kind = \"value_stacking\" trades against the tariff's \
                              energy price: give a [tariff] table",
                    });
                }
                let rte = site.battery.charge_efficiency() * site.battery.discharge_efficiency();
                if high.value() * rte <= low.value() {
                    return Err(ConfigError::OutOfRange {
                        field: "policy.discharge_above_usd_per_mwh".into(),
                        value: high.value(),
                        allowed: "x × the fleet's round-trip efficiency > \
                                  policy.charge_below_usd_per_mwh (a cycle must earn)",
                    });
                }
                Ok(())
            }
            Policy::RampLimiting {
                max_ramp_mw_per_s,
                soc_target,
                recovery,
                initial_import_mw,
            } => {
                if let Some(p) = initial_import_mw {
                    check_range(
                        "policy.initial_import_mw",
                        p.value(),
                        0.0,
                        site.grid.import_limit().value(),
                        "0 ≤ x ≤ grid.import_limit_mw",
                    )?;
                }
                // A ramp is at most the largest site power per second: faster is no limit at all.
                check_positive("policy.max_ramp_mw_per_s", max_ramp_mw_per_s.value())
                    .and_then(|v| check_power("policy.max_ramp_mw_per_s", v))?;
                // The default target is checked too: a window that excludes it needs a target.
                let t = soc_target.unwrap_or(DEFAULT_SOC_TARGET);
                let (lo, hi) = site.battery.soc_window();
                check_range(
                    "policy.soc_target",
                    t.value(),
                    lo.value(),
                    hi.value(),
                    "inside the battery's SoC window: battery.soc_min ≤ x ≤ battery.soc_max",
                )?;
                if recovery.is_some_and(|r| r.is_zero()) {
                    return Err(ConfigError::OutOfRange {
                        field: "policy.recovery".into(),
                        value: 0.0,
                        allowed: "a duration > 0",
                    });
                }
                Ok(())
            }
        }
    }
}

/// Charge power to recharge from grid headroom under `ceiling`, at most `rate`.
#[inline]
fn recharge(obs: &Observation, ceiling: Power, rate: Option<Power>) -> Power {
    let headroom = (ceiling.min(obs.available_import) - obs.demand).max(Power::ZERO);
    let rate = rate.unwrap_or(obs.max_charge);
    -(headroom.min(rate).min(obs.max_charge))
}

/// Battery power for a wanted grid import `target`: the shortfall below the available import may
/// use the whole window; the rest only the energy above the reserve. The shortfall is asked in
/// full, not cut to what the window sustains for the whole segment: the engine delivers it
/// until the battery empties and ends the segment there, which is what makes the ride-through
/// time exact (the cut would spread the last energy thinly over the segment).
#[inline]
fn discharge_for(obs: &Observation, target: Power) -> Power {
    let short = obs.shortfall();
    let above = (obs.max_discharge_above_reserve - short).max(Power::ZERO);
    let extra = (obs.demand.min(obs.available_import) - target).max(Power::ZERO);
    short + extra.min(above)
}

/// [`Policy::ValueStacking`]'s rule (the module docs, "Value stacking"), in its order.
#[inline(always)]
fn value_stacking(
    obs: &Observation,
    cap: Power,
    low: Price,
    high: Price,
    rate: Option<Power>,
) -> Power {
    let ceiling = cap.min(obs.available_import);
    if obs.price >= high {
        // Rules 1 and 2: the shortfall, then everything above the reserve (a target import of
        // zero); the engine cuts it to the demand plus the export allowed.
        let short = obs.shortfall();
        return short + (obs.max_discharge_above_reserve - short).max(Power::ZERO);
    }
    if obs.demand > ceiling {
        // Rules 1 and 3: the shortfall, then the import shaved to the cap.
        return discharge_for(obs, cap);
    }
    if obs.energy < obs.reserve_energy {
        // Rule 4: back to the reserve, not beyond it: the charge that stores exactly the
        // missing energy over the segment.
        let missing = (obs.reserve_energy - obs.energy) / obs.dt / obs.charge_efficiency.max(1e-9);
        return recharge(obs, cap, Some(rate.unwrap_or(obs.max_charge).min(missing)));
    }
    if obs.price <= low {
        // Rule 5.
        return recharge(obs, cap, rate);
    }
    Power::ZERO
}

impl Dispatch for Policy {
    fn validate(&self, site: &Site) -> Result<(), ConfigError> {
        Policy::validate(self, site)
    }

    fn name(&self) -> &'static str {
        match self {
            Policy::BackupOnly { .. } => "backup_only",
            Policy::PeakShaving { .. } => "peak_shaving",
            Policy::RampLimiting { .. } => "ramp_limiting",
            Policy::ValueStacking { .. } => "value_stacking",
        }
    }

    fn initial_import(&self) -> Option<Power> {
        match *self {
            Policy::RampLimiting {
                initial_import_mw, ..
            } => initial_import_mw,
            _ => None,
        }
    }

    fn ramp_limit(&self) -> Option<RampRate> {
        match *self {
            Policy::RampLimiting {
                max_ramp_mw_per_s, ..
            } => Some(max_ramp_mw_per_s),
            _ => None,
        }
    }

    fn covers_islanded_demand(&self) -> bool {
        // BackupOnly asks the shortfall, which is the demand; PeakShaving, RampLimiting and
        // ValueStacking ask `discharge_for`, the shortfall plus a part ≥ 0 of the energy above
        // the reserve.
        true
    }

    #[inline]
    fn idle_below(&self, obs: &Observation) -> Option<Power> {
        // Recharging asks −min(headroom, rate, max_charge): zero at the ceiling, as long as the
        // rate is a number ≥ 0 (an unchecked negative rate would discharge).
        let rests = |rate: Option<Power>| {
            obs.max_charge == Power::ZERO && rate.map_or(true, |r| r.value() >= 0.0)
        };
        match *self {
            // No shortfall while demand ≤ available import.
            Policy::BackupOnly { recharge_rate_mw } if rests(recharge_rate_mw) => {
                Some(obs.available_import)
            }
            // No discharge while demand ≤ min(cap, available import).
            Policy::PeakShaving {
                import_cap_mw,
                recharge_rate_mw,
            } if rests(recharge_rate_mw) => Some(import_cap_mw.min(obs.available_import)),
            // ValueStacking acts on the price, which changes from step to step: never idle.
            _ => None,
        }
    }

    // Forced: inlined into the step, the observation's fields a policy does not read are
    // never computed (a call boundary costs the stepped engine up to a third of its speed).
    #[inline(always)]
    fn decide(&mut self, obs: &Observation) -> Power {
        match *self {
            Policy::BackupOnly { recharge_rate_mw } => {
                let short = obs.shortfall();
                if short > Power::ZERO {
                    short
                } else {
                    recharge(obs, obs.available_import, recharge_rate_mw)
                }
            }
            Policy::PeakShaving {
                import_cap_mw,
                recharge_rate_mw,
            } => {
                if obs.demand > import_cap_mw.min(obs.available_import) {
                    discharge_for(obs, import_cap_mw)
                } else {
                    recharge(obs, import_cap_mw, recharge_rate_mw)
                }
            }
            Policy::RampLimiting {
                max_ramp_mw_per_s,
                soc_target,
                recovery,
                ..
            } => {
                let target_e = obs.capacity * soc_target.unwrap_or(DEFAULT_SOC_TARGET);
                let tau = recovery.unwrap_or(DEFAULT_RECOVERY).hours();
                // Grid import that would follow the load and refill toward the target.
                let steer = (target_e - obs.energy) / tau / obs.charge_efficiency.max(1e-9);
                let wanted = obs.demand + steer;
                let band = max_ramp_mw_per_s.over(obs.dt);
                let import = wanted
                    .clamp_to(obs.previous_import - band, obs.previous_import + band)
                    .clamp_to(Power::ZERO, obs.available_import);
                let p = obs.demand - import;
                if p >= Power::ZERO {
                    // Discharging: smoothing uses only the energy above the reserve, while a
                    // shortfall (outage) may use all of it.
                    discharge_for(obs, import)
                } else {
                    p.max(-obs.max_charge)
                }
            }
            Policy::ValueStacking {
                import_cap_mw,
                charge_below_usd_per_mwh: low,
                discharge_above_usd_per_mwh: high,
                recharge_rate_mw,
            } => value_stacking(obs, import_cap_mw, low, high, recharge_rate_mw),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A few ulps of the 3 MW compared below: the ramp is one product of three numbers.
    const RAMP_TOLERANCE_MW: f64 = 1e-12;

    #[test]
    fn a_ramp_over_a_step_is_a_power() {
        // 0.05 MW/s over 100 ms is 5 kW; over a minute, 3 MW.
        let r = RampRate::mw_per_s(0.05);
        assert!((r.over(Hours::h(0.1 / 3_600.0)).value() - 0.005).abs() < RAMP_TOLERANCE_MW);
        assert!((r.over(Hours::h(1.0 / 60.0)).value() - 3.0).abs() < RAMP_TOLERANCE_MW);
    }

    /// An observation of a grid-connected 10 MW site with a battery holding 50 of 100 MWh,
    /// reserve 20 MWh, 5 MW each way, one-hour segments, at price `p`.
    fn obs(p: f64) -> Observation {
        Observation {
            step: 0,
            dt: Hours::h(1.0),
            demand: Power::mw(10.0),
            available_import: Power::mw(20.0),
            available_generation: Power::ZERO,
            import_limit: Power::mw(20.0),
            export_allowed: Power::ZERO,
            previous_import: Power::mw(10.0),
            energy: Energy::mwh(50.0),
            soc: Fraction::ratio(0.5),
            reserve_energy: Energy::mwh(20.0),
            max_energy: Energy::mwh(100.0),
            capacity: Energy::mwh(100.0),
            max_discharge: Power::mw(5.0),
            max_discharge_above_reserve: Power::mw(5.0),
            max_charge: Power::mw(5.0),
            charge_efficiency: 0.9,
            price: Price::usd_per_mwh(p),
        }
    }

    #[test]
    fn value_stacking_follows_its_rules_in_order() {
        let mut policy = Policy::ValueStacking {
            import_cap_mw: Power::mw(12.0),
            charge_below_usd_per_mwh: Price::usd_per_mwh(30.0),
            discharge_above_usd_per_mwh: Price::usd_per_mwh(60.0),
            recharge_rate_mw: Some(Power::mw(4.0)),
        };
        let mut decide = |o: Observation| policy.decide(&o).value();
        // Expensive: everything above the reserve the power allows.
        assert_eq!(decide(obs(60.0)), 5.0);
        // Cheap: charge under the cap (12 − 10 = 2 MW of headroom, below the 4 MW rate).
        assert_eq!(decide(obs(30.0)), -2.0);
        // In between: idle.
        assert_eq!(decide(obs(45.0)), 0.0);
        // A peak above the cap: shaved to it, whatever the price.
        let mut o = obs(45.0);
        o.demand = Power::mw(14.5);
        assert_eq!(decide(o), 2.5);
        // Below the reserve, at a middling price: back to the reserve only (2 MWh missing,
        // 2/0.9 MW over the hour), not beyond (at an 8 MW demand: 4 MW under the cap).
        let mut o = obs(45.0);
        o.demand = Power::mw(8.0);
        o.energy = Energy::mwh(18.0);
        o.max_discharge_above_reserve = Power::ZERO;
        assert!((decide(o) + 2.0 / 0.9).abs() < 1e-12);
        // An outage: the shortfall from the whole window, and at a high price the rest above
        // the reserve too (the engine cuts it to the demand).
        let mut o = obs(45.0);
        o.available_import = Power::ZERO;
        o.max_discharge = Power::mw(12.0);
        assert_eq!(decide(o), 10.0);
        o.price = Price::usd_per_mwh(90.0);
        assert_eq!(decide(o), 10.0);
    }

    #[test]
    fn a_ramp_serialises_as_a_plain_number() {
        let p: Policy =
            toml::from_str("kind = \"ramp_limiting\"\nmax_ramp_mw_per_s = 0.05").expect("parses");
        assert_eq!(
            p,
            Policy::RampLimiting {
                max_ramp_mw_per_s: RampRate::mw_per_s(0.05),
                soc_target: None,
                recovery: None,
                initial_import_mw: None,
            }
        );
        assert_eq!(
            serde_json::to_string(&p).expect("serialises"),
            r#"{"kind":"ramp_limiting","max_ramp_mw_per_s":0.05,"soc_target":null,"recovery":null}"#
        );
    }
}
