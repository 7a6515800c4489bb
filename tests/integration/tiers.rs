//! Issue 9, tiered load: a shortfall is shed in the tiers' order (deferrable training with its
//! cooling first, then other load, then critical IT with its cooling), per-tier unserved
//! energy sums to the unserved energy, the split does not depend on the step for an outage
//! inside a step, a paused training job loses the work since its last checkpoint, and bad
//! tier inputs are refused naming the field.
//!
//! The hand-computed site: 4 MW of critical IT and 6 MW of deferrable IT at PUE 1.25 with
//! `other_share` 0.2, so the facility draws 12.5 MW: overhead 2.5 MW, of which 0.5 MW is other
//! load and 2 MW cooling (`c` = 0.2 MW per MW of IT). The blocks are deferrable 6 × 1.2 =
//! 7.2 MW, other 0.5 MW and critical 4 × 1.2 = 4.8 MW.

use ridethrough::components::load::Tier;
use ridethrough::prelude::*;
use ridethrough::studies::montecarlo::Indices;

/// Hand-computed energies and hours: a few roundings of MW-scale products.
const HAND_TOL: f64 = 1e-9;
/// Per-tier unserved at different steps: the same pieces summed in more steps (1e-9 is the
/// brief's bound; the sums are exact to a few ulps of MWh).
const STEP_TOL: f64 = 1e-9;

/// The tiered site's scenario: `grid` and `extra` are appended TOML (outages, battery, keys of
/// `[load.tiers]`).
fn scenario(step: &str, horizon: &str, grid: &str, battery: &str, tiers: &str) -> String {
    format!(
        r#"seed = 3
[time]
step = "{step}"
horizon = "{horizon}"
[grid]
import_limit_mw = 20.0
{grid}
[battery]
{battery}
[load]
pue = 1.25
[[load.it]]
kind = "constant"
it_mw = 4.0
[[load.it]]
kind = "constant"
it_mw = 6.0
tier = "deferrable"
[load.tiers]
other_share = 0.2
{tiers}
"#
    )
}

fn run(text: &str) -> Report {
    let study = Scenario::from_toml_str(text)
        .expect("parses")
        .validate()
        .expect("valid");
    study.simulate().run(&mut ()).report()
}

fn unserved(r: &Report, t: Tier) -> f64 {
    r.tiers.as_ref().expect("tiers").tier(t).unserved_mwh
}

fn assert_close(got: f64, want: f64, what: &str) {
    assert!(
        (got - want).abs() <= HAND_TOL * want.abs().max(1.0),
        "{what}: got {got}, want {want}"
    );
}

/// The tiers' unserved energies sum to the run's.
fn assert_sum(r: &Report) {
    let sum: f64 = Tier::ALL.iter().map(|&t| unserved(r, t)).sum();
    assert_close(sum, r.totals.unserved_mwh, "Σ tiers = unserved");
}

const NO_BATTERY: &str = "units = 0";

#[test]
fn a_derate_that_drops_exactly_the_deferrable_tier() {
    // 20 MW × 0.265 = 5.3 MW available for 2 h: 12.5 − 5.3 = 7.2 MW short, the deferrable
    // block exactly: 6 MW of its IT and 1.2 MW of its cooling.
    let grid = "[[grid.scheduled_outages]]\nstart = \"3h\"\nduration = \"2h\"\navailable_fraction = 0.265\n";
    let r = run(&scenario("1h", "12h", grid, NO_BATTERY, ""));
    assert_close(r.totals.unserved_mwh, 14.4, "unserved");
    assert_close(unserved(&r, Tier::Deferrable), 12.0, "deferrable IT");
    assert_close(unserved(&r, Tier::Cooling), 2.4, "its cooling");
    assert!(unserved(&r, Tier::Other) < HAND_TOL, "other untouched");
    assert!(
        unserved(&r, Tier::CriticalIt) < HAND_TOL,
        "critical untouched"
    );
    let t = r.tiers.as_ref().unwrap();
    assert_eq!(t.tier(Tier::Deferrable).events, 1);
    assert_eq!(t.tier(Tier::CriticalIt).events, 0);
    assert_close(t.tier(Tier::Deferrable).loss_of_load_hours, 2.0, "hours");
    assert_sum(&r);
    // The text report shows the block.
    let text = r.to_string();
    assert!(text.contains("loss of load by tier"), "{text}");
}

#[test]
fn a_full_outage_reaches_critical_it() {
    // Nothing available for 1 h: every tier loses its whole load.
    let grid = "[[grid.scheduled_outages]]\nstart = \"3h\"\nduration = \"1h\"\n";
    let r = run(&scenario("1h", "12h", grid, NO_BATTERY, ""));
    assert_close(r.totals.unserved_mwh, 12.5, "unserved");
    assert_close(unserved(&r, Tier::Deferrable), 6.0, "deferrable IT");
    assert_close(unserved(&r, Tier::Other), 0.5, "other");
    assert_close(unserved(&r, Tier::CriticalIt), 4.0, "critical IT");
    assert_close(unserved(&r, Tier::Cooling), 2.0, "cooling");
    assert_sum(&r);

    // A 3 MW battery carries part: 9.5 MW short = 7.2 deferrable + 0.5 other + 1.8 critical
    // (1.5 MW of critical IT and 0.3 MW of its cooling).
    let battery = "units = 1\npower_mw = 3.0\nenergy_mwh = 100.0\ncharge_efficiency = 1.0\n\
                   discharge_efficiency = 1.0\naux_load_mw = 0.0\nself_discharge_per_day = 0.0\n";
    let r = run(&scenario("1h", "12h", grid, battery, ""));
    assert_close(r.totals.unserved_mwh, 9.5, "unserved");
    assert_close(unserved(&r, Tier::CriticalIt), 1.5, "critical IT");
    assert_close(unserved(&r, Tier::Cooling), 1.2 + 0.3, "cooling");
    assert_close(unserved(&r, Tier::Other), 0.5, "other");
    assert_sum(&r);
}

#[test]
fn another_shedding_order_protects_the_training() {
    // Order other → critical → deferrable: 7.2 MW short takes the 0.5 MW of other load, all
    // 4.8 MW of critical IT with its cooling, then 1.9 MW of the deferrable block.
    let grid = "[[grid.scheduled_outages]]\nstart = \"3h\"\nduration = \"1h\"\navailable_fraction = 0.265\n";
    let order = "shed_order = [\"other\", \"critical\", \"deferrable\"]";
    let r = run(&scenario("1h", "12h", grid, NO_BATTERY, order));
    assert_close(unserved(&r, Tier::Other), 0.5, "other");
    assert_close(unserved(&r, Tier::CriticalIt), 4.0, "critical IT");
    assert_close(unserved(&r, Tier::Deferrable), 1.9 / 1.2, "deferrable IT");
    assert_sum(&r);
}

#[test]
fn per_tier_unserved_does_not_depend_on_the_step() {
    // An outage from 1 h 6 min 40.5 s for 1,234.567 s, inside an hourly step, a 3 MW battery:
    // the same shares at 1 h, 1 min and 13 s steps (13 h is a multiple of all three).
    let grid = "[[grid.scheduled_outages]]\nstart = \"4000500ms\"\nduration = \"1234567ms\"\n";
    let battery = "units = 1\npower_mw = 3.0\nenergy_mwh = 100.0\ncharge_efficiency = 1.0\n\
                   discharge_efficiency = 1.0\naux_load_mw = 0.0\nself_discharge_per_day = 0.0\n";
    let reports: Vec<Report> = ["1h", "1m", "13s"]
        .iter()
        .map(|step| run(&scenario(step, "13h", grid, battery, "")))
        .collect();
    let hours = 1_234.567 / 3600.0;
    assert_close(reports[0].totals.unserved_mwh, 9.5 * hours, "closed form");
    for r in &reports[1..] {
        for t in Tier::ALL {
            let (a, b) = (unserved(&reports[0], t), unserved(r, t));
            assert!((a - b).abs() <= STEP_TOL, "{t:?}: {a} vs {b}");
            let (a, b) = (
                reports[0]
                    .tiers
                    .as_ref()
                    .unwrap()
                    .tier(t)
                    .loss_of_load_hours,
                r.tiers.as_ref().unwrap().tier(t).loss_of_load_hours,
            );
            assert!((a - b).abs() <= STEP_TOL, "{t:?} hours: {a} vs {b}");
        }
        assert_sum(r);
    }
}

#[test]
fn a_pause_loses_the_work_since_the_last_checkpoint() {
    // Checkpoints every 30 min; a derate from 1 h 10 min sheds the deferrable tier: the job
    // loses 10 min of work, 6 MW × 1/6 h = 1 MWh of compute. A second derate at 5 h 25 min
    // loses 25 min: 2.5 MWh.
    let grid = "[[grid.scheduled_outages]]\nstart = \"70m\"\nduration = \"1h\"\navailable_fraction = 0.265\n\
                [[grid.scheduled_outages]]\nstart = \"325m\"\nduration = \"20m\"\navailable_fraction = 0.5\n";
    let r = run(&scenario(
        "1m",
        "12h",
        grid,
        NO_BATTERY,
        "checkpoint_interval = \"30m\"",
    ));
    let t = r.tiers.as_ref().unwrap();
    assert_eq!(t.training_pauses, 2);
    assert_close(
        t.lost_compute_hours,
        10.0 / 60.0 + 25.0 / 60.0,
        "lost hours",
    );
    assert_close(t.lost_compute_mwh, 1.0 + 2.5, "lost MWh");
    // Without an interval (and no swing checkpoint) nothing is reported lost.
    let r = run(&scenario("1m", "12h", grid, NO_BATTERY, ""));
    let t = r.tiers.as_ref().unwrap();
    assert_eq!(t.training_pauses, 0);
    assert_eq!(t.lost_compute_mwh, 0.0);
}

#[test]
fn a_swing_checkpoint_sets_the_interval() {
    // A deferrable swing (period 2 s, checkpoint every 60 min) and no checkpoint_interval: a
    // full outage from 2 h 45 min loses 45 min of the swing's mean power, 5.3 + 5.3·0.8.
    let text = r#"seed = 1
[time]
step = "1m"
horizon = "6h"
[grid]
import_limit_mw = 30.0
[[grid.scheduled_outages]]
start = "165m"
duration = "30m"
[battery]
units = 0
[load]
pue = 1.0
[[load.it]]
kind = "training_swing"
high_mw = 10.6
low_mw = 5.3
period = "2s"
duty = 0.8
checkpoint = { every = "60m", duration = "60s" }
tier = "deferrable"
"#;
    let r = run(text);
    let t = r.tiers.as_ref().unwrap();
    assert_eq!(t.training_pauses, 1);
    assert_close(t.lost_compute_hours, 0.75, "lost hours");
    assert_close(t.lost_compute_mwh, 0.75 * 9.54, "lost MWh");
    assert_sum(&r);
}

#[test]
fn a_load_without_tiers_reports_none() {
    let text = ridethrough::io::scenario::DEFAULT_SCENARIO_TOML;
    let study = Scenario::from_toml_str(text).unwrap().validate().unwrap();
    assert!(study.site().load.tiers().is_none());
    let json = serde_json::to_string(&study.simulate().run(&mut ()).report()).unwrap();
    assert!(!json.contains("\"tiers\""));
}

#[test]
fn bad_tier_inputs_are_refused_naming_the_field() {
    let grid = "";
    let parse_err = |text: &str| {
        Scenario::from_toml_str(text)
            .map(|_| ())
            .expect_err(text)
            .to_string()
    };
    // An unknown tier name on a profile, an unknown block, an unknown key.
    let text =
        scenario("1h", "12h", grid, NO_BATTERY, "").replace("\"deferrable\"", "\"optional\"");
    let e = parse_err(&text);
    assert!(
        e.contains("unknown variant") && e.contains("optional"),
        "{e}"
    );
    let text = scenario("1h", "12h", grid, NO_BATTERY, "shed_order = [\"cooling\"]");
    let e = parse_err(&text);
    assert!(
        e.contains("unknown variant") && e.contains("cooling"),
        "{e}"
    );
    let text = scenario("1h", "12h", grid, NO_BATTERY, "other = 0.1");
    assert!(parse_err(&text).contains("unknown field"));

    let validate_err = |tiers: &str| {
        let text =
            scenario("1h", "12h", grid, NO_BATTERY, "").replace("other_share = 0.2\n", tiers);
        Scenario::from_toml_str(&text)
            .expect("parses")
            .validate()
            .map(|_| ())
            .expect_err(tiers)
    };
    for (tiers, field) in [
        ("other_share = -0.1\n", "load.tiers.other_share"),
        ("other_share = 1.5\n", "load.tiers.other_share"),
        ("other_share = nan\n", "load.tiers.other_share"),
        (
            "shed_order = [\"other\", \"other\", \"critical\"]\n",
            "load.tiers.shed_order",
        ),
        ("shed_order = [\"other\"]\n", "load.tiers.shed_order"),
        (
            "checkpoint_interval = \"0s\"\n",
            "load.tiers.checkpoint_interval",
        ),
    ] {
        let e = validate_err(tiers);
        match &e {
            ConfigError::OutOfRange { field: f, .. }
            | ConfigError::Inconsistent { field: f, .. } => {
                assert_eq!(f, field, "{e}")
            }
            other => panic!("{tiers}: unexpected {other:?}"),
        }
    }
}

// ---- Monte Carlo -------------------------------------------------------------------------------

/// The default site at hourly steps with its load as `load` (TOML of the `[load]` table's
/// body, replacing the default's).
fn mc_study(load: &str) -> ridethrough::engine::study::Study {
    study_from(
        ridethrough::io::scenario::DEFAULT_SCENARIO_TOML.to_string(),
        load,
    )
}

/// [`mc_study`] with the battery's auxiliary draw set to `aux_mw`.
fn mc_study_aux(load: &str, aux_mw: f64) -> ridethrough::engine::study::Study {
    let text = ridethrough::io::scenario::DEFAULT_SCENARIO_TOML.replace(
        "reserve_soc = 0.2\n",
        &format!("reserve_soc = 0.2\naux_load_mw = {aux_mw:?}\n"),
    );
    study_from(text, load)
}

fn study_from(text: String, load: &str) -> ridethrough::engine::study::Study {
    let text = text.replace("step = \"1m\"", "step = \"1h\"");
    let at = text.find("[load]").unwrap();
    let end = text.find("[policy]").unwrap();
    let text = format!("{}[load]\n{load}\n{}", &text[..at], &text[end..]);
    Scenario::from_toml_str(&text).unwrap().validate().unwrap()
}

fn mc(study: &ridethrough::engine::study::Study, n: u64) -> Indices {
    ridethrough::studies::montecarlo::run(
        study.site(),
        study.policy(),
        &ridethrough::studies::montecarlo::McConfig::new(n, 11),
        &|_| {},
    )
    .unwrap()
    .indices
}

/// Monte Carlo EUE per tier against the single-tier figures: the sums of the same pieces
/// in another grouping.
const MC_REL_TOL: f64 = 1e-9;

#[test]
fn monte_carlo_of_a_single_tier_equals_todays_figures() {
    // PUE 1, all IT critical, no other share, no battery aux (which is "other" load): every
    // unserved MW is critical IT.
    let body = "pue = 1.0\n[[load.it]]\nkind = \"constant\"\nit_mw = 17.0\n";
    let plain = mc(&mc_study_aux(body, 0.0), 200);
    let tiered = mc(&mc_study_aux(&format!("{body}[load.tiers]\n"), 0.0), 200);
    assert!(plain.tiers.is_none());
    let t = tiered.tiers.clone().expect("tier indices");
    // The physics does not change: every other index is the same, bit for bit.
    assert_eq!(
        Indices {
            tiers: None,
            ..tiered.clone()
        },
        plain
    );
    assert!(plain.eue_mwh.mean > 0.0, "the site must lose load");
    let c = t.tier(Tier::CriticalIt);
    let rel = |a: f64, b: f64| (a - b).abs() <= MC_REL_TOL * a.abs().max(b.abs()).max(1e-12);
    assert!(
        rel(c.eue_mwh.mean, plain.eue_mwh.mean),
        "{c:?} vs {:?}",
        plain.eue_mwh
    );
    assert!(rel(c.eue_mwh.se, plain.eue_mwh.se));
    assert_eq!(c.lole_hours, plain.lole_hours);
    assert_eq!(c.lolf, plain.lolf);
    assert!(rel(
        c.loss_of_load_hours.mean,
        plain.loss_of_load_hours.mean
    ));
    for other in [Tier::Cooling, Tier::Deferrable, Tier::Other] {
        assert_eq!(t.tier(other).eue_mwh.mean, 0.0, "{other:?}");
        assert_eq!(t.tier(other).lolf.mean, 0.0, "{other:?}");
    }
    // The text output shows the per-tier rows.
    let text = tiered.to_string();
    assert!(text.contains("EUE critical IT"), "{text}");
}

#[test]
fn monte_carlo_sheds_the_deferrable_tier_first() {
    // 8 MW critical + 9 MW deferrable at PUE 1.3 on the default 20 MW feed and battery.
    let body = "pue = 1.3\n[[load.it]]\nkind = \"constant\"\nit_mw = 8.0\n\
                [[load.it]]\nkind = \"constant\"\nit_mw = 9.0\ntier = \"deferrable\"\n\
                [load.tiers]\nother_share = 0.1\ncheckpoint_interval = \"1h\"\n";
    let ix = mc(&mc_study(body), 300);
    let t = ix.tiers.as_ref().unwrap();
    let (d, c) = (t.tier(Tier::Deferrable), t.tier(Tier::CriticalIt));
    assert!(d.eue_mwh.mean > 0.0);
    assert!(d.eue_mwh.mean >= c.eue_mwh.mean, "{d:?} vs {c:?}");
    assert!(d.lole_hours.mean >= c.lole_hours.mean);
    let sum: f64 = t.tiers.iter().map(|x| x.eue_mwh.mean).sum();
    assert!((sum - ix.eue_mwh.mean).abs() <= MC_REL_TOL * ix.eue_mwh.mean);
    // Every deferrable event is a pause, which loses less than an interval each.
    assert_eq!(t.training_pauses.mean, d.lolf.mean);
    assert!(t.lost_compute_hours.mean <= t.training_pauses.mean * 1.0);
    assert!(t.lost_compute_mwh.mean <= t.lost_compute_hours.mean * 9.0 * (1.0 + 1e-12));
    assert!(t.lost_compute_mwh.se >= 0.0);
}

// ---- PUE as a curve of the ambient temperature -------------------------------------------------

/// 10 MW of critical IT, PUE from (20 °C, 1.2) to (30 °C, 1.4), an hourly ambient of 20 °C then
/// 30 °C, the grid out for both hours and no battery.
fn pue_curve_site(step: &str) -> Report {
    let text = format!(
        r#"seed = 1
[time]
step = "{step}"
horizon = "2h"
[grid]
import_limit_mw = 30.0
[[grid.scheduled_outages]]
start = "0s"
duration = "2h"
[battery]
units = 0
[load]
pue = {{ ambient = {{ trace = "in-memory.csv" }}, curve = [{{ temperature_c = 20.0, pue = 1.2 }}, {{ temperature_c = 30.0, pue = 1.4 }}] }}
[[load.it]]
kind = "constant"
it_mw = 10.0
[load.tiers]
"#
    );
    let mut scenario = Scenario::from_toml_str(&text).unwrap();
    match &mut scenario.load.pue {
        ridethrough::components::load::Pue::Curve(c) => match &mut c.ambient {
            ridethrough::components::ambient::AmbientSource::Trace(t) => {
                t.data = Some(vec![20.0, 30.0])
            }
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
    let study = scenario.validate().unwrap();
    study.simulate().run(&mut ()).report()
}

#[test]
fn cooling_follows_the_ambient_temperature_by_hand() {
    // Hour 1: 10 × 1.2 = 12 MW; hour 2: 10 × 1.4 = 14 MW. All of it unserved: 26 MWh, of which
    // 20 MWh IT and 2 + 4 = 6 MWh cooling, at 1 h, 30 min and 2 h steps.
    for step in ["1h", "30m", "2h"] {
        let r = pue_curve_site(step);
        assert_close(r.totals.facility_mwh, 26.0, step);
        assert_close(r.totals.unserved_mwh, 26.0, step);
        assert_close(unserved(&r, Tier::CriticalIt), 20.0, step);
        assert_close(unserved(&r, Tier::Cooling), 6.0, step);
        assert_sum(&r);
    }
    assert_close(
        pue_curve_site("1h").site.peak_facility_mw,
        14.0,
        "peak at the hottest hour",
    );
}

#[test]
fn a_constant_curve_equals_the_constant_pue_bit_for_bit() {
    let base =
        ridethrough::io::scenario::DEFAULT_SCENARIO_TOML.replace("step = \"1m\"", "step = \"1h\"");
    let curve = base.replace(
        "pue = 1.3",
        "pue = { ambient = \"austin_synthetic\", curve = [{ temperature_c = 10.0, pue = 1.3 }, \
         { temperature_c = 40.0, pue = 1.3 }] }",
    );
    assert_ne!(base, curve);
    let run = |text: &str| {
        let study = Scenario::from_toml_str(text).unwrap().validate().unwrap();
        study.simulate().run(&mut ()).report()
    };
    assert_eq!(run(&base), run(&curve));
    // A constant ambient folds the curve too: 1.2 + 0.2·(25 − 20)/10 at every hour.
    let warm = base.replace(
        "pue = 1.3",
        "pue = { ambient = 25.0, curve = [{ temperature_c = 20.0, pue = 1.2 }, \
         { temperature_c = 30.0, pue = 1.4 }] }",
    );
    let constant = base.replace("pue = 1.3", &format!("pue = {:?}", 1.2 + (1.4 - 1.2) * 0.5));
    assert_eq!(run(&warm), run(&constant));
}

#[test]
fn an_austin_curve_costs_more_in_summer() {
    // 10 °C to 35 °C: 1.2 to 1.45. July's facility energy per hour exceeds January's.
    let text = ridethrough::io::scenario::DEFAULT_SCENARIO_TOML
        .replace("step = \"1m\"", "step = \"1h\"")
        .replace(
            "pue = 1.3",
            "pue = { ambient = \"austin_synthetic\", curve = [{ temperature_c = 10.0, pue = 1.2 }, \
             { temperature_c = 35.0, pue = 1.45 }] }",
        );
    let study = Scenario::from_toml_str(&text).unwrap().validate().unwrap();
    let load = &study.site().load;
    let jan: f64 = (0..744).map(|k| load.pue_at(k)).sum::<f64>() / 744.0;
    let jul: f64 = (4344..4344 + 744).map(|k| load.pue_at(k)).sum::<f64>() / 744.0;
    assert!(jul > jan + 0.1, "January {jan}, July {jul}");
    assert!(load.pue() <= 1.45 && load.pue() > jul);
}

// ---- the bundled scenario ----------------------------------------------------------------------

#[test]
fn the_bundled_tiered_scenario_sheds_the_training_first() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/scenarios/austin_tiered.toml");
    let study = Scenario::load(&path).unwrap().validate().unwrap();
    let r = study.simulate().run(&mut ()).report();
    assert!(
        r.totals.unserved_mwh > 0.0,
        "the half-size battery must shed load"
    );
    assert_sum(&r);
    let t = r.tiers.as_ref().unwrap();
    let (d, c) = (t.tier(Tier::Deferrable), t.tier(Tier::CriticalIt));
    assert!(d.unserved_mwh > 10.0 * c.unserved_mwh, "{d:?} vs {c:?}");
    assert!(d.events >= c.events && d.loss_of_load_hours >= c.loss_of_load_hours);
    // The swing's hourly checkpoint sets the interval: each pause loses under an hour.
    assert_eq!(t.training_pauses, d.events);
    assert!(t.lost_compute_hours < t.training_pauses as f64);
    // The PUE curve: the hottest hour's PUE is at most the curve's top, above its floor.
    let pue = study.site().load.pue();
    assert!(pue > 1.25 && pue <= 1.40, "{pue}");
}

// ---- snapshots, fast-forward and shards carry the tiers ----------------------------------------

/// The bundled tiered scenario at hourly steps.
fn tiered_study() -> ridethrough::engine::study::Study {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/scenarios/austin_tiered.toml");
    let mut s = Scenario::load(&path).unwrap();
    s.time.step = Duration::from_hours(1);
    s.validate().unwrap()
}

#[test]
fn a_snapshot_inside_a_tier_event_resumes_bit_for_bit() {
    let study = tiered_study();
    let site = study.site();
    let mut whole = site.simulate(*study.policy(), study.seed());
    whole.set_fast_forward(false).run(&mut ());
    let want = whole.report();
    // Stop in the first step with unserved load (a tier event is open), snapshot through
    // JSON, resume.
    let mut sim = site.simulate(*study.policy(), study.seed());
    sim.set_fast_forward(false);
    let stop = sim.run_until(&mut (), |r| r.unserved_mw > 0.0);
    assert!(matches!(stop, Stop::Condition { .. }));
    let json = serde_json::to_string(&sim.snapshot()).unwrap();
    let snap: SimState<Policy> = serde_json::from_str(&json).unwrap();
    let mut resumed = Simulation::resume(site, snap).unwrap();
    resumed.set_fast_forward(false).run(&mut ());
    assert_eq!(resumed.report(), want);
}

#[test]
fn fast_forward_keeps_the_tiers() {
    let study = tiered_study();
    let site = study.site();
    let mut ff = site.simulate(*study.policy(), study.seed());
    ff.run(&mut ());
    assert!(ff.steps_skipped() > 0);
    let mut stepped = site.simulate(*study.policy(), study.seed());
    stepped.set_fast_forward(false).run(&mut ());
    let (a, b) = (ff.report(), stepped.report());
    assert_eq!(
        a.tiers, b.tiers,
        "no tier event happens in a skipped stretch"
    );
    crate::common::assert_reports_agree(&a, &b, "tiered");
}

#[test]
fn sharded_tier_indices_merge_to_the_whole_study() {
    use ridethrough::studies::montecarlo::{self, merge_shards, run_shard, McConfig, Shard};
    let study = tiered_study();
    let cfg = McConfig::new(96, 5);
    let whole = montecarlo::run(study.site(), study.policy(), &cfg, &|_| {}).unwrap();
    let shards: Vec<_> = (0..3)
        .map(|index| {
            let shard = run_shard(
                study.site(),
                study.policy(),
                &cfg,
                Shard { index, count: 3 },
                &|_| {},
            )
            .unwrap();
            // Through the file format.
            serde_json::from_str(&serde_json::to_string(&shard).unwrap()).unwrap()
        })
        .collect();
    let merged = merge_shards(&shards).unwrap();
    assert!(whole.indices.tiers.is_some());
    assert_eq!(merged.indices, whole.indices);
}

/// The per-tier sums start with the first piece that loses load, as `Tally::tier_tally`
/// documents (stage 8b, the shed, runs only on pieces with load unserved or a tier's event
/// open): a tiered site that never falls short has none, and reports zero for every tier; one
/// with an outage has them (catches `tier_event_open` → `true`, which ran the shed on every
/// piece from the first).
#[test]
fn the_tier_sums_start_with_the_first_loss() {
    for (grid, lost) in [
        ("", false),
        (
            "[[grid.scheduled_outages]]\nstart = \"3h\"\nduration = \"1h\"\n",
            true,
        ),
    ] {
        let study = Scenario::from_toml_str(&scenario("1h", "12h", grid, NO_BATTERY, ""))
            .and_then(Scenario::validate)
            .unwrap();
        // Stepped: fast-forward would skip the quiet steps, shed or not.
        let mut sim = study.simulate();
        sim.set_fast_forward(false).run(&mut ());
        assert_eq!(sim.steps_skipped(), 0);
        assert_eq!(sim.state().tally.tier_tally().is_some(), lost, "{grid}");
        let r = sim.report();
        let events: Vec<u64> = r
            .tiers
            .as_ref()
            .unwrap()
            .tiers
            .iter()
            .map(|t| t.events)
            .collect();
        assert_eq!(events, vec![u64::from(lost); 4], "{grid}");
    }
}
