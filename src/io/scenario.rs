//! Scenario files: a whole study in one TOML (or JSON) file — time grid, seed, grid feed,
//! battery, load and policy.
//!
//! Parse, validate, run: [`Scenario::load`] parses the file (unknown keys are errors) and reads
//! the CSV traces it names (relative to the file); [`Scenario::validate`] checks every number,
//! builds the [`Site`](crate::engine::Site) once and returns a [`Study`], the validated,
//! immutable thing that runs. A [`Scenario`] is only the parameters, as a file states them.
//! See README.md for the full format.
//!
//! ```
//! use ridethrough::io::scenario::Scenario;
//! let toml = r#"
//! seed = 7
//! [time]
//! step = "1h"
//! horizon = "7d"
//! [grid]
//! import_limit_mw = 20.0
//! [[grid.scheduled_outages]]
//! start = "2d"
//! duration = "3h"
//! [battery]
//! preset = "megapack2xl_4h"
//! units = 12
//! [load]
//! pue = 1.25
//! [[load.it]]
//! kind = "constant"
//! it_mw = 8.0
//! [policy]
//! kind = "backup_only"
//! "#;
//! let study = Scenario::from_toml_str(toml)?.validate()?;
//! let report = study.simulate().run(&mut ()).report();
//! // 10 MW for 3 h is 30 MWh; twelve 4-hour Megapacks give 11.7 MW and hold ≈47 MWh: carried
//! // through. (Ten would hold enough energy but give only 9.8 MW: load would be lost.)
//! assert_eq!(report.grid_outages.len(), 1);
//! assert!(report.grid_outages[0].carried_through);
//! assert_eq!(report.totals.unserved_mwh, 0.0);
//! # Ok::<(), ridethrough::ConfigError>(())
//! ```

use crate::components::battery::BatteryParams;
use crate::components::fuel::FuelParams;
use crate::components::generators::GeneratorParams;
use crate::components::grid::GridParams;
use crate::components::load::LoadParams;
use crate::components::tariff::TariffParams;
use crate::engine::policy::Policy;
use crate::engine::study::Study;
use crate::error::ConfigError;
use crate::time::TimeGrid;
use crate::units::Duration;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The embedded default scenario: the 10,000-GPU Austin training cluster with Megapacks.
pub const DEFAULT_SCENARIO_TOML: &str =
    include_str!("../../examples/scenarios/austin_10k_gpu.toml");

/// The `[time]` table: a step and either a horizon or a number of steps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeConfig {
    /// The step, e.g. `"1m"` (at least 1 ms).
    pub step: Duration,
    /// The horizon, e.g. `"365d"` (a whole number of steps).
    #[serde(default)]
    pub horizon: Option<Duration>,
    /// The number of steps (instead of a horizon).
    #[serde(default)]
    pub steps: Option<u64>,
    /// Optional calendar start, e.g. `"2025-06-01T00:00:00"` (local time, quoted).
    #[serde(default)]
    pub start: Option<jiff::civil::DateTime>,
}

impl TimeConfig {
    /// The time grid.
    ///
    /// # Errors
    /// [`ConfigError::ZeroStep`], [`ConfigError::HorizonNotMultiple`],
    /// [`ConfigError::Inconsistent`] unless exactly one of `horizon` and `steps` is given, or
    /// [`ConfigError::OutOfRange`] for a horizon above [`crate::time::MAX_DURATION`] or one that
    /// runs past the calendar from `start` ([`TimeGrid::check_calendar`]).
    pub fn grid(&self) -> Result<TimeGrid, ConfigError> {
        let grid = match (self.horizon, self.steps) {
            (Some(h), None) => TimeGrid::new(self.step, h)?,
            (None, Some(n)) => TimeGrid::with_steps(self.step, n)?,
            _ => {
                return Err(ConfigError::Inconsistent {
                    field: "time.horizon".into(),
                    why: "give exactly one of time.horizon and time.steps",
                })
            }
        };
        match self.start {
            Some(start) => grid.try_starting_at(start),
            // The default start (2025) plus the longest horizon (1000 years) fits the calendar.
            None => Ok(grid),
        }
    }
}

/// A whole study's parameters, as a scenario file states them (serde; unknown keys are errors).
/// [`Scenario::validate`] turns it into a [`Study`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// A name for reports.
    #[serde(default)]
    pub name: Option<String>,
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
    /// The seed of every random stream (required: there is no hidden entropy).
    pub seed: u64,
    /// The time grid.
    pub time: TimeConfig,
    /// The grid feed.
    pub grid: GridParams,
    /// The battery fleet.
    pub battery: BatteryParams,
    /// The datacenter load.
    pub load: LoadParams,
    /// The dispatch policy (default: backup only).
    #[serde(default)]
    pub policy: Policy,
    /// Standby generator sets (none by default; see [`crate::engine::backup`]).
    #[serde(default)]
    pub generators: Option<GeneratorParams>,
    /// Their fuel (unlimited by default; needs `generators`).
    #[serde(default)]
    pub fuel: Option<FuelParams>,
    /// The electricity tariff: demand charge and energy price (none by default; see
    /// [`crate::components::tariff`]). With it, a run's report bills the run and the policy
    /// sees the price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tariff: Option<TariffParams>,
}

impl Scenario {
    /// Parses a TOML scenario (validate it with [`Scenario::validate`]). It may not name data
    /// files (use [`Scenario::load`]).
    ///
    /// # Errors
    /// [`ConfigError::Toml`] for syntax errors, unknown keys and values of the wrong type.
    pub fn from_toml_str(text: &str) -> Result<Scenario, ConfigError> {
        toml::from_str(text).map_err(|source| ConfigError::Toml {
            path: PathBuf::new(),
            source,
        })
    }

    /// Parses a JSON scenario (validate it with [`Scenario::validate`]). It may not name data
    /// files (use [`Scenario::load`]).
    ///
    /// # Errors
    /// [`ConfigError::Json`] for syntax errors, unknown keys, values of the wrong type and
    /// numbers out of the `f64` range (`1e400`), naming the key path.
    pub fn from_json_str(text: &str) -> Result<Scenario, ConfigError> {
        parse_json(text, Path::new(""))
    }

    /// Reads a `.toml` or `.json` scenario file and the CSV traces it names (paths relative to
    /// the scenario's folder). Validate it with [`Scenario::validate`].
    ///
    /// # Errors
    /// [`ConfigError::Io`] if a file cannot be read, [`ConfigError::UnknownFormat`] for another
    /// extension, parse errors, trace errors.
    pub fn load(path: impl AsRef<Path>) -> Result<Scenario, ConfigError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        let mut s: Scenario = match ext.to_ascii_lowercase().as_str() {
            "toml" => toml::from_str(&text).map_err(|source| ConfigError::Toml {
                path: path.to_path_buf(),
                source,
            })?,
            "json" => parse_json(&text, path)?,
            _ => {
                return Err(ConfigError::UnknownFormat {
                    path: path.to_path_buf(),
                })
            }
        };
        let base = path.parent().unwrap_or(Path::new("."));
        s.load_files(base)?;
        Ok(s)
    }

    /// Reads the CSV traces the scenario names, relative to `base_dir`.
    ///
    /// # Errors
    /// Trace I/O and format errors.
    pub fn load_files(&mut self, base_dir: &Path) -> Result<(), ConfigError> {
        self.grid.load_files(base_dir)?;
        self.battery.load_files(base_dir)?;
        self.load.load_files(base_dir)?;
        match &mut self.tariff {
            Some(t) => t.load_files(base_dir),
            None => Ok(()),
        }
    }

    /// The embedded default: the 10,000-GPU Austin training cluster with Megapacks
    /// (`examples/scenarios/austin_10k_gpu.toml`).
    ///
    /// # Errors
    /// None in practice (the embedded file is tested); typed for uniformity.
    pub fn default_scenario() -> Result<Scenario, ConfigError> {
        Scenario::from_toml_str(DEFAULT_SCENARIO_TOML)
    }

    /// Validates everything and builds the [`Study`]: the time grid, then the site (each
    /// component), then the policy against the site. The site is built once, here.
    ///
    /// # Errors
    /// The first [`ConfigError`] found, naming the field.
    pub fn validate(self) -> Result<Study, ConfigError> {
        let time = self.time_grid()?;
        // A policy that reads the price is checked once the site has its tariff.
        let first = match self.tariff {
            Some(_) => Policy::default(),
            None => self.policy,
        };
        let study = Study::new(time, self.grid, self.battery, self.load, first, self.seed)?;
        let study = if self.generators.is_some() || self.fuel.is_some() {
            study.with_backup(self.generators, self.fuel)?
        } else {
            study
        };
        let study = match self.tariff {
            Some(t) => study.with_tariff(Some(t))?.with_policy(self.policy)?,
            None => study,
        };
        let study = match self.name {
            Some(name) => study.with_name(name),
            None => study,
        };
        Ok(match self.description {
            Some(d) => study.with_description(d),
            None => study,
        })
    }

    /// The time grid.
    ///
    /// # Errors
    /// As [`TimeConfig::grid`].
    pub fn time_grid(&self) -> Result<TimeGrid, ConfigError> {
        self.time.grid()
    }
}

/// Parses a JSON scenario, tracking the key path so that an error names it (serde_json's own
/// errors give only the line and column: `1e400` reads "number out of range at line 9 column 30").
fn parse_json(text: &str, path: &Path) -> Result<Scenario, ConfigError> {
    let error = |key: String, source| ConfigError::Json {
        path: path.to_path_buf(),
        key,
        source,
    };
    let mut de = serde_json::Deserializer::from_str(text);
    let scenario: Scenario = serde_path_to_error::deserialize(&mut de)
        .map_err(|e| error(e.path().to_string(), e.into_inner()))?;
    // Trailing characters after the document.
    de.end().map_err(|e| error(".".into(), e))?;
    Ok(scenario)
}

impl TryFrom<Scenario> for Study {
    type Error = ConfigError;
    /// As [`Scenario::validate`].
    fn try_from(scenario: Scenario) -> Result<Study, ConfigError> {
        scenario.validate()
    }
}
