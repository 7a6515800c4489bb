//! Reliability building blocks shared by every component that can fail: duration laws and
//! availability processes.

pub mod availability;
