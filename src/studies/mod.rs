//! Studies built on the engine: [`montecarlo`] reliability indices, [`survival`] curves, the
//! analytic [`adequacy`] method (capacity outage probability table) and the [`stats`] they share.

pub mod adequacy;
pub mod montecarlo;
pub mod stats;
pub mod survival;
