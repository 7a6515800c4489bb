//! The cost guard: before anything runs, the run's work is estimated in engine steps and the
//! `--trace` file in bytes; either over its limit is refused ([`UsageError`]) unless `--force`.

use crate::error::UsageError;
use ridethrough::prelude::*;
use std::path::Path;

/// Engine throughput assumed, steps per second (a step of one sample, or of one of the survival
/// sweep's outages). Measured with the release build on this 2-core machine on 2026-11-25 while
/// other builds shared it: `ridethrough --samples 2000 --step 1h` ran 19–31 M sample-steps/s at
/// load average 8 (25 M over 20 000 samples; 26–30 M on one thread) and 31–39 M at load 4;
/// `ridethrough --survival 96h` (1-minute steps, always one thread) swept ≈ 18 M steps/s. 2 × 10⁷
/// is about the lowest figure, so estimates err long (a refused run may take half the estimate).
pub const STEPS_PER_SECOND: f64 = 2.0e7;
/// Longest estimated run accepted without `--force`, seconds (10 minutes: 1.2 × 10¹⁰ steps).
pub const MAX_SECONDS: f64 = 600.0;
/// Bytes a `--trace` row takes: 109 measured (57.3 MB for the default scenario's 525 600 rows
/// of 13 fields), rounded up.
pub const TRACE_ROW_BYTES: u64 = 110;
/// Largest `--trace` file written without `--force`, bytes (1 GB: 9 million rows, a year at
/// 4-second steps; beyond what a spreadsheet or a quick pandas read handles).
pub const MAX_TRACE_BYTES: u64 = 1_000_000_000;

/// What the command line asks to run on `site`.
#[derive(Debug, Clone, Copy)]
pub struct Plan<'a> {
    /// Monte Carlo samples (`None`: one run).
    pub samples: Option<u64>,
    /// The survival sweep's longest outage.
    pub survival: Option<Duration>,
    /// The trace file of a single run.
    pub trace: Option<&'a Path>,
}

/// Engine steps `plan` takes at most: steps per horizon × samples (one run without samples),
/// plus, for a survival sweep, the normal run, up to the longest outage from every step, and the
/// `P(survive ≥ d h)` table, which looks at every start once per whole hour (each look counted
/// as a step: cheaper, but it dominates at hourly steps).
pub fn steps(site: &Site, plan: &Plan<'_>) -> f64 {
    let steps = site.time.steps() as f64;
    let runs = plan.samples.unwrap_or(1) as f64 * steps;
    let sweep = plan.survival.map_or(0.0, |max| {
        let outage_steps = max.as_millis().div_ceil(site.time.step().as_millis()) as f64;
        let table_hours = max.hours().value().floor();
        steps + steps * (outage_steps + table_hours)
    });
    runs + sweep
}

/// Refuses `plan` if its estimated time or trace file is over the limit.
///
/// # Errors
/// [`UsageError::TooCostly`], [`UsageError::TraceTooLarge`].
pub fn check(site: &Site, plan: &Plan<'_>) -> Result<(), UsageError> {
    let steps = steps(site, plan);
    let seconds = steps / STEPS_PER_SECOND;
    if seconds > MAX_SECONDS {
        return Err(UsageError::TooCostly {
            steps,
            rate: STEPS_PER_SECOND,
            minutes: seconds / 60.0,
            limit: MAX_SECONDS / 60.0,
        });
    }
    if let Some(path) = plan.trace {
        let rows = site.time.steps();
        let bytes = rows.saturating_mul(TRACE_ROW_BYTES);
        if bytes > MAX_TRACE_BYTES {
            return Err(UsageError::TraceTooLarge {
                path: path.to_path_buf(),
                rows,
                row_bytes: TRACE_ROW_BYTES,
                gigabytes: bytes as f64 / 1e9,
                limit_gigabytes: MAX_TRACE_BYTES as f64 / 1e9,
            });
        }
    }
    Ok(())
}
