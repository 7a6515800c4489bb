//! Survival curves: closed form on a constant load (to the millisecond, at any step), dependence on the SoC the normal run had,
//! and a year's sweep covering every start (its speed is measured by `benches/montecarlo.rs`,
//! `survival/year/hourly_96h`).

use crate::common::*;
use ridethrough::prelude::*;
use ridethrough::studies::survival::{self, SurvivalConfig};

/// Survival is measured to the millisecond, the battery emptying at the last whole one: one
/// millisecond, in hours.
const ONE_MS_H: f64 = 1.0 / 3_600_000.0;

/// A 10 MW constant load under a 50 MW feed, with a 20 MW / 25 MWh battery (η_d = 0.95) that
/// carries it for 2.375 h.
fn ten_mw_site(time: TimeGrid) -> Site {
    Site::new(
        time,
        &GridParams::new(Power::mw(50.0)),
        &simple_battery(20.0, 25.0, 0.95),
        &constant_load(10.0),
    )
    .unwrap()
}

#[test]
fn constant_load_survives_the_closed_form_time_from_every_start() {
    // 10 MW, 25 MWh at η_d = 0.95: 2.375 h from every start, at hourly and at minute steps
    // (the engine ends the last segment where the battery empties, not at a step boundary).
    let expected_h = 25.0 * 0.95 / 10.0;
    for step in [Duration::from_hours(1), Duration::from_minutes(1)] {
        let time = TimeGrid::new(step, Duration::from_days(2)).unwrap();
        let site = ten_mw_site(time);
        let mut cfg = SurvivalConfig::new(Duration::from_hours(6));
        cfg.every = if step == Duration::from_hours(1) {
            1
        } else {
            60
        };
        let c = survival::sweep(&site, &Policy::default(), 1, &cfg).unwrap();
        assert_eq!(c.starts.len(), 48);
        for &h in &c.survived_hours {
            assert!(
                (h - expected_h).abs() <= ONE_MS_H,
                "step {step}: {h} h, closed form {expected_h}"
            );
        }
        // 2 h are always carried, 3 h never.
        assert!((c.probability[1].1 - 1.0).abs() < 1e-12);
        assert_eq!(c.probability[2].1, 0.0);
        assert!((c.overall.mean_hours - expected_h).abs() <= ONE_MS_H);
    }
}

#[test]
fn survival_follows_the_soc_of_the_normal_run() {
    // A daily 2-hour outage drains the battery; starts right after it survive less.
    let time = TimeGrid::new(Duration::from_hours(1), Duration::from_days(3)).unwrap();
    let grid = GridParams {
        scheduled_outages: vec![outage(Duration::from_hours(24), Duration::from_hours(2))],
        ..GridParams::new(Power::mw(11.0))
    };
    // Recharge is slow: 1 MW of headroom.
    let site = Site::new(
        time,
        &grid,
        &simple_battery(20.0, 25.0, 0.95),
        &constant_load(10.0),
    )
    .unwrap();
    let c = survival::sweep(
        &site,
        &Policy::default(),
        1,
        &SurvivalConfig::new(Duration::from_hours(6)),
    )
    .unwrap();
    let at = |s: u64| c.survived_hours[s as usize];
    let full = 25.0 * 0.95 / 10.0;
    assert!((at(0) - full).abs() <= ONE_MS_H, "{}", at(0));
    // Just after the outage the battery holds 25 − 20/0.95 = 3.95 MWh: 0.375 h at 10 MW.
    let drained = (25.0 - 20.0 / 0.95) * 0.95 / 10.0;
    assert!((at(26) - drained).abs() <= ONE_MS_H, "{}", at(26));
    assert!(at(60) >= at(27));
    assert!((c.overall.min_hours - drained).abs() <= ONE_MS_H);
    assert!((c.overall.max_hours - full).abs() <= ONE_MS_H);
}

#[test]
fn a_year_at_hourly_steps_with_96_hour_outages_covers_every_start() {
    let text =
        ridethrough::io::scenario::DEFAULT_SCENARIO_TOML.replace("step = \"1m\"", "step = \"1h\"");
    let s = Scenario::from_toml_str(&text)
        .and_then(Scenario::validate)
        .unwrap();
    let site = s.site();
    let c = survival::sweep(
        site,
        s.policy(),
        s.seed(),
        &SurvivalConfig::new(Duration::from_hours(96)),
    )
    .unwrap();
    assert_eq!(c.starts.len(), 8760);
    assert_eq!(c.probability.len(), 96);
    assert!(
        c.probability.windows(2).all(|w| w[0].1 >= w[1].1),
        "survival is non-increasing"
    );
    let months: u64 = c.by_month.iter().map(|m| m.starts).sum();
    let hours: u64 = c.by_hour.iter().map(|m| m.starts).sum();
    assert_eq!((months, hours), (8760, 8760));
}

/// A policy that covers only half the shortfall (and does not declare that it covers an
/// islanded site's demand: the trait's default) is swept by stepping, not by the closed form,
/// so it survives nothing: load goes unserved from the first millisecond of every outage
/// (catches the trait's `covers_islanded_demand` → `true`, under which the closed form would
/// give the 2.375 h of a policy that carries the whole load).
#[test]
fn a_policy_that_covers_half_the_shortfall_is_stepped_and_survives_nothing() {
    #[derive(Clone)]
    struct Half;
    impl Dispatch for Half {
        fn decide(&mut self, obs: &Observation) -> Power {
            obs.shortfall() * 0.5
        }
    }
    let time = TimeGrid::new(Duration::from_hours(1), Duration::from_days(1)).unwrap();
    let site = ten_mw_site(time);
    assert!(survival::closed_form_applies(&site, &Policy::default()));
    assert!(!survival::closed_form_applies(&site, &Half));
    let c = survival::sweep(
        &site,
        &Half,
        1,
        &SurvivalConfig::new(Duration::from_hours(6)),
    )
    .unwrap();
    assert_eq!(c.starts.len(), 24);
    assert!(
        c.survived_hours.iter().all(|&h| h == 0.0),
        "{:?}",
        c.survived_hours
    );
}
