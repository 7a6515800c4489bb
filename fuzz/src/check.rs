//! The invariants every target checks, and how a violation becomes a [`Finding`].
//!
//! A run is fine when it does not panic, every step closes `import + discharge + unserved =
//! facility + aux + charge + export + curtailment` to the engine's [`BALANCE_TOLERANCE`] ×
//! max(1 MW, demand), every number of every step is finite, the SoC stays in the fleet's window,
//! and every number in the [`Report`] is finite. The report is walked as JSON: serde_json writes
//! a non-finite `f64` as `null`, so a `null` anywhere but the optional calendar start
//! (`site.time.start`) is a non-finite number too.

use ridethrough::engine::BALANCE_TOLERANCE;
use ridethrough::prelude::*;
use serde_json::Value;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Mutex, Once};

/// At most this many steps are run per case: a few thousand keep a case in the milliseconds
/// while still crossing hours of a 1-minute grid and days of an hourly one.
pub const MAX_STEPS: u64 = 2_000;

/// Slack on the SoC window: the SoC is a ratio of two rounded energies, so a few ulps of 1.
const SOC_TOLERANCE: f64 = 1e-12;

/// A violated invariant. `class` names the kind of failure without the numbers of the case
/// (so one library bug is reported once); `detail` has the numbers.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Finding {
    /// The finding class, e.g. `non-finite report: totals.facility_mwh`.
    pub class: String,
    /// What exactly went wrong in this case.
    pub detail: String,
}

impl Finding {
    fn new(class: impl Into<String>, detail: impl Into<String>) -> Finding {
        Finding {
            class: class.into(),
            detail: detail.into(),
        }
    }
}

/// The location and message of the last panic, kept by the hook [`guarded`] installs.
static LAST_PANIC: Mutex<Option<(String, String)>> = Mutex::new(None);

/// Runs `f`, turning a panic into a [`Finding`] classed by file and message (numbers elided).
pub fn guarded(f: impl FnOnce() -> Result<(), Finding>) -> Result<(), Finding> {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            let location = info
                .location()
                .map(|l| format!("{}:{}", l.file(), l.line()))
                .unwrap_or_default();
            let payload = info.payload();
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            *LAST_PANIC.lock().unwrap_or_else(|e| e.into_inner()) = Some((location, message));
        }));
    });
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(_) => {
            let (location, message) = LAST_PANIC
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take()
                .unwrap_or_default();
            let file = location.rsplit_once(':').map_or("?", |(f, _)| f);
            Err(Finding::new(
                format!("panic in {file}: {}", elide_numbers(&message)),
                format!("panicked at {location}: {message}"),
            ))
        }
    }
}

/// `message` with every number replaced by `N` and cut to 100 characters, so that one bug
/// gives one class whatever the case's values.
pub fn elide_numbers(message: &str) -> String {
    let mut out = String::new();
    let mut chars = message.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            while chars
                .peek()
                .is_some_and(|c| c.is_ascii_digit() || *c == '.' || *c == 'e')
            {
                chars.next();
            }
            out.push('N');
        } else {
            out.push(c);
        }
    }
    out.chars().take(100).collect()
}

/// Validates a parsed scenario and, if valid, runs it ([`check_study`]); an error at either
/// stage must print ([`check_error`]).
pub fn check_scenario(parsed: Result<Scenario, ConfigError>) -> Result<(), Finding> {
    match parsed.and_then(Scenario::validate) {
        Ok(study) => check_study(&study),
        Err(e) => check_error(&e),
    }
}

/// Runs `study` on at most [`MAX_STEPS`] steps of its grid and checks the run. A study whose
/// shortened grid does not validate (a trace too short, say) is skipped.
pub fn check_study(study: &Study) -> Result<(), Finding> {
    let Some(study) = shorten(study) else {
        return Ok(());
    };
    let site = study.site();
    let mut trace = TraceRecorder::default();
    let mut sim = study.simulate();
    sim.run(&mut trace);
    check_rows(site, &trace.rows)?;
    check_report(&sim.report())
}

/// The same study on the first [`MAX_STEPS`] steps of its grid (the calendar start kept), or
/// `None` if that grid is refused.
pub fn shorten(study: &Study) -> Option<Study> {
    let time = *study.time();
    if time.steps() <= MAX_STEPS {
        return Some(study.clone());
    }
    let short = TimeGrid::with_steps(time.step(), MAX_STEPS).ok()?;
    let short = match time.start() {
        Some(start) => short.starting_at(start),
        None => short,
    };
    study.clone().with_time(short).ok()
}

/// Checks every step: finite numbers, the energy balance, the SoC window.
pub fn check_rows(site: &Site, rows: &[StepRecord]) -> Result<(), Finding> {
    let (lo, hi) = site.battery.soc_window();
    for row in rows {
        let fields = [
            ("facility_mw", row.facility_mw),
            ("aux_mw", row.aux_mw),
            ("availability", row.availability),
            ("available_import_mw", row.available_import_mw),
            ("import_mw", row.import_mw),
            ("export_mw", row.export_mw),
            ("discharge_mw", row.discharge_mw),
            ("charge_mw", row.charge_mw),
            ("unserved_mw", row.unserved_mw),
            ("curtailment_mw", row.curtailment_mw),
            ("soc", row.soc),
            ("time_s", row.time_s),
        ];
        if let Some((name, v)) = fields.iter().find(|(_, v)| !v.is_finite()) {
            return Err(Finding::new(
                format!("non-finite step record: {name}"),
                format!("step {}: {name} = {v}; {row:?}", row.step),
            ));
        }
        if let Some((name, v)) = fields.iter().find(|(_, v)| *v < 0.0) {
            return Err(Finding::new(
                format!("negative step record: {name}"),
                format!("step {}: {name} = {v}; {row:?}", row.step),
            ));
        }
        let residual = row.balance_residual_mw();
        let tolerance = BALANCE_TOLERANCE * (row.facility_mw + row.aux_mw).max(1.0);
        // Written so that a NaN residual fails too.
        if residual.is_nan() || residual.abs() > tolerance {
            return Err(Finding::new(
                "energy balance does not close",
                format!(
                    "step {}: residual {residual} MW > {tolerance} MW; {row:?}",
                    row.step
                ),
            ));
        }
        if row.soc < lo.value() - SOC_TOLERANCE || row.soc > hi.value() + SOC_TOLERANCE {
            return Err(Finding::new(
                "soc outside the battery's window",
                format!(
                    "step {}: soc {} outside [{}, {}]",
                    row.step,
                    row.soc,
                    lo.value(),
                    hi.value()
                ),
            ));
        }
    }
    Ok(())
}

/// Checks that every number in `report` is finite (walking its JSON) and that it prints.
pub fn check_report(report: &Report) -> Result<(), Finding> {
    let json = serde_json::to_value(report).map_err(|e| {
        Finding::new(
            "report does not serialise to JSON",
            format!("{e}; {report:?}"),
        )
    })?;
    let mut bad = Vec::new();
    walk(&json, "", &mut bad);
    if let Some(path) = bad.first() {
        return Err(Finding::new(
            format!("non-finite report: {}", elide_numbers(path)),
            format!(
                "non-finite (null in JSON) at {}; {report:?}",
                bad.join(", ")
            ),
        ));
    }
    let _ = report.to_string();
    Ok(())
}

/// Collects the paths of JSON values that stand for non-finite numbers.
fn walk(v: &Value, path: &str, bad: &mut Vec<String>) {
    match v {
        Value::Null if path != "site.time.start" => bad.push(path.to_string()),
        Value::Number(n) if !n.as_f64().is_some_and(f64::is_finite) => bad.push(path.to_string()),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                walk(item, &format!("{path}[{i}]"), bad);
            }
        }
        Value::Object(map) => {
            for (k, item) in map {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                walk(item, &p, bad);
            }
        }
        _ => {}
    }
}

/// A config error must print (its message names the field); building the message is checked.
pub fn check_error(e: &ConfigError) -> Result<(), Finding> {
    let text = e.to_string();
    if text.is_empty() {
        return Err(Finding::new("empty error message", format!("{e:?}")));
    }
    Ok(())
}
