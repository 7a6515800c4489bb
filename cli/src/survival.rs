//! `ridethrough survival --max D`: the outage survival sweep (outages of up to D from every step
//! of the normal run), printed as a table with the mean hours survived by month.

use crate::checks;
use crate::error::{CliError, UsageError};
use crate::output::{write_json, Stdout};
use crate::progress::Bars;
use ridethrough::prelude::*;
use ridethrough::studies::survival::{self, SurvivalConfig, SurvivalCurve};
use std::path::Path;
use std::time::Instant;

/// Sweeps outages of up to `max` over the horizon of `site`, with a spinner.
pub fn sweep(
    site: &Site,
    policy: &Policy,
    seed: u64,
    max: Duration,
    bars: Bars,
) -> Result<SurvivalCurve, CliError> {
    let spinner = bars.spinner(&format!(
        "sweeping outages of up to {max} from {} steps",
        site.time.steps()
    ));
    let curve = survival::sweep(site, policy, seed, &SurvivalConfig::new(max));
    spinner.finish_and_clear();
    Ok(curve?)
}

/// Sweeps outages of up to `max` over the horizon of `site`, prints the curve, writes it as JSON
/// if asked, and checks it.
pub fn run(
    site: &Site,
    policy: &Policy,
    seed: u64,
    max: Duration,
    json: Option<&Path>,
    bars: Bars,
    out: &mut Stdout,
) -> Result<(), CliError> {
    let started = Instant::now();
    let curve = sweep(site, policy, seed, max, bars)?;
    write!(out, "{curve}")?;
    let by_month: Vec<String> = curve
        .by_month
        .iter()
        .map(|m| format!("{:.1}", m.mean_hours))
        .collect();
    writeln!(out, "  by month (mean h): {}", by_month.join(" "))?;
    out.note(format_args!(
        "survival sweep in {:.3} s",
        started.elapsed().as_secs_f64()
    ))?;
    if let Some(path) = json {
        write_json(path, &curve)?;
        out.note(format_args!("survival curve written to {}", path.display()))?;
    }
    checks::survival(&curve)
}

/// Refuses a longest outage `max` (given as `flag`) that is not a whole number of steps of
/// `site` (the sweep would round it up to one).
///
/// # Errors
/// [`UsageError::SurvivalSteps`].
pub fn check(site: &Site, flag: &'static str, max: Duration) -> Result<(), UsageError> {
    let step = site.time.step();
    if max.as_millis() % step.as_millis() == 0 {
        Ok(())
    } else {
        Err(UsageError::SurvivalSteps {
            flag,
            survival: max,
            step,
        })
    }
}
