//! A [`Study`]: a site, a dispatch policy and a seed, validated together, once.
//!
//! Parse, validate, run: a [`Scenario`](crate::io::scenario::Scenario) is the parameters as a
//! file states them; [`Scenario::validate`](crate::io::scenario::Scenario::validate) (or
//! `Study::try_from`) turns it into a `Study`, building the [`Site`] once and checking the policy
//! against it. A `Study` cannot be changed in place: every `with_*` method returns a new study
//! and re-validates whatever the change touches, so a study you hold always runs.
//!
//! ```
//! use ridethrough::prelude::*;
//! let study = Scenario::default_scenario()?.validate()?;
//! // The same site under another seed and a peak-shaving policy (checked against the site).
//! let variant = study.clone().with_seed(7).with_policy(Policy::PeakShaving {
//!     import_cap_mw: Power::mw(12.0),
//!     recharge_rate_mw: None,
//! })?;
//! assert_eq!(variant.seed(), 7);
//! // A negative cap is refused, naming the field.
//! let bad = study.with_policy(Policy::PeakShaving {
//!     import_cap_mw: Power::mw(-1.0),
//!     recharge_rate_mw: None,
//! });
//! assert!(bad.unwrap_err().to_string().starts_with("policy.import_cap_mw = -1"));
//! # Ok::<(), ridethrough::ConfigError>(())
//! ```

use crate::components::battery::{BatteryParams, Fleet};
use crate::components::fuel::FuelParams;
use crate::components::generators::GeneratorParams;
use crate::components::grid::GridParams;
use crate::components::load::LoadParams;
use crate::components::tariff::TariffParams;
use crate::engine::policy::Policy;
use crate::engine::{Simulation, Site};
use crate::error::ConfigError;
use crate::time::TimeGrid;

/// A validated, immutable study: the built [`Site`], a [`Policy`] checked against it, the seed
/// of every random stream, and the parameters the site was built from (so that a changed time
/// grid or fleet can be rebuilt and checked again).
#[derive(Debug, Clone)]
pub struct Study {
    name: Option<String>,
    description: Option<String>,
    seed: u64,
    site: Site,
    policy: Policy,
    grid: GridParams,
    battery: BatteryParams,
    load: LoadParams,
    generators: Option<GeneratorParams>,
    fuel: Option<FuelParams>,
    tariff: Option<TariffParams>,
}

impl Study {
    /// Validates the components for `time`, builds the site, and checks `policy` against it.
    ///
    /// # Errors
    /// The first [`ConfigError`] of the grid, battery or load parameters, then of the policy.
    pub fn new(
        time: TimeGrid,
        grid: GridParams,
        battery: BatteryParams,
        load: LoadParams,
        policy: Policy,
        seed: u64,
    ) -> Result<Study, ConfigError> {
        let site = Site::new(time, &grid, &battery, &load)?;
        policy.validate(&site)?;
        Ok(Study {
            name: None,
            description: None,
            seed,
            site,
            policy,
            grid,
            battery,
            load,
            generators: None,
            fuel: None,
            tariff: None,
        })
    }

    /// The same study with standby generators and their fuel (see
    /// [`crate::engine::backup`]): the site gains the backup chain (`None`, or no sets, removes
    /// it) and the policy is checked again.
    ///
    /// # Errors
    /// As [`Site::with_backup`], then the policy's.
    pub fn with_backup(
        self,
        generators: Option<GeneratorParams>,
        fuel: Option<FuelParams>,
    ) -> Result<Study, ConfigError> {
        let site = self.site.with_backup(generators.as_ref(), fuel.as_ref())?;
        self.policy.validate(&site)?;
        Ok(Study {
            site,
            generators,
            fuel,
            ..self
        })
    }

    /// The same study with an electricity tariff (`None` removes it): the site gains it (see
    /// [`Site::with_tariff`]) and the policy is checked again.
    ///
    /// # Errors
    /// As [`Site::with_tariff`], then the policy's.
    pub fn with_tariff(self, tariff: Option<TariffParams>) -> Result<Study, ConfigError> {
        let site = self.site.with_tariff(tariff.as_ref())?;
        self.policy.validate(&site)?;
        Ok(Study {
            site,
            tariff,
            ..self
        })
    }

    /// The tariff parameters the site's tariff was built from.
    pub fn tariff_params(&self) -> Option<&TariffParams> {
        self.tariff.as_ref()
    }

    /// The generator parameters the site's backup chain was built from.
    pub fn generator_params(&self) -> Option<&GeneratorParams> {
        self.generators.as_ref()
    }
    /// The fuel parameters of the backup chain.
    pub fn fuel_params(&self) -> Option<&FuelParams> {
        self.fuel.as_ref()
    }

    /// The study's name, for reports.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }
    /// Free text about the study.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }
    /// The seed of every random stream.
    pub fn seed(&self) -> u64 {
        self.seed
    }
    /// The built site.
    pub fn site(&self) -> &Site {
        &self.site
    }
    /// The time grid (the site's).
    pub fn time(&self) -> &TimeGrid {
        &self.site.time
    }
    /// The dispatch policy, validated against [`Study::site`].
    pub fn policy(&self) -> &Policy {
        &self.policy
    }
    /// The grid parameters the site was built from.
    pub fn grid_params(&self) -> &GridParams {
        &self.grid
    }
    /// The battery parameters the site was built from.
    pub fn battery_params(&self) -> &BatteryParams {
        &self.battery
    }
    /// The load parameters the site was built from.
    pub fn load_params(&self) -> &LoadParams {
        &self.load
    }

    /// A fresh simulation of the site under the policy, from the seed.
    pub fn simulate(&self) -> Simulation<'_, Policy> {
        self.site.simulate(self.policy, self.seed)
    }

    /// The same study with another name.
    pub fn with_name(self, name: impl Into<String>) -> Study {
        Study {
            name: Some(name.into()),
            ..self
        }
    }
    /// The same study with another description.
    pub fn with_description(self, description: impl Into<String>) -> Study {
        Study {
            description: Some(description.into()),
            ..self
        }
    }
    /// The same study with another seed (nothing to check).
    pub fn with_seed(self, seed: u64) -> Study {
        Study { seed, ..self }
    }

    /// The same site under another policy, checked against it.
    ///
    /// # Errors
    /// As [`Policy::validate`].
    pub fn with_policy(self, policy: Policy) -> Result<Study, ConfigError> {
        policy.validate(&self.site)?;
        Ok(Study { policy, ..self })
    }

    /// The same study on another time grid: the site is rebuilt (profiles are tabulated and
    /// traces checked for the new grid) and the policy checked again.
    ///
    /// # Errors
    /// As [`Study::new`].
    pub fn with_time(self, time: TimeGrid) -> Result<Study, ConfigError> {
        let site = Site::new(time, &self.grid, &self.battery, &self.load)?
            .with_backup(self.generators.as_ref(), self.fuel.as_ref())?
            .with_tariff(self.tariff.as_ref())?;
        self.policy.validate(&site)?;
        Ok(Study { site, ..self })
    }

    /// The same study with another battery fleet (e.g. more Megapacks), checked with the policy.
    ///
    /// # Errors
    /// The fleet's [`ConfigError`], then the policy's against the new fleet.
    pub fn with_battery(self, battery: BatteryParams) -> Result<Study, ConfigError> {
        let site = self
            .site
            .with_fleet(Fleet::new(&battery)?, (&self.grid, &battery, &self.load))?
            .with_backup(self.generators.as_ref(), self.fuel.as_ref())?;
        self.policy.validate(&site)?;
        Ok(Study {
            site,
            battery,
            ..self
        })
    }
}
