//! Loading a scenario for a subcommand: the file (or the embedded default), the `--set`
//! overrides applied to its document ([`crate::overrides`]), then `--step` and `--seed`, then
//! validation into a [`Study`], exactly as the library validates a file.
//!
//! Without `--set` the file goes through [`Scenario::load`] unchanged. With it, the file is
//! parsed into its value tree, overridden, and deserialized from the tree; an error that the
//! overrides caused (the file alone deserializes, or validation names an overridden field) is a
//! usage error naming the `--set` ([`UsageError::SetRefused`], exit code 2).

use crate::error::{CliError, UsageError};
use crate::overrides::{self, Override, Tree};
use ridethrough::io::scenario::DEFAULT_SCENARIO_TOML;
use ridethrough::prelude::*;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Reads `path` (the embedded default when `None`) with the overrides `sets`, `--step` and
/// `--seed`, and validates it.
///
/// # Errors
/// The library's [`ConfigError`] for the file; [`UsageError`] for an override the scenario
/// refuses or a `--step` that does not divide its horizon.
pub fn load(
    path: Option<&Path>,
    sets: &[Override],
    step: Option<Duration>,
    seed: Option<u64>,
) -> Result<Study, CliError> {
    let mut scenario = if sets.is_empty() {
        match path {
            Some(path) => Scenario::load(path)?,
            None => Scenario::default_scenario()?,
        }
    } else {
        with_overrides(path, sets)?
    };
    if let Some(step) = step {
        // The override keeps the scenario's horizon (also when the file counts `steps`);
        // validating the study below checks the components on the new grid.
        let horizon = scenario.time.grid()?.horizon();
        scenario.time.step = step;
        scenario.time.horizon = Some(horizon);
        scenario.time.steps = None;
    }
    if let Some(seed) = seed {
        scenario.seed = seed;
    }
    scenario.validate().map_err(|e| match (step, e) {
        // The step override is what does not divide the horizon.
        (Some(step), source @ ConfigError::HorizonNotMultiple { .. }) => {
            CliError::from(UsageError::Step {
                step,
                source: Box::new(source),
            })
        }
        (_, e) => refused_by(sets, e),
    })
}

/// The scenario at `path` with `sets` applied to its document.
fn with_overrides(path: Option<&Path>, sets: &[Override]) -> Result<Scenario, CliError> {
    let (text, file) = match path {
        Some(p) => (
            std::fs::read_to_string(p).map_err(|source| ConfigError::Io {
                path: p.to_path_buf(),
                source,
            })?,
            p.to_path_buf(),
        ),
        None => (DEFAULT_SCENARIO_TOML.to_string(), PathBuf::new()),
    };
    let ext = file.extension().and_then(|e| e.to_str()).unwrap_or("toml");
    let mut scenario = match ext.to_ascii_lowercase().as_str() {
        "toml" => {
            let toml_error = |source| ConfigError::Toml {
                path: file.clone(),
                source,
            };
            let doc: toml::Value = toml::from_str(&text).map_err(toml_error)?;
            overridden(doc, sets, |d| Scenario::deserialize(d).map_err(toml_error))?
        }
        "json" => {
            let json_error = |e: serde_path_to_error::Error<serde_json::Error>| ConfigError::Json {
                path: file.clone(),
                key: e.path().to_string(),
                source: e.into_inner(),
            };
            let doc: serde_json::Value =
                serde_json::from_str(&text).map_err(|source| ConfigError::Json {
                    path: file.clone(),
                    key: ".".into(),
                    source,
                })?;
            overridden(doc, sets, |d| {
                serde_path_to_error::deserialize(d).map_err(json_error)
            })?
        }
        _ => return Err(ConfigError::UnknownFormat { path: file }.into()),
    };
    let base = file.parent().unwrap_or(Path::new("."));
    scenario.load_files(base)?;
    Ok(scenario)
}

/// Applies `sets` to `doc` and deserializes it with `parse`. When that fails but the document
/// without the overrides parses, the overrides are at fault: [`UsageError::SetRefused`].
fn overridden<T: Tree + Clone>(
    doc: T,
    sets: &[Override],
    parse: impl Fn(T) -> Result<Scenario, ConfigError>,
) -> Result<Scenario, CliError> {
    let mut changed = doc.clone();
    for o in sets {
        overrides::apply(&mut changed, o)?;
    }
    match parse(changed) {
        Ok(s) => Ok(s),
        Err(e) => match parse(doc) {
            Err(original) => Err(original.into()),
            Ok(_) => Err(UsageError::SetRefused {
                set: list(sets),
                source: Box::new(e),
            }
            .into()),
        },
    }
}

/// The overrides as given, comma-separated.
fn list(sets: &[Override]) -> String {
    sets.iter()
        .map(Override::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// A validation error, as a [`UsageError::SetRefused`] naming the override when the field it
/// names was set by one (the key and the field are the same, or one holds the other).
fn refused_by(sets: &[Override], e: ConfigError) -> CliError {
    let field = match &e {
        ConfigError::OutOfRange { field, .. }
        | ConfigError::Missing { field, .. }
        | ConfigError::Inconsistent { field, .. }
        | ConfigError::NotMultiple { field, .. }
        | ConfigError::YearBeyondHorizon { field, .. }
        | ConfigError::TraceOutOfRange { field, .. } => Some(field.as_str()),
        _ => None,
    };
    let within = |outer: &str, inner: &str| {
        inner == outer
            || inner
                .strip_prefix(outer)
                .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
    };
    let set = field.and_then(|field| {
        sets.iter()
            .find(|o| within(&o.key(), field) || within(field, &o.key()))
    });
    match set {
        Some(o) => UsageError::SetRefused {
            set: o.to_string(),
            source: Box::new(e),
        }
        .into(),
        None => e.into(),
    }
}
