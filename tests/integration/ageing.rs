//! Battery lifetime in the engine (issue 10): ageing, the temperature-driven auxiliary draw and
//! the part-load efficiency curve, run by the engine step by step.
//!
//! * the fade does not depend on the step: a year of daily peak shaving at 1-minute and 1-hour
//!   steps fades by the same amount, to 1 %;
//! * constant storage reproduces the calendar law's closed form, and the energy the shrinking
//!   window removes is exactly the fade times the stored energy;
//! * with fade, temperature and the efficiency curve on, every step's balance closes, the SoC
//!   stays in its (aged) window and the storage balance `charge − discharge − losses − fade
//!   loss = Δstored` closes over the run (a property over random sites);
//! * a scenario without the new tables has no lifetime report and the same fingerprint (the
//!   golden files pin the rest);
//! * bad tables are typed errors naming the field.

use crate::common::*;
use proptest::prelude::*;
use ridethrough::components::battery::ageing::DEFAULT_FADE_QUANTUM;
use ridethrough::components::battery::thermal::AmbientProfile;
use ridethrough::engine::report::LifetimeReport;
use ridethrough::prelude::*;

/// The issue's bound on the fade at 1-minute against 1-hour steps.
const STEP_INDEPENDENCE_REL_TOL: f64 = 0.01;

/// A closed form against a year of stepped sums (8,760 to 525,600 terms of one rounding each).
const CLOSED_FORM_REL_TOL: f64 = 1e-9;

/// Cycle fade at rest: the throughput SoC (stored + fade loss, over nameplate) moves only by
/// the rounding of that sum, ulps of a unit SoC, whose rainflow ranges cost ~1e-20 of fade.
const REST_CYCLE_FADE_TOL: f64 = 1e-15;

/// An hourly-constant daily load (so 1-minute and 1-hour steps see the same history): 4 MW at
/// night, 10 MW from 08:00 to 20:00; peak shaving at 6 MW empties the battery by day and
/// refills it by night, one deep cycle a day.
fn peak_shaving_year(step: &str, thermal: &str, extra_battery: &str) -> Study {
    Scenario::from_toml_str(&peak_shaving_text(step, thermal, extra_battery))
        .and_then(Scenario::validate)
        .unwrap()
}

/// [`peak_shaving_year`]'s scenario text.
fn peak_shaving_text(step: &str, thermal: &str, extra_battery: &str) -> String {
    format!(
        r#"
        seed = 3
        [time]
        step = "{step}"
        horizon = "365d"
        [grid]
        import_limit_mw = 40.0
        [battery]
        preset = "megapack2xl_4h"
        units = 12
        reserve_soc = 0.1
        {extra_battery}
        [battery.ageing]
        {thermal}
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
}

fn lifetime(study: &Study) -> LifetimeSummary {
    let report = study.simulate().run(&mut ()).report();
    let l = report.lifetime.expect("a lifetime report");
    LifetimeSummary {
        fade: l.calendar_fade + l.cycle_fade,
        calendar: l.calendar_fade,
        cycle: l.cycle_fade,
        efc: l.equivalent_full_cycles,
    }
}

#[derive(Debug)]
struct LifetimeSummary {
    fade: f64,
    calendar: f64,
    cycle: f64,
    efc: f64,
}

#[test]
fn a_year_fades_the_same_at_one_minute_and_one_hour_steps() {
    for (what, thermal, extra) in [
        ("25 °C", "", ""),
        (
            "Austin, curve",
            "[battery.thermal]\nambient = \"austin_synthetic\"",
            "efficiency_curve = \"calibrated\"",
        ),
    ] {
        let hourly = lifetime(&peak_shaving_year("1h", thermal, extra));
        let minute = lifetime(&peak_shaving_year("1m", thermal, extra));
        eprintln!("{what}: 1 h {hourly:?}\n{what}: 1 min {minute:?}");
        assert!(
            hourly.efc > 200.0,
            "{what}: a deep cycle most days: {hourly:?}"
        );
        assert!(hourly.cycle > 0.0 && hourly.calendar > 0.0);
        let rel = (minute.fade - hourly.fade).abs() / hourly.fade;
        assert!(
            rel < STEP_INDEPENDENCE_REL_TOL,
            "{what}: fade {} (1 min) vs {} (1 h): {:.4} %",
            minute.fade,
            hourly.fade,
            rel * 100.0
        );
    }
}

/// The fade quantum is numerical: the window a run dispatches against follows the fade in its
/// steps (`battery.ageing.fade_quantum`), and the fade feeds back only through that window's
/// small lead or lag. Across quanta from 1e-5 to 1e-2, in the Austin peak-shaving year with the
/// efficiency curve (measured: the cycle fade within 2e-5 relative, the total within 8e-4 at
/// 1e-2 and 1e-4 at the default), and in the bundled ageing site with its outage at hourly
/// steps (unserved energy and the capacity at the end): the year's fade moves by less than
/// 0.1 % of itself, the window stays within −1.5 and +0.5 quanta of the model's capacity, and
/// unserved energy by at most what 1.5 quanta of nameplate supply in each loss of load.
#[test]
fn the_fade_quantum_moves_the_fade_by_less_than_a_tenth_of_a_per_cent() {
    const QUANTUM_REL_TOL: f64 = 1e-3;
    let austin = "[battery.thermal]\nambient = \"austin_synthetic\"";
    let curve = "efficiency_curve = \"calibrated\"";
    let fine = lifetime(&peak_shaving_year(
        "1h",
        &format!("fade_quantum = 1e-5\n{austin}"),
        curve,
    ));
    for q in [1e-4, DEFAULT_FADE_QUANTUM, 1e-2] {
        let study = peak_shaving_year("1h", &format!("fade_quantum = {q:e}\n{austin}"), curve);
        let coarse = lifetime(&study);
        let rel = |a: f64, b: f64| (a - b).abs() / b;
        eprintln!(
            "quantum {q:e}: total {:.3e}, cycle {:.3e} relative to 1e-5",
            rel(coarse.fade, fine.fade),
            rel(coarse.cycle, fine.cycle)
        );
        assert!(
            rel(coarse.fade, fine.fade) < QUANTUM_REL_TOL,
            "{q}: {coarse:?} vs {fine:?}"
        );
        assert!(
            rel(coarse.cycle, fine.cycle) < QUANTUM_REL_TOL,
            "{q}: {coarse:?} vs {fine:?}"
        );
        let report = study.simulate().run(&mut ()).report();
        let l = report.lifetime.unwrap();
        let lead = l.capacity_factor - l.soc_capacity_factor;
        assert!(
            lead >= -0.5 * q * (1.0 + 1e-9) && lead <= 1.5 * q * (1.0 + 1e-9),
            "{q}: {lead}"
        );
    }
    // The bundled ageing site, hourly: its scheduled outage and random ones.
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/scenarios/austin_ageing.toml");
    let run = |q: f64| {
        let mut sc = Scenario::load(&path).unwrap();
        sc.time.step = "1h".parse().unwrap();
        sc.battery.units = 12;
        sc.battery.ageing.as_mut().unwrap().fade_quantum = Some(Fraction::ratio(q));
        let study = sc.validate().unwrap();
        let report = study.simulate().run(&mut ()).report();
        let l = report.lifetime.unwrap();
        let nameplate = study.site().battery.capacity().value();
        (
            report.totals.unserved_mwh,
            report.loss_of_load.len() as f64,
            nameplate,
            l.capacity_factor,
            l.calendar_fade + l.cycle_fade,
        )
    };
    let (u0, events, nameplate, c0, f0) = run(1e-5);
    assert!(u0 > 0.0, "the site loses load in its outages");
    for q in [DEFAULT_FADE_QUANTUM, 1e-2] {
        let (u, _, _, c, f) = run(q);
        eprintln!("austin_ageing, quantum {q:e}: unserved {u} vs {u0} ({events} events), capacity {c} vs {c0}, fade {f} vs {f0}");
        assert!(
            (f - f0).abs() < QUANTUM_REL_TOL * f0,
            "{q}: fade {f} vs {f0}"
        );
        assert!(
            (c - c0).abs() < QUANTUM_REL_TOL * f0,
            "{q}: capacity {c} vs {c0}"
        );
        // An outage that empties the battery finds at most 1.5 quanta of nameplate less
        // (or half a quantum more) in the window: measured 0.016 MWh more unserved at the
        // default (0.28 %), 0.24 MWh at 1e-2 (4.2 %).
        let bound = 1.5 * q * nameplate * events;
        assert!(
            (u - u0).abs() <= bound,
            "{q}: unserved {u} vs {u0}, bound {bound}"
        );
    }
}

/// A site that never moves its battery: no outage, backup only (which keeps it at its
/// ceiling), full to a ceiling of `soc_max`, at a constant 35 °C.
fn resting_year(step: &str, soc_max: f64) -> Study {
    resting_year_at(step, soc_max, "35.0")
}

/// [`resting_year`] at the ambient `ambient` (a TOML value).
fn resting_year_at(step: &str, soc_max: f64, ambient: &str) -> Study {
    still_year(
        step,
        &format!("soc_max = {soc_max}\ninitial_soc = {soc_max}\nreserve_soc = 0.1"),
        ambient,
        "kind = \"backup_only\"",
    )
}

/// A year of 10 ageing Megapacks beside a constant 5 MW load and a 40 MW grid without outages,
/// at step `step`, with the `[battery]` lines `battery`, the ambient `ambient` (a TOML value)
/// and the `[policy]` lines `policy`.
fn still_year(step: &str, battery: &str, ambient: &str, policy: &str) -> Study {
    let text = format!(
        r#"
        seed = 1
        [time]
        step = "{step}"
        horizon = "365d"
        [grid]
        import_limit_mw = 40.0
        [battery]
        preset = "megapack2xl_4h"
        units = 10
        {battery}
        [battery.ageing]
        [battery.thermal]
        ambient = {ambient}
        [load]
        pue = 1.0
        [[load.it]]
        kind = "constant"
        it_mw = 5.0
        [policy]
        {policy}
        "#
    );
    Scenario::from_toml_str(&text)
        .and_then(Scenario::validate)
        .unwrap()
}

/// The resting site of [`resting_year`] under the Austin year of ambient temperatures.
fn resting_austin_year(step: &str, soc_max: f64) -> Study {
    resting_year_at(step, soc_max, "\"austin_synthetic\"")
}

#[test]
fn a_stepped_rest_owes_its_ageing_and_pays_it_exactly() {
    // Stepped, every step (no fast-forward): the battery stands at its ceiling, so its steps
    // are owed to rests and paid in closed form from the ambient's prefix sums. The calendar
    // fade must be the hour-by-hour sum of the law written out: Δτ = 1 h · (f_T · f_SoC)^(1/z).
    let soc_max: f64 = 0.8;
    let year = AmbientProfile::austin();
    let arrhenius =
        |t: f64| (-(17.126e3 / 8.314_462_618) * (1.0 / (t + 273.15) - 1.0 / 298.15)).exp();
    let f_soc = (0.93 * (soc_max - 0.5)).exp();
    let tau: f64 = year
        .hourly_c()
        .iter()
        .map(|&t| (arrhenius(t) * f_soc).powi(2))
        .sum();
    let want = 0.02 * (tau / 8760.0).sqrt();
    for step in ["1h", "15m"] {
        let study = resting_austin_year(step, soc_max);
        let mut sim = study.simulate();
        sim.set_fast_forward(false);
        // Mid-year the battery is in a rest, and a snapshot of it resumes to the same report.
        let half = study.site().time.steps() / 2;
        for _ in 0..half {
            sim.step(&mut ());
        }
        let fleet = &study.site().battery;
        assert!(fleet
            .life_state(&sim.state().battery)
            .unwrap()
            .rest
            .is_some());
        let json = serde_json::to_string(&sim.snapshot()).unwrap();
        assert!(json.contains("\"rest\""));
        let state: SimState<Policy> = serde_json::from_str(&json).unwrap();
        let mut resumed = Simulation::resume(study.site(), state).unwrap();
        resumed.set_fast_forward(false);
        let resumed = resumed.run(&mut ()).report();
        let report = sim.run(&mut ()).report();
        assert_eq!(resumed, report, "{step}: resumed mid-rest");
        assert_eq!(sim.steps_skipped(), 0);
        let l = report.lifetime.as_ref().unwrap();
        assert!(
            (l.calendar_fade - want).abs() <= CLOSED_FORM_REL_TOL * want,
            "{step}: {} vs {want}",
            l.calendar_fade
        );
        let mean: f64 = year.hourly_c().iter().sum::<f64>() / 8760.0;
        assert!(
            (l.mean_ambient_c - mean).abs() < 1e-9,
            "{step}: mean ambient"
        );
        let applied = (want / DEFAULT_FADE_QUANTUM).ceil() * DEFAULT_FADE_QUANTUM;
        assert!((l.soc_capacity_factor - (1.0 - applied)).abs() <= CLOSED_FORM_REL_TOL);
    }
}

#[test]
fn a_rest_below_the_ceiling_follows_its_rising_soc_through_every_refresh() {
    // Stepped hourly, the battery holds half its nameplate and stays there: the peak shaver
    // (cap below the load) never recharges, and may only discharge down to its reserve, which
    // lies above. Every step is a rest's. As the applied fade comes down in quanta, the same
    // energy is a higher SoC of the aged capacity, so the calendar's SoC stress rises at each
    // refresh (which the rest takes at the end of the step that passes it, and goes on).
    // Written out hour by hour: Δτ = 1 h · (f_T · f_SoC(E / (C · (1 − fade applied))))^(1/z),
    // the applied fade the law's rounded up to the quantum after each hour.
    let study = still_year(
        "1h",
        "initial_soc = 0.5\nreserve_soc = 0.6",
        "\"austin_synthetic\"",
        "kind = \"peak_shaving\"\nimport_cap_mw = 1.0",
    );
    let arrhenius =
        |t: f64| (-(17.126e3 / 8.314_462_618) * (1.0 / (t + 273.15) - 1.0 / 298.15)).exp();
    let (mut tau, mut applied, mut refreshes) = (0.0_f64, 0.0_f64, 0_u32);
    for &t in AmbientProfile::austin().hourly_c() {
        let soc = 0.5 / (1.0 - applied);
        tau += (arrhenius(t) * (0.93 * (soc - 0.5)).exp()).powi(2);
        let q = 0.02 * (tau / 8760.0).sqrt();
        let next = (q / DEFAULT_FADE_QUANTUM).ceil() * DEFAULT_FADE_QUANTUM;
        if next > applied {
            applied = next;
            refreshes += 1;
        }
    }
    let want = 0.02 * (tau / 8760.0).sqrt();
    assert!(refreshes > 15, "{refreshes} refreshes");
    let mut sim = study.simulate();
    sim.set_fast_forward(false);
    // Mid-year the battery is still in the rest it began on its first day, which has gone
    // through refreshes.
    for _ in 0..study.site().time.steps() / 2 {
        sim.step(&mut ());
    }
    let fleet = &study.site().battery;
    let rest = fleet
        .life_state(&sim.state().battery)
        .unwrap()
        .rest
        .unwrap();
    assert!(rest.since_ms <= 24 * 3_600_000, "{}", rest.since_ms);
    assert!(rest.calendar_paid_ms.is_some());
    let report = sim.run(&mut ()).report();
    let l = report.lifetime.as_ref().unwrap();
    // The reference and the run sum the same hours in different orders (the run pays a rest's
    // ageing in closed form at each refresh); a refresh whose threshold falls within a
    // millisecond's ageing of an hour's end could move one SoC change by an hour (about 1e-8
    // of the fade). Hence 1e-7, far below the 1.6 % the SoC's rise adds over the year.
    assert!(
        (l.calendar_fade - want).abs() <= 1e-7 * want,
        "{} vs {want}",
        l.calendar_fade
    );
    assert!((l.soc_capacity_factor - (1.0 - applied)).abs() <= CLOSED_FORM_REL_TOL);
    // Nothing rose above the shrinking ceiling, so nothing was lost to it.
    assert_eq!(l.fade_loss_mwh, 0.0);
}

/// `q₁ · f_T(T) · f_SoC · (t / 1 yr)^z` with the defaults, written out.
fn calendar_closed_form(temp_c: f64, soc: f64, years: f64) -> f64 {
    let arrhenius = (-(17.126e3 / 8.314_462_618) * (1.0 / (temp_c + 273.15) - 1.0 / 298.15)).exp();
    let soc_factor = (0.93 * (soc - 0.5)).exp();
    0.02 * arrhenius * soc_factor * years.powf(0.5)
}

#[test]
fn constant_storage_reproduces_the_calendar_closed_form() {
    // The battery rests at its ceiling, which comes down with the fade: its SoC (of the aged
    // capacity) stays exactly at the ceiling, and what lay above the shrinking ceiling is the
    // fade loss.
    for soc_max in [1.0, 0.5] {
        for step in ["1h", "15m"] {
            let study = resting_year(step, soc_max);
            let site = study.site();
            let mut sim = study.simulate();
            sim.run(&mut ());
            // Fast-forward ages the resting battery in closed form over most of the year.
            let skipped = sim.steps_skipped() as f64 / site.time.steps() as f64;
            assert!(skipped > 0.99, "{skipped} of the year skipped");
            let report = sim.report();
            let l = report.lifetime.as_ref().unwrap();
            let want = calendar_closed_form(35.0, soc_max, 1.0);
            eprintln!(
                "SoC {soc_max}, {step}: calendar fade {} (closed form {want})",
                l.calendar_fade
            );
            assert!(
                (l.calendar_fade - want).abs() <= CLOSED_FORM_REL_TOL * want,
                "SoC {soc_max}, {step}: {} vs {want}",
                l.calendar_fade
            );
            assert!(
                l.cycle_fade <= REST_CYCLE_FADE_TOL,
                "no cycles at rest: {}",
                l.cycle_fade
            );
            assert!((l.mean_ambient_c - 35.0).abs() < 1e-12);
            // 6 kW per unit at 35 °C, 10 units, 8,760 h.
            assert!((l.aux_mwh - 0.006 * 10.0 * 8760.0).abs() < ENERGY_TOL_MWH);
            assert!((l.capacity_factor - (1.0 - want)).abs() <= CLOSED_FORM_REL_TOL);
            // The window the run applies takes the calendar fade in whole quanta, rounded up:
            // the fade applied is the closed form's rounded up to a whole quantum.
            let applied = (want / DEFAULT_FADE_QUANTUM).ceil() * DEFAULT_FADE_QUANTUM;
            assert!((l.soc_capacity_factor - (1.0 - applied)).abs() <= CLOSED_FORM_REL_TOL);
            let capacity = site.battery.capacity().value();
            let stored = sim.state().battery.energy.value();
            let expected = capacity * soc_max * applied;
            assert!(
                (l.fade_loss_mwh - expected).abs() < CLOSED_FORM_REL_TOL * capacity,
                "fade loss {} vs {expected}",
                l.fade_loss_mwh
            );
            assert!(
                (stored - capacity * soc_max * (1.0 - applied)).abs()
                    < CLOSED_FORM_REL_TOL * capacity
            );
            assert!((report.soc.last - soc_max).abs() < SOC_TOL);
        }
    }
}

#[test]
fn without_the_new_tables_nothing_changes() {
    let study = Scenario::default_scenario().unwrap().validate().unwrap();
    let report = study.simulate().run(&mut ()).report();
    assert!(report.lifetime.is_none());
    let json = serde_json::to_string(&report).unwrap();
    assert!(!json.contains("lifetime"));
    let params = serde_json::to_string(&study.battery_params()).unwrap();
    for key in ["ageing", "thermal", "efficiency_curve"] {
        assert!(!params.contains(key), "{key} in {params}");
    }
}

#[test]
fn bad_lifetime_tables_are_typed_errors_naming_the_field() {
    let base = |battery_extra: &str| {
        format!(
            r#"
            seed = 1
            [time]
            step = "1h"
            horizon = "1d"
            [grid]
            import_limit_mw = 10.0
            [battery]
            preset = "megapack2xl_4h"
            units = 2
            {battery_extra}
            [load]
            [[load.it]]
            kind = "constant"
            it_mw = 1.0
            "#
        )
    };
    let field_of = |extra: &str| -> String {
        match Scenario::from_toml_str(&base(extra)).and_then(Scenario::validate) {
            Err(ConfigError::OutOfRange { field, .. })
            | Err(ConfigError::Inconsistent { field, .. })
            | Err(ConfigError::Missing { field, .. }) => field,
            other => panic!("{extra}: expected a field error, got {other:?}"),
        }
    };
    assert_eq!(
        field_of("[battery.thermal]\nambient = 99.0"),
        "battery.thermal.ambient"
    );
    assert_eq!(
        field_of("aux_load_mw = 0.002\n[battery.thermal]\nambient = 20.0"),
        "battery.aux_load_mw"
    );
    assert_eq!(
        field_of("[battery.thermal]\naux_curve = [{ temperature_c = 30, power_mw = 0.1 }, { temperature_c = 20, power_mw = 0.2 }]"),
        "battery.thermal.aux_curve[1].temperature_c"
    );
    assert_eq!(
        field_of("[battery.ageing]\ncalendar_fade_first_year = 0.5"),
        "battery.ageing.calendar_fade_first_year"
    );
    assert_eq!(
        field_of("efficiency_curve = [{ loading = 0.5, efficiency = 1.5 }]"),
        "battery.efficiency_curve[0].efficiency"
    );
    // Unknown keys and unknown names do not parse.
    assert!(Scenario::from_toml_str(&base("[battery.ageing]\ncalendar_fade = 0.1")).is_err());
    assert!(Scenario::from_toml_str(&base("efficiency_curve = \"pvwatts\"")).is_err());
    assert!(Scenario::from_toml_str(&base("[battery.thermal]\nambient = \"mars\"")).is_err());
}

#[derive(Debug, Clone)]
struct Case {
    step: &'static str,
    units: u32,
    power_mw: f64,
    energy_mwh: f64,
    soc_lo: f64,
    soc_hi: f64,
    cap_frac: f64,
    self_discharge: f64,
    growth: f64,
    curve: bool,
    ambient: u8,
    outage_h: Option<(u32, u32)>,
    seed: u64,
    failures: bool,
}

fn case() -> impl Strategy<Value = Case> {
    (
        (
            prop::sample::select(vec!["5m", "15m", "1h", "3h"]),
            1u32..6,
            0.5..4.0f64,
            1.0..16.0f64,
            0.0..0.3f64,
            0.7..1.0f64,
            any::<bool>(),
        ),
        (
            0.3..1.0f64,
            0.0..0.05f64,
            0.0..5.0f64,
            any::<bool>(),
            0u8..3,
            prop::option::of((1u32..600, 1u32..12)),
            any::<u32>().prop_map(u64::from),
        ),
    )
        .prop_map(
            |(
                (step, units, power_mw, energy_mwh, soc_lo, soc_hi, failures),
                (cap_frac, self_discharge, growth, curve, ambient, outage_h, seed),
            )| Case {
                step,
                units,
                power_mw,
                energy_mwh,
                soc_lo,
                soc_hi,
                cap_frac,
                self_discharge,
                growth,
                curve,
                ambient,
                outage_h,
                seed,
                failures,
            },
        )
}

/// A 30-day site with a daily load, peak shaving below its peak, fast (accelerated) ageing so
/// the window shrinks visibly, and the case's temperature and efficiency curve.
fn site_of(c: &Case) -> Study {
    let peak = f64::from(c.units) * c.power_mw;
    let ambient = match c.ambient {
        0 => "ambient = \"austin_synthetic\"".to_string(),
        1 => "ambient = 45.0".to_string(),
        _ => String::new(),
    };
    let outage = c.outage_h.map_or(String::new(), |(at, len)| {
        format!("[[grid.scheduled_outages]]\nstart = \"{at}h\"\nduration = \"{len}h\"\n")
    });
    let text = format!(
        r#"
        seed = {seed}
        [time]
        step = "{step}"
        horizon = "30d"
        [grid]
        import_limit_mw = {import}
        {outage}
        [battery]
        units = {units}
        power_mw = {power}
        energy_mwh = {energy}
        round_trip_efficiency = 0.9
        soc_min = {lo}
        soc_max = {hi}
        reserve_soc = {lo}
        self_discharge_per_day = {sd}
        {curve}
        {failures}
        [battery.ageing]
        calendar_fade_first_year = 0.2
        cycle_fade_per_efc = 0.001
        resistance_growth_per_fade = {growth}
        resistive_loss_fraction = 0.05
        [battery.thermal]
        {ambient}
        {load_and_policy}
        "#,
        seed = c.seed,
        step = c.step,
        import = peak * 2.0,
        units = c.units,
        power = c.power_mw,
        energy = c.energy_mwh,
        lo = c.soc_lo,
        hi = c.soc_hi,
        sd = c.self_discharge,
        curve = if c.curve {
            "efficiency_curve = \"calibrated\""
        } else {
            ""
        },
        growth = c.growth,
        failures = if c.failures {
            "unit_failures = [{ model = \"markov\", mttf = \"150h\", mttr = \"20h\" }]"
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
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    /// Balance per step, the aged SoC window, and the storage balance over the run, with fade,
    /// temperature, the efficiency curve and (in half the cases) unit failures on.
    #[test]
    fn balance_and_window_hold_with_fade_temperature_and_the_curve(c in case()) {
        let study = site_of(&c);
        let fleet = &study.site().battery;
        let (lo, hi) = fleet.soc_window();
        let (report, state) = step_checking_storage(&study)?;
        let l = report.lifetime.as_ref().unwrap();
        prop_assert!(l.capacity_factor < 1.0 && l.capacity_factor >= 0.5);
        let stored1 = (state.battery.energy + fleet.locked_energy(&state.battery)).value();
        // The window at the end is the aged one.
        let cap = fleet.capacity().value() * fleet.life_state(&state.battery).unwrap().capacity_factor;
        prop_assert!(stored1 <= cap * hi.value() * (1.0 + 1e-12) + 1e-12);
        prop_assert!(stored1 >= cap * lo.value() * (1.0 - 1e-12) - 1e-12);
    }
}

#[test]
fn a_snapshot_of_an_ageing_run_resumes_bit_identically() {
    let study = peak_shaving_year(
        "1h",
        "[battery.thermal]\nambient = \"austin_synthetic\"",
        "efficiency_curve = \"calibrated\"\nunit_failures = [{ model = \"markov\", mttf = \"2000h\", mttr = \"48h\" }]",
    );
    let site = study.site();
    let whole = study.simulate().run(&mut ()).report();
    let mut sim = study.simulate();
    for _ in 0..4321 {
        sim.step(&mut ());
    }
    let json = serde_json::to_string(&sim.snapshot()).unwrap();
    assert!(
        json.contains("capacity_factor"),
        "the life state is in the snapshot"
    );
    let state: SimState<Policy> = serde_json::from_str(&json).unwrap();
    let mut resumed = Simulation::resume(site, state).unwrap();
    assert_eq!(resumed.run(&mut ()).report(), whole);
    // A snapshot of the same site without lifetime models is refused, not a panic.
    let plain = peak_shaving_year("1h", "", "").with_battery(BatteryParams {
        ageing: None,
        ..study.battery_params().clone()
    });
    let plain = plain.unwrap();
    let state: SimState<Policy> = serde_json::from_str(&json).unwrap();
    assert!(Simulation::resume(plain.site(), state).is_err());
}

#[test]
fn the_efficiency_curve_costs_more_at_part_load() {
    // The same year of peak shaving with the constant efficiencies and with the calibrated
    // curve: the curve matches the datasheet at rated power, and this site works its units at
    // a fraction of it, so it loses more.
    let run = |extra: &str| {
        let r = peak_shaving_year("1h", "", extra)
            .simulate()
            .run(&mut ())
            .report();
        let t = r.totals;
        (t.charge_loss_mwh + t.discharge_loss_mwh) / t.discharge_mwh
    };
    let constant = run("");
    let curve = run("efficiency_curve = \"calibrated\"");
    eprintln!("losses per MWh delivered: constant {constant:.5}, curve {curve:.5}");
    assert!(curve > constant, "{curve} vs {constant}");
}

#[test]
fn an_hourly_ambient_trace_drives_the_aux_draw_and_is_checked() {
    let dir = std::env::temp_dir().join(format!("ridethrough-ageing-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // 20 °C and 40 °C in alternate hours, 48 rows (repeated over the week's run).
    let rows: String = (0..48)
        .map(|h| format!("{},{}\n", h * 3600, if h % 2 == 0 { 20.0 } else { 40.0 }))
        .collect();
    std::fs::write(dir.join("ambient.csv"), format!("t_s,temp_c\n{rows}")).unwrap();
    let rows: String = (0..4).map(|h| format!("{},25\n", h * 7200)).collect();
    std::fs::write(dir.join("two_hourly.csv"), format!("t_s,temp_c\n{rows}")).unwrap();
    let scenario = |file: &str| {
        let text = format!(
            r#"
            seed = 1
            [time]
            step = "30m"
            horizon = "7d"
            [grid]
            import_limit_mw = 10.0
            [battery]
            preset = "megapack2xl_4h"
            units = 3
            [battery.thermal]
            ambient = {{ trace = "{file}", column = "temp_c" }}
            [load]
            [[load.it]]
            kind = "constant"
            it_mw = 1.0
            "#
        );
        let path = dir.join(format!("{file}.toml"));
        std::fs::write(&path, text).unwrap();
        Scenario::load(&path).and_then(Scenario::validate)
    };
    let study = scenario("ambient.csv").unwrap();
    let report = study.simulate().run(&mut ()).report();
    let l = report.lifetime.unwrap();
    assert!(
        (l.mean_ambient_c - 30.0).abs() < 1e-9,
        "{}",
        l.mean_ambient_c
    );
    // Half the hours at 2 kW, half at 8 kW (40 °C is three quarters of the way from 25 to
    // 45 °C), three units, 168 h.
    let want = 0.5 * (0.002 + 0.008) * 3.0 * 168.0;
    assert!(
        (l.aux_mwh - want).abs() < ENERGY_TOL_MWH,
        "{} vs {want}",
        l.aux_mwh
    );
    match scenario("two_hourly.csv") {
        Err(ConfigError::TraceStep { field, found, .. }) => {
            assert_eq!(field, "battery.thermal.ambient.trace");
            assert_eq!(found, Duration::from_hours(2));
        }
        other => panic!("expected an error, got {:?}", other.map(|_| ())),
    }
    // Without a file read, validation names the trace.
    let text = std::fs::read_to_string(dir.join("ambient.csv.toml")).unwrap();
    match Scenario::from_toml_str(&text).and_then(Scenario::validate) {
        Err(ConfigError::Missing { field, .. }) => {
            assert_eq!(field, "battery.thermal.ambient.trace")
        }
        other => panic!("expected an error, got {:?}", other.map(|_| ())),
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn twenty_years_of_peak_shaving_carry_the_fade_year_by_year() {
    let text = r#"
        seed = 5
        [time]
        step = "1h"
        horizon = "7300d"
        [grid]
        import_limit_mw = 40.0
        [battery]
        preset = "megapack2xl_4h"
        units = 12
        reserve_soc = 0.1
        efficiency_curve = "calibrated"
        [battery.ageing]
        [battery.thermal]
        ambient = "austin_synthetic"
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
        "#;
    let study = Scenario::from_toml_str(text)
        .and_then(Scenario::validate)
        .unwrap();
    let report = study.simulate().run(&mut ()).report();
    let l = report.lifetime.as_ref().unwrap();
    eprintln!("{report}");
    assert_eq!(l.years.len(), 20);
    let sum = |f: fn(&ridethrough::engine::report::YearOfLife) -> f64| -> f64 {
        l.years.iter().map(f).sum()
    };
    assert!((sum(|y| y.equivalent_full_cycles) - l.equivalent_full_cycles).abs() < 1e-6);
    assert!((sum(|y| y.calendar_fade) - l.calendar_fade).abs() < 1e-12);
    assert!((sum(|y| y.cycle_fade) - l.cycle_fade).abs() < 1e-12);
    assert!((sum(|y| y.aux_mwh) - report.totals.aux_mwh).abs() < ENERGY_TOL_MWH);
    assert!((sum(|y| y.hours) - 7300.0 * 24.0).abs() < 1e-6);
    assert_eq!(l.years[19].capacity_factor_end, l.capacity_factor);
    // The capacity falls every year, and the √t calendar law fades less each year.
    for w in l.years.windows(2) {
        assert!(w[1].capacity_factor_end < w[0].capacity_factor_end);
        assert!(w[1].calendar_fade < w[0].calendar_fade);
    }
    // By the last years the shrunk window no longer holds a whole day's shaving (30 MWh): the
    // battery cycles less, and the grid imports the rest above the cap (nothing is unserved).
    assert!(l.years[19].equivalent_full_cycles < l.years[1].equivalent_full_cycles - 10.0);
    assert_eq!(report.totals.unserved_mwh, 0.0);
}

#[test]
fn the_step_table_holds_the_ambient_driven_draw_bit_for_bit() {
    // The demand stage reads the draw from the site's step table: every step's entry must be
    // what the fleet computes from the ambient, and a fleet whose draw depends on its state
    // (an enclosure) or is a constant (no lifetime models) has none.
    let study = resting_austin_year("15m", 0.8);
    let site = study.site();
    let table = site.step_table().unwrap();
    let state = study.simulate().snapshot().battery;
    let ms = site.time.step().as_millis();
    for k in 0..site.time.steps() {
        let want = site
            .battery
            .aux_load_in(&state, k * ms, (k + 1) * ms)
            .value();
        assert_eq!(table.aux(k), Some(want), "step {k}");
    }
    let plain = Scenario::default_scenario().unwrap().validate().unwrap();
    assert_eq!(plain.site().step_table().unwrap().aux(0), None);
}

/// Two years of daily peak shaving (one deep cycle a day) at 1-hour steps, stopped after
/// `hours` (or run to the end): its lifetime report.
fn peak_shaving_report_at(hours: Option<u64>) -> LifetimeReport {
    let text = peak_shaving_text("1h", "", "").replace("horizon = \"365d\"", "horizon = \"730d\"");
    let study = Scenario::from_toml_str(&text)
        .and_then(Scenario::validate)
        .unwrap();
    assert_eq!(study.time().steps(), 730 * 24);
    let mut sim = study.simulate();
    match hours {
        Some(h) => {
            sim.run_until(&mut (), |row| row.step + 1 == h);
        }
        None => {
            sim.run(&mut ());
        }
    }
    sim.report().lifetime.expect("a lifetime report")
}

/// A report's years of life add up to its totals wherever the run stands: at a year's end in
/// the middle of the horizon (the year held once, and the rainflow residue of the day's
/// unfinished cycle counted in it as in the totals), part of the way into a year (a partial
/// last year numbered after the whole ones), and at the horizon's end.
#[test]
fn the_years_of_a_report_add_up_to_its_totals_wherever_the_run_stops() {
    for (hours, whole, part_h) in [
        (Some(8_760), 1, 0.0),
        (Some(8_760 + 4_380), 1, 4_380.0),
        (Some(3_000), 0, 3_000.0),
        (None, 2, 0.0),
    ] {
        let l = peak_shaving_report_at(hours);
        let want_years = whole + usize::from(part_h > 0.0);
        assert_eq!(
            l.years.len(),
            want_years,
            "stopped at {hours:?}: {:?}",
            l.years
        );
        for (i, y) in l.years.iter().enumerate() {
            assert_eq!(y.year, i as u32 + 1);
            let h = if i < whole { 8_760.0 } else { part_h };
            assert_eq!(y.hours, h, "stopped at {hours:?}, year {}", y.year);
        }
        let sum = |f: fn(&ridethrough::engine::report::YearOfLife) -> f64| -> f64 {
            l.years.iter().map(f).sum()
        };
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs().max(1e-12);
        // The day's unfinished cycle (half cycles of the residue) is part of both.
        assert!(l.equivalent_full_cycles > 10.0, "{hours:?}");
        assert!(
            close(sum(|y| y.equivalent_full_cycles), l.equivalent_full_cycles),
            "stopped at {hours:?}: {} against {}",
            sum(|y| y.equivalent_full_cycles),
            l.equivalent_full_cycles
        );
        assert!(close(sum(|y| y.cycle_fade), l.cycle_fade), "{hours:?}");
        assert!(
            close(sum(|y| y.calendar_fade), l.calendar_fade),
            "{hours:?}"
        );
        let last = l.years.last().unwrap();
        // A last year cut short ends on the finished sums themselves: exactly the totals. A
        // mark at the run's end counts the open cycles as the finished sums do: to rounding.
        if part_h > 0.0 || hours.is_none() {
            assert_eq!(last.capacity_factor_end, l.capacity_factor, "{hours:?}");
        } else {
            assert!(
                close(last.capacity_factor_end, l.capacity_factor),
                "{hours:?}"
            );
        }
        assert!(close(last.usable_mwh_end, l.usable_mwh_end), "{hours:?}");
    }
}

/// A battery with a temperature-driven draw and no ageing model keeps its nameplate window:
/// the lifetime report's capacity factor is 1 and its usable energy at the end is the fleet's
/// usable energy when new (12 Megapack 2 XL 4 h units, 3.916 MWh each, between 0 and 100 %).
#[test]
fn without_an_ageing_model_the_usable_energy_stays_the_nameplates() {
    let text = peak_shaving_text("1h", "", "").replace(
        "[battery.ageing]",
        "[battery.thermal]\nambient = \"austin_synthetic\"",
    );
    let study = Scenario::from_toml_str(&text)
        .and_then(Scenario::validate)
        .unwrap();
    let l = study.simulate().run(&mut ()).report().lifetime.unwrap();
    assert_eq!(l.capacity_factor, 1.0);
    assert_eq!(l.cycle_fade + l.calendar_fade, 0.0);
    assert_eq!(
        l.usable_mwh_end,
        study.site().battery.usable_energy().value()
    );
    assert!(
        (l.usable_mwh_end - 12.0 * 3.916).abs() < 1e-9,
        "{}",
        l.usable_mwh_end
    );
}

/// A report written before `soc_capacity_factor` existed reads it as 1 (the SoC figures then
/// were relative to the nameplate), and the field round-trips otherwise (catches its serde
/// default → 0 or −1, which would make an old report's stored energy zero or negative).
#[test]
fn an_older_report_without_the_soc_capacity_factor_reads_it_as_one() {
    let report = resting_year("1h", 0.9).simulate().run(&mut ()).report();
    let l = report.lifetime.as_ref().unwrap();
    assert!(l.soc_capacity_factor < 1.0, "{}", l.soc_capacity_factor);
    let mut json = serde_json::to_value(&report).unwrap();
    let back: Report = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(back, report);
    let removed = json["lifetime"]
        .as_object_mut()
        .unwrap()
        .remove("soc_capacity_factor");
    assert!(removed.is_some());
    let old: Report = serde_json::from_value(json).unwrap();
    assert_eq!(old.lifetime.unwrap().soc_capacity_factor, 1.0);
}
