//! Integration tests, one binary (link time matters on 2 cores).

mod ageing;
mod augmentation;
mod backup;
mod bad_input;
mod closed_form;
mod common;
mod determinism;
mod enclosure;
mod exact_events;
mod fast_forward;
mod frontier;
mod golden;
mod grid_snapshots;
mod life;
mod montecarlo;
#[cfg(feature = "parquet")]
mod parquet_trace;
mod pins;
#[cfg(feature = "plots")]
mod plots;
mod properties;
mod ramps;
mod rts79;
mod scenarios;
mod sizing;
mod sla;
mod snapshots;
mod step_allocations;
mod survival;
mod tiers;
mod timestamps;
