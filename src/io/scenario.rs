//! Scenario files: a whole study in one TOML (or JSON) file — time grid, seed, grid feed,
//! battery, load and policy.
//!
//! Parse, validate, run: [`Scenario::load`] parses the file (unknown keys are errors), reads the
//! CSV traces it names (relative to the file), and validates every number, so that a
//! [`Scenario`] you hold can always build its [`Site`]. See README.md for the full format.
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
//! let scenario = Scenario::from_toml_str(toml)?;
//! let site = scenario.site()?;
//! let mut sim = site.simulate(scenario.policy, scenario.seed);
//! let report = sim.run(&mut ()).report();
//! // 10 MW for 3 h is 30 MWh; twelve 4-hour Megapacks give 11.7 MW and hold ≈47 MWh: carried
//! // through. (Ten would hold enough energy but give only 9.8 MW: load would be lost.)
//! assert_eq!(report.grid_outages.len(), 1);
//! assert!(report.grid_outages[0].carried_through);
//! assert_eq!(report.totals.unserved_mwh, 0.0);
//! # Ok::<(), ridethrough::ConfigError>(())
//! ```

use crate::components::battery::BatteryParams;
use crate::components::grid::GridParams;
use crate::components::load::LoadParams;
use crate::engine::policy::Policy;
use crate::engine::Site;
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
    /// [`ConfigError::ZeroStep`], [`ConfigError::HorizonNotMultiple`], or
    /// [`ConfigError::Inconsistent`] unless exactly one of `horizon` and `steps` is given.
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
        Ok(match self.start {
            Some(start) => grid.starting_at(start),
            None => grid,
        })
    }
}

/// A whole study.
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
}

impl Scenario {
    /// Parses and validates a TOML scenario. It may not name data files (use [`Scenario::load`]).
    ///
    /// # Errors
    /// [`ConfigError::Toml`] for syntax errors and unknown keys, then any validation error.
    pub fn from_toml_str(text: &str) -> Result<Scenario, ConfigError> {
        let s: Scenario = toml::from_str(text).map_err(|source| ConfigError::Toml {
            path: PathBuf::new(),
            source,
        })?;
        s.validate()?;
        Ok(s)
    }

    /// Parses and validates a JSON scenario. It may not name data files (use [`Scenario::load`]).
    ///
    /// # Errors
    /// [`ConfigError::Json`] for syntax errors and unknown keys, then any validation error.
    pub fn from_json_str(text: &str) -> Result<Scenario, ConfigError> {
        let s: Scenario = serde_json::from_str(text).map_err(|source| ConfigError::Json {
            path: PathBuf::new(),
            source,
        })?;
        s.validate()?;
        Ok(s)
    }

    /// Reads a `.toml` or `.json` scenario file, reads the CSV traces it names (paths relative to
    /// the scenario's folder), and validates everything.
    ///
    /// # Errors
    /// [`ConfigError::Io`] if a file cannot be read, [`ConfigError::UnknownFormat`] for another
    /// extension, parse errors, trace errors, then any validation error.
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
            "json" => serde_json::from_str(&text).map_err(|source| ConfigError::Json {
                path: path.to_path_buf(),
                source,
            })?,
            _ => {
                return Err(ConfigError::UnknownFormat {
                    path: path.to_path_buf(),
                })
            }
        };
        let base = path.parent().unwrap_or(Path::new("."));
        s.load_files(base)?;
        s.validate()?;
        Ok(s)
    }

    /// Reads the CSV traces the scenario names, relative to `base_dir`.
    ///
    /// # Errors
    /// Trace I/O and format errors.
    pub fn load_files(&mut self, base_dir: &Path) -> Result<(), ConfigError> {
        self.grid.load_files(base_dir)?;
        self.load.load_files(base_dir)
    }

    /// The embedded default: the 10,000-GPU Austin training cluster with Megapacks
    /// (`examples/scenarios/austin_10k_gpu.toml`).
    ///
    /// # Errors
    /// None in practice (the embedded file is tested); typed for uniformity.
    pub fn default_scenario() -> Result<Scenario, ConfigError> {
        Scenario::from_toml_str(DEFAULT_SCENARIO_TOML)
    }

    /// Checks every value by building the site and checking the policy.
    ///
    /// # Errors
    /// The first [`ConfigError`] found.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.policy.validate()?;
        self.site().map(|_| ())
    }

    /// The time grid.
    ///
    /// # Errors
    /// As [`TimeConfig::grid`].
    pub fn time_grid(&self) -> Result<TimeGrid, ConfigError> {
        self.time.grid()
    }

    /// Builds the site.
    ///
    /// # Errors
    /// The first [`ConfigError`] of the time grid or a component.
    pub fn site(&self) -> Result<Site, ConfigError> {
        Site::new(self.time_grid()?, &self.grid, &self.battery, &self.load)
    }
}
