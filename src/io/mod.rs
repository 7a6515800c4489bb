//! Input and output: [`scenario`] files, CSV [`trace`]s, the unit and load tables of a
//! reliability test system ([`rts`]) and the text [`report`].

mod csv_file;
pub mod report;
pub mod rts;
pub mod scenario;
pub mod trace;
