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
    assert_reports_agree_to(a, b, FAST_FORWARD_REL_TOL, what);
}

/// [`assert_reports_agree`] for runs whose battery may differ by `tol` relative (fast-forward
/// with ageing): the same grid outages, to the millisecond, and the same losses of load, to
/// the step; every number (the events' energies and SoCs included) to `tol` relative.
pub fn assert_reports_agree_to(a: &Report, b: &Report, tol: f64, what: &str) {
    let outage = |o: &ridethrough::engine::report::GridOutage| {
        (
            o.start_step,
            o.end_step,
            o.start,
            o.duration,
            o.carried_through,
        )
    };
    let outages = |r: &Report| r.grid_outages.iter().map(outage).collect::<Vec<_>>();
    assert_eq!(outages(a), outages(b), "{what}: grid outages");
    let lol = |r: &Report| {
        r.loss_of_load
            .iter()
            .map(|l| (l.start_step, l.end_step))
            .collect::<Vec<_>>()
    };
    assert_eq!(lol(a), lol(b), "{what}: losses of load");
    assert_eq!(a.steps_done, b.steps_done, "{what}: steps");
    assert_json_agree_to(a, b, tol, what);
}

/// Asserts that two results have the same shape and the same values, every number to
/// [`FAST_FORWARD_REL_TOL`] relative (absolute below 1).
pub fn assert_json_agree<T: serde::Serialize>(a: &T, b: &T, what: &str) {
    assert_json_agree_to(a, b, FAST_FORWARD_REL_TOL, what);
}

/// [`assert_json_agree`] with every number to `tol` relative (absolute below 1).
pub fn assert_json_agree_to<T: serde::Serialize>(a: &T, b: &T, tol: f64, what: &str) {
    fn walk(a: &serde_json::Value, b: &serde_json::Value, path: &str, tol: f64, what: &str) {
        use serde_json::Value::*;
        match (a, b) {
            (Number(x), Number(y)) => {
                let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
                let scale = x.abs().max(y.abs()).max(1.0);
                assert!(
                    (x - y).abs() <= tol * scale,
                    "{what}: {path} {x} against {y}"
                );
            }
            (Object(x), Object(y)) => {
                assert_eq!(x.len(), y.len(), "{what}: {path}");
                for (k, v) in x {
                    walk(v, &y[k], &format!("{path}.{k}"), tol, what);
                }
            }
            (Array(x), Array(y)) => {
                assert_eq!(x.len(), y.len(), "{what}: {path}");
                for (i, (v, w)) in x.iter().zip(y).enumerate() {
                    walk(v, w, &format!("{path}[{i}]"), tol, what);
                }
            }
            _ => assert_eq!(a, b, "{what}: {path}"),
        }
    }
    let (a, b) = (
        serde_json::to_value(a).unwrap(),
        serde_json::to_value(b).unwrap(),
    );
    walk(&a, &b, "", tol, what);
}

/// The storage balance over a run, relative to the energy that moved (sums of up to ~10⁵
/// segment energies, each exact to a few ulps).
pub const STORAGE_BALANCE_REL_TOL: f64 = 1e-9;

/// Steps `study` (a site with lifetime models) to its end, checking as properties every step's
/// balance (to [`BALANCE_TOL_MW`] of its load) and SoC window, and the storage balance over the
/// run: charge stored − drained − self-discharge − fade loss + installed − removed energy (an
/// augmentation plan's; none without one) = Δ stored (pool and locked slots), to
/// [`STORAGE_BALANCE_REL_TOL`] of the energy moved. Returns the report and the final state.
pub fn step_checking_storage(
    study: &Study,
) -> Result<(Report, SimState<Policy>), proptest::test_runner::TestCaseError> {
    use proptest::prop_assert;
    let fleet = &study.site().battery;
    let (lo, hi) = fleet.soc_window();
    let mut sim = study.simulate();
    let stored =
        |s: &SimState<Policy>| (s.battery.energy + fleet.locked_energy(&s.battery)).value();
    let stored0 = stored(sim.state());
    while let Some(row) = sim.step(&mut ()) {
        check_balance_and_window(&row, Some((lo, hi)))?;
    }
    let report = sim.report();
    let t = &report.totals;
    let l = report
        .lifetime
        .as_ref()
        .expect("a site with lifetime models");
    let (installed, removed) = l
        .augmentation
        .map_or((0.0, 0.0), |a| (a.installed_mwh, a.removed_mwh));
    let stored1 = stored(sim.state());
    let flows = (t.charge_mwh - t.charge_loss_mwh)
        - (t.discharge_mwh + t.discharge_loss_mwh)
        - t.self_discharge_mwh
        - l.fade_loss_mwh
        + installed
        - removed;
    let moved = t.charge_mwh + t.discharge_mwh + stored0 + installed + removed + 1.0;
    prop_assert!(
        (stored1 - stored0 - flows).abs() <= STORAGE_BALANCE_REL_TOL * moved,
        "storage balance: Δstored {} vs flows {}",
        stored1 - stored0,
        flows
    );
    Ok((report, sim.state().clone()))
}

/// One step's record as a property: its balance closes to [`BALANCE_TOL_MW`] of its load (at
/// least 1 MW), and, with a `window`, its SoC lies in it to [`SOC_TOL`].
pub fn check_balance_and_window(
    row: &StepRecord,
    window: Option<(Fraction, Fraction)>,
) -> Result<(), proptest::test_runner::TestCaseError> {
    use proptest::prop_assert;
    let scale = (row.facility_mw + row.aux_mw).max(1.0);
    prop_assert!(
        row.balance_residual_mw().abs() <= BALANCE_TOL_MW * scale,
        "step {}: residual {}",
        row.step,
        row.balance_residual_mw()
    );
    if let Some((lo, hi)) = window {
        prop_assert!(
            row.soc >= lo.value() - SOC_TOL && row.soc <= hi.value() + SOC_TOL,
            "step {}: SoC {} outside [{lo}, {hi}]",
            row.step,
            row.soc
        );
    }
    Ok(())
}

/// The `[load]` and `[policy]` tables the random-site scenarios of the lifetime tests share:
/// a daily IT shape peaking at `peak_mw` (PUE 1) under peak shaving at `import_cap_mw`.
pub fn daily_peak_shaving(peak_mw: f64, import_cap_mw: f64) -> String {
    format!(
        r#"
        [load]
        pue = 1.0
        [[load.it]]
        kind = "daily"
        peak_mw = {peak_mw}
        shape = [0.2, 0.2, 0.2, 0.2, 0.3, 0.5, 0.7, 0.9, 1.0, 1.0, 0.9, 0.8,
                 0.8, 0.9, 1.0, 1.0, 0.9, 0.7, 0.5, 0.4, 0.3, 0.2, 0.2, 0.2]
        [policy]
        kind = "peak_shaving"
        import_cap_mw = {import_cap_mw}
        "#
    )
}

/// The report of `study` run for `steps` steps, snapshotted to JSON (which must contain
/// `field`, the state under test), read back, resumed and run to the end: for the
/// bit-identical resume tests, which compare it with an uninterrupted run's.
pub fn resumed_report(study: &Study, steps: u64, field: &str) -> Report {
    let mut sim = study.simulate();
    for _ in 0..steps {
        sim.step(&mut ());
    }
    let json = serde_json::to_string(&sim.snapshot()).unwrap();
    assert!(json.contains(field), "{field} is in the snapshot");
    let state: SimState<Policy> = serde_json::from_str(&json).unwrap();
    Simulation::resume(study.site(), state)
        .unwrap()
        .run(&mut ())
        .report()
}
