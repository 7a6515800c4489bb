//! Studies built on the engine: [`montecarlo`] reliability indices (and [`life_reliability`],
//! the same by year of a multi-year life), [`survival`] curves, the
//! analytic [`adequacy`] method (capacity outage probability table), the exact
//! [`markov_survival`] of generators and a battery, battery [`sizing`] against a reliability
//! target, [`sla`] figures (availability, nines, downtime per year) from a study's samples, and
//! the [`stats`] they share.

pub mod adequacy;
pub mod frontier;
pub mod life_reliability;
pub mod markov_survival;
pub mod montecarlo;
pub mod sizing;
pub mod sla;
pub mod stats;
pub mod survival;
