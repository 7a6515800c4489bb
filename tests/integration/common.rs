//! Shared builders and named tolerances.

use ridethrough::prelude::*;

/// Per-step energy balance, relative to max(1 MW, demand): the engine's own named tolerance.
pub const BALANCE_TOL_MW: f64 = ridethrough::engine::BALANCE_TOLERANCE;
/// SoC window slack (rounding only).
pub const SOC_TOL: f64 = 1e-12;
/// Accumulated energies, MWh.
pub const ENERGY_TOL_MWH: f64 = 1e-6;

/// A lossless-except-discharge custom fleet: one unit of `power` MW and `energy` MWh, discharge
/// efficiency `eta_d`, charge efficiency 1, no aux load or self-discharge, starting full.
pub fn simple_battery(power: f64, energy: f64, eta_d: f64) -> BatteryParams {
    BatteryParams {
        units: 1,
        power_mw: Some(Power::mw(power)),
        energy_mwh: Some(Energy::mwh(energy)),
        charge_efficiency: Some(Fraction::ratio(1.0)),
        discharge_efficiency: Some(Fraction::ratio(eta_d)),
        aux_load_mw: Some(Power::ZERO),
        self_discharge_per_day: Some(Fraction::ratio(0.0)),
        ..BatteryParams::none()
    }
}

/// A constant IT load of `it_mw` at PUE 1.
pub fn constant_load(it_mw: f64) -> LoadParams {
    toml::from_str(&format!(
        "pue = 1.0\n[[it]]\nkind = \"constant\"\nit_mw = {it_mw}\n"
    ))
    .expect("constant load parses")
}

/// A full outage of the grid from `start` for `duration`.
pub fn outage(start: Duration, duration: Duration) -> ScheduledOutage {
    ScheduledOutage {
        start,
        duration,
        available_fraction: Fraction::ZERO,
    }
}
