//! Augmentation and replacement over a battery's life (issue 10, `[battery.augmentation]`):
//!
//! * at a year boundary the usable energy jumps by exactly units × nameplate × window;
//! * a cohort's calendar fade at rest follows the law `q₁·√((t − t_install)/1 yr)` to 1e-9;
//! * the threshold rule fires in the first year at whose end the usable energy of the run
//!   without a plan lies below it, and adds the fewest units that restore it;
//! * replacing all units (or the oldest cohort) gives the new cohort capacity factor 1 and
//!   counts the energy that left and came;
//! * the energy balance per step, the SoC window and the storage balance
//!   `charge − discharge − losses − fade loss + installed − removed = Δstored` hold over random
//!   sites with a plan and unit failures (a property);
//! * the capacity under a plan does not depend on the step (1 h against 1 min, to 1 %);
//! * a snapshot taken after an augmentation resumes bit-identically;
//! * reliability by year of life under a plan beats the same site without it in the late years
//!   beyond three standard errors;
//! * bad plans are typed errors naming the field.

use crate::common::*;
use proptest::prelude::*;
use ridethrough::components::battery::augmentation::CohortsState;
use ridethrough::engine::report::LifetimeReport;
use ridethrough::prelude::*;
use ridethrough::studies::life_reliability::{self, LifeConfig};

/// Exact bookkeeping: a few dozen operations on energies of ~100 MWh.
const ENERGY_TOL_MWH: f64 = 1e-9;

/// A closed form against stepped sums (up to ~26,000 terms of one rounding each).
const CLOSED_FORM_REL_TOL: f64 = 1e-9;

/// The issue's bound on step independence.
const STEP_INDEPENDENCE_REL_TOL: f64 = 0.01;

/// Monte Carlo comparisons: three standard errors of the difference.
const Z: f64 = 3.0;

/// A year of life in hours.
const YEAR_H: u64 = 8760;

/// Twelve Megapack 2 XL 4-hour units resting full on backup duty (no outages), ageing at 25 °C
/// with no SoC stress (the calendar law is then `q₁·√(t/1 yr)` whatever the SoC), for `years`
/// years at `step`; `plan` is appended.
fn resting(step: &str, years: u64, ageing: &str, plan: &str) -> Study {
    resting_with(step, years, "", ageing, plan)
}

/// [`resting`] with `battery` appended to the `[battery]` table.
fn resting_with(step: &str, years: u64, battery: &str, ageing: &str, plan: &str) -> Study {
    let text = format!(
        r#"
        seed = 5
        [time]
        step = "{step}"
        horizon = "{days}d"
        [grid]
        import_limit_mw = 30.0
        [battery]
        preset = "megapack2xl_4h"
        units = 12
        soc_min = 0.05
        soc_max = 0.95
        initial_soc = 0.95
        reserve_soc = 0.2
        {battery}
        [battery.ageing]
        calendar_soc_stress = {{ kind = "exponential", coefficient = 0.0 }}
        {ageing}
        {plan}
        [load]
        pue = 1.0
        [[load.it]]
        kind = "constant"
        it_mw = 8.0
        [policy]
        kind = "backup_only"
        recharge_rate_mw = 4.0
        "#,
        days = years * 365,
    );
    Scenario::from_toml_str(&text)
        .and_then(Scenario::validate)
        .unwrap()
}

fn cohorts<'a>(study: &Study, s: &'a SimState<Policy>) -> &'a CohortsState {
    study
        .site()
        .battery
        .life_state(&s.battery)
        .and_then(|l| l.cohorts.as_ref())
        .expect("a fleet with a plan has cohorts")
}

/// Runs `sim` to the end of hour `h`.
fn run_to_hour(sim: &mut Simulation<'_, Policy>, step_ms: u64, h: u64) {
    let until = h * 3_600_000 / step_ms;
    while sim.state().step < until {
        sim.step(&mut ());
    }
}

#[test]
fn usable_energy_jumps_by_units_times_nameplate_times_window() {
    let study = resting(
        "1h",
        3,
        "",
        "[battery.augmentation]\nadd = [{ year = 2, units = 4 }, { year = 3, units = 2 }]\n",
    );
    let fleet = &study.site().battery;
    let window = 3.916 * (0.95 - 0.05);
    let mut sim = study.simulate();
    run_to_hour(&mut sim, 3_600_000, YEAR_H);
    let after = fleet.life_sums(&sim.state().battery, false).unwrap();
    let before = sim.state().years[0].augmentation.unwrap();
    assert_eq!((before.units, after.augmentation.unwrap().units), (12, 16));
    assert!(
        (after.usable.value() - before.usable_mwh - 4.0 * window).abs() < ENERGY_TOL_MWH,
        "jump {} against {}",
        after.usable.value() - before.usable_mwh,
        4.0 * window
    );
    // The new units arrived empty: their floor energy is the installed energy.
    let c = cohorts(&study, sim.state());
    assert!((c.installed_energy().value() - 4.0 * 3.916 * 0.05).abs() < ENERGY_TOL_MWH);
    assert_eq!(fleet.installed_units(&sim.state().battery), 16);
    assert!((fleet.max_discharge_power().value() - 12.0 * 0.979).abs() < ENERGY_TOL_MWH);
    assert!(
        (fleet.discharge_limit(&sim.state().battery).value() - 16.0 * 0.979).abs() < ENERGY_TOL_MWH,
        "the power limit counts the units installed"
    );
    // The report's year rows show what came when.
    let report = sim.run(&mut ()).report();
    let years = &report.lifetime.as_ref().unwrap().years;
    let added: Vec<u32> = years
        .iter()
        .map(|y| y.augmentation.unwrap().units_added)
        .collect();
    assert_eq!(added, [0, 4, 2]);
    assert_eq!(years[2].augmentation.unwrap().units, 18);
}

#[test]
fn a_cohorts_calendar_fade_follows_the_law_from_its_install() {
    let q1 = 0.05;
    let study = resting(
        "1h",
        3,
        &format!("calendar_fade_first_year = {q1}\ncycle_fade_per_efc = 0.0"),
        "[battery.augmentation]\nadd = [{ year = 2, units = 4 }]\n",
    );
    let model = study.site().battery.lifetime().unwrap().ageing().unwrap();
    let mut sim = study.simulate();
    for h in [YEAR_H + 1, YEAR_H + 1000, 2 * YEAR_H, 3 * YEAR_H - 7] {
        run_to_hour(&mut sim, 3_600_000, h);
        let c = cohorts(&study, sim.state());
        let (old, new) = (&c.cohorts()[0], &c.cohorts()[1]);
        assert_eq!(new.installed_ms, YEAR_H * 3_600_000);
        for (cohort, since_h) in [(old, h), (new, h - YEAR_H)] {
            let law = q1 * (since_h as f64 / YEAR_H as f64).sqrt();
            let got = model.calendar_fade(&cohort.ageing).value();
            assert!(
                (got - law).abs() <= CLOSED_FORM_REL_TOL * law,
                "hour {h}: fade {got} against the law {law}"
            );
        }
    }
}

#[test]
fn the_threshold_fires_in_the_first_year_below_it() {
    // 8 %/yr calendar fade (√t, held at 95 %, no SoC stress): the capacity factor is
    // 1 − 0.08·√y, below 0.8 first at the end of year 7 (0.7883).
    let ageing = "calendar_fade_first_year = 0.08";
    let plain = resting("1h", 10, ageing, "");
    let rows = plain
        .simulate()
        .run(&mut ())
        .report()
        .lifetime
        .unwrap()
        .years;
    let first_below = rows
        .iter()
        .find(|y| y.capacity_factor_end < 0.8)
        .map(|y| y.year)
        .unwrap();
    assert_eq!(first_below, 7);
    let cf = rows[first_below as usize - 1].capacity_factor_end;
    let plan = "[battery.augmentation]\nthreshold = { below = 0.8 }\nmax_units = 30\n";
    let study = resting("1h", 10, ageing, plan);
    let rows = study
        .simulate()
        .run(&mut ())
        .report()
        .lifetime
        .unwrap()
        .years;
    let added: Vec<u32> = rows
        .iter()
        .map(|y| y.augmentation.unwrap().units_added)
        .collect();
    let first_added = added.iter().position(|&n| n > 0).unwrap() as u32 + 1;
    assert_eq!(
        first_added,
        first_below + 1,
        "units come at the next year's start"
    );
    // The fewest new units that bring 12·cf back to 12 unit-equivalents.
    let want = (12.0 * (1.0 - cf)).ceil() as u32;
    assert_eq!(added[first_below as usize], want);
    // From then on the usable energy is at least 80 % of the initial at every year's end.
    let initial = 12.0 * 3.916 * 0.9;
    for y in &rows[first_below as usize..] {
        assert!(
            y.usable_mwh_end >= 0.8 * initial - ENERGY_TOL_MWH,
            "year {}",
            y.year
        );
    }
}

/// A year whose start is the horizon's end is not in the run: the threshold rule that would
/// fire for it installs nothing.
#[test]
fn no_units_are_installed_at_the_horizons_end() {
    // As above, the capacity factor first falls below 0.8 at the end of year 7: here the last.
    let ageing = "calendar_fade_first_year = 0.08";
    let plan = "[battery.augmentation]\nthreshold = { below = 0.8 }\nmax_units = 30\n";
    let report = resting("1h", 7, ageing, plan)
        .simulate()
        .run(&mut ())
        .report();
    let life = report.lifetime.unwrap();
    let last = life.years.last().unwrap();
    assert_eq!(last.year, 7);
    assert!(
        last.capacity_factor_end < 0.8,
        "{}",
        last.capacity_factor_end
    );
    assert!(life
        .years
        .iter()
        .all(|y| y.augmentation.unwrap().units_added == 0));
    // The run's own end: still the twelve units it started with.
    let end = life.augmentation.unwrap();
    assert_eq!((end.units, end.units_added), (12, 0));
}

/// Each year's battery losses are its charge, discharge and self-discharge losses: over the
/// years they add up to the run's, all three parts present.
#[test]
fn the_years_battery_losses_add_up_to_the_runs_three_parts() {
    // The bundled ageing site (outages, a recharge) for two years at hourly steps, with
    // self-discharge.
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/scenarios/austin_ageing.toml");
    let text = std::fs::read_to_string(path)
        .unwrap()
        .replace("step = \"1m\"", "step = \"1h\"")
        .replace("horizon = \"365d\"", "horizon = \"730d\"")
        .replace("units = 16", "units = 16\nself_discharge_per_day = 0.002");
    let study = Scenario::from_toml_str(&text)
        .and_then(Scenario::validate)
        .unwrap();
    let report = study.simulate().run(&mut ()).report();
    let t = &report.totals;
    assert!(t.charge_loss_mwh > 0.0 && t.discharge_loss_mwh > 0.0 && t.self_discharge_mwh > 0.0);
    let parts = t.charge_loss_mwh + t.discharge_loss_mwh + t.self_discharge_mwh;
    let years: f64 = report
        .lifetime
        .unwrap()
        .years
        .iter()
        .map(|y| y.battery_losses_mwh)
        .sum();
    assert!((years - parts).abs() <= 1e-9 * parts, "{years} vs {parts}");
    assert!((report.battery_losses_mwh - parts).abs() <= 1e-9 * parts);
}

#[test]
fn replacement_restores_capacity_factor_one_and_counts_the_energy() {
    let plan = "[battery.augmentation]\nadd = [{ year = 2, units = 3 }]\n\
                replace = [{ year = 3, which = \"oldest\" }, { year = 4, which = \"all\" }]\n";
    let study = resting("1h", 4, "calendar_fade_first_year = 0.1", plan);
    let fleet = &study.site().battery;
    let mut sim = study.simulate();
    run_to_hour(&mut sim, 3_600_000, 2 * YEAR_H - 1);
    let stored_before = sim.state().battery.energy;
    let cf_before = fleet.life_state(&sim.state().battery).unwrap();
    let second_cf = cf_before.cohorts.as_ref().unwrap().cohorts()[1].capacity_factor;
    sim.step(&mut ());
    let c = cohorts(&study, sim.state());
    let ks = c.cohorts();
    assert_eq!(ks.len(), 3);
    assert!(ks[0].retired && !ks[1].retired && !ks[2].retired);
    assert_eq!((ks[2].units, ks[2].capacity_factor), (12, 1.0));
    // The second cohort (a year old) keeps its own fade.
    assert!(ks[1].capacity_factor < 1.0 && ks[1].capacity_factor <= second_cf);
    assert_eq!((c.units_removed(), c.units_added()), (12, 15));
    assert!(c.removed_energy().value() > 0.5 * stored_before.value());
    // Year 4: everything is replaced, and only new units are left.
    run_to_hour(&mut sim, 3_600_000, 3 * YEAR_H);
    let c = cohorts(&study, sim.state());
    let active: Vec<_> = c.cohorts().iter().filter(|k| !k.retired).collect();
    assert_eq!(active.len(), 1);
    assert_eq!((active[0].units, active[0].capacity_factor), (15, 1.0));
    let l = fleet.life_state(&sim.state().battery).unwrap();
    assert_eq!(l.capacity_factor, 1.0);
    // The report's storage balance counts the energy that left with the removed units and
    // came with the new ones (empty at their floor of 5 %).
    sim.run(&mut ());
    let report = sim.report();
    let a = report.lifetime.as_ref().unwrap().augmentation.unwrap();
    assert!(a.removed_mwh > 0.0 && a.installed_mwh > 0.0, "{a:?}");
    // Each year's part: 3 units added in year 2; 12 replaced (the oldest cohort) in year 3;
    // all 15 in year 4. The years add up to the run, and a year without a replacement
    // removes no energy.
    let years: Vec<_> = report
        .lifetime
        .as_ref()
        .unwrap()
        .years
        .iter()
        .map(|y| y.augmentation.unwrap())
        .collect();
    let removed: Vec<u32> = years.iter().map(|y| y.units_removed).collect();
    let added: Vec<u32> = years.iter().map(|y| y.units_added).collect();
    assert_eq!((removed, added), (vec![0, 0, 12, 15], vec![0, 3, 12, 15]));
    let per_unit = a.installed_mwh / 30.0;
    for y in &years {
        let want = per_unit * y.units_added as f64;
        assert!(
            (y.installed_mwh - want).abs() <= 1e-12 * a.installed_mwh,
            "{y:?}"
        );
    }
    assert_eq!((years[0].removed_mwh, years[1].removed_mwh), (0.0, 0.0));
    assert!(years[2].removed_mwh > 0.0 && years[3].removed_mwh > 0.0);
    let sum: f64 = years.iter().map(|y| y.removed_mwh).sum();
    assert!(
        (sum - a.removed_mwh).abs() <= 1e-12 * a.removed_mwh,
        "{sum} vs {a:?}"
    );
    let moved = report.totals.charge_mwh + a.removed_mwh + a.installed_mwh;
    assert!(
        report.storage_balance_residual_mwh().abs() <= STORAGE_BALANCE_REL_TOL * moved,
        "{}",
        report.storage_balance_residual_mwh()
    );
}

// ---- the balance and the window over random sites, with unit failures ----------------------

#[derive(Debug, Clone)]
struct Case {
    step: &'static str,
    units: u32,
    soc_lo: f64,
    cap_frac: f64,
    add: u32,
    threshold: bool,
    replace: u8,
    failures: bool,
    curve: bool,
    seed: u64,
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::sample::select(vec!["1h", "3h"]),
        1u32..6,
        0.0..0.3f64,
        0.3..1.0f64,
        0u32..4,
        any::<bool>(),
        0u8..3,
        any::<bool>(),
        any::<bool>(),
        any::<u32>().prop_map(u64::from),
    )
        .prop_map(
            |(step, units, soc_lo, cap_frac, add, threshold, replace, failures, curve, seed)| {
                Case {
                    step,
                    units,
                    soc_lo,
                    cap_frac,
                    add,
                    threshold,
                    replace,
                    failures,
                    curve,
                    seed,
                }
            },
        )
}

/// Three years of daily peak shaving with fast ageing, the case's plan, efficiency curve and
/// unit failures.
fn site_of(c: &Case) -> Study {
    let peak = f64::from(c.units) * 2.0;
    let add = if c.add > 0 {
        format!("add = [{{ year = 2, units = {} }}]", c.add)
    } else {
        String::new()
    };
    let threshold = if c.threshold {
        format!(
            "threshold = {{ below = 0.9 }}\nmax_units = {}",
            3 * c.units + c.add
        )
    } else {
        String::new()
    };
    let replace = match c.replace {
        1 => "replace = [{ year = 3, which = \"oldest\" }]",
        2 => "replace = [{ year = 3, which = \"all\" }]",
        _ => "",
    };
    let text = format!(
        r#"
        seed = {seed}
        [time]
        step = "{step}"
        horizon = "1095d"
        [grid]
        import_limit_mw = {import}
        [[grid.scheduled_outages]]
        start = "9000h"
        duration = "5h"
        [battery]
        units = {units}
        power_mw = 2.0
        energy_mwh = 6.0
        round_trip_efficiency = 0.9
        soc_min = {lo}
        soc_max = 0.95
        reserve_soc = {lo}
        self_discharge_per_day = 0.01
        {curve}
        {failures}
        [battery.ageing]
        calendar_fade_first_year = 0.1
        cycle_fade_per_efc = 0.001
        resistance_growth_per_fade = 2.0
        resistive_loss_fraction = 0.05
        [battery.augmentation]
        {add}
        {threshold}
        {replace}
        [battery.thermal]
        ambient = "austin_synthetic"
        {load_and_policy}
        "#,
        seed = c.seed,
        step = c.step,
        import = peak * 2.0,
        units = c.units,
        lo = c.soc_lo,
        curve = if c.curve {
            "efficiency_curve = \"calibrated\""
        } else {
            ""
        },
        failures = if c.failures {
            "unit_failures = [{ model = \"markov\", mttf = \"900h\", mttr = \"60h\" }]"
        } else {
            ""
        },
        load_and_policy = daily_peak_shaving(peak, peak * c.cap_frac),
    );
    Scenario::from_toml_str(&text)
        .and_then(Scenario::validate)
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    /// Balance per step, the SoC window, and the storage balance with the installed and
    /// removed energy, with a plan and (in half the cases) unit failures.
    #[test]
    fn balance_and_window_hold_with_augmentation_and_unit_failures(c in case()) {
        let study = site_of(&c);
        let fleet = &study.site().battery;
        let (report, state) = step_checking_storage(&study)?;
        let l = report.lifetime.as_ref().unwrap();
        let a = l.augmentation.unwrap();
        prop_assert!(fleet.state_in_window(&state.battery));
        if c.add > 0 || c.replace > 0 {
            prop_assert!(a.units_added > 0);
        }
        // The per-year rows add up to the run's totals.
        let added: u32 = l.years.iter().map(|y| y.augmentation.unwrap().units_added).sum();
        prop_assert_eq!(added, a.units_added);
        let installed: f64 = l.years.iter().map(|y| y.augmentation.unwrap().installed_mwh).sum();
        prop_assert!((installed - a.installed_mwh).abs() < ENERGY_TOL_MWH);
        // The report's own storage balance (from its SoC figures, as the CLI checks it).
        let t = &report.totals;
        let moved = t.charge_mwh + t.discharge_mwh + a.installed_mwh + a.removed_mwh
            + report.site.battery_capacity_mwh;
        prop_assert!(
            report.storage_balance_residual_mwh().abs() <= STORAGE_BALANCE_REL_TOL * moved,
            "report's storage balance off by {} MWh",
            report.storage_balance_residual_mwh()
        );
    }
}

#[test]
fn capacity_with_augmentation_does_not_depend_on_the_step() {
    // Two years of daily peak shaving (an hourly-constant load), 4 units added at year 2.
    let text = |step: &str| {
        format!(
            r#"
            seed = 3
            [time]
            step = "{step}"
            horizon = "730d"
            [grid]
            import_limit_mw = 40.0
            [battery]
            preset = "megapack2xl_4h"
            units = 12
            reserve_soc = 0.1
            [battery.ageing]
            [battery.augmentation]
            add = [{{ year = 2, units = 4 }}]
            [load]
            pue = 1.0
            [[load.it]]
            kind = "daily"
            peak_mw = 10.0
            shape = [0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 1.0, 1.0, 1.0, 1.0,
                     1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.4, 0.4, 0.4, 0.4]
            [policy]
            kind = "peak_shaving"
            import_cap_mw = 7.5
            recharge_rate_mw = 3.0
            "#
        )
    };
    let end = |step: &str| {
        let study = Scenario::from_toml_str(&text(step))
            .and_then(Scenario::validate)
            .unwrap();
        study.simulate().run(&mut ()).report().lifetime.unwrap()
    };
    let (hourly, minute) = (end("1h"), end("1m"));
    let fade = |l: &LifetimeReport| 16.0 * 3.916 - l.usable_mwh_end;
    assert!(fade(&hourly) > 0.0);
    let rel = (fade(&hourly) - fade(&minute)).abs() / fade(&minute);
    assert!(
        rel < STEP_INDEPENDENCE_REL_TOL,
        "capacity lost {} at 1 h against {} at 1 min",
        fade(&hourly),
        fade(&minute)
    );
    for (h, m) in hourly.years.iter().zip(&minute.years) {
        let rel = (h.usable_mwh_end - m.usable_mwh_end).abs() / m.usable_mwh_end;
        assert!(rel < STEP_INDEPENDENCE_REL_TOL * 0.1, "year {}", h.year);
        assert_eq!(h.augmentation.unwrap().units, m.augmentation.unwrap().units);
    }
}

#[test]
fn a_snapshot_taken_after_an_augmentation_resumes_bit_identically() {
    let study = resting_with(
        "1h",
        3,
        "unit_failures = [{ model = \"markov\", mttf = \"3000h\", mttr = \"100h\" }]",
        "",
        "[battery.augmentation]\nthreshold = { below = 0.99, units = 2 }\nmax_units = 20\n\
         add = [{ year = 2, units = 1 }]\n",
    )
    .with_seed(77);
    let site = study.site();
    let whole = study
        .simulate()
        .set_fast_forward(false)
        .run(&mut ())
        .report();
    // Fast-forwarded, with units failing and an added cohort: as stepped, to the tolerance of
    // a rest aged in closed form.
    let fast = study.simulate().run(&mut ()).report();
    crate::common::assert_reports_agree_to(&fast, &whole, 1e-6, "fast-forwarded");
    let mut sim = study.simulate();
    run_to_hour(&mut sim, 3_600_000, YEAR_H + 500);
    assert!(
        cohorts(&study, sim.state()).cohorts().len() >= 2,
        "augmented"
    );
    let json = serde_json::to_string(&sim.snapshot()).unwrap();
    let state: SimState<Policy> = serde_json::from_str(&json).unwrap();
    let mut resumed = Simulation::resume(site, state).unwrap();
    resumed.set_fast_forward(false);
    let report = resumed.run(&mut ()).report();
    assert_eq!(report, whole);
}

#[test]
fn life_under_the_plan_loses_less_in_the_late_years() {
    // Six total outages of 4 h a year; fade of 20 %/yr linear in time, to the 50 % floor by
    // the third year. Replacing every unit at the start of year 3 brings the third year back
    // to a new fleet's losses.
    let text = |plan: &str| {
        ridethrough::io::scenario::DEFAULT_SCENARIO_TOML
            .replace("step = \"1m\"", "step = \"1h\"")
            .replace("horizon = \"365d\"", "horizon = \"1095d\"")
            .replace(
                "[[grid.scheduled_outages]]\nstart = \"120d\"\nduration = \"4h\"\n",
                "",
            )
            .replace(
                "preset = \"distribution\"\n",
                "[[grid.random_outages.processes]]\nfailures_per_year = 6.0\n\
                 duration = { law = \"fixed\", duration = \"4h\" }\n",
            )
            + "\n[battery.ageing]\ncalendar_fade_first_year = 0.2\ncalendar_time_exponent = 1.0\n"
            + plan
    };
    let with = Scenario::from_toml_str(&text(
        "[battery.augmentation]\nreplace = [{ year = 3, which = \"all\" }]\n",
    ))
    .and_then(Scenario::validate)
    .unwrap();
    let without = life_reliability::without_plan(&with).unwrap();
    assert!(without.site().battery.augmentation().is_none());
    let cfg = LifeConfig::new(200, 5);
    let run = |s: &Study| life_reliability::run(s.site(), s.policy(), &cfg, &|_| {}).unwrap();
    let (a, b) = (run(&with), run(&without));
    let (ya, yb) = (&a.years[2], &b.years[2]);
    let d = yb.eue_mwh.mean - ya.eue_mwh.mean;
    let se = (ya.eue_mwh.se.powi(2) + yb.eue_mwh.se.powi(2)).sqrt();
    assert!(
        d > Z * se,
        "year 3 EUE {} with the plan against {} without",
        ya.eue_mwh,
        yb.eue_mwh
    );
    assert!(ya.capacity_factor_end.mean > yb.capacity_factor_end.mean);
    // The paired study: the same two studies, and the saving from paired differences.
    let c =
        life_reliability::compare_plan(with.site(), without.site(), with.policy(), &cfg, &|_| {})
            .unwrap();
    assert_eq!(c.with_plan, a);
    assert_eq!(c.without_plan, b);
    let saved = &c.saved[2].eue_saved_mwh;
    assert!(
        (saved.mean - d).abs() <= 1e-9 * d.abs(),
        "{saved} against {d}"
    );
    assert!(saved.mean > Z * saved.se && saved.se <= se, "{saved}");
    // The first two years are the same lives with the same fleet (the cohort bookkeeping
    // rounds differently, so not to the bit).
    for y in &c.saved[..2] {
        assert!(
            y.eue_saved_mwh.mean.abs() <= 1e-6,
            "year {}: {}",
            y.year,
            y.eue_saved_mwh
        );
    }
}

#[test]
fn the_bundled_twenty_years_add_two_units_at_the_start_of_year_13() {
    // austin_20yr.toml: a threshold at 90 % of the new fleet's usable energy; held full in
    // Austin the fleet crosses it at the end of year 12 (89.7 %), and two units restore it.
    let study = Scenario::load(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples/scenarios/austin_20yr.toml"),
    )
    .and_then(Scenario::validate)
    .unwrap();
    let l = study.simulate().run(&mut ()).report().lifetime.unwrap();
    let added: Vec<u32> = l
        .years
        .iter()
        .map(|y| y.augmentation.unwrap().units_added)
        .collect();
    let mut expected = vec![0; 20];
    expected[12] = 2;
    assert_eq!(added, expected);
    assert!(l.years[11].capacity_factor_end < 0.9 && l.years[10].capacity_factor_end >= 0.9);
    let initial = 16.0 * 3.916;
    for y in &l.years[12..] {
        assert!(y.usable_mwh_end >= 0.9 * initial, "year {}", y.year);
    }
}

#[test]
fn bad_plans_are_typed_errors_naming_the_field() {
    let field = |plan: &str, ageing: bool| {
        let text = format!(
            "{}\n{}{plan}",
            ridethrough::io::scenario::DEFAULT_SCENARIO_TOML
                .replace("horizon = \"365d\"", "horizon = \"730d\"")
                .replace("step = \"1m\"", "step = \"1h\""),
            if ageing { "[battery.ageing]\n" } else { "" }
        );
        match Scenario::from_toml_str(&text).and_then(Scenario::validate) {
            Err(ConfigError::OutOfRange { field, .. })
            | Err(ConfigError::Inconsistent { field, .. })
            | Err(ConfigError::Missing { field, .. })
            | Err(ConfigError::YearBeyondHorizon { field, .. }) => field,
            Err(e) => e.to_string(),
            Ok(_) => panic!("{plan} was accepted"),
        }
    };
    let plan = |body: &str| format!("[battery.augmentation]\n{body}\n");
    assert_eq!(
        field(&plan("add = [{ year = 2, units = 4 }]"), false),
        "battery.augmentation"
    );
    assert_eq!(
        field(&plan("add = [{ year = 3, units = 4 }]"), true),
        "battery.augmentation.add[0].year"
    );
    assert_eq!(
        field(&plan("add = [{ year = 1, units = 4 }]"), true),
        "battery.augmentation.add[0].year"
    );
    assert_eq!(
        field(&plan("threshold = { below = 0.8 }"), true),
        "battery.augmentation.max_units"
    );
    assert_eq!(
        field(&plan("threshold = { below = 1.5 }\nmax_units = 30"), true),
        "battery.augmentation.threshold.below"
    );
    assert_eq!(
        field(&plan("replace = [{ year = 9, which = \"all\" }]"), true),
        "battery.augmentation.replace[0].year"
    );
    assert!(field(&plan("add = [{ year = 2, units = 4 }]\nevery = 2"), true).contains("every"));
    assert!(field(&plan("replace = [{ year = 2, which = \"newest\" }]"), true).contains("newest"));
}

/// Every installed unit draws its auxiliary load: at a constant 25 °C each unit draws the
/// same, so the years' auxiliary energies stand as the units installed, 12 : 16 : 18 (4 added
/// at year 2, 2 at year 3), to rounding.
#[test]
fn added_units_draw_their_auxiliary_load() {
    let study = resting(
        "1h",
        3,
        "",
        "[battery.augmentation]\nadd = [{ year = 2, units = 4 }, { year = 3, units = 2 }]\n\
         [battery.thermal]\nambient = 25.0\n",
    );
    let report = study.simulate().run(&mut ()).report();
    let years = &report.lifetime.as_ref().unwrap().years;
    let aux: Vec<f64> = years.iter().map(|y| y.aux_mwh).collect();
    assert!(aux[0] > 0.0);
    for (year, units) in [(1, 16.0), (2, 18.0)] {
        let want = aux[0] * units / 12.0;
        assert!(
            (aux[year] - want).abs() <= 1e-9 * want,
            "year {}: {} MWh against {want}",
            year + 1,
            aux[year]
        );
    }
}
