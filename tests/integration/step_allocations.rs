//! The step loop allocates nothing: every bundled scenario, and the Colossus site with unit
//! failures, runs from its first step to its last, stepped one step at a time by `step` and run
//! by `run` (which jumps over quiet stretches unless fast-forward is off), without a heap
//! allocation on the running thread once the simulation is built, but for its event logs and
//! year ends (see [`allowed`]). What a run keeps (the year marks of a multi-year run, room for
//! 16 grid outages and loss-of-load events, each battery cohort's rainflow residue) is sized
//! before the first step. What a site builds once for all its simulations (the load's change
//! extrema that `run`'s jumps read) is built before `run`'s first step, by the first run of the
//! site: the runs measured here are each site's second.
//!
//! `allocation_counter` replaces the global allocator of this test binary and counts the
//! allocations of the current thread only, so other tests running beside it do not count.

use ridethrough::prelude::*;
use std::path::Path;

fn scenarios() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/scenarios")
}

/// A scenario's text, its trace files read from the bundled scenarios' folder.
fn load(text: &str) -> Study {
    let mut scenario = Scenario::from_toml_str(text).unwrap();
    scenario.load_files(&scenarios()).unwrap();
    scenario.validate().unwrap()
}

fn bundled(name: &str) -> (String, Study) {
    let text = std::fs::read_to_string(scenarios().join(name)).unwrap();
    let study = load(&text);
    (text, study)
}

/// How a test drives a simulation to its end.
#[derive(Debug, Clone, Copy)]
enum Drive {
    /// `step` after `step`: never jumps, whatever the fast-forward flag.
    Step,
    /// `run(&mut ())`: jumps over quiet stretches with fast-forward on.
    Run,
}

/// The allocations made while `study` runs to the end (driven as `drive` says, fast-forward set
/// as `fast_forward` says), the simulation built beforehand, and the run's report. The site has
/// run once before, unmeasured, so what it builds once for all its simulations is built.
fn allocations_while_running(study: &Study, drive: Drive, fast_forward: bool) -> (u64, Report) {
    study.simulate().run(&mut ());
    let mut sim = study.simulate();
    sim.set_fast_forward(fast_forward);
    let info = allocation_counter::measure(|| match drive {
        Drive::Step => while sim.step(&mut ()).is_some() {},
        Drive::Run => {
            sim.run(&mut ());
        }
    });
    assert!(sim.is_finished());
    (info.count_total, sim.report())
}

/// The allocations a log of `n` entries may make as it grows by doubling: none when empty, else
/// the first and one per doubling.
fn growths(n: usize) -> u64 {
    if n == 0 {
        0
    } else {
        u64::from(usize::BITS - (n - 1).leading_zeros()) + 1
    }
}

/// What a run may allocate while stepping: its event logs (the grid outages and loss-of-load
/// events the tally reserves 16 of, the generator outages, transfer drops and each outage's
/// hourly fuel marks) growing by doubling; and at each year's end, with ageing, the year's mark
/// (read on a settled copy of the ageing state when the battery is resting then, one per
/// cohort) and the cohorts an augmentation plan installs (a rainflow counter each, and the
/// cohort list's growth). Everything else, every step, allocates nothing, which a run of
/// thousands of steps would show far above this bound.
fn allowed(report: &Report) -> u64 {
    let beyond_room = |n: usize| if n <= 16 { 0 } else { growths(n) };
    let mut allowed =
        beyond_room(report.grid_outages.len()) + beyond_room(report.loss_of_load.len());
    if let Some(b) = &report.backup {
        allowed += growths(b.outages.len()) + growths(b.transfer_drops.len());
        allowed += b
            .outages
            .iter()
            .map(|o| growths(o.fuel_marks.len()))
            .sum::<u64>();
    }
    if let Some(l) = &report.lifetime {
        let years = l.years.len() as u64;
        // Up to three installs in a year that adds units (a replacement, an addition and the
        // threshold rule).
        let installs = 3 * l
            .years
            .iter()
            .filter(|y| y.augmentation.is_some_and(|a| a.units_added > 0))
            .count();
        let cohorts = 1 + installs as u64;
        allowed += years * cohorts + installs as u64 + growths(installs);
    }
    allowed
}

#[test]
fn no_bundled_scenario_allocates_in_the_step_loop() {
    let mut names: Vec<_> = std::fs::read_dir(scenarios())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    names.sort();
    assert!(names.len() >= 10, "{names:?}");
    let mut steady = 0;
    for name in &names {
        let (_, study) = bundled(name);
        for (drive, ff) in [(Drive::Step, true), (Drive::Run, false), (Drive::Run, true)] {
            let (n, report) = allocations_while_running(&study, drive, ff);
            let allowed = allowed(&report);
            assert!(
                n <= allowed,
                "{name} ({drive:?}, fast-forward {ff}): {n} allocations, {allowed} allowed"
            );
            steady += u32::from(allowed == 0);
        }
    }
    // Most bundled scenarios' logs fit the room reserved, and those allocate nothing at all.
    assert!(
        steady >= names.len() as u32,
        "only {steady} runs of {} may allocate nothing",
        3 * names.len()
    );
}

#[test]
fn a_fleet_with_unit_failures_does_not_allocate_in_the_step_loop() {
    let (text, _) = bundled("colossus_150mw.toml");
    let text = text.replace(
        "units = 168",
        "units = 168\nunit_failures = [{ model = \"markov\", mttf = \"8760h\", mttr = \"72h\" }]",
    );
    let study = load(&text);
    for (drive, ff) in [(Drive::Step, true), (Drive::Run, true)] {
        let (n, report) = allocations_while_running(&study, drive, ff);
        assert_eq!(allowed(&report), 0);
        assert_eq!(n, 0, "{drive:?}, fast-forward {ff}");
    }
}
