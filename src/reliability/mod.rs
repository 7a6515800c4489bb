//! Reliability building blocks shared by every component that can fail: duration laws
//! ([`duration`]), availability processes ([`availability`]), and sets of identical units that carry them
//! ([`unit_set`]), used by the grid's supply units, the grid feed and the battery's units.

pub mod availability;
pub mod duration;
pub mod unit_set;
