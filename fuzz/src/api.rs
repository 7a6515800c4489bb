//! Target `api`: the library called directly, with values a scenario file could not hold.
//!
//! On a short grid of a bundled scenario (or a generated one that validates), each case
//!
//! * hands a random [`Policy`] (NaN, ±inf, negative, huge caps, rates, ramps, targets, a zero
//!   recovery) to `Study::with_policy`: refused with an error, or run within the invariants;
//! * runs a custom [`Dispatch`] that asks for random powers (NaN, ±inf, ±1.8e308, or a multiple
//!   of what the observation allows) through `Site::simulate`: the engine must clamp them;
//! * snapshots a run at a random step, round-trips the state through JSON, resumes, and checks
//!   that the resumed steps and report equal an uninterrupted run's to the bit;
//! * resumes from a tampered snapshot (a random step, a random stored energy): refused, or run
//!   within the invariants.

use crate::check::{check_error, check_report, check_rows, shorten, Finding};
use crate::values::Num;
use arbitrary::{Arbitrary, Result, Unstructured};
use ridethrough::prelude::*;

/// A policy with arbitrary numbers in every field.
#[derive(Debug, Clone, Arbitrary)]
pub enum FuzzPolicy {
    /// [`Policy::BackupOnly`].
    BackupOnly {
        /// Recharge rate, MW.
        rate: Option<Num>,
    },
    /// [`Policy::PeakShaving`].
    PeakShaving {
        /// Import cap, MW.
        cap: Num,
        /// Recharge rate, MW.
        rate: Option<Num>,
    },
    /// [`Policy::RampLimiting`].
    RampLimiting {
        /// Ramp, MW/s.
        ramp: Num,
        /// SoC target.
        target: Option<Num>,
        /// Recovery time, ms.
        recovery_ms: Option<u64>,
    },
}

impl FuzzPolicy {
    /// The library's policy with these numbers.
    pub fn policy(&self) -> Policy {
        let power = |n: &Num| Power::mw(n.0);
        match self {
            FuzzPolicy::BackupOnly { rate } => Policy::BackupOnly {
                recharge_rate_mw: rate.as_ref().map(power),
            },
            FuzzPolicy::PeakShaving { cap, rate } => Policy::PeakShaving {
                import_cap_mw: power(cap),
                recharge_rate_mw: rate.as_ref().map(power),
            },
            FuzzPolicy::RampLimiting {
                ramp,
                target,
                recovery_ms,
            } => Policy::RampLimiting {
                max_ramp_mw_per_s: RampRate::mw_per_s(ramp.0),
                soc_target: target.map(|t| Fraction::ratio(t.0)),
                recovery: recovery_ms.map(Duration::from_millis),
                initial_import_mw: None,
            },
        }
    }
}

/// What a custom policy asks for at one step.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum Request {
    /// This many MW (positive discharges).
    Fixed(Num),
    /// This multiple of the largest discharge the observation allows.
    OfMaxDischarge(Num),
    /// This multiple of the largest charge the observation allows (as a charge).
    OfMaxCharge(Num),
    /// This multiple of the shortfall.
    OfShortfall(Num),
}

/// A custom [`Dispatch`] that cycles through its requests.
#[derive(Debug, Clone)]
pub struct Scripted {
    requests: Vec<Request>,
}

impl Dispatch for Scripted {
    fn decide(&mut self, obs: &Observation) -> Power {
        if self.requests.is_empty() {
            return Power::ZERO;
        }
        match self.requests[(obs.step % self.requests.len() as u64) as usize] {
            Request::Fixed(n) => Power::mw(n.0),
            Request::OfMaxDischarge(n) => Power::mw(obs.max_discharge.value() * n.0),
            Request::OfMaxCharge(n) => Power::mw(-obs.max_charge.value() * n.0),
            Request::OfShortfall(n) => Power::mw(obs.shortfall().value() * n.0),
        }
    }
}

/// One API case.
#[derive(Debug, Clone, Arbitrary)]
pub struct ApiCase {
    /// Which bundled scenario is the base (`None`: a generated one, if it validates).
    pub base: Option<u8>,
    /// The text of the generated base scenario (filled in by [`generate`]).
    #[arbitrary(default)]
    pub generated: Option<String>,
    /// The policy handed to `with_policy`.
    pub policy: FuzzPolicy,
    /// The custom policy's requests.
    pub requests: Vec<Request>,
    /// The seed of the runs.
    pub seed: u64,
    /// Where to snapshot (modulo the steps + 1).
    pub snapshot_at: u16,
    /// A tampered snapshot's step.
    pub tampered_step: Option<u64>,
    /// A tampered snapshot's stored energy, MWh.
    pub tampered_energy: Option<Num>,
}

/// An API case (with a generated base scenario when `base` is `None`).
pub fn generate(u: &mut Unstructured) -> Result<ApiCase> {
    let mut case = ApiCase::arbitrary(u)?;
    if case.base.is_none() {
        case.generated = Some(crate::scenario::generate(u)?);
    }
    Ok(case)
}

/// The case's base study, on a short grid; `None` when the generated scenario is invalid.
fn base(case: &ApiCase) -> Option<Study> {
    let text = match (&case.generated, case.base) {
        (Some(text), _) => text.as_str(),
        (None, b) => {
            let bundled = &crate::scenario::BUNDLED;
            bundled[usize::from(b.unwrap_or(0)) % bundled.len()]
        }
    };
    let study = Scenario::from_toml_str(text).ok()?.validate().ok()?;
    shorten(&study)
}

/// Runs every check of the case.
///
/// # Errors
/// The [`Finding`] of the first broken invariant.
pub fn check(case: &ApiCase) -> std::result::Result<(), Finding> {
    let Some(study) = base(case) else {
        return Ok(());
    };
    let study = study.with_seed(case.seed);
    match study.clone().with_policy(case.policy.policy()) {
        Ok(s) => crate::check::check_study(&s)?,
        Err(e) => check_error(&e)?,
    }
    let site = study.site();
    let mut rows = TraceRecorder::default();
    let mut sim = site.simulate(
        Scripted {
            requests: case.requests.clone(),
        },
        case.seed,
    );
    sim.run(&mut rows);
    check_rows(site, &rows.rows)?;
    check_report(&sim.report())?;
    snapshot_resume(&study, case)
}

/// Snapshot, JSON, resume: equal to the uninterrupted run; tampered snapshots refused or sound.
fn snapshot_resume(study: &Study, case: &ApiCase) -> std::result::Result<(), Finding> {
    let site = study.site();
    let steps = site.time.steps();
    let at = u64::from(case.snapshot_at) % (steps + 1);
    let mut whole = TraceRecorder::default();
    let mut full = study.simulate();
    full.run(&mut whole);

    let mut first = study.simulate();
    let mut parts = TraceRecorder::default();
    for _ in 0..at {
        first.step(&mut parts);
    }
    let snapshot = first.snapshot();
    let json = serde_json::to_string(&snapshot).map_err(|e| Finding {
        class: "snapshot does not serialise to JSON".into(),
        detail: format!("at step {at}: {e}"),
    })?;
    let state: SimState<Policy> = serde_json::from_str(&json).map_err(|e| Finding {
        class: "snapshot JSON does not parse back".into(),
        detail: format!("at step {at}: {e}; {json}"),
    })?;
    let mut resumed = Simulation::resume(site, state).map_err(|e| Finding {
        class: "a sound snapshot is refused by resume".into(),
        detail: format!("at step {at}: {e}"),
    })?;
    resumed.run(&mut parts);
    let bits = |rows: &[StepRecord]| serde_json::to_string(rows).unwrap_or_default();
    if bits(&parts.rows) != bits(&whole.rows)
        || serde_json::to_string(&resumed.report()).ok()
            != serde_json::to_string(&full.report()).ok()
    {
        return Err(Finding {
            class: "a resumed run differs from the uninterrupted one".into(),
            detail: format!("snapshot at step {at} of {steps}"),
        });
    }

    let mut tampered = snapshot;
    if let Some(step) = case.tampered_step {
        tampered.step = step;
    }
    if let Some(e) = case.tampered_energy {
        tampered.battery.energy = Energy::mwh(e.0);
    }
    match Simulation::resume(site, tampered) {
        Ok(mut sim) => {
            let mut rows = TraceRecorder::default();
            sim.run(&mut rows);
            check_rows(site, &rows.rows)?;
            check_report(&sim.report())
        }
        Err(e) => check_error(&e),
    }
}
