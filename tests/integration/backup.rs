//! Issue 9: the backup chain in the engine — generator sets started by the transfer switch when
//! the grid fails, the transfer gap the battery bridges, fuel that runs dry to the millisecond,
//! and the sampled survival of an islanded site against the exact Markov chain.
//!
//! Every expected figure below is computed by hand from the parameters in the test (not by the
//! code under test); the tolerances are rounding (a few segments summed) or, for the sampled
//! survival, three standard errors.

use crate::common::*;
use proptest::prelude::*;
use ridethrough::components::fuel::FuelParams;
use ridethrough::components::generators::GeneratorParams;
use ridethrough::engine::report::OUTAGE_EPSILON;
use ridethrough::prelude::*;
use ridethrough::studies::markov_survival::{MarkovSurvival, MarkovSurvivalParams};

/// Energies summed over a few segments: rounding only.
const REL_TOL: f64 = 1e-9;
/// Events start and end at whole milliseconds; a tank's dry time is rounded to one.
const ONE_MS: u64 = 1;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= REL_TOL * a.abs().max(b.abs()) + 1e-12
}

const LOAD_MW: f64 = 10.0;
/// The outage: 3 h from 10 h 17 min 23.456 s.
const OUTAGE_H: f64 = 3.0;
const SETS: u32 = 5;
const RATING_MW: f64 = 3.0;
const IDLE_L_PER_H: f64 = 50.0;
const L_PER_MWH: f64 = 250.0;
const DELAY_S: f64 = 10.0;

fn outage_start() -> Duration {
    "10h17m23s456ms".parse().unwrap()
}

/// Five 3 MW sets that always start (10 s), never fail, 50 L/h idle + 250 L/MWh, minimum
/// loading 30 %.
fn gens(fail_to_start: f64, retries: u32) -> GeneratorParams {
    toml::from_str(&format!(
        r#"
count = {SETS}
rating_mw = {RATING_MW}
fail_to_start = {fail_to_start}
start_retries = {retries}
retry_interval = "30s"
failures_per_running_hour = 0.0
min_loading = 0.3
fuel_l_per_h_idle = {IDLE_L_PER_H}
fuel_l_per_mwh = {L_PER_MWH}
"#
    ))
    .unwrap()
}

/// 91 h (a multiple of 1 h, 7 min and 13 s), a constant 10 MW load, a 50 MW feed that fails
/// for 3 h from 10:17:23.456, a battery of `power` MW / `energy` MWh at η_d 0.95.
fn site(
    step: Duration,
    power: f64,
    energy: f64,
    gens: &GeneratorParams,
    fuel: Option<&FuelParams>,
) -> Site {
    let time = TimeGrid::new(step, Duration::from_hours(91)).unwrap();
    let grid = GridParams {
        scheduled_outages: vec![outage(
            outage_start(),
            Duration::from_hours(OUTAGE_H as u64),
        )],
        ..GridParams::new(Power::mw(50.0))
    };
    Site::new(
        time,
        &grid,
        &simple_battery(power, energy, 0.95),
        &constant_load(LOAD_MW),
    )
    .unwrap()
    .with_backup(Some(gens), fuel)
    .unwrap()
}

fn steps() -> [Duration; 3] {
    [
        Duration::from_hours(1),
        Duration::from_secs(7 * 60),
        Duration::from_secs(13),
    ]
}

fn run(site: &Site) -> Report {
    site.simulate(Policy::default(), 1).run(&mut ()).report()
}

/// A battery too weak for the load (4 MW against 10 MW) bridges what it can for the 10 s
/// until the sets pick up: 6 MW × 10 s is dropped in transfer, then the sets carry the site
/// for the rest of the outage and burn their affine fuel curve. The same at 1 h, 7 min and
/// 13 s steps.
#[test]
fn the_transfer_gap_drops_what_the_battery_cannot_bridge() {
    let gap_h = DELAY_S / 3600.0;
    let dropped_mwh = (LOAD_MW - 4.0) * gap_h;
    let carried_h = OUTAGE_H - gap_h;
    let burnt_l =
        f64::from(SETS) * (IDLE_L_PER_H + L_PER_MWH * LOAD_MW / f64::from(SETS)) * carried_h;
    for step in steps() {
        let r = run(&site(step, 4.0, 25.0, &gens(0.0, 0), None));
        let b = r.backup.as_ref().expect("a backup report");
        assert_eq!(b.transfers, 1, "{step}");
        assert_eq!(b.transfers_with_drop, 1, "{step}");
        assert!(close(b.transfer_unserved_mwh, dropped_mwh), "{step}: {b:?}");
        assert!(close(r.totals.unserved_mwh, dropped_mwh), "{step}");
        assert_eq!(b.transfer_drops.len(), 1, "{step}");
        let d = b.transfer_drops[0];
        assert_eq!(d.start, outage_start(), "{step}");
        assert_eq!(d.duration, Duration::from_secs(10), "{step}");
        assert!(close(d.peak_shortfall_mw, LOAD_MW - 4.0), "{step}");
        assert!(close(b.generation_mwh, LOAD_MW * carried_h), "{step}");
        assert!(
            close(r.totals.generation_mwh, LOAD_MW * carried_h),
            "{step}"
        );
        assert!(
            close(b.fuel_burnt_l, burnt_l),
            "{step}: {} L",
            b.fuel_burnt_l
        );
        assert!(close(b.run_hours, f64::from(SETS) * carried_h), "{step}");
        assert_eq!(b.generators.demands, u64::from(SETS), "{step}");
        assert_eq!(b.generators.failed_starts, 0, "{step}");
        assert_eq!(r.loss_of_load.len(), 1, "{step}");
        assert_eq!(r.loss_of_load[0].duration, Duration::from_secs(10));
        assert!(r.totals.max_balance_residual_mw <= BALANCE_TOL_MW * LOAD_MW);
    }
}

/// A report taken while the sets run counts their running time up to the report's time (the
/// end of the last step run): 5 sets running since the transfer's end, 10 s after the outage
/// starts, at every step size; and the report's totals hold what the steps so far carried.
#[test]
fn a_report_inside_a_generator_outage_counts_the_running_sets_to_its_time() {
    let since_h = outage_start().hours().value() + DELAY_S / 3600.0;
    for step in steps() {
        let site = site(step, 4.0, 25.0, &gens(0.0, 0), None);
        let mut sim = site.simulate(Policy::default(), 1);
        // The first step that ends 2 h or more into the outage.
        let two_h_in = outage_start().as_millis() + 2 * 3_600_000;
        let k = two_h_in.div_ceil(step.as_millis());
        sim.run_until(&mut (), |row| row.step + 1 == k);
        let now_h = Duration::from_millis(k * step.as_millis()).hours().value();
        let r = sim.report();
        let b = r.backup.as_ref().expect("a backup report");
        assert!(
            close(b.run_hours, f64::from(SETS) * (now_h - since_h)),
            "{step}: {} h at {now_h} h",
            b.run_hours
        );
        assert!(
            close(b.generation_mwh, LOAD_MW * (now_h - since_h)),
            "{step}"
        );
        assert_eq!(b.outages.len(), 1, "{step}: the outage is open");
    }
}

/// A battery that can carry the load bridges the gap: nothing dropped, 10 MW × 10 s
/// discharged (÷ η_d drawn from storage), and the sets then carry the rest.
#[test]
fn a_battery_that_carries_the_load_bridges_the_gap() {
    let gap_h = DELAY_S / 3600.0;
    for step in steps() {
        let r = run(&site(step, 20.0, 25.0, &gens(0.0, 0), None));
        let b = r.backup.as_ref().unwrap();
        assert_eq!(b.transfers_with_drop, 0, "{step}");
        assert_eq!(r.totals.unserved_mwh, 0.0, "{step}");
        assert!(b.transfer_drops.is_empty());
        assert!(close(r.totals.discharge_mwh, LOAD_MW * gap_h), "{step}");
        assert!(
            close(b.generation_mwh, LOAD_MW * (OUTAGE_H - gap_h)),
            "{step}"
        );
    }
}

/// Sets that fail every attempt (probability 1, two retries 30 s apart): the transfer gap lasts
/// until the last attempt has ended, 2 × 30 s + 10 s = 70 s; what the 4 MW battery cannot carry
/// then is dropped in transfer, and the rest of the outage is long-duration shortfall
/// (the 25 MWh battery at 4 MW lasts 5.9 h, longer than the outage).
#[test]
fn sets_that_fail_to_start_leave_the_battery_alone() {
    let transfer_h = 70.0 / 3600.0;
    for step in steps() {
        let r = run(&site(step, 4.0, 25.0, &gens(1.0, 2), None));
        let b = r.backup.as_ref().unwrap();
        assert_eq!(b.generators.failed_starts, u64::from(SETS), "{step}");
        assert_eq!(b.generators.attempts, 3 * u64::from(SETS), "{step}");
        assert_eq!(b.generation_mwh, 0.0);
        assert!(close(b.transfer_unserved_mwh, 6.0 * transfer_h), "{step}");
        assert_eq!(b.transfer_drops[0].duration, Duration::from_secs(70));
        assert!(
            close(b.transfer_drops[0].unserved_mwh, 6.0 * transfer_h),
            "{step}"
        );
        assert!(close(r.totals.unserved_mwh, 6.0 * OUTAGE_H), "{step}");
        // No set carried load: no mean burn rate (0, not 0/0).
        assert_eq!(b.outages[0].carried_hours, 0.0, "{step}");
        assert_eq!(b.outages[0].mean_burn_l_per_h(), 0.0, "{step}");
        // With a tank, nothing burnt: no autonomy (not the tank over a rate of 0).
        let fuel: FuelParams = toml::from_str("capacity_l = 1000").unwrap();
        let r = run(&site(step, 4.0, 25.0, &gens(1.0, 2), Some(&fuel)));
        let o = &r.backup.as_ref().unwrap().outages[0];
        assert_eq!(o.fuel_start_l, Some(1000.0), "{step}");
        assert_eq!(o.autonomy_at_start_h(), None, "{step}");
        assert_eq!(o.autonomy_at_lowest_h(), None, "{step}");
    }
}

/// Block loading (a load-acceptance sequence as ISO 8528-5 describes it): five 3 MW sets that
/// accept 0.8 MW each when they pick up and one more 0.8 MW block every 5 s. Against 10 MW
/// with a 1 MW battery:
///
/// * 0–10 s (the start delay): 10 − 1 = 9 MW dropped;
/// * 10–15 s: the sets accept 5 × 0.8 = 4 MW, so 10 − 4 − 1 = 5 MW is dropped;
/// * 15–20 s: 5 × 1.6 = 8 MW, 1 MW dropped;
/// * 20–25 s: 5 × 2.4 = 12 MW ≥ 10, nothing; from 25 s each set accepts its 3 MW.
///
/// The transfer gap lasts until the sets accept their rating (25 s); the drop is one stretch of
/// 20 s and 9 × 10 + 5 × 5 + 1 × 5 = 120 MW·s. A block as large as the rating is no limit: the
/// report is bit for bit the one without a block-load limit. The same at 1 h, 7 min and 13 s.
#[test]
fn block_loading_leaves_the_battery_to_carry_what_the_sets_do_not_yet_accept() {
    let mut blocks = gens(0.0, 0);
    blocks.block_load_mw = Some(Power::mw(0.8));
    blocks.block_interval = Some(Duration::from_secs(5));
    let dropped_mwh = (9.0 * 10.0 + 5.0 * 5.0 + 1.0 * 5.0) / 3600.0;
    let mut whole = gens(0.0, 0);
    whole.block_load_mw = Some(Power::mw(RATING_MW));
    for step in steps() {
        let r = run(&site(step, 1.0, 25.0, &blocks, None));
        let b = r.backup.as_ref().unwrap();
        assert_eq!(b.transfers_with_drop, 1, "{step}");
        assert!(close(b.transfer_unserved_mwh, dropped_mwh), "{step}: {b:?}");
        assert!(close(r.totals.unserved_mwh, dropped_mwh), "{step}");
        assert_eq!(b.transfer_drops.len(), 1, "{step}");
        let d = b.transfer_drops[0];
        assert_eq!(d.start, outage_start(), "{step}");
        assert_eq!(d.duration, Duration::from_secs(20), "{step}");
        assert!(close(d.peak_shortfall_mw, 9.0), "{step}");
        // The drop's own energy, summed over its pieces (0–10, 10–15, 15–20 s).
        assert!(close(d.unserved_mwh, dropped_mwh), "{step}: {d:?}");
        assert!(r.totals.max_balance_residual_mw <= BALANCE_TOL_MW * LOAD_MW);
        assert_eq!(
            run(&site(step, 1.0, 25.0, &whole, None)),
            run(&site(step, 1.0, 25.0, &gens(0.0, 0), None)),
            "{step}"
        );
    }
    // A battery that covers the 6 MW the sets do not accept at pickup bridges it all.
    let r = run(&site(Duration::from_secs(13), 10.0, 25.0, &blocks, None));
    assert_eq!(r.totals.unserved_mwh, 0.0);
    assert_eq!(r.backup.unwrap().transfers_with_drop, 0);
}

/// A shared tank of 1.5 h of fuel at the sets' flow runs dry 1.5 h after they pick up; the
/// 5 MWh battery (less what it gave in the gap) then carries the load for E·η/L and the rest
/// of the outage is lost:
///
/// * flow F = 5 × (50 + 250 × 2) = 2,750 L/h, tank V = 1.5 h × F;
/// * the battery gives 10 MW for 10 s in the gap, drawing 10 × 10 s / 0.95 from storage, so
///   at the fuel-out it holds 5 − 0.0292… MWh and carries 10 MW for
///   (5 − 10/360/0.95) × 0.95 / 10 h = 0.5 h − 10 s = 1,790 s… exactly E·η/L − 10 s;
/// * load is lost from 10 s + 1.5 h + (1,800 − 10) s after the outage's start to its end.
#[test]
fn a_tank_runs_dry_to_the_millisecond() {
    let flow = f64::from(SETS) * (IDLE_L_PER_H + L_PER_MWH * LOAD_MW / f64::from(SETS));
    let fuel: FuelParams = toml::from_str(&format!("capacity_l = {}", 1.5 * flow)).unwrap();
    let lost_from_s = 10.0 + 5400.0 + (0.475 * 3600.0 - 10.0);
    let lost_s = OUTAGE_H * 3600.0 - lost_from_s;
    // Also at 1 s steps: a segment shorter than the time a litre lasts still ends at the
    // dry tank.
    for step in steps().into_iter().chain([Duration::from_secs(1)]) {
        let r = run(&site(step, 20.0, 5.0, &gens(0.0, 0), Some(&fuel)));
        let b = r.backup.as_ref().unwrap();
        let f = b.fuel.expect("a fuel tally");
        assert_eq!(f.fuel_outs, 1, "{step}");
        assert_eq!(f.lowest_l, 0.0, "{step}");
        assert!(
            close(b.fuel_burnt_l, 1.5 * flow),
            "{step}: {}",
            b.fuel_burnt_l
        );
        // The dry time is rounded up to a whole millisecond: at most 1 ms more of the load.
        assert!(
            (b.generation_mwh - LOAD_MW * 1.5).abs() <= LOAD_MW * 1e-3 / 3600.0 + 1e-9,
            "{step}: {}",
            b.generation_mwh
        );
        assert_eq!(r.loss_of_load.len(), 1, "{step}: {:?}", r.loss_of_load);
        let lol = r.loss_of_load[0];
        let expect_start = outage_start().as_millis() + (lost_from_s * 1000.0) as u64;
        assert!(
            lol.start.as_millis().abs_diff(expect_start) <= ONE_MS,
            "{step}: lost from {} ms, expected {expect_start}",
            lol.start.as_millis()
        );
        assert!(
            (lol.duration.as_millis() as f64 - lost_s * 1000.0).abs() <= ONE_MS as f64,
            "{step}"
        );
        assert!(
            (r.totals.unserved_mwh - LOAD_MW * lost_s / 3600.0).abs() <= LOAD_MW * 1e-3 / 3600.0,
            "{step}"
        );
        // The loss is not in transfer: the sets had picked up.
        assert_eq!(b.transfer_unserved_mwh, 0.0);
    }
}

/// The minimum-loading site: 1 min steps over `hours`, the 50 MW feed out from 1 h for
/// `outage_h`, a 2 MW load, a 20 MW / 10 MWh battery (η 1) at half charge, and `gens(0, 0)`
/// (five 3 MW sets at 30 % minimum loading: 4.5 MW).
fn min_loading_site(hours: u64, outage_h: u64) -> Site {
    let time = TimeGrid::new(Duration::from_secs(60), Duration::from_hours(hours)).unwrap();
    let grid = GridParams {
        scheduled_outages: vec![outage(
            Duration::from_hours(1),
            Duration::from_hours(outage_h),
        )],
        ..GridParams::new(Power::mw(50.0))
    };
    let mut battery = simple_battery(20.0, 10.0, 1.0);
    battery.initial_soc = Some(Fraction::ratio(0.5));
    Site::new(time, &grid, &battery, &constant_load(2.0))
        .unwrap()
        .with_backup(Some(&gens(0.0, 0)), None)
        .unwrap()
}

/// The minimum loading: sets that must deliver 30 % of 15 MW = 4.5 MW to a 2 MW load charge
/// the battery with the surplus while it has room, and curtail the rest once it is full.
#[test]
fn minimum_loading_charges_the_battery_then_curtails() {
    let site = min_loading_site(24, 10);
    let mut rows = TraceRecorder::with_capacity(1440);
    // No recharging from the grid: only the sets' surplus fills the battery.
    let policy = Policy::BackupOnly {
        recharge_rate_mw: Some(Power::ZERO),
    };
    let mut sim = site.simulate(policy, 1);
    sim.run(&mut rows);
    let r = sim.report();
    // 2.5 MW of surplus fills the 5 MWh of room in 2 h; the other 8 h − 10 s… curtail it.
    let b = r.backup.as_ref().unwrap();
    let on_h = 10.0 - DELAY_S / 3600.0;
    assert!(close(b.generation_mwh, 4.5 * on_h), "{}", b.generation_mwh);
    let gap_mwh = 2.0 * DELAY_S / 3600.0;
    // Charged: the room left after the gap's discharge, at η_c = 1.
    assert!(
        (r.totals.charge_mwh - (5.0 + gap_mwh)).abs() < 1e-9,
        "charged {}",
        r.totals.charge_mwh
    );
    assert!(close(
        r.totals.curtailment_mwh,
        4.5 * on_h - 2.0 * on_h - (5.0 + gap_mwh)
    ));
    // The chain's own count of what went to the load bank is the same energy.
    assert!(
        close(b.curtailed_mwh, r.totals.curtailment_mwh),
        "{}",
        b.curtailed_mwh
    );
    assert_eq!(r.totals.unserved_mwh, 0.0);
    for row in &rows.rows {
        assert!(row.balance_residual_mw().abs() <= BALANCE_TOL_MW * 4.5);
        assert!(row.soc <= 1.0 + SOC_TOL);
    }
}

/// Asks to charge at 1 MW whenever the base policy (backup only, no grid recharge) does not
/// discharge.
struct ChargeOneMw;

impl Dispatch for ChargeOneMw {
    fn decide(&mut self, obs: &Observation) -> Power {
        let base = Policy::BackupOnly {
            recharge_rate_mw: Some(Power::ZERO),
        }
        .decide(obs);
        if base > Power::ZERO {
            base
        } else {
            Power::mw(-1.0)
        }
    }
}

/// A policy that asks to charge at less than the sets' surplus over their minimum still takes
/// all of it: the 2.5 MW the five sets must make above the 2 MW load (4.5 MW at 30 %) charges
/// the battery (room left: 10 − 6 MWh), none of it is curtailed. By hand: the battery charges
/// 1 MW from the grid for the first hour (5 → 6 MWh), bridges the 10 s gap, then takes 2.5 MW.
#[test]
fn a_policy_asking_to_charge_less_than_the_surplus_still_takes_it() {
    let site = min_loading_site(4, 2);
    let mut rows = TraceRecorder::with_capacity(240);
    site.simulate(ChargeOneMw, 1).run(&mut rows);
    // 30 min into the outage (the sets run from 10 s; 1.5 MWh charged of the 4 MWh room).
    let row = &rows.rows[90];
    assert_eq!(row.availability, 0.0);
    assert!(close(row.generation_mw, 4.5), "{}", row.generation_mw);
    assert!(close(row.charge_mw, 2.5), "charged {} MW", row.charge_mw);
    assert_eq!(row.curtailment_mw, 0.0);
    assert!(close(rows.rows[59].charge_mw, 1.0));
}

/// A feed derated by no more than the outage threshold (`OUTAGE_EPSILON`) is not an outage for
/// the transfer switch either, even where it leaves a load at the feed's limit a hair short
/// (the battery covers it): no transfer, no generation. A derate just past it transfers.
#[test]
fn a_derate_within_the_outage_threshold_starts_no_transfer() {
    let run = |availability: f64| {
        let time = TimeGrid::new(Duration::from_secs(60), Duration::from_hours(4)).unwrap();
        let mut derate = outage(Duration::from_hours(1), Duration::from_hours(1));
        derate.available_fraction = Fraction::ratio(availability);
        let grid = GridParams {
            scheduled_outages: vec![derate],
            ..GridParams::new(Power::mw(10.0))
        };
        let site = Site::new(
            time,
            &grid,
            &simple_battery(5.0, 10.0, 1.0),
            &constant_load(10.0),
        )
        .unwrap()
        .with_backup(Some(&gens(0.0, 0)), None)
        .unwrap();
        site.simulate(Policy::default(), 1).run(&mut ()).report()
    };
    let at = run(1.0 - OUTAGE_EPSILON);
    let b = at.backup.as_ref().unwrap();
    assert_eq!(b.transfers, 0);
    assert_eq!(b.generation_mwh, 0.0);
    assert_eq!(at.totals.unserved_mwh, 0.0);
    let past = run(1.0 - 4.0 * OUTAGE_EPSILON);
    assert_eq!(past.backup.as_ref().unwrap().transfers, 1);
}

/// A fuel table needs sets; a count over the limit is refused before anything is allocated.
#[test]
fn bad_backup_tables_are_refused_with_the_field_named() {
    let fuel: FuelParams = toml::from_str("capacity_l = 1000.0").unwrap();
    let time = TimeGrid::new(Duration::from_hours(1), Duration::from_hours(24)).unwrap();
    let base = Site::new(
        time,
        &GridParams::new(Power::mw(50.0)),
        &simple_battery(1.0, 1.0, 1.0),
        &constant_load(1.0),
    )
    .unwrap();
    let err = base.clone().with_backup(None, Some(&fuel)).unwrap_err();
    assert!(err.to_string().starts_with("fuel"), "{err}");
    let mut g = gens(0.0, 0);
    g.count = u32::MAX;
    let err = base.clone().with_backup(Some(&g), None).unwrap_err();
    assert!(err.to_string().contains("generators.count"), "{err}");
    let mut g = gens(0.0, 0);
    g.fail_to_start = Some(Fraction::ratio(1.5));
    let err = base.clone().with_backup(Some(&g), None).unwrap_err();
    assert!(
        err.to_string().contains("generators.fail_to_start"),
        "{err}"
    );
    for bad in ["0s", "11m"] {
        let mut g = gens(0.0, 0);
        g.block_interval = Some(bad.parse().unwrap());
        let err = base.clone().with_backup(Some(&g), None).unwrap_err();
        assert!(
            err.to_string().contains("generators.block_interval"),
            "{err}"
        );
    }
    // In a scenario file: `[fuel]` without `[generators]`.
    let text = ridethrough::io::scenario::DEFAULT_SCENARIO_TOML.to_string()
        + "\n[fuel]\ncapacity_l = 1000.0\n";
    let err = Scenario::from_toml_str(&text)
        .and_then(Scenario::validate)
        .unwrap_err();
    assert!(err.to_string().starts_with("fuel"), "{err}");
}

/// A snapshot taken in the middle of a generator outage (sets running, fuel burning, a
/// delivery on its way) resumes bit-identically; a snapshot of the same site without the chain
/// is refused.
#[test]
fn a_snapshot_inside_a_generator_outage_resumes_bit_identically() {
    let fuel: FuelParams = toml::from_str(
        r#"
capacity_l = 10000.0
[resupply]
order_below = 0.9
lead_time = { law = "fixed", duration = "40m" }
"#,
    )
    .unwrap();
    let site = site(
        Duration::from_secs(60),
        20.0,
        25.0,
        &gens(0.2, 1),
        Some(&fuel),
    );
    let mut whole = site.simulate(Policy::default(), 9);
    whole.set_fast_forward(false);
    whole.run(&mut ());
    let mut first = site.simulate(Policy::default(), 9);
    first.set_fast_forward(false);
    let k = (outage_start().as_millis() / 60_000) + 90;
    first.run_until(&mut (), |row| row.step + 1 == k);
    assert!(!site
        .simulate(Policy::default(), 9)
        .snapshot()
        .backup
        .unwrap()
        .in_outage());
    let snap = first.snapshot();
    assert!(snap.backup.as_ref().unwrap().in_outage());
    let json = serde_json::to_string(&snap).unwrap();
    let back: SimState<Policy> = serde_json::from_str(&json).unwrap();
    let mut rest = Simulation::resume(&site, back).unwrap();
    rest.set_fast_forward(false);
    rest.run(&mut ());
    assert_eq!(rest.report(), whole.report());
    // A snapshot written before `block_next` existed (the field absent) loads with no block
    // pending, and resumes to the same report.
    let mut old = serde_json::to_value(&snap).unwrap();
    assert!(old["backup"]
        .as_object_mut()
        .unwrap()
        .remove("block_next")
        .is_some());
    let back: SimState<Policy> = serde_json::from_value(old).unwrap();
    let mut rest = Simulation::resume(&site, back).unwrap();
    rest.set_fast_forward(false);
    rest.run(&mut ());
    assert_eq!(rest.report(), whole.report());
    // The same parameters without generators: another site.
    let plain = Site::new(
        site.time,
        &GridParams::new(Power::mw(50.0)),
        &simple_battery(20.0, 25.0, 0.95),
        &constant_load(LOAD_MW),
    )
    .unwrap();
    assert!(Simulation::resume(&plain, snap).is_err());
}

/// REopt's analytic method against the engine: an islanded site (the grid out for the whole
/// horizon) of 4 sets of 3 MW carrying 7 MW with a 2 MWh battery, sets failing to start with
/// probability 0.05 and failing while running at 0.01 per hour, never repaired. The Markov
/// chain ([`MarkovSurvival`], 1-minute steps, energy bins that hold each step's drain exactly)
/// gives the probability of carrying the load for 24 h; 4,000 sampled outages must agree
/// within three standard errors.
#[test]
fn sampled_survival_agrees_with_the_markov_chain() {
    const N: u64 = 4_000;
    let hours = 24;
    let gens = islanded_gens();
    let time = TimeGrid::new(Duration::from_secs(60), Duration::from_hours(hours)).unwrap();
    let grid = GridParams {
        scheduled_outages: vec![outage(Duration::ZERO, Duration::from_hours(hours))],
        ..GridParams::new(Power::mw(50.0))
    };
    let site = Site::new(
        time,
        &grid,
        &simple_battery(10.0, 2.0, 1.0),
        &constant_load(7.0),
    )
    .unwrap()
    .with_backup(Some(&gens), None)
    .unwrap();
    let survived = (0..N)
        .filter(|&seed| {
            site.simulate(Policy::default(), seed)
                .run(&mut ())
                .report()
                .totals
                .unserved_mwh
                == 0.0
        })
        .count() as f64;
    let p_mc = survived / N as f64;
    let se = (p_mc * (1.0 - p_mc) / N as f64).sqrt();

    let p_markov = markov_survival_24h(&site);
    assert!(
        (p_mc - p_markov).abs() <= 3.0 * se,
        "sampled {p_mc:.4} ± {se:.4} vs Markov {p_markov:.4}"
    );
    // Not a vacuous comparison: generator failures matter at this size.
    assert!(p_markov > 0.5 && p_markov < 0.99, "{p_markov}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Over random sites with generators (with or without block loading and load-demand
    /// control), fuel, resupply and random grid outages: every step's
    /// balance closes (generation included), the SoC stays in its window, generation never
    /// exceeds the sets' rating, the run's totals close, and fast-forward changes nothing but
    /// rounding.
    #[test]
    fn the_balance_closes_with_generators_and_fuel(
        seed in any::<u64>(),
        step_s in prop::sample::select(vec![1u64, 60, 300, 3600]),
        sets in 1u32..6,
        rating in 0.5f64..6.0,
        p_start in 0.0f64..0.5,
        min_loading in 0.0f64..0.6,
        tank_h in 0.2f64..30.0,
        load in 1.0f64..12.0,
        power in 0.1f64..20.0,
        energy in 0.1f64..40.0,
        soc0 in 0.0f64..1.0,
        (mtbf_h, block) in (50.0f64..2000.0, prop::option::of((0.1f64..1.0, 1u64..30))),
        load_demand in prop::option::of((0u32..3, 1u64..1800)),
    ) {
        let hours = if step_s == 1 { 24 } else { 24 * 30 };
        let time = TimeGrid::new(Duration::from_secs(step_s), Duration::from_hours(hours)).unwrap();
        let grid: GridParams = toml::from_str(&format!(
            r#"
import_limit_mw = 15.0
[random_outages]
processes = [{{ failures_per_year = {rate}, duration = {{ law = "exponential", mean = "6h" }} }}]
"#,
            rate = 8760.0 / mtbf_h
        )).unwrap();
        let mut battery = simple_battery(power, energy, 0.93);
        battery.initial_soc = Some(Fraction::ratio(soc0));
        let gens: GeneratorParams = toml::from_str(&format!(
            r#"
count = {sets}
rating_mw = {rating}
fail_to_start = {p_start}
start_retries = 1
failures_per_running_hour = 0.01
repair = {{ law = "exponential", mean = "5h" }}
min_loading = {min_loading}
fuel_l_per_h_idle = 40.0
fuel_l_per_mwh = 260.0
"#
        )).unwrap();
        let mut gens = gens;
        if let Some((fraction, interval_s)) = block {
            gens.block_load_mw = Some(Power::mw(fraction * rating));
            gens.block_interval = Some(Duration::from_secs(interval_s));
        }
        if let Some((spare, delay_s)) = load_demand {
            gens.load_demand = Some(toml::from_str(&format!(
                "spare_sets = {spare}\nstop_delay = \"{delay_s}s\"\n"
            )).unwrap());
        }
        let capacity = f64::from(sets) * (40.0 + 260.0 * rating) * tank_h;
        let fuel: FuelParams = toml::from_str(&format!(
            r#"
capacity_l = {capacity}
[resupply]
order_below = 0.5
lead_time = {{ law = "exponential", mean = "8h" }}
failure_probability = [{{ hours = 0.0, probability = 0.1 }}, {{ hours = 48.0, probability = 0.6 }}]
"#
        )).unwrap();
        let site = Site::new(time, &grid, &battery, &constant_load(load))
            .unwrap()
            .with_backup(Some(&gens), Some(&fuel))
            .unwrap();
        let mut rows = TraceRecorder::with_capacity(time.steps() as usize);
        let mut sim = site.simulate(Policy::default(), seed);
        sim.run(&mut rows);
        let r = sim.report();
        let cap = f64::from(sets) * rating;
        for row in &rows.rows {
            let scale = (row.facility_mw + row.aux_mw).max(1.0);
            prop_assert!(row.balance_residual_mw().abs() <= BALANCE_TOL_MW * scale.max(cap),
                "step {}: residual {}", row.step, row.balance_residual_mw());
            prop_assert!(row.soc >= -SOC_TOL && row.soc <= 1.0 + SOC_TOL);
            prop_assert!(row.generation_mw <= cap * (1.0 + 1e-12));
            prop_assert!(row.generation_mw >= 0.0 && row.curtailment_mw >= 0.0);
            prop_assert!(row.curtailment_mw <= row.generation_mw * (1.0 + 1e-12) + 1e-12);
        }
        let t = r.totals;
        let bus = t.import_mwh + t.discharge_mwh + t.generation_mwh + t.unserved_mwh
            - (t.facility_mwh + t.aux_mwh + t.charge_mwh + t.export_mwh + t.curtailment_mwh);
        prop_assert!(bus.abs() <= ENERGY_TOL_MWH * t.facility_mwh.max(1.0), "bus {bus}");
        let b = r.backup.as_ref().unwrap();
        prop_assert!((b.generation_mwh - t.generation_mwh).abs() <= ENERGY_TOL_MWH * t.generation_mwh.max(1.0));
        prop_assert!(b.transfer_unserved_mwh <= t.unserved_mwh * (1.0 + 1e-9) + 1e-12);
        // Fuel: burnt = delivered + what the tank lost.
        let f = b.fuel.unwrap();
        let level = sim.state().backup.as_ref().unwrap().fuel.as_ref().unwrap().level(0).unwrap().value();
        prop_assert!((capacity + f.delivered_l - b.fuel_burnt_l - level).abs() <= 1e-6 * capacity,
            "fuel: {capacity} + {} − {} ≠ {level}", f.delivered_l, b.fuel_burnt_l);
        // Fast-forward: the same run, jumping over quiet stretches.
        let ff = site.simulate(Policy::default(), seed).run(&mut ()).report();
        assert_reports_agree(&ff, &r, "fast-forward with generators");
    }
}

/// The Monte Carlo indices of the chain against closed forms: grid outages arrive at
/// λ = 2 per year of up time and last one minute, and a 1 MW battery cannot bridge a 10 MW
/// load, so every outage drops load in transfer. A year drops load at least once with
/// probability 1 − e^(−λT) (T the year less the minute-long outages: a correction under
/// 1e-5), each outage demands each of the 5 sets once (λT·5 starts per year), and each drop
/// is (10 − 1) MW for the 10 s start delay.
#[test]
fn monte_carlo_transfer_indices_match_the_poisson_closed_form() {
    use ridethrough::studies::montecarlo::{self, McConfig};
    let rate: f64 = 2.0;
    let time = TimeGrid::new(Duration::from_hours(1), Duration::from_hours(8760)).unwrap();
    let grid: GridParams = toml::from_str(&format!(
        r#"
import_limit_mw = 50.0
[random_outages]
processes = [{{ failures_per_year = {rate}, duration = {{ law = "fixed", duration = "1m" }} }}]
"#
    ))
    .unwrap();
    let site = Site::new(
        time,
        &grid,
        &simple_battery(1.0, 25.0, 0.95),
        &constant_load(LOAD_MW),
    )
    .unwrap()
    .with_backup(Some(&gens(0.0, 0)), None)
    .unwrap();
    let mut cfg = McConfig::new(4_000, 11);
    cfg.threads = 2;
    let r = montecarlo::run(&site, &Policy::default(), &cfg, &|_| {}).unwrap();
    let b = r.indices.backup.expect("backup indices");
    let p = 1.0 - (-rate).exp();
    let e = &b.transfer_drop_probability;
    assert!(
        (e.mean - p).abs() <= 3.0 * e.se,
        "P(drop) {} ± {} vs {p}",
        e.mean,
        e.se
    );
    let s = &b.starts_per_sample;
    let starts = rate * f64::from(SETS);
    assert!(
        (s.mean - starts).abs() <= 3.0 * s.se,
        "starts {} ± {} vs {starts}",
        s.mean,
        s.se
    );
    // Each transfer drops 9 MW × 10 s exactly, so the ratio has no sampling error.
    let per_transfer = b.transfer_unserved_mwh.mean / b.transfers_per_sample.mean;
    assert!(
        close(per_transfer, 9.0 * DELAY_S / 3600.0),
        "{per_transfer}"
    );
    assert!(r.indices.eue_mwh.mean > 0.0);
}

/// The survival sweep with generators draws each outage's starts and failures afresh, so its
/// curve is a probability over starts and generator draws: on the site of
/// [`sampled_survival_agrees_with_the_markov_chain`] with a grid that never fails (every start
/// sees a full battery and the same load), the share of the 8,760 hourly starts that carry the
/// load for 24 h agrees with the Markov chain within three standard errors.
#[test]
fn the_survival_sweep_with_generators_agrees_with_the_markov_chain() {
    use ridethrough::studies::survival::{self, SurvivalConfig};
    let gens = islanded_gens();
    let time = TimeGrid::new(Duration::from_hours(1), Duration::from_hours(8760)).unwrap();
    let site = Site::new(
        time,
        &GridParams::new(Power::mw(50.0)),
        &simple_battery(10.0, 2.0, 1.0),
        &constant_load(7.0),
    )
    .unwrap()
    .with_backup(Some(&gens), None)
    .unwrap();
    let curve = survival::sweep(
        &site,
        &Policy::default(),
        3,
        &SurvivalConfig::new(Duration::from_hours(24)),
    )
    .unwrap();
    let (d, p_sweep) = curve.probability[23];
    assert_eq!(d, 24.0);
    let n = curve.starts.len() as f64;
    let se = (p_sweep * (1.0 - p_sweep) / n).sqrt();
    let p_markov = markov_survival_24h(&site);
    assert!(
        (p_sweep - p_markov).abs() <= 3.0 * se,
        "sweep {p_sweep:.4} ± {se:.4} vs Markov {p_markov:.4}"
    );
}

/// `mode = "peak_shaving"`: the sets also run while the grid is whole but its import limit is
/// below the load (8 MW against 10 MW here). They start at once, run at no less than their
/// minimum loading (30 % of 15 MW = 4.5 MW, above the 2 MW the feed cannot carry), and the
/// feed takes the rest (5.5 MW); in the 10 s before they pick up, the 0.5 MW battery leaves
/// 1.5 MW unserved, which is dropped in transfer.
#[test]
fn peak_shaving_sets_run_while_the_feed_cannot_carry_the_load() {
    let mut g = gens(0.0, 0);
    g.mode = ridethrough::components::generators::GeneratorMode::PeakShaving;
    let time = TimeGrid::new(Duration::from_secs(60), Duration::from_hours(24)).unwrap();
    let site = Site::new(
        time,
        &GridParams::new(Power::mw(8.0)),
        &simple_battery(0.5, 0.5, 1.0),
        &constant_load(LOAD_MW),
    )
    .unwrap()
    .with_backup(Some(&g), None)
    .unwrap();
    let r = site
        .simulate(
            Policy::BackupOnly {
                recharge_rate_mw: Some(Power::ZERO),
            },
            1,
        )
        .run(&mut ())
        .report();
    let b = r.backup.as_ref().unwrap();
    let on_h = 24.0 - DELAY_S / 3600.0;
    assert_eq!(b.transfers, 1);
    assert!(close(b.generation_mwh, 4.5 * on_h), "{}", b.generation_mwh);
    assert!(close(b.transfer_unserved_mwh, 1.5 * DELAY_S / 3600.0));
    assert!(close(r.totals.unserved_mwh, 1.5 * DELAY_S / 3600.0));
    assert!(close(
        r.totals.import_mwh,
        8.0 * DELAY_S / 3600.0 + 5.5 * on_h
    ));
    assert_eq!(r.totals.curtailment_mwh, 0.0);
}

/// The Markov chain's probability that the islanded 7 MW site of the two survival tests (its
/// generator fleet, a 2 MWh lossless battery starting full) carries its load for 24 h: 1-minute
/// steps, 2 MWh in 240 bins of 1/120 MWh, so a 1 MW deficit for a minute drains exactly two
/// bins (no rounding bias).
fn markov_survival_24h(site: &Site) -> f64 {
    let params = MarkovSurvivalParams {
        generators: 0,
        rating: Power::mw(1.0),
        fail_to_start: Fraction::ZERO,
        failures_per_running_hour: 0.0,
        min_loading: Fraction::ZERO,
        energy: Energy::mwh(2.0),
        initial_energy: Energy::mwh(2.0),
        charge_power: Power::mw(10.0),
        discharge_power: Power::mw(10.0),
        charge_efficiency: Fraction::ONE,
        discharge_efficiency: Fraction::ONE,
        step: Duration::from_secs(60),
        bins: 240,
    }
    .with_fleet(&site.backup.as_ref().unwrap().generators);
    *MarkovSurvival::new(&params)
        .unwrap()
        .survival(&vec![Power::mw(7.0); 24 * 60])
        .unwrap()
        .last()
        .unwrap()
}

/// The generator fleet of the two survival cross-checks: 4 sets of 3 MW that start at once,
/// fail to start with probability 0.05, fail at 0.01 per running hour and are never repaired.
fn islanded_gens() -> GeneratorParams {
    toml::from_str(
        r#"
count = 4
rating_mw = 3.0
fail_to_start = 0.05
start_delay = "0s"
failures_per_running_hour = 0.01
min_loading = 0.0
fuel_l_per_mwh = 250.0
"#,
    )
    .unwrap()
}

/// Fast-forward with a backup chain: after an outage the chain may not be idle (a fuel delivery
/// on its way, a failed set being repaired), yet nothing it does changes a power flow while the
/// grid carries the site, so the engine jumps to the step of its next event instead of stepping
/// until then (on this scenario that saves 0–10 % of the stepped hours: most of them are the
/// outages themselves). The bundled backup-chain year at hourly steps, over seeds: the jumping
/// run reports what the stepped run reports, the chain's report bit for bit, deliveries
/// included, and skips more than 90 % of the year.
#[test]
fn fast_forward_jumps_to_the_chains_next_event() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/scenarios/austin_backup_chain.toml");
    let text = std::fs::read_to_string(path).unwrap();
    let study = Scenario::from_toml_str(&text)
        .and_then(Scenario::validate)
        .unwrap()
        .with_time(TimeGrid::new(Duration::from_hours(1), Duration::from_hours(8760)).unwrap())
        .unwrap();
    let site = study.site();
    let mut deliveries = 0;
    for seed in 1..=8 {
        let mut fast = site.simulate(*study.policy(), seed);
        fast.run(&mut ());
        let stepped = site
            .simulate(*study.policy(), seed)
            .set_fast_forward(false)
            .run(&mut ())
            .report();
        let fast_report = fast.report();
        assert_reports_agree(&fast_report, &stepped, &format!("seed {seed}"));
        assert_eq!(fast_report.backup, stepped.backup, "seed {seed}");
        let share = fast.steps_skipped() as f64 / site.time.steps() as f64;
        assert!(share > 0.9, "seed {seed}: {share} skipped");
        deliveries += stepped
            .backup
            .as_ref()
            .and_then(|b| b.fuel.map(|f| f.deliveries))
            .unwrap_or(0);
    }
    assert!(
        deliveries > 0,
        "no delivery in 8 years: the test does not test the jump"
    );
}

/// Block loading on sets already running: a training swing on diesel. IT swings between 5 MW
/// (1 MW a set) and 10 MW (2 MW a set) every 30 s; the five sets accept 0.8 MW a set at once
/// and one more block every 5 s; the battery gives at most 0.4 MW. Worked by hand:
///
/// * the grid fails at 1 h 0 min 35 s, in a 5 MW trough: 4.6 MW is dropped for the 10 s start
///   delay, then 5 − 4 − 0.4 = 0.6 MW for the 5 s until the sets accept a second block; the
///   transfer gap ends there, with 46 + 3 = 49 MW·s dropped in transfer;
/// * every swing up inside the outage (1:01:00, 1:02:00, …, 2:00:00: 60 of them) finds the sets
///   standing still at 1 MW: they accept 1.8 MW each at once, 10 − 9 − 0.4 = 0.6 MW is unserved
///   for 5 s, then 2.6 MW each carries the load: 60 loss-of-load events of 5 s and 3 MW·s.
///
/// The same at 1 s and 250 ms steps; with blocks as large as the rating only the start delay's
/// 46 MW·s is lost.
#[test]
fn a_load_step_on_running_sets_is_accepted_block_by_block() {
    let load: LoadParams = toml::from_str(
        "pue = 1.0\n[[it]]\nkind = \"training_swing\"\nhigh_mw = 10.0\nlow_mw = 5.0\n\
         period = \"60s\"\nduty = 0.5\nramp = \"0s\"\n",
    )
    .unwrap();
    let mut blocks = gens(0.0, 0);
    blocks.block_load_mw = Some(Power::mw(0.8));
    blocks.block_interval = Some(Duration::from_secs(5));
    let mut whole = gens(0.0, 0);
    whole.block_load_mw = Some(Power::mw(RATING_MW));
    let start: Duration = "1h35s".parse().unwrap();
    let site = |step: Duration, g: &GeneratorParams| {
        let grid = GridParams {
            scheduled_outages: vec![outage(start, Duration::from_hours(1))],
            ..GridParams::new(Power::mw(50.0))
        };
        Site::new(
            TimeGrid::new(step, Duration::from_hours(3)).unwrap(),
            &grid,
            &simple_battery(0.4, 1.0, 0.95),
            &load,
        )
        .unwrap()
        .with_backup(Some(g), None)
        .unwrap()
    };
    let mws = |mwh: f64| mwh * 3600.0;
    for step in [Duration::from_secs(1), Duration::from_millis(250)] {
        let r = run(&site(step, &blocks));
        let b = r.backup.as_ref().unwrap();
        assert!(close(mws(b.transfer_unserved_mwh), 49.0), "{step}: {b:?}");
        assert_eq!(b.transfer_drops.len(), 1, "{step}");
        assert_eq!(
            b.transfer_drops[0].duration,
            Duration::from_secs(15),
            "{step}"
        );
        assert!(
            close(mws(r.totals.unserved_mwh), 49.0 + 60.0 * 3.0),
            "{step}: {}",
            mws(r.totals.unserved_mwh)
        );
        // The swings' shortfalls: one 5 s event at each swing up, 0.6 MW deep.
        let swings: Vec<_> = r
            .loss_of_load
            .iter()
            .filter(|e| e.start.as_millis() > start.as_millis() + 15_000)
            .collect();
        assert_eq!(swings.len(), 60, "{step}");
        for (i, e) in swings.iter().enumerate() {
            let up = Duration::from_secs(3600 + 60 * (i as u64 + 1));
            assert_eq!(
                (e.start, e.duration),
                (up, Duration::from_secs(5)),
                "{step}"
            );
            assert!(close(mws(e.unserved_mwh), 3.0), "{step}: {e:?}");
        }
        assert!(r.totals.max_balance_residual_mw <= BALANCE_TOL_MW * 10.0);
        // Blocks as large as the rating: only the start delay loses load.
        let r = run(&site(step, &whole));
        assert!(close(mws(r.totals.unserved_mwh), 46.0), "{step}");
    }
}

/// The generator outage's record of `a_tank_runs_dry_to_the_millisecond`'s site: the sets carry
/// the 10 MW load from 10 s after the grid's loss until the 1.5 h tank is dry, so the record
/// holds 1.5 h carried, 15 MWh, the whole tank burnt, 1.5 h of autonomy at the start (the tank
/// over the burn rate while the sets ran) and none at the lowest level.
#[test]
fn a_generator_outage_records_its_fuel_and_autonomy() {
    let flow = f64::from(SETS) * (IDLE_L_PER_H + L_PER_MWH * LOAD_MW / f64::from(SETS));
    let fuel: FuelParams = toml::from_str(&format!("capacity_l = {}", 1.5 * flow)).unwrap();
    // The dry time is rounded up to a whole millisecond.
    let ms_h = 1.0 / 3.6e6;
    for step in steps() {
        let r = run(&site(step, 20.0, 5.0, &gens(0.0, 0), Some(&fuel)));
        let b = r.backup.as_ref().unwrap();
        assert_eq!(b.outages.len(), 1, "{step}");
        let o = &b.outages[0];
        assert_eq!(o.start, outage_start(), "{step}");
        assert_eq!(o.duration, Duration::from_hours(3), "{step}");
        assert!((o.carried_hours - 1.5).abs() <= ms_h, "{step}: {o:?}");
        assert!(close(o.fuel_burnt_l, 1.5 * flow), "{step}");
        assert!((o.generation_mwh - 15.0).abs() <= LOAD_MW * ms_h, "{step}");
        assert_eq!(o.fuel_start_l, Some(1.5 * flow));
        assert_eq!(
            (o.fuel_lowest_l, o.fuel_end_l),
            (Some(0.0), Some(0.0)),
            "{step}"
        );
        let start_h = o.autonomy_at_start_h().unwrap();
        assert!((start_h - 1.5).abs() <= 2.0 * ms_h, "{step}: {start_h}");
        assert_eq!(o.autonomy_at_lowest_h(), Some(0.0));
        // Hourly marks over the 3 h outage: at its start the full tank with nothing burning
        // yet (the sets start); at 1 h the tank less (1 h − 10 s) of burn, which lasts
        // 0.5 h + 10 s more; at 2 h dry and stopped.
        let m = &o.fuel_marks;
        assert_eq!(m.len(), 3, "{step}: {m:?}");
        for (i, mark) in m.iter().enumerate() {
            assert_eq!(
                mark.at,
                outage_start() + Duration::from_hours(i as u64),
                "{step}"
            );
        }
        assert_eq!(
            (m[0].fuel_l, m[0].autonomy_h()),
            (1.5 * flow, None),
            "{step}"
        );
        assert!(
            close(m[1].fuel_l, flow * (0.5 + DELAY_S / 3600.0)),
            "{step}: {m:?}"
        );
        assert!(close(m[1].burn_l_per_h, flow), "{step}");
        let left = m[1].autonomy_h().unwrap();
        assert!(close(left, 0.5 + DELAY_S / 3600.0), "{step}: {left}");
        assert_eq!((m[2].fuel_l, m[2].autonomy_h()), (0.0, None), "{step}");
    }
    // Without a fuel model the fuel is unlimited: no levels, no autonomy.
    let r = run(&site(
        Duration::from_hours(1),
        20.0,
        5.0,
        &gens(0.0, 0),
        None,
    ));
    let o = r.backup.unwrap().outages[0].clone();
    assert_eq!((o.fuel_start_l, o.autonomy_at_start_h()), (None, None));
    assert!(o.fuel_marks.is_empty());
    assert!(close(o.carried_hours, OUTAGE_H - DELAY_S / 3600.0));
    // A tank of 4 h at the burn rate outlasts the outage: its lowest level, at the end, is
    // 4 h − (3 h − 10 s) of burn, 1 h 10 s of autonomy.
    let big: FuelParams = toml::from_str(&format!("capacity_l = {}", 4.0 * flow)).unwrap();
    let r = run(&site(
        Duration::from_hours(1),
        20.0,
        5.0,
        &gens(0.0, 0),
        Some(&big),
    ));
    let o = &r.backup.as_ref().unwrap().outages[0];
    let lowest_h = 1.0 + DELAY_S / 3600.0;
    assert!(close(o.fuel_lowest_l.unwrap(), flow * lowest_h), "{o:?}");
    let left = o.autonomy_at_lowest_h().unwrap();
    assert!(close(left, lowest_h), "{left}");
}

/// `count` sets of `gens(0, 0)`'s figures under load-demand control.
fn load_demand_gens(count: u32, spare: u32, stop_delay: &str) -> GeneratorParams {
    let mut g = gens(0.0, 0);
    g.count = count;
    g.load_demand = Some(
        toml::from_str(&format!(
            "spare_sets = {spare}\nstop_delay = \"{stop_delay}\"\n"
        ))
        .unwrap(),
    );
    g
}

/// Load-demand control on the constant 10 MW site: six 3 MW sets all start at the grid's loss,
/// the control wants ⌈10/3⌉ + 1 = 5, so 5 min after the loss the sixth stops (an event inside
/// the step). By hand: 6 sets burn 6·50 + 250·10 = 2,800 L/h from pickup (10 s) to the stop
/// (300 s), then 5 sets burn 2,750 L/h to the end of the 3 h outage; run hours
/// 6·290 s + 5·(3 h − 300 s). Without the control all six run, burning 2,800 L/h throughout.
/// The same at 1 h, 7 min and 13 s steps.
#[test]
fn load_demand_stops_the_surplus_set_and_saves_its_idle_fuel() {
    let h = |s: f64| s / 3600.0;
    let (pickup, stop, end) = (DELAY_S, 300.0, OUTAGE_H * 3600.0);
    let burnt = 2_800.0 * h(stop - pickup) + 2_750.0 * h(end - stop);
    let run_h = 6.0 * h(stop - pickup) + 5.0 * h(end - stop);
    for step in steps() {
        let r = run(&site(step, 10.0, 25.0, &load_demand_gens(6, 1, "5m"), None));
        let b = r.backup.as_ref().unwrap();
        assert_eq!(b.generators.load_demand_stops, 1, "{step}");
        assert_eq!(b.generators.demands, 6, "{step}");
        assert!(
            close(b.fuel_burnt_l, burnt),
            "{step}: {} vs {burnt}",
            b.fuel_burnt_l
        );
        assert!(
            close(b.run_hours, run_h),
            "{step}: {} vs {run_h}",
            b.run_hours
        );
        assert!(close(b.generation_mwh, LOAD_MW * h(end - pickup)), "{step}");
        assert!(
            r.totals.unserved_mwh < 1e-9,
            "{step}: {}",
            r.totals.unserved_mwh
        );
        let mut all = load_demand_gens(6, 1, "5m");
        all.load_demand = None;
        let r = run(&site(step, 10.0, 25.0, &all, None));
        let b = r.backup.as_ref().unwrap();
        assert_eq!(b.generators.load_demand_stops, 0, "{step}");
        assert!(close(b.fuel_burnt_l, 2_800.0 * h(end - pickup)), "{step}");
    }
}

/// Load-demand control following a load that swings 10 ↔ 4 MW every 20 min (pue 1), five 3 MW
/// sets, no spare, a battery too small to matter, the grid out for 3 h from the start of a
/// high phase. By hand: all five start; the control wants 4 in high phases and 2 in low ones.
/// The fifth stops 5 min into the outage, two more 5 min into each of the four low phases
/// (9 stops); each rise back to 10 MW starts two standby sets (5 + 8 demands), and for their
/// 10 s start the two running sets leave 4 MW unserved: 4 × 40 MW·s after the 100 MW·s of
/// the transfer gap. With two spare sets the control never falls short: only the gap's
/// 100 MW·s. The same at 20 min, 1 min and 8 s steps (the 5 min stops fall inside 8 s
/// steps).
#[test]
fn load_demand_starts_standby_sets_when_the_load_rises() {
    let load: LoadParams = toml::from_str(
        "pue = 1.0\n[[it]]\nkind = \"training_swing\"\nhigh_mw = 10.0\nlow_mw = 4.0\n\
         period = \"40m\"\nduty = 0.5\nramp = \"0s\"\n",
    )
    .unwrap();
    let start = Duration::from_minutes(80);
    let site = |step: Duration, g: &GeneratorParams| {
        let grid = GridParams {
            scheduled_outages: vec![outage(start, Duration::from_hours(3))],
            ..GridParams::new(Power::mw(50.0))
        };
        Site::new(
            TimeGrid::new(step, Duration::from_hours(6)).unwrap(),
            &grid,
            &simple_battery(0.001, 0.001, 0.95),
            &load,
        )
        .unwrap()
        .with_backup(Some(g), None)
        .unwrap()
    };
    let mws = |mwh: f64| mwh * 3600.0;
    for step in [
        Duration::from_minutes(20),
        Duration::from_minutes(1),
        Duration::from_secs(8),
    ] {
        let r = run(&site(step, &load_demand_gens(5, 0, "5m")));
        let b = r.backup.as_ref().unwrap();
        assert_eq!(b.generators.load_demand_stops, 9, "{step}");
        assert_eq!(b.generators.demands, 13, "{step}");
        // The battery's 1 kW adds at most 0.01 MW·s to a 10 s event.
        assert!(
            (mws(b.transfer_unserved_mwh) - 100.0).abs() <= 0.0101,
            "{step}: {}",
            mws(b.transfer_unserved_mwh)
        );
        let late: Vec<_> = r
            .loss_of_load
            .iter()
            .filter(|e| e.start > start + Duration::from_secs(10))
            .collect();
        assert_eq!(late.len(), 4, "{step}: {late:?}");
        for (i, e) in late.iter().enumerate() {
            let rise = start + Duration::from_minutes(40 * (i as u64 + 1));
            assert_eq!(
                (e.start, e.duration),
                (rise, Duration::from_secs(10)),
                "{step}"
            );
            assert!(
                (mws(e.unserved_mwh) - 40.0).abs() <= 0.0101,
                "{step}: {e:?}"
            );
        }
        assert!(r.totals.max_balance_residual_mw <= BALANCE_TOL_MW * 10.0);
        let r = run(&site(step, &load_demand_gens(5, 2, "5m")));
        let b = r.backup.as_ref().unwrap();
        assert!(
            (mws(r.totals.unserved_mwh) - mws(b.transfer_unserved_mwh)).abs() < 1e-6,
            "{step}"
        );
        assert!(r
            .loss_of_load
            .iter()
            .all(|e| e.start <= start + Duration::from_secs(10)));
    }
}

/// Load-demand figures out of range are refused naming the field.
#[test]
fn bad_load_demand_tables_are_refused_with_the_field_named() {
    let time = TimeGrid::new(Duration::from_hours(1), Duration::from_hours(24)).unwrap();
    let base = || {
        Site::new(
            time,
            &GridParams::new(Power::mw(50.0)),
            &simple_battery(10.0, 20.0, 0.95),
            &constant_load(LOAD_MW),
        )
        .unwrap()
    };
    for (table, field) in [
        ("stop_delay = \"0s\"", "generators.load_demand.stop_delay"),
        ("stop_delay = \"25h\"", "generators.load_demand.stop_delay"),
        ("spare_sets = 10001", "generators.load_demand.spare_sets"),
    ] {
        let mut g = gens(0.0, 0);
        g.load_demand = Some(toml::from_str(table).unwrap());
        let err = base().with_backup(Some(&g), None).unwrap_err().to_string();
        assert!(err.contains(field), "{table}: {err}");
    }
    let unknown: Result<GeneratorParams, _> = toml::from_str(
        "count = 2\nrating_mw = 3.0\nfail_to_start = 0.0\nfailures_per_running_hour = 0.0\n\
         fuel_l_per_mwh = 250.0\n[load_demand]\nspares = 1\n",
    );
    assert!(unknown.unwrap_err().to_string().contains("spares"));
}

/// A user's policy that commands the sets: backup-only for the battery, two sets for the
/// outage's first 30 min, four until 2 h 30 min, none after.
#[derive(Debug, Clone, Default)]
struct TwoThenFour;

impl Dispatch for TwoThenFour {
    fn decide(&mut self, obs: &Observation) -> Power {
        Policy::default().decide(obs)
    }
    fn generators(&mut self, view: &GeneratorView) -> GeneratorCommand {
        let elapsed = view.time.as_millis() - view.outage_start().as_millis();
        assert!(view.running() + view.starting() + view.standby() <= view.sets());
        assert_eq!(view.rating(), Power::mw(RATING_MW));
        assert_eq!(view.fuel_l(), None);
        match elapsed {
            e if e < 30 * 60_000 => GeneratorCommand::Run(2),
            e if e < 150 * 60_000 => GeneratorCommand::Run(4),
            _ => GeneratorCommand::Run(0),
        }
    }
}

/// A policy's generator commands on the constant 10 MW site, the grid out for 3 h from 10:00.
/// By hand: sets 0 and 1 start at the loss and carry 6 MW from 10 s (the battery the other
/// 4 MW); at 30 min sets 2 and 3 start and carry from 30 min 10 s; at 2 h 30 min all four
/// stop and the battery carries the last 30 min alone. Fuel: 2·50 + 250·6 = 1,600 L/h for
/// 30 min, then 4·50 + 2,500 = 2,700 L/h for 2 h − 10 s; 4 demands, 4 commanded stops; the
/// battery delivers 10 MW·10 s + 4 MW·30 min (from 10 s to 30 min 10 s) + 10 MW·30 min. The
/// same at 30 min,
/// 1 min and 10 s steps (the commands fall on step starts).
#[test]
fn a_policy_commands_the_sets() {
    let start = Duration::from_hours(10);
    let site = |step: Duration| {
        let grid = GridParams {
            scheduled_outages: vec![outage(start, Duration::from_hours(3))],
            ..GridParams::new(Power::mw(50.0))
        };
        Site::new(
            TimeGrid::new(step, Duration::from_hours(24)).unwrap(),
            &grid,
            &simple_battery(10.0, 25.0, 0.95),
            &constant_load(LOAD_MW),
        )
        .unwrap()
        .with_backup(Some(&gens(0.0, 0)), None)
        .unwrap()
    };
    let h = |s: f64| s / 3600.0;
    let burnt = 1_600.0 * 0.5 + 2_700.0 * h(2.0 * 3600.0 - 10.0);
    let delivered = h(10.0 * 10.0 + 4.0 * 1800.0 + 10.0 * 1800.0);
    for step in [
        Duration::from_minutes(30),
        Duration::from_minutes(1),
        Duration::from_secs(10),
    ] {
        let site = site(step);
        let r = site.simulate(TwoThenFour, 1).run(&mut ()).report();
        let b = r.backup.as_ref().unwrap();
        assert_eq!(b.generators.demands, 4, "{step}");
        assert_eq!(b.generators.commanded_stops, 4, "{step}");
        assert_eq!(b.generators.load_demand_stops, 0, "{step}");
        assert!(
            close(b.fuel_burnt_l, burnt),
            "{step}: {} vs {burnt}",
            b.fuel_burnt_l
        );
        assert!(
            close(r.totals.discharge_mwh, delivered),
            "{step}: {}",
            r.totals.discharge_mwh
        );
        assert!(r.totals.unserved_mwh < 1e-12, "{step}");
        // Auto leaves every set to the site's control: all five run.
        let r = site.simulate(Policy::default(), 1).run(&mut ()).report();
        assert_eq!(r.backup.as_ref().unwrap().generators.demands, 5, "{step}");
    }
}

/// The backup chain's Monte Carlo indices on sites with nothing random (one scheduled outage,
/// sets that always start): every sample is the same, so each probability is exactly 0 or 1
/// with no standard error, and each count is the one run's. The 1.5 h tank of
/// [`a_tank_runs_dry_to_the_millisecond`] runs dry once, behind a 20 MW battery that bridges
/// the transfer; a tank of the whole outage never does, behind a 1 MW battery that drops
/// 9 MW for the 10 s start delay.
#[test]
fn monte_carlo_fuel_out_and_drop_indices_of_a_deterministic_outage_are_known() {
    use ridethrough::studies::montecarlo::{self, McConfig};
    let flow = f64::from(SETS) * (IDLE_L_PER_H + L_PER_MWH * LOAD_MW / f64::from(SETS));
    let mc = |site: &Site| {
        let mut cfg = McConfig::new(24, 5);
        cfg.threads = 2;
        let r = montecarlo::run(site, &Policy::default(), &cfg, &|_| {}).unwrap();
        r.indices.backup.expect("backup indices")
    };
    let exact = |what: &str, e: &ridethrough::studies::stats::Estimate, want: f64| {
        assert!(
            close(e.mean, want) && e.se == 0.0,
            "{what}: {e:?}, want {want}"
        );
    };
    let short: FuelParams = toml::from_str(&format!("capacity_l = {}", 1.5 * flow)).unwrap();
    let b = mc(&site(
        Duration::from_hours(1),
        20.0,
        5.0,
        &gens(0.0, 0),
        Some(&short),
    ));
    exact("fuel outs", &b.fuel_outs_per_sample, 1.0);
    exact("P(fuel out)", &b.fuel_out_probability, 1.0);
    exact("transfers", &b.transfers_per_sample, 1.0);
    exact("P(drop in transfer)", &b.transfer_drop_probability, 0.0);
    exact("starts", &b.starts_per_sample, f64::from(SETS));
    exact("fuel burnt", &b.fuel_burnt_l, 1.5 * flow);
    let whole: FuelParams = toml::from_str(&format!("capacity_l = {}", 4.0 * flow)).unwrap();
    let b = mc(&site(
        Duration::from_hours(1),
        1.0,
        25.0,
        &gens(0.0, 0),
        Some(&whole),
    ));
    exact("fuel outs", &b.fuel_outs_per_sample, 0.0);
    exact("P(fuel out)", &b.fuel_out_probability, 0.0);
    exact("P(drop in transfer)", &b.transfer_drop_probability, 1.0);
    exact(
        "dropped in transfer",
        &b.transfer_unserved_mwh,
        (LOAD_MW - 1.0) * DELAY_S / 3600.0,
    );
    exact("drop hours", &b.transfer_drop_hours, DELAY_S / 3600.0);
}

/// Discharges the whole demand (the battery first, the sets only once it is empty).
struct BatteryFirst;

impl Dispatch for BatteryFirst {
    fn decide(&mut self, obs: &Observation) -> Power {
        if obs.available_import > Power::ZERO {
            Power::ZERO
        } else {
            obs.demand
        }
    }
}

/// Sets that idle (no minimum loading) while the battery carries the load still burn their idle
/// fuel, and stop when the tank runs dry, not at the next step or event. By hand: the grid
/// fails for 3 h; the five sets run from 10 s at 5 × 50 L/h, so the 100 L tank is dry 24 min
/// later (5 × 24 min = 2 h of running); the 20 MW / 5 MWh battery at η_d 0.95 carries the
/// 10 MW load for 0.475 h (1,710 s), after which nothing does: 10 MW × (3 h − 1,710 s) =
/// 25.25 MWh unserved, and nothing generated. The same at 1 h, 7 min and 13 s steps (until
/// this test, a set stopped at the next span start: 2.36 h of running at 1 h steps, and a
/// millisecond of power from the dry tank).
#[test]
fn idle_sets_stop_when_their_tank_runs_dry() {
    let idle: GeneratorParams = toml::from_str(&format!(
        r#"
count = {SETS}
rating_mw = {RATING_MW}
fail_to_start = 0.0
failures_per_running_hour = 0.0
min_loading = 0.0
fuel_l_per_h_idle = {IDLE_L_PER_H}
fuel_l_per_mwh = {L_PER_MWH}
"#
    ))
    .unwrap();
    let fuel: FuelParams = toml::from_str("capacity_l = 100").unwrap();
    let carried_s = 5.0 * 0.95 / LOAD_MW * 3600.0;
    for step in steps() {
        let site = site(step, 20.0, 5.0, &idle, Some(&fuel));
        let r = site.simulate(BatteryFirst, 1).run(&mut ()).report();
        let b = r.backup.as_ref().unwrap();
        assert!(
            b.generators.run_ms.abs_diff(5 * 24 * 60_000) <= u64::from(SETS) * ONE_MS,
            "{step}: {} ms of running",
            b.generators.run_ms
        );
        assert_eq!(b.generation_mwh, 0.0, "{step}");
        assert!(close(b.fuel_burnt_l, 100.0), "{step}: {}", b.fuel_burnt_l);
        assert_eq!(b.fuel.unwrap().fuel_outs, 1, "{step}");
        let unserved = LOAD_MW * (OUTAGE_H * 3600.0 - carried_s) / 3600.0;
        assert!(
            (r.totals.unserved_mwh - unserved).abs() <= LOAD_MW * 2e-3 / 3600.0,
            "{step}: {}",
            r.totals.unserved_mwh
        );
        assert_eq!(r.loss_of_load.len(), 1, "{step}");
        let from = outage_start().as_millis() + (carried_s * 1000.0) as u64;
        assert!(
            r.loss_of_load[0].start.as_millis().abs_diff(from) <= ONE_MS,
            "{step}"
        );
    }
}

/// The tank runs dry at the very millisecond the battery fills: the sets stop there, not a
/// millisecond later on an empty tank. By hand: five 3 MW sets with no start delay run at
/// their 30 % minimum (4.5 MW) from the grid's failure (at 10:17:23.456, for 3 h, hourly steps)
/// against a 2 MW load; the 2.5 MW surplus fills the 5 MWh of room of a 10 MWh battery (η 1)
/// in exactly 2 h, and the 2,750 L tank at 5 × (50 + 250 × 0.9) = 1,375 L/h lasts exactly 2 h.
/// So 9 MWh generated, 2,750 L burnt, 10 h of running, nothing curtailed, and the battery
/// carries the 2 MW load for the last hour (2 MWh). Until this test, the tank that lasted
/// exactly its segment fed the sets one more millisecond (9.00000125 MWh generated).
#[test]
fn a_tank_that_runs_dry_as_the_battery_fills_stops_its_sets_there() {
    let gens: GeneratorParams = toml::from_str(&format!(
        r#"
count = {SETS}
rating_mw = {RATING_MW}
fail_to_start = 0.0
failures_per_running_hour = 0.0
start_delay = "0s"
min_loading = 0.3
fuel_l_per_h_idle = {IDLE_L_PER_H}
fuel_l_per_mwh = {L_PER_MWH}
"#
    ))
    .unwrap();
    let fuel: FuelParams = toml::from_str("capacity_l = 2750").unwrap();
    let time = TimeGrid::new(Duration::from_hours(1), Duration::from_hours(24)).unwrap();
    let grid = GridParams {
        scheduled_outages: vec![outage(outage_start(), Duration::from_hours(3))],
        ..GridParams::new(Power::mw(50.0))
    };
    let mut battery = simple_battery(20.0, 10.0, 1.0);
    battery.initial_soc = Some(Fraction::ratio(0.5));
    let site = Site::new(time, &grid, &battery, &constant_load(2.0))
        .unwrap()
        .with_backup(Some(&gens), Some(&fuel))
        .unwrap();
    let policy = Policy::BackupOnly {
        recharge_rate_mw: Some(Power::ZERO),
    };
    let r = site.simulate(policy, 1).run(&mut ()).report();
    let b = r.backup.as_ref().unwrap();
    assert!(close(b.generation_mwh, 9.0), "{}", b.generation_mwh);
    assert!(close(b.fuel_burnt_l, 2750.0), "{}", b.fuel_burnt_l);
    assert_eq!(b.fuel.unwrap().fuel_outs, 1);
    assert_eq!(b.generators.run_ms, u64::from(SETS) * 2 * 3_600_000);
    assert_eq!(r.totals.curtailment_mwh, 0.0);
    assert!(
        close(r.totals.discharge_mwh, 2.0),
        "{}",
        r.totals.discharge_mwh
    );
    assert_eq!(r.totals.unserved_mwh, 0.0);
}

/// Commands `first` sets for the outage's first hour, then `then`.
struct RunThen {
    first: u32,
    then: u32,
}

impl Dispatch for RunThen {
    fn decide(&mut self, obs: &Observation) -> Power {
        Policy::default().decide(obs)
    }
    fn generators(&mut self, view: &GeneratorView) -> GeneratorCommand {
        let elapsed = view.time.as_millis() - view.outage_start().as_millis();
        if elapsed < 3_600_000 {
            GeneratorCommand::Run(self.first)
        } else {
            GeneratorCommand::Run(self.then)
        }
    }
}

/// The grid out for `outage_h` from 10:00 over a day of `step`, a constant load, a battery of
/// `battery_mw` / 25 MWh (η_d 0.95), and the chain of `gens` (with `fuel`).
fn ten_oclock_site(
    step: Duration,
    outage_h: u64,
    battery_mw: f64,
    load_mw: f64,
    gens: &GeneratorParams,
    fuel: Option<&FuelParams>,
) -> Site {
    let grid = GridParams {
        scheduled_outages: vec![outage(
            Duration::from_hours(10),
            Duration::from_hours(outage_h),
        )],
        ..GridParams::new(Power::mw(50.0))
    };
    Site::new(
        TimeGrid::new(step, Duration::from_hours(24)).unwrap(),
        &grid,
        &simple_battery(battery_mw, 25.0, 0.95),
        &constant_load(load_mw),
    )
    .unwrap()
    .with_backup(Some(gens), fuel)
    .unwrap()
}

/// [`ten_oclock_site`] with the 3 h outage and the 10 MW battery of `a_policy_commands_the_sets`.
fn commanded_site(
    step: Duration,
    load_mw: f64,
    gens: &GeneratorParams,
    fuel: Option<&FuelParams>,
) -> Site {
    ten_oclock_site(step, 3, 10.0, load_mw, gens, fuel)
}

/// A command for fewer sets than run stops only the surplus: four sets carry the 10 MW load
/// from 10 s, at 1 h the policy wants two, so two stop (not four or six) and the battery
/// carries the other 4 MW for the last 2 h. By hand: generation 10 MW × (1 h − 10 s) +
/// 6 MW × 2 h; 4 demands, 2 commanded stops; the battery 10 MW × 10 s + 4 MW × 2 h.
#[test]
fn a_command_for_fewer_sets_stops_only_the_surplus() {
    let h = |s: f64| s / 3600.0;
    for step in [Duration::from_minutes(1), Duration::from_hours(1)] {
        let site = commanded_site(step, LOAD_MW, &gens(0.0, 0), None);
        let r = site
            .simulate(RunThen { first: 4, then: 2 }, 1)
            .run(&mut ())
            .report();
        let b = r.backup.as_ref().unwrap();
        assert_eq!(b.generators.demands, 4, "{step}");
        assert_eq!(b.generators.commanded_stops, 2, "{step}");
        assert!(
            close(b.generation_mwh, LOAD_MW * h(3600.0 - DELAY_S) + 6.0 * 2.0),
            "{step}: {}",
            b.generation_mwh
        );
        assert!(
            close(r.totals.discharge_mwh, LOAD_MW * h(DELAY_S) + 4.0 * 2.0),
            "{step}: {}",
            r.totals.discharge_mwh
        );
        assert!(r.totals.unserved_mwh < 1e-12, "{step}");
    }
}

/// Commands two sets, and checks the sets on standby (off, with fuel) and running the view
/// shows away from the events of `belly_tanks_feed_their_own_sets`: 3 on standby and 2
/// running while sets 0 and 1 run, 1 (set 4) and 2 once their tanks are dry and sets 2 and 3
/// run, none and 1 (set 4) once those are dry too; none starting; and the fuel left in the
/// five 800 L tanks.
struct BellyStandby {
    checks: std::sync::Arc<std::sync::atomic::AtomicU32>,
}

impl Dispatch for BellyStandby {
    fn decide(&mut self, obs: &Observation) -> Power {
        Policy::default().decide(obs)
    }
    fn generators(&mut self, view: &GeneratorView) -> GeneratorCommand {
        let elapsed_ms = view.time.as_millis() - view.outage_start().as_millis();
        let (min, s) = (elapsed_ms / 60_000, elapsed_ms as f64 / 1e3);
        // (standby, running, fuel left in litres): none starting between the events; each
        // running set burns 800 L/h from its pickup (10 s, 1 h 20 s, 2 h 30 s after the loss).
        let expect = match min {
            20..=50 => Some((3, 2, 4_000.0 - 1_600.0 * (s - 10.0) / 3600.0)),
            90..=119 => Some((1, 2, 2_400.0 - 1_600.0 * (s - 3_620.0) / 3600.0)),
            160..=179 => Some((0, 1, 800.0 - 800.0 * (s - 7_230.0) / 3600.0)),
            _ => None,
        };
        if let Some(n) = expect {
            let fuel = view.fuel_l().expect("a fuel model");
            // The two dry times before, each rounded up to a whole millisecond.
            assert!(
                (fuel - n.2).abs() < 1e-3,
                "{min} min: {fuel} L, by hand {}",
                n.2
            );
            assert_eq!(
                (view.standby(), view.running(), view.starting()),
                (n.0, n.1, 0),
                "{min} min into the outage: {} running, {} starting, {} sets, t {}",
                view.running(),
                view.starting(),
                view.sets(),
                view.time.as_millis()
            );
            self.checks
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        GeneratorCommand::Run(2)
    }
}

/// Belly tanks (`layout = "per_set"`): each set runs on its own tank. Two commanded sets carry
/// a 6 MW load at 3 MW each (50 + 250 × 3 = 800 L/h) and empty their 800 L tanks 1 h after
/// they pick up; the next two (full tanks) start then and last another hour; the last set runs
/// alone for the rest. By hand, from the loss at 10:00: sets 0 and 1 carry from 10 s to
/// 1 h 10 s, sets 2 and 3 from 1 h 20 s to 2 h 20 s, set 4 3 MW from 2 h 30 s to 3 h; the
/// battery 6 MW for the three 10 s gaps and 3 MW beside set 4. Four tanks run dry.
#[test]
fn belly_tanks_feed_their_own_sets() {
    let fuel: FuelParams = toml::from_str("layout = \"per_set\"\ncapacity_l = 800").unwrap();
    let h = |s: f64| s / 3600.0;
    let last = 3.0 * 3600.0 - 7_230.0;
    // Each dry time is rounded up to a whole millisecond: two of them move what follows.
    let near = |a: f64, b: f64, per_ms: f64| (a - b).abs() <= 2.0 * per_ms * h(1e-3) + 1e-9;
    for step in [Duration::from_minutes(1), Duration::from_hours(1)] {
        let site = commanded_site(step, 6.0, &gens(0.0, 0), Some(&fuel));
        let checks = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
        let policy = BellyStandby {
            checks: checks.clone(),
        };
        let r = site.simulate(policy, 1).run(&mut ()).report();
        if step < Duration::from_hours(1) {
            assert!(checks.load(std::sync::atomic::Ordering::Relaxed) > 60);
        }
        let b = r.backup.as_ref().unwrap();
        assert_eq!(b.generators.demands, 5, "{step}");
        assert_eq!(b.fuel.unwrap().fuel_outs, 4, "{step}");
        assert!(
            near(b.generation_mwh, 6.0 * 2.0 + 3.0 * h(last), 6.0),
            "{step}: {}",
            b.generation_mwh
        );
        assert!(
            near(b.fuel_burnt_l, 4.0 * 800.0 + 800.0 * h(last), 1_600.0),
            "{step}: {}",
            b.fuel_burnt_l
        );
        assert!(
            near(r.totals.discharge_mwh, 6.0 * h(30.0) + 3.0 * h(last), 6.0),
            "{step}: {}",
            r.totals.discharge_mwh
        );
        assert!(r.totals.unserved_mwh < 1e-12, "{step}");
        assert!(
            r.totals.import_mwh > 0.0 && r.totals.grid_impaired_hours == 3.0,
            "{step}"
        );
    }
}

/// The transfer switch (outage-only sets) needs a feed that is both impaired and short of the
/// load: a 20 MW feed derated to half still carries a 10 MW load (no transfer), and a whole
/// 10 MW feed short of a 12 MW load is a peak, not an outage (no transfer; the battery covers
/// the 2 MW). Derated to 0.45, the feed is short and the sets start.
#[test]
fn the_transfer_switch_needs_a_feed_both_impaired_and_short() {
    let run = |limit: f64, availability: f64, load: f64| {
        let mut derate = outage(Duration::from_hours(1), Duration::from_hours(1));
        derate.available_fraction = Fraction::ratio(availability);
        let grid = GridParams {
            scheduled_outages: vec![derate],
            ..GridParams::new(Power::mw(limit))
        };
        Site::new(
            TimeGrid::new(Duration::from_secs(60), Duration::from_hours(4)).unwrap(),
            &grid,
            &simple_battery(5.0, 10.0, 1.0),
            &constant_load(load),
        )
        .unwrap()
        .with_backup(Some(&gens(0.0, 0)), None)
        .unwrap()
        .simulate(Policy::default(), 1)
        .run(&mut ())
        .report()
    };
    let carried = run(20.0, 0.5, 10.0);
    assert_eq!(carried.backup.as_ref().unwrap().transfers, 0);
    assert_eq!(carried.totals.unserved_mwh, 0.0);
    let peak = run(10.0, 1.0, 12.0);
    assert_eq!(peak.backup.as_ref().unwrap().transfers, 0);
    assert_eq!(peak.backup.as_ref().unwrap().generation_mwh, 0.0);
    let short = run(20.0, 0.45, 10.0);
    assert_eq!(short.backup.as_ref().unwrap().transfers, 1);
}

/// Load-demand control counts only what the grid leaves to the sets: a 50 MW feed derated to
/// 0.1 carries 5 MW of the 10 MW load, so 2 sets (+ 1 spare) are wanted of the 6 started at
/// the loss, and 3 stop after the 5 min delay. By hand: running hours 6 × (300 − 10) s +
/// 3 × (3 h − 300 s).
#[test]
fn load_demand_counts_only_what_a_derated_feed_leaves() {
    let h = |s: f64| s / 3600.0;
    let mut derate = outage(outage_start(), Duration::from_hours(OUTAGE_H as u64));
    derate.available_fraction = Fraction::ratio(0.1);
    let grid = GridParams {
        scheduled_outages: vec![derate],
        ..GridParams::new(Power::mw(50.0))
    };
    for step in steps() {
        let site = Site::new(
            TimeGrid::new(step, Duration::from_hours(91)).unwrap(),
            &grid,
            &simple_battery(10.0, 25.0, 0.95),
            &constant_load(LOAD_MW),
        )
        .unwrap()
        .with_backup(Some(&load_demand_gens(6, 1, "5m")), None)
        .unwrap();
        let r = run(&site);
        let b = r.backup.as_ref().unwrap();
        assert_eq!(b.generators.demands, 6, "{step}");
        assert_eq!(b.generators.load_demand_stops, 3, "{step}");
        let run_h = 6.0 * h(300.0 - DELAY_S) + 3.0 * h(OUTAGE_H * 3600.0 - 300.0);
        assert!(
            close(b.run_hours, run_h),
            "{step}: {} vs {run_h}",
            b.run_hours
        );
        assert!(r.totals.unserved_mwh < 1e-9, "{step}");
    }
}

/// `Simulation::resume` checks the chain's part of a snapshot: a site without fuel tanks
/// resumes its own snapshot, and one whose chain part was edited (the tanks removed, a set
/// removed) is refused with the field named.
#[test]
fn a_snapshot_with_another_chain_is_refused_with_the_field_named() {
    let take = |fuel: Option<&FuelParams>| {
        let site = site(Duration::from_secs(60), 20.0, 25.0, &gens(0.0, 0), fuel);
        let mut sim = site.simulate(Policy::default(), 9);
        let k = (outage_start().as_millis() / 60_000) + 30;
        sim.run_until(&mut (), |row| row.step + 1 == k);
        (site.clone(), serde_json::to_value(sim.snapshot()).unwrap())
    };
    // No fuel model: its own snapshot resumes.
    let (site_a, snap) = take(None);
    let state: SimState<Policy> = serde_json::from_value(snap).unwrap();
    assert!(Simulation::resume(&site_a, state).is_ok());
    let fuel: FuelParams = toml::from_str("capacity_l = 10000").unwrap();
    let (site_b, snap) = take(Some(&fuel));
    let refused = |snap: serde_json::Value| {
        let state: SimState<Policy> = serde_json::from_value(snap).unwrap();
        match Simulation::resume(&site_b, state) {
            Ok(_) => panic!("an edited snapshot resumed"),
            Err(e) => e.to_string(),
        }
    };
    let mut no_tanks = snap.clone();
    no_tanks["backup"]["fuel"] = serde_json::Value::Null;
    let why = refused(no_tanks);
    assert!(why.contains("snapshot.backup.fuel"), "{why}");
    let mut one_set_less = snap;
    one_set_less["backup"]["generators"]["sets"]
        .as_array_mut()
        .unwrap()
        .pop();
    let why = refused(one_set_less);
    assert!(why.contains("snapshot.backup.generators"), "{why}");
}

/// A grid outage of exactly one hourly step, the sets starting 10 s into it: the span the
/// chain cuts at the sets' pickup ends inside a step whose end is the grid's return, and the
/// grid stays out after it. By hand: the sets carry the 10 MW load from 10 s to 1 h, the
/// battery the first 10 s; nothing is imported in the hour (the battery recharges after it).
/// The same at 1 h and 1 min steps.
/// (Until this test, at 1 h steps the span after the pickup read the grid as it stands at the
/// step's end, back, so the grid carried the site from 10 s and the sets nothing.)
#[test]
fn the_grid_stays_out_after_a_pickup_inside_a_step_that_ends_with_it() {
    let h = |s: f64| s / 3600.0;
    for step in [Duration::from_hours(1), Duration::from_minutes(1)] {
        let site = ten_oclock_site(step, 1, 10.0, LOAD_MW, &gens(0.0, 0), None);
        let r = run(&site);
        let b = r.backup.as_ref().unwrap();
        assert!(
            close(b.generation_mwh, LOAD_MW * h(3600.0 - DELAY_S)),
            "{step}: {}",
            b.generation_mwh
        );
        assert!(
            close(r.totals.discharge_mwh, LOAD_MW * h(DELAY_S)),
            "{step}"
        );
        assert!(
            // The other 23 h, and the recharge of what the gap drained (η_d 0.95, η_c 1).
            close(
                r.totals.import_mwh,
                LOAD_MW * 23.0 + LOAD_MW * h(DELAY_S) / 0.95
            ),
            "{step}: {}",
            r.totals.import_mwh
        );
        assert_eq!(r.totals.grid_impaired_hours, 1.0, "{step}");
    }
}

/// The transfer gap closes when the sets pick up, not when their last start attempt would have
/// ended: five sets (10 s start delay, two retries 30 s apart, none needed) against a 17 MW
/// load with a 1 MW battery. By hand: 16 MW dropped in transfer for 10 s; from the pickup
/// the sets' 15 MW and the battery's 1 MW leave 1 MW unserved, which is not a transfer drop
/// (the last attempt would have ended at 70 s). Every step of 1 min and 10 s.
#[test]
fn the_transfer_gap_closes_at_the_pickup() {
    let h = |s: f64| s / 3600.0;
    for step in [Duration::from_minutes(1), Duration::from_secs(10)] {
        let site = ten_oclock_site(step, 1, 1.0, 17.0, &gens(0.0, 2), None);
        let r = run(&site);
        let b = r.backup.as_ref().unwrap();
        assert!(
            close(b.transfer_unserved_mwh, 16.0 * h(DELAY_S)),
            "{step}: {}",
            b.transfer_unserved_mwh
        );
        assert!(close(b.transfer_drop_hours, h(DELAY_S)), "{step}");
        assert!(
            close(
                r.totals.unserved_mwh,
                16.0 * h(DELAY_S) + 1.0 * h(3600.0 - DELAY_S)
            ),
            "{step}: {}",
            r.totals.unserved_mwh
        );
    }
}

/// Load demand's stop delay counts from when a surplus began, and a surplus that ends before
/// the delay stops nothing: the swing of `load_demand_starts_standby_sets_when_the_load_rises`
/// (10 MW for 20 min, 4 MW for 20 min, the grid out 3 h from 80 min, no spare) with a 30 min
/// delay. By hand: all 5 sets start at the loss, 4 are wanted (a surplus from 80 min), 2 from
/// the fall at 100 min, so 3 stop at 110 min; at 120 min 2 start again (7 demands); every
/// later surplus (a fall) lasts 20 min before the next rise, under the delay: no more stops.
#[test]
fn load_demand_stops_only_a_surplus_that_outlasts_the_delay() {
    let load: LoadParams = toml::from_str(
        "pue = 1.0\n[[it]]\nkind = \"training_swing\"\nhigh_mw = 10.0\nlow_mw = 4.0\n\
         period = \"40m\"\nduty = 0.5\nramp = \"0s\"\n",
    )
    .unwrap();
    let grid = GridParams {
        scheduled_outages: vec![outage(Duration::from_minutes(80), Duration::from_hours(3))],
        ..GridParams::new(Power::mw(50.0))
    };
    for step in [Duration::from_minutes(20), Duration::from_secs(8)] {
        let site = Site::new(
            TimeGrid::new(step, Duration::from_hours(6)).unwrap(),
            &grid,
            &simple_battery(0.001, 0.001, 0.95),
            &load,
        )
        .unwrap()
        .with_backup(Some(&load_demand_gens(5, 0, "30m")), None)
        .unwrap();
        let b = run(&site).backup.unwrap();
        assert_eq!(b.generators.load_demand_stops, 3, "{step}");
        assert_eq!(b.generators.demands, 7, "{step}");
    }
}

/// Commands two sets and checks what the view shows at every later span start: with
/// `max_active`, that no more than that many sets run or start; with `none_left`, that every
/// set has been tried (none on standby) after the first look. Counts its looks in `looks`.
struct RunTwoAndCheck {
    max_active: u32,
    none_left: bool,
    looks: std::sync::Arc<std::sync::atomic::AtomicU32>,
    /// The most sets seen starting at one look.
    most_starting: std::sync::Arc<std::sync::atomic::AtomicU32>,
}

impl Dispatch for RunTwoAndCheck {
    fn decide(&mut self, obs: &Observation) -> Power {
        Policy::default().decide(obs)
    }
    fn generators(&mut self, view: &GeneratorView) -> GeneratorCommand {
        let looks = 1 + self
            .looks
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        assert!(
            view.running() + view.starting() <= self.max_active,
            "{} running, {} starting",
            view.running(),
            view.starting()
        );
        if self.none_left && looks > 1 {
            assert_eq!(view.standby(), 0, "look {looks}");
        }
        self.most_starting
            .fetch_max(view.starting(), std::sync::atomic::Ordering::Relaxed);
        GeneratorCommand::Run(2)
    }
}

/// A set whose start attempts are still under way counts as starting: commanded two sets
/// that never start (three attempts, 10 s delay, 30 s apart), the chain tries no third set
/// until their last attempts have ended, so at most two run or start at any look. A set that
/// fails at once (no delay, no retry) is not starting: the next set is tried in its place at
/// the same instant, so after the first look every set has been tried.
#[test]
fn a_set_still_attempting_its_start_counts_as_starting() {
    let run = |gens: &GeneratorParams, max_active: u32, none_left: bool| {
        let looks = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
        let most_starting = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
        let policy = RunTwoAndCheck {
            max_active,
            none_left,
            looks: looks.clone(),
            most_starting: most_starting.clone(),
        };
        let site = commanded_site(Duration::from_minutes(1), LOAD_MW, gens, None);
        let r = site.simulate(policy, 1).run(&mut ()).report();
        assert!(looks.load(std::sync::atomic::Ordering::Relaxed) > 3);
        let most = most_starting.load(std::sync::atomic::Ordering::Relaxed);
        (r.backup.unwrap().generators, most)
    };
    // 2 sets at the loss, 2 more when their attempts end at 70 s, the last at 140 s: two
    // starting at the looks in between.
    let mut never = gens(1.0, 2);
    let (counts, most) = run(&never, 2, false);
    assert_eq!((counts.demands, most), (5, 2));
    never.start_retries = Some(0);
    never.start_delay = Some(Duration::ZERO);
    let (counts, most) = run(&never, 0, true);
    assert_eq!((counts.failed_starts, most), (5, 0));
}
