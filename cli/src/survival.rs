//! `--survival D`: the outage survival sweep (outages of up to D from every step of the normal
//! run), printed as a table with the mean hours survived by month.

use crate::checks;
use crate::error::{CliError, UsageError};
use crate::output::Stdout;
use ridethrough::prelude::*;
use ridethrough::studies::survival::{self, SurvivalConfig};
use std::time::Instant;

/// Sweeps outages of up to `max` over the horizon of `site` and prints the curve.
pub fn run(
    site: &Site,
    policy: &Policy,
    seed: u64,
    max: Duration,
    out: &mut Stdout,
) -> Result<(), CliError> {
    let started = Instant::now();
    let curve = survival::sweep(site, policy, seed, &SurvivalConfig::new(max))?;
    write!(out, "{curve}")?;
    let by_month: Vec<String> = curve
        .by_month
        .iter()
        .map(|m| format!("{:.1}", m.mean_hours))
        .collect();
    writeln!(out, "  by month (mean h): {}", by_month.join(" "))?;
    writeln!(
        out,
        "survival sweep in {:.3} s",
        started.elapsed().as_secs_f64()
    )?;
    checks::survival(&curve)
}

/// Refuses a longest outage `max` that is not a whole number of steps of `site` (the sweep would
/// round it up to one).
///
/// # Errors
/// [`UsageError::SurvivalSteps`].
pub fn check(site: &Site, max: Duration) -> Result<(), UsageError> {
    let step = site.time.step();
    if max.as_millis() % step.as_millis() == 0 {
        Ok(())
    } else {
        Err(UsageError::SurvivalSteps {
            survival: max,
            step,
        })
    }
}
