//! Input and output: [`scenario`] files and CSV [`trace`]s.

pub mod scenario;
pub mod trace;
