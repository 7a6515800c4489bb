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

/// Energies summed over a few dozen hourly steps, MWh: rounding only.
const EVENT_ENERGY_TOL_MWH: f64 = 1e-6;

#[test]
fn colossus_has_168_megapacks_and_loses_what_the_derate_leaves_uncovered() {
    let s = load("colossus_150mw.toml").validate().unwrap();
    let site = s.site();
    assert_eq!(site.battery.units(), 168);
    assert!((site.battery.capacity().value() - 657.888).abs() < 1e-6);
    let mut trace = TraceRecorder::default();
    let r = site
        .simulate(*s.policy(), s.seed())
        .run(&mut trace)
        .report();
    // The 48 h derate to 40 % (60 MW of 150) cannot be carried by 658 MWh.
    let derate = r
        .grid_outages
        .iter()
        .find(|o| o.start == Duration::from_days(45))
        .expect("the scheduled derate happens");
    assert!(!derate.carried_through);
    assert_eq!(derate.duration, Duration::from_hours(48));
    assert!(
        (derate.depth_mw - 90.0).abs() < 1e-9,
        "60 % of 150 MW unavailable"
    );
    // By hand: the site draws Σ (facility + aux) over the 48 h, the feed gives 60 MW, the fleet
    // gives everything it holds (η_d · stored, its window floor being 0), the rest is unserved.
    let rows = &trace.rows[derate.start_step as usize..derate.end_step as usize];
    let drawn: f64 = rows.iter().map(|w| w.facility_mw + w.aux_mw).sum();
    let stored = derate.soc_at_start * site.battery.capacity().value();
    let unserved = drawn - 60.0 * 48.0 - site.battery.discharge_efficiency() * stored;
    assert!(
        (derate.unserved_mwh - unserved).abs() < EVENT_ENERGY_TOL_MWH,
        "{} MWh unserved, by hand {unserved}",
        derate.unserved_mwh
    );
    assert!(derate.min_soc.abs() < 1e-9, "the fleet is emptied");
}

#[test]
fn colossus_rides_through_4_hours_from_a_full_fleet_but_not_6() {
    // 658 MWh at η_d = √0.937 is ≈637 MWh delivered; the site draws ≈123 MW: ≈5.2 h.
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/scenarios/colossus_150mw.toml"),
    )
    .unwrap()
    .replacen(
        "[grid.random_outages]",
        "[[grid.scheduled_outages]]\nstart = \"100d\"\nduration = \"4h\"\n\n\
         [[grid.scheduled_outages]]\nstart = \"200d\"\nduration = \"6h\"\n\n\
         [grid.random_outages]",
        1,
    );
    let s = Scenario::from_toml_str(&text)
        .and_then(Scenario::validate)
        .unwrap();
    let r = s.simulate().run(&mut ()).report();
    let at = |days: i64| {
        r.grid_outages
            .iter()
            .find(|o| o.start == Duration::from_days(days as u64))
            .unwrap_or_else(|| panic!("the outage at day {days} happens"))
    };
    let (four, six) = (at(100), at(200));
    for o in [four, six] {
        assert!(o.soc_at_start > 0.99, "the fleet is full before: {o:?}");
    }
    assert!(four.carried_through, "{four:?}");
    assert_eq!(four.unserved_mwh, 0.0);
    assert!(!six.carried_through, "{six:?}");
    assert!(six.unserved_mwh > 0.0);
}

/// The calendar fade after twenty years against √20 × the first year's: the law is exact for a
/// stress that repeats every year (the ambient year does, and the fleet is held full), up to the
/// few hours a year the outages hold it below full (a lower stress, ≈0.1 % of the time).
const CALENDAR_SQRT_T_REL_TOL: f64 = 0.01;

#[test]
fn twenty_years_in_austin_fade_as_the_square_root_of_time() {
    // The fleet's own fade: without the file's augmentation plan (its new units would restart
    // the clock; tests/integration/augmentation.rs runs the plan).
    let mut scenario = load("austin_20yr.toml");
    assert!(scenario.battery.augmentation.take().is_some());
    let s = scenario.validate().unwrap();
    assert_eq!(s.site().time.steps(), 20 * 8760);
    let r = s.simulate().run(&mut ()).report();
    let l = r.lifetime.as_ref().expect("a lifetime report");
    assert_eq!(l.years.len(), 20);
    for w in l.years.windows(2) {
        assert!(w[1].capacity_factor_end < w[0].capacity_factor_end);
    }
    let first = l.years[0].calendar_fade;
    let expected = first * 20f64.sqrt();
    assert!(
        (l.calendar_fade / expected - 1.0).abs() < CALENDAR_SQRT_T_REL_TOL,
        "{} after 20 years, √20 × {first} = {expected}",
        l.calendar_fade
    );
    // Held full, the fleet hardly cycles: calendar fade is nearly all of it.
    assert!(l.cycle_fade < 0.01 * l.calendar_fade, "{l:?}");
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
    // The report says so too, from the first step on (the run starts in steady state).
    let g = &r.grid_ramps;
    assert_eq!(g.limit_mw_per_s, Some(ramp));
    assert_eq!(g.steps_over_limit, 0, "{g:?}");
    assert!(
        g.max_up_mw_per_s.max(g.max_down_mw_per_s) <= ramp + 1e-9,
        "{g:?}"
    );
    let first = (trace.rows[0].import_mw - trace.rows[0].facility_mw - trace.rows[0].aux_mw).abs();
    assert!(
        first <= ramp * dt_s + 1e-9,
        "first step {first} MW from steady state"
    );
}

#[test]
fn every_bundled_scenario_loads_and_validates() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/scenarios");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    names.sort();
    assert!(
        names.iter().any(|n| n == "austin_enclosure.toml"),
        "{names:?}"
    );
    for name in &names {
        load(name)
            .validate()
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

/// The enclosure's energies in a year against their sums or closed forms, relative: sums of
/// ~10⁴ terms of one rounding each.
const ENCLOSURE_REL_TOL: f64 = 1e-9;

#[test]
fn austin_enclosure_holds_its_megapacks_between_the_setpoints_for_two_years() {
    let s = load("austin_enclosure.toml").validate().unwrap();
    let site = s.site();
    assert_eq!(site.battery.units(), 16);
    let report = site.simulate(*s.policy(), s.seed()).run(&mut ()).report();
    let l = report.lifetime.as_ref().unwrap();
    let run = l.enclosure.expect("an enclosure summary");
    assert_eq!(l.years.len(), 2);
    // ≈48.6 kW of cooling a unit (the default for the 4-hour unit) against ≈1 kW of standby and
    // the losses: the cooler holds 25 °C
    // all along; the heater holds 15 °C in the cold nights (if any reach it).
    let hold = 25.0 + 1e-9;
    for y in &l.years {
        let e = y.enclosure.expect("a year's enclosure");
        eprintln!("year {}: {e:?}", y.year);
        assert!(
            e.max_c <= hold && e.mean_c >= 15.0 - 1e-9 && e.mean_c <= e.max_c,
            "{e:?}"
        );
        // Standby: 1 kW × 16 units × 8,760 h.
        let standby = 0.001 * 16.0 * y.hours;
        assert!((e.standby_mwh - standby).abs() <= ENCLOSURE_REL_TOL * standby);
        assert!((y.aux_mwh - e.hvac_mwh - e.standby_mwh).abs() <= ENCLOSURE_REL_TOL * y.aux_mwh);
        assert!(e.hvac_mwh > 0.0, "Austin's summer needs cooling");
    }
    assert!((l.aux_mwh - run.hvac_mwh - run.standby_mwh).abs() <= ENCLOSURE_REL_TOL * l.aux_mwh);
    assert!(
        l.capacity_factor < 1.0 && l.capacity_factor > 0.9,
        "{}",
        l.capacity_factor
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

/// A study keeps the parameters its site's tariff and backup chain were built from, as the
/// scenario gave them, and a study told to drop them has none (catches the accessors → `None`).
#[test]
fn a_study_keeps_the_tariff_generator_and_fuel_parameters_of_its_scenario() {
    for name in ["austin_value_stacking.toml", "austin_backup_chain.toml"] {
        let sc = load(name);
        let study = sc.clone().validate().unwrap();
        assert_eq!(study.tariff_params(), sc.tariff.as_ref(), "{name}");
        assert_eq!(study.generator_params(), sc.generators.as_ref(), "{name}");
        assert_eq!(study.fuel_params(), sc.fuel.as_ref(), "{name}");
    }
    let sc = load("austin_backup_chain.toml");
    assert!(sc.generators.is_some() && sc.fuel.is_some());
    let bare = sc
        .validate()
        .and_then(|s| s.with_backup(None, None))
        .unwrap();
    assert!(bare.generator_params().is_none() && bare.fuel_params().is_none());
    let value = load("austin_value_stacking.toml");
    assert!(value.tariff.is_some());
    let value = value.validate().unwrap();
    // A value-stacking policy needs its tariff: dropping it is refused, naming the table.
    let e = value.with_tariff(None).unwrap_err();
    assert!(e.to_string().contains("tariff"), "{e}");
}
