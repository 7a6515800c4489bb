//! The optional lumped thermal model of a battery unit's enclosure (`[battery.thermal.enclosure]`,
//! issue 10): one temperature for the cells and the enclosure of a unit, heated by the unit's
//! conversion losses and its standby draw, exchanging heat with the ambient through the shell,
//! and held between a heating and a cooling setpoint by an HVAC of finite capacity.
//!
//! # The model
//! Per unit (every unit of the fleet is the same, so one temperature stands for the fleet):
//!
//! ```text
//! C·dT/dt = Q + UA·(T_amb − T) − Q_cool + Q_heat
//! ```
//!
//! with `C` the lumped heat capacity of the cells and the enclosure, `UA` the shell's
//! conductance to the ambient, `Q` the heat released inside (the conversion and self-discharge
//! losses of the battery spread over its installed units, plus the standby draw, which all
//! becomes heat), `Q_cool` the heat the cooler removes and `Q_heat` the heat the heater adds.
//! The thermostat is ideal: above the cooling setpoint the cooler runs at its capacity; at the
//! setpoint it removes exactly the heat that holds it there while that is within its capacity;
//! between the setpoints nothing runs; the heater (optional) is the mirror image below the
//! heating setpoint. The electric draw is `P_cool = Q_cool / COP` and
//! `P_heat = Q_heat / η_heater`, plus the standby draw; it is the battery's auxiliary load.
//!
//! # Exact for piecewise-constant inputs
//! Over an interval in which `Q` and `T_amb` are constant (a segment's part inside one ambient
//! hour), the equation is linear with constant coefficients in each thermostat regime, so the
//! trajectory is an exponential relaxation toward the regime's equilibrium with the time constant
//! `θ = C/UA`:
//!
//! * free: toward `T_f = T_amb + Q/UA`;
//! * cooling at capacity: toward `T_f − Q_cool,max/UA`; heating at capacity: toward
//!   `T_f + Q_heat,max/UA`;
//! * holding a setpoint `T_s`: constant, the HVAC supplying `UA·(T_f − T_s)` (cooling) or
//!   `UA·(T_s − T_f)` (heating).
//!
//! The time at which a relaxation reaches a setpoint is `θ·ln((T₀ − T_e)/(T_s − T_e))`; there
//! the regime changes and the rest of the interval follows the next regime. The trajectory inside
//! an interval is monotone (every regime's equilibrium lies on the same side), so at most three
//! regimes follow one another. [`Enclosure::advance`] returns the end temperature, the exact time
//! integral of the temperature and the exact heat the HVAC moved. No sub-stepping: the result of
//! an interval split in two is the result of the whole to rounding, so the answer does not
//! depend on the time step beyond the inputs' own resolution (the ambient is hourly, the losses
//! constant over a segment).
//!
//! # The one-step lag of the losses' heat
//! The engine needs a step's auxiliary draw before it dispatches the battery (the demand stage),
//! but the step's losses are only known after. The enclosure therefore takes the conversion
//! losses of step `k` as a constant heat rate over step `k + 1` (their mean rate over step `k`):
//! the draw the demand stage computes from the state at the step's start is then exactly the
//! draw of the trajectory the age stage integrates, and every joule of loss reaches the enclosure
//! (one step late; at the run's end the last step's losses are the heat rate the next step
//! would apply, [`EnclosureState::loss_heat_mw`]). Over a time constant of days (the defaults:
//! ≈94 h) the lag of one step moves little. Measured (tests/integration/enclosure.rs, a year
//! of daily cycling in Austin's synthetic year): the HVAC energy at 1-hour steps is 0.12 % from
//! that at 1-minute steps, nearly all of it because the dispatch's own losses differ by 0.14 %;
//! the part they do not explain is 0.01 %. At rest the two agree to 1e-9.
//!
//! Self-discharge (0 for the presets) is heat too: the energy a step's self-discharge removes
//! (at the step's start, [`Fleet::apply_self_discharge`](super::Fleet::apply_self_discharge))
//! is released inside the units and joins the step's conversion losses, heating the next step.
//!
//! # Units that are down
//! With battery unit failures (`battery.unit_failures`), the units that are down carry no
//! power, yet the losses are spread over every installed unit, down ones included, and every
//! installed unit draws its standby and HVAC. The one temperature is then the installed units'
//! mean, not the temperature of the units that work: while the HVAC idles, those run warmer
//! than it by up to `Q·n_down/(n·n_up·UA)` (`Q` the fleet's losses, `n` units installed) and
//! the units down cooler. This is kept, because it conserves energy (every joule of loss and
//! standby is heat once) and the fleet's HVAC energy is exact whenever every unit's cooler (or
//! heater) holds its setpoint, the HVAC's heat being linear in the heat released there.
//! Spreading the losses over the units up with one temperature for all would heat the units
//! down with losses they do not make (HVAC energy too high, the fleet's heat balance open);
//! the honest refinement is a second temperature for the units down.
//!
//! What the lumped model misses: where one group would hold a setpoint and the other float —
//! in the cold season, the units down (standby only) cool below the cooling setpoint while the
//! units up still need cooling — it lets the down units' shells shed the up units' heat, so it
//! underestimates the HVAC energy. Measured (tests/integration/enclosure.rs) against a
//! two-group reference (each group one temperature, a unit that changes group bringing its
//! group's temperature), each unit failing every 2,000 h on average for a week (8.6–10.1 % of
//! unit-hours down, pessimistic): **+0.035 %** of HVAC energy on the bundled
//! austin_enclosure.toml over its two years, **+0.118 %** on a year of daily peak shaving in
//! Austin; the units up's mean temperature differs by under 0.001 °C and their highest not at
//! all. With the default cooling capacity a unit up cannot overwhelm its cooler unseen (the
//! power limit scales with the units up, so a unit up makes at most its rated losses — with
//! ageing's resistance growth, somewhat more — and the default covers 1.5× those); with a
//! smaller capacity given, the units up may saturate their coolers before the lumped
//! temperature shows it. The self-discharge of the energy locked in units that are down is
//! spread the same way.
//!
//! # Report
//! The run's [`EnclosureSummary`]; with ageing, each year of life's [`EnclosureYear`] too (its
//! mean and highest temperature, HVAC and standby energy), from the [`EnclosureMark`]s the run
//! takes at the years' ends: differences of cumulative sums, but for the highest temperature,
//! which the state keeps per year ([`EnclosureState::year_max_c`], restarted at each mark).
//! The years' energies sum to the run's, their hour-weighted means are its mean and their
//! highest temperature is its (tested).
//!
//! # Defaults
//! Every default is an assumption documented on its constant (Tesla publishes no thermal data
//! for the Megapack beyond its mass, size and ambient range; docs/SOURCES.md). The cooling
//! capacity's default is derived from the unit: [`DEFAULT_COOLING_MARGIN`] (1.5) × the larger of
//! its conversion losses at rated power, `max(P_c·(1 − η_c), P_d·(1/η_d − 1))`
//! ([`rated_loss_mw`]), so a 2-hour unit, with ≈2.5× the losses of a 4-hour one, gets an HVAC
//! to match.

use crate::components::battery::thermal::{MAX_AMBIENT_C, MAX_AUX_POWER_MW, MIN_AMBIENT_C};
use crate::components::battery::UnitSpec;
use crate::error::{check_range, ConfigError};
use crate::units::{Energy, Power};
use serde::{Deserialize, Serialize};

/// Default heat capacity of one unit, MJ/K: 34, the Megapack 2 XL's 38.1 t (datasheet) times a
/// mean specific heat of 0.9 kJ/(kg·K) (an assumption: LFP cells ≈1.0–1.1 kJ/(kg·K), the steel
/// enclosure and the power electronics ≈0.5).
pub const DEFAULT_HEAT_CAPACITY_MJ_PER_K: f64 = 34.0;

/// Default shell conductance of one unit, MW/K: 1e-4 (100 W/K). An assumption: the Megapack
/// 2 XL's 8.8 × 1.65 × 2.785 m box has 87 m² of surface; an insulated panel with its thermal
/// bridges and door seals ≈1.1 W/(m²·K).
pub const DEFAULT_CONDUCTANCE_MW_PER_K: f64 = 1.0e-4;

/// Default cooling setpoint, °C: 25, the ageing models' reference temperature (an assumption).
pub const DEFAULT_COOLING_SETPOINT_C: f64 = 25.0;

/// The margin of the default cooling capacity (thermal) over the unit's conversion losses at
/// rated power: 1.5, an assumption. The default capacity is this margin × the larger of
/// the charging loss `P_c·(1 − η_c)` and the discharging loss `P_d·(1/η_d − 1)` at the unit's
/// rated powers and one-way efficiencies ([`rated_loss_mw`]), so the HVAC suits the unit. The
/// margin covers the standby draw (1 kW), the shell's gain in a 45 °C ambient at the default
/// conductance (2 kW) and a reserve: for the 4-hour Megapack 2 XL (979 kW, √0.937 each way,
/// ≈32.4 kW of losses at rated discharge) it gives ≈48.6 kW, about the 50 kW this default
/// was before; for the 2-hour unit (1,927 kW, √0.920, ≈82.0 kW) ≈123 kW. The losses are the new
/// unit's: ageing's resistance growth (`[battery.ageing]`, off by default) raises them over
/// the life, and the margin absorbs the first part of that.
pub const DEFAULT_COOLING_MARGIN: f64 = 1.5;

/// The larger of one unit's conversion losses at rated power: charging at `charge_power`
/// loses `P_c·(1 − η_c)`, discharging at `discharge_power` loses `P_d·(1/η_d − 1)` (the
/// constant one-way efficiencies of the unit).
///
/// ```
/// use ridethrough::components::battery::{enclosure::rated_loss_mw, Preset};
/// let unit = Preset::Megapack2Xl4h.unit();
/// let want = 0.979 * (1.0 / 0.937f64.sqrt() - 1.0);
/// // A product and a square root apart.
/// const TOL_MW: f64 = 1e-15;
/// assert!((rated_loss_mw(&unit).value() - want).abs() < TOL_MW);
/// ```
pub fn rated_loss_mw(unit: &UnitSpec) -> Power {
    let charge = unit.charge_power.value() * (1.0 - unit.charge_efficiency.value());
    let discharge = unit.discharge_power.value() * (1.0 / unit.discharge_efficiency.value() - 1.0);
    Power::mw(charge.max(discharge))
}

/// Default heating capacity of one unit (thermal), MW, when a heating setpoint is given: 0.02
/// (20 kW). An assumption: with the default conductance it holds 10 °C against −70 °C
/// (8 kW) with a margin for a cold start.
pub const DEFAULT_HEATING_CAPACITY_MW: f64 = 0.02;

/// Default cooling coefficient of performance: 3.0, a packaged air conditioner's full-load
/// value (EER ≈ 10–11 Btu/Wh); an assumption.
pub const DEFAULT_COP: f64 = 3.0;

/// Default heater efficiency (heat per electricity): 1.0, a resistive heater.
pub const DEFAULT_HEATER_EFFICIENCY: f64 = 1.0;

/// Default standby draw of one unit (controls, fans, the BMS), MW: 0.001 (1 kW). An assumption:
/// the crate's default auxiliary curve draws 2 kW at 25 °C, standby and some cooling together.
pub const DEFAULT_STANDBY_MW: f64 = 0.001;

/// Megajoules in a megawatt-hour.
const MJ_PER_MWH: f64 = 3600.0;

/// The regimes one interval can pass through (free or at capacity, then a setpoint, then free
/// again, then the other setpoint); a bound on the loop, never reached.
const MAX_REGIMES: usize = 8;

/// `[battery.thermal.enclosure]`: per unit, every field optional (see the module docs and each
/// default's constant).
///
/// ```
/// use ridethrough::components::battery::enclosure::{Enclosure, EnclosureParams};
/// use ridethrough::components::battery::Preset;
/// let p: EnclosureParams = toml::from_str(r#"
///     heat_capacity_mj_per_k = 34
///     conductance_mw_per_k = 1e-4
///     cooling_setpoint_c = 25
///     heating_setpoint_c = 10
///     cooling_capacity_mw = 0.05
///     cop = 3.0
/// "#)?;
/// let e = Enclosure::new(&p, &Preset::Megapack2Xl4h.unit())?;
/// assert!((e.time_constant_hours() - 34e6 / 100.0 / 3600.0).abs() < 1e-9);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct EnclosureParams {
    /// Lumped heat capacity of the cells and the enclosure, MJ/K, `0.1 ≤ x ≤ 1000` (default
    /// [`DEFAULT_HEAT_CAPACITY_MJ_PER_K`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heat_capacity_mj_per_k: Option<f64>,
    /// Shell conductance to the ambient (UA), MW/K, `1e-6 ≤ x ≤ 0.01` (1 W/K to 10 kW/K;
    /// default [`DEFAULT_CONDUCTANCE_MW_PER_K`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conductance_mw_per_k: Option<f64>,
    /// The cooler holds the temperature at or below this, °C, `−70 ≤ x ≤ 60` (default
    /// [`DEFAULT_COOLING_SETPOINT_C`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cooling_setpoint_c: Option<f64>,
    /// The heater holds the temperature at or above this, °C, `−70 ≤ x ≤ 60` and below the
    /// cooling setpoint (default: no heater).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heating_setpoint_c: Option<f64>,
    /// Heat the cooler can remove, MW (thermal), `0 ≤ x ≤ 1` (default: derived from the unit,
    /// [`DEFAULT_COOLING_MARGIN`] × its larger conversion loss at rated power,
    /// [`rated_loss_mw`]: ≈0.0486 for the 4-hour Megapack 2 XL, ≈0.123 for the 2-hour one; the
    /// derived value must lie in the same range).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cooling_capacity_mw: Option<Power>,
    /// Heat the heater can add, MW (thermal), `0 ≤ x ≤ 1` (default
    /// [`DEFAULT_HEATING_CAPACITY_MW`]; only with `heating_setpoint_c`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heating_capacity_mw: Option<Power>,
    /// Cooling coefficient of performance (heat removed per electricity), `0.5 ≤ x ≤ 10`
    /// (default [`DEFAULT_COP`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cop: Option<f64>,
    /// Heater efficiency (heat added per electricity; above 1 for a heat pump), `0.5 ≤ x ≤ 5`
    /// (default [`DEFAULT_HEATER_EFFICIENCY`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heater_efficiency: Option<f64>,
    /// Standby draw (controls, fans), MW, `0 ≤ x ≤ 1`; all of it becomes heat inside (default
    /// [`DEFAULT_STANDBY_MW`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub standby_mw: Option<Power>,
    /// Temperature at the run's start, °C, `−70 ≤ x ≤ 60` (default: the cooling setpoint).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_c: Option<f64>,
}

/// The validated enclosure of one unit (see the [module docs](self)). Immutable.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Enclosure {
    /// Heat capacity, MWh/K.
    capacity: f64,
    /// Conductance, MW/K.
    ua: f64,
    /// `1 / ua`, K/MW.
    inv_ua: f64,
    /// Time constant `C/UA`, h.
    theta: f64,
    cooling_setpoint: f64,
    /// The heating setpoint, `−∞` without a heater.
    heating_setpoint: f64,
    cooling_capacity: f64,
    heating_capacity: f64,
    inv_cop: f64,
    inv_heater: f64,
    standby: f64,
    initial: f64,
}

/// What an interval did to one unit's enclosure ([`Enclosure::advance`]).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Interval {
    /// The temperature at the interval's end, °C.
    pub end_c: f64,
    /// `∫ T dt` over the interval, °C·h.
    pub degree_hours: f64,
    /// The highest temperature in the interval, °C.
    pub max_c: f64,
    /// Heat the cooler removed, MWh.
    pub cooling_mwh: f64,
    /// Heat the heater added, MWh.
    pub heating_mwh: f64,
}

impl Interval {
    /// The HVAC's electric energy for the interval, MWh (without the standby draw).
    #[inline]
    pub fn hvac_mwh(&self, e: &Enclosure) -> f64 {
        self.cooling_mwh * e.inv_cop + self.heating_mwh * e.inv_heater
    }
}

impl Enclosure {
    /// Validates the parameters of the enclosure of `unit` (whose rated powers and one-way
    /// efficiencies size the default cooling capacity, [`DEFAULT_COOLING_MARGIN`]).
    ///
    /// # Errors
    /// [`ConfigError::OutOfRange`] naming `battery.thermal.enclosure.<field>` for a value out of
    /// its range (or not finite), also `cooling_capacity_mw` when the default derived from the
    /// unit is; [`ConfigError::Inconsistent`] naming
    /// `battery.thermal.enclosure.heating_setpoint_c` when it is not below the cooling setpoint,
    /// or `battery.thermal.enclosure.heating_capacity_mw` given without a heating setpoint.
    pub fn new(p: &EnclosureParams, unit: &UnitSpec) -> Result<Enclosure, ConfigError> {
        const F: &str = "battery.thermal.enclosure";
        let temp = |name: &str, v: f64| {
            check_range(
                format!("{F}.{name}"),
                v,
                MIN_AMBIENT_C,
                MAX_AMBIENT_C,
                "−70 ≤ x ≤ 60 °C",
            )
        };
        let power = |name: &str, v: Option<Power>, default: f64| {
            check_range(
                format!("{F}.{name}"),
                v.map_or(default, Power::value),
                0.0,
                MAX_AUX_POWER_MW,
                "0 ≤ x ≤ 1 MW",
            )
        };
        let c_mj = check_range(
            format!("{F}.heat_capacity_mj_per_k"),
            p.heat_capacity_mj_per_k
                .unwrap_or(DEFAULT_HEAT_CAPACITY_MJ_PER_K),
            0.1,
            1000.0,
            "0.1 ≤ x ≤ 1000 MJ/K",
        )?;
        let ua = check_range(
            format!("{F}.conductance_mw_per_k"),
            p.conductance_mw_per_k
                .unwrap_or(DEFAULT_CONDUCTANCE_MW_PER_K),
            1e-6,
            0.01,
            "1e-6 ≤ x ≤ 0.01 MW/K",
        )?;
        let cooling_setpoint = temp(
            "cooling_setpoint_c",
            p.cooling_setpoint_c.unwrap_or(DEFAULT_COOLING_SETPOINT_C),
        )?;
        let heating_setpoint = match p.heating_setpoint_c {
            Some(h) => {
                let h = temp("heating_setpoint_c", h)?;
                if h >= cooling_setpoint {
                    return Err(ConfigError::Inconsistent {
                        field: format!("{F}.heating_setpoint_c"),
                        why: "the heating setpoint must be below the cooling setpoint",
                    });
                }
                h
            }
            None => {
                if p.heating_capacity_mw.is_some() {
                    return Err(ConfigError::Inconsistent {
                        field: format!("{F}.heating_capacity_mw"),
                        why: "a heating capacity needs a heating_setpoint_c",
                    });
                }
                f64::NEG_INFINITY
            }
        };
        let cooling_capacity = match p.cooling_capacity_mw {
            Some(c) => power("cooling_capacity_mw", Some(c), 0.0)?,
            None => check_range(
                format!("{F}.cooling_capacity_mw"),
                DEFAULT_COOLING_MARGIN * rated_loss_mw(unit).value(),
                0.0,
                MAX_AUX_POWER_MW,
                "0 ≤ x ≤ 1 MW (value: the default, 1.5 × the unit's conversion loss at rated \
                 power; give cooling_capacity_mw)",
            )?,
        };
        let heating_capacity = power(
            "heating_capacity_mw",
            p.heating_capacity_mw,
            DEFAULT_HEATING_CAPACITY_MW,
        )?;
        let cop = check_range(
            format!("{F}.cop"),
            p.cop.unwrap_or(DEFAULT_COP),
            0.5,
            10.0,
            "0.5 ≤ x ≤ 10",
        )?;
        let heater = check_range(
            format!("{F}.heater_efficiency"),
            p.heater_efficiency.unwrap_or(DEFAULT_HEATER_EFFICIENCY),
            0.5,
            5.0,
            "0.5 ≤ x ≤ 5",
        )?;
        let standby = power("standby_mw", p.standby_mw, DEFAULT_STANDBY_MW)?;
        let initial = temp("initial_c", p.initial_c.unwrap_or(cooling_setpoint))?;
        let capacity = c_mj / MJ_PER_MWH;
        Ok(Enclosure {
            capacity,
            ua,
            inv_ua: 1.0 / ua,
            theta: capacity / ua,
            cooling_setpoint,
            heating_setpoint,
            cooling_capacity,
            heating_capacity,
            inv_cop: 1.0 / cop,
            inv_heater: 1.0 / heater,
            standby,
            initial,
        })
    }

    /// The temperature a resting unit settles at in a constant ambient of `ambient_c` (°C):
    /// heated by its standby draw alone, held by the thermostat — the end of
    /// [`Enclosure::advance`] over a hundred time constants. A unit never rests cooler than
    /// this in its hottest hour, whatever it does, so
    /// [`Lifetime::new`](super::lifetime::Lifetime::new) refuses an enclosure whose resting
    /// temperature in the hottest ambient hour lies above the cells' ageing model's limit
    /// ([`MAX_CELL_TEMPERATURE_C`](super::ageing::MAX_CELL_TEMPERATURE_C)).
    pub fn resting_temperature_c(&self, ambient_c: f64) -> f64 {
        self.advance(self.initial, ambient_c, self.standby, 100.0 * self.theta)
            .end_c
    }

    /// The time constant `C/UA`, hours.
    pub fn time_constant_hours(&self) -> f64 {
        self.theta
    }

    /// The heat capacity `C`, MWh/K.
    pub fn heat_capacity_mwh_per_k(&self) -> f64 {
        self.capacity
    }

    /// The shell conductance `UA`, MW/K.
    pub fn conductance_mw_per_k(&self) -> f64 {
        self.ua
    }

    /// The standby draw of one unit.
    pub fn standby(&self) -> Power {
        Power::mw(self.standby)
    }

    /// The cooling setpoint, °C.
    pub fn cooling_setpoint_c(&self) -> f64 {
        self.cooling_setpoint
    }

    /// The heat the cooler can remove (thermal): given, or the default derived from the unit
    /// ([`DEFAULT_COOLING_MARGIN`]).
    pub fn cooling_capacity(&self) -> Power {
        Power::mw(self.cooling_capacity)
    }

    /// The cooling coefficient of performance.
    pub fn cop(&self) -> f64 {
        1.0 / self.inv_cop
    }

    /// A new unit's enclosure state (at the initial temperature) for a fleet of `units`.
    pub fn initial_state(&self, units: u32) -> EnclosureState {
        EnclosureState {
            temp_c: self.initial,
            initial_c: self.initial,
            loss_heat_mw: 0.0,
            pending_mwh: 0.0,
            pending_hours: 0.0,
            units,
            degree_hours: 0.0,
            hours: 0.0,
            max_c: self.initial,
            year_max_c: self.initial,
            heat_in_mwh: 0.0,
            conducted_mwh: 0.0,
            cooling_mwh: 0.0,
            heating_mwh: 0.0,
            hvac_mwh: 0.0,
            standby_mwh: 0.0,
        }
    }

    /// Advances one unit's enclosure from `t_c` (°C) over `hours` in which the ambient is
    /// `ambient_c` and the heat released inside is `heat_mw` (losses plus standby), both
    /// constant: the exact solution of the module's equation with the ideal thermostat.
    pub fn advance(&self, t_c: f64, ambient_c: f64, heat_mw: f64, hours: f64) -> Interval {
        let free = ambient_c + heat_mw * self.inv_ua;
        let cooled = free - self.cooling_capacity * self.inv_ua;
        let heated = free + self.heating_capacity * self.inv_ua;
        let (cs, hs) = (self.cooling_setpoint, self.heating_setpoint);
        let mut out = Interval {
            end_c: t_c,
            max_c: t_c,
            ..Interval::default()
        };
        let mut t = t_c;
        let mut left = hours;
        for _ in 0..MAX_REGIMES {
            if left <= 0.0 {
                break;
            }
            // The regime at `t`: the equilibrium it relaxes toward, the HVAC's constant heat
            // (MW; + cooling, − heating) and the setpoint it may reach on the way.
            let (target, hvac, stop) =
                if t > cs || (t == cs && free - cs > self.cooling_capacity * self.inv_ua) {
                    // Cooling at capacity: to the setpoint if the equilibrium lies below it.
                    (
                        cooled,
                        self.cooling_capacity,
                        (cooled < cs && t > cs).then_some(cs),
                    )
                } else if t == cs && free >= cs {
                    // Holding the cooling setpoint within capacity.
                    let q = self.ua * (free - cs);
                    self.hold(&mut out, cs, q, left);
                    break;
                } else if t < hs || (t == hs && hs - free > self.heating_capacity * self.inv_ua) {
                    (
                        heated,
                        -self.heating_capacity,
                        (heated > hs && t < hs).then_some(hs),
                    )
                } else if t == hs && free <= hs {
                    let q = self.ua * (hs - free);
                    self.hold(&mut out, hs, -q, left);
                    break;
                } else {
                    // Free, between the setpoints: toward whichever setpoint lies beyond `free`.
                    let stop = if free > cs && t < cs {
                        Some(cs)
                    } else if free < hs && t > hs {
                        Some(hs)
                    } else {
                        None
                    };
                    (free, 0.0, stop)
                };
            let reach = stop.map(|s| self.theta * ((t - target) / (s - target)).ln());
            match (stop, reach) {
                (Some(s), Some(d)) if d < left => {
                    self.relax(&mut out, t, target, hvac, d);
                    t = s;
                    out.end_c = s;
                    left -= d;
                }
                _ => {
                    self.relax(&mut out, t, target, hvac, left);
                    break;
                }
            }
        }
        out
    }

    /// Adds a relaxation from `t` toward `target` over `d` hours with the HVAC moving `hvac` MW
    /// (+ cooling, − heating) to `out`.
    #[inline]
    fn relax(&self, out: &mut Interval, t: f64, target: f64, hvac: f64, d: f64) {
        // 1 − e^(−d/θ), accurate for short intervals.
        let decay = -(-d / self.theta).exp_m1();
        let end = t + (target - t) * decay;
        out.degree_hours += target * d + (t - target) * self.theta * decay;
        out.max_c = out.max_c.max(end);
        out.end_c = end;
        if hvac > 0.0 {
            out.cooling_mwh += hvac * d;
        } else if hvac < 0.0 {
            out.heating_mwh -= hvac * d;
        }
    }

    /// Adds `d` hours held at `setpoint` with the HVAC moving `hvac` MW to `out`.
    #[inline]
    fn hold(&self, out: &mut Interval, setpoint: f64, hvac: f64, d: f64) {
        out.degree_hours += setpoint * d;
        out.max_c = out.max_c.max(setpoint);
        out.end_c = setpoint;
        if hvac > 0.0 {
            out.cooling_mwh += hvac * d;
        } else {
            out.heating_mwh -= hvac * d;
        }
    }

    /// The heat released inside one unit while its state applies `loss_heat_mw` of losses:
    /// those plus the standby draw, MW.
    #[inline]
    pub fn heat_in_mw(&self, st: &EnclosureState) -> f64 {
        st.loss_heat_mw + self.standby
    }

    /// Adds interval `iv` of `hours` at `ambient_c` with `heat_mw` released inside to the
    /// state's sums and moves its temperature to the interval's end.
    #[inline]
    pub fn record(
        &self,
        st: &mut EnclosureState,
        iv: &Interval,
        ambient_c: f64,
        heat_mw: f64,
        hours: f64,
    ) {
        let units = f64::from(st.units);
        st.temp_c = iv.end_c;
        st.degree_hours += iv.degree_hours;
        st.hours += hours;
        st.max_c = st.max_c.max(iv.max_c);
        st.year_max_c = st.year_max_c.max(iv.max_c);
        st.heat_in_mwh += heat_mw * hours;
        st.conducted_mwh += self.ua * (iv.degree_hours - ambient_c * hours);
        st.cooling_mwh += iv.cooling_mwh;
        st.heating_mwh += iv.heating_mwh;
        st.hvac_mwh += iv.hvac_mwh(self) * units;
        st.standby_mwh += self.standby * hours * units;
    }

    /// Ends a step in the state: the losses gathered over it become the heat rate of the next
    /// (see the module docs' one-step lag).
    #[inline]
    pub fn end_step(&self, st: &mut EnclosureState) {
        st.loss_heat_mw = if st.pending_hours > 0.0 {
            st.pending_mwh / st.pending_hours
        } else {
            0.0
        };
        st.pending_mwh = 0.0;
        st.pending_hours = 0.0;
    }
}

/// One unit's enclosure as the run goes (every unit the same), in the battery's
/// [`LifeState`](super::lifetime::LifeState). All energies but `hvac_mwh` and `standby_mwh`
/// are per unit; `heat_in − conducted − cooling + heating = C·(T − T₀)` closes to rounding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnclosureState {
    /// The temperature now, °C.
    pub temp_c: f64,
    /// The temperature at the run's start, °C.
    pub initial_c: f64,
    /// The losses' heat applied over the current step (the last step's conversion and
    /// self-discharge losses over its length), MW.
    pub loss_heat_mw: f64,
    /// The current step's conversion and self-discharge losses so far, MWh (they heat the
    /// next step).
    pub pending_mwh: f64,
    /// The current step's hours so far.
    pub pending_hours: f64,
    /// The units installed (the losses spread over them; the fleet's energies scale by them).
    pub units: u32,
    /// `∫ T dt`, °C·h.
    pub degree_hours: f64,
    /// Hours integrated.
    pub hours: f64,
    /// The highest temperature so far, °C.
    pub max_c: f64,
    /// The highest temperature since the last year mark (the run's start before the first),
    /// °C: the year's maximum ([`EnclosureState::start_year`] restarts it).
    pub year_max_c: f64,
    /// Heat released inside (losses one step late, plus standby), MWh.
    pub heat_in_mwh: f64,
    /// Heat through the shell to the ambient, `UA·∫(T − T_amb) dt`, MWh.
    pub conducted_mwh: f64,
    /// Heat the cooler removed, MWh.
    pub cooling_mwh: f64,
    /// Heat the heater added, MWh.
    pub heating_mwh: f64,
    /// The fleet's HVAC electric energy (cooling over COP plus heating over the heater's
    /// efficiency, every installed unit), MWh.
    pub hvac_mwh: f64,
    /// The fleet's standby electric energy, MWh.
    pub standby_mwh: f64,
}

impl EnclosureState {
    /// Gathers losses `lost` of the fleet over `hours` spread over `units` installed units
    /// (they heat the next step): a segment's conversion losses over its length, or a step's
    /// self-discharge over no time (it happens at the step's start, the step's segments
    /// bring its hours).
    #[inline]
    pub fn add_losses(&mut self, lost: Energy, units: u32, hours: f64) {
        self.units = units;
        if units > 0 {
            self.pending_mwh += lost.value() / f64::from(units);
        }
        self.pending_hours += hours;
    }

    /// The sums now, for a year mark ([`EnclosureMark`]).
    pub fn mark(&self) -> EnclosureMark {
        EnclosureMark {
            hours: self.hours,
            degree_hours: self.degree_hours,
            year_max_c: self.year_max_c,
            hvac_mwh: self.hvac_mwh,
            standby_mwh: self.standby_mwh,
        }
    }

    /// Starts a new year of life after its mark: the year's maximum restarts at the
    /// temperature now (which the year just marked included, so the years' maxima have the
    /// run's maximum as theirs).
    pub fn start_year(&mut self) {
        self.year_max_c = self.temp_c;
    }

    /// The report's figures.
    pub fn summary(&self) -> EnclosureSummary {
        EnclosureSummary {
            mean_c: if self.hours > 0.0 {
                self.degree_hours / self.hours
            } else {
                self.temp_c
            },
            max_c: self.max_c,
            hvac_mwh: self.hvac_mwh,
            standby_mwh: self.standby_mwh,
            cooling_mwh_per_unit: self.cooling_mwh,
            heating_mwh_per_unit: self.heating_mwh,
        }
    }
}

/// The enclosure in a run's lifetime report.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnclosureSummary {
    /// Mean enclosure (cell) temperature over the run, °C.
    pub mean_c: f64,
    /// Highest enclosure temperature, °C.
    pub max_c: f64,
    /// The fleet's HVAC electric energy, MWh (part of the auxiliary energy).
    pub hvac_mwh: f64,
    /// The fleet's standby electric energy, MWh (the rest of the auxiliary energy).
    pub standby_mwh: f64,
    /// Heat one unit's cooler removed, MWh.
    pub cooling_mwh_per_unit: f64,
    /// Heat one unit's heater added, MWh.
    pub heating_mwh_per_unit: f64,
}

/// The enclosure's sums at the end of a year of life (in a
/// [`YearMark`](crate::engine::report::YearMark)): a year's figures are the differences of
/// consecutive marks, but for the maximum, which the state keeps per year.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnclosureMark {
    /// Hours integrated so far.
    pub hours: f64,
    /// `∫ T dt` so far, °C·h.
    pub degree_hours: f64,
    /// The highest temperature since the previous mark (the run's start), °C.
    pub year_max_c: f64,
    /// The fleet's HVAC electric energy so far, MWh.
    pub hvac_mwh: f64,
    /// The fleet's standby electric energy so far, MWh.
    pub standby_mwh: f64,
}

impl EnclosureMark {
    /// The year between `from` (the previous mark; `None`: the run's start) and `self`.
    ///
    /// ```
    /// use ridethrough::components::battery::enclosure::EnclosureMark;
    /// let from = EnclosureMark { hours: 10.0, degree_hours: 200.0, year_max_c: 30.0, hvac_mwh: 1.0, standby_mwh: 0.5 };
    /// let to = EnclosureMark { hours: 30.0, degree_hours: 700.0, year_max_c: 27.0, hvac_mwh: 4.0, standby_mwh: 1.5 };
    /// let y = to.year_since(Some(&from));
    /// assert_eq!((y.mean_c, y.max_c, y.hvac_mwh, y.standby_mwh), (25.0, 27.0, 3.0, 1.0));
    /// ```
    pub fn year_since(&self, from: Option<&EnclosureMark>) -> EnclosureYear {
        let (h, dh, hvac, standby) = from.map_or((0.0, 0.0, 0.0, 0.0), |f| {
            (f.hours, f.degree_hours, f.hvac_mwh, f.standby_mwh)
        });
        let hours = self.hours - h;
        EnclosureYear {
            mean_c: if hours > 0.0 {
                (self.degree_hours - dh) / hours
            } else {
                self.year_max_c
            },
            max_c: self.year_max_c,
            hvac_mwh: self.hvac_mwh - hvac,
            standby_mwh: self.standby_mwh - standby,
        }
    }
}

/// The enclosure in one year of life (a
/// [`YearOfLife`](crate::engine::report::YearOfLife)).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnclosureYear {
    /// Mean enclosure (cell) temperature over the year, °C.
    pub mean_c: f64,
    /// Highest enclosure temperature in the year, °C.
    pub max_c: f64,
    /// The fleet's HVAC electric energy in the year, MWh.
    pub hvac_mwh: f64,
    /// The fleet's standby electric energy in the year, MWh.
    pub standby_mwh: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tolerance of a closed form against a few exponentials, °C or MWh.
    const TOL: f64 = 1e-9;

    /// The 4-hour Megapack 2 XL.
    fn unit() -> UnitSpec {
        crate::components::battery::Preset::Megapack2Xl4h.unit()
    }

    fn enclosure(heater: bool) -> Enclosure {
        Enclosure::new(
            &EnclosureParams {
                heating_setpoint_c: heater.then_some(10.0),
                ..EnclosureParams::default()
            },
            &unit(),
        )
        .unwrap()
    }

    #[test]
    fn splitting_an_interval_changes_nothing() {
        for heater in [false, true] {
            let e = enclosure(heater);
            for (t0, amb, q) in [
                (25.0, 40.0, 0.03),
                (25.0, 40.0, 0.3),
                (40.0, 10.0, 0.0),
                (15.0, -30.0, 0.001),
                (5.0, 20.0, 0.01),
                (25.0, 0.0, 0.002),
            ] {
                let whole = e.advance(t0, amb, q, 300.0);
                let mut t = t0;
                let mut sum = Interval::default();
                for _ in 0..300 {
                    let iv = e.advance(t, amb, q, 1.0);
                    t = iv.end_c;
                    sum.degree_hours += iv.degree_hours;
                    sum.cooling_mwh += iv.cooling_mwh;
                    sum.heating_mwh += iv.heating_mwh;
                }
                assert!((t - whole.end_c).abs() < TOL, "{t0} {amb} {q}");
                assert!((sum.degree_hours - whole.degree_hours).abs() < 1e-6);
                assert!((sum.cooling_mwh - whole.cooling_mwh).abs() < TOL);
                assert!((sum.heating_mwh - whole.heating_mwh).abs() < TOL);
                // The balance closes over the interval.
                let balance =
                    q * 300.0 - e.ua * (whole.degree_hours - amb * 300.0) - whole.cooling_mwh
                        + whole.heating_mwh;
                assert!(
                    (balance - e.capacity * (whole.end_c - t0)).abs() < TOL,
                    "{t0} {amb} {q}"
                );
            }
        }
    }

    /// Relative tolerance of a split interval against the whole, on temperatures and heats:
    /// up to 64 pieces of a few roundings each, with time constants down to minutes.
    const SPLIT_REL_TOL: f64 = 1e-9;

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 2000, ..Default::default() })]

        /// Any enclosure, start and inputs: an interval split into pieces ends where the whole
        /// does, with the same integral and heats; the balance closes; the temperature stays
        /// between the start, the setpoints and the regimes' equilibria; the max is the larger
        /// end.
        #[test]
        fn any_interval_splits_and_balances(
            c in 0.1..1000.0f64,
            ua in 1e-6..0.01f64,
            cool in -20.0..50.0f64,
            heater in proptest::option::of(1.0..30.0f64),
            cool_cap in 0.0..0.2f64,
            heat_cap in 0.0..0.2f64,
            t0 in -60.0..60.0f64,
            ambient in -60.0..60.0f64,
            q in 0.0..0.5f64,
            hours in 0.001..500.0f64,
            pieces in 1usize..64,
        ) {
            let e = Enclosure::new(&EnclosureParams {
                heat_capacity_mj_per_k: Some(c),
                conductance_mw_per_k: Some(ua),
                cooling_setpoint_c: Some(cool),
                heating_setpoint_c: heater.map(|h| cool - h),
                cooling_capacity_mw: Some(Power::mw(cool_cap)),
                heating_capacity_mw: heater.map(|_| Power::mw(heat_cap)),
                ..EnclosureParams::default()
            }, &unit())
            .unwrap();
            let whole = e.advance(t0, ambient, q, hours);
            let mut t = t0;
            let mut sum = Interval::default();
            let d = hours / pieces as f64;
            let mut max = t0;
            for _ in 0..pieces {
                let iv = e.advance(t, ambient, q, d);
                t = iv.end_c;
                max = max.max(iv.max_c);
                sum.degree_hours += iv.degree_hours;
                sum.cooling_mwh += iv.cooling_mwh;
                sum.heating_mwh += iv.heating_mwh;
            }
            let scale = 1.0 + t0.abs() + ambient.abs() + (q + cool_cap + heat_cap) / ua;
            proptest::prop_assert!((t - whole.end_c).abs() <= SPLIT_REL_TOL * scale, "{t} vs {}", whole.end_c);
            proptest::prop_assert!(
                (sum.degree_hours - whole.degree_hours).abs() <= SPLIT_REL_TOL * scale * hours
            );
            let heat_scale = (q + cool_cap + heat_cap + ua * scale) * hours;
            proptest::prop_assert!((sum.cooling_mwh - whole.cooling_mwh).abs() <= SPLIT_REL_TOL * heat_scale);
            proptest::prop_assert!((sum.heating_mwh - whole.heating_mwh).abs() <= SPLIT_REL_TOL * heat_scale);
            let balance = q * hours - ua * (whole.degree_hours - ambient * hours)
                - whole.cooling_mwh
                + whole.heating_mwh;
            proptest::prop_assert!(
                (balance - e.capacity * (whole.end_c - t0)).abs() <= SPLIT_REL_TOL * heat_scale
            );
            proptest::prop_assert!(whole.max_c == t0.max(whole.end_c) || (whole.max_c - t0.max(whole.end_c)).abs() <= SPLIT_REL_TOL * scale);
            proptest::prop_assert!((max - whole.max_c).abs() <= SPLIT_REL_TOL * scale);
            // Inside what the regimes allow: never beyond the start, the free equilibrium or a
            // setpoint the HVAC holds.
            let free = ambient + q / ua;
            let lo = t0.min(free - cool_cap / ua).min(cool);
            let hi = t0.max(free + heat_cap / ua).max(e.heating_setpoint);
            proptest::prop_assert!(whole.end_c >= lo - SPLIT_REL_TOL * scale && whole.end_c <= hi + SPLIT_REL_TOL * scale);
            // Above the cooling setpoint at the end only if the cooler cannot hold it or it
            // started above.
            if whole.end_c > cool + SPLIT_REL_TOL * scale {
                proptest::prop_assert!(t0 > cool || free - cool_cap / ua > cool);
            }
        }
    }

    #[test]
    fn bad_fields_are_named() {
        let field = |p: EnclosureParams| match Enclosure::new(&p, &unit()) {
            Err(ConfigError::OutOfRange { field, .. })
            | Err(ConfigError::Inconsistent { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        let p = EnclosureParams {
            cop: Some(0.1),
            ..EnclosureParams::default()
        };
        assert_eq!(field(p), "battery.thermal.enclosure.cop");
        let p = EnclosureParams {
            heating_setpoint_c: Some(30.0),
            ..EnclosureParams::default()
        };
        assert_eq!(field(p), "battery.thermal.enclosure.heating_setpoint_c");
    }
}
