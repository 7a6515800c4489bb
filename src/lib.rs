//! # ridethrough
//!
//! Time-stepped simulation of a datacenter site powered by a grid connection and backed by
//! Megapack-style battery storage: every grid outage, every megawatt-hour of load that went
//! unserved, and the battery's state of charge, on an integer time grid from 100 ms to 1 h.
//!
//! ## Quick start
//!
//! ```
//! use ridethrough::prelude::*;
//!
//! // A 12 MW-IT training cluster at PUE 1.3 on a 20 MW feed that fails for 6 hours on day 10,
//! // backed by 16 Megapack 2 XL 4-hour units that stand by full.
//! let time = TimeGrid::new(Duration::from_minutes(1), Duration::from_days(30))?;
//! let grid = GridParams {
//!     scheduled_outages: vec![ScheduledOutage {
//!         start: Duration::from_days(10),
//!         duration: Duration::from_hours(6),
//!         available_fraction: Fraction::ZERO,
//!     }],
//!     ..GridParams::new(Power::mw(20.0))
//! };
//! let battery = BatteryParams::preset(Preset::Megapack2Xl4h, 16);
//! let load = LoadParams::h100_training_10k();
//! // Validated once: the site is built and the policy checked against it.
//! let study = Study::new(time, grid, battery, load, Policy::default(), 42)?;
//!
//! let report = study.simulate().run(&mut ()).report();
//! println!("{report}");
//! // ≈12.4 MW for 6 h needs ≈75 MWh; the fleet holds ≈62.7 MWh: the site loses load.
//! assert_eq!(report.grid_outages.len(), 1);
//! assert!(!report.grid_outages[0].carried_through);
//! assert!(report.totals.unserved_mwh > 10.0);
//! # Ok::<(), ridethrough::ConfigError>(())
//! ```
//!
//! ## Map
//! The modules are layered; each uses only the layers above it.
//! * Foundations: [`units`] (`Power` in MW, `Energy` in MWh, `Fraction`, `Duration` in integer
//!   ms, `Hours`), [`time`] (the integer [`TimeGrid`](time::TimeGrid)), [`rng`] (seeded, portable
//!   random streams) and [`error`].
//! * [`reliability`]: duration laws and failure/repair processes of anything that can fail.
//! * [`components`], each parameters → validated model → state: the
//!   [`grid`](components::grid) feed, the [`battery`](components::battery) fleet and the
//!   datacenter [`load`](components::load).
//! * [`engine`]: [`Site`](engine::Site), [`Study`](engine::study::Study) (a site, a validated
//!   policy and a seed) and [`Simulation`](engine::Simulation) (`step`, `run`, `run_until`,
//!   `snapshot`, `resume`), the [`Dispatch`](engine::policy::Dispatch) trait and built-in
//!   policies, recorders, the per-step tally and the report's types.
//! * [`studies`]: Monte Carlo reliability indices, survival curves, the analytic capacity outage
//!   probability table.
//! * [`io`]: TOML/JSON scenario files, CSV traces and the report as text.
//! * `plot` (feature `plots`, on by default): SVG and PNG charts of a run's trace, an outage,
//!   a survival curve and a Monte Carlo study.
//!
//! DESIGN.md explains the choices; README.md documents the scenario format.
#![forbid(unsafe_code)]

pub mod components;
pub mod engine;
pub mod error;
pub mod io;
#[cfg(feature = "plots")]
pub mod plot;
pub mod reliability;
pub mod rng;
pub mod studies;
pub mod time;
pub mod units;

pub use error::ConfigError;

/// The README's Rust code, compiled and run as a doc-test so it stays true.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

/// The types most programs need.
pub mod prelude {
    pub use crate::components::battery::{BatteryParams, Fleet, Preset};
    pub use crate::components::grid::{GridParams, ScheduledOutage};
    pub use crate::components::load::{ItProfile, LoadParams};
    pub use crate::engine::policy::{
        Dispatch, GeneratorCommand, GeneratorView, Observation, Policy, RampRate,
    };
    pub use crate::engine::recorder::{CsvRecorder, Recorder, TraceRecorder};
    pub use crate::engine::report::{Report, StepRecord};
    pub use crate::engine::study::Study;
    pub use crate::engine::{SimState, Simulation, Site, Stop};
    pub use crate::error::ConfigError;
    pub use crate::io::scenario::Scenario;
    pub use crate::time::TimeGrid;
    pub use crate::units::{Duration, Energy, Fraction, Hours, Power};
}
