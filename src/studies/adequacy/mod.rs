//! Exact, analytic generation adequacy for systems **without storage**: the capacity outage
//! probability table (COPT).
//!
//! Each supply unit is a two-state unit ([`TwoStateUnit`]): fully available with probability
//! `1 − FOR`, fully out with probability `FOR` (the forced outage rate), independently of the
//! others. [`Copt`] holds the exact distribution of the system's available capacity, built by
//! recursive convolution (units added one at a time). For a load `L` it gives the loss-of-load
//! probability `P(A < L)` and the expected unserved power `E[max(0, L − A)]`; summed over a load
//! series ([`Copt::indices`]) these are the classical LOLE (hours/yr) and EUE/EENS (MWh/yr).
//!
//! The method is an instant screening tool and the test oracle of the Monte Carlo engine: a
//! storage-free Monte Carlo estimate must agree with it within its standard error.
//!
//! ## Conventions
//! * **Loss of load is strict**: it happens only when the load is strictly greater than the
//!   available capacity. A load exactly equal to an available capacity (the IEEE RTS-79 hourly
//!   load has 94 integer values, its units integer sizes) is served.
//! * **Capacities live on a 1e-9 MW grid.** Each unit's capacity is rounded to the nearest
//!   nano-megawatt ([`CAPACITY_RESOLUTION_MW`]) and outages are added as integers, so outage
//!   levels that are equal after that rounding merge exactly, whatever the order of the units.
//!   Integer capacities (all of RTS-79) are represented exactly, and so are the available
//!   capacities compared with the load.
//! * **Negligible states are dropped**: a state whose probability falls below
//!   [`PROBABILITY_FLOOR`] (1e-300, near the limit of `f64`) is discarded during the convolution;
//!   the total probability lost this way is at most the number of discarded states × 1e-300.
//! * The table has at most `min(2ⁿ, installed / 1e-9 MW + 1)` states. With integer or otherwise
//!   commensurate capacities it stays small (RTS-79: 32 units, at most 3406 levels, 0..3405 MW);
//!   with many units of unrelated real sizes it can grow exponentially: round the capacities to a
//!   common resolution (e.g. 1 MW) first.
//!
//! ```
//! use ridethrough::studies::adequacy::{Copt, TwoStateUnit};
//! // Two 100 MW units, each out 10 % of the time, and a 150 MW load.
//! let unit = TwoStateUnit::new(100.0, 0.1)?;
//! let copt = Copt::new(&[unit, unit])?;
//! // Available 200 MW w.p. 0.81, 100 MW w.p. 0.18, 0 MW w.p. 0.01.
//! assert!((copt.lolp(150.0) - 0.19).abs() < 1e-12);
//! assert!((copt.expected_unserved_mw(150.0) - (0.18 * 50.0 + 0.01 * 150.0)).abs() < 1e-12);
//! // Strict inequality: a 100 MW load is served whenever 100 MW are available.
//! assert!((copt.lolp(100.0) - 0.01).abs() < 1e-12);
//! # Ok::<(), ridethrough::ConfigError>(())
//! ```
//!
//! The files: `copt` holds the table and its maths; `site` builds time-stepped sites of the
//! same systems for the sequential Monte Carlo engine. The unit and load tables are read by
//! [`crate::io::rts`].

mod copt;
mod site;

/// Re-exported from [`crate::io::rts`], where the CSV readers live.
pub use crate::io::rts::{read_load_csv, read_units_csv, UnitRecord};
pub use copt::{
    AdequacyIndices, Copt, TwoStateUnit, CAPACITY_RESOLUTION_MW, MAX_UNIT_CAPACITY_MW,
    PROBABILITY_FLOOR,
};
pub use site::{adequacy_site, supply_units, UnitSampling};
