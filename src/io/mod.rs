//! Input and output: [`scenario`] files, CSV [`trace`]s and the text [`report`].

pub mod report;
pub mod scenario;
pub mod trace;
