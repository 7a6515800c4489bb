//! Input and output: [`scenario`] files, CSV [`trace`]s, the unit and load tables of a
//! reliability test system ([`rts`]), the text [`report`] and (feature `plots`) the
//! self-contained [`html`] page of a study.

mod csv_file;
#[cfg(feature = "plots")]
pub mod html;
pub mod report;
pub mod rts;
pub mod scenario;
pub mod trace;
