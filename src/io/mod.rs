//! Input and output: [`scenario`] files, CSV [`trace`]s, the unit and load tables of a
//! reliability test system ([`rts`]), the text [`report`] and (feature `plots`) the
//! self-contained [`html`] page of a study, and (feature `parquet`) per-step traces as Apache
//! Parquet (`io::parquet`).

mod csv_file;
#[cfg(feature = "plots")]
pub mod html;
#[cfg(feature = "parquet")]
pub mod parquet;
pub mod report;
pub mod rts;
pub mod scenario;
pub mod trace;
