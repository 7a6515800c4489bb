//! The bundled scenarios load, run and show the physical facts they are about.

use ridethrough::prelude::*;
use std::path::Path;

fn load(name: &str) -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/scenarios")
        .join(name);
    Scenario::load(&path).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn default_scenario_is_the_austin_file() {
    assert_eq!(
        Scenario::default_scenario().unwrap(),
        load("austin_10k_gpu.toml")
    );
}

#[test]
fn colossus_has_168_megapacks_and_rides_through_short_outages() {
    let s = load("colossus_150mw.toml").validate().unwrap();
    let site = s.site();
    assert_eq!(site.battery.units(), 168);
    assert!((site.battery.capacity().value() - 657.888).abs() < 1e-6);
    let r = site.simulate(*s.policy(), s.seed()).run(&mut ()).report();
    // The 48 h derate to 40 % cannot be carried by 658 MWh.
    let uri = r
        .grid_outages
        .iter()
        .find(|o| o.start == Duration::from_days(45))
        .expect("the scheduled derate happens");
    assert!(!uri.carried_through);
    assert!(
        (uri.depth_mw - 90.0).abs() < 1e-9,
        "60 % of 150 MW unavailable"
    );
    // Outages of up to ≈5 h are ridden through from a full fleet (658 MWh at ≈123 MW).
    for o in r
        .grid_outages
        .iter()
        .filter(|o| o.duration <= Duration::from_hours(4))
    {
        if o.soc_at_start > 0.99 {
            assert!(o.carried_through, "{o:?}");
        }
    }
}

#[test]
fn swing_smoothing_limits_the_grid_ramp() {
    let s = load("training_swing_100ms.toml").validate().unwrap();
    let site = s.site();
    let mut trace = TraceRecorder::default();
    let r = site
        .simulate(*s.policy(), s.seed())
        .run(&mut trace)
        .report();
    assert_eq!(r.totals.unserved_mwh, 0.0);
    let ramp = match *s.policy() {
        Policy::RampLimiting {
            max_ramp_mw_per_s, ..
        } => max_ramp_mw_per_s.value(),
        _ => unreachable!(),
    };
    let dt_s = site.time.step().secs_f64();
    let mut worst_load = 0.0f64;
    let mut worst_grid = 0.0f64;
    for w in trace.rows.windows(2).skip(1) {
        worst_load = worst_load.max((w[1].facility_mw - w[0].facility_mw).abs() / dt_s);
        worst_grid = worst_grid.max((w[1].import_mw - w[0].import_mw).abs() / dt_s);
    }
    assert!(worst_load > 20.0, "the load swings fast: {worst_load} MW/s");
    assert!(
        worst_grid <= ramp + 1e-9,
        "grid ramp {worst_grid} MW/s > {ramp}"
    );
}

#[test]
fn the_readme_format_example_parses() {
    let readme = include_str!("../../README.md");
    let section = readme
        .split("## Scenario format")
        .nth(1)
        .expect("a format section");
    let block = section
        .split("```toml\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("a toml block");
    // Unknown keys are errors, so this checks every key the README documents.
    let s: Scenario = toml::from_str(block).unwrap_or_else(|e| panic!("README example: {e}"));
    assert_eq!(s.grid.supply_units.len(), 1);
    assert_eq!(s.load.it.len(), 4);
    assert_eq!(s.battery.unit_failures.len(), 1);
}
