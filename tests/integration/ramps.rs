//! Grid ramp statistics (`Report::grid_ramps`) and the ramp-limiting policy's start: on a site
//! whose load is a square wave, so every step's import change is known in closed form.

use crate::common::{outage, simple_battery, BALANCE_TOL_MW};
use ridethrough::engine::policy::RampRate;
use ridethrough::prelude::*;

/// Ramps are differences of MW-scale step averages divided by the step's seconds: a few ulps of
/// 40 MW over 60 s.
const RAMP_TOL_MW_PER_S: f64 = 1e-12;

/// IT load (PUE 1) of a square wave between `low` and `high` MW, `period` long, high for the
/// first half of each period, with no ramp: every step of a whole divisor of half the period
/// averages exactly `low` or `high`.
fn square_load(high: f64, low: f64, period: &str) -> LoadParams {
    toml::from_str(&format!(
        "pue = 1.0\n[[it]]\nkind = \"training_swing\"\nhigh_mw = {high}\nlow_mw = {low}\n\
         period = \"{period}\"\nduty = 0.5\n"
    ))
    .expect("square load parses")
}

fn grid() -> GridParams {
    GridParams::new(Power::mw(100.0))
}

/// A site at `step` steps over `horizon` with a 40 ↔ 10 MW square wave of period 20 min and
/// `battery`.
fn site(step: Duration, horizon: Duration, battery: &BatteryParams, grid: &GridParams) -> Site {
    let time = TimeGrid::new(step, horizon).unwrap();
    Site::new(time, grid, battery, &square_load(40.0, 10.0, "20m")).unwrap()
}

/// A fleet that starts at `soc` of `energy` MWh, with no reserve to speak of.
fn fleet(power: f64, energy: f64, soc: f64) -> BatteryParams {
    BatteryParams {
        initial_soc: Some(Fraction::ratio(soc)),
        reserve_soc: Some(Fraction::ratio(0.05)),
        ..simple_battery(power, energy, 1.0)
    }
}

fn ramp_limiting(limit: f64, initial_import: Option<f64>) -> Policy {
    Policy::RampLimiting {
        max_ramp_mw_per_s: RampRate::mw_per_s(limit),
        soc_target: Some(Fraction::ratio(0.6)),
        recovery: None,
        initial_import_mw: initial_import.map(Power::mw),
    }
}

/// The ramps of a trace, computed here from its rows: (largest rise, largest fall, steps whose
/// change exceeds `limit` MW/s), both steps with the grid whole, the first from `initial` MW.
fn trace_ramps(rows: &[StepRecord], initial: f64, step_s: f64, limit: f64) -> (f64, f64, u64) {
    let (mut up, mut down, mut over) = (0.0f64, 0.0f64, 0);
    let (mut last, mut last_whole) = (initial, true);
    for r in rows {
        let whole = r.availability == 1.0;
        let d = (r.import_mw - last) / step_s;
        if whole && last_whole {
            up = up.max(d);
            down = down.max(-d);
            if d.abs() * step_s > limit * step_s + ridethrough::engine::report::RAMP_TOLERANCE_MW {
                over += 1;
            }
        }
        last = r.import_mw;
        last_whole = whole;
    }
    (up, down, over)
}

/// The report and the every-step trace of `policy` on `site` (seed 1).
fn traced(site: &Site, policy: Policy) -> (Report, TraceRecorder) {
    let mut trace = TraceRecorder::default();
    let r = site
        .try_simulate(policy, 1)
        .unwrap()
        .run(&mut trace)
        .report();
    (r, trace)
}

#[test]
fn a_load_step_of_x_mw_over_t_seconds_is_a_ramp_of_x_over_t() {
    // Backup-only with a full battery: the import is the load, which jumps 30 MW between two
    // steps every 10 min. Over 60-s steps that is 0.5 MW/s, over 10-s steps 3 MW/s; the run
    // starts in steady state (no change into the first step).
    for (step, want) in [(60, 0.5), (10, 3.0)] {
        let s = site(
            Duration::from_secs(step),
            Duration::from_hours(6),
            &fleet(5.0, 10.0, 1.0),
            &grid(),
        );
        let policy = Policy::default();
        // Stepped, and fast-forwarded (quiet stretches jumped over: their changes come from
        // the load table), the same ramps.
        let mut trace = TraceRecorder::default();
        let stepped = s.simulate(policy, 1).run(&mut trace).report();
        let mut ff = s.simulate(policy, 1);
        let fast = ff.run(&mut ()).report();
        assert!(ff.steps_skipped() > 0, "the run fast-forwarded");
        for r in [&stepped, &fast] {
            let g = &r.grid_ramps;
            assert_eq!(g.step_s, step as f64);
            assert!(
                (g.max_up_mw_per_s - want).abs() <= RAMP_TOL_MW_PER_S,
                "{g:?}"
            );
            assert!(
                (g.max_down_mw_per_s - want).abs() <= RAMP_TOL_MW_PER_S,
                "{g:?}"
            );
            assert_eq!(g.limit_mw_per_s, None);
            assert_eq!(g.steps_over_limit, 0);
        }
        assert_eq!(trace.rows[0].import_mw, 40.0, "steady state from the start");
    }
}

#[test]
fn grid_outages_are_not_ramps() {
    // A total outage of 30 min from 5 min in: the import falls 40 MW and comes back, which is
    // the grid's doing; only the load's own 30-MW changes count (0.5 MW/s at 60-s steps), with
    // the recharge after the outage.
    let mut g = grid();
    g.scheduled_outages = vec![outage(
        Duration::from_minutes(5),
        Duration::from_minutes(30),
    )];
    let s = site(
        Duration::from_secs(60),
        Duration::from_hours(6),
        &fleet(50.0, 100.0, 1.0),
        &g,
    );
    // Recharging after it adds at most 1 MW to a step's import, so no counted change exceeds
    // 31 MW a step, where the outage's fall is 40 MW.
    let policy = Policy::BackupOnly {
        recharge_rate_mw: Some(Power::mw(1.0)),
    };
    let r = s.simulate(policy, 1).run(&mut ()).report();
    assert_eq!(r.grid_outages.len(), 1);
    let g = &r.grid_ramps;
    for ramp in [g.max_up_mw_per_s, g.max_down_mw_per_s] {
        assert!(
            (0.5 - RAMP_TOL_MW_PER_S..=31.0 / 60.0 + RAMP_TOL_MW_PER_S).contains(&ramp),
            "{g:?}"
        );
    }
}

#[test]
fn ramp_limiting_with_a_battery_that_can_follow_stays_within_its_limit() {
    // 0.1 MW/s over 60-s steps is 6 MW a step: the 30-MW jumps take 5 steps to follow, ≈1.25
    // MWh each, well within a 50 MW / 100 MWh fleet at 60 %.
    let s = site(
        Duration::from_secs(60),
        Duration::from_hours(24),
        &fleet(50.0, 100.0, 0.6),
        &grid(),
    );
    let policy = ramp_limiting(0.1, None);
    let (r, trace) = traced(&s, policy);
    assert_eq!(r.totals.unserved_mwh, 0.0);
    let g = &r.grid_ramps;
    assert_eq!(g.limit_mw_per_s, Some(0.1));
    assert_eq!(g.steps_over_limit, 0, "{g:?}");
    assert_eq!(g.hours_over_limit, 0.0);
    assert!(g.max_up_mw_per_s <= 0.1 + RAMP_TOL_MW_PER_S, "{g:?}");
    assert!(g.max_down_mw_per_s <= 0.1 + RAMP_TOL_MW_PER_S, "{g:?}");
    // The import did ramp (the policy follows the load at its limit), and the report's figures
    // are the trace's.
    assert!(g.max_up_mw_per_s > 0.09, "{g:?}");
    let (up, down, over) = trace_ramps(&trace.rows, 40.0, 60.0, 0.1);
    assert!((g.max_up_mw_per_s - up).abs() <= RAMP_TOL_MW_PER_S);
    assert!((g.max_down_mw_per_s - down).abs() <= RAMP_TOL_MW_PER_S);
    assert_eq!(over, 0);
}

#[test]
fn ramp_limiting_with_a_battery_too_small_reports_the_steps_over_its_limit() {
    // 2 MW / 0.5 MWh cannot absorb 30-MW jumps: the import follows the load faster than
    // 0.1 MW/s.
    let s = site(
        Duration::from_secs(60),
        Duration::from_hours(24),
        &fleet(2.0, 0.5, 0.6),
        &grid(),
    );
    let (r, trace) = traced(&s, ramp_limiting(0.1, None));
    let g = &r.grid_ramps;
    let (up, down, over) = trace_ramps(&trace.rows, 40.0, 60.0, 0.1);
    assert!(over > 0);
    assert_eq!(g.steps_over_limit, over, "{g:?}");
    assert!((g.hours_over_limit - over as f64 / 60.0).abs() <= 1e-12);
    assert!((g.max_up_mw_per_s - up).abs() <= RAMP_TOL_MW_PER_S);
    assert!((g.max_down_mw_per_s - down).abs() <= RAMP_TOL_MW_PER_S);
    assert!(g.max_up_mw_per_s > 0.1, "{g:?}");
    // The report prints them.
    let text = r.to_string();
    assert!(
        text.contains(&format!("{over} steps (")) && text.contains("over the 0.1 MW/s limit"),
        "{text}"
    );
}

#[test]
fn ramp_limiting_starts_in_steady_state_unless_told_otherwise() {
    let s = site(
        Duration::from_secs(60),
        Duration::from_hours(2),
        &fleet(50.0, 100.0, 0.6),
        &grid(),
    );
    // Default: the first step's import is within 6 MW (0.1 MW/s × 60 s) of its demand, 40 MW.
    let (r, trace) = traced(&s, ramp_limiting(0.1, None));
    let first = trace.rows[0];
    assert!(
        (first.import_mw - 40.0).abs() <= 6.0 + BALANCE_TOL_MW,
        "{first:?}"
    );
    assert_eq!(r.grid_ramps.steps_over_limit, 0);
    // `initial_import_mw = 0`, the behaviour before: the import ramps from nothing, 6 MW in the
    // first step, and the battery carries the rest of the 40 MW.
    let (_, trace) = traced(&s, ramp_limiting(0.1, Some(0.0)));
    let first = trace.rows[0];
    assert!((first.import_mw - 6.0).abs() <= 1e-9, "{first:?}");
    assert!((first.discharge_mw - 34.0).abs() <= 1e-9, "{first:?}");
    // The import ramps at the limit for the next steps too (12, 18, ... MW).
    assert!((trace.rows[1].import_mw - 12.0).abs() <= 1e-9);
}

#[test]
fn an_initial_import_out_of_range_is_refused_naming_it() {
    let s = site(
        Duration::from_secs(60),
        Duration::from_hours(1),
        &fleet(50.0, 100.0, 0.6),
        &grid(),
    );
    for bad in [-1.0, 100.5, f64::NAN] {
        let err = s
            .try_simulate(ramp_limiting(0.1, Some(bad)), 1)
            .expect_err("refused");
        let text = err.to_string();
        assert!(
            matches!(&err, ConfigError::OutOfRange { field, .. } if field == "policy.initial_import_mw"),
            "{text}"
        );
        assert!(text.contains("grid.import_limit_mw"), "{text}");
    }
    // The limit itself is allowed.
    assert!(s.try_simulate(ramp_limiting(0.1, Some(100.0)), 1).is_ok());
}
