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

use crate::error::{check_fraction, check_positive, ConfigError};
use crate::units::{Duration, Energy, Fraction, Hours, Power};
use serde::{Deserialize, Serialize};

/// What a policy can see at the start of a step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Observation {
    /// Step index.
    pub step: u64,
    /// Step length.
    pub dt: Hours,
    /// Site demand this step: facility load plus the battery's auxiliary load.
    pub demand: Power,
    /// Grid import available this step (import limit × availability).
    pub available_import: Power,
    /// The feed's import limit when fully available.
    pub import_limit: Power,
    /// Power that may be exported this step.
    pub export_allowed: Power,
    /// Grid import in the previous step (0 before the first step).
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
}

impl Observation {
    /// Load the grid cannot carry this step: `max(0, demand − available import)`.
    #[inline]
    pub fn shortfall(&self) -> Power {
        (self.demand - self.available_import).max(Power::ZERO)
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
}

/// The built-in policies, as named in scenario files (`[policy] kind = "backup_only"`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Policy {
    /// Stand by full; cover only the load the grid cannot carry; recharge from headroom.
    BackupOnly {
        /// Largest recharging power, MW (default: the fleet's charging limit).
        #[serde(default)]
        recharge_rate_mw: Option<f64>,
    },
    /// Keep grid import at or under a cap with the energy above the backup reserve.
    PeakShaving {
        /// The import cap, MW.
        import_cap_mw: f64,
        /// Largest recharging power, MW (default: the fleet's charging limit).
        #[serde(default)]
        recharge_rate_mw: Option<f64>,
    },
    /// Limit the grid import's rate of change by absorbing swings in the battery.
    RampLimiting {
        /// Largest change of grid import, MW per second.
        max_ramp_mw_per_s: f64,
        /// SoC the policy steers back to (default 0.6).
        #[serde(default)]
        soc_target: Option<f64>,
        /// Time constant of the SoC steering (default 15 min).
        #[serde(default)]
        recovery: Option<Duration>,
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
pub const DEFAULT_SOC_TARGET: f64 = 0.6;
/// Default SoC steering time constant of [`Policy::RampLimiting`] (assumption).
pub const DEFAULT_RECOVERY: Duration = Duration::from_minutes(15);

impl Policy {
    /// Checks every number.
    ///
    /// # Errors
    /// [`ConfigError::OutOfRange`] naming the field (`policy.import_cap_mw`, …).
    pub fn validate(&self) -> Result<(), ConfigError> {
        let rate = |r: Option<f64>| match r {
            Some(v) => check_positive("policy.recharge_rate_mw", v).map(|_| ()),
            None => Ok(()),
        };
        match *self {
            Policy::BackupOnly { recharge_rate_mw } => rate(recharge_rate_mw),
            Policy::PeakShaving {
                import_cap_mw,
                recharge_rate_mw,
            } => {
                crate::error::check_non_negative("policy.import_cap_mw", import_cap_mw)?;
                rate(recharge_rate_mw)
            }
            Policy::RampLimiting {
                max_ramp_mw_per_s,
                soc_target,
                recovery,
            } => {
                check_positive("policy.max_ramp_mw_per_s", max_ramp_mw_per_s)?;
                if let Some(t) = soc_target {
                    check_fraction("policy.soc_target", t)?;
                }
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
fn recharge(obs: &Observation, ceiling: Power, rate: Option<f64>) -> Power {
    let headroom = (ceiling.min(obs.available_import) - obs.demand).max(Power::ZERO);
    let rate = rate.map_or(obs.max_charge, Power::mw);
    -(headroom.min(rate).min(obs.max_charge))
}

/// Battery power for a wanted grid import `target`: the shortfall below the available import may
/// use the whole window; the rest only the energy above the reserve.
#[inline]
fn discharge_for(obs: &Observation, target: Power) -> Power {
    let short = obs.shortfall().min(obs.max_discharge);
    let above = (obs.max_discharge_above_reserve - short).max(Power::ZERO);
    let extra = (obs.demand.min(obs.available_import) - target).max(Power::ZERO);
    short + extra.min(above)
}

impl Dispatch for Policy {
    fn name(&self) -> &'static str {
        match self {
            Policy::BackupOnly { .. } => "backup_only",
            Policy::PeakShaving { .. } => "peak_shaving",
            Policy::RampLimiting { .. } => "ramp_limiting",
        }
    }

    #[inline]
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
                let cap = Power::mw(import_cap_mw);
                if obs.demand > cap.min(obs.available_import) {
                    discharge_for(obs, cap)
                } else {
                    recharge(obs, cap, recharge_rate_mw)
                }
            }
            Policy::RampLimiting {
                max_ramp_mw_per_s,
                soc_target,
                recovery,
            } => {
                let target_e = obs.capacity * soc_target.unwrap_or(DEFAULT_SOC_TARGET);
                let tau = recovery.unwrap_or(DEFAULT_RECOVERY).hours();
                // Grid import that would follow the load and refill toward the target.
                let steer = (target_e - obs.energy) / tau / obs.charge_efficiency.max(1e-9);
                let wanted = obs.demand + steer;
                let band = Power::mw(max_ramp_mw_per_s * obs.dt.value() * 3_600.0);
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
        }
    }
}
