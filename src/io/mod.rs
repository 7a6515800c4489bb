//! Input and output: [`scenario`] files, CSV [`trace`]s and the unit and load tables of a
//! reliability test system ([`rts`]).

mod csv_file;
pub mod rts;
pub mod scenario;
pub mod trace;
