//! Self-checks: the physical facts a report shows, and the consistency of Monte Carlo indices
//! and survival curves. A failed check is a bug in the engine, reported as [`CliError::Check`].

use crate::error::CliError;
use ridethrough::prelude::*;
use ridethrough::studies::montecarlo::{Indices, SampleSummary};
use ridethrough::studies::survival::SurvivalCurve;

/// Largest per-step balance residual, MW: far above the engine's own relative tolerance
/// (`BALANCE_TOLERANCE` × demand, ≈1e-8 MW for a 10 MW site) and far below anything physical.
const BALANCE_MW: f64 = 1e-6;
/// Energies summed over a run, relative to the facility energy (at least 1 MWh): rounding of
/// up to a million additions.
const ENERGY_REL: f64 = 1e-9;
/// Stored energy against the summed flows, relative: ten times [`ENERGY_REL`], because the
/// change of stored energy is rebuilt from two SoC fractions times the capacity.
const STORAGE_REL: f64 = 10.0 * ENERGY_REL;
/// SoC window slack (rounding only).
const SOC_SLACK: f64 = 1e-12;
/// Per-sample means against the study's indices, relative (two summation orders).
const MEAN_REL: f64 = 1e-9;
/// LOLP by hour of day summed against LOLE, relative (two summation orders over ≤ 24 bins).
const LOLP_REL: f64 = 1e-6;

/// Fails with `check` unless `|residual| ≤ tolerance` (a NaN residual fails).
fn ensure(check: &'static str, residual: f64, tolerance: f64) -> Result<(), CliError> {
    if residual.abs() <= tolerance {
        Ok(())
    } else {
        Err(CliError::Check { check, residual })
    }
}

/// The report of a whole run: the horizon ran, the energy balance closed every step and over the
/// run (bus and storage), the SoC stayed in its window, and the loss-of-load events (and, with a
/// tiered load, the tiers' shares) add up to the unserved energy.
pub fn report(site: &Site, r: &Report) -> Result<(), CliError> {
    let t = &r.totals;
    ensure(
        "the whole horizon ran",
        site.time.steps() as f64 - r.steps_done as f64,
        0.0,
    )?;
    ensure(
        "energy balance closed every step",
        t.max_balance_residual_mw,
        BALANCE_MW,
    )?;
    let scale = t.facility_mwh.max(1.0);
    // Bus: import + discharge + generation + unserved = facility + aux + charge + export +
    // curtailment.
    let bus = t.import_mwh + t.discharge_mwh + t.generation_mwh + t.unserved_mwh
        - (t.facility_mwh + t.aux_mwh + t.charge_mwh + t.export_mwh + t.curtailment_mwh);
    ensure("bus energy balance over the run", bus, ENERGY_REL * scale)?;
    // Storage: what went in minus what came out (with ageing, what the shrinking window cut;
    // with an augmentation plan, the energy installed and removed units brought and took)
    // equals the change in stored energy.
    ensure(
        "storage energy balance over the run",
        r.storage_balance_residual_mwh(),
        STORAGE_REL * scale.max(r.site.battery_capacity_mwh),
    )?;
    let (lo, hi) = site.battery.soc_window();
    ensure(
        "SoC stayed above the window floor",
        (lo.value() - r.soc.min).max(0.0),
        SOC_SLACK,
    )?;
    ensure(
        "SoC stayed below the window ceiling",
        (r.soc.last - hi.value()).max(0.0),
        SOC_SLACK,
    )?;
    let events: f64 = r.loss_of_load.iter().map(|e| e.unserved_mwh).sum();
    ensure(
        "loss-of-load events add up to the unserved energy",
        events - t.unserved_mwh,
        ENERGY_REL * scale,
    )?;
    if let Some(tiers) = &r.tiers {
        let shed: f64 = tiers.tiers.iter().map(|x| x.unserved_mwh).sum();
        ensure(
            "the tiers' unserved energy adds up to the unserved energy",
            shed - t.unserved_mwh,
            ENERGY_REL * scale,
        )?;
    }
    Ok(())
}

/// Monte Carlo indices: LOLP by hour of day adds up to LOLE (when the horizon is whole days of
/// at most hourly steps), the quantiles are ordered, and the indices are not negative.
pub fn indices(time: &TimeGrid, ix: &Indices) -> Result<(), CliError> {
    if time.horizon().as_millis() % 86_400_000 == 0 && time.step().as_millis() <= 3_600_000 {
        let by_hour = ix.lolp_by_hour.iter().map(|e| e.mean).sum::<f64>() * time.steps() as f64
            / 24.0
            * time.step_hours().value();
        ensure(
            "LOLP by hour of day adds up to LOLE",
            by_hour - ix.lole_hours.mean,
            LOLP_REL * ix.lole_hours.mean.max(1.0),
        )?;
    }
    ensure(
        "unserved energy P50 ≤ P99",
        (ix.unserved_p50_mwh.mean - ix.unserved_p99_mwh.mean).max(0.0),
        0.0,
    )?;
    ensure("EUE ≥ 0", ix.eue_mwh.mean.min(0.0), 0.0)?;
    ensure("LOLE ≥ 0", ix.lole_hours.mean.min(0.0), 0.0)
}

/// Per-sample rows: their mean unserved energy is the study's EUE.
pub fn samples(ix: &Indices, rows: &[SampleSummary]) -> Result<(), CliError> {
    let mean = rows.iter().map(|r| r.unserved_mwh).sum::<f64>() / rows.len() as f64;
    ensure(
        "per-sample rows add up to EUE",
        mean - ix.eue_mwh.mean,
        MEAN_REL * mean.max(1.0),
    )
}

/// A survival curve: P(survive ≥ d) does not increase with d.
pub fn survival(curve: &SurvivalCurve) -> Result<(), CliError> {
    let rise = curve
        .probability
        .windows(2)
        .map(|w| w[1].1 - w[0].1)
        .fold(0.0, f64::max);
    ensure("P(survive ≥ d) does not increase with d", rise, 0.0)
}
