//! One run of the scenario: the report, optionally its JSON and the per-step CSV trace.

use crate::checks;
use crate::error::CliError;
use crate::output::{write_json, Stdout};
use ridethrough::prelude::*;
use std::path::Path;
use std::time::Instant;

/// Runs the whole horizon of `site` under `policy`, prints the report and its speed, writes the
/// trace and the JSON report if asked, and checks the report's physical facts.
pub fn run(
    site: &Site,
    policy: Policy,
    seed: u64,
    trace: Option<&Path>,
    json: Option<&Path>,
    out: &mut Stdout,
) -> Result<(), CliError> {
    let started = Instant::now();
    let mut sim = site.simulate(policy, seed);
    match trace {
        Some(path) => {
            let file = std::fs::File::create(path).map_err(|e| CliError::write(path, e))?;
            let mut csv = CsvRecorder::new(file);
            sim.run(&mut csv);
            csv.finish().map_err(|e| CliError::write(path, e))?;
        }
        None => {
            sim.run(&mut ());
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let report = sim.report();
    write!(out, "{report}")?;
    writeln!(
        out,
        "simulated {} steps in {elapsed:.3} s ({:.1} M steps/s)",
        report.steps_done,
        report.steps_done as f64 / elapsed / 1e6
    )?;
    if let Some(path) = json {
        write_json(path, &report)?;
        writeln!(out, "report written to {}", path.display())?;
    }
    checks::report(site, &report)?;
    writeln!(
        out,
        "physics checks passed: balance closed every step (max residual {:.2e} MW), SoC within its window",
        report.totals.max_balance_residual_mw
    )
}
