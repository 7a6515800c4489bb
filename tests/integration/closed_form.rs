//! Closed-form ride-through checks: constant load L, usable energy E, discharge efficiency η.
//! The battery carries the load for E·η/L hours; over an outage of D hours the unserved energy
//! is L·(D − E·η/L). Exact energy accounting makes this exact whenever the outage is aligned
//! with the steps; the ride-through time is resolved to one step.

use crate::common::*;
use ridethrough::prelude::*;

const L: f64 = 10.0;
const E: f64 = 25.0;
const ETA: f64 = 0.95;

fn run(step: Duration, outage_h: u64) -> Report {
    let time = TimeGrid::new(step, Duration::from_days(3)).unwrap();
    let grid = GridParams {
        scheduled_outages: vec![outage(
            Duration::from_days(1),
            Duration::from_hours(outage_h),
        )],
        ..GridParams::new(Power::mw(50.0))
    };
    let site = Site::new(
        time,
        &grid,
        &simple_battery(20.0, E, ETA),
        &constant_load(L),
    )
    .unwrap();
    let mut sim = site.simulate(Policy::default(), 1);
    sim.run(&mut ()).report()
}

#[test]
fn unserved_energy_matches_closed_form_at_minute_and_hour_steps() {
    let ride_through_h = E * ETA / L; // 2.375 h
    let d = 4.0;
    let expected = L * (d - ride_through_h); // 16.25 MWh
    for step in [Duration::from_minutes(1), Duration::from_hours(1)] {
        let r = run(step, 4);
        // Exact accounting: only rounding separates the result from the closed form.
        assert!(
            (r.totals.unserved_mwh - expected).abs() < ENERGY_TOL_MWH,
            "step {step}: unserved {} vs {expected}",
            r.totals.unserved_mwh
        );
        assert_eq!(r.loss_of_load.len(), 1, "step {step}");
        let lol = r.loss_of_load[0];
        let start_h = lol.start.hours().value() - 24.0;
        // The ride-through time is resolved to one step.
        assert!(
            (start_h - ride_through_h).abs() <= step.hours().value(),
            "step {step}: load lost after {start_h} h, closed form {ride_through_h} h"
        );
        assert_eq!(r.grid_outages.len(), 1);
        assert!(!r.grid_outages[0].carried_through);
        assert!(r.soc.min.abs() < 1e-9, "the battery is emptied");
    }
}

#[test]
fn an_outage_shorter_than_the_ride_through_time_is_carried() {
    for step in [Duration::from_minutes(1), Duration::from_hours(1)] {
        let r = run(step, 2);
        assert_eq!(r.totals.unserved_mwh, 0.0);
        assert!(r.loss_of_load.is_empty());
        assert!(r.grid_outages[0].carried_through);
        // 2 h at 10 MW drains 20/0.95 MWh of 25: SoC bottoms at 1 − 21.05/25.
        let expected_min = 1.0 - 2.0 * L / ETA / E;
        assert!((r.grid_outages[0].min_soc - expected_min).abs() < 1e-9);
    }
}

#[test]
fn minute_and_hour_steps_agree_within_one_step() {
    for d in [1, 3, 5, 8] {
        let fine = run(Duration::from_minutes(1), d).totals.unserved_mwh;
        let coarse = run(Duration::from_hours(1), d).totals.unserved_mwh;
        assert!(
            (fine - coarse).abs() <= L * 1.0 + ENERGY_TOL_MWH,
            "outage {d} h: {fine} vs {coarse}"
        );
        let closed = (L * (d as f64 - E * ETA / L)).max(0.0);
        assert!(
            (fine - closed).abs() < ENERGY_TOL_MWH,
            "outage {d} h: {fine} vs {closed}"
        );
    }
}

#[test]
fn backup_only_recharges_after_the_outage() {
    let r = run(Duration::from_minutes(1), 2);
    assert!(
        (r.soc.last - 1.0).abs() < 1e-9,
        "recharged to full: {}",
        r.soc.last
    );
    // Charged what was drained (charge efficiency 1).
    assert!((r.totals.charge_mwh - 2.0 * L / ETA).abs() < 1e-6);
}
