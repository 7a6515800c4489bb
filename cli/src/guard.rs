//! The cost guard: before anything runs, the run's work is estimated in engine steps and the
//! `--trace` file in bytes; either over its limit is refused ([`UsageError`]) unless `--force`.
//!
//! The first estimate counts every step of every sample. Fast-forward makes most of them free
//! (a backup-only year steps only its outages and recharges), so a Monte Carlo study whose first
//! estimate is over the limit is measured on a pilot of its own first [`PILOT_SAMPLES`] samples
//! (when even stepping them all is cheap) and judged on the steps they really ran, with a
//! margin. A survival sweep whose outages have a closed form is counted at its real cost. A
//! sizing search is counted as its whole plan repeated for every size it may try, each judged on
//! the scenario's own fleet (a smaller fleet may step more: the pilot's margin covers some of
//! that).

use crate::error::UsageError;
use crate::single::TraceFormat;
use ridethrough::prelude::*;
use ridethrough::rng;
use ridethrough::studies::survival;
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
/// Bytes a Parquet `--trace` row takes: 7 measured for the default scenario's year at 1 minute
/// (3.6 MB), 33 for `training_swing_100ms.toml` (2.4 MB for 72 000 rows of a swinging load),
/// rounded up with room for less compressible traces.
pub const PARQUET_ROW_BYTES: u64 = 48;
/// Largest Parquet `--trace` file written without `--force`, bytes (2 GB: ≈ 42 million rows at
/// [`PARQUET_ROW_BYTES`], so a year at 1-second steps fits; pandas, Polars or DuckDB read one
/// column of it at a time).
pub const MAX_PARQUET_BYTES: u64 = 2_000_000_000;
/// Largest CSV `--trace` file written without `--force`, bytes (1 GB: 9 million rows, a year at
/// 4-second steps; beyond what a spreadsheet or a quick pandas read handles).
pub const MAX_TRACE_BYTES: u64 = 1_000_000_000;

/// Samples of a pilot run (the study's own first samples, fast-forwarded).
pub const PILOT_SAMPLES: u64 = 16;
/// The most engine steps a pilot may take with every step stepped (≈10 s at
/// [`STEPS_PER_SECOND`]): a study whose single samples are this costly is judged on the first
/// estimate.
pub const PILOT_MAX_STEPS: f64 = 2.0e8;
/// The pilot's stepped steps per sample are multiplied by this: 16 samples can miss the rare
/// long outage whose recharge dominates a study.
pub const PILOT_MARGIN: f64 = 4.0;
/// A sample's fixed cost (starting it, its accumulator), in steps: ≈2 µs at the assumed rate.
pub const SAMPLE_STEPS: f64 = 40.0;
/// A closed-form survival start's cost, in steps (a binary search and a block search).
pub const CLOSED_FORM_START_STEPS: f64 = 40.0;

/// What the command line asks to run on `site`.
#[derive(Debug, Clone, Copy)]
pub struct Plan<'a> {
    /// Monte Carlo samples (`None`: one run).
    pub samples: Option<u64>,
    /// The survival sweep's longest outage.
    pub survival: Option<Duration>,
    /// The subcommand's flag that sets the outage length (`--max`, `--survive`, …), named in
    /// a refusal's hint; `None` when it has none or none was given.
    pub outage_flag: Option<&'static str>,
    /// The trace of a single run, and what it is for (`--trace`, a chart's).
    pub trace: Option<(&'a Path, &'static str)>,
    /// How many times the whole plan runs (the sizes a sizing search may try; 1 otherwise).
    pub repeat: u64,
    /// The policy the study runs.
    pub policy: &'a Policy,
    /// The study's seed.
    pub seed: u64,
}

/// Engine steps `plan` takes at most: steps per horizon × samples (one run without samples),
/// plus, for a survival sweep, the normal run, up to the longest outage from every step, and the
/// `P(survive ≥ d h)` table, which looks at every start once per whole hour (each look counted
/// as a step: cheaper, but it dominates at hourly steps); all × `repeat`.
pub fn steps(site: &Site, plan: &Plan<'_>) -> f64 {
    let steps = site.time.steps() as f64;
    let runs = plan.samples.unwrap_or(1) as f64 * steps;
    plan.repeat as f64 * (runs + sweep_steps(site, plan))
}

/// The survival sweep's steps: the normal run, each start's outage (stepped up to its longest
/// length, or [`CLOSED_FORM_START_STEPS`] in closed form), and the table.
fn sweep_steps(site: &Site, plan: &Plan<'_>) -> f64 {
    let steps = site.time.steps() as f64;
    plan.survival.map_or(0.0, |max| {
        let outage_steps = if survival::closed_form_applies(site, plan.policy) {
            CLOSED_FORM_START_STEPS
        } else {
            max.as_millis().div_ceil(site.time.step().as_millis()) as f64
        };
        let table_hours = max.hours().value().floor();
        steps + steps * (outage_steps + table_hours)
    })
}

/// [`steps`], with a Monte Carlo study over the limit measured on a pilot (see the module docs):
/// `samples × (PILOT_MARGIN × the pilot's stepped steps per sample + SAMPLE_STEPS)`.
pub fn estimate(site: &Site, plan: &Plan<'_>) -> f64 {
    let first = steps(site, plan);
    let Some(samples) = plan.samples else {
        return first;
    };
    let per_sample = site.time.steps() as f64;
    let pilot = samples.min(PILOT_SAMPLES);
    if first / STEPS_PER_SECOND <= MAX_SECONDS || pilot as f64 * per_sample > PILOT_MAX_STEPS {
        return first;
    }
    let mut stepped = 0u64;
    for i in 0..pilot {
        let mut sim = site.simulate(*plan.policy, rng::sample_seed(plan.seed, i));
        sim.run(&mut ());
        stepped += site.time.steps() - sim.steps_skipped();
    }
    let mean = stepped as f64 / pilot as f64;
    plan.repeat as f64
        * (samples as f64 * (PILOT_MARGIN * mean + SAMPLE_STEPS) + sweep_steps(site, plan))
}

/// Refuses `plan` if its estimated time or trace file is over the limit.
///
/// # Errors
/// [`UsageError::TooCostly`], [`UsageError::TraceTooLarge`].
pub fn check(site: &Site, plan: &Plan<'_>) -> Result<(), UsageError> {
    let steps = estimate(site, plan);
    let seconds = steps / STEPS_PER_SECOND;
    if seconds > MAX_SECONDS {
        return Err(UsageError::TooCostly {
            steps,
            rate: STEPS_PER_SECOND,
            minutes: seconds / 60.0,
            limit: MAX_SECONDS / 60.0,
            outage_flag: plan.outage_flag,
        });
    }
    if let Some((path, what)) = plan.trace {
        let rows = site.time.steps();
        let (row_bytes, limit) = match TraceFormat::of(path) {
            TraceFormat::Csv => (TRACE_ROW_BYTES, MAX_TRACE_BYTES),
            TraceFormat::Parquet => (PARQUET_ROW_BYTES, MAX_PARQUET_BYTES),
        };
        let bytes = rows.saturating_mul(row_bytes);
        if bytes > limit {
            return Err(UsageError::TraceTooLarge {
                what,
                path: path.to_path_buf(),
                rows,
                row_bytes,
                gigabytes: bytes as f64 / 1e9,
                limit_gigabytes: limit as f64 / 1e9,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 200 days at 1-second steps: 17.3 M rows, ≈ 1.9 GB as CSV and ≈ 0.83 GB as Parquet.
    fn site() -> Site {
        let time = TimeGrid::new(Duration::from_secs(1), Duration::from_days(200)).unwrap();
        let load: LoadParams =
            toml::from_str("pue = 1.0\n[[it]]\nkind = \"constant\"\nit_mw = 5.0\n").unwrap();
        let battery = BatteryParams::preset(Preset::Megapack2Xl4h, 4);
        Site::new(time, &GridParams::new(Power::mw(10.0)), &battery, &load).unwrap()
    }

    #[test]
    fn each_trace_format_is_judged_on_its_own_row_size_and_limit() {
        let site = site();
        let policy = Policy::default();
        let plan = |path: &'static str| Plan {
            samples: None,
            survival: None,
            outage_flag: None,
            trace: Some((Path::new(path), "--trace")),
            repeat: 1,
            policy: &policy,
            seed: 0,
        };
        match check(&site, &plan("year.csv")) {
            Err(UsageError::TraceTooLarge {
                rows, row_bytes, ..
            }) => {
                assert_eq!(rows, 17_280_000);
                assert_eq!(row_bytes, TRACE_ROW_BYTES);
            }
            other => panic!("a 1.9 GB CSV trace must be refused: {other:?}"),
        }
        for name in ["year.parquet", "YEAR.PQ"] {
            assert!(check(&site, &plan(name)).is_ok(), "{name}");
        }
    }
}
