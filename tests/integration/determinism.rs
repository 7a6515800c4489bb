//! Reproducibility: the same seed gives the same report; a snapshot taken at a random step and
//! resumed (through JSON, as it would be saved to disk) gives the identical report. Stepping
//! every step is bit-identical whichever way it is driven; a fast-forwarded run agrees with it
//! as fast-forward promises (the same events, numbers to rounding).

use crate::common::assert_reports_agree;
use proptest::prelude::*;
use ridethrough::prelude::*;

/// The report of a run of `site` under `policy` with `seed`, every step stepped.
fn stepped(site: &Site, policy: Policy, seed: u64) -> Report {
    site.simulate(policy, seed)
        .set_fast_forward(false)
        .run(&mut ())
        .report()
}

fn scenario() -> Study {
    // The default scenario shortened to 20 days at 5-minute steps, with its maintenance window
    // (day 120) moved inside the 20 days and frequent random outages, so that snapshots land
    // inside outages too.
    let text = ridethrough::io::scenario::DEFAULT_SCENARIO_TOML
        .replace("step = \"1m\"", "step = \"5m\"")
        .replace("horizon = \"365d\"", "horizon = \"20d\"")
        .replace("start = \"120d\"", "start = \"12d\"")
        .replace(
            "preset = \"distribution\"",
            "preset = \"distribution\"\nscale = 100.0",
        );
    Scenario::from_toml_str(&text)
        .and_then(Scenario::validate)
        .unwrap()
}

#[test]
fn same_seed_same_report_and_other_seed_other_report() {
    let s = scenario();
    let site = s.site();
    let a = site.simulate(*s.policy(), 11).run(&mut ()).report();
    let b = site.simulate(*s.policy(), 11).run(&mut ()).report();
    assert_eq!(a, b);
    assert!(!a.grid_outages.is_empty(), "the test needs outages");
    let c = site.simulate(*s.policy(), 12).run(&mut ()).report();
    assert_ne!(a.grid_outages, c.grid_outages);
}

#[test]
fn recorders_do_not_change_the_result() {
    let s = scenario();
    let site = s.site();
    let plain = stepped(site, *s.policy(), 3);
    let mut trace = TraceRecorder::default();
    let traced = site.simulate(*s.policy(), 3).run(&mut trace).report();
    assert_eq!(plain, traced);
    let fast = site.simulate(*s.policy(), 3).run(&mut ()).report();
    assert_reports_agree(&fast, &plain, "fast-forward against every step");
    assert_eq!(trace.rows.len() as u64, site.time.steps());
    let mut csv = CsvRecorder::new(Vec::new());
    let streamed = site.simulate(*s.policy(), 3).run(&mut csv).report();
    assert_eq!(plain, streamed);
    let bytes = csv.finish().unwrap();
    let text = String::from_utf8(bytes).unwrap();
    assert_eq!(text.lines().count() as u64, site.time.steps() + 1);
    assert!(text.starts_with("step,time_s,facility_mw"));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn snapshot_and_resume_is_bit_identical(at in 0u64..5760, seed in any::<u64>()) {
        let s = scenario();
        let site = s.site();
        let whole = stepped(site, *s.policy(), seed);
        let fast = site.simulate(*s.policy(), seed).run(&mut ()).report();
        let mut first = site.simulate(*s.policy(), seed);
        let stop = first.run_until(&mut (), |r| r.step + 1 >= at);
        let stopped = matches!(stop, Stop::Condition { .. });
        prop_assert!(stopped || at >= site.time.steps());
        let saved = serde_json::to_string(&first.snapshot()).unwrap();
        let restored: SimState<Policy> = serde_json::from_str(&saved).unwrap();
        let mut second = Simulation::resume(site, restored.clone()).unwrap();
        let resumed = second.set_fast_forward(false).run(&mut ()).report();
        prop_assert_eq!(whole, resumed);
        // Fast-forwarded from the snapshot: the same as the whole run fast-forwarded.
        let resumed_fast = Simulation::resume(site, restored).unwrap().run(&mut ()).report();
        assert_reports_agree(&fast, &resumed_fast, "fast-forward after a resume");
    }
}

#[test]
fn stepping_by_hand_equals_running() {
    let s = scenario();
    let site = s.site();
    let run = stepped(site, *s.policy(), 5);
    let mut sim = site.simulate(*s.policy(), 5);
    let mut n = 0;
    while let Some(row) = sim.step(&mut ()) {
        assert_eq!(row.step, n);
        n += 1;
    }
    assert!(sim.step(&mut ()).is_none());
    assert_eq!(sim.report(), run);
}

#[test]
fn run_until_stops_at_the_first_loss_of_load() {
    let s = scenario();
    let site = s.site();
    let mut sim = site.simulate(*s.policy(), 11);
    let full = site.simulate(*s.policy(), 11).run(&mut ()).report();
    match sim.run_until(&mut (), |r| r.unserved_mw > 0.0) {
        Stop::Condition { step } => {
            assert_eq!(Some(step), full.loss_of_load.first().map(|e| e.start_step));
        }
        Stop::Finished => assert!(full.loss_of_load.is_empty()),
    }
}
