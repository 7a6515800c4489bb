//! ridethrough: datacenter ride-through simulation.
#![forbid(unsafe_code)]

pub mod error;
pub mod rng;
pub mod time;
pub mod trace;
pub mod units;

pub use error::ConfigError;
