//! The battery: a fleet of identical Megapack-style units.
//!
//! * [`BatteryParams`]: what a scenario file says (a preset and/or per-unit figures, unit count,
//!   SoC window, reserve, initial SoC), validated by [`Fleet::new`].
//! * [`Fleet`]: the validated, immutable fleet model with its limits.
//! * [`BatteryState`]: the stored energy, which changes every step.
//!
//! # Energy accounting
//! Powers are AC, at the site bus. Over a step of length Δt, delivering `P` drains `P·Δt/η_d`
//! from storage and charging with `P` stores `P·Δt·η_c`. A request that would leave the SoC
//! window is cut to the constant power the window allows for the whole step (a partial step
//! delivers a partial power, never more). Self-discharge removes a fixed fraction of the stored
//! energy per day (geometric decay), applied at the start of each step and never below the
//! window's floor. The auxiliary (standby/HVAC) load of every unit is a site load served like the
//! facility load. Every loss is counted: see [`StepLosses`].
//!
//! # Unit failures
//! `unit_failures` lists [`AvailabilityProcess`]es applied to **each** unit independently: the
//! units are a [`UnitSet`] (a unit is down when any of its processes is down; unit `j`'s process
//! `p` draws from `rng::stream(seed, rng::streams::BATTERY_UNITS + 16·j + p)`), with the unit
//! set's semantics for a transition inside a step, applied by [`Fleet::update_units`] before
//! self-discharge:
//!
//! * the fleet's **power limits** in step `k` scale with the time-average fraction of units up
//!   over step `k` (a unit down for 15 minutes of an hour removes a quarter of its power);
//! * **energy** moves at step boundaries: the units are identical and dispatched equally, so the
//!   energy of the pooled units is one pool ([`BatteryState::energy`]). At the first step
//!   boundary at which a unit is down, it takes its share `pool / units pooled` into its own
//!   locked slot; it keeps it while down (it neither charges nor discharges) and returns it to
//!   the pool at the first boundary at which it is up again. Moving energy between the pool and a
//!   slot is not a loss. The SoC window, the reserve and the usable energy scale with the
//!   fraction of units pooled ([`Fleet::units_up`]); [`Fleet::soc`] stays the whole fleet's (pool
//!   plus locked energy over nameplate). Self-discharge applies to the pool and to every locked
//!   slot (each above its unit's share of the window floor).

pub mod ageing;
pub mod augmentation;
pub mod enclosure;
pub mod lifetime;
pub mod rainflow;
pub mod thermal;

use self::ageing::{AgeingParams, AgeingState};
use self::augmentation::{
    AugmentationParams, AugmentationPlan, Cohort, CohortsState, ReplaceWhich, EMPTY_SLOT,
};
use self::lifetime::{Efficiency, EfficiencyCurveSpec, LifeState, Lifetime, ThermalParams};
use crate::components::limits::{
    MAX_BATTERY_UNITS, MAX_ENERGY_MWH, MAX_POWER_MW, MIN_ONE_WAY_EFFICIENCY,
    MIN_ROUND_TRIP_EFFICIENCY, MIN_UNIT_ENERGY_MWH,
};
use crate::error::{check_fraction, check_range, out_of_range, ConfigError};
use crate::reliability::availability::{AvailabilityProcess, Clock};
use crate::reliability::unit_set::{UnitSet, UnitSetState};
use crate::rng;
use crate::time::TimeGrid;
use crate::units::{Energy, Fraction, Hours, Power};
use serde::{Deserialize, Serialize, Serializer};

/// How far outside its window a snapshot's energy may lie, relative to the fleet's capacity.
/// A unit's failure or return moves `pool / units pooled` between the pool and its slot, and
/// [`Fleet::settle`] deliberately never pulls a pool those moves left a few ulps outside the
/// scaled window back in (that would create or destroy energy); so a state the fleet produced
/// can lie outside the exact window by rounding. 1e-9 of capacity is millions of ulps of such
/// rounding, yet under a kWh even for a 1 TWh fleet.
pub const SNAPSHOT_WINDOW_TOLERANCE: f64 = 1e-9;

/// Published (or documented-assumption) unit models.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Preset {
    /// Tesla Megapack 2 XL, 2-hour: 1,927 kW / 3,854 kWh AC, 92.0 % round trip
    /// (datasheet Rev 1.5.1, Feb 2023).
    #[serde(rename = "megapack2xl_2h")]
    Megapack2Xl2h,
    /// Tesla Megapack 2 XL, 4-hour: 979 kW / 3,916 kWh AC, 93.7 % round trip
    /// (datasheet Rev 1.5.1, Feb 2023).
    #[serde(rename = "megapack2xl_4h")]
    Megapack2Xl4h,
    /// Tesla Megapack 3 (announced Sep 2025): ≈5 MWh usable AC, 91 % round trip at medium voltage
    /// including auxiliaries. **The power rating is not published; 1.25 MW (a 4-hour unit) is an
    /// assumption** — override `power_mw` when the real figure is known.
    #[serde(rename = "megapack3")]
    Megapack3,
    /// The original 2019 Megapack (NMC): 1.5 MW / 3 MWh. **The 88 % round trip is an assumption**
    /// (not in the sources at hand).
    #[serde(rename = "megapack_2019")]
    Megapack2019,
}

/// Default standby/HVAC draw per unit: 2 kW at 25 °C (assumption; Tesla publishes none, and the
/// datasheet round-trip efficiency already includes the draw while cycling).
pub const DEFAULT_AUX_LOAD: Power = Power::mw(0.002);

/// Default backup reserve: 20 % of nameplate kept for outages (operator policy; assumption).
pub const DEFAULT_RESERVE_SOC: Fraction = Fraction::ratio(0.2);

impl Preset {
    /// The unit's figures.
    pub fn unit(self) -> UnitSpec {
        let (kw, kwh, rte) = match self {
            Preset::Megapack2Xl2h => (1_927.0, 3_854.0, 0.920),
            Preset::Megapack2Xl4h => (979.0, 3_916.0, 0.937),
            Preset::Megapack3 => (1_250.0, 5_000.0, 0.91),
            Preset::Megapack2019 => (1_500.0, 3_000.0, 0.88),
        };
        let one_way = Fraction::ratio(f64::sqrt(rte));
        UnitSpec {
            charge_power: Power::kw(kw),
            discharge_power: Power::kw(kw),
            energy: Energy::kwh(kwh),
            charge_efficiency: one_way,
            discharge_efficiency: one_way,
            self_discharge_per_day: Fraction::ZERO,
            aux_load: DEFAULT_AUX_LOAD,
        }
    }
}

/// One unit's figures (AC side).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct UnitSpec {
    /// Maximum charging power.
    pub charge_power: Power,
    /// Maximum discharging power.
    pub discharge_power: Power,
    /// Nameplate energy (usable AC energy; 0–100 % SoC spans it).
    pub energy: Energy,
    /// Fraction of charging energy that is stored.
    pub charge_efficiency: Fraction,
    /// Fraction of drained stored energy delivered.
    pub discharge_efficiency: Fraction,
    /// Fraction of the stored energy lost per day when idle.
    pub self_discharge_per_day: Fraction,
    /// Standby/HVAC draw, always on.
    pub aux_load: Power,
}

/// The `[battery]` table of a scenario: a fleet of `units` identical units.
///
/// Start from a `preset` and override any figure, or give every figure with no preset.
/// All per-unit figures are for ONE unit.
///
/// ```
/// use ridethrough::components::battery::{BatteryParams, Fleet, Preset};
/// let fleet = Fleet::new(&BatteryParams::preset(Preset::Megapack2Xl4h, 168))?;
/// assert!((fleet.capacity().value() - 657.888).abs() < 1e-9);
/// # Ok::<(), ridethrough::ConfigError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatteryParams {
    /// Number of units (0 means no battery; at most [`MAX_BATTERY_UNITS`]).
    pub units: u32,
    /// A unit model to start from.
    #[serde(default)]
    pub preset: Option<Preset>,
    /// Per-unit charge and discharge power limit, MW (sets both; 0 < x ≤ [`MAX_POWER_MW`], and
    /// `units ×` it at most [`MAX_POWER_MW`]).
    #[serde(default)]
    pub power_mw: Option<Power>,
    /// Per-unit charging power limit, MW (overrides `power_mw`; bounded as `power_mw`).
    #[serde(default)]
    pub charge_power_mw: Option<Power>,
    /// Per-unit discharging power limit, MW (overrides `power_mw`; bounded as `power_mw`).
    #[serde(default)]
    pub discharge_power_mw: Option<Power>,
    /// Per-unit nameplate energy, MWh: exactly 0, or [`MIN_UNIT_ENERGY_MWH`] ≤ x ≤
    /// [`MAX_ENERGY_MWH`], with `units ×` it at most [`MAX_ENERGY_MWH`].
    #[serde(default)]
    pub energy_mwh: Option<Energy>,
    /// Round-trip efficiency in `[0.01, 1]` ([`MIN_ROUND_TRIP_EFFICIENCY`]), split evenly (`√RTE` each way) unless one-way figures
    /// are given.
    #[serde(default)]
    pub round_trip_efficiency: Option<Fraction>,
    /// One-way charging efficiency, in `[0.1, 1]` ([`MIN_ONE_WAY_EFFICIENCY`]).
    #[serde(default)]
    pub charge_efficiency: Option<Fraction>,
    /// One-way discharging efficiency, in `[0.1, 1]` ([`MIN_ONE_WAY_EFFICIENCY`]).
    #[serde(default)]
    pub discharge_efficiency: Option<Fraction>,
    /// Fraction of stored energy lost per day, in `[0, 0.5]` (default 0).
    #[serde(default)]
    pub self_discharge_per_day: Option<Fraction>,
    /// Per-unit auxiliary (standby/HVAC) load, MW, in `[0, 1]` (default 0.002 MW = 2 kW).
    #[serde(default)]
    pub aux_load_mw: Option<Power>,
    /// Lowest allowed SoC (hardware window floor), in `[0, 1]`, default 0.
    #[serde(default)]
    pub soc_min: Option<Fraction>,
    /// Highest allowed SoC (hardware window ceiling), in `[0, 1]`, default 1.
    #[serde(default)]
    pub soc_max: Option<Fraction>,
    /// SoC at the start of the run, inside the window, default `soc_max`.
    #[serde(default)]
    pub initial_soc: Option<Fraction>,
    /// Backup reserve: SoC that peak shaving and smoothing never use outside outages, inside the
    /// window, default 0.2.
    #[serde(default)]
    pub reserve_soc: Option<Fraction>,
    /// Failure processes applied to each unit independently (at most 16; empty: units never
    /// fail), e.g. `unit_failures = [{ model = "markov", mttf = "8760h", mttr = "72h" }]`.
    #[serde(default)]
    pub unit_failures: Vec<AvailabilityProcess>,
    /// Degradation (`[battery.ageing]`, see [`ageing`]); absent: the fleet never ages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ageing: Option<AgeingParams>,
    /// Ambient temperature and the auxiliary draw it drives (`[battery.thermal]`, see
    /// [`lifetime`]); absent: 25 °C and the constant `aux_load_mw`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thermal: Option<ThermalParams>,
    /// Part-load efficiency curve in place of the constant one-way efficiencies
    /// (`"calibrated"` or points, see [`lifetime::EfficiencyCurveSpec`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub efficiency_curve: Option<EfficiencyCurveSpec>,
    /// Units added and replaced over a multi-year life (`[battery.augmentation]`, see
    /// [`augmentation`]); needs `[battery.ageing]`. Absent: the fleet keeps its units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub augmentation: Option<AugmentationParams>,
}

impl BatteryParams {
    /// Reads the CSV files the battery names (an hourly ambient trace,
    /// [`lifetime::AmbientTrace`]), relative to `base_dir`.
    ///
    /// # Errors
    /// As [`lifetime::AmbientTrace::load`].
    pub fn load_files(&mut self, base_dir: &std::path::Path) -> Result<(), ConfigError> {
        if let Some(lifetime::AmbientSource::Trace(t)) =
            self.thermal.as_mut().and_then(|t| t.ambient.as_mut())
        {
            t.load(base_dir)?;
        }
        Ok(())
    }

    /// The hourly ambient trace's values, once read (for the site fingerprint).
    pub(crate) fn ambient_trace_values(&self) -> Option<&[f64]> {
        match self.thermal.as_ref().and_then(|t| t.ambient.as_ref()) {
            Some(lifetime::AmbientSource::Trace(t)) => t.data.as_deref(),
            _ => None,
        }
    }

    /// `units` units of a preset, all other figures at their defaults.
    pub fn preset(preset: Preset, units: u32) -> BatteryParams {
        BatteryParams {
            units,
            preset: Some(preset),
            ..BatteryParams::none()
        }
    }

    /// No battery at all.
    pub fn none() -> BatteryParams {
        BatteryParams {
            units: 0,
            preset: None,
            power_mw: None,
            charge_power_mw: None,
            discharge_power_mw: None,
            energy_mwh: None,
            round_trip_efficiency: None,
            charge_efficiency: None,
            discharge_efficiency: None,
            self_discharge_per_day: None,
            aux_load_mw: None,
            soc_min: None,
            soc_max: None,
            initial_soc: None,
            reserve_soc: None,
            unit_failures: Vec::new(),
            ageing: None,
            thermal: None,
            efficiency_curve: None,
            augmentation: None,
        }
    }

    /// The unit figures after applying overrides to the preset.
    fn unit_spec(&self) -> Result<UnitSpec, ConfigError> {
        let base = self.preset.map(Preset::unit);
        let missing = |field: &str| ConfigError::Missing {
            field: format!("battery.{field}"),
            why: "give a preset or every per-unit figure",
        };
        let power = |specific: Option<Power>, name: &str, from_base: Option<Power>| match specific
            .or(self.power_mw)
        {
            Some(v) => Ok(Power::mw(check_range(
                format!("battery.{name}"),
                v.value(),
                f64::MIN_POSITIVE,
                MAX_POWER_MW,
                "0 < x ≤ 1e5 MW",
            )?)),
            None => from_base.ok_or_else(|| missing("power_mw")),
        };
        let charge_power = power(
            self.charge_power_mw,
            "charge_power_mw",
            base.map(|u| u.charge_power),
        )?;
        let discharge_power = power(
            self.discharge_power_mw,
            "discharge_power_mw",
            base.map(|u| u.discharge_power),
        )?;
        let energy = match self.energy_mwh {
            Some(v) => {
                let e = check_range(
                    "battery.energy_mwh",
                    v.value(),
                    0.0,
                    MAX_ENERGY_MWH,
                    "exactly 0, or 1e-6 ≤ x ≤ 8.76e11 MWh",
                )?;
                if e > 0.0 && e < MIN_UNIT_ENERGY_MWH {
                    return Err(out_of_range(
                        "battery.energy_mwh",
                        e,
                        "exactly 0, or 1e-6 ≤ x ≤ 8.76e11 MWh",
                    ));
                }
                Energy::mwh(e)
            }
            None => base
                .map(|u| u.energy)
                .ok_or_else(|| missing("energy_mwh"))?,
        };
        let eff = |field: &str, v: Fraction| {
            check_range(
                format!("battery.{field}"),
                v.value(),
                MIN_ONE_WAY_EFFICIENCY,
                1.0,
                "0.1 ≤ x ≤ 1",
            )
            .map(Fraction::ratio)
        };
        let split = match self.round_trip_efficiency {
            Some(rte) => Some(Fraction::ratio(
                check_range(
                    "battery.round_trip_efficiency",
                    rte.value(),
                    MIN_ROUND_TRIP_EFFICIENCY,
                    1.0,
                    "0.01 ≤ x ≤ 1",
                )?
                .sqrt(),
            )),
            None => None,
        };
        let one_way =
            |specific: Option<Fraction>, field: &str, from_base: Option<Fraction>| match specific {
                Some(v) => eff(field, v),
                None => split
                    .or(from_base)
                    .ok_or_else(|| missing("round_trip_efficiency")),
            };
        let charge_efficiency = one_way(
            self.charge_efficiency,
            "charge_efficiency",
            base.map(|u| u.charge_efficiency),
        )?;
        let discharge_efficiency = one_way(
            self.discharge_efficiency,
            "discharge_efficiency",
            base.map(|u| u.discharge_efficiency),
        )?;
        let self_discharge_per_day = match self.self_discharge_per_day {
            Some(v) => Fraction::ratio(check_range(
                "battery.self_discharge_per_day",
                v.value(),
                0.0,
                0.5,
                "0 ≤ x ≤ 0.5",
            )?),
            None => base.map_or(Fraction::ZERO, |u| u.self_discharge_per_day),
        };
        let aux_load = match self.aux_load_mw {
            Some(v) => Power::mw(check_range(
                "battery.aux_load_mw",
                v.value(),
                0.0,
                1.0,
                "0 ≤ x ≤ 1 MW",
            )?),
            None => DEFAULT_AUX_LOAD,
        };
        Ok(UnitSpec {
            charge_power,
            discharge_power,
            energy,
            charge_efficiency,
            discharge_efficiency,
            self_discharge_per_day,
            aux_load,
        })
    }
}

/// A validated fleet of identical units. It serialises (for reports) but does not deserialise:
/// a fleet is only built from [`BatteryParams`] by [`Fleet::new`], which validates.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fleet {
    unit: UnitSpec,
    units: u32,
    soc_min: f64,
    soc_max: f64,
    initial_soc: f64,
    reserve_soc: f64,
    // Fleet totals, derived once.
    capacity: Energy,
    /// `1 / capacity` in 1/MWh (0 for an empty fleet), so the SoC is a multiplication.
    inv_capacity: f64,
    /// The SoC reported for a fleet with no energy (the initial SoC, inside the window); 0
    /// otherwise, so `soc` is `stored / capacity + soc_if_empty` without a branch.
    soc_if_empty: f64,
    e_min: Energy,
    e_max: Energy,
    max_charge: Power,
    max_discharge: Power,
    aux: Power,
    /// Ageing, temperature and the efficiency curve, when configured (not serialised: the
    /// report states what they did).
    #[serde(skip)]
    life: Option<Box<Lifetime>>,
    /// [`Fleet::is_plain`], fixed at construction (the engine asks every step).
    plain: bool,
    /// [`Fleet::has_unit_failures`], fixed at construction (the engine asks every step).
    #[serde(skip)]
    unit_failures: bool,
    /// Lifetime models without unit failures or an augmentation plan: every state's
    /// [`Scale`] is its life state's factors (fixed at construction).
    #[serde(skip)]
    life_only: bool,
    /// The augmentation plan, when configured (not serialised: the report states what it did).
    #[serde(skip)]
    plan: Option<Box<AugmentationPlan>>,
    /// `1 / units` (0 without units): with a plan, the fleet's fractions are of the initial
    /// units.
    #[serde(skip)]
    inv_units: f64,
    /// The units and their failure processes (one per slot: with a plan, every unit the fleet
    /// may hold at once); serialised as the processes.
    #[serde(
        rename = "unit_failures",
        serialize_with = "serialize_processes",
        skip_serializing_if = "has_no_processes"
    )]
    unit_set: UnitSet,
}

fn serialize_processes<S: Serializer>(set: &UnitSet, s: S) -> Result<S::Ok, S::Error> {
    set.processes().serialize(s)
}

fn has_no_processes(set: &UnitSet) -> bool {
    set.processes().is_empty()
}

/// The fleet's changing state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatteryState {
    /// Energy stored in the units that are up (the whole fleet's when no unit can fail).
    pub energy: Energy,
    /// Unit availability, present only when unit failures are configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    units: Option<Box<UnitsState>>,
    /// The fade so far and what it implies, present only with ageing, temperature or an
    /// efficiency curve configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    life: Option<Box<LifeState>>,
}

/// What a state's failed units and ageing make of the fleet's limits, read from the state once
/// ([`Fleet::scale`]) where a segment needs several limits: every limit is written once, over a
/// scale ([`Fleet::soc_in`], [`Fleet::max_discharge_above_in`], …), and the one-state methods
/// ([`Fleet::soc`], [`Fleet::max_discharge`], …) read the scale of their state. A fleet with no
/// unit failures and no lifetime models has one scale for every state ([`Fleet::plain_scale`]),
/// which the engine uses without reading the state at all. The factors are plain numbers, not
/// options: multiplying by 1 and adding −0 are exact, so a fleet whose factors are the identity
/// gets its unscaled limits bit for bit, and no limit branches on them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scale {
    /// The fraction of the nameplate window in use (units pooled × the capacity factor left by
    /// ageing; 1 for the whole).
    window: f64,
    /// The time-average fraction of units up over the current span (scales the power limits;
    /// 1 for all).
    power: f64,
    /// The one-way efficiencies at rated power (with ageing's resistance growth).
    eta: Efficiency,
    /// Energy locked in units that are down (−0 without unit failures: `x + (−0) = x` for every
    /// `x`, −0 included, so the compiler drops the addition for a plain fleet).
    locked: Energy,
    /// `1 / capacity factor` (1 without lifetime models).
    inv_capacity_factor: f64,
}

/// [`Scale::locked`] without unit failures: −0, the exact identity of addition.
const NO_LOCKED: Energy = Energy::mwh(-0.0);

impl Scale {
    /// The one-way efficiencies at rated power.
    #[inline]
    pub fn eta(&self) -> Efficiency {
        self.eta
    }
}

/// The units' availability and the energy locked in units that are down.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct UnitsState {
    /// The unit set.
    set: UnitSetState,
    /// Time-average number of units up over the current step (scales the power limits).
    mean_up: f64,
    /// Units whose energy is in the pool.
    pooled: u32,
    /// Per unit, whether its energy is locked (it was down at the last step boundary).
    held: Vec<bool>,
    /// Energy held by each unit while it is locked (0 while pooled).
    locked: Vec<Energy>,
    /// `Σ locked`.
    locked_total: Energy,
    /// Whether a unit changed state in the last step (the pool is reconciled at the boundary).
    dirty: bool,
}

/// Energy lost inside the battery over one step.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct StepLosses {
    /// Lost while charging: `P·Δt·(1 − η_c)`.
    pub charge: Energy,
    /// Lost while discharging: `P·Δt·(1/η_d − 1)`.
    pub discharge: Energy,
}

impl Fleet {
    /// Validates `params` and builds the fleet.
    ///
    /// # Errors
    /// [`ConfigError::OutOfRange`] for a unit count, power, energy or efficiency outside its range
    /// (see [`crate::components::limits`]), fleet totals above [`MAX_POWER_MW`] or
    /// [`MAX_ENERGY_MWH`], a SoC outside [0, 1]; [`ConfigError::Inconsistent`] for `soc_min ≥ soc_max`, a
    /// reserve or initial SoC outside the window; [`ConfigError::Missing`] when a figure is
    /// neither given nor in the preset.
    pub fn new(params: &BatteryParams) -> Result<Fleet, ConfigError> {
        // Before anything per unit is allocated.
        if params.units > MAX_BATTERY_UNITS {
            return Err(out_of_range(
                "battery.units",
                f64::from(params.units),
                "0 ≤ units ≤ 100,000",
            ));
        }
        let unit = if params.units == 0 && params.preset.is_none() && params.energy_mwh.is_none() {
            // No battery: a placeholder unit that is never used.
            Preset::Megapack2Xl4h.unit()
        } else {
            params.unit_spec()?
        };
        let frac = |field: &str, v: Option<Fraction>, default: f64| {
            check_fraction(
                format!("battery.{field}"),
                v.map_or(default, Fraction::value),
            )
        };
        let soc_min = frac("soc_min", params.soc_min, 0.0)?;
        let soc_max = frac("soc_max", params.soc_max, 1.0)?;
        if soc_min >= soc_max {
            return Err(ConfigError::Inconsistent {
                field: "battery.soc_min".into(),
                why: "soc_min must be below soc_max",
            });
        }
        let initial_soc = frac("initial_soc", params.initial_soc, soc_max)?;
        let reserve_soc = frac(
            "reserve_soc",
            params.reserve_soc,
            DEFAULT_RESERVE_SOC.value().clamp(soc_min, soc_max),
        )?;
        if !(soc_min..=soc_max).contains(&initial_soc) {
            return Err(ConfigError::Inconsistent {
                field: "battery.initial_soc".into(),
                why: "initial_soc must lie in the window soc_min..=soc_max",
            });
        }
        if !(soc_min..=soc_max).contains(&reserve_soc) {
            return Err(ConfigError::Inconsistent {
                field: "battery.reserve_soc".into(),
                why: "reserve_soc must lie in the window soc_min..=soc_max",
            });
        }
        let plan = match &params.augmentation {
            None => None,
            Some(a) => {
                if params.ageing.is_none() {
                    return Err(ConfigError::Inconsistent {
                        field: "battery.augmentation".into(),
                        why: "an augmentation plan needs [battery.ageing] (without ageing, give \
                              the units in battery.units)",
                    });
                }
                Some(Box::new(a.validate(params.units)?))
            }
        };
        // With a plan, one slot for every unit the fleet may hold at once.
        let slots = plan.as_ref().map_or(params.units, |p| p.slots());
        let unit_set = UnitSet::new(
            "battery.unit_failures",
            slots,
            &params.unit_failures,
            rng::streams::BATTERY_UNITS,
        )?;
        let n = f64::from(params.units);
        let most = f64::from(slots);
        // Fleet totals (the unit figures are bounded, so these are finite; bound them too).
        for (name, per_unit, max, allowed) in [
            (
                "charge_power_mw",
                unit.charge_power.value(),
                MAX_POWER_MW,
                "units × charge power ≤ 1e5 MW (value: the fleet's, MW)",
            ),
            (
                "discharge_power_mw",
                unit.discharge_power.value(),
                MAX_POWER_MW,
                "units × discharge power ≤ 1e5 MW (value: the fleet's, MW)",
            ),
            (
                "energy_mwh",
                unit.energy.value(),
                MAX_ENERGY_MWH,
                "units × energy ≤ 8.76e11 MWh (value: the fleet's, MWh)",
            ),
        ] {
            if per_unit * most > max {
                return Err(out_of_range(
                    format!("battery.{name}"),
                    per_unit * most,
                    allowed,
                ));
            }
        }
        if params.thermal.is_some() && params.aux_load_mw.is_some() {
            return Err(ConfigError::Inconsistent {
                field: "battery.aux_load_mw".into(),
                why: "give either aux_load_mw or [battery.thermal] (whose aux_curve replaces it)",
            });
        }
        let life = Lifetime::new(
            params.ageing.as_ref(),
            params.thermal.as_ref(),
            params.efficiency_curve.as_ref(),
            &unit,
        )?
        .map(Box::new);
        let capacity = unit.energy * n;
        let unit_failures = !unit_set.processes().is_empty() && params.units > 0;
        Ok(Fleet {
            plain: !unit_failures && life.is_none(),
            unit_failures,
            life_only: !unit_failures && life.is_some() && plan.is_none(),
            unit,
            units: params.units,
            soc_min,
            soc_max,
            initial_soc,
            reserve_soc,
            capacity,
            inv_capacity: if capacity.value() > 0.0 {
                1.0 / capacity.value()
            } else {
                0.0
            },
            soc_if_empty: if capacity.value() > 0.0 {
                0.0
            } else {
                initial_soc
            },
            e_min: capacity * soc_min,
            e_max: capacity * soc_max,
            max_charge: unit.charge_power * n,
            max_discharge: unit.discharge_power * n,
            aux: unit.aux_load * n,
            life,
            plan,
            inv_units: if params.units > 0 { 1.0 / n } else { 0.0 },
            unit_set,
        })
    }

    /// The state at the start of a run seeded with `seed` (all units pooled; the first unit
    /// failure sojourns are drawn at the first [`Fleet::update_units`], from
    /// `rng::stream(seed, rng::streams::BATTERY_UNITS + 16·j + p)` for process `p` of unit `j`).
    pub fn initial_state(&self, seed: u64) -> BatteryState {
        let energy = self.capacity * self.initial_soc;
        let mut life = self
            .life
            .as_ref()
            .map(|l| Box::new(l.initial_state_of(Fraction::ratio(self.initial_soc), self.units)));
        if let (Some(l), Some(_), Some(model)) = (
            life.as_deref_mut(),
            &self.plan,
            self.life.as_deref().and_then(Lifetime::ageing),
        ) {
            // With a plan each cohort keeps its own ageing state.
            l.ageing = None;
            l.cohorts = Some(self.first_cohort(model, energy));
        }
        if !self.has_unit_failures() {
            return BatteryState {
                energy,
                units: None,
                life,
            };
        }
        let n = self.unit_set.count() as usize;
        BatteryState {
            energy,
            units: Some(Box::new(UnitsState {
                set: self.unit_set.unstarted_state(seed),
                mean_up: f64::from(self.units),
                pooled: self.units,
                held: vec![false; n],
                locked: vec![Energy::ZERO; n],
                locked_total: Energy::ZERO,
                dirty: false,
            })),
            life,
        }
    }

    /// Whether any unit can fail (the engine's unit stages run only then).
    #[inline]
    pub fn has_unit_failures(&self) -> bool {
        self.unit_failures
    }

    /// Whether every state of this fleet has [`Fleet::plain_scale`]: no unit can fail and no
    /// lifetime model is configured.
    #[inline]
    pub fn is_plain(&self) -> bool {
        self.plain
    }

    /// The [`Scale`] of state `s`.
    #[inline]
    pub fn scale(&self, s: &BatteryState) -> Scale {
        let (c, d) = (self.unit.charge_efficiency, self.unit.discharge_efficiency);
        if self.life_only {
            // Lifetime models alone: the factors, as the general case below reads them.
            if let Some(l) = s.life.as_deref() {
                return Scale {
                    window: l.capacity_factor,
                    power: 1.0,
                    eta: Efficiency {
                        charge: Fraction::ratio(c.value() * l.efficiency_factor),
                        discharge: Fraction::ratio(d.value() * l.efficiency_factor),
                    },
                    locked: NO_LOCKED,
                    inv_capacity_factor: l.inv_capacity_factor,
                };
            }
        }
        Scale {
            window: self.up_fraction(s).unwrap_or(1.0),
            power: self.power_fraction(s).unwrap_or(1.0),
            eta: match &s.life {
                None => Efficiency {
                    charge: c,
                    discharge: d,
                },
                Some(l) => Efficiency {
                    charge: Fraction::ratio(c.value() * l.efficiency_factor),
                    discharge: Fraction::ratio(d.value() * l.efficiency_factor),
                },
            },
            locked: s.units.as_ref().map_or(NO_LOCKED, |u| u.locked_total),
            inv_capacity_factor: s.life.as_ref().map_or(1.0, |l| l.inv_capacity_factor),
        }
    }

    /// The [`Scale`] of every state of a fleet that [`Fleet::is_plain`]: the whole window, all
    /// units up, the unit's efficiencies.
    #[inline]
    pub fn plain_scale(&self) -> Scale {
        Scale {
            window: 1.0,
            power: 1.0,
            eta: Efficiency {
                charge: self.unit.charge_efficiency,
                discharge: self.unit.discharge_efficiency,
            },
            locked: NO_LOCKED,
            inv_capacity_factor: 1.0,
        }
    }

    /// Advances the units over step `k` of `time` (call once per step, in order, before
    /// self-discharge): first moves energy for the units that failed or were repaired by the
    /// step's start ([`Fleet::units_at`]), then measures the time-average units up over the
    /// step, which scales the power limits ([`Fleet::units_over`]). The engine calls the two
    /// per segment instead, so a unit's failure or return takes effect at its own millisecond.
    #[inline]
    pub fn update_units(&self, s: &mut BatteryState, k: u64, time: &TimeGrid) {
        if s.units.is_none() {
            return;
        }
        let clock = Clock::of(time);
        self.units_at(s, &clock);
        let t0 = time.offset(k).as_millis();
        self.units_over(s, t0, time.offset(k + 1).as_millis(), &clock);
    }

    /// Moves energy for the units that failed or were repaired by now (the end of the last span
    /// [`Fleet::units_over`] measured; the first call draws the units' first sojourns, at
    /// `t = 0`): a failed unit's share of the pool is locked, a returned unit's locked energy
    /// rejoins it. A flag check when no unit changed state.
    #[inline]
    pub fn units_at(&self, s: &mut BatteryState, clock: &Clock) {
        let Some(u) = s.units.as_deref_mut() else {
            return;
        };
        if !u.dirty && u.set.is_started() {
            return;
        }
        match s.life.as_deref_mut() {
            Some(l) if l.cohorts.is_some() => {
                if let Some(c) = l.cohorts.as_mut() {
                    l.efficiency_factor = self.reconcile_cohorts(&mut s.energy, u, c, clock);
                }
            }
            _ => self.reconcile(&mut s.energy, u, clock),
        }
    }

    /// Measures the units over `[t0, t1)` (which follows the last span measured): their
    /// time-average number up scales the power limits. When no unit changes state inside the
    /// span (it ends at or before [`Fleet::next_unit_change_ms`]) this is the number up, exactly;
    /// one comparison then.
    #[inline]
    pub fn units_over(&self, s: &mut BatteryState, t0: u64, t1: u64, clock: &Clock) {
        let Some(u) = s.units.as_deref_mut() else {
            return;
        };
        let cohorts = s.life.as_deref().and_then(|l| l.cohorts.as_ref());
        if u.set.next_transition_ms() > t1 {
            // With a plan, the units up are those pooled: installed and up.
            u.mean_up = f64::from(cohorts.map_or(u.set.up(), |_| u.pooled));
            return;
        }
        u.dirty = true;
        let mean = self.unit_set.step(&mut u.set, clock, t0, t1).up_mean;
        u.mean_up = match cohorts {
            None => mean,
            // Slots with no unit are out of service: less those up at the span's end (exact
            // in the engine's spans, which end at every transition; an approximation for a
            // caller stepping whole steps across one).
            Some(c) => {
                let empty_up = (0..u.held.len())
                    .filter(|&j| c.slot_cohort[j] == EMPTY_SLOT && u.set.is_down(j) == Some(false))
                    .count();
                (mean - empty_up as f64).clamp(0.0, f64::from(c.installed_units))
            }
        };
    }

    /// The span from `t` (which follows the last span measured) to `until` or to the first
    /// unit transition before it, whichever is first: moves the energy of units that changed at
    /// `t` ([`Fleet::units_at`]), measures the units over the span ([`Fleet::units_over`], the
    /// number up, exactly) and returns its end. One check without unit failures.
    #[inline]
    pub fn units_span(&self, s: &mut BatteryState, t: u64, until: u64, clock: &Clock) -> u64 {
        if s.units.is_none() {
            return until;
        }
        self.units_at(s, clock);
        let end = until.min(self.next_unit_change_ms(s)).max(t + 1);
        self.units_over(s, t, end, clock);
        end
    }

    /// The earliest time (ms from the grid start) at which a unit may fail or return
    /// (`u64::MAX` without unit failures, or before [`Fleet::units_at`] first ran).
    #[inline]
    pub fn next_unit_change_ms(&self, s: &BatteryState) -> u64 {
        s.units
            .as_deref()
            .map_or(u64::MAX, |u| u.set.next_transition_ms())
    }

    /// Until when (ms from the grid start) the units leave `s` as it is: a span that ends before
    /// this time moves no energy and measures the units up it already holds
    /// ([`Fleet::units_span`] changes nothing). `u64::MAX` without unit failures; `None` while
    /// the units still have to settle a change (or draw their first sojourns), i.e. when the
    /// next span would change the state.
    #[inline]
    pub fn units_rest_until_ms(&self, s: &BatteryState) -> Option<u64> {
        match s.units.as_deref() {
            None => Some(u64::MAX),
            Some(u)
                if u.dirty
                    || !u.set.is_started()
                    || u.mean_up != f64::from(cohorts_of(s).map_or(u.set.up(), |_| u.pooled)) =>
            {
                None
            }
            Some(u) => Some(u.set.next_transition_ms()),
        }
    }

    /// The slow path of [`Fleet::units_at`].
    #[cold]
    fn reconcile(&self, pool: &mut Energy, u: &mut UnitsState, clock: &Clock) {
        if !u.set.is_started() {
            self.unit_set.start(&mut u.set, clock);
        }
        for j in 0..u.held.len() {
            let down = u.set.is_down(j) == Some(true);
            if down && !u.held[j] {
                let share = *pool / f64::from(u.pooled);
                u.locked[j] = share;
                *pool -= share;
                u.pooled -= 1;
            } else if !down && u.held[j] {
                *pool += u.locked[j];
                u.locked[j] = Energy::ZERO;
                u.pooled += 1;
            }
            if u.pooled == 0 {
                *pool = Energy::ZERO;
            }
            u.held[j] = down;
        }
        u.locked_total = u.locked.iter().copied().sum();
        u.dirty = false;
    }

    /// The fraction of the nameplate window in use — the fraction of units pooled times the
    /// capacity factor left by ageing — when below the whole (`None` for all units pooled and
    /// no ageing configured).
    #[inline]
    fn up_fraction(&self, s: &BatteryState) -> Option<f64> {
        if let Some(c) = cohorts_of(s) {
            return Some(c.window_units * self.inv_units);
        }
        let pooled = match &s.units {
            Some(u) if u.pooled < self.units => Some(f64::from(u.pooled) / f64::from(self.units)),
            _ => None,
        };
        match (&s.life, pooled) {
            (None, f) => f,
            (Some(l), None) => Some(l.capacity_factor),
            (Some(l), Some(f)) => Some(f * l.capacity_factor),
        }
    }

    /// The capacity factor left by ageing (1 without ageing).
    #[inline]
    fn capacity_factor_of(&self, s: &BatteryState) -> f64 {
        s.life.as_ref().map_or(1.0, |l| l.capacity_factor)
    }

    /// The time-average fraction of units up over the current step (scales the power limits),
    /// when below 1 (`None` otherwise).
    #[inline]
    fn power_fraction(&self, s: &BatteryState) -> Option<f64> {
        match &s.units {
            Some(u) if u.mean_up < f64::from(self.units) => Some(u.mean_up / f64::from(self.units)),
            // With a plan, more units than the initial fleet's may be up.
            Some(u) if u.mean_up > f64::from(self.units) => Some(u.mean_up * self.inv_units),
            Some(_) => None,
            None => match cohorts_of(s) {
                Some(c) if c.installed_units != self.units => {
                    Some(f64::from(c.installed_units) * self.inv_units)
                }
                _ => None,
            },
        }
    }

    /// The time-average number of units up over the current step (the last one
    /// [`Fleet::update_units`] measured).
    pub fn mean_units_up(&self, s: &BatteryState) -> f64 {
        s.units
            .as_ref()
            .map_or(f64::from(self.installed_units(s)), |u| u.mean_up)
    }

    /// Units installed in state `s`: the initial units, or with an augmentation plan those
    /// installed now.
    pub fn installed_units(&self, s: &BatteryState) -> u32 {
        cohorts_of(s).map_or(self.units, |c| c.installed_units)
    }

    /// Units whose energy is pooled in state `s`: those up at the current step's start.
    pub fn units_up(&self, s: &BatteryState) -> u32 {
        s.units
            .as_ref()
            .map_or_else(|| self.installed_units(s), |u| u.pooled)
    }

    /// Energy held by units that are down.
    pub fn locked_energy(&self, s: &BatteryState) -> Energy {
        s.units.as_ref().map_or(Energy::ZERO, |u| u.locked_total)
    }

    /// The backup reserve of the units that are up ([`Fleet::reserve_energy`] scaled).
    #[inline]
    pub fn reserve_energy_up(&self, s: &BatteryState) -> Energy {
        self.reserve_energy_in(&self.scale(s))
    }

    /// [`Fleet::reserve_energy_up`] at scale `sc`.
    #[inline]
    pub fn reserve_energy_in(&self, sc: &Scale) -> Energy {
        let e = self.reserve_energy();
        e * sc.window
    }

    /// The window ceiling of the units that are up.
    #[inline]
    pub fn max_energy_up(&self, s: &BatteryState) -> Energy {
        self.max_energy_in(&self.scale(s))
    }

    /// [`Fleet::max_energy_up`] at scale `sc`.
    #[inline]
    pub fn max_energy_in(&self, sc: &Scale) -> Energy {
        self.e_max * sc.window
    }

    /// The nameplate energy of the units that are up.
    #[inline]
    pub fn capacity_up(&self, s: &BatteryState) -> Energy {
        self.capacity_in(&self.scale(s))
    }

    /// [`Fleet::capacity_up`] at scale `sc`.
    #[inline]
    pub fn capacity_in(&self, sc: &Scale) -> Energy {
        self.capacity * sc.window
    }

    /// Whether `s` has this fleet's shape: unit state present exactly when units can fail, one
    /// flag and one slot per unit, and the pooled count and locked total those imply. `Err`
    /// names the field and what does not match (used to check a snapshot before anything
    /// indexes into it).
    pub fn check_state_shape(&self, s: &BatteryState) -> Result<(), (&'static str, &'static str)> {
        const FIELD: &str = "snapshot.battery.units";
        match (&s.life, &self.life) {
            (None, None) => {}
            (Some(l), Some(life)) => {
                if l.enclosure.is_some() != life.enclosure().is_some() {
                    return Err((
                        "snapshot.battery.life.enclosure",
                        "the snapshot's fleet has an enclosure model where this one has none, or the reverse",
                    ));
                }
                let cf_ok = (ageing::MIN_CAPACITY_FACTOR..=1.0).contains(&l.capacity_factor)
                    && l.efficiency_factor.is_finite()
                    && l.efficiency_factor > 0.0
                    && l.efficiency_factor <= 1.0;
                if !cf_ok {
                    return Err((
                        "snapshot.battery.life",
                        "the capacity or efficiency factor is impossible",
                    ));
                }
            }
            _ => return Err((
                "snapshot.battery.life",
                "the snapshot's fleet has lifetime models where this one has none, or the reverse",
            )),
        }
        self.check_cohorts_shape(s)?;
        let u = match (&s.units, self.has_unit_failures()) {
            (None, false) => return Ok(()),
            (Some(u), true) => u,
            (None, true) => {
                return Err((FIELD, "this fleet's units can fail, the snapshot's cannot"))
            }
            (Some(_), false) => {
                return Err((FIELD, "the snapshot's units can fail, this fleet's cannot"))
            }
        };
        let n = self.unit_set.count() as usize;
        if u.set.units() != n || u.held.len() != n || u.locked.len() != n {
            return Err((FIELD, "the snapshot has another number of battery units"));
        }
        self.unit_set
            .check_state(&u.set)
            .map_err(|why| (FIELD, why))?;
        let held = u.held.iter().filter(|&&h| h).count();
        if u.pooled as usize + held != self.installed_units(s) as usize {
            return Err((FIELD, "the pooled count does not match the units held"));
        }
        let slots_ok =
            u.locked.iter().zip(&u.held).all(|(e, &h)| {
                e.value().is_finite() && e.value() >= 0.0 && (h || *e == Energy::ZERO)
            });
        let mean_up_ok = (0.0..=f64::from(self.installed_units(s))).contains(&u.mean_up);
        if !(slots_ok && mean_up_ok) {
            return Err((
                FIELD,
                "a unit's locked energy or the units up is impossible",
            ));
        }
        Ok(())
    }

    /// Whether the energy of `s` lies in the window its own unit states imply: the pool in the
    /// window of the units pooled, each locked slot in one unit's window, each to
    /// [`SNAPSHOT_WINDOW_TOLERANCE`] of the fleet's capacity (used to check a snapshot; call
    /// [`Fleet::check_state_shape`] first). A state this fleet produced always passes.
    pub fn state_in_window(&self, s: &BatteryState) -> bool {
        let slack = self.capacity * SNAPSHOT_WINDOW_TOLERANCE;
        let within = |e: Energy, lo: Energy, hi: Energy| e >= lo - slack && e <= hi + slack;
        let cf = self.capacity_factor_of(s);
        let pool = self.up_fraction(s).unwrap_or(1.0);
        let Some(u) = &s.units else {
            return within(s.energy, self.e_min * pool, self.e_max * pool);
        };
        let cohorts = cohorts_of(s);
        let per_unit = 1.0 / f64::from(self.units.max(1));
        let slots = u
            .locked
            .iter()
            .zip(&u.held)
            .enumerate()
            .all(|(j, (&e, &h))| {
                let f = slot_cf(cohorts, j, cf) * per_unit;
                !h || within(e, self.e_min * f, self.e_max * f)
            });
        let total: Energy = u.locked.iter().copied().sum();
        within(s.energy, self.e_min * pool, self.e_max * pool)
            && slots
            && (total - u.locked_total).value().abs() <= slack.value()
    }
    /// One unit's figures.
    pub fn unit(&self) -> &UnitSpec {
        &self.unit
    }
    /// Number of units.
    pub fn units(&self) -> u32 {
        self.units
    }
    /// Fleet nameplate energy.
    pub fn capacity(&self) -> Energy {
        self.capacity
    }
    /// Energy between the window's floor and ceiling.
    pub fn usable_energy(&self) -> Energy {
        self.e_max - self.e_min
    }
    /// Fleet charging power limit.
    pub fn max_charge_power(&self) -> Power {
        self.max_charge
    }
    /// Fleet discharging power limit.
    pub fn max_discharge_power(&self) -> Power {
        self.max_discharge
    }
    /// Fleet auxiliary load (always drawn).
    pub fn aux_load(&self) -> Power {
        self.aux
    }
    /// The SoC window `(min, max)`.
    pub fn soc_window(&self) -> (Fraction, Fraction) {
        (Fraction::ratio(self.soc_min), Fraction::ratio(self.soc_max))
    }
    /// The backup reserve SoC.
    pub fn reserve_soc(&self) -> Fraction {
        Fraction::ratio(self.reserve_soc)
    }
    /// The energy held at the backup reserve.
    pub fn reserve_energy(&self) -> Energy {
        self.capacity * self.reserve_soc
    }
    /// The window floor, as energy.
    pub fn min_energy(&self) -> Energy {
        self.e_min
    }
    /// The window ceiling, as energy.
    pub fn max_energy(&self) -> Energy {
        self.e_max
    }
    /// One-way charging efficiency.
    pub fn charge_efficiency(&self) -> f64 {
        self.unit.charge_efficiency.value()
    }
    /// One-way discharging efficiency.
    pub fn discharge_efficiency(&self) -> f64 {
        self.unit.discharge_efficiency.value()
    }

    /// State of charge, as a fraction of nameplate. A fleet with no energy (no units, or units
    /// of 0 MWh) holds its initial SoC, so the SoC stays inside the window it was given.
    #[inline]
    pub fn soc(&self, s: &BatteryState) -> Fraction {
        self.soc_in(s, &self.scale(s))
    }

    /// [`Fleet::soc`] at scale `sc` (`s`'s).
    #[inline]
    pub fn soc_in(&self, s: &BatteryState, sc: &Scale) -> Fraction {
        let x = (s.energy + sc.locked).value() * self.inv_capacity * sc.inv_capacity_factor;
        Fraction::ratio(x + self.soc_if_empty)
    }

    /// The one-way efficiencies at rated power in state `s`: the unit's, times the ageing's
    /// [`efficiency_factor`](ageing::AgeingModel::efficiency_factor) (resistance growth).
    #[inline]
    pub fn rated_efficiency(&self, s: &BatteryState) -> Efficiency {
        self.scale(s).eta
    }

    /// The one-way efficiencies of a segment that discharges `discharge` or charges `charge`
    /// (at most one above zero) in state `s`: with an efficiency curve, the curve at that
    /// loading (the power over the power limit of the units up) times the ageing's efficiency
    /// factor; otherwise [`Fleet::rated_efficiency`].
    #[inline]
    pub fn efficiency_at(&self, s: &BatteryState, discharge: Power, charge: Power) -> Efficiency {
        self.efficiency_in(s, &self.scale(s), discharge, charge)
    }

    /// [`Fleet::efficiency_at`] at scale `sc` (`s`'s).
    #[inline]
    pub fn efficiency_in(
        &self,
        s: &BatteryState,
        sc: &Scale,
        discharge: Power,
        charge: Power,
    ) -> Efficiency {
        let (Some(life), Some(l)) = (&self.life, &s.life) else {
            return sc.eta;
        };
        let limit = |p: Power, lim: Power| {
            if lim > Power::ZERO {
                (p / lim).value()
            } else {
                1.0
            }
        };
        let at = |loading: f64, rated: Fraction| {
            life.efficiency_at(loading)
                .map_or(rated, |e| Fraction::ratio(e.value() * l.efficiency_factor))
        };
        let rated = sc.eta;
        // The direction idle takes the rated value (nothing flows through it).
        Efficiency {
            charge: if charge > Power::ZERO {
                at(limit(charge, self.charge_limit_in(sc)), rated.charge)
            } else {
                rated.charge
            },
            discharge: if discharge > Power::ZERO {
                at(
                    limit(discharge, self.discharge_limit_in(sc)),
                    rated.discharge,
                )
            } else {
                rated.discharge
            },
        }
    }

    /// The lifetime models (ageing, temperature, efficiency curve), when configured.
    pub fn lifetime(&self) -> Option<&Lifetime> {
        self.life.as_deref()
    }

    /// The lifetime models with the ambient year aligned to `time`'s calendar start.
    pub(crate) fn start_at(mut self, time: &TimeGrid) -> Fleet {
        if let Some(l) = self.life.as_deref_mut() {
            l.start_at(time);
        }
        self
    }

    /// The life state of `s` (fade, factors, lifetime sums), when the fleet has lifetime models,
    /// as it stands: during a rest, its ageing and sums are still owed (see
    /// [`lifetime::Rest`]); [`Fleet::settled_life_state`] adds them.
    pub fn life_state<'a>(&self, s: &'a BatteryState) -> Option<&'a LifeState> {
        s.life.as_deref()
    }

    /// [`Fleet::life_state`] with what a rest owes added (on a copy when the battery is in one).
    pub fn settled_life_state<'a>(
        &self,
        s: &'a BatteryState,
    ) -> Option<std::borrow::Cow<'a, LifeState>> {
        Some(self.life.as_deref()?.settled(s.life.as_deref()?))
    }

    /// The auxiliary load over `[t0, t1)` ms: the fleet's constant draw, or with
    /// `[battery.thermal]` every unit's draw at the ambient temperature of those hours (with an
    /// enclosure, its standby draw only: the HVAC's depends on the state, see
    /// [`Fleet::aux_load_in`]).
    #[inline]
    pub fn aux_load_over(&self, t0: u64, t1: u64) -> Power {
        match &self.life {
            None => self.aux,
            Some(l) => l.aux_over(self.units, t0, t1).unwrap_or(self.aux),
        }
    }

    /// The auxiliary draw of every step of `time`, MW, when it depends on the step alone — a
    /// fleet with lifetime models, no augmentation plan and no enclosure: bit for bit what
    /// [`Fleet::aux_load_in`] gives for any state — for the engine's step table
    /// ([`StepTable::with_aux`](crate::engine::fast_forward::StepTable::with_aux)); `None`
    /// otherwise (a plain fleet's draw is a constant already).
    pub fn aux_per_step(&self, time: &TimeGrid) -> Option<Vec<f64>> {
        let life = self.life.as_deref()?;
        if self.plan.is_some() || life.enclosure().is_some() {
            return None;
        }
        let ms = time.step().as_millis();
        Some(
            (0..time.steps())
                .map(|k| self.aux_load_over(k * ms, (k + 1) * ms).value())
                .collect(),
        )
    }

    /// [`Fleet::aux_load_over`] for the units installed in state `s`: with an augmentation
    /// plan, every installed unit draws its auxiliary load (the added ones too, the retired
    /// ones no more); the fleet's otherwise.
    /// With an enclosure (`[battery.thermal.enclosure]`), every installed unit draws its
    /// enclosure's standby and HVAC draw ([`Lifetime::enclosure_draw`]).
    #[inline]
    pub fn aux_load_in(&self, s: &BatteryState, t0: u64, t1: u64) -> Power {
        if let (Some(life), Some(l)) = (self.life.as_deref(), s.life.as_deref()) {
            if let Some(unit) = life.enclosure_draw(l, t0, t1) {
                return unit * f64::from(self.installed_units(s));
            }
        }
        let aux = self.aux_load_over(t0, t1);
        match cohorts_of(s) {
            Some(c) if c.installed_units != self.units => {
                aux * (f64::from(c.installed_units) * self.inv_units)
            }
            _ => aux,
        }
    }

    /// The auxiliary energy the units installed in `s` draw over `[t0, t1)` ms, MWh, when it
    /// follows the ambient temperature (`[battery.thermal]`); `None` for the constant draw of
    /// [`Fleet::aux_load`]. O(1) for a stretch of any length (hourly prefix sums): what a
    /// fast-forward adds for a stretch in which the battery rests.
    pub fn aux_energy_in(&self, s: &BatteryState, t0: u64, t1: u64) -> Option<f64> {
        let mwh = self.life.as_deref()?.aux_energy_over(self.units, t0, t1)?;
        Some(match cohorts_of(s) {
            Some(c) if c.installed_units != self.units => {
                mwh * (f64::from(c.installed_units) * self.inv_units)
            }
            _ => mwh,
        })
    }

    /// The largest auxiliary draw of the units installed in `s` in any hour of the ambient
    /// series, when it follows the temperature; `None` for the constant draw.
    pub fn max_aux_in(&self, s: &BatteryState) -> Option<Power> {
        let max = self.life.as_deref()?.max_aux(self.units)?;
        Some(match cohorts_of(s) {
            Some(c) if c.installed_units != self.units => {
                max * (f64::from(c.installed_units) * self.inv_units)
            }
            _ => max,
        })
    }

    /// Gives the conversion `losses` of a segment of length `dt` that has just settled to the
    /// enclosure (spread over the installed units; they heat the next step, see
    /// [`enclosure`]). Nothing without `[battery.thermal.enclosure]`.
    #[inline]
    pub fn heat_enclosure(&self, s: &mut BatteryState, losses: &StepLosses, dt: Hours) {
        if !s.life.as_deref().is_some_and(|l| l.enclosure.is_some()) {
            return;
        }
        let units = self.installed_units(s);
        if let Some(e) = s.life.as_deref_mut().and_then(|l| l.enclosure.as_mut()) {
            e.add_losses(losses.charge + losses.discharge, units, dt.value());
        }
    }

    /// Whether the segment ending at `t1` continues the battery's rest (see
    /// [`lifetime::Rest`]): it is then owed to the rest, and ageing it has nothing else to do.
    /// The engine asks before [`Fleet::age`], whose own work a resting step skips.
    #[inline(always)]
    pub fn rests_through(&self, s: &mut BatteryState, t1: u64) -> bool {
        let energy = s.energy;
        match s.life.as_deref_mut() {
            Some(l) if l.rest.is_some() => Lifetime::continue_rest(l, t1, energy),
            _ => false,
        }
    }

    /// Gives the energy `lost` to self-discharge at a step's start to the enclosure: heat
    /// released inside the units, spread over the installed units, heating the next step with
    /// the step's conversion losses. Nothing without `[battery.thermal.enclosure]`.
    #[inline]
    pub fn heat_enclosure_self_discharge(&self, s: &mut BatteryState, lost: Energy) {
        let units = self.installed_units(s);
        if let Some(e) = s.life.as_deref_mut().and_then(|l| l.enclosure.as_mut()) {
            e.add_losses(lost, units, 0.0);
        }
    }

    /// Starts a new year of life in the enclosure's state after its year mark
    /// ([`EnclosureState::start_year`](enclosure::EnclosureState::start_year)). Nothing without
    /// `[battery.thermal.enclosure]`.
    pub fn start_enclosure_year(&self, s: &mut BatteryState) {
        if let Some(e) = s.life.as_deref_mut().and_then(|l| l.enclosure.as_mut()) {
            e.start_year();
        }
    }

    /// Ages the fleet over the segment `[t0, t1)` ms of length `dt` that has just settled (see
    /// [`Lifetime::age`]), then removes the stored energy that lies above the shrunk window's
    /// ceiling and returns it (a degradation loss, also summed in the life state). Nothing
    /// without lifetime models. The segment is not empty (`t0 < t1`; checked in debug builds).
    #[inline]
    pub fn age(&self, s: &mut BatteryState, t0: u64, t1: u64, dt: Hours) -> Energy {
        debug_assert!(t0 < t1, "an empty segment [{t0}, {t1}) aged");
        let Some(life) = &self.life else {
            return Energy::ZERO;
        };
        if self.plan.is_some() {
            return self.age_cohorts(life, s, t0, t1, dt);
        }
        let energy = s.energy;
        if let Some(l) = s.life.as_deref_mut().filter(|l| l.rest.is_some()) {
            if Lifetime::continue_rest(l, t1, energy) {
                return Energy::ZERO;
            }
            if life.rest_through_refresh(l, t1, energy) {
                // The rest reached its refresh with the battery still.
                return self.clamp_and_rest_on(life, s, t1);
            }
            life.settle_rest(l);
        }
        let soc = self.soc(s);
        let stored = s.energy + self.locked_energy(s);
        let Some(l) = s.life.as_deref_mut() else {
            return Energy::ZERO;
        };
        let throughput = (stored + l.fade_loss).value() * self.inv_capacity + self.soc_if_empty;
        let aged = life.age(l, t0, t1, dt, soc, Fraction::ratio(throughput));
        // The window shrinks only when the factors change; units moving energy between the
        // pool and their slots are clamped every step.
        if s.units.is_some() {
            return self.clamp_to_faded_window(s);
        }
        if aged.refreshed {
            if aged.flat {
                // Only the window moved.
                return self.clamp_and_rest_on(life, s, t1);
            }
            return self.clamp_to_faded_window(s);
        }
        if aged.flat {
            // The battery stands still: the next segments that leave it so are owed to a rest.
            if let Some(l) = s.life.as_deref_mut() {
                life.begin_rest(l, t1, s.energy);
            }
        }
        Energy::ZERO
    }

    /// After a refresh of the factors at time `t1` in which nothing else moved: cuts the stored
    /// energy to the new window ([`Fleet::clamp_to_faded_window`], whose loss it returns) and
    /// lets the battery rest on from `t1`, at the SoC the new window gives.
    fn clamp_and_rest_on(&self, life: &Lifetime, s: &mut BatteryState, t1: u64) -> Energy {
        let lost = self.clamp_to_faded_window(s);
        let soc = self.soc(s).value();
        if let Some(l) = s.life.as_deref_mut() {
            life.rest_on(l, t1, s.energy, soc);
        }
        lost
    }

    /// Cuts the pool and every locked slot to the ceiling the capacity factor leaves; returns
    /// the energy removed (added to the life state's `fade_loss`).
    fn clamp_to_faded_window(&self, s: &mut BatteryState) -> Energy {
        let mut lost = Energy::ZERO;
        let ceiling = self.up_fraction(s).map_or(self.e_max, |f| self.e_max * f);
        if s.energy > ceiling {
            lost += s.energy - ceiling;
            s.energy = ceiling;
        }
        let cf = self.capacity_factor_of(s);
        let cohorts = s.life.as_deref().and_then(|l| l.cohorts.as_ref());
        if let Some(u) = s.units.as_deref_mut() {
            let unit_ceiling = self.e_max / f64::from(self.units.max(1)) * cf;
            let mut changed = false;
            for (j, (e, &held)) in u.locked.iter_mut().zip(&u.held).enumerate() {
                let unit_ceiling = match cohorts {
                    None => unit_ceiling,
                    Some(_) => self.e_max / f64::from(self.units.max(1)) * slot_cf(cohorts, j, cf),
                };
                if held && *e > unit_ceiling {
                    lost += *e - unit_ceiling;
                    *e = unit_ceiling;
                    changed = true;
                }
            }
            if changed {
                u.locked_total = u.locked.iter().copied().sum();
            }
        }
        if let Some(l) = s.life.as_deref_mut() {
            l.fade_loss += lost;
        }
        lost
    }

    /// The largest constant power the fleet can deliver for a whole step of `dt` from state `s`,
    /// bounded by the power limit and by the energy above `floor` (at least the window's floor).
    /// `floor` is for the whole fleet: with units down, it and the window floor scale with the
    /// fraction of units pooled, and the power limit with the time-average fraction of units up.
    #[inline]
    pub fn max_discharge_above(&self, s: &BatteryState, floor: Energy, dt: Hours) -> Power {
        self.max_discharge_above_in(s, &self.scale(s), floor, dt)
    }

    /// [`Fleet::max_discharge_above`] at scale `sc` (`s`'s).
    #[inline]
    pub fn max_discharge_above_in(
        &self,
        s: &BatteryState,
        sc: &Scale,
        floor: Energy,
        dt: Hours,
    ) -> Power {
        // `max(a, b)·w = max(a·w, b·w)` exactly for `w ≥ 0` (rounding is monotone), and the
        // first form's `max` is the same every step.
        let above = s.energy - floor.max(self.e_min) * sc.window;
        (above * sc.eta.discharge / dt)
            .min(self.discharge_limit_in(sc))
            .max(Power::ZERO)
    }

    /// The largest constant power the fleet can deliver for a whole step of `dt`.
    #[inline]
    pub fn max_discharge(&self, s: &BatteryState, dt: Hours) -> Power {
        self.max_discharge_above(s, self.e_min, dt)
    }

    /// The largest constant power the fleet can deliver for a whole step of `dt` at the
    /// one-way efficiency `eta` (a segment's, from [`Fleet::efficiency_at`]).
    #[inline]
    pub fn max_discharge_at(&self, s: &BatteryState, dt: Hours, eta: Fraction) -> Power {
        self.max_discharge_in(s, &self.scale(s), dt, eta)
    }

    /// [`Fleet::max_discharge_at`] at scale `sc` (`s`'s).
    #[inline]
    pub fn max_discharge_in(
        &self,
        s: &BatteryState,
        sc: &Scale,
        dt: Hours,
        eta: Fraction,
    ) -> Power {
        ((s.energy - self.e_min * sc.window) * eta / dt)
            .min(self.discharge_limit_in(sc))
            .max(Power::ZERO)
    }

    /// The largest constant power the fleet can absorb for a whole step of `dt`.
    #[inline]
    pub fn max_charge(&self, s: &BatteryState, dt: Hours) -> Power {
        let sc = self.scale(s);
        self.max_charge_in(s, &sc, dt, sc.eta.charge)
    }

    /// The largest constant power the fleet can absorb for a whole step of `dt` at the one-way
    /// efficiency `eta`.
    #[inline]
    pub fn max_charge_at(&self, s: &BatteryState, dt: Hours, eta: Fraction) -> Power {
        self.max_charge_in(s, &self.scale(s), dt, eta)
    }

    /// [`Fleet::max_charge_at`] at scale `sc` (`s`'s).
    #[inline]
    pub fn max_charge_in(&self, s: &BatteryState, sc: &Scale, dt: Hours, eta: Fraction) -> Power {
        ((self.max_energy_in(sc) - s.energy) / (dt * eta))
            .min(self.charge_limit_in(sc))
            .max(Power::ZERO)
    }

    /// The fleet's discharging power limit in state `s` (scaled by the units up over the
    /// current span), without the window's energy limit that [`Fleet::max_discharge`] adds.
    #[inline]
    pub fn discharge_limit(&self, s: &BatteryState) -> Power {
        self.discharge_limit_in(&self.scale(s))
    }

    /// [`Fleet::discharge_limit`] at scale `sc`.
    #[inline]
    pub fn discharge_limit_in(&self, sc: &Scale) -> Power {
        self.max_discharge * sc.power
    }

    /// The fleet's charging power limit in state `s` (scaled by the units up over the current
    /// span), without the window's energy limit that [`Fleet::max_charge`] adds.
    #[inline]
    pub fn charge_limit(&self, s: &BatteryState) -> Power {
        self.charge_limit_in(&self.scale(s))
    }

    /// [`Fleet::charge_limit`] at scale `sc`.
    #[inline]
    pub fn charge_limit_in(&self, sc: &Scale) -> Power {
        self.max_charge * sc.power
    }

    /// How long the fleet can deliver `p` (> 0) from state `s` before its energy reaches the
    /// window floor, in whole milliseconds rounded down: `⌊(E − E_floor)·η_d / p⌋` (0 at the
    /// floor). Delivering `p` for that long drains at most the energy above the floor.
    #[inline]
    pub fn ms_to_floor(&self, s: &BatteryState, p: Power) -> u64 {
        self.ms_to_floor_at(s, p, self.rated_efficiency(s).discharge)
    }

    /// [`Fleet::ms_to_floor`] at the one-way efficiency `eta`.
    #[inline]
    pub fn ms_to_floor_at(&self, s: &BatteryState, p: Power, eta: Fraction) -> u64 {
        self.ms_to_floor_in(s, &self.scale(s), p, eta)
    }

    /// [`Fleet::ms_to_floor_at`] at scale `sc` (`s`'s).
    #[inline]
    pub fn ms_to_floor_in(&self, s: &BatteryState, sc: &Scale, p: Power, eta: Fraction) -> u64 {
        let hours = (s.energy - self.e_min * sc.window).value() * eta.value() / p.value();
        whole_ms_below(hours)
    }

    /// How long the fleet can absorb `c` (> 0) from state `s` before its energy reaches the
    /// window ceiling, in whole milliseconds rounded down: `⌊(E_ceiling − E) / (c·η_c)⌋` (0 at
    /// the ceiling). Absorbing `c` for that long stores at most the room below the ceiling.
    #[inline]
    pub fn ms_to_ceiling(&self, s: &BatteryState, c: Power) -> u64 {
        self.ms_to_ceiling_at(s, c, self.rated_efficiency(s).charge)
    }

    /// [`Fleet::ms_to_ceiling`] at the one-way efficiency `eta`.
    #[inline]
    pub fn ms_to_ceiling_at(&self, s: &BatteryState, c: Power, eta: Fraction) -> u64 {
        self.ms_to_ceiling_in(s, &self.scale(s), c, eta)
    }

    /// [`Fleet::ms_to_ceiling_at`] at scale `sc` (`s`'s).
    #[inline]
    pub fn ms_to_ceiling_in(&self, s: &BatteryState, sc: &Scale, c: Power, eta: Fraction) -> u64 {
        let ceiling = self.max_energy_in(sc);
        let hours = (ceiling - s.energy).value() / (c.value() * eta.value());
        whole_ms_below(hours)
    }

    /// The fraction of stored energy kept over one step of `dt` (self-discharge), computed once
    /// per simulation.
    pub fn self_discharge_keep(&self, dt: Hours) -> f64 {
        self.unit
            .self_discharge_per_day
            .complement()
            .value()
            .powf(dt.value() / 24.0)
    }

    /// Applies one step of self-discharge (`keep` from [`Fleet::self_discharge_keep`]), never
    /// below the window floor; returns the energy lost.
    #[inline]
    pub fn apply_self_discharge(&self, s: &mut BatteryState, keep: f64) -> Energy {
        if keep >= 1.0 {
            return Energy::ZERO;
        }
        let Some(f) = self.up_fraction(s) else {
            let lost = (s.energy * (1.0 - keep))
                .min(s.energy - self.e_min)
                .max(Energy::ZERO);
            s.energy -= lost;
            return lost;
        };
        let decay = |e: Energy, floor: Energy| (e * (1.0 - keep)).min(e - floor).max(Energy::ZERO);
        let mut lost = decay(s.energy, self.e_min * f);
        s.energy -= lost;
        let cf = self.capacity_factor_of(s);
        let cohorts = s.life.as_deref().and_then(|l| l.cohorts.as_ref());
        if let Some(u) = s.units.as_deref_mut() {
            let unit_floor = self.e_min / f64::from(self.units) * cf;
            for (j, (e, &held)) in u.locked.iter_mut().zip(&u.held).enumerate() {
                if held {
                    let unit_floor = match cohorts {
                        None => unit_floor,
                        Some(_) => self.e_min / f64::from(self.units) * slot_cf(cohorts, j, cf),
                    };
                    let l = decay(*e, unit_floor);
                    *e -= l;
                    lost += l;
                }
            }
            u.locked_total = u.locked.iter().copied().sum();
        }
        lost
    }

    /// Settles one step: the fleet delivers `discharge` and absorbs `charge` (both ≥ 0, at most
    /// one non-zero, both within [`Fleet::max_discharge`] / [`Fleet::max_charge`]) for `dt`.
    /// Returns the losses. Rounding can only move the result by a few ulps, and the result is
    /// kept inside the window.
    #[inline]
    pub fn settle(
        &self,
        s: &mut BatteryState,
        discharge: Power,
        charge: Power,
        dt: Hours,
    ) -> StepLosses {
        let eta = self.rated_efficiency(s);
        self.settle_at(s, discharge, charge, dt, eta)
    }

    /// [`Fleet::settle`] at the one-way efficiencies `eta` (a segment's, from
    /// [`Fleet::efficiency_at`]).
    #[inline]
    pub fn settle_at(
        &self,
        s: &mut BatteryState,
        discharge: Power,
        charge: Power,
        dt: Hours,
        eta: Efficiency,
    ) -> StepLosses {
        let sc = self.scale(s);
        self.settle_in(s, &sc, discharge, charge, dt, eta)
    }

    /// [`Fleet::settle_at`] at scale `sc` (`s`'s before settling).
    #[inline]
    pub fn settle_in(
        &self,
        s: &mut BatteryState,
        sc: &Scale,
        discharge: Power,
        charge: Power,
        dt: Hours,
        eta: Efficiency,
    ) -> StepLosses {
        let stored = charge * dt * eta.charge;
        let drained = discharge * dt / eta.discharge.value();
        let (lo, hi) = if sc.window == 1.0 || self.life_only {
            // The whole window, or ageing alone, which keeps the energy inside it (a refresh
            // cuts it to the shrunk ceiling; the floor only falls).
            (self.e_min * sc.window, self.e_max * sc.window)
        } else {
            // Never clamp a pool that a unit's return or failure left a few ulps outside the
            // scaled window back into it (that would create or destroy energy).
            (
                (self.e_min * sc.window).min(s.energy),
                (self.e_max * sc.window).max(s.energy),
            )
        };
        s.energy = (s.energy + stored - drained).clamp_to(lo, hi);
        StepLosses {
            charge: charge * dt - stored,
            discharge: drained - discharge * dt,
        }
    }
}

/// `1 / (units × energy)`, 0 for no energy.
fn inv_nameplate(energy: Energy, units: u32) -> f64 {
    let e = energy.value() * f64::from(units);
    if e > 0.0 {
        1.0 / e
    } else {
        0.0
    }
}

/// The cohorts of `s`, with an augmentation plan.
#[inline]
fn cohorts_of(s: &BatteryState) -> Option<&CohortsState> {
    s.life.as_deref().and_then(|l| l.cohorts.as_ref())
}

/// The capacity factor of the unit in slot `j`: its cohort's with a plan, `cf` (the fleet's)
/// otherwise.
#[inline]
fn slot_cf(cohorts: Option<&CohortsState>, j: usize, cf: f64) -> f64 {
    match cohorts {
        None => cf,
        Some(c) => c
            .slot_cohort
            .get(j)
            .and_then(|&i| c.cohorts.get(i as usize))
            .map_or(cf, |k| k.capacity_factor),
    }
}

/// The augmentation plan's part of the fleet: cohorts, year boundaries and the life sums.
impl Fleet {
    /// The augmentation plan, when configured.
    pub fn augmentation(&self) -> Option<&AugmentationPlan> {
        self.plan.as_deref()
    }

    /// Checks that the plan names no year beyond the horizon of `time` (year `Y` starts
    /// `(Y − 1) × 8,760 h` after the start and must start before the horizon's end).
    ///
    /// # Errors
    /// [`ConfigError::YearBeyondHorizon`] naming `battery.augmentation.add[i].year` or
    /// `.replace[i].year`.
    pub(crate) fn check_horizon(&self, time: &TimeGrid) -> Result<(), ConfigError> {
        let Some(plan) = self.plan.as_deref() else {
            return Ok(());
        };
        let year_ms = crate::engine::report::HOURS_PER_LIFE_YEAR * crate::units::MS_PER_HOUR;
        let horizon = time.horizon().as_millis();
        let years = (horizon.saturating_sub(1) / year_ms + 1).min(u64::from(u32::MAX)) as u32;
        plan.check_years(years, time.horizon())
    }

    /// The first cohort: the initial units, holding `energy`.
    fn first_cohort(&self, model: &ageing::AgeingModel, energy: Energy) -> CohortsState {
        let n0 = self.units;
        let slots = self.unit_set.count();
        let ageing = model.initial_state(Fraction::ratio(self.initial_soc));
        let mut slot_cohort = vec![EMPTY_SLOT; slots as usize];
        slot_cohort[..n0 as usize].fill(0);
        CohortsState {
            cohorts: vec![Cohort {
                installed_ms: 0,
                units: n0,
                retired: false,
                pooled: n0,
                ageing,
                last_soc: self.initial_soc,
                throughput_mwh: energy.value(),
                inv_nameplate: inv_nameplate(self.unit.energy, n0),
                capacity_factor: 1.0,
                efficiency_factor: 1.0,
            }],
            slot_cohort,
            installed: Energy::ZERO,
            removed: Energy::ZERO,
            units_added: 0,
            units_removed: 0,
            throughput_mwh: energy.value(),
            window_units: f64::from(n0),
            aged_units: f64::from(n0),
            installed_units: n0,
        }
    }

    /// Whether the cohorts of `s` fit this fleet (a snapshot's check).
    fn check_cohorts_shape(&self, s: &BatteryState) -> Result<(), (&'static str, &'static str)> {
        const FIELD: &str = "snapshot.battery.life.cohorts";
        let c =
            match (cohorts_of(s), &self.plan) {
                (None, None) => return Ok(()),
                (Some(c), Some(_)) => c,
                _ => return Err((
                    FIELD,
                    "the snapshot's fleet has an augmentation plan where this one has none, or \
                     the reverse",
                )),
            };
        let slots = self.unit_set.count() as usize;
        let n = c.cohorts.len();
        let slots_ok = c.slot_cohort.len() == slots
            && c.slot_cohort
                .iter()
                .all(|&i| i == EMPTY_SLOT || (i as usize) < n && !c.cohorts[i as usize].retired);
        let cohorts_ok = c.cohorts.iter().enumerate().all(|(i, k)| {
            let in_slots = c.slot_cohort.iter().filter(|&&x| x as usize == i).count();
            (ageing::MIN_CAPACITY_FACTOR..=1.0).contains(&k.capacity_factor)
                && k.efficiency_factor > 0.0
                && k.efficiency_factor <= 1.0
                && k.pooled <= k.units
                && k.throughput_mwh.is_finite()
                && k.inv_nameplate.is_finite()
                && k.inv_nameplate >= 0.0
                && in_slots == if k.retired { 0 } else { k.units as usize }
        });
        let installed: u32 = c
            .cohorts
            .iter()
            .filter(|k| !k.retired)
            .map(|k| k.units)
            .sum();
        if !(slots_ok && cohorts_ok && installed == c.installed_units) {
            return Err((FIELD, "the cohorts do not fit this fleet's slots"));
        }
        Ok(())
    }

    /// The slow path of [`Fleet::units_at`] with a plan: as [`Fleet::reconcile`], with each
    /// unit's share of the pool in proportion to its cohort's capacity factor, and slots with no
    /// unit out of service. Returns the pooled units' efficiency factor.
    #[cold]
    fn reconcile_cohorts(
        &self,
        pool: &mut Energy,
        u: &mut UnitsState,
        c: &mut CohortsState,
        clock: &Clock,
    ) -> f64 {
        if !u.set.is_started() {
            self.unit_set.start(&mut u.set, clock);
        }
        let mut w = c.window_units;
        for j in 0..u.held.len() {
            let ci = c.slot_cohort[j];
            if ci == EMPTY_SLOT {
                continue;
            }
            let k = &mut c.cohorts[ci as usize];
            let down = u.set.is_down(j) == Some(true);
            if down && !u.held[j] {
                let share = if u.pooled <= 1 || w <= 0.0 {
                    *pool
                } else {
                    *pool * (k.capacity_factor / w)
                };
                u.locked[j] = share;
                *pool -= share;
                u.pooled -= 1;
                k.pooled -= 1;
                w -= k.capacity_factor;
            } else if !down && u.held[j] {
                *pool += u.locked[j];
                u.locked[j] = Energy::ZERO;
                u.pooled += 1;
                k.pooled += 1;
                w += k.capacity_factor;
            }
            if u.pooled == 0 {
                *pool = Energy::ZERO;
                w = 0.0;
            }
            u.held[j] = down;
        }
        u.locked_total = u.locked.iter().copied().sum();
        u.dirty = false;
        c.refresh()
    }

    /// Stage 7b with a plan: every installed cohort ages over the segment at the fleet's SoC,
    /// its rainflow counter fed with its share of the fleet's throughput; then the fleet's
    /// factors follow and the stored energy above the shrunk ceiling is removed.
    fn age_cohorts(
        &self,
        life: &Lifetime,
        s: &mut BatteryState,
        t0: u64,
        t1: u64,
        dt: Hours,
    ) -> Energy {
        let Some(model) = life.ageing() else {
            return Energy::ZERO;
        };
        let soc = self.soc(s);
        let stored = s.energy + self.locked_energy(s);
        let Some(l) = s.life.as_deref_mut() else {
            return Energy::ZERO;
        };
        let (h0, h1, mean_temp, temps) = life.segment_temps(l, t0, t1, dt);
        let fade_loss = l.fade_loss;
        let mut soc_factor = l.soc_factor;
        let Some(c) = l.cohorts.as_mut() else {
            return Energy::ZERO;
        };
        let now = (stored + fade_loss - c.installed + c.removed).value();
        let flow = now - c.throughput_mwh;
        c.throughput_mwh = now;
        // A cohort's share of the flow is its share of the pooled aged capacity (one division a
        // segment; a fleet of one cohort takes all of it).
        let active = c.installed_units;
        let single = c
            .cohorts
            .last()
            .is_some_and(|k| k.units == active && !k.retired);
        let inv_w = if !single && c.window_units > 0.0 {
            1.0 / c.window_units
        } else {
            0.0
        };
        // Every cohort sees the fleet's SoC ramp and the same ambient: the calendar increment
        // is computed once (for each distinct starting SoC; all cohorts share it).
        let mut increment: Option<(f64, f64)> = None;
        for k in c.cohorts.iter_mut().filter(|k| !k.retired) {
            if single {
                k.throughput_mwh += flow;
            } else {
                k.throughput_mwh += flow * (f64::from(k.pooled) * k.capacity_factor * inv_w);
            }
            let throughput = if k.inv_nameplate > 0.0 {
                k.throughput_mwh * k.inv_nameplate
            } else {
                soc.value()
            };
            let from = k.last_soc;
            k.last_soc = soc.value();
            let dtau = match increment {
                Some((f, d)) if f == from => d,
                _ => {
                    let d = life.calendar_increment(
                        model,
                        from,
                        (t0, t1, h0, h1),
                        dt,
                        soc,
                        mean_temp,
                        temps,
                        &mut soc_factor,
                    );
                    increment = Some((from, d));
                    d
                }
            };
            model.add_calendar_hours(&mut k.ageing, dtau);
            model.observe_soc(&mut k.ageing, Fraction::ratio(throughput), dt, mean_temp);
            if model.refresh(&mut k.ageing) {
                (k.capacity_factor, k.efficiency_factor) = model.applied_factors(&k.ageing);
            }
        }
        l.soc_factor = soc_factor;
        self.refresh_factors(l);
        self.clamp_to_faded_window(s)
    }

    /// Recomputes the cohorts' sums and the fleet's factors in `l` from them.
    fn refresh_factors(&self, l: &mut LifeState) {
        let Some(c) = l.cohorts.as_mut() else {
            return;
        };
        let eff = c.refresh();
        let (aged, installed) = (c.aged_units, c.installed_units);
        l.efficiency_factor = eff;
        l.capacity_factor = if installed > 0 {
            (aged / f64::from(installed)).clamp(ageing::MIN_CAPACITY_FACTOR, 1.0)
        } else {
            1.0
        };
        l.inv_capacity_factor = if aged > 0.0 {
            f64::from(self.units) / aged
        } else {
            1.0
        };
    }

    /// Applies the plan at the start of year of life `year` (at `t_ms`, a step boundary):
    /// replacements, scheduled additions, then the threshold rule (see [`augmentation`]).
    /// Returns the units added. Nothing without a plan. Runs once a year, never in the step
    /// loop.
    #[cold]
    #[inline(never)]
    pub fn augment(&self, s: &mut BatteryState, year: u32, t_ms: u64) -> u32 {
        let Some(plan) = self.plan.as_deref() else {
            return 0;
        };
        let mut added = 0;
        if let Some(which) = plan.replacement(year) {
            let n = self.retire(s, which);
            added += self.install(s, n, t_ms);
        }
        added += self.install(s, plan.additions(year), t_ms);
        let (aged, installed) = match cohorts_of(s) {
            Some(c) => (c.aged_units, c.installed_units),
            None => return added,
        };
        let want = plan.threshold_units(aged, self.units);
        if want > 0 {
            added += self.install(s, want.min(plan.slots() - installed), t_ms);
        }
        added
    }

    /// Removes the units `which` names with their energy (counted as removed); returns how
    /// many left.
    fn retire(&self, s: &mut BatteryState, which: ReplaceWhich) -> u32 {
        let Some(l) = s.life.as_deref_mut() else {
            return 0;
        };
        let Some(c) = l.cohorts.as_mut() else {
            return 0;
        };
        let active: Vec<usize> = (0..c.cohorts.len())
            .filter(|&i| !c.cohorts[i].retired)
            .collect();
        let targets = match which {
            ReplaceWhich::All => &active[..],
            ReplaceWhich::Oldest => &active[..active.len().min(1)],
        };
        let mut removed = Energy::ZERO;
        let mut units = 0;
        let mut w = c.window_units;
        for &i in targets {
            let k = &mut c.cohorts[i];
            let weight = f64::from(k.pooled) * k.capacity_factor;
            let share = if w <= weight || w <= 0.0 {
                s.energy
            } else {
                s.energy * (weight / w)
            };
            w -= weight;
            s.energy -= share;
            removed += share;
            for j in 0..c.slot_cohort.len() {
                if c.slot_cohort[j] as usize != i {
                    continue;
                }
                c.slot_cohort[j] = EMPTY_SLOT;
                if let Some(u) = s.units.as_deref_mut() {
                    if u.held[j] {
                        removed += u.locked[j];
                        u.locked[j] = Energy::ZERO;
                        u.held[j] = false;
                    } else {
                        u.pooled -= 1;
                    }
                }
            }
            if let Some(u) = s.units.as_deref_mut() {
                u.locked_total = u.locked.iter().copied().sum();
                u.mean_up = f64::from(u.pooled);
            }
            k.retired = true;
            k.pooled = 0;
            units += k.units;
        }
        c.removed += removed;
        c.units_removed += units;
        self.refresh_factors(l);
        units
    }

    /// Installs `n` new units in the first empty slots, at their window floor (the floor
    /// energy counted as installed), as a new cohort starting its life at `t_ms`; returns `n`.
    fn install(&self, s: &mut BatteryState, n: u32, t_ms: u64) -> u32 {
        let Some(model) = self.life.as_deref().and_then(Lifetime::ageing) else {
            return 0;
        };
        if n == 0 {
            return 0;
        }
        let floor = self.unit.energy * self.soc_min;
        let Some(l) = s.life.as_deref_mut() else {
            return 0;
        };
        let Some(c) = l.cohorts.as_mut() else {
            return 0;
        };
        let index = c.cohorts.len() as u32;
        let mut pooled = 0;
        let mut placed = 0;
        for j in 0..c.slot_cohort.len() {
            if placed == n {
                break;
            }
            if c.slot_cohort[j] != EMPTY_SLOT {
                continue;
            }
            c.slot_cohort[j] = index;
            placed += 1;
            match s.units.as_deref_mut() {
                Some(u) if u.set.is_down(j) == Some(true) => {
                    u.held[j] = true;
                    u.locked[j] = floor;
                }
                Some(u) => {
                    u.pooled += 1;
                    pooled += 1;
                }
                None => pooled += 1,
            }
        }
        if let Some(u) = s.units.as_deref_mut() {
            u.locked_total = u.locked.iter().copied().sum();
            u.mean_up = f64::from(u.pooled);
        }
        s.energy += floor * f64::from(pooled);
        c.installed += floor * f64::from(placed);
        c.units_added += placed;
        c.cohorts.push(Cohort {
            installed_ms: t_ms,
            units: placed,
            retired: false,
            pooled,
            ageing: model.initial_state(Fraction::ZERO),
            last_soc: 0.0,
            throughput_mwh: 0.0,
            inv_nameplate: inv_nameplate(self.unit.energy, placed),
            capacity_factor: 1.0,
            efficiency_factor: 1.0,
        });
        self.refresh_factors(l);
        // The new units share the fleet's SoC from now on: their ageing starts there.
        let soc = self.soc(s);
        if let Some(k) = s
            .life
            .as_deref_mut()
            .and_then(|l| l.cohorts.as_mut())
            .and_then(|c| c.cohorts.last_mut())
        {
            k.ageing = model.initial_state(soc);
            k.last_soc = soc.value();
            k.throughput_mwh = soc.value() * f64::from(placed) * self.unit.energy.value();
        }
        placed
    }

    /// The battery's life sums in state `s` (see [`LifeSums`]), with the rainflow residue
    /// counted as half cycles (on copies) if `finish`; `None` without ageing.
    ///
    /// Without `finish` it allocates nothing (the engine calls it at every year's end); with
    /// it, it copies each cohort's ageing state once.
    pub fn life_sums(&self, s: &BatteryState, finish: bool) -> Option<LifeSums> {
        let life = self.lifetime()?;
        let model = life.ageing()?;
        let l = life.settled(s.life.as_deref()?);
        let l = l.as_ref();
        // (calendar fade, cycle fade, equivalent full cycles, capacity factor) of one state.
        let sums_of = |a: &AgeingState| {
            let finished;
            let a = if finish {
                let mut copy = a.clone();
                model.finish(&mut copy);
                finished = copy;
                &finished
            } else {
                a
            };
            (
                model.calendar_fade(a).value(),
                model.cycle_fade(a).value(),
                a.equivalent_full_cycles(),
                model.capacity_factor(a),
            )
        };
        let Some(c) = l.cohorts.as_ref() else {
            let (calendar_fade, cycle_fade, equivalent_full_cycles, cf) =
                sums_of(l.ageing.as_ref()?);
            return Some(LifeSums {
                capacity_factor: cf,
                calendar_fade,
                cycle_fade,
                equivalent_full_cycles,
                fade_loss: l.fade_loss,
                usable: self.usable_energy() * cf,
                augmentation: None,
            });
        };
        let n0 = f64::from(self.units);
        let (mut cal, mut cyc, mut efc, mut aged) = (0.0, 0.0, 0.0, 0.0);
        for k in &c.cohorts {
            let (k_cal, k_cyc, k_efc, k_cf) = sums_of(&k.ageing);
            let w = f64::from(k.units) / n0;
            cal += w * k_cal;
            cyc += w * k_cyc;
            efc += w * k_efc;
            if !k.retired {
                aged += f64::from(k.units) * k_cf;
            }
        }
        let installed = c.installed_units;
        Some(LifeSums {
            capacity_factor: if installed > 0 {
                aged / f64::from(installed)
            } else {
                1.0
            },
            calendar_fade: cal,
            cycle_fade: cyc,
            equivalent_full_cycles: efc,
            fade_loss: l.fade_loss,
            usable: self.usable_energy() * (aged / n0),
            augmentation: Some(AugmentationSums {
                units: installed,
                units_added: c.units_added,
                units_removed: c.units_removed,
                installed: c.installed,
                removed: c.removed,
            }),
        })
    }
}

/// A fleet's life so far ([`Fleet::life_sums`]). With an augmentation plan the fades and the
/// equivalent full cycles are summed over every cohort ever installed, each weighted by its
/// units over the initial units (so they are in units of the initial fleet's nameplate, and
/// only grow), and the capacity factor is the installed units' mean.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LifeSums {
    /// Capacity factor (the installed units' mean with a plan).
    pub capacity_factor: f64,
    /// Calendar fade so far.
    pub calendar_fade: f64,
    /// Cycle fade so far.
    pub cycle_fade: f64,
    /// Equivalent full cycles so far.
    pub equivalent_full_cycles: f64,
    /// Stored energy removed by the shrinking window so far.
    pub fade_loss: Energy,
    /// Usable energy of the installed units now (window × capacity factor).
    pub usable: Energy,
    /// With a plan: the units and the energy they brought and took.
    pub augmentation: Option<AugmentationSums>,
}

/// What an augmentation plan has done so far.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AugmentationSums {
    /// Units installed now.
    pub units: u32,
    /// Units added so far.
    pub units_added: u32,
    /// Units removed so far.
    pub units_removed: u32,
    /// Energy new units brought so far.
    pub installed: Energy,
    /// Energy removed units took so far.
    pub removed: Energy,
}

/// `hours` as whole milliseconds, rounded down (0 for a negative or NaN number; saturating).
#[inline]
fn whole_ms_below(hours: f64) -> u64 {
    // `as` saturates: NaN and negatives give 0, huge values u64::MAX.
    (hours * crate::units::MS_PER_HOUR as f64).floor() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOL: f64 = 1e-12;

    #[test]
    fn presets_match_the_datasheet() {
        let u = Preset::Megapack2Xl4h.unit();
        assert!((u.discharge_power.value() - 0.979).abs() < TOL);
        assert!((u.energy.value() - 3.916).abs() < TOL);
        assert!(((u.charge_efficiency * u.discharge_efficiency).value() - 0.937).abs() < TOL);
        let u = Preset::Megapack2Xl2h.unit();
        assert!((u.discharge_power.value() - 1.927).abs() < TOL);
        assert!(((u.charge_efficiency * u.discharge_efficiency).value() - 0.92).abs() < TOL);
        let colossus = Fleet::new(&BatteryParams::preset(Preset::Megapack2Xl4h, 168)).unwrap();
        assert!((colossus.max_discharge_power().value() - 164.472).abs() < 1e-9);
        assert!((colossus.capacity().value() - 657.888).abs() < 1e-9);
    }

    fn custom(p: f64, e: f64, rte: f64) -> BatteryParams {
        BatteryParams {
            units: 1,
            power_mw: Some(Power::mw(p)),
            energy_mwh: Some(Energy::mwh(e)),
            round_trip_efficiency: Some(Fraction::ratio(rte)),
            aux_load_mw: Some(Power::ZERO),
            ..BatteryParams::none()
        }
    }

    #[test]
    fn an_empty_fleet_keeps_its_initial_soc_inside_the_window() {
        // No units, and units of 0 MWh: the SoC is the initial SoC, not 0 below soc_min.
        for params in [
            BatteryParams {
                soc_min: Some(Fraction::ratio(0.3)),
                initial_soc: Some(Fraction::ratio(0.5)),
                ..BatteryParams::none()
            },
            BatteryParams {
                soc_min: Some(Fraction::ratio(0.3)),
                initial_soc: Some(Fraction::ratio(0.5)),
                ..custom(1.0, 0.0, 0.9)
            },
        ] {
            let f = Fleet::new(&params).unwrap();
            let mut s = f.initial_state(0);
            assert_eq!(f.soc(&s).value(), 0.5);
            f.settle(&mut s, Power::mw(1.0), Power::ZERO, Hours::h(1.0));
            assert_eq!(f.soc(&s).value(), 0.5);
            assert!(f.state_in_window(&s));
        }
    }

    #[test]
    fn discharge_and_charge_account_exactly() {
        let f = Fleet::new(&custom(10.0, 40.0, 0.81)).unwrap();
        let mut s = f.initial_state(0);
        assert!((s.energy.value() - 40.0).abs() < TOL);
        let dt = Hours::h(1.0);
        let l = f.settle(&mut s, Power::mw(9.0), Power::ZERO, dt);
        // 9 MWh delivered drains 9/0.9 = 10 MWh.
        assert!((s.energy.value() - 30.0).abs() < TOL);
        assert!((l.discharge.value() - 1.0).abs() < TOL);
        let l = f.settle(&mut s, Power::ZERO, Power::mw(10.0), dt);
        assert!((s.energy.value() - 39.0).abs() < TOL);
        assert!((l.charge.value() - 1.0).abs() < TOL);
    }

    #[test]
    fn time_to_the_floor_and_the_ceiling_is_whole_milliseconds_rounded_down() {
        // 40 MWh at η = 0.9 each way, window [0.2, 1]: 32 MWh above the floor.
        let mut params = custom(10.0, 40.0, 0.81);
        params.soc_min = Some(Fraction::ratio(0.2));
        let f = Fleet::new(&params).unwrap();
        let mut s = f.initial_state(0);
        // 32 × 0.9 / 8 = 3.6 h.
        assert_eq!(f.ms_to_floor(&s, Power::mw(8.0)), 12_960_000);
        assert_eq!(f.ms_to_ceiling(&s, Power::mw(8.0)), 0, "full");
        // Delivering that long drains what was above the floor, to rounding.
        f.settle(&mut s, Power::mw(8.0), Power::ZERO, Hours::h(3.6));
        assert!((s.energy - f.min_energy()).value().abs() < TOL);
        assert_eq!(f.ms_to_floor(&s, Power::mw(8.0)), 0, "at the floor");
        // 32 MWh of room at 5 MW × 0.9: 7.111… h, rounded down to the millisecond.
        let ms = f.ms_to_ceiling(&s, Power::mw(5.0));
        let exact = 32.0 / 4.5 * 3_600_000.0;
        assert!(
            ms as f64 <= exact && exact - (ms as f64) < 1.0 + 1e-6,
            "{ms} vs {exact}"
        );
        // The power limits alone, without the window's energy limit.
        assert_eq!(f.discharge_limit(&s), Power::mw(10.0));
        assert_eq!(f.charge_limit(&s), Power::mw(10.0));
    }

    #[test]
    fn limits_respect_power_and_window() {
        let params = BatteryParams {
            soc_min: Some(Fraction::ratio(0.1)),
            soc_max: Some(Fraction::ratio(0.9)),
            initial_soc: Some(Fraction::ratio(0.2)),
            reserve_soc: Some(Fraction::ratio(0.1)),
            ..custom(10.0, 40.0, 1.0)
        };
        let f = Fleet::new(&params).unwrap();
        let s = f.initial_state(0);
        // 8 MWh stored, floor 4 MWh: 4 MWh over 1 h → 4 MW < 10 MW power limit.
        assert!((f.max_discharge(&s, Hours::h(1.0)).value() - 4.0).abs() < TOL);
        assert!((f.max_discharge(&s, Hours::h(0.25)).value() - 10.0).abs() < TOL);
        // Ceiling 36 MWh: 28 MWh of room, but only 10 MW.
        assert!((f.max_charge(&s, Hours::h(1.0)).value() - 10.0).abs() < TOL);
        assert!((f.max_charge(&s, Hours::h(4.0)).value() - 7.0).abs() < TOL);
        let mut s2 = s.clone();
        f.settle(&mut s2, Power::mw(4.0), Power::ZERO, Hours::h(1.0));
        assert!((f.soc(&s2).value() - 0.1).abs() < TOL);
        assert_eq!(f.max_discharge(&s2, Hours::h(1.0)), Power::ZERO);
    }

    #[test]
    fn self_discharge_decays_geometrically_and_stops_at_floor() {
        let params = BatteryParams {
            self_discharge_per_day: Some(Fraction::ratio(0.1)),
            soc_min: Some(Fraction::ratio(0.5)),
            ..custom(10.0, 100.0, 1.0)
        };
        let f = Fleet::new(&params).unwrap();
        let mut s = f.initial_state(0);
        let keep = f.self_discharge_keep(Hours::h(1.0));
        let mut lost = Energy::ZERO;
        for _ in 0..24 {
            lost += f.apply_self_discharge(&mut s, keep);
        }
        assert!((s.energy.value() - 90.0).abs() < 1e-9);
        assert!((lost.value() - 10.0).abs() < 1e-9);
        for _ in 0..24 * 30 {
            f.apply_self_discharge(&mut s, keep);
        }
        assert!((s.energy.value() - 50.0).abs() < 1e-9);
    }

    #[test]
    fn bad_parameters_are_typed_errors() {
        let field_of = |p: BatteryParams| match Fleet::new(&p) {
            Err(ConfigError::OutOfRange { field, .. })
            | Err(ConfigError::Inconsistent { field, .. })
            | Err(ConfigError::Missing { field, .. }) => field,
            other => panic!("expected an error, got {other:?}"),
        };
        let ok = custom(10.0, 40.0, 0.9);
        assert_eq!(
            field_of(BatteryParams {
                energy_mwh: Some(Energy::mwh(-1.0)),
                ..ok.clone()
            }),
            "battery.energy_mwh"
        );
        assert_eq!(
            field_of(BatteryParams {
                power_mw: Some(Power::mw(f64::NAN)),
                ..ok.clone()
            }),
            "battery.charge_power_mw"
        );
        assert_eq!(
            field_of(BatteryParams {
                round_trip_efficiency: Some(Fraction::ratio(1.2)),
                ..ok.clone()
            }),
            "battery.round_trip_efficiency"
        );
        assert_eq!(
            field_of(BatteryParams {
                discharge_efficiency: Some(Fraction::ratio(0.0)),
                ..ok.clone()
            }),
            "battery.discharge_efficiency"
        );
        assert_eq!(
            field_of(BatteryParams {
                initial_soc: Some(Fraction::ratio(1.5)),
                ..ok.clone()
            }),
            "battery.initial_soc"
        );
        assert_eq!(
            field_of(BatteryParams {
                soc_max: Some(Fraction::ratio(0.8)),
                initial_soc: Some(Fraction::ratio(0.9)),
                ..ok.clone()
            }),
            "battery.initial_soc"
        );
        assert_eq!(
            field_of(BatteryParams {
                soc_max: Some(Fraction::ratio(0.5)),
                reserve_soc: Some(Fraction::ratio(0.6)),
                ..ok.clone()
            }),
            "battery.reserve_soc"
        );
        assert_eq!(
            field_of(BatteryParams {
                soc_min: Some(Fraction::ratio(0.6)),
                soc_max: Some(Fraction::ratio(0.5)),
                ..ok.clone()
            }),
            "battery.soc_min"
        );
        assert_eq!(
            field_of(BatteryParams {
                energy_mwh: None,
                ..ok.clone()
            }),
            "battery.energy_mwh"
        );
        assert_eq!(
            field_of(BatteryParams {
                aux_load_mw: Some(Power::mw(-2.0)),
                ..ok
            }),
            "battery.aux_load_mw"
        );
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let err = toml::from_str::<BatteryParams>(
            "units = 2\npreset = \"megapack2xl_4h\"\ncapacity = 3\n",
        );
        assert!(err.is_err());
        let ok: BatteryParams =
            toml::from_str("units = 2\npreset = \"megapack2xl_4h\"\nreserve_soc = 0.3\n").unwrap();
        assert_eq!(ok.units, 2);
    }

    // ---- unit failures ---------------------------------------------------------------------

    /// Tolerance of energies after a few dozen exact-ish operations.
    const E_TOL: f64 = 1e-9;

    fn never_fails() -> AvailabilityProcess {
        AvailabilityProcess::Renewal(crate::reliability::availability::RenewalProcess::new(
            0.0,
            crate::reliability::availability::DurationLaw::Fixed {
                duration: crate::units::Duration::from_hours(1),
            },
        ))
    }

    /// Forces unit `j` (single process) down over `[start_h, end_h)` hours.
    fn force_outage(f: &Fleet, s: &mut BatteryState, j: usize, start_h: u64, end_h: u64) {
        let u = s.units.as_deref_mut().unwrap();
        let h = crate::units::MS_PER_HOUR;
        f.unit_set
            .force_outage(&mut u.set, j, start_h * h, end_h * h);
    }

    /// Four lossless 1 MW / 4 MWh units that fail only when forced, on `steps` hourly steps.
    fn four_units(steps: u64) -> (Fleet, TimeGrid) {
        let time = TimeGrid::with_steps(crate::units::Duration::from_hours(1), steps).unwrap();
        let params = BatteryParams {
            units: 4,
            unit_failures: vec![never_fails()],
            ..custom(1.0, 4.0, 1.0)
        };
        (Fleet::new(&params).unwrap(), time)
    }

    #[test]
    fn a_failed_unit_keeps_its_energy_and_the_fleet_scales() {
        let (f, time) = four_units(10);
        assert!(f.has_unit_failures());
        let dt = Hours::h(1.0);
        let mut s = f.initial_state(1);
        f.update_units(&mut s, 0, &time);
        assert_eq!(f.units_up(&s), 4);
        force_outage(&f, &mut s, 1, 2, 5);
        f.settle(&mut s, Power::mw(4.0), Power::ZERO, dt);
        f.update_units(&mut s, 1, &time);
        assert!((s.energy.value() - 12.0).abs() < E_TOL);
        // Step 2: unit 1 fails and takes a quarter of the pool.
        f.update_units(&mut s, 2, &time);
        assert_eq!(f.units_up(&s), 3);
        assert!((f.locked_energy(&s).value() - 3.0).abs() < E_TOL);
        assert!((s.energy.value() - 9.0).abs() < E_TOL);
        assert!((f.soc(&s).value() - 0.75).abs() < E_TOL, "whole-fleet SoC");
        assert!(
            (f.max_discharge(&s, dt).value() - 3.0).abs() < E_TOL,
            "3/4 of the power"
        );
        assert!((f.max_discharge(&s, Hours::h(0.25)).value() - 3.0).abs() < E_TOL);
        assert!((f.capacity_up(&s).value() - 12.0).abs() < E_TOL);
        assert!((f.max_energy_up(&s).value() - 12.0).abs() < E_TOL);
        assert!(
            (f.reserve_energy_up(&s).value() - 0.75 * f.reserve_energy().value()).abs() < E_TOL
        );
        // Drain the three up units to empty; the failed unit's energy is untouched.
        for k in 2..5 {
            f.update_units(&mut s, k, &time);
            let p = f.max_discharge(&s, dt);
            f.settle(&mut s, p, Power::ZERO, dt);
        }
        assert!(s.energy.value().abs() < E_TOL);
        assert_eq!(f.max_discharge(&s, dt), Power::ZERO);
        assert!((f.locked_energy(&s).value() - 3.0).abs() < E_TOL);
        assert!((f.max_charge(&s, dt).value() - 3.0).abs() < E_TOL);
        // Step 5: the unit returns with its energy.
        f.update_units(&mut s, 5, &time);
        assert_eq!(f.units_up(&s), 4);
        assert!((s.energy.value() - 3.0).abs() < E_TOL);
        assert_eq!(f.locked_energy(&s), Energy::ZERO);
        assert!((f.max_discharge(&s, dt).value() - 3.0).abs() < E_TOL);
        assert!((f.max_discharge(&s, Hours::h(0.5)).value() - 4.0).abs() < E_TOL);
    }

    #[test]
    fn power_follows_the_time_average_and_energy_moves_at_boundaries() {
        let (f, time) = four_units(6);
        let (dt, h) = (Hours::h(1.0), crate::units::MS_PER_HOUR);
        let mut s = f.initial_state(1);
        f.update_units(&mut s, 0, &time);
        // Unit 1 is down from 1h 30m to 3h.
        let u = s.units.as_deref_mut().unwrap();
        f.unit_set.force_outage(&mut u.set, 1, h + h / 2, 3 * h);
        // Step 1: down half the step: 3.5 units of power, all four units' energy pooled.
        f.update_units(&mut s, 1, &time);
        assert_eq!(f.mean_units_up(&s), 3.5);
        assert_eq!(f.units_up(&s), 4);
        assert!((f.max_discharge(&s, dt).value() - 3.5).abs() < E_TOL);
        assert_eq!(f.locked_energy(&s), Energy::ZERO);
        // Step 2: down at its start: its share is locked, three units of power.
        f.update_units(&mut s, 2, &time);
        assert_eq!((f.mean_units_up(&s), f.units_up(&s)), (3.0, 3));
        assert!((f.locked_energy(&s).value() - 4.0).abs() < E_TOL);
        assert!((f.max_discharge(&s, dt).value() - 3.0).abs() < E_TOL);
        assert!((f.soc(&s).value() - 1.0).abs() < E_TOL);
        // Step 3: repaired at its start: everything back.
        f.update_units(&mut s, 3, &time);
        assert_eq!((f.mean_units_up(&s), f.units_up(&s)), (4.0, 4));
        assert_eq!(f.locked_energy(&s), Energy::ZERO);
        assert!((s.energy.value() - 16.0).abs() < E_TOL);
    }

    #[test]
    fn random_unit_failures_keep_the_window_and_the_balance() {
        let steps = 20_000u64;
        let time = TimeGrid::with_steps(crate::units::Duration::from_hours(1), steps).unwrap();
        let params = BatteryParams {
            units: 6,
            soc_min: Some(Fraction::ratio(0.1)),
            soc_max: Some(Fraction::ratio(0.9)),
            self_discharge_per_day: Some(Fraction::ratio(0.01)),
            unit_failures: vec![
                AvailabilityProcess::Markov {
                    mttf: crate::units::Duration::from_hours(200),
                    mttr: crate::units::Duration::from_hours(40),
                },
                AvailabilityProcess::MarkovPerStep {
                    failure_probability: 0.001,
                    repair_probability: 0.1,
                },
            ],
            ..custom(2.0, 8.0, 0.9)
        };
        let f = Fleet::new(&params).unwrap();
        let dt = time.step_hours();
        let keep = f.self_discharge_keep(dt);
        let run = |s: &mut BatteryState, from: u64, to: u64| {
            let mut flows = 0.0;
            let mut ups = Vec::new();
            for k in from..to {
                f.update_units(s, k, &time);
                flows -= f.apply_self_discharge(s, keep).value();
                // A deterministic, see-saw request.
                let (d, c) = if (k / 7) % 2 == 0 {
                    (f.max_discharge(s, dt) * 0.8, Power::ZERO)
                } else {
                    (Power::ZERO, f.max_charge(s, dt) * 0.9)
                };
                let losses = f.settle(s, d, c, dt);
                flows += (c * dt).value() - losses.charge.value();
                flows -= (d * dt).value() + losses.discharge.value();
                let up = f.units_up(s);
                let frac = f64::from(up) / 6.0;
                assert!(
                    s.energy.value() >= f.min_energy().value() * frac - E_TOL,
                    "floor {k}"
                );
                assert!(
                    s.energy.value() <= f.max_energy().value() * frac + E_TOL,
                    "ceiling {k}"
                );
                let soc = f.soc(s).value();
                assert!((0.1 - E_TOL..=0.9 + E_TOL).contains(&soc), "soc {k}");
                ups.push(up);
            }
            (flows, ups)
        };
        let mut s = f.initial_state(3);
        let stored0 = f.soc(&s).value() * f.capacity().value();
        let cut = steps / 2;
        let (flows_a, ups_a) = run(&mut s, 0, cut);
        let json = serde_json::to_string(&s).unwrap();
        let snapshot = s.clone();
        let (flows_b, ups_b) = run(&mut s, cut, steps);
        let stored1 = f.soc(&s).value() * f.capacity().value();
        assert!(
            (stored1 - stored0 - flows_a - flows_b).abs() < 1e-6,
            "storage balance: {stored1} − {stored0} vs {}",
            flows_a + flows_b
        );
        assert!(
            ups_a.iter().chain(&ups_b).any(|&u| u < 5),
            "failures happened"
        );
        assert!(ups_a.iter().chain(&ups_b).any(|&u| u == 6));
        // Snapshot and resume continue identically.
        let mut resumed: BatteryState = serde_json::from_str(&json).unwrap();
        assert_eq!(resumed, snapshot);
        let (flows_r, ups_r) = run(&mut resumed, cut, steps);
        assert_eq!(ups_r, ups_b);
        assert_eq!(flows_r, flows_b);
        assert_eq!(resumed, s);
    }

    #[test]
    fn no_failures_is_a_plain_state() {
        let f = Fleet::new(&custom(1.0, 4.0, 0.9)).unwrap();
        assert!(!f.has_unit_failures());
        let s = f.initial_state(9);
        assert!(s.units.is_none());
        assert_eq!(serde_json::to_string(&s).unwrap(), r#"{"energy":4.0}"#);
        assert_eq!(f.capacity_up(&s), f.capacity());
    }

    #[test]
    fn unit_failure_validation_and_toml() {
        let params = BatteryParams {
            unit_failures: vec![AvailabilityProcess::Markov {
                mttf: crate::units::Duration::from_hours(10),
                mttr: crate::units::Duration::ZERO,
            }],
            ..custom(1.0, 4.0, 0.9)
        };
        match Fleet::new(&params) {
            Err(ConfigError::OutOfRange { field, .. }) => {
                assert_eq!(field, "battery.unit_failures[0].mttr")
            }
            other => panic!("expected OutOfRange, got {other:?}"),
        }
        let ok: BatteryParams = toml::from_str(
            "units = 4\npreset = \"megapack2xl_4h\"\nunit_failures = [{ model = \"markov\", mttf = \"8760h\", mttr = \"72h\" }]\n",
        )
        .unwrap();
        assert_eq!(ok.unit_failures.len(), 1);
        let f = Fleet::new(&ok).unwrap();
        // A validated fleet serialises (for reports) but is only ever built by `Fleet::new`.
        let json = serde_json::to_string(&f).unwrap();
        assert!(json.contains("markov"), "{json}");
        assert!(toml::from_str::<BatteryParams>(
            "units = 4\npreset = \"megapack2xl_4h\"\nunit_failures = [{ model = \"markov\", mttf = \"1h\", mttr = \"1h\", rate = 1 }]\n",
        )
        .is_err());
    }
}
