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

/// Relative tolerance between a fast-forwarded run and the same run stepped: the sums are the
/// same numbers added in another order.
pub const FAST_FORWARD_REL_TOL: f64 = 1e-9;

/// Asserts that two reports of the same run agree as fast-forward promises: the same events,
/// bit for bit, and every number to [`FAST_FORWARD_REL_TOL`] relative (absolute below 1).
pub fn assert_reports_agree(a: &Report, b: &Report, what: &str) {
    assert_eq!(a.grid_outages, b.grid_outages, "{what}: grid outages");
    assert_eq!(a.loss_of_load, b.loss_of_load, "{what}: losses of load");
    assert_eq!(a.steps_done, b.steps_done, "{what}: steps");
    assert_json_agree(a, b, what);
}

/// Asserts that two results have the same shape and the same values, every number to
/// [`FAST_FORWARD_REL_TOL`] relative (absolute below 1).
pub fn assert_json_agree<T: serde::Serialize>(a: &T, b: &T, what: &str) {
    fn walk(a: &serde_json::Value, b: &serde_json::Value, path: &str, what: &str) {
        use serde_json::Value::*;
        match (a, b) {
            (Number(x), Number(y)) => {
                let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
                let scale = x.abs().max(y.abs()).max(1.0);
                assert!(
                    (x - y).abs() <= FAST_FORWARD_REL_TOL * scale,
                    "{what}: {path} {x} against {y}"
                );
            }
            (Object(x), Object(y)) => {
                assert_eq!(x.len(), y.len(), "{what}: {path}");
                for (k, v) in x {
                    walk(v, &y[k], &format!("{path}.{k}"), what);
                }
            }
            (Array(x), Array(y)) => {
                assert_eq!(x.len(), y.len(), "{what}: {path}");
                for (i, (v, w)) in x.iter().zip(y).enumerate() {
                    walk(v, w, &format!("{path}[{i}]"), what);
                }
            }
            _ => assert_eq!(a, b, "{what}: {path}"),
        }
    }
    let (a, b) = (
        serde_json::to_value(a).unwrap(),
        serde_json::to_value(b).unwrap(),
    );
    walk(&a, &b, "", what);
}
