//! Integration tests, one binary (link time matters on 2 cores).

mod bad_input;
mod closed_form;
mod common;
mod determinism;
mod properties;
mod rts79;
mod scenarios;
