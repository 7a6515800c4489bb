//! Tests pinned to something other than the program's own output: closed forms and small cases
//! computed by hand. Each names the bug it is there to catch (a mutant of the physics core that
//! every other test let pass).

use crate::common::{constant_load, outage, simple_battery, BALANCE_TOL_MW, ENERGY_TOL_MWH};
use ridethrough::components::battery::BatteryState;
use ridethrough::prelude::*;
use ridethrough::reliability::availability::{AvailabilityProcess, RenewalProcess};
use ridethrough::reliability::duration::DurationLaw;
use ridethrough::studies::montecarlo::{self, McConfig, DURATION_EDGES_H};
use ridethrough::studies::stats::{LogHistogram, BINS_PER_DECADE, HIST_MIN};

/// Powers computed by hand from a few exact operations, MW: rounding only.
const POWER_TOL_MW: f64 = 1e-9;
/// Energies after a few dozen multiplications by a per-step factor, MWh: rounding only
/// (relative 1e-12 of the tens of MWh involved, far below any physical effect tested).
const STEP_ENERGY_TOL_MWH: f64 = 1e-9;

/// A policy that always asks for the same battery power (positive = discharge).
#[derive(Debug, Clone, Copy)]
struct Ask(f64);

impl Dispatch for Ask {
    fn decide(&mut self, _: &Observation) -> Power {
        Power::mw(self.0)
    }
}

fn hours(n: u64) -> TimeGrid {
    TimeGrid::with_steps(Duration::from_hours(1), n).unwrap()
}

/// `steps` hourly steps of a constant `load_mw` load on a feed of `import_mw`, with `battery`.
fn site(steps: u64, import_mw: f64, battery: &BatteryParams, load_mw: f64) -> Site {
    Site::new(
        hours(steps),
        &GridParams::new(Power::mw(import_mw)),
        battery,
        &constant_load(load_mw),
    )
    .unwrap()
}

/// Asserts the step balance and that `row` has the given flows (MW).
fn assert_flows(row: &StepRecord, discharge: f64, charge: f64, import: f64, unserved: f64) {
    let scale = (row.facility_mw + row.aux_mw).max(1.0);
    assert!(
        row.balance_residual_mw().abs() <= BALANCE_TOL_MW * scale,
        "balance {row:?}"
    );
    for (what, got, want) in [
        ("discharge", row.discharge_mw, discharge),
        ("charge", row.charge_mw, charge),
        ("import", row.import_mw, import),
        ("unserved", row.unserved_mw, unserved),
    ] {
        assert!(
            (got - want).abs() < POWER_TOL_MW,
            "{what}: {got} ≠ {want} in {row:?}"
        );
    }
    assert!((0.0..=1.0).contains(&row.soc), "{row:?}");
}

// ---- the engine's clamp ---------------------------------------------------------------------

/// A 10 MW / 40 MWh unit (η_d = 0.9, η_c = 1) at SoC 0.5 on a 30 MW load, with `available` MW
/// of import: one step under a policy asking `request` MW.
fn one_step(available: f64, request: f64) -> StepRecord {
    let battery = BatteryParams {
        initial_soc: Some(Fraction::ratio(0.5)),
        ..simple_battery(10.0, 40.0, 0.9)
    };
    let site = site(2, available, &battery, 30.0);
    site.simulate(Ask(request), 0).step(&mut ()).unwrap()
}

#[test]
fn an_over_asking_policy_gets_the_power_limit() {
    // 20 MWh stored, η_d 0.9: 18 MW for an hour by energy, 10 MW by the power limit.
    for ask in [100.0, f64::INFINITY, f64::MAX] {
        // 30 MW of load, 10 from the battery, 20 from a 25 MW feed.
        assert_flows(&one_step(25.0, ask), 10.0, 0.0, 20.0, 0.0);
        // A 15 MW feed: 30 − 10 − 15 = 5 MW nobody can serve.
        assert_flows(&one_step(15.0, ask), 10.0, 0.0, 15.0, 5.0);
    }
}

#[test]
fn an_over_asking_charge_gets_the_grid_headroom() {
    // A 35 MW feed and 30 MW of load leave 5 MW of headroom: the battery may take 5 of the 10
    // MW it could absorb, and the load is still served.
    for ask in [-100.0, f64::NEG_INFINITY, -f64::MAX] {
        assert_flows(&one_step(35.0, ask), 0.0, 5.0, 35.0, 0.0);
        // No headroom at all: nothing is charged and nothing unserved is created.
        assert_flows(&one_step(30.0, ask), 0.0, 0.0, 30.0, 0.0);
        // A 25 MW feed: no headroom, and the battery's idleness leaves 5 MW unserved.
        assert_flows(&one_step(25.0, ask), 0.0, 0.0, 25.0, 5.0);
    }
}

#[test]
fn a_nan_request_is_treated_as_zero() {
    assert_flows(&one_step(35.0, f64::NAN), 0.0, 0.0, 30.0, 0.0);
    assert_flows(&one_step(25.0, f64::NAN), 0.0, 0.0, 25.0, 5.0);
    assert_flows(&one_step(25.0, -0.0), 0.0, 0.0, 25.0, 5.0);
}

#[test]
fn a_clamped_step_moves_exactly_the_energy_delivered() {
    let battery = BatteryParams {
        initial_soc: Some(Fraction::ratio(0.5)),
        ..simple_battery(10.0, 40.0, 0.9)
    };
    let site = site(3, 35.0, &battery, 30.0);
    let mut sim = site.simulate(Ask(f64::INFINITY), 0);
    sim.step(&mut ());
    // 10 MW for an hour drains 10/0.9 MWh from 20 MWh.
    let want = 20.0 - 10.0 / 0.9;
    assert!((sim.state().battery.energy.value() - want).abs() < STEP_ENERGY_TOL_MWH);
    let mut sim = site.simulate(Ask(f64::NEG_INFINITY), 0);
    sim.step(&mut ());
    // 5 MW of headroom for an hour at η_c = 1.
    assert!((sim.state().battery.energy.value() - 25.0).abs() < STEP_ENERGY_TOL_MWH);
}

// ---- export -----------------------------------------------------------------------------------

#[test]
fn export_is_the_excess_up_to_the_limit_and_the_rest_is_not_discharged() {
    // A 5 MW load, a 3 MW export limit, a 10 MW / 40 MWh unit (η_d = 0.9) asked for 10 MW. The
    // grid is out in step 2 (nothing may be exported then).
    let mut grid = GridParams::new(Power::mw(20.0));
    grid.export_limit_mw = Power::mw(3.0);
    grid.scheduled_outages
        .push(outage(Duration::from_hours(2), Duration::from_hours(1)));
    let battery = simple_battery(10.0, 40.0, 0.9);
    let site = Site::new(hours(4), &grid, &battery, &constant_load(5.0)).unwrap();
    for (ask, export) in [(10.0, 3.0), (7.0, 2.0), (5.0, 0.0), (f64::INFINITY, 3.0)] {
        let mut sim = site.simulate(Ask(ask), 0);
        let rows: Vec<StepRecord> = (0..4).map(|_| sim.step(&mut ()).unwrap()).collect();
        // Steps 0, 1, 3: the load plus min(excess, limit) is discharged; nothing is imported.
        for k in [0, 1, 3] {
            assert_flows(&rows[k], 5.0 + export, 0.0, 0.0, 0.0);
            assert!(
                (rows[k].export_mw - export).abs() < POWER_TOL_MW,
                "{:?}",
                rows[k]
            );
        }
        // Step 2, grid out: the load only, no export.
        assert_flows(&rows[2], 5.0, 0.0, 0.0, 0.0);
        assert_eq!(rows[2].export_mw, 0.0);
        // Only what was delivered was drained.
        let delivered = 3.0 * (5.0 + export) + 5.0;
        let want = 40.0 - delivered / 0.9;
        let got = sim.state().battery.energy.value();
        assert!((got - want).abs() < STEP_ENERGY_TOL_MWH, "{got} vs {want}");
        let r = sim.report();
        assert!((r.totals.export_mwh - 3.0 * export).abs() < ENERGY_TOL_MWH);
    }
}

/// An outage that splits steps: exported only while the feed is up, so a step half out records
/// half the export, its record the time-weighted mean of its two segments.
#[test]
fn a_step_split_by_an_outage_exports_only_while_the_feed_is_up() {
    // As above, the grid out from 2 h 30 min for an hour: steps 2 and 3 are each half out.
    let mut grid = GridParams::new(Power::mw(20.0));
    grid.export_limit_mw = Power::mw(3.0);
    grid.scheduled_outages
        .push(outage(Duration::from_minutes(150), Duration::from_hours(1)));
    let battery = simple_battery(10.0, 40.0, 0.9);
    let site = Site::new(hours(4), &grid, &battery, &constant_load(5.0)).unwrap();
    let mut sim = site.simulate(Ask(10.0), 0);
    let rows: Vec<StepRecord> = (0..4).map(|_| sim.step(&mut ()).unwrap()).collect();
    for (k, export, availability) in [(0, 3.0, 1.0), (1, 3.0, 1.0), (2, 1.5, 0.5), (3, 1.5, 0.5)] {
        let r = &rows[k];
        assert!(
            (r.export_mw - export).abs() < POWER_TOL_MW,
            "step {k}: {r:?}"
        );
        assert!(
            (r.availability - availability).abs() < 1e-12,
            "step {k}: {r:?}"
        );
        assert_flows(r, 5.0 + export, 0.0, 0.0, 0.0);
    }
    let r = sim.report();
    assert!((r.totals.export_mwh - 9.0).abs() < ENERGY_TOL_MWH);
}

// ---- charging near full ---------------------------------------------------------------------

#[test]
fn the_last_charging_step_stops_exactly_at_the_ceiling() {
    // 40 MWh, window ceiling 0.9 (36 MWh), from SoC 0.6 (24 MWh), 5 MW charge limit, η_c 0.95:
    // 4.75 MWh stored per full step: 28.75, 33.5, then the 2.5 MWh left take 2.5/0.95 MW.
    let battery = BatteryParams {
        initial_soc: Some(Fraction::ratio(0.6)),
        soc_max: Some(Fraction::ratio(0.9)),
        charge_efficiency: Some(Fraction::ratio(0.95)),
        ..simple_battery(5.0, 40.0, 0.9)
    };
    let site = site(5, 30.0, &battery, 10.0);
    let mut sim = site.simulate(Ask(f64::NEG_INFINITY), 0);
    let last = 2.5 / 0.95;
    let want = [
        (5.0, 28.75),
        (5.0, 33.5),
        (last, 36.0),
        (0.0, 36.0),
        (0.0, 36.0),
    ];
    for (charge, energy) in want {
        let row = sim.step(&mut ()).unwrap();
        assert_flows(&row, 0.0, charge, 10.0 + charge, 0.0);
        let e = sim.state().battery.energy.value();
        assert!((e - energy).abs() < STEP_ENERGY_TOL_MWH, "{e} vs {energy}");
        assert!(e <= 36.0 + STEP_ENERGY_TOL_MWH, "above the ceiling: {e}");
    }
    let r = sim.report();
    assert!((r.soc.last - 0.9).abs() < STEP_ENERGY_TOL_MWH / 40.0);
    let charged = 10.0 + last;
    assert!((r.totals.charge_mwh - charged).abs() < ENERGY_TOL_MWH);
    assert!((r.totals.charge_loss_mwh - 0.05 * charged).abs() < ENERGY_TOL_MWH);
}

// ---- the battery's units-down path ----------------------------------------------------------

/// Four 10 MWh units on an hourly grid, window 0.5..=1, self-discharge 50 % a day; each unit
/// fails at a random time (mean 2000 h) and then stays down for 10,000 h.
fn four_units() -> (Fleet, TimeGrid) {
    let params = BatteryParams {
        units: 4,
        soc_min: Some(Fraction::ratio(0.5)),
        self_discharge_per_day: Some(Fraction::ratio(0.5)),
        unit_failures: vec![AvailabilityProcess::Renewal(RenewalProcess::new(
            8760.0 / 2000.0,
            DurationLaw::Fixed {
                duration: Duration::from_hours(10_000),
            },
        ))],
        ..simple_battery(1.0, 10.0, 1.0)
    };
    (Fleet::new(&params).unwrap(), hours(20_000))
}

/// Steps the fleet's units (no flows, no self-discharge, so it stays full) until exactly one
/// unit is down at a step's start and stays down, alone, for 72 steps; returns the state at that
/// step (after its unit update) and the step.
fn first_single_failure(f: &Fleet, time: &TimeGrid) -> (BatteryState, u64) {
    let keep = 1.0;
    // The first seed (of a fixed list) whose first failure leaves three units up for 72 h: the
    // test needs that situation, not a particular seed.
    for seed in 0..64 {
        let mut s = f.initial_state(seed);
        for k in 0..time.steps() - 72 {
            f.update_units(&mut s, k, time);
            if f.units_up(&s) < 4 {
                let at = s.clone();
                let stays = (k + 1..k + 72).all(|j| {
                    f.apply_self_discharge(&mut s, keep);
                    f.update_units(&mut s, j, time);
                    f.units_up(&s) == 3 && f.mean_units_up(&s) == 3.0
                });
                if f.units_up(&at) == 3 && stays {
                    return (at, k);
                }
                break;
            }
            f.apply_self_discharge(&mut s, keep);
        }
    }
    panic!("no seed gave a single failure that lasts 72 h");
}

#[test]
fn self_discharge_with_a_unit_down_follows_the_closed_form() {
    let (f, time) = four_units();
    let (mut s, k0) = first_single_failure(&f, &time);
    // By hand: 50 % a day at hourly steps keeps 0.5^(1/24) per step.
    let keep = 0.5f64.powf(1.0 / 24.0);
    assert!((f.self_discharge_keep(time.step_hours()) - keep).abs() < 1e-15);
    // At the failure, the failed unit took a quarter of the energy.
    let total = s.energy.value() + f.locked_energy(&s).value();
    let (pool0, slot0) = (s.energy.value(), f.locked_energy(&s).value());
    assert!(
        (slot0 - total / 4.0).abs() < STEP_ENERGY_TOL_MWH,
        "{slot0} vs {total}/4"
    );
    // The fleet was full: 30 MWh pooled, 10 MWh locked.
    assert!(
        (pool0 - 30.0).abs() < STEP_ENERGY_TOL_MWH && (slot0 - 10.0).abs() < STEP_ENERGY_TOL_MWH
    );
    // Floors: the three pooled units' 3 × 5 MWh, the failed unit's 5 MWh.
    let (pool_floor, slot_floor) = (15.0, 5.0);
    // Decay towards the floors: n steps keep keep^n, never below the floor.
    for n in 1..=48u32 {
        let lost = f.apply_self_discharge(&mut s, keep).value();
        let pool = (pool0 * keep.powi(n as i32)).max(pool_floor);
        let slot = (slot0 * keep.powi(n as i32)).max(slot_floor);
        let got_pool = s.energy.value();
        let got_slot = f.locked_energy(&s).value();
        assert!(
            (got_pool - pool).abs() < STEP_ENERGY_TOL_MWH,
            "pool after {n}: {got_pool} vs {pool}"
        );
        assert!(
            (got_slot - slot).abs() < STEP_ENERGY_TOL_MWH,
            "slot after {n}: {got_slot} vs {slot}"
        );
        assert!(lost >= 0.0);
        f.update_units(&mut s, k0 + u64::from(n), &time);
    }
    // 24 steps at 50 % a day halve a full unit: both are at their floors.
    assert!((f.locked_energy(&s).value() - slot_floor).abs() < STEP_ENERGY_TOL_MWH);
    assert!((f.soc(&s).value() - 0.5).abs() < STEP_ENERGY_TOL_MWH / 40.0);
}

#[test]
fn a_failed_unit_stops_at_its_own_share_of_the_floor() {
    let (f, time) = four_units();
    let (mut s, k0) = first_single_failure(&f, &time);
    let keep = f.self_discharge_keep(time.step_hours());
    let slot0 = f.locked_energy(&s).value();
    // Above its floor (5 MWh = 10 MWh × 0.5) the slot decays from the first step.
    assert!(
        slot0 > 5.0 + 0.1,
        "the test needs a slot above its floor: {slot0}"
    );
    f.apply_self_discharge(&mut s, keep);
    assert!((f.locked_energy(&s).value() - slot0 * keep).abs() < STEP_ENERGY_TOL_MWH);
    for n in 1..72 {
        f.update_units(&mut s, k0 + n, &time);
        f.apply_self_discharge(&mut s, keep);
    }
    assert!((f.locked_energy(&s).value() - 5.0).abs() < STEP_ENERGY_TOL_MWH);
    assert!((s.energy.value() - 15.0).abs() < STEP_ENERGY_TOL_MWH);
}

// ---- Monte Carlo indices on cases whose answer is known -------------------------------------

/// The log histogram's documented resolution: one bin spans a factor `10^(1/BINS_PER_DECADE)`,
/// so a quantile or a bin centre lies within this relative distance of any value in its bin.
fn hist_resolution() -> f64 {
    10f64.powf(1.0 / BINS_PER_DECADE as f64) - 1.0
}

/// Relative tolerance of a histogram figure computed by hand from the bin edges: rounding only.
const HIST_FORMULA_TOL: f64 = 1e-12;
/// SoC at an outage's start after a recharge that ends at the ceiling: rounding only.
const SOC_AT_START_TOL: f64 = 1e-9;

fn assert_within_resolution(what: &str, got: f64, want: f64) {
    assert!(
        (got / want - 1.0).abs() <= hist_resolution(),
        "{what}: {got} is not within the histogram's resolution of {want}"
    );
}

fn assert_exact(what: &str, e: ridethrough::studies::stats::Estimate, mean: f64, se: f64) {
    let tol = POWER_TOL_MW * mean.abs().max(1.0);
    assert!(
        (e.mean - mean).abs() <= tol && (e.se - se).abs() <= tol,
        "{what}: {e:?}, want {mean} ± {se}"
    );
}

/// Ten days at hourly steps, a constant 10 MW load on a 20 MW feed, a 10 MW / 25 MWh unit
/// (η_d = 0.9, η_c = 1, starting full) recharging at 5 MW; the feed is out for 2 h from day 2
/// and for 6 h from day 5. No randomness: every Monte Carlo sample is the same.
///
/// By hand: the 2 h outage takes 2 × 10 MWh (22.2 MWh drained): carried. The battery is full
/// again after 22.2/5 h. The 6 h outage: 10 MW for 2 h, then the 2.78 MWh left give 10 MW for
/// another 15 minutes (2.78 × 0.9 / 10 h), then nothing: 37.5 MWh unserved over 3 h 45 min,
/// from 2:15 to 6:00 on day 5, one loss-of-load event touching 4 steps (122..=125, hours of
/// day 2..=5).
fn deterministic_site() -> (Site, Policy) {
    let mut grid = GridParams::new(Power::mw(20.0));
    grid.scheduled_outages = vec![
        outage(Duration::from_days(2), Duration::from_hours(2)),
        outage(Duration::from_days(5), Duration::from_hours(6)),
    ];
    let site = Site::new(
        hours(240),
        &grid,
        &simple_battery(10.0, 25.0, 0.9),
        &constant_load(10.0),
    )
    .unwrap();
    let policy = Policy::BackupOnly {
        recharge_rate_mw: Some(Power::mw(5.0)),
    };
    (site, policy)
}

#[test]
fn every_index_of_a_deterministic_site_is_known_by_hand() {
    let (site, policy) = deterministic_site();
    let n = 64u64;
    let r = montecarlo::run(&site, &policy, &McConfig::new(n, 7), &|_| {}).unwrap();
    let ix = &r.indices;
    assert_eq!(ix.samples, n);
    assert_eq!(ix.sample_hours, 240.0);
    let eue = 7.5 + 30.0;
    // PRAS-style: the 4 steps touched; the time itself: 3 h 45 min.
    assert_exact("LOLE", ix.lole_hours, 4.0, 0.0);
    assert_exact("loss-of-load time", ix.loss_of_load_hours, 3.75, 0.0);
    assert_exact("EUE", ix.eue_mwh, eue, 0.0);
    // Facility energy 10 MW × 240 h.
    assert_exact("EUE ppm", ix.eue_ppm, eue / 2400.0 * 1e6, 0.0);
    assert_exact("LOLF", ix.lolf, 1.0, 0.0);
    assert_exact("LOL duration", ix.lol_duration_mean_hours, 3.75, 0.0);
    assert_eq!(ix.lol_duration_mean_hours.n, n);
    // One 3.75 h event per sample: all in [2, 4).
    for b in &ix.lol_duration_distribution {
        let want = if b.from_hours == 2.0 { 1.0 } else { 0.0 };
        assert_eq!((b.share, b.se, b.n), (want, 0.0, n), "{b:?}");
    }
    // The bins are [DURATION_EDGES_H[i], DURATION_EDGES_H[i + 1]), the last one open.
    for d in [
        &ix.lol_duration_distribution,
        &ix.grid_outage_duration_distribution,
    ] {
        let edges: Vec<(f64, f64)> = d.iter().map(|b| (b.from_hours, b.to_hours)).collect();
        let mut want: Vec<(f64, f64)> = DURATION_EDGES_H.windows(2).map(|w| (w[0], w[1])).collect();
        want.push((DURATION_EDGES_H[DURATION_EDGES_H.len() - 1], f64::INFINITY));
        assert_eq!(edges, want);
    }
    // Hours of day 2..=5 lose load on one day of ten; January holds all 240 steps.
    for (h, e) in ix.lolp_by_hour.iter().enumerate() {
        let want = if (2..=5).contains(&h) { 0.1 } else { 0.0 };
        assert_exact(&format!("LOLP hour {h}"), *e, want, 0.0);
    }
    assert_exact("LOLP January", ix.lolp_by_month[0], 4.0 / 240.0, 0.0);
    for e in &ix.lolp_by_month[1..] {
        assert_exact("LOLP other months", *e, 0.0, 0.0);
    }
    // Every sample loses 37.5 MWh: each quantile and the CVaR lie in 37.5's bin, and their
    // spread (the SE from neighbouring quantiles) is less than one bin.
    for (what, q) in [
        ("P50", ix.unserved_p50_mwh),
        ("P90", ix.unserved_p90_mwh),
        ("P99", ix.unserved_p99_mwh),
        ("CVaR95", ix.unserved_cvar95_mwh),
    ] {
        assert_within_resolution(what, q.mean, eue);
        assert!(q.se <= hist_resolution() * eue, "{what}: {q:?}");
    }
    assert!(ix.unserved_cvar95_mwh.se <= HIST_FORMULA_TOL * eue);
    // Two outages per sample (2 h and 6 h), both starting full; one of the two carried.
    let events = 2 * n;
    let spread = 1.0 / ((events - 1) as f64).sqrt(); // s/√n of half 0s and half 1s, × 2
    assert_exact("outages", ix.grid_outages_per_sample, 2.0, 0.0);
    assert_exact("outage hours", ix.grid_outage_hours, 8.0, 0.0);
    assert_exact(
        "outage duration",
        ix.grid_outage_duration_mean_hours,
        4.0,
        2.0 * spread,
    );
    assert_exact("ride-through", ix.ride_through_share, 0.5, 0.5 * spread);
    assert_eq!(ix.ride_through_share.n, events);
    let soc = ix.soc_at_outage_start;
    assert!(
        (soc.mean - 1.0).abs() < SOC_AT_START_TOL && soc.se < SOC_AT_START_TOL,
        "{soc:?}"
    );
    for b in &ix.grid_outage_duration_distribution {
        let want = if b.from_hours == 2.0 || b.from_hours == 4.0 {
            0.5
        } else {
            0.0
        };
        assert!((b.share - want).abs() < HIST_FORMULA_TOL, "{b:?}");
        // The documented binomial SE, √(share·(1 − share)/n), over the 2n events.
        let se = (want * (1.0 - want) / events as f64).sqrt();
        assert!((b.se - se).abs() < HIST_FORMULA_TOL, "{b:?}, want se {se}");
        assert_eq!(b.n, events, "{b:?}");
    }
    // Equivalent full cycles of one run: (20 + 22.5) MWh delivered at η_d 0.9 over 25 MWh.
    let report = site.simulate(policy, 7).run(&mut ()).report();
    // The loss of load starts 2 h 15 min into the 6 h outage, to the millisecond.
    let lol = report.loss_of_load[0];
    assert_eq!(
        lol.start,
        Duration::from_days(5) + Duration::from_minutes(135)
    );
    assert_eq!(lol.duration, Duration::from_minutes(225));
    assert_eq!((lol.start_step, lol.end_step), (122, 126));
    let efc = (20.0 + 22.5) / 0.9 / 25.0;
    assert!(
        (report.equivalent_full_cycles - efc).abs() < ENERGY_TOL_MWH,
        "{}",
        report.equivalent_full_cycles
    );
    assert_eq!(report.outages_carried(), 1);
}

/// Five hourly steps of a 10 MW load on a feed behind one 10 MW supply unit that changes state
/// at every step boundary (a per-step chain with failure and repair probabilities 1), so its
/// only randomness is its state in step 0 (down with probability ½). A sample that starts down
/// loses load in steps 0, 2, 4 (30 MWh), one that starts up in steps 1, 3 (20 MWh): two kinds
/// of years, no battery.
fn two_point_site() -> (Site, Policy) {
    let mut grid = GridParams::new(Power::mw(10.0));
    grid.supply_units = vec![toml::from_str(
        "capacity_mw = 10.0\nprocesses = [{ model = \"markov_per_step\", failure_probability = 1.0, repair_probability = 1.0 }]",
    )
    .unwrap()];
    let site = Site::new(
        hours(5),
        &grid,
        &BatteryParams::none(),
        &constant_load(10.0),
    )
    .unwrap();
    (
        site,
        Policy::BackupOnly {
            recharge_rate_mw: None,
        },
    )
}

#[test]
fn quantiles_and_cvar_of_two_kinds_of_years_are_known_within_the_resolution() {
    let (site, policy) = two_point_site();
    let n = 1000u64;
    let mut cfg = McConfig::new(n, 11);
    cfg.keep_samples = true;
    let r = montecarlo::run(&site, &policy, &cfg, &|_| {}).unwrap();
    let samples = r.samples.unwrap();
    // Each sample is one of the two kinds; count them.
    let k = samples.iter().filter(|s| s.unserved_mwh > 25.0).count() as f64;
    for s in &samples {
        let kind_ok = (s.unserved_mwh - 30.0).abs() < ENERGY_TOL_MWH && s.loss_of_load_events == 3
            || (s.unserved_mwh - 20.0).abs() < ENERGY_TOL_MWH && s.loss_of_load_events == 2;
        assert!(kind_ok, "{s:?}");
    }
    let nf = n as f64;
    assert!(k > 0.3 * nf && k < 0.7 * nf, "both kinds occur: {k} of {n}");
    let ix = &r.indices;
    // Two-point laws: mean, and s/√n with s² = (a − b)² k (n − k) / (n (n − 1)).
    let two_point = |a: f64, b: f64| {
        let mean = (a * k + b * (nf - k)) / nf;
        let se = (a - b).abs() * (k * (nf - k) / (nf * (nf - 1.0))).sqrt() / nf.sqrt();
        (mean, se)
    };
    let (m, s) = two_point(30.0, 20.0);
    assert_exact("EUE", ix.eue_mwh, m, s);
    let (m, s) = two_point(3.0, 2.0);
    assert_exact("LOLE", ix.lole_hours, m, s);
    assert_exact("LOLF", ix.lolf, m, s);
    assert_exact("LOL duration", ix.lol_duration_mean_hours, 1.0, 0.0);
    assert_exact("outages", ix.grid_outages_per_sample, m, s);
    assert_exact("ride-through", ix.ride_through_share, 0.0, 0.0);
    // Quantiles: the lower n − k samples lose 20 MWh, the upper k lose 30.
    for (p, q) in [
        (0.5, ix.unserved_p50_mwh),
        (0.9, ix.unserved_p90_mwh),
        (0.99, ix.unserved_p99_mwh),
    ] {
        let want = if p * nf <= nf - k { 20.0 } else { 30.0 };
        assert_within_resolution(&format!("P{}", p * 100.0), q.mean, want);
    }
    // CVaR95: the worst 5 % (50 samples) are all 30 MWh years.
    let tail = 0.05 * nf;
    let worst = k.min(tail);
    let cvar = (worst * 30.0 + (tail - worst) * 20.0) / tail;
    assert_within_resolution("CVaR95", ix.unserved_cvar95_mwh.mean, cvar);
}

/// The edges of the log histogram's bin `b`, from its documented layout.
fn bin_edges(b: usize) -> (f64, f64) {
    let edge = |b: usize| HIST_MIN * 10f64.powf(b as f64 / BINS_PER_DECADE as f64);
    (edge(b), edge(b + 1))
}

#[test]
fn quantiles_interpolate_geometrically_inside_a_bin_and_not_at_all_in_the_zero_bin() {
    // 600 zeros and 400 copies of 37.5.
    let x = 37.5;
    let (zeros, copies) = (600.0, 400.0);
    let mut h = LogHistogram::default();
    for i in 0..1000 {
        h.push(if i < 600 { 0.0 } else { x });
    }
    // The zero bin has no width: every quantile whose rank falls in it is exactly 0, up to
    // and including the last zero.
    for p in [0.0, 0.1, 0.3, 0.59, 0.6] {
        assert_eq!(h.quantile(p), 0.0, "p = {p}");
    }
    // Inside 37.5's bin [lo, hi): lo·(hi/lo)^f with f the rank's fraction of the bin's count.
    let b = ((x / HIST_MIN).log10() * BINS_PER_DECADE as f64).floor() as usize;
    let (lo, hi) = bin_edges(b);
    assert!(lo <= x && x < hi);
    for p in [0.6 + 1e-9, 0.7, 0.9, 0.99, 1.0] {
        let f = (p * (zeros + copies) - zeros) / copies;
        let want = lo * (hi / lo).powf(f);
        let got = h.quantile(p);
        assert!(
            (got / want - 1.0).abs() < HIST_FORMULA_TOL,
            "p = {p}: {got} vs {want}"
        );
        assert_within_resolution("quantile", got, x);
    }
    // The tail mean takes the bin's geometric centre.
    let cvar = h.tail_mean(0.95);
    assert!(
        (cvar.mean / (lo * hi).sqrt() - 1.0).abs() < HIST_FORMULA_TOL,
        "{cvar:?}"
    );
    // A tail reaching into the zero bin: the worst 50 % are the 400 copies and 100 zeros.
    let half = h.tail_mean(0.5);
    let want = 400.0 * (lo * hi).sqrt() / 500.0;
    assert!(
        (half.mean / want - 1.0).abs() < HIST_FORMULA_TOL,
        "{half:?}"
    );
}

#[test]
fn a_fleet_serialises_its_unit_failures_only_when_it_has_some() {
    // Catches a fleet whose report always (or never) lists the units' failure processes.
    let plain = Fleet::new(&BatteryParams::preset(Preset::Megapack2Xl4h, 4)).unwrap();
    let json = serde_json::to_value(&plain).unwrap();
    assert!(json.get("unit_failures").is_none(), "{json}");
    let mut p = BatteryParams::preset(Preset::Megapack2Xl4h, 4);
    p.unit_failures = vec![AvailabilityProcess::Renewal(RenewalProcess::new(
        2.0,
        DurationLaw::Fixed {
            duration: Duration::from_hours(3),
        },
    ))];
    let failing = Fleet::new(&p).unwrap();
    let json = serde_json::to_value(&failing).unwrap();
    let listed = json["unit_failures"].as_array().expect("listed");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["events_per_year"], 2.0, "{json}");
}

#[test]
fn units_that_start_down_hold_their_energy_from_the_first_step() {
    // Markov units start in their steady state: with 90 % unavailability nearly every unit is
    // down at t = 0, and its share of the energy must be locked at the first step's start (a
    // fleet that only noticed at the second step would serve step 0 from the whole energy).
    let mut b = simple_battery(1.0, 4.0, 1.0);
    b.units = 20;
    b.unit_failures = vec![AvailabilityProcess::Markov {
        mttf: Duration::from_hours(1_000),
        mttr: Duration::from_hours(9_000),
    }];
    let s = site(2, 100.0, &b, 10.0);
    let initial = s.battery.initial_state(0).energy;
    for seed in 0..10 {
        let mut sim = s.simulate(Ask(0.0), seed);
        sim.step(&mut ());
        let st = &sim.state().battery;
        let up = s.battery.units_up(st);
        assert!(up < 20, "seed {seed}: all 20 units up after step 0");
        let locked = s.battery.locked_energy(st);
        assert!(
            (st.energy + locked - initial).value().abs() < ENERGY_TOL_MWH,
            "seed {seed}: energy not conserved"
        );
        let want = initial * (f64::from(up) / 20.0);
        assert!(
            (st.energy - want).value().abs() < ENERGY_TOL_MWH,
            "seed {seed}: pool {} with {up} units up, want {}",
            st.energy,
            want
        );
    }
}

#[test]
fn an_empty_fleet_cannot_fail() {
    let mut b = simple_battery(1.0, 4.0, 1.0);
    b.units = 0;
    b.unit_failures = vec![AvailabilityProcess::Markov {
        mttf: Duration::from_hours(10),
        mttr: Duration::from_hours(10),
    }];
    let fleet = Fleet::new(&b).unwrap();
    assert!(!fleet.has_unit_failures());
    // No unit state: a snapshot of it is a plain fleet's.
    let json = serde_json::to_value(fleet.initial_state(3)).unwrap();
    assert!(json["units"].is_null(), "{json}");
}

#[test]
fn usable_energy_is_the_window_between_floor_and_ceiling() {
    // 4 units of 10 MWh with a 10 %..90 % window: 0.8 × 40 MWh usable, by hand.
    let mut b = simple_battery(1.0, 10.0, 1.0);
    b.units = 4;
    b.soc_min = Some(Fraction::ratio(0.1));
    b.soc_max = Some(Fraction::ratio(0.9));
    b.initial_soc = Some(Fraction::ratio(0.9));
    b.reserve_soc = Some(Fraction::ratio(0.1));
    b.charge_power_mw = Some(Power::mw(0.5));
    let fleet = Fleet::new(&b).unwrap();
    assert!((fleet.usable_energy().value() - 32.0).abs() < ENERGY_TOL_MWH);
    assert!((fleet.min_energy().value() - 4.0).abs() < ENERGY_TOL_MWH);
    assert!((fleet.max_energy().value() - 36.0).abs() < ENERGY_TOL_MWH);
    assert!((fleet.reserve_energy().value() - 4.0).abs() < ENERGY_TOL_MWH);
    assert!((fleet.max_charge_power().value() - 2.0).abs() < POWER_TOL_MW);
    assert!((fleet.max_discharge_power().value() - 4.0).abs() < POWER_TOL_MW);
}

#[test]
fn peak_shaving_stops_at_the_backup_reserve() {
    // 90 MW load, cap 60 MW, one 50 MW / 100 MWh unit at η = 1 with a 40 % reserve, full: it
    // shaves 30 MW for two hours (60 MWh above the reserve), then holds the reserve and the grid
    // carries all 90 MW. Catches a policy that sees no reserve (or the wrong one).
    let mut b = simple_battery(50.0, 100.0, 1.0);
    b.reserve_soc = Some(Fraction::ratio(0.4));
    let s = site(5, 100.0, &b, 90.0);
    let policy = Policy::PeakShaving {
        import_cap_mw: Power::mw(60.0),
        recharge_rate_mw: None,
    };
    let mut sim = s.try_simulate(policy, 0).unwrap();
    let rows: Vec<StepRecord> = (0..5).map(|_| sim.step(&mut ()).unwrap()).collect();
    for row in &rows[..2] {
        assert_flows(row, 30.0, 0.0, 60.0, 0.0);
    }
    for row in &rows[2..] {
        assert_flows(row, 0.0, 0.0, 90.0, 0.0);
    }
    let e = sim.state().battery.energy.value();
    assert!((e - 40.0).abs() < ENERGY_TOL_MWH, "{e} MWh left");
}

#[test]
fn with_units_down_the_floors_scale_with_the_units_pooled() {
    // 20 units of 4 MWh (power far from binding), soc_min 10 %, reserve 30 %, η_d = 0.9; most
    // units down after the first step (90 % unavailability). The energy above the reserve and
    // above the window floor is that of the pooled units only: floor × pooled / units.
    let mut b = simple_battery(1_000.0, 4.0, 0.9);
    b.units = 20;
    b.soc_min = Some(Fraction::ratio(0.1));
    b.reserve_soc = Some(Fraction::ratio(0.3));
    b.unit_failures = vec![AvailabilityProcess::Markov {
        mttf: Duration::from_hours(1_000),
        mttr: Duration::from_hours(9_000),
    }];
    let s = site(2, 100.0, &b, 10.0);
    let fleet = &s.battery;
    let dt = Hours::h(1.0);
    for seed in 0..5 {
        let mut sim = s.simulate(Ask(0.0), seed);
        sim.step(&mut ());
        let st = &sim.state().battery;
        let f = f64::from(fleet.units_up(st)) / 20.0;
        assert!(f < 1.0, "seed {seed}: no unit down");
        let e = st.energy.value();
        let above_reserve = (e - 0.3 * 80.0 * f) * 0.9;
        let above_floor = (e - 0.1 * 80.0 * f) * 0.9;
        let got = fleet
            .max_discharge_above(st, fleet.reserve_energy(), dt)
            .value();
        assert!(
            (got - above_reserve).abs() < POWER_TOL_MW,
            "seed {seed}: {got} vs {above_reserve}"
        );
        let got = fleet.max_discharge(st, dt).value();
        assert!(
            (got - above_floor).abs() < POWER_TOL_MW,
            "seed {seed}: {got} vs {above_floor}"
        );
    }
}

/// Moments merged from unequal parts equal those pushed one by one and the two-pass closed form:
/// mean `Σx/n` and variance `Σ(x − mean)²/(n − 1)`. Catches a wrong weight in Chan's merge term
/// `d²·n₁n₂/n` (`/` → `%` or `*`, `*` → `+`), which the thread-count tests cannot see because
/// every thread count merges with the same formula.
#[test]
fn merged_moments_equal_the_two_pass_mean_and_variance() {
    use ridethrough::studies::stats::Moments;
    let xs: Vec<f64> = (0..40)
        .map(|i| ((i * 37) % 11) as f64 * 1.5 + i as f64)
        .collect();
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    for cuts in [
        vec![1, 4, 13, 40],
        vec![20, 40],
        vec![3, 7, 8, 30, 40],
        vec![39, 40],
    ] {
        let mut merged = Moments::default();
        let mut from = 0;
        for to in cuts.iter().copied() {
            let mut part = Moments::default();
            for &x in &xs[from..to] {
                part.push(x);
            }
            merged.merge(&part);
            from = to;
        }
        let e = merged.estimate();
        assert_eq!(merged.count(), 40);
        assert!(
            (e.mean - mean).abs() <= 1e-12 * mean.abs(),
            "{cuts:?}: {e:?}"
        );
        assert!(
            (merged.variance() - var).abs() <= 1e-12 * var,
            "{cuts:?}: {} against {var}",
            merged.variance()
        );
        assert!((e.se - (var / n).sqrt()).abs() <= 1e-12 * e.se, "{cuts:?}");
    }
}

/// The smallest samples: no variance below two observations, and two give `(x₁ − x₂)²/2`
/// (catches `n < 2` → `n <= 2` or `n == 2` in `Moments::variance`).
#[test]
fn two_observations_have_a_variance_and_one_has_none() {
    use ridethrough::studies::stats::Moments;
    let mut m = Moments::default();
    assert_eq!((m.variance(), m.estimate().se), (0.0, 0.0));
    m.push(1.0);
    assert_eq!((m.variance(), m.estimate().se), (0.0, 0.0));
    m.push(3.0);
    assert_eq!(m.variance(), 2.0);
    assert_eq!(m.estimate().se, 1.0);
    assert_eq!(m.estimate().mean, 2.0);
}

/// The relative SE's three cases, and the estimate's text at the default and a given precision.
#[test]
fn an_estimate_reports_its_relative_se_and_prints_mean_se_and_count() {
    use ridethrough::studies::stats::Estimate;
    let e = |mean, se| Estimate { mean, se, n: 4 };
    assert_eq!(e(-2.0, 0.5).relative_se(), 0.25);
    assert_eq!(e(0.0, 0.0).relative_se(), 0.0);
    assert_eq!(e(0.0, 0.1).relative_se(), f64::INFINITY);
    assert_eq!(format!("{}", e(1.5, 0.25)), "1.500 ± 0.250 (n = 4)");
    assert_eq!(format!("{:.1}", e(-1.25, 0.04)), "-1.2 ± 0.0 (n = 4)");
}

// ---- the `Dispatch` trait's defaults ---------------------------------------------------------

/// A policy that declares nothing is stepped every step, even where the demand is zero: the
/// trait's `idle_below` is `None`, so the engine never takes its charging request of 1 MW for
/// idleness (catches the default → `Some(0 MW)`, under which a zero demand is "idle" and the
/// ten hours are skipped without charging). By hand: 20 MWh + 10 × 1 MWh at η_c = 1.
#[test]
fn a_policy_that_declares_nothing_is_stepped_even_at_zero_demand() {
    let battery = BatteryParams {
        initial_soc: Some(Fraction::ratio(0.5)),
        ..simple_battery(10.0, 40.0, 0.9)
    };
    let site = site(10, 50.0, &battery, 0.0);
    let mut sim = site.simulate(Ask(-1.0), 0);
    sim.run(&mut ());
    assert_eq!(sim.steps_skipped(), 0);
    let r = sim.report();
    assert!(
        (r.totals.charge_mwh - 10.0).abs() <= STEP_ENERGY_TOL_MWH,
        "{}",
        r.totals.charge_mwh
    );
    assert!(
        (r.totals.import_mwh - 10.0).abs() <= STEP_ENERGY_TOL_MWH,
        "{}",
        r.totals.import_mwh
    );
}

/// A policy that declares nothing starts in steady state and keeps no ramp limit: on a
/// constant 30 MW load that the grid carries alone, the import never changes, from before the
/// first step on, and the report names no limit (catches the trait's `initial_import` →
/// `Some(0 MW)`, a 30 MW rise in the first hour, and `ramp_limit` → `Some(0 MW/s)`).
#[test]
fn a_policy_that_declares_nothing_starts_in_steady_state_with_no_ramp_limit() {
    let site = site(5, 50.0, &simple_battery(10.0, 40.0, 0.9), 30.0);
    let mut sim = site.simulate(Ask(0.0), 0);
    sim.run(&mut ());
    let ramps = sim.report().grid_ramps;
    assert_eq!(ramps.max_up_mw_per_s, 0.0, "{ramps:?}");
    assert_eq!(ramps.max_down_mw_per_s, 0.0, "{ramps:?}");
    assert_eq!(ramps.limit_mw_per_s, None, "{ramps:?}");
    assert_eq!(ramps.steps_over_limit, 0, "{ramps:?}");
}

// ---- the report's storage balance -----------------------------------------------------------

/// The storage balance residual is computed from the report's own figures, so an error in any
/// of them shows: zero (to rounding) on a real report of a 40 MWh battery that discharges
/// and loses energy, then −1 MWh with 1 MWh more charge on paper, +1 MWh with 1 MWh more
/// losses, and +4 MWh with the final SoC 0.1 higher (catches the residual → 0).
#[test]
fn the_storage_balance_residual_shows_a_figure_that_does_not_add_up() {
    let battery = BatteryParams {
        initial_soc: Some(Fraction::ratio(0.5)),
        ..simple_battery(10.0, 40.0, 0.9)
    };
    let r = site(3, 50.0, &battery, 30.0)
        .simulate(Ask(5.0), 0)
        .run(&mut ())
        .report();
    assert!(
        r.totals.discharge_mwh > 10.0 && r.battery_losses_mwh > 1.0,
        "{r:?}"
    );
    assert!(r.storage_balance_residual_mwh().abs() <= STEP_ENERGY_TOL_MWH);
    let off = |edit: &dyn Fn(&mut Report)| {
        let mut wrong = r.clone();
        edit(&mut wrong);
        wrong.storage_balance_residual_mwh()
    };
    let near = |a: f64, b: f64| (a - b).abs() <= STEP_ENERGY_TOL_MWH;
    assert!(near(off(&|w| w.totals.charge_mwh += 1.0), -1.0));
    assert!(near(off(&|w| w.battery_losses_mwh += 1.0), 1.0));
    assert!(near(off(&|w| w.soc.last += 0.1), 4.0));
}

// ---- the outage line ------------------------------------------------------------------------

/// A derate is a grid outage only below `1 − OUTAGE_EPSILON` of the import: one exactly on the
/// line is rounding (no event, no impaired time), one a step further is a 2-hour event, stepped
/// or fast-forwarded (catches the unsplit step's test `availability < 1 − ε` → `<=`).
#[test]
fn a_derate_exactly_on_the_outage_line_is_no_outage() {
    use ridethrough::engine::report::OUTAGE_EPSILON;
    for (fraction, events) in [(1.0 - OUTAGE_EPSILON, 0), (1.0 - 2.0 * OUTAGE_EPSILON, 1)] {
        let grid = GridParams {
            scheduled_outages: vec![ScheduledOutage {
                start: Duration::from_hours(2),
                duration: Duration::from_hours(2),
                available_fraction: Fraction::ratio(fraction),
            }],
            ..GridParams::new(Power::mw(50.0))
        };
        let site = Site::new(
            hours(6),
            &grid,
            &simple_battery(10.0, 40.0, 0.9),
            &constant_load(10.0),
        )
        .unwrap();
        for ff in [false, true] {
            let r = site
                .simulate(Policy::default(), 0)
                .set_fast_forward(ff)
                .run(&mut ())
                .report();
            assert_eq!(r.grid_outages.len(), events, "{fraction} ff {ff}");
            assert_eq!(
                r.totals.grid_impaired_hours,
                2.0 * events as f64,
                "{fraction} ff {ff}"
            );
        }
    }
}
