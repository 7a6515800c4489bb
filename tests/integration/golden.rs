//! Golden-output regression: the reports of fixed-seed runs of the bundled scenarios, compared
//! with the JSON stored in `tests/data/golden/`. A change to the physics or the sampling that
//! moves any number shows up here; if the change is intended, regenerate the files with
//!
//! ```text
//! REGENERATE_GOLDEN=1 cargo test --release --test integration golden
//! ```
//!
//! and review the diff before committing it.

use ridethrough::prelude::*;
use ridethrough::studies::montecarlo::{self, McConfig};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Numbers may differ by this relative amount (different but equivalent float orderings on
/// another platform's libm); anything larger is a change in results.
const REL_TOL: f64 = 1e-9;

fn golden_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/golden")
        .join(name)
}

fn compare(path: &str, a: &Value, b: &Value) -> Result<(), String> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            if (x - y).abs() <= REL_TOL * x.abs().max(y.abs()).max(1e-12) {
                Ok(())
            } else {
                Err(format!("{path}: {x} (now) vs {y} (golden)"))
            }
        }
        (Value::Object(x), Value::Object(y)) => {
            if x.len() != y.len() {
                return Err(format!("{path}: fields differ"));
            }
            for (k, v) in x {
                let w = y
                    .get(k)
                    .ok_or_else(|| format!("{path}.{k}: missing in golden"))?;
                compare(&format!("{path}.{k}"), v, w)?;
            }
            Ok(())
        }
        (Value::Array(x), Value::Array(y)) => {
            if x.len() != y.len() {
                return Err(format!(
                    "{path}: {} items (now) vs {} (golden)",
                    x.len(),
                    y.len()
                ));
            }
            for (i, (v, w)) in x.iter().zip(y).enumerate() {
                compare(&format!("{path}[{i}]"), v, w)?;
            }
            Ok(())
        }
        _ if a == b => Ok(()),
        _ => Err(format!("{path}: {a} (now) vs {b} (golden)")),
    }
}

fn check(name: &str, now: &Value) {
    let path = golden_path(name);
    if std::env::var_os("REGENERATE_GOLDEN").is_some() {
        std::fs::write(&path, serde_json::to_string_pretty(now).unwrap() + "\n").unwrap();
        return;
    }
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (regenerate with REGENERATE_GOLDEN=1)",
            path.display()
        )
    });
    let golden: Value = serde_json::from_str(&text).unwrap();
    if let Err(diff) = compare("report", now, &golden) {
        panic!("{name} changed: {diff}\n(if intended: REGENERATE_GOLDEN=1 cargo test --release --test integration golden)");
    }
}

fn scenario(file: &str) -> Study {
    Scenario::load(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples/scenarios")
            .join(file),
    )
    .and_then(Scenario::validate)
    .unwrap()
}

#[test]
fn golden_single_runs_of_the_bundled_scenarios() {
    for file in [
        "austin_10k_gpu.toml",
        "austin_backup_chain.toml",
        "austin_megapacks_only.toml",
        "austin_tiered.toml",
        "austin_20yr.toml",
        "colossus_150mw.toml",
        "colossus_one_set_short.toml",
        "training_swing_100ms.toml",
    ] {
        let s = scenario(file);
        let site = s.site();
        let report = site.simulate(*s.policy(), s.seed()).run(&mut ()).report();
        let name = file.replace(".toml", ".report.json");
        check(&name, &serde_json::to_value(&report).unwrap());
    }
}

#[test]
fn golden_monte_carlo_of_the_default_site() {
    let text =
        ridethrough::io::scenario::DEFAULT_SCENARIO_TOML.replace("step = \"1m\"", "step = \"1h\"");
    let s = Scenario::from_toml_str(&text)
        .and_then(Scenario::validate)
        .unwrap();
    let site = s.site();
    let r = montecarlo::run(site, s.policy(), &McConfig::new(512, 2023), &|_| {}).unwrap();
    check(
        "austin_10k_gpu.mc512.json",
        &serde_json::to_value(&r.indices).unwrap(),
    );
    check(
        "austin_10k_gpu.mc512.sla.json",
        &serde_json::to_value(&r.sla).unwrap(),
    );
}

/// The ramp-limiting scenario told to start its import from 0 MW (`initial_import_mw = 0`)
/// runs as every release did before the steady-state start: this file is the scenario's golden
/// report of the release before (without the later `grid_ramps` field, left out here).
#[test]
fn golden_ramp_limiting_from_zero_import_is_the_release_before() {
    let s = scenario("training_swing_100ms.toml");
    let policy = match *s.policy() {
        Policy::RampLimiting {
            max_ramp_mw_per_s,
            soc_target,
            recovery,
            ..
        } => Policy::RampLimiting {
            max_ramp_mw_per_s,
            soc_target,
            recovery,
            initial_import_mw: Some(Power::ZERO),
        },
        _ => unreachable!("the scenario limits ramps"),
    };
    let s = s.with_policy(policy).unwrap();
    let report = s
        .site()
        .simulate(*s.policy(), s.seed())
        .run(&mut ())
        .report();
    let mut now = serde_json::to_value(&report).unwrap();
    now.as_object_mut().unwrap().remove("grid_ramps");
    check("training_swing_100ms.from_zero.report.json", &now);
}
