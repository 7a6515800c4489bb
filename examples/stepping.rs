//! The stepping API: [`Simulation::step`], [`Simulation::run_until`] with a stop condition,
//! [`Simulation::snapshot`] to JSON and [`Simulation::resume`], on the embedded default scenario.
//!
//! ```text
//! cargo run --release --example stepping
//! ```
//!
//! A [`Simulation`] is a [`Site`] (validated, immutable) plus a [`SimState`] (everything that
//! changes: the step counter, the grid's outage processes, the battery's energy, the policy, the
//! running tally). The example
//!
//! 1. runs the first hour one step at a time and reads each step's [`StepRecord`];
//! 2. runs on until the first step the grid is impaired (a stop condition on the record);
//! 3. takes a snapshot there, writes it to JSON and drops the simulation, as a program would
//!    that saves its work;
//! 4. reads the snapshot back, resumes and runs to the end of the year;
//! 5. runs the same year again without interruption.
//!
//! It checks that the resumed run equals the uninterrupted one bit for bit: the same final state
//! (including every random stream), the same report, and the same per-step records after the
//! snapshot, compared by the exact text of every number.

use ridethrough::prelude::*;

/// Per-step energy balance, relative to max(1 MW, demand): the engine's own named tolerance.
const BALANCE_TOL: f64 = ridethrough::engine::BALANCE_TOLERANCE;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let study = Scenario::default_scenario()?.validate()?;
    let site = study.site();
    let steps_per_hour = Duration::from_hours(1).as_millis() / site.time.step().as_millis();
    println!(
        "{}: {} steps of {}",
        study.name().unwrap_or("default scenario"),
        site.time.steps(),
        site.time.step()
    );

    // 1. One step at a time: each call runs the stages of one step and returns its record.
    let mut sim = study.simulate();
    for _ in 0..steps_per_hour {
        let row = sim.step(&mut ()).expect("the year is not over");
        let tolerance = BALANCE_TOL * (row.facility_mw + row.aux_mw).max(1.0);
        assert!(row.balance_residual_mw().abs() <= tolerance);
    }
    assert_eq!(sim.state().step, steps_per_hour);
    println!(
        "  after the first hour: step {}, SoC {:.1} %",
        sim.state().step,
        100.0 * site.battery.soc(&sim.state().battery).value()
    );

    // 2. On to the first step with the grid impaired (the step that meets the condition runs).
    let stop = sim.run_until(&mut (), |row| row.availability < 1.0);
    let Stop::Condition { step: impaired } = stop else {
        panic!("the default year has grid outages");
    };
    assert_eq!(sim.state().step, impaired + 1);
    println!(
        "  first impaired step {impaired} ({}), {} grid outage so far",
        site.time.datetime(impaired),
        sim.report().grid_outages.len()
    );

    // 3. Snapshot to JSON; the simulation itself is dropped.
    let json = serde_json::to_string(&sim.snapshot())?;
    drop(sim);
    println!("  snapshot: {} bytes of JSON", json.len());

    // 4. Resume from the JSON and run to the end, recording the steps.
    let state: SimState<Policy> = serde_json::from_str(&json)?;
    let mut resumed = Simulation::resume(site, state)?;
    let mut resumed_rows = TraceRecorder::default();
    assert_eq!(
        resumed.run_until(&mut resumed_rows, |_| false),
        Stop::Finished
    );
    let resumed_report = resumed.report();

    // 5. The same year without interruption.
    let mut whole = study.simulate();
    let mut whole_rows = TraceRecorder::default();
    whole.run(&mut whole_rows);
    let whole_report = whole.report();
    println!(
        "  resumed and uninterrupted: {} and {} steps, {:.6} and {:.6} MWh unserved",
        resumed_report.steps_done,
        whole_report.steps_done,
        resumed_report.totals.unserved_mwh,
        whole_report.totals.unserved_mwh
    );

    // Bit for bit: the records after the snapshot, the report, and the final state.
    let after = &whole_rows.rows[(impaired + 1) as usize..];
    assert_eq!(resumed_rows.rows.len(), after.len());
    // JSON writes each f64 in its shortest exact form: equal text is equal bits.
    assert_eq!(
        serde_json::to_string(&resumed_rows.rows)?,
        serde_json::to_string(after)?
    );
    assert_eq!(resumed_report, whole_report);
    assert_eq!(
        serde_json::to_string(&resumed_report)?,
        serde_json::to_string(&whole_report)?
    );
    assert_eq!(resumed.into_state(), whole.into_state());
    assert_eq!(whole_report.steps_done, site.time.steps());
    println!("  OK: the resumed run equals the uninterrupted one, bit for bit");
    Ok(())
}
